// Real-data checks: tessera's loaders on the shared data sets, in the folder named by the
// environment variable TESSERA_DATA_DIR (see scripts/get_data.sh). Without it every test says
// why it is skipped and passes.
//
// Expected values are the counts documented (and verified) in each data folder's README, plus
// a few sums computed independently of tessera with Python's gzip/csv modules, e.g.
//     python3 -c "import gzip; print(sum(gzip.open('train-images-idx3-ubyte.gz').read()[16:]))"
#include <tessera/io/csv.hpp>
#include <tessera/io/idx.hpp>
#include <tessera/io/labeled_text.hpp>
#include <tessera/io/ratings.hpp>

#include <doctest/doctest.h>

#include "data_test_support.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using tessera_test::data_dir;
using tessera_test::gzip_available;
using tessera_test::need;

TEST_CASE("data: Fashion-MNIST train and test, shapes and class counts") {
    const auto dir = data_dir("Fashion-MNIST row-count check");
    if (!dir || !gzip_available("Fashion-MNIST row-count check (.gz files)")) return;
    struct split {
        const char* name;
        std::size_t rows;
        std::size_t per_class;
        std::uint64_t pixel_sum;  // Python, see the top of this file
    };
    for (const split s : {split{"train", 60000, 6000, 3431114169ull}, split{"t10k", 10000, 1000, 573469082ull}}) {
        CAPTURE(s.name);
        const auto x = tessera::read_idx_images<std::uint8_t>(
            need(*dir / "fashion-mnist" / (std::string(s.name) + "-images-idx3-ubyte.gz")));
        const auto y =
            tessera::read_idx_labels(need(*dir / "fashion-mnist" / (std::string(s.name) + "-labels-idx1-ubyte.gz")));
        CHECK(x.rows() == s.rows);
        CHECK(x.cols() == 784);
        CHECK(y.size() == s.rows);
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < x.rows(); ++i)
            for (const auto p : x.row(i)) sum += p;
        CHECK(sum == s.pixel_sum);
        std::array<std::size_t, 10> counts{};
        bool in_range = true;
        for (const auto l : y) {
            if (l < 10) {
                ++counts[l];
            } else {
                in_range = false;
            }
        }
        CHECK(in_range);
        for (std::size_t c = 0; c < 10; ++c) CHECK(counts[c] == s.per_class);
    }
}

TEST_CASE("data: Spambase 4,601 x 57 with 1,813 spam") {
    const auto dir = data_dir("Spambase row-count check");
    if (!dir) return;
    tessera::csv_options opt;
    opt.label = tessera::csv_column::named("spam");
    const auto d = tessera::read_csv<double, int>(need(*dir / "spambase" / "spambase.csv"), opt);
    CHECK(d.features.rows() == 4601);
    CHECK(d.features.cols() == 57);
    CHECK(d.feature_names.size() == 57);
    CHECK(d.feature_names.front() == "word_freq_make");
    CHECK(d.feature_names.back() == "capital_run_length_total");
    CHECK(d.label_name == "spam");
    std::size_t spam = 0;
    for (const int l : d.labels) spam += l == 1 ? 1 : 0;
    CHECK(spam == 1813);
    CHECK(d.labels.size() - spam == 2788);
    // First line of data: 0,0.64,0.64,0,0.32,...; column sums from Python's csv module.
    CHECK(d.features(0, 1) == 0.64);
    double longest = 0;
    double total = 0;
    for (std::size_t i = 0; i < d.features.rows(); ++i) {
        longest += d.features(i, 55);
        total += d.features(i, 56);
    }
    CHECK(longest == 240047.0);
    CHECK(total == 1303414.0);
}

TEST_CASE("data: SMS Spam Collection 5,574 lines, 4,827 ham / 747 spam") {
    const auto dir = data_dir("SMS Spam Collection row-count check");
    if (!dir) return;
    const auto d = tessera::read_labeled_text(need(*dir / "sms-spam-collection" / "SMSSpamCollection"));
    CHECK(d.labels.size() == 5574);
    CHECK(d.texts.size() == 5574);
    std::map<std::string, std::size_t> counts;
    for (const auto& l : d.labels) ++counts[l];
    CHECK(counts.size() == 2);
    CHECK(counts["ham"] == 4827);
    CHECK(counts["spam"] == 747);
    std::size_t bytes = 0;
    std::size_t shortest = SIZE_MAX;
    std::size_t longest = 0;
    for (const auto& t : d.texts) {
        bytes += t.size();
        shortest = std::min(shortest, t.size());
        longest = std::max(longest, t.size());
    }
    CHECK(bytes == 449290);  // Python: sum of the byte lengths after the first tab
    CHECK(shortest == 2);
    CHECK(longest == 910);
    CHECK(d.texts.back() == "Rofl. Its true to its name");
}

