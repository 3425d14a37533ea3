/// \file
/// tessera/core/labels.hpp - class labels of any integral, enum or string-like type, mapped to
/// dense class indices 0..n_classes-1 in sorted label order, and back.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/error.hpp"

namespace tessera {

/// A label that reads as text: std::string, std::string_view, const char*, ...
template <class L>
concept string_like_label = std::convertible_to<const L&, std::string_view>;

/// A class label: an integral type (bool included), an enumeration, or a string-like type.
/// Floating-point values are not labels (use an integral or string label instead).
template <class L>
concept label = std::integral<L> || std::is_enum_v<L> || string_like_label<L>;

/// How tessera stores a label of type L: std::string for string-like labels (so a model never
/// refers to the caller's strings), L itself otherwise.
template <label L>
using label_storage_t = std::conditional_t<string_like_label<L>, std::string, std::remove_cv_t<L>>;

/// An input range of labels (proxy references such as std::vector<bool>'s are fine).
template <class R>
concept label_range = std::ranges::input_range<R> && label<std::ranges::range_value_t<R>> &&
                      std::convertible_to<std::ranges::range_reference_t<R>, const std::ranges::range_value_t<R>&>;

/// The dense index of a class (position of its label in the sorted class list).
using class_index = std::uint32_t;

namespace detail {
/// \cond

template <class L>
[[nodiscard]] std::string label_to_string(const L& l) {
    if constexpr (string_like_label<L>) {
        return "'" + std::string(std::string_view(l)) + "'";
    } else if constexpr (std::is_enum_v<L>) {
        return std::to_string(static_cast<std::underlying_type_t<L>>(l));
    } else if constexpr (std::same_as<L, bool>) {
        return l ? "true" : "false";
    } else {
        return std::to_string(l);
    }
}

// Strict weak order used for the class list: numeric for integers and enums, byte-wise for text.
// A label type's name in archives ("string", "bool", "i32", "u8", "enum i32", ...), so that a
// model is never read back with another label type.
template <class L>
[[nodiscard]] std::string label_type_name() {
    if constexpr (string_like_label<L>) {
        return "string";
    } else if constexpr (std::same_as<L, bool>) {
        return "bool";
    } else if constexpr (std::is_enum_v<L>) {
        return "enum " + label_type_name<std::underlying_type_t<L>>();
    } else {
        return (std::is_signed_v<L> ? "i" : "u") + std::to_string(8 * sizeof(L));
    }
}

struct label_less {
    template <class A, class B>
    [[nodiscard]] bool operator()(const A& a, const B& b) const {
        if constexpr (string_like_label<A>) {
            return std::string_view(a) < std::string_view(b);
        } else if constexpr (std::is_enum_v<A>) {
            return static_cast<std::underlying_type_t<A>>(a) < static_cast<std::underlying_type_t<A>>(b);
        } else {
            return a < b;
        }
    }
};

// Where l goes in the sorted classes (std::lower_bound). For a few numeric classes, a count of
// the smaller ones: branch-free, which matters when labels come in random order (a binary search
// mispredicts about half of its branches there).
template <class Classes, class K>
[[nodiscard]] std::size_t class_position(const Classes& classes, const K& l) {
    using C = typename Classes::value_type;
    if constexpr (std::is_arithmetic_v<C> && !std::is_same_v<C, bool> && std::is_same_v<C, K>) {
        if (classes.size() <= 32) {
            std::size_t below = 0;
            for (const C c : classes) below += static_cast<std::size_t>(c < l);
            return below;
        }
    }
    return static_cast<std::size_t>(std::lower_bound(classes.begin(), classes.end(), l, label_less{}) - classes.begin());
}

/// \endcond
}  // namespace detail

/// Maps labels of type L to class indices 0..n_classes()-1, in sorted label order (numeric for
/// integers and enums, byte-wise lexicographic for strings), and back.
///
/// Complexity: fit O(n log n); index_of O(log n_classes); decode O(1).
/// Exceptions: `tessera::invalid_argument` for empty label sets, duplicate declared classes and
/// unknown labels; `tessera::not_fitted_error` when used before fit / from_classes.
/// Thread safety: const member functions may be called concurrently.
template <label L, class Allocator = std::allocator<label_storage_t<L>>>
class label_encoder {
public:
    using label_type = label_storage_t<L>;  ///< stored labels (std::string for string-like L)
    using allocator_type = Allocator;       ///< allocator of the class list

