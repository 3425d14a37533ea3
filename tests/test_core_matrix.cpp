// matrix_view, dense_matrix and their allocator behaviour.
#include <doctest/doctest.h>

#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/matrix_view.hpp>

#include <cstdint>
#include <map>
#include <memory_resource>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

namespace {

// Records every allocation that passes through it, so a test can prove that a container
// allocates only through its allocator, and that unequal allocators are handled.
struct allocation_log {
    std::size_t allocations = 0;
    std::size_t deallocations = 0;
    std::size_t live_bytes = 0;
    std::map<void*, std::size_t> live;
};

template <class T, bool Propagate = false>
struct counting_allocator {
    using value_type = T;
    using propagate_on_container_copy_assignment = std::bool_constant<Propagate>;
    using propagate_on_container_move_assignment = std::bool_constant<Propagate>;
    using propagate_on_container_swap = std::bool_constant<Propagate>;
    using is_always_equal = std::false_type;

    allocation_log* log;
    int id;

    counting_allocator(allocation_log* l, int i) noexcept : log(l), id(i) {}
    template <class U>
    counting_allocator(const counting_allocator<U, Propagate>& o) noexcept : log(o.log), id(o.id) {}

    template <class U>
    struct rebind {
        using other = counting_allocator<U, Propagate>;
    };

    T* allocate(std::size_t n) {
        auto* p = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignof(T)}));
        ++log->allocations;
        log->live_bytes += n * sizeof(T);
        log->live[p] = n;
        return p;
    }
    void deallocate(T* p, std::size_t n) noexcept {
        auto it = log->live.find(p);
        REQUIRE(it != log->live.end());  // freed through the allocator that allocated it
        REQUIRE(it->second == n);        // with the size it was allocated with
        log->live.erase(it);
        ++log->deallocations;
        log->live_bytes -= n * sizeof(T);
        ::operator delete(p, std::align_val_t{alignof(T)});
    }
    counting_allocator select_on_container_copy_construction() const noexcept { return *this; }

    template <class U>
    bool operator==(const counting_allocator<U, Propagate>& o) const noexcept {
        return log == o.log && id == o.id;
    }
};

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

template <class M>
void fill_iota(M& m) {
    float v = 1;
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = 0; j < m.cols(); ++j) m(i, j) = v++;
}

template <class M>
bool padding_is_zero(const M& m) {
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = m.cols(); j < m.stride(); ++j)
            if (m.data()[i * m.stride() + j] != 0) return false;
    return true;
}

}  // namespace

TEST_CASE("matrix_view: strided access, sub-views and const conversion") {
    std::vector<int> buf(3 * 5);
    std::iota(buf.begin(), buf.end(), 0);
    tessera::matrix_view<int> v(buf.data(), 3, 4, 5);  // 3 x 4 inside a 3 x 5 buffer
    CHECK(v.rows() == 3);
    CHECK(v.cols() == 4);
    CHECK(v.stride() == 5);
    CHECK(v.size() == 12);
    CHECK_FALSE(v.is_contiguous());
    CHECK(v(2, 3) == 13);
    CHECK(v.row(1)[0] == 5);
    CHECK(v.row(1).size() == 4);
    v(0, 1) = 42;
    CHECK(buf[1] == 42);

    tessera::matrix_view<const int> c = v;  // mutable -> const is implicit
    CHECK(c(0, 1) == 42);
    static_assert(!std::is_convertible_v<tessera::matrix_view<const int>, tessera::matrix_view<int>>);

    auto block = v.row_block(1, 2);
    CHECK(block.rows() == 2);
    CHECK(block(0, 0) == 5);
    CHECK(v.row_block(3, 0).rows() == 0);
    CHECK_THROWS_AS((void)v.row_block(2, 2), tessera::invalid_argument);

    auto p = tessera::make_view(buf.data(), 5, 3);  // pointer plus shape
    CHECK(p.is_contiguous());
    CHECK(p(4, 2) == 14);
}

TEST_CASE("matrix_view: invalid shapes are rejected with named arguments") {
    std::vector<float> buf(10);
    try {
        (void)tessera::matrix_view<float>(buf.data(), 2, 5, 4);
        FAIL("a stride smaller than cols must throw");
    } catch (const tessera::invalid_argument& e) {
        CHECK(std::string(e.what()).find("'stride'") != std::string::npos);
        CHECK(std::string(e.what()).find("tessera::matrix_view") != std::string::npos);
    }
    CHECK_THROWS_AS(tessera::matrix_view<float>(nullptr, 2, 2), tessera::invalid_argument);
    CHECK_NOTHROW(tessera::matrix_view<float>(nullptr, 0, 7));
    tessera::matrix_view<float> empty;
    CHECK(empty.empty());
}

