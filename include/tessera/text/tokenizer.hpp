/// \file
/// tessera/text/tokenizer.hpp - splitting UTF-8 documents into tokens and word n-grams, the way
/// scikit-learn's CountVectorizer analyzer does by default.
///
/// ```cpp
///   tessera::tokenizer tok({.ngram_max = 2});
///   tok.tokens("Free entry in 2 a wkly comp");
///   // {"free", "entry", "in", "wkly", "comp", "free entry", "entry in", "in wkly", "wkly comp"}
/// ```
///
/// A document is lowercased (when options.lowercase), then split by the token rule, then
/// turned into n-grams: all unigrams in document order, then all bigrams, and so on, an n-gram
/// being its tokens joined by one space. This is scikit-learn's analyzer='word' pipeline
/// (preprocess, tokenize, _word_ngrams), so the tokens and their order are the same.
///
/// Token rules:
/// ```
///   word        maximal runs of word characters, kept when they hold at least
///               min_token_length characters (code points). With the default 2 this is
///               scikit-learn's token_pattern r"(?u)\b\w\w+\b". Word characters are Python
///               3.11's \w: str.isalnum() or '_', i.e. letters (L*), digits and other numeric
///               characters (Nd, Nl, No: '²', '½', U+3028) and the underscore, over Unicode
///               14.0.0 (a generated table of 734 ranges, text/detail/unicode_tables.hpp).
///               Not word characters: punctuation and symbols ('£', '’', '…', '┾'), controls
///               (U+0080-U+009F), spaces, and combining marks (Mn, Mc: Python's \w excludes
///               them too, so they split words in scripts such as Devanagari).
///   whitespace  maximal runs of characters that are not Python whitespace (str.isspace():
///               \t \n \v \f \r, U+001C-U+0020, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
///               U+2029, U+202F, U+205F, U+3000): str.split(). Every run is a token, whatever
///               its length.
///   custom      a user function called with the (lowercased) document and an emit function;
///               every string it emits is a token. It replaces `rule` and cannot be saved.
/// ```
///
/// Lowercasing is Python 3.11's str.lower(): the full simple lowercase mapping of Unicode
/// 14.0.0 (ASCII, Latin-1, Latin Extended, Greek, Cyrillic, Armenian, Georgian, Cherokee,
/// fullwidth, Deseret...), U+0130 'İ' to "i" + U+0307, and a capital sigma to a final sigma
/// 'ς' at the end of a word. The final-sigma context uses Unicode's Cased property exactly and
/// its Case_Ignorable property only below U+0800 and in U+2000-U+206F (elsewhere a character
/// counts as not ignorable): in practice identical to Python.
///
/// Documents must be valid UTF-8 (RFC 3629). Anything else (a stray continuation byte, a lead
/// byte 0xC0, 0xC1 or 0xF5-0xFF, a truncated sequence, an overlong form, a surrogate, a code point
/// above U+10FFFF) throws tessera::invalid_argument naming the byte offset. A token never splits
/// a multi-byte sequence.
///
/// Thread safety: a tokenizer is immutable after construction; every member function may be
/// called concurrently (a custom rule must then be safe to call concurrently).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/error.hpp"
#include "tessera/text/detail/unicode.hpp"

namespace tessera {

/// The built-in token rules (see the header comment).
enum class token_rule : std::uint8_t {
    word = 0,        ///< maximal runs of word characters, at least min_token_length of them
    whitespace = 1,  ///< maximal runs of non-whitespace characters
};

/// A user token rule: called with the (lowercased) document, it calls `emit` once per token,
/// in order. The emitted views need only live until `emit` returns.
using token_function =
    std::function<void(std::string_view doc, const std::function<void(std::string_view token)>& emit)>;

/// How a tokenizer splits documents; validated by the tokenizer's constructor.
struct tokenizer_options {
    /// Lowercase the document (Python's str.lower()) before splitting it.
    bool lowercase = true;
    /// The built-in rule, unless `custom` is set.
    token_rule rule = token_rule::word;
    /// Fewest characters (code points) in a token of the word rule: at least 1. Ignored by the
    /// whitespace and custom rules.
    std::size_t min_token_length = 2;
    /// The n-gram lengths produced: 1 <= ngram_min <= ngram_max. (1, 1): single tokens only.
    std::size_t ngram_min = 1;
    std::size_t ngram_max = 1;  ///< the longest n-gram produced (see ngram_min)
    /// A user rule replacing `rule` when set. A tokenizer with one cannot be saved.
    token_function custom = {};
};

class tokenizer;

namespace detail {
/// \cond

/// Buffers reused across documents by the vectorizers (one per calling thread).
struct token_scratch {
    std::string lowered;
    std::vector<std::string_view> tokens;
    std::vector<std::string> owned;
    std::string joined;
};

template <class F>
void tokenize_document(const tokenizer_options& o, std::string_view doc, F& f, const unicode::text_site& site,
                       token_scratch& scratch);

/// \endcond
}  // namespace detail

/// Splits documents into tokens and n-grams (see the header comment).
///
/// Complexity: O(bytes of the document) for the tokens, plus O(tokens * (ngram_max -
/// ngram_min + 1) * ngram_max) for longer n-grams; each non-ASCII character costs a binary
/// search in the character table. Memory: a lowercased copy of the document, and the tokens'
/// views when ngram_max > 1.
/// Exceptions: tessera::invalid_argument for bad options (constructor) and invalid UTF-8;
/// whatever a custom rule or the callback throws propagates.
/// Thread safety: see the header comment.
class tokenizer {
public:
    /// Throws tessera::invalid_argument if min_token_length is 0, ngram_min is 0, ngram_max
    /// is less than ngram_min, or the rule is not a token_rule value.
    explicit tokenizer(tokenizer_options options = {}) : options_(std::move(options)) { validate(options_); }

