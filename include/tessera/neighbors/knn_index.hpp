/// \file
/// tessera/neighbors/knn_index.hpp - exact k-nearest-neighbour search by brute force, batched
/// through the distance kernels.
///
/// ```cpp
///   tessera::knn_index<float> index(128);            // squared Euclidean by default
///   index.add(base);                                 // ids 0, 1, 2, ... (or add(rows, ids))
///   auto r = index.search(queries, 10);              // r.ids, r.distances: queries x 10
/// ```
///
/// How a batch is searched. For float and double rows with a dot-product metric (squared
/// Euclidean, Euclidean, cosine, inner products), blocks of queries meet blocks of rows in the
/// register-tiled many-to-many kernel, and distances follow from precomputed norms
/// (||q||^2 + ||x||^2 - 2 q.x). That expanded form rounds differently from the metric's own
/// one-to-one kernel, so each query keeps k + extra candidates, recomputes their distances with
/// the metric itself, and keeps the best k. A rigorous bound on the difference between the two
/// forms (see expanded_error) then proves that no row outside the candidates could have entered
/// the top k; when it cannot prove it (many near-equal distances), that query is searched again
/// row by row. Results therefore equal an exhaustive search with the metric object: the same
/// distances, the same ids, ties going to the smaller id. Other element types (int8, uint8,
/// bfloat16, half) and other metrics (Manhattan, user-defined) run the metric on each pair,
/// blocked so that a block of rows stays in cache while a block of queries passes over it.
///
/// Parallelism: query blocks run through parallel_for. Every query's result is computed by one
/// thread from values that do not depend on the blocking, so results are identical for any
/// thread count. Thread safety: const member functions may run concurrently; add and remove
/// must not run concurrently with anything else on the same index.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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
#include "tessera/distance/pairwise.hpp"
#include "tessera/neighbors/common.hpp"
#include "tessera/neighbors/id_table.hpp"
#include "tessera/neighbors/index_queries.hpp"
#include "tessera/simd/select.hpp"

namespace tessera {

namespace detail {
/// \cond

// Metrics the batched path computes from dot products, and how each is ranked there.
template <class M>
inline constexpr bool l2_family = std::is_same_v<M, sq_euclidean> || std::is_same_v<M, euclidean>;

template <class T, class M>
inline constexpr bool expanded_search = simd::kernel_float<T> && dot_based_metric<M>;

// gamma(m) = m u / (1 - m u), the classical bound factor for m roundings (Higham).
template <class T>
[[nodiscard]] inline double gamma_bound(std::size_t m) noexcept {
    const double u = static_cast<double>(std::numeric_limits<T>::epsilon()) / 2;
    const double mu = static_cast<double>(m) * u;
    return mu / (1 - mu);
}

// An upper bound on |expanded value - one-to-one value| for a query of squared norm nq against
// any row whose squared norm is at most n_max, in the units the expanded search ranks by
// (squared distance for the L2 family, the metric's value otherwise). Each side is a dot-like
// sum of d products (gamma(d + 2) per the bound in simd/kernels.hpp), plus the norms and the
// few operations that combine them; the factors below cover all of these with margin.
template <class T, class M>
[[nodiscard]] double expanded_error(double nq, double n_max, std::size_t d) noexcept {
    const double g = gamma_bound<T>(d + 4);
    const double tiny = 16.0 * static_cast<double>(d + 4) * static_cast<double>(std::numeric_limits<T>::denorm_min());
    if constexpr (l2_family<M>) {
        const double s = std::sqrt(nq) + std::sqrt(n_max);
        return 3.0 * g * s * s + tiny;
    } else if constexpr (std::is_same_v<M, cosine_distance>) {
        return 6.0 * g + tiny;
    } else {
        return 3.0 * g * std::sqrt(nq * n_max) + tiny;
    }
}

/// \endcond
}  // namespace detail

/// Exact k-nearest-neighbour index over rows of T (float, double, int8, uint8, bfloat16, half,
/// or any type the metric accepts), compared with a metric object (sq_euclidean by default, or
/// any distance_metric, user-defined ones included). Queries have element type
/// query_type_t<T>: float for bfloat16 and half rows, T otherwise.
template <class T, class Metric = sq_euclidean, class Allocator = std::allocator<T>>
    requires distance_metric<Metric, query_type_t<T>, T>
class knn_index : public detail::index_queries<knn_index<T, Metric, Allocator>, T, Metric, Allocator> {
public:
    using value_type = T;                ///< element type of the stored rows
    using query_type = query_type_t<T>;  ///< element type of queries (float for bfloat16 and half rows)
    using metric_type = Metric;          ///< the metric
    using allocator_type = Allocator;    ///< allocator of the stored rows
    /// What search reports: the metric's own value type (float for float rows, std::int64_t for
    /// squared Euclidean on bytes, double for Euclidean on bytes, ...).
    using distance_type = distance_type_t<Metric, query_type, T>;

