/// \file
/// tessera/compose/pipeline.hpp - steps fitted and applied in order, as one model.
///
/// ```cpp
///   auto model = tessera::make_pipeline(tessera::standard_scaler<double>(),
///                                       tessera::logistic_regression<int>({.C = 0.5}));
///   model.fit(x_train, y_train);              // scaler.fit_transform, then the model's fit
///   auto labels = model.predict(x_test);      // scaler.transform, then the model's predict
///   model.save("spam.tsra");                  // every step, one archive
/// ```
///
/// or, equivalently, tessera::standard_scaler<double>() | tessera::logistic_regression<int>().
///
/// A pipeline<Steps...> holds its steps by value in a std::tuple. Every step but the last is a
/// transformer (fit(x), transform(x)); the last step may be anything: a classifier, a regressor,
/// another transformer. The type each step receives is the type the step before it returns, so
/// the whole chain is resolved at compile time, with no type erasure and no virtual call: a
/// pipeline costs what calling its steps by hand costs.
///
/// It is a model of the last step's roles (compose/roles.hpp): a classifier when the last step
/// classifies the rows it receives, probabilistic when the last step has predict_proba, a
/// transformer when every step transforms, serializable when every step is. Members that the
/// last step lacks do not exist (their constraints fail), so concepts see the truth.
///
/// Mistakes of composition are compile errors: a classifier before the last step, a step fed
/// sparse rows that reads dense rows only, a float step after a double one. Calling fit, predict,
/// predict_proba or transform on such a pipeline stops at a static_assert that names the problem
/// ("tessera::pipeline: ..."); the compiler's instantiation trace shows which step.
///
/// Thread safety: as for the steps: const members (predict, transform, save...) may run
/// concurrently when the steps' const members may; fit must not run alongside anything else.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/compose/roles.hpp"
#include "tessera/compose/stream.hpp"
#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/estimator.hpp"

