/// \file
/// tessera/io/ratings.hpp - user,item,rating triplet files (goodbooks-10k, MovieLens-style CSV)
/// into a sparse users x items matrix, with the external ids mapped to dense indices and back.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/io/byte_source.hpp"
#include "tessera/io/text_reader.hpp"

namespace tessera {

/// How external ids are numbered.
enum class id_order {
    /// Ascending id (numeric for integer ids, byte-wise for strings): the numbering depends only
    /// on the set of ids, not on the order of the lines.
    sorted,
    /// In the order the ids first appear in the file.
    first_seen,
};

/// What to do when a (user, item) pair appears on more than one line.
enum class duplicate_ratings {
    /// format_error naming both lines. The safe default for explicit ratings: a repeated pair
    /// is usually a merge or export mistake, and neither summing nor picking one is right.
    reject,
    /// Add the values (in file order), as csr_matrix::from_triplets does: for implicit feedback
    /// such as play or click counts, where each line is one more event.
    sum,
    /// Keep the value of the last line: for time-ordered logs in which a user re-rates an item.
    keep_last,
};

/// How read_ratings reads a file. The defaults read `user,item,rating` lines with an optional
/// header (detected) and integer ids.
struct ratings_options {
    /// Field separator. Not a double quote, line feed, carriage return or NUL.
    char delimiter = ',';
    /// `detect`: the first non-blank line is a header if its rating field is not written as a
    /// number, or (integer ids) a user or item field is not written as an integer. With string
    /// ids and no rating column nothing can tell: say `present` or `absent`.
    header_row header = header_row::detect;
    /// 0-based columns. Other columns (e.g. a timestamp) are ignored, but every line must have
    /// as many fields as the first one.
    std::size_t user_column = 0;
    std::size_t item_column = 1;  ///< see user_column
    /// No rating column (implicit feedback, `user,item` pairs): every pair gets the value 1.
    std::optional<std::size_t> rating_column = 2;
    id_order order = id_order::sorted;  ///< how ids are numbered
    duplicate_ratings duplicates = duplicate_ratings::reject;  ///< what a repeated (user, item) pair does
    /// Longest accepted line, in bytes.
    std::size_t max_line_length = default_max_line_length;
};

/// A bijection between external ids and dense indices 0..size()-1.
/// Thread safety: const member functions may be called concurrently.
template <class Id, class Index = std::int32_t>
class id_map {
public:
    /// An empty map.
    id_map() = default;
    /// `ids` in index order; they must be distinct (checked: tessera::invalid_argument).
    explicit id_map(std::vector<Id> ids) : ids_(std::move(ids)) {
        if (ids_.size() > static_cast<std::size_t>(std::numeric_limits<Index>::max())) {
            detail::throw_argument("id_map", "ids", std::to_string(ids_.size()) + " ids do not fit the index type");
        }
        index_.reserve(ids_.size());
        for (std::size_t k = 0; k < ids_.size(); ++k) {
            if (!index_.emplace(ids_[k], static_cast<Index>(k)).second) {
                detail::throw_argument("id_map", "ids", "contains a repeated id at position " + std::to_string(k));
            }
        }
    }

