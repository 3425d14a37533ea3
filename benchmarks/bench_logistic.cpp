// Logistic regression: time to reach the optimum, one thread, against LIBLINEAR 2.3 (-s 0, its
// primal trust-region Newton solver) measured in the same run and scikit-learn's lbfgs measured
// right after by benchmarks/peers/logistic_sklearn.py on the identical data.
//
// The objective is C * sum_i loss_i + |W|^2 / 2 with C = 1 (the intercept unpenalized), and
// "reaching the optimum" means an objective at most f* (1 + 1e-6). For every data set and
// intercept setting, f* is computed once (tessera's trust_region_newton with tol 1e-10, checked
// against LIBLINEAR with eps 1e-9, or against tessera's lbfgs where LIBLINEAR does not solve the
// same problem; f* is the smaller). Then each solver runs at the loosest tolerance of the grid
// 10^-1, 10^-1.5, ..., 10^-12 that meets the gap: found once in setup, untimed. Counters:
//   gap    (f - f*) / f* of the timed fit, the objective recomputed here from the coefficients;
//   tol    the tolerance chosen (tessera: |grad| <= tol |grad at 0|; LIBLINEAR: its -e eps);
//   iters  iterations (Newton: trial steps; LIBLINEAR: TRON steps printed), evals objective
//          passes, cg conjugate-gradient steps (Hessian-vector products) of the Newton solvers,
//          ref_agreement |f*_a - f*_b| / f*, objective_check |tessera's objective - ours| / f*.
//
// Data (fixed seeds):
//   data:0  dense 150,000 x 100: standard normal features, columns 50-79 correlated (0.8) with
//           columns 0-29, columns 80-89 scaled by 5 and 90-99 by 0.2; labels drawn from a true
//           logistic model (margin standard deviation 2.5, so the classes overlap);
//   data:1  sparse 75,000 x 2^18, 60 distinct terms per row on average: term ranks drawn from a
//           Zipf law (exponent 1.1) and scattered over the columns, tf-idf values
//           ((1 + log tf) * smoothed idf), rows L2-normalized; labels from a true model on 10% of
//           the columns (margin standard deviation 3);
//   data:2  digits, 1,797 x 64 raw pixels (0-16), 10 classes, multinomial, read from
//           $TESSERA_DATA_DIR/sklearn-toy/digits.csv.gz (skipped when unset).
// Arguments: data, intercept (0 or 1), threads (tessera's parallel.n_threads: 1, or 0 = all).
// LIBLINEAR 2.3 penalizes its bias (-B 1) like a weight, so it solves another problem when an
// intercept is fitted: it runs with intercept:0 only (as do the ratios against it), and not on
// digits (its -s 0 is one-vs-rest, not multinomial). Debian's LIBLINEAR calls OpenBLAS for its
// vector operations: OPENBLAS_NUM_THREADS=1 keeps it on one thread.
//
// TESSERA_BENCH_DUMP=<dir> writes each data set the run builds as .npy files, and each f* as
// text, to <dir>, for the scikit-learn script:
//
//   cmake --preset bench && cmake --build --preset bench --target bench_logistic
//   export TESSERA_DATA_DIR=<data> TESSERA_BENCH_DUMP=/tmp/tessera-logistic OPENBLAS_NUM_THREADS=1
//   build/bench/benchmarks/bench_logistic --benchmark_min_time=1
//       --benchmark_out=/tmp/tessera-logistic/tessera.json --benchmark_out_format=json
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/logistic_sklearn.py /tmp/tessera-logistic
#include <benchmark/benchmark.h>

#include <tessera/core/csr_matrix.hpp>
#include <tessera/core/dense_matrix.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/csv.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/optimize/objective.hpp>
#include <tessera/optimize/trust_region_newton.hpp>

#if defined(TESSERA_BENCH_HAS_LIBLINEAR)
#include <linear.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr double target_gap = 1e-6;

// ---- data sets ----------------------------------------------------------------------------------

struct data_set {
    std::string name;   // dense, sparse, digits
    std::string label;  // shown beside the benchmark
    bool sparse = false;
    tessera::dense_matrix<double> dense{};
    tessera::csr_matrix<double> csr{};
    std::vector<int> y;  // 0 / 1, or 0 .. classes - 1
    std::size_t classes = 2;
    std::string missing;  // why the data set is unavailable; empty when it is there

