/// \file
/// tessera/recommend/baselines.hpp - the two baselines every recommender should beat:
/// popularity_recommender (rank items by how many users interacted with them) for top-n
/// recommendation, and bias_baseline (global mean plus regularized user and item biases) for
/// rating prediction.
///
/// ```cpp
///   tessera::popularity_recommender pop;
///   pop.fit(parts.train);                               // users x items CSR, csr_view or csr_matrix
///   for (const auto& s : pop.recommend(user, 10)) { /* s.item, s.score (users who had it) */ }
/// ```
///
/// ```cpp
///   tessera::bias_baseline base({.reg_user = 5, .reg_item = 5});
///   base.fit(ratings);                                  // explicit ratings, users x items
///   const double r = base.predict(user, item);          // mu + b_u + b_i
/// ```
///
/// Both read a users x items CSR matrix in which row u holds user u's items (the layout of
/// io/ratings.hpp's read_ratings and of split_interactions in metrics/ranking.hpp). They keep
/// their fitted state in double.
///
/// Thread safety: const member functions (recommend, predict, the accessors) may run
/// concurrently; fit and set_options must not run alongside anything else on the same model.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/recommend/common.hpp"

namespace tessera {

namespace detail {
/// \cond

// The fit-time checks both baselines share: a users x items matrix with at least one row, one
// column and one stored entry, and no NaN or Inf.
template <class V, class Index>
void require_baseline_matrix(csr_view<V, Index> x, const char* where, const char* arg) {
    if (x.rows() == 0 || x.cols() == 0) {
        throw_argument(where, arg,
                       "is empty (" + std::to_string(x.rows()) + " x " + std::to_string(x.cols()) +
                           "): there is nothing to learn from");
    }
    if (x.nnz() == 0) throw_argument(where, arg, "holds no stored entries: there is nothing to learn from");
    require_finite<std::remove_cv_t<V>>(x.values(), where, arg);
}

inline void require_baseline_id(std::size_t id, std::size_t count, const char* where, const char* arg,
                                const char* what) {
    if (id >= count) {
        throw_argument(where, arg,
                       "is " + std::to_string(id) + " but the model was fitted on " + std::to_string(count) + " " +
                           what);
    }
}

/// \endcond
}  // namespace detail

// ---- popularity ------------------------------------------------------------------------------

/// Options of popularity_recommender, read by fit.
struct popularity_recommender_options {
    /// Leave out of user u's recommendations every item stored in row u of the fitted matrix
    /// (whatever its value). Costs a copy of the matrix's structure (O(rows + nnz) memory).
    bool exclude_seen = true;
};

/// Recommends the most popular items: an item's popularity is the number of users whose row
/// holds it with a value > 0 (an interaction count, not a sum of values). Everyone gets the
/// same list, less the items they already have (see popularity_recommender_options). Models
/// tessera::recommender, so evaluate_ranking (metrics/ranking.hpp) takes it.
///
/// Complexity: fit O(rows + nnz + n_items log n_items); recommend(u, n) O((n + s) log s) for
/// a user with s fitted entries. Memory: O(n_items), plus O(rows + nnz) with exclude_seen.
/// Exceptions: tessera::invalid_argument for an empty matrix (no rows, columns or stored
/// entries), NaN or Inf values, a user outside [0, n_users()), n == 0 or n > n_items();
/// not_fitted_error before fit. A fit that throws leaves the model as it was.
/// Thread safety: see the header comment.
class popularity_recommender {
public:
    using options = popularity_recommender_options;  ///< the options type
    /// The type of a recommendation's score (the item's popularity).
    using score_type = double;

    /// An unfitted recommender.
    explicit popularity_recommender(options opts = {}) : options_(opts) {}

    /// Counts each item's users in `interactions` (users x items, csr_view or csr_matrix of
    /// any numeric type), replacing anything learnt before. O(rows + nnz + n_items log n_items).
    template <class X>
        requires detail::is_sparse_input<X>
    void fit(const X& interactions) {
        constexpr const char* where = "popularity_recommender::fit";
        const auto x = detail::model_rows(interactions, where);
        detail::require_baseline_matrix(x, where, "interactions");
        const std::size_t items = x.cols();
        std::vector<std::size_t> counts(items, 0);
        const auto ix = x.indices();
        const auto vx = x.values();
        for (std::size_t k = 0; k < ix.size(); ++k) {
            if (static_cast<double>(vx[k]) > 0) ++counts[static_cast<std::size_t>(ix[k])];
        }
        std::vector<std::size_t> order(items);
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(), [&counts](std::size_t a, std::size_t b) {
            return counts[a] > counts[b] || (counts[a] == counts[b] && a < b);
        });
        std::vector<std::size_t> seen_ptr;
        std::vector<std::size_t> seen;
        if (options_.exclude_seen) {
            const auto ip = x.indptr();
            seen_ptr.assign(ip.begin(), ip.end());
            seen.assign(ix.begin(), ix.end());
        }
        counts_ = std::move(counts);
        order_ = std::move(order);
        seen_ptr_ = std::move(seen_ptr);
        seen_ = std::move(seen);
        users_ = x.rows();
        exclude_seen_ = options_.exclude_seen;
        fitted_ = true;
    }

