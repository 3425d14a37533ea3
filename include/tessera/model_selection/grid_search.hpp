/// \file
/// tessera/model_selection/grid_search.hpp - exhaustive search over a grid of a model's options.
///
/// ```cpp
///   using opts = tessera::logistic_regression_options;
///   const auto grid = tessera::options_grid<opts>({.max_iter = 200})
///                         .add(&opts::C, {0.1, 1.0, 10.0})
///                         .add(&opts::penalty, {tessera::logistic_penalty::l1, tessera::logistic_penalty::l2});
///   const auto folds = tessera::stratified_k_fold(y, {.n_splits = 5});
///   const auto gs = tessera::grid_search<tessera::logistic_regression<int, double>>(grid, x, y, folds);
///   // gs.best_options, gs.best_score, *gs.best_model (refitted on all rows), gs.mean_test_score...
/// ```
///
/// Every (candidate, fold) pair is one task of one parallel_for, and each task's score is stored
/// under its pair, so the result (timings aside) is the same for any thread count.
#pragma once

#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/model_selection/cross_validate.hpp"
#include "tessera/model_selection/split.hpp"

namespace tessera {

/// A grid of candidate options: a base options struct and, for some of its members, lists of
/// values to try. expand() gives the cartesian product as options structs, each a copy of the
/// base with one value of every list assigned. Order: the member added last varies fastest
/// (like nested loops written in the order of the add calls), so with add(&o::a, {1, 2}) then
/// add(&o::b, {x, y}) the candidates are (1, x), (1, y), (2, x), (2, y).
///
/// Exceptions: add throws invalid_argument for an empty value list, a member added twice, or a
/// grid whose size overflows std::size_t. Thread safety: const members may run concurrently.
template <class Options>
class options_grid {
public:
    using options_type = Options;  ///< the options struct the candidates are

    /// A grid of the one candidate `base`, until members are added.
    explicit options_grid(Options base = Options{}) : base_(std::move(base)) {}

    /// Adds the member `member` with the values `values` (in that order). O(values.size()).
    template <class V>
        requires std::is_object_v<V> && std::copy_constructible<V> && std::is_copy_assignable_v<V>
    options_grid& add(V Options::*member, std::type_identity_t<std::vector<V>> values) & {
        constexpr const char* where = "options_grid::add";
        if (member == nullptr) detail::throw_argument(where, "member", "is a null member pointer");
        if (values.empty()) detail::throw_argument(where, "values", "is empty: every member needs at least one value");
        // Members are told apart by their place in the struct: two member pointers of different
        // types cannot be compared, but their offsets can.
        const auto* object = reinterpret_cast<const unsigned char*>(std::addressof(base_));
        const auto* field = reinterpret_cast<const unsigned char*>(std::addressof(base_.*member));
        const auto offset = static_cast<std::size_t>(field - object);
        for (const auto& a : axes_) {
            if (a.offset == offset) {
                detail::throw_argument(where, "member",
                                       "was already added to this grid (at offset " + std::to_string(offset) +
                                           "); give all its values in one call");
            }
        }
        if (values.size() > std::numeric_limits<std::size_t>::max() / size()) {
            detail::throw_argument(where, "values", "make the grid larger than std::size_t can count");
        }
        const std::size_t count = values.size();
        axes_.push_back({offset, count, [member, v = std::move(values)](Options& o, std::size_t i) { o.*member = v[i]; }});
        return *this;
    }

    /// The same on a temporary grid, so that calls chain on options_grid<O>(base).
    template <class V>
        requires std::is_object_v<V> && std::copy_constructible<V> && std::is_copy_assignable_v<V>
    [[nodiscard]] options_grid add(V Options::*member, std::type_identity_t<std::vector<V>> values) && {
        add(member, std::move(values));
        return std::move(*this);
    }

    /// The number of candidates: the product of the value counts (1 for no member). O(members).
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t s = 1;
        for (const auto& a : axes_) s *= a.count;
        return s;
    }

    /// The base options.
    [[nodiscard]] const Options& base() const noexcept { return base_; }

    /// Every candidate, in the documented order. O(size() * members) assignments.
    [[nodiscard]] std::vector<Options> expand() const {
        const std::size_t total = size();
        std::vector<Options> out;
        out.reserve(total);
        for (std::size_t c = 0; c < total; ++c) {
            Options o = base_;
            std::size_t rest = c;
            for (std::size_t a = axes_.size(); a-- > 0;) {
                axes_[a].set(o, rest % axes_[a].count);
                rest /= axes_[a].count;
            }
            out.push_back(std::move(o));
        }
        return out;
    }

private:
    struct axis {
        std::size_t offset;
        std::size_t count;
        std::function<void(Options&, std::size_t)> set;
    };
    Options base_;
    std::vector<axis> axes_;
};

