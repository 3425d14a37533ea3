// kd_tree_index: every search, radius search and k-NN graph is bit-identical to knn_index's and
// to an exhaustive search with the metric object (same ids, same values, ties to the smaller
// id), over dimensions 1 to 40, sizes 1 to 5000, data full of ties, data that stresses the
// rounding of the pruning bound, filters, removals and re-adds, thread counts, element types.
// Also the storage order, errors, save/load and damaged archives.
#include <doctest/doctest.h>

#include <tessera/core/archive.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/neighbors/kd_tree.hpp>
#include <tessera/neighbors/knn_index.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory_resource>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace fs = std::filesystem;
using tessera::neighbor_id;

namespace {

enum class data { normal, ties, offset, tiny, huge };

// Rows of one of the test distributions. `ties`: coordinates in {-2..2}, so many rows share a
// distance (and many are duplicates). `offset`: 1e6 plus a little noise, where float spacing
// (0.0625) is coarse and distances nearly tie after rounding. `tiny`: squares in the subnormal
// range of T. `huge`: squared differences near T's largest value, so that sums overflow.
template <class T>
tessera::dense_matrix<T> make_rows(std::size_t n, std::size_t d, std::uint64_t seed, data kind) {
    constexpr bool single = std::is_same_v<T, float>;
    const double tiny = single ? 1e-21 : 1e-160;
    const double huge = single ? 3e18 : 1e153;
    tessera::random_engine rng(seed);
    tessera::dense_matrix<T> m(n, d);
    for (std::size_t i = 0; i < n; ++i) {
        for (auto& v : m.row(i)) {
            switch (kind) {
                case data::normal: v = static_cast<T>(rng.normal()); break;
                case data::ties: v = static_cast<T>(rng.between(-2, 2)); break;
                case data::offset: v = static_cast<T>(1e6 + 0.5 * rng.normal()); break;
                case data::tiny: v = static_cast<T>(tiny * rng.normal()); break;
                case data::huge: v = static_cast<T>(huge * rng.normal()); break;
            }
        }
    }
    return m;
}

// Queries of the same distribution plus copies of some stored rows (distance 0, duplicates).
template <class T>
tessera::dense_matrix<T> make_queries(const tessera::dense_matrix<T>& base, std::uint64_t seed, data kind) {
    const auto fresh = make_rows<T>(30, base.cols(), seed, kind);
    tessera::dense_matrix<T> q(fresh);
    for (std::size_t i = 0; i < std::min<std::size_t>(base.rows(), 10); ++i) q.append_row(base.row(i * base.rows() / 10));
    return q;
}

template <class D>
bool same_bits(D a, D b) {
    return std::memcmp(&a, &b, sizeof(D)) == 0;
}

template <class D>
std::string describe(neighbor_id id, D value) {
    return "id " + std::to_string(id) + " (" + std::to_string(static_cast<long double>(value)) + ")";
}

// "" when two k-NN results are bit-identical, else where they first differ.
template <class D>
std::string knn_difference(const tessera::knn_result<D>& a, const tessera::knn_result<D>& b) {
    if (a.ids.rows() != b.ids.rows() || a.ids.cols() != b.ids.cols()) return "shapes differ";
    for (std::size_t i = 0; i < a.ids.rows(); ++i) {
        for (std::size_t j = 0; j < a.ids.cols(); ++j) {
            if (a.ids(i, j) != b.ids(i, j) || !same_bits(a.distances(i, j), b.distances(i, j))) {
                return "query " + std::to_string(i) + ", slot " + std::to_string(j) + ": " +
                       describe(a.ids(i, j), a.distances(i, j)) + " vs " + describe(b.ids(i, j), b.distances(i, j));
            }
        }
    }
    return {};
}

template <class D>
std::string radius_difference(const tessera::radius_result<D>& a, const tessera::radius_result<D>& b) {
    if (a.offsets != b.offsets) return "offsets differ";
    for (std::size_t s = 0; s < a.ids.size(); ++s) {
        if (a.ids[s] != b.ids[s] || !same_bits(a.distances[s], b.distances[s])) {
            return "entry " + std::to_string(s) + ": " + describe(a.ids[s], a.distances[s]) + " vs " +
                   describe(b.ids[s], b.distances[s]);
        }
    }
    return {};
}

// k-NN graphs of two indexes, whose storage orders differ, compared row by row through the ids.
template <class A, class B>
std::string graph_difference(const A& ia, const B& ib, std::size_t k, const tessera::parallel_options& options) {
    const auto ga = ia.knn_graph(k, options);
    const auto gb = ib.knn_graph(k, options);
    std::unordered_map<neighbor_id, std::size_t> row_b;
    for (std::size_t s = 0; s < ib.ids().size(); ++s) row_b.emplace(ib.ids()[s], s);
    if (ia.ids().size() != row_b.size()) return "sizes differ";
    for (std::size_t s = 0; s < ia.ids().size(); ++s) {
        const std::size_t t = row_b.at(ia.ids()[s]);
        for (std::size_t j = 0; j < k; ++j) {
            if (ga.ids(s, j) != gb.ids(t, j) || !same_bits(ga.distances(s, j), gb.distances(t, j))) {
                return "row of id " + std::to_string(ia.ids()[s]) + ", slot " + std::to_string(j) + ": " +
                       describe(ga.ids(s, j), ga.distances(s, j)) + " vs " + describe(gb.ids(t, j), gb.distances(t, j));
            }
        }
    }
    return {};
}

// The reference: every stored (row, id) through the metric object, sorted best first, ties by id.
template <class Index, class F = tessera::no_filter>
std::vector<std::pair<typename Index::distance_type, neighbor_id>> exhaustive(const Index& index,
                                                                              std::span<const typename Index::query_type> q,
                                                                              std::size_t qi = 0, const F& filter = F()) {
    using D = typename Index::distance_type;
    std::vector<std::pair<D, neighbor_id>> all;
    for (const neighbor_id id : index.ids()) {
        if (!tessera::detail::keeps(filter, qi, id)) continue;
        all.emplace_back(static_cast<D>(index.metric()(q, index.row(id))), id);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return tessera::detail::ranks_before(a.first, a.second, b.first, b.second, false);
    });
    return all;
}