namespace tessera {

template <class... Steps>
class pipeline;

namespace detail {
/// \cond

// The "output" of a step that cannot transform what it receives: every later stage is this too,
// so only the first broken step is reported.
struct no_stage {};

template <class S, class In>
struct step_output {
    using type = no_stage;
};
template <class S, class In>
    requires(!std::same_as<In, no_stage>) && requires(const S& s, const In& x) {
        { s.transform(x) } -> row_result;
    }
struct step_output<S, In> {
    using type = std::remove_cvref_t<decltype(std::declval<const S&>().transform(std::declval<const In&>()))>;
};

template <std::size_t I, class X, class Tuple>
struct stage {
    using type = typename step_output<std::tuple_element_t<I - 1, Tuple>, typename stage<I - 1, X, Tuple>::type>::type;
};
template <class X, class Tuple>
struct stage<0, X, Tuple> {
    using type = X;
};

template <class T>
inline constexpr bool dependent_false = false;

template <class In>
struct stage_element {
    using type = void;
};
template <class In>
    requires dense_input<In>
struct stage_element<In> {
    using type = dense_value_t<In>;
};
template <class In>
    requires csr_traits<In>::value
struct stage_element<In> {
    using type = typename csr_traits<In>::value_type;
};

// Whether explain_step_input has a specific message for S receiving In (sparse rows for a
// dense-only step, or another element type), so that the general message stays quiet.
template <class S, class In>
inline constexpr bool input_explained = [] {
    using E = typename stage_element<In>::type;
    if constexpr (requires { typename S::value_type; }) {
        return !std::is_void_v<E> && (csr_traits<In>::value || !std::same_as<E, typename S::value_type>);
    } else {
        return false;
    }
}();

// Explains why step S cannot take the rows In it receives (one static_assert fires): the
// messages a user reads when a pipeline is composed wrongly.
template <class S, class In>
constexpr void explain_step_input() {
    using E = typename stage_element<In>::type;
    if constexpr (std::same_as<In, no_stage>) {
        // An earlier step was reported already.
    } else if constexpr (csr_traits<In>::value &&
                         requires { typename S::value_type; } && std::same_as<E, typename S::value_type>) {
        static_assert(dependent_false<S>,
                      "tessera::pipeline: a step receives sparse (CSR) rows from the step before it but reads "
                      "dense rows only: use a model that takes CSR input (naive Bayes, logistic_regression) or "
                      "a step that produces dense rows");
    } else if constexpr (!std::is_void_v<E> && requires { typename S::value_type; } &&
                         !std::same_as<E, typename S::value_type>) {
        static_assert(dependent_false<S>,
                      "tessera::pipeline: a step receives rows of another element type than its value_type "
                      "(float after double, or double after float): give neighbouring steps the same T");
    } else {
        static_assert(dependent_false<S>,
                      "tessera::pipeline: a step cannot take the rows the step before it returns (see the "
                      "instantiation of explain_step_input for the step and the row type)");
    }
}

template <class Tuple, class X, std::size_t... I>
constexpr bool heads_transform(std::index_sequence<I...>) {
    return (transformer<std::tuple_element_t<I, Tuple>, typename stage<I, X, Tuple>::type> && ...);
}

template <class M>
struct pipeline_value_type {};
template <class M>
    requires requires { typename M::value_type; }
struct pipeline_value_type<M> {
    using value_type = typename M::value_type;
};
template <class M>
struct pipeline_label_type {};
template <class M>
    requires requires { typename M::label_type; }
struct pipeline_label_type<M> {
    using label_type = typename M::label_type;
};

template <class T>
struct is_pipeline : std::false_type {};
template <class... S>
struct is_pipeline<pipeline<S...>> : std::true_type {};

template <class S>
[[nodiscard]] bool step_fitted(const S& s) {
    if constexpr (requires { { s.fitted() } -> std::convertible_to<bool>; }) {
        return s.fitted();
    } else {
        return true;
    }
}

/// \endcond
}  // namespace detail

/// Steps fitted and applied in order, as one model (see the header comment).
///
/// Complexity: what the steps cost, plus one intermediate result per step (each transform's
/// output lives until the next step has read it). Exceptions: whatever the steps throw; a failed
/// fit leaves the steps fitted before it refitted and the rest as they were.
template <class... Steps>
class pipeline : public detail::pipeline_value_type<std::tuple_element_t<0, std::tuple<Steps...>>>,
                 public detail::pipeline_label_type<std::tuple_element_t<sizeof...(Steps) - 1, std::tuple<Steps...>>> {
    static_assert(sizeof...(Steps) >= 1, "tessera::pipeline needs at least one step");
    static_assert((std::same_as<Steps, std::remove_cvref_t<Steps>> && ...),
                  "tessera::pipeline holds its steps by value: use make_pipeline, which decays them");

public:
    using steps_type = std::tuple<Steps...>;  ///< the steps, held by value
    /// The number of steps.
    static constexpr std::size_t size = sizeof...(Steps);
    /// Step I's type.
    template <std::size_t I>
    using step_type = std::tuple_element_t<I, steps_type>;
    using last_type = step_type<size - 1>;  ///< the last step's type
    /// What step I receives when the pipeline receives X (detail::no_stage past a broken step).
    template <std::size_t I, class X>
    using stage_t = typename detail::stage<I, X, steps_type>::type;

    /// Whether every step before the last transforms what it receives, for pipeline input X.
    template <class X>
    static constexpr bool heads_valid = detail::heads_transform<steps_type, X>(std::make_index_sequence<size - 1>{});

    /// Default-constructed steps.
    pipeline() = default;
    ///@{
    /// The given steps, in order (fitted or not).
    explicit pipeline(Steps... steps) : steps_(std::move(steps)...) {}
    explicit pipeline(steps_type steps) : steps_(std::move(steps)) {}
    ///@}

    ///@{
    /// Step I (e.g. to read a fitted model's coef()).
    template <std::size_t I>
    [[nodiscard]] step_type<I>& step() noexcept {
        return std::get<I>(steps_);
    }
    template <std::size_t I>
    [[nodiscard]] const step_type<I>& step() const noexcept {
        return std::get<I>(steps_);
    }
    ///@}
    ///@{
    /// The tuple of all steps.
    [[nodiscard]] steps_type& steps() noexcept { return steps_; }
    [[nodiscard]] const steps_type& steps() const noexcept { return steps_; }
    ///@}
    ///@{
    /// The last step.
    [[nodiscard]] last_type& last() noexcept { return std::get<size - 1>(steps_); }
    [[nodiscard]] const last_type& last() const noexcept { return std::get<size - 1>(steps_); }
    ///@}

    /// Whether every step that can say so is fitted.
    [[nodiscard]] bool fitted() const {
        return std::apply([](const auto&... s) { return (detail::step_fitted(s) && ...); }, steps_);
    }

    // ---- fit --------------------------------------------------------------------------------

    /// Fits the steps in order: each step before the last is fitted on what it receives and
    /// transforms it for the next (fit_transform where a step has one); the last step's
    /// fit(z, rest...) receives the final rows and the remaining arguments (labels, sample
    /// weights), or none for a pipeline of transformers.
    template <class X, class... Rest>
        requires heads_valid<X> && requires(last_type& l, const stage_t<size - 1, X>& z, const Rest&... rest) {
            l.fit(z, rest...);
        }
    void fit(const X& x, const Rest&... rest) {
        fit_from<0>(x, rest...);
    }

    // The overload below only turns a misuse into a readable static_assert naming the problem;
    // it is not API, so the reference leaves it out.
    /// \cond
    template <class X, class... Rest>
        requires(!(heads_valid<X> && requires(last_type& l, const stage_t<size - 1, X>& z, const Rest&... rest) {
                     l.fit(z, rest...);
                 }))
    detail::ill_formed_composition fit(const X&, const Rest&...) {
        diagnose<X>();
        static_assert(diagnosed<X>,
                      "tessera::pipeline: the last step has no fit for the rows it receives and the arguments "
                      "given (a classifier needs fit(X, y); a transformer fit(X))");
        return {};
    }
    /// \endcond

    /// fit(x, rest...), returning what transform(x) would: for a pipeline whose steps all
    /// transform. Each step's output on x is computed once.
    template <class X, class... Rest>
        requires heads_valid<X> && requires(last_type& l, const stage_t<size - 1, X>& z, const Rest&... rest) {
            l.fit(z, rest...);
            { l.transform(z) } -> detail::row_result;
        }
    [[nodiscard]] auto fit_transform(const X& x, const Rest&... rest) {
        return fit_transform_from<0>(x, rest...);
    }

    // ---- apply ------------------------------------------------------------------------------

    /// The last step's predict on the transformed rows of x.
    template <class X>
        requires heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) { l.predict(z); }
    [[nodiscard]] auto predict(const X& x) const {
        return through<0>(x, [](const last_type& l, const auto& z) { return l.predict(z); });
    }

