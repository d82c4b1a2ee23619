"""Second derivatives through matrix and spectral functions, against independent oracles:
SciPy's expm with second differences, the pseudo-inverse formula for the derivative of an
eigenvector, and second differences of a symmetric variable's function along symmetric
directions."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

import matdiff
from matdiff.evaluate import evaluate

RNG = np.random.default_rng(11)
N = 4


def _sym(n: int = N) -> np.ndarray:
    b = RNG.standard_normal((n, n))
    return (b + b.T) / 2


def test_second_derivative_of_a_trace_of_expm_by_a_scalar():
    h = matdiff.hessian("tr(expm(t*A)) where t: scalar", "t")
    assert h.text == "tr(A^2*expm(t*A))"
    a, t, e = RNG.standard_normal((N, N)) / 2, 0.7, 1e-4

    def f(s: float) -> float:
        return float(np.trace(sl.expm(s * a)))

    second = (f(t + e) - 2 * f(t) + f(t - e)) / e**2
    got = evaluate(h.expr, {"A": a, "t": np.array([[t]])}, {"n": N})[0, 0]
    assert abs(got - second) < 1e-5 * max(1.0, abs(second))


def test_hessian_of_tr_expm_is_a_frechet_map():
    h = matdiff.hessian("tr(expm(X))", "X")
    assert (h.kind, h.text) == ("map", "dexpm(X, dX)'")
    x, v, e = RNG.standard_normal((N, N)) / 2, RNG.standard_normal((N, N)), 1e-5
    # the gradient is expm(X)', so its derivative along V is dexpm(X, V)'
    numeric = (sl.expm(x + e * v).T - sl.expm(x - e * v).T) / (2 * e)
    got = evaluate(h.expr, {"X": x, "dX": v}, {"n": N})
    assert np.max(np.abs(got - numeric)) < 1e-7 * max(1.0, np.max(np.abs(numeric)))


def test_hessian_of_an_eigenvalue_uses_the_eigenvector_derivative():
    h = matdiff.hessian("eigvals(S)[1] where S: symmetric matrix(4)", "S")
    s, v = _sym(), _sym()
    w, q = np.linalg.eigh(s)
    u = q[:, 0]
    du = np.linalg.pinv(w[0] * np.eye(N) - s) @ v @ u  # d u1 = (w1*I - S)^+ * dS * u1
    expected = np.outer(du, u) + np.outer(u, du)
    assert np.max(np.abs(evaluate(h.map, {"S": s, "dS": v}, {}) - expected)) < 1e-9
    matrix = evaluate(h.expr, {"S": s}, {})
    assert np.allclose(matrix, matrix.T)  # the Hessian of a symmetric variable is symmetric
    assert np.allclose(matrix @ v.reshape(-1, 1, order="F"),
                       expected.reshape(-1, 1, order="F"))


def test_hessian_by_a_symmetric_matrix_is_symmetric():
    # once an internal error: the kron form acted on every direction, not just symmetric ones
    h = matdiff.hessian("1/2*norm(A*S - B, 'fro')^2 where S: symmetric matrix(3), "
                        "A: matrix(5, 3)", "S")
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    s = _sym(3)
    matrix = evaluate(h.expr, {"A": a, "B": b, "S": s}, {})
    assert np.allclose(matrix, matrix.T)

    def f(x: np.ndarray) -> float:
        return 0.5 * float(np.sum((a @ x - b) ** 2))

    e = 1e-4
    for _ in range(3):
        u, v = _sym(3), _sym(3)
        second = (f(s + e * u + e * v) - f(s + e * u - e * v) - f(s - e * u + e * v)
                  + f(s - e * u - e * v)) / (4 * e * e)
        got = (u.reshape(1, -1, order="F") @ matrix @ v.reshape(-1, 1, order="F"))[0, 0]
        assert abs(got - second) < 1e-6 * max(1.0, abs(second))
    assert h.check().passed
