/// \file
/// tessera/recommend/als.hpp - matrix factorization by alternating least squares, for implicit
/// feedback (clicks, plays, purchases) and for explicit ratings, with the serving queries a
/// recommender needs: top-N with exclusion and filters, batches, similar items and users,
/// fold-in of new users and partial updates.
///
/// ```cpp
///   tessera::als_recommender<float> model({.factors = 64, .regularization = 0.01, .iterations = 15});
///   model.fit(user_items);                         // users x items csr_matrix of counts
///   for (const auto& r : model.recommend(user, 10)) std::printf("%zu %.3f\n", r.item, r.score);
/// ```
///
/// Implicit feedback (Hu, Koren & Volinsky, "Collaborative Filtering for Implicit Feedback
/// Datasets", ICDM 2008). A stored value r of user u and item i becomes a preference p = 1 with
/// confidence c = 1 + alpha * r; every pair not stored has p = 0 and c = 1. fit minimizes
///
///     sum over all (u, i) of c_ui (p_ui - x_u . y_i)^2 + lambda (sum_u |x_u|^2 + sum_i |y_i|^2)
///
/// by solving for all users with the items fixed, then for all items with the users fixed.
/// Each row's system (Y^T C_u Y + lambda I) x_u = Y^T C_u p_u costs O(k^2) plus O(k) per
/// interaction, because Y^T C_u Y = Y^T Y + Y^T (C_u - I) Y and the Gram matrix Y^T Y is shared.
/// Two solvers:
///   - cholesky: forms the k x k system and factors it, O(n_u k^2 + k^3) per row, the exact
///     minimizer (so the loss never increases);
///   - conjugate_gradient: `cg_steps` steps of CG warm-started from the previous factors
///     (Takacs, Pilaszy & Tikk, "Applications of the conjugate gradient method for implicit
///     feedback collaborative filtering", RecSys 2011), O(cg_steps (n_u k + k^2)) per row.
/// With options.negative_feedback a negative value r means "disliked": p = 0 with confidence
/// 1 + alpha |r|. Otherwise negative values are rejected. A stored zero adds nothing.
///
/// Explicit ratings (Zhou, Wilkinson, Schreiber & Pan, "Large-scale Parallel Collaborative
/// Filtering for the Netflix Prize", AAIM 2008): fit minimizes, over the stored ratings only,
///
///     sum (r_ui - mu - b_u - b_i - x_u . y_i)^2 + lambda (sum_u n_u (|x_u|^2 + b_u^2) + sum_i n_i (|y_i|^2 + b_i^2))
///
/// (weighted-lambda regularization: n_u, n_i are the numbers of ratings), where the biases and
/// the global mean mu are present only with options.biases. Each row is solved exactly; with
/// options.non_negative the factors (not the biases) are constrained to be >= 0 and each row is
/// solved by coordinate descent from its previous value, which also never increases the loss.
///
/// Determinism: the initial factors come from options.seed; rows are solved independently and
/// the shared sums are reduced in a fixed block order, so results are identical for any thread
/// count (options.parallel).
///
/// Thread safety: const member functions (recommend, similar_*, predict, recalculate_user,
/// save...) may run concurrently; fit, partial_fit_* and assignment must not overlap anything.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/core/random.hpp"
#include "tessera/distance/metrics.hpp"
#include "tessera/neighbors/common.hpp"
#include "tessera/neighbors/knn_index.hpp"
#include "tessera/recommend/common.hpp"
#include "tessera/recommend/detail/als_kernels.hpp"
#include "tessera/simd/kernels.hpp"

namespace tessera {

/// What the values of the fitted matrix mean.
enum class als_feedback : std::uint8_t {
    /// Counts or strengths of implicit feedback (Hu et al. 2008); missing pairs are "no interest".
    implicit,
    /// Ratings; missing pairs are unknown and do not enter the loss (Zhou et al. 2008).
    explicit_ratings,
};

/// How implicit-feedback rows are solved (explicit rows are always solved exactly).
enum class als_solver : std::uint8_t {
    /// A few conjugate-gradient steps from the previous factors: fast, approximate per sweep.
    conjugate_gradient,
    /// Cholesky factorization of each row's k x k system: exact, O(k^3) per row.
    cholesky,
};

/// Hyper-parameters of als_recommender (validated in fit: tessera::invalid_argument).
struct als_options {
    /// Latent dimension k, >= 1.
    std::size_t factors = 64;
    /// lambda, finite and > 0. Implicit: the plain L2 weight; explicit: scaled by each row's
    /// number of ratings (weighted-lambda).
    double regularization = 0.01;
    /// Sweeps over users and items, >= 1.
    std::size_t iterations = 15;
    als_feedback feedback = als_feedback::implicit;  ///< what the matrix values mean
    als_solver solver = als_solver::conjugate_gradient;  ///< how implicit-feedback rows are solved
    /// Conjugate-gradient steps per row and sweep, >= 1 (implicit, conjugate_gradient).
    std::size_t cg_steps = 3;
    /// Implicit: confidence = 1 + alpha * value. Finite and >= 0.
    double alpha = 1.0;
    /// Implicit: accept negative values as dislikes (preference 0, confidence 1 + alpha |value|).
    bool negative_feedback = false;
    /// Explicit: fit a global mean and user and item biases.
    bool biases = false;
    /// Explicit: constrain the factors to be non-negative.
    bool non_negative = false;
    /// Seed of the initial factors.
    std::uint64_t seed = random_engine::default_seed;
    /// Threads for fit and the batch queries.
    parallel_options parallel{};
};

/// What fit reports after each iteration.
struct als_progress {
    /// 1 for the first sweep.
    std::size_t iteration = 0;
    /// The objective of the header comment, computed exactly (in double) after the sweep.
    double loss = 0;
    /// Seconds spent in the sweeps so far (loss evaluations excluded).
    double seconds = 0;
};

/// A user outside the fitted matrix (or a changed one), from recalculate_user: the factors, the
/// bias (0 without biases) and the items to exclude from recommendations (sorted).
template <class T>
struct user_profile {
    std::vector<T> factors;          ///< factors() latent values
    T bias = 0;                      ///< user bias (0 without biases)
    std::vector<std::size_t> items;  ///< the user's items, sorted, excluded by recommend
};

/// Options of the serving queries.
struct recommend_options {
    /// Leave out the items the user interacted with (in the fitted matrix, or the profile).
    bool exclude_seen = true;
    /// Threads for batch queries.
    parallel_options parallel{};
};

namespace detail::als {
/// \cond

// One side of the interaction matrix in row-major form: row r's partners are
// idx[indptr[r] .. indptr[r + 1]), with the stored values (alpha * r for implicit feedback).
template <class T>
struct side_data {
    std::vector<std::size_t> indptr{0};
    std::vector<std::uint32_t> idx;
    std::vector<T> val;

