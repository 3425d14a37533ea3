/// \file
/// tessera/neighbors/kd_tree.hpp - exact k-nearest-neighbour search in a k-d tree, for
/// low-dimensional data.
///
/// ```cpp
///   tessera::kd_tree_index<float> index(3);          // squared Euclidean by default
///   index.add(points);                               // ids 0, 1, 2, ... (or add(rows, ids))
///   auto r = index.search(queries, 10);              // r.ids, r.distances: queries x 10
/// ```
///
/// When to use it. knn_index computes all n distances per query, fast because it batches them;
/// this index computes distances only for rows in leaves whose boxes could hold something better
/// than the current k-th neighbour, about O(log n + k) rows per query in a few dimensions. As d
/// grows every box comes close to every query, the tree ends up examining most rows one at a
/// time, and knn_index's batches win. Measured by benchmarks/bench_kd_tree.cpp (60,000 uniform
/// rows, k = 5, one thread): the tree is 35x faster at d = 2 and 1.9x at d = 8, but 1.4x slower
/// at d = 10 and 3x slower at d = 12, so the two cross near d = 9 on such data.
///
/// Exactness. A row's value is Metric::raw on the (query, row) pair, as in knn_index, and every
/// candidate goes through detail::top_k (smaller value first, then the smaller id), so the result
/// is exactly that of a scan over all rows: the same ids, values and order. A box (or, before the
/// kernel call, a single row) is skipped only when a lower bound on the kernel's sum for it is
/// strictly above a threshold beyond which the metric's value must exceed the current k-th value;
/// a row that could tie with the k-th value is always examined, so ties are settled by id, never
/// by visiting order.
/// The bound is the query-to-box sum of squared (or absolute) gaps in double, lowered by the
/// kernels' stated error bound (simd/kernels.hpp: gamma(d + 2) relative plus underflow) and by
/// the double sum's own error, so it stays below the value the kernel computes for any row in the
/// box even though the kernel rounds differently (it often rounds more than an ulp below the
/// exact value). For euclidean the threshold is the square of the next value above the k-th,
/// since the kernel rounds its square root.
///
/// Layout. Nodes sit in one flat array in preorder (a node's left child directly follows it),
/// each holding its range of rows; their bounding boxes (low and high corner, in double) sit in a
/// second flat array. Rows are stored in leaf order, so a leaf is read as contiguous memory.
/// Splits are at the median of the box's widest column, with equal coordinates ordered by id, and
/// each leaf is sorted by id: the storage order (ids(), rows()) depends only on the set of
/// (id, row) pairs, not on the order in which they were added, and a saved index loads into the
/// same order.
///
/// Costs. Building is O(n d log n) (25 ms for 60,000 rows of 2 columns). add and remove rebuild
/// the tree before they return, so one call of m rows costs about as much as one call of one row:
/// batch them. (A lazy rebuild on the next query would make const queries mutate the index, and
/// so need a lock.) A rebuild holds the old and the new rows for a moment. Memory besides the
/// rows and ids: at most n / 8 nodes of three words and 2 d doubles each.
///
/// Parallelism and thread safety: queries run through parallel_for_blocks, each searched by one
/// thread from data no other query writes, so results are identical for any thread count. Const
/// member functions may run concurrently; add and remove must not run concurrently with anything
/// else on the same index.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <numeric>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/half.hpp"
#include "tessera/core/matrix_view.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/distance/metrics.hpp"
#include "tessera/neighbors/common.hpp"
#include "tessera/neighbors/id_table.hpp"
#include "tessera/neighbors/index_queries.hpp"

