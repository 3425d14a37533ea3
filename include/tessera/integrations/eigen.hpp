/// \file
/// tessera/integrations/eigen.hpp - Eigen 3.4 matrices as tessera inputs and outputs, without
/// copies. Needs Eigen: link the tessera::eigen CMake target (which defines TESSERA_HAS_EIGEN).
///
/// ```cpp
///   Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> X = ...;
///   auto v = tessera::eigen::view(X);          // matrix_view<const float>, no copy
///   tessera::dense_matrix<float> m = ...;
///   auto e = tessera::eigen::map(m);            // Eigen::Map over tessera's storage, stride kept
/// ```
///
/// Column-major Eigen matrices are not row-major views; pass `X.transpose()` materialized in
/// row-major form, or copy with `tessera::eigen::to_dense`.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <type_traits>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/matrix_view.hpp"

/// Zero-copy conversions between Eigen 3.4 row-major matrices and tessera's matrix types.
namespace tessera::eigen {

/// A row-major dynamic Eigen matrix of T.
template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// An Eigen map of a strided row-major block.
template <class T>
using row_map = Eigen::Map<std::conditional_t<std::is_const_v<T>, const row_matrix<std::remove_const_t<T>>,
                                              row_matrix<T>>,
                           Eigen::Unaligned, Eigen::OuterStride<>>;

/// Views any row-major Eigen dense object with direct access (Matrix, Map, Block of those)
/// as a matrix_view. O(1), no copy; the Eigen object must outlive the view.
template <class Derived>
    requires(static_cast<bool>(Derived::IsRowMajor) || Derived::ColsAtCompileTime == 1)
[[nodiscard]] auto view(const Eigen::PlainObjectBase<Derived>& m) {
    using T = typename Derived::Scalar;
    return matrix_view<const T>(m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()),
                                static_cast<std::size_t>(m.outerStride()));
}

/// Mutable view of a row-major Eigen matrix (for output arguments).
template <class Derived>
    requires(static_cast<bool>(Derived::IsRowMajor) || Derived::ColsAtCompileTime == 1)
[[nodiscard]] auto mutable_view(Eigen::PlainObjectBase<Derived>& m) {
    using T = typename Derived::Scalar;
    return matrix_view<T>(m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()),
                          static_cast<std::size_t>(m.outerStride()));
}

/// Views a row-major Eigen Map (including strided maps) as a matrix_view.
template <class T, int Options, class Stride>
[[nodiscard]] auto view(const Eigen::Map<row_matrix<T>, Options, Stride>& m) {
    return matrix_view<const T>(m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()),
                                static_cast<std::size_t>(m.outerStride()));
}

/// An Eigen map over a tessera view (row stride preserved). O(1), no copy.
template <class T>
[[nodiscard]] row_map<T> map(matrix_view<T> v) {
    using index = Eigen::Index;
    return row_map<T>(v.data(), static_cast<index>(v.rows()), static_cast<index>(v.cols()),
                      Eigen::OuterStride<>(static_cast<index>(v.stride())));
}

///@{
/// An Eigen map over a dense_matrix (mutable or const according to `m`). O(1), no copy.
template <class T, class A>
[[nodiscard]] row_map<T> map(dense_matrix<T, A>& m) {
    return map(m.view());
}
template <class T, class A>
[[nodiscard]] row_map<const T> map(const dense_matrix<T, A>& m) {
    return map(m.view());
}
///@}

/// A dense_matrix copy of any Eigen expression (column-major ones included).
template <class Derived, class A = std::allocator<typename Derived::Scalar>>
[[nodiscard]] dense_matrix<typename Derived::Scalar, A> to_dense(const Eigen::DenseBase<Derived>& e,
                                                                 row_padding padding = row_padding::aligned,
                                                                 const A& alloc = A()) {
    dense_matrix<typename Derived::Scalar, A> out(static_cast<std::size_t>(e.rows()), static_cast<std::size_t>(e.cols()),
                                                  padding, alloc);
    map(out) = e;
    return out;
}

}  // namespace tessera::eigen
