/// \file
/// tessera/core/archive.hpp - the versioned binary archive behind every model's save/load.
///
/// Layout (all integers little-endian; see docs/core.md):
///
/// ```
///   offset size  field
///        0    8  magic "TESSERA\x1a"
///        8    4  format version (archive_format_version)
///       12    4  byte-order mark 0x01020304 (as written by the producer)
///       16   32  model kind: ASCII name, NUL-padded ("knn_index", "multinomial_nb", ...)
///       48    1  element type tag        49  1  index type tag       50  2  reserved, zero
///       52    4  model schema version (the model's own payload version)
///       56    8  payload length in bytes
///       64    4  CRC-32C of the payload
///       68    4  CRC-32C of bytes 0..67
///       72    -  payload: a sequence of typed fields written by the model
/// ```
///
/// Reading is defensive: the header is checked (magic, checksum, version, byte order, kind,
/// tags) before anything else, the payload is read in bounded chunks as it arrives (a forged
/// length cannot make the reader allocate more than the input really holds, plus one chunk),
/// its checksum is verified before any field is decoded, and every field read is bounds-checked
/// against the bytes that remain. Any violation throws `tessera::format_error`.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/crc32c.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"

namespace tessera {

/// The archive layout version this build writes and reads.
inline constexpr std::uint32_t archive_format_version = 1;

/// Tags for the element and index types recorded in an archive header.
enum class type_tag : std::uint8_t {
    none = 0,
    f32 = 1,
    f64 = 2,
    bf16 = 3,
    f16 = 4,
    i8 = 5,
    u8 = 6,
    i16 = 7,
    u16 = 8,
    i32 = 9,
    u32 = 10,
    i64 = 11,
    u64 = 12,
};

/// Maps a C++ type to its type_tag. Specialize it for user or storage types (bfloat16, half).
template <class T>
struct archive_type;

namespace detail {
/// \cond
template <class T, type_tag Tag>
struct archive_type_is {
    static constexpr type_tag tag = Tag;
};
/// \endcond
}  // namespace detail

template <>
struct archive_type<float> : detail::archive_type_is<float, type_tag::f32> {};
template <>
struct archive_type<double> : detail::archive_type_is<double, type_tag::f64> {};
template <>
struct archive_type<std::int8_t> : detail::archive_type_is<std::int8_t, type_tag::i8> {};
template <>
struct archive_type<std::uint8_t> : detail::archive_type_is<std::uint8_t, type_tag::u8> {};
template <>
struct archive_type<std::int16_t> : detail::archive_type_is<std::int16_t, type_tag::i16> {};
template <>
struct archive_type<std::uint16_t> : detail::archive_type_is<std::uint16_t, type_tag::u16> {};
template <>
struct archive_type<std::int32_t> : detail::archive_type_is<std::int32_t, type_tag::i32> {};
template <>
struct archive_type<std::uint32_t> : detail::archive_type_is<std::uint32_t, type_tag::u32> {};
template <>
struct archive_type<std::int64_t> : detail::archive_type_is<std::int64_t, type_tag::i64> {};
template <>
struct archive_type<std::uint64_t> : detail::archive_type_is<std::uint64_t, type_tag::u64> {};

/// The tag of T (a compile error for types without an archive_type specialization).
template <class T>
inline constexpr type_tag type_tag_of = archive_type<std::remove_cv_t<T>>::tag;

/// A readable name for a tag ("f32", "i64", ...), for messages.
[[nodiscard]] constexpr std::string_view type_tag_name(type_tag t) noexcept {
    constexpr std::array<std::string_view, 13> names{"none", "f32", "f64", "bf16", "f16", "i8", "u8",
                                                      "i16",  "u16", "i32", "u32",  "i64", "u64"};
    const auto i = static_cast<std::size_t>(t);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

/// What an archive's header says.
struct archive_header {
    std::string kind;                 ///< model kind, e.g. "knn_index"
    std::uint32_t schema_version = 1;  ///< the model's payload version
    type_tag element = type_tag::none;  ///< element type of the model (none if it has none)
    type_tag index = type_tag::none;    ///< index type of the model (none if it has none)
    std::uint32_t format_version = archive_format_version;  ///< version of the container format
    std::uint64_t payload_size = 0;     ///< payload length in bytes, as read (a writer ignores it)
};

/// Most rows a zero-column matrix field may declare (such rows occupy no payload bytes).
inline constexpr std::uint64_t max_empty_rows = std::uint32_t(-1);

/// Limits a reader enforces on untrusted input.
struct archive_limits {
    /// Largest payload accepted, in bytes.
    std::uint64_t max_payload_bytes = std::uint64_t{1} << 40;
};

namespace detail {
/// \cond

inline constexpr std::array<std::byte, 8> archive_magic{std::byte{'T'}, std::byte{'E'}, std::byte{'S'},
                                                         std::byte{'S'}, std::byte{'E'}, std::byte{'R'},
                                                         std::byte{'A'}, std::byte{0x1a}};
inline constexpr std::size_t archive_header_size = 72;
inline constexpr std::size_t archive_kind_size = 32;
inline constexpr std::uint32_t archive_byte_order_mark = 0x01020304u;

template <class U>
[[nodiscard]] constexpr U byteswap_unsigned(U v) noexcept {
    U r = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
        r = static_cast<U>((r << 8) | (v & 0xFFu));
        v = static_cast<U>(v >> 8);
    }
    return r;
}

template <std::size_t N>
struct unsigned_of_size;
template <>
struct unsigned_of_size<1> {
    using type = std::uint8_t;
};
template <>
struct unsigned_of_size<2> {
    using type = std::uint16_t;
};
template <>
struct unsigned_of_size<4> {
    using type = std::uint32_t;
};
template <>
struct unsigned_of_size<8> {
    using type = std::uint64_t;
};

// Writes the little-endian bytes of a trivially copyable scalar.
template <class T>
void put_le(std::byte* out, T value) noexcept {
    using U = typename unsigned_of_size<sizeof(T)>::type;
    U u = std::bit_cast<U>(value);
    if constexpr (std::endian::native == std::endian::big) u = byteswap_unsigned(u);
    std::memcpy(out, &u, sizeof(U));
}

template <class T>
[[nodiscard]] T get_le(const std::byte* in) noexcept {
    using U = typename unsigned_of_size<sizeof(T)>::type;
    U u;
    std::memcpy(&u, in, sizeof(U));
    if constexpr (std::endian::native == std::endian::big) u = byteswap_unsigned(u);
    return std::bit_cast<T>(u);
}

template <class T>
concept archive_scalar = std::is_trivially_copyable_v<T> && (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 ||
                                                             sizeof(T) == 8) &&
                         !std::is_pointer_v<T>;

[[nodiscard]] inline bool valid_kind(std::string_view kind) noexcept {
    if (kind.empty() || kind.size() >= archive_kind_size) return false;
    return std::all_of(kind.begin(), kind.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
               c == '.' || c == '-';
    });
}

/// \endcond
}  // namespace detail

