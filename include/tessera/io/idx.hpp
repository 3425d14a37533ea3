/// \file
/// tessera/io/idx.hpp - IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.
///
/// An IDX file is a big-endian header, `00 00 <type code> <rank>`, then `<rank>` uint32 dimensions,
/// then the elements in row-major order, big-endian. Type codes: 0x08 unsigned byte, 0x09 signed
/// byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. MNIST images are 0x00000803
/// (ubyte, rank 3: count x rows x cols), labels 0x00000801 (ubyte, rank 1).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/io/byte_source.hpp"
#include "tessera/io/text_reader.hpp"

namespace tessera {
namespace detail {
/// \cond

struct idx_header {
    std::uint8_t type = 0;
    std::size_t element_size = 0;
    std::vector<std::uint32_t> dims;
    std::uint64_t data_offset = 0;  // bytes before the first element
};

[[nodiscard]] inline std::string idx_type_name(std::uint8_t type) {
    switch (type) {
        case 0x08: return "unsigned byte (0x08)";
        case 0x09: return "signed byte (0x09)";
        case 0x0B: return "int16 (0x0B)";
        case 0x0C: return "int32 (0x0C)";
        case 0x0D: return "float32 (0x0D)";
        case 0x0E: return "float64 (0x0E)";
        default: return "unknown";
    }
}

[[nodiscard]] inline std::string hex32(std::uint32_t v) {
    constexpr char hex[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += hex[(v >> shift) & 0xf];
    return s;
}

/// Reads an IDX stream: exact reads with byte offsets in every message.
class idx_reader {
public:
    idx_reader(byte_source& src, std::string_view where, std::string source)
        : src_(&src), where_(where), source_(std::move(source)) {}

    [[noreturn]] void fail(std::uint64_t offset, std::string_view what) const {
        throw_format_at_byte(where_, source_, offset, what);
    }

    /// Reads up to n bytes; fewer only at the end of the data.
    std::size_t read(unsigned char* out, std::size_t n) {
        std::size_t done = 0;
        try {
            while (done < n) {
                const std::size_t got = src_->read(out + done, n - done);
                if (got == 0) break;
                done += got;
            }
        } catch (const source_failure& e) {
            if (e.failure_kind() == source_failure::kind::io) {
                throw_io(where_, source_, std::string(e.what()) + " at byte " + std::to_string(src_->delivered()));
            }
            fail(src_->delivered(), e.what());
        }
        return done;
    }

    [[nodiscard]] std::uint64_t offset() const noexcept { return src_->delivered(); }

    /// The header. `rank_ok(rank)` returns an empty string or why the rank is wrong.
    template <class RankCheck>
    idx_header header(RankCheck rank_ok) {
        unsigned char magic[4] = {};
        const std::size_t got = read(magic, 4);
        if (got == 0) fail(0, "the data is empty: expected an IDX header");
        if (got < 4) {
            fail(got, "truncated header: expected a 4-byte magic number, the data has " + std::to_string(got) +
                          " bytes");
        }
        const std::uint32_t m = std::uint32_t{magic[0]} << 24 | std::uint32_t{magic[1]} << 16 |
                                std::uint32_t{magic[2]} << 8 | std::uint32_t{magic[3]};
        if (magic[0] != 0 || magic[1] != 0) {
            fail(0, "bad magic number " + hex32(m) +
                        ": not an IDX file (expected 00 00 <type> <rank>, e.g. 0x00000803 for images)");
        }
        idx_header h;
        h.type = magic[2];
        switch (h.type) {
            case 0x08:
            case 0x09: h.element_size = 1; break;
            case 0x0B: h.element_size = 2; break;
            case 0x0C:
            case 0x0D: h.element_size = 4; break;
            case 0x0E: h.element_size = 8; break;
            default:
                fail(2, "unknown IDX element type code 0x" + hex32(h.type).substr(8) + " in magic number " + hex32(m) +
                            " (known: 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)");
        }
        const std::string why = rank_ok(magic[3]);
        if (!why.empty()) fail(3, "magic number " + hex32(m) + ": " + why);
        h.dims.resize(magic[3]);
        for (std::size_t d = 0; d < h.dims.size(); ++d) {
            unsigned char b[4] = {};
            const std::uint64_t at = offset();
            const std::size_t n = read(b, 4);
            if (n < 4) {
                fail(at + n, "truncated header: expected dimension " + std::to_string(d + 1) + " of " +
                                 std::to_string(h.dims.size()) + " (4 bytes), the data ends");
            }
            h.dims[d] = std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
                        std::uint32_t{b[3]};
        }
        h.data_offset = offset();
        return h;
    }

    /// Fails unless the data ends here: more bytes than the header declares mean a wrong or
    /// damaged file. For gzip this read also reaches the end marker and checks the CRC.
    void expect_end(std::string_view what_was_read) {
        unsigned char extra = 0;
        const std::uint64_t at = offset();
        if (read(&extra, 1) != 0) {
            fail(at, "unexpected data after the " + std::string(what_was_read) +
                         " the header declares (the data is longer than its header says)");
        }
    }

private:
    byte_source* src_;
    std::string_view where_;
    std::string source_;
};

[[nodiscard]] inline std::string idx_shape_text(const std::vector<std::uint32_t>& dims) {
    std::string s;
    for (std::size_t d = 0; d < dims.size(); ++d) {
        if (d > 0) s += " x ";
        s += std::to_string(dims[d]);
    }
    return s;
}

template <class S>
[[nodiscard]] S idx_decode(const unsigned char* p) noexcept {
    if constexpr (sizeof(S) == 1) {
        return std::bit_cast<S>(p[0]);
    } else if constexpr (sizeof(S) == 2) {
        return std::bit_cast<S>(static_cast<std::uint16_t>(std::uint16_t{p[0]} << 8 | std::uint16_t{p[1]}));
    } else if constexpr (sizeof(S) == 4) {
        return std::bit_cast<S>(std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
                                std::uint32_t{p[3]});
    } else {
        std::uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v = v << 8 | p[k];
        return std::bit_cast<S>(v);
    }
}

// Converts one row of big-endian S values to T; values T cannot hold are a format_error.
template <class S, class T>
void idx_convert_row(const unsigned char* in, T* out, std::size_t n, const idx_reader& reader,
                     std::uint64_t row_offset) {
    for (std::size_t j = 0; j < n; ++j) {
        const S v = idx_decode<S>(in + j * sizeof(S));
        bool fits = true;
        if constexpr (std::is_integral_v<S> && std::is_integral_v<T>) {
            fits = std::in_range<T>(v);
        } else if constexpr (std::is_floating_point_v<S> && (sizeof(T) < sizeof(S))) {
            fits = !std::isfinite(v) || std::fabs(v) <= static_cast<S>(std::numeric_limits<T>::max());
        }
        if (!fits) {
            reader.fail(row_offset + j * sizeof(S),
                        "the value " + std::to_string(v) + " does not fit the element type " + number_type_name<T>());
        }
        out[j] = static_cast<T>(v);
    }
}

template <class T>
dense_matrix<T> read_idx_images_from(idx_reader& reader) {
    const idx_header h = reader.header([](std::uint8_t rank) -> std::string {
        if (rank >= 2) return {};
        return rank == 1 ? "rank 1 (a label file?): read_idx_images needs rank >= 2 (count x rows x cols)"
                         : "rank 0: read_idx_images needs rank >= 2 (count x rows x cols)";
    });
    const bool float_data = h.type == 0x0D || h.type == 0x0E;
    if (float_data && std::is_integral_v<T>) {
        reader.fail(2, "the file holds " + idx_type_name(h.type) + " values; read them with a floating-point T");
    }
    // Every size is checked before anything is allocated from it.
    for (std::size_t d = 1; d < h.dims.size(); ++d) {
        if (h.dims[d] == 0) {
            reader.fail(4 + 4 * d, "dimension " + std::to_string(d + 1) + " of the shape " + idx_shape_text(h.dims) +
                                       " is 0: items would be empty");
        }
    }
    const std::uint64_t count = h.dims[0];
    std::uint64_t cols = 1;
    const std::uint64_t limit = std::numeric_limits<std::size_t>::max() / 2 / std::max(sizeof(T), h.element_size);
    bool overflow = false;
    for (std::size_t d = 1; d < h.dims.size(); ++d) {
        if (cols > limit / h.dims[d]) overflow = true;
        cols = overflow ? cols : cols * h.dims[d];
    }
    if (!overflow && count > limit / cols) overflow = true;
    if (overflow) {
        reader.fail(4, "the declared shape " + idx_shape_text(h.dims) + " is too large to address");
    }
    const auto ncols = static_cast<std::size_t>(cols);
    const auto nrows = static_cast<std::size_t>(count);
    const std::size_t row_bytes = ncols * h.element_size;

    dense_matrix<T> m(0, ncols);
    std::vector<unsigned char> raw;
    for (std::size_t i = 0; i < nrows; ++i) {
        const std::uint64_t row_offset = reader.offset();
        // The first row's buffer grows only as its bytes arrive, so a header that declares a
        // huge row costs no more memory than the data really holds.
        std::size_t have = 0;
        while (have < row_bytes) {
            if (raw.size() < row_bytes) {
                raw.resize(std::min(row_bytes, std::max<std::size_t>(raw.size() * 2, std::size_t{1} << 16)));
            }
            const std::size_t got = reader.read(raw.data() + have, std::min(raw.size(), row_bytes) - have);
            have += got;
            if (got == 0) break;
        }
        if (have < row_bytes) {
            reader.fail(row_offset + have, "truncated data: item " + std::to_string(i + 1) + " of " +
                                               std::to_string(nrows) + " (shape " + idx_shape_text(h.dims) +
                                               ") ends after " + std::to_string(have) + " of its " +
                                               std::to_string(row_bytes) + " bytes");
        }
        if (m.rows() == m.capacity_rows()) {  // grows with the data, never past the declared count
            m.reserve_rows(std::min(nrows, std::max<std::size_t>(64, m.capacity_rows() * 2)));
        }
        m.resize_rows(i + 1);
        T* out = m.row(i).data();
        switch (h.type) {
            case 0x08: idx_convert_row<std::uint8_t>(raw.data(), out, ncols, reader, row_offset); break;
            case 0x09: idx_convert_row<std::int8_t>(raw.data(), out, ncols, reader, row_offset); break;
            case 0x0B: idx_convert_row<std::int16_t>(raw.data(), out, ncols, reader, row_offset); break;
            case 0x0C: idx_convert_row<std::int32_t>(raw.data(), out, ncols, reader, row_offset); break;
            case 0x0D:
                if constexpr (std::is_floating_point_v<T>) {
                    idx_convert_row<float>(raw.data(), out, ncols, reader, row_offset);
                }
                break;
            default:
                if constexpr (std::is_floating_point_v<T>) {
                    idx_convert_row<double>(raw.data(), out, ncols, reader, row_offset);
                }
                break;
        }
    }
    reader.expect_end(std::to_string(nrows) + " items");
    return m;
}

inline std::vector<std::uint8_t> read_idx_labels_from(idx_reader& reader) {
    const idx_header h = reader.header([](std::uint8_t rank) -> std::string {
        if (rank == 1) return {};
        return "rank " + std::to_string(rank) + ": read_idx_labels needs rank 1 (a vector of labels)";
    });
    if (h.type != 0x08) {
        reader.fail(2, "read_idx_labels reads unsigned bytes (type 0x08), the file holds " + idx_type_name(h.type));
    }
    const std::size_t count = h.dims[0];
    std::vector<std::uint8_t> labels;
    std::size_t have = 0;
    while (have < count) {  // grows with the data, never past the declared count
        labels.resize(std::min(count, std::max<std::size_t>(labels.size() * 2, std::size_t{1} << 16)));
        const std::size_t want = labels.size() - have;
        const std::size_t got = reader.read(labels.data() + have, want);
        have += got;
        if (got < want) break;
    }
    if (have < count) {
        reader.fail(h.data_offset + have, "truncated data: the header declares " + std::to_string(count) +
                                              " labels, the data holds " + std::to_string(have));
    }
    reader.expect_end(std::to_string(count) + " labels");
    return labels;
}

/// \endcond
}  // namespace detail

/// Reads an IDX file of rank >= 2 (MNIST images: count x rows x cols) into a count x
/// (product of the other dimensions) matrix of T, one item per row, pixels row-major.
/// Every IDX element type is read; integer data must fit T (else format_error), floating-point
/// data needs a floating-point T. Values are converted, not scaled (MNIST pixels stay 0..255).
/// gzip-compressed data (magic bytes 1f 8b, whatever the file name) is decompressed when
/// tessera::zlib is linked.
///
/// Complexity: O(size of the data). Memory: the result only; the declared size is checked for
/// overflow and the matrix grows with the data actually read, never past the declared count,
/// so a lying header or a gzip bomb cannot make it allocate more than the data holds.
/// Exceptions: `tessera::format_error` `"tessera::read_idx_images: <source>: byte <offset>: ..."`
/// (the offset is in the decompressed data) for an empty or truncated file, a bad magic number,
/// an unknown type code, a wrong rank, a shape too large to address, a value T cannot hold,
/// data after the declared items, corrupt or truncated gzip data, or gzip without zlib;
/// `tessera::io_error` if the file cannot be opened or read.
/// Thread safety: independent calls may run concurrently.
template <class T = float>
[[nodiscard]] dense_matrix<T> read_idx_images(std::istream& in, std::string_view source_name = "<stream>") {
    static_assert(detail::is_parsable_number<T>,
                  "read_idx_images reads into arithmetic element types (not bool or character types)");
    constexpr std::string_view where = "read_idx_images";
    std::string name(source_name);
    try {
        detail::byte_source src(in);
        detail::idx_reader reader(src, where, name);
        return detail::read_idx_images_from<T>(reader);
    } catch (const detail::source_failure& e) {  // from the byte source's constructor
        if (e.failure_kind() == detail::source_failure::kind::io) detail::throw_io(where, name, e.what());
        detail::throw_format_at_byte(where, name, 0, e.what());
    }
}

/// read_idx_images on the file at `path` (messages name it as `path.string()`).
template <class T = float>
[[nodiscard]] dense_matrix<T> read_idx_images(const std::filesystem::path& path) {
    auto in = detail::open_input_file(path, "read_idx_images");
    return read_idx_images<T>(in, path.string());
}

/// Reads an IDX label file (type 0x08 unsigned byte, rank 1; magic 0x00000801). Same gzip
/// handling, memory bound, exceptions and thread safety as read_idx_images.
[[nodiscard]] inline std::vector<std::uint8_t> read_idx_labels(std::istream& in,
                                                               std::string_view source_name = "<stream>") {
    constexpr std::string_view where = "read_idx_labels";
    std::string name(source_name);
    try {
        detail::byte_source src(in);
        detail::idx_reader reader(src, where, name);
        return detail::read_idx_labels_from(reader);
    } catch (const detail::source_failure& e) {
        if (e.failure_kind() == detail::source_failure::kind::io) detail::throw_io(where, name, e.what());
        detail::throw_format_at_byte(where, name, 0, e.what());
    }
}

/// read_idx_labels on the file at `path`.
[[nodiscard]] inline std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
    auto in = detail::open_input_file(path, "read_idx_labels");
    return read_idx_labels(in, path.string());
}

}  // namespace tessera
