"""Lowering matrix functions and spectral functions (issue 13): the decompositions they
share, and which algorithm each backend gets.

* One factorisation per matrix: ``eigvals``, ``eigvecs`` and every matrix function or
  Frechet derivative of the same symmetric S read one ``eigh`` (``decomp``, ``part``);
  ``svals``, ``svdU``, ``svdV`` and both norms of the same X one thin SVD.  Where no
  vector is needed the values alone are computed (``eigvalsh``, ``svdvals``).
* A symmetric argument (known from its form: ``S: symmetric matrix``, ``X'*X``, ...)
  is diagonalised: ``f(S) = V*diag(f(w))*V'`` and the Daleckii-Krein form of the Frechet
  derivative, ``df(S, E) = V*(D.*(V'*E*V))*V'`` with the divided differences D of f,
  written so that equal or nearly equal eigenvalues lose no accuracy.  ``expm`` of a
  symmetric matrix stays the Pade kernel unless its eigendecomposition is computed anyway.
* A general argument: the backend's kernels (``expm``, ``expm_frechet``, ``sqrtm``),
  ``dsqrtm`` as the Sylvester solve ``R*L + L*R = E`` with ``R = sqrtm(X)`` (shared with
  the value's ``sqrtm``), ``dlogm`` as the block form ``logm([X, E; 0, X])[1, 2]``.
  ``expm(X)`` and ``dexpm(X', G)`` (a value and its gradient) are one ``expm_frechet``.
* ``M[:, k]``, ``M[k, :]``, ``M[i, j]``, ``v[k]``: slicing (``pick``).
"""

from __future__ import annotations

from .. import ir
from ..ops.spectral import is_symmetric
from .arith import SCALAR
from .lir import Node
from .products import ProductLowering

_FUNCTION = {ir.Expm: "expm", ir.Logm: "logm", ir.Sqrtm: "sqrtm"}
_FRECHET = {ir.DExpm: "expm", ir.DLogm: "logm", ir.DSqrtm: "sqrtm"}
SPECTRAL = (*_FUNCTION, *_FRECHET, ir.EigVals, ir.EigVecs, ir.SVals, ir.SvdU, ir.SvdV,
            ir.SpectralNorm, ir.NuclearNorm, ir.Select)


def _key(e: ir.Expr) -> tuple[int, bool]:
    """(the matrix, transposed?) for a matrix or its transpose."""
    return (id(e.arg), True) if isinstance(e, ir.Transpose) else (id(e), False)


def _plain(e: ir.Expr) -> ir.Expr:
    """A symmetric matrix's transpose is the matrix."""
    return e.arg if isinstance(e, ir.Transpose) and is_symmetric(e.arg) else e