/// Builds an archive in memory, then writes it (header + payload) in one go.
///
/// Usage: construct with the model's header, write fields in a fixed order, then call
/// save(path) / write_to(stream) / bytes(). Thread safety: one writer per thread.
class archive_writer {
public:
    /// Throws `tessera::invalid_argument` if `header.kind` is empty, longer than 31 characters
    /// or uses characters outside [A-Za-z0-9_:.-].
    explicit archive_writer(archive_header header) : header_(std::move(header)) {
        if (!detail::valid_kind(header_.kind)) {
            detail::throw_argument("archive_writer", "header.kind",
                                   "must be 1 to 31 characters of [A-Za-z0-9_:.-], got '" + header_.kind + "'");
        }
        header_.format_version = archive_format_version;
    }

    /// Appends one scalar (integer, floating point, enum, bool; little-endian).
    template <detail::archive_scalar T>
    void write(const T& value) {
        if constexpr (std::is_same_v<T, bool>) {
            payload_.push_back(value ? std::byte{1} : std::byte{0});
        } else {
            const auto at = payload_.size();
            payload_.resize(at + sizeof(T));
            detail::put_le(payload_.data() + at, value);
        }
    }

    /// Appends a 64-bit element count, then the elements.
    template <detail::archive_scalar T>
    void write_span(std::span<const T> values) {
        write<std::uint64_t>(values.size());
        if constexpr (std::endian::native == std::endian::little && !std::is_same_v<T, bool>) {
            const auto bytes = std::as_bytes(values);
            payload_.insert(payload_.end(), bytes.begin(), bytes.end());
        } else {
            for (const T& v : values) write(v);
        }
    }

    /// Appends a 64-bit byte count, then the bytes of `text`.
    void write_string(std::string_view text) {
        write_span(std::span<const char>(text.data(), text.size()));
    }

