// Distance kernels against the machine's own limits, measured in the same run:
//   - BM_limit_fma_*:   peak FMA throughput of one core (independent FMA chains), GFLOP/s;
//   - BM_limit_l1_read: L1 load bandwidth (two vector loads per cycle over 16 KiB), bytes/s;
//   - BM_limit_dram_read: a STREAM-like read of 512 MiB, bytes/s;
//   - BM_pair_hot:      one pair of vectors hot in L1, per metric, type, dimension and level;
//                       bytes/s there is 2 * d * sizeof(T) per pair, comparable to the L1 limit;
//   - BM_one_to_many:   one query against 512 MiB of rows, comparable to the DRAM limit;
//   - BM_peer_*:        a plain loop (what -O3 without -march gives), and, when installed, Eigen
//                       3.4 (dot, and X Y^T through its GEMM), CBLAS sgemm, FAISS (its
//                       fvec_* kernels, one-to-many and pairwise_L2sqr) and hnswlib (its
//                       distance functions, compiled with -march=native as hnswlib expects).
// Arguments are (dimension, level): level 0 scalar, 1 avx2, 2 avx512, 3 neon; levels this CPU
// lacks are reported as skipped.
//
//   cmake --workflow --preset bench   # or: cmake --preset bench && cmake --build --preset bench
//   build/bench/benchmarks/bench_distance --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include "machine_limits.hpp"

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/distance/metrics.hpp>
#include <tessera/distance/pairwise.hpp>
#include <tessera/simd/cpu.hpp>

#if defined(TESSERA_HAS_EIGEN)
#include <Eigen/Core>
#endif

#if TESSERA_ARCH_X86
#include <immintrin.h>
#endif

#if defined(TESSERA_BENCH_HAS_CBLAS)
#include <cblas.h>
#endif

#if defined(TESSERA_BENCH_HAS_FAISS)
#include <faiss/utils/distances.h>
#endif

#include "peers/peers.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace simd = tessera::simd;

bool select_level(benchmark::State& state, std::int64_t arg) {
    const auto l = static_cast<simd::level>(arg);
    if (!simd::level_supported(l)) {
        state.SkipWithError(("this CPU cannot run " + std::string(simd::level_name(l))).c_str());
        return false;
    }
    simd::force_level(l);
    state.SetLabel(std::string(simd::level_name(l)));
    return true;
}

template <class T>
std::vector<T> random_vector(std::size_t n, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(rng.normal());
    return v;
}

// ---- machine limits ---------------------------------------------------------------------------

#if TESSERA_ARCH_X86
// 10 independent accumulators hide the 4-cycle FMA latency on two FMA ports.
__attribute__((target("avx2,fma"))) void BM_limit_fma_ymm(benchmark::State& state) {
    if (!simd::level_supported(simd::level::avx2)) {
        state.SkipWithError("no AVX2");
        return;
    }
    __m256 acc[10];
    for (int k = 0; k < 10; ++k) acc[k] = _mm256_set1_ps(static_cast<float>(k));
    const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-3f);
    constexpr int steps = 1000;
    for (auto _ : state) {
        for (int s = 0; s < steps; ++s) {
            for (int k = 0; k < 10; ++k) acc[k] = _mm256_fmadd_ps(acc[k], x, y);
        }
        benchmark::DoNotOptimize(acc);
    }
    state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * steps * 10 * 16,
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_limit_fma_ymm);

__attribute__((target("avx512f"))) void BM_limit_fma_zmm(benchmark::State& state) {
    if (!simd::level_supported(simd::level::avx512)) {
        state.SkipWithError("no AVX-512");
        return;
    }
    __m512 acc[12];
    for (int k = 0; k < 12; ++k) acc[k] = _mm512_set1_ps(static_cast<float>(k));
    const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
    constexpr int steps = 1000;
    for (auto _ : state) {
        for (int s = 0; s < steps; ++s) {
            for (int k = 0; k < 12; ++k) acc[k] = _mm512_fmadd_ps(acc[k], x, y);
        }
        benchmark::DoNotOptimize(acc);
    }
    state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * steps * 12 * 32,
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_limit_fma_zmm);

