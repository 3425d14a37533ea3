// multinomial_nb, bernoulli_nb and complement_nb against a naive double-precision reference
// written here from scikit-learn 1.2's formulas (counts, smoothed log-probabilities, class
// log-priors, joint log-likelihoods term by term) and hand-computed examples; dense against
// sparse input (equal models, predictions equal to rounding), partial_fit in batches, merge of parts and integer sample
// weights against fit; options, every bad-input path, thread counts, save/load with corrupt and
// inconsistent archives, element types and allocators.
#include <doctest/doctest.h>

#include "memory_test_support.hpp"
#include "model_test_support.hpp"

#include <tessera/core/archive.hpp>
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/naive_bayes/bernoulli_nb.hpp>
#include <tessera/naive_bayes/complement_nb.hpp>
#include <tessera/naive_bayes/multinomial_nb.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;

using tessera_test::archive_bytes;
using tessera_test::from_bytes;
using tessera_test::close;
using tessera_test::same_tables;

namespace {

// ---------------------------------------------------------------------------------------------
// The reference

enum class nb_kind { multinomial, bernoulli, complement };

struct ref_config {
    nb_kind kind = nb_kind::multinomial;
    double alpha = 1.0;
    bool fit_prior = true;
    std::vector<double> class_prior{};
    std::optional<double> binarize = 0.0;
    bool norm = false;
};

struct ref_discrete {
    ref_config cfg;
    std::vector<std::vector<double>> fc, flp;
    std::vector<double> cc, log_prior;

    [[nodiscard]] double bin(double v) const {
        return cfg.kind == nb_kind::bernoulli && cfg.binarize ? (v > *cfg.binarize ? 1.0 : 0.0) : v;
    }

    ref_discrete(ref_config c, const std::vector<std::vector<double>>& x, const std::vector<std::size_t>& y, std::size_t k,
                 const std::vector<double>& w)
        : cfg(std::move(c)) {
        const std::size_t f = x[0].size();
        fc.assign(k, std::vector<double>(f, 0.0));
        flp = fc;
        cc.assign(k, 0.0);
        for (std::size_t i = 0; i < x.size(); ++i) {
            cc[y[i]] += w[i];
            for (std::size_t j = 0; j < f; ++j) fc[y[i]][j] += w[i] * bin(x[i][j]);
        }
        const double a = std::max(cfg.alpha, 1e-10);
        double total = 0;
        for (const double v : cc) total += v;
        for (std::size_t cl = 0; cl < k; ++cl) {
            if (!cfg.class_prior.empty()) {
                log_prior.push_back(std::log(cfg.class_prior[cl]));
            } else if (cfg.fit_prior) {
                log_prior.push_back(std::log(cc[cl] / total));
            } else {
                log_prior.push_back(std::log(1.0 / static_cast<double>(k)));
            }
        }
        for (std::size_t cl = 0; cl < k; ++cl) {
            if (cfg.kind == nb_kind::multinomial) {
                double s = 0;
                for (std::size_t j = 0; j < f; ++j) s += fc[cl][j] + a;
                for (std::size_t j = 0; j < f; ++j) flp[cl][j] = std::log((fc[cl][j] + a) / s);
            } else if (cfg.kind == nb_kind::bernoulli) {
                for (std::size_t j = 0; j < f; ++j) flp[cl][j] = std::log((fc[cl][j] + a) / (cc[cl] + 2 * a));
            } else {
                std::vector<double> comp(f);
                double s = 0;
                for (std::size_t j = 0; j < f; ++j) {
                    double all = 0;
                    for (std::size_t o = 0; o < k; ++o) all += fc[o][j];
                    comp[j] = all + a - fc[cl][j];
                    s += comp[j];
                }
                double logged_sum = 0;
                for (std::size_t j = 0; j < f; ++j) logged_sum += std::log(comp[j] / s);
                for (std::size_t j = 0; j < f; ++j) {
                    const double logged = std::log(comp[j] / s);
                    flp[cl][j] = cfg.norm ? logged / logged_sum : -logged;
                }
            }
        }
    }

