/// \file
/// tessera/optimize/trust_region_newton.hpp - a trust-region Newton method whose steps come from
/// conjugate gradients on Hessian-vector products (Steihaug's truncated CG), as in LIBLINEAR's
/// primal solver: C.-J. Lin, R. C. Weng and S. S. Keerthi, "Trust region Newton method for
/// large-scale logistic regression", JMLR 9 (2008). The radius update and its constants follow
/// section 2.1 of that paper. With an objective that supplies its Hessian's diagonal, CG is
/// preconditioned by M = (1 - a) I + a diag(H), a = 0.01, and the trust region measured in the
/// M-norm, as C.-Y. Hsia, W.-L. Chiang and C.-J. Lin propose ("Preconditioned conjugate gradient
/// methods in truncated Newton frameworks for large-scale linear classification", ACML 2018).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "tessera/optimize/objective.hpp"

namespace tessera::optimize {

/// A Hessian objective that also writes the diagonal of its Hessian at the prepared point.
template <class F>
concept preconditioned_objective = hessian_objective<F> && requires(F& f, std::span<double> out) {
    f.hessian_diagonal(out);
};

/// Options of trust_region_newton.
struct trust_region_newton_options {
    /// The inner CG stops when its residual (in the preconditioner's inverse norm) is at most
    /// cg_tol times the gradient's.
    double cg_tol = 0.1;
    /// Precondition CG with the Hessian's diagonal when the objective supplies it.
    bool precondition = true;
    /// The share a of diag(H) in the preconditioner (1 - a) I + a diag(H), in (0, 1].
    double precondition_share = 0.01;
    /// Cap on CG iterations per Newton step (0: the dimension).
    std::size_t max_cg = 0;
};

/// Trust-region Newton-CG for an objective with Hessian-vector products (a convex one such as
/// logistic regression's). Each iteration solves H s = -g approximately by CG inside the
/// trust region |s| <= delta, accepts the step when the actual decrease is at least 1e-4 of the
/// predicted one, and resizes delta from their ratio. Every trial step, accepted or not,
/// counts as one iteration.
///
/// Complexity per iteration: one objective evaluation, one pass for the Hessian's diagonal
/// (when preconditioned) and one Hessian-vector product per CG step; O(n) memory for nine
/// vectors. Throws tessera::invalid_argument for bad stop criteria or
/// options, dimension_mismatch when w does not match the objective, numerical_error when the
/// objective is not finite at the start; rethrows what the objective throws.
struct trust_region_newton {
    trust_region_newton_options options{};  ///< CG and trust-region constants, checked by minimize

    /// Minimizes `fun` from the point in `w`, which is overwritten with the solution found,
    /// and reports how it went (see the class comment for the method, costs and exceptions).
    template <hessian_objective F>
    minimize_result minimize(F& fun, std::span<double> w, const stop_criteria& stop) const {
        constexpr const char* where = "trust_region_newton::minimize";
        const std::size_t n = detail::check_problem(fun, w, stop, where);
        if (!(options.cg_tol > 0 && options.cg_tol < 1)) {
            tessera::detail::throw_argument(where, "options.cg_tol", "must lie in (0, 1)");
        }
        if (!(options.precondition_share > 0 && options.precondition_share <= 1)) {
            tessera::detail::throw_argument(where, "options.precondition_share", "must lie in (0, 1]");
        }
        constexpr double eta0 = 1e-4, eta1 = 0.25, eta2 = 0.75;
        constexpr double sigma1 = 0.25, sigma2 = 0.5, sigma3 = 4.0;

        minimize_result res;
        std::vector<double> g(n), s(n), r(n), dir(n), hd(n), w_new(n), g_new(n), m(n, 1.0), z(n);
        const std::span<const double> wc(w.data(), n);
        double f = fun.value_and_gradient(wc, g);
        res.evaluations = 1;
        double gnorm = detail::norm2(g);
        const double target = stop.tol * stop.gradient_reference;
        double delta = -1;  // set from the first preconditioner
        bool fresh = true;  // the objective's last evaluation was at w (prepare_hessian needs that)
        // (Accepted points have a finite objective, so only the start can fail the finiteness test.)
        while (!detail::should_stop(f, gnorm, stop, res, where)) {
            if (!fresh) {
                f = fun.value_and_gradient(wc, g);
                ++res.evaluations;
            }
            fun.prepare_hessian(wc);
            if constexpr (preconditioned_objective<F>) {
                if (options.precondition) {
                    fun.hessian_diagonal(std::span<double>(m));
                    const double a = options.precondition_share;
                    for (double& v : m) v = (1 - a) + a * v;
                }
            }
            if (delta < 0) {  // |g| in the norm dual to M's: the size of the preconditioned gradient step
                double q = 0;
                for (std::size_t i = 0; i < n; ++i) q += g[i] * g[i] / m[i];
                delta = std::sqrt(q);
            }
            steihaug_cg(fun, g, m, delta, s, r, z, dir, hd);
            ++res.iterations;
            for (std::size_t i = 0; i < n; ++i) w_new[i] = w[i] + s[i];
            const double gs = detail::dot(g, s);
            const double prered = -0.5 * (gs - detail::dot(s, r));
            const double f_new = fun.value_and_gradient(std::span<const double>(w_new), g_new);
            ++res.evaluations;
            const double actred = f - f_new;
            const double snorm = std::sqrt(m_dot(m, s, s));
            if (res.iterations == 1) delta = std::min(delta, snorm);
            const double curv = f_new - f - gs;
            const double alpha = curv <= 0 ? sigma3 : std::max(sigma1, -0.5 * (gs / curv));
            if (!std::isfinite(f_new) || actred < eta0 * prered) {
                delta = std::min(std::max(alpha, sigma1) * snorm, sigma2 * delta);
            } else if (actred < eta1 * prered) {
                delta = std::max(sigma1 * delta, std::min(alpha * snorm, sigma2 * delta));
            } else if (actred < eta2 * prered) {
                delta = std::max(sigma1 * delta, std::min(alpha * snorm, sigma3 * delta));
            } else {
                delta = std::max(delta, std::min(alpha * snorm, sigma3 * delta));
            }
            if (std::isfinite(f_new) && actred > eta0 * prered) {
                std::copy(w_new.begin(), w_new.end(), w.begin());
                std::swap(g, g_new);
                f = f_new;
                gnorm = detail::norm2(g);
                fresh = true;
            } else {
                fresh = false;
            }
            // Rounding makes the predicted and actual decreases meaningless below these sizes.
            const double tiny = 1e-12 * std::fabs(f);
            if ((prered <= 0 && actred <= 0) || (std::fabs(actred) <= tiny && std::fabs(prered) <= tiny) ||
                !(delta > 0)) {
                res.reason = gnorm <= target ? stop_reason::converged : stop_reason::no_progress;
                break;
            }
        }
        if (!fresh) {  // leave f and the gradient norm those of w
            f = fun.value_and_gradient(wc, g);
            ++res.evaluations;
            gnorm = detail::norm2(g);
        }
        res.objective = f;
        res.gradient_norm = gnorm;
        return res;
    }

private:
    // u' M v for the diagonal M.
    [[nodiscard]] static double m_dot(std::span<const double> m, std::span<const double> u, std::span<const double> v) {
        double acc = 0;
        for (std::size_t i = 0; i < m.size(); ++i) acc += u[i] * m[i] * v[i];
        return acc;
    }

