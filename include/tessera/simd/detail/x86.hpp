// tessera/simd/detail/x86.hpp - the one place the x86 kernels get their intrinsics and target
// attributes from.
//
// Each kernel function carries the target attribute of its level, so the headers compile in any
// build (no -mavx2 or -mavx512f) and a level's code runs only after cpu.hpp found CPU and OS
// support for it.
//
// Test builds may define TESSERA_SIMD_EMULATE_X86 (never a user setting): the intrinsics then
// come from SIMDe (SIMD Everywhere, libsimde-dev), which implements every x86 intrinsic in
// portable C, the target attributes are dropped, and cpu.hpp reports every x86 feature present.
// That runs the AVX2 and AVX-512 (VNNI, BF16) kernels, masks and tails included, against the
// scalar reference on a machine without those instructions. It checks what the kernels
// compute, not how fast.
#pragma once

#include "tessera/simd/cpu.hpp"

#if TESSERA_ARCH_X86

#if defined(TESSERA_SIMD_EMULATE_X86)
#include "tessera/simd/detail/x86_emulation.hpp"
#define TESSERA_TARGET_AVX2
#define TESSERA_TARGET_AVX512
#define TESSERA_TARGET_AVX512_VNNI
#define TESSERA_TARGET_AVX512_BF16
#else
#include <immintrin.h>
#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c,popcnt")))
#define TESSERA_TARGET_AVX512 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt")))
#define TESSERA_TARGET_AVX512_VNNI \
    __attribute__((target("avx512vnni,avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt")))
#define TESSERA_TARGET_AVX512_BF16 \
    __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt")))
#else
#define TESSERA_TARGET_AVX2
#define TESSERA_TARGET_AVX512
#define TESSERA_TARGET_AVX512_VNNI
#define TESSERA_TARGET_AVX512_BF16
#endif
#endif

#endif  // TESSERA_ARCH_X86
