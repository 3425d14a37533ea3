// tessera's demo: loads each public data set it can reach with tessera's loaders and prints a
// short summary computed from what was loaded (for Spambase, the test accuracy of Gaussian and
// Bernoulli naive Bayes on a stratified split). A data set that is absent (or that this build
// cannot read, e.g. .gz files without zlib) is replaced by synthetic data of the same shape,
// generated here with tessera::random_engine, written in the data set's own file format in
// memory and read back through the same loader.
//
//     tessera_demo [data-dir]        (default: the TESSERA_DATA_DIR environment variable)
//
// The data directory has the layout scripts/get_data.sh creates: fashion-mnist/, spambase/,
// sms-spam-collection/, sklearn-toy/, goodbooks-10k/.
#include <tessera/core/random.hpp>
#include <tessera/io/csv.hpp>
#include <tessera/io/idx.hpp>
#include <tessera/io/labeled_text.hpp>
#include <tessera/io/ratings.hpp>
#include <tessera/model_selection/split.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/version.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
constexpr bool have_zlib = true;
#else
constexpr bool have_zlib = false;
#endif

bool used_synthetic = false;
std::string last_reason;  // said once per section, not once per file

void section(const char* title) {
    std::printf("\n%s\n", title);
    last_reason.clear();
}

// Runs `real` when every file exists (and zlib is there for .gz files); otherwise, or if the
// real files cannot be read, runs `synthetic` and says why.
void load_either(const std::optional<fs::path>& dir, const std::vector<std::string>& files,
                 const std::function<void(const fs::path&)>& real, const std::function<void()>& synthetic) {
    std::string why;
    if (!dir) {
        why = "no data directory";
    } else {
        for (const auto& f : files) {
            if (!fs::exists(*dir / f)) {
                why = "not found: " + (*dir / f).string();
                break;
            }
            if (!have_zlib && f.size() > 3 && f.compare(f.size() - 3, 3, ".gz") == 0) {
                why = f + " needs zlib (link tessera::zlib)";
                break;
            }
        }
    }
    if (why.empty()) {
        try {
            real(*dir);
            return;
        } catch (const tessera::error& e) {
            why = std::string("could not read it: ") + e.message();
        }
    }
    if (why != last_reason) std::printf("  synthetic stand-in (%s):\n", why.c_str());
    last_reason = why;
    used_synthetic = true;
    synthetic();
}

// "6000 each" when all counts are equal, else "212/357".
std::string counts_text(const std::vector<std::size_t>& counts) {
    if (counts.empty()) return "none";
    if (std::all_of(counts.begin(), counts.end(), [&](std::size_t c) { return c == counts.front(); })) {
        return std::to_string(counts.front()) + " each";
    }
    std::string s;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        if (k > 0) s += '/';
        s += std::to_string(counts[k]);
    }
    return s;
}

template <class Label>
std::vector<std::size_t> class_counts(const std::vector<Label>& labels) {
    std::vector<std::size_t> counts;
    for (const auto l : labels) {
        const auto k = static_cast<std::size_t>(l);
        if (k >= counts.size()) counts.resize(k + 1);
        ++counts[k];
    }
    return counts;
}

// ---------------------------------------------------------------------------------------------
// Fashion-MNIST

void summarize_images(const char* split, const tessera::dense_matrix<std::uint8_t>& x,
                      const std::vector<std::uint8_t>& y) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < x.rows(); ++i)
        for (const auto p : x.row(i)) sum += p;
    const double mean = x.size() ? static_cast<double>(sum) / static_cast<double>(x.size()) : 0.0;
    std::printf("  %-5s %6zu x %zu pixels, %zu labels, classes 0-9: %s, mean pixel %.2f\n", split, x.rows(), x.cols(),
                y.size(), counts_text(class_counts(y)).c_str(), mean);
}

// IDX bytes (the format of the real files) for n images of 28 x 28 whose brightness depends
// on the class, so that class structure exists for later algorithms to find.
std::pair<std::string, std::string> synthetic_idx(std::uint32_t n, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    std::array<std::array<std::uint8_t, 784>, 10> templates{};
    for (auto& t : templates)
        for (auto& p : t) p = static_cast<std::uint8_t>(rng.below(4) == 0 ? 0 : 40 + rng.below(180));
    const auto be32 = [](std::string& s, std::uint32_t v) {
        for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xff);
    };
    std::string images;
    std::string labels;
    images.reserve(16 + std::size_t{n} * 784);
    be32(images, 0x803);
    be32(images, n);
    be32(images, 28);
    be32(images, 28);
    be32(labels, 0x801);
    be32(labels, n);
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::uint8_t>(i % 10);  // balanced, like the real set
        labels += static_cast<char>(c);
        for (const auto p : templates[c]) {
            const int v = p == 0 ? 0 : p + static_cast<int>(rng.below(61)) - 30;
            images += static_cast<char>(std::clamp(v, 0, 255));
        }
    }
    return {images, labels};
}

