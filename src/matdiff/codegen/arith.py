"""Building low-level nodes with the elementwise algebra done on the way: constants
folded, signs pulled out, broadcast fills (``zeros``, ``ones``, ``full``) kept as the
scalar they repeat, transposes of transposes, fills and identities removed."""

from __future__ import annotations

from fractions import Fraction

from .lir import Builder, Node, Shape

SCALAR: Shape = (1, 1)
Signed = tuple[int, Node]  # a term of a sum and its sign (+1 or -1)


class NodeArithmetic:
    """Constructors of elementwise nodes over a hash-consing :class:`.lir.Builder`."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder

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

    def full(self, s: Node, shape: Shape) -> Node:
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

    def mul(self, xs: list[Node], shape: Shape) -> Node:
        """Elementwise product (scalars broadcast), constants folded, signs pulled out."""
        num, rest = _factors(xs)
        if num == 0:
            return self.full(self.const(0.0), shape)
        neg = num < 0
        num = abs(num)
        if not rest:
            node = self.const(num)
            return self.full(self.neg(node) if neg else node, shape)
        num, rest = self._into_broadcast(num, rest)
        args = ([self.const(num)] if num != 1 else []) + sorted(rest, key=lambda n: n.id)
        if len(args) == 1:
            node = args[0]
        else:
            node = self.b.make("mul", tuple(args), None, shape)
        if node.shape != shape and node.shape == SCALAR:
            node = self.full(node, shape)
        return self.neg(node) if neg else node

    def _into_broadcast(self, num: float, rest: list[Node]) -> tuple[float, list[Node]]:
        """The scalar factors of a product moved into its one broadcast vector, v*ones(1, k)
        or ones(k, 1)*v': c*X.*(v*ones') costs a pass over the matrix less as
        X.*((c*v)*ones')."""
        scalars = [x for x in rest if x.layout == "scalar"]
        spread = [x for x in rest if x.op == "matmul" and x.layout == "mat"
                  and any(a.op == "ones" for a in x.args) and x.args[0].shape[1] == 1]
        if len(spread) != 1 or not (scalars or num != 1):
            return num, rest
        b = spread[0]
        left = b.args[0].op != "ones"
        v = b.args[0] if left else b.args[1]
        v = self.mul(([self.const(num)] if num != 1 else []) + scalars + [v], v.shape)
        args = (v, b.args[1]) if left else (b.args[0], v)
        moved = self.b.make("matmul", args, None, b.shape)
        return 1.0, [x for x in rest if x is not b and x.layout != "scalar"] + [moved]

    def add(self, xs: list[Node], shape: Shape) -> Node:
        """A sum with signs (``a + b - c``): nested sums flattened, zeros dropped, fills added
        as the scalar they repeat."""
        terms, scalars = self._terms(xs, shape)
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

    def _terms(self, xs: list[Node], shape: Shape) -> tuple[list[Signed], list[Signed]]:
        """The signed terms of a sum: those of its shape, and the scalars broadcast."""
        terms: list[Signed] = []
        scalars: list[Signed] = []
        for x in xs:
            sign, x = _unsign(x)
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
        return terms, scalars

    def func(self, name: str, x: Node) -> Node:
        return self.b.make("func", (x,), name, x.shape)

    def power(self, x: Node, p: int | Fraction) -> Node:
        """x.^p, with the square root and reciprocals written as such."""
        if p == 1:
            return x
        if p == Fraction(1, 2):
            return self.func("sqrt", x)
        if p == -1:
            return self.b.make("div", (self.const(1.0), x), None, x.shape)
        if p == Fraction(-1, 2):
            return self.b.make("div", (self.const(1.0), self.func("sqrt", x)), None, x.shape)
        return self.b.make("pow", (x, self.const(float(p))), None, x.shape)


def _unsign(x: Node) -> tuple[int, Node]:
    """``x`` without the negations around it, and their sign."""
    sign = 1
    while x.op == "neg":
        sign, x = -sign, x.args[0]
    return sign, x


def _factors(xs: list[Node]) -> tuple[float, list[Node]]:
    """The numeric factor of a product (constants and signs, in order) and the other factors,
    nested products flattened."""
    num, sign, rest = 1.0, 1, []
    for x in xs:
        s, x = _unsign(x)
        sign *= s
        for y in x.args if x.op == "mul" else (x,):
            if y.op == "const":
                num *= y.attr
            else:
                rest.append(y)
    return num * sign, rest