TEST_CASE("dense_matrix: aligned rows, zero padding, element access") {
    for (std::size_t cols : {0u, 1u, 3u, 15u, 16u, 17u, 33u}) {
        CAPTURE(cols);
        tessera::dense_matrix<float> m(5, cols);
        CHECK(m.rows() == 5);
        CHECK(m.cols() == cols);
        CHECK(m.stride() % 16 == 0);  // 16 floats = 64 bytes
        CHECK(m.stride() >= cols);
        if (cols > 0) {
            for (std::size_t i = 0; i < m.rows(); ++i) CHECK(aligned64(m.row(i).data()));
        }
        fill_iota(m);
        CHECK(padding_is_zero(m));
        if (cols > 0) CHECK(m(4, cols - 1) == static_cast<float>(5 * cols));
    }
    tessera::dense_matrix<double> packed(4, 3, tessera::row_padding::none);
    CHECK(packed.stride() == 3);
    CHECK(aligned64(packed.data()));
    tessera::dense_matrix<std::int8_t> bytes(2, 65);
    CHECK(bytes.stride() == 128);
    CHECK(aligned64(bytes.row(1).data()));

    tessera::dense_matrix<float> f(2, 3, 7.5f);
    CHECK(f(1, 2) == 7.5f);
    CHECK(padding_is_zero(f));
}

TEST_CASE("dense_matrix: literal, copy from views, equality, conversion to views") {
    tessera::dense_matrix<float> m{{1, 2, 3}, {4, 5, 6}};
    CHECK(m.rows() == 2);
    CHECK(m(1, 0) == 4);
    CHECK_THROWS_AS((tessera::dense_matrix<float>{{1, 2}, {3}}), tessera::dimension_mismatch);

    std::vector<float> buf{1, 2, 3, 99, 4, 5, 6, 99};
    tessera::dense_matrix<float> from_strided(tessera::matrix_view<const float>(buf.data(), 2, 3, 4));
    CHECK(from_strided == m);
    CHECK(padding_is_zero(from_strided));  // the 99s of the source are not copied into padding

    tessera::matrix_view<const float> cv = m;
    tessera::matrix_view<float> mv = m;
    mv(0, 0) = -1;
    CHECK(cv(0, 0) == -1);
    CHECK(cv.stride() == m.stride());
    CHECK_FALSE(m == from_strided);
}

TEST_CASE("dense_matrix: append_row, append_rows, resize_rows keep contents and padding") {
    tessera::dense_matrix<double> m;
    std::vector<double> r0{1, 2, 3};
    m.append_row(r0);
    CHECK(m.cols() == 3);
    for (int i = 1; i < 40; ++i) {
        std::vector<double> r{double(i), double(i) + 0.5, -double(i)};
        m.append_row(r);
    }
    CHECK(m.rows() == 40);
    CHECK(m(39, 1) == 39.5);
    CHECK(m(0, 2) == 3);
    CHECK(padding_is_zero(m));
    std::vector<double> wrong{1, 2};
    CHECK_THROWS_AS(m.append_row(wrong), tessera::dimension_mismatch);

    m.resize_rows(2);
    CHECK(m.rows() == 2);
    m.resize_rows(5);
    CHECK(m(4, 0) == 0);  // re-grown rows are zero, not stale
    CHECK(m(3, 2) == 0);

    tessera::dense_matrix<double> block{{7, 8, 9}, {10, 11, 12}};
    m.append_rows(block);
    CHECK(m.rows() == 7);
    CHECK(m(6, 2) == 12);
    tessera::dense_matrix<double> narrow(1, 2);
    CHECK_THROWS_AS(m.append_rows(narrow), tessera::dimension_mismatch);
}

TEST_CASE("dense_matrix: shapes too large for memory are rejected, not wrapped") {
    CHECK_THROWS_AS(tessera::dense_matrix<float>(std::size_t{1} << 62, std::size_t{1} << 10), tessera::invalid_argument);
    CHECK_THROWS_AS(tessera::dense_matrix<float>(2, static_cast<std::size_t>(-1)), tessera::invalid_argument);
}