    // The overload below only turns a misuse into a readable static_assert naming the problem;
    // it is not API, so the reference leaves it out.
    /// \cond
    template <class X>
        requires(!(heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) { l.predict(z); }))
    detail::ill_formed_composition predict(const X&) const {
        diagnose<X>();
        static_assert(diagnosed<X>,
                      "tessera::pipeline: the last step cannot predict from the rows it receives (a "
                      "transformer has no predict; or the rows do not suit it)");
        return {};
    }
    /// \endcond

    /// Streams the rows of `rows` (any input range of rows, read once) through the pipeline in
    /// batches of options.batch_rows and writes one prediction per row to `out`, in order, in
    /// memory that does not grow with the number of rows. Returns the advanced iterator. See
    /// compose/stream.hpp (predict_each).
    template <std::ranges::input_range R, class Out>
        requires(!std::ranges::range<Out>) && requires(const pipeline& p, R&& rows, Out out) {
            predict_each(p, std::forward<R>(rows), std::move(out));
        }
    Out predict(R&& rows, Out out, const stream_options& options = {}) const {
        return predict_each(*this, std::forward<R>(rows), std::move(out), options);
    }

    /// The last step's predict_proba on the transformed rows of x.
    template <class X>
        requires heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) { l.predict_proba(z); }
    [[nodiscard]] auto predict_proba(const X& x) const {
        return through<0>(x, [](const last_type& l, const auto& z) { return l.predict_proba(z); });
    }

    // The overload below only turns a misuse into a readable static_assert naming the problem;
    // it is not API, so the reference leaves it out.
    /// \cond
    template <class X>
        requires(!(heads_valid<X> &&
                   requires(const last_type& l, const stage_t<size - 1, X>& z) { l.predict_proba(z); }))
    detail::ill_formed_composition predict_proba(const X&) const {
        diagnose<X>();
        static_assert(diagnosed<X>, "tessera::pipeline: the last step has no predict_proba for the rows it receives");
        return {};
    }
    /// \endcond

    /// The last step's predict_log_proba on the transformed rows of x.
    template <class X>
        requires heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) { l.predict_log_proba(z); }
    [[nodiscard]] auto predict_log_proba(const X& x) const {
        return through<0>(x, [](const last_type& l, const auto& z) { return l.predict_log_proba(z); });
    }

    /// The last step's decision_function on the transformed rows of x.
    template <class X>
        requires heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) { l.decision_function(z); }
    [[nodiscard]] auto decision_function(const X& x) const {
        return through<0>(x, [](const last_type& l, const auto& z) { return l.decision_function(z); });
    }

    /// Every step's transform in order: for a pipeline whose steps all transform.
    template <class X>
        requires heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) {
            { l.transform(z) } -> detail::row_result;
        }
    [[nodiscard]] auto transform(const X& x) const {
        return through<0>(x, [](const last_type& l, const auto& z) { return l.transform(z); });
    }

    // The overload below only turns a misuse into a readable static_assert naming the problem;
    // it is not API, so the reference leaves it out.
    /// \cond
    template <class X>
        requires(!(heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z) {
                     { l.transform(z) } -> detail::row_result;
                 }))
    detail::ill_formed_composition transform(const X&) const {
        diagnose<X>();
        static_assert(diagnosed<X>,
                      "tessera::pipeline: the last step is no transformer of the rows it receives (a pipeline "
                      "ending in a classifier predicts; it does not transform)");
        return {};
    }
    /// \endcond

    /// The last step's score(z, y, rest...) on the transformed rows of x (accuracy for a
    /// classifier, R² for a regressor).
    template <class X, class Y, class... Rest>
        requires heads_valid<X> && requires(const last_type& l, const stage_t<size - 1, X>& z, const Y& y, const Rest&... rest) {
            { l.score(z, y, rest...) } -> std::convertible_to<double>;
        }
    [[nodiscard]] double score(const X& x, const Y& y, const Rest&... rest) const {
        return through<0>(x, [&](const last_type& l, const auto& z) { return static_cast<double>(l.score(z, y, rest...)); });
    }

    /// The last step's classes().
    [[nodiscard]] auto classes() const
        requires requires(const last_type& l) { l.classes(); }
    {
        return last().classes();
    }

    // ---- persistence ------------------------------------------------------------------------

    static constexpr const char* archive_kind = "pipeline";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// The archive header: kind "pipeline", no element type (each step's archive carries its own).
    [[nodiscard]] static archive_header header()
        requires(serializable<Steps> && ...)
    {
        return archive_header{archive_kind, schema_version, type_tag::none, type_tag::none};
    }

    /// Writes the number of steps, then every step's own archive (header, payload, checksum) as
    /// one field. Throws what the steps' write_to throw (not_fitted_error for an unfitted step).
    void write_to(archive_writer& w) const
        requires(serializable<Steps> && ...)
    {
        w.write<std::uint64_t>(size);
        std::apply(
            [&](const auto&... s) {
                (write_nested(w, s), ...);
            },
            steps_);
    }

    /// Reads what write_to wrote. Throws format_error for another number of steps, a step of
    /// another kind or type, and whatever the steps' read_from throw.
    [[nodiscard]] static pipeline read_from(archive_reader& r)
        requires(serializable<Steps> && ...)
    {
        const auto n = r.read<std::uint64_t>("steps");
        if (n != size) {
            r.fail("pipeline::read_from: the archive holds " + std::to_string(n) + " steps, this pipeline type has " +
                   std::to_string(size));
        }
        auto steps = read_steps(r, std::make_index_sequence<size>{});
        r.expect_end();
        return pipeline(std::move(steps));
    }

    /// Saves every step to one file (core/archive.hpp). Throws not_fitted_error before fit,
    /// io_error when the file cannot be written.
    void save(const std::filesystem::path& path) const
        requires(serializable<Steps> && ...)
    {
        save_archive(*this, path);
    }

    /// Loads a file written by save for the same step types. Throws io_error or format_error.
    [[nodiscard]] static pipeline load(const std::filesystem::path& path)
        requires(serializable<Steps> && ...)
    {
        return load_archive<pipeline>(path);
    }