// "" when the first `queries_checked` rows of a k-NN result equal the exhaustive search.
template <class Index, class Q, class F = tessera::no_filter>
std::string exhaustive_difference(const Index& index, const Q& queries, std::size_t k,
                                  const tessera::knn_result<typename Index::distance_type>& r, std::size_t queries_checked,
                                  const F& filter = F()) {
    for (std::size_t i = 0; i < std::min(queries_checked, queries.rows()); ++i) {
        const auto ref = exhaustive(index, queries.row(i), i, filter);
        for (std::size_t j = 0; j < k; ++j) {
            const neighbor_id want = j < ref.size() ? ref[j].second : tessera::no_neighbor;
            const bool value_ok = j >= ref.size() || same_bits(r.distances(i, j), ref[j].first);
            if (r.ids(i, j) != want || !value_ok) {
                return "query " + std::to_string(i) + ", slot " + std::to_string(j) + ": got " +
                       describe(r.ids(i, j), r.distances(i, j)) + ", exhaustive search gives id " + std::to_string(want);
            }
        }
    }
    return {};
}

const tessera::parallel_options one_thread{1, 0};
const tessera::parallel_options two_threads{2, 0};

// Every kind of query on a kd_tree_index and a knn_index holding the same rows and ids, with one
// and two threads, with and without filters; against the exhaustive search as well.
// With `compare_knn_index` false only the exhaustive search is the reference (every sweep
// compares with knn_index too since knn_index ranks Euclidean ties by the root and refuses
// overflowing expanded forms).
template <class Kd, class Bf>
void check_same_answers(const Kd& kd, const Bf& bf, const tessera::dense_matrix<typename Kd::query_type>& queries,
                        bool compare_knn_index = true) {
    using D = typename Kd::distance_type;
    const std::size_t n = kd.size();
    const auto by_id = [](neighbor_id id) { return id % 3 != 1; };
    const auto by_query = [](std::size_t qi, neighbor_id id) { return (static_cast<std::size_t>(id) + qi) % 4 != 0; };
    std::vector<std::size_t> ks{1, std::min<std::size_t>(n, 7), std::min<std::size_t>(n, 60)};
    if (n <= 17) ks.push_back(n);
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    for (const std::size_t k : ks) {
        CAPTURE(k);
        const auto r = kd.search(queries, k, tessera::no_filter{}, one_thread);
        REQUIRE(exhaustive_difference(kd, queries, k, r, 8) == "");
        REQUIRE(knn_difference(r, kd.search(queries, k, tessera::no_filter{}, two_threads)) == "");
        if (compare_knn_index) REQUIRE(knn_difference(r, bf.search(queries, k, tessera::no_filter{}, one_thread)) == "");

        const auto f = kd.search(queries, k, by_id, one_thread);
        REQUIRE(exhaustive_difference(kd, queries, k, f, 8, by_id) == "");
        REQUIRE(knn_difference(f, kd.search(queries, k, by_id, two_threads)) == "");
        if (compare_knn_index) REQUIRE(knn_difference(f, bf.search(queries, k, by_id, one_thread)) == "");

        const auto g = kd.search(queries, k, by_query, two_threads);
        REQUIRE(exhaustive_difference(kd, queries, k, g, 8, by_query) == "");
        if (compare_knn_index) REQUIRE(knn_difference(g, bf.search(queries, k, by_query, two_threads)) == "");
    }

    // Radii at a typical 7th-neighbour value (which ties in the integer data) and beyond.
    const auto r7 = kd.search(queries, std::min<std::size_t>(n, 7), tessera::no_filter{}, one_thread);
    std::vector<D> kth;
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        const D v = r7.distances(i, r7.ids.cols() - 1);
        if (tessera::detail::finite_value(v)) kth.push_back(v);  // overflowed sums are infinite
    }
    std::sort(kth.begin(), kth.end());
    std::vector<D> radii{D(0)};
    if (!kth.empty()) radii.insert(radii.end(), {kth[kth.size() / 2], kth.back()});
    for (const D radius : radii) {
        const auto shown = static_cast<long double>(radius);
        CAPTURE(shown);
        const auto rr = kd.radius_search(queries, radius, tessera::no_filter{}, one_thread);
        REQUIRE(radius_difference(rr, kd.radius_search(queries, radius, tessera::no_filter{}, two_threads)) == "");
        if (compare_knn_index) {
            REQUIRE(radius_difference(rr, bf.radius_search(queries, radius, tessera::no_filter{}, one_thread)) == "");
            REQUIRE(radius_difference(kd.radius_search(queries, radius, by_query, two_threads),
                                      bf.radius_search(queries, radius, by_query, one_thread)) == "");
        }
        for (std::size_t i = 0; i < std::min<std::size_t>(queries.rows(), 8); ++i) {
            auto ref = exhaustive(kd, queries.row(i));
            std::erase_if(ref, [&](const auto& p) { return p.first > radius; });
            REQUIRE(rr.row_ids(i).size() == ref.size());
            for (std::size_t j = 0; j < ref.size(); ++j) {
                REQUIRE(rr.row_ids(i)[j] == ref[j].second);
                REQUIRE(same_bits(rr.row_distances(i)[j], ref[j].first));
            }
        }
    }
}

