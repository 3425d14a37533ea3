// tessera/recommend/detail/als_kernels.hpp - the inner loops of alternating least squares.
//
// Every loop of an ALS solve reads rows of the partner factor matrix (items when solving
// users, and the reverse) picked by a row's interaction indices. Those rows are padded to
// `kp` elements, a multiple of 64 bytes whose tail is zero (dense_matrix's aligned rows), so
// the vector loops below run over whole vectors with no tail handling, and the padding adds
// zeros to every sum.
//
// Two implementations with one interface: portable loops (the reference, and what AArch64 and
// other targets run, auto-vectorized by the compiler) and AVX2 + FMA, chosen once per solve
// from simd::active_level(). CPUs with AVX-512 run the AVX2 loops: at 64 factors a row is only
// four 512-bit vectors, and these loops are bound by loads, not by arithmetic width.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tessera/simd/cpu.hpp"
#include "tessera/simd/detail/kernels_avx2.hpp"
#include "tessera/simd/detail/x86.hpp"

namespace tessera::detail::als {

// The implicit-feedback coefficients of one stored value cw = alpha * r (alpha already applied;
// negative values are dislikes when the model allows them, zero adds nothing):
//   weight      |cw|           (confidence - 1)
//   target      1 + cw         (confidence * preference) for cw > 0, else 0
template <class T>
[[nodiscard]] inline T confidence_weight(T cw) noexcept {
    return cw < T(0) ? -cw : cw;
}
template <class T>
[[nodiscard]] inline T confidence_target(T cw) noexcept {
    return cw > T(0) ? T(1) + cw : T(0);
}

template <class T>
struct portable_ops {
    [[nodiscard]] static T dot(const T* a, const T* b, std::size_t n) noexcept {
        T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; ++i) s0 += a[i] * b[i];
        return (s0 + s1) + (s2 + s3);
    }

    // y += a * x
    static void axpy(T a, const T* x, T* y, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i) y[i] += a * x[i];
    }

    // out = G v for a kp x kp symmetric G (row-major, stride kp).
    static void matvec(const T* g, std::size_t kp, const T* v, T* out) noexcept {
        for (std::size_t i = 0; i < kp; ++i) out[i] = 0;
        for (std::size_t c = 0; c < kp; ++c) axpy(v[c], g + c * kp, out, kp);
    }

    // Residual = true:  out += sum_j (target(cw_j) - weight(cw_j) * (y_j . v)) y_j
    // Residual = false: out += sum_j weight(cw_j) * (y_j . v) y_j
    template <bool Residual>
    static void implicit_pass(const T* y, std::size_t ldy, const std::uint32_t* idx, const T* cw, std::size_t n,
                              const T* v, T* out, std::size_t kp) noexcept {
        for (std::size_t j = 0; j < n; ++j) {
            const T c = cw[j];
            if (c == T(0)) continue;
            const T* row = y + static_cast<std::size_t>(idx[j]) * ldy;
            const T d = dot(row, v, kp);
            const T coef = Residual ? confidence_target(c) - confidence_weight(c) * d : confidence_weight(c) * d;
            axpy(coef, row, out, kp);
        }
    }

    // out += sum_j coef_j y_j
    static void weighted_sum(const T* y, std::size_t ldy, const std::uint32_t* idx, const T* coef, std::size_t n,
                             T* out, std::size_t kp) noexcept {
        for (std::size_t j = 0; j < n; ++j) {
            if (coef[j] != T(0)) axpy(coef[j], y + static_cast<std::size_t>(idx[j]) * ldy, out, kp);
        }
    }

    // a += sum_j w_j y_j y_j^T on the upper triangle: row r < k of `a` gets the columns r to
    // kp (the vector version starts at the vector holding the diagonal; the entries left of the
    // diagonal are never read). w == nullptr means every weight is 1; idx == nullptr means rows
    // 0..n-1.
    static void gram_update(const T* y, std::size_t ldy, const std::uint32_t* idx, const T* w, std::size_t n, T* a,
                            std::size_t lda, std::size_t k, std::size_t kp) noexcept {
        for (std::size_t j = 0; j < n; ++j) {
            const T* row = y + (idx ? static_cast<std::size_t>(idx[j]) : j) * ldy;
            const T wj = w ? w[j] : T(1);
            if (wj == T(0)) continue;
            for (std::size_t r = 0; r < k; ++r) {
                axpy(wj * row[r], row + r, a + r * lda + r, kp - r);
            }
        }
    }
};

