// cross_validate and grid_search against fold-by-fold loops written here, thread-count
// invariance, exceptions from inside folds, options_grid order, and every bad-input path.
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/metrics/classification.hpp>
#include <tessera/model_selection/cross_validate.hpp>
#include <tessera/model_selection/folds.hpp>
#include <tessera/model_selection/grid_search.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/naive_bayes/multinomial_nb.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using doctest::Contains;
using rows_t = std::vector<std::vector<double>>;
using nb_t = tessera::gaussian_nb<int, double>;
using lr_t = tessera::logistic_regression<int, double>;

struct blobs {
    rows_t x;
    std::vector<int> y;
};

// Three overlapping Gaussian classes in d dimensions (class c centred at c * spread in every
// feature), rows in random class order, so that accuracies lie well inside (0, 1).
blobs make_blobs(std::size_t n, std::size_t d, std::uint64_t seed, double spread = 1.0) {
    tessera::random_engine rng(seed);
    blobs b;
    for (std::size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(rng.below(3));
        std::vector<double> row(d);
        for (auto& v : row) v = spread * c + rng.normal(0.0, 1.0);
        b.x.push_back(row);
        b.y.push_back(c);
    }
    return b;
}

// The fold-by-fold loop cross_validate stands for: a fresh copy per fold, fitted on the
// training rows and scored on the test rows.
template <class Model, class X, class Y>
std::vector<double> loop_scores(const Model& prototype, const X& x, const Y& y,
                                const std::vector<tessera::train_test_indices>& folds, bool on_train = false) {
    std::vector<double> out;
    for (const auto& f : folds) {
        Model m = prototype;
        const auto xt = tessera::take_rows(x, f.train);
        const auto yt = tessera::take(y, f.train);
        m.fit(xt, yt);
        out.push_back(on_train ? m.score(xt, yt) : m.score(tessera::take_rows(x, f.test), tessera::take(y, f.test)));
    }
    return out;
}

double mean_of(const std::vector<double>& v) {
    double s = 0;
    for (const double e : v) s += e;
    return s / static_cast<double>(v.size());
}

double std_of(const std::vector<double>& v) {
    const double m = mean_of(v);
    double s = 0;
    for (const double e : v) s += (e - m) * (e - m);
    return std::sqrt(s / static_cast<double>(v.size()));
}

// A classifier that fails, with the lowest missing row in the message, when its training rows
// (identified by column 0, which holds the row number) leave out a row numbered `fail_from` or
// more; the fold that tests rows 4f..4f+3 of k_fold(20, 5) thus fails for f >= fail_from / 4.
struct picky_model {
    std::size_t fail_from = 20;
    void fit(const tessera::dense_matrix<double>& x, const std::vector<int>& /*y*/) {
        std::vector<bool> present(20, false);
        for (std::size_t i = 0; i < x.rows(); ++i) present[static_cast<std::size_t>(x(i, 0))] = true;
        for (std::size_t r = 0; r < present.size(); ++r) {
            if (!present[r]) {
                if (r >= fail_from) throw tessera::numerical_error("missing row " + std::to_string(r));
                return;
            }
        }
    }
    [[nodiscard]] double score(const tessera::dense_matrix<double>& x, const std::vector<int>& /*y*/) const {
        return static_cast<double>(x(0, 0));
    }
};

struct toy_options {
    double a = 0.5;
    int b = -1;
    std::string c = "base";
};

}  // namespace

TEST_CASE("cross_validate equals fitting and scoring fold by fold") {
    const auto data = make_blobs(90, 3, 1);
    const auto folds = tessera::stratified_k_fold(data.y, {.n_splits = 5, .shuffle = true, .seed = 3});
    const nb_t nb;
    const auto cv = tessera::cross_validate(nb, data.x, data.y, folds, {.return_train_score = true});
    const auto expected = loop_scores(nb, data.x, data.y, folds);
    CHECK(cv.test_score == expected);
    CHECK(cv.train_score == loop_scores(nb, data.x, data.y, folds, true));
    CHECK(cv.mean_test_score == doctest::Approx(mean_of(expected)).epsilon(1e-15));
    CHECK(cv.std_test_score == doctest::Approx(std_of(expected)).epsilon(1e-12));
    CHECK(cv.std_test_score > 0);
    REQUIRE(cv.fit_seconds.size() == 5);
    REQUIRE(cv.score_seconds.size() == 5);
    for (std::size_t f = 0; f < 5; ++f) {
        CHECK(cv.fit_seconds[f] >= 0);
        CHECK(cv.score_seconds[f] >= 0);
        CHECK(cv.test_score[f] > 0.3);  // far better than nothing, far from perfect
        CHECK(cv.test_score[f] < 1.0);
    }
    // No training scores unless asked.
    CHECK(tessera::cross_validate(nb, data.x, data.y, folds).train_score.empty());

    // A logistic regression over a dense_matrix (a matrix_like input), with plain k-fold folds.
    const auto xm = tessera::take_rows(data.x, tessera::k_fold(90, {.n_splits = 2})[0].train);  // rows 45..89
    const auto ym = tessera::take(data.y, tessera::k_fold(90, {.n_splits = 2})[0].train);
    const lr_t lr({.C = 0.3});
    const auto f3 = tessera::k_fold(xm.rows(), {.n_splits = 3});
    CHECK(tessera::cross_validate(lr, xm, ym, f3).test_score == loop_scores(lr, xm, ym, f3));
}

