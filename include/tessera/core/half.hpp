/// \file
/// tessera/core/half.hpp - 16-bit floating-point storage types: bfloat16 and half (IEEE binary16).
///
/// Both are storage types: two bytes that hold a value, with exact conversion to float and
/// correctly rounded conversion from float, double and the integer types. Arithmetic is done by
/// converting to float (or double); there are no arithmetic operators here, so that every
/// rounding step in a computation is one the caller wrote.
///
/// ```
///   format    sign exponent mantissa  bias  largest finite   smallest normal  smallest subnormal
///   bfloat16     1        8        7   127  3.3895314e38     2^-126           2^-133
///   half         1        5       10    15  65504            2^-14            2^-24
/// ```
///
/// Guarantees (both types):
/// - To float (and to double, through float): exact for every one of the 65,536 bit patterns,
///   subnormals, zeros of either sign and infinities included. A NaN stays a NaN with the same
///   sign and payload; a signaling NaN keeps its bits (its quiet bit stays clear).
/// - From float, double and integers: rounded once, to nearest with ties to even, straight from
///   the source value (a double is not rounded to float first, which would round twice).
///   Magnitudes at or above the largest finite value plus half an ulp become infinity (for half:
///   65520 and up); tiny magnitudes round into the subnormals or to a zero of the same sign.
///   Zeros and infinities keep their sign.
/// - NaN in: a quiet NaN out, with the same sign and the top bits of the payload. The quiet bit is
///   always set, so no NaN can become an infinity (as plain truncation of a NaN whose payload
///   lies only in the low bits would) and no payload rounding can carry into the exponent or sign.
///
/// Everything is portable C++20 (std::bit_cast and integer arithmetic): no compiler extension
/// types such as _Float16 or __bf16, and no intrinsics. Everything except the bulk `convert`
/// functions is constexpr and noexcept. Thread safety: values; no shared state.
#pragma once

#include <algorithm>
#include <bit>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>

#include "tessera/core/error.hpp"

