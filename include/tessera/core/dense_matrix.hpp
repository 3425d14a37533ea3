/// \file
/// tessera/core/dense_matrix.hpp - an owning, allocator-aware, row-major matrix with aligned rows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "tessera/core/error.hpp"
#include "tessera/core/matrix_view.hpp"

namespace tessera {

/// How a dense_matrix lays out its rows.
enum class row_padding {
    /// Each row starts on a 64-byte boundary; the stride is rounded up to a whole number of
    /// 64-byte lines and the padding elements are kept at zero, so SIMD kernels may read whole
    /// vectors past the last column (zeros leave sums, dot products and L1/L2 distances unchanged).
    aligned,
    /// Rows are packed (stride == cols); only the first row is 64-byte aligned.
    none,
};

/// An owning row-major matrix of trivially copyable elements.
///
/// - The storage starts on a 64-byte boundary; with `row_padding::aligned` (the default) so
///   does every row, and padding elements are always zero.
/// - Allocator-aware as the standard containers are: every byte comes from the allocator
///   (through `std::allocator_traits`), the propagate_on_container_* traits and
///   `select_on_container_copy_construction` are honoured, copy and move across unequal
///   allocators copy the elements, and `std::pmr::polymorphic_allocator` works.
/// - Converts implicitly to `matrix_view<T>` / `matrix_view<const T>` (O(1), no copy).
///
/// Complexity: construction, copy and `resize_rows` are linear in the storage; element access O(1).
/// Exceptions: `tessera::invalid_argument` for shapes whose storage would overflow `size_t`,
/// whatever the allocator throws on exhaustion. Thread safety: const member functions may be
/// called concurrently; anything that mutates needs exclusive access.
template <class T, class Allocator = std::allocator<T>>
class dense_matrix {
    static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>,
                  "dense_matrix holds trivially copyable, default-constructible elements");
    static_assert(sizeof(T) <= 64 && 64 % sizeof(T) == 0 && alignof(T) == sizeof(T),
                  "dense_matrix needs an element size that divides 64 bytes and equals its alignment");
    static_assert(std::is_same_v<typename std::allocator_traits<Allocator>::value_type, T>,
                  "Allocator::value_type must be T");

    using alloc_traits = std::allocator_traits<Allocator>;

public:
    using value_type = T;                        ///< element type
    using allocator_type = Allocator;            ///< allocator of the storage
    using size_type = std::size_t;               ///< type of shapes and indices
    using view_type = matrix_view<T>;            ///< mutable view of the elements
    using const_view_type = matrix_view<const T>;  ///< read-only view of the elements

    /// Alignment, in bytes, of the storage (and of every row with row_padding::aligned).
    static constexpr size_type alignment = 64;

    /// An empty 0 x 0 matrix; allocates nothing.
    dense_matrix() noexcept(std::is_nothrow_default_constructible_v<Allocator>) : dense_matrix(Allocator()) {}

    /// An empty 0 x 0 matrix that will allocate with `alloc`; allocates nothing yet.
    explicit dense_matrix(const Allocator& alloc) noexcept : alloc_(alloc) {}

    /// A zero-filled rows x cols matrix.
    dense_matrix(size_type rows, size_type cols, row_padding padding = row_padding::aligned,
                 const Allocator& alloc = Allocator())
        : alloc_(alloc), padding_(padding) {
        shape_storage(rows, cols, rows);
    }

    /// A rows x cols matrix with every element equal to `value`.
    dense_matrix(size_type rows, size_type cols, const T& value, row_padding padding = row_padding::aligned,
                 const Allocator& alloc = Allocator())
        : dense_matrix(rows, cols, padding, alloc) {
        fill(value);
    }

    /// A copy of the viewed elements.
    explicit dense_matrix(matrix_view<const T> source, row_padding padding = row_padding::aligned,
                          const Allocator& alloc = Allocator())
        : dense_matrix(source.rows(), source.cols(), padding, alloc) {
        copy_rows_from(source);
    }

    /// Row-by-row literal: `dense_matrix<float> m{{1, 2}, {3, 4}};`. Rows must have equal lengths.
    dense_matrix(std::initializer_list<std::initializer_list<T>> rows, const Allocator& alloc = Allocator())
        : alloc_(alloc) {
        const size_type cols = rows.size() == 0 ? 0 : rows.begin()->size();
        size_type i = 0;
        for (const auto& r : rows) {
            if (r.size() != cols) {
                detail::throw_argument<dimension_mismatch>(
                    "dense_matrix::dense_matrix", "rows",
                    "row " + std::to_string(i) + " has " + std::to_string(r.size()) + " elements, row 0 has " +
                        std::to_string(cols));
            }
            ++i;
        }
        shape_storage(rows.size(), cols, rows.size());
        i = 0;
        for (const auto& r : rows) std::copy(r.begin(), r.end(), row(i++).begin());
    }