    /// An empty index of `dim` columns; 0 takes the width of the first rows added.
    explicit knn_index(std::size_t dim = 0, Metric metric = Metric(), const Allocator& alloc = Allocator())
        : metric_(std::move(metric)),
          dim_(dim),
          rows_(alloc),
          ids_(alloc),
          norms_(norm_allocator(alloc)),
          scan_w_(norm_allocator(alloc)) {}

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

    /// The id of each stored row, in storage order (which removals change).
    [[nodiscard]] std::span<const neighbor_id> ids() const noexcept { return ids_.ids(); }
    /// Whether a row with this id is stored. Expected O(1) (a hash lookup).
    [[nodiscard]] bool contains(neighbor_id id) const { return ids_.contains(id); }

    /// The stored row with this id. Throws tessera::invalid_argument for an unknown id.
    [[nodiscard]] std::span<const T> row(neighbor_id id) const { return rows_.row(ids_.slot("knn_index::row", id)); }

    /// The rows in storage order, as a view (valid until the next add or remove).
    [[nodiscard]] matrix_view<const T> rows() const noexcept { return rows_.view(); }

    /// Appends rows with dense ids: one more than the largest id so far (0 for the first row),
    /// in order. Returns the first id assigned. Any dense_input of T with dim() columns.
    /// Throws dimension_mismatch (wrong width), invalid_argument (NaN or Inf). Nothing is added
    /// when it throws. O(rows * dim).
    template <dense_input X>
        requires std::is_same_v<dense_value_t<X>, T>
    neighbor_id add(const X& rows) {
        const auto v = as_rows(rows, "knn_index::add", "rows");
        check_rows(v, "knn_index::add", "rows");
        const auto new_ids = ids_.dense_ids(v.rows(), "knn_index::add");
        append_all(v, new_ids);
        return new_ids.empty() ? ids_.next_id() : new_ids.front();
    }

    /// Appends rows with the caller's ids (non-negative, unique, not already present). Throws
    /// invalid_argument for a bad or repeated id, dimension_mismatch for a length or width
    /// mismatch; nothing is added when it throws. O(rows * dim).
    template <dense_input X, class Ids>
        requires std::is_same_v<dense_value_t<X>, T> && std::ranges::sized_range<Ids> &&
                 std::integral<std::ranges::range_value_t<Ids>>
    void add(const X& rows, const Ids& ids) {
        const auto v = as_rows(rows, "knn_index::add", "rows");
        check_rows(v, "knn_index::add", "rows");
        append_all(v, ids_.user_ids(ids, v.rows(), "knn_index::add"));
    }

    /// Removes the row with this id (the last row takes its storage slot). Throws
    /// invalid_argument for an unknown id. O(dim).
    void remove(neighbor_id id) { erase_slot(ids_.slot("knn_index::remove", id)); }

    /// Removes every id of a range; all are checked first (unknown or repeated ids throw
    /// invalid_argument and nothing is removed). O(ids * dim).
    template <class Ids>
        requires std::ranges::input_range<Ids> && std::integral<std::ranges::range_value_t<Ids>>
    void remove(const Ids& ids) {
        std::vector<neighbor_id> list;  // the range may be single-pass
        for (const auto raw : ids) list.push_back(static_cast<neighbor_id>(raw));
        (void)ids_.removal_slots(list, "knn_index::remove");  // checks every id first
        for (const neighbor_id id : list) erase_slot(ids_.slot("knn_index::remove", id));
    }

    // ---- persistence: write_to, read_from, save, load, header (index_queries.hpp) ------------

    static constexpr const char* archive_kind = "knn_index";  ///< model kind in archives

private:
    friend class detail::index_queries<knn_index<T, Metric, Allocator>, T, Metric, Allocator>;

