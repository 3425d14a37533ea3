// Tests for tessera/io/csv.hpp (and the shared line reader, field splitter, number parser and
// byte source underneath it). Expected values come from the hand-written inputs themselves.
#include <tessera/io/csv.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>


#include "io_test_support.hpp"

namespace fs = std::filesystem;
using namespace tessera_test;

namespace {

template <class T = double, class Label = int>
tessera::csv_data<T, Label> parse(const std::string& text, const tessera::csv_options& opt = {}) {
    std::istringstream in(text);
    return tessera::read_csv<T, Label>(in, opt, "mem.csv");
}

template <class T = double, class Label = int>
std::string parse_error(const std::string& text, const tessera::csv_options& opt = {}) {
    return error_of<tessera::format_error>([&] { (void)parse<T, Label>(text, opt); });
}

}  // namespace

TEST_CASE("read_csv: header, named label column, values in file order") {
    tessera::csv_options opt;
    opt.label = tessera::csv_column::named("y");
    const auto d = parse("a,y,b\n1,0,2.5\n-3,1,4e2\n", opt);
    REQUIRE(d.features.rows() == 2);
    REQUIRE(d.features.cols() == 2);
    CHECK(d.features(0, 0) == 1.0);
    CHECK(d.features(0, 1) == 2.5);
    CHECK(d.features(1, 0) == -3.0);
    CHECK(d.features(1, 1) == 400.0);
    CHECK(d.labels == std::vector<int>{0, 1});
    CHECK(d.feature_names == std::vector<std::string>{"a", "b"});
    CHECK(d.label_name == "y");
}

TEST_CASE("read_csv: no label column keeps every column as a feature") {
    const auto d = parse("p,q\n1,2\n3,4\n");
    CHECK(d.features.rows() == 2);
    CHECK(d.features.cols() == 2);
    CHECK(d.labels.empty());
    CHECK(d.label_name.empty());
    CHECK(d.features(1, 1) == 4.0);
}

TEST_CASE("read_csv: no header, label by index or last, string labels") {
    tessera::csv_options opt;
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::index(1);
    const auto d = parse<float, std::string>("1,cat,2\n3,dog,4\n", opt);
    CHECK(d.features.rows() == 2);
    CHECK(d.features(1, 0) == 3.f);
    CHECK(d.features(1, 1) == 4.f);
    CHECK(d.labels == std::vector<std::string>{"cat", "dog"});
    CHECK(d.feature_names.empty());

    opt.label = tessera::csv_column::last();
    const auto e = parse<int, long>("1,2,30\n4,5,60\n", opt);
    CHECK(e.features(1, 1) == 5);
    CHECK(e.labels == std::vector<long>{30, 60});
}

TEST_CASE("read_csv: CRLF, missing final newline, blank lines, BOM, spaces, quotes") {
    const auto crlf = parse("\xEF\xBB\xBFx,y\r\n1,2\r\n\r\n3,4");
    CHECK(crlf.feature_names == std::vector<std::string>{"x", "y"});
    REQUIRE(crlf.features.rows() == 2);
    CHECK(crlf.features(1, 1) == 4.0);

    const auto spaced = parse("\"a, b\", \"say \"\"hi\"\"\" \n 1 ,\t\"2\" \n");
    CHECK(spaced.feature_names == std::vector<std::string>{"a, b", "say \"hi\""});
    CHECK(spaced.features(0, 0) == 1.0);
    CHECK(spaced.features(0, 1) == 2.0);

    const auto plus = parse("a\n+1.5\n.25\n1e-3\n");
    CHECK(plus.features(0, 0) == 1.5);
    CHECK(plus.features(1, 0) == 0.25);
    CHECK(plus.features(2, 0) == 0.001);
}

TEST_CASE("read_csv: other delimiters") {
    tessera::csv_options opt;
    opt.delimiter = ';';
    const auto semi = parse("a;b\n1.5;2\n", opt);
    CHECK(semi.features(0, 0) == 1.5);
    CHECK(semi.features(0, 1) == 2.0);
    CHECK(contains(parse_error("a;b\n1,5;2\n", opt), "mem.csv:2:1: expected a number, got \"1,5\""));
    opt.delimiter = '\t';
    const auto tab = parse("a\tb\n1\t2\n", opt);
    CHECK(tab.features(0, 1) == 2.0);
}

