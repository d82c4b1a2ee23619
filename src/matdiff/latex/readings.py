"""Readings that depend on types: ``e^{X}``, ``\\exp(X)``, ``\\log(X)``, ``\\sqrt{X}`` and
``X^{1/2}`` of a matrix, and the eigenvalues and singular values ``\\lambda_1(S)``.

The reader writes the reading of a scalar or a vector (the entrywise function, or a power)
and records each such site as a :class:`Choice`; once the formula is read (and its sums
put in matrix form), :func:`choose` types it and reads as the matrix function (``expm``,
``logm``, ``sqrtm``) each site whose argument is a matrix:

* ``e^{X}``, ``\\exp(X)`` and ``X^{1/2}`` of a matrix are the matrix exponential and
  square root whenever the formula types with them (they make X square): the entrywise
  exponential of a matrix is written ``e^{\\circ X}``, the entrywise square root
  ``X^{\\circ 1/2}``;
* ``\\log(X)`` and ``\\sqrt{X}`` of a matrix are ``logm`` and ``sqrtm`` when the formula
  already makes the matrix square (declared symmetric or n x n, a form such as
  ``X^\\top X``, or a use such as ``\\operatorname{tr}``); of any other matrix they stay
  entrywise, as in machine learning (``\\log(P)`` of an n x k matrix of probabilities).
  ``\\log^{\\circ}(X)`` is always entrywise, ``\\operatorname{logm}(X)`` always the matrix
  logarithm.  Inside a sum in index notation the functions are entrywise.

Every reading of a matrix function, and every matrix left entrywise, gives a note.  A site
whose argument is a scalar or a vector keeps today's reading without a note.  The spectral
values (``\\lambda_1(S)``, ``\\sigma_{\\max}(X)``, ...) are checked here too: their argument
must be a matrix, else a clear error with its position.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from ..errors import MatdiffError, MatdiffTypeError
from ..syntax import (
    Binary,
    Call,
    Declaration,
    Node,
    Number,
    Parsed,
    Translated,
    Unary,
    rebuild,
    walk,
)
from ..typecheck import gather_decls, solve
from ..unparse import to_plain

__all__ = ["Choice", "choose", "site_key"]

MATRIX_FUNCTION = {"exp": "expm", "log": "logm", "sqrt": "sqrtm", "^": "sqrtm"}
NAMES = {"expm": "the matrix exponential", "logm": "the matrix logarithm",
         "sqrtm": "the matrix square root"}


@dataclass(frozen=True)
class Choice:
    """A site whose reading depends on its argument's type.

    ``kind``: ``exp``, ``log``, ``sqrt``, ``^`` (a power 1/2 or -1/2), ``spectral`` (an
    eigenvalue or singular value, already read as one) or ``note`` (``written`` is a note
    given when the argument is a matrix); ``written``: the LaTeX as written; ``force``:
    the matrix reading is taken whenever the formula types with it (not only when the
    matrix is already square)."""

    kind: str
    written: str
    force: bool = False
    replaces: str = ""  # the note of the reading for a scalar, dropped for a matrix


def site_key(node: Node) -> tuple[str, int, int] | None:
    """Where a site was written: the function's name (a call) or the operator (a power)."""
    if isinstance(node, Call):
        return ("call", node.func_span.start, node.func_span.end)
    if isinstance(node, Binary) and node.op == "^":
        return ("pow", node.op_span.start, node.op_span.end)
    return None


def _argument(node: Node) -> Node:
    if isinstance(node, Call):
        return node.args[0]
    assert isinstance(node, Binary)
    return node.left


