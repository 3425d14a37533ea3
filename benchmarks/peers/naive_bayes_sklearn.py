#!/usr/bin/python3
"""scikit-learn's side of bench_naive_bayes: the same shapes, one thread, rows per second.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/naive_bayes_sklearn.py

Data follow the generators of benchmarks/bench_naive_bayes.cpp (same sizes and distributions,
drawn with NumPy's generator rather than tessera's, so the values differ but not the work):
  sparse  100,000 documents x 2^18 terms, 60 distinct terms per document on average, term ids
          skewed towards small ids (u^3 scaling), counts 1-3, 2 classes;
  dense   200,000 x 100 float64 Gaussian features whose means depend on the class, 2 or 10 classes.
Each figure is the best of several repetitions, as Google Benchmark's minimum is.
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.naive_bayes import BernoulliNB, ComplementNB, GaussianNB, MultinomialNB


def best(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def sparse_docs(rng, n=100_000, terms=1 << 18, per_doc=60):
    y = rng.integers(0, 2, n)
    lengths = rng.integers(per_doc // 2, per_doc * 3 // 2 + 1, n)
    rows, cols = [], []
    for i in range(n):
        u = rng.random(lengths[i])
        shift = 7919 * y[i]  # the two classes favour different terms
        c = (np.floor(terms * u ** 3).astype(np.int64) + shift) % terms
        rows.append(np.full(len(c), i))
        cols.append(c)
    rows = np.concatenate(rows)
    cols = np.concatenate(cols)
    vals = rng.integers(1, 4, len(rows)).astype(np.float64)
    x = sp.csr_matrix((vals, (rows, cols)), shape=(n, terms))
    x.sum_duplicates()
    return x, y


def dense_rows(rng, classes, n=200_000, d=100):
    y = rng.integers(0, classes, n)
    means = rng.normal(0.0, 1.0, (classes, d))
    x = rng.normal(0.0, 1.0, (n, d)) + means[y]
    return x, y


def main():
    rng = np.random.default_rng(1)
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, one thread; rows per second")
    x, y = sparse_docs(rng)
    print(f"sparse: {x.shape[0]} x {x.shape[1]}, nnz {x.nnz} ({x.nnz / x.shape[0]:.1f} per row)")
    for name, make in (("multinomial", MultinomialNB), ("complement", ComplementNB), ("bernoulli", BernoulliNB)):
        fit = best(lambda: make().fit(x, y), 5)
        model = make().fit(x, y)
        pred = best(lambda: model.predict(x), 5)
        print(f"  {name:12s} fit {x.shape[0] / fit:14,.0f}   predict {x.shape[0] / pred:14,.0f}")
    for classes in (2, 10):
        x, y = dense_rows(rng, classes)
        fit = best(lambda: GaussianNB().fit(x, y), 3)
        model = GaussianNB().fit(x, y)
        pred = best(lambda: model.predict(x), 3)
        proba = best(lambda: model.predict_proba(x), 3)
        print(f"dense gaussian {x.shape[0]} x {x.shape[1]}, {classes:2d} classes: fit {x.shape[0] / fit:12,.0f}"
              f"   predict {x.shape[0] / pred:12,.0f}   predict_proba {x.shape[0] / proba:12,.0f}")
        xm = np.abs(x)
        fit = best(lambda: MultinomialNB().fit(xm, y), 3)
        model = MultinomialNB().fit(xm, y)
        pred = best(lambda: model.predict(xm), 3)
        print(f"dense multinomial {classes:2d} classes: fit {x.shape[0] / fit:12,.0f}   predict {x.shape[0] / pred:12,.0f}")


if __name__ == "__main__":
    main()
