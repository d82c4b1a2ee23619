"""Every case of tests/hessian_cases.py: Hessians and Jacobians checked against an
independent oracle, finite differences of the case's hand-written NumPy function.

* Hessian: the full matrix against second differences of f in the column-major
  vec(X) coordinates,
  ``H_ij ~ [f(x + h e_i + h e_j) - f(x + h e_i - h e_j) - f(x - h e_i + h e_j)
  + f(x - h e_i - h e_j)] / (4 h^2)``, Richardson-extrapolated (Ridders).
* Jacobian: the full d vec(F) / d vec(X) against central first differences of F.
* The map on the differential: evaluated with ``values["d" + name] = V`` and
  compared with the directional derivative along V (mixed second differences
  of f for a Hessian, first differences of F for a Jacobian), and with the
  matrix (``vec(map(V)) == H @ vec(V)``).  Where matdiff gives no map (vector
  and scalar variables), ``H @ vec(V)`` is compared with the same oracle.
* The printed ``.text`` / ``.map_text`` where the table gives them, and that
  both parse back (with the result's types) to the same values.

A variable declared symmetric: matdiff's gradient is (G + G')/2, so its
Hessian is only defined on symmetric directions.  The oracle differentiates
``g(X) = f((X + X')/2)``, whose Hessian is ``P*H*P`` with ``P = (I + K)/2`` the
projection onto vec of symmetric matrices; matdiff's matrix is compared after
the same projection, and the directions V are symmetric.

Points and sizes come from matdiff.check (sample_dims, sample_values), as in
the built-in check, but nothing else of matdiff's numerics is used.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from hessian_cases import CASES, KNOWN_CLUMSY, Case
from oracle import richardson

import matdiff
from matdiff.api import compile_program, declarations_from
from matdiff.check import sample_dims, sample_values
from matdiff.evaluate import evaluate

SEED = 3
HESS_TOL = 1e-5  # second differences: relative (Frobenius) error of the whole matrix
JAC_TOL = 1e-7  # first differences
MAP_TOL = 1e-5  # the map against mixed second differences (Hessians) or first (Jacobians)
AGREE_TOL = 1e-9  # the map against the matrix, both matdiff's
PARSE_TOL = 1e-9  # the printed text, parsed back, against the result
H_STEP = 1e-2  # the first finite-difference step, times max(1, max |x_ij|)


# ----------------------------------------------------------------------------- finite differences



def _unit(k: int, i: int, shape) -> np.ndarray:
    """The i-th basis matrix of vec coordinates (column-major)."""
    e = np.zeros(k)
    e[i] = 1.0
    return e.reshape(shape, order="F")


def _step(x0: np.ndarray) -> float:
    return H_STEP * max(1.0, float(np.max(np.abs(x0))))


def fd_hessian(f: Callable[[np.ndarray], float], x0: np.ndarray) -> np.ndarray:
    """The k x k Hessian of f at x0 (k = x0.size, vec column-major) by second differences."""
    shape, k = x0.shape, x0.size
    units = [_unit(k, i, shape) for i in range(k)]

    def second(h: float) -> np.ndarray:
        H = np.empty((k, k))
        for i in range(k):
            ei = h * units[i]
            for j in range(i, k):
                ej = h * units[j]
                H[i, j] = H[j, i] = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej)
                                     + f(x0 - ei - ej)) / (4 * h * h)
        return H

    return richardson(second, _step(x0), levels=5)


def fd_gradient_direction(f: Callable[[np.ndarray], float], x0: np.ndarray,
                          v: np.ndarray) -> np.ndarray:
    """d/dt grad f(x0 + t v) at t = 0, of x0's shape, by mixed second differences of f."""
    shape, k = x0.shape, x0.size
    units = [_unit(k, i, shape) for i in range(k)]

    def mixed(h: float) -> np.ndarray:
        hv = h * v
        out = np.empty(k)
        for i in range(k):
            ei = h * units[i]
            out[i] = (f(x0 + hv + ei) - f(x0 + hv - ei) - f(x0 - hv + ei)
                      + f(x0 - hv - ei)) / (4 * h * h)
        return out.reshape(shape, order="F")

    return richardson(mixed, _step(x0), levels=5)


def fd_directional(F: Callable[[np.ndarray], np.ndarray], x0: np.ndarray,
                   v: np.ndarray) -> np.ndarray:
    """d/dt F(x0 + t v) at t = 0 by central differences."""
    return richardson(lambda h: (F(x0 + h * v) - F(x0 - h * v)) / (2 * h), _step(x0), levels=7)


def fd_jacobian(F: Callable[[np.ndarray], np.ndarray], x0: np.ndarray) -> np.ndarray:
    """d vec(F) / d vec(x) at x0 (column-major vec) by central differences."""
    shape, k = x0.shape, x0.size
    cols = [fd_directional(F, x0, _unit(k, j, shape)).reshape(-1, order="F") for j in range(k)]
    return np.stack(cols, axis=1)