template <class Kd, class Bf>
void check_same_graph(const Kd& kd, const Bf& bf, bool compare_knn_index = true) {
    if (kd.size() < 2) return;
    const std::size_t k = std::min<std::size_t>(kd.size() - 1, 5);
    const auto g = kd.knn_graph(k, one_thread);
    for (std::size_t s = 0; s < kd.size(); s += std::max<std::size_t>(1, kd.size() / 16)) {
        const neighbor_id self = kd.ids()[s];
        const auto ref = exhaustive(kd, kd.rows().row(s), 0, [self](neighbor_id id) { return id != self; });
        for (std::size_t j = 0; j < k; ++j) {
            REQUIRE(g.ids(s, j) == ref[j].second);
            REQUIRE(same_bits(g.distances(s, j), ref[j].first));
        }
    }
    if (compare_knn_index) REQUIRE(graph_difference(kd, bf, k, one_thread) == "");
    REQUIRE(knn_difference(g, kd.knn_graph(k, two_threads)) == "");
    // Row i belongs to ids()[i] and never lists it.
    for (std::size_t s = 0; s < kd.size(); ++s) {
        for (std::size_t j = 0; j < k; ++j) REQUIRE(g.ids(s, j) != kd.ids()[s]);
    }
}

template <class T, class Metric>
void sweep(std::size_t n, std::size_t d, data kind, bool compare_knn_index = true) {
    const int distribution = static_cast<int>(kind);
    CAPTURE(n);
    CAPTURE(d);
    CAPTURE(distribution);
    const auto base = make_rows<T>(n, d, 1000 * n + d, kind);
    const auto queries = make_queries(base, 7 + n + d, kind);
    tessera::kd_tree_index<T, Metric> kd(d);
    tessera::knn_index<T, Metric> bf(d);
    kd.add(base);
    bf.add(base);
    check_same_answers(kd, bf, queries, compare_knn_index);
    if (n <= 1000 || d <= 3) check_same_graph(kd, bf, compare_knn_index);
}

// A row x, 8 columns in [1, 2), whose value from the origin, as the float kernel computes it,
// is below the largest float under its exact value: the kernel rounds down by more than an ulp.
// Such rows are common (about one in twenty).
template <class Metric>
std::vector<float> rounded_below_exact() {
    constexpr std::size_t d = 8;
    const std::vector<float> origin(d, 0.0f);
    tessera::random_engine rng(5);
    std::vector<float> x(d);
    for (int attempt = 0; attempt < 100000; ++attempt) {
        double exact = 0;  // exact: 8 squares of 24-bit numbers in [1, 2) need 51 bits
        for (auto& v : x) {
            v = static_cast<float>(1 + rng.uniform01());
            exact += std::is_same_v<Metric, tessera::manhattan> ? double(v) : double(v) * double(v);
        }
        auto below = static_cast<float>(exact);
        if (double(below) > exact) below = std::nextafter(below, 0.0f);
        if (below > static_cast<float>(Metric::raw(origin.data(), x.data(), d))) return x;
    }
    return {};
}

template <class T, class M>
concept kd_tree_accepts = requires { typename tessera::kd_tree_index<T, M>; };

}  // namespace

TEST_CASE("kd_tree_index: only metrics with box lower bounds, on element types with kernels") {
    static_assert(kd_tree_accepts<float, tessera::sq_euclidean>);
    static_assert(kd_tree_accepts<double, tessera::euclidean>);
    static_assert(kd_tree_accepts<std::int8_t, tessera::manhattan>);
    static_assert(kd_tree_accepts<tessera::bfloat16, tessera::sq_euclidean>);
    static_assert(!kd_tree_accepts<float, tessera::cosine_distance>);
    static_assert(!kd_tree_accepts<float, tessera::inner_product>);
    static_assert(!kd_tree_accepts<float, tessera::negative_inner_product>);
    static_assert(!kd_tree_accepts<std::int16_t, tessera::sq_euclidean>);
    static_assert(std::is_same_v<tessera::kd_tree_index<std::uint8_t>::distance_type, std::int64_t>);
    static_assert(std::is_same_v<tessera::kd_tree_index<std::int8_t, tessera::euclidean>::distance_type, double>);
    static_assert(std::is_same_v<tessera::kd_tree_index<tessera::half>::query_type, float>);
}

// Sizes of the sweeps: an unoptimised (Debug, sanitizer) build runs the same cases on fewer rows.
#if defined(__OPTIMIZE__)
constexpr std::size_t rows_large = 5000, rows_medium = 2000, rows_stress = 600, rows_bytes = 1500;
#else
constexpr std::size_t rows_large = 300, rows_medium = 150, rows_stress = 80, rows_bytes = 400;
#endif

TEST_CASE("kd_tree_index: equals knn_index and the exhaustive search, d 1 to 40, n 1 to 5000") {
    for (const std::size_t d : {1u, 2u, 3u, 8u, 16u, 40u}) {
        for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{17}, rows_large / 5, rows_large}) {
            sweep<float, tessera::sq_euclidean>(n, d, data::normal);
            sweep<float, tessera::sq_euclidean>(n, d, data::ties);
        }
    }
}

TEST_CASE("kd_tree_index: data that stresses the rounding of the pruning bound") {
    for (const std::size_t d : {1u, 3u, 8u, 40u}) {
        for (const data kind : {data::offset, data::tiny, data::huge}) {
            sweep<float, tessera::sq_euclidean>(rows_stress, d, kind);
            sweep<float, tessera::manhattan>(rows_stress, d, kind);
            sweep<double, tessera::sq_euclidean>(rows_stress, d, kind);
            sweep<double, tessera::manhattan>(rows_stress, d, kind);
            sweep<float, tessera::euclidean>(rows_stress, d, kind);
        }
    }
}

