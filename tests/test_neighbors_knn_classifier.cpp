// knn_classifier and knn_regressor against a brute-force reference written here in double:
// neighbours sorted by (distance, training row), weights by scikit-learn's rules (uniform; 1/d
// with exact matches taking all the weight; a user function), class totals summed in
// neighbour order, the first largest total winning. Also labels of every kind, vote ties,
// errors, save/load with corrupt and inconsistent archives, allocators, and Fashion-MNIST
// when TESSERA_DATA_DIR is set (the scikit-learn accuracy 0.8554, the exact neighbour lists of
// fashion-mnist-ann/, and an integer reference for Manhattan distance with 1/d weights).
#include <doctest/doctest.h>

#include "data_test_support.hpp"
#include "model_test_support.hpp"
#include "memory_test_support.hpp"

#include <tessera/core/archive.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/byte_source.hpp>
#include <tessera/io/idx.hpp>
#include <tessera/neighbors/knn_classifier.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <forward_list>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory_resource>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace fs = std::filesystem;
using tessera::knn_options;
using tessera::knn_weights;

using tessera_test::archive_bytes;
using tessera_test::from_bytes;

namespace {

// ---------------------------------------------------------------------------------------------
// The reference

enum class ref_metric { euclidean, sq_euclidean, manhattan };

double ref_distance(ref_metric m, const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t j = 0; j < a.size(); ++j) s += m == ref_metric::manhattan ? std::fabs(a[j] - b[j]) : (a[j] - b[j]) * (a[j] - b[j]);
    return m == ref_metric::euclidean ? std::sqrt(s) : s;
}

struct ref_neighbor {
    double distance;
    std::size_t row;
};

std::vector<ref_neighbor> ref_neighbors(const std::vector<std::vector<double>>& train, const std::vector<double>& q,
                                        std::size_t k, ref_metric m) {
    std::vector<ref_neighbor> all;
    for (std::size_t i = 0; i < train.size(); ++i) all.push_back({ref_distance(m, q, train[i]), i});
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.distance < b.distance; });
    all.resize(k);
    return all;
}

// scikit-learn's _get_weights, with a user function applied to each distance.
std::vector<double> ref_weights(const std::vector<ref_neighbor>& nb, const knn_options& o) {
    std::vector<double> w;
    if (const auto* f = std::get_if<tessera::knn_weight_function>(&o.weights)) {
        for (const auto& n : nb) w.push_back((*f)(n.distance));
        return w;
    }
    if (std::get<knn_weights>(o.weights) == knn_weights::uniform) return std::vector<double>(nb.size(), 1.0);
    bool any_zero = false;
    for (const auto& n : nb) any_zero = any_zero || n.distance == 0;
    for (const auto& n : nb) w.push_back(any_zero ? (n.distance == 0 ? 1.0 : 0.0) : 1.0 / n.distance);
    return w;
}

struct ref_vote {
    std::vector<double> totals;  // per class index
    std::size_t winner;
};

ref_vote ref_classify(const std::vector<ref_neighbor>& nb, const std::vector<std::size_t>& classes, std::size_t n_classes,
                      const knn_options& o) {
    const auto w = ref_weights(nb, o);
    ref_vote v{std::vector<double>(n_classes, 0.0), 0};
    for (std::size_t j = 0; j < nb.size(); ++j) v.totals[classes[nb[j].row]] += w[j];
    for (std::size_t c = 1; c < n_classes; ++c) {
        if (v.totals[c] > v.totals[v.winner]) v.winner = c;
    }
    return v;
}

template <class T>
tessera::dense_matrix<T> to_matrix(const std::vector<std::vector<double>>& rows, std::size_t cols) {
    tessera::dense_matrix<T> m(rows.size(), cols);
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t j = 0; j < cols; ++j) m(i, j) = static_cast<T>(rows[i][j]);
    return m;
}

// Rows of small integers (many equal distances) or of normal deviates.
std::vector<std::vector<double>> random_rows(std::size_t n, std::size_t d, tessera::random_engine& rng, bool integers) {
    std::vector<std::vector<double>> x(n, std::vector<double>(d));
    for (auto& r : x)
        for (auto& v : r) v = integers ? static_cast<double>(rng.between(0, 3)) : rng.normal();
    return x;
}

// Fits a classifier on random data and compares predict, predict_proba and kneighbors with the
// reference for queries that include copies of training rows (distance 0).
template <class T, class Metric>
void check_classifier(ref_metric m, const knn_options& o, std::size_t n, std::size_t d, std::size_t n_classes,
                      bool integers, std::uint64_t seed) {
    CAPTURE(n);
    CAPTURE(d);
    CAPTURE(o.k);
    CAPTURE(integers);
    tessera::random_engine rng(seed);
    const auto train = random_rows(n, d, rng, integers);
    auto queries = random_rows(37, d, rng, integers);
    for (std::size_t i = 0; i < queries.size(); i += 4) queries[i] = train[rng.below(n)];
    // Labels 10c - 7 drawn in random order, so that class order is not the order of appearance.
    std::vector<std::size_t> classes(n);
    std::vector<int> labels(n);
    for (std::size_t i = 0; i < n; ++i) {
        classes[i] = i < n_classes ? n_classes - 1 - i : static_cast<std::size_t>(rng.below(n_classes));
        labels[i] = 10 * static_cast<int>(classes[i]) - 7;
    }

    tessera::knn_classifier<int, T, Metric> model(o);
    model.fit(to_matrix<T>(train, d), labels);
    REQUIRE(model.n_classes() == n_classes);
    for (std::size_t c = 0; c < n_classes; ++c) CHECK(model.classes()[c] == 10 * static_cast<int>(c) - 7);
    CHECK(model.n_features() == d);
    CHECK(model.n_samples() == n);

    const auto q = to_matrix<T>(queries, d);
    const auto predicted = model.predict(q);
    const auto proba = model.predict_proba(q);
    const auto nb = model.kneighbors(q);
    REQUIRE(predicted.size() == queries.size());
    REQUIRE(proba.rows() == queries.size());
    REQUIRE(proba.cols() == n_classes);
    for (std::size_t i = 0; i < queries.size(); ++i) {
        CAPTURE(i);
        const auto ref = ref_neighbors(train, queries[i], o.k, m);
        for (std::size_t j = 0; j < o.k; ++j) {
            CHECK(nb.ids(i, j) == static_cast<tessera::neighbor_id>(ref[j].row));
            CHECK(static_cast<double>(nb.distances(i, j)) == doctest::Approx(ref[j].distance).epsilon(1e-6));
        }
        const auto v = ref_classify(ref, classes, n_classes, o);
        CHECK(predicted[i] == 10 * static_cast<int>(v.winner) - 7);
        const double total = std::accumulate(v.totals.begin(), v.totals.end(), 0.0);
        double sum = 0;
        for (std::size_t c = 0; c < n_classes; ++c) {
            CHECK(proba(i, c) == doctest::Approx(v.totals[c] / total).epsilon(1e-12));
            sum += proba(i, c);
        }
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
    }
}

