"""Definitions in a where clause: ``norm(W2*h - y)^2 where h = sigmoid(W1*x)``.

A definition ``name = expression`` stands for its expression wherever the name is used:
in the function and in the other definitions, before or after it.  :func:`expand`
substitutes them into the function's syntax tree (each use gets its own copy, so that the
type checker sees an ordinary tree) after checking that

* a name is defined once, and is not also declared, a size, a function or a constant;
* no definition uses itself, directly or through others (a cycle);
* a defined name is not used as a size (``ones(h)``) or indexed (``h[i]``);
* the expansion stays within :data:`MAX_EXPANDED_NODES` (``h2 = h1*h1, h3 = h2*h2, ...``
  doubles at each step).

Errors are :class:`~matdiff.errors.MatdiffSyntaxError` at the offending name.  Definitions
nothing uses are fine: they are checked as above but not type-checked.
"""

from __future__ import annotations

import dataclasses

from .errors import MatdiffSyntaxError, UnsupportedError
from .syntax import (
    Binary,
    Call,
    Declaration,
    Definition,
    IndexSum,
    Name,
    Node,
    Selection,
    Slice,
    Transpose,
    Unary,
    children,
    walk,
)

__all__ = ["MAX_EXPANDED_NODES", "defined_names", "expand"]

#: The most nodes the function may have once its definitions are substituted (about what
#: the longest text the lexer accepts, lex.MAX_TEXT_LENGTH, can hold without them).
MAX_EXPANDED_NODES = 20_000

_CONSTANTS = ("eye", "ones", "zeros")
_SIZED = _CONSTANTS + ("commutation", "vector", "matrix")


def defined_names(definitions: tuple[Definition, ...]) -> frozenset[str]:
    return frozenset(d.name for d in definitions)


def expand(expr: Node, definitions: tuple[Definition, ...],
           declarations: tuple[Declaration, ...], text: str) -> Node:
    """``expr`` with every defined name replaced by (a copy of) its expanded definition."""
    table = _table(definitions, declarations, text)
    uses = {d.name: _uses(d.expr, table, text) for d in definitions}
    _uses(expr, table, text)  # sizes and indexing in the function itself
    _check_cycles(definitions, uses, text)
    _check_size(expr, table, uses, text)
    expanded: dict[str, Node] = {}

    def substitute(node: Node) -> Node:
        if isinstance(node, Name) and node.name in table:
            name = node.name
            if name not in expanded:
                expanded[name] = substitute(table[name].expr)
            return _copy(expanded[name])
        if isinstance(node, Call) and node.func in _SIZED:
            return node  # sizes only (checked above: no defined name among them)
        if isinstance(node, Call) and node.func == "reshape" and node.args:
            return dataclasses.replace(node, args=(substitute(node.args[0]),) + node.args[1:])
        if isinstance(node, Call):
            return dataclasses.replace(node, args=tuple(substitute(a) for a in node.args))
        if isinstance(node, (Unary, Transpose, Selection)):
            return dataclasses.replace(node, operand=substitute(node.operand))
        if isinstance(node, Binary):
            return dataclasses.replace(node, left=substitute(node.left),
                                       right=substitute(node.right))
        if isinstance(node, IndexSum):
            return dataclasses.replace(node, body=substitute(node.body))
        if isinstance(node, Slice) and node.expr is not None:
            return dataclasses.replace(node, expr=substitute(node.expr))
        return node

    return substitute(expr)


def _table(definitions: tuple[Definition, ...], declarations: tuple[Declaration, ...],
           text: str) -> dict[str, Definition]:
    """The definitions by name, refusing a name defined twice or also declared."""
    from .shapes import is_function  # lazily: shapes is downstream of the parser

    declared = {name: span for d in declarations for name, span in d.names}
    sizes = {str(dim): span for d in declarations for dim, span in d.dims}
    table: dict[str, Definition] = {}
    for d in definitions:
        where = d.name_span.start
        if d.name in table:
            raise MatdiffSyntaxError(f"{d.name!r} is defined twice (first at "
                                     f"{table[d.name].name_span.start})", where, text)
        if d.name in declared:
            raise MatdiffSyntaxError(
                f"{d.name!r} is declared a variable (at {declared[d.name].start}) and defined "
                "here; a name is either a variable or stands for an expression", where, text)
        if d.name in sizes:
            raise MatdiffSyntaxError(f"{d.name!r} is a size in a declaration (at "
                                     f"{sizes[d.name].start}); a defined name stands for an "
                                     "expression", where, text)
        if d.name in _CONSTANTS or is_function(d.name):
            raise MatdiffSyntaxError(f"{d.name!r} is a function of the language; choose "
                                     "another name for the definition", where, text)
        table[d.name] = d
    return table


