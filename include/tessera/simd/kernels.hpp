/// \file
/// tessera/simd/kernels.hpp - the distance kernels on raw arrays, dispatched at run time to the
/// best instruction-set level (see cpu.hpp). These are the unchecked building blocks; most code
/// uses the metric objects of tessera/distance/metrics.hpp, which validate their arguments.
///
/// Preconditions for every function: `a` and `b` point to `n` readable elements (any alignment;
/// null is allowed when n == 0). Complexity O(n). Thread-safe (no state besides the level).
///
/// Accuracy of the floating-point reductions (every level, float and double): the result is a
/// sum of n terms computed with independent accumulators and a fixed combination order, so the
/// standard bound for any summation order applies,
///     |computed - exact| <= gamma(n + 2) * sum_i |term_i| + 2 (n + 2) eta,
///     gamma(k) = k*u / (1 - k*u),
/// where u = 2^-24 for float and 2^-53 for double, eta = denorm_min / 2 is the absolute error of
/// one operation that underflows into the subnormal range, and term_i is a_i*b_i (dot),
/// (a_i - b_i)^2 (squared L2; the +2 covers the rounding of the difference and the square) or
/// |a_i - b_i| (L1). In practice the error is much smaller (it grows with n / accumulator count).
/// Overflow is not covered: terms beyond the type's range give infinity.
/// NaN inputs propagate to the result; infinities follow IEEE arithmetic (inf - inf = NaN).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tessera/core/half.hpp"
#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/kernels_avx2.hpp"
#include "tessera/simd/detail/kernels_avx512.hpp"
#include "tessera/simd/detail/kernels_int8.hpp"
#include "tessera/simd/detail/kernels_neon.hpp"
#include "tessera/simd/detail/kernels_scalar.hpp"

