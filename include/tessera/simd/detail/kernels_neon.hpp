// tessera/simd/detail/kernels_neon.hpp - AArch64 Advanced SIMD (NEON) kernels.
//
// Advanced SIMD is part of the AArch64 base architecture: every AArch64 CPU has it and
// compilers enable it by default, so unlike the x86 kernels these functions need no target
// attribute, and cpu.hpp reports the level as always supported on AArch64. The whole header is
// empty on other architectures.
//
// Shape of every floating-point reduction: four independent vector accumulators over 4 x 4
// floats (4 x 2 doubles) per step, a single-vector loop, then a scalar loop over the last
// n % lanes elements (NEON has no masked loads, and a full-width load there could read past the
// end of the array and fault at a page boundary). The scalar tail uses fused multiply-adds like
// the vector body. Mixed element types (a float query against bfloat16, half or int8 rows,
// 16-bit x 16-bit) run the same bodies on elements widened exactly to float, so their results
// equal the float kernels' on the widened vectors bit for bit.
//
// Exact int8 / uint8 kernels: 16 elements per step. Products (vmull) and squared absolute
// differences (vabd, then vmull: |a - b| <= 255 fits a byte for either signedness) are added
// pairwise into 32-bit lanes (vpadal); absolute differences for L1 are widened into 16-bit
// lanes (vaddw). Two accumulators (low and high 8 elements) are flushed into a 64-bit total
// every 256 steps, before any lane could overflow: a 16-bit L1 lane gains at most 255 per step
// (256 * 255 < 2^16), a 32-bit lane at most 2 * 255^2 = 130,050 (256 * 130,050 < 2^31). The
// total is exact for any length (n < 2^47, far beyond memory).
#pragma once

#include "tessera/core/half.hpp"
#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/kernels_int8.hpp"
#include "tessera/simd/detail/kernels_scalar.hpp"

#if TESSERA_ARCH_ARM64

#include <arm_neon.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tessera::simd::detail {

// One generic body per metric for both float and double: the traits supply the vector type
// and the operations, so each metric is written once.
struct neon_f32 {
    using scalar = float;
    using vec = float32x4_t;
    static constexpr std::size_t lanes = 4;
    static vec zero() noexcept { return vdupq_n_f32(0.0f); }
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
    static vec fma(vec a, vec b, vec c) noexcept { return vfmaq_f64(c, a, b); }  // a * b + c
    static vec add(vec a, vec b) noexcept { return vaddq_f64(a, b); }
    static vec sub(vec a, vec b) noexcept { return vsubq_f64(a, b); }
    static vec abs(vec a) noexcept { return vabsq_f64(a); }
    static double sum(vec a) noexcept { return vaddvq_f64(a); }
};

template <class T>
using neon_of = std::conditional_t<std::is_same_v<T, float>, neon_f32, neon_f64>;

// Loads of one vector (4 floats, 2 doubles) from any element type, widened exactly: float and
// double as they are, bfloat16 by a 16-bit shift, half by vcvt (subnormals and infinities
// included; a NaN stays a NaN), int8 by sign extension. Narrow elements are copied with memcpy,
// which reads exactly the vector's elements (never past the end of the array) and does not
// access the 16-bit classes through another type.
inline float32x4_t neon_widen_load(const float* p) noexcept { return vld1q_f32(p); }
inline float64x2_t neon_widen_load(const double* p) noexcept { return vld1q_f64(p); }

template <class R>
    requires(std::is_same_v<R, bfloat16> || std::is_same_v<R, half>)
inline uint16x4_t neon_load_bits4(const R* p) noexcept {
    uint16x4_t bits;
    std::memcpy(&bits, p, sizeof(bits));
    return bits;
}

inline float32x4_t neon_widen_load(const bfloat16* p) noexcept {
    return vreinterpretq_f32_u32(vshll_n_u16(neon_load_bits4(p), 16));
}
inline float32x4_t neon_widen_load(const half* p) noexcept {
    return vcvt_f32_f16(vreinterpret_f16_u16(neon_load_bits4(p)));
}

inline std::array<float32x4_t, 2> neon_widen_bytes(int8x8_t bytes) noexcept {
    const int16x8_t h = vmovl_s8(bytes);
    return {vcvtq_f32_s32(vmovl_s16(vget_low_s16(h))), vcvtq_f32_s32(vmovl_high_s16(h))};
}
inline float32x4_t neon_widen_load(const std::int8_t* p) noexcept {
    int8x8_t bytes = vdup_n_s8(0);
    std::memcpy(&bytes, p, 4);
    return neon_widen_bytes(bytes)[0];
}

