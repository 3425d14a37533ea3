/// \file
/// tessera/naive_bayes/common.hpp - what every naive Bayes classifier shares: the inputs they
/// accept (dense rows of T; CSR matrices of T for the discrete models), the checks on labels and
/// sample weights, the fit / partial_fit driver, and predict, predict_proba, predict_log_proba,
/// joint_log_likelihood and score on top of a model's joint log-likelihood.
///
/// A model derives from detail::nb_classifier (CRTP) and supplies:
///
/// ```cpp
///   void check_options(const char* where) const;
///   template <class In> void check_values(const In&, bool fitting, const char* where) const;
///   template <class In> void learn(const In&, nb_batch&&, bool reset, const char* where);
///   template <class In> void check_queries(const In&, const char* where) const;
///   template <class In> void jll_into(const In&, std::size_t lo, std::size_t hi, double* out,
///                                     std::size_t stride, const char* where) const;
/// ```
///
/// where In is a row_access of T (dense) or a csr_view<T, Index>. Nothing here is public API:
/// users name gaussian_nb, multinomial_nb, bernoulli_nb and complement_nb.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/metrics/classification.hpp"

namespace tessera::detail {
/// \cond

// Class-prior checks shared by the models: n_classes entries, finite, non-negative.
inline void nb_check_prior_values(std::span<const double> p, std::size_t n_classes, const char* where, const char* arg) {
    if (p.size() != n_classes) {
        throw_argument(where, arg,
                       "has " + std::to_string(p.size()) + " entries but there are " + std::to_string(n_classes) +
                           " classes");
    }
    for (std::size_t c = 0; c < p.size(); ++c) {
        if (!std::isfinite(p[c]) || p[c] < 0) {
            throw_argument(where, arg,
                           "entry " + std::to_string(c) + " is " + number_text(p[c]) + ": priors must be finite and >= 0");
        }
    }
}

// In-place: a row of joint log-likelihoods becomes log-probabilities, jll - logsumexp(jll),
// computed as scipy's logsumexp does (subtract the row maximum, 0 when it is not finite).
inline void nb_log_normalize(double* row, std::size_t k) noexcept {
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) top = std::max(top, row[c]);
    if (!std::isfinite(top)) top = 0;
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(row[c] - top);
    const double lse = std::log(sum) + top;
    for (std::size_t c = 0; c < k; ++c) row[c] -= lse;
}

// In-place: a row of joint log-likelihoods becomes probabilities, exp(jll - max) / sum, which
// is exp of nb_log_normalize's result up to rounding at one exp per class instead of two.
inline void nb_normalize_exp(double* row, std::size_t k) noexcept {
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c) {
        if (row[c] > row[best]) best = c;
    }
    const double top = std::isfinite(row[best]) ? row[best] : 0.0;
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) {
        // exp(0) of the largest entry is 1: with two classes that is half the exp calls.
        row[c] = c == best && top == row[c] ? 1.0 : std::exp(row[c] - top);
        sum += row[c];
    }
    for (std::size_t c = 0; c < k; ++c) row[c] /= sum;
}

// The first largest entry (numpy's argmax).
[[nodiscard]] inline std::size_t nb_argmax(const double* row, std::size_t k) noexcept {
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c) {
        if (row[c] > row[best]) best = c;
    }
    return best;
}

// One batch of training data after the shared checks: the classes it is learnt under, the
// class index of every row, and its weights (empty: every row weighs 1).
template <class Encoder>
struct nb_batch {
    Encoder encoder;
    std::vector<class_index> targets;
    std::vector<double> weights;
};

// ---- the shared classifier -------------------------------------------------------------------

// Rows per scratch block of predict (n_classes doubles each).
inline constexpr std::size_t nb_chunk_rows = 256;
/// \endcond

