/// \file
/// tessera/core/csr_matrix.hpp - compressed sparse row matrices: a non-owning view and an
/// owning, allocator-aware container built from triplets.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"

namespace tessera {

template <class T, class Index = std::int32_t, class Allocator = std::allocator<T>>
class csr_matrix;

/// One stored entry of a sparse matrix, for building it from triplets.
template <class T, class Index = std::int32_t>
struct triplet {
    Index row;  ///< row of the entry
    Index col;  ///< column of the entry
    T value;    ///< value of the entry
};

/// The stored entries of one row: column indices (ascending) and values, of equal length.
template <class T, class Index>
struct sparse_row {
    std::span<const Index> indices;  ///< column indices, strictly increasing
    std::span<const T> values;       ///< the value stored at each index
    /// Number of stored entries in the row.
    [[nodiscard]] std::size_t size() const noexcept { return indices.size(); }
    /// Whether the row stores no entry.
    [[nodiscard]] bool empty() const noexcept { return indices.empty(); }
};

namespace detail {
/// \cond

template <class Index>
[[nodiscard]] std::string csr_index_text(Index i) {
    return std::to_string(i);
}

// `i < 0` without a tautology warning for unsigned index types.
template <class Index>
[[nodiscard]] constexpr bool is_negative(Index i) noexcept {
    if constexpr (std::is_signed_v<Index>) {
        return i < 0;
    } else {
        (void)i;
        return false;
    }
}

// Checks the CSR invariants: indptr has rows+1 entries, starts at 0, is non-decreasing and ends
// at nnz; every column index is in [0, cols) and strictly increasing within its row.
template <class T, class Index>
void validate_csr(std::size_t rows, std::size_t cols, std::span<const Index> indptr, std::span<const Index> indices,
                  std::span<const T> values, std::string_view where) {
    if (indptr.size() != rows + 1) {
        throw_argument<dimension_mismatch>(where, "indptr",
                                           "has " + std::to_string(indptr.size()) + " entries, expected rows + 1 = " +
                                               std::to_string(rows + 1));
    }
    if (indices.size() != values.size()) {
        throw_argument<dimension_mismatch>(where, "values",
                                           "has " + std::to_string(values.size()) + " entries but indices has " +
                                               std::to_string(indices.size()));
    }
    if (indptr[0] != 0) throw_argument(where, "indptr", "must start at 0, got " + csr_index_text(indptr[0]));
    if (is_negative(indptr[rows]) || static_cast<std::size_t>(indptr[rows]) != indices.size()) {
        throw_argument(where, "indptr",
                       "must end at nnz = " + std::to_string(indices.size()) + ", got " + csr_index_text(indptr[rows]));
    }
    // All of indptr first: only a non-decreasing indptr that ends at nnz keeps every row range
    // inside `indices`, so no index may be read before this pass has finished.
    for (std::size_t i = 0; i < rows; ++i) {
        if (indptr[i + 1] < indptr[i]) {
            throw_argument(where, "indptr",
                           "decreases at row " + std::to_string(i) + " (" + csr_index_text(indptr[i]) + " > " +
                               csr_index_text(indptr[i + 1]) + ")");
        }
    }
    for (std::size_t i = 0; i < rows; ++i) {
        const auto b = static_cast<std::size_t>(indptr[i]);
        const auto e = static_cast<std::size_t>(indptr[i + 1]);
        for (std::size_t k = b; k < e; ++k) {
            if (is_negative(indices[k]) || static_cast<std::size_t>(indices[k]) >= cols) {
                throw_argument(where, "indices",
                               "column " + csr_index_text(indices[k]) + " in row " + std::to_string(i) +
                                   " is outside [0, " + std::to_string(cols) + ")");
            }
            if (k > b && indices[k] <= indices[k - 1]) {
                throw_argument(where, "indices",
                               "are not strictly increasing in row " + std::to_string(i) + " (" +
                                   csr_index_text(indices[k - 1]) + " then " + csr_index_text(indices[k]) + ")");
            }
        }
    }
}

template <class Index>
void require_index_range(std::size_t rows, std::size_t cols, std::size_t nnz, std::string_view where) {
    constexpr auto max = static_cast<std::size_t>(std::numeric_limits<Index>::max());
    if (rows > max) throw_argument(where, "rows", std::to_string(rows) + " rows do not fit the index type");
    if (cols > max) throw_argument(where, "cols", std::to_string(cols) + " columns do not fit the index type");
    if (nnz > max) throw_argument(where, "nnz", std::to_string(nnz) + " entries do not fit the index type");
}

/// \endcond
}  // namespace detail

/// A non-owning view of a CSR matrix. The constructor validates the structure (O(rows + nnz));
/// the viewed arrays must outlive the view. Thread safety: a value; reads are safe concurrently.
template <class T, class Index = std::int32_t>
class csr_view {
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");

public:
    using value_type = std::remove_cv_t<T>;  ///< element type
    using index_type = Index;                ///< type of indptr and column indices