TEST_CASE("cross_validate with a scorer of the caller's") {
    const auto data = make_blobs(60, 2, 2);
    const auto folds = tessera::k_fold(60, {.n_splits = 4, .shuffle = true, .seed = 8});
    const nb_t nb;
    const auto macro_f1 = [](const nb_t& m, const tessera::dense_matrix<double>& x, const std::vector<int>& y) {
        return tessera::f1_score(y, m.predict(x), {.average = tessera::averaging::macro});
    };
    const auto cv = tessera::cross_validate(nb, data.x, data.y, folds, macro_f1);
    for (std::size_t f = 0; f < folds.size(); ++f) {
        nb_t m;
        m.fit(tessera::take_rows(data.x, folds[f].train), tessera::take(data.y, folds[f].train));
        const auto y_test = tessera::take(data.y, folds[f].test);
        const auto pred = m.predict(tessera::take_rows(data.x, folds[f].test));
        CHECK(cv.test_score[f] == tessera::f1_score(y_test, pred, {.average = tessera::averaging::macro}));
    }
    // The scorer sees a fitted model and exactly the test rows.
    const auto rows_seen = tessera::cross_validate(
        nb, data.x, data.y, folds, [](const nb_t& m, const auto& x, const auto& y) {
            return m.n_classes() == 3 && x.rows() == y.size() ? static_cast<double>(x.rows()) : -1.0;
        });
    for (std::size_t f = 0; f < folds.size(); ++f) CHECK(rows_seen.test_score[f] == static_cast<double>(folds[f].test.size()));
}

TEST_CASE("cross_validate on CSR rows") {
    // Word counts: class c favours features 2c and 2c + 1.
    tessera::random_engine rng(4);
    std::vector<tessera::triplet<double>> entries;
    std::vector<int> y;
    for (int i = 0; i < 48; ++i) {
        const int c = static_cast<int>(rng.below(3));
        y.push_back(c);
        for (int j = 0; j < 6; ++j) {
            const auto count = rng.below(j / 2 == c ? 5 : 3);
            if (count > 0) entries.push_back({i, j, static_cast<double>(count)});
        }
    }
    const auto x = tessera::csr_matrix<double>::from_triplets(48, 6, entries);
    using mnb_t = tessera::multinomial_nb<int, double>;
    const mnb_t mnb;
    const auto folds = tessera::stratified_k_fold(y, {.n_splits = 4});
    const auto cv = tessera::cross_validate(mnb, x, y, folds);
    CHECK(cv.test_score == loop_scores(mnb, x, y, folds));
    CHECK(tessera::cross_validate(mnb, x.view(), y, folds).test_score == cv.test_score);
}

TEST_CASE("cross_validate: the same scores for any thread count") {
    const auto data = make_blobs(80, 3, 5, 0.7);
    const auto folds = tessera::stratified_k_fold(data.y, {.n_splits = 5, .shuffle = true, .seed = 1});
    const lr_t lr({.C = 2.0});
    const auto one = tessera::cross_validate(lr, data.x, data.y, folds, {.return_train_score = true, .parallel = {.n_threads = 1}});
    const auto two = tessera::cross_validate(lr, data.x, data.y, folds, {.return_train_score = true, .parallel = {.n_threads = 2}});
    const auto all = tessera::cross_validate(lr, data.x, data.y, folds, {.return_train_score = true, .parallel = {.n_threads = 0, .block_size = 2}});
    CHECK(one.test_score == two.test_score);
    CHECK(one.train_score == two.train_score);
    CHECK(one.test_score == all.test_score);
    CHECK(one.mean_test_score == two.mean_test_score);
    CHECK(one.std_test_score == two.std_test_score);
    CHECK(one.test_score == loop_scores(lr, data.x, data.y, folds));
}

