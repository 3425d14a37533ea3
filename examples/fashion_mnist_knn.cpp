// k-nearest-neighbour classification of Fashion-MNIST with tessera::knn_classifier.
//
//     fashion_mnist_knn [data-dir] [--manhattan]      (default data-dir: $TESSERA_DATA_DIR)
//
// data-dir is the directory scripts/get_data.sh fills (holding fashion-mnist/) or the
// fashion-mnist folder itself. The program fits k = 5, Euclidean, uniform votes (scikit-learn's
// KNeighborsClassifier defaults) on the 60,000 training images, raw pixels 0..255 as float,
// predicts the 10,000 test images, and prints the accuracy, the accuracy per class and the time
// taken. --manhattan adds the best k-NN configuration of Xiao et al. (2017), Table 3: k = 5,
// Manhattan distance, votes weighted by 1/distance.
//
// Without the data (or without zlib to read the .gz files) it runs on synthetic images of the
// same shape, 28 x 28 pixels in 10 classes, but ten times fewer (6,000 and 1,000) to stay quick.
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/idx.hpp>
#include <tessera/neighbors/knn_classifier.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
constexpr bool have_zlib = true;
#else
constexpr bool have_zlib = false;
#endif

constexpr std::array<const char*, 10> class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct data_set {
    tessera::dense_matrix<float> train_x, test_x;
    std::vector<std::uint8_t> train_y, test_y;
};

// The folder holding the four .gz files, given the data directory or that folder itself.
std::optional<fs::path> find_files(const fs::path& dir, std::string& why) {
    for (const fs::path& d : {dir / "fashion-mnist", dir}) {
        if (fs::exists(d / "train-images-idx3-ubyte.gz")) return d;
    }
    why = "not found: " + (dir / "fashion-mnist" / "train-images-idx3-ubyte.gz").string();
    return std::nullopt;
}

data_set load(const fs::path& d) {
    // read_idx_images converts without scaling, so the pixels stay 0..255 as scikit-learn sees them.
    return {tessera::read_idx_images<float>(d / "train-images-idx3-ubyte.gz"),
            tessera::read_idx_images<float>(d / "t10k-images-idx3-ubyte.gz"),
            tessera::read_idx_labels(d / "train-labels-idx1-ubyte.gz"),
            tessera::read_idx_labels(d / "t10k-labels-idx1-ubyte.gz")};
}

// Every class shares one silhouette (two large rectangles) and adds two fainter rectangles of
// its own; an image is its class template, shifted by up to 2 pixels, scaled in brightness and
// with noise added, rounded to 0..255 as pixels are. The shared part keeps the classes close.
data_set synthetic(std::size_t n_train, std::size_t n_test) {
    tessera::random_engine rng(2017);
    const auto add_rectangle = [&](std::array<float, 784>& t, float level) {
        const auto r0 = rng.below(22), c0 = rng.below(22);
        const auto r1 = std::min<std::uint64_t>(28, r0 + 4 + rng.below(12));
        const auto c1 = std::min<std::uint64_t>(28, c0 + 4 + rng.below(12));
        for (auto r = r0; r < r1; ++r)
            for (auto c = c0; c < c1; ++c) t[r * 28 + c] = std::min(255.0f, t[r * 28 + c] + level);
    };
    std::array<float, 784> silhouette{};
    add_rectangle(silhouette, 110.0f);
    add_rectangle(silhouette, 110.0f);
    std::array<std::array<float, 784>, 10> templates{};
    for (auto& t : templates) {
        t = silhouette;
        add_rectangle(t, 60.0f);
        add_rectangle(t, 60.0f);
    }
    const auto make = [&](std::size_t n, tessera::dense_matrix<float>& x, std::vector<std::uint8_t>& y) {
        x = tessera::dense_matrix<float>(n, 784);
        y.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto label = static_cast<std::uint8_t>(i % 10);
            y[i] = label;
            const int dr = static_cast<int>(rng.below(5)) - 2, dc = static_cast<int>(rng.below(5)) - 2;
            const double gain = 0.6 + 0.8 * rng.uniform01();
            const auto row = x.row(i);
            for (int r = 0; r < 28; ++r) {
                for (int c = 0; c < 28; ++c) {
                    const int sr = r - dr, sc = c - dc;
                    const double base = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? templates[label][sr * 28 + sc] : 0.0;
                    const double v = base * gain + 55.0 * rng.normal();
                    row[static_cast<std::size_t>(r * 28 + c)] = static_cast<float>(std::clamp(std::round(v), 0.0, 255.0));
                }
            }
        }
    };
    data_set d;
    make(n_train, d.train_x, d.train_y);
    make(n_test, d.test_x, d.test_y);
    return d;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class Metric>
