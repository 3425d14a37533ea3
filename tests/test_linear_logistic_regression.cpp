// logistic_regression on synthetic data, checked against what the test computes on its own: a
// naive double-precision objective and its gradient (written here from the formula), finite
// differences of the library's gradient and Hessian products, optimality of the solution,
// identities between fits (dense = CSR, integer weights = repeated rows, balanced = explicit
// class weights, one-vs-rest = separate binary fits, any thread count), and every bad input.
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/linear/logistic_regression.hpp>

#include <doctest/doctest.h>

#include "memory_test_support.hpp"
#include "model_test_support.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <memory_resource>
#include <span>
#include <string>
#include <vector>

using tessera_test::archive_bytes;
using tessera_test::from_bytes;

namespace {

using model = tessera::logistic_regression<int, double>;
using tessera::logistic_penalty;
using tessera::logistic_solver;

struct problem {
    tessera::dense_matrix<double> x;
    std::vector<int> y;
};

// Rows of correlated, differently scaled features; labels drawn from a softmax (or logistic)
// model with noise, so no class is separable.
problem make_problem(std::size_t n, std::size_t d, int classes, std::uint64_t seed, double sparsity = 0.0) {
    tessera::random_engine rng(seed);
    problem p{tessera::dense_matrix<double>(n, d), std::vector<int>(n)};
    std::vector<double> w(static_cast<std::size_t>(classes) * d);
    for (double& v : w) v = rng.uniform(-1.0, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
        double prev = 0;
        for (std::size_t j = 0; j < d; ++j) {
            double v = rng.uniform(-1.0, 1.0) * (1.0 + static_cast<double>(j % 3)) + 0.3 * prev;
            if (sparsity > 0 && rng.uniform01() < sparsity) v = 0;
            p.x(i, j) = v;
            prev = v;
        }
        std::vector<double> z(static_cast<std::size_t>(classes));
        double top = -1e300;
        for (int c = 0; c < classes; ++c) {
            double s = 0.2 * c;
            for (std::size_t j = 0; j < d; ++j) s += w[static_cast<std::size_t>(c) * d + j] * p.x(i, j);
            z[static_cast<std::size_t>(c)] = s;
            top = std::max(top, s);
        }
        double sum = 0;
        for (double& v : z) sum += (v = std::exp(v - top));
        double u = rng.uniform01() * sum;
        int label = classes - 1;
        for (int c = 0; c < classes; ++c) {
            u -= z[static_cast<std::size_t>(c)];
            if (u < 0) {
                label = c;
                break;
            }
        }
        p.y[i] = label;
    }
    return p;
}

// The objective written from its definition, in the model's parameters (coef rows, intercepts).
double naive_objective(const model& m, const problem& p, const std::vector<double>& sample_weight = {}) {
    const auto& o = m.get_options();
    const auto w = m.coef();
    const auto b = m.intercept();
    const std::size_t k = m.n_classes();
    double loss = 0;
    for (std::size_t i = 0; i < p.x.rows(); ++i) {
        const std::size_t yi = static_cast<std::size_t>(p.y[i]);
        double cw = o.class_weight.empty() ? 1.0 : o.class_weight[yi];
        const double s = (sample_weight.empty() ? 1.0 : sample_weight[i]) * cw;
        std::vector<double> z(w.rows());
        for (std::size_t c = 0; c < w.rows(); ++c) {
            z[c] = b[c];
            for (std::size_t j = 0; j < w.cols(); ++j) z[c] += w(c, j) * p.x(i, j);
        }
        if (m.is_multinomial()) {
            double top = z[0];
            for (double v : z) top = std::max(top, v);
            double sum = 0;
            for (double v : z) sum += std::exp(v - top);
            loss += s * (std::log(sum) + top - z[yi]);
        } else if (m.is_one_vs_rest()) {
            for (std::size_t c = 0; c < k; ++c) {
                const double t = (c == yi ? 1.0 : -1.0) * z[c];
                loss += s * std::log1p(std::exp(-t));
            }
        } else {
            const double t = (yi == 1 ? 1.0 : -1.0) * z[0];
            loss += s * std::log1p(std::exp(-t));
        }
    }
    double sq = 0;
    double ab = 0;
    for (std::size_t c = 0; c < w.rows(); ++c) {
        for (std::size_t j = 0; j < w.cols(); ++j) {
            sq += w(c, j) * w(c, j);
            ab += std::fabs(w(c, j));
        }
    }
    const double rho = o.penalty == logistic_penalty::l1 ? 1.0 : o.penalty == logistic_penalty::elastic_net ? o.l1_ratio : 0.0;
    const double pen = o.penalty == logistic_penalty::none ? 0.0 : 0.5 * (1 - rho) * sq + rho * ab;
    return o.C * loss + pen;
}

// The model's parameters as one vector: coefficient rows, then intercepts.
std::vector<double> parameters(const model& m) {
    std::vector<double> v;
    for (std::size_t c = 0; c < m.coef().rows(); ++c)
        for (std::size_t j = 0; j < m.coef().cols(); ++j) v.push_back(m.coef()(c, j));
    for (const double b : m.intercept()) v.push_back(b);
    return v;
}

// The smooth part C * sum(loss) + l2 / 2 |W|^2 at parameters v (binary or multinomial), and its
// gradient by central differences: the test's own, independent of the library's.
std::vector<double> naive_smooth_gradient(const problem& p, std::size_t rows, bool multinomial, double C, double l2,
                                          const std::vector<double>& v0) {
    const std::size_t d = p.x.cols();
    auto f = [&](const std::vector<double>& v) {
        double loss = 0;
        for (std::size_t i = 0; i < p.x.rows(); ++i) {
            std::vector<double> z(rows);
            for (std::size_t c = 0; c < rows; ++c) {
                z[c] = v[rows * d + c];
                for (std::size_t j = 0; j < d; ++j) z[c] += v[c * d + j] * p.x(i, j);
            }
            const std::size_t yi = static_cast<std::size_t>(p.y[i]);
            if (multinomial) {
                double top = z[0];
                for (const double t : z) top = std::max(top, t);
                double sum = 0;
                for (const double t : z) sum += std::exp(t - top);
                loss += std::log(sum) + top - z[yi];
            } else {
                loss += std::log1p(std::exp(-(yi == 1 ? 1.0 : -1.0) * z[0]));
            }
        }
        double sq = 0;
        for (std::size_t j = 0; j < rows * d; ++j) sq += v[j] * v[j];
        return C * loss + 0.5 * l2 * sq;
    };
    std::vector<double> g(v0.size());
    for (std::size_t j = 0; j < v0.size(); ++j) {
        auto up = v0;
        auto down = v0;
        const double h = 1e-5;
        up[j] += h;
        down[j] -= h;
        g[j] = (f(up) - f(down)) / (2 * h);
    }
    return g;
}

bool same_model(const model& a, const model& b) {
    if (a.coef().rows() != b.coef().rows() || a.coef().cols() != b.coef().cols()) return false;
    for (std::size_t c = 0; c < a.coef().rows(); ++c) {
        for (std::size_t j = 0; j < a.coef().cols(); ++j)
            if (a.coef()(c, j) != b.coef()(c, j)) return false;
        if (a.intercept()[c] != b.intercept()[c]) return false;
    }
    return true;
}

double max_coef_difference(const model& a, const model& b) {
    double e = 0;
    for (std::size_t c = 0; c < a.coef().rows(); ++c) {
        for (std::size_t j = 0; j < a.coef().cols(); ++j) e = std::max(e, std::fabs(a.coef()(c, j) - b.coef()(c, j)));
        e = std::max(e, std::fabs(a.intercept()[c] - b.intercept()[c]));
    }
    return e;
}

}  // namespace

