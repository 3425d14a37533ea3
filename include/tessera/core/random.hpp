/// \file
/// tessera/core/random.hpp - reproducible random numbers.
///
/// The std:: distributions are implementation-defined (libstdc++ and libc++ draw different
/// normals from the same engine), so tessera defines every transformation itself. The same
/// seed gives the same stream and the same samples on every compiler and standard library:
/// integer draws, uniforms, shuffles and samples are pure integer/IEEE arithmetic; normal()
/// additionally calls std::log and std::sqrt (sqrt is exactly rounded by IEEE 754; log comes
/// from the C library, identical for GCC and Clang on the same system).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tessera/core/error.hpp"

namespace tessera {

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator used to expand a 64-bit seed into
/// the xoshiro state and to derive independent stream seeds.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman & Vigna 2018) seeded through SplitMix64: fast, 256 bits of state,
/// period 2^256 - 1. Models std::uniform_random_bit_generator, so it also drives std::
/// algorithms when exact reproducibility across libraries is not needed.
///
/// Thread safety: an engine is not shared between threads; give each parallel block its own
/// engine with `random_engine(seed, stream)` so results do not depend on the thread count.
class random_engine {
public:
    using result_type = std::uint64_t;  ///< each call returns 64 random bits

    static constexpr std::uint64_t default_seed = 0x7e55e7a5eedULL;  ///< seed of a default-constructed engine

    /// The stream for `seed`.
    constexpr explicit random_engine(std::uint64_t seed = default_seed) noexcept { reseed(seed, 0); }

    /// Stream `stream` of `seed`: engines with different (seed, stream) pairs are statistically
    /// independent (their states come from different SplitMix64 outputs).
    constexpr random_engine(std::uint64_t seed, std::uint64_t stream) noexcept { reseed(seed, stream); }

    /// Smallest value operator() returns: 0.
    static constexpr result_type min() noexcept { return 0; }
    /// Largest value operator() returns: 2^64 - 1.
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    /// The next 64 random bits.
    constexpr result_type operator()() noexcept {
        const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = std::rotl(s_[3], 45);
        return result;
    }

    /// A double uniform in [0, 1): the top 53 bits scaled by 2^-53 (every value is a multiple of 2^-53).
    constexpr double uniform01() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

    /// A double uniform in [lo, hi). Throws `tessera::invalid_argument` unless lo < hi, both finite.
    double uniform(double lo, double hi) {
        if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
            detail::throw_argument("random_engine::uniform", "hi",
                                   "needs finite lo < hi (lo = " + std::to_string(lo) + ", hi = " + std::to_string(hi) + ")");
        }
        const double x = lo + (hi - lo) * uniform01();
        return x < hi ? x : std::nextafter(hi, lo);  // rounding could reach hi
    }

    /// An integer uniform in [0, n), without bias (Lemire 2019, "Fast random integer generation
    /// in an interval"). Throws `tessera::invalid_argument` if n == 0.
    std::uint64_t below(std::uint64_t n) {
        if (n == 0) detail::throw_argument("random_engine::below", "n", "must be positive");
        return below_unchecked(n);
    }

    /// An integer uniform in [lo, hi] (inclusive). Throws unless lo <= hi.
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        if (lo > hi) {
            detail::throw_argument("random_engine::between", "hi",
                                   "must be at least lo (lo = " + std::to_string(lo) + ", hi = " + std::to_string(hi) + ")");
        }
        const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
        const std::uint64_t r = span == max() ? (*this)() : below_unchecked(span + 1);
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + r);
    }

    /// true with probability p (p is clamped to [0, 1]; NaN is rejected).
    bool bernoulli(double p) {
        if (std::isnan(p)) detail::throw_argument("random_engine::bernoulli", "p", "is NaN");
        return uniform01() < p;
    }

    /// A standard normal deviate (Marsaglia's polar method; the second deviate of each pair is
    /// kept for the next call, and is part of the engine's state).
    double normal() noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u = 0;
        double v = 0;
        double s = 0;
        do {
            u = 2.0 * uniform01() - 1.0;
            v = 2.0 * uniform01() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        const double f = std::sqrt(-2.0 * std::log(s) / s);
        spare_ = v * f;
        has_spare_ = true;
        return u * f;
    }

    /// A normal deviate with the given mean and standard deviation (stddev >= 0, both finite).
    double normal(double mean, double stddev) {
        if (!std::isfinite(mean) || !std::isfinite(stddev) || stddev < 0) {
            detail::throw_argument("random_engine::normal", "stddev",
                                   "needs a finite mean and a finite stddev >= 0 (mean = " + std::to_string(mean) +
                                       ", stddev = " + std::to_string(stddev) + ")");
        }
        return mean + stddev * normal();
    }

    /// Whether both engines are in the same state (then they produce the same draws).
    friend constexpr bool operator==(const random_engine&, const random_engine&) = default;

