"""A table of differentiation cases, each with an independent NumPy reference.

Every row is one question a user might ask matdiff:

* ``expr``: the function, in the matdiff language (possibly with a ``where`` clause);
* ``wrt``: the variable to differentiate by;
* ``ref``: the same function written by hand with NumPy.  It takes every
  variable as a keyword argument (scalars as 1x1 arrays, vectors as (n, 1)
  columns, matrices as 2-D arrays) and returns the function's value (a scalar
  or an array).  It never calls matdiff: the test differentiates it with
  finite differences, an oracle independent of matdiff's own lowering.
  (``lambda`` is a Python keyword: such references take it through ``**k``.
  A dimension name used as a scalar, the ``N`` of ``X: matrix(N, d)``, arrives
  with the dimension's size as its value);
* ``domain``: where the data is drawn (:func:`matdiff.check.sample_values`):
  ``"normal"`` (default), ``"positive"`` (for log/sqrt of variables) or
  ``"spd"`` (symmetric positive definite square matrices);
* ``expected``: the exact text matdiff must print, given only where it is the
  form a careful human writes (and matdiff prints it);
* ``decls``: keyword declarations (the API's ``A="symmetric matrix"``);
* ``xfail``: a reason, when matdiff is known to be wrong on the case.

``KNOWN_CLUMSY`` at the bottom lists cases whose result is right but printed
otherwise than a careful human would write it: matdiff's form (pinned), the human
form (checked to be equal in value) and the reason matdiff's form stays; the table
does not assert a form for them. ``IMPROVED_FORMS`` asserts the ones that became
the human form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# ----------------------------------------------------------------------------- NumPy helpers
from oracle import (
    det,
    inv,
    la,
    logdet,
    logsumexp,
    norm,
    sigmoid,
    softmax,
    softplus,
    sq,
    tr,
    vec,
)


def relu(x):
    return np.maximum(x, 0.0)


def diag(x):
    """A column vector to a diagonal matrix, a square matrix to its diagonal column."""
    if x.shape[1] == 1:
        return np.diagflat(x)
    return np.diag(x).reshape(-1, 1)


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    expr: str
    wrt: str
    ref: Callable[..., object]
    domain: str = "normal"
    expected: str | None = None
    decls: dict[str, str] = field(default_factory=dict)
    id: str = ""
    xfail: str | None = None


CASES: list[Case] = []


def case(expr: str, wrt: str, ref, expected: str | None = None, *, domain: str = "normal",
         decls: dict[str, str] | None = None, xfail: str | None = None, id: str = "") -> None:
    CASES.append(Case(expr, wrt, ref, domain, expected, dict(decls or {}),
                      id or f"{expr} / d{wrt}", xfail))


# --- the examples table at the end of LANGUAGE.md (all with their reference form)

LSQ = "1/N * norm(X*W - Y, 'fro')^2"
case(LSQ, "W", lambda N, X, W, Y: 1 / N * sq(X @ W - Y), "2/N * X'*(X*W - Y)")

WUV = "norm(W*u - v)^2"
case(WUV, "u", lambda W, u, v: sq(W @ u - v), "2*W'*(W*u - v)")
case(WUV, "v", lambda W, u, v: sq(W @ u - v), "-2*(W*u - v)")
case(WUV, "W", lambda W, u, v: sq(W @ u - v), "2*(W*u - v)*u'")

MF = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
      " where P: mask")


def _mf(P, M, U, V, lambda_):
    return 0.5 * sq(P * (M - U @ V.T)) + lambda_ / 2 * (sq(U) + sq(V))


case(MF, "U", lambda P, M, U, V, **k: _mf(P, M, U, V, k["lambda"]),
     "lambda*U - (P.*(M - U*V'))*V")
case(MF, "V", lambda P, M, U, V, **k: _mf(P, M, U, V, k["lambda"]),
     "lambda*V - (P.*(M - U*V'))'*U")
case("C/2 * sum(W.^2)", "W", lambda C, W: C / 2 * np.sum(W**2), "C*W")
case("x'*A*x", "x", lambda x, A: x.T @ A @ x, "(A + A')*x")
case("x'*A*x where A: symmetric matrix", "x", lambda x, A: x.T @ A @ x, "2*A*x")
case("tr(A*X*B)", "X", lambda A, X, B: tr(A @ X @ B), "A'*B'")
case("logdet(X)", "X", lambda X: logdet(X), "inv(X)'")
case("sum(log(1 + exp(-y.*(X*w))))", "w",
     lambda y, X, w: np.sum(np.log(1 + np.exp(-y * (X @ w)))),
     "-X'*(y.*sigmoid(-y.*(X*w)))")

# --- the seed questions (/work/shared/seeds)

# 1. least squares, N the number of rows of X (a dimension used as a scalar)
LSQ_N = "1/N * norm(X*W - Y, 'fro')^2 where X: matrix(N, d)"
case(LSQ_N, "W", lambda N, X, W, Y: 1 / N * sq(X @ W - Y), "2/N * X'*(X*W - Y)")
case(LSQ_N, "X", lambda N, X, W, Y: 1 / N * sq(X @ W - Y), "2/N * (X*W - Y)*W'")
case(LSQ_N, "Y", lambda N, X, W, Y: 1 / N * sq(X @ W - Y), "-2/N * (X*W - Y)")
case("norm(X*W - Y, 'fro')^2", "W", lambda X, W, Y: sq(X @ W - Y), "2*X'*(X*W - Y)")
# 2. W square n x n, as in the question
WUV_N = "norm(W*u - v, 'fro')^2 where W: matrix(n, n), u, v: vector(n)"
case(WUV_N, "u", lambda W, u, v: sq(W @ u - v), "2*W'*(W*u - v)")
case(WUV_N, "v", lambda W, u, v: sq(W @ u - v), "-2*(W*u - v)")
case(WUV_N, "W", lambda W, u, v: sq(W @ u - v), "2*(W*u - v)*u'")
# 3. masked factorization, the data term alone
MF0 = "1/2*norm(P.*(M - U*V'), 'fro')^2 where P: mask"
case(MF0, "U", lambda P, M, U, V: 0.5 * sq(P * (M - U @ V.T)), "-(P.*(M - U*V'))*V")
case(MF0, "V", lambda P, M, U, V: 0.5 * sq(P * (M - U @ V.T)), "-(P.*(M - U*V'))'*U")
case(MF, "lambda", lambda P, M, U, V, **k: _mf(P, M, U, V, k["lambda"]),
     "(norm(U, 'fro')^2 + norm(V, 'fro')^2)/2")
# 4. column norms: C/2 sum_j ||W e_j||^2
case("C/2*norm(W, 'fro')^2", "W", lambda C, W: C / 2 * sq(W), "C*W")
case("C/2*tr(W'*W)", "W", lambda C, W: C / 2 * tr(W.T @ W), "C*W")
case("C/2 * sum(W.^2)", "C", lambda C, W: C / 2 * np.sum(W**2), "sum(W.^2)/2")

# --- Matrix Cookbook: traces

case("tr(X)", "X", lambda X: tr(X), "eye(n)")
case("tr(A*X)", "X", lambda A, X: tr(A @ X), "A'")
case("tr(X*A)", "X", lambda X, A: tr(X @ A), "A'")
case("tr(X'*A)", "X", lambda X, A: tr(X.T @ A), "A")
case("tr(A*X')", "X", lambda A, X: tr(A @ X.T), "A")
case("tr(A*X'*B)", "X", lambda A, X, B: tr(A @ X.T @ B), "B*A")
case("tr(A*X*B)", "A", lambda A, X, B: tr(A @ X @ B), "B'*X'")
case("tr(X'*A*X)", "X", lambda X, A: tr(X.T @ A @ X), "(A + A')*X")
case("tr(X'*A*X) where A: symmetric matrix", "X", lambda X, A: tr(X.T @ A @ X), "2*A*X")
case("tr(X*A*X')", "X", lambda X, A: tr(X @ A @ X.T), "X*(A + A')")
case("tr(A*X*B*X')", "X", lambda A, X, B: tr(A @ X @ B @ X.T), "A*X*B + A'*X*B'")
case("tr(X*X)", "X", lambda X: tr(X @ X), "2*X'")
case("tr(X'*X)", "X", lambda X: tr(X.T @ X), "2*X")
case("tr(X*X')", "X", lambda X: tr(X @ X.T), "2*X")
case("tr(A*X*X')", "X", lambda A, X: tr(A @ X @ X.T), "(A + A')*X")
case("tr(X'*A*X*B)", "X", lambda X, A, B: tr(X.T @ A @ X @ B), "A*X*B + A'*X*B'")
case("tr(B'*X'*C*X*B)", "X", lambda B, X, C: tr(B.T @ X.T @ C @ X @ B),
     "(C + C')*X*B*B'")
case("tr(A*X*B*X)", "X", lambda A, X, B: tr(A @ X @ B @ X), "A'*X'*B' + B'*X'*A'")
case("tr(X^2)", "X", lambda X: tr(X @ X), "2*X'")
case("tr(X^3)", "X", lambda X: tr(X @ X @ X), "3*X'^2")
case("tr(X^4)", "X", lambda X: tr(la.matrix_power(X, 4)), "4*X'^3")
case("tr(A*X^2)", "X", lambda A, X: tr(A @ X @ X), "A'*X' + X'*A'")
case("tr(inv(X)*A)", "X", lambda X, A: tr(inv(X) @ A), "-inv(X)'*A'*inv(X)'")
case("tr(A*inv(X)*B)", "X", lambda A, X, B: tr(A @ inv(X) @ B), "-inv(X)'*A'*B'*inv(X)'")
case("tr(inv(X))", "X", lambda X: tr(inv(X)), "-inv(X)'^2")
case("tr(X^-1*A)", "X", lambda X, A: tr(inv(X) @ A), "-inv(X)'*A'*inv(X)'")
case("tr(kron(A, X))", "X", lambda A, X: tr(np.kron(A, X)), "tr(A)*eye(m)")
case("tr(kron(X, A))", "X", lambda X, A: tr(np.kron(X, A)), "tr(A)*eye(n)")
case("tr(kron(X, X))", "X", lambda X: tr(np.kron(X, X)), "2*tr(X)*eye(n)")
case("tr(X)^2", "X", lambda X: tr(X) ** 2, "2*tr(X)*eye(n)")
case("tr(A*X)*tr(B*X)", "X", lambda A, X, B: tr(A @ X) * tr(B @ X),
     "tr(A*X)*B' + tr(B*X)*A'")

# --- vectors: quadratic and bilinear forms

case("x'*A*x", "A", lambda x, A: x.T @ A @ x, "x*x'")
case("a'*X*b", "X", lambda a, X, b: a.T @ X @ b, "a*b'")
case("a'*X'*b", "X", lambda a, X, b: a.T @ X.T @ b, "b*a'")
case("a'*X*a", "X", lambda a, X: a.T @ X @ a, "a*a'")
case("x'*x", "x", lambda x: x.T @ x, "2*x")
case("a'*x", "x", lambda a, x: a.T @ x, "a")
case("x'*a", "x", lambda x, a: x.T @ a, "a")
case("x'*A*y", "x", lambda x, A, y: x.T @ A @ y, "A*y")
case("x'*A*y", "y", lambda x, A, y: x.T @ A @ y, "A'*x")
case("b'*X'*X*c", "X", lambda b, X, c: b.T @ X.T @ X @ c, "X*(b*c' + c*b')")
case("a'*X*X'*b", "X", lambda a, X, b: a.T @ X @ X.T @ b, "(a*b' + b*a')*X")
case("(x'*a)^2", "x", lambda x, a: (x.T @ a) ** 2, "2*(x'*a)*a")
case("(a'*x)^3", "x", lambda a, x: (a.T @ x) ** 3, "3*(a'*x)^2*a")
case("(x'*x)^2", "x", lambda x: (x.T @ x) ** 2)
case("1/(x'*x)", "x", lambda x: 1 / (x.T @ x))
case("(x'*A*x)/(x'*x)", "x", lambda x, A: (x.T @ A @ x) / (x.T @ x))
case("x'*inv(A)*x", "x", lambda x, A: x.T @ inv(A) @ x, "(inv(A) + inv(A)')*x")
case("a'*inv(X)*b", "X", lambda a, X, b: a.T @ inv(X) @ b, "-inv(X)'*a*b'*inv(X)'")
case("(A*x - b)'*(A*x - b)", "x", lambda A, x, b: (A @ x - b).T @ (A @ x - b),
     "2*A'*(A*x - b)")
case("(x - a)'*A*(x - a) where A: symmetric matrix", "x",
     lambda x, a, A: (x - a).T @ A @ (x - a), "2*A*(x - a)")

# --- determinants and inverses

case("det(X)", "X", lambda X: det(X), "det(X)*inv(X)'")
case("det(A*X*B) where A, X, B: matrix(n, n)", "X", lambda A, X, B: det(A @ X @ B))
case("det(X)^2", "X", lambda X: det(X) ** 2, "2*det(X)^2*inv(X)'")
case("log(det(X))", "X", lambda X: np.log(det(X)), "inv(X)'", domain="spd")
case("logdet(X) where X: symmetric matrix", "X", lambda X: logdet(X), "inv(X)", domain="spd")
case("logdet(A + X)", "X", lambda A, X: logdet(A + X), "inv(A + X)'", domain="spd")
case("logdet(X'*X) where X: matrix(7, 3)", "X", lambda X: logdet(X.T @ X), "2*X*inv(X'*X)")
case("logdet(A*X*B) where A, X, B: matrix(n, n)", "X", lambda A, X, B: logdet(A @ X @ B))
case("sum(inv(X))", "X", lambda X: np.sum(inv(X)), "-inv(X)'*ones(n, n)*inv(X)'")
case("a'*inv(X)*a", "X", lambda a, X: a.T @ inv(X) @ a, "-inv(X)'*a*a'*inv(X)'")
case("tr(inv(X)*A) where X: symmetric matrix", "X", lambda X, A: tr(inv(X) @ A),
     "-inv(X)*(A + A')*inv(X)/2", domain="spd")
case("norm(inv(X), 'fro')^2", "X", lambda X: sq(inv(X)), "-2*inv(X)'*inv(X)*inv(X)'")

# --- matrix powers

case("a'*X^2*b", "X", lambda a, X, b: a.T @ X @ X @ b, "a*b'*X' + X'*a*b'")
case("sum(X^2)", "X", lambda X: np.sum(X @ X),
     "X'*ones(n, n) + ones(n, n)*X'")
case("norm(X^2, 'fro')^2", "X", lambda X: sq(X @ X), "2*(X'*X^2 + X^2*X')")
case("tr(X^-1)", "X", lambda X: tr(inv(X)), "-inv(X)'^2")
case("x'*A^3*x", "x", lambda x, A: x.T @ la.matrix_power(A, 3) @ x, "(A^3 + A'^3)*x")
case("tr(A*X^3)", "X", lambda A, X: tr(A @ X @ X @ X), "A'*X'^2 + X'^2*A' + X'*A'*X'")

# --- norms

case("norm(x)", "x", lambda x: norm(x), "x/norm(x)")
case("norm(x)^2", "x", lambda x: sq(x), "2*x")
case("norm(x)^3", "x", lambda x: norm(x) ** 3, "3*norm(x)*x")
case("norm(x - a)", "x", lambda x, a: norm(x - a), "(x - a)/norm(x - a)")
case("norm(A*x - b)^2", "x", lambda A, x, b: sq(A @ x - b), "2*A'*(A*x - b)")
case("norm(A*x - b)", "x", lambda A, x, b: norm(A @ x - b), "A'*(A*x - b)/norm(A*x - b)")
case("norm(x, 2)^2", "x", lambda x: sq(x), "2*x")
case("norm2(x)", "x", lambda x: norm(x), "x/norm(x)")
case("norm(x, 1)", "x", lambda x: np.sum(np.abs(x)), "sign(x)")
case("norm1(X)", "X", lambda X: np.sum(np.abs(X)), "sign(X)")
case("norm(X, 'fro')", "X", lambda X: norm(X), "X/norm(X, 'fro')")
case("norm(X, 'fro')^2", "X", lambda X: sq(X), "2*X")
case("norm(X - A, 'fro')^2", "X", lambda X, A: sq(X - A), "2*(X - A)")
case("norm(A*X*B, 'fro')^2", "X", lambda A, X, B: sq(A @ X @ B), "2*A'*A*X*B*B'")
case("norm(X*a)^2", "X", lambda X, a: sq(X @ a), "2*X*a*a'")
case("norm(X'*a - b)^2", "X", lambda X, a, b: sq(X.T @ a - b), "2*a*(a'*X - b')")
case("norm(x)^-1", "x", lambda x: 1 / norm(x), "-x/norm(x)^3")
case("sqrt(x'*x + 1)", "x", lambda x: np.sqrt(x.T @ x + 1))

# --- Hadamard products and quotients

case("sum(A.*X)", "X", lambda A, X: np.sum(A * X), "A")
case("sum(X.*X)", "X", lambda X: np.sum(X * X), "2*X")
case("sum(A.*X.*X)", "X", lambda A, X: np.sum(A * X * X), "2*(A.*X)")
case("x'*(a.*x)", "x", lambda x, a: x.T @ (a * x), "2*(x.*a)")
case("a'*(x.*y)", "x", lambda a, x, y: a.T @ (x * y), "a.*y")
case("tr(A*(X.*B))", "X", lambda A, X, B: tr(A @ (X * B)), "A'.*B")
case("norm(A.*X - B, 'fro')^2", "X", lambda A, X, B: sq(A * X - B), "2*(A.*(A.*X - B))")
case("sum(X./A)", "X", lambda X, A: np.sum(X / A), "1./A")
case("sum(A./X)", "X", lambda A, X: np.sum(A / X), "-A./X.^2")
case("sum(x./y)", "y", lambda x, y: np.sum(x / y), "-x./y.^2")
case("sum(x./y)", "x", lambda x, y: np.sum(x / y), "1./y")
case("a'*(x./(1 + x.^2))", "x", lambda a, x: a.T @ (x / (1 + x**2)))
case("sum(X.^3)", "X", lambda X: np.sum(X**3), "3*X.^2")
case("sum(x.^-1)", "x", lambda x: np.sum(1 / x), "-1./x.^2")
case("sum(X.^0.5)", "X", lambda X: np.sum(np.sqrt(X)), domain="positive")
case("sum((A*X).*(B*X))", "X", lambda A, X, B: np.sum((A @ X) * (B @ X)),
     "(A'*B + B'*A)*X")
case("x'*(A.*B)*x", "x", lambda x, A, B: x.T @ (A * B) @ x, "(A.*B + (A.*B)')*x")
case("norm(x.*y)^2", "x", lambda x, y: sq(x * y), "2*(x.*y.^2)")

# --- diag, both ways

case("tr(diag(x)*A)", "x", lambda x, A: tr(diag(x) @ A), "diag(A)")
case("a'*diag(x)*b", "x", lambda a, x, b: a.T @ diag(x) @ b, "a.*b")
case("x'*diag(a)*x", "x", lambda x, a: x.T @ diag(a) @ x, "2*(x.*a)")
case("sum(diag(X))", "X", lambda X: np.sum(diag(X)), "eye(n)")
case("diag(X)'*a", "X", lambda X, a: diag(X).T @ a, "diag(a)")
case("norm(diag(X))^2", "X", lambda X: sq(diag(X)), "2*diag(diag(X))")
case("sum(diag(x)*A)", "x", lambda x, A: np.sum(diag(x) @ A))
case("tr(diag(x)*A*diag(x))", "x", lambda x, A: tr(diag(x) @ A @ diag(x)))
case("a'*diag(A*X)", "X", lambda a, A, X: a.T @ diag(A @ X), "A'*diag(a)")
case("norm(diag(x)*A - B, 'fro')^2", "x", lambda x, A, B: sq(diag(x) @ A - B),
     "2*diag((diag(x)*A - B)*A')")
case("sum(log(diag(X)))", "X", lambda X: np.sum(np.log(diag(X))), "diag(1./diag(X))",
     domain="positive")

# --- Kronecker products

KRON = ("UnsupportedError: a gradient through kron(...) is supported only when the kron is used "
        "in a quadratic form x'*kron(A, B)*y")

case("sum(kron(A, X))", "X", lambda A, X: np.sum(np.kron(A, X)),)
case("norm(kron(a, x))^2", "x", lambda a, x: sq(np.kron(a, x)),)
case("vec(Y)'*kron(A, B)*vec(X)", "X", lambda Y, A, B, X: vec(Y).T @ np.kron(A, B) @ vec(X))
case("x'*kron(A, B)*x", "x", lambda x, A, B: x.T @ np.kron(A, B) @ x,
     "(kron(A, B) + kron(A', B'))*x")
case("tr(kron(A, B)*kron(X, C))", "X", lambda A, B, X, C: tr(np.kron(A, B) @ np.kron(X, C)),)
case("norm(kron(X, A), 'fro')^2", "X", lambda X, A: sq(np.kron(X, A)),)

# --- vec

case("vec(X)'*vec(X)", "X", lambda X: vec(X).T @ vec(X), "2*X")
case("vec(A)'*vec(X)", "X", lambda A, X: vec(A).T @ vec(X), "A")
case("norm(vec(X))^2", "X", lambda X: sq(vec(X)), "2*X")
case("vec(X')'*vec(A)", "X", lambda X, A: vec(X.T).T @ vec(A), "A'")
case("vec(X)'*A*vec(X)", "X", lambda X, A: vec(X).T @ A @ vec(X),
     "reshape((A + A')*vec(X), n, m)")
case("a'*vec(X)", "X", lambda a, X: a.T @ vec(X), "reshape(a, n, m)")
case("vec(X)'*vec(A*X*B)", "X", lambda X, A, B: vec(X).T @ vec(A @ X @ B),
     "A*X*B + A'*X*B'")

# --- elementwise functions: sum(f(x)), a'*f(W*x) by W, the Jacobian of f(x), sum(f(X));
#     abs, sign and relu are differentiated at generic points (the data has no zero entries)
#     (name, NumPy function, domain, the four expected forms; None: not asserted)

ELEMENTWISE = [
    ("exp", np.exp, "normal",
     "exp(x)", "(a.*exp(W*x))*x'", "diag(exp(x))", "exp(X)"),
    ("log", np.log, "positive",
     "1./x", "(a./(W*x))*x'", "diag(1./x)", "1./X"),
    ("sin", np.sin, "normal",
     "cos(x)", "(a.*cos(W*x))*x'", "diag(cos(x))", "cos(X)"),
    ("cos", np.cos, "normal",
     "-sin(x)", "-(a.*sin(W*x))*x'", "-diag(sin(x))", "-sin(X)"),
    ("tan", np.tan, "normal",
     "1 + tan(x).^2", "(a.*(1 + tan(W*x).^2))*x'", None, "1 + tan(X).^2"),
    ("tanh", np.tanh, "normal",
     "1 - tanh(x).^2", "(a.*(1 - tanh(W*x).^2))*x'", None, "1 - tanh(X).^2"),
    ("sinh", np.sinh, "normal",
     "cosh(x)", "(a.*cosh(W*x))*x'", "diag(cosh(x))", "cosh(X)"),
    ("cosh", np.cosh, "normal",
     "sinh(x)", "(a.*sinh(W*x))*x'", "diag(sinh(x))", "sinh(X)"),
    ("sqrt", np.sqrt, "positive",
     "1./(2*sqrt(x))", "(a./sqrt(W*x))*x'/2", "diag(1./sqrt(x))/2", "1./(2*sqrt(X))"),
    ("abs", np.abs, "normal",
     "sign(x)", "(a.*sign(W*x))*x'", "diag(sign(x))", "sign(X)"),
    ("sign", np.sign, "normal",
     "zeros(n)", "zeros(n, m)", "zeros(n, n)", "zeros(n, m)"),
    ("sigmoid", sigmoid, "normal",
     "sigmoid(x).*(1 - sigmoid(x))", "(a.*sigmoid(W*x).*(1 - sigmoid(W*x)))*x'",
     "diag(sigmoid(x).*(1 - sigmoid(x)))", "sigmoid(X).*(1 - sigmoid(X))"),
    ("softplus", softplus, "normal",
     "sigmoid(x)", "(a.*sigmoid(W*x))*x'", "diag(sigmoid(x))", "sigmoid(X)"),
    ("relu", relu, "normal",  # the step function, written sign(relu(.))
     "sign(relu(x))", "(a.*sign(relu(W*x)))*x'", "diag(sign(relu(x)))", "sign(relu(X))"),
]

for _name, _f, _dom, _e_sum, _e_w, _e_jac, _e_mat in ELEMENTWISE:
    case(f"sum({_name}(x))", "x", lambda x, f=_f: np.sum(f(x)), _e_sum, domain=_dom)
    case(f"a'*{_name}(W*x)", "W", lambda a, W, x, f=_f: a.T @ f(W @ x), _e_w, domain=_dom)
    case(f"{_name}(x)", "x", lambda x, f=_f: f(x), _e_jac, domain=_dom)
    case(f"sum({_name}(X))", "X", lambda X, f=_f: np.sum(f(X)), _e_mat, domain=_dom)

# --- softmax and logsumexp

case("logsumexp(x)", "x", lambda x: logsumexp(x), "softmax(x)")
case("logsumexp(W*x)", "W", lambda W, x: logsumexp(W @ x), "softmax(W*x)*x'")
case("logsumexp(W*x)", "x", lambda W, x: logsumexp(W @ x), "W'*softmax(W*x)")
case("logsumexp(x) - y'*x", "x", lambda x, y: logsumexp(x) - y.T @ x, "softmax(x) - y")
case("softmax(x)", "x", lambda x: softmax(x),
     "diag(softmax(x)) - softmax(x)*softmax(x)'")
case("a'*softmax(x)", "x", lambda a, x: a.T @ softmax(x),
     "a.*softmax(x) - softmax(x)*softmax(x)'*a")
case("softmax(W*x)", "x", lambda W, x: softmax(W @ x),
     "(diag(softmax(W*x)) - softmax(W*x)*softmax(W*x)')*W")
case("log(softmax(x))", "x", lambda x: np.log(softmax(x)), "eye(n) - ones(n)*softmax(x)'")
case("logsumexp(A*x + b)", "b", lambda A, x, b: logsumexp(A @ x + b), "softmax(A*x + b)")
case("norm(softmax(x) - y)^2", "x", lambda x, y: sq(softmax(x) - y))

# --- symmetric variables (gradient (G + G')/2)

SYM = " where S: symmetric matrix"
case("x'*S*x" + SYM, "S", lambda x, S: x.T @ S @ x, "x*x'")
case("a'*S*b" + SYM, "S", lambda a, S, b: a.T @ S @ b, "(a*b' + b*a')/2")
case("tr(S*A)" + SYM, "S", lambda S, A: tr(S @ A), "(A + A')/2")
case("tr(S*S)" + SYM, "S", lambda S: tr(S @ S), "2*S")
case("tr(S^3)" + SYM, "S", lambda S: tr(S @ S @ S), "3*S^2")
case("logdet(S)" + SYM, "S", lambda S: logdet(S), "inv(S)", domain="spd")
case("det(S)" + SYM, "S", lambda S: det(S), "det(S)*inv(S)", domain="spd")
case("norm(S - A, 'fro')^2" + SYM, "S", lambda S, A: sq(S - A), "2*S - A - A'")
case("x'*inv(S)*x" + SYM, "x", lambda x, S: x.T @ inv(S) @ x, "2*inv(S)*x", domain="spd")
case("x'*inv(S)*x" + SYM, "S", lambda x, S: x.T @ inv(S) @ x, "-inv(S)*x*x'*inv(S)",
     domain="spd")
case("tr(A*S*B*S)" + SYM, "S", lambda A, S, B: tr(A @ S @ B @ S),
     "(A*S*B + A'*S*B' + B*S*A + B'*S*A')/2")
case("sum(S)" + SYM, "S", lambda S: np.sum(S), "ones(n, n)")
case("x'*S*x", "x", lambda x, S: x.T @ S @ x, "2*S*x", decls={"S": "symmetric matrix"})
case("tr(S*X'*X)" + SYM, "X", lambda S, X: tr(S @ X.T @ X), "2*X*S")
case("sum(S.*S)", "S", lambda S: np.sum(S * S), "2*S", decls={"S": "symmetric matrix(4)"})

# --- masks (P.*P = P)

MASK = " where P: mask"
case("sum(P.*X)" + MASK, "X", lambda P, X: np.sum(P * X), "P")
case("norm(P.*(X - A), 'fro')^2" + MASK, "X", lambda P, X, A: sq(P * (X - A)),
     "2*(P.*(X - A))")
case("norm(P.*X, 'fro')^2" + MASK, "X", lambda P, X: sq(P * X), "2*(P.*X)")
case("tr(A'*(P.*X))" + MASK, "X", lambda A, P, X: tr(A.T @ (P * X)), "A.*P")
case("1/2*norm(P.*(U*V' - M), 'fro')^2" + MASK, "U",
     lambda P, U, V, M: 0.5 * sq(P * (U @ V.T - M)), "(P.*(U*V' - M))*V")
case("sum(P.*exp(X))" + MASK, "X", lambda P, X: np.sum(P * np.exp(X)), "P.*exp(X)")
case("norm(P.*(A*X*B - M), 'fro')^2" + MASK, "X",
     lambda P, A, X, B, M: sq(P * (A @ X @ B - M)), "2*A'*(P.*(A*X*B - M))*B'")

# --- machine-learning losses

RIDGE = "norm(X*w - y)^2 + lambda*norm(w)^2"
case(RIDGE, "w", lambda X, w, y, **k: sq(X @ w - y) + k["lambda"] * sq(w),
     "2*(X'*(X*w - y) + lambda*w)")
case(RIDGE, "lambda", lambda X, w, y, **k: sq(X @ w - y) + k["lambda"] * sq(w), "norm(w)^2")
case("1/2*norm(X*w - y)^2 + lambda/2*norm(w)^2", "w",
     lambda X, w, y, **k: 0.5 * sq(X @ w - y) + k["lambda"] / 2 * sq(w),
     "X'*(X*w - y) + lambda*w")
case("norm(X*W - Y, 'fro')^2 + lambda*norm(W, 'fro')^2", "W",
     lambda X, W, Y, **k: sq(X @ W - Y) + k["lambda"] * sq(W), "2*(X'*(X*W - Y) + lambda*W)")
case("1/2*norm(X*w - y)^2 + lambda*norm(w, 1)", "w",
     lambda X, w, y, **k: 0.5 * sq(X @ w - y) + k["lambda"] * np.sum(np.abs(w)),
     "X'*(X*w - y) + lambda*sign(w)")
case("1/2*norm(X*w - y)^2 + lambda*norm1(w) + mu/2*norm(w)^2", "w",
     lambda X, w, y, mu, **k: 0.5 * sq(X @ w - y) + k["lambda"] * np.sum(np.abs(w))
     + mu / 2 * sq(w), "X'*(X*w - y) + lambda*sign(w) + mu*w")
case("sum((X*w - y).^2)", "w", lambda X, w, y: np.sum((X @ w - y) ** 2), "2*X'*(X*w - y)")
case("norm(X*w - y, 1)", "w", lambda X, w, y: np.sum(np.abs(X @ w - y)), "X'*sign(X*w - y)")
case("(X*w - y)'*D*(X*w - y) where D: symmetric matrix", "w",
     lambda X, w, y, D: (X @ w - y).T @ D @ (X @ w - y), "2*X'*D*(X*w - y)")
# logistic regression
case("sum(softplus(-y.*(X*w)))", "w", lambda y, X, w: np.sum(softplus(-y * (X @ w))),
     "-X'*(y.*sigmoid(-y.*(X*w)))")
case("sum(log(1 + exp(-y.*(X*w)))) + lambda/2*norm(w)^2", "w",
     lambda y, X, w, **k: np.sum(np.log(1 + np.exp(-y * (X @ w)))) + k["lambda"] / 2 * sq(w),
     "lambda*w - X'*(y.*sigmoid(-y.*(X*w)))")
case("-sum(log(sigmoid(y.*(X*w))))", "w", lambda y, X, w: -np.sum(np.log(sigmoid(y * (X @ w)))),
     "-X'*(y.*(1 - sigmoid(y.*(X*w))))")
case("-y'*log(sigmoid(X*w)) - (1 - y)'*log(1 - sigmoid(X*w))", "w",
     lambda y, X, w: -y.T @ np.log(sigmoid(X @ w)) - (1 - y).T @ np.log(1 - sigmoid(X @ w)))
case("sum(exp(X*w) - y.*(X*w))", "w", lambda X, w, y: np.sum(np.exp(X @ w) - y * (X @ w)),
     "X'*(exp(X*w) - y)")
# hinge losses (generic points: no margin exactly 1)
case("sum(relu(1 - y.*(X*w)))", "w", lambda y, X, w: np.sum(relu(1 - y * (X @ w))),
     "-X'*(y.*sign(relu(1 - y.*(X*w))))")
case("sum(relu(1 - y.*(X*w)).^2)", "w", lambda y, X, w: np.sum(relu(1 - y * (X @ w)) ** 2))
# softmax cross-entropy
CE = "-y'*log(softmax(W*x))"
case(CE, "W", lambda y, W, x: -y.T @ np.log(softmax(W @ x)), "(sum(y)*softmax(W*x) - y)*x'")
case(CE, "x", lambda y, W, x: -y.T @ np.log(softmax(W @ x)), "W'*(sum(y)*softmax(W*x) - y)")
case("logsumexp(W*x) - y'*W*x", "W", lambda W, x, y: logsumexp(W @ x) - y.T @ W @ x,
     "(softmax(W*x) - y)*x'")
case("-sum(y.*log(p))", "p", lambda y, p: -np.sum(y * np.log(p)), "-y./p", domain="positive")
case("sum(p.*log(p./q))", "p", lambda p, q: np.sum(p * np.log(p / q)),
     domain="positive")
case("sum(p.*log(p./q))", "q", lambda p, q: np.sum(p * np.log(p / q)),
     domain="positive")
case("-sum(x.*log(x))", "x", lambda x: -np.sum(x * np.log(x)), "-1 - log(x)",
     domain="positive")
# Gaussian log-likelihood, in the mean, the covariance and the precision
GM = " where mu: vector, S: symmetric matrix"
case("1/2*(x - mu)'*inv(S)*(x - mu)" + GM, "mu",
     lambda x, mu, S: 0.5 * (x - mu).T @ inv(S) @ (x - mu), "-inv(S)*(x - mu)", domain="spd")
G2 = "-1/2*logdet(S) + 1/2*(x - mu)'*inv(S)*(x - mu)" + GM
case(G2, "S", lambda x, mu, S: -0.5 * logdet(S) + 0.5 * (x - mu).T @ inv(S) @ (x - mu),
     "(-inv(S) - inv(S)*(x - mu)*(x - mu)'*inv(S))/2", domain="spd")
case(G2, "mu", lambda x, mu, S: -0.5 * logdet(S) + 0.5 * (x - mu).T @ inv(S) @ (x - mu),
     "-inv(S)*(x - mu)", domain="spd")
G3 = "1/2*logdet(S) + 1/2*(x - mu)'*inv(S)*(x - mu)" + GM
case(G3, "S", lambda x, mu, S: 0.5 * logdet(S) + 0.5 * (x - mu).T @ inv(S) @ (x - mu),
     "(inv(S) - inv(S)*(x - mu)*(x - mu)'*inv(S))/2", domain="spd")
G3G = "1/2*logdet(S) + 1/2*(x - mu)'*inv(S)*(x - mu) where mu: vector"
case(G3G, "S", lambda x, mu, S: 0.5 * logdet(S) + 0.5 * (x - mu).T @ inv(S) @ (x - mu),
     "(inv(S)' - inv(S)'*(x - mu)*(x - mu)'*inv(S)')/2", domain="spd")
GK = "-1/2*logdet(K) + 1/2*(x - mu)'*K*(x - mu) where mu: vector, K: symmetric matrix"
case(GK, "K", lambda x, mu, K: -0.5 * logdet(K) + 0.5 * (x - mu).T @ K @ (x - mu),
     "((x - mu)*(x - mu)' - inv(K))/2", domain="spd")
case(GK, "mu", lambda x, mu, K: -0.5 * logdet(K) + 0.5 * (x - mu).T @ K @ (x - mu),
     "-K*(x - mu)", domain="spd")
GN = "N/2*logdet(S) + 1/2*tr(X*inv(S)*X') where X: matrix(N, d), S: symmetric matrix"
case(GN, "S", lambda N, X, S: N / 2 * logdet(S) + 0.5 * tr(X @ inv(S) @ X.T),
     "(N*inv(S) - inv(S)*X'*X*inv(S))/2", domain="spd")
# smooth robust losses
case("sum(sqrt(1 + (X*w - y).^2))", "w", lambda X, w, y: np.sum(np.sqrt(1 + (X @ w - y) ** 2)),
     "X'*((X*w - y)./sqrt(1 + (X*w - y).^2))")
case("sum(log(cosh(X*w - y)))", "w", lambda X, w, y: np.sum(np.log(np.cosh(X @ w - y))))
case("sum(sqrt(delta^2 + r.^2) - delta)", "r",
     lambda delta, r: np.sum(np.sqrt(delta**2 + r**2) - delta), "r./sqrt(delta^2 + r.^2)")
# two-layer networks
NN = "norm(W2*tanh(W1*x) - y)^2"
case(NN, "W2", lambda W1, W2, x, y: sq(W2 @ np.tanh(W1 @ x) - y),
     "2*(W2*tanh(W1*x) - y)*tanh(W1*x)'")
case(NN, "W1", lambda W1, W2, x, y: sq(W2 @ np.tanh(W1 @ x) - y),
     "2*((W2'*(W2*tanh(W1*x) - y)).*(1 - tanh(W1*x).^2))*x'")
NNS = "norm(W2*sigmoid(W1*x + b) - y)^2"
case(NNS, "W1", lambda W1, W2, x, b, y: sq(W2 @ sigmoid(W1 @ x + b) - y),
     "2*((W2'*(W2*sigmoid(W1*x + b) - y)).*sigmoid(W1*x + b).*(1 - sigmoid(W1*x + b)))*x'")
case(NNS, "b", lambda W1, W2, x, b, y: sq(W2 @ sigmoid(W1 @ x + b) - y),
     "2*((W2'*(W2*sigmoid(W1*x + b) - y)).*sigmoid(W1*x + b).*(1 - sigmoid(W1*x + b)))")
case("norm(W2*relu(W1*x) - y)^2", "W1", lambda W1, W2, x, y: sq(W2 @ relu(W1 @ x) - y),
     "2*((W2'*(W2*relu(W1*x) - y)).*sign(relu(W1*x)))*x'")
case("-y'*log(softmax(W2*tanh(W1*x)))", "W2",
     lambda y, W1, W2, x: -y.T @ np.log(softmax(W2 @ np.tanh(W1 @ x))),
     "(sum(y)*softmax(W2*tanh(W1*x)) - y)*tanh(W1*x)'")
# PCA, factorization, trace regularizers
case("norm(X - U*U'*X, 'fro')^2", "U", lambda X, U: sq(X - U @ U.T @ X),
     "-2*(X*(X - U*U'*X)' + (X - U*U'*X)*X')*U")
case("norm(X - W*H, 'fro')^2", "W", lambda X, W, H: sq(X - W @ H), "-2*(X - W*H)*H'")
case("norm(X - W*H, 'fro')^2", "H", lambda X, W, H: sq(X - W @ H), "-2*W'*(X - W*H)")
case("tr(U'*A*U) where A: symmetric matrix", "U", lambda U, A: tr(U.T @ A @ U), "2*A*U")
case("tr(W'*L*W) where L: symmetric matrix", "W", lambda W, L: tr(W.T @ L @ W), "2*L*W")
case("lambda*tr(W'*W)", "W", lambda W, **k: k["lambda"] * tr(W.T @ W), "2*lambda*W")
case("norm(X*W - Y, 'fro')^2 + lambda*tr(W'*L*W) where L: symmetric matrix", "W",
     lambda X, W, Y, L, **k: sq(X @ W - Y) + k["lambda"] * tr(W.T @ L @ W),
     "2*(X'*(X*W - Y) + lambda*L*W)")
# Mahalanobis distances
MAHA = "(x - y)'*M*(x - y)"
case(MAHA, "x", lambda x, y, M: (x - y).T @ M @ (x - y), "(M + M')*(x - y)")
case(MAHA, "M", lambda x, y, M: (x - y).T @ M @ (x - y), "(x - y)*(x - y)'")
case("sqrt((x - y)'*M*(x - y)) where M: symmetric matrix", "x",
     lambda x, y, M: np.sqrt((x - y).T @ M @ (x - y)),
     "M*(x - y)/sqrt((x - y)'*M*(x - y))", domain="spd")
case("(x - y)'*L'*L*(x - y)", "L", lambda x, y, L: (x - y).T @ L.T @ L @ (x - y),
     "2*L*(x - y)*(x - y)'")
# derivatives by scalars (alpha, lambda)
ALPHA = "norm(y - alpha*X*w)^2"
case(ALPHA, "alpha", lambda y, alpha, X, w: sq(y - alpha * X @ w))
case(ALPHA, "w", lambda y, alpha, X, w: sq(y - alpha * X @ w), "-2*alpha*X'*(y - alpha*X*w)")
case("lambda/2*norm(w)^2", "lambda", lambda w, **k: k["lambda"] / 2 * sq(w), "norm(w)^2/2")
case("lambda/2*norm(w)^2", "w", lambda w, **k: k["lambda"] / 2 * sq(w), "lambda*w")
case("exp(-beta*norm(x - y)^2)", "beta", lambda beta, x, y: np.exp(-beta * sq(x - y)),
     "-exp(-beta*norm(x - y)^2)*norm(x - y)^2")
case("sum(log(1 + exp(-y.*(X*w)/sigma)))", "sigma",
     lambda y, X, w, sigma: np.sum(np.log(1 + np.exp(-y * (X @ w) / sigma))))
# dimension names used as scalars
DN = "1/(2*N)*norm(X*w - y)^2 where X: matrix(N, d)"
case(DN, "w", lambda N, X, w, y: 1 / (2 * N) * sq(X @ w - y), "X'*(X*w - y)/N")
case(DN, "N", lambda N, X, w, y: 1 / (2 * N) * sq(X @ w - y), "-norm(X*w - y)^2/(2*N^2)")
case("sum(log(1 + exp(-y.*(X*w))))/N where X: matrix(N, d)", "w",
     lambda y, X, w, N: np.sum(np.log(1 + np.exp(-y * (X @ w)))) / N,
     "-X'*(y.*sigmoid(-y.*(X*w)))/N")
case("1/n*norm(x)^2 where x: vector(n)", "x", lambda n, x: sq(x) / n, "2/n * x")
case("norm(X, 'fro')^2/(m*n) where X: matrix(m, n)", "X", lambda m, n, X: sq(X) / (m * n),
     "2/(m*n) * X")
case("1/N*sum(X*w) where X: matrix(N, d)", "w", lambda N, X, w: np.sum(X @ w) / N,
     "X'*ones(N)/N")

# --- Jacobians of vectors by vectors

case("A*x", "x", lambda A, x: A @ x, "A")
case("x", "x", lambda x: x, "eye(n)")
case("A*x + b", "b", lambda A, x, b: A @ x + b, "eye(n)")
case("X'*a", "a", lambda X, a: X.T @ a, "X'")
case("X'*a where X: matrix", "a", lambda X, a: X.T @ a, "X'")
case("inv(A)*x", "x", lambda A, x: inv(A) @ x, "inv(A)")
case("sigmoid(W*x)", "x", lambda W, x: sigmoid(W @ x),
     "diag(sigmoid(W*x).*(1 - sigmoid(W*x)))*W")
case("tanh(W*x + b)", "b", lambda W, x, b: np.tanh(W @ x + b))
case("x.*y", "x", lambda x, y: x * y, "diag(y)")
case("x.*y", "y", lambda x, y: x * y, "diag(x)")
case("diag(x)*y", "x", lambda x, y: diag(x) @ y, "diag(y)")
case("diag(x)*y", "y", lambda x, y: diag(x) @ y, "diag(x)")
case("norm(x)*x", "x", lambda x: norm(x) * x, "norm(x)*eye(n) + x*x'/norm(x)")
case("x*(x'*a)", "x", lambda x, a: x * (x.T @ a), "x*a' + (x'*a)*eye(n)")
case("x/norm(x)", "x", lambda x: x / norm(x), "eye(n)/norm(x) - x*x'/norm(x)^3")
case("x.^2", "x", lambda x: x**2, "2*diag(x)")
case("A*(x.*x)", "x", lambda A, x: A @ (x * x), "2*A*diag(x)")
case("(A*x).*(B*x)", "x", lambda A, x, B: (A @ x) * (B @ x), "diag(A*x)*B + diag(B*x)*A")
case("kron(a, x)", "x", lambda a, x: np.kron(a, x), "kron(a, eye(m))")
case("vec(x*a')", "x", lambda x, a: vec(x @ a.T), "kron(a, eye(n))")
case("X*a", "a", lambda X, a: X @ a, "X")
case("exp(A*x)", "x", lambda A, x: np.exp(A @ x), "diag(exp(A*x))*A")
case("W2*tanh(W1*x)", "x", lambda W2, W1, x: W2 @ np.tanh(W1 @ x))
case("softmax(x) - y", "x", lambda x, y: softmax(x) - y,
     "diag(softmax(x)) - softmax(x)*softmax(x)'")
case("S*x where S: symmetric matrix", "x", lambda S, x: S @ x, "S")
case("x - a*(a'*x)", "x", lambda x, a: x - a * (a.T @ x), "eye(n) - a*a'")
case("(x'*x)*x", "x", lambda x: (x.T @ x) * x)

# --- derivatives of vectors and matrices by scalars (entrywise)

TS = " where t: scalar"
case("exp(t)*A" + TS, "t", lambda t, A: np.exp(t) * A, "exp(t)*A")
case("A + t*B" + TS, "t", lambda A, t, B: A + t * B, "B")
case("inv(A + t*B)" + TS, "t", lambda A, t, B: inv(A + t * B),
     "-inv(A + t*B)*B*inv(A + t*B)")
case("t^2*x" + TS, "t", lambda t, x: t**2 * x, "2*t*x")
case("sin(t)*A + cos(t)*B" + TS, "t", lambda t, A, B: np.sin(t) * A + np.cos(t) * B,
     "cos(t)*A - sin(t)*B")
case("exp(t*a)" + TS, "t", lambda t, a: np.exp(t * a), "exp(t*a).*a")
case("(A + t*B)^2" + TS, "t", lambda A, t, B: la.matrix_power(A + t * B, 2),
     "(A + t*B)*B + B*(A + t*B)")
case("x/t" + TS, "t", lambda x, t: x / t, "-x/t^2")
case("sigmoid(t*x)" + TS, "t", lambda t, x: sigmoid(t * x),
     "sigmoid(t*x).*(1 - sigmoid(t*x)).*x")
case("(A + t*B)*x" + TS, "t", lambda A, t, B, x: (A + t * B) @ x, "B*x")
case("alpha*X", "alpha", lambda alpha, X: alpha * X, "X")
case("det(A + t*B)" + TS, "t", lambda A, t, B: det(A + t * B),
     "det(A + t*B)*tr(inv(A + t*B)*B)")
case("logdet(A + t*B)" + TS, "t", lambda A, t, B: logdet(A + t * B), "tr(inv(A + t*B)*B)")
case("tr(inv(A + t*B))" + TS, "t", lambda A, t, B: tr(inv(A + t * B)),
     "-tr(inv(A + t*B)*B*inv(A + t*B))")
case("norm(x - t*y)^2" + TS, "t", lambda x, t, y: sq(x - t * y))
case("x'*(A + t*B)*x" + TS, "t", lambda x, A, t, B: x.T @ (A + t * B) @ x, "x'*B*x")
case("exp(t*A)" + TS, "t", lambda t, A: np.exp(t * A), "exp(t*A).*A")
case("(A + t*B)'" + TS, "t", lambda A, t, B: (A + t * B).T, "B'")
case("t*inv(A)" + TS, "t", lambda t, A: t * inv(A), "inv(A)")
case("(1 - t)*X + t*Y" + TS, "t", lambda t, X, Y: (1 - t) * X + t * Y, "Y - X")

# --- more: syntax variants, constants, scalar functions of vectors

case("sum(A∘X)", "X", lambda A, X: np.sum(A * X), "A")
case("sum(A⊙X)", "X", lambda A, X: np.sum(A * X), "A")
case("tr(A@X.T)", "X", lambda A, X: tr(A @ X.T), "A")
case("norm(X)^2", "X", lambda X: sq(X), "2*X")
case("sum(2.*x.^2)", "x", lambda x: np.sum(2 * x**2), "4*x")
case("1e-3*norm(w)^2", "w", lambda w: 1e-3 * sq(w))
case("tr(X^(-1)*A)", "X", lambda X, A: tr(inv(X) @ A), "-inv(X)'*A'*inv(X)'")
case("logdet(inv(X))", "X", lambda X: logdet(inv(X)), "-inv(X)'")
case("det(inv(X))", "X", lambda X: det(inv(X)))
case("tr(X^-2)", "X", lambda X: tr(inv(X @ X)), "-2*inv(X)'^3")
case("sum(x)", "x", lambda x: np.sum(x), "ones(n)")
case("sum(X)", "X", lambda X: np.sum(X), "ones(n, m)")
case("vector(1)'*X*vector(1)", "X", lambda X: np.sum(X))
case("sum(matrix(1).*X)", "X", lambda X: np.sum(X), "ones(n, m)")
case("x'*(eye + A)*x", "x", lambda x, A: x.T @ (np.eye(len(x)) + A) @ x, "(2*eye(n) + A + A')*x")
case("tr(X*eye(n)) where X: matrix(n, n)", "X", lambda X: tr(X), "eye(n)")
case("x'*ones(n) where x: vector(n)", "x", lambda x: np.sum(x), "ones(n)")
case("log(sum(exp(x)))", "x", lambda x: np.log(np.sum(np.exp(x))), "exp(x)/sum(exp(x))")
case("norm(X*Y, 'fro')^2", "Y", lambda X, Y: sq(X @ Y), "2*X'*X*Y")
case("tr(X'*X*X'*X)", "X", lambda X: tr(X.T @ X @ X.T @ X), "4*X*X'*X")
case("tr((X'*X)^2)", "X", lambda X: tr(la.matrix_power(X.T @ X, 2)), "4*X*X'*X")
case("norm(W'*W - eye(k), 'fro')^2 where W: matrix(n, k)", "W",
     lambda W: sq(W.T @ W - np.eye(W.shape[1])), "4*W*(W'*W - eye(k))")
case("sin(alpha)^2", "alpha", lambda alpha: np.sin(alpha) ** 2, "2*cos(alpha)*sin(alpha)")
case("alpha*x'*A*x", "alpha", lambda alpha, x, A: alpha * x.T @ A @ x, "x'*A*x")
case("sigmoid(w'*x)", "w", lambda w, x: sigmoid(w.T @ x),
     "sigmoid(w'*x)*(1 - sigmoid(w'*x))*x")
case("log(1 + exp(w'*x))", "w", lambda w, x: np.log(1 + np.exp(w.T @ x)), "sigmoid(w'*x)*x")
case("softplus(w'*x)", "w", lambda w, x: softplus(w.T @ x), "sigmoid(w'*x)*x")
case("tanh(x'*A*x)", "x", lambda x, A: np.tanh(x.T @ A @ x),
     "(1 - tanh(x'*A*x)^2)*(A + A')*x")
case("(w'*x - y)^2 where y: scalar", "w", lambda w, x, y: (w.T @ x - y) ** 2,
     "2*(w'*x - y)*x")
case("norm(x - mu)^2/(2*sigma^2) + n*log(sigma) where x, mu: vector(n)", "sigma",
     lambda x, mu, sigma, n: sq(x - mu) / (2 * sigma**2) + n * np.log(sigma),
     "n/sigma - norm(x - mu)^2/sigma^3", domain="positive")
case("exp(-norm(x - y)^2/(2*sigma^2))", "x",
     lambda x, y, sigma: np.exp(-sq(x - y) / (2 * sigma**2)),
     "-exp(-norm(x - y)^2/(2*sigma^2))/sigma^2 * (x - y)")
case("sum((1 + X).^2)", "X", lambda X: np.sum((1 + X) ** 2), "2*(1 + X)")
case("sum(A.^2*x)", "x", lambda A, x: np.sum(A**2 @ x), "(A.^2)'*ones(n)")
case("diag(x)*A*x", "x", lambda x, A: diag(x) @ A @ x, "diag(x)*A + diag(A*x)")
case("x.*(A*x)", "x", lambda x, A: x * (A @ x), "diag(x)*A + diag(A*x)")
case("A*x where A: matrix(2, 3)", "x", lambda A, x: A @ x, "A")
case("x'*A*x where x: vector(3)", "x", lambda x, A: x.T @ A @ x, "(A + A')*x")
case("x'*y/(norm(x)*norm(y))", "x", lambda x, y: (x.T @ y) / (norm(x) * norm(y)),
     "(y/norm(x) - (x'*y)/norm(x)^3 * x)/norm(y)")
case("-sum(log(x))", "x", lambda x: -np.sum(np.log(x)), "-1./x", domain="positive")
case("sum(log(1 + x.^2))", "x", lambda x: np.sum(np.log(1 + x**2)), "2*(x./(1 + x.^2))")
case("sum(exp(X)*a)", "X", lambda X, a: np.sum(np.exp(X) @ a), "exp(X).*(ones(n)*a')")

# --- more probes: symmetric variables, transposes inside elementwise, variable exponents

case("tr(S*A*S)" + SYM, "S", lambda S, A: tr(S @ A @ S), "(S*A + S*A' + A*S + A'*S)/2")
case("x'*S^2*x" + SYM, "S", lambda x, S: x.T @ S @ S @ x, "x*x'*S + S*x*x'")
case("logdet(S + A)" + SYM, "S", lambda S, A: logdet(S + A),
     "(inv(S + A) + inv(S + A)')/2", domain="spd")
case("norm(S*x - y)^2" + SYM, "S", lambda S, x, y: sq(S @ x - y),
     "(S*x - y)*x' + x*(S*x - y)'")
case("det(S)^2" + SYM, "S", lambda S: det(S) ** 2, "2*det(S)^2*inv(S)", domain="spd")
case("sum(P.*(X*X'))" + MASK, "X", lambda P, X: np.sum(P * (X @ X.T)), "(P + P')*X")
case("norm(P.*X', 'fro')^2" + MASK, "X", lambda P, X: sq(P * X.T), "2*(P'.*X)")
case("sum(X.*X')", "X", lambda X: np.sum(X * X.T), "2*X'")
case("tr(X.*A)", "X", lambda X, A: tr(X * A), "eye(n).*A")
case("sum(exp(X'))", "X", lambda X: np.sum(np.exp(X.T)), "exp(X)")
case("norm(X', 'fro')^2", "X", lambda X: sq(X.T), "2*X")
case("2^alpha", "alpha", lambda alpha: 2.0**alpha, "log(2)*2^alpha")
case("alpha^3", "alpha", lambda alpha: alpha**3, "3*alpha^2")
case("norm(x)^p where p: scalar", "p", lambda x, p: norm(x) ** p, "log(norm(x))*norm(x)^p")
case("norm(x)^p where p: scalar", "x", lambda x, p: norm(x) ** p)
case("sum(X.^Y)", "Y", lambda X, Y: np.sum(X**Y), "log(X).*X.^Y", domain="positive")
case("sum(X.^Y)", "X", lambda X, Y: np.sum(X**Y), "X.^(Y - 1).*Y", domain="positive")
case("sqrt(sum(X.^2))", "X", lambda X: np.sqrt(np.sum(X**2)), "X/sqrt(sum(X.^2))")
case("logsumexp(softmax(x))", "x", lambda x: logsumexp(softmax(x)))
case("softmax(softmax(x))", "x", lambda x: softmax(softmax(x)),
     "(diag(s2) - s2*s2')*(diag(s1) - s1*s1') where s1 = softmax(x), s2 = softmax(s1)")
case("x'*softmax(x)", "x", lambda x: x.T @ softmax(x),
     "softmax(x) + x.*softmax(x) - softmax(x)*softmax(x)'*x")
case("tr(inv(A + t*B)*C)" + TS, "t", lambda A, t, B, C: tr(inv(A + t * B) @ C),
     "-tr(inv(A + t*B)*B*inv(A + t*B)*C)")
case("inv(A)*x + b", "x", lambda A, x, b: inv(A) @ x + b, "inv(A)")
case("norm(x)^2*a", "x", lambda x, a: sq(x) * a, "2*a*x'")
case("norm(x)^2*a where a: vector", "x", lambda x, a: sq(x) * a, "2*a*x'")
case("A*softmax(x)", "x", lambda A, x: A @ softmax(x),
     "A*(diag(softmax(x)) - softmax(x)*softmax(x)')")
case("log(1 + exp(x))", "x", lambda x: np.log(1 + np.exp(x)), "diag(sigmoid(x))")
case("x/sum(x)", "x", lambda x: x / np.sum(x), "eye(n)/sum(x) - x*ones(1, n)/sum(x)^2",
     domain="positive")
case("x*t^3" + TS, "t", lambda x, t: x * t**3, "3*t^2*x")
case("A*x*t" + TS, "t", lambda A, x, t: A @ x * t, "A*x")
case("det(X)^(1/2)", "X", lambda X: np.sqrt(det(X)), "sqrt(det(X))/2 * inv(X)'", domain="spd")
case("tr(A*X)^2", "X", lambda A, X: tr(A @ X) ** 2, "2*tr(A*X)*A'")
case("logdet(X*X') where X: matrix(3, 7)", "X", lambda X: logdet(X @ X.T), "2*inv(X*X')*X")
case("logdet(eye + X'*X)", "X", lambda X: logdet(np.eye(X.shape[1]) + X.T @ X),
     "2*X*inv(eye(n) + X'*X)")
case("a'*X'*X*a", "X", lambda a, X: a.T @ X.T @ X @ a, "2*X*a*a'")
case("sum(sigmoid(X*W))", "W", lambda X, W: np.sum(sigmoid(X @ W)),
     "X'*(sigmoid(X*W).*(1 - sigmoid(X*W)))")
case("sum(norm(x)*A)", "x", lambda x, A: np.sum(norm(x) * A), "sum(A)/norm(x) * x")
case("sum(x*y')", "x", lambda x, y: np.sum(x @ y.T))
case("tr(x*y')", "x", lambda x, y: tr(x @ y.T), "y")
case("a'*x*x'*b", "x", lambda a, x, b: a.T @ x @ x.T @ b, "(a'*x)*b + (x'*b)*a")
case("tr(X*inv(A + X'*X)*X')", "X", lambda X, A: tr(X @ inv(A + X.T @ X) @ X.T))

# --- reductions and normalizations along a dimension (1: down the columns, 2: along the rows),
# against SciPy's softmax and logsumexp with an axis


def _sm(x, axis):
    from scipy.special import softmax as scipy_softmax

    return scipy_softmax(x, axis=axis)


def _lse(x, axis):
    from scipy.special import logsumexp as scipy_logsumexp

    return scipy_logsumexp(x, axis=axis, keepdims=True)


CE = "sum(logsumexp(X*W, 2)) - sum(Y.*(X*W))"
case(CE, "W", lambda X, W, Y: _lse(X @ W, 1).sum() - (Y * (X @ W)).sum(),
     "X'*(softmax(X*W, 2) - Y)")
case(CE, "X", lambda X, W, Y: _lse(X @ W, 1).sum() - (Y * (X @ W)).sum(),
     "(softmax(X*W, 2) - Y)*W'")
case("-sum(Y.*log(softmax(X*W, 2)))", "W",
     lambda X, W, Y: -(Y * np.log(_sm(X @ W, 1))).sum(),
     "X'*((Y*ones(m, m)).*softmax(X*W, 2) - Y)")
case("mean((X*w - y).^2)", "w", lambda X, w, y: np.mean((X @ w - y) ** 2),
     "2/n * X'*(X*w - y)")
case("sum(logsumexp(X, 1))", "X", lambda X: _lse(X, 0).sum(), "softmax(X, 1)")
case("sum(logsumexp(X, 2))", "X", lambda X: _lse(X, 1).sum(), "softmax(X, 2)")
case("sum(softmax(X, 1).*A)", "X", lambda X, A: (_sm(X, 0) * A).sum())
case("sum(softmax(X, 2).*A)", "X", lambda X, A: (_sm(X, 1) * A).sum())
case("softmax(X, 2)*v", "v", lambda X, v: _sm(X, 1) @ v, "softmax(X, 2)")
case("sum(X, 1)*v", "X", lambda X, v: X.sum(axis=0, keepdims=True) @ v, "ones(n)*v'")
case("u'*sum(X, 2)", "X", lambda u, X: u.T @ X.sum(axis=1, keepdims=True), "u*ones(1, m)")
case("mean(X, 1)*v", "v", lambda X, v: X.mean(axis=0, keepdims=True) @ v)
case("u'*mean(X, 2)", "X", lambda u, X: u.T @ X.mean(axis=1, keepdims=True))
case("mean(X)", "X", lambda X: X.mean())
case("norm(X - ones(n)*mean(X, 1), 'fro')^2", "X",
     lambda X: sq(X - X.mean(axis=0, keepdims=True)), "2*(X - ones(n)*mean(X, 1))")
case("norm(X - mean(X, 2)*ones(m)', 'fro')^2", "X",
     lambda X: sq(X - X.mean(axis=1, keepdims=True)), "2*(X - mean(X, 2)*ones(m)')")
case("sum(exp(X - ones(n)*mean(X, 1)))", "X",
     lambda X: np.exp(X - X.mean(axis=0, keepdims=True)).sum(),
     "exp(X - ones(n)*mean(X, 1)) - ones(n)*mean(exp(X - ones(n)*mean(X, 1)), 1)")
# layer norm: each row of X centred and scaled to unit variance (eps = 0.001), by its input;
# the vector form, one x
_XC = "(X - mean(X, 2)*ones(d)')"
LAYER_NORM = f"sum(G.*(diag(1./sqrt(mean({_XC}.^2, 2) + 0.001))*{_XC})) where X: matrix(n, d)"


def _layer_norm(X, axis=1):
    Xc = X - X.mean(axis=axis, keepdims=True)
    return Xc / np.sqrt((Xc ** 2).mean(axis=axis, keepdims=True) + 0.001)


# written out it is 330 characters (the centred X three times); named, as printed: the
# centred X is T1, the rows' deviations h
case(LAYER_NORM, "X", lambda G, X: (G * _layer_norm(X)).sum(),
     "T2*G - delta/d - mean(T2*G, 2)*ones(d)' where T1 = X - mean(X, 2)*ones(d)', "
     "h = sqrt(0.001 + mean(T1.^2, 2)), T2 = diag(1./h), "
     "delta = ((diag(G*T1')./h.^3)*ones(1, d)).*T1")
case("norm(x - mean(x)*ones(n))^2", "x", lambda x: sq(x - x.mean()), "2*(x - mean(x))")
case("(mean(x) - a)^2 where a: scalar", "x", lambda x, a: (x.mean() - a) ** 2,
     "2*(mean(x) - a)/n * ones(n)")
# a small constant stays as typed, not 0.001*(1 + 1000*x'*x)
case("sqrt(x'*x + 0.001)", "x", lambda x: np.sqrt(x.T @ x + 0.001), "x/sqrt(0.001 + x'*x)")
_XV = "(x - mean(x)*ones(n))"
LAYER_NORM_VECTOR = f"g'*{_XV}/sqrt(mean({_XV}.^2) + 0.001)"
case(LAYER_NORM_VECTOR, "x", lambda g, x: g.T @ _layer_norm(x, 0))
ATTENTION = "sum(softmax(Q*K', 2)*V)"
for _v in ("Q", "K", "V"):
    case(ATTENTION, _v, lambda Q, K, V: (_sm(Q @ K.T, 1) @ V).sum())
# attention with an upstream gradient G: built from S = softmax(Q*K'/sqrt(d), 2) and the
# row sums sum((G*V').*S, 2)
_ATT = "sum(G.*(softmax(Q*K'/sqrt(d), 2)*V)) where d: scalar"
_S = "softmax(Q*K'/sqrt(d), 2)"
_DZ = f"((G*V' - sum((G*V').*{_S}, 2)*ones(q)').*{_S})"


def _attention(G, Q, K, d, V):
    return (G * (_sm(Q @ K.T / np.sqrt(d), 1) @ V)).sum()


case(_ATT, "Q", _attention, f"{_DZ}*K/sqrt(d)", domain="positive")
case(_ATT, "K", _attention, f"{_DZ}'*Q/sqrt(d)", domain="positive")
case(_ATT, "V", _attention, "softmax(K*Q'/sqrt(d), 1)*G", domain="positive")
case("sum(ones(n))*x'*x where x: vector(n)", "x", lambda x: x.shape[0] * (x.T @ x), "2*n*x")

# ----------------------------------------------------------------------------- known clumsy
# Right, but printed otherwise than a careful human writes it:
# (expr, wrt, what matdiff prints now, the human form, why matdiff's form stays). Their rows
# above assert no form; tests/test_cases.py pins what matdiff prints, so an entry that
# changes (better, one hopes) fails until it moves to IMPROVED_FORMS or its form here is
# updated; every entry says why it stays.

KNOWN_CLUMSY: list[tuple[str, str, str, str, str]] = [
    ('sum(log(1 + exp(-y.*(X*w)/sigma)))', 'sigma',
     "sum(y.*sigmoid(-(y.*(X*w))/sigma).*(X*w))/sigma^2",
     "(y.*(X*w))'*sigmoid(-y.*(X*w)/sigma)/sigma^2",
     "the sum of a threefold elementwise product is not regrouped as an inner product of "
     "two of its factors (which two is a choice of taste); the extra brackets in "
     "-(y.*(X*w))/sigma only make the precedence explicit"),
]

# Once clumsy, now printed the way a careful human writes them: asserted.
IMPROVED_FORMS: list[tuple[str, str, str]] = [
    # inverses of products of square matrices cancel (matdiff.textbook)
    ('det(A*X*B) where A, X, B: matrix(n, n)', 'X', "det(A*X*B)*inv(X)'"),
    ('logdet(A*X*B) where A, X, B: matrix(n, n)', 'X', "inv(X)'"),
    ('det(X^3)', 'X', "3*det(X^3)*inv(X)'"),
    ("det(X'*A*X) where X, A: matrix(n, n)", 'X', "2*det(X'*A*X)*inv(X)'"),
    ("logdet(X'*A*X) where X, A: matrix(n, n)", 'X', "2*inv(X)'"),
    ('tr(diag(x)*A*diag(x))', 'x', '2*(x.*diag(A))'),
    ("a'*(x./(1 + x.^2))", 'x', "a.*(1 - x.^2)./(1 + x.^2).^2"),  # one denominator  # diag(diag(x)*A') = x.*diag(A)
    ('norm(softmax(x) - y)^2', 'x',
     "2*(diag(softmax(x)) - softmax(x)*softmax(x)')*(softmax(x) - y)"),
    ("(x'*x)^2", 'x', "4*(x'*x)*x"),
    ("1/(x'*x)", 'x', "-2/(x'*x)^2 * x"),
    ("(x'*A*x)/(x'*x)", 'x', "(A + A')*x/(x'*x) - 2*(x'*A*x)/(x'*x)^2 * x"),
    ("sqrt(x'*x + 1)", 'x', "x/sqrt(1 + x'*x)"),
    ('sum(X.^0.5)', 'X', '1./(2*sqrt(X))'),
    ('sum(diag(x)*A)', 'x', 'A*ones(m)'),
    ('tan(x)', 'x', 'diag(1 + tan(x).^2)'),
    ('tanh(x)', 'x', 'diag(1 - tanh(x).^2)'),
    ('sum(relu(1 - y.*(X*w)).^2)', 'w', "-2*X'*(y.*relu(1 - y.*(X*w)))"),
    ('sum(p.*log(p./q))', 'p', '1 + log(p./q)'),
    ('sum(p.*log(p./q))', 'q', '-p./q'),
    ('sum(log(cosh(X*w - y)))', 'w', "X'*tanh(X*w - y)"),
    ('norm(y - alpha*X*w)^2', 'alpha', "-2*(y - alpha*X*w)'*X*w"),
    ('tanh(W*x + b)', 'b', 'diag(1 - tanh(W*x + b).^2)'),
    ('W2*tanh(W1*x)', 'x', 'W2*diag(1 - tanh(W1*x).^2)*W1'),
    ('norm(x - t*y)^2 where t: scalar', 't', "-2*(x - t*y)'*y"),
    ('1e-3*norm(w)^2', 'w', '0.002*w'),
    ('det(inv(X))', 'X', "-det(inv(X))*inv(X)'"),
    ("vector(1)'*X*vector(1)", 'X', 'ones(n, m)'),
    ('norm(x)^p where p: scalar', 'x', 'p*norm(x)^(p - 2)*x'),
    ("sum(x*y')", 'x', 'sum(y)*ones(n)'),
    # sums of elementwise products collected as polynomials (factor.expand_elementwise)
    ("-y'*log(sigmoid(X*w)) - (1 - y)'*log(1 - sigmoid(X*w))", 'w', "X'*(sigmoid(X*w) - y)"),
    ("-sum(y.*log(sigmoid(X*w)) + (1 - y).*log(1 - sigmoid(X*w)))", 'w',
     "X'*(sigmoid(X*w) - y)"),
    ("(x'*x)*x", 'x', "2*x*x' + (x'*x)*eye(n)"),
    # once listed as clumsy with the human form B'*Y*A, which does not fit the shapes: with
    # Y n x m and X p x q, vec(Y) is reshaped as m x n before B' and A act on it
    ("vec(Y)'*kron(A, B)*vec(X)", 'X', "reshape(kron(A', B')*vec(Y), p, q)"),
]

# --- matrix and spectral functions (tests/spectral_cases.py: rows with SciPy references)
from spectral_cases import ROWS as _SPECTRAL_ROWS  # noqa: E402

for _e, _w, _ref, _form, _domain, _decls in _SPECTRAL_ROWS:
    case(_e, _w, _ref, _form, domain=_domain, decls=_decls)

# a softmax's columns (rows) sum to one: the sum of its entries is constant
case("sum(softmax(x))", "x", lambda x: np.sum(softmax(x)), "zeros(n)")
case("sum(softmax(X, 2))", "X", lambda X: np.sum(_sm(X, 1)), "zeros(n, m)")
