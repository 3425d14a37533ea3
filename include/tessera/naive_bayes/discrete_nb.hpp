/// \file
/// tessera/naive_bayes/discrete_nb.hpp - the discrete naive Bayes models multinomial_nb,
/// bernoulli_nb and complement_nb, and the one implementation behind them (detail::discrete_nb).
/// `<tessera/naive_bayes/multinomial_nb.hpp>` etc. include this header.
///
/// The three models learn the same thing: for every class c, its total sample weight
/// (class_count) and the weighted sum of each feature over its rows (feature_count, after
/// binarization for bernoulli_nb). They differ only in how the counts become log-probabilities
/// and in the joint log-likelihood, which a policy supplies:
///
/// ```cpp
///   struct policy {
///       using options = ...;                     // alpha, fit_prior, class_prior, parallel, extras
///       static constexpr const char* name;      // archive kind and message prefix
///       static constexpr const char* fit_where, partial_fit_where, predict_where, proba_where,
///                                    log_proba_where, jll_where, score_where, merge_where;
///       static constexpr bool nonnegative;       // X must hold counts >= 0 at fit
///       static constexpr bool bounded_counts;    // feature_count <= class_count (binary features)
///       static constexpr bool separate_weights;  // the weights differ from feature_log_prob
///       static void check_extra(const options&, const char* where);
///       static bool same_extra(const options&, const options&);
///       static void write_extra(archive_writer&, const options&);
///       static void read_extra(archive_reader&, options&);
///       template <class F> static decltype(auto) with_map(const options&, F&& f);  // f(map, strict)
///       static void finalize(const options&, double alpha, std::span<const double> class_count,
///                            matrix_view<const double> feature_count,
///                            std::span<const double> class_log_prior, matrix_view<double> log_prob,
///                            matrix_view<double> weights, std::span<double> bias);
///       // weights: classes x features, the same view as log_prob unless separate_weights
///   };
/// ```
///
/// with the joint log-likelihood jll(x) = bias + sum_j map(x_j) * weights[j][:]. CSR rows visit
/// their stored entries; dense rows take one SIMD dot product per class. The two sum in
/// different orders, so dense and sparse input agree to rounding (not bit for bit).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/matrix_view.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/naive_bayes/common.hpp"
#include "tessera/simd/kernels.hpp"

namespace tessera::detail {
/// \cond

/// alpha values below this are raised to it (scikit-learn 1.2 with force_alpha=False).
inline constexpr double nb_alpha_min = 1e-10;

// How many stored entries ahead sparse predictions prefetch rows of the weights.
inline constexpr std::size_t nb_prefetch_distance = 8;

// The map of models that read X as it is (a type of its own, so that the fast paths can skip
// mapping altogether).
struct nb_identity {
    [[nodiscard]] constexpr double operator()(double v) const noexcept { return v; }
};

// One CSR row's contribution to K joint log-likelihoods (o holds the bias on entry): for each
// stored entry, map(value) times row idx of w (features x K, contiguous). Two interleaved sets
// of sums halve the dependency chains; rows of w are prefetched a few entries ahead, since for
// wide data they are far apart. Returns whether every value was finite (sum of value * 0, as
// all_valid), so that the row is read once.
template <std::size_t K, class Map, class V, class I>
inline bool nb_sparse_row(const I* idx, const V* val, std::size_t n, const double* w, Map map, double* o) noexcept {
    double probe = 0;
    double a[K];
    double b[K];
    for (std::size_t c = 0; c < K; ++c) {
        a[c] = o[c];
        b[c] = 0;
    }
    std::size_t e = 0;
    for (; e + 2 <= n; e += 2) {
#if defined(__GNUC__)
        if (e + nb_prefetch_distance + 1 < n) {
            __builtin_prefetch(w + static_cast<std::size_t>(idx[e + nb_prefetch_distance]) * K);
            __builtin_prefetch(w + static_cast<std::size_t>(idx[e + nb_prefetch_distance + 1]) * K);
        }
#endif
        const double* w0 = w + static_cast<std::size_t>(idx[e]) * K;
        const double* w1 = w + static_cast<std::size_t>(idx[e + 1]) * K;
        const double r0 = static_cast<double>(val[e]);
        const double r1 = static_cast<double>(val[e + 1]);
        probe += r0 * 0.0 + r1 * 0.0;
        const double v0 = map(r0);
        const double v1 = map(r1);
        for (std::size_t c = 0; c < K; ++c) {
            a[c] += v0 * w0[c];
            b[c] += v1 * w1[c];
        }
    }
    if (e < n) {
        const double* w0 = w + static_cast<std::size_t>(idx[e]) * K;
        const double r0 = static_cast<double>(val[e]);
        probe += r0 * 0.0;
        const double v0 = map(r0);
        for (std::size_t c = 0; c < K; ++c) a[c] += v0 * w0[c];
    }
    for (std::size_t c = 0; c < K; ++c) o[c] = a[c] + b[c];
    return probe == 0;
}

// The same for any number of classes k (the loop over classes is the inner one).
template <class Map, class V, class I>
inline bool nb_sparse_row(const I* idx, const V* val, std::size_t n, const double* w, std::size_t k, Map map,
                          double* o) noexcept {
    double probe = 0;
    for (std::size_t e = 0; e < n; ++e) {
#if defined(__GNUC__)
        if (e + nb_prefetch_distance < n) __builtin_prefetch(w + static_cast<std::size_t>(idx[e + nb_prefetch_distance]) * k);
#endif
        const double* we = w + static_cast<std::size_t>(idx[e]) * k;
        const double r = static_cast<double>(val[e]);
        probe += r * 0.0;
        const double v = map(r);
        for (std::size_t c = 0; c < k; ++c) o[c] += v * we[c];
    }
    return probe == 0;
}
/// \endcond

/// The shared implementation of the discrete naive Bayes models multinomial_nb, bernoulli_nb and
/// complement_nb, which are aliases of this template with a policy: see the header comment and
/// those aliases for the formulas. The members listed here are the aliases' members; fit,
/// partial_fit, predict and the other shared ones come from nb_classifier.
///
/// Complexity: fit and partial_fit O(nnz + c d) (one pass over the values of X, or the stored
/// entries of a CSR matrix, then the c x d log-probabilities); merge O(c d); predictions
/// O(nnz(X) c), in parallel over rows through options.parallel. Memory: three c x d tables
/// (counts, log-probabilities, and the prediction weights stored features x classes).
/// Exceptions: tessera::invalid_argument for bad options, empty X, NaN or Inf, negative counts
/// (multinomial, complement), values other than 0 and 1 (bernoulli without binarize), bad
/// sample weights or priors, unknown labels; dimension_mismatch for length and width
/// mismatches; not_fitted_error before fit; format_error for a corrupt archive; io_error for
/// unreadable or unwritable files. A fit or partial_fit that throws leaves the model as it was.
/// Thread safety: const member functions may run concurrently on one model; fit, partial_fit,
/// merge and assignment need exclusive access.
template <label Label, class T, class Policy, class Allocator>
class discrete_nb : public nb_classifier<discrete_nb<Label, T, Policy, Allocator>, Label, T, Allocator, true> {
    /// \cond
    using base = nb_classifier<discrete_nb<Label, T, Policy, Allocator>, Label, T, Allocator, true>;
    friend base;
    using typename base::batch;
    using typename base::double_matrix;
    using typename base::double_vector;
    /// \endcond

public:
    /// The model's options: multinomial_nb_options, bernoulli_nb_options or complement_nb_options.
    using options = typename Policy::options;
    /// The policy that makes this template multinomial_nb, bernoulli_nb or complement_nb.
    using policy_type = Policy;
    using typename base::allocator_type;
    using typename base::label_type;
    using typename base::value_type;