// scikit-learn's r2_score with force_finite=True.
double ref_r2(const std::vector<double>& y, const std::vector<double>& pred) {
    const double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
    double res = 0, tot = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        res += (y[i] - pred[i]) * (y[i] - pred[i]);
        tot += (y[i] - mean) * (y[i] - mean);
    }
    return tot == 0 ? (res == 0 ? 1.0 : 0.0) : 1.0 - res / tot;
}

fs::path temp_file(const char* name) { return fs::temp_directory_path() / (std::string("tessera_test_knn_classifier_") + name); }


enum class garment : std::int16_t { coat = 40, shirt = -3, bag = 7 };

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("knn_classifier: predictions equal the brute-force reference") {
    for (const bool integers : {true, false}) {
        for (const std::size_t k : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{8}}) {
            for (const std::size_t d : {std::size_t{1}, std::size_t{3}, std::size_t{17}}) {
                for (const knn_weights w : {knn_weights::uniform, knn_weights::distance}) {
                    CAPTURE(static_cast<int>(w));
                    const knn_options o{.k = k, .weights = w};
                    check_classifier<double, tessera::euclidean>(ref_metric::euclidean, o, 60, d, 4, integers, 11 * k + d);
                    check_classifier<double, tessera::manhattan>(ref_metric::manhattan, o, 60, d, 3, integers, 13 * k + d);
                    check_classifier<double, tessera::sq_euclidean>(ref_metric::sq_euclidean, o, 45, d, 5, integers, 17 * k + d);
                }
                // float distances of small integers are exact; Euclidean weights 1/sqrt would
                // round differently from double, so float is checked with uniform votes there.
                if (integers) {
                    check_classifier<float, tessera::euclidean>(ref_metric::euclidean, {.k = k}, 60, d, 4, true, 19 * k + d);
                    check_classifier<float, tessera::manhattan>(ref_metric::manhattan, {.k = k, .weights = knn_weights::distance},
                                                                60, d, 4, true, 23 * k + d);
                }
            }
        }
    }
    // k equal to the number of training rows: every row votes.
    check_classifier<double, tessera::euclidean>(ref_metric::euclidean, {.k = 12, .weights = knn_weights::distance}, 12, 2,
                                                 3, false, 5);
}

TEST_CASE("knn_classifier: a user weight function") {
    const tessera::knn_weight_function f = [](double d) { return 1.0 / (1.0 + d * d); };
    for (const std::size_t k : {std::size_t{1}, std::size_t{4}, std::size_t{7}}) {
        check_classifier<double, tessera::euclidean>(ref_metric::euclidean, {.k = k, .weights = f}, 50, 5, 3, true, k);
        check_classifier<double, tessera::manhattan>(ref_metric::manhattan, {.k = k, .weights = f}, 50, 5, 3, false, k + 1);
    }
    // A plain lambda or function pointer is assigned to the options directly.
    knn_options o;
    o.weights = [](double d) { return std::exp(-d); };
    CHECK(std::holds_alternative<tessera::knn_weight_function>(o.weights));
    check_classifier<float, tessera::sq_euclidean>(ref_metric::sq_euclidean, o, 40, 3, 2, true, 99);
    // The weights may be 0 for some neighbours, as long as not for all of them.
    const tessera::knn_weight_function nearest_only = [](double d) { return d < 1.5 ? 1.0 : 0.0; };
    tessera::knn_classifier<int, double> model({.k = 3, .weights = nearest_only});
    model.fit(std::vector<std::vector<double>>{{0.0}, {1.0}, {2.0}, {3.0}}, std::vector<int>{1, 2, 2, 2});
    CHECK(model.predict(std::vector<std::vector<double>>{{0.0}})[0] == 1);  // rows at 1 and 2 weigh 1 and 0
}

TEST_CASE("knn_classifier: vote ties go to the smallest class, neighbour ties to the earlier row") {
    const std::vector<std::vector<float>> x{{0.0f}, {1.0f}};
    tessera::knn_classifier<int> uniform({.k = 2});
    uniform.fit(x, std::vector<int>{9, 4});
    // One vote each: class 4 wins although the row of class 9 is nearer.
    CHECK(uniform.predict(std::vector<std::vector<float>>{{0.25f}})[0] == 4);
    const auto p = uniform.predict_proba(std::vector<std::vector<float>>{{0.25f}});
    CHECK(p(0, 0) == 0.5);
    CHECK(p(0, 1) == 0.5);

    tessera::knn_classifier<int> weighted({.k = 2, .weights = knn_weights::distance});
    weighted.fit(x, std::vector<int>{9, 4});
    CHECK(weighted.predict(std::vector<std::vector<float>>{{0.25f}})[0] == 9);  // weights 4 against 4/3
    CHECK(weighted.predict(std::vector<std::vector<float>>{{0.5f}})[0] == 4);   // equal weights

    tessera::knn_classifier<std::string> text({.k = 2});
    text.fit(x, std::vector<std::string>{"b", "a"});
    CHECK(text.predict(std::vector<std::vector<float>>{{0.0f}})[0] == "a");

    // Rows 0 and 2 are equal and as far from the query as row 1: the earliest rows are taken.
    tessera::knn_classifier<int> dup({.k = 1});
    dup.fit(std::vector<std::vector<float>>{{1.0f}, {-1.0f}, {1.0f}}, std::vector<int>{3, 2, 1});
    CHECK(dup.predict(std::vector<std::vector<float>>{{0.0f}})[0] == 3);
    const auto nb = dup.kneighbors(std::vector<std::vector<float>>{{0.0f}});
    CHECK(nb.ids(0, 0) == 0);
}