TEST_CASE("read_csv: header detection") {
    tessera::csv_options opt;
    opt.header = tessera::header_row::detect;
    const auto data_first = parse("1,2\n3,4\n", opt);
    CHECK(data_first.features.rows() == 2);
    CHECK(data_first.feature_names.empty());
    const auto named = parse("a,b\n3,4\n", opt);
    CHECK(named.features.rows() == 1);
    CHECK(named.feature_names == std::vector<std::string>{"a", "b"});

    // A number that is merely not allowed is data, and the data line says what is wrong with it.
    CHECK(contains(parse_error("nan,1\n", opt), "mem.csv:1:1: expected a finite number, got \"nan\""));
    CHECK(contains(parse_error<float>("1,1e99\n", opt), "mem.csv:1:2: \"1e99\" is out of range for float"));

    opt.label = tessera::csv_column::last();
    const auto text_label = parse<double, std::string>("1,yes\n2,no\n", opt);  // text labels say nothing
    CHECK(text_label.features.rows() == 2);
}

TEST_CASE("read_csv: skip_lines reads the scikit-learn layout") {
    tessera::csv_options opt;
    opt.skip_lines = 1;
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::last();
    const auto d = parse("3,2,a,b\n\n1.5,2,0\n3,4,1\n5,6,1\n", opt);
    CHECK(d.features.rows() == 3);
    CHECK(d.features(0, 0) == 1.5);
    CHECK(d.labels == std::vector<int>{0, 1, 1});
}

TEST_CASE("read_csv: NaN and Inf only when allowed") {
    const std::string text = "a,b\nnan,1\n2,-inf\n";
    const auto msg = parse_error(text);
    CHECK(contains(msg, "tessera::read_csv: mem.csv:2:1: expected a finite number, got \"nan\""));
    CHECK(contains(msg, "allow_nonfinite"));
    tessera::csv_options opt;
    opt.allow_nonfinite = true;
    const auto d = parse(text, opt);
    CHECK(std::isnan(d.features(0, 0)));
    CHECK(std::isinf(d.features(1, 1)));
    CHECK(d.features(1, 1) < 0);
}

TEST_CASE("read_csv: round trip through a file, exact for float and double") {
    const std::vector<std::vector<double>> values = {{0.1, -2.5e-300, 1.0 / 3.0}, {6.02214076e23, -0.0, 123456789.125}};
    std::string text = "c0,c1,c2,label\n";
    for (std::size_t i = 0; i < values.size(); ++i) {
        char buf[128];
        for (double v : values[i]) {
            std::snprintf(buf, sizeof buf, "%.17g,", v);
            text += buf;
        }
        text += std::to_string(i) + "\n";
    }
    temp_file f("roundtrip.csv", text);
    tessera::csv_options opt;
    opt.label = tessera::csv_column::last();
    const auto d = tessera::read_csv<double, unsigned>(f.path, opt);
    REQUIRE(d.features.rows() == 2);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(d.features(i, j) == values[i][j]);
    CHECK(std::signbit(d.features(1, 1)));
    CHECK(d.labels == std::vector<unsigned>{0, 1});

    std::string ftext = "v\n";
    const std::vector<float> fv = {0.1f, 3.4028235e38f, 1.17549435e-38f, -7.25f};
    for (float v : fv) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g\n", static_cast<double>(v));
        ftext += buf;
    }
    const auto fd = parse<float>(ftext);
    for (std::size_t i = 0; i < fv.size(); ++i) CHECK(fd.features(i, 0) == fv[i]);
}

TEST_CASE("read_csv: header-only data gives zero rows with the right columns") {
    tessera::csv_options opt;
    opt.label = tessera::csv_column::named("y");
    const auto d = parse("a,b,y\n", opt);
    CHECK(d.features.rows() == 0);
    CHECK(d.features.cols() == 2);
    CHECK(d.feature_names.size() == 2);
}

