/// \file
/// tessera/distance/metrics.hpp - distance and similarity metrics as objects with traits, on
/// top of the runtime-dispatched kernels of tessera/simd/kernels.hpp.
///
/// ```cpp
///   tessera::sq_euclidean m;
///   float d = m(std::span<const float>(a), std::span<const float>(b));
///   tessera::one_to_many(m, query, rows, out);          // distances to every row of a matrix
/// ```
///
/// A metric is any type with a `static constexpr metric_traits traits` and a call operator on two
/// spans of equal length; user-defined metrics satisfy the same `distance_metric` concept and
/// are called directly (inlined) by the algorithms that take them.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "tessera/core/error.hpp"
#include "tessera/core/matrix_view.hpp"
#include "tessera/simd/kernels.hpp"

namespace tessera {

/// What a metric's numbers mean, for algorithms that need to know.
struct metric_traits {
    /// A true metric: non-negative, symmetric, zero only for equal inputs, triangle inequality
    /// (tree indexes rely on the last one).
    bool is_metric = false;
    /// Larger means closer (inner product). Otherwise smaller means closer.
    bool is_similarity = false;
    /// Many-to-many evaluation can use precomputed row norms (||x||^2 + ||y||^2 - 2x.y, cosine).
    bool uses_norms = false;
    /// Works on bit-packed 64-bit words rather than numbers.
    bool on_bits = false;
};

/// A metric object: `m(a, b)` on a span of Q and a span of R (by default the same type) returns
/// an arithmetic value, and `M::traits` says what it means. Satisfied by the metrics below and
/// by user-defined ones.
template <class M, class Q, class R = Q>
concept distance_metric = requires(const M& m, std::span<const Q> a, std::span<const R> b) {
    { M::traits } -> std::convertible_to<metric_traits>;
    { m(a, b) } -> std::convertible_to<double>;
};

/// The element pairs the built-in numeric metrics have kernels for: float x float and
/// double x double (results in that type), int8 x int8 and uint8 x uint8 (exact int64 sums;
/// Euclidean and cosine in double), and the mixed pairs of simd::mixed_pair, such as a float
/// query against bfloat16, half or int8 rows (results in float).
template <class A, class B>
concept kernel_pair = (std::same_as<A, B> && (simd::kernel_float<A> || simd::kernel_byte<A>)) || simd::mixed_pair<A, B>;

namespace detail {
/// \cond
inline void require_same_length(std::size_t a, std::size_t b, const char* where) {
    if (a != b) {
        throw_argument<dimension_mismatch>(where, "b",
                                           "has " + std::to_string(b) + " elements but 'a' has " + std::to_string(a));
    }
}

/// \endcond

/// The checked call operators of the numeric metrics (sq_euclidean, euclidean, inner_product,
/// negative_inner_product, cosine_distance, manhattan), written once: Derived provides `name`
/// and the unchecked `raw(a, b, n)`. Users name the metrics, never this base.
template <class Derived>
struct float_metric {
    /// The metric's value for two float rows: Derived::raw on their elements, O(n). Throws
    /// dimension_mismatch when their lengths differ. The same-type overloads are not templates,
    /// so vectors and mutable spans convert implicitly.
    [[nodiscard]] float operator()(std::span<const float> a, std::span<const float> b) const { return call(a, b); }
    /// The same for two double rows.
    [[nodiscard]] double operator()(std::span<const double> a, std::span<const double> b) const { return call(a, b); }
    /// The same for two int8 rows (the value type is that of Derived::raw for int8).
    [[nodiscard]] auto operator()(std::span<const std::int8_t> a, std::span<const std::int8_t> b) const {
        return call(a, b);
    }
    /// The same for two uint8 rows.
    [[nodiscard]] auto operator()(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) const {
        return call(a, b);
    }
    /// The same for a mixed pair (simd::mixed_pair: float against half, bfloat16 or int8, or two
    /// half or two bfloat16 rows), computed in float; pass spans.
    template <class A, class B>
        requires simd::mixed_pair<A, B>
    [[nodiscard]] float operator()(std::span<const A> a, std::span<const B> b) const {
        return call(a, b);
    }