    /// A copy with the same shape and padding; the allocator comes from
    /// `select_on_container_copy_construction`. O(rows * stride).
    dense_matrix(const dense_matrix& other)
        : dense_matrix(other, alloc_traits::select_on_container_copy_construction(other.alloc_)) {}

    /// A copy with the same shape and padding that allocates with `alloc`. O(rows * stride).
    dense_matrix(const dense_matrix& other, const Allocator& alloc) : alloc_(alloc), padding_(other.padding_) {
        shape_storage(other.rows_, other.cols_, other.rows_);
        copy_rows_from(other.view());
    }

    /// Takes the storage of `other`, which is left empty. O(1).
    dense_matrix(dense_matrix&& other) noexcept : alloc_(std::move(other.alloc_)) { steal(other); }

    /// Takes the storage of `other` when the allocators compare equal (O(1), `other` left empty),
    /// otherwise copies the elements into storage from `alloc`.
    dense_matrix(dense_matrix&& other, const Allocator& alloc) : alloc_(alloc) {
        if (alloc_ == other.alloc_) {
            steal(other);
        } else {
            padding_ = other.padding_;
            shape_storage(other.rows_, other.cols_, other.rows_);
            copy_rows_from(other.view());
        }
    }

    /// Copies shape, padding and elements of `other`; the allocator is replaced only when it
    /// propagates on copy assignment.
    dense_matrix& operator=(const dense_matrix& other) {
        if (this == &other) return *this;
        if constexpr (alloc_traits::propagate_on_container_copy_assignment::value) {
            if (alloc_ != other.alloc_) release();
            alloc_ = other.alloc_;
        }
        assign_copy(other);
        return *this;
    }

    /// Takes the storage of `other` (O(1)) when the allocator propagates on move assignment or
    /// the allocators compare equal; otherwise copies the elements.
    dense_matrix& operator=(dense_matrix&& other) noexcept(alloc_traits::propagate_on_container_move_assignment::value ||
                                                          alloc_traits::is_always_equal::value) {
        if (this == &other) return *this;
        if constexpr (alloc_traits::propagate_on_container_move_assignment::value) {
            release();
            alloc_ = std::move(other.alloc_);
            steal(other);
        } else if (alloc_ == other.alloc_) {
            release();
            steal(other);
        } else {
            assign_copy(other);  // unequal allocators that do not propagate: elements are copied
        }
        return *this;
    }

    ~dense_matrix() { release(); }