class SpectralLowering(ProductLowering):
    """The spectral nodes of :mod:`..ir`; ``scan`` must see every root first."""

    def scan(self, roots: list[ir.Expr]) -> None:
        """Which matrices need eigenvectors or singular vectors, and which ``expm`` shares
        its work with a Frechet derivative, before anything is lowered."""
        self.eig_vectors: set[int] = set()
        self.svd_vectors: set[int] = set()
        self.expm_of: set[int] = set()
        self.dexpm_at: dict[int, tuple[ir.Expr, ir.Expr, bool]] = {}
        later: list[ir.Expr] = []
        for r in roots:
            for n in r.walk():
                if isinstance(n, ir.EigVecs):
                    self.eig_vectors.add(id(_plain(n.arg)))
                elif isinstance(n, (ir.SvdU, ir.SvdV)):
                    self.svd_vectors.add(id(n.arg))
                elif type(n) in _FUNCTION or type(n) in _FRECHET:
                    later.append(n)
        for n in later:
            x = _plain(n.args[0])
            if not is_symmetric(x):
                if isinstance(n, ir.Expm):
                    self.expm_of.add(_key(x)[0])
                elif isinstance(n, ir.DExpm) and not any(  # a direction built from expm
                        isinstance(m, ir.Expm) for m in n.args[1].walk()):  # itself: apart
                    k, t = _key(x)
                    self.dexpm_at.setdefault(k, (x, n.args[1], t))
            elif not isinstance(n, ir.Expm):
                self.eig_vectors.add(id(x))

    def lower_spectral(self, e: ir.Expr) -> Node:
        b = self.b
        match e:
            case ir.Expm() | ir.Logm() | ir.Sqrtm():
                return self._function(_FUNCTION[type(e)], e.arg)
            case ir.DExpm() | ir.DLogm() | ir.DSqrtm():
                return self._frechet(_FRECHET[type(e)], e.arg, e.direction)
            case ir.EigVals():
                s = _plain(e.arg)
                if id(s) in self.eig_vectors:
                    return b.make("part", (self._eigh(s),), 0, e.shape)
                return b.make("decomp", (self.lower(s),), "eigvalsh", e.shape)
            case ir.EigVecs():
                return b.make("part", (self._eigh(_plain(e.arg)),), 1, e.shape)
            case ir.SVals():
                return self._svals(e.arg)
            case ir.SvdU() | ir.SvdV():
                svd = b.make("decomp", (self.lower(e.arg),), "svd", e.arg.shape)
                return b.make("part", (svd,), 0 if isinstance(e, ir.SvdU) else 2, e.shape)
            case ir.SpectralNorm():
                return b.make("pick", (self._svals(e.arg),), (1, 1), SCALAR)
            case ir.NuclearNorm():
                return b.make("sum", (self._svals(e.arg),), None, SCALAR)
            case ir.Select():
                return b.make("pick", (self.lower(e.arg),), (e.row, e.col), e.shape)
        raise NotImplementedError(f"cannot generate code for {type(e).__name__}")

    def _eigh(self, s: ir.Expr) -> Node:
        return self.b.make("decomp", (self.lower(s),), "eigh", s.shape)

    def _svals(self, x: ir.Expr) -> Node:
        shape = (ir.dim_min(*x.shape), 1)
        if id(x) in self.svd_vectors:
            svd = self.b.make("decomp", (self.lower(x),), "svd", x.shape)
            return self.b.make("part", (svd,), 1, shape)
        return self.b.make("decomp", (self.lower(x),), "svdvals", shape)

    def _function(self, name: str, x: ir.Expr) -> Node:
        """expm, logm or sqrtm of x: from its eigendecomposition when x is symmetric and
        (for expm) diagonalised anyway, shared with dexpm, else the backend's kernel."""
        x = _plain(x)
        if is_symmetric(x) and (name != "expm" or id(x) in self.eig_vectors):
            return self.b.make("eigfun", (self._eigh(x),), name, x.shape)
        if isinstance(x, ir.Transpose):  # f(X') = f(X)'
            return self.T(self._function(name, x.arg))
        if name == "expm" and id(x) in self.dexpm_at:
            y, d, transposed = self.dexpm_at[id(x)]
            value = self.b.make("part", (self._pair(y, d),), 0, x.shape)
            return self.T(value) if transposed else value
        return self.b.make("matfun", (self.lower(x),), name, x.shape)

    def _pair(self, x: ir.Expr, d: ir.Expr) -> Node:
        """(expm(x), dexpm(x, d)) in one expm_frechet."""
        return self.b.make("frechet", (self.lower(x), self.lower(d)), ("expm", True), x.shape)

    def _frechet(self, name: str, x: ir.Expr, d: ir.Expr) -> Node:
        x = _plain(x)
        if is_symmetric(x):
            return self.b.make("eigfrechet", (self._eigh(x), self.lower(d)), name, x.shape)
        if name == "sqrtm":  # sqrtm(X)*L + L*sqrtm(X) = E
            r = self._function("sqrtm", x)
            return self.b.make("sylvester", (r, self.lower(d)), None, x.shape)
        if name == "expm":
            k = _key(x)[0]
            pair = self.dexpm_at.get(k)
            if k in self.expm_of and pair is not None and pair[0] is x and pair[1] is d:
                return self.b.make("part", (self._pair(x, d),), 1, x.shape)
        return self.b.make("frechet", (self.lower(x), self.lower(d)), (name, False), x.shape)