namespace tessera::simd {

/// The floating-point element types with native kernels.
template <class T>
concept kernel_float = std::same_as<T, float> || std::same_as<T, double>;

using detail::bit_overlap;
using detail::cosine_sums;

namespace detail {
/// \cond
#if TESSERA_ARCH_X86
template <class T>
using avx2_of = std::conditional_t<std::is_same_v<T, float>, avx2_f32, avx2_f64>;
template <class T>
using avx512_of = std::conditional_t<std::is_same_v<T, float>, avx512_f32, avx512_f64>;
#endif
/// \endcond
}  // namespace detail

/// sum_i a[i] * b[i]
template <kernel_float T>
[[nodiscard]] inline T dot(const T* a, const T* b, std::size_t n) noexcept {
    switch (active_level()) {
#if TESSERA_ARCH_X86
        case level::avx512: return detail::dot_avx512<detail::avx512_of<T>>(a, b, n);
        case level::avx2: return detail::dot_avx2<detail::avx2_of<T>>(a, b, n);
#endif
#if TESSERA_ARCH_ARM64
        case level::neon: return detail::dot_neon(a, b, n);
#endif
        default: return detail::dot_scalar(a, b, n);
    }
}

/// sum_i (a[i] - b[i])^2
template <kernel_float T>
[[nodiscard]] inline T l2sq(const T* a, const T* b, std::size_t n) noexcept {
    switch (active_level()) {
#if TESSERA_ARCH_X86
        case level::avx512: return detail::l2sq_avx512<detail::avx512_of<T>>(a, b, n);
        case level::avx2: return detail::l2sq_avx2<detail::avx2_of<T>>(a, b, n);
#endif
#if TESSERA_ARCH_ARM64
        case level::neon: return detail::l2sq_neon(a, b, n);
#endif
        default: return detail::l2sq_scalar(a, b, n);
    }
}

/// sum_i |a[i] - b[i]|
template <kernel_float T>
[[nodiscard]] inline T l1(const T* a, const T* b, std::size_t n) noexcept {
    switch (active_level()) {
#if TESSERA_ARCH_X86
        case level::avx512: return detail::l1_avx512<detail::avx512_of<T>>(a, b, n);
        case level::avx2: return detail::l1_avx2<detail::avx2_of<T>>(a, b, n);
#endif
#if TESSERA_ARCH_ARM64
        case level::neon: return detail::l1_neon(a, b, n);
#endif
        default: return detail::l1_scalar(a, b, n);
    }
}

/// a.b, ||a||^2 and ||b||^2 in one pass over both arrays.
template <kernel_float T>
[[nodiscard]] inline cosine_sums<T> cosine_parts(const T* a, const T* b, std::size_t n) noexcept {
    switch (active_level()) {
#if TESSERA_ARCH_X86
        case level::avx512: return detail::cosine_avx512<detail::avx512_of<T>>(a, b, n);
        case level::avx2: return detail::cosine_avx2<detail::avx2_of<T>>(a, b, n);
#endif
#if TESSERA_ARCH_ARM64
        case level::neon: return detail::cosine_neon(a, b, n);
#endif
        default: return detail::cosine_scalar(a, b, n);
    }
}

/// Number of differing bits between two bit-packed vectors of `words` 64-bit words. Exact.
[[nodiscard]] inline std::uint64_t hamming(const std::uint64_t* a, const std::uint64_t* b, std::size_t words) noexcept {
    switch (active_level()) {
#if TESSERA_ARCH_X86
        case level::avx512:
        case level::avx2: return detail::hamming_avx2(a, b, words);
#endif
#if TESSERA_ARCH_ARM64
        case level::neon: return detail::hamming_neon(a, b, words);
#endif
        default: return detail::hamming_scalar(a, b, words);
    }
}

/// Bits set in both and in either of two bit-packed vectors. Exact.
[[nodiscard]] inline bit_overlap jaccard_parts(const std::uint64_t* a, const std::uint64_t* b, std::size_t words) noexcept {
    switch (active_level()) {
#if TESSERA_ARCH_X86
        case level::avx512:
        case level::avx2: return detail::jaccard_avx2(a, b, words);
#endif
#if TESSERA_ARCH_ARM64
        case level::neon: return detail::jaccard_neon(a, b, words);
#endif
        default: return detail::jaccard_scalar(a, b, words);
    }
}

/// The byte element types with exact integer kernels.
template <class T>
concept kernel_byte = detail::byte_element<T>;

/// sum_i a[i] * b[i] for int8 / uint8 vectors, exact (integer arithmetic).
template <kernel_byte T>
[[nodiscard]] inline std::int64_t dot(const T* a, const T* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            if (cpu().avx512vnni) return detail::avx512_vnni_bytes<detail::byte_op::dot>(a, b, n);
            return detail::avx2_bytes<detail::byte_op::dot>(a, b, n);
        case level::avx2: return detail::avx2_bytes<detail::byte_op::dot>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::dot_bytes_neon(a, b, n);
#endif
    return detail::dot_bytes_scalar(a, b, n);
}

/// sum_i (a[i] - b[i])^2 for int8 / uint8 vectors, exact.
template <kernel_byte T>
[[nodiscard]] inline std::int64_t l2sq(const T* a, const T* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            if (cpu().avx512vnni) return detail::avx512_vnni_bytes<detail::byte_op::l2sq>(a, b, n);
            return detail::avx2_bytes<detail::byte_op::l2sq>(a, b, n);
        case level::avx2: return detail::avx2_bytes<detail::byte_op::l2sq>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::l2sq_bytes_neon(a, b, n);
#endif
    return detail::l2sq_bytes_scalar(a, b, n);
}

/// sum_i |a[i] - b[i]| for int8 / uint8 vectors, exact.
template <kernel_byte T>
[[nodiscard]] inline std::int64_t l1(const T* a, const T* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            if (cpu().avx512vnni) return detail::avx512_vnni_bytes<detail::byte_op::l1>(a, b, n);
            return detail::avx2_bytes<detail::byte_op::l1>(a, b, n);
        case level::avx2: return detail::avx2_bytes<detail::byte_op::l1>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::l1_bytes_neon(a, b, n);
#endif
    return detail::l1_bytes_scalar(a, b, n);
}

/// a.b, ||a||^2 and ||b||^2 for int8 / uint8 vectors, exact (three passes of the dot kernel).
template <kernel_byte T>
[[nodiscard]] inline cosine_sums<std::int64_t> cosine_parts(const T* a, const T* b, std::size_t n) noexcept {
    return {dot(a, b, n), dot(a, a, n), dot(b, b, n)};
}

/// Element pairs with float kernels besides float x float: a float query against bfloat16,
/// half or int8 rows, and two bfloat16 or two half vectors. Narrow elements are widened
/// exactly to float and the sums run as in the float kernels (same accumulators, same order,
/// same bound), so a result equals the float kernel's on the widened vectors bit for bit, at
/// every level. One exception: on CPUs with AVX512-BF16, the dot product and cosine_parts of
/// two bfloat16 vectors use its dot-product instruction (twice the elements per instruction),
/// which sums in another order and treats subnormals as zero (see kernels_avx512.hpp).
template <class A, class B>
concept mixed_pair = (std::same_as<A, float> && (std::same_as<B, bfloat16> || std::same_as<B, half> ||
                                                 std::same_as<B, std::int8_t>)) ||
                     (std::same_as<A, B> && (std::same_as<A, bfloat16> || std::same_as<A, half>));

/// sum_i a[i] * b[i] over a mixed pair, in float.
template <class A, class B>
    requires mixed_pair<A, B>
[[nodiscard]] inline float dot(const A* a, const B* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            if constexpr (std::same_as<A, bfloat16> && std::same_as<B, bfloat16>) {
                if (cpu().avx512bf16) return detail::dot_avx512_bf16(a, b, n);
            }
            return detail::dot_avx512<detail::avx512_f32>(a, b, n);
        case level::avx2: return detail::dot_avx2<detail::avx2_f32>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::dot_neon(a, b, n);
#endif
    return detail::dot_scalar(a, b, n);
}

/// sum_i (a[i] - b[i])^2 over a mixed pair, in float.
template <class A, class B>
    requires mixed_pair<A, B>
[[nodiscard]] inline float l2sq(const A* a, const B* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            return detail::l2sq_avx512<detail::avx512_f32>(a, b, n);
        case level::avx2: return detail::l2sq_avx2<detail::avx2_f32>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::l2sq_neon(a, b, n);
#endif
    return detail::l2sq_scalar(a, b, n);
}

/// sum_i |a[i] - b[i]| over a mixed pair, in float.
template <class A, class B>
    requires mixed_pair<A, B>
[[nodiscard]] inline float l1(const A* a, const B* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            return detail::l1_avx512<detail::avx512_f32>(a, b, n);
        case level::avx2: return detail::l1_avx2<detail::avx2_f32>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::l1_neon(a, b, n);
#endif
    return detail::l1_scalar(a, b, n);
}

/// a.b, ||a||^2 and ||b||^2 over a mixed pair, in float.
template <class A, class B>
    requires mixed_pair<A, B>
[[nodiscard]] inline cosine_sums<float> cosine_parts(const A* a, const B* b, std::size_t n) noexcept {
#if TESSERA_ARCH_X86
    switch (active_level()) {
        case level::avx512:
            if constexpr (std::same_as<A, bfloat16> && std::same_as<B, bfloat16>) {
                if (cpu().avx512bf16) return detail::cosine_avx512_bf16(a, b, n);
            }
            return detail::cosine_avx512<detail::avx512_f32>(a, b, n);
        case level::avx2: return detail::cosine_avx2<detail::avx2_f32>(a, b, n);
        default: break;
    }
#endif
#if TESSERA_ARCH_ARM64
    if (active_level() == level::neon) return detail::cosine_neon(a, b, n);
#endif
    return detail::cosine_scalar(a, b, n);
}

}  // namespace tessera::simd
