"""Property test: answers of random expressions with exact and inexact constants
(``2^0.5``, ``1/3``, ``1e-3``, ``3^(1/2)``, ``(8/27)^(2/3)``, ``27^(-2/3)``, ...) as
coefficients, exponents and bases are right, by an independent check.

Each random expression is built twice at once: as matdiff text and as a NumPy function
written here (the constants' values computed by Python, not by matdiff).  The gradient
matdiff prints is read back, evaluated, and compared with Ridders-extrapolated central
differences of the NumPy function (tests/oracle.py), entry by entry.  So neither the
folding of constants (exact.py), nor the lowering, nor the printing is trusted: only the
evaluation of the printed text.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import oracle  # tests/oracle.py
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from matdiff import api
from matdiff.evaluate import evaluate

WHERE = " where a: scalar, x: vector(3), A: matrix(3, 3)"
TOL = 1e-6

# (text, value): constants as coefficients (any sign) ...
COEFFICIENTS = [
    ("2^0.5", 2 ** 0.5), ("1/3", 1 / 3), ("1e-3", 1e-3), ("3^(1/2)", 3 ** 0.5),
    ("(8/27)^(2/3)", 4 / 9), ("2^-3", 0.125), ("4^(3/2)", 8.0), ("10^-2", 0.01),
    ("1.5e2", 150.0), ("2^(1/3)", 2 ** (1 / 3)), ("27^(-2/3)", 1 / 9),
    ("(1/2)^(1/2)", 0.5 ** 0.5), ("2^100/2^99", 2.0), ("5^(2^2)/625", 1.0),
    ("(-2)^3", -8.0), ("(-1/2)^-2", 4.0), ("-(2^0.5)", -(2 ** 0.5)), ("exp(1)", math.e),
    ("log(2)", math.log(2)), ("sqrt(3)/3", math.sqrt(3) / 3), ("2.5e-1", 0.25),
    ("7^(1/7)", 7 ** (1 / 7)), ("(3/2)^(-3)", (2 / 3) ** 3),
]
# ... as exponents of positive bases ...
EXPONENTS = [
    ("0.5", 0.5), ("1/3", 1 / 3), ("3/2", 1.5), ("2^0.5", 2 ** 0.5), ("1e-3", 1e-3),
    ("3^(1/2)", 3 ** 0.5), ("2", 2.0), ("-1/2", -0.5), ("(1/2)^2", 0.25), ("2^-1", 0.5),
    ("4^(1/2)", 2.0), ("-(3^(1/2))", -(3 ** 0.5)),
]
# ... and as positive bases of variable powers.
BASES = [("2", 2.0), ("2^0.5", 2 ** 0.5), ("1/3", 1 / 3), ("1e-1", 0.1), ("3^(1/2)", 3 ** 0.5),
         ("(8/27)^(2/3)", 4 / 9), ("1.5", 1.5)]


def _leaves():
    """Scalar leaves: (text, function of the values, bounded)."""
    return [
        ("a", lambda v: v["a"], True),
        ("sum(sin(x))", lambda v: np.sum(np.sin(v["x"])), True),
        ("tanh(x'*A*x)", lambda v: np.tanh(v["x"] @ v["A"] @ v["x"]), True),
        ("x'*x", lambda v: v["x"] @ v["x"], False),
        ("tr(A)", lambda v: np.trace(v["A"]), False),
        ("sum(x)", lambda v: np.sum(v["x"]), False),
        ("x'*A*x", lambda v: v["x"] @ v["A"] @ v["x"], False),
        ("norm(A, 'fro')^2", lambda v: np.sum(v["A"] ** 2), False),
    ]


LEAVES = _leaves()


@st.composite
def scalar_expression(draw, depth: int = 3):
    """(text, function, bounded): a random scalar expression with constants."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES))
    kind = draw(st.sampled_from(["coefficient", "power", "base", "sum", "product",
                                 "quotient", "elementwise", "function"]))
    sub = scalar_expression(depth - 1)
    if kind == "coefficient":
        (ct, cv), (t, f, b) = draw(st.sampled_from(COEFFICIENTS)), draw(sub)
        return f"{ct}*({t})", lambda v: cv * f(v), b
    if kind == "power":  # (1 + u^2)^p: a positive base
        (pt, pv), (t, f, _) = draw(st.sampled_from(EXPONENTS)), draw(sub)
        return f"(1 + ({t})^2)^({pt})", lambda v: (1 + f(v) ** 2) ** pv, False
    if kind == "base":  # c^u of a bounded u
        (ct, cv), (t, f, _) = draw(st.sampled_from(BASES)), draw(bounded(depth - 1))
        return f"({ct})^({t})", lambda v: cv ** f(v), True
    if kind in ("sum", "product"):
        (t1, f1, b1), (t2, f2, b2) = draw(sub), draw(sub)
        if kind == "sum":
            return f"({t1}) + ({t2})", lambda v: f1(v) + f2(v), b1 and b2
        return f"({t1})*({t2})", lambda v: f1(v) * f2(v), b1 and b2
    if kind == "quotient":
        (t1, f1, b1), (t2, f2, _) = draw(sub), draw(sub)
        (ct, cv) = draw(st.sampled_from(BASES))
        return f"({t1})/({ct} + ({t2})^2)", lambda v: f1(v) / (cv + f2(v) ** 2), b1
    if kind == "elementwise":  # sum((c + x.^2).^p), sum(c.^sin(x))
        (pt, pv), (ct, cv) = draw(st.sampled_from(EXPONENTS)), draw(st.sampled_from(BASES))
        if draw(st.booleans()):
            return f"sum(({ct} + x.^2).^({pt}))", lambda v: np.sum((cv + v["x"] ** 2) ** pv), False
        return f"sum(({ct}).^sin(x))", lambda v: np.sum(cv ** np.sin(v["x"])), True
    (ct, cv), (t, f, _) = draw(st.sampled_from(COEFFICIENTS)), draw(bounded(depth - 1))
    name = draw(st.sampled_from(["exp", "sin", "log1p2"]))
    if name == "exp":
        return f"exp({ct}*sin({t}))", lambda v: np.exp(cv * np.sin(f(v))), True
    if name == "sin":
        return f"sin({ct}*({t}))", lambda v: np.sin(cv * f(v)), True
    return f"log(1 + ({ct})^2*({t})^2)", lambda v: np.log(1 + cv ** 2 * f(v) ** 2), False


