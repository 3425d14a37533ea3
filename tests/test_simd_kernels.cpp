// Distance kernels at every instruction-set level this machine supports, each forced through
// the public API, against a higher-precision reference computed here; the CPU dispatch API;
// the metric objects and the one-to-many shape.
#include <doctest/doctest.h>

#include "simd_test_support.hpp"

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/distance/metrics.hpp>
#include <tessera/simd/cpu.hpp>
#include <tessera/simd/kernels.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace simd = tessera::simd;
using tessera_test::all_levels;
using tessera_test::for_each_level;

namespace {

template <class T>
constexpr long double unit_roundoff() {
    return std::is_same_v<T, float> ? 0x1p-24L : 0x1p-53L;
}

// The documented bound: gamma(n + 2) * sum |term| + 2 (n + 2) eta, eta = denorm_min / 2.
template <class T>
long double bound(std::size_t n, long double sum_abs_terms) {
    const long double k = static_cast<long double>(n + 2) * unit_roundoff<T>();
    const long double eta = static_cast<long double>(std::numeric_limits<T>::denorm_min()) / 2;
    return k / (1 - k) * sum_abs_terms + 2 * static_cast<long double>(n + 2) * eta;
}

struct reference {
    long double dot = 0, dot_abs = 0, l2sq = 0, l1 = 0, norm_a = 0, norm_b = 0;
};

// Long double, left to right, from the definitions. Differences are formed in long double,
// and the kernels' one rounding of a_i - b_i is inside the bound's +2.
template <class T>
reference reference_of(const T* a, const T* b, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const long double x = a[i], y = b[i];
        r.dot += x * y;
        r.dot_abs += std::fabs(x * y);
        r.l2sq += (x - y) * (x - y);
        r.l1 += std::fabs(x - y);
        r.norm_a += x * x;
        r.norm_b += y * y;
    }
    return r;
}

template <class T>
void check_kernels(const T* a, const T* b, std::size_t n) {
    CAPTURE(n);
    const reference r = reference_of(a, b, n);
    CHECK(std::fabs(simd::dot(a, b, n) - r.dot) <= bound<T>(n, r.dot_abs));
    // (a - b)^2 terms: rounding a - b once in T perturbs each term by at most 2u relatively.
    CHECK(std::fabs(simd::l2sq(a, b, n) - r.l2sq) <= bound<T>(n, r.l2sq));
    CHECK(std::fabs(simd::l1(a, b, n) - r.l1) <= bound<T>(n, r.l1));
    const auto c = simd::cosine_parts(a, b, n);
    CHECK(std::fabs(c.dot - r.dot) <= bound<T>(n, r.dot_abs));
    CHECK(std::fabs(c.norm_a - r.norm_a) <= bound<T>(n, r.norm_a));
    CHECK(std::fabs(c.norm_b - r.norm_b) <= bound<T>(n, r.norm_b));
}

template <class T>
std::vector<T> normal_vector(std::size_t n, tessera::random_engine& rng, double scale = 1.0) {
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(scale * rng.normal());
    return v;
}

template <class T>
void check_type() {
    for_each_level([](simd::level) {
        tessera::random_engine rng(11);
        // Every length 0..300 (all tails around 4, 8 and 16 lanes and the 4x unrolled steps),
        // each at its own exact allocation size, so a read past the end is an ASan error.
        for (std::size_t n = 0; n <= 300; ++n) {
            const auto a = normal_vector<T>(n, rng);
            const auto b = normal_vector<T>(n, rng);
            check_kernels(a.data(), b.data(), n);
        }
        for (std::size_t n : {1000u, 4099u, 65539u}) {
            const auto a = normal_vector<T>(n, rng);
            const auto b = normal_vector<T>(n, rng);
            check_kernels(a.data(), b.data(), n);
        }
        // Unaligned starts: every offset within a 64-byte line.
        const auto big_a = normal_vector<T>(200 + 64, rng);
        const auto big_b = normal_vector<T>(200 + 64, rng);
        for (std::size_t off = 0; off < 64 / sizeof(T); ++off) {
            CAPTURE(off);
            check_kernels(big_a.data() + off, big_b.data() + (63 / sizeof(T) - off), 200);
        }
        // Extreme magnitudes that stay finite: large, tiny (subnormal products), mixed signs.
        const double big = std::is_same_v<T, float> ? 1e17 : 1e150;
        const double tiny = std::is_same_v<T, float> ? 1e-20 : 1e-160;
        for (double scale : {big, tiny}) {
            const auto a = normal_vector<T>(77, rng, scale);
            const auto b = normal_vector<T>(77, rng, scale);
            check_kernels(a.data(), b.data(), 77);
        }
    });
}

}  // namespace

TEST_CASE("kernels, float: every supported level against the long double reference") { check_type<float>(); }
TEST_CASE("kernels, double: every supported level against the long double reference") { check_type<double>(); }

