/// \file
/// tessera/text/tfidf.hpp - term frequency times inverse document frequency: scikit-learn's
/// TfidfTransformer (counts in, weights out) and TfidfVectorizer (documents in).
///
/// ```cpp
///   tessera::tfidf_vectorizer<> tv({.counts = {.min_df = tessera::df_count(2)},
///                                   .tfidf = {.sublinear_tf = true}});
///   auto X = tv.fit_transform(texts);      // rows of unit l2 norm
///   auto Y = tv.transform(new_texts);
/// ```
///
/// fit learns, for each column j of a count matrix with n rows, its document frequency df_j (the
/// rows where the count is > 0) and
///
/// ```
///   idf_j = ln((1 + n) / (1 + df_j)) + 1     with smooth_idf (as if one more row held every term)
///   idf_j = ln(n / df_j) + 1                 without
/// ```
///
/// (natural logarithms). Without smoothing a column with df_j = 0 would have an infinite idf:
/// fit throws tessera::invalid_argument naming the column instead (scikit-learn gives inf).
/// transform maps each stored count c > 0 of a row to
///
/// ```
///   w = tf * idf_j,   tf = c, or 1 + ln(c) with sublinear_tf;   w = tf when !use_idf
/// ```
///
/// computed in double, then scales the row to unit norm (options.norm; an all-zero row stays
/// zero). Stored zeros are dropped. Counts must be finite and non-negative (tf-idf takes counts;
/// fractional counts are accepted).
///
/// Thread safety: const member functions (transform, idf, the vocabulary queries, save) may run
/// concurrently; fit, read_from/load into an existing object and assignment need exclusive
/// access. A failed fit leaves the object as it was.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/text/common.hpp"
#include "tessera/text/count_vectorizer.hpp"

namespace tessera {

/// How a tfidf_transformer weights counts; validated by its constructor.
struct tfidf_options {
    /// Row scaling, applied last.
    norm_kind norm = norm_kind::l2;
    /// Multiply by the inverse document frequency (otherwise the weights are the tf alone).
    bool use_idf = true;
    /// idf = ln((1 + n) / (1 + df)) + 1 instead of ln(n / df) + 1.
    bool smooth_idf = true;
    /// tf = 1 + ln(count) instead of the count.
    bool sublinear_tf = false;
};

/// Turns a count matrix into tf-idf weights (see the header comment). T: the floating-point
/// values of the matrices taken and returned; Index: their index type; Allocator: for the
/// matrices returned.
///
/// Complexity: fit O(rows + nnz + cols); transform O(rows + nnz). Memory: one double per
/// column (the idf). Exceptions: tessera::invalid_argument for a bad norm (constructor), an
/// empty matrix, negative or non-finite counts, a column without counts when !smooth_idf;
/// dimension_mismatch when transform gets another number of columns than fit;
/// not_fitted_error before fit; format_error for a corrupt archive; io_error for files.
/// Thread safety: see the header comment.
template <class T = double, class Index = std::int32_t, class Allocator = std::allocator<T>>
class tfidf_transformer {
    static_assert(std::is_floating_point_v<T>, "T must be a floating-point type");
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");

public:
    using options_type = tfidf_options;  ///< the options type
    using value_type = T;                          ///< element type of the output matrices
    using index_type = Index;                      ///< index type of the output matrices
    using allocator_type = Allocator;              ///< allocator of the output and the fitted state
    using matrix_type = csr_matrix<T, Index, Allocator>;  ///< the output type

    /// Throws tessera::invalid_argument if options.norm is not a norm_kind value.
    explicit tfidf_transformer(tfidf_options options = {}, const Allocator& alloc = Allocator())
        : options_(options), alloc_(alloc) {
        if (!detail::valid_norm(options_.norm)) {
            detail::throw_argument("tfidf_transformer", "options.norm",
                                   "is not a norm_kind value (" + std::to_string(static_cast<unsigned>(options_.norm)) +
                                       ")");
        }
    }

