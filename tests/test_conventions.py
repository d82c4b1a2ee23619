"""Layouts, conventions, answers correct under an assumption, textbook rewrites, the version.

The numbers are checked against independent oracles: NumPy formulas and finite differences
written here (the Cookbook's gradient by each independent entry of a symmetric matrix), not
against matdiff's own check."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff import ir
from matdiff.cli import main
from matdiff.evaluate import evaluate
from matdiff.textbook import cancel_inverses

ROOT = Path(__file__).parents[1]
RNG = np.random.default_rng(14)


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    got = capsys.readouterr()
    return code, got.out + got.err


# ----------------------------------------------------------------------------- layouts


def test_a_jacobian_states_its_layout():
    r = matdiff.jacobian("A*x", "x")
    assert (r.text, r.layout) == ("A", "numerator")
    assert r.to_json()["layout"] == "numerator"
    assert "numerator layout" in repr(r)


def test_denominator_layout_is_the_transpose():
    n, m = 4, 3
    A, x = RNG.standard_normal((n, m)), RNG.standard_normal((m, 1))
    num = matdiff.jacobian("A*x", "x")
    den = matdiff.jacobian("A*x", "x", layout="denominator")
    assert den.text == "A'" and den.layout == "denominator" and den.shape == "matrix(m, n)"
    assert den.check().passed
    got = evaluate(den.expr, {"A": A, "x": x}, {"n": n, "m": m})
    np.testing.assert_allclose(got, A.T)  # entry (i, j) is d f_j / d x_i
    np.testing.assert_allclose(evaluate(num.expr, {"A": A, "x": x}, {"n": n, "m": m}), A)


def test_the_check_checks_the_labelled_quantity():
    """A result labelled with the other layout (or convention) than its value fails."""
    r = matdiff.jacobian("A*x where A: matrix(n, n)", "x")
    r.layout, r._check = "denominator", None
    assert not r.check().passed
    g = matdiff.gradient("x'*X*x", "X", X="symmetric matrix")
    g.convention, g._check = "cookbook", None
    assert not g.check().passed


def test_matrix_by_matrix_layout():
    r = matdiff.derivative("A*X*B", "X", layout="denominator")
    assert r.text == "kron(B, A')" and r.map_text == "A*dX*B" and r.check().passed


def test_gradients_and_hessians_have_no_layout():
    g = matdiff.gradient("x'*x", "x")
    h = matdiff.hessian("x'*x", "x")
    assert g.layout is None and h.layout is None
    assert "layout" not in g.to_json()


# ----------------------------------------------------------------------------- conventions


def _cookbook_fd(f, X: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The Matrix Cookbook's gradient by a symmetric X: the derivative by each independent
    entry X_ij = X_ji (i <= j), moved together."""
    n = X.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            E = np.zeros((n, n))
            E[i, j] = E[j, i] = 1.0
            out[i, j] = out[j, i] = (f(X + h * E) - f(X - h * E)) / (2 * h)
    return out


@pytest.mark.parametrize("expr, f, text", [
    ("x'*X*x", lambda X, x, A: (x.T @ X @ x).item(), "2*x*x' - diag(x.^2)"),
    ("logdet(X) + tr(A*X)", lambda X, x, A: float(np.linalg.slogdet(X)[1] + np.trace(A @ X)),
     None),
])
def test_cookbook_convention(expr, f, text):
    n = 4
    B = RNG.standard_normal((n, n))
    X = B @ B.T / n + np.eye(n)
    x, A = RNG.standard_normal((n, 1)), RNG.standard_normal((n, n))
    g = matdiff.gradient(expr, "X", X="symmetric matrix", convention="cookbook")
    mine = matdiff.gradient(expr, "X", X="symmetric matrix")
    assert g.convention == "cookbook" and mine.convention == "matdiff"
    if text is not None:
        assert g.text == text
    assert g.check().passed
    values, dims = {"X": X, "x": x, "A": A}, {"n": n}
    want = _cookbook_fd(lambda Y: f(Y, x, A), X)
    np.testing.assert_allclose(evaluate(g.expr, values, dims), want, rtol=1e-6, atol=1e-8)
    S = evaluate(mine.expr, values, dims)  # matdiff's: (G + G')/2, off the diagonal half
    np.testing.assert_allclose(2 * S - np.diag(np.diag(S)), want, rtol=1e-6, atol=1e-8)


