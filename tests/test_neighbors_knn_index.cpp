// knn_index: every search equals an exhaustive search with the metric object (same ids, same
// values, ties to the smaller id), and its distances agree with a double-precision brute force.
// Also ids, removal, filters, radius search, the k-NN graph, element types, user metrics,
// errors, save/load, and Fashion-MNIST's exact ground truth when TESSERA_DATA_DIR is set.
#include <doctest/doctest.h>

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/byte_source.hpp>
#include <tessera/io/idx.hpp>
#include <tessera/neighbors/knn_index.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <forward_list>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
using tessera::neighbor_id;

namespace {

template <class T>
tessera::dense_matrix<T> random_rows(std::size_t n, std::size_t d, std::uint64_t seed, bool integers = false) {
    tessera::random_engine rng(seed);
    tessera::dense_matrix<T> m(n, d);
    for (std::size_t i = 0; i < n; ++i) {
        for (auto& v : m.row(i)) {
            if (integers) {
                v = static_cast<T>(rng.between(-2, 2));  // many equal distances
            } else {
                v = static_cast<T>(rng.normal());
            }
        }
    }
    return m;
}

// The reference: every (row, id) through the metric object, sorted best first, ties by id.
template <class Index, class Q, class F = tessera::no_filter>
std::vector<std::pair<typename Index::distance_type, neighbor_id>> exhaustive(const Index& index, std::span<const Q> q,
                                                                              std::size_t qi = 0, const F& filter = F()) {
    using D = typename Index::distance_type;
    std::vector<std::pair<D, neighbor_id>> all;
    for (const neighbor_id id : index.ids()) {
        if (!tessera::detail::keeps(filter, qi, id)) continue;
        all.emplace_back(static_cast<D>(index.metric()(q, index.row(id))), id);
    }
    const bool sim = Index::metric_type::traits.is_similarity;
    std::sort(all.begin(), all.end(), [sim](const auto& a, const auto& b) {
        return tessera::detail::ranks_before(a.first, a.second, b.first, b.second, sim);
    });
    return all;
}

template <class Index, class Queries, class F = tessera::no_filter>
void check_equals_exhaustive(const Index& index, const Queries& queries, std::size_t k, const F& filter = F()) {
    const auto r = index.search(queries, k, filter);
    REQUIRE(r.ids.rows() == queries.rows());
    REQUIRE(r.ids.cols() == k);
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        const auto ref = exhaustive(index, std::span<const typename Index::query_type>(queries.row(i)), i, filter);
        CAPTURE(i);
        for (std::size_t j = 0; j < k; ++j) {
            CAPTURE(j);
            if (j < ref.size()) {
                CHECK(r.ids(i, j) == ref[j].second);
                CHECK(r.distances(i, j) == ref[j].first);
            } else {
                CHECK(r.ids(i, j) == tessera::no_neighbor);
            }
        }
    }
}

// Distances against a long double brute force, compared by rank (ties can swap ids).
template <class Metric>
long double reference_value(std::span<const float> a, std::span<const float> b) {
    long double dot = 0, na = 0, nb = 0, l2 = 0, l1 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const long double x = a[i], y = b[i];
        dot += x * y;
        na += x * x;
        nb += y * y;
        l2 += (x - y) * (x - y);
        l1 += std::fabs(x - y);
    }
    if constexpr (std::is_same_v<Metric, tessera::sq_euclidean>) return l2;
    if constexpr (std::is_same_v<Metric, tessera::euclidean>) return std::sqrt(l2);
    if constexpr (std::is_same_v<Metric, tessera::inner_product>) return dot;
    if constexpr (std::is_same_v<Metric, tessera::negative_inner_product>) return -dot;
    if constexpr (std::is_same_v<Metric, tessera::manhattan>) return l1;
    if constexpr (std::is_same_v<Metric, tessera::cosine_distance>) {
        return (na == 0 || nb == 0) ? 1.0L : 1.0L - dot / std::sqrt(na * nb);
    }
}