namespace tessera {

namespace detail {
/// \cond

/// A binary interchange format with `ExpBits` exponent and `MantBits` stored mantissa bits in a
/// 16-bit word (sign in bit 15).
template <int ExpBits, int MantBits>
struct binary16_format {
    static_assert(1 + ExpBits + MantBits == 16, "a 16-bit format");
    static constexpr int exp_bits = ExpBits;
    static constexpr int mant_bits = MantBits;
    static constexpr int bias = (1 << (ExpBits - 1)) - 1;
    static constexpr int emin = 1 - bias;  ///< exponent of the smallest normal value
    static constexpr int emax = bias;      ///< exponent of the largest finite value
    static constexpr std::uint16_t sign_bit = 0x8000u;
    static constexpr std::uint16_t inf_bits = static_cast<std::uint16_t>(((1u << ExpBits) - 1u) << MantBits);
    static constexpr std::uint16_t mant_mask = static_cast<std::uint16_t>((1u << MantBits) - 1u);
    static constexpr std::uint16_t quiet_bit = static_cast<std::uint16_t>(1u << (MantBits - 1));
};

using bf16_format = binary16_format<8, 7>;
using f16_format = binary16_format<5, 10>;

/// Rounds the nonzero magnitude `m * 2^e` to format F, to nearest with ties to even, and returns
/// its bits with the sign bit set when `negative`. Handles the subnormal range (one rounding, at
/// the subnormal quantum), underflow to zero and overflow to infinity.
template <class F>
[[nodiscard]] constexpr std::uint16_t round_magnitude(bool negative, std::uint64_t m, int e) noexcept {
    const std::uint16_t sign = negative ? F::sign_bit : std::uint16_t{0};
    const int lz = std::countl_zero(m);
    m <<= lz;  // now m is in [2^63, 2^64) and the value is m * 2^(e - lz)
    const int exponent = e - lz + 63;  // the value lies in [2^exponent, 2^(exponent + 1))
    if (exponent > F::emax) return static_cast<std::uint16_t>(sign | F::inf_bits);
    const int scale = std::max(exponent, F::emin);  // subnormals share emin's quantum
    // The result is r * 2^(scale - mant_bits); drop the low bits of m below that quantum.
    const int drop = scale - F::mant_bits - (e - lz);  // at least 63 - mant_bits
    std::uint64_t r = 0;
    std::uint64_t rest = 0;
    std::uint64_t half_quantum = 0;
    if (drop > 64) return sign;  // below half the smallest subnormal: rounds to zero
    if (drop == 64) {
        rest = m;
        half_quantum = std::uint64_t{1} << 63;
    } else {
        r = m >> drop;
        rest = m & ((std::uint64_t{1} << drop) - 1u);
        half_quantum = std::uint64_t{1} << (drop - 1);
    }
    if (rest > half_quantum || (rest == half_quantum && (r & 1u) != 0)) ++r;
    // r counts quanta including the implicit bit, so adding it to the exponent field's base
    // yields the encoding; a carry out of the mantissa moves up one binade, and out of the
    // largest binade it gives exactly the infinity bits (scale <= emax bounds the sum by them).
    const std::uint32_t encoded = (static_cast<std::uint32_t>(scale - F::emin) << F::mant_bits) +
                                  static_cast<std::uint32_t>(r);
    return static_cast<std::uint16_t>(sign | encoded);
}

/// float -> format F, rounded to nearest even.
template <class F>
[[nodiscard]] constexpr std::uint16_t from_float_bits(float value) noexcept {
    const auto u = std::bit_cast<std::uint32_t>(value);
    const bool negative = (u >> 31) != 0;
    const std::uint16_t sign = negative ? F::sign_bit : std::uint16_t{0};
    const std::uint32_t field = (u >> 23) & 0xFFu;
    const std::uint32_t mant = u & 0x7FFFFFu;
    if (field == 0xFFu) {
        if (mant == 0) return static_cast<std::uint16_t>(sign | F::inf_bits);
        return static_cast<std::uint16_t>(sign | F::inf_bits | F::quiet_bit | (mant >> (23 - F::mant_bits)));
    }
    if constexpr (F::exp_bits == 8) {
        // Same exponent range as float: rounding the low 16 bits away is the whole job. A carry
        // out of the mantissa increments the exponent, and out of the largest finite value it
        // gives exactly the infinity bits; NaN (the only case that could carry into the sign) was
        // handled above.
        const std::uint32_t rounded = u + 0x7FFFu + ((u >> 16) & 1u);
        return static_cast<std::uint16_t>(rounded >> 16);
    } else {
        if (field == 0 && mant == 0) return sign;
        if (field == 0) return round_magnitude<F>(negative, mant, -149);
        return round_magnitude<F>(negative, mant | 0x800000u, static_cast<int>(field) - 150);
    }
}

/// double -> format F, rounded once, to nearest even.
template <class F>
[[nodiscard]] constexpr std::uint16_t from_double_bits(double value) noexcept {
    const auto u = std::bit_cast<std::uint64_t>(value);
    const bool negative = (u >> 63) != 0;
    const std::uint16_t sign = negative ? F::sign_bit : std::uint16_t{0};
    const std::uint64_t field = (u >> 52) & 0x7FFu;
    const std::uint64_t mant = u & ((std::uint64_t{1} << 52) - 1u);
    if (field == 0x7FFu) {
        if (mant == 0) return static_cast<std::uint16_t>(sign | F::inf_bits);
        return static_cast<std::uint16_t>(sign | F::inf_bits | F::quiet_bit | (mant >> (52 - F::mant_bits)));
    }
    if (field == 0 && mant == 0) return sign;
    if (field == 0) return round_magnitude<F>(negative, mant, -1074);
    return round_magnitude<F>(negative, mant | (std::uint64_t{1} << 52), static_cast<int>(field) - 1075);
}

/// integer -> format F, rounded once, to nearest even.
template <class F, std::integral I>
    requires(sizeof(I) <= sizeof(std::uint64_t))
[[nodiscard]] constexpr std::uint16_t from_integer_bits(I value) noexcept {
    if (value == 0) return 0;
    const bool negative = value < 0;
    const auto wide = static_cast<std::uint64_t>(value);  // modular: exact for the magnitude below
    const std::uint64_t magnitude = negative ? std::uint64_t{0} - wide : wide;
    return round_magnitude<F>(negative, magnitude, 0);
}

/// half bits -> float, exact.
[[nodiscard]] constexpr float half_bits_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t field = (h >> 10) & 0x1Fu;
    std::uint32_t mant = h & 0x3FFu;
    std::uint32_t out = 0;
    if (field == 0x1Fu) {
        out = sign | 0x7F800000u | (mant << 13);  // infinity, or NaN with its payload and quiet bit
    } else if (field != 0) {
        out = sign | ((field + 112u) << 23) | (mant << 13);  // rebias 15 -> 127
    } else if (mant == 0) {
        out = sign;
    } else {
        // Subnormal: mant * 2^-24. Move the leading one up to the implicit-bit position.
        const int shift = std::countl_zero(mant) - 21;  // 1 to 10
        mant = (mant << shift) & 0x3FFu;
        out = sign | (static_cast<std::uint32_t>(113 - shift) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(out);
}

/// \endcond
}  // namespace detail

/// Brain floating point: the top half of an IEEE binary32 (1 sign, 8 exponent, 7 mantissa
/// bits). Same range as float, 8 significant bits; has subnormals, infinities and NaNs.
///
/// A 2-byte trivially copyable storage type; default-constructed to +0. Conversions: see the
/// top of this header (exact to float, correctly rounded from float/double/integers, NaN kept
/// as a quiet NaN). Not an IEEE 754 format, so `numeric_limits<bfloat16>::is_iec559` is false.
class bfloat16 {
public:
    constexpr bfloat16() noexcept = default;

