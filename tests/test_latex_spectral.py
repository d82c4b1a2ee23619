"""LaTeX input and output of the matrix functions and the spectral functions (issue 13).

Every formula of TABLE is read from LaTeX and must give the plain-language text given
beside it (its form), and the same values and gradients as that text at points where the
matrix functions are defined (square matrices with a positive spectrum, symmetric
matrices with distinct eigenvalues).  ROUND_TRIPS: the LaTeX printed for an expression
(and for its derivatives) reads back, with the expression's types declared, to the same
expression.
"""

from __future__ import annotations

import numpy as np
import pytest

from matdiff import api
from matdiff.errors import MatdiffError
from matdiff.evaluate import evaluate
from matdiff.latex.reader import parse_latex
from matdiff.printing import to_latex, to_text

SIZES = {"n": 4, "m": 3, "p": 5, "k": 2, "q": 3, "r": 2, "s": 4, "t": 3}
S = "where S: symmetric matrix"
SQ = "where X: matrix(n, n)"

# (LaTeX, its reading in the plain language)
TABLE: list[tuple[str, str]] = [
    # the matrix exponential, logarithm and square root
    (r"e^{X}", "expm(X)"),
    (r"\exp(X)", "expm(X)"),
    (r"\operatorname{tr}(A e^{X})", "tr(A*expm(X))"),
    (r"\operatorname{tr}\left(e^{X}\right)", "tr(expm(X))"),
    (r"x^\top e^{A} x", "x'*expm(A)*x"),
    (r"e^{tA} where t: scalar", "expm(t*A) where t: scalar"),
    (r"e^{\circ X}", "exp(X)"),
    (r"e^{x}", "exp(x)"),
    (r"e^{-x^Tx}", "exp(-x'*x)"),
    (r"\exp(X) where X: matrix(n, m)", "exp(X) where X: matrix(n, m)"),
    (r"\operatorname{tr}(\log(X))", "tr(logm(X))"),
    (r"\operatorname{tr}(\log X)", "tr(logm(X))"),
    (r"\|\log(A) - \log(B)\|_F^2 where A, B: symmetric matrix",
     "norm(logm(A) - logm(B), 'fro')^2 where A, B: symmetric matrix"),
    (r"\log(X)", "log(X)"),
    (r"\log^{\circ}(X^TX)", "log(X'*X)"),
    (r"\log(x)", "log(x)"),
    (r"\log\det X", "log(det(X))"),
    (r"\sum_i \log(x_i)", "sum(log(x))"),
    (r"\operatorname{tr}(X^{1/2}) " + SQ, "tr(sqrtm(X)) " + SQ),
    (r"\operatorname{tr}(X^{\frac12}) " + SQ, "tr(sqrtm(X)) " + SQ),
    (r"\operatorname{tr}(\Sigma^{-1/2} A) where \Sigma: symmetric matrix",
     "tr(inv(sqrtm(Sigma))*A) where Sigma: symmetric matrix"),
    (r"\operatorname{tr}\sqrt{S} " + S, "tr(sqrtm(S)) " + S),
    (r"\sqrt{X}", "sqrt(X)"),
    (r"\sqrt{x^T x}", "sqrt(x'*x)"),
    (r"X^{\circ 2}", "X.^2"),
    (r"\operatorname{tr}(\operatorname{expm}(X) + \mathrm{logm}(X) + \operatorname{sqrtm}(X))",
     "tr(expm(X) + logm(X) + sqrtm(X))"),
    # norms
    (r"\|X\|_*", "norm(X, 'nuc')"),
    (r"\|X\|_{\mathrm{nuc}}", "norm(X, 'nuc')"),
    (r"\left\|X - Y\right\|_{\ast}", "norm(X - Y, 'nuc')"),
    (r"\|X\|_2", "norm(X, 2)"),
    (r"\|X\|_{\text{op}}^2", "norm(X, 2)^2"),
    (r"\|x\|_2^2", "norm(x, 2)^2"),
    # eigenvalues and singular values
    (r"\lambda_1(S) " + S, "eigvals(S)[1] " + S),
    (r"λ_1(S) + σ_1(S) " + S, "eigvals(S)[1] + svals(S)[1] " + S),
    (r"\lambda_1 (x^T x) + \lambda_2 \|x\|_1", "lambda_1*(x'*x) + lambda_2*norm1(x)"),
    (r"x + \sigma_{2}(y)", "x + sigma_2*y"),
    (r"\lambda_{\max}(x^T x)", "lambda_max*(x'*x)"),
    (r"\lambda_{2}\left(S\right)^2 " + S, "eigvals(S)[2]^2 " + S),
    (r"\lambda_{\min}(S) " + S, "eigvals(S)[1] " + S),
    (r"\lambda_{\max}(S) " + S, "-eigvals(-S)[1] " + S),
    (r"\lambda_{\max}(S) " + S + "(3)", "eigvals(S)[3] " + S + "(3)"),
    (r"\lambda_{\text{max}}(A^\top A)", "-eigvals(-(A'*A))[1]"),
    (r"\sum_i \lambda_i(S) " + S, "sum(eigvals(S)) " + S),
    (r"\sum_{i=1}^{n} \log \lambda_i(S) " + S, "sum(log(eigvals(S))) " + S),
    (r"\sum_i e^{\lambda_i(S)} " + S, "sum(exp(eigvals(S))) " + S),
    (r"\sum_i \lambda_i(S)^2 " + S, "norm(eigvals(S))^2 " + S),
    (r"\sum_i \sigma_i(X)", "sum(svals(X))"),
    (r"\sigma_1(X)", "svals(X)[1]"),
    (r"\sigma_{\max}(X)", "norm(X, 2)"),
    (r"\sigma_2(X)^2 + \|X\|_F^2", "svals(X)[2]^2 + norm(X, 'fro')^2"),
    (r"\boldsymbol{\lambda}(S)^\top \boldsymbol{\lambda}(S) " + S,
     "eigvals(S)'*eigvals(S) " + S),
    (r"\mathbf{1}^T \boldsymbol{\sigma}(X)", "ones'*svals(X)"),
    (r"\sum_i \lambda_i (x_i - y_i)^2", "lambda'*(x - y).^2 where lambda: vector"),
    (r"\lambda (A + B)", "lambda*(A + B)"),
    (r"\lambda_1 \|x\|_1 + \lambda_2 \|x\|^2", "lambda_1*norm1(x) + lambda_2*norm(x)^2"),
    # Frechet derivatives and selections
    (r"\operatorname{tr}(L_{\exp}(X, E))", "tr(dexpm(X, E))"),
    (r"\operatorname{tr}(B^T L_{\log}\left(X, E\right)) " + SQ, "tr(B'*dlogm(X, E)) " + SQ),
    (r"\operatorname{tr}\operatorname{dsqrtm}(X, E) " + SQ, "tr(dsqrtm(X, E)) " + SQ),
    (r"{X}_{1,2} + (AB)_{2,1}", "X[1, 2] + (A*B)[2, 1]"),
    (r"\operatorname{eigvecs}(S)_{:,1}^\top x " + S, "eigvecs(S)[:, 1]'*x " + S),
    (r"\operatorname{svdU}(X)_{:,1}^T X \operatorname{svdV}(X)_{:,1}",
     "svdU(X)[:, 1]'*X*svdV(X)[:, 1]"),
]