    /// An unfitted model. The options are checked by fit and partial_fit, not here.
    explicit discrete_nb(options opts = {}, const Allocator& alloc = Allocator())
        : base(alloc), options_(std::move(opts)), feature_count_(this->make_matrix(0, 0)),
          feature_log_prob_(this->make_matrix(0, 0)), weights_(this->make_matrix(0, 0, row_padding::none)),
          class_weights_(this->make_matrix(0, 0)), bias_(this->make_vector(0)) {}

    /// Adds what `other` learnt (on other rows) to this model: counts are added, so the result
    /// is the model fit gives on both models' rows together. Both must be fitted
    /// (not_fitted_error), with the same classes, width and options (invalid_argument or
    /// dimension_mismatch).
    void merge(const discrete_nb& other) {
        constexpr const char* where = Policy::merge_where;
        this->check_mergeable(other, where);
        const options& a = options_;
        const options& b = other.options_;
        if (a.alpha != b.alpha || a.fit_prior != b.fit_prior || a.class_prior != b.class_prior || !Policy::same_extra(a, b)) {
            throw_argument(where, "other", "was fitted with other options");
        }
        auto count = this->class_count_;
        auto features = feature_count_;
        for (std::size_t c = 0; c < this->n_classes(); ++c) {
            count[c] += other.class_count_[c];
            const auto src = other.feature_count_.row(c);
            const auto dst = features.row(c);
            for (std::size_t j = 0; j < dst.size(); ++j) dst[j] += src[j];
        }
        auto d = derive(count, features);
        this->class_count_ = std::move(count);
        feature_count_ = std::move(features);
        commit(std::move(d));
    }

    /// The weighted sum of every feature over each class's rows (after binarization for
    /// bernoulli_nb): n_classes x n_features.
    [[nodiscard]] matrix_view<const double> feature_count() const noexcept { return feature_count_.view(); }
    /// The model's log-probability table: n_classes x n_features (see the model's formulas;
    /// for complement_nb these are the weights of the complement classes, as in scikit-learn).
    [[nodiscard]] matrix_view<const double> feature_log_prob() const noexcept { return feature_log_prob_.view(); }
    /// options.alpha as the formulas use it: raised to 1e-10 when smaller.
    [[nodiscard]] double effective_alpha() const noexcept { return std::max(options_.alpha, nb_alpha_min); }
    /// The options given at construction (or read by load).
    [[nodiscard]] const options& get_options() const noexcept { return options_; }

    // ---- persistence -----------------------------------------------------------------------

    /// Model kind in archives: "multinomial_nb", "bernoulli_nb" or "complement_nb".
    static constexpr const char* archive_kind = Policy::name;
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the fitted model: label type, classes, options, class counts and feature counts.
    /// Throws not_fitted_error before fit. O(c d).
    void write_to(archive_writer& w) const {
        require_fitted(this->fitted(), Policy::write_where);
        this->write_classes(w);
        w.write<double>(options_.alpha);
        w.write<bool>(options_.fit_prior);
        w.write_span(std::span<const double>(options_.class_prior));
        Policy::write_extra(w, options_);
        base::write_parallel(w, options_.parallel);
        w.write<std::uint64_t>(this->n_features_);
        w.write_span(std::span<const double>(this->class_count_));
        w.write_matrix(feature_count_.view());
    }

