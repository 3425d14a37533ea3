// Exact k-NN search (knn_index, squared Euclidean) against FAISS's IndexFlatL2 in the same run,
// on a base of 100,000 standard-normal float rows (fixed seed), k = 10:
//   - BM_knn_search/d/queries/threads:      tessera, queries/s and GFLOP/s (2 n d per query);
//   - BM_knn_dots_only/d/queries:           the dot products alone (many_to_many, one thread),
//                                           so selection, norms and the exact re-ranking can be
//                                           read off as the difference;
//   - BM_peer_faiss_flat_l2/d/queries/threads (when libfaiss-dev is installed): IndexFlatL2.
// FAISS runs its own OpenMP threads and OpenBLAS's: set OPENBLAS_NUM_THREADS=1 for the one-thread
// rows, and compare the threads argument for the rest.
//
//   cmake --preset bench && cmake --build --preset bench
//   OPENBLAS_NUM_THREADS=1 build/bench/benchmarks/bench_neighbors --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/distance/pairwise.hpp>
#include <tessera/neighbors/knn_index.hpp>

#if defined(TESSERA_BENCH_HAS_FAISS)
#include <faiss/IndexFlat.h>
#include <omp.h>
#endif

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t base_rows = 100000;
constexpr std::size_t k = 10;

const tessera::dense_matrix<float>& data(std::size_t rows, std::size_t d, std::uint64_t seed) {
    static std::map<std::pair<std::size_t, std::uint64_t>, tessera::dense_matrix<float>> cache;
    auto& m = cache[{rows * 100000 + d, seed}];
    if (m.rows() != rows) {
        m = tessera::dense_matrix<float>(rows, d, tessera::row_padding::none);
        tessera::random_engine rng(seed);
        for (std::size_t i = 0; i < rows; ++i)
            for (auto& v : m.row(i)) v = static_cast<float>(rng.normal());
    }
    return m;
}

void set_rates(benchmark::State& state, std::size_t queries, std::size_t d) {
    state.counters["queries/s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * queries), benchmark::Counter::kIsRate);
    state.counters["FLOP/s"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(queries * base_rows * d),
        benchmark::Counter::kIsRate);
}

void BM_knn_search(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto nq = static_cast<std::size_t>(state.range(1));
    const auto threads = static_cast<int>(state.range(2));
    tessera::knn_index<float> index(d);
    index.add(data(base_rows, d, 1));
    const auto& q = data(nq, d, 2);
    for (auto _ : state) {
        auto r = index.search(q, k, tessera::no_filter{}, {threads, 0});
        benchmark::DoNotOptimize(r.ids.data());
    }
    set_rates(state, nq, d);
}
BENCHMARK(BM_knn_search)
    ->Args({128, 1000, 1})
    ->Args({128, 1000, 2})
    ->Args({128, 10000, 1})
    ->Args({128, 10000, 2})
    ->Args({768, 1000, 1})
    ->Args({768, 1000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_knn_dots_only(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto nq = static_cast<std::size_t>(state.range(1));
    const auto& base = data(base_rows, d, 1);
    const auto& q = data(nq, d, 2);
    tessera::dense_matrix<float> out(nq, base_rows);
    for (auto _ : state) {
        tessera::many_to_many<float>(tessera::inner_product{}, q.view(), base.view(), out.view(), {1, 0});
        benchmark::DoNotOptimize(out.data());
    }
    set_rates(state, nq, d);
}
BENCHMARK(BM_knn_dots_only)->Args({128, 1000})->Args({768, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();

#if defined(TESSERA_BENCH_HAS_FAISS)
void BM_peer_faiss_flat_l2(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto nq = static_cast<std::size_t>(state.range(1));
    const auto threads = static_cast<int>(state.range(2));
    const auto& base = data(base_rows, d, 1);
    const auto& q = data(nq, d, 2);
    faiss::IndexFlatL2 index(static_cast<faiss::Index::idx_t>(d));
    index.add(static_cast<faiss::Index::idx_t>(base_rows), base.data());
    std::vector<float> dist(nq * k);
    std::vector<faiss::Index::idx_t> ids(nq * k);
    const int previous = omp_get_max_threads();
    omp_set_num_threads(threads);
    for (auto _ : state) {
        index.search(static_cast<faiss::Index::idx_t>(nq), q.data(), static_cast<faiss::Index::idx_t>(k), dist.data(), ids.data());
        benchmark::DoNotOptimize(ids.data());
    }
    omp_set_num_threads(previous);
    set_rates(state, nq, d);
}
BENCHMARK(BM_peer_faiss_flat_l2)
    ->Args({128, 1000, 1})
    ->Args({128, 1000, 2})
    ->Args({128, 10000, 1})
    ->Args({128, 10000, 2})
    ->Args({768, 1000, 1})
    ->Args({768, 1000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
#endif

}  // namespace
