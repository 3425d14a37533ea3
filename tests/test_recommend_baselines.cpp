// The baseline recommenders: popularity_recommender on hand-counted matrices (counts, ties,
// exclusion), bias_baseline on a hand-computed case and against a naive double-precision
// reimplementation of its updates on random data, its objective never increasing, and both
// against simple references on data with a known structure; every bad-input path.
#include <tessera/compose/roles.hpp>
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/metrics/ranking.hpp>
#include <tessera/recommend/baselines.hpp>
#include <tessera/recommend/common.hpp>

#include <doctest/doctest.h>

#include "metrics_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

using doctest::Approx;

namespace {

using tessera_test::expect_error;
using matrix = tessera::csr_matrix<double>;
using entry = tessera::triplet<double>;

static_assert(tessera::recommender<tessera::popularity_recommender>);
static_assert(!tessera::recommender<tessera::bias_baseline>);

matrix make_matrix(std::size_t rows, std::size_t cols, const std::vector<entry>& entries) {
    return matrix::from_triplets(rows, cols, entries);
}

std::vector<std::size_t> items_of(const std::vector<tessera::scored_item<double>>& r) {
    std::vector<std::size_t> out;
    for (const auto& s : r) out.push_back(s.item);
    return out;
}

// Five users, six items:
//   user 0: items 0 (1), 2 (3), 5 (1)
//   user 1: items 2 (1), 3 (0: stored, not counted), 5 (2)
//   user 2: items 1 (-1: not counted), 2 (1)
//   user 3: items 4 (1), 5 (1)
//   user 4: nothing
// Counts of users with a value > 0: item 0: 1, 1: 0, 2: 3, 3: 0, 4: 1, 5: 3.
// Ranking (count desc, index asc): 2 (3), 5 (3), 0 (1), 4 (1), 1 (0), 3 (0).
matrix hand_interactions() {
    return make_matrix(5, 6,
                       {{0, 0, 1}, {0, 2, 3}, {0, 5, 1}, {1, 2, 1}, {1, 3, 0}, {1, 5, 2}, {2, 1, -1}, {2, 2, 1},
                        {3, 4, 1}, {3, 5, 1}});
}

}  // namespace

// ---- popularity_recommender --------------------------------------------------------------------

TEST_CASE("popularity_recommender on a hand-counted matrix") {
    tessera::popularity_recommender pop;
    CHECK_FALSE(pop.fitted());
    pop.fit(hand_interactions());
    CHECK(pop.fitted());
    CHECK(pop.n_users() == 5);
    CHECK(pop.n_items() == 6);
    const std::vector<std::size_t> counts(pop.item_counts().begin(), pop.item_counts().end());
    CHECK(counts == std::vector<std::size_t>{1, 0, 3, 0, 1, 3});
    const std::vector<std::size_t> ranking(pop.ranking().begin(), pop.ranking().end());
    CHECK(ranking == std::vector<std::size_t>{2, 5, 0, 4, 1, 3});

    // user 4 has nothing: the global ranking, scores = counts.
    const auto r4 = pop.recommend(4, 6);
    CHECK(items_of(r4) == std::vector<std::size_t>{2, 5, 0, 4, 1, 3});
    CHECK(r4[0].score == 3.0);
    CHECK(r4[1].score == 3.0);
    CHECK(r4[2].score == 1.0);
    CHECK(r4[5].score == 0.0);
    CHECK(items_of(pop.recommend(4, 2)) == std::vector<std::size_t>{2, 5});
    // user 0 has 0, 2, 5: left 4, 1, 3.
    CHECK(items_of(pop.recommend(0, 2)) == std::vector<std::size_t>{4, 1});
    CHECK(items_of(pop.recommend(0, 6)) == std::vector<std::size_t>{4, 1, 3});  // fewer than n remain
    // user 1's stored zero on item 3 is excluded too (any stored entry).
    CHECK(items_of(pop.recommend(1, 6)) == std::vector<std::size_t>{0, 4, 1});
    // user 2's -1 on item 1 likewise.
    CHECK(items_of(pop.recommend(2, 3)) == std::vector<std::size_t>{5, 0, 4});

    // Without exclusion everybody gets the global list.
    tessera::popularity_recommender all({.exclude_seen = false});
    all.fit(hand_interactions().view());
    for (std::size_t u = 0; u < 5; ++u) CHECK(items_of(all.recommend(u, 4)) == std::vector<std::size_t>{2, 5, 0, 4});
    CHECK(all.recommend(0, 3) == pop.recommend(4, 3));

    // Options are read by fit: changing them leaves the fitted model as it is until the next fit.
    pop.set_options({.exclude_seen = false});
    CHECK(items_of(pop.recommend(0, 2)) == std::vector<std::size_t>{4, 1});
    pop.fit(hand_interactions());
    CHECK(items_of(pop.recommend(0, 2)) == std::vector<std::size_t>{2, 5});
    CHECK_FALSE(pop.get_options().exclude_seen);

    // Integer values and 64-bit indices work the same.
    std::vector<tessera::triplet<int, std::int64_t>> e;
    const auto h = hand_interactions();
    for (std::size_t u = 0; u < h.rows(); ++u) {
        const auto r = h.row(u);
        for (std::size_t t = 0; t < r.size(); ++t) {
            e.push_back({static_cast<std::int64_t>(u), r.indices[t], static_cast<int>(r.values[t])});
        }
    }
    tessera::popularity_recommender ints;
    ints.fit(tessera::csr_matrix<int, std::int64_t>::from_triplets(5, 6, e));
    tessera::popularity_recommender doubles;
    doubles.fit(h);
    for (std::size_t u = 0; u < 5; ++u) CHECK(ints.recommend(u, 6) == doubles.recommend(u, 6));
}

