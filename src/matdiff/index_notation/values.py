"""Vectorized values (:class:`Val`) and the small matrix expressions index notation is
rewritten into.

A rewritten node takes its span from the node it was derived from (``src``), so that an
error in the matrix form points at the index notation that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..syntax import Binary, Call, Name, Node, Number, Span, String, Transpose
from ..unparse import to_plain


def _op_span(src: Node) -> Span:
    return getattr(src, "op_span", None) or Span(src.span.start, src.span.start)


def T(node: Node) -> Node:
    """The transpose, without double transposes (and scalars' numbers stay numbers)."""
    if isinstance(node, Transpose):
        return node.operand
    if isinstance(node, Number):
        return node
    return Transpose(node, node.span, Span(node.span.end, node.span.end))


def make_binary(op: str, left: Node, right: Node, src: Node) -> Binary:
    return Binary(op, left, right, src.span, _op_span(src))


def make_call(func: str, args: tuple[Node, ...], src: Node) -> Call:
    return Call(func, tuple(args), src.span, Span(src.span.start, src.span.start))


def make_number(value: int, src: Node) -> Number:
    return Number(Fraction(value), str(value), src.span)


def ones_at(src: Node) -> Name:
    """``ones`` (sized by the type checker), at the start of ``src``."""
    return Name("ones", Span(src.span.start, src.span.start))


def same(a: Node, b: Node) -> bool:
    return to_plain(a) == to_plain(b)


def fro2(matrix: Node, src: Node) -> Node:
    """``norm(matrix, 'fro')^2``."""
    if isinstance(matrix, Transpose):  # norm(X', 'fro') = norm(X, 'fro')
        matrix = matrix.operand
    norm = make_call("norm", (matrix, String("fro", src.span)), src)
    return make_binary("^", norm, make_number(2, src), src)


def is_two_norm(call: Call) -> bool:
    """Whether the call is a 2-norm (of a vector; the Frobenius norm of a matrix)."""
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


@dataclass
class Val:
    """A summand's sub-expression for every value of its indices.

    ``axes == ()``: an ordinary expression (``node``), the same for every index.
    ``elem == "scalar"``: one index: ``node`` is the column vector of values; two
    indices ``(i, j)``: the matrix with rows ``i`` and columns ``j``.
    ``elem == "col"`` / ``"row"``: one index ``j``: ``node`` is the matrix whose column
    (row) ``j`` is the value.  ``elem == "outer"``: ``col_j(A) * row_j(B)`` (only a sum
    of it has a matrix form: ``A*B``, which is then ``node``).  ``tag`` remembers
    structure for the patterns (``("sqnorm", matrix, elem)``, ``("pow2", base)``,
    ``("hprod", a, b)``, ``("scaled", s, inner, left)``, ``("div", inner, d, op)``,
    ``("neg", inner)``, ``("addsub", op, a, b)``, ``("outer", A, B)``).
    """

    node: Node
    axes: tuple[str, ...] = ()
    elem: str = "plain"
    tag: tuple[Any, ...] = ()


class Unsupported(Exception):
    """A part of a summand without a matrix form (``why``, at ``node``)."""

    def __init__(self, why: str, node: Node):
        super().__init__(why)
        self.why, self.node = why, node

    @property
    def message(self) -> str:
        why = self.why
        if not why.startswith(("the summand", "an index that")):
            why += " is not supported"
        return f"cannot write this sum in matrix form: {why}"
