// tessera/preprocessing/detail/common.hpp - what the per-column transformers of
// preprocessing/ share: fitted state (feature and row counts, allocator), the width check of
// transform, and persistence of a shape and of per-feature vectors of doubles. Internal: users
// name the transformers.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"

namespace tessera::detail {
/// \cond

// Throws dimension_mismatch unless X's width equals the width seen at fit. A dense X without
// rows has no meaningful width, so only sparse X (whose shape is declared) is checked then.
template <class In>
void require_fitted_width(const In& in, std::size_t n_features, const char* where) {
    if ((in.rows() > 0 || is_sparse_input<In>) && in.cols() != n_features) {
        throw_argument<dimension_mismatch>(where, "X",
                                           "has " + std::to_string(in.cols()) + " columns but the model was fitted on " +
                                               std::to_string(n_features));
    }
}

/// \endcond

/// What the per-column transformers of preprocessing/ share (the scalers through column_scaler,
/// and simple_imputer): the fitted shape, the allocator, save and load. Users name the
/// transformers, never this base. Derived names its archive kind (archive_kind) and provides
/// write_to and read_from.
template <class Derived, class T, class Allocator>
class column_model {
    /// \cond
protected:
    using value_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<T>;
    using double_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<double>;
    using double_vector = std::vector<double, double_allocator>;

    /// \endcond
public:
    using value_type = T;                                  ///< element type of X and of the output
    using allocator_type = Allocator;                      ///< allocator of the fitted state
    using dense_output = dense_matrix<T, value_allocator>;  ///< what transform returns for dense X

    /// Whether fit (or load) has run.
    [[nodiscard]] bool fitted() const noexcept { return n_features_ > 0; }
    /// Columns of X at fit (0 before).
    [[nodiscard]] std::size_t n_features() const noexcept { return n_features_; }
    /// Rows of X at fit.
    [[nodiscard]] std::size_t n_samples_seen() const noexcept { return n_samples_seen_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp). Throws
    /// not_fitted_error before fit, io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const { save_archive(derived(), path); }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error.
    [[nodiscard]] static Derived load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<Derived>(path, alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, element type.
    [[nodiscard]] static archive_header header() {
        return archive_header{Derived::archive_kind, 1, archive_type<T>::tag, type_tag::none};
    }

    /// \cond
protected:
    explicit column_model(const Allocator& alloc) : alloc_(alloc) {}

    [[nodiscard]] Derived& derived() noexcept { return static_cast<Derived&>(*this); }
    [[nodiscard]] const Derived& derived() const noexcept { return static_cast<const Derived&>(*this); }

    [[nodiscard]] double_vector make_vector(const std::vector<double>& v) const {
        return double_vector(v.begin(), v.end(), double_allocator(alloc_));
    }

    template <class In>
    void require_width(const In& in, const char* where) const {
        require_fitted_width(in, n_features_, where);
    }

    // The shape fields of an archive; read_shape returns the feature count.
    void write_shape(archive_writer& w) const {
        require_fitted(fitted(), std::string(Derived::archive_kind) + "::write_to");
        w.write<std::uint64_t>(n_features_);
        w.write<std::uint64_t>(n_samples_seen_);
    }
    void read_shape(archive_reader& r, const char* where) {
        n_features_ = static_cast<std::size_t>(r.read<std::uint64_t>("n_features"));
        n_samples_seen_ = static_cast<std::size_t>(r.read<std::uint64_t>("n_samples_seen"));
        if (n_features_ == 0 || n_samples_seen_ == 0) r.fail(std::string(where) + ": no features or no rows");
    }
    // Reads a vector of n_features finite doubles (positive with Positive).
    template <bool Positive = false>
    [[nodiscard]] double_vector read_column_vector(archive_reader& r, const char* field, const char* where) const {
        auto v = r.read_vector<double, double_allocator>(field, double_allocator(alloc_));
        if (v.size() != n_features_) {
            r.fail(std::string(where) + ": " + field + " has " + std::to_string(v.size()) + " values for " +
                   std::to_string(n_features_) + " features");
        }
        for (const double x : v) {
            if (!std::isfinite(x) || (Positive && !(x > 0))) {
                r.fail(std::string(where) + ": a value of " + field + " is not finite" + (Positive ? " or not positive" : ""));
            }
        }
        return v;
    }

    std::size_t n_features_ = 0;
    std::size_t n_samples_seen_ = 0;
    Allocator alloc_;
    /// \endcond
};

}  // namespace tessera::detail
