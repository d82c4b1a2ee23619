"""Generated code for matrix and spectral functions (issue 13): expm, logm, sqrtm and their
Frechet derivatives, eigvals/eigvecs, svals/svdU/svdV, norm(X, 2), norm(X, 'nuc') and
selections, in every backend that has the operations.

Each case runs at a well-conditioned point (X = 3*I + 0.3*randn for logm and sqrtm, an SPD
matrix for a symmetric S, distinct singular values): the value against matdiff's evaluator
and an independent NumPy/SciPy oracle, the gradient against the evaluator and against
Ridders-extrapolated finite differences of the oracle along random directions.  Backends
without an operation give a clear UnsupportedError naming the backend.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.linalg as sl

sys.path.insert(0, os.path.dirname(__file__))

from oracle import richardson, tr

from matdiff import api
from matdiff.codegen import build, load
from matdiff.errors import UnsupportedError
from matdiff.evaluate import evaluate

BACKENDS = ("numpy", "jax", "torch", "dask")
N = 4


def _general(rng, n=N):
    return 3 * np.eye(n) + 0.3 * rng.standard_normal((n, n))


def _spd(rng, n=N):
    b = rng.standard_normal((n, n))
    return b @ b.T / n + np.eye(n)


def _plain(rng, shape):
    return rng.standard_normal(shape)


def _logm_sym(s):
    w, v = np.linalg.eigh(s)
    return (v * np.log(w)) @ v.T


@dataclass
class Case:
    id: str
    expr: str
    wrt: str
    point: Callable[[np.random.Generator], dict[str, np.ndarray]]
    oracle: Callable[..., float]  # the value, written without matdiff
    backends: tuple[str, ...]  # the others must refuse with a clear error
    symmetric: tuple[str, ...] = ()
    tol: dict[str, float] = field(default_factory=dict)


CASES = [
    Case("tr_A_expm", "tr(A*expm(X))", "X",
         lambda r: {"A": _plain(r, (N, N)), "X": _plain(r, (N, N))},
         lambda A, X: tr(A @ sl.expm(X)), ("numpy", "jax", "torch")),
    Case("tr_expm", "tr(expm(X))", "X", lambda r: {"X": _plain(r, (N, N))},
         lambda X: tr(sl.expm(X)), ("numpy", "jax", "torch")),
    Case("tr_logm", "tr(logm(X))", "X", lambda r: {"X": _general(r)},
         lambda X: tr(sl.logm(X)).real, ("numpy",)),
    Case("tr_A_logm", "tr(A*logm(X))", "X", lambda r: {"A": _plain(r, (N, N)),
                                                       "X": _general(r)},
         lambda A, X: tr(A @ sl.logm(X)).real, ("numpy",)),
    Case("tr_A_sqrtm", "tr(A*sqrtm(X))", "X",
         lambda r: {"A": _plain(r, (N, N)), "X": _general(r)},
         lambda A, X: tr(A @ sl.sqrtm(X)).real, ("numpy", "jax")),
    Case("sum_exp_eigvals", "sum(exp(eigvals(S))) where S: symmetric matrix", "S",
         lambda r: {"S": _spd(r)}, lambda S: np.sum(np.exp(np.linalg.eigvalsh(S))),
         ("numpy", "jax", "torch"), ("S",)),
    Case("eigvals_1", "eigvals(S)[1] where S: symmetric matrix", "S",
         lambda r: {"S": _spd(r)}, lambda S: np.linalg.eigvalsh(S)[0],
         ("numpy", "jax", "torch"), ("S",)),
    Case("eigvals_last_sq", "eigvals(S)[4]^2 + sum(eigvals(S)) where S: symmetric matrix(4)",
         "S", lambda r: {"S": _spd(r)},
         lambda S: np.linalg.eigvalsh(S)[3] ** 2 + np.trace(S), ("numpy", "jax", "torch"),
         ("S",)),
    Case("norm_2", "norm(X, 2)", "X", lambda r: {"X": _plain(r, (5, 3))},
         lambda X: np.linalg.norm(X, 2), BACKENDS),
    Case("norm_nuc", "norm(X, 'nuc')", "X", lambda r: {"X": _plain(r, (5, 3))},
         lambda X: np.linalg.norm(X, "nuc"), BACKENDS),
    Case("norm_nuc_wide", "norm(X, 'nuc')", "X", lambda r: {"X": _plain(r, (3, 5))},
         lambda X: np.linalg.norm(X, "nuc"), BACKENDS),
    Case("norm_nuc_product", "norm(X*Y, 'nuc')", "X",
         lambda r: {"X": _plain(r, (4, 3)), "Y": _plain(r, (3, 5))},
         lambda X, Y: np.linalg.norm(X @ Y, "nuc"), BACKENDS),
    Case("sum_svals_sq", "sum(svals(X).^2)", "X", lambda r: {"X": _plain(r, (5, 3))},
         lambda X: np.sum(X * X), BACKENDS),
    Case("log_euclidean",
         "norm(logm(S1) - logm(S2), 'fro')^2 where S1, S2: symmetric matrix", "S1",
         lambda r: {"S1": _spd(r), "S2": _spd(r)},
         lambda S1, S2: np.sum((_logm_sym(S1) - _logm_sym(S2)) ** 2),
         ("numpy", "jax", "torch"), ("S1", "S2")),
    Case("tr_A_expm_sym", "tr(A*expm(S)) + tr(logm(S)) where S: symmetric matrix", "S",
         lambda r: {"A": _plain(r, (N, N)), "S": _spd(r)},
         lambda A, S: tr(A @ sl.expm(S)) + np.sum(np.log(np.linalg.eigvalsh(S))),
         ("numpy", "jax", "torch"), ("S",)),
    Case("tr_A_sqrtm_sym", "tr(A*sqrtm(S)) where S: symmetric matrix", "S",
         lambda r: {"A": _plain(r, (N, N)), "S": _spd(r)},
         lambda A, S: tr(A @ sl.sqrtm(S)).real, ("numpy", "jax", "torch"), ("S",)),
    Case("eigvecs_column", "a*sum(eigvecs(S)[:, 2]) where S: symmetric matrix; a: scalar", "a",
         lambda r: {"a": np.array([[1.5]]), "S": _spd(r)},
         lambda a, S: float(a[0, 0]) * np.sum(_fixed(np.linalg.eigh(S)[1])[:, 1]),
         ("numpy", "jax", "torch"), ("S",)),
    Case("svd_vectors", "a*(sum(svdU(X)[:, 1]) + svdV(X)[2, 1] + svals(X)[2]) where a: scalar", "a",
         lambda r: {"a": np.array([[0.5]]), "X": _plain(r, (5, 3))},
         lambda a, X: float(a[0, 0]) * _svd_oracle(X), BACKENDS),
]


def _fixed(v):
    """matdiff's sign convention: each column's largest-magnitude entry positive."""
    idx = np.argmax(np.abs(v), axis=0)
    return v * np.sign(v[idx, np.arange(v.shape[1])])


def _svd_oracle(X):
    u, s, vh = np.linalg.svd(X, full_matrices=False)
    sign = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    u, v = u * sign, vh.T * sign
    return np.sum(u[:, 0]) + v[1, 0] + s[1]


def _available(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def _np(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return np.asarray(x, dtype=float)


def _call(fn, backend: str, values: dict):
    if backend != "dask":
        return fn(**values)
    import dask

    with dask.config.set(scheduler="synchronous"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(**values)


def _dims(program, values: dict) -> dict[str, int]:
    """The sizes the variables' values give their dimensions."""
    dims: dict[str, int] = {}
    for name, sym in program.syms.items():
        for d, size in zip(sym.shape, values[name].shape):
            if isinstance(d, str):
                dims[d] = size
    return dims


