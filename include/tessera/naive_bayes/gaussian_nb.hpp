/// \file
/// tessera/naive_bayes/gaussian_nb.hpp - Gaussian naive Bayes: every feature is normal within
/// each class, with the class's own mean and variance.
///
/// ```cpp
///   tessera::gaussian_nb<std::string, float> nb;   // labels of any label type, X of float
///   nb.fit(X_train, y_train);                       // any dense input of float
///   auto labels = nb.predict(X_test);               // std::vector<std::string>
///   auto p = nb.predict_proba(X_test);              // X_test.rows() x n_classes, classes sorted
/// ```
///
/// The formulas are scikit-learn 1.2's GaussianNB:
///
/// ```
///   theta_cj  the weighted mean of feature j over the rows of class c;
///   var_cj    their weighted (population) variance + epsilon, where
///   epsilon   = var_smoothing * max_j (variance of feature j over all rows learnt);
///   prior_c   options.priors, or class_count_c / sum of class_count;
///   jll_c(x)  = log prior_c - 1/2 sum_j log(2 pi var_cj) - 1/2 sum_j (x_j - theta_cj)^2 / var_cj.
/// ```
///
/// Zero variances: a feature constant within a class gets variance epsilon there. When every
/// feature is constant over all the data, epsilon is 0; such variances are then 1, so the
/// features weigh the same for every class and cancel. A class declared to partial_fit but not
/// yet seen has mean 0 and variance epsilon (1 when epsilon is 0). With var_smoothing = 0, a
/// zero variance in a class that has rows is an error (fit throws invalid_argument).
///
/// Statistics are kept in double whatever T is, and epsilon comes from the variance of all the
/// data learnt, derived exactly from the per-class statistics; so partial_fit in batches and
/// merge of models fitted on parts give fit's model on all the rows (up to rounding).
/// scikit-learn instead takes epsilon from the first partial_fit batch only, and computes the
/// variance for epsilon without the sample weights (here a weight of 2 is a repeated row).
///
/// Thread safety: const member functions (predict..., score, save, the accessors) may run
/// concurrently on one model; fit, partial_fit, merge and assignment need exclusive access.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <numbers>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/naive_bayes/common.hpp"
#include "tessera/simd/kernels.hpp"

namespace tessera {

/// Hyper-parameters of gaussian_nb, validated by fit and partial_fit.
struct gaussian_nb_options {
    /// P(c) for each class in sorted class order; empty: learnt from the class counts. Finite,
    /// >= 0, one per class, summing to 1 as numpy.isclose judges it (|sum - 1| <= 1e-8 + 1e-5).
    std::vector<double> priors{};
    /// Added to every variance, as a fraction of the largest feature variance: finite, >= 0.
    double var_smoothing = 1e-9;
    /// Threads and blocking of predictions (results do not depend on them).
    parallel_options parallel{};
};

namespace detail {
/// \cond

// sum_j (x_j - theta_j)^2 * inv_var_j, in four interleaved sums so that the loop vectorizes.
template <class T>
[[nodiscard]] inline double gaussian_quadratic(const T* x, const double* theta, const double* inv_var,
                                               std::size_t n) noexcept {
    double acc[4] = {0, 0, 0, 0};
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        for (std::size_t u = 0; u < 4; ++u) {
            const double d = static_cast<double>(x[j + u]) - theta[j + u];
            acc[u] += d * d * inv_var[j + u];
        }
    }
    for (; j < n; ++j) {
        const double d = static_cast<double>(x[j]) - theta[j];
        acc[0] += d * d * inv_var[j];
    }
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

#if TESSERA_ARCH_X86
// The same sum with AVX2 and FMA on double rows: 8 features per step in two accumulators.
TESSERA_TARGET_AVX2 inline double gaussian_quadratic_avx2(const double* x, const double* theta, const double* inv_var,
                                                          std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    V::vec a0 = V::zero();
    V::vec a1 = V::zero();
    std::size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const V::vec d0 = V::sub(V::load(x + j), V::load(theta + j));
        const V::vec d1 = V::sub(V::load(x + j + 4), V::load(theta + j + 4));
        a0 = V::fma(_mm256_mul_pd(d0, d0), V::load(inv_var + j), a0);
        a1 = V::fma(_mm256_mul_pd(d1, d1), V::load(inv_var + j + 4), a1);
    }
    double tail = 0;
    for (; j < n; ++j) {
        const double d = x[j] - theta[j];
        tail += d * d * inv_var[j];
    }
    return V::sum(V::add(a0, a1)) + tail;
}
#endif

// The two row updates of fit: m += w x, and sq += w (x - m)^2.
template <class T>
inline void gaussian_add_row(double* m, const T* x, double w, std::size_t n) noexcept {
    for (std::size_t j = 0; j < n; ++j) m[j] += w * static_cast<double>(x[j]);  // 0 * NaN is NaN
}
template <class T>
inline void gaussian_add_square(double* sq, const T* x, const double* m, double w, std::size_t n) noexcept {
    for (std::size_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(x[j]) - m[j];
        sq[j] += w * d * d;
    }
}

#if TESSERA_ARCH_X86
TESSERA_TARGET_AVX2 inline void gaussian_add_row_avx2(double* m, const double* x, double w, std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    const V::vec wv = V::set1(w);
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) V::store(m + j, V::fma(wv, V::load(x + j), V::load(m + j)));
    for (; j < n; ++j) m[j] += w * x[j];
}
TESSERA_TARGET_AVX2 inline void gaussian_add_square_avx2(double* sq, const double* x, const double* m, double w,
                                                         std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    const V::vec wv = V::set1(w);
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const V::vec d = V::sub(V::load(x + j), V::load(m + j));
        V::store(sq + j, V::fma(_mm256_mul_pd(wv, d), d, V::load(sq + j)));
    }
    for (; j < n; ++j) {
        const double d = x[j] - m[j];
        sq[j] += w * d * d;
    }
}
#endif

