/// \file
/// tessera/preprocessing/one_hot_encoder.hpp - one-hot encoding of categorical columns with
/// scikit-learn 1.2's OneHotEncoder semantics: fit learns the sorted distinct categories of
/// every column (or takes them from options.categories), and transform turns each row into one
/// stored 1 per column, at the position of that column's category, in a CSR matrix (or a dense
/// one with transform_dense). Output columns are grouped by input column, in category order.
///
/// Categories are text (Category = std::string) or integers (any integer type other than bool
/// and the character types). Floating-point categories are refused at compile time: equality
/// of computed floating-point values is fragile and NaN is no category; round them to integers
/// or format them as text first.
///
/// Thread safety: const members (transform, transform_dense, inverse_transform, accessors,
/// feature_names, save) may run concurrently; fit must not run alongside anything else on the
/// same encoder.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/preprocessing/detail/common.hpp"

namespace tessera {

/// A category type of one_hot_encoder: std::string, or an integer type other than bool and the
/// character types. Floating-point types are not categories.
template <class C>
concept one_hot_category = std::same_as<C, std::string> || (std::integral<C> && numeric<C>);

/// A cell of categorical input for categories of type C: anything that converts to
/// std::string_view (std::string, std::string_view, const char*) for text categories; any
/// integer type (not bool or a character type) for integer ones, whose values outside C's range
/// are categories C cannot hold.
template <class E, class C>
concept category_cell = one_hot_category<C> &&
                        ((std::same_as<C, std::string> && std::convertible_to<const E&, std::string_view>) ||
                         (!std::same_as<C, std::string> && std::integral<E> && numeric<E>));

/// Categorical input for categories of type C: a sized forward range of rows, each a sized
/// forward range of category_cell<C> (std::vector<std::vector<std::string>>,
/// std::vector<std::array<const char*, 3>>, std::vector<std::vector<int>>, ...), or, for integer
/// categories, a dense matrix of integers (dense_matrix<int>, matrix_view<const long>, ...).
template <class X, class C>
concept categorical_input =
    (matrix_like<X> && category_cell<dense_value_t<X>, C>) ||
    (!matrix_like<X> && std::ranges::forward_range<const X> && std::ranges::sized_range<const X> &&
     std::ranges::forward_range<std::ranges::range_reference_t<const X>> &&
     std::ranges::sized_range<std::ranges::range_reference_t<const X>> &&
     category_cell<std::remove_cvref_t<std::ranges::range_reference_t<std::ranges::range_reference_t<const X>>>, C>);

/// What transform does with a category not seen at fit.
enum class unknown_category : std::uint8_t {
    error,   ///< throw invalid_argument naming the row, column and value
    ignore,  ///< encode that column as all zeros
};

/// Which category of a column gets no output column (its rows are all zeros in that block).
enum class drop_category : std::uint8_t {
    none,       ///< keep every category
    first,      ///< drop the first category of every column (a one-category column vanishes)
    if_binary,  ///< drop the first category of columns with exactly two categories
};

/// Options of one_hot_encoder.
template <one_hot_category Category>
struct one_hot_encoder_options {
    unknown_category handle_unknown = unknown_category::error;  ///< what transform does with unseen categories
    drop_category drop = drop_category::none;  ///< which category columns are left out
    /// Empty: learn the sorted distinct categories of every column at fit. Otherwise one
    /// non-empty list per column, used as given: integers strictly increasing (as scikit-learn
    /// requires of numeric categories), text in any order without repetition.
    std::vector<std::vector<Category>> categories = {};
};

namespace detail {
/// \cond

// The shape of categorical input, as require_fit_shape and require_fitted_width read it.
struct category_table_shape {
    std::size_t n = 0;
    std::size_t d = 0;
    [[nodiscard]] std::size_t rows() const noexcept { return n; }
    [[nodiscard]] std::size_t cols() const noexcept { return d; }
};

// Rows and columns of X; dimension_mismatch for rows of different lengths. O(rows).
template <class X>
[[nodiscard]] category_table_shape category_shape(const X& x, const char* where) {
    if constexpr (matrix_like<X>) {
        const auto v = as_rows(x);
        return {v.rows(), v.cols()};
    } else {
        category_table_shape s;
        for (auto&& r : x) {
            const auto len = static_cast<std::size_t>(std::ranges::size(r));
            if (s.n == 0) {
                s.d = len;
            } else if (len != s.d) {
                throw_argument<dimension_mismatch>(where, "X",
                                                   "row " + std::to_string(s.n) + " has " + std::to_string(len) +
                                                       " values but row 0 has " + std::to_string(s.d));
            }
            ++s.n;
        }
        return s;
    }
}

// Whether the cells of X stay where they are while X lives: rows and cells are lvalues (a
// matrix's are; a range may make rows or cells on the fly).
template <class X>
inline constexpr bool stable_category_cells = true;
template <class X>
    requires(!matrix_like<X>)
inline constexpr bool stable_category_cells<X> =
    std::is_lvalue_reference_v<std::ranges::range_reference_t<const X>> &&
    std::is_lvalue_reference_v<std::ranges::range_reference_t<std::ranges::range_reference_t<const X>>>;

// Calls cell(i, j, value) for every cell of X, row by row, and row_end(i) after row i.
template <class X, class Cell, class RowEnd>
void for_each_category_cell(const X& x, Cell&& cell, RowEnd&& row_end) {
    const auto visit_row = [&](std::size_t i, auto&& row) {
        std::size_t j = 0;
        for (auto&& value : row) cell(i, j++, value);
        row_end(i);
    };
    if constexpr (matrix_like<X>) {
        const auto v = as_rows(x);
        for (std::size_t i = 0; i < v.rows(); ++i) visit_row(i, v.row(i));
    } else {
        std::size_t i = 0;
        for (auto&& r : x) visit_row(i++, r);
    }
}

/// \endcond
}  // namespace detail

/// Encodes every categorical column of X as a block of 0/1 columns, one per category (less a
/// dropped one), with scikit-learn 1.2's OneHotEncoder semantics. Output column
/// out_begin(j) + k stands for category k of input column j (k counted after the dropped
/// category); feature_names() spells them "x<j>_<category>".
///
/// Category is std::string or an integer type (one_hot_category); X is categorical_input.
/// T is the element type of the output and Index its CSR index type; every array comes from
/// Allocator (rebound), std::pmr::polymorphic_allocator included.
///
/// Complexity: fit O(n d log n) time and O(n d) extra memory (the cells' keys: views of the
/// caller's strings where rows and cells are lvalues, copies otherwise); transform O(n d log k) for k
/// categories per column; inverse_transform O(nnz log d). Exceptions: invalid_argument for
/// empty X, options.categories that are empty or repeat a category (or unsorted integers), a
/// category outside options.categories at fit or unknown at transform with handle_unknown =
/// error, an integer cell outside Category's range at fit; dimension_mismatch for rows of
/// different lengths and for another width than fit's; not_fitted_error before fit;
/// format_error for a corrupt archive. A failed fit leaves the encoder as it was.
/// Thread safety: const members may run concurrently; fit needs exclusive access.
template <one_hot_category Category, class T = double, class Index = std::int32_t, class Allocator = std::allocator<T>>
class one_hot_encoder {
    static_assert(numeric<T>, "the output of one_hot_encoder holds numbers");
    static_assert(std::is_integral_v<Index> && !std::is_same_v<Index, bool>, "Index must be an integer type");

