"""Printing a Kronecker-structured node (:mod:`.tensor`): one einsum (or broadcast
product) per term, summed into the result, a term with a repeated output letter
added into a diagonal view (or scattered) -- no ``kron(...)`` is ever formed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from . import tensor as TS
from .backend_base import Backend
from .lir import Dim, Node, Shape
from .pytext import ATOM, MUL, num, paren

_NATURAL_RANK = {"vec": 1, "mat": 2, "scalar": 0}


class Context(Protocol):
    """What the printing of a term needs from the printer."""

    be: Backend

    def c(self, n: Node, prec: float = 0, right: bool = False) -> str: ...

    def dim(self, d: Dim) -> str: ...

    def size(self, s: TS.Size) -> str: ...

    def shape_code(self, shape: Shape) -> str: ...

    def fresh(self) -> str: ...


@dataclass
class TermCode:
    """A term's value; for a diagonal term, the view it is added into."""

    value: str
    scatter: bool
    sizes: str = ""  # the output reshaped to one axis per letter
    pattern: tuple[int, ...] = ()  # the distinct letter of each axis


def tensor(pr: Context, n: Node) -> tuple[str, list[str]]:
    """The temporary holding ``n`` and the statements computing it."""
    plan: TS.TensorPlan = n.attr
    be = pr.be
    name = pr.fresh()
    final = {"scalar": None, "vec": "-1",
             "mat": f"{pr.dim(n.shape[0])}, {pr.dim(n.shape[1])}"}[n.layout]
    stmts = ["# Kronecker structure: einsum terms, no kron(...) formed"]
    codes = [term(pr, t, n.args) for t in plan.terms]
    if len(codes) == 1 and not codes[0].scatter:
        v = codes[0].value
        stmts.append(f"{name} = {be.reshape(v, final) if final else v}")
        return name, stmts
    if final is None:
        stmts.append(f"{name} = " + " + ".join(tc.value for tc in codes))
        return name, stmts
    if not be.supports_scatter and any(tc.scatter for tc in codes):
        be.unsupported("a Kronecker product with a repeated index (a block diagonal)")
    stmts.append(f"{name} = {be.zeros(pr.shape_code(n.shape))}")
    for tc in codes:
        if tc.scatter:
            stmts += be.diag_add(name, tc.sizes, tc.pattern, tc.value)
        else:
            stmts += be.add_into(name, be.reshape(tc.value, final))
    return name, stmts


def term(pr: Context, t: TS.TermPlan, args: tuple[Node, ...]) -> TermCode:
    """One term: the product of its operands (scaled), summed over its inner letters."""
    in_ops = {c for _, ls in t.ops for c in ls}
    uniq = list(dict.fromkeys(t.out))  # the distinct output letters, in order
    present = [letter for letter in uniq if letter in in_ops]
    coef = _coefficient(pr, t, args)
    negate = t.num < 0
    if t.ops:
        value = _product(pr, t, args, present, coef, negate)
    else:
        value = " * ".join(coef) if coef else "1.0"
        value = "-" + paren(value) if negate else value
    if len(uniq) == len(t.out) and len(present) == len(uniq):
        return TermCode(value, False)
    if len(present) != len(uniq) and t.ops:  # broadcast over the letters in no operand
        idx = ", ".join(":" if letter in present else "None" for letter in uniq)
        value = f"{paren(value)}[{idx}]"
    sizes = "(" + ", ".join(pr.size(t.sizes[letter]) for letter in t.out) + ",)"
    return TermCode(value, True, sizes, tuple(uniq.index(letter) for letter in t.out))


def _coefficient(pr: Context, t: TS.TermPlan, args: tuple[Node, ...]) -> list[str]:
    """The scalar factors of a term (its sign apart): number, scalar nodes, free sizes."""
    parts = [num(abs(t.num))] if abs(t.num) != 1 else []
    parts += [pr.c(args[i], MUL) for i in t.coefs]
    parts += [pr.be.dim_scalar(pr.size(t.sizes[letter])) for letter in t.free]
    return parts


def _operands(pr: Context, t: TS.TermPlan, args: tuple[Node, ...]) -> list[str]:
    """Each operand, reshaped when its letters split its natural axes."""
    out = []
    for i, ls in t.ops:
        x = args[i]
        code = pr.c(x, ATOM)
        if len(ls) != _NATURAL_RANK[x.layout]:
            code = pr.be.reshape(code, ", ".join(pr.size(t.sizes[letter]) for letter in ls))
        out.append(code)
    return out


def _product(pr: Context, t: TS.TermPlan, args: tuple[Node, ...], present: list[str],
             coef: list[str], negate: bool) -> str:
    ops = _operands(pr, t, args)
    # the coefficient and the sign scale the operand with the fewest indices
    k = min(range(len(t.ops)), key=lambda i: len(t.ops[i][1])) if coef else 0
    if coef:
        ops[k] = " * ".join([*coef, paren(ops[k])])
    if negate:
        ops[k] = "-" + paren(ops[k])
    if len(t.ops) == 1 and "".join(t.ops[0][1]) == "".join(present):
        return ops[0]
    if _is_outer(pr.be, t, present):
        return _broadcast_product(pr.be, t, ops, present)
    spec = ",".join("".join(ls) for _, ls in t.ops) + "->" + "".join(present)
    return pr.be.einsum(spec, ops)


def _is_outer(be: Backend, t: TS.TermPlan, present: list[str]) -> bool:
    """No letter is summed over and none repeats: a broadcast product does it."""
    letters = [c for _, ls in t.ops for c in ls]
    return (len(t.ops) > 1 and len(set(letters)) == len(letters)
            and set(letters) == set(present) and be.broadcast_outer
            and all(len(ls) <= 2 for _, ls in t.ops))


def _broadcast_product(be: Backend, t: TS.TermPlan, ops: list[str], present: list[str]) -> str:
    parts = []
    for (_, ls), code in zip(t.ops, ops):
        if len(ls) == 2 and present.index(ls[0]) > present.index(ls[1]):
            code = be.transpose(paren(code))
        idx = ", ".join(":" if c in ls else "None" for c in present)
        parts.append(f"{paren(code)}[{idx}]")
    return "(" + " * ".join(parts) + ")"
