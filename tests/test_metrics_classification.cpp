// Classification metrics against hand-counted cases (the counts are worked out in comments),
// naive implementations of the definitions (per-class counts, pairwise ROC AUC), and values
// computed by scikit-learn 1.2.1 (commands in comments, or in tests/reference/metrics_reference.hpp).
#include <tessera/core/random.hpp>
#include <tessera/metrics/classification.hpp>

#include <doctest/doctest.h>

#include "metrics_test_support.hpp"

#include "reference/metrics_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <iterator>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

using doctest::Approx;
using doctest::Contains;

TEST_CASE("accuracy_score and binary_scores on a hand-counted case") {
    //            0      1      2      3      4      5      6      7
    const std::vector<std::string> t{"spam", "ham", "spam", "spam", "ham", "ham", "ham", "spam"};
    const std::vector<std::string> p{"spam", "spam", "ham", "spam", "ham", "ham", "ham", "spam"};
    // equal at 0, 3, 4, 5, 6, 7 -> 6 / 8
    CHECK(tessera::accuracy_score(t, p) == 0.75);
    // spam: TP at 0, 3, 7 = 3; FP at 1 = 1; FN at 2 = 1.
    const auto s = tessera::binary_scores(t, p, std::string("spam"));
    CHECK(s.true_positives == 3);
    CHECK(s.false_positives == 1);
    CHECK(s.false_negatives == 1);
    CHECK(s.support == 4);
    CHECK(s.precision == 0.75);
    CHECK(s.recall == 0.75);
    CHECK(s.f1 == Approx(0.75));
    // ham: TP 3 (4, 5, 6), FP 1 (2), FN 1 (1).
    const auto h = tessera::binary_scores(t, p, "ham");
    CHECK(h.support == 4);
    CHECK(h.precision == 0.75);
    // string_view and const char* labels mix with std::string.
    const std::vector<const char*> pc{"spam", "spam", "ham", "spam", "ham", "ham", "ham", "spam"};
    CHECK(tessera::accuracy_score(t, pc) == 0.75);
}

TEST_CASE("binary_scores: zero denominators give 0") {
    const std::vector<int> t{0, 0, 1};
    const std::vector<int> p{0, 0, 0};
    const auto r = tessera::binary_scores(t, p, 1);  // nothing predicted positive
    CHECK(r.precision == 0);
    CHECK(r.recall == 0);
    CHECK(r.f1 == 0);
    CHECK(r.support == 1);
    const auto absent = tessera::binary_scores(t, p, 7);
    CHECK(absent.support == 0);
    CHECK(absent.f1 == 0);
    // precision 1/2, recall 1/1 -> F1 = 2 * 0.5 * 1 / 1.5 = 2/3
    const auto q = tessera::binary_scores(std::vector<int>{1, 0, 0}, std::vector<int>{1, 1, 0}, 1);
    CHECK(q.f1 == Approx(2.0 / 3.0));
}

// ---------------------------------------------------------------------------------------------
// precision, recall and F-scores with averaging; per_class_scores

namespace {

using tessera_test::expect_error;
using tessera_test::single_pass;

tessera::averaging averaging_named(const std::string& name) {
    if (name == "binary") return tessera::averaging::binary;
    if (name == "micro") return tessera::averaging::micro;
    if (name == "macro") return tessera::averaging::macro;
    REQUIRE(name == "weighted");
    return tessera::averaging::weighted;
}

tessera::zero_division_policy zero_division_of(int v) {
    return v == 1 ? tessera::zero_division_policy::one : tessera::zero_division_policy::zero;
}

// Every averaged and per-class value of one scikit-learn case; y_pred may be given as another
// range type than y_true.
template <class L, class Pred>
void check_against_reference(const metrics_reference::classification_case<L>& c, const Pred& y_pred) {
    constexpr double tol = 1e-12;
    for (const auto& q : c.averaged) {
        const std::string average = q.average;  // a string, so that doctest prints the text
        CAPTURE(average);
        CAPTURE(q.zero_division);
        CAPTURE(q.beta);
        CAPTURE(q.labels.size());
        tessera::score_options<L> o;
        o.average = averaging_named(average);
        o.positive = q.positive;
        o.labels = q.labels;
        o.zero_division = zero_division_of(q.zero_division);
        const auto s = tessera::precision_recall_fscore(c.y_true, y_pred, o, q.beta);
        CHECK(s.precision == Approx(q.precision).epsilon(tol));
        CHECK(s.recall == Approx(q.recall).epsilon(tol));
        CHECK(s.f_score == Approx(q.f_score).epsilon(tol));
        CHECK(tessera::fbeta_score(c.y_true, y_pred, q.beta, o) == Approx(q.f_score).epsilon(tol));
        if (q.beta == 1.0) {
            CHECK(tessera::precision_score(c.y_true, y_pred, o) == Approx(q.precision).epsilon(tol));
            CHECK(tessera::recall_score(c.y_true, y_pred, o) == Approx(q.recall).epsilon(tol));
            CHECK(tessera::f1_score(c.y_true, y_pred, o) == Approx(q.f_score).epsilon(tol));
        }
    }
    for (const auto& q : c.per_class) {
        CAPTURE(q.zero_division);
        CAPTURE(q.beta);
        CAPTURE(q.labels.size());
        const auto r = tessera::per_class_scores(c.y_true, y_pred, {.labels = q.labels,
                                                                    .zero_division = zero_division_of(q.zero_division)},
                                                 q.beta);
        REQUIRE(r.size() == q.classes.size());
        for (std::size_t i = 0; i < r.size(); ++i) {
            CAPTURE(i);
            CHECK(r[i].label == q.classes[i]);
            CHECK(r[i].precision == Approx(q.precision[i]).epsilon(tol));
            CHECK(r[i].recall == Approx(q.recall[i]).epsilon(tol));
            CHECK(r[i].f_score == Approx(q.f_score[i]).epsilon(tol));
            CHECK(r[i].support == q.support[i]);
            CHECK(r[i].true_positives + r[i].false_negatives == r[i].support);
        }
    }
}

}  // namespace

