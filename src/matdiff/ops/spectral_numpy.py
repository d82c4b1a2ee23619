"""The NumPy/SciPy kernels of the matrix and spectral functions (:mod:`.spectral` holds
their records): SciPy's expm, logm and sqrtm, the Frechet derivatives (``expm_frechet``,
the block-triangular form, a Sylvester solve), eigh and the thin SVD with a fixed sign per
vector, and :func:`ties`, which finds tied eigenvalues (singular values) at a point.

A kernel gives NaN where its matrix is outside the function's domain (an eigenvalue on
the closed negative real axis for logm and sqrtm) or an operand is not finite: that is how
the numeric check sees a point to leave. NumPy and SciPy are imported when a kernel first
runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..ir import EigVals, EigVecs, Expr, NuclearNorm, SpectralNorm, SVals, SvdU, SvdV

if TYPE_CHECKING:
    import numpy as np

TIE_TOLERANCE = 1e-8  # eigenvalues closer than this (relative to the largest) tie


def _real_if_close(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    import numpy as np

    if np.iscomplexobj(like):
        return x
    return np.real_if_close(x, tol=1e6).real if np.iscomplexobj(x) else x


def _principal_domain(x: np.ndarray) -> bool:
    """No eigenvalue on the closed negative real axis (logm, sqrtm are defined, smooth)."""
    import numpy as np

    w = np.linalg.eigvals(x)
    scale = max(1.0, float(np.max(np.abs(w))))
    return not bool(np.any((np.abs(w.imag) <= 1e-12 * scale) & (w.real <= 1e-12 * scale)))


def _nan_like(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.full(x.shape, np.nan)


def finite(kernel: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """The kernel, giving NaN where an operand is not finite: SciPy's and LAPACK's routines
    refuse such input, and NaN is how a point outside a function's domain shows (the check
    then tries another). The shape is the kernel's on zeros."""
    def guarded(*xs: np.ndarray) -> np.ndarray:
        import numpy as np

        if all(np.all(np.isfinite(a)) for a in xs):
            return kernel(*xs)
        return np.full(kernel(*(np.zeros_like(a) for a in xs)).shape, np.nan)
    return guarded


def np_expm(x: np.ndarray) -> np.ndarray:
    import scipy.linalg

    return scipy.linalg.expm(x)


def _scipy_logm(x: np.ndarray) -> np.ndarray:
    """SciPy's logm without its accuracy warning (its estimate is ~1e-13 here)."""
    import warnings

    import scipy.linalg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return scipy.linalg.logm(x)


def np_logm(x: np.ndarray) -> np.ndarray:
    if not _principal_domain(x):
        return _nan_like(x)
    return _real_if_close(_scipy_logm(x), x)


def np_sqrtm(x: np.ndarray) -> np.ndarray:
    import scipy.linalg

    if not _principal_domain(x):
        return _nan_like(x)
    return _real_if_close(scipy.linalg.sqrtm(x), x)


def np_dexpm(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    import numpy as np
    import scipy.linalg

    if np.iscomplexobj(x) or np.iscomplexobj(e):  # expm_frechet is real: the block form
        return _block(scipy.linalg.expm, x, e)
    return scipy.linalg.expm_frechet(x, e, compute_expm=False)


def _block(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """df(X, E), the top right block of f([[X, E], [0, X]])."""
    import numpy as np

    n = x.shape[0]
    z = np.zeros_like(x, dtype=np.result_type(x, e))
    return f(np.block([[x, e], [z, x]]))[:n, n:]


def np_dlogm(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    if not _principal_domain(x):
        return _nan_like(x)
    return _real_if_close(_block(_scipy_logm, x, e), x)


def np_dsqrtm(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The L with sqrtm(X)*L + L*sqrtm(X) = E (a Sylvester equation)."""
    import scipy.linalg

    if not _principal_domain(x):
        return _nan_like(x)
    r = _real_if_close(scipy.linalg.sqrtm(x), x)
    return _real_if_close(scipy.linalg.solve_sylvester(r, r, e), x)


def _real_only(x: np.ndarray, what: str) -> np.ndarray:
    import numpy as np

    if np.iscomplexobj(x):
        raise ArithmeticError(f"{what} is evaluated on real matrices only (it is not "
                              "analytic: no complex step)")
    return x


def _symmetric_part(x: np.ndarray) -> np.ndarray:
    return (_real_only(x, "eigvals") + x.T) / 2


def np_eigvals(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.linalg.eigvalsh(_symmetric_part(x)).reshape(-1, 1)


def _gap(w: np.ndarray, nonzero_only: bool = False) -> float | None:
    """The smallest gap between the values (between nonzero ones), when it is a tie."""
    import numpy as np

    w = np.sort(np.abs(w) if nonzero_only else w)
    scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
    gaps = np.diff(w)
    if nonzero_only:
        gaps = gaps[w[:-1] > TIE_TOLERANCE * scale]
    smallest = float(np.min(gaps)) if gaps.size else None
    return smallest if smallest is not None and smallest <= TIE_TOLERANCE * scale else None


def ties(exprs: Iterable[Expr], evaluate: Callable[[Expr], np.ndarray]
         ) -> tuple[str, Expr, float] | None:
    """Eigenvalues or singular values of the expressions that tie at a point (``evaluate``
    gives a node's value there), as (which, of what matrix, the gap), or None: where they
    tie, eigenvectors (singular vectors) are not functions of the matrix."""
    import numpy as np

    for e in exprs:
        for node in e.walk():
            if isinstance(node, (EigVals, EigVecs)):
                w, what, nonzero = np.linalg.eigvalsh(_symmetric_part(evaluate(node.arg))), \
                    "eigenvalues", False
            elif isinstance(node, (SVals, SvdU, SvdV, SpectralNorm, NuclearNorm)):
                w, what, nonzero = np_svals(evaluate(node.args[0]))[:, 0], "singular values", True
            else:
                continue
            gap = _gap(w, nonzero)
            if gap is not None:
                return what, node.args[0], gap
    return None


def _signs(v: np.ndarray) -> np.ndarray:
    """+-1 per column, making each column's largest entry positive (a fixed choice)."""
    import numpy as np

    idx = np.argmax(np.abs(v), axis=0)
    s = np.sign(v[idx, np.arange(v.shape[1])])
    return np.where(s == 0, 1.0, s)


def np_eigvecs(x: np.ndarray) -> np.ndarray:
    import numpy as np

    v = np.linalg.eigh(_symmetric_part(x))[1]
    return v * _signs(v)


def np_svd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    u, s, vh = np.linalg.svd(_real_only(x, "the SVD"), full_matrices=False)
    sign = _signs(u)
    return u * sign, s, vh.T * sign


def np_svals(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.linalg.svd(_real_only(x, "svals"), compute_uv=False).reshape(-1, 1)


def np_norm(order: Any) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.array([[np.linalg.norm(_real_only(x, "norm"), order)]])
    return kernel