TEST_CASE("the objective's gradient and Hessian products match finite differences") {
    for (const int classes : {2, 4}) {
        for (const bool sparse : {false, true}) {
            CAPTURE(classes);
            CAPTURE(sparse);
            const auto p = make_problem(150, 7, classes, 11, sparse ? 0.5 : 0.0);
            const auto csr = tessera::csr_matrix<double, std::int32_t>::from_dense(p.x.view());
            std::vector<double> target(p.y.size());
            std::vector<double> weight(p.y.size());
            for (std::size_t i = 0; i < p.y.size(); ++i) {
                target[i] = classes == 2 ? (p.y[i] == 1 ? 1.0 : -1.0) : static_cast<double>(p.y[i]);
                weight[i] = 0.5 + static_cast<double>(i % 3);  // includes C and class weights
            }
            const std::size_t k = classes == 2 ? 1 : static_cast<std::size_t>(classes);
            auto check = [&](auto& f) {
                const std::size_t n = f.dimension();
                CHECK(n == k * 7 + k);
                std::vector<double> w(n), g(n), gp(n), gm(n), v(n), hv(n);
                for (std::size_t j = 0; j < n; ++j) {
                    w[j] = 0.1 * std::sin(static_cast<double>(j) + 1.0);
                    v[j] = std::cos(1.3 * static_cast<double>(j));
                }
                f.value_and_gradient(w, g);
                const double h = 1e-6;
                for (std::size_t j = 0; j < n; ++j) {
                    auto up = w;
                    auto down = w;
                    up[j] += h;
                    down[j] -= h;
                    const double fd = (f.value_and_gradient(up, gp) - f.value_and_gradient(down, gm)) / (2 * h);
                    CHECK(g[j] == doctest::Approx(fd).epsilon(1e-6));
                }
                f.value_and_gradient(w, g);
                f.prepare_hessian(w);
                f.hessian_vector(v, hv);
                std::vector<double> diag(n);
                f.hessian_diagonal(diag);
                // H v against (grad(w + h v) - grad(w - h v)) / 2h.
                auto up = w;
                auto down = w;
                for (std::size_t j = 0; j < n; ++j) {
                    up[j] += h * v[j];
                    down[j] -= h * v[j];
                }
                f.value_and_gradient(up, gp);
                f.value_and_gradient(down, gm);
                for (std::size_t j = 0; j < n; ++j) CHECK(hv[j] == doctest::Approx((gp[j] - gm[j]) / (2 * h)).epsilon(1e-5));
                // The diagonal: e_j' H e_j.
                f.value_and_gradient(w, g);
                f.prepare_hessian(w);
                for (std::size_t j = 0; j < n; ++j) {
                    std::vector<double> e(n, 0.0);
                    e[j] = 1;
                    f.hessian_vector(e, hv);
                    CHECK(diag[j] == doctest::Approx(hv[j]).epsilon(1e-12));
                }
            };
            if (sparse) {
                const auto view = csr.view();
                tessera::detail::logistic_objective<decltype(view)> f(view, target, weight, k, true, 0.7, {});
                check(f);
            } else {
                const auto view = p.x.view();
                tessera::detail::logistic_objective<decltype(view)> f(view, target, weight, k, true, 0.7, {});
                check(f);
            }
        }
    }
}

