"""Every case of tests/cases.py: derive, compare with finite differences of the
hand-written NumPy reference, check the printed form and that it parses back.

The oracle is independent of matdiff's lowering and evaluator: central
differences (with Richardson extrapolation) of the case's own NumPy function.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from cases import CASES, IMPROVED_FORMS, KNOWN_CLUMSY, Case
from oracle import richardson

import matdiff
from matdiff.api import compile_program, declarations_from, parse
from matdiff.check import sample_dims, sample_values
from matdiff.evaluate import evaluate

TOL = 1e-6  # relative error of the derivative against finite differences
PARSE_TOL = 1e-9  # relative difference between the result and its printed text, re-parsed
SEED = 1


# ----------------------------------------------------------------------------- finite differences



def _as_2d(value) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def partial(ref: Callable, values: dict, wrt: str, direction: np.ndarray) -> np.ndarray:
    """The derivative of ``ref`` along ``direction`` in the variable ``wrt``."""
    x = values[wrt]
    h = 1e-2 * max(1.0, float(np.max(np.abs(x))))

    def f(t: float) -> np.ndarray:
        return _as_2d(ref(**{**values, wrt: x + t * direction}))

    return richardson(lambda t: (f(t) - f(-t)) / (2 * t), h)


def fd_derivative(ref: Callable, values: dict, wrt: str, kind: str, symmetric: bool):
    """The gradient / Jacobian / entrywise derivative of ``ref`` by finite differences."""
    x = values[wrt]
    if kind == "derivative":  # by a scalar: the entrywise derivative, of the function's shape
        return partial(ref, values, wrt, np.ones_like(x))
    if kind == "gradient":
        grad = np.zeros_like(x, dtype=float)
        for index in np.ndindex(*x.shape):
            unit = np.zeros_like(x, dtype=float)
            unit[index] = 1.0
            grad[index] = partial(ref, values, wrt, unit).item()
        return (grad + grad.T) / 2 if symmetric else grad
    # jacobian: column j is d vec(f) / d x_j (column-major vec)
    columns = []
    for j in range(x.size):
        unit = np.zeros(x.size)
        unit[j] = 1.0
        d = partial(ref, values, wrt, unit.reshape(x.shape, order="F"))
        columns.append(d.reshape(-1, order="F"))
    return np.stack(columns, axis=1)


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-6))


# ----------------------------------------------------------------------------- the test


def _declarations(c: Case, result) -> tuple:
    """The case's declarations, with every variable's type as inferred (sizes included).

    The inferred type refines the explicit one (``symmetric matrix`` becomes
    ``symmetric matrix(n)``), and matdiff refuses a name declared twice
    differently, so an explicit declaration is kept only for a name the
    result's types do not mention.
    """
    typed = declarations_from(**result.types)
    explicit = tuple(parse(c.expr).declarations) + tuple(declarations_from(**c.decls))
    rest = tuple(d for d in explicit if not any(n in result.types for n, _ in d.names))
    return rest + tuple(typed)


def _params():
    out = []
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


@pytest.mark.parametrize("c", _params())
def test_case(c: Case):
    result = matdiff.derivative(c.expr, c.wrt, **c.decls)
    program = result.program
    var = program.syms[c.wrt]
    rng = np.random.default_rng(SEED)
    dims = sample_dims([program.expr, result.expr, var], rng)
    values = sample_values(program.syms.values(), dims, rng, c.domain)

    with np.errstate(over="raise", divide="raise", invalid="raise"):
        f0 = _as_2d(c.ref(**values))
        kind = "gradient" if f0.size == 1 else "derivative" if var.is_scalar else "jacobian"
        assert result.kind == kind, f"{result.text}: a {result.kind}, expected a {kind}"
        got = evaluate(result.expr, values, dims)
        want = fd_derivative(c.ref, values, c.wrt, kind, var.kind == "symmetric")
    assert got.shape == want.shape, f"{result.text}: shape {got.shape}, expected {want.shape}"
    err = rel_error(got, want)
    assert err <= TOL, f"{result.text}: relative error {err:.2e}"

    if c.expected is not None:  # as the user reads it: with its definitions, if any
        assert result.text_where == c.expected

    reparsed = compile_program(result.text_where, _declarations(c, result))
    again = evaluate(reparsed.expr, values, dims)
    assert again.shape == got.shape, f"{result.text_where} parses back to shape {again.shape}"
    assert rel_error(again, got) <= PARSE_TOL, f"{result.text_where} parses back to other values"


@pytest.mark.parametrize("expr, wrt, now, human, reason", KNOWN_CLUMSY,
                         ids=[f"{e} / d{w}" for e, w, *_ in KNOWN_CLUMSY])
def test_known_clumsy(expr, wrt, now, human, reason):
    """A clumsy form is pinned, with the reason it stays: when matdiff's form changes, the
    entry is updated or, once it reads as the human form, moved to IMPROVED_FORMS. Both
    forms have the same value."""
    assert reason, "a clumsy form needs a written reason"
    result = matdiff.derivative(expr, wrt)
    assert result.text == now, f"now prints {result.text!r}: update KNOWN_CLUMSY"
    assert now != human
    program = result.program
    rng = np.random.default_rng(SEED)
    dims = sample_dims([program.expr, result.expr], rng)
    values = sample_values(program.syms.values(), dims, rng, "normal")
    book = compile_program(human, declarations_from(**program.types))
    assert rel_error(evaluate(book.expr, values, dims), evaluate(result.expr, values, dims)) \
        <= PARSE_TOL


@pytest.mark.parametrize("expr, wrt, text", IMPROVED_FORMS,
                         ids=[f"{e} / d{w}" for e, w, _ in IMPROVED_FORMS])
def test_improved_forms(expr, wrt, text):
    """Forms that were once clumsy stay the way a careful human writes them."""
    result = matdiff.derivative(expr, wrt)
    assert result.text == text
    assert result.check().passed