    /// Appends a nested blob (e.g. another model's archive bytes): a byte count, then the bytes.
    void write_bytes(std::span<const std::byte> bytes) {
        write<std::uint64_t>(bytes.size());
        payload_.insert(payload_.end(), bytes.begin(), bytes.end());
    }

    /// Appends rows, cols, then the elements row by row (padding is not stored).
    template <detail::archive_scalar T>
    void write_matrix(matrix_view<const T> m) {
        write<std::uint64_t>(m.rows());
        write<std::uint64_t>(m.cols());
        for (std::size_t i = 0; i < m.rows(); ++i) {
            const auto r = m.row(i);
            if constexpr (std::endian::native == std::endian::little) {
                const auto bytes = std::as_bytes(r);
                payload_.insert(payload_.end(), bytes.begin(), bytes.end());
            } else {
                for (const T& v : r) write(v);
            }
        }
    }

    /// Appends rows, cols, indptr, indices and values.
    template <detail::archive_scalar T, class Index>
    void write_csr(csr_view<T, Index> m) {
        write<std::uint64_t>(m.rows());
        write<std::uint64_t>(m.cols());
        write_span(m.indptr());
        write_span(m.indices());
        write_span(m.values());
    }

    /// The complete archive: header followed by payload.
    [[nodiscard]] std::vector<std::byte> bytes() const {
        // Sized once and filled with memcpy: GCC 12 at -O2 reports a false -Wstringop-overread
        // for the vector::insert form of this copy.
        std::vector<std::byte> out(detail::archive_header_size + payload_.size());
        encode_header(out.data());
        if (!payload_.empty()) std::memcpy(out.data() + detail::archive_header_size, payload_.data(), payload_.size());
        return out;
    }

    /// Writes the archive to `out`; throws `tessera::io_error` if the stream fails.
    void write_to(std::ostream& out) const {
        std::array<std::byte, detail::archive_header_size> head{};
        encode_header(head.data());
        out.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
        out.write(reinterpret_cast<const char*>(payload_.data()), static_cast<std::streamsize>(payload_.size()));
        out.flush();
        if (!out) throw io_error("tessera::archive_writer::write_to: writing the archive failed");
    }

    /// Writes the archive to a file (replaced if it exists); throws `tessera::io_error`.
    void save(const std::filesystem::path& path) const {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw io_error("tessera::archive_writer::save: cannot open '" + path.string() + "' for writing: " +
                           std::generic_category().message(errno));
        }
        write_to(out);
    }

    /// Bytes of payload written so far.
    [[nodiscard]] std::size_t payload_size() const noexcept { return payload_.size(); }

private:
    void encode_header(std::byte* h) const {
        std::memset(h, 0, detail::archive_header_size);
        std::memcpy(h, detail::archive_magic.data(), detail::archive_magic.size());
        detail::put_le<std::uint32_t>(h + 8, header_.format_version);
        detail::put_le<std::uint32_t>(h + 12, detail::archive_byte_order_mark);
        std::memcpy(h + 16, header_.kind.data(), header_.kind.size());
        h[48] = static_cast<std::byte>(header_.element);
        h[49] = static_cast<std::byte>(header_.index);
        detail::put_le<std::uint32_t>(h + 52, header_.schema_version);
        detail::put_le<std::uint64_t>(h + 56, payload_.size());
        detail::put_le<std::uint32_t>(h + 64, crc32c_of(payload_));
        detail::put_le<std::uint32_t>(h + 68, crc32c_of(std::span<const std::byte>(h, 68)));
    }

    archive_header header_;
    std::vector<std::byte> payload_;
};

/// Reads and verifies an archive, then decodes its fields in the order they were written.
///
/// The expected header names the kind and the type tags the caller can load; the schema
/// version is returned for the caller to check (`header().schema_version`), so that a model
/// can still read older payload versions. Every failure throws `tessera::format_error` with
/// a message naming the source, the field and the problem; `io_error` if a file cannot be
/// opened. Thread safety: one reader per thread.
class archive_reader {
public:
    /// Reads the archive from a stream (exactly the archive's bytes are consumed).
    archive_reader(std::istream& in, const archive_header& expected, std::string source = "<stream>",
                   archive_limits limits = {})
        : source_(std::move(source)) {
        std::array<std::byte, detail::archive_header_size> head{};
        const auto got = read_some(in, head.data(), head.size());
        if (got < head.size()) {
            fail("truncated header: " + std::to_string(got) + " of " + std::to_string(head.size()) + " bytes");
        }
        decode_header(head.data(), expected, limits);
        read_payload(in);
    }

