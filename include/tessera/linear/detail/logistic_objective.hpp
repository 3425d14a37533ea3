// tessera/linear/detail/logistic_objective.hpp - the logistic losses that logistic_regression
// hands to its minimizer: binary (labels +1 / -1) and multinomial (softmax over K classes), over
// dense rows of T or a CSR matrix of T, with per-row weights c_i = C * sample_weight_i *
// class_weight_{y_i}.
//
//   binary:       F(w, b) = sum_i c_i log(1 + exp(-y_i (x_i'w + b)))              + l2/2 |w|^2
//   multinomial:  F(W, b) = sum_i c_i (logsumexp_k(z_ik) - z_{i,y_i}), z_ik = x_i'W_k + b_k
//                                                                                 + l2/2 |W|^2
//
// Parameters are laid out as K rows of d coefficients (K = 1 for binary) followed by the K
// intercepts when there are any. Not public API.
//
// Rows are cut into blocks that depend only on the data's shape; each block accumulates its own
// gradient and the blocks are summed in order, so results are identical for any thread count.
// One pass over X computes the loss, the gradient and what the Hessian needs (the weights
// c_i s_i (1 - s_i), or the class probabilities), so a Hessian-vector product is one more pass.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/estimator.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/x86.hpp"
#if TESSERA_ARCH_X86
#include "tessera/simd/detail/kernels_avx2.hpp"
#endif

namespace tessera::detail {

// ---- row kernels: x'w and g += a x with x of T and w, g of double ----------------------------

template <class T>
[[nodiscard]] inline double linear_dot(const T* x, const double* w, std::size_t n) noexcept {
    double acc[4] = {0, 0, 0, 0};
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        for (std::size_t u = 0; u < 4; ++u) acc[u] += static_cast<double>(x[j + u]) * w[j + u];
    }
    for (; j < n; ++j) acc[0] += static_cast<double>(x[j]) * w[j];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

template <class T>
inline void linear_axpy(double a, const T* x, double* g, std::size_t n) noexcept {
    for (std::size_t j = 0; j < n; ++j) g[j] += a * static_cast<double>(x[j]);
}

template <class T>
inline void linear_axpy_square(double a, const T* x, double* g, std::size_t n) noexcept {
    for (std::size_t j = 0; j < n; ++j) {
        const double v = static_cast<double>(x[j]);
        g[j] += a * v * v;
    }
}

#if TESSERA_ARCH_X86
// 8 doubles per step in two accumulators; a float row is widened 4 lanes at a time.
template <class T>
TESSERA_TARGET_AVX2 inline __m256d linear_load_avx2(const T* x) noexcept {
    if constexpr (std::is_same_v<T, double>) {
        return _mm256_loadu_pd(x);
    } else {
        return _mm256_cvtps_pd(_mm_loadu_ps(x));
    }
}

template <class T>
TESSERA_TARGET_AVX2 inline double linear_dot_avx2(const T* x, const double* w, std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    V::vec a0 = V::zero();
    V::vec a1 = V::zero();
    std::size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        a0 = V::fma(linear_load_avx2(x + j), V::load(w + j), a0);
        a1 = V::fma(linear_load_avx2(x + j + 4), V::load(w + j + 4), a1);
    }
    if (j + 4 <= n) {
        a0 = V::fma(linear_load_avx2(x + j), V::load(w + j), a0);
        j += 4;
    }
    double tail = 0;
    for (; j < n; ++j) tail += static_cast<double>(x[j]) * w[j];
    return V::sum(V::add(a0, a1)) + tail;
}

template <class T>
TESSERA_TARGET_AVX2 inline void linear_axpy_avx2(double a, const T* x, double* g, std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    const V::vec av = V::set1(a);
    std::size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        V::store(g + j, V::fma(av, linear_load_avx2(x + j), V::load(g + j)));
        V::store(g + j + 4, V::fma(av, linear_load_avx2(x + j + 4), V::load(g + j + 4)));
    }
    for (; j < n; ++j) g[j] += a * static_cast<double>(x[j]);
}