    [[nodiscard]] std::size_t rows() const noexcept { return indptr.size() - 1; }
    [[nodiscard]] std::size_t count(std::size_t r) const noexcept { return indptr[r + 1] - indptr[r]; }
};

// The transpose of `s` (cols columns), by counting: partners stay sorted.
template <class T>
[[nodiscard]] side_data<T> transpose(const side_data<T>& s, std::size_t cols) {
    side_data<T> t;
    t.indptr.assign(cols + 1, 0);
    for (const auto c : s.idx) ++t.indptr[static_cast<std::size_t>(c) + 1];
    for (std::size_t c = 0; c < cols; ++c) t.indptr[c + 1] += t.indptr[c];
    t.idx.resize(s.idx.size());
    t.val.resize(s.val.size());
    std::vector<std::size_t> next(t.indptr.begin(), t.indptr.end() - 1);
    for (std::size_t r = 0; r < s.rows(); ++r) {
        for (std::size_t p = s.indptr[r]; p < s.indptr[r + 1]; ++p) {
            const std::size_t at = next[s.idx[p]]++;
            t.idx[at] = static_cast<std::uint32_t>(r);
            t.val[at] = s.val[p];
        }
    }
    return t;
}

// Runs f(ops) with the fastest kernels the CPU supports.
template <class T, class F>
decltype(auto) with_ops(F&& f) {
#if TESSERA_ARCH_X86
    if (simd::active_level() != simd::level::scalar) {
        using V = std::conditional_t<std::is_same_v<T, float>, simd::detail::avx2_f32, simd::detail::avx2_f64>;
        return f(avx2_ops<V>{});
    }
#endif
    return f(portable_ops<T>{});
}

[[nodiscard]] inline std::size_t round_up(std::size_t n, std::size_t m) noexcept { return (n + m - 1) / m * m; }

/// \endcond
}  // namespace detail::als

/// ALS matrix factorization over a users x items matrix (see the header comment for the models,
/// solvers and guarantees). T is float or double; factor matrices and stored state use
/// `Allocator` (std::pmr::polymorphic_allocator works).
///
/// Exceptions: invalid_argument for bad options or input (empty matrix, NaN or Inf, negative
/// values for implicit feedback without negative_feedback, ids out of range, n = 0 or larger
/// than the candidates); not_fitted_error before fit; numerical_error when a row's system is
/// not positive definite (not expected with lambda > 0); format_error / io_error for archives.
template <class T = float, class Allocator = std::allocator<T>>
class als_recommender {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "als_recommender works in float or double");

public:
    using value_type = T;              ///< type of factors and scores
    using allocator_type = Allocator;  ///< allocator of the fitted state
    using options_type = als_options;  ///< the options type

    /// An unfitted model. The options are checked by fit, not here.
    explicit als_recommender(als_options opts = {}, const Allocator& alloc = Allocator())
        : options_(std::move(opts)),
          alloc_(alloc),
          user_factors_(alloc),
          item_factors_(alloc),
          user_bias_(alloc),
          item_bias_(alloc),
          seen_indptr_(1, 0, size_allocator(alloc)),
          seen_idx_(u32_allocator(alloc)),
          user_norm_(alloc),
          item_norm_(alloc) {}

    /// A copy of the model, allocator included.
    als_recommender(const als_recommender&) = default;
    /// Takes the model's state and allocator from the source.
    als_recommender(als_recommender&&) noexcept = default;
    ///@{
    /// Assignment copies or moves the model's state; the target keeps its own allocator (so
    /// std::pmr allocators, which never propagate, work).
    als_recommender& operator=(const als_recommender& other) {
        if (this != &other) take_state(other);
        return *this;
    }
    als_recommender& operator=(als_recommender&& other) noexcept(std::allocator_traits<Allocator>::is_always_equal::value) {
        if (this != &other) take_state(std::move(other));
        return *this;
    }
    ///@}

    // ---- fitting ---------------------------------------------------------------------------

    ///@{
    /// Fits on a users x items matrix (any numeric value type and index type). `on_iteration`,
    /// if given, is called after every sweep with an als_progress (computing the loss costs
    /// about one extra pass over the data, so it is computed only for a callback); if it
    /// returns bool, false stops training. O(iterations * (nnz * k * s + (users + items) * k^2 * s)),
    /// s = cg_steps (or k for the Cholesky solver and explicit ratings). Throws as the class
    /// comment says; a model that throws keeps its previous state.
    template <class V, class Index, class F>
    als_recommender& fit(csr_view<V, Index> user_items, F&& on_iteration) {
        constexpr const char* where = "als_recommender::fit";
        check_options(options_, where);
        validate_matrix(user_items, where, "user_items");
        als_recommender next(options_, alloc_);
        next.fit_new(user_items, on_iteration);
        *this = std::move(next);
        return *this;
    }
    template <class V, class Index>
    als_recommender& fit(csr_view<V, Index> user_items) {
        return fit(user_items, no_callback{});
    }
    template <class V, class Index, class A, class... F>
    als_recommender& fit(const csr_matrix<V, Index, A>& user_items, F&&... on_iteration) {
        return fit(user_items.view(), std::forward<F>(on_iteration)...);
    }
    ///@}

    ///@{
    /// Recomputes the factors (and biases) of `users` from their new rows (`rows` has one row
    /// per entry of `users`, n_items() columns), with the item factors fixed, and makes those rows
    /// the users' interactions. Ids from n_users() on add users; they must not leave gaps
    /// (every id < n_users() + users.size()). Rows are solved exactly, whatever options.solver.
    /// O(rows * (n_u k^2 + k^3) + n_items k^2). Throws invalid_argument for repeated or gapped
    /// ids, bad values, or a shape mismatch; nothing changes when it throws.
    template <class V, class Index>
    void partial_fit_users(std::span<const std::size_t> users, csr_view<V, Index> rows) {
        partial_fit_side(users, rows, true, "als_recommender::partial_fit_users");
    }
    template <class V, class Index, class A>
    void partial_fit_users(std::span<const std::size_t> users, const csr_matrix<V, Index, A>& rows) {
        partial_fit_users(users, rows.view());
    }
    ///@}

    ///@{
    /// As partial_fit_users for items: `rows` has one row per entry of `items` and n_users()
    /// columns (the users who interacted with the item).
    template <class V, class Index>
    void partial_fit_items(std::span<const std::size_t> items, csr_view<V, Index> rows) {
        partial_fit_side(items, rows, false, "als_recommender::partial_fit_items");
    }
    template <class V, class Index, class A>
    void partial_fit_items(std::span<const std::size_t> items, const csr_matrix<V, Index, A>& rows) {
        partial_fit_items(items, rows.view());
    }
    ///@}

    // ---- fitted state ----------------------------------------------------------------------

    /// Whether the model holds a fit (after fit or load).
    [[nodiscard]] bool fitted() const noexcept { return fitted_; }
    /// The options the next fit uses (a fitted or loaded model: those it was fitted with).
    [[nodiscard]] const als_options& options() const noexcept { return options_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }
    /// Number of users (rows of the fitted matrix, plus users added by partial_fit_users).
    [[nodiscard]] std::size_t n_users() const noexcept { return user_factors_.rows(); }
    /// Number of items (columns of the fitted matrix, plus items added by partial_fit_items).
    [[nodiscard]] std::size_t n_items() const noexcept { return item_factors_.rows(); }
    /// The latent dimension k (options().factors).
    [[nodiscard]] std::size_t factors() const noexcept { return options_.factors; }
    /// Sweeps done by the last fit (fewer than options.iterations when the callback stopped it).
    [[nodiscard]] std::size_t n_iter() const noexcept { return n_iter_; }
    ///@{
    /// n_users() x factors() and n_items() x factors() (views into the model).
    [[nodiscard]] matrix_view<const T> user_factors() const noexcept { return factor_view(user_factors_); }
    [[nodiscard]] matrix_view<const T> item_factors() const noexcept { return factor_view(item_factors_); }
    ///@}
    ///@{
    /// Explicit ratings with biases: the fitted biases and mean (empty / 0 otherwise).
    [[nodiscard]] std::span<const T> user_biases() const noexcept { return user_bias_; }
    [[nodiscard]] std::span<const T> item_biases() const noexcept { return item_bias_; }
    [[nodiscard]] T global_mean() const noexcept { return mean_; }
    ///@}
    /// The items of `user` in the fitted matrix (sorted): what recommend excludes.
    [[nodiscard]] std::span<const std::uint32_t> seen_items(std::size_t user) const {
        require_user(user, "als_recommender::seen_items");
        return seen_row(user);
    }

    /// The model's estimate for (user, item): x_u . y_i (+ mu + b_u + b_i with biases). O(k).
    [[nodiscard]] T predict(std::size_t user, std::size_t item) const {
        constexpr const char* where = "als_recommender::predict";
        require_user(user, where);
        require_item(item, where, "item");
        return simd::dot(user_factors_.row(user).data(), item_factors_.row(item).data(), k()) + user_offset(user) +
               item_offset(item);
    }