    /// Reads the archive from memory.
    archive_reader(std::span<const std::byte> bytes, const archive_header& expected, std::string source = "<memory>",
                   archive_limits limits = {})
        : source_(std::move(source)) {
        if (bytes.size() < detail::archive_header_size) {
            fail("truncated header: " + std::to_string(bytes.size()) + " of " +
                 std::to_string(detail::archive_header_size) + " bytes");
        }
        decode_header(bytes.data(), expected, limits);
        const auto rest = bytes.subspan(detail::archive_header_size);
        if (rest.size() < header_.payload_size) {
            fail("truncated payload: " + std::to_string(rest.size()) + " of " + std::to_string(header_.payload_size) +
                 " bytes");
        }
        payload_.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(header_.payload_size));
        verify_payload();
    }

    /// Reads the archive from a file; trailing bytes after the archive are an error.
    [[nodiscard]] static archive_reader open(const std::filesystem::path& path, const archive_header& expected,
                                             archive_limits limits = {}) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            throw io_error("tessera::archive_reader::open: cannot open '" + path.string() + "': " +
                           std::generic_category().message(errno));
        }
        archive_reader r(in, expected, path.string(), limits);
        if (in.peek() != std::char_traits<char>::eof()) r.fail("unexpected bytes after the archive");
        return r;
    }

    /// The header as read (already checked against the expected one).
    [[nodiscard]] const archive_header& header() const noexcept { return header_; }
    /// Payload bytes not yet decoded.
    [[nodiscard]] std::size_t remaining() const noexcept { return payload_.size() - pos_; }

    /// Reads one scalar written by archive_writer::write<T>.
    template <detail::archive_scalar T>
    [[nodiscard]] T read(std::string_view field) {
        need(sizeof(T), field);
        if constexpr (std::is_same_v<T, bool>) {
            const auto b = std::to_integer<unsigned>(payload_[pos_++]);
            if (b > 1) fail_field(field, "is a bool stored as " + std::to_string(b));
            return b == 1;
        } else {
            const T v = detail::get_le<T>(payload_.data() + pos_);
            pos_ += sizeof(T);
            return v;
        }
    }

    /// Reads an element count written by write_span/write_string/write_bytes and checks that
    /// that many elements of `bytes_per_element` bytes (at least 1) fit in the remaining payload.
    [[nodiscard]] std::size_t read_count(std::string_view field, std::size_t bytes_per_element) {
        const auto n = read<std::uint64_t>(field);
        const std::uint64_t fit = remaining() / std::max<std::size_t>(bytes_per_element, 1);
        if (n > fit) {
            fail_field(field, "declares " + std::to_string(n) + " elements but only " + std::to_string(fit) +
                                  " fit in the remaining payload");
        }
        return static_cast<std::size_t>(n);
    }

    /// Reads elements written by write_span into a vector with allocator `alloc`.
    template <detail::archive_scalar T, class Allocator = std::allocator<T>>
    [[nodiscard]] std::vector<T, Allocator> read_vector(std::string_view field, const Allocator& alloc = Allocator()) {
        const std::size_t n = read_count(field, sizeof(T));
        std::vector<T, Allocator> v(alloc);
        v.resize(n);
        read_into(std::span<T>(v), field);
        return v;
    }

    /// Reads a string written by write_string.
    [[nodiscard]] std::string read_string(std::string_view field) {
        const std::size_t n = read_count(field, 1);
        std::string s(reinterpret_cast<const char*>(payload_.data() + pos_), n);
        pos_ += n;
        return s;
    }

    /// Reads a blob written by write_bytes.
    [[nodiscard]] std::vector<std::byte> read_bytes(std::string_view field) {
        const std::size_t n = read_count(field, 1);
        std::vector<std::byte> b(payload_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                 payload_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return b;
    }

    /// Reads a matrix written by write_matrix.
    template <detail::archive_scalar T, class Allocator = std::allocator<T>>
    [[nodiscard]] dense_matrix<T, Allocator> read_matrix(std::string_view field,
                                                         row_padding padding = row_padding::aligned,
                                                         const Allocator& alloc = Allocator()) {
        const auto rows = read<std::uint64_t>(field);
        const auto cols = read<std::uint64_t>(field);
        const std::uint64_t capacity = remaining() / sizeof(T);
        if (cols != 0 && rows > capacity / cols) {
            fail_field(field, "declares a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                  " matrix, larger than the " + std::to_string(remaining()) + " bytes that remain");
        }
        // Zero-column rows carry no bytes, so their count is not bounded by the payload; cap it
        // so that a forged count cannot make callers loop over 2^63 empty rows.
        if (cols == 0 && rows > max_empty_rows) {
            fail_field(field, "declares " + std::to_string(rows) + " rows of zero columns");
        }
        dense_matrix<T, Allocator> m(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), padding, alloc);
        if (cols != 0) {
            for (std::size_t i = 0; i < m.rows(); ++i) read_into(m.row(i), field);
        }
        return m;
    }

    /// Reads a CSR matrix written by write_csr; its structure is validated.
    template <detail::archive_scalar T, class Index, class Allocator = std::allocator<T>>
    [[nodiscard]] csr_matrix<T, Index, Allocator> read_csr(std::string_view field, const Allocator& alloc = Allocator()) {
        using matrix = csr_matrix<T, Index, Allocator>;
        const auto rows = read<std::uint64_t>(field);
        const auto cols = read<std::uint64_t>(field);
        auto indptr = read_vector<Index>(field, typename matrix::index_vector::allocator_type(alloc));
        auto indices = read_vector<Index>(field, typename matrix::index_vector::allocator_type(alloc));
        auto values = read_vector<T>(field, alloc);
        constexpr auto max_index = static_cast<std::uint64_t>(std::numeric_limits<Index>::max());
        if (rows > max_index || cols > max_index) fail_field(field, "declares a shape that does not fit the index type");
        try {
            return matrix(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), std::move(indptr),
                          std::move(indices), std::move(values));
        } catch (const invalid_argument& e) {
            fail_field(field, std::string("is not a valid CSR matrix: ") + e.what());
        }
    }

    /// Throws unless every payload byte has been decoded (catches readers that lag writers).
    void expect_end() const {
        if (remaining() != 0) fail(std::to_string(remaining()) + " payload bytes left undecoded");
    }

    /// Throws `tessera::format_error` for this archive: `"<source>: <what>"`.
    [[noreturn]] void fail(const std::string& what) const {
        throw format_error("tessera::archive_reader: " + source_ + ": " + what);
    }