namespace {

// Skewed implicit feedback: user u interacts with item i with probability 0.9 / (1 + i / 4),
// so item popularity falls with the index; value 1 for each interaction.
matrix skewed_interactions(std::size_t users, std::size_t items, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    std::vector<entry> e;
    for (std::size_t u = 0; u < users; ++u) {
        for (std::size_t i = 0; i < items; ++i) {
            if (rng.bernoulli(0.9 / (1.0 + static_cast<double>(i) / 4.0))) {
                e.push_back({static_cast<std::int32_t>(u), static_cast<std::int32_t>(i), 1.0});
            }
        }
    }
    return make_matrix(users, items, e);
}

// Ranks the items a user does not have in `train` in a random order of its own (per user).
struct random_ranker {
    const matrix* train;
    std::vector<tessera::scored_item<double>> recommend(std::size_t u, std::size_t n) const {
        tessera::random_engine rng(99, u);
        const auto perm = tessera::permutation(train->cols(), rng);
        const auto own = train->row(u).indices;
        std::vector<tessera::scored_item<double>> out;
        for (const auto i : perm) {
            if (out.size() == n) break;
            if (std::find(own.begin(), own.end(), static_cast<std::int32_t>(i)) != own.end()) continue;
            out.push_back({i, 0.0});
        }
        return out;
    }
    [[nodiscard]] std::size_t n_users() const { return train->rows(); }
    [[nodiscard]] std::size_t n_items() const { return train->cols(); }
};

}  // namespace

TEST_CASE("popularity_recommender beats a random ranking on skewed data; evaluation is thread-independent") {
    const auto data = skewed_interactions(300, 60, 4);
    const auto parts = tessera::split_interactions(data, {.test_fraction = 0.25, .seed = 8});
    tessera::popularity_recommender pop;
    pop.fit(parts.train);
    // Every recommendation avoids the user's training items and has no repeats.
    for (std::size_t u = 0; u < data.rows(); ++u) {
        const auto r = pop.recommend(u, pop.n_items());
        CHECK(r.size() == pop.n_items() - parts.train.row(u).size());
        for (const auto& s : r) {
            const auto own = parts.train.row(u).indices;
            CHECK(std::find(own.begin(), own.end(), static_cast<std::int32_t>(s.item)) == own.end());
        }
        for (std::size_t j = 1; j < r.size(); ++j) {
            CHECK((r[j - 1].score > r[j].score || (r[j - 1].score == r[j].score && r[j - 1].item < r[j].item)));
        }
    }
    const auto s = tessera::evaluate_ranking(pop, parts.test, 10, {.parallel = {.n_threads = 1}});
    const auto s2 = tessera::evaluate_ranking(pop, parts.test, 10, {.parallel = {.n_threads = 2, .block_size = 3}});
    CHECK(s.precision == s2.precision);
    CHECK(s.map == s2.map);
    CHECK(s.ndcg == s2.ndcg);
    CHECK(s.auc == s2.auc);
    const auto rnd = tessera::evaluate_ranking(random_ranker{&parts.train}, parts.test, 10);
    CHECK(s.users == rnd.users);
    CHECK(s.auc > 0.65);
    CHECK(rnd.auc == Approx(0.5).epsilon(0.1));
    CHECK(s.auc > rnd.auc);
    CHECK(s.ndcg > rnd.ndcg);
    CHECK(s.precision > rnd.precision);
}