    /// Reads a model written by write_to. Throws format_error for anything inconsistent (another
    /// label type, bad options or priors, shapes that disagree, counts that are negative or
    /// not finite, class counts summing to 0, binary feature counts above their class count).
    [[nodiscard]] static discrete_nb read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = Policy::read_where;
        discrete_nb m(options{}, alloc);
        m.read_classes(r, where);
        m.options_.alpha = r.read<double>("alpha");
        m.options_.fit_prior = r.read<bool>("fit_prior");
        const auto prior = r.read_vector<double>("class_prior");
        m.options_.class_prior.assign(prior.begin(), prior.end());
        Policy::read_extra(r, m.options_);
        base::read_parallel(r, m.options_.parallel, where);
        const auto features = r.read<std::uint64_t>("n_features");
        auto count = m.read_class_count(r, where);
        auto fc = r.read_matrix<double, typename base::double_allocator>("feature_count", row_padding::aligned,
                                                                         typename base::double_allocator(alloc));
        r.expect_end();
        const std::size_t k = m.n_classes();
        if (features == 0 || fc.rows() != k || fc.cols() != features) {
            r.fail(std::string(where) + ": the feature counts (" + std::to_string(fc.rows()) + " x " +
                   std::to_string(fc.cols()) + ") do not match " + std::to_string(k) + " classes and " +
                   std::to_string(features) + " features");
        }
        for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < fc.cols(); ++j) {
                const double v = fc(c, j);
                if (!std::isfinite(v) || v < 0) {
                    r.fail(std::string(where) + ": the count of feature " + std::to_string(j) + " in class " +
                           std::to_string(c) + " is negative or not finite");
                }
                if (Policy::bounded_counts && v > count[c]) {
                    r.fail(std::string(where) + ": the count of feature " + std::to_string(j) + " in class " +
                           std::to_string(c) + " exceeds the class count");
                }
            }
        }
        try {
            m.check_options(where);
            m.check_prior_size(k, where);
        } catch (const invalid_argument& e) {
            r.fail(e.what());
        }
        m.n_features_ = static_cast<std::size_t>(features);
        auto d = m.derive(count, fc);
        m.class_count_ = std::move(count);
        m.feature_count_ = std::move(fc);
        m.commit(std::move(d));
        return m;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp). Throws as
    /// write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error.
    [[nodiscard]] static discrete_nb load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<discrete_nb>(path, alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, element type.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, type_tag::none};
    }

    /// \cond
