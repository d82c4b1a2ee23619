"""From matdiff's IR to the low-level IR (:mod:`.lir`): the efficiency decisions.

:class:`Lowering` turns the value, gradient and Hessian expressions into one
DAG of array operations.  The IR is hash-consed and the builder too, so a
subexpression shared between the value and its derivatives (``X*W - Y``) is
one node, computed once.  Rules, each with the identity it rests on:

* products: scalar factors are folded into one coefficient, applied to the
  smallest operand; the chain is ordered by flop count (:mod:`.chain`), at run
  time when the sizes are symbolic and the best order depends on them;
  intervals already computed elsewhere cost nothing;
* ``diag(v)*X`` is a broadcast (``v[:, None]*X``), ``inv(A)*B`` a solve,
  ``ones'*X`` a column sum, a ``ones(m, n)`` factor the outer product of two
  ones vectors; a matrix power is a chain of its base;
* ``(A + B)*x`` with a thin right side is ``A*x + B*x`` (no n x n temporary);
* ``tr(A*B) = sum(A.*B')``, the split of the chain chosen by cost;
  ``diag(A*B) = sum(A.*B', 2)``; ``sum(A*B) = (1'*A)*(B*1)``;
  ``norm(x)^2 = x'*x``; ``sum(a.*b) = a'*b``;
* kron, commutation, vec inside products: einsum terms (:mod:`.tensor`),
  never materialised;
* functions of constants are folded (the operation record's ``fold``);
* ``inv(X)`` used more than once is computed once; used once in a product it
  is a solve;
* matrix and spectral functions share one eigendecomposition or SVD per matrix
  (:mod:`.spectral`).

The rules live with what they lower: :mod:`.arith` (elementwise nodes),
:mod:`.products` (chains), :mod:`.reductions` (trace, diag, sum of products),
:mod:`.structured` (Kronecker structure); this module dispatches on the IR node.
"""

from __future__ import annotations

from .. import ir
from ..ops import ELEMENTWISE
from .arith import SCALAR
from .lir import Builder, Node
from .reductions import ReductionLowering
from .spectral import SPECTRAL, SpectralLowering
from .structured import StructuredLowering, is_structured

# IR nodes that are one low-level operation on their lowered argument
_UNARY: dict[type[ir.Expr], str] = {
    ir.Det: "det", ir.LogDet: "logdet", ir.Inv: "inv", ir.LogSumExp: "logsumexp",
    ir.Softmax: "softmax", ir.Vec: "vec",
}
# IR leaves that are a fill of their shape
_FILLS: dict[type[ir.Expr], str] = {ir.Zero: "zeros", ir.Ones: "ones", ir.Identity: "eye"}


def use_counts(roots: list[ir.Expr]) -> dict[int, int]:
    """How many times each node is referenced, looking through transposes."""
    order: list[ir.Expr] = []
    seen: set[int] = set()
    for r in roots:
        for n in r.walk():
            if id(n) not in seen:
                seen.add(id(n))
                order.append(n)
    uses: dict[int, int] = {id(n): 0 for n in order}
    for r in roots:
        uses[id(r)] += 1
    for n in reversed(order):  # parents before children
        for c in n.children:
            uses[id(c)] += uses[id(n)] if isinstance(n, ir.Transpose) else 1
    return uses


