// Tests of tessera::als_recommender against independent references: the normal equations and
// objectives written out naively in double here, brute-force rankings, and identities between
// the solvers (CG with enough steps reaches the Cholesky solution).
#include <doctest/doctest.h>

#include <tessera/compose/roles.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/ratings.hpp>
#include <tessera/metrics/ranking.hpp>
#include <tessera/recommend/als.hpp>
#include <tessera/recommend/baselines.hpp>

#include "data_test_support.hpp"
#include "model_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory_resource>
#include <numeric>
#include <vector>

using tessera::als_feedback;
using tessera::als_options;
using tessera::als_recommender;
using tessera::als_solver;

namespace {

using csr = tessera::csr_matrix<double, std::int32_t>;

// users x items with a planted two-group structure and counts 1..5; every user and every item
// has at least one interaction.
csr synthetic(std::size_t users, std::size_t items, double density, std::uint64_t seed, bool ratings = false) {
    tessera::random_engine rng(seed);
    std::vector<tessera::triplet<double, std::int32_t>> t;
    for (std::size_t u = 0; u < users; ++u) {
        for (std::size_t i = 0; i < items; ++i) {
            const bool same_group = (u % 2) == (i % 2);
            const double p = same_group ? 2 * density : density / 2;
            if (rng.uniform01() < p || i == u % items || u == i % users) {
                const double v = ratings ? (same_group ? 4.0 : 2.0) + static_cast<double>(rng.below(2))
                                         : 1.0 + static_cast<double>(rng.below(5));
                t.push_back({static_cast<std::int32_t>(u), static_cast<std::int32_t>(i), v});
            }
        }
    }
    return csr::from_triplets(users, items, t);
}

double dense_value(const csr& m, std::size_t u, std::size_t i) {
    const auto row = m.row(u);
    for (std::size_t p = 0; p < row.size(); ++p) {
        if (static_cast<std::size_t>(row.indices[p]) == i) return row.values[p];
    }
    return 0;
}

template <class M>
double dot_uv(const M& model, std::size_t u, std::size_t i) {
    double s = 0;
    for (std::size_t f = 0; f < model.factors(); ++f) {
        s += static_cast<double>(model.user_factors()(u, f)) * static_cast<double>(model.item_factors()(i, f));
    }
    return s;
}

// The objective of als.hpp, over every (user, item) pair, in double.
template <class M>
double naive_loss(const M& model, const csr& m) {
    const auto& o = model.options();
    double loss = 0;
    for (std::size_t u = 0; u < m.rows(); ++u) {
        for (std::size_t i = 0; i < m.cols(); ++i) {
            const double r = dense_value(m, u, i);
            const double s = dot_uv(model, u, i);
            if (o.feedback == als_feedback::implicit) {
                const double c = 1 + o.alpha * std::abs(r);
                const double p = r > 0 ? 1 : 0;
                loss += c * (p - s) * (p - s);
            } else if (r != 0) {
                const double pred = static_cast<double>(model.predict(u, i));
                loss += (r - pred) * (r - pred);
            }
        }
    }
    const auto reg = [&](auto factors, std::size_t rows, auto count, auto bias) {
        double s = 0;
        for (std::size_t r = 0; r < rows; ++r) {
            double n2 = 0;
            for (std::size_t f = 0; f < model.factors(); ++f) n2 += static_cast<double>(factors(r, f)) * factors(r, f);
            if (o.feedback == als_feedback::implicit) {
                s += o.regularization * n2;
            } else {
                const double b = bias.empty() ? 0.0 : static_cast<double>(bias[r]);
                s += o.regularization * static_cast<double>(count(r)) * (n2 + b * b);
            }
        }
        return s;
    };
    const csr t = m.transpose();
    loss += reg(model.user_factors(), m.rows(), [&](std::size_t r) { return m.row(r).size(); }, model.user_biases());
    loss += reg(model.item_factors(), m.cols(), [&](std::size_t r) { return t.row(r).size(); }, model.item_biases());
    return loss;
}

// The largest entry of the gradient of the objective with respect to the item factors (the
// side fit solves last), relative to the largest factor: zero at an exact solve.
template <class M>
double item_gradient(const M& model, const csr& m) {
    const auto& o = model.options();
    double worst = 0, scale = 1;
    for (std::size_t i = 0; i < m.cols(); ++i) {
        for (std::size_t f = 0; f < model.factors(); ++f) {
            double g = 0;
            std::size_t n_i = 0;
            for (std::size_t u = 0; u < m.rows(); ++u) {
                const double r = dense_value(m, u, i);
                const double x = model.user_factors()(u, f);
                if (o.feedback == als_feedback::implicit) {
                    const double c = 1 + o.alpha * std::abs(r);
                    g += c * (dot_uv(model, u, i) - (r > 0 ? 1 : 0)) * x;
                } else if (r != 0) {
                    g += (static_cast<double>(model.predict(u, i)) - r) * x;
                    ++n_i;
                }
            }
            const double y = model.item_factors()(i, f);
            g += o.regularization * (o.feedback == als_feedback::implicit ? 1.0 : static_cast<double>(n_i)) * y;
            if (o.non_negative && y == 0 && g > 0) g = 0;  // at the bound: KKT allows a positive gradient
            worst = std::max(worst, std::abs(g));
            scale = std::max(scale, std::abs(y));
        }
    }
    return worst / scale;
}

als_options small(std::size_t factors = 6) {
    als_options o;
    o.factors = factors;
    o.regularization = 0.1;
    o.iterations = 8;
    o.seed = 7;
    return o;
}

}  // namespace

