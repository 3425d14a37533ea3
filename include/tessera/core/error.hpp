/// \file
/// tessera/core/error.hpp - the exception hierarchy and the argument-checking helpers.
///
/// Every exception tessera throws for bad user input derives from one of the standard
/// exception classes (so `catch (const std::invalid_argument&)` works) and also from the
/// tag base `tessera::error` (so `catch (const tessera::error&)` catches all of tessera's).
/// Messages follow one pattern so that a log line says where and why:
///
///     tessera::knn_index::search: argument 'k': is 7 but the index holds only 5 rows
///
/// Broken internal invariants are not user errors: TESSERA_ASSERT reports them.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace tessera {

/// Tag base of every tessera exception. It is not itself a std::exception (that would make
/// `catch (const std::exception&)` ambiguous); `what()` of the concrete type holds the text.
class error {
public:
    virtual ~error() = default;
    /// The same text as the concrete exception's `what()`.
    [[nodiscard]] virtual const char* message() const noexcept = 0;

protected:
    ///@{
    /// Construction and copying are for the concrete exception classes only.
    error() = default;
    error(const error&) = default;
    error& operator=(const error&) = default;
    ///@}
};

/// A function was called with an argument that breaks its documented preconditions
/// (wrong shape, empty data, NaN/Inf, out-of-range parameter, unknown label...).
class invalid_argument : public std::invalid_argument, public error {
public:
    using std::invalid_argument::invalid_argument;
    [[nodiscard]] const char* message() const noexcept override { return what(); }
};

/// Two arguments disagree on a dimension (rows of X vs length of y, columns at fit vs predict).
class dimension_mismatch : public invalid_argument {
public:
    using invalid_argument::invalid_argument;
};

/// A model was used (predict, save, ...) before it was fitted.
class not_fitted_error : public std::logic_error, public error {
public:
    using std::logic_error::logic_error;
    [[nodiscard]] const char* message() const noexcept override { return what(); }
};

/// A file or archive is malformed, truncated, corrupted or of the wrong kind.
class format_error : public std::runtime_error, public error {
public:
    using std::runtime_error::runtime_error;
    [[nodiscard]] const char* message() const noexcept override { return what(); }
};

/// The operating system refused an operation (file cannot be opened, read or written).
class io_error : public std::runtime_error, public error {
public:
    using std::runtime_error::runtime_error;
    [[nodiscard]] const char* message() const noexcept override { return what(); }
};

/// An iterative algorithm could not produce a usable result (singular system, divergence).
class numerical_error : public std::runtime_error, public error {
public:
    using std::runtime_error::runtime_error;
    [[nodiscard]] const char* message() const noexcept override { return what(); }
};

namespace detail {
/// \cond

/// "tessera::<where>: argument '<arg>': <what>"
[[nodiscard]] inline std::string argument_message(std::string_view where, std::string_view arg,
                                                  std::string_view what) {
    std::string m;
    m.reserve(where.size() + arg.size() + what.size() + 32);
    m.append("tessera::").append(where).append(": argument '").append(arg).append("': ").append(what);
    return m;
}

/// Throws `E` (an invalid_argument-like type) with the standard argument message.
template <class E = invalid_argument>
[[noreturn]] void throw_argument(std::string_view where, std::string_view arg, std::string_view what) {
    throw E(argument_message(where, arg, what));
}

/// Throws invalid_argument unless `cond` holds.
inline void require(bool cond, std::string_view where, std::string_view arg, std::string_view what) {
    if (!cond) throw_argument(where, arg, what);
}

/// Throws invalid_argument naming the first non-finite element of `values`.
template <class T>
void require_finite(std::span<const T> values, std::string_view where, std::string_view arg) {
    if constexpr (std::is_floating_point_v<T>) {
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!std::isfinite(values[i])) {
                throw_argument(where, arg,
                               std::string("contains a non-finite value (") +
                                   (std::isnan(values[i]) ? "NaN" : "Inf") + ") at flat index " +
                                   std::to_string(i));
            }
        }
    }
}

/// Throws not_fitted_error for `where` unless `fitted`.
inline void require_fitted(bool fitted, std::string_view where) {
    if (!fitted) {
        throw not_fitted_error(std::string("tessera::").append(where).append(
            ": the model is not fitted; call fit() first"));
    }
}

[[noreturn]] inline void assertion_failed(const char* expr, const char* file, int line) noexcept {
    std::fprintf(stderr, "tessera: internal invariant broken: %s (%s:%d)\n", expr, file, line);
    std::abort();
}

/// \endcond
}  // namespace detail
}  // namespace tessera

/// Checks an internal invariant (never user input). Active unless TESSERA_DISABLE_ASSERTS or
/// NDEBUG is defined; define TESSERA_ENABLE_ASSERTS to keep it in release builds.
#if defined(TESSERA_ENABLE_ASSERTS) || (!defined(NDEBUG) && !defined(TESSERA_DISABLE_ASSERTS))
#define TESSERA_ASSERT(expr) \
    ((expr) ? static_cast<void>(0) : ::tessera::detail::assertion_failed(#expr, __FILE__, __LINE__))
#else
#define TESSERA_ASSERT(expr) static_cast<void>(0)
#endif
