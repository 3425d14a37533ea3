/// \file
/// tessera/simd/cpu.hpp - what the CPU can run, probed once, and which kernel level is used.
///
/// Kernels exist in several variants (scalar, AVX2+FMA, AVX-512, NEON), each compiled in the
/// headers with a target attribute, so a program built without any -march flag still runs the
/// best variant the CPU has. The CPU and the operating system's support for saving the wider
/// register state (XCR0, read with xgetbv) are probed once, on first use, thread-safely. A
/// level is usable only when both the CPU and the OS support it, so no instruction the machine
/// cannot execute is ever reached.
///
/// The active level is the best usable one, unless a caller forces another (tests, benchmarks,
/// or a user comparing variants). Forcing is process-wide and meant for that purpose: it is an
/// atomic value, read by each kernel call, never a function pointer that is rewritten.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "tessera/core/error.hpp"

/// 1 when compiling for 32- or 64-bit x86, else 0.
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define TESSERA_ARCH_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#else
#define TESSERA_ARCH_X86 0
#endif

/// 1 when compiling for AArch64, else 0.
#if defined(__aarch64__) || defined(_M_ARM64)
#define TESSERA_ARCH_ARM64 1
#else
#define TESSERA_ARCH_ARM64 0
#endif

/// CPU feature detection, kernel-level selection and the runtime-dispatched distance and
/// selection kernels on raw arrays. Most code uses the metrics of tessera/distance/metrics.hpp.
namespace tessera::simd {

/// Kernel variants, from the portable reference up.
enum class level : std::uint8_t {
    scalar = 0,  ///< portable C++, the reference every other level is tested against
    avx2 = 1,    ///< x86-64 AVX2 + FMA + F16C (Haswell, Zen 1 and later)
    avx512 = 2,  ///< x86-64 AVX-512 F + BW + VL + DQ (Skylake-SP, Ice Lake, Zen 4 and later)
    neon = 3,    ///< AArch64 Advanced SIMD
};

/// A readable name: "scalar", "avx2", "avx512", "neon".
[[nodiscard]] constexpr std::string_view level_name(level l) noexcept {
    switch (l) {
        case level::scalar: return "scalar";
        case level::avx2: return "avx2";
        case level::avx512: return "avx512";
        case level::neon: return "neon";
    }
    return "unknown";
}

/// What the CPU and the operating system support (all false on other architectures).
struct cpu_features {
    bool popcnt = false;           ///< POPCNT (CPUID leaf 1)
    bool avx = false;              ///< AVX (CPU support only; see os_saves_ymm)
    bool avx2 = false;             ///< AVX2
    bool fma = false;              ///< FMA3
    bool f16c = false;             ///< F16C half-precision conversions
    bool avx512f = false;          ///< AVX-512 Foundation (CPU support only; see os_saves_zmm)
    bool avx512bw = false;         ///< AVX-512 byte and word instructions
    bool avx512vl = false;         ///< AVX-512 on 128- and 256-bit vectors
    bool avx512dq = false;         ///< AVX-512 doubleword and quadword instructions
    bool avx512vnni = false;       ///< AVX-512 VNNI integer dot products
    bool avx512bf16 = false;       ///< AVX-512 BF16 (CPUID leaf 7, sub-leaf 1)
    bool avx512vpopcntdq = false;  ///< AVX-512 VPOPCNTDQ vector population count
    bool os_saves_ymm = false;     ///< XCR0 has the SSE and AVX state bits
    bool os_saves_zmm = false;     ///< XCR0 also has the opmask and both ZMM state bits
    bool neon = false;             ///< AArch64 Advanced SIMD (always true on AArch64)
};

namespace detail {
/// \cond

#if TESSERA_ARCH_X86
struct cpuid_regs {
    std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

inline cpuid_regs cpuid(std::uint32_t leaf, std::uint32_t subleaf) noexcept {
    cpuid_regs r;
#if defined(_MSC_VER) && !defined(__clang__)
    int out[4];
    __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
    r.eax = static_cast<std::uint32_t>(out[0]);
    r.ebx = static_cast<std::uint32_t>(out[1]);
    r.ecx = static_cast<std::uint32_t>(out[2]);
    r.edx = static_cast<std::uint32_t>(out[3]);
#else
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d) == 0) return r;  // leaf not supported
    r.eax = a;
    r.ebx = b;
    r.ecx = c;
    r.edx = d;
#endif
    return r;
}

// XCR0: which register states the OS saves on context switches. Only valid when OSXSAVE is set.
inline std::uint64_t read_xcr0() noexcept {
#if defined(_MSC_VER) && !defined(__clang__)
    return _xgetbv(0);
#else
    std::uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
#endif
}
#endif

inline cpu_features probe_cpu() noexcept {
    cpu_features f;
#if TESSERA_ARCH_X86 && defined(TESSERA_SIMD_EMULATE_X86)
    // Test builds whose x86 intrinsics are emulated in portable code (see detail/x86.hpp).
    f.popcnt = f.avx = f.avx2 = f.fma = f.f16c = true;
    f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = f.avx512vnni = f.avx512bf16 = f.avx512vpopcntdq = true;
    f.os_saves_ymm = f.os_saves_zmm = true;
#elif TESSERA_ARCH_X86
    const auto bit = [](std::uint32_t reg, int b) { return ((reg >> b) & 1u) != 0; };
    const std::uint32_t max_leaf = cpuid(0, 0).eax;
    if (max_leaf < 1) return f;
    const cpuid_regs l1 = cpuid(1, 0);
    f.popcnt = bit(l1.ecx, 23);
    f.fma = bit(l1.ecx, 12);
    f.f16c = bit(l1.ecx, 29);
    const bool osxsave = bit(l1.ecx, 27);
    f.avx = bit(l1.ecx, 28);
    if (osxsave) {
        const std::uint64_t xcr0 = read_xcr0();
        f.os_saves_ymm = (xcr0 & 0x6u) == 0x6u;      // SSE (bit 1) and AVX (bit 2) state
        f.os_saves_zmm = (xcr0 & 0xE6u) == 0xE6u;    // plus opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7)
    }
    if (max_leaf >= 7) {
        const cpuid_regs l7 = cpuid(7, 0);
        f.avx2 = bit(l7.ebx, 5);
        f.avx512f = bit(l7.ebx, 16);
        f.avx512dq = bit(l7.ebx, 17);
        f.avx512bw = bit(l7.ebx, 30);
        f.avx512vl = bit(l7.ebx, 31);
        f.avx512vnni = bit(l7.ecx, 11);
        f.avx512vpopcntdq = bit(l7.ecx, 14);
        if (l7.eax >= 1) f.avx512bf16 = bit(cpuid(7, 1).eax, 5);
    }
#elif TESSERA_ARCH_ARM64
    f.neon = true;  // Advanced SIMD is mandatory on AArch64
#endif
    return f;
}

inline constexpr int no_forced_level = -1;

// The forced level, or no_forced_level. Process-wide by design (see the header comment).
inline std::atomic<int>& forced_level_state() noexcept {
    static std::atomic<int> state{no_forced_level};
    return state;
}

/// \endcond
}  // namespace detail

