// count_vectorizer, hashing_vectorizer, tfidf_transformer and tfidf_vectorizer against
// references written here (naive ASCII tokenization and counting in std::map, tf-idf in
// double straight from its definition), and against scikit-learn 1.2.1 numbers with the
// command that made them. Also every option, bad input, document-range and index types, an
// allocator, save/load with truncated, corrupt and inconsistent archives, and the SMS Spam
// Collection when TESSERA_DATA_DIR is set.
#include <doctest/doctest.h>

#include "data_test_support.hpp"
#include "model_test_support.hpp"

#include <tessera/core/archive.hpp>
#include <tessera/io/labeled_text.hpp>
#include <tessera/text/count_vectorizer.hpp>
#include <tessera/text/hashing_vectorizer.hpp>
#include <tessera/text/tfidf.hpp>
#include <tessera/text/tokenizer.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <iterator>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <list>
#include <map>
#include <memory_resource>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using tessera::df_count;
using tessera::df_fraction;
using tessera::norm_kind;
using strings = std::vector<std::string>;
using dense = std::vector<std::vector<double>>;

using tessera_test::archive_bytes;
using tessera_test::from_bytes;

namespace {

// ---------------------------------------------------------------------------------------------
// References and helpers

// ASCII-only version of the default rule: lowercase, runs of [A-Za-z0-9_] of length >= 2.
strings naive_tokens(std::string_view doc) {
    strings out;
    std::string cur;
    for (std::size_t i = 0; i <= doc.size(); ++i) {
        const char c = i < doc.size() ? doc[i] : ' ';
        const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (word) {
            cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
        } else {
            if (cur.size() >= 2) out.push_back(cur);
            cur.clear();
        }
    }
    return out;
}

template <class M>
dense to_dense(const M& m) {
    dense d(m.rows(), std::vector<double>(m.cols(), 0.0));
    for (std::size_t i = 0; i < m.rows(); ++i) {
        const auto r = m.row(i);
        for (std::size_t k = 0; k < r.size(); ++k) d[i][static_cast<std::size_t>(r.indices[k])] = static_cast<double>(r.values[k]);
    }
    return d;
}

void check_close(const dense& got, const dense& want, double tol = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i].size() == want[i].size());
        for (std::size_t j = 0; j < got[i].size(); ++j) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK(got[i][j] == doctest::Approx(want[i][j]).epsilon(tol));
        }
    }
}

// tf-idf from its definition (scikit-learn's TfidfTransformer), in double.
dense ref_tfidf(const dense& counts, const tessera::tfidf_options& o) {
    const std::size_t n = counts.size();
    const std::size_t m = counts.empty() ? 0 : counts[0].size();
    std::vector<double> idf(m, 1.0);
    for (std::size_t j = 0; j < m; ++j) {
        double df = 0;
        for (std::size_t i = 0; i < n; ++i) df += counts[i][j] > 0 ? 1 : 0;
        idf[j] = o.smooth_idf ? std::log((1.0 + static_cast<double>(n)) / (1.0 + df)) + 1.0
                              : std::log(static_cast<double>(n) / df) + 1.0;
    }
    dense w(n, std::vector<double>(m, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
        double l1 = 0;
        double l2 = 0;
        for (std::size_t j = 0; j < m; ++j) {
            const double c = counts[i][j];
            if (c <= 0) continue;
            w[i][j] = (o.sublinear_tf ? 1.0 + std::log(c) : c) * (o.use_idf ? idf[j] : 1.0);
            l1 += std::fabs(w[i][j]);
            l2 += w[i][j] * w[i][j];
        }
        const double norm = o.norm == norm_kind::l1 ? l1 : o.norm == norm_kind::l2 ? std::sqrt(l2) : 1.0;
        if (norm > 0) {
            for (double& v : w[i]) v /= norm;
        }
    }
    return w;
}


// Every truncation and every single-bit flip of a valid archive is refused.
template <class Model>
void check_corruption(const std::vector<std::byte>& bytes) {
    CHECK_NOTHROW((void)from_bytes<Model>(bytes));
    for (std::size_t keep = 0; keep < bytes.size(); ++keep) {
        CAPTURE(keep);
        CHECK_THROWS_AS((void)from_bytes<Model>(std::vector<std::byte>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep))),
                        tessera::format_error);
    }
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        CAPTURE(at);
        auto broken = bytes;
        broken[at] ^= std::byte{0x04};
        CHECK_THROWS_AS((void)from_bytes<Model>(broken), tessera::format_error);
    }
}

// A single-pass range that makes its documents (by value) as it goes; not sized. (Rather than
// a std::views pipeline, which clang 14 cannot compile with libstdc++ 12.)
struct generated_docs {
    struct iterator {
        using iterator_concept = std::input_iterator_tag;
        using value_type = std::string;
        using difference_type = std::ptrdiff_t;
        int i = 0;
        std::string operator*() const { return i == 0 ? "one two" : "two three"; }
        iterator& operator++() {
            ++i;
            return *this;
        }
        void operator++(int) { ++i; }
        bool operator==(std::default_sentinel_t) const { return i == 2; }
    };
    [[nodiscard]] iterator begin() const { return {}; }
    [[nodiscard]] std::default_sentinel_t end() const { return {}; }
};