TEST_CASE("kd_tree_index: Euclidean and Manhattan, float and double") {
    for (const std::size_t d : {2u, 5u, 16u}) {
        sweep<float, tessera::manhattan>(rows_medium, d, data::normal);
        sweep<float, tessera::manhattan>(rows_medium, d, data::ties);
        sweep<double, tessera::manhattan>(rows_medium, d, data::normal);
        sweep<double, tessera::sq_euclidean>(rows_medium, d, data::normal);
        sweep<double, tessera::sq_euclidean>(rows_medium, d, data::ties);
        sweep<float, tessera::euclidean>(rows_medium, d, data::ties);
        sweep<double, tessera::euclidean>(rows_medium, d, data::ties);
        sweep<float, tessera::euclidean>(rows_medium, d, data::normal);
        sweep<double, tessera::euclidean>(rows_medium, d, data::normal);
    }
}

TEST_CASE("kd_tree_index: Euclidean values that tie only after the square root go to the smaller id") {
    // sq_euclidean gives 1 + 2^-23 for id 0 and 1 for id 1; both square roots round to 1.
    const tessera::dense_matrix<float> base{{1.0f, 0.00035f}, {1.0f, 0.0f}};
    const tessera::dense_matrix<float> q{{0.0f, 0.0f}};
    REQUIRE(tessera::sq_euclidean{}(q.row(0), base.row(0)) > tessera::sq_euclidean{}(q.row(0), base.row(1)));
    REQUIRE(tessera::euclidean{}(q.row(0), base.row(0)) == tessera::euclidean{}(q.row(0), base.row(1)));
    tessera::kd_tree_index<float, tessera::euclidean> kd;
    kd.add(base);
    const auto r = kd.search(q, 2);
    CHECK(r.ids(0, 0) == 0);
    CHECK(r.ids(0, 1) == 1);
    CHECK(kd.search(q, 1).ids(0, 0) == 0);
    CHECK(exhaustive_difference(kd, q, 2, r, 1) == "");
}

TEST_CASE("kd_tree_index: a box is kept when the kernel rounds a row's value below the exact bound") {
    // Two leaves of 16 rows: -x and rows beyond it, then x and rows beyond it. Both x and -x
    // have the same computed value K from the origin, and each is its box's corner nearest to
    // the origin, so each box's exact distance rounds to a float above K. The tree visits the
    // -x leaf first (id 1); unless the bound of the other box is lowered below K, it prunes x,
    // whose smaller id (0) wins the tie.
    const auto check = [](auto metric) {
        using Metric = decltype(metric);
        const auto x = rounded_below_exact<Metric>();
        REQUIRE(x.size() == 8);
        tessera::dense_matrix<float> rows;
        std::vector<neighbor_id> ids;
        for (int c = 0; c < 16; ++c) {
            std::vector<float> far(x), near(x);
            for (std::size_t j = 0; j < x.size(); ++j) {
                far[j] = x[j] + 0.25f * static_cast<float>(c);
                near[j] = -far[j];
            }
            rows.append_row(near);
            ids.push_back(c == 0 ? 1 : 100 + c);
            rows.append_row(far);
            ids.push_back(c == 0 ? 0 : 200 + c);
        }
        tessera::kd_tree_index<float, Metric> kd;
        kd.add(rows, ids);
        const std::vector<float> origin(8, 0.0f);
        const float value = Metric::raw(origin.data(), x.data(), 8);
        const auto best = kd.search_one(origin, 2);
        REQUIRE(best.size() == 2);
        CHECK(best[0].first == 0);
        CHECK(best[0].second == value);
        CHECK(best[1].first == 1);
        CHECK(best[1].second == value);
        CHECK(kd.search_one(origin, 1).front().first == 0);
        const auto within = kd.radius_search(tessera::dense_matrix<float>(1, 8, 0.0f), value);
        REQUIRE(within.row_ids(0).size() == 2);
        CHECK(within.row_ids(0)[0] == 0);
        CHECK(within.row_ids(0)[1] == 1);
    };
    check(tessera::sq_euclidean{});
    check(tessera::manhattan{});
}

TEST_CASE("kd_tree_index: byte and 16-bit rows") {
    const auto wide = make_rows<float>(rows_bytes, 6, 11, data::normal);
    const auto wide_q = make_rows<float>(30, 6, 12, data::normal);
    tessera::random_engine rng(13);
    tessera::dense_matrix<std::int8_t> s8(rows_bytes, 6);
    tessera::dense_matrix<std::uint8_t> u8(rows_bytes, 6);
    tessera::dense_matrix<std::int8_t> s8q(40, 6);
    tessera::dense_matrix<std::uint8_t> u8q(40, 6);
    for (std::size_t i = 0; i < rows_bytes; ++i) {
        for (std::size_t j = 0; j < 6; ++j) {
            s8(i, j) = static_cast<std::int8_t>(rng.between(-128, 127));
            u8(i, j) = static_cast<std::uint8_t>(rng.between(0, 12));  // many ties
        }
    }
    for (std::size_t i = 0; i < 40; ++i) {
        for (std::size_t j = 0; j < 6; ++j) {
            s8q(i, j) = static_cast<std::int8_t>(rng.between(-128, 127));
            u8q(i, j) = static_cast<std::uint8_t>(rng.between(0, 12));
        }
    }
    const auto both = [](const auto& rows, const auto& queries, auto metric) {
        using M = decltype(metric);
        using T = std::remove_cvref_t<decltype(rows(0, 0))>;
        tessera::kd_tree_index<T, M> kd;
        tessera::knn_index<T, M> bf;
        kd.add(rows);
        bf.add(rows);
        check_same_answers(kd, bf, queries);
        check_same_graph(kd, bf);
    };
    both(s8, s8q, tessera::sq_euclidean{});
    both(s8, s8q, tessera::manhattan{});
    both(s8, s8q, tessera::euclidean{});
    both(u8, u8q, tessera::sq_euclidean{});
    both(u8, u8q, tessera::manhattan{});
    both(u8, u8q, tessera::euclidean{});

    tessera::dense_matrix<tessera::bfloat16> b16(wide.rows(), wide.cols());
    tessera::dense_matrix<tessera::half> f16(wide.rows(), wide.cols());
    for (std::size_t i = 0; i < wide.rows(); ++i) {
        for (std::size_t j = 0; j < wide.cols(); ++j) {
            b16(i, j) = tessera::to_bfloat16(wide(i, j));
            f16(i, j) = tessera::to_half(wide(i, j));
        }
    }
    tessera::kd_tree_index<tessera::bfloat16> kb;
    tessera::knn_index<tessera::bfloat16> bb;
    kb.add(b16);
    bb.add(b16);
    check_same_answers(kb, bb, wide_q);
    tessera::kd_tree_index<tessera::half, tessera::manhattan> kh;
    tessera::knn_index<tessera::half, tessera::manhattan> bh;
    kh.add(f16);
    bh.add(f16);
    check_same_answers(kh, bh, wide_q);
}

