// one_hot_encoder and simple_imputer against scikit-learn 1.2.1 on the fixed inputs of
// tests/reference/preprocessing_reference.py, against definitions computed here (column
// means, medians, modes of observed values; one 1 per row and column block), inverse
// transforms, archives, allocators and every bad input.
#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/preprocessing/one_hot_encoder.hpp>
#include <tessera/preprocessing/scalers.hpp>
#include <tessera/preprocessing/simple_imputer.hpp>

#include <doctest/doctest.h>

#include "memory_test_support.hpp"
#include "model_test_support.hpp"
#include "reference/preprocessing_reference.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

using tessera_test::archive_bytes;
using tessera_test::from_bytes;
namespace ref = prep_reference;

namespace {

using string_rows = std::vector<std::vector<std::string>>;
using encoder = tessera::one_hot_encoder<std::string>;
using drop = tessera::drop_category;
using unknown = tessera::unknown_category;

constexpr double quiet_nan = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

template <std::size_t N, std::size_t D>
string_rows to_rows(const char* const (&table)[N][D]) {
    string_rows out(N);
    for (std::size_t i = 0; i < N; ++i) out[i].assign(table[i], table[i] + D);
    return out;
}

string_rows strings_train() { return to_rows(ref::strings_train); }
string_rows strings_test() { return to_rows(ref::strings_test); }

// Whether matrix m (dense or CSR, read through to_dense for CSR) equals the row-major reference.
template <class M>
bool equals_reference(const M& m, const double* reference, std::size_t count) {
    if (m.rows() * m.cols() != count) return false;
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = 0; j < m.cols(); ++j)
            if (static_cast<double>(m(i, j)) != reference[i * m.cols() + j]) return false;
    return true;
}

template <std::size_t N>
bool same_names(const std::vector<std::string>& names, const char* const (&reference)[N]) {
    return names == std::vector<std::string>(reference, reference + N);
}

template <class Span, std::size_t N>
bool same_strings(const Span& values, const char* const (&reference)[N]) {
    return std::vector<std::string>(values.begin(), values.end()) == std::vector<std::string>(reference, reference + N);
}

// Every stored value of a CSR matrix is 1 (no explicit zeros).
template <class M>
bool only_ones(const M& csr) {
    return std::all_of(csr.values().begin(), csr.values().end(), [](auto v) { return v == 1; });
}

tessera::dense_matrix<double> table(const double* values, std::size_t rows, std::size_t cols) {
    tessera::dense_matrix<double> x(rows, cols);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) x(i, j) = values[i * cols + j];
    return x;
}

template <std::size_t D, std::size_t N>
tessera::dense_matrix<double> table(const double (&values)[N][D]) {
    return table(&values[0][0], N, D);
}

// Exactly the values of the reference, NaN nowhere.
bool equals_values(const tessera::dense_matrix<double>& m, const double* reference, std::size_t count,
                   double rel = 0.0) {
    if (m.rows() * m.cols() != count) return false;
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = 0; j < m.cols(); ++j) {
            const double a = m(i, j);
            const double b = reference[i * m.cols() + j];
            if (std::isnan(a) || std::fabs(a - b) > rel * std::fabs(b)) return false;
        }
    return true;
}

}  // namespace

// ---- one_hot_encoder ---------------------------------------------------------------------------

TEST_CASE("one_hot_encoder matches scikit-learn 1.2.1 on text columns, for every drop option") {
    const auto train = strings_train();
    const auto test = strings_test();
    struct expected {
        drop d;
        const double* train;
        std::size_t train_size;
        const double* test;
        std::size_t test_size;
    };
    for (const auto& e : {expected{drop::none, ref::strings_none_train, std::size(ref::strings_none_train),
                                   ref::strings_none_test, std::size(ref::strings_none_test)},
                          expected{drop::first, ref::strings_first_train, std::size(ref::strings_first_train),
                                   ref::strings_first_test, std::size(ref::strings_first_test)},
                          expected{drop::if_binary, ref::strings_if_binary_train, std::size(ref::strings_if_binary_train),
                                   ref::strings_if_binary_test, std::size(ref::strings_if_binary_test)}}) {
        CAPTURE(static_cast<int>(e.d));
        encoder enc({.handle_unknown = unknown::ignore, .drop = e.d});
        const auto y = enc.fit_transform(train);
        CHECK(only_ones(y));
        CHECK(equals_reference(y.to_dense(), e.train, e.train_size));
        CHECK(equals_reference(enc.transform_dense(train), e.train, e.train_size));
        const auto t = enc.transform(test);
        CHECK(only_ones(t));
        CHECK(equals_reference(t.to_dense(), e.test, e.test_size));
        CHECK(equals_reference(enc.transform_dense(test), e.test, e.test_size));
        CHECK(enc.n_features() == 4);
        CHECK(enc.n_output_features() == y.cols());
    }
    encoder none({.handle_unknown = unknown::ignore});
    none.fit(train);
    CHECK(same_names(none.feature_names(), ref::strings_none_names));
    CHECK(same_strings(none.categories(0), ref::strings_categories_0));
    CHECK(same_strings(none.categories(1), ref::strings_categories_1));
    CHECK(same_strings(none.categories(2), ref::strings_categories_2));
    CHECK(same_strings(none.categories(3), ref::strings_categories_3));
    encoder first({.drop = drop::first});
    first.fit(train);
    CHECK(same_names(first.feature_names(), ref::strings_first_names));
    CHECK(first.drop_index(3) == std::optional<std::size_t>(0));
    CHECK(first.out_begin(3) == first.n_output_features());  // the constant column vanishes
    encoder binary({.drop = drop::if_binary});
    binary.fit(train);
    CHECK(same_names(binary.feature_names(), ref::strings_if_binary_names));
    CHECK(!binary.drop_index(0).has_value());
    CHECK(binary.drop_index(2) == std::optional<std::size_t>(0));
}

