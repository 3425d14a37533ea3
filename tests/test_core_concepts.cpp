// The input concepts accept and reject exactly what they should; as_rows views without copying.
#include <doctest/doctest.h>

#include <tessera/core/concepts.hpp>
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/labels.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {
enum class fruit : short { apple = 3, pear = -1, plum = 10 };
enum plain_enum { first_value = 5, second_value = 2 };
struct not_a_number {};

// A user container: follows the view() convention, so it is matrix_like without adapters.
struct user_matrix {
    std::vector<double> data = std::vector<double>(6, 1.0);
    [[nodiscard]] tessera::matrix_view<const double> view() const { return {data.data(), 2, 3}; }
    operator tessera::matrix_view<const double>() const { return view(); }  // NOLINT
};
}  // namespace

// ---- dense inputs ------------------------------------------------------------------------
static_assert(tessera::dense_input<tessera::matrix_view<float>>);
static_assert(tessera::dense_input<tessera::matrix_view<const double>>);
static_assert(tessera::dense_input<tessera::dense_matrix<float>>);
static_assert(tessera::dense_input<tessera::dense_matrix<double, std::pmr::polymorphic_allocator<double>>>);
static_assert(tessera::dense_input<user_matrix>);
// A sparse matrix has a view() too, but not a dense one: asking must answer false, not fail to compile.
static_assert(!tessera::dense_input<tessera::csr_matrix<float>>);
static_assert(!tessera::matrix_like<tessera::csr_matrix<double, std::int64_t>>);
static_assert(tessera::dense_input<std::vector<std::vector<float>>>);
static_assert(tessera::dense_input<std::vector<std::array<double, 4>>>);
static_assert(tessera::dense_input<std::deque<std::vector<int>>>);          // random access outer range
static_assert(tessera::dense_input<std::span<const std::vector<float>>>);
static_assert(!tessera::dense_input<std::list<std::vector<float>>>);         // not random access
static_assert(!tessera::dense_input<std::vector<std::list<float>>>);         // rows not contiguous
static_assert(!tessera::dense_input<std::vector<std::vector<bool>>>);        // vector<bool> is no array of numbers
static_assert(!tessera::dense_input<std::vector<std::vector<not_a_number>>>);
static_assert(!tessera::dense_input<std::vector<std::string>>);              // chars are numeric, but...
static_assert(!tessera::dense_input<std::vector<float>>);                    // a flat vector has no rows
static_assert(!tessera::dense_input<float*>);
static_assert(!tessera::dense_input<int>);

static_assert(std::is_same_v<tessera::dense_value_t<std::vector<std::vector<float>>>, float>);
static_assert(std::is_same_v<tessera::dense_value_t<tessera::dense_matrix<double>>, double>);
static_assert(std::is_same_v<tessera::dense_value_t<tessera::matrix_view<const int>>, int>);

static_assert(tessera::strided_rows<tessera::matrix_view<const float>>);
static_assert(tessera::row_access<tessera::range_rows<std::vector<std::vector<float>>>>);
static_assert(!tessera::strided_rows<tessera::range_rows<std::vector<std::vector<float>>>>);

// ---- labels -------------------------------------------------------------------------------
static_assert(tessera::label<int>);
static_assert(tessera::label<unsigned char>);
static_assert(tessera::label<bool>);
static_assert(tessera::label<fruit>);
static_assert(tessera::label<plain_enum>);
static_assert(tessera::label<std::string>);
static_assert(tessera::label<std::string_view>);
static_assert(tessera::label<const char*>);
static_assert(!tessera::label<double>);
static_assert(!tessera::label<float>);
static_assert(!tessera::label<not_a_number>);
static_assert(!tessera::label<std::vector<int>>);
static_assert(tessera::label_range<std::vector<std::string>>);
static_assert(tessera::label_range<std::array<fruit, 3>>);
static_assert(tessera::label_range<std::list<long>>);
static_assert(!tessera::label_range<std::vector<double>>);
static_assert(std::is_same_v<tessera::label_storage_t<const char*>, std::string>);
static_assert(std::is_same_v<tessera::label_storage_t<std::string_view>, std::string>);
static_assert(std::is_same_v<tessera::label_storage_t<fruit>, fruit>);

TEST_CASE("as_rows: matrix-like inputs are viewed in place") {
    tessera::dense_matrix<float> m{{1, 2}, {3, 4}, {5, 6}};
    const auto v = tessera::as_rows(m);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(v)>, tessera::matrix_view<const float>>);
    CHECK(v.data() == m.data());  // no copy
    CHECK(v.rows() == 3);
    CHECK(v(2, 1) == 6);

    user_matrix u;
    CHECK(tessera::as_rows(u).data() == u.data.data());
}

TEST_CASE("as_rows: ranges of rows are referenced in place; ragged rows are rejected") {
    std::vector<std::vector<double>> rows{{1, 2, 3}, {4, 5, 6}};
    const auto r = tessera::as_rows(rows, "knn_index::fit", "X");
    CHECK(r.rows() == 2);
    CHECK(r.cols() == 3);
    CHECK(r.row(1).data() == rows[1].data());  // no copy
    CHECK(r.row(1)[2] == 6);

    std::vector<std::array<float, 2>> fixed{{1, 2}, {3, 4}, {5, 6}};
    CHECK(tessera::as_rows(fixed).row(2)[0] == 5);

    std::vector<std::vector<double>> empty;
    CHECK(tessera::as_rows(empty).rows() == 0);

    std::vector<std::vector<double>> ragged{{1, 2, 3}, {4, 5}};
    try {
        (void)tessera::as_rows(ragged, "knn_index::fit", "X");
        FAIL("ragged rows must throw");
    } catch (const tessera::dimension_mismatch& e) {
        const std::string what = e.what();
        CHECK(what.find("tessera::knn_index::fit") != std::string::npos);
        CHECK(what.find("'X'") != std::string::npos);
        CHECK(what.find("row 1") != std::string::npos);
    }
}