void run(const char* title, const data_set& d, const tessera::knn_options& options, const char* reference) {
    std::printf("\n%s\n", title);
    tessera::knn_classifier<std::uint8_t, float, Metric> model(options);
    const int threads = tessera::effective_threads(options.parallel);

    auto t0 = std::chrono::steady_clock::now();
    model.fit(d.train_x, d.train_y);
    const double fit_s = seconds_since(t0);

    t0 = std::chrono::steady_clock::now();
    const auto predicted = model.predict(d.test_x);
    const double predict_s = seconds_since(t0);

    std::array<std::size_t, 10> right{}, total{};
    std::size_t correct = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i) {
        const auto truth = d.test_y[i];
        ++total[truth];
        if (predicted[i] == truth) {
            ++right[truth];
            ++correct;
        }
    }
    std::printf("  accuracy %.4f (%zu of %zu test images)%s\n",
                static_cast<double>(correct) / static_cast<double>(predicted.size()), correct, predicted.size(),
                reference);
    for (std::size_t c = 0; c < 10; ++c) {
        std::printf("    %-12s %.3f  (%zu of %zu)\n", class_names[c],
                    total[c] ? static_cast<double>(right[c]) / static_cast<double>(total[c]) : 0.0, right[c], total[c]);
    }
    std::printf("  fit %.2f s, predict %.2f s (%zu x %zu distances of %zu pixels) on %d thread%s%s\n", fit_s, predict_s,
                d.test_x.rows(), d.train_x.rows(), d.train_x.cols(), threads, threads == 1 ? "" : "s",
                tessera::parallel_enabled() ? "" : " (built without OpenMP: link tessera::openmp for more)");
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<fs::path> dir;
    bool manhattan = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--manhattan") {
            manhattan = true;
        } else if (!arg.empty() && arg[0] != '-') {
            dir = fs::path(arg);
        } else if (!arg.empty()) {
            std::fprintf(stderr, "usage: %s [data-dir] [--manhattan]\n", argv[0]);
            return 2;
        }
    }
    if (!dir) {
        if (const char* env = std::getenv("TESSERA_DATA_DIR"); env != nullptr && *env != '\0') dir = fs::path(env);
    }

    try {
        data_set d;
        bool real = false;
        std::string why = "no data directory (pass one as the first argument or set TESSERA_DATA_DIR)";
        if (dir) {
            if (const auto files = find_files(*dir, why)) {
                if (!have_zlib) {
                    why = "the .gz files need zlib (link tessera::zlib)";
                } else {
                    try {
                        d = load(*files);
                        real = true;
                        std::printf("Fashion-MNIST from %s\n", files->string().c_str());
                    } catch (const tessera::error& e) {
                        why = std::string("could not read it: ") + e.message();
                    }
                }
            }
        }
        if (!real) {
            std::printf("Synthetic stand-in for Fashion-MNIST (%s):\n"
                        "  28 x 28 images in 10 classes as in Fashion-MNIST, but 6,000 training and 1,000 test\n"
                        "  images (a tenth of the real set) to keep the demo quick.\n",
                        why.c_str());
            d = synthetic(6000, 1000);
        }
        std::printf("train %zu x %zu, test %zu x %zu, raw pixels 0..255\n", d.train_x.rows(), d.train_x.cols(),
                    d.test_x.rows(), d.test_x.cols());

        tessera::knn_options options;  // k = 5, uniform votes
        run<tessera::euclidean>("k = 5, Euclidean distance, uniform votes", d, options,
                                real ? "; scikit-learn 1.2.1 gives 0.8554" : "");
        if (manhattan) {
            options.weights = tessera::knn_weights::distance;
            run<tessera::manhattan>("k = 5, Manhattan distance, votes weighted by 1/distance", d, options,
                                    real ? "; Xiao et al. (2017), Table 3, report 0.854" : "");
        }
        if (!real) {
            std::printf("\nTo use the real Fashion-MNIST:\n"
                        "  scripts/get_data.sh <dir> && export TESSERA_DATA_DIR=<dir>   (or: fashion_mnist_knn <dir>)\n");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fashion_mnist_knn: %s\n", e.what());
        return 1;
    }
    return 0;
}
