/// \file
/// tessera/optimize/lbfgs.hpp - limited-memory BFGS with a line search that meets the strong
/// Wolfe conditions (Nocedal & Wright, Numerical Optimization, 2nd ed., algorithms 7.4, 3.5
/// and 3.6).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "tessera/optimize/objective.hpp"

namespace tessera::optimize {

/// Options of lbfgs: the number of correction pairs kept and the line search's constants
/// (0 < c1 < c2 < 1; c1 for sufficient decrease, c2 for the curvature condition).
struct lbfgs_options {
    std::size_t memory = 10;  ///< correction pairs kept: >= 1
    double c1 = 1e-4;         ///< sufficient-decrease constant
    double c2 = 0.9;          ///< curvature constant
    /// Objective evaluations one line search may spend.
    std::size_t max_line_search = 40;
};

namespace detail {
/// \cond

// The m most recent pairs s = w_{k+1} - w_k, y = g_{k+1} - g_k, in a ring, and the two-loop
// recursion that multiplies the inverse Hessian approximation by a vector.
class lbfgs_memory {
public:
    lbfgs_memory(std::size_t dimension, std::size_t m) : n_(dimension), m_(std::max<std::size_t>(m, 1)) {
        s_.resize(m_ * n_);
        y_.resize(m_ * n_);
        rho_.resize(m_);
        alpha_.resize(m_);
    }