TEST_CASE("precision, recall, F-beta and per-class scores match scikit-learn 1.2.1") {
    // Values and inputs: tests/reference/metrics_reference.hpp (the command is in its header).
    for (const auto& c : metrics_reference::string_cases()) {
        const std::string name = c.name;
        CAPTURE(name);
        check_against_reference(c, c.y_pred);
        // Other label ranges: string_view and const char* predictions against std::string truth.
        const std::vector<std::string_view> views(c.y_pred.begin(), c.y_pred.end());
        check_against_reference(c, views);
        std::list<const char*> pointers;
        for (const auto& s : c.y_pred) pointers.push_back(s.c_str());
        check_against_reference(c, pointers);
    }
    for (const auto& c : metrics_reference::int_cases()) {
        const std::string name = c.name;
        CAPTURE(name);
        check_against_reference(c, c.y_pred);
        // An input-only range of prvalues.
        check_against_reference(c, single_pass<int>{&c.y_pred});
    }
}

namespace {

struct naive_class {
    double precision, recall, f1;
    std::size_t support;
};

// Straight from the definitions, one class at a time (zero_division 0).
naive_class naive_scores(const std::vector<int>& t, const std::vector<int>& p, int c) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        tp += t[i] == c && p[i] == c;
        fp += t[i] != c && p[i] == c;
        fn += t[i] == c && p[i] != c;
    }
    const double precision = tp + fp > 0 ? tp / (tp + fp) : 0.0;
    const double recall = tp + fn > 0 ? tp / (tp + fn) : 0.0;
    const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    return {precision, recall, f1, static_cast<std::size_t>(tp + fn)};
}

}  // namespace

