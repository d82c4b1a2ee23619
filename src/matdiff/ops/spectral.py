"""Matrix functions (``expm``, ``logm``, ``sqrtm``), their Frechet derivatives, and spectral
functions (``eigvals``, ``svals``, the spectral and nuclear norms): one record each, with
the smart constructors that give their simplest forms.

The rules rest on three facts:

- *Frechet derivatives.* ``d f(X) = df(X, dX)``, linear in the direction. For a function
  given by a real power series its adjoint is the derivative at the transpose:
  ``G : df(X, E) = df(X', G) : E``. When the direction commutes with X (a multiple of X
  or of I) the derivative is ``f'(X)*E``: ``dexpm(t*A, A) = A*expm(t*A)``,
  ``dlogm(X, I) = inv(X)``, ``dsqrtm(X, I) = inv(sqrtm(X))/2``.
- *Simple eigenvalues.* For S = V*diag(w)*V' with distinct eigenvalues,
  ``dw = diag(V'*dS*V)`` (the derivative of w_k is ``V[:, k]*V[:, k]'``), and
  ``dV = V*(F.*(V'*dS*V))`` with ``F = 1./(ones*w' - w*ones' + I) - I``. So
  ``V*diag(f(w))*V'`` is the matrix function f(S): expm, logm, sqrtm, inv, S^k.
- *Simple singular values.* ``d svals(X) = diag(U'*dX*V)`` for the thin SVD; the nuclear
  norm's gradient is ``U*V'`` and the spectral norm's ``U[:, 1]*V[:, 1]'``.

LaTeX (the ``latex`` of each record), as in the textbooks, and read back by the LaTeX
reader: ``e^{X}``, ``\\log(X)``, ``X^{1/2}`` (``X^{-1/2}`` for its inverse); Higham's
``L_{\\exp}(X, E)``, ``L_{\\log}(X, E)``, ``L_{\\sqrt{\\cdot}}(X, E)`` for the Frechet
derivatives; ``\\boldsymbol{\\lambda}(S)``, ``\\boldsymbol{\\sigma}(X)`` for the vectors
of eigenvalues and singular values and ``\\lambda_{k}(S)``, ``\\sigma_{k}(X)`` for their
entries (the plain ``\\lambda(S)`` would read as a scalar times S);
``\\operatorname{eigvecs}(S)``, ``\\operatorname{svdU}(X)``, ``\\operatorname{svdV}(X)`` and
their columns ``\\operatorname{svdU}(X)_{:,1}``; ``\\|X\\|_2``, ``\\|X\\|_*``.

Where eigenvalues (singular values) tie, the vectors are not functions of the matrix and
these derivatives may not exist (a symmetric function of the eigenvalues, such as
sum(log(eigvals(S))), still has one): :func:`.spectral_numpy.ties` finds such points, and
the numeric check names the tie when a result does not match the differences there. The
NumPy/SciPy kernels are in :mod:`.spectral_numpy`.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .. import algebra as A
from .. import functions as F
from ..errors import UnsupportedError
from ..ir import (
    Add,
    DExpm,
    Diag,
    DLogm,
    DSqrtm,
    EigVals,
    EigVecs,
    Expm,
    Expr,
    Func,
    Hadamard,
    Identity,
    Inv,
    Logm,
    MatPow,
    Mul,
    NuclearNorm,
    Num,
    Ones,
    Pow,
    Select,
    SpectralNorm,
    Sqrtm,
    SVals,
    SvdU,
    SvdV,
    Sym,
    Transpose,
)
from .matrix import MatrixOp
from .spectral_numpy import (
    finite,
    np_dexpm,
    np_dlogm,
    np_dsqrtm,
    np_eigvals,
    np_eigvecs,
    np_expm,
    np_logm,
    np_norm,
    np_sqrtm,
    np_svals,
    np_svd,
)

D = Callable[[Expr], Expr]



# ----------------------------------------------------------------------- constructors


def is_symmetric(x: Expr) -> bool:
    """Known to be symmetric from its form (a symmetric variable, A + A', X'*X, f(S), ...)."""
    if x.is_scalar:
        return True
    match x:
        case Sym():
            return x.kind == "symmetric"
        case Identity() | Diag():
            return True
        case Transpose():
            return is_symmetric(x.arg)
        case Mul():
            fs = [f for f in x.factors if not f.is_scalar]
            return all(A.transpose(f) is g or f is A.transpose(g)
                       for f, g in zip(fs, reversed(fs))) and (
                len(fs) % 2 == 0 or is_symmetric(fs[len(fs) // 2]))
        case Add() | Hadamard():
            return all(is_symmetric(t) for t in x.children)
        case Expm() | Logm() | Sqrtm() | Inv() | MatPow() | Func():
            return is_symmetric(x.children[0])
        case DExpm() | DLogm() | DSqrtm():
            return is_symmetric(x.children[0]) and is_symmetric(x.children[1])
        case Pow():
            return is_symmetric(x.base) and (x.exponent.is_scalar or is_symmetric(x.exponent))
        case _ if x.shape[0] == x.shape[1] and x.shape[0] != 1:
            return A.transpose(x) is x
    return False


_OF_A_SCALAR = {Expm: "exp", Logm: "log", Sqrtm: "sqrt"}  # a 1 x 1 matrix function


def _square_function(cls: type[Expr]) -> Callable[[Expr], Expr]:
    def build(x: Expr) -> Expr:
        if x.is_scalar:
            return F.func(_OF_A_SCALAR[cls], x)
        if isinstance(x, Transpose):  # f(X') = f(X)'
            return A.transpose(build(x.arg))
        if cls is Expm and A.is_zero(x):
            return A.identity(x.shape[0])
        if cls is not Expm and isinstance(x, Identity):
            return A.zero(x.shape) if cls is Logm else x
        if cls is Logm and isinstance(x, Expm) and is_symmetric(x.arg):
            return x.arg  # logm(expm(S)) = S for a symmetric (real-spectrum) S
        return cls(x)
    return build


expm = _square_function(Expm)
logm = _square_function(Logm)
sqrtm = _square_function(Sqrtm)


def _commutes(x: Expr, e: Expr) -> bool:
    """E = c*I, E = c*X or X = c*E: E commutes with X, so df(X, E) = f'(X)*E."""
    be, bx = A.split_scalars(e)[1], A.split_scalars(x)[1]
    return isinstance(be, Identity) or be is bx


