/// \file
/// tessera/metrics/classification.hpp - accuracy, precision, recall and F-scores (per class or
/// averaged), a confusion matrix, ROC AUC and log-loss, on any ranges of labels.
///
/// ```cpp
///   const double acc = tessera::accuracy_score(y_true, y_pred);
///   const double f1 = tessera::f1_score(y_true, y_pred, {.average = tessera::averaging::macro});
///   const auto spam = tessera::binary_scores(y_true, y_pred, std::string("spam"));
///   // spam.precision, spam.recall, spam.f1, spam.support
///   for (const auto& c : tessera::per_class_scores(y_true, y_pred)) { /* c.label, c.f_score, ... */ }
///   const double auc = tessera::roc_auc_score(y_true, spam_scores, std::string("spam"));
///   const double loss = tessera::log_loss(y_true, model.predict_proba(x), model.classes());
/// ```
///
/// The definitions are scikit-learn 1.2.1's (sklearn.metrics). A precision or recall whose
/// denominator is 0 is reported as 0 (scikit-learn's default zero_division="warn", without the
/// warning) unless the options ask for 1.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <limits>
#include <optional>
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
/// \cond

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

/// \endcond
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

/// How precision_score, recall_score, f1_score, fbeta_score and precision_recall_fscore
/// combine the scores of several classes (scikit-learn's `average`).
enum class averaging {
    binary,    ///< the scores of options.positive alone; y_true and y_pred hold at most two labels
    micro,     ///< the scores of the true positives, predictions and supports summed over the classes
    macro,     ///< the unweighted mean of the per-class scores
    weighted,  ///< the mean of the per-class scores weighted by each class's support
};

/// What a precision or recall whose denominator is 0 is reported as (scikit-learn's
/// zero_division; its default "warn" reports 0, which is `zero` here, without a warning).
enum class zero_division_policy { zero, one };

/// Options of the averaged scores; L is the storage type of y_true's labels (std::string for
/// string-like labels). Example: `{.average = tessera::averaging::macro}`.
template <label L>
struct score_options {
    /// How the classes are combined; scikit-learn's default is binary.
    averaging average = averaging::binary;
    /// The positive class of averaging::binary (scikit-learn's pos_label). When unset, 1 for
    /// integer labels and `true` for bool (scikit-learn's default pos_label=1); string and
    /// enumeration labels must set it. Not used by the other averagings.
    std::optional<L> positive{};
    /// The classes to score, in any order (scikit-learn's labels=): labels absent from both
    /// ranges count zero, and rows of unlisted classes count only as false positives or false
    /// negatives of the listed ones. Empty: every label of y_true or y_pred. Not used by
    /// averaging::binary (as in scikit-learn).
    std::vector<L> labels{};
    zero_division_policy zero_division = zero_division_policy::zero;  ///< value of a 0/0 precision or recall
};

/// Options of per_class_scores: the classes to report, in the order given (empty: every label
/// of y_true or y_pred, sorted), and the zero-denominator policy. See score_options.
template <label L>
struct per_class_options {
    std::vector<L> labels{};  ///< classes to report, in this order; empty: all, sorted
    zero_division_policy zero_division = zero_division_policy::zero;  ///< value of a 0/0 precision or recall
};

/// Averaged precision, recall and F-score (scikit-learn's precision_recall_fscore_support with
/// an average, which returns no support).
struct averaged_scores {
    double precision = 0;  ///< averaged precision
    double recall = 0;     ///< averaged recall
    double f_score = 0;  ///< F-beta; F1 unless another beta was asked for
};

/// The scores of one class (one entry of scikit-learn's precision_recall_fscore_support with
/// average=None, plus the counts behind it).
template <class L>
struct class_scores {
    L label{};             ///< the class
    double precision = 0;  ///< true positives / predicted as this class
    double recall = 0;     ///< true positives / support
    double f_score = 0;    ///< (1 + beta^2) P R / (beta^2 P + R), 0 when the denominator is 0
    std::size_t support = 0;  ///< rows whose true label is this class
    std::size_t true_positives = 0;   ///< rows of this class predicted as this class
    std::size_t false_positives = 0;  ///< rows of other classes predicted as this class
    std::size_t false_negatives = 0;  ///< rows of this class predicted as another class
};