    void clear() noexcept { count_ = 0; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    // After a step whose line search failed: forgets the pairs and returns true, so that the
    // minimizer retries along the steepest descent, unless there was nothing to forget or the
    // pairs were forgotten this way already since the last successful step (then false: stop).
    [[nodiscard]] bool forget_for_retry() noexcept {
        if (count_ == 0 || retried_) return false;
        count_ = 0;
        retried_ = true;
        return true;
    }

    // Stores the step from (w_old, g_old) to (w, g) as the pair s = w - w_old, y = g - g_old,
    // unless its curvature s'y is not safely positive (which would make the approximation
    // indefinite); returns whether it was stored. The curvature is measured before anything is
    // written, since with the ring full the slot written is the oldest pair's.
    bool push_step(std::span<const double> w, std::span<const double> w_old, std::span<const double> g,
                   std::span<const double> g_old) {
        retried_ = false;  // a successful step
        double sy_lane[2] = {0, 0};  // even and odd indices, the order detail::dot adds in
        double yy_lane[2] = {0, 0};
        for (std::size_t i = 0; i < n_; ++i) {
            const double yi = g[i] - g_old[i];
            sy_lane[i % 2] += (w[i] - w_old[i]) * yi;
            yy_lane[i % 2] += yi * yi;
        }
        const double sy = sy_lane[0] + sy_lane[1];
        const double yy = yy_lane[0] + yy_lane[1];
        if (!(sy > std::numeric_limits<double>::epsilon() * yy) || !std::isfinite(sy)) return false;
        const std::size_t slot = (head_ + count_) % m_;
        double* s = s_.data() + slot * n_;
        double* y = y_.data() + slot * n_;
        for (std::size_t i = 0; i < n_; ++i) {
            s[i] = w[i] - w_old[i];
            y[i] = g[i] - g_old[i];
        }
        rho_[slot] = 1.0 / sy;
        gamma_ = sy / yy;
        if (count_ < m_) {
            ++count_;
        } else {
            head_ = (head_ + 1) % m_;
        }
        return true;
    }

    // q <- H q, with H_0 = gamma I (gamma = s'y / y'y of the newest pair).
    void apply(std::span<double> q) {
        for (std::size_t k = count_; k-- > 0;) {
            const std::size_t slot = (head_ + k) % m_;
            alpha_[slot] = rho_[slot] * dot(s(slot), q);
            axpy(-alpha_[slot], y(slot), q);
        }
        const double h0 = count_ > 0 ? gamma_ : 1.0;
        for (double& v : q) v *= h0;
        for (std::size_t k = 0; k < count_; ++k) {
            const std::size_t slot = (head_ + k) % m_;
            const double beta = rho_[slot] * dot(y(slot), q);
            axpy(alpha_[slot] - beta, s(slot), q);
        }
    }

private:
    [[nodiscard]] std::span<const double> s(std::size_t slot) const noexcept { return {s_.data() + slot * n_, n_}; }
    [[nodiscard]] std::span<const double> y(std::size_t slot) const noexcept { return {y_.data() + slot * n_, n_}; }

    std::size_t n_;
    std::size_t m_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    bool retried_ = false;  // forget_for_retry cleared the pairs since the last push_step
    double gamma_ = 1.0;
    std::vector<double> s_, y_, rho_, alpha_;
};

// The minimizer of the cubic through (a, fa, da) and (b, fb, db), kept inside the middle 80% of
// [a, b] (either order); bisection when the cubic has no usable minimizer.
[[nodiscard]] inline double cubic_step(double a, double fa, double da, double b, double fb, double db) noexcept {
    const double lo = std::min(a, b);
    const double hi = std::max(a, b);
    const double margin = 0.1 * (hi - lo);
    const double d1 = da + db - 3 * (fa - fb) / (a - b);
    const double disc = d1 * d1 - da * db;
    double x = 0.5 * (a + b);
    if (disc >= 0 && std::isfinite(disc)) {
        const double d2 = std::copysign(std::sqrt(disc), b - a);
        const double den = db - da + 2 * d2;
        if (den != 0) x = b - (b - a) * (db + d2 - d1) / den;
    }
    if (!std::isfinite(x)) x = 0.5 * (a + b);
    return std::clamp(x, lo + margin, hi - margin);
}

// A line search along d from w0 for the strong Wolfe conditions. On success returns true with
// w = w0 + alpha d, g its gradient and f its value. On failure (the evaluation budget ran out
// without any point of sufficient decrease) returns false with w, g, f at w0.
template <class F>
bool strong_wolfe_search(F& fun, std::span<const double> w0, double f0, std::span<const double> g0,
                         std::span<const double> d, double alpha, const lbfgs_options& opt, std::span<double> w,
                         std::span<double> g, double& f, std::size_t& evaluations, std::vector<double>& best_g) {
    const double dphi0 = dot(g0, d);
    if (!(dphi0 < 0)) return false;
    const auto eval = [&](double a, double& phi, double& dphi) {
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = w0[i] + a * d[i];
        phi = fun.value_and_gradient(std::span<const double>(w), g);
        ++evaluations;
        dphi = dot(std::span<const double>(g), d);
        if (!std::isfinite(phi)) phi = std::numeric_limits<double>::infinity();
    };
    // The best point of sufficient decrease seen so far, for an answer when the budget ends.
    double best_alpha = 0;
    double best_f = f0;
    const auto remember = [&](double a, double phi) {
        if (phi < best_f && phi <= f0 + opt.c1 * a * dphi0) {
            best_alpha = a;
            best_f = phi;
            best_g.assign(g.begin(), g.end());
        }
    };
    const auto finish_best = [&]() {
        if (best_alpha > 0) {
            for (std::size_t i = 0; i < w.size(); ++i) w[i] = w0[i] + best_alpha * d[i];
            std::copy(best_g.begin(), best_g.end(), g.begin());
            f = best_f;
            return true;
        }
        std::copy(w0.begin(), w0.end(), w.begin());
        std::copy(g0.begin(), g0.end(), g.begin());
        f = f0;
        return false;
    };
    const auto zoom = [&](double lo, double flo, double dlo, double hi, double fhi, double dhi, std::size_t budget) {
        for (std::size_t it = 0; it < budget; ++it) {
            const double a = cubic_step(lo, flo, dlo, hi, fhi, dhi);
            double phi = 0;
            double dphi = 0;
            eval(a, phi, dphi);
            if (phi > f0 + opt.c1 * a * dphi0 || phi >= flo) {
                hi = a;
                fhi = phi;
                dhi = dphi;
            } else {
                if (std::fabs(dphi) <= -opt.c2 * dphi0) {
                    f = phi;
                    return true;
                }
                remember(a, phi);
                if (dphi * (hi - lo) >= 0) {
                    hi = lo;
                    fhi = flo;
                    dhi = dlo;
                }
                lo = a;
                flo = phi;
                dlo = dphi;
            }
            if (std::fabs(hi - lo) <= std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(lo))) break;
        }
        return finish_best();
    };