TEST_CASE("knn_classifier: neighbours at distance 0 take all the weight") {
    // Two exact matches of different classes and three closer-than-most rows of a third class.
    const std::vector<std::vector<double>> x{{0.0}, {0.0}, {0.001}, {0.002}, {-0.001}};
    const std::vector<std::string> y{"b", "a", "c", "c", "c"};
    tessera::knn_classifier<std::string, double> weighted({.k = 5, .weights = knn_weights::distance});
    weighted.fit(x, y);
    const std::vector<std::vector<double>> q{{0.0}};
    CHECK(weighted.predict(q)[0] == "a");  // a and b tie at weight 1, c gets 0
    const auto p = weighted.predict_proba(q);
    CHECK(p(0, 0) == 0.5);
    CHECK(p(0, 1) == 0.5);
    CHECK(p(0, 2) == 0.0);
    tessera::knn_classifier<std::string, double> uniform({.k = 5});
    uniform.fit(x, y);
    CHECK(uniform.predict(q)[0] == "c");

    tessera::knn_regressor<double> reg({.k = 4, .weights = knn_weights::distance});
    reg.fit(x, std::vector<double>{1.0, 3.0, 100.0, 100.0, 100.0});
    CHECK(reg.predict(q)[0] == 2.0);
}

TEST_CASE("knn_classifier: labels of integer, enum and string type") {
    const std::vector<std::vector<float>> x{{0, 0}, {0, 1}, {5, 5}, {5, 6}, {9, 9}, {9, 8}};
    const std::vector<std::vector<float>> q{{0.2f, 0.4f}, {5.1f, 5.6f}, {8.8f, 8.9f}};

    tessera::knn_classifier<garment> by_enum({.k = 1});
    by_enum.fit(x, std::vector<garment>{garment::coat, garment::coat, garment::shirt, garment::shirt, garment::bag, garment::bag});
    REQUIRE(by_enum.n_classes() == 3);
    CHECK(by_enum.classes()[0] == garment::shirt);  // sorted by value: -3, 7, 40
    CHECK(by_enum.classes()[1] == garment::bag);
    CHECK(by_enum.classes()[2] == garment::coat);
    CHECK(by_enum.predict(q) == std::vector<garment>{garment::coat, garment::shirt, garment::bag});

    tessera::knn_classifier<std::string> by_string({.k = 1});
    by_string.fit(x, std::vector<std::string>{"pear", "pear", "Apple", "Apple", "fig", "fig"});
    CHECK(std::vector<std::string>(by_string.classes().begin(), by_string.classes().end()) ==
          std::vector<std::string>{"Apple", "fig", "pear"});  // byte order: upper case first
    CHECK(by_string.predict(q) == std::vector<std::string>{"pear", "Apple", "fig"});
    CHECK(by_string.score(q, std::vector<std::string>{"pear", "Apple", "fig"}) == 1.0);

    // const char* labels are stored as std::string: the model never points at the caller's text.
    tessera::knn_classifier<const char*> by_pointer({.k = 1});
    {
        std::vector<std::string> owned{"x", "x", "y", "y", "z", "z"};
        std::vector<const char*> pointers;
        for (const auto& s : owned) pointers.push_back(s.c_str());
        by_pointer.fit(x, pointers);
    }
    static_assert(std::is_same_v<decltype(by_pointer.predict(q)), std::vector<std::string>>);
    CHECK(by_pointer.predict(q) == std::vector<std::string>{"x", "y", "z"});

    // Labels from a range without size() or random access.
    tessera::knn_classifier<std::string> from_list({.k = 1});
    from_list.fit(x, std::forward_list<std::string>{"p", "p", "q", "q", "r", "r"});
    CHECK(from_list.predict(q) == std::vector<std::string>{"p", "q", "r"});

    tessera::knn_classifier<std::uint8_t> by_byte({.k = 1});
    by_byte.fit(x, std::vector<std::uint8_t>{7, 7, 0, 0, 255, 255});
    CHECK(by_byte.predict(q) == std::vector<std::uint8_t>{7, 0, 255});
}

TEST_CASE("knn_classifier: inputs as dense matrices, views and ranges of rows") {
    tessera::random_engine rng(3);
    const auto rows = random_rows(30, 4, rng, false);
    std::vector<int> y(30);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int>(i % 3);
    const auto m = to_matrix<float>(rows, 4);
    std::vector<std::vector<float>> nested;
    for (std::size_t i = 0; i < m.rows(); ++i) nested.emplace_back(m.row(i).begin(), m.row(i).end());
    std::vector<std::array<float, 4>> arrays(30);
    for (std::size_t i = 0; i < m.rows(); ++i) std::copy(m.row(i).begin(), m.row(i).end(), arrays[i].begin());

    tessera::knn_classifier<int> a({.k = 3, .weights = knn_weights::distance});
    tessera::knn_classifier<int> b({.k = 3, .weights = knn_weights::distance});
    tessera::knn_classifier<int> c({.k = 3, .weights = knn_weights::distance});
    a.fit(m, y);
    b.fit(nested, y);
    c.fit(arrays, std::array<int, 30>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
    const auto qm = to_matrix<float>(random_rows(20, 4, rng, false), 4);
    const auto expected = a.predict_proba(qm);
    for (const auto* model : {&b, &c}) {
        const auto got = model->predict_proba(qm.view());
        for (std::size_t i = 0; i < expected.rows(); ++i)
            for (std::size_t j = 0; j < expected.cols(); ++j) CHECK(got(i, j) == expected(i, j));
    }
    CHECK(a.predict(std::vector<std::vector<float>>{}).empty());
    CHECK(a.predict_proba(std::vector<std::vector<float>>{}).rows() == 0);
}

TEST_CASE("knn_classifier: results do not depend on the thread count") {
    tessera::random_engine rng(8);
    const auto train = to_matrix<float>(random_rows(700, 9, rng, true), 9);
    const auto q = to_matrix<float>(random_rows(300, 9, rng, true), 9);
    std::vector<int> y(700);
    for (auto& v : y) v = static_cast<int>(rng.below(4));
    tessera::knn_options o{.k = 6, .weights = knn_weights::distance};
    o.parallel.n_threads = 1;
    tessera::knn_classifier<int> one(o);
    o.parallel = {0, 7};
    tessera::knn_classifier<int> many(o);
    one.fit(train, y);
    many.fit(train, y);
    const auto a = one.predict_proba(q);
    const auto b = many.predict_proba(q);
    for (std::size_t i = 0; i < a.rows(); ++i)
        for (std::size_t j = 0; j < a.cols(); ++j) CHECK(a(i, j) == b(i, j));
}

TEST_CASE("knn_classifier: score is the accuracy; unknown labels count as wrong") {
    const std::vector<std::vector<float>> x{{0}, {1}, {10}, {11}};
    tessera::knn_classifier<int> model({.k = 1});
    model.fit(x, std::vector<int>{1, 1, 2, 2});
    const std::vector<std::vector<float>> q{{0.1f}, {10.2f}, {0.3f}, {11.0f}};
    CHECK(model.score(q, std::vector<int>{1, 2, 1, 2}) == 1.0);
    CHECK(model.score(q, std::vector<int>{1, 1, 1, 2}) == 0.75);
    CHECK(model.score(q, std::vector<int>{5, 2, 1, 2}) == 0.75);  // 5 was never seen: a wrong prediction
    CHECK(model.score(q, std::vector<int>{5, 5, 5, 5}) == 0.0);
    CHECK_THROWS_AS((void)model.score(q, std::vector<int>{1, 2}), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)model.score(std::vector<std::vector<float>>{}, std::vector<int>{}),
                         doctest::Contains("is empty"), tessera::invalid_argument);
}

