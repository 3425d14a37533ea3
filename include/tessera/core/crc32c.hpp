/// \file
/// tessera/core/crc32c.hpp - CRC-32C (Castagnoli), the checksum of tessera's archives.
///
/// Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value and final XOR 0xFFFFFFFF, as in
/// iSCSI (RFC 3720) and ext4. Table-driven "slicing by 8": eight bytes per step from tables
/// computed at compile time. Check value: crc32c("123456789") == 0xE3069283.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tessera {

namespace detail {
/// \cond

inline constexpr std::uint32_t crc32c_polynomial = 0x82F63B78u;

[[nodiscard]] constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() noexcept {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? (c >> 1) ^ crc32c_polynomial : c >> 1;
        t[0][i] = c;
    }
    for (std::size_t s = 1; s < 8; ++s) {
        for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
    }
    return t;
}

inline constexpr auto crc32c_tables = make_crc32c_tables();

/// \endcond
}  // namespace detail

/// Incremental CRC-32C: feed bytes with update(), read the checksum with value(). O(n).
class crc32c {
public:
    /// The checksum of no bytes (value() == 0).
    constexpr crc32c() noexcept = default;

    /// Feeds `bytes` after those fed before. O(bytes.size()). Returns `*this`.
    constexpr crc32c& update(std::span<const std::byte> bytes) noexcept {
        const auto& t = detail::crc32c_tables;
        std::uint32_t c = state_;
        std::size_t i = 0;
        const std::size_t n = bytes.size();
        for (; i + 8 <= n; i += 8) {
            const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(bytes[i + k]); };
            const std::uint32_t lo = c ^ (b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24));
            c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
                t[3][b(4)] ^ t[2][b(5)] ^ t[1][b(6)] ^ t[0][b(7)];
        }
        for (; i < n; ++i) c = (c >> 8) ^ t[0][(c ^ static_cast<std::uint32_t>(bytes[i])) & 0xFFu];
        state_ = c;
        return *this;
    }

    /// Feeds the bytes of `text`. Returns `*this`.
    crc32c& update(std::string_view text) noexcept {
        return update(std::as_bytes(std::span<const char>(text.data(), text.size())));
    }

    /// The CRC-32C of every byte fed so far; feeding may continue afterwards.
    [[nodiscard]] constexpr std::uint32_t value() const noexcept { return state_ ^ 0xFFFFFFFFu; }

private:
    std::uint32_t state_ = 0xFFFFFFFFu;
};

/// CRC-32C of `bytes`.
[[nodiscard]] constexpr std::uint32_t crc32c_of(std::span<const std::byte> bytes) noexcept {
    return crc32c().update(bytes).value();
}

/// CRC-32C of the bytes of `text`.
[[nodiscard]] inline std::uint32_t crc32c_of(std::string_view text) noexcept { return crc32c().update(text).value(); }

}  // namespace tessera