namespace detail {
/// \cond

template <class R>
using range_label_t = label_storage_t<std::ranges::range_value_t<R>>;

// Per-class counts of a pair of label ranges, over the sorted union of their labels.
template <class T>
struct label_counts {
    std::vector<T> classes;
    std::vector<std::size_t> true_positives;
    std::vector<std::size_t> predicted;  // rows predicted as the class
    std::vector<std::size_t> actual;     // rows whose true label is the class (the support)
};

// The one counting pass behind binary_scores, per_class_scores and the averaged scores. Throws
// as for_each_label_pair. O(n log k) for n rows and k classes.
template <label_range A, label_range B>
[[nodiscard]] label_counts<range_label_t<A>> count_labels(const A& y_true, const B& y_pred, const char* where) {
    using T = range_label_t<A>;
    // Copied first because an input range can be read only once, and the classes must be
    // known before any row can be counted.
    std::vector<T> t;
    std::vector<T> p;
    if constexpr (std::ranges::sized_range<A>) {
        t.reserve(static_cast<std::size_t>(std::ranges::size(y_true)));
        p.reserve(t.capacity());
    }
    for_each_label_pair(y_true, y_pred, where, [&](const auto& tv, const auto& pv) {
        t.push_back(T(tv));
        p.push_back(T(pv));
    });
    label_counts<T> c;
    // Few classes and many rows are the common case: keep the classes found so far sorted and
    // look each label up. Past small_set classes, sort all the labels once instead.
    constexpr std::size_t small_set = 256;
    for (const auto* labels : {&t, &p}) {
        for (std::size_t i = 0; i < labels->size() && c.classes.size() <= small_set; ++i) {
            const T& l = (*labels)[i];
            const std::size_t at = class_position(c.classes, l);
            if (at == c.classes.size() || label_less{}(l, c.classes[at])) {
                c.classes.insert(c.classes.begin() + static_cast<std::ptrdiff_t>(at), l);
            }
        }
    }
    if (c.classes.size() > small_set) {
        c.classes = t;
        c.classes.insert(c.classes.end(), p.begin(), p.end());
        std::sort(c.classes.begin(), c.classes.end(), label_less{});
        c.classes.erase(std::unique(c.classes.begin(), c.classes.end()), c.classes.end());
    }
    const std::size_t k = c.classes.size();
    c.true_positives.assign(k, 0);
    c.predicted.assign(k, 0);
    c.actual.assign(k, 0);
    for (std::size_t i = 0; i < t.size(); ++i) {
        const std::size_t ti = class_position(c.classes, t[i]);
        const std::size_t pi = class_position(c.classes, p[i]);
        ++c.actual[ti];
        ++c.predicted[pi];
        c.true_positives[ti] += static_cast<std::size_t>(ti == pi);
    }
    return c;
}

// Where `l` is in the sorted `classes`, if it is there.
template <class T, class K>
[[nodiscard]] std::optional<std::size_t> find_class(const std::vector<T>& classes, const K& l) {
    const std::size_t i = class_position(classes, l);
    if (i == classes.size() || label_less{}(l, classes[i])) return std::nullopt;
    return i;
}

template <class T>
[[nodiscard]] std::string labels_text(const std::vector<T>& labels) {
    std::string s;
    for (const auto& l : labels) s.append(s.empty() ? "" : ", ").append(label_to_string(l));
    return s;
}

// Precision, recall and F-beta from one class's counts, in scikit-learn 1.2.1's order of
// operations: the F-score is computed from precision and recall after the zero-division
// substitution, so with zero_division one a class absent from both ranges scores F = 1.
[[nodiscard]] inline averaged_scores scores_from_counts(std::size_t tp, std::size_t predicted, std::size_t actual,
                                                        double beta, zero_division_policy zero_division) {
    const double if_zero = zero_division == zero_division_policy::one ? 1.0 : 0.0;
    const auto t = static_cast<double>(tp);
    averaged_scores s;
    s.precision = predicted == 0 ? if_zero : t / static_cast<double>(predicted);
    s.recall = actual == 0 ? if_zero : t / static_cast<double>(actual);
    if (std::isinf(beta)) {
        s.f_score = s.recall;
    } else {
        const double b2 = beta * beta;
        double den = b2 * s.precision + s.recall;
        if (den == 0) den = 1;
        s.f_score = (1 + b2) * s.precision * s.recall / den;
    }
    return s;
}

inline void check_score_parameters(double beta, zero_division_policy zero_division, const char* where) {
    if (std::isnan(beta) || beta < 0) {
        throw_argument(where, "beta", "must be >= 0 (it is " + number_text(beta) + ")");
    }
    if (zero_division != zero_division_policy::zero && zero_division != zero_division_policy::one) {
        throw_argument(where, "options.zero_division", "is not a zero_division_policy value");
    }
}

// For each class of `labels` (or of c.classes when `labels` is empty), its index in c.classes,
// or nothing when it occurs in neither range. Throws invalid_argument for a repeated label.
template <class T>
[[nodiscard]] std::vector<std::optional<std::size_t>> selected_classes(const label_counts<T>& c,
                                                                       const std::vector<T>& labels,
                                                                       const char* where) {
    std::vector<std::optional<std::size_t>> out;
    if (labels.empty()) {
        for (std::size_t i = 0; i < c.classes.size(); ++i) out.emplace_back(i);
        return out;
    }
    std::vector<T> sorted = labels;
    std::sort(sorted.begin(), sorted.end(), label_less{});
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) {
        throw_argument(where, "options.labels", "lists the label " + label_to_string(*dup) + " twice");
    }
    for (const auto& l : labels) out.push_back(find_class(c.classes, l));
    return out;
}