// Whether the AVX2 form may run (the CPU has it and no lower level is forced).
[[nodiscard]] inline bool gaussian_use_avx2() noexcept {
    const auto l = simd::active_level();
    return l == simd::level::avx2 || l == simd::level::avx512;
}

/// \endcond
}  // namespace detail

/// Gaussian naive Bayes over rows of T (float, double or an integer type) with labels of any
/// `label` type. Statistics are double.
///
/// Complexity: fit O(n d) (two passes over X), partial_fit O(n d + c d), merge O(c d);
/// predictions O(m c d), in parallel over rows through options.parallel. Memory O(c d).
/// Exceptions: tessera::invalid_argument for bad options, empty X, NaN or Inf, bad sample
/// weights, priors that do not fit the classes, unknown labels; dimension_mismatch for length
/// and width mismatches; not_fitted_error before fit; format_error for a corrupt archive;
/// io_error for unreadable or unwritable files. A failed fit or partial_fit leaves the model as
/// it was. Thread safety: see the header comment.
template <label Label = int, class T = double, class Allocator = std::allocator<double>>
class gaussian_nb : public detail::nb_classifier<gaussian_nb<Label, T, Allocator>, Label, T, Allocator, false> {
    using base = detail::nb_classifier<gaussian_nb<Label, T, Allocator>, Label, T, Allocator, false>;
    friend base;
    using typename base::batch;
    using typename base::double_matrix;
    using typename base::double_vector;

public:
    using options = gaussian_nb_options;  ///< the options type
    using typename base::allocator_type;
    using typename base::label_type;
    using typename base::value_type;

    /// An unfitted model. The options are checked by fit, not here.
    explicit gaussian_nb(options opts = {}, const Allocator& alloc = Allocator())
        : base(alloc), options_(std::move(opts)), theta_(this->make_matrix(0, 0)), sigma_(this->make_matrix(0, 0)),
          var_(this->make_matrix(0, 0)), inv_var_(this->make_matrix(0, 0)), log_norm_(this->make_vector(0)),
          class_prior_(this->make_vector(0)) {}

