/// \file
/// tessera/preprocessing/scalers.hpp - per-feature scaling fitted on training rows, with
/// scikit-learn 1.2's formulas:
///
/// ```
///   standard_scaler   (x - mean) / std        (population std; near-constant features: 1)
///   min_max_scaler    x * scale + min         (maps [data_min, data_max] onto feature_range)
///   max_abs_scaler    x / max|x|              (keeps zeros: the scaler for sparse data)
/// ```
///
/// Dense rows of T or CSR matrices of T come in; transform returns a dense_matrix<T> or a
/// csr_matrix<T, Index> of the same shape. Sparse input is never centered: standard_scaler needs
/// with_mean = false for it and min_max_scaler refuses it (a shift would fill every zero), as
/// scikit-learn does. Statistics are computed in double with two passes.
///
/// Unlike scikit-learn, which skips NaN as "missing", a NaN or Inf in X is an error here: fill
/// missing values first.
///
/// Thread safety: const members (transform, inverse_transform, accessors, save) may run
/// concurrently; fit must not run alongside anything else on the same scaler.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/preprocessing/detail/common.hpp"

namespace tessera {

/// Options of standard_scaler.
struct standard_scaler_options {
    /// Subtract the mean (must be false for sparse X).
    bool with_mean = true;
    /// Divide by the population standard deviation.
    bool with_std = true;
};

/// Options of min_max_scaler.
struct min_max_scaler_options {
    /// The target range [lo, hi] of every feature: finite, lo < hi.
    double range_min = 0.0;
    double range_max = 1.0;  ///< upper end of the target range (see range_min)
    /// Clip transformed values to the range (values outside the training range map outside it
    /// otherwise).
    bool clip = false;
};

/// Options of max_abs_scaler (none; an aggregate for symmetry with the others).
struct max_abs_scaler_options {};

namespace detail {
/// \cond

// Per-column statistics of X in double: count, mean, population variance, min, max, max |x|.
struct column_stats {
    std::size_t rows = 0;
    std::vector<double> mean, var, min, max, max_abs;
};

template <class In>
[[nodiscard]] column_stats compute_column_stats(const In& in) {
    const std::size_t n = in.rows();
    const std::size_t d = in.cols();
    column_stats s;
    s.rows = n;
    s.mean.assign(d, 0.0);
    s.var.assign(d, 0.0);
    s.min.assign(d, std::numeric_limits<double>::infinity());
    s.max.assign(d, -std::numeric_limits<double>::infinity());
    s.max_abs.assign(d, 0.0);
    const auto visit = [&](auto&& f) {
        for (std::size_t i = 0; i < n; ++i) {
            if constexpr (is_sparse_input<In>) {
                const auto r = in.row(i);
                for (std::size_t t = 0; t < r.size(); ++t) {
                    f(static_cast<std::size_t>(r.indices[t]), static_cast<double>(r.values[t]));
                }
            } else {
                const auto* row = std::ranges::data(in.row(i));
                for (std::size_t j = 0; j < d; ++j) f(j, static_cast<double>(row[j]));
            }
        }
    };
    visit([&](std::size_t j, double v) {
        s.mean[j] += v;
        s.min[j] = std::min(s.min[j], v);
        s.max[j] = std::max(s.max[j], v);
        s.max_abs[j] = std::max(s.max_abs[j], std::fabs(v));
    });
    for (double& m : s.mean) m /= static_cast<double>(n);
    // Second pass: squared deviations (for CSR the implicit zeros add mean^2 each).
    std::vector<std::size_t> stored(d, 0);
    visit([&](std::size_t j, double v) {
        const double e = v - s.mean[j];
        s.var[j] += e * e;
        ++stored[j];
    });
    for (std::size_t j = 0; j < d; ++j) {
        const std::size_t zeros = n - stored[j];
        if (zeros > 0) {  // only CSR leaves values implicit
            s.var[j] += static_cast<double>(zeros) * s.mean[j] * s.mean[j];
            s.min[j] = std::min(s.min[j], 0.0);
            s.max[j] = std::max(s.max[j], 0.0);
        }
        s.var[j] /= static_cast<double>(n);
    }
    return s;
}

/// \endcond

/// What standard_scaler, min_max_scaler and max_abs_scaler share: fit, transform,
/// fit_transform and inverse_transform of dense and CSR input, on top of column_model's fitted
/// state and persistence. Users name the scalers, never this base.
///
/// Each scaler maps every element of column j through its own fitted function, in double, and
/// rounds the result to T. Thread safety: the const members may run concurrently on one scaler;
/// fit needs exclusive access.
template <class Derived, class T, class Allocator>
class column_scaler : public column_model<Derived, T, Allocator> {
    /// \cond
    static_assert(std::is_floating_point_v<T>, "the scalers read and write float or double values");
    using model = column_model<Derived, T, Allocator>;

protected:
    using typename model::value_allocator;
    using model::alloc_;
    using model::derived;
    using model::n_features_;
    using model::n_samples_seen_;