def _scaled(build: Callable[[Expr, Expr], Expr], x: Expr, e: Expr) -> Expr | None:
    """df(X, c*E) = c*df(X, E): the scalars of the direction in front."""
    scalars, rest = A.split_scalars(e)
    return A.mul_list([*scalars, build(x, rest)]) if scalars else None


def dexpm(x: Expr, e: Expr) -> Expr:
    if A.is_zero(e):
        return e
    if x.is_scalar:
        return A.mul(F.func("exp", x), e)
    if (scaled := _scaled(dexpm, x, e)) is not None:
        return scaled
    if _commutes(x, e):
        return A.mul(e, expm(x))
    return DExpm(x, e)


def dlogm(x: Expr, e: Expr) -> Expr:
    if A.is_zero(e):
        return e
    if x.is_scalar:
        return F.div(e, x)
    if (scaled := _scaled(dlogm, x, e)) is not None:
        return scaled
    if _commutes(x, e):
        return A.mul(F.inv(x), e)
    return DLogm(x, e)


def dsqrtm(x: Expr, e: Expr) -> Expr:
    if A.is_zero(e):
        return e
    if x.is_scalar:
        return F.div(e, A.mul(Num(2), F.func("sqrt", x)))
    if (scaled := _scaled(dsqrtm, x, e)) is not None:
        return scaled
    if _commutes(x, e):
        return A.mul(Num(Fraction(1, 2)), F.inv(sqrtm(x)), e)
    return DSqrtm(x, e)


def eigvals(x: Expr) -> Expr:
    return x if x.is_scalar else EigVals(x)


def eigvecs(x: Expr) -> Expr:
    return A.ONE if x.is_scalar else EigVecs(x)


def svals(x: Expr) -> Expr:
    return F.func("abs", x) if x.is_scalar else SVals(x)


def svd_u(x: Expr) -> Expr:  # of a 1 x 1 matrix x = sign(x)*|x|*1
    return F.func("sign", x) if x.is_scalar else SvdU(x)


def svd_v(x: Expr) -> Expr:
    return A.ONE if x.is_scalar else SvdV(x)