    [[nodiscard]] const detail::id_table<Allocator>& id_table_ref() const noexcept { return ids_; }
    void restore_next_id(neighbor_id next) noexcept { ids_.set_next_id(next); }
    using alloc_traits = std::allocator_traits<Allocator>;
    using norm_allocator = typename alloc_traits::template rebind_alloc<T>;
    static constexpr bool expanded = detail::expanded_search<T, Metric>;
    static constexpr bool similarity = Metric::traits.is_similarity;
    static constexpr std::size_t query_block = 72;            // queries per task: whole 6- and 12-row tiles
    static constexpr std::size_t row_block = 1024;            // rows packed at a time (expanded path)
    static constexpr std::size_t expanded_min_queries = 32;   // fewer queries go row by row
    static constexpr std::size_t scan_queries = 16;  // queries per task on the pairwise path
    static constexpr std::size_t scan_rows = 256;    // rows kept in cache on the pairwise path

    [[nodiscard]] static std::string metric_name() { return detail::metric_name<Metric>(); }

    template <class Rows>
    void check_rows(const Rows& v, const char* where, const char* arg) const {
        detail::check_index_rows(v, dim_, empty(), where, arg);
    }

    template <class Rows>
    void append_all(const Rows& v, const std::vector<neighbor_id>& new_ids) {
        if (new_ids.empty()) return;
        if (aliases_storage(v)) {  // growing the storage would free the rows being read
            dense_matrix<T> copy(v.rows(), v.cols());
            for (std::size_t i = 0; i < v.rows(); ++i) std::copy(v.row(i).begin(), v.row(i).end(), copy.row(i).begin());
            append_all(copy.view(), new_ids);
            return;
        }
        ids_.reserve(new_ids.size());
        if constexpr (expanded) {
            norms_.reserve(norms_.size() + new_ids.size());
            scan_w_.reserve(scan_w_.size() + new_ids.size());
        }
        for (std::size_t i = 0; i < new_ids.size(); ++i) append(v.row(i), new_ids[i]);
    }

    // Whether any of the rows lies in this index's own storage (index.add(index.rows())).
    template <class Rows>
    [[nodiscard]] bool aliases_storage(const Rows& v) const noexcept {
        if (rows_.rows() == 0) return false;
        const T* begin = rows_.data();
        const T* end = rows_.data() + rows_.rows() * rows_.stride();
        for (std::size_t i = 0; i < v.rows(); ++i) {
            const T* p = v.row(i).data();
            if (std::less_equal<const T*>()(begin, p) && std::less<const T*>()(p, end)) return true;
        }
        return false;
    }

    void append(std::span<const T> values, neighbor_id id) {
        if (empty() && dim_ == 0) dim_ = values.size();
        rows_.append_row(values);
        ids_.append(id);
        if constexpr (expanded) {
            const T n = simd::dot(values.data(), values.data(), values.size());
            norms_.push_back(n);
            scan_w_.push_back(std::is_same_v<Metric, cosine_distance> ? (n > T(0) ? T(1) / std::sqrt(n) : T(0)) : n);
            max_norm_ = std::max(max_norm_, static_cast<double>(n));
        }
    }

    // The last row moves into slot s (ids, rows and per-row terms alike).
    void erase_slot(std::size_t s) {
        const std::size_t last = size() - 1;
        if (s != last) {
            const auto src = rows_.row(last);
            std::copy(src.begin(), src.end(), rows_.row(s).begin());
            if constexpr (expanded) {
                norms_[s] = norms_[last];
                scan_w_[s] = scan_w_[last];
            }
        }
        ids_.erase_slot(s);
        rows_.resize_rows(last);
        if constexpr (expanded) {  // max_norm_ stays an upper bound
            norms_.pop_back();
            scan_w_.pop_back();
        }
    }

    // The metric on one pair through its unchecked kernel when it has one.
    [[nodiscard]] distance_type pair_value(const query_type* q, std::size_t s) const {
        if constexpr (requires { Metric::raw(q, rows_.row(s).data(), dim_); }) {
            return static_cast<distance_type>(Metric::raw(q, rows_.row(s).data(), dim_));
        } else {
            return static_cast<distance_type>(metric_(std::span<const query_type>(q, dim_), rows_.row(s)));
        }
    }