def _values(program, rng) -> dict[str, np.ndarray]:
    """Values where every function of TABLE is defined: square matrices near 3*I (a
    positive spectrum), symmetric ones positive definite with distinct eigenvalues."""
    values = {}
    for name, sym in program.syms.items():
        rows, cols = (SIZES.get(str(d), d) if not isinstance(d, int) else d for d in sym.shape)
        if sym.kind == "symmetric":
            q = np.linalg.qr(rng.standard_normal((rows, rows)))[0]
            values[name] = q @ np.diag(np.arange(1.0, rows + 1)) @ q.T
        elif rows == cols and rows > 1:
            values[name] = 3 * np.eye(rows) + 0.3 * rng.standard_normal((rows, rows))
        else:  # positive: entrywise logarithms and roots are real
            values[name] = rng.uniform(0.5, 2.0, (rows, cols))
    return values


def _same(a, b, values) -> None:
    got, want = evaluate(a, values, SIZES), evaluate(b, values, SIZES)
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("latex, plain", TABLE, ids=[t[0][:48] for t in TABLE])
def test_latex_reads_as_the_plain_form(latex, plain):
    lp = api.compile_program(latex, latex=True)
    pp = api.compile_program(plain)
    assert lp.read_as.split(" where ")[0] == plain.split(" where ")[0]
    assert to_text(lp.expr) == to_text(pp.expr)
    assert {n: s.kind for n, s in lp.syms.items()} == {n: s.kind for n, s in pp.syms.items()}
    values = _values(pp, np.random.default_rng(3))
    _same(lp.expr, pp.expr, values)
    if pp.expr.is_scalar:
        for name in api.differentiable(pp):
            try:
                gp = api.derive(pp, name)
            except MatdiffError:
                continue
            gl = api.derive(lp, name)
            assert gl.text == gp.text
            _same(gl.expr, gp.expr, values)


