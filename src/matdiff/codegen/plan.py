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
* ``inv(X)`` used more than once is computed once; used once in a product it
  is a solve.
"""

from __future__ import annotations

from fractions import Fraction

from .. import ir
from ..ops import ELEMENTWISE
from . import chain as C
from . import tensor as TS
from .lir import Builder, Node, layout

SCALAR = (1, 1)


def _is_structured(e: ir.Expr) -> bool:
    if isinstance(e, (ir.Kron, ir.Commutation)):
        return True
    if isinstance(e, ir.Transpose):
        return _is_structured(e.arg)
    if isinstance(e, (ir.Add, ir.Mul)):
        return any(_is_structured(c) for c in e.args[0])
    if isinstance(e, ir.Diag):
        return _is_structured(e.arg)
    return False


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


class Lowering:
    def __init__(self, roots: list[ir.Expr]):
        self.b = Builder()
        self.memo: dict[int, Node] = {}
        self.uses = use_counts(roots)
        self.products: dict[tuple, Node] = {}  # chain interval key -> node

    # ------------------------------------------------------------------ helpers

    def const(self, x: float) -> Node:
        return self.b.make("const", (), float(x), SCALAR)

    def T(self, n: Node) -> Node:
        r, c = n.shape
        shape = (c, r)
        if n.op == "T":
            return n.args[0]
        if n.layout == "scalar":
            return n
        if n.op in ("zeros", "ones"):
            return self.b.make(n.op, (), None, shape)
        if n.op == "full":
            return self.b.make("full", n.args, None, shape)
        if n.op == "eye":
            return n
        if n.op == "neg":
            return self.neg(self.T(n.args[0]))
        return self.b.make("T", (n,), None, shape)

    def neg(self, n: Node) -> Node:
        if n.op == "neg":
            return n.args[0]
        if n.op == "const":
            return self.const(-n.attr)
        return self.b.make("neg", (n,), None, n.shape)

    def full(self, s: Node, shape) -> Node:
        if shape == SCALAR:
            return s
        if s.op == "const" and s.attr == 0:
            return self.b.make("zeros", (), None, shape)
        if s.op == "const" and s.attr == 1:
            return self.b.make("ones", (), None, shape)
        return self.b.make("full", (s,), None, shape)

    def bcast(self, n: Node) -> Node | None:
        """The scalar a broadcast node stands for (or None)."""
        if n.op == "ones":
            return self.const(1.0)
        if n.op == "zeros":
            return self.const(0.0)
        if n.op == "full":
            return n.args[0]
        return None

    def scale(self, coef: Node | None, n: Node) -> Node:
        if coef is None:
            return n
        if coef.op == "const":
            if coef.attr == 1:
                return n
            if coef.attr == -1:
                return self.neg(n)
        if n.op == "neg":
            return self.scale(self.neg(coef), n.args[0])
        s = self.bcast(n)
        if s is not None:
            return self.full(self.mul([coef, s], SCALAR), n.shape)
        return self.mul([coef, n], n.shape)

    def mul(self, xs: list[Node], shape) -> Node:
        """Elementwise product (scalars broadcast), constants folded, signs pulled out."""
        num = 1.0
        rest: list[Node] = []
        sign = 1
        for x in xs:
            while x.op == "neg":
                sign, x = -sign, x.args[0]
            if x.op == "const":
                num *= x.attr
            elif x.op == "mul":
                for y in x.args:
                    if y.op == "const":
                        num *= y.attr
                    else:
                        rest.append(y)
            else:
                rest.append(x)
        num *= sign
        if num == 0:
            return self.full(self.const(0.0), shape)
        neg = num < 0
        num = abs(num)
        if not rest:
            node = self.const(num)
            return self.full(self.neg(node) if neg else node, shape)
        args = ([self.const(num)] if num != 1 else []) + sorted(rest, key=lambda n: n.id)
        if len(args) == 1:
            node = args[0]
        else:
            node = self.b.make("mul", tuple(args), None, shape)
        if node.shape != shape:
            node = self.full(node, shape) if node.shape == SCALAR else node
        return self.neg(node) if neg else node

    def add(self, xs: list[Node], shape) -> Node:
        terms: list[tuple[int, Node]] = []
        scalars: list[tuple[int, Node]] = []
        for x in xs:
            sign = 1
            while x.op == "neg":
                sign, x = -sign, x.args[0]
            if x.op == "add":
                for s, y in zip(x.attr, x.args):
                    (scalars if y.shape == SCALAR and shape != SCALAR else terms).append(
                        (s * sign, y))
                continue
            if x.op == "zeros" or (x.op == "const" and x.attr == 0):
                continue
            s = self.bcast(x) if shape != SCALAR else None
            if s is not None:
                scalars.append((sign, s))
            else:
                terms.append((sign, x))
        if not terms:
            if not scalars:
                return self.full(self.const(0.0), shape)
            return self.full(self.add([x if s > 0 else self.neg(x) for s, x in scalars], SCALAR),
                             shape)
        allt = terms + scalars
        if len(allt) == 1:
            s, x = allt[0]
            return x if s > 0 else self.neg(x)
        # positive terms first, so that the code reads a + b - c
        allt.sort(key=lambda sx: (sx[0] < 0,))
        if all(s < 0 for s, _ in allt):
            return self.neg(self.add([x for _, x in allt], shape))
        return self.b.make("add", tuple(x for _, x in allt), tuple(s for s, _ in allt), shape)

    # ------------------------------------------------------------------ lowering

    def lower(self, e: ir.Expr) -> Node:
        got = self.memo.get(id(e))
        if got is None:
            got = self._lower(e)
            self.memo[id(e)] = got
        return got

    def _lower(self, e: ir.Expr) -> Node:
        b = self.b
        shape = e.shape
        if _is_structured(e):
            got = self.structured(e)
            if got is not None:
                return got
        match e:
            case ir.Sym():
                return b.make("arg", (), e.name, shape)
            case ir.Differential():
                return b.make("arg", (), "d" + e.var.name, shape)
            case ir.Num():
                return self.const(float(e.value))
            case ir.Zero():
                return b.make("zeros", (), None, shape)
            case ir.Ones():
                return b.make("ones", (), None, shape)
            case ir.Identity():
                return b.make("eye", (), None, shape)
            case ir.Add():
                return self.add([self.lower(t) for t in e.terms], shape)
            case ir.Mul():
                return self.lower_mul(list(e.factors), shape)
            case ir.Hadamard():
                xs = [self.lower(f) for f in e.factors]
                full = [x for x in xs if self.bcast(x) is None]
                scal = [self.bcast(x) for x in xs if self.bcast(x) is not None]
                if not full:
                    return self.full(self.mul(scal, SCALAR), shape)
                return self.mul(full + scal, shape)
            case ir.Pow():
                return self.lower_pow(e)
            case ir.MatPow():
                return self.lower_mul([e.base] * e.k, shape)
            case ir.Func():
                x = self.lower(e.arg)
                if x.op == "const":
                    return self.const(float(ELEMENTWISE[e.name].fold(x.attr)))
                s = self.bcast(x)
                if s is not None:
                    return self.full(self.func(e.name, s), shape)
                return self.func(e.name, x)
            case ir.Transpose():
                if isinstance(e.arg, ir.Sym) and e.arg.kind == "symmetric":
                    return self.lower(e.arg)
                return self.T(self.lower(e.arg))
            case ir.Trace():
                return self.lower_trace(e.arg)
            case ir.Det():
                return b.make("det", (self.lower(e.arg),), None, shape)
            case ir.LogDet():
                return b.make("logdet", (self.lower(e.arg),), None, shape)
            case ir.Inv():
                return b.make("inv", (self.lower(e.arg),), None, shape)
            case ir.Diag():
                v = self.lower(e.arg)
                s = self.bcast(v)
                if s is not None:
                    return self.scale(s, b.make("eye", (), None, shape))
                return b.make("diag", (v,), None, shape)
            case ir.DiagPart():
                return self.lower_diagpart(e.arg)
            case ir.Sum():
                return self.lower_sum(e.arg)
            case ir.Norm():
                x = self.lower(e.arg)
                return b.make("func", (b.make("dot", (x, x), None, SCALAR),), "sqrt", SCALAR)
            case ir.LogSumExp():
                return b.make("logsumexp", (self.lower(e.arg),), None, shape)
            case ir.Softmax():
                return b.make("softmax", (self.lower(e.arg),), None, shape)
            case ir.Kron():
                return b.make("kron", (self.lower(e.left), self.lower(e.right)), None, shape)
            case ir.Vec():
                return b.make("vec", (self.lower(e.arg),), None, shape)
            case ir.Reshape():
                return b.make("reshape", (self.lower(e.arg),), (e.rows, e.cols), shape)
            case ir.Commutation():
                return b.make("commutation", (), (e.m, e.n), shape)
        raise NotImplementedError(f"cannot generate code for {type(e).__name__}")

    def func(self, name: str, x: Node) -> Node:
        return self.b.make("func", (x,), name, x.shape)

    def lower_pow(self, e: ir.Pow) -> Node:
        base, ex = e.base, e.exponent
        if isinstance(ex, ir.Num):
            p = ex.value
            if isinstance(base, ir.Norm) and p % 2 == 0:
                x = self.lower(base.arg)
                d = self.b.make("dot", (x, x), None, SCALAR)
                return d if p == 2 else self.b.make("pow", (d, self.const(float(p / 2))), None,
                                                    SCALAR)
            x = self.lower(base)
            if x.op == "const":
                return self.const(float(x.attr) ** float(p))
            s = self.bcast(x)
            if s is not None:
                return self.full(self.lower_pow_node(s, p), e.shape)
            return self.lower_pow_node(x, p)
        x, y = self.lower(base), self.lower(ex)
        return self.b.make("pow", (x, y), None, e.shape)

    def lower_pow_node(self, x: Node, p: Fraction) -> Node:
        if p == 1:
            return x
        if p == Fraction(1, 2):
            return self.func("sqrt", x)
        if p == -1:
            return self.b.make("div", (self.const(1.0), x), None, x.shape)
        if p == Fraction(-1, 2):
            return self.b.make("div", (self.const(1.0), self.func("sqrt", x)), None, x.shape)
        return self.b.make("pow", (x, self.const(float(p))), None, x.shape)

    # ------------------------------------------------------------------ products

    def split(self, factors: list[ir.Expr]) -> tuple[list[ir.Expr], list[ir.Expr]]:
        scal = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        return scal, chain

    def coefficient(self, scal: list[ir.Expr]) -> Node | None:
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
                base = self.lower(f.base) if q == 1 else self.lower_pow_node(self.lower(f.base), q)
                dens.append(base)
            else:
                nums.append(self.lower(f))
        top = self.mul([self.const(float(num.numerator))] + nums, SCALAR)
        if num.denominator != 1:
            dens.insert(0, self.const(float(num.denominator)))
        if dens:
            den = self.mul(dens, SCALAR)
            sign = 1
            if top.op == "neg":
                sign, top = -1, top.args[0]
            node = self.b.make("div", (top, den), None, SCALAR)
            return self.neg(node) if sign < 0 else node
        return top

    def lower_mul(self, factors: list[ir.Expr], shape) -> Node:
        scal, chain = self.split(factors)
        coef = self.coefficient(scal)
        if not chain:
            return coef if coef is not None else self.const(1.0)
        # (A + B)*x with a thin result: A*x + B*x, no temporary matrix
        if (len(chain) >= 2 and (shape[0] == 1 or shape[1] == 1)):
            for i, f in enumerate(chain):
                if (isinstance(f, ir.Add) and f.shape[0] != 1 and f.shape[1] != 1
                        and self.uses.get(id(f), 1) <= 1):
                    parts = [self.lower_mul(chain[:i] + [t] + chain[i + 1:], shape)
                             for t in f.terms]
                    return self.scale(coef, self.add(parts, shape))
        items = self.items(chain)
        # apply the coefficient to the smallest vector factor when the result is a matrix
        if coef is not None and layout(shape) == "mat":
            best = None
            for k, (kind, node) in enumerate(items):
                if kind == "dense" and node.layout == "vec":
                    best = k
                    break
            if best is not None:
                kind, node = items[best]
                items[best] = ("dense", self.scale(coef, node))
                coef = None
        node = self.chain_items(items, shape)
        return self.scale(coef, node)

    def items(self, chain: list[ir.Expr]) -> list[tuple[str, Node]]:
        out: list[tuple[str, Node]] = []
        for f in chain:
            if isinstance(f, ir.Identity):
                continue
            if isinstance(f, ir.Diag):
                v = self.lower(f.arg)
                s = self.bcast(v)
                if s is not None:
                    out.append(("scalar", s))  # a scalar times identity
                    continue
                out.append(("diag", v))
                continue
            inv = None
            if isinstance(f, ir.Inv):
                inv, tr = f, False
            elif isinstance(f, ir.Transpose) and isinstance(f.arg, ir.Inv):
                inv, tr = f.arg, True
            if inv is not None and self.uses.get(id(inv), 1) <= 1:
                a = self.lower(inv.arg)
                out.append(("inv", self.T(a) if tr else a))
                continue
            if isinstance(f, ir.Ones):
                r, c = f.shape
                if r != 1 and c != 1:
                    out.append(("ones", self.b.make("ones", (), None, (r, 1))))
                    out.append(("ones", self.b.make("ones", (), None, (1, c))))
                else:
                    out.append(("ones", self.b.make("ones", (), None, f.shape)))
                continue
            if isinstance(f, ir.MatPow):
                out.extend([("dense", self.lower(f.base))] * f.k)
                continue
            if isinstance(f, ir.Transpose) and isinstance(f.arg, ir.MatPow):
                out.extend([("dense", self.T(self.lower(f.arg.base)))] * f.arg.k)
                continue
            node = self.lower(f)
            if node.shape == SCALAR:
                # a scalar times identity (diag of a constant)
                out.append(("scalar", node))
                continue
            out.append(("dense", node))
        return out

    def _key(self, items) -> tuple:
        return tuple((k, n.id) for k, n in items)

    def _tkey(self, items) -> tuple:
        return tuple((k, self.T(n).id) for k, n in reversed(items))

    def chain_items(self, items: list[tuple[str, Node]], shape) -> Node:
        coef = [n for k, n in items if k == "scalar"]
        items = [(k, n) for k, n in items if k != "scalar"]
        if coef:
            return self.scale(self.mul(coef, SCALAR), self.chain_items(items, shape))
        if not items:
            return self.b.make("eye", (), None, shape)
        if len(items) == 1:
            return self.materialize(items[0], shape)
        full_key = self._key(items)
        if full_key in self.products:
            return self.products[full_key]
        factors = [C.CFactor(k, self._shape(k, n)) for k, n in items]

        def known(i: int, j: int) -> bool:
            return self._key(items[i:j + 1]) in self.products

        trees = C.plan(factors, known)
        if len(trees) == 1:
            kind, node = self.build(trees[0], items, register=True)
            node = self.materialize((kind, node), shape)
        else:
            sub = Lowering.__new__(Lowering)
            sub.b, sub.products, sub.uses, sub.memo = Builder(), {}, {}, {}
            slots = [(k, sub.b.make("slot", (), i, n.shape)) for i, (k, n) in enumerate(items)]
            known_nodes = []
            cands = []
            for t in trees:
                cost = C.cost_text(t, [f.shape for f in factors], [f.kind for f in factors],
                                   lambda d: "\x00" + d + "\x01")
                k, n = sub.build(t, slots, register=False, outer=self, outer_items=items,
                                 known_nodes=known_nodes)
                n = sub.materialize((k, n), shape)
                cands.append((cost, n))
            args = tuple(n for _, n in items) + tuple(known_nodes)
            node = self.b.make("select", args, tuple(cands), shape)
        self.products[full_key] = node
        self.products[self._tkey(items)] = self.T(node)
        return node

    def _shape(self, kind: str, n: Node):
        return n.shape if kind != "diag" else (n.shape[0], n.shape[0])

    def build(self, tree, items, register: bool, outer=None, outer_items=None, known_nodes=None):
        if isinstance(tree, int):
            return items[tree]
        if len(tree) == 3:  # known interval
            i, j, _ = tree
            host = outer or self
            node = host.products[host._key((outer_items or items)[i:j + 1])]
            if outer is not None:
                known_nodes.append(node)
                n_items = len(outer_items)
                return ("dense", self.b.make("slot", (), n_items + len(known_nodes) - 1,
                                             node.shape))
            return ("dense", node)
        left = self.build(tree[0], items, register, outer, outer_items, known_nodes)
        right = self.build(tree[1], items, register, outer, outer_items, known_nodes)
        res = self.combine(left, right)
        if register and res[0] == "dense":
            i, j = _span(tree)
            self.products[self._key(items[i:j + 1])] = res[1]
        return res

    def materialize(self, item, shape) -> Node:
        kind, n = item
        if kind == "dense":
            return n
        if kind == "diag":
            return self.b.make("diag", (n,), None, (n.shape[0], n.shape[0]))
        if kind == "inv":
            return self.b.make("inv", (n,), None, n.shape)
        if kind == "ones":
            return n
        raise AssertionError(kind)

    def combine(self, left, right):
        b = self.b
        kl, l = left
        kr, r = right
        ls = self._shape(kl, l)
        rs = self._shape(kr, r)
        shape = (ls[0], rs[1])
        if kl == "diag" and kr == "diag":
            return ("diag", self.mul([l, r], l.shape))
        if kl == "diag":
            if kr == "ones":
                return ("dense", l if rs[1] == 1 else self._rowscale(l, r, shape))
            return ("dense", self._rowscale(l, self.materialize(right, None), shape))
        if kr == "diag":
            if kl == "ones":
                return ("dense", self.T(r) if ls[0] == 1 else self._colscale(l, r, shape))
            return ("dense", self._colscale(self.materialize(left, None), r, shape))
        if kl == "ones" and kr == "ones":
            if shape == SCALAR:
                return ("dense", b.make("dimval", (), ls[1], SCALAR))
            return ("dense", b.make("ones", (), None, shape))
        if kl == "inv" and kr == "inv":
            left = ("dense", self.materialize(left, None))
            kl, l = left
        if kl == "ones" and l.shape[1] == 1:  # a column of ones times a row: outer
            kl = "dense"
        if kr == "ones" and r.shape[0] == 1:
            kr = "dense"
        if kl == "ones":
            rr = self.materialize(right, None)
            if rr.layout == "mat":
                return ("dense", b.make("colsum", (rr,), None, shape))
            return ("dense", b.make("sum", (rr,), None, SCALAR) if shape == SCALAR else
                    self.full(b.make("sum", (rr,), None, SCALAR), shape))
        if kr == "ones":
            ll = self.materialize(left, None)
            if ll.layout == "mat":
                return ("dense", b.make("rowsum", (ll,), None, shape))
            return ("dense", b.make("sum", (ll,), None, SCALAR) if shape == SCALAR else
                    self.full(b.make("sum", (ll,), None, SCALAR), shape))
        if kl == "inv":
            return ("dense", b.make("solve", (l, r), None, shape))
        if kr == "inv":
            return ("dense", b.make("solve_right", (l, r), None, shape))
        return ("dense", self.matmul(l, r, shape))

    def _rowscale(self, v: Node, x: Node, shape) -> Node:
        if x.layout != "mat":
            return self.mul([v, x], shape)
        return self.b.make("rowscale", (v, x), None, shape)

    def _colscale(self, x: Node, v: Node, shape) -> Node:
        if x.layout != "mat":
            return self.mul([x, v], shape)
        return self.b.make("colscale", (x, v), None, shape)

    def matmul(self, l: Node, r: Node, shape) -> Node:
        if l.op in ("eye",):
            return r
        if r.op in ("eye",):
            return l
        if l.shape == SCALAR or r.shape == SCALAR:  # (n x 1)*(1 x 1): a scaling
            return self.mul([l, r], shape)
        if shape == SCALAR:
            return self.b.make("dot", tuple(sorted((self._plain(l), self._plain(r)),
                                                   key=lambda n: n.id)), None, SCALAR)
        return self.b.make("matmul", (l, r), None, shape)

    def _plain(self, n: Node) -> Node:
        """A vector and its transpose are the same 1-D array."""
        return n.args[0] if n.op == "T" and n.layout == "vec" else n

    # ------------------------------------------------------------------ reductions

    def _chain_of(self, e: ir.Expr):
        """(coefficient, items) of a product, or None."""
        if isinstance(e, ir.Mul):
            scal, chain = self.split(list(e.factors))
            if len(chain) >= 2 and not any(isinstance(f, ir.Add) for f in chain):
                return self.coefficient(scal), self.items(chain)
        return None

    def _best_split(self, items, rotations: bool):
        """Where to cut a chain P*Q so that sum(P.*Q') is cheapest (typical sizes)."""
        k = len(items)
        best = None
        for r in (range(k) if rotations else [0]):
            rot = items[r:] + items[:r]
            for s in range(1, k):
                fs = [C.CFactor(kk, self._shape(kk, n)) for kk, n in rot]
                cost = C.typical_cost(fs[:s]) + C.typical_cost(fs[s:])
                if best is None or cost < best[0] - 1e-9:
                    best = (cost, rot[:s], rot[s:])
        return best[1], best[2]

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
        p = self.chain_items(p_items, (self._shape(*p_items[0])[0], self._shape(*p_items[-1])[1]))
        q = self.chain_items(q_items, (self._shape(*q_items[0])[0], self._shape(*q_items[-1])[1]))
        if p.op == "diag" or q.op == "diag":
            d, o = (p, q) if p.op == "diag" else (q, p)
            node = self.b.make("dot", (d.args[0], self.b.make("diagpart", (o,), None,
                                                               (o.shape[0], 1))), None, SCALAR)
        else:
            node = self.b.make("dot", tuple(sorted((self._plain(p), self._plain(self.T(q))),
                                                   key=lambda n: n.id)), None, SCALAR)
        return self.scale(coef, node)

    def lower_diagpart(self, x: ir.Expr) -> Node:
        got = self._chain_of(x)
        shape = (x.shape[0], 1)
        if got is None or any(k == "scalar" for k, _ in got[1]):
            return self.b.make("diagpart", (self.lower(x),), None, shape)
        coef, items = got
        p_items, q_items = self._best_split(items, rotations=False)
        p = self.chain_items(p_items, (self._shape(*p_items[0])[0], self._shape(*p_items[-1])[1]))
        q = self.chain_items(q_items, (self._shape(*q_items[0])[0], self._shape(*q_items[-1])[1]))
        if p.op == "diag" or q.op == "diag" or p.layout != "mat" or q.layout != "mat":
            node = self.b.make("diagpart", (self.chain_items(items, x.shape),), None, shape)
        else:
            node = self.b.make("diagprod", (p, q), None, shape)
        return self.scale(coef, node)

    def lower_sum(self, x: ir.Expr) -> Node:
        if isinstance(x, ir.Mul):
            scal, chain = self.split(list(x.factors))
            if len(chain) >= 1 and not any(isinstance(f, ir.Add) for f in chain):
                r, c = x.shape
                ones = []
                if r != 1:
                    ones.append(("ones", self.b.make("ones", (), None, (1, r))))
                tail = [("ones", self.b.make("ones", (), None, (c, 1)))] if c != 1 else []
                items = ones + self.items(chain) + tail
                if len(items) >= 2:
                    return self.scale(self.coefficient(scal), self.chain_items(items, SCALAR))
        if isinstance(x, ir.Hadamard) and len(x.factors) == 2:
            a, b = (self.lower(f) for f in x.factors)
            if self.bcast(a) is None and self.bcast(b) is None:
                return self.b.make("dot", tuple(sorted((a, b), key=lambda n: n.id)), None, SCALAR)
        n = self.lower(x)
        s = self.bcast(n)
        if s is not None:
            r, c = x.shape
            size = self.mul([self.b.make("dimval", (), d, SCALAR) for d in (r, c) if d != 1],
                            SCALAR)
            return self.mul([s, size], SCALAR)
        return self.b.make("sum", (n,), None, SCALAR)

    # ------------------------------------------------------------------ kron structure

    def structured(self, e: ir.Expr) -> Node | None:
        try:
            s = self.tensor(e)
            plan, args = TS.make_plan(s, e.shape)
        except TS.Unstructured:
            return None
        return self.b.make("tensor", tuple(args), plan, e.shape)

    def tensor(self, e: ir.Expr) -> list:
        if not _is_structured(e):
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
            if isinstance(e, ir.Mul) and any(isinstance(f, (ir.Vec, ir.Identity)) or (
                    isinstance(f, ir.Diag) and isinstance(f.arg, ir.Vec)) for f in e.factors):
                pass  # a product around structured pieces: expand below
            else:
                return TS.dense(self.lower(e), e.shape)
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
                out = []
                for t in e.terms:
                    out.extend(self.tensor(t))
                return out
            case ir.Mul():
                scal, chain = self.split(list(e.factors))
                acc = None
                for f in chain:
                    s = self.tensor(f)
                    acc = s if acc is None else TS.product(acc, s)
                coef = self.coefficient(scal)
                if coef is not None:
                    if coef.op == "const":
                        acc = TS.scale(acc, coef.attr)
                    else:
                        acc = TS.scale(acc, 1.0, coef)
                return acc
        return TS.dense(self.lower(e), e.shape)


def _span(tree) -> tuple[int, int]:
    if isinstance(tree, int):
        return tree, tree
    if len(tree) == 3:
        return tree[0], tree[1]
    return _span(tree[0])[0], _span(tree[1])[1]