private:
    [[noreturn]] void fail_field(std::string_view field, const std::string& what) const {
        fail(header_.kind + " field '" + std::string(field) + "' " + what);
    }

    void need(std::size_t bytes, std::string_view field) const {
        if (bytes > remaining()) {
            fail_field(field, "needs " + std::to_string(bytes) + " bytes but only " + std::to_string(remaining()) +
                                  " remain");
        }
    }

    template <class T>
    void read_into(std::span<T> out, std::string_view field) {
        need(out.size_bytes(), field);
        if (out.empty()) return;  // memcpy from/to a null pointer is undefined even for 0 bytes
        if constexpr (std::is_same_v<T, bool>) {
            for (auto& v : out) v = read<bool>(field);
        } else if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(out.data(), payload_.data() + pos_, out.size_bytes());
            pos_ += out.size_bytes();
        } else {
            for (auto& v : out) v = read<T>(field);
        }
    }

    static std::size_t read_some(std::istream& in, std::byte* out, std::size_t n) {
        in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
        return static_cast<std::size_t>(in.gcount());
    }

    void decode_header(const std::byte* h, const archive_header& expected, const archive_limits& limits) {
        if (std::memcmp(h, detail::archive_magic.data(), detail::archive_magic.size()) != 0) {
            fail("not a tessera archive (bad magic number)");
        }
        if (detail::get_le<std::uint32_t>(h + 68) != crc32c_of(std::span<const std::byte>(h, 68)) && !fuzzing) {
            fail("header checksum mismatch: the file is corrupted");
        }
        header_.format_version = detail::get_le<std::uint32_t>(h + 8);
        if (header_.format_version != archive_format_version) {
            fail("archive format version " + std::to_string(header_.format_version) + " is not supported (this build reads " +
                 std::to_string(archive_format_version) + ")");
        }
        if (detail::get_le<std::uint32_t>(h + 12) != detail::archive_byte_order_mark) {
            fail("byte-order mark does not match: written with a different byte order");
        }
        const char* kind = reinterpret_cast<const char*>(h + 16);
        header_.kind.assign(kind, strnlen_bounded(kind, detail::archive_kind_size));
        if (!detail::valid_kind(header_.kind)) fail("the model kind field is malformed");
        header_.element = static_cast<type_tag>(h[48]);
        header_.index = static_cast<type_tag>(h[49]);
        header_.schema_version = detail::get_le<std::uint32_t>(h + 52);
        header_.payload_size = detail::get_le<std::uint64_t>(h + 56);
        payload_crc_ = detail::get_le<std::uint32_t>(h + 64);
        if (header_.kind != expected.kind) {
            fail("holds a '" + header_.kind + "', expected a '" + expected.kind + "'");
        }
        if (header_.element != expected.element) {
            fail("element type is " + std::string(type_tag_name(header_.element)) + ", expected " +
                 std::string(type_tag_name(expected.element)));
        }
        if (header_.index != expected.index) {
            fail("index type is " + std::string(type_tag_name(header_.index)) + ", expected " +
                 std::string(type_tag_name(expected.index)));
        }
        if (header_.payload_size > limits.max_payload_bytes ||
            header_.payload_size > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
            fail("payload of " + std::to_string(header_.payload_size) + " bytes exceeds the limit of " +
                 std::to_string(limits.max_payload_bytes));
        }
    }

    // Reads the declared payload in chunks, so memory grows only with bytes actually present.
    void read_payload(std::istream& in) {
        constexpr std::size_t chunk = std::size_t{1} << 20;
        const auto total = static_cast<std::size_t>(header_.payload_size);
        while (payload_.size() < total) {
            const std::size_t want = std::min(chunk, total - payload_.size());
            const std::size_t at = payload_.size();
            payload_.resize(at + want);
            const std::size_t got = read_some(in, payload_.data() + at, want);
            if (got < want) {
                fail("truncated payload: " + std::to_string(at + got) + " of " + std::to_string(total) + " bytes");
            }
        }
        verify_payload();
    }

    void verify_payload() const {
        if (crc32c_of(payload_) != payload_crc_ && !fuzzing) fail("payload checksum mismatch: the file is corrupted");
    }

    static std::size_t strnlen_bounded(const char* s, std::size_t max) noexcept {
        std::size_t n = 0;
        while (n < max && s[n] != '\0') ++n;
        return n;
    }

    // Fuzzing builds (the libFuzzer convention macro) still compute checksums but do not stop
    // at a mismatch, so that fuzzers reach the field decoders behind them.
