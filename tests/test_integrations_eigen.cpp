// The Eigen adapter: views share memory both ways and strides survive. Built only with Eigen.
#include <doctest/doctest.h>

#if defined(TESSERA_HAS_EIGEN)
#include <tessera/core/concepts.hpp>
#include <tessera/integrations/eigen.hpp>

TEST_CASE("eigen: row-major Eigen matrices are viewed without copies") {
    tessera::eigen::row_matrix<float> X(3, 4);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) X(i, j) = static_cast<float>(10 * i + j);
    const auto v = tessera::eigen::view(X);
    CHECK(v.data() == X.data());
    CHECK(v.rows() == 3);
    CHECK(v.cols() == 4);
    CHECK(v(2, 3) == 23.f);
    static_assert(tessera::dense_input<decltype(v)>);

    auto mv = tessera::eigen::mutable_view(X);
    mv(0, 0) = -5.f;
    CHECK(X(0, 0) == -5.f);

    // A strided map: the middle 2 columns of X.
    Eigen::Map<tessera::eigen::row_matrix<float>, Eigen::Unaligned, Eigen::OuterStride<>> block(
        X.data() + 1, 3, 2, Eigen::OuterStride<>(4));
    const auto bv = tessera::eigen::view(block);
    CHECK(bv.stride() == 4);
    CHECK(bv(1, 0) == 11.f);
}

TEST_CASE("eigen: tessera matrices are mapped into Eigen with their padded stride") {
    tessera::dense_matrix<double> m{{1, 2, 3}, {4, 5, 6}};
    auto e = tessera::eigen::map(m);
    CHECK(e.outerStride() == static_cast<Eigen::Index>(m.stride()));
    CHECK(e(1, 2) == 6.0);
    e(0, 1) = 20.0;
    CHECK(m(0, 1) == 20.0);
    const auto& cm = m;
    CHECK(tessera::eigen::map(cm).sum() == doctest::Approx(1 + 20 + 3 + 4 + 5 + 6));

    Eigen::MatrixXd col_major(2, 2);
    col_major << 1, 2, 3, 4;
    const auto copy = tessera::eigen::to_dense(col_major);
    CHECK(copy == tessera::dense_matrix<double>{{1, 2}, {3, 4}});
}
#else
TEST_CASE("eigen: not built") {
    MESSAGE("Eigen 3.4 was not found at configure time: the Eigen adapter tests are skipped");
}
#endif