static_assert(tessera::recommender<als_recommender<float>>);
static_assert(tessera::recommender<als_recommender<double>>);

TEST_CASE("implicit: the exact solver solves the normal equations, and the loss is the objective") {
    const csr m = synthetic(30, 20, 0.15, 1);
    auto o = small();
    o.solver = als_solver::cholesky;
    std::vector<double> losses;
    als_recommender<double> model(o);
    model.fit(m, [&](const tessera::als_progress& p) {
        CHECK(p.iteration == losses.size() + 1);
        CHECK(p.seconds >= 0);
        losses.push_back(p.loss);
    });
    REQUIRE(losses.size() == o.iterations);
    CHECK(item_gradient(model, m) < 1e-9);
    CHECK(tessera_test::close(losses.back(), naive_loss(model, m), 1e-10));
    CHECK(tessera_test::close(model.loss(m), naive_loss(model, m), 1e-10));
    for (std::size_t i = 1; i < losses.size(); ++i) CHECK(losses[i] <= losses[i - 1] * (1 + 1e-12));
    CHECK(losses.back() < losses.front());
}

TEST_CASE("implicit: CG reaches the Cholesky solution as its steps grow") {
    const csr m = synthetic(40, 25, 0.2, 2);
    auto o = small(8);
    o.iterations = 1;
    o.solver = als_solver::cholesky;
    const auto exact = als_recommender<double>(o).fit(m);
    double previous = std::numeric_limits<double>::infinity();
    for (const std::size_t steps : {1u, 2u, 4u, 8u, 16u}) {
        o.solver = als_solver::conjugate_gradient;
        o.cg_steps = steps;
        const auto cg = als_recommender<double>(o).fit(m);
        double diff = 0;
        for (std::size_t u = 0; u < m.rows(); ++u) {
            for (std::size_t f = 0; f < o.factors; ++f) diff = std::max(diff, std::abs(cg.user_factors()(u, f) - exact.user_factors()(u, f)));
        }
        CAPTURE(steps);
        CHECK(diff <= previous * 1.01);
        previous = diff;
    }
    // CG solves a k x k system exactly in k steps (in exact arithmetic).
    CHECK(previous < 1e-8);
}

