"""A derivative by a variable the function does not use is zero of the right shape, with a
note (LANGUAGE.md, Additions: zero derivatives; issue 11, item 5), not an error."""

from __future__ import annotations

import json

import pytest

import matdiff
from matdiff.cli import main


@pytest.mark.parametrize("expr, wrt, text, shape", [
    ("x'*x", "y", "zeros(m)", "vector(m)"),                      # named: the convention
    ("x'*x", "alpha", "0", "scalar"),
    ("x'*x", "Sigma", "zeros(m, p)", "matrix(m, p)"),
    ("x'*x where y: vector(n)", "y", "zeros(n)", "vector(n)"),   # declared: its sizes
    ("x'*A*x where B: symmetric matrix(n)", "B", "zeros(n, n)", "symmetric matrix(n)"),
    ("x'*x where c: scalar", "c", "0", "scalar"),
])
def test_zero_gradient(expr, wrt, text, shape):
    (g,) = matdiff.gradient(expr, [wrt])
    assert (g.text, g.types[wrt]) == (text, shape)
    assert g.check().passed


def test_jacobian_and_derivative_of_the_right_shape():
    assert matdiff.derivative("sin(x)", "y").text == "zeros(n, m)"
    assert matdiff.derivative("X*w", "alpha").text == "zeros(n)"


def test_declared_unused_variables_are_answered_by_default(capsys):
    assert main(["x'*x where A: matrix", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["wrt"], r["text"]) for r in out["results"]] == [("x", "2*x"), ("A", "zeros(m, p)")]
    assert out["notes"] == ["the function does not depend on A: its derivative is zero"]


def test_text_output_says_so(capsys):
    assert main(["x'*x", "--wrt", "y"]) == 0
    assert capsys.readouterr().out == (
        "note: the function does not depend on y: its derivative is zero\n"
        "types: x vector(n); y vector(m)\ngradient wrt y (m):  zeros(m)\n")


def test_masks_and_non_names_are_still_errors():
    with pytest.raises(matdiff.MatdiffError, match="mask"):
        matdiff.gradient("x'*x where P: mask", "P")
    with pytest.raises(matdiff.MatdiffError, match="not a variable name"):
        matdiff.gradient("x'*x", "2x")
