/// \file
/// tessera/core/matrix_view.hpp - a non-owning, strided, row-major view of a dense matrix.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

#include "tessera/core/error.hpp"

namespace tessera {

/// A non-owning view of a row-major matrix whose rows start `stride` elements apart.
///
/// `matrix_view<const T>` is the read-only form that algorithms take; `matrix_view<T>` is the
/// mutable form that output arguments take. A mutable view converts implicitly to a const view.
/// Building a view is O(1) and never copies; the viewed memory must outlive the view.
///
/// Preconditions (checked, `tessera::invalid_argument`): `stride >= cols`, and `data` is not
/// null unless the view is empty. Element access is not bounds-checked in release builds
/// (TESSERA_ASSERT checks it in debug builds).
///
/// Thread safety: a view is a value; concurrent reads through views are safe, concurrent
/// writes to the same elements are not.
template <class T>
class matrix_view {
public:
    using element_type = T;                  ///< viewed element type, const-qualified for read-only views
    using value_type = std::remove_cv_t<T>;  ///< element type without const
    using size_type = std::size_t;           ///< type of shapes and indices

    /// An empty 0 x 0 view.
    constexpr matrix_view() noexcept = default;

    /// A contiguous view: rows are `cols` elements apart.
    constexpr matrix_view(T* data, size_type rows, size_type cols) : matrix_view(data, rows, cols, cols) {}

    /// A strided view: row `i` starts at `data + i * stride`.
    constexpr matrix_view(T* data, size_type rows, size_type cols, size_type stride)
        : data_(data), rows_(rows), cols_(cols), stride_(stride) {
        if (stride < cols) {
            detail::throw_argument("matrix_view", "stride",
                                   "must be at least the number of columns (stride = " + std::to_string(stride) +
                                       ", cols = " + std::to_string(cols) + ")");
        }
        if (data == nullptr && rows != 0 && cols != 0) {
            detail::throw_argument("matrix_view", "data", "is null but the shape is not empty");
        }
    }

    /// Mutable-to-const conversion.
    template <class U>
        requires(std::is_const_v<T> && std::is_same_v<const U, T>)
    constexpr matrix_view(const matrix_view<U>& other) noexcept  // NOLINT(google-explicit-constructor)
        : data_(other.data()), rows_(other.rows()), cols_(other.cols()), stride_(other.stride()) {}

    /// The first element of row 0 (null for a default-constructed view).
    [[nodiscard]] constexpr T* data() const noexcept { return data_; }
    /// Number of rows.
    [[nodiscard]] constexpr size_type rows() const noexcept { return rows_; }
    /// Number of columns.
    [[nodiscard]] constexpr size_type cols() const noexcept { return cols_; }
    /// Distance, in elements, between the starts of consecutive rows.
    [[nodiscard]] constexpr size_type stride() const noexcept { return stride_; }
    /// rows() * cols(): the number of viewed elements (padding excluded).
    [[nodiscard]] constexpr size_type size() const noexcept { return rows_ * cols_; }
    /// Whether the view has no elements (no rows or no columns).
    [[nodiscard]] constexpr bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }
    /// True when the elements form one block (no gaps between rows).
    [[nodiscard]] constexpr bool is_contiguous() const noexcept { return stride_ == cols_ || rows_ <= 1; }

    /// Row i, cols() elements. Precondition: i < rows() (checked only by TESSERA_ASSERT).
    [[nodiscard]] constexpr std::span<T> row(size_type i) const noexcept {
        TESSERA_ASSERT(i < rows_);
        return std::span<T>(data_ + i * stride_, cols_);
    }

    /// Element (i, j). Precondition: i < rows() and j < cols() (checked only by TESSERA_ASSERT).
    [[nodiscard]] constexpr T& operator()(size_type i, size_type j) const noexcept {
        TESSERA_ASSERT(i < rows_ && j < cols_);
        return data_[i * stride_ + j];
    }

    /// Rows [first, first + count) as a view of the same memory.
    [[nodiscard]] constexpr matrix_view row_block(size_type first, size_type count) const {
        if (first > rows_ || count > rows_ - first) {
            detail::throw_argument("matrix_view::row_block", "count",
                                   "rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                       ") exceed the " + std::to_string(rows_) + " rows of the view");
        }
        matrix_view v;
        v.data_ = count == 0 ? data_ : data_ + first * stride_;
        v.rows_ = count;
        v.cols_ = cols_;
        v.stride_ = stride_;
        return v;
    }

private:
    T* data_ = nullptr;
    size_type rows_ = 0;
    size_type cols_ = 0;
    size_type stride_ = 0;
};

///@{
/// Deduces the element type from the pointer: `matrix_view(p, rows, cols)` with `const float* p`
/// is a `matrix_view<const float>`.
template <class T>
matrix_view(T*, std::size_t, std::size_t) -> matrix_view<T>;
template <class T>
matrix_view(T*, std::size_t, std::size_t, std::size_t) -> matrix_view<T>;
///@}

/// Views `rows * cols` elements at `data` as a contiguous matrix (the "pointer plus shape" input).
template <class T>
[[nodiscard]] constexpr matrix_view<T> make_view(T* data, std::size_t rows, std::size_t cols) {
    return matrix_view<T>(data, rows, cols);
}

/// Views a strided matrix at `data`.
template <class T>
[[nodiscard]] constexpr matrix_view<T> make_view(T* data, std::size_t rows, std::size_t cols, std::size_t stride) {
    return matrix_view<T>(data, rows, cols, stride);
}

}  // namespace tessera
