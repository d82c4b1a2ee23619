"""Checking a user's own answer: a table of right, transposed, scaled and misshapen answers."""

import json

import pytest

import matdiff
from matdiff.cli import main

LS = "1/N * norm(X*W - Y, 'fro')^2"
WU = "norm(W*u - v)^2"
WU_SQUARE = "norm(W*u - v)^2 where W: matrix(n, n)"
MF = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
      " where P: mask")
LOGREG = "sum(log(1 + exp(-y.*(X*w))))"

# expression, wrt, candidate, verdict, words expected in the message, suggestion
TABLE = [
    # right, perhaps written differently
    (LS, "W", "2/N * X'*(X*W - Y)", "correct", ["correct"], None),
    (LS, "W", "2/N*X'*X*W - 2/N*X'*Y", "correct", ["written differently", "symbolically"], None),
    (LS, "W", "2*X'*(X*W - Y)/N", "correct", ["correct"], None),
    (LS, "W", "(2/N)*(X'*X*W - X'*Y)", "correct", ["correct"], None),
    (WU, "u", "2*W'*(W*u - v)", "correct", ["correct"], None),
    (WU, "u", "2*W'*W*u - 2*W'*v", "correct", ["correct"], None),
    (WU, "v", "2*(v - W*u)", "correct", ["correct"], None),
    (WU, "W", "2*(W*u - v)*u'", "correct", ["correct"], None),
    (WU, "W", "2*W*u*u' - 2*v*u'", "correct", ["correct"], None),
    ("x'*A*x", "x", "A*x + A'*x", "correct", ["correct"], None),
    ("x'*A*x", "x", "(A' + A)*x", "correct", ["correct"], None),
    ("x'*A*x where A: symmetric matrix", "x", "2*A*x", "correct", ["correct"], None),
    ("x'*A*x where A: symmetric matrix", "x", "A*x + A'*x", "correct", ["correct"], None),
    ("tr(A*X*B)", "X", "(B*A)'", "correct", ["correct"], None),
    ("logdet(X)", "X", "inv(X')", "correct", ["correct"], None),
    ("C/2 * sum(W.^2)", "W", "C*W", "correct", ["correct"], None),
    (MF, "U", "lambda*U - (P.*(M - U*V'))*V", "correct", ["correct"], None),
    (MF, "U", "(P.*(U*V' - M))*V + lambda*U", "correct", ["correct"], None),
    (LOGREG, "w", "-X'*(y.*sigmoid(-y.*(X*w)))", "correct", ["correct"], None),
    (LOGREG, "w", "-X'*(y./(1 + exp(y.*(X*w))))", "correct", ["symbolically"], None),
    (LS, "W", "2/N*(X'*X*W - X'*Y) + 0*W", "correct", ["correct"], None),
    # the seed's mistake and other shape errors
    (WU_SQUARE, "u", "2*(W*u - v)*W'", "wrong_shape",
     ["(W*u - v)", "n x 1", "W'", "n x n"], "2*W'*(W*u - v)"),
    (WU, "u", "2*(W*u - v)*W'", "wrong_shape", ["n x 1"], "2*W'*(W*u - v)"),
    (WU, "u", "2*(W*u - v)'*W", "wrong_shape", ["1 x m", "vector(m)"], "2*W'*(W*u - v)"),
    (WU, "W", "2*u*(W*u - v)'", "wrong_shape", ["m x n", "n x m"], "2*(W*u - v)*u'"),
    (LS, "W", "2/N*(X*W - Y)'*X", "wrong_shape", ["p x m", "m x p"], "2/N*X'*(X*W - Y)"),
    (LS, "W", "2/N*(X*W - Y)*X'", "wrong_shape", ["multiplies"], "2/N*X'*(X*W - Y)"),
    ("tr(A*X*B)", "X", "B'*A'", "wrong_shape", ["multiplies"], "A'*B'"),
    ("tr(A*X*B)", "X", "A*B", "wrong_shape", ["multiplies"], "A'*B'"),
    (MF, "U", "lambda*U - (P.*(M - U*V'))'*V", "wrong_shape", [], None),
    # wrong values
    (WU, "u", "W'*(W*u - v)", "wrong_value", ["missing a factor 2"], "2*W'*(W*u - v)"),
    (WU, "v", "2*(W*u - v)", "wrong_value", ["sign"], "-2*(W*u - v)"),
    (LS, "W", "1/N*X'*(X*W - Y)", "wrong_value", ["missing a factor 2"], None),
    (LS, "W", "4/N*X'*(X*W - Y)", "wrong_value", ["an extra factor 2"], None),
    ("logdet(X)", "X", "inv(X)", "wrong_value", ["transposed"], "inv(X)'"),
    ("tr(A*X*B) where A, B, X: matrix(n, n)", "X", "A*B", "wrong_value", [], "A'*B'"),
    ("x'*A*x", "x", "2*A*x", "wrong_value", ["(A + A')*x"], "(A + A')*x"),
    (LOGREG, "w", "X'*(y.*sigmoid(-y.*(X*w)))", "wrong_value", ["sign"], None),
    (WU, "u", "2*W'*(W*u - v) + Z", "wrong_value", ["'Z'"], "2*W'*(W*u - v)"),
]


