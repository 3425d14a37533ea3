// many_to_many against one-to-one evaluation, at every level this machine supports, over shapes
// that cross every blocking boundary (6-row tiles, 16/8-column panels, 256-row and 256-column
// packing blocks), strided inputs, thread counts and bad shapes.
#include <doctest/doctest.h>

#include <tessera/core/random.hpp>
#include <tessera/distance/pairwise.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "simd_test_support.hpp"

namespace simd = tessera::simd;

namespace {

template <class T>
tessera::dense_matrix<T> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed,
                                       tessera::row_padding padding = tessera::row_padding::aligned) {
    tessera::random_engine rng(seed);
    tessera::dense_matrix<T> m(rows, cols, padding);
    for (std::size_t i = 0; i < rows; ++i)
        for (auto& v : m.row(i)) v = static_cast<T>(rng.normal());
    return m;
}

template <class T>
long double gamma_of(std::size_t n) {
    const long double u = std::is_same_v<T, float> ? 0x1p-24L : 0x1p-53L;
    const long double k = static_cast<long double>(n + 2) * u;
    return k / (1 - k);
}

// The documented absolute bound of the expanded form for one pair, with margin 2 for the
// final combination of the three terms.
template <class T>
long double expanded_bound(std::span<const T> a, std::span<const T> b) {
    long double na = 0, nb = 0, dab = 0;
    for (std::size_t k = 0; k < a.size(); ++k) {
        na += static_cast<long double>(a[k]) * a[k];
        nb += static_cast<long double>(b[k]) * b[k];
        dab += std::fabs(static_cast<long double>(a[k]) * b[k]);
    }
    return 2 * gamma_of<T>(a.size()) * (na + nb + 2 * dab) + 1e-30L;
}

template <class T>
void check_shapes(std::size_t nx, std::size_t ny, std::size_t d) {
    CAPTURE(nx);
    CAPTURE(ny);
    CAPTURE(d);
    const auto x = random_matrix<T>(nx, d, 1 + nx);
    const auto y = random_matrix<T>(ny, d, 2 + ny);
    tessera::dense_matrix<T> out(nx, ny);

    tessera::many_to_many<T>(tessera::inner_product{}, x.view(), y.view(), out.view());
    for (std::size_t i = 0; i < nx; ++i)
        for (std::size_t j = 0; j < ny; ++j) {
            long double exact = 0, mag = 0;
            for (std::size_t k = 0; k < d; ++k) {
                exact += static_cast<long double>(x(i, k)) * y(j, k);
                mag += std::fabs(static_cast<long double>(x(i, k)) * y(j, k));
            }
            REQUIRE(std::fabs(out(i, j) - exact) <= gamma_of<T>(d) * mag + 1e-30L);
        }

    tessera::many_to_many<T>(tessera::sq_euclidean{}, x.view(), y.view(), out.view());
    for (std::size_t i = 0; i < nx; ++i)
        for (std::size_t j = 0; j < ny; ++j) {
            const T direct = tessera::sq_euclidean{}(x.row(i), y.row(j));
            REQUIRE(out(i, j) >= 0);
            REQUIRE(std::fabs(out(i, j) - direct) <= expanded_bound(x.row(i), y.row(j)));
        }

    tessera::many_to_many<T>(tessera::cosine_distance{}, x.view(), y.view(), out.view());
    for (std::size_t i = 0; i < nx; ++i)
        for (std::size_t j = 0; j < ny; ++j) {
            const T direct = tessera::cosine_distance{}(x.row(i), y.row(j));
            REQUIRE(std::fabs(out(i, j) - direct) <= 8 * gamma_of<T>(d) + 1e-30L);
        }

    tessera::many_to_many<T>(tessera::manhattan{}, x.view(), y.view(), out.view());
    for (std::size_t i = 0; i < nx; ++i)
        for (std::size_t j = 0; j < ny; ++j) REQUIRE(out(i, j) == tessera::manhattan{}(x.row(i), y.row(j)));
}

// A user-defined metric (L-infinity).
struct chebyshev {
    static constexpr tessera::metric_traits traits{.is_metric = true};
    double operator()(std::span<const double> p, std::span<const double> q) const {
        double m = 0;
        for (std::size_t k = 0; k < p.size(); ++k) m = std::max(m, std::abs(p[k] - q[k]));
        return m;
    }
};

}  // namespace

TEST_CASE("many_to_many equals one-to-one within the documented bounds, at every supported level") {
    tessera_test::for_each_level([&](simd::level) {
        for (auto [nx, ny, d] : {std::array<std::size_t, 3>{0, 5, 3}, {4, 0, 3}, {1, 1, 1}, {7, 17, 5},
                                 {6, 16, 8}, {13, 33, 300}, {20, 300, 64}, {5, 9, 0}}) {
            check_shapes<float>(nx, ny, d);
            check_shapes<double>(nx, ny, d);
        }
    });
}

