#!/usr/bin/python3
"""Reference values from scikit-learn for tessera's classification and regression metrics.

Run from the repository root:

    /usr/bin/python3 tests/reference/metrics_reference.py > tests/reference/metrics_reference.hpp

It needs scikit-learn 1.2.1 (Debian 12's python3-sklearn). The inputs are fixed below and are
written into the header next to the values, so the C++ tests read exactly what scikit-learn saw.
The tests never run Python.

Classification: for each label vector pair, precision_recall_fscore_support with every average
that applies, zero_division 0 and 1, several betas (inf included) and explicit label lists
(one with a label absent from both vectors, one with a label that is predicted but never true),
and average=None (one entry per class). zero_division="warn" is checked here to equal 0.
Regression: mean_squared_error, mean_absolute_error and r2_score, unweighted and weighted
(weights with zeros among them).
"""
import math
import sys
import warnings

import sklearn
from sklearn.metrics import mean_absolute_error, mean_squared_error, precision_recall_fscore_support, r2_score

# "fish" is never predicted (its precision divides by zero), "ant" is predicted but never true
# (its recall divides by zero).
ANIMALS_TRUE = ["cat", "dog", "bird", "fish", "cat", "cat", "dog", "bird", "fish", "dog",
                "cat", "bird", "dog", "dog", "cat", "fish", "bird", "cat", "dog", "bird"]
ANIMALS_PRED = ["cat", "cat", "bird", "cat", "cat", "dog", "dog", "ant", "dog", "dog",
                "cat", "bird", "ant", "dog", "bird", "bird", "bird", "cat", "cat", "bird"]