// z[c] = x'w_c for the k rows w_c = w + c ld: four classes per sweep share each load of x.
template <class T>
TESSERA_TARGET_AVX2 inline void linear_dot_many_avx2(const T* x, const double* w, std::size_t ld, std::size_t k,
                                                     std::size_t n, double* z) noexcept {
    using V = simd::detail::avx2_f64;
    std::size_t c = 0;
    for (; c + 4 <= k; c += 4) {
        const double* w0 = w + c * ld;
        V::vec a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
        std::size_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const V::vec xv = linear_load_avx2(x + j);
            a0 = V::fma(xv, V::load(w0 + j), a0);
            a1 = V::fma(xv, V::load(w0 + ld + j), a1);
            a2 = V::fma(xv, V::load(w0 + 2 * ld + j), a2);
            a3 = V::fma(xv, V::load(w0 + 3 * ld + j), a3);
        }
        double t[4] = {V::sum(a0), V::sum(a1), V::sum(a2), V::sum(a3)};
        for (; j < n; ++j) {
            const double xj = static_cast<double>(x[j]);
            for (std::size_t u = 0; u < 4; ++u) t[u] += xj * w0[u * ld + j];
        }
        for (std::size_t u = 0; u < 4; ++u) z[c + u] = t[u];
    }
    for (; c < k; ++c) z[c] = linear_dot_avx2(x, w + c * ld, n);
}

// g_c += a[c] x for the k rows g_c = g + c ld, each chunk of x loaded once for all of them.
template <class T>
TESSERA_TARGET_AVX2 inline void linear_axpy_many_avx2(const double* a, const T* x, double* g, std::size_t ld,
                                                      std::size_t k, std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const V::vec xv = linear_load_avx2(x + j);
        for (std::size_t c = 0; c < k; ++c) {
            double* gc = g + c * ld + j;
            V::store(gc, V::fma(V::set1(a[c]), xv, V::load(gc)));
        }
    }
    for (; j < n; ++j) {
        const double xj = static_cast<double>(x[j]);
        for (std::size_t c = 0; c < k; ++c) g[c * ld + j] += a[c] * xj;
    }
}

// g_c += sum_t s[t k + c] x_t (c < k, t < m) for rows x_t: a register tile of up to eight
// classes by four columns stays in registers while the m rows stream through, so g is read and
// written once per tile instead of once per row.
template <std::size_t CN, class T>
TESSERA_TARGET_AVX2 inline void linear_outer_tile_avx2(const T* const* xs, const double* s, std::size_t m, std::size_t k,
                                                       std::size_t j, double* g, std::size_t ld) noexcept {
    using V = simd::detail::avx2_f64;
    V::vec acc[CN];
    for (std::size_t u = 0; u < CN; ++u) acc[u] = V::load(g + u * ld + j);
    for (std::size_t t = 0; t < m; ++t) {
        const V::vec xv = linear_load_avx2(xs[t] + j);
        const double* st = s + t * k;
        for (std::size_t u = 0; u < CN; ++u) acc[u] = V::fma(V::set1(st[u]), xv, acc[u]);
    }
    for (std::size_t u = 0; u < CN; ++u) V::store(g + u * ld + j, acc[u]);
}

template <class T>
TESSERA_TARGET_AVX2 inline void linear_outer_avx2(const T* const* xs, const double* s, std::size_t m, std::size_t k,
                                                  std::size_t n, double* g, std::size_t ld) noexcept {
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        std::size_t c = 0;
        for (; c + 8 <= k; c += 8) linear_outer_tile_avx2<8>(xs, s + c, m, k, j, g + c * ld, ld);
        switch (k - c) {
            case 7: linear_outer_tile_avx2<7>(xs, s + c, m, k, j, g + c * ld, ld); break;
            case 6: linear_outer_tile_avx2<6>(xs, s + c, m, k, j, g + c * ld, ld); break;
            case 5: linear_outer_tile_avx2<5>(xs, s + c, m, k, j, g + c * ld, ld); break;
            case 4: linear_outer_tile_avx2<4>(xs, s + c, m, k, j, g + c * ld, ld); break;
            case 3: linear_outer_tile_avx2<3>(xs, s + c, m, k, j, g + c * ld, ld); break;
            case 2: linear_outer_tile_avx2<2>(xs, s + c, m, k, j, g + c * ld, ld); break;
            case 1: linear_outer_tile_avx2<1>(xs, s + c, m, k, j, g + c * ld, ld); break;
            default: break;
        }
    }
    for (; j < n; ++j) {
        for (std::size_t t = 0; t < m; ++t) {
            const double xj = static_cast<double>(xs[t][j]);
            for (std::size_t c = 0; c < k; ++c) g[c * ld + j] += s[t * k + c] * xj;
        }
    }
}

