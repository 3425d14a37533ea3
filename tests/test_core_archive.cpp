// CRC-32C and the versioned archive: round trips, the documented layout, and refusal of every
// kind of damaged or hostile input.
#include <doctest/doctest.h>

#include <tessera/core/archive.hpp>
#include <tessera/core/labels.hpp>
#include <tessera/core/random.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Bit-at-a-time CRC-32C straight from the definition (reflected polynomial 0x82F63B78).
std::uint32_t crc32c_bitwise(const std::vector<std::uint8_t>& data) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::uint8_t byte : data) {
        c ^= byte;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

std::uint32_t crc_of(const std::vector<std::uint8_t>& v) {
    return tessera::crc32c_of(std::as_bytes(std::span<const std::uint8_t>(v)));
}

const tessera::archive_header demo_header{"demo_model", 3, tessera::type_tag::f32, tessera::type_tag::i64};

std::vector<std::byte> demo_archive() {
    tessera::archive_writer w(demo_header);
    w.write<std::int32_t>(-7);
    w.write(2.5);
    w.write(true);
    w.write_string("héllo");
    const std::vector<std::int64_t> ids{1, -2, 3000000000LL};
    w.write_span(std::span<const std::int64_t>(ids));
    tessera::dense_matrix<float> m{{1, 2, 3}, {4, 5, 6}};
    w.write_matrix<float>(m);
    return w.bytes();
}

void check_demo(tessera::archive_reader& r) {
    CHECK(r.header().kind == "demo_model");
    CHECK(r.header().schema_version == 3);
    CHECK(r.read<std::int32_t>("a") == -7);
    CHECK(r.read<double>("b") == 2.5);
    CHECK(r.read<bool>("c") == true);
    CHECK(r.read_string("d") == "héllo");
    CHECK(r.read_vector<std::int64_t>("ids") == std::vector<std::int64_t>{1, -2, 3000000000LL});
    const auto m = r.read_matrix<float>("m");
    CHECK(m == tessera::dense_matrix<float>{{1, 2, 3}, {4, 5, 6}});
    r.expect_end();
}

std::uint64_t le64(const std::vector<std::byte>& b, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(b[at + static_cast<std::size_t>(i)]);
    return v;
}

void put_le64(std::vector<std::byte>& b, std::size_t at, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}

void put_le32(std::vector<std::byte>& b, std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}

// Re-seals a hand-edited header so that only the edited field is wrong.
void reseal_header(std::vector<std::byte>& b) {
    std::vector<std::uint8_t> head(68);
    for (std::size_t i = 0; i < 68; ++i) head[i] = std::to_integer<std::uint8_t>(b[i]);
    put_le32(b, 68, crc32c_bitwise(head));
}

}  // namespace

TEST_CASE("crc32c: RFC 3720 check values and agreement with the bitwise definition") {
    CHECK(tessera::crc32c_of(std::string_view("123456789")) == 0xE3069283u);
    CHECK(crc_of(std::vector<std::uint8_t>(32, 0x00)) == 0x8A9136AAu);
    CHECK(crc_of(std::vector<std::uint8_t>(32, 0xFF)) == 0x62A8AB43u);
    std::vector<std::uint8_t> inc(32);
    std::vector<std::uint8_t> dec(32);
    for (std::uint8_t i = 0; i < 32; ++i) {
        inc[i] = i;
        dec[i] = static_cast<std::uint8_t>(31 - i);
    }
    CHECK(crc_of(inc) == 0x46DD794Eu);
    CHECK(crc_of(dec) == 0x113FDB5Cu);
    CHECK(tessera::crc32c_of(std::string_view()) == 0u);

    tessera::random_engine rng(3);
    for (std::size_t len = 0; len < 300; len += 1 + len / 10) {  // odd lengths around the 8-byte step
        std::vector<std::uint8_t> data(len);
        for (auto& x : data) x = static_cast<std::uint8_t>(rng.below(256));
        CHECK(crc_of(data) == crc32c_bitwise(data));
        // Incremental updates in two pieces give the same value.
        const std::size_t cut = len / 3;
        tessera::crc32c inc_crc;
        inc_crc.update(std::as_bytes(std::span<const std::uint8_t>(data.data(), cut)));
        inc_crc.update(std::as_bytes(std::span<const std::uint8_t>(data.data() + cut, len - cut)));
        CHECK(inc_crc.value() == crc32c_bitwise(data));
    }
}

