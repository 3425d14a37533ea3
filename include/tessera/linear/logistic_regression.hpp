/// \file
/// tessera/linear/logistic_regression.hpp - logistic regression: binary, multinomial (softmax)
/// and one-vs-rest, with no penalty, L2, L1 or elastic-net, over dense rows or CSR matrices.
///
/// The objective, in scikit-learn's parametrization (the intercept is never penalized):
///
/// ```
///   C * sum_i s_i * loss_i  +  (1 - rho) / 2 * |W|^2  +  rho * |W|_1
/// ```
///
/// where s_i is the sample weight times the class weight of row i, loss_i the binary logistic
/// loss log(1 + exp(-y_i z_i)) (y_i = +1 / -1) or the multinomial cross-entropy
/// logsumexp_k(z_ik) - z_{i,y_i}, and rho is 0 for L2, 1 for L1, l1_ratio for elastic-net
/// (penalty none drops both terms). W is the coefficient matrix (one row per class, or one row
/// for a binary problem).
///
/// Thread safety: const member functions (predict..., decision_function, score, save, the
/// accessors) may run concurrently; fit must not run alongside anything else on the same model.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
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
#include "tessera/core/parallel.hpp"
#include "tessera/linear/detail/logistic_objective.hpp"
#include "tessera/metrics/classification.hpp"
#include "tessera/optimize/lbfgs.hpp"
#include "tessera/optimize/objective.hpp"
#include "tessera/optimize/owlqn.hpp"
#include "tessera/optimize/trust_region_newton.hpp"

namespace tessera {

/// The penalty on the coefficients.
enum class logistic_penalty : std::uint8_t { none, l2, l1, elastic_net };

/// How more than two classes are learnt. automatic: binary for two classes, multinomial for
/// more. multinomial: one softmax model (K coefficient rows, also for two classes). ovr: one
/// binary model per class against the rest, probabilities normalized to sum to 1.
enum class logistic_multi_class : std::uint8_t { automatic, multinomial, ovr };

/// The built-in minimizers. automatic: trust_region_newton for no penalty or L2, owlqn for L1
/// and elastic-net. lbfgs and trust_region_newton take no L1 term.
enum class logistic_solver : std::uint8_t { automatic, lbfgs, trust_region_newton, owlqn };

/// Options of logistic_regression, validated by fit.
struct logistic_regression_options {
    logistic_penalty penalty = logistic_penalty::l2;  ///< the penalty on the coefficients
    /// Inverse regularization strength: finite, > 0.
    double C = 1.0;
    /// The L1 share rho of elastic-net, in [0, 1] (read only for penalty elastic_net).
    double l1_ratio = 0.5;
    bool fit_intercept = true;  ///< learn an unpenalized intercept per coefficient row
    logistic_multi_class multi_class = logistic_multi_class::automatic;  ///< how classes are learnt
    logistic_solver solver = logistic_solver::automatic;  ///< which built-in minimizer fit uses
    /// Weights each class by n / (n_classes * rows of the class), as scikit-learn's "balanced".
    bool balanced_class_weight = false;
    /// One weight per class, in the order of classes() (the sorted distinct labels); empty:
    /// every class weighs 1. Finite and >= 0. Not together with balanced_class_weight.
    std::vector<double> class_weight{};
    /// Converged when the gradient norm (for L1: of the minimum-norm subgradient) is at most
    /// tol times its norm at zero coefficients. Finite, > 0.
    double tol = 1e-4;
    /// Iterations per minimization (per class for ovr): >= 1.
    std::size_t max_iter = 100;
    /// Start from the current coefficients when the model was fitted with the same classes,
    /// width and form; otherwise from zero.
    bool warm_start = false;
    /// Threads for the passes over X and for predictions (results do not depend on it).
    parallel_options parallel{};
};

namespace detail {
/// \cond

// Binary models keep one coefficient row; multinomial and ovr keep one per class.
enum class logistic_form : std::uint8_t { binary, multinomial, ovr };

[[nodiscard]] inline double log_sigmoid(double z) noexcept { return -logistic_at(z).loss; }

// The objective as the minimizers see it. Construction evaluates it at w = 0 (its gradient
// norm there scales the stopping test); a minimizer that starts from zero, as a cold fit does,
// gets that evaluation back instead of a second pass over X. Only the first call can be
// served so, while the objective's own state still belongs to that point.
template <class F>
class zero_start_objective {
public:
    explicit zero_start_objective(F& f) : f_(f), g0_(f.dimension()) {
        const std::vector<double> zero(f.dimension(), 0.0);
        f0_ = f_.value_and_gradient(zero, g0_);
    }
    [[nodiscard]] double gradient_norm_at_zero() const noexcept { return optimize::detail::norm2(g0_); }
    [[nodiscard]] std::size_t dimension() const noexcept { return f_.dimension(); }
    double value_and_gradient(std::span<const double> w, std::span<double> g) {
        const bool reuse = first_ && std::ranges::all_of(w, [](double v) { return v == 0; });
        first_ = false;
        if (reuse) {
            std::ranges::copy(g0_, g.begin());
            return f0_;
        }
        return f_.value_and_gradient(w, g);
    }
    void prepare_hessian(std::span<const double> w) { f_.prepare_hessian(w); }
    void hessian_vector(std::span<const double> v, std::span<double> out) { f_.hessian_vector(v, out); }
    void hessian_diagonal(std::span<double> out) { f_.hessian_diagonal(out); }

private:
    F& f_;
    std::vector<double> g0_;
    double f0_ = 0;
    bool first_ = true;
};

/// \endcond
}  // namespace detail

/// Logistic regression over rows of T (float or double; an integer type works too) given as
/// dense rows or a CSR matrix, with labels of any `label` type. Coefficients are double.
///
/// Complexity: fit runs the minimizer, each evaluation of the objective one pass over X
/// (O(nnz) binary, O(nnz K) multinomial), in parallel over fixed row blocks; predictions
/// O(nnz K). Memory: O(n K) besides the minimizer's vectors (O(K d) each) and up to 8 MiB of
/// per-block gradients.
/// Exceptions: tessera::invalid_argument for bad options (C <= 0, l1_ratio outside [0, 1],
/// an L1 penalty for a solver without it), empty X, NaN or Inf in X, a single class, negative
/// or non-finite sample weights; dimension_mismatch for length and width mismatches;
/// not_fitted_error before fit; format_error for a corrupt archive; io_error for files. A fit
/// that throws leaves the model as it was. Not converging is no error: converged() says it.
template <label Label = int, class T = double, class Allocator = std::allocator<double>>
class logistic_regression {
    static_assert(numeric<T>, "logistic_regression reads X of a numeric element type (float, double, an integer)");
    static_assert(!std::is_same_v<label_storage_t<Label>, bool>,
                  "logistic_regression does not take bool labels: use an integer label (0 and 1) instead");

