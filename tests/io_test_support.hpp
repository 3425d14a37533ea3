// Helpers shared by the io tests: temporary files, exception capture, a failing stream and an
// independent gzip writer.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <system_error>
#include <utility>

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
#include <zlib.h>
#endif

namespace tessera_test {

namespace fs = std::filesystem;

// A file under the temporary directory, removed again at the end of the test.
struct temp_file {
    fs::path path;
    explicit temp_file(const std::string& name, const std::string& bytes = {}) {
        static int counter = 0;
        path = fs::temp_directory_path() /
               ("tessera_test_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "_" + std::to_string(counter++) + "_" + name);
        std::ofstream(path, std::ios::binary) << bytes;
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
        std::error_code ec;
        fs::remove(path, ec);
    }
};

// The message of the E that f() throws; fails the test (and returns "") if it throws nothing
// or something else.
template <class E, class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("threw the wrong exception type: " << e.what());
        return {};
    }
    FAIL("did not throw");
    return {};
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A stream buffer that serves `data` and then fails as a broken disk would.
struct failing_buffer : std::streambuf {
    std::string data;
    bool served = false;
    explicit failing_buffer(std::string d) : data(std::move(d)) {}
    int_type underflow() override {
        if (served) throw std::runtime_error("device error");
        served = true;
        setg(data.data(), data.data(), data.data() + data.size());
        return traits_type::to_int_type(data[0]);
    }
};

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
// gzip-compresses `data` with zlib directly (independent of the reader).
inline std::string gzip(const std::string& data) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}
#endif

}  // namespace tessera_test
