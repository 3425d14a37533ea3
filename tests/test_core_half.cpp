// bfloat16 and half: exhaustive conversion checks against a decoder written here from the format
// definitions, round-to-nearest-even at every midpoint of both formats (from float, double and
// integers), the edge cases of each, numeric_limits, bulk conversion, and use in dense_matrix and
// the archive.
#include <doctest/doctest.h>

#include <tessera/core/half.hpp>
#include <tessera/core/archive.hpp>
#include <tessera/core/dense_matrix.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using tessera::bfloat16;
using tessera::half;

// The types are what dense_matrix and the archive need.
static_assert(sizeof(bfloat16) == 2 && alignof(bfloat16) == 2);
static_assert(sizeof(half) == 2 && alignof(half) == 2);
static_assert(std::is_trivially_copyable_v<bfloat16> && std::is_trivially_copyable_v<half>);
static_assert(std::is_standard_layout_v<bfloat16> && std::is_standard_layout_v<half>);
static_assert(std::is_nothrow_default_constructible_v<bfloat16> && std::is_nothrow_default_constructible_v<half>);
static_assert(sizeof(tessera::dense_matrix<bfloat16>) > 0);  // instantiates the class and its checks
static_assert(sizeof(tessera::dense_matrix<half>) > 0);
static_assert(tessera::type_tag_of<bfloat16> == tessera::type_tag::bf16);
static_assert(tessera::type_tag_of<half> == tessera::type_tag::f16);

// Conversions are explicit in both directions: no silent rounding, no silent widening.
static_assert(!std::is_convertible_v<float, half> && !std::is_convertible_v<half, float>);
static_assert(!std::is_convertible_v<double, bfloat16> && !std::is_convertible_v<bfloat16, double>);
static_assert(std::is_constructible_v<half, int> && std::is_constructible_v<bfloat16, unsigned long long>);
static_assert(!std::is_constructible_v<half, bool>);

// Conversions work at compile time.
static_assert(bfloat16().bits() == 0 && half().bits() == 0);
static_assert(half(1.0f).bits() == 0x3C00 && half(-2.0).bits() == 0xC000 && half(65520.0f).bits() == 0x7C00);
static_assert(bfloat16(1.0f).bits() == 0x3F80 && bfloat16(3).bits() == 0x4040);
static_assert(tessera::to_float(half::from_bits(0x0001)) == 0x1p-24f);
static_assert(tessera::to_float(bfloat16::from_bits(0xC0A0)) == -5.0f);
static_assert(half(0.5f) == half(0.5) && half(0.0f) == half(-0.0f) && half(1.0f) < half(2.0f));

namespace {

std::uint32_t float_bits(float f) { return std::bit_cast<std::uint32_t>(f); }
std::uint64_t double_bits(double d) { return std::bit_cast<std::uint64_t>(d); }

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

// Per-type facts from the format definitions, and the conversions under test.
template <class T>
struct format;

template <>
struct format<bfloat16> {
    static constexpr int exp_bits = 8;
    static constexpr int mant_bits = 7;
    static bfloat16 from(float f) { return tessera::to_bfloat16(f); }
    static bfloat16 from(double d) { return tessera::to_bfloat16(d); }
};

template <>
struct format<half> {
    static constexpr int exp_bits = 5;
    static constexpr int mant_bits = 10;
    static half from(float f) { return tessera::to_half(f); }
    static half from(double d) { return tessera::to_half(d); }
};

template <class T>
constexpr int bias = (1 << (format<T>::exp_bits - 1)) - 1;
template <class T>
constexpr std::uint16_t inf_bits = static_cast<std::uint16_t>(((1u << format<T>::exp_bits) - 1u) << format<T>::mant_bits);
template <class T>
constexpr std::uint16_t quiet_bit = static_cast<std::uint16_t>(1u << (format<T>::mant_bits - 1));

// The value of a bit pattern, read off the format definition:
// (-1)^s * 2^(e - bias) * 1.m for normal numbers, (-1)^s * 2^(1 - bias) * 0.m for e = 0, and
// infinity / NaN for e = all ones. With `unbounded`, e = all ones is decoded as one more binade
// of normal numbers (so the pattern after the largest finite value is 2^(emax + 1), the value
// that rounding to nearest treats as the next step up).
template <class T>
double reference_value(std::uint16_t bits, bool unbounded = false) {
    constexpr int eb = format<T>::exp_bits;
    constexpr int mb = format<T>::mant_bits;
    const bool negative = (bits >> 15) != 0;
    const int e = (bits >> mb) & ((1 << eb) - 1);
    const int m = bits & ((1 << mb) - 1);
    double v = 0;
    if (e == (1 << eb) - 1 && !unbounded) {
        v = m == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    } else if (e == 0) {
        v = std::ldexp(static_cast<double>(m), 1 - bias<T> - mb);
    } else {
        v = std::ldexp(static_cast<double>(m + (1 << mb)), e - bias<T> - mb);
    }
    return negative ? -v : v;
}

// Collects mismatches so that a broken exhaustive loop reports a few examples, not 65,536 lines.
struct mismatches {
    int count = 0;
    void add(const std::string& what) {
        if (++count <= 10) FAIL_CHECK(what);
    }
};

}  // namespace

