// The metric objects on every element pair with kernels: int8 and uint8 (exact integer sums),
// and the mixed pairs (a float query against bfloat16, half or int8 rows; two bfloat16 or two
// half vectors), at every supported level. Byte results are compared with exact integer sums
// computed here; mixed results with the float metric on the rows widened to float first.
#include <doctest/doctest.h>

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/distance/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "simd_test_support.hpp"

namespace simd = tessera::simd;

static_assert(tessera::distance_metric<tessera::sq_euclidean, std::int8_t>);
static_assert(tessera::distance_metric<tessera::cosine_distance, std::uint8_t>);
static_assert(tessera::distance_metric<tessera::sq_euclidean, float, tessera::bfloat16>);
static_assert(tessera::distance_metric<tessera::inner_product, float, tessera::half>);
static_assert(tessera::distance_metric<tessera::manhattan, float, std::int8_t>);
static_assert(tessera::distance_metric<tessera::cosine_distance, tessera::bfloat16, tessera::bfloat16>);
static_assert(!tessera::distance_metric<tessera::sq_euclidean, float, double>);
static_assert(!tessera::distance_metric<tessera::sq_euclidean, tessera::bfloat16, float>);
static_assert(std::is_same_v<decltype(tessera::sq_euclidean{}(std::span<const std::int8_t>{}, std::span<const std::int8_t>{})),
                             std::int64_t>);
static_assert(std::is_same_v<decltype(tessera::euclidean{}(std::span<const std::uint8_t>{}, std::span<const std::uint8_t>{})),
                             double>);

namespace {

template <class T>
void check_bytes() {
    tessera_test::for_each_level([&](simd::level) {
        tessera::random_engine rng(41);
        for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 63u, 64u, 65u, 200u}) {
            std::vector<T> a(n), b(n);
            for (auto& v : a) v = static_cast<T>(rng.below(256));
            for (auto& v : b) v = static_cast<T>(rng.below(256));
            std::int64_t dot = 0, l2 = 0, l1 = 0, na = 0, nb = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t x = a[i], y = b[i];
                dot += x * y;
                l2 += (x - y) * (x - y);
                l1 += x > y ? x - y : y - x;
                na += x * x;
                nb += y * y;
            }
            const std::span<const T> sa(a), sb(b);
            CAPTURE(n);
            CHECK(tessera::sq_euclidean{}(sa, sb) == l2);
            CHECK(tessera::euclidean{}(sa, sb) == std::sqrt(static_cast<double>(l2)));
            CHECK(tessera::inner_product{}(sa, sb) == dot);
            CHECK(tessera::negative_inner_product{}(sa, sb) == -dot);
            CHECK(tessera::manhattan{}(sa, sb) == l1);
            const double cosine = (na == 0 || nb == 0)
                                      ? 1.0
                                      : std::clamp(1.0 - static_cast<double>(dot) / (std::sqrt(static_cast<double>(na)) *
                                                                                      std::sqrt(static_cast<double>(nb))),
                                                   0.0, 2.0);
            CHECK(tessera::cosine_distance{}(sa, sb) == cosine);
        }
    });
}

template <class R>
std::vector<R> narrow_vector(tessera::random_engine& rng, std::size_t n) {
    std::vector<R> v(n);
    for (auto& x : v) {
        if constexpr (std::is_same_v<R, std::int8_t>) {
            x = static_cast<std::int8_t>(rng.between(-128, 127));
        } else if constexpr (std::is_same_v<R, float>) {
            x = static_cast<float>(rng.normal());
        } else {
            x = R(rng.normal());
        }
    }
    return v;
}

template <class R>
std::vector<float> widened(const std::vector<R>& v) {
    std::vector<float> w(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if constexpr (std::is_same_v<R, std::int8_t> || std::is_same_v<R, float>) {
            w[i] = static_cast<float>(v[i]);
        } else {
            w[i] = tessera::to_float(v[i]);
        }
    }
    return w;
}

