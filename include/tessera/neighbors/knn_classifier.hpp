/// \file
/// tessera/neighbors/knn_classifier.hpp - k-nearest-neighbour classification and regression on
/// top of an exact neighbour index.
///
/// ```cpp
///   tessera::knn_classifier<std::string> clf({.k = 5, .weights = tessera::knn_weights::distance});
///   clf.fit(X_train, y_train);                 // any dense input of float, any label range
///   auto labels = clf.predict(X_test);         // std::vector<std::string>
///   auto p = clf.predict_proba(X_test);        // X_test.rows() x n_classes, classes sorted
/// ```
///
/// A prediction looks at the k training rows nearest to the query (exact search; equal
/// distances go to the earlier training row) and combines their targets with weights:
///
/// ```
///   uniform   every neighbour counts 1;
///   distance  a neighbour counts 1/d, with d the metric's value as the index returns it
///             (euclidean, the default, gives scikit-learn's weights; with sq_euclidean they
///             would be 1/d^2). When neighbours lie at distance 0 (or so close that 1/d
///             overflows), those count 1 and the others 0, as in scikit-learn. A query
///             whose nearest distance overflows to inf has no weights: predict throws;
///   function  a std::function<double(double)> from the metric's value to a weight, which must
///             be finite and non-negative, and not 0 for all k neighbours of a query.
/// ```
///
/// The classifier predicts the class with the largest total weight; equal totals go to the
/// smallest class (the first in classes()), which is scikit-learn's rule. predict_proba gives
/// each class's share of the total. The regressor predicts the weighted mean of the targets.
///
/// Thread safety: const member functions (predict, predict_proba, score, kneighbors, save) may
/// run concurrently on one model, provided a user weight function may be called concurrently;
/// fit and assignment need exclusive access. One predict calls the weight function from the
/// calling thread only.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/distance/metrics.hpp"
#include "tessera/metrics/regression.hpp"
#include "tessera/neighbors/common.hpp"
#include "tessera/neighbors/kd_tree.hpp"
#include "tessera/neighbors/knn_index.hpp"

namespace tessera {

/// The built-in neighbour weightings (see the header comment).
enum class knn_weights : std::uint8_t { uniform = 0, distance = 1 };

/// A user weighting: the metric's value for a neighbour in, its weight out.
using knn_weight_function = std::function<double(double)>;

/// Which exact index answers the neighbour searches (the results are the same).
enum class knn_algorithm : std::uint8_t {
    automatic = 0,  ///< kd_tree for at most knn_kd_tree_max_features columns when the metric allows it, else brute
    brute = 1,      ///< knn_index: batched brute force
    kd_tree = 2,    ///< kd_tree_index (squared Euclidean, Euclidean and Manhattan only)
};

/// The widest data automatic picks the kd-tree for. Measured on 60,000 uniform random rows,
/// 1,000 queries, k = 5, one thread: the tree was 1.9x faster than brute force at 8 columns and
/// 0.73x at 10 (docs/benchmarks.md). Clustered data favours the tree longer.
inline constexpr std::size_t knn_kd_tree_max_features = 8;

/// Hyper-parameters of knn_classifier and knn_regressor, validated by fit.
struct knn_options {
    /// Neighbours per prediction: at least 1 and at most the number of training rows.
    std::size_t k = 5;
    /// knn_weights::uniform, knn_weights::distance, or a knn_weight_function (assign a lambda).
    std::variant<knn_weights, knn_weight_function> weights = knn_weights::uniform;
    /// Threads and blocking of the neighbour search (results do not depend on them).
    parallel_options parallel{};
    /// The index behind the searches; every choice gives the same predictions.
    knn_algorithm algorithm = knn_algorithm::automatic;
};

namespace detail {
/// \cond

// The part knn_classifier and knn_regressor share: the options, the index over the training
// rows (row i of the training data has id i), and the weights of a query's neighbours. Only
// build and search touch the index, so choosing another index with the same interface (a
// kd-tree for few dimensions) changes this class alone; saved models hold the rows, not the
// index, so they load whichever index is chosen.
// The kd-tree type for a metric and element type, or a placeholder where the tree cannot serve
// them (named lazily: kd_tree_index<T, M> is ill-formed for such M).
struct no_kd_tree {};
template <bool Capable, class T, class Metric, class Allocator>
struct kd_tree_of {
    using type = no_kd_tree;
};
template <class T, class Metric, class Allocator>
struct kd_tree_of<true, T, Metric, Allocator> {
    using type = kd_tree_index<T, Metric, Allocator>;
};

template <class T, class Metric, class Allocator>
class knn_model {
public:
    using brute_type = knn_index<T, Metric, Allocator>;
    static constexpr bool tree_capable = kd_tree_metric<Metric> && kernel_pair<query_type_t<T>, T>;
    using tree_type = typename kd_tree_of<tree_capable, T, Metric, Allocator>::type;
    using index_type = std::variant<brute_type, tree_type>;
    using query_type = typename brute_type::query_type;
    using distance_type = typename brute_type::distance_type;

