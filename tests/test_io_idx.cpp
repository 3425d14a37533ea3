// Tests for tessera/io/idx.hpp: IDX files written here by an independent little encoder, plain
// and gzip-compressed, and every way one can be broken.
#include <tessera/io/idx.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>


#include "io_test_support.hpp"

namespace fs = std::filesystem;
using namespace tessera_test;

namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int k = bytes - 1; k >= 0; --k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

// The header bytes 00 00 type rank, then each dimension as big-endian uint32.
std::string idx_header(unsigned type, const std::vector<std::uint32_t>& dims) {
    std::string out;
    put_be(out, (type << 8) | static_cast<unsigned>(dims.size()), 4);
    for (auto d : dims) put_be(out, d, 4);
    return out;
}

std::string ubyte_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    std::string out = idx_header(0x08, {n, rows, cols});
    for (std::uint32_t k = 0; k < n * rows * cols; ++k) out += static_cast<char>((k * 37 + 11) % 256);
    return out;
}

tessera::dense_matrix<float> images(const std::string& bytes) {
    std::istringstream in(bytes);
    return tessera::read_idx_images<float>(in, "mem.idx");
}

std::string images_error(const std::string& bytes) {
    return error_of<tessera::format_error>([&] { (void)images(bytes); });
}

std::string labels_error(const std::string& bytes) {
    return error_of<tessera::format_error>([&] {
        std::istringstream in(bytes);
        (void)tessera::read_idx_labels(in, "mem.idx");
    });
}

}  // namespace

TEST_CASE("read_idx_images: ubyte images, one row per image, pixels row-major") {
    const std::string bytes = ubyte_images(3, 2, 5);
    temp_file f("images-idx3-ubyte", bytes);
    const auto m = tessera::read_idx_images<float>(f.path);
    REQUIRE(m.rows() == 3);
    REQUIRE(m.cols() == 10);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 10; ++j) CHECK(m(i, j) == static_cast<float>(((i * 10 + j) * 37 + 11) % 256));

    std::istringstream in(bytes);
    const auto raw = tessera::read_idx_images<std::uint8_t>(in);
    CHECK(raw(2, 9) == static_cast<std::uint8_t>((29 * 37 + 11) % 256));
    std::istringstream in2(bytes);
    CHECK(tessera::read_idx_images<double>(in2)(1, 3) == static_cast<double>((13 * 37 + 11) % 256));
}

TEST_CASE("read_idx_images: rank 2 and zero items") {
    std::string two = idx_header(0x08, {2, 3}) + std::string("\x01\x02\x03\x04\x05\x06", 6);
    const auto m = images(two);
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 3);
    CHECK(m(1, 2) == 6.f);
    const auto empty = images(idx_header(0x08, {0, 28, 28}));
    CHECK(empty.rows() == 0);
    CHECK(empty.cols() == 784);
}

TEST_CASE("read_idx_images: every IDX element type, big-endian") {
    SUBCASE("signed byte") {
        const auto m = images(idx_header(0x09, {1, 3}) + std::string("\xff\x80\x7f", 3));
        CHECK(m(0, 0) == -1.f);
        CHECK(m(0, 1) == -128.f);
        CHECK(m(0, 2) == 127.f);
    }
    SUBCASE("int16 and int32") {
        std::string s16 = idx_header(0x0B, {1, 2});
        put_be(s16, 0xfffe, 2);  // -2
        put_be(s16, 0x1234, 2);
        const auto a = images(s16);
        CHECK(a(0, 0) == -2.f);
        CHECK(a(0, 1) == 4660.f);
        std::string s32 = idx_header(0x0C, {1, 2});
        put_be(s32, 0xfffffff6u, 4);  // -10
        put_be(s32, 100000, 4);
        std::istringstream in(s32);
        const auto b = tessera::read_idx_images<std::int32_t>(in);
        CHECK(b(0, 0) == -10);
        CHECK(b(0, 1) == 100000);
    }
    SUBCASE("float32 and float64") {
        std::string f32 = idx_header(0x0D, {1, 2});
        std::uint32_t bits = 0;
        const float x = -1.25f;
        std::memcpy(&bits, &x, 4);
        put_be(f32, bits, 4);
        put_be(f32, 0x3f800000u, 4);  // 1.0f
        const auto a = images(f32);
        CHECK(a(0, 0) == -1.25f);
        CHECK(a(0, 1) == 1.f);
        std::string f64 = idx_header(0x0E, {2, 1});
        put_be(f64, 0x400921fb54442d18ull, 8);  // pi
        put_be(f64, 0xc000000000000000ull, 8);  // -2
        std::istringstream in(f64);
        const auto b = tessera::read_idx_images<double>(in);
        CHECK(b(0, 0) == 3.141592653589793);
        CHECK(b(1, 0) == -2.0);
    }
    SUBCASE("values the element type cannot hold") {
        std::string s32 = idx_header(0x0C, {1, 1, 2});
        put_be(s32, 7, 4);
        put_be(s32, 300, 4);
        const auto msg = error_of<tessera::format_error>([&] {
            std::istringstream in(s32);
            (void)tessera::read_idx_images<std::uint8_t>(in, "wide.idx");
        });
        CHECK(contains(msg, "tessera::read_idx_images: wide.idx: byte 20: the value 300 does not fit the element type uint8"));
        std::string f64 = idx_header(0x0E, {1, 1});
        put_be(f64, 0x7fefffffffffffffull, 8);  // DBL_MAX
        CHECK(contains(images_error(f64), "mem.idx: byte 12: the value"));
        const auto ints = error_of<tessera::format_error>([&] {
            std::istringstream in(idx_header(0x0D, {1, 1}) + std::string(4, '\0'));
            (void)tessera::read_idx_images<int>(in, "f.idx");
        });
        CHECK(contains(ints, "f.idx: byte 2: the file holds float32 (0x0D) values; read them with a floating-point T"));
    }
}