TEST_CASE("fit reaches the optimum of the objective written from its definition") {
    for (const int classes : {2, 3}) {
        for (const auto solver : {logistic_solver::trust_region_newton, logistic_solver::lbfgs, logistic_solver::owlqn}) {
            CAPTURE(classes);
            CAPTURE(static_cast<int>(solver));
            const auto p = make_problem(300, 6, classes, 5);
            model m({.C = 0.7, .solver = solver, .tol = 1e-8, .max_iter = 2000});
            m.fit(p.x, p.y);
            CHECK(m.converged());
            CHECK(m.is_multinomial() == (classes > 2));
            CHECK(m.objective() == doctest::Approx(naive_objective(m, p)).epsilon(1e-12));
            // Optimality, judged by the test's own central differences.
            const auto g = naive_smooth_gradient(p, m.coef().rows(), m.is_multinomial(), 0.7, 1.0, parameters(m));
            for (const double v : g) CHECK(std::fabs(v) <= 1e-5);
        }
    }
}

TEST_CASE("L1 and elastic-net: the reported objective is the definition's, zeros are exact, and it is optimal") {
    const auto p = make_problem(400, 12, 2, 21);
    for (const auto penalty : {logistic_penalty::l1, logistic_penalty::elastic_net}) {
        CAPTURE(static_cast<int>(penalty));
        // (Much tighter tolerances run into the rounding of the objective, which the line search
        // reads, and end with stop_reason::no_progress.)
        model m({.penalty = penalty, .C = 0.05, .l1_ratio = 0.6, .tol = 1e-7, .max_iter = 5000});
        m.fit(p.x, p.y);
        CHECK(m.converged());
        CHECK(m.objective() == doctest::Approx(naive_objective(m, p)).epsilon(1e-12));
        std::size_t zeros = 0;
        for (std::size_t j = 0; j < 12; ++j) zeros += m.coef()(0, j) == 0.0 ? 1 : 0;
        CHECK(zeros > 0);   // C = 0.05 is strong enough to remove some features
        CHECK(zeros < 12);
        // Optimality (KKT) with the test's own gradient of the smooth part: a nonzero
        // coefficient balances its L1 force, a zero one feels less than it.
        const double rho = penalty == logistic_penalty::l1 ? 1.0 : 0.6;
        const auto v = parameters(m);
        const auto g = naive_smooth_gradient(p, 1, false, 0.05, 1 - rho, v);
        for (std::size_t j = 0; j < 12; ++j) {
            CAPTURE(j);
            if (v[j] != 0) {
                CHECK(std::fabs(g[j] + rho * (v[j] > 0 ? 1.0 : -1.0)) <= 1e-5);
            } else {
                CHECK(std::fabs(g[j]) <= rho + 1e-7);
            }
        }
        CHECK(std::fabs(g[12]) <= 1e-5);  // the intercept is not penalized
    }
}