TEST_CASE("averaged scores equal their definitions on random multiclass data") {
    tessera::random_engine rng(424242);
    for (const std::size_t n : {1u, 2u, 3u, 7u, 50u, 333u}) {
        for (const std::uint64_t k : {2u, 3u, 6u, 400u}) {  // 400: hundreds of distinct labels
            std::vector<int> t(n), p(n);
            for (std::size_t i = 0; i < n; ++i) {
                t[i] = static_cast<int>(rng.below(k)) * 10;
                // Right about half the time, so that every count is exercised.
                p[i] = rng.below(2) == 0 ? t[i] : static_cast<int>(rng.below(k + 1)) * 10;
            }
            CAPTURE(n);
            CAPTURE(k);
            std::vector<int> classes(t);
            classes.insert(classes.end(), p.begin(), p.end());
            std::sort(classes.begin(), classes.end());
            classes.erase(std::unique(classes.begin(), classes.end()), classes.end());

            double macro_p = 0, macro_r = 0, macro_f = 0, weighted_f = 0, weighted_r = 0;
            const auto per_class = tessera::per_class_scores(t, p);
            REQUIRE(per_class.size() == classes.size());
            for (std::size_t j = 0; j < classes.size(); ++j) {
                const auto ref = naive_scores(t, p, classes[j]);
                CHECK(per_class[j].label == classes[j]);
                CHECK(per_class[j].precision == Approx(ref.precision).epsilon(1e-15));
                CHECK(per_class[j].recall == Approx(ref.recall).epsilon(1e-15));
                CHECK(per_class[j].f_score == Approx(ref.f1).epsilon(1e-15));
                CHECK(per_class[j].support == ref.support);
                // binary_scores is the same one-vs-rest view of a class.
                const auto b = tessera::binary_scores(t, p, classes[j]);
                CHECK(b.precision == per_class[j].precision);
                CHECK(b.recall == per_class[j].recall);
                CHECK(b.f1 == per_class[j].f_score);
                CHECK(b.support == per_class[j].support);
                macro_p += ref.precision;
                macro_r += ref.recall;
                macro_f += ref.f1;
                weighted_f += ref.f1 * static_cast<double>(ref.support);
                weighted_r += ref.recall * static_cast<double>(ref.support);
            }
            const auto kk = static_cast<double>(classes.size());
            const auto macro = tessera::precision_recall_fscore(t, p, {.average = tessera::averaging::macro});
            CHECK(macro.precision == Approx(macro_p / kk).epsilon(1e-14));
            CHECK(macro.recall == Approx(macro_r / kk).epsilon(1e-14));
            CHECK(macro.f_score == Approx(macro_f / kk).epsilon(1e-14));
            const auto weighted = tessera::precision_recall_fscore(t, p, {.average = tessera::averaging::weighted});
            CHECK(weighted.f_score == Approx(weighted_f / static_cast<double>(n)).epsilon(1e-14));
            CHECK(weighted.recall == Approx(weighted_r / static_cast<double>(n)).epsilon(1e-14));
            // Weighted recall is the accuracy: sum_c support_c * TP_c / support_c = sum_c TP_c.
            const double acc = tessera::accuracy_score(t, p);
            CHECK(weighted.recall == Approx(acc).epsilon(1e-14));
            // Single-label data and every class: micro precision = recall = F1 = accuracy.
            const auto micro = tessera::precision_recall_fscore(t, p, {.average = tessera::averaging::micro});
            CHECK(micro.precision == acc);
            CHECK(micro.recall == acc);
            CHECK(micro.f_score == Approx(acc).epsilon(1e-15));
            CHECK(tessera::f1_score(t, p, {.average = tessera::averaging::micro}) == Approx(acc).epsilon(1e-15));
            // F-beta's limits: beta = 0 is the precision where recall is not 0, +inf the recall.
            const auto inf = std::numeric_limits<double>::infinity();
            CHECK(tessera::fbeta_score(t, p, inf, {.average = tessera::averaging::macro}) == macro.recall);
            if (classes.size() == 2) {
                // Binary averaging with the default positive label 1 is absent here (labels are
                // multiples of 10), so name it; it equals that class's one-vs-rest scores.
                const auto b = tessera::precision_recall_fscore(t, p, {.positive = classes[1]});
                CHECK(b.precision == per_class[1].precision);
                CHECK(b.recall == per_class[1].recall);
                CHECK(b.f_score == per_class[1].f_score);
            }
        }
    }
}

TEST_CASE("averaged scores: hand-checked edge cases") {
    // One row, right: every average is 1.
    const std::vector<int> one{5};
    CHECK(tessera::f1_score(one, one, {.average = tessera::averaging::micro}) == 1.0);
    CHECK(tessera::f1_score(one, one, {.average = tessera::averaging::macro}) == 1.0);
    CHECK(tessera::precision_score(one, one, {.positive = 5}) == 1.0);
    // One class only and an absent positive label: no counts, so the zero-division value.
    CHECK(tessera::recall_score(one, one, {.positive = 1}) == 0.0);
    CHECK(tessera::recall_score(one, one, {.positive = 1, .zero_division = tessera::zero_division_policy::one}) == 1.0);
    // The default positive label is 1 for integers and true for bool (std::vector<bool>'s proxies).
    const std::vector<int> t{1, 0, 1, 1};
    const std::vector<int> p{1, 1, 0, 1};  // TP 2, FP 1, FN 1
    CHECK(tessera::precision_score(t, p) == Approx(2.0 / 3.0).epsilon(1e-15));
    const std::vector<bool> tb{true, false, true, true};
    const std::vector<bool> pb{true, true, false, true};
    CHECK(tessera::recall_score(tb, pb) == Approx(2.0 / 3.0).epsilon(1e-15));
    CHECK(tessera::recall_score(tb, pb, {.positive = false}) == 0.0);  // the one false is predicted true
    // beta = 0 keeps only the precision (recall 2/3 is not 0).
    CHECK(tessera::fbeta_score(t, p, 0.0) == Approx(2.0 / 3.0).epsilon(1e-15));
    // labels= restricts micro averaging to the listed classes: class 0 alone has TP 0, FP 1, FN 1.
    CHECK(tessera::precision_score(t, p, {.average = tessera::averaging::micro, .labels = {0}}) == 0.0);
    // A listed label that occurs nowhere scores the zero-division value in per_class_scores.
    const auto r =
        tessera::per_class_scores(t, p, {.labels = {9, 1}, .zero_division = tessera::zero_division_policy::one});
    REQUIRE(r.size() == 2);
    CHECK(r[0].label == 9);
    CHECK(r[0].precision == 1.0);
    CHECK(r[0].recall == 1.0);
    CHECK(r[0].f_score == 1.0);
    CHECK(r[0].support == 0);
    CHECK(r[1].label == 1);
    CHECK(r[1].true_positives == 2);
    CHECK(r[1].false_positives == 1);
    CHECK(r[1].false_negatives == 1);
    // Enumeration labels must name the positive class for binary averaging.
    enum class side { left, right };
    const std::vector<side> ts{side::left, side::right, side::right};
    const std::vector<side> ps{side::right, side::right, side::right};
    CHECK(tessera::precision_score(ts, ps, {.positive = side::right}) == Approx(2.0 / 3.0).epsilon(1e-15));
}

