"""Tests of matdiff.evaluate: every IR node against a direct numpy computation."""

from __future__ import annotations

import numpy as np
import pytest

from matdiff import ir
from matdiff.evaluate import EvaluationError, evaluate, resolve_dim, resolve_shape

DIMS = {"m": 3, "n": 4, "p": 2}
RNG = np.random.default_rng(1234)

# Variables and their values, shared by the tests below.
X = ir.Sym("X", ("m", "n"), "matrix")
Y = ir.Sym("Y", ("m", "n"), "matrix")
W = ir.Sym("W", ("n", "p"), "matrix")
S = ir.Sym("S", ("n", "n"), "matrix")
x = ir.Sym("x", ("n", 1), "vector")
y = ir.Sym("y", ("n", 1), "vector")
a = ir.Sym("a", (1, 1), "scalar")
b = ir.Sym("b", (1, 1), "scalar")

VALUES = {
    "X": RNG.standard_normal((3, 4)),
    "Y": RNG.standard_normal((3, 4)),
    "W": RNG.standard_normal((4, 2)),
    "S": RNG.standard_normal((4, 4)) + 3 * np.eye(4),
    "x": RNG.standard_normal((4, 1)),
    "y": RNG.standard_normal((4, 1)),
    "a": np.array([[1.5]]),
    "b": np.array([[-0.75]]),
}
V = VALUES


def ev(expr: ir.Expr, values=None, dims=None) -> np.ndarray:
    return evaluate(expr, VALUES if values is None else values, DIMS if dims is None else dims)


def close(actual, expected) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


# -------------------------------------------------------------------------------------- dimensions


def test_resolve_dim_names_ints_and_products():
    assert resolve_dim(5, DIMS) == 5
    assert resolve_dim("n", DIMS) == 4
    assert resolve_dim("m*n", DIMS) == 12
    assert resolve_dim("m*n*p", DIMS) == 24
    assert resolve_dim("m*3", DIMS) == 9
    assert resolve_shape(("m", "n*p"), DIMS) == (3, 8)


def test_missing_dimension_is_an_error():
    with pytest.raises(EvaluationError, match="q"):
        resolve_dim("q", DIMS)


# ------------------------------------------------------------------------------------------ leaves


def test_sym_and_num():
    close(ev(X), V["X"])
    close(ev(a), V["a"])
    out = ev(ir.Num("3/4"))
    assert out.shape == (1, 1)
    close(out, [[0.75]])


def test_differential_uses_d_prefixed_key():
    dX = ir.Differential(X)
    d = RNG.standard_normal((3, 4))
    # Only the differential is needed, not the variable itself.
    close(evaluate(dX, {"dX": d}, DIMS), d)
    with pytest.raises(EvaluationError, match="dX"):
        evaluate(dX, {"X": V["X"]}, DIMS)


def test_constants():
    close(ev(ir.Zero(("m", "n"))), np.zeros((3, 4)))
    close(ev(ir.Ones(("n", 1))), np.ones((4, 1)))
    close(ev(ir.Ones((2, "p"))), np.ones((2, 2)))
    close(ev(ir.Identity("n")), np.eye(4))
    close(ev(ir.Identity(3)), np.eye(3))


def test_dimension_name_as_scalar():
    N = ir.Sym("N", (1, 1), "scalar")
    close(evaluate(N, {}, {"N": 7}), [[7.0]])
    # An explicit value wins (the checker perturbs it).
    close(evaluate(N, {"N": 7.001}, {"N": 7}), [[7.001]])


def test_input_coercion():
    out = evaluate(ir.Add((x, y)), {"x": [1, 2, 3, 4], "y": np.arange(4)}, DIMS)
    assert out.shape == (4, 1) and out.dtype == float
    close(out, np.array([[1.0], [3.0], [5.0], [7.0]]))
    close(evaluate(a, {"a": 2.5}, DIMS), [[2.5]])


def test_wrong_shape_and_missing_value():
    with pytest.raises(EvaluationError, match="shape"):
        evaluate(X, {"X": np.zeros((4, 3))}, DIMS)
    with pytest.raises(EvaluationError, match="X"):
        evaluate(X, {}, DIMS)


# ------------------------------------------------------------------------------------------- n-ary


def test_add_and_hadamard():
    close(ev(ir.Add((X, Y, X))), 2 * V["X"] + V["Y"])
    close(ev(ir.Hadamard((X, Y, Y))), V["X"] * V["Y"] ** 2)


