// Shared by the SIMD and distance tests: run a test body once per instruction-set level this
// machine supports, with that level forced, and say which levels were not tested.
#pragma once

#include <doctest/doctest.h>

#include <tessera/simd/cpu.hpp>

namespace tessera_test {

inline constexpr tessera::simd::level all_levels[] = {tessera::simd::level::scalar, tessera::simd::level::avx2,
                                                      tessera::simd::level::avx512, tessera::simd::level::neon};

/// Calls body(level) for every level the CPU supports, with that level forced.
template <class Body>
void for_each_level(Body body) {
    namespace simd = tessera::simd;
    for (const auto l : all_levels) {
        if (!simd::level_supported(l)) {
            MESSAGE("this CPU cannot run the " << simd::level_name(l) << " kernels: not tested here");
            continue;
        }
        CAPTURE(simd::level_name(l));
        simd::scoped_level forced(l);
        REQUIRE(simd::active_level() == l);
        body(l);
    }
}

}  // namespace tessera_test