TEST_CASE("kd_tree_index: ties go to the smaller id, among duplicates and on a lattice") {
    // 100 copies of one point under scrambled ids: the k nearest are the k smallest ids.
    tessera::dense_matrix<float> same(100, 3, 0.5f);
    std::vector<neighbor_id> ids(100);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<neighbor_id>((i * 37) % 101 + 5);
    tessera::kd_tree_index<float> kd;
    kd.add(same, ids);
    std::vector<neighbor_id> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    for (const std::vector<float>& q : {std::vector<float>{0.5f, 0.5f, 0.5f}, std::vector<float>{3, -1, 2}}) {
        const auto r = kd.search_one(q, 10);
        REQUIRE(r.size() == 10);
        for (std::size_t j = 0; j < 10; ++j) CHECK(r[j].first == sorted[j]);
    }

    // An integer lattice: a query at a lattice point has 2 d neighbours at distance 1.
    tessera::dense_matrix<double> lattice;
    for (int x = 0; x < 12; ++x)
        for (int y = 0; y < 12; ++y)
            for (int z = 0; z < 12; ++z) lattice.append_row(std::vector<double>{double(x), double(y), double(z)});
    tessera::kd_tree_index<double, tessera::manhattan> grid;
    tessera::knn_index<double, tessera::manhattan> brute;
    std::vector<neighbor_id> scrambled(lattice.rows());
    for (std::size_t i = 0; i < scrambled.size(); ++i) scrambled[i] = static_cast<neighbor_id>((i * 7919) % 100003);
    grid.add(lattice, scrambled);
    brute.add(lattice, scrambled);
    tessera::dense_matrix<double> queries{{5, 5, 5}, {0, 0, 0}, {5.5, 5.5, 5.5}, {11, 0, 6}, {-3, 14, 6}};
    check_same_answers(grid, brute, queries);
    check_same_graph(grid, brute);
}

TEST_CASE("kd_tree_index: removals and re-adds keep every answer equal to knn_index's") {
    const std::size_t d = 3;
    const auto base = make_rows<float>(2000, d, 21, data::ties);
    const auto more = make_rows<float>(500, d, 22, data::ties);
    const auto queries = make_queries(base, 23, data::ties);
    tessera::kd_tree_index<float> kd;
    tessera::knn_index<float> bf;
    CHECK(kd.add(base) == bf.add(base));

    std::vector<neighbor_id> gone;
    for (neighbor_id id = 0; id < 2000; id += 3) gone.push_back(id);
    kd.remove(gone);
    bf.remove(gone);
    for (const neighbor_id id : {1, 1999, 500}) {
        kd.remove(id);
        bf.remove(id);
    }
    CHECK(kd.size() == bf.size());
    for (const auto id : gone) CHECK_FALSE(kd.contains(id));
    check_same_answers(kd, bf, queries);
    check_same_graph(kd, bf);

    // Dense ids continue above the largest id ever added, even after it was removed.
    CHECK(kd.add(more.view().row_block(0, 200)) == 2000);
    CHECK(bf.add(more.view().row_block(0, 200)) == 2000);
    std::vector<neighbor_id> user(300);
    for (std::size_t i = 0; i < user.size(); ++i) user[i] = static_cast<neighbor_id>(1000000 + 17 * i);
    kd.add(more.view().row_block(200, 300), user);
    bf.add(more.view().row_block(200, 300), user);
    kd.remove(1000);  // still there: not a multiple of 3
    bf.remove(1000);
    CHECK(kd.add(more.view().row_block(0, 1)) == 1000000 + 17 * 299 + 1);
    CHECK(bf.add(more.view().row_block(0, 1)) == 1000000 + 17 * 299 + 1);
    check_same_answers(kd, bf, queries);
    check_same_graph(kd, bf);
    for (const neighbor_id id : kd.ids()) {
        const auto a = kd.row(id);
        const auto b = bf.row(id);
        REQUIRE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    }

    // Down to nothing and back.
    std::vector<neighbor_id> all(kd.ids().begin(), kd.ids().end());
    kd.remove(all);
    CHECK(kd.empty());
    CHECK(kd.dim() == d);
    CHECK_THROWS_AS((void)kd.search(queries, 1), tessera::invalid_argument);
    std::vector<neighbor_id> again(base.rows());
    for (std::size_t i = 0; i < again.size(); ++i) again[i] = static_cast<neighbor_id>(i);
    kd.add(base, again);  // ids removed earlier may come back as user ids
    CHECK(kd.size() == base.rows());
    tessera::knn_index<float> fresh;
    fresh.add(base);
    check_same_answers(kd, fresh, queries);
}