def number(node: Node) -> Fraction | None:
    """The value of a number written as digits, a fraction or a negation (``-1/2``)."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Unary) and node.op == "-":
        v = number(node.operand)
        return None if v is None else -v
    if isinstance(node, Binary) and node.op == "/":
        a, b = number(node.left), number(node.right)
        return None if a is None or not b else a / b
    return None


def _matrix_reading(node: Node) -> Node:
    if isinstance(node, Binary):  # X^{1/2}, X^{-1/2}
        root = Call("sqrtm", (node.left,), node.span, node.op_span)
        if (number(node.right) or 0) < 0:
            return Call("inv", (root,), node.span, node.op_span)
        return root
    assert isinstance(node, Call)
    return dataclasses.replace(node, func=MATRIX_FUNCTION[node.func])


def _typed(expr: Node, decls: tuple[Declaration, ...], text: str):
    try:
        return solve(Parsed(expr, (), text), gather_decls(decls), False, True)[0]
    except MatdiffError:
        return None


def choose(read: Translated, choices: dict[tuple[str, int, int], Choice],
           extra: tuple[Declaration, ...]) -> Translated:
    """The formula with each site read by its argument's type, and the notes saying how."""
    sites = [(n, choices[k]) for n in walk(read.expr)
             if (k := site_key(n)) is not None and k in choices]
    if not sites:
        return read
    decls, text = read.declarations + tuple(extra), read.text
    # the shapes of the arguments, with X^{1/2} typed as the entrywise power (a matrix
    # power needs an integer exponent)
    powers = {id(n) for n, c in sites if c.kind == "^"}
    probe = rebuild(read.expr, lambda n: dataclasses.replace(n, op=".^")  # type: ignore[arg-type]
                    if id(n) in powers else None)
    checker = _typed(probe, decls, text)
    if checker is None:  # the type checker reports what is wrong
        return read
    notes: list[str] = []
    candidates: list[tuple[Node, Choice]] = []
    for node, choice in sites:
        shape = checker.node_shapes.get(id(_argument(node)))
        if shape is None:
            continue
        matrix = checker.is_matrix(shape)
        if choice.kind == "spectral":
            if not matrix:
                what = ("an eigenvalue" if getattr(node, "func", "") == "eigvals"
                        else "a singular value")
                raise MatdiffTypeError(
                    f"{choice.written} reads as {what} of a matrix, but its argument is "
                    f"{checker.describe(shape)}; for a scalar "
                    f"{choice.written.split('(')[0].strip()} "
                    "times the bracket write \\cdot between them (or declare the name)",
                    node.span.start, text)
            continue
        if choice.kind == "note":  # a note for a matrix argument only (\\|X\\|_2)
            if matrix:
                notes.append(choice.written)
            continue
        if not matrix:
            continue
        square = shape[0].find() is shape[1].find()
        if choice.force or square:
            candidates.append((node, choice))
        else:
            notes.append(f"read {choice.written} entrywise: the matrix "
                         f"{to_plain(_argument(node))} is not known to be square (declare it "
                         "square or symmetric for " + NAMES[MATRIX_FUNCTION[choice.kind]] + ")")
    accepted: list[Node] = []
    kept = list(read.notes)

    def reading(chosen: list[Node]) -> Node:
        ids = {id(n) for n in chosen}
        return rebuild(read.expr, lambda n: _matrix_reading(n) if id(n) in ids else None)

    if candidates and _typed(reading([n for n, _ in candidates]), decls, text) is not None:
        accepted = [n for n, _ in candidates]
    else:
        for node, _ in candidates:
            if _typed(reading(accepted + [node]), decls, text) is not None:
                accepted.append(node)
    for node, choice in candidates:
        func = MATRIX_FUNCTION[choice.kind]
        arg = to_plain(_argument(node))
        if any(n is node for n in accepted):
            got = to_plain(_matrix_reading(node))
            inverse = "the inverse of " if got.startswith("inv(") else ""
            notes.append(f"read {choice.written} of a matrix as {inverse}{NAMES[func]} {got}")
            if choice.replaces in kept:  # the reading's own note ("read e^{X} as exp(X)")
                kept.remove(choice.replaces)
        else:
            notes.append(f"read {choice.written} entrywise: {arg} cannot be a square matrix "
                         "here")
    if not accepted:
        return dataclasses.replace(read, notes=read.notes + tuple(notes))
    expr = reading(accepted)
    old = to_plain(read.expr)
    suffix = read.plain[len(old):] if read.plain.startswith(old) else ""
    return dataclasses.replace(read, expr=expr, plain=to_plain(expr) + suffix,
                               notes=tuple(kept) + tuple(notes))
