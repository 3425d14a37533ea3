// Recommender evaluation: split_interactions against its documented draw rule and partition
// properties; evaluate_ranking on hand-computed rankings from fake recommenders written here,
// against a brute-force implementation of the definitions (AUC by enumerating pairs) and the
// identities of perfect and reversed rankings; evaluate_ratings on hand-computed errors; thread
// counts; every bad-input path.
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/metrics/ranking.hpp>
#include <tessera/recommend/common.hpp>

#include <doctest/doctest.h>

#include "metrics_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <numeric>
#include <stdexcept>
#include <vector>

using doctest::Approx;

namespace {

using tessera_test::expect_error;
using matrix = tessera::csr_matrix<double>;
using entry = tessera::triplet<double>;

matrix make_matrix(std::size_t rows, std::size_t cols, const std::vector<entry>& entries) {
    return matrix::from_triplets(rows, cols, entries);
}

// A random users x items matrix: user u has (u * 7) % (max_per_user + 1) distinct items, so the
// row lengths cover 0, 1, 2, ... Values are ratings 1..5.
matrix random_interactions(std::size_t users, std::size_t items, std::size_t max_per_user, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    std::vector<entry> e;
    for (std::size_t u = 0; u < users; ++u) {
        const std::size_t n = (u * 7) % (max_per_user + 1);
        for (const std::size_t i : tessera::sample_without_replacement(items, n, rng)) {
            e.push_back({static_cast<std::int32_t>(u), static_cast<std::int32_t>(i),
                         static_cast<double>(1 + rng.below(5))});
        }
    }
    return make_matrix(users, items, e);
}

// Item lists of one row.
template <class M>
std::vector<std::size_t> row_items(const M& m, std::size_t u) {
    std::vector<std::size_t> out;
    for (const auto c : m.row(u).indices) out.push_back(static_cast<std::size_t>(c));
    return out;
}

// A recommender with fixed rankings: recommend(u, n) returns the first n of lists[u] (fewer
// when the list is shorter), as scored items with decreasing scores. Records the largest n asked.
struct fixed_ranker {
    std::vector<std::vector<std::size_t>> lists;
    std::size_t items = 0;
    mutable std::atomic<std::size_t> largest_request{0};

    fixed_ranker(std::vector<std::vector<std::size_t>> l, std::size_t n_items) : lists(std::move(l)), items(n_items) {}