    template <class Rows, class F>
    knn_result<distance_type> search_rows(const Rows& q, std::size_t k, const F& filter, const parallel_options& options) const {
        knn_result<distance_type> out{dense_matrix<neighbor_id>(q.rows(), k), dense_matrix<distance_type>(q.rows(), k)};
        if constexpr (expanded) {
            // Packing a block of rows costs about what one query costs against it, so a few
            // queries are cheaper row by row (and exact without re-ranking).
            if (q.rows() >= expanded_min_queries && expanded_in_range(q)) {
                expanded_search(q, k, filter, options, out);
                return out;
            }
        }
        parallel_for_blocks(
            0, (q.rows() + scan_queries - 1) / scan_queries,
            [&](std::size_t b0, std::size_t b1) {
                for (std::size_t b = b0; b < b1; ++b) {
                    const std::size_t first = b * scan_queries;
                    pairwise_block(q, first, std::min(q.rows(), first + scan_queries), k, filter, out);
                }
            },
            parallel_options{options.n_threads, 1});
        return out;
    }

    // Pairwise path: a block of rows stays in cache while the block of queries passes over it.
    template <class Rows, class F>
    void pairwise_block(const Rows& q, std::size_t first, std::size_t last, std::size_t k, const F& filter,
                        knn_result<distance_type>& out) const {
        std::vector<detail::top_k<distance_type>> best(last - first, detail::top_k<distance_type>(k, similarity));
        for (std::size_t r0 = 0; r0 < ids_.size(); r0 += scan_rows) {
            const std::size_t r1 = std::min(ids_.size(), r0 + scan_rows);
            for (std::size_t i = first; i < last; ++i) {
                const query_type* qp = q.row(i).data();
                auto& h = best[i - first];
                for (std::size_t s = r0; s < r1; ++s) {
                    if (!detail::keeps(filter, i, ids_[s])) continue;
                    h.push(pair_value(qp, s), ids_[s]);
                }
            }
        }
        for (std::size_t i = first; i < last; ++i) detail::store_row(out, i, best[i - first].take_sorted(), similarity);
    }

    // The value the expanded path ranks by: squared distance for the L2 family, the metric's
    // value otherwise, from a dot product and the two squared norms.
    [[nodiscard]] static T expanded_value(T dot, T nq, T nx) noexcept {
        if constexpr (detail::l2_family<Metric>) {
            return std::max(T(0), (nq + nx) - T(2) * dot);  // as simd::scan_form::l2 computes it
        } else if constexpr (std::is_same_v<Metric, cosine_distance>) {
            return cosine_distance::from_parts(dot, nq, nx);
        } else if constexpr (std::is_same_v<Metric, negative_inner_product>) {
            return -dot;
        } else {
            return dot;
        }
    }

    // The metric's own value in the same units as expanded_value (squared for euclidean).
    [[nodiscard]] T exact_value(const T* q, std::size_t s) const noexcept {
        if constexpr (std::is_same_v<Metric, euclidean>) {
            return sq_euclidean::raw(q, rows_.row(s).data(), dim_);
        } else {
            return Metric::raw(q, rows_.row(s).data(), dim_);
        }
    }

    [[nodiscard]] static distance_type reported(T v) noexcept {
        if constexpr (std::is_same_v<Metric, euclidean>) {
            return std::sqrt(v);
        } else {
            return v;
        }
    }

    // Whether ||q||^2 + ||x||^2 + 2 |q.x| stays far from overflow for every query and row, so
    // that the expanded form is finite (overflowing sums would be inf or NaN, which cannot be
    // ranked; such batches go row by row).
    template <class Rows>
    [[nodiscard]] bool expanded_in_range(const Rows& q) const {
        double largest = 0;
        for (std::size_t i = 0; i < q.rows(); ++i) {
            const auto r = q.row(i);
            largest = std::max(largest, static_cast<double>(simd::dot(r.data(), r.data(), r.size())));
        }
        const double s = std::sqrt(largest) + std::sqrt(max_norm_);
        return std::isfinite(s) && s * s < static_cast<double>(std::numeric_limits<T>::max()) / 8;
    }