def select(x: Expr, row: int, col: int) -> Expr:
    """M[i, j], M[:, j] (row 0), M[i, :] (col 0); positions 1-based."""
    if (row == 0 or x.shape[0] == 1 and row == 1) and (col == 0 or x.shape[1] == 1
                                                        and col == 1):
        return x
    if isinstance(x, Transpose):
        return A.transpose(select(x.arg, col, row))
    return Select(x, row, col)


def spectral_chain(chain: list[Expr]) -> list[Expr]:
    """``V*diag(g)*W'`` with V, W eigenvectors or singular vectors of one matrix, made
    simple: the matrix function when g = f(eigvals(S)), ``X`` when g = svals(X), ``I``
    when g = ones (``V*V'`` for eigenvectors), the outer product of columns when g picks
    one entry (a column of eye)."""
    if not any(isinstance(f, (EigVecs, SvdU)) for f in chain):
        return chain
    i = 0
    while i + 1 < len(chain):
        v = chain[i]
        if isinstance(v, EigVecs) and _vector_pair(v, chain[i + 1]) is v:  # V*V' = I
            chain[i:i + 2] = [A.identity(v.shape[0])]
            continue
        if i + 2 < len(chain):
            mid, w = chain[i + 1], chain[i + 2]
            pair = _vector_pair(v, w)
            g = mid.arg if isinstance(mid, Diag) else A.ones((mid.shape[0], 1)) \
                if isinstance(mid, Identity) else None
            if pair is not None and g is not None:
                got = _spectral_product(pair, v, g, w)
                if got is not None:
                    chain[i:i + 3] = [got]
                    continue
        i += 1
    return chain


def _vector_pair(v: Expr, w: Expr) -> Expr | None:
    """The vectors V when V and W' are eigen (or left and right singular) vectors of one
    matrix, else None."""
    if isinstance(w, Transpose):
        if isinstance(v, EigVecs) and w.arg is v:
            return v
        if isinstance(v, SvdU) and isinstance(w.arg, SvdV) and v.arg is w.arg.arg:
            return v
    return None


def _spectral_product(pair: Expr, v: Expr, g: Expr, w: Expr) -> Expr | None:
    x = pair.args[0]
    if isinstance(g, Ones):
        return A.identity(x.shape[0]) if isinstance(pair, EigVecs) else None
    k = _unit_column(g)
    if k is not None:
        return A.mul(select(v, 0, k), A.transpose(select(w.args[0], 0, k)))
    coeff, core = A.split_scalars(g)
    if isinstance(pair, SvdU):  # U*diag(svals(X))*V' = X
        return A.mul_list([*coeff, x]) if core is SVals(x) else None
    f = _matrix_function_of(core, x)
    return None if f is None else A.mul_list([*coeff, f])


def _unit_column(g: Expr) -> int | None:
    if isinstance(g, Select) and isinstance(g.arg, Identity) and g.row == 0:
        return g.col
    return None


def _matrix_function_of(g: Expr, s: Expr) -> Expr | None:
    """f(S) when g is f(eigvals(S)) for a function with a matrix form: exp, log, sqrt,
    powers, and products of them (they commute)."""
    w = EigVals(s)
    if g is w:
        return s
    if isinstance(g, Func) and g.arg is w:
        table = {"exp": expm, "log": logm, "sqrt": sqrtm}
        return table[g.name](s) if g.name in table else None
    if isinstance(g, Hadamard):
        parts = [m for f in g.factors if (m := _matrix_function_of(f, s)) is not None]
        return A.mul_list(parts) if len(parts) == len(g.factors) else None
    if isinstance(g, Pow) and isinstance(g.exponent, Num):
        p = g.exponent.value
        if g.base is w and p == Fraction(1, 2):
            return sqrtm(s)
        if g.base is w and p == Fraction(-1, 2):
            return F.inv(sqrtm(s))
        base = _matrix_function_of(g.base, s)
        if base is None or not isinstance(p, int):
            return None
        if p == -1:
            return F.inv(base)
        return F.matpow(base, p) if p >= 1 else F.matpow(F.inv(base), -p)
    return None


# ----------------------------------------------------------------------- rules


def _adjoint(build: Callable[[Expr, Expr], Expr]) -> Callable[[Any, Expr], Expr]:
    """G : df(X, E) = df(X', G) : E (f a real power series)."""
    return lambda e, g: build(A.transpose(e.arg), g)


