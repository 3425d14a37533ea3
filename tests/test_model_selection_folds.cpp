// k-fold and stratified k-fold folds (sizes, class counts, partitions, references built from
// the documented rules), and row subsets of dense, CSR and range inputs.
#include <tessera/model_selection/folds.hpp>
#include <tessera/model_selection/split.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory_resource>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using doctest::Contains;
using folds_t = std::vector<tessera::train_test_indices>;

// Every fold's lists are sorted and together hold 0..n-1 once; every row is in exactly one
// test fold.
void check_folds(const folds_t& folds, std::size_t n) {
    std::vector<int> in_test(n, 0);
    for (const auto& f : folds) {
        CHECK(std::is_sorted(f.train.begin(), f.train.end()));
        CHECK(std::is_sorted(f.test.begin(), f.test.end()));
        std::vector<int> seen(n, 0);
        for (const auto i : f.train) ++seen[i];
        for (const auto i : f.test) {
            ++seen[i];
            ++in_test[i];
        }
        CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
    }
    CHECK(std::all_of(in_test.begin(), in_test.end(), [](int s) { return s == 1; }));
}

// scikit-learn's fold sizes: the first n % k folds hold one row more.
void check_fold_sizes(const folds_t& folds, std::size_t n, std::size_t k) {
    REQUIRE(folds.size() == k);
    for (std::size_t f = 0; f < k; ++f) CHECK(folds[f].test.size() == n / k + (f < n % k ? 1 : 0));
}

// The folds whose test sets are the given lists; the training sets are the complements.
folds_t folds_from_tests(const std::vector<std::vector<std::size_t>>& tests, std::size_t n) {
    folds_t out;
    for (auto t : tests) {
        std::sort(t.begin(), t.end());
        tessera::train_test_indices f;
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::binary_search(t.begin(), t.end(), i)) f.train.push_back(i);
        }
        f.test = t;
        out.push_back(f);
    }
    return out;
}

bool same_folds(const folds_t& a, const folds_t& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t f = 0; f < a.size(); ++f) {
        if (a[f].train != b[f].train || a[f].test != b[f].test) return false;
    }
    return true;
}

// Stratified folds from scikit-learn's recipe, written as it is there: sort the labels, count
// class c among every k-th sorted label starting at f (the allocation of fold f), then deal each
// class's rows to the folds in the order 0, 0, ..., 1, 1, ... (shuffled when asked).
template <class L>
folds_t stratified_reference(const std::vector<L>& y, std::size_t k, bool shuffle, std::uint64_t seed) {
    std::vector<L> sorted = y;
    std::sort(sorted.begin(), sorted.end());
    std::vector<L> classes = sorted;
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    std::vector<std::vector<std::size_t>> allocation(k, std::vector<std::size_t>(classes.size(), 0));
    for (std::size_t f = 0; f < k; ++f) {
        for (std::size_t p = f; p < sorted.size(); p += k) {
            const auto c = static_cast<std::size_t>(std::lower_bound(classes.begin(), classes.end(), sorted[p]) - classes.begin());
            ++allocation[f][c];
        }
    }
    tessera::random_engine rng(seed);
    std::vector<std::vector<std::size_t>> tests(k);
    for (std::size_t c = 0; c < classes.size(); ++c) {
        std::vector<std::size_t> deal;
        for (std::size_t f = 0; f < k; ++f) deal.insert(deal.end(), allocation[f][c], f);
        if (shuffle) {
            for (std::size_t i = deal.size(); i > 1; --i) std::swap(deal[i - 1], deal[rng.below(i)]);
        }
        std::size_t next = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
            if (y[i] == classes[c]) tests[deal[next++]].push_back(i);
        }
    }
    return folds_from_tests(tests, y.size());
}

}  // namespace

