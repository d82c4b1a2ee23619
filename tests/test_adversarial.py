"""Adversarial inputs: every one gives a correct answer or a clean MatdiffError (message,
position, kind), never a traceback, a hang or unbounded memory.

Each case is answered through the service (:func:`matdiff.api.answer`, which checks every
result numerically), timed, and for the cases about numbers and sizes its memory is
measured with tracemalloc; a few run the command line in a subprocess, whose peak memory
(``ru_maxrss``) is measured.  The bounds themselves are documented in exact.py (numbers,
matrix powers), lex.py (text length, literals), parse.py (nesting, tree depth, names),
declarations.py (sizes), check.py (the sizes the numeric check evaluates) and the LaTeX
reader (its recursion).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matdiff import api, ir
from matdiff.errors import MatdiffError
from matdiff.exact import MAX_MATRIX_POWER, exact_power
from matdiff.latex import vocabulary as V
from matdiff.lex import MAX_TEXT_LENGTH
from matdiff.ops import ELEMENTWISE

SRC = Path(__file__).resolve().parents[1] / "src"

SECONDS = 2.0  # the most one answer may take
TRACED_SECONDS = 4.0  # ... while tracemalloc traces every allocation (it slows Python)
MEMORY = 200 * 2**20  # the most one answer may allocate (tracemalloc's peak)
CLI_MEMORY_KB = 400 * 1024  # the most a command-line run may use (its whole process)


@pytest.fixture(scope="module", autouse=True)
def warm_up():
    """Import and initialise everything once, so that the first case is not timed with it."""
    api.answer(api.Request("x'*A*x + sum(exp(x))", hessian=True))
    api.answer(api.Request(r"\frac{1}{2}\|Ax\|^2", latex_input=True))


def answer(expr: str, *, latex: bool = False, declarations: tuple[str, ...] = (),
           hessian: bool = False, memory: bool = False, self_check: bool = True,
           wrt: tuple[str, ...] = ()) -> api.Answer:
    """The answer to ``expr``, asserting it came quickly (and within MEMORY, when
    ``memory``).  Any exception other than a MatdiffError escapes: the test fails."""
    request = api.Request(expr, wrt, declarations=declarations, latex_input=latex,
                          hessian=hessian, self_check=self_check)
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        out = api.answer(request)
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
    limit = TRACED_SECONDS if memory else SECONDS
    assert elapsed < limit, f"{expr[:80]!r} took {elapsed:.2f} s"
    assert peak < MEMORY, f"{expr[:80]!r} allocated {peak / 2**20:.0f} MB"
    if out.error is not None:
        assert isinstance(out.error, MatdiffError)
        assert out.error.message and out.error.kind in (  # "error": a bad --declare
            "syntax", "type", "shape", "unsupported", "error"), out.error.to_json()
        out.error.caret()  # the display works too
    else:
        out.to_json()
    return out


def error(expr: str, **options) -> MatdiffError:
    out = answer(expr, **options)
    assert out.error is not None, f"{expr[:80]!r} was answered: {out.to_json()}"
    return out.error


def ok(expr: str, **options) -> api.Answer:
    out = answer(expr, **options)
    assert out.error is None, f"{expr[:80]!r}: {out.error.to_json()}"
    return out


RANGE = "matdiff works with numbers between 1e-308 and 1e308 in size"


# ----------------------------------------------------------------------------- the reported cases


class TestReportedExamples:
    """The inputs of the report: each was a hang, gigabytes or a traceback."""

    def test_power_tower_is_too_large_at_its_text(self):
        # ran 28 s and 1.7 GB
        e = error("2^(2^(2^5))*x", memory=True)
        assert e.kind == "unsupported" and e.position == 0
        assert e.message.startswith("2^(2^(2^5)) is too large a number (about 10^1292913986)")
        assert RANGE in e.message

    def test_variable_to_a_tower_is_an_error(self):
        # never ended
        e = error("x^(2^(2^(2^9)))", memory=True)
        assert e.kind == "unsupported" and e.position == 2
        assert e.message.startswith("2^(2^(2^9)) is too large a number (about 10^(4.0e+153))")

    @pytest.mark.parametrize("expr, digits", [("2^15000*x", 4515), ("3^(2^14)*x", 7817)])
    def test_powers_beyond_the_int_to_string_limit(self, expr, digits):
        # ended in a traceback (int-to-string conversion)
        e = error(expr, memory=True)
        assert e.position == 0 and f"is too large a number (about 10^{digits})" in e.message

    @pytest.mark.parametrize("expr", ["(-8)^(1/3)*x", "(-8)^0.5*x", "(-2)^(3/2)*x"])
    def test_negative_number_to_a_non_integer_power(self, expr):
        e = error(expr)
        assert e.kind == "unsupported" and e.position == 0
        assert e.message == f"{expr[:-2]} is not a real number (a negative number to a power " \
                            "that is not an integer)"

    def test_negative_integer_powers_are_fine(self):
        assert ok("(-2)^3*x").results[0].text == "-8*eye(n)"
        assert ok("(-1/2)^(-2)*x").results[0].text == "4*eye(n)"

    def test_merged_matrix_powers_stay_bounded(self):
        for expr in ["X^64*X^64", "*".join(["X^64"] * 8), "*".join(["X"] * 200),
                     "X^40*X^40*A", "(A*X)^60*(A*X)^10"]:
            out = ok(expr)
            for e in [out.typed.expr] + [r.expr for r in out.results]:
                powers = [n.k for n in e.walk() if isinstance(n, ir.MatPow)]
                assert max(powers, default=0) <= MAX_MATRIX_POWER, (expr, powers)

    def test_matrix_powers_merge_up_to_the_limit(self):
        assert ok("X^32*X^32").function == "X^64"
        assert ok("X^32*X^33").function == "X^32*X^33"

    @pytest.mark.parametrize("expr", ["(X^64)^64", "((X^64)^64)^64", "tr((X^64)^2)",
                                      "(X^8*A)^9"])
    def test_nested_matrix_powers_multiply(self, expr):
        e = error(expr)
        assert e.kind == "unsupported" and "nests matrix powers" in e.message

    def test_nested_matrix_powers_within_the_limit(self):
        ok("(X^8)^8")


# ----------------------------------------------------------------------------- numbers


class TestNumbers:
    @pytest.mark.parametrize("expr, position, text", [
        ("1e999*x", 0, "1e999 is too large a number (about 10^999)"),
        ("x + 1e309", 4, "1e309 is too large a number (about 10^309)"),
        ("1e-400*x", 0, "1e-400 is too small a number (about 10^-400)"),
        ("1e300*1e300*x", 0, "1e300*1e300 is too large a number (about 10^600)"),
        ("(1e-200*x)^2", 0, "(1e-200*x)^2 is too small a number (about 10^-400)"),
        ("2^1024*x", 0, "2^1024 is too large a number (about 10^308)"),
        ("(1/2)^2000*x", 0, "(1/2)^2000 is too small a number (about 10^-602)"),
        ("10^(10^10)*x", 0, "10^(10^10) is too large a number (about 10^10000000000)"),
        ("2^2^2^2^2^2*x", 2, "2^2^2^2^2 is too large a number (about 10^19728)"),
        ("x*" + "*".join(["2^1000"] * 20), 0, "x*2^1000*2^1000 is too large a number"),
    ])
    def test_out_of_range(self, expr, position, text):
        e = error(expr, memory=True)
        assert e.kind == "unsupported" and e.position == position, e.to_json()
        assert text in e.message and RANGE in e.message

    @pytest.mark.parametrize("expr, position, text", [
        ("x/0", 0, "x/0 divides by zero"),
        ("1/(1 - 1)*x", 0, "1/(1 - 1) divides by zero"),
        ("0^(-1)*x", 0, "0^(-1) divides by zero"),
        ("log(0)*x", 0, "log(0) is infinite or too large a number (it evaluates to -inf)"),
        ("x*exp(1000)", 2, "exp(1000) is infinite or too large a number"),
        ("exp(exp(1000))*x", 4, "exp(1000) is infinite"),
        ("log(-1)*x", 0, "log(-1) is not a real number (it evaluates to nan)"),
        ("sqrt(-2)*x", 0, "sqrt(-2) is not a real number"),
        ("1/log(1)*x", 0, "1/log(1) divides by zero"),
        ("1/sin(0)*x", 0, "1/sin(0) divides by zero"),
        ("(-2)^x", 0, "(-2)^x is not a real number for most values of its exponent"),
        ("sum((-3).^x)", 4, "(-3).^x is not a real number"),
    ])
    def test_not_a_finite_real_number(self, expr, position, text):
        e = error(expr)
        assert e.kind == "unsupported" and e.position == position, e.to_json()
        assert e.message.startswith(text) or text in e.message, e.message

    @pytest.mark.parametrize("expr, expected", [
        ("2^10*x", "1024*eye(n)"),
        ("4^(1/2)*x", "2*eye(n)"),
        ("(8/27)^(2/3)*x", "4/9 * eye(n)"),
        ("2^100*x", "2^100*eye(n)"),  # beyond 2^64: kept as a power, not 31 digits
        ("1^(1e300)*x", "eye(n)"),
        ("0^(1e300)*x", "zeros(n, n)"),
        ("(-1)^(1e300 + 1)*x", "-eye(n)"),
    ])
    def test_exact_numbers(self, expr, expected):
        assert ok(expr, memory=True).results[0].text == expected

    @pytest.mark.parametrize("expr", [
        "2^(1e-300)*x",  # once a hang: a 10^300-th root tried by powers of 2
        "x^(1e-300)", "x^(1e300)", "sum(x.^(2^512))", "(1 + 1e-300)^(1e300)*x", "1e308*x",
        "1e-308*x", "9" * 300 + "*x", "0." + "0" * 300 + "1*x",
    ])
    def test_extreme_numbers_within_the_range(self, expr):
        ok(expr, memory=True)

    def test_too_many_digits(self):
        e = error("+".join(f"1/{p}" for p in _primes(800)) + "+x", memory=True)
        assert e.kind == "unsupported" and "too many digits" in e.message

    @pytest.mark.parametrize("literal", ["1" * 1001, "1e1001", "1e" + "9" * 50])
    def test_literals_beyond_the_lexer_limits(self, literal):
        assert error(literal + "*x").kind == "syntax"

    def test_exact_power_directly(self):
        assert exact_power(2, 10) == 1024
        assert exact_power(27, -1) is not None and exact_power(27, -1) == exact_power(3, -3)
        assert exact_power(2, 100) is None  # kept as a power
        assert exact_power(2, ir.Num(1).value / 10**300) is None  # no 10^300-th root search


def _primes(count: int) -> list[int]:
    out: list[int] = []
    k = 2
    while len(out) < count:
        if all(k % p for p in out if p * p <= k):
            out.append(k)
        k += 1
    return out


# ----------------------------------------------------------------------------- sizes


class TestSizes:
    def test_exponent_sizes_are_not_read(self):
        e = error("x where x: matrix(10^9, 10^9)")
        assert e.kind == "syntax"

    @pytest.mark.parametrize("decl, at", [("matrix(99999999999999999999, 2)", 18),
                                          ("vector(1000001)", 18)])
    def test_declared_sizes_are_bounded(self, decl, at):
        e = error(f"x where x: {decl}", memory=True)
        assert e.kind == "unsupported" and e.position == at
        assert e.message.startswith("a dimension can be at most 1000000")

    @pytest.mark.parametrize("expr", ["eye(1e300)*x", "ones(99999999999999999999)'*x",
                                      "reshape(x, 1e300, 1)", "commutation(1e300, 2)*vec(X)"])
    def test_sizes_in_expressions_are_bounded(self, expr):
        e = error(expr, memory=True)
        assert e.kind == "unsupported" and "a dimension can be at most" in e.message

    @pytest.mark.parametrize("expr, declarations", [
        ("x where x: vector(1000000)", ()),
        ("A*x where A: matrix(1000, 1000)", ()),
        ("sum(x)", ("x: vector(1000000)",)),
        ("tr(kron(kron(X, X), kron(X, X)))", ("X: matrix(30, 30)",)),
        ("tr(kron(kron(kron(X, X), kron(X, X)), kron(X, X)))", ()),
    ])
    def test_large_sizes_are_answered_unchecked(self, expr, declarations):
        out = ok(expr, declarations=declarations, memory=True)
        for r in out.results:
            c = r.check()
            assert c.passed or c.outcome == "unchecked", c

    def test_check_reports_why(self):
        out = ok("x where x: vector(1000000)")
        message = out.results[0].check().message
        assert message is not None and message.startswith(
            "not checked numerically: the sizes are too large (arrays of up to 1000000 x 1")


# ----------------------------------------------------------------------------- nesting and length

DEEP = 5000


@pytest.mark.parametrize("expr", [
    "(" * DEEP + "x" + ")" * DEEP,
    "-" * DEEP + "x",
    "+-" * DEEP + "x",
    "x" + "'" * DEEP,
    "x" + ".T" * DEEP,
    "+".join(["x"] * DEEP),
    "*".join(["x"] * DEEP),
    "f(" * DEEP + "x" + ")" * DEEP,
    "sin(" * DEEP + "x" + ")" * DEEP,
    "x^" * DEEP + "x",
    "2^" * DEEP + "2",
    "norm(" * DEEP + "x" + ")" * DEEP,
    "sum(i, " * 300 + "x" + ")" * 300,
    "x[" * DEEP,
    "(" * DEEP,
    ")" * DEEP,
    "x where " + ", ".join(f"x{i}: vector" for i in range(DEEP)),
])
def test_deep_and_long_inputs(expr):
    answer(expr, memory=True)


@pytest.mark.parametrize("expr", [
    "(" * 150 + "x" + ")" * 150,
    "-" * 150 + "x",
    "x" + "'" * 1400,
    "+".join(["x"] * 1400),
    "*".join(["X"] * 1000),
    "*".join(["X*A"] * 300),
    "sin(" * 150 + "x" + ")" * 150,
])
def test_deep_inputs_within_the_limits_are_answered(expr):
    ok(expr)


def test_text_length_is_bounded():
    e = error("x+" * 300_000 + "x")
    assert e.kind == "unsupported" and e.position == MAX_TEXT_LENGTH
    assert error(r"\frac{" * 5000 + "x" + "}{2}" * 5000, latex=True).position == MAX_TEXT_LENGTH
    assert error("x", declarations=("x: vector, " * 3000 + "y: scalar",)).kind in (
        "unsupported", "error")


def test_many_distinct_names():
    # any number of names, in bounded time; without --wrt matdiff differentiates by at
    # most MAX_DEFAULT_VARIABLES (each answer is checked), so it asks which
    many = "+".join(f"x{i}" for i in range(1000))
    e = error(many)
    assert e.kind == "unsupported" and "the expression has 1000 variables" in e.message
    assert ok(many, wrt=("x7",)).results[0].text == "eye(n)"
    ok("+".join(f"x{i}'*A{i}*x{i}" for i in range(8)))  # 16 names
    error(" + ".join(f"\\alpha_{{{i}}} x" for i in range(100)), latex=True)


@pytest.mark.parametrize("expr", [
    "{" * DEEP + "x" + "}" * DEEP,
    r"\frac{" * 1500 + "x" + "}{2}" * 1500,
    r"\sqrt{" * 2000 + "x" + "}" * 2000,
    r"\left(" * 1000 + "x" + r"\right)" * 1000,
    "-" * DEEP + "x",
    "x" + "'" * DEEP,
    "x" + "^T" * DEEP,
    "+".join(["x"] * DEEP),
    "x^{" * 2000 + "2" + "}" * 2000,
    r"\|" * 2000 + "x" + r"\|" * 2000,
    r"\exp " * 3000 + "x",
    r"\log\det " * 1000 + "X",
    r"\sum_{i}" * 500 + "x_i",
    r"\mathbf{" * 2000 + "x" + "}" * 2000,
    r"\langle" * 1000 + "x, y" + r"\rangle" * 1000,
    "e^{" * 1000 + "x" + "}" * 1000,
    r"\frac{1}{0}x",
    "e^{e^{e^{10}}} x",
    "2^{2^{2^{2^{5}}}} x",
    "(-8)^{1/3} x",
    r"\sqrt{-2} x",
    "1" * 2000 + "x",
    "0." + "0" * 500 + "1 x",
])
def test_latex_adversarial(expr):
    answer(expr, latex=True, memory=True)


def test_latex_numbers_are_placed():
    e = error("2^{2^{2^{2^{5}}}} x", latex=True)
    assert e.position == 3 and e.message.startswith("2^{2^{2^{5}}} is too large a number")
    e = error(r"\frac{1}{0}x", latex=True)
    assert e.position == 0 and e.message == r"\frac{1}{0} divides by zero"


# ----------------------------------------------------------------------------- every LaTeX command


def _reader_commands() -> list[str]:
    """Every command the LaTeX reader knows: its tables, the elementwise functions' records
    and the commands its code reads by name."""
    names: set[str] = set()
    for table in (V.GREEK, V.FUNCTION_CMDS, V.FUNCTION_WORDS, V.STRIP_STYLES, V.WORD_STYLES,
                  V.ACCENTS, V.SKIP_CMDS, V.PRODUCT_CMDS, V.SIZES_OPEN, V.SIZES_CLOSE,
                  V.SIZES_EITHER, V.EQUALS_CMDS, V.NOT_OPERANDS):
        names.update(table)
    names.update(text for kind, text in list(V.OPENERS) + list(V.CLOSERS) if kind == "cmd")
    for record in ELEMENTWISE.values():
        names.update(record.latex_commands)
    names.update(["frac", "dfrac", "tfrac", "cfrac", "sqrt", "sum", "prod", "left", "right",
                  "top", "intercal", "prime", "T", "begin", "end", "[", "]", "(", ")", "in",
                  "mathbb", "operatorname", "unknowncommand"])
    return sorted(n for n in names if n.strip() and n not in ("\n", "\t"))


COMMANDS = _reader_commands()
FORMS = ["\\{c}", "\\{c}{{}}", "\\{c}{{x}}", "\\{c} x", "x \\{c} y", "\\{c}{{\\{c}{{x}}}}",
         "\\{c}^{{2}}_{{}}", "{{\\{c}", "\\{c}(", "\\{c}{{x}}{{y}}{{z}}", "x_{{\\{c}}}",
         "\\|\\{c}\\|", "\\frac{{\\{c}}}{{\\{c}}}", "\\{c}{{\\{c}}}^{{-1}}", "\\{c} A^T"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_latex_command_with_odd_arguments(command):
    """Read, typed and differentiated (the numeric check aside: test_latex_adversarial and
    the LaTeX tests check answers), each form within the time limit."""
    for form in FORMS:
        answer(form.format(c=command), latex=True, self_check=False)


def test_latex_commands_are_answered_with_checks():
    for command in ("frac", "sqrt", "exp", "log", "tanh", "mathbf", "hat", "left", "cdot",
                    "odot", "otimes", "operatorname", "lambda", "langle"):
        answer(f"\\{command}{{x}}{{y}}", latex=True)


# ----------------------------------------------------------------------------- random junk

JUNK = st.lists(st.sampled_from([
    "x", "A", "X", "y", "2", "0", "1e308", "1e-308", "0.5", "9" * 40, "(", ")", "[", "]", "{",
    "}", "'", ".T", "+", "-", "*", "/", "^", ".^", ".*", "@", ",", ":", ";", " where ",
    "x: vector(3)", "A: matrix(2, 3)", "sum(", "norm(", "exp(", "log(", "inv(", "kron(",
    "eye(", "'fro'", "\\frac", "\\sqrt", "\\left", "\\right", "\\|", "|", "_", "^{", "\\sum",
    "i", "j", "λ", "∘", "²", "ᵀ", "\\", "$", "e", "E", "%", "\n", "\\begin{equation}",
]), max_size=40).map("".join)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(JUNK, st.booleans())
def test_random_junk(text, latex):
    answer(text, latex=latex)


# ----------------------------------------------------------------------------- the command line

_CLI = """
import resource, sys
from matdiff.cli import main
try:
    status = main(sys.argv[1:])
finally:
    print("MAXRSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(status)
"""


@pytest.mark.parametrize("args, status", [
    (["2^(2^(2^5))*x", "--check"], 1),
    (["x^(2^(2^(2^9)))", "--check"], 1),
    (["3^(2^14)*x", "--json"], 1),
    (["x where x: vector(1000000)", "--check"], 0),
    (["+".join(["x"] * 1400), "--hessian"], 1),  # x is a vector: no Hessian (a clear error)
    (["+".join(["alpha"] * 1400), "--hessian"], 0),
])
def test_command_line_memory(args, status):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _CLI, *args], capture_output=True, text=True,
                         env=env, timeout=60)
    elapsed = time.perf_counter() - start
    assert run.returncode == status, run.stderr
    assert "Traceback" not in run.stderr
    maxrss = int(run.stderr.rsplit("MAXRSS", 1)[1].split()[0])
    assert maxrss < CLI_MEMORY_KB, f"{args[0][:40]!r} used {maxrss // 1024} MB"
    assert elapsed < 2 * SECONDS + 3, f"{args[0][:40]!r} took {elapsed:.1f} s (with startup)"
