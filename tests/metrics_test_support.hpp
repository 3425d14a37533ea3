// What the metrics tests share: a check that a call throws exactly one tessera exception type
// with tessera's message pattern, and a single-pass range.
#pragma once

#include <tessera/core/error.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <iterator>
#include <string>
#include <typeinfo>
#include <vector>

namespace tessera_test {

// Runs f, which must throw exactly E (not a type derived from it) with a message naming the
// function and the argument in tessera's pattern.
template <class E, class F>
void expect_error(const std::string& where, const std::string& arg, F&& f) {
    const std::string prefix = "tessera::" + where + ": argument '" + arg + "'";
    CHECK_THROWS_WITH_AS(f(), doctest::Contains(prefix.c_str()), E);
    try {
        f();
    } catch (const tessera::error& e) {
        CHECK(typeid(e) == typeid(E));
    }
}

// A single-pass range handing out copies of a vector's elements; not sized. (Rather than a
// std::views pipeline, which clang 14 cannot compile with libstdc++ 12.)
template <class T>
struct single_pass {
    const std::vector<T>* values;
    struct iterator {
        using iterator_concept = std::input_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        const std::vector<T>* values = nullptr;
        std::size_t i = 0;
        T operator*() const { return (*values)[i]; }
        iterator& operator++() {
            ++i;
            return *this;
        }
        void operator++(int) { ++i; }
        bool operator==(std::default_sentinel_t) const { return i == values->size(); }
    };
    [[nodiscard]] iterator begin() const { return {values, 0}; }
    [[nodiscard]] std::default_sentinel_t end() const { return {}; }
};

}  // namespace tessera_test