TEST_CASE("dense and CSR input give the same model; float rows give nearly the same") {
    const auto p = make_problem(500, 9, 3, 8, 0.6);
    const auto csr = tessera::csr_matrix<double, std::int32_t>::from_dense(p.x.view());
    for (const auto penalty : {logistic_penalty::l2, logistic_penalty::l1}) {
        model dense({.penalty = penalty, .tol = 1e-8, .max_iter = 2000});
        model sparse(dense.get_options());
        dense.fit(p.x, p.y);
        sparse.fit(csr, p.y);
        CHECK(max_coef_difference(dense, sparse) <= 1e-6);
        // The same sums in another order (SIMD dense dots, sequential sparse ones), so the
        // minimizers' paths part at rounding level.
        const auto pd = dense.predict_proba(p.x);
        const auto ps = sparse.predict_proba(csr);
        for (std::size_t i = 0; i < pd.rows(); ++i)
            for (std::size_t c = 0; c < pd.cols(); ++c) CHECK(pd(i, c) == doctest::Approx(ps(i, c)).epsilon(1e-6));
    }
    tessera::dense_matrix<float> xf(p.x.rows(), p.x.cols());
    for (std::size_t i = 0; i < xf.rows(); ++i)
        for (std::size_t j = 0; j < xf.cols(); ++j) xf(i, j) = static_cast<float>(p.x(i, j));
    problem pf{tessera::dense_matrix<double>(p.x.rows(), p.x.cols()), p.y};
    for (std::size_t i = 0; i < xf.rows(); ++i)
        for (std::size_t j = 0; j < xf.cols(); ++j) pf.x(i, j) = static_cast<double>(xf(i, j));
    tessera::logistic_regression<int, float> mf({.tol = 1e-8});
    model md({.tol = 1e-8});
    mf.fit(xf, p.y);
    md.fit(pf.x, p.y);  // the same values in double: the same problem exactly
    CHECK(mf.objective() == doctest::Approx(md.objective()).epsilon(1e-10));
    for (std::size_t j = 0; j < 9; ++j) CHECK(mf.coef()(0, j) == doctest::Approx(md.coef()(0, j)).epsilon(1e-6));
}

