/// \file
/// tessera/core/estimator.hpp - what every estimator's fit and predict share: the inputs they
/// accept (dense rows of T, or CSR matrices of T), collecting labels and sample weights with
/// their checks, and a vectorizable probe for NaN, Inf and out-of-domain values. Nothing here
/// is public API: users name the models.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <ranges>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/concepts.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/error.hpp"

namespace tessera::detail {
/// \cond
// ---- inputs ----------------------------------------------------------------------------------

template <class X>
struct csr_traits {
    static constexpr bool value = false;
};
template <class V, class I>
struct csr_traits<csr_view<V, I>> {
    static constexpr bool value = true;
    using value_type = std::remove_cv_t<V>;
};
template <class V, class I, class A>
struct csr_traits<csr_matrix<V, I, A>> {
    static constexpr bool value = true;
    using value_type = V;
};

/// A csr_view<T, Index> or csr_matrix<T, Index, A> of elements T.
template <class X, class T>
concept sparse_input_of = csr_traits<std::remove_cvref_t<X>>::value &&
                          std::same_as<typename csr_traits<std::remove_cvref_t<X>>::value_type, T>;

/// Any dense_input whose elements are T.
template <class X, class T>
concept dense_input_of = dense_input<X> && std::same_as<dense_value_t<X>, T>;

/// What a model with element type T takes as X. (A CSR matrix is never tested
/// against dense_input: its view() is no matrix_view, which matrix_like cannot say softly.)
template <class X, class T, bool Sparse>
concept model_input = (csr_traits<std::remove_cvref_t<X>>::value && Sparse && sparse_input_of<X, T>) ||
                   (!csr_traits<std::remove_cvref_t<X>>::value && dense_input_of<X, T>);

/// A range of sample weights (any numbers, converted to double).
template <class R>
concept weight_range = std::ranges::input_range<R> && numeric<std::remove_cv_t<std::ranges::range_value_t<R>>>;

template <class In>
inline constexpr bool is_sparse_input = csr_traits<std::remove_cvref_t<In>>::value;

// The rows of X as a row_access (dense) or a csr_view (sparse); no copy.
template <class X>
[[nodiscard]] auto model_rows(const X& x, const char* where) {
    if constexpr (csr_traits<std::remove_cvref_t<X>>::value) {
        if constexpr (requires { x.view(); }) {
            return x.view();
        } else {
            return x;
        }
    } else {
        return as_rows(x, where, "X");
    }
}

// ---- labels, weights, names ------------------------------------------------------------------

template <class L, class Y>
[[nodiscard]] std::vector<L> collect_labels(const Y& y) {
    std::vector<L> out;
    if constexpr (std::ranges::sized_range<Y>) out.reserve(static_cast<std::size_t>(std::ranges::size(y)));
    for (auto&& l : y) {
        const std::ranges::range_value_t<Y>& v = l;  // binds proxies (std::vector<bool>) to a temporary
        out.push_back(L(v));
    }
    return out;
}

[[nodiscard]] inline std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return buf;
}

// Sample weights as doubles: one per row of X, finite, non-negative and not all zero.
template <class W>
[[nodiscard]] std::vector<double> collect_weights(const W& w, std::size_t rows, const char* where) {
    std::vector<double> out;
    if constexpr (std::ranges::sized_range<W>) out.reserve(static_cast<std::size_t>(std::ranges::size(w)));
    for (auto&& v : w) out.push_back(static_cast<double>(v));
    if (out.size() != rows) {
        throw_argument<dimension_mismatch>(where, "sample_weight",
                                           "has " + std::to_string(out.size()) + " weights but X has " +
                                               std::to_string(rows) + " rows");
    }
    bool any = false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (!std::isfinite(out[i])) {
            throw_argument(where, "sample_weight",
                           std::string("is ") + (std::isnan(out[i]) ? "NaN" : "Inf") + " at position " + std::to_string(i));
        }
        if (out[i] < 0) {
            throw_argument(where, "sample_weight",
                           "is negative (" + number_text(out[i]) + ") at position " + std::to_string(i));
        }
        any = any || out[i] > 0;
    }
    if (!any) throw_argument(where, "sample_weight", "is zero for every row: there is nothing to learn from");
    return out;
}