    /// Rounds `value` to nearest, ties to even.
    constexpr explicit bfloat16(float value) noexcept
        : bits_(detail::from_float_bits<detail::bf16_format>(value)) {}
    /// Rounds `value` to nearest, ties to even, in one step (not through float).
    constexpr explicit bfloat16(double value) noexcept
        : bits_(detail::from_double_bits<detail::bf16_format>(value)) {}
    /// Rounds `value` to nearest, ties to even (integers above 256 in magnitude may be inexact).
    template <std::integral I>
        requires(!std::same_as<I, bool> && sizeof(I) <= sizeof(std::uint64_t))
    constexpr explicit bfloat16(I value) noexcept : bits_(detail::from_integer_bits<detail::bf16_format>(value)) {}

    /// The value with the given bit pattern.
    [[nodiscard]] static constexpr bfloat16 from_bits(std::uint16_t bits) noexcept {
        bfloat16 x;
        x.bits_ = bits;
        return x;
    }
    /// The bit pattern.
    [[nodiscard]] constexpr std::uint16_t bits() const noexcept { return bits_; }

    /// Exact.
    constexpr explicit operator float() const noexcept {
        return std::bit_cast<float>(static_cast<std::uint32_t>(bits_) << 16);
    }
    /// Exact.
    constexpr explicit operator double() const noexcept { return static_cast<double>(static_cast<float>(*this)); }

    /// IEEE equality: NaN equals nothing, +0 == -0.
    friend constexpr bool operator==(bfloat16 a, bfloat16 b) noexcept {
        return static_cast<float>(a) == static_cast<float>(b);
    }
    /// IEEE ordering: unordered when either is NaN.
    friend constexpr std::partial_ordering operator<=>(bfloat16 a, bfloat16 b) noexcept {
        return static_cast<float>(a) <=> static_cast<float>(b);
    }

private:
    std::uint16_t bits_ = 0;
};

/// IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits): 11 significant bits, largest
/// finite value 65504; has subnormals (down to 2^-24), infinities and NaNs.
///
/// A 2-byte trivially copyable storage type; default-constructed to +0. Conversions: see the
/// top of this header (exact to float, correctly rounded from float/double/integers, NaN kept
/// as a quiet NaN).
class half {
public:
    constexpr half() noexcept = default;

    /// Rounds `value` to nearest, ties to even (65520 and above in magnitude become infinity).
    constexpr explicit half(float value) noexcept : bits_(detail::from_float_bits<detail::f16_format>(value)) {}
    /// Rounds `value` to nearest, ties to even, in one step (not through float).
    constexpr explicit half(double value) noexcept : bits_(detail::from_double_bits<detail::f16_format>(value)) {}
    /// Rounds `value` to nearest, ties to even (integers above 2048 in magnitude may be inexact).
    template <std::integral I>
        requires(!std::same_as<I, bool> && sizeof(I) <= sizeof(std::uint64_t))
    constexpr explicit half(I value) noexcept : bits_(detail::from_integer_bits<detail::f16_format>(value)) {}

    /// The value with the given bit pattern.
    [[nodiscard]] static constexpr half from_bits(std::uint16_t bits) noexcept {
        half x;
        x.bits_ = bits;
        return x;
    }
    /// The bit pattern.
    [[nodiscard]] constexpr std::uint16_t bits() const noexcept { return bits_; }

    /// Exact.
    constexpr explicit operator float() const noexcept { return detail::half_bits_to_float(bits_); }
    /// Exact.
    constexpr explicit operator double() const noexcept { return static_cast<double>(static_cast<float>(*this)); }

