"""What type inference assumed that the text does not say: the warnings an answer carries.

Inference reads an undeclared name by its naming convention unless its uses say otherwise
(LANGUAGE.md). Two readings are assumptions a user should see, with the declaration that
changes them and the position of the name:

* a **convention break**: the name is read as another kind than its convention (``c`` a
  scalar, ``Q`` a scalar), because the conventional reading does not fit or does not give
  the scalar function a gradient needs;
* a **broadcast**: an undeclared name read as a scalar is added to (or subtracted from)
  every entry of a vector or a matrix (``x - mu``), where a vector was perhaps meant.

Two uses of a name are readings of the text, not assumptions, and do not warn: a divisor
(``1/N``: '/' divides by a scalar only) and a coefficient scaled by a number in a scalar
product (``C/2*sum(W.^2)``). Declared names never warn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .syntax import Binary, Name, Node, Number, Selection, Transpose, Unary, children, walk
from .unparse import to_plain

__all__ = ["TypingWarning", "additive_only", "warnings_for"]

PRODUCT = ("*", "@", "/")


@dataclass(frozen=True)
class TypingWarning:
    """One assumption: the name, what was assumed and how to change it, and where the name
    is in the text (0-based, as error positions)."""

    name: str
    message: str
    position: int | None

    def to_json(self) -> dict:
        return {"message": self.message, "position": self.position}


@dataclass(frozen=True)
class Reading:
    """What inference knows for the warnings: each undeclared name's conventional kind and
    the rule behind it, the kinds it chose, their type texts, and two questions it can
    answer by checking again."""

    conventional: dict[str, tuple[str, str]]  # name -> (kind, the convention in words)
    kinds: dict[str, str]
    types: dict[str, str]
    is_scalar: Callable[[Node], bool]
    shape_of: Callable[[Node], str]  # a node's type text, vector(n) ...
    fits: Callable[[str], str | None]  # None if the name's conventional kind fits too
    dimensions: frozenset[str]  # declared dimension names (a value standing for a size)


def warnings_for(root: Node, r: Reading) -> tuple[TypingWarning, ...]:
    """The warnings for a typed expression, in the order of their positions."""
    broken = {n for n, (kind, _) in r.conventional.items() if _base(r.kinds[n]) != kind}
    parents = _parents(root) if broken else {}  # (only a broken convention needs them)
    out = [_break(n, root, r) for n in broken if not _usage(n, root, parents, r, broken)]
    seen = set(broken)
    if not any(r.kinds[n] == "scalar" and n not in r.dimensions for n in r.conventional):
        return _in_order(out)  # no undeclared scalar that could be broadcast
    for name, node, binary in _broadcasts(root, r):
        if name not in seen:
            seen.add(name)
            out.append(_broadcast(name, node, binary, r))
    return _in_order(out)


def _in_order(warnings: list[TypingWarning]) -> tuple[TypingWarning, ...]:
    return tuple(sorted(warnings, key=lambda w: (w.position is None, w.position or 0, w.name)))


def _base(kind: str) -> str:
    return "matrix" if kind == "symmetric" else kind


# ----------------------------------------------------------------------------- messages


def _break(name: str, root: Node, r: Reading) -> TypingWarning:
    conv, rule = r.conventional[name]
    kind = r.kinds[name]
    text = f"{name} is read as a {r.types[name]}, not a {conv} ({rule})"
    misfit = r.fits(name)
    if misfit is None:
        text += (", so that the function is a scalar" if r.is_scalar(root) else "") + \
            f"; if {name} is a {conv}, declare it: where {name}: {conv}"
    else:
        text += (f", because as a {conv} it does not fit its uses ({misfit}); to keep this "
                 f"reading, declare it: where {name}: {kind}")
    return TypingWarning(name, text, _first(root, name))


def _broadcast(name: str, node: Name, binary: Binary, r: Reading) -> TypingWarning:
    _, rule = r.conventional[name]
    left_scalar = r.is_scalar(binary.left)
    other = binary.right if left_scalar else binary.left
    other_text, whole = to_plain(other), to_plain(binary)
    if binary.op == "+":
        how = f"it is added to every entry of {other_text}"
    elif left_scalar:
        how = f"every entry of {other_text} is subtracted from it"
    else:
        how = f"it is subtracted from every entry of {other_text}"
    shape = r.shape_of(other)
    kind = "vector" if shape.startswith("vector") else "matrix"
    text = (f"{name} is read as a scalar ({rule}), so in {whole} {how}, a {shape}; "
            f"if {name} is a {kind}, declare it: where {name}: {kind}")
    return TypingWarning(name, text, node.span.start)


def _first(root: Node, name: str) -> int | None:
    for node in walk(root):
        if isinstance(node, Name) and node.name == name:
            return node.span.start
    return None


# ----------------------------------------------------------------------------- the tree


def _parents(root: Node) -> dict[int, Node]:
    out: dict[int, Node] = {}
    for node in walk(root):
        for child in children(node):
            out[id(child)] = node
    return out


def _occurrences(root: Node, name: str) -> Iterator[Name]:
    for node in walk(root):
        if isinstance(node, Name) and node.name == name:
            yield node


def _wrapped(node: Node, parents: dict[int, Node]) -> tuple[Node, Node | None]:
    """The node with the signs and transposes around it, and the parent of that."""
    while isinstance(parents.get(id(node)), (Unary, Transpose, Selection)):
        node = parents[id(node)]
    return node, parents.get(id(node))


def additive_only(root: Node) -> set[str]:
    """The names every use of which is a term of a sum (``c`` in ``x'*A*x + b'*x + c``),
    possibly signed or transposed."""
    parents = _parents(root)
    terms: set[str] = set()
    other: set[str] = set()
    for node in walk(root):
        if isinstance(node, Name):
            _, parent = _wrapped(node, parents)
            is_term = isinstance(parent, Binary) and parent.op in ("+", "-")
            (terms if is_term else other).add(node.name)
    return terms - other


def _usage(name: str, root: Node, parents: dict[int, Node], r: Reading,
           broken: set[str]) -> bool:
    """Whether a name read as a scalar is so by the text itself: each use divides
    (``1/N``) or is a coefficient scaled by a number in a scalar product (``C/2*sum(...)``)."""
    if r.kinds[name] != "scalar":
        return False
    for node in _occurrences(root, name):
        wrapped, parent = _wrapped(node, parents)
        if isinstance(parent, Binary) and parent.op == "/" and parent.right is wrapped:
            continue
        if not _coefficient(node, wrapped, parents, r, broken):
            return False
    return True


def _coefficient(node: Name, wrapped: Node, parents: dict[int, Node], r: Reading,
                 broken: set[str]) -> bool:
    top = wrapped
    while True:
        parent = parents.get(id(top))
        if isinstance(parent, Unary) or (isinstance(parent, Binary) and parent.op in PRODUCT
                                         and (parent.op != "/" or parent.left is top)):
            top = parent
        else:
            break
    others = [f for f in _factors(top) if f is not wrapped and f is not node]
    if not others or not any(isinstance(f, Number) for f in others):
        return False
    if any(n in broken for f in others for n in _names(f)):
        return False
    shaped = [f for f in others if not r.is_scalar(f)]
    return not shaped  # every other factor is a scalar, and none is a reading itself


def _factors(node: Node) -> list[Node]:
    if isinstance(node, Binary) and node.op in PRODUCT:
        return _factors(node.left) + ([node.right] if node.op == "/" else _factors(node.right))
    if isinstance(node, Unary):
        return _factors(node.operand)
    return [node]


def _names(node: Node) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, Name)}


def _broadcasts(root: Node, r: Reading) -> Iterator[tuple[str, Name, Binary]]:
    """Undeclared scalar names added to or subtracted from every entry of a vector or
    matrix: the name, its use and the '+' or '-'."""
    for node in walk(root):
        if not (isinstance(node, Binary) and node.op in ("+", "-")):
            continue
        ls, rs = r.is_scalar(node.left), r.is_scalar(node.right)
        if ls == rs:
            continue
        for name in _scaling_names(node.left if ls else node.right):
            if name.name in r.conventional and name.name not in r.dimensions \
                    and r.kinds[name.name] == "scalar":
                yield name.name, name, node


def _scaling_names(node: Node) -> Iterator[Name]:
    """The names that a scalar term is made of by signs, transposes and products (not the
    arguments of functions, not divisors)."""
    if isinstance(node, Name):
        yield node
    elif isinstance(node, (Unary, Transpose, Selection)):
        yield from _scaling_names(node.operand)
    elif isinstance(node, Binary) and node.op in ("*", "@", ".*", "/", "./"):
        yield from _scaling_names(node.left)
        if node.op not in ("/", "./"):
            yield from _scaling_names(node.right)
