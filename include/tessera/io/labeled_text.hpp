/// \file
/// tessera/io/labeled_text.hpp - `"<label><TAB><text>"` lines, as in the SMS Spam Collection.
#pragma once

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/io/byte_source.hpp"
#include "tessera/io/text_reader.hpp"

namespace tessera {

/// How read_labeled_text reads a file.
struct labeled_text_options {
    /// Splits each line at its first occurrence; the text may contain more of them. Not a line
    /// feed, carriage return or NUL.
    char separator = '\t';
    /// Longest accepted line, in bytes.
    std::size_t max_line_length = default_max_line_length;
};

/// What read_labeled_text returns: labels[k] and texts[k] come from the k-th non-blank line.
struct labeled_text_data {
    std::vector<std::string> labels;  ///< the label of each line
    std::vector<std::string> texts;   ///< the text of each line
};

namespace detail {
/// \cond

inline labeled_text_data read_labeled_text_lines(line_reader& lines, char separator) {
    labeled_text_data out;
    std::string_view line;
    bool any = false;
    while (lines.next(line)) {
        if (line.empty()) continue;
        any = true;
        const std::size_t cut = line.find(separator);
        if (cut == std::string_view::npos) {
            lines.fail(1, std::string("expected <label>") + (separator == '\t' ? "<TAB>" : quoted_excerpt({&separator, 1})) +
                              "<text>, but the line has no " + (separator == '\t' ? "tab" : "separator") + ": " +
                              quoted_excerpt(line));
        }
        if (cut == 0) lines.fail(1, "empty label: the line starts with the separator");
        out.labels.emplace_back(line.substr(0, cut));
        out.texts.emplace_back(line.substr(cut + 1));
    }
    if (!any) {
        lines.fail_at(lines.line_number() + 1, 1,
                      lines.line_number() == 0 ? "the data is empty: expected <label><TAB><text> lines"
                                               : "no data: every line is blank");
    }
    return out;
}

/// \endcond
}  // namespace detail

/// Reads lines of the form `<label><separator><text>` (separator: a tab by default), splitting
/// each at its first separator. The label must not be empty; the text may be (it may also hold
/// further separators). Both keep their bytes exactly as in the file: no trimming, no
/// unquoting, no UTF-8 validation (invalid sequences pass through unchanged). Lines end with
/// `"\n"` or `"\r\n"` (the `"\r"` is dropped); blank lines are skipped; a UTF-8 byte-order mark at the
/// start is dropped; gzip data is decompressed as for read_csv.
///
/// Complexity: O(size of the data). Exceptions: `tessera::format_error` naming the source,
/// the line and the column (1: the label) for an empty file, a line without a separator, an
/// empty label, an over-long line, corrupt or truncated gzip data; `tessera::io_error` if the
/// file cannot be opened or read; `tessera::invalid_argument` for a separator that is a line
/// break or NUL. Thread safety: independent calls may run concurrently.
[[nodiscard]] inline labeled_text_data read_labeled_text(std::istream& in, const labeled_text_options& opt = {},
                                                         std::string_view source_name = "<stream>") {
    constexpr std::string_view where = "read_labeled_text";
    if (opt.separator == '\n' || opt.separator == '\r' || opt.separator == '\0') {
        detail::throw_argument(where, "separator", "must not be a line break or NUL");
    }
    std::string name(source_name);
    try {
        detail::byte_source src(in);
        detail::line_reader lines(src, where, name, opt.max_line_length, opt.separator);
        return detail::read_labeled_text_lines(lines, opt.separator);
    } catch (const detail::source_failure& e) {  // from the byte source's constructor
        if (e.failure_kind() == detail::source_failure::kind::io) detail::throw_io(where, name, e.what());
        detail::throw_format_at(where, name, 1, 1, e.what());
    }
}

/// read_labeled_text on the file at `path` (messages name it as `path.string()`).
[[nodiscard]] inline labeled_text_data read_labeled_text(const std::filesystem::path& path,
                                                         const labeled_text_options& opt = {}) {
    auto in = detail::open_input_file(path, "read_labeled_text");
    return read_labeled_text(in, opt, path.string());
}

}  // namespace tessera