private:
    static constexpr const char* fit_where = Policy::fit_where;
    static constexpr const char* partial_fit_where = Policy::partial_fit_where;
    static constexpr const char* predict_where = Policy::predict_where;
    static constexpr const char* proba_where = Policy::proba_where;
    static constexpr const char* log_proba_where = Policy::log_proba_where;
    static constexpr const char* jll_where = Policy::jll_where;
    static constexpr const char* score_where = Policy::score_where;

    struct derived_state {
        double_vector log_prior;
        double_matrix log_prob;  // classes x features
        double_matrix weights;   // features x classes
        double_vector bias;
        double_matrix class_weights;  // classes x features, when the policy's weights are separate
    };

    [[nodiscard]] const parallel_options& parallel() const noexcept { return options_.parallel; }

    void check_options(const char* where) const {
        if (!std::isfinite(options_.alpha) || options_.alpha < 0) {
            throw_argument(where, "options.alpha", "must be finite and >= 0, got " + number_text(options_.alpha));
        }
        for (std::size_t c = 0; c < options_.class_prior.size(); ++c) {
            const double p = options_.class_prior[c];
            if (!std::isfinite(p) || p < 0) {
                throw_argument(where, "options.class_prior",
                               "entry " + std::to_string(c) + " is " + number_text(p) + ": priors must be finite and >= 0");
            }
        }
        Policy::check_extra(options_, where);
        check_parallel_options(options_.parallel, where);
    }

    void check_prior_size(std::size_t k, const char* where) const {
        if (!options_.class_prior.empty()) nb_check_prior_values(options_.class_prior, k, where, "options.class_prior");
    }

    // A sparse X stores no zeros, so a map that turns 0 into something else cannot read it.
    template <class In>
    void check_sparse_map(const In&, const char* where) const {
        if constexpr (is_sparse_input<In>) {
            Policy::with_map(options_, [&](auto map, bool) {
                if (map(0.0) != 0) {
                    throw_argument(where, "options.binarize",
                                   "maps 0 to 1 (threshold < 0), which a sparse X cannot express (its implicit "
                                   "zeros would all become 1): use a threshold >= 0 or dense input");
                }
            });
        }
    }

    // Every value of X at fit: finite, >= 0 where the model counts, 0 or 1 where it reads
    // binary features as they are.
    // Values are checked block by block as fit reads them (accumulate), while they are in cache.
    template <class In>
    void check_values(const In& in, bool /*fitting*/, const char* where) const {
        check_sparse_map(in, where);
    }

    // Throws for the first value of rows [lo, hi) that fit (fitting) or a prediction cannot
    // read: NaN or Inf; a negative count at fit for the models that count; a value other than
    // 0 and 1 when X is read as binary features without a threshold.
    template <class In>
    [[noreturn]] void name_bad_value(const In& in, std::size_t lo, std::size_t hi, bool fitting, const char* where) const {
        Policy::with_map(options_, [&](auto, bool strict) {
            const auto check = [&](double v, std::size_t i, std::size_t j) {
                if (!std::isfinite(v)) throw_not_finite(v, i, j, where);
                if (fitting && Policy::nonnegative && v < 0) {
                    throw_argument(where, "X",
                                   std::string("contains negative counts (") + number_text(v) + " at row " +
                                       std::to_string(i) + ", column " + std::to_string(j) + "): " + Policy::name +
                                       " needs counts or frequencies >= 0");
                }
                if (strict && v != 0 && v != 1) not_binary(v, i, j, where);
            };
            for (std::size_t i = lo; i < hi; ++i) {
                const auto row = in.row(i);
                if constexpr (is_sparse_input<In>) {
                    for (std::size_t e = 0; e < row.size(); ++e) {
                        check(static_cast<double>(row.values[e]), i, static_cast<std::size_t>(row.indices[e]));
                    }
                } else {
                    for (std::size_t j = 0; j < row.size(); ++j) check(static_cast<double>(row[j]), i, j);
                }
            }
        });
        TESSERA_ASSERT(false);  // values_valid refused a value that the search did not find
        throw_argument(where, "X", "holds a value that cannot be read");
    }

    // Whether rows [lo, hi) hold only finite values (>= 0 with Nonnegative; 0 or 1 when X is read
    // as binary features without a threshold): the fast check before the search that names a
    // culprit.
    template <bool Nonnegative, class In>
    [[nodiscard]] bool values_valid(const In& in, std::size_t lo, std::size_t hi) const noexcept {
        bool ok = true;
        Policy::with_map(options_, [&](auto, bool strict) {
            const auto check = [&](const auto* v, std::size_t n) {
                return strict ? all_valid<Nonnegative, true>(v, n) : all_valid<Nonnegative, false>(v, n);
            };
            if constexpr (is_sparse_input<In>) {
                if (lo == hi) return;
                const auto begin = static_cast<std::size_t>(in.indptr()[lo]);
                const auto end = static_cast<std::size_t>(in.indptr()[hi]);
                ok = check(in.values().data() + begin, end - begin);
            } else {
                for (std::size_t i = lo; i < hi && ok; ++i) ok = check(in.row(i).data(), in.cols());
            }
        });
        return ok;
    }

    [[noreturn]] static void not_binary(double v, std::size_t i, std::size_t j, const char* where) {
        throw_argument(where, "X",
                       "contains " + number_text(v) + " at row " + std::to_string(i) + ", column " + std::to_string(j) +
                           ", but options.binarize is nullopt, so X must hold only 0 and 1");
    }

    template <class In>
    void check_queries(const In& in, const char* where) const {
        check_sparse_map(in, where);
    }

    template <class In>
    void learn(const In& in, batch&& b, bool fresh, const char* where) {
        const std::size_t k = b.encoder.n_classes();
        const std::size_t f = in.cols();
        check_prior_size(k, where);
        // The batch is counted into tables of its own, so that a value refused halfway through
        // (accumulate checks as it reads) leaves the model as it was.
        double_vector count = this->make_vector(k);
        double_matrix features = this->make_matrix(k, f);
        accumulate(in, b, count, features, where);
        if (!fresh) {
            for (std::size_t c = 0; c < k; ++c) {
                count[c] += this->class_count_[c];
                const auto old = feature_count_.row(c);
                const auto dst = features.row(c);
                for (std::size_t j = 0; j < f; ++j) dst[j] += old[j];
            }
        }
        auto d = derive(count, features);
        this->class_count_ = std::move(count);
        feature_count_ = std::move(features);
        if (fresh) {
            this->encoder_ = std::move(b.encoder);
            this->n_features_ = f;
        }
        commit(std::move(d));
    }

    // Adds the batch's rows to count and features, a block of rows at a time: the block's values
    // are checked (one vectorized pass), then counted while they are still in cache.
    template <class In>
    void accumulate(const In& in, const batch& b, double_vector& count, double_matrix& features, const char* where) const {
        constexpr std::size_t block = nb_chunk_rows;
        const bool weighted = !b.weights.empty();
        Policy::with_map(options_, [&](auto map, bool) {
            for (std::size_t lo = 0; lo < in.rows(); lo += block) {
                const std::size_t hi = std::min(in.rows(), lo + block);
                if (!values_valid<Policy::nonnegative>(in, lo, hi)) name_bad_value(in, lo, hi, true, where);
                for (std::size_t i = lo; i < hi; ++i) {
                    const double w = weighted ? b.weights[i] : 1.0;
                    const std::size_t c = b.targets[i];
                    count[c] += w;
                    if (w == 0) continue;
                    double* fc = features.row(c).data();
                    const auto row = in.row(i);
                    if constexpr (is_sparse_input<In>) {
                        for (std::size_t e = 0; e < row.size(); ++e) {
#if defined(__GNUC__)
                            if (e + nb_prefetch_distance < row.size()) {
                                __builtin_prefetch(fc + static_cast<std::size_t>(row.indices[e + nb_prefetch_distance]), 1);
                            }
#endif
                            fc[static_cast<std::size_t>(row.indices[e])] += w * map(static_cast<double>(row.values[e]));
                        }
                    } else {
                        for (std::size_t j = 0; j < row.size(); ++j) fc[j] += w * map(static_cast<double>(row[j]));
                    }
                }
            }
        });
    }

    // Class log-priors (scikit-learn's _update_class_log_prior), then the policy's tables.
    [[nodiscard]] derived_state derive(std::span<const double> count, const double_matrix& features) const {
        const std::size_t k = features.rows();
        const std::size_t f = features.cols();
        derived_state d{this->make_vector(k), this->make_matrix(k, f), this->make_matrix(f, k, row_padding::none),
                        this->make_vector(k),
                        this->make_matrix(Policy::separate_weights ? k : 0, Policy::separate_weights ? f : 0)};
        if (!options_.class_prior.empty()) {
            for (std::size_t c = 0; c < k; ++c) d.log_prior[c] = std::log(options_.class_prior[c]);
        } else if (options_.fit_prior) {
            double total = 0;
            for (const double n : count) total += n;
            const double log_total = std::log(total);
            for (std::size_t c = 0; c < k; ++c) d.log_prior[c] = std::log(count[c]) - log_total;
        } else {
            for (std::size_t c = 0; c < k; ++c) d.log_prior[c] = -std::log(static_cast<double>(k));
        }
        // The policy writes the prediction weights class by class (into the log-probability
        // table itself where they are the same); they are then stored features x classes.
        const matrix_view<double> by_class = Policy::separate_weights ? d.class_weights.view() : d.log_prob.view();
        Policy::finalize(options_, effective_alpha(), count, features.view(), d.log_prior, d.log_prob.view(), by_class,
                         d.bias);
        // A blocked transpose: a block of 64 feature rows of the result stays in cache.
        constexpr std::size_t block = 64;
        for (std::size_t j0 = 0; j0 < f; j0 += block) {
            const std::size_t j1 = std::min(f, j0 + block);
            for (std::size_t c = 0; c < k; ++c) {
                const double* src = by_class.row(c).data();
                for (std::size_t j = j0; j < j1; ++j) d.weights(j, c) = src[j];
            }
        }
        return d;
    }

    void commit(derived_state&& d) noexcept {
        this->class_log_prior_ = std::move(d.log_prior);
        feature_log_prob_ = std::move(d.log_prob);
        weights_ = std::move(d.weights);
        bias_ = std::move(d.bias);
        class_weights_ = std::move(d.class_weights);
    }

    // jll rows [lo, hi) of X into out (row stride `stride`): bias, plus map(x_j) times the
    // weights of feature j. Values are checked first (one vectorized pass; the slow search for
    // the culprit runs only when it fails).
    template <class In>
    void jll_into(const In& in, std::size_t lo, std::size_t hi, double* out, std::size_t stride, const char* where) const {
        Policy::with_map(options_, [&](auto map, bool strict) {
            if constexpr (is_sparse_input<In>) {
                // Finiteness is checked inside the loop (a CSR row is read once); values that must
                // be 0 or 1 are checked before.
                if (strict && !values_valid<false>(in, lo, hi)) name_bad_value(in, lo, hi, false, where);
                sparse_jll(in, lo, hi, out, stride, map, where);
            } else {
                if (!values_valid<false>(in, lo, hi)) name_bad_value(in, lo, hi, false, where);
                dense_jll(in, lo, hi, out, stride, map);
            }
        });
    }

    // Sparse rows: the stored entries against the features x classes weights, with the number
    // of classes fixed at compile time for the common small counts.
    template <class In, class Map>
    void sparse_jll(const In& in, std::size_t lo, std::size_t hi, double* out, std::size_t stride, Map map,
                    const char* where) const {
        const std::size_t k = this->n_classes();
        const double* w = weights_.data();
        TESSERA_ASSERT(weights_.stride() == k);
        const auto rows = [&](auto fixed) {
            for (std::size_t i = lo; i < hi; ++i) {
                double* o = out + (i - lo) * stride;
                std::copy(bias_.begin(), bias_.end(), o);
                const auto row = in.row(i);
                bool finite = false;
                if constexpr (decltype(fixed)::value == 0) {
                    finite = nb_sparse_row(row.indices.data(), row.values.data(), row.size(), w, k, map, o);
                } else {
                    finite = nb_sparse_row<decltype(fixed)::value>(row.indices.data(), row.values.data(), row.size(), w,
                                                                   map, o);
                }
                if (!finite) name_bad_value(in, i, i + 1, false, where);
            }
        };
        switch (k) {
            case 2: rows(std::integral_constant<std::size_t, 2>{}); break;
            case 3: rows(std::integral_constant<std::size_t, 3>{}); break;
            case 4: rows(std::integral_constant<std::size_t, 4>{}); break;
            default: rows(std::integral_constant<std::size_t, 0>{}); break;
        }
    }

    // Dense rows: one dot product per class with the classes x features weights (the runtime-
    // dispatched SIMD kernel), on the row itself when it is double and read as it is, else on
    // a mapped copy.
    template <class In, class Map>
    void dense_jll(const In& in, std::size_t lo, std::size_t hi, double* out, std::size_t stride, Map map) const {
        const std::size_t k = this->n_classes();
        const std::size_t f = this->n_features_;
        const auto w = class_weights();
        constexpr bool direct = std::is_same_v<T, double> && std::is_same_v<Map, nb_identity>;
        std::vector<double> mapped(direct ? 0 : f);
        for (std::size_t i = lo; i < hi; ++i) {
            const auto row = in.row(i);
            const double* x = nullptr;
            if constexpr (direct) {
                x = row.data();
            } else {
                for (std::size_t j = 0; j < f; ++j) mapped[j] = map(static_cast<double>(row[j]));
                x = mapped.data();
            }
            double* o = out + (i - lo) * stride;
            for (std::size_t c = 0; c < k; ++c) o[c] = bias_[c] + simd::dot(x, w.row(c).data(), f);
        }
    }

    // The prediction weights classes x features: the log-probability table itself unless the
    // policy's weights differ from it.
    [[nodiscard]] matrix_view<const double> class_weights() const noexcept {
        return Policy::separate_weights ? class_weights_.view() : feature_log_prob_.view();
    }

    options options_;
    double_matrix feature_count_;     // classes x features
    double_matrix feature_log_prob_;  // classes x features
    double_matrix weights_;           // features x classes: what sparse predictions multiply X by
    double_matrix class_weights_;     // the same, classes x features, when they are not feature_log_prob_
    double_vector bias_;              // what predictions start from
    /// \endcond
};

}  // namespace tessera::detail

