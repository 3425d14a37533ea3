/// \file
/// tessera/io/byte_source.hpp - where every tessera loader gets its bytes: a file, a stream or
/// memory, decompressed on the fly when the data starts with the gzip magic bytes 1f 8b.
///
/// Everything here is an implementation detail of the loaders in tessera/io/ (namespace
/// tessera::detail); users call read_csv, read_idx_images, ... and never name it.
///
/// gzip needs zlib: the tessera::zlib CMake target defines TESSERA_HAS_ZLIB=1 and links it.
/// Without it this header still compiles, and gzip data is rejected with a format_error that
/// says how to enable it. Every translation unit of one program must agree on the macro.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "tessera/core/error.hpp"

/// 1 when the loaders can read gzip data (TESSERA_HAS_ZLIB=1, set by linking tessera::zlib),
/// else 0.
#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
#include <zlib.h>
#define TESSERA_IO_GZIP 1
#else
#define TESSERA_IO_GZIP 0
#endif

namespace tessera::detail {
/// \cond

// ---------------------------------------------------------------------------------------------
// Error messages. One builder for all loaders, so every message reads
//     tessera::<function>: <source>:<line>:<column>: <what>        (text formats)
//     tessera::<function>: <source>: byte <offset>: <what>         (binary formats)

/// `text` in double quotes for an error message: at most 40 bytes of it, with quotes,
/// backslashes, control bytes and bytes >= 0x80 escaped (\xNN), so a binary or hostile field
/// cannot garble a log line.
[[nodiscard]] inline std::string quoted_excerpt(std::string_view text) {
    constexpr std::size_t limit = 40;
    constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    const std::size_t n = std::min(text.size(), limit);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    if (text.size() > limit) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

/// Throws format_error "tessera::<where>: <source>:<line>:<column>: <what>".
[[noreturn]] inline void throw_format_at(std::string_view where, std::string_view source, std::size_t line,
                                         std::size_t column, std::string_view what) {
    std::string m = "tessera::";
    m.append(where).append(": ").append(source).append(":").append(std::to_string(line)).append(":");
    m.append(std::to_string(column)).append(": ").append(what);
    throw format_error(m);
}

/// Throws format_error "tessera::<where>: <source>: byte <offset>: <what>".
[[noreturn]] inline void throw_format_at_byte(std::string_view where, std::string_view source, std::uint64_t offset,
                                              std::string_view what) {
    std::string m = "tessera::";
    m.append(where).append(": ").append(source).append(": byte ").append(std::to_string(offset)).append(": ");
    m.append(what);
    throw format_error(m);
}

/// Throws io_error "tessera::<where>: <source>: <what>".
[[noreturn]] inline void throw_io(std::string_view where, std::string_view source, std::string_view what) {
    std::string m = "tessera::";
    m.append(where).append(": ").append(source).append(": ").append(what);
    throw io_error(m);
}

/// What a byte_source throws. It carries no position: the loader that reads the bytes knows
/// the line or byte offset, catches this and throws format_error (or io_error) with it.
class source_failure : public std::runtime_error {
public:
    enum class kind { format, io };
    source_failure(kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
    [[nodiscard]] kind failure_kind() const noexcept { return kind_; }

private:
    kind kind_;
};

/// Opens `path` for binary reading. Throws io_error naming the path and the system's reason
/// (strerror text) when it cannot be opened or is a directory.
[[nodiscard]] inline std::ifstream open_input_file(const std::filesystem::path& path, std::string_view where) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw_io(where, path.string(), "cannot open: " + std::make_error_code(std::errc::is_a_directory).message());
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
        const int err = errno;
        throw_io(where, path.string(),
                 "cannot open: " + (err != 0 ? std::generic_category().message(err) : std::string("unknown error")));
    }
    return in;
}

// ---------------------------------------------------------------------------------------------

/// A forward-only source of bytes over an istream or a memory span. If the data starts with
/// the gzip magic bytes (1f 8b) it is decompressed as it is read: the output is produced only
/// into the caller's buffer, so memory stays bounded by what the caller asks for however much
/// the data would expand (a gzip bomb costs time, never memory). Concatenated gzip members are
/// read as one stream (as gzip -d does); zero bytes after the last member are ignored; anything
/// else after it, a truncated stream, a corrupt stream and a CRC or length mismatch are
/// source_failure(kind::format). A stream read error is source_failure(kind::io).
///
/// Not copyable or movable (zlib keeps pointers into it). Not thread-safe.
class byte_source {
public:
    /// Reads from `in` (which must outlive the source) from its current position.
    explicit byte_source(std::istream& in) : stream_(&in), buffer_(new unsigned char[buffer_size]) { start(); }

    /// Reads from `bytes` (which must outlive the source); nothing is copied.
    explicit byte_source(std::span<const unsigned char> bytes) : memory_(bytes) { start(); }

    byte_source(const byte_source&) = delete;
    byte_source& operator=(const byte_source&) = delete;

    ~byte_source() {
#if TESSERA_IO_GZIP
        if (inflating_) inflateEnd(&zs_);
#endif
    }

    /// Whether the data is gzip-compressed.
    [[nodiscard]] bool gzip() const noexcept { return gzip_; }

    /// Bytes delivered by read() so far (decompressed bytes for gzip).
    [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }

    /// Copies up to `n` bytes into `out`; returns how many. Returns 0 only at the end of data
    /// (or when n == 0). O(n) plus decompression.
    std::size_t read(unsigned char* out, std::size_t n) { return gzip_ ? read_gzip(out, n) : read_raw(out, n); }

private:
    static constexpr std::size_t buffer_size = std::size_t{64} * 1024;

    [[noreturn]] static void fail(const std::string& what) { throw source_failure(source_failure::kind::format, what); }