TEST_CASE("kd_tree_index: adding the index's own rows, through the view it hands out") {
    const auto base = make_rows<float>(300, 3, 35, data::ties);
    tessera::kd_tree_index<float> kd;
    kd.add(base);
    const std::vector<neighbor_id> order(kd.ids().begin(), kd.ids().end());
    CHECK(kd.add(kd.rows()) == 300);  // the view points into the storage the add replaces
    REQUIRE(kd.size() == 600);
    for (std::size_t s = 0; s < order.size(); ++s) {
        const auto copy = kd.row(300 + static_cast<neighbor_id>(s));
        const auto original = base.row(static_cast<std::size_t>(order[s]));
        REQUIRE(std::equal(copy.begin(), copy.end(), original.begin(), original.end()));
    }
    tessera::knn_index<float> bf;
    std::vector<neighbor_id> ids(kd.ids().begin(), kd.ids().end());
    bf.add(kd.rows(), ids);
    check_same_answers(kd, bf, make_queries(base, 36, data::ties));
}

TEST_CASE("kd_tree_index: the storage order depends only on the stored ids and rows") {
    const auto base = make_rows<float>(1500, 4, 31, data::ties);
    std::vector<neighbor_id> ids(base.rows());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<neighbor_id>(i);
    tessera::kd_tree_index<float> a;
    a.add(base);
    // The same rows in reverse order, in batches of 100.
    tessera::kd_tree_index<float> b;
    for (std::size_t end = base.rows(); end > 0; end -= 100) {
        std::vector<neighbor_id> batch;
        tessera::dense_matrix<float> rows;
        for (std::size_t i = end; i-- > end - 100;) {
            batch.push_back(ids[i]);
            rows.append_row(base.row(i));
        }
        b.add(rows, batch);
    }
    REQUIRE(std::equal(a.ids().begin(), a.ids().end(), b.ids().begin(), b.ids().end()));
    for (std::size_t s = 0; s < a.size(); ++s) {
        const auto x = a.rows().row(s);
        const auto y = b.rows().row(s);
        REQUIRE(std::equal(x.begin(), x.end(), y.begin(), y.end()));
        const auto z = a.row(a.ids()[s]);
        REQUIRE(std::equal(x.begin(), x.end(), z.begin(), z.end()));
    }
}

TEST_CASE("kd_tree_index: search_one, filters that leave fewer than k, any query batching") {
    const auto base = make_rows<float>(3000, 2, 41, data::normal);
    const auto queries = make_rows<float>(300, 2, 42, data::normal);
    tessera::kd_tree_index<float> kd(2);
    kd.add(base);
    const auto all = kd.search(queries, 8);
    for (const std::size_t i : {0u, 131u, 299u}) {
        const auto one = kd.search_one(queries.row(i), 8);
        REQUIRE(one.size() == 8);
        for (std::size_t j = 0; j < 8; ++j) {
            CHECK(one[j].first == all.ids(i, j));
            CHECK(one[j].second == all.distances(i, j));
        }
    }
    for (const std::size_t block : {1u, 7u, 1000u}) {
        REQUIRE(knn_difference(all, kd.search(queries, 8, tessera::no_filter{}, {2, block})) == "");
    }
    // Only three rows pass: three neighbours, then empty slots.
    const auto few = [](neighbor_id id) { return id == 5 || id == 500 || id == 2999; };
    const auto r = kd.search(queries, 6, few);
    for (std::size_t i = 0; i < queries.rows(); ++i) {
        for (std::size_t j = 3; j < 6; ++j) {
            CHECK(r.ids(i, j) == tessera::no_neighbor);
            CHECK(r.distances(i, j) == std::numeric_limits<float>::infinity());
        }
    }
    CHECK(exhaustive_difference(kd, queries, 6, r, queries.rows(), few) == "");
    const auto none = kd.search_one(queries.row(0), 4, [](neighbor_id) { return false; });
    CHECK(none.empty());
}

TEST_CASE("kd_tree_index: rows from ranges and a pmr allocator") {
    std::vector<std::vector<double>> rows{{0, 0}, {1, 0}, {0, 1}, {5, 5}, {1, 1}};
    std::pmr::monotonic_buffer_resource arena;
    using pmr_index = tessera::kd_tree_index<double, tessera::euclidean, std::pmr::polymorphic_allocator<double>>;
    pmr_index index(0, {}, std::pmr::polymorphic_allocator<double>(&arena));
    CHECK(index.add(rows) == 0);
    CHECK(index.dim() == 2);
    CHECK(index.get_allocator().resource() == &arena);
    const std::vector<std::vector<double>> q{{0.75, 0.25}};
    const auto r = index.search(q, 3);
    CHECK(r.ids(0, 0) == 1);
    CHECK(r.ids(0, 1) == 0);  // (0, 0) and (1, 1) are both sqrt(0.625) away: the smaller id first
    CHECK(r.ids(0, 2) == 4);
    CHECK(r.distances(0, 1) == std::sqrt(0.625));
    index.remove(std::vector<int>{3});
    CHECK(index.size() == 4);
    CHECK_FALSE(index.contains(3));
}