template <label_range A, label_range B>
[[nodiscard]] averaged_scores averaged_prf(const A& y_true, const B& y_pred, const score_options<range_label_t<A>>& o,
                                           double beta, const char* where) {
    using T = range_label_t<A>;
    check_score_parameters(beta, o.zero_division, where);
    if (o.average != averaging::binary && o.average != averaging::micro && o.average != averaging::macro &&
        o.average != averaging::weighted) {
        throw_argument(where, "options.average", "is not an averaging value");
    }
    const auto c = count_labels(y_true, y_pred, where);
    std::vector<std::optional<std::size_t>> chosen;
    if (o.average == averaging::binary) {
        if (c.classes.size() > 2) {
            throw_argument(where, "options.average",
                           "is binary, but y_true and y_pred hold " + std::to_string(c.classes.size()) +
                               " labels; use averaging::micro, macro or weighted, or per_class_scores");
        }
        std::optional<T> positive = o.positive;
        if constexpr (std::integral<T>) {
            if (!positive) positive = T(1);
        }
        if (!positive) {
            throw_argument(where, "options.positive",
                           "must be set with averaging::binary for labels that are not integers");
        }
        const auto at = find_class(c.classes, *positive);
        // As in scikit-learn, an absent positive label is an error only when two labels are
        // present, so that a one-class sample can still be scored (with zero-division values).
        if (!at && c.classes.size() == 2) {
            throw_argument(where, "options.positive",
                           "label " + label_to_string(*positive) + " is not among the labels of y_true and y_pred (" +
                               labels_text(c.classes) + ")");
        }
        chosen.push_back(at);
    } else {
        chosen = selected_classes(c, o.labels, where);
    }

    std::size_t tp_sum = 0;
    std::size_t predicted_sum = 0;
    std::size_t actual_sum = 0;
    std::vector<averaged_scores> per_class;
    std::vector<std::size_t> support;
    for (const auto& at : chosen) {
        const std::size_t tp = at ? c.true_positives[*at] : 0;
        const std::size_t predicted = at ? c.predicted[*at] : 0;
        const std::size_t actual = at ? c.actual[*at] : 0;
        tp_sum += tp;
        predicted_sum += predicted;
        actual_sum += actual;
        per_class.push_back(scores_from_counts(tp, predicted, actual, beta, o.zero_division));
        support.push_back(actual);
    }
    if (o.average == averaging::micro) {
        return scores_from_counts(tp_sum, predicted_sum, actual_sum, beta, o.zero_division);
    }

    averaged_scores mean;
    if (o.average == averaging::weighted) {
        if (actual_sum == 0) {
            // Possible only when options.labels lists no class of y_true. scikit-learn then
            // reports the zero-division value for recall, and for precision and F too when
            // nothing was predicted as a listed class; 0 for those otherwise.
            const double if_zero = o.zero_division == zero_division_policy::one ? 1.0 : 0.0;
            const double other = predicted_sum == 0 ? if_zero : 0.0;
            return averaged_scores{other, if_zero, other};
        }
        for (std::size_t i = 0; i < per_class.size(); ++i) {
            const auto w = static_cast<double>(support[i]);
            mean.precision += per_class[i].precision * w;
            mean.recall += per_class[i].recall * w;
            mean.f_score += per_class[i].f_score * w;
        }
        const auto total = static_cast<double>(actual_sum);
        return averaged_scores{mean.precision / total, mean.recall / total, mean.f_score / total};
    }
    for (const auto& s : per_class) {
        mean.precision += s.precision;
        mean.recall += s.recall;
        mean.f_score += s.f_score;
    }
    const auto k = static_cast<double>(per_class.size());
    return averaged_scores{mean.precision / k, mean.recall / k, mean.f_score / k};
}

