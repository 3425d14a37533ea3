// tessera/metrics/classification.hpp - accuracy, a confusion matrix, and precision, recall
// and F1 for one class, on any ranges of labels.
//
//   const double acc = tessera::accuracy_score(y_true, y_pred);
//   const auto spam = tessera::binary_scores(y_true, y_pred, std::string("spam"));
//   // spam.precision, spam.recall, spam.f1, spam.support
//
// The definitions are scikit-learn's (sklearn.metrics): a ratio whose denominator is 0 is
// reported as 0 (scikit-learn's zero_division=0, without its warning).
#pragma once

#include <cstddef>
#include <iterator>
#include <ranges>
#include <string>
#include <vector>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
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

}  // namespace tessera