TEST_CASE("precision, recall, F-scores and per_class_scores: bad input") {
    const std::vector<int> a{1, 0, 1};
    const std::vector<int> shorter{1, 0};
    const std::vector<int> none;
    const std::vector<int> three{0, 1, 2};
    using tessera::averaging;
    for (const std::string where : {"precision_score", "recall_score", "f1_score", "fbeta_score",
                                    "precision_recall_fscore"}) {
        CAPTURE(where);
        // Each public entry point, called with beta where it takes one.
        const auto call = [&where](const std::vector<int>& t, const std::vector<int>& p,
                                   const tessera::score_options<int>& o, double beta = 1.0) {
            if (where == "precision_score") return tessera::precision_score(t, p, o);
            if (where == "recall_score") return tessera::recall_score(t, p, o);
            if (where == "f1_score") return tessera::f1_score(t, p, o);
            if (where == "fbeta_score") return tessera::fbeta_score(t, p, beta, o);
            return tessera::precision_recall_fscore(t, p, o, beta).f_score;
        };
        expect_error<tessera::dimension_mismatch>(where, "y_pred", [&] { (void)call(a, shorter, {}); });
        expect_error<tessera::dimension_mismatch>(where, "y_pred", [&] { (void)call(shorter, a, {}); });
        expect_error<tessera::invalid_argument>(where, "y_true", [&] { (void)call(none, none, {}); });
        // More than two labels in the union, even when y_true alone has two.
        expect_error<tessera::invalid_argument>(where, "options.average", [&] { (void)call(three, three, {}); });
        expect_error<tessera::invalid_argument>(where, "options.average", [&] { (void)call(a, {2, 0, 1}, {}); });
        // A positive label that is not one of the two present labels.
        expect_error<tessera::invalid_argument>(where, "options.positive", [&] { (void)call(a, a, {.positive = 7}); });
        expect_error<tessera::invalid_argument>(where, "options.positive",
                                                [&] { (void)call({3, 4}, {4, 3}, {}); });  // default 1
        expect_error<tessera::invalid_argument>(where, "options.labels", [&] {
            (void)call(three, three, {.average = averaging::macro, .labels = {0, 2, 0}});
        });
        expect_error<tessera::invalid_argument>(where, "options.average",
                                                [&] { (void)call(a, a, {.average = static_cast<averaging>(17)}); });
        expect_error<tessera::invalid_argument>(where, "options.zero_division", [&] {
            (void)call(a, a, {.zero_division = static_cast<tessera::zero_division_policy>(2)});
        });
        if (where == "fbeta_score" || where == "precision_recall_fscore") {
            expect_error<tessera::invalid_argument>(where, "beta", [&] { (void)call(a, a, {}, -0.5); });
            expect_error<tessera::invalid_argument>(where, "beta", [&] {
                (void)call(a, a, {}, std::numeric_limits<double>::quiet_NaN());
            });
        }
    }
    // String labels have no default positive label.
    const std::vector<std::string> s{"spam", "ham"};
    expect_error<tessera::invalid_argument>("f1_score", "options.positive", [&] { (void)tessera::f1_score(s, s); });
    CHECK_THROWS_WITH_AS((void)tessera::f1_score(s, s, {.positive = "eggs"}), Contains("'eggs' is not among"),
                         tessera::invalid_argument);

    const char* w = "per_class_scores";
    expect_error<tessera::dimension_mismatch>(w, "y_pred", [&] { (void)tessera::per_class_scores(a, shorter); });
    expect_error<tessera::dimension_mismatch>(w, "y_pred", [&] { (void)tessera::per_class_scores(shorter, a); });
    expect_error<tessera::invalid_argument>(w, "y_true", [&] { (void)tessera::per_class_scores(none, none); });
    expect_error<tessera::invalid_argument>(w, "options.labels",
                                            [&] { (void)tessera::per_class_scores(a, a, {.labels = {1, 1}}); });
    expect_error<tessera::invalid_argument>(w, "beta", [&] { (void)tessera::per_class_scores(a, a, {}, -1.0); });
    expect_error<tessera::invalid_argument>(w, "options.zero_division", [&] {
        (void)tessera::per_class_scores(a, a, {.zero_division = static_cast<tessera::zero_division_policy>(-1)});
    });
    expect_error<tessera::dimension_mismatch>("binary_scores", "y_pred",
                                              [&] { (void)tessera::binary_scores(a, shorter, 1); });
    expect_error<tessera::invalid_argument>("binary_scores", "y_true",
                                            [&] { (void)tessera::binary_scores(none, none, 1); });
}