TEST_CASE("an integer sample weight is the same as repeating the row") {
    const auto p = make_problem(120, 5, 3, 13);
    std::vector<double> weight(p.y.size());
    problem repeated{tessera::dense_matrix<double>(0, 5), {}};
    std::vector<std::vector<double>> rows;
    for (std::size_t i = 0; i < p.y.size(); ++i) {
        weight[i] = static_cast<double>(i % 4);  // zero weights drop rows
        for (std::size_t r = 0; r < i % 4; ++r) {
            rows.emplace_back(p.x.row(i).begin(), p.x.row(i).end());
            repeated.y.push_back(p.y[i]);
        }
    }
    repeated.x = tessera::dense_matrix<double>(rows.size(), 5);
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t j = 0; j < 5; ++j) repeated.x(i, j) = rows[i][j];
    model a({.tol = 1e-9, .max_iter = 1000});
    model b(a.get_options());
    a.fit(p.x, p.y, weight);
    b.fit(repeated.x, repeated.y);
    CHECK(a.objective() == doctest::Approx(b.objective()).epsilon(1e-10));
    CHECK(max_coef_difference(a, b) <= 1e-6);
    CHECK(a.objective() == doctest::Approx(naive_objective(a, p, weight)).epsilon(1e-12));
}

TEST_CASE("balanced class weights are n / (classes * count) per class") {
    auto p = make_problem(200, 4, 3, 17);
    for (std::size_t i = 0; i < 60; ++i) p.y[i] = 0;  // unbalance the classes
    std::vector<double> count(3, 0.0);
    for (const int l : p.y) count[static_cast<std::size_t>(l)] += 1;
    std::vector<double> explicit_weight(3);
    for (std::size_t c = 0; c < 3; ++c) explicit_weight[c] = 200.0 / (3.0 * count[c]);
    model balanced({.balanced_class_weight = true, .tol = 1e-9});
    model given({.class_weight = explicit_weight, .tol = 1e-9});
    balanced.fit(p.x, p.y);
    given.fit(p.x, p.y);
    CHECK(max_coef_difference(balanced, given) <= 1e-12);
    CHECK(given.objective() == doctest::Approx(naive_objective(given, p)).epsilon(1e-12));
}

TEST_CASE("one-vs-rest fits one binary model per class; probabilities are their normalized sigmoids") {
    const auto p = make_problem(250, 5, 3, 23);
    model ovr({.multi_class = tessera::logistic_multi_class::ovr, .tol = 1e-9});
    ovr.fit(p.x, p.y);
    CHECK(ovr.is_one_vs_rest());
    CHECK(ovr.solver_results().size() == 3);
    REQUIRE(ovr.coef().rows() == 3);
    const auto proba = ovr.predict_proba(p.x);
    const auto z = ovr.decision_function(p.x);
    for (int c = 0; c < 3; ++c) {
        std::vector<int> yc(p.y.size());
        for (std::size_t i = 0; i < p.y.size(); ++i) yc[i] = p.y[i] == c ? 1 : 0;
        model single({.tol = 1e-9});
        single.fit(p.x, yc);
        for (std::size_t j = 0; j < 5; ++j) {
            CHECK(ovr.coef()(static_cast<std::size_t>(c), j) == doctest::Approx(single.coef()(0, j)).epsilon(1e-12));
        }
        CHECK(ovr.solver_results()[static_cast<std::size_t>(c)].objective ==
              doctest::Approx(single.objective()).epsilon(1e-12));
    }
    CHECK(ovr.objective() == doctest::Approx(naive_objective(ovr, p)).epsilon(1e-12));
    for (std::size_t i = 0; i < 20; ++i) {
        double sum = 0;
        for (std::size_t c = 0; c < 3; ++c) sum += 1 / (1 + std::exp(-z(i, c)));
        for (std::size_t c = 0; c < 3; ++c) CHECK(proba(i, c) == doctest::Approx(1 / (1 + std::exp(-z(i, c))) / sum));
    }
}

