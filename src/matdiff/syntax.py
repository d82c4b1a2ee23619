"""The abstract syntax tree produced by :mod:`matdiff.parse`.

Grammar of the tree (every node carries ``span``, 0-based code-point offsets,
end exclusive)::

    Node = Name(name)
         | Number(value: Fraction, text)
         | String(value)
         | Call(func, args: tuple[Node, ...], func_span)
         | Unary(op: "-" | "+", operand)
         | Binary(op, left, right, op_span)      op in + - * @ .* ./ / ^ .^
         | Transpose(operand, op_span)           both x' and x.T

    Declaration(names: tuple[(str, Span)], kind, symmetric, dims: tuple[(str | int, Span)])
        kind in "scalar" | "vector" | "matrix" | "mask"

``∘`` and ``⊙`` are normalised to ``.*``. Sized constants (``eye(n)``) and
``vector(1)`` / ``matrix(1)`` are ordinary calls; the type checker reads them.
"""

from __future__ import annotations

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
    args: tuple["Node", ...]
    span: Span
    func_span: Span


@dataclass(frozen=True)
class Unary:
    op: str
    operand: "Node"
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str
    left: "Node"
    right: "Node"
    span: Span
    op_span: Span


@dataclass(frozen=True)
class Transpose:
    operand: "Node"
    span: Span
    op_span: Span


Node = Name | Number | String | Call | Unary | Binary | Transpose


@dataclass(frozen=True)
class Declaration:
    names: tuple[tuple[str, Span], ...]
    kind: str  # "scalar" | "vector" | "matrix" | "mask"
    symmetric: bool
    dims: tuple[tuple[str | int, Span], ...]
    span: Span


@dataclass(frozen=True)
class Parsed:
    """An expression with the declarations of its ``where`` clause."""

    expr: Node
    declarations: tuple[Declaration, ...]
    text: str
