"""Operations on a whole vector or matrix (``tr``, ``det``, ``diag``, ``softmax``, ...): one
record each, read by differentiation, evaluation, printing and the steps.

A record holds the operation's spellings, its forward rule ``d op(X)`` in terms of the
differential of its argument, the adjoint of the operation when it is linear (used to
read a gradient off ``G : d op(X)``), its NumPy kernel and the name of its rule in
``--steps``. Their simplifications as they are built (``tr(A') = tr(A)``,
``det(I) = 1``) are algebra and live in :mod:`matdiff.functions`; code generation lowers
them with its own cost model (solves instead of inverses, no n x n temporaries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import algebra as A
from .. import functions as F
from ..ir import (
    Det,
    Diag,
    DiagPart,
    Expr,
    Inv,
    LogDet,
    LogSumExp,
    Norm,
    Ones,
    Softmax,
    Sum,
    Trace,
    Transpose,
    Vec,
)

if TYPE_CHECKING:
    import numpy as np

D = Callable[[Expr], Expr]  # the differential of an operand


@dataclass(frozen=True)
class MatrixOp:
    """One operation on a vector or matrix (a second operand for a Frechet derivative's
    direction)."""

    node: type[Expr]
    name: str                   # text: name(X)
    latex: str | Callable[[Any, str], str]  # a template with {x}, or (node, x) -> LaTeX
    differential: Callable[[Any, D], Expr]  # d op(X), given the node and d
    numpy: Callable[..., np.ndarray]
    pullback: Callable[[Any, Expr], Expr] | None = None  # adjoint of a linear op, at g
    rule: str | None = None      # the rule's name in --steps
    adjoint_rule: str | None = None  # the identity the adjoint rests on, in --steps
    postfix: bool = False        # LaTeX writes it after its operand (X^{-1})
    text_suffix: Callable[[Any], str] | None = None  # more arguments in the text (, 'fro')
    numpy_of: Callable[[Any, np.ndarray], np.ndarray] | None = None  # a kernel needing the node
    linear: int = 0              # the operand a linear op (its pullback) is linear in

    def evaluate(self, node: Expr, *xs: np.ndarray) -> np.ndarray:
        """The node's value, given its operands' (one, or two for dexpm(X, E))."""
        return self.numpy(*xs) if self.numpy_of is None else self.numpy_of(node, *xs)

    def latex_of(self, node: Expr, x: str, *more: str) -> str:
        """The LaTeX, given the operands' ({x}, and {e} for a second one)."""
        if isinstance(self.latex, str):
            return self.latex.format(x=x, e=more[0] if more else "")
        return self.latex(node, x)


def _operator(name: str) -> str:
    return "\\operatorname{{" + name + "}}\\left({x}\\right)"


# ----------------------------------------------------------------------- NumPy kernels
# (NumPy is imported when a kernel first runs: `import matdiff` stays free of it)


def _scalar(value: Any) -> np.ndarray:
    import numpy as np

    return np.array([[value]])