TEST_CASE("popularity_recommender: bad input") {
    tessera::popularity_recommender pop;
    CHECK_THROWS_AS((void)pop.recommend(0, 1), tessera::not_fitted_error);
    CHECK_THROWS_WITH((void)pop.recommend(0, 1),
                      doctest::Contains("tessera::popularity_recommender::recommend: the model is not fitted"));
    const char* fit = "popularity_recommender::fit";
    expect_error<tessera::invalid_argument>(fit, "interactions", [&] { pop.fit(matrix()); });
    expect_error<tessera::invalid_argument>(fit, "interactions", [&] { pop.fit(matrix(3, 0)); });
    expect_error<tessera::invalid_argument>(fit, "interactions", [&] { pop.fit(matrix(0, 3)); });
    expect_error<tessera::invalid_argument>(fit, "interactions", [&] { pop.fit(matrix(3, 3)); });
    expect_error<tessera::invalid_argument>(fit, "interactions", [&] {
        pop.fit(make_matrix(2, 2, {{0, 0, 1.0}, {1, 1, std::numeric_limits<double>::quiet_NaN()}}));
    });
    expect_error<tessera::invalid_argument>(fit, "interactions", [&] {
        pop.fit(make_matrix(2, 2, {{0, 0, -std::numeric_limits<double>::infinity()}}));
    });
    CHECK_FALSE(pop.fitted());  // failed fits left it unfitted

    pop.fit(hand_interactions());
    const auto before = pop.recommend(4, 6);
    CHECK_THROWS_AS(pop.fit(matrix(3, 3)), tessera::invalid_argument);
    CHECK(pop.recommend(4, 6) == before);  // a fit that throws leaves the model as it was
    CHECK(pop.n_users() == 5);

    const char* rec = "popularity_recommender::recommend";
    expect_error<tessera::invalid_argument>(rec, "user", [&] { (void)pop.recommend(5, 1); });
    expect_error<tessera::invalid_argument>(rec, "n", [&] { (void)pop.recommend(0, 0); });
    expect_error<tessera::invalid_argument>(rec, "n", [&] { (void)pop.recommend(0, 7); });
    CHECK(pop.recommend(4, 6).size() == 6);  // n == n_items is fine
}

// ---- bias_baseline -----------------------------------------------------------------------------

namespace {

struct rating {
    std::size_t u, i;
    double r;
};

std::vector<rating> ratings_of(const matrix& m) {
    std::vector<rating> out;
    for (std::size_t u = 0; u < m.rows(); ++u) {
        const auto row = m.row(u);
        for (std::size_t t = 0; t < row.size(); ++t) out.push_back({u, static_cast<std::size_t>(row.indices[t]), row.values[t]});
    }
    return out;
}

// The updates as the documentation states them, over a plain list of ratings, in double.
struct naive_biases {
    double mu = 0;
    std::vector<double> bu, bi;
};

naive_biases naive_fit(const std::vector<rating>& rs, std::size_t users, std::size_t items, double reg_user,
                       double reg_item, std::size_t iterations) {
    naive_biases b;
    for (const auto& x : rs) b.mu += x.r;
    b.mu /= static_cast<double>(rs.size());
    b.bu.assign(users, 0.0);
    b.bi.assign(items, 0.0);
    for (std::size_t it = 0; it < iterations; ++it) {
        for (std::size_t i = 0; i < items; ++i) {
            double s = 0;
            double n = 0;
            for (const auto& x : rs) {
                if (x.i != i) continue;
                s += x.r - b.mu - b.bu[x.u];
                n += 1;
            }
            b.bi[i] = n == 0 ? 0.0 : s / (reg_item + n);
        }
        for (std::size_t u = 0; u < users; ++u) {
            double s = 0;
            double n = 0;
            for (const auto& x : rs) {
                if (x.u != u) continue;
                s += x.r - b.mu - b.bi[x.i];
                n += 1;
            }
            b.bu[u] = n == 0 ? 0.0 : s / (reg_user + n);
        }
    }
    return b;
}

double objective(const tessera::bias_baseline& m, const std::vector<rating>& rs) {
    const auto& o = m.get_options();
    double f = 0;
    for (const auto& x : rs) {
        const double e = x.r - m.predict(x.u, x.i);
        f += e * e;
    }
    for (const double b : m.user_biases()) f += o.reg_user * b * b;
    for (const double b : m.item_biases()) f += o.reg_item * b * b;
    return f;
}

// Ratings r = mu + b_u + b_i + noise, clipped to [1, 5]; user u rates 3..30 random items.
// Users 0 and 5 and the last item get no ratings.
matrix biased_ratings(std::size_t users, std::size_t items, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    std::vector<double> bu(users);
    std::vector<double> bi(items);
    for (auto& b : bu) b = rng.normal(0, 0.6);
    for (auto& b : bi) b = rng.normal(0, 0.8);
    std::vector<entry> e;
    for (std::size_t u = 0; u < users; ++u) {
        if (u == 0 || u == 5) continue;
        const std::size_t n = 3 + rng.below(28);
        for (const auto i : tessera::sample_without_replacement(items - 1, n, rng)) {
            const double r = std::clamp(3.6 + bu[u] + bi[i] + rng.normal(0, 0.4), 1.0, 5.0);
            e.push_back({static_cast<std::int32_t>(u), static_cast<std::int32_t>(i), r});
        }
    }
    return make_matrix(users, items, e);
}

// Predicts one number for everybody.
struct constant_predictor {
    double value;
    std::size_t users, items;
    [[nodiscard]] double predict(std::size_t, std::size_t) const { return value; }
    [[nodiscard]] std::size_t n_users() const { return users; }
    [[nodiscard]] std::size_t n_items() const { return items; }
};

}  // namespace