TEST_CASE("many_to_many: strided views, identical rows, zero rows, user metrics") {
    // A 9 x 20 block inside a buffer with a stride of 23.
    std::vector<float> buf(9 * 23);
    tessera::random_engine rng(4);
    for (auto& v : buf) v = static_cast<float>(rng.normal());
    const tessera::matrix_view<const float> x(buf.data(), 9, 20, 23);
    tessera::dense_matrix<float> y(x, tessera::row_padding::none);  // the same rows, packed
    tessera::dense_matrix<float> out(9, 9);
    tessera::many_to_many<float>(tessera::euclidean{}, x, y.view(), out.view());
    for (std::size_t i = 0; i < 9; ++i) {
        CHECK(out(i, i) >= 0);  // clamped: never NaN from a tiny negative
        // Equal rows: the expanded form leaves rounding of the order of the norms, which the
        // square root amplifies (documented); off the diagonal it agrees closely.
        CHECK(out(i, i) < 1e-2f);
        for (std::size_t j = 0; j < 9; ++j) {
            if (j != i) CHECK(out(i, j) == doctest::Approx(tessera::euclidean{}(x.row(i), y.row(j))).epsilon(1e-3));
        }
    }

    tessera::dense_matrix<double> a{{0, 0, 0}, {1, 2, 3}};
    const auto cos = tessera::many_to_many(tessera::cosine_distance{}, a, a);
    CHECK(cos(0, 0) == 1.0);  // zero vectors, as one-to-one
    CHECK(cos(0, 1) == 1.0);
    CHECK(cos(1, 1) == doctest::Approx(0.0));

    const auto cheb = tessera::many_to_many(chebyshev{}, a, a);
    CHECK(cheb(0, 1) == 3.0);
    const auto neg = tessera::many_to_many(tessera::negative_inner_product{}, a, a);
    CHECK(neg(1, 1) == -14.0);
}

TEST_CASE("many_to_many is identical for any thread count") {
    const auto x = random_matrix<float>(61, 70, 10);
    const auto y = random_matrix<float>(45, 70, 11);
    tessera::dense_matrix<float> one(61, 45), many(61, 45);
    tessera::many_to_many<float>(tessera::sq_euclidean{}, x.view(), y.view(), one.view(), {1, 0});
    for (int threads : {2, 3, 8}) {
        tessera::many_to_many<float>(tessera::sq_euclidean{}, x.view(), y.view(), many.view(), {threads, 1});
        CHECK(many == one);
    }
}

TEST_CASE("many_to_many: shape errors name the argument") {
    const auto x = random_matrix<double>(3, 4, 1);
    const auto y = random_matrix<double>(5, 3, 2);
    tessera::dense_matrix<double> out(3, 5);
    CHECK_THROWS_WITH_AS(tessera::many_to_many<double>(tessera::sq_euclidean{}, x.view(), y.view(), out.view()),
                         doctest::Contains("argument 'y': has 3 columns but x has 4"), tessera::dimension_mismatch);
    const auto y4 = random_matrix<double>(5, 4, 2);
    tessera::dense_matrix<double> wrong(3, 4);
    CHECK_THROWS_WITH_AS(tessera::many_to_many<double>(tessera::sq_euclidean{}, x.view(), y4.view(), wrong.view()),
                         doctest::Contains("argument 'out': is 3 x 4, expected 3 x 5"), tessera::dimension_mismatch);
}

TEST_CASE("packed_rows gives exactly the dot products of many_to_many, at every supported level") {
    tessera_test::for_each_level([](tessera::simd::level) {
        for (const auto& shape : {std::array<std::size_t, 3>{1, 1, 1}, {13, 40, 7}, {64, 300, 260}, {7, 1025, 33}, {5, 3, 0}}) {
            const std::size_t m = shape[0], n = shape[1], d = shape[2];
            CAPTURE(m);
            CAPTURE(n);
            CAPTURE(d);
            const auto x = random_matrix<float>(m, d, 61);
            const auto y = random_matrix<float>(n, d, 62);
            tessera::dense_matrix<float> expected(m, n), got(m, n, -1.0f);
            tessera::many_to_many<float>(tessera::inner_product{}, x.view(), y.view(), expected.view());
            tessera::detail::packed_rows<float> packed;
            packed.pack(y.view());
            CHECK(packed.rows() == n);
            packed.dots(x.view(), got.view());
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < n; ++j) REQUIRE(got(i, j) == expected(i, j));
            const auto xd = random_matrix<double>(m, d, 63);
            const auto yd = random_matrix<double>(n, d, 64);
            tessera::dense_matrix<double> ed(m, n), gd(m, n);
            tessera::many_to_many<double>(tessera::inner_product{}, xd.view(), yd.view(), ed.view());
            tessera::detail::packed_rows<double> pd;
            pd.pack(yd.view());
            pd.dots(xd.view(), gd.view());
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < n; ++j) REQUIRE(gd(i, j) == ed(i, j));
        }
    });
}