/// What the naive Bayes classifiers share (gaussian_nb, and multinomial_nb, bernoulli_nb and
/// complement_nb through discrete_nb): fit, partial_fit, predict, predict_proba,
/// predict_log_proba, joint_log_likelihood, score and the fitted classes and counts. Users name
/// the classifiers, never this base; its members are documented here once for all of them.
///
/// Prediction runs in parallel over rows with the model's parallel options and costs what the
/// model's joint log-likelihood costs per row and class (see each model). Thread safety: const
/// members may run concurrently on one model; fit and partial_fit need exclusive access.
///
/// Exceptions: fit and partial_fit throw invalid_argument for bad options, an empty X, values
/// the model refuses (see each model), bad sample weights, labels outside the declared classes,
/// classes missing on a first partial_fit or differing from the fitted ones, and
/// dimension_mismatch when y's length differs from X's rows or a later batch has another width.
/// The predictions throw not_fitted_error before fit and dimension_mismatch for another width.
template <class Derived, label Label, class T, class Allocator, bool Sparse>
class nb_classifier {
    /// \cond
    static_assert(numeric<T>, "naive Bayes models read X of a numeric element type (float, double, an integer)");
    static_assert(!std::is_same_v<label_storage_t<Label>, bool>,
                  "naive Bayes models do not take bool labels: use an integer label (0 and 1) instead");

protected:
    using alloc_traits = std::allocator_traits<Allocator>;
    using double_allocator = typename alloc_traits::template rebind_alloc<double>;
    using label_allocator = typename alloc_traits::template rebind_alloc<label_storage_t<Label>>;
    using encoder_type = label_encoder<Label, label_allocator>;
    using double_vector = std::vector<double, double_allocator>;
    using double_matrix = dense_matrix<double, double_allocator>;
    using batch = nb_batch<encoder_type>;
    /// \endcond

public:
    using label_type = label_storage_t<Label>;  ///< the stored label type (Label)
    using value_type = T;                       ///< element type of X
    using allocator_type = Allocator;           ///< allocator of the fitted state

    // ---- learning --------------------------------------------------------------------------

    /// Learns from rows X and their labels y, replacing anything learnt before; the classes
    /// are the distinct labels of y, sorted.
    template <class X, label_range Y>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void fit(const X& x, const Y& y) {
        run(x, y, static_cast<const std::vector<double>*>(nullptr), static_cast<const std::vector<label_type>*>(nullptr),
            true, Derived::fit_where);
    }

    /// The same, each row weighing sample_weight[i] (finite, >= 0, not all zero): an integer
    /// weight is the same as repeating the row.
    template <class X, label_range Y, weight_range W>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void fit(const X& x, const Y& y, const W& sample_weight) {
        run(x, y, &sample_weight, static_cast<const std::vector<label_type>*>(nullptr), true, Derived::fit_where);
    }

    /// Learns one more batch. The first call (on a model that is not fitted) must declare every
    /// class the model will see; later calls may repeat the same classes or leave them out.
    /// Learning in batches gives the model fit() gives on all the rows (up to rounding).
    template <class X, label_range Y, label_range C>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>> &&
                 std::constructible_from<label_type, std::ranges::range_value_t<C>>
    void partial_fit(const X& x, const Y& y, const C& classes) {
        const auto declared = collect_labels<label_type>(classes);
        run(x, y, static_cast<const std::vector<double>*>(nullptr), &declared, false, Derived::partial_fit_where);
    }

    /// A later batch (after fit or a first partial_fit).
    template <class X, label_range Y>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void partial_fit(const X& x, const Y& y) {
        run(x, y, static_cast<const std::vector<double>*>(nullptr), static_cast<const std::vector<label_type>*>(nullptr),
            false, Derived::partial_fit_where);
    }

