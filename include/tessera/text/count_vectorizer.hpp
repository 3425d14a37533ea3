/// \file
/// tessera/text/count_vectorizer.hpp - a vocabulary learnt from documents, and term counts per
/// document as a sparse matrix: scikit-learn's CountVectorizer.
///
/// ```cpp
///   tessera::count_vectorizer<> cv({.min_df = tessera::df_count(2)});
///   auto X = cv.fit_transform(texts);      // texts: std::vector<std::string>, 1 row per text
///   cv.feature_name(3);                    // the term of column 3
///   auto Y = cv.transform(new_texts);      // same columns; unknown terms are ignored
/// ```
///
/// fit tokenizes every document (tessera::tokenizer, options.tokens) and builds the vocabulary:
///
///   1. every distinct token (n-gram) of the documents is a term; its document frequency df is
///      the number of documents holding it, its total the number of times it occurs;
///   2. terms with min_df <= df <= max_df are kept, a bound being a document count (df_count)
///      or a fraction of the documents (df_fraction, multiplied by the number of documents;
///      the comparison is made in double, as scikit-learn does);
///   3. if more than max_features terms remain, the max_features with the largest totals are
///      kept, equal totals going to the term that sorts first (with options.binary the totals
///      are of the binary counts, i.e. the document frequencies, as in scikit-learn);
///   4. columns are the kept terms in byte order of their UTF-8 text (= code point order, as
///      scikit-learn sorts its vocabulary).
///
/// transform gives one row per document, one column per term, holding the number of times the
/// term occurs in the document (1 if options.binary). Tokens outside the vocabulary are ignored;
/// a document without known tokens (an empty one, say) gives an empty row: not an error.
/// Columns within a row are sorted; zeros are never stored.
///
/// Thread safety: const member functions (transform, the vocabulary queries, save) may run
/// concurrently; fit, read_from/load into an existing object and assignment need exclusive
/// access. A failed fit leaves the vectorizer as it was.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/text/common.hpp"
#include "tessera/text/tokenizer.hpp"

namespace tessera {

/// A bound on a term's document frequency: a number of documents, or a fraction of the
/// documents fitted on. Make one with df_count or df_fraction.
struct document_frequency {
    bool is_fraction = false;  ///< true: `fraction` of the documents; false: `count` documents
    std::size_t count = 1;     ///< the bound in documents (when !is_fraction); at least 1
    double fraction = 1.0;     ///< the bound as a fraction in [0, 1] (when is_fraction)