TEST_CASE("require_finite_rows names the first NaN or Inf") {
    tessera::dense_matrix<double> m(3, 4, 1.0);
    CHECK_NOTHROW(tessera::require_finite_rows(tessera::as_rows(m), "f", "X"));
    m(2, 1) = std::numeric_limits<double>::infinity();
    m(1, 3) = std::nan("");
    try {
        tessera::require_finite_rows(tessera::as_rows(m), "logistic_regression::fit", "X");
        FAIL("must throw");
    } catch (const tessera::invalid_argument& e) {
        const std::string what = e.what();
        CHECK(what.find("NaN at row 1, column 3") != std::string::npos);
    }
    tessera::dense_matrix<int> ints(2, 2, 1);
    CHECK_NOTHROW(tessera::require_finite_rows(tessera::as_rows(ints), "f", "X"));
}

// The 16-bit storage types are dense inputs too (k-NN indexes hold them), not numbers.
static_assert(tessera::storage_element<tessera::bfloat16> && tessera::storage_element<tessera::half>);
static_assert(!tessera::numeric<tessera::bfloat16> && !tessera::numeric<tessera::half>);
static_assert(tessera::dense_input<tessera::dense_matrix<tessera::bfloat16>>);
static_assert(tessera::dense_input<std::vector<std::vector<tessera::half>>>);
static_assert(!tessera::dense_input<std::vector<std::string>>);

TEST_CASE("require_finite_rows reads bfloat16 and half through float") {
    tessera::dense_matrix<tessera::bfloat16> b(2, 3, tessera::bfloat16(1.0f));
    CHECK_NOTHROW(tessera::require_finite_rows(tessera::as_rows(b), "f", "X"));
    b(1, 2) = tessera::bfloat16(std::numeric_limits<float>::infinity());
    CHECK_THROWS_WITH_AS(tessera::require_finite_rows(tessera::as_rows(b), "f", "X"),
                         doctest::Contains("Inf at row 1, column 2"), tessera::invalid_argument);
    const std::vector<std::vector<tessera::half>> h{{tessera::half(0.5f)}, {tessera::half(std::nanf(""))}};
    CHECK_THROWS_WITH_AS(tessera::require_finite_rows(tessera::as_rows(h), "f", "X"),
                         doctest::Contains("NaN at row 1, column 0"), tessera::invalid_argument);
}

TEST_CASE("label_encoder: sorted classes, encode/decode round trip") {
    std::vector<std::string> y{"spam", "ham", "spam", "eggs", "ham"};
    tessera::label_encoder<std::string> enc;
    CHECK_FALSE(enc.fitted());
    enc.fit(y);
    REQUIRE(enc.n_classes() == 3);
    CHECK(enc.classes()[0] == "eggs");
    CHECK(enc.classes()[1] == "ham");
    CHECK(enc.classes()[2] == "spam");
    const auto idx = enc.encode(y);
    CHECK(idx == std::vector<tessera::class_index>{2, 1, 2, 0, 1});
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(enc.decode(idx[i]) == y[i]);
    CHECK(enc.index_of(std::string_view("ham")) == 1);
    CHECK(enc.index_of("eggs") == 0);  // a const char* query against std::string classes
    CHECK_FALSE(enc.find("bacon").has_value());
}

TEST_CASE("label_encoder: integral and enum labels sort numerically") {
    std::vector<int> y{10, -3, 2, 10, 2};
    tessera::label_encoder<int> ints;
    ints.fit(y);
    CHECK(std::vector<int>(ints.classes().begin(), ints.classes().end()) == std::vector<int>{-3, 2, 10});

    std::vector<fruit> f{fruit::plum, fruit::apple, fruit::pear};
    tessera::label_encoder<fruit> fe;
    fe.fit(f);
    CHECK(fe.classes()[0] == fruit::pear);  // -1 < 3 < 10
    CHECK(fe.classes()[2] == fruit::plum);

    tessera::label_encoder<bool> be;
    std::vector<bool> b{true, false, true};
    be.fit(b);
    CHECK(be.n_classes() == 2);
    CHECK(be.index_of(true) == 1);
}

TEST_CASE("label_encoder: every error path") {
    tessera::label_encoder<int> enc;
    std::vector<int> none;
    CHECK_THROWS_AS(enc.fit(none), tessera::invalid_argument);
    CHECK_THROWS_AS((void)enc.index_of(1), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)enc.decode(0), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)enc.encode(none), tessera::not_fitted_error);

    std::vector<int> y{1, 2, 3};
    enc.fit(y);
    std::vector<int> unknown{1, 7};
    try {
        (void)enc.encode(unknown, "multinomial_nb::partial_fit", "y");
        FAIL("unknown labels must throw");
    } catch (const tessera::invalid_argument& e) {
        const std::string what = e.what();
        CHECK(what.find("tessera::multinomial_nb::partial_fit") != std::string::npos);
        CHECK(what.find("unknown label 7 at position 1") != std::string::npos);
    }
    CHECK_THROWS_AS((void)enc.decode(3), tessera::invalid_argument);

    std::vector<std::string> dup{"a", "b", "a"};
    CHECK_THROWS_WITH_AS((void)tessera::label_encoder<std::string>::from_classes(dup),
                         doctest::Contains("declares the class 'a' twice"), tessera::invalid_argument);
    std::vector<std::string> declared{"b", "a", "c"};
    auto e = tessera::label_encoder<std::string>::from_classes(declared);
    CHECK(e.classes()[0] == "a");
}
