/// \file
/// tessera/compose/roles.hpp - the roles a model can play, as concepts.
///
/// ```cpp
///   static_assert(tessera::probabilistic_classifier<tessera::gaussian_nb<int>>);
///   static_assert(tessera::transformer<tessera::standard_scaler<double>>);
///   static_assert(!tessera::classifier<tessera::standard_scaler<double>>);
/// ```
///
/// Every concept takes the model type M and the data it is used with: X (the rows a model
/// reads) and, for supervised roles, Y (the labels or targets). X and Y default to what a
/// tessera model of element type M::value_type and label type M::label_type reads most
/// often: a dense_matrix<M::value_type> and a std::vector<M::label_type> (std::vector<double>
/// for regressors). Name X explicitly for other data: classifier<multinomial_nb<int>,
/// csr_matrix<double, std::int32_t>> is a check for sparse input, transformer<count_vectorizer<>,
/// std::vector<std::string>> one for documents.
///
/// The concepts check what a generic algorithm calls (cross_validate, grid_search, pipeline,
/// the streaming functions), nothing about names or base classes: a user's type that has the
/// members composes with tessera's pieces exactly as tessera's own models do. The test
/// tests/test_compose_roles.cpp lists which concepts each tessera model satisfies.
#pragma once

#include <concepts>
#include <cstddef>
#include <filesystem>
#include <ranges>
#include <type_traits>
#include <vector>

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"

namespace tessera {

namespace detail {
/// \cond

template <class M>
struct default_rows {
    using type = dense_matrix<double>;
};
template <class M>
    requires requires { typename M::value_type; } && storage_element<typename M::value_type>
struct default_rows<M> {
    using type = dense_matrix<typename M::value_type>;
};

template <class M>
struct default_labels {
    using type = std::vector<int>;
};
template <class M>
    requires requires { typename M::label_type; }
struct default_labels<M> {
    using type = std::vector<typename M::label_type>;
};

// What a member of a pipeline whose steps cannot take the data declares as its result (see
// compose/pipeline.hpp): the roles below refuse it, so that a broken pipeline models nothing,
// while calling it still reports the broken step by a static_assert.
struct ill_formed_composition {};

template <class R>
concept usable_result = !std::same_as<std::remove_cvref_t<R>, ill_formed_composition>;

// A result that holds rows (a transform's output, or predict_proba's): a dense matrix, a CSR
// matrix, or a range of rows.
template <class R>
concept row_result = usable_result<R> && !std::is_void_v<R>;

template <class R>
concept prediction_range = std::ranges::sized_range<R> && usable_result<R>;

/// \endcond
}  // namespace detail

/// The rows a concept checks a model M against when X is not named: dense_matrix<M::value_type>
/// (dense_matrix<double> for a model without value_type).
template <class M>
using default_rows_t = typename detail::default_rows<M>::type;

/// The labels a concept checks a model M against when Y is not named: std::vector<M::label_type>
/// (std::vector<int> for a model without label_type).
template <class M>
using default_labels_t = typename detail::default_labels<M>::type;

/// Learns from X alone and maps X to new rows: fit(x), then transform(x) returns the rows
/// (dense or CSR). Scalers, encoders, imputers, the text vectorizers.
template <class M, class X = default_rows_t<M>>
concept transformer = std::copy_constructible<M> && requires(M& m, const M& cm, const X& x) {
    { m.fit(x) } -> detail::usable_result;
    { cm.transform(x) } -> detail::row_result;
};

/// Learns from X and targets y: fit(x, y).
template <class M, class X = default_rows_t<M>, class Y = default_labels_t<M>>
concept supervised = std::copy_constructible<M> && requires(M& m, const X& x, const Y& y) {
    { m.fit(x, y) } -> detail::usable_result;
};

/// A supervised model that predicts one label of M::label_type per row and lists its classes.
template <class M, class X = default_rows_t<M>, class Y = default_labels_t<M>>
concept classifier = supervised<M, X, Y> && requires(const M& cm, const X& x) {
    typename M::label_type;
    { cm.predict(x) } -> detail::prediction_range;
    requires std::same_as<std::ranges::range_value_t<decltype(cm.predict(x))>, typename M::label_type>;
    { cm.classes() } -> std::ranges::sized_range;
};

/// A classifier that also gives class probabilities: predict_proba(x), one row per row of X and
/// one column per class, in the order of classes().
template <class M, class X = default_rows_t<M>, class Y = default_labels_t<M>>
concept probabilistic_classifier = classifier<M, X, Y> && requires(const M& cm, const X& x) {
    { cm.predict_proba(x) } -> detail::row_result;
};

/// A supervised model that predicts a real number per row (and has no classes()).
template <class M, class X = default_rows_t<M>, class Y = std::vector<double>>
concept regressor = supervised<M, X, Y> && !requires(const M& cm) { cm.classes(); } &&
                    requires(const M& cm, const X& x) {
                        { cm.predict(x) } -> detail::prediction_range;
                        requires std::floating_point<std::ranges::range_value_t<decltype(cm.predict(x))>>;
                    };

/// A model with a score(x, y) (accuracy for classifiers, R² for regressors): what
/// cross_validate and grid_search use unless given another scorer.
template <class M, class X = default_rows_t<M>, class Y = default_labels_t<M>>
concept scorable = requires(const M& cm, const X& x, const Y& y) {
    { cm.score(x, y) } -> std::convertible_to<double>;
};

/// Learns incrementally: partial_fit(x, y) folds one more batch into the fitted state, so a
/// data set larger than memory can be learnt batch by batch.
template <class M, class X = default_rows_t<M>, class Y = default_labels_t<M>>
concept incremental = supervised<M, X, Y> && requires(M& m, const X& x, const Y& y) {
    { m.partial_fit(x, y) } -> detail::usable_result;
};

/// Saves and loads itself through the versioned archive of core/archive.hpp: a static header()
/// naming its kind and types, write_to(writer), a static read_from(reader), and the file forms
/// save(path) and load(path).
template <class M>
concept serializable = requires(const M& cm, archive_writer& w, archive_reader& r, const std::filesystem::path& p) {
    { M::header() } -> std::same_as<archive_header>;
    cm.write_to(w);
    { M::read_from(r) } -> std::same_as<M>;
    cm.save(p);
    { M::load(p) } -> std::same_as<M>;
};

/// Ranks items for a user: recommend(user, n) returns the user's n best items, best first, as a
/// sized range, and n_users() / n_items() give the id ranges. Matrix-factorization models model
/// it; a user's own ranker that has these members plugs into the same evaluation code.
template <class M>
concept recommender = requires(const M& cm, std::size_t user, std::size_t n) {
    { cm.recommend(user, n) } -> std::ranges::sized_range;
    { cm.n_users() } -> std::convertible_to<std::size_t>;
    { cm.n_items() } -> std::convertible_to<std::size_t>;
};

}  // namespace tessera
