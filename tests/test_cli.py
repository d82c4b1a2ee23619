"""The command line: text output, JSON contract, exit codes, carets."""

import json
import subprocess
import sys

import pytest

from matdiff.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_issue_example(capsys):
    code, out, _ = run(capsys, "1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "types: N scalar; X matrix(n, m); W matrix(m, p); Y matrix(n, p)"
    assert lines[1] == "gradient wrt W (m x p):  2/N * X'*(X*W - Y)"


def test_json_contract(capsys):
    code, out, _ = run(capsys, "x'*A*x", "--declare", "A: symmetric matrix", "--json", "--check",
                       "--wrt", "x")
    assert code == 0
    obj = json.loads(out)
    assert set(obj) == {"version", "expression", "function", "types", "results"}
    assert obj["function"] == {"text": "x'*A*x", "shape": "scalar"}
    assert obj["types"] == {"x": "vector(n)", "A": "symmetric matrix(n)"}
    (r,) = obj["results"]
    assert r["wrt"] == "x" and r["kind"] == "gradient" and r["shape"] == "vector(n)"
    assert r["text"] == "2*A*x" and r["latex"] == "2 A x"
    assert r["check"]["passed"] is True and r["check"]["max_rel_error"] < 1e-8


def test_every_variable_without_wrt(capsys):
    code, out, _ = run(capsys, "norm(W*u - v)^2", "--json")
    assert code == 0
    obj = json.loads(out)
    assert [r["wrt"] for r in obj["results"]] == ["W", "u", "v"]
    assert [r["text"] for r in obj["results"]] == ["2*(W*u - v)*u'", "2*W'*(W*u - v)",
                                                  "-2*(W*u - v)"]


def test_mask_is_not_differentiated(capsys):
    expr = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
            " where P: mask")
    code, out, _ = run(capsys, expr, "--json")
    obj = json.loads(out)
    assert obj["types"]["P"] == "mask(n, m)"
    assert "P" not in [r["wrt"] for r in obj["results"]]
    code, out, _ = run(capsys, expr, "--json", "--wrt", "P")
    assert code == 1
    assert json.loads(out)["error"]["kind"] == "type"


def test_jacobian_and_derivative_kinds(capsys):
    code, out, _ = run(capsys, "A*x + b", "--json", "--wrt", "x", "--wrt", "b")
    kinds = [(r["kind"], r["shape"], r["text"]) for r in json.loads(out)["results"]]
    assert kinds == [("jacobian", "matrix(n, m)", "A"), ("jacobian", "matrix(n, n)", "eye(n)")]
    code, out, _ = run(capsys, "exp(t)*A", "--json", "--wrt", "t")
    assert code == 0
    (r,) = json.loads(out)["results"]
    assert (r["kind"], r["text"]) == ("derivative", "exp(t)*A")


def test_latex_and_check_lines(capsys):
    code, out, _ = run(capsys, "tr(A*X*B)", "--wrt", "X", "--latex", "--check")
    assert code == 0
    assert "  latex:  A^\\top B^\\top" in out
    assert "(passed)" in out


@pytest.mark.parametrize("expr, kind, position", [
    ("A*x + ", "syntax", 6),
    ("A*x + y where A: matrix(m,n), x: vector(k)", "shape", 1),
    ("foo(x)", "syntax", 0),
    ("norm(X, 1) where X: matrix", "type", 8),
    ("sum(ones)", "type", 4),
    ("A*B where A: matrix(2, 3), B: matrix(2, 3)", "shape", 1),
])
def test_errors_json(capsys, expr, kind, position):
    code, out, _ = run(capsys, expr, "--json")
    assert code == 1
    obj = json.loads(out)
    assert set(obj) == {"error"}
    assert obj["error"]["kind"] == kind
    assert obj["error"]["position"] == position
    assert obj["error"]["message"]


def test_error_caret_on_stderr(capsys):
    code, out, err = run(capsys, "A*x + y where A: matrix(m,n), x: vector(k)")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: matrix product '*'")
    assert lines[1] == "  A*x + y where A: matrix(m,n), x: vector(k)"
    assert lines[2] == "   ^"


def test_unsupported_is_an_error(capsys):
    code, out, _ = run(capsys, "sum(svdU(X))", "--wrt", "X", "--json")
    assert code == 1
    err = json.loads(out)["error"]
    assert err["kind"] == "unsupported" and "singular vectors" in err["message"]


def test_a_derivative_without_kron_form_is_its_map(capsys):
    code, out, _ = run(capsys, "kron(X, X)", "--wrt", "X", "--json", "--check")
    assert code == 0
    (r,) = json.loads(out)["results"]
    assert (r["kind"], r["text"]) == ("map", "kron(X, dX) + kron(dX, X)")
    assert r["check"]["passed"]


def test_matrix_by_matrix_jacobian_with_map(capsys):
    code, out, _ = run(capsys, "A*X*B", "--wrt", "X", "--json", "--check")
    assert code == 0
    (r,) = json.loads(out)["results"]
    assert (r["kind"], r["text"], r["map"]) == ("jacobian", "kron(B', A)", "A*dX*B")
    assert r["check"]["passed"]


def test_hessian_flag(capsys):
    code, out, _ = run(capsys, "1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W", "--hessian",
                       "--json", "--check")
    assert code == 0
    g, h = json.loads(out)["results"]
    assert g["kind"] == "gradient" and h["kind"] == "hessian"
    assert h["text"] == "2/N * kron(eye(p), X'*X)"
    assert h["map"] == "2/N * X'*X*dW"
    assert h["shape"] == "matrix(m*p, m*p)"
    assert h["check"]["passed"]


def test_expression_starting_with_minus(capsys):
    code, out, _ = run(capsys, "-y'*log(softmax(W*x))", "--wrt", "W")
    assert code == 0
    assert "(sum(y)*softmax(W*x) - y)*x'" in out


def test_bad_command_line_exits_2():
    p = subprocess.run([sys.executable, "-m", "matdiff", "x", "--frobnicate"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([sys.executable, "-m", "matdiff"], capture_output=True, text=True)
    assert p.returncode == 2


def test_bad_declare_is_an_expression_error(capsys):
    code, out, _ = run(capsys, "x'*A*x", "--declare", "A: symetric matrix", "--json")
    assert code == 1
    assert "symetric" in json.loads(out)["error"]["message"]
