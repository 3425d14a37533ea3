// tessera::tokenizer: tokens written out by hand for small documents, checked against
// scikit-learn 1.2.1 / Python 3.11.2 where noted, e.g.
//     /usr/bin/python3 -c "from sklearn.feature_extraction.text import CountVectorizer as C;
//         print(C().build_analyzer()('ΟΔΟΣ ΣΑ ΑΣ.'))"          # ['οδος', 'σα', 'ας']
// plus the character tables (word characters, whitespace, lowercase), n-grams, custom rules,
// every invalid UTF-8 form, bad options, and the archive round trip.
#include <doctest/doctest.h>

#include <tessera/core/archive.hpp>
#include <tessera/text/tokenizer.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using tessera::token_rule;
using tessera::tokenizer;
using tessera::tokenizer_options;
using strings = std::vector<std::string>;

namespace {

strings tokens_of(std::string_view doc, tokenizer_options o = {}) { return tokenizer(std::move(o)).tokens(doc); }

std::string utf8(char32_t c) {
    std::string s;
    tessera::detail::unicode::append_utf8(s, c);
    return s;
}

}  // namespace

TEST_CASE("tokenizer: the default rule is scikit-learn's (?u)\\b\\w\\w+\\b on lowercased text") {
    CHECK(tokens_of("Free entry in 2 a wkly comp") == strings{"free", "entry", "in", "wkly", "comp"});
    CHECK(tokens_of("") == strings{});
    CHECK(tokens_of("a b c 1 2 ! ?? ...") == strings{});
    CHECK(tokens_of("  leading and trailing  ") == strings{"leading", "and", "trailing"});
    CHECK(tokens_of("snake_case __ a_b x-y-zz") == strings{"snake_case", "__", "a_b", "zz"});
    CHECK(tokens_of("U.S.A. e-mail 3.14 10,000") == strings{"mail", "14", "10", "000"});
    CHECK(tokens_of("\tTabs\nand\r\nLINES\f") == strings{"tabs", "and", "lines"});
    // Embedded NUL is an ordinary non-word character.
    CHECK(tokens_of(std::string_view("ab\0cd", 5)) == strings{"ab", "cd"});
    // for_each_token sees the same sequence.
    strings seen;
    tokenizer().for_each_token("Hello, World! hello", [&](std::string_view t) { seen.emplace_back(t); });
    CHECK(seen == strings{"hello", "world", "hello"});
}

TEST_CASE("tokenizer: min_token_length and the whitespace rule") {
    CHECK(tokens_of("I am a cat", {.min_token_length = 1}) == strings{"i", "am", "a", "cat"});
    CHECK(tokens_of("I am a cat", {.min_token_length = 3}) == strings{"cat"});
    CHECK(tokens_of("ünï ü", {.min_token_length = 3}) == strings{"ünï"});  // characters, not bytes
    const tokenizer_options ws{.rule = token_rule::whitespace};
    CHECK(tokens_of("Don't  stop-me now!", ws) == strings{"don't", "stop-me", "now!"});
    CHECK(tokens_of("a  b", ws) == strings{"a", "b"});  // every run, whatever its length
    // Python's str.isspace(): U+00A0, U+0085, U+3000, U+2003, U+001C are spaces; U+200B is not.
    CHECK(tokens_of("x\u00A0y\u0085z\u3000w\u2003v\x1cu", ws) == strings{"x", "y", "z", "w", "v", "u"});
    CHECK(tokens_of("x\u200By", ws) == strings{"x\u200By"});
    CHECK(tokens_of("", ws) == strings{});
    CHECK(tokens_of(" \t\n ", ws) == strings{});
    CHECK(tokens_of("AB cd", {.lowercase = false, .rule = token_rule::whitespace}) == strings{"AB", "cd"});
}