    /// \cond
private:
    template <class A, class B>
    static auto call(std::span<const A> a, std::span<const B> b) {
        require_same_length(a.size(), b.size(), Derived::name);
        return Derived::raw(a.data(), b.data(), a.size());
    }
    /// \endcond
};
}  // namespace detail

/// Squared Euclidean distance, sum (a_i - b_i)^2. Not a true metric (no triangle inequality)
/// but ranks neighbours exactly as `euclidean` does, without the square root.
struct sq_euclidean : detail::float_metric<sq_euclidean> {
    static constexpr const char* name = "sq_euclidean";  ///< name in messages and saved models
    /// What the values mean. The checked call `m(a, b)` on two spans (which must have equal
    /// lengths, else dimension_mismatch) is inherited for float, double, int8, uint8 and the
    /// mixed pairs.
    static constexpr metric_traits traits{.is_metric = false, .is_similarity = false, .uses_norms = true};
    /// The distance of n elements at `a` and `b`, unchecked (the kernels of simd/kernels.hpp).
    /// O(n).
    template <class A, class B>
        requires kernel_pair<A, B>
    [[nodiscard]] static auto raw(const A* a, const B* b, std::size_t n) noexcept {
        return simd::l2sq(a, b, n);
    }
};

/// Euclidean distance, sqrt(sum (a_i - b_i)^2). A true metric.
struct euclidean : detail::float_metric<euclidean> {
    static constexpr const char* name = "euclidean";  ///< name in messages and saved models
    /// What the values mean. The checked call `m(a, b)` on two spans (which must have equal
    /// lengths, else dimension_mismatch) is inherited for float, double, int8, uint8 and the
    /// mixed pairs.
    static constexpr metric_traits traits{.is_metric = true, .is_similarity = false, .uses_norms = true};
    /// The distance of n elements at `a` and `b`, unchecked (the kernels of simd/kernels.hpp).
    /// O(n).
    template <class A, class B>
        requires kernel_pair<A, B>
    [[nodiscard]] static auto raw(const A* a, const B* b, std::size_t n) noexcept {
        return std::sqrt(simd::l2sq(a, b, n));  // double for the exact integer sums
    }
};

/// Inner product a.b as a similarity: larger is closer (maximum inner product search).
struct inner_product : detail::float_metric<inner_product> {
    static constexpr const char* name = "inner_product";  ///< name in messages and saved models
    /// What the values mean. The checked call `m(a, b)` on two spans (which must have equal
    /// lengths, else dimension_mismatch) is inherited for float, double, int8, uint8 and the
    /// mixed pairs.
    static constexpr metric_traits traits{.is_metric = false, .is_similarity = true, .uses_norms = false};
    /// The distance of n elements at `a` and `b`, unchecked (the kernels of simd/kernels.hpp).
    /// O(n).
    template <class A, class B>
        requires kernel_pair<A, B>
    [[nodiscard]] static auto raw(const A* a, const B* b, std::size_t n) noexcept {
        return simd::dot(a, b, n);
    }
};

/// The inner product negated, -a.b, so that smaller is closer like every other distance.
struct negative_inner_product : detail::float_metric<negative_inner_product> {
    static constexpr const char* name = "negative_inner_product";  ///< name in messages and saved models
    /// What the values mean. The checked call `m(a, b)` on two spans (which must have equal
    /// lengths, else dimension_mismatch) is inherited for float, double, int8, uint8 and the
    /// mixed pairs.
    static constexpr metric_traits traits{.is_metric = false, .is_similarity = false, .uses_norms = false};
    /// The distance of n elements at `a` and `b`, unchecked (the kernels of simd/kernels.hpp).
    /// O(n).
    template <class A, class B>
        requires kernel_pair<A, B>
    [[nodiscard]] static auto raw(const A* a, const B* b, std::size_t n) noexcept {
        return -simd::dot(a, b, n);
    }
};

/// Cosine distance, 1 - a.b / (||a|| ||b||), clamped to [0, 2] against rounding.
/// A zero vector has no direction: when either input is all zeros the cosine similarity is
/// taken as 0 and the distance is 1 (as scikit-learn's cosine_distances does), also for two
/// zero vectors. Not a true metric. NaN inputs give NaN.
struct cosine_distance : detail::float_metric<cosine_distance> {
    static constexpr const char* name = "cosine_distance";  ///< name in messages and saved models
    /// What the values mean. The checked call `m(a, b)` on two spans (which must have equal
    /// lengths, else dimension_mismatch) is inherited for float, double, int8, uint8 and the
    /// mixed pairs.
    static constexpr metric_traits traits{.is_metric = false, .is_similarity = false, .uses_norms = true};
    /// The distance from a.b and the squared norms, with the zero-vector rule and the clamping
    /// above.
    template <simd::kernel_float T>
    [[nodiscard]] static T from_parts(T dot, T norm_a_sq, T norm_b_sq) noexcept {
        if (norm_a_sq == T(0) || norm_b_sq == T(0)) return T(1);
        const T d = T(1) - dot / (std::sqrt(norm_a_sq) * std::sqrt(norm_b_sq));
        return d < T(0) ? T(0) : (d > T(2) ? T(2) : d);  // NaN passes through both comparisons
    }
    /// The distance of n elements at `a` and `b`, unchecked (the kernels of simd/kernels.hpp).
    /// O(n).
    template <class A, class B>
        requires kernel_pair<A, B>
    [[nodiscard]] static auto raw(const A* a, const B* b, std::size_t n) noexcept {
        const auto p = simd::cosine_parts(a, b, n);
        if constexpr (std::is_integral_v<decltype(p.dot)>) {  // exact byte sums: the ratio in double
            return from_parts(static_cast<double>(p.dot), static_cast<double>(p.norm_a),
                              static_cast<double>(p.norm_b));
        } else {
            return from_parts(p.dot, p.norm_a, p.norm_b);
        }
    }
};

/// Manhattan (L1) distance, sum |a_i - b_i|. A true metric.
struct manhattan : detail::float_metric<manhattan> {
    static constexpr const char* name = "manhattan";  ///< name in messages and saved models
    /// What the values mean. The checked call `m(a, b)` on two spans (which must have equal
    /// lengths, else dimension_mismatch) is inherited for float, double, int8, uint8 and the
    /// mixed pairs.
    static constexpr metric_traits traits{.is_metric = true, .is_similarity = false, .uses_norms = false};
    /// The distance of n elements at `a` and `b`, unchecked (the kernels of simd/kernels.hpp).
    /// O(n).
    template <class A, class B>
        requires kernel_pair<A, B>
    [[nodiscard]] static auto raw(const A* a, const B* b, std::size_t n) noexcept {
        return simd::l1(a, b, n);
    }
};

/// Hamming distance between bit-packed vectors (64 bits per word): the number of differing
/// bits. Exact. A true metric.
struct hamming {
    /// A true metric on bit-packed words.
    static constexpr metric_traits traits{.is_metric = true, .is_similarity = false, .uses_norms = false, .on_bits = true};
    /// The distance of `words` 64-bit words at `a` and `b`, unchecked. O(words).
    [[nodiscard]] static std::uint64_t raw(const std::uint64_t* a, const std::uint64_t* b, std::size_t words) noexcept {
        return simd::hamming(a, b, words);
    }
    /// The distance of two word spans of equal length (else dimension_mismatch). O(words).
    [[nodiscard]] std::uint64_t operator()(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b) const {
        detail::require_same_length(a.size(), b.size(), "hamming");
        return raw(a.data(), b.data(), a.size());
    }
};

/// Jaccard distance between bit-packed sets, 1 - |a AND b| / |a OR b|; two empty sets are at
/// distance 0. A true metric. The bit counts are exact; the ratio is rounded once.
struct jaccard {
    /// A true metric on bit-packed words.
    static constexpr metric_traits traits{.is_metric = true, .is_similarity = false, .uses_norms = false, .on_bits = true};
    /// The distance of `words` 64-bit words at `a` and `b`, unchecked. O(words).
    [[nodiscard]] static double raw(const std::uint64_t* a, const std::uint64_t* b, std::size_t words) noexcept {
        const auto p = simd::jaccard_parts(a, b, words);
        if (p.union_ == 0) return 0.0;
        return static_cast<double>(p.union_ - p.intersection) / static_cast<double>(p.union_);
    }
    /// The distance of two word spans of equal length (else dimension_mismatch). O(words).
    [[nodiscard]] double operator()(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b) const {
        detail::require_same_length(a.size(), b.size(), "jaccard");
        return raw(a.data(), b.data(), a.size());
    }
};

namespace detail {
/// \cond
template <class M, class Q, class E, class R>
void one_to_many_rows(const M& metric, std::span<const Q> query, matrix_view<const E> rows, std::span<R> out) {
    if (query.size() != rows.cols()) {
        throw_argument<dimension_mismatch>("one_to_many", "query",
                                           "has " + std::to_string(query.size()) + " elements but the rows have " +
                                               std::to_string(rows.cols()));
    }
    if (out.size() != rows.rows()) {
        throw_argument<dimension_mismatch>("one_to_many", "out",
                                           "has " + std::to_string(out.size()) + " elements for " +
                                               std::to_string(rows.rows()) + " rows");
    }
    for (std::size_t i = 0; i < rows.rows(); ++i) {
        if constexpr (requires { M::raw(query.data(), rows.row(i).data(), query.size()); }) {
            out[i] = static_cast<R>(M::raw(query.data(), rows.row(i).data(), query.size()));
        } else {
            out[i] = static_cast<R>(metric(query, std::span<const E>(rows.row(i))));
        }
    }
}
/// \endcond
}  // namespace detail

/// Writes metric(query, row i) into out[i] for every row of `rows`.
/// Throws `tessera::dimension_mismatch` if query.size() != rows.cols() or out.size() != rows.rows().
/// O(rows * cols). Built-in metrics call their kernel directly per row; user metrics are
/// called through their operator(), inlined.
template <class T, distance_metric<T> M, class R>
    requires std::is_arithmetic_v<R>
void one_to_many(const M& metric, std::span<const T> query, matrix_view<const std::type_identity_t<T>> rows,
                 std::span<R> out) {
    detail::one_to_many_rows(metric, query, rows, out);
}

/// The same for rows of another element type than the query, such as a float query against
/// bfloat16, half or int8 rows (any pair the metric accepts; see kernel_pair).
template <class Q, class E, class M, class R>
    requires(!std::is_same_v<Q, std::remove_const_t<E>>) && distance_metric<M, Q, std::remove_const_t<E>> &&
            std::is_arithmetic_v<R>
void one_to_many(const M& metric, std::span<const Q> query, matrix_view<E> rows, std::span<R> out) {
    detail::one_to_many_rows(metric, query, matrix_view<const std::remove_const_t<E>>(rows), out);
}

}  // namespace tessera