    template <class U>
    using rebind = typename std::allocator_traits<Allocator>::template rebind_alloc<U>;
    using category_vector = std::vector<Category, rebind<Category>>;
    using size_vector = std::vector<std::size_t, rebind<std::size_t>>;
    static constexpr bool text = std::same_as<Category, std::string>;

public:
    using category_type = Category;  ///< type of the categories read
    using value_type = T;            ///< element type of the encoding
    using index_type = Index;        ///< index type of the sparse encoding
    using allocator_type = Allocator;  ///< allocator of the learnt categories
    using options = one_hot_encoder_options<Category>;  ///< the options type
    using sparse_output = csr_matrix<T, Index, rebind<T>>;  ///< what transform returns
    using dense_output = dense_matrix<T, rebind<T>>;        ///< what transform_dense returns

    /// An unfitted encoder. The options are checked by fit, not here.
    explicit one_hot_encoder(options opts = {}, const Allocator& alloc = Allocator())
        : options_(std::move(opts)), alloc_(alloc), state_(alloc) {}

    /// Learns the categories of every column of X (or checks X against options.categories),
    /// replacing anything learnt before.
    template <class X>
        requires categorical_input<X, Category>
    void fit(const X& x) {
        constexpr const char* where = "one_hot_encoder::fit";
        const auto shape = detail::category_shape(x, where);
        detail::require_fit_shape(shape, where);
        check_options(shape.d, where);
        state s(alloc_);
        s.d = shape.d;
        s.drop = options_.drop;
        if (options_.categories.empty()) {
            learn(x, shape, s, where);
        } else {
            for (const auto& column : options_.categories) {
                s.begin.push_back(s.cats.size());
                s.cats.insert(s.cats.end(), column.begin(), column.end());
            }
            s.begin.push_back(s.cats.size());
            if (const std::string problem = s.index(!text); !problem.empty()) {
                detail::throw_argument(where, "options.categories", problem);
            }
            if (options_.handle_unknown == unknown_category::error) {
                detail::for_each_category_cell(x, [&](std::size_t i, std::size_t j, const auto& cell) {
                    if (!s.find(j, cell)) {
                        detail::throw_argument(where, "X",
                                               "holds " + detail::label_to_string(cell) + " at row " + std::to_string(i) +
                                                   ", column " + std::to_string(j) +
                                                   ", which is not among options.categories[" + std::to_string(j) +
                                                   "] (handle_unknown is error)");
                    }
                }, [](std::size_t) {});
            }
        }
        if (s.out_begin.back() > static_cast<std::size_t>(std::numeric_limits<Index>::max())) {
            detail::throw_argument(where, "X",
                                   "encodes into " + std::to_string(s.out_begin.back()) +
                                       " columns, more than the index type can number");
        }
        state_ = std::move(s);
    }