TEST_CASE("one_hot_encoder: given categories keep their text order, as scikit-learn's") {
    // const char* cells through fixed-size rows.
    std::vector<std::array<const char*, 2>> rows;
    for (const auto& r : ref::strings_train) rows.push_back({r[0], r[1]});
    encoder::options opts{.drop = drop::first};
    opts.categories = {std::vector<std::string>(std::begin(ref::given_categories_0), std::end(ref::given_categories_0)),
                       std::vector<std::string>(std::begin(ref::given_categories_1), std::end(ref::given_categories_1))};
    encoder enc(opts);
    const auto y = enc.fit_transform(rows);
    CHECK(equals_reference(y.to_dense(), ref::given_first_train, std::size(ref::given_first_train)));
    CHECK(same_names(enc.feature_names(std::vector<std::string>{"colour", "size"}), ref::given_first_names));
    CHECK(same_strings(enc.categories(0), ref::given_categories_0));
    CHECK(same_strings(enc.categories(1), ref::given_categories_1));
    // "black" was never seen but is a category: it encodes and decodes.
    const std::vector<std::vector<std::string_view>> black{{"black", "S"}};
    const auto b = enc.transform_dense(black);
    CHECK(b(0, 2) == 1.0);
    CHECK(enc.inverse_transform(b) == std::vector<std::vector<std::string>>{{"black", "S"}});
}