#if TESSERA_ARCH_X86
// V: simd::detail::avx2_f32 or avx2_f64.
template <class V>
struct avx2_ops {
    using S = typename V::scalar;
    using vec = typename V::vec;
    static constexpr std::size_t L = V::lanes;

    TESSERA_TARGET_AVX2 static S dot(const S* a, const S* b, std::size_t n) noexcept {
        vec s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
        std::size_t i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            s0 = V::fma(V::load(a + i), V::load(b + i), s0);
            s1 = V::fma(V::load(a + i + L), V::load(b + i + L), s1);
            s2 = V::fma(V::load(a + i + 2 * L), V::load(b + i + 2 * L), s2);
            s3 = V::fma(V::load(a + i + 3 * L), V::load(b + i + 3 * L), s3);
        }
        for (; i + L <= n; i += L) s0 = V::fma(V::load(a + i), V::load(b + i), s0);
        S s = V::sum(V::add(V::add(s0, s1), V::add(s2, s3)));
        for (; i < n; ++i) s += a[i] * b[i];
        return s;
    }

    TESSERA_TARGET_AVX2 static void axpy(S a, const S* x, S* y, std::size_t n) noexcept {
        const vec av = V::set1(a);
        std::size_t i = 0;
        for (; i + L <= n; i += L) V::store(y + i, V::fma(av, V::load(x + i), V::load(y + i)));
        for (; i < n; ++i) y[i] += a * x[i];
    }

    // Four output vectors at a time stay in registers while the columns stream past.
    TESSERA_TARGET_AVX2 static void matvec(const S* g, std::size_t kp, const S* v, S* out) noexcept {
        std::size_t i = 0;
        for (; i + 4 * L <= kp; i += 4 * L) {
            vec o0 = V::zero(), o1 = V::zero(), o2 = V::zero(), o3 = V::zero();
            for (std::size_t c = 0; c < kp; ++c) {
                const vec s = V::set1(v[c]);
                const S* col = g + c * kp + i;
                o0 = V::fma(s, V::load(col), o0);
                o1 = V::fma(s, V::load(col + L), o1);
                o2 = V::fma(s, V::load(col + 2 * L), o2);
                o3 = V::fma(s, V::load(col + 3 * L), o3);
            }
            V::store(out + i, o0);
            V::store(out + i + L, o1);
            V::store(out + i + 2 * L, o2);
            V::store(out + i + 3 * L, o3);
        }
        for (; i < kp; i += L) {
            vec o = V::zero();
            for (std::size_t c = 0; c < kp; ++c) o = V::fma(V::set1(v[c]), V::load(g + c * kp + i), o);
            V::store(out + i, o);
        }
    }

    // The four sums of a0..a3 (horizontal adds, then one add of the two 128-bit halves).
    TESSERA_TARGET_AVX2 static void sum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3, float* out) noexcept {
        const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
        _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
    }
    TESSERA_TARGET_AVX2 static void sum4(__m256d a0, __m256d a1, __m256d a2, __m256d a3, double* out) noexcept {
        const __m256d h01 = _mm256_hadd_pd(a0, a1);  // a0[0]+a0[1], a1[0]+a1[1], a0[2]+a0[3], a1[2]+a1[3]
        const __m256d h23 = _mm256_hadd_pd(a2, a3);
        const __m256d lo = _mm256_permute2f128_pd(h01, h23, 0x20);
        const __m256d hi = _mm256_permute2f128_pd(h01, h23, 0x31);
        _mm256_storeu_pd(out, _mm256_add_pd(lo, hi));
    }

    // The hot loop of the conjugate-gradient solver: one dot product and one update per
    // interaction, four interactions at a time. The four dot products share the loads of v and
    // run as independent chains; the four updates share each load and store of `out`, which
    // would otherwise chain every row to the previous one through memory. The rows sit at random
    // places in a factor matrix often larger than L2, so the first pass prefetches them.
    template <bool Residual>
    TESSERA_TARGET_AVX2 static void implicit_pass(const S* y, std::size_t ldy, const std::uint32_t* idx, const S* cw,
                                                  std::size_t n, const S* v, S* out, std::size_t kp) noexcept {
        constexpr std::size_t ahead = 32;
        constexpr std::size_t line = 64 / sizeof(S);
        const auto row_of = [&](std::size_t j) { return y + static_cast<std::size_t>(idx[j]) * ldy; };
        const auto coef_of = [](S c, S d) {
            return Residual ? confidence_target(c) - confidence_weight(c) * d : confidence_weight(c) * d;
        };
        // Software-pipelined: the dot products of group g are computed before the updates of
        // group g - 1, so the updates never wait for their coefficients.
        const std::size_t groups = n / 4;
        const S* r[4] = {};
        S coef[4] = {};
        const auto dots = [&](std::size_t g, const S** rows, S* c) TESSERA_TARGET_AVX2 {
            const std::size_t j = 4 * g;
            if constexpr (Residual) {
                for (std::size_t q = j + ahead; q < std::min(n, j + ahead + 4); ++q) {
                    const S* next = row_of(q);
                    for (std::size_t i = 0; i < kp; i += line) __builtin_prefetch(next + i);
                }
            }
            const S* r0 = rows[0] = row_of(j);
            const S* r1 = rows[1] = row_of(j + 1);
            const S* r2 = rows[2] = row_of(j + 2);
            const S* r3 = rows[3] = row_of(j + 3);
            vec a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
            vec b0 = V::zero(), b1 = V::zero(), b2 = V::zero(), b3 = V::zero();
            std::size_t i = 0;
            for (; i + 2 * L <= kp; i += 2 * L) {
                const vec v0 = V::load(v + i);
                const vec v1 = V::load(v + i + L);
                a0 = V::fma(V::load(r0 + i), v0, a0);
                a1 = V::fma(V::load(r1 + i), v0, a1);
                a2 = V::fma(V::load(r2 + i), v0, a2);
                a3 = V::fma(V::load(r3 + i), v0, a3);
                b0 = V::fma(V::load(r0 + i + L), v1, b0);
                b1 = V::fma(V::load(r1 + i + L), v1, b1);
                b2 = V::fma(V::load(r2 + i + L), v1, b2);
                b3 = V::fma(V::load(r3 + i + L), v1, b3);
            }
            for (; i < kp; i += L) {
                const vec v0 = V::load(v + i);
                a0 = V::fma(V::load(r0 + i), v0, a0);
                a1 = V::fma(V::load(r1 + i), v0, a1);
                a2 = V::fma(V::load(r2 + i), v0, a2);
                a3 = V::fma(V::load(r3 + i), v0, a3);
            }
            alignas(32) S d[4];
            sum4(V::add(a0, b0), V::add(a1, b1), V::add(a2, b2), V::add(a3, b3), d);
            for (std::size_t q = 0; q < 4; ++q) c[q] = coef_of(cw[j + q], d[q]);
        };
        const auto update = [&](const S* const* rows, const S* c) TESSERA_TARGET_AVX2 {
            const vec c0 = V::set1(c[0]), c1 = V::set1(c[1]), c2 = V::set1(c[2]), c3 = V::set1(c[3]);
            for (std::size_t i = 0; i < kp; i += L) {
                vec o = V::load(out + i);
                o = V::fma(c0, V::load(rows[0] + i), o);
                o = V::fma(c1, V::load(rows[1] + i), o);
                o = V::fma(c2, V::load(rows[2] + i), o);
                o = V::fma(c3, V::load(rows[3] + i), o);
                V::store(out + i, o);
            }
        };
        // Only the first pass of a solve (the residual) reads rows from memory; the later passes
        // find them in cache. It fetches its first rows here and then `ahead` rows in advance.
        if constexpr (Residual) {
            for (std::size_t q = 0; q < std::min(n, ahead); ++q) {
                const S* next = row_of(q);
                for (std::size_t i = 0; i < kp; i += line) __builtin_prefetch(next + i);
            }
        }
        if (groups > 0) {
            dots(0, r, coef);
            for (std::size_t g = 1; g < groups; ++g) {
                const S* rn[4];
                S cn[4];
                dots(g, rn, cn);
                update(r, coef);
                std::copy_n(rn, 4, r);
                std::copy_n(cn, 4, coef);
            }
            update(r, coef);
        }
        std::size_t j = 4 * groups;
        for (; j < n; ++j) {
            const S c = cw[j];
            if (c == S(0)) continue;
            const S* row = row_of(j);
            vec s0 = V::zero();
            for (std::size_t i = 0; i < kp; i += L) s0 = V::fma(V::load(row + i), V::load(v + i), s0);
            const vec cv = V::set1(coef_of(c, V::sum(s0)));
            for (std::size_t i = 0; i < kp; i += L) V::store(out + i, V::fma(cv, V::load(row + i), V::load(out + i)));
        }
    }

    TESSERA_TARGET_AVX2 static void weighted_sum(const S* y, std::size_t ldy, const std::uint32_t* idx, const S* coef,
                                                 std::size_t n, S* out, std::size_t kp) noexcept {
        for (std::size_t j = 0; j < n; ++j) {
            if (coef[j] == S(0)) continue;
            const S* row = y + static_cast<std::size_t>(idx[j]) * ldy;
            const vec cv = V::set1(coef[j]);
            for (std::size_t i = 0; i < kp; i += L) V::store(out + i, V::fma(cv, V::load(row + i), V::load(out + i)));
        }
    }

    // As portable_ops::gram_update: eight rows at a time, so each vector of `a`
    // is loaded and stored once per eight rank-one updates.
    TESSERA_TARGET_AVX2 static void gram_update(const S* y, std::size_t ldy, const std::uint32_t* idx, const S* w,
                                                std::size_t n, S* a, std::size_t lda, std::size_t k,
                                                std::size_t kp) noexcept {
        constexpr std::size_t group = 8;
        const auto row_of = [&](std::size_t j) { return y + (idx ? static_cast<std::size_t>(idx[j]) : j) * ldy; };
        std::size_t j = 0;
        for (; j + group <= n; j += group) {
            const S* r[group];
            S wt[group];
            for (std::size_t g = 0; g < group; ++g) {
                r[g] = row_of(j + g);
                wt[g] = w ? w[j + g] : S(1);
            }
            for (std::size_t row = 0; row < k; ++row) {
                vec s[group];
                for (std::size_t g = 0; g < group; ++g) s[g] = V::set1(wt[g] * r[g][row]);
                S* out = a + row * lda;
                for (std::size_t i = row / L * L; i < kp; i += L) {
                    vec acc = V::load(out + i);
                    for (std::size_t g = 0; g < group; ++g) acc = V::fma(s[g], V::load(r[g] + i), acc);
                    V::store(out + i, acc);
                }
            }
        }
        for (; j < n; ++j) {
            const S* r0 = row_of(j);
            const S w0 = w ? w[j] : S(1);
            if (w0 == S(0)) continue;
            for (std::size_t row = 0; row < k; ++row) {
                const vec s = V::set1(w0 * r0[row]);
                S* out = a + row * lda;
                for (std::size_t i = row / L * L; i < kp; i += L) V::store(out + i, V::fma(s, V::load(r0 + i), V::load(out + i)));
            }
        }
    }
};
#endif

