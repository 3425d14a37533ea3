/// \file
/// tessera/metrics/regression.hpp - mean squared error, mean absolute error and the coefficient
/// of determination R^2, optionally weighted, on any ranges of numbers.
///
/// ```cpp
///   const double mse = tessera::mean_squared_error(y_true, y_pred);
///   const double mae = tessera::mean_absolute_error(y_true, y_pred, sample_weight);
///   const double r2 = tessera::r2_score(y_true, model.predict(x));
/// ```
///
/// The definitions are scikit-learn 1.2.1's (sklearn.metrics) for one output. Values are read as
/// double and every sum is accumulated in double.
#pragma once

#include <cmath>
#include <cstddef>
#include <ranges>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/concepts.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"

namespace tessera {

/// An input range of numbers (any arithmetic type but bool and the character types), read as
/// double.
template <class R>
concept number_range = std::ranges::input_range<R> && numeric<std::remove_cv_t<std::ranges::range_value_t<R>>>;

namespace detail {
/// \cond

// y_true, y_pred and the weights as doubles; `weight` stays empty for unit weights.
struct regression_inputs {
    std::vector<double> truth;
    std::vector<double> pred;
    std::vector<double> weight;
};

template <class R>
[[nodiscard]] std::vector<double> finite_values(const R& r, const char* where, const char* arg) {
    std::vector<double> out;
    if constexpr (std::ranges::sized_range<R>) out.reserve(static_cast<std::size_t>(std::ranges::size(r)));
    for (auto&& v : r) {
        const auto x = static_cast<double>(v);
        if (!std::isfinite(x)) {
            throw_argument(where, arg,
                           std::string("contains ") + (std::isnan(x) ? "NaN" : "Inf") + " at position " +
                               std::to_string(out.size()));
        }
        out.push_back(x);
    }
    return out;
}

template <class A, class B>
[[nodiscard]] regression_inputs collect_regression_inputs(const A& y_true, const B& y_pred, const char* where) {
    regression_inputs in{finite_values(y_true, where, "y_true"), finite_values(y_pred, where, "y_pred"), {}};
    if (in.pred.size() != in.truth.size()) {
        throw_argument<dimension_mismatch>(where, "y_pred",
                                           "has " + std::to_string(in.pred.size()) + " values but y_true has " +
                                               std::to_string(in.truth.size()));
    }
    if (in.truth.empty()) throw_argument(where, "y_true", "is empty");
    return in;
}

template <class A, class B, class W>
[[nodiscard]] regression_inputs collect_regression_inputs(const A& y_true, const B& y_pred, const W& sample_weight,
                                                          const char* where) {
    auto in = collect_regression_inputs(y_true, y_pred, where);
    for (auto&& v : sample_weight) in.weight.push_back(static_cast<double>(v));
    if (in.weight.size() != in.truth.size()) {
        throw_argument<dimension_mismatch>(where, "sample_weight",
                                           "has " + std::to_string(in.weight.size()) + " weights but y_true has " +
                                               std::to_string(in.truth.size()) + " values");
    }
    bool any = false;
    for (std::size_t i = 0; i < in.weight.size(); ++i) {
        const double w = in.weight[i];
        if (!std::isfinite(w)) {
            throw_argument(where, "sample_weight",
                           std::string("contains ") + (std::isnan(w) ? "NaN" : "Inf") + " at position " +
                               std::to_string(i));
        }
        if (w < 0) {
            throw_argument(where, "sample_weight",
                           "is negative (" + number_text(w) + ") at position " + std::to_string(i));
        }
        any = any || w > 0;
    }
    // scikit-learn divides by the weight total, 0 here (numpy raises ZeroDivisionError).
    if (!any) throw_argument(where, "sample_weight", "is zero for every value: the weighted mean is undefined");
    return in;
}

[[nodiscard]] inline double weight_at(const regression_inputs& in, std::size_t i) noexcept {
    return in.weight.empty() ? 1.0 : in.weight[i];
}

// sum_i w_i f(y_i, p_i) / sum_i w_i.
template <class F>
[[nodiscard]] double weighted_mean_of(const regression_inputs& in, F f) {
    double sum = 0;
    double total = 0;
    for (std::size_t i = 0; i < in.truth.size(); ++i) {
        const double w = weight_at(in, i);
        if (w == 0) continue;  // a zero weight removes the row, even where f overflows
        sum += w * f(in.truth[i], in.pred[i]);
        total += w;
    }
    return sum / total;
}

[[nodiscard]] inline double r2_of(const regression_inputs& in, const char* where) {
    const std::size_t n = in.truth.size();
    if (n < 2) throw_argument(where, "y_true", "has 1 value: R^2 needs at least 2");
    // Deviations are taken from the first row of nonzero weight, y0. For a constant y_true
    // every deviation and the mean deviation are then exactly 0, so such a y_true is always
    // recognized; a mean computed directly (sum / n) can round away from the constant.
    std::size_t first = 0;
    while (weight_at(in, first) == 0) ++first;
    const double y0 = in.truth[first];
    const double shift = weighted_mean_of(in, [y0](double t, double) { return t - y0; });
    double residual = 0;
    double spread = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double w = weight_at(in, i);
        if (w == 0) continue;
        const double e = in.truth[i] - in.pred[i];
        const double d = (in.truth[i] - y0) - shift;
        residual += w * e * e;
        spread += w * d * d;
    }
    if (spread == 0) return residual == 0 ? 1.0 : 0.0;
    return 1.0 - residual / spread;
}

/// \endcond
}  // namespace detail

