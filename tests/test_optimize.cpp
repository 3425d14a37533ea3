// The minimizers of tessera/optimize on problems whose answers are known in closed form:
// Rosenbrock's function (minimum at (1, 1)), strictly convex quadratics (the solution of a
// linear system, computed here by Gaussian elimination), and a separable quadratic plus an L1
// term (soft thresholding). Also stopping, reporting and bad input.
#include <tessera/optimize/lbfgs.hpp>
#include <tessera/optimize/objective.hpp>
#include <tessera/optimize/owlqn.hpp>
#include <tessera/optimize/trust_region_newton.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

namespace opt = tessera::optimize;

namespace {

// f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, with its Hessian.
struct rosenbrock {
    std::size_t evaluations = 0;
    std::vector<double> at{0, 0};
    [[nodiscard]] std::size_t dimension() const { return 2; }
    double value_and_gradient(std::span<const double> w, std::span<double> g) {
        ++evaluations;
        const double x = w[0];
        const double y = w[1];
        g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
        g[1] = 200 * (y - x * x);
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    }
    void prepare_hessian(std::span<const double> w) { at.assign(w.begin(), w.end()); }
    void hessian_vector(std::span<const double> v, std::span<double> out) const {
        const double x = at[0];
        const double y = at[1];
        const double h00 = 2 - 400 * (y - x * x) + 800 * x * x;
        const double h01 = -400 * x;
        out[0] = h00 * v[0] + h01 * v[1];
        out[1] = h01 * v[0] + 200 * v[1];
    }
};

// f(w) = 1/2 w'Aw - b'w with A symmetric positive definite (row-major n x n).
struct quadratic {
    std::size_t n;
    std::vector<double> a, b;
    [[nodiscard]] std::size_t dimension() const { return n; }
    double value_and_gradient(std::span<const double> w, std::span<double> g) const {
        double f = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double aw = 0;
            for (std::size_t j = 0; j < n; ++j) aw += a[i * n + j] * w[j];
            g[i] = aw - b[i];
            f += 0.5 * w[i] * aw - b[i] * w[i];
        }
        return f;
    }
    void prepare_hessian(std::span<const double>) const {}
    void hessian_vector(std::span<const double> v, std::span<double> out) const {
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = 0;
            for (std::size_t j = 0; j < n; ++j) out[i] += a[i * n + j] * v[j];
        }
    }
};

// The same with the diagonal, so that trust_region_newton preconditions.
struct diagonal_quadratic : quadratic {
    void hessian_diagonal(std::span<double> out) const {
        for (std::size_t i = 0; i < n; ++i) out[i] = a[i * n + i];
    }
};

// A = B'B + diag(scale), badly scaled when scale spans decades; b fixed.
quadratic make_quadratic(std::size_t n) {
    quadratic q{n, std::vector<double>(n * n), std::vector<double>(n)};
    std::vector<double> bm(n * n);
    for (std::size_t i = 0; i < n * n; ++i) bm[i] = std::sin(0.7 * static_cast<double>(i) + 1.0);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::size_t k = 0; k < n; ++k) s += bm[k * n + i] * bm[k * n + j];
            q.a[i * n + j] = s + (i == j ? std::pow(10.0, static_cast<double>(i % 4)) : 0.0);
        }
        q.b[i] = std::cos(static_cast<double>(i));
    }
    return q;
}

// Solves A x = b by Gaussian elimination with partial pivoting (the independent reference).
std::vector<double> solve(std::vector<double> a, std::vector<double> b) {
    const std::size_t n = b.size();
    for (std::size_t c = 0; c < n; ++c) {
        std::size_t p = c;
        for (std::size_t r = c + 1; r < n; ++r) {
            if (std::fabs(a[r * n + c]) > std::fabs(a[p * n + c])) p = r;
        }
        for (std::size_t j = 0; j < n; ++j) std::swap(a[c * n + j], a[p * n + j]);
        std::swap(b[c], b[p]);
        for (std::size_t r = c + 1; r < n; ++r) {
            const double f = a[r * n + c] / a[c * n + c];
            for (std::size_t j = c; j < n; ++j) a[r * n + j] -= f * a[c * n + j];
            b[r] -= f * b[c];
        }
    }
    std::vector<double> x(n);
    for (std::size_t r = n; r-- > 0;) {
        double s = b[r];
        for (std::size_t j = r + 1; j < n; ++j) s -= a[r * n + j] * x[j];
        x[r] = s / a[r * n + r];
    }
    return x;
}