    /// The one-hot encoding of X: rows x n_output_features(), one stored 1 per row and input
    /// column (none for a dropped category, or an unknown one with handle_unknown = ignore).
    /// Throws not_fitted_error before fit, dimension_mismatch for another width or rows of
    /// different lengths, invalid_argument for an unknown category with handle_unknown = error
    /// or more rows or stored values than Index can number.
    template <class X>
        requires categorical_input<X, Category>
    [[nodiscard]] sparse_output transform(const X& x) const {
        constexpr const char* where = "one_hot_encoder::transform";
        const auto shape = checked_shape(x, where);
        constexpr auto max_index = static_cast<std::size_t>(std::numeric_limits<Index>::max());
        if (shape.n > max_index) {
            detail::throw_argument(where, "X", std::to_string(shape.n) + " rows do not fit the index type");
        }
        typename sparse_output::index_vector indptr(shape.n + 1, Index{0}, rebind<Index>(alloc_));
        typename sparse_output::index_vector indices{rebind<Index>(alloc_)};
        indices.reserve(shape.n * shape.d);
        encode(
            x, where, [&](std::size_t, std::size_t c) { indices.push_back(static_cast<Index>(c)); },
            [&](std::size_t i) {
                if (indices.size() > max_index) {
                    detail::throw_argument(where, "X", "its encoding holds more values than the index type can number");
                }
                indptr[i + 1] = static_cast<Index>(indices.size());
            });
        typename sparse_output::value_vector values(indices.size(), T(1), rebind<T>(alloc_));
        return sparse_output(shape.n, n_output_features(), std::move(indptr), std::move(indices), std::move(values));
    }

    /// The same encoding as a dense rows x n_output_features() matrix. Throws as transform.
    template <class X>
        requires categorical_input<X, Category>
    [[nodiscard]] dense_output transform_dense(const X& x) const {
        constexpr const char* where = "one_hot_encoder::transform_dense";
        const auto shape = checked_shape(x, where);
        dense_output out(shape.n, n_output_features(), row_padding::aligned, rebind<T>(alloc_));
        encode(
            x, where, [&](std::size_t i, std::size_t c) { out(i, c) = T(1); }, [](std::size_t) {});
        return out;
    }

    /// fit(X), then transform(X).
    template <class X>
        requires categorical_input<X, Category>
    [[nodiscard]] sparse_output fit_transform(const X& x) {
        fit(x);
        return transform(x);
    }