namespace tessera {

// ---- multinomial_nb: multinomial naive Bayes, for counts (word counts,
// tf-idf values): X is dense rows of T or a CSR matrix of T, with values >= 0.
//
//   tessera::multinomial_nb<std::string, float> nb({.alpha = 0.5});
//   nb.fit(counts, labels);                  // csr_matrix<float> or any dense input of float
//   auto labels = nb.predict(more_counts);   // std::vector<std::string>
//
// The formulas are scikit-learn 1.2's MultinomialNB, with fc = feature_count():
//
//   feature_log_prob_cj = log(fc_cj + alpha) - log(sum_j (fc_cj + alpha))
//   class_log_prior_c   = log(class_prior_c)                 options.class_prior given,
//                         log(class_count_c) - log(sum class_count)   fit_prior,
//                         -log(n_classes)                              otherwise;
//   jll(x)_c            = class_log_prior_c + sum_j x_j feature_log_prob_cj.
//
// alpha below 1e-10 is raised to 1e-10 (scikit-learn 1.2's default, force_alpha=False).
// Negative values in X at fit are an error ("negative counts"); predictions accept them, as
// scikit-learn does. Fit reads only the non-zero values (the stored entries of a CSR matrix);
// predictions on dense and on sparse rows agree to rounding.
//
// Thread safety: const member functions may run concurrently on one model; fit, partial_fit,
// merge and assignment need exclusive access.

/// Hyper-parameters of multinomial_nb, validated by fit and partial_fit.
struct multinomial_nb_options {
    /// Additive (Laplace/Lidstone) smoothing: finite, >= 0; values below 1e-10 act as 1e-10.
    double alpha = 1.0;
    /// Learn the class priors from the class counts (else uniform), unless class_prior is given.
    bool fit_prior = true;
    /// P(c) per class in sorted class order (finite, >= 0, used as given); empty: see fit_prior.
    std::vector<double> class_prior{};
    /// Threads and blocking of predictions (results do not depend on them).
    parallel_options parallel{};
};

namespace detail {
/// \cond

struct multinomial_policy {
    using options = multinomial_nb_options;
    static constexpr const char* name = "multinomial_nb";
    static constexpr const char* fit_where = "multinomial_nb::fit";
    static constexpr const char* partial_fit_where = "multinomial_nb::partial_fit";
    static constexpr const char* predict_where = "multinomial_nb::predict";
    static constexpr const char* proba_where = "multinomial_nb::predict_proba";
    static constexpr const char* log_proba_where = "multinomial_nb::predict_log_proba";
    static constexpr const char* jll_where = "multinomial_nb::joint_log_likelihood";
    static constexpr const char* score_where = "multinomial_nb::score";
    static constexpr const char* merge_where = "multinomial_nb::merge";
    static constexpr const char* write_where = "multinomial_nb::write_to";
    static constexpr const char* read_where = "multinomial_nb::read_from";
    static constexpr bool nonnegative = true;
    static constexpr bool bounded_counts = false;
    static constexpr bool separate_weights = false;