TEST_CASE("confusion_matrix follows the given class order") {
    const std::vector<int> t{2, 0, 2, 2, 0, 1};
    const std::vector<int> p{0, 0, 2, 2, 0, 2};
    const auto m = tessera::confusion_matrix(t, p, std::vector<int>{2, 0, 1});
    // rows/cols in order 2, 0, 1: true 2 -> pred 2 twice, pred 0 once; true 0 -> 0 twice; true 1 -> 2 once.
    CHECK(m(0, 0) == 2);
    CHECK(m(0, 1) == 1);
    CHECK(m(1, 1) == 2);
    CHECK(m(2, 0) == 1);
    std::size_t total = 0;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) total += m(i, j);
    CHECK(total == t.size());
}

TEST_CASE("classification metrics: bad input") {
    const std::vector<int> a{1, 2};
    const std::vector<int> b{1};
    CHECK_THROWS_AS((void)tessera::accuracy_score(a, b), tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)tessera::accuracy_score(b, a), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::accuracy_score(std::vector<int>{}, std::vector<int>{}), Contains("empty"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::confusion_matrix(a, a, std::vector<int>{1}), Contains("label 2 at position 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::confusion_matrix(a, a, std::vector<int>{1, 1}), Contains("twice"),
                         tessera::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// roc_auc_score

namespace {

// The definition: over all (positive, negative) pairs, the weight share of pairs where the
// positive scores higher, ties counting one half. O(n^2).
double naive_auc(const std::vector<int>& y, const std::vector<double>& s, int positive, const std::vector<double>& w) {
    double num = 0, pos = 0, neg = 0;
    for (std::size_t i = 0; i < y.size(); ++i) (y[i] == positive ? pos : neg) += w[i];
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (y[i] != positive) continue;
        for (std::size_t j = 0; j < y.size(); ++j) {
            if (y[j] == positive) continue;
            num += w[i] * w[j] * (s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0);
        }
    }
    return num / (pos * neg);
}

}  // namespace

TEST_CASE("roc_auc_score on hand-checkable cases") {
    // scikit-learn's documentation example: pairs (pos 0.35 | 0.8) x (neg 0.1 | 0.4):
    // 0.35 > 0.1, 0.35 < 0.4, 0.8 > both -> 3 of 4.
    CHECK(tessera::roc_auc_score(std::vector<int>{0, 0, 1, 1}, std::vector<double>{0.1, 0.4, 0.35, 0.8}, 1) == 0.75);
    // Ties: positives 0.5, 0.9; negatives 0.5, 0.1. 0.5 vs 0.5 ties (1/2), 0.5 > 0.1, 0.9 > both:
    // 3.5 / 4. Midranks: 0.1 -> 1, 0.5 -> 2.5 (twice), 0.9 -> 4; (2.5 + 4 - 3) / 4 = 0.875.
    CHECK(tessera::roc_auc_score(std::vector<int>{1, 0, 1, 0}, std::vector<double>{0.5, 0.5, 0.9, 0.1}, 1) == 0.875);
    // Every label other than `positive` is negative; string labels; integer scores.
    const std::vector<std::string> y{"spam", "ham", "other", "spam", "ham"};
    const std::vector<int> score{5, 1, 2, 3, 3};
    // positives 5, 3; negatives 1, 2, 3: 5 beats all 3; 3 beats 1, 2 and ties 3 -> 5.5 / 6.
    CHECK(tessera::roc_auc_score(y, score, std::string("spam")) == doctest::Approx(5.5 / 6.0));
    CHECK(tessera::roc_auc_score(y, score, "spam") == doctest::Approx(5.5 / 6.0));
    // Perfect, reversed, all tied; two rows; std::vector<bool> labels (proxy references).
    const std::vector<bool> yb{false, true, false, true};
    CHECK(tessera::roc_auc_score(yb, std::vector<float>{0.f, 1.f, 0.25f, 0.5f}, true) == 1.0);
    CHECK(tessera::roc_auc_score(yb, std::vector<float>{0.f, 1.f, 0.25f, 0.5f}, false) == 0.0);
    CHECK(tessera::roc_auc_score(yb, std::vector<double>(4, 7.0), true) == 0.5);
    CHECK(tessera::roc_auc_score(std::vector<int>{1, 0}, std::vector<double>{-1.0, 2.0}, 1) == 0.0);
    // Negative zero ties with zero.
    CHECK(tessera::roc_auc_score(std::vector<int>{1, 0}, std::vector<double>{0.0, -0.0}, 1) == 0.5);
    // Weights: the (0.35, 0.4) pair that the positive loses weighs 3 * 2 of a total
    // (3 + 1) * (1 + 2) = 12 -> 1 - 6 / 12.
    CHECK(tessera::roc_auc_score(std::vector<int>{0, 0, 1, 1}, std::vector<double>{0.1, 0.4, 0.35, 0.8}, 1,
                                 std::vector<double>{1, 2, 3, 1}) == 0.5);
    // A weight of 0 removes the row: without the 0.4 negative every pair is won.
    CHECK(tessera::roc_auc_score(std::vector<int>{0, 0, 1, 1}, std::vector<double>{0.1, 0.4, 0.35, 0.8}, 1,
                                 std::vector<int>{1, 0, 1, 1}) == 1.0);
}

TEST_CASE("roc_auc_score equals the pairwise definition on random data with many ties") {
    tessera::random_engine rng(20240611);
    for (const std::size_t n : {2u, 3u, 5u, 16u, 17u, 64u, 101u, 1000u}) {
        for (const std::uint64_t levels : {2u, 3u, 10u, 1000000u}) {  // few levels: many ties
            std::vector<int> y(n);
            std::vector<double> s(n), w(n), ones(n, 1.0);
            for (std::size_t i = 0; i < n; ++i) {
                y[i] = static_cast<int>(rng.below(3));  // 1 is positive, 0 and 2 negative
                s[i] = static_cast<double>(rng.below(levels)) / static_cast<double>(levels) - 0.5;
                w[i] = rng.below(4) == 0 ? 0.0 : rng.uniform01() * 3.0;
            }
            y[0] = 1;  // both classes present
            y[n - 1] = 2;
            w[0] = w[n - 1] = 1.0;
            CAPTURE(n);
            CAPTURE(levels);
            // Unit weights: both sides sum half-integers exactly and divide once by P * N.
            CHECK(tessera::roc_auc_score(y, s, 1) == naive_auc(y, s, 1, ones));
            CHECK(tessera::roc_auc_score(y, s, 1, w) == doctest::Approx(naive_auc(y, s, 1, w)).epsilon(1e-12));
        }
    }
}

TEST_CASE("roc_auc_score matches scikit-learn 1.2.1") {
    // /usr/bin/python3 -c "from sklearn.metrics import roc_auc_score as a; y=[(i*13)%7%3==2 for i in range(40)];
    //   s=[((i*29)%17)/8-1 for i in range(40)]; w=[0.5+i%4 for i in range(40)];
    //   print(repr(a(y,s)), repr(a(y,s,sample_weight=w)))"
    // -> 0.3119122257053291 0.30679785330948117   (11 positives, 17 distinct scores: many ties)
    std::vector<int> y;
    std::vector<double> s, w;
    for (int i = 0; i < 40; ++i) {
        y.push_back((i * 13) % 7 % 3);
        s.push_back(((i * 29) % 17) / 8.0 - 1);
        w.push_back(0.5 + i % 4);
    }
    CHECK(tessera::roc_auc_score(y, s, 2) == doctest::Approx(0.3119122257053291).epsilon(1e-14));
    CHECK(tessera::roc_auc_score(y, s, 2, w) == doctest::Approx(0.30679785330948117).epsilon(1e-14));
}

TEST_CASE("roc_auc_score: bad input") {
    using doctest::Contains;
    const std::vector<int> y{0, 1, 1};
    const std::vector<double> s{0.1, 0.2, 0.3};
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(std::vector<int>{}, std::vector<double>{}, 1), Contains("empty"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, std::vector<double>{0.1, 0.2}, 1), Contains("fewer"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, std::vector<double>{0.1, 0.2, 0.3, 0.4}, 1), Contains("more"),
                         tessera::dimension_mismatch);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, std::vector<double>{0.1, nan, 0.3}, 1),
                         Contains("NaN at position 1"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, std::vector<double>{0.1, 0.2, -inf}, 1),
                         Contains("Inf at position 2"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, s, 7), Contains("no positive"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(std::vector<int>{1, 1}, std::vector<double>{0, 1}, 1),
                         Contains("only positive"), tessera::invalid_argument);
    // Weights.
    CHECK_THROWS_AS((void)tessera::roc_auc_score(y, s, 1, std::vector<double>{1, 1}), tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)tessera::roc_auc_score(y, s, 1, std::vector<double>{1, 1, 1, 1}), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, s, 1, std::vector<double>{1, -1, 1}), Contains("position 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS((void)tessera::roc_auc_score(y, s, 1, std::vector<double>{1, 1, nan}), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, s, 1, std::vector<double>{1, 0, 0}), Contains("no positive"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::roc_auc_score(y, s, 1, std::vector<double>{0, 1, 1}), Contains("only positive"),
                         tessera::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// log_loss

TEST_CASE("log_loss on hand-checkable cases") {
    // scikit-learn's documentation example (columns in sorted label order: ham, spam):
    // -(log .9 + log .9 + log .8 + log .65) / 4
    const std::vector<std::string> y{"spam", "ham", "ham", "spam"};
    const tessera::dense_matrix<double> p{{.1, .9}, {.9, .1}, {.8, .2}, {.35, .65}};
    const double expected = -(std::log(.9) + std::log(.9) + std::log(.8) + std::log(.65)) / 4;
    const std::vector<std::string> classes{"ham", "spam"};
    CHECK(tessera::log_loss(y, p, classes) == doctest::Approx(expected).epsilon(1e-15));
    // /usr/bin/python3 -c "from sklearn.metrics import log_loss as L;
    //   print(repr(L(['spam','ham','ham','spam'],[[.1,.9],[.9,.1],[.8,.2],[.35,.65]])))"  -> 0.21616187468057912
    CHECK(tessera::log_loss(y, p, classes) == doctest::Approx(0.21616187468057912).epsilon(1e-15));
    // The caller's class order picks the columns: swapping both changes nothing.
    const tessera::dense_matrix<double> swapped{{.9, .1}, {.1, .9}, {.2, .8}, {.65, .35}};
    CHECK(tessera::log_loss(y, swapped, std::vector<const char*>{"spam", "ham"}) ==
          doctest::Approx(expected).epsilon(1e-15));
    // A matrix_view and rows given as a range of vectors.
    const tessera::matrix_view<const double> view = p;
    CHECK(tessera::log_loss(y, view, classes) == doctest::Approx(expected).epsilon(1e-15));
    const std::vector<std::vector<double>> rows{{.1, .9}, {.9, .1}, {.8, .2}, {.35, .65}};
    CHECK(tessera::log_loss(y, rows, classes) == doctest::Approx(expected).epsilon(1e-15));

    // Clipping to [eps, 1 - eps] with eps the type's machine epsilon: a true class given
    // probability 0 costs -log(2^-52) for double, -log(2^-23) for float (the clipped row sums to 1).
    // /usr/bin/python3 -c "from sklearn.metrics import log_loss as L; print(repr(L([0],[[0.,1.]],labels=[0,1])))"
    //   -> 36.04365338911715
    CHECK(tessera::log_loss(std::vector<int>{0}, tessera::dense_matrix<double>{{0.0, 1.0}}, std::vector<int>{0, 1}) ==
          doctest::Approx(36.04365338911715).epsilon(1e-15));
    CHECK(tessera::log_loss(std::vector<int>{0}, tessera::dense_matrix<float>{{0.f, 1.f}}, std::vector<int>{0, 1}) ==
          doctest::Approx(23 * std::log(2.0)).epsilon(1e-15));
    // A perfectly confident right answer costs about eps; a value above 1 is clipped too.
    CHECK(tessera::log_loss(std::vector<int>{1}, tessera::dense_matrix<double>{{0.0, 1.5}}, std::vector<int>{0, 1}) ==
          doctest::Approx(0.0).epsilon(1e-15));
    // Renormalization: [0.2, 0.2] becomes [0.5, 0.5].
    CHECK(tessera::log_loss(std::vector<int>{0}, tessera::dense_matrix<double>{{0.2, 0.2}}, std::vector<int>{0, 1}) ==
          doctest::Approx(std::log(2.0)).epsilon(1e-15));
}

TEST_CASE("log_loss equals -mean log p on random probability rows") {
    tessera::random_engine rng(7);
    for (const std::size_t n : {1u, 2u, 7u, 100u}) {
        tessera::dense_matrix<double> p(n, 4);
        std::vector<int> y(n);
        double sum_log = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double total = 0;
            for (std::size_t j = 0; j < 4; ++j) total += p(i, j) = 0.01 + rng.uniform01();
            for (std::size_t j = 0; j < 4; ++j) p(i, j) /= total;
            y[i] = 10 * static_cast<int>(rng.below(4));
            sum_log += std::log(p(i, static_cast<std::size_t>(y[i] / 10)));
        }
        CAPTURE(n);
        CHECK(tessera::log_loss(y, p, std::vector<int>{0, 10, 20, 30}) ==
              doctest::Approx(-sum_log / static_cast<double>(n)).epsilon(1e-13));
    }
}