    knn_model(knn_options options, Metric metric, const Allocator& alloc)
        : options_(std::move(options)), index_(std::in_place_index<0>, 0, std::move(metric), alloc) {}

    [[nodiscard]] const knn_options& options() const noexcept { return options_; }
    [[nodiscard]] bool fitted() const noexcept { return n_samples() > 0; }
    [[nodiscard]] std::size_t n_samples() const noexcept { return visit([](const auto& i) { return i.size(); }); }
    [[nodiscard]] std::size_t n_features() const noexcept { return visit([](const auto& i) { return i.dim(); }); }
    [[nodiscard]] const Metric& metric() const noexcept {
        return visit([](const auto& i) -> const Metric& { return i.metric(); });
    }
    [[nodiscard]] Allocator get_allocator() const { return visit([](const auto& i) { return i.get_allocator(); }); }
    /// Which index answers the searches now ("brute" or "kd_tree").
    [[nodiscard]] knn_algorithm algorithm_in_use() const noexcept {
        return index_.index() == 0 ? knn_algorithm::brute : knn_algorithm::kd_tree;
    }

    static void check_options(const knn_options& o, const char* where) {
        if (o.k == 0) throw_argument(where, "options.k", "must be at least 1");
        if (o.algorithm != knn_algorithm::automatic && o.algorithm != knn_algorithm::brute &&
            o.algorithm != knn_algorithm::kd_tree) {
            throw_argument(where, "options.algorithm",
                           "is not a knn_algorithm value (" + std::to_string(static_cast<int>(o.algorithm)) + ")");
        }
        if (o.algorithm == knn_algorithm::kd_tree && !tree_capable) {
            throw_argument(where, "options.algorithm",
                           "is kd_tree, which serves squared Euclidean, Euclidean and Manhattan distances on "
                           "numeric rows only, not the metric '" + metric_name() + "'");
        }
        check_parallel_options(o.parallel, where);
        if (const auto* f = std::get_if<knn_weight_function>(&o.weights); f != nullptr && !*f) {
            throw_argument(where, "options.weights", "is an empty std::function");
        }
        if (const auto* w = std::get_if<knn_weights>(&o.weights); w != nullptr) {
            if (*w != knn_weights::uniform && *w != knn_weights::distance) {
                throw_argument(where, "options.weights",
                               "is not a knn_weights value (" + std::to_string(static_cast<int>(*w)) + ")");
            }
            if (*w == knn_weights::distance && Metric::traits.is_similarity) {
                throw_argument(where, "options.weights",
                               "is knn_weights::distance, but the metric is a similarity (larger is closer), "
                               "for which 1/value is no weight: use uniform or a weight function");
            }
        }
    }

    // Checks the training rows and the options against them and returns the index over the
    // rows; the model itself changes only in commit, once the caller's own checks passed too.
    template <dense_input X>
    [[nodiscard]] index_type build(const X& x, std::size_t n_targets, const char* where) const {
        check_options(options_, where);
        const auto rows = as_rows(x, where, "X");
        if (rows.rows() == 0) throw_argument(where, "X", "is empty: fit needs at least one row");
        if (rows.cols() == 0) throw_argument(where, "X", "has no columns");
        if (n_targets != rows.rows()) {
            throw_argument<dimension_mismatch>(where, "y",
                                               "has " + std::to_string(n_targets) + " targets but X has " +
                                                   std::to_string(rows.rows()) + " rows");
        }
        require_finite_rows(rows, where, "X");
        if (options_.k > rows.rows()) {
            throw_argument(where, "options.k",
                           "is " + std::to_string(options_.k) + " but X has only " + std::to_string(rows.rows()) +
                               " rows: k must be at most the number of training rows");
        }
        if constexpr (tree_capable) {
            const bool tree = options_.algorithm == knn_algorithm::kd_tree ||
                              (options_.algorithm == knn_algorithm::automatic && rows.cols() <= knn_kd_tree_max_features);
            if (tree) {
                index_type fresh(std::in_place_index<1>, rows.cols(), metric(), get_allocator());
                std::get<1>(fresh).add(x);
                return fresh;
            }
        }
        index_type fresh(std::in_place_index<0>, rows.cols(), metric(), get_allocator());
        std::get<0>(fresh).add(x);
        return fresh;
    }

