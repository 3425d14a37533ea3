// gaussian_nb against a naive double-precision reference written here (per-class weighted
// means and population variances, epsilon from the weighted variance of all rows computed
// directly, the joint log-likelihood term by term) and a hand-computed example; partial_fit in
// batches, merge of halves and integer sample weights against fit; priors, zero variances,
// every bad-input path, thread counts, save/load with corrupt and inconsistent archives,
// element types and allocators.
#include <doctest/doctest.h>

#include "memory_test_support.hpp"
#include "model_test_support.hpp"

#include <tessera/core/archive.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory_resource>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
using tessera::gaussian_nb_options;

using tessera_test::archive_bytes;
using tessera_test::from_bytes;
using tessera_test::close;
using tessera_test::same_tables;

namespace {

// ---------------------------------------------------------------------------------------------
// The reference

struct ref_gaussian {
    std::vector<std::vector<double>> theta, var;
    std::vector<double> count, prior;
    double epsilon = 0;

    // Rows X with class indices y (0..k-1) and weights w.
    ref_gaussian(const std::vector<std::vector<double>>& x, const std::vector<std::size_t>& y, std::size_t k,
                 const std::vector<double>& w, double var_smoothing, const std::vector<double>& priors = {}) {
        const std::size_t f = x[0].size();
        theta.assign(k, std::vector<double>(f, 0.0));
        var.assign(k, std::vector<double>(f, 0.0));
        count.assign(k, 0.0);
        for (std::size_t i = 0; i < x.size(); ++i) {
            count[y[i]] += w[i];
            for (std::size_t j = 0; j < f; ++j) theta[y[i]][j] += w[i] * x[i][j];
        }
        for (std::size_t c = 0; c < k; ++c)
            for (auto& t : theta[c]) t = count[c] > 0 ? t / count[c] : 0.0;
        for (std::size_t i = 0; i < x.size(); ++i)
            for (std::size_t j = 0; j < f; ++j) var[y[i]][j] += w[i] * (x[i][j] - theta[y[i]][j]) * (x[i][j] - theta[y[i]][j]);
        for (std::size_t c = 0; c < k; ++c)
            for (auto& v : var[c]) v = count[c] > 0 ? v / count[c] : 0.0;
        double total = 0;
        for (const double v : w) total += v;
        double largest = 0;
        for (std::size_t j = 0; j < f; ++j) {
            double mean = 0;
            for (std::size_t i = 0; i < x.size(); ++i) mean += w[i] * x[i][j];
            mean /= total;
            double s = 0;
            for (std::size_t i = 0; i < x.size(); ++i) s += w[i] * (x[i][j] - mean) * (x[i][j] - mean);
            largest = std::max(largest, s / total);
        }
        epsilon = var_smoothing * largest;
        for (auto& row : var)
            for (auto& v : row) v += epsilon;
        prior = priors;
        if (prior.empty())
            for (std::size_t c = 0; c < k; ++c) prior.push_back(count[c] / total);
    }

    [[nodiscard]] std::vector<double> jll(const std::vector<double>& x) const {
        std::vector<double> out;
        for (std::size_t c = 0; c < theta.size(); ++c) {
            double s = std::log(prior[c]);
            for (std::size_t j = 0; j < x.size(); ++j) {
                s -= 0.5 * std::log(2 * std::numbers::pi * var[c][j]);
                s -= 0.5 * (x[j] - theta[c][j]) * (x[j] - theta[c][j]) / var[c][j];
            }
            out.push_back(s);
        }
        return out;
    }
};


template <class T>
std::vector<std::vector<T>> random_rows(std::size_t n, std::size_t d, tessera::random_engine& rng, double shift = 0) {
    std::vector<std::vector<T>> rows(n, std::vector<T>(d));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            if constexpr (std::is_floating_point_v<T>) {
                rows[i][j] = static_cast<T>(rng.normal() * (1.0 + static_cast<double>(j)) + shift * static_cast<double>(i % 3));
            } else {
                rows[i][j] = static_cast<T>(static_cast<std::int64_t>(rng.below(21)) - 10 + static_cast<std::int64_t>(i % 3));
            }
        }
    return rows;
}

template <class T>
std::vector<std::vector<double>> as_double(const std::vector<std::vector<T>>& rows) {
    std::vector<std::vector<double>> out;
    for (const auto& r : rows) out.emplace_back(r.begin(), r.end());
    return out;
}

template <class T>
tessera::dense_matrix<T> to_matrix(const std::vector<std::vector<T>>& rows) {
    tessera::dense_matrix<T> m(rows.size(), rows.empty() ? 0 : rows[0].size());
    for (std::size_t i = 0; i < rows.size(); ++i) std::copy(rows[i].begin(), rows[i].end(), m.row(i).begin());
    return m;
}

