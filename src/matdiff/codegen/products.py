"""Lowering matrix products: the chain of factors, ordered by flop count.

A product's scalar factors become one coefficient, applied to the smallest
operand; the other factors become *items* of a kind (:mod:`.chain`): ``dense``,
``diag`` (``diag(v)``, applied as a broadcast), ``inv`` (``inv(A)`` used once,
applied as a solve) and ``ones`` (applied as a sum).  The chain is ordered by
:func:`.chain.plan`; when the best order depends on symbolic sizes the node is a
``select`` between the candidate orders, chosen at run time.  Every interval
computed is remembered, so a product shared with another output (or its
transpose) costs nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .. import ir
from . import chain as C
from .arith import SCALAR, NodeArithmetic
from .lir import Builder, Node, Shape, layout

Item = tuple[str, Node]  # (kind, node): dense | diag | inv | ones | scalar
Key = tuple[tuple[str, int], ...]


@dataclass
class _Outer:
    """The chain a run-time candidate is built for: its items, and the products already
    computed that the candidate reuses (passed to the ``select`` as extra slots)."""

    host: ProductLowering
    items: list[Item]
    known: list[Node] = field(default_factory=list)


class ProductLowering(NodeArithmetic):
    def __init__(self, builder: Builder, uses: dict[int, int]) -> None:
        super().__init__(builder)
        self.uses = uses  # IR node id -> references (an inv used once is a solve)
        self.memo: dict[int, Node] = {}
        self.products: dict[Key, Node] = {}  # chain interval -> node

    def lower(self, e: ir.Expr) -> Node:
        raise NotImplementedError  # the whole lowering: plan.Lowering

    # ------------------------------------------------------------------ coefficients

    def split(self, factors: list[ir.Expr]) -> tuple[list[ir.Expr], list[ir.Expr]]:
        scal = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        return scal, chain

    def coefficient(self, scal: list[ir.Expr]) -> Node | None:
        """The product of the scalar factors: one number, numerators over denominators."""
        if not scal:
            return None
        num = Fraction(1)
        nums: list[Node] = []
        dens: list[Node] = []
        for f in scal:
            if isinstance(f, ir.Num):
                num *= f.value
            elif isinstance(f, ir.Pow) and isinstance(f.exponent, ir.Num) and f.exponent.value < 0:
                q = -f.exponent.value
                base = self.lower(f.base) if q == 1 else self.power(self.lower(f.base), q)
                dens.append(base)
            else:
                nums.append(self.lower(f))
        top = self.mul([self.const(float(num.numerator)), *nums], SCALAR)
        if num.denominator != 1:
            dens.insert(0, self.const(float(num.denominator)))
        if not dens:
            return top
        den = self.mul(dens, SCALAR)
        sign = 1
        if top.op == "neg":
            sign, top = -1, top.args[0]
        node = self.b.make("div", (top, den), None, SCALAR)
        return self.neg(node) if sign < 0 else node

    # ------------------------------------------------------------------ products

    def lower_mul(self, factors: list[ir.Expr], shape: Shape) -> Node:
        scal, chain = self.split(factors)
        coef = self.coefficient(scal)
        if not chain:
            return coef if coef is not None else self.const(1.0)
        spread = self._distribute(chain, shape)
        if spread is not None:
            return self.scale(coef, spread)
        items = self.items(chain)
        # apply the coefficient to the first vector factor when the result is a matrix
        if coef is not None and layout(shape) == "mat":
            k = next((k for k, (kind, node) in enumerate(items)
                      if kind == "dense" and node.layout == "vec"), None)
            if k is not None:
                items[k] = ("dense", self.scale(coef, items[k][1]))
                coef = None
        return self.scale(coef, self.chain_items(items, shape))

    def _distribute(self, chain: list[ir.Expr], shape: Shape) -> Node | None:
        """(A + B)*x with a thin result: A*x + B*x, no temporary matrix."""
        if len(chain) < 2 or (shape[0] != 1 and shape[1] != 1):
            return None
        for i, f in enumerate(chain):
            if (isinstance(f, ir.Add) and f.shape[0] != 1 and f.shape[1] != 1
                    and self.uses.get(id(f), 1) <= 1):
                parts = [self.lower_mul([*chain[:i], t, *chain[i + 1:]], shape)
                         for t in f.terms]
                return self.add(parts, shape)
        return None

    def items(self, chain: list[ir.Expr]) -> list[Item]:
        out: list[Item] = []
        for f in chain:
            out.extend(self._items_of(f))
        return out

    def _items_of(self, f: ir.Expr) -> list[Item]:
        """The chain items of one non-scalar factor."""
        if isinstance(f, ir.Identity):
            return []
        if isinstance(f, ir.Diag):
            v = self.lower(f.arg)
            s = self.bcast(v)
            return [("scalar", s)] if s is not None else [("diag", v)]  # scalar*I, or diag
        inv = f.arg if isinstance(f, ir.Transpose) and isinstance(f.arg, ir.Inv) else f
        if isinstance(inv, ir.Inv) and self.uses.get(id(inv), 1) <= 1:
            a = self.lower(inv.arg)
            return [("inv", self.T(a) if inv is not f else a)]
        if isinstance(f, ir.Ones):
            r, c = f.shape
            if r != 1 and c != 1:  # the outer product of two ones vectors
                return [("ones", self.b.make("ones", (), None, (r, 1))),
                        ("ones", self.b.make("ones", (), None, (1, c)))]
            return [("ones", self.b.make("ones", (), None, f.shape))]
        if isinstance(f, ir.MatPow):
            return [("dense", self.lower(f.base))] * f.k
        if isinstance(f, ir.Transpose) and isinstance(f.arg, ir.MatPow):
            return [("dense", self.T(self.lower(f.arg.base)))] * f.arg.k
        node = self.lower(f)
        # a 1 x 1 factor: a scalar times identity (diag of a constant)
        return [("scalar" if node.shape == SCALAR else "dense", node)]

    def _key(self, items: list[Item]) -> Key:
        return tuple((k, n.id) for k, n in items)

    def _tkey(self, items: list[Item]) -> Key:
        return tuple((k, self.T(n).id) for k, n in reversed(items))

    def _shape(self, kind: str, n: Node) -> Shape:
        return n.shape if kind != "diag" else (n.shape[0], n.shape[0])

    def chain_items(self, items: list[Item], shape: Shape) -> Node:
        """The product of ``items``, in the cheapest order (a ``select`` if that depends on
        the sizes); the intervals computed are remembered, with their transposes."""
        coef = [n for k, n in items if k == "scalar"]
        items = [(k, n) for k, n in items if k != "scalar"]
        if coef:
            return self.scale(self.mul(coef, SCALAR), self.chain_items(items, shape))
        if not items:
            return self.b.make("eye", (), None, shape)
        if len(items) == 1:
            return self.materialize(items[0])
        full_key = self._key(items)
        if full_key in self.products:
            return self.products[full_key]
        factors = [C.CFactor(k, self._shape(k, n)) for k, n in items]

        def known(i: int, j: int) -> bool:
            return self._key(items[i:j + 1]) in self.products

        trees = C.plan(factors, known)
        if len(trees) == 1:
            node = self.materialize(self.build(trees[0], items, register=True))
        else:
            node = self._select(items, factors, trees, shape)
        self.products[full_key] = node
        self.products[self._tkey(items)] = self.T(node)
        return node

    def _select(self, items: list[Item], factors: list[C.CFactor], trees: list[C.Tree],
                shape: Shape) -> Node:
        """A run-time choice between orders: each candidate built over slots (the items,
        then the known products it reuses), with its flop count as text."""
        sub = ProductLowering(Builder(), {})
        slots = [(k, sub.b.make("slot", (), i, n.shape)) for i, (k, n) in enumerate(items)]
        outer = _Outer(self, items)
        shapes, kinds = [f.shape for f in factors], [f.kind for f in factors]
        cands = []
        for t in trees:
            cost = C.cost_text(t, shapes, kinds, lambda d: "\x00" + d + "\x01")
            cands.append((cost, sub.materialize(sub.build(t, slots, False, outer))))
        args = tuple(n for _, n in items) + tuple(outer.known)
        return self.b.make("select", args, tuple(cands), shape)

    def build(self, tree: C.Tree, items: list[Item], register: bool,
              outer: _Outer | None = None) -> Item:
        """The product a chain tree stands for; ``register`` remembers its intervals."""
        if isinstance(tree, int):
            return items[tree]
        if len(tree) == 3:  # an interval computed already
            i, j, _ = tree
            if outer is None:
                return ("dense", self.products[self._key(items[i:j + 1])])
            node = outer.host.products[outer.host._key(outer.items[i:j + 1])]
            outer.known.append(node)
            index = len(outer.items) + len(outer.known) - 1
            return ("dense", self.b.make("slot", (), index, node.shape))
        left = self.build(tree[0], items, register, outer)
        right = self.build(tree[1], items, register, outer)
        res = self.combine(left, right)
        if register and res[0] == "dense":
            i, j = _span(tree)
            self.products[self._key(items[i:j + 1])] = res[1]
        return res

    def materialize(self, item: Item) -> Node:
        kind, n = item
        if kind in ("dense", "ones"):
            return n
        if kind == "diag":
            return self.b.make("diag", (n,), None, (n.shape[0], n.shape[0]))
        if kind == "inv":
            return self.b.make("inv", (n,), None, n.shape)
        raise AssertionError(kind)

    # ------------------------------------------------------------------ two groups

    def combine(self, left: Item, right: Item) -> Item:
        """The product of two groups, by their kinds."""
        kl, l = left
        kr, r = right
        shape = (self._shape(kl, l)[0], self._shape(kr, r)[1])
        if "diag" in (kl, kr):
            return self._combine_diag(left, right, shape)
        if kl == "ones" and kr == "ones":
            if shape == SCALAR:
                return ("dense", self.b.make("dimval", (), l.shape[1], SCALAR))
            return ("dense", self.b.make("ones", (), None, shape))
        if kl == "inv" and kr == "inv":
            left = ("dense", self.materialize(left))
            kl, l = left
        if kl == "ones" and l.shape[1] == 1:  # a column of ones times a row: outer
            kl = "dense"
        if kr == "ones" and r.shape[0] == 1:
            kr = "dense"
        if kl == "ones":
            return ("dense", self._sum_of(self.materialize(right), "colsum", shape))
        if kr == "ones":
            return ("dense", self._sum_of(self.materialize(left), "rowsum", shape))
        if kl == "inv":
            return ("dense", self.b.make("solve", (l, r), None, shape))
        if kr == "inv":
            return ("dense", self.b.make("solve_right", (l, r), None, shape))
        return ("dense", self.matmul(l, r, shape))

    def _combine_diag(self, left: Item, right: Item, shape: Shape) -> Item:
        """diag(v) on either side: a broadcast scaling (two diags: one diag)."""
        (kl, l), (kr, r) = left, right
        if kl == "diag" and kr == "diag":
            return ("diag", self.mul([l, r], l.shape))
        if kl == "diag":
            if kr == "ones":
                return ("dense", l if shape[1] == 1 else self._rowscale(l, r, shape))
            return ("dense", self._rowscale(l, self.materialize(right), shape))
        if kl == "ones":
            return ("dense", self.T(r) if shape[0] == 1 else self._colscale(l, r, shape))
        return ("dense", self._colscale(self.materialize(left), r, shape))

    def _sum_of(self, x: Node, axis_op: str, shape: Shape) -> Node:
        """ones'*X (colsum) or X*ones (rowsum); of a vector, its sum (broadcast)."""
        if x.layout == "mat":
            return self.b.make(axis_op, (x,), None, shape)
        total = self.b.make("sum", (x,), None, SCALAR)
        return total if shape == SCALAR else self.full(total, shape)

    def _rowscale(self, v: Node, x: Node, shape: Shape) -> Node:
        if x.layout != "mat":
            return self.mul([v, x], shape)
        return self.b.make("rowscale", (v, x), None, shape)

    def _colscale(self, x: Node, v: Node, shape: Shape) -> Node:
        if x.layout != "mat":
            return self.mul([x, v], shape)
        return self.b.make("colscale", (x, v), None, shape)

    def matmul(self, l: Node, r: Node, shape: Shape) -> Node:
        if l.op == "eye":
            return r
        if r.op == "eye":
            return l
        if l.shape == SCALAR or r.shape == SCALAR:  # (n x 1)*(1 x 1): a scaling
            return self.mul([l, r], shape)
        if shape == SCALAR:
            return self.dot(self._plain(l), self._plain(r))
        return self.b.make("matmul", (l, r), None, shape)

    def dot(self, a: Node, b: Node) -> Node:
        """sum(a.*b), its operands in a canonical order (shared whichever way it is asked)."""
        return self.b.make("dot", tuple(sorted((a, b), key=lambda n: n.id)), None, SCALAR)

    def _plain(self, n: Node) -> Node:
        """A vector and its transpose are the same 1-D array."""
        return n.args[0] if n.op == "T" and n.layout == "vec" else n


def _span(tree: C.Tree) -> tuple[int, int]:
    if isinstance(tree, int):
        return tree, tree
    if len(tree) == 3:
        return tree[0], tree[1]
    return _span(tree[0])[0], _span(tree[1])[1]
