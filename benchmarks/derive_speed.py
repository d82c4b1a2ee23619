#!/usr/bin/env python
"""How fast matdiff derives gradients, end to end, compared with SymPy's matrix expressions.

    python benchmarks/derive_speed.py            # full run (a few minutes), writes
                                                 # benchmarks/results/derive_speed.md
    python benchmarks/derive_speed.py --quick    # smoke run (well under a minute), stdout only

What is measured (nothing is asserted; the report is Markdown on stdout):

1. A table of gradient cases.  For each one, matdiff's time for
   ``matdiff.gradient(expr, wrt, **decls).text`` -- parse, types and shapes, derivative,
   factoring and printing -- as the median of many repeats, each after
   ``matdiff.algebra.clear_caches()`` (no interned node of a previous repeat is reused,
   as SymPy's cache is cleared for SymPy), and the first call.  Where SymPy's matrix expressions can
   state the same function, SymPy's time to build the expression from fresh
   ``MatrixSymbol``s, call ``.diff`` and ``str()`` the answer, as the median of a few
   repeats, each after ``sympy.core.cache.clear_cache()`` (otherwise every repeat after
   the first is a cache hit).  Both answers are evaluated numerically at a random point
   with small concrete sizes and compared with central finite differences of an
   independent NumPy version of the function; SymPy's answer is classified as correct,
   wrong, zero, unevaluated (a ``Derivative`` left in it) or an error.  matdiff's own
   ``Result.check()`` is recorded too.
2. Scaling: sums of k independent terms, and k-layer networks, of growing size;
   matdiff's time split in phases against the number of AST and IR nodes, and SymPy's
   time on the same sums for the small k where it finishes within a few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import gc
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent
try:
    import matdiff
except ImportError:
    sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402

import matdiff  # noqa: E402
from matdiff import syntax as S  # noqa: E402
from matdiff.api import compile_program, derive  # noqa: E402
from matdiff.evaluate import evaluate as md_evaluate  # noqa: E402

try:
    import sympy as sp
    from sympy.core.cache import clear_cache
    from sympy.matrices.expressions import (
        Determinant,
        DiagMatrix,
        DiagonalMatrix,
        DiagonalOf,
        HadamardPower,
        HadamardProduct,
        Identity,
        Inverse,
        KroneckerProduct,
        MatAdd,
        MatMul,
        MatPow,
        MatrixSymbol,
        OneMatrix,
        Trace,
        Transpose,
        ZeroMatrix,
    )
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    from sympy.matrices.expressions.matexpr import MatrixElement
    from sympy.matrices.matrixbase import MatrixBase
    from sympy.tensor.array.expressions.array_expressions import (
        ArrayAdd,
        ArrayContraction,
        ArrayDiagonal,
        ArrayElementwiseApplyFunc,
        ArrayTensorProduct,
        OneArray,
        PermuteDims,
        Reshape,
        ZeroArray,
    )
    SYMPY_ERROR = None
except ImportError as e:  # the matdiff half still runs
    sp = None
    SYMPY_ERROR = f"{type(e).__name__}: {e}"

RESULT_FILE = HERE / "results" / "derive_speed.md"

# Concrete sizes of the symbolic dimensions for the numeric comparisons (distinct, so that
# a transposed or mis-shaped answer cannot pass by accident).
SIZES = {"n": 3, "m": 4, "q": 2, "N": 6}

# ================================================================================= the cases


def sq(x):
    return float(np.sum(x * x))


def sigm(x):
    return 1.0 / (1.0 + np.exp(-x))


def tr(x):
    return float(np.trace(x))


inv = np.linalg.inv
det = np.linalg.det


def logdet(x):
    return float(np.linalg.slogdet(x)[1])


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@dataclass
class Case:
    name: str
    expr: str
    wrt: str
    shapes: dict[str, tuple]  # name -> () scalar, (rows, cols) with dimension names / ints
    ref: Callable[[Any], float]  # the function in NumPy, on a namespace of values
    sympy: Callable[[Any], Any] | None = None  # the function with SymPy matrix expressions
    decls: dict[str, str] = field(default_factory=dict)
    domain: dict[str, str] = field(default_factory=dict)  # name -> spd | inv | positive | 01 | sym


CASES: list[Case] = []


def case(name, expr, wrt, shapes, ref, sympy=None, decls=None, domain=None):
    CASES.append(Case(name, expr, wrt, shapes, ref, sympy, dict(decls or {}), dict(domain or {})))


# SymPy helpers: how a SymPy user writes sum(), norms and elementwise functions.
def _ones(r, c):
    return OneMatrix(r, c)


def _sum(M):
    """sum of all entries: 1'*M*1 (1'*M for a column)."""
    if M.shape[1] == 1:
        return OneMatrix(1, M.shape[0]) * M
    return OneMatrix(1, M.shape[0]) * M * OneMatrix(M.shape[1], 1)


def _fro2(M):
    return Trace(M.T * M)


def _ew(f, M):
    return M.applyfunc(f)


def _lam(body):
    t = sp.Dummy("t")
    return sp.Lambda(t, body(t))


# --- LANGUAGE.md examples and the seed questions
LSQ = "1/N * norm(X*W - Y, 'fro')^2"
_lsq_shapes = {"X": ("N", "n"), "W": ("n", "q"), "Y": ("N", "q"), "N": ()}
case("least squares", LSQ, "W", _lsq_shapes, lambda v: sq(v.X @ v.W - v.Y) / v.N,
     lambda s: _fro2(s.X * s.W - s.Y) / s.N, domain={"N": "positive"})
case("least squares", LSQ, "X", _lsq_shapes, lambda v: sq(v.X @ v.W - v.Y) / v.N,
     lambda s: _fro2(s.X * s.W - s.Y) / s.N, domain={"N": "positive"})
WUV = "norm(W*u - v)^2"
_wuv_shapes = {"W": ("m", "n"), "u": ("n", 1), "v": ("m", 1)}
for _w in ("u", "v", "W"):
    case("seed: norm(Wu - v)^2", WUV, _w, _wuv_shapes, lambda v: sq(v.W @ v.u - v.v),
         lambda s: (s.W * s.u - s.v).T * (s.W * s.u - s.v))
MF = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
      " where P: mask")
_mf_shapes = {"P": ("m", "n"), "M": ("m", "n"), "U": ("m", "q"), "V": ("n", "q"), "lambda": ()}


def _mf_ref(v):
    return 0.5 * sq(v.P * (v.M - v.U @ v.V.T)) + v.lam / 2 * (sq(v.U) + sq(v.V))


def _mf_sympy(s):
    return (_fro2(HadamardProduct(s.P, s.M - s.U * s.V.T)) / 2
            + s.lam / 2 * (_fro2(s.U) + _fro2(s.V)))


for _w in ("U", "V"):
    case("masked factorization", MF, _w, _mf_shapes, _mf_ref, _mf_sympy, domain={"P": "01"})
case("seed: C/2 sum(W.^2)", "C/2 * sum(W.^2)", "W", {"W": ("m", "n"), "C": ()},
     lambda v: v.C / 2 * np.sum(v.W ** 2), lambda s: s.C / 2 * _sum(HadamardPower(s.W, 2)))
case("quadratic form", "x'*A*x", "x", {"x": ("n", 1), "A": ("n", "n")},
     lambda v: (v.x.T @ v.A @ v.x).item(), lambda s: s.x.T * s.A * s.x)
case("quadratic form, A symmetric", "x'*A*x where A: symmetric matrix", "x",
     {"x": ("n", 1), "A": ("n", "n")}, lambda v: (v.x.T @ v.A @ v.x).item(),
     lambda s: s.x.T * s.A * s.x, domain={"A": "sym"})
case("quadratic form", "x'*A*x", "A", {"x": ("n", 1), "A": ("n", "n")},
     lambda v: (v.x.T @ v.A @ v.x).item(), lambda s: s.x.T * s.A * s.x)
case("bilinear form", "a'*X*b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)},
     lambda v: (v.a.T @ v.X @ v.b).item(), lambda s: s.a.T * s.X * s.b)
# --- Matrix Cookbook traces
case("cookbook trace", "tr(A*X*B)", "X", {"A": ("q", "n"), "X": ("n", "m"), "B": ("m", "q")},
     lambda v: tr(v.A @ v.X @ v.B), lambda s: Trace(s.A * s.X * s.B))
case("cookbook trace", "tr(X'*A*X)", "X", {"X": ("n", "m"), "A": ("n", "n")},
     lambda v: tr(v.X.T @ v.A @ v.X), lambda s: Trace(s.X.T * s.A * s.X))
case("cookbook trace", "tr(A*X*B*X')", "X", {"A": ("n", "n"), "X": ("n", "m"), "B": ("m", "m")},
     lambda v: tr(v.A @ v.X @ v.B @ v.X.T), lambda s: Trace(s.A * s.X * s.B * s.X.T))
case("cookbook trace", "tr(X^3)", "X", {"X": ("n", "n")},
     lambda v: tr(v.X @ v.X @ v.X), lambda s: Trace(s.X ** 3))
case("cookbook trace", "tr(inv(X)*A)", "X", {"X": ("n", "n"), "A": ("n", "n")},
     lambda v: tr(inv(v.X) @ v.A), lambda s: Trace(Inverse(s.X) * s.A), domain={"X": "inv"})
case("cookbook trace", "tr(A*inv(X)*B)", "X", {"A": ("m", "n"), "X": ("n", "n"), "B": ("n", "m")},
     lambda v: tr(v.A @ inv(v.X) @ v.B), lambda s: Trace(s.A * Inverse(s.X) * s.B),
     domain={"X": "inv"})
case("cookbook trace product", "tr(A*X)*tr(B*X)", "X",
     {"A": ("m", "n"), "X": ("n", "m"), "B": ("m", "n")},
     lambda v: tr(v.A @ v.X) * tr(v.B @ v.X), lambda s: Trace(s.A * s.X) * Trace(s.B * s.X))
case("matrix power", "a'*X^2*b", "X", {"a": ("n", 1), "X": ("n", "n"), "b": ("n", 1)},
     lambda v: (v.a.T @ v.X @ v.X @ v.b).item(), lambda s: s.a.T * s.X ** 2 * s.b)
# --- inverses, determinants
case("inverse, bilinear", "a'*inv(X)*b", "X", {"a": ("n", 1), "X": ("n", "n"), "b": ("n", 1)},
     lambda v: (v.a.T @ inv(v.X) @ v.b).item(), lambda s: s.a.T * Inverse(s.X) * s.b,
     domain={"X": "inv"})
case("inverse, quadratic", "x'*inv(A)*x", "x", {"x": ("n", 1), "A": ("n", "n")},
     lambda v: (v.x.T @ inv(v.A) @ v.x).item(), lambda s: s.x.T * Inverse(s.A) * s.x,
     domain={"A": "inv"})
case("logdet", "logdet(X)", "X", {"X": ("n", "n")}, lambda v: logdet(v.X),
     lambda s: sp.log(Determinant(s.X)), domain={"X": "spd"})
case("logdet of a Gram matrix", "logdet(X'*X)", "X", {"X": ("m", "n")},
     lambda v: logdet(v.X.T @ v.X), lambda s: sp.log(Determinant(s.X.T * s.X)))
case("determinant", "det(X)", "X", {"X": ("n", "n")}, lambda v: float(det(v.X)),
     lambda s: Determinant(s.X))
# --- scalar functions of forms
case("Rayleigh quotient", "(x'*A*x)/(x'*x)", "x", {"x": ("n", 1), "A": ("n", "n")},
     lambda v: (v.x.T @ v.A @ v.x).item() / sq(v.x),
     lambda s: Trace(s.x.T * s.A * s.x) / Trace(s.x.T * s.x))
case("power of a linear form", "(a'*x)^3", "x", {"a": ("n", 1), "x": ("n", 1)},
     lambda v: (v.a.T @ v.x).item() ** 3, lambda s: Trace(s.a.T * s.x) ** 3)
# --- norms
case("residual norm (not squared)", "norm(A*x - b)", "x",
     {"A": ("m", "n"), "x": ("n", 1), "b": ("m", 1)}, lambda v: math.sqrt(sq(v.A @ v.x - v.b)),
     lambda s: sp.sqrt(_fro2(s.A * s.x - s.b)))
case("Frobenius norm", "norm(X, 'fro')", "X", {"X": ("m", "n")}, lambda v: math.sqrt(sq(v.X)),
     lambda s: sp.sqrt(_fro2(s.X)))
case("Frobenius norm squared", "norm(A*X*B, 'fro')^2", "X",
     {"A": ("m", "n"), "X": ("n", "q"), "B": ("q", "m")}, lambda v: sq(v.A @ v.X @ v.B),
     lambda s: _fro2(s.A * s.X * s.B))
# --- Hadamard products, diag, kron, vec
case("Hadamard least squares", "norm(A.*X - B, 'fro')^2", "X",
     {"A": ("m", "n"), "X": ("m", "n"), "B": ("m", "n")}, lambda v: sq(v.A * v.X - v.B),
     lambda s: _fro2(HadamardProduct(s.A, s.X) - s.B))
case("trace of a Hadamard product", "tr(A*(X.*B))", "X",
     {"A": ("n", "m"), "X": ("m", "n"), "B": ("m", "n")}, lambda v: tr(v.A @ (v.X * v.B)),
     lambda s: Trace(s.A * HadamardProduct(s.X, s.B)))
case("elementwise power", "sum(X.^0.5)", "X", {"X": ("m", "n")},
     lambda v: float(np.sum(np.sqrt(v.X))), lambda s: _sum(HadamardPower(s.X, sp.S.Half)),
     domain={"X": "positive"})
case("diag of a vector", "a'*diag(x)*b", "x", {"a": ("n", 1), "x": ("n", 1), "b": ("n", 1)},
     lambda v: (v.a.T @ np.diagflat(v.x) @ v.b).item(), lambda s: s.a.T * DiagMatrix(s.x) * s.b)
case("diag of a vector", "tr(diag(x)*A)", "x", {"x": ("n", 1), "A": ("n", "n")},
     lambda v: tr(np.diagflat(v.x) @ v.A), lambda s: Trace(DiagMatrix(s.x) * s.A))
case("Kronecker quadratic form", "x'*kron(A, B)*x", "x",
     {"x": ("n*q", 1), "A": ("n", "n"), "B": ("q", "q")},
     lambda v: (v.x.T @ np.kron(v.A, v.B) @ v.x).item(),
     lambda s: s.x.T * KroneckerProduct(s.A, s.B) * s.x)
case("vec quadratic form", "vec(X)'*A*vec(X)", "X", {"X": ("n", "m"), "A": ("n*m", "n*m")},
     lambda v: (v.X.reshape(-1, 1, order="F").T @ v.A @ v.X.reshape(-1, 1, order="F")).item())
# --- machine learning
LOGREG = "sum(log(1 + exp(-y.*(X*w))))"
_logreg_shapes = {"X": ("N", "n"), "y": ("N", 1), "w": ("n", 1)}


def _logreg_ref(v):
    return float(np.sum(np.log(1 + np.exp(-v.y * (v.X @ v.w)))))


def _logreg_sympy(s):
    z = HadamardProduct(-s.y, s.X * s.w)
    return _sum(_ew(sp.log, _ones(z.shape[0], 1) + _ew(sp.exp, z)))


case("logistic regression", LOGREG, "w", _logreg_shapes, _logreg_ref, _logreg_sympy,
     domain={"y": "sign"})
case("logistic regression + L2", LOGREG + " + lambda/2*norm(w)^2", "w",
     dict(_logreg_shapes, **{"lambda": ()}), lambda v: _logreg_ref(v) + v.lam / 2 * sq(v.w),
     lambda s: _logreg_sympy(s) + s.lam / 2 * Trace(s.w.T * s.w), domain={"y": "sign"})
case("sigmoid cross-entropy", "-(y'*log(sigmoid(X*w)) + (1 - y)'*log(1 - sigmoid(X*w)))", "w",
     _logreg_shapes,
     lambda v: -(v.y.T @ np.log(sigm(v.X @ v.w))
                 + (1 - v.y).T @ np.log(1 - sigm(v.X @ v.w))).item(),
     lambda s: -(s.y.T * _ew(sp.log, _ew(_lam(lambda t: 1 / (1 + sp.exp(-t))), s.X * s.w))
                 + (_ones(s.y.shape[0], 1) - s.y).T
                 * _ew(sp.log, _ones(s.y.shape[0], 1)
                       - _ew(_lam(lambda t: 1 / (1 + sp.exp(-t))), s.X * s.w))),
     domain={"y": "01"})
case("softmax cross-entropy", "-y'*log(softmax(W*x))", "W",
     {"y": ("m", 1), "W": ("m", "n"), "x": ("n", 1)},
     lambda v: -(v.y.T @ np.log(softmax(v.W @ v.x))).item(),
     # log(softmax(z)) = z - log(sum(exp(z)))*1
     lambda s: -(s.y.T * (s.W * s.x - sp.log(Trace(_sum(_ew(sp.exp, s.W * s.x))))
                          * _ones(s.y.shape[0], 1))),
     domain={"y": "positive"})
case("sum of exponentials", "sum(exp(X*v))", "v", {"X": ("N", "n"), "v": ("n", 1)},
     lambda v: float(np.sum(np.exp(v.X @ v.v))), lambda s: _sum(_ew(sp.exp, s.X * s.v)))
case("sum of exponentials", "sum(exp(X*v))", "X", {"X": ("N", "n"), "v": ("n", 1)},
     lambda v: float(np.sum(np.exp(v.X @ v.v))), lambda s: _sum(_ew(sp.exp, s.X * s.v)))
# (mu is declared: a lowercase Greek name is a scalar by LANGUAGE.md's naming convention)
GAUSS = "-1/2*logdet(Sigma) - 1/2*(x - mu)'*inv(Sigma)*(x - mu) where mu: vector"
_gauss_shapes = {"Sigma": ("n", "n"), "x": ("n", 1), "mu": ("n", 1)}


def _gauss_ref(v):
    r = v.x - v.mu
    return -0.5 * logdet(v.Sigma) - 0.5 * (r.T @ inv(v.Sigma) @ r).item()


def _gauss_sympy(s):
    r = s.x - s.mu
    return -sp.log(Determinant(s.Sigma)) / 2 - Trace(r.T * Inverse(s.Sigma) * r) / 2


for _w in ("mu", "Sigma"):
    case("Gaussian log-likelihood", GAUSS, _w, _gauss_shapes, _gauss_ref, _gauss_sympy,
         domain={"Sigma": "spd"})
NET = "norm(W2*tanh(W1*x) - y)^2"
_net_shapes = {"W1": ("m", "n"), "x": ("n", 1), "W2": ("q", "m"), "y": ("q", 1)}
for _w in ("W1", "W2"):
    case("two-layer net", NET, _w, _net_shapes, lambda v: sq(v.W2 @ np.tanh(v.W1 @ v.x) - v.y),
         lambda s: ((s.W2 * _ew(sp.tanh, s.W1 * s.x) - s.y).T
                    * (s.W2 * _ew(sp.tanh, s.W1 * s.x) - s.y)))
case("two-layer net, softplus + L2", "sum(softplus(W2*relu(W1*x))) + lambda/2*norm(W1, 'fro')^2",
     "W1", {"W1": ("m", "n"), "x": ("n", 1), "W2": ("q", "m"), "lambda": ()},
     lambda v: float(np.sum(np.logaddexp(0, v.W2 @ np.maximum(v.W1 @ v.x, 0))))
     + v.lam / 2 * sq(v.W1),
     lambda s: _sum(_ew(_lam(lambda t: sp.log(1 + sp.exp(t))),
                        s.W2 * _ew(_lam(lambda t: sp.Max(t, 0)), s.W1 * s.x)))
     + s.lam / 2 * _fro2(s.W1))

# ============================================================================ timing helpers


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout()


def call_with_timeout(fn, seconds):
    """fn() with a wall-clock limit (SIGALRM where available)."""
    if not hasattr(signal, "SIGALRM") or seconds is None:
        return fn()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def timed(fn, before=None):
    if before is not None:
        before()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def clear_caches() -> None:
    """matdiff's interned nodes and memo tables, forgotten before a timed repeat."""
    from matdiff.algebra import clear_caches as clear

    clear()