template <class Metric>
void check_metric(std::size_t n, std::size_t d, std::size_t k) {
    const auto base = random_rows<float>(n, d, 10 + n + d);
    const auto queries = random_rows<float>(37, d, 20 + n + d);
    tessera::knn_index<float, Metric> index(d);
    index.add(base);
    check_equals_exhaustive(index, queries, k);
    const auto r = index.search(queries, k);
    const bool sim = Metric::traits.is_similarity;
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        std::vector<long double> ref;
        for (std::size_t s = 0; s < n; ++s) ref.push_back(reference_value<Metric>(queries.row(i), base.row(s)));
        std::sort(ref.begin(), ref.end());
        if (sim) std::reverse(ref.begin(), ref.end());
        long double scale = 0;
        for (std::size_t s = 0; s < n; ++s) {
            for (std::size_t c = 0; c < d; ++c) scale += std::fabs(base(s, c)) + std::fabs(queries(i, c));
        }
        scale = scale * scale / static_cast<long double>(n) + 1;
        for (std::size_t j = 0; j < k; ++j) {
            CHECK(std::fabs(static_cast<long double>(r.distances(i, j)) - ref[j]) <= 1e-5L * scale);
        }
    }
}

}  // namespace

TEST_CASE("knn_index: every metric equals the exhaustive search and the double brute force") {
    for (const auto& shape : {std::array<std::size_t, 3>{1, 3, 1}, {7, 1, 7}, {300, 16, 5}, {1500, 64, 10},
                              {2100, 130, 1}, {600, 5, 100}}) {
        const std::size_t n = shape[0], d = shape[1], k = shape[2];
        CAPTURE(n);
        CAPTURE(d);
        CAPTURE(k);
        check_metric<tessera::sq_euclidean>(n, d, k);
        check_metric<tessera::euclidean>(n, d, k);
        check_metric<tessera::cosine_distance>(n, d, k);
        check_metric<tessera::inner_product>(n, d, k);
        check_metric<tessera::negative_inner_product>(n, d, k);
        check_metric<tessera::manhattan>(n, d, k);
    }
}

TEST_CASE("knn_index: ties go to the smaller id, also with user ids and after removals") {
    const auto base = random_rows<float>(1200, 6, 3, true);  // coordinates in {-2..2}: many equal distances
    const auto queries = random_rows<float>(40, 6, 4, true);
    tessera::knn_index<float> index;
    std::vector<neighbor_id> ids(base.rows());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<neighbor_id>((i * 7919) % 100003);  // unordered
    index.add(base, ids);
    check_equals_exhaustive(index, queries, 25);
    std::vector<neighbor_id> gone;
    for (std::size_t i = 0; i < ids.size(); i += 3) gone.push_back(ids[i]);
    index.remove(gone);
    CHECK(index.size() == base.rows() - gone.size());
    for (const auto id : gone) CHECK_FALSE(index.contains(id));
    check_equals_exhaustive(index, queries, 25);

    // The same rows added to a fresh index in another order give the same answers.
    tessera::knn_index<float> fresh;
    for (std::size_t i = base.rows(); i-- > 0;) {
        if (i % 3 == 0) continue;
        const std::vector<neighbor_id> one{ids[i]};
        fresh.add(base.view().row_block(i, 1), one);
    }
    const auto a = index.search(queries, 25);
    const auto b = fresh.search(queries, 25);
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        for (std::size_t j = 0; j < 25; ++j) {
            CHECK(a.ids(i, j) == b.ids(i, j));
            CHECK(a.distances(i, j) == b.distances(i, j));
        }
    }
}

TEST_CASE("knn_index: results are identical for any thread count and query batching") {
    const auto base = random_rows<float>(3000, 40, 5);
    const auto queries = random_rows<float>(700, 40, 6);
    tessera::knn_index<float, tessera::euclidean> index(40);
    index.add(base);
    const auto one = index.search(queries, 10, tessera::no_filter{}, {1, 0});
    for (const int threads : {2, 3, 8}) {
        const auto many = index.search(queries, 10, tessera::no_filter{}, {threads, 0});
        for (std::size_t i = 0; i < queries.rows(); ++i) {
            for (std::size_t j = 0; j < 10; ++j) {
                REQUIRE(one.ids(i, j) == many.ids(i, j));
                REQUIRE(one.distances(i, j) == many.distances(i, j));
            }
        }
    }
    // A query alone gives what it gives inside a batch.
    for (const std::size_t i : {0u, 255u, 256u, 699u}) {
        const auto single = index.search_one(queries.row(i), 10);
        REQUIRE(single.size() == 10);
        for (std::size_t j = 0; j < 10; ++j) {
            CHECK(single[j].first == one.ids(i, j));
            CHECK(single[j].second == one.distances(i, j));
        }
    }
}