    [[nodiscard]] std::vector<tessera::scored_item<double>> recommend(std::size_t user, std::size_t n) const {
        std::size_t seen = largest_request.load();
        while (n > seen && !largest_request.compare_exchange_weak(seen, n)) {
        }
        std::vector<tessera::scored_item<double>> out;
        const auto& l = lists.at(user);
        for (std::size_t j = 0; j < std::min(n, l.size()); ++j) {
            out.push_back({l[j], static_cast<double>(l.size() - j)});
        }
        return out;
    }
    [[nodiscard]] std::size_t n_users() const { return lists.size(); }
    [[nodiscard]] std::size_t n_items() const { return items; }
};

// The same rankings as plain int item indices (and any value the test wants, including bad ones).
struct index_ranker {
    std::vector<std::vector<int>> lists;
    std::size_t items = 0;
    [[nodiscard]] std::vector<int> recommend(std::size_t user, std::size_t n) const {
        const auto& l = lists.at(user);
        return {l.begin(), l.begin() + static_cast<std::ptrdiff_t>(std::min(n, l.size()))};
    }
    [[nodiscard]] std::size_t n_users() const { return lists.size(); }
    [[nodiscard]] std::size_t n_items() const { return items; }
};

static_assert(tessera::recommender<fixed_ranker>);
static_assert(tessera::recommender<index_ranker>);

// A model whose recommend throws for one user.
struct throwing_ranker {
    [[nodiscard]] std::vector<std::size_t> recommend(std::size_t user, std::size_t n) const {
        if (user == 3) throw std::runtime_error("user 3 is broken");
        std::vector<std::size_t> out(std::min<std::size_t>(n, 4));
        std::iota(out.begin(), out.end(), std::size_t{0});
        return out;
    }
    [[nodiscard]] std::size_t n_users() const { return 5; }
    [[nodiscard]] std::size_t n_items() const { return 4; }
};

// The definitions, computed the long way for one user: `ranking` best first (what the model
// returned, without repeats), `relevant` the test items.
struct naive_user {
    double precision, ap, ndcg, auc;
    bool has_auc;
};

naive_user naive_metrics(const std::vector<std::size_t>& ranking, const std::vector<std::size_t>& relevant,
                         std::size_t k) {
    auto is_rel = [&](std::size_t item) { return std::find(relevant.begin(), relevant.end(), item) != relevant.end(); };
    naive_user out{};
    double hits = 0;
    double ap = 0;
    double dcg = 0;
    for (std::size_t j = 1; j <= std::min(k, ranking.size()); ++j) {
        if (!is_rel(ranking[j - 1])) continue;
        hits += 1;
        // precision@j by recounting the first j positions
        double hits_j = 0;
        for (std::size_t t = 0; t < j; ++t) hits_j += is_rel(ranking[t]) ? 1 : 0;
        ap += hits_j / static_cast<double>(j);
        dcg += 1.0 / std::log2(static_cast<double>(j + 1));
    }
    double idcg = 0;
    for (std::size_t j = 1; j <= std::min(k, relevant.size()); ++j) idcg += 1.0 / std::log2(static_cast<double>(j + 1));
    out.precision = hits / static_cast<double>(k);
    out.ap = ap / static_cast<double>(std::min(k, relevant.size()));
    out.ndcg = dcg / idcg;
    // AUC by enumerating (test item, candidate) pairs; a test item the model did not return has
    // position "infinity".
    std::vector<std::size_t> candidates;
    for (const auto item : ranking) {
        if (!is_rel(item)) candidates.push_back(item);
    }
    auto position = [&](std::size_t item) {
        const auto it = std::find(ranking.begin(), ranking.end(), item);
        return it == ranking.end() ? std::numeric_limits<std::size_t>::max()
                                   : static_cast<std::size_t>(it - ranking.begin());
    };
    out.has_auc = !candidates.empty();
    if (out.has_auc) {
        double above = 0;
        for (const auto p : relevant) {
            for (const auto c : candidates) above += position(p) < position(c) ? 1 : 0;
        }
        out.auc = above / (static_cast<double>(relevant.size()) * static_cast<double>(candidates.size()));
    }
    return out;
}

// Random rankings for a random test matrix: user u's model "trained on" a random set of items
// (excluded from its ranking) and ranks the rest in a random order from random_engine(seed, u).
// Some test items fall in the excluded set, so the model does not return them.
struct random_case {
    matrix test;
    std::vector<std::vector<std::size_t>> lists;
};

random_case make_random_case(std::size_t users, std::size_t items, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    std::vector<entry> e;
    std::vector<std::vector<std::size_t>> lists(users);
    for (std::size_t u = 0; u < users; ++u) {
        const std::size_t n_test = rng.below(6);  // 0..5 test entries; some get value 0
        for (const auto i : tessera::sample_without_replacement(items, n_test, rng)) {
            e.push_back({static_cast<std::int32_t>(u), static_cast<std::int32_t>(i), rng.bernoulli(0.85) ? 1.0 : 0.0});
        }
        tessera::random_engine ur(seed, u);
        auto perm = tessera::permutation(items, ur);
        const std::size_t excluded = ur.below(items / 3);
        lists[u].assign(perm.begin() + static_cast<std::ptrdiff_t>(excluded), perm.end());
    }
    return {make_matrix(users, items, e), std::move(lists)};
}

}  // namespace

// ---- split_interactions ------------------------------------------------------------------------