TEST_CASE("k_fold: consecutive runs in row order, sizes as scikit-learn") {
    const auto seven = tessera::k_fold(7, {.n_splits = 3});
    CHECK(same_folds(seven, folds_from_tests({{0, 1, 2}, {3, 4}, {5, 6}}, 7)));
    CHECK(seven[1].train == std::vector<std::size_t>{0, 1, 2, 5, 6});

    for (const std::size_t n : {2u, 3u, 7u, 10u, 11u, 64u, 101u}) {
        for (const std::size_t k : {2u, 3u, 5u, 10u}) {
            if (k > n) continue;
            const auto folds = tessera::k_fold(n, {.n_splits = k});
            check_folds(folds, n);
            check_fold_sizes(folds, n, k);
            std::size_t start = 0;
            for (const auto& f : folds) {
                for (std::size_t r = 0; r < f.test.size(); ++r) CHECK(f.test[r] == start + r);
                start += f.test.size();
            }
        }
    }
    // Leave-one-out is k = n.
    const auto loo = tessera::k_fold(4, {.n_splits = 4});
    CHECK(same_folds(loo, folds_from_tests({{0}, {1}, {2}, {3}}, 4)));
}

TEST_CASE("k_fold: shuffled folds are runs of the seeded permutation") {
    for (const std::size_t n : {5u, 23u, 100u}) {
        for (const std::uint64_t seed : {1u, 42u}) {
            const std::size_t k = 4;
            const auto folds = tessera::k_fold(n, {.n_splits = k, .shuffle = true, .seed = seed});
            check_folds(folds, n);
            check_fold_sizes(folds, n, k);
            tessera::random_engine rng(seed);
            const auto p = tessera::permutation(n, rng);
            std::vector<std::vector<std::size_t>> tests(k);
            std::size_t pos = 0;
            for (std::size_t f = 0; f < k; ++f) {
                for (std::size_t r = 0; r < n / k + (f < n % k ? 1 : 0); ++r) tests[f].push_back(p[pos++]);
            }
            CHECK(same_folds(folds, folds_from_tests(tests, n)));
        }
    }
    const auto a = tessera::k_fold(100, {.n_splits = 5, .shuffle = true, .seed = 1});
    CHECK(same_folds(a, tessera::k_fold(100, {.n_splits = 5, .shuffle = true, .seed = 1})));
    CHECK(!same_folds(a, tessera::k_fold(100, {.n_splits = 5, .shuffle = true, .seed = 2})));
    CHECK(!same_folds(a, tessera::k_fold(100, {.n_splits = 5})));
    // The seed is not read without shuffling.
    CHECK(same_folds(tessera::k_fold(10, {.n_splits = 5, .seed = 9}), tessera::k_fold(10, {.n_splits = 5})));
}

TEST_CASE("stratified_k_fold: a case worked by hand") {
    // Sorted labels a a a b b b b c c c; position p goes to fold p % 3, so the allocation is
    // a: 1 1 1, b: 2 1 1 (positions 3..6 -> folds 0 1 2 0), c: 1 1 1 (positions 7..9 -> 1 2 0).
    // Dealt in row order: a rows 0 1 2 -> folds 0 1 2; b rows 3 4 5 6 -> 0 0 1 2; c rows 7 8 9 -> 0 1 2.
    const std::vector<std::string> y{"a", "a", "a", "b", "b", "b", "b", "c", "c", "c"};
    const auto folds = tessera::stratified_k_fold(y, {.n_splits = 3});
    CHECK(same_folds(folds, folds_from_tests({{0, 3, 4, 7}, {1, 5, 8}, {2, 6, 9}}, 10)));

    // The same labels in another row order: rows of a class are dealt in ascending row order.
    const std::vector<int> z{2, 0, 1, 1, 0, 2, 1, 0, 2, 1};
    // 0 at rows 1 4 7 -> folds 0 1 2; 1 at rows 2 3 6 9 -> 0 0 1 2; 2 at rows 0 5 8 -> 0 1 2.
    CHECK(same_folds(tessera::stratified_k_fold(z, {.n_splits = 3}),
                     folds_from_tests({{1, 2, 3, 0}, {4, 6, 5}, {7, 9, 8}}, 10)));
}