#if defined(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
    static constexpr bool fuzzing = true;
#else
    static constexpr bool fuzzing = false;
#endif

    std::string source_;
    archive_header header_;
    std::uint32_t payload_crc_ = 0;
    std::vector<std::byte> payload_;
    std::size_t pos_ = 0;
};

/// Writes `model` as one field of `w`: a complete archive of its own (Model::header(), payload,
/// checksum), so that a composite model (a pipeline, a vectorizer of two parts) stores its parts
/// with their own kinds, types and versions. Throws as model.write_to.
template <class Model>
void write_nested(archive_writer& w, const Model& model) {
    archive_writer part(Model::header());
    model.write_to(part);
    w.write_bytes(part.bytes());
}

/// Reads a field written by write_nested: the part's archive is verified against
/// Model::header() and decoded by Model::read_from(part, args...). `source` names the part in
/// error messages. Throws format_error for a part of another kind or type, a corrupt part, or
/// bytes after the part's archive inside the field.
template <class Model, class... Args>
[[nodiscard]] Model read_nested(archive_reader& r, std::string_view field, const std::string& source, Args&&... args) {
    const auto bytes = r.read_bytes(field);
    archive_reader part(std::span<const std::byte>(bytes), Model::header(), source);
    if (bytes.size() != detail::archive_header_size + part.header().payload_size) {
        r.fail(source + ": the part has bytes after its archive");
    }
    return Model::read_from(part, std::forward<Args>(args)...);
}

/// Saves `model` to a file as one archive under Model::header(): the save(path) of every
/// tessera model. Throws as model.write_to, and io_error when the file cannot be written.
template <class Model>
void save_archive(const Model& model, const std::filesystem::path& path) {
    archive_writer w(Model::header());
    model.write_to(w);
    w.save(path);
}

/// Reads a file written by save_archive: Model::read_from(reader, args...), the load(path, ...)
/// of every tessera model. Throws io_error (unreadable) or format_error (another kind or type,
/// truncation, corruption, inconsistent contents).
template <class Model, class... Args>
[[nodiscard]] Model load_archive(const std::filesystem::path& path, Args&&... args) {
    auto r = archive_reader::open(path, Model::header());
    return Model::read_from(r, std::forward<Args>(args)...);
}

}  // namespace tessera
