"""The abstract syntax tree produced by :mod:`matdiff.parse` and :mod:`matdiff.latex`.

Grammar of the tree (every node carries ``span``, 0-based code-point offsets,
end exclusive)::

    Node = Name(name)
         | Number(value: Fraction, text)
         | String(value)
         | Call(func, args: tuple[Node, ...], func_span)
         | Unary(op: "-" | "+", operand)
         | Binary(op, left, right, op_span)      op in + - * @ .* ./ / ^ .^
         | Transpose(operand, op_span)           both x' and x.T
         | Selection(operand, row, col, op_span) M[i, j], M[:, j], M[i, :], v[i] (1-based
                                                 integer literals; 0 stands for ':')
         | IndexSum(indices, domain: Name | None, body, source)
         | Slice(base, kind, indices, text, expr: Node | None)

    Declaration(names: tuple[(str, Span)], kind, symmetric, dims: tuple[(str | int, Span)])
        kind in "scalar" | "vector" | "matrix" | "mask"
    Definition(name, name_span, expr: Node)   h = exp(W1*x), in a where clause

``∘`` and ``⊙`` are normalised to ``.*``. Sized constants (``eye(n)``) and
``vector(1)`` / ``matrix(1)`` are ordinary calls; the type checker reads them.

``IndexSum`` and ``Slice`` come from index notation (``sum(j, W[:, j])``,
``\\sum_j W^{j}``); :func:`matdiff.index_notation.resolve.resolve` replaces them by
matrix expressions before type checking, which never sees them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True)
class Number:
    value: Fraction
    text: str
    span: Span


@dataclass(frozen=True)
class String:
    value: str
    span: Span


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    span: Span
    func_span: Span


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    span: Span
    op_span: Span


@dataclass(frozen=True)
class Transpose:
    operand: Node
    span: Span
    op_span: Span


@dataclass(frozen=True)
class Slice:
    """An entry, a row or a column of a named matrix or vector, at summation indices.

    ``kind`` is ``"entry"`` (``x_i``: indices ``(i,)``; ``M_{ij}``: ``(i, j)``), ``"row"``
    (``u_i``, a row vector) or ``"col"`` (``W^{j}``, a column vector).  ``text`` is the
    slice as written; ``expr`` the bracketed expression of an entry such as ``(U*V')_{ij}``
    (``base`` is then its plain text).
    """

    base: str
    kind: str
    indices: tuple[str, ...]
    span: Span
    text: str
    expr: Node | None = None


@dataclass(frozen=True)
class Selection:
    """A row, column or entry at integer positions: ``svdU(X)[:, 1]`` is
    Selection(svdU(X), 0, 1); ``v[k]`` of a vector has ``col`` 1 and ``vector`` True."""

    operand: Node
    row: int
    col: int
    span: Span
    op_span: Span
    vector: bool = False


@dataclass(frozen=True)
class IndexSum:
    """A sum over ``indices`` (each over its whole range) or over the observed entries
    ``(i, j)`` of the mask ``domain``; ``source`` is the sum as written, for notes."""

    indices: tuple[str, ...]
    domain: Name | None
    body: Node
    span: Span
    source: str
    upper: str | None = None  # the name of the upper bound, N of \sum_{i=1}^{N}
    # \frac{1}{N}\sum_{i=1}^{N}: the 1/N it was written with; the sum is then the mean of
    # its terms (or that 1/N times the sum, where no mean form fits)
    mean: Node | None = None


Node = (Name | Number | String | Call | Unary | Binary | Transpose | Selection | IndexSum
        | Slice)


@dataclass(frozen=True)
class Declaration:
    names: tuple[tuple[str, Span], ...]
    kind: str  # "scalar" | "vector" | "matrix" | "mask"
    symmetric: bool
    dims: tuple[tuple[str | int, Span], ...]
    span: Span


@dataclass(frozen=True)
class Definition:
    """``name = expr`` in a where clause: the name stands for the expression."""

    name: str
    name_span: Span
    expr: Node
    span: Span


@dataclass(frozen=True)
class Parsed:
    """An expression with the declarations of its ``where`` clause.  Its definitions
    (``h = exp(W1*x)``) are already substituted in ``expr``; ``definitions`` keeps them
    as written (:mod:`matdiff.definitions`)."""

    expr: Node
    declarations: tuple[Declaration, ...]
    text: str
    definitions: tuple[Definition, ...] = dataclasses.field(default=(), kw_only=True)


@dataclass(frozen=True)
class Translated(Parsed):
    """A :class:`Parsed` read from LaTeX or index notation.

    ``plain`` is the expression in the plain language (with the declarations it needs),
    ``notes`` says how sums and conventions were read.
    """

    plain: str = ""
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# Walking trees
# ---------------------------------------------------------------------------------------


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node (a slice's bracketed expression is not one:
    it is the slice's own content, resolved with it)."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (Unary, Transpose, Selection)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, IndexSum):
        return (node.body,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """The node and all nodes below it, in prefix order (left to right), including the
    bracketed expression of a slice. Iterative: nested generators cost a frame per level."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Slice):
            if node.expr is not None:
                stack.append(node.expr)
        else:
            stack.extend(reversed(children(node)))


def rebuild(node: Node, fn: Callable[[Node], Node | None]) -> Node:
    """Rebuild a tree top-down: where ``fn(node)`` gives a replacement it is used as is,
    elsewhere the children are rebuilt (the node itself is kept when none changed)."""
    out = fn(node)
    if out is not None:
        return out
    if isinstance(node, Call):
        args = tuple(rebuild(a, fn) for a in node.args)
        if all(a is b for a, b in zip(args, node.args)):
            return node
        return dataclasses.replace(node, args=args)
    if isinstance(node, (Unary, Transpose, Selection)):
        operand = rebuild(node.operand, fn)
        return node if operand is node.operand else dataclasses.replace(node, operand=operand)
    if isinstance(node, Binary):
        left, right = rebuild(node.left, fn), rebuild(node.right, fn)
        if left is node.left and right is node.right:
            return node
        return dataclasses.replace(node, left=left, right=right)
    if isinstance(node, IndexSum):
        body = rebuild(node.body, fn)
        return node if body is node.body else dataclasses.replace(node, body=body)
    return node


def map_children(node: Node, fn: Callable[[Node], Node]) -> Node:
    """The node with ``fn`` applied to each direct child (of a call, sign, transpose or
    binary operator; other nodes are returned unchanged)."""
    if isinstance(node, Call):
        return dataclasses.replace(node, args=tuple(fn(a) for a in node.args))
    if isinstance(node, (Unary, Transpose, Selection)):
        return dataclasses.replace(node, operand=fn(node.operand))
    if isinstance(node, Binary):
        return dataclasses.replace(node, left=fn(node.left), right=fn(node.right))
    return node


def has_index_nodes(node: Node) -> bool:
    """Whether the tree holds an index sum or a slice."""
    return any(isinstance(n, (IndexSum, Slice)) for n in walk(node))