TEST_CASE("split_interactions: per-user counts on hand-computed rows") {
    // Row lengths 0, 1, 2, 3, 4, 5, 10.
    std::vector<entry> e;
    const std::vector<std::size_t> lengths{0, 1, 2, 3, 4, 5, 10};
    for (std::size_t u = 0; u < lengths.size(); ++u) {
        for (std::size_t i = 0; i < lengths[u]; ++i) {
            e.push_back({static_cast<std::int32_t>(u), static_cast<std::int32_t>(2 * i), static_cast<double>(u + i)});
        }
    }
    const auto m = make_matrix(lengths.size(), 20, e);
    // fraction 0.5: round(0.5 n) = 0 -> (users 0, 1 below min 2), 1 (n=2: round(1)=1), round(1.5)=2 (n=3),
    // 2 (n=4), round(2.5)=3 (n=5), 5 (n=10).
    auto s = tessera::split_interactions(m, {.test_fraction = 0.5, .seed = 1});
    std::vector<std::size_t> expected{0, 0, 1, 2, 2, 3, 5};
    for (std::size_t u = 0; u < lengths.size(); ++u) CHECK(s.test.row(u).size() == expected[u]);
    // fraction 0.1: round(0.1 n) is 0 for n <= 4 and 1 for n = 5, 10 -> at least 1.
    s = tessera::split_interactions(m, {.test_fraction = 0.1, .seed = 1});
    expected = {0, 0, 1, 1, 1, 1, 1};
    for (std::size_t u = 0; u < lengths.size(); ++u) CHECK(s.test.row(u).size() == expected[u]);
    // fraction 0.9: round(1.8) = 2 for n = 2 -> at most n - 1 = 1; n=3: round(2.7)=3 -> 2;
    // n=4: round(3.6)=4 -> 3; n=5: round(4.5)=5 -> 4; n=10: 9.
    s = tessera::split_interactions(m, {.test_fraction = 0.9, .seed = 1});
    expected = {0, 0, 1, 2, 3, 4, 9};
    for (std::size_t u = 0; u < lengths.size(); ++u) CHECK(s.test.row(u).size() == expected[u]);
    // min_interactions 4: users with 2 and 3 entries keep everything in train.
    s = tessera::split_interactions(m, {.test_fraction = 0.5, .min_interactions = 4, .seed = 1});
    expected = {0, 0, 0, 0, 2, 3, 5};
    for (std::size_t u = 0; u < lengths.size(); ++u) {
        CHECK(s.test.row(u).size() == expected[u]);
        CHECK(s.train.row(u).size() == lengths[u] - expected[u]);
    }
}

TEST_CASE("split_interactions: partition, documented draw, seeds and row independence") {
    const auto m = random_interactions(60, 40, 12, 5);
    const tessera::interaction_split_options opt{.test_fraction = 0.3, .min_interactions = 3, .seed = 11};
    const auto s = tessera::split_interactions(m, opt);
    REQUIRE(s.train.rows() == m.rows());
    REQUIRE(s.train.cols() == m.cols());
    REQUIRE(s.test.rows() == m.rows());
    REQUIRE(s.test.cols() == m.cols());
    CHECK(s.train.nnz() + s.test.nnz() == m.nnz());
    for (std::size_t u = 0; u < m.rows(); ++u) {
        // train + test == input, entry by entry: merge the two rows by column and compare.
        const auto a = m.row(u);
        const auto tr = s.train.row(u);
        const auto te = s.test.row(u);
        std::size_t p = 0;
        std::size_t q = 0;
        for (std::size_t k = 0; k < a.size(); ++k) {
            const bool from_train = p < tr.size() && tr.indices[p] == a.indices[k];
            const bool from_test = q < te.size() && te.indices[q] == a.indices[k];
            REQUIRE(from_train != from_test);
            CHECK((from_train ? tr.values[p++] : te.values[q++]) == a.values[k]);
        }
        CHECK(p == tr.size());
        CHECK(q == te.size());

        // The documented rule, reimplemented: count, then the sampled positions within the row.
        const std::size_t n = a.size();
        std::vector<std::size_t> expected_test;
        if (n >= opt.min_interactions) {
            auto t = static_cast<std::size_t>(std::floor(opt.test_fraction * static_cast<double>(n) + 0.5));
            t = std::max<std::size_t>(1, std::min(t, n - 1));
            tessera::random_engine rng(opt.seed, u);
            for (const auto pos : tessera::sample_without_replacement(n, t, rng)) {
                expected_test.push_back(static_cast<std::size_t>(a.indices[pos]));
            }
            std::sort(expected_test.begin(), expected_test.end());
        }
        CHECK(row_items(s.test, u) == expected_test);
    }

    // Same seed, same split; another seed, another split.
    const auto again = tessera::split_interactions(m, opt);
    CHECK(again.train == s.train);
    CHECK(again.test == s.test);
    auto other_opt = opt;
    other_opt.seed = 12;
    const auto other = tessera::split_interactions(m, other_opt);
    CHECK(other.test != s.test);
    CHECK(other.test.nnz() == s.test.nnz());  // the counts depend on the rows only

    // User u's draw ignores the other rows: drop every entry of users 0..9 and compare the rest.
    std::vector<entry> kept;
    for (std::size_t u = 10; u < m.rows(); ++u) {
        const auto r = m.row(u);
        for (std::size_t k = 0; k < r.size(); ++k) kept.push_back({static_cast<std::int32_t>(u), r.indices[k], r.values[k]});
    }
    const auto reduced = tessera::split_interactions(make_matrix(m.rows(), m.cols(), kept), opt);
    for (std::size_t u = 10; u < m.rows(); ++u) CHECK(row_items(reduced.test, u) == row_items(s.test, u));
    for (std::size_t u = 0; u < 10; ++u) CHECK(reduced.test.row(u).empty());
}