def _second_order(name: str) -> Callable[[Any, D], Expr]:
    def rule(e: Any, d: D) -> Expr:
        if not A.is_zero(d(e.arg)):
            raise UnsupportedError(
                f"the derivative of {name}(X, E) with respect to X (a second derivative of "
                f"{name[1:]} by a matrix) has no closed form in matdiff; derivatives by a "
                "scalar and Hessians as linear maps are given where the first derivative "
                "simplifies")
        return type(e)(e.arg, d(e.direction)) if not A.is_zero(d(e.direction)) else \
            A.zero(e.shape)
    return rule


def _d_eigvals(e: EigVals, d: D) -> Expr:  # dw = diag(V'*dS*V)
    v = EigVecs(e.arg)
    return F.diag_part(A.mul(A.transpose(v), d(e.arg), v))


def _gaps(s: Expr) -> Expr:
    """F = 1./(ones*w' - w*ones' + I) - I: F_ij = 1/(w_j - w_i) off the diagonal, 0 on it."""
    w, n = EigVals(s), s.shape[0]
    one, eye = A.ones((n, 1)), A.identity(n)
    diff = A.add_list([A.mul(one, A.transpose(w)), A.neg(A.mul(w, A.transpose(one))), eye])
    return A.sub(A.elem_pow(diff, A.MINUS_ONE), eye)


def _d_eigvecs(e: EigVecs, d: D) -> Expr:  # dV = V*(F.*(V'*dS*V))
    return A.mul(e, A.hadamard(_gaps(e.arg), A.mul(A.transpose(e), d(e.arg), e)))


def _no_svd_vectors(name: str) -> Callable[[Any, D], Expr]:
    def rule(e: Any, d: D) -> Expr:
        raise UnsupportedError(
            f"the derivative of {name}(X) (the singular vectors) is not supported: it is "
            "needed for second derivatives through svals, norm(X, 2) or norm(X, 'nuc')")
    return rule


def _d_svals(e: SVals, d: D) -> Expr:  # d svals(X) = diag(U'*dX*V)
    return F.diag_part(A.mul(A.transpose(SvdU(e.arg)), d(e.arg), SvdV(e.arg)))


def _d_spectral(e: SpectralNorm, d: D) -> Expr:  # d norm(X, 2) = u1'*dX*v1
    u, v = select(SvdU(e.arg), 0, 1), select(SvdV(e.arg), 0, 1)
    return A.mul(A.transpose(u), d(e.arg), v)


def _d_nuclear(e: NuclearNorm, d: D) -> Expr:  # d norm(X, 'nuc') = tr(U'*dX*V)
    return F.trace(A.mul(A.transpose(SvdU(e.arg)), d(e.arg), SvdV(e.arg)))


def _operator(name: str, args: str = "{x}") -> str:
    """A LaTeX template: the name (literal LaTeX) applied to the operands {x} (and {e})."""
    literal = name.replace("{", "{{").replace("}", "}}")
    return literal + "\\left(" + args + "\\right)"