    ///@{
    /// The loss of the header comment for the fitted state on `user_items` (the fitted matrix,
    /// or any other of the same shape). O(nnz k + (users + items) k^2).
    template <class V, class Index>
    [[nodiscard]] double loss(csr_view<V, Index> user_items) const {
        constexpr const char* where = "als_recommender::loss";
        require_fitted(where);
        validate_matrix(user_items, where, "user_items");
        if (user_items.rows() != n_users() || user_items.cols() != n_items()) {
            detail::throw_argument<dimension_mismatch>(where, "user_items", "shape differs from the fitted model's");
        }
        const auto users = make_side(user_items);
        return compute_loss(users, detail::als::transpose(users, n_items()));
    }
    template <class V, class Index, class A>
    [[nodiscard]] double loss(const csr_matrix<V, Index, A>& user_items) const {
        return loss(user_items.view());
    }
    ///@}

    // ---- serving ---------------------------------------------------------------------------

    ///@{
    /// The n items with the highest predicted score for `user`, best first (ties to the smaller
    /// item), leaving out the user's items (options.exclude_seen) and those `filter` rejects
    /// (f(item) or f(user, item) -> bool, true to keep). Fewer than n when fewer qualify.
    /// O(n_items k + n_items log n). Throws for an unknown user, n = 0 or n > n_items().
    template <item_filter F>
    [[nodiscard]] std::vector<scored_item<T>> recommend(std::size_t user, std::size_t n, const F& filter,
                                                        const recommend_options& opts = {}) const {
        constexpr const char* where = "als_recommender::recommend";
        require_user(user, where);
        require_n(n, n_items(), where);
        return top_items(user_factors_.row(user).data(), user_offset(user), opts.exclude_seen ? seen_row(user) : std::span<const std::uint32_t>{},
                         n, user, filter);
    }
    [[nodiscard]] std::vector<scored_item<T>> recommend(std::size_t user, std::size_t n,
                                                        const recommend_options& opts = {}) const {
        return recommend(user, n, all_items{}, opts);
    }
    ///@}

    ///@{
    /// recommend() for a user profile from recalculate_user (the filter sees user index
    /// n_users()).
    template <item_filter F>
    [[nodiscard]] std::vector<scored_item<T>> recommend(const user_profile<T>& profile, std::size_t n, const F& filter,
                                                        const recommend_options& opts = {}) const {
        constexpr const char* where = "als_recommender::recommend";
        require_fitted(where);
        require_n(n, n_items(), where);
        if (profile.factors.size() != k()) {
            detail::throw_argument<dimension_mismatch>(where, "profile.factors", "has " + std::to_string(profile.factors.size()) +
                                                                                   " values for a model of " + std::to_string(k()) + " factors");
        }
        std::vector<T> x(kp(), T(0));
        std::copy(profile.factors.begin(), profile.factors.end(), x.begin());
        std::vector<std::uint32_t> seen;
        if (opts.exclude_seen) {
            for (const auto i : profile.items) {
                require_item(i, where, "profile.items");
                seen.push_back(static_cast<std::uint32_t>(i));
            }
            std::sort(seen.begin(), seen.end());
        }
        return top_items(x.data(), profile.bias + (options_.biases ? mean_ : T(0)), seen, n, n_users(), filter);
    }
    [[nodiscard]] std::vector<scored_item<T>> recommend(const user_profile<T>& profile, std::size_t n,
                                                        const recommend_options& opts = {}) const {
        return recommend(profile, n, all_items{}, opts);
    }
    ///@}

    ///@{
    /// Top-n items for each of `users`, as one batch: row i of the result belongs to users[i].
    /// Scores come from blocked matrix products (tessera's k-NN inner-product search), in
    /// parallel over users. Same exclusion and filter rules as recommend (the filter is called as
    /// f(item) or f(user, item)); unfilled slots hold no_item. Throws as recommend.
    template <item_filter F>
    [[nodiscard]] top_n_result<T> recommend(std::span<const std::size_t> users, std::size_t n, const F& filter,
                                            const recommend_options& opts = {}) const {
        constexpr const char* where = "als_recommender::recommend";
        require_fitted(where);
        require_n(n, n_items(), where);
        for (const auto u : users) require_user(u, where);
        const bool bias = options_.biases;
        const std::size_t dim = k() + (bias ? 1 : 0);
        knn_index<T, inner_product> index(dim);
        if (bias) {
            dense_matrix<T> rows(n_items(), dim);
            for (std::size_t i = 0; i < n_items(); ++i) {
                std::copy_n(item_factors_.row(i).data(), k(), rows.row(i).data());
                rows(i, k()) = item_bias_[i];
            }
            index.add(rows);
        } else {
            index.add(item_factors());
        }
        dense_matrix<T> queries(users.size(), dim);
        for (std::size_t q = 0; q < users.size(); ++q) {
            std::copy_n(user_factors_.row(users[q]).data(), k(), queries.row(q).data());
            if (bias) queries(q, k()) = T(1);
        }
        const bool exclude = opts.exclude_seen;
        const auto keep = [&](std::size_t q, neighbor_id id) {
            const std::size_t user = users[q];
            const auto item = static_cast<std::size_t>(id);
            if (exclude) {
                const auto s = seen_row(user);
                if (std::binary_search(s.begin(), s.end(), static_cast<std::uint32_t>(item))) return false;
            }
            return detail::keeps_item(filter, user, item);
        };
        auto found = users.empty() ? knn_result<T>{dense_matrix<neighbor_id>(0, n), dense_matrix<T>(0, n)}
                                   : index.search(queries, n, keep, opts.parallel);
        top_n_result<T> out{dense_matrix<std::int64_t>(users.size(), n), std::move(found.distances)};
        for (std::size_t q = 0; q < users.size(); ++q) {
            const T offset = user_offset(users[q]);
            for (std::size_t j = 0; j < n; ++j) {
                out.items(q, j) = found.ids(q, j);
                if (found.ids(q, j) != no_neighbor) out.scores(q, j) += offset;
            }
        }
        return out;
    }
    [[nodiscard]] top_n_result<T> recommend(std::span<const std::size_t> users, std::size_t n,
                                            const recommend_options& opts = {}) const {
        return recommend(users, n, all_items{}, opts);
    }
    ///@}

    ///@{
    /// recommend() for every user, 0..n_users()-1.
    template <item_filter F>
    [[nodiscard]] top_n_result<T> recommend_all(std::size_t n, const F& filter, const recommend_options& opts = {}) const {
        std::vector<std::size_t> users(n_users());
        std::iota(users.begin(), users.end(), std::size_t{0});
        return recommend(std::span<const std::size_t>(users), n, filter, opts);
    }
    [[nodiscard]] top_n_result<T> recommend_all(std::size_t n, const recommend_options& opts = {}) const {
        return recommend_all(n, all_items{}, opts);
    }
    ///@}

    ///@{
    /// The n items whose factors have the highest cosine similarity with `item`'s, best first,
    /// the item itself left out; items with zero factors have similarity 0. `filter` is called
    /// as f(candidate) or f(item, candidate). O(n_items k). Throws for an unknown item, n = 0 or
    /// n >= n_items().
    template <item_filter F>
    [[nodiscard]] std::vector<scored_item<T>> similar_items(std::size_t item, std::size_t n, const F& filter) const {
        constexpr const char* where = "als_recommender::similar_items";
        require_item(item, where, "item");
        require_n(n, n_items() - 1, where);
        return most_similar(item_factors_, item_norm_, item, n, filter);
    }
    [[nodiscard]] std::vector<scored_item<T>> similar_items(std::size_t item, std::size_t n) const {
        return similar_items(item, n, all_items{});
    }
    ///@}

