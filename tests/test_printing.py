"""Printers: the text form people write, LaTeX, and the text parsing back."""

import numpy as np
import pytest

import matdiff
from matdiff import algebra as A
from matdiff import functions as F
from matdiff.api import compile_program
from matdiff.check import sample_dims, sample_values
from matdiff.evaluate import evaluate
from matdiff.ir import Num, Sym
from matdiff.printing import latex_name, to_text

x = Sym("x", ("n", 1), "vector")
y = Sym("y", ("n", 1), "vector")
X = Sym("X", ("n", "n"), "matrix")
N = Sym("N", (1, 1), "scalar")
a = Sym("a", (1, 1), "scalar")


@pytest.mark.parametrize("expr, text", [
    (A.mul(Num(2), A.elem_pow(N, Num(-1)), A.transpose(X), A.sub(X, X)), "zeros(n, n)"),
    (F.div(x, N), "x/N"),
    (A.mul(Num(2), A.elem_pow(N, Num(-1)), X), "2/N * X"),
    (A.neg(A.hadamard(y, x)), "-x.*y"),
    (A.hadamard(x, A.elem_pow(y, Num(-1))), "x./y"),
    (A.elem_pow(x, Num(-1)), "1./x"),
    (A.elem_pow(a, Num(-2)), "1/a^2"),
    (A.sub(Num(1), F.func("sigmoid", x)), "1 - sigmoid(x)"),
    (A.add(A.mul(X, x), A.mul(A.transpose(X), x)), "X*x + X'*x"),
    (A.transpose(A.mul(X, x)), "x'*X'"),
    (A.transpose(F.inv(X)), "inv(X)'"),
    (A.mul(A.mul(A.transpose(x), y), X), "(x'*y)*X"),
    (F.matpow(X, 3), "X^3"),
    (A.mul(X, X, X), "X^3"),
    (A.sum_(A.hadamard(x, y)), "x'*y"),
    (F.trace(A.mul(x, A.transpose(y))), "x'*y"),
    (A.neg(A.sub(x, y)), "y - x"),
    (A.mul(Num(-1, ), A.elem_pow(a, Num(-1)), x), "-x/a"),
])
def test_text_forms(expr, text):
    assert to_text(expr, {"x": 0, "y": 1, "X": 2, "N": 3, "a": 4}) == text


@pytest.mark.parametrize("expr, wrt, latex", [
    ("1/N * norm(X*W - Y, 'fro')^2", "W", r"\frac{2}{N} X^\top (X W - Y)"),
    ("logdet(X)", "X", r"X^{-\top}"),
    ("lambda/2*norm(w)^2", "w", r"\lambda w"),
    ("sum(log(1 + exp(-y.*(X*w))))", "w",
     r"-X^\top (y \odot \sigma\left(-y \odot (X w)\right))"),
    ("x'*A*x", "x", r"(A + A^\top) x"),
])
def test_latex(expr, wrt, latex):
    assert matdiff.derivative(expr, wrt).latex == latex


@pytest.mark.parametrize("name, latex", [
    ("lambda", r"\lambda"), ("Sigma", r"\Sigma"), ("λ", r"\lambda"), ("x_1", "x_{1}"),
    ("W2", "W_{2}"), ("lr", r"\mathit{lr}"), ("x", "x"),
])
def test_latex_names(name, latex):
    assert latex_name(name) == latex


ROUND_TRIP = [
    ("1/N * norm(X*W - Y, 'fro')^2", "W"),
    ("sum(sqrt(x))", "x"),
    ("norm(x)", "x"),
    ("-y'*log(softmax(W*x))", "W"),
    ("tr(X^3)", "X"),
    ("x'*kron(A, B)*y", "A"),
    ("vec(X)'*A*vec(X)", "X"),
    ("sum(exp(x)./(1 + exp(x)))", "x"),
    ("softmax(x)", "x"),
    ("a^b + b^a", "a"),
    ("x.^y", "y"),
    ("2.^x", "x"),
    ("det(X) + logdet(X)", "X"),
    ("1/2*norm(P.*(M - U*V'), 'fro')^2 where P: mask", "V"),
]


@pytest.mark.parametrize("expr, wrt", ROUND_TRIP)
def test_printed_result_parses_back_to_the_same_values(expr, wrt):
    r = matdiff.derivative(expr, wrt)
    decls = ", ".join(f"{n}: {t}" for n, t in r.types.items())
    again = compile_program(f"{r.text} where {decls}")
    rng = np.random.default_rng(1)
    dims = sample_dims([r.program.expr, r.expr], rng)
    values = sample_values(list(r.program.syms.values()), dims, rng, "positive")
    np.testing.assert_allclose(evaluate(again.expr, values, dims), evaluate(r.expr, values, dims),
                               rtol=1e-10, atol=1e-12)


def test_output_is_deterministic_across_processes():
    import subprocess
    import sys

    code = ("import matdiff; print(matdiff.derivative(\"norm(W2*tanh(W1*x) - y)^2 + "
            "x'*A*x + sum(P.*X)\", 'x').text)")
    outs = set()
    for seed in ("1", "2", "3"):
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": seed, "PATH": "", **_pythonpath()})
        assert p.returncode == 0, p.stderr
        outs.add(p.stdout)
    assert len(outs) == 1


def _pythonpath():
    import os

    return {k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HOME", "VIRTUAL_ENV")}


def test_results_do_not_depend_on_what_was_derived_before():
    """Clearing the interned nodes between derivations changes nothing."""
    from matdiff.algebra import clear_caches

    cases = [(e, w) for e, w in ROUND_TRIP] + [("x'*A*x", "x"), ("logdet(X)", "X")]
    before = [matdiff.derivative(e, w).text for e, w in cases]
    after = []
    for e, w in cases:
        clear_caches()
        after.append(matdiff.derivative(e, w).text)
    assert after == before