TEST_CASE("cross_validate: an exception inside a fold reaches the caller") {
    rows_t x;
    std::vector<int> y;
    for (int i = 0; i < 20; ++i) {
        x.push_back({static_cast<double>(i)});
        y.push_back(i % 2);
    }
    const auto folds = tessera::k_fold(20, {.n_splits = 5});
    for (const int threads : {1, 2, 0}) {
        CAPTURE(threads);
        const tessera::cross_validate_options opt{.parallel = {.n_threads = threads}};
        // Only the last fold (test rows 16..19) fails.
        CHECK_THROWS_WITH_AS((void)tessera::cross_validate(picky_model{16}, x, y, folds, opt), "missing row 16",
                             tessera::numerical_error);
        // Folds 2, 3 and 4 fail: the lowest one's exception is the one reported.
        CHECK_THROWS_WITH_AS((void)tessera::cross_validate(picky_model{8}, x, y, folds, opt), "missing row 8",
                             tessera::numerical_error);
        // A scorer that throws, in one fold.
        const auto bad_scorer = [](const picky_model&, const tessera::dense_matrix<double>& xt, const std::vector<int>&) {
            if (xt(0, 0) == 12) throw std::domain_error("fold 3");
            return 1.0;
        };
        CHECK_THROWS_WITH_AS((void)tessera::cross_validate(picky_model{}, x, y, folds, bad_scorer, opt), "fold 3",
                             std::domain_error);
        // Without failures, the scores say which fold ran where.
        const auto ok = tessera::cross_validate(picky_model{}, x, y, folds, opt);
        CHECK(ok.test_score == std::vector<double>{0, 4, 8, 12, 16});
    }
    // The model's own error from a fold, e.g. a single class in the training rows.
    const std::vector<int> one_class_then_other{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(lr_t{}, x, one_class_then_other, tessera::k_fold(20, {.n_splits = 2})),
                         Contains("single class"), tessera::invalid_argument);
}

TEST_CASE("cross_validate: bad input") {
    const auto data = make_blobs(12, 2, 6);
    const nb_t nb;
    const auto folds = tessera::k_fold(12, {.n_splits = 3});
    using tessera::invalid_argument;
    const std::vector<tessera::train_test_indices> none;
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(nb, data.x, data.y, none),
                         Contains("cross_validate: argument 'folds': is empty"), invalid_argument);
    auto no_test = folds;
    no_test[1].test.clear();
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(nb, data.x, data.y, no_test), Contains("fold 1 has no test rows"),
                         invalid_argument);
    auto no_train = folds;
    no_train[2].train.clear();
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(nb, data.x, data.y, no_train), Contains("fold 2 has no training rows"),
                         invalid_argument);
    auto out_of_range = folds;
    out_of_range[0].test.push_back(12);
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(nb, data.x, data.y, out_of_range),
                         Contains("fold 0 names row 12 but x has 12 rows"), invalid_argument);
    auto short_y = data.y;
    short_y.pop_back();
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(nb, data.x, short_y, folds), Contains("argument 'y'"),
                         tessera::dimension_mismatch);
    auto ragged = data.x;
    ragged[3].push_back(1.0);
    CHECK_THROWS_AS((void)tessera::cross_validate(nb, ragged, data.y, folds), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::cross_validate(nb, data.x, data.y, folds, {.parallel = {.n_threads = -1}}),
                         Contains("cross_validate: argument 'options.parallel.n_threads'"), invalid_argument);
}

