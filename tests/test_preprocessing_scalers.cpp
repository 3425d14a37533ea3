// standard_scaler, min_max_scaler and max_abs_scaler against means, variances and ranges
// computed here from their definitions, against scikit-learn 1.2.1 on a fixed matrix, dense
// against CSR, inverse transforms, archives and every bad input.
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/preprocessing/scalers.hpp>

#include <doctest/doctest.h>

#include "model_test_support.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using tessera_test::archive_bytes;
using tessera_test::from_bytes;

namespace {

// A constant column (2), a column that is zero but for one row (3), and mixed signs.
tessera::dense_matrix<double> fixed_matrix() {
    const double v[5][4] = {{1.0, -2.0, 5.0, 0.0}, {3.0, 0.5, 5.0, 0.0}, {-4.0, 8.0, 5.0, 2.5}, {10.0, 1.0, 5.0, 0.0},
                            {0.25, -7.5, 5.0, 0.0}};
    tessera::dense_matrix<double> x(5, 4);
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 4; ++j) x(i, j) = v[i][j];
    return x;
}

// Produced by scikit-learn 1.2.1 from fixed_matrix(), row-major:
//   /usr/bin/python3 -c "import numpy as np; from sklearn.preprocessing import StandardScaler, MinMaxScaler,
//   MaxAbsScaler; X = np.array([[1.0, -2.0, 5.0, 0.0], [3.0, 0.5, 5.0, 0.0], [-4.0, 8.0, 5.0, 2.5],
//   [10.0, 1.0, 5.0, 0.0], [0.25, -7.5, 5.0, 0.0]]); [print(repr(s.fit_transform(X).ravel().tolist())) for s in
//   (StandardScaler(), MinMaxScaler(feature_range=(-1, 2)), MaxAbsScaler())]"
const double sklearn_standard[] = {-0.22907424975124477, -0.3992023920278996, 0.0, -0.5, 0.20725765453684059,
                                   0.0998005980069749,   0.0,                 -0.5, -1.3199040104714581, 1.5968095681115984,
                                   0.0,                  2.0,                 1.7344193195451394, 0.1996011960139498,
                                   0.0,                  -0.5,                -0.3926987138592768, -1.4970089701046234,
                                   0.0,                  -0.5};
const double sklearn_min_max[] = {0.07142857142857137, 0.06451612903225812, -1.0, -1.0, 0.4999999999999999,
                                  0.5483870967741936,  -1.0,                -1.0, -1.0, 2.0,
                                  -1.0,                2.0,                 2.0,  0.6451612903225807, -1.0,
                                  -1.0,                -0.08928571428571433, -1.0, -1.0, -1.0};
const double sklearn_max_abs[] = {0.1, -0.25, 1.0, 0.0, 0.3,  0.0625, 1.0, 0.0, -0.4, 1.0,
                                  1.0, 1.0,   1.0, 0.125, 1.0, 0.0,   0.025, -0.9375, 1.0, 0.0};

template <class M>
double max_difference(const M& m, const double* reference) {
    double worst = 0;
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = 0; j < m.cols(); ++j) worst = std::max(worst, std::fabs(m(i, j) - reference[i * m.cols() + j]));
    return worst;
}

tessera::dense_matrix<double> random_matrix(std::size_t n, std::size_t d, std::uint64_t seed, double zeros) {
    tessera::random_engine rng(seed);
    tessera::dense_matrix<double> x(n, d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) x(i, j) = rng.uniform01() < zeros ? 0.0 : rng.uniform(-3.0, 5.0) * (1.0 + static_cast<double>(j));
    return x;
}

template <class M>
tessera::dense_matrix<double> to_dense(const M& csr) {
    tessera::dense_matrix<double> out(csr.rows(), csr.cols());
    for (std::size_t i = 0; i < csr.rows(); ++i)
        for (std::size_t j = 0; j < csr.cols(); ++j) out(i, j) = 0;
    for (std::size_t i = 0; i < csr.rows(); ++i) {
        const auto r = csr.row(i);
        for (std::size_t t = 0; t < r.size(); ++t) out(i, static_cast<std::size_t>(r.indices[t])) = r.values[t];
    }
    return out;
}

}  // namespace

