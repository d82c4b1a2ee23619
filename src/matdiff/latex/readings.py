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
    Selection,
    Translated,
    Unary,
    rebuild,
    walk,
)
from ..typecheck import gather_decls, solve
from ..unparse import to_plain

__all__ = ["Choice", "choose", "site_key"]

#: When the formula does not type with every matrix function it may hold, they are tried one
#: at a time (a typing each) for at most this many sites; beyond, all stay entrywise.
MAX_GREEDY = 16

MATRIX_FUNCTION = {"exp": "expm", "log": "logm", "sqrt": "sqrtm", "^": "sqrtm"}
NAMES = {"expm": "the matrix exponential", "logm": "the matrix logarithm",
         "sqrtm": "the matrix square root"}


@dataclass(frozen=True)
class Choice:
    """A site whose reading depends on its argument's type.

    ``kind``: ``exp``, ``log``, ``sqrt``, ``^`` (a power 1/2 or -1/2), ``spectral`` (an
    eigenvalue or singular value, already read as one), ``matrix`` (a function of a square
    matrix written by name: its argument must be a matrix) or ``note`` (``written`` is a
    note given when the argument is a matrix); ``written``: the LaTeX as written; ``force``:
    the matrix reading is taken whenever the formula types with it (not only when the
    matrix is already square)."""

    kind: str
    written: str
    force: bool = False
    replaces: str = ""  # the note of the reading first written, dropped if not taken
    other: Node | None = None  # a spectral value's reading when its argument is no matrix


def site_key(node: Node) -> tuple[str, int, int] | None:
    """Where a site was written: the function's name (a call), the operator (a power), the
    subscript (a selection) or the whole (a negation)."""
    if isinstance(node, Call):
        return ("call", node.func_span.start, node.func_span.end)
    if isinstance(node, Binary) and node.op == "^":
        return ("pow", node.op_span.start, node.op_span.end)
    if isinstance(node, Selection):
        return ("select", node.op_span.start, node.op_span.end)
    if isinstance(node, Unary):
        return ("neg", node.span.start, node.span.end)
    return None


def _argument(node: Node) -> Node:
    """The matrix a site's function applies to (through -eigvals(-S)[1])."""
    while isinstance(node, Unary | Selection):
        node = node.operand
    if isinstance(node, Call):
        arg = node.args[0]  # -S of -eigvals(-S)[1]: S
        return arg.operand if isinstance(arg, Unary) and node.func == "eigvals" else arg
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


def _largest(node: Unary, size: int) -> Node:
    """-eigvals(-S)[1] of a matrix of a known size k: eigvals(S)[k]."""
    select = node.operand
    assert isinstance(select, Selection) and isinstance(select.operand, Call)
    call = select.operand
    return dataclasses.replace(select, operand=dataclasses.replace(
        call, args=(_argument(node),)), row=size)


def choose(read: Translated, choices: dict[tuple[str, int, int], Choice],
           extra: tuple[Declaration, ...]) -> Translated:
    """The formula with each site read by its argument's type, and the notes saying how."""
    sites = [(n, choices[k]) for n in walk(read.expr)
             if (k := site_key(n)) is not None and k in choices]
    return _Chooser(read, sites, read.declarations + tuple(extra)).result() if sites else read


