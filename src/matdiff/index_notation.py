"""Sums and index notation, turned into matrix form.

Both input front ends use this module:

* LaTeX (:mod:`matdiff.latex_input`): ``\\sum_{j=1}^{m} \\|W^{j}\\|^2``,
  ``\\sum_{(i,j)\\in\\Omega} (M_{ij} - u_i v_j^T)^2``, ``\\sum_i x_i y_i``;
* the plain language, which gains ``sum(j, EXPR)``, ``sum(i, j, EXPR)`` and
  ``sum((i, j) in Omega, EXPR)`` with the indexing ``W[:, j]`` (column j),
  ``W[i, :]`` (row i, a row vector), ``M[i, j]`` and ``x[i]`` (entries)
  (:func:`parse_plain`).

A front end builds an ordinary :mod:`matdiff.syntax` tree in which two extra
node types may appear: :class:`IndexSum` (a sum over indices) and
:class:`Slice` (an entry, a row or a column of a named matrix or vector).
:func:`resolve` replaces them with matrix expressions:

1. each slice becomes a placeholder variable (an entry a scalar, a column a
   column vector, a row the transpose of a column vector) and the whole
   expression is type-checked once with the placeholders, which gives the
   shape of every sub-expression of every summand;
2. each summand is *vectorized*: a quantity that depends on an index ``j`` is
   represented by a matrix expression holding its value for every ``j`` (a
   scalar per ``j``: a column vector over ``j``; a column per ``j``: a matrix
   whose column ``j`` it is; a row per ``j``: a matrix whose row ``j`` it is;
   a scalar per ``(i, j)``: a matrix with rows ``i`` and columns ``j``).  Each
   operator has a rule (``row_i(B) * col_j(A)`` is ``(B*A)[i, j]``,
   ``s_j * col_j(A)`` is ``A*diag(s)``, ...); anything without a rule is an
   :class:`~matdiff.errors.UnsupportedError` pointing at the offending part,
   never a guess;
3. the sum itself becomes ``sum(...)``, or, for the common patterns, the
   matrix form one would write by hand: a sum of squared entries is
   ``norm(E, 'fro')^2`` (``norm(Omega.*E, 'fro')^2`` over the observed
   entries of a mask ``Omega``), a sum of squared column norms
   ``norm(W, 'fro')^2``, ``sum_i x_i y_i`` is ``x'*y``.  Each sum gives a note
   such as ``read \\sum_j \\|W^{j}\\|^2 as norm(W, 'fro')^2``.

The names the slices belong to are pinned to their kinds (``x`` of ``x_i`` is
a vector, ``M`` of ``M_{ij}`` a matrix, the ``Omega`` of ``(i,j) \\in \\Omega``
a mask), and every other undeclared name to the kind the summand was read
with, so that the final type check cannot read the expression differently
from the way it was vectorized.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from fractions import Fraction

from .errors import MatdiffError, MatdiffSyntaxError, MatdiffTypeError, UnsupportedError
from .ops import ELEMENTWISE
from .parse import parse as parse_text
from .syntax import (
    Binary,
    Call,
    Declaration,
    Name,
    Node,
    Number,
    Parsed,
    Span,
    String,
    Transpose,
    Unary,
)

__all__ = [
    "IndexSum",
    "Slice",
    "Translated",
    "declaration_text",
    "has_index_syntax",
    "parse_plain",
    "resolve",
    "to_plain",
]


# ---------------------------------------------------------------------------------------
# Extra nodes and the result type
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    """An entry, a row or a column of a named matrix or vector, at summation indices.

    ``kind`` is ``"entry"`` (``x_i``: indices ``(i,)``; ``M_{ij}``: ``(i, j)``), ``"row"``
    (``u_i``, a row vector) or ``"col"`` (``W^{j}``, a column vector).
    """

    base: str
    kind: str
    indices: tuple[str, ...]
    span: Span
    text: str
    expr: Node | None = None  # an entry of a bracketed expression: (U*V')_{ij}


@dataclass(frozen=True)
class IndexSum:
    """``\\sum`` over ``indices`` (each over its whole range) or over the observed entries
    ``(i, j)`` of the mask ``domain``."""

    indices: tuple[str, ...]
    domain: Name | None
    body: Node
    span: Span
    source: str  # the sum as written, for the note


@dataclass(frozen=True)
class Translated(Parsed):
    """A :class:`~matdiff.syntax.Parsed` read from LaTeX or index notation.

    ``plain`` is the expression in the plain language (with the declarations it needs),
    ``notes`` says how sums and conventions were read.
    """

    plain: str = ""
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# Printing syntax trees in the plain language
# ---------------------------------------------------------------------------------------

_LEVEL = {"+": 1, "-": 1, "*": 2, "@": 2, ".*": 2, "./": 2, "/": 2, "^": 4, ".^": 4}


def to_plain(node: Node) -> str:
    """A syntax tree as plain-language text (fewest parentheses that keep the tree)."""
    return _plain(node)[0]


def _wrap(node: Node, min_level: int) -> str:
    text, level = _plain(node)
    return text if level >= min_level else f"({text})"


def _plain(node) -> tuple[str, int]:
    if isinstance(node, Number):
        text = node.text if node.text else _fraction_text(node.value)
        return text, 6 if "/" not in text else 2
    if isinstance(node, Name):
        return node.name, 6
    if isinstance(node, String):
        return f"'{node.value}'", 6
    if isinstance(node, Call):
        return f"{node.func}({', '.join(to_plain(a) for a in node.args)})", 6
    if isinstance(node, Transpose):
        return _wrap(node.operand, 5) + "'", 5
    if isinstance(node, Unary):
        return node.op + _wrap(node.operand, 4), 3
    if isinstance(node, Binary):
        level = _LEVEL[node.op]
        if level == 1:
            return f"{_wrap(node.left, 1)} {node.op} {_wrap(node.right, 2)}", 1
        if level == 2:
            return f"{_wrap(node.left, 2)}{node.op}{_wrap(node.right, 4)}", 2
        return f"{_wrap(node.left, 5)}{node.op}{_wrap(node.right, 3)}", 4
    if isinstance(node, (IndexSum, Slice)):
        return getattr(node, "source", None) or getattr(node, "text", "?"), 6
    raise AssertionError(node)


def _fraction_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def declaration_text(decl: Declaration) -> str:
    """``X, Y: matrix(n, m)`` for a declaration."""
    names = ", ".join(n for n, _ in decl.names)
    kind = ("symmetric " if decl.symmetric else "") + decl.kind
    if decl.dims:
        kind += "(" + ", ".join(str(d) for d, _ in decl.dims) + ")"
    return f"{names}: {kind}"


# ---------------------------------------------------------------------------------------
# Small constructors (spans come from the node a piece was derived from)
# ---------------------------------------------------------------------------------------


def _span_of(node) -> Span:
    return node.span


def _op_span(src) -> Span:
    return getattr(src, "op_span", None) or Span(src.span.start, src.span.start)


def T(node: Node) -> Node:
    """The transpose, without double transposes (and scalars' numbers stay numbers)."""
    if isinstance(node, Transpose):
        return node.operand
    if isinstance(node, Number):
        return node
    return Transpose(node, node.span, Span(node.span.end, node.span.end))


def _bin(op: str, left: Node, right: Node, src) -> Binary:
    return Binary(op, left, right, src.span, _op_span(src))


def _call(func: str, args: tuple, src) -> Call:
    return Call(func, tuple(args), src.span, Span(src.span.start, src.span.start))


def _num(value: int, src) -> Number:
    return Number(Fraction(value), str(value), src.span)


def _ones(src) -> Name:
    return Name("ones", Span(src.span.start, src.span.start))


def _same(a: Node, b: Node) -> bool:
    return to_plain(a) == to_plain(b)


def _walk(node):
    yield node
    if isinstance(node, Call):
        for a in node.args:
            yield from _walk(a)
    elif isinstance(node, (Unary, Transpose)):
        yield from _walk(node.operand)
    elif isinstance(node, Binary):
        yield from _walk(node.left)
        yield from _walk(node.right)
    elif isinstance(node, IndexSum):
        yield from _walk(node.body)
    elif isinstance(node, Slice) and node.expr is not None:
        yield from _walk(node.expr)


def _map(node, fn):
    """Rebuild a tree bottom-up: ``fn(node)`` returns a replacement or None."""
    out = fn(node)
    if out is not None:
        return out
    if isinstance(node, Call):
        args = tuple(_map(a, fn) for a in node.args)
        if all(a is b for a, b in zip(args, node.args)):
            return node
        return dataclasses.replace(node, args=args)
    if isinstance(node, (Unary, Transpose)):
        operand = _map(node.operand, fn)
        return node if operand is node.operand else dataclasses.replace(node, operand=operand)
    if isinstance(node, Binary):
        left, right = _map(node.left, fn), _map(node.right, fn)
        if left is node.left and right is node.right:
            return node
        return dataclasses.replace(node, left=left, right=right)
    if isinstance(node, IndexSum):
        body = _map(node.body, fn)
        return node if body is node.body else dataclasses.replace(node, body=body)
    return node


def has_index_nodes(node: Node) -> bool:
    return any(isinstance(n, (IndexSum, Slice)) for n in _walk(node))


# ---------------------------------------------------------------------------------------
# Vectorized values
# ---------------------------------------------------------------------------------------


@dataclass
class Val:
    """A summand's sub-expression for every value of its indices.

    ``axes == ()``: an ordinary expression (``node``), the same for every index.
    ``elem == "scalar"``: one index: ``node`` is the column vector of values; two
    indices ``(i, j)``: the matrix with rows ``i`` and columns ``j``.
    ``elem == "col"`` / ``"row"``: one index ``j``: ``node`` is the matrix whose column
    (row) ``j`` is the value.  ``elem == "outer"``: ``col_j(A) * row_j(B)`` (only a sum
    of it has a matrix form: ``A*B``).  ``tag`` remembers structure for the patterns.
    """

    node: Node | None
    axes: tuple[str, ...] = ()
    elem: str = "plain"
    tag: tuple | None = None


class _Unsupported(Exception):
    def __init__(self, why: str, node):
        self.why, self.node = why, node

    @property
    def message(self) -> str:
        why = self.why
        if not why.startswith(("the summand", "an index that")):
            why += " is not supported"
        return f"cannot write this sum in matrix form: {why}"


class _Vectorizer:
    def __init__(self, checker, placeholders: dict[str, tuple[Slice, bool]],
                 sums: dict[int, IndexSum], text: str, entries: dict[int, tuple] | None = None):
        self.ch = checker
        self.ph = placeholders
        self.sums = sums
        self.entries = entries or {}
        self.memo: dict[int, Val] = {}
        self.text = text
        self.indexed_memo: dict[int, bool] = {}
        self.notes: list[str] = []

    # -- shapes
    def cls(self, node) -> str:
        r, c = self.ch.node_shapes[id(node)]
        ro, co = self.ch.u.is_one(r), self.ch.u.is_one(c)
        if ro and co:
            return "scalar"
        return "col" if co else "row" if ro else "matrix"

    def indexed(self, node) -> bool:
        key = id(node)
        if key not in self.indexed_memo:
            if isinstance(node, Name):
                v = node.name in self.ph
            elif key in self.sums or key in self.entries:
                v = True
            else:
                v = any(self.indexed(c) for c in _children(node))
            self.indexed_memo[key] = v
        return self.indexed_memo[key]

    def fail(self, why: str, node) -> None:
        raise _Unsupported(why, node)

    # -- the rebuild of the whole (surrogate) tree: sums become matrix expressions
    def rebuild(self, node):
        if id(node) in self.sums:
            info = self.sums[id(node)]
            val = self.vec(node.operand)
            out = self.reduce(val, info, node, outermost=True)
            self.notes.append(f"read {info.source} as {to_plain(out)}")
            return out
        if not self.indexed(node):
            return node
        if isinstance(node, Name):  # a slice outside any sum (the front ends refuse these)
            self.fail(f"{self.ph[node.name][0].text} is used outside a sum over its index", node)
        return _map_children(node, self.rebuild)

    # -- vectorization
    def vec(self, node) -> Val:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = self._vec(node)
        return self.memo[key]

    def plain_parts(self, node):
        """The node rebuilt from its parts when none of them depends on an index (a sum
        inside the summand that does not use the outer indices is an ordinary value)."""
        parts = [c for c in _children(node) if not isinstance(c, String)]
        if not parts or any(self.vec(c).elem != "plain" for c in parts):
            return None
        return _map_children(node, lambda c: c if isinstance(c, String) else self.vec(c).node)

    def _vec(self, node) -> Val:
        if id(node) in self.sums:
            info = self.sums[id(node)]
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
        raise AssertionError

    def leaf(self, node: Name) -> Val:
        sl, _flipped = self.ph[node.name]
        base = Name(sl.base, sl.span)
        if sl.kind == "entry":
            if len(sl.indices) == 1:
                return Val(base, sl.indices, "scalar")
            i, j = sl.indices
            if i == j:
                return Val(_call("diag", (base,), sl), (i,), "scalar")
            return Val(base, (i, j), "scalar")
        if sl.kind == "col":
            return Val(base, sl.indices, "col")
        # a row: the placeholder stands for its transpose, a column of base'
        return Val(T(base), sl.indices, "col")

    def expression_entry(self, marker) -> Val:
        """``(E)_{ij}``: the surrogate is ``sum(E)`` (a scalar, with E's shape checked)."""
        sl, inner = self.entries[id(marker)]
        cls = self.cls(inner)
        if len(sl.indices) == 2:
            if cls != "matrix":
                self.fail(f"an entry (i, j) of something that is not a matrix ({sl.text})", sl)
            i, j = sl.indices
            if i == j:
                return Val(_call("diag", (sl.expr,), sl), (i,), "scalar")
            return Val(sl.expr, sl.indices, "scalar")
        if cls != "col":
            self.fail(f"an entry i of something that is not a column vector ({sl.text})", sl)
        return Val(sl.expr, sl.indices, "scalar")

    # -- alignment of scalar values
    def lift(self, v: Val, target: tuple[str, ...], src) -> Node:
        if v.axes == target or not v.axes:
            return v.node
        if len(target) == 2:
            if v.axes == target[::-1]:
                return T(v.node)
            if v.axes == (target[0],):
                return _bin("*", v.node, T(_ones(src)), src)
            if v.axes == (target[1],):
                return _bin("*", _ones(src), T(v.node), src)
        self.fail("indices that do not line up", src)
        raise AssertionError

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
        raise AssertionError

    def addsub(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        op = node.op
        if "outer" in (a.elem, b.elem):
            self.fail("a sum of outer products per index (only their sum over the index "
                      "has a matrix form)", node)
        if a.elem == "plain" and la == "scalar" or b.elem == "plain" and lb == "scalar":
            other = b if a.elem == "plain" and la == "scalar" else a
            return Val(_bin(op, a.node, b.node, node), other.axes, other.elem)
        if a.elem in ("scalar", "plain") and b.elem in ("scalar", "plain") and a.elem != b.elem:
            self.fail("a vector or matrix added to a scalar per index", node)
        if a.elem == "scalar" and b.elem == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(_bin(op, x, y, node), axes, "scalar", ("addsub", op, a, b))
        if a.elem == b.elem and a.axes == b.axes:
            return Val(_bin(op, a.node, b.node, node), a.axes, a.elem, ("addsub", op, a, b))
        # a fixed column (row) vector plus a column (row) per index
        for fixed, per, cls_fixed in ((a, b, la), (b, a, lb)):
            if fixed.elem == "plain" and per.elem == "col" and cls_fixed == "col":
                spread = _bin("*", fixed.node, T(_ones(node)), node)
            elif fixed.elem == "plain" and per.elem == "row" and cls_fixed == "row":
                spread = _bin("*", _ones(node), fixed.node, node)
            else:
                continue
            left, right = (spread, per.node) if fixed is a else (per.node, spread)
            return Val(_bin(op, left, right, node), per.axes, per.elem)
        self.fail(f"'{op}' between values that depend on the indices differently", node)
        raise AssertionError

    def product(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if la == "scalar" or lb == "scalar":
            return self.scale(node, a, b, la, lb)
        if a.elem == "plain" and b.elem == "col":
            return self.normal(node, Val(_bin("*", a.node, b.node, node), b.axes, "col"))
        if a.elem == "row" and b.elem == "plain":
            return self.normal(node, Val(_bin("*", a.node, b.node, node), a.axes, "row"))
        if a.elem == "row" and b.elem == "col":
            prod = _bin("*", a.node, b.node, node)
            if a.axes != b.axes:
                return Val(prod, a.axes + b.axes, "scalar")
            tag = ("sqnorm", a.node, "row") if _same(a.node, T(b.node)) else None
            if tag:
                return Val(self.sqnorm_node(a.node, "row", node), a.axes, "scalar", tag)
            return Val(_call("diag", (prod,), node), a.axes, "scalar")
        if a.elem == "col" and b.elem == "row" and a.axes == b.axes:
            return Val(None, a.axes, "outer", ("outer", a.node, b.node))
        self.fail("a matrix product of these indexed values (per index it would be an "
                  "outer product or a matrix)", node)
        raise AssertionError

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
                scaled = _bin("*", s.node, A, node) if s is a else _bin("*", A, s.node, node)
                return Val(None, o.axes, "outer", ("outer", scaled, B))
            return Val(_bin("*", a.node, b.node, node), o.axes, o.elem,
                       ("scaled", s.node, o, s is a))
        if la == "scalar" and lb == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(_bin(".*", x, y, node), axes, "scalar", ("hprod", a, b))
        s, o = (a, b) if la == "scalar" else (b, a)
        if len(s.axes) != 1:
            self.fail("a scalar with two indices times a vector", node)
        if o.elem == "plain":
            oc = lb if s is a else la
            if oc == "col":
                return Val(_bin("*", o.node, T(s.node), node), s.axes, "col")
            if oc == "row":
                return Val(_bin("*", s.node, o.node, node), s.axes, "row")
            self.fail("a matrix times a scalar per index (a matrix per index)", node)
        if o.axes == s.axes and o.elem == "col":
            return Val(_bin("*", o.node, _call("diag", (s.node,), node), node), s.axes, "col")
        if o.axes == s.axes and o.elem == "row":
            return Val(_bin("*", _call("diag", (s.node,), node), o.node, node), s.axes, "row")
        self.fail("a product of values that depend on different indices", node)
        raise AssertionError

    def hadamard(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if la == "scalar" and a.elem == "plain" or lb == "scalar" and b.elem == "plain":
            return self.scale(node, a, b, la, lb)
        if a.elem == "scalar" and b.elem == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(_bin(".*", x, y, node), axes, "scalar", ("hprod", a, b))
        if a.elem == b.elem and a.elem in ("col", "row") and a.axes == b.axes:
            return Val(_bin(".*", a.node, b.node, node), a.axes, a.elem)
        for fixed, per, cls_fixed in ((a, b, la), (b, a, lb)):
            if fixed.elem == "plain" and per.elem == "col" and cls_fixed == "col":
                return Val(_bin("*", _call("diag", (fixed.node,), node), per.node, node),
                           per.axes, "col")
            if fixed.elem == "plain" and per.elem == "row" and cls_fixed == "row":
                return Val(_bin("*", per.node, _call("diag", (T(fixed.node),), node), node),
                           per.axes, "row")
        self.fail("'.*' between values that depend on the indices differently", node)
        raise AssertionError

    def divide(self, node, a: Val, b: Val, la: str, lb: str) -> Val:
        if b.elem == "plain" and lb == "scalar" and a.elem != "outer":
            return Val(_bin(node.op, a.node, b.node, node), a.axes, a.elem,
                       ("div", a, b.node, node.op))
        if a.elem in ("scalar", "plain") and b.elem in ("scalar", "plain") and la == lb == "scalar":
            x, y, axes = self.align(a, b, node)
            return Val(_bin("./", x, y, node), axes, "scalar")
        if node.op == "./" and a.elem == b.elem and a.elem in ("col", "row") and a.axes == b.axes:
            return Val(_bin("./", a.node, b.node, node), a.axes, a.elem)
        self.fail("a division by a value that depends on the index", node)
        raise AssertionError

    def power(self, node: Binary) -> Val:
        base, exponent = node.left, node.right
        b = self.vec(exponent)
        two = isinstance(exponent, Number) and exponent.value == 2
        if (two and isinstance(base, Call) and _is_two_norm(base) and self.indexed(base.args[0])):
            inner = self.vec(base.args[0])
            if inner.elem in ("col", "row"):
                return Val(self.sqnorm_node(inner.node, inner.elem, node), inner.axes, "scalar",
                           ("sqnorm", inner.node, inner.elem))
        a = self.vec(base)
        if a.elem == "scalar":
            if b.elem == "plain":
                return Val(_bin(".^", a.node, b.node, node), a.axes, "scalar",
                           ("pow2", a) if two else None)
            if b.elem == "scalar":
                x, y, axes = self.align(a, b, node)
                return Val(_bin(".^", x, y, node), axes, "scalar")
        if a.elem == "plain" and b.elem == "scalar" and self.cls(base) == "scalar":
            return Val(_bin(".^", a.node, b.node, node), b.axes, "scalar")
        if node.op == ".^" and a.elem in ("col", "row") and b.elem == "plain":
            return Val(_bin(".^", a.node, b.node, node), a.axes, a.elem)
        self.fail("this power of a value that depends on the index", node)
        raise AssertionError

    def sqnorm_node(self, matrix: Node, elem: str, src) -> Node:
        """The squared 2-norms of the columns (rows) of ``matrix``, as a column vector."""
        squares = _bin(".^", matrix, _num(2, src), src)
        if elem == "col":
            return _bin("*", T(squares), _ones(src), src)
        return _bin("*", squares, _ones(src), src)

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
            return Val(_call(f, (v.node,), node), v.axes, v.elem)
        one = f == "norm1" or (f == "norm" and len(node.args) == 2
                               and isinstance(node.args[1], Number) and node.args[1].value == 1)
        if f in ("norm", "norm1", "norm2"):
            if v.elem == "scalar":
                return Val(_call("abs", (v.node,), node), v.axes, "scalar")
            if one:
                absolute = _call("abs", (v.node,), node)
                summed = (_bin("*", T(absolute), _ones(node), node) if v.elem == "col"
                          else _bin("*", absolute, _ones(node), node))
                return Val(summed, v.axes, "scalar")
            return Val(_call("sqrt", (self.sqnorm_node(v.node, v.elem, node),), node), v.axes,
                       "scalar")
        if f == "sum":
            if v.elem == "scalar":
                return v
            if v.elem == "col":
                return Val(_bin("*", T(v.node), _ones(node), node), v.axes, "scalar")
            return Val(_bin("*", v.node, _ones(node), node), v.axes, "scalar")
        if f in ("tr", "trace", "det") and v.elem == "scalar":
            return v
        self.fail(f"'{f}' of a value that depends on the index", node)
        raise AssertionError

    # -- the sum
    def reduce(self, v: Val, info: IndexSum, src, outermost: bool) -> Node | Val:
        bound = info.indices
        if info.domain is not None:
            return self.reduce_masked(v, info, src, outermost)
        if v.elem == "outer":
            if set(v.axes) != set(bound):
                self.fail("a partial sum of outer products", src)
            out: Node = _bin("*", v.tag[1], v.tag[2], src)
            return out if outermost else Val(out)
        missing = [ix for ix in bound if ix not in v.axes]
        if missing:
            self.fail(f"the summand does not depend on {missing[0]} (a sum of a constant "
                      "needs the number of terms)", src)
        free = tuple(ix for ix in v.axes if ix not in bound)
        if free:
            if outermost:
                self.fail("an index that no sum binds", src)
            if v.elem != "scalar" or len(v.axes) != 2:
                self.fail("a partial sum of this kind", src)
            c = v.axes[1]
            node = (_bin("*", v.node, _ones(src), src) if c in bound
                    else _bin("*", T(v.node), _ones(src), src))
            return Val(node, free, "scalar")
        out = self.full(v, src)
        return out if outermost else Val(out)

    def full(self, v: Val, src) -> Node:
        """The sum of ``v`` over all of its indices, in the nicest matrix form."""
        if v.elem == "col":
            return _bin("*", v.node, _ones(src), src)
        if v.elem == "row":
            return _bin("*", T(_ones(src)), v.node, src)
        tag = v.tag or ()
        kind = tag[0] if tag else None
        if kind == "sqnorm":
            return _fro2(tag[1], src)
        if kind == "pow2":
            base: Val = tag[1]
            if len(base.axes) == 1:
                return _bin("^", _call("norm", (base.node,), src), _num(2, src), src)
            return _fro2(base.node, src)
        if kind == "hprod" and len(v.axes) == 1:
            a, b = tag[1], tag[2]
            if a.axes == b.axes == v.axes and a.elem == b.elem == "scalar":
                return _bin("*", T(a.node), b.node, src)
        if kind == "hprod" and len(v.axes) == 2:
            bilinear = self.bilinear(v, src)
            if bilinear is not None:
                return bilinear
        if kind == "scaled":
            s, inner, left = tag[1], tag[2], tag[3]
            if inner.axes == v.axes:
                rest = self.full(inner, src)
                return _bin("*", s, rest, src) if left else _bin("*", rest, s, src)
        if kind == "div":
            inner, d = tag[1], tag[2]
            if inner.axes == v.axes:
                return _bin("/", self.full(inner, src), d, src)
        if kind == "neg":
            inner = tag[1]
            if inner.axes == v.axes:
                return Unary("-", self.full(inner, src), src.span)
        # (a sum of a sum is not split: sum(x) + sum(y) would lose that x and y run over
        # the same index)
        return _call("sum", (v.node,), src)

    def bilinear(self, v: Val, src) -> Node | None:
        """``sum_{i,j} x_i M_{ij} y_j`` as ``x'*M*y`` (one matrix, at most one vector per
        index, no other factor)."""
        factors: list[Val] = []

        def flatten(w: Val) -> None:
            if w.tag and w.tag[0] == "hprod":
                flatten(w.tag[1])
                flatten(w.tag[2])
            else:
                factors.append(w)

        flatten(v)
        matrices = [f for f in factors if len(f.axes) == 2]
        if len(matrices) != 1 or any(f.elem != "scalar" for f in factors):
            return None
        m = matrices[0]
        r, c = m.axes
        left = [f for f in factors if f.axes == (r,)]
        right = [f for f in factors if f.axes == (c,)]
        if len(left) > 1 or len(right) > 1 or len(left) + len(right) + 1 != len(factors) \
                or not (left or right):
            return None
        out: Node = m.node
        if left:
            out = _bin("*", T(left[0].node), out, src)
        else:
            out = _bin("*", T(_ones(src)), out, src)
        return _bin("*", out, right[0].node if right else _ones(src), src)

    def reduce_masked(self, v: Val, info: IndexSum, src, outermost: bool) -> Node:
        if not outermost:
            self.fail("a sum over the entries of a mask inside another sum", src)
        i, j = info.indices
        mask = info.domain
        if v.elem != "scalar":
            self.fail("a sum over the entries of a mask of a vector or matrix per entry", src)
        if not set(v.axes) <= {i, j} or not v.axes:
            self.fail("a summand that does not depend on the entry (i, j)", src)
        tag = v.tag or ()
        if tag and tag[0] == "pow2":
            base: Val = tag[1]
            if base.elem == "scalar" and base.axes and set(base.axes) <= {i, j}:
                e = self.lift(base, (i, j), src)
                return _fro2(_bin(".*", mask, e, src), src)
        e = self.lift(v, (i, j), src)
        return _call("sum", (_bin(".*", mask, e, src),), src)


def _fro2(matrix: Node, src) -> Node:
    if isinstance(matrix, Transpose):  # norm(X', 'fro') = norm(X, 'fro')
        matrix = matrix.operand
    norm = _call("norm", (matrix, String("fro", src.span)), src)
    return _bin("^", norm, _num(2, src), src)


def _is_two_norm(call: Call) -> bool:
    if call.func == "norm2":
        return True
    if call.func != "norm":
        return False
    if len(call.args) == 1:
        return True
    order = call.args[1]
    if isinstance(order, String):
        return order.value.lower() in ("fro", "f")
    return isinstance(order, Number) and order.value == 2


def _children(node) -> tuple:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (Unary, Transpose)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, IndexSum):
        return (node.body,)
    return ()


def _map_children(node, fn):
    if isinstance(node, Call):
        return dataclasses.replace(node, args=tuple(fn(a) for a in node.args))
    if isinstance(node, (Unary, Transpose)):
        return dataclasses.replace(node, operand=fn(node.operand))
    if isinstance(node, Binary):
        return dataclasses.replace(node, left=fn(node.left), right=fn(node.right))
    return node


# ---------------------------------------------------------------------------------------
# resolve: index nodes -> matrix expressions
# ---------------------------------------------------------------------------------------

_BASE_KINDS = {"entry1": ("vector",), "entry2": ("matrix", "symmetric", "mask"),
               "row": ("matrix", "symmetric", "mask"), "col": ("matrix", "symmetric", "mask")}


@dataclass
class Resolution:
    expr: Node
    declarations: tuple[Declaration, ...]
    notes: list[str] = field(default_factory=list)
    shown: tuple[Declaration, ...] = ()  # the generated declarations worth showing (masks)


def _decl(name: str, kind: str, span: Span) -> Declaration:
    return Declaration(((name, span),), kind, False, (), span)


def resolve(expr: Node, declarations: tuple[Declaration, ...], text: str,
            extra: tuple[Declaration, ...] = ()) -> Resolution:
    """Replace :class:`IndexSum` and :class:`Slice` nodes by matrix expressions.

    ``declarations`` are the where clause's, ``extra`` those given beside the text (CLI
    ``--declare``); the result's declarations add the kinds the reading relies on.
    """
    if not has_index_nodes(expr):
        return Resolution(expr, declarations)
    from .typecheck import gather_decls, solve

    declared: dict[str, str] = {}
    for d in declarations + extra:
        for n, _ in d.names:
            declared[n] = "symmetric" if d.symmetric else d.kind
    pins: dict[str, Declaration] = {}
    shown: list[Declaration] = []
    notes: list[str] = []

    def need(name: str, role: str, node, what: str) -> None:
        allowed = _BASE_KINDS[role]
        if name in declared:
            if declared[name] not in allowed:
                raise MatdiffTypeError(f"{what}, but '{name}' is declared a {declared[name]}",
                                       node.span.start, text)
            return
        kind = allowed[0] if role != "mask" else "mask"
        old = pins.get(name)
        if old is not None and old.kind != kind:
            raise MatdiffTypeError(f"{what}, but '{name}' is also used as a {old.kind} here",
                                   node.span.start, text)
        pins[name] = _decl(name, kind, node.span)

    for n in _walk(expr):
        if isinstance(n, Slice) and n.expr is not None:
            continue
        if isinstance(n, Slice):
            role = ("entry1" if len(n.indices) == 1 else "entry2") if n.kind == "entry" else n.kind
            what = {"entry1": f"{n.text} reads as entry {n.indices[0]} of the vector {n.base}",
                    "entry2": f"{n.text} reads as an entry of the matrix {n.base}",
                    "row": f"{n.text} is a row of the matrix {n.base}",
                    "col": f"{n.text} is a column of the matrix {n.base}"}[role]
            need(n.base, role, n, what)
        elif isinstance(n, IndexSum) and n.domain is not None:
            name = n.domain.name
            if name in declared:
                if declared[name] != "mask":
                    raise MatdiffTypeError(
                        f"a sum over (i, j) in {name} needs {name} to be the 0/1 mask of its "
                        f"entries (declare '{name}: mask'), but it is declared a "
                        f"{declared[name]}", n.domain.span.start, text)
            elif name not in pins:
                pins[name] = _decl(name, "mask", n.domain.span)
                shown.append(pins[name])
                notes.append(f"{name} names the 0/1 mask of the entries (i, j) in {name}")

    has_rows = any(isinstance(n, Slice) and n.kind == "row" for n in _walk(expr))
    # The rows as written first; read as columns only when that is what makes sense of
    # the formula; a scalar function (what a gradient needs) before any other.
    flips = [False, True] if has_rows else [False]
    attempts = [(flip, True) for flip in flips] + [(flip, False) for flip in flips]
    errors: dict[tuple[bool, bool], MatdiffError] = {}
    for flip, scalar in attempts:
        surrogate, placeholders, sums, ph_decls, entries = _surrogate(expr, flip)
        decls = declarations + extra + tuple(pins.values()) + tuple(ph_decls)
        try:
            checker, kinds = solve(Parsed(surrogate, (), text), gather_decls(decls),
                                   scalar, not scalar)
        except MatdiffError as e:
            errors.setdefault((flip, scalar), e)
            continue
        vectorizer = _Vectorizer(checker, placeholders, sums, text, entries)
        try:
            out = vectorizer.rebuild(surrogate)
        except _Unsupported as u:
            raise UnsupportedError(u.message, u.node.span.start, text) from None
        if flip:
            rows = sorted({n.text for n in _walk(expr) if isinstance(n, Slice) and n.kind == "row"})
            notes.append(f"read {', '.join(rows)} (a row) as a column vector, as its uses need")
        # pin every other undeclared name to the kind the summands were read with
        for name, kind in kinds.items():
            if name in placeholders or name in declared or name in pins:
                continue
            pins[name] = _decl(name, kind, Span(0, 0))
        return Resolution(out, declarations + tuple(pins.values()), notes + vectorizer.notes,
                          tuple(shown))
    # report what the formula as written meets
    first_error = errors.get((False, False)) or errors[(False, True)]
    entries = sorted({n.text for n in _walk(expr) if isinstance(n, Slice) and n.kind == "entry"
                      and n.expr is None and len(n.indices) == 1})
    if entries and first_error.message and "declare" not in first_error.message:
        were = "was read as an entry of a vector" if len(entries) == 1 else \
            "were read as entries of vectors"
        first_error.message += (f" (note: {', '.join(entries)} {were}; if "
                                f"{'it is' if len(entries) == 1 else 'one is'} a row or a column "
                                "of a matrix, say so, as in "
                                f"'where {entries[0]}: row {_index_of(entries[0])} of "
                                f"{entries[0][0].upper()}')")
        first_error.args = (first_error.message,)
    raise first_error.with_text(text)


def _index_of(written: str) -> str:
    m = re.search(r"_\{?([A-Za-z])", written)
    return m.group(1) if m else "i"


def _surrogate(expr: Node, flip_rows: bool):
    """The tree with each slice a placeholder variable and each sum its summand (a sum has
    the shape of its terms), wrapped in a unary plus that marks where the sum was."""
    placeholders: dict[str, tuple[Slice, bool]] = {}
    sums: dict[int, IndexSum] = {}
    entries: dict[int, tuple[Slice, Node]] = {}
    decls: list[Declaration] = []
    counter = [0]

    def fn(node):
        if isinstance(node, Slice) and node.expr is not None:
            inner = _map(node.expr, fn)
            marker = Call("sum", (inner,), node.span, node.span)
            entries[id(marker)] = (node, inner)
            return marker
        if (isinstance(node, Call) and node.func == "norm" and len(node.args) == 2
                and isinstance(node.args[1], Number) and node.args[1].value == 2
                and has_index_nodes(node.args[0])):
            # the 2-norm of a row or column per index (matrix norms do not arise there)
            return dataclasses.replace(node, args=(_map(node.args[0], fn),))
        if isinstance(node, Slice):
            name = f"{node.text}#{counter[0]}"
            counter[0] += 1
            placeholders[name] = (node, flip_rows)
            kind = "scalar" if node.kind == "entry" else "vector"
            decls.append(_decl(name, kind, node.span))
            leaf = Name(name, node.span)
            if node.kind == "row" and not flip_rows:
                return Transpose(leaf, node.span, Span(node.span.end, node.span.end))
            return leaf
        if isinstance(node, IndexSum):
            body = _map(node.body, fn)
            marker = Unary("+", body, node.span)
            sums[id(marker)] = node
            return marker
        return None

    out = _map(expr, fn)
    return out, placeholders, sums, decls, entries


# ---------------------------------------------------------------------------------------
# The plain language: sum(j, EXPR) with W[:, j], W[i, :], M[i, j], x[i]
# ---------------------------------------------------------------------------------------

_INDEX = r"[A-Za-z_][A-Za-z0-9_]*'*"
_SUM_START = re.compile(r"(?<![A-Za-z0-9_.])sum\s*\(")
_SLICE = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)\s*\[([^\[\]]*)\]")
_PAIR_IN = re.compile(r"\(\s*(" + _INDEX + r")\s*,\s*(" + _INDEX +
                      r")\s*\)\s*in\s+([A-Za-z_]\w*)")
_INDEX_SUM_HINT = re.compile(r"(?<![A-Za-z0-9_.])sum\s*\(\s*(\(|" + _INDEX + r"\s*,)")


def has_index_syntax(text: str) -> bool:
    """Whether plain text uses indexing or an index sum (else :func:`parse.parse` suffices)."""
    where = _where_at(text)
    head = text if where < 0 else text[:where]
    return "[" in head or bool(_INDEX_SUM_HINT.search(head))


def _where_at(text: str) -> int:
    m = re.search(r"(?<![A-Za-z0-9_])where(?![A-Za-z0-9_])", text)
    return m.start() if m else -1


def parse_plain(text: str, extra: tuple[Declaration, ...] = ()) -> Parsed:
    """Parse plain-language text that may use ``sum(j, ...)`` and indexing.

    Text without either is parsed by :func:`matdiff.parse.parse` unchanged.
    """
    if not has_index_syntax(text):
        return parse_text(text)
    try:
        reader = _PlainReader(text)
        parsed = reader.read()
        res = resolve(parsed.expr, parsed.declarations, text, extra)
    except MatdiffError as e:
        e.text = text
        raise
    shown = parsed.declarations + res.shown
    plain = to_plain(res.expr)
    if shown:
        plain += " where " + ", ".join(declaration_text(d) for d in shown)
    return Translated(res.expr, res.declarations, text, plain, tuple(res.notes))


def _matching(text: str, open_at: int, end: int) -> int:
    """The index of the ')' closing the '(' at ``open_at`` (strings skipped), or -1."""
    depth = 0
    i = open_at
    while i < end:
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _top_commas(text: str, start: int, end: int) -> list[int]:
    out, depth = [], 0
    for i in range(start, end):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(i)
    return out


class _PlainReader:
    def __init__(self, text: str):
        self.text = text
        self.count = 0

    def error(self, message: str, position: int):
        raise MatdiffSyntaxError(message, position, self.text)

    def placeholder(self, length: int) -> str:
        name = f"_q{self.count}"
        self.count += 1
        if len(name) > length:
            self.error("too many indexed terms", 0)
        return name.ljust(length, "_")

    def read(self) -> Parsed:
        where = _where_at(self.text)
        end = len(self.text) if where < 0 else where
        pieces, masked = self.region(0, end, ())
        full = masked + self.text[end:]
        parsed = parse_text(full)
        return Parsed(self.substitute(parsed.expr, pieces), parsed.declarations, self.text)

    def region(self, start: int, end: int, bound: tuple[str, ...]):
        """Replace index sums and slices in text[start:end] by same-length placeholder
        names; returns the placeholder -> node map and the padded text."""
        text = self.text
        chars = list(" " * start + text[start:end])
        pieces: dict[str, Node] = {}
        pos = start
        while True:
            m = _SUM_START.search(text, pos, end)
            if not m:
                break
            open_at = m.end() - 1
            close = _matching(text, open_at, end)
            if close < 0:
                self.error("unbalanced '(': no matching ')'", open_at)
            commas = _top_commas(text, open_at + 1, close)
            node = self.index_sum(m.start(), open_at, close, commas, bound) if commas else None
            if node is not None:
                name = self.placeholder(close + 1 - m.start())
                chars[m.start():close + 1] = name
                pieces[name] = node
                pos = close + 1
            else:
                pos = m.end()
        # slices outside the sums found above
        taken = "".join(chars)
        for m in _SLICE.finditer(taken, start, end):
            if m.group(1).startswith("_q"):
                continue
            node = self.slice(m, bound)
            name = self.placeholder(m.end() - m.start())
            chars[m.start():m.end()] = name
            pieces[name] = node
        return pieces, "".join(chars)

    def index_sum(self, start: int, open_at: int, close: int, commas: list[int],
                  bound: tuple[str, ...]) -> IndexSum | None:
        text = self.text
        heads = [(open_at + 1, commas[0])] + [(commas[k] + 1, commas[k + 1])
                                            for k in range(len(commas) - 1)]
        body_start = commas[-1] + 1
        first = text[heads[0][0]:heads[0][1]].strip()
        domain = None
        indices: list[tuple[str, int]] = []
        m = _PAIR_IN.fullmatch(first)
        if m and len(heads) == 1:
            head = text[heads[0][0]:heads[0][1]]
            base = heads[0][0] + len(head) - len(head.lstrip())
            indices = [(m.group(1), base + m.start(1)), (m.group(2), base + m.start(2))]
            domain = Name(m.group(3), Span(base + m.start(3), base + m.end(3)))
            # the domain in the text lies inside the sum's own parentheses
            # (it is not a slice or an index)
        else:
            # sum(X) with a single argument is the ordinary sum, as are calls whose first
            # segments are not all index names
            for a, b in heads:
                seg = text[a:b]
                name = seg.strip()
                if not re.fullmatch(_INDEX, name):
                    if len(heads) == 1:
                        return None
                    self.error(f"expected an index name in sum(i, ..., EXPR), found {name!r}",
                               a + len(seg) - len(seg.lstrip()))
                indices.append((name, a + len(seg) - len(seg.lstrip())))
        names = [n for n, _ in indices]
        for n, p in indices:
            if n in bound or names.count(n) > 1:
                self.error(f"index {n} is already bound by an enclosing sum", p)
        if not text[body_start:close].strip():
            self.error("expected the summand after the indices", close)
        inner_bound = bound + tuple(names)
        pieces, masked = self.region(body_start, close, inner_bound)
        padded = masked
        try:
            parsed = parse_text(padded)
        except MatdiffError as e:
            e.text = text
            raise
        if parsed.declarations:
            self.error("a where clause cannot be inside a sum", body_start)
        body = self.substitute(parsed.expr, pieces)
        if isinstance(body, IndexSum) and body.domain is None and domain is None \
                and body.span.start == len(padded) - len(padded.lstrip()) \
                and body.span.end == len(padded.rstrip()):
            names, body = names + list(body.indices), body.body  # sum(i, sum(j, ...))
        for n in _walk(body):
            if isinstance(n, Name) and n.name in names:
                self.error(f"the index {n.name} can only be used to index (as in W[:, {n.name}])",
                           n.span.start)
        used = {ix for n in _walk(body) if isinstance(n, Slice) for ix in n.indices}
        for n, p in indices:
            if n not in used:
                self.error(f"the index {n} is not used in the summand", p)
        span = Span(start, close + 1)
        return IndexSum(tuple(names), domain, body, span, text[start:close + 1])


    def slice(self, m: re.Match, bound: tuple[str, ...]) -> Slice:
        base = m.group(1)
        inside_start = m.start(2)
        parts = []
        offset = inside_start
        for seg in m.group(2).split(","):
            stripped = seg.strip()
            parts.append((stripped, offset + len(seg) - len(seg.lstrip())))
            offset += len(seg) + 1
        span = Span(m.start(), m.end())
        written = self.text[m.start():m.end()]
        for p, at in parts:
            if p == ":":
                continue
            if not re.fullmatch(_INDEX, p):
                self.error(f"expected an index name or ':' inside [ ], found {p!r}", at)
            if p not in bound:
                self.error(f"index {p} is not bound by an enclosing sum({p}, ...)", at)
        names = [p for p, _ in parts]
        if len(parts) == 1 and names[0] != ":":
            return Slice(base, "entry", (names[0],), span, written)
        if len(parts) == 2:
            if names[0] == ":" and names[1] != ":":
                return Slice(base, "col", (names[1],), span, written)
            if names[1] == ":" and names[0] != ":":
                return Slice(base, "row", (names[0],), span, written)
            if ":" not in names:
                return Slice(base, "entry", (names[0], names[1]), span, written)
        self.error("expected x[i], M[i, j], W[:, j] or W[i, :]", m.start(2))
        raise AssertionError

    def substitute(self, node: Node, pieces: dict[str, Node]) -> Node:
        if not pieces:
            return node
        return _map(node, lambda n: pieces.get(n.name) if isinstance(n, Name) else None)
