/// \file
/// tessera/optimize/objective.hpp - what tessera's minimizers read and return: the objective
/// concepts (a value and gradient; optionally Hessian-vector products), the stopping rule, the
/// result, and the minimizer concepts that let a user bring a solver of their own to a model
/// such as logistic_regression.
///
/// An objective is minimized over a vector w of doubles. A composite problem adds
/// sum_j l1[j] |w_j| to a smooth objective; minimizers that handle it take the weights l1 as an
/// extra argument (l1_minimizer_for).
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "tessera/core/error.hpp"

/// Unconstrained minimizers (L-BFGS, OWL-QN, trust-region Newton) and the concepts that
/// objectives and user-supplied minimizers satisfy.
namespace tessera::optimize {

/// A smooth function of w: value_and_gradient(w, g) returns f(w) and writes its gradient to g
/// (both of dimension() doubles).
template <class F>
concept smooth_objective = requires(F& f, std::span<const double> w, std::span<double> g) {
    { f.dimension() } -> std::convertible_to<std::size_t>;
    { f.value_and_gradient(w, g) } -> std::convertible_to<double>;
};

/// A smooth objective that also multiplies its Hessian by a vector: prepare_hessian(w) fixes the
/// point (called right after value_and_gradient at that w, so an objective may keep what that
/// pass computed), then hessian_vector(v, out) writes H(w) v to out.
template <class F>
concept hessian_objective =
    smooth_objective<F> && requires(F& f, std::span<const double> w, std::span<const double> v, std::span<double> out) {
        f.prepare_hessian(w);
        f.hessian_vector(v, out);
    };

/// When a minimizer stops. It has converged when the gradient's Euclidean norm (for composite
/// problems: the norm of the minimum-norm subgradient) is at most tol * gradient_reference;
/// a caller sets gradient_reference to the gradient norm at w = 0 so that the rule reads the
/// same whatever the starting point. max_iter bounds the iterations (outer iterations: one
/// quasi-Newton or Newton step each).
struct stop_criteria {
    double tol = 1e-4;                ///< relative gradient tolerance: finite, > 0
    std::size_t max_iter = 100;       ///< most iterations: >= 1
    double gradient_reference = 1.0;  ///< the gradient norm tol is relative to: finite, > 0
};

/// Why a minimizer stopped.
enum class stop_reason {
    converged,       ///< the gradient test of stop_criteria passed
    max_iterations,  ///< max_iter iterations ran out first
    no_progress,     ///< no step decreased the objective (rounding limits the accuracy reached)
};

/// The enumerator's name: "converged", "max_iterations" or "no_progress".
[[nodiscard]] constexpr const char* to_string(stop_reason r) noexcept {
    switch (r) {
        case stop_reason::converged: return "converged";
        case stop_reason::max_iterations: return "max_iterations";
        case stop_reason::no_progress: return "no_progress";
    }
    return "unknown";
}

/// What a minimizer reports: the iterations it ran, the objective evaluations (passes of
/// value_and_gradient), the final objective (including any L1 term) and gradient norm, and why
/// it stopped.
struct minimize_result {
    std::size_t iterations = 0;   ///< iterations run
    std::size_t evaluations = 0;  ///< calls of value_and_gradient
    double objective = 0;         ///< final objective value, L1 term included
    double gradient_norm = 0;     ///< final (sub)gradient norm
    stop_reason reason = stop_reason::max_iterations;  ///< why the minimizer stopped
    /// Whether reason is stop_reason::converged.
    [[nodiscard]] bool converged() const noexcept { return reason == stop_reason::converged; }
};

/// A solver that minimizes a smooth objective F from the starting point in w (overwritten with
/// the solution).
template <class S, class F>
concept minimizer_for = smooth_objective<F> && requires(S& s, F& f, std::span<double> w, const stop_criteria& stop) {
    { s.minimize(f, w, stop) } -> std::same_as<minimize_result>;
};

/// A solver for F(w) + sum_j l1[j] |w_j| (l1[j] >= 0; 0 leaves w_j unpenalized).
template <class S, class F>
concept l1_minimizer_for =
    smooth_objective<F> &&
    requires(S& s, F& f, std::span<const double> l1, std::span<double> w, const stop_criteria& stop) {
        { s.minimize(f, l1, w, stop) } -> std::same_as<minimize_result>;
    };

/// The objective type models hand to a minimizer is theirs; this stand-in has the same
/// interface, so that `minimizer_for<MySolver, objective_archetype>` says whether a solver fits.
struct objective_archetype {
    /// Number of variables (the length of w).
    [[nodiscard]] std::size_t dimension() const noexcept { return 0; }
    /// f(w), with the gradient written to g.
    double value_and_gradient(std::span<const double>, std::span<double>) { return 0; }
    /// Fixes the point of the following hessian_vector calls.
    void prepare_hessian(std::span<const double>) {}
    /// Writes the Hessian at the prepared point times v.
    void hessian_vector(std::span<const double>, std::span<double>) {}
};

namespace detail {
/// \cond

// Small dense vector operations on spans of equal length.
[[nodiscard]] inline double dot(std::span<const double> a, std::span<const double> b) noexcept {
    double s0 = 0;
    double s1 = 0;
    std::size_t i = 0;
    for (; i + 2 <= a.size(); i += 2) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
    }
    if (i < a.size()) s0 += a[i] * b[i];
    return s0 + s1;
}
[[nodiscard]] inline double norm2(std::span<const double> a) noexcept { return std::sqrt(dot(a, a)); }
// y += a x
inline void axpy(double a, std::span<const double> x, std::span<double> y) noexcept {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] += a * x[i];
}

inline void check_stop(const stop_criteria& s, const char* where) {
    if (!(s.tol > 0) || !std::isfinite(s.tol)) {
        tessera::detail::throw_argument(where, "tol", "must be finite and > 0, got " + std::to_string(s.tol));
    }
    if (s.max_iter == 0) tessera::detail::throw_argument(where, "max_iter", "must be >= 1");
    if (!(s.gradient_reference > 0) || !std::isfinite(s.gradient_reference)) {
        tessera::detail::throw_argument(where, "gradient_reference",
                                        "must be finite and > 0, got " + std::to_string(s.gradient_reference));
    }
}

inline void check_dimension(std::size_t objective, std::size_t w, const char* where) {
    if (objective != w) {
        tessera::detail::throw_argument<dimension_mismatch>(
            where, "w", "has " + std::to_string(w) + " entries but the objective has dimension " + std::to_string(objective));
    }
}

// What every minimizer checks first; returns the dimension.
template <class F>
[[nodiscard]] std::size_t check_problem(const F& fun, std::span<const double> w, const stop_criteria& stop,
                                        const char* where) {
    check_stop(stop, where);
    const auto n = static_cast<std::size_t>(fun.dimension());
    check_dimension(n, w.size(), where);
    return n;
}

// The stopping tests at the top of an iteration: throws numerical_error for a non-finite f or
// gradient norm; sets res.reason and returns true when converged or out of iterations.
inline bool should_stop(double f, double gnorm, const stop_criteria& stop, minimize_result& res, const char* where) {
    if (!std::isfinite(f) || !std::isfinite(gnorm)) {
        throw numerical_error(std::string("tessera::") + where +
                              ": the objective or its gradient is not finite at the current point");
    }
    if (gnorm <= stop.tol * stop.gradient_reference) {
        res.reason = stop_reason::converged;
        return true;
    }
    if (res.iterations >= stop.max_iter) {
        res.reason = stop_reason::max_iterations;
        return true;
    }
    return false;
}

/// \endcond
}  // namespace detail

}  // namespace tessera::optimize
