/// \file
/// tessera/neighbors/common.hpp - what every nearest-neighbour index shares: ids, result types,
/// filters, the one top-k selection, and argument checks.
///
/// Ordering: a neighbour is better when its distance is smaller, or, for a similarity metric
/// (metric_traits::is_similarity, e.g. inner_product), when its value is larger. Equal values
/// are broken by the smaller id, so results never depend on storage order or thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/half.hpp"
#include "tessera/distance/metrics.hpp"

namespace tessera {

/// A row's identity in an index: dense (0, 1, 2, ... in insertion order) or chosen by the user.
using neighbor_id = std::int64_t;

/// The id reported in result slots no row filled (a filter left fewer than k candidates).
inline constexpr neighbor_id no_neighbor = -1;

/// The query element type for rows of T: float for bfloat16 and half rows (the mixed kernels
/// compare a float query with narrow rows), T otherwise.
template <class T>
using query_type_t = std::conditional_t<std::is_same_v<T, bfloat16> || std::is_same_v<T, half>, float, T>;

/// The value a metric returns for a query of Q against a row of T.
template <class M, class Q, class T>
using distance_type_t = std::remove_cvref_t<decltype(std::declval<const M&>()(std::declval<std::span<const Q>>(),
                                                                               std::declval<std::span<const T>>()))>;

/// k nearest neighbours of each query: row i of `ids` and `distances` holds query i's
/// neighbours, best first. Slots no row filled hold no_neighbor and the worst possible value
/// (+infinity, or the lowest value for a similarity; the integer limits for integer distances).
template <class D>
struct knn_result {
    dense_matrix<neighbor_id> ids;  ///< queries x k neighbour ids, or no_neighbor
    dense_matrix<D> distances;      ///< queries x k metric values, parallel to ids
};

/// Every neighbour within a radius of each query, in CSR form: query i's neighbours are
/// ids[offsets[i] .. offsets[i + 1]) with their distances, best first.
template <class D>
struct radius_result {
    std::vector<std::size_t> offsets{0};  ///< queries + 1 offsets into ids and distances
    std::vector<neighbor_id> ids;         ///< the neighbours of every query, query by query
    std::vector<D> distances;             ///< the metric value of each entry of ids

    /// Number of queries.
    [[nodiscard]] std::size_t size() const noexcept { return offsets.size() - 1; }
    /// The neighbours of query i, best first. Precondition: i < size() (not checked).
    [[nodiscard]] std::span<const neighbor_id> row_ids(std::size_t i) const {
        return std::span<const neighbor_id>(ids).subspan(offsets[i], offsets[i + 1] - offsets[i]);
    }
    /// Their distances. Precondition: i < size() (not checked).
    [[nodiscard]] std::span<const D> row_distances(std::size_t i) const {
        return std::span<const D>(distances).subspan(offsets[i], offsets[i + 1] - offsets[i]);
    }
};

/// The absent filter: every row is a candidate. Searches test for this type and drop the
/// filter call altogether, so an unfiltered search pays nothing for the feature.
struct no_filter {};

/// A filter for a search: called as f(query_index, id) or f(id), true to keep the row.
template <class F>
concept neighbor_filter = std::same_as<std::remove_cvref_t<F>, no_filter> ||
                          std::predicate<const F&, std::size_t, neighbor_id> || std::predicate<const F&, neighbor_id>;

namespace detail {
/// \cond

template <class F>
[[nodiscard]] inline bool keeps(const F& filter, std::size_t query, neighbor_id id) {
    if constexpr (std::is_same_v<std::remove_cvref_t<F>, no_filter>) {
        (void)filter;
        (void)query;
        (void)id;
        return true;
    } else if constexpr (std::predicate<const F&, std::size_t, neighbor_id>) {
        return static_cast<bool>(filter(query, id));
    } else {
        (void)query;
        return static_cast<bool>(filter(id));
    }
}

template <class D>
[[nodiscard]] constexpr D worst_value(bool similarity) noexcept {
    if constexpr (std::numeric_limits<D>::has_infinity) {
        return similarity ? -std::numeric_limits<D>::infinity() : std::numeric_limits<D>::infinity();
    } else {
        return similarity ? std::numeric_limits<D>::lowest() : std::numeric_limits<D>::max();
    }
}

/// Whether (a, ida) ranks before (b, idb): smaller (or, for a similarity, larger) value first,
/// then the smaller id. NaN never occurs: indexes reject non-finite rows and queries.
template <class D>
[[nodiscard]] constexpr bool ranks_before(D a, neighbor_id ida, D b, neighbor_id idb, bool similarity) noexcept {
    if (a != b) return similarity ? a > b : a < b;
    return ida < idb;
}

/// The k best (value, id) pairs seen, kept in a binary heap with the worst on top, so a
/// candidate that cannot enter costs one comparison. The one top-k selection of tessera.
template <class D>
class top_k {
public:
    top_k(std::size_t k, bool similarity) : k_(k), similarity_(similarity) { heap_.reserve(k); }