TEST_CASE("log_loss matches scikit-learn 1.2.1 (clipping, rows that do not sum to 1)") {
    // /usr/bin/python3 -c "from sklearn.metrics import log_loss as L; y=['abc'[(i*2)%3] for i in range(12)];
    //   P=[[((i*5+j*3)%7)/6 for j in range(3)] for i in range(12)]; print(repr(L(y,P,labels=['a','b','c'])))"
    // -> 9.988421667887742
    std::vector<std::string> y;
    tessera::dense_matrix<double> p(12, 3);
    for (std::size_t i = 0; i < 12; ++i) {
        y.emplace_back(1, "abc"[(i * 2) % 3]);
        for (std::size_t j = 0; j < 3; ++j) p(i, j) = static_cast<double>((i * 5 + j * 3) % 7) / 6.0;
    }
    CHECK(tessera::log_loss(y, p, std::vector<std::string>{"a", "b", "c"}) ==
          doctest::Approx(9.988421667887742).epsilon(1e-14));
    // The same with the columns in the order c, a, b.
    tessera::dense_matrix<double> q(12, 3);
    for (std::size_t i = 0; i < 12; ++i) {
        q(i, 0) = p(i, 2);
        q(i, 1) = p(i, 0);
        q(i, 2) = p(i, 1);
    }
    CHECK(tessera::log_loss(y, q, std::vector<std::string>{"c", "a", "b"}) ==
          doctest::Approx(9.988421667887742).epsilon(1e-14));
}