TEST_CASE("predictions agree with each other: proba, log_proba, decision_function, predict, score") {
    for (const int classes : {2, 4}) {
        CAPTURE(classes);
        const auto p = make_problem(300, 6, classes, 29);
        model m;
        m.fit(p.x, p.y);
        const auto z = m.decision_function(p.x);
        const auto pr = m.predict_proba(p.x);
        const auto lp = m.predict_log_proba(p.x);
        const auto yhat = m.predict(p.x);
        CHECK(z.cols() == (classes == 2 ? 1u : 4u));
        CHECK(pr.cols() == static_cast<std::size_t>(classes));
        std::size_t correct = 0;
        for (std::size_t i = 0; i < p.x.rows(); ++i) {
            double sum = 0;
            std::size_t best = 0;
            for (std::size_t c = 0; c < pr.cols(); ++c) {
                sum += pr(i, c);
                CHECK(lp(i, c) == doctest::Approx(std::log(pr(i, c))).epsilon(1e-12));
                if (pr(i, c) > pr(i, best)) best = c;
            }
            CHECK(sum == doctest::Approx(1.0).epsilon(1e-14));
            CHECK(yhat[i] == static_cast<int>(best));
            if (classes == 2) CHECK(pr(i, 1) == doctest::Approx(1 / (1 + std::exp(-z(i, 0)))).epsilon(1e-14));
            correct += yhat[i] == p.y[i] ? 1 : 0;
        }
        CHECK(m.score(p.x, p.y) == doctest::Approx(static_cast<double>(correct) / static_cast<double>(p.x.rows())));
    }
    // Extreme scores neither overflow nor lose the log of tiny probabilities.
    tessera::dense_matrix<double> x(4, 1);
    const std::vector<int> y{0, 0, 1, 1};
    x(0, 0) = -1;
    x(1, 0) = -2;
    x(2, 0) = 1;
    x(3, 0) = 0.5;
    model m({.penalty = logistic_penalty::l2, .C = 1e3});
    m.fit(x, y);
    tessera::dense_matrix<double> far(1, 1);
    far(0, 0) = 1e4;
    const auto lp = m.predict_log_proba(far);
    CHECK(std::isfinite(lp(0, 0)));
    CHECK(lp(0, 0) < -1000);
    CHECK(lp(0, 1) == 0.0);
}

TEST_CASE("results do not depend on the thread count") {
    const auto p = make_problem(5000, 8, 3, 31);
    model one({.tol = 1e-8, .parallel = {.n_threads = 1}});
    model many({.tol = 1e-8, .parallel = {.n_threads = 3}});
    one.fit(p.x, p.y);
    many.fit(p.x, p.y);
    CHECK(same_model(one, many));
    CHECK(one.objective() == many.objective());
    CHECK(tessera_test::same_tables(one.predict_proba(p.x), many.predict_proba(p.x)));
}

TEST_CASE("warm start resumes from the last solution; non-convergence is reported") {
    const auto p = make_problem(400, 6, 2, 37);
    model m({.tol = 1e-8, .max_iter = 1});
    m.fit(p.x, p.y);
    CHECK(!m.converged());
    CHECK(m.n_iter() == 1);
    CHECK(m.solver_results()[0].reason == tessera::optimize::stop_reason::max_iterations);
    auto o = m.get_options();
    o.max_iter = 100;
    o.warm_start = true;
    m.set_options(o);
    m.fit(p.x, p.y);
    CHECK(m.converged());
    model cold({.tol = 1e-8});
    cold.fit(p.x, p.y);
    CHECK(max_coef_difference(m, cold) <= 1e-6);
    m.fit(p.x, p.y);  // from the optimum: nothing left to do
    CHECK(m.n_iter() == 0);
    CHECK(m.converged());
}