TEST_CASE("read_idx_labels: ubyte rank 1") {
    const std::string bytes = idx_header(0x08, {5}) + std::string("\x00\x09\x03\x03\x07", 5);
    temp_file f("labels-idx1-ubyte", bytes);
    CHECK(tessera::read_idx_labels(f.path) == std::vector<std::uint8_t>{0, 9, 3, 3, 7});
    std::istringstream empty(idx_header(0x08, {0}));
    CHECK(tessera::read_idx_labels(empty).empty());
}

TEST_CASE("read_idx: every malformed input names the source and the byte offset") {
    SUBCASE("empty and short headers") {
        CHECK(contains(images_error(""), "tessera::read_idx_images: mem.idx: byte 0: the data is empty"));
        CHECK(contains(images_error(std::string("\0\0\x08", 3)), "mem.idx: byte 3: truncated header: expected a 4-byte magic number"));
        CHECK(contains(images_error(idx_header(0x08, {10, 28, 28}).substr(0, 10)),
                       "mem.idx: byte 10: truncated header: expected dimension 2 of 3"));
        CHECK(contains(labels_error(idx_header(0x08, {10}).substr(0, 6)), "tessera::read_idx_labels: mem.idx: byte 6: truncated header"));
    }
    SUBCASE("wrong magic, type and rank") {
        CHECK(contains(images_error("P5\n28 28\n255\n"), "mem.idx: byte 0: bad magic number 0x50350a32: not an IDX file"));
        CHECK(contains(images_error(idx_header(0x0A, {1, 1, 1}) + "x"), "mem.idx: byte 2: unknown IDX element type code 0x0a"));
        CHECK(contains(images_error(idx_header(0x08, {3}) + "abc"), "mem.idx: byte 3: magic number 0x00000801: rank 1 (a label file?)"));
        CHECK(contains(images_error(idx_header(0x08, {})), "mem.idx: byte 3: magic number 0x00000800: rank 0"));
        CHECK(contains(labels_error(ubyte_images(1, 1, 1)), "tessera::read_idx_labels: mem.idx: byte 3: magic number 0x00000803: rank 3"));
        CHECK(contains(labels_error(idx_header(0x0D, {1}) + std::string(4, '\0')),
                       "mem.idx: byte 2: read_idx_labels reads unsigned bytes (type 0x08), the file holds float32"));
    }
    SUBCASE("header only, and half the pixels") {
        CHECK(contains(images_error(idx_header(0x08, {2, 28, 28})),
                       "mem.idx: byte 16: truncated data: item 1 of 2 (shape 2 x 28 x 28) ends after 0 of its 784 bytes"));
        const std::string full = ubyte_images(2, 28, 28);
        CHECK(contains(images_error(full.substr(0, 16 + 784 + 392)),
                       "mem.idx: byte 1192: truncated data: item 2 of 2 (shape 2 x 28 x 28) ends after 392 of its 784 bytes"));
        CHECK(contains(labels_error(idx_header(0x08, {10}) + "abc"),
                       "mem.idx: byte 11: truncated data: the header declares 10 labels, the data holds 3"));
    }
    SUBCASE("data after the declared items") {
        CHECK(contains(images_error(ubyte_images(1, 2, 2) + "!"), "mem.idx: byte 20: unexpected data after the 1 items"));
        CHECK(contains(labels_error(idx_header(0x08, {1}) + "ab"), "mem.idx: byte 9: unexpected data after the 1 labels"));
    }
    SUBCASE("declared sizes that overflow, or that the data does not back") {
        const std::uint32_t big = 1u << 31;
        CHECK(contains(images_error(idx_header(0x08, {big, big, big})),
                       "mem.idx: byte 4: the declared shape 2147483648 x 2147483648 x 2147483648 is too large to address"));
        CHECK(contains(images_error(idx_header(0x08, {1, big, big}) + "abc"),
                       "the declared shape 1 x 2147483648 x 2147483648 is too large"));
        // Declares 4 GiB in one image and 4 billion images: both must fail on the real size of the
        // data without allocating what the header claims.
        CHECK(contains(images_error(idx_header(0x08, {1, 65536, 65536}) + "abc"),
                       "mem.idx: byte 19: truncated data: item 1 of 1 (shape 1 x 65536 x 65536) ends after 3 of its 4294967296 bytes"));
        CHECK(contains(images_error(idx_header(0x08, {0xffffffffu, 1, 1}) + "abc"),
                       "mem.idx: byte 19: truncated data: item 4 of 4294967295"));
        CHECK(contains(labels_error(idx_header(0x08, {0xffffffffu}) + "abc"), "the header declares 4294967295 labels, the data holds 3"));
        CHECK(contains(images_error(idx_header(0x08, {5, 0, 3})), "mem.idx: byte 8: dimension 2 of the shape 5 x 0 x 3 is 0"));
    }
    SUBCASE("files are named by their path; missing files are io_error") {
        temp_file f("short.idx", idx_header(0x08, {1, 1, 2}) + "x");
        CHECK(contains(error_of<tessera::format_error>([&] { (void)tessera::read_idx_images(f.path); }),
                       "tessera::read_idx_images: " + f.path.string() + ": byte 17: truncated data"));
        const fs::path missing = fs::temp_directory_path() / "tessera_test_idx_missing-idx3-ubyte";
        CHECK(contains(error_of<tessera::io_error>([&] { (void)tessera::read_idx_labels(missing); }),
                       "tessera::read_idx_labels: " + missing.string() + ": cannot open: No such file or directory"));
    }
}

