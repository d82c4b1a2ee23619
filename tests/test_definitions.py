"""Definitions: ``name = expression`` in a where clause (src/matdiff/definitions.py), and the
names results give their repeated subexpressions (src/matdiff/naming.py).

Numbers are checked against independent oracles: NumPy backpropagation written by hand and
finite differences (tests/oracle.py), never against matdiff's own evaluation alone.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from oracle import inv, richardson, sq

from matdiff import api, cli
from matdiff.check import sample_dims, sample_values
from matdiff.errors import InternalError, MatdiffError
from matdiff.evaluate import evaluate
from matdiff.naming import FLAT_UP_TO, Shown
from matdiff.pipeline import compile_program
from matdiff.roundtrip import declarations_of

# ----------------------------------------------------------------------------- helpers


def network(layers: int, x: str = "x") -> str:
    """``norm(W{k+1}*tanh(W{k}*...tanh(W1*x)) - y)^2``: ``layers`` tanh layers."""
    e = x
    for i in range(1, layers + 1):
        e = f"tanh(W{i}*{e})"
    return f"norm(W{layers + 1}*{e} - y)^2"


def backprop(values: dict, layers: int) -> dict[str, np.ndarray]:
    """The gradients of :func:`network` by every weight, by hand (the oracle)."""
    hs = [values["x"]]
    for i in range(1, layers + 1):
        hs.append(np.tanh(values[f"W{i}"] @ hs[-1]))
    out = values[f"W{layers + 1}"] @ hs[-1]
    delta = 2 * (out - values["y"])
    grads = {f"W{layers + 1}": delta @ hs[-1].T}
    for i in range(layers, 0, -1):
        delta = (values[f"W{i + 1}"].T @ delta) * (1 - hs[i] ** 2)
        grads[f"W{i}"] = delta @ hs[i - 1].T
    return grads


def answer(expr: str, *wrt: str, **options) -> api.Answer:
    return api.answered(api.Request(expr, wrt, **options))


def point(result, seed: int = 3):
    rng = np.random.default_rng(seed)
    dims = sample_dims([result.program.expr, result.expr], rng)
    values = sample_values(result.program.syms.values(), dims, rng, "normal")
    return dims, values


def reparsed_value(result, dims, values) -> np.ndarray:
    """The value of the result's text with its where clause, parsed back on its own."""
    again = compile_program(result.text_where, declarations_of(result))
    return evaluate(again.expr, values, dims)


def fd_gradient(f, values: dict, wrt: str) -> np.ndarray:
    """The gradient of scalar ``f(values)`` by ``wrt``, entry by entry (Ridders)."""
    x = values[wrt]
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        def central(h, idx=idx):
            up, down = dict(values), dict(values)
            up[wrt] = x.copy()
            down[wrt] = x.copy()
            up[wrt][idx] += h
            down[wrt][idx] -= h
            return (f(up) - f(down)) / (2 * h)
        out[idx] = float(richardson(central, 0.1))
    return out


# ----------------------------------------------------------------------------- input


def test_a_definition_stands_for_its_expression():
    text = "norm(W2*h - y)^2 where h = tanh(W1*x), W1: matrix(m, n)"
    a = answer(text, "W1", "W2")
    assert a.types == {"W2": "matrix(p, m)", "W1": "matrix(m, n)", "x": "vector(n)",
                       "y": "vector(p)"}
    assert "h" not in a.types  # a defined name is not a variable
    r = a.results[0]
    dims, values = point(r)
    want = backprop(values, 1)
    assert np.allclose(evaluate(r.expr, values, dims), want["W1"], rtol=1e-10)
    assert np.allclose(evaluate(a.results[1].expr, values, dims), want["W2"], rtol=1e-10)


def test_definitions_may_use_later_and_earlier_ones_and_may_go_unused():
    a = answer("norm(r)^2 where r = W2*h - y, unused = 3*x, h = tanh(W1*x), W2: matrix(p, m)",
               "W1")
    b = answer("norm(W2*tanh(W1*x) - y)^2 where W2: matrix(p, m)", "W1")
    assert a.results[0].expr is b.results[0].expr  # the same IR: a definition is its expression


def test_the_users_names_are_used_in_results():
    a = answer("norm(W2*h - y)^2 where h = tanh(W1*x)", "W1", "W2")
    w1, w2 = a.results
    assert w1.text == "2*((W2'*(W2*h - y)).*(1 - h.^2))*x'"
    assert w1.definitions == (("h", "tanh(W1*x)", "\\tanh\\left(W_{1} x\\right)"),)
    assert w2.text_where == "2*(W2*h - y)*h' where h = tanh(W1*x)"
    dims, values = point(w1)
    want = backprop(values, 1)
    assert np.allclose(reparsed_value(w1, dims, values), want["W1"], rtol=1e-10)
    assert np.allclose(reparsed_value(w2, dims, values), want["W2"], rtol=1e-10)