    /// An empty 0 x 0 view.
    csr_view() = default;

    /// Throws `tessera::invalid_argument` (or dimension_mismatch) if the arrays do not form a
    /// valid CSR structure: see csr_matrix.
    csr_view(std::size_t rows, std::size_t cols, std::span<const Index> indptr, std::span<const Index> indices,
             std::span<const value_type> values)
        : rows_(rows), cols_(cols), indptr_(indptr), indices_(indices), values_(values) {
        detail::validate_csr<value_type, Index>(rows, cols, indptr, indices, values, "csr_view");
    }

    /// Number of rows.
    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
    /// Number of columns.
    [[nodiscard]] std::size_t cols() const noexcept { return cols_; }
    /// Number of stored entries.
    [[nodiscard]] std::size_t nnz() const noexcept { return indices_.size(); }
    /// Row offsets, rows() + 1 entries: row i's entries are [indptr()[i], indptr()[i + 1]).
    [[nodiscard]] std::span<const Index> indptr() const noexcept { return indptr_; }
    /// Column index of every stored entry, row by row (nnz() entries).
    [[nodiscard]] std::span<const Index> indices() const noexcept { return indices_; }
    /// Value of every stored entry, parallel to indices().
    [[nodiscard]] std::span<const value_type> values() const noexcept { return values_; }

    /// The stored entries of row i. O(1). Precondition: i < rows() (checked only by
    /// TESSERA_ASSERT).
    [[nodiscard]] sparse_row<value_type, Index> row(std::size_t i) const noexcept {
        TESSERA_ASSERT(i < rows_);
        const auto b = static_cast<std::size_t>(indptr_[i]);
        const auto e = static_cast<std::size_t>(indptr_[i + 1]);
        return {indices_.subspan(b, e - b), values_.subspan(b, e - b)};
    }

private:
    template <class, class, class>
    friend class csr_matrix;
    struct trusted {};
    csr_view(trusted, std::size_t rows, std::size_t cols, std::span<const Index> indptr,
             std::span<const Index> indices, std::span<const value_type> values) noexcept
        : rows_(rows), cols_(cols), indptr_(indptr), indices_(indices), values_(values) {}

    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
    std::span<const Index> indptr_;
    std::span<const Index> indices_;
    std::span<const value_type> values_;
};

/// An owning CSR matrix. Invariants (always hold): indptr has rows()+1 non-decreasing entries
/// from 0 to nnz(); column indices lie in [0, cols()) and strictly increase within each row
/// (so there are no duplicate entries). Explicitly stored zeros are allowed.
///
/// Every array comes from `Allocator`, rebound to the index type for indptr and indices;
/// `std::pmr::polymorphic_allocator` works. Rows, columns and nnz must fit in `Index`.
///
/// Exceptions: `tessera::invalid_argument` / `dimension_mismatch` for invalid structure or
/// out-of-range triplets. Thread safety: const member functions may be called concurrently.
template <class T, class Index, class Allocator>
class csr_matrix {
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");
    static_assert(std::is_same_v<typename std::allocator_traits<Allocator>::value_type, T>,
                  "Allocator::value_type must be T");