// Two and four consecutive vectors, for the loop bodies. There int8 is read 8 bytes at a time:
// the 4-byte copy above compiles to a trip through a general-purpose register.
template <class T>
inline auto neon_widen_load2(const T* p) noexcept {
    constexpr std::size_t w = 16 / sizeof(widened_t<T, T>);
    return std::array{neon_widen_load(p), neon_widen_load(p + w)};
}
inline std::array<float32x4_t, 2> neon_widen_load2(const std::int8_t* p) noexcept {
    return neon_widen_bytes(vld1_s8(p));
}
template <class T>
inline auto neon_widen_load4(const T* p) noexcept {
    constexpr std::size_t w = 16 / sizeof(widened_t<T, T>);
    const auto lo = neon_widen_load2(p), hi = neon_widen_load2(p + 2 * w);
    return std::array{lo[0], lo[1], hi[0], hi[1]};
}

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
template <class V, class A, class B, class Step>
inline typename V::scalar neon_reduce(const A* a, const B* b, std::size_t n, Step step) noexcept {
    constexpr std::size_t w = V::lanes;
    typename V::vec s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    std::size_t i = 0;
    for (; i + 4 * w <= n; i += 4 * w) {
        const auto x = neon_widen_load4(a + i);
        const auto y = neon_widen_load4(b + i);
        s0 = step(s0, x[0], y[0]);
        s1 = step(s1, x[1], y[1]);
        s2 = step(s2, x[2], y[2]);
        s3 = step(s3, x[3], y[3]);
    }
    for (; i + w <= n; i += w) s0 = step(s0, neon_widen_load(a + i), neon_widen_load(b + i));
    typename V::scalar tail = 0;
    for (; i < n; ++i) tail = step(tail, widen(a[i]), widen(b[i]));
    return V::sum(V::add(V::add(s0, s1), V::add(s2, s3))) + tail;
}

template <class A, class B>
[[nodiscard]] inline widened_t<A, B> dot_neon(const A* a, const B* b, std::size_t n) noexcept {
    using V = neon_of<widened_t<A, B>>;
    return neon_reduce<V>(a, b, n, neon_dot_step<V>{});
}

template <class A, class B>
[[nodiscard]] inline widened_t<A, B> l2sq_neon(const A* a, const B* b, std::size_t n) noexcept {
    using V = neon_of<widened_t<A, B>>;
    return neon_reduce<V>(a, b, n, neon_l2sq_step<V>{});
}

template <class A, class B>
[[nodiscard]] inline widened_t<A, B> l1_neon(const A* a, const B* b, std::size_t n) noexcept {
    using V = neon_of<widened_t<A, B>>;
    return neon_reduce<V>(a, b, n, neon_l1_step<V>{});
}

template <class A, class B>
[[nodiscard]] inline cosine_sums<widened_t<A, B>> cosine_neon(const A* a, const B* b, std::size_t n) noexcept {
    using T = widened_t<A, B>;
    using V = neon_of<T>;
    constexpr std::size_t w = V::lanes;
    typename V::vec d0 = V::zero(), d1 = V::zero(), a0 = V::zero(), a1 = V::zero(), b0 = V::zero(), b1 = V::zero();
    std::size_t i = 0;
    for (; i + 2 * w <= n; i += 2 * w) {
        const auto x = neon_widen_load2(a + i);
        const auto y = neon_widen_load2(b + i);
        d0 = V::fma(x[0], y[0], d0);
        d1 = V::fma(x[1], y[1], d1);
        a0 = V::fma(x[0], x[0], a0);
        a1 = V::fma(x[1], x[1], a1);
        b0 = V::fma(y[0], y[0], b0);
        b1 = V::fma(y[1], y[1], b1);
    }
    for (; i + w <= n; i += w) {
        const auto x = neon_widen_load(a + i), y = neon_widen_load(b + i);
        d0 = V::fma(x, y, d0);
        a0 = V::fma(x, x, a0);
        b0 = V::fma(y, y, b0);
    }
    T dt = 0, at = 0, bt = 0;
    for (; i < n; ++i) {
        const T x = widen(a[i]), y = widen(b[i]);
        dt = std::fma(x, y, dt);
        at = std::fma(x, x, at);
        bt = std::fma(y, y, bt);
    }
    return {V::sum(V::add(d0, d1)) + dt, V::sum(V::add(a0, a1)) + at, V::sum(V::add(b0, b1)) + bt};
}

// Exact int8 / uint8 kernels (bounds at the top). Each operation supplies its accumulator type,
// one step over 16 elements into the low and high accumulators, the flush of one accumulator
// and the scalar kernel for the last n % 16 elements.
inline int8x16_t neon_load_bytes(const std::int8_t* p) noexcept { return vld1q_s8(p); }
inline uint8x16_t neon_load_bytes(const std::uint8_t* p) noexcept { return vld1q_u8(p); }

