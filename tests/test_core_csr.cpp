// CSR construction, validation and transposition, checked against dense references built
// directly in the test.
#include <doctest/doctest.h>

#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/random.hpp>

#include <cstdint>
#include <memory_resource>
#include <string>
#include <vector>

namespace {

// Dense reference: entries accumulated in input order, exactly as the documented semantics say.
template <class T, class Index>
std::vector<std::vector<T>> dense_reference(std::size_t rows, std::size_t cols,
                                            const std::vector<tessera::triplet<T, Index>>& entries) {
    std::vector<std::vector<T>> d(rows, std::vector<T>(cols, T{}));
    for (const auto& e : entries) d[static_cast<std::size_t>(e.row)][static_cast<std::size_t>(e.col)] += e.value;
    return d;
}

template <class T, class Index, class A>
void check_against(const tessera::csr_matrix<T, Index, A>& m, const std::vector<std::vector<T>>& ref,
                   const std::vector<std::vector<bool>>& present) {
    REQUIRE(m.rows() == ref.size());
    std::size_t expected_nnz = 0;
    for (std::size_t i = 0; i < m.rows(); ++i) {
        const auto r = m.row(i);
        std::size_t k = 0;
        for (std::size_t j = 0; j < m.cols(); ++j) {
            if (!present[i][j]) continue;
            ++expected_nnz;
            REQUIRE(k < r.size());
            CHECK(static_cast<std::size_t>(r.indices[k]) == j);  // sorted, one entry per position
            CHECK(r.values[k] == ref[i][j]);                      // exact: same summation order
            ++k;
        }
        CHECK(k == r.size());
    }
    CHECK(m.nnz() == expected_nnz);
}

template <class Index>
void random_round_trip(std::uint64_t seed) {
    tessera::random_engine rng(seed);
    const std::size_t rows = 1 + rng.below(40);
    const std::size_t cols = 1 + rng.below(40);
    const std::size_t n = rng.below(rows * cols * 2);  // plenty of duplicates
    std::vector<tessera::triplet<double, Index>> entries;
    std::vector<std::vector<bool>> present(rows, std::vector<bool>(cols, false));
    for (std::size_t k = 0; k < n; ++k) {
        const auto r = static_cast<Index>(rng.below(rows));
        const auto c = static_cast<Index>(rng.below(cols));
        entries.push_back({r, c, rng.normal()});
        present[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] = true;
    }
    const auto ref = dense_reference(rows, cols, entries);
    const auto m = tessera::csr_matrix<double, Index>::from_triplets(rows, cols, entries);
    check_against(m, ref, present);

    // Transpose against the transposed reference.
    const auto t = m.transpose();
    CHECK(t.rows() == cols);
    CHECK(t.cols() == rows);
    std::vector<std::vector<double>> ref_t(cols, std::vector<double>(rows));
    std::vector<std::vector<bool>> present_t(cols, std::vector<bool>(rows));
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            ref_t[j][i] = ref[i][j];
            present_t[j][i] = present[i][j];
        }
    check_against(t, ref_t, present_t);
    CHECK(t.transpose() == m);  // an involution

    // to_dense against the reference.
    const auto d = m.to_dense();
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) CHECK(d(i, j) == ref[i][j]);
}

}  // namespace

TEST_CASE("csr_matrix: from_triplets sums duplicates and sorts, for several index types") {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        CAPTURE(seed);
        random_round_trip<std::int32_t>(seed);
        random_round_trip<std::uint32_t>(seed + 100);
        random_round_trip<std::int64_t>(seed + 200);
    }
}

TEST_CASE("csr_matrix: small hand-checked example, parallel arrays, empty rows") {
    // [ 0 5 0 ]
    // [ 0 0 0 ]
    // [ 1 0 3 ]   with (2,2) given as 1 + 2 and listed out of order
    std::vector<int> r{2, 0, 2, 2};
    std::vector<int> c{2, 1, 0, 2};
    std::vector<float> v{1, 5, 1, 2};
    const auto m = tessera::csr_matrix<float>::from_triplets(3, 3, r, c, v);
    CHECK(std::vector<int>(m.indptr().begin(), m.indptr().end()) == std::vector<int>{0, 1, 1, 3});
    CHECK(std::vector<int>(m.indices().begin(), m.indices().end()) == std::vector<int>{1, 0, 2});
    CHECK(std::vector<float>(m.values().begin(), m.values().end()) == std::vector<float>{5, 1, 3});
    CHECK(m.row(1).empty());

    const auto t = m.transpose();
    CHECK(std::vector<int>(t.indptr().begin(), t.indptr().end()) == std::vector<int>{0, 1, 2, 3});
    CHECK(std::vector<int>(t.indices().begin(), t.indices().end()) == std::vector<int>{2, 0, 2});

    const auto empty = tessera::csr_matrix<float>::from_triplets(4, 2, std::span<const tessera::triplet<float>>{});
    CHECK(empty.nnz() == 0);
    CHECK(empty.indptr().size() == 5);
    CHECK(empty.transpose().rows() == 2);

    tessera::dense_matrix<float> dense{{0, 2, 0}, {0, 0, 0}, {7, 0, 1}};
    const auto from_dense = tessera::csr_matrix<float>::from_dense(dense);
    CHECK(from_dense.nnz() == 3);
    CHECK(from_dense.to_dense() == dense);
}