TEST_CASE("implicit CG: loss falls, and float follows double") {
    const csr m = synthetic(50, 30, 0.15, 3);
    auto o = small(8);
    o.iterations = 10;
    std::vector<double> lf, ld;
    als_recommender<float>(o).fit(m, [&](const tessera::als_progress& p) { lf.push_back(p.loss); });
    const auto md = als_recommender<double>(o).fit(m, [&](const tessera::als_progress& p) { ld.push_back(p.loss); });
    CHECK(ld.back() < ld.front());
    CHECK(tessera_test::close(lf.back(), ld.back(), 1e-3));
    CHECK(tessera_test::close(ld.back(), naive_loss(md, m), 1e-10));
}

TEST_CASE("the callback can stop training") {
    const csr m = synthetic(20, 15, 0.2, 4);
    als_recommender<float> model(small());
    model.fit(m, [](const tessera::als_progress& p) { return p.iteration < 3; });
    CHECK(model.n_iter() == 3);
}

TEST_CASE("negative feedback: a dislike pushes the score down") {
    csr m = synthetic(30, 20, 0.2, 5);
    auto o = small();
    o.solver = als_solver::cholesky;
    CHECK_THROWS_AS(als_recommender<double>(o).fit(csr::from_triplets(2, 2, std::vector<tessera::triplet<double, std::int32_t>>{{0, 0, 1.0}, {1, 1, -2.0}})),
                    tessera::invalid_argument);
    o.negative_feedback = true;
    auto with_dislike = m;
    // User 0 dislikes every item it has not interacted with in its own group.
    std::vector<tessera::triplet<double, std::int32_t>> t;
    for (std::size_t u = 0; u < m.rows(); ++u) {
        const auto row = m.row(u);
        for (std::size_t p = 0; p < row.size(); ++p) t.push_back({static_cast<std::int32_t>(u), row.indices[p], row.values[p]});
    }
    std::size_t disliked = 0;
    for (std::size_t i = 0; i < m.cols(); i += 2) {
        if (dense_value(m, 0, i) == 0) {
            t.push_back({0, static_cast<std::int32_t>(i), -5.0});
            disliked = i;
        }
    }
    with_dislike = csr::from_triplets(m.rows(), m.cols(), t);
    const auto plain = als_recommender<double>(o).fit(m);
    const auto neg = als_recommender<double>(o).fit(with_dislike);
    CHECK(neg.predict(0, disliked) < plain.predict(0, disliked));
    CHECK(item_gradient(neg, with_dislike) < 1e-9);
    CHECK(tessera_test::close(neg.loss(with_dislike), naive_loss(neg, with_dislike), 1e-10));
}

TEST_CASE("explicit ratings: exact solves, monotone loss, with and without biases and non-negativity") {
    const csr m = synthetic(40, 25, 0.2, 6, true);
    for (const bool biases : {false, true}) {
        for (const bool nonneg : {false, true}) {
            auto o = small(5);
            o.feedback = als_feedback::explicit_ratings;
            o.biases = biases;
            o.non_negative = nonneg;
            o.iterations = 12;
            std::vector<double> losses;
            als_recommender<double> model(o);
            model.fit(m, [&](const tessera::als_progress& p) { losses.push_back(p.loss); });
            CAPTURE(biases);
            CAPTURE(nonneg);
            for (std::size_t i = 1; i < losses.size(); ++i) CHECK(losses[i] <= losses[i - 1] * (1 + 1e-12));
            CHECK(tessera_test::close(losses.back(), naive_loss(model, m), 1e-10));
            CHECK(item_gradient(model, m) < (nonneg ? 1e-4 : 1e-9));
            if (nonneg) {
                for (std::size_t i = 0; i < model.n_items(); ++i)
                    for (std::size_t f = 0; f < o.factors; ++f) CHECK(model.item_factors()(i, f) >= 0);
            }
            CHECK(model.user_biases().size() == (biases ? m.rows() : 0));
            if (biases) {
                double mean = 0;
                for (const double v : m.values()) mean += v;
                CHECK(model.global_mean() == doctest::Approx(mean / static_cast<double>(m.nnz())));
            }
            // Training error well below the spread of the ratings.
            double sse = 0;
            for (std::size_t u = 0; u < m.rows(); ++u) {
                const auto row = m.row(u);
                for (std::size_t p = 0; p < row.size(); ++p) {
                    const double e = row.values[p] - model.predict(u, static_cast<std::size_t>(row.indices[p]));
                    sse += e * e;
                }
            }
            CHECK(std::sqrt(sse / static_cast<double>(m.nnz())) < 0.8);
        }
    }
}