TEST_CASE_TEMPLATE("every bit pattern converts exactly to float and back", T, bfloat16, half) {
    constexpr int mb = format<T>::mant_bits;
    mismatches bad;
    int finite = 0;
    int nans = 0;
    for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
        const auto bits = static_cast<std::uint16_t>(b);
        const T x = T::from_bits(bits);
        REQUIRE(x.bits() == bits);
        const float f = tessera::to_float(x);
        const double ref = reference_value<T>(bits);
        const bool negative = (bits >> 15) != 0;
        if (std::signbit(f) != negative) bad.add(hex(b) + ": sign lost");
        if (std::isnan(ref)) {
            ++nans;
            // The NaN keeps its payload, quiet bit included, in the top mantissa bits of the float.
            const std::uint32_t payload = float_bits(f) & 0x7FFFFFu;
            if (!std::isnan(f) || payload != (static_cast<std::uint32_t>(bits & ((1u << mb) - 1u)) << (23 - mb))) {
                bad.add(hex(b) + ": NaN decoded as " + hex(float_bits(f)));
            }
            // Back from float or double: the same NaN, made quiet.
            const auto quiet = static_cast<std::uint16_t>(bits | quiet_bit<T>);
            if (format<T>::from(f).bits() != quiet) bad.add(hex(b) + ": NaN from float -> " + hex(format<T>::from(f).bits()));
            const double d = static_cast<double>(x);
            if (!std::isnan(d) || std::signbit(d) != negative) bad.add(hex(b) + ": NaN to double");
            if (format<T>::from(d).bits() != quiet) bad.add(hex(b) + ": NaN from double -> " + hex(format<T>::from(d).bits()));
            if (x == x || !(x != x)) bad.add(hex(b) + ": NaN compares equal to itself");
            continue;
        }
        ++finite;
        if (static_cast<double>(f) != ref) bad.add(hex(b) + ": to float gives " + hex(float_bits(f)));
        if (tessera::to_double(x) != ref || std::signbit(tessera::to_double(x)) != negative) {
            bad.add(hex(b) + ": to double gives " + hex(double_bits(tessera::to_double(x))));
        }
        if (format<T>::from(f).bits() != bits) bad.add(hex(b) + ": from float gives " + hex(format<T>::from(f).bits()));
        if (format<T>::from(ref).bits() != bits) bad.add(hex(b) + ": from double gives " + hex(format<T>::from(ref).bits()));
        if (T(f).bits() != bits || T(ref).bits() != bits) bad.add(hex(b) + ": constructors disagree");
        if (!(x == T::from_bits(bits))) bad.add(hex(b) + ": not equal to itself");
        // Integral values also come back from the integer constructor (zero as +0).
        if (std::isfinite(ref) && ref == std::trunc(ref) && std::fabs(ref) < 0x1p63) {
            const auto i = static_cast<std::int64_t>(ref);
            const std::uint16_t want = i == 0 ? std::uint16_t{0} : bits;
            if (T(i).bits() != want) bad.add(hex(b) + ": from integer gives " + hex(T(i).bits()));
        }
    }
    CHECK(bad.count == 0);
    CHECK(nans == 2 * ((1 << mb) - 1));  // both signs, every nonzero mantissa
    CHECK(finite + nans == 65536);
}