inline uint8x16_t neon_absdiff_bytes(int8x16_t x, int8x16_t y) noexcept {
    return vreinterpretq_u8_s8(vabdq_s8(x, y));  // up to 255: read the byte as unsigned
}
inline uint8x16_t neon_absdiff_bytes(uint8x16_t x, uint8x16_t y) noexcept { return vabdq_u8(x, y); }

template <byte_element T>
struct neon_bytes_dot;

template <>
struct neon_bytes_dot<std::int8_t> {
    using acc = int32x4_t;
    static acc zero() noexcept { return vdupq_n_s32(0); }
    static void step(acc& lo, acc& hi, int8x16_t x, int8x16_t y) noexcept {
        lo = vpadalq_s16(lo, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
        hi = vpadalq_s16(hi, vmull_high_s8(x, y));
    }
    static std::int64_t flush(acc s) noexcept { return vaddlvq_s32(s); }
    static std::int64_t tail(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
        return dot_bytes_scalar(a, b, n);
    }
};

template <>
struct neon_bytes_dot<std::uint8_t> {
    using acc = uint32x4_t;
    static acc zero() noexcept { return vdupq_n_u32(0); }
    static void step(acc& lo, acc& hi, uint8x16_t x, uint8x16_t y) noexcept {
        lo = vpadalq_u16(lo, vmull_u8(vget_low_u8(x), vget_low_u8(y)));
        hi = vpadalq_u16(hi, vmull_high_u8(x, y));
    }
    static std::int64_t flush(acc s) noexcept { return static_cast<std::int64_t>(vaddlvq_u32(s)); }
    static std::int64_t tail(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
        return dot_bytes_scalar(a, b, n);
    }
};

template <byte_element T>
struct neon_bytes_l2sq {
    using acc = uint32x4_t;
    using bytes = decltype(neon_load_bytes(static_cast<const T*>(nullptr)));
    static acc zero() noexcept { return vdupq_n_u32(0); }
    static void step(acc& lo, acc& hi, bytes x, bytes y) noexcept {
        const uint8x16_t d = neon_absdiff_bytes(x, y);
        lo = vpadalq_u16(lo, vmull_u8(vget_low_u8(d), vget_low_u8(d)));
        hi = vpadalq_u16(hi, vmull_high_u8(d, d));
    }
    static std::int64_t flush(acc s) noexcept { return static_cast<std::int64_t>(vaddlvq_u32(s)); }
    static std::int64_t tail(const T* a, const T* b, std::size_t n) noexcept { return l2sq_bytes_scalar(a, b, n); }
};

template <byte_element T>
struct neon_bytes_l1 {
    using acc = uint16x8_t;
    using bytes = decltype(neon_load_bytes(static_cast<const T*>(nullptr)));
    static acc zero() noexcept { return vdupq_n_u16(0); }
    static void step(acc& lo, acc& hi, bytes x, bytes y) noexcept {
        const uint8x16_t d = neon_absdiff_bytes(x, y);
        lo = vaddw_u8(lo, vget_low_u8(d));
        hi = vaddw_high_u8(hi, d);
    }
    static std::int64_t flush(acc s) noexcept { return static_cast<std::int64_t>(vaddlvq_u16(s)); }
    static std::int64_t tail(const T* a, const T* b, std::size_t n) noexcept { return l1_bytes_scalar(a, b, n); }
};

template <class Op, byte_element T>
[[nodiscard]] inline std::int64_t neon_bytes(const T* a, const T* b, std::size_t n) noexcept {
    constexpr std::size_t flush_every = 256;  // steps of 16 elements between flushes (see top)
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i + 16 <= n) {
        typename Op::acc lo = Op::zero(), hi = Op::zero();
        for (std::size_t step = 0; step < flush_every && i + 16 <= n; ++step, i += 16) {
            Op::step(lo, hi, neon_load_bytes(a + i), neon_load_bytes(b + i));
        }
        total += Op::flush(lo) + Op::flush(hi);
    }
    return total + Op::tail(a + i, b + i, n - i);
}

template <byte_element T>
[[nodiscard]] inline std::int64_t dot_bytes_neon(const T* a, const T* b, std::size_t n) noexcept {
    return neon_bytes<neon_bytes_dot<T>>(a, b, n);
}

template <byte_element T>
[[nodiscard]] inline std::int64_t l2sq_bytes_neon(const T* a, const T* b, std::size_t n) noexcept {
    return neon_bytes<neon_bytes_l2sq<T>>(a, b, n);
}

template <byte_element T>
[[nodiscard]] inline std::int64_t l1_bytes_neon(const T* a, const T* b, std::size_t n) noexcept {
    return neon_bytes<neon_bytes_l1<T>>(a, b, n);
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