    /// The n most popular items for `user`, best first, each with its popularity as score; ties
    /// go to the smaller item index. With exclude_seen (at fit), the user's fitted items are
    /// skipped, so fewer than n come back when fewer remain.
    [[nodiscard]] std::vector<scored_item<double>> recommend(std::size_t user, std::size_t n) const {
        constexpr const char* where = "popularity_recommender::recommend";
        detail::require_fitted(fitted_, where);
        detail::require_baseline_id(user, users_, where, "user", "users");
        if (n == 0) detail::throw_argument(where, "n", "must be at least 1");
        if (n > order_.size()) {
            detail::throw_argument(where, "n",
                                   "is " + std::to_string(n) + " but there are n_items() = " +
                                       std::to_string(order_.size()) + " items");
        }
        std::span<const std::size_t> own;
        if (exclude_seen_) {
            own = std::span<const std::size_t>(seen_).subspan(seen_ptr_[user], seen_ptr_[user + 1] - seen_ptr_[user]);
        }
        std::vector<scored_item<double>> out;
        out.reserve(std::min(n, order_.size() - own.size()));
        for (const std::size_t item : order_) {
            if (out.size() == n) break;
            if (!own.empty() && std::binary_search(own.begin(), own.end(), item)) continue;
            out.push_back({item, static_cast<double>(counts_[item])});
        }
        return out;
    }

    /// Whether fit has run.
    [[nodiscard]] bool fitted() const noexcept { return fitted_; }
    /// The rows of the fitted matrix (0 before fit).
    [[nodiscard]] std::size_t n_users() const noexcept { return users_; }
    /// The columns of the fitted matrix (0 before fit).
    [[nodiscard]] std::size_t n_items() const noexcept { return order_.size(); }
    /// Per item, the number of users with a value > 0 for it (empty before fit).
    [[nodiscard]] std::span<const std::size_t> item_counts() const noexcept { return counts_; }
    /// Every item, most popular first (ties: smaller index first); empty before fit.
    [[nodiscard]] std::span<const std::size_t> ranking() const noexcept { return order_; }
    /// The options the next fit uses.
    [[nodiscard]] const options& get_options() const noexcept { return options_; }
    /// Replaces the options (read by the next fit; a fitted model keeps recommending as before).
    void set_options(options opts) { options_ = opts; }

private:
    options options_;
    std::vector<std::size_t> counts_;
    std::vector<std::size_t> order_;
    std::vector<std::size_t> seen_ptr_;  // the fitted structure, with exclude_seen
    std::vector<std::size_t> seen_;
    std::size_t users_ = 0;
    bool exclude_seen_ = false;
    bool fitted_ = false;
};

// ---- biases ----------------------------------------------------------------------------------

/// Options of bias_baseline, validated by fit.
struct bias_baseline_options {
    /// Damping of the user biases: a user with n_u ratings gets sum(residuals) / (reg_user +
    /// n_u), so users with few ratings stay near 0. Finite, >= 0.
    double reg_user = 10;
    /// Damping of the item biases, likewise. Finite, >= 0.
    double reg_item = 10;
    /// Rounds of alternating updates (item biases, then user biases). 0 leaves every bias at 0,
    /// i.e. predicts the global mean.
    std::size_t iterations = 10;
};

/// Rating prediction by biases: predict(u, i) = mu + b_u + b_i, with mu the mean of all
/// fitted ratings and the biases fitted by alternating closed-form updates, from b = 0:
///
///     b_i = sum over users u who rated i of (r_ui - mu - b_u) / (reg_item + n_i)
///     b_u = sum over items i rated by u of (r_ui - mu - b_i) / (reg_user + n_u)
///
/// each round updating every item bias, then every user bias (with the new item biases);
/// n_i and n_u count the stored ratings. Users and items without ratings keep bias 0. Each
/// update minimizes sum (r - mu - b_u - b_i)^2 + reg_user sum b_u^2 + reg_item sum b_i^2 over
/// one set of biases with the other fixed, so the objective never increases.
///
/// Every stored entry of the fitted users x items matrix is a rating (explicit zeros too).
/// Sums run in stored order in double: the result depends only on the data and the options.
///
/// Complexity: fit O(iterations * (rows + cols + nnz)) time and O(rows + cols) memory;
/// predict O(1). Exceptions: tessera::invalid_argument for an empty matrix (no rows, columns
/// or stored entries), NaN or Inf ratings, a negative or non-finite reg_user or reg_item, a
/// user or item out of range in predict; not_fitted_error before fit. A fit that throws leaves
/// the model as it was. Thread safety: see the header comment.
class bias_baseline {
public:
    using options = bias_baseline_options;  ///< the options type