// Reads 16 KiB (inside any L1) with independent vector adds, so loads are the only limit.
__attribute__((target("avx2"))) void BM_limit_l1_read(benchmark::State& state) {
    if (!simd::level_supported(simd::level::avx2)) {
        state.SkipWithError("no AVX2");
        return;
    }
    const auto buf = random_vector<float>(4096, 1);
    for (auto _ : state) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (std::size_t i = 0; i < buf.size(); i += 64) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(buf.data() + i));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(buf.data() + i + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(buf.data() + i + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(buf.data() + i + 24));
            a4 = _mm256_add_ps(a4, _mm256_loadu_ps(buf.data() + i + 32));
            a5 = _mm256_add_ps(a5, _mm256_loadu_ps(buf.data() + i + 40));
            a6 = _mm256_add_ps(a6, _mm256_loadu_ps(buf.data() + i + 48));
            a7 = _mm256_add_ps(a7, _mm256_loadu_ps(buf.data() + i + 56));
        }
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                 _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
        benchmark::DoNotOptimize(s);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size() * sizeof(float)));
}
BENCHMARK(BM_limit_l1_read);
#endif

using tessera_bench::stream_bytes;

#if TESSERA_ARCH_X86
BENCHMARK(tessera_bench::stream_read)->Name("BM_limit_dram_read")->Unit(benchmark::kMillisecond);
#endif

// ---- tessera kernels --------------------------------------------------------------------------

template <class Metric, class T>
void BM_pair_hot(benchmark::State& state) {
    if (!select_level(state, state.range(1))) return;
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto a = random_vector<T>(d, 1), b = random_vector<T>(d, 2);
    for (auto _ : state) {
        benchmark::DoNotOptimize(Metric::raw(a.data(), b.data(), d));
    }
    simd::reset_level();
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * d * sizeof(T)));
    state.counters["FLOP/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(d),
                           benchmark::Counter::kIsRate);
}

template <class Metric, class T>
void BM_one_to_many(benchmark::State& state) {
    if (!select_level(state, state.range(1))) return;
    const auto d = static_cast<std::size_t>(state.range(0));
    const std::size_t rows = stream_bytes / (d * sizeof(T));
    tessera::dense_matrix<T> m(rows, d, tessera::row_padding::none);
    {
        tessera::random_engine rng(3);
        for (std::size_t i = 0; i < rows; ++i)
            for (auto& x : m.row(i)) x = static_cast<T>(rng.uniform01());
    }
    const auto q = random_vector<T>(d, 4);
    std::vector<T> out(rows);
    for (auto _ : state) {
        tessera::one_to_many(Metric{}, std::span<const T>(q), m.view(), std::span<T>(out));
        benchmark::DoNotOptimize(out.data());
    }
    simd::reset_level();
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * d * sizeof(T)));
}

void level_args(benchmark::internal::Benchmark* b) {
    for (int d : {128, 768, 1536})
        for (int l : {0, 1, 2}) b->Args({d, l});
}

BENCHMARK(BM_pair_hot<tessera::inner_product, float>)->Apply(level_args);
BENCHMARK(BM_pair_hot<tessera::sq_euclidean, float>)->Apply(level_args);
BENCHMARK(BM_pair_hot<tessera::cosine_distance, float>)->Apply(level_args);
BENCHMARK(BM_pair_hot<tessera::manhattan, float>)->Apply(level_args);
BENCHMARK(BM_pair_hot<tessera::sq_euclidean, double>)->Apply(level_args);
BENCHMARK(BM_one_to_many<tessera::sq_euclidean, float>)->Args({768, 1})->Args({768, 2})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_one_to_many<tessera::inner_product, float>)->Args({128, 1})->Args({1536, 1})->Unit(benchmark::kMillisecond);

// Narrow element types, one pair hot in L1; items/s counts elements, so the rate compares
// directly with the float kernel's (BM_pair_elements<float>).
template <class A, class B>
void BM_pair_elements(benchmark::State& state) {
    if (!select_level(state, state.range(1))) return;
    const auto d = static_cast<std::size_t>(state.range(0));
    tessera::random_engine rng(7);
    std::vector<A> a(d);
    std::vector<B> b(d);
    auto fill = [&](auto& v) {
        for (auto& x : v) {
            using E = std::remove_reference_t<decltype(x)>;
            if constexpr (std::is_same_v<E, std::int8_t> || std::is_same_v<E, std::uint8_t>) {
                x = static_cast<E>(rng.below(100));
            } else {
                x = E(static_cast<float>(rng.normal()));
            }
        }
    };
    fill(a);
    fill(b);
    for (auto _ : state) benchmark::DoNotOptimize(tessera::simd::dot(a.data(), b.data(), d));
    simd::reset_level();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d * (sizeof(A) + sizeof(B))));
}

void narrow_args(benchmark::internal::Benchmark* b) {
    for (int d : {128, 768, 1536})
        for (int l : {0, 1}) b->Args({d, l});
}