RECORDS: tuple[MatrixOp, ...] = (
    MatrixOp(Expm, "expm", "e^{{{x}}}", lambda e, d: dexpm(e.arg, d(e.arg)), finite(np_expm),
             rule="d expm(X) = dexpm(X, dX) (Frechet derivative)"),
    MatrixOp(Logm, "logm", "\\log\\left({x}\\right)", lambda e, d: dlogm(e.arg, d(e.arg)),
             finite(np_logm), rule="d logm(X) = dlogm(X, dX) (Frechet derivative)"),
    MatrixOp(Sqrtm, "sqrtm", "{x}^{{1/2}}", lambda e, d: dsqrtm(e.arg, d(e.arg)), finite(np_sqrtm),
             rule="d sqrtm(X) = dsqrtm(X, dX), the L with sqrtm(X)*L + L*sqrtm(X) = dX",
             postfix=True),
    MatrixOp(DExpm, "dexpm", _operator("L_{\\exp}", "{x}, {e}"), _second_order("dexpm"),
             finite(np_dexpm), pullback=_adjoint(dexpm), linear=1,
             adjoint_rule="G : dexpm(X, E) = dexpm(X', G) : E",
             rule="dexpm(X, E) = [expm([X, E; 0, X])]_12 (block-triangular identity)"),
    MatrixOp(DLogm, "dlogm", _operator("L_{\\log}", "{x}, {e}"), _second_order("dlogm"),
             finite(np_dlogm), pullback=_adjoint(dlogm), linear=1,
             adjoint_rule="G : dlogm(X, E) = dlogm(X', G) : E",
             rule="dlogm(X, E) = [logm([X, E; 0, X])]_12 (block-triangular identity)"),
    MatrixOp(DSqrtm, "dsqrtm", _operator("L_{\\sqrt{\\cdot}}", "{x}, {e}"),
             _second_order("dsqrtm"), finite(np_dsqrtm), pullback=_adjoint(dsqrtm), linear=1,
             adjoint_rule="G : dsqrtm(X, E) = dsqrtm(X', G) : E",
             rule="sqrtm(X)*dsqrtm(X, E) + dsqrtm(X, E)*sqrtm(X) = E (Sylvester)"),
    MatrixOp(EigVals, "eigvals", "\\boldsymbol{{\\lambda}}\\left({x}\\right)", _d_eigvals,
             finite(np_eigvals),
             rule="d eigvals(S) = diag(V'*dS*V), V = eigvecs(S) (distinct eigenvalues)"),
    MatrixOp(EigVecs, "eigvecs", _operator("\\operatorname{eigvecs}"), _d_eigvecs,
             finite(np_eigvecs),
             rule="d eigvecs(S) = V*(F.*(V'*dS*V)), F_ij = 1/(w_j - w_i) (distinct "
                  "eigenvalues)"),
    MatrixOp(SVals, "svals", "\\boldsymbol{{\\sigma}}\\left({x}\\right)", _d_svals,
             finite(np_svals),
             rule="d svals(X) = diag(U'*dX*V), U = svdU(X), V = svdV(X) (distinct singular "
                  "values)"),
    MatrixOp(SvdU, "svdU", _operator("\\operatorname{svdU}"), _no_svd_vectors("svdU"),
             finite(lambda x: np_svd(x)[0])),
    MatrixOp(SvdV, "svdV", _operator("\\operatorname{svdV}"), _no_svd_vectors("svdV"),
             finite(lambda x: np_svd(x)[2])),
    MatrixOp(SpectralNorm, "norm", "\\left\\|{x}\\right\\|_2", _d_spectral, finite(np_norm(2)),
             rule="d norm(X, 2) = u1'*dX*v1, u1 = svdU(X)[:, 1], v1 = svdV(X)[:, 1] (a "
                  "simple largest singular value)",
             text_suffix=lambda e: ", 2"),
    MatrixOp(NuclearNorm, "norm", "\\left\\|{x}\\right\\|_*", _d_nuclear, finite(np_norm("nuc")),
             rule="d norm(X, 'nuc') = tr(U'*dX*V) (nonzero, distinct singular values)",
             text_suffix=lambda e: ", 'nuc'"),
)

CONSTRUCTORS: dict[type[Expr], Callable[..., Expr]] = {
    Expm: expm, Logm: logm, Sqrtm: sqrtm, DExpm: dexpm, DLogm: dlogm, DSqrtm: dsqrtm,
    Select: select, EigVals: eigvals, EigVecs: eigvecs, SVals: svals, SvdU: svd_u, SvdV: svd_v,
}

# spellings in the language -> constructors (eigvals, svals, ... need no simplification)
NAMED: dict[str, Callable[[Expr], Expr]] = {
    "expm": expm, "logm": logm, "sqrtm": sqrtm, "eigvals": eigvals, "eigvecs": eigvecs,
    "svals": svals, "svdU": svd_u, "svdV": svd_v,
}
FRECHET: dict[str, Callable[[Expr, Expr], Expr]] = {"dexpm": dexpm, "dlogm": dlogm,
                                                   "dsqrtm": dsqrtm}


def _transposed(e: Expr) -> Expr | None:
    """f(S)' = f(S) for a symmetric S."""
    return e if is_symmetric(e.args[0]) else None


def _frechet_transposed(e: Expr) -> Expr | None:
    """df(S, E)' = df(S, E) for symmetric S and E (a primary function at a symmetric point,
    in a symmetric direction)."""
    return e if is_symmetric(e.args[0]) and is_symmetric(e.args[1]) else None


A.TRANSPOSED.update({Expm: _transposed, Logm: _transposed, Sqrtm: _transposed,
                     DExpm: _frechet_transposed, DLogm: _frechet_transposed,
                     DSqrtm: _frechet_transposed})
A.CHAIN_RULES.append(spectral_chain)