TEST_CASE("results do not depend on the thread count") {
    const csr m = synthetic(300, 120, 0.05, 8);
    for (const auto solver : {als_solver::conjugate_gradient, als_solver::cholesky}) {
        auto o = small(16);
        o.solver = solver;
        o.parallel = {1, 0};
        std::vector<double> l1, l2;
        const auto a = als_recommender<float>(o).fit(m, [&](const tessera::als_progress& p) { l1.push_back(p.loss); });
        o.parallel = {2, 0};
        const auto b = als_recommender<float>(o).fit(m, [&](const tessera::als_progress& p) { l2.push_back(p.loss); });
        o.parallel = {3, 7};
        const auto c = als_recommender<float>(o).fit(m);
        CHECK(l1 == l2);
        for (std::size_t u = 0; u < m.rows(); ++u) {
            for (std::size_t f = 0; f < o.factors; ++f) {
                CHECK(a.user_factors()(u, f) == b.user_factors()(u, f));
                CHECK(a.user_factors()(u, f) == c.user_factors()(u, f));
            }
        }
        const auto ra = a.recommend_all(5, {true, {1, 0}});
        const auto rb = a.recommend_all(5, {true, {2, 0}});
        CHECK(tessera_test::same_tables(ra.items, rb.items));
        CHECK(tessera_test::same_tables(ra.scores, rb.scores));
    }
}

TEST_CASE("recommend: brute-force ranking, exclusion, filters, batches") {
    const csr m = synthetic(40, 30, 0.15, 9);
    const auto model = als_recommender<float>(small(8)).fit(m);
    for (std::size_t u = 0; u < m.rows(); ++u) {
        // Brute force: every unseen item by predict, best first, ties to the smaller index.
        std::vector<std::pair<float, std::size_t>> all;
        for (std::size_t i = 0; i < m.cols(); ++i) {
            if (dense_value(m, u, i) == 0) all.emplace_back(model.predict(u, i), i);
        }
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
        const auto got = model.recommend(u, 5);
        REQUIRE(got.size() == std::min<std::size_t>(5, all.size()));
        for (std::size_t j = 0; j < got.size(); ++j) {
            CHECK(got[j].item == all[j].second);
            CHECK(got[j].score == all[j].first);
        }
        // Without exclusion the seen items compete too.
        const auto incl = model.recommend(u, m.cols(), {.exclude_seen = false});
        CHECK(incl.size() == m.cols());
        // A filter that keeps odd items only.
        const auto odd = model.recommend(u, 3, [](std::size_t i) { return i % 2 == 1; });
        for (const auto& r : odd) CHECK(r.item % 2 == 1);
        const auto two_arg = model.recommend(u, 3, [u](std::size_t user, std::size_t i) { return user == u && i % 2 == 1; });
        CHECK(two_arg == odd);
    }
    // The batch path gives the same items and (up to rounding) the same scores.
    const auto batch = model.recommend_all(5);
    for (std::size_t u = 0; u < m.rows(); ++u) {
        const auto single = model.recommend(u, 5);
        for (std::size_t j = 0; j < 5; ++j) {
            if (j < single.size()) {
                CHECK(batch.items(u, j) == static_cast<std::int64_t>(single[j].item));
                CHECK(batch.scores(u, j) == doctest::Approx(single[j].score).epsilon(1e-5));
            } else {
                CHECK(batch.items(u, j) == tessera::no_item);
            }
        }
    }
    const std::vector<std::size_t> some{3, 1, 3};
    const auto sub = model.recommend(std::span<const std::size_t>(some), 4, [](std::size_t user, std::size_t i) { return (user + i) % 3 != 0; });
    for (std::size_t q = 0; q < some.size(); ++q) {
        const auto single = model.recommend(some[q], 4, [](std::size_t user, std::size_t i) { return (user + i) % 3 != 0; });
        for (std::size_t j = 0; j < single.size(); ++j) CHECK(sub.items(q, j) == static_cast<std::int64_t>(single[j].item));
    }
}