    using index_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<Index>;

public:
    using value_type = T;                                  ///< element type
    using index_type = Index;                              ///< type of indptr and column indices
    using allocator_type = Allocator;                      ///< allocator of the values
    using index_vector = std::vector<Index, index_allocator>;  ///< storage of indptr and indices
    using value_vector = std::vector<T, Allocator>;        ///< storage of the values

    /// An empty 0 x 0 matrix.
    explicit csr_matrix(const Allocator& alloc = Allocator())
        : indptr_(1, Index{0}, index_allocator(alloc)), indices_(index_allocator(alloc)), values_(alloc) {}

    /// A rows x cols matrix with no stored entries.
    csr_matrix(std::size_t rows, std::size_t cols, const Allocator& alloc = Allocator())
        : rows_(rows), cols_(cols), indptr_(index_allocator(alloc)), indices_(index_allocator(alloc)), values_(alloc) {
        detail::require_index_range<Index>(rows, cols, 0, "csr_matrix");
        indptr_.assign(rows + 1, Index{0});
    }

    /// Takes ownership of ready CSR arrays after validating them (O(rows + nnz)).
    csr_matrix(std::size_t rows, std::size_t cols, index_vector indptr, index_vector indices, value_vector values)
        : rows_(rows), cols_(cols), indptr_(std::move(indptr)), indices_(std::move(indices)), values_(std::move(values)) {
        detail::require_index_range<Index>(rows, cols, indices_.size(), "csr_matrix");
        detail::validate_csr<T, Index>(rows, cols, indptr_, indices_, values_, "csr_matrix");
    }

    /// Builds a matrix from (row, col, value) entries in any order; entries with the same
    /// position are summed. O(nnz + rows) plus sorting within each row.
    /// Throws `tessera::invalid_argument` naming the first entry outside the shape.
    [[nodiscard]] static csr_matrix from_triplets(std::size_t rows, std::size_t cols,
                                                  std::span<const triplet<T, Index>> entries,
                                                  const Allocator& alloc = Allocator()) {
        return build(
            rows, cols, entries.size(), [&](std::size_t k) { return entries[k].row; },
            [&](std::size_t k) { return entries[k].col; }, [&](std::size_t k) { return entries[k].value; }, alloc);
    }

    /// The same, from three parallel arrays (they must have equal lengths).
    [[nodiscard]] static csr_matrix from_triplets(std::size_t rows, std::size_t cols, std::span<const Index> row_ids,
                                                  std::span<const Index> col_ids, std::span<const T> values,
                                                  const Allocator& alloc = Allocator()) {
        if (row_ids.size() != col_ids.size() || row_ids.size() != values.size()) {
            detail::throw_argument<dimension_mismatch>(
                "csr_matrix::from_triplets", "values",
                "row_ids, col_ids and values have lengths " + std::to_string(row_ids.size()) + ", " +
                    std::to_string(col_ids.size()) + " and " + std::to_string(values.size()));
        }
        return build(
            rows, cols, values.size(), [&](std::size_t k) { return row_ids[k]; },
            [&](std::size_t k) { return col_ids[k]; }, [&](std::size_t k) { return values[k]; }, alloc);
    }

