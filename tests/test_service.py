"""The one service, :func:`matdiff.api.answer`: a :class:`Request` in, an :class:`Answer` out,
and the translators to it (the command line, the web worker, the Python helpers)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import matdiff
from matdiff import api
from matdiff.cli import main
from matdiff.web import jobs


def strict_json(text: str):
    """Parse JSON as the standard has it: NaN and Infinity are not JSON."""
    def refuse(constant: str):
        raise AssertionError(f"{constant} in the JSON output")

    return json.loads(text, parse_constant=refuse)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- the Request/Answer API -------------------------------------------------------------------

def test_answer_holds_what_the_cli_prints():
    a = api.answer(api.Request("x'*A*x", ("x",), ("A: symmetric matrix",), check=True,
                               steps="matrix", verify="2*A*x", code="numpy"))
    assert a.ok and a.error is None
    assert a.function == "x'*A*x"
    assert a.types == {"x": "vector(n)", "A": "symmetric matrix(n)"}
    (r,) = a.results
    assert (r.wrt, r.kind, r.text) == ("x", "gradient", "2*A*x")
    assert r.check().passed and r.steps and r.verdict.verdict == "correct"
    assert a.code is not None and "import numpy" in a.code
    assert a.read_as is None and a.notes == () and a.skipped == []


def test_to_json_is_the_cli_json(capsys):
    a = api.answer(api.Request("norm(W*u - v)^2", ("u",), check=True))
    code, out, _ = run(capsys, "norm(W*u - v)^2", "--wrt", "u", "--check", "--json")
    assert code == 0
    assert json.loads(json.dumps(a.to_json())) == json.loads(out)


def test_errors_are_answers_not_exceptions():
    a = api.answer(api.Request("x'*A*x +"))
    assert not a.ok and a.results == []
    assert a.to_json() == {"error": {"message": "expected an operand after '+', found end of "
                                                "input", "position": 8, "kind": "syntax"}}
    with pytest.raises(matdiff.MatdiffSyntaxError):
        api.answered(api.Request("x'*A*x +"))


def test_skipped_and_notes():
    a = api.answer(api.Request("kron(X,X) + Y"))  # no kron form by X: the map alone
    assert [(r.wrt, r.kind) for r in a.results] == [("X", "map"), ("Y", "jacobian")]
    assert a.results[0].text == "kron(X, dX) + kron(dX, X)" and not a.skipped
    a = api.answer(api.Request("C/2*sum(j, norm(W[:, j])^2)"))
    assert a.notes and "as norm(W, 'fro')^2" in a.notes[0]
    a = api.answer(api.Request(r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2", ("W",),
                               latex_input=True))
    assert a.read_as == "1/N*norm(X*W - Y, 'fro')^2"


@pytest.mark.parametrize("request_, words", [
    (api.Request("x'*x", steps="sideways"), "unknown derivation 'sideways'"),
    (api.Request("x'*x", code="fortran"), "unknown backend 'fortran'"),
    (api.Request("x'*x", declarations=("A: tensor",)), "in --declare 'A: tensor'"),
    (api.Request("x'*x", verify="2*x"), "--verify needs exactly one --wrt"),
])
def test_bad_options_are_error_answers(request_, words):
    a = api.answer(request_)
    assert not a.ok and words in a.to_json()["error"]["message"]


def test_request_takes_one_name_or_a_list():
    assert api.Request("x'*x", "x").wrt == ("x",)
    assert api.Request("x'*A*x", ["x"], ["A: symmetric matrix"]).declarations == \
        ("A: symmetric matrix",)
    assert api.answer(api.Request("x'*A*x", "x", "A: symmetric matrix")).results[0].text == \
        "2*A*x"


def test_request_is_frozen_and_picklable():
    import pickle

    r = api.Request("x'*x", ("x",), check=True)
    assert pickle.loads(pickle.dumps(r)) == r
    with pytest.raises(AttributeError):
        r.expression = "y"  # type: ignore[misc]


# ---- the Python helpers translate to the same service -----------------------------------------

def test_helpers_agree_with_the_service():
    a = api.answer(api.Request("norm(W*u - v)^2", ("u", "W"), hessian=True))
    g = matdiff.gradient("norm(W*u - v)^2", ["u", "W"])
    h = matdiff.hessian("norm(W*u - v)^2", ["u", "W"])
    assert [r.text for r in g] == [r.text for r in a.results if r.kind == "gradient"]
    assert [r.text for r in h] == [r.text for r in a.results if r.kind == "hessian"]
    assert matdiff.jacobian("A*x", "x").text == "A"
    assert matdiff.derivative("exp(t)*A", "t").kind == "derivative"
    assert matdiff.verify("x'*x", "x", "-2*x").verdict == "wrong_value"


def test_helpers_errors_are_as_before():
    with pytest.raises(matdiff.UnsupportedError, match="asked for a jacobian but the result"):
        matdiff.jacobian("x'*x", "x")
    with pytest.raises(matdiff.MatdiffError, match="a scalar"):
        matdiff.gradient("A*x where A: matrix", "x")
    with pytest.raises(matdiff.MatdiffError, match="unknown kind"):
        matdiff.gradient("x'*A*x", "x", A="tensor")
    assert matdiff.gradient("x'*x", []) == []
    with pytest.raises(matdiff.MatdiffSyntaxError):
        matdiff.gradient("x'*x +", [])


def test_compile_through_the_service():
    import numpy as np

    f = matdiff.compile("x'*A*x", "x", A="symmetric matrix")
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([1.0, -1.0])
    value, grad = f(x=x, A=A)
    assert math.isclose(value, x @ A @ x)
    np.testing.assert_allclose(grad, 2 * A @ x)
    assert matdiff.compile("x'*x", [])(x=x) == 2.0  # no variable: the value alone


# ---- (a) --json never prints NaN or Infinity --------------------------------------------------

NO_FINITE_POINT = "sum(log(-exp(x)))"  # log of a negative number: NaN everywhere


def test_json_has_no_nan(capsys):
    code, out, _ = run(capsys, NO_FINITE_POINT, "--check", "--json")
    assert code == 0
    check = strict_json(out)["results"][0]["check"]
    assert check["max_rel_error"] is None and check["passed"] is False
    assert "finite" in check["message"]


def test_json_has_no_infinity():
    out = api.CheckResult(math.inf, False).to_json()
    assert out == {"max_rel_error": None, "passed": False,
                   "message": "the largest relative error is infinite"}
    assert api.CheckResult(1e-12, True).to_json() == {"max_rel_error": 1e-12, "passed": True}
    a = api.answer(api.Request("x'*x", ("x",), check=True))
    a.results[0]._check = api.CheckResult(math.inf, False)
    strict_json(json.dumps(a.to_json(), allow_nan=False))
    assert api.finite({"a": [1.0, math.nan, {"b": -math.inf}], "c": "x"}) == \
        {"a": [1.0, None, {"b": None}], "c": "x"}


def test_web_answers_the_same_null():
    out = jobs.derive(jobs.to_request({"expression": NO_FINITE_POINT, "check": True}))
    check = out["results"][0]["check"]
    assert check["max_rel_error"] is None and "finite" in check["message"]
    json.dumps(out, allow_nan=False)


# ---- (b) "steps": false -----------------------------------------------------------------------

@pytest.mark.parametrize("value, steps", [(False, None), (None, None), (True, "matrix"),
                                          ("matrix", "matrix"), ("index", "index")])
def test_steps_values(value, steps):
    assert jobs.to_request({"expression": "x'*x", "steps": value}).steps == steps


@pytest.mark.parametrize("value, words", [("sideways", '"steps" must be one of matrix, index'),
                                          (3, '"steps" must be a text')])
def test_bad_steps(value, words):
    with pytest.raises(jobs.JobError, match=words):
        jobs.to_request({"expression": "x'*x", "steps": value})


# ---- (c) --verify with an answer that starts with a minus -------------------------------------

VERDICT = "  your answer: wrong_value: not quite: the sign is wrong; the gradient is 2*x"


@pytest.mark.parametrize("argv", [
    ["x'*x", "--wrt", "x", "--verify", "-2*x"],
    ["x'*x", "--wrt", "x", "--verify=-2*x"],
    ["--verify", "-2*x", "x'*x", "--wrt", "x"],
    ["--verify", "-2*x", "--wrt", "x", "--", "x'*x"],
    ["x'*x", "--wrt", "x", "--ver", "-2*x"],
    ["x'*x", "--wrt", "x", "--ver=-2*x"],
    ["x'*x", "--verify", "-2*x", "--wrt", "x"],
    ["x'*x", "--wrt", "x", "--verify", "-x - x"],
])
def test_verify_a_negative_answer(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == VERDICT


def test_verify_a_negative_answer_of_a_negative_expression(capsys):
    code, out, _ = run(capsys, "-x'*x", "--wrt", "x", "--verify", "-2*x")
    assert code == 0 and "your answer: correct" in out
    code, out, _ = run(capsys, "--wrt", "x", "--verify", "-2*x", "--", "-x'*x")
    assert code == 0 and "your answer: correct" in out


def test_an_option_is_not_taken_for_the_answer(capsys):
    with pytest.raises(SystemExit) as e:
        main(["x'*x", "--wrt", "x", "--verify", "--json"])
    assert e.value.code == 2
    assert "--verify: expected one argument" in capsys.readouterr().err


# ---- the web package does not import the command line -----------------------------------------

def test_web_does_not_import_the_cli():
    code = ("import sys, matdiff.web.jobs, matdiff.web.server; "
            "print('matdiff.cli' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": ":".join(sys.path)})
    assert out.stdout.strip() == "False"
