// The candidate scans of simd/select.hpp: at every supported level, the indices reported are
// exactly those whose value (computed as the header documents) is within the limit.
#include <doctest/doctest.h>

#include <tessera/core/random.hpp>
#include <tessera/simd/select.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "simd_test_support.hpp"

namespace simd = tessera::simd;

namespace {

template <simd::scan_form F, class T>
void check_form() {
    tessera_test::for_each_level([](simd::level) {
        tessera::random_engine rng(51);
        for (std::size_t n : {0u, 1u, 7u, 8u, 15u, 16u, 17u, 33u, 100u, 1000u}) {
            std::vector<T> dot(n), w(n);
            for (auto& x : dot) x = static_cast<T>(rng.normal());
            for (auto& x : w) x = static_cast<T>(rng.uniform01() * 3);
            const T s = T(1.5), sign = T(-1);
            for (const T limit : {-std::numeric_limits<T>::infinity(), T(-0.5), T(0), T(1), T(2.5),
                                  std::numeric_limits<T>::infinity()}) {
                std::vector<std::uint32_t> expected, got(n + 1);
                for (std::size_t j = 0; j < n; ++j) {
                    T v;
                    if constexpr (F == simd::scan_form::l2) {
                        v = (s + w[j]) - T(2) * dot[j];
                    } else if constexpr (F == simd::scan_form::dot) {
                        v = sign * dot[j];
                    } else {
                        v = T(1) - dot[j] * (s * w[j]);
                    }
                    if (v <= limit) expected.push_back(static_cast<std::uint32_t>(j));
                }
                // Equal values must pass: put one entry exactly on the limit.
                const std::size_t count = simd::scan_within<F>(dot.data(), F == simd::scan_form::dot ? nullptr : w.data(),
                                                               n, s, sign, limit, got.data());
                got.resize(count);
                CAPTURE(n);
                CAPTURE(limit);
                CHECK(got == expected);
            }
            if (n > 3 && F == simd::scan_form::l2) {
                const T on_limit = (s + w[3]) - T(2) * dot[3];
                std::vector<std::uint32_t> got(n);
                const std::size_t count = simd::scan_within<F>(dot.data(), w.data(), n, s, sign, on_limit, got.data());
                got.resize(count);
                CHECK(std::find(got.begin(), got.end(), 3u) != got.end());
            }
        }
    });
}

}  // namespace

TEST_CASE("scan_within reports exactly the entries within the limit") {
    check_form<simd::scan_form::l2, float>();
    check_form<simd::scan_form::l2, double>();
    check_form<simd::scan_form::dot, float>();
    check_form<simd::scan_form::dot, double>();
    check_form<simd::scan_form::cosine, double>();
}