/// \endcond
}  // namespace detail

/// Precision, recall and F1 of one class treated as the positive one.
struct binary_report {
    double precision = 0;  ///< true positives / predicted positives (0 when nothing is predicted positive)
    double recall = 0;     ///< true positives / actual positives (0 when there are none)
    double f1 = 0;         ///< harmonic mean of precision and recall (0 when both are 0)
    std::size_t support = 0;  ///< number of actual positives
    std::size_t true_positives = 0;   ///< positives predicted positive
    std::size_t false_positives = 0;  ///< negatives predicted positive
    std::size_t false_negatives = 0;  ///< positives predicted negative
};

/// Scores `positive` as the positive class against all the other labels together, whatever
/// their number (scikit-learn's precision_recall_fscore_support with labels=[positive] and
/// zero_division=0, which equals average="binary" when there are two classes). O(n log k) for
/// k distinct labels. Throws as accuracy_score; a positive label that occurs in neither range
/// is allowed and gives all zeros.
template <label_range A, label_range B, label L>
[[nodiscard]] binary_report binary_scores(const A& y_true, const B& y_pred, const L& positive) {
    const auto c = detail::count_labels(y_true, y_pred, "binary_scores");
    binary_report r;
    if (const auto at = detail::find_class(c.classes, positive)) {
        r.true_positives = c.true_positives[*at];
        r.false_positives = c.predicted[*at] - r.true_positives;
        r.false_negatives = c.actual[*at] - r.true_positives;
    }
    r.support = r.true_positives + r.false_negatives;
    const auto s = detail::scores_from_counts(r.true_positives, r.true_positives + r.false_positives, r.support, 1.0,
                                              zero_division_policy::zero);
    r.precision = s.precision;
    r.recall = s.recall;
    r.f1 = s.f_score;
    return r;
}

/// Precision, recall and F-beta averaged as options.average says (scikit-learn 1.2.1's
/// precision_recall_fscore_support with average, pos_label, labels, zero_division and beta).
/// Per class: precision P = TP / (TP + FP), recall R = TP / (TP + FN), and
/// F = (1 + beta^2) P R / (beta^2 P + R) (0 when that denominator is 0; R when beta is +inf).
/// binary scores options.positive alone; micro sums TP, FP and FN over the classes first (for
/// single-label data and all classes, micro P = R = F = accuracy); macro is the plain mean over
/// the classes; weighted weighs each class by its support.
///
/// Complexity: O(n log k) time for n rows and k distinct labels, O(n + k) extra memory.
/// Throws `tessera::dimension_mismatch` for ranges of different lengths, and
/// `tessera::invalid_argument` when y_true is empty, beta is negative or NaN, an enumerator of
/// the options is out of range, options.labels repeats a label, or, with averaging::binary,
/// y_true and y_pred hold more than two labels, or options.positive is unset for non-integer
/// labels, or it is not one of two labels present.
template <label_range A, label_range B>
[[nodiscard]] averaged_scores precision_recall_fscore(const A& y_true, const B& y_pred,
                                                      const score_options<detail::range_label_t<A>>& options = {},
                                                      double beta = 1.0) {
    return detail::averaged_prf(y_true, y_pred, options, beta, "precision_recall_fscore");
}

