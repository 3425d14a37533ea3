// tessera/simd/detail/x86_emulation.hpp - test builds only (TESSERA_SIMD_EMULATE_X86, see
// x86.hpp): the few AVX-512 intrinsics the kernels use that SIMDe 0.7 does not provide under
// their native names, written lane by lane. Masked loads read only the selected lanes, as the
// hardware does, so a sanitizer still reports any read past the end of an array.
#pragma once

#if defined(TESSERA_SIMD_EMULATE_X86)

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <simde/x86/f16c.h>
#include <simde/x86/fma.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tessera::simd::detail::emulated {

template <class Vec, class Elem, std::size_t Lanes, class Load>
inline Vec maskz_loadu(std::uint64_t k, const void* p, Load load) noexcept {
    Elem lanes[Lanes] = {};
    const auto* src = static_cast<const Elem*>(p);
    for (std::size_t i = 0; i < Lanes; ++i) {
        if ((k >> i) & 1u) lanes[i] = src[i];
    }
    return load(lanes);
}


// Lane-wise conversion: Out[i] = In[i] for the first OutLanes lanes of `in`.
template <class Out, class OutElem, std::size_t OutLanes, class InElem, class In>
inline Out convert_lanes(In in) noexcept {
    InElem src[sizeof(In) / sizeof(InElem)];
    std::memcpy(src, &in, sizeof(In));
    OutElem dst[OutLanes];
    for (std::size_t i = 0; i < OutLanes; ++i) dst[i] = static_cast<OutElem>(src[i]);
    Out out;
    std::memcpy(&out, dst, sizeof(Out));
    return out;
}

}  // namespace tessera::simd::detail::emulated

using __mmask8 = simde__mmask8;
using __mmask16 = simde__mmask16;
using __mmask32 = simde__mmask32;
using __mmask64 = simde__mmask64;

inline simde__m512 _mm512_maskz_loadu_ps(simde__mmask16 k, const void* p) noexcept {
    return tessera::simd::detail::emulated::maskz_loadu<simde__m512, float, 16>(
        k, p, [](const float* v) { return simde_mm512_loadu_ps(v); });
}
inline simde__m512d _mm512_maskz_loadu_pd(simde__mmask8 k, const void* p) noexcept {
    return tessera::simd::detail::emulated::maskz_loadu<simde__m512d, double, 8>(
        k, p, [](const double* v) { return simde_mm512_loadu_pd(v); });
}
inline simde__m256i _mm256_maskz_loadu_epi16(simde__mmask16 k, const void* p) noexcept {
    return tessera::simd::detail::emulated::maskz_loadu<simde__m256i, std::uint16_t, 16>(
        k, p, [](const std::uint16_t* v) { return simde_mm256_loadu_si256(v); });
}
inline simde__m128i _mm_maskz_loadu_epi8(simde__mmask16 k, const void* p) noexcept {
    return tessera::simd::detail::emulated::maskz_loadu<simde__m128i, std::uint8_t, 16>(
        k, p, [](const std::uint8_t* v) { return simde_mm_loadu_si128(v); });
}
inline simde__m512i _mm512_maskz_loadu_epi8(simde__mmask64 k, const void* p) noexcept {
    return tessera::simd::detail::emulated::maskz_loadu<simde__m512i, std::uint8_t, 64>(
        k, p, [](const std::uint8_t* v) { return simde_mm512_loadu_si512(v); });
}
inline simde__m512i _mm512_maskz_loadu_epi16(simde__mmask32 k, const void* p) noexcept {
    return tessera::simd::detail::emulated::maskz_loadu<simde__m512i, std::uint16_t, 32>(
        k, p, [](const std::uint16_t* v) { return simde_mm512_loadu_si512(v); });
}