    using alloc_traits = std::allocator_traits<Allocator>;
    using double_allocator = typename alloc_traits::template rebind_alloc<double>;
    using label_allocator = typename alloc_traits::template rebind_alloc<label_storage_t<Label>>;
    using encoder_type = label_encoder<Label, label_allocator>;
    using double_vector = std::vector<double, double_allocator>;
    using double_matrix = dense_matrix<double, double_allocator>;

public:
    using options = logistic_regression_options;  ///< the options type
    using label_type = label_storage_t<Label>;  ///< stored labels (std::string for string-like Label)
    using value_type = T;                       ///< element type of the rows read
    using allocator_type = Allocator;           ///< allocator of the fitted state

    /// An unfitted model. The options are checked by fit, not here.
    explicit logistic_regression(options opts = {}, const Allocator& alloc = Allocator())
        : options_(std::move(opts)), encoder_(label_allocator(alloc)), coef_(0, 0, row_padding::none, double_allocator(alloc)),
          intercept_(double_allocator(alloc)), alloc_(alloc) {}

    // ---- learning --------------------------------------------------------------------------

    /// Learns from rows X (dense rows of T or a CSR matrix of T) and labels y with the solver
    /// options.solver names. The classes are the distinct labels of y, sorted; there must be
    /// at least two.
    template <class X, label_range Y>
        requires detail::model_input<X, T, true> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void fit(const X& x, const Y& y) {
        run(x, y, static_cast<const std::vector<double>*>(nullptr), builtin{});
    }

    /// The same with a weight per row (finite, >= 0, not all zero).
    template <class X, label_range Y, detail::weight_range W>
        requires detail::model_input<X, T, true> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void fit(const X& x, const Y& y, const W& sample_weight) {
        run(x, y, &sample_weight, builtin{});
    }