private:
    template <std::size_t I, class In, class... Rest>
    void fit_from(const In& in, const Rest&... rest) {
        auto& s = std::get<I>(steps_);
        if constexpr (I + 1 == size) {
            s.fit(in, rest...);
        } else {
            const auto out = fit_step(s, in);
            fit_from<I + 1>(out, rest...);
        }
    }

    // fit_from, returning the last step's transform of what it was fitted on: every step's
    // output is computed once.
    template <std::size_t I, class In, class... Rest>
    auto fit_transform_from(const In& in, const Rest&... rest) {
        auto& s = std::get<I>(steps_);
        if constexpr (I + 1 == size) {
            return fit_step(s, in, rest...);
        } else {
            const auto out = fit_step(s, in);
            return fit_transform_from<I + 1>(out, rest...);
        }
    }

    // Fits step s on `in` and returns its transform of `in`, through fit_transform where the
    // step has one (a vectorizer then tokenizes once).
    template <class S, class In, class... Rest>
    static auto fit_step(S& s, const In& in, const Rest&... rest) {
        if constexpr (requires { s.fit_transform(in, rest...); }) {
            return s.fit_transform(in, rest...);
        } else {
            s.fit(in, rest...);
            return s.transform(in);
        }
    }

    // Runs steps I.. on `in` and hands the last step and its rows to f, whose result is returned:
    // each intermediate result lives in a frame of this recursion until f has read it.
    template <std::size_t I, class In, class F>
    decltype(auto) through(const In& in, F&& f) const {
        if constexpr (I + 1 == size) {
            return f(std::get<I>(steps_), in);
        } else {
            const auto out = std::get<I>(steps_).transform(in);
            return through<I + 1>(out, std::forward<F>(f));
        }
    }

    // Whether the last step can take what it receives for pipeline input X in some role.
    template <class X>
    static constexpr bool last_takes = requires(last_type& s, const stage_t<size - 1, X>& in) { s.fit(in); } ||
                                       requires(const last_type& s, const stage_t<size - 1, X>& in) { s.predict(in); } ||
                                       requires(const last_type& s, const stage_t<size - 1, X>& in) { s.transform(in); };

    // Whether diagnose<X>() fires a specific message; the members' general messages fire otherwise.
    template <class X>
    static constexpr bool diagnosed =
        !heads_valid<X> || (!last_takes<X> && detail::input_explained<last_type, stage_t<size - 1, X>>);

    // Fires the static_assert that explains the first step that cannot take what it receives.
    template <class X, std::size_t I = 0>
    static constexpr void diagnose() {
        if constexpr (I + 1 < size) {
            using S = step_type<I>;
            using In = stage_t<I, X>;
            if constexpr (!std::same_as<In, detail::no_stage> && !transformer<S, In>) {
                if constexpr (requires(const S& s, const In& in) { s.predict(in); }) {
                    static_assert(detail::dependent_false<S>,
                                  "tessera::pipeline: a classifier or regressor sits before the last step; every "
                                  "step but the last must be a transformer (fit(X) and transform(X))");
                } else if constexpr (requires(const S& s, const In& in) { s.transform(in); }) {
                    static_assert(detail::dependent_false<S>,
                                  "tessera::pipeline: a step before the last transforms but cannot be fitted on "
                                  "the rows it receives (no fit(X))");
                } else {
                    detail::explain_step_input<S, In>();
                }
            } else {
                diagnose<X, I + 1>();
            }
        } else {
            using In = stage_t<size - 1, X>;
            if constexpr (!std::same_as<In, detail::no_stage>) {
                if constexpr (!last_takes<X>) detail::explain_step_input<last_type, In>();
            }
        }
    }

    template <std::size_t... I>
    static steps_type read_steps(archive_reader& r, std::index_sequence<I...>) {
        // Braced initialization evaluates the steps in order, as they were written.
        return steps_type{read_step<I>(r)...};
    }

    template <std::size_t I>
    static step_type<I> read_step(archive_reader& r) {
        using S = step_type<I>;
        return read_nested<S>(r, "step " + std::to_string(I), "pipeline step " + std::to_string(I) + " (" + S::header().kind + ")");
    }

    steps_type steps_;
};