TEST_CASE("read_csv: every malformed input names the source, line and column") {
    SUBCASE("empty data") {
        CHECK(contains(parse_error(""), "tessera::read_csv: mem.csv:1:1: the data is empty"));
        CHECK(contains(parse_error("\n\r\n\n"), "mem.csv:4:1: no header or data line"));
    }
    SUBCASE("ragged rows") {
        CHECK(contains(parse_error("a,b,c\n1,2,3\n4,5\n"), "mem.csv:3:3: expected 3 fields, got 2"));
        CHECK(contains(parse_error("a,b\n1,2\n3,4,5,6\n"), "mem.csv:3:3: expected 2 fields, got 4"));
    }
    SUBCASE("non-numeric, empty and out-of-range fields") {
        CHECK(contains(parse_error("a,b\n1,2\n3,abc\n"), "mem.csv:3:2: expected a number, got \"abc\""));
        CHECK(contains(parse_error("a,b\n1,\n"), "mem.csv:2:2: empty field: expected a number"));
        CHECK(contains(parse_error("a,b\n1, \n"), "mem.csv:2:2: empty field"));
        CHECK(contains(parse_error("a,b\n1,2x\n"), "mem.csv:2:2: expected a number, got \"2x\""));
        CHECK(contains(parse_error("a\n++1\n"), "mem.csv:2:1: expected a number"));
        CHECK(contains(parse_error<float>("a\n1e39\n"), "mem.csv:2:1: \"1e39\" is out of range for float"));
        CHECK(contains(parse_error<int>("a\n1.5\n"), "mem.csv:2:1: expected an integer, got \"1.5\""));
        CHECK(contains(parse_error<unsigned char>("a\n256\n"), "mem.csv:2:1: \"256\" is out of range for uint8"));
        CHECK(contains(parse_error<unsigned>("a\n-1\n"), "mem.csv:2:1: expected a non-negative integer"));
        CHECK(contains(parse_error("a\n0x10\n"), "mem.csv:2:1: expected a number, got \"0x10\""));
    }
    SUBCASE("binary junk is escaped in the message") {
        const auto msg = parse_error(std::string("a\n1\x01\xff\n", 6));
        CHECK(contains(msg, "mem.csv:2:1: expected a number, got \"1\\x01\\xff\""));
    }
    SUBCASE("labels") {
        tessera::csv_options opt;
        opt.label = tessera::csv_column::named("spam");
        const auto unknown = parse_error("a,spm\n1,2\n", opt);
        CHECK(contains(unknown, "mem.csv:1:1: no column is named \"spam\"; the header has 2 columns: \"a\", \"spm\""));
        CHECK(contains(parse_error("spam,a,spam\n1,2,3\n", opt), "mem.csv:1:3: the label column name \"spam\" appears more than once"));
        opt.header = tessera::header_row::detect;
        CHECK(contains(parse_error("1,2\n", opt), "mem.csv:1:1: the label column is given by name"));
        opt.label = tessera::csv_column::index(5);
        CHECK(contains(parse_error("a,b\n1,2\n", opt), "mem.csv:1:1: the label column index 5 (0-based) is out of range"));
        opt.label = tessera::csv_column::last();
        opt.header = tessera::header_row::present;
        CHECK(contains(parse_error("a,b\n1,x\n", opt), "mem.csv:2:2: expected an integer, got \"x\""));
        CHECK(contains(parse_error<double, std::string>("a,b\n1,\n", opt), "mem.csv:2:2: empty field: expected a label"));
    }
    SUBCASE("quotes") {
        CHECK(contains(parse_error("a,b\n1,\"2\n"), "mem.csv:2:2: unterminated quoted field"));
        CHECK(contains(parse_error("a,b\n1,\"2\"3\n"), "mem.csv:2:2: unexpected \"3\" after a closing quote"));
    }
    SUBCASE("skip_lines past the end") {
        tessera::csv_options opt;
        opt.skip_lines = 3;
        CHECK(contains(parse_error("a\n1\n", opt), "mem.csv:3:1: the data ends before the 3 lines to skip"));
    }
    SUBCASE("over-long line") {
        tessera::csv_options opt;
        opt.max_line_length = 8;
        CHECK(parse("a,b\n12,3456\n", opt).features.rows() == 1);      // 7 bytes
        CHECK(parse("a,b\r\n1,345678\r\n", opt).features.rows() == 1);  // 8 bytes + CRLF
        CHECK(contains(parse_error("a,b\n1,3456789\n", opt), "mem.csv:2:2: the line is longer than max_line_length (8 bytes)"));
        CHECK(contains(parse_error("a,b\n1,3,5,7,9,1,3,5,7,9", opt), "mem.csv:2:"));
    }
    SUBCASE("streams are named <stream> unless told") {
        std::istringstream in("a\nx\n");
        const auto msg = error_of<tessera::format_error>([&] { (void)tessera::read_csv(in); });
        CHECK(contains(msg, "tessera::read_csv: <stream>:2:1: expected a number"));
    }
    SUBCASE("files are named by their path") {
        temp_file f("bad.csv", "a,b\n1,2\n1,2\n3\n");
        const auto msg = error_of<tessera::format_error>([&] { (void)tessera::read_csv(f.path); });
        CHECK(contains(msg, f.path.string() + ":4:2: expected 2 fields, got 1"));
    }
}

