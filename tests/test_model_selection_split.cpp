// Train/test splits: partition properties, class shares, reproducibility, and a reference split
// computed from the documented rule by an independent implementation.
#include <tessera/model_selection/split.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

namespace {

using doctest::Contains;

// Both lists sorted, disjoint, and together 0..n-1.
void check_partition(const tessera::train_test_indices& s, std::size_t n) {
    CHECK(std::is_sorted(s.train.begin(), s.train.end()));
    CHECK(std::is_sorted(s.test.begin(), s.test.end()));
    std::vector<std::size_t> all = s.train;
    all.insert(all.end(), s.test.begin(), s.test.end());
    std::sort(all.begin(), all.end());
    std::vector<std::size_t> expected(n);
    std::iota(expected.begin(), expected.end(), std::size_t{0});
    CHECK(all == expected);
}

}  // namespace

TEST_CASE("train_test_split: sizes round the test set up, partitions, seeds") {
    for (const std::size_t n : {2u, 3u, 10u, 101u, 1000u}) {
        for (const double f : {0.01, 0.25, 0.5, 0.9}) {
            const auto t = static_cast<std::size_t>(std::ceil(f * static_cast<double>(n)));
            if (t >= n) continue;
            const auto s = tessera::train_test_split(n, {.test_fraction = f, .seed = 7});
            CHECK(s.test.size() == t);
            check_partition(s, n);
        }
    }
    const auto a = tessera::train_test_split(1000, {.seed = 1});
    CHECK(a.test == tessera::train_test_split(1000, {.seed = 1}).test);
    CHECK(a.test != tessera::train_test_split(1000, {.seed = 2}).test);
    // The test rows are the first ceil(f n) entries of permutation(n, random_engine(seed)).
    tessera::random_engine rng(1);
    auto p = tessera::permutation(1000, rng);
    p.resize(250);
    std::sort(p.begin(), p.end());
    CHECK(a.test == p);
}

TEST_CASE("stratified_train_test_split: class shares follow the largest-remainder rule") {
    // 3 classes of 10, 7 and 3 rows, interleaved; T = ceil(0.25 * 20) = 5.
    // T * n_c = 50, 35, 15 -> floors 2, 1, 0 (sum 3), remainders 10, 15, 15 -> +1 to classes 1, 2.
    std::vector<std::string> y;
    for (int i = 0; i < 10; ++i) y.emplace_back("a");
    for (int i = 0; i < 7; ++i) y.emplace_back("b");
    for (int i = 0; i < 3; ++i) y.emplace_back("c");
    std::vector<std::string> shuffled(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) shuffled[(i * 7) % y.size()] = y[i];
    const auto s = tessera::stratified_train_test_split(shuffled, {.test_fraction = 0.25, .seed = 3});
    check_partition(s, y.size());
    std::map<std::string, int> in_test;
    for (const auto i : s.test) ++in_test[shuffled[i]];
    CHECK(in_test["a"] == 2);
    CHECK(in_test["b"] == 2);
    CHECK(in_test["c"] == 1);

    // Shares stay within one row of exact on a larger imbalanced set, for several seeds.
    std::vector<int> big;
    for (int i = 0; i < 1000; ++i) big.push_back(i % 10 < 7 ? 0 : (i % 10 < 9 ? 1 : 2));
    for (const std::uint64_t seed : {1u, 2u, 3u}) {
        const auto b = tessera::stratified_train_test_split(big, {.test_fraction = 0.3, .seed = seed});
        check_partition(b, big.size());
        std::array<int, 3> counts{};
        for (const auto i : b.test) ++counts[static_cast<std::size_t>(big[i])];
        CHECK(counts == std::array<int, 3>{210, 60, 30});
    }
}

TEST_CASE("stratified_train_test_split: the documented rule, re-implemented independently") {
    // Reference: for each class in sorted order, shuffle its ascending row list with one shared
    // engine and take the quota from the front.
    std::vector<int> y;
    for (int i = 0; i < 57; ++i) y.push_back((i * 5 + i / 3) % 4);
    const tessera::split_options opt{.test_fraction = 0.35, .seed = 99};
    const auto s = tessera::stratified_train_test_split(y, opt);

    const std::size_t n = y.size();
    const auto t = static_cast<std::size_t>(std::ceil(0.35 * static_cast<double>(n)));
    std::map<int, std::vector<std::size_t>> rows;
    for (std::size_t i = 0; i < n; ++i) rows[y[i]].push_back(i);
    std::vector<std::size_t> quota;
    std::vector<std::pair<std::size_t, std::size_t>> rem;  // (remainder, class position)
    std::size_t given = 0;
    std::size_t c = 0;
    for (const auto& [label, r] : rows) {
        quota.push_back(t * r.size() / n);
        rem.emplace_back(t * r.size() % n, c++);
        given += quota.back();
    }
    std::sort(rem.begin(), rem.end(), [](auto a, auto b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    for (std::size_t k = 0; given < t; ++k, ++given) ++quota[rem[k].second];
    tessera::random_engine rng(99);
    std::vector<std::size_t> expected;
    c = 0;
    for (auto& entry : rows) {
        auto r = entry.second;
        for (std::size_t i = r.size(); i > 1; --i) std::swap(r[i - 1], r[rng.below(i)]);
        expected.insert(expected.end(), r.begin(), r.begin() + static_cast<std::ptrdiff_t>(quota[c++]));
    }
    std::sort(expected.begin(), expected.end());
    CHECK(s.test == expected);
}

TEST_CASE("take_rows and take gather in index order") {
    const std::vector<std::vector<float>> x{{1, 2}, {3, 4}, {5, 6}};
    const std::vector<std::size_t> idx{2, 0, 2};
    const auto m = tessera::take_rows(x, idx);
    REQUIRE(m.rows() == 3);
    CHECK(m(0, 0) == 5);
    CHECK(m(1, 1) == 2);
    CHECK(m(2, 1) == 6);
    const std::vector<std::string> labels{"x", "y", "z"};
    CHECK(tessera::take(labels, idx) == std::vector<std::string>{"z", "x", "z"});
    const std::vector<std::size_t> none;
    CHECK(tessera::take_rows(x, none).rows() == 0);
}

TEST_CASE("splits: bad input") {
    using tessera::invalid_argument;
    CHECK_THROWS_WITH_AS((void)tessera::train_test_split(1), Contains("at least 2 rows"), invalid_argument);
    for (const double f : {0.0, 1.0, -0.5, std::nan("")}) {
        CHECK_THROWS_WITH_AS((void)tessera::train_test_split(10, {.test_fraction = f}), Contains("options.test_fraction"),
                             invalid_argument);
    }
    CHECK_THROWS_WITH_AS((void)tessera::train_test_split(3, {.test_fraction = 0.9}), Contains("leaves no training row"),
                         invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::stratified_train_test_split(std::vector<int>{}), Contains("empty"), invalid_argument);
    const std::vector<std::vector<float>> x{{1, 2}};
    const std::vector<std::size_t> bad{0, 1};
    CHECK_THROWS_WITH_AS((void)tessera::take_rows(x, bad), Contains("entry 1 is 1 but x has 1 rows"), invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::take(std::vector<int>{4}, bad), Contains("entry 1 is 1"), invalid_argument);
}