class _Chooser:
    def __init__(self, read: Translated, sites: list[tuple[Node, Choice]],
                 decls: tuple[Declaration, ...]):
        self.read, self.sites, self.decls = read, sites, decls
        self.notes: list[str] = []
        self.kept = list(read.notes)
        self.candidates: list[tuple[Node, Choice]] = []
        self.replaced: dict[int, Node] = {}  # site -> its reading
        self.accepted: list[Node] = []

    def typed(self, expr: Node):
        try:
            return solve(Parsed(expr, (), self.read.text), gather_decls(self.decls), False,
                         True)[0]
        except MatdiffError:
            return None

    def reading(self, chosen: list[Node]) -> Node:
        out = {**self.replaced, **{id(n): _matrix_reading(n) for n in chosen}}
        return rebuild(self.read.expr, lambda n: out.get(id(n)))

    def replace(self, node: Node, choice: Choice, by: Node, note: str) -> None:
        self.replaced[id(node)] = by
        if choice.replaces in self.kept:
            self.kept.remove(choice.replaces)
        self.notes.append(note)

    def result(self) -> Translated:
        # the shapes of the arguments: X^{1/2} typed as the entrywise power (a matrix power
        # needs an integer exponent), \\lambda_1(..) as the product it may be
        powers = {id(n) for n, c in self.sites if c.kind == "^"}
        others = {id(n): c.other for n, c in self.sites if c.other is not None}

        def probing(n: Node) -> Node | None:
            if id(n) in powers:
                return dataclasses.replace(n, op=".^")  # type: ignore[arg-type]
            return others.get(id(n))

        checker = self.typed(rebuild(self.read.expr, probing))
        if checker is None:  # the type checker reports what is wrong
            return self.read
        for node, choice in self.sites:
            shape = checker.node_shapes.get(id(_argument(node)))
            if shape is not None:
                self.classify(node, choice, checker, shape)
        self.accept()
        self.settle()
        read, kept = self.read, self.kept
        notes = list(dict.fromkeys(n for n in self.notes if n not in kept))  # each once
        if not self.accepted and not self.replaced:
            return dataclasses.replace(read, notes=read.notes + tuple(notes))
        expr = self.reading(self.accepted)
        old = to_plain(read.expr)
        suffix = read.plain[len(old):] if read.plain.startswith(old) else ""
        return dataclasses.replace(read, expr=expr, plain=to_plain(expr) + suffix,
                                   notes=tuple(kept) + tuple(notes))

    def classify(self, node: Node, choice: Choice, checker, shape) -> None:
        matrix, arg = checker.is_matrix(shape), to_plain(_argument(node))
        rows, cols = shape[0].find(), shape[1].find()
        if choice.kind == "note":  # a note for a matrix argument only (\\|X\\|_2)
            if matrix:
                self.notes.append(choice.written)
        elif choice.kind in ("spectral", "matrix") and not matrix:
            if choice.other is None:
                raise self.misfit(node, choice, checker.describe(shape))
            self.replace(node, choice, choice.other, f"read {choice.written} as "
                         f"{to_plain(choice.other)}: {arg} is {checker.describe(shape)}, not a "
                         "matrix")
        elif choice.kind == "spectral" and isinstance(node, Unary) and isinstance(
                rows.value, int):  # \\lambda_{\\max} of a k x k matrix: [k]
            largest = _largest(node, rows.value)
            self.replace(node, choice, largest, f"read {choice.written} as "
                         f"{to_plain(largest)}, the largest eigenvalue (eigvals is in "
                         "ascending order)")
        elif choice.kind in ("spectral", "matrix") or not matrix:
            pass
        elif None is not rows.value != cols.value is not None:
            self.notes.append(f"read {choice.written} entrywise: {arg} is "
                              f"{checker.describe(shape)}, not square")
        elif choice.force or rows is cols:
            self.candidates.append((node, choice))
        else:
            self.notes.append(f"read {choice.written} entrywise: the matrix {arg} is not known "
                              "to be square (declare it square or symmetric for "
                              f"{NAMES[MATRIX_FUNCTION[choice.kind]]})")

    def misfit(self, node: Node, choice: Choice, got: str) -> MatdiffTypeError:
        if choice.kind == "matrix":
            return MatdiffTypeError(f"{choice.written} takes a square matrix, but its argument "
                                    f"is {got} here (declare it, as in 'where X: matrix')",
                                    node.span.start, self.read.text)
        what = "an eigenvalue" if "lambda" in choice.written else "a singular value"
        return MatdiffTypeError(f"{choice.written} reads as {what} of a matrix, but its "
                                f"argument is {got}", node.span.start, self.read.text)

    def accept(self) -> None:
        """The matrix functions taken: all of them if the formula types so, else those
        that type one at a time (for a few sites)."""
        nodes = [n for n, _ in self.candidates]
        if nodes and self.typed(self.reading(nodes)) is not None:
            self.accepted = nodes
        elif len(nodes) <= MAX_GREEDY:
            for node in nodes:
                if self.typed(self.reading(self.accepted + [node])) is not None:
                    self.accepted.append(node)

    def settle(self) -> None:
        """The kinds of the final reading may differ (a name read as a scalar to make the
        function a scalar): the matrix functions of what is then no matrix are dropped, the
        spectral values of what is no matrix read as products."""
        checked = [(n, c) for n, c in self.sites if c.kind in ("spectral", "matrix")]
        for _ in range(3):
            final = self.typed(self.reading(self.accepted))
            if final is None:
                break
            misfits = [n for n in self.accepted if not _is_matrix(final, n)]
            for n, c in checked:
                if id(n) not in self.replaced and not _is_matrix(final, n):
                    shape = final.describe(final.node_shapes[id(_argument(n))])
                    if c.other is None:
                        raise self.misfit(n, c, shape)
                    misfits.append(n)
                    self.replace(n, c, c.other, f"read {c.written} as {to_plain(c.other)}: "
                                 f"{to_plain(_argument(n))} is {shape}, not a matrix")
            if not misfits:
                break
            dropped = {id(n) for n in misfits}
            self.accepted = [n for n in self.accepted if id(n) not in dropped]
        for node, choice in self.candidates:
            if any(n is node for n in self.accepted):
                got = to_plain(_matrix_reading(node))
                inverse = "the inverse of " if got.startswith("inv(") else ""
                func = NAMES[MATRIX_FUNCTION[choice.kind]]
                self.notes.append(f"read {choice.written} of a matrix as {inverse}{func} {got}")
                if choice.replaces in self.kept:  # its own note ("read e^{X} as exp(X)")
                    self.kept.remove(choice.replaces)
            else:
                self.notes.append(f"read {choice.written} entrywise: "
                                  f"{to_plain(_argument(node))} cannot be a square matrix here")


def _is_matrix(checker, node: Node) -> bool:
    shape = checker.node_shapes.get(id(_argument(node)))
    return shape is None or checker.is_matrix(shape)