TEST_CASE("read_csv: bad options are invalid_argument") {
    tessera::csv_options opt;
    opt.delimiter = '"';
    CHECK(contains(error_of<tessera::invalid_argument>([&] { (void)parse("a\n1\n", opt); }), "delimiter"));
    opt.delimiter = ',';
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::named("y");
    CHECK(contains(error_of<tessera::invalid_argument>([&] { (void)parse("1\n", opt); }), "needs a header line"));
    opt.label = tessera::csv_column::none();
    opt.max_line_length = 0;
    CHECK(contains(error_of<tessera::invalid_argument>([&] { (void)parse("1\n", opt); }), "max_line_length"));
}

TEST_CASE("read_csv: files that cannot be opened are io_error naming the path and the reason") {
    const fs::path missing = fs::temp_directory_path() / "tessera_test_csv_does_not_exist.csv";
    const auto msg = error_of<tessera::io_error>([&] { (void)tessera::read_csv(missing); });
    CHECK(contains(msg, "tessera::read_csv: " + missing.string() + ": cannot open: No such file or directory"));
    const auto dir = error_of<tessera::io_error>([&] { (void)tessera::read_csv(fs::temp_directory_path()); });
    CHECK(contains(dir, "cannot open: Is a directory"));
}

TEST_CASE("read_csv: a stream that fails while reading is io_error naming the line") {
    // The stream delivers 64 KiB (16,384 lines of 4 bytes) to the first read and fails on the next.
    std::string text = "a,b\n";
    for (int k = 0; k < 25000; ++k) text += "1,2\n";
    failing_buffer buffer(text);
    std::istream in(&buffer);
    const auto msg = error_of<tessera::io_error>([&] { (void)tessera::read_csv(in, {}, "disk.csv"); });
    CHECK(contains(msg, "tessera::read_csv: disk.csv: read error while reading line 16385"));

    failing_buffer at_once("a,b\n1,2\n");  // fails inside the very first read
    std::istream first(&at_once);
    CHECK(contains(error_of<tessera::io_error>([&] { (void)tessera::read_csv(first, {}, "disk.csv"); }),
                   "tessera::read_csv: disk.csv: read error"));
}

