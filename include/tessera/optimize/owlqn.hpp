/// \file
/// tessera/optimize/owlqn.hpp - orthant-wise limited-memory quasi-Newton (OWL-QN) for a smooth
/// objective plus a weighted L1 term: G. Andrew and J. Gao, "Scalable training of
/// L1-regularized log-linear models", ICML 2007.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <limits>
#include <vector>

#include "tessera/optimize/lbfgs.hpp"
#include "tessera/optimize/objective.hpp"

namespace tessera::optimize {

/// Options of owlqn: L-BFGS memory, the sufficient-decrease constant and the halvings one
/// backtracking line search may take.
struct owlqn_options {
    std::size_t memory = 10;            ///< correction pairs kept
    double c1 = 1e-4;                   ///< sufficient-decrease constant
    std::size_t max_line_search = 50;   ///< step halvings per line search
};

namespace detail {
/// \cond

// The minimum-norm subgradient of f(w) + sum l1_j |w_j| given f's gradient g.
inline void pseudo_gradient(std::span<const double> w, std::span<const double> g, std::span<const double> l1,
                            std::span<double> pg) noexcept {
    for (std::size_t j = 0; j < w.size(); ++j) {
        const double lam = l1[j];
        if (w[j] > 0) {
            pg[j] = g[j] + lam;
        } else if (w[j] < 0) {
            pg[j] = g[j] - lam;
        } else if (g[j] + lam < 0) {
            pg[j] = g[j] + lam;
        } else if (g[j] - lam > 0) {
            pg[j] = g[j] - lam;
        } else {
            pg[j] = 0;
        }
    }
}

[[nodiscard]] inline double l1_term(std::span<const double> w, std::span<const double> l1) noexcept {
    double s = 0;
    for (std::size_t j = 0; j < w.size(); ++j) s += l1[j] * std::fabs(w[j]);
    return s;
}

/// \endcond
}  // namespace detail

/// OWL-QN: minimizes f(w) + sum_j l1[j] |w_j| for a smooth f. Each iteration takes the L-BFGS
/// direction of the pseudo-gradient (the minimum-norm subgradient), zeroes the components that
/// disagree with it in sign, and backtracks along the step projected onto the current orthant,
/// so coordinates reach exactly zero. Converged when the pseudo-gradient's norm is at most
/// tol * gradient_reference. Also minimizes a smooth objective (l1 all zero: plain L-BFGS with
/// backtracking).
///
/// Complexity per iteration: O(memory * n) plus the line search's evaluations (usually one).
/// Throws tessera::invalid_argument for bad stop criteria, options or l1 weights (negative or
/// not finite), dimension_mismatch for lengths that do not match the objective.
struct owlqn {
    owlqn_options options{};  ///< memory and line-search constants, checked by minimize

    /// Minimizes fun(w) + sum_j l1[j] |w_j| from the point in `w`, which is overwritten with
    /// the solution found; `l1` has one weight per variable. See the class comment for costs and
    /// exceptions.
    template <smooth_objective F>
    minimize_result minimize(F& fun, std::span<const double> l1, std::span<double> w, const stop_criteria& stop) const {
        constexpr const char* where = "owlqn::minimize";
        const std::size_t n = detail::check_problem(fun, w, stop, where);
        if (l1.size() != n) {
            tessera::detail::throw_argument<dimension_mismatch>(
                where, "l1", "has " + std::to_string(l1.size()) + " weights but the objective has dimension " + std::to_string(n));
        }
        for (std::size_t j = 0; j < n; ++j) {
            if (!(l1[j] >= 0) || !std::isfinite(l1[j])) {
                tessera::detail::throw_argument(where, "l1", "weight " + std::to_string(j) + " is negative or not finite");
            }
        }
        if (options.memory == 0) tessera::detail::throw_argument(where, "options.memory", "must be >= 1");
        if (!(options.c1 > 0 && options.c1 < 1)) tessera::detail::throw_argument(where, "options.c1", "must lie in (0, 1)");

        minimize_result res;
        std::vector<double> g(n), pg(n), d(n), w_old(n), g_old(n), orthant(n);
        detail::lbfgs_memory mem(n, options.memory);
        const std::span<const double> wc(w.data(), n);
        double f = fun.value_and_gradient(wc, g) + detail::l1_term(wc, l1);
        res.evaluations = 1;
        detail::pseudo_gradient(wc, g, l1, pg);
        double pgnorm = detail::norm2(pg);
        const double target = stop.tol * stop.gradient_reference;
        std::size_t stalls = 0;  // consecutive accepted steps that did not lower f beyond rounding
        while (!detail::should_stop(f, pgnorm, stop, res, where)) {
            for (std::size_t j = 0; j < n; ++j) d[j] = -pg[j];
            mem.apply(d);
            // Unpenalized coordinates (l1 = 0) move freely, as in L-BFGS; penalized ones keep only
            // the components that descend and stay in the orthant they start in.
            for (std::size_t j = 0; j < n; ++j) {
                if (l1[j] == 0) {
                    orthant[j] = 0;
                    continue;
                }
                if (d[j] * pg[j] >= 0) d[j] = 0;
                orthant[j] = w[j] != 0 ? (w[j] > 0 ? 1.0 : -1.0) : (pg[j] < 0 ? 1.0 : -1.0);
            }
            std::copy(w.begin(), w.end(), w_old.begin());
            std::copy(g.begin(), g.end(), g_old.begin());
            const double f_old = f;
            double alpha = mem.size() == 0 ? std::min(1.0, 1.0 / pgnorm) : 1.0;
            bool ok = false;
            for (std::size_t it = 0; it < options.max_line_search; ++it) {
                double decrease = 0;  // pg'(w_new - w_old), negative for a descent step
                for (std::size_t j = 0; j < n; ++j) {
                    double v = w_old[j] + alpha * d[j];
                    if (orthant[j] != 0 && v * orthant[j] <= 0) v = 0;  // crossing zero: stop there
                    w[j] = v;
                    decrease += pg[j] * (v - w_old[j]);
                }
                f = fun.value_and_gradient(wc, g) + detail::l1_term(wc, l1);
                ++res.evaluations;
                if (std::isfinite(f) && f <= f_old + options.c1 * decrease) {
                    ok = true;
                    break;
                }
                // A step whose predicted decrease is below the objective's rounding cannot be
                // judged: give up rather than halve further.
                if (-decrease <= std::numeric_limits<double>::epsilon() * std::fabs(f_old)) break;
                alpha *= 0.5;
            }
            if (!ok) {
                std::copy(w_old.begin(), w_old.end(), w.begin());
                std::copy(g_old.begin(), g_old.end(), g.begin());
                f = f_old;
                if (!mem.forget_for_retry()) {
                    res.reason = stop_reason::no_progress;
                    break;
                }
                continue;
            }
            ++res.iterations;
            stalls = f_old - f <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(f_old) ? stalls + 1 : 0;
            mem.push_step(w, w_old, g, g_old);
            detail::pseudo_gradient(wc, g, l1, pg);
            pgnorm = detail::norm2(pg);
            if (stalls >= 3 && pgnorm > target) {
                res.reason = stop_reason::no_progress;
                break;
            }
        }
        res.objective = f;
        res.gradient_norm = pgnorm;
        return res;
    }
};

}  // namespace tessera::optimize