TEST_CASE("stratified_k_fold: class counts, fold sizes and the recipe's folds") {
    tessera::random_engine gen(17);
    for (const std::size_t n : {12u, 37u, 200u}) {
        std::vector<int> y(n);
        for (auto& v : y) {
            const auto u = gen.below(10);
            v = u < 6 ? 3 : (u < 9 ? -1 : 7);  // imbalanced: about 60 %, 30 %, 10 %
        }
        // Make sure the smallest class can fill every fold.
        for (std::size_t i = 0; i < 3; ++i) y[i] = 7;
        for (const std::size_t k : {2u, 3u}) {
            for (const bool shuffle : {false, true}) {
                const auto folds = tessera::stratified_k_fold(y, {.n_splits = k, .shuffle = shuffle, .seed = n});
                check_folds(folds, n);
                check_fold_sizes(folds, n, k);
                std::map<int, std::vector<std::size_t>> per_fold;
                for (std::size_t f = 0; f < k; ++f) {
                    for (const auto i : folds[f].test) {
                        auto& counts = per_fold[y[i]];
                        counts.resize(k, 0);
                        ++counts[f];
                    }
                }
                for (auto& [label, counts] : per_fold) {
                    counts.resize(k, 0);
                    const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
                    CHECK(*hi - *lo <= 1);
                    CHECK(*lo >= 1);
                }
                CHECK(same_folds(folds, stratified_reference(y, k, shuffle, n)));
            }
        }
    }
    // Shuffling changes the folds but not their class counts.
    std::vector<int> y;
    for (int i = 0; i < 60; ++i) y.push_back(i % 3);
    const auto plain = tessera::stratified_k_fold(y, {.n_splits = 4});
    const auto mixed = tessera::stratified_k_fold(y, {.n_splits = 4, .shuffle = true, .seed = 5});
    CHECK(!same_folds(plain, mixed));
    CHECK(same_folds(mixed, tessera::stratified_k_fold(y, {.n_splits = 4, .shuffle = true, .seed = 5})));
}

TEST_CASE("folds: bad input") {
    using tessera::invalid_argument;
    CHECK_THROWS_WITH_AS((void)tessera::k_fold(10, {.n_splits = 1}), Contains("k_fold: argument 'options.n_splits'"),
                         invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::k_fold(10, {.n_splits = 0}), Contains("at least 2"), invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::k_fold(3, {.n_splits = 4}), Contains("only 3 rows"), invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::k_fold(0), Contains("options.n_splits"), invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::stratified_k_fold(std::vector<int>{}),
                         Contains("stratified_k_fold: argument 'labels': is empty"), invalid_argument);
    const std::vector<std::string> y{"a", "b", "a", "c", "a", "b", "c", "c"};
    CHECK_THROWS_WITH_AS((void)tessera::stratified_k_fold(y, {.n_splits = 1}), Contains("at least 2"), invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::stratified_k_fold(y, {.n_splits = 9}), Contains("only 8 rows"), invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::stratified_k_fold(y, {.n_splits = 3}),
                         Contains("class 'b' has only 2 rows"), invalid_argument);
    CHECK_NOTHROW((void)tessera::stratified_k_fold(y, {.n_splits = 2}));
}

