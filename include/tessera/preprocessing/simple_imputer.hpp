/// \file
/// tessera/preprocessing/simple_imputer.hpp - fills missing values of dense rows with one
/// statistic per column learnt at fit, as scikit-learn 1.2's SimpleImputer does:
///
/// ```
///   mean            the mean of the observed values
///   median          the middle observed value (the mean of the two middle ones for even counts)
///   most_frequent   the most frequent observed value (the smallest one on ties)
///   constant        options.fill_value
/// ```
///
/// A value is missing when it is NaN (missing_values = NaN, the default) or when it equals the
/// given finite missing_values marker. Infinities are always an error, and so is NaN when the
/// marker is a finite number. A column without any observed value at fit is an error unless
/// keep_empty_features is set (then it is filled with 0, or fill_value for constant); it is never
/// dropped silently as scikit-learn drops it. Statistics are computed in double.
///
/// Thread safety: const members (transform, accessors, save) may run concurrently; fit must not
/// run alongside anything else on the same imputer.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/preprocessing/detail/common.hpp"

namespace tessera {

/// The statistic simple_imputer fills a column's missing values with.
enum class impute_strategy : std::uint8_t {
    mean,           ///< mean of the observed values
    median,         ///< median of the observed values (mean of the middle two for even counts)
    most_frequent,  ///< mode of the observed values, the smallest one on ties
    constant,       ///< options.fill_value
};

/// Options of simple_imputer.
struct simple_imputer_options {
    impute_strategy strategy = impute_strategy::mean;  ///< the statistic missing values become
    /// The marker of a missing value: NaN (every NaN is missing), or a finite number that T
    /// can hold (values equal to it in T are missing, and NaN in X is then an error).
    double missing_values = std::numeric_limits<double>::quiet_NaN();
    /// The value of the constant strategy (finite, held by T; unused by the others).
    double fill_value = 0.0;
    /// Impute a column that has no observed value at fit with 0 (fill_value for constant)
    /// instead of refusing it.
    bool keep_empty_features = false;
};

/// Replaces the missing values of every column by a statistic of that column's observed
/// training values (see impute_strategy). T is float or double; dense X only.
///
/// Complexity: fit O(n d) for mean and constant, O(n d log n) for median and most_frequent
/// (one column at a time, O(n) extra memory); transform O(n d). Exceptions: invalid_argument for
/// empty X, Inf anywhere, NaN when missing_values is finite, a column without observed values
/// (unless keep_empty_features or constant), options that are not finite where they must be;
/// dimension_mismatch for another width; not_fitted_error before fit; format_error for a corrupt
/// archive. A failed fit leaves the imputer as it was.
/// Thread safety: const members may run concurrently; fit needs exclusive access.
template <class T = double, class Allocator = std::allocator<T>>
class simple_imputer : public detail::column_model<simple_imputer<T, Allocator>, T, Allocator> {
    static_assert(std::is_floating_point_v<T>, "simple_imputer reads and writes float or double values");
    using base = detail::column_model<simple_imputer<T, Allocator>, T, Allocator>;
    using typename base::double_allocator;
    using typename base::double_vector;
    using typename base::value_allocator;

public:
    using options = simple_imputer_options;  ///< the options type
    using typename base::dense_output;

    /// An unfitted imputer. The options are checked by fit, not here.
    explicit simple_imputer(options opts = {}, const Allocator& alloc = Allocator())
        : base(alloc), options_(opts), statistics_(double_allocator(alloc)) {}

    /// Learns one statistic per column from the observed values of X (dense rows of T),
    /// replacing anything learnt before.
    template <class X>
        requires detail::model_input<X, T, false>
    void fit(const X& x) {
        constexpr const char* where = "simple_imputer::fit";
        const auto in = detail::model_rows(x, where);
        check_options(where);
        detail::require_fit_shape(in, where);
        require_valid_cells(in, where);
        auto stats = learn(in, where);
        statistics_ = std::move(stats);
        this->n_features_ = in.cols();
        this->n_samples_seen_ = in.rows();
    }

