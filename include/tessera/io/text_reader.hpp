/// \file
/// tessera/io/text_reader.hpp - the pieces every text loader shares: a bounded line reader over
/// a byte_source, a delimited-field splitter, one number parser (std::from_chars) and the
/// messages for bad fields. Users need only `header_row` and `default_max_line_length` from here.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/io/byte_source.hpp"

namespace tessera {

/// Whether the first (non-skipped, non-blank) line of a text file names the columns.
enum class header_row {
    absent,   ///< every line is data
    present,  ///< the first line is a header
    /// The first line is a header if one of the fields the loader parses as a number is empty
    /// or not written as a number ("nan" or "1e999" count as numbers: the data line then says
    /// what is wrong with them).
    detect,
};

/// The longest line (in bytes, without its line break) a text loader accepts unless told
/// otherwise. It bounds the memory a file without line breaks (or a gzip bomb) can take.
inline constexpr std::size_t default_max_line_length = std::size_t{64} << 20;

namespace detail {
/// \cond

/// Splits a byte_source into lines, each without its "\n" or "\r\n". A UTF-8 byte-order mark
/// at the very start is dropped. The last line needs no line break. Lines are numbered from 1
/// (blank ones included); a line longer than `max_line_length` bytes is a format_error.
///
/// Errors of the byte source are turned into format_error / io_error with the line being read.
class line_reader {
public:
    /// `where` is the public function's name (for messages), `source` the file name or
    /// "<stream>", `delimiter` the field delimiter (only to name the column in messages).
    line_reader(byte_source& src, std::string_view where, std::string source, std::size_t max_line_length,
                char delimiter)
        : src_(&src),
          where_(where),
          source_(std::move(source)),
          // Capped so that the "+ 2" below cannot overflow; no buffer gets near it anyway.
          max_line_(std::min(max_line_length, std::numeric_limits<std::size_t>::max() / 2)),
          delimiter_(delimiter) {
        if (max_line_length == 0) throw_argument(where, "max_line_length", "must be positive");
    }

    /// The next line, valid until the next call; false at the end of the data.
    bool next(std::string_view& line) {
        for (;;) {
            if (const void* nl = scan_ < end_ ? std::memchr(buf_.get() + scan_, '\n', end_ - scan_) : nullptr) {
                const auto stop = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get());
                return take(line, stop, stop + 1);
            }
            scan_ = end_;
            if (end_ - begin_ > max_line_ + 1) too_long(end_);  // + 1: a '\r' may precede the '\n'

            if (eof_) {
                if (begin_ == end_) return false;
                return take(line, end_, end_);
            }
            fill();
        }
    }

    /// Number of the line last returned by next() (0 before the first).
    [[nodiscard]] std::size_t line_number() const noexcept { return line_; }
    [[nodiscard]] std::string_view where() const noexcept { return where_; }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

    /// Throws format_error at the line last returned, 1-based `column` (field).
    [[noreturn]] void fail(std::size_t column, std::string_view what) const {
        throw_format_at(where_, source_, line_, column, what);
    }
    /// Throws format_error at `line`, `column`.
    [[noreturn]] void fail_at(std::size_t line, std::size_t column, std::string_view what) const {
        throw_format_at(where_, source_, line, column, what);
    }

private:
    bool take(std::string_view& line, std::size_t stop, std::size_t resume) {
        std::size_t first = begin_;
        std::size_t last = stop;
        if (last > first && buf_[last - 1] == '\r') --last;
        if (last - first > max_line_) too_long(last);
        ++line_;
        if (line_ == 1 && last - first >= 3 && std::memcmp(buf_.get() + first, "\xEF\xBB\xBF", 3) == 0) first += 3;
        line = std::string_view(buf_.get() + first, last - first);
        begin_ = scan_ = resume;
        return true;
    }

    // 1-based field number reached by the partial line [begin_, stop), for messages.
    [[nodiscard]] std::size_t partial_column(std::size_t stop) const noexcept {
        return 1 + static_cast<std::size_t>(std::count(buf_.get() + begin_, buf_.get() + stop, delimiter_));
    }

    [[noreturn]] void too_long(std::size_t stop) const {
        throw_format_at(where_, source_, line_ + 1, partial_column(stop),
                        "the line is longer than max_line_length (" + std::to_string(max_line_) +
                            " bytes); is this a text file with line breaks?");
    }