TEST_CASE("split_interactions: views, other index types, explicit zeros and allocators") {
    const auto m = random_interactions(30, 25, 9, 3);
    const auto from_view = tessera::split_interactions(m.view(), {.seed = 4});
    const auto from_matrix = tessera::split_interactions(m, {.seed = 4});
    CHECK(from_view.train == from_matrix.train);
    CHECK(from_view.test == from_matrix.test);

    // int64 indices and float values: the same positions are drawn.
    std::vector<tessera::triplet<float, std::int64_t>> e;
    for (std::size_t u = 0; u < m.rows(); ++u) {
        const auto r = m.row(u);
        for (std::size_t k = 0; k < r.size(); ++k) {
            e.push_back({static_cast<std::int64_t>(u), r.indices[k], static_cast<float>(r.values[k])});
        }
    }
    const auto wide = tessera::csr_matrix<float, std::int64_t>::from_triplets(m.rows(), m.cols(), e);
    const auto ws = tessera::split_interactions(wide, {.seed = 4});
    for (std::size_t u = 0; u < m.rows(); ++u) CHECK(row_items(ws.test, u) == row_items(from_matrix.test, u));

    // Stored zeros are interactions like any other and keep their value.
    const auto z = make_matrix(1, 4, {{0, 0, 0.0}, {0, 1, 0.0}, {0, 2, 0.0}, {0, 3, 0.0}});
    const auto zs = tessera::split_interactions(z, {.test_fraction = 0.5});
    CHECK(zs.train.nnz() == 2);
    CHECK(zs.test.nnz() == 2);
    CHECK(zs.test.values()[0] == 0.0);

    // The halves use the input's allocator.
    std::pmr::monotonic_buffer_resource pool;
    using pmr_matrix = tessera::csr_matrix<double, std::int32_t, std::pmr::polymorphic_allocator<double>>;
    const auto pm = pmr_matrix::from_triplets(
        3, 3, std::vector<entry>{{0, 0, 1.0}, {0, 1, 2.0}, {0, 2, 3.0}, {2, 1, 4.0}}, &pool);
    const auto ps = tessera::split_interactions(pm, {.test_fraction = 0.3});
    CHECK(ps.train.get_allocator().resource() == &pool);
    CHECK(ps.test.get_allocator().resource() == &pool);
    CHECK(ps.test.nnz() == 1);  // round(0.9) = 1 from user 0; user 2 has 1 entry
    CHECK(ps.train.row(2).size() == 1);
}

TEST_CASE("split_interactions: bad input") {
    const auto m = random_interactions(10, 10, 5, 1);
    const char* where = "split_interactions";
    for (const double f : {0.0, 1.0, -0.2, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
        expect_error<tessera::invalid_argument>(where, "options.test_fraction",
                                                [&] { (void)tessera::split_interactions(m, {.test_fraction = f}); });
    }
    for (const std::size_t mi : {0u, 1u}) {
        expect_error<tessera::invalid_argument>(where, "options.min_interactions",
                                                [&] { (void)tessera::split_interactions(m, {.min_interactions = mi}); });
    }
    for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        const auto b = make_matrix(2, 3, {{0, 0, 1.0}, {1, 2, bad}});
        expect_error<tessera::invalid_argument>(where, "interactions", [&] { (void)tessera::split_interactions(b); });
    }
}

// ---- evaluate_ranking --------------------------------------------------------------------------

namespace {

// Six items, four users (k = 3 below):
//   user 0: test {1, 4};  ranking [4, 0, 1, 2, 3, 5]
//   user 1: only an explicit zero on item 2: not evaluated
//   user 2: test {5} (value 3) and a -1 on item 0 (not relevant); ranking [0, 3, 5, 1] (2, 4 excluded)
//   user 3: test {0, 2, 3};  ranking [1, 0, 5] (2, 3 and 4 not returned)
matrix hand_test() {
    return make_matrix(4, 6,
                       {{0, 1, 1.0}, {0, 4, 2.0}, {1, 2, 0.0}, {2, 5, 3.0}, {2, 0, -1.0}, {3, 0, 1.0}, {3, 2, 1.0},
                        {3, 3, 5.0}});
}

std::vector<std::vector<std::size_t>> hand_lists() { return {{4, 0, 1, 2, 3, 5}, {0, 1, 2, 3, 4, 5}, {0, 3, 5, 1}, {1, 0, 5}}; }

}  // namespace