    void commit(index_type&& index) { index_ = std::move(index); }

    // The k nearest training rows of every query, after the checks every predict shares.
    template <dense_input Q>
    [[nodiscard]] knn_result<distance_type> search(const Q& queries, const char* where) const {
        require_fitted(fitted(), where);
        const auto q = as_rows(queries, where, "X");
        if (q.rows() > 0 && q.cols() != n_features()) {
            throw_argument<dimension_mismatch>(where, "X",
                                               "has " + std::to_string(q.cols()) + " columns but the model was fitted on " +
                                                   std::to_string(n_features()));
        }
        require_finite_rows(q, where, "X");
        if (q.rows() == 0) {
            return {dense_matrix<neighbor_id>(0, options_.k), dense_matrix<distance_type>(0, options_.k)};
        }
        return visit([&](const auto& i) { return i.search(queries, options_.k, no_filter{}, options_.parallel); });
    }

    // The weights of query i's neighbours, scaled so that their sum is finite. Throws
    // invalid_argument for a negative or overflowed distance under distance weighting, and for
    // weights that are negative, not finite, or all zero.
    void weights(const knn_result<distance_type>& r, std::size_t i, std::span<double> w, const char* where) const {
        const auto d = r.distances.row(i);
        if (const auto* mode = std::get_if<knn_weights>(&options_.weights)) {
            if (*mode == knn_weights::uniform) {
                std::fill(w.begin(), w.end(), 1.0);
                return;
            }
            // Finite rows can still be so far apart that the distance overflows the distance
            // type; 1/inf would then weigh every neighbour 0, so say what actually happened.
            if (!w.empty() && std::isinf(static_cast<double>(d[0]))) {
                throw_argument(where, "X",
                               "the distance from row " + std::to_string(i) +
                                   " of X to its nearest neighbour overflowed to inf, so knn_weights::distance "
                                   "defines no weights: rescale the data or use knn_weights::uniform");
            }
            bool exact = false;
            for (std::size_t j = 0; j < w.size(); ++j) {
                const auto dj = static_cast<double>(d[j]);
                if (dj < 0) {
                    throw_argument(where, "options.weights",
                                   "is knn_weights::distance, but the metric returned the negative value " +
                                       std::to_string(dj) + " for neighbour " + std::to_string(j) + " of row " +
                                       std::to_string(i) + " of X");
                }
                w[j] = 1.0 / dj;
                exact = exact || std::isinf(w[j]);
            }
            if (exact) {
                for (auto& v : w) v = std::isinf(v) ? 1.0 : 0.0;
            }
        } else {
            const auto& f = std::get<knn_weight_function>(options_.weights);
            for (std::size_t j = 0; j < w.size(); ++j) {
                const auto dj = static_cast<double>(d[j]);
                w[j] = f(dj);
                if (!std::isfinite(w[j]) || w[j] < 0) {
                    throw_argument(where, "options.weights",
                                   "the weight function returned " + std::to_string(w[j]) + " for the distance " +
                                       std::to_string(dj) + " (neighbour " + std::to_string(j) + " of row " +
                                       std::to_string(i) + " of X): weights must be finite and non-negative");
                }
            }
        }
        double sum = 0;
        double largest = 0;
        for (const double v : w) {
            sum += v;
            largest = std::max(largest, v);
        }
        if (largest == 0) {
            throw_argument(where, "options.weights",
                           "every neighbour of row " + std::to_string(i) +
                               " of X has weight 0, so no prediction is defined (the nearest distance is " +
                               std::to_string(static_cast<double>(d[0])) + ")");
        }
        // k finite weights can still overflow when summed; their ratios are what matters.
        if (!std::isfinite(sum)) {
            for (auto& v : w) v /= largest;
        }
    }

    [[nodiscard]] static std::string metric_name() { return detail::metric_name<Metric>(); }