def test_extreme_eigenvalues_and_singular_values_are_the_numbers():
    rng = np.random.default_rng(7)
    for text, expect in [
            (r"\lambda_{\max}(S) " + S, lambda v: np.linalg.eigvalsh(v["S"]).max()),
            (r"\lambda_{\min}(S) " + S, lambda v: np.linalg.eigvalsh(v["S"]).min()),
            (r"\lambda_{\max}(S) " + S + "(3)", lambda v: np.linalg.eigvalsh(v["S"]).max()),
            (r"\sigma_{\max}(X)", lambda v: np.linalg.svd(v["X"], compute_uv=False).max()),
            (r"\sigma_{2}(X)", lambda v: np.linalg.svd(v["X"], compute_uv=False)[1]),
            (r"\sum_i \sigma_i(X)", lambda v: np.linalg.svd(v["X"], compute_uv=False).sum()),
            (r"\|X\|_*", lambda v: np.linalg.svd(v["X"], compute_uv=False).sum())]:
        program = api.compile_program(text, latex=True)
        values = _values(program, rng)
        got = evaluate(program.expr, values, SIZES)
        np.testing.assert_allclose(got[0, 0], expect(values), rtol=1e-10, err_msg=text)


def test_the_notes_say_how_each_form_was_read():
    def notes(text: str) -> str:
        return " | ".join(parse_latex(text).notes)

    assert notes(r"e^{X}") == "read e^{X} of a matrix as the matrix exponential expm(X)"
    assert notes(r"e^{x}") == "read e^{x} as exp(x)"
    assert "read \\log(X) entrywise: the matrix X is not known to be square" in notes(r"\log(X)")
    assert notes(r"\operatorname{tr}(\log(X))") == ("read \\log(X) of a matrix as the matrix "
                                                     "logarithm logm(X)")
    assert "the inverse of the matrix square root inv(sqrtm(Sigma))" in notes(
        r"\operatorname{tr}(\Sigma^{-1/2})")
    assert "read \\exp(X) entrywise: X is matrix(n, m), not square" in notes(
        r"\exp(X) where X: matrix(n, m)")
    assert notes(" + ".join(["e^{X}"] * 50)).count("matrix exponential") == 1
    assert "ascending" in notes(r"\sum_i \lambda_i(S) where S: symmetric matrix")
    assert "the smallest eigenvalue of S" in notes(r"\lambda_1(S)")
    assert "the largest eigenvalue of S is minus the smallest of -S" in notes(
        r"\lambda_{\max}(S)")
    assert "spectral norm norm(X, 2)" in notes(r"\|X\|_2")
    assert "spectral norm" not in notes(r"\|x\|_2")
    assert "nuclear norm norm(X, 'nuc')" in notes(r"\|X\|_*")
    assert "k is not bound by a sum" in notes(r"\lambda_k(S)")
    assert notes(r"\lambda_1(x)") == ("read \\lambda_1(x) as lambda_1*x: x is vector(n), not "
                                      "a matrix")
    assert notes(r"\lambda_1(S)") == ("read \\lambda_1(S) as eigvals(S)[1], the smallest "
                                      "eigenvalue of S")


@pytest.mark.parametrize("text, position, message", [
    (r"\sigma_{\min}(X)", 0, "a selection takes a number"),
    # svals of a scalar is its absolute value (a 1 x 1 matrix): it has no entry i to sum
    (r"\sum_i \sigma_i(x^T x)", 7, "an entry i of something that is not a column vector"),
    (r"L_{\exp}(X)", 10, "dexpm takes two arguments"),
    (r"\operatorname{dlogm}(X E)", 24, "dlogm takes two arguments"),
    (r"{X}_{0,1}", 5, "positions count from 1"),
    (r"\lambda_0(S)", 8, "positions count from 1"),
    (r"\|X\|_{\infty}", 6, "_* and _{nuc}"),
    (r"L_{\exp}(X, E) \lambda_1(S) where S: symmetric matrix", 0, "takes a square matrix"),
    (r"x + \operatorname{expm}(x)", 4, "takes a square matrix, but its argument is scalar"),
    (r"\det^{\circ} X", 4, "\\circ marks the entrywise exp, log or sqrt"),
])
def test_errors_have_a_position(text, position, message):
    with pytest.raises(MatdiffError) as info:
        api.compile_program(text, latex=True)
    assert message in info.value.message
    assert info.value.position == position, info.value.message