    /// Adds what `other` learnt (on other rows) to this model: the result is the model fit
    /// gives on both models' rows together (Chan et al.'s pairwise update of each class's
    /// weight, mean and variance; epsilon recomputed). Both must be fitted
    /// (not_fitted_error), with the same classes, width and options (invalid_argument or
    /// dimension_mismatch).
    void merge(const gaussian_nb& other) {
        constexpr const char* where = "gaussian_nb::merge";
        this->check_mergeable(other, where);
        if (other.options_.priors != options_.priors || other.options_.var_smoothing != options_.var_smoothing) {
            detail::throw_argument(where, "other", "was fitted with other options (priors or var_smoothing)");
        }
        auto count = this->class_count_;
        auto theta = theta_;
        auto sigma = sigma_;
        for (std::size_t c = 0; c < this->n_classes(); ++c) {
            combine(count[c], theta.row(c), sigma.row(c), other.class_count_[c], other.theta_.row(c), other.sigma_.row(c));
        }
        auto d = derive(count, theta, sigma, this->classes(), where);
        commit(std::move(count), std::move(theta), std::move(sigma), std::move(d));
    }

    /// The mean of each feature in each class: n_classes x n_features.
    [[nodiscard]] matrix_view<const double> theta() const noexcept { return theta_.view(); }
    /// The variance of each feature in each class, epsilon included: n_classes x n_features.
    [[nodiscard]] matrix_view<const double> var() const noexcept { return var_.view(); }
    /// var_smoothing times the largest variance of a feature over all rows learnt.
    [[nodiscard]] double epsilon() const noexcept { return epsilon_; }
    /// P(c): options.priors, or the class counts' shares.
    [[nodiscard]] std::span<const double> class_prior() const noexcept { return class_prior_; }
    /// The options given at construction (or read by load).
    [[nodiscard]] const options& get_options() const noexcept { return options_; }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "gaussian_nb";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the fitted model: label type, classes, options, class counts, means and variances
    /// without epsilon. Throws not_fitted_error before fit. O(c d).
    void write_to(archive_writer& w) const {
        detail::require_fitted(this->fitted(), "gaussian_nb::write_to");
        this->write_classes(w);
        w.write_span(std::span<const double>(options_.priors));
        w.write<double>(options_.var_smoothing);
        base::write_parallel(w, options_.parallel);
        w.write<std::uint64_t>(this->n_features_);
        w.write_span(std::span<const double>(this->class_count_));
        w.write_matrix(theta_.view());
        w.write_matrix(sigma_.view());
    }

    /// Reads a model written by write_to. Throws format_error for anything inconsistent (another
    /// label type, bad options or priors, shapes that disagree, values that are not finite,
    /// negative counts or variances, class counts summing to 0).
    [[nodiscard]] static gaussian_nb read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "gaussian_nb::read_from";
        gaussian_nb m(options{}, alloc);
        m.read_classes(r, where);
        const auto priors = r.read_vector<double>("priors");
        m.options_.priors.assign(priors.begin(), priors.end());
        m.options_.var_smoothing = r.read<double>("var_smoothing");
        base::read_parallel(r, m.options_.parallel, where);
        const auto features = r.read<std::uint64_t>("n_features");
        auto count = m.read_class_count(r, where);
        auto theta = r.read_matrix<double, typename base::double_allocator>("theta", row_padding::aligned,
                                                                             typename base::double_allocator(alloc));
        auto sigma = r.read_matrix<double, typename base::double_allocator>("sigma", row_padding::aligned,
                                                                             typename base::double_allocator(alloc));
        r.expect_end();
        const std::size_t k = m.n_classes();
        if (features == 0 || theta.rows() != k || sigma.rows() != k || theta.cols() != features ||
            sigma.cols() != features) {
            r.fail(std::string(where) + ": the means (" + std::to_string(theta.rows()) + " x " +
                   std::to_string(theta.cols()) + ") and variances (" + std::to_string(sigma.rows()) + " x " +
                   std::to_string(sigma.cols()) + ") do not match " + std::to_string(k) + " classes and " +
                   std::to_string(features) + " features");
        }
        for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < theta.cols(); ++j) {
                if (!std::isfinite(theta(c, j)) || !std::isfinite(sigma(c, j)) || sigma(c, j) < 0) {
                    r.fail(std::string(where) + ": the mean or variance of feature " + std::to_string(j) + " in class " +
                           std::to_string(c) + " is not finite or negative");
                }
            }
        }
        m.n_features_ = static_cast<std::size_t>(features);
        try {
            m.check_options(where);
            m.check_priors(k, where);
            auto derived = m.derive(count, theta, sigma, m.classes(), where);
            m.commit(std::move(count), std::move(theta), std::move(sigma), std::move(derived));
        } catch (const invalid_argument& e) {
            r.fail(e.what());
        }
        return m;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp). Throws as
    /// write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error.
    [[nodiscard]] static gaussian_nb load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<gaussian_nb>(path, alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, element type.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, type_tag::none};
    }