/// How grid_search runs.
struct grid_search_options {
    /// Fit a model with the best candidate on all rows of x and y (best_model).
    bool refit = true;
    /// Threads for the loop over (candidate, fold) pairs (results do not depend on them).
    parallel_options parallel{};
};

/// What grid_search measured. Candidate c's scores are fold_scores[c][f] for fold f.
template <class Options, class Model>
struct grid_search_result {
    /// The candidates in the order searched (an options_grid's expand() order).
    std::vector<Options> candidates;
    /// fold_scores[c][f]: the test score of candidate c's model fitted on fold f.
    std::vector<std::vector<double>> fold_scores;
    /// The mean of fold_scores[c] over the folds.
    std::vector<double> mean_test_score;
    /// The population standard deviation of fold_scores[c] (divided by the fold count).
    std::vector<double> std_test_score;
    /// The candidate of largest mean_test_score; on a tie the first. A NaN mean never wins
    /// (0 when every mean is NaN).
    std::size_t best_index = 0;
    /// mean_test_score[best_index].
    double best_score = 0;
    /// candidates[best_index].
    Options best_options;
    /// The best candidate's model fitted on all rows; empty unless options.refit.
    std::optional<Model> best_model;
    /// Wall-clock seconds of that fit (0 without refit).
    double refit_seconds = 0;
};

namespace detail {
/// \cond

template <class C>
struct candidate_traits {};
template <class O>
struct candidate_traits<options_grid<O>> {
    using options_type = O;
};
template <class C>
    requires std::ranges::input_range<C>
struct candidate_traits<C> {
    using options_type = std::ranges::range_value_t<C>;
};

/// An options_grid or a range of options structs.
template <class C>
concept candidate_list = requires { typename candidate_traits<std::remove_cvref_t<C>>::options_type; };

template <class C>
using candidate_options_t = typename candidate_traits<std::remove_cvref_t<C>>::options_type;

template <class C>
[[nodiscard]] std::vector<candidate_options_t<C>> candidate_vector(const C& candidates) {
    if constexpr (requires { candidates.expand(); }) {
        return candidates.expand();
    } else {
        std::vector<candidate_options_t<C>> out;
        for (auto&& o : candidates) out.push_back(o);
        return out;
    }
}

template <class Factory, class Options>
using factory_model_t = std::remove_cvref_t<std::invoke_result_t<const Factory&, const Options&>>;

/// A callable that makes a model from a const Options&.
template <class Factory, class Options>
concept model_factory = std::invocable<const Factory&, const Options&> &&
                        std::move_constructible<factory_model_t<Factory, Options>>;

/// fit on the caller's own types; when the model takes only the subset types, on a copy of
/// every row in those types.
template <class Model, class X, class Y>
void fit_all_rows(Model& model, const X& x, const Y& y, std::size_t n) {
    if constexpr (requires { model.fit(x, y); }) {
        model.fit(x, y);
    } else {
        std::vector<std::size_t> all(n);
        for (std::size_t i = 0; i < n; ++i) all[i] = i;
        model.fit(subset(x, all), subset(y, all));
    }
}

template <class Model>
struct construct_model {
    template <class Options>
    [[nodiscard]] Model operator()(const Options& o) const {
        return Model(o);
    }
};

/// \endcond
}  // namespace detail

/// Cross-validates one model per candidate: for each candidate c and fold f, factory(c) makes a
/// model, which is fitted on fold f's training rows (the subsets of x and y, as
/// cross_validate) and scored with scorer(model, x_test, y_test). `candidates` is an
/// options_grid or any range of options structs. The factory and the scorer are called
/// concurrently from several threads and must allow that.
///
/// Complexity: candidates x folds fits and scorings, plus one fit with refit; memory: the rows
/// of the tasks in progress (one per thread). The scores are identical for any thread count.
/// Exceptions: invalid_argument for no candidates, and as cross_validate for the folds, x, y
/// and the thread count; an exception thrown by the factory, a fit or the scorer reaches the
/// caller unchanged (of several, the one of the lowest (candidate, fold) pair in candidate-major
/// order).
template <detail::candidate_list C, class Factory, detail::subsettable X, detail::subsettable Y, class Scorer>
    requires detail::model_factory<Factory, detail::candidate_options_t<C>> &&
             supervised<detail::factory_model_t<Factory, detail::candidate_options_t<C>>, subset_t<X>, subset_t<Y>> &&
             detail::scorer_for<Scorer, detail::factory_model_t<Factory, detail::candidate_options_t<C>>, subset_t<X>,
                                subset_t<Y>>