BENCHMARK(BM_pair_elements<float, float>)->Apply(narrow_args);
BENCHMARK(BM_pair_elements<float, tessera::bfloat16>)->Apply(narrow_args);
BENCHMARK(BM_pair_elements<float, tessera::half>)->Apply(narrow_args);
BENCHMARK(BM_pair_elements<float, std::int8_t>)->Apply(narrow_args);
BENCHMARK(BM_pair_elements<tessera::bfloat16, tessera::bfloat16>)->Apply(narrow_args);
BENCHMARK(BM_pair_elements<std::int8_t, std::int8_t>)->Apply(narrow_args);
BENCHMARK(BM_pair_elements<std::uint8_t, std::uint8_t>)->Apply(narrow_args);

// A float query against 512 MiB of bfloat16 rows: half the bytes of float rows per element.
void BM_stream_bf16_rows(benchmark::State& state) {
    if (!select_level(state, state.range(1))) return;
    const auto d = static_cast<std::size_t>(state.range(0));
    const std::size_t rows = stream_bytes / (d * sizeof(tessera::bfloat16));
    std::vector<tessera::bfloat16> m(rows * d, tessera::bfloat16(0.5f));
    const auto q = random_vector<float>(d, 4);
    std::vector<float> out(rows);
    for (auto _ : state) {
        for (std::size_t i = 0; i < rows; ++i) out[i] = tessera::simd::dot(q.data(), m.data() + i * d, d);
        benchmark::DoNotOptimize(out.data());
    }
    simd::reset_level();
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows * d));
}
BENCHMARK(BM_stream_bf16_rows)->Args({768, 1})->Unit(benchmark::kMillisecond);

// Many-to-many, 1000 x 100000 x 128 by default: FLOP = 2 * m * n * d for the dot products.
template <class Metric>
void BM_many_to_many(benchmark::State& state) {
    if (!select_level(state, state.range(3))) return;
    const auto m = static_cast<std::size_t>(state.range(0));
    const auto n = static_cast<std::size_t>(state.range(1));
    const auto d = static_cast<std::size_t>(state.range(2));
    tessera::dense_matrix<float> x(m, d), y(n, d), out(m, n);
    tessera::random_engine rng(5);
    for (std::size_t i = 0; i < m; ++i)
        for (auto& v : x.row(i)) v = static_cast<float>(rng.normal());
    for (std::size_t i = 0; i < n; ++i)
        for (auto& v : y.row(i)) v = static_cast<float>(rng.normal());
    for (auto _ : state) {
        tessera::many_to_many<float>(Metric{}, x.view(), y.view(), out.view(), {1, 0});
        benchmark::DoNotOptimize(out.data());
    }
    simd::reset_level();
    state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(m) *
                                                      static_cast<double>(n) * static_cast<double>(d),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_many_to_many<tessera::inner_product>)->Args({1000, 100000, 128, 1})->Args({1000, 100000, 128, 2})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_many_to_many<tessera::sq_euclidean>)->Args({1000, 100000, 128, 1})->Args({1000, 100000, 128, 2})->Unit(benchmark::kMillisecond);

// ---- peers ------------------------------------------------------------------------------------

// What a user's own loop gives without -march: SSE2 at best, and no reassociation of the sum.
float plain_dot(const float* a, const float* b, std::size_t n) {
    float s = 0;
    for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

void BM_peer_plain_loop_dot(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto a = random_vector<float>(d, 1), b = random_vector<float>(d, 2);
    for (auto _ : state) benchmark::DoNotOptimize(plain_dot(a.data(), b.data(), d));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * d * sizeof(float)));
}
BENCHMARK(BM_peer_plain_loop_dot)->Arg(128)->Arg(768)->Arg(1536);

#if defined(TESSERA_BENCH_HAS_CBLAS)
// The same product X Y^T with cblas_sgemm (single-threaded through the environment:
// run with OPENBLAS_NUM_THREADS=1 for a one-core comparison).
void BM_peer_cblas_sgemm(benchmark::State& state) {
    const auto m = static_cast<int>(state.range(0));
    const auto n = static_cast<int>(state.range(1));
    const auto d = static_cast<int>(state.range(2));
    const auto x = random_vector<float>(static_cast<std::size_t>(m) * static_cast<std::size_t>(d), 5);
    const auto y = random_vector<float>(static_cast<std::size_t>(n) * static_cast<std::size_t>(d), 6);
    std::vector<float> out(static_cast<std::size_t>(m) * static_cast<std::size_t>(n));
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, d, 1.0f, x.data(), d, y.data(), d, 0.0f, out.data(), n);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * m * n * d,
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_peer_cblas_sgemm)->Args({1000, 100000, 128})->Unit(benchmark::kMillisecond);
#endif

