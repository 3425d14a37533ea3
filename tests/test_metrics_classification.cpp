// Classification metrics against hand-counted cases (the counts are worked out in comments), a
// naive pairwise ROC AUC, and values computed by scikit-learn 1.2.1 (commands in comments).
#include <tessera/core/random.hpp>
#include <tessera/metrics/classification.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
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
