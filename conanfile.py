"""Conan 2 recipe for tessera, a header-only C++20 machine-learning library.

    conan create .                                   # package it and run test_package/
    conan create . -o "tessera/*:with_eigen=True"    # also provide tessera::eigen

Consumers get, through CMakeDeps, the same CMake names as tessera's own installed package:
`find_package(tessera CONFIG REQUIRED)` and the target `tessera::tessera`, plus
`tessera::eigen` / `tessera::xsimd` when the matching option is on. See docs/packaging.md.
"""

import os
import re

from conan import ConanFile
from conan.errors import ConanException, ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout
from conan.tools.scm import Version

required_conan_version = ">=2.0"


class TesseraConan(ConanFile):
    name = "tessera"
    description = "Header-only C++20 machine-learning library"
    license = "MIT"
    # No `url` or `homepage`: the project does not publish one yet, and pointing at
    # conan-center-index would claim a recipe there that does not exist.
    topics = ("machine-learning", "header-only", "nearest-neighbors", "naive-bayes",
              "logistic-regression", "simd")

    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "with_eigen": [True, False],
        "with_xsimd": [True, False],
    }
    default_options = {
        "with_eigen": False,
        "with_xsimd": False,
    }
    no_copy_source = True
    # The package step copies only these; CMakeLists.txt and cmake/ are not exported because
    # nothing is configured or built (see package()), so editing them does not change the
    # recipe revision.
    exports_sources = "include/*", "LICENSE"

    # Compilers tessera is built and tested with (docs/building.md).
    _minimum_compilers = {"gcc": "12", "clang": "14"}

    def set_version(self):
        # include/tessera/version.hpp is the one source of the version, as for CMake.
        header = os.path.join(self.recipe_folder, "include", "tessera", "version.hpp")
        text = load(self, header)
        parts = []
        for part in ("MAJOR", "MINOR", "PATCH"):
            match = re.search(rf"^#define TESSERA_VERSION_{part} +([0-9]+)", text, re.MULTILINE)
            if not match:
                raise ConanException(f"cannot read TESSERA_VERSION_{part} from {header}")
            parts.append(match.group(1))
        version = ".".join(parts)
        if self.version and str(self.version) != version:
            raise ConanException(f"--version {self.version} does not match "
                                 f"include/tessera/version.hpp ({version})")
        self.version = version

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # tessera's headers include the dependency's headers, so they must reach consumers
        # (header-library requirements are transitive_headers by default; said explicitly).
        if self.options.with_eigen:
            self.requires("eigen/3.4.0", transitive_headers=True)
        if self.options.with_xsimd:
            # tessera's CMake does find_package(xsimd) with no version and uses only the
            # `xsimd` target, and no tessera header includes xsimd yet, so any version works
            # (Debian 12's 8.1 does with tessera's CMake); this is a recent ConanCenter one.
            self.requires("xsimd/13.2.0", transitive_headers=True)

    def package_id(self):
        # Same headers for every configuration and option: one package.
        self.info.clear()

    def validate(self):
        compiler = self.settings.get_safe("compiler")
        version = self.settings.get_safe("compiler.version")
        minimum = self._minimum_compilers.get(str(compiler))
        if minimum is None and compiler is not None:
            self.output.warning(f"tessera is tested with GCC >= 12 and Clang >= 14 only, "
                                f"not with {compiler} {version}")
        elif minimum is not None and version and Version(version) < minimum:
            raise ConanInvalidConfiguration(
                f"tessera supports GCC >= 12 and Clang >= 14 (docs/building.md); "
                f"this profile has {compiler} {version}")
        check_min_cppstd(self, 20)

    def package(self):
        # Plain copies rather than `cmake --install`: the package is the headers and the
        # license. Running tessera's CMake install would need CMake as a tool requirement,
        # would probe the build machine for Eigen/xsimd/OpenMP/zlib, and would add
        # share/cmake/tessera and tessera.pc, which consumers must not use here (CMakeDeps and
        # PkgConfigDeps generate them from package_info(), with Conan's paths).
        copy(self, "LICENSE", src=self.source_folder,
             dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "tessera")
        self.cpp_info.set_property("pkg_config_name", "tessera")
        # With components, CMakeDeps turns the package's own target into an aggregate that
        # links every component. tessera::tessera must stay the plain core, as in tessera's
        # CMake package (linking it must not pull in Eigen nor define TESSERA_HAS_EIGEN), so
        # the core is the component "tessera" below and the aggregate is tessera::all:
        # tessera::tessera plus the companions the options enabled.
        self.cpp_info.set_property("cmake_target_name", "tessera::all")

        # Named like the package, so that `tessera::tessera` in a consumer recipe's
        # cpp_info.requires means the core there too.
        core = self.cpp_info.components["tessera"]
        core.set_property("cmake_target_name", "tessera::tessera")
        # Same name as the package: PkgConfigDeps then writes tessera.pc for the core only.
        core.set_property("pkg_config_name", "tessera")
        core.set_property("pkg_config_custom_content", "cxx_std=-std=c++20")
        core.includedirs = ["include"]
        core.bindirs = []
        core.libdirs = []

        # Companions, as CMakeLists.txt's _tessera_add_companion defines them: each links
        # tessera::tessera and the dependency and defines TESSERA_HAS_<NAME>=1.
        companions = []
        if self.options.with_eigen:
            companions.append(("eigen", "TESSERA_HAS_EIGEN", "eigen::eigen"))
        if self.options.with_xsimd:
            companions.append(("xsimd", "TESSERA_HAS_XSIMD", "xsimd::xsimd"))
        for name, macro, dependency in companions:
            component = self.cpp_info.components[name]
            component.set_property("cmake_target_name", f"tessera::{name}")
            component.set_property("pkg_config_name", f"tessera-{name}")
            component.defines = [f"{macro}=1"]
            component.requires = ["tessera", dependency]
            component.includedirs = []
            component.bindirs = []
            component.libdirs = []