[[nodiscard]] auto grid_search(const C& candidates, const Factory& factory, const X& x, const Y& y,
                               std::span<const train_test_indices> folds, const Scorer& scorer,
                               const grid_search_options& options = {}) {
    using options_type = detail::candidate_options_t<C>;
    using model_type = detail::factory_model_t<Factory, options_type>;
    constexpr const char* where = "grid_search";
    detail::check_search_parallel(options.parallel, where);
    auto list = detail::candidate_vector(candidates);
    if (list.empty()) detail::throw_argument(where, "candidates", "is empty: there is nothing to search");
    const std::size_t n = detail::shared_rows(x, y, where);
    detail::check_folds(folds, n, where);

    const std::size_t k = folds.size();
    std::vector<std::vector<double>> scores(list.size(), std::vector<double>(k, 0.0));
    detail::run_tasks(list.size() * k, options.parallel, [&](std::size_t task) {
        const std::size_t c = task / k;
        const std::size_t f = task % k;
        model_type model = std::invoke(factory, std::as_const(list[c]));
        scores[c][f] = detail::fit_and_score(model, x, y, folds[f], scorer, false).test_score;
    });

    std::vector<double> mean(list.size());
    std::vector<double> stdev(list.size());
    std::size_t best = 0;
    bool found = false;
    for (std::size_t c = 0; c < list.size(); ++c) {
        std::tie(mean[c], stdev[c]) = detail::mean_and_std(scores[c]);
        if (!std::isnan(mean[c]) && (!found || mean[c] > mean[best])) {
            best = c;
            found = true;
        }
    }

    std::optional<model_type> best_model;
    double refit_seconds = 0;
    if (options.refit) {
        const auto start = std::chrono::steady_clock::now();
        best_model.emplace(std::invoke(factory, std::as_const(list[best])));
        detail::fit_all_rows(*best_model, x, y, n);
        refit_seconds = detail::seconds_since(start);
    }
    options_type best_options = list[best];
    const double best_score = mean[best];
    return grid_search_result<options_type, model_type>{std::move(list),  std::move(scores),      std::move(mean),
                                                        std::move(stdev), best,                   best_score,
                                                        std::move(best_options), std::move(best_model), refit_seconds};
}

/// grid_search scored with each model's own score(x_test, y_test).
template <detail::candidate_list C, class Factory, detail::subsettable X, detail::subsettable Y>
    requires detail::model_factory<Factory, detail::candidate_options_t<C>> &&
             supervised<detail::factory_model_t<Factory, detail::candidate_options_t<C>>, subset_t<X>, subset_t<Y>> &&
             scorable<detail::factory_model_t<Factory, detail::candidate_options_t<C>>, subset_t<X>, subset_t<Y>>
[[nodiscard]] auto grid_search(const C& candidates, const Factory& factory, const X& x, const Y& y,
                               std::span<const train_test_indices> folds, const grid_search_options& options = {}) {
    return grid_search(candidates, factory, x, y, folds, detail::model_score{}, options);
}

/// grid_search with models made as Model(options): grid_search<Model>(candidates, x, y, folds,
/// scorer, options).
template <class Model, detail::candidate_list C, detail::subsettable X, detail::subsettable Y, class Scorer>
    requires std::constructible_from<Model, const detail::candidate_options_t<C>&> &&
             supervised<Model, subset_t<X>, subset_t<Y>> && detail::scorer_for<Scorer, Model, subset_t<X>, subset_t<Y>>
[[nodiscard]] grid_search_result<detail::candidate_options_t<C>, Model>
grid_search(const C& candidates, const X& x, const Y& y, std::span<const train_test_indices> folds, const Scorer& scorer,
            const grid_search_options& options = {}) {
    return grid_search(candidates, detail::construct_model<Model>{}, x, y, folds, scorer, options);
}

/// grid_search with models made as Model(options) and scored with their own score(x, y):
/// grid_search<Model>(candidates, x, y, folds, options).
template <class Model, detail::candidate_list C, detail::subsettable X, detail::subsettable Y>
    requires std::constructible_from<Model, const detail::candidate_options_t<C>&> &&
             supervised<Model, subset_t<X>, subset_t<Y>> && scorable<Model, subset_t<X>, subset_t<Y>>
[[nodiscard]] grid_search_result<detail::candidate_options_t<C>, Model>
grid_search(const C& candidates, const X& x, const Y& y, std::span<const train_test_indices> folds,
            const grid_search_options& options = {}) {
    return grid_search(candidates, detail::construct_model<Model>{}, x, y, folds, detail::model_score{}, options);
}

}  // namespace tessera