namespace tessera {

/// Metrics whose value for any point of an axis-aligned box is bounded below by the value for
/// the box's nearest point: a sum over columns of a function that grows with |q_j - x_j|.
/// kd_tree_index needs that to prune; cosine and inner products have no such bound.
template <class M>
concept kd_tree_metric = std::same_as<M, sq_euclidean> || std::same_as<M, euclidean> || std::same_as<M, manhattan>;

namespace detail {
/// \cond

// gamma(m) = m u / (1 - m u) for the unit roundoff u of S (Higham's bound for m roundings).
template <class S>
[[nodiscard]] inline double kd_gamma(std::size_t m) noexcept {
    const double u = static_cast<double>(std::numeric_limits<S>::epsilon()) / 2;
    const double mu = static_cast<double>(m) * u;
    return mu / (1 - mu);
}

template <class T>
[[nodiscard]] inline double kd_coordinate(T x) noexcept {
    if constexpr (std::is_same_v<T, bfloat16> || std::is_same_v<T, half>) {
        return to_double(x);
    } else {
        return static_cast<double>(x);
    }
}

/// \endcond
}  // namespace detail

/// Exact k-nearest-neighbour index in a k-d tree over rows of T (float, double, int8, uint8,
/// bfloat16 or half; queries are query_type_t<T>), for squared Euclidean (default), Euclidean
/// or Manhattan distance. The interface, the errors and the results are those of knn_index;
/// see the header comment for when each is faster.
template <class T, class Metric = sq_euclidean, class Allocator = std::allocator<T>>
    requires kd_tree_metric<Metric> && kernel_pair<query_type_t<T>, T>
class kd_tree_index : public detail::index_queries<kd_tree_index<T, Metric, Allocator>, T, Metric, Allocator> {
public:
    using value_type = T;                ///< element type of the stored rows
    using query_type = query_type_t<T>;  ///< element type of queries (float for bfloat16 and half rows)
    using metric_type = Metric;          ///< the metric
    using allocator_type = Allocator;    ///< allocator of the stored rows
    /// What search reports: Metric::raw's type (float for float rows, std::int64_t for squared
    /// Euclidean or Manhattan on bytes, double for Euclidean on bytes, ...).
    using distance_type = distance_type_t<Metric, query_type, T>;

    /// Most rows in a leaf (leaves hold 16 to 32). Smaller leaves mean more node visits, larger
    /// ones more rows to bound: on bench_kd_tree.cpp's data 16 was 15% faster at d = 2, 32 was
    /// 15 to 25% faster at d = 8 to 16, where queries cost far more.
    static constexpr std::size_t leaf_size = 32;

    /// An empty index of `dim` columns; 0 takes the width of the first rows added.
    explicit kd_tree_index(std::size_t dim = 0, Metric metric = Metric(), const Allocator& alloc = Allocator())
        : metric_(std::move(metric)),
          dim_(dim),
          rows_(alloc),
          ids_(alloc),
          nodes_(node_allocator(alloc)),
          boxes_(box_allocator(alloc)) {
        set_slack();
    }