// Labels -3, 2, 7 for rows i % 3 == 0, 1, 2 (class indices 0, 1, 2).
const std::vector<int> class_labels{-3, 2, 7};
std::vector<int> labels_for(std::size_t n) {
    std::vector<int> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = class_labels[i % 3];
    return y;
}
std::vector<std::size_t> indices_for(std::size_t n) {
    std::vector<std::size_t> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = i % 3;
    return y;
}

template <class Model>
void check_against(const Model& model, const ref_gaussian& ref, const std::vector<std::vector<double>>& queries_d,
                   const auto& queries, double rel = 1e-9) {
    const std::size_t k = ref.theta.size();
    REQUIRE(model.n_classes() == k);
    REQUIRE(model.theta().rows() == k);
    CHECK(close(model.epsilon(), ref.epsilon, rel));
    for (std::size_t c = 0; c < k; ++c) {
        CHECK(close(model.class_count()[c], ref.count[c], rel));
        CHECK(close(model.class_prior()[c], ref.prior[c], rel));
        CHECK(close(model.class_log_prior()[c], std::log(ref.prior[c]), rel));
        for (std::size_t j = 0; j < ref.theta[c].size(); ++j) {
            CAPTURE(c);
            CAPTURE(j);
            CHECK(close(model.theta()(c, j), ref.theta[c][j], rel));
            CHECK(close(model.var()(c, j), ref.var[c][j], rel));
        }
    }
    const auto jll = model.joint_log_likelihood(queries);
    const auto log_proba = model.predict_log_proba(queries);
    const auto proba = model.predict_proba(queries);
    const auto predicted = model.predict(queries);
    REQUIRE(jll.rows() == queries_d.size());
    for (std::size_t i = 0; i < queries_d.size(); ++i) {
        const auto r = ref.jll(queries_d[i]);
        const double top = *std::max_element(r.begin(), r.end());
        double sum = 0;
        for (const double v : r) sum += std::exp(v - top);
        const double lse = top + std::log(sum);
        double proba_sum = 0;
        for (std::size_t c = 0; c < k; ++c) {
            CAPTURE(i);
            CAPTURE(c);
            CHECK(close(jll(i, c), r[c], rel));
            CHECK(close(log_proba(i, c), r[c] - lse, rel));
            CHECK(std::fabs(proba(i, c) - std::exp(r[c] - lse)) <= 1e-9);
            proba_sum += proba(i, c);
        }
        CHECK(std::fabs(proba_sum - 1) < 1e-12);
        CHECK(predicted[i] == model.classes()[static_cast<std::size_t>(std::max_element(r.begin(), r.end()) - r.begin())]);
    }
}

fs::path temp_file(const char* name) { return fs::temp_directory_path() / (std::string("tessera_test_gaussian_nb_") + name); }



}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("gaussian_nb: a hand-computed example") {
    // Class 0: x = 1, 3 (mean 2, variance 1); class 1: x = 5, 9 (mean 7, variance 4). All four
    // rows: mean 4.5, variance (12.25 + 2.25 + 0.25 + 20.25) / 4 = 8.75; var_smoothing 0.04
    // gives epsilon 0.35.
    tessera::gaussian_nb<> nb({.var_smoothing = 0.04});
    nb.fit(std::vector<std::vector<double>>{{1}, {3}, {5}, {9}}, std::vector<int>{0, 0, 1, 1});
    CHECK(nb.epsilon() == doctest::Approx(0.35).epsilon(1e-14));
    CHECK(nb.theta()(0, 0) == 2.0);
    CHECK(nb.theta()(1, 0) == 7.0);
    CHECK(nb.var()(0, 0) == doctest::Approx(1.35).epsilon(1e-14));
    CHECK(nb.var()(1, 0) == doctest::Approx(4.35).epsilon(1e-14));
    CHECK(nb.class_count()[0] == 2.0);
    CHECK(nb.class_prior()[1] == 0.5);
    const auto jll = nb.joint_log_likelihood(std::vector<std::vector<double>>{{4}});
    const double pi = std::numbers::pi;
    const double j0 = std::log(0.5) - 0.5 * std::log(2 * pi * 1.35) - 0.5 * 4 / 1.35;
    const double j1 = std::log(0.5) - 0.5 * std::log(2 * pi * 4.35) - 0.5 * 9 / 4.35;
    CHECK(jll(0, 0) == doctest::Approx(j0).epsilon(1e-13));
    CHECK(jll(0, 1) == doctest::Approx(j1).epsilon(1e-13));
    const auto p = nb.predict_proba(std::vector<std::vector<double>>{{4}});
    CHECK(p(0, 0) == doctest::Approx(1 / (1 + std::exp(j1 - j0))).epsilon(1e-13));
    CHECK(nb.predict(std::vector<std::vector<double>>{{4}, {8}, {-100}})[1] == 1);
    CHECK(nb.n_features() == 1);
    CHECK(nb.n_classes() == 2);
}