TEST_CASE("knn_regressor: weighted means equal the reference, score is R^2") {
    for (const bool integers : {true, false}) {
        for (const std::size_t k : {std::size_t{1}, std::size_t{3}, std::size_t{6}}) {
            for (const auto& w : {knn_options{}.weights, std::variant<knn_weights, tessera::knn_weight_function>(knn_weights::distance),
                                  std::variant<knn_weights, tessera::knn_weight_function>(
                                      tessera::knn_weight_function([](double d) { return std::exp(-d); }))}) {
                CAPTURE(k);
                CAPTURE(integers);
                tessera::random_engine rng(k + (integers ? 100 : 0));
                const auto train = random_rows(50, 4, rng, integers);
                auto queries = random_rows(25, 4, rng, integers);
                queries[0] = train[3];
                std::vector<double> y(50);
                for (auto& v : y) v = 10 * rng.normal();
                const knn_options o{.k = k, .weights = w};
                tessera::knn_regressor<double> model(o);
                model.fit(to_matrix<double>(train, 4), y);
                const auto pred = model.predict(to_matrix<double>(queries, 4));
                std::vector<double> truth(queries.size());
                for (std::size_t i = 0; i < queries.size(); ++i) {
                    const auto nb = ref_neighbors(train, queries[i], k, ref_metric::euclidean);
                    const auto wt = ref_weights(nb, o);
                    double s = 0, t = 0;
                    for (std::size_t j = 0; j < k; ++j) {
                        s += wt[j] * y[nb[j].row];
                        t += wt[j];
                    }
                    CHECK(pred[i] == doctest::Approx(s / t).epsilon(1e-12));
                    truth[i] = s / t + std::sin(static_cast<double>(i));
                }
                CHECK(model.score(to_matrix<double>(queries, 4), truth) == doctest::Approx(ref_r2(truth, pred)).epsilon(1e-12));
            }
        }
    }
    // R^2 of constant targets: 1 when predicted exactly, else 0 (scikit-learn's force_finite).
    tessera::knn_regressor<float> flat({.k = 1});
    flat.fit(std::vector<std::vector<float>>{{0}, {1}}, std::vector<int>{2, 2});
    CHECK(flat.score(std::vector<std::vector<float>>{{0}, {1}}, std::vector<int>{2, 2}) == 1.0);
    CHECK(flat.score(std::vector<std::vector<float>>{{0}, {1}}, std::vector<float>{3, 3}) == 0.0);
    CHECK(flat.predict(std::vector<std::vector<float>>{{0.9f}})[0] == 2.0);
}