TEST_CASE("dense_matrix: allocates only through its allocator") {
    allocation_log log;
    using alloc = counting_allocator<float>;
    {
        tessera::dense_matrix<float, alloc> m(10, 7, tessera::row_padding::aligned, alloc(&log, 1));
        CHECK(log.allocations == 1);
        CHECK(aligned64(m.data()));
        fill_iota(m);
        for (int i = 0; i < 100; ++i) m.append_row(std::vector<float>(7, 1.f));
        CHECK(log.allocations > 1);
        CHECK(log.live.size() == 1);  // growth released the old block
        tessera::dense_matrix<float, alloc> copy(m);
        CHECK(copy.get_allocator() == m.get_allocator());
        CHECK(copy == m);
        CHECK(log.live.size() == 2);
    }
    CHECK(log.allocations == log.deallocations);
    CHECK(log.live_bytes == 0);
}

TEST_CASE("dense_matrix: copy and move across unequal allocators copy the elements") {
    allocation_log log_a;
    allocation_log log_b;
    using alloc = counting_allocator<float>;  // does not propagate
    tessera::dense_matrix<float, alloc> a(3, 4, tessera::row_padding::aligned, alloc(&log_a, 1));
    fill_iota(a);
    const auto expected = tessera::dense_matrix<float, alloc>(a);

    tessera::dense_matrix<float, alloc> b(1, 1, tessera::row_padding::aligned, alloc(&log_b, 2));
    b = std::move(a);  // unequal, non-propagating: element-wise copy into b's allocator
    CHECK(b == expected);
    CHECK(b.get_allocator().id == 2);
    CHECK(log_b.live.size() == 1);

    tessera::dense_matrix<float, alloc> c(expected, alloc(&log_b, 2));  // allocator-extended copy
    CHECK(c == expected);
    CHECK(c.get_allocator().id == 2);

    tessera::dense_matrix<float, alloc> d(std::move(c), alloc(&log_a, 1));  // allocator-extended move, unequal
    CHECK(d == expected);
    CHECK(d.get_allocator().id == 1);

    b = expected;  // copy assignment keeps b's allocator (no propagation)
    CHECK(b.get_allocator().id == 2);
    CHECK(b == expected);
}

TEST_CASE("dense_matrix: propagating allocators follow the source on assignment and swap") {
    allocation_log log_a;
    allocation_log log_b;
    using alloc = counting_allocator<double, true>;
    tessera::dense_matrix<double, alloc> a(2, 2, 1.0, tessera::row_padding::aligned, alloc(&log_a, 1));
    tessera::dense_matrix<double, alloc> b(3, 3, 2.0, tessera::row_padding::aligned, alloc(&log_b, 2));
    b = a;
    CHECK(b.get_allocator().id == 1);
    CHECK(b == a);
    tessera::dense_matrix<double, alloc> c(1, 1, 5.0, tessera::row_padding::aligned, alloc(&log_b, 2));
    swap(a, c);
    CHECK(a.get_allocator().id == 2);
    CHECK(a(0, 0) == 5.0);
    CHECK(c.get_allocator().id == 1);
    CHECK(c.rows() == 2);
    c = std::move(a);  // propagating move: steals, no copy
    CHECK(c.get_allocator().id == 2);
    CHECK(c(0, 0) == 5.0);
    CHECK(a.rows() == 0);
}

TEST_CASE("dense_matrix: std::pmr with a monotonic_buffer_resource") {
    std::array<std::byte, 1 << 14> arena{};
    std::pmr::monotonic_buffer_resource resource(arena.data(), arena.size(), std::pmr::null_memory_resource());
    using pmr_matrix = tessera::dense_matrix<float, std::pmr::polymorphic_allocator<float>>;
    pmr_matrix m(8, 20, tessera::row_padding::aligned, &resource);
    fill_iota(m);
    CHECK(aligned64(m.data()));
    const auto* lo = reinterpret_cast<const std::byte*>(arena.data());
    const auto* p = reinterpret_cast<const std::byte*>(m.data());
    CHECK((p >= lo && p < lo + arena.size()));  // the storage came from the arena
    pmr_matrix copy(m, &resource);
    CHECK(copy == m);
    // The null upstream proves nothing falls back to the global heap: exhausting the arena throws.
    CHECK_THROWS_AS(pmr_matrix(1000, 1000, tessera::row_padding::aligned, &resource), std::bad_alloc);
}