def repeat_median(fn, max_repeats, budget, before=None, min_repeats=3):
    """Median wall and CPU seconds of fn() over up to max_repeats runs (stop after budget s).

    Wall time (perf_counter) is the headline; the process CPU time (process_time) beside it
    does not count the time the process waits for a CPU, so it shows how much of the wall
    time is other work on a busy machine.
    """
    walls, cpus = [], []
    start = time.perf_counter()
    while len(walls) < max_repeats:
        if before is not None:
            before()
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), time.process_time()
        walls.append(t1 - t0)
        cpus.append(c1 - c0)
        if len(walls) >= min_repeats and time.perf_counter() - start > budget:
            break
    return statistics.median(walls), statistics.median(cpus), len(walls)


# ============================================================================ numeric checking


def concrete(dim):
    if isinstance(dim, int):
        return dim
    return int(eval(dim, {}, dict(SIZES)))  # "n*q" -> 6


def sample(case: Case, rng) -> dict[str, np.ndarray]:
    """Values (2-D arrays; scalars 1x1) for every variable of a case."""
    vals = {}
    for name, shp in case.shapes.items():
        shape = (1, 1) if shp == () else (concrete(shp[0]), concrete(shp[1]))
        dom = case.domain.get(name, "normal")
        if dom == "spd":
            b = rng.standard_normal(shape)
            x = b @ b.T / shape[0] + np.eye(shape[0])
        elif dom == "inv":
            x = rng.standard_normal(shape) + 3 * np.eye(shape[0])
        elif dom == "sym":
            b = rng.standard_normal(shape)
            x = (b + b.T) / 2
        elif dom == "positive":
            x = rng.uniform(0.5, 2.0, shape)
        elif dom == "01":
            x = rng.integers(0, 2, shape).astype(float)
        elif dom == "sign":
            x = np.where(rng.standard_normal(shape) >= 0, 1.0, -1.0)
        else:
            x = rng.standard_normal(shape)
        vals[name] = x
    return vals