    [[nodiscard]] std::size_t rows() const { return sparse ? csr.rows() : dense.rows(); }
    [[nodiscard]] std::size_t cols() const { return sparse ? csr.cols() : dense.cols(); }
};

// ---- .npy output for the scikit-learn script --------------------------------------------------

std::optional<fs::path> dump_dir() {
    const char* dir = std::getenv("TESSERA_BENCH_DUMP");
    if (dir == nullptr || *dir == '\0') return std::nullopt;
    fs::create_directories(dir);
    return fs::path(dir);
}

// NPY format 1.0, little-endian, C order.
void write_npy(const fs::path& path, const char* descr, std::vector<std::size_t> shape, const auto& write_body) {
    std::string dims;
    for (const auto s : shape) dims += std::to_string(s) + ",";
    if (shape.size() > 1) dims.pop_back();
    std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.write(magic, 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(len_bytes, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    write_body(out);
    if (!out) std::fprintf(stderr, "bench_logistic: could not write %s\n", path.string().c_str());
}

template <class T>
void write_array(std::ofstream& out, const T* p, std::size_t n) {
    out.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n * sizeof(T)));
}

void dump(const data_set& d) {
    const auto dir = dump_dir();
    if (!dir) return;
    const std::string base = "logistic_" + d.name + "_";
    write_npy(*dir / (base + "y.npy"), "<i4", {d.y.size()},
                            [&](std::ofstream& o) { write_array(o, d.y.data(), d.y.size()); });
    if (d.sparse) {
        const auto& x = d.csr;
        write_npy(*dir / (base + "shape.npy"), "<i8", {2}, [&](std::ofstream& o) {
            const std::int64_t s[2] = {static_cast<std::int64_t>(x.rows()), static_cast<std::int64_t>(x.cols())};
            write_array(o, s, 2);
        });
        write_npy(*dir / (base + "data.npy"), "<f8", {x.nnz()},
                          [&](std::ofstream& o) { write_array(o, x.values().data(), x.nnz()); });
        write_npy(*dir / (base + "indices.npy"), "<i4", {x.nnz()},
                                [&](std::ofstream& o) { write_array(o, x.indices().data(), x.nnz()); });
        write_npy(*dir / (base + "indptr.npy"), "<i4", {x.rows() + 1},
                                [&](std::ofstream& o) { write_array(o, x.indptr().data(), x.rows() + 1); });
    } else {
        const auto& x = d.dense;
        write_npy(*dir / (base + "X.npy"), "<f8", {x.rows(), x.cols()}, [&](std::ofstream& o) {
            for (std::size_t i = 0; i < x.rows(); ++i) write_array(o, x.data() + i * x.stride(), x.cols());
        });
    }
}

void dump_reference(const data_set& d, bool intercept, double f_star) {
    const auto dir = dump_dir();
    if (!dir) return;
    std::ofstream out(*dir / ("logistic_" + d.name + "_intercept" + (intercept ? "1" : "0") + "_fstar.txt"));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g\n", f_star);
    out << buf;
}

// ---- the generators ---------------------------------------------------------------------------

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// 150,000 x 100, see the top of the file.
data_set make_dense() {
    constexpr std::size_t n = 150000;
    constexpr std::size_t d = 100;
    tessera::random_engine rng(20261121);
    data_set out;
    out.name = "dense";
    out.label = "dense 150000x100";
    out.dense = tessera::dense_matrix<double>(n, d);
    out.y.resize(n);
    std::vector<double> scale(d, 1.0);
    for (std::size_t j = 80; j < 90; ++j) scale[j] = 5.0;
    for (std::size_t j = 90; j < 100; ++j) scale[j] = 0.2;
    std::vector<double> w(d);
    for (std::size_t j = 0; j < d; ++j) w[j] = 0.25 * rng.normal() / scale[j];
    const double b = 0.5;
    for (std::size_t i = 0; i < n; ++i) {
        double* r = out.dense.data() + i * out.dense.stride();
        for (std::size_t j = 0; j < d; ++j) r[j] = rng.normal();
        for (std::size_t j = 50; j < 80; ++j) r[j] = 0.8 * r[j - 50] + 0.6 * r[j];
        double z = b;
        for (std::size_t j = 0; j < d; ++j) {
            r[j] *= scale[j];
            z += r[j] * w[j];
        }
        out.y[i] = rng.uniform01() < sigmoid(z) ? 1 : 0;
    }
    return out;
}