    /// Learns with a solver of the caller's: an optimize::minimizer_for the objective (for no
    /// penalty and L2) or an optimize::l1_minimizer_for (needed for L1 and elastic-net, which
    /// throw invalid_argument otherwise). options.solver is not read.
    template <class Solver, class X, label_range Y>
        requires detail::model_input<X, T, true> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void fit_with(Solver& solver, const X& x, const Y& y) {
        run(x, y, static_cast<const std::vector<double>*>(nullptr), custom<Solver>{&solver});
    }

    /// fit_with and sample weights.
    template <class Solver, class X, label_range Y, detail::weight_range W>
        requires detail::model_input<X, T, true> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    void fit_with(Solver& solver, const X& x, const Y& y, const W& sample_weight) {
        run(x, y, &sample_weight, custom<Solver>{&solver});
    }

    // ---- prediction ------------------------------------------------------------------------

    /// The linear scores z = X W' + b: X.rows() x 1 for a binary model (the score of
    /// classes()[1]), X.rows() x n_classes() otherwise.
    template <class X>
        requires detail::model_input<X, T, true>
    [[nodiscard]] dense_matrix<double> decision_function(const X& x) const {
        return scores(x, "logistic_regression::decision_function", output::decision);
    }

    /// P(class | x): X.rows() x n_classes(), rows summing to 1. Binary: the sigmoid;
    /// multinomial: the softmax; ovr: each class's sigmoid divided by their sum.
    template <class X>
        requires detail::model_input<X, T, true>
    [[nodiscard]] dense_matrix<double> predict_proba(const X& x) const {
        return scores(x, "logistic_regression::predict_proba", output::proba);
    }

    /// log P(class | x), computed without taking the log of a rounded probability where the
    /// form allows (binary: log-sigmoid; multinomial: z - logsumexp(z)).
    template <class X>
        requires detail::model_input<X, T, true>
    [[nodiscard]] dense_matrix<double> predict_log_proba(const X& x) const {
        return scores(x, "logistic_regression::predict_log_proba", output::log_proba);
    }

    /// The class of largest score for every row (binary: classes()[1] when z > 0; ties go to
    /// the first class).
    template <class X>
        requires detail::model_input<X, T, true>
    [[nodiscard]] std::vector<label_type> predict(const X& x) const {
        const auto z = scores(x, "logistic_regression::predict", output::decision);
        std::vector<label_type> out(z.rows());
        for (std::size_t i = 0; i < z.rows(); ++i) {
            std::size_t best = 0;
            if (form_ == detail::logistic_form::binary) {
                best = z(i, 0) > 0 ? 1 : 0;
            } else {
                for (std::size_t k = 1; k < z.cols(); ++k) {
                    if (z(i, k) > z(i, best)) best = k;
                }
            }
            out[i] = encoder_.classes()[best];
        }
        return out;
    }

    /// Accuracy of predict(X) against y (a label outside classes() counts as wrong). Throws
    /// invalid_argument for an empty X, dimension_mismatch when the lengths differ.
    template <class X, label_range Y>
        requires detail::model_input<X, T, true> && std::constructible_from<label_type, std::ranges::range_value_t<Y>>
    [[nodiscard]] double score(const X& x, const Y& y) const {
        constexpr const char* where = "logistic_regression::score";
        require_fitted(where);
        return accuracy_score(detail::collect_scored_labels<label_type>(x, y, where), predict(x));
    }

    // ---- fitted state ----------------------------------------------------------------------