    // Makes at least one more raw byte available in [next_, next_ + avail_) unless the input is
    // exhausted (then returns false). Only called when avail_ == 0.
    bool refill() {
        if (stream_ == nullptr) {
            if (memory_given_ || memory_.empty()) return false;
            memory_given_ = true;
            next_ = memory_.data();
            avail_ = memory_.size();
            return true;
        }
        const std::size_t got = read_stream(buffer_.get(), buffer_size);
        next_ = buffer_.get();
        avail_ = got;
        return got != 0;
    }

    std::size_t read_stream(unsigned char* dst, std::size_t n) {
        if (stream_failed_) throw source_failure(source_failure::kind::io, "read error");
        if (stream_eof_) return 0;
        stream_->read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
        const auto got = static_cast<std::size_t>(stream_->gcount());
        if (stream_->bad()) {
            // Hand out what did arrive first, so that the error is reported where it happened.
            stream_failed_ = true;
            if (got == 0) throw source_failure(source_failure::kind::io, "read error");
        } else if (got < n) {
            stream_eof_ = true;
        }
        return got;
    }

    void consume(std::size_t n) noexcept {
        next_ += n;
        avail_ -= n;
        raw_consumed_ += n;
    }

    void start() {
        if (!refill()) return;  // empty input: raw, and read() returns 0
        if (stream_ != nullptr && avail_ == 1) {
            // One byte is not enough to recognise the magic; a stream may deliver the second later.
            avail_ += read_stream(buffer_.get() + 1, buffer_size - 1);
        }
        gzip_ = avail_ >= 2 && next_[0] == 0x1f && next_[1] == 0x8b;
        if (!gzip_) return;
#if TESSERA_IO_GZIP
        zs_ = z_stream{};
        const int rc = inflateInit2(&zs_, 16 + MAX_WBITS);  // 16: gzip wrapper only
        if (rc == Z_MEM_ERROR) throw std::bad_alloc();
        if (rc != Z_OK) fail("cannot initialise zlib");
        inflating_ = true;
#else
        fail("the data is gzip-compressed, and gzip support needs zlib: link tessera::zlib");
#endif
    }

    std::size_t read_raw(unsigned char* out, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            if (avail_ == 0 && !refill()) break;
            const std::size_t k = std::min(n - done, avail_);
            std::memcpy(out + done, next_, k);
            consume(k);
            done += k;
            delivered_ += k;  // counted as it goes, so that a later failure reports the right offset
        }
        return done;
    }

#if TESSERA_IO_GZIP
    static uInt clamp_uint(std::size_t n) noexcept {
        return static_cast<uInt>(std::min<std::size_t>(n, std::numeric_limits<uInt>::max()));
    }

    std::string compressed_position() const { return " at compressed byte " + std::to_string(raw_consumed_); }

    // After a member's end: true if another member follows, false at the end of the data.
    bool next_member() {
        if (avail_ == 0 && !refill()) return false;
        if (next_[0] == 0x1f) {  // inflate checks the rest of the header
            if (inflateReset(&zs_) != Z_OK) fail("cannot reset zlib");
            return true;
        }
        for (;;) {  // trailing zero padding (as from tape or block devices) is ignored, as gzip does
            while (avail_ > 0) {
                if (next_[0] != 0) fail("unexpected bytes after the end of the gzip data" + compressed_position());
                consume(1);
            }
            if (!refill()) return false;
        }
    }

    std::size_t read_gzip(unsigned char* out, std::size_t n) {
        std::size_t done = 0;
        while (done < n && !finished_) {
            if (member_done_) {
                if (!next_member()) {
                    finished_ = true;
                    break;
                }
                member_done_ = false;
            }
            if (avail_ == 0 && !refill()) {
                fail("truncated gzip data: the input ends before the end of the compressed stream" +
                     compressed_position());
            }
            const uInt in_before = clamp_uint(avail_);
            const uInt out_before = clamp_uint(n - done);
            zs_.next_in = const_cast<Bytef*>(next_);  // zlib's API predates const; it never writes input
            zs_.avail_in = in_before;
            zs_.next_out = out + done;
            zs_.avail_out = out_before;
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            consume(in_before - zs_.avail_in);
            done += out_before - zs_.avail_out;
            delivered_ += out_before - zs_.avail_out;
            switch (rc) {
                case Z_OK:
                    break;
                case Z_STREAM_END:
                    member_done_ = true;
                    break;
                case Z_BUF_ERROR:  // no progress although input and output space were offered
                    if (in_before == zs_.avail_in && out_before == zs_.avail_out) {
                        fail("corrupt gzip data: zlib makes no progress" + compressed_position());
                    }
                    break;
                case Z_MEM_ERROR:
                    throw std::bad_alloc();
                case Z_NEED_DICT:
                case Z_DATA_ERROR:
                default:
                    fail(std::string("corrupt gzip data (") + (zs_.msg != nullptr ? zs_.msg : "unknown zlib error") +
                         ")" + compressed_position());
            }
        }
        return done;
    }

    z_stream zs_{};
    bool inflating_ = false;
    bool member_done_ = false;
    bool finished_ = false;
#else
    std::size_t read_gzip(unsigned char*, std::size_t) { return 0; }  // unreachable: start() threw
#endif

    std::istream* stream_ = nullptr;
    std::unique_ptr<unsigned char[]> buffer_;
    std::span<const unsigned char> memory_;
    bool memory_given_ = false;
    bool stream_eof_ = false;
    bool stream_failed_ = false;
    const unsigned char* next_ = nullptr;
    std::size_t avail_ = 0;
    std::uint64_t raw_consumed_ = 0;
    std::uint64_t delivered_ = 0;
    bool gzip_ = false;
};

/// \endcond
}  // namespace tessera::detail