    /// \endcond
public:
    using typename model::dense_output;
    using model::fitted;

    /// Learns the per-feature statistics from X (dense rows of T or a CSR matrix of T),
    /// replacing anything learnt before. O(nnz) time, O(d) memory. Throws invalid_argument for
    /// bad options, an empty X, NaN or Inf, or CSR input the scaler refuses (standard_scaler with
    /// with_mean, min_max_scaler).
    template <class X>
        requires model_input<X, T, true>
    void fit(const X& x) {
        const char* where = Derived::fit_where;
        const auto in = model_rows(x, where);
        derived().check_options(where);
        require_fit_shape(in, where);
        derived().check_sparse(is_sparse_input<decltype(in)>, where);
        require_finite_input(in, where);
        derived().learn(compute_column_stats(in));
        n_features_ = in.cols();
        n_samples_seen_ = in.rows();
    }

    /// The scaled copy of X: a dense_matrix<T> for dense X, a csr_matrix<T, Index> with the
    /// same stored positions for CSR X. Throws not_fitted_error before fit, dimension_mismatch
    /// for another width, invalid_argument for NaN or Inf. O(nnz).
    template <class X>
        requires model_input<X, T, true>
    [[nodiscard]] auto transform(const X& x) const {
        return apply(x, Derived::transform_where, false);
    }

    /// fit(X), then transform(X).
    template <class X>
        requires model_input<X, T, true>
    [[nodiscard]] auto fit_transform(const X& x) {
        fit(x);
        return transform(x);
    }

    /// Undoes transform: X in original units (up to rounding).
    template <class X>
        requires model_input<X, T, true>
    [[nodiscard]] auto inverse_transform(const X& x) const {
        return apply(x, Derived::inverse_where, true);
    }

    /// \cond
protected:
    explicit column_scaler(const Allocator& alloc) : model(alloc) {}

private:
    template <class X>
    [[nodiscard]] auto apply(const X& x, const char* where, bool inverse) const {
        require_fitted(fitted(), where);
        const auto in = model_rows(x, where);
        using In = decltype(in);
        this->require_width(in, where);
        require_finite_input(in, where);
        const Derived& self = derived();
        const auto map = [&](std::size_t j, T v) {
            const double y = inverse ? self.backward(j, static_cast<double>(v)) : self.forward(j, static_cast<double>(v));
            return static_cast<T>(y);
        };
        if constexpr (is_sparse_input<In>) {
            derived().check_sparse(true, where);
            using Index = std::remove_cv_t<std::ranges::range_value_t<decltype(in.indices())>>;
            using out_type = csr_matrix<T, Index, value_allocator>;
            typename out_type::index_vector indptr(in.indptr().begin(), in.indptr().end(),
                                                   typename out_type::index_vector::allocator_type(alloc_));
            typename out_type::index_vector indices(in.indices().begin(), in.indices().end(),
                                                    typename out_type::index_vector::allocator_type(alloc_));
            typename out_type::value_vector values(in.values().size(), T{}, value_allocator(alloc_));
            for (std::size_t i = 0; i < in.rows(); ++i) {
                const auto r = in.row(i);
                const std::size_t base = static_cast<std::size_t>(in.indptr()[i]);
                for (std::size_t t = 0; t < r.size(); ++t) values[base + t] = map(static_cast<std::size_t>(r.indices[t]), r.values[t]);
            }
            return out_type(in.rows(), in.cols(), std::move(indptr), std::move(indices), std::move(values));
        } else {
            dense_output out(in.rows(), n_features_, row_padding::aligned, value_allocator(alloc_));
            for (std::size_t i = 0; i < in.rows(); ++i) {
                const auto* row = std::ranges::data(in.row(i));
                T* o = out.data() + i * out.stride();
                for (std::size_t j = 0; j < n_features_; ++j) o[j] = map(j, row[j]);
            }
            return out;
        }
    }
    /// \endcond
};
/// \cond

// scikit-learn's _is_constant_feature: a variance within the two-pass algorithm's rounding
// bound (Chan, Golub and LeVeque) is that of a constant feature.
[[nodiscard]] inline bool near_constant(double var, double mean, std::size_t n) noexcept {
    const double eps = std::numeric_limits<double>::epsilon();
    const double nd = static_cast<double>(n);
    return var <= nd * eps * var + (nd * mean * eps) * (nd * mean * eps);
}

/// \endcond
}  // namespace detail

/// Standardizes features: (x - mean) / std with the population standard deviation of the
/// training rows; a feature whose variance is indistinguishable from 0 keeps scale 1.
/// Sparse X needs with_mean = false (centering would fill the zeros).
///
/// Complexity: fit two passes over X, O(d) memory; transform O(nnz). Exceptions:
/// invalid_argument for empty X, NaN or Inf, sparse X with with_mean; dimension_mismatch for
/// another width; not_fitted_error before fit; format_error for a corrupt archive.
template <class T = double, class Allocator = std::allocator<double>>
class standard_scaler : public detail::column_scaler<standard_scaler<T, Allocator>, T, Allocator> {
    using base = detail::column_scaler<standard_scaler<T, Allocator>, T, Allocator>;
    friend base;
    using typename base::double_vector;

public:
    using options = standard_scaler_options;  ///< the options type