/// The precision TP / (TP + FP), averaged as in precision_recall_fscore (scikit-learn's
/// precision_score). Same complexity and exceptions.
template <label_range A, label_range B>
[[nodiscard]] double precision_score(const A& y_true, const B& y_pred,
                                     const score_options<detail::range_label_t<A>>& options = {}) {
    return detail::averaged_prf(y_true, y_pred, options, 1.0, "precision_score").precision;
}

/// The recall TP / (TP + FN), averaged as in precision_recall_fscore (scikit-learn's
/// recall_score). Same complexity and exceptions.
template <label_range A, label_range B>
[[nodiscard]] double recall_score(const A& y_true, const B& y_pred,
                                  const score_options<detail::range_label_t<A>>& options = {}) {
    return detail::averaged_prf(y_true, y_pred, options, 1.0, "recall_score").recall;
}

/// F1 = 2 P R / (P + R), averaged as in precision_recall_fscore (scikit-learn's f1_score).
/// Same complexity and exceptions.
template <label_range A, label_range B>
[[nodiscard]] double f1_score(const A& y_true, const B& y_pred,
                              const score_options<detail::range_label_t<A>>& options = {}) {
    return detail::averaged_prf(y_true, y_pred, options, 1.0, "f1_score").f_score;
}

/// F-beta = (1 + beta^2) P R / (beta^2 P + R), averaged as in precision_recall_fscore
/// (scikit-learn's fbeta_score): beta > 1 favours recall, beta < 1 precision; beta = 0 gives
/// precision, beta = +inf recall. Same complexity and exceptions.
template <label_range A, label_range B>
[[nodiscard]] double fbeta_score(const A& y_true, const B& y_pred, double beta,
                                 const score_options<detail::range_label_t<A>>& options = {}) {
    return detail::averaged_prf(y_true, y_pred, options, beta, "fbeta_score").f_score;
}

/// Precision, recall, F-beta, support and counts of each class: of options.labels in their
/// order, or of every label of y_true or y_pred in sorted order (scikit-learn's
/// precision_recall_fscore_support with average=None). Labels absent from both ranges get
/// zero counts and the zero-division values. Complexity as precision_recall_fscore. Throws
/// `tessera::dimension_mismatch` for ranges of different lengths, `tessera::invalid_argument`
/// when y_true is empty, beta is negative or NaN, or options.labels repeats a label.
template <label_range A, label_range B>
[[nodiscard]] std::vector<class_scores<detail::range_label_t<A>>> per_class_scores(
    const A& y_true, const B& y_pred, const per_class_options<detail::range_label_t<A>>& options = {},
    double beta = 1.0) {
    constexpr const char* where = "per_class_scores";
    detail::check_score_parameters(beta, options.zero_division, where);
    const auto c = detail::count_labels(y_true, y_pred, where);
    const auto chosen = detail::selected_classes(c, options.labels, where);
    std::vector<class_scores<detail::range_label_t<A>>> out;
    out.reserve(chosen.size());
    for (std::size_t i = 0; i < chosen.size(); ++i) {
        const auto& at = chosen[i];
        class_scores<detail::range_label_t<A>> r;
        r.label = at ? c.classes[*at] : options.labels[i];
        if (at) {
            r.true_positives = c.true_positives[*at];
            r.false_positives = c.predicted[*at] - r.true_positives;
            r.false_negatives = c.actual[*at] - r.true_positives;
            r.support = c.actual[*at];
        }
        const auto s = detail::scores_from_counts(r.true_positives, r.true_positives + r.false_positives, r.support,
                                                  beta, options.zero_division);
        r.precision = s.precision;
        r.recall = s.recall;
        r.f_score = s.f_score;
        out.push_back(std::move(r));
    }
    return out;
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
