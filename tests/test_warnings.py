"""Warnings: when inference reads an undeclared name against its naming convention, or adds
an undeclared scalar to every entry of a vector or matrix, the answer says so, names the
declaration that changes it and points at the name; where the conventional reading fails
with a clearer error, that error is the answer.

Each example is checked in the three places a user meets it: the command line's text and
JSON, and the Python API (``Answer.warnings``, ``Result.warnings``).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest
import strategies as S
from hypothesis import HealthCheck, assume, given, settings

import matdiff
from matdiff import MatdiffShapeError, MatdiffTypeError
from matdiff.api import Request, answer, compile_program, declarations_from
from matdiff.cli import main
from matdiff.typecheck import convention


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def cli_json(*argv: str) -> dict:
    return json.loads(cli(*argv, "--json")[1])


# ---- the conventional reading's own error, not a re-typed answer --------------------------------

ERRORS = [
    # softmax of a matrix needs a dimension: not Q and K read as scalars (both gradients 0)
    ("sum(softmax(Q*K'))", MatdiffShapeError, 4,
     ["softmax of a matrix needs a dimension", "softmax(Q*K', 2) for each row",
      "softmax(Q*K', 1) for each column"]),
    # a batched cross-entropy: not Y read as a scalar
    ("-sum(Y.*log(softmax(W*X)))", MatdiffShapeError, 12,
     ["softmax of a matrix needs a dimension", "softmax(W*X, 2)", "softmax(W*X, 1)"]),
    ("logsumexp(X)", MatdiffShapeError, 0, ["logsumexp of a matrix needs a dimension"]),
    # not A read as a scalar: a matrix to a non-integer power is not supported yet
    ("tr(A^2.5)", MatdiffTypeError, 5,
     ["integer exponent", "a matrix to a non-integer power is not supported yet"]),
]


@pytest.mark.parametrize("expr, error, position, words", ERRORS)
def test_clear_error_in_the_api(expr, error, position, words):
    with pytest.raises(error) as info:
        matdiff.derivative(expr, [])
    assert info.value.position == position
    for w in words:
        assert w in info.value.message
    a = answer(Request(expr))
    assert not a.ok and a.warnings == ()
    assert isinstance(a.error, error) and a.error.position == position


@pytest.mark.parametrize("expr, error, position, words", ERRORS)
def test_clear_error_on_the_command_line(expr, error, position, words):
    code, out, err = cli(expr)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and words[0] in lines[0]
    assert lines[2] == "  " + " " * position + "^"
    obj = cli_json(expr)
    assert obj["error"]["position"] == position
    assert obj["error"]["kind"] == error.kind
    assert all(w in obj["error"]["message"] for w in words)


def test_declared_matrix_softmax_is_the_same_error():
    with pytest.raises(MatdiffShapeError) as info:
        compile_program("softmax(X) where X: matrix")
    assert "softmax(X, 2) for each row" in info.value.message
    assert "column vector" in info.value.message


def test_row_vector_softmax_is_an_error_not_a_scalar():
    with pytest.raises(MatdiffShapeError) as info:
        compile_program("softmax(x')")
    assert "'softmax' needs a column vector, got row vector" in info.value.message


def test_scalar_reading_of_a_declared_scalar_is_no_misreading():
    assert compile_program("tr(A^2.5) where A: scalar").warnings == ()
    r = matdiff.gradient("sum(softmax(Q*K')) where Q, K: scalar", "Q")
    assert r.warnings == ()


# ---- x'*A*x/2 + b'*x + c: c is a scalar constant, and the answer says it read it so ------------

QUADRATIC = "x'*A*x/2 + b'*x + c"
C_WARNING = ("c is read as a scalar, not a vector (a single lowercase letter is a vector "
             "unless declared), so that the function is a scalar; if c is a vector, declare "
             "it: where c: vector")


def test_quadratic_in_the_api():
    r = matdiff.gradient(QUADRATIC, "x")
    assert r.text == "(A*x + A'*x + 2*b)/2"
    assert r.types["c"] == "scalar"
    assert [(w.name, w.message, w.position) for w in r.warnings] == [("c", C_WARNING, 18)]
    a = answer(Request(QUADRATIC))
    assert [w.to_json() for w in a.warnings] == [{"message": C_WARNING, "position": 18}]
    assert [r.kind for r in a.results] == ["gradient"] * 4


def test_quadratic_on_the_command_line():
    code, out, _ = cli(QUADRATIC)
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "warning: " + C_WARNING
    assert lines[1] == "types: x vector(n); A matrix(n, n); b vector(n); c scalar"
    assert lines[2] == "gradient wrt x (n):  (A*x + A'*x + 2*b)/2"
    obj = cli_json(QUADRATIC)
    assert obj["warnings"] == [{"message": C_WARNING, "position": 18}]
    assert obj["types"]["c"] == "scalar"


def test_quadratic_with_a_vector_c_is_the_jacobian_reading():
    r = matdiff.jacobian(QUADRATIC + " where c: vector", "x")
    assert r.warnings == ()
    assert r.types["c"] == "vector(m)"


def test_a_bias_term_is_a_scalar():
    r = matdiff.gradient("sigmoid(w'*x + b)", "w")
    assert r.types["b"] == "scalar"
    assert [w.name for w in r.warnings] == ["b"]


# ---- (x - mu)'*inv(S)*(x - mu): mu is a scalar subtracted from every entry of x ---------------

MAHALANOBIS = "(x - mu)'*inv(S)*(x - mu)"
MU_WARNING = ("mu is read as a scalar (a lowercase Greek name is a scalar unless declared), so "
              "in x - mu it is subtracted from every entry of x, a vector(n); if mu is a "
              "vector, declare it: where mu: vector")


def test_broadcast_in_the_api():
    r = matdiff.gradient(MAHALANOBIS, "x")
    assert [(w.name, w.message, w.position) for w in r.warnings] == [("mu", MU_WARNING, 5)]
    assert answer(Request(MAHALANOBIS)).warnings == r.warnings


def test_broadcast_on_the_command_line():
    code, out, _ = cli(MAHALANOBIS, "--wrt", "x")
    assert code == 0
    assert out.splitlines()[:2] == ["warning: " + MU_WARNING,
                                    "types: x vector(n); mu scalar; S matrix(n, n)"]
    assert cli_json(MAHALANOBIS)["warnings"] == [{"message": MU_WARNING, "position": 5}]


def test_declaring_mu_a_vector_gives_the_mahalanobis_gradient():
    r = matdiff.gradient(MAHALANOBIS + " where mu: vector", "mu")
    assert r.warnings == ()
    assert r.text == "-(inv(S) + inv(S)')*(x - mu)"


@pytest.mark.parametrize("expr, name, words", [
    ("sum(log(x + eps))", "eps", ["in x + eps it is added to every entry of x"]),
    ("sum(alpha - X)", "alpha", ["every entry of X is subtracted from it, a matrix(n, m)",
                                 "where alpha: matrix"]),
    ("norm(x - 2*mu)^2", "mu", ["in x - 2*mu it is subtracted"]),
])
def test_other_broadcasts(expr, name, words):
    warnings = compile_program(expr).warnings
    assert [w.name for w in warnings] == [name]
    for w in words:
        assert w in warnings[0].message


# ---- other readings against the conventions ------------------------------------------------------

def test_a_name_that_does_not_fit_its_convention():
    r = matdiff.derivative("exp(t)*A", "t")
    [w] = r.warnings
    assert (w.name, w.position) == ("t", 4)
    assert "t is read as a scalar, not a vector" in w.message
    assert "as a vector it does not fit its uses (matrix product '*'" in w.message
    assert w.message.endswith("to keep this reading, declare it: where t: scalar")


def test_a_gradient_asked_of_a_vector_function_is_an_error():
    # every name read as a scalar would make A*x a scalar: the answer is that it is not one
    for expr, shape in [("A*x", "vector(n)"), ("A*X*B", "matrix(n, q)")]:
        with pytest.raises(MatdiffShapeError) as info:
            matdiff.hessian(expr, [])
        assert f"a gradient needs a scalar function, but this expression is {shape}" \
            in info.value.message
    assert matdiff.hessian("A*x where A, x: scalar", "x").text == "0"


@pytest.mark.parametrize("expr, name", [
    ("1/N * norm(X*W - Y, 'fro')^2", "N"),  # a divisor is a scalar: '/' says so
    ("1/n*sum(x)", "n"),
    ("C/2 * sum(W.^2)", "C"),  # a coefficient scaled by a number, of a scalar
    ("C/2*tr(W'*W)", "C"),
])
def test_usage_that_the_text_states_does_not_warn(expr, name):
    p = compile_program(expr)
    assert p.types[name] == "scalar" and p.warnings == ()


# ---- declared names never warn -------------------------------------------------------------------

DECLARED = [
    "sum(softmax(Q*K')) where Q, K: scalar",
    "x'*A*x/2 + b'*x + c where c: scalar",
    "x'*A*x/2 + b'*x + c where x, b, c: vector(n), A: matrix(n, n)",
    "(x - mu)'*inv(S)*(x - mu) where mu: scalar",
    "(x - mu)'*inv(S)*(x - mu) where mu: vector",
    "exp(t)*A where t: scalar",
    "sum(log(x + eps)) where eps: scalar",
    "A*x where A: scalar, x: scalar",
    "x'*A where A: vector",
    "1/N * norm(X*W - Y, 'fro')^2 where N: scalar",
    "norm(x - n)^2 where x: vector(n)",  # a dimension name used as a value
]


@pytest.mark.parametrize("expr", DECLARED)
def test_declared_names_never_warn(expr):
    assert compile_program(expr).warnings == ()
    a = answer(Request(expr))
    assert a.ok and a.warnings == () and "warnings" not in a.to_json()
    code, out, _ = cli(expr)
    assert code == 0 and "warning" not in out


def test_declarations_from_the_api_and_the_command_line_count():
    assert matdiff.gradient(MAHALANOBIS, "x", mu="vector").warnings == ()
    assert "warnings" not in cli_json(QUADRATIC, "--declare", "c: scalar")
    assert compile_program(QUADRATIC, declarations_from(c="scalar")).warnings == ()


PROPERTY = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@PROPERTY
@given(S.expression(S.SCALAR))
def test_fully_declared_expressions_never_warn(text):
    assert compile_program(text + S.WHERE).warnings == ()


# Random expressions over conventionally named variables (A, B, C matrices, x, y, z vectors),
# with only what no convention says declared: S symmetric, P a mask, a and b scalars.
KEPT = " where S: symmetric matrix(n), a, b: scalar, P: mask(n, n)"


@PROPERTY
@given(S.expression(S.SCALAR))
def test_expressions_that_follow_the_conventions_never_warn(text):
    program = compile_program(text + KEPT)
    conventional = all(program.syms[n].kind == convention(n) for n in program.syms
                       if n in ("A", "B", "C", "x", "y", "z"))
    assume(conventional)
    assert program.warnings == ()
    assert "warnings" not in answer(Request(text + KEPT, self_check=False)).to_json()


# ---- other front ends: the same warnings, positions in the text as typed ------------------------

def test_latex_input_warns_at_the_name_in_the_latex():
    text = r"\frac{1}{2} x^T A x + b^T x + c"
    [w] = compile_program(text, latex=True).warnings
    assert w.name == "c" and text[w.position] == "c" and w.position == len(text) - 1


def test_names_the_index_notation_reads_are_not_declared_by_it():
    text = "sum(j, norm(W[:, j] - mu)^2)"
    [w] = compile_program(text).warnings
    assert w.name == "mu" and w.position == text.index("mu")
    assert compile_program("sum(j, norm(W[:, j] - mu)^2) where mu: scalar").warnings == ()
