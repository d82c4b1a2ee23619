"""Table rows for the matrix functions (expm, logm, sqrtm) and the spectral functions
(eigvals, svals, the spectral and nuclear norms), each with a reference written with
SciPy/NumPy: the table test differentiates the reference by finite differences, so the
Frechet derivatives, eigenvector and singular-vector forms are checked against the
functions themselves. The forms asserted are the simplest ones known: dexpm(X', A') for
tr(A*expm(X)), expm(X)' for tr(expm(X)), the matrix function for a sum over eigenvalues,
svdU(X)*svdV(X)' for the nuclear norm and svdU(X)[:, 1]*svdV(X)[:, 1]' for the spectral one.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl
from oracle import tr


def _expm(x):
    return sl.expm(x)


def _logm(x):
    return np.real(sl.logm(x))


def _sqrtm(x):
    return np.real(sl.sqrtm(x))


def _eig(s):
    return np.linalg.eigvalsh((s + s.T) / 2).reshape(-1, 1)


def _sv(x):
    return np.linalg.svd(x, compute_uv=False).reshape(-1, 1)


SYM = {"S": "symmetric matrix"}
SYM2 = {"S1": "symmetric matrix", "S2": "symmetric matrix"}

# (expr, wrt, reference, expected form or None, domain, declarations)
ROWS: list[tuple] = [
    ("tr(A*expm(X))", "X", lambda A, X: tr(A @ _expm(X)), "dexpm(X', A')", "normal", {}),
    ("tr(expm(X))", "X", lambda X: tr(_expm(X)), "expm(X)'", "normal", {}),
    ("tr(logm(X))", "X", lambda X: tr(_logm(X)), "inv(X)'", "spd", {}),
    ("tr(A*logm(X))", "X", lambda A, X: tr(A @ _logm(X)), "dlogm(X', A')", "spd", {}),
    ("tr(A*sqrtm(X))", "X", lambda A, X: tr(A @ _sqrtm(X)), "dsqrtm(X', A')", "spd", {}),
    ("tr(sqrtm(X))", "X", lambda X: tr(_sqrtm(X)), "inv(sqrtm(X))'/2", "spd", {}),
    ("norm(expm(X) - B, 'fro')^2", "X", lambda X, B: np.sum((_expm(X) - B) ** 2),
     "2*dexpm(X', expm(X) - B)", "normal", {}),
    ("u'*expm(t*A)*v where t: scalar", "t", lambda u, t, A, v: u.T @ _expm(t * A) @ v,
     "u'*A*expm(t*A)*v", "normal", {}),
    ("expm(t*A) where t: scalar", "t", lambda t, A: _expm(t * A), "A*expm(t*A)", "normal", {}),
    ("sum(exp(eigvals(S)))", "S", lambda S: np.sum(np.exp(_eig(S))), "expm(S)", "normal", SYM),
    ("sum(log(eigvals(S)))", "S", lambda S: np.sum(np.log(_eig(S))), "inv(S)", "spd", SYM),
    ("sum(sqrt(eigvals(S)))", "S", lambda S: np.sum(np.sqrt(_eig(S))), "inv(sqrtm(S))/2",
     "spd", SYM),
    ("sum(eigvals(S).^3)", "S", lambda S: np.sum(_eig(S) ** 3), "3*S^2", "normal", SYM),
    ("sum(eigvals(S))", "S", lambda S: np.sum(_eig(S)), "eye(n)", "normal", SYM),
    ("eigvals(S)[1]", "S", lambda S: _eig(S)[0, 0], "eigvecs(S)[:, 1]*eigvecs(S)[:, 1]'",
     "normal", SYM),
    ("w'*eigvals(S)", "S", lambda w, S: w.T @ _eig(S),
     "eigvecs(S)*diag(w)*eigvecs(S)'", "normal", SYM),
    ("sum(exp(eigvals(X'*X)))", "X", lambda X: np.sum(np.exp(_eig(X.T @ X))),
     "2*X*expm(X'*X)", "normal", {}),
    ("norm(X, 2)", "X", lambda X: np.linalg.norm(X, 2), "svdU(X)[:, 1]*svdV(X)[:, 1]'",
     "normal", {}),
    ("norm(X, 'nuc')", "X", lambda X: np.linalg.norm(X, "nuc"), "svdU(X)*svdV(X)'", "normal",
     {}),
    ("norm(X*Y, 'nuc')", "Y", lambda X, Y: np.linalg.norm(X @ Y, "nuc"),
     "X'*svdU(X*Y)*svdV(X*Y)'", "normal", {}),
    ("sum(svals(X).^2)", "X", lambda X: np.sum(_sv(X) ** 2), "2*X", "normal", {}),
    ("norm(X, 2)^2", "X", lambda X: np.linalg.norm(X, 2) ** 2,
     "2*norm(X, 2)*svdU(X)[:, 1]*svdV(X)[:, 1]'", "normal", {}),
    ("svals(X)[2] where X: matrix(5, 3)", "X", lambda X: _sv(X)[1, 0],
     "svdU(X)[:, 2]*svdV(X)[:, 2]'", "normal", {}),
    ("norm(logm(S1) - logm(S2), 'fro')^2", "S1",
     lambda S1, S2: np.sum((_logm(S1) - _logm(S2)) ** 2), "2*dlogm(S1, logm(S1) - logm(S2))",
     "spd", SYM2),
    ("x'*expm(A)*x", "A", lambda x, A: x.T @ _expm(A) @ x, "dexpm(A', x*x')", "normal", {}),
    ("M[2, :]*v", "M", lambda M, v: M[1:2, :] @ v, None, "normal", {}),
    ("x[1]*y[2]", "x", lambda x, y: x[0, 0] * y[1, 0], "y[2]*eye(n)[:, 1]", "normal", {}),
]