void fashion_mnist(const std::optional<fs::path>& dir) {
    section("Fashion-MNIST (IDX images and labels)");
    const std::vector<std::string> files = {
        "fashion-mnist/train-images-idx3-ubyte.gz", "fashion-mnist/train-labels-idx1-ubyte.gz",
        "fashion-mnist/t10k-images-idx3-ubyte.gz", "fashion-mnist/t10k-labels-idx1-ubyte.gz"};
    load_either(
        dir, files,
        [&](const fs::path& d) {
            for (const char* split : {"train", "t10k"}) {
                const std::string s = split;
                const auto x = tessera::read_idx_images<std::uint8_t>(d / ("fashion-mnist/" + s + "-images-idx3-ubyte.gz"));
                const auto y = tessera::read_idx_labels(d / ("fashion-mnist/" + s + "-labels-idx1-ubyte.gz"));
                summarize_images(s == "t10k" ? "test" : "train", x, y);
            }
        },
        [] {
            std::uint64_t seed = 1;
            for (const auto& [split, n] : {std::pair<const char*, std::uint32_t>{"train", 60000}, {"test", 10000}}) {
                const auto [images, labels] = synthetic_idx(n, seed++);
                std::istringstream xi(images);
                std::istringstream yi(labels);
                summarize_images(split, tessera::read_idx_images<std::uint8_t>(xi), tessera::read_idx_labels(yi));
            }
        });
}

// ---------------------------------------------------------------------------------------------
// Spambase

void summarize_spambase(const tessera::csv_data<double, int>& d) {
    std::size_t spam = 0;
    for (const int l : d.labels) spam += l == 1 ? 1 : 0;
    std::printf("  %zu e-mails x %zu features, spam %zu (%.1f%%)\n", d.features.rows(), d.features.cols(), spam,
                d.labels.empty() ? 0.0 : 100.0 * static_cast<double>(spam) / static_cast<double>(d.labels.size()));
    std::printf("  column means:");
    const char* sep = "";
    for (const std::size_t j : {std::size_t{0}, std::size_t{51}, std::size_t{54}}) {  // make, '!', capitals
        if (j >= d.features.cols() || j >= d.feature_names.size()) continue;
        double sum = 0;
        for (std::size_t i = 0; i < d.features.rows(); ++i) sum += d.features(i, j);
        std::printf("%s %s %.3f", sep, d.feature_names[j].c_str(),
                    sum / static_cast<double>(std::max<std::size_t>(1, d.features.rows())));
        sep = ",";
    }
    std::printf("\n");
    // Naive Bayes on a stratified 75/25 split (seed 42): Gaussian on the raw frequencies,
    // Bernoulli on "does the word occur".
    const auto split = tessera::stratified_train_test_split(d.labels, {.test_fraction = 0.25, .seed = 42});
    const auto x_train = tessera::take_rows(d.features, split.train);
    const auto x_test = tessera::take_rows(d.features, split.test);
    const auto y_train = tessera::take(d.labels, split.train);
    const auto y_test = tessera::take(d.labels, split.test);
    tessera::gaussian_nb<int> gaussian;
    gaussian.fit(x_train, y_train);
    tessera::bernoulli_nb<int> bernoulli;
    bernoulli.fit(x_train, y_train);
    std::printf("  naive Bayes, %zu training / %zu test e-mails: Gaussian accuracy %.3f, Bernoulli accuracy %.3f\n",
                split.train.size(), split.test.size(), gaussian.score(x_test, y_test), bernoulli.score(x_test, y_test));
}

void spambase(const std::optional<fs::path>& dir) {
    section("Spambase (CSV with a header, label column \"spam\")");
    tessera::csv_options opt;
    opt.label = tessera::csv_column::named("spam");
    load_either(
        dir, {"spambase/spambase.csv"},
        [&](const fs::path& d) { summarize_spambase(tessera::read_csv<double, int>(d / "spambase/spambase.csv", opt)); },
        [&] {
            tessera::random_engine rng(2);
            std::string text;
            for (int j = 1; j <= 57; ++j) {
                text += (j == 52 ? std::string("char_freq_!") : j == 55 ? std::string("capital_run_length_average")
                                                                        : "feature_" + std::to_string(j));
                text += ",";
            }
            text += "spam\n";
            char buf[32];
            for (int i = 0; i < 4601; ++i) {
                const bool spam = rng.uniform01() < 0.394;
                for (int j = 1; j <= 57; ++j) {
                    // Mostly zeros, as word frequencies are; spam has more '!' and capitals.
                    double v = rng.uniform01() < 0.7 ? 0.0 : rng.uniform01() * (spam && (j == 52 || j == 55) ? 4.0 : 1.0);
                    if (j == 55) v += 1.0;
                    std::snprintf(buf, sizeof buf, "%.3f,", v);
                    text += buf;
                }
                text += spam ? "1\n" : "0\n";
            }
            std::istringstream in(text);
            summarize_spambase(tessera::read_csv<double, int>(in, opt));
        });
}

