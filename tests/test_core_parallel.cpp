// parallel_for / parallel_reduce: coverage of every index, determinism across thread counts,
// exception propagation, nesting.
#include <doctest/doctest.h>

#include <tessera/core/parallel.hpp>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <vector>

TEST_CASE("parallel_for visits every index exactly once, for any thread count and block size") {
    for (int threads : {0, 1, 2, 3, 8}) {
        for (std::size_t block : {0u, 1u, 7u, 1000u}) {
            CAPTURE(threads);
            CAPTURE(block);
            std::vector<std::atomic<int>> hits(1003);
            tessera::parallel_for(
                0, hits.size(), [&](std::size_t i) { hits[i].fetch_add(1); }, {threads, block});
            int wrong = 0;
            for (auto& h : hits) wrong += h.load() != 1 ? 1 : 0;
            CHECK(wrong == 0);

            std::vector<std::atomic<int>> block_hits(1003);
            std::atomic<int> empty_blocks{0};  // assertions stay on the test thread
            tessera::parallel_for_blocks(
                3, 1003,
                [&](std::size_t lo, std::size_t hi) {
                    if (lo >= hi) empty_blocks.fetch_add(1);
                    for (std::size_t i = lo; i < hi; ++i) block_hits[i].fetch_add(1);
                },
                {threads, block});
            CHECK(empty_blocks.load() == 0);
            for (std::size_t i = 0; i < block_hits.size(); ++i) CHECK(block_hits[i].load() == (i >= 3 ? 1 : 0));
        }
    }
    int calls = 0;
    tessera::parallel_for(5, 5, [&](std::size_t) { ++calls; });
    tessera::parallel_for(6, 5, [&](std::size_t) { ++calls; });
    CHECK(calls == 0);
}

TEST_CASE("parallel_reduce is bit-identical for any thread count") {
    // Terms of very different magnitudes make floating-point sums order-sensitive.
    std::vector<double> x(100000);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<double>(i)) * std::pow(10.0, double(i % 17) - 8);
    auto sum_with = [&](int threads) {
        return tessera::parallel_reduce(
            0, x.size(), 1024, 0.0,
            [&](std::size_t lo, std::size_t hi) {
                double s = 0;
                for (std::size_t i = lo; i < hi; ++i) s += x[i];
                return s;
            },
            [](double a, double b) { return a + b; }, {threads, 0});
    };
    const double serial = sum_with(1);
    // The documented fold: block sums, folded left to right.
    double expected = 0;
    for (std::size_t lo = 0; lo < x.size(); lo += 1024) {
        double s = 0;
        for (std::size_t i = lo; i < std::min(x.size(), lo + 1024); ++i) s += x[i];
        expected += s;
    }
    CHECK(serial == expected);
    for (int t : {0, 2, 3, 7}) CHECK(sum_with(t) == serial);
    CHECK(tessera::parallel_reduce(4, 4, 8, 42.0, [](std::size_t, std::size_t) { return 1.0; },
                                   [](double a, double b) { return a + b; }) == 42.0);
}

TEST_CASE("parallel_for rethrows the exception of the lowest failing block") {
    for (int threads : {1, 2, 4}) {
        CAPTURE(threads);
        try {
            tessera::parallel_for(
                0, 100,
                [](std::size_t i) {
                    if (i == 37 || i == 81) throw std::runtime_error("failed at " + std::to_string(i));
                },
                {threads, 10});
            FAIL("must throw");
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()) == "failed at 37");
        }
    }
}

TEST_CASE("nested parallel_for runs the inner loop serially and still covers everything") {
    std::vector<std::atomic<int>> hits(40 * 30);
    tessera::parallel_for(0, 40, [&](std::size_t i) {
        tessera::parallel_for(0, 30, [&](std::size_t j) { hits[i * 30 + j].fetch_add(1); });
    });
    int wrong = 0;
    for (auto& h : hits) wrong += h.load() != 1 ? 1 : 0;
    CHECK(wrong == 0);
#if defined(TESSERA_HAS_OPENMP)
    CHECK(tessera::parallel_enabled());
    std::atomic<int> inner_threads{0};
    tessera::parallel_for(0, 4, [&](std::size_t) { inner_threads = std::max(inner_threads.load(), tessera::effective_threads()); }, {2, 1});
    CHECK(inner_threads.load() == 1);  // no nested team inside a parallel region
#else
    CHECK_FALSE(tessera::parallel_enabled());
    CHECK(tessera::effective_threads({8, 0}) == 1);
#endif
}

TEST_CASE("parallel options are validated") {
    CHECK_THROWS_WITH_AS(tessera::parallel_for(0, 10, [](std::size_t) {}, {-1, 0}),
                         doctest::Contains("argument 'options.n_threads'"), tessera::invalid_argument);
    CHECK_THROWS_AS((void)tessera::parallel_reduce(0, 10, 0, 0, [](std::size_t, std::size_t) { return 0; },
                                                   [](int a, int b) { return a + b; }),
                    tessera::invalid_argument);
}
