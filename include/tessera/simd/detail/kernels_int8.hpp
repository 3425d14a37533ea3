// tessera/simd/detail/kernels_int8.hpp - exact kernels on int8 and uint8 vectors: dot product,
// squared L2 and L1, accumulated in integers and returned as std::int64_t, exact for any length
// (n < 2^47, far beyond memory).
//
// AVX2: 16 bytes are widened to 16-bit lanes, products (or squared differences) are summed
// pairwise into 32-bit lanes by vpmaddwd, and the 32-bit lanes are flushed into 64-bit totals
// every 8192 steps, before they could overflow: one step adds at most 2 * 255^2 = 130,050 to a
// lane, and 8192 * 130,050 < 2^31.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "tessera/simd/cpu.hpp"

#if TESSERA_ARCH_X86
#include <immintrin.h>
#endif

namespace tessera::simd::detail {

template <class T>
concept byte_element = std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>;

template <byte_element T>
[[nodiscard]] inline std::int64_t dot_bytes_scalar(const T* a, const T* b, std::size_t n) noexcept {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<std::int64_t>(a[i]) * static_cast<std::int64_t>(b[i]);
    return s;
}

template <byte_element T>
[[nodiscard]] inline std::int64_t l2sq_bytes_scalar(const T* a, const T* b, std::size_t n) noexcept {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t d = static_cast<std::int64_t>(a[i]) - static_cast<std::int64_t>(b[i]);
        s += d * d;
    }
    return s;
}

template <byte_element T>
[[nodiscard]] inline std::int64_t l1_bytes_scalar(const T* a, const T* b, std::size_t n) noexcept {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < n; ++i) s += std::abs(static_cast<std::int64_t>(a[i]) - static_cast<std::int64_t>(b[i]));
    return s;
}

#if TESSERA_ARCH_X86

#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_TARGET_AVX2_INT __attribute__((target("avx2")))
#else
#define TESSERA_TARGET_AVX2_INT
#endif

enum class byte_op { dot, l2sq, l1 };

template <byte_element T>
TESSERA_TARGET_AVX2_INT inline __m256i avx2_widen16(const T* p) noexcept {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_same_v<T, std::int8_t>) {
        return _mm256_cvtepi8_epi16(bytes);
    } else {
        return _mm256_cvtepu8_epi16(bytes);
    }
}

// Adds the eight 32-bit lanes of v to the four 64-bit lanes of total.
TESSERA_TARGET_AVX2_INT inline __m256i avx2_flush32(__m256i total, __m256i v) noexcept {
    total = _mm256_add_epi64(total, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)));
    return _mm256_add_epi64(total, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
}

template <byte_op Op, byte_element T>
TESSERA_TARGET_AVX2_INT inline std::int64_t avx2_bytes(const T* a, const T* b, std::size_t n) noexcept {
    constexpr std::size_t flush_every = 8192;  // steps of 16 elements between flushes (see top)
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i total = _mm256_setzero_si256();
    std::size_t i = 0;
    while (i + 16 <= n) {
        __m256i acc = _mm256_setzero_si256();
        for (std::size_t step = 0; step < flush_every && i + 16 <= n; ++step, i += 16) {
            const __m256i x = avx2_widen16(a + i);
            const __m256i y = avx2_widen16(b + i);
            if constexpr (Op == byte_op::dot) {
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
            } else if constexpr (Op == byte_op::l2sq) {
                const __m256i d = _mm256_sub_epi16(x, y);  // |d| <= 255 fits 16 bits
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(d, d));
            } else {
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_abs_epi16(_mm256_sub_epi16(x, y)), ones));
            }
        }
        total = avx2_flush32(total, acc);
    }
    alignas(32) std::int64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), total);
    std::int64_t s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    if constexpr (Op == byte_op::dot) {
        s += dot_bytes_scalar(a + i, b + i, n - i);
    } else if constexpr (Op == byte_op::l2sq) {
        s += l2sq_bytes_scalar(a + i, b + i, n - i);
    } else {
        s += l1_bytes_scalar(a + i, b + i, n - i);
    }
    return s;
}

#endif  // TESSERA_ARCH_X86

}  // namespace tessera::simd::detail
