// Mixed-type kernels (a float query against bfloat16, half or int8 rows; 16-bit x 16-bit):
// at every supported level the result must equal, bit for bit, the float kernel of the same
// implementation on the rows widened to float first, since both run the same accumulators in
// the same order. The exception, two bfloat16 vectors on a CPU with AVX512-BF16, is held to the
// documented error bound instead.
#include <doctest/doctest.h>

#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/simd/kernels.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "simd_test_support.hpp"

namespace simd = tessera::simd;

namespace {

template <class R>
R narrow_from(double x) {
    if constexpr (std::is_same_v<R, std::int8_t>) {
        return static_cast<std::int8_t>(std::max(-128.0, std::min(127.0, std::round(x * 40))));
    } else {
        return R(x);
    }
}

template <class R>
float wide(R x) {
    if constexpr (std::is_same_v<R, std::int8_t> || std::is_same_v<R, float>) {
        return static_cast<float>(x);
    } else {
        return tessera::to_float(x);
    }
}

// Whether two bfloat16 vectors go through the AVX512-BF16 dot-product instruction at the
// active level (the one documented exception to bit-equality with the float kernel).
template <class A, class B>
bool bf16_dot_instruction() {
    return std::is_same_v<A, tessera::bfloat16> && std::is_same_v<B, tessera::bfloat16> &&
           simd::active_level() == simd::level::avx512 && simd::cpu().avx512bf16;
}

// |computed - sum a_i b_i| <= gamma(n + 2) * sum |a_i b_i|, with the exact sum in double (the
// products of two bfloat16 values are exact in float, so only the summation rounds).
bool within_sum_bound(float computed, const std::vector<float>& a, const std::vector<float>& b) {
    double exact = 0, magnitude = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        exact += static_cast<double>(a[i]) * b[i];
        magnitude += std::abs(static_cast<double>(a[i]) * b[i]);
    }
    const double u = 0x1p-24, k = static_cast<double>(a.size() + 2);
    return std::abs(computed - exact) <= k * u / (1 - k * u) * magnitude;
}

template <class A, class B>
void check_pair(const std::vector<A>& a, const std::vector<B>& b, std::size_t offset) {
    const std::size_t n = a.size() - offset;
    std::vector<float> wa(n), wb(n);
    for (std::size_t i = 0; i < n; ++i) {
        wa[i] = wide(a[offset + i]);
        wb[i] = wide(b[offset + i]);
    }
    const A* pa = a.data() + offset;
    const B* pb = b.data() + offset;
    CAPTURE(n);
    CAPTURE(offset);
    const float dot = simd::dot(pa, pb, n);
    const float l2sq = simd::l2sq(pa, pb, n);
    const float l1 = simd::l1(pa, pb, n);
    const auto m = simd::cosine_parts(pa, pb, n);
    CHECK(l2sq == simd::l2sq(wa.data(), wb.data(), n));
    CHECK(l1 == simd::l1(wa.data(), wb.data(), n));
    const auto f = simd::cosine_parts(wa.data(), wb.data(), n);
    if (bf16_dot_instruction<A, B>()) {
        // Another summation order: within the documented bound of a double reference (the
        // inputs here are normal numbers, so the flush of subnormals plays no part).
        CHECK(within_sum_bound(dot, wa, wb));
        CHECK(within_sum_bound(m.dot, wa, wb));
        CHECK(within_sum_bound(m.norm_a, wa, wa));
        CHECK(within_sum_bound(m.norm_b, wb, wb));
        return;
    }
    CHECK(dot == simd::dot(wa.data(), wb.data(), n));
    CHECK(m.dot == f.dot);
    CHECK(m.norm_a == f.norm_a);
    CHECK(m.norm_b == f.norm_b);
}