    static void check_extra(const options&, const char*) {}
    static bool same_extra(const options&, const options&) { return true; }
    static void write_extra(archive_writer&, const options&) {}
    static void read_extra(archive_reader&, options&) {}

    template <class F>
    static void with_map(const options&, F&& f) {
        f(nb_identity{}, false);
    }

    static void finalize(const options&, double alpha, std::span<const double>, matrix_view<const double> fc,
                         std::span<const double> log_prior, matrix_view<double> log_prob, matrix_view<double>,
                         std::span<double> bias) {
        const double log_alpha = std::log(alpha);  // log(fc + alpha) of every zero count
        for (std::size_t c = 0; c < fc.rows(); ++c) {
            const auto counts = fc.row(c);
            const auto out = log_prob.row(c);
            double total = 0;
            for (const double v : counts) total += v + alpha;
            const double log_total = std::log(total);
            for (std::size_t j = 0; j < counts.size(); ++j) {
                out[j] = (counts[j] == 0 ? log_alpha : std::log(counts[j] + alpha)) - log_total;
            }
            bias[c] = log_prior[c];
        }
    }
};

/// \endcond
}  // namespace detail

/// Multinomial naive Bayes over rows of T (dense or CSR) with labels of any `label` type: see
/// the comment before this alias in the header for the formulas and detail::discrete_nb for the
/// members, complexity and exceptions.
template <label Label = int, class T = double, class Allocator = std::allocator<double>>
using multinomial_nb = detail::discrete_nb<Label, T, detail::multinomial_policy, Allocator>;

// ---- bernoulli_nb: Bernoulli naive Bayes, for binary features (a word
// occurs or not): X is dense rows of T or a CSR matrix of T, binarized at options.binarize.
//
//   tessera::bernoulli_nb<int, float> nb({.binarize = 0.0});   // x > 0 counts as 1
//   nb.fit(X, y);
//
// The formulas are scikit-learn 1.2's BernoulliNB, with b(x) = (x > binarize ? 1 : 0),
// fc = feature_count() (the weighted count of rows of class c with b(x_j) = 1) and
// n_c = class_count():
//
//   feature_log_prob_cj = log(fc_cj + alpha) - log(n_c + 2 alpha)           (log p_cj)
//   jll(x)_c            = class_log_prior_c + sum_j log(1 - p_cj)
//                         + sum_j b(x_j) (log p_cj - log(1 - p_cj)),
//
// with log(1 - p) computed as scikit-learn does, log(1 - exp(log p)) (where that rounds to
// -inf, from the counts: log(n_c - fc_cj + alpha) - log(n_c + 2 alpha)); class_log_prior as
// multinomial_nb's. alpha below 1e-10 is raised to 1e-10. With binarize = nullopt X must
// already hold only 0 and 1 (anything else throws, at fit and predict). A CSR matrix needs a
// threshold >= 0 (its implicit zeros must stay 0), as in scikit-learn.
//
// Thread safety: const member functions may run concurrently on one model; fit, partial_fit,
// merge and assignment need exclusive access.

/// Hyper-parameters of bernoulli_nb, validated by fit and partial_fit.
struct bernoulli_nb_options {
    /// Additive (Laplace/Lidstone) smoothing: finite, >= 0; values below 1e-10 act as 1e-10.
    double alpha = 1.0;
    /// Learn the class priors from the class counts (else uniform), unless class_prior is given.
    bool fit_prior = true;
    /// P(c) per class in sorted class order (finite, >= 0, used as given); empty: see fit_prior.
    std::vector<double> class_prior{};
    /// x > binarize reads as 1, anything else as 0 (finite); nullopt: X holds only 0 and 1.
    std::optional<double> binarize = 0.0;
    /// Threads and blocking of predictions (results do not depend on them).
    parallel_options parallel{};
};

namespace detail {
/// \cond

struct bernoulli_policy {
    using options = bernoulli_nb_options;
    static constexpr const char* name = "bernoulli_nb";
    static constexpr const char* fit_where = "bernoulli_nb::fit";
    static constexpr const char* partial_fit_where = "bernoulli_nb::partial_fit";
    static constexpr const char* predict_where = "bernoulli_nb::predict";
    static constexpr const char* proba_where = "bernoulli_nb::predict_proba";
    static constexpr const char* log_proba_where = "bernoulli_nb::predict_log_proba";
    static constexpr const char* jll_where = "bernoulli_nb::joint_log_likelihood";
    static constexpr const char* score_where = "bernoulli_nb::score";
    static constexpr const char* merge_where = "bernoulli_nb::merge";
    static constexpr const char* write_where = "bernoulli_nb::write_to";
    static constexpr const char* read_where = "bernoulli_nb::read_from";
    static constexpr bool nonnegative = false;
    static constexpr bool bounded_counts = true;
    static constexpr bool separate_weights = true;