TEST_CASE("scalers match scikit-learn 1.2.1 on a fixed matrix, constant columns included") {
    const auto x = fixed_matrix();
    tessera::standard_scaler<> s;
    CHECK(max_difference(s.fit_transform(x), sklearn_standard) <= 1e-15);
    CHECK(s.scale()[2] == 1.0);  // the constant column
    tessera::min_max_scaler<> m({.range_min = -1, .range_max = 2});
    CHECK(max_difference(m.fit_transform(x), sklearn_min_max) <= 1e-15);
    tessera::max_abs_scaler<> a;
    CHECK(max_difference(a.fit_transform(x), sklearn_max_abs) <= 1e-15);
}

TEST_CASE("standard_scaler: the mean and population variance of the definition") {
    const auto x = random_matrix(300, 5, 3, 0.0);
    tessera::standard_scaler<> s;
    const auto y = s.fit_transform(x);
    for (std::size_t j = 0; j < 5; ++j) {
        double mean = 0;
        for (std::size_t i = 0; i < 300; ++i) mean += x(i, j);
        mean /= 300;
        double var = 0;
        for (std::size_t i = 0; i < 300; ++i) var += (x(i, j) - mean) * (x(i, j) - mean);
        var /= 300;
        CHECK(s.mean()[j] == doctest::Approx(mean).epsilon(1e-14));
        CHECK(s.var()[j] == doctest::Approx(var).epsilon(1e-14));
        CHECK(s.scale()[j] == doctest::Approx(std::sqrt(var)).epsilon(1e-14));
        double ym = 0;
        double yv = 0;
        for (std::size_t i = 0; i < 300; ++i) ym += y(i, j);
        for (std::size_t i = 0; i < 300; ++i) yv += y(i, j) * y(i, j);
        CHECK(std::fabs(ym / 300) <= 1e-12);
        CHECK(yv / 300 == doctest::Approx(1.0).epsilon(1e-12));
    }
    const auto back = s.inverse_transform(y);
    for (std::size_t i = 0; i < 300; ++i)
        for (std::size_t j = 0; j < 5; ++j) CHECK(back(i, j) == doctest::Approx(x(i, j)).epsilon(1e-13));
    tessera::standard_scaler<> no_mean({.with_mean = false});
    const auto z = no_mean.fit_transform(x);
    tessera::standard_scaler<> no_std({.with_std = false});
    const auto c = no_std.fit_transform(x);
    for (std::size_t j = 0; j < 5; ++j) {
        CHECK(z(7, j) == doctest::Approx(x(7, j) / s.scale()[j]).epsilon(1e-15));
        CHECK(c(7, j) == doctest::Approx(x(7, j) - s.mean()[j]).epsilon(1e-15));
        CHECK(no_std.scale()[j] == 1.0);
    }
}