    /// Whether the model holds a fit (after fit or load).
    [[nodiscard]] bool fitted() const noexcept { return encoder_.fitted(); }
    /// The classes, sorted; class index i is classes()[i]. Empty before fit.
    [[nodiscard]] std::span<const label_type> classes() const noexcept { return encoder_.classes(); }
    /// Number of classes (0 before fit).
    [[nodiscard]] std::size_t n_classes() const noexcept { return encoder_.n_classes(); }
    /// Number of features seen by fit (0 before fit).
    [[nodiscard]] std::size_t n_features() const noexcept { return coef_.cols(); }
    /// The coefficients: 1 x n_features() for a binary model (those of classes()[1]),
    /// n_classes() x n_features() for multinomial and ovr.
    [[nodiscard]] matrix_view<const double> coef() const noexcept { return coef_.view(); }
    /// One intercept per coefficient row (zeros without fit_intercept).
    [[nodiscard]] std::span<const double> intercept() const noexcept { return intercept_; }
    /// Whether the model is multinomial, one-vs-rest or binary.
    [[nodiscard]] bool is_multinomial() const noexcept { return form_ == detail::logistic_form::multinomial; }
    /// Whether the model is one-vs-rest (see is_multinomial).
    [[nodiscard]] bool is_one_vs_rest() const noexcept { return form_ == detail::logistic_form::ovr; }
    /// What each minimization reported (one per class for ovr, otherwise one).
    [[nodiscard]] std::span<const optimize::minimize_result> solver_results() const noexcept { return results_; }
    /// The most iterations any minimization ran.
    [[nodiscard]] std::size_t n_iter() const noexcept {
        std::size_t m = 0;
        for (const auto& r : results_) m = std::max(m, r.iterations);
        return m;
    }
    /// Whether every minimization met the tolerance.
    [[nodiscard]] bool converged() const noexcept {
        return !results_.empty() && std::ranges::all_of(results_, [](const auto& r) { return r.converged(); });
    }
    /// The final objective (for ovr the sum of the per-class objectives).
    [[nodiscard]] double objective() const noexcept {
        double s = 0;
        for (const auto& r : results_) s += r.objective;
        return s;
    }
    /// The final gradient norm (the largest over ovr's minimizations).
    [[nodiscard]] double gradient_norm() const noexcept {
        double m = 0;
        for (const auto& r : results_) m = std::max(m, r.gradient_norm);
        return m;
    }
    /// The options the next fit uses.
    [[nodiscard]] const options& get_options() const noexcept { return options_; }
    /// Replaces the options (used by the next fit; a fitted model keeps predicting as before).
    void set_options(options opts) { options_ = std::move(opts); }
    /// A copy of the allocator.
    [[nodiscard]] allocator_type get_allocator() const { return alloc_; }

    // ---- persistence -----------------------------------------------------------------------

    static constexpr const char* archive_kind = "logistic_regression";  ///< model kind in archives
    static constexpr std::uint32_t schema_version = 1;  ///< version of this model's archive payload