# -- the LaTeX printed for these forms reads back to the same expression -------------------

ROUND_TRIPS = [
    "expm(X)", "expm(X)'", "expm(X)^2", "expm(A + B)", "logm(X)", "logm(X)'", "sqrtm(X)",
    "sqrtm(X)'", "inv(sqrtm(X))", "exp(X)", "log(X)", "sqrt(X)", "exp(x)", "X.^2",
    "dexpm(X, E)", "dlogm(X, E)", "dsqrtm(X, E)'", "eigvals(S)", "eigvals(S)[2]",
    "eigvecs(S)", "eigvecs(S)[:, 1]", "svals(X)", "svals(X)[1]^2", "svdU(X)", "svdV(X)[:, 2]",
    "X[1, 2]", "x[3]", "(A*B)[2, 1]", "expm(X)[1, 1]", "norm(X, 2)", "norm(X, 'nuc')",
    "tr(A*expm(X))", "sum(log(eigvals(S)))", "norm(logm(A) - logm(B), 'fro')^2",
    "sum(sqrt(eigvals(S)))", "x'*expm(X)*x + norm(X, 'nuc')", "tr(sqrtm(X))",
    "tr(inv(sqrtm(X))*A)", "tr(logm(X)) + eigvals(S)[1]", "tr(dexpm(X, E)*A)",
    "svals(X)[2]^2 + norm(X, 2)",
]


def _read_back(program, latex: str):
    where = ", ".join(f"{n}: {t}" for n, t in program.types.items())
    return api.compile_program(f"{latex} where {where}" if where else latex, latex=True)


@pytest.mark.parametrize("plain", ROUND_TRIPS)
def test_latex_output_reads_back(plain):
    decl = " where S: symmetric matrix" if "S)" in plain else ""
    decl = decl or (" where A, B: symmetric matrix" if "logm(A)" in plain else "")
    program = api.compile_program(plain + decl)
    latex = to_latex(program.expr, program.order)
    back = _read_back(program, latex)
    assert to_text(back.expr) == to_text(program.expr), latex
    values = _values(program, np.random.default_rng(5))
    _same(back.expr, program.expr, values)
    if program.expr.is_scalar:  # and so do its gradients
        for name in api.differentiable(program):
            try:
                result = api.derive(program, name)
            except MatdiffError:  # no closed form (dexpm by X): nothing to print
                continue
            again = _read_back(program, result.latex)
            assert to_text(again.expr, program.order) == result.text, result.latex
            _same(again.expr, result.expr, values)


def test_latex_output_of_the_forms():
    def latex(plain: str) -> str:
        p = api.compile_program(plain)
        return to_latex(p.expr, p.order)

    assert latex("expm(X)'") == "(e^{X})^\\top"
    assert latex("inv(sqrtm(X))") == "X^{-1/2}"
    assert latex("sqrtm(X)'") == "(X^{1/2})^\\top"
    assert latex("logm(X)") == "\\log\\left(X\\right)"
    assert latex("exp(X)") == "e^{\\circ X}"
    assert latex("log(X)") == "\\log^{\\circ}\\left(X\\right)"
    assert latex("sqrt(X)") == "X^{\\circ 1/2}"
    assert latex("exp(x)") == "\\exp\\left(x\\right)"
    assert latex("eigvals(S)[1] where S: symmetric matrix") == "\\lambda_{1}\\left(S\\right)"
    assert latex("svals(X)[2]") == "\\sigma_{2}\\left(X\\right)"
    assert latex("svdU(X)[:, 1]") == "\\operatorname{svdU}\\left(X\\right)_{:,1}"
    assert latex("dexpm(X, E)") == "L_{\\exp}\\left(X, E\\right)"
    assert latex("X[1, 2]") == "{X}_{1,2}"
    assert latex("(A*B)[1, 2]") == "(A B)_{1,2}"