TEST_CASE("take_rows of CSR input equals the dense rows taken") {
    const tessera::dense_matrix<double> dense{{0, 1, 0, 2}, {0, 0, 0, 0}, {3, 0, 4, 0}, {0, 5, 0, 6}};
    const auto csr = tessera::csr_matrix<double>::from_dense(dense.view());
    const std::vector<std::size_t> idx{3, 1, 0, 3, 2};
    const auto taken = tessera::take_rows(csr, idx);
    const auto from_view = tessera::take_rows(csr.view(), idx);
    CHECK(taken == from_view);
    REQUIRE(taken.rows() == idx.size());
    CHECK(taken.cols() == 4);
    CHECK(taken.nnz() == 2 + 0 + 2 + 2 + 2);
    const auto expected = tessera::take_rows(dense, idx);
    const auto back = taken.to_dense();
    for (std::size_t i = 0; i < idx.size(); ++i) {
        for (std::size_t j = 0; j < 4; ++j) CHECK(back(i, j) == expected(i, j));
    }
    const std::vector<std::size_t> none;
    const auto empty = tessera::take_rows(csr, none);
    CHECK(empty.rows() == 0);
    CHECK(empty.cols() == 4);
    CHECK(empty.nnz() == 0);

    // The owning matrix's allocator carries over.
    std::pmr::monotonic_buffer_resource arena;
    using pmr_csr = tessera::csr_matrix<double, std::int32_t, std::pmr::polymorphic_allocator<double>>;
    const auto pmr = pmr_csr::from_dense(dense.view(), std::pmr::polymorphic_allocator<double>(&arena));
    CHECK(tessera::take_rows(pmr, idx).get_allocator().resource() == &arena);

    using tessera::invalid_argument;
    const std::vector<std::size_t> bad{1, 4};
    CHECK_THROWS_WITH_AS((void)tessera::take_rows(csr, bad), Contains("entry 1 is 4 but x has 4 rows"), invalid_argument);
    // Repeating a row can exceed what the index type counts.
    std::vector<tessera::triplet<float, std::int8_t>> entries;
    for (std::int8_t j = 0; j < 100; ++j) entries.push_back({0, j, 1.0F});
    const auto wide = tessera::csr_matrix<float, std::int8_t>::from_triplets(1, 100, entries);
    const std::vector<std::size_t> twice{0, 0};
    CHECK_THROWS_WITH_AS((void)tessera::take_rows(wide, twice), Contains("take_rows: argument 'nnz'"), invalid_argument);
}

TEST_CASE("subset: one dispatcher for dense rows, CSR matrices and ranges") {
    using rows_t = std::vector<std::vector<float>>;
    static_assert(std::is_same_v<tessera::subset_t<rows_t>, tessera::dense_matrix<float>>);
    static_assert(std::is_same_v<tessera::subset_t<tessera::dense_matrix<double>>, tessera::dense_matrix<double>>);
    static_assert(std::is_same_v<tessera::subset_t<tessera::csr_matrix<float>>, tessera::csr_matrix<float>>);
    static_assert(std::is_same_v<tessera::subset_t<tessera::csr_view<float>>, tessera::csr_matrix<float>>);
    static_assert(std::is_same_v<tessera::subset_t<std::vector<std::string>>, std::vector<std::string>>);
    static_assert(std::is_same_v<tessera::subset_t<std::vector<int>>, std::vector<int>>);

    const rows_t x{{1, 2}, {3, 4}, {5, 6}, {7, 8}};
    const std::vector<std::string> docs{"the cat", "a dog", "some fish", "no pets"};
    const std::vector<int> y{10, 20, 30, 40};
    const std::vector<bool> flags{true, false, false, true};
    const std::vector<std::size_t> idx{2, 0};
    const auto xs = tessera::detail::subset(x, idx);
    REQUIRE(xs.rows() == 2);
    CHECK(xs(0, 0) == 5);
    CHECK(xs(1, 1) == 2);
    CHECK(tessera::detail::subset(docs, idx) == std::vector<std::string>{"some fish", "the cat"});
    CHECK(tessera::detail::subset(y, idx) == std::vector<int>{30, 10});
    CHECK(tessera::detail::subset(flags, idx) == std::vector<bool>{false, true});
    const auto sparse = tessera::csr_matrix<float>::from_dense(xs.view());
    const std::vector<std::size_t> one{1};
    const auto ss = tessera::detail::subset(sparse, one);
    CHECK(ss.rows() == 1);
    CHECK(ss.to_dense()(0, 1) == 2);
    CHECK(tessera::detail::subset_size(x, "t", "x") == 4);
    CHECK(tessera::detail::subset_size(sparse, "t", "x") == 2);
    CHECK(tessera::detail::subset_size(docs, "t", "x") == 4);
}