TEST_CASE("data: scikit-learn toy sets, rows and classes") {
    const auto dir = data_dir("scikit-learn toy data check");
    if (!dir) return;
    struct toy {
        const char* file;
        std::size_t rows;
        std::size_t features;
        std::vector<std::size_t> per_class;
        double first_column_sum;  // Python's csv module
    };
    const std::vector<toy> toys = {
        {"iris.csv", 150, 4, {50, 50, 50}, 876.5},
        {"wine_data.csv", 178, 13, {59, 71, 48}, 2314.11},
        {"breast_cancer.csv", 569, 30, {212, 357}, 8038.429},
    };
    for (const auto& t : toys) {
        CAPTURE(t.file);
        const auto d = tessera::read_sklearn_csv<double>(need(*dir / "sklearn-toy" / t.file));
        CHECK(d.features.rows() == t.rows);
        CHECK(d.features.cols() == t.features);
        CHECK(d.class_names.size() == t.per_class.size());
        std::vector<std::size_t> counts(d.class_names.size());
        for (const int l : d.labels) ++counts[static_cast<std::size_t>(l)];
        CHECK(counts == t.per_class);
        double sum = 0;
        for (std::size_t i = 0; i < d.features.rows(); ++i) sum += d.features(i, 0);
        CHECK(sum == doctest::Approx(t.first_column_sum).epsilon(1e-12));
    }
    const auto iris = tessera::read_sklearn_csv<float>(*dir / "sklearn-toy" / "iris.csv");
    CHECK(iris.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
    CHECK(iris.features(0, 0) == 5.1f);

    if (!gzip_available("digits check (digits.csv.gz)")) return;
    tessera::csv_options opt;
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::last();
    const auto digits = tessera::read_csv<float, int>(need(*dir / "sklearn-toy" / "digits.csv.gz"), opt);
    CHECK(digits.features.rows() == 1797);
    CHECK(digits.features.cols() == 64);
    std::vector<std::size_t> counts(10);
    double sum = 0;
    for (const int l : digits.labels) ++counts[static_cast<std::size_t>(l)];
    for (std::size_t i = 0; i < digits.features.rows(); ++i)
        for (const float v : digits.features.row(i)) sum += v;
    CHECK(counts == std::vector<std::size_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
    CHECK(sum == 561718.0);
}

TEST_CASE("data: goodbooks-10k ratings subset, 298,176 ratings by 2,672 users of 9,990 books") {
    const auto dir = data_dir("goodbooks-10k ratings check");
    if (!dir || !gzip_available("goodbooks-10k ratings check (ratings_users5pct.csv.gz)")) return;
    const auto d = tessera::read_ratings<float>(need(*dir / "goodbooks-10k" / "ratings_users5pct.csv.gz"));
    CHECK(d.matrix.nnz() == 298176);
    CHECK(d.matrix.rows() == 2672);
    CHECK(d.matrix.cols() == 9990);
    CHECK(d.users.ids().front() == 13);
    CHECK(d.users.ids().back() == 53396);
    CHECK(d.items.ids().front() == 1);
    CHECK(d.items.ids().back() == 10000);
    std::array<std::size_t, 6> histogram{};
    double sum = 0;
    for (const float v : d.matrix.values()) {
        const auto k = static_cast<std::size_t>(v);
        if (k >= 1 && k <= 5 && static_cast<float>(k) == v) ++histogram[k];
        sum += v;
    }
    CHECK(histogram == std::array<std::size_t, 6>{0, 6502, 18533, 69438, 106126, 97577});
    CHECK(sum == 1164271.0);
    std::size_t fewest = SIZE_MAX;
    std::size_t most = 0;
    for (std::size_t u = 0; u < d.matrix.rows(); ++u) {
        fewest = std::min(fewest, d.matrix.row(u).size());
        most = std::max(most, d.matrix.row(u).size());
    }
    CHECK(fewest == 24);
    CHECK(most == 197);
}
