// hnswlib's distance functions for bench_distance. Compiled with -march=native (only this file)
// because hnswlib picks its SIMD kernels from the compiler's target macros.
#include "peers.hpp"

#include <hnswlib/hnswlib.h>

namespace tessera_bench_peers {

hnswlib_kernels hnswlib_for(std::size_t d) {
    // The spaces only record function pointers chosen for d; keeping them alive is not needed.
    hnswlib::L2Space l2(d);
    hnswlib::InnerProductSpace ip(d);
    hnswlib_kernels k;
    k.l2 = l2.get_dist_func();
    k.ip = ip.get_dist_func();
    k.dim = d;
    return k;
}

const char* hnswlib_simd() {
#if defined(USE_AVX512)
    return "avx512";
#elif defined(USE_AVX)
    return "avx";
#elif defined(USE_SSE)
    return "sse";
#else
    return "scalar";
#endif
}

}  // namespace tessera_bench_peers