    /// IEEE equality: NaN equals nothing, +0 == -0.
    friend constexpr bool operator==(half a, half b) noexcept { return static_cast<float>(a) == static_cast<float>(b); }
    /// IEEE ordering: unordered when either is NaN.
    friend constexpr std::partial_ordering operator<=>(half a, half b) noexcept {
        return static_cast<float>(a) <=> static_cast<float>(b);
    }

private:
    std::uint16_t bits_ = 0;
};

static_assert(sizeof(bfloat16) == 2 && alignof(bfloat16) == 2 && std::is_trivially_copyable_v<bfloat16>);
static_assert(sizeof(half) == 2 && alignof(half) == 2 && std::is_trivially_copyable_v<half>);

/// Exact.
[[nodiscard]] constexpr float to_float(bfloat16 x) noexcept { return static_cast<float>(x); }
/// Exact.
[[nodiscard]] constexpr float to_float(half x) noexcept { return static_cast<float>(x); }
/// Exact.
[[nodiscard]] constexpr double to_double(bfloat16 x) noexcept { return static_cast<double>(x); }
/// Exact.
[[nodiscard]] constexpr double to_double(half x) noexcept { return static_cast<double>(x); }

/// Rounded to nearest, ties to even; NaN becomes a quiet NaN.
[[nodiscard]] constexpr bfloat16 to_bfloat16(float x) noexcept { return bfloat16(x); }
/// Rounded once to nearest, ties to even; NaN becomes a quiet NaN.
[[nodiscard]] constexpr bfloat16 to_bfloat16(double x) noexcept { return bfloat16(x); }
/// Rounded to nearest, ties to even; NaN becomes a quiet NaN.
[[nodiscard]] constexpr half to_half(float x) noexcept { return half(x); }
/// Rounded once to nearest, ties to even; NaN becomes a quiet NaN.
[[nodiscard]] constexpr half to_half(double x) noexcept { return half(x); }

namespace detail {
/// \cond

template <class To, class From>
void convert_elements(std::span<const From> in, std::span<To> out) {
    if (in.size() != out.size()) {
        throw_argument<dimension_mismatch>("convert", "out",
                                           "has " + std::to_string(out.size()) + " elements, 'in' has " +
                                               std::to_string(in.size()));
    }
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = static_cast<To>(in[i]);
}

/// \endcond
}  // namespace detail

/// Element-wise conversion, with the rounding of the scalar conversions. `in` and `out` must
/// have the same length (else `tessera::dimension_mismatch`) and must not overlap.
inline void convert(std::span<const float> in, std::span<bfloat16> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const bfloat16> in, std::span<float> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const double> in, std::span<bfloat16> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const bfloat16> in, std::span<double> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const float> in, std::span<half> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const half> in, std::span<float> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const double> in, std::span<half> out) { detail::convert_elements(in, out); }
/// See above.
inline void convert(std::span<const half> in, std::span<double> out) { detail::convert_elements(in, out); }

// Archive tags. Declared here rather than by including archive.hpp, which would make every user
// of these types pay for <filesystem> and <fstream>; the enumerator values are fixed by the
// archive format (bf16 = 3, f16 = 4, see docs/core.md) and checked against archive.hpp by the
// tests.
enum class type_tag : std::uint8_t;
template <class T>
struct archive_type;

/// Archives store bfloat16 values under type_tag::bf16.
template <>
struct archive_type<bfloat16> {
    static constexpr type_tag tag = type_tag{3};  ///< type_tag::bf16
};
/// Archives store half values under type_tag::f16.
template <>
struct archive_type<half> {
    static constexpr type_tag tag = type_tag{4};  ///< type_tag::f16
};

}  // namespace tessera

namespace tessera::detail {
/// \cond
// The numeric_limits members that bfloat16 and half share: both are binary floating-point
// formats with infinities, NaNs and subnormals, rounded to nearest.
struct limits_16bit_float {
    static constexpr bool is_specialized = true;
    static constexpr bool is_signed = true;
    static constexpr bool is_integer = false;
    static constexpr bool is_exact = false;
    static constexpr bool has_infinity = true;
    static constexpr bool has_quiet_NaN = true;
    static constexpr bool has_signaling_NaN = true;
    static constexpr std::float_denorm_style has_denorm = std::denorm_present;
    static constexpr bool has_denorm_loss = false;
    static constexpr std::float_round_style round_style = std::round_to_nearest;
    static constexpr bool is_bounded = true;
    static constexpr bool is_modulo = false;
    static constexpr int radix = 2;
    static constexpr bool traps = false;
    static constexpr bool tinyness_before = false;
};
/// \endcond
}  // namespace tessera::detail

namespace std {

/// The limits of tessera::bfloat16, with the standard meaning of every member. The members
/// that bfloat16 and half share (is_specialized, has_infinity, has_denorm, round_style, ...)
/// describe a signed binary format with infinities, NaNs and subnormals, rounded to nearest.
template <>
class numeric_limits<tessera::bfloat16> : public tessera::detail::limits_16bit_float {
    using T = tessera::bfloat16;

public:
    static constexpr bool is_iec559 = false;  ///< not an IEEE 754 format
    static constexpr int digits = 8;           ///< significand bits, the implicit bit included
    static constexpr int digits10 = 2;         ///< decimal digits that survive a round trip
    static constexpr int max_digits10 = 4;     ///< decimal digits that tell every value apart
    static constexpr int min_exponent = -125;  ///< one more than the least normal binary exponent
    static constexpr int min_exponent10 = -37; ///< least power of 10 that is a normal value
    static constexpr int max_exponent = 128;   ///< one more than the largest binary exponent
    static constexpr int max_exponent10 = 38;  ///< largest power of 10 that is finite