// Solves A x = b in place (b becomes x) for the symmetric positive definite k x k matrix whose
// upper triangle (entries (r, c), c >= r) `a` holds with stride lda; `a` is overwritten by the
// Cholesky factor U (A = U^T U). Returns false when A is not positive definite (a pivot <= 0
// or not finite); b is then unspecified.
template <class Ops, class T>
[[nodiscard]] bool cholesky_solve(T* a, std::size_t lda, std::size_t k, T* b) noexcept {
    for (std::size_t j = 0; j < k; ++j) {
        T* rj = a + j * lda;
        const T d = rj[j];
        if (!(d > T(0)) || !std::isfinite(d)) return false;
        const T u = std::sqrt(d);
        const T inv = T(1) / u;
        rj[j] = u;
        for (std::size_t c = j + 1; c < k; ++c) rj[c] *= inv;
        // Right-looking update of the trailing rows, one contiguous row segment at a time.
        for (std::size_t i = j + 1; i < k; ++i) Ops::axpy(-rj[i], rj + i, a + i * lda + i, k - i);
    }
    // U^T z = b (forward), then U x = z (backward).
    for (std::size_t j = 0; j < k; ++j) {
        const T* rj = a + j * lda;
        b[j] /= rj[j];
        Ops::axpy(-b[j], rj + j + 1, b + j + 1, k - j - 1);
    }
    for (std::size_t j = k; j-- > 0;) {
        const T* rj = a + j * lda;
        b[j] = (b[j] - Ops::dot(rj + j + 1, b + j + 1, k - j - 1)) / rj[j];
    }
    return true;
}

}  // namespace tessera::detail::als