TEST_CASE("a user who has seen almost everything gets fewer recommendations, padded in batches") {
    std::vector<tessera::triplet<double, std::int32_t>> t;
    for (std::int32_t i = 0; i < 9; ++i) t.push_back({0, i, 1.0});
    t.push_back({1, 9, 2.0});
    t.push_back({2, 3, 1.0});
    const csr m = csr::from_triplets(3, 10, t);
    const auto model = als_recommender<float>(small(3)).fit(m);
    const auto r = model.recommend(0, 3);
    REQUIRE(r.size() == 1);
    CHECK(r[0].item == 9);
    const auto all = model.recommend_all(3);
    CHECK(all.items(0, 0) == 9);
    CHECK(all.items(0, 1) == tessera::no_item);
    CHECK(all.scores(0, 1) == -std::numeric_limits<float>::infinity());
}

TEST_CASE("explicit with biases: batch scores include the biases") {
    const csr m = synthetic(30, 20, 0.2, 10, true);
    auto o = small(4);
    o.feedback = als_feedback::explicit_ratings;
    o.biases = true;
    const auto model = als_recommender<double>(o).fit(m);
    const auto batch = model.recommend_all(3);
    for (std::size_t u = 0; u < m.rows(); ++u) {
        const auto single = model.recommend(u, 3);
        for (std::size_t j = 0; j < single.size(); ++j) {
            CHECK(batch.items(u, j) == static_cast<std::int64_t>(single[j].item));
            CHECK(batch.scores(u, j) == doctest::Approx(single[j].score).epsilon(1e-9));
            CHECK(single[j].score == doctest::Approx(model.predict(u, single[j].item)).epsilon(1e-12));
        }
    }
}

TEST_CASE("similar items and users by cosine") {
    const csr m = synthetic(40, 30, 0.15, 11);
    const auto model = als_recommender<double>(small(8)).fit(m);
    const auto cosine = [](auto f, std::size_t a, std::size_t b, std::size_t k) {
        double ab = 0, aa = 0, bb = 0;
        for (std::size_t j = 0; j < k; ++j) {
            ab += f(a, j) * f(b, j);
            aa += f(a, j) * f(a, j);
            bb += f(b, j) * f(b, j);
        }
        return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
    };
    for (std::size_t i = 0; i < m.cols(); ++i) {
        std::vector<std::pair<double, std::size_t>> all;
        for (std::size_t j = 0; j < m.cols(); ++j) {
            if (j != i) all.emplace_back(cosine(model.item_factors(), i, j, 8), j);
        }
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        const auto got = model.similar_items(i, 4);
        REQUIRE(got.size() == 4);
        for (std::size_t j = 0; j < 4; ++j) {
            CHECK(got[j].item != i);
            CHECK(got[j].score == doctest::Approx(all[j].first).epsilon(1e-9));
        }
    }
    const auto users = model.similar_users(0, 3);
    REQUIRE(users.size() == 3);
    CHECK(users[0].score == doctest::Approx(cosine(model.user_factors(), 0, users[0].item, 8)));
    CHECK(users[0].score >= users[1].score);
    CHECK_THROWS_AS((void)model.similar_items(0, m.cols()), tessera::invalid_argument);
    CHECK_THROWS_AS((void)model.similar_items(m.cols(), 1), tessera::invalid_argument);
}