TEST_CASE("csr_matrix: out-of-range triplets and mismatched arrays are rejected") {
    std::vector<tessera::triplet<float>> bad{{0, 0, 1.f}, {1, 3, 1.f}};
    CHECK_THROWS_WITH_AS((void)tessera::csr_matrix<float>::from_triplets(2, 3, bad),
                         doctest::Contains("entry 1 at (1, 3) is outside the 2 x 3 shape"), tessera::invalid_argument);
    std::vector<tessera::triplet<float>> negative{{-1, 0, 1.f}};
    CHECK_THROWS_AS((void)tessera::csr_matrix<float>::from_triplets(2, 3, negative), tessera::invalid_argument);
    std::vector<int> r{0, 1};
    std::vector<int> c{0};
    std::vector<float> v{1, 2};
    CHECK_THROWS_AS((void)tessera::csr_matrix<float>::from_triplets(2, 2, r, c, v), tessera::dimension_mismatch);
    // A shape whose size does not fit the index type.
    CHECK_THROWS_AS((tessera::csr_matrix<float, std::int16_t>(40000, 2)), tessera::invalid_argument);
}

TEST_CASE("csr validation: every broken invariant is named") {
    using m = tessera::csr_matrix<double>;
    using iv = m::index_vector;
    using vv = m::value_vector;
    auto expect = [](iv indptr, iv indices, vv values, const char* text) {
        CAPTURE(text);
        CHECK_THROWS_WITH_AS(m(2, 3, std::move(indptr), std::move(indices), std::move(values)), doctest::Contains(text),
                             tessera::invalid_argument);
    };
    expect({0, 1}, {0}, {1.0}, "expected rows + 1 = 3");
    expect({1, 1, 1}, {0}, {1.0}, "must start at 0");
    expect({0, 1, 1}, {0}, {1.0, 2.0}, "has 2 entries but indices has 1");
    expect({0, 1, 2}, {0}, {1.0}, "must end at nnz");
    expect({0, 2, 1}, {0, 1}, {1.0, 2.0}, "must end at nnz");
    expect({0, 2, 2}, {1, 0}, {1.0, 2.0}, "not strictly increasing in row 0");
    expect({0, 2, 2}, {1, 1}, {1.0, 2.0}, "not strictly increasing in row 0");
    expect({0, 1, 2}, {0, 3}, {1.0, 2.0}, "column 3 in row 1 is outside [0, 3)");
    expect({0, 1, 2}, {0, -2}, {1.0, 2.0}, "column -2 in row 1");
    expect({0, 3, 2}, {0, 1}, {1.0, 2.0}, "decreases at row 1");  // row 0 would run past nnz

    std::vector<int> ip{0, 1, 2};
    std::vector<int> ix{2, 0};
    std::vector<double> vx{1.0, 2.0};
    const tessera::csr_view<double> view(2, 3, ip, ix, vx);  // valid: accepted
    CHECK(view.nnz() == 2);
    ix[1] = 5;
    CHECK_THROWS_AS(tessera::csr_view<double>(2, 3, ip, ix, vx), tessera::invalid_argument);
}

TEST_CASE("csr_matrix: allocates only through a std::pmr resource") {
    std::array<std::byte, 1 << 15> arena{};
    std::pmr::monotonic_buffer_resource resource(arena.data(), arena.size(), std::pmr::null_memory_resource());
    using pmr_csr = tessera::csr_matrix<float, std::int32_t, std::pmr::polymorphic_allocator<float>>;
    std::vector<tessera::triplet<float>> entries;
    for (int i = 0; i < 200; ++i) entries.push_back({i % 17, (i * 7) % 23, 1.f});
    // With a null upstream any allocation outside the arena would throw bad_alloc.
    const pmr_csr m = pmr_csr::from_triplets(17, 23, entries, &resource);
    const pmr_csr t = m.transpose();
    CHECK(t.get_allocator().resource() == &resource);
    CHECK(m.nnz() == t.nnz());
    const auto d = m.to_dense(tessera::row_padding::aligned, m.get_allocator());
    CHECK(d.get_allocator().resource() == &resource);
    float total = 0;
    for (std::size_t i = 0; i < d.rows(); ++i)
        for (float x : d.row(i)) total += x;
    CHECK(total == 200.f);
}
