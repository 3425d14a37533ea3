// libFuzzer target: loading nearest-neighbour models from arbitrary bytes.
//
// The first input byte picks the model (an index or a classifier, its element type and
// metric), the rest is read as its archive. format_error is the expected answer to bad input;
// any other exception, crash, leak or sanitizer report is a bug. A model that loads is then
// searched once, so that a payload which passes the checks but leaves the model inconsistent
// is caught too.
//
// Checksum mismatches are tolerated in this build (see archive_reader), otherwise nearly every
// mutated input would stop at the CRC check.
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION 1
#endif
#include <tessera/core/archive.hpp>
#include <tessera/neighbors/kd_tree.hpp>
#include <tessera/neighbors/knn_classifier.hpp>
#include <tessera/neighbors/knn_index.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace {

template <class Model>
void exercise(const Model& m) {
    using Q = typename Model::query_type;
    if (m.empty()) return;
    const std::vector<Q> q(m.dim(), Q(1));
    const auto r = m.search_one(std::span<const Q>(q), 1);
    if (r.size() != 1 || !m.contains(r[0].first)) __builtin_trap();
}

template <class Model>
void load_index(std::span<const std::byte> bytes) {
    tessera::archive_reader r(bytes, Model::header());
    exercise(Model::read_from(r));
}

void load_classifier(std::span<const std::byte> bytes) {
    using model = tessera::knn_classifier<int>;
    tessera::archive_reader r(bytes, model::header());
    const auto clf = model::read_from(r);
    const std::vector<float> row(clf.n_features(), 0.5f);
    const std::vector<std::vector<float>> x{row};
    try {
        const auto p = clf.predict(x);
        if (p.size() != 1) __builtin_trap();
    } catch (const tessera::invalid_argument&) {
        // Finite stored rows can lie so far from the query that the distance overflows; with
        // distance weights predict then refuses, as documented.
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    try {
        switch (data[0] % 5) {
            case 0: load_index<tessera::knn_index<float>>(bytes); break;
            case 1: load_index<tessera::knn_index<std::uint8_t, tessera::manhattan>>(bytes); break;
            case 2: load_index<tessera::knn_index<double, tessera::cosine_distance>>(bytes); break;
            case 3: load_classifier(bytes); break;
            default: load_index<tessera::kd_tree_index<float, tessera::euclidean>>(bytes); break;
        }
    } catch (const tessera::format_error&) {
        // the expected answer to a bad archive
    }
    return 0;
}
