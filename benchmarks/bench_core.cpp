// Core building blocks whose cost shows up inside models: CSR construction and transposition
// (ALS and the text features transpose user x item / document x term matrices every fit),
// CRC-32C (every save and load), and row appends (incremental k-NN indexes).
//
//   cmake --workflow --preset bench && build/bench/benchmarks/bench_core
#include <benchmark/benchmark.h>

#include <tessera/core/archive.hpp>
#include <tessera/core/crc32c.hpp>
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>

#include <cstdint>
#include <vector>

namespace {

std::vector<tessera::triplet<float>> random_triplets(std::size_t rows, std::size_t cols, std::size_t nnz) {
    tessera::random_engine rng(1);
    std::vector<tessera::triplet<float>> t(nnz);
    for (auto& e : t) {
        e.row = static_cast<std::int32_t>(rng.below(rows));
        e.col = static_cast<std::int32_t>(rng.below(cols));
        e.value = static_cast<float>(rng.uniform01());
    }
    return t;
}

// goodbooks-10k sized: 53k users x 10k books, 6M ratings at full size; scaled by the argument.
void BM_csr_from_triplets(benchmark::State& state) {
    const auto nnz = static_cast<std::size_t>(state.range(0));
    const auto t = random_triplets(53424, 10000, nnz);
    for (auto _ : state) {
        auto m = tessera::csr_matrix<float>::from_triplets(53424, 10000, t);
        benchmark::DoNotOptimize(m.values().data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * nnz));
}
BENCHMARK(BM_csr_from_triplets)->Arg(100000)->Arg(1000000);

void BM_csr_transpose(benchmark::State& state) {
    const auto nnz = static_cast<std::size_t>(state.range(0));
    const auto m = tessera::csr_matrix<float>::from_triplets(53424, 10000, random_triplets(53424, 10000, nnz));
    for (auto _ : state) {
        auto t = m.transpose();
        benchmark::DoNotOptimize(t.values().data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * m.nnz()));
}
BENCHMARK(BM_csr_transpose)->Arg(100000)->Arg(1000000);

void BM_crc32c(benchmark::State& state) {
    std::vector<std::byte> data(static_cast<std::size_t>(state.range(0)));
    tessera::random_engine rng(2);
    for (auto& b : data) b = static_cast<std::byte>(rng.below(256));
    for (auto _ : state) benchmark::DoNotOptimize(tessera::crc32c_of(data));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_crc32c)->Arg(4096)->Arg(1 << 22);

void BM_dense_append_row(benchmark::State& state) {
    const auto cols = static_cast<std::size_t>(state.range(0));
    const std::vector<float> row(cols, 1.f);
    for (auto _ : state) {
        tessera::dense_matrix<float> m;
        for (int i = 0; i < 10000; ++i) m.append_row(row);
        benchmark::DoNotOptimize(m.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 10000));
}
BENCHMARK(BM_dense_append_row)->Arg(784);

}  // namespace
