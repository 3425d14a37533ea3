// tessera/simd/detail/gemm_tile.hpp - the parts of the dot-product micro-kernels that do not
// depend on the instruction set: storing a finished tile, and choosing the compiled tile height
// for the last rows of X. Each level's kernel (gemm_avx2.hpp, gemm_avx512.hpp) keeps only its
// register loop, which has to carry that level's target attribute.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace tessera::simd::detail {

/// row[j] (+)= tile[j] for j < ncols: overwritten on the first depth block, accumulated after.
template <class T>
inline void store_tile_row(const T* tile, T* row, std::size_t ncols, bool accumulate) noexcept {
    if (accumulate) {
        for (std::size_t j = 0; j < ncols; ++j) row[j] += tile[j];
    } else {
        for (std::size_t j = 0; j < ncols; ++j) row[j] = tile[j];
    }
}

/// Calls body(std::integral_constant<std::size_t, mr>{}) for a run-time mr in 1..MaxRows, so
/// each height is a separate compiled kernel with its accumulators in registers.
template <std::size_t MaxRows, class Body>
inline void with_tile_rows(std::size_t mr, Body&& body) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (void)((mr == I + 1 ? (body(std::integral_constant<std::size_t, I + 1>{}), true) : false) || ...);
    }(std::make_index_sequence<MaxRows>{});
}

}  // namespace tessera::simd::detail