    /// Learns the idf of each column of `counts` (rows: documents; at least one row and one
    /// column). A csr_matrix converts implicitly.
    void fit(csr_view<T, Index> counts) {
        constexpr std::string_view where = "tfidf_transformer::fit";
        if (counts.rows() == 0 || counts.cols() == 0) {
            detail::throw_argument(where, "counts",
                                   "is empty (" + std::to_string(counts.rows()) + " x " + std::to_string(counts.cols()) +
                                       "): at least one row and one column are needed");
        }
        check_counts(counts, where);
        std::vector<double> idf;
        if (options_.use_idf) {
            std::vector<std::size_t> df(counts.cols(), 0);
            const auto indices = counts.indices();
            const auto values = counts.values();
            for (std::size_t k = 0; k < values.size(); ++k) {
                if (values[k] > T{0}) ++df[static_cast<std::size_t>(indices[k])];
            }
            const auto n = static_cast<double>(counts.rows());
            idf.resize(counts.cols());
            for (std::size_t j = 0; j < df.size(); ++j) {
                if (options_.smooth_idf) {
                    idf[j] = std::log((1.0 + n) / (1.0 + static_cast<double>(df[j]))) + 1.0;
                } else if (df[j] == 0) {
                    detail::throw_argument(where, "counts",
                                           "column " + std::to_string(j) +
                                               " has no positive count; with smooth_idf = false its idf ln(n / 0) + 1 "
                                               "would be infinite (use smooth_idf = true, or drop the column)");
                } else {
                    idf[j] = std::log(n / static_cast<double>(df[j])) + 1.0;
                }
            }
        }
        idf_ = std::move(idf);
        n_features_ = counts.cols();
    }

    /// The tf-idf weights of `counts` (same shape; see the header comment).
    [[nodiscard]] matrix_type transform(csr_view<T, Index> counts) const {
        constexpr std::string_view where = "tfidf_transformer::transform";
        detail::require_fitted(fitted(), where);
        if (counts.cols() != n_features_) {
            detail::throw_argument<dimension_mismatch>(where, "counts",
                                                       "has " + std::to_string(counts.cols()) +
                                                           " columns, the transformer was fitted on " +
                                                           std::to_string(n_features_));
        }
        check_counts(counts, where);
        detail::csr_row_builder<T, Index, Allocator> out(alloc_, where);
        for (std::size_t i = 0; i < counts.rows(); ++i) {
            const auto row = counts.row(i);
            for (std::size_t k = 0; k < row.size(); ++k) {
                const auto c = static_cast<double>(row.values[k]);
                if (!(c > 0)) continue;
                double w = options_.sublinear_tf ? 1.0 + std::log(c) : c;
                if (options_.use_idf) w *= idf_[static_cast<std::size_t>(row.indices[k])];
                out.push(row.indices[k], static_cast<T>(w));
            }
            detail::normalize_row(out.open_row(), options_.norm);
            out.finish_row();
        }
        return std::move(out).build(counts.cols());
    }

    /// fit, then transform of the same matrix.
    [[nodiscard]] matrix_type fit_transform(csr_view<T, Index> counts) {
        fit(counts);
        return transform(counts);
    }

    /// Whether the transformer is fitted (n_features() > 0).
    [[nodiscard]] bool fitted() const noexcept { return n_features_ != 0; }
    /// Columns seen at fit (0 before).
    [[nodiscard]] std::size_t n_features() const noexcept { return n_features_; }
    /// The idf of each column (empty before fit, and when !use_idf).
    [[nodiscard]] std::span<const double> idf() const noexcept { return idf_; }
    /// The options given at construction.
    [[nodiscard]] const tfidf_options& options() const noexcept { return options_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "tfidf_transformer";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the options, the number of columns and the idf. Throws not_fitted_error before fit.
    void write_to(archive_writer& w) const {
        detail::require_fitted(fitted(), "tfidf_transformer::write_to");
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.norm));
        w.write<bool>(options_.use_idf);
        w.write<bool>(options_.smooth_idf);
        w.write<bool>(options_.sublinear_tf);
        w.write<std::uint64_t>(n_features_);
        w.write_span(std::span<const double>(idf_));
    }

