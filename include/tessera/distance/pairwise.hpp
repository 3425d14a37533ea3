/// \file
/// tessera/distance/pairwise.hpp - many-to-many distances: out(i, j) = metric(x_i, y_j).
///
/// For the metrics built on dot products (squared Euclidean, Euclidean, cosine, inner products)
/// the matrix of dots X Y^T is computed like a matrix product: Y is packed into k-major panels
/// and a register-tiled micro-kernel computes tiles with FMAs (AVX2: 6 x 16 floats or 6 x 8
/// doubles; AVX-512: 12 x 32 floats or 12 x 16 doubles),
/// blocked so that a panel of Y stays in cache while all rows of X pass over it. Distances then
/// come from precomputed norms:
///     squared L2:  ||x||^2 + ||y||^2 - 2 x.y   (clamped at 0)
///     cosine:      1 - x.y / (||x|| ||y||)     (zero vectors: 1, as for one-to-one)
/// Other metrics (Manhattan, user-defined) are evaluated pair by pair with their own kernel.
///
/// Accuracy: the expanded form trades the cancellation of close points for speed. Its absolute
/// error is bounded by gamma(d + 2) * (||x||^2 + ||y||^2 + 2 sum_k |x_k y_k|) (same gamma as in
/// simd/kernels.hpp), i.e. relative to the norms, not to the distance: two equal rows can come
/// out as a small positive number instead of 0. Use one_to_many for exact small distances.
///
/// Parallelism and determinism: rows of X are split into blocks run through parallel_for; every
/// output element is computed by one thread in a fixed order, so results are identical for any
/// thread count. Memory: one packing buffer of at most 256 x 256 elements per call.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/matrix_view.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/distance/metrics.hpp"
#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/gemm_avx2.hpp"
#include "tessera/simd/detail/gemm_avx512.hpp"
#include "tessera/simd/kernels.hpp"

