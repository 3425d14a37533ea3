/// \file
/// tessera/model_selection/folds.hpp - k-fold cross-validation folds, plain and stratified.
///
/// ```cpp
///   const auto folds = tessera::stratified_k_fold(labels, {.n_splits = 5, .shuffle = true, .seed = 1});
///   for (const auto& f : folds) { /* fit on f.train, evaluate on f.test */ }
/// ```
///
/// Every row is in exactly one test fold; fold f's training rows are all the others. Fold sizes
/// follow scikit-learn 1.2.1: with n rows and k folds, the first n % k folds hold n / k + 1 rows
/// and the others n / k. Without shuffling, both functions give exactly scikit-learn's KFold and
/// StratifiedKFold folds; with shuffling they give folds with the same sizes and class counts
/// from tessera::random_engine, so the same options give the same folds on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/random.hpp"
#include "tessera/model_selection/split.hpp"

namespace tessera {

/// How k-fold folds are drawn.
struct fold_options {
    /// The number of folds k: at least 2 and at most the number of rows (for stratified folds:
    /// at most the row count of the smallest class).
    std::size_t n_splits = 5;
    /// Whether rows are assigned to folds at random (otherwise in row order).
    bool shuffle = false;
    /// The seed of the random_engine that shuffles; read only when shuffle is true.
    std::uint64_t seed = random_engine::default_seed;
};

namespace detail {
/// \cond

inline void check_n_splits(std::size_t n_splits, std::size_t n, const char* where) {
    if (n_splits < 2) {
        throw_argument(where, "options.n_splits", "must be at least 2, got " + std::to_string(n_splits));
    }
    if (n_splits > n) {
        throw_argument(where, "options.n_splits",
                       "is " + std::to_string(n_splits) + " but there are only " + std::to_string(n) +
                           " rows: some test folds would be empty");
    }
}

// The folds of a row-to-fold assignment: fold f tests the rows assigned to f and trains on the
// rest, both lists ascending. O(n k), the size of the result.
[[nodiscard]] inline std::vector<train_test_indices> folds_from_assignment(const std::vector<std::size_t>& fold_of,
                                                                           const std::vector<std::size_t>& fold_size) {
    const std::size_t n = fold_of.size();
    std::vector<train_test_indices> folds(fold_size.size());
    for (std::size_t f = 0; f < folds.size(); ++f) {
        folds[f].test.reserve(fold_size[f]);
        folds[f].train.reserve(n - fold_size[f]);
    }
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t f = 0; f < folds.size(); ++f) (fold_of[i] == f ? folds[f].test : folds[f].train).push_back(i);
    }
    return folds;
}

// How many of the positions 0..m-1 fall in fold f when position p goes to fold p % k.
[[nodiscard]] constexpr std::size_t positions_in_fold(std::size_t m, std::size_t f, std::size_t k) noexcept {
    return m / k + (f < m % k ? 1 : 0);
}

/// \endcond
}  // namespace detail

/// k-fold folds of the rows 0..n-1 (k = options.n_splits). Rows are taken in order (or, with
/// shuffle, in the order of tessera::permutation(n, random_engine(options.seed))) and cut into
/// k consecutive runs: the first n % k runs hold n / k + 1 rows, the others n / k. Fold f tests
/// the rows of run f. Each fold's lists are sorted ascending.
/// O(n k) time and memory (the size of the result).
/// Throws invalid_argument (argument options.n_splits) for n_splits < 2 or n_splits > n.
[[nodiscard]] inline std::vector<train_test_indices> k_fold(std::size_t n, const fold_options& options = {}) {
    constexpr const char* where = "k_fold";
    detail::check_n_splits(options.n_splits, n, where);
    const std::size_t k = options.n_splits;
    std::vector<std::size_t> order(n);
    if (options.shuffle) {
        random_engine rng(options.seed);
        order = permutation(n, rng);
    } else {
        for (std::size_t i = 0; i < n; ++i) order[i] = i;
    }
    std::vector<std::size_t> fold_of(n);
    std::vector<std::size_t> fold_size(k);
    std::size_t pos = 0;
    for (std::size_t f = 0; f < k; ++f) {
        fold_size[f] = detail::positions_in_fold(n, f, k);
        for (std::size_t r = 0; r < fold_size[f]; ++r) fold_of[order[pos++]] = f;
    }
    return detail::folds_from_assignment(fold_of, fold_size);
}