    /// Writes the fitted model: label type, classes, options, form, coefficients, intercepts
    /// and the solver reports. Throws not_fitted_error before fit. O(K d).
    void write_to(archive_writer& w) const {
        require_fitted("logistic_regression::write_to");
        encoder_.write_typed_to(w);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.penalty));
        w.write<double>(options_.C);
        w.write<double>(options_.l1_ratio);
        w.write<std::uint8_t>(options_.fit_intercept ? 1 : 0);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.multi_class));
        w.write<std::uint8_t>(static_cast<std::uint8_t>(options_.solver));
        w.write<std::uint8_t>(options_.balanced_class_weight ? 1 : 0);
        w.write_span(std::span<const double>(options_.class_weight));
        w.write<double>(options_.tol);
        w.write<std::uint64_t>(options_.max_iter);
        w.write<std::uint8_t>(options_.warm_start ? 1 : 0);
        w.write<std::int32_t>(options_.parallel.n_threads);
        w.write<std::uint64_t>(options_.parallel.block_size);
        w.write<std::uint8_t>(static_cast<std::uint8_t>(form_));
        w.write_matrix(coef_.view());
        w.write_span(std::span<const double>(intercept_));
        w.write<std::uint64_t>(results_.size());
        for (const auto& r : results_) {
            w.write<std::uint64_t>(r.iterations);
            w.write<std::uint64_t>(r.evaluations);
            w.write<double>(r.objective);
            w.write<double>(r.gradient_norm);
            w.write<std::uint8_t>(static_cast<std::uint8_t>(r.reason));
        }
    }

    /// Reads a model written by write_to. Throws format_error for anything inconsistent
    /// (another label type, unknown enumerators, shapes that disagree, values not finite).
    [[nodiscard]] static logistic_regression read_from(archive_reader& r, const Allocator& alloc = Allocator()) {
        constexpr const char* where = "logistic_regression::read_from";
        logistic_regression m(options{}, alloc);
        auto enc = encoder_type::read_typed_from(r, where, label_allocator(alloc));
        options o;
        o.penalty = read_enum<logistic_penalty>(r, "penalty", 3, where);
        o.C = r.read<double>("C");
        o.l1_ratio = r.read<double>("l1_ratio");
        o.fit_intercept = read_flag(r, "fit_intercept", where);
        o.multi_class = read_enum<logistic_multi_class>(r, "multi_class", 2, where);
        o.solver = read_enum<logistic_solver>(r, "solver", 3, where);
        o.balanced_class_weight = read_flag(r, "balanced_class_weight", where);
        const auto cw = r.read_vector<double>("class_weight");
        o.class_weight.assign(cw.begin(), cw.end());
        o.tol = r.read<double>("tol");
        o.max_iter = static_cast<std::size_t>(r.read<std::uint64_t>("max_iter"));
        o.warm_start = read_flag(r, "warm_start", where);
        o.parallel.n_threads = r.read<std::int32_t>("n_threads");
        o.parallel.block_size = static_cast<std::size_t>(r.read<std::uint64_t>("block_size"));
        const auto form = read_enum<detail::logistic_form>(r, "form", 2, where);
        auto coef = r.read_matrix<double, double_allocator>("coef", row_padding::none, double_allocator(alloc));
        auto intercept = r.read_vector<double, double_allocator>("intercept", double_allocator(alloc));
        const auto count = r.read<std::uint64_t>("solver results");
        if (count > 1u << 20) r.fail(std::string(where) + ": " + std::to_string(count) + " solver results");
        std::vector<optimize::minimize_result> results(static_cast<std::size_t>(count));
        for (auto& s : results) {
            s.iterations = static_cast<std::size_t>(r.read<std::uint64_t>("iterations"));
            s.evaluations = static_cast<std::size_t>(r.read<std::uint64_t>("evaluations"));
            s.objective = r.read<double>("objective");
            s.gradient_norm = r.read<double>("gradient_norm");
            s.reason = read_enum<optimize::stop_reason>(r, "stop reason", 2, where);
        }
        r.expect_end();
        const std::size_t k = enc.n_classes();
        const std::size_t rows = form == detail::logistic_form::binary ? 1 : k;
        const std::size_t problems = form == detail::logistic_form::ovr ? k : 1;
        if (k < 2 || coef.rows() != rows || coef.cols() == 0 || intercept.size() != rows || results.size() != problems ||
            (form == detail::logistic_form::binary && k != 2)) {
            r.fail(std::string(where) + ": the coefficients (" + std::to_string(coef.rows()) + " x " +
                   std::to_string(coef.cols()) + "), intercepts (" + std::to_string(intercept.size()) +
                   ") and solver results (" + std::to_string(results.size()) + ") do not fit " + std::to_string(k) +
                   " classes");
        }
        for (std::size_t i = 0; i < coef.rows(); ++i) {
            for (std::size_t j = 0; j < coef.cols(); ++j) {
                if (!std::isfinite(coef(i, j))) r.fail(std::string(where) + ": a coefficient is not finite");
            }
            if (!std::isfinite(intercept[i])) r.fail(std::string(where) + ": an intercept is not finite");
        }
        try {
            check_options(o, k, where);
        } catch (const invalid_argument& e) {
            r.fail(e.what());
        }
        m.options_ = std::move(o);
        m.encoder_ = std::move(enc);
        m.form_ = form;
        m.coef_ = std::move(coef);
        m.intercept_ = std::move(intercept);
        m.results_ = std::move(results);
        return m;
    }

    /// Saves to a file (the versioned, checksummed archive of core/archive.hpp).
    void save(const std::filesystem::path& path) const { save_archive(*this, path); }

    /// Loads a file written by save. Throws io_error (unreadable) or format_error.
    [[nodiscard]] static logistic_regression load(const std::filesystem::path& path, const Allocator& alloc = Allocator()) {
        return load_archive<logistic_regression>(path, alloc);
    }

    /// The archive header that save writes and load expects: kind, payload version, element type.
    [[nodiscard]] static archive_header header() {
        return archive_header{archive_kind, schema_version, archive_type<T>::tag, type_tag::none};
    }

