// tessera/text/detail/unicode.hpp - UTF-8 decoding and validation, character classes and
// lowercasing for the tokenizer (tables: unicode_tables.hpp). Internal: users go through
// tessera::tokenizer.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tessera/core/error.hpp"
#include "tessera/text/detail/unicode_tables.hpp"

namespace tessera::detail::unicode {

/// Where a document is being read, for error messages: the function, its argument and, for a
/// collection of documents, the document's index (npos for a single document).
struct text_site {
    std::string_view where;
    std::string_view arg;
    std::size_t document = static_cast<std::size_t>(-1);
};

/// The outcome of decoding one UTF-8 sequence: its length in bytes (0 when invalid), the code
/// point, and for an invalid sequence what is wrong with it.
struct decoded {
    std::size_t length = 0;
    char32_t code_point = 0;
    const char* problem = nullptr;
};

[[nodiscard]] constexpr bool is_continuation(unsigned char b) noexcept { return (b & 0xC0u) == 0x80u; }

/// Decodes the sequence starting at byte `i` of `s` (i < s.size()), rejecting everything that
/// is not well-formed UTF-8 (RFC 3629): stray continuation bytes, lead bytes 0xC0, 0xC1 and
/// 0xF5-0xFF, truncated sequences, overlong forms, surrogates (U+D800-U+DFFF) and code points
/// above U+10FFFF. O(1).
[[nodiscard]] constexpr decoded decode(std::string_view s, std::size_t i) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80u) return {1, b0, nullptr};
    if (b0 < 0xC0u) return {0, 0, "unexpected continuation byte"};
    if (b0 < 0xC2u) return {0, 0, "overlong encoding"};
    if (b0 > 0xF4u) return {0, 0, "invalid lead byte (beyond U+10FFFF)"};
    const std::size_t n = b0 < 0xE0u ? 2 : b0 < 0xF0u ? 3 : 4;
    for (std::size_t k = 1; k < n; ++k) {
        if (i + k >= s.size() || !is_continuation(static_cast<unsigned char>(s[i + k]))) {
            return {0, 0, "truncated multi-byte sequence"};
        }
    }
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (n == 2) return {2, static_cast<char32_t>(((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu)), nullptr};
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    if (n == 3) {
        if (b0 == 0xE0u && b1 < 0xA0u) return {0, 0, "overlong encoding"};
        if (b0 == 0xEDu && b1 > 0x9Fu) return {0, 0, "encoded surrogate (U+D800-U+DFFF)"};
        return {3, static_cast<char32_t>(((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu)), nullptr};
    }
    if (b0 == 0xF0u && b1 < 0x90u) return {0, 0, "overlong encoding"};
    if (b0 == 0xF4u && b1 > 0x8Fu) return {0, 0, "code point beyond U+10FFFF"};
    const auto b3 = static_cast<unsigned char>(s[i + 3]);
    return {4,
            static_cast<char32_t>(((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((b2 & 0x3Fu) << 6) | (b3 & 0x3Fu)),
            nullptr};
}

/// Throws tessera::invalid_argument for an invalid sequence at byte `offset` of a document.
[[noreturn]] inline void throw_invalid_utf8(const text_site& site, std::string_view doc, std::size_t offset,
                                            const char* problem) {
    static constexpr char hex[] = "0123456789ABCDEF";
    const auto b = static_cast<unsigned char>(doc[offset]);
    std::string what;
    if (site.document != static_cast<std::size_t>(-1)) what = "document " + std::to_string(site.document) + ": ";
    what += "invalid UTF-8 at byte offset " + std::to_string(offset) + " (" + problem + ", byte 0x" + hex[b >> 4] +
            hex[b & 0xF] + ")";
    throw_argument(site.where, site.arg, what);
}

/// Decodes at `i` or throws naming `site` and the offset.
[[nodiscard]] inline decoded decode_or_throw(std::string_view s, std::size_t i, const text_site& site) {
    const decoded d = decode(s, i);
    if (d.length == 0) throw_invalid_utf8(site, s, i, d.problem);
    return d;
}

/// Throws unless `s` is entirely valid UTF-8. O(size).
inline void validate(std::string_view s, const text_site& site) {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80u) {
            ++i;
        } else {
            i += decode_or_throw(s, i, site).length;
        }
    }
}

/// Appends the UTF-8 encoding of a valid code point.
inline void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0u | (c >> 6)));
        out.push_back(static_cast<char>(0x80u | (c & 0x3Fu)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0u | (c >> 12)));
        out.push_back(static_cast<char>(0x80u | ((c >> 6) & 0x3Fu)));
        out.push_back(static_cast<char>(0x80u | (c & 0x3Fu)));
    } else {
        out.push_back(static_cast<char>(0xF0u | (c >> 18)));
        out.push_back(static_cast<char>(0x80u | ((c >> 12) & 0x3Fu)));
        out.push_back(static_cast<char>(0x80u | ((c >> 6) & 0x3Fu)));
        out.push_back(static_cast<char>(0x80u | (c & 0x3Fu)));
    }
}

