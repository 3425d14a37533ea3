// Composition in a few lines: a pipeline of preprocessing and a classifier, checked by the
// compiler, cross-validated, saved as one file and fed rows from a stream.
//
//     pipeline
//
// The data are built in (300 rows of 3 features on very different scales, 3 classes, one
// feature with missing values), so the program needs no download.
//
// What the compiler refuses. A pipeline is resolved at compile time, so a composition mistake
// is a compile error that names it, not a failure at fit time:
//
//     auto wrong = tessera::logistic_regression<int>() | tessera::standard_scaler<double>();
//     wrong.fit(x, y);
//     // error: static assertion failed: tessera::pipeline: a classifier or regressor sits before
//     //        the last step; every step but the last must be a transformer (fit(X) and transform(X))
//
//     auto sparse = tessera::tfidf_vectorizer<>() | tessera::knn_classifier<int, double>();
//     // error: ... a step receives sparse (CSR) rows from the step before it but reads dense rows only
//
//     auto mixed = tessera::standard_scaler<double>() | tessera::logistic_regression<int, float>();
//     // error: ... a step receives rows of another element type than its value_type
//
// The correct form puts the transformers first and the model last, with one element type:
//
//     auto model = tessera::simple_imputer<double>() | tessera::standard_scaler<double>() |
//                  tessera::logistic_regression<int>();
#include <tessera/compose/pipeline.hpp>
#include <tessera/compose/roles.hpp>
#include <tessera/compose/stream.hpp>
#include <tessera/core/random.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/model_selection/cross_validate.hpp>
#include <tessera/model_selection/folds.hpp>
#include <tessera/preprocessing/scalers.hpp>
#include <tessera/preprocessing/simple_imputer.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iterator>
#include <limits>
#include <vector>

namespace {

// Row i of the built-in data: class i % 3, features on scales 1, 1000 and 0.001, and every
// seventh row missing its second feature (NaN).
std::array<double, 3> make_row(std::size_t i, tessera::random_engine& rng) {
    const double c = static_cast<double>(i % 3);
    std::array<double, 3> r{2.0 * c + rng.normal(), 1000.0 * (1.5 * c + rng.normal()), 0.001 * (-2.0 * c + rng.normal())};
    if (i % 7 == 3) r[1] = std::numeric_limits<double>::quiet_NaN();
    return r;
}

// A source of rows read one at a time, as from a file or a socket: a single-pass range whose
// rows are made as they are read. Nothing stores them all.
class row_source {
public:
    row_source(std::size_t rows, std::uint64_t seed) : rows_(rows), rng_(seed) {}

    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;
        using value_type = std::array<double, 3>;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(row_source* s) : s_(s) { row_ = make_row(0, s_->rng_); }
        const value_type& operator*() const { return row_; }
        iterator& operator++() {
            if (++i_ < s_->rows_) row_ = make_row(i_, s_->rng_);
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return i_ == s_->rows_; }

    private:
        row_source* s_ = nullptr;
        std::size_t i_ = 0;
        value_type row_{};
    };

    [[nodiscard]] iterator begin() { return iterator(this); }
    [[nodiscard]] std::default_sentinel_t end() const { return {}; }

private:
    std::size_t rows_;
    tessera::random_engine rng_;
};

}  // namespace

int main() {
    try {
        tessera::random_engine rng(2026);
        tessera::dense_matrix<double> x(300, 3);
        std::vector<int> y;
        for (std::size_t i = 0; i < x.rows(); ++i) {
            const auto r = make_row(i, rng);
            for (std::size_t j = 0; j < 3; ++j) x(i, j) = r[j];
            y.push_back(static_cast<int>(i % 3));
        }

        auto model = tessera::simple_imputer<double>() | tessera::standard_scaler<double>() |
                     tessera::logistic_regression<int>({.C = 1.0});
        using model_type = decltype(model);
        static_assert(tessera::probabilistic_classifier<model_type> && tessera::serializable<model_type>);
        static_assert(!tessera::transformer<model_type>);  // it ends in a classifier

        // 5-fold stratified cross-validation: each fold fits the imputer, the scaler and the
        // model on its own training rows.
        const auto folds = tessera::stratified_k_fold(y, {.n_splits = 5, .shuffle = true, .seed = 1});
        const auto cv = tessera::cross_validate(model, x, y, folds);
        std::printf("imputer | scaler | logistic regression, 300 built-in rows, 3 classes\n");
        std::printf("5-fold CV accuracy %.3f +- %.3f\n", cv.mean_test_score, cv.std_test_score);

        model.fit(x, y);
        std::printf("fitted on all rows: training accuracy %.3f; the imputer fills feature 2 with %.1f\n",
                    model.score(x, y), model.step<0>().statistics()[1]);

        // One archive holds all three steps.
        const auto file = std::filesystem::temp_directory_path() / "tessera_pipeline_example.tsra";
        model.save(file);
        const auto loaded = model_type::load(file);
        std::filesystem::remove(file);

        // New rows generated one at a time, predicted in batches of 32 without materializing them.
        std::size_t right = 0, seen = 0;
        for (const int label : tessera::predictions(loaded, row_source(1000, 7), {.batch_rows = 32})) {
            right += label == static_cast<int>(seen % 3) ? 1 : 0;
            ++seen;
        }
        std::printf("1,000 streamed rows through the reloaded pipeline: accuracy %.3f\n",
                    static_cast<double>(right) / static_cast<double>(seen));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pipeline: %s\n", e.what());
        return 1;
    }
    return 0;
}
