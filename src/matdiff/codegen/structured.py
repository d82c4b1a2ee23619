"""Lowering Kronecker-structured expressions (``kron``, ``commutation``, ``vec`` and
``diag(vec(.))`` inside products) to einsum terms (:mod:`.tensor`): never materialised."""

from __future__ import annotations

from .. import ir
from . import tensor as TS
from .lir import Node
from .products import ProductLowering


def is_structured(e: ir.Expr) -> bool:
    """Whether ``e`` holds a kron or commutation matrix that einsum terms can avoid forming."""
    if isinstance(e, (ir.Kron, ir.Commutation)):
        return True
    if isinstance(e, (ir.Transpose, ir.Diag)):
        return is_structured(e.arg)
    if isinstance(e, (ir.Add, ir.Mul)):
        return any(is_structured(c) for c in e.args[0])
    return False


def _wraps_structure(e: ir.Mul) -> bool:
    """A product with a vec, identity or diag(vec(.)) factor: expanded into terms."""
    return any(isinstance(f, (ir.Vec, ir.Identity))
               or (isinstance(f, ir.Diag) and isinstance(f.arg, ir.Vec)) for f in e.factors)


class StructuredLowering(ProductLowering):
    def structured(self, e: ir.Expr) -> Node | None:
        """A ``tensor`` node computing ``e`` by einsum terms, or None (materialise it)."""
        try:
            s = self.tensor(e)
            plan, args = TS.make_plan(s, e.shape)
        except TS.Unstructured:
            return None
        return self.b.make("tensor", tuple(args), plan, e.shape)

    def tensor(self, e: ir.Expr) -> list[TS.Term]:
        """The einsum terms of ``e``."""
        if not is_structured(e):
            return self._plain_terms(e)
        match e:
            case ir.Kron():
                return TS.kron(self.tensor(e.left), self.tensor(e.right))
            case ir.Commutation():
                return TS.commutation(e.m, e.n)
            case ir.Transpose():
                return TS.transpose(self.tensor(e.arg))
            case ir.Diag():
                return TS.diag(self.tensor(e.arg))
            case ir.Add():
                return [t for term in e.terms for t in self.tensor(term)]
            case ir.Mul():
                return self._product_terms(e)
        return TS.dense(self.lower(e), e.shape)

    def _plain_terms(self, e: ir.Expr) -> list[TS.Term]:
        """The terms of an expression with no kron in it (vec and identities as letters)."""
        if e.is_scalar:
            return TS.scale([TS.Term(1.0, [], [], [], [])], 1.0, self.lower(e))
        if isinstance(e, ir.Identity):
            return TS.identity(e.n)
        if isinstance(e, ir.Vec) and not e.arg.is_scalar:
            return TS.vec(self.lower(e.arg), e.arg.shape)
        if isinstance(e, ir.Diag) and isinstance(e.arg, ir.Vec):
            return TS.diag(self.tensor(e.arg))
        if isinstance(e, ir.Transpose) and isinstance(e.arg, (ir.Vec, ir.Diag)):
            return TS.transpose(self.tensor(e.arg))
        if isinstance(e, ir.Mul) and _wraps_structure(e):
            return self._product_terms(e)
        return TS.dense(self.lower(e), e.shape)

    def _product_terms(self, e: ir.Mul) -> list[TS.Term]:
        scal, chain = self.split(list(e.factors))
        acc: list[TS.Term] | None = None
        for f in chain:
            s = self.tensor(f)
            acc = s if acc is None else TS.product(acc, s)
        if acc is None:
            raise TS.Unstructured("a product of scalars")
        coef = self.coefficient(scal)
        if coef is None:
            return acc
        if coef.op == "const":
            return TS.scale(acc, coef.attr)
        return TS.scale(acc, 1.0, coef)
