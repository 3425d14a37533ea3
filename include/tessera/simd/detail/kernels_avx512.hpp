// tessera/simd/detail/kernels_avx512.hpp - AVX-512 F/BW/VL/DQ kernels (x86-64), compiled in any
// build through target attributes and run only where cpu.hpp found CPU and OS support.
//
// Same shape as the AVX2 kernels with 16 floats (8 doubles) per vector; the last partial vector
// is read with a masked load, which suppresses faults on the masked-out lanes. Narrow element
// types (bfloat16, half, int8) are widened exactly to float on load, so a mixed-pair result
// equals the float kernel's on the widened vectors at this level too.
#pragma once

#include "tessera/core/half.hpp"
#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/kernels_avx2.hpp"
#include "tessera/simd/detail/kernels_scalar.hpp"
#include "tessera/simd/detail/x86.hpp"

#if TESSERA_ARCH_X86

#include <cstddef>
#include <cstdint>

namespace tessera::simd::detail {

// Horizontal sums: fold the upper 256 bits onto the lower, then finish in AVX. The zero-masked
// forms of the shuffle and the extract are used on purpose: GCC 12 implements the unmasked ones
// (and _mm512_reduce_add_*) through _mm512_undefined_*, which trips a false -Wuninitialized.
TESSERA_TARGET_AVX512 inline float avx512_hsum(__m512 v) noexcept {
    const __m512 swapped = _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E);  // 256-bit halves exchanged
    return avx2_hsum(_mm512_maskz_extractf32x8_ps(0xFF, _mm512_add_ps(v, swapped), 0));
}

TESSERA_TARGET_AVX512 inline double avx512_hsum(__m512d v) noexcept {
    const __m512d swapped = _mm512_maskz_shuffle_f64x2(0xFF, v, v, 0x4E);
    return avx2_hsum(_mm512_maskz_extractf64x4_pd(0xF, _mm512_add_pd(v, swapped), 0));
}