    /// The bound in documents for a corpus of `documents` documents.
    [[nodiscard]] constexpr double in_documents(std::size_t documents) const noexcept {
        return is_fraction ? fraction * static_cast<double>(documents) : static_cast<double>(count);
    }
};

/// A bound of `n` documents (scikit-learn's integer min_df / max_df).
[[nodiscard]] constexpr document_frequency df_count(std::size_t n) noexcept { return {false, n, 0.0}; }
/// A bound of `f` times the number of documents (scikit-learn's float min_df / max_df).
[[nodiscard]] constexpr document_frequency df_fraction(double f) noexcept { return {true, 0, f}; }

/// How a count_vectorizer builds its vocabulary; validated by its constructor.
struct count_vectorizer_options {
    /// How documents are split into tokens and n-grams.
    tokenizer_options tokens{};
    /// Terms in fewer documents are dropped. Default: 1 document (none dropped).
    document_frequency min_df = df_count(1);
    /// Terms in more documents are dropped. Default: all documents (none dropped).
    document_frequency max_df = df_fraction(1.0);
    /// Keep at most this many terms (those occurring most often; with binary, those in most
    /// documents); at least 1.
    std::optional<std::size_t> max_features = std::nullopt;
    /// Record 1 for a term present in a document instead of its count.
    bool binary = false;
};

namespace detail {
/// \cond

struct transparent_string_hash {
    using is_transparent = void;
    [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// A hash map from a term to a number, searchable with a std::string_view.
using term_map = std::unordered_map<std::string, std::size_t, transparent_string_hash, std::equal_to<>>;

inline void validate_df(const document_frequency& df, std::string_view where, std::string_view arg) {
    if (df.is_fraction) {
        if (!(df.fraction >= 0.0 && df.fraction <= 1.0)) {
            throw_argument(where, arg, "a fraction of the documents must lie in [0, 1], got " + std::to_string(df.fraction));
        }
    } else if (df.count < 1) {
        throw_argument(where, arg, "a document count must be at least 1, got 0");
    }
}

inline void write_df(archive_writer& w, const document_frequency& df) {
    w.write<bool>(df.is_fraction);
    w.write<std::uint64_t>(df.count);
    w.write<double>(df.fraction);
}

[[nodiscard]] inline document_frequency read_df(archive_reader& r, std::string_view field) {
    document_frequency df;
    df.is_fraction = r.read<bool>(field);
    const auto count = r.read<std::uint64_t>(field);
    if (count > static_cast<std::uint64_t>(static_cast<std::size_t>(-1))) {
        r.fail(std::string(field) + ": the document count does not fit std::size_t");
    }
    df.count = static_cast<std::size_t>(count);
    df.fraction = r.read<double>(field);
    return df;
}

// The value stored for a term seen `count` times; for integral T, throws rather than wrap.
template <class T>
[[nodiscard]] T count_value(std::uint64_t count, bool binary, std::string_view where, std::size_t document,
                            std::string_view term) {
    if (binary) return T{1};
    if constexpr (std::is_integral_v<T>) {
        if (count > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
            throw_argument(where, "docs",
                           "document " + std::to_string(document) + ": term '" + std::string(term) + "' occurs " +
                               std::to_string(count) + " times, more than the value type holds (" +
                               std::to_string(std::numeric_limits<T>::max()) + ")");
        }
    }
    return static_cast<T>(count);
}

/// \endcond
}  // namespace detail

/// Learns a vocabulary from documents and counts its terms in documents (see the header
/// comment). T: the matrix values (any arithmetic type but bool; counts of an integral T are
/// checked, never wrapped); Index: the matrix's index type; Allocator: for the matrices
/// returned (the vocabulary itself lives on the global heap).
///
/// Complexity: fit O(B + U log U) for B bytes of text and U distinct tokens (one hash lookup
/// per token, a sort of each document's tokens and of the terms); transform O(B + t log t) per
/// document of t tokens. Memory: the vocabulary (its strings twice: in a hash map and in column
/// order); fit holds every distinct token, and fit_transform the provisional rows.
/// Exceptions: tessera::invalid_argument for bad options (constructor), an empty collection,
/// invalid UTF-8 (naming the document and byte offset), max_df below min_df, no terms left,
/// counts or sizes that do not fit T or Index; not_fitted_error before fit; format_error for a
/// corrupt archive; io_error for unreadable or unwritable files.
/// Thread safety: see the header comment.
template <class T = double, class Index = std::int32_t, class Allocator = std::allocator<T>>
class count_vectorizer {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "T must be an arithmetic type other than bool");
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");

public:
    using options_type = count_vectorizer_options;  ///< the options type
    using value_type = T;                          ///< element type of the output matrices
    using index_type = Index;                      ///< index type of the output matrices
    using allocator_type = Allocator;              ///< allocator of the output and the fitted state
    using matrix_type = csr_matrix<T, Index, Allocator>;  ///< the output type

    /// Throws tessera::invalid_argument for bad options: the tokenizer's, a df count of 0, a df
    /// fraction outside [0, 1], max_features = 0.
    explicit count_vectorizer(count_vectorizer_options options = {}, const Allocator& alloc = Allocator())
        : options_(std::move(options)), tokenizer_(validated(options_)), alloc_(alloc) {}

    /// Learns the vocabulary from `docs` (see the header comment); replaces any earlier one.
    template <document_range Docs>
    void fit(Docs&& docs) {
        learn(docs, false, "count_vectorizer::fit");
    }

    /// fit, then transform of the same documents, in one pass over them.
    template <document_range Docs>
    [[nodiscard]] matrix_type fit_transform(Docs&& docs) {
        return *learn(docs, true, "count_vectorizer::fit_transform");
    }