template <class A, class B>
void check_types() {
    tessera_test::for_each_level([&](simd::level) {
        tessera::random_engine rng(33);
        auto make_a = [&](std::size_t n) {
            std::vector<A> v(n);
            for (auto& x : v) {
                if constexpr (std::is_same_v<A, float>) {
                    x = static_cast<float>(rng.normal());
                } else {
                    x = narrow_from<A>(rng.normal());
                }
            }
            return v;
        };
        auto make_b = [&](std::size_t n) {
            std::vector<B> v(n);
            for (auto& x : v) x = narrow_from<B>(rng.normal());
            return v;
        };
        for (std::size_t n = 0; n <= 200; ++n) check_pair(make_a(n), make_b(n), 0);
        for (std::size_t n : {1000u, 4097u}) check_pair(make_a(n), make_b(n), 0);
        for (std::size_t off = 1; off < 8; ++off) check_pair(make_a(150 + off), make_b(150 + off), off);
    });
}

// The random rows above hold moderate values only. Every bit pattern of the narrow type
// (subnormals, the largest finite values, infinities and NaNs included) takes its turn in one
// lane of a vector of zeros, at every position of a full vector. Against a float query, the dot
// product with ones must give back its exact float value and the L1 distance to zeros its
// magnitude. For 16-bit x 16-bit pairs, the L1 distance to zeros with the row as either argument
// (not the dot product: with AVX512-BF16 that one treats subnormals as zero).
template <class A, class R>
void check_every_value() {
    tessera_test::for_each_level([&](simd::level) {
        constexpr std::uint32_t count = std::is_same_v<R, std::int8_t> ? 256 : 65536;
        const std::vector<A> ones(16, A(1.0f)), zeros(16, A(0));
        std::vector<R> row(16, R(0));
        std::size_t wrong = 0;
        std::uint32_t first_wrong = 0;
        const auto same = [](float got, float want) { return std::isnan(want) ? std::isnan(got) : got == want; };
        for (std::uint32_t bits = 0; bits < count; ++bits) {
            R x;
            if constexpr (std::is_same_v<R, std::int8_t>) {
                x = static_cast<std::int8_t>(static_cast<std::uint8_t>(bits));
            } else {
                x = R::from_bits(static_cast<std::uint16_t>(bits));
            }
            const std::size_t k = bits % row.size();
            row[k] = x;
            const float want = wide(x);
            bool ok = same(simd::l1(zeros.data(), row.data(), row.size()), std::abs(want));
            if constexpr (std::is_same_v<A, float>) {
                ok = ok && same(simd::dot(ones.data(), row.data(), row.size()), want);
            } else {
                ok = ok && same(simd::l1(row.data(), zeros.data(), row.size()), std::abs(want));
            }
            row[k] = R(0);
            if (!ok && wrong++ == 0) first_wrong = bits;
        }
        CAPTURE(first_wrong);
        CHECK(wrong == 0);
    });
}

}  // namespace

TEST_CASE("every bfloat16, half and int8 value is widened exactly") {
    check_every_value<float, tessera::bfloat16>();
    check_every_value<float, tessera::half>();
    check_every_value<float, std::int8_t>();
    check_every_value<tessera::bfloat16, tessera::bfloat16>();
    check_every_value<tessera::half, tessera::half>();
}

TEST_CASE("float x bfloat16 equals float x widened rows") { check_types<float, tessera::bfloat16>(); }
TEST_CASE("float x half equals float x widened rows") { check_types<float, tessera::half>(); }
TEST_CASE("float x int8 equals float x widened rows") { check_types<float, std::int8_t>(); }
TEST_CASE("bfloat16 x bfloat16 equals the widened float kernel") { check_types<tessera::bfloat16, tessera::bfloat16>(); }
TEST_CASE("half x half equals the widened float kernel") { check_types<tessera::half, tessera::half>(); }

static_assert(simd::mixed_pair<float, tessera::bfloat16>);
static_assert(simd::mixed_pair<tessera::half, tessera::half>);
static_assert(!simd::mixed_pair<tessera::half, tessera::bfloat16>);  // no implicit format mixing
static_assert(!simd::mixed_pair<double, tessera::half>);
static_assert(!simd::mixed_pair<std::int8_t, std::int8_t>);  // int8 x int8 has its own exact kernels