TEST_CASE("bias_baseline on a hand-computed case") {
    // Ratings (0,0) = 4, (0,1) = 2, (1,0) = 5; user 2 and item 2 have none. reg 1, one round.
    //   mu = 11/3
    //   b_0(item) = ((4 - mu) + (5 - mu)) / (1 + 2) = (5/3) / 3 = 5/9
    //   b_1(item) = (2 - mu) / (1 + 1) = (-5/3) / 2 = -5/6
    //   b_0(user) = ((4 - mu - 5/9) + (2 - mu + 5/6)) / (1 + 2) = (-2/9 - 5/6) / 3 = -19/54
    //   b_1(user) = (5 - mu - 5/9) / (1 + 1) = (7/9) / 2 = 7/18
    //   predict(1, 1) = 11/3 + 7/18 - 5/6 = 29/9
    const auto m = make_matrix(3, 3, {{0, 0, 4}, {0, 1, 2}, {1, 0, 5}});
    tessera::bias_baseline b({.reg_user = 1, .reg_item = 1, .iterations = 1});
    CHECK_FALSE(b.fitted());
    b.fit(m);
    CHECK(b.fitted());
    CHECK(b.n_users() == 3);
    CHECK(b.n_items() == 3);
    CHECK(b.global_mean() == Approx(11.0 / 3).epsilon(1e-15));
    CHECK(b.item_biases()[0] == Approx(5.0 / 9).epsilon(1e-14));
    CHECK(b.item_biases()[1] == Approx(-5.0 / 6).epsilon(1e-14));
    CHECK(b.item_biases()[2] == 0.0);
    CHECK(b.user_biases()[0] == Approx(-19.0 / 54).epsilon(1e-14));
    CHECK(b.user_biases()[1] == Approx(7.0 / 18).epsilon(1e-14));
    CHECK(b.user_biases()[2] == 0.0);
    CHECK(b.predict(1, 1) == Approx(29.0 / 9).epsilon(1e-14));
    CHECK(b.predict(2, 2) == b.global_mean());

    // No rounds: the global mean everywhere.
    tessera::bias_baseline mean_only({.iterations = 0});
    mean_only.fit(m.view());
    for (std::size_t u = 0; u < 3; ++u) {
        for (std::size_t i = 0; i < 3; ++i) CHECK(mean_only.predict(u, i) == Approx(11.0 / 3).epsilon(1e-15));
    }
}

TEST_CASE("bias_baseline equals a naive reimplementation; its objective never increases") {
    const auto m = biased_ratings(60, 45, 21);
    const auto rs = ratings_of(m);
    for (const auto& [ru, ri] : std::vector<std::pair<double, double>>{{3, 7}, {0, 0}, {25, 10}}) {
        for (const std::size_t iterations : {1u, 2u, 6u}) {
            tessera::bias_baseline b({.reg_user = ru, .reg_item = ri, .iterations = iterations});
            b.fit(m);
            const auto ref = naive_fit(rs, m.rows(), m.cols(), ru, ri, iterations);
            CHECK(b.global_mean() == Approx(ref.mu).epsilon(1e-14));
            for (std::size_t u = 0; u < m.rows(); ++u) CHECK(b.user_biases()[u] == Approx(ref.bu[u]).epsilon(1e-12));
            for (std::size_t i = 0; i < m.cols(); ++i) CHECK(b.item_biases()[i] == Approx(ref.bi[i]).epsilon(1e-12));
        }
    }

    // Users and items without ratings keep bias 0.
    tessera::bias_baseline b;
    b.fit(m);
    CHECK(b.user_biases()[0] == 0.0);
    CHECK(b.user_biases()[5] == 0.0);
    CHECK(b.item_biases()[m.cols() - 1] == 0.0);

    // Each round minimizes the regularized squared error over one set of biases, so the
    // objective never increases from one round to the next.
    double previous = std::numeric_limits<double>::infinity();
    for (std::size_t iterations = 0; iterations <= 8; ++iterations) {
        tessera::bias_baseline r({.reg_user = 4, .reg_item = 2, .iterations = iterations});
        r.fit(m);
        const double f = objective(r, rs);
        CHECK(f <= previous * (1 + 1e-12));
        previous = f;
    }
}

