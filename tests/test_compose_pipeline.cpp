// pipeline (compose/pipeline.hpp) and the streaming functions (compose/stream.hpp): a pipeline
// gives exactly what calling its steps by hand gives, saves and loads as one archive, and
// streams any range of rows in batches.
#include <tessera/compose/pipeline.hpp>
#include <tessera/compose/stream.hpp>
#include <tessera/core/archive.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/random.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/naive_bayes/gaussian_nb.hpp>
#include <tessera/neighbors/knn_classifier.hpp>
#include <tessera/preprocessing/scalers.hpp>
#include <tessera/text/hashing_vectorizer.hpp>
#include <tessera/text/tfidf.hpp>

#include <doctest/doctest.h>

#include "model_test_support.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <iterator>
#include <ranges>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

namespace {

using tessera_test::archive_bytes;
using tessera_test::from_bytes;
using dense_d = tessera::dense_matrix<double>;

// Three Gaussian classes in 4 dimensions with very different feature scales, so that the scaler
// matters to the classifier.
struct blobs {
    dense_d x;
    std::vector<int> y;
};

blobs make_blobs(std::size_t n, std::uint64_t seed) {
    tessera::random_engine rng(seed);
    blobs b{dense_d(n, 4), {}};
    const double scale[4] = {1.0, 100.0, 0.01, 10.0};
    for (std::size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(i % 3);
        b.y.push_back(c);
        for (std::size_t j = 0; j < 4; ++j) {
            b.x(i, j) = scale[j] * (static_cast<double>(c) * (j % 2 == 0 ? 2.0 : -1.5) + rng.normal());
        }
    }
    return b;
}

template <class M>
bool same_matrix(const M& a, const M& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (std::size_t i = 0; i < a.rows(); ++i) {
        for (std::size_t j = 0; j < a.cols(); ++j) {
            if (a(i, j) != b(i, j)) return false;
        }
    }
    return true;
}

// A classifier that records the largest batch it was asked to predict: the streaming functions
// must never hand it more than batch_rows rows.
struct batch_probe {
    using label_type = int;
    using value_type = double;
    mutable std::size_t largest = 0;
    mutable std::size_t calls = 0;
    void fit(const dense_d&, const std::vector<int>&) {}
    template <class X>
    [[nodiscard]] std::vector<int> predict(const X& x) const {
        const auto rows = tessera::as_rows(x, "batch_probe::predict", "x");
        largest = std::max(largest, rows.rows());
        ++calls;
        std::vector<int> out;
        for (std::size_t i = 0; i < rows.rows(); ++i) out.push_back(static_cast<int>(rows.row(i)[0] * 10));
        return out;
    }
    [[nodiscard]] std::vector<int> classes() const { return {}; }
};

// A single-pass range of n values made by f(i) as they are read: a stand-in for a reader of
// rows from a file or a socket.
template <class F>
class generated {
public:
    generated(std::size_t n, F f) : n_(n), f_(std::move(f)) {}

    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;
        using value_type = std::remove_cvref_t<std::invoke_result_t<F&, std::size_t>>;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(generated* g) : g_(g) {}
        value_type operator*() const { return g_->f_(i_); }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        void operator++(int) { ++i_; }
        bool operator==(std::default_sentinel_t) const { return i_ == g_->n_; }

    private:
        generated* g_ = nullptr;
        std::size_t i_ = 0;
    };

    [[nodiscard]] iterator begin() { return iterator(this); }
    [[nodiscard]] std::default_sentinel_t end() const { return {}; }

private:
    std::size_t n_;
    F f_;
};

}  // namespace