TEST_CASE("read_sklearn_csv: the scikit-learn toy layout with its declared counts checked") {
    std::istringstream in("3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3,1\n\n6,2.2,1\n");
    const auto d = tessera::read_sklearn_csv<float>(in, "toy.csv");
    REQUIRE(d.features.rows() == 3);
    CHECK(d.features.cols() == 2);
    CHECK(d.features(0, 0) == 5.1f);
    CHECK(d.features(2, 1) == 2.2f);
    CHECK(d.labels == std::vector<int>{0, 1, 1});
    CHECK(d.class_names == std::vector<std::string>{"setosa", "versicolor"});

    const auto err = [](const std::string& text) {
        return error_of<tessera::format_error>([&] {
            std::istringstream s(text);
            (void)tessera::read_sklearn_csv(s, "toy.csv");
        });
    };
    CHECK(contains(err("3,2,a,b\n1,2,0\n1,2,1\n"), "tessera::read_sklearn_csv: toy.csv:1:1: line 1 declares 3 samples, but 2 data lines follow"));
    CHECK(contains(err("1,2,a,b\n1,2,2\n"), "toy.csv:2:3: class index 2 is out of range: line 1 names 2 classes"));
    CHECK(contains(err("1,2,a,b\n1,2\n"), "toy.csv:2:3: expected 3 fields"));
    CHECK(contains(err("1,2\n"), "toy.csv:1:3: expected n_samples,n_features"));
    CHECK(contains(err("x,2,a\n"), "toy.csv:1:1: expected a non-negative integer, got \"x\""));
    CHECK(contains(err("1,99999999999999,a\n"), "toy.csv:1:2: n_features = 99999999999999 is more than a line can hold"));
    CHECK(contains(err(""), "toy.csv:1:1: the data is empty"));
}

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
TEST_CASE("read_csv: gzip data is recognised by its magic bytes, whatever the name") {
    const std::string text = "a,b\n1,2\n3,4\n";
    temp_file f("plain_name.csv", gzip(text));
    const auto d = tessera::read_csv(f.path);
    REQUIRE(d.features.rows() == 2);
    CHECK(d.features(1, 0) == 3.0);

    std::istringstream two_members(gzip("a,b\n1,2\n") + gzip("3,4\n"));  // as `cat a.gz b.gz`
    CHECK(tessera::read_csv(two_members).features.rows() == 2);
    std::istringstream padded(gzip(text) + std::string(10, '\0'));
    CHECK(tessera::read_csv(padded).features.rows() == 2);
}

TEST_CASE("read_csv: truncated, corrupt and trailing-garbage gzip is format_error") {
    std::string text = "a,b\n";
    for (int i = 0; i < 2000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7 % 13) + "\n";
    const std::string gz = gzip(text);
    std::istringstream truncated(gz.substr(0, gz.size() / 2));
    const auto t = error_of<tessera::format_error>([&] { (void)tessera::read_csv(truncated, {}, "t.csv.gz"); });
    CHECK(contains(t, "tessera::read_csv: t.csv.gz:"));
    CHECK(contains(t, "truncated gzip data"));

    std::string corrupt = gz;
    for (std::size_t k = 20; k < 40; ++k) corrupt[k] = static_cast<char>(corrupt[k] ^ 0x5a);
    std::istringstream bad(corrupt);
    const auto c = error_of<tessera::format_error>([&] { (void)tessera::read_csv(bad, {}, "c.csv.gz"); });
    CHECK(contains(c, "tessera::read_csv: c.csv.gz:"));
    CHECK(contains(c, "corrupt gzip data"));

    std::string crc = gz;
    crc[crc.size() - 6] = static_cast<char>(crc[crc.size() - 6] ^ 1);  // inside the CRC-32 trailer
    std::istringstream bad_crc(crc);
    CHECK(contains(error_of<tessera::format_error>([&] { (void)tessera::read_csv(bad_crc); }), "incorrect data check"));

    std::istringstream garbage(gz + "trailing");
    CHECK(contains(error_of<tessera::format_error>([&] { (void)tessera::read_csv(garbage); }),
                   "unexpected bytes after the end of the gzip data"));
}
#else
TEST_CASE("read_csv: without zlib, gzip data is refused with a clear message") {
    std::istringstream in(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
    const auto msg = error_of<tessera::format_error>([&] { (void)tessera::read_csv(in, {}, "x.csv.gz"); });
    CHECK(contains(msg, "tessera::read_csv: x.csv.gz:1:1:"));
    CHECK(contains(msg, "gzip support needs zlib: link tessera::zlib"));
}
#endif