TEST_CASE("bias_baseline beats the global mean on data with user and item biases") {
    const auto m = biased_ratings(400, 120, 5);
    const auto parts = tessera::split_interactions(m, {.test_fraction = 0.2, .seed = 3});
    tessera::bias_baseline b({.reg_user = 5, .reg_item = 5, .iterations = 15});
    b.fit(parts.train);
    const auto mine = tessera::evaluate_ratings(b, parts.test);
    const auto mean = tessera::evaluate_ratings(constant_predictor{b.global_mean(), m.rows(), m.cols()}, parts.test);
    CHECK(mine.count == parts.test.nnz());
    CHECK(mine.rmse < 0.75 * mean.rmse);
    CHECK(mine.mae < 0.75 * mean.mae);
    CHECK(mine.rmse < 0.6);  // the noise is 0.4; the biases add a little estimation error

    // The same numbers, computed here from predict.
    double sse = 0;
    for (const auto& x : ratings_of(parts.test)) sse += (x.r - b.predict(x.u, x.i)) * (x.r - b.predict(x.u, x.i));
    CHECK(mine.rmse == Approx(std::sqrt(sse / static_cast<double>(parts.test.nnz()))).epsilon(1e-12));
    // And the parallel evaluation does not change them.
    const auto two = tessera::evaluate_ratings(b, parts.test, {.n_threads = 2, .block_size = 9});
    CHECK(two.rmse == mine.rmse);
    CHECK(two.mae == mine.mae);
}

TEST_CASE("bias_baseline: bad input") {
    tessera::bias_baseline b;
    CHECK_THROWS_AS((void)b.predict(0, 0), tessera::not_fitted_error);
    CHECK_THROWS_WITH((void)b.predict(0, 0), doctest::Contains("tessera::bias_baseline::predict: the model is not fitted"));
    const char* fit = "bias_baseline::fit";
    const auto good = make_matrix(3, 4, {{0, 0, 4}, {1, 3, 2}, {2, 1, 5}});
    expect_error<tessera::invalid_argument>(fit, "ratings", [&] { b.fit(matrix()); });
    expect_error<tessera::invalid_argument>(fit, "ratings", [&] { b.fit(matrix(2, 0)); });
    expect_error<tessera::invalid_argument>(fit, "ratings", [&] { b.fit(matrix(2, 2)); });
    expect_error<tessera::invalid_argument>(fit, "ratings", [&] {
        b.fit(make_matrix(2, 2, {{0, 0, std::numeric_limits<double>::quiet_NaN()}}));
    });
    expect_error<tessera::invalid_argument>(fit, "ratings", [&] {
        b.fit(make_matrix(2, 2, {{1, 1, std::numeric_limits<double>::infinity()}}));
    });
    for (const double bad : {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        tessera::bias_baseline u({.reg_user = bad});
        expect_error<tessera::invalid_argument>(fit, "options.reg_user", [&] { u.fit(good); });
        tessera::bias_baseline i({.reg_item = bad});
        expect_error<tessera::invalid_argument>(fit, "options.reg_item", [&] { i.fit(good); });
    }
    CHECK_FALSE(b.fitted());

    b.fit(good);
    const double before = b.predict(2, 1);
    CHECK_THROWS_AS(b.fit(matrix(2, 2)), tessera::invalid_argument);
    b.set_options({.reg_user = -3});
    CHECK_THROWS_AS(b.fit(good), tessera::invalid_argument);
    CHECK(b.predict(2, 1) == before);  // fits that throw leave the model as it was
    CHECK(b.n_users() == 3);
    CHECK(b.n_items() == 4);

    const char* predict = "bias_baseline::predict";
    expect_error<tessera::invalid_argument>(predict, "user", [&] { (void)b.predict(3, 0); });
    expect_error<tessera::invalid_argument>(predict, "item", [&] { (void)b.predict(0, 4); });
}
