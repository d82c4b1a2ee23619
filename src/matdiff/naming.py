"""Named subexpressions in results: a subexpression written many times is written once,
as a definition, and the result uses its name.

    norm(W4*sigmoid(W3*sigmoid(W2*sigmoid(W1*x))) - y)^2 by W1:

    2*delta1*x'
      where h1 = sigmoid(W1*x), h2 = sigmoid(W2*h1), h3 = sigmoid(W3*h2),
            delta3 = (W4'*(W4*h3 - y)).*h3.*(1 - h3), delta2 = (W3'*delta3).*h2.*(1 - h2),
            delta1 = (W2'*delta2).*h1.*(1 - h1)

The IR is hash-consed, so a repeated subexpression is one node reached along several
paths; :func:`name_subexpressions` counts the paths (how often the flat text would
write each node) and names a node when it would be written at least twice and is not tiny
once its own named parts are names.  Small answers stay flat: nothing is named in a result
whose flat text is under :data:`FLAT_UP_TO` characters (:func:`matdiff.ir.size`), nor
when the named form with its definitions would be much longer (:func:`present`), except the
user's own definitions, which are used wherever their expression occurs.

Backpropagation as a person writes it also names the back-propagated errors of a long
result, each written once even so: an elementwise product with a matrix product among its
factors, itself a factor of a matrix product (``delta1 = (W2'*delta2).*(1 - h1.^2)``).

Names follow what the node is: ``h1, h2, ...`` for an elementwise function of a product
(a layer's activation), ``delta1, delta2, ...`` for back-propagated errors (numbered as
the layer they belong to), ``r`` / ``R`` for a difference with no constant term (a
residual), ``s`` / ``S`` for a softmax, ``S`` for a sum that is inverted (``inv(S)``),
``t1, t2, ...`` otherwise; a name never clashes with a variable, a size, a function or
another definition.

The definitions are in dependency order; the printed result followed by
``where name = text, ...`` parses back to the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .algebra import transpose
from .ir import _BINDS_TIGHTER_THAN_ADD as _TIGHT  # the measure of size(), node by node
from .ir import (
    Add,
    Commutation,
    Differential,
    Expr,
    Func,
    Hadamard,
    Identity,
    Inv,
    Mul,
    Num,
    Ones,
    Size,
    Softmax,
    Sym,
    Transpose,
    Zero,
    _own_size,
    kind_of_shape,
    size,
)
from .ops import ELEMENTWISE
from .printing import LatexPrinter, TextPrinter, latex_name
from .shapes import BUILTINS

if TYPE_CHECKING:
    from .typecheck import Program

__all__ = ["FLAT_UP_TO", "MIN_NAMED_SIZE", "Named", "Shown", "name_subexpressions", "present",
           "reserved", "show"]

#: A result whose flat text is at most this long (about, :func:`matdiff.ir.size`) names
#: nothing of its own.
FLAT_UP_TO = 100
#: Up to this size (:func:`matdiff.ir.size`) a named result is also written out, and shown
#: so when the named form with its definitions is NAMES_WORTH times as long or longer
#: (names are worth a little length: nesting is harder to read than a where clause).
COMPARE_UP_TO = 400
NAMES_WORTH = 1.25
#: A node is worth a name when, with its own named parts written as names, it is at least
#: this long (estimated while choosing, then measured on the printed definition).
MIN_NAMED_SIZE = 10

#: A back-propagated error is named in a long result when it is at least this long.
MIN_ERROR_SIZE = 16
#: The name of back-propagated errors (numbered), as in the backpropagation literature.
ERROR_NAME = "delta"

_ATOMS = (Sym, Num, Differential, Zero, Ones, Identity, Size, Commutation)


@dataclass(frozen=True)
class Named:
    """A result with named subexpressions: ``body`` uses the names (variables of the
    definitions' shapes), ``definitions`` gives each name's expression, in dependency order
    (each uses only names before it)."""

    body: Expr
    definitions: tuple[tuple[Sym, Expr], ...] = ()
    nodes: tuple[Expr, ...] = ()  # the node each definition stands for, as in the result

    def order(self, order: dict[str, int]) -> dict[str, int]:
        """The printers' order of first appearance, with each name placed at the first
        variable of its expression (so terms sort as they would written out)."""
        out = dict(order)
        for sym, expr in self.definitions:
            known = [out[n] for n in expr.free if n in out]
            out[sym.name] = min(known) if known else len(order)
        return out


def name_subexpressions(e: Expr, avoid: frozenset[str] | set[str],
                        user: dict[Expr, str] | None = None, own: bool = True) -> Named:
    """Name the subexpressions of ``e`` worth naming (see the module's docstring).

    ``avoid``: names that must not be used (variables, sizes, functions); ``user``: the
    user's own definitions, by their IR, named wherever they occur; ``own=False``: no other
    names (a linear map uses its result's names only).
    """
    user = {k: v for k, v in (user or {}).items() if not isinstance(k, _ATOMS)}
    if not user and (not own or size(e) <= FLAT_UP_TO):  # small, and nothing of the user's
        return Named(e)
    e = _group_user_products(e, user)
    nodes = list(e.walk())  # children before parents
    present = {id(n) for n in nodes}
    user = {k: v for k, v in user.items() if id(k) in present}
    own = own and size(e) > FLAT_UP_TO
    if not user and not own:
        return Named(e)
    chosen = _choose(e, nodes, user, own)
    for _ in range(3):  # a definition that prints tiny is written in place after all
        if not chosen:
            return Named(e)
        named = _substitute(nodes, _names(nodes, chosen, user, set(avoid)))
        printer = TextPrinter()
        tiny = {id(n) for n, (_, d) in zip(_in_order(nodes, chosen), named.definitions)
                if n not in user and len(printer.text(d)) < MIN_NAMED_SIZE}
        if not tiny:
            break
        chosen -= tiny
    return named


def _group_user_products(e: Expr, user: dict[Expr, str]) -> Expr:
    """``e`` with each run of factors that is one of the user's products (``W*x`` in
    ``W'*W*x``, or its transpose ``x'*W'``) made one factor, so that it can be named."""
    chains = [u for u in user if isinstance(u, Mul) and not any(isinstance(f, Num)
                                                                  for f in u.factors)]
    if not chains:
        return e
    runs: list[tuple[tuple[Expr, ...], Expr]] = [(tuple(u.factors), u) for u in chains]
    runs += [(tuple(transpose(f) for f in reversed(u.factors)), Transpose(u)) for u in chains]
    new: dict[int, Expr] = {}
    for n in e.walk():
        args = tuple(_replace(a, {}, new) for a in n.args) if n.children else n.args
        out = n if all(a is b for a, b in zip(args, n.args)) else type(n)(*args)
        if isinstance(out, Mul):
            factors = list(out.factors)
            for run, whole in runs:
                k = len(run)
                i = 0
                while i + k <= len(factors) and len(factors) > k:
                    if tuple(factors[i:i + k]) == run:
                        factors[i:i + k] = [whole]
                    i += 1
            if len(factors) != len(out.factors):
                out = Mul(tuple(factors))
        new[id(n)] = out
    return new[id(e)]


def _in_order(nodes: list[Expr], chosen: set[int]) -> list[Expr]:
    """The chosen nodes in the order of their definitions."""
    return [n for n in nodes if id(n) in chosen]


def _paths(nodes: list[Expr], named: Callable[[Expr], bool]) -> dict[int, int]:
    """How many times each node is written when the nodes ``named`` are written once (as
    definitions) and the rest in place."""
    count = {id(n): 0 for n in nodes}
    count[id(nodes[-1])] = 1
    for n in reversed(nodes):  # parents before children
        weight = 1 if named(n) else count[id(n)]
        for c in n.children:
            count[id(c)] += weight
    return count


def _nameable(n: Expr) -> bool:
    """Not an atom, a transpose or a bare sign (their operand is named instead: -x, 2*x)."""
    if isinstance(n, (*_ATOMS, Transpose)):
        return False
    return not (isinstance(n, Mul) and len(n.factors) == 2 and isinstance(n.factors[0], Num))


def _choose(e: Expr, nodes: list[Expr], user: dict[Expr, str], own: bool) -> set[int]:
    """The ids of the nodes to name (with ``own`` False, only the user's)."""
    flat = _paths(nodes, lambda n: False)
    errors = _back_propagated(nodes)
    # an argument written only inside one function (W2*h1 + b2 of f(W2*h1 + b2)): the
    # function's value is named instead (h2), not the argument
    inside: dict[int, set[int]] = {}
    for n in nodes:
        for c in n.children:
            inside.setdefault(id(c), set()).add(id(n))
    only_in_function = {id(n.arg) for n in nodes if isinstance(n, Func)
                        and inside.get(id(n.arg)) == {id(n)} and flat[id(n.arg)] == flat[id(n)]}
    chosen: set[int] = set()
    shown: dict[int, int] = {}  # a node's size with its chosen parts written as names
    for n in nodes:  # children first: a node's parts are decided before it
        extra = _own_size(n)
        if isinstance(n, _TIGHT):  # a sum operand is written in ( )
            extra += 2 * sum(isinstance(c, Add) and id(c) not in chosen for c in n.children)
        shown[id(n)] = extra + sum(2 if id(c) in chosen else shown[id(c)] for c in n.children)
        repeated = own and n is not e and _nameable(n) and flat[id(n)] >= 2 \
            and shown[id(n)] >= MIN_NAMED_SIZE and id(n) not in only_in_function
        error = own and id(n) in errors and shown[id(n)] >= MIN_ERROR_SIZE
        if n in user or repeated or error:
            chosen.add(id(n))
    # a part written only inside one larger node, as often as that node (the -m of X - m):
    # the larger node is named instead (Xc = X - m reads, X + T1 where T1 = -m does not)
    by_id = {id(n): n for n in nodes}
    for n in nodes:
        parents = inside.get(id(n), set())
        if id(n) in chosen and n not in user and len(parents) == 1:
            (p,) = parents
            if p != id(e) and flat[p] == flat[id(n)] and _nameable(by_id[p]) \
                    and id(n) not in errors and not isinstance(by_id[p], Func):
                chosen.discard(id(n))
                chosen.add(p)
    # written once after all (inside another named node): not worth a name after all
    count = {id(nodes[-1]): 1}
    for n in reversed(nodes):
        if id(n) in chosen and count.get(id(n), 0) < 2 and n not in user \
                and id(n) not in errors:
            chosen.discard(id(n))
        weight = 1 if id(n) in chosen else count.get(id(n), 0)
        for c in n.children:
            count[id(c)] = count.get(id(c), 0) + weight
    chosen.discard(id(e))
    return _inverses(nodes, chosen, user)


def _back_propagated(nodes: list[Expr]) -> set[int]:
    """The back-propagated errors of a chain of layers: an elementwise product with a
    matrix product among its factors, itself a factor of a matrix product
    (``W2'*((W3'*d).*(1 - h2.^2))``)."""
    out: set[int] = set()
    for n in nodes:
        if isinstance(n, Mul) and not n.is_scalar:
            for f in n.factors:
                if isinstance(f, Hadamard) and any(isinstance(g, Mul) and not g.is_scalar
                                                   for g in f.factors):
                    out.add(id(f))
    return out


def _inverses(nodes: list[Expr], chosen: set[int], user: dict[Expr, str]) -> set[int]:
    """``inv(A + B*D*B')`` reads best as ``inv(S) where S = A + B*D*B'``: name the inverted
    sum rather than the inverse."""
    out = set(chosen)
    for n in nodes:
        if id(n) in chosen and isinstance(n, Inv) and isinstance(n.arg, Add) and n not in user:
            out.discard(id(n))
            out.add(id(n.arg))
    return out


def _kind_name(n: Expr, inverted: set[int], errors: set[int]) -> str:
    """The letter a node's name starts with."""
    matrix = kind_of_shape(n.shape) == "matrix"
    if id(n) in inverted:
        return "S"
    if id(n) in errors:
        return ERROR_NAME
    if isinstance(n, Func) and _product(n.arg):
        return "h"  # a layer: f(W*x + b)
    if isinstance(n, Softmax):
        return "S" if matrix else "s"
    if isinstance(n, Add) and any(_negative(t) for t in n.terms) and not any(
            isinstance(t, (Num, Ones)) or isinstance(t, Mul) and isinstance(t.factors[-1], Ones)
            for t in n.terms):
        return "R" if matrix else "r"  # a residual: W*h - y (not 1 - h.^2)
    return "T" if matrix else "t"


def _product(e: Expr) -> bool:
    """A matrix product, or a sum with one among its terms (``W*x + b``)."""
    if isinstance(e, Add):
        return any(_product(t) for t in e.terms)
    return isinstance(e, Mul) and sum(not f.is_scalar for f in e.factors) >= 2


def _negative(t: Expr) -> bool:
    return isinstance(t, Mul) and isinstance(t.factors[0], Num) and t.factors[0].value < 0


def _names(nodes: list[Expr], chosen: set[int], user: dict[Expr, str],
           avoid: set[str]) -> dict[int, str]:
    """A name for each chosen node: the user's own, else a letter by kind, numbered when
    several share it, never one of ``avoid`` nor one given twice."""
    inverted = {id(n.arg) for n in nodes if isinstance(n, Inv)}
    errors = _back_propagated(nodes)
    taken = avoid | set(user.values())
    out: dict[int, str] = {}
    groups: dict[str, list[Expr]] = {}
    for n in nodes:
        if id(n) not in chosen:
            continue
        if n in user:
            out[id(n)] = user[n]
        else:
            groups.setdefault(_kind_name(n, inverted, errors), []).append(n)
    errors_last = sorted(groups.items(), key=lambda item: item[0] == ERROR_NAME)
    for letter, members in errors_last:
        if letter == ERROR_NAME:
            by_layer = _by_layer(members, groups.get("h", []), chosen, out, taken)
            if by_layer:
                out.update(by_layer)
                taken.update(by_layer.values())
                continue
            members = members[::-1]  # numbered from the output back: delta1 the outermost
        if len(members) == 1 and letter not in taken:
            out[id(members[0])] = letter
            taken.add(letter)
            continue
        k = 1
        for n in members:
            while f"{letter}{k}" in taken:
                k += 1
            out[id(n)] = f"{letter}{k}"
            taken.add(out[id(n)])
    return out


def _by_layer(errors: list[Expr], layers: list[Expr], chosen: set[int], names: dict[int, str],
              taken: set[str]) -> dict[int, str]:
    """Each back-propagated error numbered as the layer whose derivative it multiplies
    (``delta2 = (W3'*delta3).*(1 - h2.^2)``), when that is one layer for each, all distinct;
    else nothing."""
    layer_ids = {id(h) for h in layers}
    out: dict[int, str] = {}
    for d in errors:
        found: set[int] = set()
        for f in d.args[0]:  # the factors
            if isinstance(f, Mul) and not f.is_scalar:
                continue
            stack = [f]
            while stack:
                m = stack.pop()
                if id(m) in layer_ids:
                    found.add(id(m))
                elif id(m) not in chosen:
                    stack.extend(m.children)
        number = names.get(next(iter(found)), "")[1:] if len(found) == 1 else ""
        name = f"{ERROR_NAME}{number}"
        if not number.isdigit() or name in taken or name in out.values():
            return {}
        out[id(d)] = name
    return out


def _substitute(nodes: list[Expr], names: dict[int, str]) -> Named:
    """The result and the definitions with each named node replaced by its name."""
    new: dict[int, Expr] = {}
    syms: dict[int, Sym] = {}
    definitions: list[tuple[Sym, Expr]] = []
    for n in nodes:  # children first
        if n.children:
            args = tuple(_replace(a, syms, new) for a in n.args)
            rebuilt = n if all(a is b for a, b in zip(args, n.args)) else type(n)(*args)
        else:
            rebuilt = n
        new[id(n)] = rebuilt
        if id(n) in names:
            sym = Sym(names[id(n)], n.shape, kind_of_shape(n.shape))
            syms[id(n)] = sym
            definitions.append((sym, rebuilt))
    root = nodes[-1]
    named = tuple(n for n in nodes if id(n) in names)
    return Named(syms.get(id(root), new[id(root)]), tuple(definitions), named)


def _replace(a: object, syms: dict[int, Sym], new: dict[int, Expr]) -> object:
    if isinstance(a, Expr):
        return syms.get(id(a)) or new[id(a)]
    if type(a) is tuple:
        return tuple(_replace(x, syms, new) for x in a)
    return a


# ----------------------------------------------------------------------------- printing


class Shown:
    """A named result as text and LaTeX: the body and each definition. The LaTeX is printed
    when first asked for (most answers are only read as text)."""

    def __init__(self, text: str, texts: tuple[tuple[str, str], ...], nodes: tuple[Expr, ...],
                 latex_of: Callable[[], tuple[str, tuple[str, ...]]]):
        self.text = text
        self.texts = texts  # (name, text) of each definition, in dependency order
        self.nodes = nodes  # the node each name stands for, as in the result
        self._latex_of = latex_of
        self._latex: tuple[str, tuple[str, ...]] | None = None

    def _latex_parts(self) -> tuple[str, tuple[str, ...]]:
        if self._latex is None:
            self._latex = self._latex_of()
        return self._latex

    @property
    def latex(self) -> str:
        return self._latex_parts()[0]

    @property
    def definitions(self) -> tuple[tuple[str, str, str], ...]:
        """(name, text, LaTeX) of each definition."""
        if not self.texts:
            return ()
        return tuple((n, t, latex) for (n, t), latex in zip(self.texts, self._latex_parts()[1]))

    @property
    def text_where(self) -> str:
        """The body with its definitions: ``body where h = ..., r = ...`` (parses back)."""
        if not self.texts:
            return self.text
        return self.text + " where " + ", ".join(f"{n} = {t}" for n, t in self.texts)

    @property
    def latex_where(self) -> str:
        """The LaTeX with a where block under the body (aligned, one definition a line)."""
        if not self.texts:
            return self.latex
        lines = [f"&{self.latex}"]
        for k, (name, _, latex) in enumerate(self.definitions):
            head = "\\text{where }" if k == 0 else "\\phantom{\\text{where }}"
            lines.append(f"&{head}{latex_name(name)} = {latex}")
        return "\\begin{aligned}" + "\\\\".join(lines) + "\\end{aligned}"

    def definitions_json(self) -> list[dict[str, str]]:
        return [{"name": n, "text": t, "latex": latex} for n, t, latex in self.definitions]


def show(named: Named, order: dict[str, int], sized: frozenset[str]) -> Shown:
    """Print a named result: each definition once (one printer, so shared parts are printed
    once), the body using the names."""
    full = named.order(order)
    text = TextPrinter(full, sized)
    texts = tuple((sym.name, text.text(e)) for sym, e in named.definitions)

    def latex_of() -> tuple[str, tuple[str, ...]]:
        latex = LatexPrinter(full)
        return latex.text(named.body), tuple(latex.text(e) for _, e in named.definitions)

    return Shown(text.text(named.body), texts, named.nodes, latex_of)


def present(e: Expr, order: dict[str, int], sized: frozenset[str], avoid: frozenset[str],
            user: dict[Expr, str] | None = None) -> Shown:
    """``e`` printed with the names worth giving (:func:`name_subexpressions`), or written
    out when that is no longer than the named form with its definitions (the user's own
    names are kept regardless)."""
    named = name_subexpressions(e, avoid, user)
    shown = show(named, order, sized)
    users = set((user or {}).values())
    if shown.texts and not any(n in users for n, _ in shown.texts) \
            and size(e) <= COMPARE_UP_TO:
        flat = show(Named(e), order, sized)
        if len(flat.text) * NAMES_WORTH <= len(shown.text_where):
            return flat
    return shown


def reserved(program: Program) -> frozenset[str]:
    """The names a definition of matdiff's may not take: the program's variables and
    sizes, the user's definitions and declarations, the language's functions and words."""
    names = set(program.syms) | {d.name for d in program.definitions}
    names |= {n for d in program.declarations for n, _ in d.names}
    names |= {str(d) for d in program.declared_dims}
    for sym in program.syms.values():
        for dim in sym.shape:
            names.update(str(dim).split("*"))
    names |= BUILTINS | set(ELEMENTWISE) | {"where", "symmetric", "scalar", "mask"}
    return frozenset(names)
