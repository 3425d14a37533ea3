// The error hierarchy: each exception is catchable as its standard base and as tessera::error,
// and messages follow "tessera::<function>: argument '<name>': <problem>".
#include <doctest/doctest.h>

#include <tessera/core/error.hpp>
#include <tessera/version.hpp>

#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

static_assert(std::is_base_of_v<std::invalid_argument, tessera::invalid_argument>);
static_assert(std::is_base_of_v<tessera::invalid_argument, tessera::dimension_mismatch>);
static_assert(std::is_base_of_v<std::logic_error, tessera::not_fitted_error>);
static_assert(std::is_base_of_v<std::runtime_error, tessera::format_error>);
static_assert(std::is_base_of_v<std::runtime_error, tessera::io_error>);
static_assert(std::is_base_of_v<std::runtime_error, tessera::numerical_error>);
static_assert(!std::is_base_of_v<std::exception, tessera::error>);  // a tag: no ambiguous std::exception base

namespace {
template <class E>
void check_catchable(const E& e) {
    try {
        throw e;
    } catch (const tessera::error& te) {
        CHECK(std::string(te.message()) == e.what());
    }
    try {
        throw e;
    } catch (const std::exception& se) {  // unambiguous
        CHECK(std::string(se.what()) == e.what());
    }
}
}  // namespace

TEST_CASE("every tessera exception is catchable as tessera::error and as std::exception") {
    check_catchable(tessera::invalid_argument("a"));
    check_catchable(tessera::dimension_mismatch("b"));
    check_catchable(tessera::not_fitted_error("c"));
    check_catchable(tessera::format_error("d"));
    check_catchable(tessera::io_error("e"));
    check_catchable(tessera::numerical_error("f"));
}

TEST_CASE("argument checks build the documented message") {
    CHECK_THROWS_WITH_AS(tessera::detail::require(false, "knn_index::search", "k", "must be positive"),
                         "tessera::knn_index::search: argument 'k': must be positive", tessera::invalid_argument);
    CHECK_NOTHROW(tessera::detail::require(true, "f", "x", "never"));
    CHECK_THROWS_WITH_AS(tessera::detail::require_fitted(false, "gaussian_nb::predict"),
                         "tessera::gaussian_nb::predict: the model is not fitted; call fit() first",
                         tessera::not_fitted_error);
    std::vector<float> v{1.f, 2.f, std::numeric_limits<float>::infinity()};
    CHECK_THROWS_WITH_AS(tessera::detail::require_finite(std::span<const float>(v), "fit", "sample_weight"),
                         doctest::Contains("argument 'sample_weight': contains a non-finite value (Inf) at flat index 2"),
                         tessera::invalid_argument);
    std::vector<int> ints{1, 2};
    CHECK_NOTHROW(tessera::detail::require_finite(std::span<const int>(ints), "fit", "x"));
    CHECK_THROWS_AS(tessera::detail::throw_argument<tessera::dimension_mismatch>("f", "y", "length"),
                    tessera::dimension_mismatch);
}

TEST_CASE("version: the string is built from the numbers") {
    const std::string expected = std::to_string(tessera::version.major) + "." + std::to_string(tessera::version.minor) +
                                 "." + std::to_string(tessera::version.patch);
    CHECK(expected == tessera::version_string);
    CHECK(TESSERA_VERSION == tessera::version.major * 10000 + tessera::version.minor * 100 + tessera::version.patch);
}