fs::path temp_file(const char* name) { return fs::temp_directory_path() / (std::string("tessera_test_text_vectorizers_") + name); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// count_vectorizer

TEST_CASE("count_vectorizer: counts match a naive recount") {
    const strings docs{"The cat sat on the mat.", "The dog sat", "Cats and dogs, and THE cat!", "", "a b c"};
    tessera::count_vectorizer<> cv;
    CHECK_FALSE(cv.fitted());
    const auto x = cv.fit_transform(docs);
    CHECK(cv.fitted());
    const strings vocabulary{"and", "cat", "cats", "dog", "dogs", "mat", "on", "sat", "the"};
    CHECK(strings(cv.feature_names().begin(), cv.feature_names().end()) == vocabulary);
    REQUIRE(cv.vocabulary_size() == vocabulary.size());
    dense want(docs.size(), std::vector<double>(vocabulary.size(), 0.0));
    for (std::size_t i = 0; i < docs.size(); ++i) {
        for (const auto& t : naive_tokens(docs[i])) {
            const auto it = std::find(vocabulary.begin(), vocabulary.end(), t);
            REQUIRE(it != vocabulary.end());
            want[i][static_cast<std::size_t>(it - vocabulary.begin())] += 1;
        }
    }
    CHECK(to_dense(x) == want);
    CHECK(x.row(3).empty());
    CHECK(x.row(4).empty());
    CHECK(cv.transform(docs) == x);
    // fit then transform gives the same as fit_transform.
    tessera::count_vectorizer<> cv2;
    cv2.fit(docs);
    CHECK(cv2.transform(docs) == x);

    // Unknown tokens are ignored; an empty or unknown-only document gives an empty row.
    const auto y = cv.transform(strings{"the unknown cat, the CAT", "", "zebra"});
    CHECK(y.rows() == 3);
    CHECK(y.cols() == vocabulary.size());
    CHECK(to_dense(y)[0] == std::vector<double>{0, 2, 0, 0, 0, 0, 0, 0, 2});
    CHECK(y.row(1).empty());
    CHECK(y.row(2).empty());
    CHECK(cv.transform(strings{}).rows() == 0);

    CHECK(cv.column_of("cat") == 1);
    CHECK(cv.column_of("the") == 8);
    CHECK(cv.column_of("The") == std::nullopt);
    CHECK(cv.column_of("zebra") == std::nullopt);
    CHECK(cv.feature_name(2) == "cats");
    CHECK_THROWS_WITH_AS((void)cv.feature_name(9), doctest::Contains("argument 'column': 9 is not below the vocabulary size 9"),
                         tessera::invalid_argument);

    // binary
    tessera::count_vectorizer<> bin({.binary = true});
    CHECK(to_dense(bin.fit_transform(docs))[2] == std::vector<double>{1, 1, 1, 0, 1, 0, 0, 0, 1});
}

TEST_CASE("count_vectorizer: byte order of terms, unicode and n-grams") {
    // Columns sort by UTF-8 bytes: digits, '_', ASCII letters, then Latin-1, Greek, CJK.
    tessera::count_vectorizer<> cv;
    (void)cv.fit(strings{"zz éa ab 中文 ωω _x 10 Ab"});
    CHECK(strings(cv.feature_names().begin(), cv.feature_names().end()) ==
          strings{"10", "_x", "ab", "zz", "éa", "ωω", "中文"});

    tessera::count_vectorizer<> ng({.tokens = {.ngram_max = 2}});
    const auto x = ng.fit_transform(strings{"aa bb aa bb", "bb aa"});
    CHECK(strings(ng.feature_names().begin(), ng.feature_names().end()) == strings{"aa", "aa bb", "bb", "bb aa"});
    CHECK(to_dense(x) == dense{{2, 2, 2, 1}, {1, 0, 1, 1}});

    tessera::count_vectorizer<> ws({.tokens = {.lowercase = false, .rule = tessera::token_rule::whitespace}});
    const auto y = ws.fit_transform(strings{"£5 Café’s a", "a a"});
    CHECK(strings(ws.feature_names().begin(), ws.feature_names().end()) == strings{"Café’s", "a", "£5"});
    CHECK(to_dense(y) == dense{{1, 1, 1}, {0, 2, 0}});
}

TEST_CASE("count_vectorizer: min_df, max_df and max_features") {
    // df: aa 4, bb 2, cc 1, dd 1, ee 1; totals: aa 4, bb 2, cc 1, dd 1, ee 3.
    const strings docs{"aa bb cc", "aa bb", "aa dd", "aa ee ee ee"};
    const auto vocabulary = [&](tessera::count_vectorizer_options o) {
        tessera::count_vectorizer<> cv(std::move(o));
        const auto x = cv.fit_transform(docs);
        CHECK(x.cols() == cv.vocabulary_size());
        // Kept columns hold the same counts as without pruning.
        tessera::count_vectorizer<> all;
        const auto full = to_dense(all.fit_transform(docs));
        const auto got = to_dense(x);
        for (std::size_t c = 0; c < cv.vocabulary_size(); ++c) {
            const std::size_t f = *all.column_of(cv.feature_name(c));
            for (std::size_t i = 0; i < docs.size(); ++i) CHECK(got[i][c] == full[i][f]);
        }
        return strings(cv.feature_names().begin(), cv.feature_names().end());
    };
    CHECK(vocabulary({}) == strings{"aa", "bb", "cc", "dd", "ee"});
    CHECK(vocabulary({.min_df = df_count(2)}) == strings{"aa", "bb"});
    CHECK(vocabulary({.min_df = df_fraction(0.5)}) == strings{"aa", "bb"});
    CHECK(vocabulary({.min_df = df_fraction(0.51)}) == strings{"aa"});
    CHECK(vocabulary({.max_df = df_fraction(0.5)}) == strings{"bb", "cc", "dd", "ee"});
    CHECK(vocabulary({.max_df = df_count(3)}) == strings{"bb", "cc", "dd", "ee"});
    CHECK(vocabulary({.max_df = df_count(1)}) == strings{"cc", "dd", "ee"});
    CHECK(vocabulary({.min_df = df_count(2), .max_df = df_count(2)}) == strings{"bb"});
    CHECK(vocabulary({.max_features = 1}) == strings{"aa"});
    CHECK(vocabulary({.max_features = 2}) == strings{"aa", "ee"});
    CHECK(vocabulary({.max_features = 3}) == strings{"aa", "bb", "ee"});
    CHECK(vocabulary({.max_features = 4}) == strings{"aa", "bb", "cc", "ee"});  // cc ties dd and sorts first
    CHECK(vocabulary({.max_features = 5}) == strings{"aa", "bb", "cc", "dd", "ee"});
    CHECK(vocabulary({.max_features = 50}) == strings{"aa", "bb", "cc", "dd", "ee"});
    // With binary the ranking is by document frequency: scikit-learn's
    //     CountVectorizer(max_features=1, binary=b).fit(['aa aa aa aa aa bb', 'bb cc'])
    // keeps ['aa'] for b = False and ['bb'] for b = True.
    {
        const strings d{"aa aa aa aa aa bb", "bb cc"};
        tessera::count_vectorizer<> counts({.max_features = 1});
        (void)counts.fit(d);
        CHECK(counts.feature_name(0) == "aa");
        tessera::count_vectorizer<> binary({.max_features = 1, .binary = true});
        CHECK(to_dense(binary.fit_transform(d)) == dense{{1}, {1}});
        CHECK(binary.feature_name(0) == "bb");
    }
    // max_features applies after the document-frequency bounds.
    CHECK(vocabulary({.max_df = df_fraction(0.5), .max_features = 2}) == strings{"bb", "ee"});
    CHECK(vocabulary({.min_df = df_fraction(0.0), .max_df = df_fraction(1.0)}) == strings{"aa", "bb", "cc", "dd", "ee"});

    tessera::count_vectorizer<> crossed({.min_df = df_count(3), .max_df = df_fraction(0.5)});
    CHECK_THROWS_WITH_AS(crossed.fit(docs),
                         doctest::Contains("argument 'options.max_df': corresponds to fewer documents than min_df"),
                         tessera::invalid_argument);
    tessera::count_vectorizer<> none({.min_df = df_count(3), .max_df = df_count(3)});
    CHECK_THROWS_WITH_AS(none.fit(docs), doctest::Contains("no terms remain after pruning"), tessera::invalid_argument);
    CHECK_FALSE(none.fitted());
}

TEST_CASE("count_vectorizer: bad input and options") {
    tessera::count_vectorizer<> cv;
    CHECK_THROWS_WITH_AS(cv.fit(strings{}), "tessera::count_vectorizer::fit: argument 'docs': is empty: at least one document is needed",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)cv.fit_transform(strings{"", "a", "! ?"}), doctest::Contains("no terms remain"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(cv.fit(strings{"ok", "fine", "ab\xE2\x82"}),
                         "tessera::count_vectorizer::fit: argument 'docs': document 2: invalid UTF-8 at byte offset 2 "
                         "(truncated multi-byte sequence, byte 0xE2)",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)cv.transform(strings{"x"}),
                         "tessera::count_vectorizer::transform: the model is not fitted; call fit() first",
                         tessera::not_fitted_error);
    CHECK_THROWS_AS(cv.save(temp_file("unfitted")), tessera::not_fitted_error);
    CHECK_THROWS_AS((void)cv.feature_name(0), tessera::invalid_argument);

    // A failed fit leaves the vectorizer as it was.
    cv.fit(strings{"alpha beta"});
    CHECK_THROWS_AS(cv.fit(strings{"gamma", "\xC0\x80"}), tessera::invalid_argument);
    CHECK(cv.vocabulary_size() == 2);
    CHECK(cv.column_of("beta") == 1);
    CHECK_THROWS_WITH_AS((void)cv.transform(strings{"alpha", "\xFF"}), doctest::Contains("transform: argument 'docs': document 1: invalid UTF-8"),
                         tessera::invalid_argument);

    using o = tessera::count_vectorizer_options;
    CHECK_THROWS_WITH_AS(tessera::count_vectorizer<>(o{.min_df = df_count(0)}),
                         "tessera::count_vectorizer: argument 'options.min_df': a document count must be at least 1, got 0",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::count_vectorizer<>(o{.max_df = df_fraction(1.5)}),
                         doctest::Contains("'options.max_df': a fraction of the documents must lie in [0, 1]"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::count_vectorizer<>(o{.max_df = df_fraction(std::nan(""))}), tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::count_vectorizer<>(o{.min_df = df_fraction(-0.1)}), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::count_vectorizer<>(o{.max_features = 0}), doctest::Contains("'options.max_features'"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::count_vectorizer<>(o{.tokens = {.ngram_min = 0}}),
                         "tessera::count_vectorizer: argument 'options.tokens.ngram_min': must be at least 1, got 0",
                         tessera::invalid_argument);
}

TEST_CASE("count_vectorizer: integral values never wrap; document ranges and index types") {
    std::string doc;
    for (int i = 0; i < 127; ++i) doc += "ab ";
    tessera::count_vectorizer<std::int8_t> small;
    CHECK(small.fit_transform(strings{doc}).values()[0] == 127);
    CHECK_THROWS_WITH_AS((void)small.fit_transform(strings{"x", doc + "ab"}),
                         doctest::Contains("document 1: term 'ab' occurs 128 times, more than the value type holds (127)"),
                         tessera::invalid_argument);
    CHECK_THROWS_AS((void)small.transform(strings{doc + "ab"}), tessera::invalid_argument);
    tessera::count_vectorizer<std::int8_t> bin({.binary = true});
    CHECK(bin.fit_transform(strings{doc + doc}).values()[0] == 1);
    tessera::count_vectorizer<std::uint8_t> u8;
    (void)u8.fit(strings{"ab"});
    CHECK(u8.transform(strings{doc + doc + "ab"}).values()[0] == 255);

    // Any range of string-like elements, read once.
    const std::vector<std::string_view> views{"one two", "two three"};
    const std::vector<const char*> pointers{"one two", "two three"};
    const std::list<std::string> list{"one two", "two three"};
    const std::array<std::string, 2> array{"one two", "two three"};
    tessera::count_vectorizer<float, std::int64_t> cv;
    const auto x = cv.fit_transform(views);
    CHECK(cv.fit_transform(pointers) == x);
    CHECK(cv.fit_transform(list) == x);
    CHECK(cv.fit_transform(array) == x);
    static_assert(tessera::document_range<generated_docs> && !std::ranges::sized_range<generated_docs> &&
                  !std::ranges::forward_range<generated_docs>);
    CHECK(cv.fit_transform(generated_docs{}) == x);
    CHECK(to_dense(x) == dense{{1, 0, 1}, {0, 1, 1}});
    tessera::count_vectorizer<double, std::uint32_t> cu;
    CHECK(to_dense(cu.fit_transform(list)) == dense{{1, 0, 1}, {0, 1, 1}});

    // The caller's allocator serves the matrices.
    std::pmr::monotonic_buffer_resource pool;
    using pmr_alloc = std::pmr::polymorphic_allocator<double>;
    tessera::count_vectorizer<double, std::int32_t, pmr_alloc> pv({}, pmr_alloc(&pool));
    const auto px = pv.fit_transform(list);
    CHECK(px.get_allocator().resource() == &pool);
    CHECK(pv.transform(list).get_allocator().resource() == &pool);
    CHECK(to_dense(px) == dense{{1, 0, 1}, {0, 1, 1}});
}

TEST_CASE("count_vectorizer: save and load") {
    const strings docs{"Free entry in 2 a wkly comp", "free MSG, free café", "U dun say so early hor"};
    tessera::count_vectorizer<> cv({.tokens = {.ngram_max = 2}, .max_df = df_count(2), .max_features = 12, .binary = true});
    const auto x = cv.fit_transform(docs);
    const auto back = from_bytes<tessera::count_vectorizer<>>(archive_bytes(cv));
    CHECK(strings(back.feature_names().begin(), back.feature_names().end()) ==
          strings(cv.feature_names().begin(), cv.feature_names().end()));
    CHECK(back.transform(docs) == x);
    CHECK(back.options().binary);
    CHECK(back.options().max_features == 12);
    CHECK(back.options().max_df.count == 2);
    CHECK_FALSE(back.options().max_df.is_fraction);
    CHECK(back.options().min_df.count == 1);
    CHECK(back.options().tokens.ngram_max == 2);
    CHECK(back.column_of("free entry").has_value());

    const fs::path file = temp_file("count");
    cv.save(file);
    CHECK(tessera::count_vectorizer<>::load(file).transform(docs) == x);
    CHECK_THROWS_WITH_AS((void)tessera::count_vectorizer<float>::load(file), doctest::Contains("element type is f64, expected f32"),
                         tessera::format_error);
    CHECK_THROWS_AS((void)(tessera::count_vectorizer<double, std::int64_t>::load(file)), tessera::format_error);
    CHECK_THROWS_WITH_AS((void)tessera::tfidf_transformer<>::load(file), doctest::Contains("holds a 'count_vectorizer'"),
                         tessera::format_error);
    fs::remove(file);
    CHECK_THROWS_AS((void)tessera::count_vectorizer<>::load(file), tessera::io_error);

    tessera::count_vectorizer<> small;
    (void)small.fit(strings{"ab cd", "cd ef"});
    check_corruption<tessera::count_vectorizer<>>(archive_bytes(small));

    // A custom token rule cannot be saved.
    tessera::count_vectorizer<> custom(
        {.tokens = {.custom = [](std::string_view d, const std::function<void(std::string_view)>& emit) { emit(d); }}});
    (void)custom.fit(strings{"whole doc"});
    CHECK(custom.feature_name(0) == "whole doc");
    CHECK_THROWS_AS(custom.save(temp_file("custom")), tessera::invalid_argument);
}

namespace {
// A count_vectorizer payload, field by field, so that inconsistent content has a valid checksum.
struct count_payload {
    std::uint8_t rule = 0;
    std::uint64_t min_len = 2;
    bool min_is_fraction = false;
    std::uint64_t min_count = 1;
    double max_fraction = 1.0;
    bool has_max = false;
    std::uint64_t max_features = 0;
    strings vocabulary{"ab", "cd"};
    bool extra = false;

    [[nodiscard]] std::vector<std::byte> bytes() const {
        tessera::archive_writer w(tessera::count_vectorizer<>::header());
        w.write<bool>(true);
        w.write<std::uint8_t>(rule);
        w.write<std::uint64_t>(min_len);
        w.write<std::uint64_t>(1);
        w.write<std::uint64_t>(1);
        w.write<bool>(min_is_fraction);
        w.write<std::uint64_t>(min_count);
        w.write<double>(0.0);
        w.write<bool>(true);
        w.write<std::uint64_t>(0);
        w.write<double>(max_fraction);
        w.write<bool>(has_max);
        w.write<std::uint64_t>(max_features);
        w.write<bool>(false);
        w.write<std::uint64_t>(vocabulary.size());
        for (const auto& t : vocabulary) w.write_string(t);
        if (extra) w.write<std::uint8_t>(0);
        return w.bytes();
    }
};
}  // namespace

TEST_CASE("count_vectorizer: archives with a valid checksum but inconsistent content") {
    using cv = tessera::count_vectorizer<>;
    const auto good = from_bytes<cv>(count_payload{}.bytes());
    CHECK(good.vocabulary_size() == 2);
    CHECK(to_dense(good.transform(strings{"cd cd ab"})) == dense{{1, 2}});
    const auto refused = [](const count_payload& p, const char* why) {
        CAPTURE(why);
        CHECK_THROWS_WITH_AS((void)from_bytes<cv>(p.bytes()), doctest::Contains(why), tessera::format_error);
    };
    count_payload p;
    p.rule = 9;
    refused(p, "not a token_rule value");
    p = {};
    p.min_len = 0;
    refused(p, "min_token_length");
    p = {};
    p.min_count = 0;
    refused(p, "a document count must be at least 1");
    p = {};
    p.max_fraction = 2.0;
    refused(p, "must lie in [0, 1]");
    p = {};
    p.max_features = 3;
    refused(p, "max_features is 3 but marked absent");
    p = {};
    p.has_max = true;
    p.max_features = 1;
    refused(p, "exceeds max_features = 1");
    p = {};
    p.vocabulary = {};
    refused(p, "the vocabulary is empty");
    p = {};
    p.vocabulary = {"cd", "ab"};
    refused(p, "terms 0 and 1 are not in strictly increasing order");
    p = {};
    p.vocabulary = {"ab", "ab"};
    refused(p, "not in strictly increasing order");
    p = {};
    p.vocabulary = {"", "ab"};
    refused(p, "term 0 is empty");
    p = {};
    p.vocabulary = {"ab", "c\xFF"};
    refused(p, "document 1: invalid UTF-8 at byte offset 1");
    p = {};
    p.extra = true;
    refused(p, "1 payload bytes left undecoded");
}

// ---------------------------------------------------------------------------------------------
// hashing_vectorizer

TEST_CASE("murmurhash3_x86_32: published test vectors") {
    // Known MurmurHash3_x86_32 results, also given by scikit-learn's
    //     from sklearn.utils import murmurhash3_32; hex(murmurhash3_32(b"...", seed, positive=True))
    using tessera::murmurhash3_x86_32;
    CHECK(murmurhash3_x86_32("", 0) == 0u);
    CHECK(murmurhash3_x86_32("", 1) == 0x514E28B7u);
    CHECK(murmurhash3_x86_32("", 0xFFFFFFFFu) == 0x81F16F39u);
    CHECK(murmurhash3_x86_32(std::string_view("\0\0\0\0", 4), 0) == 0x2362F9DEu);
    CHECK(murmurhash3_x86_32("aaaa", 0x9747B28Cu) == 0x5A97808Au);
    CHECK(murmurhash3_x86_32("Hello, world!", 0x9747B28Cu) == 0x24884CBAu);
    CHECK(murmurhash3_x86_32("Hello, world!", 0) == 0xC0363E43u);
    CHECK(murmurhash3_x86_32("The quick brown fox jumps over the lazy dog", 0x9747B28Cu) == 0x2FA826CDu);
    CHECK(murmurhash3_x86_32("The quick brown fox jumps over the lazy dog", 0) == 0x2E4FF723u);
    CHECK(murmurhash3_x86_32("a") == 0x3C2569B2u);
    CHECK(murmurhash3_x86_32("ab") == 0x9BBFD75Fu);
    CHECK(murmurhash3_x86_32("abc") == 0xB3DD93FAu);
    CHECK(murmurhash3_x86_32("£ü’") == 0xF9505993u);  // bytes above 0x7F are unsigned
    static_assert(tessera::murmurhash3_x86_32("") == 0);
}

TEST_CASE("hashing_vectorizer: columns and signs") {
    // scikit-learn: murmurhash3_32('aa', 0) = 923832745, 'cc' -> -258643958, 'ff' -> 138150050.
    CHECK(tessera::hash_feature("aa", 4).column == 923832745 % 4);
    CHECK(tessera::hash_feature("aa", 4).sign == 1);
    CHECK(tessera::hash_feature("cc", 1024).column == 258643958 % 1024);
    CHECK(tessera::hash_feature("cc", 1024).sign == -1);
    // INT32_MIN, whose absolute value overflows, goes to (2^31 - 1 - (n - 1)) mod n, the same as
    // |INT32_MIN| mod n for a power of two n.
    using tessera::detail::hashed_column;
    for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{16}, std::size_t{1} << 20, std::size_t{1} << 30}) {
        CAPTURE(n);
        CHECK(hashed_column(std::numeric_limits<std::int32_t>::min(), n).column == (2147483647u - (n - 1)) % n);
        CHECK(hashed_column(std::numeric_limits<std::int32_t>::min(), n).column == (std::size_t{1} << 31) % n);
        CHECK(hashed_column(std::numeric_limits<std::int32_t>::min(), n).sign == -1);
        CHECK(hashed_column(-5, n).column == 5 % n);
        CHECK(hashed_column(std::numeric_limits<std::int32_t>::max(), n).column == 2147483647u % n);
        CHECK(hashed_column(0, n).sign == 1);
    }
    CHECK(hashed_column(std::numeric_limits<std::int32_t>::min(), 3).column == (2147483647u - 2) % 3);
}

TEST_CASE("hashing_vectorizer: scikit-learn's HashingVectorizer, exactly") {
    const strings docs{"The quick brown fox jumps over the lazy dog the", "£5 Ünïcode café’s CAFÉ naïve", ""};
    using entries = std::vector<std::pair<std::int32_t, double>>;
    const auto row_of = [](const auto& m, std::size_t i) {
        entries e;
        const auto r = m.row(i);
        for (std::size_t k = 0; k < r.size(); ++k) e.emplace_back(r.indices[k], static_cast<double>(r.values[k]));
        return e;
    };
    const auto check_rows = [&](const auto& m, const std::vector<entries>& want) {
        REQUIRE(m.rows() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            CAPTURE(i);
            const auto got = row_of(m, i);
            REQUIRE(got.size() == want[i].size());
            for (std::size_t k = 0; k < got.size(); ++k) {
                CHECK(got[k].first == want[i][k].first);
                CHECK(got[k].second == doctest::Approx(want[i][k].second).epsilon(1e-15));
            }
        }
    };
    // /usr/bin/python3 -c "from sklearn.feature_extraction.text import HashingVectorizer as H;
    //     X = H(n_features=16).transform(docs); print(X[i].indices, X[i].data)"  (scikit-learn 1.2.1)
    {
        const auto x = tessera::hashing_vectorizer<>({.bits = 4}).transform(docs);
        CHECK(x.cols() == 16);
        check_rows(x, {{{0, 0.23570226039551587},
                        {5, -0.23570226039551587},
                        {7, -0.47140452079103173},
                        {9, 0.23570226039551587},
                        {11, 0.23570226039551587},
                        {13, 0.23570226039551587},
                        {14, -0.7071067811865476}},
                       {{4, -0.4082482904638631}, {5, 0.4082482904638631}, {8, 0.8164965809277261}},
                       {}});
    }
    // H(n_features=16, alternate_sign=False, norm='l1')
    check_rows(tessera::hashing_vectorizer<>({.bits = 4, .alternate_sign = false, .norm = norm_kind::l1}).transform(docs),
               {{{0, 0.1}, {5, 0.1}, {7, 0.2}, {9, 0.1}, {11, 0.1}, {13, 0.1}, {14, 0.3}},
                {{4, 0.25}, {5, 0.25}, {8, 0.5}},
                {}});
    // H(n_features=2**20, norm=None, ngram_range=(1, 2))
    check_rows(tessera::hashing_vectorizer<>({.tokens = {.ngram_max = 2}, .norm = norm_kind::none}).transform(docs),
               {{{166066, 1}, {168469, 1}, {237056, 1}, {255001, -1}, {286878, -3}, {307614, 1}, {368702, -1}, {420794, -1},
                 {550107, 1}, {587725, 1}, {603831, -1}, {608041, -1}, {672566, -1}, {768919, -1}, {771785, -1},
                 {795081, 1}, {980517, -1}},
                {{95652, -1}, {147479, 1}, {558549, 1}, {718930, -1}, {764945, -1}, {790280, 2}},
                {}});
    // Cancelled entries are kept as stored zeros, and binary makes every stored entry 1:
    // H(n_features=2, norm=None[, binary=True]).transform(["cc ff", "aa cc ff"]) gives indptr
    // [0, 1, 3], indices [0, 0, 1], data [0, 0, 1] ([1, 1, 1] with binary); the l2 norm leaves
    // the zero row alone.
    const strings cancel{"cc ff", "aa cc ff"};
    check_rows(tessera::hashing_vectorizer<>({.bits = 1, .norm = norm_kind::none}).transform(cancel), {{{0, 0}}, {{0, 0}, {1, 1}}});
    check_rows(tessera::hashing_vectorizer<>({.bits = 1, .norm = norm_kind::none, .binary = true}).transform(cancel),
               {{{0, 1}}, {{0, 1}, {1, 1}}});
    check_rows(tessera::hashing_vectorizer<>({.bits = 1}).transform(cancel), {{{0, 0}}, {{0, 0}, {1, 1}}});
    // H(n_features=4, norm=None).transform(["aa bb cc dd ee ff gg hh"]): [-2, 1, -1, 2]
    check_rows(tessera::hashing_vectorizer<float>({.bits = 2, .norm = norm_kind::none}).transform(strings{"aa bb cc dd ee ff gg hh"}),
               {{{0, -2}, {1, 1}, {2, -1}, {3, 2}}});
}

TEST_CASE("hashing_vectorizer: save and load keep the options") {
    const strings docs{"Free entry in 2 a wkly comp to win FA Cup", "Nah I don't think he goes to usf", ""};
    const tessera::hashing_vectorizer<float> hv(
        {.tokens = {.ngram_max = 2}, .bits = 12, .alternate_sign = false, .norm = norm_kind::l1, .binary = true});
    const auto bytes = archive_bytes(hv);
    const auto back = from_bytes<tessera::hashing_vectorizer<float>>(bytes);
    CHECK(back.n_features() == 4096);
    CHECK(back.options().tokens.ngram_max == 2);
    CHECK(back.options().norm == norm_kind::l1);
    CHECK(back.transform(docs) == hv.transform(docs));
    check_corruption<tessera::hashing_vectorizer<float>>(bytes);

    const fs::path file = temp_file("hashing");
    hv.save(file);
    CHECK(tessera::hashing_vectorizer<float>::load(file).transform(docs) == hv.transform(docs));
    fs::remove(file);
    // Another value type is another archive.
    CHECK_THROWS_AS((void)from_bytes<tessera::hashing_vectorizer<double>>(bytes), tessera::format_error);

    // Options that the constructor refuses are a corrupt archive.
    for (const std::uint32_t bits : {0u, 31u}) {
        tessera::archive_writer w(tessera::hashing_vectorizer<float>::header());
        tessera::tokenizer().write_to(w);
        w.write<std::uint32_t>(bits);
        w.write<bool>(true);
        w.write<std::uint8_t>(2);
        w.write<bool>(false);
        CHECK_THROWS_WITH_AS((void)from_bytes<tessera::hashing_vectorizer<float>>(w.bytes()), doctest::Contains("options.bits"),
                             tessera::format_error);
    }
    {
        tessera::archive_writer w(tessera::hashing_vectorizer<float>::header());
        tessera::tokenizer().write_to(w);
        w.write<std::uint32_t>(10);
        w.write<bool>(true);
        w.write<std::uint8_t>(7);
        w.write<bool>(false);
        CHECK_THROWS_WITH_AS((void)from_bytes<tessera::hashing_vectorizer<float>>(w.bytes()), doctest::Contains("unknown norm 7"),
                             tessera::format_error);
    }
    // A user token rule cannot be saved.
    const tessera::hashing_vectorizer<> custom(
        {.tokens = {.custom = [](std::string_view d, const std::function<void(std::string_view)>& emit) { emit(d); }}});
    tessera::archive_writer w(tessera::hashing_vectorizer<>::header());
    CHECK_THROWS_AS(custom.write_to(w), tessera::invalid_argument);
}

TEST_CASE("hashing_vectorizer: a naive reference, options and errors") {
    const strings docs{"Had your mobile 11 months or more? U R entitled to Update", "Ok lar... Joking wif u oni...",
                       "had had HAD your your", "x"};
    for (const unsigned bits : {1u, 3u, 8u, 20u}) {
        for (const bool alternate : {true, false}) {
            for (const norm_kind norm : {norm_kind::none, norm_kind::l1, norm_kind::l2}) {
                CAPTURE(bits);
                CAPTURE(alternate);
                const std::size_t n = std::size_t{1} << bits;
                const tessera::hashing_vectorizer<> hv({.bits = bits, .alternate_sign = alternate, .norm = norm});
                CHECK(hv.n_features() == n);
                const auto x = hv.transform(docs);
                REQUIRE(x.rows() == docs.size());
                CHECK(x.cols() == n);
                for (std::size_t i = 0; i < docs.size(); ++i) {
                    std::map<std::size_t, double> row;  // stored entries, cancelled ones included
                    for (const auto& t : naive_tokens(docs[i])) {
                        const auto h = static_cast<std::int32_t>(tessera::murmurhash3_x86_32(t));
                        const std::size_t c = static_cast<std::size_t>(std::abs(static_cast<std::int64_t>(h))) % n;
                        row[c] += alternate && h < 0 ? -1.0 : 1.0;
                    }
                    double total = 0;
                    for (const auto& [c, v] : row) total += norm == norm_kind::l1 ? std::fabs(v) : v * v;
                    if (norm == norm_kind::l2) total = std::sqrt(total);
                    if (norm == norm_kind::none || total == 0) total = 1;
                    const auto r = x.row(i);
                    REQUIRE(r.size() == row.size());
                    std::size_t k = 0;
                    for (const auto& [c, v] : row) {
                        CHECK(static_cast<std::size_t>(r.indices[k]) == c);
                        CHECK(r.values[k] == doctest::Approx(v / total).epsilon(1e-14));
                        ++k;
                    }
                }
            }
        }
    }
    using o = tessera::hashing_vectorizer_options;
    CHECK_THROWS_WITH_AS(tessera::hashing_vectorizer<>(o{.bits = 0}),
                         "tessera::hashing_vectorizer: argument 'options.bits': must lie in [1, 30], got 0",
                         tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::hashing_vectorizer<>(o{.bits = 31}), tessera::invalid_argument);
    CHECK_NOTHROW(tessera::hashing_vectorizer<>(o{.bits = 30}));
    CHECK_NOTHROW((tessera::hashing_vectorizer<double, std::int16_t>(o{.bits = 14})));
    CHECK_THROWS_WITH_AS((tessera::hashing_vectorizer<double, std::int16_t>(o{.bits = 15})),
                         doctest::Contains("2^15 columns do not fit the index type"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::hashing_vectorizer<>(o{.norm = static_cast<norm_kind>(3)}),
                         doctest::Contains("'options.norm': is not a norm_kind value (3)"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(tessera::hashing_vectorizer<>(o{.tokens = {.min_token_length = 0}}),
                         doctest::Contains("'options.tokens.min_token_length'"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)tessera::hashing_vectorizer<>().transform(strings{"fine", "\xED\xA0\x80"}),
                         doctest::Contains("hashing_vectorizer::transform: argument 'docs': document 1: invalid UTF-8 at byte offset 0"),
                         tessera::invalid_argument);
    CHECK(tessera::hashing_vectorizer<>().transform(strings{}).rows() == 0);
}

// ---------------------------------------------------------------------------------------------
// tf-idf

TEST_CASE("tfidf_transformer: the definition, for every option") {
    const dense counts{{3, 0, 1, 0, 0}, {2, 0, 0, 1, 0}, {3, 0, 0, 0, 2}, {4, 0, 0, 0, 0}, {3, 2, 0, 0, 0}, {0, 0, 0, 0, 0}, {3, 0, 2, 0, 5}};
    std::vector<tessera::triplet<double>> entries;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        for (std::size_t j = 0; j < counts[i].size(); ++j) {
            if (counts[i][j] != 0) entries.push_back({static_cast<std::int32_t>(i), static_cast<std::int32_t>(j), counts[i][j]});
        }
    }
    const auto x = tessera::csr_matrix<double>::from_triplets(counts.size(), 5, entries);
    for (const norm_kind norm : {norm_kind::none, norm_kind::l1, norm_kind::l2}) {
        for (const bool use_idf : {true, false}) {
            for (const bool smooth : {true, false}) {
                for (const bool sublinear : {true, false}) {
                    const tessera::tfidf_options o{.norm = norm, .use_idf = use_idf, .smooth_idf = smooth, .sublinear_tf = sublinear};
                    CAPTURE(static_cast<int>(norm));
                    CAPTURE(use_idf);
                    CAPTURE(smooth);
                    CAPTURE(sublinear);
                    tessera::tfidf_transformer<> t(o);
                    const auto w = t.fit_transform(x);
                    check_close(to_dense(w), ref_tfidf(counts, o));
                    CHECK(w.row(5).empty());
                    CHECK(t.idf().size() == (use_idf ? 5u : 0u));
                    CHECK(t.n_features() == 5);
                    CHECK(t.transform(x) == w);
                }
            }
        }
    }
    // idf by hand: n = 7; column 0 has df 6, column 1 df 1.
    tessera::tfidf_transformer<> t;
    t.fit(x);
    CHECK(t.idf()[0] == doctest::Approx(std::log(8.0 / 7.0) + 1));
    CHECK(t.idf()[1] == doctest::Approx(std::log(8.0 / 2.0) + 1));
    tessera::tfidf_transformer<> raw({.smooth_idf = false});
    raw.fit(x);
    CHECK(raw.idf()[0] == doctest::Approx(std::log(7.0 / 6.0) + 1));
    CHECK(raw.idf()[1] == doctest::Approx(std::log(7.0) + 1));

    // Stored zeros are dropped and do not count towards df; float values work.
    const auto z = tessera::csr_matrix<float>::from_triplets(2, 2, std::vector<tessera::triplet<float>>{{0, 0, 0.0f}, {0, 1, 2.0f}, {1, 1, 1.0f}});
    tessera::tfidf_transformer<float> tf({.norm = norm_kind::none});
    const auto wz = tf.fit_transform(z);
    CHECK(wz.nnz() == 2);
    CHECK(tf.idf()[0] == doctest::Approx(std::log(3.0) + 1));
    CHECK(wz.values()[0] == doctest::Approx(2.0f));
}

TEST_CASE("tfidf_transformer: bad input") {
    tessera::tfidf_transformer<> t;
    const auto ok = tessera::csr_matrix<double>::from_triplets(2, 3, std::vector<tessera::triplet<double>>{{0, 0, 1}, {1, 2, 2}});
    CHECK_THROWS_WITH_AS((void)t.transform(ok), "tessera::tfidf_transformer::transform: the model is not fitted; call fit() first",
                         tessera::not_fitted_error);
    CHECK_THROWS_AS(t.save(temp_file("unfitted_tfidf")), tessera::not_fitted_error);
    CHECK_THROWS_WITH_AS(t.fit(tessera::csr_matrix<double>(0, 3)), doctest::Contains("is empty (0 x 3)"), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(t.fit(tessera::csr_matrix<double>(2, 0)), doctest::Contains("is empty (2 x 0)"), tessera::invalid_argument);
    const auto negative = tessera::csr_matrix<double>::from_triplets(2, 3, std::vector<tessera::triplet<double>>{{0, 0, 1}, {1, 2, -2}});
    CHECK_THROWS_WITH_AS(t.fit(negative), doctest::Contains("holds -2.000000 at row 1, column 2: counts must be finite and non-negative"),
                         tessera::invalid_argument);
    const auto nan = tessera::csr_matrix<double>::from_triplets(1, 1, std::vector<tessera::triplet<double>>{{0, 0, std::nan("")}});
    CHECK_THROWS_AS(t.fit(nan), tessera::invalid_argument);
    CHECK_FALSE(t.fitted());
    // A column without counts: fine with smoothing, an error without.
    CHECK_NOTHROW(t.fit(ok));
    CHECK(t.idf()[1] == doctest::Approx(std::log(3.0) + 1));
    tessera::tfidf_transformer<> raw({.smooth_idf = false});
    CHECK_THROWS_WITH_AS(raw.fit(ok), doctest::Contains("column 1 has no positive count; with smooth_idf = false"),
                         tessera::invalid_argument);
    CHECK_FALSE(raw.fitted());
    CHECK_THROWS_AS((void)t.transform(negative), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)t.transform(tessera::csr_matrix<double>(1, 4)),
                         doctest::Contains("has 4 columns, the transformer was fitted on 3"), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS(tessera::tfidf_transformer<>({.norm = static_cast<norm_kind>(9)}), doctest::Contains("not a norm_kind value (9)"),
                         tessera::invalid_argument);
}

TEST_CASE("tfidf_transformer: save and load") {
    const auto x = tessera::csr_matrix<double>::from_triplets(3, 3, std::vector<tessera::triplet<double>>{{0, 0, 1}, {1, 2, 2}, {2, 0, 3}, {2, 1, 1}});
    for (const bool use_idf : {true, false}) {
        tessera::tfidf_transformer<> t({.norm = norm_kind::l1, .use_idf = use_idf, .sublinear_tf = true});
        const auto w = t.fit_transform(x);
        const auto bytes = archive_bytes(t);
        const auto back = from_bytes<tessera::tfidf_transformer<>>(bytes);
        CHECK(back.transform(x) == w);
        CHECK(back.options().norm == norm_kind::l1);
        CHECK(back.options().sublinear_tf);
        CHECK(back.options().use_idf == use_idf);
        check_corruption<tessera::tfidf_transformer<>>(bytes);
    }
    tessera::tfidf_transformer<> t;
    t.fit(x);
    const fs::path file = temp_file("tfidf_transformer");
    t.save(file);
    CHECK(tessera::tfidf_transformer<>::load(file).transform(x) == t.transform(x));
    fs::remove(file);

    // Valid checksums, inconsistent contents.
    const auto payload = [](std::uint8_t norm, bool use_idf, std::uint64_t n, std::vector<double> idf) {
        tessera::archive_writer w(tessera::tfidf_transformer<>::header());
        w.write<std::uint8_t>(norm);
        w.write<bool>(use_idf);
        w.write<bool>(true);
        w.write<bool>(false);
        w.write<std::uint64_t>(n);
        w.write_span(std::span<const double>(idf));
        return w.bytes();
    };
    const auto refused = [&](const std::vector<std::byte>& b, const char* why) {
        CAPTURE(why);
        CHECK_THROWS_WITH_AS((void)from_bytes<tessera::tfidf_transformer<>>(b), doctest::Contains(why), tessera::format_error);
    };
    CHECK_NOTHROW((void)from_bytes<tessera::tfidf_transformer<>>(payload(2, true, 2, {1.0, 2.5})));
    refused(payload(3, true, 2, {1.0, 2.5}), "unknown norm 3");
    refused(payload(2, true, 0, {}), "n_features is 0");
    refused(payload(2, true, std::uint64_t{1} << 40, {1.0}), "outside [1, the index type's maximum]");
    refused(payload(2, true, 3, {1.0, 2.5}), "the idf has 2 entries, expected 3");
    refused(payload(2, false, 2, {1.0, 2.5}), "the idf has 2 entries, expected 0");
    refused(payload(2, true, 2, {1.0, 0.5}), "idf[1] = 0.500000 is not a finite value >= 1");
    refused(payload(2, true, 2, {std::numeric_limits<double>::infinity(), 1.0}), "idf[0]");
}

TEST_CASE("tfidf_vectorizer: scikit-learn's TfidfVectorizer") {
    const strings docs{"the cat sat on the mat", "the dog sat", "cats and dogs and the cat"};
    const strings vocabulary{"and", "cat", "cats", "dog", "dogs", "mat", "on", "sat", "the"};
    // /usr/bin/python3 -c "from sklearn.feature_extraction.text import TfidfVectorizer as T;
    //     v = T(); X = v.fit_transform(docs); print(v.idf_, X.toarray())"  (scikit-learn 1.2.1)
    {
        tessera::tfidf_vectorizer<> tv;
        const auto x = tv.fit_transform(docs);
        CHECK(strings(tv.feature_names().begin(), tv.feature_names().end()) == vocabulary);
        const std::vector<double> idf{1.6931471805599454, 1.2876820724517808, 1.6931471805599454, 1.6931471805599454, 1.6931471805599454,
                                      1.6931471805599454, 1.6931471805599454, 1.2876820724517808, 1.0};
        for (std::size_t j = 0; j < idf.size(); ++j) CHECK(tv.idf()[j] == doctest::Approx(idf[j]).epsilon(1e-15));
        check_close(to_dense(x), {{0, 0.356457401476207, 0, 0, 0, 0.4686986463592043, 0.4686986463592043, 0.356457401476207, 0.5536419417527537},
                                  {0, 0, 0, 0.7203334490549893, 0, 0, 0, 0.5478321549274363, 0.4254405389711991},
                                  {0.7598892328631482, 0.28895767404089806, 0.3799446164315741, 0, 0.3799446164315741, 0, 0, 0, 0.22440141104916914}},
                    1e-15);
        CHECK(tv.transform(docs) == x);
        CHECK(tv.column_of("dogs") == 4);
        CHECK(tv.feature_name(8) == "the");
        CHECK(tv.vocabulary_size() == 9);
        // The composition, by hand.
        tessera::count_vectorizer<> cv;
        tessera::tfidf_transformer<> tt;
        CHECK(tt.fit_transform(cv.fit_transform(docs)) == x);
    }
    // T(sublinear_tf=True, smooth_idf=False, norm='l1')
    {
        tessera::tfidf_vectorizer<> tv({.tfidf = {.norm = norm_kind::l1, .smooth_idf = false, .sublinear_tf = true}});
        const auto x = tv.fit_transform(docs);
        CHECK(tv.idf()[0] == doctest::Approx(2.09861228866811).epsilon(1e-15));
        CHECK(tv.idf()[1] == doctest::Approx(1.4054651081081644).epsilon(1e-15));
        check_close(to_dense(x), {{0, 0.16152354122286594, 0, 0, 0, 0.2411837096231983, 0.2411837096231983, 0.16152354122286594, 0.19458549830787145},
                                  {0, 0, 0, 0.46593610717483674, 0, 0, 0, 0.3120428412518188, 0.2220210515733444},
                                  {0.3498697582950081, 0.1383883559538806, 0.2066387153533231, 0, 0.2066387153533231, 0, 0, 0, 0.09846445504446509}},
                    1e-15);
    }
}

TEST_CASE("tfidf_vectorizer: errors, save and load") {
    const strings docs{"alpha beta beta", "beta gamma", "delta"};
    tessera::tfidf_vectorizer<float> tv({.counts = {.tokens = {.ngram_max = 2}, .max_features = 5}, .tfidf = {.sublinear_tf = true}});
    CHECK_THROWS_AS((void)tv.transform(docs), tessera::not_fitted_error);
    CHECK_THROWS_AS(tv.save(temp_file("unfitted_tv")), tessera::not_fitted_error);
    const auto x = tv.fit_transform(docs);
    CHECK(x.cols() == 5);
    CHECK(tv.options().counts.max_features == 5);
    CHECK(tv.options().tfidf.sublinear_tf);
    // A failed fit leaves it as it was.
    CHECK_THROWS_AS(tv.fit(strings{}), tessera::invalid_argument);
    CHECK_THROWS_AS(tv.fit(strings{"ok", "\xC3"}), tessera::invalid_argument);
    CHECK(tv.transform(docs) == x);

    const auto bytes = archive_bytes(tv);
    const auto back = from_bytes<tessera::tfidf_vectorizer<float>>(bytes);
    CHECK(back.transform(docs) == x);
    CHECK(strings(back.feature_names().begin(), back.feature_names().end()) == strings(tv.feature_names().begin(), tv.feature_names().end()));
    check_corruption<tessera::tfidf_vectorizer<float>>(bytes);
    const fs::path file = temp_file("tfidf_vectorizer");
    tv.save(file);
    CHECK(tessera::tfidf_vectorizer<float>::load(file).transform(docs) == x);
    CHECK_THROWS_AS((void)tessera::tfidf_vectorizer<>::load(file), tessera::format_error);
    CHECK_THROWS_AS((void)tessera::count_vectorizer<float>::load(file), tessera::format_error);
    fs::remove(file);

    // Parts that disagree, or a part with trailing bytes.
    using tvf = tessera::tfidf_vectorizer<float>;
    tessera::count_vectorizer<float> small;
    (void)small.fit(strings{"aa bb"});
    tessera::tfidf_transformer<float> three;
    three.fit(tessera::csr_matrix<float>::from_triplets(1, 3, std::vector<tessera::triplet<float>>{{0, 0, 1.0f}}));
    {
        tessera::archive_writer w(tvf::header());
        w.write_bytes(archive_bytes(small));
        w.write_bytes(archive_bytes(three));
        CHECK_THROWS_WITH_AS((void)from_bytes<tvf>(w.bytes()), doctest::Contains("the tf-idf part has 3 columns for a vocabulary of 2 terms"),
                             tessera::format_error);
    }
    {
        tessera::archive_writer w(tvf::header());
        auto part = archive_bytes(small);
        part.push_back(std::byte{0});
        w.write_bytes(part);
        w.write_bytes(archive_bytes(three));
        CHECK_THROWS_WITH_AS((void)from_bytes<tvf>(w.bytes()), doctest::Contains("tfidf_vectorizer.counts: the part has bytes after its archive"),
                             tessera::format_error);
    }
    {
        tessera::archive_writer w(tvf::header());
        w.write_bytes(archive_bytes(three));
        w.write_bytes(archive_bytes(small));
        CHECK_THROWS_WITH_AS((void)from_bytes<tvf>(w.bytes()), doctest::Contains("tfidf_vectorizer.counts"), tessera::format_error);
    }
    CHECK_THROWS_AS(tvf({.tfidf = {.norm = static_cast<norm_kind>(4)}}), tessera::invalid_argument);
    CHECK_THROWS_AS(tvf({.counts = {.max_features = 0}}), tessera::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Real data

TEST_CASE("data: SMS Spam Collection through CountVectorizer, HashingVectorizer and TfidfVectorizer") {
    const auto dir = tessera_test::data_dir("SMS Spam Collection vectorizer check");
    if (!dir) return;
    const auto file = tessera_test::need(*dir / "sms-spam-collection" / "SMSSpamCollection");
    const auto data = tessera::read_labeled_text(file);
    REQUIRE(data.texts.size() == 5574);

    // scikit-learn 1.2.1 reference:
    //   /usr/bin/python3 -c "
    //   from sklearn.feature_extraction.text import CountVectorizer
    //   from sklearn.utils import murmurhash3_32
    //   texts = [l.split('\t', 1)[1].rstrip('\n') for l in open('SMSSpamCollection', encoding='utf-8') if l.strip()]
    //   cv = CountVectorizer().fit(texts); X = cv.transform(texts); v = cv.get_feature_names_out().tolist()
    //   print(len(v), X.nnz, X.sum(), hex(murmurhash3_32('\n'.join(v).encode(), 0, positive=True)))
    //   print([t for t in v if any(ord(c) > 127 for c in t)])"
    // prints 8713 74169 80452 0x59876748 and ['nìte', 'èn', 'ú1', '〨ud'].
    tessera::count_vectorizer<> cv;
    const auto x = cv.fit_transform(data.texts);
    CHECK(x.rows() == 5574);
    CHECK(cv.vocabulary_size() == 8713);
    CHECK(x.nnz() == 74169);
    double sum = 0;
    for (const double v : x.values()) sum += v;
    CHECK(sum == 80452);
    std::string joined;
    for (const auto& t : cv.feature_names()) {
        if (!joined.empty()) joined += '\n';
        joined += t;
    }
    CHECK(tessera::murmurhash3_x86_32(joined) == 0x59876748u);
    for (const char* t : {"nìte", "èn", "ú1", "〨ud"}) {
        CAPTURE(t);
        CHECK(cv.column_of(t).has_value());
    }
    CHECK_FALSE(cv.column_of("£").has_value());

    // CountVectorizer(ngram_range=(1, 2), min_df=2): 14993 terms, nnz 112825, sum 119618 (same
    // command, printing len(cv.vocabulary_), X.nnz, X.sum()).
    tessera::count_vectorizer<float> bigrams({.tokens = {.ngram_max = 2}, .min_df = df_count(2)});
    const auto xb = bigrams.fit_transform(data.texts);
    CHECK(bigrams.vocabulary_size() == 14993);
    CHECK(xb.nnz() == 112825);
    double sum_b = 0;
    for (const float v : xb.values()) sum_b += v;
    CHECK(sum_b == 119618);

    // Every row is the recount of the tokenizer's tokens.
    const tessera::tokenizer tok;
    bool rows_match = true;
    for (std::size_t i = 0; i < data.texts.size(); ++i) {
        std::map<std::size_t, double> counts;
        for (const auto& t : tok.tokens(data.texts[i])) counts[*cv.column_of(t)] += 1;
        const auto r = x.row(i);
        bool same = r.size() == counts.size();
        std::size_t k = 0;
        for (const auto& [c, n] : counts) {
            if (!same) break;
            same = static_cast<std::size_t>(r.indices[k]) == c && r.values[k] == n;
            ++k;
        }
        if (!same) {
            MESSAGE("row " << i << " differs from the recount: " << data.texts[i]);
            rows_match = false;
        }
    }
    CHECK(rows_match);

    // Hashing and tf-idf rows are unit vectors (or empty).
    const auto h = tessera::hashing_vectorizer<>().transform(data.texts);
    const auto w = tessera::tfidf_vectorizer<>().fit_transform(data.texts);
    std::size_t bad_norms = 0;
    for (const auto* m : {&h, &w}) {
        for (std::size_t i = 0; i < m->rows(); ++i) {
            double s = 0;
            for (const double v : m->row(i).values) s += v * v;
            if (!m->row(i).empty() && std::fabs(s - 1) > 1e-12) ++bad_norms;
        }
    }
    CHECK(bad_norms == 0);
    CHECK(h.rows() == 5574);
    CHECK(w.cols() == 8713);
}
