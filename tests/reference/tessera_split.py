"""Helpers shared by tessera's reference scripts: tessera's random engine and
stratified_train_test_split re-implemented from their documented rules (SplitMix64 seeding,
xoshiro256**, Lemire's unbiased bounded integers, Fisher-Yates, largest-remainder quotas), so
that scikit-learn sees the rows the C++ tests see, and the C++ array writer."""
import math

import numpy as np

M64 = (1 << 64) - 1
def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Engine:
    """tessera::random_engine(seed): xoshiro256** seeded through SplitMix64, stream 0."""

    def __init__(self, seed):
        _, mixed = splitmix64(0)
        sm = seed ^ mixed
        self.s = []
        for _ in range(4):
            sm, w = splitmix64(sm)
            self.s.append(w)
        if not any(self.s):
            self.s[0] = 1

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next() * n
        high, low = m >> 64, m & M64
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next() * n
                high, low = m >> 64, m & M64
        return high


def stratified_split(labels, test_fraction, seed):
    n = len(labels)
    t = math.ceil(test_fraction * n)
    classes = sorted(set(labels))
    members = {c: [i for i, l in enumerate(labels) if l == c] for c in classes}
    quota = [t * len(members[c]) // n for c in classes]
    rem = [t * len(members[c]) % n for c in classes]
    order = sorted(range(len(classes)), key=lambda c: (-rem[c], c))
    given = sum(quota)
    k = 0
    while given < t:
        quota[order[k]] += 1
        k += 1
        given += 1
    rng = Engine(seed)
    test = []
    for ci, c in enumerate(classes):
        r = list(members[c])
        for i in range(len(r), 1, -1):
            j = rng.below(i)
            r[i - 1], r[j] = r[j], r[i - 1]
        test.extend(r[: quota[ci]])
    test = sorted(test)
    in_test = set(test)
    return [i for i in range(n) if i not in in_test], test


def features_and_labels(reader):
    """Rows of numbers, label last: (features as an array, labels as ints)."""
    rows = [list(map(float, r)) for r in reader]
    return np.array([r[:-1] for r in rows]), [int(r[-1]) for r in rows]


def cpp_doubles(name, values):
    body = ",\n".join("    " + ", ".join(repr(float(v)) for v in values[i : i + 4]) for i in range(0, len(values), 4))
    return f"inline constexpr double {name}[] = {{\n{body}}};\n"