TEST_CASE_TEMPLATE("float and double midpoints round to even, their neighbours to the nearer", T, bfloat16, half) {
    // For each pair of adjacent non-negative values lo < hi (the last pair being the largest
    // finite value and 2^(emax + 1), which rounds to infinity), in both signs:
    //   the exact midpoint rounds to the one with the even mantissa,
    //   the next float/double toward zero rounds to lo, the next one away from zero to hi.
    // Every midpoint of these formats is exact in float; double's neighbours of a midpoint round
    // to the midpoint in float, so they also catch double -> float -> T double rounding.
    mismatches bad;
    int pairs = 0;
    for (std::uint32_t k = 0; k < inf_bits<T>; ++k) {
        const auto lo = static_cast<std::uint16_t>(k);
        const auto hi = static_cast<std::uint16_t>(k + 1);
        const double mid = (reference_value<T>(lo) + reference_value<T>(hi, true)) / 2;
        const auto midf = static_cast<float>(mid);
        REQUIRE(static_cast<double>(midf) == mid);
        ++pairs;
        for (int s : {1, -1}) {
            const std::uint16_t sign = s < 0 ? 0x8000 : 0;
            const auto lo_s = static_cast<std::uint16_t>(lo | sign);
            const auto hi_s = static_cast<std::uint16_t>(hi | sign);
            const auto even = (lo & 1u) == 0 ? lo_s : hi_s;
            const float mf = static_cast<float>(s) * midf;
            const double md = s * mid;
            const float inf_f = std::numeric_limits<float>::infinity();
            const double inf_d = std::numeric_limits<double>::infinity();
            const auto check = [&](std::uint16_t got, std::uint16_t want, const char* what) {
                if (got != want) bad.add(hex(k) + (s < 0 ? " negative, " : ", ") + what + ": got " + hex(got) + ", want " + hex(want));
            };
            check(format<T>::from(mf).bits(), even, "float midpoint");
            check(format<T>::from(std::nextafter(mf, 0.0f)).bits(), lo_s, "float below midpoint");
            check(format<T>::from(std::nextafter(mf, s * inf_f)).bits(), hi_s, "float above midpoint");
            check(format<T>::from(md).bits(), even, "double midpoint");
            check(format<T>::from(std::nextafter(md, 0.0)).bits(), lo_s, "double below midpoint");
            check(format<T>::from(std::nextafter(md, s * inf_d)).bits(), hi_s, "double above midpoint");
        }
    }
    CHECK(bad.count == 0);
    CHECK(pairs == inf_bits<T>);
}

TEST_CASE("half: overflow, underflow, signed zeros, infinities") {
    const auto h = [](auto v) { return tessera::to_half(v).bits(); };
    // Overflow: the largest finite value is 65504; halfway to 65536 (65520) rounds to infinity.
    CHECK(h(65504.0f) == 0x7BFF);
    CHECK(h(65519.99f) == 0x7BFF);
    CHECK(h(65520.0f) == 0x7C00);
    CHECK(h(-65520.0f) == 0xFC00);
    CHECK(h(1e10f) == 0x7C00);
    CHECK(h(std::numeric_limits<float>::max()) == 0x7C00);
    CHECK(h(65520.0 - 0x1p-30) == 0x7BFF);  // in float this double would already be 65520
    CHECK(h(65520.0) == 0x7C00);
    CHECK(h(1e300) == 0x7C00);
    CHECK(h(-std::numeric_limits<double>::max()) == 0xFC00);
    // Underflow: 2^-24 is the smallest subnormal; half of it ties to the even neighbour, zero.
    CHECK(h(0x1p-24f) == 0x0001);
    CHECK(h(0x1p-25f) == 0x0000);
    CHECK(h(-0x1p-25f) == 0x8000);
    CHECK(h(std::nextafter(0x1p-25f, 1.0f)) == 0x0001);
    CHECK(h(std::nextafter(0x1p-25, 1.0)) == 0x0001);
    CHECK(h(0x1p-25 + 0x1p-70) == 0x0001);
    CHECK(h(3 * 0x1p-25f) == 0x0002);  // tie between 1 and 2 subnormal quanta: even is 2
    CHECK(h(5 * 0x1p-25f) == 0x0002);  // tie between 2 and 3: even is 2
    CHECK(h(0x1p-14f - 0x1p-25f) == 0x0400);  // tie between the largest subnormal and 2^-14
    CHECK(h(0x1p-26f) == 0x0000);
    CHECK(h(-0x1p-26f) == 0x8000);
    CHECK(h(std::numeric_limits<float>::denorm_min()) == 0x0000);
    CHECK(h(-std::numeric_limits<float>::denorm_min()) == 0x8000);
    CHECK(h(std::numeric_limits<double>::denorm_min()) == 0x0000);
    CHECK(h(-std::numeric_limits<double>::min()) == 0x8000);
    // Zeros and infinities keep their sign.
    CHECK(h(0.0f) == 0x0000);
    CHECK(h(-0.0f) == 0x8000);
    CHECK(h(-0.0) == 0x8000);
    CHECK(h(std::numeric_limits<float>::infinity()) == 0x7C00);
    CHECK(h(-std::numeric_limits<float>::infinity()) == 0xFC00);
    CHECK(h(-std::numeric_limits<double>::infinity()) == 0xFC00);
    CHECK(std::signbit(tessera::to_float(half::from_bits(0x8000))));
    CHECK(half::from_bits(0x8000) == half::from_bits(0x0000));
    // Ordinary values.
    CHECK(h(1.0f) == 0x3C00);
    CHECK(h(-2.5f) == 0xC100);
    CHECK(h(0.1f) == 0x2E66);
    CHECK(h(0.1) == 0x2E66);
    CHECK(h(1.0f / 3) == 0x3555);
}