def _uses(node: Node, table: dict[str, Definition], text: str) -> list[Name]:
    """The uses of defined names in a tree, in order; a defined name as a size or an
    indexed base is an error."""
    out: list[Name] = []
    for n in walk(node):
        if isinstance(n, Name) and n.name in table:
            out.append(n)
        elif isinstance(n, Call) and (n.func in _SIZED or n.func == "reshape"):
            sizes = n.args if n.func in _SIZED else n.args[1:]
            for a in sizes:
                if isinstance(a, Name) and a.name in table:
                    raise MatdiffSyntaxError(
                        f"{a.name!r} is defined as an expression; a size must be a name of "
                        "a dimension or a number", a.span.start, text)
        elif isinstance(n, Slice) and n.base in table:
            raise MatdiffSyntaxError(
                f"{n.base!r} is defined as an expression; index the variables it is made "
                "of, or write the expression in place", n.span.start, text)
    # a name in a size position was also walked as a Name: keep only the others
    sized = {id(a) for n in walk(node) if isinstance(n, Call) and n.func in _SIZED
             for a in n.args}
    sized |= {id(a) for n in walk(node) if isinstance(n, Call) and n.func == "reshape"
              for a in n.args[1:]}
    return [u for u in out if id(u) not in sized]


def _check_cycles(definitions: tuple[Definition, ...], uses: dict[str, list[Name]],
                  text: str) -> None:
    """No definition may use itself, directly or through others."""
    state: dict[str, int] = {}  # 1: being expanded, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for use in uses[name]:
            if use.name == name:
                raise MatdiffSyntaxError(
                    f"{name!r} is defined in terms of itself; a definition cannot use its own "
                    "name", use.span.start, text)
            if state.get(use.name) == 1:
                cycle = path[path.index(use.name):] + [name, use.name]
                raise MatdiffSyntaxError(
                    "these definitions use each other in a cycle: " + " -> ".join(cycle) +
                    "; a definition cannot depend on itself", use.span.start, text)
            if use.name not in state:
                visit(use.name, path + [name])
        state[name] = 2

    for d in definitions:
        if d.name not in state:
            visit(d.name, [])


def _check_size(expr: Node, table: dict[str, Definition], uses: dict[str, list[Name]],
                text: str) -> None:
    """Refuse an expansion larger than MAX_EXPANDED_NODES (counted without building it)."""
    size: dict[str, int] = {}

    def expanded_size(node: Node, own_uses: list[Name]) -> int:
        total = sum(1 for _ in walk(node)) - len(own_uses)
        for use in own_uses:
            total += defined_size(use.name)
            if total > MAX_EXPANDED_NODES:
                break
        return total

    def defined_size(name: str) -> int:
        if name not in size:
            size[name] = min(expanded_size(table[name].expr, uses[name]),
                             MAX_EXPANDED_NODES + 1)
        return size[name]

    if expanded_size(expr, _uses(expr, table, text)) > MAX_EXPANDED_NODES:
        raise UnsupportedError(
            f"the definitions expand to an expression of more than {MAX_EXPANDED_NODES} "
            "parts (each use of a name stands for its whole definition)", expr.span.start, text)


def _copy(node: Node) -> Node:
    """A copy of the tree made of new node objects (the type checker keys nodes by id)."""
    if isinstance(node, Call):
        return dataclasses.replace(node, args=tuple(_copy(a) for a in node.args))
    if isinstance(node, (Unary, Transpose, Selection)):
        return dataclasses.replace(node, operand=_copy(node.operand))
    if isinstance(node, Binary):
        return dataclasses.replace(node, left=_copy(node.left), right=_copy(node.right))
    if isinstance(node, IndexSum):
        return dataclasses.replace(node, body=_copy(node.body))
    if isinstance(node, Slice) and node.expr is not None:
        return dataclasses.replace(node, expr=_copy(node.expr))
    assert not children(node)
    return dataclasses.replace(node)