TEST_CASE("a scaler and logistic regression in a pipeline give what the two steps give by hand") {
    const auto train = make_blobs(300, 1);
    const auto test = make_blobs(90, 2);
    const tessera::logistic_regression_options lr{.C = 0.5, .tol = 1e-8};

    auto p = tessera::make_pipeline(tessera::standard_scaler<double>(), tessera::logistic_regression<int>(lr));
    CHECK_FALSE(p.fitted());
    p.fit(train.x, train.y);
    CHECK(p.fitted());

    tessera::standard_scaler<double> scaler;
    tessera::logistic_regression<int> model(lr);
    model.fit(scaler.fit_transform(train.x), train.y);
    const auto z = scaler.transform(test.x);

    CHECK(p.predict(test.x) == model.predict(z));
    CHECK(same_matrix(p.predict_proba(test.x), model.predict_proba(z)));
    CHECK(same_matrix(p.predict_log_proba(test.x), model.predict_log_proba(z)));
    CHECK(same_matrix(p.decision_function(test.x), model.decision_function(z)));
    CHECK(p.score(test.x, test.y) == model.score(z, test.y));
    CHECK(p.score(test.x, test.y) > 0.8);
    CHECK(std::ranges::equal(p.classes(), model.classes()));
    CHECK(std::ranges::equal(p.step<0>().mean(), scaler.mean()));
    CHECK(std::ranges::equal(p.last().intercept(), model.intercept()));

    // Sample weights reach the last step.
    std::vector<double> w(train.y.size(), 1.0);
    for (std::size_t i = 0; i < w.size(); i += 2) w[i] = 3.0;
    p.fit(train.x, train.y, w);
    model.fit(scaler.transform(train.x), train.y, w);
    CHECK(same_matrix(p.predict_proba(test.x), model.predict_proba(z)));
}

TEST_CASE("| composes the same pipeline as make_pipeline, flattening pipelines") {
    using scaler = tessera::standard_scaler<double>;
    using maxabs = tessera::max_abs_scaler<double>;
    using nb = tessera::gaussian_nb<int>;
    auto a = scaler() | nb();
    static_assert(std::same_as<decltype(a), tessera::pipeline<scaler, nb>>);
    auto b = maxabs() | scaler() | nb();
    static_assert(std::same_as<decltype(b), tessera::pipeline<maxabs, scaler, nb>>);
    auto c = (maxabs() | scaler()) | (scaler() | nb());
    static_assert(std::same_as<decltype(c), tessera::pipeline<maxabs, scaler, scaler, nb>>);
    // make_pipeline keeps a pipeline argument as one step.
    auto d = tessera::make_pipeline(maxabs() | scaler(), nb());
    static_assert(std::same_as<decltype(d), tessera::pipeline<tessera::pipeline<maxabs, scaler>, nb>>);

    const auto train = make_blobs(120, 3);
    b.fit(train.x, train.y);
    d.fit(train.x, train.y);
    CHECK(b.predict(train.x) == d.predict(train.x));
    CHECK(same_matrix(b.predict_proba(train.x), d.predict_proba(train.x)));
}

TEST_CASE("a pipeline of transformers is a transformer") {
    const auto train = make_blobs(60, 4);
    auto p = tessera::max_abs_scaler<double>() | tessera::standard_scaler<double>();
    const auto out = p.fit_transform(train.x);
    tessera::max_abs_scaler<double> a;
    tessera::standard_scaler<double> b;
    CHECK(same_matrix(out, b.fit_transform(a.fit_transform(train.x))));
    CHECK(same_matrix(p.transform(train.x), out));
}

TEST_CASE("a text pipeline: documents through tf-idf into multinomial naive Bayes") {
    const std::vector<std::string> docs{"cheap pills buy now", "meeting at noon", "buy cheap watches now",
                                        "lunch meeting moved", "win cash now", "notes from the meeting"};
    const std::vector<std::string> labels{"spam", "ham", "spam", "ham", "spam", "ham"};
    auto p = tessera::tfidf_vectorizer<>() | tessera::multinomial_nb<std::string>();
    p.fit(docs, labels);

    tessera::tfidf_vectorizer<> v;
    tessera::multinomial_nb<std::string> nb;
    nb.fit(v.fit_transform(docs), labels);
    const std::vector<std::string> queries{"cheap cash now", "meeting notes", "nothing known here"};
    CHECK(p.predict(queries) == nb.predict(v.transform(queries)));
    CHECK(same_matrix(p.predict_proba(queries), nb.predict_proba(v.transform(queries))));
    CHECK(p.predict(queries)[0] == "spam");
    CHECK(p.predict(queries)[1] == "ham");

    // Streamed from string_views into a reused buffer: the same labels.
    std::vector<std::string> streamed;
    std::string buffer;
    generated rows(queries.size(), [&](std::size_t i) -> std::string_view {
        buffer = queries[i];  // every row points into one buffer, rewritten per row
        return buffer;
    });
    p.predict(rows, std::back_inserter(streamed), {.batch_rows = 2});
    CHECK(streamed == p.predict(queries));

    // A hashing vectorizer is stateless but opens a pipeline the same way.
    auto h = tessera::hashing_vectorizer<>({.bits = 10, .alternate_sign = false}) | tessera::multinomial_nb<std::string>();
    h.fit(docs, labels);
    CHECK(h.predict(queries)[0] == "spam");
}