    /// Reads a transformer written by write_to (all of the archive's payload). Throws
    /// tessera::format_error for anything inconsistent: an unknown norm, no columns, more
    /// columns than Index holds, an idf of the wrong length, an idf that is not finite or below 1.
    [[nodiscard]] static tfidf_transformer read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr std::string_view where = "tfidf_transformer::read_from: ";
        tfidf_options o;
        const auto norm = r.read<std::uint8_t>("norm");
        o.norm = static_cast<norm_kind>(norm);
        if (!detail::valid_norm(o.norm)) r.fail(std::string(where) + "unknown norm " + std::to_string(norm));
        o.use_idf = r.read<bool>("use_idf");
        o.smooth_idf = r.read<bool>("smooth_idf");
        o.sublinear_tf = r.read<bool>("sublinear_tf");
        const auto n = r.read<std::uint64_t>("n_features");
        if (n == 0 || n > static_cast<std::uint64_t>(std::numeric_limits<Index>::max())) {
            r.fail(std::string(where) + "n_features is " + std::to_string(n) + ", outside [1, the index type's maximum]");
        }
        auto idf = r.read_vector<double>("idf");
        r.expect_end();
        if (idf.size() != (o.use_idf ? n : 0)) {
            r.fail(std::string(where) + "the idf has " + std::to_string(idf.size()) + " entries, expected " +
                   std::to_string(o.use_idf ? n : 0));
        }
        for (std::size_t j = 0; j < idf.size(); ++j) {
            if (!std::isfinite(idf[j]) || idf[j] < 1.0) {
                r.fail(std::string(where) + "idf[" + std::to_string(j) + "] = " + std::to_string(idf[j]) +
                       " is not a finite value >= 1");
            }
        }
        tfidf_transformer t(o, alloc);
        t.idf_ = std::move(idf);
        t.n_features_ = static_cast<std::size_t>(n);
        return t;
    }

    /// Saves to a file; throws as write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save; throws io_error (unreadable) or format_error.
    [[nodiscard]] static tfidf_transformer load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<tfidf_transformer>(path, alloc);
    }

    /// The header of this transformer's archives: kind "tfidf_transformer", T and Index tags.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, archive_type<Index>::tag};
    }

private:
    static void check_counts(const csr_view<T, Index>& counts, std::string_view where) {
        for (std::size_t i = 0; i < counts.rows(); ++i) {
            const auto row = counts.row(i);
            for (std::size_t k = 0; k < row.size(); ++k) {
                const T v = row.values[k];
                if (!std::isfinite(v) || v < T{0}) {
                    detail::throw_argument(where, "counts",
                                           "holds " + std::to_string(static_cast<double>(v)) + " at row " +
                                               std::to_string(i) + ", column " + std::to_string(row.indices[k]) +
                                               ": counts must be finite and non-negative");
                }
            }
        }
    }

    tfidf_options options_;
    Allocator alloc_;
    std::vector<double> idf_;
    std::size_t n_features_ = 0;
};

/// The options of a tfidf_vectorizer: those of its count_vectorizer and its tfidf_transformer.
struct tfidf_vectorizer_options {
    count_vectorizer_options counts{};  ///< tokenization and vocabulary
    tfidf_options tfidf{};              ///< weighting and normalization
};

/// Documents to tf-idf weights: a count_vectorizer followed by a tfidf_transformer
/// (scikit-learn's TfidfVectorizer; see both classes for the details). Columns are the count
/// vectorizer's vocabulary.
///
/// Complexity, exceptions: those of the two parts. Saved as one archive holding both parts'
/// archives. Thread safety: const member functions may run concurrently; fit, read_from/load
/// into an existing object and assignment need exclusive access. A failed fit leaves the
/// vectorizer as it was.
template <class T = double, class Index = std::int32_t, class Allocator = std::allocator<T>>
class tfidf_vectorizer {
public:
    using counts_type = count_vectorizer<T, Index, Allocator>;         ///< the counting part
    using transformer_type = tfidf_transformer<T, Index, Allocator>;  ///< the weighting part
    using options_type = tfidf_vectorizer_options;  ///< the options type
    using value_type = T;                           ///< element type of the output matrices
    using index_type = Index;                       ///< index type of the output matrices
    using allocator_type = Allocator;               ///< allocator of the output and the fitted state
    using matrix_type = csr_matrix<T, Index, Allocator>;  ///< the output type

    /// Throws tessera::invalid_argument for bad options of either part.
    explicit tfidf_vectorizer(tfidf_vectorizer_options options = {}, const Allocator& alloc = Allocator())
        : counts_(std::move(options.counts), alloc), tfidf_(options.tfidf, alloc) {}

