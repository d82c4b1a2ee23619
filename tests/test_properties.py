"""Property-based tests of the whole pipeline (parse -> typecheck -> differentiate -> print).

Random well-typed expressions (see ``strategies.py``) over the declarations

    A, B: matrix(n, n), S: symmetric matrix(n), C: matrix(n, m), x, y: vector(n),
    z: vector(m), a, b: scalar, P: mask(n, n)

are differentiated, and

1. gradients of scalars pass the built-in check and agree with an independent
   entry-by-entry finite-difference gradient (``check.numeric_gradient``);
2. Jacobians of vectors by vectors (and of anything non-scalar by matrices,
   d vec(F) / d vec(X)) and derivatives by scalars pass the check and agree with
   finite differences;
3. the printed derivative and the printed function parse back (with the same
   where clause) to expressions with the same values;
4. printing is deterministic across processes with different hash seeds;
5. the printed results are simplified (no ``1*``, ``--``, ``+ -``, ``+ 0``,
   ``''``, no identity as a matrix-product partner, ...).

Run: ``PYTHONPATH=src python -m pytest tests/test_properties.py -q``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import strategies as S  # tests/strategies.py (pytest puts tests/ on sys.path)
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import matdiff
from matdiff import api, ir
from matdiff.check import (
    directional_derivative,
    numeric_gradient,
    relative_error,
    sample_dims,
    sample_values,
)
from matdiff.evaluate import evaluate, resolve_shape

SRC = Path(__file__).resolve().parents[1] / "src"

TOL = 1e-6
FIXED_DIMS = {"n": 3, "m": 4}  # distinct sizes: a transposed result cannot hide

PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
    print_blob=True,
)

# MATDIFF_PROPERTY_SCALE=10 runs ten times as many examples (a deeper search).
SCALE = float(os.environ.get("MATDIFF_PROPERTY_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


NON_SCALAR_SHAPES = [s for s in S.ALL_SHAPES if s != S.SCALAR]


# ----------------------------------------------------------------------------- helpers


def derive(text: str, wrt: str) -> api.Result:
    note(f"expression: {text}    wrt: {wrt}")
    result = matdiff.derivative(text + S.WHERE, wrt)
    note(f"result: {result.text}")
    return result


def symbols(*exprs: ir.Expr) -> list[ir.Sym]:
    found: dict[str, ir.Sym] = {}
    for e in exprs:
        for node in e.walk():
            if isinstance(node, ir.Sym):
                found.setdefault(node.name, node)
    return [found[k] for k in sorted(found)]


def random_point(*exprs: ir.Expr, seed: int = 12345, fixed=FIXED_DIMS):
    """Dimensions and values (standard normal, +3I on square matrices) for the expressions.

    With ``seed=0, fixed=None`` and the expressions ``f, result, wrt`` this is the
    point of the built-in check's first domain.
    """
    rng = np.random.default_rng(seed)
    dims = sample_dims(exprs, rng, fixed)
    values = sample_values(symbols(*exprs), dims, rng, "normal")
    return dims, values


# Finite differences of f lose about eps*|f|/h of absolute accuracy: when f is many orders
# of magnitude larger than its derivative (`det(...)*C + sin(a)*C` by a), no numeric check
# can decide.  Nor when f oscillates on a scale far below the step (`sin(det(...))` with
# det ~ 1e5: |f| <= 1, |gradient| ~ 1e5).  Such draws are discarded (a property of the
# random data, not of matdiff).  Nor when the values are differences of much larger
# intermediate terms (`det(eye(m) + 4*(z*z')^2)/(1 + 4*(z'*z)^2)` is the constant 1, its
# gradient a cancellation of terms ~1e4 that leaves roundoff far above the check's floor).
CONDITIONING = 1e5
WIGGLE = 1e3


def largest_intermediate(expr: ir.Expr, values, dims) -> float:
    """The largest |entry| of any subexpression's value (the scale of roundoff)."""
    largest = 0.0
    for node in expr.walk():
        value = evaluate(node, values, dims)
        if value.size:
            largest = max(largest, float(np.max(np.abs(value))))
    return largest