    /// A copy of X with every missing value replaced by its column's statistic. Throws
    /// not_fitted_error before fit, dimension_mismatch for another width, invalid_argument for
    /// Inf (or NaN with a finite marker). O(n d).
    template <class X>
        requires detail::model_input<X, T, false>
    [[nodiscard]] dense_output transform(const X& x) const {
        constexpr const char* where = "simple_imputer::transform";
        detail::require_fitted(this->fitted(), where);
        const auto in = detail::model_rows(x, where);
        this->require_width(in, where);
        require_valid_cells(in, where);
        const std::size_t d = this->n_features_;
        std::vector<T, value_allocator> fill(d, T{}, value_allocator(this->alloc_));
        for (std::size_t j = 0; j < d; ++j) fill[j] = static_cast<T>(statistics_[j]);
        dense_output out(in.rows(), d, row_padding::aligned, value_allocator(this->alloc_));
        for (std::size_t i = 0; i < in.rows(); ++i) {
            const auto* row = std::ranges::data(in.row(i));
            T* o = out.data() + i * out.stride();
            for (std::size_t j = 0; j < d; ++j) o[j] = missing(row[j]) ? fill[j] : row[j];
        }
        return out;
    }

    /// fit(X), then transform(X).
    template <class X>
        requires detail::model_input<X, T, false>
    [[nodiscard]] dense_output fit_transform(const X& x) {
        fit(x);
        return transform(x);
    }

    /// The value every column's missing entries become (empty before fit).
    [[nodiscard]] std::span<const double> statistics() const noexcept { return statistics_; }
    /// The options given at construction (or read by load).
    [[nodiscard]] const options& get_options() const noexcept { return options_; }

    static constexpr const char* archive_kind = "simple_imputer";  ///< model kind in archives

    /// Writes the fitted state (save calls it). Throws not_fitted_error before fit.
    void write_to(archive_writer& w) const {
        this->write_shape(w);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.strategy));
        w.write<double>(options_.missing_values);
        w.write<double>(options_.fill_value);
        w.write<std::uint8_t>(options_.keep_empty_features ? 1 : 0);
        w.write_span(std::span<const double>(statistics_));
    }

    /// Reads what write_to wrote (load calls it). Throws format_error for a payload that is
    /// malformed or inconsistent.
    [[nodiscard]] static simple_imputer read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "simple_imputer::read_from";
        simple_imputer s(options{}, alloc);
        s.read_shape(r, where);
        const auto strategy = r.read<std::uint8_t>("strategy");
        if (strategy > static_cast<std::uint8_t>(impute_strategy::constant)) {
            r.fail(std::string(where) + ": unknown strategy " + std::to_string(strategy));
        }
        s.options_.strategy = static_cast<impute_strategy>(strategy);
        s.options_.missing_values = r.read<double>("missing_values");
        s.options_.fill_value = r.read<double>("fill_value");
        const auto keep = r.read<std::uint8_t>("keep_empty_features");
        if (keep > 1) r.fail(std::string(where) + ": keep_empty_features is neither 0 nor 1");
        s.options_.keep_empty_features = keep == 1;
        s.statistics_ = s.read_column_vector(r, "statistics", where);
        r.expect_end();
        try {
            s.check_options(where);
        } catch (const invalid_argument& e) {
            r.fail(e.what());
        }
        return s;
    }