    /// An unfitted scaler.
    explicit standard_scaler(options opts = {}, const Allocator& alloc = Allocator())
        : base(alloc), options_(opts), mean_(typename base::double_allocator(alloc)),
          var_(typename base::double_allocator(alloc)), scale_(typename base::double_allocator(alloc)) {}

    /// The training mean of every feature (computed also when with_mean is false).
    [[nodiscard]] std::span<const double> mean() const noexcept { return mean_; }
    /// The population variance of every feature.
    [[nodiscard]] std::span<const double> var() const noexcept { return var_; }
    /// The divisor of every feature: the standard deviation (1 for near-constant features, and
    /// for all without with_std).
    [[nodiscard]] std::span<const double> scale() const noexcept { return scale_; }
    /// The options given at construction (or read by load).
    [[nodiscard]] const options& get_options() const noexcept { return options_; }

    static constexpr const char* archive_kind = "standard_scaler";  ///< model kind in archives

    /// Writes the fitted state (save calls it). Throws not_fitted_error before fit.
    void write_to(archive_writer& w) const {
        this->write_shape(w);
        w.write<std::uint8_t>(options_.with_mean ? 1 : 0);
        w.write<std::uint8_t>(options_.with_std ? 1 : 0);
        w.write_span(std::span<const double>(mean_));
        w.write_span(std::span<const double>(var_));
        w.write_span(std::span<const double>(scale_));
    }

    /// Reads what write_to wrote (load calls it). Throws format_error for a payload that is
    /// malformed or inconsistent.
    [[nodiscard]] static standard_scaler read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "standard_scaler::read_from";
        standard_scaler s(options{}, alloc);
        s.read_shape(r, where);
        const auto with_mean = r.read<std::uint8_t>("with_mean");
        const auto with_std = r.read<std::uint8_t>("with_std");
        if (with_mean > 1 || with_std > 1) r.fail(std::string(where) + ": a flag is neither 0 nor 1");
        s.options_ = {with_mean == 1, with_std == 1};
        s.mean_ = s.read_column_vector(r, "mean", where);
        s.var_ = s.read_column_vector(r, "var", where);
        s.scale_ = s.template read_column_vector<true>(r, "scale", where);
        r.expect_end();
        for (const double v : s.var_) {
            if (v < 0) r.fail(std::string(where) + ": a variance is negative");
        }
        return s;
    }

private:
    static constexpr const char* fit_where = "standard_scaler::fit";
    static constexpr const char* transform_where = "standard_scaler::transform";
    static constexpr const char* inverse_where = "standard_scaler::inverse_transform";

    void check_options(const char*) const noexcept {}
    void check_sparse(bool sparse, const char* where) const {
        if (sparse && options_.with_mean) {
            detail::throw_argument(where, "X",
                                   "is sparse: centering would fill every zero; use with_mean = false (or "
                                   "max_abs_scaler)");
        }
    }
    void learn(const detail::column_stats& s) {
        mean_ = this->make_vector(s.mean);
        var_ = this->make_vector(s.var);
        scale_ = this->make_vector(std::vector<double>(s.var.size(), 1.0));
        if (options_.with_std) {
            for (std::size_t j = 0; j < s.var.size(); ++j) {
                scale_[j] = detail::near_constant(s.var[j], s.mean[j], s.rows) ? 1.0 : std::sqrt(s.var[j]);
            }
        }
    }
    [[nodiscard]] double forward(std::size_t j, double x) const noexcept {
        return ((options_.with_mean ? x - mean_[j] : x)) / scale_[j];
    }
    [[nodiscard]] double backward(std::size_t j, double y) const noexcept {
        const double v = y * scale_[j];
        return options_.with_mean ? v + mean_[j] : v;
    }

