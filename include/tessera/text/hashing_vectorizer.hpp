/// \file
/// tessera/text/hashing_vectorizer.hpp - term counts hashed into a fixed number of columns, with
/// no vocabulary: scikit-learn's HashingVectorizer, reproduced exactly.
///
/// ```cpp
///   tessera::hashing_vectorizer<> hv({.bits = 18});
///   auto X = hv.transform(texts);          // texts.size() x 2^18, rows of unit l2 norm
/// ```
///
/// Each token (tessera::tokenizer, options.tokens) is hashed with MurmurHash3 x86 32-bit, seed
/// 0, over its UTF-8 bytes; the 32-bit result read as a signed integer h gives
///
/// ```
///   column = |h| mod 2^bits        (h = INT32_MIN, whose |h| overflows: (2^31 - 2^bits) mod 2^bits)
///   sign   = +1 if h >= 0, else -1 (always +1 without alternate_sign)
/// ```
///
/// and adds sign to that column of the document's row. Entries of a row that land on the same
/// column are summed; an entry whose contributions cancel is kept as a stored 0, as scikit-learn
/// keeps it. Then, as in scikit-learn: with binary every stored entry becomes 1 (even a negative
/// or cancelled one), and the row is scaled to unit norm (options.norm; an all-zero row stays
/// zero).
///
/// Thread safety: a hashing_vectorizer is immutable after construction; transform may run
/// concurrently (a custom token rule must then be safe to call concurrently).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
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
#include "tessera/text/tokenizer.hpp"

namespace tessera {

/// MurmurHash3_x86_32 (Austin Appleby's public-domain hash, written here from its description)
/// of `data`'s bytes with `seed`. Blocks of 4 bytes are read little-endian whatever the
/// platform, so results are the same everywhere. O(size).
[[nodiscard]] constexpr std::uint32_t murmurhash3_x86_32(std::string_view data, std::uint32_t seed = 0) noexcept {
    constexpr std::uint32_t c1 = 0xcc9e2d51u;
    constexpr std::uint32_t c2 = 0x1b873593u;
    const std::size_t n = data.size();
    std::uint32_t h = seed;
    auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])); };
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        std::uint32_t k = byte(i) | (byte(i + 1) << 8) | (byte(i + 2) << 16) | (byte(i + 3) << 24);
        k *= c1;
        k = std::rotl(k, 15);
        k *= c2;
        h ^= k;
        h = std::rotl(h, 13);
        h = h * 5u + 0xe6546b64u;
    }
    std::uint32_t k = 0;
    switch (n & 3u) {
        case 3: k ^= byte(i + 2) << 16; [[fallthrough]];
        case 2: k ^= byte(i + 1) << 8; [[fallthrough]];
        case 1:
            k ^= byte(i);
            k *= c1;
            k = std::rotl(k, 15);
            k *= c2;
            h ^= k;
            break;
        default: break;
    }
    h ^= static_cast<std::uint32_t>(n);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/// A token's column and sign among `n_features` columns (scikit-learn's rule; see the header
/// comment). n_features must be at least 1.
struct hashed_feature {
    std::size_t column;  ///< in [0, n_features)
    int sign;  ///< +1 or -1 (the sign of the hash read as int32)
};

namespace detail {
/// \cond

/// scikit-learn's column and sign for a hash `h` read as int32 (n_features >= 1).
[[nodiscard]] constexpr hashed_feature hashed_column(std::int32_t h, std::size_t n_features) noexcept {
    const auto n = static_cast<std::uint64_t>(n_features);
    std::uint64_t column = 0;
    if (h == std::numeric_limits<std::int32_t>::min()) {
        column = (std::uint64_t{2147483647} - (n - 1)) % n;  // |h| would overflow int32
    } else {
        column = static_cast<std::uint64_t>(h < 0 ? -static_cast<std::int64_t>(h) : static_cast<std::int64_t>(h)) % n;
    }
    return {static_cast<std::size_t>(column), h >= 0 ? 1 : -1};
}

/// \endcond
}  // namespace detail

