// The roles of compose/roles.hpp: which concepts every tessera model satisfies, and does not,
// checked at compile time; and users' own types that satisfy a role composing with tessera's
// pieces.
#include <tessera/compose/pipeline.hpp>
#include <tessera/compose/roles.hpp>
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/neighbors/knn_classifier.hpp>
#include <tessera/neighbors/knn_index.hpp>
#include <tessera/preprocessing/one_hot_encoder.hpp>
#include <tessera/preprocessing/scalers.hpp>
#include <tessera/preprocessing/simple_imputer.hpp>
#include <tessera/text/count_vectorizer.hpp>
#include <tessera/text/hashing_vectorizer.hpp>
#include <tessera/text/tfidf.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using tessera::classifier;
using tessera::incremental;
using tessera::probabilistic_classifier;
using tessera::recommender;
using tessera::regressor;
using tessera::scorable;
using tessera::serializable;
using tessera::supervised;
using tessera::transformer;

using dense_d = tessera::dense_matrix<double>;
using dense_f = tessera::dense_matrix<float>;
using csr_d = tessera::csr_matrix<double, std::int32_t>;
using csr_f = tessera::csr_matrix<float, std::int32_t>;
using docs = std::vector<std::string>;
using labels = std::vector<int>;

// The row of the role table: every concept, for one model and its data.
template <class M, class X, class Y>
struct roles_of {
    static constexpr bool is_transformer = transformer<M, X>;
    static constexpr bool is_supervised = supervised<M, X, Y>;
    static constexpr bool is_classifier = classifier<M, X, Y>;
    static constexpr bool is_probabilistic = probabilistic_classifier<M, X, Y>;
    static constexpr bool is_regressor = regressor<M, X>;
    static constexpr bool is_incremental = incremental<M, X, Y>;
    static constexpr bool is_serializable = serializable<M>;
    static constexpr bool is_recommender = recommender<M>;
};

// The roles a model is expected to have, as one comparable value.
struct expected {
    bool transformer, supervised, classifier, probabilistic, regressor, incremental, serializable, recommender;
};

template <class M, class X, class Y = labels>
constexpr bool has_exactly(expected e) {
    using r = roles_of<M, X, Y>;
    return r::is_transformer == e.transformer && r::is_supervised == e.supervised && r::is_classifier == e.classifier &&
           r::is_probabilistic == e.probabilistic && r::is_regressor == e.regressor &&
           r::is_incremental == e.incremental && r::is_serializable == e.serializable &&
           r::is_recommender == e.recommender;
}

//                                         transf. superv. class.  proba.  regr.   incr.   serial. recomm.
constexpr expected online_classifier{false, true, true, true, false, true, true, false};
constexpr expected batch_classifier{false, true, true, true, false, false, true, false};
constexpr expected a_transformer{true, false, false, false, false, false, true, false};
constexpr expected a_regressor{false, true, false, false, true, false, true, false};
constexpr expected nothing{false, false, false, false, false, false, false, false};
constexpr expected saveable_only{false, false, false, false, false, false, true, false};

// ---- naive Bayes: probabilistic, incremental classifiers; the discrete ones read CSR too.
static_assert(has_exactly<tessera::gaussian_nb<int>, dense_d>(online_classifier));
static_assert(has_exactly<tessera::gaussian_nb<int, float>, dense_f>(online_classifier));
static_assert(has_exactly<tessera::gaussian_nb<std::string>, dense_d, docs>(online_classifier));
static_assert(has_exactly<tessera::multinomial_nb<int>, dense_d>(online_classifier));
static_assert(has_exactly<tessera::multinomial_nb<int>, csr_d>(online_classifier));
static_assert(has_exactly<tessera::bernoulli_nb<int>, csr_d>(online_classifier));
static_assert(has_exactly<tessera::complement_nb<int>, csr_d>(online_classifier));
// Element types must match: a double model does not read float rows (no silent conversion).
static_assert(!classifier<tessera::multinomial_nb<int, double>, csr_f>);
static_assert(!classifier<tessera::gaussian_nb<int, double>, dense_f>);