template <class T>
TESSERA_TARGET_AVX2 inline void linear_axpy_square_avx2(double a, const T* x, double* g, std::size_t n) noexcept {
    using V = simd::detail::avx2_f64;
    const V::vec av = V::set1(a);
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const V::vec v = linear_load_avx2(x + j);
        V::store(g + j, V::fma(_mm256_mul_pd(av, v), v, V::load(g + j)));
    }
    for (; j < n; ++j) {
        const double v = static_cast<double>(x[j]);
        g[j] += a * v * v;
    }
}
#endif

// The dense row kernels for T, chosen once per pass (AVX2 on double and float rows).
template <class T>
struct linear_row_kernels {
    bool avx2 = false;
    linear_row_kernels() noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            const auto l = simd::active_level();
            avx2 = l == simd::level::avx2 || l == simd::level::avx512;
        }
#endif
    }
    [[nodiscard]] double dot(const T* x, const double* w, std::size_t n) const noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (avx2) return linear_dot_avx2(x, w, n);
        }
#endif
        return linear_dot(x, w, n);
    }
    void axpy(double a, const T* x, double* g, std::size_t n) const noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (avx2) {
                linear_axpy_avx2(a, x, g, n);
                return;
            }
        }
#endif
        linear_axpy(a, x, g, n);
    }
    void dot_many(const T* x, const double* w, std::size_t ld, std::size_t k, std::size_t n, double* z) const noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (avx2) {
                linear_dot_many_avx2(x, w, ld, k, n, z);
                return;
            }
        }
#endif
        for (std::size_t c = 0; c < k; ++c) z[c] = linear_dot(x, w + c * ld, n);
    }
    void axpy_many(const double* a, const T* x, double* g, std::size_t ld, std::size_t k, std::size_t n) const noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (avx2) {
                linear_axpy_many_avx2(a, x, g, ld, k, n);
                return;
            }
        }
#endif
        for (std::size_t c = 0; c < k; ++c) linear_axpy(a[c], x, g + c * ld, n);
    }
    void outer(const T* const* xs, const double* sc, std::size_t m, std::size_t k, std::size_t n, double* g,
               std::size_t ld) const noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (avx2) {
                linear_outer_avx2(xs, sc, m, k, n, g, ld);
                return;
            }
        }
#endif
        for (std::size_t t = 0; t < m; ++t) {
            for (std::size_t c = 0; c < k; ++c) linear_axpy(sc[t * k + c], xs[t], g + c * ld, n);
        }
    }
    void axpy_square(double a, const T* x, double* g, std::size_t n) const noexcept {
#if TESSERA_ARCH_X86
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (avx2) {
                linear_axpy_square_avx2(a, x, g, n);
                return;
            }
        }
#endif
        linear_axpy_square(a, x, g, n);
    }
};

// Rows whose multinomial residuals are added to the gradient together (axpy_rows).
inline constexpr std::size_t linear_tile_rows = 16;

template <class In, bool Sparse = is_sparse_input<In>>
struct linear_value {
    using type = typename csr_traits<std::remove_cvref_t<In>>::value_type;
};
template <class In>
struct linear_value<In, false> {
    using type = std::remove_cv_t<std::ranges::range_value_t<decltype(std::declval<const In&>().row(0))>>;
};

// One row of the input, dense or sparse, with x'w and g += a x.
template <class In>
struct linear_rows {
    const In& x;
    using value_type = typename linear_value<In>::type;
    linear_row_kernels<value_type> k_{};