    options options_;
    double_vector mean_, var_, scale_;
};

/// Maps every feature's training range [data_min, data_max] onto [range_min, range_max]:
/// x * scale + min with scale = (range_max - range_min) / (data_max - data_min) (a constant
/// feature gets a divisor of 1) and min = range_min - data_min * scale. Dense X only: on
/// sparse data the shift would fill the zeros (max_abs_scaler keeps them).
///
/// Complexity: fit one pass (two with the shared statistics), transform O(n d). Exceptions as
/// standard_scaler's, and invalid_argument for a range that is not finite with min < max, or
/// for sparse X.
template <class T = double, class Allocator = std::allocator<double>>
class min_max_scaler : public detail::column_scaler<min_max_scaler<T, Allocator>, T, Allocator> {
    using base = detail::column_scaler<min_max_scaler<T, Allocator>, T, Allocator>;
    friend base;
    using typename base::double_vector;

public:
    using options = min_max_scaler_options;  ///< the options type

    /// An unfitted scaler. The options are checked by fit, not here.
    explicit min_max_scaler(options opts = {}, const Allocator& alloc = Allocator())
        : base(alloc), options_(opts), data_min_(typename base::double_allocator(alloc)),
          data_max_(typename base::double_allocator(alloc)), scale_(typename base::double_allocator(alloc)),
          min_(typename base::double_allocator(alloc)) {}

    ///@{
    /// The smallest and the largest training value of every feature.
    [[nodiscard]] std::span<const double> data_min() const noexcept { return data_min_; }
    [[nodiscard]] std::span<const double> data_max() const noexcept { return data_max_; }
    ///@}
    ///@{
    /// The factor and the offset of x * scale + min.
    [[nodiscard]] std::span<const double> scale() const noexcept { return scale_; }
    [[nodiscard]] std::span<const double> min() const noexcept { return min_; }
    ///@}
    /// The options given at construction (or read by load).
    [[nodiscard]] const options& get_options() const noexcept { return options_; }

    static constexpr const char* archive_kind = "min_max_scaler";  ///< model kind in archives

    /// Writes the fitted state (save calls it). Throws not_fitted_error before fit.
    void write_to(archive_writer& w) const {
        this->write_shape(w);
        w.write<double>(options_.range_min);
        w.write<double>(options_.range_max);
        w.write<std::uint8_t>(options_.clip ? 1 : 0);
        w.write_span(std::span<const double>(data_min_));
        w.write_span(std::span<const double>(data_max_));
    }

    /// Reads what write_to wrote (load calls it). Throws format_error for a payload that is
    /// malformed or inconsistent.
    [[nodiscard]] static min_max_scaler read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "min_max_scaler::read_from";
        min_max_scaler s(options{}, alloc);
        s.read_shape(r, where);
        s.options_.range_min = r.read<double>("range_min");
        s.options_.range_max = r.read<double>("range_max");
        const auto clip = r.read<std::uint8_t>("clip");
        if (clip > 1) r.fail(std::string(where) + ": clip is neither 0 nor 1");
        s.options_.clip = clip == 1;
        auto lo = s.read_column_vector(r, "data_min", where);
        auto hi = s.read_column_vector(r, "data_max", where);
        r.expect_end();
        try {
            s.check_options(where);
        } catch (const invalid_argument& e) {
            r.fail(e.what());
        }
        detail::column_stats st;
        st.min.assign(lo.begin(), lo.end());
        st.max.assign(hi.begin(), hi.end());
        for (std::size_t j = 0; j < st.min.size(); ++j) {
            if (st.min[j] > st.max[j]) r.fail(std::string(where) + ": data_min exceeds data_max");
        }
        s.learn(st);
        return s;
    }