namespace {
// A user's solver: plain L-BFGS behind a counter.
struct counting_solver {
    int calls = 0;
    template <class F>
    tessera::optimize::minimize_result minimize(F& f, std::span<double> w, const tessera::optimize::stop_criteria& s) {
        ++calls;
        return tessera::optimize::lbfgs{}.minimize(f, w, s);
    }
};
}  // namespace

TEST_CASE("fit_with takes a user's solver; one without an L1 term is refused for L1") {
    static_assert(tessera::optimize::minimizer_for<counting_solver, tessera::optimize::objective_archetype>);
    const auto p = make_problem(200, 4, 3, 41);
    counting_solver s;
    model m({.tol = 1e-8});
    m.fit_with(s, p.x, p.y);
    CHECK(s.calls == 1);
    model ref({.solver = logistic_solver::lbfgs, .tol = 1e-8});
    ref.fit(p.x, p.y);
    CHECK(same_model(m, ref));
    model l1({.penalty = logistic_penalty::l1});
    CHECK_THROWS_AS(l1.fit_with(s, p.x, p.y), tessera::invalid_argument);
    CHECK(!l1.fitted());
    tessera::optimize::owlqn owl;
    l1.fit_with(owl, p.x, p.y, std::vector<double>(200, 1.0));
    CHECK(l1.fitted());
}

TEST_CASE("bad input gets a clear error and leaves the model as it was") {
    const auto p = make_problem(50, 3, 2, 43);
    model m;
    CHECK_THROWS_AS((void)m.predict(p.x), tessera::not_fitted_error);
    CHECK_THROWS_AS(m.fit(p.x, std::vector<int>(50, 1)), tessera::invalid_argument);  // one class
    CHECK_THROWS_AS(m.fit(p.x, std::vector<int>(49, 1)), tessera::dimension_mismatch);
    CHECK_THROWS_AS(m.fit(tessera::dense_matrix<double>(0, 3), std::vector<int>{}), tessera::invalid_argument);
    auto bad = p.x;
    bad(7, 2) = std::numeric_limits<double>::quiet_NaN();
    try {
        m.fit(bad, p.y);
        FAIL("NaN accepted");
    } catch (const tessera::invalid_argument& e) {
        CHECK(std::string(e.what()).find("row 7, column 2") != std::string::npos);
    }
    bad(7, 2) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(m.fit(bad, p.y), tessera::invalid_argument);
    const auto bad_csr = tessera::csr_matrix<double, std::int32_t>::from_dense(bad.view());
    CHECK_THROWS_AS(m.fit(bad_csr, p.y), tessera::invalid_argument);
    std::vector<double> w(50, 1.0);
    w[3] = -1;
    CHECK_THROWS_AS(m.fit(p.x, p.y, w), tessera::invalid_argument);
    w[3] = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(m.fit(p.x, p.y, w), tessera::invalid_argument);
    CHECK_THROWS_AS(m.fit(p.x, p.y, std::vector<double>(50, 0.0)), tessera::invalid_argument);
    CHECK_THROWS_AS(m.fit(p.x, p.y, std::vector<double>(3, 1.0)), tessera::dimension_mismatch);
    for (const double c : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        model bad_c({.C = c});
        CHECK_THROWS_AS(bad_c.fit(p.x, p.y), tessera::invalid_argument);
    }
    for (const double r : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
        model bad_r({.penalty = logistic_penalty::elastic_net, .l1_ratio = r});
        CHECK_THROWS_AS(bad_r.fit(p.x, p.y), tessera::invalid_argument);
    }
    model lbfgs_l1({.penalty = logistic_penalty::l1, .solver = logistic_solver::lbfgs});
    CHECK_THROWS_AS(lbfgs_l1.fit(p.x, p.y), tessera::invalid_argument);
    model newton_l1({.penalty = logistic_penalty::elastic_net, .solver = logistic_solver::trust_region_newton});
    CHECK_THROWS_AS(newton_l1.fit(p.x, p.y), tessera::invalid_argument);
    model wrong_cw({.class_weight = {1.0, 2.0, 3.0}});
    CHECK_THROWS_AS(wrong_cw.fit(p.x, p.y), tessera::invalid_argument);
    model negative_cw({.class_weight = {1.0, -2.0}});
    CHECK_THROWS_AS(negative_cw.fit(p.x, p.y), tessera::invalid_argument);
    model both({.balanced_class_weight = true, .class_weight = {1.0, 2.0}});
    CHECK_THROWS_AS(both.fit(p.x, p.y), tessera::invalid_argument);
    model zero_tol({.tol = 0});
    CHECK_THROWS_AS(zero_tol.fit(p.x, p.y), tessera::invalid_argument);
    model zero_iter({.max_iter = 0});
    CHECK_THROWS_AS(zero_iter.fit(p.x, p.y), tessera::invalid_argument);

    m.fit(p.x, p.y);
    const auto before = m.predict_proba(p.x);
    CHECK_THROWS_AS(m.fit(bad, p.y), tessera::invalid_argument);
    CHECK(tessera_test::same_tables(before, m.predict_proba(p.x)));  // a failed fit changes nothing
    CHECK_THROWS_AS((void)m.predict(tessera::dense_matrix<double>(2, 4)), tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)m.predict_proba(bad), tessera::invalid_argument);
    CHECK_THROWS_AS((void)m.score(p.x, std::vector<int>(3, 0)), tessera::dimension_mismatch);
    CHECK(m.predict(tessera::dense_matrix<double>(0, 3)).empty());
}