TEST_CASE_TEMPLATE("gaussian_nb: fit equals the reference (float, double, int rows)", T, float, double, int) {
    tessera::random_engine rng(7);
    for (const std::size_t d : {1, 3, 4, 7, 17}) {
        CAPTURE(d);
        const auto x = random_rows<T>(90, d, rng, 2.5);
        const auto q = random_rows<T>(25, d, rng, 2.5);
        const auto y = labels_for(x.size());
        std::vector<double> ones(x.size(), 1.0);
        const ref_gaussian ref(as_double(x), indices_for(x.size()), 3, ones, 1e-3);
        tessera::gaussian_nb<int, T> nb({.var_smoothing = 1e-3});
        nb.fit(x, y);
        CHECK(std::ranges::equal(nb.classes(), class_labels));
        check_against(nb, ref, as_double(q), q);
        // The same data as a dense_matrix and a matrix_view.
        tessera::gaussian_nb<int, T> from_matrix({.var_smoothing = 1e-3});
        const auto xm = to_matrix(x);
        from_matrix.fit(xm.view(), y);
        CHECK(same_tables(from_matrix.predict_proba(to_matrix(q)), nb.predict_proba(q)));
    }
}

TEST_CASE("gaussian_nb: weighted fit equals the reference, integer weights equal repeated rows") {
    tessera::random_engine rng(11);
    const auto x = random_rows<double>(60, 5, rng, 1.0);
    const auto y = labels_for(x.size());
    std::vector<double> w(x.size());
    std::vector<std::vector<double>> repeated;
    std::vector<int> repeated_y;
    for (std::size_t i = 0; i < x.size(); ++i) {
        w[i] = static_cast<double>(rng.below(4));  // 0 to 3, zeros included
        for (int r = 0; r < static_cast<int>(w[i]); ++r) {
            repeated.push_back(x[i]);
            repeated_y.push_back(y[i]);
        }
    }
    const auto q = random_rows<double>(20, 5, rng, 1.0);
    tessera::gaussian_nb<> weighted({.var_smoothing = 1e-2});
    weighted.fit(x, y, w);
    check_against(weighted, ref_gaussian(x, indices_for(x.size()), 3, w, 1e-2), q, q);
    tessera::gaussian_nb<> plain({.var_smoothing = 1e-2});
    plain.fit(repeated, repeated_y);
    std::vector<double> ones(repeated.size(), 1.0);
    std::vector<std::size_t> idx;
    for (const int l : repeated_y) idx.push_back(static_cast<std::size_t>(std::find(class_labels.begin(), class_labels.end(), l) - class_labels.begin()));
    check_against(plain, ref_gaussian(repeated, idx, 3, ones, 1e-2), q, q);
    check_against(weighted, ref_gaussian(repeated, idx, 3, ones, 1e-2), q, q, 1e-8);
    // Fractional weights (a float range works too).
    std::vector<float> wf(x.size());
    std::vector<double> wd(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) wd[i] = wf[i] = static_cast<float>(0.25 + rng.uniform01());
    tessera::gaussian_nb<> fractional;
    fractional.fit(x, y, wf);
    check_against(fractional, ref_gaussian(x, indices_for(x.size()), 3, wd, 1e-9), q, q);
}