    [[nodiscard]] double dot(std::size_t i, const double* w) const noexcept {
        if constexpr (is_sparse_input<In>) {
            const auto r = x.row(i);
            double s = 0;
            for (std::size_t t = 0; t < r.indices.size(); ++t) {
                s += static_cast<double>(r.values[t]) * w[static_cast<std::size_t>(r.indices[t])];
            }
            return s;
        } else {
            return k_.dot(std::ranges::data(x.row(i)), w, x.cols());
        }
    }
    void axpy(std::size_t i, double a, double* g) const noexcept {
        if constexpr (is_sparse_input<In>) {
            const auto r = x.row(i);
            for (std::size_t t = 0; t < r.indices.size(); ++t) {
                g[static_cast<std::size_t>(r.indices[t])] += a * static_cast<double>(r.values[t]);
            }
        } else {
            k_.axpy(a, std::ranges::data(x.row(i)), g, x.cols());
        }
    }
    // z[c] = x_i'w_c for the k rows w_c = w + c ld.
    void dot_many(std::size_t i, const double* w, std::size_t ld, std::size_t k, double* z) const noexcept {
        if constexpr (is_sparse_input<In>) {
            for (std::size_t c = 0; c < k; ++c) z[c] = dot(i, w + c * ld);
        } else {
            k_.dot_many(std::ranges::data(x.row(i)), w, ld, k, x.cols(), z);
        }
    }
    // g_c += a[c] x_i for the k rows g_c = g + c ld.
    void axpy_many(std::size_t i, const double* a, double* g, std::size_t ld, std::size_t k) const noexcept {
        if constexpr (is_sparse_input<In>) {
            for (std::size_t c = 0; c < k; ++c) {
                if (a[c] != 0) axpy(i, a[c], g + c * ld);
            }
        } else {
            k_.axpy_many(a, std::ranges::data(x.row(i)), g, ld, k, x.cols());
        }
    }
    // g_c += sum_t sc[t k + c] x_{idx[t]} for the m rows idx[t] and the k rows g_c = g + c ld.
    void axpy_rows(const std::size_t* idx, const double* sc, std::size_t m, double* g, std::size_t ld,
                   std::size_t k) const noexcept {
        if constexpr (is_sparse_input<In>) {
            for (std::size_t t = 0; t < m; ++t) axpy_many(idx[t], sc + t * k, g, ld, k);
        } else {
            const value_type* xs[linear_tile_rows];
            for (std::size_t t = 0; t < m; ++t) xs[t] = std::ranges::data(x.row(idx[t]));
            k_.outer(xs, sc, m, k, x.cols(), g, ld);
        }
    }
    // g += a x∘x (elementwise square)
    void axpy_square(std::size_t i, double a, double* g) const noexcept {
        if constexpr (is_sparse_input<In>) {
            const auto r = x.row(i);
            for (std::size_t t = 0; t < r.indices.size(); ++t) {
                const double v = static_cast<double>(r.values[t]);
                g[static_cast<std::size_t>(r.indices[t])] += a * v * v;
            }
        } else {
            k_.axpy_square(a, std::ranges::data(x.row(i)), g, x.cols());
        }
    }
};

// log(1 + exp(-t)) and 1 / (1 + exp(t)) from one exp, without overflow.
struct logistic_point {
    double loss;
    double sigma;  // sigma(-t)
};
[[nodiscard]] inline logistic_point logistic_at(double t) noexcept {
    const double e = std::exp(-std::fabs(t));
    const double inv = 1.0 / (1.0 + e);
    return {std::log1p(e) + std::max(-t, 0.0), t > 0 ? e * inv : inv};
}

// ---- the objective ---------------------------------------------------------------------------

template <class In>
class logistic_objective {
public:
    // target: binary (classes == 1): +1 or -1 per row; multinomial: the class index per row.
    // weight: c_i per row (0 skips the row). l2: the multiplier of |w|^2 / 2.
    logistic_objective(const In& x, std::span<const double> target, std::span<const double> weight,
                       std::size_t classes, bool intercept, double l2, const parallel_options& parallel)
        : rows_{x}, target_(target), weight_(weight), n_(x.rows()), d_(x.cols()), k_(classes),
          intercept_(intercept), l2_(l2), parallel_(parallel) {
        dim_ = k_ * d_ + (intercept_ ? k_ : 0);
        // Each block costs zeroing and adding dim_ partial sums per pass: at most 8 MiB of them,
        // and at most one block per 8 dim_ stored values, so that this stays a small share of a
        // pass (a 2^18-wide sparse model with 60 values per row gets few blocks).
        std::size_t stored = n_ * d_;
        if constexpr (is_sparse_input<In>) stored = x.nnz();
        const std::size_t width = std::max<std::size_t>(dim_, 1);
        const std::size_t budget = (std::size_t{8} << 20) / sizeof(double);
        const std::size_t max_blocks = std::clamp<std::size_t>(std::min(budget / width, stored * k_ / (8 * width)), 1, 64);
        block_rows_ = std::max<std::size_t>(1024, (n_ + max_blocks - 1) / max_blocks);
        blocks_ = std::max<std::size_t>(1, (n_ + block_rows_ - 1) / block_rows_);
        partial_.resize(blocks_ * dim_);
        block_loss_.resize(blocks_);
        curvature_.resize(k_ == 1 ? n_ : n_ * k_);
        if (k_ > 1) {
            scratch_.resize(blocks_ * (1 + linear_tile_rows) * k_);
            tile_index_.resize(blocks_ * linear_tile_rows);
        }
    }

    [[nodiscard]] std::size_t dimension() const noexcept { return dim_; }