TEST_CASE("bfloat16: overflow, underflow, signed zeros, infinities") {
    const auto b = [](auto v) { return tessera::to_bfloat16(v).bits(); };
    const float max_bf = tessera::to_float(bfloat16::from_bits(0x7F7F));
    CHECK(max_bf == 0x1.FEp127f);
    CHECK(b(max_bf) == 0x7F7F);
    CHECK(b(std::bit_cast<float>(0x7F7F7FFFu)) == 0x7F7F);
    CHECK(b(std::bit_cast<float>(0x7F7F8000u)) == 0x7F80);  // halfway to 2^128: infinity
    CHECK(b(std::numeric_limits<float>::max()) == 0x7F80);
    CHECK(b(-std::numeric_limits<float>::max()) == 0xFF80);
    CHECK(b(0x1.FFp127) == 0x7F80);
    CHECK(b(0x1.FFp127 - 0x1p90) == 0x7F7F);  // in float this double would already be the tie
    CHECK(b(1e300) == 0x7F80);
    // Subnormals: bfloat16 keeps float's exponent range, so it has them too, down to 2^-133.
    CHECK(b(0x1p-133f) == 0x0001);
    CHECK(b(0x1p-134f) == 0x0000);
    CHECK(b(-0x1p-134f) == 0x8000);
    CHECK(b(0x1p-134 + 0x1p-180) == 0x0001);
    CHECK(b(3 * 0x1p-134f) == 0x0002);
    CHECK(b(std::numeric_limits<float>::denorm_min()) == 0x0000);
    CHECK(b(std::numeric_limits<float>::min()) == 0x0080);
    CHECK(b(std::numeric_limits<double>::denorm_min()) == 0x0000);
    CHECK(b(-0x1p-140) == 0x8000);
    CHECK(b(0.0f) == 0x0000);
    CHECK(b(-0.0f) == 0x8000);
    CHECK(b(-0.0) == 0x8000);
    CHECK(b(std::numeric_limits<float>::infinity()) == 0x7F80);
    CHECK(b(-std::numeric_limits<double>::infinity()) == 0xFF80);
    CHECK(b(1.0f) == 0x3F80);
    CHECK(b(0.1f) == 0x3DCD);
    CHECK(b(-3.14159265f) == 0xC049);
}