// 75,000 x 2^18 tf-idf rows, see the top of the file.
data_set make_sparse() {
    constexpr std::size_t n = 75000;
    constexpr std::size_t terms = std::size_t{1} << 18;
    tessera::random_engine rng(20261122);
    // Zipf(1.1) over the ranks 1 .. 2^18, by inversion of the cumulative distribution.
    std::vector<double> cdf(terms);
    double total = 0;
    for (std::size_t r = 0; r < terms; ++r) {
        total += std::pow(static_cast<double>(r + 1), -1.1);
        cdf[r] = total;
    }
    for (auto& c : cdf) c /= total;
    // rank -> column: an odd multiplier is a bijection modulo 2^18 (hashed-feature scatter).
    const auto column_of = [](std::size_t rank) { return static_cast<std::int32_t>((rank * 40503 + 12345) % terms); };

    std::vector<std::int32_t> row_ids;
    std::vector<std::int32_t> col_ids;
    std::vector<double> tf;
    std::vector<std::size_t> df(terms, 0);
    std::vector<std::int32_t> cols;
    std::vector<double> counts;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t distinct = 30 + static_cast<std::size_t>(rng.below(61));
        cols.clear();
        counts.clear();
        while (cols.size() < distinct) {
            const auto at_rank = std::upper_bound(cdf.begin(), cdf.end(), rng.uniform01());
            const auto rank = static_cast<std::size_t>(at_rank - cdf.begin());
            const auto c = column_of(std::min(rank, terms - 1));
            const auto at = std::find(cols.begin(), cols.end(), c);
            if (at != cols.end()) {
                counts[static_cast<std::size_t>(at - cols.begin())] += 1;
            } else {
                cols.push_back(c);
                counts.push_back(1);
            }
        }
        for (std::size_t t = 0; t < cols.size(); ++t) {
            row_ids.push_back(static_cast<std::int32_t>(i));
            col_ids.push_back(cols[t]);
            tf.push_back(counts[t]);
            ++df[static_cast<std::size_t>(cols[t])];
        }
    }
    for (std::size_t t = 0; t < tf.size(); ++t) {
        const auto docs = static_cast<double>(df[static_cast<std::size_t>(col_ids[t])]);
        const double idf = std::log((1.0 + static_cast<double>(n)) / (1.0 + docs)) + 1.0;
        tf[t] = (1.0 + std::log(tf[t])) * idf;
    }
    data_set out;
    out.name = "sparse";
    out.label = "sparse 75000x262144";
    out.sparse = true;
    out.csr = tessera::csr_matrix<double>::from_triplets(n, terms, row_ids, col_ids, tf);
    const auto indptr = out.csr.indptr();
    auto values = out.csr.values();
    for (std::size_t i = 0; i < n; ++i) {
        const auto lo = static_cast<std::size_t>(indptr[i]);
        const auto hi = static_cast<std::size_t>(indptr[i + 1]);
        double sq = 0;
        for (std::size_t t = lo; t < hi; ++t) sq += values[t] * values[t];
        const double inv = 1.0 / std::sqrt(sq);
        for (std::size_t t = lo; t < hi; ++t) values[t] *= inv;
    }
    // The true model: 10% of the columns carry a standard normal weight; margins rescaled to a
    // standard deviation of 3 around -0.5.
    std::vector<double> w(terms, 0.0);
    for (auto& v : w) {
        if (rng.uniform01() < 0.1) v = rng.normal();
    }
    std::vector<double> z(n);
    const auto idx = out.csr.indices();
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0;
        for (auto t = static_cast<std::size_t>(indptr[i]); t < static_cast<std::size_t>(indptr[i + 1]); ++t) {
            s += values[t] * w[static_cast<std::size_t>(idx[t])];
        }
        z[i] = s;
    }
    const double mean = std::accumulate(z.begin(), z.end(), 0.0) / static_cast<double>(n);
    double var = 0;
    for (const double v : z) var += (v - mean) * (v - mean);
    const double k = 3.0 / std::sqrt(var / static_cast<double>(n));
    out.y.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.y[i] = rng.uniform01() < sigmoid(k * (z[i] - mean) - 0.5) ? 1 : 0;
    return out;
}