TEST_CASE("knn_classifier and knn_regressor: bad input is refused with clear errors") {
    using doctest::Contains;
    using rows = std::vector<std::vector<float>>;
    const rows x{{0, 0}, {1, 1}, {2, 2}};
    const std::vector<int> y{1, 2, 1};

    tessera::knn_classifier<int> unfitted;
    CHECK_THROWS_AS((void)unfitted.predict(x), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)unfitted.predict_proba(x), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)unfitted.score(x, y), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)unfitted.kneighbors(x), tessera::not_fitted_error);
    CHECK_THROWS_AS(unfitted.save(temp_file("unfitted")), tessera::not_fitted_error);
    CHECK_FALSE(unfitted.fitted());
    CHECK(unfitted.classes().empty());

    // Options.
    CHECK_THROWS_WITH_AS(tessera::knn_classifier<int>({.k = 0}).fit(x, y), Contains("'options.k': must be at least 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::knn_classifier<int>({.k = 7}).fit(x, y),
                         Contains("knn_classifier::fit: argument 'options.k': is 7 but X has only 3 rows"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::knn_regressor<>({.k = 4}).fit(x, y), Contains("is 4 but X has only 3 rows"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::knn_classifier<int>({.weights = tessera::knn_weight_function()}).fit(x, y),
                         Contains("empty std::function"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::knn_classifier<int>({.k = 1, .parallel = {-2, 0}}).fit(x, y), Contains("n_threads"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((tessera::knn_classifier<int, float, tessera::inner_product>({.k = 1, .weights = knn_weights::distance}).fit(x, y)),
                         Contains("similarity"), tessera::invalid_argument);

    // Data at fit.
    tessera::knn_classifier<int> model({.k = 2});
    CHECK_THROWS_WITH_AS(model.fit(rows{}, std::vector<int>{}), Contains("'X': is empty"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(rows{{}, {}}, std::vector<int>{1, 2}), Contains("no columns"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(x, std::vector<int>{1, 2}), Contains("'y': has 2 targets but X has 3 rows"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS(model.fit(rows{{0, 0}, {1}}, std::vector<int>{1, 2}), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS(model.fit(rows{{0, 0}, {1, std::nanf("")}}, std::vector<int>{1, 2}),
                         Contains("knn_classifier::fit: argument 'X': contains NaN at row 1, column 1"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(rows{{std::numeric_limits<float>::infinity(), 0}, {1, 1}}, std::vector<int>{1, 2}),
                         Contains("contains Inf at row 0, column 0"), tessera::invalid_argument);
    tessera::knn_regressor<> reg({.k = 1});
    CHECK_THROWS_WITH_AS(reg.fit(x, std::vector<double>{1, std::nan(""), 2}), Contains("'y'"), tessera::invalid_argument);

    // A failed fit leaves the fitted model as it was.
    model.fit(x, y);
    const auto before = model.predict_proba(x);
    CHECK_THROWS_AS(model.fit(rows{{0, 0}, {1, std::nanf("")}}, std::vector<int>{5, 6}), tessera::invalid_argument);
    CHECK_THROWS_AS(model.fit(rows{{0, 0, 0}}, std::vector<int>{5}), tessera::invalid_argument);  // k = 2 > 1 row
    REQUIRE(model.n_classes() == 2);
    CHECK(model.classes()[1] == 2);
    CHECK(model.n_features() == 2);
    const auto after = model.predict_proba(x);
    for (std::size_t i = 0; i < before.rows(); ++i)
        for (std::size_t j = 0; j < before.cols(); ++j) CHECK(after(i, j) == before(i, j));

    // Data at predict.
    CHECK_THROWS_WITH_AS((void)model.predict(rows{{1, 2, 3}}),
                         Contains("knn_classifier::predict: argument 'X': has 3 columns but the model was fitted on 2"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)model.predict_proba(rows{{1, std::nanf("")}}), Contains("knn_classifier::predict_proba"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS((void)reg.predict(x), tessera::not_fitted_error);
    reg.fit(x, std::vector<double>{1, 2, 3});
    CHECK_THROWS_AS((void)reg.predict(rows{{1}}), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)reg.score(rows{{1, 1}}, std::vector<double>{1}), Contains("at least 2"), tessera::invalid_argument);
    CHECK_THROWS_AS((void)reg.score(x, std::vector<double>{1, 2}), tessera::dimension_mismatch);

    // Weights a user function returns, checked at predict time. Row 1 is the second neighbour
    // of the query, at distance 1.27.
    for (const double bad : {-1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
        tessera::knn_classifier<int> f({.k = 2, .weights = [bad](double d) { return d > 0.5 ? bad : 1.0; }});
        f.fit(x, y);
        CHECK_THROWS_WITH_AS((void)f.predict(rows{{0.1f, 0.1f}}),
                             Contains(("the weight function returned " + std::to_string(bad) + " for the distance 1.27").c_str()),
                             tessera::invalid_argument);
        tessera::knn_regressor<> g({.k = 2, .weights = [bad](double d) { return d > 0.5 ? bad : 1.0; }});
        g.fit(x, y);
        CHECK_THROWS_WITH_AS((void)g.predict(rows{{0.1f, 0.1f}}), Contains("finite and non-negative"), tessera::invalid_argument);
    }
    tessera::knn_classifier<int> zero({.k = 2, .weights = [](double) { return 0.0; }});
    zero.fit(x, y);
    CHECK_THROWS_WITH_AS((void)zero.predict(x), Contains("every neighbour of row 0 of X has weight 0"), tessera::invalid_argument);
    // Finite rows whose distance overflows float: 1/inf weighs every neighbour 0.
    {
        const float big = std::numeric_limits<float>::max();
        tessera::knn_classifier<int> far({.k = 2, .weights = knn_weights::distance});
        far.fit(rows{{big, big}, {big, 0}}, std::vector<int>{1, 2});
        CHECK_THROWS_WITH_AS((void)far.predict(rows{{-big, -big}}), Contains("argument 'X': the distance from row 0 of X to its nearest neighbour overflowed to inf"),
                             tessera::invalid_argument);
        tessera::knn_classifier<int> uniform({.k = 2});
        uniform.fit(rows{{big, big}, {big, 0}}, std::vector<int>{1, 2});
        CHECK(uniform.predict(rows{{-big, -big}}).size() == 1);
    }
    // 1/d is no weight for a negative "distance".
    tessera::knn_classifier<int, float, tessera::negative_inner_product> neg({.k = 1, .weights = knn_weights::distance});
    neg.fit(x, y);
    CHECK_THROWS_WITH_AS((void)neg.predict(rows{{1, 1}}), Contains("negative value"), tessera::invalid_argument);
    // Weights of huge but finite values are scaled before they are summed.
    tessera::knn_classifier<int> huge({.k = 3, .weights = [](double d) { return d < 2 ? 1e308 : 0.5e308; }});
    huge.fit(x, y);
    const auto p = huge.predict_proba(rows{{0, 0}});
    CHECK(p(0, 0) == doctest::Approx(0.6));
    CHECK(p(0, 1) == doctest::Approx(0.4));
}

// ---------------------------------------------------------------------------------------------
// Save and load

TEST_CASE("knn_classifier and knn_regressor: save and load") {
    tessera::random_engine rng(21);
    const auto train = to_matrix<float>(random_rows(80, 6, rng, false), 6);
    const auto q = to_matrix<float>(random_rows(40, 6, rng, false), 6);
    std::vector<std::string> names(80);
    std::vector<garment> kinds(80);
    std::vector<double> targets(80);
    for (std::size_t i = 0; i < 80; ++i) {
        names[i] = std::string(1 + i % 3, static_cast<char>('x' + i % 3));
        kinds[i] = std::array<garment, 3>{garment::coat, garment::shirt, garment::bag}[i % 3];
        targets[i] = rng.normal();
    }
    const fs::path file = temp_file("model");

    knn_options o{.k = 4, .weights = knn_weights::distance};
    o.parallel = {1, 16};
    tessera::knn_classifier<std::string, float, tessera::manhattan> text(o);
    text.fit(train, names);
    text.save(file);
    const auto text2 = decltype(text)::load(file);
    CHECK(text2.predict(q) == text.predict(q));
    CHECK(std::ranges::equal(text2.classes(), text.classes()));
    CHECK(text2.get_options().k == 4);
    CHECK(std::get<knn_weights>(text2.get_options().weights) == knn_weights::distance);
    CHECK(text2.get_options().parallel.n_threads == 1);
    CHECK(text2.get_options().parallel.block_size == 16);
    CHECK(text2.n_features() == 6);
    CHECK(text2.n_samples() == 80);
    const auto pa = text.predict_proba(q);
    const auto pb = text2.predict_proba(q);
    for (std::size_t i = 0; i < pa.rows(); ++i)
        for (std::size_t j = 0; j < pa.cols(); ++j) CHECK(pa(i, j) == pb(i, j));

    tessera::knn_classifier<garment, double> by_enum({.k = 3});
    by_enum.fit(to_matrix<double>(random_rows(80, 2, rng, true), 2), kinds);
    const auto by_enum2 = from_bytes<decltype(by_enum)>(archive_bytes(by_enum));
    const auto qd = to_matrix<double>(random_rows(30, 2, rng, true), 2);
    CHECK(by_enum2.predict(qd) == by_enum.predict(qd));

    tessera::knn_regressor<float> reg({.k = 5, .weights = knn_weights::uniform});
    reg.fit(train, targets);
    const auto reg2 = from_bytes<decltype(reg)>(archive_bytes(reg));
    CHECK(reg2.predict(q) == reg.predict(q));

    // Another kind, element type, metric or label type is refused.
    CHECK_THROWS_WITH_AS((void)tessera::knn_regressor<float>::load(file), doctest::Contains("expected a 'knn_regressor'"),
                         tessera::format_error);
    CHECK_THROWS_AS((void)(tessera::knn_classifier<std::string, double, tessera::manhattan>::load(file)), tessera::format_error);
    CHECK_THROWS_WITH_AS((void)(tessera::knn_classifier<std::string, float, tessera::euclidean>::load(file)),
                         doctest::Contains("saved with metric 'manhattan', loading as 'euclidean'"), tessera::format_error);
    CHECK_THROWS_WITH_AS((void)(tessera::knn_classifier<int, float, tessera::manhattan>::load(file)),
                         doctest::Contains("saved with labels of type 'string', loading as 'i32'"), tessera::format_error);
    const auto enum_bytes = archive_bytes(by_enum);
    CHECK_THROWS_WITH_AS(((void)from_bytes<tessera::knn_classifier<std::int16_t, double>>(enum_bytes)),
                         doctest::Contains("'enum i16', loading as 'i16'"), tessera::format_error);
    CHECK_THROWS_AS((void)tessera::knn_classifier<int>::load(temp_file("does_not_exist")), tessera::io_error);

    // A user weight function cannot be saved.
    tessera::knn_classifier<int> custom({.k = 1, .weights = [](double d) { return 1 / (1 + d); }});
    custom.fit(train, std::vector<int>(80, 1));
    CHECK_THROWS_WITH_AS(custom.save(file), doctest::Contains("user weight function, which cannot be saved"),
                         tessera::invalid_argument);
    tessera::archive_writer w(custom.header());
    CHECK_THROWS_AS(custom.write_to(w), tessera::invalid_argument);
    tessera::knn_regressor<> custom_reg({.k = 1, .weights = [](double d) { return 1 / (1 + d); }});
    custom_reg.fit(train, targets);
    CHECK_THROWS_AS(custom_reg.save(file), tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::knn_regressor<>().save(file), tessera::not_fitted_error);
    fs::remove(file);
}

TEST_CASE("knn_classifier and knn_regressor: truncated, corrupt and extended archives") {
    tessera::knn_classifier<int> model({.k = 2});
    model.fit(std::vector<std::vector<float>>{{0, 1}, {2, 3}, {4, 5}}, std::vector<int>{7, 8, 7});
    tessera::knn_regressor<> reg({.k = 2});
    reg.fit(std::vector<std::vector<float>>{{0, 1}, {2, 3}, {4, 5}}, std::vector<double>{1, 2, 3});
    const auto check_all = [](const std::vector<std::byte>& bytes, auto tag) {
        using model_type = typename decltype(tag)::type;
        CHECK_NOTHROW((void)from_bytes<model_type>(bytes));
        for (std::size_t keep = 0; keep < bytes.size(); ++keep) {
            CAPTURE(keep);
            CHECK_THROWS_AS((void)from_bytes<model_type>(std::vector<std::byte>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep))),
                            tessera::format_error);
        }
        for (std::size_t at = 0; at < bytes.size(); ++at) {
            CAPTURE(at);
            auto broken = bytes;
            broken[at] ^= std::byte{0x20};
            CHECK_THROWS_AS((void)from_bytes<model_type>(broken), tessera::format_error);
        }
    };
    check_all(archive_bytes(model), std::type_identity<tessera::knn_classifier<int>>());
    check_all(archive_bytes(reg), std::type_identity<tessera::knn_regressor<>>());

    // A file with bytes after the archive.
    const fs::path file = temp_file("extended");
    model.save(file);
    std::ofstream(file, std::ios::binary | std::ios::app).put('x');
    CHECK_THROWS_WITH_AS((void)tessera::knn_classifier<int>::load(file), doctest::Contains("after the archive"), tessera::format_error);
    fs::remove(file);
}

namespace {
// The classifier's payload, field by field as write_to writes it, so that inconsistent content
// can be given a valid checksum.
struct payload {
    std::string labels = "i32";
    std::vector<std::int32_t> classes{7, 8};
    std::string metric = "euclidean";
    std::uint64_t k = 2;
    std::uint8_t weights = 0;
    std::int32_t threads = 0;
    std::uint64_t block = 0;
    std::uint8_t algorithm = 0;
    tessera::dense_matrix<float> rows{{0, 1}, {2, 3}, {4, 5}};
    std::vector<std::uint32_t> targets{0, 1, 0};
    bool extra = false;

    [[nodiscard]] std::vector<std::byte> bytes() const {
        tessera::archive_writer w(tessera::knn_classifier<int>::header());
        w.write_string(labels);
        w.write<std::uint64_t>(classes.size());
        for (const auto c : classes) w.write(c);
        w.write_string(metric);
        w.write(k);
        w.write(weights);
        w.write(threads);
        w.write(block);
        w.write(algorithm);
        w.write_matrix(rows.view());
        w.write_span(std::span<const std::uint32_t>(targets));
        if (extra) w.write<std::uint8_t>(0);
        return w.bytes();
    }
};
}  // namespace

TEST_CASE("knn_classifier: archives with a valid checksum but inconsistent content") {
    using model_type = tessera::knn_classifier<int>;
    const auto good = from_bytes<model_type>(payload{}.bytes());
    CHECK(good.predict(std::vector<std::vector<float>>{{0, 1}})[0] == 7);
    CHECK(good.n_classes() == 2);

    const auto refused = [](const payload& p, const char* why) {
        CAPTURE(why);
        CHECK_THROWS_WITH_AS((void)from_bytes<model_type>(p.bytes()), doctest::Contains(why), tessera::format_error);
    };
    payload p;
    p.k = 0;
    refused(p, "k is 0 for 3 training rows");
    p.k = 4;
    refused(p, "k is 4 for 3 training rows");
    p = {};
    p.weights = 2;
    refused(p, "unknown weighting 2");
    p = {};
    p.threads = -1;
    refused(p, "n_threads");
    p = {};
    p.algorithm = 3;
    refused(p, "unknown algorithm 3");
    p = {};
    p.rows = tessera::dense_matrix<float>(0, 2);
    p.targets.clear();
    refused(p, "training rows are empty");
    p = {};
    p.rows(1, 1) = std::numeric_limits<float>::quiet_NaN();
    refused(p, "contains NaN at row 1, column 1");
    p = {};
    p.targets = {0, 1};
    refused(p, "2 targets for 3 training rows");
    p = {};
    p.targets = {0, 2, 1};
    refused(p, "class index 2 out of range");
    p = {};
    p.targets = {0, 0, 0};
    refused(p, "class 8 has no training rows");
    p = {};
    p.classes = {8, 7};
    refused(p, "not strictly sorted");
    p = {};
    p.classes = {};
    refused(p, "class list is empty");
    p = {};
    p.metric = "manhattan";
    refused(p, "saved with metric 'manhattan'");
    p = {};
    p.labels = "u8";
    refused(p, "labels of type 'u8'");
    p = {};
    p.extra = true;
    refused(p, "left undecoded");
}

TEST_CASE("knn_regressor: archives with inconsistent targets") {
    const auto bytes = [](const std::vector<double>& targets) {
        tessera::archive_writer w(tessera::knn_regressor<>::header());
        w.write_string("euclidean");
        w.write<std::uint64_t>(1);
        w.write<std::uint8_t>(1);
        w.write<std::int32_t>(0);
        w.write<std::uint64_t>(0);
        w.write<std::uint8_t>(0);
        const tessera::dense_matrix<float> rows{{0, 1}, {2, 3}};
        w.write_matrix(rows.view());
        w.write_span(std::span<const double>(targets));
        return w.bytes();
    };
    CHECK(from_bytes<tessera::knn_regressor<>>(bytes({1.5, 2.5})).predict(std::vector<std::vector<float>>{{2, 3}})[0] == 2.5);
    CHECK_THROWS_WITH_AS((void)from_bytes<tessera::knn_regressor<>>(bytes({1.5})), doctest::Contains("1 targets for 2"),
                         tessera::format_error);
    CHECK_THROWS_WITH_AS((void)from_bytes<tessera::knn_regressor<>>(bytes({1.5, std::numeric_limits<double>::infinity()})),
                         doctest::Contains("target 1 is not finite"), tessera::format_error);
}

// ---------------------------------------------------------------------------------------------
// Allocators

using tessera_test::counting_resource;

TEST_CASE("knn_classifier: the model's memory comes from its allocator") {
    using alloc = std::pmr::polymorphic_allocator<float>;
    counting_resource resource;
    tessera::random_engine rng(4);
    const auto train = to_matrix<float>(random_rows(200, 16, rng, false), 16);
    std::vector<std::string> y(200);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = "class " + std::to_string(i % 4);

    tessera::knn_classifier<std::string, float, tessera::euclidean, alloc> model({.k = 3}, {}, alloc(&resource));
    model.fit(train, y);
    CHECK(resource.bytes >= 200 * 16 * sizeof(float) + 200 * sizeof(tessera::class_index));
    CHECK(model.get_allocator().resource() == &resource);
    tessera::knn_classifier<std::string> plain({.k = 3});
    plain.fit(train, y);
    const auto q = to_matrix<float>(random_rows(20, 16, rng, false), 16);
    CHECK(model.predict(q) == plain.predict(q));

    tessera::archive_writer w(model.header());
    model.write_to(w);
    const auto bytes = w.bytes();
    tessera::archive_reader r(std::span<const std::byte>(bytes), model.header());
    const std::size_t before = resource.bytes;
    const auto loaded = decltype(model)::read_from(r, {}, alloc(&resource));
    CHECK(resource.bytes > before);
    CHECK(loaded.predict(q) == plain.predict(q));
}

// ---------------------------------------------------------------------------------------------
// Fashion-MNIST

namespace {

// Debug builds run the distance kernels unoptimised, about 30 times slower than -O2, so they
// check fewer test images and leave the full 10,000 x 60,000 run to optimised builds.
#if defined(__OPTIMIZE__) || defined(NDEBUG)
constexpr bool optimised_build = true;
#else
constexpr bool optimised_build = false;
#endif

struct fashion_mnist {
    tessera::dense_matrix<float> train_x, test_x;
    std::vector<std::uint8_t> train_y, test_y;
};

// The data (read once for both tests), or nullptr after a MESSAGE saying why the test is skipped.
const fashion_mnist* load_fashion_mnist(const char* what) {
    const auto dir = tessera_test::data_dir(what);
    if (!dir || !tessera_test::gzip_available(what)) return nullptr;
    static const fashion_mnist data = [&dir] {
        const fs::path d = *dir / "fashion-mnist";
        // Pixels 0..255 converted to float without scaling, as scikit-learn was given them.
        return fashion_mnist{tessera::read_idx_images<float>(d / "train-images-idx3-ubyte.gz"),
                             tessera::read_idx_images<float>(d / "t10k-images-idx3-ubyte.gz"),
                             tessera::read_idx_labels(d / "train-labels-idx1-ubyte.gz"),
                             tessera::read_idx_labels(d / "t10k-labels-idx1-ubyte.gz")};
    }();
    return &data;
}

// The first `records` records of a gzip-compressed .ivecs file (little-endian int32 count,
// then that many int32).
std::vector<std::vector<std::int32_t>> read_ivecs(const fs::path& path, std::size_t records) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    tessera::detail::byte_source src(in);
    const auto read_i32 = [&src] {
        std::array<unsigned char, 4> b{};
        REQUIRE(src.read(b.data(), 4) == 4);
        return static_cast<std::int32_t>(std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
                                         std::uint32_t{b[3]} << 24);
    };
    std::vector<std::vector<std::int32_t>> out(records);
    for (auto& r : out) {
        r.resize(static_cast<std::size_t>(read_i32()));
        for (auto& v : r) v = read_i32();
    }
    return out;
}

}  // namespace

TEST_CASE("data: Fashion-MNIST k = 5, Euclidean, uniform votes: the exact neighbour lists and scikit-learn's 0.8554") {
    const auto data = load_fashion_mnist("Fashion-MNIST k-NN classification check");
    if (!data) return;
    tessera::knn_classifier<std::uint8_t> model;  // k = 5, Euclidean, uniform: scikit-learn's defaults
    model.fit(data->train_x, data->train_y);

    // The first test images against the exact top-100 lists of fashion-mnist-ann/: the same
    // neighbours (ties there are ordered by training index too), the same distances, and the
    // vote of the listed neighbours' labels with ties to the smallest label.
    const std::size_t n = optimised_build ? 2000 : 40;
    const fs::path ann = fs::path(std::getenv("TESSERA_DATA_DIR")) / "fashion-mnist-ann";
    const auto ids = read_ivecs(ann / "fashion-mnist-test-vs-train-l2-k100.neighbors.ivecs.gz", n);
    const auto sq = read_ivecs(ann / "fashion-mnist-test-vs-train-l2-k100.sqdist.ivecs.gz", n);
    const auto subset = data->test_x.view().row_block(0, n);
    const auto nb = model.kneighbors(subset);
    const auto predicted = optimised_build ? model.predict(data->test_x) : model.predict(subset);
    std::size_t id_mismatches = 0, distance_mismatches = 0, vote_mismatches = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::array<int, 10> votes{};
        for (std::size_t j = 0; j < 5; ++j) {
            if (nb.ids(i, j) != ids[i][j]) ++id_mismatches;
            // Squared distances of integer pixels are exact in float below 2^24; the square
            // root is correctly rounded.
            if (nb.distances(i, j) != std::sqrt(static_cast<float>(sq[i][j]))) ++distance_mismatches;
            ++votes[data->train_y[static_cast<std::size_t>(ids[i][j])]];
        }
        const auto expected = static_cast<std::uint8_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
        if (predicted[i] != expected) ++vote_mismatches;
    }
    CHECK(id_mismatches == 0);
    CHECK(distance_mismatches == 0);
    CHECK(vote_mismatches == 0);

    if (!optimised_build) {
        MESSAGE("Debug build: checked the first " << n << " test images; the full test set (accuracy 0.8554) is "
                "checked by optimised builds and by examples/fashion_mnist_knn");
        return;
    }
    // scikit-learn 1.2.1, KNeighborsClassifier(n_neighbors=5, algorithm="brute") on the same
    // raw pixels: 0.8554 (fashion-mnist/ANCHORS.md).
    std::size_t right = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == data->test_y[i] ? 1 : 0;
    CHECK(right == 8554);
}

TEST_CASE("data: Fashion-MNIST k = 5, Manhattan, 1/distance votes equal an exact integer reference") {
    const auto data = load_fashion_mnist("Fashion-MNIST Manhattan k-NN check");
    if (!data) return;
    tessera::knn_classifier<std::uint8_t, float, tessera::manhattan> model({.k = 5, .weights = knn_weights::distance});
    model.fit(data->train_x, data->train_y);
    // The whole test set takes about a minute on two cores, so it is run (and reported as
    // 0.8615) by examples/fashion_mnist_knn --manhattan; here the first test images.
    const std::size_t n = optimised_build ? 100 : 8;
    const auto predicted = model.predict(data->test_x.view().row_block(0, n));
    // The reference works on the pixels as bytes, in integers: exact sums, exact ties.
    const std::size_t rows = data->train_x.rows(), dim = data->train_x.cols();
    std::vector<std::uint8_t> train(rows * dim);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < dim; ++j) train[r * dim + j] = static_cast<std::uint8_t>(data->train_x(r, j));
    std::vector<std::uint8_t> q(dim);
    std::vector<std::pair<std::int32_t, std::size_t>> all(rows);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < dim; ++j) q[j] = static_cast<std::uint8_t>(data->test_x(i, j));
        for (std::size_t r = 0; r < rows; ++r) {
            const std::uint8_t* x = train.data() + r * dim;
            std::int32_t s = 0;
            for (std::size_t j = 0; j < dim; ++j) s += std::abs(std::int32_t{q[j]} - std::int32_t{x[j]});
            all[r] = {s, r};
        }
        std::partial_sort(all.begin(), all.begin() + 5, all.end());
        REQUIRE(all[0].first > 0);  // no test image is in the training set
        std::array<double, 10> totals{};
        for (std::size_t j = 0; j < 5; ++j) totals[data->train_y[all[j].second]] += 1.0 / static_cast<double>(all[j].first);
        CAPTURE(i);
        CHECK(predicted[i] == std::max_element(totals.begin(), totals.end()) - totals.begin());
    }
}

TEST_CASE("knn_classifier: brute force and the kd-tree give the same predictions; automatic picks by width") {
    tessera::random_engine rng(77);
    for (const std::size_t d : {3u, 12u}) {
        CAPTURE(d);
        tessera::dense_matrix<float> x(400, d), q(60, d);
        std::vector<int> y(400);
        for (std::size_t i = 0; i < x.rows(); ++i) {
            for (auto& v : x.row(i)) v = static_cast<float>(rng.between(0, 4));  // many ties
            y[i] = static_cast<int>(rng.below(3));
        }
        for (std::size_t i = 0; i < q.rows(); ++i)
            for (auto& v : q.row(i)) v = static_cast<float>(rng.between(0, 4));
        std::vector<std::vector<int>> predictions;
        for (const auto algorithm : {tessera::knn_algorithm::brute, tessera::knn_algorithm::kd_tree,
                                     tessera::knn_algorithm::automatic}) {
            tessera::knn_classifier<int> clf({.k = 7, .weights = tessera::knn_weights::distance, .algorithm = algorithm});
            clf.fit(x, y);
            if (algorithm == tessera::knn_algorithm::automatic) {
                CHECK(clf.algorithm_in_use() == (d <= tessera::knn_kd_tree_max_features ? tessera::knn_algorithm::kd_tree
                                                                                        : tessera::knn_algorithm::brute));
            } else {
                CHECK(clf.algorithm_in_use() == algorithm);
            }
            predictions.push_back(clf.predict(q));
            // Saved and loaded, the model answers the same (rows are saved in training order).
            tessera::archive_writer w(decltype(clf)::header());
            clf.write_to(w);
            const auto bytes = w.bytes();
            tessera::archive_reader r(std::span<const std::byte>(bytes), decltype(clf)::header());
            CHECK(decltype(clf)::read_from(r).predict(q) == predictions.back());
        }
        CHECK(predictions[0] == predictions[1]);
        CHECK(predictions[0] == predictions[2]);
    }
    tessera::knn_classifier<int, float, tessera::cosine_distance> cosine({.algorithm = tessera::knn_algorithm::kd_tree});
    const std::vector<std::vector<float>> x{{1, 0}, {0, 1}, {1, 1}, {2, 1}, {1, 2}};
    const std::vector<int> y{0, 1, 0, 1, 0};
    CHECK_THROWS_WITH_AS(cosine.fit(x, y), doctest::Contains("argument 'options.algorithm': is kd_tree"),
                         tessera::invalid_argument);
}