    ///@{
    /// The n users most similar to `user` by the cosine of their factors (as similar_items).
    template <item_filter F>
    [[nodiscard]] std::vector<scored_item<T>> similar_users(std::size_t user, std::size_t n, const F& filter) const {
        constexpr const char* where = "als_recommender::similar_users";
        require_user(user, where);
        require_n(n, n_users() - 1, where);
        return most_similar(user_factors_, user_norm_, user, n, filter);
    }
    [[nodiscard]] std::vector<scored_item<T>> similar_users(std::size_t user, std::size_t n) const {
        return similar_users(user, n, all_items{});
    }
    ///@}

    /// Fold-in: the factors (and bias) that a user with these interactions would get, computed
    /// exactly with the item factors fixed, without changing the model. `items` must be distinct
    /// indices below n_items(); `values` follow the fitted feedback's rules. O(n k^2 + k^3).
    /// Throws invalid_argument for unknown or repeated items and bad values, dimension_mismatch
    /// when the spans differ in length.
    template <class Index, class V>
    [[nodiscard]] user_profile<T> recalculate_user(std::span<const Index> items, std::span<const V> values) const {
        constexpr const char* where = "als_recommender::recalculate_user";
        require_fitted(where);
        if (items.size() != values.size()) {
            detail::throw_argument<dimension_mismatch>(where, "values", std::to_string(values.size()) + " values for " +
                                                                            std::to_string(items.size()) + " items");
        }
        std::vector<std::pair<std::size_t, double>> entries;
        entries.reserve(items.size());
        for (std::size_t j = 0; j < items.size(); ++j) {
            if (detail::is_negative(items[j]) || static_cast<std::uint64_t>(items[j]) >= n_items()) {
                detail::throw_argument(where, "items", "item " + std::to_string(static_cast<long long>(items[j])) +
                                                           " is unknown to the model (" + std::to_string(n_items()) + " items)");
            }
            entries.emplace_back(static_cast<std::size_t>(items[j]), static_cast<double>(values[j]));
        }
        std::sort(entries.begin(), entries.end());
        detail::als::side_data<T> row;
        for (std::size_t j = 0; j < entries.size(); ++j) {
            if (j > 0 && entries[j].first == entries[j - 1].first) {
                detail::throw_argument(where, "items", "item " + std::to_string(entries[j].first) + " appears twice");
            }
            check_value(entries[j].second, where, "values");
            row.idx.push_back(static_cast<std::uint32_t>(entries[j].first));
            row.val.push_back(stored_value(entries[j].second));
        }
        row.indptr.push_back(row.idx.size());
        user_profile<T> out;
        std::vector<T> x(kp(), T(0));
        T bias = 0;
        solve_exact_rows(row, item_factors_, item_bias_, item_gram_, std::span<T>(x), bias, 0);
        out.factors.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(k()));
        out.bias = bias;
        for (const auto& e : entries) out.items.push_back(e.first);
        return out;
    }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "als_recommender";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// The archive header that save writes and load expects: kind, payload version, element type.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, type_tag::none};
    }

    /// Writes the options, factors, biases and the fitted interactions' pattern (for exclusion).
    /// Throws not_fitted_error before fit. O((users + items) k + nnz).
    void write_to(archive_writer& w) const {
        require_fitted("als_recommender::write_to");
        w.write<std::uint64_t>(options_.factors);
        w.write<double>(options_.regularization);
        w.write<std::uint64_t>(options_.iterations);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.feedback));
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.solver));
        w.write<std::uint64_t>(options_.cg_steps);
        w.write<double>(options_.alpha);
        w.write<std::uint8_t>(options_.negative_feedback ? 1 : 0);
        w.write<std::uint8_t>(options_.biases ? 1 : 0);
        w.write<std::uint8_t>(options_.non_negative ? 1 : 0);
        w.write<std::uint64_t>(options_.seed);
        w.write<std::int32_t>(options_.parallel.n_threads);
        w.write<std::uint64_t>(options_.parallel.block_size);
        w.write<std::uint64_t>(n_iter_);
        w.write_matrix(user_factors());
        w.write_matrix(item_factors());
        w.write_span(std::span<const T>(user_bias_));
        w.write_span(std::span<const T>(item_bias_));
        w.write<T>(mean_);
        std::vector<std::uint64_t> indptr(seen_indptr_.begin(), seen_indptr_.end());
        w.write_span(std::span<const std::uint64_t>(indptr));
        w.write_span(std::span<const std::uint32_t>(seen_idx_));
    }

    /// Reads a model written by write_to. Throws format_error for anything inconsistent.
    [[nodiscard]] static als_recommender read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "als_recommender::read_from";
        als_options o;
        o.factors = static_cast<std::size_t>(r.read<std::uint64_t>("factors"));
        o.regularization = r.read<double>("regularization");
        o.iterations = static_cast<std::size_t>(r.read<std::uint64_t>("iterations"));
        const auto feedback = r.read<std::uint8_t>("feedback");
        const auto solver = r.read<std::uint8_t>("solver");
        if (feedback > 1 || solver > 1) r.fail(std::string(where) + ": unknown feedback or solver");
        o.feedback = static_cast<als_feedback>(feedback);
        o.solver = static_cast<als_solver>(solver);
        o.cg_steps = static_cast<std::size_t>(r.read<std::uint64_t>("cg_steps"));
        o.alpha = r.read<double>("alpha");
        o.negative_feedback = read_flag(r, "negative_feedback");
        o.biases = read_flag(r, "biases");
        o.non_negative = read_flag(r, "non_negative");
        o.seed = r.read<std::uint64_t>("seed");
        o.parallel.n_threads = r.read<std::int32_t>("n_threads");
        o.parallel.block_size = static_cast<std::size_t>(r.read<std::uint64_t>("block_size"));
        try {
            check_options(o, where);
        } catch (const invalid_argument& e) {
            r.fail(e.what());
        }
        als_recommender m(o, alloc);
        m.n_iter_ = static_cast<std::size_t>(r.read<std::uint64_t>("n_iter"));
        m.user_factors_ = r.read_matrix<T, Allocator>("user_factors", row_padding::aligned, alloc);
        m.item_factors_ = r.read_matrix<T, Allocator>("item_factors", row_padding::aligned, alloc);
        const auto ub = r.read_vector<T>("user_biases");
        const auto ib = r.read_vector<T>("item_biases");
        m.mean_ = r.read<T>("global_mean");
        const auto indptr = r.read_vector<std::uint64_t>("seen_indptr");
        const auto idx = r.read_vector<std::uint32_t>("seen_items");
        r.expect_end();
        const std::size_t users = m.user_factors_.rows(), items = m.item_factors_.rows();
        if (m.user_factors_.cols() != o.factors || m.item_factors_.cols() != o.factors || users == 0 || items == 0) {
            r.fail(std::string(where) + ": the factor matrices do not have " + std::to_string(o.factors) + " columns");
        }
        if (items > std::numeric_limits<std::uint32_t>::max()) r.fail(std::string(where) + ": too many items");
        const std::size_t nb = o.biases ? 1 : 0;
        if (ub.size() != nb * users || ib.size() != nb * items || (!o.biases && m.mean_ != T(0))) {
            r.fail(std::string(where) + ": the biases do not match the factor matrices");
        }
        const auto finite = [](std::span<const T> v) {
            return std::all_of(v.begin(), v.end(), [](T x) { return std::isfinite(x); });
        };
        for (std::size_t i = 0; i < users; ++i) {
            if (!finite(m.user_factors_.row(i))) r.fail(std::string(where) + ": a user factor is not finite");
        }
        for (std::size_t i = 0; i < items; ++i) {
            if (!finite(m.item_factors_.row(i))) r.fail(std::string(where) + ": an item factor is not finite");
        }
        if (!finite(ub) || !finite(ib) || !std::isfinite(m.mean_)) r.fail(std::string(where) + ": a bias is not finite");
        if (indptr.size() != users + 1 || indptr.front() != 0 || indptr.back() != idx.size()) {
            r.fail(std::string(where) + ": the seen-items pattern does not have one row per user");
        }
        for (std::size_t u = 0; u < users; ++u) {
            if (indptr[u + 1] < indptr[u]) r.fail(std::string(where) + ": the seen-items offsets decrease");
            for (std::uint64_t p = indptr[u]; p < indptr[u + 1]; ++p) {
                if (idx[p] >= items || (p > indptr[u] && idx[p] <= idx[p - 1])) {
                    r.fail(std::string(where) + ": the seen items of user " + std::to_string(u) +
                           " are out of range or not increasing");
                }
            }
        }
        m.user_bias_.assign(ub.begin(), ub.end());
        m.item_bias_.assign(ib.begin(), ib.end());
        m.seen_indptr_.assign(indptr.begin(), indptr.end());
        m.seen_idx_.assign(idx.begin(), idx.end());
        m.fitted_ = true;
        m.refresh_derived();
        return m;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp).
    void save(const std::filesystem::path& path) const { save_archive(*this, path); }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error.
    [[nodiscard]] static als_recommender load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<als_recommender>(path, alloc);
    }

