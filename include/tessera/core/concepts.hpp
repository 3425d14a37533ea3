/// \file
/// tessera/core/concepts.hpp - how user data enters tessera's algorithms.
///
/// An algorithm that reads a dense data set takes any `dense_input` and calls `as_rows(x)`:
///
///   - a `matrix_view<T>` / `matrix_view<const T>` (strided, row-major; also "pointer plus
///     shape" through make_view), a `dense_matrix<T, A>`, or any type convertible to
///     `matrix_view<const T>`, is used as it is (a strided view, no copy);
///   - any random-access range of contiguous, sized ranges of numbers, such as
///     `std::vector<std::vector<float>>` or `std::vector<std::array<double, 4>>`, is wrapped in
///     a `range_rows` adapter that refers to the caller's rows (no copy). Its rows must have
///     equal lengths; `as_rows` checks that in O(rows).
///
/// Both results model `row_access`: rows(), cols() and row(i) -> std::span<const T>. Kernels
/// that want a single strided block test for `strided_rows` and otherwise gather rows.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "tessera/core/error.hpp"
#include "tessera/core/half.hpp"
#include "tessera/core/matrix_view.hpp"

namespace tessera {

/// Element types tessera's numeric algorithms accept: arithmetic types other than bool and the
/// character types (`std::int8_t`/`std::uint8_t`, i.e. signed/unsigned char, are numbers; plain
/// `char`, `char8_t`... are text, so a `std::vector<std::string>` is not a matrix).
template <class T>
concept numeric = std::is_arithmetic_v<T> && !std::same_as<std::remove_cv_t<T>, bool> &&
                  !std::same_as<std::remove_cv_t<T>, char> && !std::same_as<std::remove_cv_t<T>, wchar_t> &&
                  !std::same_as<std::remove_cv_t<T>, char8_t> && !std::same_as<std::remove_cv_t<T>, char16_t> &&
                  !std::same_as<std::remove_cv_t<T>, char32_t>;

/// Element types a dense input may hold: the numeric types and tessera's 16-bit floating-point
/// storage types (bfloat16, half), which algorithms that accept them read through their exact
/// conversion to float. Algorithms that need arithmetic on the elements constrain on numeric.
template <class T>
concept storage_element =
    numeric<T> || std::same_as<std::remove_cv_t<T>, bfloat16> || std::same_as<std::remove_cv_t<T>, half>;

/// Anything that exposes `rows()`, `cols()` and `row(i)` as a contiguous span of elements.
template <class M>
concept row_access = requires(const M& m, std::size_t i) {
    { m.rows() } -> std::convertible_to<std::size_t>;
    { m.cols() } -> std::convertible_to<std::size_t>;
    { m.row(i) } -> std::ranges::contiguous_range;
    requires storage_element<std::ranges::range_value_t<decltype(m.row(i))>>;
};

/// A row_access whose rows are `stride()` elements apart from `data()`: usable by blocked kernels.
template <class M>
concept strided_rows = row_access<M> && requires(const M& m) {
    { m.data() } -> std::convertible_to<const std::remove_cvref_t<decltype(*m.data())>*>;
    { m.stride() } -> std::convertible_to<std::size_t>;
};

namespace detail {
/// \cond

template <class X>
struct matrix_like_value {};

template <class T>
struct matrix_like_value<matrix_view<T>> {
    using type = std::remove_cv_t<T>;
};

// Types with a const view() returning a view with an element_type: dense_matrix and user
// containers that follow the same convention (csr_matrix's view() is sparse and does not match).
template <class X>
    requires requires(const X& x) { typename decltype(x.view())::element_type; } &&
             (!requires { typename X::element_type; })
struct matrix_like_value<X> {
    using type = std::remove_cv_t<typename decltype(std::declval<const X&>().view())::element_type>;
};

/// \endcond
}  // namespace detail

/// A dense matrix that is (or converts to) a strided `matrix_view<const T>` of elements.
template <class X>
concept matrix_like = requires { typename detail::matrix_like_value<std::remove_cvref_t<X>>::type; } &&
                      storage_element<typename detail::matrix_like_value<std::remove_cvref_t<X>>::type> &&
                      std::convertible_to<const std::remove_cvref_t<X>&,
                                          matrix_view<const typename detail::matrix_like_value<std::remove_cvref_t<X>>::type>>;

/// A random-access range whose elements are contiguous sized ranges of elements (one per row).
template <class R>
concept row_range = std::ranges::random_access_range<R> && std::ranges::sized_range<R> &&
                    std::ranges::contiguous_range<std::ranges::range_reference_t<R>> &&
                    std::ranges::sized_range<std::ranges::range_reference_t<R>> &&
                    storage_element<std::ranges::range_value_t<std::ranges::range_reference_t<R>>> && !matrix_like<R>;

/// Everything an algorithm accepts as a dense data set.
template <class X>
concept dense_input = matrix_like<X> || row_range<X>;

namespace detail {
/// \cond
template <class X>
struct dense_value {};
template <matrix_like X>
struct dense_value<X> {
    using type = typename matrix_like_value<std::remove_cvref_t<X>>::type;
};
template <row_range X>
struct dense_value<X> {
    using type = std::remove_cv_t<std::ranges::range_value_t<std::ranges::range_reference_t<X>>>;
};
/// \endcond
}  // namespace detail

/// The element type of a dense input (`float` for `std::vector<std::vector<float>>`).
template <dense_input X>
using dense_value_t = typename detail::dense_value<std::remove_cvref_t<X>>::type;

/// A non-owning row_access over a range of rows. Holds a pointer to the caller's range: the
/// range must outlive the adapter and must not be resized while it is used.
template <row_range R>
class range_rows {
public:
    /// Element type of the rows.
    using value_type = std::remove_cv_t<std::ranges::range_value_t<std::ranges::range_reference_t<R>>>;

