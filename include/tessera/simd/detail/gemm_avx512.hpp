// tessera/simd/detail/gemm_avx512.hpp - the AVX-512 form of the register-tiled dot-product
// micro-kernel of gemm_avx2.hpp: MR x NR tiles with NR = two zmm vectors (32 floats or
// 16 doubles), packed panels laid out the same way (panel[p * NR + j] = Y[j][p]).
//
// With 32 zmm registers the tile is 12 rows tall: 24 accumulators, two panel vectors and one
// broadcast. Each step p then issues 24 independent FMAs for 2 vector loads and 12 broadcasts,
// enough independent chains to keep two 512-bit FMA pipes busy through a 4-cycle latency.
#pragma once

#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/gemm_tile.hpp"
#include "tessera/simd/detail/kernels_avx512.hpp"

#if TESSERA_ARCH_X86

#include <cstddef>

namespace tessera::simd::detail {

inline constexpr std::size_t avx512_tile_rows = 12;

/// c[r * ldc + j] (+)= sum_p a[r * lda + p] * panel[p * NR + j], for r < MR and j < ncols.
/// When `accumulate` is false the tile is overwritten. Columns past `ncols` come from the
/// panel's zero padding and are not stored.
template <class V, std::size_t MR>
TESSERA_TARGET_AVX512 inline void avx512_dot_tile(std::size_t kc, const typename V::scalar* a, std::size_t lda,
                                                  const typename V::scalar* panel, typename V::scalar* c,
                                                  std::size_t ldc, std::size_t ncols, bool accumulate) noexcept {
    using T = typename V::scalar;
    constexpr std::size_t w = V::lanes;
    typename V::vec acc0[MR];
    typename V::vec acc1[MR];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < MR; ++r) {
        acc0[r] = V::zero();
        acc1[r] = V::zero();
    }
    for (std::size_t p = 0; p < kc; ++p) {
        const typename V::vec b0 = V::load(panel + p * 2 * w);
        const typename V::vec b1 = V::load(panel + p * 2 * w + w);
#pragma GCC unroll 16
        for (std::size_t r = 0; r < MR; ++r) {
            const typename V::vec ar = V::set1(a[r * lda + p]);
            acc0[r] = V::fma(ar, b0, acc0[r]);
            acc1[r] = V::fma(ar, b1, acc1[r]);
        }
    }
    for (std::size_t r = 0; r < MR; ++r) {
        alignas(64) T tile[2 * w];
        V::store(tile, acc0[r]);
        V::store(tile + w, acc1[r]);
        store_tile_row(tile, c + r * ldc, ncols, accumulate);
    }
}

/// The same for any row count 1..avx512_tile_rows (the last rows of X).
template <class V>
inline void avx512_dot_tile_rows(std::size_t mr, std::size_t kc, const typename V::scalar* a, std::size_t lda,
                                const typename V::scalar* panel, typename V::scalar* c, std::size_t ldc,
                                std::size_t ncols, bool accumulate) noexcept {
    with_tile_rows<avx512_tile_rows>(mr, [&](auto rows) {
        avx512_dot_tile<V, decltype(rows)::value>(kc, a, lda, panel, c, ldc, ncols, accumulate);
    });
}

}  // namespace tessera::simd::detail

#endif  // TESSERA_ARCH_X86