    // A std::function cannot be stored, so a model weighted by one cannot be saved.
    void require_saveable(const char* where) const {
        require_fitted(fitted(), where);
        if (std::holds_alternative<knn_weight_function>(options_.weights)) {
            throw_argument(where, "options.weights",
                           "is a user weight function, which cannot be saved: save a model with "
                           "knn_weights::uniform or knn_weights::distance");
        }
    }

    // Payload: metric name, options, training rows.
    void write_to(archive_writer& w, const char* where) const {
        require_saveable(where);
        const knn_weights mode = std::get<knn_weights>(options_.weights);
        w.write_string(metric_name());
        w.write<std::uint64_t>(options_.k);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(mode));
        w.write<std::int32_t>(options_.parallel.n_threads);
        w.write<std::uint64_t>(options_.parallel.block_size);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.algorithm));
        // Training rows in id order (row i of X has id i), whatever order the index keeps them in.
        const std::size_t n = n_samples();
        dense_matrix<T> rows(n, n_features());
        visit([&](const auto& i) {
            for (std::size_t r = 0; r < n; ++r) {
                const auto src = i.row(static_cast<neighbor_id>(r));
                std::copy(src.begin(), src.end(), rows.row(r).begin());
            }
        });
        w.write_matrix(matrix_view<const T>(rows.view()));
    }

    // Reads what write_to wrote; every inconsistency is a format_error naming `where`.
    [[nodiscard]] static knn_model read_from(archive_reader& r, Metric metric, const Allocator& alloc,
                                             const char* where) {
        const std::string name = r.read_string("metric");
        if (name != metric_name()) {
            r.fail(std::string(where) + ": saved with metric '" + name + "', loading as '" + metric_name() + "'");
        }
        knn_options o;
        const auto k = r.read<std::uint64_t>("k");
        const auto mode = r.read<std::uint8_t>("weights");
        if (mode > static_cast<std::uint8_t>(knn_weights::distance)) {
            r.fail(std::string(where) + ": unknown weighting " + std::to_string(mode));
        }
        o.weights = static_cast<knn_weights>(mode);
        o.parallel.n_threads = r.read<std::int32_t>("n_threads");
        o.parallel.block_size = static_cast<std::size_t>(r.read<std::uint64_t>("block_size"));
        const auto algorithm = r.read<std::uint8_t>("algorithm");
        if (algorithm > static_cast<std::uint8_t>(knn_algorithm::kd_tree)) {
            r.fail(std::string(where) + ": unknown algorithm " + std::to_string(algorithm));
        }
        o.algorithm = static_cast<knn_algorithm>(algorithm);
        auto rows = r.read_matrix<T, Allocator>("rows", row_padding::aligned, alloc);
        if (rows.rows() == 0 || rows.cols() == 0) {
            r.fail(std::string(where) + ": the training rows are empty (" + std::to_string(rows.rows()) + " x " +
                   std::to_string(rows.cols()) + ")");
        }
        if (k == 0 || k > rows.rows()) {
            r.fail(std::string(where) + ": k is " + std::to_string(k) + " for " + std::to_string(rows.rows()) + " training rows");
        }
        o.k = static_cast<std::size_t>(k);
        knn_model m(std::move(o), std::move(metric), alloc);
        try {
            m.commit(m.build(rows, rows.rows(), where));
        } catch (const tessera::invalid_argument& e) {
            r.fail(e.what());
        }
        return m;
    }

private:
    template <class F>
    decltype(auto) visit(F&& f) const {
        if constexpr (tree_capable) {
            if (index_.index() == 1) return f(std::get<1>(index_));
        }
        return f(std::get<0>(index_));
    }

    knn_options options_;
    index_type index_;
};

template <class R>
concept numeric_range = std::ranges::input_range<R> && numeric<std::remove_cv_t<std::ranges::range_value_t<R>>>;

/// \endcond
}  // namespace detail

/// k-nearest-neighbour classifier over training rows of T, compared with Metric (Euclidean by
/// default), with labels of any `label` type. Labels are kept as label_type: Label itself, or
/// std::string for string-like labels (so the model never points into the caller's strings).
///
/// Complexity: fit O(n d) (it copies the rows into a brute-force knn_index); predict,
/// predict_proba and score O(m n d) for m queries against n training rows (the search, run in
/// parallel through options.parallel), plus O(m (k + n_classes)) for the votes. Memory: the
/// training rows, one class index per row, and O(m k) during a prediction.
/// Exceptions: tessera::invalid_argument for bad options (at fit), empty or non-finite data,
/// bad weights (at predict); dimension_mismatch for length or width mismatches;
/// not_fitted_error before fit; format_error for a corrupt archive; io_error for unreadable or
/// unwritable files. A failed fit leaves the model as it was.
/// Thread safety: see the header comment.
template <label Label, class T = float, class Metric = euclidean, class Allocator = std::allocator<T>>
    requires distance_metric<Metric, query_type_t<T>, T>