double max_error(const std::vector<double>& a, const std::vector<double>& b) {
    double e = 0;
    for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(a[i] - b[i]));
    return e;
}

}  // namespace

static_assert(opt::hessian_objective<rosenbrock>);
static_assert(!opt::preconditioned_objective<rosenbrock>);
static_assert(opt::preconditioned_objective<diagonal_quadratic>);
static_assert(opt::minimizer_for<opt::lbfgs, rosenbrock>);
static_assert(opt::minimizer_for<opt::trust_region_newton, rosenbrock>);
static_assert(!opt::minimizer_for<opt::owlqn, rosenbrock>);
static_assert(opt::l1_minimizer_for<opt::owlqn, rosenbrock>);
static_assert(opt::minimizer_for<opt::lbfgs, opt::objective_archetype>);

TEST_CASE("lbfgs and trust_region_newton find Rosenbrock's minimum from (-1.2, 1)") {
    const opt::stop_criteria stop{1e-10, 1000, 1.0};
    SUBCASE("lbfgs") {
        rosenbrock f;
        std::vector<double> w{-1.2, 1.0};
        const auto r = opt::lbfgs{}.minimize(f, w, stop);
        CHECK(r.converged());
        CHECK(w[0] == doctest::Approx(1.0).epsilon(1e-8));
        CHECK(w[1] == doctest::Approx(1.0).epsilon(1e-8));
        CHECK(r.gradient_norm <= 1e-10);
        CHECK(r.evaluations == f.evaluations);
        CHECK(r.iterations < 100);
    }
    SUBCASE("trust_region_newton") {
        rosenbrock f;
        std::vector<double> w{-1.2, 1.0};
        const auto r = opt::trust_region_newton{}.minimize(f, w, stop);
        CHECK(r.converged());
        CHECK(w[0] == doctest::Approx(1.0).epsilon(1e-8));
        CHECK(w[1] == doctest::Approx(1.0).epsilon(1e-8));
        CHECK(r.objective <= 1e-16);
        CHECK(r.iterations < 100);
    }
}

TEST_CASE("every minimizer solves a badly scaled quadratic: the linear system's solution") {
    for (const std::size_t n : {std::size_t{1}, std::size_t{5}, std::size_t{17}}) {
        CAPTURE(n);
        const auto q = make_quadratic(n);
        const auto expected = solve(q.a, q.b);
        // Relative to the gradient at 0 (that is b), as the models set it.
        double bnorm = 0;
        for (const double v : q.b) bnorm += v * v;
        // Tighter tolerances run into the rounding of f, which the line searches and the trust
        // region's ratio test read.
        const opt::stop_criteria stop{1e-6, 5000, std::sqrt(bnorm)};
        std::vector<double> w(n, 0.0);
        CHECK(opt::lbfgs{}.minimize(q, w, stop).converged());
        CHECK(max_error(w, expected) <= 1e-5);
        std::fill(w.begin(), w.end(), 0.0);
        CHECK(opt::trust_region_newton{}.minimize(q, w, stop).converged());
        CHECK(max_error(w, expected) <= 1e-5);
        diagonal_quadratic dq{q};
        std::fill(w.begin(), w.end(), 0.0);
        CHECK(opt::trust_region_newton{}.minimize(dq, w, stop).converged());
        CHECK(max_error(w, expected) <= 1e-5);
        const std::vector<double> no_l1(n, 0.0);
        std::fill(w.begin(), w.end(), 0.0);
        CHECK(opt::owlqn{}.minimize(q, no_l1, w, stop).converged());
        CHECK(max_error(w, expected) <= 1e-5);
    }
}