private:
    static constexpr const char* fit_where = "min_max_scaler::fit";
    static constexpr const char* transform_where = "min_max_scaler::transform";
    static constexpr const char* inverse_where = "min_max_scaler::inverse_transform";

    void check_options(const char* where) const {
        if (!std::isfinite(options_.range_min) || !std::isfinite(options_.range_max) ||
            !(options_.range_min < options_.range_max)) {
            detail::throw_argument(where, "options.range_min, options.range_max",
                                   "must be finite with range_min < range_max, got [" +
                                       detail::number_text(options_.range_min) + ", " +
                                       detail::number_text(options_.range_max) + "]");
        }
    }
    void check_sparse(bool sparse, const char* where) const {
        if (sparse) {
            detail::throw_argument(where, "X",
                                   "is sparse: shifting onto a range would fill every zero; use max_abs_scaler");
        }
    }
    void learn(const detail::column_stats& s) {
        data_min_ = this->make_vector(s.min);
        data_max_ = this->make_vector(s.max);
        scale_ = this->make_vector(std::vector<double>(s.min.size(), 0.0));
        min_ = this->make_vector(std::vector<double>(s.min.size(), 0.0));
        const double span = options_.range_max - options_.range_min;
        for (std::size_t j = 0; j < s.min.size(); ++j) {
            double range = s.max[j] - s.min[j];
            if (range < 10 * std::numeric_limits<double>::epsilon()) range = 1.0;  // scikit-learn's rule
            scale_[j] = span / range;
            min_[j] = options_.range_min - s.min[j] * scale_[j];
        }
    }
    [[nodiscard]] double forward(std::size_t j, double x) const noexcept {
        const double y = x * scale_[j] + min_[j];
        return options_.clip ? std::clamp(y, options_.range_min, options_.range_max) : y;
    }
    [[nodiscard]] double backward(std::size_t j, double y) const noexcept { return (y - min_[j]) / scale_[j]; }

    options options_;
    double_vector data_min_, data_max_, scale_, min_;
};

/// Divides every feature by its largest absolute training value (1 for an all-zero feature),
/// mapping it into [-1, 1] without moving zeros: the scaler for sparse data.
///
/// Complexity: fit O(nnz), transform O(nnz). Exceptions as standard_scaler's.
template <class T = double, class Allocator = std::allocator<double>>
class max_abs_scaler : public detail::column_scaler<max_abs_scaler<T, Allocator>, T, Allocator> {
    using base = detail::column_scaler<max_abs_scaler<T, Allocator>, T, Allocator>;
    friend base;
    using typename base::double_vector;

public:
    using options = max_abs_scaler_options;  ///< the options type (it has no options)

    /// An unfitted scaler.
    explicit max_abs_scaler(options = {}, const Allocator& alloc = Allocator())
        : base(alloc), max_abs_(typename base::double_allocator(alloc)), scale_(typename base::double_allocator(alloc)) {}

    /// The largest absolute training value of every feature.
    [[nodiscard]] std::span<const double> max_abs() const noexcept { return max_abs_; }
    /// The divisor of every feature.
    [[nodiscard]] std::span<const double> scale() const noexcept { return scale_; }

    static constexpr const char* archive_kind = "max_abs_scaler";  ///< model kind in archives

    /// Writes the fitted state (save calls it). Throws not_fitted_error before fit.
    void write_to(archive_writer& w) const {
        this->write_shape(w);
        w.write_span(std::span<const double>(max_abs_));
    }

    /// Reads what write_to wrote (load calls it). Throws format_error for a payload that is
    /// malformed or inconsistent.
    [[nodiscard]] static max_abs_scaler read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "max_abs_scaler::read_from";
        max_abs_scaler s(options{}, alloc);
        s.read_shape(r, where);
        auto m = s.read_column_vector(r, "max_abs", where);
        r.expect_end();
        detail::column_stats st;
        st.max_abs.assign(m.begin(), m.end());
        for (const double v : st.max_abs) {
            if (v < 0) r.fail(std::string(where) + ": a maximum absolute value is negative");
        }
        s.learn(st);
        return s;
    }

private:
    static constexpr const char* fit_where = "max_abs_scaler::fit";
    static constexpr const char* transform_where = "max_abs_scaler::transform";
    static constexpr const char* inverse_where = "max_abs_scaler::inverse_transform";

    void check_options(const char*) const noexcept {}
    void check_sparse(bool, const char*) const noexcept {}
    void learn(const detail::column_stats& s) {
        max_abs_ = this->make_vector(s.max_abs);
        scale_ = this->make_vector(s.max_abs);
        for (double& v : scale_) {
            if (v < 10 * std::numeric_limits<double>::epsilon()) v = 1.0;  // scikit-learn's rule
        }
    }
    [[nodiscard]] double forward(std::size_t j, double x) const noexcept { return x / scale_[j]; }
    [[nodiscard]] double backward(std::size_t j, double y) const noexcept { return y * scale_[j]; }

    double_vector max_abs_, scale_;
};

}  // namespace tessera