    // Reads more bytes after end_, first moving the partial line to the front or growing the
    // buffer (to at most max_line_length + 2 bytes: the line, "\r\n").
    void fill() {
        if (begin_ > 0) {
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            scan_ -= begin_;
            begin_ = 0;
        }
        if (end_ == cap_) {
            const std::size_t ceiling = max_line_ + 2;  // the line and its "\r\n"
            const std::size_t grown = cap_ == 0 ? std::min<std::size_t>(initial_capacity, ceiling)
                                                : (cap_ > ceiling / 2 ? ceiling : cap_ * 2);
            std::unique_ptr<char[]> bigger(new char[grown]);  // uninitialised: filled by reads
            if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
            buf_ = std::move(bigger);
            cap_ = grown;
        }
        std::size_t got = 0;
        try {
            got = src_->read(reinterpret_cast<unsigned char*>(buf_.get() + end_), cap_ - end_);
        } catch (const source_failure& e) {
            if (e.failure_kind() == source_failure::kind::io) {
                throw_io(where_, source_, std::string(e.what()) + " while reading line " + std::to_string(line_ + 1));
            }
            throw_format_at(where_, source_, line_ + 1, partial_column(end_), e.what());
        }
        if (got == 0) eof_ = true;
        end_ += got;
    }

    static constexpr std::size_t initial_capacity = std::size_t{64} * 1024;

    byte_source* src_;
    std::string_view where_;
    std::string source_;
    std::size_t max_line_;
    char delimiter_;
    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;  // start of the next line
    std::size_t scan_ = 0;   // [begin_, scan_) holds no '\n'
    std::size_t end_ = 0;
    std::size_t line_ = 0;
    bool eof_ = false;
};

/// Throws invalid_argument unless `delimiter` can separate fields.
inline void require_delimiter(char delimiter, std::string_view where) {
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == '\0') {
        throw_argument(where, "delimiter", "must not be a double quote, a line break or NUL");
    }
}

/// Splits one line into fields at `delimiter`. Spaces and tabs around a field are dropped
/// (unless the delimiter is one of them). A field may be double-quoted (RFC 4180: "" inside is
/// one quote; the quotes are removed; the delimiter may appear inside); a quoted field cannot
/// span lines. The views stay valid until the next split().
class field_splitter {
public:
    [[nodiscard]] const std::vector<std::string_view>& fields() const noexcept { return fields_; }

    const std::vector<std::string_view>& split(std::string_view line, char delimiter, const line_reader& lines) {
        fields_.clear();
        unquoted_.clear();
        unquoted_.reserve(line.size());  // quoted contents never outgrow the line: the views stay valid
        const auto blank = [delimiter](char c) { return (c == ' ' || c == '\t') && c != delimiter; };
        const std::size_t n = line.size();
        std::size_t i = 0;
        for (std::size_t column = 1;; ++column) {
            while (i < n && blank(line[i])) ++i;
            std::size_t stop = 0;
            if (i < n && line[i] == '"') {
                const std::size_t from = unquoted_.size();
                for (++i;; ++i) {
                    if (i >= n) lines.fail(column, "unterminated quoted field (a quoted field cannot span lines)");
                    if (line[i] == '"') {
                        if (i + 1 < n && line[i + 1] == '"') {
                            ++i;
                        } else {
                            break;
                        }
                    }
                    unquoted_.push_back(line[i]);
                }
                ++i;  // the closing quote
                while (i < n && blank(line[i])) ++i;
                if (i < n && line[i] != delimiter) {
                    lines.fail(column, "unexpected " + quoted_excerpt(line.substr(i, 1)) +
                                           " after a closing quote (expected the delimiter or the end of the line)");
                }
                fields_.emplace_back(unquoted_.data() + from, unquoted_.size() - from);
                stop = i;
            } else {
                stop = std::min(line.find(delimiter, i), n);
                std::size_t last = stop;
                while (last > i && blank(line[last - 1])) --last;
                fields_.push_back(line.substr(i, last - i));
            }
            if (stop >= n) break;
            i = stop + 1;
        }
        return fields_;
    }

private:
    std::vector<std::string_view> fields_;
    std::string unquoted_;
};

// ---------------------------------------------------------------------------------------------
// Numbers.

/// Arithmetic types a loader parses from text: not bool ("true" is not a number) and not the
/// character types (a char field is a character, not a small number).
template <class T>
inline constexpr bool is_parsable_number =
    std::is_arithmetic_v<T> && !std::is_same_v<std::remove_cv_t<T>, bool> && !std::is_same_v<std::remove_cv_t<T>, char> &&
    !std::is_same_v<std::remove_cv_t<T>, wchar_t> && !std::is_same_v<std::remove_cv_t<T>, char8_t> &&
    !std::is_same_v<std::remove_cv_t<T>, char16_t> && !std::is_same_v<std::remove_cv_t<T>, char32_t>;