TEST_CASE("knn_index: filters, per query and per id, and fewer candidates than k") {
    const auto base = random_rows<float>(500, 12, 7);
    const auto queries = random_rows<float>(30, 12, 8);
    tessera::knn_index<float> index(12);
    index.add(base);
    check_equals_exhaustive(index, queries, 7, [](neighbor_id id) { return id % 3 != 0; });
    check_equals_exhaustive(index, queries, 7, [](std::size_t q, neighbor_id id) { return (id + q) % 5 == 0; });
    // Only four rows pass: the other slots are empty.
    const auto r = index.search(queries, 6, [](neighbor_id id) { return id < 4; });
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        for (std::size_t j = 4; j < 6; ++j) {
            CHECK(r.ids(i, j) == tessera::no_neighbor);
            CHECK(r.distances(i, j) == std::numeric_limits<float>::infinity());
        }
    }
    tessera::knn_index<float, tessera::inner_product> ip(12);
    ip.add(base);
    const auto s = ip.search(queries, 3, [](neighbor_id) { return false; });
    CHECK(s.ids(0, 0) == tessera::no_neighbor);
    CHECK(s.distances(0, 0) == -std::numeric_limits<float>::infinity());
}

TEST_CASE("knn_index: radius search and the k-NN graph") {
    const auto base = random_rows<float>(800, 8, 9, true);
    const auto queries = random_rows<float>(25, 8, 10, true);
    tessera::knn_index<float> index(8);
    index.add(base);
    const float radius = 6.0f;
    const auto r = index.radius_search(queries, radius, tessera::no_filter{});
    REQUIRE(r.size() == queries.rows());
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        auto ref = exhaustive(index, queries.row(i));
        ref.erase(std::remove_if(ref.begin(), ref.end(), [&](const auto& p) { return p.first > radius; }), ref.end());
        const auto ids = r.row_ids(i);
        const auto dist = r.row_distances(i);
        REQUIRE(ids.size() == ref.size());
        for (std::size_t j = 0; j < ref.size(); ++j) {
            CHECK(ids[j] == ref[j].second);
            CHECK(dist[j] == ref[j].first);
        }
    }
    tessera::knn_index<float, tessera::inner_product> ip(8);
    ip.add(base);
    const auto s = ip.radius_search(queries, 9.0f);
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        for (const float v : s.row_distances(i)) CHECK(v >= 9.0f);
    }

    const auto g = index.knn_graph(5, {2, 0});
    REQUIRE(g.ids.rows() == index.size());
    for (std::size_t i = 0; i < index.size(); ++i) {
        const neighbor_id self = index.ids()[i];
        const auto ref = exhaustive(index, index.row(self), i, [self](neighbor_id id) { return id != self; });
        for (std::size_t j = 0; j < 5; ++j) {
            CHECK(g.ids(i, j) != self);
            CHECK(g.ids(i, j) == ref[j].second);
            CHECK(g.distances(i, j) == ref[j].first);
        }
    }
}

TEST_CASE("knn_index: byte rows are exact, 16-bit rows take float queries") {
    tessera::random_engine rng(12);
    tessera::dense_matrix<std::uint8_t> bytes(400, 33);
    for (std::size_t i = 0; i < bytes.rows(); ++i)
        for (auto& v : bytes.row(i)) v = static_cast<std::uint8_t>(rng.below(256));
    tessera::knn_index<std::uint8_t> bi(33);
    bi.add(bytes);
    static_assert(std::is_same_v<decltype(bi)::distance_type, std::int64_t>);
    const auto q = bytes.view().row_block(0, 20);
    check_equals_exhaustive(bi, q, 9);
    const auto r = bi.search(q, 1);
    for (std::size_t i = 0; i < 20; ++i) {
        CHECK(r.ids(i, 0) == static_cast<neighbor_id>(i));
        CHECK(r.distances(i, 0) == 0);
    }

    tessera::dense_matrix<std::int8_t> signed_rows(300, 17);
    for (std::size_t i = 0; i < signed_rows.rows(); ++i)
        for (auto& v : signed_rows.row(i)) v = static_cast<std::int8_t>(rng.between(-128, 127));
    tessera::knn_index<std::int8_t, tessera::manhattan> si(17);
    si.add(signed_rows);
    check_equals_exhaustive(si, signed_rows.view().row_block(5, 10), 4);

    const auto wide = random_rows<float>(500, 24, 13);
    tessera::dense_matrix<tessera::bfloat16> narrow(500, 24);
    tessera::dense_matrix<tessera::half> halves(500, 24);
    for (std::size_t i = 0; i < 500; ++i) {
        for (std::size_t j = 0; j < 24; ++j) {
            narrow(i, j) = tessera::bfloat16(wide(i, j));
            halves(i, j) = tessera::half(wide(i, j));
        }
    }
    const auto queries = random_rows<float>(15, 24, 14);
    tessera::knn_index<tessera::bfloat16, tessera::cosine_distance> bf(24);
    bf.add(narrow);
    static_assert(std::is_same_v<decltype(bf)::query_type, float>);
    check_equals_exhaustive(bf, queries, 6);
    tessera::knn_index<tessera::half> hf(24);
    hf.add(halves);
    check_equals_exhaustive(hf, queries, 6);
}