TEST_CASE("tokenizer: non-ASCII word characters match Python's \\w") {
    // scikit-learn: ['ünïcode', 'café', 'café', 'naïve'] ('£5' leaves '5', 'café’s' leaves 's').
    CHECK(tokens_of("£5 Ünïcode café’s CAFÉ naïve") == strings{"ünïcode", "café", "café", "naïve"});
    // scikit-learn: ['don', 'it', 'x²', '10½', '〨ud', '鈥鈥', 'àéîõü'].
    CHECK(tokens_of("don\u0092t it’s £5 x² 10½ 〨ud a┾b 鈥鈥 ×÷ ÀÉÎÕÜ") ==
          strings{"don", "it", "x²", "10½", "〨ud", "鈥鈥", "àéîõü"});
    // Emoji are not word characters; combining marks (Mn, Mc) are not either, as in Python.
    CHECK(tokens_of("a_b __ 😀😀 ab😀cd") == strings{"a_b", "__", "ab", "cd"});
    CHECK(tokens_of("हिन्दी") == strings{});
    // Quotes, dashes, ellipsis and friends split words.
    CHECK(tokens_of("“quoted”—dash–en…dots «guill» ¡hola! ¿qué?") ==
          strings{"quoted", "dash", "en", "dots", "guill", "hola", "qué"});

    namespace u = tessera::detail::unicode;
    // The SMS Spam Collection's non-ASCII characters, one by one.
    for (const char32_t c : {U'ü', U'Ü', U'é', U'ú', U'è', U'É', U'ì', U'鈥', U'〨'}) {
        CAPTURE(static_cast<std::uint32_t>(c));
        CHECK(u::is_word(c));
    }
    for (const char32_t c : {U'£', U'\u0092', U'‘', U'…', U'–', U'\u0094', U'’', U'\u0096', U'“', U'\u0091', U'\u0093',
                             U'¡', U'»', U'—', U'┾'}) {
        CAPTURE(static_cast<std::uint32_t>(c));
        CHECK_FALSE(u::is_word(c));
    }
    // Block by block: letters and numbers in, punctuation and symbols out.
    for (const char32_t c : {U'ª', U'µ', U'º', U'À', U'Ö', U'Ø', U'ö', U'ø', U'ÿ', U'²', U'³', U'¹', U'¼', U'½', U'¾',
                             U'ł', U'ſ', U'ƒ', U'Ω', U'ω', U'Ж', U'ж', U'Ա', U'א', U'ب', U'٣', U'中', U'あ', U'カ',
                             U'한', U'Ａ', U'ｚ', U'０', U'\u3007', U'\u3021', U'\u3029', U'\u3038', U'①', U'Ⅻ',
                             U'\U00020000', U'\U0001D400', U'_', U'0', U'Z'}) {
        CAPTURE(static_cast<std::uint32_t>(c));
        CHECK(u::is_word(c));
    }
    for (const char32_t c :
         {U'\u0080', U'\u009F', U'\u00A0', U'¢', U'¥', U'§', U'©', U'«', U'¬', U'®', U'°', U'±', U'´', U'¶', U'·',
          U'¿', U'×', U'÷', U'\u0301', U'\u2000', U'\u200B', U'\u2030', U'\u206F', U'€', U'\u20CF', U'→', U'∑',
          U'─', U'⯿', U'\u3000', U'\u3001', U'\u3002', U'〈', U'\u3030', U'\u303F', U'😀', U'\uFFFD', U' ', U'-',
          U'\'', U'\U0010FFFF'}) {
        CAPTURE(static_cast<std::uint32_t>(c));
        CHECK_FALSE(u::is_word(c));
    }
}