namespace tessera {

namespace detail {
/// \cond

// Metrics whose many-to-many form is a function of x.y and the two squared norms.
template <class M>
inline constexpr bool dot_based_metric =
    std::is_same_v<M, sq_euclidean> || std::is_same_v<M, euclidean> || std::is_same_v<M, cosine_distance> ||
    std::is_same_v<M, inner_product> || std::is_same_v<M, negative_inner_product>;

#if TESSERA_ARCH_X86
// A level's micro-kernel as a type the blocked loop below is instantiated with: its vector
// traits, its tile height and the kernel for 1..Rows rows.
template <class V, std::size_t Rows, auto Run>
struct tiles {
    using traits = V;
    static constexpr std::size_t rows = Rows;
    static constexpr auto run = Run;
};

template <class T>
using avx2_tiles = tiles<simd::detail::avx2_of<T>, simd::detail::avx2_tile_rows,
                         &simd::detail::avx2_dot_tile_rows<simd::detail::avx2_of<T>>>;
template <class T>
using avx512_tiles = tiles<simd::detail::avx512_of<T>, simd::detail::avx512_tile_rows,
                           &simd::detail::avx512_dot_tile_rows<simd::detail::avx512_of<T>>>;

// The blocking of the dot-product kernels: nc rows of Y by kc columns per packed block, so that
// a block (nc * kc elements) stays in L2 while the row tiles of X pass over it.
inline constexpr std::size_t pack_rows = 256;  // a multiple of every level's NR
inline constexpr std::size_t pack_cols = 256;

// Packs rows [jc, jc + ncur) and columns [pc, pc + kcur) of Y into ceil(ncur / NR) k-major
// panels of NR rows (panel[p * NR + j] = Y[jc + q * NR + j][pc + p], zero past the last row).
template <std::size_t NR, class T>
void pack_block(matrix_view<const T> y, std::size_t jc, std::size_t ncur, std::size_t pc, std::size_t kcur, T* dst) {
    const std::size_t panels = (ncur + NR - 1) / NR;
    for (std::size_t q = 0; q < panels; ++q) {
        T* panel = dst + q * kcur * NR;
        for (std::size_t jj = 0; jj < NR; ++jj) {
            const std::size_t j = jc + q * NR + jj;
            if (j < jc + ncur) {
                const T* src = y.row(j).data() + pc;
                for (std::size_t p = 0; p < kcur; ++p) panel[p * NR + jj] = src[p];
            } else {
                for (std::size_t p = 0; p < kcur; ++p) panel[p * NR + jj] = T(0);
            }
        }
    }
}

// Row tiles [t0, t1) of X (Tiles::rows rows each) against one packed block: out(i, jc + j) is
// overwritten on the first column block (pc == 0) and accumulated after.
template <class Tiles, class T>
void multiply_block(matrix_view<const T> x, std::size_t t0, std::size_t t1, const T* packed, std::size_t jc,
                    std::size_t ncur, std::size_t pc, std::size_t kcur, matrix_view<T> out) {
    constexpr std::size_t nr = 2 * Tiles::traits::lanes;
    constexpr std::size_t mr = Tiles::rows;
    const std::size_t panels = (ncur + nr - 1) / nr;
    for (std::size_t t = t0; t < t1; ++t) {
        const std::size_t i0 = t * mr;
        const std::size_t rows = std::min(mr, x.rows() - i0);
        for (std::size_t q = 0; q < panels; ++q) {
            const std::size_t j0 = jc + q * nr;
            Tiles::run(rows, kcur, x.row(i0).data() + pc, x.stride(), packed + q * kcur * nr, out.row(i0).data() + j0,
                       out.stride(), std::min(nr, jc + ncur - j0), pc > 0);
        }
    }
}

// out(i, j) = x_i . y_j through the micro-kernel Tiles, packing one block of Y at a time.
template <class Tiles, class T>
void blocked_dot_products(matrix_view<const T> x, matrix_view<const T> y, matrix_view<T> out,
                          const parallel_options& options) {
    constexpr std::size_t nr = 2 * Tiles::traits::lanes;
    const std::size_t d = x.cols();
    std::vector<T> packed(pack_rows * pack_cols);
    for (std::size_t jc = 0; jc < y.rows(); jc += pack_rows) {
        const std::size_t ncur = std::min(pack_rows, y.rows() - jc);
        for (std::size_t pc = 0; pc < d; pc += pack_cols) {
            const std::size_t kcur = std::min(pack_cols, d - pc);
            pack_block<nr>(y, jc, ncur, pc, kcur, packed.data());
            parallel_for_blocks(
                0, (x.rows() + Tiles::rows - 1) / Tiles::rows,
                [&](std::size_t t0, std::size_t t1) {
                    multiply_block<Tiles>(x, t0, t1, packed.data(), jc, ncur, pc, kcur, out);
                },
                options);
        }
    }
}
#endif

// Sets every element of out to zero (the dot products of zero-length rows).
template <class T>
void zero_fill(matrix_view<T> out) {
    for (std::size_t i = 0; i < out.rows(); ++i) std::fill(out.row(i).begin(), out.row(i).end(), T(0));
}

/// Rows of Y packed once for the micro-kernel of the level active when pack() ran, so that many
/// blocks of X can be multiplied by them without packing again (a k-NN search packs each block
/// of the index once per batch of queries, whatever the number of query blocks). dots() gives
/// exactly what dot_products gives at that level. The scalar and NEON levels keep a plain copy.
template <simd::kernel_float T>
class packed_rows {
public:
    /// Packs all rows of y (O(rows * cols) time and memory), blocks of rows in parallel.
    void pack(matrix_view<const T> y, const parallel_options& options = {1, 0}) {
        level_ = simd::active_level();
        rows_ = y.rows();
        cols_ = y.cols();
        const std::size_t nr = panel_width();
        data_.assign(((rows_ + nr - 1) / nr) * nr * cols_, T(0));
        (void)options;  // only the panel layouts of the x86 levels are packed in parallel
#if TESSERA_ARCH_X86
        if (nr > 1) {
            // Every block but the last holds pack_rows rows (a multiple of NR), so block b starts
            // at b * pack_rows * cols whatever the others do.
            parallel_for(
                0, (rows_ + pack_rows - 1) / pack_rows,
                [&](std::size_t b) {
                    const std::size_t jc = b * pack_rows;
                    const std::size_t ncur = std::min(pack_rows, rows_ - jc);
                    const std::size_t padded = (ncur + nr - 1) / nr * nr;
                    T* dst = data_.data() + jc * cols_;
                    for (std::size_t pc = 0; pc < cols_; pc += pack_cols) {
                        const std::size_t kcur = std::min(pack_cols, cols_ - pc);
                        if (level_ == simd::level::avx512) {
                            pack_block<2 * simd::detail::avx512_of<T>::lanes>(y, jc, ncur, pc, kcur, dst);
                        } else {
                            pack_block<2 * simd::detail::avx2_of<T>::lanes>(y, jc, ncur, pc, kcur, dst);
                        }
                        dst += padded * kcur;
                    }
                },
                parallel_options{options.n_threads, 1});
            return;
        }
#endif
        for (std::size_t j = 0; j < rows_; ++j) std::copy(y.row(j).begin(), y.row(j).end(), data_.begin() + j * cols_);
    }

    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
    [[nodiscard]] std::size_t cols() const noexcept { return cols_; }