TEST_CASE("options_grid: cartesian product, the last member added varies fastest") {
    const auto grid = tessera::options_grid<toy_options>({.a = 9.0, .b = 9, .c = "kept"})
                          .add(&toy_options::a, {1.0, 2.0})
                          .add(&toy_options::b, {10, 20, 30});
    REQUIRE(grid.size() == 6);
    const auto cands = grid.expand();
    REQUIRE(cands.size() == 6);
    std::size_t i = 0;
    for (const double a : {1.0, 2.0}) {
        for (const int b : {10, 20, 30}) {
            CHECK(cands[i].a == a);
            CHECK(cands[i].b == b);
            CHECK(cands[i].c == "kept");
            ++i;
        }
    }
    // Three members, added on an lvalue grid.
    tessera::options_grid<toy_options> g3;
    g3.add(&toy_options::c, {"x", "y"}).add(&toy_options::a, {0.0}).add(&toy_options::b, {1, 2});
    const auto c3 = g3.expand();
    REQUIRE(c3.size() == 4);
    CHECK((c3[0].c == "x" && c3[0].b == 1));
    CHECK((c3[1].c == "x" && c3[1].b == 2));
    CHECK((c3[2].c == "y" && c3[2].b == 1));
    CHECK((c3[3].c == "y" && c3[3].b == 2 && c3[3].a == 0.0));
    // No member: the base alone.
    const auto base_only = tessera::options_grid<toy_options>().expand();
    REQUIRE(base_only.size() == 1);
    CHECK(base_only[0].b == -1);

    using tessera::invalid_argument;
    tessera::options_grid<toy_options> bad;
    CHECK_THROWS_WITH_AS(bad.add(&toy_options::a, {}), Contains("options_grid::add: argument 'values': is empty"),
                         invalid_argument);
    bad.add(&toy_options::b, {1, 2});
    CHECK_THROWS_WITH_AS(bad.add(&toy_options::b, {3}), Contains("already added"), invalid_argument);
    CHECK(bad.size() == 2);
}

TEST_CASE("grid_search equals cross-validating each candidate; best is the first argmax") {
    const auto data = make_blobs(60, 2, 7, 0.8);
    const auto folds = tessera::stratified_k_fold(data.y, {.n_splits = 3, .shuffle = true, .seed = 2});
    const auto grid = tessera::options_grid<tessera::gaussian_nb_options>().add(&tessera::gaussian_nb_options::var_smoothing,
                                                                                {1e-9, 0.5, 3.0, 30.0});
    const auto gs = tessera::grid_search<nb_t>(grid, data.x, data.y, folds);
    const auto cands = grid.expand();
    REQUIRE(gs.candidates.size() == 4);
    REQUIRE(gs.fold_scores.size() == 4);
    std::size_t best = 0;
    std::vector<double> means;
    for (std::size_t c = 0; c < cands.size(); ++c) {
        CHECK(gs.candidates[c].var_smoothing == cands[c].var_smoothing);
        const auto expected = loop_scores(nb_t(cands[c]), data.x, data.y, folds);
        CHECK(gs.fold_scores[c] == expected);
        means.push_back(mean_of(expected));
        CHECK(gs.mean_test_score[c] == doctest::Approx(means[c]).epsilon(1e-15));
        CHECK(gs.std_test_score[c] == doctest::Approx(std_of(expected)).epsilon(1e-12));
        if (means[c] > means[best]) best = c;
    }
    CHECK(gs.best_index == best);
    CHECK(gs.best_score == gs.mean_test_score[best]);
    CHECK(gs.best_options.var_smoothing == cands[best].var_smoothing);
    // The candidates must not all score the same, or the argmax would say nothing.
    CHECK(*std::max_element(means.begin(), means.end()) > *std::min_element(means.begin(), means.end()));
    // Refit: the best candidate on all rows.
    REQUIRE(gs.best_model.has_value());
    nb_t refit(cands[best]);
    refit.fit(data.x, data.y);
    CHECK(gs.best_model->predict(data.x) == refit.predict(data.x));
    CHECK(gs.best_model->epsilon() == refit.epsilon());
    CHECK(gs.refit_seconds >= 0);

    // Ties go to the first candidate: the same options three times.
    const std::vector<tessera::gaussian_nb_options> same(3);
    const auto tie = tessera::grid_search<nb_t>(same, data.x, data.y, folds, {.refit = false});
    CHECK(tie.mean_test_score[0] == tie.mean_test_score[2]);
    CHECK(tie.best_index == 0);
    CHECK(!tie.best_model.has_value());
}

