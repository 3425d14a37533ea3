// tessera/simd/detail/kernels_scalar.hpp - portable kernels: the fallback on every CPU and the
// reference the SIMD levels are tested against. Four independent accumulators, combined in a
// fixed order, so results are deterministic and the summation error grows like n/4, not n.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tessera/core/half.hpp"

namespace tessera::simd::detail {

// Every kernel reads its elements through widen(), so one body serves float and double inputs
// and the mixed cases (a float query against bfloat16, half or int8 rows, 16-bit x 16-bit):
// narrow elements are converted exactly to float, and the sum runs as for float inputs.
constexpr float widen(float x) noexcept { return x; }
constexpr double widen(double x) noexcept { return x; }
constexpr float widen(bfloat16 x) noexcept { return to_float(x); }
constexpr float widen(half x) noexcept { return to_float(x); }
constexpr float widen(std::int8_t x) noexcept { return static_cast<float>(x); }

/// The accumulation type of a kernel over elements A and B.
template <class A, class B>
using widened_t = decltype(widen(A{}) * widen(B{}));

/// dot, ||a||^2 and ||b||^2 of one pass, for cosine.
template <class T>
struct cosine_sums {
    T dot;
    T norm_a;
    T norm_b;
};

template <class A, class B>
[[nodiscard]] inline widened_t<A, B> dot_scalar(const A* a, const B* b, std::size_t n) noexcept {
    widened_t<A, B> s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += widen(a[i]) * widen(b[i]);
        s1 += widen(a[i + 1]) * widen(b[i + 1]);
        s2 += widen(a[i + 2]) * widen(b[i + 2]);
        s3 += widen(a[i + 3]) * widen(b[i + 3]);
    }
    for (; i < n; ++i) s0 += widen(a[i]) * widen(b[i]);
    return (s0 + s1) + (s2 + s3);
}

template <class A, class B>
[[nodiscard]] inline widened_t<A, B> l2sq_scalar(const A* a, const B* b, std::size_t n) noexcept {
    using T = widened_t<A, B>;
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const T d0 = widen(a[i]) - widen(b[i]), d1 = widen(a[i + 1]) - widen(b[i + 1]);
        const T d2 = widen(a[i + 2]) - widen(b[i + 2]), d3 = widen(a[i + 3]) - widen(b[i + 3]);
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; ++i) {
        const T d = widen(a[i]) - widen(b[i]);
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

template <class A, class B>
[[nodiscard]] inline widened_t<A, B> l1_scalar(const A* a, const B* b, std::size_t n) noexcept {
    widened_t<A, B> s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += std::abs(widen(a[i]) - widen(b[i]));
        s1 += std::abs(widen(a[i + 1]) - widen(b[i + 1]));
        s2 += std::abs(widen(a[i + 2]) - widen(b[i + 2]));
        s3 += std::abs(widen(a[i + 3]) - widen(b[i + 3]));
    }
    for (; i < n; ++i) s0 += std::abs(widen(a[i]) - widen(b[i]));
    return (s0 + s1) + (s2 + s3);
}

template <class A, class B>
[[nodiscard]] inline cosine_sums<widened_t<A, B>> cosine_scalar(const A* a, const B* b, std::size_t n) noexcept {
    using T = widened_t<A, B>;
    T d0 = 0, d1 = 0, a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        const T x0 = widen(a[i]), x1 = widen(a[i + 1]), y0 = widen(b[i]), y1 = widen(b[i + 1]);
        d0 += x0 * y0;
        d1 += x1 * y1;
        a0 += x0 * x0;
        a1 += x1 * x1;
        b0 += y0 * y0;
        b1 += y1 * y1;
    }
    if (i < n) {
        const T x = widen(a[i]), y = widen(b[i]);
        d0 += x * y;
        a0 += x * x;
        b0 += y * y;
    }
    return {d0 + d1, a0 + a1, b0 + b1};
}

/// Bits that differ between two bit-packed vectors of `words` 64-bit words.
[[nodiscard]] inline std::uint64_t hamming_scalar(const std::uint64_t* a, const std::uint64_t* b,
                                                  std::size_t words) noexcept {
    std::uint64_t s = 0;
    for (std::size_t i = 0; i < words; ++i) s += static_cast<std::uint64_t>(std::popcount(a[i] ^ b[i]));
    return s;
}

/// |a AND b| and |a OR b| in bits, for Jaccard.
struct bit_overlap {
    std::uint64_t intersection;
    std::uint64_t union_;
};

[[nodiscard]] inline bit_overlap jaccard_scalar(const std::uint64_t* a, const std::uint64_t* b,
                                                std::size_t words) noexcept {
    std::uint64_t both = 0, any = 0;
    for (std::size_t i = 0; i < words; ++i) {
        both += static_cast<std::uint64_t>(std::popcount(a[i] & b[i]));
        any += static_cast<std::uint64_t>(std::popcount(a[i] | b[i]));
    }
    return {both, any};
}

}  // namespace tessera::simd::detail