TEST_CASE("one_hot_encoder matches scikit-learn 1.2.1 on integer columns") {
    tessera::dense_matrix<int> train(std::size(ref::ints_train), 2);
    for (std::size_t i = 0; i < train.rows(); ++i)
        for (std::size_t j = 0; j < 2; ++j) train(i, j) = ref::ints_train[i][j];
    std::vector<std::vector<long>> test;
    for (const auto& r : ref::ints_test) test.push_back({r[0], r[1]});
    tessera::one_hot_encoder<int> enc({.handle_unknown = unknown::ignore, .drop = drop::first});
    const auto y = enc.fit_transform(train);
    CHECK(equals_reference(y.to_dense(), ref::ints_first_train, std::size(ref::ints_first_train)));
    CHECK(equals_reference(enc.transform(test).to_dense(), ref::ints_first_test, std::size(ref::ints_first_test)));
    CHECK(same_names(enc.feature_names(std::vector<std::string_view>{"a", "b"}), ref::ints_first_names));
    const auto c0 = enc.categories(0);
    const auto c1 = enc.categories(1);
    CHECK(std::vector<double>(c0.begin(), c0.end()) ==
          std::vector<double>(std::begin(ref::ints_categories_0), std::end(ref::ints_categories_0)));
    CHECK(std::vector<double>(c1.begin(), c1.end()) ==
          std::vector<double>(std::begin(ref::ints_categories_1), std::end(ref::ints_categories_1)));
    // A value that int cannot hold is unknown at transform and an error at fit.
    const std::vector<std::vector<long long>> huge{{3, 10}, {4'000'000'000LL, 10}};
    const auto h = enc.transform_dense(huge);
    CHECK(std::all_of(h.row(1).begin(), h.row(1).begin() + static_cast<std::ptrdiff_t>(enc.out_begin(1)),
                      [](double v) { return v == 0; }));
    tessera::one_hot_encoder<int> fresh;
    CHECK_THROWS_WITH_AS(fresh.fit(huge), doctest::Contains("row 1, column 0"), tessera::invalid_argument);
    tessera::one_hot_encoder<std::int64_t> wide;
    wide.fit(huge);
    CHECK(wide.categories(0).back() == 4'000'000'000LL);
}

TEST_CASE("one_hot_encoder: one 1 per row and column block, and inverse_transform undoes transform") {
    tessera::random_engine rng(17);
    std::vector<std::vector<std::int16_t>> x(200, std::vector<std::int16_t>(5));
    for (auto& row : x)
        for (std::size_t j = 0; j < row.size(); ++j)
            row[j] = static_cast<std::int16_t>(rng.uniform(-3.0, 3.0 + 2.0 * static_cast<double>(j)));
    for (const drop d : {drop::none, drop::first, drop::if_binary}) {
        CAPTURE(static_cast<int>(d));
        tessera::one_hot_encoder<std::int16_t, float, std::int64_t> enc({.drop = d});
        const auto y = enc.fit_transform(x);
        static_assert(std::is_same_v<decltype(y), const tessera::csr_matrix<float, std::int64_t>>);
        for (std::size_t j = 0; j < 5; ++j) {
            // The distinct values of column j, computed here.
            std::vector<std::int16_t> distinct;
            for (const auto& row : x) distinct.push_back(row[j]);
            std::sort(distinct.begin(), distinct.end());
            distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
            const auto cats = enc.categories(j);
            CHECK(std::vector<std::int16_t>(cats.begin(), cats.end()) == distinct);
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
            const auto r = y.row(i);
            std::size_t expected_nnz = 0;
            for (std::size_t j = 0; j < 5; ++j) {
                const auto cats = enc.categories(j);
                const auto k = static_cast<std::size_t>(std::lower_bound(cats.begin(), cats.end(), x[i][j]) - cats.begin());
                const bool dropped = enc.drop_index(j).has_value();
                if (dropped && k == 0) continue;
                const auto column = enc.out_begin(j) + k - (dropped ? 1 : 0);
                CHECK(std::find(r.indices.begin(), r.indices.end(), static_cast<std::int64_t>(column)) != r.indices.end());
                ++expected_nnz;
            }
            CHECK(r.size() == expected_nnz);
        }
        CHECK(enc.inverse_transform(y) == x);
        CHECK(enc.inverse_transform(y.to_dense()) == x);
    }
    // Text given as std::string, std::string_view and const char* encodes alike.
    const auto train = strings_train();
    std::vector<std::vector<std::string_view>> views;
    for (const auto& row : train) views.emplace_back(row.begin(), row.end());
    encoder a({.drop = drop::if_binary});
    encoder b({.drop = drop::if_binary});
    CHECK(a.fit_transform(train) == b.fit_transform(views));
    CHECK(b.inverse_transform(b.transform(train)) == train);
}

TEST_CASE("one_hot_encoder: unknown categories") {
    const auto train = strings_train();
    const auto test = strings_test();
    encoder strict;
    strict.fit(train);
    CHECK_THROWS_WITH_AS((void)strict.transform(test), doctest::Contains("unknown category 'XS' at row 0, column 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS((void)strict.transform_dense(test), tessera::invalid_argument);
    const string_rows second_row_only{test[1]};
    CHECK_THROWS_WITH_AS((void)strict.transform(second_row_only), doctest::Contains("'purple' at row 0, column 0"),
                         tessera::invalid_argument);
    encoder lenient({.handle_unknown = unknown::ignore});
    lenient.fit(train);
    const auto y = lenient.transform_dense(test);
    // Row 1's colour block is all zeros; inverting it has no answer without a dropped category.
    CHECK(y(1, 0) + y(1, 1) + y(1, 2) == 0.0);
    CHECK_THROWS_WITH_AS((void)lenient.inverse_transform(y), doctest::Contains("row 0 encodes no category of input column 1"),
                         tessera::invalid_argument);
    // With a dropped category the zeros decode to it, as in scikit-learn.
    encoder dropping({.handle_unknown = unknown::ignore, .drop = drop::first});
    dropping.fit(train);
    const auto back = dropping.inverse_transform(dropping.transform(test));
    CHECK(back[1][0] == "blue");
    CHECK(back[0][1] == "L");
    // Given categories: a value outside them is an error at fit unless unknowns are ignored.
    encoder::options given;
    given.categories = {{"red", "green"}, {"S", "M", "L", "XL"}, {"no", "yes"}, {"k"}};
    encoder refuse(given);
    CHECK_THROWS_WITH_AS(refuse.fit(train), doctest::Contains("'blue' at row 2, column 0"), tessera::invalid_argument);
    CHECK(!refuse.fitted());
    given.handle_unknown = unknown::ignore;
    encoder accept(given);
    accept.fit(train);
    CHECK(accept.transform(train).row(2).size() == 3);
}

TEST_CASE("one_hot_encoder refuses bad input with clear errors") {
    const auto train = strings_train();
    encoder enc;
    CHECK_THROWS_AS((void)enc.transform(train), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)enc.transform_dense(train), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)enc.inverse_transform(tessera::dense_matrix<double>(1, 3)), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)enc.categories(0), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)enc.feature_names(), tessera::not_fitted_error);
    tessera::archive_writer w(encoder::header());
    CHECK_THROWS_AS(enc.write_to(w), tessera::not_fitted_error);
    CHECK_THROWS_WITH_AS(enc.fit(string_rows{}), doctest::Contains("one_hot_encoder::fit: argument 'X': is empty"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(enc.fit(string_rows{{}, {}}), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(enc.fit(string_rows{{"a", "b"}, {"c"}}), doctest::Contains("row 1 has 1 values but row 0 has 2"),
                         tessera::dimension_mismatch);
    CHECK(!enc.fitted());
    enc.fit(train);
    CHECK_THROWS_AS((void)enc.transform(string_rows{{"red", "S", "yes"}}), tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)enc.transform_dense(string_rows{{"red", "S", "yes", "k", "k"}}), tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)enc.transform(string_rows{{"red", "S", "yes", "k"}, {"red"}}), tessera::dimension_mismatch);
    CHECK(enc.transform(string_rows{}).rows() == 0);
    CHECK(enc.transform(string_rows{}).cols() == enc.n_output_features());
    CHECK_THROWS_AS((void)enc.categories(4), tessera::invalid_argument);
    CHECK_THROWS_AS((void)enc.feature_names(std::vector<std::string>{"a", "b"}), tessera::dimension_mismatch);
    // A failed fit keeps what was learnt.
    CHECK_THROWS_AS(enc.fit(string_rows{{"a"}, {"b", "c"}}), tessera::dimension_mismatch);
    CHECK(enc.n_features() == 4);

    // inverse_transform: width, values other than 0 and 1, two 1s in a block.
    auto y = enc.transform_dense(train);
    CHECK_THROWS_AS((void)enc.inverse_transform(tessera::dense_matrix<double>(1, 3)), tessera::dimension_mismatch);
    CHECK_THROWS_AS((void)enc.inverse_transform(tessera::csr_matrix<double>(0, 3)), tessera::dimension_mismatch);
    y(2, 0) = 0.5;
    CHECK_THROWS_WITH_AS((void)enc.inverse_transform(y), doctest::Contains("at row 2, column 0"), tessera::invalid_argument);
    y(2, 0) = quiet_nan;
    CHECK_THROWS_AS((void)enc.inverse_transform(y), tessera::invalid_argument);
    y(2, 0) = 1.0;  // row 2 is "blue": two 1s in the colour block
    y(2, 1) = 1.0;
    CHECK_THROWS_WITH_AS((void)enc.inverse_transform(tessera::csr_matrix<double>::from_dense(y.view())),
                         doctest::Contains("row 2 has two 1s in the columns of input column 0"), tessera::invalid_argument);

    // Options: one list per column, none empty, no repetition, integers sorted.
    encoder::options opts;
    opts.categories = {{"red"}, {"S"}};
    CHECK_THROWS_AS(encoder(opts).fit(train), tessera::dimension_mismatch);
    opts.categories = {{"red", "green", "blue"}, {}, {"no", "yes"}, {"k"}};
    CHECK_THROWS_WITH_AS(encoder(opts).fit(train), doctest::Contains("column 1 has no categories"), tessera::invalid_argument);
    opts.categories[1] = {"S", "M", "S"};
    CHECK_THROWS_WITH_AS(encoder(opts).fit(train), doctest::Contains("column 1 repeats the category 'S'"),
                         tessera::invalid_argument);
    tessera::one_hot_encoder<int>::options unsorted;
    unsorted.categories = {{1, 3, 2}};
    CHECK_THROWS_WITH_AS(tessera::one_hot_encoder<int>(unsorted).fit(std::vector<std::vector<int>>{{1}, {2}}),
                         doctest::Contains("column 0 is not sorted at 2"), tessera::invalid_argument);
    encoder::options bad_enum;
    bad_enum.drop = static_cast<drop>(7);
    CHECK_THROWS_AS(encoder(bad_enum).fit(train), tessera::invalid_argument);
}

TEST_CASE("one_hot_encoder saves and loads; corrupt archives are refused") {
    const auto train = strings_train();
    encoder::options opts{.handle_unknown = unknown::ignore, .drop = drop::if_binary};
    opts.categories = {{"red", "green", "blue"}, {"XL", "S", "M", "L"}, {"yes", "no"}, {"k"}};
    encoder enc(opts);
    enc.fit(train);
    const auto bytes = archive_bytes(enc);
    const auto back = from_bytes<encoder>(bytes);
    CHECK(back.transform(strings_test()) == enc.transform(strings_test()));
    CHECK(back.feature_names() == enc.feature_names());
    CHECK(back.get_options().categories == opts.categories);
    CHECK(back.get_options().handle_unknown == unknown::ignore);
    CHECK(back.get_options().drop == drop::if_binary);

    tessera::one_hot_encoder<int> ints({.drop = drop::first});
    ints.fit(std::vector<std::vector<int>>{{5, -1}, {2, 7}, {5, 8}});
    const auto path = std::filesystem::temp_directory_path() / "tessera_test_one_hot_encoder.bin";
    ints.save(path);
    const auto loaded = tessera::one_hot_encoder<int>::load(path);
    std::filesystem::remove(path);
    CHECK(loaded.feature_names() == ints.feature_names());
    CHECK(loaded.transform(std::vector<std::vector<int>>{{2, 8}}) == ints.transform(std::vector<std::vector<int>>{{2, 8}}));

    for (const std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
        const std::vector<std::byte> truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS((void)from_bytes<encoder>(truncated), tessera::format_error);
    }
    using float_encoder = tessera::one_hot_encoder<std::string, float>;
    using wide_index_encoder = tessera::one_hot_encoder<std::string, double, std::int64_t>;
    CHECK_THROWS_AS((void)from_bytes<float_encoder>(bytes), tessera::format_error);
    CHECK_THROWS_AS((void)from_bytes<wide_index_encoder>(bytes), tessera::format_error);
    // The same kind and tags, another category type.
    CHECK_THROWS_WITH_AS((void)from_bytes<tessera::one_hot_encoder<int>>(bytes), doctest::Contains("categories of type 'string'"),
                         tessera::format_error);
    CHECK_THROWS_AS((void)from_bytes<tessera::simple_imputer<>>(bytes), tessera::format_error);

    // Well-formed archives whose contents break the encoder's invariants.
    const auto forged = [](auto&& payload) {
        tessera::archive_writer w(tessera::one_hot_encoder<int>::header());
        w.write_string("i32");
        payload(w);
        return w.bytes();
    };
    const auto column = [](tessera::archive_writer& w, std::vector<int> c) { w.write_span(std::span<const int>(c)); };
    const auto load = [](const std::vector<std::byte>& b) { return from_bytes<tessera::one_hot_encoder<int>>(b); };
    CHECK(load(forged([&](tessera::archive_writer& w) {
              w.write<std::uint8_t>(0);
              w.write<std::uint8_t>(0);
              w.write<std::uint8_t>(0);
              w.write<std::uint64_t>(1);
              column(w, {1, 2});
          })).n_output_features() == 2);
    CHECK_THROWS_WITH_AS(load(forged([&](tessera::archive_writer& w) {
                             w.write<std::uint8_t>(0);
                             w.write<std::uint8_t>(0);
                             w.write<std::uint8_t>(0);
                             w.write<std::uint64_t>(1);
                             column(w, {2, 1});
                         })),
                         doctest::Contains("not sorted"), tessera::format_error);
    CHECK_THROWS_AS(load(forged([&](tessera::archive_writer& w) {
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint64_t>(2);
                        column(w, {1});
                        column(w, {});
                    })),
                    tessera::format_error);
    CHECK_THROWS_AS(load(forged([&](tessera::archive_writer& w) {
                        w.write<std::uint8_t>(3);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint64_t>(1);
                        column(w, {1});
                    })),
                    tessera::format_error);
    CHECK_THROWS_AS(load(forged([&](tessera::archive_writer& w) {
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint64_t>(1'000'000);
                        column(w, {1});
                    })),
                    tessera::format_error);
    CHECK_THROWS_AS(load(forged([&](tessera::archive_writer& w) {
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint8_t>(0);
                        w.write<std::uint64_t>(0);
                    })),
                    tessera::format_error);
    // Given text categories may come in any order, but not twice.
    tessera::archive_writer w(encoder::header());
    w.write_string("string");
    w.write<std::uint8_t>(0);
    w.write<std::uint8_t>(0);
    w.write<std::uint8_t>(1);
    w.write<std::uint64_t>(1);
    w.write<std::uint64_t>(3);
    for (const char* c : {"b", "a", "b"}) w.write_string(c);
    CHECK_THROWS_WITH_AS((void)from_bytes<encoder>(w.bytes()), doctest::Contains("repeats the category 'b'"),
                         tessera::format_error);
}

TEST_CASE("one_hot_encoder takes its memory from a std::pmr resource") {
    tessera_test::counting_resource resource;
    using pmr_encoder = tessera::one_hot_encoder<std::string, double, std::int32_t, std::pmr::polymorphic_allocator<double>>;
    pmr_encoder enc({.drop = drop::first}, std::pmr::polymorphic_allocator<double>(&resource));
    const auto train = strings_train();
    enc.fit(train);
    const std::size_t after_fit = resource.bytes;
    CHECK(after_fit > 0);
    const auto y = enc.transform(train);
    CHECK(y.get_allocator().resource() == &resource);
    CHECK(resource.bytes > after_fit);
    encoder plain({.drop = drop::first});
    const auto p = plain.fit_transform(train);
    CHECK(std::ranges::equal(y.indptr(), p.indptr()));
    CHECK(std::ranges::equal(y.indices(), p.indices()));
    CHECK(std::ranges::equal(y.values(), p.values()));
    const auto d = enc.transform_dense(train);
    CHECK(d.get_allocator().resource() == &resource);
    const auto back = from_bytes<pmr_encoder>(archive_bytes(enc), std::pmr::polymorphic_allocator<double>(&resource));
    CHECK(back.get_allocator().resource() == &resource);
}

// ---- simple_imputer ----------------------------------------------------------------------------

TEST_CASE("simple_imputer matches scikit-learn 1.2.1: mean, median, most_frequent, constant") {
    const auto train = table(ref::impute_train);
    const auto test = table(ref::impute_test);
    using tessera::impute_strategy;
    struct expected {
        impute_strategy s;
        const double* statistics;
        const double* train;
        const double* test;
    };
    for (const auto& e : {expected{impute_strategy::mean, ref::impute_mean_statistics, ref::impute_mean_train, ref::impute_mean_test},
                          expected{impute_strategy::median, ref::impute_median_statistics, ref::impute_median_train,
                                   ref::impute_median_test},
                          expected{impute_strategy::most_frequent, ref::impute_most_frequent_statistics,
                                   ref::impute_most_frequent_train, ref::impute_most_frequent_test}}) {
        CAPTURE(static_cast<int>(e.s));
        // The mean may differ from numpy's pairwise sum in the last bit; the rest is exact.
        const double rel = e.s == impute_strategy::mean ? 1e-15 : 0.0;
        tessera::simple_imputer<> imp({.strategy = e.s, .keep_empty_features = true});
        const auto y = imp.fit_transform(train);
        REQUIRE(imp.statistics().size() == 4);
        for (std::size_t j = 0; j < 4; ++j) CHECK(std::fabs(imp.statistics()[j] - e.statistics[j]) <= rel * std::fabs(e.statistics[j]));
        CHECK(equals_values(y, e.train, std::size(ref::impute_mean_train), rel));
        CHECK(equals_values(imp.transform(test), e.test, std::size(ref::impute_mean_test), rel));
    }
    // constant keeps an empty column without keep_empty_features, as scikit-learn does.
    tessera::simple_imputer<> constant({.strategy = impute_strategy::constant, .fill_value = -2.5});
    CHECK(equals_values(constant.fit_transform(train), ref::impute_constant_train, std::size(ref::impute_constant_train)));
}

TEST_CASE("simple_imputer with a finite missing_values marker matches scikit-learn 1.2.1") {
    const auto train = table(ref::marker_train);
    const auto test = table(ref::marker_test);
    using tessera::impute_strategy;
    struct expected {
        impute_strategy s;
        const double* statistics;
        const double* test;
    };
    for (const auto& e : {expected{impute_strategy::mean, ref::marker_mean_statistics, ref::marker_mean_test},
                          expected{impute_strategy::median, ref::marker_median_statistics, ref::marker_median_test},
                          expected{impute_strategy::most_frequent, ref::marker_most_frequent_statistics,
                                   ref::marker_most_frequent_test}}) {
        CAPTURE(static_cast<int>(e.s));
        const double rel = e.s == impute_strategy::mean ? 1e-15 : 0.0;
        tessera::simple_imputer<> imp({.strategy = e.s, .missing_values = -1.0});
        imp.fit(train);
        for (std::size_t j = 0; j < 3; ++j) CHECK(std::fabs(imp.statistics()[j] - e.statistics[j]) <= rel * std::fabs(e.statistics[j]));
        CHECK(equals_values(imp.transform(test), e.test, std::size(ref::marker_mean_test), rel));
    }
}

TEST_CASE("simple_imputer: statistics of the observed values, computed here; observed values untouched") {
    tessera::random_engine rng(29);
    const std::size_t n = 301;
    const std::size_t d = 4;
    tessera::dense_matrix<float> x(n, d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j)
            x(i, j) = rng.uniform01() < 0.3 ? std::numeric_limits<float>::quiet_NaN()
                                            : static_cast<float>(std::round(rng.uniform(-20.0, 20.0)) / 4);
    std::vector<std::vector<double>> observed(d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j)
            if (!std::isnan(x(i, j))) observed[j].push_back(static_cast<double>(x(i, j)));
    using tessera::impute_strategy;
    tessera::simple_imputer<float> mean;
    const auto y = mean.fit_transform(x);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(y(0, 0))>, float>);
    tessera::simple_imputer<float> median({.strategy = impute_strategy::median});
    median.fit(x);
    tessera::simple_imputer<float> mode({.strategy = impute_strategy::most_frequent});
    mode.fit(x);
    for (std::size_t j = 0; j < d; ++j) {
        auto v = observed[j];
        double sum = 0;
        for (const double o : v) sum += o;
        CHECK(mean.statistics()[j] == doctest::Approx(sum / static_cast<double>(v.size())).epsilon(1e-14));
        // Mean imputation keeps the mean of the column (in float, up to rounding).
        double imputed_sum = 0;
        for (std::size_t i = 0; i < n; ++i) imputed_sum += static_cast<double>(y(i, j));
        CHECK(imputed_sum / static_cast<double>(n) == doctest::Approx(sum / static_cast<double>(v.size())).epsilon(1e-6));
        std::sort(v.begin(), v.end());
        const std::size_t m = v.size();
        const double med = m % 2 == 1 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
        CHECK(median.statistics()[j] == med);
        double best = 0;
        std::size_t best_count = 0;
        for (const double candidate : v) {
            const auto c = static_cast<std::size_t>(std::count(v.begin(), v.end(), candidate));
            if (c > best_count || (c == best_count && candidate < best)) {
                best = candidate;
                best_count = c;
            }
        }
        CHECK(mode.statistics()[j] == best);
    }
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            if (std::isnan(x(i, j))) {
                CHECK(y(i, j) == static_cast<float>(mean.statistics()[j]));
            } else {
                CHECK(y(i, j) == x(i, j));
            }
        }
    // Ties go to the smallest value; an even count takes the mean of the middle two.
    const std::vector<std::vector<double>> ties{{5.0}, {-2.0}, {5.0}, {-2.0}, {quiet_nan}, {9.0}};
    tessera::simple_imputer<> tie({.strategy = impute_strategy::most_frequent});
    tie.fit(ties);
    CHECK(tie.statistics()[0] == -2.0);
    tessera::simple_imputer<> middle({.strategy = impute_strategy::median});
    middle.fit(std::vector<std::vector<double>>{{1.0}, {10.0}, {quiet_nan}, {4.0}, {2.0}});
    CHECK(middle.statistics()[0] == 3.0);
}

