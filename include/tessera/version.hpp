// tessera/version.hpp - the single source of tessera's version. CMake reads the three
// TESSERA_VERSION_* lines below, so keep their form.
#pragma once

#define TESSERA_VERSION_MAJOR 0
#define TESSERA_VERSION_MINOR 1
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

namespace tessera {

struct version_info {
    int major;
    int minor;
    int patch;
};

/// The version of the headers in use.
inline constexpr version_info version{TESSERA_VERSION_MAJOR, TESSERA_VERSION_MINOR, TESSERA_VERSION_PATCH};

/// "MAJOR.MINOR.PATCH"
inline constexpr const char version_string[] = TESSERA_VERSION_STRING;

}  // namespace tessera