    /// A copy of the non-zero entries of a dense matrix (exact zeros are not stored).
    [[nodiscard]] static csr_matrix from_dense(matrix_view<const T> dense, const Allocator& alloc = Allocator()) {
        std::size_t nnz = 0;
        for (std::size_t i = 0; i < dense.rows(); ++i) {
            for (const T& v : dense.row(i)) nnz += v != T{} ? 1 : 0;
        }
        detail::require_index_range<Index>(dense.rows(), dense.cols(), nnz, "csr_matrix::from_dense");
        csr_matrix m(dense.rows(), dense.cols(), alloc);
        m.indices_.reserve(nnz);
        m.values_.reserve(nnz);
        for (std::size_t i = 0; i < dense.rows(); ++i) {
            const auto r = dense.row(i);
            for (std::size_t j = 0; j < r.size(); ++j) {
                if (r[j] != T{}) {
                    m.indices_.push_back(static_cast<Index>(j));
                    m.values_.push_back(r[j]);
                }
            }
            m.indptr_[i + 1] = static_cast<Index>(m.indices_.size());
        }
        return m;
    }

    /// Number of rows.
    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
    /// Number of columns.
    [[nodiscard]] std::size_t cols() const noexcept { return cols_; }
    /// Number of stored entries.
    [[nodiscard]] std::size_t nnz() const noexcept { return indices_.size(); }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return values_.get_allocator(); }
    /// Row offsets, rows() + 1 entries: row i's entries are [indptr()[i], indptr()[i + 1]).
    [[nodiscard]] std::span<const Index> indptr() const noexcept { return indptr_; }
    /// Column index of every stored entry, row by row (nnz() entries).
    [[nodiscard]] std::span<const Index> indices() const noexcept { return indices_; }
    /// Value of every stored entry, parallel to indices().
    [[nodiscard]] std::span<const T> values() const noexcept { return values_; }
    /// Mutable values (the structure stays fixed), e.g. for scaling in place.
    [[nodiscard]] std::span<T> values() noexcept { return values_; }

    /// The stored entries of row i. O(1). Precondition: i < rows() (checked only by
    /// TESSERA_ASSERT).
    [[nodiscard]] sparse_row<T, Index> row(std::size_t i) const noexcept { return view().row(i); }

    ///@{
    /// A view of this matrix (O(1), no validation needed); valid until the matrix changes or is
    /// destroyed.
    [[nodiscard]] csr_view<T, Index> view() const noexcept {
        return csr_view<T, Index>(typename csr_view<T, Index>::trusted{}, rows_, cols_, indptr_, indices_, values_);
    }
    operator csr_view<T, Index>() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)
    ///@}

    /// The transpose (cols x rows), i.e. this matrix in CSC form. O(rows + cols + nnz): one
    /// counting pass over the column indices; rows of the result come out sorted.
    [[nodiscard]] csr_matrix transpose() const { return transpose_of(view(), get_allocator()); }

    /// The transpose of any CSR view, allocated with `alloc`.
    [[nodiscard]] static csr_matrix transpose_of(csr_view<T, Index> a, const Allocator& alloc = Allocator()) {
        csr_matrix t(a.cols(), a.rows(), alloc);
        const auto ip = a.indptr();
        const auto ix = a.indices();
        const auto vx = a.values();
        for (const Index c : ix) ++t.indptr_[static_cast<std::size_t>(c) + 1];
        for (std::size_t c = 0; c < a.cols(); ++c) t.indptr_[c + 1] += t.indptr_[c];
        t.indices_.resize(ix.size());
        t.values_.resize(ix.size());
        index_vector next(t.indptr_.begin(), t.indptr_.end() - 1, index_allocator(alloc));
        for (std::size_t r = 0; r < a.rows(); ++r) {
            for (auto k = static_cast<std::size_t>(ip[r]); k < static_cast<std::size_t>(ip[r + 1]); ++k) {
                const auto dst = static_cast<std::size_t>(next[static_cast<std::size_t>(ix[k])]++);
                t.indices_[dst] = static_cast<Index>(r);
                t.values_[dst] = vx[k];
            }
        }
        return t;
    }

    /// A dense copy (zeros where nothing is stored).
    template <class DenseAlloc = typename std::allocator_traits<Allocator>::template rebind_alloc<T>>
    [[nodiscard]] dense_matrix<T, DenseAlloc> to_dense(row_padding padding = row_padding::aligned,
                                                       const DenseAlloc& alloc = DenseAlloc()) const {
        dense_matrix<T, DenseAlloc> d(rows_, cols_, padding, alloc);
        for (std::size_t i = 0; i < rows_; ++i) {
            const auto r = row(i);
            for (std::size_t k = 0; k < r.size(); ++k) d(i, static_cast<std::size_t>(r.indices[k])) = r.values[k];
        }
        return d;
    }

    /// Equal shapes and identical arrays (same structure, explicitly stored zeros included, and
    /// values compared with ==). O(rows + nnz).
    [[nodiscard]] friend bool operator==(const csr_matrix& a, const csr_matrix& b) {
        return a.rows_ == b.rows_ && a.cols_ == b.cols_ && a.indptr_ == b.indptr_ && a.indices_ == b.indices_ &&
               a.values_ == b.values_;
    }

