// random_engine: reference streams, distributions, shuffles and samples.
//
// The reference values below come from an independent Python implementation of SplitMix64,
// xoshiro256** (Blackman & Vigna) and Lemire's bounded draw, following the definitions in
// tessera/core/random.hpp's comments; it is reproduced in docs/core.md so anyone can rerun it.
#include <doctest/doctest.h>

#include <tessera/core/random.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

TEST_CASE("random_engine: the stream for a seed matches the reference implementation") {
    tessera::random_engine rng(42);
    CHECK(rng() == 0x1ff785474f113b15ULL);
    CHECK(rng() == 0x4b7867ceff5d8325ULL);
    CHECK(rng() == 0x90ca7a95a9909966ULL);
    CHECK(rng() == 0x9c9ea6a358c5008fULL);

    tessera::random_engine stream7(42, 7);
    CHECK(stream7() == 0x24bfb39aeb008c15ULL);
    CHECK(stream7() == 0xd858489e7fc02496ULL);

    tessera::random_engine u(2026);
    CHECK(u.uniform01() == 0.26704594647107915);
    CHECK(u.uniform01() == 0.7371170828072572);
    CHECK(u.uniform01() == 0.4799539910205618);

    tessera::random_engine b(99);
    std::vector<std::uint64_t> draws;
    for (int i = 0; i < 12; ++i) draws.push_back(b.below(10));
    CHECK(draws == std::vector<std::uint64_t>{4, 8, 8, 0, 5, 3, 7, 5, 6, 0, 7, 8});

    tessera::random_engine s(5);
    std::vector<int> p{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    tessera::shuffle(p.begin(), p.end(), s);
    CHECK(p == std::vector<int>{3, 5, 7, 9, 4, 2, 0, 1, 6, 8});
}

TEST_CASE("random_engine: same seed same stream, different seeds or streams differ") {
    tessera::random_engine a(7);
    tessera::random_engine b(7);
    tessera::random_engine c(8);
    tessera::random_engine d(7, 1);
    int same_c = 0;
    int same_d = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto x = a();
        CHECK(x == b());
        same_c += x == c() ? 1 : 0;
        same_d += x == d() ? 1 : 0;
    }
    CHECK(same_c == 0);
    CHECK(same_d == 0);
    CHECK(a == b);
    static_assert(std::uniform_random_bit_generator<tessera::random_engine>);
}

TEST_CASE("random_engine: distribution moments and ranges") {
    tessera::random_engine rng(123);
    const int n = 200000;
    double sum = 0;
    double sum_sq = 0;
    double lo = 1;
    double hi = 0;
    for (int i = 0; i < n; ++i) {
        const double x = rng.uniform01();
        sum += x;
        sum_sq += x * x;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
    CHECK(lo >= 0.0);
    CHECK(hi < 1.0);
    CHECK(sum / n == doctest::Approx(0.5).epsilon(0.01));
    CHECK(sum_sq / n - (sum / n) * (sum / n) == doctest::Approx(1.0 / 12).epsilon(0.02));

    double ns = 0;
    double ns2 = 0;
    double n4 = 0;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        ns += z;
        ns2 += z * z;
        n4 += z * z * z * z;
    }
    CHECK(std::abs(ns / n) < 0.01);
    CHECK(ns2 / n == doctest::Approx(1.0).epsilon(0.02));
    CHECK(n4 / n == doctest::Approx(3.0).epsilon(0.05));  // kurtosis of a normal

    const double shifted = rng.normal(10.0, 0.0);
    CHECK(shifted == 10.0);
    for (int i = 0; i < 1000; ++i) {
        const double x = rng.uniform(-2.0, 3.0);
        CHECK(x >= -2.0);
        CHECK(x < 3.0);
        const auto k = rng.between(-3, 3);
        CHECK(k >= -3);
        CHECK(k <= 3);
    }
    CHECK(rng.between(5, 5) == 5);
    (void)rng.between(INT64_MIN, INT64_MAX);  // the full range does not overflow
}

TEST_CASE("random_engine: below() is unbiased (chi-square over 7 bins)") {
    tessera::random_engine rng(31337);
    std::array<int, 7> counts{};
    const int n = 70000;
    for (int i = 0; i < n; ++i) ++counts[rng.below(7)];
    double chi2 = 0;
    for (int c : counts) chi2 += (c - n / 7.0) * (c - n / 7.0) / (n / 7.0);
    CHECK(chi2 < 22.46);  // the 0.999 quantile of chi-square with 6 degrees of freedom
    // A bound that does not divide 2^64 evenly, large enough that modulo bias would show.
    const std::uint64_t big = (std::uint64_t{1} << 63) + (std::uint64_t{1} << 62);
    int upper = 0;
    for (int i = 0; i < 20000; ++i) upper += rng.below(big) >= big / 2 ? 1 : 0;
    CHECK(std::abs(upper - 10000) < 400);  // modulo reduction would give about 8,333
}

TEST_CASE("shuffle, permutation and sample_without_replacement") {
    tessera::random_engine rng(9);
    const auto p = tessera::permutation(1000, rng);
    std::vector<std::size_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == i);

    for (std::size_t k : {0u, 1u, 10u, 249u, 250u, 999u, 1000u}) {  // both the sparse and dense paths
        CAPTURE(k);
        tessera::random_engine r1(77);
        tessera::random_engine r2(77);
        const auto a = tessera::sample_without_replacement(1000, k, r1);
        CHECK(a == tessera::sample_without_replacement(1000, k, r2));  // reproducible
        CHECK(a.size() == k);
        const std::set<std::size_t> distinct(a.begin(), a.end());
        CHECK(distinct.size() == k);
        CHECK((a.empty() || *distinct.rbegin() < 1000));
    }
    // Both paths perform the same swaps, so the same seed gives the same sample.
    tessera::random_engine r3(5);
    tessera::random_engine r4(5);
    const auto sparse = tessera::sample_without_replacement(100000, 50, r3);
    std::vector<std::size_t> dense_prefix(100000);
    for (std::size_t i = 0; i < dense_prefix.size(); ++i) dense_prefix[i] = i;
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < 50; ++i) {
        const auto j = i + static_cast<std::size_t>(r4.below(100000 - i));
        std::swap(dense_prefix[i], dense_prefix[j]);
        expected.push_back(dense_prefix[i]);
    }
    CHECK(sparse == expected);

    // Each element is equally likely to be picked.
    std::array<int, 10> hits{};
    for (int t = 0; t < 20000; ++t)
        for (auto i : tessera::sample_without_replacement(10, 3, rng)) ++hits[i];
    for (int h : hits) CHECK(std::abs(h - 6000) < 400);
}

TEST_CASE("random: bad arguments throw") {
    tessera::random_engine rng(1);
    CHECK_THROWS_AS((void)rng.below(0), tessera::invalid_argument);
    CHECK_THROWS_AS((void)rng.between(3, 2), tessera::invalid_argument);
    CHECK_THROWS_AS((void)rng.uniform(1.0, 1.0), tessera::invalid_argument);
    CHECK_THROWS_AS((void)rng.uniform(0.0, INFINITY), tessera::invalid_argument);
    CHECK_THROWS_AS((void)rng.normal(0.0, -1.0), tessera::invalid_argument);
    CHECK_THROWS_AS((void)rng.normal(NAN, 1.0), tessera::invalid_argument);
    CHECK_THROWS_AS((void)rng.bernoulli(NAN), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::sample_without_replacement(3, 4, rng),
                         doctest::Contains("argument 'k'"), tessera::invalid_argument);
}