/// The column and sign of `token` among `n_features` columns: MurmurHash3 (x86, 32 bits, seed
/// 0) of its bytes, mapped as scikit-learn's HashingVectorizer maps it. O(token.size()).
/// Precondition: n_features >= 1 (not checked).
[[nodiscard]] constexpr hashed_feature hash_feature(std::string_view token, std::size_t n_features) noexcept {
    return detail::hashed_column(static_cast<std::int32_t>(murmurhash3_x86_32(token, 0)), n_features);
}

/// How a hashing_vectorizer maps documents to rows; validated by its constructor.
struct hashing_vectorizer_options {
    /// How documents are split into tokens and n-grams.
    tokenizer_options tokens{};
    /// Columns: 2^bits, with 1 <= bits <= 30 (and 2^bits must fit the index type).
    unsigned bits = 20;
    /// Give a token the sign of its hash, so that collisions tend to cancel.
    bool alternate_sign = true;
    /// Row scaling, applied last.
    norm_kind norm = norm_kind::l2;
    /// Store 1 for every stored entry instead of the signed count (before the norm).
    bool binary = false;
};

/// Hashes documents' tokens into 2^bits columns (see the header comment). T: the floating-point
/// matrix values; Index: the matrix's index type; Allocator: for the matrices returned.
///
/// Complexity: transform O(B + t log t) per document of B bytes and t tokens (a hash per token,
/// a sort of the row's columns). Memory: the output, and O(t) scratch.
/// Exceptions: tessera::invalid_argument for bad options (constructor) and invalid UTF-8
/// (naming the document and byte offset), or more stored entries than Index holds.
/// Thread safety: see the header comment.
template <class T = double, class Index = std::int32_t, class Allocator = std::allocator<T>>
class hashing_vectorizer {
    static_assert(std::is_floating_point_v<T>, "T must be a floating-point type");
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");

public:
    using options_type = hashing_vectorizer_options;  ///< the options type
    using value_type = T;                          ///< element type of the output matrices
    using index_type = Index;                      ///< index type of the output matrices
    using allocator_type = Allocator;              ///< allocator of the output and the fitted state
    using matrix_type = csr_matrix<T, Index, Allocator>;  ///< the output type

    /// Throws tessera::invalid_argument for bad options: the tokenizer's, bits outside [1, 30]
    /// or too large for Index, a norm that is not a norm_kind value.
    explicit hashing_vectorizer(hashing_vectorizer_options options = {}, const Allocator& alloc = Allocator())
        : options_(std::move(options)), tokenizer_(validated(options_)), alloc_(alloc) {}

    /// Learns nothing: the columns come from a hash, not from the documents, which are not read.
    /// It exists so that the vectorizer is a transformer (compose/roles.hpp) like the others and
    /// can open a pipeline.
    template <document_range Docs>
    void fit(Docs&& /*docs*/) const noexcept {}

    /// transform(docs): there is nothing to fit.
    template <document_range Docs>
    [[nodiscard]] matrix_type fit_transform(Docs&& docs) const {
        return transform(std::forward<Docs>(docs));
    }

    /// Always true: a hashing vectorizer is ready on construction.
    [[nodiscard]] bool fitted() const noexcept { return true; }

    /// One row per document of `docs`, n_features() columns (see the header comment).
    template <document_range Docs>
    [[nodiscard]] matrix_type transform(Docs&& docs) const {
        constexpr std::string_view where = "hashing_vectorizer::transform";
        const std::size_t n = n_features();
        detail::csr_row_builder<T, Index, Allocator> out(alloc_, where);
        detail::token_scratch scratch;
        std::vector<std::pair<std::size_t, int>> hits;
        std::size_t d = 0;
        for (auto&& item : docs) {
            const std::string_view doc(item);
            hits.clear();
            auto add = [&](std::string_view token) {
                const hashed_feature f = hash_feature(token, n);
                hits.emplace_back(f.column, options_.alternate_sign ? f.sign : 1);
            };
            detail::tokenize_document(tokenizer_.options(), doc, add, {where, "docs", d}, scratch);
            std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (std::size_t k = 0; k < hits.size();) {
                double sum = 0;
                std::size_t e = k;
                for (; e < hits.size() && hits[e].first == hits[k].first; ++e) sum += hits[e].second;
                out.push(static_cast<Index>(hits[k].first), options_.binary ? T{1} : static_cast<T>(sum));
                k = e;
            }
            detail::normalize_row(out.open_row(), options_.norm);
            out.finish_row();
            ++d;
        }
        return std::move(out).build(n);
    }