class knn_classifier {
    // label_encoder keeps bool classes in a std::vector<bool>, which can neither be viewed as a
    // span nor hand out references to its elements.
    static_assert(!std::is_same_v<label_storage_t<Label>, bool>,
                  "knn_classifier does not take bool labels yet: use an integer label (0 and 1) instead");
    using core_type = detail::knn_model<T, Metric, Allocator>;
    using alloc_traits = std::allocator_traits<Allocator>;

public:
    using options = knn_options;                ///< the options type
    using label_type = label_storage_t<Label>;  ///< stored labels (std::string for string-like Label)
    using value_type = T;                       ///< element type of the training rows
    using query_type = typename core_type::query_type;  ///< element type of queries (float for bfloat16 and half rows)
    using distance_type = typename core_type::distance_type;  ///< what kneighbors reports
    using metric_type = Metric;                 ///< the metric
    using allocator_type = Allocator;           ///< allocator of the fitted state

    /// An unfitted classifier. The options are checked by fit, not here.
    explicit knn_classifier(options opts = {}, Metric metric = Metric(), const Allocator& alloc = Allocator())
        : core_(std::move(opts), std::move(metric), alloc), encoder_(label_allocator(alloc)), targets_(class_allocator(alloc)) {}

    /// Learns from rows X (any dense_input of T) and their labels y (any label range whose
    /// elements convert to label_type); the classes are the distinct labels, sorted. Throws
    /// invalid_argument (bad options, empty X, no columns, NaN or Inf, k > rows of X) or
    /// dimension_mismatch (y's length differs from X's rows). O(n d + n log n).
    template <dense_input X, label_range Y>
        requires std::is_same_v<dense_value_t<X>, T> && std::constructible_from<label_type, std::ranges::range_reference_t<Y>>
    void fit(const X& x, const Y& y) {
        const auto labels = collect(y);
        auto index = core_.build(x, labels.size(), "knn_classifier::fit");
        encoder_type encoder{label_allocator(get_allocator())};
        encoder.fit(labels);
        class_vector targets{class_allocator(get_allocator())};
        targets.reserve(labels.size());
        encoder.encode(labels, std::back_inserter(targets), "knn_classifier::fit", "y");
        core_.commit(std::move(index));
        encoder_ = std::move(encoder);
        targets_ = std::move(targets);
    }