private:
    [[nodiscard]] bool nan_marker() const noexcept { return std::isnan(options_.missing_values); }

    [[nodiscard]] bool missing(T v) const noexcept {
        return nan_marker() ? std::isnan(v) : v == static_cast<T>(options_.missing_values);
    }

    // Whether v is finite and T holds it (a double beyond float's range has no float value).
    [[nodiscard]] static bool representable(double v) noexcept {
        return std::isfinite(v) && std::fabs(v) <= static_cast<double>(std::numeric_limits<T>::max());
    }

    void check_options(const char* where) const {
        const auto s = static_cast<std::uint8_t>(options_.strategy);
        if (s > static_cast<std::uint8_t>(impute_strategy::constant)) {
            detail::throw_argument(where, "options.strategy", "is not an impute_strategy (" + std::to_string(s) + ")");
        }
        if (!nan_marker() && !representable(options_.missing_values)) {
            detail::throw_argument(where, "options.missing_values",
                                   "must be NaN or a finite value of the element type, got " +
                                       detail::number_text(options_.missing_values));
        }
        if (options_.strategy == impute_strategy::constant && !representable(options_.fill_value)) {
            detail::throw_argument(where, "options.fill_value",
                                   "must be a finite value of the element type, got " +
                                       detail::number_text(options_.fill_value));
        }
    }

    // Infinities are never data; NaN is data only as the missing marker. Valid rows pay one
    // vectorizable read (all_valid); the search that names the value runs only where it fails.
    template <class In>
    void require_valid_cells(const In& in, const char* where) const {
        const bool nan_ok = nan_marker();
        for (std::size_t i = 0; i < in.rows(); ++i) {
            const auto* row = std::ranges::data(in.row(i));
            if (detail::all_valid<false, false>(row, in.cols())) continue;
            for (std::size_t j = 0; j < in.cols(); ++j) {
                const T v = row[j];
                if (!std::isfinite(v) && !(nan_ok && std::isnan(v))) {
                    detail::throw_not_finite(static_cast<double>(v), i, j, where);
                }
            }
        }
    }

    template <class In>
    [[nodiscard]] double_vector learn(const In& in, const char* where) const {
        const std::size_t n = in.rows();
        const std::size_t d = in.cols();
        if (options_.strategy == impute_strategy::constant) {
            return double_vector(d, options_.fill_value, double_allocator(this->alloc_));
        }
        using size_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<std::size_t>;
        double_vector stats(d, 0.0, double_allocator(this->alloc_));
        std::vector<std::size_t, size_allocator> count(d, 0, size_allocator(this->alloc_));
        if (options_.strategy == impute_strategy::mean) {
            for (std::size_t i = 0; i < n; ++i) {
                const auto* row = std::ranges::data(in.row(i));
                for (std::size_t j = 0; j < d; ++j) {
                    if (missing(row[j])) continue;
                    stats[j] += static_cast<double>(row[j]);
                    ++count[j];
                }
            }
            for (std::size_t j = 0; j < d; ++j) {
                if (count[j] > 0) stats[j] /= static_cast<double>(count[j]);
            }
        } else {
            // One column at a time, so the extra memory is one column of observed values.
            double_vector column(double_allocator(this->alloc_));
            column.reserve(n);
            for (std::size_t j = 0; j < d; ++j) {
                column.clear();
                for (std::size_t i = 0; i < n; ++i) {
                    const T v = in.row(i)[j];
                    if (!missing(v)) column.push_back(static_cast<double>(v));
                }
                count[j] = column.size();
                if (!column.empty()) {
                    stats[j] = options_.strategy == impute_strategy::median ? median_of(column) : mode_of(column);
                }
            }
        }
        for (std::size_t j = 0; j < d; ++j) {
            if (count[j] > 0) continue;
            if (!options_.keep_empty_features) {
                detail::throw_argument(where, "X",
                                       "column " + std::to_string(j) +
                                           " has no observed value: nothing to impute it from (set "
                                           "options.keep_empty_features to fill it with 0)");
            }
        }
        return stats;
    }

    // numpy's median: the middle element, or the mean of the two middle ones for an even count.
    [[nodiscard]] static double median_of(double_vector& v) {
        const std::size_t half = v.size() / 2;
        const auto mid = v.begin() + static_cast<std::ptrdiff_t>(half);
        std::nth_element(v.begin(), mid, v.end());
        if (v.size() % 2 == 1) return *mid;
        const double below = *std::max_element(v.begin(), mid);
        return std::midpoint(below, *mid);
    }

    // The value with the longest run in sorted order; a strictly longer run is needed to
    // replace the current one, so ties go to the smallest value.
    [[nodiscard]] static double mode_of(double_vector& v) {
        std::sort(v.begin(), v.end());
        double best = v[0];
        std::size_t best_count = 0;
        for (std::size_t a = 0; a < v.size();) {
            std::size_t b = a + 1;
            while (b < v.size() && v[b] == v[a]) ++b;
            if (b - a > best_count) {
                best = v[a];
                best_count = b - a;
            }
            a = b;
        }
        return best;
    }

    options options_;
    double_vector statistics_;
};

}  // namespace tessera