// ---------------------------------------------------------------------------------------------
// SMS Spam Collection

void summarize_sms(const tessera::labeled_text_data& d) {
    std::map<std::string, std::pair<std::size_t, std::size_t>> by_label;  // count, bytes
    for (std::size_t k = 0; k < d.labels.size(); ++k) {
        auto& [count, bytes] = by_label[d.labels[k]];
        ++count;
        bytes += d.texts[k].size();
    }
    std::printf("  %zu messages:", d.labels.size());
    for (const auto& [label, cb] : by_label) {
        std::printf(" %s %zu (mean %.1f bytes)", label.c_str(), cb.first,
                    static_cast<double>(cb.second) / static_cast<double>(cb.first));
    }
    std::printf("\n");
}

void sms(const std::optional<fs::path>& dir) {
    section("SMS Spam Collection (label<TAB>text lines)");
    load_either(
        dir, {"sms-spam-collection/SMSSpamCollection"},
        [](const fs::path& d) { summarize_sms(tessera::read_labeled_text(d / "sms-spam-collection/SMSSpamCollection")); },
        [] {
            tessera::random_engine rng(3);
            const std::vector<std::string> ham = {"ok", "see", "you", "later", "home", "soon", "lunch", "call", "me", "when", "free", "thanks"};
            const std::vector<std::string> spam = {"WIN", "free", "prize", "call", "now", "claim", "cash", "txt", "STOP", "offer", "urgent", "reply"};
            std::string text;
            for (int i = 0; i < 5574; ++i) {
                const bool is_spam = rng.uniform01() < 0.134;
                const auto& words = is_spam ? spam : ham;
                const auto n = 2 + rng.below(is_spam ? 24 : 14);
                text += is_spam ? "spam\t" : "ham\t";
                for (std::uint64_t w = 0; w < n; ++w) {
                    if (w > 0) text += ' ';
                    text += words[rng.below(words.size())];
                }
                text += "\n";
            }
            std::istringstream in(text);
            summarize_sms(tessera::read_labeled_text(in));
        });
}

// ---------------------------------------------------------------------------------------------
// scikit-learn toy sets

template <class Labels>
void summarize_toy(const char* name, std::size_t rows, std::size_t cols, const Labels& labels) {
    const auto counts = class_counts(labels);
    std::printf("  %-13s %5zu x %-2zu %2zu classes: %s\n", name, rows, cols, counts.size(), counts_text(counts).c_str());
}

// The scikit-learn layout: "n,d,names..." then d numbers and a class index per line.
std::string synthetic_toy(std::size_t n, std::size_t d, std::size_t classes, std::uint64_t seed, bool header_line) {
    tessera::random_engine rng(seed);
    std::string text;
    if (header_line) {
        text = std::to_string(n) + "," + std::to_string(d);
        for (std::size_t c = 0; c < classes; ++c) text += ",class_" + std::to_string(c);
        text += "\n";
    }
    char buf[32];
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = i * classes / n;  // blocks of classes, as the real files are sorted
        for (std::size_t j = 0; j < d; ++j) {
            std::snprintf(buf, sizeof buf, "%.2f,", 2.0 * static_cast<double>(c) + rng.normal());
            text += buf;
        }
        text += std::to_string(c) + "\n";
    }
    return text;
}

void sklearn_toys(const std::optional<fs::path>& dir) {
    section("scikit-learn toy sets (CSV)");
    struct toy {
        const char* name;
        const char* file;
        std::size_t n, d, classes;
    };
    std::uint64_t seed = 4;
    for (const toy t : {toy{"iris", "iris.csv", 150, 4, 3}, toy{"wine", "wine_data.csv", 178, 13, 3},
                        toy{"breast_cancer", "breast_cancer.csv", 569, 30, 2}}) {
        load_either(
            dir, {std::string("sklearn-toy/") + t.file},
            [&](const fs::path& d) {
                const auto data = tessera::read_sklearn_csv<double>(d / "sklearn-toy" / t.file);
                summarize_toy(t.name, data.features.rows(), data.features.cols(), data.labels);
            },
            [&] {
                std::istringstream in(synthetic_toy(t.n, t.d, t.classes, seed++, true));
                const auto data = tessera::read_sklearn_csv<double>(in);
                summarize_toy(t.name, data.features.rows(), data.features.cols(), data.labels);
            });
    }
    tessera::csv_options opt;  // digits.csv.gz has no header line at all
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::last();
    load_either(
        dir, {"sklearn-toy/digits.csv.gz"},
        [&](const fs::path& d) {
            const auto data = tessera::read_csv<float, int>(d / "sklearn-toy/digits.csv.gz", opt);
            summarize_toy("digits", data.features.rows(), data.features.cols(), data.labels);
        },
        [&] {
            std::istringstream in(synthetic_toy(1797, 64, 10, 8, false));
            const auto data = tessera::read_csv<float, int>(in, opt);
            summarize_toy("digits", data.features.rows(), data.features.cols(), data.labels);
        });
}