@st.composite
def bounded(draw, depth: int):
    """A bounded expression (values in [-1, 1]-ish), safe as an exponent."""
    t, f, b = draw(scalar_expression(depth))
    if b:
        return t, f, b
    return f"tanh({t})", lambda v: np.tanh(f(v)), True


def _values(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(3)
    return {"a": float(rng.uniform(0.5, 1.5)), "x": x + 0.5 * np.sign(x),
            "A": rng.standard_normal((3, 3)) + 3 * np.eye(3)}


def _as_matdiff(values: dict) -> dict:
    return {"a": np.array([[values["a"]]]), "x": values["x"].reshape(3, 1), "A": values["A"]}


def _finite_differences(f, values: dict, name: str) -> np.ndarray:
    """The gradient of ``f`` with respect to ``values[name]``, entry by entry (Ridders)."""
    base = np.atleast_1d(np.asarray(values[name], dtype=float))
    grad = np.zeros(base.shape)
    h = 1e-3 * max(1.0, float(np.max(np.abs(base))))
    for index in np.ndindex(*base.shape):
        def central(t, index=index):
            up, down = base.copy(), base.copy()
            up[index] += t
            down[index] -= t
            shape = np.shape(values[name])
            f_up = f({**values, name: up.reshape(shape) if shape else float(up[0])})
            f_down = f({**values, name: down.reshape(shape) if shape else float(down[0])})
            return np.array((f_up - f_down) / (2 * t))
        grad[index] = oracle.richardson(central, h)
    return grad


def _note(text: str) -> None:
    with contextlib.suppress(InvalidArgument):  # outside a hypothesis test: no notes
        note(text)


def largest_error(text: str, f, values: dict) -> float:
    """The largest relative error, over the variables, of the gradients matdiff prints for
    ``text`` against finite differences of ``f`` (inf when matdiff answers with an error)."""
    out = api.answer(api.Request(text + WHERE))
    assert out.error is None, out.error.to_json()
    worst = 0.0
    for result in out.results:
        _note(f"gradient wrt {result.wrt}: {result.text_where}")
        # the printed result may have a where clause of its own (its definitions): one clause
        clause = (", " + WHERE.removeprefix(" where ")) if result.definitions else WHERE
        printed = api.compile_program(result.text_where + clause)
        with np.errstate(all="ignore"):
            got = evaluate(printed.expr, _as_matdiff(values), {})
            expected = _finite_differences(f, values, result.wrt)
        if not (np.all(np.isfinite(expected)) and np.max(np.abs(expected), initial=0) < 1e6):
            _note("finite differences out of range: not compared")
            continue
        got = got.reshape(expected.shape)
        scale = max(float(np.max(np.abs(expected), initial=0)), 1e-3)
        worst = max(worst, float(np.max(np.abs(got - expected), initial=0)) / scale)
    return worst


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scalar_expression(), st.integers(0, 2**16))
def test_answers_with_constants_pass_an_independent_check(case, seed):
    text, f, _ = case
    values = _values(seed)
    with np.errstate(all="ignore"):
        f0 = f(values)
    assume(np.isfinite(f0) and abs(f0) < 1e6)
    note(f"expression: {text}")
    assert largest_error(text, f, values) < TOL


def test_the_check_sees_a_wrong_constant():
    """The comparison is sensitive: a constant off by 0.2% is caught."""
    values = _values(1)
    text = "exp(1/3*sin(x'*x)) + (2^0.5)^(a)"
    right = lambda v: np.exp(np.sin(v["x"] @ v["x"]) / 3) + 2 ** (0.5 * v["a"])  # noqa: E731
    wrong = lambda v: np.exp(0.334 * np.sin(v["x"] @ v["x"])) + 2 ** (0.5 * v["a"])  # noqa: E731
    assert largest_error(text, right, values) < TOL
    assert largest_error(text, wrong, values) > 1e-4


def test_the_generator_builds_what_it_says():
    """The NumPy side of a few hand-picked expressions, against their known values."""
    v = {"a": 1.0, "x": np.array([1.0, 2.0, 2.0]), "A": np.eye(3)}
    assert abs(LEAVES[3][1](v) - 9.0) < 1e-12
    for text, value in COEFFICIENTS:
        out = api.answer(api.Request(f"{text}*a" + WHERE))
        assert out.error is None, (text, out.error.to_json())
        got = evaluate(api.compile_program(out.results[0].text + WHERE).expr, {}, {})
        assert abs(float(got[0, 0]) - value) <= 1e-12 * max(1.0, abs(value)), text
