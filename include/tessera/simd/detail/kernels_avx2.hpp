// tessera/simd/detail/kernels_avx2.hpp - AVX2 + FMA kernels (x86-64). Every function carries a
// target attribute, so this header compiles in any build (no -mavx2 needed) and the code runs
// only after cpu.hpp confirmed the CPU and the OS support it.
//
// Shape of every reduction: four independent vector accumulators over 4 x 8 floats (4 x 4
// doubles) per step, a single-vector loop, then one masked load for the last partial vector
// (masked-out lanes are not read, so a vector ending at a page boundary cannot fault).
#pragma once

#include "tessera/simd/cpu.hpp"
#include "tessera/core/half.hpp"
#include "tessera/simd/detail/kernels_scalar.hpp"
#include "tessera/simd/detail/x86.hpp"

#if TESSERA_ARCH_X86

#include <cstddef>
#include <cstdint>

namespace tessera::simd::detail {

// Lane masks for the last r < 8 floats / r < 4 doubles: the first r lanes have their top bit set.
alignas(32) inline constexpr std::int32_t avx2_tail_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                                       0,  0,  0,  0,  0,  0,  0,  0};

TESSERA_TARGET_AVX2 inline __m256i avx2_mask_ps(std::size_t r) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(avx2_tail_mask_table + 8 - r));
}

TESSERA_TARGET_AVX2 inline __m256i avx2_mask_pd(std::size_t r) noexcept {
    return avx2_mask_ps(2 * r);  // two 32-bit lanes per double
}

