// Tests for tessera/io/labeled_text.hpp.
#include <tessera/io/labeled_text.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>


#include "io_test_support.hpp"

namespace fs = std::filesystem;
using namespace tessera_test;

namespace {

tessera::labeled_text_data parse(const std::string& text, const tessera::labeled_text_options& opt = {}) {
    std::istringstream in(text);
    return tessera::read_labeled_text(in, opt, "sms.txt");
}

std::string parse_error(const std::string& text, const tessera::labeled_text_options& opt = {}) {
    return error_of<tessera::format_error>([&] { (void)parse(text, opt); });
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("read_labeled_text: split at the first tab, text kept byte for byte") {
    const auto d = parse("ham\tMeet at the \"usual\" place, 6pm.. \n"
                         "spam\tWINNER!! \xc2\xa3" "1000 prize\twith a tab\n"
                         "ham\t\n"
                         "ham\t  spaces  \n");
    CHECK(d.labels == strings{"ham", "spam", "ham", "ham"});
    CHECK(d.texts == strings{"Meet at the \"usual\" place, 6pm.. ", "WINNER!! \xc2\xa3" "1000 prize\twith a tab", "",
                             "  spaces  "});
}

TEST_CASE("read_labeled_text: CRLF, no final newline, blank lines, BOM") {
    const auto d = parse("\xEF\xBB\xBFham\thello\r\n\r\n\nspam\tbye\r");
    CHECK(d.labels == strings{"ham", "spam"});
    CHECK(d.texts == strings{"hello", "bye"});
}

TEST_CASE("read_labeled_text: invalid UTF-8 and NUL bytes pass through unchanged") {
    const std::string odd("\xff\xfe\xc3(\x80 \x00 end", 11);
    const auto d = parse("lbl\t" + odd + "\n" + "\xe9t\xe9\t\xed\xa0\x80\n");
    REQUIRE(d.texts.size() == 2);
    CHECK(d.texts[0] == odd);
    CHECK(d.texts[0].size() == 11);
    CHECK(d.labels[1] == "\xe9t\xe9");
    CHECK(d.texts[1] == "\xed\xa0\x80");
}

TEST_CASE("read_labeled_text: another separator") {
    tessera::labeled_text_options opt;
    opt.separator = ' ';
    const auto d = parse("pos a good film\nneg  bad\n", opt);
    CHECK(d.labels == strings{"pos", "neg"});
    CHECK(d.texts == strings{"a good film", " bad"});
    CHECK(contains(parse_error("pos\n", opt), "sms.txt:1:1: expected <label>\" \"<text>, but the line has no separator"));
}

TEST_CASE("read_labeled_text: file round trip") {
    std::string text;
    strings labels;
    strings texts;
    for (int k = 0; k < 1000; ++k) {
        labels.push_back(k % 7 == 0 ? "spam" : "ham");
        texts.push_back("message " + std::to_string(k) + std::string(static_cast<std::size_t>(k % 50), 'x'));
        text += labels.back() + "\t" + texts.back() + "\n";
    }
    temp_file f("SMSCollection", text);
    const auto d = tessera::read_labeled_text(f.path);
    CHECK(d.labels == labels);
    CHECK(d.texts == texts);
#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
    temp_file g("SMSCollection.gz", gzip(text));
    const auto z = tessera::read_labeled_text(g.path);
    CHECK(z.labels == labels);
    CHECK(z.texts == texts);
#endif
}

TEST_CASE("read_labeled_text: every malformed input names the source, line and column") {
    CHECK(contains(parse_error(""), "tessera::read_labeled_text: sms.txt:1:1: the data is empty"));
    CHECK(contains(parse_error("\r\n\n"), "sms.txt:3:1: no data: every line is blank"));
    CHECK(contains(parse_error("ham\tok\nspam no tab here\n"),
                   "sms.txt:2:1: expected <label><TAB><text>, but the line has no tab: \"spam no tab here\""));
    CHECK(contains(parse_error("ham\tok\n\tno label\n"), "sms.txt:2:1: empty label: the line starts with the separator"));
    tessera::labeled_text_options opt;
    opt.max_line_length = 16;
    CHECK(parse("ham\t0123456789ab\n", opt).texts.size() == 1);
    CHECK(contains(parse_error("ham\t0123456789abc\n", opt), "sms.txt:1:2: the line is longer than max_line_length (16 bytes)"));
    CHECK(contains(parse_error("ham\tok\nham" + std::string(100, 'x'), opt), "sms.txt:2:1: the line is longer"));
    const fs::path missing = fs::temp_directory_path() / "tessera_test_text_missing";
    CHECK(contains(error_of<tessera::io_error>([&] { (void)tessera::read_labeled_text(missing); }),
                   "tessera::read_labeled_text: " + missing.string() + ": cannot open: No such file or directory"));
    opt.separator = '\n';
    CHECK(contains(error_of<tessera::invalid_argument>([&] { (void)parse("a\tb\n", opt); }), "separator"));
#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
    std::string big;
    for (int k = 0; k < 3000; ++k) big += "ham\tline number " + std::to_string(k) + "\n";
    std::string gz = gzip(big);
    gz.resize(gz.size() - 20);
    const auto msg = parse_error(gz);
    CHECK(contains(msg, "sms.txt:"));
    CHECK(contains(msg, "truncated gzip data"));
#endif
}