    /// The categories encoded by X (dense rows or a CSR matrix of T, n_output_features() wide):
    /// one row of n_features() categories per row of X. A block of zeros decodes to the
    /// dropped category of its column. Throws not_fitted_error before fit; dimension_mismatch
    /// for another width; invalid_argument for a value other than 0 and 1, two 1s in one
    /// column's block, or a block of zeros in a column without a dropped category (an unknown
    /// category: scikit-learn returns None there).
    template <class X>
        requires detail::model_input<X, T, true>
    [[nodiscard]] std::vector<std::vector<Category>> inverse_transform(const X& x) const {
        constexpr const char* where = "one_hot_encoder::inverse_transform";
        detail::require_fitted(fitted(), where);
        const auto in = detail::model_rows(x, where);
        using In = decltype(in);
        detail::require_fitted_width(in, n_output_features(), where);
        constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
        const std::size_t d = state_.d;
        std::vector<std::vector<Category>> out(in.rows());
        size_vector hit(d, none, rebind<std::size_t>(alloc_));
        for (std::size_t i = 0; i < in.rows(); ++i) {
            std::fill(hit.begin(), hit.end(), none);
            const auto mark = [&](std::size_t c, T v) {
                if (v == T{}) return;
                if (v != T(1)) {
                    detail::throw_argument(where, "X",
                                           "holds " + detail::number_text(static_cast<double>(v)) + " at row " +
                                               std::to_string(i) + ", column " + std::to_string(c) +
                                               ": a one-hot encoding holds only 0 and 1");
                }
                const auto at = std::upper_bound(state_.out_begin.begin(), state_.out_begin.end(), c);
                const auto j = static_cast<std::size_t>(at - state_.out_begin.begin()) - 1;
                if (hit[j] != none) {
                    detail::throw_argument(where, "X",
                                           "row " + std::to_string(i) + " has two 1s in the columns of input column " +
                                               std::to_string(j));
                }
                hit[j] = c - state_.out_begin[j] + (state_.dropped(j) ? 1 : 0);
            };
            if constexpr (detail::is_sparse_input<In>) {
                const auto r = in.row(i);
                for (std::size_t t = 0; t < r.size(); ++t) mark(static_cast<std::size_t>(r.indices[t]), r.values[t]);
            } else {
                const auto r = in.row(i);
                for (std::size_t c = 0; c < r.size(); ++c) mark(c, r[c]);
            }
            out[i].reserve(d);
            for (std::size_t j = 0; j < d; ++j) {
                if (hit[j] == none) {
                    if (!state_.dropped(j)) {
                        detail::throw_argument(where, "X",
                                               "row " + std::to_string(i) + " encodes no category of input column " +
                                                   std::to_string(j) + " (all zeros: an unknown category)");
                    }
                    hit[j] = 0;
                }
                out[i].push_back(state_.cats[state_.begin[j] + hit[j]]);
            }
        }
        return out;
    }

    /// Whether the encoder is fitted (after fit or load).
    [[nodiscard]] bool fitted() const noexcept { return state_.d > 0; }
    /// Columns of X at fit (0 before).
    [[nodiscard]] std::size_t n_features() const noexcept { return state_.d; }
    /// Columns of the encoding (0 before fit).
    [[nodiscard]] std::size_t n_output_features() const noexcept { return fitted() ? state_.out_begin.back() : 0; }

    /// The categories of input column j, in encoding order (sorted unless given as text).
    /// Throws not_fitted_error before fit, invalid_argument for j >= n_features().
    [[nodiscard]] std::span<const Category> categories(std::size_t j) const {
        check_column(j, "one_hot_encoder::categories");
        return std::span<const Category>(state_.cats).subspan(state_.begin[j], state_.begin[j + 1] - state_.begin[j]);
    }

    /// The first output column of input column j's block. Throws as categories(j).
    [[nodiscard]] std::size_t out_begin(std::size_t j) const {
        check_column(j, "one_hot_encoder::out_begin");
        return state_.out_begin[j];
    }

    /// The position in categories(j) of the dropped category (always 0), or nothing.
    /// Throws as categories(j).
    [[nodiscard]] std::optional<std::size_t> drop_index(std::size_t j) const {
        check_column(j, "one_hot_encoder::drop_index");
        return state_.dropped(j) ? std::optional<std::size_t>(0) : std::nullopt;
    }