TEST_CASE("archive: round trip through memory, streams and files") {
    const auto bytes = demo_archive();
    {
        tessera::archive_reader r(bytes, demo_header);
        check_demo(r);
    }
    {
        std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
        ss.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        ss << "next";  // a stream may carry more after the archive: exactly the archive is consumed
        tessera::archive_reader r(ss, demo_header);
        check_demo(r);
        std::string rest;
        ss >> rest;
        CHECK(rest == "next");
    }
    const auto path = std::filesystem::temp_directory_path() / "tessera_test_archive.bin";
    tessera::archive_writer w(demo_header);
    w.write<std::uint16_t>(65535);
    w.save(path);
    {
        auto r = tessera::archive_reader::open(path, demo_header);
        CHECK(r.read<std::uint16_t>("x") == 65535);
        CHECK(r.remaining() == 0);
    }
    {
        std::ofstream append(path, std::ios::binary | std::ios::app);
        append << 'x';
    }
    CHECK_THROWS_WITH_AS((void)tessera::archive_reader::open(path, demo_header),
                         doctest::Contains("unexpected bytes after the archive"), tessera::format_error);
    std::filesystem::remove(path);
    CHECK_THROWS_AS((void)tessera::archive_reader::open(path, demo_header), tessera::io_error);
}

TEST_CASE("archive: the header layout is the documented one") {
    const auto b = demo_archive();
    REQUIRE(b.size() > 72);
    const char magic[] = {'T', 'E', 'S', 'S', 'E', 'R', 'A', 0x1a};
    CHECK(std::memcmp(b.data(), magic, 8) == 0);
    CHECK(le64(b, 8) % (std::uint64_t{1} << 32) == tessera::archive_format_version);
    CHECK(std::to_integer<int>(b[12]) == 0x04);  // 0x01020304 little-endian
    CHECK(std::to_integer<int>(b[15]) == 0x01);
    CHECK(std::string(reinterpret_cast<const char*>(b.data() + 16)) == "demo_model");
    CHECK(std::to_integer<int>(b[48]) == static_cast<int>(tessera::type_tag::f32));
    CHECK(std::to_integer<int>(b[49]) == static_cast<int>(tessera::type_tag::i64));
    CHECK(le64(b, 52) % (std::uint64_t{1} << 32) == 3);
    CHECK(le64(b, 56) == b.size() - 72);
    std::vector<std::uint8_t> payload(b.size() - 72);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = std::to_integer<std::uint8_t>(b[72 + i]);
    CHECK(le64(b, 64) % (std::uint64_t{1} << 32) == crc32c_bitwise(payload));
    // The first payload field is the int32 -7, little-endian.
    CHECK(std::to_integer<int>(b[72]) == 0xF9);
    CHECK(std::to_integer<int>(b[75]) == 0xFF);
}

TEST_CASE("archive: any single damaged byte and any truncation are refused") {
    const auto good = demo_archive();
    for (std::size_t i = 0; i < good.size(); ++i) {
        auto bad = good;
        bad[i] ^= std::byte{0x5A};
        CAPTURE(i);
        CHECK_THROWS_AS(tessera::archive_reader(bad, demo_header), tessera::format_error);
    }
    for (std::size_t len = 0; len < good.size(); ++len) {
        CAPTURE(len);
        std::stringstream ss(std::string(reinterpret_cast<const char*>(good.data()), len));
        CHECK_THROWS_AS(tessera::archive_reader(ss, demo_header), tessera::format_error);
        CHECK_THROWS_AS(tessera::archive_reader(std::span(good.data(), len), demo_header), tessera::format_error);
    }
}

