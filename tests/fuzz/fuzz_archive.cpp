// libFuzzer target: the archive reader and the field decoders on arbitrary bytes.
//
// The first input byte picks which expected header to check against (so the fuzzer can reach
// past the kind/tag checks of either), the rest is fed to the reader, and every field decoder
// is driven over the payload. format_error is the expected answer to bad input; any other
// exception, crash, leak or sanitizer report is a bug.
//
// Checksum mismatches are tolerated in this build (see archive_reader), otherwise nearly every
// mutated input would stop at the CRC check; tests/test_core_archive.cpp covers the checks.
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION 1
#endif
#include <tessera/core/archive.hpp>
#include <tessera/core/labels.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>

namespace {

const tessera::archive_header headers[] = {
    {"fuzz_model", 1, tessera::type_tag::f32, tessera::type_tag::i32},
    {"labels", 1, tessera::type_tag::none, tessera::type_tag::none},
};

void decode_fields(tessera::archive_reader& r, std::uint8_t program) {
    // Decode fields in an order chosen by the input, until the payload runs out.
    for (int step = 0; step < 64 && r.remaining() > 0; ++step) {
        switch ((program + step) % 7) {
            case 0: (void)r.read<std::uint64_t>("u64"); break;
            case 1: (void)r.read<bool>("flag"); break;
            case 2: (void)r.read_vector<float>("vec"); break;
            case 3: (void)r.read_string("text"); break;
            case 4: (void)r.read_matrix<float>("matrix"); break;
            case 5: (void)r.read_csr<float, std::int32_t>("csr"); break;
            default: (void)r.read_bytes("blob"); break;
        }
    }
    r.expect_end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t selector = data[0];
    const auto bytes = std::as_bytes(std::span<const std::uint8_t>(data + 1, size - 1));
    const auto& expected = headers[selector & 1];
    tessera::archive_limits limits{std::uint64_t{1} << 24};
    try {
        tessera::archive_reader r(bytes, expected, "<fuzz>", limits);
        if ((selector & 1) == 1) {
            (void)tessera::label_encoder<std::string>::read_from(r);
        } else {
            decode_fields(r, static_cast<std::uint8_t>(selector >> 1));
        }
    } catch (const tessera::format_error&) {
    }
    // The stream reader must agree with the memory reader on acceptance.
    try {
        std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
        tessera::archive_reader r(in, expected, "<fuzz-stream>", limits);
        (void)r.remaining();
    } catch (const tessera::format_error&) {
    }
    return 0;
}