// A float query (or a 16-bit one) against rows of R, one pair and one-to-many.
template <class Q, class R, class M>
void check_mixed_metric(M metric) {
    tessera_test::for_each_level([&](simd::level) {
        tessera::random_engine rng(43);
        for (std::size_t n : {0u, 1u, 7u, 16u, 33u, 130u}) {
            const auto q = narrow_vector<Q>(rng, n);
            const auto wq = widened(q);
            tessera::dense_matrix<R> rows(5, n);
            tessera::dense_matrix<float> wide_rows(5, n);
            for (std::size_t i = 0; i < rows.rows(); ++i) {
                const auto r = narrow_vector<R>(rng, n);
                const auto w = widened(r);
                std::copy(r.begin(), r.end(), rows.row(i).begin());
                std::copy(w.begin(), w.end(), wide_rows.row(i).begin());
            }
            std::vector<float> out(rows.rows());
            tessera::one_to_many(metric, std::span<const Q>(q), rows.view(), std::span<float>(out));
            CAPTURE(n);
            for (std::size_t i = 0; i < rows.rows(); ++i) {
                const float pair = metric(std::span<const Q>(q), std::span<const R>(rows.row(i)));
                CHECK(out[i] == pair);
                const float reference = metric(std::span<const float>(wq), std::span<const float>(wide_rows.row(i)));
                const bool bf16_instruction = std::is_same_v<Q, tessera::bfloat16> && std::is_same_v<R, tessera::bfloat16> &&
                                              simd::active_level() == simd::level::avx512 && simd::cpu().avx512bf16 &&
                                              !std::is_same_v<M, tessera::sq_euclidean> && !std::is_same_v<M, tessera::manhattan>;
                if (bf16_instruction) {
                    CHECK(pair == doctest::Approx(reference).epsilon(1e-5));  // another summation order
                } else {
                    CHECK(pair == reference);
                }
            }
        }
    });
}

template <class Q, class R>
void check_mixed_pair() {
    check_mixed_metric<Q, R>(tessera::sq_euclidean{});
    check_mixed_metric<Q, R>(tessera::euclidean{});
    check_mixed_metric<Q, R>(tessera::inner_product{});
    check_mixed_metric<Q, R>(tessera::negative_inner_product{});
    check_mixed_metric<Q, R>(tessera::cosine_distance{});
    check_mixed_metric<Q, R>(tessera::manhattan{});
}

}  // namespace

TEST_CASE("metrics on int8 vectors are exact") { check_bytes<std::int8_t>(); }
TEST_CASE("metrics on uint8 vectors are exact") { check_bytes<std::uint8_t>(); }

TEST_CASE("metrics: a float query against bfloat16, half and int8 rows") {
    check_mixed_pair<float, tessera::bfloat16>();
    check_mixed_pair<float, tessera::half>();
    check_mixed_pair<float, std::int8_t>();
}

TEST_CASE("metrics: two bfloat16 or two half vectors") {
    check_mixed_pair<tessera::bfloat16, tessera::bfloat16>();
    check_mixed_pair<tessera::half, tessera::half>();
}

TEST_CASE("metrics on byte and mixed pairs: zero vectors and mismatched lengths") {
    const std::vector<std::int8_t> zero(8, 0), x{1, -2, 3, -4, 5, -6, 7, -8};
    CHECK(tessera::cosine_distance{}(std::span<const std::int8_t>(zero), std::span<const std::int8_t>(x)) == 1.0);
    const std::vector<float> q(3, 1.0f);
    const std::vector<tessera::bfloat16> r(4, tessera::bfloat16(1.0f));
    CHECK_THROWS_WITH_AS((void)tessera::sq_euclidean{}(std::span<const float>(q), std::span<const tessera::bfloat16>(r)),
                         doctest::Contains("tessera::sq_euclidean: argument 'b': has 4 elements but 'a' has 3"),
                         tessera::dimension_mismatch);
    tessera::dense_matrix<tessera::bfloat16> rows(2, 4);
    std::vector<float> out(2);
    CHECK_THROWS_WITH_AS(tessera::one_to_many(tessera::sq_euclidean{}, std::span<const float>(q), rows.view(),
                                              std::span<float>(out)),
                         doctest::Contains("argument 'query': has 3 elements but the rows have 4"),
                         tessera::dimension_mismatch);
}
