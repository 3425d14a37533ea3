// Exact int8 / uint8 kernels at every level this machine supports: equality with a 64-bit
// integer reference, including lengths that cross the 32-bit flush interval with extreme values.
#include <doctest/doctest.h>

#include <tessera/core/random.hpp>
#include <tessera/simd/kernels.hpp>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

#include "simd_test_support.hpp"

namespace simd = tessera::simd;

namespace {

template <class T>
void check_exact(const std::vector<T>& a, const std::vector<T>& b) {
    std::int64_t dot = 0, l2 = 0, l1 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::int64_t x = a[i], y = b[i];
        dot += x * y;
        l2 += (x - y) * (x - y);
        l1 += std::abs(x - y);
    }
    CAPTURE(a.size());
    CHECK(simd::dot(a.data(), b.data(), a.size()) == dot);
    CHECK(simd::l2sq(a.data(), b.data(), a.size()) == l2);
    CHECK(simd::l1(a.data(), b.data(), a.size()) == l1);
}

template <class T>
void check_type() {
    tessera_test::for_each_level([&](simd::level) {
        tessera::random_engine rng(21);
        for (std::size_t n = 0; n <= 300; ++n) {
            std::vector<T> a(n), b(n);
            for (auto& v : a) v = static_cast<T>(rng.below(256));
            for (auto& v : b) v = static_cast<T>(rng.below(256));
            check_exact(a, b);
        }
        // Past three flush intervals of the widest kernel (AVX-512 VNNI: 8192 steps of 64
        // elements; AVX2 flushes every 8192 x 16, NEON every 256 x 16) with the largest possible
        // terms, in both orders (the VNNI dot product shifts one operand by 128, so (hi, lo) is
        // its largest term): a 32-bit accumulator that was never flushed would overflow here
        // (the intervals keep lanes below 2^30, so two intervals would not be enough).
        const std::size_t big = 3 * 8192 * 64 + 37;
        const T lo = std::numeric_limits<T>::min();
        const T hi = std::numeric_limits<T>::max();
        check_exact(std::vector<T>(big, lo), std::vector<T>(big, hi));
        check_exact(std::vector<T>(big, hi), std::vector<T>(big, lo));
        check_exact(std::vector<T>(big, lo), std::vector<T>(big, lo));
        check_exact(std::vector<T>(big, hi), std::vector<T>(big, hi));
    });
}

}  // namespace

TEST_CASE("int8 kernels are exact at every supported level") { check_type<std::int8_t>(); }
TEST_CASE("uint8 kernels are exact at every supported level") { check_type<std::uint8_t>(); }

TEST_CASE("byte kernels: the extreme sums are the closed-form values") {
    const std::size_t n = 300000;
    const std::vector<std::uint8_t> zeros(n, 0), full(n, 255);
    CHECK(simd::l2sq(zeros.data(), full.data(), n) == static_cast<std::int64_t>(n) * 255 * 255);
    CHECK(simd::l1(zeros.data(), full.data(), n) == static_cast<std::int64_t>(n) * 255);
    const std::vector<std::int8_t> neg(n, -128);
    CHECK(simd::dot(neg.data(), neg.data(), n) == static_cast<std::int64_t>(n) * 128 * 128);
}
