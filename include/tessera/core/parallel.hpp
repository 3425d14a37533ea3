/// \file
/// tessera/core/parallel.hpp - the one parallel-loop abstraction every algorithm uses.
///
/// With OpenMP enabled (link tessera::openmp, which defines TESSERA_HAS_OPENMP) loops run on
/// OpenMP threads; otherwise they run serially on the calling thread, with the same results.
///
/// Determinism: work is cut into blocks whose boundaries depend only on the range and the block
/// size, never on the thread count, and parallel_reduce combines block results in block order.
/// An algorithm that writes each output from one block and reduces through parallel_reduce
/// therefore gives bit-identical results for any thread count.
///
/// Oversubscription: a parallel_for called from inside another parallel region runs serially
/// (no nested teams), and the thread count is a per-call option rather than global state. Keep
/// any BLAS you call from inside a loop body single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/error.hpp"

#if defined(TESSERA_HAS_OPENMP)
#include <omp.h>
#endif

namespace tessera {

/// Per-call parallel settings.
struct parallel_options {
    /// Threads to use: 0 means "all available" (OpenMP's default, which honours
    /// OMP_NUM_THREADS), 1 means run on the calling thread. Ignored without OpenMP.
    int n_threads = 0;
    /// Indices per block: 0 picks a size that gives every thread several blocks. Results never
    /// depend on this choice for parallel_for; for parallel_reduce they depend on it (and only on it).
    std::size_t block_size = 0;
};

/// True when tessera was built with OpenMP (TESSERA_HAS_OPENMP).
[[nodiscard]] constexpr bool parallel_enabled() noexcept {
#if defined(TESSERA_HAS_OPENMP)
    return true;
#else
    return false;
#endif
}

/// The number of threads a call with `options` would use (1 without OpenMP or inside an
/// enclosing parallel region).
[[nodiscard]] inline int effective_threads(const parallel_options& options = {}) noexcept {
#if defined(TESSERA_HAS_OPENMP)
    if (omp_in_parallel()) return 1;
    const int available = omp_get_max_threads();
    return options.n_threads <= 0 ? available : options.n_threads;
#else
    (void)options;
    return 1;
#endif
}

namespace detail {
/// \cond

inline void check_parallel_options(const parallel_options& options, const char* where) {
    if (options.n_threads < 0) {
        throw_argument(where, "options.n_threads", "must be >= 0 (0 = all available), got " + std::to_string(options.n_threads));
    }
}

// Runs body(block) for block in [0, n_blocks), in parallel when possible. An exception thrown
// by a block is rethrown on the calling thread after the loop (the one from the lowest block,
// so which error a caller sees does not depend on scheduling).
template <class Body>
void run_blocks(std::size_t n_blocks, int threads, Body&& body) {
    if (n_blocks == 0) return;
    if (threads <= 1 || n_blocks == 1) {
        for (std::size_t b = 0; b < n_blocks; ++b) body(b);
        return;
    }
#if defined(TESSERA_HAS_OPENMP)
    std::exception_ptr first_error;
    std::size_t first_error_block = n_blocks;
    const auto n = static_cast<long long>(n_blocks);
    const int team = static_cast<int>(std::min<std::size_t>(n_blocks, static_cast<std::size_t>(threads)));
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
    for (long long b = 0; b < n; ++b) {
        try {
            body(static_cast<std::size_t>(b));
        } catch (...) {
#pragma omp critical(tessera_parallel_error)
            {
                if (static_cast<std::size_t>(b) < first_error_block) {
                    first_error_block = static_cast<std::size_t>(b);
                    first_error = std::current_exception();
                }
            }
        }
    }
    if (first_error) std::rethrow_exception(first_error);
#else
    for (std::size_t b = 0; b < n_blocks; ++b) body(b);
#endif
}

[[nodiscard]] inline std::size_t pick_block_size(std::size_t count, int threads, std::size_t requested) noexcept {
    if (requested > 0) return requested;
    if (threads <= 1) return count == 0 ? 1 : count;
    const std::size_t target_blocks = static_cast<std::size_t>(threads) * 8;  // room for load balance
    return std::max<std::size_t>(1, (count + target_blocks - 1) / target_blocks);
}

/// \endcond
}  // namespace detail

/// Calls `f(lo, hi)` for consecutive blocks [lo, hi) covering [begin, end), possibly in
/// parallel: for loops that amortize setup (a scratch buffer, a kernel call) over a block.
/// Block boundaries are multiples of the block size from `begin`.
template <class F>
    requires std::is_invocable_v<F&, std::size_t, std::size_t>
void parallel_for_blocks(std::size_t begin, std::size_t end, F&& f, const parallel_options& options = {}) {
    detail::check_parallel_options(options, "parallel_for_blocks");
    if (end <= begin) return;
    const std::size_t count = end - begin;
    const int threads = effective_threads(options);
    const std::size_t block = detail::pick_block_size(count, threads, options.block_size);
    const std::size_t n_blocks = (count + block - 1) / block;
    detail::run_blocks(n_blocks, threads, [&](std::size_t b) {
        const std::size_t lo = begin + b * block;
        f(lo, std::min(end, lo + block));
    });
}

/// Calls `f(i)` for every i in [begin, end), possibly in parallel. `f` must be safe to call
/// concurrently for different i. If calls throw, the exception from the lowest-numbered block
/// is rethrown after all blocks finished. Throws `tessera::invalid_argument` for a negative
/// thread count.
template <class F>
    requires std::is_invocable_v<F&, std::size_t>
void parallel_for(std::size_t begin, std::size_t end, F&& f, const parallel_options& options = {}) {
    parallel_for_blocks(
        begin, end,
        [&f](std::size_t lo, std::size_t hi) {
            for (std::size_t i = lo; i < hi; ++i) f(i);
        },
        options);
}

/// A deterministic parallel reduction: [begin, end) is cut into blocks of `block_size`
/// indices (a required argument, so the result cannot depend on the thread count), each block
/// is mapped with `map(lo, hi) -> T`, and the block results are folded left to right with
/// `reduce(T, T) -> T` starting from `identity`. O(n / block_size) extra memory.
template <class T, class Map, class Reduce>
    requires std::is_invocable_r_v<T, Map&, std::size_t, std::size_t> && std::is_invocable_r_v<T, Reduce&, T, T>
[[nodiscard]] T parallel_reduce(std::size_t begin, std::size_t end, std::size_t block_size, T identity, Map&& map,
                                Reduce&& reduce, const parallel_options& options = {}) {
    detail::check_parallel_options(options, "parallel_reduce");
    if (block_size == 0) detail::throw_argument("parallel_reduce", "block_size", "must be positive");
    if (end <= begin) return identity;
    const std::size_t count = end - begin;
    const std::size_t n_blocks = (count + block_size - 1) / block_size;
    std::vector<T> partial(n_blocks, identity);
    detail::run_blocks(n_blocks, effective_threads(options), [&](std::size_t b) {
        const std::size_t lo = begin + b * block_size;
        partial[b] = map(lo, std::min(end, lo + block_size));
    });
    T acc = std::move(identity);
    for (auto& p : partial) acc = reduce(std::move(acc), std::move(p));
    return acc;
}

}  // namespace tessera