TEST_CASE("CSR input: the same statistics and values as dense, zeros kept, never centered") {
    const auto x = random_matrix(200, 6, 5, 0.7);
    const auto csr = tessera::csr_matrix<double, std::int32_t>::from_dense(x.view());
    tessera::standard_scaler<> dense({.with_mean = false});
    tessera::standard_scaler<> sparse({.with_mean = false});
    const auto yd = dense.fit_transform(x);
    const auto ys = sparse.fit_transform(csr);
    CHECK(ys.nnz() == csr.nnz());
    const auto ysd = to_dense(ys);
    for (std::size_t j = 0; j < 6; ++j) {
        CHECK(sparse.mean()[j] == doctest::Approx(dense.mean()[j]).epsilon(1e-14));
        CHECK(sparse.var()[j] == doctest::Approx(dense.var()[j]).epsilon(1e-13));
    }
    for (std::size_t i = 0; i < 200; ++i)
        for (std::size_t j = 0; j < 6; ++j) CHECK(ysd(i, j) == doctest::Approx(yd(i, j)).epsilon(1e-13));
    tessera::max_abs_scaler<> ad;
    tessera::max_abs_scaler<> as;
    const auto ad_y = ad.fit_transform(x);
    const auto as_y = to_dense(as.fit_transform(csr));
    for (std::size_t i = 0; i < 200; ++i)
        for (std::size_t j = 0; j < 6; ++j) CHECK(as_y(i, j) == ad_y(i, j));
    const auto back = to_dense(as.inverse_transform(as.transform(csr)));
    for (std::size_t i = 0; i < 200; ++i)
        for (std::size_t j = 0; j < 6; ++j) CHECK(back(i, j) == doctest::Approx(x(i, j)).epsilon(1e-15));
    tessera::standard_scaler<> centering;
    CHECK_THROWS_AS(centering.fit(csr), tessera::invalid_argument);
    CHECK_THROWS_AS((void)dense.transform(tessera::csr_matrix<double, std::int32_t>(3, 5)), tessera::dimension_mismatch);
    tessera::standard_scaler<> centered;
    centered.fit(x);
    CHECK_THROWS_AS((void)centered.transform(csr), tessera::invalid_argument);
    tessera::min_max_scaler<> mm;
    CHECK_THROWS_AS(mm.fit(csr), tessera::invalid_argument);
}

TEST_CASE("min_max_scaler: the training range maps onto the target range; clip; inverse") {
    const auto x = random_matrix(100, 3, 7, 0.0);
    tessera::min_max_scaler<> m({.range_min = -2, .range_max = 3});
    const auto y = m.fit_transform(x);
    for (std::size_t j = 0; j < 3; ++j) {
        double lo = x(0, j);
        double hi = x(0, j);
        for (std::size_t i = 0; i < 100; ++i) {
            lo = std::min(lo, x(i, j));
            hi = std::max(hi, x(i, j));
        }
        CHECK(m.data_min()[j] == lo);
        CHECK(m.data_max()[j] == hi);
        double ylo = y(0, j);
        double yhi = y(0, j);
        for (std::size_t i = 0; i < 100; ++i) {
            ylo = std::min(ylo, y(i, j));
            yhi = std::max(yhi, y(i, j));
        }
        CHECK(ylo == doctest::Approx(-2.0).epsilon(1e-14));
        CHECK(yhi == doctest::Approx(3.0).epsilon(1e-14));
    }
    tessera::dense_matrix<double> outside(1, 3);
    for (std::size_t j = 0; j < 3; ++j) outside(0, j) = 1e6;
    CHECK(m.transform(outside)(0, 0) > 3.0);
    tessera::min_max_scaler<> clipped({.range_min = -2, .range_max = 3, .clip = true});
    clipped.fit(x);
    CHECK(clipped.transform(outside)(0, 0) == 3.0);
    const auto back = m.inverse_transform(y);
    for (std::size_t i = 0; i < 100; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(back(i, j) == doctest::Approx(x(i, j)).epsilon(1e-13));
    for (const auto& bad : {tessera::min_max_scaler_options{.range_min = 1, .range_max = 1},
                            tessera::min_max_scaler_options{.range_min = 2, .range_max = 1},
                            tessera::min_max_scaler_options{.range_min = 0, .range_max = std::numeric_limits<double>::infinity()}}) {
        tessera::min_max_scaler<> b(bad);
        CHECK_THROWS_AS(b.fit(x), tessera::invalid_argument);
    }
}

TEST_CASE("float rows are scaled with double statistics") {
    const auto x = random_matrix(50, 4, 9, 0.2);
    tessera::dense_matrix<float> xf(50, 4);
    for (std::size_t i = 0; i < 50; ++i)
        for (std::size_t j = 0; j < 4; ++j) xf(i, j) = static_cast<float>(x(i, j));
    tessera::standard_scaler<float> s;
    const auto y = s.fit_transform(xf);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(y(0, 0))>, float>);
    for (std::size_t j = 0; j < 4; ++j) {
        double mean = 0;
        for (std::size_t i = 0; i < 50; ++i) mean += static_cast<double>(xf(i, j));
        CHECK(s.mean()[j] == doctest::Approx(mean / 50).epsilon(1e-14));
        CHECK(static_cast<double>(y(3, j)) ==
              doctest::Approx((static_cast<double>(xf(3, j)) - s.mean()[j]) / s.scale()[j]).epsilon(1e-6));
    }
}