def assume_well_conditioned(result: api.Result, values, dims) -> None:
    with np.errstate(all="ignore"):
        try:
            fx = evaluate(result.program.expr, values, dims)
            rx = evaluate(result.expr, values, dims)
        except np.linalg.LinAlgError:
            assume(False)
    assume(finite(fx, rx))
    f_size = float(np.max(np.abs(fx)))
    r_size = float(np.max(np.abs(rx))) if rx.size else 0.0
    x_size = max(1.0, float(np.max(np.abs(values[result.var.name]))))
    note(f"|f| = {f_size:.3g}, |derivative| = {r_size:.3g}")
    assume(f_size <= CONDITIONING * max(r_size * x_size, 1e-6))
    assume(r_size * x_size <= WIGGLE * max(f_size, 1.0))
    with np.errstate(all="ignore"):
        inner = max(largest_intermediate(result.program.expr, values, dims),
                    largest_intermediate(result.expr, values, dims))
    note(f"largest intermediate value {inner:.3g}")
    assume(inner <= CONDITIONING * max(r_size * x_size, 1e-6))
    # a derivative built from values far larger than f: f oscillates or saturates
    # (`sum(log(2 + cos(exp(sin((C'*C)^3)))))`, `tr(A)/(2 + cos(det(...)))`)
    with np.errstate(all="ignore"):
        inner_result = largest_intermediate(result.expr, values, dims)
    assume(inner_result * x_size <= 10 * WIGGLE * max(f_size, 1.0))


def check_point(result: api.Result):
    """The built-in check's point (its first domain, which the generator keeps finite)."""
    return random_point(result.program.expr, result.expr, result.var, seed=0, fixed=None)