@pytest.mark.parametrize("expr, wrt, candidate, verdict, words, suggestion", TABLE,
                         ids=[f"{t[3]}:{t[2]}" for t in TABLE])
def test_verdicts(expr, wrt, candidate, verdict, words, suggestion):
    v = matdiff.verify(expr, wrt, candidate)
    assert v.verdict == verdict, v.message
    for w in words:
        assert w in v.message, v.message
    if suggestion is not None:
        assert v.suggestion == suggestion


def test_at_least_thirty_candidates():
    assert len(TABLE) >= 30


def test_seed_mistake_explained_on_the_command_line(capsys):
    code = main([WU_SQUARE, "--wrt", "u", "--verify", "2*(W*u - v)*W'", "--json"])
    assert code == 0
    (r,) = json.loads(capsys.readouterr().out)["results"]
    v = r["verify"]
    assert v["verdict"] == "wrong_shape"
    assert "multiplies 2*(W*u - v) (n x 1) by W' (n x n)" in v["message"]
    assert v["suggestion"] == "2*W'*(W*u - v)"


def test_candidate_syntax_error_points_into_the_candidate(capsys):
    code = main([WU, "--wrt", "u", "--verify", "2*W'*(W*u - v", "--json"])
    assert code == 1
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["kind"] == "syntax" and err["position"] == 13
    assert err["message"].startswith("in your answer:")


def test_verify_needs_one_wrt(capsys):
    assert main([WU, "--verify", "2*W'*(W*u - v)", "--json"]) == 1
    assert "exactly one --wrt" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_a_factor_that_is_a_size_is_named():
    # once "an extra factor 4": the size n happened to be 4 at the points drawn
    v = matdiff.verify("mean((X*w - y).^2)", "w", "2*X'*(X*w - y)")
    assert v.verdict == "wrong_value" and "an extra factor n" in v.message
    v = matdiff.verify("norm(X*w - y)^2/n where X: matrix(n, d)", "w", "X'*(X*w - y)")
    assert "off by a factor n/2" in v.message
    v = matdiff.verify("norm(A*x)^2", "x", "4*A'*A*x")  # a number stays a number
    assert "an extra factor 2" in v.message
    v = matdiff.verify("mean((X*w - y).^2)", "w", "2/n*X'*(X*w - y)")  # n: a size, in an answer
    assert v.verdict == "correct"


def test_batched_labels_whose_rows_sum_to_one():
    v = matdiff.verify("-sum(Y.*log(softmax(X*W, 2)))", "W", "X'*(softmax(X*W, 2) - Y)")
    assert v.verdict == "wrong_value"
    assert "correct if each row of Y sums to 1" in v.message