    /// Refers to `rows`, whose rows all hold `cols` elements. Nothing is checked here: as_rows
    /// checks the row lengths before it builds an adapter.
    range_rows(const R& rows, std::size_t cols) noexcept : rows_(&rows), cols_(cols) {}

    /// Number of rows (the size of the range).
    [[nodiscard]] std::size_t rows() const noexcept { return static_cast<std::size_t>(std::ranges::size(*rows_)); }
    /// Number of columns, as given at construction.
    [[nodiscard]] std::size_t cols() const noexcept { return cols_; }
    /// Whether there are no rows or no columns.
    [[nodiscard]] bool empty() const noexcept { return rows() == 0 || cols_ == 0; }
    /// Row i as a span of cols() elements. O(1). Precondition: i < rows() (checked only by
    /// TESSERA_ASSERT).
    [[nodiscard]] std::span<const value_type> row(std::size_t i) const noexcept {
        TESSERA_ASSERT(i < rows());
        const auto& r = std::ranges::begin(*rows_)[static_cast<std::ranges::range_difference_t<R>>(i)];
        return std::span<const value_type>(std::ranges::data(r), cols_);
    }

private:
    const R* rows_;
    std::size_t cols_;
};

/// Returns a `matrix_view<const T>` of a matrix_like input (O(1), no copy).
template <matrix_like X>
[[nodiscard]] auto as_rows(const X& x, std::string_view /*where*/ = {}, std::string_view /*arg*/ = {}) {
    return matrix_view<const dense_value_t<X>>(x);
}

/// Returns a `range_rows` over a range of rows (no copy). Throws `tessera::dimension_mismatch`,
/// naming `where` and `arg`, when the rows have different lengths. O(rows).
template <row_range X>
[[nodiscard]] range_rows<X> as_rows(const X& x, std::string_view where = "as_rows", std::string_view arg = "rows") {
    std::size_t cols = 0;
    std::size_t i = 0;
    for (const auto& r : x) {
        const auto len = static_cast<std::size_t>(std::ranges::size(r));
        if (i == 0) {
            cols = len;
        } else if (len != cols) {
            detail::throw_argument<dimension_mismatch>(where, arg,
                                                       "row " + std::to_string(i) + " has " + std::to_string(len) +
                                                           " values but row 0 has " + std::to_string(cols));
        }
        ++i;
    }
    return range_rows<X>(x, cols);
}

/// Checks that a dense input holds only finite numbers; throws `tessera::invalid_argument`
/// naming the row and column of the first NaN or Inf. O(rows * cols).
template <row_access M>
void require_finite_rows(const M& m, std::string_view where, std::string_view arg) {
    using T = std::remove_cv_t<std::ranges::range_value_t<decltype(m.row(0))>>;
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, bfloat16> || std::is_same_v<T, half>) {
        for (std::size_t i = 0; i < m.rows(); ++i) {
            const auto r = m.row(i);
            for (std::size_t j = 0; j < m.cols(); ++j) {
                const auto x = static_cast<std::conditional_t<std::is_floating_point_v<T>, T, float>>(r[j]);
                if (!std::isfinite(x)) {
                    detail::throw_argument(where, arg,
                                           std::string("contains ") + (std::isnan(x) ? "NaN" : "Inf") + " at row " +
                                               std::to_string(i) + ", column " + std::to_string(j));
                }
            }
        }
    }
}

}  // namespace tessera