    /// A weighted batch with its classes declared.
    template <class X, label_range Y, label_range C, weight_range W>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>> &&
                 std::constructible_from<label_type, std::ranges::range_value_t<C>>
    void partial_fit(const X& x, const Y& y, const C& classes, const W& sample_weight) {
        const auto declared = collect_labels<label_type>(classes);
        run(x, y, &sample_weight, &declared, false, Derived::partial_fit_where);
    }

    /// A later weighted batch. (The argument after y is a weight range, not a label range:
    /// pass classes and weights together as partial_fit(X, y, classes, sample_weight).)
    template <class X, label_range Y, weight_range W>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>> &&
                 (!label_range<W>)
    void partial_fit(const X& x, const Y& y, const W& sample_weight) {
        run(x, y, &sample_weight, static_cast<const std::vector<label_type>*>(nullptr), false, Derived::partial_fit_where);
    }

    // ---- prediction ------------------------------------------------------------------------

    /// The most likely class of every row of X (the first in classes() on a tie).
    template <class X>
        requires model_input<X, T, Sparse>
    [[nodiscard]] std::vector<label_type> predict(const X& x) const {
        constexpr const char* where = Derived::predict_where;
        const auto in = queries(x, where);
        std::vector<label_type> out(in.rows());
        const std::size_t k = n_classes();
        parallel_for_blocks(
            0, in.rows(),
            [&](std::size_t lo, std::size_t hi) {
                double_vector scratch(std::min(hi - lo, nb_chunk_rows) * k, double_allocator(alloc_));
                for (std::size_t a = lo; a < hi; a += nb_chunk_rows) {
                    const std::size_t b = std::min(hi, a + nb_chunk_rows);
                    derived().jll_into(in, a, b, scratch.data(), k, where);
                    for (std::size_t i = a; i < b; ++i) out[i] = encoder_.classes()[nb_argmax(scratch.data() + (i - a) * k, k)];
                }
            },
            derived().parallel());
        return out;
    }

    /// The joint log-likelihood log P(c) + log P(x | c) of every row and class: X.rows() x
    /// n_classes(), columns in the order of classes().
    template <class X>
        requires model_input<X, T, Sparse>
    [[nodiscard]] dense_matrix<double> joint_log_likelihood(const X& x) const {
        return table(x, Derived::jll_where, false, false);
    }

    /// log P(c | x): the joint log-likelihood minus its log-sum-exp over the classes.
    template <class X>
        requires model_input<X, T, Sparse>
    [[nodiscard]] dense_matrix<double> predict_log_proba(const X& x) const {
        return table(x, Derived::log_proba_where, true, false);
    }

    /// P(c | x) = exp(predict_log_proba(X)); rows sum to 1 (up to rounding).
    template <class X>
        requires model_input<X, T, Sparse>
    [[nodiscard]] dense_matrix<double> predict_proba(const X& x) const {
        return table(x, Derived::proba_where, true, true);
    }

    /// Accuracy of predict(X) against y; a label of y that is not among classes() counts as a
    /// wrong prediction. Throws invalid_argument for an empty X, dimension_mismatch when y's
    /// length differs from X's rows.
    template <class X, label_range Y>
        requires model_input<X, T, Sparse> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    [[nodiscard]] double score(const X& x, const Y& y) const {
        constexpr const char* where = Derived::score_where;
        require_fitted(fitted(), where);
        return accuracy_score(collect_scored_labels<label_type>(x, y, where), predict(x));
    }

    // ---- fitted state ----------------------------------------------------------------------

