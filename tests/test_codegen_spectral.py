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
    Case("svals_of_a_vector", "sum(svals(x))", "x", lambda r: {"x": _plain(r, (5, 1))},
         lambda x: np.linalg.norm(x), BACKENDS),
    Case("svals_of_a_row", "norm(x', 'nuc') + svals(x')[1]", "x",
         lambda r: {"x": _plain(r, (5, 1))}, lambda x: 2 * np.linalg.norm(x), BACKENDS),
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


# ----------------------------------------------------------------------------- maps, sharing


def test_a_derivative_with_no_matrix_form_is_a_function_of_the_direction():
    """dF = dexpm(X, dX) has no kron form: f returns the value and jacobian_map_X applies
    the derivative to a direction; a Hessian that is a map is hessian_map_X."""
    rng = np.random.default_rng(3)
    X, dX = _plain(rng, (N, N)), _plain(rng, (N, N))
    for backend in ("numpy", "jax", "torch"):
        if not _available(backend):
            continue
        fn = load(build("expm(X)", "X", backend))
        np.testing.assert_allclose(_np(fn(X=X)), sl.expm(X), rtol=1e-10)
        got = _np(fn.jacobian_map_X(X, dX))
        np.testing.assert_allclose(got, sl.expm_frechet(X, dX, compute_expm=False),
                                   rtol=1e-8, atol=1e-10)
    fn = load(build("tr(expm(X))", "X", "numpy", hessian=True))
    _value, grad = fn(X=X)
    np.testing.assert_allclose(grad, sl.expm(X).T, rtol=1e-10)
    np.testing.assert_allclose(fn.hessian_map_X(X, dX),
                               sl.expm_frechet(X, dX, compute_expm=False).T, rtol=1e-8)


def test_cli_code_for_a_map_hessian_lists_each_output_once(capsys):
    from matdiff.cli import main

    assert main(["tr(expm(X))", "--wrt", "X", "--hessian", "--code", "numpy"]) == 0
    src = capsys.readouterr().out
    assert "Returns value, grad_X." in src and "def hessian_map_X(X, dX):" in src


def _body(src: str) -> str:
    start = src.index("def f(") if "def f(" in src else src.index("def _f(")
    return src[start:src.index("_SIZES")]


def test_one_factorisation_per_matrix():
    """eigvals, eigvecs, matrix functions and Frechet derivatives of one symmetric matrix
    share one eigh; svals, svdU, svdV and the norms of one matrix one SVD; values alone
    need no vectors; expm(X) and dexpm(X', A') are one expm_frechet; sqrtm(X) is computed
    once for the value and the Sylvester solve of its derivative."""
    src = _body(build("norm(logm(S1) - logm(S2), 'fro')^2 where S1, S2: symmetric matrix",
                      "S1", "numpy").source)
    assert src.count("_eigh(S1)") == 1 and src.count("_eigh(S2)") == 1
    assert "scipy" not in src  # no Schur-based logm, no block form: eigh
    src = _body(build("sum(svals(X).^2) + norm(X, 2) + norm(X, 'nuc')", "X", "numpy").source)
    assert src.count("_svd(X)") == 1 and "np.linalg.svd" not in src
    src = _body(build("eigvals(S)[1] where S: symmetric matrix", "S", "torch").source)
    assert src.count("_eigh(S)") == 1 and "eigvalsh" not in src
    value_only = _body(build("a*norm(X, 'nuc') where a: scalar", "a", "numpy").source)
    assert "_svd(" not in value_only and "np.linalg.svd(X, compute_uv=False)" in value_only
    src = _body(build("tr(A*expm(X))", "X", "numpy").source)
    assert src.count("expm_frechet(") == 1 and "scipy.linalg.expm(" not in src
    src = _body(build("tr(A*sqrtm(X))", "X", "numpy").source)
    assert src.count("scipy.linalg.sqrtm(") == 1 and "_sylvester(" in src


def test_thin_svd_size_is_bound_in_the_function():
    """min(m, n), the thin SVD's size, is computed from the inputs' shapes, not asked for."""
    src = build("sum(exp(svals(X)))", "X", "jax").source
    assert "def _f(X):" in src and "dim_min_m_n_ = min(m, n)" in src


