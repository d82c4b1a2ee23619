"""Vectorization: a summand's sub-expressions as matrix expressions over its indices.

A quantity that depends on an index ``j`` is represented by a matrix expression holding
its value for every ``j`` (:class:`~.values.Val`: a scalar per ``j`` is a column vector
over ``j``; a column per ``j`` a matrix whose column ``j`` it is; a row per ``j`` a
matrix whose row ``j`` it is; a scalar per ``(i, j)`` a matrix with rows ``i`` and
columns ``j``).  Each operator has a rule (``row_i(B) * col_j(A)`` is ``(B*A)[i, j]``,
``s_j * col_j(A)`` is ``A*diag(s)``, ...); anything without a rule is
:class:`~.values.Unsupported`, pointing at the offending part, never a guess.  The sums
themselves are reduced by :class:`~.sums.SumReducer`.
"""

from __future__ import annotations

from ..ops import ELEMENTWISE
from ..shapes import Checker
from ..syntax import (
    Binary,
    Call,
    IndexSum,
    Name,
    Node,
    Number,
    Slice,
    String,
    Transpose,
    Unary,
    children,
    map_children,
)
from ..unparse import to_plain
from .sums import SumReducer
from .values import T, Val, is_two_norm, make_binary, make_call, make_number, ones_at, same