    // Expanded path: each block of rows is packed once for the micro-kernel, then blocks of
    // queries (in parallel) take their dot products with it and keep k + extra candidates by
    // the expanded value; finally each query re-ranks its candidates with the metric itself and
    // proves the result exact (or rescans), as the header comment describes.
    template <class Rows, class F>
    void expanded_search(const Rows& q, std::size_t k, const F& filter, const parallel_options& options,
                         knn_result<distance_type>& out) const {
        const std::size_t nq = q.rows();
        const std::size_t n = ids_.size();
        const std::size_t keep = std::min(n, k + std::max<std::size_t>(k, 16));
        dense_matrix<T> queries(nq, dim_);
        std::vector<T> qnorm(nq);
        for (std::size_t i = 0; i < nq; ++i) {
            const auto src = q.row(i);
            std::copy(src.begin(), src.end(), queries.row(i).begin());
            qnorm[i] = simd::dot(queries.row(i).data(), queries.row(i).data(), dim_);
        }
        std::vector<detail::top_k<T>> cand(nq, detail::top_k<T>(keep, similarity));
        const std::size_t blocks = (nq + query_block - 1) / query_block;
        const parallel_options per_block{options.n_threads, 1};
        detail::packed_rows<T> packed;
        for (std::size_t r0 = 0; r0 < n; r0 += row_block) {
            const std::size_t r1 = std::min(n, r0 + row_block);
            packed.pack(rows_.view().row_block(r0, r1 - r0), per_block);
            parallel_for_blocks(
                0, blocks,
                [&](std::size_t b0, std::size_t b1) {
                    // Scratch kept per thread across calls: a fresh 256 KiB block per task and
                    // row block would be a fresh mapping, and its page faults cost more than the scan.
                    static thread_local std::vector<T> dots;
                    static thread_local std::vector<std::uint32_t> hits;
                    dots.resize(query_block * row_block);
                    hits.resize(row_block);
                    for (std::size_t b = b0; b < b1; ++b) {
                        const std::size_t first = b * query_block;
                        const std::size_t count = std::min(nq, first + query_block) - first;
                        const matrix_view<T> dv(dots.data(), count, r1 - r0, row_block);
                        packed.dots(queries.view().row_block(first, count), dv);
                        for (std::size_t i = first; i < first + count; ++i) {
                            auto& h = cand[i];
                            const T* drow = dots.data() + (i - first) * row_block;
                            const std::size_t found = scan_block(drow, r0, r1, qnorm[i], h.threshold(), hits.data());
                            for (std::size_t c = 0; c < found; ++c) {
                                const std::size_t s = r0 + hits[c];
                                if (!detail::keeps(filter, i, ids_[s])) continue;
                                h.push(expanded_value(drow[hits[c]], qnorm[i], norms_[s]), ids_[s]);
                            }
                        }
                    }
                },
                per_block);
        }
        parallel_for_blocks(
            0, nq,
            [&](std::size_t i0, std::size_t i1) {
                detail::top_k<T> exact(k, similarity);
                for (std::size_t i = i0; i < i1; ++i) {
                    const T* qp = queries.row(i).data();
                    const auto found = cand[i].take_sorted();
                    exact.clear();
                    // Ranked by the value reported (for euclidean the square root, which can make
                    // two different squares equal: then the smaller id must win).
                    for (const auto& [value, id] : found) {
                        exact.push(reported(exact_value(qp, ids_.slot("knn_index::search", id))), id);
                    }
                    auto best = exact.take_sorted();
                    // A heap that never filled holds every row the filter kept: nothing to prove.
                    if (found.size() == keep && !proven(found, best, k, static_cast<double>(qnorm[i]))) {
                        exact = detail::top_k<T>(k, similarity);
                        for (std::size_t s = 0; s < n; ++s) {
                            if (detail::keeps(filter, i, ids_[s])) exact.push(reported(exact_value(qp, s)), ids_[s]);
                        }
                        best = exact.take_sorted();
                    }
                    std::vector<std::pair<distance_type, neighbor_id>> row;
                    row.reserve(best.size());
                    for (const auto& [v, id] : best) row.emplace_back(v, id);
                    detail::store_row(out, i, row, similarity);
                }
            },
            parallel_options{options.n_threads, 64});
    }