TEST_CASE("pipelines save and load as one archive") {
    const auto train = make_blobs(150, 5);
    using pipe = tessera::pipeline<tessera::standard_scaler<double>, tessera::logistic_regression<int>>;
    pipe p = tessera::standard_scaler<double>() | tessera::logistic_regression<int>();

    // Before fit the scaler cannot be written.
    CHECK_THROWS_AS((void)archive_bytes(p), tessera::not_fitted_error);

    p.fit(train.x, train.y);
    const auto bytes = archive_bytes(p);
    const auto q = from_bytes<pipe>(bytes);
    CHECK(q.predict(train.x) == p.predict(train.x));
    CHECK(same_matrix(q.predict_proba(train.x), p.predict_proba(train.x)));

    const auto path = std::filesystem::temp_directory_path() / "tessera_test_pipeline.tsra";
    p.save(path);
    const auto r = pipe::load(path);
    std::filesystem::remove(path);
    CHECK(same_matrix(r.predict_proba(train.x), p.predict_proba(train.x)));

    SUBCASE("another pipeline type refuses the archive") {
        using three = tessera::pipeline<tessera::max_abs_scaler<double>, tessera::standard_scaler<double>,
                                        tessera::logistic_regression<int>>;
        CHECK_THROWS_WITH_AS((void)from_bytes<three>(bytes), doctest::Contains("holds 2 steps"), tessera::format_error);
        using swapped = tessera::pipeline<tessera::max_abs_scaler<double>, tessera::logistic_regression<int>>;
        CHECK_THROWS_WITH_AS((void)from_bytes<swapped>(bytes), doctest::Contains("pipeline step 0 (max_abs_scaler)"),
                             tessera::format_error);
        using float_model = tessera::pipeline<tessera::standard_scaler<double>, tessera::logistic_regression<int, float>>;
        CHECK_THROWS_AS((void)from_bytes<float_model>(bytes), tessera::format_error);
    }
    SUBCASE("a corrupt step is refused") {
        tessera::archive_writer w(pipe::header());
        w.write<std::uint64_t>(2);
        auto first = archive_bytes(p.step<0>());
        first.back() ^= std::byte{1};  // the payload checksum no longer matches
        w.write_bytes(std::span<const std::byte>(first));
        tessera::write_nested(w, p.step<1>());
        CHECK_THROWS_AS((void)from_bytes<pipe>(w.bytes()), tessera::format_error);
    }
    SUBCASE("bytes after a step's archive are refused") {
        tessera::archive_writer w(pipe::header());
        w.write<std::uint64_t>(2);
        auto first = archive_bytes(p.step<0>());
        first.push_back(std::byte{0});
        w.write_bytes(std::span<const std::byte>(first));
        tessera::write_nested(w, p.step<1>());
        CHECK_THROWS_WITH_AS((void)from_bytes<pipe>(w.bytes()), doctest::Contains("bytes after its archive"),
                             tessera::format_error);
    }
    SUBCASE("a truncated archive is refused") {
        auto cut = bytes;
        cut.resize(cut.size() - 9);
        CHECK_THROWS_AS((void)from_bytes<pipe>(cut), tessera::format_error);
    }
}

TEST_CASE("a pipeline passes the steps' errors through") {
    const auto train = make_blobs(60, 6);
    auto p = tessera::standard_scaler<double>() | tessera::gaussian_nb<int>();
    CHECK_THROWS_AS((void)p.predict(train.x), tessera::not_fitted_error);
    p.fit(train.x, train.y);
    const dense_d narrow(5, 3, 0.0);
    CHECK_THROWS_WITH_AS((void)p.predict(narrow), doctest::Contains("standard_scaler::transform"),
                         tessera::dimension_mismatch);
    const std::vector<int> short_y(10, 0);
    CHECK_THROWS_AS(p.fit(train.x, short_y), tessera::dimension_mismatch);
}

