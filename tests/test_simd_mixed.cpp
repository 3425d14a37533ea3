// Mixed-type kernels (a float query against bfloat16, half or int8 rows; 16-bit x 16-bit):
// at every supported level the result must equal, bit for bit, the float kernel of the same
// implementation on the rows widened to float first, since both run the same accumulators in
// the same order.
#include <doctest/doctest.h>

#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/simd/kernels.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
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
    // The float kernel of the implementation the mixed kernels use: the level's own on x86,
    // the scalar one on NEON (which has no mixed kernels yet).
    std::optional<simd::scoped_level> same_code;
    if (simd::active_level() == simd::level::neon) same_code.emplace(simd::level::scalar);
    CHECK(dot == simd::dot(wa.data(), wb.data(), n));
    CHECK(l2sq == simd::l2sq(wa.data(), wb.data(), n));
    CHECK(l1 == simd::l1(wa.data(), wb.data(), n));
    const auto f = simd::cosine_parts(wa.data(), wb.data(), n);
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

}  // namespace

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
