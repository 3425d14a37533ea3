/// \file
/// tessera/neighbors/index_queries.hpp - the public calls every exact index answers the same way,
/// written once: the argument checks of search, search_one, radius_search and knn_graph, and
/// save/load through the archive. An index derives from index_queries<Index, T, Metric, Alloc>
/// (CRTP) and supplies how it searches (search_rows, radius_rows), its storage (size, dim, ids,
/// rows, metric, get_allocator), add(rows, ids) and restore_next_id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/matrix_view.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/neighbors/common.hpp"
#include "tessera/neighbors/id_table.hpp"

namespace tessera::detail {

/// The queries and persistence that knn_index and kd_tree_index share (their public search,
/// search_one, radius_search, knn_graph, save and load members): argument checks written once,
/// the search itself left to the index. Users name the index classes, never this base.
///
/// Thread safety: every member is const or static, so any number may run concurrently on one
/// index, but not alongside add or another non-const member of the index.
template <class Index, class T, class Metric, class Allocator>
class index_queries {
public:
    /// The element type of queries: T, except float for rows of half or bfloat16.
    using query_type = query_type_t<T>;
    /// The type of the distances (or similarities) that searches return.
    using distance_type = distance_type_t<Metric, query_type, T>;

    /// The k best rows for each query, best first, ties to the smaller id (see common.hpp for
    /// the order, and the index's header for how it searches). `filter`, if given, is called as
    /// filter(query_index, id) or filter(id) and excludes the rows it rejects; rows it leaves
    /// fewer than k give no_neighbor slots. Throws invalid_argument (k = 0, k > size(), an empty
    /// index, NaN or Inf in the queries) or dimension_mismatch (query width).
    template <dense_input Q, neighbor_filter F = no_filter>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] knn_result<distance_type> search(const Q& queries, std::size_t k, const F& filter = F(),
                                                   const parallel_options& options = {}) const {
        const std::string where = name("search");
        const auto q = as_rows(queries, where, "queries");
        check_index_queries(q, self().size(), self().dim(), where);
        require_k(k, self().size(), where);
        check_parallel_options(options, where.c_str());
        return self().search_rows(q, k, filter, options);
    }

    /// search() for one query; returns (id, distance) pairs best first.
    template <neighbor_filter F = no_filter>
    [[nodiscard]] std::vector<std::pair<neighbor_id, distance_type>> search_one(std::span<const query_type> query,
                                                                                 std::size_t k, const F& filter = F()) const {
        const matrix_view<const query_type> q(query.data(), 1, query.size());
        const auto r = search(q, k, filter, parallel_options{1, 0});
        std::vector<std::pair<neighbor_id, distance_type>> out;
        for (std::size_t j = 0; j < k && r.ids(0, j) != no_neighbor; ++j) out.emplace_back(r.ids(0, j), r.distances(0, j));
        return out;
    }

    /// Every row within `radius` of each query: value <= radius, or, for a similarity metric,
    /// value >= radius. Best first, ties to the smaller id. Same errors as search (except k), and
    /// invalid_argument for a radius that is not finite.
    template <dense_input Q, neighbor_filter F = no_filter>
        requires std::is_same_v<dense_value_t<Q>, query_type>
    [[nodiscard]] radius_result<distance_type> radius_search(const Q& queries, distance_type radius, const F& filter = F(),
                                                             const parallel_options& options = {}) const {
        const std::string where = name("radius_search");
        const auto q = as_rows(queries, where, "queries");
        check_index_queries(q, self().size(), self().dim(), where);
        check_parallel_options(options, where.c_str());
        if (!finite_value(radius)) throw_argument(where, "radius", "is not finite");
        return self().radius_rows(q, radius, filter, options);
    }

    /// The k nearest other rows of every stored row (a row is never its own neighbour), in
    /// storage order: row i of the result belongs to ids()[i]. Throws invalid_argument unless
    /// 1 <= k < size(). Not available for rows of half or bfloat16 (queries are float there).
    template <class Q = query_type>
        requires std::is_same_v<Q, T>
    [[nodiscard]] knn_result<distance_type> knn_graph(std::size_t k, const parallel_options& options = {}) const {
        const std::string where = name("knn_graph");
        require_nonempty_index(self().size(), where);
        if (self().size() < 2) throw_argument(where, "index", "needs at least 2 rows");
        require_k(k, self().size() - 1, where);
        check_parallel_options(options, where.c_str());
        const std::span<const neighbor_id> ids = self().ids();
        const auto not_self = [ids](std::size_t query, neighbor_id id) { return ids[query] != id; };
        return self().search_rows(self().rows(), k, not_self, options);
    }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr std::uint32_t schema_version = 1;  ///< version of the index's archive payload

    /// Writes the index (metric name, width, next dense id, ids, rows in storage order) to an
    /// archive. Search structures are not stored: loading rebuilds them from the rows.
    void write_to(archive_writer& w) const {
        w.write_string(metric_name<Metric>());
        w.write<std::uint64_t>(self().dim());
        self().id_table_ref().write_to(w);
        w.write_matrix(self().rows());
    }

    /// Reads an index written by write_to. Throws format_error for a corrupt payload (another
    /// metric, ids that repeat or are negative, rows of the wrong shape or not finite, a next id
    /// not above every id, bytes left over).
    [[nodiscard]] static Index read_from(archive_reader& r, Metric metric = Metric(), const Allocator& alloc = Allocator()) {
        const std::string kind = Index::archive_kind;
        const std::string saved = r.read_string("metric");
        if (saved != metric_name<Metric>()) {
            r.fail(kind + ": saved with metric '" + saved + "', loading as '" + metric_name<Metric>() + "'");
        }
        const auto dim = r.read<std::uint64_t>("dim");
        const auto [next, ids] = id_table<Allocator>::read_from(r, kind);
        dense_matrix<T, Allocator> rows(alloc);
        try {
            rows = r.read_matrix<T, Allocator>("rows", row_padding::aligned, alloc);
        } catch (const tessera::invalid_argument& e) {  // a shape too large to allocate
            r.fail(kind + ": " + e.what());
        }
        r.expect_end();
        if (rows.rows() != ids.size()) {
            r.fail(kind + ": " + std::to_string(ids.size()) + " ids for " + std::to_string(rows.rows()) + " rows");
        }
        if (rows.cols() != dim && !(ids.empty() && rows.cols() == 0)) {
            r.fail(kind + ": rows have " + std::to_string(rows.cols()) + " columns, dim is " + std::to_string(dim));
        }
        Index index(static_cast<std::size_t>(dim), std::move(metric), alloc);
        try {
            index.add(matrix_view<const T>(rows.view()), ids);
        } catch (const tessera::invalid_argument& e) {
            r.fail(kind + ": " + e.what());
        }
        index.restore_next_id(next);
        return index;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp).
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error (anything
    /// else wrong: another kind, element type or metric, truncation, corruption).
    [[nodiscard]] static Index load(const std::filesystem::path& path, Metric metric = Metric(),
                                    const Allocator& alloc = Allocator()) {
        return load_archive<Index>(path, std::move(metric), alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, element
    /// type, id type.
    [[nodiscard]] static archive_header header() {
        return archive_header{Index::archive_kind, schema_version, archive_type<T>::tag, archive_type<neighbor_id>::tag};
    }

    /// \cond
protected:
    index_queries() = default;

    [[nodiscard]] static std::string name(const char* function) {
        return std::string(Index::archive_kind) + "::" + function;
    }

private:
    [[nodiscard]] const Index& self() const noexcept { return static_cast<const Index&>(*this); }
    /// \endcond
};

}  // namespace tessera::detail