    /// One row per document of `docs`, vocabulary_size() columns (see the header comment).
    template <document_range Docs>
    [[nodiscard]] matrix_type transform(Docs&& docs) const {
        constexpr std::string_view where = "count_vectorizer::transform";
        detail::require_fitted(fitted(), where);
        detail::csr_row_builder<T, Index, Allocator> out(alloc_, where);
        detail::token_scratch scratch;
        std::vector<std::size_t> columns;
        std::size_t d = 0;
        for (auto&& item : docs) {
            const std::string_view doc(item);
            columns.clear();
            auto add = [&](std::string_view token) {
                if (const auto it = columns_.find(token); it != columns_.end()) columns.push_back(it->second);
            };
            detail::tokenize_document(tokenizer_.options(), doc, add, {where, "docs", d}, scratch);
            std::sort(columns.begin(), columns.end());
            for (std::size_t k = 0; k < columns.size();) {
                std::size_t e = k + 1;
                while (e < columns.size() && columns[e] == columns[k]) ++e;
                out.push(static_cast<Index>(columns[k]),
                         detail::count_value<T>(e - k, options_.binary, where, d, names_[columns[k]]));
                k = e;
            }
            out.finish_row();
            ++d;
        }
        return std::move(out).build(names_.size());
    }

    /// Whether fit (or load) has run.
    [[nodiscard]] bool fitted() const noexcept { return !names_.empty(); }
    /// Columns of the output: the number of terms (0 before fit).
    [[nodiscard]] std::size_t vocabulary_size() const noexcept { return names_.size(); }
    /// The term of a column. Throws tessera::invalid_argument if column >= vocabulary_size().
    [[nodiscard]] const std::string& feature_name(std::size_t column) const {
        if (column >= names_.size()) {
            detail::throw_argument("count_vectorizer::feature_name", "column",
                                   std::to_string(column) + " is not below the vocabulary size " +
                                       std::to_string(names_.size()));
        }
        return names_[column];
    }
    /// Every term, in column order (sorted by UTF-8 bytes); empty before fit.
    [[nodiscard]] std::span<const std::string> feature_names() const noexcept { return names_; }
    /// The column of a term (a token as the tokenizer produces it: lowercased, n-grams joined by
    /// one space), or nullopt if it is not in the vocabulary. O(1) expected.
    [[nodiscard]] std::optional<std::size_t> column_of(std::string_view term) const {
        if (const auto it = columns_.find(term); it != columns_.end()) return it->second;
        return std::nullopt;
    }
    /// The options given at construction.
    [[nodiscard]] const count_vectorizer_options& options() const noexcept { return options_; }
    /// The tokenizer built from options().tokens.
    [[nodiscard]] const tessera::tokenizer& tokenizer() const noexcept { return tokenizer_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "count_vectorizer";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the options and the vocabulary. Throws not_fitted_error before fit, and
    /// tessera::invalid_argument if the tokenizer has a custom rule. O(vocabulary bytes).
    void write_to(archive_writer& w) const {
        constexpr std::string_view where = "count_vectorizer::write_to";
        detail::require_fitted(fitted(), where);
        tokenizer_.write_to(w);
        detail::write_df(w, options_.min_df);
        detail::write_df(w, options_.max_df);
        w.write<bool>(options_.max_features.has_value());
        w.write<std::uint64_t>(options_.max_features.value_or(0));
        w.write<bool>(options_.binary);
        w.write<std::uint64_t>(names_.size());
        for (const std::string& term : names_) w.write_string(term);
    }

    /// Reads a vectorizer written by write_to (all of the archive's payload). Throws
    /// tessera::format_error for anything inconsistent: options a vectorizer rejects, an empty
    /// vocabulary or one larger than max_features or the index type, terms that are empty, not
    /// valid UTF-8, or not strictly increasing.
    [[nodiscard]] static count_vectorizer read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr std::string_view where = "count_vectorizer::read_from: ";
        const tessera::tokenizer tok = tessera::tokenizer::read_from(r);
        count_vectorizer_options o;
        o.tokens = tok.options();
        o.min_df = detail::read_df(r, "min_df");
        o.max_df = detail::read_df(r, "max_df");
        const bool has_max = r.read<bool>("has_max_features");
        const auto max_features = r.read<std::uint64_t>("max_features");
        if (has_max) {
            if (max_features > static_cast<std::uint64_t>(static_cast<std::size_t>(-1))) {
                r.fail(std::string(where) + "max_features does not fit std::size_t");
            }
            o.max_features = static_cast<std::size_t>(max_features);
        } else if (max_features != 0) {
            r.fail(std::string(where) + "max_features is " + std::to_string(max_features) + " but marked absent");
        }
        o.binary = r.read<bool>("binary");
        std::optional<count_vectorizer> v;
        try {
            v.emplace(std::move(o), alloc);
        } catch (const tessera::invalid_argument& e) {
            r.fail(std::string(where) + "invalid options: " + e.what());
        }
        const std::size_t n = r.read_count("vocabulary", sizeof(std::uint64_t));
        if (n == 0) r.fail(std::string(where) + "the vocabulary is empty");
        if (n > static_cast<std::size_t>(std::numeric_limits<Index>::max())) {
            r.fail(std::string(where) + "a vocabulary of " + std::to_string(n) + " terms does not fit the index type");
        }
        if (v->options_.max_features && n > *v->options_.max_features) {
            r.fail(std::string(where) + "a vocabulary of " + std::to_string(n) + " terms exceeds max_features = " +
                   std::to_string(*v->options_.max_features));
        }
        std::vector<std::string> names;
        names.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            names.push_back(r.read_string("vocabulary"));
            const std::string& term = names.back();
            if (term.empty()) r.fail(std::string(where) + "term " + std::to_string(i) + " is empty");
            try {
                detail::unicode::validate(term, {"count_vectorizer::read_from", "vocabulary", i});
            } catch (const tessera::invalid_argument& e) {
                r.fail(e.what());
            }
            if (i > 0 && !(names[i - 1] < term)) {
                r.fail(std::string(where) + "terms " + std::to_string(i - 1) + " and " + std::to_string(i) +
                       " are not in strictly increasing order");
            }
        }
        r.expect_end();
        v->commit(std::move(names));
        return std::move(*v);
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp). Throws as
    /// write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error (another kind,
    /// value or index type; truncation; corruption; inconsistent contents).
    [[nodiscard]] static count_vectorizer load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<count_vectorizer>(path, alloc);
    }