def namespace(vals):
    ns = SimpleNamespace()
    for k, v in vals.items():
        setattr(ns, "lam" if k == "lambda" else k, v.item() if v.shape == (1, 1) else v)
    return ns


def fd_gradient(case: Case, vals, h=1e-6, complex_step=False) -> np.ndarray:
    """Central differences of the NumPy function with respect to case.wrt.

    With complex_step (for functions written to be analytic), Im f(x + ih e)/h instead:
    no cancellation, so tiny gradients (deep networks) are resolved too.
    """
    x = vals[case.wrt]
    g = np.zeros_like(x)
    if complex_step:
        for idx in np.ndindex(*x.shape):
            xc = x.astype(complex)
            xc[idx] += 1e-30j
            g[idx] = np.imag(case.ref(namespace(dict(vals, **{case.wrt: xc})))) / 1e-30
        return g
    for idx in np.ndindex(*x.shape):
        plus, minus = dict(vals), dict(vals)
        xp, xm = x.copy(), x.copy()
        step = h * max(1.0, abs(x[idx]))
        xp[idx] += step
        xm[idx] -= step
        plus[case.wrt], minus[case.wrt] = xp, xm
        g[idx] = (case.ref(namespace(plus)) - case.ref(namespace(minus))) / (2 * step)
    return g


def rel_err(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-8))


TOL = 1e-5


# ------------------------------------------------------------------ SymPy results evaluated


class Unevaluable(Exception):
    """SymPy's answer cannot be evaluated (malformed, or a node this evaluator lacks)."""


class Malformed(Unevaluable):
    pass


_ELEMENTWISE: dict = {}


def _elementwise(function):
    f = _ELEMENTWISE.get(function)
    if f is None:
        if isinstance(function, sp.Lambda):
            f = sp.lambdify(function.variables, function.expr, "numpy")
        else:
            t = sp.Dummy("t")
            f = sp.lambdify(t, function(t), "numpy")
        _ELEMENTWISE[function] = f
    return f


