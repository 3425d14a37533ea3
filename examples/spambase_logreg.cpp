// Logistic regression on Spambase (Hopkins, Reeber, Forman & Suermondt, HP Labs, UCI 94): 4,601
// e-mails described by 57 numbers (word and character frequencies, runs of capital letters),
// 1,813 of them spam.
//
//     spambase_logreg [data-dir]        (default data-dir: $TESSERA_DATA_DIR)
//
// data-dir is the directory scripts/get_data.sh fills (holding spambase/spambase.csv) or the
// spambase folder itself. The e-mails are split 75/25, stratified, with seed 0
// (tessera::stratified_train_test_split). Each model is a pipeline,
//
//     tessera::standard_scaler<double>() | tessera::logistic_regression<int>(options)
//
// so every feature is standardized with the mean and population standard deviation of the rows
// the pipeline is fitted on, never of the rows it is evaluated on. For the L2 penalty (C = 1)
// and the L1 penalty (C = 1) the program prints the accuracy of shuffled 5-fold stratified
// cross-validation on the training split (tessera::cross_validate, mean and standard deviation
// over the folds), then fits on the whole training split and prints the test accuracy, the ROC
// AUC of P(spam), the log-loss of the predicted probabilities, the fit time, the iterations and
// whether the solver converged, and the ten coefficients largest in absolute value with their
// feature names; for L1 also how many coefficients are not zero. Last, a grid search over C
// (5-fold cross-validation on the training split) and the test accuracy of its refitted best
// pipeline.
//
// Without the data it runs on synthetic e-mails of the same shape (4,601 x 57, 1,813 spam),
// written as a CSV in memory and read back through the same loader.
#include <tessera/compose/pipeline.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/csv.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/metrics/classification.hpp>
#include <tessera/model_selection/cross_validate.hpp>
#include <tessera/model_selection/folds.hpp>
#include <tessera/model_selection/grid_search.hpp>
#include <tessera/model_selection/split.hpp>
#include <tessera/preprocessing/scalers.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

using data_set = tessera::csv_data<double, int>;

tessera::csv_options spambase_csv_options() {
    tessera::csv_options opt;  // header line, label column "spam" (1 = spam, 0 = not)
    opt.label = tessera::csv_column::named("spam");
    return opt;
}

std::optional<fs::path> find_file(const fs::path& dir, std::string& why) {
    for (const fs::path& d : {dir / "spambase", dir}) {
        if (fs::exists(d / "spambase.csv")) return d / "spambase.csv";
    }
    why = "not found: " + (dir / "spambase" / "spambase.csv").string();
    return std::nullopt;
}

// 4,601 rows of 57 columns, 1,813 of them spam, spread through the file. As in the real data
// most values are 0; each column is non-zero with a probability of its own that spam raises for
// some columns and lowers for others, and the last three columns (capital runs) are >= 1 and
// longer in spam.
data_set synthetic() {
    tessera::random_engine rng(4601);
    std::vector<double> p_spam(57), p_ham(57);
    for (std::size_t j = 0; j < 57; ++j) {
        const double base = 0.05 + 0.3 * rng.uniform01();
        const double shift = 0.25 * rng.uniform01();
        const bool spammy = j % 3 == 0;
        p_spam[j] = spammy ? base + shift : base;
        p_ham[j] = spammy ? base : base + (j % 3 == 1 ? shift : 0.0);
    }
    std::string text;
    for (int j = 1; j <= 57; ++j) text += "feature_" + std::to_string(j) + ",";
    text += "spam\n";
    char buf[32];
    for (std::size_t i = 0; i < 4601; ++i) {
        const bool spam = (i * 1813) % 4601 < 1813;  // exactly 1,813 of them
        for (std::size_t j = 0; j < 57; ++j) {
            double v = 0;
            if (j >= 54) {
                v = 1.0 + std::floor(-std::log(1.0 - rng.uniform01()) * (spam ? 12.0 : 4.0) * static_cast<double>(j - 53));
            } else if (rng.uniform01() < (spam ? p_spam[j] : p_ham[j])) {
                v = -std::log(1.0 - rng.uniform01());  // exponential, mean 1
            }
            std::snprintf(buf, sizeof buf, "%.3f,", v);
            text += buf;
        }
        text += spam ? "1\n" : "0\n";
    }
    std::istringstream in(text);
    return tessera::read_csv<double, int>(in, spambase_csv_options());
}