// ---- logistic regression: probabilistic, not incremental; dense or CSR.
static_assert(has_exactly<tessera::logistic_regression<int>, dense_d>(batch_classifier));
static_assert(has_exactly<tessera::logistic_regression<int>, csr_d>(batch_classifier));
static_assert(has_exactly<tessera::logistic_regression<int, float>, dense_f>(batch_classifier));
static_assert(!classifier<tessera::logistic_regression<int, float>, dense_d>);

// ---- k-NN: dense only.
static_assert(has_exactly<tessera::knn_classifier<int, float>, dense_f>(batch_classifier));
static_assert(has_exactly<tessera::knn_classifier<int, double>, dense_d>(batch_classifier));
static_assert(has_exactly<tessera::knn_classifier<int, double>, csr_d>(saveable_only));
static_assert(has_exactly<tessera::knn_regressor<float>, dense_f, std::vector<double>>(a_regressor));
static_assert(!classifier<tessera::knn_regressor<float>, dense_f, std::vector<double>>);
// A container is no model at all.
static_assert(has_exactly<std::vector<double>, dense_d>(nothing));
// An index searches; it is none of these roles (it has no fit(x, y) or predict).
static_assert(has_exactly<tessera::knn_index<float>, dense_f>(saveable_only));

// ---- preprocessing and text: transformers.
static_assert(has_exactly<tessera::standard_scaler<double>, dense_d>(a_transformer));
static_assert(has_exactly<tessera::standard_scaler<float>, csr_f>(a_transformer));
static_assert(has_exactly<tessera::min_max_scaler<double>, dense_d>(a_transformer));
static_assert(has_exactly<tessera::max_abs_scaler<double>, csr_d>(a_transformer));
static_assert(!transformer<tessera::standard_scaler<double>, dense_f>);
static_assert(has_exactly<tessera::simple_imputer<double>, dense_d>(a_transformer));
static_assert(!transformer<tessera::simple_imputer<double>, csr_d>);
static_assert(has_exactly<tessera::one_hot_encoder<std::string>, std::vector<std::vector<std::string>>>(a_transformer));
static_assert(has_exactly<tessera::one_hot_encoder<int>, tessera::dense_matrix<int>>(a_transformer));
static_assert(!transformer<tessera::one_hot_encoder<int>, dense_d>);  // floating values are no categories
static_assert(has_exactly<tessera::count_vectorizer<>, docs>(a_transformer));
static_assert(has_exactly<tessera::tfidf_vectorizer<>, docs>(a_transformer));
static_assert(has_exactly<tessera::hashing_vectorizer<>, docs>(a_transformer));
static_assert(has_exactly<tessera::tfidf_transformer<>, tessera::csr_matrix<double, std::int32_t>>(a_transformer));
static_assert(!transformer<tessera::count_vectorizer<>, dense_d>);

// ---- pipelines: the last step's roles, when the chain is well-formed.
using scaled_logistic = tessera::pipeline<tessera::standard_scaler<double>, tessera::logistic_regression<int>>;
static_assert(has_exactly<scaled_logistic, dense_d>(batch_classifier));
static_assert(std::same_as<scaled_logistic::label_type, int>);
static_assert(std::same_as<scaled_logistic::value_type, double>);

using text_nb = tessera::pipeline<tessera::tfidf_vectorizer<>, tessera::multinomial_nb<std::string>>;
static_assert(has_exactly<text_nb, docs, docs>(batch_classifier));  // partial_fit is not forwarded

using two_scalers = tessera::pipeline<tessera::max_abs_scaler<double>, tessera::standard_scaler<double>>;
static_assert(has_exactly<two_scalers, dense_d>(a_transformer));
static_assert(has_exactly<tessera::pipeline<tessera::standard_scaler<double>, tessera::knn_regressor<double>>, dense_d,
                          std::vector<double>>(a_regressor));