TEST_CASE("read_idx: a stream that fails while reading is io_error naming the offset") {
    // The stream delivers 64 KiB to the first read and fails on the next.
    failing_buffer buffer(ubyte_images(100, 28, 28));
    std::istream in(&buffer);
    const auto msg = error_of<tessera::io_error>([&] { (void)tessera::read_idx_images(in, "disk.idx"); });
    CHECK(contains(msg, "tessera::read_idx_images: disk.idx: read error at byte 65536"));
}

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
TEST_CASE("read_idx: gzip-compressed files, recognised by their magic bytes") {
    const std::string bytes = ubyte_images(4, 3, 3);
    temp_file f("images.idx", gzip(bytes));  // no .gz in the name on purpose
    const auto m = tessera::read_idx_images<float>(f.path);
    REQUIRE(m.rows() == 4);
    std::istringstream plain(bytes);
    CHECK(m == tessera::read_idx_images<float>(plain));

    temp_file l("labels.gz", gzip(idx_header(0x08, {3}) + std::string("\x01\x02\x03", 3)));
    CHECK(tessera::read_idx_labels(l.path) == std::vector<std::uint8_t>{1, 2, 3});
}

TEST_CASE("read_idx: truncated and corrupt gzip, and gzip bombs") {
    const std::string bytes = ubyte_images(50, 28, 28);
    const std::string gz = gzip(bytes);
    SUBCASE("truncated") {
        const auto msg = images_error(gz.substr(0, gz.size() - 100));
        CHECK(contains(msg, "tessera::read_idx_images: mem.idx: byte "));
        CHECK(contains(msg, "truncated gzip data"));
        // Cut inside the 8-byte trailer: all the pixels arrive, the CRC does not.
        CHECK(contains(images_error(gz.substr(0, gz.size() - 3)), "truncated gzip data"));
    }
    SUBCASE("corrupt") {
        std::string bad = gz;
        for (std::size_t k = 30; k < 60; ++k) bad[k] = static_cast<char>(~bad[k]);
        const auto msg = images_error(bad);
        CHECK(contains(msg, "mem.idx: byte "));
        CHECK(contains(msg, "corrupt gzip data"));
        std::string crc = gz;
        crc[crc.size() - 8] = static_cast<char>(crc[crc.size() - 8] ^ 0x10);
        CHECK(contains(images_error(crc), "corrupt gzip data (incorrect data check)"));
        std::string header = gz;
        header[2] = 7;  // compression method must be 8 (deflate)
        CHECK(contains(images_error(header), "mem.idx: byte 0: corrupt gzip data"));
    }
    SUBCASE("a bomb stops at the declared size") {
        // 1 image of 2 x 2, followed by 64 MiB of zeros that compress to ~64 KiB: the reader
        // reads 5 bytes past the header and stops, whatever follows.
        std::string bomb = idx_header(0x08, {1, 2, 2}) + std::string(std::size_t{64} << 20, '\0');
        CHECK(contains(images_error(gzip(bomb)), "mem.idx: byte 20: unexpected data after the 1 items"));
        std::string label_bomb = idx_header(0x08, {2}) + std::string(std::size_t{16} << 20, '\x01');
        CHECK(contains(labels_error(gzip(label_bomb)), "mem.idx: byte 10: unexpected data after the 2 labels"));
    }
}
#else
TEST_CASE("read_idx: without zlib, gzip files are refused with a clear message") {
    const auto msg = images_error(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
    CHECK(contains(msg, "tessera::read_idx_images: mem.idx: byte 0:"));
    CHECK(contains(msg, "gzip support needs zlib: link tessera::zlib"));
}
#endif