TEST_CASE("simple_imputer: empty columns are refused unless keep_empty_features") {
    const auto train = table(ref::impute_train);
    using tessera::impute_strategy;
    for (const auto s : {impute_strategy::mean, impute_strategy::median, impute_strategy::most_frequent}) {
        tessera::simple_imputer<> imp({.strategy = s});
        CHECK_THROWS_WITH_AS(imp.fit(train), doctest::Contains("column 3 has no observed value"), tessera::invalid_argument);
        CHECK(!imp.fitted());
        tessera::simple_imputer<> keep({.strategy = s, .fill_value = 7.0, .keep_empty_features = true});
        keep.fit(train);
        CHECK(keep.statistics()[3] == 0.0);
    }
    tessera::simple_imputer<> constant({.strategy = impute_strategy::constant, .fill_value = 7.0, .keep_empty_features = true});
    constant.fit(train);
    CHECK(constant.statistics()[3] == 7.0);
}

TEST_CASE("simple_imputer refuses bad input with clear errors") {
    const auto train = table(ref::marker_train);
    tessera::simple_imputer<> imp;
    CHECK_THROWS_AS((void)imp.transform(train), tessera::not_fitted_error);
    tessera::archive_writer w(tessera::simple_imputer<>::header());
    CHECK_THROWS_AS(imp.write_to(w), tessera::not_fitted_error);
    CHECK_THROWS_AS(imp.fit(tessera::dense_matrix<double>(0, 3)), tessera::invalid_argument);
    CHECK_THROWS_AS(imp.fit(tessera::dense_matrix<double>(3, 0)), tessera::invalid_argument);
    CHECK_THROWS_AS(imp.fit(std::vector<std::vector<double>>{{1, 2}, {3}}), tessera::dimension_mismatch);
    auto bad = train;
    bad(4, 2) = infinity;
    CHECK_THROWS_WITH_AS(imp.fit(bad), doctest::Contains("Inf at row 4, column 2"), tessera::invalid_argument);
    bad(4, 2) = -infinity;
    CHECK_THROWS_AS(imp.fit(bad), tessera::invalid_argument);
    // NaN is data only as the marker.
    bad(4, 2) = quiet_nan;
    tessera::simple_imputer<> marker({.missing_values = -1.0});
    CHECK_THROWS_WITH_AS(marker.fit(bad), doctest::Contains("NaN at row 4, column 2"), tessera::invalid_argument);
    imp.fit(bad);
    CHECK(imp.fitted());
    marker.fit(train);
    CHECK_THROWS_AS((void)marker.transform(bad), tessera::invalid_argument);
    bad(1, 0) = infinity;
    CHECK_THROWS_WITH_AS((void)imp.transform(bad), doctest::Contains("Inf at row 1, column 0"), tessera::invalid_argument);
    CHECK_THROWS_AS((void)imp.transform(tessera::dense_matrix<double>(2, 4)), tessera::dimension_mismatch);
    CHECK(imp.transform(tessera::dense_matrix<double>(0, 3)).rows() == 0);
    // A failed fit keeps what was learnt.
    const std::vector<double> before(imp.statistics().begin(), imp.statistics().end());
    CHECK_THROWS_AS(imp.fit(bad), tessera::invalid_argument);
    CHECK(std::vector<double>(imp.statistics().begin(), imp.statistics().end()) == before);
    // Options.
    for (const auto& o : {tessera::simple_imputer_options{.missing_values = infinity},
                          tessera::simple_imputer_options{.strategy = tessera::impute_strategy::constant, .fill_value = quiet_nan},
                          tessera::simple_imputer_options{.strategy = static_cast<tessera::impute_strategy>(9)}}) {
        tessera::simple_imputer<> b(o);
        CHECK_THROWS_AS(b.fit(train), tessera::invalid_argument);
    }
    tessera::simple_imputer<float> narrow({.missing_values = 1e300});
    CHECK_THROWS_WITH_AS(narrow.fit(tessera::dense_matrix<float>(2, 2)), doctest::Contains("options.missing_values"),
                         tessera::invalid_argument);
}