TEST_CASE("scalers refuse bad input with clear errors") {
    const auto x = fixed_matrix();
    tessera::standard_scaler<> s;
    CHECK_THROWS_AS((void)s.transform(x), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)s.inverse_transform(x), tessera::not_fitted_error);
    CHECK_THROWS_AS(s.fit(tessera::dense_matrix<double>(0, 3)), tessera::invalid_argument);
    CHECK_THROWS_AS(s.fit(tessera::dense_matrix<double>(3, 0)), tessera::invalid_argument);
    auto bad = x;
    bad(2, 1) = std::numeric_limits<double>::quiet_NaN();
    try {
        s.fit(bad);
        FAIL("NaN accepted");
    } catch (const tessera::invalid_argument& e) {
        CHECK(std::string(e.what()).find("row 2, column 1") != std::string::npos);
    }
    CHECK(!s.fitted());
    s.fit(x);
    CHECK_THROWS_AS((void)s.transform(tessera::dense_matrix<double>(2, 3)), tessera::dimension_mismatch);
    bad(2, 1) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS((void)s.transform(bad), tessera::invalid_argument);
    CHECK(s.transform(tessera::dense_matrix<double>(0, 4)).rows() == 0);
    tessera::max_abs_scaler<> a;
    CHECK_THROWS_AS((void)a.transform(x), tessera::not_fitted_error);
    const auto bad_csr = tessera::csr_matrix<double, std::int32_t>::from_dense(bad.view());
    CHECK_THROWS_AS(a.fit(bad_csr), tessera::invalid_argument);
}

TEST_CASE("scalers save and load; corrupt archives are refused") {
    const auto x = random_matrix(40, 3, 11, 0.1);
    tessera::standard_scaler<> s({.with_mean = true, .with_std = true});
    s.fit(x);
    const auto sb = archive_bytes(s);
    const auto s2 = from_bytes<tessera::standard_scaler<>>(sb);
    CHECK(tessera_test::same_tables(s.transform(x), s2.transform(x)));
    CHECK(s2.n_samples_seen() == 40);
    tessera::min_max_scaler<> m({.range_min = -1, .range_max = 1, .clip = true});
    m.fit(x);
    const auto m2 = from_bytes<tessera::min_max_scaler<>>(archive_bytes(m));
    CHECK(tessera_test::same_tables(m.transform(x), m2.transform(x)));
    CHECK(m2.get_options().clip);
    tessera::max_abs_scaler<> a;
    a.fit(x);
    const auto a2 = from_bytes<tessera::max_abs_scaler<>>(archive_bytes(a));
    CHECK(tessera_test::same_tables(a.transform(x), a2.transform(x)));
    for (const std::size_t cut : {std::size_t{5}, sb.size() / 2, sb.size() - 1}) {
        const std::vector<std::byte> truncated(sb.begin(), sb.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS((void)from_bytes<tessera::standard_scaler<>>(truncated), tessera::format_error);
    }
    CHECK_THROWS_AS((void)from_bytes<tessera::max_abs_scaler<>>(sb), tessera::format_error);      // another kind
    CHECK_THROWS_AS((void)from_bytes<tessera::standard_scaler<float>>(sb), tessera::format_error);  // another type
    tessera::standard_scaler<> unfitted;
    tessera::archive_writer w(tessera::standard_scaler<>::header());
    CHECK_THROWS_AS(unfitted.write_to(w), tessera::not_fitted_error);
}