    /// Learns the vocabulary and the idf from `docs`.
    template <document_range Docs>
    void fit(Docs&& docs) {
        (void)fit_transform(docs);
    }

    /// fit, then transform of the same documents, tokenizing them once.
    template <document_range Docs>
    [[nodiscard]] matrix_type fit_transform(Docs&& docs) {
        counts_type counts(counts_.options(), counts_.get_allocator());
        const auto x = counts.fit_transform(docs);
        transformer_type tfidf(tfidf_.options(), tfidf_.get_allocator());
        auto result = tfidf.fit_transform(x);
        counts_ = std::move(counts);
        tfidf_ = std::move(tfidf);
        return result;
    }

    /// The tf-idf rows of `docs` (vocabulary_size() columns).
    template <document_range Docs>
    [[nodiscard]] matrix_type transform(Docs&& docs) const {
        detail::require_fitted(fitted(), "tfidf_vectorizer::transform");
        return tfidf_.transform(counts_.transform(docs));
    }

    /// Whether both parts are fitted.
    [[nodiscard]] bool fitted() const noexcept { return counts_.fitted() && tfidf_.fitted(); }
    /// Number of terms, the columns of the output (0 before fit).
    [[nodiscard]] std::size_t vocabulary_size() const noexcept { return counts_.vocabulary_size(); }
    /// The term of a column; throws tessera::invalid_argument for a column out of range.
    [[nodiscard]] const std::string& feature_name(std::size_t column) const { return counts_.feature_name(column); }
    /// The term of every column, in column order (count_vectorizer::feature_names).
    [[nodiscard]] std::span<const std::string> feature_names() const noexcept { return counts_.feature_names(); }
    /// The column of a term, or nullopt (count_vectorizer::column_of). O(1) expected.
    [[nodiscard]] std::optional<std::size_t> column_of(std::string_view term) const { return counts_.column_of(term); }
    /// The idf of each column (empty before fit and when !options.tfidf.use_idf).
    [[nodiscard]] std::span<const double> idf() const noexcept { return tfidf_.idf(); }
    /// The options of both parts (a copy).
    [[nodiscard]] tfidf_vectorizer_options options() const { return {counts_.options(), tfidf_.options()}; }
    ///@{
    /// The two parts.
    [[nodiscard]] const counts_type& counter() const noexcept { return counts_; }
    [[nodiscard]] const transformer_type& transformer() const noexcept { return tfidf_; }
    ///@}
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return counts_.get_allocator(); }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "tfidf_vectorizer";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes both parts, each as a complete nested archive. Throws not_fitted_error before
    /// fit, tessera::invalid_argument for a custom token rule.
    void write_to(archive_writer& w) const {
        detail::require_fitted(fitted(), "tfidf_vectorizer::write_to");
        write_nested(w, counts_);
        write_nested(w, tfidf_);
    }

    /// Reads a vectorizer written by write_to; throws tessera::format_error for anything
    /// inconsistent in either part, or parts that disagree on the number of columns.
    [[nodiscard]] static tfidf_vectorizer read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        auto counts = read_nested<counts_type>(r, "counts", "tfidf_vectorizer.counts", alloc);
        auto tfidf = read_nested<transformer_type>(r, "tfidf", "tfidf_vectorizer.tfidf", alloc);
        r.expect_end();
        if (tfidf.n_features() != counts.vocabulary_size()) {
            r.fail("tfidf_vectorizer::read_from: the tf-idf part has " + std::to_string(tfidf.n_features()) +
                   " columns for a vocabulary of " + std::to_string(counts.vocabulary_size()) + " terms");
        }
        tfidf_vectorizer v({counts.options(), tfidf.options()}, alloc);
        v.counts_ = std::move(counts);
        v.tfidf_ = std::move(tfidf);
        return v;
    }

    /// Saves to a file; throws as write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save; throws io_error (unreadable) or format_error.
    [[nodiscard]] static tfidf_vectorizer load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<tfidf_vectorizer>(path, alloc);
    }

    /// The header of this vectorizer's archives: kind "tfidf_vectorizer", T and Index tags.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, archive_type<Index>::tag};
    }

private:
    counts_type counts_;
    transformer_type tfidf_;
};

}  // namespace tessera