TEST_CASE("simple_imputer saves and loads; corrupt archives are refused; std::pmr allocators") {
    const auto train = table(ref::impute_train);
    const auto test = table(ref::impute_test);
    tessera::simple_imputer<> imp({.strategy = tessera::impute_strategy::median, .keep_empty_features = true});
    imp.fit(train);
    const auto bytes = archive_bytes(imp);
    const auto back = from_bytes<tessera::simple_imputer<>>(bytes);
    CHECK(tessera_test::same_tables(back.transform(test), imp.transform(test)));
    CHECK(back.get_options().strategy == tessera::impute_strategy::median);
    CHECK(back.get_options().keep_empty_features);
    CHECK(std::isnan(back.get_options().missing_values));
    CHECK(back.n_samples_seen() == train.rows());
    const auto path = std::filesystem::temp_directory_path() / "tessera_test_simple_imputer.bin";
    imp.save(path);
    const auto loaded = tessera::simple_imputer<>::load(path);
    std::filesystem::remove(path);
    CHECK(tessera_test::same_tables(loaded.transform(test), imp.transform(test)));
    for (const std::size_t cut : {std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
        const std::vector<std::byte> truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS((void)from_bytes<tessera::simple_imputer<>>(truncated), tessera::format_error);
    }
    CHECK_THROWS_AS((void)from_bytes<tessera::simple_imputer<float>>(bytes), tessera::format_error);
    CHECK_THROWS_AS((void)from_bytes<tessera::standard_scaler<>>(bytes), tessera::format_error);
    const auto forged = [](std::uint8_t strategy, double missing, double statistic) {
        tessera::archive_writer w(tessera::simple_imputer<>::header());
        w.write<std::uint64_t>(1);
        w.write<std::uint64_t>(3);
        w.write<std::uint8_t>(strategy);
        w.write<double>(missing);
        w.write<double>(0.0);
        w.write<std::uint8_t>(0);
        const double s[] = {statistic};
        w.write_span(std::span<const double>(s));
        return w.bytes();
    };
    CHECK(from_bytes<tessera::simple_imputer<>>(forged(1, quiet_nan, 2.0)).statistics()[0] == 2.0);
    CHECK_THROWS_AS((void)from_bytes<tessera::simple_imputer<>>(forged(4, quiet_nan, 2.0)), tessera::format_error);
    CHECK_THROWS_AS((void)from_bytes<tessera::simple_imputer<>>(forged(1, infinity, 2.0)), tessera::format_error);
    CHECK_THROWS_AS((void)from_bytes<tessera::simple_imputer<>>(forged(1, quiet_nan, quiet_nan)), tessera::format_error);

    tessera_test::counting_resource resource;
    using pmr_imputer = tessera::simple_imputer<double, std::pmr::polymorphic_allocator<double>>;
    pmr_imputer p({.strategy = tessera::impute_strategy::most_frequent, .keep_empty_features = true},
                  std::pmr::polymorphic_allocator<double>(&resource));
    p.fit(train);
    const std::size_t after_fit = resource.bytes;
    CHECK(after_fit > 0);
    const auto y = p.transform(test);
    CHECK(y.get_allocator().resource() == &resource);
    CHECK(resource.bytes > after_fit);
    CHECK(equals_values(tessera::dense_matrix<double>(y.view()), ref::impute_most_frequent_test,
                        std::size(ref::impute_most_frequent_test)));
}