def sympy_evaluate(e, env, dims):
    """The value of a SymPy (matrix or array) expression: matrices 2-D, arrays N-D."""
    memo: dict = {}

    def dim(d):
        v = sp.sympify(d).xreplace(dims)
        if not v.is_Integer:
            raise Unevaluable(f"unknown dimension {d}")
        return int(v)

    def ev(x):
        if x not in memo:
            memo[x] = _ev(x)
        return memo[x]

    def _ev(x):
        if x in env:
            return env[x]
        name = type(x).__name__
        if isinstance(x, sp.Derivative) or name == "ArrayDerivative":
            raise Unevaluable("unevaluated derivative")
        if isinstance(x, (MatrixSymbol, sp.Symbol)):
            raise Unevaluable(f"no value for {x}")
        if isinstance(x, MatMul):
            acc, coef = None, 1.0
            for a in x.args:
                v = ev(a)
                if isinstance(a, sp.MatrixExpr) or getattr(a, "is_Matrix", False):
                    if acc is not None and acc.shape[1] != v.shape[0]:
                        raise Malformed("product of mismatched shapes")
                    acc = v if acc is None else acc @ v
                else:
                    coef = coef * v
            return coef * acc
        if isinstance(x, (MatAdd, ArrayAdd)):
            vs = [ev(a) for a in x.args]
            if len({v.shape for v in vs}) != 1:
                raise Malformed("sum of different shapes")
            return functools.reduce(np.add, vs)
        if isinstance(x, Transpose):
            return ev(x.arg).T
        if isinstance(x, Inverse):
            return np.linalg.inv(ev(x.arg))
        if isinstance(x, MatPow):
            if not x.exp.is_Integer:
                raise Unevaluable(f"matrix power {x.exp}")
            return np.linalg.matrix_power(ev(x.base), int(x.exp))
        if isinstance(x, HadamardProduct):
            return functools.reduce(np.multiply, [ev(a) for a in x.args])
        if isinstance(x, HadamardPower):
            return np.power(ev(x.base), ev(x.exp))
        if isinstance(x, Trace):
            return float(np.trace(ev(x.arg)))
        if isinstance(x, Determinant):
            return float(np.linalg.det(ev(x.arg)))
        if isinstance(x, Identity):
            return np.eye(dim(x.rows))
        if isinstance(x, ZeroMatrix):
            return np.zeros((dim(x.rows), dim(x.cols)))
        if isinstance(x, OneMatrix):
            return np.ones((dim(x.rows), dim(x.cols)))
        if isinstance(x, KroneckerProduct):
            return functools.reduce(np.kron, [ev(a) for a in x.args])
        if isinstance(x, DiagMatrix):
            return np.diag(ev(x.args[0]).ravel())
        if isinstance(x, DiagonalOf):
            return np.diag(ev(x.arg)).reshape(-1, 1)
        if isinstance(x, DiagonalMatrix):
            return np.diag(np.diag(ev(x.arg)))
        if isinstance(x, MatrixElement):
            return ev(x.parent)[int(x.i), int(x.j)]
        if isinstance(x, (ElementwiseApplyFunction, ArrayElementwiseApplyFunc)):
            return np.asarray(_elementwise(x.function)(ev(x.expr)), dtype=float) * np.ones(
                ev(x.expr).shape)
        if isinstance(x, MatrixBase):
            return np.array([[ev(y) for y in row] for row in x.tolist()], dtype=float)
        if isinstance(x, ArrayTensorProduct):
            return functools.reduce(np.multiply.outer, [np.asarray(ev(a)) for a in x.args])
        if isinstance(x, (ArrayContraction, ArrayDiagonal)):
            v = np.asarray(ev(x.expr))
            labels = list(range(v.ndim))
            groups = (x.contraction_indices if isinstance(x, ArrayContraction)
                      else x.diagonal_indices)
            for g in groups:
                if max(g) >= v.ndim or len({v.shape[i] for i in g}) != 1:
                    raise Malformed(f"{name} over indices of different sizes")
                for i in g[1:]:
                    labels[i] = labels[g[0]]
            grouped = {i for g in groups for i in g}
            out = [labels[i] for i in range(v.ndim) if i not in grouped]
            if isinstance(x, ArrayDiagonal):
                out += [labels[g[0]] for g in groups]
            return np.einsum(v, labels, out)
        if isinstance(x, PermuteDims):
            return np.transpose(ev(x.expr), x.permutation.array_form)
        if isinstance(x, Reshape):
            return np.reshape(ev(x.expr), [dim(d) for d in x.shape])
        if isinstance(x, ZeroArray):
            return np.zeros([dim(d) for d in x.shape])
        if isinstance(x, OneArray):
            return np.ones([dim(d) for d in x.shape])
        if x.is_Number:
            return float(x)
        if isinstance(x, sp.Add):
            return functools.reduce(np.add, [ev(a) for a in x.args])
        if isinstance(x, sp.Mul):
            return functools.reduce(np.multiply, [ev(a) for a in x.args])
        if isinstance(x, sp.Pow):
            return np.power(ev(x.base), ev(x.exp))
        if isinstance(x, sp.Function) and len(x.args) == 1:
            return _elementwise(x.func)(ev(x.args[0]))
        raise Unevaluable(f"no numeric rule for {name}")

    return ev(e)


def as_gradient(value, shape):
    """A numeric answer as an array of the variable's shape, or None if it has another shape."""
    v = np.asarray(value, dtype=float)
    if v.size != shape[0] * shape[1]:
        return None
    sq_v = np.squeeze(v)
    want = tuple(d for d in shape if d != 1)
    if sq_v.shape == want or (v.ndim == 2 and v.shape == shape):
        return sq_v.reshape(shape)
    return None


# ================================================================================= running


@dataclass
class CaseResult:
    case: Case
    md_ms: float | None = None
    md_cpu_ms: float | None = None
    md_first_ms: float | None = None
    md_repeats: int = 0
    md_text: str = ""
    md_error: str = ""
    md_checked_ms: float | None = None  # the same, with the numeric check every answer gets
    md_check: str = ""  # yes / no / error
    md_fd: str = ""  # agreement with independent finite differences
    sp_ms: float | None = None
    sp_cpu_ms: float | None = None
    sp_first_ms: float | None = None
    sp_repeats: int = 0
    sp_status: str = "n/a"  # yes / no / 0 / unevaluated / error / n/a / unchecked
    sp_text: str = ""
    sp_note: str = ""


def sympy_symbols(case: Case):
    """Fresh SymPy symbols for the variables (dimension names as positive integer symbols)."""
    dimsyms = {d: sp.Symbol(d, integer=True, positive=True) for d in SIZES}
    ns = SimpleNamespace()
    env_keys = {}
    for name, shp in case.shapes.items():
        if shp == ():
            s = sp.Symbol(name, real=True)
        else:
            s = MatrixSymbol(name, *[d if isinstance(d, int) else sp.sympify(d, locals=dimsyms)
                                     for d in shp])
        setattr(ns, "lam" if name == "lambda" else name, s)
        env_keys[name] = s
    return ns, env_keys, dimsyms


def sympy_run(case: Case):
    """Build the function with fresh symbols, differentiate it, print the answer.

    A builder may return a list of terms: they are differentiated one by one (the work-around
    for SymPy differentiating a sum of traces to 0, sympy/sympy#26585, #26561).
    """
    ns, keys, _ = sympy_symbols(case)
    f = case.sympy(ns)
    x = keys[case.wrt]
    if isinstance(f, list):
        g = [t.diff(x) for t in f]
        return f, g, " + ".join(map(str, g))
    g = f.diff(x)
    return f, g, str(g)


def sympy_term_by_term(case: Case, timeout):
    """The case's function expanded into terms, each differentiated on its own (or None)."""
    ns, keys, _ = sympy_symbols(case)
    f = case.sympy(ns)
    if not isinstance(f, sp.Add):
        return None
    terms = list(sp.Add.make_args(sp.expand(f)))
    if len(terms) < 2:
        return None
    g = call_with_timeout(lambda: [t.diff(keys[case.wrt]) for t in terms], timeout)
    return terms, g


def _is_zero(g) -> bool:
    return g == 0 or isinstance(g, (ZeroMatrix, ZeroArray)) or bool(getattr(g, "is_ZeroMatrix",
                                                                            False))


def classify_sympy(case: Case, f, g, vals, fd) -> tuple[str, str]:
    """yes / no / 0 / unevaluated / unchecked, and a note; f and g may be lists of terms."""
    fs = f if isinstance(f, list) else [f]
    gs = g if isinstance(g, list) else [g]
    _ns, keys, dimsyms = sympy_symbols(case)
    env = {}
    for name, s in keys.items():
        env[s] = vals[name].item() if vals[name].shape == (1, 1) else vals[name]
    dims = {dimsyms[d]: sp.Integer(v) for d, v in SIZES.items()}
    # the function itself must agree with the NumPy version (else the case table is wrong)
    try:
        fv = sum(float(np.squeeze(sympy_evaluate(t, env, dims))) for t in fs)
        ref = case.ref(namespace(vals))
        if abs(fv - ref) > 1e-8 * max(1.0, abs(ref)):
            return "unchecked", f"SymPy function value {fv:.6g} != NumPy {ref:.6g} (benchmark bug)"
    except Exception as e:
        return "unchecked", f"could not evaluate SymPy's function: {type(e).__name__}: {e}"
    if any(gi.has(sp.Derivative) or any(type(a).__name__ == "ArrayDerivative"
                                        for a in sp.preorder_traversal(gi)) for gi in gs):
        return "unevaluated", "the answer contains an unevaluated derivative"
    if all(_is_zero(gi) for gi in gs):
        return "0", "the answer is zero" if np.linalg.norm(fd) > 1e-8 else "zero (and so is FD)"
    shape = vals[case.wrt].shape
    grad = np.zeros(shape)
    for gi in gs:
        if _is_zero(gi):
            continue
        try:
            value = sympy_evaluate(gi, env, dims)
        except Malformed as e:
            return "no", f"malformed answer: {e}"
        except Unevaluable as e:
            return "unchecked", f"cannot evaluate SymPy's answer: {e}"
        except Exception as e:
            return "no", f"answer fails to evaluate: {type(e).__name__}: {e}"
        part = as_gradient(value, shape)
        if part is None:
            return "no", f"answer has shape {np.shape(value)}, the variable {shape}"
        grad = grad + part
    err = rel_err(grad, fd)
    if err < TOL:
        return "yes", ""
    if np.linalg.norm(grad) == 0:
        return "0", "the answer evaluates to zero"
    return "no", f"relative error {err:.2g} against finite differences"


