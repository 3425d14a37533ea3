// tessera/simd/detail/kernels_neon.hpp - AArch64 Advanced SIMD (NEON) kernels.
//
// Advanced SIMD is part of the AArch64 base architecture: every AArch64 CPU has it and
// compilers enable it by default, so unlike the x86 kernels these functions need no target
// attribute, and cpu.hpp reports the level as always supported on AArch64. The whole header is
// empty on other architectures.
//
// Shape of every reduction: four independent vector accumulators over 4 x 4 floats (4 x 2
// doubles) per step, a single-vector loop, then a scalar loop over the last n % lanes elements
// (NEON has no masked loads, and a full-width load there could read past the end of the array
// and fault at a page boundary). The scalar tail uses fused multiply-adds like the vector body.
#pragma once

#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/kernels_scalar.hpp"

#if TESSERA_ARCH_ARM64

#include <arm_neon.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tessera::simd::detail {

// One generic body per metric for both float and double: the traits supply the vector type
// and the operations, so each metric is written once.
struct neon_f32 {
    using scalar = float;
    using vec = float32x4_t;
    static constexpr std::size_t lanes = 4;
    static vec zero() noexcept { return vdupq_n_f32(0.0f); }
    static vec load(const float* p) noexcept { return vld1q_f32(p); }
    static vec fma(vec a, vec b, vec c) noexcept { return vfmaq_f32(c, a, b); }  // a * b + c
    static vec add(vec a, vec b) noexcept { return vaddq_f32(a, b); }
    static vec sub(vec a, vec b) noexcept { return vsubq_f32(a, b); }
    static vec abs(vec a) noexcept { return vabsq_f32(a); }
    static float sum(vec a) noexcept { return vaddvq_f32(a); }
};

struct neon_f64 {
    using scalar = double;
    using vec = float64x2_t;
    static constexpr std::size_t lanes = 2;
    static vec zero() noexcept { return vdupq_n_f64(0.0); }
    static vec load(const double* p) noexcept { return vld1q_f64(p); }
    static vec fma(vec a, vec b, vec c) noexcept { return vfmaq_f64(c, a, b); }  // a * b + c
    static vec add(vec a, vec b) noexcept { return vaddq_f64(a, b); }
    static vec sub(vec a, vec b) noexcept { return vsubq_f64(a, b); }
    static vec abs(vec a) noexcept { return vabsq_f64(a); }
    static double sum(vec a) noexcept { return vaddvq_f64(a); }
};

template <class T>
using neon_of = std::conditional_t<std::is_same_v<T, float>, neon_f32, neon_f64>;

// Per-metric steps, each for a whole vector and for one element of the tail.
template <class V>
struct neon_dot_step {
    using vec = typename V::vec;
    using scalar = typename V::scalar;
    vec operator()(vec s, vec x, vec y) const noexcept { return V::fma(x, y, s); }
    scalar operator()(scalar s, scalar x, scalar y) const noexcept { return std::fma(x, y, s); }
};

template <class V>
struct neon_l2sq_step {
    using vec = typename V::vec;
    using scalar = typename V::scalar;
    vec operator()(vec s, vec x, vec y) const noexcept {
        const vec d = V::sub(x, y);
        return V::fma(d, d, s);
    }
    scalar operator()(scalar s, scalar x, scalar y) const noexcept {
        const scalar d = x - y;
        return std::fma(d, d, s);
    }
};

template <class V>
struct neon_l1_step {
    using vec = typename V::vec;
    using scalar = typename V::scalar;
    vec operator()(vec s, vec x, vec y) const noexcept { return V::add(s, V::abs(V::sub(x, y))); }
    scalar operator()(scalar s, scalar x, scalar y) const noexcept { return s + std::abs(x - y); }
};

// Accumulates step(acc, x, y) over the two arrays with four accumulators; used by dot, L2 and L1.
template <class V, class Step>
inline typename V::scalar neon_reduce(const typename V::scalar* a, const typename V::scalar* b, std::size_t n,
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
    typename V::scalar tail = 0;
    for (; i < n; ++i) tail = step(tail, a[i], b[i]);
    return V::sum(V::add(V::add(s0, s1), V::add(s2, s3))) + tail;
}

template <class T>
[[nodiscard]] inline T dot_neon(const T* a, const T* b, std::size_t n) noexcept {
    return neon_reduce<neon_of<T>>(a, b, n, neon_dot_step<neon_of<T>>{});
}

template <class T>
[[nodiscard]] inline T l2sq_neon(const T* a, const T* b, std::size_t n) noexcept {
    return neon_reduce<neon_of<T>>(a, b, n, neon_l2sq_step<neon_of<T>>{});
}

template <class T>
[[nodiscard]] inline T l1_neon(const T* a, const T* b, std::size_t n) noexcept {
    return neon_reduce<neon_of<T>>(a, b, n, neon_l1_step<neon_of<T>>{});
}

