// Peer kernels measured by bench_distance in the same run, each compiled only when its library
// is installed (see benchmarks/CMakeLists.txt). Plain functions, so the peers' headers (and the
// -march=native their SIMD paths need) stay out of the benchmark translation unit.
#pragma once

#include <cstddef>

namespace tessera_bench_peers {

#if defined(TESSERA_BENCH_HAS_HNSWLIB)
/// hnswlib's squared L2 and inner-product distance functions, chosen by hnswlib for dimension d
/// (its AVX-512 / AVX / SSE kernels, whichever this build and CPU allow).
struct hnswlib_kernels {
    using fn = float (*)(const void*, const void*, const void*);
    fn l2 = nullptr;
    fn ip = nullptr;
    std::size_t dim = 0;
};
hnswlib_kernels hnswlib_for(std::size_t d);
/// Which of hnswlib's kernels this build selected: "avx512", "avx", "sse" or "scalar".
const char* hnswlib_simd();
#endif

}  // namespace tessera_bench_peers