    double value_and_gradient(std::span<const double> w, std::span<double> g) {
        run_blocks(blocks_, effective_threads(parallel_), [&](std::size_t b) { value_block(b, w.data()); });
        double loss = 0;
        for (const double v : block_loss_) loss += v;
        sum_partials(g);
        double sq = 0;
        for (std::size_t j = 0; j < k_ * d_; ++j) {
            sq += w[j] * w[j];
            g[j] += l2_ * w[j];
        }
        return loss + 0.5 * l2_ * sq;
    }

    // The curvature weights (binary) or probabilities (multinomial) of the last evaluation
    // serve; the minimizers call this right after evaluating at w.
    void prepare_hessian(std::span<const double>) noexcept {}

    void hessian_vector(std::span<const double> v, std::span<double> out) {
        run_blocks(blocks_, effective_threads(parallel_), [&](std::size_t b) { hessian_block(b, v.data()); });
        sum_partials(out);
        for (std::size_t j = 0; j < k_ * d_; ++j) out[j] += l2_ * v[j];
    }

    // The diagonal of the Hessian at the point of the last evaluation (for preconditioning).
    void hessian_diagonal(std::span<double> out) {
        run_blocks(blocks_, effective_threads(parallel_), [&](std::size_t b) { diagonal_block(b); });
        sum_partials(out);
        for (std::size_t j = 0; j < k_ * d_; ++j) out[j] += l2_;
    }

private:
    // Block b's rows [lo, hi) and its zeroed partial sums.
    struct block {
        double* acc;
        std::size_t lo, hi;
    };
    [[nodiscard]] block open_block(std::size_t b) noexcept {
        double* acc = partial_.data() + b * dim_;
        std::fill(acc, acc + dim_, 0.0);
        const std::size_t lo = b * block_rows_;
        return {acc, lo, std::min(n_, lo + block_rows_)};
    }

    // Block b's multinomial residual rows (k_ values per data row), added to acc through
    // axpy_rows linear_tile_rows data rows at a time.
    class residual_tile {
    public:
        residual_tile(logistic_objective& f, std::size_t b, double* acc) noexcept
            : f_(f), rows_(f.scratch_.data() + (b * (1 + linear_tile_rows) + 1) * f.k_),
              index_(f.tile_index_.data() + b * linear_tile_rows), acc_(acc) {}
        // Where the residuals of data row i go (adding the full tile first).
        [[nodiscard]] double* row_for(std::size_t i) noexcept {
            if (pending_ == linear_tile_rows) flush();
            index_[pending_] = i;
            return rows_ + (pending_++) * f_.k_;
        }
        void flush() noexcept {
            if (pending_ > 0) f_.rows_.axpy_rows(index_, rows_, pending_, acc_, f_.d_, f_.k_);
            pending_ = 0;
        }

    private:
        const logistic_objective& f_;
        double* rows_;
        std::size_t* index_;
        double* acc_;
        std::size_t pending_ = 0;
    };

    void value_block(std::size_t b, const double* w) {
        const auto [g, lo, hi] = open_block(b);
        double loss = 0;
        if (k_ == 1) {
            const double b0 = intercept_ ? w[d_] : 0.0;
            double gb = 0;
            for (std::size_t i = lo; i < hi; ++i) {
                const double c = weight_[i];
                if (c == 0) {
                    curvature_[i] = 0;
                    continue;
                }
                const double y = target_[i];
                const auto p = logistic_at(y * (rows_.dot(i, w) + b0));
                loss += c * p.loss;
                const double r = -c * y * p.sigma;
                rows_.axpy(i, r, g);
                gb += r;
                curvature_[i] = c * p.sigma * (1 - p.sigma);
            }
            if (intercept_) g[d_] = gb;
        } else {
            double* z = scratch_.data() + b * (1 + linear_tile_rows) * k_;
            residual_tile tile(*this, b, g);
            double* gb = intercept_ ? g + k_ * d_ : nullptr;
            for (std::size_t i = lo; i < hi; ++i) {
                double* p = curvature_.data() + i * k_;
                const double c = weight_[i];
                if (c == 0) {
                    std::fill(p, p + k_, 0.0);
                    continue;
                }
                rows_.dot_many(i, w, d_, k_, z);
                double top = -std::numeric_limits<double>::infinity();
                for (std::size_t k = 0; k < k_; ++k) {
                    if (intercept_) z[k] += w[k_ * d_ + k];
                    top = std::max(top, z[k]);
                }
                double sum = 0;
                for (std::size_t k = 0; k < k_; ++k) {
                    p[k] = std::exp(z[k] - top);
                    sum += p[k];
                }
                const std::size_t y = static_cast<std::size_t>(target_[i]);
                loss += c * (std::log(sum) + top - z[y]);
                const double inv = 1.0 / sum;
                double* r = tile.row_for(i);
                for (std::size_t k = 0; k < k_; ++k) {
                    p[k] *= inv;
                    r[k] = c * (p[k] - (k == y ? 1.0 : 0.0));
                    if (gb != nullptr) gb[k] += r[k];
                }
            }
            tile.flush();
        }
        block_loss_[b] = loss;
    }