TEST_CASE("fold-in solves the user's normal equations; partial updates use it") {
    const csr m = synthetic(30, 20, 0.2, 12);
    auto o = small(6);
    o.solver = als_solver::cholesky;
    auto model = als_recommender<double>(o).fit(m);
    // A new user who likes items 1, 3 and 5.
    const std::vector<std::int32_t> items{5, 1, 3};
    const std::vector<double> values{2, 1, 4};
    const auto profile = model.recalculate_user(std::span<const std::int32_t>(items), std::span<const double>(values));
    REQUIRE(profile.factors.size() == o.factors);
    CHECK(profile.items == std::vector<std::size_t>{1, 3, 5});
    // Gradient of that user's objective, naively.
    for (std::size_t f = 0; f < o.factors; ++f) {
        double g = o.regularization * profile.factors[f];
        for (std::size_t i = 0; i < m.cols(); ++i) {
            double r = 0;
            for (std::size_t j = 0; j < items.size(); ++j) {
                if (static_cast<std::size_t>(items[j]) == i) r = values[j];
            }
            double s = 0;
            for (std::size_t h = 0; h < o.factors; ++h) s += profile.factors[h] * model.item_factors()(i, h);
            g += (1 + o.alpha * r) * (s - (r > 0 ? 1 : 0)) * model.item_factors()(i, f);
        }
        CHECK(std::abs(g) < 1e-9);
    }
    const auto recs = model.recommend(profile, 5);
    for (const auto& r : recs) CHECK((r.item != 1 && r.item != 3 && r.item != 5));

    // partial_fit_users appends that user with the same factors.
    csr row = csr::from_triplets(1, m.cols(), std::vector<tessera::triplet<double, std::int32_t>>{{0, 5, 2.0}, {0, 1, 1.0}, {0, 3, 4.0}});
    const std::vector<std::size_t> ids{m.rows()};
    model.partial_fit_users(std::span<const std::size_t>(ids), row);
    REQUIRE(model.n_users() == m.rows() + 1);
    for (std::size_t f = 0; f < o.factors; ++f) CHECK(model.user_factors()(m.rows(), f) == doctest::Approx(profile.factors[f]).epsilon(1e-12));
    CHECK(model.seen_items(m.rows()).size() == 3);
    CHECK(model.recommend(m.rows(), 5) == recs);

    // Bad partial updates change nothing.
    const std::vector<std::size_t> gap{m.rows() + 5};
    CHECK_THROWS_AS(model.partial_fit_users(std::span<const std::size_t>(gap), row), tessera::invalid_argument);
    const std::vector<std::size_t> twice{0, 0};
    CHECK_THROWS_AS(model.partial_fit_users(std::span<const std::size_t>(twice), row), tessera::dimension_mismatch);
    CHECK(model.n_users() == m.rows() + 1);

    // partial_fit_items: item 0 is now liked by users 0 and 1 only.
    const csr item_row = csr::from_triplets(1, model.n_users(), std::vector<tessera::triplet<double, std::int32_t>>{{0, 0, 3.0}, {0, 1, 1.0}});
    const std::vector<std::size_t> item_ids{0};
    model.partial_fit_items(std::span<const std::size_t>(item_ids), item_row);
    CHECK(std::binary_search(model.seen_items(0).begin(), model.seen_items(0).end(), 0u));
    CHECK(std::binary_search(model.seen_items(1).begin(), model.seen_items(1).end(), 0u));
    for (std::size_t u = 2; u < model.n_users(); ++u) CHECK(!std::binary_search(model.seen_items(u).begin(), model.seen_items(u).end(), 0u));

    // Fold-in errors.
    const std::vector<std::int32_t> unknown{1, 99};
    const std::vector<double> two{1, 1};
    CHECK_THROWS_AS((void)model.recalculate_user(std::span<const std::int32_t>(unknown), std::span<const double>(two)), tessera::invalid_argument);
    const std::vector<std::int32_t> repeated{1, 1};
    CHECK_THROWS_AS((void)model.recalculate_user(std::span<const std::int32_t>(repeated), std::span<const double>(two)), tessera::invalid_argument);
    const std::vector<double> one{1};
    CHECK_THROWS_AS((void)model.recalculate_user(std::span<const std::int32_t>(items), std::span<const double>(one)), tessera::dimension_mismatch);
}

