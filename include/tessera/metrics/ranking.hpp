/// \file
/// tessera/metrics/ranking.hpp - offline evaluation of recommenders: a per-user train/test split
/// of an interaction matrix, top-k ranking metrics (precision, MAP, NDCG) and AUC for any
/// tessera::recommender, and rating-prediction errors (RMSE, MAE) for explicit-rating models.
///
/// ```cpp
///   const auto parts = tessera::split_interactions(ratings, {.test_fraction = 0.2, .seed = 7});
///   tessera::popularity_recommender pop;
///   pop.fit(parts.train);
///   const auto s = tessera::evaluate_ranking(pop, parts.test, 10);
///   // s.precision, s.map, s.ndcg, s.auc, s.users
///   const auto e = tessera::evaluate_ratings(baseline, parts.test);   // e.rmse, e.mae, e.count
/// ```
///
/// Interaction matrices are users x items CSR matrices (csr_view or csr_matrix): row u holds
/// user u's items. In a test matrix, the entries with a value > 0 are the user's relevant items
/// ("test items"); stored entries <= 0 count as not relevant. Every metric is computed per user
/// and the per-user values are added in user order, so results are bit-identical for any thread
/// count; sums are in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/compose/roles.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/core/random.hpp"

namespace tessera {

// ---- per-user split --------------------------------------------------------------------------

/// How split_interactions divides each user's interactions.
struct interaction_split_options {
    /// The share of a user's interactions that goes to the test matrix: a user with n_u stored
    /// entries sends std::round(test_fraction * n_u) of them (halves rounded away from zero),
    /// but at least 1 and at most n_u - 1. Must lie strictly between 0 and 1.
    double test_fraction = 0.2;
    /// Users with fewer stored entries keep all of them in the training matrix. At least 2
    /// (a user needs one entry on each side).
    std::size_t min_interactions = 2;
    /// Seed of the draws: user u's test entries come from random_engine(seed, u) alone.
    std::uint64_t seed = random_engine::default_seed;
};

/// The two halves of an interaction matrix, each of the input's shape; every stored entry of
/// the input is in exactly one of them, with its value.
template <class T, class Index = std::int32_t, class Allocator = std::allocator<T>>
struct interaction_split {
    csr_matrix<T, Index, Allocator> train;  ///< the entries kept for fitting
    csr_matrix<T, Index, Allocator> test;   ///< the held-out entries
};

namespace detail {
/// \cond

inline void check_interaction_split_options(const interaction_split_options& options, const char* where) {
    if (!(options.test_fraction > 0 && options.test_fraction < 1)) {
        throw_argument(where, "options.test_fraction",
                       "must lie strictly between 0 and 1, got " + number_text(options.test_fraction));
    }
    if (options.min_interactions < 2) {
        throw_argument(where, "options.min_interactions",
                       "must be at least 2 (one entry for train, one for test), got " +
                           std::to_string(options.min_interactions));
    }
}

// How many of a qualifying user's n entries go to the test matrix.
[[nodiscard]] inline std::size_t user_test_count(std::size_t n, double fraction) noexcept {
    const auto t = static_cast<std::size_t>(std::round(fraction * static_cast<double>(n)));
    return std::clamp<std::size_t>(t, 1, n - 1);
}

/// \endcond
}  // namespace detail

/// Splits an interaction matrix (users x items) user by user into a training and a test
/// matrix of the same shape. A user with n_u >= options.min_interactions stored entries sends
/// t_u = clamp(std::round(test_fraction * n_u), 1, n_u - 1) of them to the test matrix: the
/// entries at the positions (0-based, within the row) sample_without_replacement(n_u, t_u,
/// rng) with rng = random_engine(options.seed, u). Every other entry, and every entry of a
/// user with fewer than min_interactions, stays in train. Stored values (explicit zeros
/// included) are copied as they are, so ratings split as well as implicit feedback.
///
/// User u's draw depends on (seed, u) alone: the same seed gives the same split for a user
/// whatever the other rows hold, on every platform.
///
/// Complexity: O(rows + nnz) time and O(nnz) extra memory. The result's arrays come from
/// `alloc`. Throws tessera::invalid_argument for a test_fraction outside (0, 1) (NaN
/// included), min_interactions < 2, or a NaN or infinite value in `interactions`.
template <class V, class Index, class Allocator = std::allocator<std::remove_cv_t<V>>>
[[nodiscard]] interaction_split<std::remove_cv_t<V>, Index, Allocator> split_interactions(
    csr_view<V, Index> interactions, const interaction_split_options& options = {},
    const Allocator& alloc = Allocator()) {
    using T = std::remove_cv_t<V>;
    using matrix_type = csr_matrix<T, Index, Allocator>;
    constexpr const char* where = "split_interactions";
    detail::check_interaction_split_options(options, where);
    detail::require_finite<T>(interactions.values(), where, "interactions");

    const std::size_t rows = interactions.rows();
    const auto indptr = interactions.indptr();
    std::vector<unsigned char> to_test(interactions.nnz(), 0);
    std::size_t test_nnz = 0;
    for (std::size_t u = 0; u < rows; ++u) {
        const auto begin = static_cast<std::size_t>(indptr[u]);
        const auto n = static_cast<std::size_t>(indptr[u + 1]) - begin;
        if (n < options.min_interactions) continue;
        const std::size_t t = detail::user_test_count(n, options.test_fraction);
        random_engine rng(options.seed, static_cast<std::uint64_t>(u));
        for (const std::size_t p : sample_without_replacement(n, t, rng)) to_test[begin + p] = 1;
        test_nnz += t;
    }

    const typename matrix_type::index_vector::allocator_type index_alloc(alloc);
    typename matrix_type::index_vector train_ptr(rows + 1, Index{0}, index_alloc);
    typename matrix_type::index_vector test_ptr(rows + 1, Index{0}, index_alloc);
    typename matrix_type::index_vector train_ix(index_alloc);
    typename matrix_type::index_vector test_ix(index_alloc);
    typename matrix_type::value_vector train_v(alloc);
    typename matrix_type::value_vector test_v(alloc);
    train_ix.reserve(interactions.nnz() - test_nnz);
    train_v.reserve(interactions.nnz() - test_nnz);
    test_ix.reserve(test_nnz);
    test_v.reserve(test_nnz);
    const auto ix = interactions.indices();
    const auto vx = interactions.values();
    for (std::size_t u = 0; u < rows; ++u) {
        for (auto k = static_cast<std::size_t>(indptr[u]); k < static_cast<std::size_t>(indptr[u + 1]); ++k) {
            if (to_test[k] != 0) {
                test_ix.push_back(ix[k]);
                test_v.push_back(vx[k]);
            } else {
                train_ix.push_back(ix[k]);
                train_v.push_back(vx[k]);
            }
        }
        train_ptr[u + 1] = static_cast<Index>(train_ix.size());
        test_ptr[u + 1] = static_cast<Index>(test_ix.size());
    }
    return {matrix_type(rows, interactions.cols(), std::move(train_ptr), std::move(train_ix), std::move(train_v)),
            matrix_type(rows, interactions.cols(), std::move(test_ptr), std::move(test_ix), std::move(test_v))};
}

/// The same for an owning CSR matrix; both halves use a copy of its allocator.
template <class V, class Index, class Allocator>
[[nodiscard]] interaction_split<V, Index, Allocator> split_interactions(
    const csr_matrix<V, Index, Allocator>& interactions, const interaction_split_options& options = {}) {
    return split_interactions(interactions.view(), options, interactions.get_allocator());
}

// ---- ranking metrics -------------------------------------------------------------------------

/// Options of evaluate_ranking.
struct ranking_options {
    /// Also compute the AUC. It needs the model's full ranking of every evaluated user
    /// (recommend(u, n_items())) instead of its top k, which is usually far more work.
    bool auc = true;
    /// Threads over the users (results do not depend on it).
    parallel_options parallel{};
};

/// What evaluate_ranking reports: each metric is the mean over the evaluated users (see
/// evaluate_ranking for the definitions).
struct ranking_scores {
    double precision = 0;  ///< precision at k (`precision@k`)
    double map = 0;        ///< mean average precision at k
    double ndcg = 0;       ///< normalized discounted cumulative gain at k, binary relevance
    /// Mean per-user AUC over the auc_users users that have one; NaN when ranking_options::auc
    /// is false or no evaluated user had a candidate item that was not a test item.
    double auc = std::numeric_limits<double>::quiet_NaN();
    std::size_t users = 0;      ///< users evaluated: those with at least one test entry > 0
    std::size_t auc_users = 0;  ///< users in the AUC mean (0 when it was not computed)
};

namespace detail {
/// \cond

// An element of a ranking: a scored item with an integral `.item`, or the item index itself.
template <class E>
concept scored_ranking_entry =
    requires(const E& e) { e.item; } && std::integral<std::remove_cvref_t<decltype(std::declval<const E&>().item)>> &&
    !std::same_as<std::remove_cvref_t<decltype(std::declval<const E&>().item)>, bool>;

template <class E>
concept ranking_entry = scored_ranking_entry<E> || (std::integral<E> && !std::same_as<std::remove_cv_t<E>, bool>);

template <class M>
using recommended_entry_t =
    std::ranges::range_value_t<decltype(std::declval<const M&>().recommend(std::size_t{}, std::size_t{}))>;

// A recommender whose ranking elements evaluate_ranking can read.
template <class M>
concept ranking_evaluable = recommender<M> && ranking_entry<recommended_entry_t<M>>;

// The item index of a ranking element; false when it is negative or not below n_items.
template <class E>
[[nodiscard]] bool ranked_item_index(const E& e, std::size_t n_items, std::size_t& item) noexcept {
    if constexpr (scored_ranking_entry<E>) {
        return ranked_item_index(e.item, n_items, item);
    } else {
        if (is_negative(e)) return false;
        if (static_cast<std::uintmax_t>(e) >= static_cast<std::uintmax_t>(n_items)) return false;
        item = static_cast<std::size_t>(e);
        return true;
    }
}

template <class E>
[[nodiscard]] std::string ranked_item_text(const E& e) {
    if constexpr (scored_ranking_entry<E>) {
        return ranked_item_text(e.item);
    } else {
        return std::to_string(e);
    }
}

// One user's metrics; `counted` is false for a user without a test entry > 0.
struct user_ranking_scores {
    double precision = 0;
    double average_precision = 0;
    double ndcg = 0;
    double auc = 0;
    bool counted = false;
    bool has_auc = false;
};

// Scores users [lo, hi) into out[u]. `flags` (n_items bytes, all zero on entry and on a normal
// exit) marks items: bit 0 returned by the model for the current user, bit 1 a test item.
template <class M, class V, class Index>
void rank_users(const M& model, csr_view<V, Index> test, std::size_t k, bool with_auc, std::size_t lo, std::size_t hi,
                std::vector<user_ranking_scores>& out) {
    constexpr const char* where = "evaluate_ranking";
    constexpr unsigned char returned_bit = 1;
    constexpr unsigned char relevant_bit = 2;
    const std::size_t n_items = test.cols();
    const std::size_t request = with_auc ? n_items : std::min(k, n_items);
    std::vector<unsigned char> flags(n_items, 0);
    std::vector<std::size_t> returned;
    for (std::size_t u = lo; u < hi; ++u) {
        const auto row = test.row(u);
        std::size_t relevant = 0;
        for (std::size_t t = 0; t < row.size(); ++t) {
            if (static_cast<double>(row.values[t]) > 0) {
                flags[static_cast<std::size_t>(row.indices[t])] |= relevant_bit;
                ++relevant;
            }
        }
        if (relevant == 0) continue;

        returned.clear();
        std::size_t rank = 0;          // 1-based position of the current element
        std::size_t hits = 0;          // test items within the first min(rank, k) positions
        double precision_sum = 0;      // sum over hit ranks j <= k of precision@j
        double dcg = 0;
        std::uint64_t negatives = 0;   // returned items that are not test items, so far
        std::uint64_t positives = 0;   // returned test items
        std::uint64_t negatives_above_positives = 0;  // sum over returned test items of negatives ranked above
        for (auto&& entry : model.recommend(u, request)) {
            std::size_t item = 0;
            if (!ranked_item_index(entry, n_items, item)) {
                throw_argument(where, "model",
                               "recommend(" + std::to_string(u) + ", " + std::to_string(request) + ") returned item " +
                                   ranked_item_text(entry) + ", outside [0, n_items() = " + std::to_string(n_items) +
                                   ")");
            }
            if ((flags[item] & returned_bit) != 0) {
                throw_argument(where, "model",
                               "recommend(" + std::to_string(u) + ", " + std::to_string(request) + ") returned item " +
                                   std::to_string(item) + " twice");
            }
            flags[item] |= returned_bit;
            returned.push_back(item);
            ++rank;
            if ((flags[item] & relevant_bit) != 0) {
                if (rank <= k) {
                    ++hits;
                    precision_sum += static_cast<double>(hits) / static_cast<double>(rank);
                    dcg += 1.0 / std::log2(static_cast<double>(rank) + 1.0);
                }
                ++positives;
                negatives_above_positives += negatives;
            } else {
                ++negatives;
            }
        }
        for (const std::size_t item : returned) flags[item] = 0;
        for (const Index c : row.indices) flags[static_cast<std::size_t>(c)] = 0;

        const std::size_t ideal_hits = std::min(k, relevant);
        double ideal_dcg = 0;
        for (std::size_t j = 1; j <= ideal_hits; ++j) ideal_dcg += 1.0 / std::log2(static_cast<double>(j) + 1.0);
        user_ranking_scores& s = out[u];
        s.counted = true;
        s.precision = static_cast<double>(hits) / static_cast<double>(k);
        s.average_precision = precision_sum / static_cast<double>(ideal_hits);
        s.ndcg = dcg / ideal_dcg;
        if (with_auc && negatives > 0) {
            // Pairs (test item, candidate) with the test item ranked higher: each returned test
            // item is above the negatives returned after it; unreturned test items are above none.
            const std::uint64_t above = positives * negatives - negatives_above_positives;
            s.auc = static_cast<double>(above) / (static_cast<double>(relevant) * static_cast<double>(negatives));
            s.has_auc = true;
        }
    }
}

template <class M>
void require_evaluation_shape(const M& model, std::size_t rows, std::size_t cols, const char* where) {
    const auto users = static_cast<std::size_t>(model.n_users());
    const auto items = static_cast<std::size_t>(model.n_items());
    if (rows != users) {
        throw_argument<dimension_mismatch>(where, "test",
                                           "has " + std::to_string(rows) + " rows but the model has n_users() = " +
                                               std::to_string(users));
    }
    if (cols != items) {
        throw_argument<dimension_mismatch>(where, "test",
                                           "has " + std::to_string(cols) + " columns but the model has n_items() = " +
                                               std::to_string(items));
    }
}

/// \endcond
}  // namespace detail

/// Top-k ranking quality of a recommender on held-out interactions. `test` is a users x items
/// CSR matrix (csr_view or csr_matrix) of the model's shape, typically split_interactions'
/// test half of the data the model was fitted on its train half. For user u, the test items
/// R_u are the entries of row u with value > 0; users with no such entry are skipped, and each
/// metric is the mean over the others (ranking_scores::users of them). With rel_j = 1 when the
/// item at rank j (1-based) of recommend(u, ...) is in R_u, else 0, and r = |R_u|:
///
///     precision@k = (sum_{j<=k} rel_j) / k          (k even when r < k or fewer were returned)
///     AP@k        = (sum_{j<=k} precision@j * rel_j) / min(k, r)          MAP@k: its mean
///     NDCG@k      = DCG / IDCG,  DCG = sum_{j<=k} rel_j / log2(j + 1),
///                   IDCG = sum_{j=1}^{min(k, r)} 1 / log2(j + 1)
///     AUC         = the probability that a random test item ranks above a random candidate,
///                   a candidate being an item that recommend(u, n_items()) returned and that
///                   is not in R_u. Test items the model did not return (it excludes what it
///                   was trained on) rank below every candidate. Users without a candidate
///                   have no AUC and are left out of its mean (ranking_scores::auc_users).
///
/// The model is any tessera::recommender whose ranking elements are scored items (an integral
/// member `item`, as scored_item<T>) or plain integral item indices, best first, without
/// repeats. With options.auc, each evaluated user costs one call recommend(u, n_items()) and
/// the top-k metrics read its first k elements; otherwise one call recommend(u, min(k,
/// n_items())). (For a model whose top k is the start of its full ranking, as for any model
/// that sorts by score with a fixed tie rule, the top-k metrics are the same either way.)
///
/// Users run in parallel in blocks (tessera::parallel_for_blocks), so model.recommend must be
/// safe to call concurrently on the const model (tessera's recommenders are); for a model that
/// is not, set options.parallel.n_threads = 1. Per-user values are added in user order: the
/// result is bit-identical for any thread count.
///
/// Complexity: the model's calls, plus O(length of each returned ranking + nnz of its test
/// row) per user; O(n_users) memory, and O(n_items) bytes of scratch per running block.
/// Throws tessera::invalid_argument for k == 0, a NaN or infinite test value, a test matrix
/// without any entry > 0, a negative thread count, or a ranking element that is out of
/// [0, n_items()) or repeated; tessera::dimension_mismatch when test.rows() != n_users() or
/// test.cols() != n_items(). Whatever model.recommend throws propagates (the exception of the
/// lowest-numbered block of users).
template <class M, class X>
    requires detail::ranking_evaluable<M> && detail::is_sparse_input<X>
[[nodiscard]] ranking_scores evaluate_ranking(const M& model, const X& test, std::size_t k,
                                              const ranking_options& options = {}) {
    constexpr const char* where = "evaluate_ranking";
    const auto view = detail::model_rows(test, where);
    using value_type = typename decltype(view)::value_type;
    if (k == 0) detail::throw_argument(where, "k", "must be at least 1");
    detail::check_parallel_options(options.parallel, where);
    detail::require_evaluation_shape(model, view.rows(), view.cols(), where);
    detail::require_finite<value_type>(view.values(), where, "test");
    const bool any_relevant = std::any_of(view.values().begin(), view.values().end(),
                                          [](const value_type& v) { return static_cast<double>(v) > 0; });
    if (!any_relevant) {
        detail::throw_argument(where, "test", "holds no entry > 0: there is no user to evaluate");
    }

    std::vector<detail::user_ranking_scores> per_user(view.rows());
    parallel_for_blocks(
        0, view.rows(),
        [&](std::size_t lo, std::size_t hi) { detail::rank_users(model, view, k, options.auc, lo, hi, per_user); },
        options.parallel);

    ranking_scores out;
    double precision = 0;
    double map = 0;
    double ndcg = 0;
    double auc = 0;
    for (const auto& s : per_user) {
        if (!s.counted) continue;
        ++out.users;
        precision += s.precision;
        map += s.average_precision;
        ndcg += s.ndcg;
        if (s.has_auc) {
            ++out.auc_users;
            auc += s.auc;
        }
    }
    const auto users = static_cast<double>(out.users);
    out.precision = precision / users;
    out.map = map / users;
    out.ndcg = ndcg / users;
    if (out.auc_users > 0) out.auc = auc / static_cast<double>(out.auc_users);
    return out;
}

// ---- rating errors ---------------------------------------------------------------------------

/// What evaluate_ratings reports.
struct rating_errors {
    double rmse = 0;        ///< sqrt(sum (r - p)^2 / count)
    double mae = 0;         ///< sum |r - p| / count
    std::size_t count = 0;  ///< test entries compared (every stored entry)
};

namespace detail {
/// \cond

// A model that predicts one rating: predict(user, item) -> a number, with n_users() / n_items().
template <class M>
concept rating_predictor = requires(const M& cm, std::size_t user, std::size_t item) {
    { cm.predict(user, item) } -> std::convertible_to<double>;
    { cm.n_users() } -> std::convertible_to<std::size_t>;
    { cm.n_items() } -> std::convertible_to<std::size_t>;
};

/// \endcond
}  // namespace detail

/// Rating-prediction errors of an explicit-rating model on held-out ratings: for every stored
/// entry (u, i, r) of `test` (csr_view or csr_matrix, users x items, of the model's shape),
/// p = model.predict(u, i) read as double, and
///
///     RMSE = sqrt(sum (r - p)^2 / count)        MAE = sum |r - p| / count
///
/// over all count = test.nnz() entries (explicit zeros included: they are ratings here). The
/// model needs predict(user, item) returning a number, n_users() and n_items(); predict must
/// be safe to call concurrently on the const model (or pass parallel.n_threads = 1). Sums are
/// per user in stored order, then added in user order: bit-identical for any thread count.
///
/// Complexity: count calls to predict plus O(rows + nnz). Throws tessera::invalid_argument for
/// a test matrix without stored entries, a NaN or infinite test value, a non-finite
/// prediction, or a negative thread count; tessera::dimension_mismatch when the shapes differ.
template <class M, class X>
    requires detail::rating_predictor<M> && detail::is_sparse_input<X>
[[nodiscard]] rating_errors evaluate_ratings(const M& model, const X& test, const parallel_options& parallel = {}) {
    constexpr const char* where = "evaluate_ratings";
    const auto view = detail::model_rows(test, where);
    using value_type = typename decltype(view)::value_type;
    detail::check_parallel_options(parallel, where);
    detail::require_evaluation_shape(model, view.rows(), view.cols(), where);
    if (view.nnz() == 0) detail::throw_argument(where, "test", "holds no ratings");
    detail::require_finite<value_type>(view.values(), where, "test");

    struct row_sums {
        double squared = 0;
        double absolute = 0;
    };
    std::vector<row_sums> per_user(view.rows());
    parallel_for(
        0, view.rows(),
        [&](std::size_t u) {
            const auto row = view.row(u);
            row_sums s;
            for (std::size_t t = 0; t < row.size(); ++t) {
                const auto item = static_cast<std::size_t>(row.indices[t]);
                const auto p = static_cast<double>(model.predict(u, item));
                if (!std::isfinite(p)) {
                    detail::throw_argument(where, "model",
                                           "predict(" + std::to_string(u) + ", " + std::to_string(item) +
                                               ") returned " + (std::isnan(p) ? "NaN" : "Inf"));
                }
                const double e = static_cast<double>(row.values[t]) - p;
                s.squared += e * e;
                s.absolute += std::fabs(e);
            }
            per_user[u] = s;
        },
        parallel);

    double squared = 0;
    double absolute = 0;
    for (const auto& s : per_user) {
        squared += s.squared;
        absolute += s.absolute;
    }
    const auto n = static_cast<double>(view.nnz());
    return {std::sqrt(squared / n), absolute / n, view.nnz()};
}

}  // namespace tessera