data_set read_digits() {
    data_set out;
    out.name = "digits";
    out.label = "digits 1797x64, 10 classes";
    out.classes = 10;
    const char* dir = std::getenv("TESSERA_DATA_DIR");
    if (dir == nullptr || *dir == '\0') {
        out.missing = "TESSERA_DATA_DIR is unset: skipping digits (see scripts/get_data.sh)";
        return out;
    }
#if defined(TESSERA_HAS_ZLIB) && TESSERA_HAS_ZLIB
    tessera::csv_options opt;
    opt.header = tessera::header_row::absent;
    opt.label = tessera::csv_column::last();
    try {
        auto d = tessera::read_csv<double, int>(fs::path(dir) / "sklearn-toy" / "digits.csv.gz", opt);
        out.dense = std::move(d.features);
        out.y = std::move(d.labels);
    } catch (const std::exception& e) {
        out.missing = std::string("cannot read digits: ") + e.what();
    }
#else
    out.missing = "built without zlib (tessera::zlib): skipping digits.csv.gz";
#endif
    return out;
}

const data_set& data(std::int64_t id) {
    static std::map<std::int64_t, data_set> cache;
    auto it = cache.find(id);
    if (it == cache.end()) {
        data_set d = id == 0 ? make_dense() : id == 1 ? make_sparse() : read_digits();
        if (d.missing.empty()) dump(d);
        it = cache.emplace(id, std::move(d)).first;
    }
    return it->second;
}

// ---- the objective, recomputed from the coefficients ------------------------------------------

// sum_i loss_i + |W|^2 / 2 (C = 1) for coefficients W (rows x cols, row-major) and intercepts b
// (one per row): binary (rows == 1, class 1 positive) or multinomial. Plain double loops.
double objective(const data_set& d, const std::vector<double>& w, const std::vector<double>& b) {
    const std::size_t m = d.cols();
    const std::size_t rows = b.size();
    std::vector<double> z(rows);
    double loss = 0;
    for (std::size_t i = 0; i < d.rows(); ++i) {
        for (std::size_t k = 0; k < rows; ++k) {
            const double* wk = w.data() + k * m;
            double s = b[k];
            if (d.sparse) {
                const auto r = d.csr.row(i);
                for (std::size_t t = 0; t < r.size(); ++t) s += r.values[t] * wk[static_cast<std::size_t>(r.indices[t])];
            } else {
                const double* x = d.dense.data() + i * d.dense.stride();
                for (std::size_t j = 0; j < m; ++j) s += x[j] * wk[j];
            }
            z[k] = s;
        }
        const auto yi = static_cast<std::size_t>(d.y[i]);
        if (rows == 1) {
            const double t = yi == 1 ? z[0] : -z[0];
            loss += std::log1p(std::exp(-std::fabs(t))) + std::max(-t, 0.0);
        } else {
            const double top = *std::max_element(z.begin(), z.end());
            double sum = 0;
            for (const double v : z) sum += std::exp(v - top);
            loss += top + std::log(sum) - z[yi];
        }
    }
    double sq = 0;
    for (const double v : w) sq += v * v;
    return loss + 0.5 * sq;
}

// ---- tessera -----------------------------------------------------------------------------------

using logistic = tessera::logistic_regression<int, double>;

struct fit_result {
    double objective = 0;  // recomputed here
    double reported = 0;   // what the library says
    std::size_t iterations = 0;
    std::size_t evaluations = 0;
    std::size_t cg_steps = 0;  // LIBLINEAR's CG steps, or tessera's Hessian-vector products
};

tessera::logistic_regression_options tessera_options(tessera::logistic_solver s, bool intercept, int threads, double tol,
                                                     std::size_t max_iter) {
    tessera::logistic_regression_options o;
    o.penalty = tessera::logistic_penalty::l2;
    o.C = 1.0;
    o.fit_intercept = intercept;
    o.solver = s;
    o.tol = tol;
    o.max_iter = max_iter;
    o.parallel.n_threads = threads;
    return o;
}

std::size_t max_iter_of(tessera::logistic_solver s) {
    return s == tessera::logistic_solver::trust_region_newton ? 1000 : 100000;
}

void fit_tessera(logistic& m, const data_set& d) {
    if (d.sparse) {
        m.fit(d.csr, d.y);
    } else {
        m.fit(d.dense, d.y);
    }
}