TEST_CASE("save and load") {
    const csr m = synthetic(25, 18, 0.2, 13, true);
    auto o = small(5);
    o.feedback = als_feedback::explicit_ratings;
    o.biases = true;
    const auto model = als_recommender<float>(o).fit(m);
    const auto bytes = tessera_test::archive_bytes(model);
    const auto back = tessera_test::from_bytes<als_recommender<float>>(bytes);
    CHECK(back.n_users() == model.n_users());
    CHECK(back.n_iter() == model.n_iter());
    for (std::size_t u = 0; u < m.rows(); ++u) {
        CHECK(back.recommend(u, 4) == model.recommend(u, 4));
        CHECK(back.predict(u, 0) == model.predict(u, 0));
    }
    const auto path = std::filesystem::temp_directory_path() / "tessera_test_als.bin";
    model.save(path);
    const auto loaded = als_recommender<float>::load(path);
    CHECK(loaded.similar_items(2, 3) == model.similar_items(2, 3));
    std::filesystem::remove(path);
    // Another element type, a flipped byte, a truncation.
    CHECK_THROWS_AS((void)tessera_test::from_bytes<als_recommender<double>>(bytes), tessera::format_error);
    auto bad = bytes;
    bad[bad.size() / 2] ^= std::byte{0x40};
    CHECK_THROWS_AS((void)tessera_test::from_bytes<als_recommender<float>>(bad), tessera::format_error);
    bad = bytes;
    bad.resize(bytes.size() - 3);
    CHECK_THROWS_AS((void)tessera_test::from_bytes<als_recommender<float>>(bad), tessera::format_error);
    CHECK_THROWS_AS(als_recommender<float>().save(path), tessera::not_fitted_error);
}

TEST_CASE("polymorphic allocators hold the model") {
    std::pmr::monotonic_buffer_resource arena;
    using A = std::pmr::polymorphic_allocator<float>;
    const csr m = synthetic(20, 12, 0.2, 14);
    als_recommender<float, A> model(small(4), A(&arena));
    model.fit(m);
    const als_recommender<float> plain = als_recommender<float>(small(4)).fit(m);
    CHECK(model.recommend(3, 4) == plain.recommend(3, 4));
    CHECK(model.get_allocator().resource() == &arena);
}

