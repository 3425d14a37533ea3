// Naive Bayes fit and predict throughput, one thread, on the shapes scikit-learn is measured on
// by benchmarks/peers/naive_bayes_sklearn.py (same sizes and distributions, different draws):
//   - BM_nb_sparse_*: 100,000 documents x 2^18 terms, about 60 distinct terms per document
//     (term ids skewed towards small ids, counts 1-3), 2 classes, CSR with double values;
//     arguments: model (0 multinomial, 1 complement, 2 bernoulli);
//   - BM_gaussian_* and BM_multinomial_dense_*: 200,000 x 100 doubles, Gaussian features whose
//     means depend on the class; argument: number of classes (2 or 10);
//   - BM_limit_dram_read: a STREAM-like read in the same run. bytes/s of the dense predict
//     benchmarks counts the bytes of X, so their ratio to this limit is the fraction of the
//     memory bandwidth that predict reaches.
// items/s is rows per second, the figure the peer script prints.
//
//   cmake --preset bench && cmake --build --preset bench
//   build/bench/benchmarks/bench_naive_bayes --benchmark_min_time=0.5
//   OMP_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/naive_bayes_sklearn.py
#include <benchmark/benchmark.h>

#include "machine_limits.hpp"

#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

constexpr tessera::parallel_options one_thread{.n_threads = 1};

struct documents {
    tessera::csr_matrix<double> x;
    std::vector<int> y;
};

// 100,000 x 2^18 counts, 30-90 draws per document (60 on average) of term ids floor(2^18 u^3),
// shifted by 7919 for class 1 so that the classes favour different terms; duplicates summed.
const documents& sparse_documents() {
    static const documents d = [] {
        constexpr std::size_t n = 100000;
        constexpr std::size_t terms = std::size_t{1} << 18;
        tessera::random_engine rng(1);
        std::vector<std::int32_t> rows;
        std::vector<std::int32_t> cols;
        std::vector<double> vals;
        documents out;
        out.y.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            out.y[i] = static_cast<int>(rng.below(2));
            const auto len = 30 + rng.below(61);
            for (std::uint64_t k = 0; k < len; ++k) {
                const double u = rng.uniform01();
                const auto c = (static_cast<std::size_t>(std::floor(static_cast<double>(terms) * u * u * u)) +
                                7919 * static_cast<std::size_t>(out.y[i])) % terms;
                rows.push_back(static_cast<std::int32_t>(i));
                cols.push_back(static_cast<std::int32_t>(c));
                vals.push_back(static_cast<double>(1 + rng.below(3)));
            }
        }
        out.x = tessera::csr_matrix<double>::from_triplets(n, terms, rows, cols, vals);
        return out;
    }();
    return d;
}

struct dense_data {
    tessera::dense_matrix<double> x;
    std::vector<int> y;
};

// 200,000 x 100: x = mean[class] + N(0, 1), class means N(0, 1); with `absolute`, |x| (counts
// must be non-negative for the multinomial model).
dense_data make_dense(std::size_t classes, bool absolute) {
    constexpr std::size_t n = 200000;
    constexpr std::size_t d = 100;
    tessera::random_engine rng(2 + classes);
    tessera::dense_matrix<double> means(classes, d);
    for (std::size_t c = 0; c < classes; ++c)
        for (auto& v : means.row(c)) v = rng.normal();
    dense_data out{tessera::dense_matrix<double>(n, d), std::vector<int>(n)};
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::size_t>(rng.below(classes));
        out.y[i] = static_cast<int>(c);
        auto r = out.x.row(i);
        for (std::size_t j = 0; j < d; ++j) {
            const double v = means(c, j) + rng.normal();
            r[j] = absolute ? std::fabs(v) : v;
        }
    }
    return out;
}

template <class Model>
Model sparse_model() {
    typename Model::options o{};
    o.parallel = one_thread;
    return Model(o);
}

template <class Model>
void sparse_fit(benchmark::State& state) {
    const auto& d = sparse_documents();
    for (auto _ : state) {
        auto m = sparse_model<Model>();
        m.fit(d.x, d.y);
        benchmark::DoNotOptimize(m.class_count().data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.x.rows()));
    state.counters["nnz_per_row"] = static_cast<double>(d.x.nnz()) / static_cast<double>(d.x.rows());
}

