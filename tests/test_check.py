"""Tests of matdiff.check: hand-made derivatives pass, wrong ones fail."""

from __future__ import annotations

import numpy as np
import pytest

from matdiff import ir
from matdiff.check import (
    NO_FINITE_POINT,
    CheckReport,
    check,
    directional_derivative,
    numeric_gradient,
    relative_error,
    sample_dims,
    sample_values,
)
from matdiff.evaluate import evaluate

# ----------------------------------------------------------------------------------------- helpers


def num(v) -> ir.Num:
    return ir.Num(v)


def neg(e: ir.Expr) -> ir.Expr:
    return ir.Mul((num(-1), e))


def sub(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    return ir.Add((a, neg(b)))


def T(e: ir.Expr) -> ir.Expr:
    return ir.Transpose(e)


def sq(e: ir.Expr) -> ir.Expr:
    return ir.Pow(e, num(2))


def passes(f, wrt, result, kind="gradient", **kw) -> CheckReport:
    report = check(f, wrt, result, kind, **kw)
    assert report.passed, report
    assert report.max_rel_error <= 1e-6
    return report


def fails(f, wrt, result, kind="gradient", **kw) -> CheckReport:
    report = check(f, wrt, result, kind, **kw)
    assert not report.passed, report
    assert report.max_rel_error > 1e-2, report
    return report


# Variables used throughout.
X = ir.Sym("X", ("m", "n"), "matrix")
Xs = ir.Sym("X", ("n", "n"), "matrix")  # (a square X, for the tests that need one)
A = ir.Sym("A", ("n", "n"), "matrix")
B = ir.Sym("B", ("n", "n"), "matrix")
Ar = ir.Sym("A", ("m", "n"), "matrix")
x = ir.Sym("x", ("n", 1), "vector")
t = ir.Sym("t", (1, 1), "scalar")


# --------------------------------------------------------------------------------------- gradients


def test_sum_of_squares():
    f = ir.Sum(ir.Hadamard((X, X)))
    report = passes(f, X, ir.Mul((num(2), X)))
    assert report.domain == "normal"
    assert report.max_rel_error < 1e-9
    assert set(report.dims) == {"m", "n"} and report.dims["m"] != report.dims["n"]
    missing_two = fails(f, X, X)
    assert missing_two.max_rel_error == pytest.approx(0.5, rel=1e-6)


def test_trace_of_product():
    # d/dX tr(A X B) = A' B' (with A: p x m, X: m x n, B: n x p)
    A_ = ir.Sym("A", ("p", "m"), "matrix")
    B_ = ir.Sym("B", ("n", "p"), "matrix")
    f = ir.Trace(ir.Mul((A_, X, B_)))
    passes(f, X, ir.Mul((T(A_), T(B_))))


def test_transposed_gradient_fails():
    f = ir.Trace(ir.Mul((A, Xs, B)))
    passes(f, Xs, ir.Mul((T(A), T(B))))
    fails(f, Xs, T(ir.Mul((T(A), T(B)))))


def test_wrong_shape_is_an_error_not_a_failure():
    A_ = ir.Sym("A", ("p", "m"), "matrix")
    B_ = ir.Sym("B", ("n", "p"), "matrix")
    f = ir.Trace(ir.Mul((A_, X, B_)))
    with pytest.raises(ValueError, match="shape"):
        check(f, X, ir.Mul((B_, A_)), "gradient")


def test_logdet_and_det():
    passes(ir.LogDet(Xs), Xs, T(ir.Inv(Xs)))
    fails(ir.LogDet(Xs), Xs, ir.Inv(Xs))
    passes(ir.Det(Xs), Xs, ir.Mul((ir.Det(Xs), T(ir.Inv(Xs)))))


def test_quadratic_form():
    f = ir.Mul((T(x), A, x))
    passes(f, x, ir.Mul((ir.Add((A, T(A))), x)))
    fails(f, x, ir.Mul((num(2), A, x)))
    # With A symmetric, 2 A x is right.
    As = ir.Sym("A", ("n", "n"), "symmetric")
    fs = ir.Mul((T(x), As, x))
    passes(fs, x, ir.Mul((num(2), As, x)))
    # ... and with respect to A itself the gradient is x x'.
    passes(fs, As, ir.Mul((x, T(x))))


def test_norm_examples_from_the_language():
    W = ir.Sym("W", ("m", "n"), "matrix")
    u = ir.Sym("u", ("n", 1), "vector")
    v = ir.Sym("v", ("m", 1), "vector")
    r = sub(ir.Mul((W, u)), v)
    f = sq(ir.Norm(r))
    passes(f, u, ir.Mul((num(2), T(W), r)))
    passes(f, v, ir.Mul((num(-2), r)))
    passes(f, W, ir.Mul((num(2), r, T(u))))
    fails(f, W, ir.Mul((r, T(u))))


def test_least_squares_with_dimension_name_as_scalar():
    # 1/N * norm(X*W - Y, 'fro')^2 where X: matrix(N, d), W: matrix(d, c), N: scalar
    N = ir.Sym("N", (1, 1), "scalar")
    Xn = ir.Sym("X", ("N", "d"), "matrix")
    W = ir.Sym("W", ("d", "c"), "matrix")
    Y = ir.Sym("Y", ("N", "c"), "matrix")
    r = sub(ir.Mul((Xn, W)), Y)
    loss = sq(ir.Norm(r))
    f = ir.Mul((ir.Pow(N, num(-1)), loss))
    report = passes(f, W, ir.Mul((num(2), ir.Pow(N, num(-1)), T(Xn), r)))
    assert set(report.dims) == {"N", "d", "c"}
    # N is differentiated like any scalar: d/dN (loss / N) = -loss / N^2.
    passes(f, N, neg(ir.Mul((ir.Pow(N, num(-2)), loss))))
    fails(f, N, ir.Mul((ir.Pow(N, num(-2)), loss)))


def test_logistic_regression():
    Xl = ir.Sym("X", ("N", "d"), "matrix")
    w = ir.Sym("w", ("d", 1), "vector")
    y = ir.Sym("y", ("N", 1), "vector")
    margin = neg(ir.Hadamard((y, ir.Mul((Xl, w)))))
    f = ir.Sum(ir.Func("softplus", margin))
    grad = neg(ir.Mul((T(Xl), ir.Hadamard((y, ir.Func("sigmoid", margin))))))
    passes(f, w, grad)
    fails(f, w, neg(grad))


def test_matrix_completion_with_mask():
    P = ir.Sym("P", ("m", "n"), "mask")
    M = ir.Sym("M", ("m", "n"), "matrix")
    U = ir.Sym("U", ("m", "k"), "matrix")
    V = ir.Sym("V", ("n", "k"), "matrix")
    lam = ir.Sym("lambda", (1, 1), "scalar")
    resid = ir.Hadamard((P, sub(M, ir.Mul((U, T(V))))))
    reg = ir.Add((sq(ir.Norm(U)), sq(ir.Norm(V))))
    f = ir.Add((ir.Mul((num("1/2"), sq(ir.Norm(resid)))), ir.Mul((lam, num("1/2"), reg))))
    passes(f, U, sub(ir.Mul((lam, U)), ir.Mul((resid, V))))
    passes(f, V, sub(ir.Mul((lam, V)), ir.Mul((T(resid), U))))
    fails(f, U, sub(ir.Mul((lam, U)), ir.Mul((sub(M, ir.Mul((U, T(V)))), V))))
    with pytest.raises(ValueError, match="mask"):
        check(f, P, P, "gradient")


def test_scaled_sum_of_squares_and_abs():
    C = ir.Sym("C", (1, 1), "scalar")
    W = ir.Sym("W", ("m", "n"), "matrix")
    passes(ir.Mul((C, num("1/2"), ir.Sum(sq(W)))), W, ir.Mul((C, W)))
    passes(ir.Sum(ir.Func("abs", x)), x, ir.Func("sign", x))


def test_symmetric_variable_gradient_convention():
    S = ir.Sym("S", ("n", "n"), "symmetric")
    f = ir.Trace(ir.Mul((B, S)))
    passes(f, S, ir.Mul((num("1/2"), ir.Add((B, T(B))))))
    # B' predicts the right directional derivatives along symmetric V, but it is
    # not symmetric, which the convention requires.
    fails(f, S, T(B))
    # The Matrix Cookbook's G + G' - G.*I is another convention: it fails here.
    cookbook = sub(ir.Add((B, T(B))), ir.Hadamard((B, ir.Identity("n"))))
    fails(f, S, cookbook)


def test_domain_fallback_to_positive():
    f = ir.Sum(ir.Func("log", X))
    report = passes(f, X, ir.Pow(X, num(-1)))
    assert report.domain == "positive"
    report = fails(f, X, ir.Pow(X, num(-2)))
    assert report.domain == "positive"


def test_no_domain_gives_finite_values():
    f = ir.Sum(ir.Func("log", neg(ir.Func("exp", x))))
    report = check(f, x, x, "gradient")
    assert report.domain == "none"
    assert not report.passed
    # no NaN in a report: no error, and a message saying why (issue: trust, numeric check)
    assert report.max_rel_error is None
    assert report.message == NO_FINITE_POINT
    assert report.outcome == "unchecked"


def test_check_is_deterministic_and_seeded():
    f = ir.Sum(ir.Func("sin", ir.Mul((Ar, x))))
    grad = ir.Mul((T(Ar), ir.Func("cos", ir.Mul((Ar, x)))))
    r1 = passes(f, x, grad, rng_seed=3)
    r2 = passes(f, x, grad, rng_seed=3)
    assert r1 == r2
    for seed in range(5):
        passes(f, x, grad, rng_seed=seed)


def test_fixed_dims():
    f = ir.Sum(ir.Hadamard((X, X)))
    report = passes(f, X, ir.Mul((num(2), X)), fixed_dims={"m": 1})
    assert report.dims["m"] == 1


def test_request_errors():
    with pytest.raises(ValueError, match="kind"):
        check(ir.Sum(X), X, X, "divergence")
    with pytest.raises(ValueError, match="scalar"):
        check(X, X, X, "gradient")
    with pytest.raises(ValueError, match="scalar"):
        check(X, x, X, "derivative")


# ------------------------------------------------------------------------- derivatives by a scalar


def test_derivative_by_scalar():
    passes(ir.Mul((t, Ar)), t, Ar, "derivative")
    f = ir.Func("exp", ir.Mul((t, x)))
    passes(f, t, ir.Hadamard((x, f)), "derivative")
    fails(f, t, f, "derivative")
    passes(ir.Pow(t, num(3)), t, ir.Mul((num(3), sq(t))), "derivative")


# --------------------------------------------------------------------------------------- jacobians


def test_jacobian_of_linear_map():
    passes(ir.Mul((A, x)), x, A, "jacobian")
    fails(ir.Mul((A, x)), x, T(A), "jacobian")
    passes(ir.Mul((Ar, x)), x, Ar, "jacobian")


def test_jacobian_of_softmax():
    s = ir.Softmax(x)
    jac = sub(ir.Diag(s), ir.Mul((s, T(s))))
    passes(s, x, jac, "jacobian")
    fails(s, x, ir.Diag(s), "jacobian")


def test_jacobian_matrix_by_matrix():
    # vec(d(A X)) = kron(I_n, A) vec(dX), with A: p x m, X: m x n
    A_ = ir.Sym("A", ("p", "m"), "matrix")
    F = ir.Mul((A_, X))
    passes(F, X, ir.Kron(ir.Identity("n"), A_), "jacobian")
    fails(F, X, ir.Kron(A_, ir.Identity("n")), "jacobian")


def test_jacobian_vector_by_matrix():
    # d(X w) = dX w, so vec(d(Xw)) = kron(w', I_m) vec(dX)
    w = ir.Sym("w", ("n", 1), "vector")
    passes(ir.Mul((X, w)), X, ir.Kron(T(w), ir.Identity("m")), "jacobian")
    fails(ir.Mul((X, w)), X, ir.Kron(ir.Identity("m"), T(w)), "jacobian")


def test_jacobian_result_of_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        check(ir.Mul((Ar, x)), x, T(Ar), "jacobian")


# ---------------------------------------------------------------------------------------- hessians


def test_hessian_of_quadratic_form():
    grad = ir.Mul((ir.Add((A, T(A))), x))
    passes(grad, x, ir.Add((A, T(A))), "hessian")
    fails(grad, x, ir.Mul((num(2), A)), "hessian")  # wrong and not symmetric
    fails(grad, x, ir.Mul((num("1/2"), ir.Add((A, T(A))))), "hessian")  # symmetric, wrong


def test_hessian_must_be_symmetric():
    # K x is not a gradient (K is not symmetric): K is its correct Jacobian but
    # cannot be a Hessian, so the hessian check fails on the asymmetry alone.
    K = ir.Sym("K", ("n", "n"), "matrix")
    passes(ir.Mul((K, x)), x, K, "jacobian")
    fails(ir.Mul((K, x)), x, K, "hessian")
    # The gradient of x'Kx/2 has the symmetric Hessian (K + K')/2.
    grad = ir.Mul((num("1/2"), ir.Add((K, T(K))), x))
    passes(grad, x, ir.Mul((num("1/2"), ir.Add((K, T(K))))), "hessian")
    fails(grad, x, K, "hessian")


def test_hessian_by_scalar():
    grad = ir.Mul((num(3), sq(t)))
    passes(grad, t, ir.Mul((num(6), t)), "hessian")
    fails(grad, t, ir.Mul((num(3), t)), "hessian")


def test_hessian_by_matrix_in_kron_form():
    # f = norm(X*W - Y, 'fro')^2: grad = 2 X'(XW - Y), Hessian = 2 kron(I_c, X'X)
    Xd = ir.Sym("X", ("N", "d"), "matrix")
    W = ir.Sym("W", ("d", "c"), "matrix")
    Y = ir.Sym("Y", ("N", "c"), "matrix")
    grad = ir.Mul((num(2), T(Xd), sub(ir.Mul((Xd, W)), Y)))
    XtX = ir.Mul((T(Xd), Xd))
    passes(grad, W, ir.Mul((num(2), ir.Kron(ir.Identity("c"), XtX))), "hessian")
    fails(grad, W, ir.Mul((num(2), ir.Kron(XtX, ir.Identity("c")))), "hessian")
    # The same Hessian as a linear map on the differential: 2 X'X dW.
    dW = ir.Differential(W)
    passes(grad, W, ir.Mul((num(2), XtX, dW)), "map")
    fails(grad, W, ir.Mul((XtX, dW)), "map")


# ------------------------------------------------------------------------------------- linear maps


def test_map_of_scalar_function():
    # d tr(A X B) = tr(A dX B)
    A_ = ir.Sym("A", ("p", "m"), "matrix")
    B_ = ir.Sym("B", ("n", "p"), "matrix")
    f = ir.Trace(ir.Mul((A_, X, B_)))
    dX = ir.Differential(X)
    passes(f, X, ir.Trace(ir.Mul((A_, dX, B_))), "map")
    fails(f, X, ir.Trace(ir.Mul((num(2), A_, dX, B_))), "map")


def test_map_of_inverse():
    dX = ir.Differential(Xs)
    inv = ir.Inv(Xs)
    passes(inv, Xs, neg(ir.Mul((inv, dX, inv))), "map")
    fails(inv, Xs, ir.Mul((inv, dX, inv)), "map")
    fails(inv, Xs, neg(ir.Mul((inv, inv, dX))), "map")


def test_map_must_have_the_function_shape():
    with pytest.raises(ValueError):
        check(ir.Inv(Xs), Xs, ir.Trace(ir.Differential(Xs)), "map")


# ---------------------------------------------------------------------------------------- sampling


def test_sample_dims_distinct_and_avoiding_integer_dims():
    P = ir.Sym("P", ("a", "b"), "matrix")
    Q = ir.Sym("Q", ("b", 3), "matrix")
    R = ir.Sym("R", ("c", "d"), "matrix")
    S = ir.Sym("S", ("e", "f"), "matrix")
    dims = sample_dims([ir.Mul((P, Q)), R, S], np.random.default_rng(0))
    assert set(dims) == {"a", "b", "c", "d", "e", "f"}
    sizes = list(dims.values())
    assert len(set(sizes)) == len(sizes)
    assert 3 not in sizes  # an integer dimension already uses 3
    assert all(s >= 2 for s in sizes)


def test_sample_dims_products_fixed_and_order():
    dims = sample_dims([ir.Vec(X), ir.Kron(X, x)], np.random.default_rng(0), fixed={"m": 4})
    assert set(dims) == {"m", "n"}  # "m*n" etc. are derived, not sampled
    assert dims["m"] == 4 and dims["n"] != 4
    small = sample_dims([X], np.random.default_rng(5))
    assert sorted(small.values()) == [3, 4]


def test_sample_values_kinds_and_domains():
    syms = [
        ir.Sym("s", (1, 1), "scalar"),
        ir.Sym("v", ("n", 1), "vector"),
        ir.Sym("M", ("m", "n"), "matrix"),
        ir.Sym("Q", ("n", "n"), "matrix"),
        ir.Sym("S", ("n", "n"), "symmetric"),
        ir.Sym("P", ("m", "n"), "mask"),
        ir.Sym("n", (1, 1), "scalar"),  # a dimension name used as a scalar
    ]
    dims = {"m": 3, "n": 5}
    for domain in ("normal", "positive", "spd"):
        vals = sample_values(syms, dims, np.random.default_rng(1), domain)
        assert vals["s"].shape == (1, 1) and vals["v"].shape == (5, 1)
        assert vals["M"].shape == (3, 5) and vals["Q"].shape == (5, 5)
        np.testing.assert_array_equal(vals["S"], vals["S"].T)
        assert set(np.unique(vals["P"])) == {0.0, 1.0}
        assert vals["n"][0, 0] == 5.0
        if domain == "normal":
            assert np.min(np.abs(vals["M"])) >= 0.5
            assert np.linalg.cond(vals["Q"]) < 1e3
        if domain in ("positive", "spd"):
            assert np.all(vals["M"] >= 0.5) and np.all(vals["M"] <= 2.0)
            assert np.all(vals["v"] > 0) and np.all(vals["s"] > 0)
        if domain == "spd":
            for name in ("Q", "S"):
                np.testing.assert_allclose(vals[name], vals[name].T)
                assert np.min(np.linalg.eigvalsh(vals[name])) >= 1.0 - 1e-12


def test_mask_has_both_values_even_when_tiny():
    P = ir.Sym("P", (1, 2), "mask")
    for seed in range(20):
        vals = sample_values([P], {}, np.random.default_rng(seed), "normal")
        assert sorted(vals["P"].reshape(-1)) == [0.0, 1.0]


# ----------------------------------------------------------------------------------------- oracles


def test_relative_error_formula():
    assert relative_error(np.array([[1.0]]), np.array([[1.0]])) == 0.0
    assert relative_error(np.array([[2.0]]), np.array([[1.0]])) == pytest.approx(0.5)
    assert relative_error(np.zeros((2, 1)), np.array([[1e-9], [0.0]])) == pytest.approx(1e-3)


def test_directional_derivative_is_accurate():
    f = ir.Sum(ir.Func("exp", X))
    rng = np.random.default_rng(0)
    dims = {"m": 3, "n": 4}
    vals = {"X": rng.standard_normal((3, 4))}
    v = rng.standard_normal((3, 4))
    est = directional_derivative(f, X, vals, dims, v)
    np.testing.assert_allclose(est, [[np.sum(np.exp(vals["X"]) * v)]], rtol=1e-9)


def test_numeric_gradient_matches_closed_forms():
    rng = np.random.default_rng(2)
    dims = {"n": 4}
    vals = {
        "X": rng.standard_normal((4, 4)) + 3 * np.eye(4),
        "A": rng.standard_normal((4, 4)),
        "x": rng.standard_normal((4, 1)),
    }
    g = numeric_gradient(ir.LogDet(Xs), Xs, vals, dims)
    np.testing.assert_allclose(g, np.linalg.inv(vals["X"]).T, rtol=1e-8, atol=1e-10)
    g = numeric_gradient(ir.Mul((T(x), A, x)), x, vals, dims)
    np.testing.assert_allclose(g, (vals["A"] + vals["A"].T) @ vals["x"], rtol=1e-8)
    g = numeric_gradient(ir.LogSumExp(x), x, vals, dims)
    sm = np.exp(vals["x"]) / np.exp(vals["x"]).sum()
    np.testing.assert_allclose(g, sm, rtol=1e-8)


def test_numeric_gradient_symmetrises_for_symmetric_variables():
    S = ir.Sym("S", ("n", "n"), "symmetric")
    rng = np.random.default_rng(3)
    b = rng.standard_normal((4, 4))
    s = rng.standard_normal((4, 4))
    vals = {"B": b, "S": s + s.T}
    g = numeric_gradient(ir.Trace(ir.Mul((B, S))), S, vals, {"n": 4})
    np.testing.assert_allclose(g, (b + b.T) / 2, rtol=1e-8, atol=1e-12)


def test_numeric_gradient_agrees_with_check_predictions():
    # An independent oracle: the entrywise gradient equals the closed form of a
    # gradient that check() accepts.
    f = ir.Sum(ir.Func("sigmoid", ir.Mul((Ar, x))))
    grad = ir.Mul((T(Ar), ir.Hadamard((ir.Func("sigmoid", ir.Mul((Ar, x))),
                                        ir.Func("sigmoid", neg(ir.Mul((Ar, x))))))))
    passes(f, x, grad)
    rng = np.random.default_rng(4)
    dims = {"m": 3, "n": 5}
    vals = {"A": rng.standard_normal((3, 5)), "x": rng.standard_normal((5, 1))}
    np.testing.assert_allclose(
        numeric_gradient(f, x, vals, dims), evaluate(grad, vals, dims), rtol=1e-8
    )
