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

#include "tessera/simd/detail/x86.hpp"

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

enum class byte_op { dot, l2sq, l1 };

template <byte_element T>
TESSERA_TARGET_AVX2 inline __m256i avx2_widen16(const T* p) noexcept {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_same_v<T, std::int8_t>) {
        return _mm256_cvtepi8_epi16(bytes);
    } else {
        return _mm256_cvtepu8_epi16(bytes);
    }
}

// Adds the eight 32-bit lanes of v to the four 64-bit lanes of total.
TESSERA_TARGET_AVX2 inline __m256i avx2_flush32(__m256i total, __m256i v) noexcept {
    total = _mm256_add_epi64(total, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)));
    return _mm256_add_epi64(total, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
}

template <byte_op Op, byte_element T>
TESSERA_TARGET_AVX2 inline std::int64_t avx2_bytes(const T* a, const T* b, std::size_t n) noexcept {
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


// The sixteen 32-bit lanes of v, sign-extended and added pairwise into eight 64-bit lanes. The
// zero-masked forms avoid GCC 12's false -Wmaybe-uninitialized on the unmasked intrinsics.
TESSERA_TARGET_AVX512_VNNI inline __m512i avx512_widen_sum32(__m512i v) noexcept {
    const __m512i lo = _mm512_maskz_cvtepi32_epi64(0xFF, _mm512_maskz_extracti64x4_epi64(0xF, v, 0));
    const __m512i hi = _mm512_maskz_cvtepi32_epi64(0xFF, _mm512_maskz_extracti64x4_epi64(0xF, v, 1));
    return _mm512_add_epi64(lo, hi);
}

// AVX-512 VNNI, 64 bytes per step. vpdpbusd multiplies unsigned by signed bytes, so one operand
// is moved into the other range and the shift is corrected once at the end:
//   int8:  sum a*b = sum (a + 128)*b - 128 * sum b       ((a + 128) is a XOR 0x80 read unsigned)
//   uint8: sum a*b = sum a*(b - 128) + 128 * sum a       ((b - 128) is b XOR 0x80 read signed)
// Squared differences go through vpdpwssd on 16-bit |a - b|, and L1 through vpsadbw (sums of
// absolute differences straight into 64-bit lanes), both on values moved to the unsigned range,
// which leaves differences unchanged. A 32-bit lane gains at most 4 * 255 * 128 = 130,560 (dot)
// or 2 * 255^2 = 130,050 (squares) per step, so lanes are flushed to 64 bits every 8192 steps.
// The masked-out lanes of the last step read as zero in both inputs and add nothing.
template <byte_op Op, byte_element T>
TESSERA_TARGET_AVX512_VNNI inline std::int64_t avx512_vnni_bytes(const T* a, const T* b, std::size_t n) noexcept {
    constexpr std::size_t flush_every = 8192;
    constexpr bool is_signed = std::is_same_v<T, std::int8_t>;
    const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i ones = _mm512_set1_epi8(1);
    const __m512i zero = _mm512_setzero_si512();
    __m512i total = zero;       // 8 x int64
    __m512i correction = zero;  // 8 x int64: sum b (int8) or sum a (uint8), for the dot product
    std::size_t i = 0;
    while (i < n) {
        __m512i acc0 = zero, acc1 = zero, cor = zero;
        for (std::size_t step = 0; step < flush_every && i < n; ++step, i += 64) {
            const std::size_t r = n - i < 64 ? n - i : 64;
            const __mmask64 mask = r == 64 ? ~__mmask64{0} : static_cast<__mmask64>((std::uint64_t{1} << r) - 1u);
            const __m512i x = _mm512_maskz_loadu_epi8(mask, a + i);
            const __m512i y = _mm512_maskz_loadu_epi8(mask, b + i);
            if constexpr (Op == byte_op::dot) {
                if constexpr (is_signed) {
                    acc0 = _mm512_dpbusd_epi32(acc0, _mm512_xor_si512(x, bias), y);
                    cor = _mm512_dpbusd_epi32(cor, ones, y);
                } else {
                    acc0 = _mm512_dpbusd_epi32(acc0, x, _mm512_xor_si512(y, bias));
                    cor = _mm512_dpbusd_epi32(cor, x, ones);
                }
            } else {
                const __m512i ux = is_signed ? _mm512_xor_si512(x, bias) : x;
                const __m512i uy = is_signed ? _mm512_xor_si512(y, bias) : y;
                if constexpr (Op == byte_op::l1) {
                    total = _mm512_add_epi64(total, _mm512_sad_epu8(ux, uy));
                } else {
                    // max - min of unsigned bytes is |a - b| in 0..255; the saturating form never
                    // saturates here, and is defined behaviour in portable emulations too.
                    const __m512i d = _mm512_subs_epu8(_mm512_max_epu8(ux, uy), _mm512_min_epu8(ux, uy));
                    const __m512i lo = _mm512_unpacklo_epi8(d, zero);
                    const __m512i hi = _mm512_unpackhi_epi8(d, zero);
                    acc0 = _mm512_dpwssd_epi32(acc0, lo, lo);
                    acc1 = _mm512_dpwssd_epi32(acc1, hi, hi);
                }
            }
        }
        if constexpr (Op != byte_op::l1) {
            total = _mm512_add_epi64(total, avx512_widen_sum32(acc0));
            total = _mm512_add_epi64(total, avx512_widen_sum32(acc1));
            correction = _mm512_add_epi64(correction, avx512_widen_sum32(cor));
        }
    }
    alignas(64) std::int64_t lanes[8], cor_lanes[8];
    _mm512_store_si512(lanes, total);
    _mm512_store_si512(cor_lanes, correction);
    std::int64_t s = 0, c = 0;
    for (int k = 0; k < 8; ++k) {
        s += lanes[k];
        c += cor_lanes[k];
    }
    if constexpr (Op == byte_op::dot) return is_signed ? s - 128 * c : s + 128 * c;
    return s;
}

#endif  // TESSERA_ARCH_X86

}  // namespace tessera::simd::detail