#if defined(TESSERA_HAS_EIGEN)
void BM_peer_eigen_dot(benchmark::State& state) {
    const auto d = static_cast<Eigen::Index>(state.range(0));
    const Eigen::VectorXf a = Eigen::VectorXf::Random(d), b = Eigen::VectorXf::Random(d);
    for (auto _ : state) benchmark::DoNotOptimize(a.dot(b));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * d * 4));
}
BENCHMARK(BM_peer_eigen_dot)->Arg(128)->Arg(768)->Arg(1536);

// Eigen as a many-to-many backend: the dot products X Y^T through its own GEMM (one thread).
void BM_peer_eigen_many_to_many(benchmark::State& state) {
    using rows_t = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const auto m = static_cast<Eigen::Index>(state.range(0));
    const auto n = static_cast<Eigen::Index>(state.range(1));
    const auto d = static_cast<Eigen::Index>(state.range(2));
    const rows_t x = rows_t::Random(m, d), y = rows_t::Random(n, d);
    rows_t out(m, n);
    Eigen::setNbThreads(1);
    for (auto _ : state) {
        out.noalias() = x * y.transpose();
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 *
                                                      static_cast<double>(m * n * d),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_peer_eigen_many_to_many)->Args({1000, 100000, 128})->Unit(benchmark::kMillisecond);
#endif

#if defined(TESSERA_BENCH_HAS_FAISS)
// FAISS's own kernels as Debian builds it (generic x86-64, no AVX2 dispatch in 1.7.3).
template <bool L2>
void BM_peer_faiss_pair(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto a = random_vector<float>(d, 1), b = random_vector<float>(d, 2);
    for (auto _ : state) {
        benchmark::DoNotOptimize(L2 ? faiss::fvec_L2sqr(a.data(), b.data(), d)
                                    : faiss::fvec_inner_product(a.data(), b.data(), d));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * d * sizeof(float)));
}
BENCHMARK(BM_peer_faiss_pair<false>)->Name("BM_peer_faiss_pair_ip")->Arg(128)->Arg(768)->Arg(1536);
BENCHMARK(BM_peer_faiss_pair<true>)->Name("BM_peer_faiss_pair_l2")->Arg(128)->Arg(768)->Arg(1536);

// One query against 512 MiB of rows (fvec_L2sqr_ny), as BM_one_to_many does.
void BM_peer_faiss_one_to_many(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const std::size_t rows = stream_bytes / (d * sizeof(float));
    const auto m = random_vector<float>(rows * d, 3);
    const auto q = random_vector<float>(d, 4);
    std::vector<float> out(rows);
    for (auto _ : state) {
        faiss::fvec_L2sqr_ny(out.data(), q.data(), m.data(), d, rows);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * d * sizeof(float)));
}
BENCHMARK(BM_peer_faiss_one_to_many)->Arg(768)->Unit(benchmark::kMillisecond);

// The many-to-many squared L2 matrix (norms plus BLAS sgemm inside FAISS). Run with
// OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for a one-core comparison.
void BM_peer_faiss_pairwise_l2(benchmark::State& state) {
    const auto m = static_cast<std::int64_t>(state.range(0));
    const auto n = static_cast<std::int64_t>(state.range(1));
    const auto d = static_cast<std::int64_t>(state.range(2));
    const auto x = random_vector<float>(static_cast<std::size_t>(m * d), 5);
    const auto y = random_vector<float>(static_cast<std::size_t>(n * d), 6);
    std::vector<float> out(static_cast<std::size_t>(m * n));
    for (auto _ : state) {
        faiss::pairwise_L2sqr(d, m, x.data(), n, y.data(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 *
                                                      static_cast<double>(m * n * d),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_peer_faiss_pairwise_l2)->Args({1000, 100000, 128})->Unit(benchmark::kMillisecond);
#endif

#if defined(TESSERA_BENCH_HAS_HNSWLIB)
// hnswlib's distance functions, called through the pointer as its index does.
template <bool L2>
void BM_peer_hnswlib_pair(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto a = random_vector<float>(d, 1), b = random_vector<float>(d, 2);
    const auto k = tessera_bench_peers::hnswlib_for(d);
    const auto fn = L2 ? k.l2 : k.ip;
    for (auto _ : state) benchmark::DoNotOptimize(fn(a.data(), b.data(), &k.dim));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * d * sizeof(float)));
    state.SetLabel(tessera_bench_peers::hnswlib_simd());
}
BENCHMARK(BM_peer_hnswlib_pair<false>)->Name("BM_peer_hnswlib_pair_ip")->Arg(128)->Arg(768)->Arg(1536);
BENCHMARK(BM_peer_hnswlib_pair<true>)->Name("BM_peer_hnswlib_pair_l2")->Arg(128)->Arg(768)->Arg(1536);
#endif

}  // namespace