    // Steihaug's preconditioned CG for H s = -g within |s|_M <= delta. Leaves s and the
    // residual r = -g - H s.
    template <class F>
    void steihaug_cg(F& fun, std::span<const double> g, std::span<const double> m, double delta, std::span<double> s,
                     std::span<double> r, std::span<double> z, std::span<double> dir, std::span<double> hd) const {
        const std::size_t n = g.size();
        std::fill(s.begin(), s.end(), 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            r[i] = -g[i];
            z[i] = r[i] / m[i];
        }
        std::copy(z.begin(), z.end(), dir.begin());
        double zr = detail::dot(z, r);
        const double cg_target = options.cg_tol * std::sqrt(zr);
        const std::size_t max_cg = options.max_cg == 0 ? n : options.max_cg;
        for (std::size_t it = 0; it < max_cg; ++it) {
            if (std::sqrt(zr) <= cg_target) break;
            fun.hessian_vector(std::span<const double>(dir.data(), n), hd);
            const double dhd = detail::dot(dir, hd);
            double alpha = zr / dhd;
            if (!(dhd > 0) || !std::isfinite(alpha)) {
                alpha = to_boundary(m, s, dir, delta);  // no positive curvature along dir: go to the edge
                detail::axpy(alpha, dir, s);
                detail::axpy(-alpha, hd, r);
                return;
            }
            detail::axpy(alpha, dir, s);
            if (m_dot(m, s, s) > delta * delta) {
                detail::axpy(-alpha, dir, s);
                alpha = to_boundary(m, s, dir, delta);
                detail::axpy(alpha, dir, s);
                detail::axpy(-alpha, hd, r);
                return;
            }
            detail::axpy(-alpha, hd, r);
            for (std::size_t i = 0; i < n; ++i) z[i] = r[i] / m[i];
            const double zr_new = detail::dot(z, r);
            const double beta = zr_new / zr;
            for (std::size_t i = 0; i < n; ++i) dir[i] = z[i] + beta * dir[i];
            zr = zr_new;
        }
    }

    // The tau >= 0 with |s + tau d|_M = delta (|s|_M <= delta), computed without cancellation.
    [[nodiscard]] static double to_boundary(std::span<const double> m, std::span<const double> s,
                                            std::span<const double> d, double delta) {
        const double sd = m_dot(m, s, d);
        const double ss = m_dot(m, s, s);
        const double dd = m_dot(m, d, d);
        const double gap = std::max(0.0, delta * delta - ss);
        const double rad = std::sqrt(sd * sd + dd * gap);
        if (!(dd > 0)) return 0;
        return sd >= 0 ? gap / (sd + rad) : (rad - sd) / dd;
    }
};

}  // namespace tessera::optimize