template <class T>
[[nodiscard]] inline cosine_sums<T> cosine_neon(const T* a, const T* b, std::size_t n) noexcept {
    using V = neon_of<T>;
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
    for (; i + w <= n; i += w) {
        const auto x = V::load(a + i), y = V::load(b + i);
        d0 = V::fma(x, y, d0);
        a0 = V::fma(x, x, a0);
        b0 = V::fma(y, y, b0);
    }
    T dt = 0, at = 0, bt = 0;
    for (; i < n; ++i) {
        dt = std::fma(a[i], b[i], dt);
        at = std::fma(a[i], a[i], at);
        bt = std::fma(b[i], b[i], bt);
    }
    return {V::sum(V::add(d0, d1)) + dt, V::sum(V::add(a0, a1)) + at, V::sum(V::add(b0, b1)) + bt};
}

// Bit-packed vectors: vcntq_u8 counts the bits of each byte (at most 8). Four vectors of two
// words are added bytewise (at most 32 per byte, no overflow), then widened by pairwise adds
// to 16, 32 and 64 bits (vpadalq_u32 adds into the 64-bit accumulator), so every count is exact.
inline uint8x16_t neon_popcount_bytes(uint64x2_t v) noexcept { return vcntq_u8(vreinterpretq_u8_u64(v)); }

inline uint64x2_t neon_accumulate_bytes(uint64x2_t acc, uint8x16_t counts) noexcept {
    return vpadalq_u32(acc, vpaddlq_u16(vpaddlq_u8(counts)));
}

[[nodiscard]] inline std::uint64_t hamming_neon(const std::uint64_t* a, const std::uint64_t* b,
                                                std::size_t words) noexcept {
    uint64x2_t acc = vdupq_n_u64(0);
    std::size_t i = 0;
    for (; i + 8 <= words; i += 8) {
        const uint8x16_t c0 = neon_popcount_bytes(veorq_u64(vld1q_u64(a + i), vld1q_u64(b + i)));
        const uint8x16_t c1 = neon_popcount_bytes(veorq_u64(vld1q_u64(a + i + 2), vld1q_u64(b + i + 2)));
        const uint8x16_t c2 = neon_popcount_bytes(veorq_u64(vld1q_u64(a + i + 4), vld1q_u64(b + i + 4)));
        const uint8x16_t c3 = neon_popcount_bytes(veorq_u64(vld1q_u64(a + i + 6), vld1q_u64(b + i + 6)));
        acc = neon_accumulate_bytes(acc, vaddq_u8(vaddq_u8(c0, c1), vaddq_u8(c2, c3)));
    }
    for (; i + 2 <= words; i += 2) {
        acc = neon_accumulate_bytes(acc, neon_popcount_bytes(veorq_u64(vld1q_u64(a + i), vld1q_u64(b + i))));
    }
    std::uint64_t s = vaddvq_u64(acc);
    if (i < words) s += static_cast<std::uint64_t>(std::popcount(a[i] ^ b[i]));
    return s;
}

[[nodiscard]] inline bit_overlap jaccard_neon(const std::uint64_t* a, const std::uint64_t* b,
                                              std::size_t words) noexcept {
    uint64x2_t both = vdupq_n_u64(0), any = vdupq_n_u64(0);
    std::size_t i = 0;
    for (; i + 4 <= words; i += 4) {
        const uint64x2_t x0 = vld1q_u64(a + i), y0 = vld1q_u64(b + i);
        const uint64x2_t x1 = vld1q_u64(a + i + 2), y1 = vld1q_u64(b + i + 2);
        both = neon_accumulate_bytes(
            both, vaddq_u8(neon_popcount_bytes(vandq_u64(x0, y0)), neon_popcount_bytes(vandq_u64(x1, y1))));
        any = neon_accumulate_bytes(
            any, vaddq_u8(neon_popcount_bytes(vorrq_u64(x0, y0)), neon_popcount_bytes(vorrq_u64(x1, y1))));
    }
    for (; i + 2 <= words; i += 2) {
        const uint64x2_t x = vld1q_u64(a + i), y = vld1q_u64(b + i);
        both = neon_accumulate_bytes(both, neon_popcount_bytes(vandq_u64(x, y)));
        any = neon_accumulate_bytes(any, neon_popcount_bytes(vorrq_u64(x, y)));
    }
    std::uint64_t both_s = vaddvq_u64(both), any_s = vaddvq_u64(any);
    if (i < words) {
        both_s += static_cast<std::uint64_t>(std::popcount(a[i] & b[i]));
        any_s += static_cast<std::uint64_t>(std::popcount(a[i] | b[i]));
    }
    return {both_s, any_s};
}

}  // namespace tessera::simd::detail

#endif  // TESSERA_ARCH_ARM64
