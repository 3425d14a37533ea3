// The program every consumer project in tests/consumers/ builds: it uses tessera as an
// application would, through the umbrella header, and exits non-zero if any answer is wrong.
#include <tessera/tessera.hpp>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++failures;
}

}  // namespace

int main() try {
    std::printf("tessera %s\n", tessera::version_string);
    check(std::strlen(tessera::version_string) >= 5 && tessera::version.major >= 0, "version");

    // Two classes on a 4 x 4 grid each, far apart: (i, j) and (i + 10, j + 10).
    constexpr std::size_t per_class = 16;
    tessera::dense_matrix<double> x(2 * per_class, 2);
    std::vector<int> y(2 * per_class);
    for (std::size_t r = 0; r < 2 * per_class; ++r) {
        const std::size_t c = r / per_class;
        const std::size_t k = r % per_class;
        x(r, 0) = static_cast<double>(k / 4) + 10.0 * static_cast<double>(c);
        x(r, 1) = static_cast<double>(k % 4) + 10.0 * static_cast<double>(c);
        y[r] = static_cast<int>(c);
    }
    tessera::dense_matrix<double> queries(2, 2);
    queries(0, 0) = 0.9;   // nearest row: (1, 0), row 4
    queries(0, 1) = 0.2;
    queries(1, 0) = 13.1;  // nearest row: (13, 13), row 16 + 15 = 31
    queries(1, 1) = 12.8;

    // Exact k-NN search against a brute force over the rows.
    tessera::knn_index<double> index(2);
    index.add(x);
    const auto found = index.search(queries, 1);
    for (std::size_t q = 0; q < queries.rows(); ++q) {
        std::size_t best = 0;
        double best_d = -1.0;
        for (std::size_t r = 0; r < x.rows(); ++r) {
            const double d0 = x(r, 0) - queries(q, 0);
            const double d1 = x(r, 1) - queries(q, 1);
            if (best_d < 0.0 || d0 * d0 + d1 * d1 < best_d) {
                best_d = d0 * d0 + d1 * d1;
                best = r;
            }
        }
        check(found.ids(q, 0) == static_cast<tessera::neighbor_id>(best), "knn_index: nearest row");
    }

    // Two classifiers; on classes this far apart both must be right on every query.
    tessera::gaussian_nb<int> nb;
    nb.fit(x, y);
    const auto nb_labels = nb.predict(queries);
    check(nb_labels.size() == 2 && nb_labels[0] == 0 && nb_labels[1] == 1, "gaussian_nb: predictions");

    tessera::logistic_regression<int> lr;
    lr.fit(x, y);
    const auto lr_labels = lr.predict(queries);
    check(lr_labels.size() == 2 && lr_labels[0] == 0 && lr_labels[1] == 1, "logistic_regression: predictions");

    // Bad input is an exception from tessera's hierarchy, not undefined behaviour.
    bool refused = false;
    try {
        (void)index.search(queries, 1000);
    } catch (const tessera::invalid_argument&) {
        refused = true;
    }
    check(refused, "knn_index: k larger than the index is refused");

    return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: unexpected exception: %s\n", e.what());
    return 1;
}