def test_convention_applies_only_to_symmetric_variables():
    g = matdiff.gradient("x'*X*x", "X", convention="cookbook")
    assert g.convention is None and g.text == "x*x'"


def test_cli_labels(capsys):
    code, out = _run(capsys, "A*x", "--wrt", "x", "--layout", "denominator", "--check")
    assert code == 0
    assert "jacobian wrt x (m x n, denominator layout, the transpose):  A'" in out
    assert "(passed)" in out
    code, out = _run(capsys, "x'*X*x where X: symmetric matrix", "--wrt", "X",
                     "--convention", "cookbook", "--json")
    (r,) = json.loads(out)["results"]
    assert (r["text"], r["convention"]) == ("2*x*x' - diag(x.^2)", "cookbook")
    code, out = _run(capsys, "x'*X*x where X: symmetric matrix", "--wrt", "X")
    assert "symmetric X: (G + G')/2" in out


def test_bad_layout_or_convention(capsys):
    with pytest.raises(SystemExit) as e:
        main(["A*x", "--layout", "sideways"])
    assert e.value.code == 2
    capsys.readouterr()
    a = matdiff.answer(matdiff.Request("A*x", ("x",), layout="sideways"))
    assert a.error is not None and a.error.kind == "unsupported"
    assert "numerator, denominator" in a.error.message
    b = matdiff.answer(matdiff.Request("A*x", ("x",), convention="book"))
    assert b.error is not None and "matdiff, cookbook" in b.error.message


# ----------------------------------------------------------------------------- correct if ...

CE = "-y'*log(softmax(W*x))"


@pytest.mark.parametrize("expr, wrt, candidate, words, kwargs", [
    (CE, "W", "(softmax(W*x) - y)*x'", ["correct if sum(y) = 1"], {}),
    ("x'*X*x", "X", "2*x*x' - diag(x.^2)", ["Matrix Cookbook"], {"X": "symmetric matrix"}),
    ("x'*A*x", "x", "2*A*x", ["correct if A is symmetric (A = A')"], {}),
    ("logdet(X)", "X", "inv(X)", ["X is symmetric", "transpose"], {}),
    ("A*x where A: matrix(n, n)", "x", "A'", ["denominator layout", "A is symmetric"], {}),
    ("A*x", "x", "A'", ["denominator layout"], {}),
])
def test_correct_under_an_assumption(expr, wrt, candidate, words, kwargs):
    v = matdiff.verify(expr, wrt, candidate, **kwargs)
    assert v.verdict != "correct" and v.assumptions
    assert v.message.startswith("your answer is correct if")
    for w in words:
        assert w in v.message, v.message
    assert v.to_json()["correct_if"] == list(v.assumptions)


def test_an_assumption_is_decided_by_numbers():
    """The same answer written otherwise gets the same assumption; a wrong answer none."""
    a = matdiff.verify(CE, "W", "softmax(W*x)*x' - y*x'")
    assert any("sum(y) = 1" in s for s in a.assumptions)
    wrong = matdiff.verify(CE, "W", "(softmax(W*x) + y)*x'")
    assert wrong.assumptions == () and "correct if" not in wrong.message
    right = matdiff.verify(CE, "W", "(sum(y)*softmax(W*x) - y)*x'")
    assert right.verdict == "correct" and right.assumptions == ()


def test_cookbook_answer_to_a_cookbook_request(capsys):
    code, out = _run(capsys, "x'*X*x where X: symmetric matrix", "--wrt", "X",
                     "--convention", "cookbook", "--verify", "2*x*x' - diag(x.^2)")
    assert code == 0 and "your answer: correct" in out
    code, out = _run(capsys, "x'*X*x where X: symmetric matrix", "--wrt", "X",
                     "--convention", "cookbook", "--verify", "x*x'")
    assert "follows matdiff's convention" in out


def test_differences_are_simplified():
    v = matdiff.verify("norm(X*w - y)^2", "w", "2*X'*(X*w + y)")
    assert v.message.endswith("it differs from yours by -4*X'*y"), v.message


# ----------------------------------------------------------------------------- textbook rewrites


