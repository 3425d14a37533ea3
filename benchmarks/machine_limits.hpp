// Machine limits that benchmarks report beside their own figures, so that a result can be read
// as a fraction of what the hardware allows in the same run.
#pragma once

#include <benchmark/benchmark.h>

#include <tessera/simd/cpu.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#if TESSERA_ARCH_X86
#include <immintrin.h>
#endif

namespace tessera_bench {

/// Bytes read by stream_read: far beyond any cache.
inline constexpr std::size_t stream_bytes = std::size_t{512} << 20;

#if TESSERA_ARCH_X86
/// A STREAM-like read of 512 MiB with four independent accumulators, so that only memory limits
/// it; bytes/s is the DRAM read bandwidth one core reaches. Register it with
/// BENCHMARK(tessera_bench::stream_read)->Name("BM_limit_dram_read").
__attribute__((target("avx2"))) inline void stream_read(benchmark::State& state) {
    if (!tessera::simd::level_supported(tessera::simd::level::avx2)) {
        state.SkipWithError("no AVX2");
        return;
    }
    const std::vector<float> buf(stream_bytes / sizeof(float), 1.0f);
    for (auto _ : state) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (std::size_t i = 0; i < buf.size(); i += 32) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(buf.data() + i));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(buf.data() + i + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(buf.data() + i + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(buf.data() + i + 24));
        }
        __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
        benchmark::DoNotOptimize(s);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream_bytes));
}
#endif

}  // namespace tessera_bench