    /// out(i, j) = x_i . y_j on the calling thread. out must be x.rows() x rows(), x must have
    /// cols() columns (unchecked: an internal building block).
    void dots(matrix_view<const T> x, matrix_view<T> out) const {
        if (cols_ == 0) return zero_fill(out);
#if TESSERA_ARCH_X86
        if (level_ == simd::level::avx512) return multiply_all<avx512_tiles<T>>(x, out);
        if (level_ == simd::level::avx2) return multiply_all<avx2_tiles<T>>(x, out);
#endif
        for (std::size_t i = 0; i < x.rows(); ++i)
            for (std::size_t j = 0; j < rows_; ++j) out(i, j) = simd::dot(x.row(i).data(), data_.data() + j * cols_, cols_);
    }

private:
    [[nodiscard]] std::size_t panel_width() const noexcept {
#if TESSERA_ARCH_X86
        if (level_ == simd::level::avx512) return 2 * simd::detail::avx512_of<T>::lanes;
        if (level_ == simd::level::avx2) return 2 * simd::detail::avx2_of<T>::lanes;
#endif
        return 1;
    }

#if TESSERA_ARCH_X86
    template <class Tiles>
    void multiply_all(matrix_view<const T> x, matrix_view<T> out) const {
        constexpr std::size_t nr = 2 * Tiles::traits::lanes;
        const T* src = data_.data();
        const std::size_t tiles = (x.rows() + Tiles::rows - 1) / Tiles::rows;
        for (std::size_t jc = 0; jc < rows_; jc += pack_rows) {
            const std::size_t ncur = std::min(pack_rows, rows_ - jc);
            const std::size_t padded = (ncur + nr - 1) / nr * nr;
            for (std::size_t pc = 0; pc < cols_; pc += pack_cols) {
                const std::size_t kcur = std::min(pack_cols, cols_ - pc);
                multiply_block<Tiles>(x, 0, tiles, src, jc, ncur, pc, kcur, out);
                src += padded * kcur;
            }
        }
    }
#endif

