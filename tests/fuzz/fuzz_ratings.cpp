// libFuzzer target for tessera::read_ratings. The first byte picks the options (header mode,
// id order, duplicate policy, rating column, id and index types); the rest is the file, plain
// or gzip-compressed. Malformed input must end in tessera::format_error; anything else is a bug.
#include <tessera/io/ratings.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

template <class T, class Index, class Id>
void read_with(const std::string& bytes, const tessera::ratings_options& opt) {
    std::istringstream in(bytes);
    try {
        const auto d = tessera::read_ratings<T, Index, Id>(in, opt, "fuzz.csv");
        if (d.matrix.rows() != d.users.size() || d.matrix.cols() != d.items.size()) __builtin_trap();
        for (std::size_t k = 0; k < d.users.size(); ++k) {
            if (d.users.index_of(d.users.ids()[k]) != static_cast<Index>(k)) __builtin_trap();
        }
    } catch (const tessera::format_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned flags = data[0];
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    tessera::ratings_options opt;
    opt.header = static_cast<tessera::header_row>(flags % 3);
    opt.order = (flags & 4u) != 0 ? tessera::id_order::first_seen : tessera::id_order::sorted;
    opt.duplicates = static_cast<tessera::duplicate_ratings>((flags >> 3) % 3);
    if ((flags & 0x20u) != 0) opt.rating_column = std::nullopt;
    opt.max_line_length = std::size_t{1} << 16;
    if ((flags & 0x40u) != 0) {
        read_with<double, std::int8_t, std::string>(bytes, opt);
    } else if ((flags & 0x80u) != 0) {
        read_with<float, std::uint16_t, std::uint8_t>(bytes, opt);
    } else {
        read_with<float, std::int32_t, std::int64_t>(bytes, opt);
    }
    return 0;
}