enum class number_status { ok, empty, not_a_number, out_of_range, not_finite };

/// Parses all of `text` as a T with std::from_chars (locale-independent; decimal; a leading '+'
/// is accepted; floating-point also takes exponents, "inf", "nan"). Non-finite values are
/// `not_finite` unless `allow_nonfinite`. `out` is written only on success.
template <class T>
[[nodiscard]] number_status parse_number(std::string_view text, T& out, bool allow_nonfinite = false) noexcept {
    static_assert(is_parsable_number<T>);
    if (text.empty()) return number_status::empty;
    const char* first = text.data();
    const char* const last = first + text.size();
    if (*first == '+') {
        ++first;
        if (first == last || *first == '+' || *first == '-') return number_status::not_a_number;
    }
    T value{};
    std::from_chars_result r{};
    if constexpr (std::is_floating_point_v<T>) {
        r = std::from_chars(first, last, value, std::chars_format::general);
    } else {
        r = std::from_chars(first, last, value, 10);
    }
    if (r.ec == std::errc::result_out_of_range) return number_status::out_of_range;
    if (r.ec != std::errc() || r.ptr != last) return number_status::not_a_number;
    if constexpr (std::is_floating_point_v<T>) {
        if (!allow_nonfinite && !std::isfinite(value)) return number_status::not_finite;
    }
    out = value;
    return number_status::ok;
}

/// Whether `text` reads as a column name rather than a badly written number: header detection
/// takes "nan" (without allow_nonfinite) or "1e999" for data, so that the data line reports them.
template <class T>
[[nodiscard]] bool looks_like_name(std::string_view text) noexcept {
    T value{};
    const number_status s = parse_number(text, value, true);
    return s == number_status::not_a_number || s == number_status::empty;
}

/// "float", "int32", ... for messages.
template <class T>
[[nodiscard]] std::string number_type_name() {
    if constexpr (std::is_same_v<T, float>) {
        return "float";
    } else if constexpr (std::is_same_v<T, double>) {
        return "double";
    } else if constexpr (std::is_same_v<T, long double>) {
        return "long double";
    } else {
        return (std::is_signed_v<T> ? "int" : "uint") + std::to_string(8 * sizeof(T));
    }
}

/// "a number", "an integer" or "a non-negative integer".
template <class T>
[[nodiscard]] constexpr std::string_view number_expectation() noexcept {
    if constexpr (std::is_floating_point_v<T>) {
        return "a number";
    } else if constexpr (std::is_signed_v<T>) {
        return "an integer";
    } else {
        return "a non-negative integer";
    }
}

/// Throws the format_error that explains `status` for `text` in `column` of the current line.
/// `nonfinite_hint` names the option that would accept NaN/Inf (empty: none does).
template <class T>
[[noreturn]] void fail_number(const line_reader& lines, std::size_t column, number_status status,
                              std::string_view text, std::string_view nonfinite_hint = {}) {
    std::string what;
    switch (status) {
        case number_status::empty:
            what = "empty field: expected " + std::string(number_expectation<T>());
            break;
        case number_status::out_of_range:
            what = quoted_excerpt(text) + " is out of range for " + number_type_name<T>();
            break;
        case number_status::not_finite:
            what = "expected a finite number, got " + quoted_excerpt(text);
            if (!nonfinite_hint.empty()) what += " (NaN and Inf are rejected unless " + std::string(nonfinite_hint) + ")";
            break;
        case number_status::ok:
        case number_status::not_a_number:
        default:
            what = "expected " + std::string(number_expectation<T>()) + ", got " + quoted_excerpt(text);
            break;
    }
    lines.fail(column, what);
}

/// Parses `text` or throws the matching format_error.
template <class T>
[[nodiscard]] T parse_field(const line_reader& lines, std::size_t column, std::string_view text, bool allow_nonfinite,
                            std::string_view nonfinite_hint = {}) {
    T value{};
    const number_status s = parse_number(text, value, allow_nonfinite);
    if (s != number_status::ok) fail_number<T>(lines, column, s, text, nonfinite_hint);
    return value;
}

/// \endcond
}  // namespace detail
}  // namespace tessera
