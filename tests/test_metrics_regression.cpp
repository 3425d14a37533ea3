// Regression metrics against values computed by scikit-learn 1.2.1 (inputs and values in
// tests/reference/metrics_reference.hpp, with the command that made them), naive
// implementations of the definitions written here, and identities between weighted and
// unweighted forms.
#include <tessera/core/random.hpp>
#include <tessera/metrics/regression.hpp>

#include <doctest/doctest.h>

#include "metrics_test_support.hpp"

#include "reference/metrics_reference.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <iterator>
#include <string>
#include <typeinfo>
#include <vector>

using doctest::Approx;
using doctest::Contains;

namespace {

using tessera_test::expect_error;
using tessera_test::single_pass;

// The definitions, with a two-pass mean and population variance.
double naive_mse(const std::vector<double>& t, const std::vector<double>& p) {
    double s = 0;
    for (std::size_t i = 0; i < t.size(); ++i) s += (t[i] - p[i]) * (t[i] - p[i]);
    return s / static_cast<double>(t.size());
}

double naive_variance(const std::vector<double>& t) {
    double mean = 0;
    for (const double v : t) mean += v;
    mean /= static_cast<double>(t.size());
    double s = 0;
    for (const double v : t) s += (v - mean) * (v - mean);
    return s / static_cast<double>(t.size());
}

}  // namespace

TEST_CASE("regression metrics match scikit-learn 1.2.1") {
    constexpr double tol = 1e-12;
    for (const auto& c : metrics_reference::regression_cases()) {
        const std::string name = c.name;
        CAPTURE(name);
        CHECK(tessera::mean_squared_error(c.y_true, c.y_pred) == Approx(c.mse).epsilon(tol));
        CHECK(tessera::mean_absolute_error(c.y_true, c.y_pred) == Approx(c.mae).epsilon(tol));
        CHECK(tessera::r2_score(c.y_true, c.y_pred) == Approx(c.r2).epsilon(tol));
        CHECK(tessera::mean_squared_error(c.y_true, c.y_pred, c.sample_weight) == Approx(c.weighted_mse).epsilon(tol));
        CHECK(tessera::mean_absolute_error(c.y_true, c.y_pred, c.sample_weight) == Approx(c.weighted_mae).epsilon(tol));
        CHECK(tessera::r2_score(c.y_true, c.y_pred, c.sample_weight) == Approx(c.weighted_r2).epsilon(tol));
        // Any input ranges of numbers: a list, and an input-only range.
        const std::list<double> truth(c.y_true.begin(), c.y_true.end());
        const single_pass<double> pred{&c.y_pred};
        CHECK(tessera::r2_score(truth, pred) == Approx(c.r2).epsilon(tol));
        CHECK(tessera::mean_absolute_error(truth, pred, c.sample_weight) == Approx(c.weighted_mae).epsilon(tol));
    }
    // The integer case again, as int targets, float predictions and int weights (all exact).
    for (const auto& c : metrics_reference::regression_cases()) {
        if (std::string(c.name) != "integers") continue;
        std::vector<int> t, w;
        std::vector<float> p;
        for (std::size_t i = 0; i < c.y_true.size(); ++i) {
            t.push_back(static_cast<int>(c.y_true[i]));
            p.push_back(static_cast<float>(c.y_pred[i]));
            w.push_back(static_cast<int>(c.sample_weight[i]));
            REQUIRE(t.back() == c.y_true[i]);
            REQUIRE(p.back() == c.y_pred[i]);
            REQUIRE(w.back() == c.sample_weight[i]);
        }
        CHECK(tessera::mean_squared_error(t, p) == Approx(c.mse).epsilon(tol));
        CHECK(tessera::mean_absolute_error(t, p, w) == Approx(c.weighted_mae).epsilon(tol));
        CHECK(tessera::r2_score(t, p, w) == Approx(c.weighted_r2).epsilon(tol));
    }
}