    // The rows of [r0, r1) whose expanded value can still enter a top-k list whose current
    // worst is `threshold`, by the vector scan of simd/select.hpp (a superset: see there).
    std::size_t scan_block(const T* dots, std::size_t r0, std::size_t r1, T qnorm, T threshold,
                           std::uint32_t* hits) const noexcept {
        const std::size_t m = r1 - r0;
        if constexpr (detail::l2_family<Metric>) {
            return simd::scan_within<simd::scan_form::l2>(dots, scan_w_.data() + r0, m, qnorm, T(1), threshold, hits);
        } else if constexpr (std::is_same_v<Metric, cosine_distance>) {
            // The scan's cosine rounds differently from from_parts (a few ulps of values in
            // [0, 2]); the margin keeps it a superset. Zero queries rank every row at 1.
            const T inv_q = qnorm > T(0) ? T(1) / std::sqrt(qnorm) : T(0);
            const T margin = T(16) * std::numeric_limits<T>::epsilon();
            return simd::scan_within<simd::scan_form::cosine>(dots, scan_w_.data() + r0, m, inv_q, T(1),
                                                              threshold + margin, hits);
        } else if constexpr (similarity) {  // inner_product: value >= threshold, i.e. -dot <= -threshold
            return simd::scan_within<simd::scan_form::dot>(dots, static_cast<const T*>(nullptr), m, T(0), T(-1),
                                                           -threshold, hits);
        } else {  // negative_inner_product: -dot <= threshold
            return simd::scan_within<simd::scan_form::dot>(dots, static_cast<const T*>(nullptr), m, T(0), T(-1),
                                                           threshold, hits);
        }
    }

    // Whether the candidates provably contain the true top k: every row outside them has an
    // expanded value no better than the worst candidate's, hence a true value no better than
    // that minus the error bound, which must still rank after the k-th true value.
    // `best` holds reported values; for euclidean the comparison runs on squares, against the
    // smallest square whose root could not round to the k-th value (u^2, u the next
    // representable value above it), so that no row outside can even tie with it.
    [[nodiscard]] bool proven(const std::vector<std::pair<T, neighbor_id>>& found,
                              const std::vector<std::pair<T, neighbor_id>>& best, std::size_t k, double qnorm) const {
        if (best.size() < k) return false;
        const double worst_candidate = static_cast<double>(found.back().first);
        double kth = static_cast<double>(best[k - 1].first);
        if constexpr (std::is_same_v<Metric, euclidean>) {
            const double u = static_cast<double>(std::nextafter(best[k - 1].first, std::numeric_limits<T>::infinity()));
            kth = u * u * (1 + 4 * std::numeric_limits<double>::epsilon());
        }
        const double e = detail::expanded_error<T, Metric>(qnorm, max_norm_, dim_);
        if (!std::isfinite(worst_candidate) || !std::isfinite(kth) || !std::isfinite(e)) return false;
        if constexpr (std::is_same_v<Metric, euclidean>) return worst_candidate - e >= kth;
        return similarity ? worst_candidate + e < kth : worst_candidate - e > kth;
    }

    template <class Rows, class F>
    radius_result<distance_type> radius_rows(const Rows& q, distance_type radius, const F& filter,
                                             const parallel_options& options) const {
        // Per query: every row whose metric value is within the radius, by the metric itself.
        std::vector<std::vector<std::pair<distance_type, neighbor_id>>> hits(q.rows());
        parallel_for_blocks(
            0, q.rows(),
            [&](std::size_t i0, std::size_t i1) {
                std::vector<query_type> qbuf(dim_);
                for (std::size_t i = i0; i < i1; ++i) {
                    const auto src = q.row(i);
                    std::copy(src.begin(), src.end(), qbuf.begin());
                    auto& h = hits[i];
                    for (std::size_t s = 0; s < ids_.size(); ++s) {
                        if (!detail::keeps(filter, i, ids_[s])) continue;
                        const distance_type v = pair_value(qbuf.data(), s);
                        if (similarity ? v >= radius : v <= radius) h.emplace_back(v, ids_[s]);
                    }
                    std::sort(h.begin(), h.end(), [](const auto& a, const auto& b) {
                        return detail::ranks_before(a.first, a.second, b.first, b.second, similarity);
                    });
                }
            },
            parallel_options{options.n_threads, 16});
        radius_result<distance_type> out;
        out.offsets.reserve(q.rows() + 1);
        for (const auto& h : hits) {
            for (const auto& [v, id] : h) {
                out.ids.push_back(id);
                out.distances.push_back(v);
            }
            out.offsets.push_back(out.ids.size());
        }
        return out;
    }

    Metric metric_;
    std::size_t dim_ = 0;
    dense_matrix<T, Allocator> rows_;
    detail::id_table<Allocator> ids_;
    std::vector<T, norm_allocator> norms_;   // squared norms (expanded path only)
    std::vector<T, norm_allocator> scan_w_;  // per-row term of the candidate scan (see simd/select.hpp)
    double max_norm_ = 0;  // the largest squared norm ever stored (an upper bound after removals)
};

}  // namespace tessera