private:
    struct no_callback {};
    using size_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<std::size_t>;
    using u32_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<std::uint32_t>;
    using side = detail::als::side_data<T>;

    [[nodiscard]] std::size_t k() const noexcept { return options_.factors; }
    // Row length of the factor matrices: k rounded up to 64 bytes, the tail kept at zero.
    [[nodiscard]] std::size_t kp() const noexcept { return detail::als::round_up(k(), 64 / sizeof(T)); }

    // Row r with its zero padding (the kernels run over whole padded rows).
    [[nodiscard]] std::span<T> padded_row(dense_matrix<T, Allocator>& m, std::size_t r) const noexcept {
        TESSERA_ASSERT(m.stride() == kp());
        return std::span<T>(m.row(r).data(), kp());
    }
    [[nodiscard]] static matrix_view<const T> factor_view(const dense_matrix<T, Allocator>& m) noexcept {
        return matrix_view<const T>(m.data(), m.rows(), m.cols(), m.stride());
    }
    [[nodiscard]] T user_offset(std::size_t u) const noexcept { return options_.biases ? mean_ + user_bias_[u] : T(0); }
    [[nodiscard]] T item_offset(std::size_t i) const noexcept { return options_.biases ? item_bias_[i] : T(0); }
    [[nodiscard]] std::span<const std::uint32_t> seen_row(std::size_t u) const noexcept {
        return std::span<const std::uint32_t>(seen_idx_).subspan(seen_indptr_[u], seen_indptr_[u + 1] - seen_indptr_[u]);
    }

    void require_fitted(const char* where) const { detail::require_fitted(fitted_, where); }
    void require_user(std::size_t u, const char* where) const {
        require_fitted(where);
        if (u >= n_users()) {
            detail::throw_argument(where, "user", "user " + std::to_string(u) + " is out of range (" + std::to_string(n_users()) + " users)");
        }
    }
    void require_item(std::size_t i, const char* where, const char* arg) const {
        require_fitted(where);
        if (i >= n_items()) {
            detail::throw_argument(where, arg, "item " + std::to_string(i) + " is out of range (" + std::to_string(n_items()) + " items)");
        }
    }
    static void require_n(std::size_t n, std::size_t available, const char* where) {
        if (n == 0) detail::throw_argument(where, "n", "must be at least 1");
        if (n > available) {
            detail::throw_argument(where, "n", std::to_string(n) + " is more than the " + std::to_string(available) + " candidates");
        }
    }

    static void check_options(const als_options& o, const char* where) {
        if (o.factors == 0) detail::throw_argument(where, "options.factors", "must be at least 1");
        if (o.factors > (std::size_t{1} << 16)) {
            detail::throw_argument(where, "options.factors", std::to_string(o.factors) + " is more than 65536");
        }
        if (!(o.regularization > 0) || !std::isfinite(o.regularization)) {
            detail::throw_argument(where, "options.regularization", "must be finite and > 0, got " + detail::number_text(o.regularization));
        }
        if (o.iterations == 0) detail::throw_argument(where, "options.iterations", "must be at least 1");
        if (static_cast<unsigned>(o.feedback) > 1) detail::throw_argument(where, "options.feedback", "is not an als_feedback");
        if (static_cast<unsigned>(o.solver) > 1) detail::throw_argument(where, "options.solver", "is not an als_solver");
        if (o.cg_steps == 0) detail::throw_argument(where, "options.cg_steps", "must be at least 1");
        if (!(o.alpha >= 0) || !std::isfinite(o.alpha)) {
            detail::throw_argument(where, "options.alpha", "must be finite and >= 0, got " + detail::number_text(o.alpha));
        }
        const bool implicit = o.feedback == als_feedback::implicit;
        if (implicit && o.biases) detail::throw_argument(where, "options.biases", "applies to explicit ratings only");
        if (implicit && o.non_negative) detail::throw_argument(where, "options.non_negative", "applies to explicit ratings only");
        if (!implicit && o.negative_feedback) {
            detail::throw_argument(where, "options.negative_feedback", "applies to implicit feedback only");
        }
        detail::check_parallel_options(o.parallel, where);
    }

    // A value of the input: finite, and for implicit feedback >= 0 unless negative feedback is on.
    void check_value(double v, const char* where, const char* arg) const {
        if (!std::isfinite(v)) detail::throw_argument(where, arg, "contains a value that is not finite");
        if (v < 0 && options_.feedback == als_feedback::implicit && !options_.negative_feedback) {
            detail::throw_argument(where, arg, "contains a negative confidence (" + detail::number_text(v) +
                                                   "); set options.negative_feedback to read negative values as dislikes");
        }
    }
    [[nodiscard]] T stored_value(double v) const noexcept {
        return static_cast<T>(options_.feedback == als_feedback::implicit ? options_.alpha * v : v);
    }

    template <class V, class Index>
    void validate_matrix(csr_view<V, Index> m, const char* where, const char* arg) const {
        if (m.rows() == 0 || m.cols() == 0 || m.nnz() == 0) {
            detail::throw_argument(where, arg, "is empty (" + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) + ", " +
                                                   std::to_string(m.nnz()) + " stored values)");
        }
        if (m.cols() > std::numeric_limits<std::uint32_t>::max() || m.rows() > std::numeric_limits<std::uint32_t>::max()) {
            detail::throw_argument(where, arg, "has more than 2^32 - 1 rows or columns");
        }
        for (const auto v : m.values()) check_value(static_cast<double>(v), where, arg);
    }

    template <class V, class Index>
    [[nodiscard]] side make_side(csr_view<V, Index> m) const {
        side s;
        s.indptr.resize(m.rows() + 1);
        s.idx.resize(m.nnz());
        s.val.resize(m.nnz());
        for (std::size_t r = 0; r <= m.rows(); ++r) s.indptr[r] = static_cast<std::size_t>(m.indptr()[r]);
        for (std::size_t p = 0; p < m.nnz(); ++p) {
            s.idx[p] = static_cast<std::uint32_t>(m.indices()[p]);
            s.val[p] = stored_value(static_cast<double>(m.values()[p]));
        }
        return s;
    }

    template <class V, class Index, class F>
    void fit_new(csr_view<V, Index> m, F& on_iteration) {
        using clock = std::chrono::steady_clock;
        const auto t0 = clock::now();
        const side users = make_side(m);
        const side items = detail::als::transpose(users, m.cols());
        const bool implicit = options_.feedback == als_feedback::implicit;
        user_factors_ = dense_matrix<T, Allocator>(m.rows(), k(), row_padding::aligned, alloc_);
        item_factors_ = dense_matrix<T, Allocator>(m.cols(), k(), row_padding::aligned, alloc_);
        // Small positive values: implicit models start near zero (as is usual for Hu et al.),
        // explicit ones with dot products of order one, near typical ratings.
        random_engine rng(options_.seed);
        const double scale = implicit ? 0.01 : 1.0 / std::sqrt(static_cast<double>(k()));
        for (auto* f : {&item_factors_, &user_factors_}) {
            for (std::size_t i = 0; i < f->rows(); ++i) {
                for (std::size_t j = 0; j < k(); ++j) (*f)(i, j) = static_cast<T>(scale * rng.uniform01());
            }
        }
        if (options_.biases) {
            double sum = 0;
            for (const auto v : users.val) sum += static_cast<double>(v);
            mean_ = static_cast<T>(sum / static_cast<double>(users.val.size()));
            user_bias_.assign(m.rows(), T(0));
            item_bias_.assign(m.cols(), T(0));
        }
        seen_indptr_.assign(users.indptr.begin(), users.indptr.end());
        seen_idx_.assign(users.idx.begin(), users.idx.end());
        fitted_ = true;
        double seconds = std::chrono::duration<double>(clock::now() - t0).count();
        for (std::size_t it = 1; it <= options_.iterations; ++it) {
            const auto s0 = clock::now();
            solve_side(users, item_factors_, item_bias_, user_factors_, user_bias_);
            solve_side(items, user_factors_, user_bias_, item_factors_, item_bias_);
            seconds += std::chrono::duration<double>(clock::now() - s0).count();
            n_iter_ = it;
            if constexpr (!std::is_same_v<std::remove_cvref_t<F>, no_callback>) {
                const als_progress p{it, compute_loss(users, items), seconds};
                if constexpr (std::is_same_v<std::invoke_result_t<F&, const als_progress&>, void>) {
                    on_iteration(p);
                } else {
                    if (!static_cast<bool>(on_iteration(p))) break;
                }
            }
        }
        refresh_derived();
    }

    // The Gram matrix P^T P of a factor matrix (kp x kp, full, zero outside k x k), reduced over
    // fixed blocks of rows so that the sum does not depend on the thread count.
    [[nodiscard]] std::vector<T> gram(const dense_matrix<T, Allocator>& p) const {
        const std::size_t w = kp();
        const std::size_t kk = k();
        const std::size_t block = 2048;
        auto g = parallel_reduce(
            std::size_t{0}, p.rows(), block, std::vector<T>(),
            [&](std::size_t lo, std::size_t hi) {
                std::vector<T> part(w * w, T(0));
                detail::als::with_ops<T>([&](auto ops) {
                    decltype(ops)::gram_update(p.row(lo).data(), p.stride(), nullptr, nullptr, hi - lo, part.data(), w, kk, w);
                });
                return part;
            },
            [](std::vector<T> a, std::vector<T> b) {
                if (a.empty()) return b;
                for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
                return a;
            },
            options_.parallel);
        if (g.empty()) g.assign(w * w, T(0));
        for (std::size_t r = 0; r < kk; ++r) {
            for (std::size_t c = 0; c < r; ++c) g[r * w + c] = g[c * w + r];
            for (std::size_t c = kk; c < w; ++c) g[r * w + c] = T(0);
        }
        return g;
    }

    // Solves every row of `rows` for `own` (and `own_bias`) with `partner` fixed.
    void solve_side(const side& rows, const dense_matrix<T, Allocator>& partner, std::span<const T> partner_bias,
                    dense_matrix<T, Allocator>& own, std::span<T> own_bias) const {
        const bool implicit = options_.feedback == als_feedback::implicit;
        const std::vector<T> g = implicit ? gram(partner) : std::vector<T>();
        if (implicit && options_.solver == als_solver::conjugate_gradient) {
            std::vector<T> greg = g;
            for (std::size_t r = 0; r < k(); ++r) greg[r * kp() + r] += static_cast<T>(options_.regularization);
            solve_cg_rows(rows, partner, greg, own);
            return;
        }
        parallel_for_blocks(
            0, rows.rows(),
            [&](std::size_t lo, std::size_t hi) {
                for (std::size_t r = lo; r < hi; ++r) {
                    T bias = own_bias.empty() ? T(0) : own_bias[r];
                    solve_exact_rows(rows, partner, partner_bias, g, padded_row(own, r), bias, r);
                    if (!own_bias.empty()) own_bias[r] = bias;
                }
            },
            options_.parallel);
    }

    void solve_cg_rows(const side& rows, const dense_matrix<T, Allocator>& partner, const std::vector<T>& greg,
                       dense_matrix<T, Allocator>& own) const {
        const std::size_t w = kp();
        const std::size_t steps = options_.cg_steps;
        parallel_for_blocks(
            0, rows.rows(),
            [&](std::size_t lo, std::size_t hi) {
                std::vector<T> scratch(3 * w);
                T* res = scratch.data();
                T* dir = res + w;
                T* adir = dir + w;
                detail::als::with_ops<T>([&](auto ops) {
                    using O = decltype(ops);
                    for (std::size_t r = lo; r < hi; ++r) {
                        T* x = own.row(r).data();
                        const std::size_t n = rows.count(r);
                        if (n == 0) {
                            std::fill_n(x, w, T(0));
                            continue;
                        }
                        const std::uint32_t* idx = rows.idx.data() + rows.indptr[r];
                        const T* cw = rows.val.data() + rows.indptr[r];
                        // r = b - A x, with A x = (G + lambda I) x + Y^T (C - I) Y x.
                        O::matvec(greg.data(), w, x, adir);
                        for (std::size_t i = 0; i < w; ++i) res[i] = -adir[i];
                        O::template implicit_pass<true>(partner.data(), partner.stride(), idx, cw, n, x, res, w);
                        std::copy_n(res, w, dir);
                        T rs = O::dot(res, res, w);
                        for (std::size_t s = 0; s < steps && rs > T(1e-20); ++s) {
                            O::matvec(greg.data(), w, dir, adir);
                            O::template implicit_pass<false>(partner.data(), partner.stride(), idx, cw, n, dir, adir, w);
                            const T curvature = O::dot(dir, adir, w);
                            if (!(curvature > T(0))) break;
                            const T step = rs / curvature;
                            O::axpy(step, dir, x, w);
                            O::axpy(-step, adir, res, w);
                            const T rs_next = O::dot(res, res, w);
                            const T beta = rs_next / rs;
                            for (std::size_t i = 0; i < w; ++i) dir[i] = res[i] + beta * dir[i];
                            rs = rs_next;
                        }
                    }
                });
            },
            options_.parallel);
    }

    // The exact solve of row r of `rows` (the Cholesky solver, explicit ratings, fold-in and
    // partial updates). `g` is the partner Gram matrix (implicit only). x has kp() entries.
    void solve_exact_rows(const side& rows, const dense_matrix<T, Allocator>& partner, std::span<const T> partner_bias,
                          const std::vector<T>& g, std::span<T> x, T& bias, std::size_t r) const {
        const std::size_t w = kp();
        const std::size_t kk = k();
        const std::size_t n = rows.count(r);
        const bool implicit = options_.feedback == als_feedback::implicit;
        if (n == 0) {
            std::fill(x.begin(), x.end(), T(0));
            bias = T(0);
            return;
        }
        const bool with_bias = !implicit && options_.biases;
        const std::size_t dim = kk + (with_bias ? 1 : 0);
        const std::size_t lda = w + 1;
        thread_local std::vector<T> scratch;
        scratch.assign(lda * lda + 4 * lda + 2 * n, T(0));
        T* a = scratch.data();
        T* rhs = a + lda * lda;
        T* sums = rhs + lda;
        T* coef = sums + lda;
        T* wts = coef + n;
        T* cd = wts + n;  // 2 * lda: the non-negative solver's point and gradient
        const std::uint32_t* idx = rows.idx.data() + rows.indptr[r];
        const T* val = rows.val.data() + rows.indptr[r];
        const T lambda = static_cast<T>(options_.regularization);
        if (implicit) {
            for (std::size_t i = 0; i < kk; ++i) std::copy_n(g.data() + i * w + i, w - i, a + i * lda + i);
            for (std::size_t j = 0; j < n; ++j) {
                wts[j] = detail::als::confidence_weight(val[j]);
                coef[j] = detail::als::confidence_target(val[j]);
            }
            for (std::size_t i = 0; i < kk; ++i) a[i * lda + i] += lambda;
        } else {
            for (std::size_t j = 0; j < n; ++j) {
                wts[j] = T(1);
                coef[j] = val[j] - (with_bias ? mean_ + partner_bias[idx[j]] : T(0));
            }
            for (std::size_t i = 0; i < kk; ++i) a[i * lda + i] += lambda * static_cast<T>(n);
        }
        bool ok = true;
        detail::als::with_ops<T>([&](auto ops) {
            using O = decltype(ops);
            O::gram_update(partner.data(), partner.stride(), idx, implicit ? wts : nullptr, n, a, lda, kk, w);
            O::weighted_sum(partner.data(), partner.stride(), idx, coef, n, rhs, w);
            if (with_bias) {
                O::weighted_sum(partner.data(), partner.stride(), idx, wts, n, sums, w);
                for (std::size_t i = 0; i < kk; ++i) a[i * lda + kk] = sums[i];
                a[kk * lda + kk] = static_cast<T>(n) * (T(1) + lambda);
                T t = 0;
                for (std::size_t j = 0; j < n; ++j) t += coef[j];
                rhs[kk] = t;
            }
            if (!implicit && options_.non_negative) {
                nonnegative_solve<O>(a, lda, dim, kk, rhs, cd, x.data(), bias);
                return;
            }
            ok = detail::als::cholesky_solve<O>(a, lda, dim, rhs);
        });
        if (!ok) {
            throw numerical_error("tessera::als_recommender: the system of row " + std::to_string(r) +
                                  " is not positive definite (factors or data not finite?)");
        }
        if (!implicit && options_.non_negative) return;
        std::copy_n(rhs, kk, x.data());
        std::fill(x.begin() + static_cast<std::ptrdiff_t>(kk), x.end(), T(0));
        bias = with_bias ? rhs[kk] : T(0);
    }

    // min 1/2 z^T A z - rhs^T z with z_i >= 0 for i < k (z_k, the bias, is free), by cyclic
    // coordinate descent from the current (x, bias). Each step minimizes exactly along one
    // coordinate, so the objective never increases, converged or not.
    // `work` holds 2 * dim values.
    template <class O>
    static void nonnegative_solve(T* a, std::size_t lda, std::size_t dim, std::size_t kk, const T* rhs, T* work, T* x,
                                  T& bias) {
        for (std::size_t i = 0; i < dim; ++i) {
            for (std::size_t c = 0; c < i; ++c) a[i * lda + c] = a[c * lda + i];
        }
        T* z = work;
        T* grad = work + dim;
        for (std::size_t i = 0; i < kk; ++i) z[i] = std::max(x[i], T(0));
        if (dim > kk) z[kk] = bias;
        for (std::size_t i = 0; i < dim; ++i) grad[i] = O::dot(a + i * lda, z, dim) - rhs[i];
        for (std::size_t sweep = 0; sweep < 200; ++sweep) {
            T largest_step = 0, largest = 0;
            for (std::size_t i = 0; i < dim; ++i) {
                const T d = a[i * lda + i];
                T next = z[i] - grad[i] / d;
                if (i < kk) next = std::max(next, T(0));
                const T delta = next - z[i];
                if (delta != T(0)) {
                    z[i] = next;
                    O::axpy(delta, a + i * lda, grad, dim);
                }
                largest_step = std::max(largest_step, std::abs(delta));
                largest = std::max(largest, std::abs(z[i]));
            }
            if (largest_step <= T(1e-6) * std::max(largest, T(1))) break;
        }
        std::copy_n(z, kk, x);
        bias = dim > kk ? z[kk] : T(0);
    }

    // The objective of the header comment, in double, reduced in fixed blocks of users.
    [[nodiscard]] double compute_loss(const side& users, const side& items) const {
        const std::size_t w = kp();
        const bool implicit = options_.feedback == als_feedback::implicit;
        const std::vector<T> g = implicit ? gram(item_factors_) : std::vector<T>();
        const double lambda = options_.regularization;
        const auto row_loss = [&](const dense_matrix<T, Allocator>& f, const side& s, std::span<const T> b, std::size_t lo,
                                  std::size_t hi) {
            double sum = 0;
            for (std::size_t r = lo; r < hi; ++r) {
                const double norm = static_cast<double>(simd::dot(f.row(r).data(), f.row(r).data(), k()));
                const double weight = implicit ? 1.0 : static_cast<double>(s.count(r));
                const double bias = b.empty() ? 0.0 : static_cast<double>(b[r]);
                sum += lambda * weight * (norm + bias * bias);
            }
            return sum;
        };
        const std::size_t block = 1024;
        const auto add = [](double a, double b) { return a + b; };
        const double data = parallel_reduce(
            std::size_t{0}, users.rows(), block, 0.0,
            [&](std::size_t lo, std::size_t hi) {
                std::vector<T> gx(w);
                double sum = 0;
                for (std::size_t u = lo; u < hi; ++u) {
                    const T* x = user_factors_.row(u).data();
                    if (implicit) {
                        detail::als::with_ops<T>([&](auto ops) { decltype(ops)::matvec(g.data(), w, x, gx.data()); });
                        sum += static_cast<double>(simd::dot(x, gx.data(), k()));
                    }
                    for (std::size_t p = users.indptr[u]; p < users.indptr[u + 1]; ++p) {
                        const std::size_t i = users.idx[p];
                        const double s = static_cast<double>(simd::dot(x, item_factors_.row(i).data(), k()));
                        const double v = static_cast<double>(users.val[p]);
                        if (implicit) {
                            if (v == 0) continue;
                            const double c = 1 + std::abs(v);
                            const double pref = v > 0 ? 1.0 : 0.0;
                            sum += c * (pref - s) * (pref - s) - s * s;
                        } else {
                            const double e = v - (s + static_cast<double>(user_offset(u)) + static_cast<double>(item_offset(i)));
                            sum += e * e;
                        }
                    }
                }
                return sum;
            },
            add, options_.parallel);
        const double reg_users = parallel_reduce(
            std::size_t{0}, users.rows(), block, 0.0,
            [&](std::size_t lo, std::size_t hi) { return row_loss(user_factors_, users, user_bias_, lo, hi); }, add,
            options_.parallel);
        const double reg_items = parallel_reduce(
            std::size_t{0}, items.rows(), block, 0.0,
            [&](std::size_t lo, std::size_t hi) { return row_loss(item_factors_, items, item_bias_, lo, hi); }, add,
            options_.parallel);
        return data + reg_users + reg_items;
    }

    template <class V, class Index>
    void partial_fit_side(std::span<const std::size_t> ids, csr_view<V, Index> rows, bool user_side, const char* where) {
        require_fitted(where);
        const std::size_t have = user_side ? n_users() : n_items();
        const std::size_t partners = user_side ? n_items() : n_users();
        if (rows.rows() != ids.size()) {
            detail::throw_argument<dimension_mismatch>(where, "rows", "has " + std::to_string(rows.rows()) + " rows for " +
                                                                          std::to_string(ids.size()) + " ids");
        }
        if (rows.cols() != partners) {
            detail::throw_argument<dimension_mismatch>(where, "rows", "has " + std::to_string(rows.cols()) + " columns, expected " +
                                                                          std::to_string(partners));
        }
        std::vector<std::size_t> sorted(ids.begin(), ids.end());
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
            detail::throw_argument(where, "ids", "contain a repeated id");
        }
        const std::size_t grown = std::max(have, sorted.empty() ? 0 : sorted.back() + 1);
        if (grown > have + ids.size() || grown > std::numeric_limits<std::uint32_t>::max()) {
            detail::throw_argument(where, "ids", "id " + std::to_string(sorted.back()) + " would leave ids without rows (" +
                                                     std::to_string(have) + " so far)");
        }
        for (const auto v : rows.values()) check_value(static_cast<double>(v), where, "rows");
        if (ids.empty()) return;
        const side fresh = make_side(rows);

        // Work on copies, so that a throw leaves the model as it was.
        als_recommender next = *this;
        auto& own = user_side ? next.user_factors_ : next.item_factors_;
        auto& own_bias = user_side ? next.user_bias_ : next.item_bias_;
        if (grown > have) {
            dense_matrix<T, Allocator> bigger(grown, k(), row_padding::aligned, alloc_);
            for (std::size_t i = 0; i < have; ++i) std::copy_n(own.row(i).data(), k(), bigger.row(i).data());
            own = std::move(bigger);
            if (options_.biases) own_bias.resize(grown, T(0));
        }
        const auto& partner = user_side ? item_factors_ : user_factors_;
        const std::span<const T> partner_bias = user_side ? std::span<const T>(item_bias_) : std::span<const T>(user_bias_);
        const std::vector<T>& g = user_side ? item_gram_ : user_gram_;
        parallel_for(
            0, ids.size(),
            [&](std::size_t q) {
                T bias = T(0);
                next.solve_exact_rows(fresh, partner, partner_bias, g, padded_row(own, ids[q]), bias, q);
                if (options_.biases) own_bias[ids[q]] = bias;
            },
            options_.parallel);

        // The new rows replace the old interactions of those ids in the seen-items pattern.
        const std::size_t users_after = user_side ? grown : n_users();
        std::vector<char> is_replaced(user_side ? users_after : n_items(), 0);
        for (std::size_t q = 0; q < ids.size(); ++q) is_replaced[ids[q]] = 1;
        std::vector<std::size_t> indptr(users_after + 1, 0);
        std::vector<std::uint32_t> idx;
        idx.reserve(seen_idx_.size() + fresh.idx.size());
        std::vector<std::vector<std::uint32_t>> added(user_side ? 0 : users_after);
        if (!user_side) {
            for (std::size_t q = 0; q < ids.size(); ++q) {
                for (std::size_t p = fresh.indptr[q]; p < fresh.indptr[q + 1]; ++p) {
                    added[fresh.idx[p]].push_back(static_cast<std::uint32_t>(ids[q]));
                }
            }
        }
        std::vector<std::size_t> row_of(user_side ? users_after : 0, std::size_t(-1));
        if (user_side) {
            for (std::size_t q = 0; q < ids.size(); ++q) row_of[ids[q]] = q;
        }
        for (std::size_t u = 0; u < users_after; ++u) {
            if (user_side && row_of[u] != std::size_t(-1)) {
                const std::size_t q = row_of[u];
                idx.insert(idx.end(), fresh.idx.begin() + static_cast<std::ptrdiff_t>(fresh.indptr[q]),
                           fresh.idx.begin() + static_cast<std::ptrdiff_t>(fresh.indptr[q + 1]));
            } else if (u < n_users()) {
                const auto old = seen_row(u);
                if (user_side) {
                    idx.insert(idx.end(), old.begin(), old.end());
                } else {
                    std::vector<std::uint32_t> merged;
                    for (const auto i : old) {
                        if (!is_replaced[i]) merged.push_back(i);
                    }
                    merged.insert(merged.end(), added[u].begin(), added[u].end());
                    std::sort(merged.begin(), merged.end());
                    idx.insert(idx.end(), merged.begin(), merged.end());
                }
            }
            indptr[u + 1] = idx.size();
        }
        next.seen_indptr_.assign(indptr.begin(), indptr.end());
        next.seen_idx_.assign(idx.begin(), idx.end());
        next.refresh_derived();
        *this = std::move(next);
    }

    // The n best rows of `f` by cosine with row q (q left out).
    template <class F>
    [[nodiscard]] std::vector<scored_item<T>> most_similar(const dense_matrix<T, Allocator>& f, std::span<const T> norms,
                                                           std::size_t q, std::size_t n, const F& filter) const {
        detail::top_k<T> best(n, true);
        const T* x = f.row(q).data();
        const T nq = norms[q];
        for (std::size_t j = 0; j < f.rows(); ++j) {
            if (j == q || !detail::keeps_item(filter, q, j)) continue;
            const T d = nq > T(0) && norms[j] > T(0) ? simd::dot(x, f.row(j).data(), k()) / (nq * norms[j]) : T(0);
            best.push(d, static_cast<neighbor_id>(j));
        }
        std::vector<scored_item<T>> out;
        for (const auto& [score, id] : best.take_sorted()) out.push_back({static_cast<std::size_t>(id), score});
        return out;
    }

    // The n best items for factors x (kp entries), leaving out the sorted `seen` items.
    template <class F>
    [[nodiscard]] std::vector<scored_item<T>> top_items(const T* x, T offset, std::span<const std::uint32_t> seen,
                                                        std::size_t n, std::size_t user, const F& filter) const {
        detail::top_k<T> best(n, true);
        std::size_t next_seen = 0;
        for (std::size_t i = 0; i < n_items(); ++i) {
            while (next_seen < seen.size() && seen[next_seen] < i) ++next_seen;
            if (next_seen < seen.size() && seen[next_seen] == i) continue;
            if (!detail::keeps_item(filter, user, i)) continue;
            best.push(simd::dot(x, item_factors_.row(i).data(), k()) + item_offset(i), static_cast<neighbor_id>(i));
        }
        std::vector<scored_item<T>> out;
        for (const auto& [score, id] : best.take_sorted()) out.push_back({static_cast<std::size_t>(id), score + offset});
        return out;
    }

    // Norms for similarity queries and the Gram matrices for fold-in and partial updates.
    void refresh_derived() {
        const auto norms = [this](const dense_matrix<T, Allocator>& f) {
            std::vector<T, Allocator> out(f.rows(), T(0), alloc_);
            for (std::size_t i = 0; i < f.rows(); ++i) out[i] = std::sqrt(simd::dot(f.row(i).data(), f.row(i).data(), k()));
            return out;
        };
        user_norm_ = norms(user_factors_);
        item_norm_ = norms(item_factors_);
        if (options_.feedback == als_feedback::implicit) {
            user_gram_ = gram(user_factors_);
            item_gram_ = gram(item_factors_);
        }
    }

    template <class Other>
    void take_state(Other&& o) {
        options_ = std::forward<Other>(o).options_;
        user_factors_ = std::forward<Other>(o).user_factors_;
        item_factors_ = std::forward<Other>(o).item_factors_;
        user_bias_ = std::forward<Other>(o).user_bias_;
        item_bias_ = std::forward<Other>(o).item_bias_;
        mean_ = o.mean_;
        seen_indptr_ = std::forward<Other>(o).seen_indptr_;
        seen_idx_ = std::forward<Other>(o).seen_idx_;
        user_norm_ = std::forward<Other>(o).user_norm_;
        item_norm_ = std::forward<Other>(o).item_norm_;
        user_gram_ = std::forward<Other>(o).user_gram_;
        item_gram_ = std::forward<Other>(o).item_gram_;
        n_iter_ = o.n_iter_;
        fitted_ = o.fitted_;
    }

    [[nodiscard]] static bool read_flag(archive_reader& r, const char* field) {
        const auto v = r.read<std::uint8_t>(field);
        if (v > 1) r.fail(std::string("als_recommender::read_from: ") + field + " is " + std::to_string(v) + ", not 0 or 1");
        return v == 1;
    }

    als_options options_;
    Allocator alloc_;
    dense_matrix<T, Allocator> user_factors_;
    dense_matrix<T, Allocator> item_factors_;
    std::vector<T, Allocator> user_bias_;
    std::vector<T, Allocator> item_bias_;
    T mean_ = 0;
    std::vector<std::size_t, size_allocator> seen_indptr_;
    std::vector<std::uint32_t, u32_allocator> seen_idx_;
    std::vector<T, Allocator> user_norm_, item_norm_;
    std::vector<T> user_gram_, item_gram_;
    std::size_t n_iter_ = 0;
    bool fitted_ = false;
};

}  // namespace tessera