TEST_CASE("archive: wrong kind, type tags, version, byte order each give a clear error") {
    const auto good = demo_archive();
    auto expect = [&](tessera::archive_header h, const char* text) {
        CAPTURE(text);
        CHECK_THROWS_WITH_AS(tessera::archive_reader(good, h), doctest::Contains(text), tessera::format_error);
    };
    expect({"other_model", 3, tessera::type_tag::f32, tessera::type_tag::i64}, "holds a 'demo_model', expected a 'other_model'");
    expect({"demo_model", 3, tessera::type_tag::f64, tessera::type_tag::i64}, "element type is f32, expected f64");
    expect({"demo_model", 3, tessera::type_tag::f32, tessera::type_tag::i32}, "index type is i64, expected i32");

    auto future = good;
    put_le32(future, 8, 99);
    reseal_header(future);
    CHECK_THROWS_WITH_AS(tessera::archive_reader(future, demo_header), doctest::Contains("format version 99"),
                         tessera::format_error);
    auto swapped = good;
    put_le32(swapped, 12, 0x04030201u);
    reseal_header(swapped);
    CHECK_THROWS_WITH_AS(tessera::archive_reader(swapped, demo_header), doctest::Contains("byte-order mark"),
                         tessera::format_error);
    std::vector<std::byte> junk(100, std::byte{0x41});
    CHECK_THROWS_WITH_AS(tessera::archive_reader(junk, demo_header), doctest::Contains("not a tessera archive"),
                         tessera::format_error);
}

TEST_CASE("archive: forged sizes never cause large allocations or out-of-bounds reads") {
    // A header that promises 2^39 payload bytes, followed by 10 bytes: the reader must fail on
    // the truncation after reading what is there, not allocate 512 GiB.
    auto forged = demo_archive();
    put_le64(forged, 56, std::uint64_t{1} << 39);
    reseal_header(forged);
    std::stringstream ss(std::string(reinterpret_cast<const char*>(forged.data()), 82));
    CHECK_THROWS_WITH_AS(tessera::archive_reader(ss, demo_header), doctest::Contains("truncated payload"),
                         tessera::format_error);
    // Above the configured limit it is refused outright.
    tessera::archive_limits tight{16};
    CHECK_THROWS_WITH_AS(tessera::archive_reader(demo_archive(), demo_header, "<memory>", tight),
                         doctest::Contains("exceeds the limit"), tessera::format_error);

    // Valid checksums around a payload whose element counts lie.
    tessera::archive_writer w(demo_header);
    w.write<std::uint64_t>(std::uint64_t{1} << 60);  // claims 2^60 floats
    w.write<std::uint64_t>(std::uint64_t{1} << 40);  // then a 2^40 x 2^40 matrix
    w.write<std::uint64_t>(std::uint64_t{1} << 40);
    w.write<std::uint8_t>(2);                         // and a bool that is neither 0 nor 1
    const auto lying = w.bytes();
    {
        tessera::archive_reader r(lying, demo_header);
        CHECK_THROWS_WITH_AS((void)r.read_vector<float>("weights"), doctest::Contains("field 'weights' declares"),
                             tessera::format_error);
    }
    {
        tessera::archive_reader r(lying, demo_header);
        (void)r.read<std::uint64_t>("skip");
        CHECK_THROWS_WITH_AS((void)r.read_matrix<double>("centroids"), doctest::Contains("field 'centroids'"),
                             tessera::format_error);
    }
    {
        tessera::archive_reader r(lying, demo_header);
        for (int i = 0; i < 3; ++i) (void)r.read<std::uint64_t>("skip");
        CHECK_THROWS_WITH_AS((void)r.read<bool>("flag"), doctest::Contains("bool stored as 2"), tessera::format_error);
        CHECK_THROWS_WITH_AS((void)r.read<std::uint32_t>("past the end"), doctest::Contains("only 0 remain"),
                             tessera::format_error);
    }
    {
        // A blob whose count covers its own 8 count bytes too: one byte too many to fit.
        tessera::archive_writer w2(demo_header);
        w2.write<std::uint64_t>(8);
        tessera::archive_reader r(w2.bytes(), demo_header);
        CHECK_THROWS_WITH_AS((void)r.read_bytes("blob"), doctest::Contains("only 0 fit"), tessera::format_error);
    }
    {
        tessera::archive_writer empty_rows(demo_header);
        empty_rows.write<std::uint64_t>(std::uint64_t{1} << 62);  // rows
        empty_rows.write<std::uint64_t>(0);                       // cols: no bytes per row
        tessera::archive_reader r(empty_rows.bytes(), demo_header);
        CHECK_THROWS_WITH_AS((void)r.read_matrix<float>("m"), doctest::Contains("rows of zero columns"),
                             tessera::format_error);
        tessera::archive_writer few(demo_header);
        few.write<std::uint64_t>(3);
        few.write<std::uint64_t>(0);
        tessera::archive_reader r2(few.bytes(), demo_header);
        CHECK(r2.read_matrix<float>("m").rows() == 3);
    }
    {
        tessera::archive_reader r(lying, demo_header);
        CHECK_THROWS_WITH_AS(r.expect_end(), doctest::Contains("payload bytes left undecoded"), tessera::format_error);
    }
}