    /// Whether fit (or a first partial_fit, or load) has run.
    [[nodiscard]] bool fitted() const noexcept { return encoder_.fitted(); }
    /// The classes in sorted order (empty before fit); column c of every table is classes()[c].
    [[nodiscard]] std::span<const label_type> classes() const noexcept { return encoder_.classes(); }
    /// Number of classes (0 before fit).
    [[nodiscard]] std::size_t n_classes() const noexcept { return encoder_.n_classes(); }
    /// Columns of X (0 before fit).
    [[nodiscard]] std::size_t n_features() const noexcept { return n_features_; }
    /// The total sample weight learnt for each class (the row count without weights).
    [[nodiscard]] std::span<const double> class_count() const noexcept { return class_count_; }
    /// log P(c) as the joint log-likelihood uses it (see the model's documentation).
    [[nodiscard]] std::span<const double> class_log_prior() const noexcept { return class_log_prior_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    /// \cond
protected:
    explicit nb_classifier(const Allocator& alloc)
        : encoder_(label_allocator(alloc)), class_count_(double_allocator(alloc)),
          class_log_prior_(double_allocator(alloc)), alloc_(alloc) {}

    [[nodiscard]] Derived& derived() noexcept { return static_cast<Derived&>(*this); }
    [[nodiscard]] const Derived& derived() const noexcept { return static_cast<const Derived&>(*this); }

    [[nodiscard]] double_vector make_vector(std::size_t n, double value = 0) const {
        return double_vector(n, value, double_allocator(alloc_));
    }
    [[nodiscard]] double_matrix make_matrix(std::size_t rows, std::size_t cols,
                                            row_padding padding = row_padding::aligned) const {
        return double_matrix(rows, cols, padding, double_allocator(alloc_));
    }

    // The shared part of every fit and partial_fit: options, shapes, labels, weights and
    // classes are checked, then the model learns the batch (reset: forget the old state).
    template <class X, class Y, class W>
    void run(const X& x, const Y& y, const W* sample_weight, const std::vector<label_type>* declared, bool reset,
             const char* where) {
        derived().check_options(where);
        const auto in = model_rows(x, where);
        require_fit_shape(in, where);
        const auto labels = collect_labels<label_type>(y);
        if (labels.size() != in.rows()) {
            throw_argument<dimension_mismatch>(where, "y",
                                               "has " + std::to_string(labels.size()) + " labels but X has " +
                                                   std::to_string(in.rows()) + " rows");
        }
        batch b{encoder_type(label_allocator(alloc_)), {}, {}};
        if (sample_weight != nullptr) b.weights = collect_weights(*sample_weight, in.rows(), where);
        if (reset) {
            b.encoder.fit(labels);
        } else if (!fitted()) {
            if (declared == nullptr) {
                throw_argument(where, "classes",
                               "must be given on the first call to partial_fit (every class the model will see)");
            }
            b.encoder = encoder_type::from_classes(*declared, label_allocator(alloc_));
        } else {
            if (declared != nullptr) {
                auto again = encoder_type::from_classes(*declared, label_allocator(alloc_));
                if (!std::ranges::equal(again.classes(), encoder_.classes())) {
                    throw_argument(where, "classes",
                                   "differ from the classes the model was fitted with (" + class_list(encoder_.classes()) +
                                       "), given " + class_list(again.classes()));
                }
            }
            if (in.cols() != n_features_) {
                throw_argument<dimension_mismatch>(where, "X",
                                                   "has " + std::to_string(in.cols()) +
                                                       " columns but the model was fitted on " + std::to_string(n_features_));
            }
            b.encoder = encoder_;
        }
        b.targets.reserve(labels.size());
        b.encoder.encode(labels, std::back_inserter(b.targets), where, "y");
        derived().check_values(in, true, where);
        derived().learn(in, std::move(b), reset || !fitted(), where);
    }

    // The checks every prediction shares; returns the rows of X.
    template <class X>
    [[nodiscard]] auto queries(const X& x, const char* where) const {
        require_fitted(fitted(), where);
        const auto in = model_rows(x, where);
        if ((in.rows() > 0 || is_sparse_input<decltype(in)>) && in.cols() != n_features_) {
            throw_argument<dimension_mismatch>(where, "X",
                                               "has " + std::to_string(in.cols()) + " columns but the model was fitted on " +
                                                   std::to_string(n_features_));
        }
        derived().check_queries(in, where);
        return in;
    }

    [[nodiscard]] dense_matrix<double> table(const auto& x, const char* where, bool normalize, bool exponentiate) const {
        const auto in = queries(x, where);
        const std::size_t k = n_classes();
        // Unpadded rows: with few classes, padding each row to 64 bytes would multiply the bytes
        // written.
        dense_matrix<double> out(in.rows(), k, row_padding::none);
        parallel_for_blocks(
            0, in.rows(),
            [&](std::size_t lo, std::size_t hi) {
                derived().jll_into(in, lo, hi, out.data() + lo * out.stride(), out.stride(), where);
                if (!normalize) return;
                for (std::size_t i = lo; i < hi; ++i) {
                    double* row = out.data() + i * out.stride();
                    if (exponentiate) {
                        nb_normalize_exp(row, k);
                    } else {
                        nb_log_normalize(row, k);
                    }
                }
            },
            derived().parallel());
        return out;
    }

    [[nodiscard]] static std::string class_list(std::span<const label_type> classes) {
        std::string s;
        for (std::size_t c = 0; c < classes.size() && c < 10; ++c) {
            if (c > 0) s += ", ";
            s += label_to_string(classes[c]);
        }
        if (classes.size() > 10) s += ", ... (" + std::to_string(classes.size()) + " classes)";
        return s;
    }

    // Merge: both fitted, same classes and width.
    void check_mergeable(const Derived& other, const char* where) const {
        require_fitted(fitted(), where);
        if (!other.fitted()) {
            throw not_fitted_error(std::string("tessera::") + where + ": argument 'other': the model is not fitted");
        }
        if (!std::ranges::equal(other.classes(), classes())) {
            throw_argument(where, "other",
                           "has the classes " + class_list(other.classes()) + ", this model " + class_list(classes()));
        }
        if (other.n_features() != n_features_) {
            throw_argument<dimension_mismatch>(where, "other",
                                               "was fitted on " + std::to_string(other.n_features()) +
                                                   " columns, this model on " + std::to_string(n_features_));
        }
    }

    // Archive prologue: label type name and classes.
    void write_classes(archive_writer& w) const { encoder_.write_typed_to(w); }
    void read_classes(archive_reader& r, const char* where) {
        encoder_ = encoder_type::read_typed_from(r, where, label_allocator(alloc_));
    }
    // Reads the class counts: n_classes finite, non-negative values, not all zero.
    [[nodiscard]] double_vector read_class_count(archive_reader& r, const char* where) const {
        auto cc = r.read_vector<double, double_allocator>("class_count", double_allocator(alloc_));
        if (cc.size() != n_classes()) {
            r.fail(std::string(where) + ": " + std::to_string(cc.size()) + " class counts for " +
                   std::to_string(n_classes()) + " classes");
        }
        double total = 0;
        for (const double v : cc) {
            if (!std::isfinite(v) || v < 0) r.fail(std::string(where) + ": a class count is negative or not finite");
            total += v;
        }
        if (!(total > 0) || !std::isfinite(total)) r.fail(std::string(where) + ": the class counts sum to " + number_text(total));
        return cc;
    }
    static void read_parallel(archive_reader& r, parallel_options& p, const char* where) {
        p.n_threads = r.read<std::int32_t>("n_threads");
        p.block_size = static_cast<std::size_t>(r.read<std::uint64_t>("block_size"));
        if (p.n_threads < 0) r.fail(std::string(where) + ": negative thread count " + std::to_string(p.n_threads));
    }
    static void write_parallel(archive_writer& w, const parallel_options& p) {
        w.write<std::int32_t>(p.n_threads);
        w.write<std::uint64_t>(p.block_size);
    }

    encoder_type encoder_;
    double_vector class_count_;
    double_vector class_log_prior_;
    std::size_t n_features_ = 0;
    Allocator alloc_;
    /// \endcond
};

}  // namespace tessera::detail
