/// \file
/// tessera/io/csv.hpp - numeric CSV files (features, an optional label column, column names) and
/// scikit-learn's bundled toy-data layout. Plain or gzip-compressed (see byte_source.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/io/byte_source.hpp"
#include "tessera/io/text_reader.hpp"

namespace tessera {

/// Which column of a CSV file holds the labels: none, a 0-based index, the last one, or the
/// column with a given header name. Build it with the static functions.
class csv_column {
public:
    /// Which of the four forms this is.
    enum class kind { none, index, last, named };

    /// No label column: every column is a feature (the default).
    [[nodiscard]] static csv_column none() noexcept { return csv_column(kind::none, 0, {}); }
    /// The column at 0-based position `i`.
    [[nodiscard]] static csv_column index(std::size_t i) noexcept { return csv_column(kind::index, i, {}); }
    /// The last column.
    [[nodiscard]] static csv_column last() noexcept { return csv_column(kind::last, 0, {}); }
    /// The column whose header name is `name` (exactly, after unquoting and trimming). Needs a header.
    [[nodiscard]] static csv_column named(std::string name) { return csv_column(kind::named, 0, std::move(name)); }

    /// No label column, as none().
    csv_column() noexcept = default;

    /// The form: none, index, last or named.
    [[nodiscard]] kind which() const noexcept { return kind_; }
    /// The 0-based position given to index() (0 for the other forms).
    [[nodiscard]] std::size_t position() const noexcept { return index_; }
    /// The header name given to named() (empty for the other forms).
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    csv_column(kind k, std::size_t i, std::string name) : kind_(k), index_(i), name_(std::move(name)) {}
    kind kind_ = kind::none;
    std::size_t index_ = 0;
    std::string name_;
};

/// How read_csv reads a file. The defaults read a comma-separated file with a header line and
/// no label column.
struct csv_options {
    /// Field separator. Not a double quote, line feed, carriage return or NUL.
    char delimiter = ',';
    /// Whether the first line after the skipped ones names the columns. `detect`: it does if
    /// one of its fields is empty or not written as a number (the label field counts only when
    /// Label is numeric).
    header_row header = header_row::present;
    /// Lines (blank ones included) to skip before the header or the first data line.
    std::size_t skip_lines = 0;
    /// The label column; its values go to `csv_data::labels`, every other column is a feature.
    csv_column label = csv_column::none();
    /// Accept "nan", "inf", "infinity" (any case, optionally signed) in floating-point fields.
    bool allow_nonfinite = false;
    /// Longest accepted line, in bytes.
    std::size_t max_line_length = default_max_line_length;
};

/// A label type read_csv can produce: a number (parsed like the features) or the text itself.
template <class L>
concept csv_label = detail::is_parsable_number<L> || std::is_same_v<L, std::string>;

/// What read_csv returns.
template <class T, class Label>
struct csv_data {
    /// One row per data line, one column per feature column, in file order.
    dense_matrix<T> features;
    /// One label per data line; empty when there is no label column.
    std::vector<Label> labels;
    /// The header names of the feature columns; empty when the file has no header.
    std::vector<std::string> feature_names;
    /// The header name of the label column; empty without a header or a label column.
    std::string label_name;
};

/// What read_sklearn_csv returns.
template <class T>
struct sklearn_csv_data {
    dense_matrix<T> features;  ///< one row per sample
    /// Class indices, each in [0, class_names.size()).
    std::vector<int> labels;
    /// The names on line 1, in class-index order.
    std::vector<std::string> class_names;
};

namespace detail {
/// \cond

inline constexpr std::string_view csv_nonfinite_hint = "csv_options::allow_nonfinite is set";

template <class T, class Label>
csv_data<T, Label> read_csv_lines(line_reader& lines, const csv_options& opt) {
    field_splitter splitter;
    std::string_view line;
    for (std::size_t k = 0; k < opt.skip_lines; ++k) {
        if (!lines.next(line)) {
            lines.fail_at(lines.line_number() + 1, 1,
                          "the data ends before the " + std::to_string(opt.skip_lines) + " lines to skip (skip_lines)");
        }
    }
    bool have_line = false;
    while ((have_line = lines.next(line)) && line.empty()) {
    }
    if (!have_line) {
        lines.fail_at(lines.line_number() + 1, 1,
                      lines.line_number() == 0 ? "the data is empty: expected a header or a data line"
                                               : "no header or data line: every line is blank or skipped");
    }

    const auto* fields = &splitter.split(line, opt.delimiter, lines);
    const std::size_t ncols = fields->size();

    std::optional<std::size_t> label;
    switch (opt.label.which()) {
        case csv_column::kind::none:
        case csv_column::kind::named:
            break;
        case csv_column::kind::last:
            label = ncols - 1;
            break;
        case csv_column::kind::index:
            if (opt.label.position() >= ncols) {
                lines.fail(1, "the label column index " + std::to_string(opt.label.position()) +
                                  " (0-based) is out of range: the line has " + std::to_string(ncols) + " fields");
            }
            label = opt.label.position();
            break;
    }

    bool has_header = opt.header == header_row::present;
    if (opt.header == header_row::detect) {
        for (std::size_t j = 0; j < ncols && !has_header; ++j) {
            if (label && j == *label) {
                if constexpr (is_parsable_number<Label>) has_header = looks_like_name<Label>((*fields)[j]);
            } else {
                has_header = looks_like_name<T>((*fields)[j]);
            }
        }
    }

    csv_data<T, Label> out;
    if (has_header) {
        if (opt.label.which() == csv_column::kind::named) {
            std::optional<std::size_t> found;
            for (std::size_t j = 0; j < ncols; ++j) {
                if ((*fields)[j] != opt.label.name()) continue;
                if (found) {
                    lines.fail(j + 1, "the label column name " + quoted_excerpt(opt.label.name()) +
                                          " appears more than once in the header (fields " + std::to_string(*found + 1) +
                                          " and " + std::to_string(j + 1) + ")");
                }
                found = j;
            }
            if (!found) {
                std::string names;
                for (std::size_t j = 0; j < ncols && j < 8; ++j) {
                    if (j > 0) names += ", ";
                    names += quoted_excerpt((*fields)[j]);
                }
                if (ncols > 8) names += ", ...";
                lines.fail(1, "no column is named " + quoted_excerpt(opt.label.name()) + "; the header has " +
                                  std::to_string(ncols) + " columns: " + names);
            }
            label = found;
        }
        out.feature_names.reserve(ncols - (label ? 1 : 0));
        for (std::size_t j = 0; j < ncols; ++j) {
            if (label && j == *label) {
                out.label_name = std::string((*fields)[j]);
            } else {
                out.feature_names.emplace_back((*fields)[j]);
            }
        }
    } else if (opt.label.which() == csv_column::kind::named) {
        lines.fail(1, "the label column is given by name (" + quoted_excerpt(opt.label.name()) +
                          "), but the first line is data, not a header");
    }

    const std::size_t nfeatures = ncols - (label ? 1 : 0);
    out.features = dense_matrix<T>(0, nfeatures);
    std::vector<T> row(nfeatures);

    bool pending = !has_header;  // the first line is already split and is data
    for (;;) {
        if (!pending) {
            if (!lines.next(line)) break;
            if (line.empty()) continue;
            fields = &splitter.split(line, opt.delimiter, lines);
        }
        pending = false;
        const auto& f = *fields;
        if (f.size() != ncols) {
            lines.fail(std::min(f.size(), ncols) + 1,
                       "expected " + std::to_string(ncols) + " fields, got " + std::to_string(f.size()));
        }
        std::size_t k = 0;
        for (std::size_t j = 0; j < ncols; ++j) {
            if (label && j == *label) {
                if constexpr (std::is_same_v<Label, std::string>) {
                    if (f[j].empty()) lines.fail(j + 1, "empty field: expected a label");
                    out.labels.emplace_back(f[j]);
                } else {
                    out.labels.push_back(parse_field<Label>(lines, j + 1, f[j], opt.allow_nonfinite, csv_nonfinite_hint));
                }
            } else {
                row[k++] = parse_field<T>(lines, j + 1, f[j], opt.allow_nonfinite, csv_nonfinite_hint);
            }
        }
        out.features.append_row(row);
    }
    return out;
}

template <class T>
sklearn_csv_data<T> read_sklearn_lines(line_reader& lines) {
    field_splitter splitter;
    std::string_view line;
    bool have_line = false;
    while ((have_line = lines.next(line)) && line.empty()) {
    }
    if (!have_line) lines.fail_at(lines.line_number() + 1, 1, "the data is empty: expected the line n_samples,n_features,<class names>");
    const std::size_t header_line = lines.line_number();
    const auto& head = splitter.split(line, ',', lines);
    if (head.size() < 3) {
        lines.fail(head.size() + 1, "expected n_samples,n_features,<class names...> (at least 3 fields), got " +
                                        std::to_string(head.size()) + " fields");
    }
    const auto n_samples = parse_field<std::uint64_t>(lines, 1, head[0], false);
    const auto n_features = parse_field<std::uint64_t>(lines, 2, head[1], false);
    sklearn_csv_data<T> out;
    for (std::size_t j = 2; j < head.size(); ++j) {
        if (head[j].empty()) lines.fail(j + 1, "empty class name");
        out.class_names.emplace_back(head[j]);
    }
    // A line of n_features + 1 fields cannot be shorter than that; nothing is sized from the
    // declared counts before a data line has confirmed them.
    if (n_features > default_max_line_length) {
        lines.fail(2, "n_features = " + std::to_string(n_features) + " is more than a line can hold");
    }
    const auto nfeatures = static_cast<std::size_t>(n_features);
    const std::size_t ncols = nfeatures + 1;
    const auto nclasses = out.class_names.size();
    out.features = dense_matrix<T>(0, nfeatures);
    std::vector<T> row;
    std::uint64_t count = 0;
    while (lines.next(line)) {
        if (line.empty()) continue;
        const auto& f = splitter.split(line, ',', lines);
        if (f.size() != ncols) {
            lines.fail(std::min(f.size(), ncols) + 1,
                       "expected " + std::to_string(ncols) + " fields (line " + std::to_string(header_line) +
                           " declares " + std::to_string(nfeatures) + " features and a label), got " +
                           std::to_string(f.size()));
        }
        row.resize(nfeatures);
        for (std::size_t j = 0; j < nfeatures; ++j) row[j] = parse_field<T>(lines, j + 1, f[j], false);
        const int c = parse_field<int>(lines, ncols, f[nfeatures], false);
        if (c < 0 || static_cast<std::size_t>(c) >= nclasses) {
            lines.fail(ncols, "class index " + std::to_string(c) + " is out of range: line " +
                                  std::to_string(header_line) + " names " + std::to_string(nclasses) + " classes");
        }
        out.features.append_row(row);
        out.labels.push_back(c);
        ++count;
    }
    if (count != n_samples) {
        lines.fail_at(header_line, 1, "line " + std::to_string(header_line) + " declares " + std::to_string(n_samples) +
                                          " samples, but " + std::to_string(count) + " data lines follow");
    }
    return out;
}

/// \endcond
}  // namespace detail

/// Reads a delimited text file of numbers into a feature matrix and, optionally, a label column.
///
/// - Fields are separated by `opt.delimiter`; spaces and tabs around a field are ignored; a
///   field may be double-quoted (quotes removed, "" is one quote, no line breaks inside).
/// - Lines end with `"\n"` or `"\r\n"`; the last one needs no line break; blank lines are skipped
///   (but counted in line numbers); a UTF-8 byte-order mark at the start is ignored.
/// - Feature fields are parsed as T with std::from_chars (locale-independent, decimal, optional
///   '+', exponent for floating point). A numeric Label is parsed the same way; a std::string
///   Label keeps the field's text (it must not be empty).
/// - gzip-compressed data (magic bytes 1f 8b) is decompressed when tessera::zlib is linked.
///
/// Complexity: O(size of the data); memory: the result plus one line (at most
/// opt.max_line_length bytes).
/// Exceptions: `tessera::format_error` naming the source, the 1-based line and 1-based column
/// (field) and what was expected, for: an empty file, rows whose field count differs from the
/// first line's, empty or non-numeric fields, out-of-range numbers, NaN/Inf (unless
/// opt.allow_nonfinite), an unknown or repeated label column name, a label index outside the
/// first line, a broken quote, an over-long line, corrupt or truncated gzip data.
/// `tessera::io_error` if the file cannot be opened or read; `tessera::invalid_argument` for
/// bad options (a delimiter that is a quote or line break, a named label with header_row::absent).
/// Thread safety: independent calls may run concurrently.
template <class T = double, csv_label Label = int>
[[nodiscard]] csv_data<T, Label> read_csv(std::istream& in, const csv_options& opt = {},
                                          std::string_view source_name = "<stream>") {
    static_assert(detail::is_parsable_number<T>, "read_csv reads arithmetic feature types (not bool)");
    constexpr std::string_view where = "read_csv";
    detail::require_delimiter(opt.delimiter, where);
    if (opt.label.which() == csv_column::kind::named && opt.header == header_row::absent) {
        detail::throw_argument(where, "options.label", "names a column, which needs a header line (header_row::absent given)");
    }
    std::string name(source_name);
    try {
        detail::byte_source src(in);
        detail::line_reader lines(src, where, name, opt.max_line_length, opt.delimiter);
        return detail::read_csv_lines<T, Label>(lines, opt);
    } catch (const detail::source_failure& e) {  // from the byte source's constructor: nothing read yet
        if (e.failure_kind() == detail::source_failure::kind::io) detail::throw_io(where, name, e.what());
        detail::throw_format_at(where, name, 1, 1, e.what());
    }
}

/// read_csv on the file at `path` (messages name it as `path.string()`).
template <class T = double, csv_label Label = int>
[[nodiscard]] csv_data<T, Label> read_csv(const std::filesystem::path& path, const csv_options& opt = {}) {
    auto in = detail::open_input_file(path, "read_csv");
    return read_csv<T, Label>(in, opt, path.string());
}

/// Reads scikit-learn's bundled CSV layout (iris.csv, wine_data.csv, breast_cancer.csv): line 1
/// is `n_samples,n_features,<class name 0>,<class name 1>,...`, then each line holds n_features
/// numbers and an integer class index. Both declared counts and every class index are checked
/// against the data. (digits.csv.gz has no such line: read it with read_csv, header_row::absent
/// and csv_column::last().)
///
/// Complexity, exceptions (format_error with source:line:column, io_error) and thread safety
/// as read_csv.
template <class T = double>
[[nodiscard]] sklearn_csv_data<T> read_sklearn_csv(std::istream& in, std::string_view source_name = "<stream>") {
    static_assert(detail::is_parsable_number<T>, "read_sklearn_csv reads arithmetic feature types (not bool)");
    constexpr std::string_view where = "read_sklearn_csv";
    std::string name(source_name);
    try {
        detail::byte_source src(in);
        detail::line_reader lines(src, where, name, default_max_line_length, ',');
        return detail::read_sklearn_lines<T>(lines);
    } catch (const detail::source_failure& e) {
        if (e.failure_kind() == detail::source_failure::kind::io) detail::throw_io(where, name, e.what());
        detail::throw_format_at(where, name, 1, 1, e.what());
    }
}

/// read_sklearn_csv on the file at `path`.
template <class T = double>
[[nodiscard]] sklearn_csv_data<T> read_sklearn_csv(const std::filesystem::path& path) {
    auto in = detail::open_input_file(path, "read_sklearn_csv");
    return read_sklearn_csv<T>(in, path.string());
}

}  // namespace tessera
