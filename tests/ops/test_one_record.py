"""Adding an operation is one record: a throwaway elementwise function, registered in one
place, gets its gradient (checked against finite differences), LaTeX, steps, NumPy code
and LaTeX input with no other change to matdiff (docs/adding-an-operation.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matdiff
from matdiff import algebra as A
from matdiff import functions as F
from matdiff.cli import main
from matdiff.codegen import compile as compile_code
from matdiff.ir import Num
from matdiff.ops import Code, Elementwise, register, unregister


def _softsign(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.abs(x))


SOFTSIGN = Elementwise(
    name="softsign",
    # softsign'(x) = 1/(1 + |x|)^2
    derivative=lambda x, fx: A.elem_pow(A.add(A.ONE, F.func("abs", x)), Num(-2)),
    numpy=_softsign,
    fold=lambda v: v / (1.0 + abs(v)),
    latex="\\operatorname{{softsign}}\\left({x}\\right)",
    latex_words=("softsign",),
    code={"default": Code("{x} / (1.0 + {xp}.abs({x}))")},
    zero_at_zero=True,
)


@pytest.fixture
def softsign():
    register(SOFTSIGN)
    yield SOFTSIGN
    unregister("softsign")


def test_gradient_latex_and_check(softsign):
    g = matdiff.gradient("sum(softsign(X*w))", "w")
    assert g.text == "X'*(1./(1 + abs(X*w)).^2)"
    assert "\\left|" in g.latex
    assert g.check().passed


def test_steps_code_and_latex_input(softsign, capsys):
    assert main(["sum(softsign(X*w))", "--wrt", "w", "--steps", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rules = json.dumps(out)
    assert "softsign'(u)" in rules

    f = compile_code("sum(softsign(X*w))", "w")
    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((5, 3)), rng.standard_normal(3)
    value, grad = f(X=X, w=w)
    assert np.isclose(value, _softsign(X @ w).sum())
    assert np.allclose(grad, X.T @ (1.0 / (1.0 + np.abs(X @ w)) ** 2))

    assert main(["\\sum_i \\operatorname{softsign}(x_i)", "--latex-input", "--wrt", "x"]) == 0
    assert "1./(1 + abs(x)).^2" in capsys.readouterr().out


def test_unknown_without_the_record():
    with pytest.raises(matdiff.MatdiffError, match="unknown function 'softsign'"):
        matdiff.gradient("sum(softsign(x))", "x")