TEST_CASE("log_loss: bad input") {
    using doctest::Contains;
    const std::vector<int> y{0, 1};
    const std::vector<int> classes{0, 1};
    const tessera::dense_matrix<double> p{{0.3, 0.7}, {0.4, 0.6}};
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(std::vector<int>{}, tessera::dense_matrix<double>(0, 2), classes),
                         Contains("empty"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(y, p, std::vector<int>{}), Contains("empty"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(std::vector<int>{0, 0}, tessera::dense_matrix<double>{{1.0}, {1.0}},
                                                 std::vector<int>{0}),
                         Contains("at least two"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(y, p, std::vector<int>{0, 1, 0}), Contains("twice"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(std::vector<int>{0, 1, 0}, p, classes), Contains("more labels"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(std::vector<int>{0}, p, classes), Contains("2 rows but y_true has 1"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(y, p, std::vector<int>{0, 1, 2}), Contains("2 columns but there are 3"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)tessera::log_loss(y, std::vector<std::vector<double>>{{0.5, 0.5}, {1.0}}, classes),
                    tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(std::vector<int>{0, 5}, p, classes),
                         Contains("label 5 at position 1 is not among the classes"), tessera::invalid_argument);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    // Every entry of a row is checked, not only the true class's.
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(y, tessera::dense_matrix<double>{{0.3, 0.7}, {0.4, nan}}, classes),
                         Contains("NaN at row 1, column 1"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(y, tessera::dense_matrix<double>{{inf, 0.7}, {0.4, 0.6}}, classes),
                         Contains("Inf at row 0, column 0"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::log_loss(y, tessera::dense_matrix<double>{{0.3, 0.7}, {-0.1, 1.1}}, classes),
                         Contains("negative value at row 1, column 0"), tessera::invalid_argument);
}