struct avx512_f32 {
    using scalar = float;
    using vec = __m512;
    static constexpr std::size_t lanes = 16;
    TESSERA_TARGET_AVX512 static vec zero() noexcept { return _mm512_setzero_ps(); }
    TESSERA_TARGET_AVX512 static vec load(const float* p) noexcept { return _mm512_loadu_ps(p); }
    TESSERA_TARGET_AVX512 static vec fma(vec a, vec b, vec c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    TESSERA_TARGET_AVX512 static vec add(vec a, vec b) noexcept { return _mm512_add_ps(a, b); }
    TESSERA_TARGET_AVX512 static vec sub(vec a, vec b) noexcept { return _mm512_sub_ps(a, b); }
    TESSERA_TARGET_AVX512 static vec abs(vec a) noexcept { return _mm512_abs_ps(a); }
    TESSERA_TARGET_AVX512 static float sum(vec a) noexcept { return avx512_hsum(a); }
    TESSERA_TARGET_AVX512 static vec set1(float x) noexcept { return _mm512_set1_ps(x); }
    TESSERA_TARGET_AVX512 static void store(float* p, vec v) noexcept { _mm512_storeu_ps(p, v); }
};

struct avx512_f64 {
    using scalar = double;
    using vec = __m512d;
    static constexpr std::size_t lanes = 8;
    TESSERA_TARGET_AVX512 static vec zero() noexcept { return _mm512_setzero_pd(); }
    TESSERA_TARGET_AVX512 static vec load(const double* p) noexcept { return _mm512_loadu_pd(p); }
    TESSERA_TARGET_AVX512 static vec fma(vec a, vec b, vec c) noexcept { return _mm512_fmadd_pd(a, b, c); }
    TESSERA_TARGET_AVX512 static vec add(vec a, vec b) noexcept { return _mm512_add_pd(a, b); }
    TESSERA_TARGET_AVX512 static vec sub(vec a, vec b) noexcept { return _mm512_sub_pd(a, b); }
    TESSERA_TARGET_AVX512 static vec abs(vec a) noexcept { return _mm512_abs_pd(a); }
    TESSERA_TARGET_AVX512 static double sum(vec a) noexcept { return avx512_hsum(a); }
    TESSERA_TARGET_AVX512 static vec set1(double x) noexcept { return _mm512_set1_pd(x); }
    TESSERA_TARGET_AVX512 static void store(double* p, vec v) noexcept { _mm512_storeu_pd(p, v); }
};

template <class V>
struct avx512_dot_step {
    TESSERA_TARGET_AVX512 typename V::vec operator()(typename V::vec s, typename V::vec x,
                                                     typename V::vec y) const noexcept {
        return V::fma(x, y, s);
    }
};

template <class V>
struct avx512_l2sq_step {
    TESSERA_TARGET_AVX512 typename V::vec operator()(typename V::vec s, typename V::vec x,
                                                     typename V::vec y) const noexcept {
        const typename V::vec d = V::sub(x, y);
        return V::fma(d, d, s);
    }
};

template <class V>
struct avx512_l1_step {
    TESSERA_TARGET_AVX512 typename V::vec operator()(typename V::vec s, typename V::vec x,
                                                     typename V::vec y) const noexcept {
        return V::add(s, V::abs(V::sub(x, y)));
    }
};

// Loads of 16 floats (8 doubles) from any element type, widened exactly, as avx2_widen_load
// does at half the width. The _tail forms read only the first r < lanes elements (masked loads
// suppress faults on the other lanes) and give zeros in the other lanes.
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load(const float* p) noexcept { return _mm512_loadu_ps(p); }
TESSERA_TARGET_AVX512 inline __m512d avx512_widen_load(const double* p) noexcept { return _mm512_loadu_pd(p); }
// The conversions use the zero-masked intrinsics with every lane selected: GCC 12 implements
// the unmasked ones through _mm512_undefined_*, which trips a false -Wmaybe-uninitialized.
inline constexpr __mmask16 avx512_all16 = 0xFFFF;

TESSERA_TARGET_AVX512 inline __m512 avx512_bf16_to_f32(__m256i bits) noexcept {
    return _mm512_castsi512_ps(
        _mm512_maskz_slli_epi32(avx512_all16, _mm512_maskz_cvtepu16_epi32(avx512_all16, bits), 16));
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load(const bfloat16* p) noexcept {
    return avx512_bf16_to_f32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load(const half* p) noexcept {
    return _mm512_maskz_cvtph_ps(avx512_all16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load(const std::int8_t* p) noexcept {
    return _mm512_maskz_cvtepi32_ps(avx512_all16, 
        _mm512_maskz_cvtepi8_epi32(avx512_all16, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
TESSERA_TARGET_AVX512 inline __mmask16 avx512_mask16(std::size_t r) noexcept {
    return static_cast<__mmask16>((1u << r) - 1u);
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load_tail(const float* p, std::size_t r) noexcept {
    return _mm512_maskz_loadu_ps(avx512_mask16(r), p);
}
TESSERA_TARGET_AVX512 inline __m512d avx512_widen_load_tail(const double* p, std::size_t r) noexcept {
    return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << r) - 1u), p);
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load_tail(const bfloat16* p, std::size_t r) noexcept {
    return avx512_bf16_to_f32(_mm256_maskz_loadu_epi16(avx512_mask16(r), p));
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load_tail(const half* p, std::size_t r) noexcept {
    return _mm512_maskz_cvtph_ps(avx512_all16, _mm256_maskz_loadu_epi16(avx512_mask16(r), p));
}
TESSERA_TARGET_AVX512 inline __m512 avx512_widen_load_tail(const std::int8_t* p, std::size_t r) noexcept {
    return _mm512_maskz_cvtepi32_ps(avx512_all16, _mm512_maskz_cvtepi8_epi32(avx512_all16, _mm_maskz_loadu_epi8(avx512_mask16(r), p)));
}

// Accumulates step(acc, x, y) over the two arrays with four accumulators; used by dot, L2 and L1.
template <class V, class A, class B, class Step>
TESSERA_TARGET_AVX512 inline typename V::scalar avx512_reduce(const A* a, const B* b, std::size_t n,
                                                              Step step) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    std::size_t i = 0;
    for (; i + 4 * w <= n; i += 4 * w) {
        s0 = step(s0, avx512_widen_load(a + i), avx512_widen_load(b + i));
        s1 = step(s1, avx512_widen_load(a + i + w), avx512_widen_load(b + i + w));
        s2 = step(s2, avx512_widen_load(a + i + 2 * w), avx512_widen_load(b + i + 2 * w));
        s3 = step(s3, avx512_widen_load(a + i + 3 * w), avx512_widen_load(b + i + 3 * w));
    }
    for (; i + w <= n; i += w) s0 = step(s0, avx512_widen_load(a + i), avx512_widen_load(b + i));
    if (i < n) s1 = step(s1, avx512_widen_load_tail(a + i, n - i), avx512_widen_load_tail(b + i, n - i));
    return V::sum(V::add(V::add(s0, s1), V::add(s2, s3)));
}

template <class V, class A, class B>
TESSERA_TARGET_AVX512 inline typename V::scalar dot_avx512(const A* a, const B* b, std::size_t n) noexcept {
    return avx512_reduce<V>(a, b, n, avx512_dot_step<V>{});
}

template <class V, class A, class B>
TESSERA_TARGET_AVX512 inline typename V::scalar l2sq_avx512(const A* a, const B* b, std::size_t n) noexcept {
    return avx512_reduce<V>(a, b, n, avx512_l2sq_step<V>{});
}

template <class V, class A, class B>
TESSERA_TARGET_AVX512 inline typename V::scalar l1_avx512(const A* a, const B* b, std::size_t n) noexcept {
    return avx512_reduce<V>(a, b, n, avx512_l1_step<V>{});
}

template <class V, class A, class B>
TESSERA_TARGET_AVX512 inline cosine_sums<typename V::scalar> cosine_avx512(const A* a, const B* b,
                                                                          std::size_t n) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec d0 = V::zero(), d1 = V::zero(), a0 = V::zero(), a1 = V::zero(), b0 = V::zero(), b1 = V::zero();
    std::size_t i = 0;
    for (; i + 2 * w <= n; i += 2 * w) {
        const auto x0 = avx512_widen_load(a + i), y0 = avx512_widen_load(b + i);
        const auto x1 = avx512_widen_load(a + i + w), y1 = avx512_widen_load(b + i + w);
        d0 = V::fma(x0, y0, d0);
        d1 = V::fma(x1, y1, d1);
        a0 = V::fma(x0, x0, a0);
        a1 = V::fma(x1, x1, a1);
        b0 = V::fma(y0, y0, b0);
        b1 = V::fma(y1, y1, b1);
    }
    for (; i < n; i += w) {
        const std::size_t r = n - i < w ? n - i : w;
        const auto x = r == w ? avx512_widen_load(a + i) : avx512_widen_load_tail(a + i, r);
        const auto y = r == w ? avx512_widen_load(b + i) : avx512_widen_load_tail(b + i, r);
        d0 = V::fma(x, y, d0);
        a0 = V::fma(x, x, a0);
        b0 = V::fma(y, y, b0);
    }
    return {V::sum(V::add(d0, d1)), V::sum(V::add(a0, a1)), V::sum(V::add(b0, b1))};
}

// bfloat16 x bfloat16 with the AVX512-BF16 dot-product instruction (vdpbf16ps), 32 pairs per
// instruction against 16 for widening: each instruction adds, per float lane, the two exact
// products of two adjacent pairs, rounding after each addition. The error bound of kernels.hpp
// holds (a different summation order); in addition the instruction treats subnormal inputs and
// results as zero, which adds at most 2^-126 per operation (float's smallest normal).
TESSERA_TARGET_AVX512_BF16 inline __m512bh avx512_load_bf16_pairs(const bfloat16* p) noexcept {
    return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
}

TESSERA_TARGET_AVX512_BF16 inline __m512bh avx512_load_bf16_pairs_tail(const bfloat16* p, std::size_t r) noexcept {
    const __mmask32 mask = static_cast<__mmask32>((std::uint64_t{1} << r) - 1u);
    return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, p));
}

TESSERA_TARGET_AVX512_BF16 inline float dot_avx512_bf16(const bfloat16* a, const bfloat16* b, std::size_t n) noexcept {
    constexpr std::size_t w = 32;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 4 * w <= n; i += 4 * w) {
        s0 = _mm512_dpbf16_ps(s0, avx512_load_bf16_pairs(a + i), avx512_load_bf16_pairs(b + i));
        s1 = _mm512_dpbf16_ps(s1, avx512_load_bf16_pairs(a + i + w), avx512_load_bf16_pairs(b + i + w));
        s2 = _mm512_dpbf16_ps(s2, avx512_load_bf16_pairs(a + i + 2 * w), avx512_load_bf16_pairs(b + i + 2 * w));
        s3 = _mm512_dpbf16_ps(s3, avx512_load_bf16_pairs(a + i + 3 * w), avx512_load_bf16_pairs(b + i + 3 * w));
    }
    for (; i + w <= n; i += w) s0 = _mm512_dpbf16_ps(s0, avx512_load_bf16_pairs(a + i), avx512_load_bf16_pairs(b + i));
    if (i < n) {
        s1 = _mm512_dpbf16_ps(s1, avx512_load_bf16_pairs_tail(a + i, n - i), avx512_load_bf16_pairs_tail(b + i, n - i));
    }
    return avx512_hsum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

TESSERA_TARGET_AVX512_BF16 inline cosine_sums<float> cosine_avx512_bf16(const bfloat16* a, const bfloat16* b,
                                                                       std::size_t n) noexcept {
    constexpr std::size_t w = 32;
    __m512 d = _mm512_setzero_ps(), na = _mm512_setzero_ps(), nb = _mm512_setzero_ps();
    for (std::size_t i = 0; i < n; i += w) {
        const std::size_t r = n - i < w ? n - i : w;
        const __m512bh x = r == w ? avx512_load_bf16_pairs(a + i) : avx512_load_bf16_pairs_tail(a + i, r);
        const __m512bh y = r == w ? avx512_load_bf16_pairs(b + i) : avx512_load_bf16_pairs_tail(b + i, r);
        d = _mm512_dpbf16_ps(d, x, y);
        na = _mm512_dpbf16_ps(na, x, x);
        nb = _mm512_dpbf16_ps(nb, y, y);
    }
    return {avx512_hsum(d), avx512_hsum(na), avx512_hsum(nb)};
}

}  // namespace tessera::simd::detail

#endif  // TESSERA_ARCH_X86
