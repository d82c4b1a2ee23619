"""The command line's exact output for representative inputs, pinned byte for byte.

``tests/snapshots/cli_answers.json`` holds, for each command line of :data:`CASES`, the exit
status, standard output and standard error that matdiff gave when the table was recorded
(before the command line and the web page were made translators of :func:`matdiff.api.answer`).
Any change to a result, a message, a position, a field or its order shows up here.

Re-record (only when a change of output is intended)::

    PYTHONPATH=src python tests/test_cli_table.py
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from matdiff.cli import main

GOLDEN = Path(__file__).parent / "snapshots" / "cli_answers.json"
MASKED = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
          " where P: mask")

CASES: list[list[str]] = [
    # results, text and JSON
    ["1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W", "--check"],
    ["1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W", "--check", "--json"],
    ["norm(W*u - v)^2", "--latex"],
    ["norm(W*u - v)^2", "--json"],
    ["x'*A*x", "--declare", "A: symmetric matrix", "--json", "--check"],
    ["x'*A*x", "--declare", "A: symmetric matrix(k)", "--latex", "--check"],
    [MASKED],
    [MASKED, "--json", "--check"],
    ["A*X*B", "--wrt", "X", "--latex", "--check"],
    ["A*X*B", "--wrt", "X", "--json"],
    ["A*x + b", "--json", "--wrt", "x", "--wrt", "b"],
    ["exp(t)*A", "--wrt", "t"],
    ["softmax(x)", "--wrt", "x", "--latex"],
    ["-y'*log(softmax(W*x))", "--wrt", "W"],
    ["sum(log(1 + exp(-y.*(X*w))))", "--wrt", "w", "--latex", "--check"],
    # Hessians
    ["1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W", "--hessian", "--json", "--check"],
    ["1/N * norm(X*W - Y, 'fro')^2", "--wrt", "W", "--hessian", "--latex"],
    ["x'*A*x", "--hessian", "--check"],
    # steps
    ["C/2 * sum(W.^2)", "--wrt", "W", "--steps"],
    ["norm(W*u - v)^2", "--wrt", "u", "--steps", "--json"],
    ["x'*A*x", "--wrt", "x", "--steps", "index"],
    ["x'*A*x", "--wrt", "x", "--steps", "index", "--json"],
    ["A*x", "--wrt", "x", "--steps"],
    # your own answer
    ["norm(W*u - v)^2", "--wrt", "u", "--verify", "2*W'*(W*u - v)"],
    ["norm(W*u - v)^2 where W: matrix(n, n)", "--wrt", "u", "--verify", "2*(W*u - v)*W'"],
    ["norm(W*u - v)^2", "--wrt", "u", "--verify", "W'*(W*u - v)", "--json"],
    ["x'*x", "--wrt", "x", "--verify=-2*x"],
    ["norm(W*u - v)^2", "--verify", "2*W'*(W*u - v)"],
    ["norm(W*u - v)^2", "--wrt", "u", "--verify", "2*W'*(W*u - v) +"],
    # generated code
    ["C/2 * sum(W.^2)", "--wrt", "W", "--code", "numpy"],
    ["x'*A*x", "--wrt", "x", "--hessian", "--code", "torch", "--json"],
    ["logdet(X)", "--wrt", "X", "--code", "dask"],
    # LaTeX input, index sums
    ["--latex-input", r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2", "--wrt", "W"],
    ["--latex-input", r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2", "--wrt", "W", "--json"],
    ["C/2*sum(j, norm(W[:, j])^2)", "--wrt", "W"],
    ["C/2*sum(j, norm(W[:, j])^2)", "--json"],
    ["--latex-input", r"\left( X W"],
    ["--latex-input", r"x + \foo", "--json"],
    # some variables skipped, none left
    ["kron(X,X) + Y"],
    ["kron(X,X) + Y", "--json"],
    ["kron(X, X)", "--json"],
    ["kron(X, X)", "--wrt", "X"],
    ["2 + 3"],
    ["2 + 3", "--json"],
    # errors: carets on stderr, JSON objects on stdout
    ["A*x + ", "--json"],
    ["A*x + y where A: matrix(m,n), x: vector(k)"],
    ["A*x + y where A: matrix(m,n), x: vector(k)", "--json"],
    ["foo(x)"],
    ["norm(X, 2) where X: matrix", "--json"],
    ["norm(X, 'inf')"],
    ["x'*A*x", "--declare", "A: symetric matrix"],
    ["x'*A*x", "--declare", "A: symetric matrix", "--json"],
    ["x'*A*x", "--wrt", "Q"],
    [MASKED, "--wrt", "P", "--json"],
    ["exp(t)*A", "--wrt", "t", "--hessian"],
    ["A*X*B", "--wrt", "X", "--hessian", "--json"],
    ["(" * 400 + "x" + ")" * 400, "--json"],
    ["x + \u00e9", "--json"],
    ["x + \u00e9"],
    ["x + \u00e9 +", "--json"],
    ["A*x", "--hessian", "--json"],
    ["A*x", "--hessian"],
    # a check that finds no finite point: its text
    ["sum(log(-exp(x)))", "--check"],
]


def cli(argv: list[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return {"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _golden() -> list[dict]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_output_is_unchanged(index):
    want = _golden()[index]
    assert want["argv"] == CASES[index], "the table and its recording disagree: re-record"
    assert cli(CASES[index]) == want


def test_every_case_is_recorded():
    assert [g["argv"] for g in _golden()] == CASES


if __name__ == "__main__":  # pragma: no cover
    GOLDEN.write_text(json.dumps([cli(a) for a in CASES], ensure_ascii=False, indent=1) + "\n",
                      encoding="utf-8")
    print(f"recorded {len(CASES)} cases in {GOLDEN}", file=sys.stderr)