def _trace(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return _scalar(np.trace(x))


def _det(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return _scalar(np.linalg.det(x))


def _logdet(x: np.ndarray) -> np.ndarray:
    """log |det X| via slogdet (no overflow for large determinants)."""
    import numpy as np

    return _scalar(np.linalg.slogdet(x)[1])


def _inv(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.linalg.inv(x)


def _diag(v: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.diag(v[:, 0])


def _diag_part(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.diag(x).reshape(-1, 1).copy()


def _sum(x: np.ndarray) -> np.ndarray:
    return _scalar(x.sum())


def _norm(x: np.ndarray) -> np.ndarray:
    """2-norm of a vector, Frobenius norm of a matrix (the same thing on the entries)."""
    import numpy as np

    return _scalar(np.linalg.norm(x))


def _shift(x: np.ndarray, axis: int) -> np.ndarray:
    """The largest real part along the axis, subtracted before exponentiating."""
    import numpy as np

    return np.max(np.real(x), axis=axis, keepdims=True)


def _logsumexp(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """log(sum(exp(.))) along an axis (0: of each column), without overflow."""
    import numpy as np

    m = _shift(x, axis)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _softmax(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """exp(.)/sum(exp(.)) along an axis (0: of each column), without overflow."""
    import numpy as np

    e = np.exp(x - _shift(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _vec(x: np.ndarray) -> np.ndarray:
    """Stack the columns (column-major)."""
    return x.reshape((-1, 1), order="F")


# ----------------------------------------------------------------------- rules


def _d_norm(e: Norm, d: D) -> Expr:  # d||x|| = x : dx / ||x||
    return A.mul(A.elem_pow(e, A.MINUS_ONE), A.sum_(A.hadamard(e.arg, d(e.arg))))


def _d_softmax(e: Softmax, d: D) -> Expr:
    dx = d(e.arg)
    if e.shape[1] == 1:  # ds = s.*dx - s*(s'*dx)
        return A.sub(A.hadamard(e, dx), A.mul(e, A.transpose(e), dx))
    # dS = S.*(dX - each column's (row's) sum of S.*dX, spread over it)
    return A.sub(A.hadamard(e, dx), A.hadamard(e, _spread(_sums(e.dim, A.hadamard(e, dx)),
                                                          e.dim, e.shape)))


def _d_logsumexp(e: LogSumExp, d: D) -> Expr:
    dx = d(e.arg)
    if e.arg.shape[1] == 1:  # d logsumexp(x) = softmax(x) : dx
        return A.sum_(A.hadamard(F.softmax(e.arg), dx))
    return _sums(e.dim, A.hadamard(F.softmax(e.arg, e.dim), dx))  # softmax : dX, per column/row


def _sums(dim: int, x: Expr) -> Expr:
    """The sums of the columns (dim 1: ones'*X) or of the rows (dim 2: X*ones)."""
    if dim == 1:
        return A.mul(A.transpose(A.ones((x.shape[0], 1))), x)
    return A.mul(x, A.ones((x.shape[1], 1)))


def _spread(sums: Expr, dim: int, shape: tuple) -> Expr:
    """Column (row) sums repeated down each column (along each row)."""
    if dim == 1:
        return A.mul(A.ones((shape[0], 1)), sums)
    return A.mul(sums, A.transpose(A.ones((shape[1], 1))))


def _along(e: Any) -> str:
    """The dimension in the text: none for a vector, else ``, 1`` or ``, 2``."""
    return "" if e.arg.shape[1] == 1 else f", {e.dim}"


def _latex_along(name: str) -> Callable[[Any, str], str]:
    def latex(e: Any, x: str) -> str:
        return f"\\operatorname{{{name}}}\\left({x}{_along(e)}\\right)"
    return latex


def _latex_norm(e: Norm, x: str) -> str:
    return f"\\left\\|{x}\\right\\|_{'2' if e.arg.shape[1] == 1 else 'F'}"


RECORDS: tuple[MatrixOp, ...] = (
    MatrixOp(Trace, "tr", _operator("tr"), lambda e, d: F.trace(d(e.arg)), _trace,
             pullback=lambda e, g: A.mul(g, A.identity(e.arg.shape[0])),
             rule="d tr(X) = tr(dX)", adjoint_rule="tr(B) = I : B"),
    MatrixOp(Sum, "sum", _operator("sum"), lambda e, d: A.sum_(d(e.arg)), _sum,
             pullback=lambda e, g: A.mul(g, A.ones(e.arg.shape)), rule="d sum(X) = sum(dX)",
             adjoint_rule="sum(B) = ones : B"),
    MatrixOp(Diag, "diag", _operator("diag"), lambda e, d: F.diag(d(e.arg)), _diag,
             pullback=lambda e, g: F.diag_part(g), adjoint_rule="A : diag(b) = diag(A) : b"),
    MatrixOp(DiagPart, "diag", _operator("diag"), lambda e, d: F.diag_part(d(e.arg)),
             _diag_part, pullback=lambda e, g: F.diag(g),
             adjoint_rule="a : diag(B) = diag(a) : B"),
    MatrixOp(Vec, "vec", _operator("vec"), lambda e, d: A.vec(d(e.arg)), _vec,
             pullback=lambda e, g: F.reshape(g, *e.arg.shape),
             adjoint_rule="a : vec(B) = reshape(a) : B"),
    MatrixOp(Det, "det", "\\det\\left({x}\\right)",
             lambda e, d: A.mul(e, F.trace(A.mul(F.inv(e.arg), d(e.arg)))), _det,
             rule="d det(X) = det(X)*inv(X)' : dX"),
    MatrixOp(LogDet, "logdet", "\\log\\left|\\det\\left({x}\\right)\\right|",
             lambda e, d: F.trace(A.mul(F.inv(e.arg), d(e.arg))), _logdet,
             rule="d logdet(X) = inv(X)' : dX"),
    MatrixOp(Inv, "inv", "{x}^{{-1}}", lambda e, d: A.neg(A.mul(e, d(e.arg), e)), _inv,
             rule="d inv(X) = -inv(X)*dX*inv(X)", postfix=True),
    MatrixOp(Norm, "norm", _latex_norm, _d_norm, _norm, rule="d norm(x) = x : dx / norm(x)",
             text_suffix=lambda e: "" if e.arg.shape[1] == 1 else ", 'fro'"),
    MatrixOp(LogSumExp, "logsumexp", _latex_along("logsumexp"), _d_logsumexp, _logsumexp,
             rule="d logsumexp(x) = softmax(x) : dx", text_suffix=_along,
             numpy_of=lambda e, x: _logsumexp(x, e.dim - 1)),
    MatrixOp(Softmax, "softmax", _latex_along("softmax"), _d_softmax, _softmax,
             rule="d softmax(x) = (diag(s) - s*s')*dx", text_suffix=_along,
             numpy_of=lambda e, x: _softmax(x, e.dim - 1)),
)

MATRIX_OPS: dict[type[Expr], MatrixOp] = {r.node: r for r in RECORDS}


def _normalized(f: Expr) -> int | None:
    """The dimension along which f's entries sum to 1 (softmax(X, 1) and softmax(x): its
    columns, 1; softmax(X, 2): its rows, 2; a transpose swaps them), or None."""
    if isinstance(f, Softmax):
        return f.dim
    if isinstance(f, Transpose) and isinstance(f.arg, Softmax):
        return 3 - f.arg.dim
    return None


def softmax_sums(chain: list[Expr]) -> list[Expr]:
    """Sums of a softmax are ones: ``S*ones(m, k)`` is ``ones(n, k)`` when the rows of S sum
    to 1 (softmax(X, 2)), ``ones(k, n)*S`` is ``ones(k, m)`` when its columns do
    (``softmax(x)'*ones(n) = 1``)."""
    i = 0
    while i + 1 < len(chain):
        a, b = chain[i], chain[i + 1]
        if isinstance(b, Ones) and _normalized(a) == 2:
            chain[i:i + 2] = [A.ones((a.shape[0], b.shape[1]))]
            i = max(i - 1, 0)
            continue
        if isinstance(a, Ones) and _normalized(b) == 1:
            chain[i:i + 2] = [A.ones((a.shape[0], b.shape[1]))]
            i = max(i - 1, 0)
            continue
        i += 1
    return chain


A.CHAIN_RULES.append(softmax_sums)
