// libFuzzer target for tessera::read_idx_images and tessera::read_idx_labels. The first byte
// picks the element type; the rest is the file, plain or gzip-compressed. Malformed input must
// end in tessera::format_error; anything else is a bug.
#include <tessera/io/idx.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

template <class T>
void images(const std::string& bytes) {
    std::istringstream in(bytes);
    try {
        const auto m = tessera::read_idx_images<T>(in, "fuzz.idx");
        // A successful read consumed a header plus rows * cols elements of at least one byte.
        if (m.rows() != 0 && m.cols() > bytes.size() * 2048) __builtin_trap();  // 2048: generous gzip ratio bound
    } catch (const tessera::format_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0: images<float>(bytes); break;
        case 1: images<std::uint8_t>(bytes); break;
        case 2: images<std::int16_t>(bytes); break;
        default: images<double>(bytes); break;
    }
    std::istringstream in(bytes);
    try {
        (void)tessera::read_idx_labels(in, "fuzz.idx");
    } catch (const tessera::format_error&) {
    }
    return 0;
}
