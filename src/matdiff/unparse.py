"""Syntax trees back to text in the plain language (notes, ``read as``, and the plain
form of LaTeX and index-notation input)."""

from __future__ import annotations

from fractions import Fraction

from .syntax import (
    Binary,
    Call,
    Declaration,
    IndexSum,
    Name,
    Node,
    Number,
    Selection,
    Slice,
    String,
    Transpose,
    Unary,
)

__all__ = ["declaration_text", "to_plain"]

_LEVEL = {"+": 1, "-": 1, "*": 2, "@": 2, ".*": 2, "./": 2, "/": 2, "^": 4, ".^": 4}


def to_plain(node: Node) -> str:
    """A syntax tree as plain-language text (fewest parentheses that keep the tree)."""
    return _plain(node)[0]


def _wrap(node: Node, min_level: int) -> str:
    text, level = _plain(node)
    return text if level >= min_level else f"({text})"


def _plain(node: Node) -> tuple[str, int]:
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
    if isinstance(node, Selection):
        at = str(node.row) if node.vector else f"{node.row or ':'}, {node.col or ':'}"
        return _wrap(node.operand, 5) + f"[{at}]", 5
    if isinstance(node, Unary):
        return node.op + _wrap(node.operand, 4), 3
    if isinstance(node, Binary):
        level = _LEVEL[node.op]
        if level == 1:
            return f"{_wrap(node.left, 1)} {node.op} {_wrap(node.right, 2)}", 1
        if level == 2:
            return f"{_wrap(node.left, 2)}{node.op}{_wrap(node.right, 4)}", 2
        return f"{_wrap(node.left, 5)}{node.op}{_wrap(node.right, 3)}", 4
    if isinstance(node, IndexSum):
        return node.source, 6
    if isinstance(node, Slice):
        return node.text, 6
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