TEST_CASE("gaussian_nb: partial_fit in batches and merge of parts equal one fit") {
    tessera::random_engine rng(5);
    const auto x = random_rows<double>(101, 6, rng, 4.0);
    const auto y = labels_for(x.size());
    std::vector<double> w(x.size());
    for (auto& v : w) v = 0.5 + rng.uniform01();
    const auto q = random_rows<double>(30, 6, rng, 4.0);
    const auto ref = ref_gaussian(x, indices_for(x.size()), 3, w, 1e-2);

    // Batches of 1, 10, 35 and the rest; the first declares the classes (in another order).
    const std::vector<std::size_t> cuts{0, 1, 11, 46, x.size()};
    tessera::gaussian_nb<> online({.var_smoothing = 1e-2});
    for (std::size_t b = 0; b + 1 < cuts.size(); ++b) {
        const std::vector<std::vector<double>> xb(x.begin() + static_cast<std::ptrdiff_t>(cuts[b]), x.begin() + static_cast<std::ptrdiff_t>(cuts[b + 1]));
        const std::vector<int> yb(y.begin() + static_cast<std::ptrdiff_t>(cuts[b]), y.begin() + static_cast<std::ptrdiff_t>(cuts[b + 1]));
        const std::vector<double> wb(w.begin() + static_cast<std::ptrdiff_t>(cuts[b]), w.begin() + static_cast<std::ptrdiff_t>(cuts[b + 1]));
        if (b == 0) {
            online.partial_fit(xb, yb, std::vector<int>{7, -3, 2}, wb);
        } else if (b == 1) {
            online.partial_fit(xb, yb, std::vector<int>{2, 7, -3}, wb);  // the same classes again
        } else {
            online.partial_fit(xb, yb, wb);
        }
    }
    check_against(online, ref, q, q, 1e-10);

    // Two halves fitted apart, then merged; the first half lacks class 7 (declared only).
    std::vector<std::vector<double>> xa, xb;
    std::vector<int> ya, yb;
    std::vector<double> wa, wb;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const bool first = y[i] != 7 && i % 2 == 0;
        (first ? xa : xb).push_back(x[i]);
        (first ? ya : yb).push_back(y[i]);
        (first ? wa : wb).push_back(w[i]);
    }
    tessera::gaussian_nb<> a({.var_smoothing = 1e-2});
    tessera::gaussian_nb<> b({.var_smoothing = 1e-2});
    a.partial_fit(xa, ya, class_labels, wa);
    CHECK(a.class_count()[2] == 0.0);
    CHECK(a.class_log_prior()[2] == -std::numeric_limits<double>::infinity());
    for (const int l : a.predict(q)) CHECK(l != 7);
    b.fit(xb, yb, wb);
    a.merge(b);
    check_against(a, ref, q, q, 1e-10);

    // Unweighted partial_fit equals unweighted fit too.
    tessera::gaussian_nb<> whole;
    whole.fit(x, y);
    tessera::gaussian_nb<> pieces;
    pieces.partial_fit(std::vector<std::vector<double>>(x.begin(), x.begin() + 50), std::vector<int>(y.begin(), y.begin() + 50), class_labels);
    pieces.partial_fit(std::vector<std::vector<double>>(x.begin() + 50, x.end()), std::vector<int>(y.begin() + 50, y.end()));
    CHECK(close(pieces.epsilon(), whole.epsilon(), 1e-12));
    const auto pa = pieces.predict_log_proba(q);
    const auto pb = whole.predict_log_proba(q);
    for (std::size_t i = 0; i < pa.rows(); ++i)
        for (std::size_t c = 0; c < 3; ++c) CHECK(close(pa(i, c), pb(i, c), 1e-8));

    // partial_fit after fit continues from fit's state.
    tessera::gaussian_nb<> continued;
    continued.fit(std::vector<std::vector<double>>(x.begin(), x.begin() + 50), std::vector<int>(y.begin(), y.begin() + 50));
    continued.partial_fit(std::vector<std::vector<double>>(x.begin() + 50, x.end()), std::vector<int>(y.begin() + 50, y.end()));
    CHECK(close(continued.theta()(1, 3), whole.theta()(1, 3), 1e-12));
    CHECK(close(continued.var()(2, 5), whole.var()(2, 5), 1e-12));
}

TEST_CASE("gaussian_nb: priors") {
    tessera::random_engine rng(3);
    const auto x = random_rows<double>(30, 4, rng, 1.0);
    const auto y = labels_for(x.size());
    const std::vector<double> priors{0.2, 0.5, 0.3};
    tessera::gaussian_nb<> nb({.priors = priors});
    nb.fit(x, y);
    std::vector<double> ones(x.size(), 1.0);
    check_against(nb, ref_gaussian(x, indices_for(x.size()), 3, ones, 1e-9, priors), x, x);
    CHECK(nb.class_prior()[1] == 0.5);
    // A zero prior: that class is never predicted.
    tessera::gaussian_nb<> never({.priors = {0.0, 0.5, 0.5}});
    never.fit(x, y);
    for (const int l : never.predict(x)) CHECK(l != -3);
    // numpy.isclose's tolerance on the sum: 1e-8 + 1e-5.
    tessera::gaussian_nb<> loose({.priors = {0.2, 0.5, 0.300009}});
    CHECK_NOTHROW(loose.fit(x, y));

    const auto refused = [&](std::vector<double> p, const char* why) {
        CAPTURE(why);
        tessera::gaussian_nb<> bad({.priors = std::move(p)});
        CHECK_THROWS_WITH_AS(bad.fit(x, y), doctest::Contains(why), tessera::invalid_argument);
        CHECK_FALSE(bad.fitted());
    };
    refused({0.5, 0.5}, "has 2 entries but there are 3 classes");
    refused({0.5, 0.7, -0.2}, "entry 2 is -0.2");
    refused({0.2, 0.5, 0.31}, "sum to 1.01");
    refused({0.2, 0.5, std::nan("")}, "priors must be finite");
    refused({0.2, 0.5, 0.3, 0.0}, "argument 'options.priors'");
}