TEST_CASE("NaN becomes a quiet NaN with its sign, never an infinity") {
    // A NaN whose payload lies only in the bits that are dropped would truncate to infinity,
    // and rounding 0x7FFFFFFF up would carry through the exponent into the sign bit.
    CHECK(tessera::to_bfloat16(std::bit_cast<float>(0x7F800001u)).bits() == 0x7FC0);
    CHECK(tessera::to_bfloat16(std::bit_cast<float>(0xFF800001u)).bits() == 0xFFC0);
    CHECK(tessera::to_bfloat16(std::bit_cast<float>(0x7FFFFFFFu)).bits() == 0x7FFF);
    CHECK(tessera::to_bfloat16(std::bit_cast<float>(0xFFFFFFFFu)).bits() == 0xFFFF);
    CHECK(tessera::to_bfloat16(std::bit_cast<float>(0x7F808000u)).bits() == 0x7FC0);
    CHECK(tessera::to_bfloat16(std::bit_cast<float>(0x7FA00000u)).bits() == 0x7FE0);  // payload kept
    CHECK(tessera::to_half(std::bit_cast<float>(0x7F800001u)).bits() == 0x7E00);
    CHECK(tessera::to_half(std::bit_cast<float>(0xFF800001u)).bits() == 0xFE00);
    CHECK(tessera::to_half(std::bit_cast<float>(0x7FFFFFFFu)).bits() == 0x7FFF);
    CHECK(tessera::to_half(std::bit_cast<float>(0x7FA00000u)).bits() == 0x7F00);
    CHECK(tessera::to_half(std::bit_cast<double>(0x7FF0000000000001ull)).bits() == 0x7E00);
    CHECK(tessera::to_half(std::bit_cast<double>(0xFFFFFFFFFFFFFFFFull)).bits() == 0xFFFF);
    CHECK(tessera::to_bfloat16(std::bit_cast<double>(0x7FF0000000000001ull)).bits() == 0x7FC0);
    CHECK(tessera::to_bfloat16(std::bit_cast<double>(0xFFFFFFFFFFFFFFFFull)).bits() == 0xFFFF);
    CHECK(tessera::to_half(std::numeric_limits<float>::quiet_NaN()).bits() == 0x7E00);
    CHECK(tessera::to_half(-std::numeric_limits<double>::quiet_NaN()).bits() == 0xFE00);
    CHECK(tessera::to_bfloat16(std::numeric_limits<float>::quiet_NaN()).bits() == 0x7FC0);
    for (float nan : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
                      std::numeric_limits<float>::signaling_NaN()}) {
        CHECK(std::isnan(tessera::to_float(tessera::to_half(nan))));
        CHECK(std::isnan(tessera::to_float(tessera::to_bfloat16(nan))));
        CHECK(std::signbit(tessera::to_float(tessera::to_half(nan))) == std::signbit(nan));
    }
}

TEST_CASE("from double: rounded once, not through float") {
    // 1 + 2^-11 is the midpoint between half's 1 and 1 + 2^-10. A double just above it rounds
    // to the midpoint in float, and the midpoint then ties to even (1.0): wrong. Directly, it
    // rounds up.
    const double above = 1.0 + 0x1p-11 + 0x1p-40;
    REQUIRE(static_cast<float>(above) == 1.0f + 0x1p-11f);
    CHECK(tessera::to_half(static_cast<float>(above)).bits() == 0x3C00);  // the double rounding
    CHECK(tessera::to_half(above).bits() == 0x3C01);
    CHECK(half(above).bits() == 0x3C01);
    CHECK(tessera::to_half(-above).bits() == 0xBC01);
    // Likewise just below a midpoint whose even neighbour is above it.
    const double below = 1.0 + 3 * 0x1p-11 - 0x1p-40;  // midpoint of 1+2^-10 (odd) and 1+2^-9 (even)
    REQUIRE(static_cast<float>(below) == 1.0f + 3 * 0x1p-11f);
    CHECK(tessera::to_half(static_cast<float>(below)).bits() == 0x3C02);
    CHECK(tessera::to_half(below).bits() == 0x3C01);
    // The same trap for bfloat16, whose midpoint after 1 is 1 + 2^-8.
    const double above_b = 1.0 + 0x1p-8 + 0x1p-40;
    REQUIRE(static_cast<float>(above_b) == 1.0f + 0x1p-8f);
    CHECK(tessera::to_bfloat16(static_cast<float>(above_b)).bits() == 0x3F80);
    CHECK(tessera::to_bfloat16(above_b).bits() == 0x3F81);
    // In the half subnormal range: just above half the smallest subnormal.
    CHECK(tessera::to_half(0x1p-25 + 0x1p-60).bits() == 0x0001);
    CHECK(tessera::to_half(static_cast<float>(0x1p-25 + 0x1p-60)).bits() == 0x0000);
}

