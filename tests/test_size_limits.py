"""Declared sizes never make the numeric check (nor --verify, nor --code) allocate huge arrays:
beyond :data:`matdiff.workload.MAX_ENTRIES` entries or :data:`matdiff.workload.MAX_FLOPS`
multiply-adds in one evaluation nothing is evaluated, and the check says so."""

from __future__ import annotations

import resource
import time

import pytest

from matdiff import api
from matdiff.workload import MAX_ENTRIES, MAX_FLOPS, evaluation_work, too_large


def _answer(expression: str, *declarations: str, wrt: tuple[str, ...] = (),
            **options) -> api.Answer:
    return api.answer(api.Request(expression, wrt, declarations, check=True, **options))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("expression,declaration", [
    ("sum(X)", "X: matrix(8000, 8000)"),
    ("norm(A*x)^2", "A: matrix(3000, 3000)"),
    ("logdet(A)", "A: symmetric matrix(400)"),
    ("softmax(x)", "x: vector(5000)"),
])
def test_huge_declared_sizes_are_not_checked_and_cost_nothing(expression, declaration):
    before = _peak_mb()
    start = time.monotonic()
    out = _answer(expression, declaration, hessian=expression != "softmax(x)")
    assert time.monotonic() - start < 2
    assert _peak_mb() - before < 200  # 8000 x 8000 floats alone are 512 MB
    assert out.ok
    checks = [r.check() for r in out.results]
    assert checks and all(c.outcome == "unchecked" for c in checks)
    assert all("too large" in c.message and "at most" in c.message for c in checks)
    assert out.to_json()["results"][0]["check"]["outcome"] == "unchecked"


def test_moderate_declared_sizes_are_still_checked():
    out = _answer("x'*A*x", "A: matrix(300, 300)")
    assert [r.check().outcome for r in out.results] == ["passed", "passed"]


def test_a_blow_up_inside_the_expression_is_bounded_too():
    # every declared size is moderate, but kron(A, B) is 3600 x 3600 (13e6 entries)
    before = _peak_mb()
    out = _answer("x'*kron(A, B)*y", "A, B: matrix(60, 60)", wrt=("A",))
    assert out.ok and out.results[0].check().outcome == "unchecked"
    assert "3600 x 3600" in out.results[0].check().message
    assert _peak_mb() - before < 100


def test_work_is_counted_from_shapes():
    program = api.compile_program("x'*A*x", api.declarations_from(A="matrix(10, 10)"))
    work = evaluation_work([program.expr], {})
    assert 100 < work.entries < 1000 and 100 <= work.flops < 1000
    assert too_large([program.expr], {}) is None
    big = api.compile_program("x'*A*x", api.declarations_from(A="matrix(5000, 5000)"))
    assert evaluation_work([big.expr], {}).entries > MAX_ENTRIES
    assert "5000 x 5000" in too_large([big.expr], {})
    assert f"{MAX_ENTRIES:.0e}" in too_large([big.expr], {})
    inverse = api.compile_program("tr(inv(A))", api.declarations_from(A="matrix(400, 400)"))
    work = evaluation_work([inverse.expr], {})
    assert work.entries < MAX_ENTRIES < MAX_FLOPS < work.flops
    message = too_large([inverse.expr], {})
    assert "multiply-adds" in message and f"at most {MAX_FLOPS:.0e}" in message


def test_verify_and_code_at_huge_sizes_are_bounded():
    before = _peak_mb()
    out = _answer("sum(X)", "X: matrix(8000, 8000)", verify="ones(8000, 8000)", wrt=("X",))
    assert out.error is not None and "too large" in out.error.message
    out = _answer("sum(X)", "X: matrix(8000, 8000)", code="numpy")
    assert out.ok and "def " in out.code
    assert _peak_mb() - before < 200


def test_the_cli_check_at_huge_sizes(capsys):
    from matdiff import cli

    start = time.monotonic()
    assert cli.main(["sum(X)", "--declare", "X: matrix(8000, 8000)", "--check"]) == 0
    assert time.monotonic() - start < 2
    out = capsys.readouterr().out
    assert "ones(8000, 8000)" in out and "too large" in out and "not checked" in out