    /// The header of this vectorizer's archives: kind "count_vectorizer", T and Index tags.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, archive_type<Index>::tag};
    }

private:
    static tessera::tokenizer validated(const count_vectorizer_options& o) {
        constexpr std::string_view where = "count_vectorizer";
        detail::validate_df(o.min_df, where, "options.min_df");
        detail::validate_df(o.max_df, where, "options.max_df");
        if (o.max_features && *o.max_features == 0) {
            detail::throw_argument(where, "options.max_features", "must be at least 1 when set, got 0");
        }
        return detail::make_tokenizer(o.tokens, where);
    }

    // Builds the term -> column map for a sorted vocabulary and makes it current.
    void commit(std::vector<std::string> names) {
        detail::term_map columns;
        columns.reserve(names.size());
        for (std::size_t c = 0; c < names.size(); ++c) columns.emplace(names[c], c);
        names_ = std::move(names);
        columns_ = std::move(columns);
    }

    // fit and fit_transform: one pass over the documents; the matrix only when `rows`.
    template <class Docs>
    std::optional<matrix_type> learn(Docs& docs, bool rows, std::string_view where) {
        detail::term_map ids;                        // token -> provisional id (order of appearance)
        std::vector<std::uint64_t> df;               // by provisional id
        std::vector<std::uint64_t> total;            // by provisional id
        std::vector<std::size_t> row_ptr{0};         // provisional rows (when `rows`)
        std::vector<std::size_t> row_ids;
        std::vector<std::uint64_t> row_counts;
        std::vector<std::size_t> doc;                // this document's ids
        detail::token_scratch scratch;
        std::size_t n_docs = 0;
        for (auto&& item : docs) {
            const std::string_view text(item);
            doc.clear();
            auto add = [&](std::string_view token) {
                auto it = ids.find(token);
                if (it == ids.end()) {
                    const std::size_t id = ids.size();
                    it = ids.emplace(std::string(token), id).first;
                    df.push_back(0);
                    total.push_back(0);
                }
                doc.push_back(it->second);
            };
            detail::tokenize_document(tokenizer_.options(), text, add, {where, "docs", n_docs}, scratch);
            std::sort(doc.begin(), doc.end());
            for (std::size_t k = 0; k < doc.size();) {
                std::size_t e = k + 1;
                while (e < doc.size() && doc[e] == doc[k]) ++e;
                ++df[doc[k]];
                total[doc[k]] += e - k;
                if (rows) {
                    row_ids.push_back(doc[k]);
                    row_counts.push_back(e - k);
                }
                k = e;
            }
            if (rows) row_ptr.push_back(row_ids.size());
            ++n_docs;
        }
        if (n_docs == 0) detail::throw_argument(where, "docs", "is empty: at least one document is needed");
        if (ids.empty()) {
            detail::throw_argument(where, "docs",
                                   "no terms remain: the " + std::to_string(n_docs) +
                                       " documents hold no tokens (all empty, or only tokens the rule drops)");
        }

        // Terms in byte order.
        std::vector<const std::string*> sorted_terms(ids.size());
        std::vector<std::size_t> sorted_ids(ids.size());
        {
            std::vector<std::pair<const std::string*, std::size_t>> order;
            order.reserve(ids.size());
            for (const auto& [term, id] : ids) order.emplace_back(&term, id);
            std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
            for (std::size_t i = 0; i < order.size(); ++i) {
                sorted_terms[i] = order[i].first;
                sorted_ids[i] = order[i].second;
            }
        }

        // Document-frequency bounds, then max_features.
        const double low = options_.min_df.in_documents(n_docs);
        const double high = options_.max_df.in_documents(n_docs);
        if (high < low) {
            detail::throw_argument(where, "options.max_df",
                                   "corresponds to fewer documents than min_df (max_df = " + std::to_string(high) +
                                       " documents, min_df = " + std::to_string(low) + " documents, for " +
                                       std::to_string(n_docs) + " documents)");
        }
        std::vector<std::size_t> kept;  // positions in sorted order
        for (std::size_t i = 0; i < sorted_ids.size(); ++i) {
            const auto f = static_cast<double>(df[sorted_ids[i]]);
            if (f >= low && f <= high) kept.push_back(i);
        }
        if (options_.max_features && kept.size() > *options_.max_features) {
            // With binary, scikit-learn ranks by the binary counts' totals: the document frequency.
            const std::vector<std::uint64_t>& rank = options_.binary ? df : total;
            std::stable_sort(kept.begin(), kept.end(), [&](std::size_t a, std::size_t b) {
                return rank[sorted_ids[a]] > rank[sorted_ids[b]];
            });
            kept.resize(*options_.max_features);
            std::sort(kept.begin(), kept.end());
        }
        if (kept.empty()) {
            detail::throw_argument(where, "options",
                                   "no terms remain after pruning: none of the " + std::to_string(ids.size()) +
                                       " terms lies in a document frequency range of [" + std::to_string(low) + ", " +
                                       std::to_string(high) + "] documents; try a lower min_df or a higher max_df");
        }
        if (kept.size() > static_cast<std::size_t>(std::numeric_limits<Index>::max())) {
            detail::throw_argument(where, "docs",
                                   "a vocabulary of " + std::to_string(kept.size()) + " terms does not fit the index type");
        }

        constexpr auto absent = static_cast<std::size_t>(-1);
        std::vector<std::size_t> column_of_id(ids.size(), absent);
        std::vector<std::string> names;
        names.reserve(kept.size());
        for (std::size_t c = 0; c < kept.size(); ++c) {
            column_of_id[sorted_ids[kept[c]]] = c;
            names.push_back(*sorted_terms[kept[c]]);
        }

        std::optional<matrix_type> result;
        if (rows) {
            detail::csr_row_builder<T, Index, Allocator> out(alloc_, where);
            std::vector<std::pair<std::size_t, std::uint64_t>> row;
            for (std::size_t d = 0; d < n_docs; ++d) {
                row.clear();
                for (std::size_t k = row_ptr[d]; k < row_ptr[d + 1]; ++k) {
                    const std::size_t c = column_of_id[row_ids[k]];
                    if (c != absent) row.emplace_back(c, row_counts[k]);
                }
                std::sort(row.begin(), row.end());
                for (const auto& entry : row) {
                    out.push(static_cast<Index>(entry.first),
                             detail::count_value<T>(entry.second, options_.binary, where, d, names[entry.first]));
                }
                out.finish_row();
            }
            result = std::move(out).build(names.size());
        }
        commit(std::move(names));
        return result;
    }

    count_vectorizer_options options_;
    tessera::tokenizer tokenizer_;
    Allocator alloc_;
    std::vector<std::string> names_;
    detail::term_map columns_;
};

}  // namespace tessera
