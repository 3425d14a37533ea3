// tessera/metrics/classification.hpp - accuracy, a confusion matrix, precision, recall and F1
// for one class, ROC AUC and log-loss, on any ranges of labels.
//
//   const double acc = tessera::accuracy_score(y_true, y_pred);
//   const auto spam = tessera::binary_scores(y_true, y_pred, std::string("spam"));
//   // spam.precision, spam.recall, spam.f1, spam.support
//   const double auc = tessera::roc_auc_score(y_true, spam_scores, std::string("spam"));
//   const double loss = tessera::log_loss(y_true, model.predict_proba(x), model.classes());
//
// The definitions are scikit-learn's (sklearn.metrics): a ratio whose denominator is 0 is
// reported as 0 (scikit-learn's zero_division=0, without its warning).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <limits>
#include <ranges>
#include <string>
#include <vector>

#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/labels.hpp"

namespace tessera {

namespace detail {

// Calls f(true_label, predicted_label) for each pair; throws dimension_mismatch when the ranges
// differ in length and invalid_argument when they are empty. Returns the number of pairs.
template <label_range A, label_range B, class F>
std::size_t for_each_label_pair(const A& y_true, const B& y_pred, const char* where, F&& f) {
    auto p = std::ranges::begin(y_pred);
    const auto p_end = std::ranges::end(y_pred);
    std::size_t n = 0;
    for (auto&& t : y_true) {
        if (p == p_end) {
            throw_argument<dimension_mismatch>(where, "y_pred",
                                               "has fewer labels than y_true (" + std::to_string(n) + ")");
        }
        const std::ranges::range_value_t<A>& tv = t;
        const std::ranges::range_value_t<B>& pv = *p;
        f(tv, pv);
        ++p;
        ++n;
    }
    if (p != p_end) {
        throw_argument<dimension_mismatch>(where, "y_pred", "has more labels than y_true (" + std::to_string(n) + ")");
    }
    if (n == 0) throw_argument(where, "y_true", "is empty");
    return n;
}

template <class A, class B>
bool same_label(const A& a, const B& b) {
    if constexpr (string_like_label<A> && string_like_label<B>) {
        return std::string_view(a) == std::string_view(b);
    } else {
        return a == b;
    }
}

inline double safe_ratio(double num, double den) noexcept { return den == 0 ? 0.0 : num / den; }

// One row of a ROC computation: its score, its weight and whether it is a positive.
struct scored_row {
    double score;
    double weight;
    bool positive;
};

// Pairs y_true with scores into scored_rows of weight 1; throws dimension_mismatch when the
// ranges differ in length, invalid_argument when they are empty or a score is NaN or infinite.
template <label_range A, std::ranges::input_range S, label L>
std::vector<scored_row> collect_scored_rows(const A& y_true, const S& scores, const L& positive, const char* where) {
    std::vector<scored_row> rows;
    if constexpr (std::ranges::sized_range<A>) rows.reserve(std::ranges::size(y_true));
    auto s = std::ranges::begin(scores);
    const auto s_end = std::ranges::end(scores);
    for (auto&& t : y_true) {
        if (s == s_end) {
            throw_argument<dimension_mismatch>(where, "scores",
                                               "has fewer values than y_true has labels (" + std::to_string(rows.size()) + ")");
        }
        const auto score = static_cast<double>(*s);
        if (!std::isfinite(score)) {
            throw_argument(where, "scores",
                           std::string("contains ") + (std::isnan(score) ? "NaN" : "Inf") + " at position " +
                               std::to_string(rows.size()));
        }
        const std::ranges::range_value_t<A>& tv = t;
        rows.push_back(scored_row{score, 1.0, same_label(tv, positive)});
        ++s;
    }
    if (s != s_end) {
        throw_argument<dimension_mismatch>(where, "scores",
                                           "has more values than y_true has labels (" + std::to_string(rows.size()) + ")");
    }
    if (rows.empty()) throw_argument(where, "y_true", "is empty");
    return rows;
}

// The area under the ROC curve of `rows` (reordered in place): over all (positive, negative)
// pairs, the weight share of pairs where the positive scores higher, ties counting one half.
// Rows are sorted by score and each group of tied scores adds
//     (positive weight of the group) * (negative weight below + negative weight of the group / 2),
// which is the trapezoid rule on the ROC curve (and the midrank formula for unit weights).
template <label L>
double roc_auc_of(std::vector<scored_row>& rows, const L& positive, const char* where) {
    double pos_total = 0;
    double neg_total = 0;
    for (const auto& r : rows) (r.positive ? pos_total : neg_total) += r.weight;
    if (!(pos_total > 0)) {
        throw_argument(where, "y_true",
                       "holds no positive row (label " + label_to_string(positive) +
                           ") of nonzero weight: ROC AUC needs both classes");
    }
    if (!(neg_total > 0)) {
        throw_argument(where, "y_true",
                       "holds only positive rows (label " + label_to_string(positive) +
                           ") among those of nonzero weight: ROC AUC needs both classes");
    }
    std::sort(rows.begin(), rows.end(), [](const scored_row& a, const scored_row& b) { return a.score < b.score; });
    double area = 0;
    double neg_below = 0;
    for (std::size_t i = 0; i < rows.size();) {
        double pos_group = 0;
        double neg_group = 0;
        const double score = rows[i].score;
        for (; i < rows.size() && rows[i].score == score; ++i) (rows[i].positive ? pos_group : neg_group) += rows[i].weight;
        area += pos_group * (neg_below + 0.5 * neg_group);
        neg_below += neg_group;
    }
    return area / (pos_total * neg_total);
}

}  // namespace detail

/// The share of positions where y_pred equals y_true (scikit-learn's accuracy_score). O(n).
/// Throws dimension_mismatch for ranges of different lengths, invalid_argument when empty.
template <label_range A, label_range B>
[[nodiscard]] double accuracy_score(const A& y_true, const B& y_pred) {
    std::size_t hits = 0;
    const auto n = detail::for_each_label_pair(y_true, y_pred, "accuracy_score",
                                               [&](const auto& t, const auto& p) { hits += detail::same_label(t, p); });
    return static_cast<double>(hits) / static_cast<double>(n);
}

/// Precision, recall and F1 of one class treated as the positive one.
struct binary_report {
    double precision = 0;  ///< true positives / predicted positives (0 when nothing is predicted positive)
    double recall = 0;     ///< true positives / actual positives (0 when there are none)
    double f1 = 0;         ///< harmonic mean of precision and recall (0 when both are 0)
    std::size_t support = 0;  ///< number of actual positives
    std::size_t true_positives = 0;
    std::size_t false_positives = 0;
    std::size_t false_negatives = 0;
};

/// Scores `positive` as the positive class (scikit-learn's precision_recall_fscore_support with
/// average="binary", pos_label=positive, zero_division=0). O(n). Throws as accuracy_score; a
/// positive label that occurs in neither range is allowed and gives all zeros.
template <label_range A, label_range B, label L>
[[nodiscard]] binary_report binary_scores(const A& y_true, const B& y_pred, const L& positive) {
    binary_report r;
    detail::for_each_label_pair(y_true, y_pred, "binary_scores", [&](const auto& t, const auto& p) {
        const bool tp = detail::same_label(t, positive);
        const bool pp = detail::same_label(p, positive);
        r.true_positives += tp && pp;
        r.false_positives += !tp && pp;
        r.false_negatives += tp && !pp;
    });
    r.support = r.true_positives + r.false_negatives;
    const auto tp = static_cast<double>(r.true_positives);
    r.precision = detail::safe_ratio(tp, tp + static_cast<double>(r.false_positives));
    r.recall = detail::safe_ratio(tp, tp + static_cast<double>(r.false_negatives));
    r.f1 = detail::safe_ratio(2 * tp, 2 * tp + static_cast<double>(r.false_positives + r.false_negatives));
    return r;
}

/// counts(i, j) = the number of rows whose true class is classes[i] and predicted class is
/// classes[j]; `classes` fixes the order (scikit-learn's confusion_matrix with labels=classes).
/// O(n log k). Throws as accuracy_score, invalid_argument for duplicate classes or a label of
/// either range that is not among them.
template <label_range A, label_range B, label_range C>
[[nodiscard]] dense_matrix<std::size_t> confusion_matrix(const A& y_true, const B& y_pred, const C& classes) {
    constexpr const char* where = "confusion_matrix";
    const auto encoder = label_encoder<std::ranges::range_value_t<C>>::from_classes(classes);
    // from_classes sorts; map sorted positions back to the caller's order.
    std::vector<std::size_t> position(encoder.n_classes());
    std::size_t i = 0;
    for (auto&& c : classes) {
        const std::ranges::range_value_t<C>& cv = c;
        position[*encoder.find(cv)] = i++;
    }
    dense_matrix<std::size_t> counts(encoder.n_classes(), encoder.n_classes(), std::size_t{0});
    std::size_t row = 0;
    detail::for_each_label_pair(y_true, y_pred, where, [&](const auto& t, const auto& p) {
        const auto ti = encoder.find(t);
        const auto pi = encoder.find(p);
        if (!ti || !pi) {
            detail::throw_argument(where, ti ? "y_pred" : "y_true",
                           "label " + (ti ? detail::label_to_string(p) : detail::label_to_string(t)) + " at position " + std::to_string(row) +
                               " is not among the classes");
        }
        ++counts(position[*ti], position[*pi]);
        ++row;
    });
    return counts;
}

/// The area under the ROC curve of `scores` (higher means more likely `positive`) against the
/// binary truth "y_true equals `positive`"; every other label counts as negative (scikit-learn's
/// roc_auc_score on the 0/1 indicator of `positive`). It equals the probability that a random
/// positive row scores higher than a random negative one, a tie counting one half:
///     AUC = (sum of the midranks of the positives' scores - P (P + 1) / 2) / (P N)
/// for P positives and N negatives, with tied scores sharing the mean of their ranks (the
/// trapezoid rule on the ROC curve, as scikit-learn computes it). With unit weights the result
/// is exact up to one rounding for P N < 2^52.
///
/// `scores` is any input range of numbers (e.g. column 1 of predict_proba, or a decision
/// function), read as double. Complexity: O(n log n) time (a sort), O(n) extra memory.
/// Preconditions, each checked: equal lengths (else `tessera::dimension_mismatch`); y_true not
/// empty, every score finite, and both a positive and a negative row present (else
/// `tessera::invalid_argument`).
template <label_range A, std::ranges::input_range S, label L>
    requires numeric<std::ranges::range_value_t<S>>
[[nodiscard]] double roc_auc_score(const A& y_true, const S& scores, const L& positive) {
    constexpr const char* where = "roc_auc_score";
    auto rows = detail::collect_scored_rows(y_true, scores, positive, where);
    return detail::roc_auc_of(rows, positive, where);
}

/// roc_auc_score with one weight per row (scikit-learn's sample_weight): a pair of a positive
/// row i and a negative row j counts w_i w_j, and the result is divided by the total positive
/// weight times the total negative weight. Throws as the unweighted form, plus
/// `tessera::dimension_mismatch` when `sample_weight` differs in length and
/// `tessera::invalid_argument` for a negative or non-finite weight, for weights that are all 0,
/// or when all the positive (or all the negative) rows weigh 0 (where scikit-learn warns and
/// returns NaN).
template <label_range A, std::ranges::input_range S, label L, std::ranges::input_range W>
    requires numeric<std::ranges::range_value_t<S>> && numeric<std::ranges::range_value_t<W>>
[[nodiscard]] double roc_auc_score(const A& y_true, const S& scores, const L& positive, const W& sample_weight) {
    constexpr const char* where = "roc_auc_score";
    auto rows = detail::collect_scored_rows(y_true, scores, positive, where);
    const auto weights = detail::collect_weights(sample_weight, rows.size(), where);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].weight = weights[i];
    return detail::roc_auc_of(rows, positive, where);
}

