/// \file
/// tessera/neighbors/id_table.hpp - the ids of an index's rows, shared by every index: which id
/// each storage slot holds, the slot of each id, the next dense id, and the checks every add and
/// remove makes before anything changes (so a rejected call leaves the index as it was).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/error.hpp"
#include "tessera/neighbors/common.hpp"

namespace tessera::detail {
/// \cond

template <class Allocator>
class id_table {
    using alloc_traits = std::allocator_traits<Allocator>;
    using id_allocator = typename alloc_traits::template rebind_alloc<neighbor_id>;
    using map_allocator = typename alloc_traits::template rebind_alloc<std::pair<const neighbor_id, std::size_t>>;

public:
    explicit id_table(const Allocator& alloc)
        : ids_(id_allocator(alloc)),
          slot_of_(0, std::hash<neighbor_id>(), std::equal_to<neighbor_id>(), map_allocator(alloc)) {}

    [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
    [[nodiscard]] std::span<const neighbor_id> ids() const noexcept { return ids_; }
    [[nodiscard]] neighbor_id operator[](std::size_t slot) const noexcept { return ids_[slot]; }
    [[nodiscard]] bool contains(neighbor_id id) const { return slot_of_.find(id) != slot_of_.end(); }
    [[nodiscard]] neighbor_id next_id() const noexcept { return next_id_; }

    /// The slot of `id`; throws invalid_argument naming `where` for an unknown id.
    [[nodiscard]] std::size_t slot(std::string_view where, neighbor_id id) const {
        const auto it = slot_of_.find(id);
        if (it == slot_of_.end()) throw_argument(where, "id", "id " + std::to_string(id) + " is not in the index");
        return it->second;
    }

    /// The dense ids for n new rows: next_id(), next_id() + 1, ... Throws when they would pass
    /// the largest id (possible only after a user id near 2^63).
    [[nodiscard]] std::vector<neighbor_id> dense_ids(std::size_t n, std::string_view where) const {
        std::vector<neighbor_id> out;
        if (n == 0) return out;
        if (n - 1 > static_cast<std::uint64_t>(std::numeric_limits<neighbor_id>::max() - next_id_) || contains(next_id_)) {
            throw_argument(where, "rows",
                           "dense ids from " + std::to_string(next_id_) + " would pass 2^63 - 1: add these rows with explicit ids");
        }
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) out.push_back(next_id_ + static_cast<neighbor_id>(i));
        return out;
    }

    /// The caller's ids for n new rows, checked: as many as rows, non-negative, unique, and not
    /// already present. Throws dimension_mismatch or invalid_argument naming `where`.
    template <class Ids>
    [[nodiscard]] std::vector<neighbor_id> user_ids(const Ids& ids, std::size_t n, std::string_view where) const {
        const auto count = static_cast<std::size_t>(std::ranges::size(ids));
        if (count != n) {
            throw_argument<dimension_mismatch>(where, "ids",
                                               "has " + std::to_string(count) + " ids for " + std::to_string(n) + " rows");
        }
        std::vector<neighbor_id> out;
        out.reserve(n);
        std::unordered_map<neighbor_id, std::size_t> position;
        position.reserve(n);
        for (const auto raw : ids) {
            const std::size_t i = out.size();
            if (std::cmp_less(raw, 0) || std::cmp_greater(raw, std::numeric_limits<neighbor_id>::max())) {
                throw_argument(where, "ids", "id " + std::to_string(raw) + " at position " + std::to_string(i) +
                                                 " is not in [0, 2^63)");
            }
            const auto id = static_cast<neighbor_id>(raw);
            if (contains(id)) throw_argument(where, "ids", "id " + std::to_string(id) + " is already in the index");
            const auto [it, fresh] = position.emplace(id, i);
            if (!fresh) {
                throw_argument(where, "ids", "id " + std::to_string(id) + " appears twice (positions " +
                                                 std::to_string(it->second) + " and " + std::to_string(i) + ")");
            }
            out.push_back(id);
        }
        return out;
    }

    /// The slots of ids to remove, checked: all present, none repeated. Throws invalid_argument.
    template <class Ids>
    [[nodiscard]] std::vector<std::size_t> removal_slots(const Ids& ids, std::string_view where) const {
        std::vector<std::size_t> slots;
        std::unordered_set<neighbor_id> seen;
        for (const auto raw : ids) {
            const auto id = static_cast<neighbor_id>(raw);
            slots.push_back(slot(where, id));
            if (!seen.insert(id).second) throw_argument(where, "ids", "id " + std::to_string(id) + " appears twice");
        }
        return slots;
    }