TEST_CASE("archive: CSR matrices round trip and invalid structure is a format error") {
    std::vector<tessera::triplet<double>> t{{0, 1, 2.0}, {2, 0, -1.0}, {2, 2, 4.0}};
    const auto m = tessera::csr_matrix<double>::from_triplets(3, 3, t);
    const tessera::archive_header h{"sparse_thing", 1, tessera::type_tag::f64, tessera::type_tag::i32};
    tessera::archive_writer w(h);
    w.write_csr(m.view());
    tessera::archive_reader r(w.bytes(), h);
    CHECK(r.read_csr<double, std::int32_t>("X") == m);

    tessera::archive_writer bad(h);
    bad.write<std::uint64_t>(2);  // rows
    bad.write<std::uint64_t>(2);  // cols
    const std::vector<std::int32_t> indptr{0, 1, 1};
    const std::vector<std::int32_t> indices{5};
    const std::vector<double> values{1.0};
    bad.write_span(std::span<const std::int32_t>(indptr));
    bad.write_span(std::span<const std::int32_t>(indices));
    bad.write_span(std::span<const double>(values));
    tessera::archive_reader rb(bad.bytes(), h);
    CHECK_THROWS_WITH_AS(((void)rb.read_csr<double, std::int32_t>("X")), doctest::Contains("not a valid CSR matrix"),
                         tessera::format_error);
}

TEST_CASE("archive: label encoders round trip; unsorted class lists are corrupt") {
    const tessera::archive_header h{"labels", 1, tessera::type_tag::none, tessera::type_tag::none};
    std::vector<std::string> y{"spam", "ham", "eggs"};
    tessera::label_encoder<std::string> enc;
    enc.fit(y);
    tessera::archive_writer w(h);
    enc.write_to(w);
    tessera::archive_reader r(w.bytes(), h);
    const auto back = tessera::label_encoder<std::string>::read_from(r);
    CHECK(std::vector<std::string>(back.classes().begin(), back.classes().end()) ==
          std::vector<std::string>{"eggs", "ham", "spam"});

    tessera::archive_writer unsorted(h);
    unsorted.write<std::uint64_t>(2);
    unsorted.write<std::int32_t>(5);
    unsorted.write<std::int32_t>(1);
    tessera::archive_reader ru(unsorted.bytes(), h);
    CHECK_THROWS_WITH_AS((void)tessera::label_encoder<std::int32_t>::read_from(ru), doctest::Contains("not strictly sorted"),
                         tessera::format_error);
    tessera::label_encoder<int> unfitted;
    tessera::archive_writer w2(h);
    CHECK_THROWS_AS(unfitted.write_to(w2), tessera::not_fitted_error);
}

TEST_CASE("archive_writer: invalid model kinds are rejected") {
    CHECK_THROWS_AS(tessera::archive_writer({"", 1}), tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::archive_writer({std::string(32, 'a'), 1}), tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::archive_writer({"bad kind", 1}), tessera::invalid_argument);
    CHECK_NOTHROW(tessera::archive_writer({std::string(31, 'a'), 1}));
}