TEST_CASE("kernels: NaN propagates from any position; infinities follow IEEE") {
    for_each_level([](simd::level) {
        for (std::size_t n : {1u, 7u, 8u, 9u, 33u, 100u}) {
            for (std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
                CAPTURE(n);
                CAPTURE(at);
                std::vector<float> a(n, 1.f), b(n, 2.f);
                a[at] = std::numeric_limits<float>::quiet_NaN();
                CHECK(std::isnan(simd::dot(a.data(), b.data(), n)));
                CHECK(std::isnan(simd::l2sq(a.data(), b.data(), n)));
                CHECK(std::isnan(simd::l1(a.data(), b.data(), n)));
                CHECK(std::isnan(simd::cosine_parts(a.data(), b.data(), n).dot));
                a[at] = std::numeric_limits<float>::infinity();
                CHECK(simd::l1(a.data(), b.data(), n) == std::numeric_limits<float>::infinity());
                CHECK(simd::l2sq(a.data(), b.data(), n) == std::numeric_limits<float>::infinity());
            }
        }
    });
}

TEST_CASE("bit kernels: Hamming and Jaccard counts are exact at every level") {
    for_each_level([](simd::level) {
        tessera::random_engine rng(5);
        for (std::size_t words = 0; words <= 40; ++words) {
            std::vector<std::uint64_t> a(words), b(words);
            for (auto& w : a) w = rng();
            for (auto& w : b) w = rng() & rng();  // sparser, so intersections vary
            std::uint64_t differ = 0, both = 0, any = 0;
            for (std::size_t i = 0; i < words; ++i) {
                for (int bit = 0; bit < 64; ++bit) {
                    const bool x = (a[i] >> bit) & 1u, y = (b[i] >> bit) & 1u;
                    differ += x != y;
                    both += x && y;
                    any += x || y;
                }
            }
            CAPTURE(words);
            CHECK(simd::hamming(a.data(), b.data(), words) == differ);
            const auto p = simd::jaccard_parts(a.data(), b.data(), words);
            CHECK(p.intersection == both);
            CHECK(p.union_ == any);
        }
    });
}

TEST_CASE("levels: the best one is supported, forcing an unsupported one is refused, guards restore") {
    simd::reset_level();
    CHECK(simd::level_supported(simd::level::scalar));
    CHECK(simd::level_supported(simd::best_level()));
    CHECK(simd::active_level() == simd::best_level());
    for (const auto l : all_levels) {
        if (simd::level_supported(l)) continue;
        const std::string expected = "this CPU cannot run the " + std::string(simd::level_name(l));
        CHECK_THROWS_WITH_AS(simd::force_level(l), doctest::Contains(expected.c_str()), tessera::invalid_argument);
        CHECK(simd::active_level() == simd::best_level());  // a refused force changes nothing
    }
    {
        simd::scoped_level outer(simd::level::scalar);
        CHECK(simd::active_level() == simd::level::scalar);
        {
            simd::scoped_level inner(simd::best_level());
            CHECK(simd::active_level() == simd::best_level());
        }
        CHECK(simd::active_level() == simd::level::scalar);
    }
    CHECK(simd::active_level() == simd::best_level());
#if TESSERA_ARCH_X86
    // The AVX-512 level implies every feature its kernels use.
    if (simd::level_supported(simd::level::avx512)) CHECK(simd::level_supported(simd::level::avx2));
    CHECK_FALSE(simd::level_supported(simd::level::neon));
#endif
}

// ---- metric objects --------------------------------------------------------------------------

namespace {
// A user-defined metric: Chebyshev (L-infinity).
struct chebyshev {
    static constexpr tessera::metric_traits traits{.is_metric = true};
    float operator()(std::span<const float> a, std::span<const float> b) const {
        float m = 0;
        for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
        return m;
    }
};
struct no_traits {
    float operator()(std::span<const float>, std::span<const float>) const { return 0; }
};
}  // namespace

static_assert(tessera::distance_metric<tessera::sq_euclidean, float>);
static_assert(tessera::distance_metric<tessera::cosine_distance, double>);
static_assert(tessera::distance_metric<tessera::hamming, std::uint64_t>);
static_assert(!tessera::distance_metric<tessera::hamming, float>);
static_assert(tessera::distance_metric<chebyshev, float>);
static_assert(!tessera::distance_metric<no_traits, float>);
static_assert(tessera::euclidean::traits.is_metric && !tessera::sq_euclidean::traits.is_metric);
static_assert(tessera::inner_product::traits.is_similarity && !tessera::negative_inner_product::traits.is_similarity);
static_assert(tessera::cosine_distance::traits.uses_norms && tessera::jaccard::traits.on_bits);