    /// Number of stored rows.
    [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
    /// Whether no row is stored.
    [[nodiscard]] bool empty() const noexcept { return ids_.size() == 0; }
    /// Columns of every row (0 until the first add when constructed with dim 0).
    [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
    /// The metric object.
    [[nodiscard]] const Metric& metric() const noexcept { return metric_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return rows_.get_allocator(); }

    /// The id of each stored row, in storage order: the tree's leaf order, which every add and
    /// remove recomputes (it depends only on the stored ids and rows).
    [[nodiscard]] std::span<const neighbor_id> ids() const noexcept { return ids_.ids(); }
    /// Whether a row with this id is stored. Expected O(1) (a hash lookup).
    [[nodiscard]] bool contains(neighbor_id id) const { return ids_.contains(id); }

    /// The stored row with this id. Throws tessera::invalid_argument for an unknown id.
    [[nodiscard]] std::span<const T> row(neighbor_id id) const { return rows_.row(ids_.slot("kd_tree_index::row", id)); }

    /// The rows in storage order, as a view (valid until the next add or remove).
    [[nodiscard]] matrix_view<const T> rows() const noexcept { return rows_.view(); }

    /// Adds rows with dense ids: one more than the largest id so far (0 for the first row), in
    /// order. Returns the first id assigned. Any dense_input of T with dim() columns. Throws
    /// dimension_mismatch (wrong width), invalid_argument (NaN or Inf). Nothing is added when it
    /// throws. O((size() + rows) dim log(size() + rows)): the tree is rebuilt.
    template <dense_input X>
        requires std::is_same_v<dense_value_t<X>, T>
    neighbor_id add(const X& rows) {
        const auto v = as_rows(rows, "kd_tree_index::add", "rows");
        check_rows(v, "kd_tree_index::add", "rows");
        const neighbor_id first = ids_.next_id();
        const auto new_ids = ids_.dense_ids(v.rows(), "kd_tree_index::add");
        if (new_ids.empty()) return first;
        insert(v, new_ids);
        return first;
    }

    /// Adds rows with the caller's ids (non-negative, unique, not already present). Throws
    /// invalid_argument for a bad or repeated id, dimension_mismatch for a length or width
    /// mismatch; nothing is added when it throws. Same cost as add(rows).
    template <dense_input X, class Ids>
        requires std::is_same_v<dense_value_t<X>, T> && std::ranges::sized_range<Ids> &&
                 std::integral<std::ranges::range_value_t<Ids>>
    void add(const X& rows, const Ids& ids) {
        const auto v = as_rows(rows, "kd_tree_index::add", "rows");
        check_rows(v, "kd_tree_index::add", "rows");
        const auto new_ids = ids_.user_ids(ids, v.rows(), "kd_tree_index::add");
        if (v.rows() > 0) insert(v, new_ids);
    }

    /// Removes the row with this id. Throws invalid_argument for an unknown id. Rebuilds the
    /// tree: O(size() dim log size()).
    void remove(neighbor_id id) {
        std::vector<bool> gone(size(), false);
        gone[ids_.slot("kd_tree_index::remove", id)] = true;
        erase(gone);
    }

    /// Removes every id of a range; all are checked first (unknown or repeated ids throw
    /// invalid_argument and nothing is removed). One rebuild for the whole range.
    template <class Ids>
        requires std::ranges::input_range<Ids> && std::integral<std::ranges::range_value_t<Ids>>
    void remove(const Ids& ids) {
        std::vector<neighbor_id> list;  // the range may be single-pass
        for (const auto raw : ids) list.push_back(static_cast<neighbor_id>(raw));
        std::vector<bool> gone(size(), false);
        for (const std::size_t s : ids_.removal_slots(list, "kd_tree_index::remove")) gone[s] = true;
        const bool any = !list.empty();
        if (any) erase(gone);
    }

    // ---- persistence: write_to, read_from, save, load, header (index_queries.hpp) ------------

    static constexpr const char* archive_kind = "kd_tree_index";  ///< model kind in archives

private:
    friend class detail::index_queries<kd_tree_index<T, Metric, Allocator>, T, Metric, Allocator>;

    [[nodiscard]] const detail::id_table<Allocator>& id_table_ref() const noexcept { return ids_; }
    void restore_next_id(neighbor_id next) noexcept { ids_.set_next_id(next); }
    // A node covers rows [begin, end) of the leaf order; `right` is its right child's index, or
    // 0 for a leaf (the root is node 0, so no child has index 0). The left child is the next node.
    struct node {
        std::size_t begin;
        std::size_t end;
        std::size_t right;
    };

    using alloc_traits = std::allocator_traits<Allocator>;
    using node_allocator = typename alloc_traits::template rebind_alloc<node>;
    using box_allocator = typename alloc_traits::template rebind_alloc<double>;

    static constexpr bool manhattan_sum = std::is_same_v<Metric, manhattan>;
    // The type of the kernel's sum: Metric::raw's value, before the square root for euclidean.
    using sum_type = std::remove_cvref_t<decltype(std::conditional_t<manhattan_sum, manhattan, sq_euclidean>::raw(
        std::declval<const query_type*>(), std::declval<const T*>(), std::size_t{}))>;

    // The lowering of the double sum described in the header comment. A kernel sum differs from
    // the exact one by at most gamma(d + 2) of it plus 2 (d + 2) half-subnormals; the double sum
    // by gamma(d + 2) of its own, plus its underflow. Doubling the relative terms covers the
    // multiplication and subtraction that apply them. Integer kernels are exact, and so is the
    // double sum of their squared differences (integers below 2^53 for d < 2^37).
    void set_slack() noexcept {
        const std::size_t m = dim_ + 4;
        if constexpr (std::is_integral_v<sum_type>) {
            exact_sum_ = dim_ < (std::size_t{1} << 37);
            shrink_ = 1 - 2 * detail::kd_gamma<double>(m);
            tiny_ = 32.0 * static_cast<double>(m) * std::numeric_limits<double>::denorm_min();
        } else {
            exact_sum_ = false;
            shrink_ = 1 - 2 * (detail::kd_gamma<sum_type>(m) + detail::kd_gamma<double>(m));
            tiny_ = 32.0 * static_cast<double>(m) * static_cast<double>(std::numeric_limits<sum_type>::denorm_min());
        }
    }

    // Pruning compares in the units of the kernel's sum, in double: a node or row is skipped when
    // its lowered sum is above sum_threshold(t), which guarantees a kernel value above t.

    // The double sum of a box's or row's per-column terms, lowered below every kernel sum it
    // bounds (see set_slack). An overflowed sum bounds nothing.
    [[nodiscard]] double lowered(double s) const noexcept {
        if (exact_sum_) return s;
        return s < std::numeric_limits<double>::infinity() ? s * shrink_ - tiny_ : 0.0;
    }

    [[nodiscard]] static double term(double gap) noexcept { return manhattan_sum ? std::abs(gap) : gap * gap; }

    // Below the kernel's sum for the query (in double, exactly) and every row in node n's box.
    // Four partial sums, so the additions do not wait on each other.
    [[nodiscard]] double box_bound(const double* q, std::size_t n) const noexcept {
        const double* lo = boxes_.data() + 2 * dim_ * n;
        const double* hi = lo + dim_;
        const auto gap = [&](std::size_t j) { return std::max(std::max(lo[j] - q[j], q[j] - hi[j]), 0.0); };
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        std::size_t j = 0;
        for (; j + 4 <= dim_; j += 4) {
            s0 += term(gap(j));
            s1 += term(gap(j + 1));
            s2 += term(gap(j + 2));
            s3 += term(gap(j + 3));
        }
        for (; j < dim_; ++j) s0 += term(gap(j));
        return lowered((s0 + s1) + (s2 + s3));
    }

    // The same for one stored row: far cheaper than the kernel call it saves, since that call
    // goes through the run-time dispatch and handles a partial vector for small d.
    [[nodiscard]] double row_bound(const double* q, std::size_t s) const noexcept {
        const T* x = rows_.row(s).data();
        const auto gap = [&](std::size_t j) { return q[j] - detail::kd_coordinate(x[j]); };
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        std::size_t j = 0;
        for (; j + 4 <= dim_; j += 4) {
            s0 += term(gap(j));
            s1 += term(gap(j + 1));
            s2 += term(gap(j + 2));
            s3 += term(gap(j + 3));
        }
        for (; j < dim_; ++j) s0 += term(gap(j));
        return lowered((s0 + s1) + (s2 + s3));
    }

    // A value such that a kernel sum above it gives a metric value above t. For the sums
    // themselves that is t (exactly, in double); for euclidean, whose value is the kernel's
    // rounded square root of the sum, the square of the next value above t, rounded up: a sum
    // at least that large has a square root that cannot round down to t.
    [[nodiscard]] static double sum_threshold(distance_type t) noexcept {
        constexpr double inf = std::numeric_limits<double>::infinity();
        if constexpr (std::is_same_v<Metric, euclidean>) {
            if (t < 0) return -inf;
            const auto up = static_cast<double>(std::nextafter(t, std::numeric_limits<distance_type>::infinity()));
            const double sq = up * up;  // exact for float
            return std::is_same_v<distance_type, float> ? sq : std::nextafter(sq, inf);
        } else if constexpr (std::is_integral_v<distance_type>) {
            auto d = static_cast<double>(t);
            if (d >= 0x1p63) return inf;
            if (static_cast<distance_type>(d) < t) d = std::nextafter(d, inf);  // only beyond 2^53
            return d;
        } else {
            return static_cast<double>(t);
        }
    }

    [[nodiscard]] distance_type pair_value(const query_type* q, std::size_t s) const noexcept {
        return static_cast<distance_type>(Metric::raw(q, rows_.row(s).data(), dim_));
    }

    template <class Rows>
    void check_rows(const Rows& v, const char* where, const char* arg) const {
        detail::check_index_rows(v, dim_, empty(), where, arg);
    }

    // ---- building --------------------------------------------------------------------------

    // The state a build produces, committed only once complete, so that an exception (memory)
    // leaves the index as it was.
    struct built {
        dense_matrix<T, Allocator> rows;
        detail::id_table<Allocator> ids;
        std::vector<node, node_allocator> nodes;
        std::vector<double, box_allocator> boxes;
    };

    template <class Rows>
    void insert(const Rows& v, const std::vector<neighbor_id>& new_ids) {
        const std::size_t dim = dim_ == 0 && empty() ? v.cols() : dim_;
        std::vector<const T*> src;
        std::vector<neighbor_id> ids;
        src.reserve(size() + v.rows());
        ids.reserve(size() + v.rows());
        for (std::size_t s = 0; s < size(); ++s) {
            src.push_back(rows_.row(s).data());
            ids.push_back(ids_[s]);
        }
        for (std::size_t i = 0; i < v.rows(); ++i) {
            src.push_back(v.row(i).data());
            ids.push_back(new_ids[i]);
        }
        commit(build(src, ids, dim), dim);
    }

    void erase(const std::vector<bool>& gone) {
        std::vector<const T*> src;
        std::vector<neighbor_id> ids;
        for (std::size_t s = 0; s < size(); ++s) {
            if (gone[s]) continue;
            src.push_back(rows_.row(s).data());
            ids.push_back(ids_[s]);
        }
        commit(build(src, ids, dim_), dim_);
    }

    void commit(built&& b, std::size_t dim) {
        // The containers of `b` use this index's allocators, so these moves only swap pointers.
        rows_ = std::move(b.rows);
        const neighbor_id next = ids_.next_id();  // removals keep it; reorder raised it for adds
        ids_ = std::move(b.ids);
        ids_.set_next_id(next);
        nodes_ = std::move(b.nodes);
        boxes_ = std::move(b.boxes);
        dim_ = dim;
        set_slack();
    }

    // Builds the tree over rows src[i] (each of `dim` elements) with ids ids[i].
    [[nodiscard]] built build(const std::vector<const T*>& src, const std::vector<neighbor_id>& ids, std::size_t dim) const {
        const std::size_t n = src.size();
        built out{dense_matrix<T, Allocator>(n, dim, row_padding::aligned, rows_.get_allocator()),
                  detail::id_table<Allocator>(rows_.get_allocator()),
                  std::vector<node, node_allocator>(nodes_.get_allocator()),
                  std::vector<double, box_allocator>(boxes_.get_allocator())};
        if (n == 0) return out;
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), std::size_t{0});
        // Median splits leave at least (leaf_size + 1) / 2 rows in every leaf (when n is larger).
        const std::size_t min_leaf = (leaf_size + 1) / 2;
        const std::size_t max_nodes = 2 * ((n + min_leaf - 1) / min_leaf);
        out.nodes.reserve(max_nodes);
        out.boxes.reserve(max_nodes * 2 * dim);
        split(out, src, ids, order, 0, n, dim);
        std::vector<neighbor_id> leaf_ids(n);
        for (std::size_t s = 0; s < n; ++s) {
            const std::size_t from = order[s];
            std::copy_n(src[from], dim, out.rows.row(s).data());
            leaf_ids[s] = ids[from];
        }
        out.ids.reorder(leaf_ids);
        return out;
    }