def test_a_definition_against_finite_differences():
    a = answer("sum(log(1 + exp(-y.*s))) + lambda/2*norm(w)^2 where s = X*w", "w")
    r = a.results[0]
    dims, values = point(r)
    values["lambda"] = np.array([[0.3]])

    def f(v):
        s = v["X"] @ v["w"]
        return float(np.sum(np.log1p(np.exp(-v["y"] * s))) + 0.15 * sq(v["w"]))

    assert np.allclose(evaluate(r.expr, values, dims), fd_gradient(f, values, "w"),
                       rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("text, position, fragment", [
    ("h where h = tanh(h)", 17, "defined in terms of itself"),
    ("a'*x where a = b + x, b = 2*a", 28, "cycle: a -> b -> a"),
    ("a'*x where a = b + x, b = c, c = a", 33, "cycle: a -> b -> c -> a"),
    ("h'*x where h = x, h = 2*x", 18, "defined twice"),
    ("h'*x where h: vector, h = x", 22, "declared a variable"),
    ("h'*x where h = x, h: vector", 11, "declared a variable"),
    ("x'*A*x where A: matrix(n, n), n = 3", 30, "a size in a declaration"),
    ("sum(tanh) where tanh = x", 16, "a function of the language"),
    ("ones(h)'*x where h = 2", 5, "a size must be"),
    ("x = 2", 2, "definitions go after 'where'"),
    ("x where h = ", 12, "expected an operand after '=', found end of input"),
    ("x where h = , y: vector", 12, "expected an operand after '='"),
    ("x + =", 4, "unexpected character '='"),
    ("norm(W*h)^2 where X, h = tanh(x)", 23, "a definition names one expression"),
])
def test_bad_definitions_are_errors_with_positions(text, position, fragment):
    a = api.answer(api.Request(text))
    assert a.error is not None and not isinstance(a.error, InternalError), a.error
    assert fragment in a.error.message, a.error.message
    assert a.error.position == position, (a.error.position, a.error.caret())


def test_differentiating_by_a_defined_name_is_an_error():
    a = api.answer(api.Request("norm(W2*h - y)^2 where h = tanh(W1*x)", ("h",)))
    assert a.error is not None and not isinstance(a.error, InternalError)
    assert "'h' is defined (h = tanh(W1*x)), not a variable" in a.error.message
    assert a.error.position == 23


def test_declaring_a_defined_name_beside_the_text_is_an_error():
    a = api.answer(api.Request("norm(W2*h - y)^2 where h = tanh(W1*x)",
                               declarations=("h: vector",)))
    assert a.error is not None and "either a variable or" in a.error.message
    assert a.error.position == 23


def test_a_definition_is_not_a_declaration():
    a = api.answer(api.Request("norm(W2*h - y)^2", declarations=("h = tanh(W1*x)",)))
    assert a.error is not None and "write it after 'where'" in a.error.message


def test_an_expansion_too_large_is_refused():
    defs = ", ".join(f"h{i} = h{i - 1}.*h{i - 1}" for i in range(1, 20))
    a = api.answer(api.Request(f"sum(h19) where {defs}"))
    assert a.error is not None and "expand to an expression of more than" in a.error.message


def test_the_cli_reports_definition_errors_with_a_caret(capsys):
    assert cli.main(["a'*x where a = b + x, b = 2*a"]) == 1
    err = capsys.readouterr().err
    assert "cycle" in err and "Traceback" not in err
    assert err.splitlines()[2] == "  " + " " * 28 + "^"


# ----------------------------------------------------------------------------- output


@pytest.mark.parametrize("expr, wrt", [
    ("norm(W2*tanh(W1*x) - y)^2", "W1"),
    ("norm(W2*tanh(W1*x) - y)^2", "W2"),
    ("softmax(x)", "x"),
    ("sum(log(1 + exp(X*w))) - y'*X*w", "w"),
    ("1/N * norm(X*W - Y, 'fro')^2", "W"),
    (network(3), "W4"),
    (network(2), "W1"),  # named, it would be much longer than written out
])
def test_small_answers_stay_flat(expr, wrt):
    r = answer(expr, wrt).results[0]
    assert r.definitions == ()
    assert r.text == r.text_where == r.flat_text
    assert "definitions" not in r.to_json()


def test_the_inverse_is_written_once():
    r = answer("x'*inv(A + B*diag(d)*B')*x", "B").results[0]
    assert r.text == "-(inv(S)*x*x'*inv(S) + inv(S)'*x*x'*inv(S)')*B*diag(d)"
    assert [d[:2] for d in r.definitions] == [("S", "A + B*diag(d)*B'")]
    assert r.flat_text.count("inv(") == 4
    dims, values = point(r)
    A, B, d, x = (values[k] for k in "ABdx")
    S = inv(A + B @ np.diag(d[:, 0]) @ B.T)
    want = -(S @ x @ x.T @ S + S.T @ x @ x.T @ S.T) @ B @ np.diag(d[:, 0])
    assert np.allclose(reparsed_value(r, dims, values), want, rtol=1e-9)


def test_a_network_names_activations_and_back_propagated_errors():
    r = answer(network(3), "W1").results[0]
    assert r.text == "2*delta1*x'"
    assert [d[:2] for d in r.definitions] == [
        ("h1", "tanh(W1*x)"), ("h2", "tanh(W2*h1)"), ("h3", "tanh(W3*h2)"),
        ("delta3", "(W4'*(W4*h3 - y)).*(1 - h3.^2)"),
        ("delta2", "(W3'*delta3).*(1 - h2.^2)"),
        ("delta1", "(W2'*delta2).*(1 - h1.^2)")]
    assert r.latex_where.startswith("\\begin{aligned}&2 \\delta_{1} x^\\top\\\\&\\text{where }")


@pytest.mark.parametrize("layers", [2, 5, 9])
def test_every_gradient_of_a_network_parses_back_to_backpropagation(layers):
    a = answer(network(layers))
    dims, values = point(a.results[0])
    want = backprop(values, layers)
    for r in a.results:
        if r.wrt.startswith("W"):
            got = reparsed_value(r, dims, values)
            assert np.allclose(got, want[r.wrt], rtol=1e-9, atol=1e-12), r.text_where


def test_answers_grow_linearly_with_the_network():
    lengths, flat = {}, {}
    for k in (4, 8, 16, 32):
        r = answer(network(k), "W1", self_check=False).results[0]
        lengths[k], flat[k] = len(r.text_where), len(r.flat_text)
    # the same number of characters for every layer added, within a few percent
    per_layer = [(lengths[b] - lengths[a]) / (b - a) for a, b in ((4, 8), (8, 16), (16, 32))]
    assert max(per_layer) <= 1.15 * min(per_layer), (lengths, per_layer)
    assert lengths[32] <= 70 * 32, lengths
    # written out, the same answers grow quadratically
    assert (flat[32] - flat[16]) / 16 > 1.7 * (flat[16] - flat[8]) / 8, flat


def test_a_deep_network_answers_quickly():
    start = time.perf_counter()
    r = answer(network(48), "W1", self_check=False).results[0]
    assert len(r.text_where) < 70 * 48
    assert time.perf_counter() - start < 5.0  # about 0.05 s on an idle machine


def test_names_never_clash_with_the_users():
    text = network(3, x="h1").replace("y)", "delta3)")
    a = answer(text, "W1")
    r = a.results[0]
    names = [d[0] for d in r.definitions]
    assert "h1" not in names and "delta3" not in names
    assert set(names).isdisjoint(a.types)
    a = answer("S'*inv(A + B*diag(d)*B')*S + x'*inv(A + B*diag(d)*B')*x", "B")
    names = [d[0] for d in a.results[0].definitions]
    assert names and "S" not in names


def test_json_has_the_definitions():
    out = cli.run(cli.build_parser().parse_args(["x'*inv(A + B*diag(d)*B')*x", "--wrt", "B",
                                                 "--json"]))
    r = json.loads(json.dumps(out))["results"][0]
    assert r["definitions"] == [{"name": "S", "text": "A + B*diag(d)*B'",
                                 "latex": "A + B \\operatorname{diag}\\left(d\\right) B^\\top"}]
    assert "where" not in r["text"]


def test_the_cli_prints_a_where_block(capsys):
    assert cli.main([network(3), "--wrt", "W1", "--latex"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("gradient wrt W1 (") and lines[1].endswith("):  2*delta1*x'")
    assert lines[2] == "  where h1 = tanh(W1*x)"
    assert lines[3] == "        h2 = tanh(W2*h1)"
    assert lines[-1].startswith("  latex:  \\begin{aligned}")


def test_a_named_form_that_does_not_parse_back_is_an_internal_error(monkeypatch):
    broken = property(lambda self: self.text + " where " + ", ".join(
        f"{n} = 2*({t})" for n, t, _ in self.definitions))
    monkeypatch.setattr(Shown, "text_where", broken)
    a = api.answer(api.Request("x'*inv(A + B*diag(d)*B')*x", ("B",)))
    assert isinstance(a.error, InternalError)
    assert "parses back to other values" in a.error.message


def test_the_gate_is_documented_by_its_constant():
    assert FLAT_UP_TO >= 100  # README's table of answers stays flat
    with pytest.raises(MatdiffError):
        compile_program("h where h = h")


# ----------------------------------------------------------------------------- LaTeX input


@pytest.mark.parametrize("text", [
    r"\|W_2 h - y\|^2 \quad \text{where } h = \tanh(W_1 x)",
    r"\|W_2 h - y\|^2, where h = \tanh(W_1 x)",
    r"\left\| W_2 h - y \right\|_2^2 \quad\mathrm{where}\quad h = \tanh(W_1 x), W_1: matrix",
])
def test_latex_input_accepts_definitions(text):
    a = answer(text, "W_1", latex_input=True)
    r = a.results[0]
    assert "h" not in a.types
    assert r.text_where == "2*((W_2'*(W_2*h - y)).*(1 - h.^2))*x' where h = tanh(W_1*x)"
    dims, values = point(r)
    values = {k.replace("_", ""): v for k, v in values.items()}
    want = backprop(values, 1)["W1"]
    assert np.allclose(reparsed_value(r, dims, {**values, "W_1": values["W1"],
                                                "W_2": values["W2"]}), want, rtol=1e-10)


@pytest.mark.parametrize("text, position, fragment", [
    (r"\|h\|^2 \text{ where } h = \tanh(h)", 32, "defined in terms of itself"),
    (r"\|h\|^2 \text{ where } h + 1 = x", 23, "expected a name before '='"),
    (r"\|h\|^2 \text{ where } h = ", 26, "expected an expression after '='"),
    (r"\|h\|^2 \text{ where } h = x, h: vector", 23, "declared a variable"),
])
def test_latex_definition_errors_point_into_the_text(text, position, fragment):
    a = api.answer(api.Request(text, latex_input=True))
    assert a.error is not None and not isinstance(a.error, InternalError), a.error
    assert fragment in a.error.message, a.error.message
    assert a.error.position == position, (a.error.position, a.error.caret())


# ----------------------------------------------------------------------------- steps and code


def test_the_last_step_is_the_answer_with_its_definitions():
    a = answer("x'*inv(A + B*diag(d)*B')*x", "B", steps="matrix")
    last = a.results[0].steps[-1]
    assert last.text == ("grad_B f = -(inv(S)*x*x'*inv(S) + inv(S)'*x*x'*inv(S)')*B*diag(d) "
                         "where S = A + B*diag(d)*B'")
    assert "\\text{where }" in last.latex


def test_generated_code_uses_the_answers_names():
    a = answer(network(3), "W1", code="numpy")
    code = a.code
    for line in ("h1 = np.tanh(W1 @ x)", "h2 = np.tanh(W2 @ h1)", "h3 = np.tanh(W3 @ h2)",
                 "delta2 = (1 - h2 ** 2) * (W3.T @ delta3)"):
        assert f"    {line}\n" in code, code
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # matdiff's own output, not user text
    r = a.results[0]
    _, values = point(r)
    flat = {k: (v[:, 0] if k in "xy" else v) for k, v in values.items()}
    _, grad = namespace["f"](**flat)
    assert np.allclose(grad, backprop(values, 3)["W1"], rtol=1e-10)


def test_latex_definitions_are_read_as_written():
    a = answer(r"\frac{1}{2}\|r\|^2 \quad\text{where}\quad r = Xw - y", "w", latex_input=True)
    assert a.read_as == "1/2*norm(r)^2 where r = X*w - y"
    assert a.results[0].text_where == "X'*r where r = X*w - y"
    again = answer(a.read_as, "w")  # what it was read as is plain input of its own
    assert again.results[0].expr is a.results[0].expr


def test_a_users_answer_may_use_definitions():
    good = "2*((W2'*r).*(1 - h.^2))*x' where h = tanh(W1*x), r = W2*h - y"
    a = answer("norm(W2*tanh(W1*x) - y)^2", "W1", verify=good)
    assert a.results[0].verdict.verdict == "correct"
    a = answer("norm(W2*tanh(W1*x) - y)^2", "W1", verify=good.replace("- y", "+ y"))
    assert a.results[0].verdict.verdict == "wrong_value"


def test_the_round_trip_samples_every_variable(monkeypatch):
    """A variable whose size the result does not use (C, m x n here) still gets a value."""
    from matdiff import naming

    monkeypatch.setattr(naming, "FLAT_UP_TO", 0)  # name whatever repeats, however short
    monkeypatch.setattr(naming, "NAMES_WORTH", 1e9)
    monkeypatch.setattr(naming, "MIN_NAMED_SIZE", 1)
    a = api.answer(api.Request("(norm2(A*C) + (x'./(1 + y'.^2))*y)*x", ("y",),
                               ("A: matrix(n, n), C: matrix(n, m)",)))
    assert a.error is None, a.error
    assert a.results[0].definitions


def test_a_network_with_biases_and_softmax_reads_as_backpropagation():
    text = "-y'*log(softmax(W3*tanh(W2*tanh(W1*x + b1) + b2) + b3))"
    a = answer(text, "W1", "b2")
    w1, b2 = a.results
    assert w1.text == "delta1*x'"
    assert [d[:2] for d in w1.definitions] == [
        ("h1", "tanh(W1*x + b1)"), ("h2", "tanh(W2*h1 + b2)"),
        ("delta2", "(W3'*(sum(y)*softmax(W3*h2 + b3) - y)).*(1 - h2.^2)"),
        ("delta1", "(W2'*delta2).*(1 - h1.^2)")]
    # the activation is named, not its argument alone (tanh(t) where t = ...)
    assert b2.text_where == ("(W3'*(sum(y)*softmax(W3*h + b3) - y)).*(1 - h.^2) "
                             "where h = tanh(W2*tanh(W1*x + b1) + b2)")


def test_a_users_product_is_found_inside_a_longer_product():
    a = answer("norm(h)^2 where h = W*x", "x", "W")
    assert [r.text_where for r in a.results] == ["2*W'*h where h = W*x", "2*h*x' where h = W*x"]


def test_the_round_trip_knows_sizes_used_as_numbers(monkeypatch):
    """``n`` is a size (declared through A, which the result does not use) and a number."""
    from matdiff import naming

    monkeypatch.setattr(naming, "FLAT_UP_TO", 0)
    monkeypatch.setattr(naming, "NAMES_WORTH", 1e9)
    monkeypatch.setattr(naming, "MIN_NAMED_SIZE", 1)
    a = api.answer(api.Request("sum(ones(n))./(1 + exp(a)) where A: matrix(n, n), a: scalar",
                               ("a",)))
    assert a.error is None, a.error
    assert a.results[0].text_where == "-t*n*(1 - t) where t = sigmoid(-a)"


def test_a_linear_map_uses_its_results_names():
    a = answer("norm(W2*tanh(W1*x) - y)^2", "W1", hessian=True)
    h = a.results[1]
    assert h.map_text == ("2*((W2'*W2*((1 - h.^2).*(dW1*x)) - 2*((W2'*(W2*h - y)).*h.*(dW1*x)))"
                          ".*(1 - h.^2))*x'")
    assert h.map_text_where.endswith(" where h = tanh(W1*x)")
    assert h.to_json()["map"] == h.map_text and h.to_json()["definitions"][0]["name"] == "h"


def test_the_function_in_json_keeps_the_users_names():
    a = api.answer(api.Request("norm(W2*h - y)^2 where h = tanh(W1*x)"))
    text = a.to_json()["function"]["text"]
    assert text == "norm(W2*h - y)^2 where h = tanh(W1*x)"
    plain = api.answer(api.Request("norm(W2*tanh(W1*x) - y)^2"))
    assert plain.to_json()["function"]["text"] == "norm(W2*tanh(W1*x) - y)^2"
    again = api.compile_program(text)  # it parses back to the same function
    assert again.expr is api.compile_program("norm(W2*tanh(W1*x) - y)^2").expr


def test_a_definition_may_use_index_notation():
    # once "unexpected character '['": brackets after 'where' were refused everywhere
    a = api.answer(api.Request("C/2*r where r = sum(j, norm(W[:, j])^2)", ("W",)))
    assert a.error is None, a.error
    assert a.results[0].text == "C*W"
    with pytest.raises(MatdiffError) as e:  # a declaration still takes no brackets
        api.compile_program("sum(i, x[i]) where x[i]: vector")
    assert e.value.position == len("sum(i, x[i]) where x")