// The labels y of score(X, y) after the checks every classifier's score shares: X not empty,
// one label per row.
template <class L, class X, class Y>
[[nodiscard]] std::vector<L> collect_scored_labels(const X& x, const Y& y, const char* where) {
    auto labels = collect_labels<L>(y);
    const std::size_t m = model_rows(x, where).rows();
    if (m == 0) throw_argument(where, "X", "is empty: accuracy needs at least one row");
    if (labels.size() != m) {
        throw_argument<dimension_mismatch>(where, "y",
                                           "has " + std::to_string(labels.size()) + " labels but X has " +
                                               std::to_string(m) + " rows");
    }
    return labels;
}

// Throws for a value of X that is NaN or Inf (dense: row i, column j; sparse: the same).
[[noreturn]] inline void throw_not_finite(double v, std::size_t i, std::size_t j, const char* where) {
    throw_argument(where, "X",
                   std::string("contains ") + (std::isnan(v) ? "NaN" : "Inf") + " at row " + std::to_string(i) +
                       ", column " + std::to_string(j));
}

// Whether n values are all finite, and also >= 0 with Nonnegative, and 0 or 1 with Binary.
// One pass of arithmetic that compilers vectorize (comparisons into flags do not): x * 0 is NaN
// exactly when x is NaN or infinite; x - |x| is 0 for x >= 0 and negative otherwise; x (x - 1)
// is 0 exactly for 0 and 1. Sums of such terms are 0 only when every term is (the second and
// third sums add terms of one sign). A caller searches for the offending value, to name it,
// only when this returns false, so valid data pays one cheap read.
template <bool Nonnegative, bool Binary, class V>
[[nodiscard]] bool all_valid(const V* v, std::size_t n) noexcept {
    if constexpr (std::is_integral_v<V>) {
        unsigned bad = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if constexpr (Nonnegative && std::is_signed_v<V>) bad |= static_cast<unsigned>(v[i] < 0);
            if constexpr (Binary) bad |= static_cast<unsigned>(v[i] != 0) & static_cast<unsigned>(v[i] != 1);
        }
        return bad == 0;
    } else {
        constexpr std::size_t lanes = 4;
        V probe[lanes] = {};
        V below[lanes] = {};
        V off[lanes] = {};
        const auto add = [&](std::size_t u, V x) {
            probe[u] += x * V(0);
            if constexpr (Nonnegative) below[u] += x - std::fabs(x);
            if constexpr (Binary) off[u] += std::fabs(x * (x - V(1)));
        };
        std::size_t i = 0;
        for (; i + lanes <= n; i += lanes) {
            for (std::size_t u = 0; u < lanes; ++u) add(u, v[i + u]);
        }
        for (std::size_t u = 0; i < n; ++i, ++u) add(u, v[i]);
        V p = 0;
        V b = 0;
        V o = 0;
        for (std::size_t u = 0; u < lanes; ++u) {
            p += probe[u];
            b += below[u];
            o += off[u];
        }
        return p == 0 && b == 0 && o == 0;
    }
}

// The shape every fit needs: at least one row and one column.
template <class In>
void require_fit_shape(const In& in, const char* where) {
    if (in.rows() == 0) throw_argument(where, "X", "is empty: fitting needs at least one row");
    if (in.cols() == 0) throw_argument(where, "X", "has no columns");
}

// Throws invalid_argument naming the row and column of the first NaN or Inf of X (dense rows
// or CSR). Valid data pays one vectorizable read per row (all_valid); the search that names
// the value runs only where that read fails.
template <class In>
void require_finite_input(const In& in, const char* where) {
    if constexpr (is_sparse_input<In>) {
        const auto v = in.values();
        if (all_valid<false, false>(v.data(), v.size())) return;
        for (std::size_t i = 0; i < in.rows(); ++i) {
            const auto r = in.row(i);
            for (std::size_t t = 0; t < r.size(); ++t) {
                if (!std::isfinite(static_cast<double>(r.values[t]))) {
                    throw_not_finite(static_cast<double>(r.values[t]), i, static_cast<std::size_t>(r.indices[t]), where);
                }
            }
        }
    } else {
        for (std::size_t i = 0; i < in.rows(); ++i) {
            const auto* row = std::ranges::data(in.row(i));
            if (all_valid<false, false>(row, in.cols())) continue;
            for (std::size_t j = 0; j < in.cols(); ++j) {
                if (!std::isfinite(static_cast<double>(row[j]))) throw_not_finite(static_cast<double>(row[j]), i, j, where);
            }
        }
    }
}

/// \endcond
}  // namespace tessera::detail