fit_result run_tessera(const data_set& d, tessera::logistic_solver s, bool intercept, int threads, double tol) {
    logistic m(tessera_options(s, intercept, threads, tol, max_iter_of(s)));
    fit_tessera(m, d);
    const auto c = m.coef();
    std::vector<double> w(c.rows() * c.cols());
    for (std::size_t k = 0; k < c.rows(); ++k) {
        std::copy_n(c.data() + k * c.stride(), c.cols(), w.begin() + static_cast<std::ptrdiff_t>(k * c.cols()));
    }
    const std::vector<double> b(m.intercept().begin(), m.intercept().end());
    fit_result r;
    r.objective = objective(d, w, b);
    r.reported = m.objective();
    r.iterations = m.n_iter();
    for (const auto& res : m.solver_results()) r.evaluations += res.evaluations;
    return r;
}

// trust_region_newton, counting its Hessian-vector products (for the cg counter; fit_with runs
// the same minimizer on the same objective as fit with options.solver = trust_region_newton).
template <class F>
struct counting_objective {
    F& f;
    std::size_t& hv;
    [[nodiscard]] std::size_t dimension() const { return f.dimension(); }
    double value_and_gradient(std::span<const double> w, std::span<double> g) { return f.value_and_gradient(w, g); }
    void prepare_hessian(std::span<const double> w) { f.prepare_hessian(w); }
    void hessian_vector(std::span<const double> v, std::span<double> out) {
        ++hv;
        f.hessian_vector(v, out);
    }
    // Forwarded so that the minimizer preconditions exactly as it does on F itself.
    void hessian_diagonal(std::span<double> out)
        requires requires(F& g, std::span<double> o) { g.hessian_diagonal(o); }
    {
        f.hessian_diagonal(out);
    }
};

struct counting_newton {
    std::size_t hv = 0;
    template <class F>
    tessera::optimize::minimize_result minimize(F& f, std::span<double> w, const tessera::optimize::stop_criteria& stop) {
        counting_objective<F> c{f, hv};
        return tessera::optimize::trust_region_newton{}.minimize(c, w, stop);
    }
};

// The Hessian-vector products of the Newton fit at tol, or 0 when the counting run does not
// reproduce the objective of the built-in one (`expected`), i.e. when it would count another
// algorithm.
std::size_t newton_hessian_products(const data_set& d, bool intercept, double tol, double expected) {
    logistic m(tessera_options(tessera::logistic_solver::trust_region_newton, intercept, 1, tol,
                               max_iter_of(tessera::logistic_solver::trust_region_newton)));
    counting_newton s;
    if (d.sparse) {
        m.fit_with(s, d.csr, d.y);
    } else {
        m.fit_with(s, d.dense, d.y);
    }
    if (m.objective() != expected) {
        std::fprintf(stderr, "bench_logistic: the counting Newton run ends at %.17g, not %.17g: no cg counter\n",
                     m.objective(), expected);
        return 0;
    }
    return s.hv;
}

// ---- LIBLINEAR ---------------------------------------------------------------------------------

#if defined(TESSERA_BENCH_HAS_LIBLINEAR)
// LIBLINEAR reports its progress through one global print function: silent while timing,
// counting TRON steps and CG steps ("iter ... CG n" lines) in setup.
struct liblinear_log {
    std::size_t steps = 0;
    std::size_t cg = 0;
};
liblinear_log liblinear_counts;
void liblinear_quiet(const char*) {}
void liblinear_count(const char* line) {
    int cg = 0;
    if (std::sscanf(line, "iter %*d act %*g pre %*g delta %*g f %*g |g| %*g CG %d", &cg) == 1) {
        ++liblinear_counts.steps;
        liblinear_counts.cg += static_cast<std::size_t>(cg);
    }
}

// The problem in LIBLINEAR's layout: 1-based feature_node rows ending with index -1, labels
// +1 (class 1) and -1, no bias term.
struct liblinear_problem {
    std::vector<feature_node> nodes;
    std::vector<feature_node*> x;
    std::vector<double> y;
    problem prob{};
};

