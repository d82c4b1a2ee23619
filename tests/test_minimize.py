"""matdiff.minimize: SciPy with matdiff's exact gradient and Hessian products, on problems
with known answers, and its errors."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("scipy")

import matdiff
from matdiff.optimize import Iterate, MinimizeError, MinimizeResult

RIDGE = "1/2*norm(X*w - y)^2 + lambda/2*norm(w)^2"
LOGISTIC = "sum(log(1 + exp(-y.*(X*w)))) + lambda/2*norm(w)^2"
FACTOR = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2) "
          "where P: mask")


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    w = rng.normal(size=8)
    return X, X @ w + 0.1 * rng.normal(size=200), np.sign(X @ w + 0.5 * rng.normal(size=200))


METHODS = [None, "BFGS", "CG", "Newton-CG", "trust-ncg", "trust-krylov", "trust-exact", "dogleg"]


@pytest.mark.parametrize("method", METHODS)
def test_ridge_matches_closed_form(regression, method):
    X, y, _ = regression
    lam = 0.7
    closed = np.linalg.solve(X.T @ X + lam * np.eye(8), X.T @ y)
    r = matdiff.minimize(RIDGE, "w", method, w=np.zeros(8), X=X, y=y, lambda_=lam)
    assert isinstance(r, MinimizeResult) and r.success, r.message
    assert r["w"].shape == (8,)
    np.testing.assert_allclose(r["w"], closed, rtol=1e-4, atol=1e-5)
    assert r.fun == pytest.approx(0.5 * np.sum((X @ closed - y) ** 2)
                                  + lam / 2 * closed @ closed, rel=1e-8)
    assert r.nit > 0 and r.nfev > 0
    second_order = method in ("Newton-CG", "trust-ncg", "trust-krylov", "trust-exact", "dogleg")
    assert r.hessian == ("exact" if second_order else None)


def test_vectors_keep_their_shape(regression):
    X, y, _ = regression
    r = matdiff.minimize(RIDGE, "w", w=np.zeros((8, 1)), X=X, y=y.reshape(-1, 1),
                         data={"lambda": 1.0})
    assert r["w"].shape == (8, 1) and r.success


def test_logistic_regression_gradient_vanishes(regression):
    X, _, labels = regression
    r = matdiff.minimize(LOGISTIC, "w", "Newton-CG", w=np.zeros(8), X=X, y=labels, lambda_=1.0)
    w = r["w"]
    grad = -X.T @ (labels / (1 + np.exp(labels * (X @ w)))) + w
    assert r.success and np.linalg.norm(grad) < 1e-4
    assert r.hessian == "exact"


def _factorization(seed=0, n=25, m=20, k=3):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, k)) @ rng.normal(size=(k, m))
    P = (rng.random((n, m)) < 0.6).astype(float)
    return M, P, rng.normal(size=(n, k)) * 0.5, rng.normal(size=(m, k)) * 0.5


@pytest.mark.parametrize("method", [None, "trust-ncg"])
def test_masked_factorization_is_stationary(method):
    M, P, U0, V0 = _factorization()
    lam = 1e-2
    r = matdiff.minimize(FACTOR, ["U", "V"], method, U=U0, V=V0, M=M, P=P, lambda_=lam,
                         options={"maxiter": 2000})
    U, V = r["U"], r["V"]
    assert U.shape == U0.shape and V.shape == V0.shape
    R = P * (M - U @ V.T)
    assert np.linalg.norm(lam * U - R @ V) < 1e-3 and np.linalg.norm(lam * V - R.T @ U) < 1e-3
    assert np.linalg.norm(R) < 0.1 * np.linalg.norm(P * M)  # it fits the observed entries
    assert r.hessian == (None if method is None else "gradient differences")


@pytest.mark.parametrize(("method", "options"), [("trust-ncg", {"gtol": 1e-8}),
                                                  ("Newton-CG", {"xtol": 1e-12}),
                                                  ("trust-krylov", {})])
def test_one_matrix_variable_uses_the_hessian_map(method, options):
    M, P, U0, V0 = _factorization(1)
    r = matdiff.minimize(FACTOR, "U", method, U=U0, V=V0, M=M, P=P, lambda_=0.1,
                         options=options)
    U = r["U"]
    assert r.success and r.hessian == "exact"
    tol = 1e-4 if not options else 1e-7
    assert np.linalg.norm(0.1 * U - (P * (M - U @ V0.T)) @ V0) < tol
    # each row of U solves its own ridge problem: the exact answer
    for i in range(U.shape[0]):
        Vi = V0 * P[i][:, None]
        row = np.linalg.solve(Vi.T @ Vi + 0.1 * np.eye(3), Vi.T @ (M[i] * P[i]))
        np.testing.assert_allclose(U[i], row, atol=tol)


@pytest.mark.parametrize("method", [None, "trust-exact", "Newton-CG"])
def test_symmetric_variable_stays_symmetric(method):
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    r = matdiff.minimize("1/2*norm(A*S - B, 'fro')^2 where S: symmetric matrix", "S", method,
                         S=np.eye(4), A=A, B=B)
    S = r["S"]
    assert r.success and np.array_equal(S, S.T)
    # the symmetric least-squares solution: A'(A S - B) has no symmetric part
    G = A.T @ (A @ S - B)
    assert np.abs(G + G.T).max() < 1e-4
    # what the unconstrained solution is not
    assert np.abs(np.linalg.lstsq(A, B, rcond=None)[0] - S).max() > 1e-3


def test_mask_is_data_and_cannot_be_optimized():
    M, P, U0, V0 = _factorization()
    with pytest.raises(matdiff.MatdiffError, match="mask"):
        matdiff.minimize(FACTOR, ["P"], U=U0, V=V0, M=M, P=P, lambda_=0.1)


def test_callback_and_progress(regression):
    X, _, labels = regression
    seen: list[Iterate] = []
    out = io.StringIO()
    r = matdiff.minimize(LOGISTIC, "w", "BFGS", w=np.zeros(8), X=X, y=labels, lambda_=1.0,
                         callback=seen.append, progress=2, progress_file=out)
    assert seen and [it.nit for it in seen] == list(range(1, len(seen) + 1))
    assert seen[-1].values["w"].shape == (8,) and seen[0].fun >= seen[-1].fun
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("minimize: iteration 2  f = ")
    assert lines[-1].startswith(f"minimize: done after {r.nit} iterations")


def test_callback_can_stop(regression):
    X, _, labels = regression
    r = matdiff.minimize(LOGISTIC, "w", "L-BFGS-B", w=np.zeros(8), X=X, y=labels, lambda_=1.0,
                         callback=lambda it: it.nit >= 3)
    assert r.nit == 3 and not r.success


def test_progress_true_prints_to_stdout(regression, capsys):
    X, y, _ = regression
    matdiff.minimize(RIDGE, "w", "CG", w=np.zeros(8), X=X, y=y, lambda_=1.0, progress=True)
    assert "minimize: done after" in capsys.readouterr().out


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"expr": "X*w"}, "needs a scalar function; 'X*w' is vector(n)"),
    ({"drop": "y"}, "no value given for y (vector(n))"),
    ({"extra": {"z": 1.0}}, "names the function does not use: z"),
    ({"wrt": "q"}, "does not depend on 'q'"),
    ({"replace": {"y": np.zeros(150)}}, "the shapes disagree: n = 200"),
    ({"replace": {"X": np.zeros(200)}}, "X is a matrix; its value has shape (200,)"),
    ({"replace": {"lambda": np.ones(3)}}, "lambda is a scalar"),
])
def test_clear_errors(regression, kwargs, message):
    X, y, _ = regression
    values = {"w": np.zeros(8), "X": X, "y": y, "lambda": 1.0}
    values.pop(kwargs.get("drop", ""), None)
    values.update(kwargs.get("extra", {}))
    values.update(kwargs.get("replace", {}))
    with pytest.raises(matdiff.MatdiffError) as info:
        matdiff.minimize(kwargs.get("expr", RIDGE), kwargs.get("wrt", "w"), data=values)
    assert message in info.value.message


def test_symmetric_start_must_be_symmetric():
    with pytest.raises(matdiff.MatdiffShapeError, match="not symmetric"):
        matdiff.minimize("norm(S, 'fro')^2 where S: symmetric matrix", "S",
                         S=np.arange(4.0).reshape(2, 2))


def test_minimize_error_is_a_matdiff_error():
    assert issubclass(MinimizeError, matdiff.MatdiffError)
    with pytest.raises(MinimizeError, match="at least one variable"):
        matdiff.minimize("x'*x", [], x=np.zeros(2))


def test_function_survives_importing_the_module():
    import matdiff.optimize

    assert callable(matdiff.minimize)


def test_vector_hessian_product_is_matrix_free_and_exact(regression):
    from matdiff.optimize import _vector_hessian_product

    X, _, labels = regression
    product, direction = _vector_hessian_product(LOGISTIC, "w")
    assert "X.T @ (" in product.source and "X.T @ ((" not in product.source  # X'*(s.*(X*d))
    rng = np.random.default_rng(3)
    w, v = rng.normal(size=8), rng.normal(size=8)
    s = 1 / (1 + np.exp(-labels * (X @ w)))
    H = X.T @ ((s * (1 - s))[:, None] * X) + np.eye(8)  # labels are +-1
    got = product(X=X, y=labels, w=w, lambda_=1.0, **{direction: v})
    np.testing.assert_allclose(np.ravel(got), H @ v, rtol=1e-10)
