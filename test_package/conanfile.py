import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class TesseraTestPackageConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def generate(self):
        CMakeDeps(self).generate()
        toolchain = CMakeToolchain(self)
        # No CMakeUserPresets.json next to CMakeLists.txt: `conan create` would leave it in
        # the source tree.
        toolchain.user_presets_path = False
        # Tell CMakeLists.txt which companion targets the package must provide, so that a
        # missing tessera::eigen / tessera::xsimd fails the test instead of being skipped.
        options = self.dependencies[self.tested_reference_str.split("/")[0]].options
        toolchain.cache_variables["TESSERA_EXPECT_EIGEN"] = bool(options.with_eigen)
        toolchain.cache_variables["TESSERA_EXPECT_XSIMD"] = bool(options.with_xsimd)
        toolchain.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "test_package"), env="conanrun")