TEST_CASE("regression metrics equal their definitions and weighted forms equal repeated rows") {
    tessera::random_engine rng(99);
    for (const std::size_t n : {2u, 3u, 8u, 31u, 500u}) {
        std::vector<double> t(n), p(n), w(n);
        std::vector<int> repeat(n);
        std::vector<double> t_rep, p_rep;
        for (std::size_t i = 0; i < n; ++i) {
            t[i] = rng.uniform01() * 20 - 5;
            p[i] = t[i] + rng.uniform01() * 4 - 2;
            // 0 drops the row; row 0 always counts, so that some weight is not 0.
            repeat[i] = static_cast<int>(rng.below(4)) + (i == 0 ? 1 : 0);
            w[i] = repeat[i];
            for (int r = 0; r < repeat[i]; ++r) {
                t_rep.push_back(t[i]);
                p_rep.push_back(p[i]);
            }
        }
        CAPTURE(n);
        const double mse = tessera::mean_squared_error(t, p);
        CHECK(mse == Approx(naive_mse(t, p)).epsilon(1e-13));
        // R^2 = 1 - MSE / Var(y) with the population variance.
        CHECK(tessera::r2_score(t, p) == Approx(1.0 - naive_mse(t, p) / naive_variance(t)).epsilon(1e-12));
        double abs_sum = 0;
        for (std::size_t i = 0; i < n; ++i) abs_sum += std::fabs(t[i] - p[i]);
        CHECK(tessera::mean_absolute_error(t, p) == Approx(abs_sum / static_cast<double>(n)).epsilon(1e-13));
        // Integer weights count a row that many times; unit weights change nothing; scaling every
        // weight by the same factor changes nothing.
        if (t_rep.size() >= 2) {
            CHECK(tessera::mean_squared_error(t, p, repeat) ==
                  Approx(tessera::mean_squared_error(t_rep, p_rep)).epsilon(1e-13));
            CHECK(tessera::mean_absolute_error(t, p, repeat) ==
                  Approx(tessera::mean_absolute_error(t_rep, p_rep)).epsilon(1e-13));
            CHECK(tessera::r2_score(t, p, repeat) == Approx(tessera::r2_score(t_rep, p_rep)).epsilon(1e-12));
        }
        const std::vector<double> ones(n, 1.0);
        CHECK(tessera::mean_squared_error(t, p, ones) == mse);
        CHECK(tessera::r2_score(t, p, ones) == tessera::r2_score(t, p));
        std::vector<double> scaled(w);
        for (auto& v : scaled) v *= 0.375;
        CHECK(tessera::r2_score(t, p, scaled) == Approx(tessera::r2_score(t, p, w)).epsilon(1e-12));
    }
}

TEST_CASE("regression metrics: edge cases") {
    // One value: the errors are defined, R^2 is not.
    CHECK(tessera::mean_squared_error(std::vector<double>{3}, std::vector<double>{1}) == 4.0);
    CHECK(tessera::mean_absolute_error(std::vector<double>{3}, std::vector<double>{1}) == 2.0);
    CHECK(tessera::mean_squared_error(std::vector<int>{3}, std::vector<int>{1}, std::vector<double>{0.5}) == 4.0);
    // Two values: mean 2, spread 2; residual 1 -> 1 - 1/2.
    CHECK(tessera::r2_score(std::vector<double>{1, 3}, std::vector<double>{1, 2}) == 0.5);
    // A constant y_true whose mean computed as a sum over n rounds away from it
    // (0.1 + 0.1 + 0.1 = 0.30000000000000004): still recognized as constant.
    const std::vector<double> tenth(3, 0.1);
    CHECK(tessera::r2_score(tenth, tenth) == 1.0);
    CHECK(tessera::r2_score(tenth, std::vector<double>{0.1, 0.1, 0.2}) == 0.0);
    CHECK(tessera::r2_score(tenth, std::vector<double>{0.1, 0.1, 0.2}, std::vector<double>{1, 2, 3}) == 0.0);
    // Predicting the mean gives 0; a perfect prediction 1.
    CHECK(tessera::r2_score(std::vector<double>{1, 2, 3, 6}, std::vector<double>(4, 3.0)) == 0.0);
    CHECK(tessera::r2_score(std::vector<double>{1, 2, 3, 6}, std::vector<double>{1, 2, 3, 6}) == 1.0);
    // A zero weight removes a row even where its difference would overflow.
    const double big = std::numeric_limits<double>::max();
    CHECK(tessera::mean_squared_error(std::vector<double>{1, big}, std::vector<double>{2, -big},
                                      std::vector<double>{1, 0}) == 1.0);
}