TEST_CASE("predict_each and predictions stream any range of rows in batches") {
    const auto train = make_blobs(200, 7);
    const auto test = make_blobs(101, 8);
    auto p = tessera::standard_scaler<double>() | tessera::knn_classifier<int, double>({.k = 5});
    p.fit(train.x, train.y);
    const auto whole = p.predict(test.x);

    // Rows as a vector of vectors of float (converted to the model's double).
    std::vector<std::vector<float>> rows;
    for (std::size_t i = 0; i < test.x.rows(); ++i) {
        rows.emplace_back();
        for (std::size_t j = 0; j < 4; ++j) rows.back().push_back(static_cast<float>(test.x(i, j)));
    }
    std::vector<std::vector<double>> exact;
    for (std::size_t i = 0; i < test.x.rows(); ++i) exact.emplace_back(test.x.row(i).begin(), test.x.row(i).end());

    for (const std::size_t batch : {std::size_t{1}, std::size_t{3}, std::size_t{100}, std::size_t{101}, std::size_t{5000}}) {
        CAPTURE(batch);
        std::vector<int> out;
        tessera::predict_each(p, exact, std::back_inserter(out), {.batch_rows = batch});
        CHECK(out == whole);
        std::vector<int> lazy;
        for (const int label : tessera::predictions(p, exact, {.batch_rows = batch})) lazy.push_back(label);
        CHECK(lazy == whole);
        std::vector<int> member;
        p.predict(exact, std::back_inserter(member), {.batch_rows = batch});
        CHECK(member == whole);
    }
    // Float rows give the predictions of the float values read as double.
    dense_d rounded(test.x.rows(), 4);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t j = 0; j < 4; ++j) rounded(i, j) = static_cast<double>(rows[i][j]);
    }
    std::vector<int> from_float;
    tessera::predict_each(p, rows, std::back_inserter(from_float));
    CHECK(from_float == p.predict(rounded));

    // A single-pass range whose rows are computed as they are read.
    std::size_t made = 0;
    const auto make_row = [&](std::size_t i) {
        ++made;
        std::array<double, 4> r{};
        for (std::size_t j = 0; j < 4; ++j) r[j] = test.x(i, j);
        return r;
    };
    generated on_the_fly(test.x.rows(), make_row);
    std::vector<int> out;
    tessera::predict_each(p, on_the_fly, std::back_inserter(out), {.batch_rows = 16});
    CHECK(out == whole);
    CHECK(made == test.x.rows());

    // Stopping early reads only the batches it needs. (A temporary range is moved into the view.)
    made = 0;
    std::vector<int> first;
    for (const int label : tessera::predictions(p, generated(test.x.rows(), make_row), {.batch_rows = 16})) {
        first.push_back(label);
        if (first.size() == 20) break;
    }
    CHECK(std::equal(first.begin(), first.end(), whole.begin()));
    CHECK(made == 32);
}

TEST_CASE("the streaming functions never hand the model more than batch_rows rows") {
    const batch_probe probe;
    std::vector<std::vector<double>> rows;
    for (int i = 0; i < 1000; ++i) rows.push_back({0.1 * i, 1.0});
    std::vector<int> out;
    tessera::predict_each(probe, rows, std::back_inserter(out), {.batch_rows = 64});
    CHECK(probe.largest == 64);
    CHECK(probe.calls == 16);  // 15 full batches and one of 40
    REQUIRE(out.size() == 1000);
    for (int i = 0; i < 1000; ++i) CHECK(out[static_cast<std::size_t>(i)] == static_cast<int>(0.1 * i * 10));
}

TEST_CASE("the streaming functions refuse bad input") {
    const batch_probe probe;
    std::vector<int> out;
    const std::vector<std::vector<double>> ragged{{1, 2}, {3, 4}, {5}};
    CHECK_THROWS_WITH_AS(tessera::predict_each(probe, ragged, std::back_inserter(out)),
                         doctest::Contains("row 2 has 1 values but row 0 has 2"), tessera::dimension_mismatch);
    const std::vector<std::vector<double>> empty_row{{}, {1}};
    CHECK_THROWS_WITH_AS(tessera::predict_each(probe, empty_row, std::back_inserter(out)),
                         doctest::Contains("row 0 is empty"), tessera::invalid_argument);
    const std::vector<std::vector<double>> fine{{1, 2}};
    CHECK_THROWS_WITH_AS(tessera::predict_each(probe, fine, std::back_inserter(out), {.batch_rows = 0}),
                         doctest::Contains("batch_rows"), tessera::invalid_argument);
    CHECK_THROWS_AS((void)tessera::predictions(probe, fine, {.batch_rows = 0}), tessera::invalid_argument);
    // No rows: no prediction and no call.
    const std::vector<std::vector<double>> none;
    tessera::predict_each(probe, none, std::back_inserter(out));
    CHECK(out.empty());
    CHECK(probe.calls == 0);
    CHECK(tessera::predictions(probe, none).begin() == std::default_sentinel);
}
