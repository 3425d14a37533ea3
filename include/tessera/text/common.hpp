/// \file
/// tessera/text/common.hpp - what the text vectorizers share: the document-range concept, the
/// row normalizations, and the row-by-row CSR builder.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"

namespace tessera {

/// A collection of documents: any input range whose elements convert to std::string_view
/// (std::string, std::string_view, const char*, ...). It is read once, front to back.
template <class R>
concept document_range = std::ranges::input_range<R> &&
                         std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>;

/// How each row of a vectorizer's output is scaled.
enum class norm_kind : std::uint8_t {
    none = 0,  ///< left as computed
    l1 = 1,    ///< divided by the sum of absolute values
    l2 = 2,    ///< divided by the Euclidean norm (rows of unit length)
};

/// "none", "l1" or "l2".
[[nodiscard]] constexpr std::string_view norm_kind_name(norm_kind n) noexcept {
    switch (n) {
        case norm_kind::none: return "none";
        case norm_kind::l1: return "l1";
        case norm_kind::l2: return "l2";
    }
    return "unknown";
}

namespace detail {
/// \cond

[[nodiscard]] constexpr bool valid_norm(norm_kind n) noexcept {
    return n == norm_kind::none || n == norm_kind::l1 || n == norm_kind::l2;
}

/// Scales one row's values to unit l1 or l2 norm, computed in double (scikit-learn's
/// `normalize`). A row whose norm is 0 is left unchanged.
template <class T>
void normalize_row(std::span<T> values, norm_kind norm) noexcept {
    if (norm == norm_kind::none || values.empty()) return;
    double total = 0;
    if (norm == norm_kind::l1) {
        for (const T v : values) total += std::abs(static_cast<double>(v));
    } else {
        for (const T v : values) total += static_cast<double>(v) * static_cast<double>(v);
        total = std::sqrt(total);
    }
    if (total == 0) return;
    for (T& v : values) v = static_cast<T>(static_cast<double>(v) / total);
}

/// Builds a CSR matrix row by row: append a row's entries (sorted, distinct columns), then
/// finish_row(). Checks that the entries fit the index type, naming `where`.
template <class T, class Index, class Allocator>
class csr_row_builder {
public:
    using matrix = csr_matrix<T, Index, Allocator>;

    csr_row_builder(const Allocator& alloc, std::string_view where)
        : indptr_(1, Index{0}, typename matrix::index_vector::allocator_type(alloc)),
          indices_(typename matrix::index_vector::allocator_type(alloc)),
          values_(alloc),
          where_(where) {}

    void push(Index column, T value) {
        indices_.push_back(column);
        values_.push_back(value);
    }

    /// The values of the row being built.
    [[nodiscard]] std::span<T> open_row() noexcept {
        const auto b = static_cast<std::size_t>(indptr_.back());
        return std::span<T>(values_).subspan(b);
    }

    void finish_row() {
        constexpr auto max = static_cast<std::size_t>(std::numeric_limits<Index>::max());
        if (indices_.size() > max || indptr_.size() > max) {
            throw_argument(where_, "docs",
                           "the result would have more rows or stored entries than the index type holds (" +
                               std::to_string(max) + ")");
        }
        indptr_.push_back(static_cast<Index>(indices_.size()));
    }

    [[nodiscard]] std::size_t rows() const noexcept { return indptr_.size() - 1; }

    [[nodiscard]] matrix build(std::size_t cols) && {
        const std::size_t rows = indptr_.size() - 1;
        return matrix(rows, cols, std::move(indptr_), std::move(indices_), std::move(values_));
    }

private:
    typename matrix::index_vector indptr_;
    typename matrix::index_vector indices_;
    typename matrix::value_vector values_;
    std::string_view where_;
};

/// \endcond
}  // namespace detail
}  // namespace tessera