/// The mean cross-entropy -1/n sum_i log p(i, y_i) of predicted class probabilities, as
/// scikit-learn 1.2.1's log_loss(y_true, proba, labels=classes) computes it by default
/// (eps="auto"): every probability is first clipped to [eps, 1 - eps] with eps the machine
/// epsilon of proba's element type (2.22e-16 for double, 1.19e-7 for float; scikit-learn
/// before 1.2 used 1e-15), then each row is divided by its sum, and p(i, y_i) is the entry of
/// row i in the column of y_i. The result is accumulated in double.
///
/// `proba` is a dense input (dense_matrix, matrix_view<const T>, rows as ranges...) of
/// floating-point numbers with one row per label of y_true and one column per class, column j
/// holding the probabilities of classes[j]: `classes` fixes the column order (pass a model's
/// classes() for its predict_proba). Unlike scikit-learn, which sorts `labels`, the order is
/// the caller's. Values above 1 are clipped as scikit-learn clips them.
///
/// Complexity: O(n K) time for n rows and K classes, plus O(K log K) for the classes; O(K) extra
/// memory. Preconditions, each checked: `classes` holds at least two distinct labels (else
/// `tessera::invalid_argument`); proba has as many rows as y_true has labels and as many columns
/// as there are classes (else `tessera::dimension_mismatch`); y_true is not empty, every label
/// of y_true is among the classes, and every probability is finite and >= 0 (else
/// `tessera::invalid_argument`).
template <label_range A, dense_input P, std::ranges::forward_range C>
    requires label_range<C> && std::floating_point<dense_value_t<P>>
