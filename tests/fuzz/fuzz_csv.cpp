// libFuzzer target for tessera::read_csv and tessera::read_sklearn_csv. The first byte picks the
// options (delimiter, header mode, label column, NaN policy, element types); the rest is the
// file, plain or gzip-compressed. Malformed input must end in tessera::format_error; anything
// else (a crash, a sanitizer report, another exception) is a bug.
#include <tessera/io/csv.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

template <class T, class Label>
void read_with(const std::string& bytes, const tessera::csv_options& opt) {
    std::istringstream in(bytes);
    try {
        const auto d = tessera::read_csv<T, Label>(in, opt, "fuzz.csv");
        const bool labelled = opt.label.which() != tessera::csv_column::kind::none;
        if (labelled && d.labels.size() != d.features.rows()) __builtin_trap();
        if (!labelled && !d.labels.empty()) __builtin_trap();
        if (!d.feature_names.empty() && d.feature_names.size() != d.features.cols()) __builtin_trap();
    } catch (const tessera::format_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned flags = data[0];
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

    tessera::csv_options opt;
    constexpr char delimiters[] = {',', ';', '\t', ' '};
    opt.delimiter = delimiters[flags & 3u];
    opt.header = static_cast<tessera::header_row>((flags >> 2) % 3);
    switch ((flags >> 4) & 3u) {
        case 0: opt.label = tessera::csv_column::none(); break;
        case 1: opt.label = tessera::csv_column::last(); break;
        case 2: opt.label = tessera::csv_column::index(1); break;
        default:
            opt.label = tessera::csv_column::named("y");
            if (opt.header == tessera::header_row::absent) opt.header = tessera::header_row::present;
            break;
    }
    opt.allow_nonfinite = (flags & 0x40u) != 0;
    opt.skip_lines = (flags & 0x80u) != 0 ? 1 : 0;
    opt.max_line_length = std::size_t{1} << 16;  // keeps each run small; the limit itself is under test

    if ((flags & 0x80u) != 0) {
        read_with<float, std::string>(bytes, opt);
        read_with<std::int16_t, std::uint8_t>(bytes, opt);
    } else {
        read_with<double, int>(bytes, opt);
    }
    std::istringstream in(bytes);
    try {
        const auto d = tessera::read_sklearn_csv<double>(in);
        if (d.labels.size() != d.features.rows()) __builtin_trap();
        for (const int l : d.labels) {
            if (l < 0 || static_cast<std::size_t>(l) >= d.class_names.size()) __builtin_trap();
        }
    } catch (const tessera::format_error&) {
    }
    return 0;
}