TEST_CASE("tokenizer: lowercasing is Python's str.lower()") {
    namespace u = tessera::detail::unicode;
    // scikit-learn: ['łódź', 'привет', 'ωmega', 'ａｂｃ', 'ßig', 'kelvink', 'ÿes'].
    CHECK(tokens_of("ŁÓDŹ ПРИВЕТ Ωmega ＡＢＣ ẞig KELVIN\u212A Ÿes") ==
          strings{"łódź", "привет", "ωmega", "ａｂｃ", "ßig", "kelvink", "ÿes"});
    // Latin-1: U+00C0-U+00DE except × (U+00D7) move by 0x20; ß and ÿ stay.
    for (char32_t c = 0xC0; c <= 0xDE; ++c) {
        CAPTURE(static_cast<std::uint32_t>(c));
        CHECK(u::to_lower(c) == (c == 0xD7 ? c : c + 0x20));
    }
    CHECK(u::to_lower(U'ß') == U'ß');
    CHECK(u::to_lower(U'ÿ') == U'ÿ');
    CHECK(u::to_lower(U'Ā') == U'ā');
    CHECK(u::to_lower(U'ā') == U'ā');
    CHECK(u::to_lower(U'Ž') == U'ž');
    CHECK(u::to_lower(U'Ω') == U'ω');
    CHECK(u::to_lower(U'Ё') == U'ё');
    CHECK(u::to_lower(U'Я') == U'я');
    CHECK(u::to_lower(U'Ա') == U'ա');
    CHECK(u::to_lower(U'\U00010400') == U'\U00010428');  // Deseret
    CHECK(u::to_lower(U'中') == U'中');
    CHECK(u::to_lower(U'\U0010FFFF') == U'\U0010FFFF');
    // Final sigma: 'ς' at the end of a word, 'σ' elsewhere; "'" is case-ignorable.
    CHECK(tokens_of("ΟΔΟΣ ΣΑ ΑΣ.") == strings{"οδος", "σα", "ας"});
    CHECK(tokens_of("ΌΣΟΣ'Σ") == strings{"όσοσ"});
    CHECK(tokenizer({.min_token_length = 1}).tokens("Σ") == strings{"σ"});
    // İ (U+0130) lowercases to "i" + U+0307, a combining mark that ends the word: ['stanbul'].
    CHECK(tokens_of("İstanbul") == strings{"stanbul"});
    CHECK(tokens_of("İstanbul", {.rule = token_rule::whitespace}) == strings{"i\u0307stanbul"});
    // lowercase = false keeps the text.
    CHECK(tokens_of("ÀÉ ΟΔΟΣ", {.lowercase = false}) == strings{"ÀÉ", "ΟΔΟΣ"});
}

TEST_CASE("tokenizer: n-grams in scikit-learn's order") {
    // scikit-learn, ngram_range=(1, 3): ['cc', 'dd', 'ee', 'cc dd', 'dd ee', 'cc dd ee'].
    CHECK(tokens_of("a b cc dd ee", {.ngram_max = 3}) == strings{"cc", "dd", "ee", "cc dd", "dd ee", "cc dd ee"});
    CHECK(tokens_of("one two three", {.ngram_min = 2, .ngram_max = 2}) == strings{"one two", "two three"});
    CHECK(tokens_of("one two three", {.ngram_min = 2, .ngram_max = 5}) ==
          strings{"one two", "two three", "one two three"});
    CHECK(tokens_of("one two three", {.ngram_min = 3, .ngram_max = 3}) == strings{"one two three"});
    CHECK(tokens_of("one two", {.ngram_min = 3, .ngram_max = 4}) == strings{});
    CHECK(tokens_of("single", {.ngram_min = 1, .ngram_max = 3}) == strings{"single"});
    CHECK(tokens_of("", {.ngram_max = 2}) == strings{});
    // Tokens are joined with one space whatever separated them.
    CHECK(tokens_of("Ab,\t\tCD", {.ngram_max = 2}) == strings{"ab", "cd", "ab cd"});
    // A naive reference for a longer document.
    const std::string doc = "w1 w2 w3 w4 w5 w6 w7";
    const strings uni = tokens_of(doc);
    strings expected;
    for (std::size_t n = 2; n <= 4; ++n) {
        for (std::size_t i = 0; i + n <= uni.size(); ++i) {
            std::string g = uni[i];
            for (std::size_t k = 1; k < n; ++k) g += " " + uni[i + k];
            expected.push_back(g);
        }
    }
    CHECK(tokens_of(doc, {.ngram_min = 2, .ngram_max = 4}) == expected);
}