TEST_CASE("kd_tree_index: bad input is refused with clear errors and leaves the index unchanged") {
    const auto base = make_rows<float>(50, 3, 51, data::normal);
    tessera::kd_tree_index<float> kd;
    const auto message_of = [](auto&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no exception");
    };

    CHECK_THROWS_WITH_AS((void)kd.search(base, 1), "tessera::kd_tree_index::search: argument 'index': is empty: add rows before searching",
                         tessera::invalid_argument);
    CHECK_THROWS_AS((void)kd.radius_search(base, 1.0f), tessera::invalid_argument);
    CHECK_THROWS_AS((void)kd.knn_graph(1), tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(kd.add(tessera::dense_matrix<float>(2, 0)), "tessera::kd_tree_index::add: argument 'rows': has no columns",
                         tessera::invalid_argument);
    kd.add(base);
    const auto before = std::vector<neighbor_id>(kd.ids().begin(), kd.ids().end());
    const auto unchanged = [&] {
        CHECK(std::equal(before.begin(), before.end(), kd.ids().begin(), kd.ids().end()));
        CHECK(kd.size() == 50);
    };

    CHECK_THROWS_WITH_AS((void)kd.search(base, 0), "tessera::kd_tree_index::search: argument 'k': must be at least 1",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS((void)kd.search(base, 51),
                         "tessera::kd_tree_index::search: argument 'k': is 51 but the index holds only 50 rows",
                         tessera::invalid_argument);
    CHECK_THROWS_AS((void)kd.search(tessera::dense_matrix<float>(2, 4), 1), tessera::dimension_mismatch);
    CHECK(message_of([&] { (void)kd.search(tessera::dense_matrix<float>(2, 4), 1); }) ==
          "tessera::kd_tree_index::search: argument 'queries': have 4 columns but the index has 3");
    CHECK_THROWS_AS((void)kd.radius_search(tessera::dense_matrix<float>(2, 2), 1.0f), tessera::dimension_mismatch);
    CHECK_THROWS_WITH_AS((void)kd.radius_search(base, std::numeric_limits<float>::infinity()),
                         "tessera::kd_tree_index::radius_search: argument 'radius': is not finite", tessera::invalid_argument);
    CHECK_THROWS_AS((void)kd.knn_graph(50), tessera::invalid_argument);
    CHECK_THROWS_AS((void)kd.knn_graph(0), tessera::invalid_argument);
    CHECK_THROWS_AS((void)kd.search(base, 1, tessera::no_filter{}, {-1, 0}), tessera::invalid_argument);

    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        tessera::dense_matrix<float> q(3, 3, 0.0f);
        q(2, 1) = bad;
        CHECK(message_of([&] { (void)kd.search(q, 1); }).find("argument 'queries': contains") != std::string::npos);
        CHECK_THROWS_AS((void)kd.search(q, 1), tessera::invalid_argument);
        CHECK_THROWS_AS((void)kd.radius_search(q, 1.0f), tessera::invalid_argument);
        CHECK_THROWS_AS((void)kd.search_one(q.row(2), 1), tessera::invalid_argument);
        CHECK_THROWS_AS(kd.add(q), tessera::invalid_argument);
        CHECK_THROWS_AS(kd.add(q, std::vector<int>{100, 101, 102}), tessera::invalid_argument);
        unchanged();
    }

    CHECK_THROWS_AS(kd.add(tessera::dense_matrix<float>(2, 4)), tessera::dimension_mismatch);
    const std::vector<std::vector<float>> ragged{{1, 2, 3}, {1, 2}};
    CHECK_THROWS_AS(kd.add(ragged), tessera::dimension_mismatch);
    const auto two = make_rows<float>(2, 3, 52, data::normal);
    CHECK_THROWS_AS(kd.add(two, std::vector<int>{100}), tessera::dimension_mismatch);
    CHECK(message_of([&] { kd.add(two, std::vector<int>{100, -4}); }) ==
          "tessera::kd_tree_index::add: argument 'ids': id -4 at position 1 is not in [0, 2^63)");
    CHECK(message_of([&] { kd.add(two, std::vector<int>{7, 100}); }) ==
          "tessera::kd_tree_index::add: argument 'ids': id 7 is already in the index");
    CHECK(message_of([&] { kd.add(two, std::vector<int>{100, 100}); }) ==
          "tessera::kd_tree_index::add: argument 'ids': id 100 appears twice (positions 0 and 1)");
    CHECK_THROWS_AS(kd.add(two, std::vector<std::uint64_t>{100, std::uint64_t(1) << 63}), tessera::invalid_argument);
    unchanged();
    CHECK(kd.add(two) == 50);  // the failed adds used no ids

    CHECK(message_of([&] { kd.remove(77); }) == "tessera::kd_tree_index::remove: argument 'id': id 77 is not in the index");
    CHECK_THROWS_AS(kd.remove(std::vector<int>{1, 2, 77}), tessera::invalid_argument);
    CHECK(message_of([&] { kd.remove(std::vector<int>{1, 2, 1}); }) ==
          "tessera::kd_tree_index::remove: argument 'ids': id 1 appears twice");
    CHECK(kd.size() == 52);
    CHECK(kd.contains(1));
    CHECK(kd.contains(2));
    CHECK_THROWS_AS((void)kd.row(77), tessera::invalid_argument);
    kd.remove(std::vector<int>{});
    CHECK(kd.size() == 52);

    // Dense ids cannot pass the largest id.
    tessera::kd_tree_index<float> top;
    top.add(two, std::vector<neighbor_id>{std::numeric_limits<neighbor_id>::max() - 1, 3});
    CHECK_THROWS_AS(top.add(two), tessera::invalid_argument);
    CHECK(top.add(two.view().row_block(0, 1)) == std::numeric_limits<neighbor_id>::max());
    CHECK_THROWS_AS(top.add(two.view().row_block(0, 1)), tessera::invalid_argument);
    CHECK(top.size() == 3);
}

TEST_CASE("kd_tree_index: save and load, and damaged or mismatched archives") {
    const auto base = make_rows<float>(40, 3, 61, data::ties);
    const auto queries = make_queries(base, 62, data::ties);
    tessera::kd_tree_index<float> kd;
    std::vector<neighbor_id> ids(base.rows());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<neighbor_id>(3 * i + 1);
    kd.add(base, ids);
    kd.remove(4);
    using index_type = tessera::kd_tree_index<float>;

    tessera::archive_writer w(index_type::header());
    kd.write_to(w);
    const auto bytes = w.bytes();
    const auto read = [&](std::span<const std::byte> b) {
        tessera::archive_reader r(b, index_type::header());
        return index_type::read_from(r);
    };
    auto back = read(bytes);
    CHECK(back.dim() == 3);
    REQUIRE(std::equal(kd.ids().begin(), kd.ids().end(), back.ids().begin(), back.ids().end()));
    for (std::size_t s = 0; s < kd.size(); ++s) {
        const auto x = kd.rows().row(s);
        const auto y = back.rows().row(s);
        CHECK(std::equal(x.begin(), x.end(), y.begin(), y.end()));
    }
    CHECK(knn_difference(kd.search(queries, 9), back.search(queries, 9)) == "");
    CHECK(back.add(base.view().row_block(0, 1)) == kd.add(base.view().row_block(0, 1)));

    // Through a file; an empty index keeps its dimension.
    const fs::path dir = fs::temp_directory_path() / "tessera_test_kd_tree";
    fs::create_directories(dir);
    const fs::path file = dir / "index.tsr";
    kd.save(file);
    const auto loaded = index_type::load(file);
    CHECK(knn_difference(kd.search(queries, 5), loaded.search(queries, 5)) == "");
    index_type empty(7);
    empty.save(dir / "empty.tsr");
    const auto empty_back = index_type::load(dir / "empty.tsr");
    CHECK(empty_back.empty());
    CHECK(empty_back.dim() == 7);
    index_type emptied;
    emptied.add(base);
    emptied.remove(std::vector<neighbor_id>(emptied.ids().begin(), emptied.ids().end()));
    emptied.save(dir / "emptied.tsr");
    auto emptied_back = index_type::load(dir / "emptied.tsr");
    CHECK(emptied_back.empty());
    CHECK(emptied_back.dim() == 3);
    CHECK(emptied_back.add(base.view().row_block(0, 1)) == 40);

    // Another metric, element type or kind.
    CHECK_THROWS_AS((void)(tessera::kd_tree_index<float, tessera::manhattan>::load(file)), tessera::format_error);
    CHECK_THROWS_AS((void)(tessera::kd_tree_index<double>::load(file)), tessera::format_error);
    CHECK_THROWS_AS((void)(tessera::knn_index<float>::load(file)), tessera::format_error);
    tessera::knn_index<float> other;
    other.add(base);
    other.save(dir / "knn.tsr");
    CHECK_THROWS_AS((void)index_type::load(dir / "knn.tsr"), tessera::format_error);

    // Every flipped bit pattern of a byte and every truncation is refused.
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        auto bad = bytes;
        bad[at] ^= std::byte{0x5a};
        CAPTURE(at);
        REQUIRE_THROWS_AS((void)read(bad), tessera::format_error);
    }
    for (std::size_t len = 0; len < bytes.size(); len += 7) {
        CAPTURE(len);
        REQUIRE_THROWS_AS((void)read(std::span<const std::byte>(bytes).first(len)), tessera::format_error);
    }
    {
        std::ofstream out(dir / "short.tsr", std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size() - 5));
    }
    CHECK_THROWS_AS((void)index_type::load(dir / "short.tsr"), tessera::format_error);
    {
        std::ofstream out(dir / "long.tsr", std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.put('x');
    }
    CHECK_THROWS_AS((void)index_type::load(dir / "long.tsr"), tessera::format_error);
    CHECK_THROWS_AS((void)index_type::load(dir / "missing.tsr"), tessera::io_error);

    // Well-sealed archives whose fields lie: each is a format_error, never a crash or a bad index.
    struct forged {
        const char* what;
        std::string metric = "sq_euclidean";
        std::uint64_t dim = 2;
        std::int64_t next = 10;
        std::vector<neighbor_id> ids{1, 2, 3};
        std::uint64_t rows = 3;
        std::uint64_t cols = 2;
        std::vector<float> values{0, 0, 1, 1, 2, 2};
        bool extra = false;
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<forged> cases(11);
    cases[0].what = "valid";
    cases[1].what = "metric";
    cases[1].metric = "manhattan";
    cases[2].what = "negative id";
    cases[2].ids = {1, -2, 3};
    cases[3].what = "repeated id";
    cases[3].ids = {1, 2, 1};
    cases[4].what = "NaN row";
    cases[4].values[3] = nan;
    cases[5].what = "ids for rows";
    cases[5].ids = {1, 2};
    cases[6].what = "columns for dim";
    cases[6].dim = 3;
    cases[7].what = "next id";
    cases[7].next = 3;
    cases[8].what = "negative next id";
    cases[8].ids = {};
    cases[8].rows = 0;
    cases[8].values = {};
    cases[8].next = -1;
    cases[9].what = "bytes left over";
    cases[9].extra = true;
    cases[10].what = "zero columns";
    cases[10].dim = 0;
    cases[10].cols = 0;
    cases[10].values = {};
    for (const auto& c : cases) {
        CAPTURE(std::string(c.what));
        tessera::archive_writer fw(index_type::header());
        fw.write_string(c.metric);
        fw.write<std::uint64_t>(c.dim);
        fw.write<std::int64_t>(c.next);
        fw.write_span(std::span<const neighbor_id>(c.ids));
        fw.write<std::uint64_t>(c.rows);
        fw.write<std::uint64_t>(c.cols);
        for (const float v : c.values) fw.write(v);
        if (c.extra) fw.write<std::uint8_t>(0);
        const auto b = fw.bytes();
        if (std::string(c.what) == "valid") {
            const auto ok = read(b);
            CHECK(ok.size() == 3);
            CHECK(ok.search_one(std::vector<float>{0.9f, 0.9f}, 1).front().first == 2);
        } else {
            CHECK_THROWS_AS((void)read(b), tessera::format_error);
        }
    }
    fs::remove_all(dir);
}