    static void check_extra(const options& o, const char* where) {
        if (o.binarize && !std::isfinite(*o.binarize)) {
            throw_argument(where, "options.binarize", "must be finite (or nullopt), got " + number_text(*o.binarize));
        }
    }
    static bool same_extra(const options& a, const options& b) { return a.binarize == b.binarize; }
    static void write_extra(archive_writer& w, const options& o) {
        w.write<bool>(o.binarize.has_value());
        w.write<double>(o.binarize.value_or(0.0));
    }
    static void read_extra(archive_reader& r, options& o) {
        const bool has = r.read<bool>("binarize");
        const double threshold = r.read<double>("binarize");
        o.binarize = has ? std::optional<double>(threshold) : std::nullopt;
    }

    // f(map, strict): map binarizes; strict: X must hold 0 and 1 (read as they are).
    template <class F>
    static void with_map(const options& o, F&& f) {
        if (o.binarize) {
            const double t = *o.binarize;
            f([t](double v) { return v > t ? 1.0 : 0.0; }, false);
        } else {
            f(nb_identity{}, true);
        }
    }

    // log(1 - p) as scikit-learn computes it, log(1 - exp(log p)); from the counts where that
    // rounds to -inf (p within rounding of 1).
    [[nodiscard]] static double log_absent(double log_p, double count, double fc, double alpha, double log_total) {
        const double v = std::log(1.0 - std::exp(log_p));
        return std::isfinite(v) ? v : std::log((count - fc) + alpha) - log_total;
    }