    /// Exchanges the contents (and the allocators if they propagate on swap). O(1). Swapping
    /// matrices with unequal, non-propagating allocators is undefined, as for the standard
    /// containers.
    void swap(dense_matrix& other) noexcept {
        using std::swap;
        if constexpr (alloc_traits::propagate_on_container_swap::value) {
            swap(alloc_, other.alloc_);
        } else {
            TESSERA_ASSERT(alloc_ == other.alloc_);  // as for standard containers, else undefined
        }
        swap(raw_, other.raw_);
        swap(raw_count_, other.raw_count_);
        swap(data_, other.data_);
        swap(rows_, other.rows_);
        swap(cols_, other.cols_);
        swap(stride_, other.stride_);
        swap(capacity_rows_, other.capacity_rows_);
        swap(padding_, other.padding_);
    }
    /// `a.swap(b)`.
    friend void swap(dense_matrix& a, dense_matrix& b) noexcept { a.swap(b); }

    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const noexcept { return alloc_; }
    /// Number of rows.
    [[nodiscard]] size_type rows() const noexcept { return rows_; }
    /// Number of columns.
    [[nodiscard]] size_type cols() const noexcept { return cols_; }
    /// Distance in elements between consecutive rows (>= cols()).
    [[nodiscard]] size_type stride() const noexcept { return stride_; }
    /// Number of elements, rows() * cols() (padding excluded).
    [[nodiscard]] size_type size() const noexcept { return rows_ * cols_; }
    /// Whether the matrix has no elements (no rows or no columns).
    [[nodiscard]] bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }
    /// The row layout chosen at construction.
    [[nodiscard]] row_padding padding() const noexcept { return padding_; }
    /// Rows that fit before the storage must grow.
    [[nodiscard]] size_type capacity_rows() const noexcept { return capacity_rows_; }

    ///@{
    /// The first element of row 0; row i starts at data() + i * stride(). Null while nothing
    /// is allocated.
    [[nodiscard]] T* data() noexcept { return data_; }
    [[nodiscard]] const T* data() const noexcept { return data_; }
    ///@}

    ///@{
    /// Row i, cols() elements (padding excluded). Precondition: i < rows() (checked only by
    /// TESSERA_ASSERT).
    [[nodiscard]] std::span<T> row(size_type i) noexcept {
        TESSERA_ASSERT(i < rows_);
        return {data_ + i * stride_, cols_};
    }
    [[nodiscard]] std::span<const T> row(size_type i) const noexcept {
        TESSERA_ASSERT(i < rows_);
        return {data_ + i * stride_, cols_};
    }
    ///@}

    ///@{
    /// Element (i, j). Precondition: i < rows() and j < cols() (checked only by TESSERA_ASSERT).
    [[nodiscard]] T& operator()(size_type i, size_type j) noexcept {
        TESSERA_ASSERT(i < rows_ && j < cols_);
        return data_[i * stride_ + j];
    }
    [[nodiscard]] const T& operator()(size_type i, size_type j) const noexcept {
        TESSERA_ASSERT(i < rows_ && j < cols_);
        return data_[i * stride_ + j];
    }
    ///@}

    ///@{
    /// A strided view of the elements. O(1); valid while the storage stays in place (growing
    /// past capacity_rows() reallocates it).
    [[nodiscard]] view_type view() noexcept { return view_type(data_, rows_, cols_, stride_); }
    [[nodiscard]] const_view_type view() const noexcept { return const_view_type(data_, rows_, cols_, stride_); }
    operator view_type() noexcept { return view(); }                  // NOLINT(google-explicit-constructor)
    operator const_view_type() const noexcept { return view(); }      // NOLINT(google-explicit-constructor)
    ///@}

    /// Sets every element (padding stays zero).
    void fill(const T& value) noexcept {
        for (size_type i = 0; i < rows_; ++i) std::fill_n(data_ + i * stride_, cols_, value);
    }

    /// Makes room for `rows` rows without changing the contents. Strong exception guarantee.
    void reserve_rows(size_type rows) {
        if (rows <= capacity_rows_) return;
        dense_matrix grown(alloc_);
        grown.padding_ = padding_;
        grown.shape_storage(rows_, cols_, rows);
        grown.copy_rows_from(view());
        take_storage(grown);
    }

    /// Grows or shrinks to `rows` rows; new rows are zero. Amortized O(cols) per added row.
    void resize_rows(size_type rows) {
        if (rows > capacity_rows_) reserve_rows(std::max(rows, grow_target()));
        if (rows < rows_) zero_rows(rows, rows_);  // keeps the "unused storage is zero" invariant
        rows_ = rows;
    }

    /// Appends a copy of `values` as a new last row. On an empty 0 x 0 matrix the first row
    /// fixes the number of columns. Amortized O(cols). Strong exception guarantee.
    void append_row(std::span<const T> values) {
        if (rows_ == 0 && cols_ == 0 && capacity_rows_ == 0) {
            shape_storage(0, values.size(), 0);
        }
        if (values.size() != cols_) {
            detail::throw_argument<dimension_mismatch>(
                "dense_matrix::append_row", "values",
                "has " + std::to_string(values.size()) + " elements but the matrix has " + std::to_string(cols_) +
                    " columns");
        }
        resize_rows(rows_ + 1);
        std::copy(values.begin(), values.end(), row(rows_ - 1).begin());
    }

    /// Appends copies of all rows of `block` (its column count must match, as for append_row).
    void append_rows(matrix_view<const T> block) {
        if (block.rows() == 0) return;
        if (rows_ == 0 && cols_ == 0 && capacity_rows_ == 0) shape_storage(0, block.cols(), 0);
        if (block.cols() != cols_) {
            detail::throw_argument<dimension_mismatch>(
                "dense_matrix::append_rows", "block",
                "has " + std::to_string(block.cols()) + " columns but the matrix has " + std::to_string(cols_));
        }
        const size_type old = rows_;
        resize_rows(rows_ + block.rows());
        for (size_type i = 0; i < block.rows(); ++i) std::copy_n(block.row(i).data(), cols_, row(old + i).data());
    }

    /// Element-wise equality of shape and values (padding and allocators are not compared).
    [[nodiscard]] friend bool operator==(const dense_matrix& a, const dense_matrix& b) noexcept {
        if (a.rows_ != b.rows_ || a.cols_ != b.cols_) return false;
        for (size_type i = 0; i < a.rows_; ++i) {
            if (!std::equal(a.row(i).begin(), a.row(i).end(), b.row(i).begin())) return false;
        }
        return true;
    }

