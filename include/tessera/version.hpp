/// \file
/// tessera/version.hpp - the single source of tessera's version. CMake reads the three
/// TESSERA_VERSION_* lines below, so keep their form.
#pragma once

/// Major version.
#define TESSERA_VERSION_MAJOR 0
/// Minor version.
#define TESSERA_VERSION_MINOR 1
/// Patch version.
#define TESSERA_VERSION_PATCH 0

/// MAJOR * 10000 + MINOR * 100 + PATCH, for preprocessor comparisons.
#define TESSERA_VERSION (TESSERA_VERSION_MAJOR * 10000 + TESSERA_VERSION_MINOR * 100 + TESSERA_VERSION_PATCH)

#define TESSERA_DETAIL_STRINGIZE2(x) #x
#define TESSERA_DETAIL_STRINGIZE(x) TESSERA_DETAIL_STRINGIZE2(x)
/// "MAJOR.MINOR.PATCH" as a string literal, built from the three numbers above.
#define TESSERA_VERSION_STRING                                                     \
    TESSERA_DETAIL_STRINGIZE(TESSERA_VERSION_MAJOR)                                \
    "." TESSERA_DETAIL_STRINGIZE(TESSERA_VERSION_MINOR) "." TESSERA_DETAIL_STRINGIZE( \
        TESSERA_VERSION_PATCH)

/// tessera's public API: data containers, models, metrics, model selection and input/output.
/// Names in `tessera::detail` are implementation details and may change without notice.
namespace tessera {

/// A version as three numbers; see tessera::version.
struct version_info {
    int major;  ///< TESSERA_VERSION_MAJOR
    int minor;  ///< TESSERA_VERSION_MINOR
    int patch;  ///< TESSERA_VERSION_PATCH
};

/// The version of the headers in use.
inline constexpr version_info version{TESSERA_VERSION_MAJOR, TESSERA_VERSION_MINOR, TESSERA_VERSION_PATCH};

/// "MAJOR.MINOR.PATCH"
inline constexpr const char version_string[] = TESSERA_VERSION_STRING;

}  // namespace tessera
