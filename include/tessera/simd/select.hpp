/// \file
/// tessera/simd/select.hpp - candidate scans for top-k selection: which entries of a block of
/// dot products can still enter a top-k list, given the value they must beat.
///
/// A batched k-NN search turns each dot product into the value it ranks by and compares it with
/// the current k-th best; most entries fail, so the scan, not the heap, sets the cost. These
/// kernels do the transform and the comparison a vector at a time and report only the entries
/// that pass, in increasing order. The transforms are:
///
/// ```
///   form::l2      v = (s + w[j]) - 2 * dot[j]      s = ||q||^2, w = squared row norms
///   form::dot     v = sign * dot[j]                sign = +1 or -1
///   form::cosine  v = 1 - dot[j] * (s * w[j])      s = 1/||q||, w = 1/||row|| (0 for zero rows)
/// ```
///
/// and an entry passes when v <= limit. For l2 and dot, v is computed with the same operations
/// and roundings as the scalar expression above (2 * dot is exact, and no other step is fused),
/// so a caller ranking by that expression misses nothing. The cosine form differs from a
/// division-based cosine by a few units in the last place; callers add a margin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/x86.hpp"
#include "tessera/simd/kernels.hpp"

namespace tessera::simd {

/// The value a scan compares with its limit (see the header comment).
enum class scan_form : std::uint8_t { l2, dot, cosine };

namespace detail {
/// \cond

template <scan_form F, class T>
[[nodiscard]] inline T scan_value(T dot, T w, T s, T sign) noexcept {
    if constexpr (F == scan_form::l2) {
        return (s + w) - T(2) * dot;
    } else if constexpr (F == scan_form::dot) {
        return sign * dot;
    } else {
        return T(1) - dot * (s * w);
    }
}

template <scan_form F, class T>
inline std::size_t scan_scalar(const T* dot, const T* w, std::size_t n, T s, T sign, T limit,
                               std::uint32_t* out) noexcept {
    std::size_t count = 0;
    for (std::size_t j = 0; j < n; ++j) {
        if (scan_value<F>(dot[j], F == scan_form::dot ? T(0) : w[j], s, sign) <= limit) {
            out[count++] = static_cast<std::uint32_t>(j);
        }
    }
    return count;
}

#if TESSERA_ARCH_X86
// Appends base + the set bits of mask to out.
inline std::size_t append_bits(std::uint32_t* out, std::size_t count, std::uint32_t base, std::uint64_t mask) noexcept {
    while (mask != 0) {
        out[count++] = base + static_cast<std::uint32_t>(__builtin_ctzll(mask));
        mask &= mask - 1;
    }
    return count;
}

template <scan_form F, class V>
TESSERA_TARGET_AVX2 inline typename V::vec scan_avx2_value(const typename V::scalar* dot, const typename V::scalar* w,
                                                           typename V::vec s, typename V::vec sign) noexcept {
    const typename V::vec d = V::load(dot);
    if constexpr (F == scan_form::l2) {
        return V::sub(V::add(s, V::load(w)), V::add(d, d));
    } else if constexpr (F == scan_form::dot) {
        return V::mul(sign, d);
    } else {
        return V::sub(V::set1(1), V::mul(d, V::mul(s, V::load(w))));
    }
}

template <scan_form F, class V>
TESSERA_TARGET_AVX2 inline std::size_t scan_avx2(const typename V::scalar* dot, const typename V::scalar* w, std::size_t n,
                                                 typename V::scalar s, typename V::scalar sign, typename V::scalar limit,
                                                 std::uint32_t* out) noexcept {
    using T = typename V::scalar;
    constexpr std::size_t lanes = V::lanes;
    const typename V::vec vs = V::set1(s), vsign = V::set1(sign), vlimit = V::set1(limit);
    std::size_t count = 0, j = 0;
    for (; j + 2 * lanes <= n; j += 2 * lanes) {
        const T* w0 = F == scan_form::dot ? w : w + j;  // w may be null for scan_form::dot
        const T* w1 = F == scan_form::dot ? w : w + j + lanes;
        const auto a = V::le_mask(scan_avx2_value<F, V>(dot + j, w0, vs, vsign), vlimit);
        const auto b = V::le_mask(scan_avx2_value<F, V>(dot + j + lanes, w1, vs, vsign), vlimit);
        const std::uint64_t m = static_cast<std::uint64_t>(a) | (static_cast<std::uint64_t>(b) << lanes);
        if (m != 0) count = append_bits(out, count, static_cast<std::uint32_t>(j), m);
    }
    const std::size_t rest = scan_scalar<F, T>(dot + j, F == scan_form::dot ? w : w + j, n - j, s, sign, limit, out + count);
    for (std::size_t r = 0; r < rest; ++r) out[count + r] += static_cast<std::uint32_t>(j);
    return count + rest;
}

// The vector operations the scans need beyond avx2_f32 / avx2_f64.
struct scan_avx2_f32 : avx2_f32 {
    TESSERA_TARGET_AVX2 static vec mul(vec a, vec b) noexcept { return _mm256_mul_ps(a, b); }
    TESSERA_TARGET_AVX2 static unsigned le_mask(vec a, vec b) noexcept {
        return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_LE_OQ)));
    }
};
struct scan_avx2_f64 : avx2_f64 {
    TESSERA_TARGET_AVX2 static vec mul(vec a, vec b) noexcept { return _mm256_mul_pd(a, b); }
    TESSERA_TARGET_AVX2 static unsigned le_mask(vec a, vec b) noexcept {
        return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_LE_OQ)));
    }
};
#endif

/// \endcond
}  // namespace detail

/// Writes to `out` the indices j < n (increasing) whose value under `F` is <= limit, and
/// returns how many; `out` must have room for n. `w` is unused (may be null) for scan_form::dot.
/// Complexity O(n). Thread-safe.
template <scan_form F, kernel_float T>
inline std::size_t scan_within(const T* dot, const T* w, std::size_t n, T s, T sign, T limit,
                               std::uint32_t* out) noexcept {
#if TESSERA_ARCH_X86
    const level l = active_level();
    if (l == level::avx2 || l == level::avx512) {
        using V = std::conditional_t<std::is_same_v<T, float>, detail::scan_avx2_f32, detail::scan_avx2_f64>;
        return detail::scan_avx2<F, V>(dot, w, n, s, sign, limit, out);
    }
#endif
    return detail::scan_scalar<F, T>(dot, w, n, s, sign, limit, out);
}

}  // namespace tessera::simd
