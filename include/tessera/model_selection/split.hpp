/// \file
/// tessera/model_selection/split.hpp - seeded train/test splits, plain and stratified, and the
/// row subsets they select (dense rows, CSR matrices, labels, documents).
///
/// ```cpp
///   const auto s = tessera::stratified_train_test_split(labels, {.test_fraction = 0.25, .seed = 42});
///   auto x_train = tessera::take_rows(x, s.train);
///   auto y_train = tessera::take(labels, s.train);
/// ```
///
/// A split is a pair of sorted index lists, so it applies to any data the caller holds (rows,
/// labels, documents, weights) without copying them first. The same options give the same split
/// on every platform and thread count: the draws come from tessera::random_engine, whose
/// sequence is fixed (core/random.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/concepts.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/random.hpp"

namespace tessera {

/// How a train/test split is drawn.
struct split_options {
    /// The share of rows that goes to the test set: the test set has ceil(test_fraction * n)
    /// rows (scikit-learn's rounding). Must lie in (0, 1) and leave both sets non-empty.
    double test_fraction = 0.25;
    /// The seed of the random_engine that draws the split.
    std::uint64_t seed = random_engine::default_seed;
};

/// Row indices of a split; each list is sorted ascending, and together they hold 0..n-1 once.
struct train_test_indices {
    std::vector<std::size_t> train;  ///< rows to fit on
    std::vector<std::size_t> test;   ///< rows to evaluate on
};

namespace detail {
/// \cond

inline std::size_t test_rows(std::size_t n, const split_options& options, const char* where) {
    if (!(options.test_fraction > 0 && options.test_fraction < 1)) {
        throw_argument(where, "options.test_fraction",
                       "must lie strictly between 0 and 1, got " + std::to_string(options.test_fraction));
    }
    if (n < 2) throw_argument(where, "n", "a split needs at least 2 rows, got " + std::to_string(n));
    const auto t = static_cast<std::size_t>(std::ceil(options.test_fraction * static_cast<double>(n)));
    if (t >= n) {
        throw_argument(where, "options.test_fraction",
                       std::to_string(options.test_fraction) + " of " + std::to_string(n) +
                           " rows leaves no training row");
    }
    return t;
}

// Marks the chosen test rows and returns both sorted lists.
inline train_test_indices split_from_mask(const std::vector<bool>& in_test) {
    train_test_indices out;
    for (std::size_t i = 0; i < in_test.size(); ++i) (in_test[i] ? out.test : out.train).push_back(i);
    return out;
}

/// \endcond
}  // namespace detail

/// A uniformly random split of the rows 0..n-1: a random permutation (tessera::permutation with
/// random_engine(options.seed)) whose first ceil(test_fraction * n) entries are the test rows.
/// O(n). Throws invalid_argument for n < 2 or a test_fraction outside (0, 1) or one that leaves
/// no training row.
[[nodiscard]] inline train_test_indices train_test_split(std::size_t n, const split_options& options = {}) {
    const auto t = detail::test_rows(n, options, "train_test_split");
    random_engine rng(options.seed);
    const auto p = permutation(n, rng);
    std::vector<bool> in_test(n, false);
    for (std::size_t i = 0; i < t; ++i) in_test[p[i]] = true;
    return detail::split_from_mask(in_test);
}

/// A random split that keeps each class's share in both sets, for labels given as any label
/// range. The test set has T = ceil(test_fraction * n) rows; class c (classes in sorted order,
/// n_c rows) gets floor(T * n_c / n) of them, and the T - sum(floor) rows left over go one each
/// to the classes with the largest remainders (T * n_c mod n), the smaller class on a tie. Then,
/// class by class in sorted order, the class's rows (ascending) are shuffled with one
/// random_engine(options.seed) (tessera::shuffle) and the first ones go to the test set.
/// The rule uses integers only, so the split is reproducible anywhere from this description.
/// O(n log n). Throws as train_test_split, and invalid_argument for an empty label range.
template <label_range Y>
[[nodiscard]] train_test_indices stratified_train_test_split(const Y& labels, const split_options& options = {}) {
    constexpr const char* where = "stratified_train_test_split";
    label_encoder<std::ranges::range_value_t<Y>> encoder;
    encoder.fit(labels);  // throws for an empty range
    const auto codes = encoder.encode(labels, where, "labels");
    const auto n = codes.size();
    const auto t = detail::test_rows(n, options, where);
    const auto k = encoder.n_classes();
    std::vector<std::vector<std::size_t>> members(k);
    for (std::size_t i = 0; i < n; ++i) members[codes[i]].push_back(i);

    std::vector<std::size_t> quota(k);
    std::vector<std::size_t> remainder(k);
    std::size_t given = 0;
    for (std::size_t c = 0; c < k; ++c) {
        // t * n_c <= n * n fits 64 bits for any n a std::vector can index on 64-bit platforms;
        // on 32-bit size_t the product is formed in 64 bits.
        const auto num = static_cast<std::uint64_t>(t) * static_cast<std::uint64_t>(members[c].size());
        quota[c] = static_cast<std::size_t>(num / n);
        remainder[c] = static_cast<std::size_t>(num % n);
        given += quota[c];
    }
    std::vector<std::size_t> order(k);
    for (std::size_t c = 0; c < k; ++c) order[c] = c;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
    for (std::size_t r = 0; given < t; ++r, ++given) ++quota[order[r]];

    random_engine rng(options.seed);
    std::vector<bool> in_test(n, false);
    for (std::size_t c = 0; c < k; ++c) {
        shuffle(members[c].begin(), members[c].end(), rng);
        for (std::size_t i = 0; i < quota[c]; ++i) in_test[members[c][i]] = true;
    }
    return detail::split_from_mask(in_test);
}

/// The rows `index` of a dense input, copied into a new matrix in that order. O(index.size() *
/// cols). Throws invalid_argument naming the first index that is out of range.
template <dense_input X, class Allocator = std::allocator<dense_value_t<X>>>
[[nodiscard]] dense_matrix<dense_value_t<X>, Allocator> take_rows(const X& x, std::span<const std::size_t> index,
                                                                  const Allocator& alloc = Allocator()) {
    const auto rows = as_rows(x, "take_rows", "x");
    dense_matrix<dense_value_t<X>, Allocator> out(index.size(), rows.cols(), row_padding::aligned, alloc);
    for (std::size_t i = 0; i < index.size(); ++i) {
        if (index[i] >= rows.rows()) {
            detail::throw_argument("take_rows", "index",
                                   "entry " + std::to_string(i) + " is " + std::to_string(index[i]) +
                                       " but x has " + std::to_string(rows.rows()) + " rows");
        }
        const auto src = rows.row(index[i]);
        std::copy(src.begin(), src.end(), out.row(i).begin());
    }
    return out;
}

/// The elements `index` of a random-access range (labels, documents, weights), in that order.
/// Throws invalid_argument naming the first index that is out of range.
template <std::ranges::random_access_range R>
    requires std::ranges::sized_range<R>
[[nodiscard]] std::vector<std::ranges::range_value_t<R>> take(const R& values, std::span<const std::size_t> index) {
    std::vector<std::ranges::range_value_t<R>> out;
    out.reserve(index.size());
    const auto n = static_cast<std::size_t>(std::ranges::size(values));
    for (std::size_t i = 0; i < index.size(); ++i) {
        if (index[i] >= n) {
            detail::throw_argument("take", "index",
                                   "entry " + std::to_string(i) + " is " + std::to_string(index[i]) +
                                       " but the range has " + std::to_string(n) + " elements");
        }
        out.push_back(std::ranges::begin(values)[static_cast<std::ranges::range_difference_t<R>>(index[i])]);
    }
    return out;
}

/// The rows `index` of a CSR view, in that order, as a new CSR matrix (each row's entries are
/// copied as stored). O(index.size() + nnz of the chosen rows). Throws invalid_argument naming
/// the first index that is out of range, or when the chosen rows hold more entries than Index
/// can count (possible when rows repeat).
template <class T, class Index, class Allocator = std::allocator<std::remove_cv_t<T>>>
[[nodiscard]] csr_matrix<std::remove_cv_t<T>, Index, Allocator> take_rows(csr_view<T, Index> x,
                                                                           std::span<const std::size_t> index,
                                                                           const Allocator& alloc = Allocator()) {
    using out_type = csr_matrix<std::remove_cv_t<T>, Index, Allocator>;
    std::size_t nnz = 0;
    for (std::size_t i = 0; i < index.size(); ++i) {
        if (index[i] >= x.rows()) {
            detail::throw_argument("take_rows", "index",
                                   "entry " + std::to_string(i) + " is " + std::to_string(index[i]) +
                                       " but x has " + std::to_string(x.rows()) + " rows");
        }
        nnz += x.row(index[i]).size();
    }
    detail::require_index_range<Index>(index.size(), x.cols(), nnz, "take_rows");
    const typename out_type::index_vector::allocator_type index_alloc(alloc);
    typename out_type::index_vector indptr(index.size() + 1, Index{0}, index_alloc);
    typename out_type::index_vector indices(index_alloc);
    typename out_type::value_vector values(alloc);
    indices.reserve(nnz);
    values.reserve(nnz);
    for (std::size_t i = 0; i < index.size(); ++i) {
        const auto r = x.row(index[i]);
        indices.insert(indices.end(), r.indices.begin(), r.indices.end());
        values.insert(values.end(), r.values.begin(), r.values.end());
        indptr[i + 1] = static_cast<Index>(indices.size());
    }
    return out_type(index.size(), x.cols(), std::move(indptr), std::move(indices), std::move(values));
}

/// The same for an owning CSR matrix; the result uses a copy of its allocator.
template <class T, class Index, class Allocator>
[[nodiscard]] csr_matrix<T, Index, Allocator> take_rows(const csr_matrix<T, Index, Allocator>& x,
                                                         std::span<const std::size_t> index) {
    return take_rows(x.view(), index, x.get_allocator());
}

namespace detail {
/// \cond

template <class X>
inline constexpr bool is_csr = false;
template <class T, class Index>
inline constexpr bool is_csr<csr_view<T, Index>> = true;
template <class T, class Index, class Allocator>
inline constexpr bool is_csr<csr_matrix<T, Index, Allocator>> = true;

/// What subset() accepts: a CSR view or matrix, a dense input, or a sized random-access range.
template <class X>
concept subsettable = is_csr<std::remove_cvref_t<X>> || dense_input<X> ||
                      (std::ranges::random_access_range<const X> && std::ranges::sized_range<const X>);

// The rows `index` of any training input: CSR rows as a csr_matrix, dense rows as a
// dense_matrix, elements of any other random-access range (labels, documents) as a std::vector.
// A range of numeric rows counts as dense, so it becomes a matrix, never a vector of vectors.
template <subsettable X>
[[nodiscard]] auto subset(const X& x, std::span<const std::size_t> index) {
    if constexpr (is_csr<std::remove_cvref_t<X>>) {
        return take_rows(x, index);
    } else if constexpr (dense_input<X>) {
        return take_rows(x, index);
    } else {
        return take(x, index);
    }
}

// How many rows subset() can choose from (for a dense range of rows, after checking that the
// rows have equal lengths).
template <subsettable X>
[[nodiscard]] std::size_t subset_size(const X& x, const char* where, const char* arg) {
    if constexpr (is_csr<std::remove_cvref_t<X>>) {
        return x.rows();
    } else if constexpr (dense_input<X>) {
        return as_rows(x, where, arg).rows();
    } else {
        return static_cast<std::size_t>(std::ranges::size(x));
    }
}

/// \endcond
}  // namespace detail

/// The type detail::subset gives for an input of type X: csr_matrix for a CSR view or matrix,
/// dense_matrix for dense rows, std::vector of the elements for any other random-access range.
/// A scorer given to cross_validate or grid_search receives the test rows in these types.
template <detail::subsettable X>
using subset_t = decltype(detail::subset(std::declval<const X&>(), std::span<const std::size_t>{}));

}  // namespace tessera
