// Builds against the packaged headers and runs two real algorithms on a few points.
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/neighbors/knn_index.hpp>
#include <tessera/version.hpp>

#if defined(TESSERA_TEST_CORE_ONLY) && (defined(TESSERA_HAS_EIGEN) || defined(TESSERA_HAS_XSIMD))
#error "tessera::tessera must not define the companions' TESSERA_HAS_* macros"
#endif
#if defined(TESSERA_TEST_EIGEN)
#include <tessera/integrations/eigen.hpp>
#endif

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main() {
    std::printf("tessera %s\n", tessera::version_string);
    check(std::string(tessera::version_string) ==
              std::to_string(tessera::version.major) + "." + std::to_string(tessera::version.minor) + "." +
                  std::to_string(tessera::version.patch),
          "version_string matches version");

    // Two well separated clusters in the plane.
    const std::vector<std::array<double, 2>> x = {
        {0.0, 0.1}, {0.2, -0.1}, {-0.1, 0.0}, {0.1, 0.2},   // "low"
        {5.0, 5.1}, {5.2, 4.9}, {4.9, 5.0}, {5.1, 5.2}};    // "high"
    const std::vector<std::string> y = {"low", "low", "low", "low", "high", "high", "high", "high"};

    tessera::gaussian_nb<std::string, double> nb;
    nb.fit(x, y);
    const std::vector<std::array<double, 2>> queries = {{0.05, 0.0}, {5.15, 5.2}, {4.0, 4.2}};
    const auto predicted = nb.predict(queries);
    check(predicted.size() == 3 && predicted[0] == "low" && predicted[1] == "high" && predicted[2] == "high",
          "gaussian_nb predicts the cluster of each query");
    std::printf("gaussian_nb: %s %s %s\n", predicted.at(0).c_str(), predicted.at(1).c_str(), predicted.at(2).c_str());

    tessera::knn_index<double> index(2);
    index.add(x);  // ids 0..7 in row order
    const auto result = index.search(queries, 2);
    // Query 0 = (0.05, 0): rows 0 (0, 0.1) and 2 (-0.1, 0), at squared distances 0.0125 and 0.0225.
    check(result.ids(0, 0) == 0 && result.ids(0, 1) == 2 && result.distances(0, 0) > 0.0124 &&
              result.distances(0, 0) < 0.0126,
          "knn_index finds the two nearest rows of query 0");
    // Query 1 = (5.15, 5.2): rows 7 (5.1, 5.2) and 4 (5.0, 5.1), at 0.0025 and 0.0325.
    check(result.ids(1, 0) == 7 && result.ids(1, 1) == 4, "knn_index orders the neighbours of query 1");
    std::printf("knn_index: query 0 -> rows %lld, %lld; query 1 -> rows %lld, %lld\n",
                static_cast<long long>(result.ids(0, 0)), static_cast<long long>(result.ids(0, 1)),
                static_cast<long long>(result.ids(1, 0)), static_cast<long long>(result.ids(1, 1)));

#if defined(TESSERA_TEST_EIGEN)
    check(TESSERA_HAS_EIGEN == 1, "tessera::eigen defines TESSERA_HAS_EIGEN=1");
    tessera::eigen::row_matrix<double> m(2, 2);
    m << 1.0, 2.0, 3.0, 4.0;
    const auto v = tessera::eigen::view(m);
    check(v.rows() == 2 && v.cols() == 2 && v(1, 0) == 3.0, "an Eigen matrix viewed without a copy");
    std::printf("tessera::eigen: ok\n");
#endif
#if defined(TESSERA_TEST_XSIMD)
    check(TESSERA_HAS_XSIMD == 1, "tessera::xsimd defines TESSERA_HAS_XSIMD=1");
    std::printf("tessera::xsimd: ok\n");
#endif

    if (failures != 0) {
        std::printf("test_package: %d check(s) failed\n", failures);
        return 1;
    }
    std::printf("test_package: all checks passed\n");
    return 0;
}
