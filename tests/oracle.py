"""Independent NumPy oracles shared by the test tables: the functions the hand-written
references are made of, and Ridders' extrapolation of finite differences.

Written without matdiff on purpose: the tables check matdiff against these.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

la = np.linalg


def tr(x):
    return np.trace(x)


def inv(x):
    return la.inv(x)


def det(x):
    return la.det(x)


def logdet(x):
    return la.slogdet(x)[1]


def sq(x):
    """The squared 2-/Frobenius norm."""
    return float(np.sum(x * x))


def norm(x):
    """2-norm of a vector, Frobenius norm of a matrix."""
    return np.sqrt(sq(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0.0, x)


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def vec(x):
    return x.reshape((-1, 1), order="F")


def richardson(central: Callable[[float], np.ndarray], h: float, levels: int = 8) -> np.ndarray:
    """Ridders' extrapolation to t = 0 of ``central(t)``, an even series in t.

    Steps h, h/2, h/4, ... fill a Neville tableau; the entry whose difference
    to its neighbours is smallest is returned.
    """
    prev = [np.asarray(central(h), dtype=float)]
    best, best_err = prev[0], math.inf
    for _ in range(1, levels):
        h /= 2
        row = [np.asarray(central(h), dtype=float)]
        factor = 4.0
        for j in range(1, len(prev) + 1):
            row.append((factor * row[j - 1] - prev[j - 1]) / (factor - 1))
            factor *= 4.0
            err = max(np.max(np.abs(row[j] - row[j - 1])), np.max(np.abs(row[j] - prev[j - 1])))
            if err < best_err:
                best, best_err = row[j], err
        prev = row
    return best