TESSERA_TARGET_AVX2 inline float avx2_hsum(__m256 v) noexcept {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TESSERA_TARGET_AVX2 inline double avx2_hsum(__m256d v) noexcept {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

// One generic body per metric for both float and double: the traits below supply the vector
// type and the operations, so each metric is written once.
struct avx2_f32 {
    using scalar = float;
    using vec = __m256;
    static constexpr std::size_t lanes = 8;
    TESSERA_TARGET_AVX2 static vec zero() noexcept { return _mm256_setzero_ps(); }
    TESSERA_TARGET_AVX2 static vec load(const float* p) noexcept { return _mm256_loadu_ps(p); }
    TESSERA_TARGET_AVX2 static vec load_tail(const float* p, std::size_t r) noexcept {
        return _mm256_maskload_ps(p, avx2_mask_ps(r));
    }
    TESSERA_TARGET_AVX2 static vec fma(vec a, vec b, vec c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    TESSERA_TARGET_AVX2 static vec add(vec a, vec b) noexcept { return _mm256_add_ps(a, b); }
    TESSERA_TARGET_AVX2 static vec sub(vec a, vec b) noexcept { return _mm256_sub_ps(a, b); }
    TESSERA_TARGET_AVX2 static vec abs(vec a) noexcept { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    TESSERA_TARGET_AVX2 static float sum(vec a) noexcept { return avx2_hsum(a); }
    TESSERA_TARGET_AVX2 static vec set1(float x) noexcept { return _mm256_set1_ps(x); }
    TESSERA_TARGET_AVX2 static void store(float* p, vec v) noexcept { _mm256_storeu_ps(p, v); }
};

struct avx2_f64 {
    using scalar = double;
    using vec = __m256d;
    static constexpr std::size_t lanes = 4;
    TESSERA_TARGET_AVX2 static vec zero() noexcept { return _mm256_setzero_pd(); }
    TESSERA_TARGET_AVX2 static vec load(const double* p) noexcept { return _mm256_loadu_pd(p); }
    TESSERA_TARGET_AVX2 static vec load_tail(const double* p, std::size_t r) noexcept {
        return _mm256_maskload_pd(p, avx2_mask_pd(r));
    }
    TESSERA_TARGET_AVX2 static vec fma(vec a, vec b, vec c) noexcept { return _mm256_fmadd_pd(a, b, c); }
    TESSERA_TARGET_AVX2 static vec add(vec a, vec b) noexcept { return _mm256_add_pd(a, b); }
    TESSERA_TARGET_AVX2 static vec sub(vec a, vec b) noexcept { return _mm256_sub_pd(a, b); }
    TESSERA_TARGET_AVX2 static vec abs(vec a) noexcept { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
    TESSERA_TARGET_AVX2 static double sum(vec a) noexcept { return avx2_hsum(a); }
    TESSERA_TARGET_AVX2 static vec set1(double x) noexcept { return _mm256_set1_pd(x); }
    TESSERA_TARGET_AVX2 static void store(double* p, vec v) noexcept { _mm256_storeu_pd(p, v); }
};

// Loads of 8 floats (4 doubles) from any element type, widened exactly: float and double as
// they are, bfloat16 by a 16-bit shift, half through F16C, int8 by sign extension. The _tail
// forms read only the first r < lanes elements and give zeros in the other lanes.
TESSERA_TARGET_AVX2 inline __m256 avx2_widen_load(const float* p) noexcept { return _mm256_loadu_ps(p); }
TESSERA_TARGET_AVX2 inline __m256d avx2_widen_load(const double* p) noexcept { return _mm256_loadu_pd(p); }
TESSERA_TARGET_AVX2 inline __m256 avx2_widen_load(const bfloat16* p) noexcept {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
TESSERA_TARGET_AVX2 inline __m256 avx2_widen_load(const half* p) noexcept {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
TESSERA_TARGET_AVX2 inline __m256 avx2_widen_load(const std::int8_t* p) noexcept {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
TESSERA_TARGET_AVX2 inline __m256 avx2_widen_load_tail(const float* p, std::size_t r) noexcept {
    return _mm256_maskload_ps(p, avx2_mask_ps(r));
}
TESSERA_TARGET_AVX2 inline __m256d avx2_widen_load_tail(const double* p, std::size_t r) noexcept {
    return _mm256_maskload_pd(p, avx2_mask_pd(r));
}
// Narrow types have no masked load: the r elements are copied into a zeroed block of 8.
template <class R>
TESSERA_TARGET_AVX2 inline __m256 avx2_widen_load_tail(const R* p, std::size_t r) noexcept {
    R block[8]{};
    for (std::size_t k = 0; k < r; ++k) block[k] = p[k];
    return avx2_widen_load(static_cast<const R*>(block));
}

// Accumulates step(acc, x, y) over the two arrays with four accumulators; used by dot, L2 and L1.
template <class V, class A, class B, class Step>
TESSERA_TARGET_AVX2 inline typename V::scalar avx2_reduce(const A* a, const B* b, std::size_t n, Step step) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    std::size_t i = 0;
    for (; i + 4 * w <= n; i += 4 * w) {
        s0 = step(s0, avx2_widen_load(a + i), avx2_widen_load(b + i));
        s1 = step(s1, avx2_widen_load(a + i + w), avx2_widen_load(b + i + w));
        s2 = step(s2, avx2_widen_load(a + i + 2 * w), avx2_widen_load(b + i + 2 * w));
        s3 = step(s3, avx2_widen_load(a + i + 3 * w), avx2_widen_load(b + i + 3 * w));
    }
    for (; i + w <= n; i += w) s0 = step(s0, avx2_widen_load(a + i), avx2_widen_load(b + i));
    if (i < n) s1 = step(s1, avx2_widen_load_tail(a + i, n - i), avx2_widen_load_tail(b + i, n - i));  // zeros add nothing
    return V::sum(V::add(V::add(s0, s1), V::add(s2, s3)));
}

// Per-metric steps (functors rather than lambdas, so they can carry the target attribute).
template <class V>
struct avx2_dot_step {
    TESSERA_TARGET_AVX2 typename V::vec operator()(typename V::vec s, typename V::vec x,
                                                   typename V::vec y) const noexcept {
        return V::fma(x, y, s);
    }
};

template <class V>
struct avx2_l2sq_step {
    TESSERA_TARGET_AVX2 typename V::vec operator()(typename V::vec s, typename V::vec x,
                                                   typename V::vec y) const noexcept {
        const typename V::vec d = V::sub(x, y);
        return V::fma(d, d, s);
    }
};

template <class V>
struct avx2_l1_step {
    TESSERA_TARGET_AVX2 typename V::vec operator()(typename V::vec s, typename V::vec x,
                                                   typename V::vec y) const noexcept {
        return V::add(s, V::abs(V::sub(x, y)));
    }
};

template <class V, class A, class B>
TESSERA_TARGET_AVX2 inline typename V::scalar dot_avx2(const A* a, const B* b, std::size_t n) noexcept {
    return avx2_reduce<V>(a, b, n, avx2_dot_step<V>{});
}

template <class V, class A, class B>
TESSERA_TARGET_AVX2 inline typename V::scalar l2sq_avx2(const A* a, const B* b, std::size_t n) noexcept {
    return avx2_reduce<V>(a, b, n, avx2_l2sq_step<V>{});
}

template <class V, class A, class B>
TESSERA_TARGET_AVX2 inline typename V::scalar l1_avx2(const A* a, const B* b, std::size_t n) noexcept {
    return avx2_reduce<V>(a, b, n, avx2_l1_step<V>{});
}

template <class V, class A, class B>
TESSERA_TARGET_AVX2 inline cosine_sums<typename V::scalar> cosine_avx2(const A* a, const B* b, std::size_t n) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec d0 = V::zero(), d1 = V::zero(), a0 = V::zero(), a1 = V::zero(), b0 = V::zero(), b1 = V::zero();
    std::size_t i = 0;
    for (; i + 2 * w <= n; i += 2 * w) {
        const auto x0 = avx2_widen_load(a + i), y0 = avx2_widen_load(b + i);
        const auto x1 = avx2_widen_load(a + i + w), y1 = avx2_widen_load(b + i + w);
        d0 = V::fma(x0, y0, d0);
        d1 = V::fma(x1, y1, d1);
        a0 = V::fma(x0, x0, a0);
        a1 = V::fma(x1, x1, a1);
        b0 = V::fma(y0, y0, b0);
        b1 = V::fma(y1, y1, b1);
    }
    for (; i < n; i += w) {
        const std::size_t r = n - i < w ? n - i : w;
        const auto x = r == w ? avx2_widen_load(a + i) : avx2_widen_load_tail(a + i, r);
        const auto y = r == w ? avx2_widen_load(b + i) : avx2_widen_load_tail(b + i, r);
        d0 = V::fma(x, y, d0);
        a0 = V::fma(x, x, a0);
        b0 = V::fma(y, y, b0);
    }
    return {V::sum(V::add(d0, d1)), V::sum(V::add(a0, a1)), V::sum(V::add(b0, b1))};
}

// Bit-packed vectors: the scalar POPCNT instruction, four words per step (AVX2 has no vector
// population count; POPCNT sustains one word per cycle per port on these CPUs).
TESSERA_TARGET_AVX2 inline std::uint64_t hamming_avx2(const std::uint64_t* a, const std::uint64_t* b,
                                                      std::size_t words) noexcept {
    std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= words; i += 4) {
        s0 += static_cast<std::uint64_t>(__builtin_popcountll(a[i] ^ b[i]));
        s1 += static_cast<std::uint64_t>(__builtin_popcountll(a[i + 1] ^ b[i + 1]));
        s2 += static_cast<std::uint64_t>(__builtin_popcountll(a[i + 2] ^ b[i + 2]));
        s3 += static_cast<std::uint64_t>(__builtin_popcountll(a[i + 3] ^ b[i + 3]));
    }
    for (; i < words; ++i) s0 += static_cast<std::uint64_t>(__builtin_popcountll(a[i] ^ b[i]));
    return (s0 + s1) + (s2 + s3);
}

TESSERA_TARGET_AVX2 inline bit_overlap jaccard_avx2(const std::uint64_t* a, const std::uint64_t* b,
                                                    std::size_t words) noexcept {
    std::uint64_t both0 = 0, both1 = 0, any0 = 0, any1 = 0;
    std::size_t i = 0;
    for (; i + 2 <= words; i += 2) {
        both0 += static_cast<std::uint64_t>(__builtin_popcountll(a[i] & b[i]));
        both1 += static_cast<std::uint64_t>(__builtin_popcountll(a[i + 1] & b[i + 1]));
        any0 += static_cast<std::uint64_t>(__builtin_popcountll(a[i] | b[i]));
        any1 += static_cast<std::uint64_t>(__builtin_popcountll(a[i + 1] | b[i + 1]));
    }
    if (i < words) {
        both0 += static_cast<std::uint64_t>(__builtin_popcountll(a[i] & b[i]));
        any0 += static_cast<std::uint64_t>(__builtin_popcountll(a[i] | b[i]));
    }
    return {both0 + both1, any0 + any1};
}

}  // namespace tessera::simd::detail

#endif  // TESSERA_ARCH_X86