    [[nodiscard]] std::size_t capacity() const noexcept { return k_; }
    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
    [[nodiscard]] bool full() const noexcept { return heap_.size() == k_; }

    /// The value a candidate has to beat once the heap is full.
    [[nodiscard]] D threshold() const noexcept { return full() ? heap_.front().first : worst_value<D>(similarity_); }

    void push(D value, neighbor_id id) {
        if (heap_.size() < k_) {
            heap_.emplace_back(value, id);
            std::push_heap(heap_.begin(), heap_.end(), worse_first());
        } else if (k_ > 0 && ranks_before(value, id, heap_.front().first, heap_.front().second, similarity_)) {
            std::pop_heap(heap_.begin(), heap_.end(), worse_first());
            heap_.back() = {value, id};
            std::push_heap(heap_.begin(), heap_.end(), worse_first());
        }
    }

    /// The pairs best first (the heap is emptied).
    [[nodiscard]] std::vector<std::pair<D, neighbor_id>> take_sorted() {
        std::sort_heap(heap_.begin(), heap_.end(), worse_first());
        return std::move(heap_);
    }

    void clear() noexcept { heap_.clear(); }

private:
    // std heap functions keep the largest element on top; "larger" here means "ranks later".
    [[nodiscard]] auto worse_first() const noexcept {
        return [s = similarity_](const std::pair<D, neighbor_id>& a, const std::pair<D, neighbor_id>& b) {
            return ranks_before(a.first, a.second, b.first, b.second, s);
        };
    }

    std::size_t k_;
    bool similarity_;
    std::vector<std::pair<D, neighbor_id>> heap_;
};

/// Writes sorted pairs into row i of a knn_result, padding with no_neighbor / worst values.
template <class D>
void store_row(knn_result<D>& out, std::size_t i, const std::vector<std::pair<D, neighbor_id>>& best, bool similarity) {
    const auto ids = out.ids.row(i);
    const auto dist = out.distances.row(i);
    for (std::size_t j = 0; j < ids.size(); ++j) {
        if (j < best.size()) {
            dist[j] = best[j].first;
            ids[j] = best[j].second;
        } else {
            dist[j] = worst_value<D>(similarity);
            ids[j] = no_neighbor;
        }
    }
}

/// k must be in [1, n].
inline void require_k(std::size_t k, std::size_t n, std::string_view where) {
    if (k == 0) throw_argument(where, "k", "must be at least 1");
    if (k > n) {
        throw_argument(where, "k", "is " + std::to_string(k) + " but the index holds only " + std::to_string(n) + " rows");
    }
}

inline void require_nonempty_index(std::size_t n, std::string_view where) {
    if (n == 0) throw_argument(where, "index", "is empty: add rows before searching");
}

/// The name a model records for its metric in an archive: Metric::name when the metric has
/// one, "user-defined" otherwise (such a model loads only with a metric of no name either).
template <class Metric>
[[nodiscard]] std::string metric_name() {
    if constexpr (requires { Metric::name; }) {
        return std::string(Metric::name);
    } else {
        return "user-defined";
    }
}

/// Finite check for one value of any element type an index stores (radius arguments).
template <class T>
[[nodiscard]] inline bool finite_value(T x) noexcept {
    if constexpr (std::is_same_v<T, bfloat16> || std::is_same_v<T, half>) {
        return std::isfinite(to_float(x));
    } else if constexpr (std::is_floating_point_v<T>) {
        return std::isfinite(x);
    } else {
        (void)x;
        return true;
    }
}

/// \endcond
}  // namespace detail

}  // namespace tessera