private:
    struct builtin {};
    template <class S>
    struct custom {
        S* solver;
    };
    enum class output : std::uint8_t { decision, proba, log_proba };

    void require_fitted(const char* where) const { detail::require_fitted(fitted(), where); }

    template <class E>
    [[nodiscard]] static E read_enum(archive_reader& r, const char* field, unsigned max, const char* where) {
        const auto v = r.read<std::uint8_t>(field);
        if (v > max) r.fail(std::string(where) + ": unknown " + field + " " + std::to_string(v));
        return static_cast<E>(v);
    }
    [[nodiscard]] static bool read_flag(archive_reader& r, const char* field, const char* where) {
        const auto v = r.read<std::uint8_t>(field);
        if (v > 1) r.fail(std::string(where) + ": " + field + " is " + std::to_string(v) + ", not 0 or 1");
        return v == 1;
    }

    [[nodiscard]] static bool has_l1(const options& o) noexcept {
        return o.penalty == logistic_penalty::l1 || (o.penalty == logistic_penalty::elastic_net && o.l1_ratio > 0);
    }

    // Checks the options; n_classes = 0 skips the class-weight count.
    static void check_options(const options& o, std::size_t n_classes, const char* where) {
        if (!(o.C > 0) || !std::isfinite(o.C)) {
            detail::throw_argument(where, "options.C", "must be finite and > 0, got " + detail::number_text(o.C));
        }
        if (!(o.l1_ratio >= 0 && o.l1_ratio <= 1)) {
            detail::throw_argument(where, "options.l1_ratio", "must lie in [0, 1], got " + detail::number_text(o.l1_ratio));
        }
        if (!(o.tol > 0) || !std::isfinite(o.tol)) {
            detail::throw_argument(where, "options.tol", "must be finite and > 0, got " + detail::number_text(o.tol));
        }
        if (o.max_iter == 0) detail::throw_argument(where, "options.max_iter", "must be >= 1");
        if (static_cast<unsigned>(o.penalty) > 3 || static_cast<unsigned>(o.multi_class) > 2 ||
            static_cast<unsigned>(o.solver) > 3) {
            detail::throw_argument(where, "options", "holds an unknown penalty, multi_class or solver");
        }
        if ((o.solver == logistic_solver::lbfgs || o.solver == logistic_solver::trust_region_newton) && has_l1(o)) {
            detail::throw_argument(where, "options.solver",
                                   std::string(o.solver == logistic_solver::lbfgs ? "lbfgs" : "trust_region_newton") +
                                       " cannot minimize an L1 term: use owlqn (or automatic) for L1 and elastic-net");
        }
        if (o.balanced_class_weight && !o.class_weight.empty()) {
            detail::throw_argument(where, "options.class_weight", "cannot be given together with balanced_class_weight");
        }
        if (n_classes > 0 && !o.class_weight.empty() && o.class_weight.size() != n_classes) {
            detail::throw_argument(where, "options.class_weight",
                                   "has " + std::to_string(o.class_weight.size()) + " weights but there are " +
                                       std::to_string(n_classes) + " classes");
        }
        for (std::size_t c = 0; c < o.class_weight.size(); ++c) {
            if (!(o.class_weight[c] >= 0) || !std::isfinite(o.class_weight[c])) {
                detail::throw_argument(where, "options.class_weight",
                                       "entry " + std::to_string(c) + " is " + detail::number_text(o.class_weight[c]) +
                                           ": class weights must be finite and >= 0");
            }
        }
        detail::check_parallel_options(o.parallel, where);
    }

    template <class X, class Y, class W, class Solver>
    void run(const X& x, const Y& y, const W* sample_weight, Solver solver) {
        constexpr const char* where = "logistic_regression::fit";
        check_options(options_, 0, where);
        const auto in = detail::model_rows(x, where);
        const std::size_t n = in.rows();
        const std::size_t d = in.cols();
        detail::require_fit_shape(in, where);
        const auto labels = detail::collect_labels<label_type>(y);
        if (labels.size() != n) {
            detail::throw_argument<dimension_mismatch>(where, "y",
                                                       "has " + std::to_string(labels.size()) + " labels but X has " +
                                                           std::to_string(n) + " rows");
        }
        std::vector<double> weight;
        if (sample_weight != nullptr) {
            weight = detail::collect_weights(*sample_weight, n, where);
        } else {
            weight.assign(n, 1.0);
        }
        encoder_type enc{label_allocator(alloc_)};
        enc.fit(labels);
        const std::size_t k = enc.n_classes();
        if (k < 2) {
            detail::throw_argument(where, "y",
                                   "holds a single class (" + detail::label_to_string(enc.classes()[0]) +
                                       "): logistic regression needs at least two");
        }
        check_options(options_, k, where);
        detail::require_finite_input(in, where);
        const auto target = enc.encode(labels, where, "y");

        // c_i = C * sample weight * class weight.
        std::vector<double> cw(k, 1.0);
        if (options_.balanced_class_weight) {
            std::vector<double> count(k, 0.0);
            for (const auto t : target) count[t] += 1;
            for (std::size_t c = 0; c < k; ++c) cw[c] = static_cast<double>(n) / (static_cast<double>(k) * count[c]);
        } else if (!options_.class_weight.empty()) {
            cw.assign(options_.class_weight.begin(), options_.class_weight.end());
        }
        for (std::size_t i = 0; i < n; ++i) weight[i] *= options_.C * cw[target[i]];
        if (std::ranges::none_of(weight, [](double v) { return v > 0; })) {
            detail::throw_argument(where, "options.class_weight", "with the sample weights leaves every row weighing 0");
        }

        const auto form = options_.multi_class == logistic_multi_class::ovr && k > 2 ? detail::logistic_form::ovr
                          : options_.multi_class == logistic_multi_class::multinomial || k > 2
                              ? detail::logistic_form::multinomial
                              : detail::logistic_form::binary;
        const std::size_t rows = form == detail::logistic_form::binary ? 1 : k;
        const bool b = options_.fit_intercept;
        const double rho = options_.penalty == logistic_penalty::l1            ? 1.0
                           : options_.penalty == logistic_penalty::elastic_net ? options_.l1_ratio
                                                                               : 0.0;
        const double l2 = options_.penalty == logistic_penalty::none ? 0.0 : 1.0 - rho;
        const double l1 = options_.penalty == logistic_penalty::none ? 0.0 : rho;
        const bool warm = options_.warm_start && fitted() && form == form_ && coef_.cols() == d &&
                          std::ranges::equal(enc.classes(), encoder_.classes()) && coef_.rows() == rows;

        double_matrix coef(rows, d, row_padding::none, double_allocator(alloc_));
        double_vector intercept(rows, 0.0, double_allocator(alloc_));
        std::vector<optimize::minimize_result> results;
        const optimize::stop_criteria base_stop{options_.tol, options_.max_iter, 1.0};

        if (form == detail::logistic_form::ovr) {
            std::vector<double> y_pm(n);
            for (std::size_t c = 0; c < k; ++c) {
                for (std::size_t i = 0; i < n; ++i) y_pm[i] = target[i] == c ? 1.0 : -1.0;
                detail::logistic_objective<decltype(in)> f(in, y_pm, weight, 1, b, l2, options_.parallel);
                std::vector<double> w(f.dimension(), 0.0);
                if (warm) {
                    std::copy_n(coef_.data() + c * coef_.stride(), d, w.begin());
                    if (b) w[d] = intercept_[c];
                }
                results.push_back(minimize(f, w, l1, d, base_stop, solver, where));
                std::copy_n(w.begin(), d, coef.data() + c * coef.stride());
                intercept[c] = b ? w[d] : 0.0;
            }
        } else {
            std::vector<double> t(n);
            for (std::size_t i = 0; i < n; ++i) {
                t[i] = form == detail::logistic_form::binary ? (target[i] == 1 ? 1.0 : -1.0) : static_cast<double>(target[i]);
            }
            const std::size_t kk = form == detail::logistic_form::binary ? 1 : k;
            detail::logistic_objective<decltype(in)> f(in, t, weight, kk, b, l2, options_.parallel);
            std::vector<double> w(f.dimension(), 0.0);
            if (warm) {
                for (std::size_t c = 0; c < rows; ++c) {
                    std::copy_n(coef_.data() + c * coef_.stride(), d, w.begin() + static_cast<std::ptrdiff_t>(c * d));
                    if (b) w[rows * d + c] = intercept_[c];
                }
            }
            results.push_back(minimize(f, w, l1, rows * d, base_stop, solver, where));
            for (std::size_t c = 0; c < rows; ++c) {
                std::copy_n(w.begin() + static_cast<std::ptrdiff_t>(c * d), d, coef.data() + c * coef.stride());
                intercept[c] = b ? w[rows * d + c] : 0.0;
            }
        }
        encoder_ = std::move(enc);
        form_ = form;
        coef_ = std::move(coef);
        intercept_ = std::move(intercept);
        results_ = std::move(results);
    }

    // Minimizes f from w; the first n_coef entries carry the L1 weight l1 (the intercepts none).
    template <class Objective, class Solver>
    optimize::minimize_result minimize(Objective& objective, std::vector<double>& w, double l1, std::size_t n_coef,
                                       optimize::stop_criteria stop, Solver solver, const char* where) const {
        // The reference scale of the gradient test: |grad| of the smooth part at zero.
        detail::zero_start_objective<Objective> f(objective);
        const double ref = f.gradient_norm_at_zero();
        stop.gradient_reference = ref > 0 && std::isfinite(ref) ? ref : 1.0;
        using F = detail::zero_start_objective<Objective>;
        std::vector<double> l1w(f.dimension(), 0.0);  // the coefficients carry l1, the intercepts 0
        std::fill_n(l1w.begin(), n_coef, l1);
        const std::span<double> ws(w);
        if constexpr (std::is_same_v<Solver, builtin>) {
            const auto s = options_.solver;
            if (l1 > 0 || s == logistic_solver::owlqn) return optimize::owlqn{}.minimize(f, l1w, ws, stop);
            if (s == logistic_solver::lbfgs) return optimize::lbfgs{}.minimize(f, ws, stop);
            return optimize::trust_region_newton{}.minimize(f, ws, stop);
        } else {
            auto& user = *solver.solver;
            using S = std::remove_cvref_t<decltype(user)>;
            constexpr bool takes_l1 = optimize::l1_minimizer_for<S, F>;
            constexpr bool smooth = optimize::minimizer_for<S, F>;
            static_assert(takes_l1 || smooth,
                          "fit_with needs a solver with minimize(objective, w, stop) (optimize::minimizer_for) or "
                          "minimize(objective, l1, w, stop) (optimize::l1_minimizer_for)");
            if constexpr (takes_l1) {
                return user.minimize(f, std::span<const double>(l1w), ws, stop);
            } else {
                if (l1 > 0) {
                    detail::throw_argument(where, "solver",
                                           "takes no L1 term (it is no optimize::l1_minimizer_for): L1 and elastic-net "
                                           "need one");
                }
                return user.minimize(f, ws, stop);
            }
        }
    }

    template <class X>
    [[nodiscard]] dense_matrix<double> scores(const X& x, const char* where, output what) const {
        require_fitted(where);
        const auto in = detail::model_rows(x, where);
        const std::size_t d = coef_.cols();
        if ((in.rows() > 0 || detail::is_sparse_input<decltype(in)>) && in.cols() != d) {
            detail::throw_argument<dimension_mismatch>(where, "X",
                                                       "has " + std::to_string(in.cols()) +
                                                           " columns but the model was fitted on " + std::to_string(d));
        }
        detail::require_finite_input(in, where);
        const std::size_t rows = coef_.rows();
        const std::size_t k = n_classes();
        const std::size_t cols = what == output::decision ? rows : k;
        dense_matrix<double> out(in.rows(), cols, row_padding::none);
        const detail::linear_rows<decltype(in)> ops{in};
        parallel_for_blocks(
            0, in.rows(),
            [&](std::size_t lo, std::size_t hi) {
                for (std::size_t i = lo; i < hi; ++i) {
                    double* o = out.data() + i * out.stride();
                    double* z = o;
                    double z0 = 0;
                    if (what != output::decision && form_ == detail::logistic_form::binary) z = &z0;
                    for (std::size_t c = 0; c < rows; ++c) z[c] = ops.dot(i, coef_.data() + c * coef_.stride()) + intercept_[c];
                    if (what == output::decision) continue;
                    finish_row(o, z0, k, what);
                }
            },
            options_.parallel);
        return out;
    }

    // Turns row o (scores; z0 for a binary model) into probabilities or log-probabilities.
    void finish_row(double* o, double z0, std::size_t k, output what) const {
        if (form_ == detail::logistic_form::binary) {
            if (what == output::log_proba) {
                o[0] = detail::log_sigmoid(-z0);
                o[1] = detail::log_sigmoid(z0);
            } else {
                o[0] = detail::logistic_at(z0).sigma;  // sigma(-z0)
                o[1] = detail::logistic_at(-z0).sigma;
            }
            return;
        }
        if (form_ == detail::logistic_form::multinomial) {
            double top = o[0];
            for (std::size_t c = 1; c < k; ++c) top = std::max(top, o[c]);
            double sum = 0;
            for (std::size_t c = 0; c < k; ++c) sum += std::exp(o[c] - top);
            const double lse = top + std::log(sum);
            for (std::size_t c = 0; c < k; ++c) o[c] = what == output::log_proba ? o[c] - lse : std::exp(o[c] - lse);
            return;
        }
        double sum = 0;  // ovr
        for (std::size_t c = 0; c < k; ++c) {
            o[c] = detail::logistic_at(-o[c]).sigma;
            sum += o[c];
        }
        for (std::size_t c = 0; c < k; ++c) o[c] = what == output::log_proba ? std::log(o[c] / sum) : o[c] / sum;
    }

    options options_;
    encoder_type encoder_;
    detail::logistic_form form_ = detail::logistic_form::binary;
    double_matrix coef_;
    double_vector intercept_;
    std::vector<optimize::minimize_result> results_;
    Allocator alloc_;
};

}  // namespace tessera