TEST_CASE("save and load: the same predictions; corrupt archives are refused") {
    const auto p = make_problem(300, 5, 3, 47);
    for (const auto mc : {tessera::logistic_multi_class::automatic, tessera::logistic_multi_class::ovr}) {
        model m({.penalty = logistic_penalty::elastic_net, .C = 0.5, .l1_ratio = 0.3, .multi_class = mc});
        m.fit(p.x, p.y);
        const auto bytes = archive_bytes(m);
        const auto back = from_bytes<model>(bytes);
        CHECK(same_model(m, back));
        CHECK(back.is_one_vs_rest() == m.is_one_vs_rest());
        CHECK(back.n_iter() == m.n_iter());
        CHECK(back.objective() == m.objective());
        CHECK(back.get_options().l1_ratio == 0.3);
        CHECK(tessera_test::same_tables(m.predict_proba(p.x), back.predict_proba(p.x)));
        for (std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
            const std::vector<std::byte> truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
            CHECK_THROWS_AS((void)from_bytes<model>(truncated), tessera::format_error);
        }
        auto flipped = bytes;
        flipped[bytes.size() / 2] ^= std::byte{0x40};
        CHECK_THROWS_AS((void)from_bytes<model>(flipped), tessera::format_error);
    }
    // Another label type is refused.
    tessera::logistic_regression<std::string> named;
    std::vector<std::string> names;
    for (const int l : p.y) names.push_back(l == 0 ? "zero" : l == 1 ? "one" : "two");
    named.fit(p.x, names);
    CHECK_THROWS_AS((void)from_bytes<model>(archive_bytes(named)), tessera::format_error);
    const auto named_back = from_bytes<tessera::logistic_regression<std::string>>(archive_bytes(named));
    CHECK(named_back.predict(p.x) == named.predict(p.x));
    model unfitted;
    tessera::archive_writer w(model::header());
    CHECK_THROWS_AS(unfitted.write_to(w), tessera::not_fitted_error);
}

TEST_CASE("a polymorphic allocator holds the fitted state") {
    tessera_test::counting_resource counter;
    using pmr_model = tessera::logistic_regression<int, double, std::pmr::polymorphic_allocator<double>>;
    const auto p = make_problem(100, 4, 3, 53);
    pmr_model m(tessera::logistic_regression_options{}, std::pmr::polymorphic_allocator<double>(&counter));
    m.fit(p.x, p.y);
    CHECK(counter.bytes > 0);
    model plain;
    plain.fit(p.x, p.y);
    CHECK(tessera_test::same_tables(m.predict_proba(p.x), plain.predict_proba(p.x)));
}