TEST_CASE("regression metrics: bad input") {
    const std::vector<double> a{1, 2, 3};
    const std::vector<double> shorter{1, 2};
    const std::vector<double> none;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    for (const std::string where : {"mean_squared_error", "mean_absolute_error", "r2_score"}) {
        CAPTURE(where);
        const auto call = [&where](const std::vector<double>& t, const std::vector<double>& p) {
            if (where == "mean_squared_error") return tessera::mean_squared_error(t, p);
            if (where == "mean_absolute_error") return tessera::mean_absolute_error(t, p);
            return tessera::r2_score(t, p);
        };
        const auto call_w = [&where](const std::vector<double>& t, const std::vector<double>& p,
                                     const std::vector<double>& w) {
            if (where == "mean_squared_error") return tessera::mean_squared_error(t, p, w);
            if (where == "mean_absolute_error") return tessera::mean_absolute_error(t, p, w);
            return tessera::r2_score(t, p, w);
        };
        expect_error<tessera::dimension_mismatch>(where, "y_pred", [&] { (void)call(a, shorter); });
        expect_error<tessera::dimension_mismatch>(where, "y_pred", [&] { (void)call(shorter, a); });
        expect_error<tessera::invalid_argument>(where, "y_true", [&] { (void)call(none, none); });
        expect_error<tessera::invalid_argument>(where, "y_true", [&] { (void)call({1, nan, 3}, a); });
        expect_error<tessera::invalid_argument>(where, "y_pred", [&] { (void)call(a, {1, 2, -inf}); });
        CHECK_THROWS_WITH_AS((void)call(a, {1, 2, inf}), Contains("Inf at position 2"), tessera::invalid_argument);
        CHECK_THROWS_WITH_AS((void)call({1, nan, 3}, a), Contains("NaN at position 1"), tessera::invalid_argument);
        expect_error<tessera::dimension_mismatch>(where, "sample_weight", [&] { (void)call_w(a, a, {1, 1}); });
        expect_error<tessera::dimension_mismatch>(where, "sample_weight", [&] { (void)call_w(a, a, {1, 1, 1, 1}); });
        expect_error<tessera::invalid_argument>(where, "sample_weight", [&] { (void)call_w(a, a, {1, -0.5, 1}); });
        expect_error<tessera::invalid_argument>(where, "sample_weight", [&] { (void)call_w(a, a, {1, nan, 1}); });
        expect_error<tessera::invalid_argument>(where, "sample_weight", [&] { (void)call_w(a, a, {inf, 1, 1}); });
        expect_error<tessera::invalid_argument>(where, "sample_weight", [&] { (void)call_w(a, a, {0, 0, 0}); });
        // The values are checked before the weights.
        expect_error<tessera::invalid_argument>(where, "y_pred", [&] { (void)call_w(a, {nan, 1, 1}, {0, 0, 0}); });
    }
    expect_error<tessera::invalid_argument>("r2_score", "y_true", [&] {
        (void)tessera::r2_score(std::vector<double>{1}, std::vector<double>{1});
    });
    expect_error<tessera::invalid_argument>("r2_score", "y_true", [&] {
        (void)tessera::r2_score(std::vector<double>{1}, std::vector<double>{1}, std::vector<double>{2});
    });
}