/// Stratified k-fold folds for labels given as any label range: every fold holds each class in
/// nearly the same share as the whole set.
///
/// Allocation (scikit-learn 1.2.1's StratifiedKFold): list the rows by class, classes in sorted
/// label order, and give position p of that list to fold p % k. Class c, occupying positions
/// [s_c, s_c + n_c), thus has a_fc = P(s_c + n_c, f) - P(s_c, f) rows in fold f, where
/// P(m, f) = m / k + (f < m % k ? 1 : 0). So a class's counts in two folds differ by at most
/// one, every fold holds at least one row of every class, and fold f holds P(n, f) rows (the
/// first n % k folds one more than the others).
/// Assignment: class by class in sorted order, form the list of fold numbers in which fold f
/// appears a_fc times, ascending; with shuffle, shuffle that list (tessera::shuffle, one
/// random_engine(options.seed) shared by all classes, in class order). The i-th row of the
/// class, in ascending row order, goes to the i-th fold of the list. The rule uses integers
/// only, so the folds are reproducible anywhere from this description.
///
/// O(n log n + n k). Throws invalid_argument for empty labels (argument labels), n_splits < 2,
/// n_splits > n, and n_splits larger than the row count of the smallest class (argument
/// options.n_splits; the message names that class and its count).
template <label_range Y>
    requires std::ranges::forward_range<Y>  // read twice: once for the classes, once to encode
[[nodiscard]] std::vector<train_test_indices> stratified_k_fold(const Y& labels, const fold_options& options = {}) {
    constexpr const char* where = "stratified_k_fold";
    label_encoder<std::ranges::range_value_t<Y>> encoder;
    if (std::ranges::begin(labels) == std::ranges::end(labels)) detail::throw_argument(where, "labels", "is empty");
    encoder.fit(labels);
    const auto codes = encoder.encode(labels, where, "labels");
    const std::size_t n = codes.size();
    const std::size_t k = options.n_splits;
    detail::check_n_splits(k, n, where);
    const std::size_t n_classes = encoder.n_classes();
    std::vector<std::size_t> count(n_classes, 0);
    for (const auto c : codes) ++count[c];
    std::size_t smallest = 0;
    for (std::size_t c = 1; c < n_classes; ++c) {
        if (count[c] < count[smallest]) smallest = c;
    }
    if (count[smallest] < k) {
        detail::throw_argument(where, "options.n_splits",
                               "is " + std::to_string(k) + " but class " +
                                   detail::label_to_string(encoder.classes()[smallest]) + " has only " +
                                   std::to_string(count[smallest]) + " rows: every fold needs a row of every class");
    }

    std::vector<std::vector<std::size_t>> members(n_classes);
    for (std::size_t c = 0; c < n_classes; ++c) members[c].reserve(count[c]);
    for (std::size_t i = 0; i < n; ++i) members[codes[i]].push_back(i);

    random_engine rng(options.seed);
    std::vector<std::size_t> fold_of(n);
    std::vector<std::size_t> fold_list;
    std::size_t start = 0;
    for (std::size_t c = 0; c < n_classes; ++c) {
        fold_list.clear();
        for (std::size_t f = 0; f < k; ++f) {
            const std::size_t a = detail::positions_in_fold(start + count[c], f, k) - detail::positions_in_fold(start, f, k);
            fold_list.insert(fold_list.end(), a, f);
        }
        if (options.shuffle) shuffle(fold_list.begin(), fold_list.end(), rng);
        for (std::size_t i = 0; i < count[c]; ++i) fold_of[members[c][i]] = fold_list[i];
        start += count[c];
    }
    std::vector<std::size_t> fold_size(k);
    for (std::size_t f = 0; f < k; ++f) fold_size[f] = detail::positions_in_fold(n, f, k);
    return detail::folds_from_assignment(fold_of, fold_size);
}

}  // namespace tessera
