#!/usr/bin/python3
r"""scikit-learn's side of bench_logistic: time to reach the optimum with LogisticRegression(solver="lbfgs"),
one thread, on the identical data.

    export TESSERA_DATA_DIR=<data> TESSERA_BENCH_DUMP=/tmp/tessera-logistic OPENBLAS_NUM_THREADS=1
    build/bench/benchmarks/bench_logistic --benchmark_min_time=1 \
        --benchmark_out=/tmp/tessera-logistic/tessera.json --benchmark_out_format=json
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/logistic_sklearn.py /tmp/tessera-logistic

bench_logistic writes every data set it builds (logistic_<name>_*.npy) and every optimum f* it computes
(logistic_<name>_intercept<0|1>_fstar.txt) to $TESSERA_BENCH_DUMP; this script reads them, so scikit-learn
solves exactly the problems tessera and LIBLINEAR solved: C = 1, L2, objective C * sum(loss) + |W|^2 / 2
(intercept unpenalized; scikit-learn 1.2 minimizes this objective divided by C, which has the same
minimizer and the same relative gap). For each problem it fits at the tolerances 10^2, 10^1.5, ..., 10^-12
(scikit-learn's tol is an absolute bound on the largest gradient entry, so its grid starts higher than
tessera's relative one) and keeps the first whose objective, recomputed here, is at most f* (1 + 1e-6),
then reports the best wall and CPU time of several fits at that tolerance.

With the Google Benchmark JSON of the same session (tessera.json in that folder, or --tessera FILE), it also
prints tessera's times and the ratios tessera / LIBLINEAR and tessera / scikit-learn.
"""
import argparse
import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

TARGET_GAP = 1e-6
DATA = (("dense", 0), ("sparse", 1), ("digits", 2))


def load(folder, name):
    base = os.path.join(folder, f"logistic_{name}_")
    if not os.path.exists(base + "y.npy"):
        return None
    y = np.load(base + "y.npy")
    if os.path.exists(base + "X.npy"):
        x = np.load(base + "X.npy")
    else:
        shape = tuple(int(s) for s in np.load(base + "shape.npy"))
        x = sp.csr_matrix((np.load(base + "data.npy"), np.load(base + "indices.npy"), np.load(base + "indptr.npy")),
                          shape=shape)
    return x, y


def objective(model, x, y):
    """sum_i loss_i + |W|^2 / 2 (C = 1), computed from the fitted coefficients."""
    z = x @ model.coef_.T + model.intercept_
    if model.coef_.shape[0] == 1:
        t = np.where(y == model.classes_[1], z[:, 0], -z[:, 0])
        loss = np.logaddexp(0.0, -t).sum()
    else:
        top = z.max(axis=1)
        lse = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
        loss = (lse - z[np.arange(len(y)), np.searchsorted(model.classes_, y)]).sum()
    return loss + 0.5 * float(np.sum(model.coef_ ** 2))


def make(tol, intercept):
    return LogisticRegression(C=1.0, penalty="l2", solver="lbfgs", tol=tol, max_iter=100_000, fit_intercept=intercept)


def timed(f, repeats):
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def measure(x, y, intercept, f_star):
    """The loosest tolerance of the grid that reaches the gap; its gap, iterations and best times."""
    chosen = None
    for k in range(-4, 25):
        tol = 10.0 ** (-0.5 * k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = make(tol, intercept).fit(x, y)
        gap = (objective(m, x, y) - f_star) / f_star
        chosen = (tol, gap, int(np.max(m.n_iter_)))
        if gap <= TARGET_GAP:
            if k == -4:
                print("    (the loosest tolerance of the grid already reaches the gap)")
            break
    tol, gap, iters = chosen

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            make(tol, intercept).fit(x, y)

    first = timed(fit, 1)
    repeats = 1 if first[0] > 20 else 3 if first[0] > 2 else 5
    wall, cpu = timed(fit, repeats) if repeats > 1 else first
    return {"tol": tol, "gap": gap, "iters": iters, "wall": min(wall, first[0]), "cpu": min(cpu, first[1])}


def tessera_times(path):
    """name -> (real ms, cpu ms, gap) from Google Benchmark's JSON (medians when repeated)."""
    with open(path) as f:
        rows = json.load(f)["benchmarks"]
    out = {}
    aggregated = any(r.get("run_type") == "aggregate" for r in rows)
    for r in rows:
        if aggregated and r.get("aggregate_name") != "median":
            continue
        if "error_occurred" in r and r["error_occurred"]:
            continue
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[r["time_unit"]]
        out[r["run_name"]] = (r["real_time"] * scale, r["cpu_time"] * scale, r.get("gap", float("nan")))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", nargs="?", default=os.environ.get("TESSERA_BENCH_DUMP"),
                   help="the folder bench_logistic wrote with TESSERA_BENCH_DUMP")
    p.add_argument("--tessera", help="bench_logistic's --benchmark_out JSON (default: FOLDER/tessera.json)")
    args = p.parse_args()
    if not args.folder:
        sys.exit("logistic_sklearn.py: give the folder bench_logistic wrote (TESSERA_BENCH_DUMP=<folder>)")
    json_path = args.tessera or os.path.join(args.folder, "tessera.json")
    tessera = tessera_times(json_path) if os.path.exists(json_path) else {}

    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; LogisticRegression(solver='lbfgs', C=1)")
    print("times: best wall / CPU seconds at the loosest tolerance reaching (f - f*) / f* <= 1e-6")
    results = []
    for name, ident in DATA:
        data = load(args.folder, name)
        if data is None:
            print(f"{name}: no data in {args.folder} (run bench_logistic with TESSERA_BENCH_DUMP set)")
            continue
        x, y = data
        for intercept in (0, 1):
            ref = os.path.join(args.folder, f"logistic_{name}_intercept{intercept}_fstar.txt")
            if not os.path.exists(ref):
                continue
            with open(ref) as f:
                f_star = float(f.read())
            r = measure(x, y, bool(intercept), f_star)
            print(f"{name:6s} {x.shape[0]}x{x.shape[1]} intercept {intercept}: tol {r['tol']:.3g}  gap {r['gap']:.2e}  "
                  f"iterations {r['iters']:6d}  wall {r['wall']:8.3f} s  CPU {r['cpu']:8.3f} s"
                  + ("   GAP NOT REACHED" if r["gap"] > TARGET_GAP else ""))
            results.append((name, ident, intercept, r))
    if not tessera:
        print(f"(no {json_path}: ratios not printed)")
        return
    print()
    print("ratios (tessera time / peer time; wall, then CPU), tessera one thread, gaps in parentheses")
    for name, ident, intercept, r in results:
        key = f"/data:{ident}/intercept:{intercept}/threads:1/real_time"
        for solver in ("trust_region_newton", "lbfgs"):
            t = tessera.get(f"BM_logistic_{solver}{key}")
            if t is None:
                continue
            line = (f"{name:6s} intercept {intercept} tessera {solver:19s} {t[0]:9.1f} ms ({t[2]:.1e}): "
                    f"/ sklearn {t[0] / (1e3 * r['wall']):6.3f} {t[1] / (1e3 * r['cpu']):6.3f} ({r['gap']:.1e})")
            ll = tessera.get(f"BM_logistic_liblinear{key}")
            if ll is not None:
                line += f"   / LIBLINEAR {t[0] / ll[0]:6.3f} {t[1] / ll[1]:6.3f} ({ll[2]:.1e}, {ll[0]:.1f} ms)"
            print(line)


if __name__ == "__main__":
    main()