    static void finalize(const options&, double alpha, std::span<const double> count, matrix_view<const double> fc,
                         std::span<const double> log_prior, matrix_view<double> log_prob, matrix_view<double> weights,
                         std::span<double> bias) {
        const double log_alpha = std::log(alpha);
        for (std::size_t c = 0; c < fc.rows(); ++c) {
            const auto counts = fc.row(c);
            const auto out = log_prob.row(c);
            const auto w = weights.row(c);
            const double log_total = std::log(count[c] + 2 * alpha);
            // Every zero count gives the same values: computed once.
            const double p0 = log_alpha - log_total;
            const double absent0 = log_absent(p0, count[c], 0.0, alpha, log_total);
            double negative = 0;
            for (std::size_t j = 0; j < counts.size(); ++j) {
                if (counts[j] == 0) {
                    out[j] = p0;
                    w[j] = p0 - absent0;
                    negative += absent0;
                } else {
                    out[j] = std::log(counts[j] + alpha) - log_total;
                    const double absent = log_absent(out[j], count[c], counts[j], alpha, log_total);
                    w[j] = out[j] - absent;
                    negative += absent;
                }
            }
            bias[c] = log_prior[c] + negative;
        }
    }
};

/// \endcond
}  // namespace detail

/// Bernoulli naive Bayes over rows of T (dense or CSR) with labels of any `label` type: see the
/// comment before this alias in the header for the formulas and detail::discrete_nb for the
/// members, complexity and exceptions.
template <label Label = int, class T = double, class Allocator = std::allocator<double>>
using bernoulli_nb = detail::discrete_nb<Label, T, detail::bernoulli_policy, Allocator>;

// ---- complement_nb: complement naive Bayes (Rennie et al. 2003), for
// counts on imbalanced text classes: X is dense rows of T or a CSR matrix of T, values >= 0.
//
//   tessera::complement_nb<std::string, float> nb({.alpha = 0.3, .norm = true});
//   nb.fit(counts, labels);
//
// The formulas are scikit-learn 1.2's ComplementNB, with fc = feature_count(), a_j = sum_c fc_cj:
//
//   comp_cj             = (a_j + alpha) - fc_cj           (counts of every other class)
//   logged_cj           = log(comp_cj / sum_j comp_cj)
//   feature_log_prob_cj = norm ? logged_cj / sum_j logged_cj : -logged_cj
//   jll(x)_c            = sum_j x_j feature_log_prob_cj  (+ class_log_prior_c with one class only)
//
// class_log_prior as multinomial_nb's; it enters the prediction only when there is a single
// class (scikit-learn's rule). With norm and a single feature, sum_j logged_cj is 0; the
// weights are then 0 (scikit-learn would give NaN). alpha below 1e-10 is raised to 1e-10.
// Negative values in X at fit are an error ("negative counts").
//
// Thread safety: const member functions may run concurrently on one model; fit, partial_fit,
// merge and assignment need exclusive access.

/// Hyper-parameters of complement_nb, validated by fit and partial_fit.
struct complement_nb_options {
    /// Additive (Laplace/Lidstone) smoothing: finite, >= 0; values below 1e-10 act as 1e-10.
    double alpha = 1.0;
    /// Learn the class priors from the class counts (else uniform), unless class_prior is given
    /// (they matter only for a single class).
    bool fit_prior = true;
    /// P(c) per class in sorted class order (finite, >= 0, used as given); empty: see fit_prior.
    std::vector<double> class_prior{};
    /// Normalize the weights of each class by their sum (the second normalization of Rennie et al.).
    bool norm = false;
    /// Threads and blocking of predictions (results do not depend on them).
    parallel_options parallel{};
};

namespace detail {
/// \cond

struct complement_policy {
    using options = complement_nb_options;
    static constexpr const char* name = "complement_nb";
    static constexpr const char* fit_where = "complement_nb::fit";
    static constexpr const char* partial_fit_where = "complement_nb::partial_fit";
    static constexpr const char* predict_where = "complement_nb::predict";
    static constexpr const char* proba_where = "complement_nb::predict_proba";
    static constexpr const char* log_proba_where = "complement_nb::predict_log_proba";
    static constexpr const char* jll_where = "complement_nb::joint_log_likelihood";
    static constexpr const char* score_where = "complement_nb::score";
    static constexpr const char* merge_where = "complement_nb::merge";
    static constexpr const char* write_where = "complement_nb::write_to";
    static constexpr const char* read_where = "complement_nb::read_from";
    static constexpr bool nonnegative = true;
    static constexpr bool bounded_counts = false;
    static constexpr bool separate_weights = false;

    static void check_extra(const options&, const char*) {}
    static bool same_extra(const options& a, const options& b) { return a.norm == b.norm; }
    static void write_extra(archive_writer& w, const options& o) { w.write<bool>(o.norm); }
    static void read_extra(archive_reader& r, options& o) { o.norm = r.read<bool>("norm"); }

    template <class F>
    static void with_map(const options&, F&& f) {
        f(nb_identity{}, false);
    }

    static void finalize(const options& o, double alpha, std::span<const double>, matrix_view<const double> fc,
                         std::span<const double> log_prior, matrix_view<double> log_prob, matrix_view<double>,
                         std::span<double> bias) {
        const std::size_t k = fc.rows();
        const std::size_t f = fc.cols();
        // a_j: the counts summed over the classes in class order (numpy's sum over axis 0).
        std::vector<double> all(f, 0.0);
        for (std::size_t c = 0; c < k; ++c) {
            const auto counts = fc.row(c);
            for (std::size_t j = 0; j < f; ++j) all[j] += counts[j];
        }
        for (std::size_t c = 0; c < k; ++c) {
            const auto counts = fc.row(c);
            const auto out = log_prob.row(c);
            double total = 0;
            for (std::size_t j = 0; j < f; ++j) {
                out[j] = (all[j] + alpha) - counts[j];
                total += out[j];
            }
            double logged_sum = 0;
            for (std::size_t j = 0; j < f; ++j) {
                out[j] = std::log(out[j] / total);
                logged_sum += out[j];
            }
            for (std::size_t j = 0; j < f; ++j) out[j] = o.norm ? (logged_sum != 0 ? out[j] / logged_sum : 0.0) : -out[j];
            bias[c] = k == 1 ? log_prior[c] : 0.0;
        }
    }
};

/// \endcond
}  // namespace detail

/// Complement naive Bayes over rows of T (dense or CSR) with labels of any `label` type: see
/// the comment before this alias in the header for the formulas and detail::discrete_nb for the
/// members, complexity and exceptions.
template <label Label = int, class T = double, class Allocator = std::allocator<double>>
using complement_nb = detail::discrete_nb<Label, T, detail::complement_policy, Allocator>;

}  // namespace tessera
