"""Lowering reductions of products without forming the product:

* ``tr(A*B) = sum(A.*B')``, the chain cut (and rotated) where that is cheapest;
* ``diag(A*B) = sum(A.*B', 2)``;
* ``sum(A*B) = (1'*A)*(B*1)`` (ones vectors in the chain: sums, ordered by cost);
* ``sum(a.*b) = a'*b``; the sum of a fill is its value times the size.
"""

from __future__ import annotations

from .. import ir
from . import chain as C
from .arith import SCALAR
from .lir import Node, Shape
from .products import Item, ProductLowering


class ReductionLowering(ProductLowering):
    def _chain_of(self, e: ir.Expr) -> tuple[Node | None, list[Item]] | None:
        """(coefficient, items) of a product, or None."""
        if isinstance(e, ir.Mul):
            scal, chain = self.split(list(e.factors))
            if len(chain) >= 2 and not any(isinstance(f, ir.Add) for f in chain):
                return self.coefficient(scal), self.items(chain)
        return None

    def _best_split(self, items: list[Item], rotations: bool) -> tuple[list[Item], list[Item]]:
        """Where to cut a chain P*Q so that sum(P.*Q') is cheapest (typical sizes)."""
        k = len(items)
        best: tuple[float, list[Item], list[Item]] | None = None
        for r in (range(k) if rotations else [0]):
            rot = items[r:] + items[:r]
            for s in range(1, k):
                fs = [C.CFactor(kk, self._shape(kk, n)) for kk, n in rot]
                cost = C.typical_cost(fs[:s]) + C.typical_cost(fs[s:])
                if best is None or cost < best[0] - 1e-9:
                    best = (cost, rot[:s], rot[s:])
        assert best is not None
        return best[1], best[2]

    def _group(self, items: list[Item]) -> Node:
        """The product of a run of items, whatever its shape."""
        shape = (self._shape(*items[0])[0], self._shape(*items[-1])[1])
        return self.chain_items(items, shape)

    def lower_trace(self, x: ir.Expr) -> Node:
        got = self._chain_of(x)
        if got is None:
            return self.b.make("trace", (self.lower(x),), None, SCALAR)
        coef, items = got
        extra = [n for k, n in items if k == "scalar"]
        if extra:
            coef = self.mul(([coef] if coef is not None else []) + extra, SCALAR)
        items = [it for it in items if it[0] != "scalar"]
        if len(items) < 2:
            return self.b.make("trace", (self.lower(x),), None, SCALAR)
        p_items, q_items = self._best_split(items, rotations=True)
        p = self._group(p_items)
        q = self._group(q_items)
        if p.op == "diag" or q.op == "diag":  # tr(diag(v)*Q) = v'*diag(Q)
            d, o = (p, q) if p.op == "diag" else (q, p)
            diagonal = self.b.make("diagpart", (o,), None, (o.shape[0], 1))
            node = self.b.make("dot", (d.args[0], diagonal), None, SCALAR)
        else:
            node = self.dot(self._plain(p), self._plain(self.T(q)))
        return self.scale(coef, node)

    def lower_diagpart(self, x: ir.Expr) -> Node:
        got = self._chain_of(x)
        shape: Shape = (x.shape[0], 1)
        if got is None or any(k == "scalar" for k, _ in got[1]):
            return self.b.make("diagpart", (self.lower(x),), None, shape)
        coef, items = got
        p_items, q_items = self._best_split(items, rotations=False)
        p = self._group(p_items)
        q = self._group(q_items)
        if p.op == "diag" or q.op == "diag" or p.layout != "mat" or q.layout != "mat":
            node = self.b.make("diagpart", (self.chain_items(items, x.shape),), None, shape)
        else:
            node = self.b.make("diagprod", (p, q), None, shape)
        return self.scale(coef, node)

    def lower_sum(self, x: ir.Expr) -> Node:
        if isinstance(x, ir.Mul):
            got = self._sum_of_product(x)
            if got is not None:
                return got
        if isinstance(x, ir.Hadamard) and len(x.factors) == 2:
            a, b = (self.lower(f) for f in x.factors)
            if self.bcast(a) is None and self.bcast(b) is None:
                return self.dot(a, b)
        n = self.lower(x)
        s = self.bcast(n)
        if s is not None:
            r, c = x.shape
            size = self.mul([self.b.make("dimval", (), d, SCALAR) for d in (r, c) if d != 1],
                            SCALAR)
            return self.mul([s, size], SCALAR)
        return self.b.make("sum", (n,), None, SCALAR)

    def _sum_of_product(self, x: ir.Mul) -> Node | None:
        """sum(A*B) as the chain 1'*A*B*1."""
        scal, chain = self.split(list(x.factors))
        if not chain or any(isinstance(f, ir.Add) for f in chain):
            return None
        r, c = x.shape
        head: list[Item] = [("ones", self.b.make("ones", (), None, (1, r)))] if r != 1 else []
        tail: list[Item] = [("ones", self.b.make("ones", (), None, (c, 1)))] if c != 1 else []
        items = head + self.items(chain) + tail
        if len(items) < 2:
            return None
        return self.scale(self.coefficient(scal), self.chain_items(items, SCALAR))