    void reserve(std::size_t more) {
        ids_.reserve(ids_.size() + more);
        slot_of_.reserve(slot_of_.size() + more);
    }

    /// Gives `id` the next slot (the caller appends its row there). The id must be new.
    void append(neighbor_id id) {
        ids_.push_back(id);
        slot_of_.emplace(id, ids_.size() - 1);
        if (id >= next_id_) next_id_ = id == std::numeric_limits<neighbor_id>::max() ? id : id + 1;
    }

    /// Frees slot s by moving the last slot's id into it (the caller moves its row the same way).
    void erase_slot(std::size_t s) {
        const std::size_t last = ids_.size() - 1;
        slot_of_.erase(ids_[s]);
        if (s != last) {
            ids_[s] = ids_[last];
            slot_of_[ids_[s]] = s;
        }
        ids_.pop_back();
    }

    /// Replaces the slot order (a tree index keeps rows in leaf order): slot i holds order[i].
    /// The next dense id rises above every id given, as append would raise it.
    void reorder(std::span<const neighbor_id> order) {
        ids_.assign(order.begin(), order.end());
        slot_of_.clear();
        slot_of_.reserve(ids_.size());
        for (std::size_t s = 0; s < ids_.size(); ++s) {
            slot_of_.emplace(ids_[s], s);
            const neighbor_id id = ids_[s];
            if (id >= next_id_) next_id_ = id == std::numeric_limits<neighbor_id>::max() ? id : id + 1;
        }
    }

    /// Writes next_id and the ids in slot order.
    void write_to(archive_writer& w) const {
        w.write<std::int64_t>(next_id_);
        w.write_span(std::span<const neighbor_id>(ids_));
    }

    /// Reads what write_to wrote into (next_id, ids); the ids are checked by the index when it
    /// adds its rows with them, next_id here against the ids.
    [[nodiscard]] static std::pair<neighbor_id, std::vector<neighbor_id>> read_from(archive_reader& r, std::string_view kind) {
        const auto next = r.read<std::int64_t>("next_id");
        auto ids = r.read_vector<neighbor_id>("ids");
        if (next < 0) r.fail(std::string(kind) + ": next_id " + std::to_string(next) + " is negative");
        for (const neighbor_id id : ids) {
            if (id >= next) {
                if (!(id == std::numeric_limits<neighbor_id>::max() && next == id)) {
                    r.fail(std::string(kind) + ": next_id " + std::to_string(next) + " is not above id " + std::to_string(id));
                }
            }
        }
        return {next, std::move(ids)};
    }

    /// Restores the next dense id after a load (never below what the stored ids imply).
    void set_next_id(neighbor_id next) noexcept { next_id_ = std::max(next_id_, next); }

private:
    std::vector<neighbor_id, id_allocator> ids_;
    std::unordered_map<neighbor_id, std::size_t, std::hash<neighbor_id>, std::equal_to<neighbor_id>, map_allocator> slot_of_;
    neighbor_id next_id_ = 0;
};

/// Checks rows about to be added to an index of width `dim` (0 while the index has never held a
/// row): the width, and finite values. Throws dimension_mismatch or invalid_argument.
template <class Rows>
void check_index_rows(const Rows& v, std::size_t dim, bool never_filled, std::string_view where, std::string_view arg) {
    if (v.rows() == 0) return;
    if (dim == 0 && never_filled) {
        if (v.cols() == 0) throw_argument(where, arg, "has no columns");
    } else if (v.cols() != dim) {
        throw_argument<dimension_mismatch>(where, arg, "has " + std::to_string(v.cols()) + " columns but the index has " +
                                                           std::to_string(dim));
    }
    require_finite_rows(v, where, arg);
}

/// Checks queries against an index of `size` rows of width `dim`.
template <class Rows>
void check_index_queries(const Rows& q, std::size_t size, std::size_t dim, std::string_view where) {
    require_nonempty_index(size, where);
    if (q.rows() > 0 && q.cols() != dim) {
        throw_argument<dimension_mismatch>(where, "queries", "have " + std::to_string(q.cols()) +
                                                                 " columns but the index has " + std::to_string(dim));
    }
    require_finite_rows(q, where, "queries");
}

/// \endcond
}  // namespace tessera::detail