TEST_CASE("tokenizer: a custom rule") {
    // Split on commas; the rule sees the lowercased document.
    auto commas = [](std::string_view doc, const std::function<void(std::string_view)>& emit) {
        std::size_t start = 0;
        for (std::size_t i = 0; i <= doc.size(); ++i) {
            if (i == doc.size() || doc[i] == ',') {
                emit(doc.substr(start, i - start));
                start = i + 1;
            }
        }
    };
    CHECK(tokens_of("A,b c,,D", {.custom = commas}) == strings{"a", "b c", "", "d"});
    CHECK(tokens_of("A,b c", {.lowercase = false, .custom = commas}) == strings{"A", "b c"});
    CHECK(tokens_of("x,y,z", {.ngram_max = 2, .custom = commas}) == strings{"x", "y", "z", "x y", "y z"});
    // Tokens emitted from a temporary buffer are copied before n-grams are formed.
    auto temporary = [](std::string_view doc, const std::function<void(std::string_view)>& emit) {
        for (const char c : doc) {
            const std::string t(3, c);
            emit(t);
        }
    };
    CHECK(tokens_of("ab", {.ngram_max = 2, .custom = temporary}) == strings{"aaa", "bbb", "aaa bbb"});
    // Exceptions from the rule propagate; documents must still be valid UTF-8.
    auto thrower = [](std::string_view, const std::function<void(std::string_view)>&) {
        throw std::runtime_error("boom");
    };
    CHECK_THROWS_WITH_AS((void)tokens_of("x", {.custom = thrower}), "boom", std::runtime_error);
    CHECK_THROWS_AS((void)tokens_of("\xFF", {.lowercase = false, .custom = commas}), tessera::invalid_argument);
    CHECK_THROWS_AS((void)tokens_of("\xFF", {.custom = commas}), tessera::invalid_argument);
}

TEST_CASE("tokenizer: invalid UTF-8 is refused with its byte offset") {
    struct bad {
        std::string_view doc;
        const char* what;
    };
    const bad cases[] = {
        {"\x80", "byte offset 0 (unexpected continuation byte, byte 0x80)"},
        {"abc \xBF", "byte offset 4 (unexpected continuation byte"},
        {"ab\xC0\x80", "byte offset 2 (overlong encoding, byte 0xC0)"},
        {"\xC1\xBF", "byte offset 0 (overlong encoding"},
        {"\xE0\x80\x80", "byte offset 0 (overlong encoding, byte 0xE0)"},
        {"\xE0\x9F\xBF", "byte offset 0 (overlong encoding"},
        {"x\xF0\x82\x82\xAC", "byte offset 1 (overlong encoding, byte 0xF0)"},
        {"\xED\xA0\x80", "byte offset 0 (encoded surrogate"},
        {"ok \xED\xBF\xBF", "byte offset 3 (encoded surrogate"},
        {"\xF4\x90\x80\x80", "byte offset 0 (code point beyond U+10FFFF"},
        {"\xF5\x80\x80\x80", "byte offset 0 (invalid lead byte"},
        {"\xFF", "byte offset 0 (invalid lead byte (beyond U+10FFFF), byte 0xFF)"},
        {"\xFE\xFE", "byte offset 0 (invalid lead byte"},
        {"word \xE2\x82", "byte offset 5 (truncated multi-byte sequence, byte 0xE2)"},
        {"\xE2\x28\xA1", "byte offset 0 (truncated multi-byte sequence"},
        {"\xC3", "byte offset 0 (truncated multi-byte sequence"},
        {"\xF0\x9F\x98", "byte offset 0 (truncated multi-byte sequence"},
        {"\xF0\x9F\x98 x", "byte offset 0 (truncated multi-byte sequence"},
        {"é\xC3(", "byte offset 2 (truncated multi-byte sequence"},
    };
    const tokenizer_options variants[] = {
        {},
        {.lowercase = false},
        {.rule = token_rule::whitespace},
        {.lowercase = false, .rule = token_rule::whitespace},
        {.ngram_max = 3},
    };
    for (const bad& b : cases) {
        CAPTURE(b.doc);
        for (const auto& o : variants) {
            const tokenizer tok(o);
            CHECK_THROWS_WITH_AS((void)tok.tokens(b.doc), doctest::Contains(b.what), tessera::invalid_argument);
            CHECK_THROWS_WITH_AS(tok.for_each_token(b.doc, [](std::string_view) {}),
                                 doctest::Contains("tessera::tokenizer::for_each_token: argument 'doc': invalid UTF-8"),
                                 tessera::invalid_argument);
        }
    }
    // The extremes of valid UTF-8 pass and are never split.
    CHECK(tokens_of("\x7F \xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 "
                    "\xF4\x8F\xBF\xBF",
                    {.rule = token_rule::whitespace}) == strings{"\x7F", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80",
                                                                  "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF",
                                                                  "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"});
    // A final sigma looks ahead: an invalid byte after it is still reported at its own offset.
    CHECK_THROWS_WITH_AS((void)tokens_of("ΑΣ\xFF"), doctest::Contains("byte offset 4"), tessera::invalid_argument);
    // Every code point round-trips through the encoder and decoder.
    for (char32_t c = 0; c <= 0x10FFFF; c += (c < 0x1000 ? 1 : 97)) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        const std::string s = utf8(c);
        const auto d = tessera::detail::unicode::decode(s, 0);
        REQUIRE(d.length == s.size());
        REQUIRE(d.code_point == c);
    }
}

