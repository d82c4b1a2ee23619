"""Step-by-step derivations: every step is a true equation, and they end at the gradient."""

import numpy as np
import pytest

from matdiff import api
from matdiff.check import directional_derivative, numeric_gradient, sample_dims, sample_values
from matdiff.evaluate import evaluate
from matdiff.explain import index_steps, step_values, steps
from matdiff.ir import Differential

SEEDS = [
    ("1/N * norm(X*W - Y, 'fro')^2", "W"),
    ("norm(W*u - v)^2", "u"),
    ("norm(W*u - v)^2", "v"),
    ("norm(W*u - v)^2", "W"),
    ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
     " where P: mask", "U"),
    ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
     " where P: mask", "V"),
    ("C/2 * sum(W.^2)", "W"),
]
MORE = [
    ("x'*A*x", "x"),
    ("x'*A*x where A: symmetric matrix", "x"),
    ("tr(A*X*B)", "X"),
    ("logdet(X)", "X"),
    ("sum(log(1 + exp(-y.*(X*w))))", "w"),
    ("norm(W2*tanh(W1*x) - y)^2", "W1"),
    ("-y'*log(softmax(W*x))", "W"),
    ("det(X)", "X"),
    ("tr(inv(X)*A)", "X"),
    ("a'*X*b", "X"),
    ("norm(X*w - y)^2 + lambda*norm(w)^2", "w"),
    ("sum(exp(X*v))", "X"),
]


def _lhs_value(step, program, var, values, dims, direction):
    f = program.expr
    expand = step.meta["expand"]
    by_name = {s.name: e for s, e in expand.items()}
    if step.lhs == "f":
        return evaluate(f, values, dims)
    if step.lhs == "df":
        return directional_derivative(f, var, values, dims, direction)
    if step.lhs.startswith("grad"):
        return numeric_gradient(f, var, values, dims)
    if step.lhs in by_name:
        return evaluate(by_name[step.lhs], values, dims)
    if step.lhs.startswith("d") and step.lhs[1:] in by_name:
        return directional_derivative(by_name[step.lhs[1:]], var, values, dims, direction)
    raise AssertionError(f"unknown left side {step.lhs}")


@pytest.mark.parametrize("expr, wrt", SEEDS + MORE)
def test_every_step_is_true(expr, wrt):
    program = api.compile_program(expr)
    result = api.derive(program, wrt)
    derivation = steps(program, result)
    assert derivation[-1].lhs.startswith("grad")
    assert derivation[-1].text.endswith(result.text)
    var = result.var
    rng = np.random.default_rng(3)
    dims = sample_dims([program.expr, result.expr], rng)
    values = sample_values(list(program.syms.values()), dims, rng, "spd")
    direction = rng.standard_normal(evaluate(var, values, dims).shape)
    if var.kind == "symmetric":
        direction = direction + direction.T
    values = dict(values, **{"d" + var.name: direction})
    for step in derivation:
        assert step.text and step.latex and step.rule
        rhs = evaluate(step_values(step), values, dims)
        lhs = _lhs_value(step, program, var, values, dims, direction)
        scale = max(1.0, float(np.max(np.abs(lhs))))
        assert np.max(np.abs(rhs - lhs)) <= 1e-6 * scale, step.text


def test_first_seed_reads_like_the_answer():
    program = api.compile_program("1/N * norm(X*W - Y, 'fro')^2")
    texts = [s.text for s in steps(program, api.derive(program, "W"))]
    assert texts == [
        "f = norm(X*W - Y, 'fro')^2/N",
        "R = X*W - Y",
        "f = 1/N * R : R",
        "df = 2/N * R : dR",
        "dR = X*dW",
        "df = 2/N * R : (X*dW)",
        "df = 2/N * (X'*R) : dW",
        "grad_W f = 2/N * X'*R",
        "grad_W f = 2/N * X'*(X*W - Y)",
    ]
    rules = [s.rule for s in steps(program, api.derive(program, "W"))]
    assert "A : B*C = B'*A : C" in rules


def test_latex_of_steps():
    program = api.compile_program("1/N * norm(X*W - Y, 'fro')^2")
    latex = [s.latex for s in steps(program, api.derive(program, "W"))]
    assert latex[4] == r"\mathrm{d}R = X \mathrm{d}W"
    assert latex[-1] == r"\nabla_{W} f = \frac{2}{N} X^\top (X W - Y)"


def test_index_view_of_the_first_seed():
    program = api.compile_program("1/N * norm(X*W - Y, 'fro')^2")
    texts = [s.text for s in index_steps(program, api.derive(program, "W"))]
    assert texts[0] == "f = (1/N) * sum_i,j (sum_k X_{ik} W_{kj} - Y_{ij})^2"
    assert texts[1] == "df/dW_{ij} = sum_l (2/N) X_{li} (sum_p X_{lp} W_{pj} - Y_{lj})"
    assert texts[2] == "df/dW_{ij} = [2/N * X'*(X*W - Y)]_{ij}"


def test_steps_in_json(capsys):
    import json

    from matdiff.cli import main

    assert main(["norm(W*u - v)^2", "--wrt", "u", "--steps", "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["results"]
    assert r["steps"][-1]["text"] == "grad_u f = 2*W'*(W*u - v)"
    assert all(set(s) == {"rule", "text", "latex"} for s in r["steps"])


def test_differential_placeholder_is_the_variable():
    program = api.compile_program("x'*A*x")
    result = api.derive(program, "x")
    last_df = [s for s in steps(program, result) if s.lhs == "df"][-1]
    assert Differential(result.var) in set(step_values(last_df).walk())
