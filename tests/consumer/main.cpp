// Uses an installed (or fetched) tessera like a user would; exits non-zero if anything is off.
#include <tessera/tessera.hpp>
#include <tessera/version.hpp>
#include <tessera/core/dense_matrix.hpp>

#include <cstdio>
#include <cstring>

int main() {
    std::printf("tessera %s (version %d.%d.%d)\n", tessera::version_string, tessera::version.major,
                tessera::version.minor, tessera::version.patch);
    if (std::strlen(tessera::version_string) < 5) return 1;

    tessera::dense_matrix<float> m(3, 4);
    m(1, 2) = 5.f;
    m(2, 3) = -1.5f;
    double sum = 0.0;
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = 0; j < m.cols(); ++j) sum += m(i, j);
    std::printf("dense_matrix<float> %zu x %zu, m(1,2) = %g, sum = %g\n",
                static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()),
                static_cast<double>(m(1, 2)), sum);
    if (m.rows() != 3 || m.cols() != 4 || m(1, 2) != 5.f || sum != 3.5) {
        std::fprintf(stderr, "consumer: unexpected matrix contents\n");
        return 1;
    }
    return 0;
}
