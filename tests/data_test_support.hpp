// Finding the shared data sets in tests: the folder named by TESSERA_DATA_DIR. Without it a test
// says what it skips (doctest MESSAGE) and passes; with it, a missing file is a failure.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace tessera_test {

/// The data directory, or nullopt after a MESSAGE saying that `what` is skipped.
inline std::optional<std::filesystem::path> data_dir(const char* what) {
    const char* dir = std::getenv("TESSERA_DATA_DIR");
    if (dir == nullptr || *dir == '\0') {
        MESSAGE("TESSERA_DATA_DIR is unset: skipping the " << std::string(what));
        return std::nullopt;
    }
    return std::filesystem::path(dir);
}

/// Whether this build reads .gz files (tessera::zlib linked); MESSAGE otherwise.
inline bool gzip_available([[maybe_unused]] const char* what) {
#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
    return true;
#else
    MESSAGE("built without zlib (link tessera::zlib): skipping the " << std::string(what));
    return false;
#endif
}

/// `file`, which must exist once TESSERA_DATA_DIR is set.
inline std::filesystem::path need(const std::filesystem::path& file) {
    INFO("data file: " << file.string());
    REQUIRE(std::filesystem::exists(file));
    return file;
}

}  // namespace tessera_test