    /// The label of every row of X (any dense_input of query_type): the class with the largest
    /// total weight among its k nearest training rows, the smallest such class on a tie.
    template <dense_input Q>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] std::vector<label_type> predict(const Q& x) const {
        constexpr const char* where = "knn_classifier::predict";
        std::vector<label_type> out;
        votes(x, where, [&](std::size_t, std::span<const double> v, double) {
            out.push_back(encoder_.classes()[static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin())]);
        });
        return out;
    }

    /// Class probabilities: row i holds each class's share of the total neighbour weight of row
    /// i of X, columns in the order of classes(). Rows sum to 1 (up to rounding).
    template <dense_input Q>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] dense_matrix<double> predict_proba(const Q& x) const {
        constexpr const char* where = "knn_classifier::predict_proba";
        dense_matrix<double> out(as_rows(x, where, "X").rows(), n_classes());
        votes(x, where, [&](std::size_t i, std::span<const double> v, double total) {
            const auto row = out.row(i);
            for (std::size_t c = 0; c < v.size(); ++c) row[c] = v[c] / total;
        });
        return out;
    }

    /// Accuracy of predict(X) against y: the fraction of rows whose predicted label equals y's.
    /// A label of y that is not among classes() counts as a wrong prediction (the model can
    /// never predict it), as scikit-learn's accuracy does. Throws invalid_argument for an empty
    /// X and dimension_mismatch when y's length differs from X's rows.
    template <dense_input Q, label_range Y>
        requires std::is_same_v<dense_value_t<Q>, query_type> &&
                 std::constructible_from<label_type, std::ranges::range_reference_t<Y>>
    [[nodiscard]] double score(const Q& x, const Y& y) const {
        constexpr const char* where = "knn_classifier::score";
        detail::require_fitted(fitted(), where);
        const auto labels = collect(y);
        const std::size_t m = as_rows(x, where, "X").rows();
        if (m == 0) detail::throw_argument(where, "X", "is empty: accuracy needs at least one row");
        if (labels.size() != m) {
            detail::throw_argument<dimension_mismatch>(
                where, "y", "has " + std::to_string(labels.size()) + " labels but X has " + std::to_string(m) + " rows");
        }
        std::size_t right = 0;
        votes(x, where, [&](std::size_t i, std::span<const double> v, double) {
            const auto c = static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
            if (encoder_.classes()[c] == labels[i]) ++right;
        });
        return static_cast<double>(right) / static_cast<double>(m);
    }

    /// The k nearest training rows of every row of X: ids are training row indices (row order
    /// of the X given to fit), distances the metric's values, nearest first.
    template <dense_input Q>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] knn_result<distance_type> kneighbors(const Q& x) const {
        return core_.search(x, "knn_classifier::kneighbors");
    }

    /// Whether the model holds a fit (after fit or load).
    [[nodiscard]] bool fitted() const noexcept { return core_.fitted(); }
    /// The classes in sorted order (empty before fit); class i of predict_proba is classes()[i].
    [[nodiscard]] std::span<const label_type> classes() const noexcept { return encoder_.classes(); }
    /// Number of classes (0 before fit).
    [[nodiscard]] std::size_t n_classes() const noexcept { return encoder_.n_classes(); }
    /// Columns of the training rows (0 before fit).
    [[nodiscard]] std::size_t n_features() const noexcept { return core_.n_features(); }
    /// Training rows (0 before fit).
    [[nodiscard]] std::size_t n_samples() const noexcept { return core_.n_samples(); }
    /// The options given at construction.
    [[nodiscard]] const options& get_options() const noexcept { return core_.options(); }
    /// The metric object.
    [[nodiscard]] const Metric& metric() const noexcept { return core_.metric(); }
    /// The index answering the searches: knn_algorithm::brute or knn_algorithm::kd_tree.
    [[nodiscard]] knn_algorithm algorithm_in_use() const noexcept { return core_.algorithm_in_use(); }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return core_.get_allocator(); }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "knn_classifier";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the fitted model: metric name, label type, options, classes, training rows and
    /// their class indices. Throws not_fitted_error before fit and invalid_argument when the
    /// weights are a user function (a std::function cannot be stored). O(n d).
    void write_to(archive_writer& w) const {
        constexpr const char* where = "knn_classifier::write_to";
        core_.require_saveable(where);
        encoder_.write_typed_to(w);
        core_.write_to(w, where);
        w.write_span(std::span<const class_index>(targets_));
    }

    /// Reads a model written by write_to. Throws format_error for anything inconsistent
    /// (another metric or label type, bad options, rows that are empty or not finite, class
    /// indices out of range, a class without rows).
    [[nodiscard]] static knn_classifier read_from(archive_reader& r, Metric metric = Metric(),
                                                  const Allocator& alloc = Allocator()) {
        constexpr const char* where = "knn_classifier::read_from";
        knn_classifier model(options{}, metric, alloc);
        model.encoder_ = encoder_type::read_typed_from(r, where, label_allocator(alloc));
        model.core_ = core_type::read_from(r, std::move(metric), alloc, where);
        model.targets_ = r.read_vector<class_index, class_allocator>("targets", class_allocator(alloc));
        r.expect_end();
        if (model.targets_.size() != model.n_samples()) {
            r.fail(std::string(where) + ": " + std::to_string(model.targets_.size()) + " targets for " +
                   std::to_string(model.n_samples()) + " training rows");
        }
        std::vector<bool> seen(model.n_classes(), false);
        for (const class_index c : model.targets_) {
            if (c >= model.n_classes()) {
                r.fail(std::string(where) + ": class index " + std::to_string(c) + " out of range (" +
                       std::to_string(model.n_classes()) + " classes)");
            }
            seen[c] = true;
        }
        if (const auto it = std::find(seen.begin(), seen.end(), false); it != seen.end()) {
            r.fail(std::string(where) + ": class " + detail::label_to_string(model.encoder_.classes()[static_cast<std::size_t>(it - seen.begin())]) +
                   " has no training rows");
        }
        return model;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp). Throws as
    /// write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error (another kind,
    /// element type, metric or label type; truncation; corruption).
    [[nodiscard]] static knn_classifier load(const std::filesystem::path& path, Metric metric = Metric(),
                                             const Allocator& alloc = Allocator()) {
        return load_archive<knn_classifier>(path, std::move(metric), alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, types.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, archive_type<class_index>::tag};
    }