TEST_CASE("gaussian_nb: zero variances") {
    // Feature 1 is constant within class 0 only: its variance there is epsilon.
    const std::vector<std::vector<double>> x{{0, 5}, {1, 5}, {2, 5}, {3, 1}, {4, 2}, {6, 4}};
    const std::vector<int> y{0, 0, 0, 1, 1, 1};
    tessera::gaussian_nb<> nb;
    nb.fit(x, y);
    CHECK(nb.var()(0, 1) == nb.epsilon());
    CHECK(nb.epsilon() > 0);
    CHECK(nb.predict(std::vector<std::vector<double>>{{1, 5}, {1, 4.9}})[1] == 1);

    // Every feature constant over all rows: epsilon is 0 and the variances are 1, so the
    // features cancel and the prior decides.
    tessera::gaussian_nb<> flat;
    flat.fit(std::vector<std::vector<double>>{{2, 0.5}, {2, 0.5}, {2, 0.5}}, std::vector<int>{4, 9, 9});
    CHECK(flat.epsilon() == 0);
    CHECK(flat.var()(0, 0) == 1.0);
    CHECK(flat.var()(1, 1) == 1.0);
    const auto p = flat.predict_proba(std::vector<std::vector<double>>{{100, -3}});
    CHECK(p(0, 0) == doctest::Approx(1.0 / 3));
    CHECK(flat.predict(std::vector<std::vector<double>>{{100, -3}})[0] == 9);

    // var_smoothing = 0: fine while every class varies, an error otherwise.
    tessera::gaussian_nb<> exact({.var_smoothing = 0});
    CHECK_NOTHROW(exact.fit(std::vector<std::vector<double>>{{0}, {1}, {5}, {7}}, std::vector<int>{0, 0, 1, 1}));
    CHECK(exact.var()(1, 0) == 1.0);
    CHECK_THROWS_WITH_AS(exact.fit(x, y), doctest::Contains("feature 1 is constant within class 0"), tessera::invalid_argument);
    CHECK(exact.var()(1, 0) == 1.0);  // unchanged by the failed fit
    tessera::gaussian_nb<> single({.var_smoothing = 0});
    CHECK_THROWS_WITH_AS(single.partial_fit(std::vector<std::vector<double>>{{3}}, std::vector<int>{1}, std::vector<int>{0, 1}),
                         doctest::Contains("argument 'options.var_smoothing'"), tessera::invalid_argument);
    CHECK_FALSE(single.fitted());
}