    /// An unfitted encoder.
    label_encoder() = default;
    /// An unfitted encoder that allocates with `alloc`.
    explicit label_encoder(const Allocator& alloc) : classes_(alloc) {}

    /// Learns the sorted set of distinct labels in `labels`. O(n log k) for k classes while k is
    /// small (each label is looked up in the sorted classes found so far), O(n log n) beyond.
    template <label_range R>
    void fit(const R& labels) {
        // Classification has few classes and many rows: keep the distinct labels sorted and
        // look each label up. Past small_set distinct labels, collect the rest and sort once.
        constexpr std::size_t small_set = 256;
        std::vector<label_type, Allocator> found(classes_.get_allocator());
        std::vector<label_type, Allocator> rest(classes_.get_allocator());
        bool any = false;
        for (auto&& element : labels) {
            const std::ranges::range_value_t<R>& l = element;  // binds proxies to a temporary
            any = true;
            if (!rest.empty() || found.size() >= small_set) {
                rest.push_back(label_type(l));
                continue;
            }
            const auto it = found.begin() + static_cast<std::ptrdiff_t>(
                                                detail::class_position(found, l));
            if (it == found.end() || detail::label_less{}(l, *it)) found.insert(it, label_type(l));
        }
        if (!any) detail::throw_argument("label_encoder::fit", "labels", "is empty");
        if (!rest.empty()) {
            rest.insert(rest.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
            std::sort(rest.begin(), rest.end(), detail::label_less{});
            rest.erase(std::unique(rest.begin(), rest.end()), rest.end());
            found = std::move(rest);
        }
        classes_ = std::move(found);
    }

    /// An encoder for exactly the declared classes (for online learning, where later batches
    /// may lack some classes). Throws on an empty list or duplicates.
    template <label_range R>
    [[nodiscard]] static label_encoder from_classes(const R& classes, const Allocator& alloc = Allocator()) {
        label_encoder e(alloc);
        for (auto&& l : classes) e.classes_.push_back(label_type(l));
        if (e.classes_.empty()) detail::throw_argument("label_encoder::from_classes", "classes", "is empty");
        std::sort(e.classes_.begin(), e.classes_.end(), detail::label_less{});
        const auto dup = std::adjacent_find(e.classes_.begin(), e.classes_.end());
        if (dup != e.classes_.end()) {
            detail::throw_argument("label_encoder::from_classes", "classes",
                                   "declares the class " + detail::label_to_string(*dup) + " twice");
        }
        return e;
    }

    /// Whether the encoder knows its classes (after fit or from_classes).
    [[nodiscard]] bool fitted() const noexcept { return !classes_.empty(); }
    /// Number of classes (0 before fit).
    [[nodiscard]] std::size_t n_classes() const noexcept { return classes_.size(); }
    /// The classes in sorted order; class index i is classes()[i].
    [[nodiscard]] std::span<const label_type> classes() const noexcept { return classes_; }

    /// The class index of `l`, or nothing if `l` is not a known class.
    template <label K>
    [[nodiscard]] std::optional<class_index> find(const K& l) const {
        const std::size_t i = detail::class_position(classes_, l);
        if (i == classes_.size() || detail::label_less{}(l, classes_[i])) return std::nullopt;
        return static_cast<class_index>(i);
    }

    /// The class index of `l`; throws `tessera::invalid_argument` naming `where`/`arg` if unknown.
    template <label K>
    [[nodiscard]] class_index index_of(const K& l, std::string_view where = "label_encoder::index_of",
                                       std::string_view arg = "label") const {
        detail::require_fitted(fitted(), where);
        const auto i = find(l);
        if (!i) detail::throw_argument(where, arg, "unknown label " + detail::label_to_string(l));
        return *i;
    }

    /// Encodes every label of `labels` (appending to `out`); the error names the position of
    /// the first unknown label.
    template <label_range R, std::output_iterator<class_index> Out>
    Out encode(const R& labels, Out out, std::string_view where = "label_encoder::encode",
               std::string_view arg = "labels") const {
        detail::require_fitted(fitted(), where);
        std::size_t pos = 0;
        for (auto&& element : labels) {
            const std::ranges::range_value_t<R>& l = element;  // binds proxies to a temporary
            const auto i = find(l);
            if (!i) {
                detail::throw_argument(where, arg,
                                       "unknown label " + detail::label_to_string(l) + " at position " +
                                           std::to_string(pos));
            }
            *out++ = *i;
            ++pos;
        }
        return out;
    }

    /// Encodes `labels` into a new vector.
    template <label_range R>
    [[nodiscard]] std::vector<class_index> encode(const R& labels, std::string_view where = "label_encoder::encode",
                                                  std::string_view arg = "labels") const {
        std::vector<class_index> out;
        if constexpr (std::ranges::sized_range<R>) out.reserve(std::ranges::size(labels));
        encode(labels, std::back_inserter(out), where, arg);
        return out;
    }

    /// The label of class index `i`; throws `tessera::invalid_argument` if `i >= n_classes()`.
    [[nodiscard]] const label_type& decode(class_index i) const {
        detail::require_fitted(fitted(), "label_encoder::decode");
        if (i >= classes_.size()) {
            detail::throw_argument("label_encoder::decode", "index",
                                   std::to_string(i) + " is not a class index (there are " +
                                       std::to_string(classes_.size()) + " classes)");
        }
        return classes_[i];
    }

    /// Appends the class list to an archive.
    void write_to(archive_writer& w) const {
        detail::require_fitted(fitted(), "label_encoder::write_to");
        w.write<std::uint64_t>(classes_.size());
        for (const auto& c : classes_) {
            if constexpr (string_like_label<label_type>) {
                w.write_string(c);
            } else if constexpr (std::is_enum_v<label_type>) {
                w.write(static_cast<std::underlying_type_t<label_type>>(c));
            } else {
                w.write(c);
            }
        }
    }

    /// Appends the label type's name and then the class list (write_to), for models: their
    /// read_from refuses an archive written with another label type.
    void write_typed_to(archive_writer& w) const {
        w.write_string(detail::label_type_name<label_type>());
        write_to(w);
    }

    /// Reads what write_typed_to wrote. Throws format_error, naming `where`, when the archive
    /// holds another label type, and as read_from otherwise.
    [[nodiscard]] static label_encoder read_typed_from(archive_reader& r, std::string_view where,
                                                       const Allocator& alloc = Allocator()) {
        const std::string saved = r.read_string("label_type");
        const std::string expected = detail::label_type_name<label_type>();
        if (saved != expected) {
            r.fail(std::string(where) + ": saved with labels of type '" + saved + "', loading as '" + expected + "'");
        }
        return read_from(r, alloc);
    }

    /// Reads a class list written by write_to; a list that is empty or not strictly sorted is a
    /// corrupt archive (`tessera::format_error`).
    [[nodiscard]] static label_encoder read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        label_encoder e(alloc);
        // Each class takes at least one byte, which bounds the count by the bytes that remain.
        const std::size_t n = r.read_count("classes", 1);
        if (n == 0) r.fail("label_encoder: the class list is empty");
        e.classes_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            if constexpr (string_like_label<label_type>) {
                e.classes_.push_back(r.read_string("classes"));
            } else if constexpr (std::is_enum_v<label_type>) {
                e.classes_.push_back(static_cast<label_type>(r.read<std::underlying_type_t<label_type>>("classes")));
            } else {
                e.classes_.push_back(r.read<label_type>("classes"));
            }
            if (i > 0 && !detail::label_less{}(e.classes_[i - 1], e.classes_[i])) {
                r.fail("label_encoder: the class list is not strictly sorted");
            }
        }
        return e;
    }

private:
    std::vector<label_type, Allocator> classes_;
};

}  // namespace tessera
