"""Index notation in matrix form: :func:`resolve`, and the plain front end
:func:`parse_plain` that uses it (the LaTeX one is :mod:`matdiff.latex`).

1. each slice becomes a placeholder variable (an entry a scalar, a column a column
   vector, a row the transpose of a column vector) and the whole expression is
   type-checked once with the placeholders, which gives the shape of every
   sub-expression of every summand;
2. each summand is vectorized (:mod:`.vectorize`);
3. the sum itself becomes ``sum(...)`` or, for the common patterns, the matrix form one
   would write by hand (:mod:`.sums`); each sum gives a note such as
   ``read \\sum_j \\|W^{j}\\|^2 as norm(W, 'fro')^2``.

The names the slices belong to are pinned to their kinds (``x`` of ``x_i`` is a vector,
``M`` of ``M_{ij}`` a matrix, the ``Omega`` of ``(i,j) \\in \\Omega`` a mask), and every
other undeclared name to the kind the summand was read with, so that the final type
check cannot read the expression differently from the way it was vectorized.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from ..errors import MatdiffError, MatdiffTypeError, UnsupportedError
from ..parse import parse
from ..syntax import (
    Call,
    Declaration,
    IndexSum,
    Name,
    Node,
    Number,
    Parsed,
    Slice,
    Span,
    Translated,
    Transpose,
    Unary,
    has_index_nodes,
    rebuild,
    walk,
)
from ..typecheck import gather_decls, solve
from ..unparse import declaration_text, to_plain
from .values import Unsupported
from .vectorize import Vectorizer

__all__ = ["Resolution", "parse_plain", "resolve", "translate"]

# The surrogate tree, its placeholders (name -> slice, rows read as columns), its sums
# (by the id of their marker), the placeholders' declarations and the entries of
# bracketed expressions (by the id of their marker).
_Surrogate = tuple[Node, dict[str, tuple[Slice, bool]], dict[int, IndexSum],
                   list[Declaration], dict[int, tuple[Slice, Node]]]

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
    declared: dict[str, str] = {}
    for d in declarations + extra:
        for declared_name, _ in d.names:
            declared[declared_name] = "symmetric" if d.symmetric else d.kind
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

    for n in walk(expr):
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

    has_rows = any(isinstance(n, Slice) and n.kind == "row" for n in walk(expr))
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
        vectorizer = Vectorizer(checker, placeholders, sums, text, entries)
        try:
            out = vectorizer.rebuild(surrogate)
        except Unsupported as u:
            raise UnsupportedError(u.message, u.node.span.start, text) from None
        if flip:
            rows = sorted({n.text for n in walk(expr) if isinstance(n, Slice) and n.kind == "row"})
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
    vector_entries = sorted({n.text for n in walk(expr) if isinstance(n, Slice)
                             and n.kind == "entry" and n.expr is None and len(n.indices) == 1})
    if vector_entries and first_error.message and "declare" not in first_error.message:
        first = vector_entries[0]
        one = len(vector_entries) == 1
        were = "was read as an entry of a vector" if one else "were read as entries of vectors"
        first_error.message += (f" (note: {', '.join(vector_entries)} {were}; if "
                                f"{'it is' if one else 'one is'} a row or a column "
                                "of a matrix, say so, as in "
                                f"'where {first}: row {_index_of(first)} of "
                                f"{first[0].upper()}')")
        first_error.args = (first_error.message,)
    raise first_error.with_text(text)


def _index_of(written: str) -> str:
    m = re.search(r"_\{?([A-Za-z])", written)
    return m.group(1) if m else "i"


def _surrogate(expr: Node, flip_rows: bool) -> _Surrogate:
    """The tree with each slice a placeholder variable and each sum its summand (a sum has
    the shape of its terms), wrapped in a unary plus that marks where the sum was."""
    placeholders: dict[str, tuple[Slice, bool]] = {}
    sums: dict[int, IndexSum] = {}
    entries: dict[int, tuple[Slice, Node]] = {}
    decls: list[Declaration] = []
    counter = [0]

    def fn(node: Node) -> Node | None:
        if isinstance(node, Slice) and node.expr is not None:
            inner = rebuild(node.expr, fn)
            marker = Call("sum", (inner,), node.span, node.span)
            entries[id(marker)] = (node, inner)
            return marker
        if (isinstance(node, Call) and node.func == "norm" and len(node.args) == 2
                and isinstance(node.args[1], Number) and node.args[1].value == 2
                and has_index_nodes(node.args[0])):
            # the 2-norm of a row or column per index (matrix norms do not arise there)
            return dataclasses.replace(node, args=(rebuild(node.args[0], fn),))
        if isinstance(node, Slice):
            placeholder = f"{node.text}#{counter[0]}"
            counter[0] += 1
            placeholders[placeholder] = (node, flip_rows)
            kind = "scalar" if node.kind == "entry" else "vector"
            decls.append(_decl(placeholder, kind, node.span))
            leaf = Name(placeholder, node.span)
            if node.kind == "row" and not flip_rows:
                return Transpose(leaf, node.span, Span(node.span.end, node.span.end))
            return leaf
        if isinstance(node, IndexSum):
            body = rebuild(node.body, fn)
            sum_marker = Unary("+", body, node.span)
            sums[id(sum_marker)] = node
            return sum_marker
        return None

    out = rebuild(expr, fn)
    return out, placeholders, sums, decls, entries


def translate(expr: Node, declarations: tuple[Declaration, ...], text: str,
              extra: tuple[Declaration, ...] = (), notes: tuple[str, ...] = ()) -> Translated:
    """The tree read from ``text`` with its index notation resolved, with the plain text
    it reads as and the notes (``notes`` first: those of the reading)."""
    res = resolve(expr, declarations, text, extra)
    shown = declarations + res.shown
    plain = to_plain(res.expr)
    if shown:
        plain += " where " + ", ".join(declaration_text(d) for d in shown)
    return Translated(res.expr, res.declarations, text, plain, tuple(notes) + tuple(res.notes))


def parse_plain(text: str, extra: tuple[Declaration, ...] = ()) -> Parsed:
    """Parse plain-language text that may use index sums (``sum(j, ...)``) and indexing
    (``W[:, j]``), and put them in matrix form.

    ``extra`` are declarations given beside the text (the CLI's ``--declare``).  Text
    without index notation gives the plain :class:`~matdiff.syntax.Parsed`; with it, a
    :class:`~matdiff.syntax.Translated` (with ``plain`` and ``notes``).
    """
    parsed = parse(text, index_forms=True)
    if not has_index_nodes(parsed.expr):
        return parsed
    try:
        translated = translate(parsed.expr, parsed.declarations, text, extra)
        return dataclasses.replace(translated, definitions=parsed.definitions)
    except MatdiffError as e:
        e.text = text
        raise