    /// Columns of the output: 2^bits.
    [[nodiscard]] std::size_t n_features() const noexcept { return std::size_t{1} << options_.bits; }
    /// The options given at construction.
    [[nodiscard]] const hashing_vectorizer_options& options() const noexcept { return options_; }
    /// The tokenizer built from options().tokens.
    [[nodiscard]] const tessera::tokenizer& tokenizer() const noexcept { return tokenizer_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    // ---- persistence -----------------------------------------------------------------------
    // A hashing_vectorizer learns nothing, but a saved pipeline must hash as it did: its
    // archive holds the options.

    static constexpr const char* archive_kind = "hashing_vectorizer";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the options. Throws tessera::invalid_argument if the tokenizer has a custom rule
    /// (a function cannot be saved). O(1).
    void write_to(archive_writer& w) const {
        tokenizer_.write_to(w);
        w.write<std::uint32_t>(options_.bits);
        w.write<bool>(options_.alternate_sign);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.norm));
        w.write<bool>(options_.binary);
    }

    /// Reads a vectorizer written by write_to (all of the archive's payload). Throws
    /// tessera::format_error for options a hashing_vectorizer rejects or an unknown norm.
    [[nodiscard]] static hashing_vectorizer read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr std::string_view where = "hashing_vectorizer::read_from: ";
        const tessera::tokenizer tok = tessera::tokenizer::read_from(r);
        hashing_vectorizer_options o;
        o.tokens = tok.options();
        o.bits = r.read<std::uint32_t>("bits");
        o.alternate_sign = r.read<bool>("alternate_sign");
        const auto norm = r.read<std::uint8_t>("norm");
        o.norm = static_cast<norm_kind>(norm);
        if (!detail::valid_norm(o.norm)) r.fail(std::string(where) + "unknown norm " + std::to_string(norm));
        o.binary = r.read<bool>("binary");
        r.expect_end();
        try {
            return hashing_vectorizer(std::move(o), alloc);
        } catch (const tessera::invalid_argument& e) {
            r.fail(std::string(where) + "invalid options: " + e.what());
        }
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp). Throws as
    /// write_to, and io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const {
        save_archive(*this, path);
    }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error (another kind,
    /// value or index type; truncation; corruption; inconsistent contents).
    [[nodiscard]] static hashing_vectorizer load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<hashing_vectorizer>(path, alloc);
    }

    /// The header of this vectorizer's archives: kind "hashing_vectorizer", T and Index tags.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, archive_type<Index>::tag};
    }

private:
    static tessera::tokenizer validated(const hashing_vectorizer_options& o) {
        constexpr std::string_view where = "hashing_vectorizer";
        if (o.bits < 1 || o.bits > 30) {
            detail::throw_argument(where, "options.bits", "must lie in [1, 30], got " + std::to_string(o.bits));
        }
        if ((std::uint64_t{1} << o.bits) > static_cast<std::uint64_t>(std::numeric_limits<Index>::max())) {
            detail::throw_argument(where, "options.bits",
                                   "2^" + std::to_string(o.bits) + " columns do not fit the index type");
        }
        if (!detail::valid_norm(o.norm)) {
            detail::throw_argument(where, "options.norm",
                                   "is not a norm_kind value (" + std::to_string(static_cast<unsigned>(o.norm)) + ")");
        }
        return detail::make_tokenizer(o.tokens, where);
    }

    hashing_vectorizer_options options_;
    tessera::tokenizer tokenizer_;
    Allocator alloc_;
};

}  // namespace tessera