class Lowering(ReductionLowering, StructuredLowering, SpectralLowering):
    """IR expressions to one DAG of low-level nodes, shared subexpressions lowered once."""

    def __init__(self, roots: list[ir.Expr]):
        super().__init__(Builder(), use_counts(roots))
        self.scan(roots)

    def lower(self, e: ir.Expr) -> Node:
        got = self.memo.get(id(e))
        if got is None:
            got = self._lower(e)
            self.memo[id(e)] = got
        return got

    def _lower(self, e: ir.Expr) -> Node:
        if is_structured(e):
            got = self.structured(e)
            if got is not None:
                return got
        op = _UNARY.get(type(e))
        if op is not None:  # softmax and logsumexp of a matrix: along an axis
            axis = e.args[1] - 1 if op in ("softmax", "logsumexp") and e.args[0].shape[1] != 1 \
                else None
            return self.b.make(op, (self.lower(e.args[0]),), axis, e.shape)
        op = _FILLS.get(type(e))
        if op is not None:
            return self.b.make(op, (), None, e.shape)
        return self._lower_node(e)

    def _lower_node(self, e: ir.Expr) -> Node:
        b, shape = self.b, e.shape
        match e:
            case ir.Sym():
                return b.make("arg", (), e.name, shape)
            case ir.Differential():
                return b.make("arg", (), "d" + e.var.name, shape)
            case ir.Num():
                return self.const(float(e.value))
            case ir.Add():
                return self.add([self.lower(t) for t in e.terms], shape)
            case ir.Mul():
                return self.lower_mul(list(e.factors), shape)
            case ir.Hadamard():
                return self.lower_hadamard(e)
            case ir.Pow():
                return self.lower_pow(e)
            case ir.MatPow():
                return self.lower_mul([e.base] * e.k, shape)
            case ir.Func():
                return self.lower_func(e)
            case ir.Transpose():
                if isinstance(e.arg, ir.Sym) and e.arg.kind == "symmetric":
                    return self.lower(e.arg)
                return self.T(self.lower(e.arg))
            case ir.Trace():
                return self.lower_trace(e.arg)
            case ir.Diag():
                return self.lower_diag(e)
            case ir.DiagPart():
                return self.lower_diagpart(e.arg)
            case ir.Sum():
                return self.lower_sum(e.arg)
            case ir.Norm():
                x = self.lower(e.arg)
                return self.func("sqrt", b.make("dot", (x, x), None, SCALAR))
            case ir.Kron():
                return b.make("kron", (self.lower(e.left), self.lower(e.right)), None, shape)
            case ir.Reshape():
                return b.make("reshape", (self.lower(e.arg),), (e.rows, e.cols), shape)
            case ir.Size():
                return b.make("dimval", (), e.dim, SCALAR)
            case ir.Commutation():
                return b.make("commutation", (), (e.m, e.n), shape)
        if isinstance(e, SPECTRAL):  # matrix and spectral functions: .spectral
            return self.lower_spectral(e)
        raise NotImplementedError(f"cannot generate code for {type(e).__name__}")

    def lower_hadamard(self, e: ir.Hadamard) -> Node:
        """Elementwise product; fills enter as the scalar they repeat."""
        xs = [self.lower(f) for f in e.factors]
        full = [x for x in xs if self.bcast(x) is None]
        scal = [s for s in (self.bcast(x) for x in xs) if s is not None]
        if not full:
            return self.full(self.mul(scal, SCALAR), e.shape)
        return self.mul(full + scal, e.shape)

    def lower_func(self, e: ir.Func) -> Node:
        """An elementwise function: folded on a constant, applied once to a fill's value."""
        x = self.lower(e.arg)
        if x.op == "const":
            return self.const(float(ELEMENTWISE[e.name].fold(x.attr)))
        s = self.bcast(x)
        if s is not None:
            return self.full(self.func(e.name, s), e.shape)
        return self.func(e.name, x)

    def lower_diag(self, e: ir.Diag) -> Node:
        v = self.lower(e.arg)
        s = self.bcast(v)
        if s is not None:  # diag of a fill: a multiple of the identity
            return self.scale(s, self.b.make("eye", (), None, e.shape))
        return self.b.make("diag", (v,), None, e.shape)

    def lower_pow(self, e: ir.Pow) -> Node:
        base, ex = e.base, e.exponent
        if not isinstance(ex, ir.Num):
            x, y = self.lower(base), self.lower(ex)
            return self.b.make("pow", (x, y), None, e.shape)
        p = ex.value
        if isinstance(base, ir.Norm) and p % 2 == 0:  # norm(x)^2 = x'*x
            x = self.lower(base.arg)
            d = self.b.make("dot", (x, x), None, SCALAR)
            return d if p == 2 else self.b.make("pow", (d, self.const(float(p / 2))), None,
                                                SCALAR)
        x = self.lower(base)
        if x.op == "const":
            return self.const(float(x.attr) ** float(p))
        s = self.bcast(x)
        if s is not None:
            return self.full(self.power(s, p), e.shape)
        return self.power(x, p)