TEST_CASE("bad input and misuse") {
    const csr m = synthetic(10, 8, 0.3, 15);
    const auto fit_with = [&](auto change) {
        auto o = small(3);
        change(o);
        als_recommender<float> model(o);
        model.fit(m);
    };
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.factors = 0; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.regularization = 0; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.regularization = std::nan(""); }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.iterations = 0; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.cg_steps = 0; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.alpha = -1; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.biases = true; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.non_negative = true; }), tessera::invalid_argument);
    CHECK_THROWS_AS(fit_with([](als_options& o) { o.parallel.n_threads = -2; }), tessera::invalid_argument);

    als_recommender<float> model(small(3));
    CHECK_THROWS_AS(model.fit(csr(0, 5)), tessera::invalid_argument);
    CHECK_THROWS_AS(model.fit(csr(4, 5)), tessera::invalid_argument);
    auto with_nan = m;
    with_nan.values()[2] = std::nan("");
    CHECK_THROWS_AS(model.fit(with_nan), tessera::invalid_argument);
    auto negative = m;
    negative.values()[1] = -1;
    try {
        model.fit(negative);
        FAIL("a negative confidence was accepted");
    } catch (const tessera::invalid_argument& e) {
        CHECK(std::string(e.what()).find("negative confidence") != std::string::npos);
    }
    CHECK(!model.fitted());
    CHECK_THROWS_AS((void)model.recommend(0, 1), tessera::not_fitted_error);

    model.fit(m);
    CHECK_THROWS_AS((void)model.recommend(10, 1), tessera::invalid_argument);
    CHECK_THROWS_AS((void)model.recommend(0, 0), tessera::invalid_argument);
    CHECK_THROWS_AS((void)model.recommend(0, 9), tessera::invalid_argument);
    CHECK_THROWS_AS((void)model.predict(0, 8), tessera::invalid_argument);
    const std::vector<std::size_t> bad_users{0, 10};
    CHECK_THROWS_AS((void)model.recommend(std::span<const std::size_t>(bad_users), 2), tessera::invalid_argument);
    // A failed fit leaves the fitted model as it was.
    const auto before = model.recommend(0, 3);
    CHECK_THROWS_AS(model.fit(with_nan), tessera::invalid_argument);
    CHECK(model.recommend(0, 3) == before);
    CHECK_THROWS_AS((void)model.loss(csr::from_triplets(3, 3, std::vector<tessera::triplet<double, std::int32_t>>{{0, 0, 1.0}})),
                    tessera::dimension_mismatch);
}

TEST_CASE("the portable kernels and the vector kernels agree") {
    const csr m = synthetic(60, 35, 0.15, 16);
    for (const auto solver : {als_solver::conjugate_gradient, als_solver::cholesky}) {
        auto o = small(13);  // not a multiple of the vector width: padded rows
        o.solver = solver;
        const auto best = als_recommender<double>(o).fit(m);
        tessera::simd::scoped_level scalar(tessera::simd::level::scalar);
        const auto portable = als_recommender<double>(o).fit(m);
        double diff = 0;
        for (std::size_t u = 0; u < m.rows(); ++u)
            for (std::size_t f = 0; f < o.factors; ++f) diff = std::max(diff, std::abs(best.user_factors()(u, f) - portable.user_factors()(u, f)));
        CHECK(diff < 1e-7);  // the two sum in different orders, over 8 sweeps
        CHECK(item_gradient(portable, m) < (solver == als_solver::cholesky ? 1e-9 : 1.0));
    }
}

TEST_CASE("goodbooks-10k subset: implicit ALS beats popularity by a wide margin on held-out books") {
    const auto dir = tessera_test::data_dir("goodbooks-10k ALS test");
    if (!dir || !tessera_test::gzip_available("goodbooks-10k ALS test")) return;
    const auto data = tessera::read_ratings<float>(tessera_test::need(*dir / "goodbooks-10k" / "ratings_users5pct.csv.gz"));
    REQUIRE(data.matrix.nnz() == 298176);
    const auto split = tessera::split_interactions(data.matrix, {.test_fraction = 0.2, .seed = 42});
    als_options o;
    o.factors = 32;
    o.regularization = 0.05;
    o.alpha = 2;
    o.iterations = 8;
    const auto model = als_recommender<float>(o).fit(split.train);
    tessera::popularity_recommender popular;
    popular.fit(split.train);
    const auto als = tessera::evaluate_ranking(model, split.test, 10, {.auc = false});
    const auto pop = tessera::evaluate_ranking(popular, split.test, 10, {.auc = false});
    MESSAGE("precision@10 ALS " << als.precision << ", popularity " << pop.precision << "; NDCG@10 " << als.ndcg
                                << " vs " << pop.ndcg);
    CHECK(als.precision > 2 * pop.precision);
    CHECK(als.ndcg > 2 * pop.ndcg);
}