namespace {
// A user metric: Chebyshev (L-infinity) distance, with traits and a call operator only.
struct chebyshev {
    static constexpr tessera::metric_traits traits{.is_metric = true};
    static constexpr const char* name = "chebyshev";
    double operator()(std::span<const double> a, std::span<const double> b) const {
        double m = 0;
        for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
        return m;
    }
};
}  // namespace

TEST_CASE("knn_index: a user-defined metric") {
    const auto base = random_rows<double>(300, 5, 15, true);
    const auto queries = random_rows<double>(20, 5, 16, true);
    tessera::knn_index<double, chebyshev> index(5);
    index.add(base);
    check_equals_exhaustive(index, queries, 12);
    // Saved under the metric's name, which loading checks.
    tessera::archive_writer w(decltype(index)::header());
    index.write_to(w);
    const auto bytes = w.bytes();
    tessera::archive_reader r(std::span<const std::byte>(bytes), decltype(index)::header());
    const auto loaded = decltype(index)::read_from(r);
    check_equals_exhaustive(loaded, queries, 12);
    CHECK(std::string(chebyshev::name) == "chebyshev");
}

TEST_CASE("knn_index: bad input is refused with clear errors and leaves the index unchanged") {
    tessera::knn_index<float> index(4);
    const tessera::dense_matrix<float> q(1, 4, 0.0f);
    CHECK_THROWS_WITH_AS((void)index.search(q, 1), doctest::Contains("argument 'index': is empty"), tessera::invalid_argument);
    index.add(random_rows<float>(10, 4, 17));
    CHECK_THROWS_WITH_AS((void)index.search(q, 0), doctest::Contains("argument 'k': must be at least 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)index.search(q, 11), doctest::Contains("argument 'k': is 11 but the index holds only 10 rows"),
                         tessera::invalid_argument);
    const tessera::dense_matrix<float> wrong(2, 5, 0.0f);
    CHECK_THROWS_WITH_AS((void)index.search(wrong, 1), doctest::Contains("have 5 columns but the index has 4"),
                         tessera::dimension_mismatch);
    CHECK_THROWS_AS(index.add(wrong), tessera::dimension_mismatch);
    tessera::dense_matrix<float> bad = random_rows<float>(3, 4, 18);
    bad(2, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(index.add(bad), doctest::Contains("contains NaN at row 2, column 1"), tessera::invalid_argument);
    CHECK(index.size() == 10);
    CHECK_THROWS_WITH_AS((void)index.search(bad, 1), doctest::Contains("argument 'queries': contains NaN at row 2, column 1"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(index.remove(42), doctest::Contains("id 42 is not in the index"), tessera::invalid_argument);
    const std::vector<neighbor_id> some{1, 2, 99};
    CHECK_THROWS_AS(index.remove(some), tessera::invalid_argument);
    CHECK(index.size() == 10);
    CHECK(index.contains(1));
    const std::vector<neighbor_id> dup{3};
    CHECK_THROWS_WITH_AS(index.add(random_rows<float>(1, 4, 19), dup), doctest::Contains("id 3 is already in the index"),
                         tessera::invalid_argument);
    const std::vector<neighbor_id> twice{50, 50};
    CHECK_THROWS_WITH_AS(index.add(random_rows<float>(2, 4, 20), twice), doctest::Contains("id 50 appears twice"),
                         tessera::invalid_argument);
    const std::vector<int> negative{-5};
    CHECK_THROWS_AS(index.add(random_rows<float>(1, 4, 21), negative), tessera::invalid_argument);
    const std::vector<neighbor_id> short_ids{60};
    CHECK_THROWS_AS(index.add(random_rows<float>(2, 4, 22), short_ids), tessera::dimension_mismatch);
    CHECK(index.size() == 10);
    CHECK_THROWS_AS((void)index.radius_search(q, std::numeric_limits<float>::infinity()), tessera::invalid_argument);
    CHECK_THROWS_AS((void)index.knn_graph(10), tessera::invalid_argument);
    // Dense ids continue after the largest id, user-chosen ones included.
    const std::vector<neighbor_id> big{1000};
    index.add(random_rows<float>(1, 4, 23), big);
    CHECK(index.add(random_rows<float>(2, 4, 24)) == 1001);
    // ... and never overflow: after the largest id, dense ids must be given explicitly.
    const std::vector<neighbor_id> top{std::numeric_limits<neighbor_id>::max()};
    index.add(random_rows<float>(1, 4, 25), top);
    CHECK_THROWS_WITH_AS(index.add(random_rows<float>(1, 4, 26)), doctest::Contains("would pass 2^63 - 1"),
                         tessera::invalid_argument);
    CHECK(index.size() == 14);
}

TEST_CASE("knn_index: save and load, and corrupt or mismatched archives") {
    const auto base = random_rows<float>(200, 9, 25);
    tessera::knn_index<float, tessera::cosine_distance> index(9);
    std::vector<neighbor_id> ids(200);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<neighbor_id>(3 * i + 1);
    index.add(base, ids);
    index.remove(4);
    const fs::path file = fs::temp_directory_path() / "tessera_test_knn_index.tsr";
    index.save(file);
    auto loaded = tessera::knn_index<float, tessera::cosine_distance>::load(file);
    CHECK(loaded.size() == index.size());
    const auto queries = random_rows<float>(10, 9, 26);
    const auto a = index.search(queries, 8);
    const auto b = loaded.search(queries, 8);
    for (std::size_t i = 0; i < 10; ++i) {
        for (std::size_t j = 0; j < 8; ++j) {
            CHECK(a.ids(i, j) == b.ids(i, j));
            CHECK(a.distances(i, j) == b.distances(i, j));
        }
    }
    CHECK(loaded.add(random_rows<float>(1, 9, 27)) == 599);  // the next dense id (largest id 598, plus 1) survives

    // Another metric or element type is refused.
    using other_metric = tessera::knn_index<float, tessera::euclidean>;
    using other_type = tessera::knn_index<double, tessera::cosine_distance>;
    CHECK_THROWS_AS((void)other_metric::load(file), tessera::format_error);
    CHECK_THROWS_AS((void)other_type::load(file), tessera::format_error);

    using saved_type = tessera::knn_index<float, tessera::cosine_distance>;
    std::vector<char> bytes;
    {
        std::ifstream in(file, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    for (const std::size_t at : {std::size_t{3}, std::size_t{70}, bytes.size() / 2, bytes.size() - 1}) {
        auto broken = bytes;
        broken[at] = static_cast<char>(broken[at] ^ 0x5a);
        std::ofstream(file, std::ios::binary).write(broken.data(), static_cast<std::streamsize>(broken.size()));
        CAPTURE(at);
        CHECK_THROWS_AS((void)saved_type::load(file), tessera::format_error);
    }
    for (const std::size_t keep : {std::size_t{0}, std::size_t{40}, bytes.size() - 1}) {
        std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
        CAPTURE(keep);
        CHECK_THROWS_AS((void)saved_type::load(file), tessera::format_error);
    }
    fs::remove(file);
}

#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
namespace {
// Reads a gzip-compressed .ivecs file (int32 count, then that many int32, per record).
std::vector<std::vector<std::int32_t>> read_ivecs(const fs::path& path, std::size_t records) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    tessera::detail::byte_source src(in);
    std::vector<std::vector<std::int32_t>> out;
    auto read_i32 = [&src]() {
        unsigned char b[4];
        REQUIRE(src.read(b, 4) == 4);
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
                                         (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24));
    };
    for (std::size_t r = 0; r < records; ++r) {
        const auto n = read_i32();
        std::vector<std::int32_t> v(static_cast<std::size_t>(n));
        for (auto& x : v) x = read_i32();
        out.push_back(std::move(v));
    }
    return out;
}
}  // namespace
#endif

TEST_CASE("knn_index: Fashion-MNIST top-100 equals the exact ground truth") {
    const char* dir = std::getenv("TESSERA_DATA_DIR");
    if (dir == nullptr || *dir == '\0') {
        MESSAGE("TESSERA_DATA_DIR is unset: skipping the Fashion-MNIST ground-truth check");
        return;
    }
#if !(defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB)
    MESSAGE("built without zlib: skipping the Fashion-MNIST ground-truth check");
    return;
#else
    const fs::path root(dir);
    const auto train = tessera::read_idx_images<float>(root / "fashion-mnist" / "train-images-idx3-ubyte.gz");
    const auto test = tessera::read_idx_images<float>(root / "fashion-mnist" / "t10k-images-idx3-ubyte.gz");
    constexpr std::size_t queries = 150;  // of 10,000: enough to exercise every path, quick in a Debug build
    const auto truth_ids = read_ivecs(root / "fashion-mnist-ann" / "fashion-mnist-test-vs-train-l2-k100.neighbors.ivecs.gz", queries);
    const auto truth_sq = read_ivecs(root / "fashion-mnist-ann" / "fashion-mnist-test-vs-train-l2-k100.sqdist.ivecs.gz", queries);
    tessera::knn_index<float> index(train.cols());
    index.add(train);
    const auto r = index.search(test.view().row_block(0, queries), 100);
    std::size_t id_mismatches = 0;
    for (std::size_t i = 0; i < queries; ++i) {
        for (std::size_t j = 0; j < 100; ++j) {
            // Squared distances of integer pixels below 2^24 are exact in float.
            CHECK(r.distances(i, j) == static_cast<float>(truth_sq[i][j]));
            if (r.ids(i, j) != truth_ids[i][j]) ++id_mismatches;
        }
    }
    CHECK(id_mismatches == 0);  // the ground truth orders ties by ascending id, as tessera does
#endif
}

TEST_CASE("knn_index: Euclidean ties on the reported value go to the smaller id in every path") {
    // Two different squares whose float square roots are equal: 1 + 0.00035^2 rounds to 1 as
    // a root but not as a square.
    tessera::knn_index<float, tessera::euclidean> index(2);
    const std::vector<std::vector<float>> rows{{1.0f, 0.00035f}, {1.0f, 0.0f}};
    index.add(rows);
    const std::vector<std::vector<float>> many(64, std::vector<float>{0.0f, 0.0f});
    const auto batch = index.search(many, 2);  // the batched (expanded) path
    const auto single = index.search_one(std::span<const float>(many[0]), 2);
    REQUIRE(batch.distances(0, 0) == batch.distances(0, 1));
    for (std::size_t i = 0; i < many.size(); ++i) {
        CHECK(batch.ids(i, 0) == 0);
        CHECK(batch.ids(i, 1) == 1);
    }
    CHECK(single[0].first == 0);
    CHECK(single[1].first == 1);
}

TEST_CASE("knn_index: values near the top of the float range stay exact (no overflowing expanded form)") {
    tessera::random_engine rng(1000 * 1000 + 8);
    tessera::dense_matrix<float> rows(1000, 8);
    for (std::size_t i = 0; i < rows.rows(); ++i)
        for (auto& v : rows.row(i)) v = static_cast<float>(3e18 * rng.normal());
    tessera::knn_index<float> index(8);
    index.add(rows);
    check_equals_exhaustive(index, rows.view().row_block(0, 64), 5);
    const auto g = index.knn_graph(5);
    const neighbor_id self = index.ids()[514];
    const auto ref = exhaustive(index, index.row(self), 514, [self](neighbor_id id) { return id != self; });
    for (std::size_t j = 0; j < 5; ++j) CHECK(g.ids(514, j) == ref[j].second);
}

TEST_CASE("knn_index: adding the index's own rows, and removing through any range of ids") {
    tessera::knn_index<float> index(5);
    index.add(random_rows<float>(40, 5, 30));
    index.add(index.rows());  // reads the storage it grows
    REQUIRE(index.size() == 80);
    for (neighbor_id id = 0; id < 40; ++id) {
        const auto a = index.row(id);
        const auto b = index.row(id + 40);
        CHECK(std::equal(a.begin(), a.end(), b.begin()));
    }
    const std::forward_list<int> gone{3, 7, 11};  // not sized, and not of neighbor_id
    index.remove(gone);
    CHECK(index.size() == 77);
    CHECK_FALSE(index.contains(7));
}