private:
    using label_allocator = typename alloc_traits::template rebind_alloc<label_type>;
    using class_allocator = typename alloc_traits::template rebind_alloc<class_index>;
    using encoder_type = label_encoder<Label, label_allocator>;
    using class_vector = std::vector<class_index, class_allocator>;

    template <class Y>
    [[nodiscard]] static std::vector<label_type> collect(const Y& y) {
        std::vector<label_type> out;
        if constexpr (std::ranges::sized_range<Y>) out.reserve(static_cast<std::size_t>(std::ranges::size(y)));
        for (auto&& l : y) out.push_back(label_type(l));
        return out;
    }

    // Calls sink(i, votes, total) for every row i of X, with the total neighbour weight of each
    // class and the sum of all of them (> 0).
    template <class Q, class Sink>
    void votes(const Q& x, const char* where, Sink&& sink) const {
        const auto r = core_.search(x, where);
        const std::size_t k = get_options().k;
        std::vector<double> w(k);
        std::vector<double> v(n_classes());
        for (std::size_t i = 0; i < r.ids.rows(); ++i) {
            core_.weights(r, i, w, where);
            std::fill(v.begin(), v.end(), 0.0);
            double total = 0;
            const auto ids = r.ids.row(i);
            for (std::size_t j = 0; j < k; ++j) {
                v[targets_[static_cast<std::size_t>(ids[j])]] += w[j];
                total += w[j];
            }
            sink(i, std::span<const double>(v), total);
        }
    }

    core_type core_;
    encoder_type encoder_;
    class_vector targets_;  // class index of each training row
};

/// k-nearest-neighbour regressor over training rows of T with double targets: the prediction
/// is the weighted mean of the k nearest rows' targets. Same options, complexity (without the
/// classes), exceptions and thread safety as knn_classifier.
template <class T = float, class Metric = euclidean, class Allocator = std::allocator<T>>
    requires distance_metric<Metric, query_type_t<T>, T>
class knn_regressor {
    using core_type = detail::knn_model<T, Metric, Allocator>;
    using alloc_traits = std::allocator_traits<Allocator>;
    using target_allocator = typename alloc_traits::template rebind_alloc<double>;

public:
    using options = knn_options;       ///< the options type
    using value_type = T;              ///< element type of the training rows
    using query_type = typename core_type::query_type;  ///< element type of queries (float for bfloat16 and half rows)
    using distance_type = typename core_type::distance_type;  ///< what kneighbors reports
    using metric_type = Metric;        ///< the metric
    using allocator_type = Allocator;  ///< allocator of the fitted state

    /// An unfitted regressor. The options are checked by fit, not here.
    explicit knn_regressor(options opts = {}, Metric metric = Metric(), const Allocator& alloc = Allocator())
        : core_(std::move(opts), std::move(metric), alloc), targets_(target_allocator(alloc)) {}

    /// Learns from rows X (any dense_input of T) and numeric targets y (converted to double).
    /// Throws as knn_classifier::fit, and invalid_argument for a target that is NaN or Inf.
    template <dense_input X, detail::numeric_range Y>
        requires std::is_same_v<dense_value_t<X>, T>
    void fit(const X& x, const Y& y) {
        std::vector<double, target_allocator> targets{target_allocator(get_allocator())};
        if constexpr (std::ranges::sized_range<Y>) targets.reserve(static_cast<std::size_t>(std::ranges::size(y)));
        for (auto&& v : y) targets.push_back(static_cast<double>(v));
        auto index = core_.build(x, targets.size(), "knn_regressor::fit");
        detail::require_finite(std::span<const double>(targets), "knn_regressor::fit", "y");
        core_.commit(std::move(index));
        targets_ = std::move(targets);
    }