using spam_model = tessera::pipeline<tessera::standard_scaler<double>, tessera::logistic_regression<int, double>>;

spam_model make_model(const tessera::logistic_regression_options& options) {
    return tessera::standard_scaler<double>() | tessera::logistic_regression<int, double>(options);
}

void fit_and_report(const char* title, tessera::logistic_penalty penalty, const tessera::dense_matrix<double>& x_train,
                    const std::vector<int>& y_train, const tessera::dense_matrix<double>& x_test,
                    const std::vector<int>& y_test, const std::vector<std::string>& names) {
    tessera::logistic_regression_options options;
    options.penalty = penalty;
    options.C = 1.0;
    spam_model model = make_model(options);

    // 5-fold cross-validation on the training split: each fold's scaler and model see only
    // that fold's training rows.
    const auto folds = tessera::stratified_k_fold(y_train, {.n_splits = 5, .shuffle = true, .seed = 0});
    const auto cv = tessera::cross_validate(model, x_train, y_train, folds);

    const auto t0 = std::chrono::steady_clock::now();
    model.fit(x_train, y_train);
    const double fit_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const auto& fitted = model.last();

    const auto proba = model.predict_proba(x_test);  // columns: classes() = {0, 1}
    std::vector<double> p_spam(proba.rows());
    for (std::size_t i = 0; i < proba.rows(); ++i) p_spam[i] = proba(i, 1);
    const double accuracy = tessera::accuracy_score(y_test, model.predict(x_test));
    const double auc = tessera::roc_auc_score(y_test, p_spam, model.classes()[1]);
    const double loss = tessera::log_loss(y_test, proba, model.classes());

    const auto coef = fitted.coef().row(0);  // binary model: the coefficients of class 1 (spam)
    const auto nonzero = static_cast<std::size_t>(std::count_if(coef.begin(), coef.end(), [](double c) { return c != 0; }));
    std::printf("%s\n", title);
    std::printf("  5-fold CV accuracy on the training split %.4f +- %.4f (folds:", cv.mean_test_score, cv.std_test_score);
    for (const double a : cv.test_score) std::printf(" %.4f", a);
    std::printf(")\n");
    std::printf("  test accuracy %.4f   ROC AUC %.4f   log-loss %.4f\n", accuracy, auc, loss);
    std::printf("  fit %.1f ms (scaler and model), %zu iterations, %s; objective %.4f, intercept %.4f\n", fit_ms,
                fitted.n_iter(), fitted.converged() ? "converged" : "NOT converged (max_iter reached)", fitted.objective(),
                fitted.intercept()[0]);
    if (penalty == tessera::logistic_penalty::l1) {
        std::printf("  %zu of %zu coefficients are not zero\n", nonzero, coef.size());
    }

    std::vector<std::size_t> order(coef.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const std::size_t shown = std::min<std::size_t>(10, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                      [&](std::size_t a, std::size_t b) {
                          const double ma = std::abs(coef[a]), mb = std::abs(coef[b]);
                          return ma != mb ? ma > mb : a < b;
                      });
    std::printf("  largest coefficients (per standard deviation; > 0 points to spam):\n");
    for (std::size_t r = 0; r < shown; ++r) {
        const std::size_t j = order[r];
        const std::string name = j < names.size() ? names[j] : "column " + std::to_string(j + 1);
        std::printf("    %2zu. %-28s %+8.3f\n", r + 1, name.c_str(), coef[j]);
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<fs::path> dir;
    if (argc > 2 || (argc == 2 && (argv[1][0] == '-' || argv[1][0] == '\0'))) {
        std::fprintf(stderr, "usage: %s [data-dir]\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        dir = fs::path(argv[1]);
    } else if (const char* env = std::getenv("TESSERA_DATA_DIR"); env != nullptr && *env != '\0') {
        dir = fs::path(env);
    }

    try {
        data_set data;
        bool real = false;
        std::string why = "no data directory (pass one as the first argument or set TESSERA_DATA_DIR)";
        if (dir) {
            if (const auto file = find_file(*dir, why)) {
                try {
                    data = tessera::read_csv<double, int>(*file, spambase_csv_options());
                    real = true;
                    std::printf("Spambase from %s\n", file->string().c_str());
                } catch (const tessera::error& e) {
                    why = std::string("could not read it: ") + e.message();
                }
            }
        }
        if (!real) {
            std::printf("Synthetic stand-in for Spambase (%s):\n"
                        "  4,601 rows of 57 mostly-zero features, 1,813 spam.\n",
                        why.c_str());
            data = synthetic();
        }
        const auto spam = static_cast<std::size_t>(std::count(data.labels.begin(), data.labels.end(), 1));
        std::printf("%zu e-mails x %zu features, %zu spam (%.1f%%)\n", data.features.rows(), data.features.cols(), spam,
                    100.0 * static_cast<double>(spam) / static_cast<double>(data.labels.size()));

        const auto split = tessera::stratified_train_test_split(data.labels, {.test_fraction = 0.25, .seed = 0});
        const auto y_train = tessera::take(data.labels, split.train);
        const auto y_test = tessera::take(data.labels, split.test);
        const auto x_train = tessera::take_rows(data.features, split.train);
        const auto x_test = tessera::take_rows(data.features, split.test);
        std::printf("stratified 75/25 split, seed 0: %zu training and %zu test e-mails\n"
                    "model: standard_scaler | logistic_regression (the scaler learns from the rows it is fitted on)\n\n",
                    split.train.size(), split.test.size());

        fit_and_report("logistic regression, L2 penalty, C = 1", tessera::logistic_penalty::l2, x_train, y_train, x_test,
                       y_test, data.feature_names);
        fit_and_report("logistic regression, L1 penalty, C = 1", tessera::logistic_penalty::l1, x_train, y_train, x_test,
                       y_test, data.feature_names);

        // C chosen by 5-fold cross-validation on the training split; the best pipeline is refitted
        // on the whole training split and evaluated once on the test split.
        const auto grid = tessera::options_grid<tessera::logistic_regression_options>().add(
            &tessera::logistic_regression_options::C, {0.01, 0.1, 1.0, 10.0, 100.0});
        const auto folds = tessera::stratified_k_fold(y_train, {.n_splits = 5, .shuffle = true, .seed = 0});
        const auto search = tessera::grid_search(grid, make_model, x_train, y_train, folds);
        std::printf("grid search over C (L2), 5-fold CV accuracy on the training split:\n");
        for (std::size_t c = 0; c < search.candidates.size(); ++c) {
            std::printf("  C = %-6g %.4f +- %.4f%s\n", search.candidates[c].C, search.mean_test_score[c],
                        search.std_test_score[c], c == search.best_index ? "   <- best" : "");
        }
        std::printf("  best pipeline (C = %g) refitted on the training split: test accuracy %.4f\n\n",
                    search.best_options.C, search.best_model->score(x_test, y_test));

        if (!real) {
            std::printf("To use the real Spambase:\n"
                        "  scripts/get_data.sh <dir> && export TESSERA_DATA_DIR=<dir>   (or: spambase_logreg <dir>)\n");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "spambase_logreg: %s\n", e.what());
        return 1;
    }
    return 0;
}