    [[nodiscard]] std::vector<double> jll(const std::vector<double>& x) const {
        const double a = std::max(cfg.alpha, 1e-10);
        std::vector<double> out;
        for (std::size_t cl = 0; cl < fc.size(); ++cl) {
            double s = 0;
            if (cfg.kind != nb_kind::complement || fc.size() == 1) s = log_prior[cl];
            for (std::size_t j = 0; j < x.size(); ++j) {
                const double v = bin(x[j]);
                if (cfg.kind == nb_kind::bernoulli) {
                    const double log_absent = std::log((cc[cl] - fc[cl][j] + a) / (cc[cl] + 2 * a));
                    s += v * flp[cl][j] + (1 - v) * log_absent;
                } else {
                    s += v * flp[cl][j];
                }
            }
            out.push_back(s);
        }
        return out;
    }
};


// Count-like rows: about two thirds zeros, the rest 1..5 (T float, double or an integer).
template <class T>
std::vector<std::vector<T>> count_rows(std::size_t n, std::size_t d, tessera::random_engine& rng) {
    std::vector<std::vector<T>> rows(n, std::vector<T>(d, T{0}));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            // Each class (i % 3) prefers its own third of the features.
            const bool favoured = j % 3 == i % 3;
            if (rng.below(favoured ? 2 : 4) == 0) rows[i][j] = static_cast<T>(1 + rng.below(5));
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
tessera::dense_matrix<T> to_matrix(const std::vector<std::vector<T>>& rows, std::size_t cols) {
    tessera::dense_matrix<T> m(rows.size(), cols);
    for (std::size_t i = 0; i < rows.size(); ++i) std::copy(rows[i].begin(), rows[i].end(), m.row(i).begin());
    return m;
}

template <class T, class Index = std::int32_t>
tessera::csr_matrix<T, Index> to_csr(const std::vector<std::vector<T>>& rows, std::size_t cols) {
    const auto dense = to_matrix(rows, cols);
    return tessera::csr_matrix<T, Index>::from_dense(dense.view());
}

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


// Equal to rounding: dense rows sum with SIMD dot products, CSR rows entry by entry, so the
// two orders of summation may differ in the last bits.
template <class M>
bool close_tables(const M& a, const M& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (std::size_t i = 0; i < a.rows(); ++i)
        for (std::size_t j = 0; j < a.cols(); ++j)
            if (!(std::fabs(a(i, j) - b(i, j)) <= 1e-12 * std::max(1.0, std::fabs(b(i, j))))) return false;
    return true;
}

// The model against the reference, on queries given as doubles (for the reference) and as
// the model reads them.
template <class Model>
void check_against(const Model& model, const ref_discrete& ref, const std::vector<std::vector<double>>& queries_d,
                   const auto& queries, double rel = 1e-9) {
    const std::size_t k = ref.fc.size();
    REQUIRE(model.n_classes() == k);
    REQUIRE(model.feature_count().rows() == k);
    REQUIRE(model.feature_count().cols() == ref.fc[0].size());
    for (std::size_t c = 0; c < k; ++c) {
        CAPTURE(c);
        CHECK(close(model.class_count()[c], ref.cc[c], rel));
        CHECK(close(model.class_log_prior()[c], ref.log_prior[c], rel));
        for (std::size_t j = 0; j < ref.fc[c].size(); ++j) {
            CAPTURE(j);
            CHECK(close(model.feature_count()(c, j), ref.fc[c][j], rel));
            CHECK(close(model.feature_log_prob()(c, j), ref.flp[c][j], rel));
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
        for (std::size_t c = 0; c < k; ++c) {
            CAPTURE(i);
            CAPTURE(c);
            CHECK(close(jll(i, c), r[c], rel));
            CHECK(close(log_proba(i, c), r[c] - lse, rel * 100));
            CHECK(std::fabs(proba(i, c) - std::exp(r[c] - lse)) <= 1e-9);
        }
        CHECK(predicted[i] == model.classes()[static_cast<std::size_t>(std::max_element(r.begin(), r.end()) - r.begin())]);
    }
}

fs::path temp_file(const char* name) { return fs::temp_directory_path() / (std::string("tessera_test_discrete_nb_") + name); }


// The model type and its options for a kind.
template <nb_kind K, class T>
struct model_of;
template <class T>
struct model_of<nb_kind::multinomial, T> {
    using type = tessera::multinomial_nb<int, T>;
    static typename type::options options(const ref_config& c) { return {c.alpha, c.fit_prior, c.class_prior, {}}; }
};
template <class T>
struct model_of<nb_kind::bernoulli, T> {
    using type = tessera::bernoulli_nb<int, T>;
    static typename type::options options(const ref_config& c) { return {c.alpha, c.fit_prior, c.class_prior, c.binarize, {}}; }
};
template <class T>
struct model_of<nb_kind::complement, T> {
    using type = tessera::complement_nb<int, T>;
    static typename type::options options(const ref_config& c) { return {c.alpha, c.fit_prior, c.class_prior, c.norm, {}}; }
};

// Fits the kind's model on x (dense, csr_matrix and csr_view) and checks it against the reference.
template <nb_kind K, class T>
void fit_and_check(const ref_config& cfg, const std::vector<std::vector<T>>& x, const std::vector<std::vector<T>>& q,
                   std::size_t d, bool sparse_too = true) {
    using model = typename model_of<K, T>::type;
    const auto y = labels_for(x.size());
    const ref_discrete ref(cfg, as_double(x), indices_for(x.size()), 3, std::vector<double>(x.size(), 1.0));
    model dense(model_of<K, T>::options(cfg));
    dense.fit(x, y);
    check_against(dense, ref, as_double(q), q);
    CHECK(std::ranges::equal(dense.classes(), class_labels));
    if (!sparse_too) return;
    // Sparse training gives bit-identical models; predictions agree to rounding.
    const auto xs = to_csr(x, d);
    const auto qs = to_csr(q, d);
    model sparse(model_of<K, T>::options(cfg));
    sparse.fit(xs, y);
    CHECK(same_tables(sparse.feature_count(), dense.feature_count()));
    CHECK(same_tables(sparse.feature_log_prob(), dense.feature_log_prob()));
    CHECK(close_tables(sparse.joint_log_likelihood(qs), dense.joint_log_likelihood(q)));
    CHECK(close_tables(sparse.predict_proba(qs.view()), dense.predict_proba(to_matrix(q, d))));
    CHECK(sparse.predict(qs) == dense.predict(q));
    model from_view(model_of<K, T>::options(cfg));
    from_view.fit(xs.view(), y);
    CHECK(same_tables(from_view.feature_log_prob(), dense.feature_log_prob()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("discrete naive Bayes: hand-computed examples") {
    const std::vector<std::vector<double>> x{{2, 1, 0}, {1, 0, 1}, {0, 3, 1}};
    const std::vector<int> y{0, 0, 1};
    const std::vector<std::vector<double>> q{{1, 1, 0}, {1, 0, 1}};
    using std::log;

    // Multinomial, alpha 1: class 0 counts 3, 1, 1 (+1 each: 4, 2, 2 of 8), class 1 counts
    // 0, 3, 1 (1, 4, 2 of 7); priors 2/3 and 1/3.
    tessera::multinomial_nb<> m;
    m.fit(x, y);
    CHECK(m.feature_count()(0, 0) == 3.0);
    CHECK(m.feature_log_prob()(0, 0) == doctest::Approx(log(0.5)));
    CHECK(m.feature_log_prob()(1, 1) == doctest::Approx(log(4.0 / 7)));
    CHECK(m.class_log_prior()[0] == doctest::Approx(log(2.0 / 3)));
    auto jll = m.joint_log_likelihood(q);
    CHECK(jll(0, 0) == doctest::Approx(log(2.0 / 3) + log(0.5) + log(0.25)));
    CHECK(jll(0, 1) == doctest::Approx(log(1.0 / 3) + log(1.0 / 7) + log(4.0 / 7)));

    // Bernoulli, binarize at 0: class 0 has features present in 2, 1, 1 of its 2 rows
    // (p = 3/4, 2/4, 2/4), class 1 in 0, 1, 1 of 1 row (p = 1/3, 2/3, 2/3).
    tessera::bernoulli_nb<> b;
    b.fit(x, y);
    CHECK(b.feature_count()(0, 0) == 2.0);
    CHECK(b.feature_log_prob()(0, 0) == doctest::Approx(log(0.75)));
    CHECK(b.feature_log_prob()(1, 0) == doctest::Approx(log(1.0 / 3)));
    jll = b.joint_log_likelihood(q);
    CHECK(jll(1, 0) == doctest::Approx(log(2.0 / 3) + log(0.75) + log(0.5) + log(0.5)));
    CHECK(jll(1, 1) == doctest::Approx(log(1.0 / 3) + log(1.0 / 3) + log(1.0 / 3) + log(2.0 / 3)));

    // Complement, alpha 1: all-class counts 3, 4, 2; class 0's complement 1, 4, 2 (of 7),
    // class 1's 4, 2, 2 (of 8); weights are minus their logs.
    tessera::complement_nb<> c;
    c.fit(x, y);
    CHECK(c.feature_log_prob()(0, 0) == doctest::Approx(-log(1.0 / 7)));
    CHECK(c.feature_log_prob()(1, 2) == doctest::Approx(-log(0.25)));
    jll = c.joint_log_likelihood(q);
    CHECK(jll(0, 0) == doctest::Approx(-log(1.0 / 7) - log(4.0 / 7)));
    CHECK(jll(0, 1) == doctest::Approx(-log(0.5) - log(0.25)));
    // norm divides each class's logged values by their sum.
    tessera::complement_nb<> cn({.norm = true});
    cn.fit(x, y);
    const double s0 = log(1.0 / 7) + log(4.0 / 7) + log(2.0 / 7);
    CHECK(cn.feature_log_prob()(0, 1) == doctest::Approx(log(4.0 / 7) / s0));
}

TEST_CASE_TEMPLATE("discrete naive Bayes: fit equals the reference, dense equals sparse (float, double, int)", T, float, double, int) {
    tessera::random_engine rng(17);
    for (const std::size_t d : {1, 2, 5, 13}) {
        CAPTURE(d);
        const auto x = count_rows<T>(60, d, rng);
        const auto q = count_rows<T>(21, d, rng);
        for (const double alpha : {1.0, 0.5, 0.0}) {
            CAPTURE(alpha);
            ref_config cfg{.alpha = alpha};
            cfg.kind = nb_kind::multinomial;
            fit_and_check<nb_kind::multinomial, T>(cfg, x, q, d);
            cfg.kind = nb_kind::bernoulli;
            fit_and_check<nb_kind::bernoulli, T>(cfg, x, q, d);
            cfg.binarize = 2.5;
            fit_and_check<nb_kind::bernoulli, T>(cfg, x, q, d);
            cfg.kind = nb_kind::complement;
            fit_and_check<nb_kind::complement, T>(cfg, x, q, d);
            if (d > 1) {  // norm with one feature divides by 0 (see complement_nb.hpp)
                cfg.norm = true;
                fit_and_check<nb_kind::complement, T>(cfg, x, q, d);
            }
        }
        // Priors: uniform, given.
        const ref_config uniform{.fit_prior = false};
        fit_and_check<nb_kind::multinomial, T>(uniform, x, q, d);
        const ref_config given{.class_prior = {0.1, 0.3, 0.6}};
        fit_and_check<nb_kind::multinomial, T>(given, x, q, d);
        ref_config given_b = given;
        given_b.kind = nb_kind::bernoulli;
        fit_and_check<nb_kind::bernoulli, T>(given_b, x, q, d);
        ref_config uniform_c = uniform;
        uniform_c.kind = nb_kind::complement;
        fit_and_check<nb_kind::complement, T>(uniform_c, x, q, d);
    }
}

TEST_CASE("bernoulli_nb: binarize thresholds, binary input as it is, negative values") {
    tessera::random_engine rng(23);
    auto x = count_rows<double>(45, 6, rng);
    const auto q = count_rows<double>(15, 6, rng);
    // A negative threshold turns zeros into ones: dense input only.
    ref_config cfg{.kind = nb_kind::bernoulli, .binarize = -0.5};
    fit_and_check<nb_kind::bernoulli, double>(cfg, x, q, 6, false);
    // Negative values are fine for Bernoulli (they binarize to 0 at threshold 0).
    x[0][0] = -3;
    cfg.binarize = 0.0;
    fit_and_check<nb_kind::bernoulli, double>(cfg, x, q, 6);
    // Already binary input with binarize = nullopt.
    std::vector<std::vector<float>> bx(x.size(), std::vector<float>(6));
    std::vector<std::vector<float>> bq(q.size(), std::vector<float>(6));
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = 0; j < 6; ++j) bx[i][j] = x[i][j] > 1 ? 1.0f : 0.0f;
    for (std::size_t i = 0; i < q.size(); ++i)
        for (std::size_t j = 0; j < 6; ++j) bq[i][j] = q[i][j] > 1 ? 1.0f : 0.0f;
    cfg.binarize = std::nullopt;
    fit_and_check<nb_kind::bernoulli, float>(cfg, bx, bq, 6);
    // ... which equals binarizing the counts at 1.
    tessera::bernoulli_nb<int, double> at_one({.binarize = 1.0});
    at_one.fit(x, labels_for(x.size()));
    tessera::bernoulli_nb<int, float> as_is({.binarize = std::nullopt});
    as_is.fit(bx, labels_for(x.size()));
    CHECK(same_tables(at_one.feature_log_prob(), as_is.feature_log_prob()));
    CHECK(at_one.predict(q) == as_is.predict(bq));
}

TEST_CASE("discrete naive Bayes: one class, classes without rows, wide sparse rows, stored zeros, other index types") {
    tessera::random_engine rng(2);
    const auto x = count_rows<double>(20, 7, rng);
    const std::vector<int> one(x.size(), 5);
    // A single class: complement adds the class log prior (0) then, as scikit-learn does.
    tessera::complement_nb<> c;
    c.fit(x, one);
    CHECK(c.n_classes() == 1);
    const auto p = c.predict_proba(x);
    CHECK(p(3, 0) == 1.0);
    ref_config cfg{.kind = nb_kind::complement};
    const ref_discrete ref(cfg, x, std::vector<std::size_t>(x.size(), 0), 1, std::vector<double>(x.size(), 1.0));
    CHECK(close(c.joint_log_likelihood(x)(2, 0), ref.jll(x[2])[0]));

    // A declared class without rows: prior -inf with fit_prior, never predicted; finite
    // log-probabilities for its features.
    tessera::multinomial_nb<> m;
    m.partial_fit(x, labels_for(x.size()), std::vector<int>{-3, 2, 7, 100});
    CHECK(m.class_count()[3] == 0);
    CHECK(m.class_log_prior()[3] == -std::numeric_limits<double>::infinity());
    CHECK(std::isfinite(m.feature_log_prob()(3, 0)));
    for (const int l : m.predict(x)) CHECK(l != 100);
    CHECK(m.predict_proba(x)(0, 3) == 0.0);

    // 2^18 columns, a few stored entries per row (one an explicit zero), 64-bit indices.
    const std::size_t wide = std::size_t{1} << 18;
    std::vector<tessera::triplet<float, std::int64_t>> entries;
    std::vector<int> y;
    for (std::int64_t i = 0; i < 40; ++i) {
        y.push_back(static_cast<int>(i % 2));
        for (int e = 0; e < 6; ++e) {
            const auto col = static_cast<std::int64_t>(rng.below(wide / 2) * 2 + static_cast<std::uint64_t>(i % 2));
            entries.push_back({i, col, static_cast<float>(1 + rng.below(3))});
        }
        entries.push_back({i, 1, 0.0f});
    }
    const auto xs = tessera::csr_matrix<float, std::int64_t>::from_triplets(40, wide, entries);
    tessera::multinomial_nb<int, float> sparse;
    sparse.fit(xs, y);
    CHECK(sparse.n_features() == wide);
    CHECK(sparse.score(xs, y) == 1.0);
    tessera::bernoulli_nb<int, float> sb;
    sb.fit(xs, y);
    CHECK(sb.feature_count()(0, 1) == 0);  // the stored zeros binarize to 0
    CHECK(sb.score(xs, y) == 1.0);
}

TEST_CASE("discrete naive Bayes: weights, partial_fit in batches and merge of parts equal one fit") {
    tessera::random_engine rng(31);
    const std::size_t d = 9;
    const auto x = count_rows<double>(70, d, rng);
    const auto q = count_rows<double>(20, d, rng);
    const auto y = labels_for(x.size());
    std::vector<double> w(x.size());
    std::vector<std::vector<double>> repeated;
    std::vector<int> repeated_y;
    for (std::size_t i = 0; i < x.size(); ++i) {
        w[i] = static_cast<double>(rng.below(4));
        for (int r = 0; r < static_cast<int>(w[i]); ++r) {
            repeated.push_back(x[i]);
            repeated_y.push_back(y[i]);
        }
    }
    const auto check_kind = [&](auto tag, ref_config cfg) {
        using model = typename decltype(tag)::type;
        CAPTURE(static_cast<int>(cfg.kind));
        const ref_discrete ref(cfg, x, indices_for(x.size()), 3, w);
        const auto opts = decltype(tag)::options(cfg);
        // Weighted fit, dense and sparse, against the reference and against repeated rows.
        model weighted(opts);
        weighted.fit(x, y, w);
        check_against(weighted, ref, q, q);
        model sparse(opts);
        sparse.fit(to_csr(x, d), y, w);
        CHECK(same_tables(sparse.feature_log_prob(), weighted.feature_log_prob()));
        model rep(opts);
        rep.fit(repeated, repeated_y);
        CHECK(same_tables(rep.feature_count(), weighted.feature_count()));
        CHECK(same_tables(rep.predict_log_proba(q), weighted.predict_log_proba(q)));

        // Batches of 1, 9, 30 and the rest, dense and sparse mixed.
        model online(opts);
        const std::vector<std::size_t> cuts{0, 1, 10, 40, x.size()};
        for (std::size_t b = 0; b + 1 < cuts.size(); ++b) {
            const auto lo = static_cast<std::ptrdiff_t>(cuts[b]);
            const auto hi = static_cast<std::ptrdiff_t>(cuts[b + 1]);
            const std::vector<std::vector<double>> xb(x.begin() + lo, x.begin() + hi);
            const std::vector<int> yb(y.begin() + lo, y.begin() + hi);
            const std::vector<double> wb(w.begin() + lo, w.begin() + hi);
            if (b == 0) {
                online.partial_fit(xb, yb, std::vector<int>{7, 2, -3}, wb);
            } else if (b % 2 == 1) {
                online.partial_fit(to_csr(xb, d), yb, wb);
            } else {
                online.partial_fit(xb, yb, wb);
            }
        }
        check_against(online, ref, q, q);
        CHECK(online.predict(q) == weighted.predict(q));

        // Two parts fitted apart, then merged.
        std::vector<std::vector<double>> xa, xb;
        std::vector<int> ya, yb;
        std::vector<double> wa, wb;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const bool first = i % 4 == 1;
            (first ? xa : xb).push_back(x[i]);
            (first ? ya : yb).push_back(y[i]);
            (first ? wa : wb).push_back(w[i]);
        }
        model a(opts);
        a.partial_fit(xa, ya, class_labels, wa);
        model b(opts);
        b.fit(xb, yb, wb);
        a.merge(b);
        check_against(a, ref, q, q);
    };
    for (const bool fit_prior : {true, false}) {
        check_kind(model_of<nb_kind::multinomial, double>(), ref_config{.kind = nb_kind::multinomial, .alpha = 0.7, .fit_prior = fit_prior});
        check_kind(model_of<nb_kind::bernoulli, double>(), ref_config{.kind = nb_kind::bernoulli, .fit_prior = fit_prior, .binarize = 1.5});
        check_kind(model_of<nb_kind::complement, double>(), ref_config{.kind = nb_kind::complement, .fit_prior = fit_prior, .norm = fit_prior});
    }
}

TEST_CASE("discrete naive Bayes: results do not depend on the thread count") {
    tessera::random_engine rng(8);
    const auto x = count_rows<float>(150, 40, rng);
    const auto q = count_rows<float>(517, 40, rng);
    std::vector<std::string> y(x.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = "label " + std::to_string(i % 3);
    const auto qs = to_csr(q, 40);
    tessera::complement_nb<std::string, float> base;
    base.fit(x, y);
    const auto p = base.predict_proba(qs);
    const auto dense = base.predict_proba(q);
    const auto labels = base.predict(q);
    for (const int threads : {1, 3, 4}) {
        for (const std::size_t block : {0, 1, 50, 10000}) {
            tessera::complement_nb<std::string, float> other({.parallel = {threads, block}});
            other.fit(x, y);
            CHECK(same_tables(other.predict_proba(qs), p));
            CHECK(close_tables(other.predict_proba(q), p));
            CHECK(same_tables(other.predict_proba(q), dense));
            CHECK(other.predict(qs) == labels);
        }
    }
    CHECK(base.predict(tessera::csr_matrix<float>(0, 40)).empty());
}

TEST_CASE("discrete naive Bayes: bad input is refused with clear errors") {
    using rows = std::vector<std::vector<double>>;
    const rows x{{0, 1}, {1, 0}, {5, 5}, {6, 4}};
    const std::vector<int> y{1, 1, 2, 2};
    const auto xs = to_csr(x, 2);

    tessera::multinomial_nb<> m;
    CHECK_THROWS_WITH_AS((void)m.predict(x), doctest::Contains("multinomial_nb::predict: the model is not fitted"), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)m.predict_proba(xs), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)m.score(x, y), tessera::not_fitted_error);
    CHECK_THROWS_AS(m.save(temp_file("never")), tessera::not_fitted_error);

    // Empty, mismatched, non-finite, negative.
    CHECK_THROWS_WITH_AS(m.fit(rows{}, std::vector<int>{}), doctest::Contains("is empty"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.fit(tessera::csr_matrix<double>(0, 5), std::vector<int>{}), doctest::Contains("is empty"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.fit(tessera::csr_matrix<double>(2, 0), std::vector<int>{1, 2}), doctest::Contains("has no columns"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(m.fit(x, std::vector<int>{1}), tessera::dimension_mismatch);
    CHECK_THROWS_AS(m.fit(xs, std::vector<int>{1, 2, 3, 4, 5}), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS(m.fit(rows{{0, 1}, {-1, 0}}, std::vector<int>{1, 2}),
                         doctest::Contains("multinomial_nb::fit: argument 'X': contains negative counts (-1 at row 1, column 0)"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.fit(to_csr(rows{{0, 1}, {0, -2}}, 2), std::vector<int>{1, 2}), doctest::Contains("negative counts (-2 at row 1, column 1)"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::complement_nb<>().fit(rows{{0, 1}, {-1, 0}}, std::vector<int>{1, 2}),
                         doctest::Contains("complement_nb needs counts"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.fit(rows{{0, 1}, {std::nan(""), 0}}, std::vector<int>{1, 2}), doctest::Contains("contains NaN at row 1, column 0"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.fit(to_csr(rows{{0, 1}, {0, HUGE_VAL}}, 2), std::vector<int>{1, 2}), doctest::Contains("contains Inf at row 1, column 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::bernoulli_nb<>().fit(rows{{0, 1}, {std::nan(""), 0}}, std::vector<int>{1, 2}),
                         doctest::Contains("contains NaN"), tessera::invalid_argument);

    // Weights and options.
    CHECK_THROWS_WITH_AS(m.fit(x, y, std::vector<double>{0, 0, 0, 0}), doctest::Contains("is zero for every row"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.fit(xs, y, std::vector<double>{1, 1}), doctest::Contains("has 2 weights but X has 4 rows"), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS(m.fit(x, y, std::vector<double>{1, 1, -HUGE_VAL, 1}), doctest::Contains("is Inf at position 2"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::multinomial_nb<>({.alpha = -0.1}).fit(x, y), doctest::Contains("'options.alpha': must be finite and >= 0, got -0.1"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::bernoulli_nb<>({.alpha = std::nan("")}).fit(x, y), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::complement_nb<>({.class_prior = {0.5}}).fit(x, y), doctest::Contains("'options.class_prior': has 1 entries but there are 2 classes"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::multinomial_nb<>({.class_prior = {0.5, -0.5}}).fit(x, y), doctest::Contains("entry 1 is -0.5"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::bernoulli_nb<>({.binarize = HUGE_VAL}).fit(x, y), doctest::Contains("'options.binarize': must be finite"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::multinomial_nb<>({.parallel = {-1, 0}}).fit(x, y), tessera::invalid_argument);
    CHECK_FALSE(m.fitted());

    // Bernoulli: binary input as it is; sparse input needs a threshold >= 0.
    tessera::bernoulli_nb<> raw({.binarize = std::nullopt});
    CHECK_THROWS_WITH_AS(raw.fit(x, y), doctest::Contains("contains 5 at row 2, column 0, but options.binarize is nullopt"),
                         tessera::invalid_argument);
    raw.fit(rows{{0, 1}, {1, 0}, {1, 1}, {0, 0}}, y);
    CHECK_THROWS_WITH_AS((void)raw.predict(rows{{0, 1}, {0.5, 0}}), doctest::Contains("contains 0.5 at row 1, column 0"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)raw.predict(to_csr(rows{{0, 1}, {0, 2}}, 2)), doctest::Contains("contains 2 at row 1, column 1"),
                         tessera::invalid_argument);
    tessera::bernoulli_nb<> below({.binarize = -1.0});
    CHECK_THROWS_WITH_AS(below.fit(xs, y), doctest::Contains("'options.binarize': maps 0 to 1"), tessera::invalid_argument);
    below.fit(x, y);
    CHECK_THROWS_AS((void)below.predict(xs), tessera::invalid_argument);
    CHECK_NOTHROW((void)below.predict(x));

    // partial_fit: classes, labels, width.
    CHECK_THROWS_WITH_AS(m.partial_fit(x, y), doctest::Contains("must be given on the first call"), tessera::invalid_argument);
    m.partial_fit(xs, y, std::vector<int>{1, 2});
    const auto before = m.feature_count()(1, 0);
    CHECK_THROWS_WITH_AS(m.partial_fit(x, std::vector<int>{1, 3, 1, 1}), doctest::Contains("multinomial_nb::partial_fit: argument 'y': unknown label 3 at position 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(m.partial_fit(to_csr(rows{{1, 2, 3}}, 3), std::vector<int>{1}), doctest::Contains("has 3 columns but the model was fitted on 2"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS(m.partial_fit(rows{{1, -2}}, std::vector<int>{1}), tessera::invalid_argument);
    CHECK_THROWS_AS(m.partial_fit(x, y, std::vector<int>{1, 2, 3}), tessera::invalid_argument);
    CHECK(m.feature_count()(1, 0) == before);
    CHECK(m.class_count()[0] == 2);

    // Predictions: width (sparse: even without rows), NaN; negative counts are accepted.
    CHECK_THROWS_WITH_AS((void)m.predict(rows{{1, 2, 3}}), doctest::Contains("multinomial_nb::predict: argument 'X': has 3 columns but the model was fitted on 2"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)m.predict(tessera::csr_matrix<double>(0, 3)), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)m.predict_log_proba(rows{{1, 2}, {0, -std::nan("")}}), doctest::Contains("contains NaN at row 1, column 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)m.joint_log_likelihood(to_csr(rows{{1, 2}, {0, HUGE_VAL}}, 2)), doctest::Contains("contains Inf at row 1, column 1"),
                         tessera::invalid_argument);
    CHECK_NOTHROW((void)m.predict(rows{{-1, 2}}));
    CHECK_THROWS_AS((void)m.score(x, std::vector<int>{1}), tessera::dimension_mismatch);

    // Merge.
    tessera::multinomial_nb<> other;
    other.fit(x, std::vector<int>{1, 1, 3, 3});
    CHECK_THROWS_WITH_AS(m.merge(other), doctest::Contains("multinomial_nb::merge: argument 'other': has the classes 1, 3"), tessera::invalid_argument);
    tessera::multinomial_nb<> smoother({.alpha = 2});
    smoother.fit(x, y);
    CHECK_THROWS_WITH_AS(m.merge(smoother), doctest::Contains("other options"), tessera::invalid_argument);
    tessera::complement_nb<> c1;
    tessera::complement_nb<> c2({.norm = true});
    c1.fit(x, y);
    c2.fit(x, y);
    CHECK_THROWS_AS(c1.merge(c2), tessera::invalid_argument);
    tessera::bernoulli_nb<> b1;
    tessera::bernoulli_nb<> b2({.binarize = 1.0});
    b1.fit(x, y);
    b2.fit(x, y);
    CHECK_THROWS_AS(b1.merge(b2), tessera::invalid_argument);
    tessera::multinomial_nb<> wider;
    wider.fit(rows{{1, 2, 3}, {3, 2, 1}}, std::vector<int>{1, 2});
    CHECK_THROWS_AS(m.merge(wider), tessera::dimension_mismatch);
    CHECK_THROWS_AS(m.merge(tessera::multinomial_nb<>()), tessera::not_fitted_error);
}

// ---------------------------------------------------------------------------------------------
// Persistence

TEST_CASE("discrete naive Bayes: save, load, truncated and corrupt archives") {
    tessera::random_engine rng(12);
    const auto x = count_rows<float>(30, 5, rng);
    std::vector<std::string> y(x.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::string(1 + i % 3, 'w');
    const fs::path file = temp_file("model");
    std::vector<std::vector<float>> binary = x;
    for (auto& r : binary)
        for (auto& v : r) v = v > 1 ? 1.0f : 0.0f;
    const auto round_trip = [&](auto model, auto other_kind, const std::vector<std::vector<float>>& x) {
        using model_type = decltype(model);
        model.fit(x, y);
        model.save(file);
        const auto loaded = model_type::load(file);
        CHECK(std::ranges::equal(loaded.classes(), model.classes()));
        CHECK(same_tables(loaded.feature_log_prob(), model.feature_log_prob()));
        CHECK(same_tables(loaded.predict_proba(x), model.predict_proba(x)));
        CHECK(loaded.get_options().alpha == model.get_options().alpha);
        CHECK(loaded.get_options().fit_prior == model.get_options().fit_prior);
        CHECK(loaded.get_options().class_prior == model.get_options().class_prior);
        CHECK(loaded.get_options().parallel.block_size == model.get_options().parallel.block_size);
        auto a = loaded;
        auto b = model;
        a.partial_fit(x, y);
        b.partial_fit(x, y);
        CHECK(same_tables(a.feature_count(), b.feature_count()));
        CHECK_THROWS_WITH_AS((void)decltype(other_kind)::load(file), doctest::Contains("expected a '"), tessera::format_error);
        CHECK_THROWS_AS((void)(tessera::detail::discrete_nb<std::string, double, typename model_type::policy_type, std::allocator<double>>::load(file)),
                        tessera::format_error);
        CHECK_THROWS_WITH_AS((void)(tessera::detail::discrete_nb<std::int64_t, float, typename model_type::policy_type, std::allocator<double>>::load(file)),
                             doctest::Contains("loading as 'i64'"), tessera::format_error);
        const auto bytes = archive_bytes(model);
        CHECK_NOTHROW((void)from_bytes<model_type>(bytes));
        for (std::size_t keep = 0; keep < bytes.size(); ++keep) {
            CAPTURE(keep);
            CHECK_THROWS_AS((void)from_bytes<model_type>(std::vector<std::byte>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep))),
                            tessera::format_error);
        }
        for (std::size_t at = 0; at < bytes.size(); at += 3) {
            CAPTURE(at);
            auto broken = bytes;
            broken[at] ^= std::byte{0x04};
            CHECK_THROWS_AS((void)from_bytes<model_type>(broken), tessera::format_error);
        }
        return loaded;
    };
    round_trip(tessera::multinomial_nb<std::string, float>({.alpha = 0.25, .class_prior = {0.2, 0.3, 0.5}, .parallel = {1, 7}}),
               tessera::complement_nb<std::string, float>(), x);
    const auto b = round_trip(tessera::bernoulli_nb<std::string, float>({.fit_prior = false, .binarize = 2.0}),
                              tessera::multinomial_nb<std::string, float>(), x);
    CHECK(b.get_options().binarize == 2.0);
    const auto b2 = round_trip(tessera::bernoulli_nb<std::string, float>({.binarize = std::nullopt}),
                               tessera::multinomial_nb<std::string, float>(), binary);
    CHECK_FALSE(b2.get_options().binarize.has_value());
    const auto c = round_trip(tessera::complement_nb<std::string, float>({.norm = true}), tessera::bernoulli_nb<std::string, float>(), x);
    CHECK(c.get_options().norm);
    fs::remove(file);
}

namespace {
// bernoulli_nb<int>'s payload, field by field as write_to writes it.
struct payload {
    std::string labels = "i32";
    std::vector<std::int32_t> classes{7, 8};
    double alpha = 1.0;
    bool fit_prior = true;
    std::vector<double> class_prior{};
    bool has_binarize = true;
    double binarize = 0.0;
    std::int32_t threads = 0;
    std::uint64_t block = 0;
    std::uint64_t features = 2;
    std::vector<double> count{3, 2};
    tessera::dense_matrix<double> fc{{2, 3}, {0, 1}};

    [[nodiscard]] std::vector<std::byte> bytes() const {
        tessera::archive_writer w(tessera::bernoulli_nb<int>::header());
        w.write_string(labels);
        w.write<std::uint64_t>(classes.size());
        for (const auto c : classes) w.write(c);
        w.write(alpha);
        w.write(fit_prior);
        w.write_span(std::span<const double>(class_prior));
        w.write(has_binarize);
        w.write(binarize);
        w.write(threads);
        w.write(block);
        w.write(features);
        w.write_span(std::span<const double>(count));
        w.write_matrix(fc.view());
        return w.bytes();
    }
};
}  // namespace

TEST_CASE("bernoulli_nb: archives with a valid checksum but inconsistent content") {
    using model = tessera::bernoulli_nb<int>;
    const auto good = from_bytes<model>(payload{}.bytes());
    CHECK(good.feature_log_prob()(0, 1) == doctest::Approx(std::log(4.0 / 5)));
    const auto refused = [](const payload& p, const char* why) {
        CAPTURE(why);
        CHECK_THROWS_WITH_AS((void)from_bytes<model>(p.bytes()), doctest::Contains(why), tessera::format_error);
    };
    payload p;
    p.fc(0, 1) = 4;
    refused(p, "the count of feature 1 in class 0 exceeds the class count");
    p = {};
    p.fc(1, 0) = -1;
    refused(p, "the count of feature 0 in class 1 is negative or not finite");
    p = {};
    p.fc(1, 0) = std::nan("");
    refused(p, "negative or not finite");
    p = {};
    p.features = 3;
    refused(p, "do not match 2 classes and 3 features");
    p = {};
    p.count = {0, 0};
    refused(p, "sum to 0");
    p = {};
    p.alpha = -1;
    refused(p, "options.alpha");
    p = {};
    p.class_prior = {1.0};
    refused(p, "has 1 entries but there are 2 classes");
    p = {};
    p.binarize = std::nan("");
    refused(p, "options.binarize");
    p = {};
    p.classes = {8, 8};
    refused(p, "not strictly sorted");
}

// ---------------------------------------------------------------------------------------------
// Allocators

using tessera_test::counting_resource;

TEST_CASE("discrete naive Bayes: the model's memory comes from its allocator") {
    using alloc = std::pmr::polymorphic_allocator<double>;
    counting_resource resource;
    tessera::random_engine rng(4);
    const auto x = count_rows<float>(60, 32, rng);
    const auto y = labels_for(x.size());
    tessera::multinomial_nb<int, float, alloc> nb({}, alloc(&resource));
    nb.fit(to_csr(x, 32), y);
    CHECK(resource.bytes >= 3 * 3 * 32 * sizeof(double));
    CHECK(nb.get_allocator().resource() == &resource);
    tessera::multinomial_nb<int, float> plain;
    plain.fit(x, y);
    CHECK(same_tables(nb.predict_proba(x), plain.predict_proba(x)));
    const std::size_t before = resource.bytes;
    tessera::archive_writer w(nb.header());
    nb.write_to(w);
    const auto bytes = w.bytes();
    tessera::archive_reader r(std::span<const std::byte>(bytes), nb.header());
    const auto loaded = decltype(nb)::read_from(r, alloc(&resource));
    CHECK(resource.bytes > before);
    CHECK(loaded.predict(x) == plain.predict(x));
    auto merged = loaded;
    merged.merge(nb);
    CHECK(merged.class_count()[0] == 2 * nb.class_count()[0]);
}
