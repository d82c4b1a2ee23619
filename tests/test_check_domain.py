"""The numeric check finds points inside the function's domain (issue: trust, the numeric check).

Random data can lie outside a function's domain (``b - A*x`` with negative
entries under a log, ``x'*x > 1`` in ``log(1 - x'*x)``).  The check then moves
the draw (scaled towards 0, one variable shifted, redrawn), keeping the
declared kinds; when no point gives finite values it says so, without NaN.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import matdiff.check as check_module
from matdiff import api, ir
from matdiff.check import (
    DOMAINS,
    NO_FINITE_DIFFERENCES,
    NO_FINITE_POINT,
    RESULT_NOT_FINITE,
    CheckReport,
    candidate_points,
    check,
    combine_reports,
    directional_derivative,
    numeric_gradient,
)
from matdiff.cli import main

BARRIER = "-sum(log(b - A*x))"
BALL = "-log(1 - x'*x)"
NOWHERE = "sum(log(-exp(x)))"  # log of a negative number: no real finite value anywhere


def _no_nan(text: str):
    """json.loads that refuses NaN and Infinity."""
    def refuse(constant):
        raise AssertionError(f"{constant} in JSON output: {text}")

    return json.loads(text, parse_constant=refuse)


def _report(expr: str, wrt: str, **decls: str) -> CheckReport:
    program = api.compile_program(expr, api.declarations_from(**decls))
    result = api.derive(program, wrt)
    return check(program.expr, result.var, result.expr, result.kind)


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -------------------------------------------------------------------- the regressions of the issue


@pytest.mark.parametrize("expr, names", [(BARRIER, ["b", "A", "x"]), (BALL, ["x"])])
def test_functions_with_a_restricted_domain_pass(expr, names):
    for name in names:
        report = _report(expr, name)
        assert report.passed, report
        assert report.outcome == "passed"
        assert report.max_rel_error is not None and report.max_rel_error < 1e-8
        assert report.message is None
        assert report.adjustment is not None  # the first draws were outside the domain
        json.dumps(report.to_json(), allow_nan=False)


@pytest.mark.parametrize("expr, names", [(BARRIER, ["b", "A", "x"]), (BALL, ["x"])])
def test_api_check_passes(expr, names):
    for result in api.gradient(expr, names):
        c = result.check()
        assert c.passed is True
        assert math.isfinite(c.max_rel_error) and c.max_rel_error < 1e-8


@pytest.mark.parametrize("expr, count", [(BARRIER, 3), (BALL, 1)])
def test_cli_check_text_passes(capsys, expr, count):
    code, out, _ = _run(capsys, expr, "--check")
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.startswith("  check:")]
    assert len(lines) == count
    for line in lines:
        assert line.endswith("(passed)"), out
    assert "nan" not in out.lower() and "FAILED" not in out


@pytest.mark.parametrize("expr, count", [(BARRIER, 3), (BALL, 1)])
def test_cli_check_json_has_no_nan(capsys, expr, count):
    code, out, _ = _run(capsys, expr, "--check", "--json")
    assert code == 0
    results = _no_nan(out)["results"]
    assert len(results) == count
    for r in results:
        assert r["check"]["passed"] is True
        assert isinstance(r["check"]["max_rel_error"], float)
        assert r["check"]["max_rel_error"] < 1e-8


# ----------------------------------------------------------------------- no point in the domain


def test_no_finite_point_is_its_own_outcome():
    report = _report(NOWHERE, "x")
    assert report.outcome == "unchecked"
    assert not report.passed
    assert report.max_rel_error is None
    assert report.message == NO_FINITE_POINT
    assert report.message == "could not find a point where the function is finite"
    assert report.domain == "none"
    data = report.to_json()
    json.dumps(data, allow_nan=False)
    assert data["max_rel_error"] is None and data["outcome"] == "unchecked"
    assert data["message"] == NO_FINITE_POINT
    for value in data.values():
        if isinstance(value, float):
            assert math.isfinite(value)


def test_result_not_finite_where_the_function_is_fails():
    # f = x'*x is finite everywhere; a "derivative" that is NaN everywhere is wrong.
    x = ir.Sym("x", ("n", 1), "vector")
    f = ir.Mul((ir.Transpose(x), x))
    bad = ir.Func("log", ir.Mul((ir.Num(-1), ir.Func("exp", x))))
    report = check(f, x, bad, "gradient")
    assert report.outcome == "failed" and not report.passed
    assert report.max_rel_error is None
    assert report.message == RESULT_NOT_FINITE
    json.dumps(report.to_json(), allow_nan=False)


def test_differences_never_finite_is_unchecked(monkeypatch):
    # f finite at the points but not around them (finite differences never finite)
    monkeypatch.setattr(check_module, "directional_derivative",
                        lambda *args: np.array([[np.nan]]))
    x = ir.Sym("x", ("n", 1), "vector")
    f = ir.Mul((ir.Transpose(x), x))
    report = check(f, x, ir.Mul((ir.Num(2), x)), "gradient")
    assert report.outcome == "unchecked" and not report.passed
    assert report.max_rel_error is None
    assert report.message == NO_FINITE_DIFFERENCES
    assert report.message.startswith(NO_FINITE_POINT)


def test_wrong_gradient_in_a_restricted_domain_still_fails():
    program = api.compile_program(BALL)
    x = program.syms["x"]
    wrong = ir.Mul((ir.Num(2), x))  # misses the 1/(1 - x'*x)
    report = check(program.expr, x, wrong, "gradient")
    assert report.outcome == "failed" and not report.passed
    assert report.max_rel_error is not None and report.max_rel_error > 1e-2


def test_wrong_shape_is_still_an_error_after_retries():
    program = api.compile_program(BALL)
    x = program.syms["x"]
    with pytest.raises(ValueError, match="shape"):
        check(program.expr, x, ir.Transpose(x), "gradient")


# The CLI and the API's Result.check() show the "unchecked" outcome.


def test_api_reports_no_finite_point():
    (result,) = api.gradient(NOWHERE, ["x"])
    c = result.check()
    assert c.passed is False and c.max_rel_error is None
    data = c.to_json()
    assert data["message"] == NO_FINITE_POINT
    json.dumps(data, allow_nan=False)


def test_cli_reports_no_finite_point(capsys):
    code, out, _ = _run(capsys, NOWHERE, "--check")
    assert code == 0
    assert "  check:  could not find a point where the function is finite (not checked)" in out
    assert "nan" not in out.lower() and "FAILED" not in out and "passed" not in out
    code, out, _ = _run(capsys, NOWHERE, "--check", "--json")
    (r,) = _no_nan(out)["results"]
    assert r["check"] == {"max_rel_error": None, "passed": False, "outcome": "unchecked",
                          "message": NO_FINITE_POINT}


# ----------------------------------------------------------------------- kinds through the retries


SYMS = [
    ir.Sym("s", (1, 1), "scalar"),
    ir.Sym("v", ("n", 1), "vector"),
    ir.Sym("M", ("m", "n"), "matrix"),
    ir.Sym("Q", ("n", "n"), "matrix"),
    ir.Sym("S", ("n", "n"), "symmetric"),
    ir.Sym("P", ("m", "n"), "mask"),
    ir.Sym("n", (1, 1), "scalar"),  # a dimension name used as a scalar
]


def _all_points(seed: int = 0):
    exprs: list[ir.Expr] = list(SYMS)
    return list(candidate_points(exprs, SYMS, seed))


def test_candidate_points_keep_the_declared_kinds():
    points = _all_points()
    assert len(points) > len(DOMAINS)
    assert [p.adjustment for p in points[:len(DOMAINS)]] == [None] * len(DOMAINS)
    assert [p.domain for p in points[:len(DOMAINS)]] == list(DOMAINS)
    for p in points:
        vals = p.values
        assert set(np.unique(vals["P"])) == {0.0, 1.0}, p.adjustment
        np.testing.assert_array_equal(vals["S"], vals["S"].T, err_msg=str(p.adjustment))
        assert vals["n"][0, 0] == p.dims["n"]
        for name in ("s", "v", "M", "Q", "S"):
            assert np.all(np.isfinite(vals[name]))
        if p.domain == "spd":
            for name in ("Q", "S"):
                np.testing.assert_allclose(vals[name], vals[name].T)
                assert np.min(np.linalg.eigvalsh(vals[name])) > 0, p.adjustment
        if p.domain in ("positive", "spd"):
            for name in ("s", "v", "M"):
                assert np.all(vals[name] > 0), p.adjustment
    adjustments = {p.adjustment for p in points}
    assert "every variable scaled by 0.1" in adjustments
    assert "v shifted by +10" in adjustments and "v shifted by -10" in adjustments
    assert "P shifted by +10" not in adjustments  # masks and dimension scalars stay as drawn
    assert "n shifted by +10" not in adjustments
    assert any(a and a.startswith("redrawn with seed 1") for a in adjustments)


def test_masks_unchanged_by_adjustments_of_one_draw():
    # a mask is data: the adjustments never change it (only a redraw does)
    points = _all_points()
    base = {p.domain: p.values["P"] for p in points if p.adjustment is None}
    for p in points:
        if p.adjustment is not None and not p.adjustment.startswith("redrawn"):
            np.testing.assert_array_equal(p.values["P"], base[p.domain])


def test_kinds_kept_at_every_evaluation_of_a_retried_check(monkeypatch):
    # f = -log(1 - sum(P.*S.*S)) needs S scaled towards 0: every point the check
    # evaluates (finite differences included) has a 0/1 mask and a symmetric S.
    seen = []
    real = check_module.evaluate

    def recording(expr, values, dims):
        seen.append({k: np.array(v, copy=True) for k, v in values.items()})
        return real(expr, values, dims)

    monkeypatch.setattr(check_module, "evaluate", recording)
    expr = "-log(1 - sum(P.*S.*S))"
    program = api.compile_program(expr, api.declarations_from(P="mask", S="symmetric matrix"))
    result = api.derive(program, "S")
    report = check(program.expr, result.var, result.expr, result.kind)
    assert report.passed, report
    assert report.adjustment is not None
    assert seen
    for values in seen:
        assert set(np.unique(values["P"])) == {0.0, 1.0}
        np.testing.assert_array_equal(values["S"], values["S"].T)


# ---------------------------------------------------------------------------------- determinism


def test_same_result_twice():
    for expr, name in [(BARRIER, "A"), (BALL, "x"), (NOWHERE, "x")]:
        assert _report(expr, name) == _report(expr, name)
    a, b = _all_points(3), _all_points(3)
    assert [(p.domain, p.adjustment, p.dims) for p in a] == [
        (p.domain, p.adjustment, p.dims) for p in b]
    for p, q in zip(a, b):
        assert p.values.keys() == q.values.keys()
        for name in p.values:
            np.testing.assert_array_equal(p.values[name], q.values[name])


def test_other_seeds_pass_too():
    program = api.compile_program(BARRIER)
    for name in ("b", "A", "x"):
        result = api.derive(program, name)
        for seed in range(4):
            report = check(program.expr, result.var, result.expr, result.kind, rng_seed=seed)
            assert report.passed, (name, seed, report)


def test_first_draw_is_used_as_before(monkeypatch):
    # the common case costs no more than before: one draw, no adjustment
    draws = []
    real = check_module.sample_values

    def counting(*args, **kwargs):
        draws.append(args[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(check_module, "sample_values", counting)
    X = ir.Sym("X", ("m", "n"), "matrix")
    report = check(ir.Sum(ir.Hadamard((X, X))), X, ir.Mul((ir.Num(2), X)), "gradient")
    assert report.passed and report.domain == "normal" and report.adjustment is None
    assert draws == ["normal"]
    draws.clear()
    report = check(ir.Sum(ir.Func("log", X)), X, ir.Pow(X, ir.Num(-1)), "gradient")
    assert report.passed and report.domain == "positive" and report.adjustment is None
    assert draws == ["normal", "positive"]


# ------------------------------------------------------------------ steps that leave the domain


def test_step_that_leaves_the_domain_is_shrunk(monkeypatch):
    # log(x) at x = (1e-4, 1, 2): x - h*d with h = 1e-3 is outside the domain
    x = ir.Sym("x", ("n", 1), "vector")
    f = ir.Sum(ir.Func("log", x))
    values = {"x": np.array([[1e-4], [1.0], [2.0]])}
    dims = {"n": 3}
    d = np.ones((3, 1))
    with np.errstate(all="ignore"):
        est = directional_derivative(f, x, values, dims, d)
        np.testing.assert_allclose(est, [[1e4 + 1.5]], rtol=1e-8)
        grad = numeric_gradient(f, x, values, dims)
        np.testing.assert_allclose(grad, 1 / values["x"], rtol=1e-8)
        # without shrinking, the same difference is not finite
        monkeypatch.setattr(check_module, "MAX_STEP_SHRINKS", 0)
        assert not np.all(np.isfinite(directional_derivative(f, x, values, dims, d)))


def test_step_shrinking_in_the_check(monkeypatch):
    # with a point next to the boundary of log's domain, the check still passes
    x = ir.Sym("x", ("n", 1), "vector")
    f = ir.Sum(ir.Func("log", x))
    real = check_module.sample_values

    def near_boundary(syms, dims, rng, domain):
        values = real(syms, dims, rng, domain)
        values["x"] = np.abs(values["x"])
        values["x"][0, 0] = 2e-4
        return values

    monkeypatch.setattr(check_module, "sample_values", near_boundary)
    report = check(f, x, ir.Pow(x, ir.Num(-1)), "gradient")
    assert report.passed and report.domain == "normal" and report.adjustment is None, report


# ----------------------------------------------------------------------------- combined reports


def test_combine_reports():
    ok = CheckReport(1e-10, True, "normal", {"n": 3})
    ok2 = CheckReport(3e-9, True, "normal", {"n": 3})
    bad = CheckReport(0.5, False, "normal", {"n": 3})
    none = CheckReport(None, False, "none", {"n": 3}, NO_FINITE_POINT)
    inf = CheckReport(None, False, "normal", {"n": 3}, RESULT_NOT_FINITE)
    both = combine_reports(ok, ok2)
    assert both.passed and both.max_rel_error == 3e-9 and both.outcome == "passed"
    assert combine_reports(ok, bad).outcome == "failed"
    assert combine_reports(ok, bad).max_rel_error == 0.5
    unchecked = combine_reports(ok, none)
    assert unchecked.outcome == "unchecked" and unchecked.max_rel_error is None
    assert unchecked.message == NO_FINITE_POINT
    failed = combine_reports(none, inf)
    assert failed.outcome == "failed" and failed.message == RESULT_NOT_FINITE
    assert failed.max_rel_error is None
    with pytest.raises(ValueError):
        combine_reports()