/// The features of the CPU this process runs on; probed on the first call (thread-safe).
[[nodiscard]] inline const cpu_features& cpu() noexcept {
    static const cpu_features features = detail::probe_cpu();
    return features;
}

/// Whether kernels of level `l` can run here (CPU and OS support, and compiled in).
[[nodiscard]] inline bool level_supported(level l) noexcept {
    const cpu_features& f = cpu();
    switch (l) {
        case level::scalar: return true;
        case level::avx2:  // F16C too: every AVX2 CPU has it, and the half-precision kernels use it
            return TESSERA_ARCH_X86 && f.avx && f.avx2 && f.fma && f.f16c && f.popcnt && f.os_saves_ymm;
        case level::avx512:  // every AVX-512 CPU also has AVX2, FMA and POPCNT, which its kernels use too
            return level_supported(level::avx2) && f.popcnt && f.avx512f && f.avx512bw && f.avx512vl &&
                   f.avx512dq && f.os_saves_zmm;
        case level::neon: return TESSERA_ARCH_ARM64 && f.neon;
    }
    return false;
}

/// The fastest level this machine supports.
[[nodiscard]] inline level best_level() noexcept {
    static const level best = [] {
        for (level l : {level::avx512, level::avx2, level::neon}) {
            if (level_supported(l)) return l;
        }
        return level::scalar;
    }();
    return best;
}

/// The level kernels use now: the forced one, else best_level(). O(1), one atomic load.
[[nodiscard]] inline level active_level() noexcept {
    const int forced = detail::forced_level_state().load(std::memory_order_relaxed);
    return forced == detail::no_forced_level ? best_level() : static_cast<level>(forced);
}

/// Makes every kernel run at level `l` (for tests and benchmarks). Throws
/// `tessera::invalid_argument` if this machine cannot run `l`, naming what is missing.
inline void force_level(level l) {
    if (!level_supported(l)) {
        std::string why;
        switch (l) {
            case level::avx2: why = "needs AVX2, FMA, F16C and POPCNT with OS support for YMM state"; break;
            case level::avx512: why = "needs AVX-512 F, BW, VL and DQ with OS support for ZMM state"; break;
            case level::neon: why = "needs an AArch64 CPU"; break;
            case level::scalar: break;
        }
        tessera::detail::throw_argument("simd::force_level", "level",
                               "this CPU cannot run the " + std::string(level_name(l)) + " kernels (" + why + ")");
    }
    detail::forced_level_state().store(static_cast<int>(l), std::memory_order_relaxed);
}

/// Returns to automatic selection (best_level()).
inline void reset_level() noexcept {
    detail::forced_level_state().store(detail::no_forced_level, std::memory_order_relaxed);
}

/// Forces a level for the lifetime of the guard, then restores the previous setting.
class scoped_level {
public:
    /// Forces level `l`, as force_level does (so it throws `tessera::invalid_argument` when
    /// this machine cannot run `l`); the destructor restores the setting in force before.
    explicit scoped_level(level l) : previous_(detail::forced_level_state().load(std::memory_order_relaxed)) {
        force_level(l);
    }
    scoped_level(const scoped_level&) = delete;
    scoped_level& operator=(const scoped_level&) = delete;
    ~scoped_level() { detail::forced_level_state().store(previous_, std::memory_order_relaxed); }

private:
    int previous_;
};

}  // namespace tessera::simd