TEST_CASE("tokenizer: options are validated") {
    CHECK_THROWS_WITH_AS(tokenizer({.min_token_length = 0}),
                         "tessera::tokenizer: argument 'options.min_token_length': must be at least 1, got 0",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tokenizer({.ngram_min = 0}), doctest::Contains("'options.ngram_min'"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tokenizer({.ngram_min = 3, .ngram_max = 2}),
                         doctest::Contains("'options.ngram_max': must be at least ngram_min (ngram_min = 3, ngram_max = 2)"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tokenizer({.rule = static_cast<token_rule>(7)}),
                         doctest::Contains("'options.rule': is not a token_rule value (7)"), tessera::invalid_argument);
    CHECK_NOTHROW(tokenizer({.min_token_length = 1, .ngram_min = 4, .ngram_max = 4}));
    const tokenizer t({.lowercase = false, .min_token_length = 3});
    CHECK_FALSE(t.options().lowercase);
    CHECK(t.options().min_token_length == 3);
    CHECK(t.saveable());
}

TEST_CASE("tokenizer: archive round trip and refused contents") {
    const tessera::archive_header header{"tokenizer_test", 1, tessera::type_tag::none, tessera::type_tag::none};
    const tokenizer t({.lowercase = false, .rule = token_rule::whitespace, .min_token_length = 4, .ngram_min = 2,
                       .ngram_max = 3});
    tessera::archive_writer w(header);
    t.write_to(w);
    const auto bytes = w.bytes();
    tessera::archive_reader r(std::span<const std::byte>(bytes), header);
    const tokenizer back = tokenizer::read_from(r);
    r.expect_end();
    CHECK_FALSE(back.options().lowercase);
    CHECK(back.options().rule == token_rule::whitespace);
    CHECK(back.options().min_token_length == 4);
    CHECK(back.options().ngram_min == 2);
    CHECK(back.options().ngram_max == 3);
    CHECK(back.tokens("A b C") == t.tokens("A b C"));

    // Fields as write_to writes them, with a valid checksum but contents a tokenizer refuses.
    const auto refused = [&](std::uint8_t rule, std::uint64_t min_len, std::uint64_t lo, std::uint64_t hi, const char* why) {
        tessera::archive_writer bad(header);
        bad.write<bool>(true);
        bad.write<std::uint8_t>(rule);
        bad.write<std::uint64_t>(min_len);
        bad.write<std::uint64_t>(lo);
        bad.write<std::uint64_t>(hi);
        const auto b = bad.bytes();
        tessera::archive_reader rb(std::span<const std::byte>(b), header);
        CHECK_THROWS_WITH_AS((void)tokenizer::read_from(rb), doctest::Contains(why), tessera::format_error);
    };
    refused(2, 2, 1, 1, "not a token_rule value");
    refused(0, 0, 1, 1, "min_token_length");
    refused(0, 2, 0, 1, "ngram_min");
    refused(0, 2, 3, 2, "ngram_max");

    // A custom rule cannot be written.
    const tokenizer custom({.custom = [](std::string_view, const std::function<void(std::string_view)>&) {}});
    CHECK_FALSE(custom.saveable());
    tessera::archive_writer wc(header);
    CHECK_THROWS_WITH_AS(custom.write_to(wc), doctest::Contains("'options.custom': is a user token function"),
                         tessera::invalid_argument);
}
