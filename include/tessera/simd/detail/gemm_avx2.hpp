// tessera/simd/detail/gemm_avx2.hpp - the register-tiled dot-product micro-kernel behind the
// many-to-many distances on AVX2 + FMA: an MR x NR tile of dot products between MR rows of X
// and NR rows of Y, with NR = two vectors (16 floats or 8 doubles).
//
// Y is packed k-major into panels, panel[p * NR + j] = Y[j][p], so that each step p loads NR
// values of Y with two vector loads, broadcasts one value of each of the MR rows of X, and
// issues 2 * MR independent FMAs into 2 * MR accumulators (12 of the 16 ymm registers for MR = 6:
// enough independent chains to cover the FMA latency on two FMA ports).
#pragma once

#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/gemm_tile.hpp"
#include "tessera/simd/detail/kernels_avx2.hpp"

#if TESSERA_ARCH_X86

#include <cstddef>

namespace tessera::simd::detail {

inline constexpr std::size_t avx2_tile_rows = 6;

/// c[r * ldc + j] (+)= sum_p a[r * lda + p] * panel[p * NR + j], for r < MR and j < ncols.
/// When `accumulate` is false the tile is overwritten. Columns past `ncols` are computed from
/// the panel's zero padding and not stored.
template <class V, std::size_t MR>
TESSERA_TARGET_AVX2 inline void avx2_dot_tile(std::size_t kc, const typename V::scalar* a, std::size_t lda,
                                              const typename V::scalar* panel, typename V::scalar* c,
                                              std::size_t ldc, std::size_t ncols, bool accumulate) noexcept {
    using T = typename V::scalar;
    constexpr std::size_t w = V::lanes;
    typename V::vec acc0[MR];
    typename V::vec acc1[MR];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < MR; ++r) {
        acc0[r] = V::zero();
        acc1[r] = V::zero();
    }
    for (std::size_t p = 0; p < kc; ++p) {
        const typename V::vec b0 = V::load(panel + p * 2 * w);
        const typename V::vec b1 = V::load(panel + p * 2 * w + w);
#pragma GCC unroll 8
        for (std::size_t r = 0; r < MR; ++r) {
            const typename V::vec ar = V::set1(a[r * lda + p]);
            acc0[r] = V::fma(ar, b0, acc0[r]);
            acc1[r] = V::fma(ar, b1, acc1[r]);
        }
    }
    for (std::size_t r = 0; r < MR; ++r) {
        alignas(32) T tile[2 * w];
        V::store(tile, acc0[r]);
        V::store(tile + w, acc1[r]);
        store_tile_row(tile, c + r * ldc, ncols, accumulate);
    }
}

/// The same for any row count 1..avx2_tile_rows (the last rows of X).
template <class V>
inline void avx2_dot_tile_rows(std::size_t mr, std::size_t kc, const typename V::scalar* a, std::size_t lda,
                                const typename V::scalar* panel, typename V::scalar* c, std::size_t ldc,
                                std::size_t ncols, bool accumulate) noexcept {
    with_tile_rows<avx2_tile_rows>(mr, [&](auto rows) {
        avx2_dot_tile<V, decltype(rows)::value>(kc, a, lda, panel, c, ldc, ncols, accumulate);
    });
}

}  // namespace tessera::simd::detail

#endif  // TESSERA_ARCH_X86