    static constexpr T min() noexcept { return T::from_bits(0x0080); }  ///< least positive normal, 2^-126
    static constexpr T max() noexcept { return T::from_bits(0x7F7F); }  ///< largest finite, (2 - 2^-7) * 2^127
    static constexpr T lowest() noexcept { return T::from_bits(0xFF7F); }  ///< most negative finite, -max()
    static constexpr T epsilon() noexcept { return T::from_bits(0x3C00); }      ///< gap from 1 to the next value, 2^-7
    static constexpr T round_error() noexcept { return T::from_bits(0x3F00); }  ///< 0.5 (round to nearest)
    static constexpr T infinity() noexcept { return T::from_bits(0x7F80); }  ///< positive infinity
    static constexpr T quiet_NaN() noexcept { return T::from_bits(0x7FC0); }  ///< a positive quiet NaN
    static constexpr T signaling_NaN() noexcept { return T::from_bits(0x7FA0); }  ///< a positive signaling NaN
    static constexpr T denorm_min() noexcept { return T::from_bits(0x0001); }  ///< least positive subnormal, 2^-133
};

/// The limits of tessera::half, with the standard meaning of every member. The members that
/// bfloat16 and half share (is_specialized, has_infinity, has_denorm, round_style, ...)
/// describe a signed binary format with infinities, NaNs and subnormals, rounded to nearest.
template <>
class numeric_limits<tessera::half> : public tessera::detail::limits_16bit_float {
    using T = tessera::half;

public:
    static constexpr bool is_iec559 = true;   ///< IEEE 754 binary16
    static constexpr int digits = 11;          ///< significand bits, the implicit bit included
    static constexpr int digits10 = 3;         ///< decimal digits that survive a round trip
    static constexpr int max_digits10 = 5;     ///< decimal digits that tell every value apart
    static constexpr int min_exponent = -13;   ///< one more than the least normal binary exponent
    static constexpr int min_exponent10 = -4;  ///< least power of 10 that is a normal value
    static constexpr int max_exponent = 16;    ///< one more than the largest binary exponent
    static constexpr int max_exponent10 = 4;   ///< largest power of 10 that is finite

    static constexpr T min() noexcept { return T::from_bits(0x0400); }  ///< least positive normal, 2^-14
    static constexpr T max() noexcept { return T::from_bits(0x7BFF); }  ///< largest finite, 65504
    static constexpr T lowest() noexcept { return T::from_bits(0xFBFF); }  ///< most negative finite, -65504
    static constexpr T epsilon() noexcept { return T::from_bits(0x1400); }      ///< gap from 1 to the next value, 2^-10
    static constexpr T round_error() noexcept { return T::from_bits(0x3800); }  ///< 0.5 (round to nearest)
    static constexpr T infinity() noexcept { return T::from_bits(0x7C00); }  ///< positive infinity
    static constexpr T quiet_NaN() noexcept { return T::from_bits(0x7E00); }  ///< a positive quiet NaN
    static constexpr T signaling_NaN() noexcept { return T::from_bits(0x7D00); }  ///< a positive signaling NaN
    static constexpr T denorm_min() noexcept { return T::from_bits(0x0001); }  ///< least positive subnormal, 2^-24
};

}  // namespace std