// ---------------------------------------------------------------------------------------------
// goodbooks-10k ratings

void summarize_ratings(const tessera::ratings_data<float>& d) {
    const auto& m = d.matrix;
    std::array<std::size_t, 6> histogram{};
    double sum = 0;
    for (const float v : m.values()) {
        histogram[static_cast<std::size_t>(std::clamp(v + 0.5f, 0.f, 5.f))]++;
        sum += v;
    }
    const double cells = static_cast<double>(m.rows()) * static_cast<double>(m.cols());
    std::printf("  %zu users x %zu books, %zu ratings, density %.3f%%, mean %.3f\n", m.rows(), m.cols(), m.nnz(),
                cells > 0 ? 100.0 * static_cast<double>(m.nnz()) / cells : 0.0,
                m.nnz() ? sum / static_cast<double>(m.nnz()) : 0.0);
    std::printf("  stars 1-5: %zu / %zu / %zu / %zu / %zu\n", histogram[1], histogram[2], histogram[3], histogram[4],
                histogram[5]);
}

void goodbooks(const std::optional<fs::path>& dir) {
    section("goodbooks-10k ratings, 5% of the users (user,item,rating CSV)");
    load_either(
        dir, {"goodbooks-10k/ratings_users5pct.csv.gz"},
        [](const fs::path& d) { summarize_ratings(tessera::read_ratings<float>(d / "goodbooks-10k/ratings_users5pct.csv.gz")); },
        [] {
            // 2,672 users with 24..197 distinct books each among 10,000, popular books more
            // likely, stars skewed towards 4 and 5.
            tessera::random_engine rng(9);
            std::string text = "user_id,book_id,rating\n";
            std::vector<std::uint32_t> seen(10001, 0);
            constexpr std::array<double, 5> stars = {0.02, 0.08, 0.31, 0.65, 1.0};  // cumulative
            for (std::uint32_t u = 1; u <= 2672; ++u) {
                const auto k = 24 + rng.below(174);
                for (std::uint64_t r = 0; r < k;) {
                    const double x = rng.uniform01();
                    const auto book = static_cast<std::uint32_t>(1 + static_cast<std::uint64_t>(x * x * 9999.0));
                    if (seen[book] == u) continue;
                    seen[book] = u;
                    const double s = rng.uniform01();
                    const auto star = 1 + std::count_if(stars.begin(), stars.end(), [&](double c) { return s >= c; });
                    text += std::to_string(u * 20 - 7) + "," + std::to_string(book) + "," + std::to_string(star) + "\n";
                    ++r;
                }
            }
            std::istringstream in(text);
            summarize_ratings(tessera::read_ratings<float>(in));
        });
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<fs::path> dir;
    std::string from;
    if (argc > 1 && argv[1][0] != '\0') {
        dir = fs::path(argv[1]);
        from = "the command line";
    } else if (const char* env = std::getenv("TESSERA_DATA_DIR"); env != nullptr && *env != '\0') {
        dir = fs::path(env);
        from = "TESSERA_DATA_DIR";
    }
    std::printf("tessera %s demo: loading the public data sets with tessera's loaders\n", tessera::version_string);
    if (dir) {
        std::printf("data directory: %s (from %s)%s\n", dir->string().c_str(), from.c_str(),
                    have_zlib ? "" : "; built without zlib: .gz files cannot be read");
    } else {
        std::printf("no data directory (pass one as the first argument or set TESSERA_DATA_DIR)\n");
    }
    try {
        fashion_mnist(dir);
        spambase(dir);
        sms(dir);
        sklearn_toys(dir);
        goodbooks(dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera_demo: %s\n", e.what());
        return 1;
    }
    if (used_synthetic) {
        std::printf("\nSynthetic data stood in for what was missing. To use the real data sets:\n"
                    "  scripts/get_data.sh <dir> && export TESSERA_DATA_DIR=<dir>   (or: tessera_demo <dir>)\n");
        if (!have_zlib) {
            std::printf("  .gz data sets also need zlib: install it (e.g. zlib1g-dev) and reconfigure, so that\n"
                        "  tessera::zlib exists and is linked.\n");
        }
    }
    return 0;
}