def finite(*arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


def assert_close(actual: np.ndarray, expected: np.ndarray, tol: float, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    err = relative_error(actual, expected)
    assert err <= tol, f"{what}: relative error {err:.3g}\n{actual}\nvs\n{expected}"


def assert_check_passes(result: api.Result) -> None:
    dims, values = check_point(result)
    assume_well_conditioned(result, values, dims)
    rep = result.check()
    assert rep.passed and rep.max_rel_error <= TOL, (
        f"built-in check failed: max_rel_error={rep.max_rel_error} for {result.text}")


# ----------------------------------------------------------------------------- 1. gradients


@settings(PROPERTY, max_examples=examples(250))
@given(S.expression_and_variable(S.SCALAR))
def test_gradient_of_scalar_checks(case):
    text, wrt = case
    result = derive(text, wrt)
    assert result.kind == "gradient"
    assert result.expr.shape == result.var.shape
    assert_check_passes(result)

    # an independent oracle: entry-by-entry central differences of the FUNCTION
    f = result.program.expr
    dims, values = random_point(f, result.expr, result.var)
    assume_well_conditioned(result, values, dims)
    with np.errstate(all="ignore"):
        grad = evaluate(result.expr, values, dims)
        expected = numeric_gradient(f, result.var, values, dims)
    assert_close(grad, expected, TOL, "gradient vs numeric_gradient")


# ------------------------------------------------------------------------ 2. Jacobians, derivatives


def numeric_jacobian(f: ir.Expr, var: ir.Sym, values, dims) -> np.ndarray:
    """d vec(f) / d vec(var) (column-major vec), column by column, by finite differences."""
    shape = resolve_shape(var.shape, dims)
    columns = []
    for k in range(shape[0] * shape[1]):
        unit = np.zeros(shape)
        unit[np.unravel_index(k, shape, order="F")] = 1.0
        column = directional_derivative(f, var, values, dims, unit)
        columns.append(column.reshape((-1, 1), order="F"))
    return np.hstack(columns)


def symmetrizer(n: int) -> np.ndarray:
    """The matrix of vec(V) -> vec((V + V')/2)."""
    eye = np.eye(n * n)
    commutation = np.zeros((n * n, n * n))
    for i in range(n):
        for j in range(n):
            commutation[i * n + j, j * n + i] = 1.0
    return (eye + commutation) / 2


def assert_jacobian_matches_oracle(result: api.Result) -> None:
    f = result.program.expr
    dims, values = random_point(f, result.expr, result.var)
    assume_well_conditioned(result, values, dims)
    with np.errstate(all="ignore"):
        jac = evaluate(result.expr, values, dims)
        expected = numeric_jacobian(f, result.var, values, dims)
    if result.var.kind == "symmetric":
        # only the action on symmetric directions is defined
        sym = symmetrizer(resolve_shape(result.var.shape, dims)[0])
        jac, expected = jac @ sym, expected @ sym
    assert_close(jac, expected, TOL, "jacobian vs finite differences")


@settings(PROPERTY, max_examples=examples(120))
@given(st.sampled_from([S.VEC_N, S.VEC_M]).flatmap(
    lambda shape: S.expression_and_variable(shape, S.VECTOR_VARS)))
def test_jacobian_of_vector_checks(case):
    text, wrt = case
    result = derive(text, wrt)
    assert result.kind == "jacobian"
    assert_check_passes(result)
    assert_jacobian_matches_oracle(result)


@settings(PROPERTY, max_examples=examples(100))
@given(st.sampled_from(NON_SCALAR_SHAPES).flatmap(
    lambda shape: S.expression_and_variable(shape, S.MATRIX_VARS)))
def test_jacobian_by_matrix_checks(case):
    """Beyond vectors: d vec(F) / d vec(X) for matrix (or row, or vector) F and matrix X."""
    text, wrt = case
    result = derive(text, wrt)
    assert result.kind == "jacobian"
    assert_check_passes(result)
    assert_jacobian_matches_oracle(result)


@settings(PROPERTY, max_examples=examples(120))
@given(st.sampled_from(NON_SCALAR_SHAPES).flatmap(
    lambda shape: S.expression_and_variable(shape, S.SCALAR_VARS)))
def test_derivative_by_scalar_checks(case):
    text, wrt = case
    result = derive(text, wrt)
    assert result.kind == "derivative"
    assert result.expr.shape == result.program.expr.shape
    assert_check_passes(result)

    f = result.program.expr
    dims, values = random_point(f, result.expr, result.var)
    assume_well_conditioned(result, values, dims)
    with np.errstate(all="ignore"):
        der = evaluate(result.expr, values, dims)
        expected = directional_derivative(f, result.var, values, dims, np.ones((1, 1)))
    assert_close(der, expected, TOL, "derivative vs finite differences")


# ----------------------------------------------------------------------------- 3. round trip


def _shape_and_variable():
    """Any shape of function, and a variable such that the derivative is defined."""
    def for_shape(shape):
        if shape == S.SCALAR:
            return S.expression_and_variable(shape, S.DIFFERENTIABLE)
        # the variable: a scalar (derivative), or a vector or matrix (Jacobian)
        return st.one_of(S.expression_and_variable(shape, S.SCALAR_VARS),
                         S.expression_and_variable(shape, S.VECTOR_VARS + S.MATRIX_VARS))
    return st.sampled_from(S.ALL_SHAPES).flatmap(for_shape)


def assert_reparses_to_same_values(printed: str, original: ir.Expr, values, dims, what: str):
    # a printed result may have a where clause of its own (its definitions): one clause
    clause = (", " + S.WHERE.removeprefix(" where ")) if " where " in printed else S.WHERE
    program = api.compile_program(printed + clause, ())
    assert resolve_shape(program.expr.shape, dims) == resolve_shape(original.shape, dims), (
        f"{what} {printed!r} reparses to shape {program.expr.shape}, expected {original.shape}")
    with np.errstate(all="ignore"):
        expected = evaluate(original, values, dims)
        assume(finite(expected))
        got = evaluate(program.expr, values, dims)
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-12 * scale), (
        f"{what} {printed!r} reparses to different values:\n{got}\nvs\n{expected}")


@settings(PROPERTY, max_examples=examples(250))
@given(_shape_and_variable())
def test_printed_results_round_trip(case):
    text, wrt = case
    result = derive(text, wrt)
    f = result.program.expr
    dims, values = random_point(f, result.expr, result.var, seed=777)
    assert_reparses_to_same_values(result.text_where, result.expr, values, dims, "derivative")
    note(f"function: {result.function}")
    assert_reparses_to_same_values(result.function, f, values, dims, "function")


# ----------------------------------------------------------------------------- 4. determinism

DETERMINISM_CASES = [
    ("1/2*norm(P.*(A - B*C*C'), 'fro')^2 + a/2*(norm(B, 'fro')^2 + norm(C, 'fro')^2)", "B"),
    ("1/2*norm(P.*(A - B*C*C'), 'fro')^2 + a/2*(norm(B, 'fro')^2 + norm(C, 'fro')^2)", "C"),
    ("sum(log(1 + exp(-y.*(A*x)))) + b*x'*S*x + logdet(4*eye(n) + A'*A)", "x"),
    ("sum(log(1 + exp(-y.*(A*x)))) + b*x'*S*x + logdet(4*eye(n) + A'*A)", "A"),
    ("tr(inv(2*eye(n) + B*B')*S) + a*b*sum(exp(C*z)) - y'*A*diag(x)*y", "B"),
    ("softmax(C*z + a*x) .* tanh(A*y) + b*x", "x"),
    ("exp(a)*A*C + b*sin(a)*C - a^2*ones(n, m)", "a"),
    ("x'*A*y + y'*B*x + x'*S*y + z'*C'*x + a*b + b*a", "y"),
]

_DETERMINISM_SCRIPT = """
import json, sys
import matdiff
cases = json.loads(sys.argv[1])
where = sys.argv[2]
out = []
for expr, wrt in cases:
    r = matdiff.derivative(expr + where, wrt)
    out.append([r.text, r.function, r.latex])
print(json.dumps(out))
"""


def test_derivatives_are_deterministic_across_processes():
    outputs = {}
    for seed in ("0", "1", "4242", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
        proc = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT, json.dumps(DETERMINISM_CASES), S.WHERE],
            env=env, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        outputs[seed] = json.loads(proc.stdout)
    reference = outputs["0"]
    for seed, out in outputs.items():
        for (expr, wrt), ref, got in zip(DETERMINISM_CASES, reference, out):
            assert got == ref, (f"PYTHONHASHSEED={seed} changes the result of d/d{wrt} {expr}:\n"
                                f"{got}\nvs\n{ref}")


# ----------------------------------------------------------------------------- 5. simplicity

UGLY = [
    (re.compile(r"(?<![\w.])1\s*\*(?!\*)"), "a factor 1*"),
    (re.compile(r"\*\s*1(?![\w.(])"), "a factor *1"),
    (re.compile(r"(?<![\w.])0\s*\.?\*"), "a factor 0*"),
    (re.compile(r"eye\([^)]*\)'?\s*\*"), "eye(...)* (scalars come first; I*X = X)"),
    (re.compile(r"(?<![\w.])(?:[ABSCPxyz]|ones\([^)]*\))'?\s*\*\s*eye\("),
     "a matrix or vector times eye(...)"),
    (re.compile(r"--"), "--"),
    (re.compile(r"\+\s*-"), "+ -"),
    (re.compile(r"-\s*-"), "- -"),
    (re.compile(r"(?<![\w.])0\s*[+-]"), "0 +/-"),
    (re.compile(r"[+-]\s*0(?![\w.])"), "+/- 0"),
    (re.compile(r"''"), "a double transpose"),
    (re.compile(r"\.\^1(?![\w.])"), ".^1"),
    (re.compile(r"(?<![\w.])1\s*\.\*"), "1.*"),
    (re.compile(r"\bones\(1\)"),
     "ones(1), a 1 x 1 ones (`ones(n)'*x*a` by a gives `ones(1)*sum(x)`)"),
]


def ugliness(text: str) -> list[str]:
    return [f"{why}: ...{text[max(0, m.start() - 15):m.end() + 15]}..."
            for pattern, why in UGLY for m in pattern.finditer(text)]


def identity_products(expr: ir.Expr) -> list[str]:
    """Matrix products in which an identity multiplies a non-scalar factor."""
    bad = []
    for node in expr.walk():
        if isinstance(node, ir.Mul):
            has_eye = any(isinstance(f, ir.Identity) for f in node.factors)
            partners = [f for f in node.factors if not isinstance(f, ir.Identity)
                        and not f.is_scalar]
            if has_eye and partners:
                bad.append(repr(node))
    return bad


@settings(PROPERTY, max_examples=examples(400))
@given(_shape_and_variable())
def test_printed_derivatives_are_simplified(case):
    text, wrt = case
    result = derive(text, wrt)
    problems = ugliness(result.text)
    assert not problems, f"d/d{wrt} {text} printed as {result.text!r}: {problems}"
    assert not identity_products(result.expr), identity_products(result.expr)
    # the function as matdiff read it is printed simplified too
    problems = ugliness(result.function)
    assert not problems, f"{text} printed as {result.function!r}: {problems}"
    assert not identity_products(result.program.expr), identity_products(result.program.expr)


def test_ugliness_detector_itself():
    assert ugliness("1*x") and ugliness("A*eye(n)") and ugliness("eye(n)*A")
    assert ugliness("x - -y") and ugliness("x + -y") and ugliness("0 + x")
    assert ugliness("x + 0") and ugliness("A''") and ugliness("ones(1)*sum(x)")
    for fine in ["4*eye(n)", "(1 + a^2)*eye(n)", "2/N * X'*(X*W - Y)", "0.5*x", "x + 0.5",
                 "-2*(W*u - v)", "lambda*U - (P.*(M - U*V'))*V", "11*x", "x.^10", "A^-1",
                 "-X'*(y.*sigmoid(-y.*(X*w)))", "2*A*x", "x - 1", "10 + x", "x*10",
                 "ones(1, n)*x", "kron(ones(1, n), eye(n))"]:
        assert not ugliness(fine), (fine, ugliness(fine))