    /// Calls f(std::string_view token) for every token and n-gram of `doc`, in scikit-learn's
    /// order (all unigrams, then all bigrams, ...). The view is valid only during the call.
    /// Throws tessera::invalid_argument naming the byte offset if `doc` is not valid UTF-8
    /// (possibly after some tokens were passed to f).
    template <class F>
    void for_each_token(std::string_view doc, F&& f) const {
        detail::token_scratch scratch;
        detail::tokenize_document(options_, doc, f, {"tokenizer::for_each_token", "doc"}, scratch);
    }

    /// The tokens and n-grams of `doc` in order (see for_each_token).
    [[nodiscard]] std::vector<std::string> tokens(std::string_view doc) const {
        std::vector<std::string> out;
        detail::token_scratch scratch;
        auto push = [&](std::string_view t) { out.emplace_back(t); };
        detail::tokenize_document(options_, doc, push, {"tokenizer::tokens", "doc"}, scratch);
        return out;
    }

    /// The options given at construction.
    [[nodiscard]] const tokenizer_options& options() const noexcept { return options_; }

    /// Whether the options can be saved (no custom rule).
    [[nodiscard]] bool saveable() const noexcept { return !options_.custom; }

    /// Writes the options: lowercase, rule, min_token_length, ngram_min, ngram_max. Throws
    /// tessera::invalid_argument if a custom rule is set (a std::function cannot be stored).
    void write_to(archive_writer& w) const {
        if (options_.custom) {
            detail::throw_argument("tokenizer::write_to", "options.custom",
                                   "is a user token function, which cannot be saved: save a tokenizer with "
                                   "token_rule::word or token_rule::whitespace");
        }
        w.write<bool>(options_.lowercase);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.rule));
        w.write<std::uint64_t>(options_.min_token_length);
        w.write<std::uint64_t>(options_.ngram_min);
        w.write<std::uint64_t>(options_.ngram_max);
    }

    /// Reads what write_to wrote; throws tessera::format_error for options a tokenizer rejects.
    [[nodiscard]] static tokenizer read_from(archive_reader& r) {
        tokenizer_options o;
        o.lowercase = r.read<bool>("tokenizer.lowercase");
        const auto rule = r.read<std::uint8_t>("tokenizer.rule");
        o.rule = static_cast<token_rule>(rule);
        const auto min_len = r.read<std::uint64_t>("tokenizer.min_token_length");
        const auto ngram_min = r.read<std::uint64_t>("tokenizer.ngram_min");
        const auto ngram_max = r.read<std::uint64_t>("tokenizer.ngram_max");
        constexpr auto size_max = static_cast<std::uint64_t>(static_cast<std::size_t>(-1));
        if (min_len > size_max || ngram_min > size_max || ngram_max > size_max) {
            r.fail("tokenizer::read_from: a length does not fit std::size_t");
        }
        o.min_token_length = static_cast<std::size_t>(min_len);
        o.ngram_min = static_cast<std::size_t>(ngram_min);
        o.ngram_max = static_cast<std::size_t>(ngram_max);
        try {
            return tokenizer(std::move(o));
        } catch (const tessera::invalid_argument& e) {
            r.fail(std::string("tokenizer::read_from: invalid options: ") + e.what());
        }
    }