    double prev = 0;
    double fprev = f0;
    double dprev = dphi0;
    for (std::size_t it = 0; it < opt.max_line_search; ++it) {
        double phi = 0;
        double dphi = 0;
        eval(alpha, phi, dphi);
        const std::size_t left = opt.max_line_search - it - 1;
        if (phi > f0 + opt.c1 * alpha * dphi0 || (it > 0 && phi >= fprev)) {
            return zoom(prev, fprev, dprev, alpha, phi, dphi, left);
        }
        if (std::fabs(dphi) <= -opt.c2 * dphi0) {
            f = phi;
            return true;
        }
        remember(alpha, phi);
        if (dphi >= 0) return zoom(alpha, phi, dphi, prev, fprev, dprev, left);
        prev = alpha;
        fprev = phi;
        dprev = dphi;
        alpha *= 2;
    }
    return finish_best();
}

/// \endcond
}  // namespace detail

/// Limited-memory BFGS for a smooth objective. Each iteration takes the two-loop quasi-Newton
/// direction and a strong Wolfe line search (first trial step 1; 1 / |g| on the first
/// iteration). A pair with non-positive curvature is skipped; a failed line search restarts from
/// steepest descent once, then stops with stop_reason::no_progress.
///
/// Complexity per iteration: O(memory * n) plus the objective evaluations of the line search
/// (usually one). Memory O(memory * n). Throws tessera::invalid_argument for bad stop criteria,
/// dimension_mismatch when w does not match the objective; rethrows what the objective throws.
struct lbfgs {
    lbfgs_options options{};  ///< memory and line-search constants, checked by minimize

    /// Minimizes `fun` from the point in `w`, which is overwritten with the solution found,
    /// and reports how it went (see the class comment for the method, costs and exceptions).
    template <smooth_objective F>
    minimize_result minimize(F& fun, std::span<double> w, const stop_criteria& stop) const {
        constexpr const char* where = "lbfgs::minimize";
        const std::size_t n = detail::check_problem(fun, w, stop, where);
        if (options.memory == 0) tessera::detail::throw_argument(where, "options.memory", "must be >= 1");
        if (!(options.c1 > 0 && options.c1 < options.c2 && options.c2 < 1)) {
            tessera::detail::throw_argument(where, "options.c1, options.c2", "must satisfy 0 < c1 < c2 < 1");
        }

        minimize_result res;
        std::vector<double> g(n), w_old(n), g_old(n), d(n), best_g;
        detail::lbfgs_memory mem(n, options.memory);
        double f = fun.value_and_gradient(std::span<const double>(w.data(), n), g);
        res.evaluations = 1;
        double gnorm = detail::norm2(g);
        while (!detail::should_stop(f, gnorm, stop, res, where)) {
            for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
            mem.apply(d);
            if (!(detail::dot(d, g) < 0)) {  // not a descent direction: fall back to -g
                mem.clear();
                for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
            }
            const double step = mem.size() == 0 ? std::min(1.0, 1.0 / gnorm) : 1.0;
            std::copy(w.begin(), w.end(), w_old.begin());
            std::copy(g.begin(), g.end(), g_old.begin());
            const double f_old = f;
            const bool ok = detail::strong_wolfe_search(fun, w_old, f_old, g_old, d, step, options, w, g, f,
                                                        res.evaluations, best_g);
            if (!ok) {
                if (!mem.forget_for_retry()) {
                    res.reason = stop_reason::no_progress;
                    break;
                }
                continue;
            }
            ++res.iterations;
            mem.push_step(w, w_old, g, g_old);
            gnorm = detail::norm2(g);
        }
        res.objective = f;
        res.gradient_norm = gnorm;
        return res;
    }
};

}  // namespace tessera::optimize