private:
    template <class RowOf, class ColOf, class ValueOf>
    static csr_matrix build(std::size_t rows, std::size_t cols, std::size_t n, RowOf row_of, ColOf col_of,
                            ValueOf value_of, const Allocator& alloc) {
        constexpr std::string_view where = "csr_matrix::from_triplets";
        detail::require_index_range<Index>(rows, cols, n, where);
        for (std::size_t k = 0; k < n; ++k) {
            const Index r = row_of(k);
            const Index c = col_of(k);
            if (detail::is_negative(r) || static_cast<std::size_t>(r) >= rows || detail::is_negative(c) ||
                static_cast<std::size_t>(c) >= cols) {
                detail::throw_argument(where, "entries",
                                       "entry " + std::to_string(k) + " at (" + detail::csr_index_text(r) + ", " +
                                           detail::csr_index_text(c) + ") is outside the " + std::to_string(rows) +
                                           " x " + std::to_string(cols) + " shape");
            }
        }
        csr_matrix m(rows, cols, alloc);
        // Counting sort by row into `order`, then sort each row by column and merge duplicates.
        using size_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<std::size_t>;
        std::vector<std::size_t, size_allocator> start(rows + 1, 0, size_allocator(alloc));
        for (std::size_t k = 0; k < n; ++k) ++start[static_cast<std::size_t>(row_of(k)) + 1];
        for (std::size_t r = 0; r < rows; ++r) start[r + 1] += start[r];
        std::vector<std::size_t, size_allocator> order(n, 0, size_allocator(alloc));
        {
            std::vector<std::size_t, size_allocator> next(start.begin(), start.end() - 1, size_allocator(alloc));
            for (std::size_t k = 0; k < n; ++k) order[next[static_cast<std::size_t>(row_of(k))]++] = k;
        }
        m.indices_.reserve(n);
        m.values_.reserve(n);
        for (std::size_t r = 0; r < rows; ++r) {
            const auto first = order.begin() + static_cast<std::ptrdiff_t>(start[r]);
            const auto last = order.begin() + static_cast<std::ptrdiff_t>(start[r + 1]);
            // Ties broken by input position, so duplicates are summed in input order (reproducible
            // floating-point sums); std::sort, unlike stable_sort, needs no buffer from the global heap.
            std::sort(first, last, [&](std::size_t a, std::size_t b) {
                const Index ca = col_of(a);
                const Index cb = col_of(b);
                return ca < cb || (ca == cb && a < b);
            });
            for (auto it = first; it != last; ++it) {
                const Index c = col_of(*it);
                if (static_cast<std::size_t>(m.indptr_[r]) < m.indices_.size() && m.indices_.back() == c) {
                    m.values_.back() += value_of(*it);
                } else {
                    m.indices_.push_back(c);
                    m.values_.push_back(value_of(*it));
                }
            }
            m.indptr_[r + 1] = static_cast<Index>(m.indices_.size());
        }
        return m;
    }

    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
    index_vector indptr_;
    index_vector indices_;
    value_vector values_;
};

}  // namespace tessera
