// Naive Bayes and text features against scikit-learn 1.2.1 on the shared data sets: the
// reference values in tests/reference/naive_bayes_reference.hpp were produced by
// tests/reference/naive_bayes_reference.py (its header says how). The splits are tessera's
// stratified_train_test_split, which the script re-implements; the index sums check that both
// sides hold the same rows before any model is compared.
//
//   digits (1,797 x 64), 75/25, seed 42: GaussianNB and MultinomialNB predict_proba within 1e-6;
//   spambase (4,601 x 57), 75/25, seed 42: BernoulliNB and ComplementNB predictions identical;
//   SMS Spam Collection, 75/25, seed 42: CountVectorizer / TfidfVectorizer, then MultinomialNB and
//   ComplementNB: the same vocabulary size, the same accuracy, the same predictions.
#include <tessera/io/csv.hpp>
#include <tessera/io/labeled_text.hpp>
#include <tessera/model_selection/split.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/text/count_vectorizer.hpp>
#include <tessera/text/tfidf.hpp>

#include <doctest/doctest.h>

#include "data_test_support.hpp"
#include "reference/naive_bayes_reference.hpp"

#include <cmath>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

using tessera_test::data_dir;
using tessera_test::gzip_available;
using tessera_test::need;

namespace {

std::size_t index_sum(const std::vector<std::size_t>& v) { return std::accumulate(v.begin(), v.end(), std::size_t{0}); }

// Largest |a - b| over a predict_proba matrix and the reference's row-major values.
template <class M>
double max_difference(const M& proba, const double* reference) {
    double worst = 0;
    for (std::size_t i = 0; i < proba.rows(); ++i)
        for (std::size_t j = 0; j < proba.cols(); ++j)
            worst = std::max(worst, std::fabs(proba(i, j) - reference[i * proba.cols() + j]));
    return worst;
}

template <class Labels>
std::string as_digits(const Labels& predicted, const auto& positive) {
    std::string s;
    for (const auto& p : predicted) s += p == positive ? '1' : '0';
    return s;
}

// A data set split as the reference script split it: the same test rows (their count and
// index sum), and the training rows with their labels.
struct split_data {
    tessera::dense_matrix<double> x_train, x_test;
    std::vector<int> y_train;
};

split_data split_as_reference(const tessera::csv_data<double, int>& d, std::size_t test_rows, std::size_t test_index_sum) {
    const auto s = tessera::stratified_train_test_split(d.labels, {.test_fraction = 0.25, .seed = 42});
    REQUIRE(s.test.size() == test_rows);
    REQUIRE(index_sum(s.test) == test_index_sum);
    return {tessera::take_rows(d.features, s.train), tessera::take_rows(d.features, s.test), tessera::take(d.labels, s.train)};
}

}  // namespace

TEST_CASE("naive Bayes vs scikit-learn: digits, Gaussian and multinomial predict_proba") {
    const auto dir = data_dir("digits naive Bayes reference check");
    if (!dir || !gzip_available("digits naive Bayes reference check (digits.csv.gz)")) return;
    tessera::csv_options opt;
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::last();
    const auto d = tessera::read_csv<double, int>(need(*dir / "sklearn-toy" / "digits.csv.gz"), opt);
    static_assert(nb_reference::digits_seed == 42);
    const auto [x_train, x_test, y_train] =
        split_as_reference(d, nb_reference::digits_test_rows, nb_reference::digits_test_index_sum);

    tessera::gaussian_nb<int> g;
    g.fit(x_train, y_train);
    const auto pg = g.predict_proba(x_test);
    REQUIRE(pg.rows() == nb_reference::digits_test_rows);
    REQUIRE(pg.cols() == 10);
    CHECK(max_difference(pg, nb_reference::digits_gaussian_proba) <= 1e-6);

    tessera::multinomial_nb<int> m;
    m.fit(x_train, y_train);
    const auto pm = m.predict_proba(x_test);
    REQUIRE(pm.cols() == 10);
    CHECK(max_difference(pm, nb_reference::digits_multinomial_proba) <= 1e-6);
}

TEST_CASE("naive Bayes vs scikit-learn: spambase, Bernoulli and complement predictions") {
    const auto dir = data_dir("spambase naive Bayes reference check");
    if (!dir) return;
    tessera::csv_options opt;
    opt.label = tessera::csv_column::named("spam");
    const auto d = tessera::read_csv<double, int>(need(*dir / "spambase" / "spambase.csv"), opt);
    const auto [x_train, x_test, y_train] =
        split_as_reference(d, nb_reference::spambase_test_rows, nb_reference::spambase_test_index_sum);

    tessera::bernoulli_nb<int> b;
    b.fit(x_train, y_train);
    CHECK(as_digits(b.predict(x_test), 1) == nb_reference::spambase_bernoulli_predictions);

    tessera::complement_nb<int> c;
    c.fit(x_train, y_train);
    CHECK(as_digits(c.predict(x_test), 1) == nb_reference::spambase_complement_predictions);
}

TEST_CASE("naive Bayes vs scikit-learn: SMS spam, counts and tf-idf, multinomial and complement") {
    const auto dir = data_dir("SMS spam naive Bayes reference check");
    if (!dir) return;
    const auto d = tessera::read_labeled_text(need(*dir / "sms-spam-collection" / "SMSSpamCollection"));
    const auto s = tessera::stratified_train_test_split(d.labels, {.test_fraction = 0.25, .seed = 42});
    REQUIRE(s.test.size() == nb_reference::sms_test_rows);
    REQUIRE(index_sum(s.test) == nb_reference::sms_test_index_sum);
    const auto train_text = tessera::take(d.texts, s.train);
    const auto test_text = tessera::take(d.texts, s.test);
    const auto y_train = tessera::take(d.labels, s.train);
    const auto y_test = tessera::take(d.labels, s.test);

    tessera::count_vectorizer<double> counts;
    const auto train_counts = counts.fit_transform(train_text);
    const auto test_counts = counts.transform(test_text);
    CHECK(counts.vocabulary_size() == nb_reference::sms_counts_vocabulary);
    tessera::tfidf_transformer<double> tfidf;
    const auto train_tfidf = tfidf.fit_transform(train_counts);
    const auto test_tfidf = tfidf.transform(test_counts);

    const auto check = [&](const auto& model, const auto& x, std::size_t correct, const char* predictions) {
        const auto p = model.predict(x);
        std::size_t right = 0;
        for (std::size_t i = 0; i < p.size(); ++i) right += p[i] == y_test[i];
        CHECK(right == correct);
        CHECK(as_digits(p, std::string("spam")) == predictions);
    };
    tessera::multinomial_nb<std::string> m;
    tessera::complement_nb<std::string> c;
    SUBCASE("counts") {
        m.fit(train_counts, y_train);
        check(m, test_counts, nb_reference::sms_counts_multinomial_correct, nb_reference::sms_counts_multinomial_predictions);
        c.fit(train_counts, y_train);
        check(c, test_counts, nb_reference::sms_counts_complement_correct, nb_reference::sms_counts_complement_predictions);
    }
    SUBCASE("tf-idf") {
        m.fit(train_tfidf, y_train);
        check(m, test_tfidf, nb_reference::sms_tfidf_multinomial_correct, nb_reference::sms_tfidf_multinomial_predictions);
        c.fit(train_tfidf, y_train);
        check(c, test_tfidf, nb_reference::sms_tfidf_complement_correct, nb_reference::sms_tfidf_complement_predictions);
    }
}