TEST_CASE("evaluate_ranking on hand-computed rankings") {
    const auto test = hand_test();
    const fixed_ranker model(hand_lists(), 6);
    const auto s = tessera::evaluate_ranking(model, test, 3);
    // user 0: hits at ranks 1 and 3.
    //   precision = 2/3; AP = (P@1 + P@3) / min(3, 2) = (1 + 2/3) / 2 = 5/6
    //   DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3); NDCG = 1.5 / (1 + 1/log2 3)
    //   AUC: candidates 0, 2, 3, 5; item 4 is above all 4, item 1 above 2, 3, 5: 7 / (2 * 4) = 7/8
    // user 2: hit at rank 3.
    //   precision = 1/3; AP = (1/3) / 1 = 1/3; NDCG = (1/log2 4) / 1 = 0.5
    //   AUC: candidates 0, 3, 1 (item 0's -1 is not relevant); item 5 above 1 only: 1/3
    // user 3: hit at rank 2.
    //   precision = 1/3; AP = (1/2) / min(3, 3) = 1/6; NDCG = (1/log2 3) / (1 + 1/log2 3 + 1/2)
    //   AUC: candidates 1, 5; item 0 above 5; items 2, 3 not returned, above none: 1 / (3 * 2) = 1/6
    const double inv_log3 = 1.0 / std::log2(3.0);
    CHECK(s.users == 3);
    CHECK(s.auc_users == 3);
    CHECK(s.precision == Approx((2.0 / 3 + 1.0 / 3 + 1.0 / 3) / 3).epsilon(1e-14));  // 4/9
    CHECK(s.map == Approx((5.0 / 6 + 1.0 / 3 + 1.0 / 6) / 3).epsilon(1e-14));        // 4/9
    CHECK(s.ndcg == Approx((1.5 / (1 + inv_log3) + 0.5 + inv_log3 / (1.5 + inv_log3)) / 3).epsilon(1e-14));
    CHECK(s.auc == Approx((7.0 / 8 + 1.0 / 3 + 1.0 / 6) / 3).epsilon(1e-14));  // 11/24
    CHECK(model.largest_request.load() == 6);  // the full ranking, for the AUC

    // Without the AUC: the top-k metrics are the same, from recommend(u, 3).
    const fixed_ranker top_only(hand_lists(), 6);
    const auto t = tessera::evaluate_ranking(top_only, test, 3, {.auc = false});
    CHECK(top_only.largest_request.load() == 3);
    CHECK(t.precision == s.precision);
    CHECK(t.map == s.map);
    CHECK(t.ndcg == s.ndcg);
    CHECK(std::isnan(t.auc));
    CHECK(t.auc_users == 0);
    CHECK(t.users == 3);

    // k = 1: user 0 hits at rank 1 (precision 1, AP 1, NDCG 1), users 2 and 3 miss.
    const auto one = tessera::evaluate_ranking(model, test.view(), 1);
    CHECK(one.precision == Approx(1.0 / 3));
    CHECK(one.map == Approx(1.0 / 3));
    CHECK(one.ndcg == Approx(1.0 / 3));
    // k larger than the item count: precision still divides by k.
    const auto big = tessera::evaluate_ranking(model, test, 10, {.auc = false});
    // hits: user 0: 2, user 2: 1, user 3: 1 -> (2 + 1 + 1) / 10 / 3
    CHECK(big.precision == Approx(4.0 / 30));

    // Plain integer indices give the same results as scored items.
    index_ranker plain;
    plain.items = 6;
    for (const auto& l : hand_lists()) plain.lists.emplace_back(l.begin(), l.end());
    const auto p = tessera::evaluate_ranking(plain, test, 3);
    CHECK(p.precision == s.precision);
    CHECK(p.map == s.map);
    CHECK(p.ndcg == s.ndcg);
    CHECK(p.auc == s.auc);
}