    simd::level level_ = simd::level::scalar;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
    std::vector<T> data_;
};

// out(i, j) = x_i . y_j for all pairs.
template <simd::kernel_float T>
void dot_products(matrix_view<const T> x, matrix_view<const T> y, matrix_view<T> out, const parallel_options& options) {
    const std::size_t d = x.cols();
    if (d == 0) return zero_fill(out);
    switch (simd::active_level()) {
#if TESSERA_ARCH_X86
        case simd::level::avx512:
            return blocked_dot_products<avx512_tiles<T>>(x, y, out, options);
        case simd::level::avx2:
            return blocked_dot_products<avx2_tiles<T>>(x, y, out, options);
#endif
        default: break;
    }
    parallel_for(
        0, x.rows(),
        [&](std::size_t i) {
            for (std::size_t j = 0; j < y.rows(); ++j) out(i, j) = simd::dot(x.row(i).data(), y.row(j).data(), d);
        },
        options);
}

template <simd::kernel_float T>
std::vector<T> squared_norms(matrix_view<const T> m) {
    std::vector<T> n(m.rows());
    for (std::size_t i = 0; i < m.rows(); ++i) n[i] = simd::dot(m.row(i).data(), m.row(i).data(), m.cols());
    return n;
}

/// \endcond
}  // namespace detail

/// Fills out(i, j) = metric(x_i, y_j) for every row i of x and row j of y.
///
/// Preconditions (checked, `tessera::dimension_mismatch`): x and y have the same number of
/// columns; out is x.rows() x y.rows(). Complexity O(x.rows() * y.rows() * cols); dot-based
/// metrics run the blocked micro-kernel (see the header comment for their accuracy).
template <class T, distance_metric<T> M>
    requires simd::kernel_float<T>
void many_to_many(const M& metric, matrix_view<const std::type_identity_t<T>> x,
                  matrix_view<const std::type_identity_t<T>> y, matrix_view<T> out, const parallel_options& options = {}) {
    if (x.cols() != y.cols()) {
        detail::throw_argument<dimension_mismatch>("many_to_many", "y",
                                                   "has " + std::to_string(y.cols()) + " columns but x has " +
                                                       std::to_string(x.cols()));
    }
    if (out.rows() != x.rows() || out.cols() != y.rows()) {
        detail::throw_argument<dimension_mismatch>(
            "many_to_many", "out",
            "is " + std::to_string(out.rows()) + " x " + std::to_string(out.cols()) + ", expected " +
                std::to_string(x.rows()) + " x " + std::to_string(y.rows()));
    }
    if constexpr (detail::dot_based_metric<M>) {
        detail::dot_products<T>(x, y, out, options);
        if constexpr (std::is_same_v<M, inner_product>) {
            return;
        } else if constexpr (std::is_same_v<M, negative_inner_product>) {
            for (std::size_t i = 0; i < out.rows(); ++i)
                for (T& v : out.row(i)) v = -v;
        } else {
            const auto nx = detail::squared_norms(x);
            const auto ny = detail::squared_norms(y);
            parallel_for(
                0, out.rows(),
                [&](std::size_t i) {
                    const auto row = out.row(i);
                    for (std::size_t j = 0; j < row.size(); ++j) {
                        if constexpr (std::is_same_v<M, cosine_distance>) {
                            row[j] = cosine_distance::from_parts(row[j], nx[i], ny[j]);
                        } else {
                            const T sq = std::max(T(0), nx[i] + ny[j] - T(2) * row[j]);
                            row[j] = std::is_same_v<M, euclidean> ? std::sqrt(sq) : sq;
                        }
                    }
                },
                options);
        }
    } else {
        parallel_for(
            0, x.rows(),
            [&](std::size_t i) {
                for (std::size_t j = 0; j < y.rows(); ++j) {
                    if constexpr (requires { M::raw(x.row(i).data(), y.row(j).data(), x.cols()); }) {
                        out(i, j) = static_cast<T>(M::raw(x.row(i).data(), y.row(j).data(), x.cols()));
                    } else {
                        out(i, j) = static_cast<T>(metric(x.row(i), y.row(j)));
                    }
                }
            },
            options);
    }
}

/// The distance matrix as a new dense_matrix<T> (x.rows() x y.rows()).
template <class M, matrix_like X, matrix_like Y>
    requires std::is_same_v<dense_value_t<X>, dense_value_t<Y>> && simd::kernel_float<dense_value_t<X>> &&
             distance_metric<M, dense_value_t<X>>
[[nodiscard]] dense_matrix<dense_value_t<X>> many_to_many(const M& metric, const X& x, const Y& y,
                                                          const parallel_options& options = {}) {
    using T = dense_value_t<X>;
    const auto xv = as_rows(x);
    const auto yv = as_rows(y);
    dense_matrix<T> out(xv.rows(), yv.rows());
    many_to_many<T>(metric, xv, yv, out.view(), options);
    return out;
}

}  // namespace tessera
