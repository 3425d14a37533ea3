// tessera/simd/detail/kernels_avx512.hpp - AVX-512 F/BW/VL/DQ kernels (x86-64), compiled in any
// build through target attributes and run only where cpu.hpp found CPU and OS support.
//
// Same shape as the AVX2 kernels with 16 floats (8 doubles) per vector; the last partial vector
// is read with a masked load, which suppresses faults on the masked-out lanes.
#pragma once

#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/kernels_avx2.hpp"
#include "tessera/simd/detail/kernels_scalar.hpp"

#if TESSERA_ARCH_X86

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt")))
#else
#define TESSERA_TARGET_AVX512
#endif

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
    TESSERA_TARGET_AVX512 static vec load_tail(const float* p, std::size_t r) noexcept {
        return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << r) - 1u), p);
    }
    TESSERA_TARGET_AVX512 static vec fma(vec a, vec b, vec c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    TESSERA_TARGET_AVX512 static vec add(vec a, vec b) noexcept { return _mm512_add_ps(a, b); }
    TESSERA_TARGET_AVX512 static vec sub(vec a, vec b) noexcept { return _mm512_sub_ps(a, b); }
    TESSERA_TARGET_AVX512 static vec abs(vec a) noexcept { return _mm512_abs_ps(a); }
    TESSERA_TARGET_AVX512 static float sum(vec a) noexcept { return avx512_hsum(a); }
};

struct avx512_f64 {
    using scalar = double;
    using vec = __m512d;
    static constexpr std::size_t lanes = 8;
    TESSERA_TARGET_AVX512 static vec zero() noexcept { return _mm512_setzero_pd(); }
    TESSERA_TARGET_AVX512 static vec load(const double* p) noexcept { return _mm512_loadu_pd(p); }
    TESSERA_TARGET_AVX512 static vec load_tail(const double* p, std::size_t r) noexcept {
        return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << r) - 1u), p);
    }
    TESSERA_TARGET_AVX512 static vec fma(vec a, vec b, vec c) noexcept { return _mm512_fmadd_pd(a, b, c); }
    TESSERA_TARGET_AVX512 static vec add(vec a, vec b) noexcept { return _mm512_add_pd(a, b); }
    TESSERA_TARGET_AVX512 static vec sub(vec a, vec b) noexcept { return _mm512_sub_pd(a, b); }
    TESSERA_TARGET_AVX512 static vec abs(vec a) noexcept { return _mm512_abs_pd(a); }
    TESSERA_TARGET_AVX512 static double sum(vec a) noexcept { return avx512_hsum(a); }
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

template <class V, class Step>
TESSERA_TARGET_AVX512 inline typename V::scalar avx512_reduce(const typename V::scalar* a,
                                                              const typename V::scalar* b, std::size_t n,
                                                              Step step) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    std::size_t i = 0;
    for (; i + 4 * w <= n; i += 4 * w) {
        s0 = step(s0, V::load(a + i), V::load(b + i));
        s1 = step(s1, V::load(a + i + w), V::load(b + i + w));
        s2 = step(s2, V::load(a + i + 2 * w), V::load(b + i + 2 * w));
        s3 = step(s3, V::load(a + i + 3 * w), V::load(b + i + 3 * w));
    }
    for (; i + w <= n; i += w) s0 = step(s0, V::load(a + i), V::load(b + i));
    if (i < n) s1 = step(s1, V::load_tail(a + i, n - i), V::load_tail(b + i, n - i));
    return V::sum(V::add(V::add(s0, s1), V::add(s2, s3)));
}

template <class V>
TESSERA_TARGET_AVX512 inline typename V::scalar dot_avx512(const typename V::scalar* a,
                                                           const typename V::scalar* b, std::size_t n) noexcept {
    return avx512_reduce<V>(a, b, n, avx512_dot_step<V>{});
}

template <class V>
TESSERA_TARGET_AVX512 inline typename V::scalar l2sq_avx512(const typename V::scalar* a,
                                                            const typename V::scalar* b, std::size_t n) noexcept {
    return avx512_reduce<V>(a, b, n, avx512_l2sq_step<V>{});
}

template <class V>
TESSERA_TARGET_AVX512 inline typename V::scalar l1_avx512(const typename V::scalar* a,
                                                          const typename V::scalar* b, std::size_t n) noexcept {
    return avx512_reduce<V>(a, b, n, avx512_l1_step<V>{});
}

template <class V>
TESSERA_TARGET_AVX512 inline cosine_sums<typename V::scalar> cosine_avx512(const typename V::scalar* a,
                                                                          const typename V::scalar* b,
                                                                          std::size_t n) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec d0 = V::zero(), d1 = V::zero(), a0 = V::zero(), a1 = V::zero(), b0 = V::zero(), b1 = V::zero();
    std::size_t i = 0;
    for (; i + 2 * w <= n; i += 2 * w) {
        const auto x0 = V::load(a + i), y0 = V::load(b + i);
        const auto x1 = V::load(a + i + w), y1 = V::load(b + i + w);
        d0 = V::fma(x0, y0, d0);
        d1 = V::fma(x1, y1, d1);
        a0 = V::fma(x0, x0, a0);
        a1 = V::fma(x1, x1, a1);
        b0 = V::fma(y0, y0, b0);
        b1 = V::fma(y1, y1, b1);
    }
    for (; i < n; i += w) {
        const std::size_t r = n - i < w ? n - i : w;
        const auto x = r == w ? V::load(a + i) : V::load_tail(a + i, r);
        const auto y = r == w ? V::load(b + i) : V::load_tail(b + i, r);
        d0 = V::fma(x, y, d0);
        a0 = V::fma(x, x, a0);
        b0 = V::fma(y, y, b0);
    }
    return {V::sum(V::add(d0, d1)), V::sum(V::add(a0, a1)), V::sum(V::add(b0, b1))};
}

}  // namespace tessera::simd::detail

#endif  // TESSERA_ARCH_X86
