// libFuzzer target for tessera::read_labeled_text. The first byte picks the separator; the rest
// is the file, plain or gzip-compressed. Malformed input must end in tessera::format_error;
// anything else is a bug.
#include <tessera/io/labeled_text.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    tessera::labeled_text_options opt;
    opt.separator = (data[0] & 1u) != 0 ? ' ' : '\t';
    opt.max_line_length = (data[0] & 2u) != 0 ? 64 : std::size_t{1} << 16;
    std::istringstream in(bytes);
    try {
        const auto d = tessera::read_labeled_text(in, opt, "fuzz.txt");
        if (d.labels.size() != d.texts.size() || d.labels.empty()) __builtin_trap();
        for (std::size_t k = 0; k < d.labels.size(); ++k) {
            if (d.labels[k].empty() || d.labels[k].find(opt.separator) != std::string::npos) __builtin_trap();
            if (d.labels[k].size() + 1 + d.texts[k].size() > opt.max_line_length) __builtin_trap();
        }
    } catch (const tessera::format_error&) {
    }
    return 0;
}
