// tessera/simd/detail/kernels_scalar.hpp - portable kernels: the fallback on every CPU and the
// reference the SIMD levels are tested against. Four independent accumulators, combined in a
// fixed order, so results are deterministic and the summation error grows like n/4, not n.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace tessera::simd::detail {

/// dot, ||a||^2 and ||b||^2 of one pass, for cosine.
template <class T>
struct cosine_sums {
    T dot;
    T norm_a;
    T norm_b;
};

template <class T>
[[nodiscard]] inline T dot_scalar(const T* a, const T* b, std::size_t n) noexcept {
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

template <class T>
[[nodiscard]] inline T l2sq_scalar(const T* a, const T* b, std::size_t n) noexcept {
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const T d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; ++i) {
        const T d = a[i] - b[i];
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

template <class T>
[[nodiscard]] inline T l1_scalar(const T* a, const T* b, std::size_t n) noexcept {
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += std::abs(a[i] - b[i]);
        s1 += std::abs(a[i + 1] - b[i + 1]);
        s2 += std::abs(a[i + 2] - b[i + 2]);
        s3 += std::abs(a[i + 3] - b[i + 3]);
    }
    for (; i < n; ++i) s0 += std::abs(a[i] - b[i]);
    return (s0 + s1) + (s2 + s3);
}

template <class T>
[[nodiscard]] inline cosine_sums<T> cosine_scalar(const T* a, const T* b, std::size_t n) noexcept {
    T d0 = 0, d1 = 0, a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        d0 += a[i] * b[i];
        d1 += a[i + 1] * b[i + 1];
        a0 += a[i] * a[i];
        a1 += a[i + 1] * a[i + 1];
        b0 += b[i] * b[i];
        b1 += b[i + 1] * b[i + 1];
    }
    if (i < n) {
        d0 += a[i] * b[i];
        a0 += a[i] * a[i];
        b0 += b[i] * b[i];
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