def rel_error(a, b, floor: float = 1e-6) -> float:
    """||a - b|| / max(||a||, ||b||, floor), Frobenius norms."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), floor))


def vec(x: np.ndarray) -> np.ndarray:
    return x.reshape((-1, 1), order="F")


def sym_projector(n: int) -> np.ndarray:
    """P = (I + K)/2 on vec of n x n matrices: vec(V) -> vec((V + V')/2)."""
    k = np.zeros((n * n, n * n))
    for i in range(n):
        for j in range(n):
            k[i * n + j, j * n + i] = 1.0
    return (np.eye(n * n) + k) / 2


# ----------------------------------------------------------------------------- set-up


class Setup:
    """One case derived by matdiff, with its point: sizes, values, the oracle's functions."""

    def __init__(self, c: Case):
        self.case = c
        if c.kind == "hessian":
            self.result = matdiff.hessian(c.expr, c.wrt, **c.decls)
        else:
            self.result = matdiff.derivative(c.expr, c.wrt, **c.decls)
        r = self.result
        self.var = r.program.syms[c.wrt]
        self.symmetric = self.var.kind == "symmetric"
        rng = np.random.default_rng(SEED)
        exprs = [e for e in (r.program.expr, r.expr, r.map, self.var) if e is not None]
        self.dims = sample_dims(exprs, rng)
        self.values = sample_values(r.program.syms.values(), self.dims, rng, c.domain)
        self.x0 = np.asarray(self.values[c.wrt], dtype=float)
        v = rng.standard_normal(self.x0.shape)
        if self.symmetric:
            v = (v + v.T) / 2
        self.direction = v / np.max(np.abs(v))

    # the case's NumPy function with every other variable fixed at the point
    def f(self, x: np.ndarray) -> float:
        if self.symmetric:
            x = (x + x.T) / 2
        out = self.case.ref(**{**self.values, self.case.wrt: x})
        return float(np.asarray(out, dtype=float).reshape(-1)[0])

    def F(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self.case.ref(**{**self.values, self.case.wrt: x}), dtype=float)
        return out.reshape(1, 1) if out.ndim == 0 else out

    def evaluate(self, expr, extra: dict | None = None) -> np.ndarray:
        with np.errstate(all="ignore"):
            return evaluate(expr, {**self.values, **(extra or {})}, self.dims)

    def hessian_floor(self) -> float:
        """The size below which a second difference is rounding noise, ~ 1e-4 |f| / |x|^2
        (a zero Hessian is compared with the oracle's noise)."""
        scale = max(1.0, float(np.max(np.abs(self.x0))))
        return 1e-4 * max(1.0, abs(self.f(self.x0))) / scale**2

    def project(self, H: np.ndarray) -> np.ndarray:
        """P*H*P for a symmetric variable (the part of H on symmetric directions)."""
        if not self.symmetric:
            return H
        P = sym_projector(self.x0.shape[0])
        return P @ H @ P

    def declarations(self) -> tuple:
        """The result's types, and d<wrt> typed like wrt (for map texts)."""
        types = dict(self.result.types)
        types["d" + self.case.wrt] = types[self.case.wrt]
        return tuple(declarations_from(**types))


@functools.cache
def _setup_cached(index: int) -> Setup:
    return Setup(CASES[index])


def setup(c: Case) -> Setup:
    return _setup_cached(CASES.index(c))


def _params(select: Callable[[Case], bool] = lambda c: True, parse: bool = False):
    out = []
    for c in CASES:
        if not select(c):
            continue
        reason = c.xfail or (c.xfail_parse if parse else None)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


# ----------------------------------------------------------------------------- the tests


def test_table():
    assert len(CASES) >= 60
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert {c.kind for c in CASES} == {"hessian", "jacobian"}
    known = set(ids)
    for cid, part, _, _, reason in KNOWN_CLUMSY:
        assert reason, f"{cid}: a clumsy form needs a written reason"
        assert cid in known, f"KNOWN_CLUMSY names no case: {cid}"
        c = CASES[ids.index(cid)]
        asserted = c.text if part == "text" else c.map_text
        assert asserted is None, f"{cid}: {part} is both asserted and recorded as clumsy"


@pytest.mark.parametrize("c", _params())
def test_matrix(c: Case):
    """The full Hessian / Jacobian against finite differences of the NumPy function."""
    s = setup(c)
    r = s.result
    assert r.kind == c.kind
    got = s.evaluate(r.expr)
    if c.kind == "hessian":
        want = fd_hessian(s.f, s.x0)
        assert got.shape == want.shape, f"{r.text}: shape {got.shape}, expected {want.shape}"
        assert np.all(np.isfinite(got)), f"{r.text}: not finite"
        err = rel_error(s.project(got), want, s.hessian_floor())
        assert err <= HESS_TOL, f"{r.text}: relative error {err:.2e} (dims {s.dims})"
        sym_err = rel_error(got, got.T)
        assert sym_err <= AGREE_TOL, f"{r.text}: not symmetric ({sym_err:.2e})"
    else:
        want = fd_jacobian(s.F, s.x0)
        assert got.shape == want.shape, f"{r.text}: shape {got.shape}, expected {want.shape}"
        err = rel_error(got, want)
        assert err <= JAC_TOL, f"{r.text}: relative error {err:.2e} (dims {s.dims})"


@pytest.mark.parametrize("c", _params())
def test_map(c: Case):
    """The map on the differential along a random V: against the oracle and the matrix."""
    s = setup(c)
    r = s.result
    v = s.direction
    matrix = s.evaluate(r.expr)
    if c.kind == "hessian":
        want = fd_gradient_direction(s.f, s.x0, v)
        from_matrix = (matrix @ vec(v)).reshape(v.shape, order="F")
    else:
        want = fd_directional(s.F, s.x0, v)
        from_matrix = (matrix @ vec(v)).reshape(want.shape, order="F")
    if r.map is None:
        # matdiff gives a map for matrix variables (and matrix-valued Jacobians) only
        if c.kind == "hessian":
            assert s.var.shape[1] == 1, "a Hessian by a matrix must come with its map"
        else:
            assert s.var.shape[1] == 1 and r.program.expr.shape[1] == 1, \
                "a Jacobian of or by a matrix must come with its map"
        got = from_matrix
    else:
        got = s.evaluate(r.map, {"d" + c.wrt: v})
        assert got.shape == want.shape, f"{r.map_text}: shape {got.shape}, expected {want.shape}"
        agree = rel_error(got, from_matrix)
        assert agree <= AGREE_TOL, f"map {r.map_text} and matrix {r.text} differ ({agree:.2e})"
    tol = MAP_TOL if c.kind == "hessian" else JAC_TOL
    err = rel_error(got, want, s.hessian_floor() if c.kind == "hessian" else 1e-6)
    assert err <= tol, f"{r.map_text or r.text}: relative error {err:.2e} along V"


@pytest.mark.parametrize("c", _params(lambda c: bool(c.text or c.map_text or c.types)))
def test_text(c: Case):
    r = setup(c).result
    if c.types:
        for name, kind in c.types.items():
            assert r.types.get(name) == kind, f"{name}: {r.types.get(name)}, expected {kind}"
    if c.text is not None:  # as the user reads it: with its definitions, if any
        assert r.text_where == c.text
    if c.map_text is not None:  # with the result's definitions, if it uses them
        assert r.map_text_where == c.map_text


@pytest.mark.parametrize("c", _params(parse=True))
def test_parses_back(c: Case):
    """The printed text (and map) parse back, with the result's types, to the same values."""
    s = setup(c)
    r = s.result
    decls = s.declarations()
    extra = {"d" + c.wrt: s.direction}
    pairs = [(r.text_where, r.expr)] + ([(r.map_text_where, r.map)] if r.map is not None
                                        else [])
    for text, expr in pairs:
        again = compile_program(text, decls)
        want = s.evaluate(expr, extra)
        got = s.evaluate(again.expr, extra)
        assert got.shape == want.shape, f"{text} parses back to shape {got.shape}"
        assert rel_error(got, want) <= PARSE_TOL, f"{text} parses back to other values"


@pytest.mark.parametrize("entry", KNOWN_CLUMSY, ids=[f"{e[0]} [{e[1]}]" for e in KNOWN_CLUMSY])
def test_known_clumsy(entry):
    """The textbook form recorded beside matdiff's equals matdiff's result in value."""
    cid, part, matdiff_form, textbook, _ = entry
    c = next(c for c in CASES if c.id == cid)
    s = setup(c)
    r = s.result
    current, expr = (r.text_where, r.expr) if part == "text" else (r.map_text_where, r.map)
    # pinned: a form that changes (better, one hopes) fails until the entry is updated
    assert current == matdiff_form, (f"{cid} [{part}]: matdiff now prints {current!r}; "
                                     f"update KNOWN_CLUMSY (textbook: {textbook!r})")
    assert current != textbook, (f"{cid} [{part}] prints the textbook form: assert it in the "
                                 "table and remove it from KNOWN_CLUMSY")
    extra = {"d" + c.wrt: s.direction}
    book = compile_program(textbook, s.declarations())
    want = s.evaluate(expr, extra)
    got = s.evaluate(book.expr, extra)
    assert got.shape == want.shape
    assert rel_error(got, want) <= PARSE_TOL, f"textbook {textbook} differs from {current}"