inline simde__m256 _mm512_maskz_extractf32x8_ps(simde__mmask8 k, simde__m512 a, int imm) noexcept {
    float lanes[16];
    simde_mm512_storeu_ps(lanes, a);
    float out[8] = {};
    for (int i = 0; i < 8; ++i) {
        if ((k >> i) & 1u) out[i] = lanes[(imm & 1) * 8 + i];
    }
    return simde_mm256_loadu_ps(out);
}
// SIMDe 0.7 implements the AVX masked loads with full-width loads; the hardware reads (and can
// fault on) only the selected lanes, and so must the emulation for AddressSanitizer to be useful.
#undef _mm256_maskload_ps
#undef _mm256_maskload_pd
inline simde__m256 _mm256_maskload_ps(const float* p, simde__m256i mask) noexcept {
    std::int32_t m[8];
    simde_mm256_storeu_si256(m, mask);
    std::uint64_t k = 0;
    for (int i = 0; i < 8; ++i) k |= static_cast<std::uint64_t>(m[i] < 0) << i;
    return tessera::simd::detail::emulated::maskz_loadu<simde__m256, float, 8>(
        k, p, [](const float* v) { return simde_mm256_loadu_ps(v); });
}
inline simde__m256d _mm256_maskload_pd(const double* p, simde__m256i mask) noexcept {
    std::int64_t m[4];
    simde_mm256_storeu_si256(m, mask);
    std::uint64_t k = 0;
    for (int i = 0; i < 4; ++i) k |= static_cast<std::uint64_t>(m[i] < 0) << i;
    return tessera::simd::detail::emulated::maskz_loadu<simde__m256d, double, 4>(
        k, p, [](const double* v) { return simde_mm256_loadu_pd(v); });
}

#define _mm512_maskz_shuffle_f32x4(k, a, b, imm) simde_mm512_maskz_shuffle_f32x4(k, a, b, imm)
#define _mm512_maskz_shuffle_f64x2(k, a, b, imm) simde_mm512_maskz_shuffle_f64x2(k, a, b, imm)

inline simde__m512i _mm512_maskz_cvtepu16_epi32(simde__mmask16 k, simde__m256i a) noexcept {
    return simde_mm512_maskz_mov_epi32(
        k, tessera::simd::detail::emulated::convert_lanes<simde__m512i, std::int32_t, 16, std::uint16_t>(a));
}
inline simde__m512i _mm512_maskz_cvtepi8_epi32(simde__mmask16 k, simde__m128i a) noexcept {
    return simde_mm512_maskz_mov_epi32(
        k, tessera::simd::detail::emulated::convert_lanes<simde__m512i, std::int32_t, 16, std::int8_t>(a));
}
inline simde__m512i _mm512_maskz_slli_epi32(simde__mmask16 k, simde__m512i a, unsigned int shift) noexcept {
    return simde_mm512_maskz_mov_epi32(k, simde_mm512_slli_epi32(a, shift));
}
inline simde__m512i _mm512_maskz_cvtepi32_epi64(simde__mmask8 k, simde__m256i a) noexcept {
    const simde__m512i wide = tessera::simd::detail::emulated::convert_lanes<simde__m512i, std::int64_t, 8, std::int32_t>(a);
    return simde_mm512_maskz_mov_epi64(k, wide);
}
inline simde__m512 _mm512_maskz_cvtepi32_ps(simde__mmask16 k, simde__m512i a) noexcept {
    return simde_mm512_maskz_mov_ps(
        k, tessera::simd::detail::emulated::convert_lanes<simde__m512, float, 16, std::int32_t>(a));
}
// Half to float through SIMDe's F16C emulation, one 256-bit half at a time.
inline simde__m512 _mm512_maskz_cvtph_ps(simde__mmask16 k, simde__m256i a) noexcept {
    float out[16];
    simde_mm256_storeu_ps(out, simde_mm256_cvtph_ps(simde_mm256_castsi256_si128(a)));
    simde_mm256_storeu_ps(out + 8, simde_mm256_cvtph_ps(simde_mm256_extracti128_si256(a, 1)));
    return simde_mm512_maskz_mov_ps(k, simde_mm512_loadu_ps(out));
}

#endif  // TESSERA_SIMD_EMULATE_X86
