// libFuzzer target: the classifiers and spam-filter pieces from arbitrary bytes. The first
// input byte (modulo 10) picks what the rest is:
//   0-3  a naive Bayes archive (Gaussian, multinomial, Bernoulli, complement), loaded and then
//        asked for predictions on one row;
//   8-9  a logistic_regression archive (int labels; string labels), the same;
//   4-5  a count_vectorizer or tfidf_vectorizer archive, loaded and then used on a document;
//   7    a hashing_vectorizer archive, loaded and then used on a document;
//   6    a document (any bytes, often invalid UTF-8) fitted by a count_vectorizer with bigrams
//        and hashed by a hashing_vectorizer.
// format_error is the expected answer to a bad archive and invalid_argument to a document that
// is not UTF-8; any other exception, crash, leak or sanitizer report is a bug. Checksum
// mismatches are tolerated in this build (see archive_reader), so mutations reach the payload.
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION 1
#endif
#include <tessera/core/archive.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/text/count_vectorizer.hpp>
#include <tessera/text/hashing_vectorizer.hpp>
#include <tessera/text/tfidf.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

template <class Model>
void load_model(std::span<const std::byte> bytes) {
    tessera::archive_reader r(bytes, Model::header());
    const auto m = Model::read_from(r);
    const std::vector<std::vector<double>> x{std::vector<double>(m.n_features(), 1.0)};
    const auto p = m.predict_proba(x);
    if (p.rows() != 1 || p.cols() != m.n_classes()) __builtin_trap();
    const auto labels = m.predict(x);
    if (labels.size() != 1) __builtin_trap();
}

template <class Vectorizer>
void load_vectorizer(std::span<const std::byte> bytes) {
    tessera::archive_reader r(bytes, Vectorizer::header());
    const auto v = Vectorizer::read_from(r);
    const std::vector<std::string> docs{"free prize call now", ""};
    const auto x = v.transform(docs);
    if constexpr (requires { v.vocabulary_size(); }) {
        if (x.rows() != 2 || x.cols() != v.vocabulary_size()) __builtin_trap();
    } else {
        if (x.rows() != 2 || x.cols() != v.n_features()) __builtin_trap();
    }
}

void vectorize(std::string_view doc) {
    try {
        tessera::count_vectorizer<double> counts({.tokens = {.ngram_min = 1, .ngram_max = 2}});
        const std::vector<std::string_view> docs{doc, doc};
        const auto x = counts.fit_transform(docs);
        if (x.rows() != 2) __builtin_trap();
    } catch (const tessera::invalid_argument&) {
        // invalid UTF-8, or no tokens at all ("no terms remain")
    }
    try {
        const tessera::hashing_vectorizer<double> hashing({.bits = 10});
        const auto h = hashing.transform(std::vector<std::string_view>{doc});
        if (h.rows() != 1 || h.cols() != 1024) __builtin_trap();
    } catch (const tessera::invalid_argument&) {
        // invalid UTF-8
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    try {
        switch (data[0] % 10) {
            case 0: load_model<tessera::gaussian_nb<int>>(bytes); break;
            case 1: load_model<tessera::multinomial_nb<std::string>>(bytes); break;
            case 2: load_model<tessera::bernoulli_nb<int>>(bytes); break;
            case 3: load_model<tessera::complement_nb<int>>(bytes); break;
            case 4: load_vectorizer<tessera::count_vectorizer<double>>(bytes); break;
            case 5: load_vectorizer<tessera::tfidf_vectorizer<double>>(bytes); break;
            case 7: load_vectorizer<tessera::hashing_vectorizer<double>>(bytes); break;
            case 8: load_model<tessera::logistic_regression<int>>(bytes); break;
            case 9: load_model<tessera::logistic_regression<std::string>>(bytes); break;
            default: vectorize(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1)); break;
        }
    } catch (const tessera::format_error&) {
        // the expected answer to a bad archive
    }
    return 0;
}