TEST_CASE("grid_search with a factory, a scorer, logistic regression, and any thread count") {
    const auto data = make_blobs(45, 2, 9, 0.6);
    const auto folds = tessera::k_fold(45, {.n_splits = 3, .shuffle = true, .seed = 4});
    using opts = tessera::logistic_regression_options;
    const auto grid = tessera::options_grid<opts>({.max_iter = 50})
                          .add(&opts::C, {0.01, 1.0})
                          .add(&opts::penalty, {tessera::logistic_penalty::l2, tessera::logistic_penalty::l1});
    const auto factory = [](const opts& o) { return lr_t(o); };
    const auto macro_f1 = [](const lr_t& m, const tessera::dense_matrix<double>& x, const std::vector<int>& y) {
        return tessera::f1_score(y, m.predict(x), {.average = tessera::averaging::macro});
    };
    const auto one = tessera::grid_search(grid, factory, data.x, data.y, folds, macro_f1, {.parallel = {.n_threads = 1}});
    const auto three = tessera::grid_search(grid, factory, data.x, data.y, folds, macro_f1, {.parallel = {.n_threads = 3}});
    CHECK(one.fold_scores == three.fold_scores);
    CHECK(one.mean_test_score == three.mean_test_score);
    CHECK(one.std_test_score == three.std_test_score);
    CHECK(one.best_index == three.best_index);
    const auto cands = grid.expand();
    REQUIRE(cands.size() == 4);
    CHECK(cands[1].penalty == tessera::logistic_penalty::l1);
    CHECK(cands[2].C == 1.0);
    for (std::size_t c = 0; c < cands.size(); ++c) {
        CHECK(one.candidates[c].C == cands[c].C);
        CHECK(one.candidates[c].max_iter == 50);
        for (std::size_t f = 0; f < folds.size(); ++f) {
            lr_t m(cands[c]);
            m.fit(tessera::take_rows(data.x, folds[f].train), tessera::take(data.y, folds[f].train));
            const auto y_test = tessera::take(data.y, folds[f].test);
            CHECK(one.fold_scores[c][f] ==
                  tessera::f1_score(y_test, m.predict(tessera::take_rows(data.x, folds[f].test)),
                                    {.average = tessera::averaging::macro}));
        }
    }
    // The default scorer through the factory overload is the models' accuracy.
    const auto acc = tessera::grid_search(grid, factory, data.x, data.y, folds, {.refit = false});
    for (std::size_t c = 0; c < cands.size(); ++c) CHECK(acc.fold_scores[c] == loop_scores(lr_t(cands[c]), data.x, data.y, folds));
    // A vector of candidates and the Model overload with a scorer.
    const auto by_type = tessera::grid_search<lr_t>(cands, data.x, data.y, folds, macro_f1, {.refit = false});
    CHECK(by_type.fold_scores == one.fold_scores);
}

TEST_CASE("grid_search: exceptions and bad input") {
    const auto data = make_blobs(30, 2, 10);
    const auto folds = tessera::k_fold(30, {.n_splits = 3});
    using opts = tessera::logistic_regression_options;
    // An invalid candidate makes its fits throw; the error reaches the caller for any thread count.
    const auto grid = tessera::options_grid<opts>().add(&opts::C, {1.0, -1.0, 2.0});
    for (const int threads : {1, 2}) {
        CHECK_THROWS_WITH_AS((void)tessera::grid_search<lr_t>(grid, data.x, data.y, folds, {.parallel = {.n_threads = threads}}),
                             Contains("options.C"), tessera::invalid_argument);
    }
    // A factory that throws.
    const auto failing_factory = [](const opts& o) {
        if (o.C > 1.5) throw std::length_error("no model for this C");
        return lr_t(o);
    };
    CHECK_THROWS_WITH_AS((void)tessera::grid_search(tessera::options_grid<opts>().add(&opts::C, {1.0, 2.0}), failing_factory,
                                                    data.x, data.y, folds, {.parallel = {.n_threads = 2}}),
                         "no model for this C", std::length_error);

    using tessera::invalid_argument;
    const std::vector<opts> empty;
    CHECK_THROWS_WITH_AS((void)tessera::grid_search<lr_t>(empty, data.x, data.y, folds),
                         Contains("grid_search: argument 'candidates': is empty"), invalid_argument);
    const auto ok = tessera::options_grid<opts>().add(&opts::C, {1.0});
    const std::vector<tessera::train_test_indices> no_folds;
    CHECK_THROWS_WITH_AS((void)tessera::grid_search<lr_t>(ok, data.x, data.y, no_folds), Contains("argument 'folds'"),
                         invalid_argument);
    auto short_y = data.y;
    short_y.pop_back();
    CHECK_THROWS_AS((void)tessera::grid_search<lr_t>(ok, data.x, short_y, folds), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::grid_search<lr_t>(ok, data.x, data.y, folds, {.parallel = {.n_threads = -2}}),
                         Contains("grid_search: argument 'options.parallel.n_threads'"), invalid_argument);
}