PAIRS = [(c, b) for c in CASES for b in BACKENDS]


@pytest.mark.parametrize("c, backend", PAIRS, ids=[f"{c.id}-{b}" for c, b in PAIRS])
def test_value_and_gradient(c: Case, backend: str):
    if not _available(backend):
        pytest.skip(f"{backend} cannot be imported")
    if backend not in c.backends:
        with pytest.raises(UnsupportedError, match=f"the {backend} backend cannot generate "
                                                   "code for"):
            build(c.expr, c.wrt, backend)
        return
    fn = load(build(c.expr, c.wrt, backend))
    rng = np.random.default_rng(7)
    values = c.point(rng)
    program = api.compile_program(c.expr, ())
    grad_expr = api.derive(program, c.wrt).expr
    shaped = {k: (v if v.shape != (1, 1) else float(v[0, 0])) for k, v in values.items()}
    value, grad = (_np(x) for x in _call(fn, backend, shaped))
    dims = _dims(program, values)
    want_value = evaluate(program.expr, values, dims)
    want_grad = evaluate(grad_expr, values, dims)
    tol = 1e-9 if backend == "numpy" else 1e-7
    oracle = c.oracle(**values)
    assert float(value) == pytest.approx(float(want_value[0, 0]), rel=tol, abs=tol)
    assert float(value) == pytest.approx(float(oracle), rel=1e-8, abs=1e-8)
    grad = grad.reshape(want_grad.shape)
    err = np.linalg.norm(grad - want_grad) / max(np.linalg.norm(want_grad), 1e-8)
    assert err <= tol, f"gradient: relative error {err:.1e} against the evaluator"
    # finite differences of the oracle, along random (symmetric where declared) directions
    x0 = values[c.wrt]
    for _ in range(2):
        d = rng.standard_normal(x0.shape)
        if c.wrt in c.symmetric:
            d = (d + d.T) / 2

        def moved(t, d=d):
            return c.oracle(**{**values, c.wrt: x0 + t * d})

        fd = float(richardson(lambda h, moved=moved: (moved(h) - moved(-h)) / (2 * h), 1e-2))
        pred = float(np.sum(grad * d))
        assert pred == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("c", [c for c in CASES if c.wrt != "a"], ids=lambda c: c.id)
def test_module_check(c: Case):
    """The generated module's own check() (finite differences of itself) passes."""
    fn = load(build(c.expr, c.wrt, "numpy"))
    assert fn.check() < 1e-6
