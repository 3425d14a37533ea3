// kd_tree_index against knn_index: the 5 nearest of 60,000 uniform random rows in [0, 1)^d for
// each of 1,000 queries from the same distribution, on one thread, for d = 2 to 32. Both give
// the same answers; the time per query of the two at each d (the queries/s counters, measured in
// the same run) shows where the tree stops paying. Also the tree's build time (add of all rows).
//
//   cmake --preset bench && cmake --build build/bench --target bench_kd_tree
//   build/bench/benchmarks/bench_kd_tree --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/neighbors/kd_tree.hpp>
#include <tessera/neighbors/knn_index.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace {

constexpr std::size_t n_rows = 60000;
constexpr std::size_t n_queries = 1000;
constexpr std::size_t k = 5;

tessera::dense_matrix<float> uniform_rows(std::size_t n, std::size_t d, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    tessera::dense_matrix<float> m(n, d);
    for (std::size_t i = 0; i < n; ++i) {
        for (auto& v : m.row(i)) v = static_cast<float>(rng.uniform01());
    }
    return m;
}

// The rows and queries of dimension d, made once and shared by every benchmark of that d.
struct data_set {
    tessera::dense_matrix<float> rows;
    tessera::dense_matrix<float> queries;
};

const data_set& data_of(std::size_t d) {
    static std::map<std::size_t, data_set> cache;
    auto it = cache.find(d);
    if (it == cache.end()) it = cache.emplace(d, data_set{uniform_rows(n_rows, d, 1 + d), uniform_rows(n_queries, d, 1000 + d)}).first;
    return it->second;
}

template <class Index>
void BM_search(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto& data = data_of(d);
    Index index(d);
    index.add(data.rows);
    for (auto _ : state) {
        auto r = index.search(data.queries, k, tessera::no_filter{}, tessera::parallel_options{1, 0});
        benchmark::DoNotOptimize(r.ids.data());
    }
    state.counters["queries/s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * n_queries), benchmark::Counter::kIsRate);
    state.counters["time/query"] = benchmark::Counter(static_cast<double>(state.iterations() * n_queries),
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_kd_tree_build(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto& data = data_of(d);
    for (auto _ : state) {
        tessera::kd_tree_index<float> index(d);
        index.add(data.rows);
        benchmark::DoNotOptimize(index.ids().data());
    }
    state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n_rows), benchmark::Counter::kIsRate);
}

void dimensions(benchmark::internal::Benchmark* b) {
    for (const int d : {2, 4, 8, 10, 12, 16, 24, 32}) b->Arg(d);
    b->ArgName("d")->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_search<tessera::kd_tree_index<float>>)->Name("BM_search/kd_tree_index")->Apply(dimensions);
BENCHMARK(BM_search<tessera::knn_index<float>>)->Name("BM_search/knn_index")->Apply(dimensions);
BENCHMARK(BM_kd_tree_build)->Apply(dimensions);