TEST_CASE("metrics: values against their definitions") {
    const std::vector<double> a{1, 2, 3};
    const std::vector<double> b{4, 0, -1};
    const std::span<const double> sa(a), sb(b);
    CHECK(tessera::sq_euclidean{}(sa, sb) == 9 + 4 + 16);
    CHECK(tessera::euclidean{}(sa, sb) == doctest::Approx(std::sqrt(29.0)));
    CHECK(tessera::inner_product{}(sa, sb) == 1.0);
    CHECK(tessera::negative_inner_product{}(sa, sb) == -1.0);
    CHECK(tessera::manhattan{}(sa, sb) == 3 + 2 + 4);
    CHECK(tessera::cosine_distance{}(sa, sb) == doctest::Approx(1 - 1 / (std::sqrt(14.0) * std::sqrt(17.0))));

    const std::vector<double> zero{0, 0, 0};
    CHECK(tessera::cosine_distance{}(sa, std::span<const double>(zero)) == 1.0);
    CHECK(tessera::cosine_distance{}(std::span<const double>(zero), std::span<const double>(zero)) == 1.0);
    CHECK(tessera::cosine_distance{}(sa, sa) >= 0.0);  // clamped against rounding
    CHECK(tessera::cosine_distance{}(sa, sa) == doctest::Approx(0.0));
    std::vector<double> opposite{-1, -2, -3};
    CHECK(tessera::cosine_distance{}(sa, std::span<const double>(opposite)) == doctest::Approx(2.0));

    const std::vector<std::uint64_t> x{0b1011, 0}, y{0b0110, 1};
    CHECK(tessera::hamming{}(std::span<const std::uint64_t>(x), std::span<const std::uint64_t>(y)) == 4);
    CHECK(tessera::jaccard{}(std::span<const std::uint64_t>(x), std::span<const std::uint64_t>(y)) ==
          doctest::Approx(1.0 - 1.0 / 5.0));
    const std::vector<std::uint64_t> none{0, 0};
    CHECK(tessera::jaccard{}(std::span<const std::uint64_t>(none), std::span<const std::uint64_t>(none)) == 0.0);
}

TEST_CASE("metrics: mismatched lengths are rejected with the metric's name") {
    // Lengths read at run time: with constants GCC 12 at -O2 analyses the kernel call after the
    // (throwing) length check and reports a false -Warray-bounds.
    const std::size_t na = static_cast<std::size_t>(doctest::getContextOptions()->abort_after) + 3;
    const std::vector<float> a(na, 1.0f);
    const std::vector<float> b(na - 1, 1.0f);
    CHECK_THROWS_WITH_AS((void)tessera::euclidean{}(std::span<const float>(a), std::span<const float>(b)),
                         doctest::Contains("tessera::euclidean: argument 'b': has 2 elements but 'a' has 3"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)tessera::cosine_distance{}(std::span<const float>(a), std::span<const float>(b)),
                    tessera::dimension_mismatch);
    const std::vector<std::uint64_t> w1{1}, w2{1, 2};
    CHECK_THROWS_AS((void)tessera::hamming{}(std::span<const std::uint64_t>(w1), std::span<const std::uint64_t>(w2)),
                    tessera::dimension_mismatch);
}

TEST_CASE("one_to_many equals one-to-one for built-in and user metrics, at every level") {
    for_each_level([](simd::level) {
        tessera::random_engine rng(8);
        tessera::dense_matrix<float> rows(37, 45);
        for (std::size_t i = 0; i < rows.rows(); ++i)
            for (auto& x : rows.row(i)) x = static_cast<float>(rng.normal());
        const auto query = normal_vector<float>(45, rng);
        std::vector<float> out(37);
        auto check_metric = [&](const auto& metric) {
            tessera::one_to_many(metric, std::span<const float>(query), rows.view(), std::span<float>(out));
            for (std::size_t i = 0; i < rows.rows(); ++i) CHECK(out[i] == metric(std::span<const float>(query), rows.row(i)));
        };
        check_metric(tessera::sq_euclidean{});
        check_metric(tessera::cosine_distance{});
        check_metric(tessera::manhattan{});
        check_metric(tessera::inner_product{});
        check_metric(chebyshev{});

        std::vector<double> wide(37);
        tessera::one_to_many(tessera::euclidean{}, std::span<const float>(query), rows.view(), std::span<double>(wide));
        CHECK(wide[3] == doctest::Approx(tessera::euclidean{}(std::span<const float>(query), rows.row(3))));

        std::vector<float> short_out(36);
        CHECK_THROWS_WITH_AS(tessera::one_to_many(tessera::sq_euclidean{}, std::span<const float>(query), rows.view(),
                                                  std::span<float>(short_out)),
                             doctest::Contains("argument 'out'"), tessera::dimension_mismatch);
        const std::vector<float> short_query(44);
        CHECK_THROWS_WITH_AS(tessera::one_to_many(tessera::sq_euclidean{}, std::span<const float>(short_query),
                                                  rows.view(), std::span<float>(out)),
                             doctest::Contains("argument 'query'"), tessera::dimension_mismatch);
    });
}