/// Whether `c` lies in one of the sorted, disjoint `ranges`. O(log ranges).
[[nodiscard]] constexpr bool in_ranges(std::span<const code_point_range> ranges, char32_t c) noexcept {
    const auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                                     [](char32_t v, const code_point_range& r) { return v < r.first; });
    return it != ranges.begin() && c <= std::prev(it)->last;
}

inline constexpr std::array<bool, 128> ascii_word = [] {
    std::array<bool, 128> t{};
    for (std::size_t c = 0; c < 128; ++c) {
        t[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    }
    return t;
}();

/// Python 3.11's \w for str patterns (str.isalnum() or '_'), Unicode 14.0.0.
[[nodiscard]] constexpr bool is_word(char32_t c) noexcept {
    return c < 128 ? ascii_word[c] : in_ranges(word_ranges, c);
}

/// Python's str.isspace() (what str.split() and \s split on).
[[nodiscard]] constexpr bool is_space(char32_t c) noexcept {
    if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/// The one-code-point lowercase of `c` per Python's str.lower() (c itself when it has none;
/// U+0130 and the final sigma are the caller's business).
[[nodiscard]] constexpr char32_t to_lower(char32_t c) noexcept {
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
    const std::span<const lower_run> runs(lower_runs);
    const auto it =
        std::upper_bound(runs.begin(), runs.end(), c, [](char32_t v, const lower_run& r) { return v < r.first; });
    if (it == runs.begin()) return c;
    const lower_run& r = *std::prev(it);
    if (c > r.last || (c - r.first) % r.stride != 0) return c;
    return static_cast<char32_t>(static_cast<std::int64_t>(c) + r.delta);
}

[[nodiscard]] constexpr bool is_cased(char32_t c) noexcept { return in_ranges(cased_ranges, c); }
[[nodiscard]] constexpr bool is_case_ignorable(char32_t c) noexcept { return in_ranges(case_ignorable_ranges, c); }

// Decodes the code point that ends just before byte `i` of valid UTF-8 text; returns its start.
[[nodiscard]] inline std::size_t previous_start(std::string_view s, std::size_t i) noexcept {
    std::size_t j = i - 1;
    while (j > 0 && is_continuation(static_cast<unsigned char>(s[j]))) --j;
    return j;
}

// Python's Final_Sigma test for the capital sigma at bytes [i, i + 2) of `s`, whose bytes before
// i are known to be valid: preceded by a cased letter (skipping case-ignorable characters) and
// not followed by one.
[[nodiscard]] inline bool final_sigma(std::string_view s, std::size_t i, const text_site& site) {
    std::size_t j = i;
    bool cased_before = false;
    while (j > 0) {
        j = previous_start(s, j);
        const char32_t c = decode(s, j).code_point;
        if (is_case_ignorable(c)) continue;
        cased_before = is_cased(c);
        break;
    }
    if (!cased_before) return false;
    for (std::size_t k = i + 2; k < s.size();) {
        const decoded d = decode_or_throw(s, k, site);
        if (is_case_ignorable(d.code_point)) {
            k += d.length;
            continue;
        }
        return !is_cased(d.code_point);
    }
    return true;
}

/// Appends the lowercase of `s` to `out`, validating it (errors name byte offsets in `s`).
/// Python's str.lower(): simple mappings from the table, U+0130 to "i" + U+0307, and a
/// capital sigma to a final sigma in Final_Sigma context. O(size) (plus the sigma context).
inline void append_lowercase(std::string_view s, std::string& out, const text_site& site) {
    out.reserve(out.size() + s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80u) {
            out.push_back(b >= 'A' && b <= 'Z' ? static_cast<char>(b + 0x20) : static_cast<char>(b));
            ++i;
            continue;
        }
        const decoded d = decode_or_throw(s, i, site);
        if (d.code_point == 0x130) {
            out.push_back('i');
            append_utf8(out, 0x307);
        } else if (d.code_point == 0x3A3) {
            append_utf8(out, final_sigma(s, i, site) ? 0x3C2 : 0x3C3);
        } else {
            append_utf8(out, to_lower(d.code_point));
        }
        i += d.length;
    }
}

}  // namespace tessera::detail::unicode