    /// An unfitted model. The options are checked by fit, not here.
    explicit bias_baseline(options opts = {}) : options_(opts) {}

    /// Learns mu and the biases from `ratings` (users x items, csr_view or csr_matrix of any
    /// numeric type), replacing anything learnt before.
    template <class X>
        requires detail::is_sparse_input<X>
    void fit(const X& ratings) {
        constexpr const char* where = "bias_baseline::fit";
        check_options(where);
        const auto x = detail::model_rows(ratings, where);
        detail::require_baseline_matrix(x, where, "ratings");
        const std::size_t users = x.rows();
        const std::size_t items = x.cols();
        const auto ip = x.indptr();
        const auto ix = x.indices();
        const auto vx = x.values();

        double sum = 0;
        for (const auto& v : vx) sum += static_cast<double>(v);
        const double mu = sum / static_cast<double>(vx.size());
        std::vector<std::size_t> per_item(items, 0);
        for (const auto c : ix) ++per_item[static_cast<std::size_t>(c)];

        std::vector<double> bu(users, 0.0);
        std::vector<double> bi(items, 0.0);
        std::vector<double> residual(items, 0.0);
        for (std::size_t it = 0; it < options_.iterations; ++it) {
            std::fill(residual.begin(), residual.end(), 0.0);
            for (std::size_t u = 0; u < users; ++u) {
                for (auto k = static_cast<std::size_t>(ip[u]); k < static_cast<std::size_t>(ip[u + 1]); ++k) {
                    residual[static_cast<std::size_t>(ix[k])] += static_cast<double>(vx[k]) - mu - bu[u];
                }
            }
            for (std::size_t i = 0; i < items; ++i) {
                bi[i] = per_item[i] == 0 ? 0.0 : residual[i] / (options_.reg_item + static_cast<double>(per_item[i]));
            }
            for (std::size_t u = 0; u < users; ++u) {
                const auto b = static_cast<std::size_t>(ip[u]);
                const auto e = static_cast<std::size_t>(ip[u + 1]);
                double s = 0;
                for (std::size_t k = b; k < e; ++k) {
                    s += static_cast<double>(vx[k]) - mu - bi[static_cast<std::size_t>(ix[k])];
                }
                bu[u] = e == b ? 0.0 : s / (options_.reg_user + static_cast<double>(e - b));
            }
        }
        mu_ = mu;
        user_bias_ = std::move(bu);
        item_bias_ = std::move(bi);
        fitted_ = true;
    }

    /// mu + b_user + b_item. O(1). Throws not_fitted_error before fit, invalid_argument for a
    /// user or item out of range.
    [[nodiscard]] double predict(std::size_t user, std::size_t item) const {
        constexpr const char* where = "bias_baseline::predict";
        detail::require_fitted(fitted_, where);
        detail::require_baseline_id(user, user_bias_.size(), where, "user", "users");
        detail::require_baseline_id(item, item_bias_.size(), where, "item", "items");
        return mu_ + user_bias_[user] + item_bias_[item];
    }

    /// Whether fit has run.
    [[nodiscard]] bool fitted() const noexcept { return fitted_; }
    /// The rows of the fitted matrix (0 before fit).
    [[nodiscard]] std::size_t n_users() const noexcept { return user_bias_.size(); }
    /// The columns of the fitted matrix (0 before fit).
    [[nodiscard]] std::size_t n_items() const noexcept { return item_bias_.size(); }
    /// mu, the mean of the fitted ratings (0 before fit).
    [[nodiscard]] double global_mean() const noexcept { return mu_; }
    /// b_u for every user (empty before fit).
    [[nodiscard]] std::span<const double> user_biases() const noexcept { return user_bias_; }
    /// b_i for every item (empty before fit).
    [[nodiscard]] std::span<const double> item_biases() const noexcept { return item_bias_; }
    /// The options the next fit uses.
    [[nodiscard]] const options& get_options() const noexcept { return options_; }
    /// Replaces the options (used by the next fit; a fitted model keeps predicting as before).
    void set_options(options opts) { options_ = opts; }

private:
    void check_options(const char* where) const {
        if (!std::isfinite(options_.reg_user) || options_.reg_user < 0) {
            detail::throw_argument(where, "options.reg_user",
                                   "must be finite and >= 0, got " + detail::number_text(options_.reg_user));
        }
        if (!std::isfinite(options_.reg_item) || options_.reg_item < 0) {
            detail::throw_argument(where, "options.reg_item",
                                   "must be finite and >= 0, got " + detail::number_text(options_.reg_item));
        }
    }

    options options_;
    double mu_ = 0;
    std::vector<double> user_bias_;
    std::vector<double> item_bias_;
    bool fitted_ = false;
};

}  // namespace tessera