private:
    static constexpr size_type lane = alignment / sizeof(T);  // elements per 64-byte line

    [[nodiscard]] size_type grow_target() const noexcept { return capacity_rows_ < 4 ? 4 : capacity_rows_ + capacity_rows_ / 2; }

    // Allocates zeroed storage for `capacity` rows of the given shape; *this must own nothing.
    void shape_storage(size_type rows, size_type cols, size_type capacity) {
        TESSERA_ASSERT(raw_ == nullptr);
        TESSERA_ASSERT(capacity >= rows);
        const size_type stride = padding_ == row_padding::aligned ? round_up(cols) : cols;
        const size_type limit = alloc_traits::max_size(alloc_) - lane;
        if (stride != 0 && capacity > limit / stride) {
            detail::throw_argument("dense_matrix", "rows",
                                   "a " + std::to_string(capacity) + " x " + std::to_string(cols) +
                                       " matrix is larger than the allocator can provide");
        }
        rows_ = rows;
        cols_ = cols;
        stride_ = stride;
        capacity_rows_ = capacity;
        const size_type count = capacity * stride;
        if (count == 0) return;
        raw_count_ = count + lane;
        raw_ = alloc_traits::allocate(alloc_, raw_count_);
        T* first = std::to_address(raw_);
        for (size_type k = 0; k < raw_count_; ++k) alloc_traits::construct(alloc_, first + k, T{});
        const auto address = reinterpret_cast<std::uintptr_t>(first);
        const auto offset_bytes = (alignment - address % alignment) % alignment;
        TESSERA_ASSERT(offset_bytes % sizeof(T) == 0);
        data_ = first + offset_bytes / sizeof(T);
    }

    static constexpr size_type round_up(size_type cols) noexcept {
        if (cols > std::numeric_limits<size_type>::max() - lane) return cols;  // caught by the size check
        return (cols + lane - 1) / lane * lane;
    }

    void copy_rows_from(matrix_view<const T> source) noexcept {
        TESSERA_ASSERT(source.rows() == rows_ && source.cols() == cols_);
        if (cols_ == 0) return;
        if (stride_ == cols_ && source.stride() == cols_ && rows_ > 0) {  // both packed: one block
            std::memcpy(data_, source.data(), ((rows_ - 1) * stride_ + cols_) * sizeof(T));
            return;
        }
        for (size_type i = 0; i < rows_; ++i) std::memcpy(data_ + i * stride_, source.row(i).data(), cols_ * sizeof(T));
    }

    void zero_rows(size_type first, size_type last) noexcept {
        if (last > first) std::fill_n(data_ + first * stride_, (last - first) * stride_, T{});
    }

    void assign_copy(const dense_matrix& other) {
        if (other.rows_ <= capacity_rows_ && other.cols_ == cols_ && other.padding_ == padding_) {
            if (other.rows_ < rows_) zero_rows(other.rows_, rows_);
            rows_ = other.rows_;
            copy_rows_from(other.view());
            return;
        }
        dense_matrix fresh(alloc_);
        fresh.padding_ = other.padding_;
        fresh.shape_storage(other.rows_, other.cols_, other.rows_);
        fresh.copy_rows_from(other.view());
        take_storage(fresh);
    }

    // Moves `other`'s storage into *this (same allocator), releasing ours.
    void take_storage(dense_matrix& other) noexcept {
        release();
        steal(other);
    }

    void steal(dense_matrix& other) noexcept {
        raw_ = std::exchange(other.raw_, nullptr);
        raw_count_ = std::exchange(other.raw_count_, 0);
        data_ = std::exchange(other.data_, nullptr);
        rows_ = std::exchange(other.rows_, 0);
        cols_ = std::exchange(other.cols_, 0);
        stride_ = std::exchange(other.stride_, 0);
        capacity_rows_ = std::exchange(other.capacity_rows_, 0);
        padding_ = other.padding_;
    }

    void release() noexcept {
        if (raw_ != nullptr) {
            T* first = std::to_address(raw_);
            for (size_type k = 0; k < raw_count_; ++k) alloc_traits::destroy(alloc_, first + k);
            alloc_traits::deallocate(alloc_, raw_, raw_count_);
        }
        raw_ = nullptr;
        raw_count_ = 0;
        data_ = nullptr;
        rows_ = cols_ = stride_ = capacity_rows_ = 0;
    }

    [[no_unique_address]] Allocator alloc_;
    typename alloc_traits::pointer raw_ = nullptr;
    size_type raw_count_ = 0;
    T* data_ = nullptr;
    size_type rows_ = 0;
    size_type cols_ = 0;
    size_type stride_ = 0;
    size_type capacity_rows_ = 0;
    row_padding padding_ = row_padding::aligned;
};

}  // namespace tessera