TEST_CASE("evaluate_ranking: perfect and reversed rankings") {
    const auto rc = make_random_case(80, 30, 17);
    std::vector<std::vector<std::size_t>> perfect(rc.test.rows());
    std::vector<std::vector<std::size_t>> reversed(rc.test.rows());
    std::size_t evaluated = 0;
    for (std::size_t u = 0; u < rc.test.rows(); ++u) {
        std::vector<bool> rel(rc.test.cols(), false);
        const auto r = rc.test.row(u);
        for (std::size_t t = 0; t < r.size(); ++t) rel[static_cast<std::size_t>(r.indices[t])] = r.values[t] > 0;
        for (std::size_t i = 0; i < rc.test.cols(); ++i) (rel[i] ? perfect[u] : reversed[u]).push_back(i);
        for (std::size_t i = 0; i < rc.test.cols(); ++i) (rel[i] ? reversed[u] : perfect[u]).push_back(i);
        evaluated += std::count(rel.begin(), rel.end(), true) > 0 ? 1 : 0;
    }
    for (const std::size_t k : {1u, 3u, 5u, 10u}) {
        // precision@k of a perfect ranking is min(k, |test_u|) / k per user.
        double expected_precision = 0;
        for (std::size_t u = 0; u < rc.test.rows(); ++u) {
            std::size_t n = 0;
            const auto r = rc.test.row(u);
            for (std::size_t t = 0; t < r.size(); ++t) n += r.values[t] > 0 ? 1 : 0;
            if (n > 0) expected_precision += static_cast<double>(std::min(k, n)) / static_cast<double>(k);
        }
        expected_precision /= static_cast<double>(evaluated);
        const auto good = tessera::evaluate_ranking(fixed_ranker(perfect, rc.test.cols()), rc.test, k);
        CHECK(good.users == evaluated);
        CHECK(good.precision == Approx(expected_precision).epsilon(1e-14));
        CHECK(good.map == Approx(1.0).epsilon(1e-14));
        CHECK(good.ndcg == Approx(1.0).epsilon(1e-14));
        CHECK(good.auc == 1.0);
        const auto bad = tessera::evaluate_ranking(fixed_ranker(reversed, rc.test.cols()), rc.test, k);
        CHECK(bad.auc == 0.0);
        CHECK(bad.auc_users == evaluated);
    }
}

TEST_CASE("evaluate_ranking equals the definitions on random rankings, for any thread count") {
    const auto rc = make_random_case(700, 50, 23);
    const fixed_ranker model(rc.lists, rc.test.cols());
    for (const std::size_t k : {1u, 4u, 20u, 50u}) {
        double precision = 0;
        double map = 0;
        double ndcg = 0;
        double auc = 0;
        std::size_t users = 0;
        std::size_t auc_users = 0;
        for (std::size_t u = 0; u < rc.test.rows(); ++u) {
            std::vector<std::size_t> relevant;
            const auto r = rc.test.row(u);
            for (std::size_t t = 0; t < r.size(); ++t) {
                if (r.values[t] > 0) relevant.push_back(static_cast<std::size_t>(r.indices[t]));
            }
            if (relevant.empty()) continue;
            const auto n = naive_metrics(rc.lists[u], relevant, k);
            ++users;
            precision += n.precision;
            map += n.ap;
            ndcg += n.ndcg;
            if (n.has_auc) {
                ++auc_users;
                auc += n.auc;
            }
        }
        const auto s = tessera::evaluate_ranking(model, rc.test, k, {.parallel = {.n_threads = 1}});
        CHECK(s.users == users);
        CHECK(s.auc_users == auc_users);
        CHECK(s.precision == Approx(precision / static_cast<double>(users)).epsilon(1e-13));
        CHECK(s.map == Approx(map / static_cast<double>(users)).epsilon(1e-13));
        CHECK(s.ndcg == Approx(ndcg / static_cast<double>(users)).epsilon(1e-13));
        CHECK(s.auc == Approx(auc / static_cast<double>(auc_users)).epsilon(1e-13));

        // Bit-identical for other thread counts and block sizes.
        for (const tessera::parallel_options par : {tessera::parallel_options{2, 0}, tessera::parallel_options{4, 7},
                                                    tessera::parallel_options{0, 0}}) {
            const auto o = tessera::evaluate_ranking(model, rc.test, k, {.parallel = par});
            CHECK(o.precision == s.precision);
            CHECK(o.map == s.map);
            CHECK(o.ndcg == s.ndcg);
            CHECK(o.auc == s.auc);
            CHECK(o.users == s.users);
            CHECK(o.auc_users == s.auc_users);
        }
    }
}