def md_values_dims(program, vals):
    """matdiff's dimension names -> sizes, read off the values given to its variables."""
    dims: dict[str, int] = {}
    for name, sym in program.syms.items():
        if name not in vals:
            continue
        for d, size in zip(sym.shape, vals[name].shape):
            if isinstance(d, str) and "*" not in d and dims.setdefault(d, size) != size:
                raise ValueError(f"dimension {d} would be {dims[d]} and {size}")
    return dims


def run_case(case: Case, opts, rng) -> CaseResult:
    res = CaseResult(case)
    vals = sample(case, rng)
    fd = fd_gradient(case, vals)

    def md():  # the derivation alone (SymPy checks nothing either)
        return matdiff.gradient(case.expr, case.wrt, check=False, **case.decls).text

    def md_checked():  # what a user gets by default: the answer checked before it is shown
        return matdiff.gradient(case.expr, case.wrt, **case.decls).text

    # ---- matdiff
    try:
        dt, res.md_text = timed(md)
        res.md_first_ms = dt * 1e3
        med, cpu, res.md_repeats = repeat_median(md, opts.md_repeats, opts.md_budget,
                                                before=clear_caches, min_repeats=10)
        res.md_ms, res.md_cpu_ms = med * 1e3, cpu * 1e3
        med, _, _ = repeat_median(md_checked, max(3, opts.md_repeats // 10), opts.md_budget,
                                  before=clear_caches, min_repeats=3)
        res.md_checked_ms = med * 1e3
    except Exception as e:
        res.md_error = f"{type(e).__name__}: {e}".splitlines()[0]
    if not res.md_error:
        r = matdiff.gradient(case.expr, case.wrt, **case.decls)
        try:
            res.md_check = "yes" if r.check().passed else "no"
        except Exception as e:
            res.md_check = f"error ({type(e).__name__})"
        try:
            dims = md_values_dims(r.program, vals)
            g = md_evaluate(r.expr, vals, dims)
            err = rel_err(g.reshape(fd.shape), fd)
            res.md_fd = "yes" if err < TOL else f"no (rel. error {err:.2g})"
        except Exception as e:
            res.md_fd = f"unchecked ({type(e).__name__}: {e})"
    # ---- SymPy
    if case.sympy is None or sp is None:
        res.sp_note = ("not expressible with SymPy matrix expressions" if sp else
                       SYMPY_ERROR or "SymPy skipped (--no-sympy)")
        return res
    try:
        dt, (f, g, res.sp_text) = timed(lambda: call_with_timeout(
            lambda: sympy_run(case), opts.sp_timeout), clear_cache)
        res.sp_first_ms = dt * 1e3
    except Timeout:
        res.sp_status, res.sp_note = "error", f"timed out after {opts.sp_timeout:g} s"
        return res
    except Exception as e:
        res.sp_first_ms = None
        res.sp_status = "error"
        res.sp_note = f"{type(e).__name__}: {e}".splitlines()[0][:120]
        _retry_term_by_term(case, res, vals, fd, opts)
        # time how long it takes to fail, for the record
        try:
            dt, _ = timed(lambda: _swallow(lambda: sympy_run(case)), clear_cache)
            res.sp_ms = dt * 1e3
        except Exception:
            pass
        return res
    med, cpu, res.sp_repeats = repeat_median(
        lambda: call_with_timeout(lambda: sympy_run(case), opts.sp_timeout),
        opts.sp_repeats, opts.sp_budget, before=clear_cache, min_repeats=min(3, opts.sp_repeats))
    res.sp_ms, res.sp_cpu_ms = med * 1e3, cpu * 1e3
    res.sp_status, res.sp_note = classify_sympy(case, f, g, vals, fd)
    _retry_term_by_term(case, res, vals, fd, opts)
    return res


def _retry_term_by_term(case, res, vals, fd, opts):
    """For a wrong sum, note whether differentiating its terms one by one would have helped."""
    if res.sp_status not in ("0", "no", "error"):
        return
    try:
        tb = sympy_term_by_term(case, opts.sp_timeout)
    except Timeout:
        res.sp_note += "; term by term: timed out"
        return
    except Exception as e:
        res.sp_note += f"; term by term: raises {type(e).__name__}"
        return
    if tb is None:
        return
    status, _ = classify_sympy(case, tb[0], tb[1], vals, fd)
    res.sp_note += f"; term by term ({len(tb[0])} terms): {status}"


def _swallow(fn):
    with contextlib.suppress(Exception):
        fn()


# ================================================================================= scaling


def ast_nodes(node) -> int:
    count, stack = 0, [node]
    while stack:
        x = stack.pop()
        count += 1
        if isinstance(x, S.Call):
            stack.extend(x.args)
        elif isinstance(x, S.Unary):
            stack.append(x.operand)
        elif isinstance(x, S.Binary):
            stack.extend((x.left, x.right))
        elif isinstance(x, S.Transpose):
            stack.append(x.operand)
    return count


def wide_text(k: int) -> str:
    """k independent groups of three terms, all in X (n x m)."""
    terms = [f"tr(A{i}*X*B{i}*X') + norm(X*w{i} - y{i})^2 + sum(exp(X*v{i}))"
             for i in range(1, k + 1)]
    names = lambda p: ", ".join(f"{p}{i}" for i in range(1, k + 1))  # noqa: E731
    return (" + ".join(terms) + f" where X: matrix(n, m), {names('A')}: matrix(n, n), "
            f"{names('B')}: matrix(m, m), {names('w')}, {names('v')}: vector(m), "
            f"{names('y')}: vector(n)")


def wide_ref(k):
    def f(v):
        X = v.X
        total = 0.0
        for i in range(1, k + 1):
            A, B, w, y, u = (getattr(v, f"{p}{i}") for p in "ABwyv")
            total += np.trace(A @ X @ B @ X.T) + np.sum((X @ w - y) ** 2) + np.sum(np.exp(X @ u))
        return total
    return f


def wide_shapes(k):
    shapes = {"X": ("n", "m")}
    for i in range(1, k + 1):
        shapes.update({f"A{i}": ("n", "n"), f"B{i}": ("m", "m"), f"w{i}": ("m", 1),
                       f"v{i}": ("m", 1), f"y{i}": ("n", 1)})
    return shapes


def wide_sympy(k):
    """As a list of 3k terms, differentiated one by one: .diff of the sum gives 0 (#26585)."""
    def build(s):
        X = s.X
        terms = []
        for i in range(1, k + 1):
            A, B, w, y, u = (getattr(s, f"{p}{i}") for p in "ABwyv")
            terms += [Trace(A * X * B * X.T), (X * w - y).T * (X * w - y),
                      _sum(_ew(sp.exp, X * u))]
        return terms
    return build


def deep_text(k: int) -> str:
    """A k-layer tanh network, differentiated by its first layer."""
    e = "x"
    for i in range(1, k + 1):
        e = f"tanh(W{i}*{e})"
    return (f"norm({e} - y)^2 where x, y: vector(n), "
            + ", ".join(f"W{i}" for i in range(1, k + 1)) + ": matrix(n, n)")


def deep_ref(k):
    def f(v):
        h = v.x
        for i in range(1, k + 1):
            h = np.tanh(getattr(v, f"W{i}") @ h)
        return np.sum((h - v.y) ** 2)
    return f


def deep_shapes(k):
    shapes = {"x": ("n", 1), "y": ("n", 1)}
    shapes.update({f"W{i}": ("n", "n") for i in range(1, k + 1)})
    return shapes


def deep_sympy(k):
    def build(s):
        h = s.x
        for i in range(1, k + 1):
            h = _ew(sp.tanh, getattr(s, f"W{i}") * h)
        return (h - s.y).T * (h - s.y)
    return build


@dataclass
class ScalePoint:
    k: int
    ast: int = 0
    ir: int = 0
    compile_ms: float = 0.0
    derive_ms: float = 0.0
    print_ms: float = 0.0
    total_ms: float = 0.0
    cpu_ms: float = 0.0
    chars: int = 0
    repeats: int = 0
    correct: str = ""
    error: str = ""


def scale_matdiff(family, k, wrt, opts, rng) -> ScalePoint:
    text = family["text"](k)
    pt = ScalePoint(k)
    try:
        pt.ast = ast_nodes(matdiff.parse(text).expr)
        phases = []
        gc.collect()
        start = time.perf_counter()
        cpus = []
        while True:
            c0, t0 = time.process_time(), time.perf_counter()
            program = compile_program(text, require_scalar=True)
            t1 = time.perf_counter()
            result = derive(program, wrt)
            t2 = time.perf_counter()
            out = result.text
            t3, c3 = time.perf_counter(), time.process_time()
            phases.append((t1 - t0, t2 - t1, t3 - t2))
            cpus.append(c3 - c0)
            if len(phases) >= opts.scale_repeats or (
                    len(phases) >= opts.scale_min_repeats
                    and time.perf_counter() - start > opts.scale_budget):
                break
        pt.repeats = len(phases)
        pt.compile_ms, pt.derive_ms, pt.print_ms = (
            statistics.median(p[i] for p in phases) * 1e3 for i in range(3))
        pt.total_ms = statistics.median(sum(p) for p in phases) * 1e3
        pt.cpu_ms = statistics.median(cpus) * 1e3
        pt.ir = len(list(program.expr.walk()))
        pt.chars = len(out)
    except (matdiff.MatdiffError, RecursionError) as e:
        pt.error = f"{type(e).__name__}: {e}".splitlines()[0][:100]
        return pt
    # correctness against finite differences of the NumPy version (cheap: one point)
    case = Case("scale", text, wrt, family["shapes"](k), family["ref"](k))
    vals = sample(case, rng)
    try:
        g = md_evaluate(result.expr, vals, md_values_dims(program, vals))
        err = rel_err(g, fd_gradient(case, vals, complex_step=True))
        pt.correct = "yes" if err < TOL else f"no ({err:.1g})"
    except Exception as e:
        pt.correct = f"unchecked ({type(e).__name__})"
    return pt


def scale_sympy(family, k, wrt, opts, rng) -> ScalePoint:
    pt = ScalePoint(k)
    case = Case("scale", "", wrt, family["shapes"](k), family["ref"](k), family["sympy"](k))
    try:
        c0 = time.process_time()
        dt, (f, g, text) = timed(lambda: call_with_timeout(lambda: sympy_run(case),
                                                           opts.sp_scale_timeout), clear_cache)
        pt.cpu_ms = (time.process_time() - c0) * 1e3
    except Timeout:
        pt.error = f"timed out after {opts.sp_scale_timeout:g} s"
        return pt
    except Exception as e:
        pt.error = f"{type(e).__name__}: {e}".splitlines()[0][:100]
        return pt
    pt.total_ms = dt * 1e3
    pt.chars = len(text)
    pt.repeats = 1
    vals = sample(case, rng)
    status, note = classify_sympy(case, f, g, vals, fd_gradient(case, vals, complex_step=True))
    pt.correct = status + (f" ({note})" if note and status != "yes" else "")
    return pt


def loglog_slope(xs, ys):
    """Least-squares slope of log(y) against log(x): 1 is linear growth."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return float("nan")
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    num = sum((x - mx) * (y - my) for x, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return num / den if den else float("nan")


FAMILIES = {
    "wide": {"text": wide_text, "ref": wide_ref, "shapes": wide_shapes, "sympy": wide_sympy,
             "wrt": "X",
             "title": "sum of k groups `tr(Ai*X*Bi*X') + norm(X*wi - yi)^2 + sum(exp(X*vi))`, "
                      "d/dX"},
    "deep": {"text": deep_text, "ref": deep_ref, "shapes": deep_shapes, "sympy": deep_sympy,
             "wrt": "W1",
             "title": "k-layer network `norm(tanh(Wk*...tanh(W1*x)) - y)^2`, d/dW1"},
}

# ================================================================================= report


def fmt_ms(x, digits=None):
    if x is None:
        return "-"
    if digits is None:
        digits = 2 if x < 10 else 1 if x < 100 else 0
    return f"{x:.{digits}f}"


def code(s: str, limit: int | None = None) -> str:
    s = " ".join(s.split())
    if limit and len(s) > limit:
        s = s[: limit - 1] + "…"
    s = s.replace("|", "\\|")
    return f"`{s}`" if s else ""


def machine_info() -> list[str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        avail = len(os.sched_getaffinity(0))
    except AttributeError:
        avail = os.cpu_count()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                                capture_output=True, timeout=5).stdout.strip()
    except Exception:
        commit = ""
    return [
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()} {platform.machine()}",
        f"- CPU: {cpu or 'unknown'}; {os.cpu_count()} logical CPUs ({avail} available to this "
        "process); everything runs single-threaded",
        f"- matdiff {matdiff.__version__}" + (f" (git {commit}, working tree as is)" if commit
                                              else "")
        + f", NumPy {np.__version__}, SymPy "
        + (sp.__version__ if sp else f"not used ({SYMPY_ERROR or '--no-sympy'})"),
    ]


def load_text() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "?"


def report(results: list[CaseResult], scaling, sp_scaling, md_points, opts, elapsed) -> str:
    L: list[str] = []
    L.append("# matdiff derivation speed")
    L.append("")
    L.append(f"Generated by `python benchmarks/derive_speed.py{' --quick' if opts.quick else ''}` "
             f"on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} in {elapsed:.0f} s"
             + (" (quick mode: few repeats, the numbers are noisy)." if opts.quick else "."))
    L.append("")
    L.extend(machine_info())
    cpu = time.process_time() - opts.cpu_start
    L.append(f"- Load average (1/5/15 min) at the start {opts.load_start}, at the end "
             f"{load_text()}; this process got {cpu:.0f} s of CPU in {elapsed:.0f} s of wall "
             "time. Other work on the machine shows as noise in the (wall-clock) timings.")
    L.append("")
    # ---------------------------------------------------------------- summary
    n = len(results)
    md_ok = [r for r in results if r.md_ms is not None]
    md_med = statistics.median(r.md_ms for r in md_ok) if md_ok else float("nan")
    md_first = statistics.median(r.md_first_ms for r in md_ok) if md_ok else float("nan")
    slowest = sorted(md_ok, key=lambda r: -r.md_cpu_ms)[:3]
    both = [r for r in md_ok if r.sp_status == "yes" and r.sp_ms]
    ratios = [r.sp_ms / r.md_ms for r in both]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.sp_status] = counts.get(r.sp_status, 0) + 1
    bad = n - counts.get("yes", 0)
    md_fail = [r for r in results if r.md_error or r.md_check != "yes" or r.md_fd != "yes"]
    L.append("## Summary")
    L.append("")
    md_cpu = statistics.median(r.md_cpu_ms for r in md_ok) if md_ok else float("nan")
    L.append(f"- **matdiff**: median **{md_med:.2f} ms** per gradient over the {len(md_ok)} "
             f"cases (end to end: parse, types, derivative, printing `.text`; {md_cpu:.2f} ms "
             f"of CPU); first call (cold) median {md_first:.2f} ms. Slowest by CPU time: "
             + "; ".join(f"#{results.index(r) + 1} {code(r.case.expr, 60)} d/d{r.case.wrt} "
                         f"{r.md_cpu_ms:.1f} ms CPU ({r.md_ms:.1f} ms wall)" for r in slowest)
             + ".")
    checked = [r.md_checked_ms for r in md_ok if r.md_checked_ms is not None]
    if checked:
        L.append(f"- **the numeric check every answer gets by default** (`check=False` skips "
                 f"it): median {statistics.median(checked):.2f} ms per gradient with it, "
                 f"{statistics.median(c - r.md_ms for c, r in zip(checked, md_ok)):.2f} ms "
                 "more than the derivation alone (median over the cases).")
    L.append(f"- matdiff answers: {n - len(md_fail)}/{n} pass both `Result.check()` and the "
             "independent finite-difference comparison"
             + ("" if not md_fail else "; failures: " + "; ".join(
                 f"#{results.index(r) + 1} "
                 f"{r.md_error or ('check ' + r.md_check + ', FD ' + r.md_fd)}"
                 for r in md_fail)) + ".")
    if ratios:
        cpu_ratios = [r.sp_cpu_ms / r.md_cpu_ms for r in both if r.md_cpu_ms]
        L.append(f"- **SymPy/matdiff**: median ratio **{statistics.median(ratios):.0f}x** "
                 f"(range {min(ratios):.0f}x-{max(ratios):.0f}x; in CPU time, which a busy "
                 f"machine disturbs less, {statistics.median(cpu_ratios):.0f}x) on the "
                 f"{len(both)} cases SymPy "
                 "answers correctly; SymPy's median there "
                 f"{statistics.median(r.sp_ms for r in both):.0f} ms.")
    parts = ", ".join(f"{counts[k]} {label}" for k, label in [
        ("no", "wrong"), ("0", "zero"), ("unevaluated", "unevaluated"),
        ("error", "raise"), ("n/a", "not expressible"), ("unchecked", "unchecked")]
        if counts.get(k))
    if sp is None:
        L.append("- SymPy was not run.")
    else:
        L.append(f"- **SymPy gets {bad} of {n} cases wrong or cannot do them** ({parts}); "
                 f"correct on {counts.get('yes', 0)}.")
    for fam, pts in scaling.items():
        ok = [p for p in pts if not p.error]
        if len(ok) >= 2:
            xs = [p.ast for p in ok]
            s = loglog_slope(xs, [p.total_ms for p in ok])
            phase = max(("compile", "derive", "print"),
                        key=lambda ph: loglog_slope(xs, [getattr(p, ph + "_ms") for p in ok]))
            sc = loglog_slope(xs, [p.cpu_ms for p in ok])
            L.append(f"- Scaling ({fam}): {ok[0].ast}-{ok[-1].ast} AST nodes take "
                     f"{ok[0].total_ms:.1f}-{ok[-1].total_ms:.0f} ms ({ok[0].cpu_ms:.1f}-"
                     f"{ok[-1].cpu_ms:.0f} ms CPU); time ~ nodes^{s:.2f}, CPU time ~ "
                     f"nodes^{sc:.2f} (log-log fits; 1 = linear), steepest phase {phase} "
                     f"(^{loglog_slope(xs, [getattr(p, phase + '_ms') for p in ok]):.2f}); "
                     f"answer length ~ nodes^{loglog_slope(xs, [p.chars for p in ok]):.2f}; "
                     f"{1e3 * ok[-1].cpu_ms / ok[-1].ast:.0f} µs of CPU per AST node at the "
                     "largest.")
    L.append("")
    # ---------------------------------------------------------------- per case
    L.append("## Per case")
    L.append("")
    L.append("Times in milliseconds, wall clock (`perf_counter`), with the median process CPU "
             "time (`process_time`) beside it. matdiff: median of up to "
             f"{opts.md_repeats} repeats (count in the `n` column), and the first call. SymPy: "
             "build + `.diff` + `str`, median of up to "
             f"{opts.sp_repeats} repeats after `clear_cache()`. The ratio (of wall medians) is "
             "given where SymPy's answer is right. `SymPy correct?`: yes; no (wrong value or "
             "malformed); 0 (returns "
             "zero); unevaluated (returns a `Derivative`); error (raises; its time is the time to "
             "fail); n/a (no SymPy formulation). `matdiff ok?`: `Result.check()` / agreement with "
             "finite differences of an independent NumPy version.")
    L.append("")
    L.append("| # | case | expression | wrt | matdiff ms | CPU ms | n | first ms | SymPy ms | "
             "CPU ms | SymPy/matdiff | SymPy correct? | matdiff ok? |")
    L.append("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|")
    for i, r in enumerate(results, 1):
        c = r.case
        ratio = (f"{r.sp_ms / r.md_ms:.0f}x" if r.sp_status == "yes" and r.md_ms and r.sp_ms
                 else "")
        ok = ("error" if r.md_error else
              ("yes" if r.md_check == "yes" and r.md_fd == "yes" else f"{r.md_check} / {r.md_fd}"))
        L.append(f"| {i} | {c.name} | {code(c.expr)} | {c.wrt} | {fmt_ms(r.md_ms)} | "
                 f"{fmt_ms(r.md_cpu_ms)} | {r.md_repeats} | {fmt_ms(r.md_first_ms)} | "
                 f"{fmt_ms(r.sp_ms)} | {fmt_ms(r.sp_cpu_ms)} | {ratio} | "
                 f"{r.sp_status} | {ok} |")
    L.append("")
    L.append("### Answers")
    L.append("")
    L.append("matdiff's printed gradient, and SymPy's answer (truncated) with the reason it "
             "was classified as it was.")
    L.append("")
    L.append("| # | matdiff | SymPy | note |")
    L.append("|---|---|---|---|")
    for i, r in enumerate(results, 1):
        md = code(r.md_text, 90) if not r.md_error else "**" + r.md_error.replace("|", "\\|") + "**"
        L.append(f"| {i} | {md} | {code(r.sp_text, 90)} | {r.sp_note.replace('|', '/')} |")
    L.append("")
    # ---------------------------------------------------------------- scaling
    L.append("## Scaling")
    L.append("")
    L.append("matdiff on one expression of growing size (`compile_program` + `derive` + "
             "`.text`, phases timed separately, median of up to "
             f"{opts.scale_repeats} repeats, each point after `gc.collect()`). AST nodes are the "
             "parser's nodes, IR nodes the "
             "distinct nodes of the typed DAG (`program.expr.walk()`). `correct` compares the "
             "gradient with finite differences of a NumPy version.")
    for fam, pts in scaling.items():
        L.append("")
        L.append(f"### {fam}: {FAMILIES[fam]['title']}")
        L.append("")
        L.append("| k | AST nodes | IR nodes | compile ms | derive ms | print ms | total ms "
                 "| CPU ms | CPU µs / AST node | answer chars | correct |")
        L.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for p in pts:
            if p.error:
                L.append(f"| {p.k} | {p.ast or ''} | | | | | | | | | {p.error.replace('|', '/')} |")
                continue
            L.append(f"| {p.k} | {p.ast} | {p.ir} | {fmt_ms(p.compile_ms)} | "
                     f"{fmt_ms(p.derive_ms)} | {fmt_ms(p.print_ms)} | {fmt_ms(p.total_ms)} | "
                     f"{fmt_ms(p.cpu_ms)} | {1e3 * p.cpu_ms / p.ast:.0f} | {p.chars} | "
                     f"{p.correct} |")
        ok = [p for p in pts if not p.error]
        if len(ok) >= 2:
            L.append("")
            L.append("Log-log slopes against AST nodes (1 = linear): total "
                     f"{loglog_slope([p.ast for p in ok], [p.total_ms for p in ok]):.2f}, "
                     f"CPU {loglog_slope([p.ast for p in ok], [p.cpu_ms for p in ok]):.2f}, "
                     "compile "
                     f"{loglog_slope([p.ast for p in ok], [p.compile_ms for p in ok]):.2f}, "
                     f"derive {loglog_slope([p.ast for p in ok], [p.derive_ms for p in ok]):.2f}, "
                     f"print {loglog_slope([p.ast for p in ok], [p.print_ms for p in ok]):.2f}; "
                     "answer length "
                     f"{loglog_slope([p.ast for p in ok], [p.chars for p in ok]):.2f}.")
    for fam, pts in sp_scaling.items():
        L.append("")
        L.append(f"### SymPy on {fam}")
        L.append("")
        L.append(f"Build + `.diff` + `str`, one run per point after `clear_cache()`, limit "
                 f"{opts.sp_scale_timeout:g} s; stops after the first point over "
                 f"{opts.sp_scale_cap:g} s. matdiff's total for the same expression beside it."
                 + (" SymPy differentiates the 3k terms one by one and the answers are summed: "
                    "`.diff` of the whole sum returns 0 (sympy/sympy#26585)."
                    if fam == "wide" else ""))
        L.append("")
        L.append("| k | AST nodes | SymPy ms | CPU ms | matdiff ms | CPU ms | SymPy/matdiff "
                 "| in CPU time | SymPy correct? |")
        L.append("|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for p in pts:
            m = md_points.get(fam, {}).get(p.k)
            ast = m.ast if m else ""
            if p.error:
                L.append(f"| {p.k} | {ast} | {p.error.replace('|', '/')} | | "
                         f"{fmt_ms(m.total_ms) if m else ''} | {fmt_ms(m.cpu_ms) if m else ''} "
                         "| | | |")
                continue
            ratio = f"{p.total_ms / m.total_ms:.0f}x" if m and m.total_ms else ""
            cratio = f"{p.cpu_ms / m.cpu_ms:.0f}x" if m and m.cpu_ms else ""
            L.append(f"| {p.k} | {ast} | {fmt_ms(p.total_ms)} | {fmt_ms(p.cpu_ms)} | "
                     f"{fmt_ms(m.total_ms) if m else '-'} | {fmt_ms(m.cpu_ms) if m else '-'} | "
                     f"{ratio} | {cratio} | {p.correct.replace('|', '/')} |")
    L.append("")
    L.append("## Method notes")
    L.append("")
    L.append("- matdiff interns IR nodes (`ir.Expr._table`), so every repeat after the first "
             "reuses nodes built before; the `first ms` column is the call that builds them. "
             "SymPy's cache is cleared before each timed SymPy call.")
    L.append("- SymPy formulations: a squared Frobenius norm is `Trace(R.T*R)`, a squared "
             "2-norm `r.T*r` (or its `Trace` when combined with scalars), `sum(M)` is "
             "`OneMatrix(1, m)*M*OneMatrix(n, 1)`, `logdet` is `log(Determinant(X))`, elementwise "
             "functions are `M.applyfunc(f)` (a `Lambda` for sigmoid/softplus/relu), `.*` is "
             "`HadamardProduct`, `diag(x)` is `DiagMatrix(x)`. Sizes are symbolic integers.")
    L.append("- SymPy 1.14's `.diff` of a sum of scalar `Trace`s (or of a `Trace` plus a scalar) "
             "returns 0 (open issues sympy/sympy#26585 and #26561); that causes most of the `0` "
             "rows. The note column says whether differentiating the expanded terms one by one "
             "would have given the right answer.")
    L.append("- Wall time includes time spent waiting for a CPU. On a busy machine, long calls "
             "(SymPy's) are interrupted more often than short ones (matdiff's), so the wall-clock "
             "ratio overstates SymPy's cost. The CPU-time ratio is the fairer comparison then. "
             "On an idle machine the two agree.")
    L.append(f"- Numeric checks at one random point with n={SIZES['n']}, m={SIZES['m']}, "
             f"q={SIZES['q']}, N={SIZES['N']}; correct means relative error < {TOL:g} against "
             "central differences. SymPy's answers (matrix or array expressions) are evaluated "
             "by a small NumPy interpreter in this script; an answer whose array indices do not "
             "fit together at concrete sizes counts as wrong (malformed).")
    L.append("")
    return "\n".join(L)


# ================================================================================= main


HESSIAN_CASES = [
    ("x'*A*x", "x"),
    ("x'*A*x where A: symmetric matrix", "x"),
    ("1/N * norm(X*W - Y, 'fro')^2", "W"),
    ("sum(log(1 + exp(X*w))) - y'*X*w", "w"),
    ("sum(log(1 + exp(-y.*(X*w))))", "w"),
    ("logsumexp(x)", "x"),
    ("-y'*log(softmax(W*x))", "W"),
    ("logdet(X)", "X"),
    ("-1/2*logdet(S) - 1/2*(x - mu)'*inv(S)*(x - mu) where S: symmetric matrix, mu: vector",
     "mu"),
    ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
     " where P: mask", "U"),
    ("norm(W2*tanh(W1*x) - y)^2", "W1"),
]


def _hessian_ms(expr: str, wrt: str, opts) -> tuple[float, float, str, str | None]:
    """Median ms to derive gradient + Hessian end to end, printed (text and map): the
    derivation alone, and with the numeric check of both that every answer gets."""
    def run(check: bool = False):
        r = matdiff.hessian(expr, wrt, check=check)
        return r.text, r.map_text

    def median_ms(check: bool) -> float:
        times = []
        budget_end = time.perf_counter() + (0.05 if opts.quick else 0.5)
        while len(times) < 3 or (time.perf_counter() < budget_end and len(times) < 100):
            t = time.perf_counter()
            run(check)
            times.append((time.perf_counter() - t) * 1e3)
        return statistics.median(times)

    text, mp = run()
    return median_ms(False), median_ms(True), text, mp


def hessian_report(opts) -> str:
    """Hessians (issue 3 targets: well under 50 ms; tr((A*X)^k) under 1 s for k <= 10)."""
    L = ["## Hessians", "",
         "Median ms for gradient + Hessian, end to end (parse, types, both derivatives, "
         "printing the matrix and the map); beside it, with the numeric check of both that "
         "every answer gets by default.", "",
         "| expression | wrt | ms | checked ms | Hessian | map |", "|---|---|--:|--:|---|---|"]
    for expr, wrt in HESSIAN_CASES:
        ms, checked, text, mp = _hessian_ms(expr, wrt, opts)
        L.append(f"| `{expr}` | {wrt} | {ms:.1f} | {checked:.1f} | `{text}` | "
                 f"{'`' + mp + '`' if mp else ''} |")
    L += ["", "The Hessian of `tr((A*X)^k)` with respect to X:", "",
          "| k | ms | checked ms | characters of the Hessian |", "|--:|--:|--:|--:|"]
    for k in range(2, 11):
        ms, checked, text, _ = _hessian_ms(f"tr((A*X)^{k})", "X", opts)
        L.append(f"| {k} | {ms:.1f} | {checked:.1f} | {len(text)} |")
    return "\n".join(L)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few repeats, a smoke run")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"also write the report here (default for a full run: {RESULT_FILE})")
    ap.add_argument("--no-sympy", action="store_true", help="skip SymPy")
    opts = ap.parse_args(argv)
    if opts.quick:
        opts.md_repeats, opts.md_budget = 20, 0.1
        opts.sp_repeats, opts.sp_budget, opts.sp_timeout = 1, 0.0, 10.0
        opts.scale_repeats, opts.scale_min_repeats, opts.scale_budget = 1, 1, 0.0
        opts.wide_ks, opts.deep_ks = [4, 16, 64], [2, 8, 16]
        opts.sp_scale_ks, opts.sp_scale_timeout, opts.sp_scale_cap = [1, 2], 10.0, 2.0
    else:
        opts.md_repeats, opts.md_budget = 200, 0.4
        opts.sp_repeats, opts.sp_budget, opts.sp_timeout = 20, 1.5, 30.0
        opts.scale_repeats, opts.scale_min_repeats, opts.scale_budget = 7, 3, 3.0
        opts.wide_ks, opts.deep_ks = [4, 8, 16, 32, 64, 100, 150, 200], [1, 2, 4, 8, 16, 24, 32, 48]
        opts.sp_scale_ks, opts.sp_scale_timeout, opts.sp_scale_cap = [1, 2, 3, 4, 6, 8, 12, 16], \
            20.0, 5.0
    global sp
    if opts.no_sympy:
        sp = None
    out = opts.out or (None if opts.quick else RESULT_FILE)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    start = time.perf_counter()
    opts.load_start = load_text()
    opts.cpu_start = time.process_time()
    rng = np.random.default_rng(20240601)
    # warm up: imports and lazily built tables of both libraries are not what we time
    _ = matdiff.gradient("norm(W*u - v)^2", "W").text
    if sp is not None:
        _swallow(lambda: sympy_run(CASES[2]))
    results = []
    for i, c in enumerate(CASES, 1):
        print(f"[{i}/{len(CASES)}] {c.expr} d/d{c.wrt}", file=sys.stderr, flush=True)
        results.append(run_case(c, opts, rng))
        gc.collect()
    scaling = {}
    for fam, ks in (("wide", opts.wide_ks), ("deep", opts.deep_ks)):
        scaling[fam] = []
        for k in ks:
            print(f"[scaling {fam}] k={k}", file=sys.stderr, flush=True)
            p = scale_matdiff(FAMILIES[fam], k, FAMILIES[fam]["wrt"], opts, rng)
            scaling[fam].append(p)
            if p.error or p.total_ms > 20000:
                break
    sp_scaling = {}
    if sp is not None:
        for fam in ("wide", "deep"):
            sp_scaling[fam] = []
            for k in opts.sp_scale_ks:
                print(f"[sympy scaling {fam}] k={k}", file=sys.stderr, flush=True)
                p = scale_sympy(FAMILIES[fam], k, FAMILIES[fam]["wrt"], opts, rng)
                sp_scaling[fam].append(p)
                if p.error or p.total_ms > opts.sp_scale_cap * 1e3:
                    break
    # matdiff at the (small) sizes SymPy ran, for the side-by-side table
    md_points = {fam: {p.k: p for p in pts} for fam, pts in scaling.items()}
    for fam, pts in sp_scaling.items():
        for p in pts:
            if p.k not in md_points[fam]:
                md_points[fam][p.k] = scale_matdiff(FAMILIES[fam], p.k, FAMILIES[fam]["wrt"],
                                                    opts, rng)
    text = report(results, scaling, sp_scaling, md_points, opts, time.perf_counter() - start)
    text += "\n\n" + hessian_report(opts)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
