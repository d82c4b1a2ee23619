"""LaTeX and index-notation input (issue 7).

Every LaTeX formula in TABLE is compiled next to the same function typed in the plain
language (same declarations), and both IRs are evaluated on the same random data; for
scalar functions the gradients are compared numerically too, and for the four seed
questions the gradient texts must be identical.
"""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest

import matdiff
from matdiff import api
from matdiff.check import sample_dims, sample_values
from matdiff.cli import main
from matdiff.errors import MatdiffError, MatdiffSyntaxError, UnsupportedError
from matdiff.evaluate import evaluate
from matdiff.index_notation.resolve import parse_plain
from matdiff.latex.reader import parse_latex, read_index_tree
from matdiff.latex.tokens import looks_like_latex
from matdiff.syntax import Binary, Call, IndexSum, Name, Number, Slice, Transpose, Unary

SEED3 = (r"\dfrac{1}{2}\sum_{(i,j)\in{\Omega}}(M_{ij}-u_iv_{j}^T)^2 + "
         r"\frac{\lambda}{2}(||U||^2_F + ||V||^2_F)")
SEED3_PLAIN = ("1/2*norm(Omega.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + "
               "norm(V,'fro')^2) where Omega: mask")
SEED4 = r"\dfrac{C}{2} \sum^{m}_{j' = 1} \| W^{j'} \|^{2}_{2}"