    /// The names of the output columns, `"<input name>_<category>"` (scikit-learn's
    /// get_feature_names_out), with input names x0, x1, ... Throws not_fitted_error before fit.
    [[nodiscard]] std::vector<std::string> feature_names() const {
        detail::require_fitted(fitted(), "one_hot_encoder::feature_names");
        std::vector<std::string> inputs;
        inputs.reserve(state_.d);
        for (std::size_t j = 0; j < state_.d; ++j) inputs.push_back("x" + std::to_string(j));
        return feature_names(inputs);
    }

    /// The same with the given input column names (one per input column; dimension_mismatch
    /// otherwise).
    template <class R>
        requires std::ranges::input_range<const R> && std::convertible_to<std::ranges::range_reference_t<const R>, std::string_view>
    [[nodiscard]] std::vector<std::string> feature_names(const R& input_names) const {
        constexpr const char* where = "one_hot_encoder::feature_names";
        detail::require_fitted(fitted(), where);
        std::vector<std::string> out;
        out.reserve(n_output_features());
        std::size_t j = 0;
        for (auto&& name : input_names) {
            if (j < state_.d) {
                const std::string_view prefix(name);
                for (std::size_t k = state_.dropped(j) ? 1 : 0; k < state_.count(j); ++k) {
                    std::string n(prefix);
                    n += '_';
                    if constexpr (text) {
                        n += state_.cats[state_.begin[j] + k];
                    } else {
                        n += std::to_string(state_.cats[state_.begin[j] + k]);
                    }
                    out.push_back(std::move(n));
                }
            }
            ++j;
        }
        if (j != state_.d) {
            detail::throw_argument<dimension_mismatch>(where, "input_names",
                                                       "has " + std::to_string(j) + " names for " +
                                                           std::to_string(state_.d) + " input columns");
        }
        return out;
    }

    /// The options given at construction (or read by load).
    [[nodiscard]] const options& get_options() const noexcept { return options_; }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    static constexpr const char* archive_kind = "one_hot_encoder";  ///< model kind in archives

    /// The archive header that save writes and load expects: kind, payload version, types.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, 1, archive_type<T>::tag, type_tag_of<Index>};
    }

    /// Writes the category type, the options and the categories of every column (save calls
    /// it). Throws not_fitted_error before fit.
    void write_to(archive_writer& w) const {
        detail::require_fitted(fitted(), "one_hot_encoder::write_to");
        w.write_string(detail::label_type_name<Category>());
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.handle_unknown));
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.drop));
        w.write<std::uint8_t>(options_.categories.empty() ? 0 : 1);
        w.write<std::uint64_t>(state_.d);
        for (std::size_t j = 0; j < state_.d; ++j) {
            const auto column = categories(j);
            if constexpr (text) {
                w.write<std::uint64_t>(column.size());
                for (const std::string& c : column) w.write_string(c);
            } else {
                w.write_span(column);
            }
        }
    }

    /// Reads what write_to wrote. Throws format_error for another category type, flags out of
    /// range, empty or repeated (or, for integers, unsorted) categories, truncation.
    [[nodiscard]] static one_hot_encoder read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "one_hot_encoder::read_from";
        const std::string saved = r.read_string("category_type");
        const std::string expected = detail::label_type_name<Category>();
        if (saved != expected) {
            r.fail(std::string(where) + ": saved with categories of type '" + saved + "', loading as '" + expected + "'");
        }
        const auto unknown = r.read<std::uint8_t>("handle_unknown");
        const auto drop = r.read<std::uint8_t>("drop");
        const auto given = r.read<std::uint8_t>("given_categories");
        if (unknown > static_cast<std::uint8_t>(unknown_category::ignore) ||
            drop > static_cast<std::uint8_t>(drop_category::if_binary) || given > 1) {
            r.fail(std::string(where) + ": handle_unknown, drop or given_categories is out of range");
        }
        one_hot_encoder e(options{static_cast<unknown_category>(unknown), static_cast<drop_category>(drop), {}}, alloc);
        state s(alloc);
        // Every column takes at least its 8-byte category count.
        s.d = r.read_count("n_features", sizeof(std::uint64_t));
        if (s.d == 0) r.fail(std::string(where) + ": no features");
        s.drop = e.options_.drop;
        for (std::size_t j = 0; j < s.d; ++j) {
            s.begin.push_back(s.cats.size());
            if constexpr (text) {
                const std::size_t n = r.read_count("categories", sizeof(std::uint64_t));
                for (std::size_t k = 0; k < n; ++k) s.cats.push_back(r.read_string("categories"));
            } else {
                const auto column = r.read_vector<Category, rebind<Category>>("categories", rebind<Category>(alloc));
                s.cats.insert(s.cats.end(), column.begin(), column.end());
            }
        }
        s.begin.push_back(s.cats.size());
        r.expect_end();
        // Learnt categories are always sorted; given ones are when they are integers.
        if (const std::string problem = s.index(given == 0 || !text); !problem.empty()) {
            r.fail(std::string(where) + ": " + problem);
        }
        if (s.out_begin.back() > static_cast<std::size_t>(std::numeric_limits<Index>::max())) {
            r.fail(std::string(where) + ": more output columns than the index type can number");
        }
        if (given == 1) {
            for (std::size_t j = 0; j < s.d; ++j) {
                e.options_.categories.emplace_back(s.cats.begin() + static_cast<std::ptrdiff_t>(s.begin[j]),
                                                   s.cats.begin() + static_cast<std::ptrdiff_t>(s.begin[j + 1]));
            }
        }
        e.state_ = std::move(s);
        return e;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp).
    void save(const std::filesystem::path& path) const { save_archive(*this, path); }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error.
    [[nodiscard]] static one_hot_encoder load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<one_hot_encoder>(path, alloc);
    }