TEST_CASE("from integers: rounded once, to nearest even") {
    // Every integer that double holds exactly converts as that double does.
    mismatches bad;
    for (int i = -70000; i <= 70000; ++i) {
        if (half(i).bits() != tessera::to_half(static_cast<double>(i)).bits()) bad.add("half(" + std::to_string(i) + ")");
        if (bfloat16(i).bits() != tessera::to_bfloat16(static_cast<double>(i)).bits()) {
            bad.add("bfloat16(" + std::to_string(i) + ")");
        }
    }
    CHECK(bad.count == 0);
    CHECK(half(0).bits() == 0x0000);
    CHECK(half(2049).bits() == half(2048.0f).bits());  // tie: 2048 has the even mantissa
    CHECK(half(2051).bits() == half(2052.0f).bits());
    CHECK(half(65519).bits() == 0x7BFF);
    CHECK(half(65520).bits() == 0x7C00);
    CHECK(half(-65520).bits() == 0xFC00);
    CHECK(half(std::numeric_limits<std::int64_t>::min()).bits() == 0xFC00);
    CHECK(half(static_cast<std::int8_t>(-128)).bits() == 0xD800);
    CHECK(half(static_cast<unsigned char>(255)).bits() == 0x5BF8);
    CHECK(bfloat16(257).bits() == bfloat16(256.0f).bits());
    CHECK(bfloat16(259).bits() == bfloat16(260.0f).bits());
    CHECK(tessera::to_double(bfloat16(std::numeric_limits<std::int64_t>::min())) == -0x1p63);
    CHECK(tessera::to_double(bfloat16(std::numeric_limits<std::uint64_t>::max())) == 0x1p64);
    // Above 2^53 an integer would round once to double and again to bfloat16: 2^56 + 2^48 + 1
    // is just above the midpoint of 2^56 and 2^56 + 2^49, but as a double it is the midpoint.
    const std::uint64_t n = (std::uint64_t{1} << 56) + (std::uint64_t{1} << 48) + 1;
    REQUIRE(static_cast<double>(n) == 0x1p56 + 0x1p48);
    CHECK(tessera::to_bfloat16(static_cast<double>(n)).bits() == bfloat16(0x1p56).bits());
    CHECK(tessera::to_double(bfloat16(n)) == 0x1p56 + 0x1p49);
}

TEST_CASE("comparison follows IEEE") {
    const half nan = std::numeric_limits<half>::quiet_NaN();
    CHECK_FALSE(nan == nan);
    CHECK(nan != nan);
    CHECK_FALSE(nan < half(1.0f));
    CHECK_FALSE(nan > half(1.0f));
    CHECK((nan <=> nan) == std::partial_ordering::unordered);
    CHECK(half(-0.0f) == half(0.0f));
    CHECK(half(-1.0f) < half(-0.5f));
    CHECK(half(1.0f) <= half(1.0f));
    CHECK(std::numeric_limits<half>::lowest() < std::numeric_limits<half>::max());
    CHECK(std::numeric_limits<half>::max() < std::numeric_limits<half>::infinity());
    const bfloat16 bnan = std::numeric_limits<bfloat16>::signaling_NaN();
    CHECK_FALSE(bnan == bnan);
    CHECK(bfloat16(-0.0f) == bfloat16(0.0f));
    CHECK(bfloat16(2.0f) > bfloat16(1.0f));
    CHECK(bfloat16::from_bits(0x3F80) != bfloat16::from_bits(0x3F81));
}

TEST_CASE_TEMPLATE("numeric_limits match the format definition", T, bfloat16, half) {
    using L = std::numeric_limits<T>;
    constexpr int mb = format<T>::mant_bits;
    constexpr int emax = bias<T>;
    constexpr int emin = 1 - bias<T>;
    const auto v = [](T x) { return tessera::to_double(x); };
    static_assert(L::is_specialized && L::is_signed && !L::is_integer && !L::is_exact);
    static_assert(L::has_infinity && L::has_quiet_NaN && L::has_signaling_NaN);
    static_assert(L::has_denorm == std::denorm_present && !L::has_denorm_loss);
    static_assert(L::round_style == std::round_to_nearest && L::is_bounded && !L::is_modulo);
    static_assert(!L::traps && !L::tinyness_before && L::radix == 2);
    CHECK(L::is_iec559 == std::is_same_v<T, half>);  // binary16 is an IEEE 754 format, bfloat16 is not
    CHECK(L::digits == mb + 1);
    CHECK(L::digits10 == static_cast<int>(std::floor((L::digits - 1) * std::log10(2.0))));
    CHECK(L::max_digits10 == static_cast<int>(std::ceil(1 + L::digits * std::log10(2.0))));
    CHECK(L::min_exponent == emin + 1);  // C's convention: the significand is in [0.5, 1)
    CHECK(L::max_exponent == emax + 1);
    CHECK(v(L::min()) == std::ldexp(1.0, emin));
    CHECK(v(L::max()) == std::ldexp(2.0 - std::ldexp(1.0, -mb), emax));
    CHECK(v(L::lowest()) == -v(L::max()));
    CHECK(v(L::epsilon()) == std::ldexp(1.0, -mb));
    CHECK(v(T(1.0f)) + v(L::epsilon()) == v(T::from_bits(static_cast<std::uint16_t>(T(1.0f).bits() + 1))));
    CHECK(v(L::round_error()) == 0.5);
    CHECK(v(L::denorm_min()) == std::ldexp(1.0, emin - mb));
    CHECK(L::min_exponent10 == static_cast<int>(std::ceil(std::log10(v(L::min())))));
    CHECK(L::max_exponent10 == static_cast<int>(std::floor(std::log10(v(L::max())))));
    CHECK(v(L::infinity()) == std::numeric_limits<double>::infinity());
    CHECK(L::infinity().bits() == inf_bits<T>);
    CHECK(std::isnan(v(L::quiet_NaN())));
    CHECK((L::quiet_NaN().bits() & quiet_bit<T>) != 0);
    CHECK(std::isnan(tessera::to_float(L::signaling_NaN())));
    CHECK((L::signaling_NaN().bits() & quiet_bit<T>) == 0);
    CHECK(reference_value<T>(L::max().bits()) == v(L::max()));
    if constexpr (std::is_same_v<T, bfloat16>) {
        // Same exponent range as float.
        CHECK(tessera::to_float(L::min()) == std::numeric_limits<float>::min());
        CHECK(L::min_exponent == std::numeric_limits<float>::min_exponent);
        CHECK(L::max_exponent == std::numeric_limits<float>::max_exponent);
        CHECK(L::min_exponent10 == std::numeric_limits<float>::min_exponent10);
        CHECK(L::max_exponent10 == std::numeric_limits<float>::max_exponent10);
    } else {
        CHECK(tessera::to_float(L::max()) == 65504.0f);
    }
}