TEST_CASE("evaluate_ranking: a user whose every returned item is a test item has no AUC") {
    // user 0: test {0, 1}, model returns [1, 0] only: no candidate, so no AUC for user 0.
    // user 1: test {2}, ranking [2, 0, 1]: AUC 1.
    const auto test = make_matrix(2, 3, {{0, 0, 1.0}, {0, 1, 1.0}, {1, 2, 1.0}});
    const fixed_ranker model({{1, 0}, {2, 0, 1}}, 3);
    const auto s = tessera::evaluate_ranking(model, test, 2);
    CHECK(s.users == 2);
    CHECK(s.auc_users == 1);
    CHECK(s.auc == 1.0);
    // user 0: precision 1, user 1: precision 1/2 (k = 2 even with one test item)
    CHECK(s.precision == Approx(0.75));
    // Only user 0: the AUC is NaN, with no AUC user.
    const auto only = make_matrix(2, 3, {{0, 0, 1.0}, {0, 1, 1.0}});
    const auto o = tessera::evaluate_ranking(model, only, 2);
    CHECK(o.users == 1);
    CHECK(o.auc_users == 0);
    CHECK(std::isnan(o.auc));
}

TEST_CASE("evaluate_ranking: bad input") {
    const auto test = hand_test();
    const fixed_ranker model(hand_lists(), 6);
    const char* where = "evaluate_ranking";
    expect_error<tessera::invalid_argument>(where, "k", [&] { (void)tessera::evaluate_ranking(model, test, 0); });
    expect_error<tessera::dimension_mismatch>(where, "test", [&] {
        (void)tessera::evaluate_ranking(model, make_matrix(5, 6, {{0, 1, 1.0}}), 3);
    });
    expect_error<tessera::dimension_mismatch>(where, "test", [&] {
        (void)tessera::evaluate_ranking(model, make_matrix(4, 7, {{0, 1, 1.0}}), 3);
    });
    expect_error<tessera::invalid_argument>(where, "test", [&] {
        (void)tessera::evaluate_ranking(model, make_matrix(4, 6, {{0, 1, std::numeric_limits<double>::quiet_NaN()}}), 3);
    });
    expect_error<tessera::invalid_argument>(where, "test", [&] {
        (void)tessera::evaluate_ranking(model, make_matrix(4, 6, {{0, 1, std::numeric_limits<double>::infinity()}}), 3);
    });
    // no entry > 0: empty, or only zeros and negatives
    expect_error<tessera::invalid_argument>(where, "test",
                                            [&] { (void)tessera::evaluate_ranking(model, matrix(4, 6), 3); });
    expect_error<tessera::invalid_argument>(where, "test", [&] {
        (void)tessera::evaluate_ranking(model, make_matrix(4, 6, {{0, 1, 0.0}, {2, 2, -1.0}}), 3);
    });
    expect_error<tessera::invalid_argument>(where, "options.n_threads", [&] {
        (void)tessera::evaluate_ranking(model, test, 3, {.parallel = {.n_threads = -1}});
    });

    // Rankings that break the contract: an item out of range, a negative one, a repeat.
    index_ranker out_of_range{{{0}, {1}, {6, 1}, {0}}, 6};
    expect_error<tessera::invalid_argument>(where, "model", [&] { (void)tessera::evaluate_ranking(out_of_range, test, 3); });
    CHECK_THROWS_WITH((void)tessera::evaluate_ranking(out_of_range, test, 3), doctest::Contains("returned item 6, outside"));
    index_ranker negative{{{0}, {1}, {-1}, {0}}, 6};
    expect_error<tessera::invalid_argument>(where, "model", [&] { (void)tessera::evaluate_ranking(negative, test, 3); });
    index_ranker repeated{{{0}, {1}, {5, 2, 5}, {0}}, 6};
    expect_error<tessera::invalid_argument>(where, "model", [&] { (void)tessera::evaluate_ranking(repeated, test, 3); });
    CHECK_THROWS_WITH((void)tessera::evaluate_ranking(repeated, test, 3), doctest::Contains("returned item 5 twice"));

    // What the model throws comes through, with any thread count.
    const auto five = make_matrix(5, 4, {{0, 0, 1.0}, {3, 1, 1.0}, {4, 2, 1.0}});
    CHECK_THROWS_AS((void)tessera::evaluate_ranking(throwing_ranker{}, five, 2, {.parallel = {.n_threads = 1}}),
                    std::runtime_error);
    CHECK_THROWS_AS((void)tessera::evaluate_ranking(throwing_ranker{}, five, 2, {.parallel = {2, 1}}), std::runtime_error);
}

// ---- evaluate_ratings --------------------------------------------------------------------------