[[nodiscard]] double log_loss(const A& y_true, const P& proba, const C& classes) {
    using T = dense_value_t<P>;
    constexpr const char* where = "log_loss";
    if (std::ranges::begin(classes) == std::ranges::end(classes)) detail::throw_argument(where, "classes", "is empty");
    const auto encoder = label_encoder<std::ranges::range_value_t<C>>::from_classes(classes);
    const std::size_t k = encoder.n_classes();
    if (k < 2) detail::throw_argument(where, "classes", "must hold at least two classes (it holds one)");
    // from_classes sorts; map sorted positions back to the caller's column order.
    std::vector<std::size_t> column(k);
    std::size_t c = 0;
    for (auto&& l : classes) {
        const std::ranges::range_value_t<C>& lv = l;
        column[*encoder.find(lv)] = c++;
    }
    const auto rows = as_rows(proba, where, "proba");
    if (rows.cols() != k) {
        detail::throw_argument<dimension_mismatch>(where, "proba",
                                                   "has " + std::to_string(rows.cols()) + " columns but there are " +
                                                       std::to_string(k) + " classes");
    }
    constexpr T eps = std::numeric_limits<T>::epsilon();
    double total = 0;
    std::size_t i = 0;
    for (auto&& t : y_true) {
        const std::ranges::range_value_t<A>& tv = t;
        if (i == rows.rows()) {
            detail::throw_argument<dimension_mismatch>(where, "proba",
                                                       "has " + std::to_string(rows.rows()) +
                                                           " rows but y_true has more labels");
        }
        const auto ti = encoder.find(tv);
        if (!ti) {
            detail::throw_argument(where, "y_true",
                                   "label " + detail::label_to_string(tv) + " at position " + std::to_string(i) +
                                       " is not among the classes");
        }
        const auto r = rows.row(i);
        double sum = 0;
        for (std::size_t j = 0; j < k; ++j) {
            const T p = r[j];
            if (!std::isfinite(p) || p < 0) {
                detail::throw_argument(where, "proba",
                                       std::string(std::isnan(p) ? "contains NaN" : std::isinf(p) ? "contains Inf"
                                                                                                  : "contains a negative value") +
                                           " at row " + std::to_string(i) + ", column " + std::to_string(j));
            }
            sum += static_cast<double>(std::clamp(p, eps, T(1) - eps));
        }
        const double own = static_cast<double>(std::clamp(r[column[*ti]], eps, T(1) - eps));
        total -= std::log(own / sum);
        ++i;
    }
    if (i == 0) detail::throw_argument(where, "y_true", "is empty");
    if (i != rows.rows()) {
        detail::throw_argument<dimension_mismatch>(where, "proba",
                                                   "has " + std::to_string(rows.rows()) + " rows but y_true has " +
                                                       std::to_string(i) + " labels");
    }
    return total / static_cast<double>(i);
}

}  // namespace tessera