TEST_CASE("owlqn: a separable quadratic plus L1 is soft thresholding, zeros exact") {
    // f(w) = sum_j a_j / 2 (w_j - c_j)^2 + lambda_j |w_j|: w_j = sign(c_j) max(|c_j| - lambda_j / a_j, 0).
    const std::vector<double> a{1.0, 2.0, 0.5, 4.0, 1.0, 3.0};
    const std::vector<double> c{3.0, -0.2, 1.0, -2.0, 0.0, 0.4};
    const std::vector<double> lambda{1.0, 1.0, 1.0, 0.0, 2.0, 1.5};
    quadratic q{6, std::vector<double>(36, 0.0), std::vector<double>(6)};
    for (std::size_t j = 0; j < 6; ++j) {
        q.a[j * 6 + j] = a[j];
        q.b[j] = a[j] * c[j];
    }
    std::vector<double> w(6, 0.5);
    const auto r = opt::owlqn{}.minimize(q, lambda, w, {1e-7, 1000, 1.0});
    CHECK(r.converged());
    for (std::size_t j = 0; j < 6; ++j) {
        CAPTURE(j);
        const double expected = std::copysign(std::max(std::fabs(c[j]) - lambda[j] / a[j], 0.0), c[j]);
        if (expected == 0) {
            CHECK(w[j] == 0.0);
        } else {
            CHECK(std::fabs(w[j] - expected) <= 1e-6);
        }
    }
    // The reported objective includes the L1 term.
    double f = 0;
    for (std::size_t j = 0; j < 6; ++j) f += 0.5 * a[j] * (w[j] * w[j] - 2 * c[j] * w[j]) + lambda[j] * std::fabs(w[j]);
    CHECK(r.objective == doctest::Approx(f).epsilon(1e-12));
}

TEST_CASE("minimizers report running out of iterations instead of hiding it") {
    rosenbrock f;
    std::vector<double> w{-1.2, 1.0};
    const auto r = opt::lbfgs{}.minimize(f, w, {1e-12, 3, 1.0});
    CHECK(r.reason == opt::stop_reason::max_iterations);
    CHECK(!r.converged());
    CHECK(r.iterations == 3);
    CHECK(r.gradient_norm > 1e-12);
    CHECK(std::string(opt::to_string(r.reason)) == "max_iterations");
    rosenbrock f2;
    std::vector<double> w2{-1.2, 1.0};
    const auto t = opt::trust_region_newton{}.minimize(f2, w2, {1e-12, 2, 1.0});
    CHECK(t.reason == opt::stop_reason::max_iterations);
    CHECK(t.iterations == 2);
    // The reported objective is the value at the returned point.
    std::vector<double> g(2);
    CHECK(rosenbrock{}.value_and_gradient(w2, g) == t.objective);
}

TEST_CASE("minimizers reject bad stop criteria, options and lengths") {
    rosenbrock f;
    std::vector<double> w{0.0, 0.0};
    CHECK_THROWS_AS(opt::lbfgs{}.minimize(f, w, {0.0, 10, 1.0}), tessera::invalid_argument);
    CHECK_THROWS_AS(opt::lbfgs{}.minimize(f, w, {NAN, 10, 1.0}), tessera::invalid_argument);
    CHECK_THROWS_AS(opt::lbfgs{}.minimize(f, w, {1e-4, 0, 1.0}), tessera::invalid_argument);
    CHECK_THROWS_AS(opt::trust_region_newton{}.minimize(f, w, {1e-4, 10, -1.0}), tessera::invalid_argument);
    std::vector<double> w3{0.0, 0.0, 0.0};
    CHECK_THROWS_AS(opt::lbfgs{}.minimize(f, w3, {}), tessera::dimension_mismatch);
    CHECK_THROWS_AS(opt::trust_region_newton{}.minimize(f, w3, {}), tessera::dimension_mismatch);
    const std::vector<double> l1{1.0, -1.0};
    CHECK_THROWS_AS(opt::owlqn{}.minimize(f, l1, w, {}), tessera::invalid_argument);
    const std::vector<double> l1_short{1.0};
    CHECK_THROWS_AS(opt::owlqn{}.minimize(f, l1_short, w, {}), tessera::dimension_mismatch);
    CHECK_THROWS_AS((opt::lbfgs{{.memory = 0}}.minimize(f, w, {})), tessera::invalid_argument);
    CHECK_THROWS_AS((opt::lbfgs{{.c1 = 0.9, .c2 = 0.1}}.minimize(f, w, {})), tessera::invalid_argument);
    CHECK_THROWS_AS((opt::trust_region_newton{{.cg_tol = 1.5}}.minimize(f, w, {})), tessera::invalid_argument);
    // An objective that is not finite at the start is an error, not a silent result.
    struct nan_objective {
        [[nodiscard]] std::size_t dimension() const { return 1; }
        double value_and_gradient(std::span<const double>, std::span<double> g) const {
            g[0] = 0;
            return NAN;
        }
    };
    nan_objective bad;
    std::vector<double> one{0.0};
    CHECK_THROWS_AS(opt::lbfgs{}.minimize(bad, one, {}), tessera::numerical_error);
}