def test_symmetric_frechet_is_exact_at_tied_eigenvalues():
    """The Daleckii-Krein form uses divided differences that are exact where eigenvalues
    are equal or nearly so: at S = I + tiny perturbations the gradient of the
    log-Euclidean distance stays finite and right (autodiff through eigh gives NaN at
    S = I)."""
    expr = "norm(logm(S1) - logm(S2), 'fro')^2 where S1, S2: symmetric matrix"
    rng = np.random.default_rng(5)
    s2 = _spd(rng)
    program = api.compile_program(expr, ())
    grad_expr = api.derive(program, "S1").expr
    for eps in (0.0, 1e-12, 1e-7):
        d = rng.standard_normal((N, N))
        s1 = np.eye(N) + eps * (d + d.T)
        for backend in ("numpy", "jax", "torch"):
            if not _available(backend):
                continue
            _, grad = load(build(expr, "S1", backend))(S1=s1, S2=s2)
            grad = _np(grad)
            assert np.all(np.isfinite(grad))
            # at S1 = I: dlogm(I, E) = E, so the gradient is 2*(logm(S1) - logm(S2))
            want = 2 * (_logm_sym(s1) - _logm_sym(s2))
            np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-5)
        if eps == 0.0:
            continue
        with np.errstate(all="ignore"):
            ref = evaluate(grad_expr, {"S1": s1, "S2": s2}, {"n": N})
        np.testing.assert_allclose(grad, ref, rtol=1e-5, atol=1e-5)


SNAPSHOTS = os.path.join(os.path.dirname(__file__), "snapshots")
SNAPSHOT_CASES = {
    "numpy_expm_trace.py": ("tr(A*expm(X))", "X", "numpy"),
    "numpy_log_euclidean.py": ("norm(logm(S1) - logm(S2), 'fro')^2 where S1, S2: symmetric "
                               "matrix", "S1", "numpy"),
    "torch_nuclear_norm.py": ("norm(X, 'nuc')", "X", "torch"),
    "dask_spectral_norm.py": ("norm(X, 2)", "X", "dask"),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_snapshot(name):
    expr, wrt, backend = SNAPSHOT_CASES[name]
    src = build(expr, wrt, backend).source
    path = os.path.join(SNAPSHOTS, name)
    if os.environ.get("MATDIFF_UPDATE_SNAPSHOTS") or not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(src)
    with open(path) as fh:
        assert src == fh.read(), (f"{name} changed; if intended, regenerate with "
                                  "MATDIFF_UPDATE_SNAPSHOTS=1")


def test_dask_svd_of_row_chunked_data():
    """Dask's SVD (TSQR) of a tall, row-chunked matrix: the nuclear norm's value and
    gradient U*V' agree with NumPy's."""
    if not (_available("dask") and _available("dask.array")):
        pytest.skip("dask cannot be imported")
    import dask
    import dask.array as da

    rng = np.random.default_rng(11)
    X = rng.standard_normal((400, 6))
    fd, fn = (load(build("norm(X, 'nuc')", "X", b)) for b in ("dask", "numpy"))
    with dask.config.set(scheduler="synchronous"):
        value, grad = fd(X=da.from_array(X, chunks=(100, 6)))
    value0, grad0 = fn(X=X)
    assert float(value) == pytest.approx(float(value0), rel=1e-12)
    np.testing.assert_allclose(grad, grad0, rtol=1e-9, atol=1e-12)


FRECHET = [  # (function, symmetric argument?, backends with the map)
    ("expm", False, ("numpy", "jax", "torch")),
    ("logm", False, ("numpy",)),
    ("sqrtm", False, ("numpy", "jax")),
    ("expm", True, ("numpy", "jax", "torch")),
    ("logm", True, ("numpy", "jax", "torch")),
    ("sqrtm", True, ("numpy", "jax", "torch")),
]
FRECHET_PAIRS = [(f, sym, b) for f, sym, bs in FRECHET for b in bs]


@pytest.mark.parametrize("name, symmetric, backend", FRECHET_PAIRS,
                         ids=[f"{f}-{'sym' if s else 'general'}-{b}"
                              for f, s, b in FRECHET_PAIRS])
def test_frechet_maps_agree_with_finite_differences(name, symmetric, backend):
    """The generated Frechet derivatives (expm_frechet, the dlogm block form, the dsqrtm
    Sylvester solve, the Daleckii-Krein form for a symmetric argument) agree with
    Ridders-extrapolated central differences of SciPy's matrix function, along a general
    (not symmetric) direction."""
    if not _available(backend):
        pytest.skip(f"{backend} cannot be imported")
    rng = np.random.default_rng(13)
    x = _spd(rng) if symmetric else _general(rng)
    e = rng.standard_normal((N, N))
    expr = f"{name}(S) where S: symmetric matrix" if symmetric else f"{name}(S)"
    fn = load(build(expr, "S", backend))
    f = getattr(sl, name)
    fd = richardson(lambda h: np.real(f(x + h * e) - f(x - h * e)) / (2 * h), 1e-2)
    got = _np(fn.jacobian_map_S(x, e))
    np.testing.assert_allclose(got, fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(_np(fn(S=x)), np.real(f(x)), rtol=1e-9, atol=1e-12)