private:
    static constexpr const char* fit_where = "gaussian_nb::fit";
    static constexpr const char* partial_fit_where = "gaussian_nb::partial_fit";
    static constexpr const char* predict_where = "gaussian_nb::predict";
    static constexpr const char* proba_where = "gaussian_nb::predict_proba";
    static constexpr const char* log_proba_where = "gaussian_nb::predict_log_proba";
    static constexpr const char* jll_where = "gaussian_nb::joint_log_likelihood";
    static constexpr const char* score_where = "gaussian_nb::score";

    // What the variances, priors and epsilon make of the statistics.
    struct derived_state {
        double_matrix var, inv_var;
        double_vector log_norm, prior, log_prior;
        double epsilon = 0;
    };

    [[nodiscard]] const parallel_options& parallel() const noexcept { return options_.parallel; }

    void check_options(const char* where) const {
        if (!std::isfinite(options_.var_smoothing) || options_.var_smoothing < 0) {
            detail::throw_argument(where, "options.var_smoothing",
                                   "must be finite and >= 0, got " + detail::number_text(options_.var_smoothing));
        }
        detail::check_parallel_options(options_.parallel, where);
    }

    // scikit-learn's checks on user priors, once the number of classes is known.
    void check_priors(std::size_t k, const char* where) const {
        if (options_.priors.empty()) return;
        detail::nb_check_prior_values(options_.priors, k, where, "options.priors");
        double sum = 0;
        for (const double p : options_.priors) sum += p;
        if (!(std::fabs(sum - 1.0) <= 1e-8 + 1e-5)) {
            detail::throw_argument(where, "options.priors", "sum to " + detail::number_text(sum) + ", not 1");
        }
    }

    // NaN and Inf are found by learn's first pass (they make the class sums non-finite).
    template <class In>
    void check_values(const In&, bool, const char*) const {}

    template <class In>
    void check_queries(const In&, const char*) const {}

    // Adds the statistics of (n_new, mean_new, var_new) to (n, mean, var): scikit-learn's
    // _update_mean_variance, i.e. Chan et al.'s pairwise update of the sums of squares.
    static void combine(double& n, std::span<double> mean, std::span<double> var, double n_new,
                        std::span<const double> mean_new, std::span<const double> var_new) noexcept {
        if (n_new == 0) return;
        if (n == 0) {
            std::copy(mean_new.begin(), mean_new.end(), mean.begin());
            std::copy(var_new.begin(), var_new.end(), var.begin());
            n = n_new;
            return;
        }
        const double total = n + n_new;
        const double cross = n_new * n / total;
        for (std::size_t j = 0; j < mean.size(); ++j) {
            const double d = mean[j] - mean_new[j];
            const double ssd = n * var[j] + n_new * var_new[j] + cross * d * d;
            mean[j] = (n_new * mean_new[j] + n * mean[j]) / total;
            var[j] = ssd / total;
        }
        n = total;
    }

    template <class In>
    void learn(const In& in, batch&& b, bool fresh, const char* where) {
        const std::size_t k = b.encoder.n_classes();
        const std::size_t f = in.cols();
        check_priors(k, where);
        // Added to what the model knew (nothing on a fresh start).
        auto count = fresh ? this->make_vector(k) : this->class_count_;
        auto theta = fresh ? this->make_matrix(k, f) : theta_;
        auto sigma = fresh ? this->make_matrix(k, f) : sigma_;
        // Blocks of rows small enough to stay in cache: each block's weighted means and
        // variances take two passes over it (as numpy's mean and var), then join the totals by
        // the same pairwise update as partial_fit. X is read from memory once.
        const std::size_t block = std::max<std::size_t>(64, (std::size_t{1} << 19) / std::max<std::size_t>(1, f * sizeof(T)));
        auto w = this->make_vector(k);
        auto mean = this->make_matrix(k, f);
        auto var = this->make_matrix(k, f);
        std::vector<class_index> touched;
        std::vector<unsigned char> is_touched(k, 0);
        const bool weighted = !b.weights.empty();
        [[maybe_unused]] const bool avx2 = detail::gaussian_use_avx2();
        for (std::size_t lo = 0; lo < in.rows(); lo += block) {
            const std::size_t hi = std::min(in.rows(), lo + block);
            for (std::size_t i = lo; i < hi; ++i) {
                const double wi = weighted ? b.weights[i] : 1.0;
                const class_index c = b.targets[i];
                if (is_touched[c] == 0) {
                    is_touched[c] = 1;
                    touched.push_back(c);
                }
                w[c] += wi;
                const T* x = in.row(i).data();
                double* m = mean.row(c).data();
#if TESSERA_ARCH_X86
                if constexpr (std::is_same_v<T, double>) {
                    if (avx2) {
                        detail::gaussian_add_row_avx2(m, x, wi, f);
                        continue;
                    }
                }
#endif
                detail::gaussian_add_row(m, x, wi, f);
            }
            // No separate pass for NaN and Inf: any of them makes its class's sum non-finite.
            for (const class_index c : touched) {
                if constexpr (std::is_floating_point_v<T>) {
                    for (const double m : mean.row(c)) {
                        if (std::isfinite(m)) continue;
                        require_finite_rows(in, where, "X");
                        detail::throw_argument(where, "X",
                                               "holds values so large that the sum of a feature over class " +
                                                   detail::label_to_string(b.encoder.classes()[c]) + " overflows");
                    }
                }
                if (w[c] == 0) continue;
                for (double& m : mean.row(c)) m /= w[c];
            }
            for (std::size_t i = lo; i < hi; ++i) {
                const double wi = weighted ? b.weights[i] : 1.0;
                if (wi == 0) continue;
                const std::size_t c = b.targets[i];
                const T* x = in.row(i).data();
                const double* m = mean.row(c).data();
                double* sq = var.row(c).data();
#if TESSERA_ARCH_X86
                if constexpr (std::is_same_v<T, double>) {
                    if (avx2) {
                        detail::gaussian_add_square_avx2(sq, x, m, wi, f);
                        continue;
                    }
                }
#endif
                detail::gaussian_add_square(sq, x, m, wi, f);
            }
            for (const class_index c : touched) {
                if (w[c] > 0) {
                    for (double& v : var.row(c)) v /= w[c];
                    combine(count[c], theta.row(c), sigma.row(c), w[c], mean.row(c), var.row(c));
                }
                w[c] = 0;
                std::fill(mean.row(c).begin(), mean.row(c).end(), 0.0);
                std::fill(var.row(c).begin(), var.row(c).end(), 0.0);
                is_touched[c] = 0;
            }
            touched.clear();
        }
        auto d = derive(count, theta, sigma, b.encoder.classes(), where);
        this->encoder_ = std::move(b.encoder);
        this->n_features_ = f;
        commit(std::move(count), std::move(theta), std::move(sigma), std::move(d));
    }

    // Epsilon, variances, priors and the per-class constants of the joint log-likelihood.
    // Throws invalid_argument when var_smoothing = 0 leaves a class with rows a zero variance.
    [[nodiscard]] derived_state derive(std::span<const double> count, const double_matrix& theta,
                                       const double_matrix& sigma, std::span<const label_type> classes,
                                       const char* where) const {
        const std::size_t k = theta.rows();
        const std::size_t f = theta.cols();
        derived_state d{this->make_matrix(k, f), this->make_matrix(k, f), this->make_vector(k), this->make_vector(k),
                        this->make_vector(k), 0.0};
        // The variance of every feature over all rows, from the per-class statistics (law of
        // total variance): sum_c n_c (sigma_cj + (theta_cj - mu_j)^2) / sum_c n_c.
        double total = 0;
        for (const double n : count) total += n;
        auto mu = this->make_vector(f);
        auto spread = this->make_vector(f);
        for (std::size_t c = 0; c < k; ++c) {
            if (count[c] == 0) continue;
            const auto t = theta.row(c);
            for (std::size_t j = 0; j < f; ++j) mu[j] += count[c] * t[j];
        }
        for (double& m : mu) m /= total;
        for (std::size_t c = 0; c < k; ++c) {
            if (count[c] == 0) continue;
            const auto t = theta.row(c);
            const auto s = sigma.row(c);
            for (std::size_t j = 0; j < f; ++j) spread[j] += count[c] * (s[j] + (t[j] - mu[j]) * (t[j] - mu[j]));
        }
        double largest = 0;
        for (const double s : spread) largest = std::max(largest, s / total);
        d.epsilon = options_.var_smoothing * largest;
        for (std::size_t c = 0; c < k; ++c) {
            const auto s = sigma.row(c);
            const auto v = d.var.row(c);
            for (std::size_t j = 0; j < f; ++j) {
                v[j] = s[j] + d.epsilon;
                if (v[j] > 0) continue;
                if (options_.var_smoothing == 0 && count[c] > 0) {
                    detail::throw_argument(where, "options.var_smoothing",
                                           "is 0, but feature " + std::to_string(j) + " is constant within class " +
                                               detail::label_to_string(classes[c]) +
                                               ", which would give it variance 0: use var_smoothing > 0");
                }
                v[j] = 1.0;  // every feature is constant over all rows (or the class has none): cancels
            }
            double log_det = 0;
            const auto iv = d.inv_var.row(c);
            for (std::size_t j = 0; j < f; ++j) {
                log_det += std::log(2.0 * std::numbers::pi * v[j]);
                iv[j] = 1.0 / v[j];
            }
            d.prior[c] = options_.priors.empty() ? count[c] / total : options_.priors[c];
            d.log_prior[c] = std::log(d.prior[c]);
            d.log_norm[c] = d.log_prior[c] - 0.5 * log_det;
        }
        return d;
    }

    void commit(double_vector&& count, double_matrix&& theta, double_matrix&& sigma, derived_state&& d) noexcept {
        this->class_count_ = std::move(count);
        theta_ = std::move(theta);
        sigma_ = std::move(sigma);
        var_ = std::move(d.var);
        inv_var_ = std::move(d.inv_var);
        log_norm_ = std::move(d.log_norm);
        class_prior_ = std::move(d.prior);
        this->class_log_prior_ = std::move(d.log_prior);
        epsilon_ = d.epsilon;
    }

    template <class In>
    void jll_into(const In& in, std::size_t lo, std::size_t hi, double* out, std::size_t stride, const char* where) const {
        const std::size_t k = this->n_classes();
        const std::size_t f = this->n_features_;
        [[maybe_unused]] const bool avx2 = detail::gaussian_use_avx2();
        for (std::size_t i = lo; i < hi; ++i) {
            const T* x = in.row(i).data();
            double* o = out + (i - lo) * stride;
            bool finite = true;
            for (std::size_t c = 0; c < k; ++c) {
                double q = 0;
#if TESSERA_ARCH_X86
                if constexpr (std::is_same_v<T, double>) {
                    q = avx2 ? detail::gaussian_quadratic_avx2(x, theta_.row(c).data(), inv_var_.row(c).data(), f)
                             : detail::gaussian_quadratic(x, theta_.row(c).data(), inv_var_.row(c).data(), f);
                } else
#endif
                {
                    q = detail::gaussian_quadratic(x, theta_.row(c).data(), inv_var_.row(c).data(), f);
                }
                finite = finite && std::isfinite(q);
                o[c] = log_norm_[c] - 0.5 * q;
            }
            // A NaN or Inf in x makes every quadratic term non-finite; a huge finite x may too
            // (overflow), which is not an error.
            if (!finite) {
                for (std::size_t j = 0; j < f; ++j) {
                    if (!std::isfinite(static_cast<double>(x[j]))) detail::throw_not_finite(static_cast<double>(x[j]), i, j, where);
                }
            }
        }
    }

    options options_;
    double_matrix theta_;   // class means
    double_matrix sigma_;   // class variances without epsilon
    double_matrix var_;     // sigma_ + epsilon (1 where that is 0)
    double_matrix inv_var_;
    double_vector log_norm_;  // log prior - 1/2 sum_j log(2 pi var)
    double_vector class_prior_;
    double epsilon_ = 0;
};

}  // namespace tessera