private:
    static void validate(const tokenizer_options& o) {
        constexpr std::string_view where = "tokenizer";
        if (o.rule != token_rule::word && o.rule != token_rule::whitespace) {
            detail::throw_argument(where, "options.rule",
                                   "is not a token_rule value (" +
                                       std::to_string(static_cast<unsigned>(o.rule)) + ")");
        }
        detail::require(o.min_token_length >= 1, where, "options.min_token_length", "must be at least 1, got 0");
        detail::require(o.ngram_min >= 1, where, "options.ngram_min", "must be at least 1, got 0");
        if (o.ngram_max < o.ngram_min) {
            detail::throw_argument(where, "options.ngram_max",
                                   "must be at least ngram_min (ngram_min = " + std::to_string(o.ngram_min) +
                                       ", ngram_max = " + std::to_string(o.ngram_max) + ")");
        }
    }

    tokenizer_options options_;
};

namespace detail {
/// \cond

/// A tokenizer for the options.tokens of an `owner` (a vectorizer): its option errors name
/// "options.tokens.<field>" of the owner.
[[nodiscard]] inline tokenizer make_tokenizer(const tokenizer_options& options, std::string_view owner) {
    try {
        return tokenizer(options);
    } catch (const tessera::invalid_argument& e) {
        std::string what = e.what();
        constexpr std::string_view prefix = "tessera::tokenizer: argument 'options.";
        if (what.starts_with(prefix)) {
            what = "tessera::" + std::string(owner) + ": argument 'options.tokens." + what.substr(prefix.size());
        }
        throw tessera::invalid_argument(what);
    }
}

// Calls emit(token) for every token of valid or invalid text `s` under a built-in rule
// (validating it; offsets in errors are offsets in `s`).
template <class Emit>
void split_tokens(std::string_view s, token_rule rule, std::size_t min_length, const unicode::text_site& site,
                  Emit&& emit) {
    const bool word = rule == token_rule::word;
    std::size_t start = 0;
    std::size_t chars = 0;  // characters in the current run (0: not in a run)
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        char32_t c = b;
        std::size_t len = 1;
        if (b >= 0x80u) {
            const auto d = unicode::decode_or_throw(s, i, site);
            c = d.code_point;
            len = d.length;
        }
        const bool inside = word ? unicode::is_word(c) : !unicode::is_space(c);
        if (inside) {
            if (chars == 0) start = i;
            ++chars;
        } else if (chars != 0) {
            if (!word || chars >= min_length) emit(s.substr(start, i - start));
            chars = 0;
        }
        i += len;
    }
    if (chars != 0 && (!word || chars >= min_length)) emit(s.substr(start));
}

template <class F>
void tokenize_document(const tokenizer_options& o, std::string_view doc, F& f, const unicode::text_site& site,
                       token_scratch& scratch) {
    std::string_view text = doc;
    if (o.lowercase) {
        scratch.lowered.clear();
        unicode::append_lowercase(doc, scratch.lowered, site);
        text = scratch.lowered;
    }
    const bool ngrams = o.ngram_max > 1;
    if (o.custom) {
        // Valid UTF-8 is required of every document, whatever the rule.
        if (!o.lowercase) unicode::validate(doc, site);
        if (!ngrams) {
            o.custom(text, [&](std::string_view t) { f(t); });
            return;
        }
        scratch.owned.clear();
        o.custom(text, [&](std::string_view t) { scratch.owned.emplace_back(t); });
        scratch.tokens.assign(scratch.owned.begin(), scratch.owned.end());
    } else if (!ngrams) {
        split_tokens(text, o.rule, o.min_token_length, site, [&](std::string_view t) { f(t); });
        return;
    } else {
        scratch.tokens.clear();
        split_tokens(text, o.rule, o.min_token_length, site,
                     [&](std::string_view t) { scratch.tokens.push_back(t); });
    }
    // scikit-learn's _word_ngrams: the unigrams (when ngram_min is 1), then every n-gram for
    // n = max(ngram_min, 2) .. min(ngram_max, number of tokens), each in document order.
    const auto& tokens = scratch.tokens;
    if (o.ngram_min == 1) {
        for (const std::string_view t : tokens) f(t);
    }
    const std::size_t last = std::min(o.ngram_max, tokens.size());
    for (std::size_t n = std::max<std::size_t>(o.ngram_min, 2); n <= last; ++n) {
        for (std::size_t i = 0; i + n <= tokens.size(); ++i) {
            scratch.joined.assign(tokens[i]);
            for (std::size_t k = 1; k < n; ++k) scratch.joined.append(1, ' ').append(tokens[i + k]);
            f(std::string_view(scratch.joined));
        }
    }
}

/// \endcond
}  // namespace detail
}  // namespace tessera