def test_mul_chains_and_scales():
    close(ev(ir.Mul((X, W))), V["X"] @ V["W"])
    close(ev(ir.Mul((a, X, b, W))), 1.5 * -0.75 * V["X"] @ V["W"])
    close(ev(ir.Mul((a, b))), [[1.5 * -0.75]])
    close(ev(ir.Mul((X, S, x))), V["X"] @ V["S"] @ V["x"])
    # x' * y is a 1x1 chain; it then chains further with a row vector.
    close(ev(ir.Mul((ir.Transpose(x), y))), V["x"].T @ V["y"])
    close(ev(ir.Mul((ir.Transpose(x), y, ir.Transpose(x)))), (V["x"].T @ V["y"]) @ V["x"].T)
    # Outer product.
    close(ev(ir.Mul((x, ir.Transpose(y)))), V["x"] @ V["y"].T)


def test_mul_scaling_is_decided_by_ir_shape():
    # With n = 1 the vector x is 1x1 numerically but still chains (it is not a scalar).
    row = ir.Sym("r", (1, "n"), "matrix")
    dims = {"n": 1}
    vals = {"r": np.array([[2.0]]), "x": np.array([[3.0]])}
    close(evaluate(ir.Mul((x, row)), vals, dims), [[6.0]])


# ---------------------------------------------------------------------------- powers and functions


def test_pow_elementwise_with_scalar_exponent():
    pos = np.abs(V["X"]) + 0.5
    close(evaluate(ir.Pow(X, ir.Num(2)), {"X": V["X"]}, DIMS), V["X"] ** 2)
    close(evaluate(ir.Pow(X, ir.Num("1/2")), {"X": pos}, DIMS), np.sqrt(pos))
    close(evaluate(ir.Pow(X, ir.Num(-1)), {"X": pos}, DIMS), 1 / pos)
    close(ev(ir.Pow(a, b)), [[1.5 ** -0.75]])
    with np.errstate(invalid="ignore"):  # nan where negative, as numpy
        close(ev(ir.Pow(x, a)), np.power(V["x"], 1.5))


def test_matpow():
    close(ev(ir.MatPow(S, 3)), V["S"] @ V["S"] @ V["S"])


@pytest.mark.parametrize(
    "name, reference",
    [
        ("exp", np.exp),
        ("sin", np.sin),
        ("cos", np.cos),
        ("tan", np.tan),
        ("tanh", np.tanh),
        ("sinh", np.sinh),
        ("cosh", np.cosh),
        ("abs", np.abs),
        ("sign", np.sign),
        ("sigmoid", lambda t: 1 / (1 + np.exp(-t))),
        ("softplus", lambda t: np.log(1 + np.exp(t))),
        ("relu", lambda t: np.where(t > 0, t, 0.0)),
    ],
)
def test_elementwise_functions(name, reference):
    close(ev(ir.Func(name, X)), reference(V["X"]))


@pytest.mark.parametrize("name, reference", [("log", np.log), ("sqrt", np.sqrt)])
def test_elementwise_functions_on_positive_values(name, reference):
    pos = np.abs(V["X"]) + 0.1
    close(evaluate(ir.Func(name, X), {"X": pos}, DIMS), reference(pos))


def test_sigmoid_and_softplus_are_stable():
    big = np.array([[-800.0], [-30.0], [0.0], [30.0], [800.0], [-1e-3], [1e-3]])
    dims = {"n": 7}
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        sig = evaluate(ir.Func("sigmoid", x), {"x": big}, dims)
        soft = evaluate(ir.Func("softplus", x), {"x": big}, dims)
    assert np.all(np.isfinite(sig)) and np.all(np.isfinite(soft))
    close(sig[2:5, 0], [0.5, 1 / (1 + np.exp(-30.0)), 1.0])
    assert sig[0, 0] == 0.0 or sig[0, 0] < 1e-300
    close(soft[[0, 2, 4], 0], [0.0, np.log(2.0), 800.0])


# -------------------------------------------------------------------------------- matrix functions


def test_transpose_trace_det_logdet_inv():
    s = V["S"]
    close(ev(ir.Transpose(X)), V["X"].T)
    close(ev(ir.Trace(S)), [[np.trace(s)]])
    np.testing.assert_allclose(ev(ir.Det(S)), [[np.linalg.det(s)]], rtol=1e-12)
    np.testing.assert_allclose(ev(ir.LogDet(S)), [[np.log(abs(np.linalg.det(s)))]], rtol=1e-12)
    close(ev(ir.Inv(S)), np.linalg.inv(s))


def test_logdet_is_log_abs_det():
    neg = np.diag([-2.0, 3.0, 1.0, 1.0])
    np.testing.assert_allclose(evaluate(ir.LogDet(S), {"S": neg}, DIMS), [[np.log(6.0)]])


