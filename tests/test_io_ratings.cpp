// Tests for tessera/io/ratings.hpp. Expected matrices are written out by hand from the inputs.
#include <tessera/io/ratings.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>


#include "io_test_support.hpp"

namespace fs = std::filesystem;
using namespace tessera_test;

namespace {

template <class T = float, class Index = std::int32_t, class Id = std::int64_t>
tessera::ratings_data<T, Index, Id> parse(const std::string& text, const tessera::ratings_options& opt = {}) {
    std::istringstream in(text);
    return tessera::read_ratings<T, Index, Id>(in, opt, "r.csv");
}

template <class T = float, class Index = std::int32_t, class Id = std::int64_t>
std::string parse_error(const std::string& text, const tessera::ratings_options& opt = {}) {
    return error_of<tessera::format_error>([&] { (void)parse<T, Index, Id>(text, opt); });
}

// The matrix as rows of (column, value), to compare with hand-written expectations.
template <class T, class Index>
std::vector<std::vector<std::pair<Index, T>>> entries(const tessera::csr_matrix<T, Index>& m) {
    std::vector<std::vector<std::pair<Index, T>>> out(m.rows());
    for (std::size_t i = 0; i < m.rows(); ++i) {
        const auto r = m.row(i);
        for (std::size_t k = 0; k < r.size(); ++k) out[i].emplace_back(r.indices[k], r.values[k]);
    }
    return out;
}

using row = std::vector<std::pair<std::int32_t, float>>;

const std::string small = "user_id,book_id,rating\n30,7,5\n10,9,3\n30,9,4\n20,7,1\n";

}  // namespace

TEST_CASE("read_ratings: sorted ids (default), header detected, both directions of the id maps") {
    const auto d = parse(small);
    // users sorted: 10 -> 0, 20 -> 1, 30 -> 2; items sorted: 7 -> 0, 9 -> 1.
    CHECK(d.matrix.rows() == 3);
    CHECK(d.matrix.cols() == 2);
    CHECK(d.matrix.nnz() == 4);
    CHECK(entries(d.matrix) == std::vector<row>{{{1, 3.f}}, {{0, 1.f}}, {{0, 5.f}, {1, 4.f}}});
    CHECK(d.users.ids() == std::vector<std::int64_t>{10, 20, 30});
    CHECK(d.items.ids() == std::vector<std::int64_t>{7, 9});
    CHECK(d.users.id_of(2) == 30);
    CHECK(d.users.index_of(20) == std::optional<std::int32_t>(1));
    CHECK_FALSE(d.users.index_of(99).has_value());
    CHECK(d.items.contains(9));
}

TEST_CASE("read_ratings: first-seen order") {
    tessera::ratings_options opt;
    opt.order = tessera::id_order::first_seen;
    const auto d = parse(small, opt);
    // users: 30 -> 0, 10 -> 1, 20 -> 2; items: 7 -> 0, 9 -> 1.
    CHECK(d.users.ids() == std::vector<std::int64_t>{30, 10, 20});
    CHECK(entries(d.matrix) == std::vector<row>{{{0, 5.f}, {1, 4.f}}, {{1, 3.f}}, {{0, 1.f}}});
}

TEST_CASE("read_ratings: string ids, quotes, no header, extra columns, implicit feedback") {
    tessera::ratings_options opt;
    opt.header = tessera::header_row::absent;
    const auto s = parse<double, std::int32_t, std::string>("bob,\"The Hobbit, or There and Back Again\",4.5\nalice,Dune,-1\n", opt);
    CHECK(s.users.ids() == std::vector<std::string>{"alice", "bob"});
    CHECK(s.items.ids() == std::vector<std::string>{"Dune", "The Hobbit, or There and Back Again"});
    CHECK(s.matrix.row(0).values[0] == -1.0);  // negative ratings are data
    CHECK(s.matrix.row(1).values[0] == 4.5);
    CHECK(s.users.index_of("bob") == std::optional<std::int32_t>(1));

    // MovieLens-style: userId,movieId,rating,timestamp; the timestamp is ignored.
    const auto ml = parse("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,0,1260759179\n");
    CHECK(entries(ml.matrix) == std::vector<row>{{{0, 2.5f}, {1, 0.f}}});  // explicit zero kept

    tessera::ratings_options pairs;
    pairs.rating_column = std::nullopt;
    const auto imp = parse("u,i\n1,2\n1,3\n2,3\n", pairs);
    CHECK(entries(imp.matrix) == std::vector<row>{{{0, 1.f}, {1, 1.f}}, {{1, 1.f}}});

    tessera::ratings_options cols;
    cols.user_column = 2;
    cols.item_column = 0;
    cols.rating_column = 1;
    const auto swapped = parse("item,rating,user\n5,3,8\n", cols);
    CHECK(swapped.users.ids() == std::vector<std::int64_t>{8});
    CHECK(swapped.items.ids() == std::vector<std::int64_t>{5});
    CHECK(swapped.matrix.row(0).values[0] == 3.f);
}

TEST_CASE("read_ratings: header detection") {
    const auto no_header = parse("1,2,3\n");
    CHECK(no_header.matrix.nnz() == 1);
    CHECK(contains(parse_error("1,2,nan\n"), "r.csv:1:3: expected a finite number, got \"nan\""));
    tessera::ratings_options opt;
    opt.header = tessera::header_row::present;
    CHECK(parse("1,2,3\n4,5,6\n", opt).matrix.nnz() == 1);  // told so: the first line is skipped
    const auto strings = parse<float, std::int32_t, std::string>("user,item,stars\nu1,i1,2\n");
    CHECK(strings.users.ids() == std::vector<std::string>{"u1"});
    const auto header_only = parse("user,item,rating\n");
    CHECK(header_only.matrix.rows() == 0);
    CHECK(header_only.matrix.cols() == 0);
}