def test_inverses_cancel_by_the_numbers():
    n = 4
    A, X, B = (RNG.standard_normal((n, n)) + 3 * np.eye(n) for _ in range(3))
    r = matdiff.gradient("logdet(A*X*B) where A, X, B: matrix(n, n)", "X")
    assert r.text == "inv(X)'"
    np.testing.assert_allclose(evaluate(r.expr, {"X": X}, {"n": n}), np.linalg.inv(X).T)
    oracle = A.T @ np.linalg.inv(A @ X @ B).T @ B.T  # the chain rule, unsimplified
    np.testing.assert_allclose(np.linalg.inv(X).T, oracle, rtol=1e-8)


def test_no_inverse_of_a_matrix_that_has_none():
    """X'*A*X with X not square: X has no inverse, the product's inverse is not split."""
    r = matdiff.gradient("det(X'*A*X) where X: matrix(m, n), A: matrix(m, m)", "X")
    assert "inv(X)" not in r.text and "inv(X'*A*X)" in r.text
    assert r.check().passed
    X, A = ir.Sym("X", ("m", "n"), "matrix"), ir.Sym("A", ("m", "m"), "matrix")
    product = ir.Mul((A, X, ir.Inv(ir.Mul((ir.Transpose(X), A, X)))))
    assert cancel_inverses(product) is product


def test_only_square_blocks_are_split():
    """inv(A*X*B) with A square and X*B square: A cancels, X*B stays together."""
    r = matdiff.gradient("det(A*X*B) where A: matrix(n, n), X: matrix(n, m), B: matrix(m, n)",
                         "X")
    assert r.text == "det(A*X*B)*inv(X*B)'*B'"
    assert r.check().passed


# ----------------------------------------------------------------------------- the version


def test_json_has_the_version(capsys):
    code, out = _run(capsys, "x'*x", "--json")
    assert code == 0
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert json.loads(out)["version"] == matdiff.__version__ == version


def test_the_web_endpoint_takes_layout_and_convention():
    from matdiff.web.jobs import JobError, to_request

    req = to_request({"expression": "A*x", "layout": "denominator", "convention": "cookbook"})
    assert (req.layout, req.convention) == ("denominator", "cookbook")
    assert to_request({"expression": "A*x"}).layout == "numerator"
    with pytest.raises(JobError):
        to_request({"expression": "A*x", "layout": "sideways"})


def test_code_is_in_matdiffs_layout(capsys):
    code, out = _run(capsys, "A*x", "--wrt", "x", "--code", "numpy", "--layout", "denominator")
    assert code == 1 and "--code generates matdiff's own layout" in out
    code, out = _run(capsys, "x'*x", "--wrt", "x", "--code", "numpy", "--layout", "denominator")
    assert code == 0  # a gradient has no layout: nothing to refuse


def test_the_jacobian_of_diag_between_neighbours_is_a_diagonal():
    """kron(v', eye(n))*diag(vec(eye(n)))*kron(ones(n), M) = diag(v)*M, by the numbers."""
    n, k = 4, 3
    v, M = RNG.standard_normal((n, 1)), RNG.standard_normal((n, k))
    select = np.diag(np.eye(n).reshape(-1, order="F"))
    lhs = np.kron(v.T, np.eye(n)) @ select @ np.kron(np.ones((n, 1)), M)
    np.testing.assert_allclose(lhs, np.diagflat(v) @ M, atol=1e-12)
    h = matdiff.hessian("norm(softmax(x) - y)^2", "x")
    assert "kron" not in h.flat_text and "diag(softmax(x) - y)*" in h.flat_text


def test_steps_end_in_the_asked_for_convention(capsys):
    code, out = _run(capsys, "x'*S*x where S: symmetric matrix", "--wrt", "S",
                     "--convention", "cookbook", "--steps")
    assert code == 0
    assert out.rstrip().splitlines()[-1].startswith("  grad_S f = 2*x*x' - diag(x.^2)    [the "
                                                    "Matrix Cookbook's convention")


def test_verify_in_a_layout_and_a_convention():
    assert matdiff.verify("A*x", "x", "A'", layout="denominator").verdict == "correct"
    v = matdiff.verify("A*x", "x", "A", layout="denominator")
    assert v.verdict != "correct" and "numerator layout" in v.message
    c = matdiff.verify("x'*X*x", "X", "2*x*x' - diag(x.^2)", convention="cookbook",
                       X="symmetric matrix")
    assert c.verdict == "correct"