def test_diag_and_diag_part():
    close(ev(ir.Diag(x)), np.diag(V["x"][:, 0]))
    close(ev(ir.DiagPart(S)), np.diag(V["S"]).reshape(-1, 1))


def test_sum_and_norm():
    close(ev(ir.Sum(X)), [[V["X"].sum()]])
    close(ev(ir.Norm(X)), [[np.sqrt((V["X"] ** 2).sum())]])
    close(ev(ir.Norm(x)), [[np.linalg.norm(V["x"][:, 0])]])


def test_logsumexp_and_softmax():
    v = V["x"]
    close(ev(ir.LogSumExp(x)), [[np.log(np.exp(v).sum())]])
    close(ev(ir.Softmax(x)), np.exp(v) / np.exp(v).sum())
    big = v + 1000.0
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        lse = evaluate(ir.LogSumExp(x), {"x": big}, DIMS)
        sm = evaluate(ir.Softmax(x), {"x": big}, DIMS)
    np.testing.assert_allclose(lse, [[1000.0 + np.log(np.exp(v).sum())]], rtol=1e-14)
    close(sm, np.exp(v) / np.exp(v).sum())


def test_kron_vec_reshape():
    close(ev(ir.Kron(X, W)), np.kron(V["X"], V["W"]))
    out = ev(ir.Vec(X))
    assert out.shape == (12, 1)
    close(out[:, 0], V["X"].T.reshape(-1))  # column-major: first column first
    close(out[:3, 0], V["X"][:, 0])
    close(ev(ir.Reshape(ir.Vec(X), "m", "n")), V["X"])
    close(ev(ir.Reshape(ir.Vec(X), "n", "m")), V["X"].reshape((4, 3), order="F"))


def test_vec_identity_with_kron():
    # vec(A X B) = kron(B', A) vec(X)
    A = ir.Sym("A", ("p", "m"), "matrix")
    B = ir.Sym("B", ("n", "p"), "matrix")
    vals = {"A": RNG.standard_normal((2, 3)), "B": RNG.standard_normal((4, 2)), "X": V["X"]}
    lhs = evaluate(ir.Vec(ir.Mul((A, X, B))), vals, DIMS)
    # (The IR spells the inner dimensions n*m and m*n, so multiply numerically.)
    kron = evaluate(ir.Kron(ir.Transpose(B), A), vals, DIMS)
    assert kron.shape == (4, 12)
    close(lhs, kron @ evaluate(ir.Vec(X), vals, DIMS))


# --------------------------------------------------------------------------------- DAG and complex


def test_shared_subexpressions_are_evaluated_once():
    calls = []
    shared = ir.Mul((X, W))

    class Counting(dict):
        def __getitem__(self, key):
            calls.append(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            return super().__contains__(key)

    vals = Counting(VALUES)
    out = evaluate(ir.Add((shared, ir.Hadamard((shared, shared)))), vals, DIMS)
    p = V["X"] @ V["W"]
    close(out, p + p * p)
    assert calls.count("X") == 1 and calls.count("W") == 1


def test_deep_expression_does_not_recurse():
    expr: ir.Expr = x
    for _ in range(5000):
        expr = ir.Add((expr, y))
    close(ev(expr), V["x"] + 5000 * V["y"])


def test_complex_values():
    rng = np.random.default_rng(7)
    cx = rng.standard_normal((4, 1)) + 1j * rng.standard_normal((4, 1))
    cs = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)) + 3 * np.eye(4)
    vals = {"x": cx, "S": cs, "a": np.array([[0.5 + 0.25j]])}
    close(evaluate(ir.Mul((a, S, x)), vals, DIMS), (0.5 + 0.25j) * cs @ cx)
    close(evaluate(ir.Func("sigmoid", x), vals, DIMS), 1 / (1 + np.exp(-cx)))
    close(evaluate(ir.Func("softplus", x), vals, DIMS), np.log(1 + np.exp(cx)))
    close(evaluate(ir.Func("exp", x), vals, DIMS), np.exp(cx))
    close(evaluate(ir.Inv(S), vals, DIMS), np.linalg.inv(cs))
    close(evaluate(ir.Det(S), vals, DIMS), [[np.linalg.det(cs)]])
    close(evaluate(ir.Transpose(x), vals, DIMS), cx.T)  # plain, not conjugate, transpose
    close(evaluate(ir.Softmax(x), vals, DIMS), np.exp(cx) / np.exp(cx).sum())
    close(evaluate(ir.LogSumExp(x), vals, DIMS), [[np.log(np.exp(cx).sum())]])
    close(evaluate(ir.Pow(x, ir.Num(2)), vals, DIMS), cx**2)