class Vectorizer(SumReducer):
    """Rebuilds a summand (type-checked with placeholders for its slices) as matrix
    expressions, sums included: :meth:`rebuild`."""

    def __init__(self, checker: Checker, placeholders: dict[str, tuple[Slice, bool]],
                 sums: dict[int, IndexSum], text: str,
                 entries: dict[int, tuple[Slice, Node]] | None = None):
        self.ch = checker
        self.ph = placeholders
        self.sums = sums
        self.entries = entries or {}
        self.memo: dict[int, Val] = {}
        self.text = text
        self.indexed_memo: dict[int, bool] = {}
        self.notes: list[str] = []

    # -- shapes
    def cls(self, node: Node) -> str:
        r, c = self.ch.node_shapes[id(node)]
        ro, co = self.ch.u.is_one(r), self.ch.u.is_one(c)
        if ro and co:
            return "scalar"
        return "col" if co else "row" if ro else "matrix"

    def indexed(self, node: Node) -> bool:
        key = id(node)
        if key not in self.indexed_memo:
            if isinstance(node, Name):
                v = node.name in self.ph
            elif key in self.sums or key in self.entries:
                v = True
            else:
                v = any(self.indexed(c) for c in children(node))
            self.indexed_memo[key] = v
        return self.indexed_memo[key]

    # -- the rebuild of the whole (surrogate) tree: sums become matrix expressions
    def rebuild(self, node: Node) -> Node:
        if id(node) in self.sums:
            info = self.sums[id(node)]
            assert isinstance(node, Unary)
            val = self.vec(node.operand)
            out = self.reduce(val, info, node, outermost=True).node
            self.notes.append(f"read {info.source} as {to_plain(out)}")
            return out
        if not self.indexed(node):
            return node
        if isinstance(node, Name):  # a slice outside any sum (the front ends refuse these)
            self.fail(f"{self.ph[node.name][0].text} is used outside a sum over its index", node)
        return map_children(node, self.rebuild)

    # -- vectorization
    def vec(self, node: Node) -> Val:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = self._vec(node)
        return self.memo[key]

    def plain_parts(self, node: Node) -> Node | None:
        """The node rebuilt from its parts when none of them depends on an index (a sum
        inside the summand that does not use the outer indices is an ordinary value)."""
        parts = [c for c in children(node) if not isinstance(c, String)]
        if not parts or any(self.vec(c).elem != "plain" for c in parts):
            return None
        return map_children(node, lambda c: c if isinstance(c, String) else self.vec(c).node)

    def _vec(self, node: Node) -> Val:
        if id(node) in self.sums:
            info = self.sums[id(node)]
            assert isinstance(node, Unary)
            return self.reduce(self.vec(node.operand), info, node, outermost=False)
        if id(node) in self.entries:
            return self.expression_entry(node)
        if not self.indexed(node):
            return Val(node)
        if isinstance(node, Name):
            return self.leaf(node)
        plain = self.plain_parts(node)
        if plain is not None:
            return Val(plain)
        if isinstance(node, Transpose):
            v = self.vec(node.operand)
            if v.elem == "scalar":
                return v
            if v.elem == "col":
                return Val(T(v.node), v.axes, "row")
            if v.elem == "row":
                return Val(T(v.node), v.axes, "col")
            self.fail("the transpose of an outer product per index", node)
        if isinstance(node, Unary):
            v = self.vec(node.operand)
            if node.op == "+":
                return v
            if v.elem == "outer":
                self.fail("a negated outer product per index", node)
            return Val(Unary("-", v.node, node.span), v.axes, v.elem, ("neg", v))
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Call):
            return self.call(node)
        self.fail("this expression", node)

    def leaf(self, node: Name) -> Val:
        sl, _flipped = self.ph[node.name]
        base = Name(sl.base, sl.span)
        if sl.kind == "entry":
            if len(sl.indices) == 1:
                return Val(base, sl.indices, "scalar")
            i, j = sl.indices
            if i == j:
                return Val(make_call("diag", (base,), sl), (i,), "scalar")
            return Val(base, (i, j), "scalar")
        if sl.kind == "col":
            return Val(base, sl.indices, "col")
        # a row: the placeholder stands for its transpose, a column of base'
        return Val(T(base), sl.indices, "col")

    def expression_entry(self, marker: Node) -> Val:
        """``(E)_{ij}``: the surrogate is ``sum(E)`` (a scalar, with E's shape checked)."""
        sl, inner = self.entries[id(marker)]
        assert sl.expr is not None
        cls = self.cls(inner)
        if len(sl.indices) == 2:
            if cls != "matrix":
                self.fail(f"an entry (i, j) of something that is not a matrix ({sl.text})", sl)
            i, j = sl.indices
            if i == j:
                return Val(make_call("diag", (sl.expr,), sl), (i,), "scalar")
            return Val(sl.expr, sl.indices, "scalar")
        if cls != "col":
            self.fail(f"an entry i of something that is not a column vector ({sl.text})", sl)
        return Val(sl.expr, sl.indices, "scalar")

    # -- alignment of scalar values
    def align(self, a: Val, b: Val, src) -> tuple[Node, Node, tuple[str, ...]]:
        if a.elem not in ("scalar", "plain") or b.elem not in ("scalar", "plain"):
            self.fail("an elementwise operation between values of different shapes", src)
        axes: list[str] = list(a.axes)
        for ix in b.axes:
            if ix not in axes:
                axes.append(ix)
        if len(axes) > 2:
            self.fail("a quantity with more than two indices", src)
        if len(a.axes) == len(axes):
            target = a.axes
        elif len(b.axes) == len(axes):
            target = b.axes
        else:
            target = tuple(axes)
        return self.lift(a, target, src), self.lift(b, target, src), target

    # -- operators
    def binary(self, node: Binary) -> Val:
        op = node.op
        if op in ("^", ".^"):
            return self.power(node)
        a, b = self.vec(node.left), self.vec(node.right)
        la, lb = self.cls(node.left), self.cls(node.right)
        if op in ("+", "-"):
            return self.addsub(node, a, b, la, lb)
        if op in ("*", "@"):
            return self.product(node, a, b, la, lb)
        if op == ".*":
            return self.hadamard(node, a, b, la, lb)
        if op in ("/", "./"):
            return self.divide(node, a, b, la, lb)
        self.fail(f"the operator {op}", node)

    def addsub(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        op = node.op
        if "outer" in (a.elem, b.elem):
            self.fail("a sum of outer products per index (only their sum over the index "
                      "has a matrix form)", node)
        if a.elem == "plain" and la == "scalar" or b.elem == "plain" and lb == "scalar":
            other = b if a.elem == "plain" and la == "scalar" else a
            return Val(make_binary(op, a.node, b.node, node), other.axes, other.elem)
        if a.elem in ("scalar", "plain") and b.elem in ("scalar", "plain") and a.elem != b.elem:
            self.fail("a vector or matrix added to a scalar per index", node)
        if a.elem == "scalar" and b.elem == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(make_binary(op, x, y, node), axes, "scalar", ("addsub", op, a, b))
        if a.elem == b.elem and a.axes == b.axes:
            return Val(make_binary(op, a.node, b.node, node), a.axes, a.elem, ("addsub", op, a, b))
        # a fixed column (row) vector plus a column (row) per index
        for fixed, per, cls_fixed in ((a, b, la), (b, a, lb)):
            if fixed.elem == "plain" and per.elem == "col" and cls_fixed == "col":
                spread = make_binary("*", fixed.node, T(ones_at(node)), node)
            elif fixed.elem == "plain" and per.elem == "row" and cls_fixed == "row":
                spread = make_binary("*", ones_at(node), fixed.node, node)
            else:
                continue
            left, right = (spread, per.node) if fixed is a else (per.node, spread)
            return Val(make_binary(op, left, right, node), per.axes, per.elem)
        self.fail(f"'{op}' between values that depend on the indices differently", node)

    def product(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if la == "scalar" or lb == "scalar":
            return self.scale(node, a, b, la, lb)
        if a.elem == "plain" and b.elem == "col":
            return self.normal(node, Val(make_binary("*", a.node, b.node, node), b.axes, "col"))
        if a.elem == "row" and b.elem == "plain":
            return self.normal(node, Val(make_binary("*", a.node, b.node, node), a.axes, "row"))
        if a.elem == "row" and b.elem == "col":
            prod = make_binary("*", a.node, b.node, node)
            if a.axes != b.axes:
                return Val(prod, a.axes + b.axes, "scalar")
            tag = ("sqnorm", a.node, "row") if same(a.node, T(b.node)) else None
            if tag:
                return Val(self.sqnorm_node(a.node, "row", node), a.axes, "scalar", tag)
            return Val(make_call("diag", (prod,), node), a.axes, "scalar")
        if a.elem == "col" and b.elem == "row" and a.axes == b.axes:
            return Val(make_binary("*", a.node, b.node, node), a.axes, "outer",
                       ("outer", a.node, b.node))
        self.fail("a matrix product of these indexed values (per index it would be an "
                  "outer product or a matrix)", node)

    def normal(self, node, v: Val) -> Val:
        """A column/row per index whose value is 1 x 1 is a scalar per index."""
        if self.cls(node) == "scalar":
            return Val(T(v.node) if v.elem == "col" else v.node, v.axes, "scalar")
        return v

    def scale(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if la == "scalar" and a.elem == "plain" or lb == "scalar" and b.elem == "plain":
            s, o = (a, b) if la == "scalar" and a.elem == "plain" else (b, a)
            if o.elem == "outer":
                A, B = o.tag[1], o.tag[2]
                scaled = (make_binary("*", s.node, A, node) if s is a
                          else make_binary("*", A, s.node, node))
                return Val(make_binary("*", scaled, B, node), o.axes, "outer",
                           ("outer", scaled, B))
            return Val(make_binary("*", a.node, b.node, node), o.axes, o.elem,
                       ("scaled", s.node, o, s is a))
        if la == "scalar" and lb == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(make_binary(".*", x, y, node), axes, "scalar", ("hprod", a, b))
        s, o = (a, b) if la == "scalar" else (b, a)
        if len(s.axes) != 1:
            self.fail("a scalar with two indices times a vector", node)
        if o.elem == "plain":
            oc = lb if s is a else la
            if oc == "col":
                return Val(make_binary("*", o.node, T(s.node), node), s.axes, "col")
            if oc == "row":
                return Val(make_binary("*", s.node, o.node, node), s.axes, "row")
            self.fail("a matrix times a scalar per index (a matrix per index)", node)
        if o.axes == s.axes and o.elem == "col":
            diag = make_call("diag", (s.node,), node)
            return Val(make_binary("*", o.node, diag, node), s.axes, "col")
        if o.axes == s.axes and o.elem == "row":
            diag = make_call("diag", (s.node,), node)
            return Val(make_binary("*", diag, o.node, node), s.axes, "row")
        self.fail("a product of values that depend on different indices", node)

    def hadamard(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if la == "scalar" and a.elem == "plain" or lb == "scalar" and b.elem == "plain":
            return self.scale(node, a, b, la, lb)
        if a.elem == "scalar" and b.elem == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(make_binary(".*", x, y, node), axes, "scalar", ("hprod", a, b))
        if a.elem == b.elem and a.elem in ("col", "row") and a.axes == b.axes:
            return Val(make_binary(".*", a.node, b.node, node), a.axes, a.elem)
        for fixed, per, cls_fixed in ((a, b, la), (b, a, lb)):
            if fixed.elem == "plain" and per.elem == "col" and cls_fixed == "col":
                return Val(make_binary("*", make_call("diag", (fixed.node,), node), per.node, node),
                           per.axes, "col")
            if fixed.elem == "plain" and per.elem == "row" and cls_fixed == "row":
                diag = make_call("diag", (T(fixed.node),), node)
                return Val(make_binary("*", per.node, diag, node),
                           per.axes, "row")
        self.fail("'.*' between values that depend on the indices differently", node)

    def divide(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if b.elem == "plain" and lb == "scalar" and a.elem != "outer":
            return Val(make_binary(node.op, a.node, b.node, node), a.axes, a.elem,
                       ("div", a, b.node, node.op))
        if a.elem in ("scalar", "plain") and b.elem in ("scalar", "plain") and la == lb == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(make_binary("./", x, y, node), axes, "scalar")
        if node.op == "./" and a.elem == b.elem and a.elem in ("col", "row") and a.axes == b.axes:
            return Val(make_binary("./", a.node, b.node, node), a.axes, a.elem)
        self.fail("a division by a value that depends on the index", node)

    def power(self, node: Binary) -> Val:
        base, exponent = node.left, node.right
        b = self.vec(exponent)
        two = isinstance(exponent, Number) and exponent.value == 2
        if (two and isinstance(base, Call) and is_two_norm(base) and self.indexed(base.args[0])):
            inner = self.vec(base.args[0])
            if inner.elem in ("col", "row"):
                return Val(self.sqnorm_node(inner.node, inner.elem, node), inner.axes, "scalar",
                           ("sqnorm", inner.node, inner.elem))
        a = self.vec(base)
        if a.elem == "scalar":
            if b.elem == "plain":
                return Val(make_binary(".^", a.node, b.node, node), a.axes, "scalar",
                           ("pow2", a) if two else ())
            if b.elem == "scalar":
                x, y, axes = self.align(a, b, node)
                return Val(make_binary(".^", x, y, node), axes, "scalar")
        if a.elem == "plain" and b.elem == "scalar" and self.cls(base) == "scalar":
            return Val(make_binary(".^", a.node, b.node, node), b.axes, "scalar")
        if node.op == ".^" and a.elem in ("col", "row") and b.elem == "plain":
            return Val(make_binary(".^", a.node, b.node, node), a.axes, a.elem)
        self.fail("this power of a value that depends on the index", node)

    def sqnorm_node(self, matrix: Node, elem: str, src) -> Node:
        """The squared 2-norms of the columns (rows) of ``matrix``, as a column vector."""
        squares = make_binary(".^", matrix, make_number(2, src), src)
        if elem == "col":
            return make_binary("*", T(squares), ones_at(src), src)
        return make_binary("*", squares, ones_at(src), src)

    def call(self, node: Call) -> Val:
        f = node.func
        args = [a for a in node.args if not isinstance(a, String)]
        if f == "norm":
            args = args[:1]
        if len(args) != 1:
            self.fail(f"'{f}' with these arguments", node)
        v = self.vec(args[0])
        if v.elem == "outer":
            self.fail(f"'{f}' of an outer product per index", node)
        if f in ELEMENTWISE:
            return Val(make_call(f, (v.node,), node), v.axes, v.elem)
        one = f == "norm1" or (f == "norm" and len(node.args) == 2
                               and isinstance(node.args[1], Number) and node.args[1].value == 1)
        if f in ("norm", "norm1", "norm2"):
            if v.elem == "scalar":
                return Val(make_call("abs", (v.node,), node), v.axes, "scalar")
            if one:
                absolute = make_call("abs", (v.node,), node)
                summed = (make_binary("*", T(absolute), ones_at(node), node) if v.elem == "col"
                          else make_binary("*", absolute, ones_at(node), node))
                return Val(summed, v.axes, "scalar")
            return Val(make_call("sqrt", (self.sqnorm_node(v.node, v.elem, node),), node), v.axes,
                       "scalar")
        if f == "sum":
            if v.elem == "scalar":
                return v
            if v.elem == "col":
                return Val(make_binary("*", T(v.node), ones_at(node), node), v.axes, "scalar")
            return Val(make_binary("*", v.node, ones_at(node), node), v.axes, "scalar")
        if f in ("tr", "trace", "det") and v.elem == "scalar":
            return v
        self.fail(f"'{f}' of a value that depends on the index", node)

    # -- the sum