/// The mean squared error sum_i (y_i - p_i)^2 / n (scikit-learn's mean_squared_error).
/// Complexity: O(n) time, O(n) extra memory (the values are read once, as double).
/// Throws `tessera::dimension_mismatch` when the ranges differ in length and
/// `tessera::invalid_argument` when y_true is empty or a value is NaN or infinite.
template <number_range A, number_range B>
[[nodiscard]] double mean_squared_error(const A& y_true, const B& y_pred) {
    const auto in = detail::collect_regression_inputs(y_true, y_pred, "mean_squared_error");
    return detail::weighted_mean_of(in, [](double t, double p) { return (t - p) * (t - p); });
}

/// The weighted mean squared error sum_i w_i (y_i - p_i)^2 / sum_i w_i. Throws as the
/// unweighted form, plus `tessera::dimension_mismatch` when sample_weight differs in length
/// and `tessera::invalid_argument` for a negative, NaN or infinite weight or weights that are
/// all 0 (scikit-learn accepts negative weights; tessera does not).
template <number_range A, number_range B, number_range W>
[[nodiscard]] double mean_squared_error(const A& y_true, const B& y_pred, const W& sample_weight) {
    const auto in = detail::collect_regression_inputs(y_true, y_pred, sample_weight, "mean_squared_error");
    return detail::weighted_mean_of(in, [](double t, double p) { return (t - p) * (t - p); });
}

/// The mean absolute error sum_i |y_i - p_i| / n (scikit-learn's mean_absolute_error).
/// Complexity and exceptions as mean_squared_error.
template <number_range A, number_range B>
[[nodiscard]] double mean_absolute_error(const A& y_true, const B& y_pred) {
    const auto in = detail::collect_regression_inputs(y_true, y_pred, "mean_absolute_error");
    return detail::weighted_mean_of(in, [](double t, double p) { return std::fabs(p - t); });
}

/// The weighted mean absolute error sum_i w_i |y_i - p_i| / sum_i w_i. Exceptions as the
/// weighted mean_squared_error.
template <number_range A, number_range B, number_range W>
[[nodiscard]] double mean_absolute_error(const A& y_true, const B& y_pred, const W& sample_weight) {
    const auto in = detail::collect_regression_inputs(y_true, y_pred, sample_weight, "mean_absolute_error");
    return detail::weighted_mean_of(in, [](double t, double p) { return std::fabs(p - t); });
}

/// The coefficient of determination R^2 = 1 - sum_i (y_i - p_i)^2 / sum_i (y_i - mean y)^2
/// (scikit-learn's r2_score, force_finite=True): 1 is a perfect prediction, 0 that of the mean,
/// and it is negative for worse. When y_true is constant the ratio is undefined: the result is
/// 1 for a perfect prediction and 0 otherwise. (scikit-learn may miss a constant y_true whose
/// computed mean rounds away from the constant, e.g. three times 0.1; tessera never does.)
/// Complexity: O(n) time and extra memory. Throws as mean_squared_error, and
/// `tessera::invalid_argument` for fewer than 2 values (where scikit-learn warns and returns NaN).
template <number_range A, number_range B>
[[nodiscard]] double r2_score(const A& y_true, const B& y_pred) {
    constexpr const char* where = "r2_score";
    return detail::r2_of(detail::collect_regression_inputs(y_true, y_pred, where), where);
}

/// The weighted R^2 = 1 - sum_i w_i (y_i - p_i)^2 / sum_i w_i (y_i - m)^2 with m the weighted
/// mean of y_true; "constant" means constant over the rows of nonzero weight. Exceptions as
/// the unweighted form and the weighted mean_squared_error.
template <number_range A, number_range B, number_range W>
[[nodiscard]] double r2_score(const A& y_true, const B& y_pred, const W& sample_weight) {
    constexpr const char* where = "r2_score";
    return detail::r2_of(detail::collect_regression_inputs(y_true, y_pred, sample_weight, where), where);
}

}  // namespace tessera