template <class Model>
void sparse_predict(benchmark::State& state) {
    const auto& d = sparse_documents();
    auto m = sparse_model<Model>();
    m.fit(d.x, d.y);
    for (auto _ : state) {
        auto p = m.predict(d.x);
        benchmark::DoNotOptimize(p.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.x.rows()));
    // bytes of the CSR arrays read per pass (values, column indices, row pointers)
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() *
                                                      (d.x.nnz() * (sizeof(double) + sizeof(std::int32_t)) +
                                                       (d.x.rows() + 1) * sizeof(std::int32_t))));
}

using multinomial = tessera::multinomial_nb<int, double>;
using complement = tessera::complement_nb<int, double>;
using bernoulli = tessera::bernoulli_nb<int, double>;
using gaussian = tessera::gaussian_nb<int, double>;

void BM_nb_sparse_fit(benchmark::State& state) {
    switch (state.range(0)) {
        case 0: sparse_fit<multinomial>(state); break;
        case 1: sparse_fit<complement>(state); break;
        default: sparse_fit<bernoulli>(state); break;
    }
}
BENCHMARK(BM_nb_sparse_fit)->ArgName("model")->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_nb_sparse_predict(benchmark::State& state) {
    switch (state.range(0)) {
        case 0: sparse_predict<multinomial>(state); break;
        case 1: sparse_predict<complement>(state); break;
        default: sparse_predict<bernoulli>(state); break;
    }
}
BENCHMARK(BM_nb_sparse_predict)->ArgName("model")->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void set_dense_counters(benchmark::State& state, const dense_data& d) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.x.rows()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.x.rows() * d.x.cols() * sizeof(double)));
}

void BM_gaussian_fit(benchmark::State& state) {
    const auto d = make_dense(static_cast<std::size_t>(state.range(0)), false);
    for (auto _ : state) {
        gaussian m({.parallel = one_thread});
        m.fit(d.x, d.y);
        benchmark::DoNotOptimize(m.class_count().data());
    }
    set_dense_counters(state, d);
}
BENCHMARK(BM_gaussian_fit)->ArgName("classes")->Arg(2)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_gaussian_predict(benchmark::State& state) {
    const auto d = make_dense(static_cast<std::size_t>(state.range(0)), false);
    gaussian m({.parallel = one_thread});
    m.fit(d.x, d.y);
    for (auto _ : state) {
        auto p = m.predict(d.x);
        benchmark::DoNotOptimize(p.data());
    }
    set_dense_counters(state, d);
}
BENCHMARK(BM_gaussian_predict)->ArgName("classes")->Arg(2)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_gaussian_predict_proba(benchmark::State& state) {
    const auto d = make_dense(static_cast<std::size_t>(state.range(0)), false);
    gaussian m({.parallel = one_thread});
    m.fit(d.x, d.y);
    for (auto _ : state) {
        auto p = m.predict_proba(d.x);
        benchmark::DoNotOptimize(p.data());
    }
    set_dense_counters(state, d);
}
BENCHMARK(BM_gaussian_predict_proba)->ArgName("classes")->Arg(2)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_multinomial_dense_fit(benchmark::State& state) {
    const auto d = make_dense(static_cast<std::size_t>(state.range(0)), true);
    for (auto _ : state) {
        multinomial m({.parallel = one_thread});
        m.fit(d.x, d.y);
        benchmark::DoNotOptimize(m.class_count().data());
    }
    set_dense_counters(state, d);
}
BENCHMARK(BM_multinomial_dense_fit)->ArgName("classes")->Arg(2)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_multinomial_dense_predict(benchmark::State& state) {
    const auto d = make_dense(static_cast<std::size_t>(state.range(0)), true);
    multinomial m({.parallel = one_thread});
    m.fit(d.x, d.y);
    for (auto _ : state) {
        auto p = m.predict(d.x);
        benchmark::DoNotOptimize(p.data());
    }
    set_dense_counters(state, d);
}
BENCHMARK(BM_multinomial_dense_predict)->ArgName("classes")->Arg(2)->Arg(10)->Unit(benchmark::kMillisecond);

#if TESSERA_ARCH_X86
BENCHMARK(tessera_bench::stream_read)->Name("BM_limit_dram_read")->Unit(benchmark::kMillisecond);
#endif

}  // namespace