private:
    // The fitted encoding: the categories of all columns back to back (column j's at
    // [begin[j], begin[j + 1])), their positions in sorted order per column (for look-ups, as
    // given text categories keep their order), and the first output column of every column.
    struct state {
        explicit state(const Allocator& alloc)
            : cats(rebind<Category>(alloc)), begin(rebind<std::size_t>(alloc)), order(rebind<std::size_t>(alloc)),
              out_begin(rebind<std::size_t>(alloc)) {}

        std::size_t d = 0;
        drop_category drop = drop_category::none;
        category_vector cats;
        size_vector begin, order, out_begin;

        [[nodiscard]] std::size_t count(std::size_t j) const noexcept { return begin[j + 1] - begin[j]; }
        [[nodiscard]] bool dropped(std::size_t j) const noexcept {
            return drop == drop_category::first || (drop == drop_category::if_binary && count(j) == 2);
        }

        // Fills order and out_begin from cats and begin; returns what is wrong with the
        // categories (none in a column, a repetition, or with sorted, a decrease), or "".
        [[nodiscard]] std::string index(bool sorted) {
            order.assign(cats.size(), 0);
            out_begin.assign(d + 1, 0);
            for (std::size_t j = 0; j < d; ++j) {
                const std::size_t b = begin[j];
                const std::size_t n = count(j);
                if (n == 0) return "column " + std::to_string(j) + " has no categories";
                const auto first = order.begin() + static_cast<std::ptrdiff_t>(b);
                std::iota(first, first + static_cast<std::ptrdiff_t>(n), std::size_t{0});
                if (!sorted) {
                    std::sort(first, first + static_cast<std::ptrdiff_t>(n), [&](std::size_t p, std::size_t q) {
                        return detail::label_less{}(cats[b + p], cats[b + q]);
                    });
                }
                for (std::size_t k = 1; k < n; ++k) {
                    const Category& lo = cats[b + order[b + k - 1]];
                    const Category& hi = cats[b + order[b + k]];
                    if (!detail::label_less{}(lo, hi)) {
                        return "column " + std::to_string(j) + (lo == hi ? " repeats the category " : " is not sorted at ") +
                               detail::label_to_string(hi);
                    }
                }
                out_begin[j + 1] = out_begin[j] + n - (dropped(j) ? 1 : 0);
            }
            return {};
        }

        // The position in column j's categories of `cell`, or nothing.
        template <class E>
        [[nodiscard]] std::optional<std::size_t> find(std::size_t j, const E& cell) const {
            const std::size_t b = begin[j];
            const auto first = order.begin() + static_cast<std::ptrdiff_t>(b);
            const auto last = first + static_cast<std::ptrdiff_t>(count(j));
            const auto look = [&](const auto& key) -> std::optional<std::size_t> {
                const auto it = std::lower_bound(first, last, key, [&](std::size_t p, const auto& k) {
                    return detail::label_less{}(cats[b + p], k);
                });
                if (it == last || detail::label_less{}(key, cats[b + *it])) return std::nullopt;
                return *it;
            };
            if constexpr (text) {
                return look(std::string_view(cell));
            } else {
                if (!std::in_range<Category>(cell)) return std::nullopt;
                return look(static_cast<Category>(cell));
            }
        }
    };

    void check_options(std::size_t d, const char* where) const {
        if (static_cast<std::uint8_t>(options_.handle_unknown) > static_cast<std::uint8_t>(unknown_category::ignore)) {
            detail::throw_argument(where, "options.handle_unknown", "is not an unknown_category");
        }
        if (static_cast<std::uint8_t>(options_.drop) > static_cast<std::uint8_t>(drop_category::if_binary)) {
            detail::throw_argument(where, "options.drop", "is not a drop_category");
        }
        if (!options_.categories.empty() && options_.categories.size() != d) {
            detail::throw_argument<dimension_mismatch>(where, "options.categories",
                                                       "has " + std::to_string(options_.categories.size()) +
                                                           " lists of categories but X has " + std::to_string(d) +
                                                           " columns");
        }
    }

    // The sorted distinct values of every column. Keys view the caller's strings when rows and
    // cells are lvalues (they outlive fit), and copy them otherwise.
    template <class X>
    void learn(const X& x, const detail::category_table_shape& shape, state& s, const char* where) const {
        constexpr bool stable = detail::stable_category_cells<X>;
        using key = std::conditional_t<text, std::conditional_t<stable, std::string_view, std::string>, Category>;
        // Column-major, so that each column's keys are one contiguous run to sort.
        std::vector<key, rebind<key>> keys(shape.n * shape.d, key{}, rebind<key>(alloc_));
        detail::for_each_category_cell(x, [&](std::size_t i, std::size_t j, const auto& cell) {
            if constexpr (text) {
                keys[j * shape.n + i] = key(std::string_view(cell));
            } else {
                if (!std::in_range<Category>(cell)) {
                    detail::throw_argument(where, "X",
                                           "holds " + detail::label_to_string(cell) + " at row " + std::to_string(i) +
                                               ", column " + std::to_string(j) + ", outside the range of the category type");
                }
                keys[j * shape.n + i] = static_cast<Category>(cell);
            }
        }, [](std::size_t) {});
        for (std::size_t j = 0; j < shape.d; ++j) {
            const auto first = keys.begin() + static_cast<std::ptrdiff_t>(j * shape.n);
            const auto last = first + static_cast<std::ptrdiff_t>(shape.n);
            std::sort(first, last);
            const auto distinct_end = std::unique(first, last);
            s.begin.push_back(s.cats.size());
            for (auto it = first; it != distinct_end; ++it) s.cats.push_back(Category(*it));
        }
        s.begin.push_back(s.cats.size());
        [[maybe_unused]] const std::string problem = s.index(true);
        TESSERA_ASSERT(problem.empty());
    }

    template <class X>
    [[nodiscard]] detail::category_table_shape checked_shape(const X& x, const char* where) const {
        detail::require_fitted(fitted(), where);
        const auto shape = detail::category_shape(x, where);
        detail::require_fitted_width(shape, state_.d, where);
        return shape;
    }

    // Calls one(i, c) for every output column c set in row i, then end_row(i), row by row.
    template <class X, class One, class EndRow>
    void encode(const X& x, const char* where, One&& one, EndRow&& end_row) const {
        const auto cell_of = [&](std::size_t i, std::size_t j, const auto& cell) {
            const auto p = state_.find(j, cell);
            if (!p) {
                if (options_.handle_unknown == unknown_category::error) {
                    detail::throw_argument(where, "X",
                                           "holds the unknown category " + detail::label_to_string(cell) + " at row " +
                                               std::to_string(i) + ", column " + std::to_string(j) +
                                               " (handle_unknown is error)");
                }
                return;
            }
            const bool dropped = state_.dropped(j);
            if (dropped && *p == 0) return;
            one(i, state_.out_begin[j] + *p - (dropped ? 1 : 0));
        };
        detail::for_each_category_cell(x, cell_of, end_row);
    }

    void check_column(std::size_t j, const char* where) const {
        detail::require_fitted(fitted(), where);
        if (j >= state_.d) {
            detail::throw_argument(where, "j",
                                   "is " + std::to_string(j) + " but there are " + std::to_string(state_.d) +
                                       " input columns");
        }
    }

    options options_;
    Allocator alloc_;
    state state_;
};

}  // namespace tessera
