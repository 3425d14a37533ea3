# The source of a release. This call is the only part of the port that depends on where the
# sources come from: scripts/check_vcpkg_port.sh replaces it with vcpkg_from_git on a local
# checkout and checks the rest unchanged. At a release, REF and SHA512 are updated together
# (docs/release.md).
vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO tessera-ml/tessera
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        eigen   TESSERA_WITH_EIGEN
        openmp  TESSERA_WITH_OPENMP
        xsimd   TESSERA_WITH_XSIMD
        zlib    TESSERA_WITH_ZLIB
)

# Header-only: one configuration is enough, and nothing lands in lib/ or debug/.
set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DTESSERA_INSTALL=ON
        -DTESSERA_BUILD_TESTS=OFF
        -DTESSERA_BUILD_EXAMPLES=OFF
        -DTESSERA_BUILD_BENCHMARKS=OFF
        -DTESSERA_BUILD_FUZZERS=OFF
        -DTESSERA_BUILD_DOCS=OFF
        ${FEATURE_OPTIONS}
)
vcpkg_cmake_install()

# tessera's CMakeLists.txt looks for each optional dependency and quietly leaves its companion
# target out when it is not found. A feature the user asked for must not vanish that way.
foreach(companion IN ITEMS eigen openmp xsimd zlib)
    if(companion IN_LIST FEATURES
       AND NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/cmake/tessera/tessera-${companion}-targets.cmake")
        message(FATAL_ERROR "tessera: feature '${companion}' was requested, but the build did not "
                            "find its dependency, so tessera::${companion} was not installed")
    endif()
endforeach()

vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/tessera)
vcpkg_fixup_pkgconfig()

# The license goes where vcpkg expects it, not in share/doc.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