// Broken chains model nothing, whatever the last step is.
using model_first = tessera::pipeline<tessera::logistic_regression<int>, tessera::standard_scaler<double>>;
static_assert(has_exactly<model_first, dense_d>(saveable_only));
using sparse_into_knn = tessera::pipeline<tessera::tfidf_vectorizer<>, tessera::knn_classifier<int, double>>;
static_assert(has_exactly<sparse_into_knn, docs>(saveable_only));
using float_after_double = tessera::pipeline<tessera::standard_scaler<double>, tessera::logistic_regression<int, float>>;
static_assert(has_exactly<float_after_double, dense_d>(batch_classifier) == false);
static_assert(!supervised<float_after_double, dense_d> && !classifier<float_after_double, dense_d>);

// ---- users' types -------------------------------------------------------------------------

// A user's transformer: adds a learnt constant to every value. It satisfies transformer (and
// so opens a pipeline) without deriving from anything of tessera's.
struct shift_by_mean {
    double shift = 0;
    void fit(const dense_d& x) {
        double s = 0;
        for (std::size_t i = 0; i < x.rows(); ++i) {
            for (std::size_t j = 0; j < x.cols(); ++j) s += x(i, j);
        }
        shift = -s / static_cast<double>(x.rows() * x.cols());
    }
    [[nodiscard]] dense_d transform(const dense_d& x) const {
        dense_d out(x.rows(), x.cols());
        for (std::size_t i = 0; i < x.rows(); ++i) {
            for (std::size_t j = 0; j < x.cols(); ++j) out(i, j) = x(i, j) + shift;
        }
        return out;
    }
};
static_assert(transformer<shift_by_mean, dense_d> && !serializable<shift_by_mean>);

// A user's classifier: predicts the majority class of the training labels.
struct majority {
    using label_type = int;
    std::vector<int> seen;
    int best = 0;
    void fit(const dense_d&, const std::vector<int>& y) {
        seen = y;
        int best_count = -1;
        for (const int c : y) {
            const auto n = static_cast<int>(std::count(y.begin(), y.end(), c));
            if (n > best_count || (n == best_count && c < best)) {
                best = c;
                best_count = n;
            }
        }
    }
    [[nodiscard]] std::vector<int> predict(const dense_d& x) const { return std::vector<int>(x.rows(), best); }
    [[nodiscard]] std::vector<int> classes() const { return {best}; }
};
static_assert(has_exactly<majority, dense_d>({false, true, true, false, false, false, false, false}));

// A user's recommender.
struct most_popular {
    std::vector<std::size_t> order{2, 0, 1};
    [[nodiscard]] std::vector<std::size_t> recommend(std::size_t, std::size_t n) const {
        return {order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(n, order.size()))};
    }
    [[nodiscard]] std::size_t n_users() const { return 1; }
    [[nodiscard]] std::size_t n_items() const { return order.size(); }
};
static_assert(recommender<most_popular> && !classifier<most_popular, dense_d>);

}  // namespace

TEST_CASE("a user's transformer and classifier compose with tessera's steps") {
    dense_d x(4, 2);
    const double v[4][2] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
    for (std::size_t i = 0; i < 4; ++i) {
        for (std::size_t j = 0; j < 2; ++j) x(i, j) = v[i][j];
    }
    const std::vector<int> y{0, 1, 1, 1};

    auto p = tessera::make_pipeline(shift_by_mean{}, tessera::standard_scaler<double>(), majority{});
    static_assert(classifier<decltype(p), dense_d>);
    p.fit(x, y);
    CHECK(p.step<0>().shift == doctest::Approx(-4.5));
    // The scaler saw the shifted rows: its means are the column means minus 4.5.
    CHECK(p.step<1>().mean()[0] == doctest::Approx(4.0 - 4.5));
    CHECK(p.step<1>().mean()[1] == doctest::Approx(5.0 - 4.5));
    CHECK(p.predict(x) == std::vector<int>(4, 1));
    CHECK(p.classes() == std::vector<int>{1});

    const most_popular r;
    CHECK(r.recommend(0, 2) == std::vector<std::size_t>{2, 0});
}