/// Deduces the step types: `pipeline(a, b)` is a `pipeline<A, B>` of copies of a and b.
template <class... Steps>
pipeline(Steps...) -> pipeline<Steps...>;

/// A pipeline of copies (or moved values) of the steps, in order. make_pipeline(a, b, c) is
/// pipeline<A, B, C>; a pipeline among the arguments is kept as one step (use | to flatten).
template <class... Steps>
[[nodiscard]] auto make_pipeline(Steps&&... steps) {
    return pipeline<std::remove_cvref_t<Steps>...>(std::forward<Steps>(steps)...);
}

namespace detail {
/// \cond

template <class T>
concept pipeline_operand = std::is_class_v<std::remove_cvref_t<T>> && !std::ranges::range<std::remove_cvref_t<T>> &&
                           std::copy_constructible<std::remove_cvref_t<T>>;

template <class T>
[[nodiscard]] auto as_step_tuple(T&& t) {
    if constexpr (is_pipeline<std::remove_cvref_t<T>>::value) {
        return std::forward<T>(t).steps();
    } else {
        return std::tuple<std::remove_cvref_t<T>>(std::forward<T>(t));
    }
}

template <class... S>
[[nodiscard]] pipeline<S...> pipeline_of(std::tuple<S...>&& steps) {
    return pipeline<S...>(std::move(steps));
}

/// \endcond
}  // namespace detail

/// a | b: the pipeline of a's steps followed by b's (a step that is itself a pipeline contributes
/// its steps). Defined for class types that are not ranges, so it never competes with the
/// standard range adaptors.
template <class A, class B>
    requires detail::pipeline_operand<A> && detail::pipeline_operand<B> &&
             (detail::is_pipeline<std::remove_cvref_t<A>>::value || detail::is_pipeline<std::remove_cvref_t<B>>::value ||
              requires { std::remove_cvref_t<A>::header(); } || requires { std::remove_cvref_t<B>::header(); })
[[nodiscard]] auto operator|(A&& a, B&& b) {
    return detail::pipeline_of(std::tuple_cat(detail::as_step_tuple(std::forward<A>(a)), detail::as_step_tuple(std::forward<B>(b))));
}

}  // namespace tessera