TEST_CASE_TEMPLATE("bulk conversion", T, bfloat16, half) {
    std::mt19937 gen(20240611u);  // bit patterns straight from the engine: fully specified
    std::vector<float> floats;
    std::vector<double> doubles;
    for (int i = 0; i < 1000; ++i) {
        floats.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(gen())));
        const std::uint64_t hi = gen();
        doubles.push_back(std::bit_cast<double>((hi << 32) | gen()));
    }
    floats.insert(floats.end(), {0.0f, -0.0f, 1.0f, 65520.0f, std::numeric_limits<float>::infinity()});

    std::vector<T> out(floats.size());
    tessera::convert(floats, out);
    for (std::size_t i = 0; i < floats.size(); ++i) REQUIRE(out[i].bits() == format<T>::from(floats[i]).bits());
    std::vector<float> back(out.size());
    tessera::convert(out, back);
    for (std::size_t i = 0; i < out.size(); ++i) {
        REQUIRE(float_bits(back[i]) == float_bits(tessera::to_float(out[i])));
    }

    std::vector<T> out_d(doubles.size());
    tessera::convert(doubles, out_d);
    for (std::size_t i = 0; i < doubles.size(); ++i) REQUIRE(out_d[i].bits() == format<T>::from(doubles[i]).bits());
    std::vector<double> back_d(out_d.size());
    tessera::convert(std::span<const T>(out_d), std::span<double>(back_d));
    for (std::size_t i = 0; i < out_d.size(); ++i) {
        REQUIRE(double_bits(back_d[i]) == double_bits(tessera::to_double(out_d[i])));
        // Round trip of the 16-bit values: exact (NaNs stay NaNs).
        const T again = format<T>::from(back_d[i]);
        if (std::isnan(back_d[i])) {
            REQUIRE(std::isnan(tessera::to_float(again)));
        } else {
            REQUIRE(again.bits() == out_d[i].bits());
        }
    }

    // Empty spans are fine.
    tessera::convert(std::span<const float>(), std::span<T>());
    tessera::convert(std::span<const T>(), std::span<double>());

    // Lengths must agree.
    std::vector<T> short_out(2);
    const std::vector<float> three{1.0f, 2.0f, 3.0f};
    CHECK_THROWS_WITH_AS(tessera::convert(three, short_out),
                         "tessera::convert: argument 'out': has 2 elements, 'in' has 3", tessera::dimension_mismatch);
    CHECK_THROWS_AS(tessera::convert(std::span<const T>(short_out), std::span<float>(floats)), tessera::error);
    CHECK_THROWS_AS(tessera::convert(std::span<const double>(doubles), std::span<T>(short_out)), std::invalid_argument);
    CHECK_THROWS_AS(tessera::convert(std::span<const T>(short_out), std::span<double>(doubles)), tessera::dimension_mismatch);
}