TEST_CASE("read_ratings: repeated (user, item) pairs") {
    const std::string text = "u,i,r\n1,1,2\n2,1,1\n1,1,5\n\n1,1,3\n";
    const auto msg = parse_error(text);
    CHECK(contains(msg, "tessera::read_ratings: r.csv:4:2: the (user, item) pair of this line was already rated on line 2"));
    CHECK(contains(msg, "duplicates"));
    tessera::ratings_options opt;
    opt.duplicates = tessera::duplicate_ratings::sum;
    CHECK(entries(parse(text, opt).matrix) == std::vector<row>{{{0, 10.f}}, {{0, 1.f}}});
    opt.duplicates = tessera::duplicate_ratings::keep_last;
    CHECK(entries(parse(text, opt).matrix) == std::vector<row>{{{0, 3.f}}, {{0, 1.f}}});
    opt.order = tessera::id_order::first_seen;
    CHECK(entries(parse(text, opt).matrix) == std::vector<row>{{{0, 3.f}}, {{0, 1.f}}});
}

TEST_CASE("read_ratings: every malformed input names the source, line and column") {
    CHECK(contains(parse_error(""), "tessera::read_ratings: r.csv:1:1: the data is empty"));
    CHECK(contains(parse_error("\n\n"), "r.csv:3:1: no data: every line is blank"));
    CHECK(contains(parse_error("1,2\n"), "r.csv:1:3: expected at least 3 fields (user, item and rating columns), got 2"));
    CHECK(contains(parse_error("u,i,r\n1,2,3\n1,2\n"), "r.csv:3:3: expected 3 fields, got 2"));
    CHECK(contains(parse_error("u,i,r\n1,2,3\n1,3,4,5\n"), "r.csv:3:4: expected 3 fields, got 4"));
    CHECK(contains(parse_error("u,i,r\n1,2,3\nu7,3,4\n"), "r.csv:3:1: expected an integer, got \"u7\""));
    CHECK(contains(parse_error("u,i,r\n1,,3\n"), "r.csv:2:2: empty field: expected an integer"));
    CHECK(contains(parse_error<float, std::int32_t, std::string>("u,i,r\na,,3\n"), "r.csv:2:2: empty field: expected an id"));
    CHECK(contains(parse_error("u,i,r\n1,2,x\n"), "r.csv:2:3: expected a number, got \"x\""));
    CHECK(contains(parse_error("u,i,r\n1,2,nan\n"), "r.csv:2:3: expected a finite number, got \"nan\""));
    CHECK(contains(parse_error("u,i,r\n1,2,1e999\n"), "r.csv:2:3: \"1e999\" is out of range for float"));
    CHECK(contains(parse_error("u,i,r\n1,\"2,3\n"), "r.csv:2:2: unterminated quoted field"));

    tessera::ratings_options opt;
    opt.max_line_length = 10;
    CHECK(contains(parse_error("u,i,r\n1,2,3.0000000001\n", opt), "r.csv:2:3: the line is longer than max_line_length"));

    temp_file f("bad.csv", "u,i,r\n1,2,3\n4,5,six\n");
    CHECK(contains(error_of<tessera::format_error>([&] { (void)tessera::read_ratings(f.path); }),
                   f.path.string() + ":3:3: expected a number, got \"six\""));
    const fs::path missing = fs::temp_directory_path() / "tessera_test_ratings_missing.csv";
    CHECK(contains(error_of<tessera::io_error>([&] { (void)tessera::read_ratings(missing); }),
                   "tessera::read_ratings: " + missing.string() + ": cannot open: No such file or directory"));
}

TEST_CASE("read_ratings: the index type bounds the number of ratings (and so of users and items)") {
    std::string text = "u,i,r\n";
    for (int k = 0; k < 127; ++k) text += std::to_string(k) + ",1,1\n";
    CHECK(parse<float, std::int8_t>(text).matrix.rows() == 127);  // exactly the int8 maximum
    text += "127,1,1\n";
    CHECK(contains(parse_error<float, std::int8_t>(text), "r.csv:129:1: more ratings than the index type int8 can count"));
    CHECK(parse<float, std::int16_t>(text).matrix.rows() == 128);
}

TEST_CASE("read_ratings: bad options are invalid_argument") {
    tessera::ratings_options opt;
    opt.item_column = 0;
    CHECK(contains(error_of<tessera::invalid_argument>([&] { (void)parse(small, opt); }), "must differ"));
    opt = {};
    opt.delimiter = '\n';
    CHECK(contains(error_of<tessera::invalid_argument>([&] { (void)parse(small, opt); }), "delimiter"));
}

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
TEST_CASE("read_ratings: .csv.gz round trip and corrupt gzip") {
    std::string text = "user_id,book_id,rating\n";
    for (int u = 0; u < 50; ++u)
        for (int b = 0; b < 20; b += 1 + u % 3) text += std::to_string(1000 - u) + "," + std::to_string(b) + "," + std::to_string(1 + (u + b) % 5) + "\n";
    temp_file f("ratings.csv.gz", gzip(text));
    const auto z = tessera::read_ratings(f.path);
    const auto p = parse(text);
    CHECK(z.matrix == p.matrix);
    CHECK(z.users.ids() == p.users.ids());
    CHECK(z.users.ids().front() == 951);

    std::string bad = gzip(text);
    bad.resize(bad.size() / 2);
    const auto msg = parse_error(bad);
    CHECK(contains(msg, "tessera::read_ratings: r.csv:"));
    CHECK(contains(msg, "truncated gzip data"));
}
#endif