    /// Number of ids.
    [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
    /// Whether there are no ids.
    [[nodiscard]] bool empty() const noexcept { return ids_.empty(); }
    /// The external ids in index order (dense -> external).
    [[nodiscard]] const std::vector<Id>& ids() const noexcept { return ids_; }
    /// The external id of dense index `i` (precondition: i < size(); checked by TESSERA_ASSERT).
    [[nodiscard]] const Id& id_of(Index i) const noexcept {
        TESSERA_ASSERT(!detail::is_negative(i) && static_cast<std::size_t>(i) < ids_.size());
        return ids_[static_cast<std::size_t>(i)];
    }
    /// The dense index of `id` (external -> dense), or nullopt for an unknown id. O(1) average.
    [[nodiscard]] std::optional<Index> index_of(const Id& id) const {
        const auto it = index_.find(id);
        if (it == index_.end()) return std::nullopt;
        return it->second;
    }
    /// Whether `id` is known. O(1) average.
    [[nodiscard]] bool contains(const Id& id) const { return index_.find(id) != index_.end(); }

private:
    std::vector<Id> ids_;
    std::unordered_map<Id, Index> index_;
};

/// What read_ratings returns: `matrix` is users x items (row = user index, column = item index),
/// `users` and `items` map the indices to the file's ids and back.
template <class T = float, class Index = std::int32_t, class Id = std::int64_t>
struct ratings_data {
    csr_matrix<T, Index> matrix;  ///< users x items ratings
    id_map<Id, Index> users;      ///< row index <-> user id
    id_map<Id, Index> items;      ///< column index <-> item id
};

/// An id type read_ratings can read: an integer (parsed, so "007" and "7" are one id) or text.
template <class Id>
concept rating_id = (std::is_integral_v<Id> && detail::is_parsable_number<Id>) || std::is_same_v<Id, std::string>;

namespace detail {
/// \cond

template <class Id, class Index>
class id_numbering {
public:
    // The first-seen index of `text`'s id.
    Index index(std::string_view text, const line_reader& lines, std::size_t column) {
        Id id{};
        if constexpr (std::is_same_v<Id, std::string>) {
            if (text.empty()) lines.fail(column, "empty field: expected an id");
            id = std::string(text);
        } else {
            id = parse_field<Id>(lines, column, text, false);
        }
        // No overflow check here: there are never more ids than ratings, and the caller bounds those.
        const auto [it, added] = index_.try_emplace(std::move(id), static_cast<Index>(ids_.size()));
        if (added) ids_.push_back(it->first);
        return it->second;
    }

    // Renumbers in ascending id order; returns old index -> new index.
    std::vector<Index> sort() {
        std::vector<Index> by_id(ids_.size());
        std::iota(by_id.begin(), by_id.end(), Index{0});
        std::sort(by_id.begin(), by_id.end(),
                  [&](Index a, Index b) { return ids_[static_cast<std::size_t>(a)] < ids_[static_cast<std::size_t>(b)]; });
        std::vector<Index> renumber(ids_.size());
        std::vector<Id> sorted;
        sorted.reserve(ids_.size());
        for (std::size_t k = 0; k < by_id.size(); ++k) {
            renumber[static_cast<std::size_t>(by_id[k])] = static_cast<Index>(k);
            sorted.push_back(std::move(ids_[static_cast<std::size_t>(by_id[k])]));
        }
        ids_ = std::move(sorted);
        return renumber;
    }