TEST_CASE_TEMPLATE("dense_matrix and the archive hold the 16-bit types", T, bfloat16, half) {
    tessera::dense_matrix<T> m(3, 5);
    REQUIRE(m.stride() == 32);  // 64-byte rows of 2-byte elements
    for (std::size_t i = 0; i < m.rows(); ++i) {
        for (std::size_t j = 0; j < m.stride(); ++j) CHECK(m.data()[i * m.stride() + j].bits() == 0);  // +0
    }
    for (std::size_t i = 0; i < m.rows(); ++i) {
        for (std::size_t j = 0; j < m.cols(); ++j) m(i, j) = T(static_cast<float>(i * 10 + j) - 7.5f);
    }
    m(2, 4) = std::numeric_limits<T>::infinity();
    CHECK(tessera::to_float(m(1, 2)) == 4.5f);
    CHECK(m(2, 4) == std::numeric_limits<T>::infinity());
    CHECK(m.data()[m.stride() + 5].bits() == 0);  // padding untouched

    tessera::dense_matrix<T> lit{{T(1.0f), T(-2.0f)}, {T(0.25f), T(3)}};
    CHECK(tessera::to_float(lit(1, 1)) == 3.0f);

    const tessera::archive_header header{"half_test", 1, tessera::type_tag_of<T>, tessera::type_tag::none};
    tessera::archive_writer w(header);
    w.write_matrix<T>(m);
    w.write(T(0.5f));
    const std::vector<T> values{T(1.0f), std::numeric_limits<T>::lowest(), T::from_bits(0x8000)};
    w.write_span(std::span<const T>(values));
    // Through a stream rather than bytes(): GCC 12 at -O2 reports a false -Wstringop-overread
    // inside archive_writer::bytes() when it is inlined here.
    std::stringstream stream;
    w.write_to(stream);
    const std::string bytes = stream.str();
    CHECK(static_cast<int>(bytes.at(48)) == (std::is_same_v<T, half> ? 4 : 3));  // the documented tag

    tessera::archive_reader r(stream, header);
    CHECK(r.header().element == tessera::type_tag_of<T>);
    const auto m2 = r.read_matrix<T>("m");
    CHECK(m2 == m);
    CHECK(r.read<T>("x").bits() == T(0.5f).bits());
    const auto values2 = r.read_vector<T>("values");
    REQUIRE(values2.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(values2[i].bits() == values[i].bits());
    r.expect_end();

    // Saved as one type, refused as the other.
    const tessera::archive_header other{"half_test", 1,
                                        std::is_same_v<T, half> ? tessera::type_tag::bf16 : tessera::type_tag::f16,
                                        tessera::type_tag::none};
    std::stringstream again(bytes);
    CHECK_THROWS_AS(tessera::archive_reader(again, other), tessera::format_error);
}

#if defined(__FLT16_MANT_DIG__) && !defined(__clang__)
// GCC's _Float16 (x86 with SSE2, GCC 12 and later): an independent implementation of binary16
// conversions, used here only as a cross-check.
TEST_CASE("half agrees with the compiler's _Float16") {
    mismatches bad;
    for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
        const auto bits = static_cast<std::uint16_t>(b);
        const auto native = std::bit_cast<_Float16>(bits);
        const float f = tessera::to_float(half::from_bits(bits));
        const auto nf = static_cast<float>(native);
        if (std::isnan(f) ? !std::isnan(nf) : float_bits(f) != float_bits(nf)) bad.add("to float " + hex(b));
    }
    std::mt19937_64 gen(7);
    for (int i = 0; i < 300000; ++i) {
        const std::uint64_t r = gen();
        // Floats of every exponent, and doubles concentrated around half's range.
        const float f = std::bit_cast<float>(static_cast<std::uint32_t>(r));
        const double d = std::ldexp(static_cast<double>(r >> 11) * 0x1p-53, static_cast<int>(r % 64) - 40) *
                         ((r & 1) != 0 ? -1 : 1);
        for (const auto& [got, want] : {std::pair{tessera::to_half(f), static_cast<_Float16>(f)},
                                        std::pair{tessera::to_half(d), static_cast<_Float16>(d)}}) {
            const auto want_bits = std::bit_cast<std::uint16_t>(want);
            const bool both_nan = std::isnan(tessera::to_float(got)) && std::isnan(static_cast<float>(want));
            if (!both_nan && got.bits() != want_bits) bad.add("from " + hex(r) + ": " + hex(got.bits()) + " vs " + hex(want_bits));
        }
    }
    CHECK(bad.count == 0);
}
#endif