    void hessian_block(std::size_t b, const double* v) {
        const auto [h, lo, hi] = open_block(b);
        if (k_ == 1) {
            const double vb = intercept_ ? v[d_] : 0.0;
            double hb = 0;
            for (std::size_t i = lo; i < hi; ++i) {
                const double dcur = curvature_[i];
                if (dcur == 0) continue;
                const double u = dcur * (rows_.dot(i, v) + vb);
                rows_.axpy(i, u, h);
                hb += u;
            }
            if (intercept_) h[d_] = hb;
        } else {
            double* u = scratch_.data() + b * (1 + linear_tile_rows) * k_;
            residual_tile tile(*this, b, h);
            double* hb = intercept_ ? h + k_ * d_ : nullptr;
            for (std::size_t i = lo; i < hi; ++i) {
                const double c = weight_[i];
                if (c == 0) continue;
                const double* p = curvature_.data() + i * k_;
                rows_.dot_many(i, v, d_, k_, u);
                double mean = 0;
                for (std::size_t k = 0; k < k_; ++k) {
                    if (intercept_) u[k] += v[k_ * d_ + k];
                    mean += p[k] * u[k];
                }
                double* r = tile.row_for(i);
                for (std::size_t k = 0; k < k_; ++k) {
                    r[k] = c * p[k] * (u[k] - mean);
                    if (hb != nullptr) hb[k] += r[k];
                }
            }
            tile.flush();
        }
    }

    void diagonal_block(std::size_t b) {
        const auto [h, lo, hi] = open_block(b);
        for (std::size_t i = lo; i < hi; ++i) {
            if (k_ == 1) {
                const double dcur = curvature_[i];
                if (dcur == 0) continue;
                rows_.axpy_square(i, dcur, h);
                if (intercept_) h[d_] += dcur;
            } else {
                const double c = weight_[i];
                if (c == 0) continue;
                const double* p = curvature_.data() + i * k_;
                for (std::size_t k = 0; k < k_; ++k) {
                    const double dk = c * p[k] * (1 - p[k]);
                    if (dk == 0) continue;
                    rows_.axpy_square(i, dk, h + k * d_);
                    if (intercept_) h[k_ * d_ + k] += dk;
                }
            }
        }
    }

    // out = sum of the block partials, block by block in order, in parallel over coordinates.
    void sum_partials(std::span<double> out) {
        if (blocks_ == 1) {
            std::copy(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(dim_), out.begin());
            return;
        }
        constexpr std::size_t chunk = 4096;
        run_blocks((dim_ + chunk - 1) / chunk, effective_threads(parallel_), [&](std::size_t c) {
            const std::size_t lo = c * chunk;
            const std::size_t hi = std::min(dim_, lo + chunk);
            std::copy(partial_.begin() + static_cast<std::ptrdiff_t>(lo), partial_.begin() + static_cast<std::ptrdiff_t>(hi),
                      out.begin() + static_cast<std::ptrdiff_t>(lo));
            for (std::size_t b = 1; b < blocks_; ++b) {
                const double* p = partial_.data() + b * dim_;
                for (std::size_t j = lo; j < hi; ++j) out[j] += p[j];
            }
        });
    }

    linear_rows<In> rows_;
    std::span<const double> target_;
    std::span<const double> weight_;
    std::size_t n_, d_, k_;
    bool intercept_;
    double l2_;
    parallel_options parallel_;
    std::size_t dim_ = 0;
    std::size_t block_rows_ = 1;
    std::size_t blocks_ = 1;
    std::vector<double> partial_;
    std::vector<double> block_loss_;
    std::vector<double> curvature_;
    std::vector<double> scratch_;  // per block: one row of class scores, then a tile of residual rows
    std::vector<std::size_t> tile_index_;
};

}  // namespace tessera::detail