    [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
    std::vector<Id> take() { return std::move(ids_); }

private:
    std::vector<Id> ids_;
    std::unordered_map<Id, Index> index_;
};

template <class T, class Index, class Id>
ratings_data<T, Index, Id> read_ratings_lines(line_reader& lines, const ratings_options& opt) {
    field_splitter splitter;
    std::string_view line;
    id_numbering<Id, Index> users;
    id_numbering<Id, Index> items;
    std::vector<Index> rows;
    std::vector<Index> cols;
    std::vector<T> values;
    // Line numbers of the entries, kept compactly for duplicate messages: entry k is on line
    // jumps[j].second + (k - jumps[j].first) for the last jump with first <= k.
    std::vector<std::pair<std::size_t, std::size_t>> jumps;
    std::size_t ncols = 0;
    std::size_t needed = std::max(opt.user_column, opt.item_column);
    if (opt.rating_column) needed = std::max(needed, *opt.rating_column);
    bool first = true;
    constexpr auto max_entries = static_cast<std::size_t>(std::numeric_limits<Index>::max());

    while (lines.next(line)) {
        if (line.empty()) continue;
        const auto& f = splitter.split(line, opt.delimiter, lines);
        if (first) {
            first = false;
            ncols = f.size();
            if (needed >= ncols) {
                lines.fail(ncols + 1, "expected at least " + std::to_string(needed + 1) +
                                          " fields (user, item and rating columns), got " + std::to_string(ncols));
            }
            bool header = opt.header == header_row::present;
            if (opt.header == header_row::detect) {
                if (opt.rating_column) header = looks_like_name<T>(f[*opt.rating_column]);
                if constexpr (std::is_integral_v<Id>) {
                    header = header || looks_like_name<Id>(f[opt.user_column]) || looks_like_name<Id>(f[opt.item_column]);
                }
            }
            if (header) continue;
        }
        if (f.size() != ncols) {
            lines.fail(std::min(f.size(), ncols) + 1,
                       "expected " + std::to_string(ncols) + " fields, got " + std::to_string(f.size()));
        }
        if (values.size() >= max_entries) {
            lines.fail(1, "more ratings than the index type " + number_type_name<Index>() + " can count; use a wider Index");
        }
        const Index u = users.index(f[opt.user_column], lines, opt.user_column + 1);
        const Index i = items.index(f[opt.item_column], lines, opt.item_column + 1);
        T v{1};
        if (opt.rating_column) {
            v = parse_field<T>(lines, *opt.rating_column + 1, f[*opt.rating_column], false);
        }
        const std::size_t k = values.size();
        if (jumps.empty() || jumps.back().second + (k - jumps.back().first) != lines.line_number()) {
            jumps.emplace_back(k, lines.line_number());
        }
        rows.push_back(u);
        cols.push_back(i);
        values.push_back(v);
    }
    if (first) {
        lines.fail_at(lines.line_number() + 1, 1,
                      lines.line_number() == 0 ? "the data is empty: expected user, item and rating lines"
                                               : "no data: every line is blank");
    }

    if (opt.order == id_order::sorted) {
        const auto ru = users.sort();
        const auto ri = items.sort();
        for (auto& r : rows) r = ru[static_cast<std::size_t>(r)];
        for (auto& c : cols) c = ri[static_cast<std::size_t>(c)];
    }
    const std::size_t nusers = users.size();
    const std::size_t nitems = items.size();
    const std::size_t n = values.size();

    // Counting sort by user, then a stable sort by item within each user: equal pairs stay in
    // file order, which is what sum (reproducible) and keep_last need.
    std::vector<std::size_t> start(nusers + 1, 0);
    for (const Index r : rows) ++start[static_cast<std::size_t>(r) + 1];
    for (std::size_t r = 0; r < nusers; ++r) start[r + 1] += start[r];
    std::vector<std::size_t> order(n);
    {
        std::vector<std::size_t> next(start.begin(), start.end() - 1);
        for (std::size_t k = 0; k < n; ++k) order[next[static_cast<std::size_t>(rows[k])]++] = k;
    }
    const auto line_of = [&](std::size_t k) {
        const auto it = std::upper_bound(jumps.begin(), jumps.end(), k,
                                         [](std::size_t key, const auto& j) { return key < j.first; });
        const auto& j = *(it - 1);
        return j.second + (k - j.first);
    };
    using index_vector = typename csr_matrix<T, Index>::index_vector;
    using value_vector = typename csr_matrix<T, Index>::value_vector;
    index_vector indptr(nusers + 1, Index{0});
    index_vector indices;
    value_vector vals;
    indices.reserve(n);
    vals.reserve(n);
    for (std::size_t r = 0; r < nusers; ++r) {
        const auto b = order.begin() + static_cast<std::ptrdiff_t>(start[r]);
        const auto e = order.begin() + static_cast<std::ptrdiff_t>(start[r + 1]);
        std::stable_sort(b, e, [&](std::size_t x, std::size_t y) { return cols[x] < cols[y]; });
        for (auto it = b; it != e; ++it) {
            const std::size_t k = *it;
            if (it != b && cols[*(it - 1)] == cols[k]) {
                switch (opt.duplicates) {
                    case duplicate_ratings::sum:
                        vals.back() += values[k];
                        break;
                    case duplicate_ratings::keep_last:
                        vals.back() = values[k];
                        break;
                    case duplicate_ratings::reject:
                    default:
                        lines.fail_at(line_of(k), opt.item_column + 1,
                                      "the (user, item) pair of this line was already rated on line " +
                                          std::to_string(line_of(*(it - 1))) +
                                          "; set ratings_options::duplicates to sum or keep_last to accept repeats");
                }
                continue;
            }
            indices.push_back(cols[k]);
            vals.push_back(values[k]);
        }
        indptr[r + 1] = static_cast<Index>(indices.size());
    }
    ratings_data<T, Index, Id> out{
        csr_matrix<T, Index>(nusers, nitems, std::move(indptr), std::move(indices), std::move(vals)),
        id_map<Id, Index>(users.take()), id_map<Id, Index>(items.take())};
    return out;
}

/// \endcond
}  // namespace detail

/// Reads rating triplets, one `user,item,rating` line each (columns configurable), into a
/// users x items csr_matrix<T, Index>.
///
/// - Ids: integers (Id integral: parsed, so "007" is 7) or text (Id = std::string: the field's
///   bytes after unquoting and trimming). Users and items are numbered 0..n-1 in ascending id
///   order (default) or first-seen order (opt.order); `users` / `items` map both ways.
/// - Ratings: any finite number, negative and zero included (zeros are stored explicitly), so
///   explicit scales, signed likes/dislikes and counts all load; NaN/Inf are rejected.
/// - A repeated (user, item) pair is rejected by default (see duplicate_ratings).
/// - Lines, fields, quoting, blank lines, BOM and gzip as for read_csv.
///
/// Complexity: O(n log n) for n lines (the per-user sort by item); memory about
/// n * (2 * sizeof(Index) + sizeof(T)) beyond the result, plus the id hash maps.
/// Exceptions: `tessera::format_error` naming the source, line and column for an empty file,
/// fewer fields than the configured columns need, ragged lines, empty or non-integer ids,
/// non-numeric or non-finite ratings, repeated pairs (reject), more ids or ratings than Index
/// can number, an over-long line, corrupt or truncated gzip data; `tessera::io_error` if the
/// file cannot be opened or read; `tessera::invalid_argument` for a bad delimiter or equal
/// user/item/rating columns. Thread safety: independent calls may run concurrently.
template <class T = float, class Index = std::int32_t, rating_id Id = std::int64_t>
[[nodiscard]] ratings_data<T, Index, Id> read_ratings(std::istream& in, const ratings_options& opt = {},
                                                      std::string_view source_name = "<stream>") {
    static_assert(detail::is_parsable_number<T>, "read_ratings reads arithmetic rating types (not bool)");
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");
    constexpr std::string_view where = "read_ratings";
    detail::require_delimiter(opt.delimiter, where);
    if (opt.user_column == opt.item_column ||
        (opt.rating_column && (*opt.rating_column == opt.user_column || *opt.rating_column == opt.item_column))) {
        detail::throw_argument(where, "options", "the user, item and rating columns must differ");
    }
    std::string name(source_name);
    try {
        detail::byte_source src(in);
        detail::line_reader lines(src, where, name, opt.max_line_length, opt.delimiter);
        return detail::read_ratings_lines<T, Index, Id>(lines, opt);
    } catch (const detail::source_failure& e) {  // from the byte source's constructor
        if (e.failure_kind() == detail::source_failure::kind::io) detail::throw_io(where, name, e.what());
        detail::throw_format_at(where, name, 1, 1, e.what());
    }
}

/// read_ratings on the file at `path` (messages name it as `path.string()`).
template <class T = float, class Index = std::int32_t, rating_id Id = std::int64_t>
[[nodiscard]] ratings_data<T, Index, Id> read_ratings(const std::filesystem::path& path,
                                                      const ratings_options& opt = {}) {
    auto in = detail::open_input_file(path, "read_ratings");
    return read_ratings<T, Index, Id>(in, opt, path.string());
}

}  // namespace tessera
