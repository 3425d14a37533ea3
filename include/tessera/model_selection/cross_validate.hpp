/// \file
/// tessera/model_selection/cross_validate.hpp - fit and score a model on each fold.
///
/// ```cpp
///   tessera::logistic_regression<int, double> model({.C = 0.5});
///   const auto folds = tessera::stratified_k_fold(y, {.n_splits = 5});
///   const auto cv = tessera::cross_validate(model, x, y, folds);
///   // cv.test_score[f], cv.mean_test_score, cv.std_test_score, cv.fit_seconds[f]...
/// ```
///
/// Each fold copies the model given, fits the copy on the fold's training rows and scores it on
/// its test rows: by default with model.score(x_test, y_test), or with a scorer of the caller's.
/// Folds run in parallel through tessera::parallel_for, and each fold's results are stored under
/// its index, so every score is the same for any thread count (the timings are measurements).
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/compose/roles.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/model_selection/split.hpp"

namespace tessera {

/// How cross_validate runs.
struct cross_validate_options {
    /// Also score each fitted model on its own training rows (train_score).
    bool return_train_score = false;
    /// Threads for the loop over folds (results do not depend on them). A model's own parallel
    /// loops run serially inside a fold whenever the folds run on more than one thread.
    parallel_options parallel{};
};

/// What cross_validate measured, one entry per fold in the order of the folds given.
struct cross_validate_result {
    /// The score of fold f's model on fold f's test rows.
    std::vector<double> test_score;
    /// The score of fold f's model on its training rows; empty unless return_train_score.
    std::vector<double> train_score;
    /// Wall-clock seconds of each fit (subsetting the rows included).
    std::vector<double> fit_seconds;
    /// Wall-clock seconds of each test scoring (subsetting included; the training score is not).
    std::vector<double> score_seconds;
    /// The mean of test_score.
    double mean_test_score = 0;
    /// The population standard deviation of test_score (divided by the fold count, as numpy's
    /// default and scikit-learn's std_test_score).
    double std_test_score = 0;
};

namespace detail {
/// \cond

/// A callable scorer(model, x, y) giving a number for a fitted Model on rows X and targets Y.
template <class Scorer, class Model, class X, class Y>
concept scorer_for = std::invocable<const Scorer&, const Model&, const X&, const Y&> &&
                     std::convertible_to<std::invoke_result_t<const Scorer&, const Model&, const X&, const Y&>, double>;

struct model_score {
    template <class Model, class X, class Y>
    [[nodiscard]] double operator()(const Model& model, const X& x, const Y& y) const {
        return static_cast<double>(model.score(x, y));
    }
};

// Names the member as the caller wrote it (options.parallel.n_threads).
inline void check_search_parallel(const parallel_options& parallel, const char* where) {
    if (parallel.n_threads < 0) {
        throw_argument(where, "options.parallel.n_threads",
                       "must be >= 0 (0 = all available), got " + std::to_string(parallel.n_threads));
    }
}

// The row count shared by x and y; throws dimension_mismatch when they differ.
template <class X, class Y>
[[nodiscard]] std::size_t shared_rows(const X& x, const Y& y, const char* where) {
    const std::size_t n = subset_size(x, where, "x");
    const std::size_t m = subset_size(y, where, "y");
    if (n != m) {
        throw_argument<dimension_mismatch>(where, "y",
                                           "has " + std::to_string(m) + " entries but x has " + std::to_string(n) + " rows");
    }
    return n;
}

// At least one fold; each with training and test rows, all below n. O(total indices).
inline void check_folds(std::span<const train_test_indices> folds, std::size_t n, const char* where) {
    if (folds.empty()) throw_argument(where, "folds", "is empty");
    for (std::size_t f = 0; f < folds.size(); ++f) {
        if (folds[f].train.empty()) throw_argument(where, "folds", "fold " + std::to_string(f) + " has no training rows");
        if (folds[f].test.empty()) throw_argument(where, "folds", "fold " + std::to_string(f) + " has no test rows");
        for (const auto* part : {&folds[f].train, &folds[f].test}) {
            for (const std::size_t i : *part) {
                if (i >= n) {
                    throw_argument(where, "folds",
                                   "fold " + std::to_string(f) + " names row " + std::to_string(i) + " but x has " +
                                       std::to_string(n) + " rows");
                }
            }
        }
    }
}

struct fold_outcome {
    double test_score = 0;
    double train_score = 0;
    double fit_seconds = 0;
    double score_seconds = 0;
};

[[nodiscard]] inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Fits `model` on the fold's training rows and scores it on its test rows (and, on request, on
// its training rows).
template <class Model, class X, class Y, class Scorer>
[[nodiscard]] fold_outcome fit_and_score(Model& model, const X& x, const Y& y, const train_test_indices& fold,
                                         const Scorer& scorer, bool train_score) {
    fold_outcome out;
    auto start = std::chrono::steady_clock::now();
    {
        const auto x_train = subset(x, fold.train);
        const auto y_train = subset(y, fold.train);
        model.fit(x_train, y_train);
        out.fit_seconds = seconds_since(start);
        if (train_score) out.train_score = static_cast<double>(std::invoke(scorer, std::as_const(model), x_train, y_train));
    }
    start = std::chrono::steady_clock::now();
    const auto x_test = subset(x, fold.test);
    const auto y_test = subset(y, fold.test);
    out.test_score = static_cast<double>(std::invoke(scorer, std::as_const(model), x_test, y_test));
    out.score_seconds = seconds_since(start);
    return out;
}

// The mean and population standard deviation of `v` (not empty), summed in order.
[[nodiscard]] inline std::pair<double, double> mean_and_std(std::span<const double> v) {
    double sum = 0;
    for (const double s : v) sum += s;
    const double mean = sum / static_cast<double>(v.size());
    double sq = 0;
    for (const double s : v) sq += (s - mean) * (s - mean);
    return {mean, std::sqrt(sq / static_cast<double>(v.size()))};
}

// Runs task(i) for i in [0, n) through parallel_for. Once task j has thrown, tasks above j that
// have not started are skipped: a failure early in a long search is reported without waiting
// for the rest, while every task below j still runs, so the exception that reaches the caller
// (parallel_for rethrows the lowest block's) is always the one of the lowest failing task.
template <class Task>
void run_tasks(std::size_t n, const parallel_options& options, const Task& task) {
    std::atomic<std::size_t> first_failure{n};
    parallel_for(
        0, n,
        [&](std::size_t i) {
            if (first_failure.load(std::memory_order_relaxed) < i) return;
            try {
                task(i);
            } catch (...) {
                std::size_t seen = first_failure.load(std::memory_order_relaxed);
                while (i < seen && !first_failure.compare_exchange_weak(seen, i, std::memory_order_relaxed)) {
                }
                throw;
            }
        },
        options);
}

/// \endcond
}  // namespace detail

/// Cross-validates a copy of `prototype` on each of `folds` (lists of row indices into x and y,
/// such as k_fold or stratified_k_fold give): the copy is fitted with
/// fit(subset of x, subset of y) on the training rows and scored with
/// scorer(model, x_test, y_test) on the test rows, where the subsets have the types subset_t<X>
/// and subset_t<Y> (dense_matrix, csr_matrix or std::vector). The scorer is called
/// concurrently from several threads and must allow that. The prototype is only copied.
///
/// Complexity: one fit and one or two scorings per fold, plus copying each fold's rows;
/// memory: the rows of the folds in progress (one fold per thread). Results are stored by fold
/// index: identical for any thread count.
/// Exceptions: invalid_argument for empty folds, a fold without training or test rows, an index
/// out of range, a negative thread count; dimension_mismatch when x and y have different row
/// counts. An exception thrown by a fit or a scorer reaches the caller unchanged (of several,
/// the one of the lowest-numbered fold).
template <class Model, detail::subsettable X, detail::subsettable Y, class Scorer>
    requires supervised<Model, subset_t<X>, subset_t<Y>> &&
             detail::scorer_for<Scorer, Model, subset_t<X>, subset_t<Y>>
[[nodiscard]] cross_validate_result cross_validate(const Model& prototype, const X& x, const Y& y,
                                                   std::span<const train_test_indices> folds, const Scorer& scorer,
                                                   const cross_validate_options& options = {}) {
    constexpr const char* where = "cross_validate";
    detail::check_search_parallel(options.parallel, where);
    const std::size_t n = detail::shared_rows(x, y, where);
    detail::check_folds(folds, n, where);
    std::vector<detail::fold_outcome> outcome(folds.size());
    detail::run_tasks(folds.size(), options.parallel, [&](std::size_t f) {
        Model model(prototype);
        outcome[f] = detail::fit_and_score(model, x, y, folds[f], scorer, options.return_train_score);
    });
    cross_validate_result r;
    for (const auto& o : outcome) {
        r.test_score.push_back(o.test_score);
        if (options.return_train_score) r.train_score.push_back(o.train_score);
        r.fit_seconds.push_back(o.fit_seconds);
        r.score_seconds.push_back(o.score_seconds);
    }
    std::tie(r.mean_test_score, r.std_test_score) = detail::mean_and_std(r.test_score);
    return r;
}

/// cross_validate with the model's own score(x_test, y_test) (accuracy for tessera's
/// classifiers). Same complexity and exceptions.
template <class Model, detail::subsettable X, detail::subsettable Y>
    requires supervised<Model, subset_t<X>, subset_t<Y>> &&
             scorable<Model, subset_t<X>, subset_t<Y>>
[[nodiscard]] cross_validate_result cross_validate(const Model& prototype, const X& x, const Y& y,
                                                   std::span<const train_test_indices> folds,
                                                   const cross_validate_options& options = {}) {
    return cross_validate(prototype, x, y, folds, detail::model_score{}, options);
}

}  // namespace tessera