const liblinear_problem& liblinear_data(std::int64_t id) {
    static std::map<std::int64_t, liblinear_problem> cache;
    auto it = cache.find(id);
    if (it != cache.end()) return it->second;
    const data_set& d = data(id);
    liblinear_problem& p = cache[id];
    const std::size_t n = d.rows();
    p.nodes.reserve(d.sparse ? d.csr.nnz() + n : n * (d.cols() + 1));
    std::vector<std::size_t> start(n);
    for (std::size_t i = 0; i < n; ++i) {
        start[i] = p.nodes.size();
        if (d.sparse) {
            const auto r = d.csr.row(i);
            for (std::size_t t = 0; t < r.size(); ++t) p.nodes.push_back({r.indices[t] + 1, r.values[t]});
        } else {
            const double* x = d.dense.data() + i * d.dense.stride();
            for (std::size_t j = 0; j < d.cols(); ++j) p.nodes.push_back({static_cast<int>(j + 1), x[j]});
        }
        p.nodes.push_back({-1, 0.0});
    }
    for (std::size_t i = 0; i < n; ++i) {
        p.x.push_back(p.nodes.data() + start[i]);
        p.y.push_back(d.y[i] == 1 ? 1.0 : -1.0);
    }
    p.prob.l = static_cast<int>(n);
    p.prob.n = static_cast<int>(d.cols());
    p.prob.y = p.y.data();
    p.prob.x = p.x.data();
    p.prob.bias = -1;
    return p;
}

parameter liblinear_parameter(double eps) {
    return parameter{.solver_type = L2R_LR, .eps = eps, .C = 1.0, .nr_weight = 0, .weight_label = nullptr,
                     .weight = nullptr, .p = 0.1, .init_sol = nullptr};
}

fit_result run_liblinear(std::int64_t id, double eps) {
    const data_set& d = data(id);
    const auto& p = liblinear_data(id);
    const parameter param = liblinear_parameter(eps);
    liblinear_counts = {};
    set_print_string_function(&liblinear_count);
    model* m = train(&p.prob, &param);
    set_print_string_function(&liblinear_quiet);
    // w scores label[0]: flip it when label[0] is the class -1.
    std::vector<double> w(m->w, m->w + d.cols());
    if (m->label[0] != 1) {
        for (auto& v : w) v = -v;
    }
    free_and_destroy_model(&m);
    fit_result r;
    r.objective = objective(d, w, {0.0});
    r.reported = r.objective;
    r.iterations = liblinear_counts.steps;
    r.cg_steps = liblinear_counts.cg;
    return r;
}
#endif

// ---- f* and the tolerances ----------------------------------------------------------------------

struct reference {
    double f_star = 0;
    double agreement = 0;  // |f_a - f_b| / f*
};

const reference& reference_for(std::int64_t id, bool intercept) {
    static std::map<std::pair<std::int64_t, bool>, reference> cache;
    const auto key = std::pair{id, intercept};
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    const data_set& d = data(id);
    const double newton = run_tessera(d, tessera::logistic_solver::trust_region_newton, intercept, 1, 1e-10).objective;
    double other = 0;
#if defined(TESSERA_BENCH_HAS_LIBLINEAR)
    if (!intercept && d.classes == 2) {
        other = run_liblinear(id, 1e-9).objective;
    } else
#endif
    {
        other = run_tessera(d, tessera::logistic_solver::lbfgs, intercept, 1, 1e-10).objective;
    }
    reference r;
    r.f_star = std::min(newton, other);
    r.agreement = std::fabs(newton - other) / r.f_star;
    dump_reference(d, intercept, r.f_star);
    return cache.emplace(key, r).first->second;
}

struct choice {
    double tol = 0;
    double gap = 0;
    fit_result fit;
};

// The loosest tolerance of the grid 10^-1, 10^-1.5, ..., 10^-12 whose fit reaches the gap (the
// tightest when none does). `run` fits at a tolerance.
template <class Run>
choice loosest(double f_star, Run run) {
    choice c;
    for (int k = 2; k <= 24; ++k) {
        c.tol = std::pow(10.0, -0.5 * k);
        c.fit = run(c.tol);
        c.gap = (c.fit.objective - f_star) / f_star;
        if (c.gap <= target_gap) break;
    }
    return c;
}

void set_counters(benchmark::State& state, const std::string& label, const choice& c, const reference& ref) {
    state.counters["gap"] = c.gap;
    state.counters["tol"] = c.tol;
    state.counters["iters"] = static_cast<double>(c.fit.iterations);
    state.counters["ref_agreement"] = ref.agreement;
    if (c.fit.evaluations > 0) state.counters["evals"] = static_cast<double>(c.fit.evaluations);
    if (c.fit.cg_steps > 0) state.counters["cg"] = static_cast<double>(c.fit.cg_steps);
    state.SetLabel(c.gap > target_gap ? label + "; gap 1e-6 NOT reached" : label);
}