CLASSIFICATION = [
    {
        "name": "int_binary",
        "type": "int",
        "y_true": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1],
        "y_pred": [1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0],
        "positives": [None, 0],  # None: scikit-learn's default pos_label=1
        "label_lists": [None, [1], [0, 1]],
    },
    {
        "name": "string_binary",
        "type": "string",
        "y_true": ["spam", "ham", "ham", "spam", "ham", "ham", "spam", "ham", "ham", "ham", "spam"],
        "y_pred": ["spam", "ham", "spam", "spam", "ham", "ham", "ham", "ham", "spam", "ham", "spam"],
        "positives": ["spam", "ham"],
        "label_lists": [None, ["spam"]],
    },
    {
        "name": "string_multiclass",
        "type": "string",
        "y_true": ANIMALS_TRUE,
        "y_pred": ANIMALS_PRED,
        "positives": [],
        "label_lists": [None, ["dog", "cat", "zebra"], ["fish", "bird"], ["ant"], ["zebra"]],
    },
    {
        "name": "int_multiclass",
        "type": "int",
        "y_true": [(i * 7) % 5 * 3 - 2 for i in range(31)],
        "y_pred": [(i * 11 + i // 4) % 6 * 3 - 2 for i in range(31)],
        "positives": [],
        "label_lists": [None, [13, -2, 4], [100]],
    },
    {
        # One class only: scikit-learn accepts a positive label that is absent then.
        "name": "one_class",
        "type": "int",
        "y_true": [1, 1, 1],
        "y_pred": [1, 1, 1],
        "positives": [None, 0],
        "label_lists": [None, [0, 1]],
    },
    {
        "name": "one_row",
        "type": "int",
        "y_true": [7],
        "y_pred": [3],
        "positives": [7, 3],
        "label_lists": [None, [3]],
    },
]

BETAS = [1.0, 0.5, 2.0, math.inf]

REGRESSION = [
    {
        "name": "mixed",
        "y_true": [3.0, -0.5, 2.0, 7.0, 4.25, -1.5, 0.0, 10.0, 5.5, 2.75, -3.0],
        "y_pred": [2.5, 0.0, 2.0, 8.0, 3.75, -0.25, 0.5, 9.0, 6.0, 2.0, -2.0],
        "sample_weight": [1.0, 2.0, 0.5, 0.0, 3.0, 1.25, 1.0, 0.75, 2.0, 0.0, 1.5],
    },
    {
        # Predictions worse than the mean: R^2 < 0.
        "name": "worse_than_mean",
        "y_true": [1.0, 2.0, 3.0, 4.0, 5.0],
        "y_pred": [5.0, 1.0, 4.5, 0.5, 2.0],
        "sample_weight": [1.0, 3.0, 2.0, 1.0, 0.5],
    },
    {
        # Large offset, small spread.
        "name": "offset",
        "y_true": [1e6 + 0.125 * i * (i % 3) for i in range(12)],
        "y_pred": [1e6 + 0.125 * i * ((i + 1) % 3) + 0.01 for i in range(12)],
        "sample_weight": [1 + (i % 4) for i in range(12)],
    },
    {
        # Integer values (the C++ test also feeds them as ints).
        "name": "integers",
        "y_true": [4, 8, 15, 16, 23, 42],
        "y_pred": [5, 8, 13, 17, 25, 40],
        "sample_weight": [2, 1, 0, 3, 1, 1],
    },
    {
        # Constant y_true whose mean is exact: R^2 is 0 for an imperfect prediction.
        "name": "constant_imperfect",
        "y_true": [2.5, 2.5, 2.5, 2.5],
        "y_pred": [2.5, 2.0, 3.0, 2.5],
        "sample_weight": [1.0, 0.5, 2.0, 1.0],
    },
    {
        # Constant y_true predicted perfectly: R^2 is 1.
        "name": "constant_perfect",
        "y_true": [-4.0, -4.0, -4.0],
        "y_pred": [-4.0, -4.0, -4.0],
        "sample_weight": [3.0, 1.0, 2.0],
    },
    {
        # Constant over the rows of nonzero weight only (the weighted R^2 sees a constant).
        "name": "constant_where_weighted",
        "y_true": [1.0, 9.0, 1.0, 1.0],
        "y_pred": [1.5, 2.0, 1.0, 0.5],
        "sample_weight": [1.0, 0.0, 2.0, 1.0],
    },
]


def num(v):
    if math.isinf(v):
        return ("" if v > 0 else "-") + "std::numeric_limits<double>::infinity()"
    s = "%.17g" % v
    return s if any(c in s for c in ".en") else s + ".0"


def label(v, kind):
    return '"%s"' % v if kind == "string" else str(v)


def labels(vs, kind):
    return "{" + ", ".join(label(v, kind) for v in vs) + "}"


def numbers(vs):
    return "{" + ", ".join(num(float(v)) for v in vs) + "}"


def wrap(text, indent):
    """Breaks a long braced list after commas so that lines stay under about 110 columns."""
    out, line = [], ""
    for part in text.split(", "):
        piece = part if not line else ", " + part
        if len(indent) + len(line) + len(piece) > 110 and line:
            out.append(line + ",")
            line = part
        else:
            line += piece
    out.append(line)
    return ("\n" + indent + "    ").join(out)


def prfs(y_true, y_pred, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = precision_recall_fscore_support(y_true, y_pred, **kw)
        if kw.get("zero_division") == 0:
            warned = precision_recall_fscore_support(y_true, y_pred, **dict(kw, zero_division="warn"))
            assert repr(warned) == repr(result), (kw, warned, result)
    return result


def classification_case(case):
    kind = case["type"]
    y_true, y_pred = case["y_true"], case["y_pred"]
    present = sorted(set(y_true) | set(y_pred))
    averaged = []
    per_class = []
    for zd in (0, 1):
        for beta in BETAS:
            if len(present) <= 2:
                for pos in case["positives"]:
                    kw = {} if pos is None else {"pos_label": pos}
                    p, r, f, _ = prfs(y_true, y_pred, average="binary", beta=beta, zero_division=zd, **kw)
                    averaged.append(("binary", zd, beta, None, pos, p, r, f))
            for average in ("micro", "macro", "weighted"):
                for ls in case["label_lists"]:
                    p, r, f, _ = prfs(y_true, y_pred, average=average, labels=ls, beta=beta, zero_division=zd)
                    averaged.append((average, zd, beta, ls, None, p, r, f))
            for ls in case["label_lists"]:
                p, r, f, s = prfs(y_true, y_pred, average=None, labels=ls, beta=beta, zero_division=zd)
                per_class.append((zd, beta, ls, ls if ls is not None else present, p, r, f, s))

    cpp_type = "std::string" if kind == "string" else "int"
    ind = "        "
    out = [f"    {{\"{case['name']}\",\n"]
    out.append(f"     {wrap(labels(y_true, kind), '     ')},\n")
    out.append(f"     {wrap(labels(y_pred, kind), '     ')},\n")
    out.append("     {\n")
    for average, zd, beta, ls, pos, p, r, f in averaged:
        ls_text = "{}" if ls is None else labels(ls, kind)
        pos_text = "std::nullopt" if pos is None else label(pos, kind)
        body = f"{{\"{average}\", {zd}, {num(beta)}, {ls_text}, {pos_text}, {num(p)}, {num(r)}, {num(f)}}}"
        out.append(f"{ind}{wrap(body, ind)},\n")
    out.append("     },\n     {\n")
    for zd, beta, ls, classes, p, r, f, s in per_class:
        ls_text = "{}" if ls is None else labels(ls, kind)
        body = (f"{{{zd}, {num(beta)}, {ls_text}, {labels(classes, kind)}, {numbers(p)}, {numbers(r)}, "
                f"{numbers(f)}, {{{', '.join(str(int(v)) for v in s)}}}}}")
        out.append(f"{ind}{wrap(body, ind)},\n")
    out.append("     }},\n")
    return cpp_type, "".join(out)


def regression_case(case):
    t, p, w = case["y_true"], case["y_pred"], case["sample_weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no undefined-metric warning may slip into the values
        values = [
            mean_squared_error(t, p), mean_absolute_error(t, p), r2_score(t, p),
            mean_squared_error(t, p, sample_weight=w), mean_absolute_error(t, p, sample_weight=w),
            r2_score(t, p, sample_weight=w),
        ]
    ind = "     "
    return (f"    {{\"{case['name']}\",\n{ind}{wrap(numbers(t), ind)},\n{ind}{wrap(numbers(p), ind)},\n"
            f"{ind}{wrap(numbers(w), ind)},\n{ind}{wrap(', '.join(num(float(v)) for v in values), ind)}}},\n")


def main():
    out = [
        f"// Generated by tests/reference/metrics_reference.py with scikit-learn {sklearn.__version__}; do not edit.\n"
        "// Command (from the repository root):\n"
        "//   /usr/bin/python3 tests/reference/metrics_reference.py > tests/reference/metrics_reference.hpp\n"
        "#pragma once\n\n#include <cstddef>\n#include <limits>\n#include <optional>\n#include <string>\n"
        "#include <vector>\n\nnamespace metrics_reference {\n\n"
        "// precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=zero_division,\n"
        "//     beta=beta, labels=labels or None, pos_label=positive or 1)\n"
        "template <class L>\nstruct averaged_query {\n    const char* average;\n    int zero_division;\n"
        "    double beta;\n    std::vector<L> labels;\n    std::optional<L> positive;\n"
        "    double precision, recall, f_score;\n};\n\n"
        "// The same with average=None; `classes` is the order of the per-class values.\n"
        "template <class L>\nstruct per_class_query {\n    int zero_division;\n    double beta;\n"
        "    std::vector<L> labels;\n    std::vector<L> classes;\n"
        "    std::vector<double> precision, recall, f_score;\n    std::vector<std::size_t> support;\n};\n\n"
        "template <class L>\nstruct classification_case {\n    const char* name;\n    std::vector<L> y_true, y_pred;\n"
        "    std::vector<averaged_query<L>> averaged;\n    std::vector<per_class_query<L>> per_class;\n};\n\n"
        "// mean_squared_error, mean_absolute_error, r2_score; then the same with sample_weight.\n"
        "struct regression_case {\n    const char* name;\n    std::vector<double> y_true, y_pred, sample_weight;\n"
        "    double mse, mae, r2, weighted_mse, weighted_mae, weighted_r2;\n};\n\n"
    ]
    groups = {"std::string": [], "int": []}
    for case in CLASSIFICATION:
        cpp_type, text = classification_case(case)
        groups[cpp_type].append(text)
    for cpp_type, fn in (("std::string", "string_cases"), ("int", "int_cases")):
        out.append(f"inline std::vector<classification_case<{cpp_type}>> {fn}() {{\n    return {{\n")
        out.extend(groups[cpp_type])
        out.append("    };\n}\n\n")
    out.append("inline std::vector<regression_case> regression_cases() {\n    return {\n")
    out.extend(regression_case(c) for c in REGRESSION)
    out.append("    };\n}\n\n}  // namespace metrics_reference\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
