// Classification metrics against hand-counted cases (the counts are worked out in comments).
#include <tessera/metrics/classification.hpp>

#include <doctest/doctest.h>

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