    // Appends the node for order[begin, end) and, below it, its subtree. The depth is
    // log2(n / leaf_size), since every split halves the rows.
    void split(built& out, const std::vector<const T*>& src, const std::vector<neighbor_id>& ids,
               std::vector<std::size_t>& order, std::size_t begin, std::size_t end, std::size_t dim) const {
        const std::size_t self = out.nodes.size();
        out.nodes.push_back(node{begin, end, 0});
        const std::size_t at = out.boxes.size();
        out.boxes.resize(at + 2 * dim);
        double* lo = out.boxes.data() + at;
        double* hi = lo + dim;
        std::fill_n(lo, dim, std::numeric_limits<double>::infinity());
        std::fill_n(hi, dim, -std::numeric_limits<double>::infinity());
        for (std::size_t i = begin; i < end; ++i) {
            const T* x = src[order[i]];
            for (std::size_t j = 0; j < dim; ++j) {
                const double c = detail::kd_coordinate(x[j]);
                lo[j] = std::min(lo[j], c);
                hi[j] = std::max(hi[j], c);
            }
        }
        const auto first = order.begin() + static_cast<std::ptrdiff_t>(begin);
        const auto last = order.begin() + static_cast<std::ptrdiff_t>(end);
        if (end - begin <= leaf_size) {
            std::sort(first, last, [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
            return;
        }
        std::size_t axis = 0;
        for (std::size_t j = 1; j < dim; ++j) {
            if (hi[j] - lo[j] > hi[axis] - lo[axis]) axis = j;
        }
        const std::size_t mid = begin + (end - begin) / 2;
        std::nth_element(first, order.begin() + static_cast<std::ptrdiff_t>(mid), last, [&](std::size_t a, std::size_t b) {
            const double ca = detail::kd_coordinate(src[a][axis]);
            const double cb = detail::kd_coordinate(src[b][axis]);
            return ca < cb || (ca == cb && ids[a] < ids[b]);
        });
        split(out, src, ids, order, begin, mid, dim);
        out.nodes[self].right = out.nodes.size();
        split(out, src, ids, order, mid, end, dim);
    }

    // ---- searching -------------------------------------------------------------------------

    // Per-thread buffers, reused across the queries of a block.
    struct scratch {
        std::vector<double> query;
        std::vector<std::pair<std::size_t, double>> stack;  // (node, its box_bound)
    };

    // The query in double, for the box bounds (exact for every query type).
    void load_query(const query_type* q, scratch& sc) const {
        sc.query.resize(dim_);
        for (std::size_t j = 0; j < dim_; ++j) sc.query[j] = static_cast<double>(q[j]);
    }

    template <class Rows, class F>
    knn_result<distance_type> search_rows(const Rows& q, std::size_t k, const F& filter, const parallel_options& options) const {
        knn_result<distance_type> out{dense_matrix<neighbor_id>(q.rows(), k), dense_matrix<distance_type>(q.rows(), k)};
        parallel_for_blocks(
            0, q.rows(),
            [&](std::size_t i0, std::size_t i1) {
                scratch sc;
                for (std::size_t i = i0; i < i1; ++i) {
                    detail::top_k<distance_type> best(k, false);
                    nearest(q.row(i).data(), i, filter, best, sc);
                    detail::store_row(out, i, best.take_sorted(), false);
                }
            },
            parallel_options{options.n_threads, options.block_size});
        return out;
    }

    // Depth first, the nearer child first, so the k-th value shrinks early and prunes more.
    // Pruning is strict (bound above the threshold): a row whose value equals the k-th may still
    // enter on a smaller id, so it must be examined.
    template <class F>
    void nearest(const query_type* q, std::size_t qi, const F& filter, detail::top_k<distance_type>& best, scratch& sc) const {
        load_query(q, sc);
        const double* qd = sc.query.data();
        double limit = std::numeric_limits<double>::infinity();  // sum_threshold of the k-th value, once there are k
        sc.stack.clear();
        sc.stack.emplace_back(0, box_bound(qd, 0));
        while (!sc.stack.empty()) {
            const auto [n, bound] = sc.stack.back();
            sc.stack.pop_back();
            if (bound > limit) continue;
            const node& nd = nodes_[n];
            if (nd.right == 0) {
                for (std::size_t s = nd.begin; s < nd.end; ++s) {
                    if (!detail::keeps(filter, qi, ids_[s])) continue;
                    if (best.full() && row_bound(qd, s) > limit) continue;
                    best.push(pair_value(q, s), ids_[s]);
                    if (best.full()) limit = sum_threshold(best.threshold());
                }
                continue;
            }
            const double bl = box_bound(qd, n + 1);
            const double br = box_bound(qd, nd.right);
            // Pushed far first, so the near child is popped next.
            if (bl <= br) {
                if (br <= limit) sc.stack.emplace_back(nd.right, br);
                if (bl <= limit) sc.stack.emplace_back(n + 1, bl);
            } else {
                if (bl <= limit) sc.stack.emplace_back(n + 1, bl);
                if (br <= limit) sc.stack.emplace_back(nd.right, br);
            }
        }
    }

    template <class Rows, class F>
    radius_result<distance_type> radius_rows(const Rows& q, distance_type radius, const F& filter,
                                             const parallel_options& options) const {
        std::vector<std::vector<std::pair<distance_type, neighbor_id>>> hits(q.rows());
        parallel_for_blocks(
            0, q.rows(),
            [&](std::size_t i0, std::size_t i1) {
                scratch sc;
                for (std::size_t i = i0; i < i1; ++i) within(q.row(i).data(), i, radius, filter, hits[i], sc);
            },
            parallel_options{options.n_threads, options.block_size});
        radius_result<distance_type> out;
        std::size_t total = 0;
        for (const auto& h : hits) total += h.size();
        out.offsets.reserve(q.rows() + 1);
        out.ids.reserve(total);
        out.distances.reserve(total);
        for (const auto& h : hits) {
            for (const auto& [v, id] : h) {
                out.ids.push_back(id);
                out.distances.push_back(v);
            }
            out.offsets.push_back(out.ids.size());
        }
        return out;
    }

    template <class F>
    void within(const query_type* q, std::size_t qi, distance_type radius, const F& filter,
                std::vector<std::pair<distance_type, neighbor_id>>& hits, scratch& sc) const {
        load_query(q, sc);
        const double* qd = sc.query.data();
        const double limit = sum_threshold(radius);
        sc.stack.clear();
        if (box_bound(qd, 0) <= limit) sc.stack.emplace_back(0, 0.0);
        while (!sc.stack.empty()) {
            const std::size_t n = sc.stack.back().first;
            sc.stack.pop_back();
            const node& nd = nodes_[n];
            if (nd.right != 0) {
                for (const std::size_t child : {nd.right, n + 1}) {
                    if (box_bound(qd, child) <= limit) sc.stack.emplace_back(child, 0.0);
                }
                continue;
            }
            for (std::size_t s = nd.begin; s < nd.end; ++s) {
                if (!detail::keeps(filter, qi, ids_[s])) continue;
                if (row_bound(qd, s) > limit) continue;
                const distance_type v = pair_value(q, s);
                if (v <= radius) hits.emplace_back(v, ids_[s]);
            }
        }
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
            return detail::ranks_before(a.first, a.second, b.first, b.second, false);
        });
    }

    Metric metric_;
    std::size_t dim_ = 0;
    dense_matrix<T, Allocator> rows_;         // in leaf order
    detail::id_table<Allocator> ids_;            // ids_[s] is the id of rows_.row(s)
    std::vector<node, node_allocator> nodes_;     // preorder; empty when the index is
    std::vector<double, box_allocator> boxes_;    // node n: low corner at 2 dim n, high corner after it
    double shrink_ = 1;       // see set_slack
    double tiny_ = 0;
    bool exact_sum_ = false;
};

}  // namespace tessera