namespace {

// predict(u, i) = u + i / 2.
struct linear_predictor {
    std::size_t users = 3;
    std::size_t items = 3;
    [[nodiscard]] double predict(std::size_t u, std::size_t i) const {
        return static_cast<double>(u) + 0.5 * static_cast<double>(i);
    }
    [[nodiscard]] std::size_t n_users() const { return users; }
    [[nodiscard]] std::size_t n_items() const { return items; }
};

struct nan_predictor {
    [[nodiscard]] float predict(std::size_t u, std::size_t) const {
        return u == 1 ? std::numeric_limits<float>::quiet_NaN() : 1.0f;
    }
    [[nodiscard]] std::size_t n_users() const { return 3; }
    [[nodiscard]] std::size_t n_items() const { return 3; }
};

}  // namespace

TEST_CASE("evaluate_ratings on hand-computed errors") {
    // (0,0) r=1 p=0 e=1; (0,1) r=0 (a stored zero is a rating) p=0.5 e=-0.5; (1,2) r=2 p=2 e=0;
    // (2,1) r=1 p=2.5 e=-1.5.  SSE = 1 + 0.25 + 0 + 2.25 = 3.5, SAE = 1 + 0.5 + 0 + 1.5 = 3.
    const auto test = make_matrix(3, 3, {{0, 0, 1.0}, {0, 1, 0.0}, {1, 2, 2.0}, {2, 1, 1.0}});
    const auto e = tessera::evaluate_ratings(linear_predictor{}, test);
    CHECK(e.count == 4);
    CHECK(e.rmse == Approx(std::sqrt(3.5 / 4)).epsilon(1e-15));
    CHECK(e.mae == Approx(0.75).epsilon(1e-15));
    const auto v = tessera::evaluate_ratings(linear_predictor{}, test.view());
    CHECK(v.rmse == e.rmse);
    CHECK(v.mae == e.mae);

    // Random ratings: the definitions directly, and bit-identical for any thread count.
    const auto big = random_interactions(400, 30, 20, 9);
    const linear_predictor model{400, 30};
    double sse = 0;
    double sae = 0;
    for (std::size_t u = 0; u < big.rows(); ++u) {
        const auto r = big.row(u);
        for (std::size_t t = 0; t < r.size(); ++t) {
            const double d = r.values[t] - model.predict(u, static_cast<std::size_t>(r.indices[t]));
            sse += d * d;
            sae += std::fabs(d);
        }
    }
    const auto one = tessera::evaluate_ratings(model, big, {.n_threads = 1});
    CHECK(one.count == big.nnz());
    CHECK(one.rmse == Approx(std::sqrt(sse / static_cast<double>(big.nnz()))).epsilon(1e-13));
    CHECK(one.mae == Approx(sae / static_cast<double>(big.nnz())).epsilon(1e-13));
    for (const tessera::parallel_options par : {tessera::parallel_options{2, 0}, tessera::parallel_options{3, 5}}) {
        const auto o = tessera::evaluate_ratings(model, big, par);
        CHECK(o.rmse == one.rmse);
        CHECK(o.mae == one.mae);
    }
}

TEST_CASE("evaluate_ratings: bad input") {
    const char* where = "evaluate_ratings";
    const linear_predictor model;
    expect_error<tessera::dimension_mismatch>(where, "test", [&] {
        (void)tessera::evaluate_ratings(model, make_matrix(4, 3, {{0, 0, 1.0}}));
    });
    expect_error<tessera::dimension_mismatch>(where, "test", [&] {
        (void)tessera::evaluate_ratings(model, make_matrix(3, 2, {{0, 0, 1.0}}));
    });
    expect_error<tessera::invalid_argument>(where, "test", [&] { (void)tessera::evaluate_ratings(model, matrix(3, 3)); });
    expect_error<tessera::invalid_argument>(where, "test", [&] {
        (void)tessera::evaluate_ratings(model, make_matrix(3, 3, {{1, 1, std::numeric_limits<double>::quiet_NaN()}}));
    });
    expect_error<tessera::invalid_argument>(where, "model", [&] {
        (void)tessera::evaluate_ratings(nan_predictor{}, make_matrix(3, 3, {{0, 0, 1.0}, {1, 1, 2.0}}));
    });
    expect_error<tessera::invalid_argument>(where, "options.n_threads", [&] {
        (void)tessera::evaluate_ratings(model, make_matrix(3, 3, {{0, 0, 1.0}}), {.n_threads = -2});
    });
}