// ---- benchmarks ----------------------------------------------------------------------------------

void tessera_bench(benchmark::State& state, tessera::logistic_solver s) {
    const auto id = state.range(0);
    const bool intercept = state.range(1) != 0;
    const int threads = static_cast<int>(state.range(2));
    const data_set& d = data(id);
    if (!d.missing.empty()) {
        state.SkipWithError(d.missing.c_str());
        return;
    }
    const auto& ref = reference_for(id, intercept);
    // The tolerance does not depend on the thread count (results do not): found with one thread.
    static std::map<std::tuple<std::int64_t, bool, int>, choice> tolerances;
    const auto key = std::tuple{id, intercept, static_cast<int>(s)};
    auto it = tolerances.find(key);
    if (it == tolerances.end()) {
        it = tolerances
                 .emplace(key, loosest(ref.f_star, [&](double tol) { return run_tessera(d, s, intercept, 1, tol); }))
                 .first;
        if (s == tessera::logistic_solver::trust_region_newton) {
            it->second.fit.cg_steps = newton_hessian_products(d, intercept, it->second.tol, it->second.fit.reported);
        }
    }
    const choice& c = it->second;
    const auto options = tessera_options(s, intercept, threads, c.tol, max_iter_of(s));
    for (auto _ : state) {
        logistic m(options);
        fit_tessera(m, d);
        benchmark::DoNotOptimize(m.coef().data());
    }
    set_counters(state, d.label, c, ref);
    const double check = std::fabs(c.fit.reported - c.fit.objective) / ref.f_star;
    state.counters["objective_check"] = check;  // the library's objective against the recomputed one
}

void BM_logistic_trust_region_newton(benchmark::State& state) {
    tessera_bench(state, tessera::logistic_solver::trust_region_newton);
}
void BM_logistic_lbfgs(benchmark::State& state) { tessera_bench(state, tessera::logistic_solver::lbfgs); }
void BM_logistic_owlqn(benchmark::State& state) { tessera_bench(state, tessera::logistic_solver::owlqn); }

// data x intercept at one thread, and one all-threads line per data set for information.
void tessera_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"data", "intercept", "threads"});
    for (const std::int64_t id : {0, 1}) {
        b->Args({id, 0, 1});
        b->Args({id, 1, 1});
    }
    b->Args({2, 1, 1});
}
void tessera_threads_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"data", "intercept", "threads"});
    for (const std::int64_t id : {0, 1}) b->Args({id, 0, 0});
    b->Args({2, 1, 0});
}

BENCHMARK(BM_logistic_trust_region_newton)->Apply(tessera_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logistic_lbfgs)->Apply(tessera_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logistic_owlqn)->Apply(tessera_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logistic_trust_region_newton)
    ->Name("BM_logistic_trust_region_newton_all_threads")
    ->Apply(tessera_threads_args)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#if defined(TESSERA_BENCH_HAS_LIBLINEAR)
void BM_logistic_liblinear(benchmark::State& state) {
    const auto id = state.range(0);
    const data_set& d = data(id);
    const auto& ref = reference_for(id, false);
    static std::map<std::int64_t, choice> tolerances;
    auto it = tolerances.find(id);
    if (it == tolerances.end()) {
        it = tolerances.emplace(id, loosest(ref.f_star, [&](double eps) { return run_liblinear(id, eps); })).first;
    }
    const choice& c = it->second;
    const auto& p = liblinear_data(id);
    const parameter param = liblinear_parameter(c.tol);
    set_print_string_function(&liblinear_quiet);
    for (auto _ : state) {
        model* m = train(&p.prob, &param);
        benchmark::DoNotOptimize(m->w);
        free_and_destroy_model(&m);
    }
    // Debian's LIBLINEAR calls OpenBLAS for its vector operations, which may start threads.
    const char* blas_threads = std::getenv("OPENBLAS_NUM_THREADS");
    const bool one_blas_thread = blas_threads != nullptr && std::string(blas_threads) == "1";
    set_counters(state,
                 d.label + "; LIBLINEAR " + std::to_string(liblinear_version) + " -s 0" +
                     (one_blas_thread ? "" : "; set OPENBLAS_NUM_THREADS=1"),
                 c, ref);
}
BENCHMARK(BM_logistic_liblinear)
    ->ArgNames({"data", "intercept", "threads"})
    ->Args({0, 0, 1})
    ->Args({1, 0, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
#endif

}  // namespace
