"""Every answer is checked numerically before it is shown (issue 11, item 4): a result that
fails the check is an error of kind "internal", never an answer; --no-check / check=False
skip the check; a correct answer that fails at an awkward random point passes elsewhere."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import matdiff
from matdiff import algebra as A
from matdiff.cli import main
from matdiff.errors import InternalError
from matdiff.ops import Elementwise, register, unregister

# exp with a wrong derivative (2*exp): a stand-in for a bug in a rule
WRONG = Elementwise("wrongexp", lambda x, fx: A.mul(A.num(2), fx), np.exp, math.exp,
                    "\\operatorname{{wrongexp}}\\left({x}\\right)")


@pytest.fixture
def wrong_rule():
    register(WRONG)
    yield
    unregister("wrongexp")


def test_a_wrong_answer_is_an_internal_error(wrong_rule):
    with pytest.raises(InternalError, match="could not verify its own gradient") as info:
        matdiff.gradient("sum(wrongexp(x))", "x")
    assert info.value.kind == "internal" and "sum(wrongexp(x))" in info.value.message


def test_the_cli_reports_it_and_no_check_skips_it(wrong_rule, capsys):
    assert main(["sum(wrongexp(x))", "--json"]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "internal" and "please report" in error["message"]
    assert main(["sum(wrongexp(x))", "--no-check"]) == 0
    assert "2*wrongexp(x)" in capsys.readouterr().out
    assert matdiff.gradient("sum(wrongexp(x))", "x", check=False).text == "2*wrongexp(x)"


def test_a_correct_answer_at_an_awkward_point_is_checked_again(capsys):
    # at the first random point sin(...) of a large argument oscillates faster than the
    # finite differences follow; nearer 0 the same answer checks
    expr = ("sinh(sin(vec(A)'*kron(exp(C), exp(A))*vec(ones(n, m)))) "
            "where A: matrix(n, n), C: matrix(n, m)")
    assert main([expr, "--wrt", "A", "--check"]) == 0
    assert "(passed)" in capsys.readouterr().out


def test_a_failure_of_matdiff_is_an_internal_error_not_a_traceback(monkeypatch, capsys):
    from matdiff import api

    def broken(request):
        raise ValueError("an invariant broke")

    monkeypatch.setattr(api, "_answer", broken)
    error = api.answer(api.Request("x'*x")).error
    assert error is not None and error.kind == "internal"
    assert "ValueError: an invariant broke" in error.message and "x'*x" in error.message
    assert main(["x'*x"]) == 1
    assert "please report" in capsys.readouterr().err


@pytest.mark.parametrize("expr, wrt, text", [
    # issue 11, item 1: a number to a non-integer power was dropped from products
    ("x^(2^0.5)", "x", "sqrt(2)*x^(sqrt(2) - 1)"),
    ("2^0.5*x'*x", "x", "2*sqrt(2)*x"),
    ("sum(x.^(2^0.5))", "x", "sqrt(2)*x.^(sqrt(2) - 1)"),
    ("4^0.5*x'*x", "x", "4*x"),                      # rational powers fold exactly
    ("(8/27)^(2/3)*x'*x", "x", "8/9 * x"),
])
def test_constants_to_non_integer_powers_are_kept(expr, wrt, text):
    r = matdiff.derivative(expr, wrt)
    assert r.text == text and r.check().passed