# (LaTeX as found in papers and Q&A, the same function in the plain language, domain)
TABLE: list[tuple[str, str, str]] = [
    # -- the four seed questions, verbatim (plus a where clause for what they say in words)
    (r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2", "1/N * norm(X*W - Y, 'fro')^2", "normal"),
    (r"||\mathbf{Wu - v}||_{Fro}^{2}", "norm(W*u - v)^2", "normal"),
    (SEED3 + " where u_i: row i of U, v_j: row j of V, Omega: mask", SEED3_PLAIN, "normal"),
    (SEED4 + " where W^{j'}: column j' of W", "C/2 * sum(W.^2)", "normal"),
    (SEED4, "C/2*norm(W, 'fro')^2", "normal"),
    # -- from the seed questions' answers
    (r"\frac 2N \, X^T(XW-Y)", "2/N*X'*(X*W - Y)", "normal"),
    (r"\| \mathrm X \mathrm W - \mathrm Y \|_{\text{F}}^2", "norm(X*W - Y, 'fro')^2", "normal"),
    ((r"\mbox{tr} \left( (\mathrm X \mathrm W - \mathrm Y)^{\top} (\mathrm X \mathrm W - "
     r"\mathrm Y) \right)"), "tr((X*W - Y)'*(X*W - Y))", "normal"),
    ((r"\mbox{tr} \left( \mathrm W^{\top} \mathrm X^{\top} \mathrm X \mathrm W - \mathrm Y^{\top}"
     r" \mathrm X \mathrm W - \mathrm W^{\top} \mathrm X^{\top} \mathrm Y + \mathrm Y^{\top} "
     r"\mathrm Y \right)"), "tr(W'*X'*X*W - Y'*X*W - W'*X'*Y + Y'*Y)", "normal"),
    (r"2 \, \mathrm X^{\top} \left( \mathrm X \mathrm W - \mathrm Y \right)", "2*X'*(X*W - Y)",
     "normal"),
    (r"\left\| X W - Y \right\|_{F}^{2}", "norm(X*W - Y, 'fro')^2", "normal"),
    (r"\left \| XW - Y \right \|^{2}", "norm(X*W - Y)^2", "normal"),
    (r"\|XW-Y\|_F^2", "norm(X*W - Y, 'fro')^2", "normal"),
    (r"\frac{2}{N}X^T(XW-Y)", "2/N*X'*(X*W - Y)", "normal"),
    (r"||\mathbf{x}||^2_{Fro}", "norm(x)^2", "normal"),
    (r"2(\mathbf{Wu -v})(\mathbf{u^\top})", "2*(W*u - v)*u'", "normal"),
    (r"2(\mathbf{W^\top})(\mathbf{Wu -v})", "2*W'*(W*u - v)", "normal"),
    (r"\frac{\lambda}{2}(||U||^2_F + ||V||^2_F)",
     "lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)", "normal"),
    (r"\frac{C}{2}\sum_{j=1}^m||W^j||_2^2", "C/2*norm(W, 'fro')^2", "normal"),
    (r"\sum_{(i,j)\in{\Omega}}(M_{ij}-u_iv_{j}^T)^2 where u_i: row i of U, v_j: row j of V",
     "sum(Omega.*(M - U*V').^2) where Omega: mask", "normal"),
    (r"F(U, V) = " + SEED3 + " where u_i: row i of U, v_j: row j of V, Omega: mask",
     SEED3_PLAIN, "normal"),
    (r"\mathcal{L} = ||\mathbf{Wu - v}||_{Fro}^{2}", "norm(W*u - v)^2", "normal"),
    # -- least squares, ridge, lasso
    (r"\frac{1}{2}x^TAx - b^Tx", "1/2*x'*A*x - b'*x", "normal"),
    (r"\frac12 \mathbf{x}^\top \mathbf{A} \mathbf{x}", "1/2*x'*A*x", "normal"),
    (r"\frac{1}{2}x^TAx where A: symmetric matrix", "1/2*x'*A*x where A: symmetric matrix",
     "normal"),
    (r"\|Ax - b\|_2^2 + \lambda \|x\|_1", "norm(A*x - b)^2 + lambda*norm1(x)", "normal"),
    (r"\frac{1}{2}\|y - X\beta\|_2^2 + \frac{\lambda}{2}\|\beta\|_2^2 where \beta: vector",
     "1/2*norm(y - X*beta)^2 + lambda/2*norm(beta)^2 where beta: vector", "normal"),
    (r"\frac{1}{2}\|\mathbf{A}\mathbf{x}-\mathbf{b}\|^{2}_{2}", "1/2*norm(A*x - b)^2", "normal"),
    (r"\tfrac{1}{2}\bigl\|Ax-b\bigr\|^2", "1/2*norm(A*x - b)^2", "normal"),
    (r"\frac{\lambda}{2}\left\|w\right\|^2", "lambda/2*norm(w)^2", "normal"),
    (r"\lambda\|w\|^2 where \lambda: scalar", "lambda*norm(w)^2", "normal"),
    (r"(X^TX + \lambda I)^{-1}X^Ty", "inv(X'*X + lambda*eye)*X'*y", "positive"),
    (r"(X^TX + \lambda I_d)^{-1}X^Ty", "inv(X'*X + lambda*eye(d))*X'*y", "positive"),
    (r"\|\mathbf{I}_n - A\|_F^2", "norm(eye(n) - A, 'fro')^2", "normal"),
    (r"\left\lVert X W - Y \right\rVert_F^2", "norm(X*W - Y, 'fro')^2", "normal"),
    (r"\Vert x \Vert_2^2", "norm(x)^2", "normal"),
    (r"\|X\|_F^2 + \|Y\|_{\mathrm{F}}^2", "norm(X, 'fro')^2 + norm(Y, 'fro')^2", "normal"),
    (r"\lambda_1 \|x_1\|^2 + \lambda_2 \|x_2\|^2", "lambda_1*norm(x_1)^2 + lambda_2*norm(x_2)^2",
     "normal"),
    (r"f(W) = \|XW - Y\|_F^2", "norm(X*W - Y, 'fro')^2", "normal"),
    # -- traces, determinants, inverses
    (r"\log\det X", "log(det(X))", "spd"),
    (r"-\log\det(\Sigma) + \operatorname{tr}(S\Sigma)", "-log(det(Sigma)) + tr(S*Sigma)", "spd"),
    (r"\operatorname{tr}\left(\Sigma^{-1} S\right) + \log\det\Sigma",
     "tr(inv(Sigma)*S) + log(det(Sigma))", "spd"),
    (r"\mathrm{Tr}\left(X^TAX\right)", "tr(X'*A*X)", "normal"),
    (r"\text{tr}(A X B)", "tr(A*X*B)", "normal"),
    (r"\operatorname{tr}(X^{\mathsf T} A X)", "tr(X'*A*X)", "normal"),
    (r"\frac{1}{2}\operatorname{tr}(W^T L W)", "1/2*tr(W'*L*W)", "normal"),
    (r"x^T \Sigma^{-1} x", "x'*inv(Sigma)*x", "spd"),
    (r"\mathbf{a}^\top \mathbf{X}^{-1} \mathbf{b}", "a'*inv(X)*b", "spd"),
    (r"x^\top A^{-T} y", "x'*inv(A)'*y", "spd"),
    (r"\det(X^TX)", "det(X'*X)", "normal"),
    (r"\operatorname{tr}(A \otimes B)", "tr(kron(A, B))", "normal"),
    (r"tr(X^TX)", "tr(X'*X)", "normal"),
    # -- elementwise, functions, brackets
    (r"(A \odot B)^T x", "(A.*B)'*x", "normal"),
    (r"\mathbf{1}^T (X \circ X) \mathbf{1}", "ones'*(X.*X)*ones", "normal"),
    (r"\langle A, X \rangle", "tr(A'*X)", "normal"),
    (r"\mathbf{1}^T x", "sum(x)", "normal"),
    (r"e^{-x^Tx}", "exp(-x'*x)", "normal"),
    (r"\exp\left(-\frac{\|x - y\|^2}{2\sigma^2}\right)", "exp(-norm(x - y)^2/(2*sigma^2))",
     "normal"),
    (r"\exp(a^T x)", "exp(a'*x)", "normal"),
    (r"\sqrt{x^T x}", "norm(x)", "normal"),
    (r"\sin^2 x", "sin(x)^2", "normal"),
    (r"\Big( x^T y \Big)^2", "(x'*y)^2", "normal"),
    (r"|x^Ty|", "abs(x'*y)", "normal"),
    (r"\hat{y}^T y", "y_hat'*y", "normal"),
    (r"x \cdot y", "x*y", "normal"),
    (r"\frac{x^T A x}{x^T x}", "(x'*A*x)/(x'*x)", "normal"),
    (r"\mathrm{diag}(\mathbf{x})\mathbf{A}\mathbf{y}", "diag(x)*A*y", "normal"),
    (r"\operatorname{vec}(X)^T \operatorname{vec}(X)", "vec(X)'*vec(X)", "normal"),
    (r"\mathbf{1}^\top\tanh(W\mathbf{x}+\mathbf{b})", "sum(tanh(W*x + b))", "normal"),
    (r"-\mathbf{y}^T\log(\mathbf{p})", "-y'*log(p)", "positive"),
    (r"\mathbf{y}^T\log\operatorname{softmax}(\mathbf{W}\mathbf{x})", "y'*log(softmax(W*x))",
     "normal"),
    (r"$$x^\top (A + A^\top) x$$", "x'*(A + A')*x", "normal"),
    (r"\[ \frac{1}{2}\, \| x \|^2 \]", "1/2*norm(x)^2", "normal"),
    # -- sums and index notation
    (r"\sum_i x_i", "sum(x)", "normal"),
    (r"\sum_i x_i y_i", "x'*y", "normal"),
    (r"\sum_{i,j} M_{ij}", "sum(M)", "normal"),
    (r"\sum_{i} x_i^2", "norm(x)^2", "normal"),
    # the bound n is the number of terms (x has n entries): the mean, n no scalar of its own
    (r"\frac{1}{n}\sum_{i=1}^n x_i", "mean(x)", "normal"),
    (r"\sum_{ij} A_{ij}^2", "norm(A, 'fro')^2", "normal"),
    (r"\sum_{i=1}^m\sum_{j=1}^n (X_{ij} - (UV^T)_{ij})^2", "norm(X - U*V', 'fro')^2", "normal"),
    (r"\sum_{i,j} x_i A_{ij} x_j", "x'*A*x", "normal"),
    (r"\sum_i \sum_j M_{ij} x_i y_j", "x'*M*y", "normal"),
    (r"\sum_i A_{ii}", "tr(A)", "normal"),
    (r"\sum_{i} w_i \log x_i", "w'*log(x)", "positive"),
    (r"\log\sum_i e^{x_i}", "logsumexp(x)", "normal"),
    (r"\sum_j \|W_{:,j}\|^2", "sum(W.^2)", "normal"),
    (r"\sum_i \|W_{i,:}\|_2^2", "norm(W, 'fro')^2", "normal"),
    (r"\sum_i \|u_i\|^2 where u_i: row i of U", "norm(U, 'fro')^2", "normal"),
    (r"\sum_j \|w_j\|_2 where w_j: column j of W", "sum(sqrt(diag(W'*W)))", "normal"),
    (r"\sum_{j=1}^{m} ||W^{j}||^2", "norm(W, 'fro')^2", "normal"),
    (r"\sum_{i=1}^{n} (y_i - x_i^T w)^2 where x_i: row i of X", "norm(y - X*w)^2", "normal"),
    ((r"\frac{1}{2}\sum_{i=1}^{n}\left(\mathbf{w}^{\top}\mathbf{x}_i - y_i\right)^2 "
      r"where x_i: row i of X"), "1/2*norm(X*w - y)^2", "normal"),
    (r"\frac{1}{N}\sum_{i=1}^{N} (y_i - w^T x_i)^2 where x_i: column i of X",
     "mean((y - X'*w).^2)", "normal"),  # N the number of terms
    (r"\sum_i \log(1 + \exp(-y_i x_i^T w)) where x_i: row i of X",
     "sum(log(1 + exp(-y.*(X*w))))", "normal"),
    (r"\sum_{i}\|x_i - c\|^2 where x_i: column i of X", "sum(sum((X - c*ones').^2))", "normal"),
    (r"\sum_{k=1}^{K} \|x - \mu_k\|^2 where \mu_k: column k of M",
     "norm(x*ones' - M, 'fro')^2", "normal"),
    (r"\sum_i x_i x_i^T where x_i: column i of X", "X*X'", "normal"),
    (r"\sum_i x_i \|\sum_j W^{j}\|^2", "sum(x)*norm(W*ones)^2", "normal"),
    (r"\sum_i (x_i + \sum_j y_j)^2", "norm(x + sum(y))^2", "normal"),
    (r"\sum_i (y_i + x_i)", "sum(y + x)", "normal"),
    (r"\sum_{(i,j) \in \Omega} (M_{ij} - (UV^T)_{ij})^2 where \Omega: mask",
     "norm(Omega.*(M - U*V'), 'fro')^2 where Omega: mask", "normal"),
    (r"\sum_{(i,j)\in\Omega} M_{ij}", "sum(Omega.*M) where Omega: mask", "normal"),
    # -- means: 1/N before a sum up to N, \bar{x}, \mathbb{E}[...]
    (r"\frac{1}{n}\sum_{i=1}^{n} x_i^2", "mean(x.^2)", "normal"),
    (r"\frac{1}{N}\sum_{i=1}^{N} (y_i - w^T x_i)^2 where x_i: row i of X",
     "mean((y - X*w).^2)", "normal"),
    (r"\frac{1}{n}\sum_{i=1}^{n} (x_i - \bar{x})^2", "mean((x - mean(x)).^2)", "normal"),
    (r"\|x - \bar{x}\mathbf{1}\|^2", "norm(x - mean(x)*ones)^2", "normal"),
    (r"\mathbb{E}[(Xw - y)^2] + \lambda\|w\|^2", "mean((X*w - y).^2) + lambda*norm(w)^2",
     "normal"),
    (r"\frac{1}{N}\sum_{i=1}^{N} \log\sum_j \exp(Z_{ij}) - \frac{1}{N}\sum_{i=1}^{N}\sum_j "
     r"Y_{ij} Z_{ij}", "mean(logsumexp(Z, 2)) - mean(sum(Y.*Z, 2))", "normal"),
]

SEEDS = [
    (TABLE[0][0], TABLE[0][1], ["W"], {"W": "2/N * X'*(X*W - Y)"}),
    (TABLE[1][0], TABLE[1][1], ["u", "v", "W"],
     {"u": "2*W'*(W*u - v)", "v": "-2*(W*u - v)", "W": "2*(W*u - v)*u'"}),
    (TABLE[2][0], TABLE[2][1], ["U", "V"],
     {"U": "lambda*U - (Omega.*(M - U*V'))*V", "V": "lambda*V - (Omega.*(M - U*V'))'*U"}),
    (TABLE[3][0], TABLE[3][1], ["W"], {"W": "C*W"}),
    (TABLE[4][0], TABLE[4][1], ["W"], {"W": "C*W"}),
]


def test_table_is_large_enough():
    assert len(TABLE) >= 60
    assert len({latex for latex, _, _ in TABLE}) == len(TABLE)


def _dims_from_values(program, values: dict, rng) -> dict:
    """The LaTeX program's dimension sizes, read off the values of its variables."""
    dims: dict = {}
    for name, sym in program.syms.items():
        value = values[name]
        for dim, size in zip(sym.shape, value.shape):
            if isinstance(dim, str):
                assert dims.setdefault(dim, size) == size, (name, dim)
    # dimensions no variable carries (sized constants) get sizes of their own
    rest = sample_dims([program.expr], rng, fixed=dims)
    return rest


def _compare(latex: str, plain: str, domain: str, seed: int = 0) -> None:
    lp = api.compile_program(latex, latex=True)
    pp = api.compile_program(plain)
    assert set(lp.syms) == set(pp.syms), (lp.types, pp.types)
    for name in pp.syms:  # the same kinds (dimension names may differ)
        assert lp.syms[name].kind == pp.syms[name].kind, (name, lp.types, pp.types)
    rng = np.random.default_rng(seed)
    pdims = sample_dims([pp.expr], rng)
    values = sample_values(list(pp.syms.values()), pdims, rng, domain)
    ldims = _dims_from_values(lp, values, rng)
    expected = evaluate(pp.expr, values, pdims)
    got = evaluate(lp.expr, values, ldims)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    if pp.expr.is_scalar:
        for name in api.differentiable(pp):
            try:
                gp = api.derive(pp, name)
            except UnsupportedError:
                continue
            gl = api.derive(lp, name)
            np.testing.assert_allclose(evaluate(gl.expr, values, ldims),
                                       evaluate(gp.expr, values, pdims), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("latex, plain, domain", TABLE, ids=[t[0][:50] for t in TABLE])
def test_latex_matches_plain(latex, plain, domain):
    _compare(latex, plain, domain)


@pytest.mark.parametrize("latex, plain, wrt, expected", SEEDS,
                         ids=["q1", "q2", "q3", "q4", "q4-inferred"])
def test_seed_gradients(latex, plain, wrt, expected):
    lp = api.compile_program(latex, latex=True)
    pp = api.compile_program(plain)
    for name in wrt:
        got = api.derive(lp, name)
        assert got.text == api.derive(pp, name).text == expected[name]
        assert got.check().passed


def test_seed_gradients_through_the_public_api():
    program = api.compile_program(SEED3 + " where u_i: row i of U, v_j: row j of V, Omega: mask",
                                  latex=True)
    assert api.derive(program, "U").text == "lambda*U - (Omega.*(M - U*V'))*V"


# -- how formulas are read ------------------------------------------------------------------


@pytest.mark.parametrize("latex, plain", [
    (r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2", "1/N*norm(X*W - Y, 'fro')^2"),
    (r"||\mathbf{Wu - v}||_{Fro}^{2}", "norm(W*u - v, 'fro')^2"),
    (SEED3 + " where u_i: row i of U, v_j: row j of V, Omega: mask",
     ("1/2*norm(Omega.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U, 'fro')^2 + norm(V, 'fro')^2) "
     "where Omega: mask")),
    (SEED4, "C/2*norm(W, 'fro')^2"),
    (r"\frac12", "1/2"),
    (r"\frac123", "1/2*3"),
    (r"\frac 2N", "2/N"),
    (r"x^23", "x^2*3"),
    (r"X^{-1}", "X^-1"),
    (r"X^{-T}", "(X^-1)'"),
    (r"X^\intercal Y", "X'*Y"),
    (r"X^{\mathsf{T}} Y", "X'*Y"),
    (r"X' X", "X'*X"),
    (r"x_{12} + W_{2} + x_1", "x_12 + W_2 + x_1"),
    (r"\boldsymbol\Sigma + \bm{A}", "Sigma + A"),
    (r"\mathrm{Loss} + L", "Loss + L"),
    (r"2X^T(XW-Y)", "2*X'*(X*W - Y)"),
    (r"\lambda U", "lambda*U"),
    (r"\left[ A \right] \left\{ B \right\} \big( C \big) \Big[ D \Big] {E}", "A*B*C*D*E"),
    (r"\log \det X", "log(det(X))"),
    (r"\operatorname{tr} A^T B", "tr(A'*B)"),
    (r"\|x\|_1", "norm1(x)"),
    (r"A \otimes B", "kron(A, B)"),
    (r"A \odot B \circ C", "A.*B.*C"),
    (r"a \times b", "a*b"),
    (r"\sigma(w^Tx)", "sigma*(w'*x)"),
])
def test_translation(latex, plain):
    assert parse_latex(latex).plain == plain


def test_notes_say_how_sums_were_read():
    parsed = parse_latex(SEED3 + " where u_i: row i of U, v_j: row j of V, Omega: mask")
    assert parsed.notes == (
        r"read \sum_{(i,j)\in{\Omega}}(M_{ij}-u_iv_{j}^T)^2 as norm(Omega.*(M - U*V'), 'fro')^2",)
    notes = parse_latex(SEED4).notes
    assert notes == ("read W^{j'} as column j' of W",
                     r"read \sum^{m}_{j' = 1} \| W^{j'} \|^{2}_{2} as norm(W, 'fro')^2")
    notes = parse_latex(r"\sum_{(i,j)\in\Omega}(M_{ij} - u_i v_j^T)^2 "
                        "where u_i: row i of U, v_j: row j of V").notes
    assert "Omega names the 0/1 mask of the entries (i, j) in Omega" in notes
    assert notes[-1] == (r"read \sum_{(i,j)\in\Omega}(M_{ij} - u_i v_j^T)^2 as "
                         "norm(Omega.*(M - U*V'), 'fro')^2")


def test_parse_latex_is_a_parsed_with_original_positions():
    text = r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2"
    parsed = matdiff.parse_latex(text)
    assert isinstance(parsed, matdiff.parse("x").__class__)
    assert parsed.text == text
    assert (parsed.expr.span.start, parsed.expr.span.end) == (0, len(text))
    assert api.parse_latex(text).plain == parsed.plain


def test_looks_like_latex():
    assert looks_like_latex(r"\frac1N \|X\|")
    assert looks_like_latex(r"x_{1}^T x")
    assert not looks_like_latex("norm(X*W - Y, 'fro')^2")


# -- the plain language gains index sums ---------------------------------------------------

PLAIN_SUMS = [
    ("sum(j, norm(W[:, j])^2)", "norm(W, 'fro')^2", "norm(W, 'fro')^2"),
    ("sum(i, norm(W[i, :])^2)", "norm(W,'fro')^2", "norm(W, 'fro')^2"),
    ("C/2*sum(j, norm(W[:, j])^2)", "C/2*sum(W.^2)", "norm(W, 'fro')^2"),
    ("sum(i, x[i]*y[i])", "x'*y", "x'*y"),
    ("sum(i, j, M[i, j])", "sum(M)", "sum(M)"),
    ("sum(i, sum(j, M[i, j]^2))", "norm(M, 'fro')^2", "norm(M, 'fro')^2"),
    ("sum((i, j) in Omega, (M[i, j] - U[i, :]*V[j, :]')^2)",
     "norm(Omega.*(M - U*V'), 'fro')^2 where Omega: mask", "norm(Omega.*(M - U*V'), 'fro')^2"),
    ("sum(i, log(1 + exp(-y[i]*X[i, :]*w)))", "sum(log(1 + exp(-y.*(X*w))))", None),
    ("sum(j, norm(W[:, j]))", "sum(sqrt(diag(W'*W)))", None),
    ("sum(i, j, x[i]*M[i, j]*y[j])", "x'*M*y", "x'*M*y"),
]


@pytest.mark.parametrize("text, plain, read", PLAIN_SUMS)
def test_plain_index_sums(text, plain, read):
    pp = api.compile_program(plain)
    ip = api.compile_program(text)
    rng = np.random.default_rng(1)
    dims = sample_dims([pp.expr], rng)
    values = sample_values(list(pp.syms.values()), dims, rng, "normal")
    np.testing.assert_allclose(evaluate(ip.expr, values, _dims_from_values(ip, values, rng)),
                               evaluate(pp.expr, values, dims), rtol=1e-9)
    if read is not None:
        note = api.reading(ip)[1][-1]
        assert note.startswith("read sum(") and note.endswith(f" as {read}")
        assert note[len("read "):-len(f" as {read}")] in text


def test_plain_text_without_index_syntax_is_untouched():
    text = "sum(log(1 + exp(-y.*(X*w))))"
    assert parse_plain(text) == matdiff.parse(text)
    assert api.reading(api.compile_program(text)) == (None, ())


def test_plain_sum_gradient():
    program = api.compile_program("C/2*sum(j, norm(W[:, j])^2)")
    assert api.derive(program, "W").text == "C*W"


@pytest.mark.parametrize("text, position, fragment", [
    ("sum(j, W[:, k])", 12, "index k is not bound"),
    ("W[:, j] + 1", 5, "index j is not bound"),
    ("sum(j, x)", 4, "not used"),  # (sum(j, 2) is the row sums of j: a reduction)
    ("sum(j, j*W[:, j])", 7, "can only be used to index"),
    ("sum(i, norm(W[:, i]*W[i, :], 'fro'))", 7, "outer product"),
])
def test_plain_index_errors(text, position, fragment):
    with pytest.raises(MatdiffError) as info:
        api.compile_program(text)
    assert info.value.position == position
    if fragment:
        assert fragment in info.value.message


# -- errors point into the LaTeX -------------------------------------------------------------


@pytest.mark.parametrize("text, position, fragment", [
    (r"\left( X W - Y", 0, r"unbalanced \left(: no matching \right)"),
    (r"\frac{1}{2}\left\| x \right)", 27, r"\right) does not match \left\|"),
    (r"\frac{1}{2}\foo{x}", 11, r"unsupported LaTeX command \foo"),
    (r"x^T A x + \mathbb{R}", 10, r"\mathbb{R}"),
    (r"\max_W \|W\|", 0, r"unsupported LaTeX command \max"),
    (r"x_{i+1}^T y", 4, "bad subscript"),
    (r"x_{}", 2, "bad subscript"),
    (r"(XW)_{ij} + 1", 4, "bad subscript"),
    (r"x_", 2, "bad subscript"),
    (r"(X W - Y", 8, "unbalanced '('"),
    (r"X W - Y)", 7, "unbalanced"),
    (r"\|x\|_\infty", 6, r"unsupported norm \infty"),
    (r"\| \cdot \|_2^2", 3, r"\cdot"),
    (r"x^T A x +", 9, "expected an operand"),
    (r"\frac{1}{x", 8, "unbalanced '{'"),
    (r"\sum_j W_j", 7, "say what W_j is"),
    (r"\sum_{j=0}^{m} w_j", 8, "does not start at 1"),
    (r"\sum_i \sum_i x_i", 12, "already bound"),
    (r"a = b = c", 6, "more than one '='"),
    (r"x^T A x where x_i: row j of X", 23, "not the one of x_i"),
    (r"x^T A x where A: symetric matrix", 17, "unknown kind"),
])
def test_syntax_errors_point_into_the_latex(text, position, fragment):
    with pytest.raises(MatdiffSyntaxError) as info:
        parse_latex(text)
    e = info.value
    assert fragment in e.message
    assert e.position == position, (e.position, e.caret())
    assert e.text == text
    assert e.caret().splitlines()[2] == "  " + " " * position + "^"


@pytest.mark.parametrize("text, position, fragment", [
    (r"\sum_i c", 0, "does not depend on i"),
    (r"\sum_{i,j} x_i", 0, "does not depend on j"),
    (r"\sum_i \|x_i x_i^T\|_F^2 where x_i: column i of X", 7, "not supported"),
])
def test_unsupported_sums(text, position, fragment):
    with pytest.raises(UnsupportedError) as info:
        api.compile_program(text, latex=True)
    assert fragment in info.value.message
    assert info.value.position == position


def test_type_errors_point_into_the_latex():
    text = (r"\mathbf{X}\mathbf{W} + \mathbf{Y} where X: matrix(n, m), W: matrix(m, p), "
            "Y: matrix(m, m)")
    with pytest.raises(MatdiffError) as info:
        api.compile_program(text, latex=True)
    assert info.value.position == text.index("+")


def test_declared_kinds_must_fit_the_index_reading():
    with pytest.raises(MatdiffError) as info:
        api.compile_program(r"\sum_{(i,j)\in\Omega} M_{ij} where Omega: matrix", latex=True)
    assert "mask" in info.value.message
    assert info.value.position == 14


# -- the command line ----------------------------------------------------------------------


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_latex_input_matches_plain(capsys):
    code, out, _ = _run(capsys, "--latex-input", r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2",
                        "--wrt", "W", "--json")
    assert code == 0
    latex = json.loads(out)
    code, out, _ = _run(capsys, "1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W", "--json")
    plain = json.loads(out)
    for key in ("function", "types", "results"):
        assert latex[key] == plain[key]
    assert latex["results"][0]["text"] == "2/N * X'*(X*W - Y)"
    assert latex["read_as"] == "1/N*norm(X*W - Y, 'fro')^2"
    assert "read_as" not in plain and "notes" not in plain


def test_cli_prints_notes(capsys):
    code, out, _ = _run(capsys, "--latex-input", SEED4, "--wrt", "W")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "read as: C/2*norm(W, 'fro')^2"
    assert lines[1] == "note: read W^{j'} as column j' of W"
    assert lines[2].startswith(r"note: read \sum^{m}_{j' = 1}")
    assert lines[-1].endswith("C*W")


def test_cli_latex_error_has_a_caret(capsys):
    code, _, err = _run(capsys, "--latex-input", r"\left( X W")
    assert code == 1
    assert err.splitlines() == ["error: unbalanced \\left(: no matching \\right)",
                                "  \\left( X W", "  ^"]
    code, out, _ = _run(capsys, "--latex-input", r"x + \foo", "--json")
    assert code == 1
    assert json.loads(out)["error"] == {"message": "unsupported LaTeX command \\foo",
                                        "position": 4, "kind": "syntax"}


# -- never a wrong answer: sums in matrix form against loops over the indices ----------------
#
# Random formulas with sums, entries, rows and columns are read by matdiff; whenever the
# reading succeeds, its value must equal the formula evaluated term by term, by explicit
# loops over the index values (a brute-force evaluator of the tree before the rewrite).


class _Loops:
    """Evaluate a tree holding IndexSum / Slice nodes by looping over index values."""

    def __init__(self, values):
        self.values = values

    def base(self, node):
        return self.ev(node.expr, {}) if node.expr is not None else self.values[node.base]

    def ranges(self, node, out):
        if isinstance(node, Slice):
            shape = self.base(node).shape
            if node.kind == "entry":
                for k, ix in enumerate(node.indices):
                    out.setdefault(ix, shape[k])
            else:
                out.setdefault(node.indices[0], shape[0] if node.kind == "row" else shape[1])
            return
        for child in _kids(node):
            self.ranges(child, out)

    def ev(self, node, env):
        if isinstance(node, Number):
            return np.array([[float(node.value)]])
        if isinstance(node, Name):
            return self.values[node.name]
        if isinstance(node, Slice):
            b, ix = self.base(node), [env[i] for i in node.indices]
            if node.kind == "entry":
                return b[ix[0]:ix[0] + 1, (ix[1] if len(ix) == 2 else 0):][:, :1]
            return b[ix[0]:ix[0] + 1, :] if node.kind == "row" else b[:, ix[0]:ix[0] + 1]
        if isinstance(node, IndexSum):
            if node.domain is not None:
                mask = self.values[node.domain.name]
                points = list(zip(*np.nonzero(mask)))
            else:
                sizes: dict = {}
                self.ranges(node.body, sizes)
                points = list(itertools.product(*[range(sizes[n]) for n in node.indices]))
            terms = [self.ev(node.body, {**env, **dict(zip(node.indices, p))}) for p in points]
            return sum(terms[1:], terms[0])
        if isinstance(node, Unary):
            v = self.ev(node.operand, env)
            return -v if node.op == "-" else v
        if isinstance(node, Transpose):
            return self.ev(node.operand, env).T
        if isinstance(node, Binary):
            a, b = self.ev(node.left, env), self.ev(node.right, env)
            if node.op == "^" and a.shape != (1, 1):
                return np.linalg.matrix_power(a, int(b[0, 0]))
            if node.op == "*" and a.shape != (1, 1) and b.shape != (1, 1):
                return a @ b
            return {"+": np.add, "-": np.subtract, "*": np.multiply, ".*": np.multiply,
                    "/": np.divide, "./": np.divide, "^": np.power}[node.op](a, b)
        if isinstance(node, Call):
            x = self.ev(node.args[0], env)
            if node.func == "norm":
                return np.array([[np.sqrt((x ** 2).sum())]])
            if node.func == "diag":
                return np.diag(x)[:, None] if x.shape[0] == x.shape[1] else np.diag(x[:, 0])
            f = {"log": np.log, "tr": np.trace, "sum": np.sum, "inv": np.linalg.inv}[node.func]
            return np.atleast_2d(f(x))
        raise AssertionError(node)


def _kids(node):
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (Unary, Transpose)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, IndexSum):
        return (node.body,)
    return (node.expr,) if isinstance(node, Slice) and node.expr is not None else ()


def _random_summand(rng: random.Random, depth: int) -> str:
    leaves = ["x", "A", r"\lambda", "2", r"\mathbf{c}"]
    indexed = ["x_i", "y_i", "z_j", "M_{ij}", "N_{ji}", "u_i", "v_j^T", "W^{j}", "w_i",
               "(AB)_{ij}", "A_{ii}", "x_j"]
    if depth <= 0 or rng.random() < 0.2:
        return rng.choice(indexed if rng.random() < 0.7 else leaves)

    def sub() -> str:
        return _random_summand(rng, depth - 1)

    return rng.choice([
        lambda: f"{sub()} + {sub()}", lambda: f"{sub()} - {sub()}", lambda: f"{sub()} {sub()}",
        lambda: f"{sub()} {sub()}", lambda: f"({sub()})^2", lambda: f"{sub()}^T",
        lambda: rf"\|{sub()}\|^2", lambda: rf"\|{sub()}\|_F", lambda: rf"\frac{{{sub()}}}{{2}}",
        lambda: rf"\log({sub()})", lambda: rf"{sub()} \odot {sub()}", lambda: rf"\sum_j {sub()}",
        lambda: rf"\operatorname{{tr}}({sub()})", lambda: f"{sub()}^{{-1}}"])()


def _random_formula(rng: random.Random) -> str:
    def body() -> str:
        return _random_summand(rng, 3)

    return rng.choice([
        lambda: rf"\sum_{{i,j}} {body()}", lambda: rf"\sum_i {body()}",
        lambda: rf"\sum_{{(i,j)\in\Omega}} {body()}", lambda: rf"\sum_i ({body()})^2",
        lambda: rf"\lambda \sum_i {body()} + \|A\|_F^2", lambda: rf"\log(\sum_i \sum_j {body()})",
    ])()


@pytest.mark.parametrize("seed", range(4))
def test_sums_in_matrix_form_equal_the_loops(seed):
    rng = random.Random(seed)
    checked = 0
    for k in range(500):
        text = _random_formula(rng) + rng.choice(
            [" where u_i: row i of U, v_j: row j of V", " where w_i: column i of W"])
        try:
            program = api.compile_program(text, latex=True)
        except MatdiffError:
            continue
        if any("as a column vector" in n for n in api.reading(program)[1]):
            continue  # rows read as columns: the loops below take them as written
        nrng = np.random.default_rng(k)
        dims = sample_dims([program.expr, *program.syms.values()], nrng)
        values = sample_values(list(program.syms.values()), dims, nrng, "positive")
        tree = read_index_tree(text)[0]
        with np.errstate(all="ignore"):
            expected = _Loops(values).ev(tree, {})
            got = evaluate(program.expr, values, dims)
        if not np.all(np.isfinite(expected)):
            continue
        checked += 1
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9, err_msg=text)
    assert checked > 60


# -- the elementwise functions come from the operation records -------------------------------


def test_latex_input_reads_a_function_registered_at_run_time():
    from matdiff import functions as F
    from matdiff.ops import Elementwise, register, unregister

    def kernel(x):
        return x / (1.0 + np.abs(x))

    record = Elementwise(
        name="softsign",
        derivative=lambda x, fx: F.func("sign", x),  # not used here
        numpy=kernel,
        fold=lambda v: v / (1.0 + abs(v)),
        latex="\\operatorname{{softsign}}\\left({x}\\right)",
        latex_commands=("softsign",),
        latex_words=("SoftSign",),
    )
    texts = [r"\sum_i \operatorname{softsign}(x_i)", r"\sum_i \softsign(x_i)",
             r"\sum_i \mathrm{SoftSign}(x_i)", r"\sum_i softsign(x_i)"]
    with pytest.raises(MatdiffSyntaxError):
        parse_latex(texts[1])
    register(record)
    try:
        for text in texts:
            assert parse_latex(text).plain == "sum(softsign(x))", text
    finally:
        unregister("softsign")
    with pytest.raises(MatdiffSyntaxError, match=r"unsupported LaTeX command \\softsign"):
        parse_latex(texts[1])


def test_functions_along_a_dimension():
    """\\operatorname{softmax}(X, 2) and friends: the dimension in the function's brackets."""
    from matdiff import api

    p = api.compile_program(r"\mathbf{1}^\top \operatorname{logsumexp}(XW, 2) - "
                            r"\operatorname{sum}(Y \odot (XW))", latex=True)
    assert p.read_as == "ones'*logsumexp(X*W, 2) - sum(Y.*(X*W))"
    assert api.derive(p, "W").text == "X'*(softmax(X*W, 2) - Y)"
    p = api.compile_program(r"\operatorname{mean}((Xw - y) \odot (Xw - y))", latex=True)
    assert api.derive(p, "w").text == "2/n * X'*(X*w - y)"
    with pytest.raises(MatdiffError) as info:
        api.compile_program(r"\operatorname{softmax}(X, 3)", latex=True)
    assert info.value.position == 26 and "1 (down the columns) or 2" in info.value.message


# (LaTeX, the same function in NumPy, a note it must give)
MEANS = [
    (r"\frac{1}{n}\sum_{i=1}^{n} (x_i - \bar{x})^2", lambda x: np.var(x),
     r"read \bar{x} as mean(x)"),
    (r"\frac{1}{N}\sum_{i=1}^{N} \|x_i - \mu\|^2 where x_i: row i of X, \mu: vector",
     lambda X, mu: np.mean(((X - mu.T) ** 2).sum(axis=1)), "as mean("),
    (r"\frac{1}{N}\sum_{i=1}^{N}\sum_{j} A_{ji}", lambda A: A.sum(axis=0).mean(),
     "as mean(sum(A, 1))"),
    (r"\mathbb{E}\left[\log(1 + \exp(-y \odot Xw))\right]",
     lambda X, w, y: np.mean(np.log1p(np.exp(-y * (X @ w)))), r"read \mathbb{E}[...] as mean"),
    (r"\mathbb{E}[X]", lambda X: X.mean(), "the mean of the entries"),
]


@pytest.mark.parametrize("latex, ref, note", MEANS, ids=[m[0][:40] for m in MEANS])
def test_means_in_latex_against_numpy(latex, ref, note):
    """The mean readings have the value of the NumPy function, their gradients pass the
    finite-difference check, and a note says how the mean was read."""
    p = api.compile_program(latex, latex=True)
    assert any(note in n for n in p.notes), p.notes
    rng = np.random.default_rng(3)
    dims = sample_dims([p.expr], rng)
    values = sample_values(list(p.syms.values()), dims, rng, "normal")
    want = ref(**values)
    np.testing.assert_allclose(evaluate(p.expr, values, dims), want, rtol=1e-10)
    for name in api.differentiable(p):
        assert api.derive(p, name).check().passed


def test_a_bound_used_elsewhere_keeps_the_fraction():
    """1/n before a sum up to n is the mean only when n appears nowhere else; without an
    upper bound n is a scalar, and a note says how to write the mean."""
    p = api.compile_program(r"\frac{1}{n}\sum_{i=1}^{n} x_i^2 + n", latex=True)
    assert p.read_as.startswith("1/n*norm(x)^2 + n")
    p = api.compile_program(r"\frac{1}{n}\sum_{i} x_i^2", latex=True)
    assert p.read_as == "1/n*norm(x)^2"
    assert any(r"write \sum_{i=1}^{n}" in n for n in p.notes)
    p = api.compile_program(r"\bar{x}^T A \bar{x}", latex=True)  # no x: a name of its own
    assert p.read_as == "x_bar'*A*x_bar"
    # where no mean form fits (a sum of outer products, a sum inside another), 1/N stays
    p = api.compile_program(r"\frac{1}{N}\sum_{i=1}^{N} x_i x_i^T where x_i: column i of X",
                            latex=True)
    assert p.read_as == "1/N*(X*X')"
    p = api.compile_program(r"\sum_j \frac{1}{N}\sum_{i=1}^{N} M_{ij}", latex=True)
    assert p.read_as == "sum(1/N*(M'*ones))"


@pytest.mark.parametrize("text, position, fragment", [
    (r"\mathbb{E}_x[f(x)]", 10, "with a script"),
    (r"\mathbb{E} x", 11, "needs its argument in brackets"),
])
def test_expectation_errors(text, position, fragment):
    with pytest.raises(MatdiffSyntaxError) as info:
        api.compile_program(text, latex=True)
    assert fragment in info.value.message and info.value.position == position