private:
    constexpr void reseed(std::uint64_t seed, std::uint64_t stream) noexcept {
        // Mix the stream id through SplitMix64 first so that nearby (seed, stream) pairs do not
        // start from overlapping SplitMix64 sequences.
        std::uint64_t mix = stream;
        std::uint64_t sm = seed ^ splitmix64(mix);
        for (auto& word : s_) word = splitmix64(sm);
        if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is a fixed point
        has_spare_ = false;
        spare_ = 0;
    }

    // The high and low 64 bits of a * b.
    static constexpr std::pair<std::uint64_t, std::uint64_t> mul128(std::uint64_t a, std::uint64_t b) noexcept {
        const std::uint64_t a_lo = a & 0xffffffffULL;
        const std::uint64_t a_hi = a >> 32;
        const std::uint64_t b_lo = b & 0xffffffffULL;
        const std::uint64_t b_hi = b >> 32;
        const std::uint64_t ll = a_lo * b_lo;
        const std::uint64_t lh = a_lo * b_hi;
        const std::uint64_t hl = a_hi * b_lo;
        const std::uint64_t hh = a_hi * b_hi;
        const std::uint64_t mid = (ll >> 32) + (lh & 0xffffffffULL) + (hl & 0xffffffffULL);
        return {hh + (lh >> 32) + (hl >> 32) + (mid >> 32), (mid << 32) | (ll & 0xffffffffULL)};
    }

    constexpr std::uint64_t below_unchecked(std::uint64_t n) noexcept {
        auto [high, low] = mul128((*this)(), n);
        if (low < n) {
            const std::uint64_t threshold = (0 - n) % n;
            while (low < threshold) std::tie(high, low) = mul128((*this)(), n);
        }
        return high;
    }

    std::uint64_t s_[4]{};
    double spare_ = 0;
    bool has_spare_ = false;
};

/// Shuffles [first, last) uniformly (Fisher-Yates, drawing with random_engine::below), so the
/// result depends only on the engine's state, unlike std::shuffle. O(n).
template <std::random_access_iterator It>
void shuffle(It first, It last, random_engine& rng) {
    const auto n = static_cast<std::uint64_t>(last - first);
    for (std::uint64_t i = n; i > 1; --i) {
        const std::uint64_t j = rng.below(i);
        using std::swap;
        swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
    }
}

/// A uniformly random permutation of 0..n-1. O(n).
[[nodiscard]] inline std::vector<std::size_t> permutation(std::size_t n, random_engine& rng) {
    std::vector<std::size_t> p(n);
    std::iota(p.begin(), p.end(), std::size_t{0});
    shuffle(p.begin(), p.end(), rng);
    return p;
}

/// k distinct indices drawn uniformly from 0..n-1, in the order drawn (a partial Fisher-Yates
/// over a lazily materialized identity: expected O(k) time and memory when k < n / 4, else O(n)).
/// Throws `tessera::invalid_argument` if k > n.
[[nodiscard]] inline std::vector<std::size_t> sample_without_replacement(std::size_t n, std::size_t k,
                                                                         random_engine& rng) {
    if (k > n) {
        detail::throw_argument("sample_without_replacement", "k",
                               "is larger than the population (k = " + std::to_string(k) + ", n = " + std::to_string(n) +
                                   ")");
    }
    std::vector<std::size_t> out;
    out.reserve(k);
    if (k * 4 >= n) {  // dense: shuffle a full identity prefix
        std::vector<std::size_t> p(n);
        std::iota(p.begin(), p.end(), std::size_t{0});
        for (std::size_t i = 0; i < k; ++i) {
            const auto j = i + static_cast<std::size_t>(rng.below(n - i));
            std::swap(p[i], p[j]);
            out.push_back(p[i]);
        }
        return out;
    }
    // sparse: the same swaps, with only the displaced positions stored
    std::unordered_map<std::size_t, std::size_t> moved;  // position -> value; others hold their own index
    moved.reserve(2 * k);
    auto value_at = [&](std::size_t pos) {
        const auto it = moved.find(pos);
        return it == moved.end() ? pos : it->second;
    };
    for (std::size_t i = 0; i < k; ++i) {
        const auto j = i + static_cast<std::size_t>(rng.below(n - i));
        const std::size_t vi = value_at(i);
        const std::size_t vj = value_at(j);
        moved[i] = vj;
        moved[j] = vi;
        out.push_back(vj);
    }
    return out;
}

}  // namespace tessera