    /// The weighted mean of the targets of each row's k nearest training rows.
    template <dense_input Q>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] std::vector<double> predict(const Q& x) const {
        constexpr const char* where = "knn_regressor::predict";
        const auto r = core_.search(x, where);
        const std::size_t k = get_options().k;
        std::vector<double> w(k);
        std::vector<double> out(r.ids.rows());
        for (std::size_t i = 0; i < out.size(); ++i) {
            core_.weights(r, i, w, where);
            const auto ids = r.ids.row(i);
            double sum = 0;
            double total = 0;
            for (std::size_t j = 0; j < k; ++j) {
                sum += w[j] * targets_[static_cast<std::size_t>(ids[j])];
                total += w[j];
            }
            out[i] = sum / total;
        }
        return out;
    }

    /// The coefficient of determination R^2 = 1 - sum (y - pred)^2 / sum (y - mean y)^2 of
    /// predict(X) against y. When y is constant, 1 for a perfect prediction and 0 otherwise
    /// (scikit-learn's r2_score). Throws invalid_argument for fewer than 2 rows or a target
    /// that is NaN or Inf, dimension_mismatch when y's length differs from X's rows.
    template <dense_input Q, detail::numeric_range Y>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] double score(const Q& x, const Y& y) const {
        constexpr const char* where = "knn_regressor::score";
        detail::require_fitted(fitted(), where);
        std::vector<double> truth;
        for (auto&& v : y) truth.push_back(static_cast<double>(v));
        const std::size_t m = as_rows(x, where, "X").rows();
        if (truth.size() != m) {
            detail::throw_argument<dimension_mismatch>(
                where, "y", "has " + std::to_string(truth.size()) + " targets but X has " + std::to_string(m) + " rows");
        }
        if (m < 2) detail::throw_argument(where, "X", "has " + std::to_string(m) + " rows: R^2 needs at least 2");
        detail::require_finite(std::span<const double>(truth), where, "y");
        return r2_score(truth, predict(x));
    }

    /// The k nearest training rows of every row of X, as knn_classifier::kneighbors.
    template <dense_input Q>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] knn_result<distance_type> kneighbors(const Q& x) const {
        return core_.search(x, "knn_regressor::kneighbors");
    }

    /// Whether the model holds a fit (after fit or load).
    [[nodiscard]] bool fitted() const noexcept { return core_.fitted(); }
    /// Columns of the training rows (0 before fit).
    [[nodiscard]] std::size_t n_features() const noexcept { return core_.n_features(); }
    /// Training rows (0 before fit).
    [[nodiscard]] std::size_t n_samples() const noexcept { return core_.n_samples(); }
    /// The options given at construction.
    [[nodiscard]] const options& get_options() const noexcept { return core_.options(); }
    /// The metric object.
    [[nodiscard]] const Metric& metric() const noexcept { return core_.metric(); }
    /// The index answering the searches: knn_algorithm::brute or knn_algorithm::kd_tree.
    [[nodiscard]] knn_algorithm algorithm_in_use() const noexcept { return core_.algorithm_in_use(); }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return core_.get_allocator(); }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "knn_regressor";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the fitted model: metric name, options, training rows and targets. Throws as
    /// knn_classifier::write_to.
    void write_to(archive_writer& w) const {
        core_.write_to(w, "knn_regressor::write_to");
        w.write_span(std::span<const double>(targets_));
    }

    /// Reads a model written by write_to; format_error for anything inconsistent (another
    /// metric, bad options, rows or targets that are empty or not finite, a length mismatch).
    [[nodiscard]] static knn_regressor read_from(archive_reader& r, Metric metric = Metric(),
                                                 const Allocator& alloc = Allocator()) {
        constexpr const char* where = "knn_regressor::read_from";
        knn_regressor model(options{}, metric, alloc);
        model.core_ = core_type::read_from(r, std::move(metric), alloc, where);
        model.targets_ = r.read_vector<double, target_allocator>("targets", target_allocator(alloc));
        r.expect_end();
        if (model.targets_.size() != model.n_samples()) {
            r.fail(std::string(where) + ": " + std::to_string(model.targets_.size()) + " targets for " +
                   std::to_string(model.n_samples()) + " training rows");
        }
        for (std::size_t i = 0; i < model.targets_.size(); ++i) {
            if (!std::isfinite(model.targets_[i])) r.fail(std::string(where) + ": target " + std::to_string(i) + " is not finite");
        }
        return model;
    }

    /// Saves to a file; throws as write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save; throws io_error (unreadable) or format_error.
    [[nodiscard]] static knn_regressor load(const std::filesystem::path& path, Metric metric = Metric(),
                                            const Allocator& alloc = Allocator()) {
        return load_archive<knn_regressor>(path, std::move(metric), alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, types.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, type_tag::none};
    }

private:
    core_type core_;
    std::vector<double, target_allocator> targets_;
};

}  // namespace tessera
