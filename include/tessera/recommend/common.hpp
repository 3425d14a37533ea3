/// \file
/// tessera/recommend/common.hpp - what recommenders return, and the filters they take.
///
/// A single-user query returns a std::vector<scored_item<T>>, best first; a batch query returns
/// a top_n_result (one row per user, padded with no_item where fewer items qualified). Ties in
/// score go to the smaller item index, as in every tessera top-k selection.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/neighbors/common.hpp"

namespace tessera {

/// An item index with the score a recommender gave it (higher is better).
template <class T>
struct scored_item {
    std::size_t item = 0;  ///< item index (column of the fitted matrix)
    T score{};             ///< the recommender's score for the item

    /// Same item and same score.
    [[nodiscard]] friend bool operator==(const scored_item&, const scored_item&) = default;
};

/// The slot value of a top_n_result row that no item filled.
inline constexpr std::int64_t no_item = no_neighbor;

/// The best n items for each of several users (or items, for similarity queries): row i holds
/// query i's items, best first; unfilled slots hold no_item and the lowest score.
template <class T>
struct top_n_result {
    dense_matrix<std::int64_t> items;  ///< queries x n item indices, or no_item
    dense_matrix<T> scores;            ///< queries x n scores, parallel to items
};

/// The absent item filter: every item is a candidate, at no cost (the k-NN searches' no_filter,
/// so one filter mechanism serves both).
using all_items = no_filter;

/// An item filter: f(item) or f(user, item) -> bool, true to keep the item. For item-to-item
/// queries the first argument is the query item.
template <class F>
concept item_filter = std::same_as<std::remove_cvref_t<F>, all_items> ||
                      std::predicate<const F&, std::size_t, std::size_t> || std::predicate<const F&, std::size_t>;

namespace detail {
/// \cond

template <class F>
[[nodiscard]] inline bool keeps_item(const F& filter, std::size_t query, std::size_t item) {
    return keeps(filter, query, static_cast<neighbor_id>(item));
}

/// \endcond
}  // namespace detail

}  // namespace tessera