TEST_CASE("gaussian_nb: string labels, numerically extreme rows, thread counts") {
    tessera::random_engine rng(9);
    const auto x = random_rows<float>(200, 9, rng, 3.0);
    std::vector<std::string> y(x.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::string("class ") + static_cast<char>('c' - static_cast<char>(i % 3));
    tessera::gaussian_nb<std::string, float> nb;
    nb.fit(x, y);
    CHECK(nb.classes()[0] == "class a");
    const std::vector<std::string> predicted = nb.predict(x);
    CHECK(nb.score(x, y) > 0.5);
    std::size_t right = 0;
    for (std::size_t i = 0; i < y.size(); ++i) right += predicted[i] == y[i] ? 1 : 0;
    CHECK(nb.score(x, y) == static_cast<double>(right) / 200.0);
    auto wrong = y;
    wrong[0] = "no such class";
    CHECK(nb.score(x, wrong) == doctest::Approx(nb.score(x, y) - (predicted[0] == y[0] ? 1.0 / 200 : 0.0)));

    // Results do not depend on threads or blocks.
    const auto q = random_rows<float>(333, 9, rng, 3.0);
    const auto base = nb.predict_proba(q);
    const auto base_labels = nb.predict(q);
    for (const int threads : {1, 2, 4}) {
        for (const std::size_t block : {0, 1, 7, 1000}) {
            tessera::gaussian_nb<std::string, float> other({.parallel = {threads, block}});
            other.fit(x, y);
            CHECK(same_tables(other.predict_proba(q), base));
            CHECK(other.predict(q) == base_labels);
        }
    }

    // Rows far from every class: joint log-likelihoods around -1e13, still a clean softmax.
    tessera::gaussian_nb<> tight;
    tight.fit(std::vector<std::vector<double>>{{0, 0}, {0.001, 0.001}, {1, 1}, {1.001, 1.001}}, std::vector<int>{0, 0, 1, 1});
    const std::vector<std::vector<double>> far{{1e4, 1e4}, {-1e4, -1e4}, {0.5006, 0.5006}};
    const auto jll = tight.joint_log_likelihood(far);
    CHECK(jll(0, 0) < -1e9);
    const auto p = tight.predict_proba(far);
    const auto lp = tight.predict_log_proba(far);
    for (std::size_t i = 0; i < far.size(); ++i) {
        CHECK(std::isfinite(lp(i, 0)));
        CHECK(std::isfinite(lp(i, 1)));
        CHECK(p(i, 0) + p(i, 1) == doctest::Approx(1.0));
    }
    CHECK(p(0, 1) == 1.0);
    CHECK(p(1, 0) == 1.0);
    CHECK(tight.predict(far) == std::vector<int>{1, 0, 1});
    // No rows to predict.
    CHECK(tight.predict(std::vector<std::vector<double>>{}).empty());
    CHECK(tight.predict_proba(std::vector<std::vector<double>>{}).rows() == 0);
}

TEST_CASE("gaussian_nb: bad input is refused with clear errors") {
    using rows = std::vector<std::vector<double>>;
    const rows x{{0, 1}, {1, 0}, {5, 5}, {6, 4}};
    const std::vector<int> y{1, 1, 2, 2};
    tessera::gaussian_nb<> nb;

    // Not fitted.
    CHECK_THROWS_WITH_AS((void)nb.predict(x), doctest::Contains("gaussian_nb::predict: the model is not fitted"),
                         tessera::not_fitted_error);
    CHECK_THROWS_AS((void)nb.predict_proba(x), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)nb.predict_log_proba(x), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)nb.joint_log_likelihood(x), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)nb.score(x, y), tessera::not_fitted_error);
    CHECK_THROWS_AS(nb.save(temp_file("never")), tessera::not_fitted_error);
    tessera::gaussian_nb<> fitted;
    fitted.fit(x, y);
    CHECK_THROWS_AS(nb.merge(fitted), tessera::not_fitted_error);
    CHECK_THROWS_AS(fitted.merge(nb), tessera::not_fitted_error);

    // Shapes and values at fit.
    CHECK_THROWS_WITH_AS(nb.fit(rows{}, std::vector<int>{}), doctest::Contains("argument 'X': is empty"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.fit(rows{{}, {}}, std::vector<int>{1, 2}), doctest::Contains("has no columns"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.fit(x, std::vector<int>{1, 2}), doctest::Contains("argument 'y': has 2 labels but X has 4 rows"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS(nb.fit(rows{{0, 1}, {1}}, std::vector<int>{1, 2}), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS(nb.fit(rows{{0, 1}, {1, std::nan("")}}, std::vector<int>{1, 2}),
                         doctest::Contains("gaussian_nb::fit: argument 'X': contains NaN at row 1, column 1"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.fit(rows{{0, 1}, {HUGE_VAL, 0}}, std::vector<int>{1, 2}), doctest::Contains("contains Inf at row 1, column 0"),
                         tessera::invalid_argument);

    // Sample weights.
    CHECK_THROWS_WITH_AS(nb.fit(x, y, std::vector<double>{1, 1, 1}), doctest::Contains("'sample_weight': has 3 weights but X has 4 rows"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS(nb.fit(x, y, std::vector<double>{1, -1, 1, 1}), doctest::Contains("is negative (-1) at position 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.fit(x, y, std::vector<double>{1, 1, std::nan(""), 1}), doctest::Contains("is NaN at position 2"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.fit(x, y, std::vector<double>{0, 0, 0, 0}), doctest::Contains("is zero for every row"),
                         tessera::invalid_argument);

    // Options.
    CHECK_THROWS_WITH_AS(tessera::gaussian_nb<>({.var_smoothing = -1}).fit(x, y), doctest::Contains("'options.var_smoothing': must be finite and >= 0"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::gaussian_nb<>({.var_smoothing = std::nan("")}).fit(x, y), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::gaussian_nb<>({.parallel = {-2, 0}}).fit(x, y), doctest::Contains("options.n_threads"),
                         tessera::invalid_argument);
    CHECK_FALSE(nb.fitted());

    // partial_fit: classes on the first call, the same classes later, known labels, same width.
    CHECK_THROWS_WITH_AS(nb.partial_fit(x, y), doctest::Contains("'classes': must be given on the first call"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.partial_fit(x, y, std::vector<int>{1, 3}), doctest::Contains("unknown label 2 at position 2"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(nb.partial_fit(x, y, std::vector<int>{}), tessera::invalid_argument);
    CHECK_THROWS_AS(nb.partial_fit(x, y, std::vector<int>{1, 2, 1}), tessera::invalid_argument);
    CHECK_FALSE(nb.fitted());
    nb.partial_fit(x, y, std::vector<int>{1, 2, 3});
    const double mean = nb.theta()(0, 0);
    CHECK_THROWS_WITH_AS(nb.partial_fit(x, std::vector<int>{1, 2, 4, 1}), doctest::Contains("gaussian_nb::partial_fit: argument 'y': unknown label 4"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.partial_fit(x, y, std::vector<int>{1, 2}), doctest::Contains("differ from the classes the model was fitted with (1, 2, 3)"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(nb.partial_fit(rows{{1, 2, 3}}, std::vector<int>{1}), doctest::Contains("has 3 columns but the model was fitted on 2"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS(nb.partial_fit(rows{{1, std::nan("")}}, std::vector<int>{1}), tessera::invalid_argument);
    CHECK(nb.theta()(0, 0) == mean);  // failed calls changed nothing
    CHECK(nb.class_count()[0] == 2);

    // Predictions.
    CHECK_THROWS_WITH_AS((void)nb.predict(rows{{1, 2, 3}}), doctest::Contains("gaussian_nb::predict: argument 'X': has 3 columns but the model was fitted on 2"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)nb.predict_proba(rows{{1, 2}, {0, std::nan("")}}), doctest::Contains("contains NaN at row 1, column 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)nb.joint_log_likelihood(rows{{1, 2}, {-HUGE_VAL, 0}}), doctest::Contains("contains Inf at row 1, column 0"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)nb.score(x, std::vector<int>{1}), doctest::Contains("has 1 labels but X has 4 rows"), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)nb.score(rows{}, std::vector<int>{}), doctest::Contains("is empty"), tessera::invalid_argument);

    // Merge.
    tessera::gaussian_nb<> other_classes;
    other_classes.fit(x, std::vector<int>{1, 1, 3, 3});
    CHECK_THROWS_WITH_AS(fitted.merge(other_classes), doctest::Contains("'other': has the classes 1, 3, this model 1, 2"),
                         tessera::invalid_argument);
    tessera::gaussian_nb<> wider;
    wider.fit(rows{{0, 1, 2}, {1, 0, 2}}, std::vector<int>{1, 2});
    CHECK_THROWS_AS(fitted.merge(wider), tessera::dimension_mismatch);
    tessera::gaussian_nb<> smoother({.var_smoothing = 0.5});
    smoother.fit(x, y);
    CHECK_THROWS_WITH_AS(fitted.merge(smoother), doctest::Contains("other options"), tessera::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Persistence

TEST_CASE("gaussian_nb: save and load") {
    tessera::random_engine rng(21);
    const auto x = random_rows<float>(50, 6, rng, 2.0);
    std::vector<std::string> y(x.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::string(1 + i % 3, 'q');
    const fs::path file = temp_file("model");
    tessera::gaussian_nb<std::string, float> nb({.priors = {0.5, 0.25, 0.25}, .var_smoothing = 1e-4, .parallel = {1, 16}});
    nb.fit(x, y);
    nb.save(file);
    const auto loaded = decltype(nb)::load(file);
    CHECK(std::ranges::equal(loaded.classes(), nb.classes()));
    CHECK(loaded.get_options().priors == nb.get_options().priors);
    CHECK(loaded.get_options().var_smoothing == 1e-4);
    CHECK(loaded.get_options().parallel.n_threads == 1);
    CHECK(loaded.get_options().parallel.block_size == 16);
    CHECK(loaded.epsilon() == nb.epsilon());
    CHECK(same_tables(loaded.theta(), nb.theta()));
    CHECK(same_tables(loaded.var(), nb.var()));
    CHECK(same_tables(loaded.predict_proba(x), nb.predict_proba(x)));
    CHECK(loaded.predict(x) == nb.predict(x));
    // A loaded model keeps learning as the original would.
    auto a = loaded;
    auto b = nb;
    a.partial_fit(x, y);
    b.partial_fit(x, y);
    CHECK(same_tables(a.var(), b.var()));

    CHECK_THROWS_WITH_AS((void)(tessera::gaussian_nb<std::string, double>::load(file)), doctest::Contains("element type is f32, expected f64"),
                         tessera::format_error);
    CHECK_THROWS_WITH_AS((void)(tessera::gaussian_nb<int, float>::load(file)), doctest::Contains("saved with labels of type 'string', loading as 'i32'"),
                         tessera::format_error);
    CHECK_THROWS_AS((void)(tessera::gaussian_nb<int>::load(temp_file("does_not_exist"))), tessera::io_error);
    std::ofstream(file, std::ios::binary | std::ios::app).put('x');
    CHECK_THROWS_WITH_AS((void)decltype(nb)::load(file), doctest::Contains("after the archive"), tessera::format_error);
    fs::remove(file);
}

TEST_CASE("gaussian_nb: truncated and corrupt archives") {
    tessera::gaussian_nb<> nb;
    nb.fit(std::vector<std::vector<double>>{{0, 1}, {2, 3}, {4, 5}, {4, 4}}, std::vector<int>{7, 8, 7, 8});
    const auto bytes = archive_bytes(nb);
    CHECK_NOTHROW((void)from_bytes<tessera::gaussian_nb<>>(bytes));
    for (std::size_t keep = 0; keep < bytes.size(); ++keep) {
        CAPTURE(keep);
        CHECK_THROWS_AS((void)from_bytes<tessera::gaussian_nb<>>(std::vector<std::byte>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep))),
                        tessera::format_error);
    }
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        CAPTURE(at);
        auto broken = bytes;
        broken[at] ^= std::byte{0x10};
        CHECK_THROWS_AS((void)from_bytes<tessera::gaussian_nb<>>(broken), tessera::format_error);
    }
}

namespace {
// gaussian_nb<int>'s payload, field by field as write_to writes it, so that inconsistent
// content can be given a valid checksum.
struct payload {
    std::string labels = "i32";
    std::vector<std::int32_t> classes{7, 8};
    std::vector<double> priors{};
    double var_smoothing = 1e-9;
    std::int32_t threads = 0;
    std::uint64_t block = 0;
    std::uint64_t features = 2;
    std::vector<double> count{2, 2};
    tessera::dense_matrix<double> theta{{2, 3}, {3, 4}};
    tessera::dense_matrix<double> sigma{{4, 4}, {1, 0.25}};

    [[nodiscard]] std::vector<std::byte> bytes() const {
        tessera::archive_writer w(tessera::gaussian_nb<int>::header());
        w.write_string(labels);
        w.write<std::uint64_t>(classes.size());
        for (const auto c : classes) w.write(c);
        w.write_span(std::span<const double>(priors));
        w.write(var_smoothing);
        w.write(threads);
        w.write(block);
        w.write(features);
        w.write_span(std::span<const double>(count));
        w.write_matrix(theta.view());
        w.write_matrix(sigma.view());
        return w.bytes();
    }
};
}  // namespace

TEST_CASE("gaussian_nb: archives with a valid checksum but inconsistent content") {
    using model = tessera::gaussian_nb<int>;
    const auto good = from_bytes<model>(payload{}.bytes());
    CHECK(good.theta()(1, 1) == 4.0);
    CHECK(good.var()(1, 1) == doctest::Approx(0.25 + good.epsilon()));
    const auto refused = [](const payload& p, const char* why) {
        CAPTURE(why);
        CHECK_THROWS_WITH_AS((void)from_bytes<model>(p.bytes()), doctest::Contains(why), tessera::format_error);
    };
    payload p;
    p.classes = {8, 7};
    refused(p, "not strictly sorted");
    p = {};
    p.count = {2};
    refused(p, "1 class counts for 2 classes");
    p = {};
    p.count = {2, -1};
    refused(p, "a class count is negative or not finite");
    p = {};
    p.count = {0, 0};
    refused(p, "the class counts sum to 0");
    p = {};
    p.features = 3;
    refused(p, "do not match 2 classes and 3 features");
    p = {};
    p.theta = tessera::dense_matrix<double>{{2, 3}};
    refused(p, "do not match");
    p = {};
    p.sigma(0, 1) = -1;
    refused(p, "feature 1 in class 0 is not finite or negative");
    p = {};
    p.theta(1, 0) = std::nan("");
    refused(p, "feature 0 in class 1");
    p = {};
    p.var_smoothing = -1;
    refused(p, "options.var_smoothing");
    p = {};
    p.priors = {0.5, 0.6};
    refused(p, "sum to 1.1");
    p = {};
    p.priors = {1.0};
    refused(p, "has 1 entries but there are 2 classes");
    p = {};
    p.threads = -1;
    refused(p, "negative thread count");
    p = {};
    p.var_smoothing = 0;
    p.sigma(1, 1) = 0;
    refused(p, "constant within class 8");
    p = {};
    p.labels = "u8";
    refused(p, "saved with labels of type 'u8'");
}

// ---------------------------------------------------------------------------------------------
// Allocators

using tessera_test::counting_resource;

TEST_CASE("gaussian_nb: the model's memory comes from its allocator") {
    using alloc = std::pmr::polymorphic_allocator<double>;
    counting_resource resource;
    tessera::random_engine rng(4);
    const auto x = random_rows<float>(100, 16, rng, 1.0);
    std::vector<std::string> y(x.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = "a fairly long class name, not a short string " + std::to_string(i % 4);
    tessera::gaussian_nb<std::string, float, alloc> nb({}, alloc(&resource));
    nb.fit(x, y);
    CHECK(resource.bytes >= 4 * 4 * 16 * sizeof(double));
    CHECK(nb.get_allocator().resource() == &resource);
    tessera::gaussian_nb<std::string, float> plain;
    plain.fit(x, y);
    CHECK(same_tables(nb.predict_proba(x), plain.predict_proba(x)));
    CHECK(nb.predict(x) == plain.predict(x));
    const std::size_t before = resource.bytes;
    tessera::archive_writer w(nb.header());
    nb.write_to(w);
    const auto bytes = w.bytes();
    tessera::archive_reader r(std::span<const std::byte>(bytes), nb.header());
    const auto loaded = decltype(nb)::read_from(r, alloc(&resource));
    CHECK(resource.bytes > before);
    CHECK(loaded.predict(x) == plain.predict(x));
}
