"""Kronecker-structured expressions as einsum terms: ``kron``, ``commutation``, ``vec``
and ``diag(vec(.))`` are never materialised.

An m*n index of a Kronecker factor is a pair of indices (row-major: the first
one major), the same convention as ``vec`` (vec(X)[i + r*j] is the pair (j, i)).
Each term of a structured expression is a product of dense operands, each with
index letters; rows and columns of the term are lists of letters; an identity
or a commutation matrix is only letters (a Kronecker delta), so that

    kron(B', A) * vec(dX)              ->  einsum('ai,cb,ib->ac')  (= A*dX*B)
    kron(eye(c), X'*X)                 ->  X'*X written on the c diagonal blocks
    kron(V', eye(n))*diag(vec(P))*kron(V, eye(n))
                                       ->  einsum('ka,ik,kb->aib') on a block diagonal

A letter that appears twice in a term's output is a diagonal: the term is
computed over its distinct letters and added into a strided (diagonal) view
of the output, or scattered (JAX).  Letters are split (reshaping operands) to
align a product's inner indices; a product whose indices cannot be aligned
falls back to materialising (``Unstructured``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from .. import ir
from .lir import Node, Shape, layout

_fresh = itertools.count()


class Unstructured(Exception):
    """The expression's indices cannot be aligned symbolically: materialise it instead."""


Size = tuple[int, tuple[str, ...]]  # integer part, sorted symbolic atoms


def size_of(d: ir.Dim) -> Size:
    if isinstance(d, int):
        return (d, ())
    k, names = 1, []
    for p in str(d).split("*"):
        if p.isdigit():
            k *= int(p)
        else:
            names.append(p)
    return (k, tuple(sorted(names)))


def _contains(a: Size, b: Size) -> bool:
    if a[0] % b[0]:
        return False
    ca, cb = Counter(a[1]), Counter(b[1])
    return all(ca[x] >= n for x, n in cb.items())


def _minus(a: Size, b: Size) -> Size:
    ca = Counter(a[1])
    ca.subtract(Counter(b[1]))
    return (a[0] // b[0], tuple(sorted(ca.elements())))


def is_one(s: Size) -> bool:
    return s == (1, ())


@dataclass
class Term:
    num: float
    coefs: list[Node]
    ops: list[tuple[Node, list[int]]]
    rows: list[int]
    cols: list[int]
    sizes: dict[int, Size] = field(default_factory=dict)

    def copy(self) -> Term:
        ren = {l: next(_fresh) for l in self.sizes}
        return Term(self.num, list(self.coefs), [(n, [ren[l] for l in ls]) for n, ls in self.ops],
                    [ren[l] for l in self.rows], [ren[l] for l in self.cols],
                    {ren[l]: s for l, s in self.sizes.items()})

    def replace(self, old: int, new: list[int]) -> None:
        def sub(ls: list[int]) -> list[int]:
            out: list[int] = []
            for l in ls:
                out.extend(new if l == old else [l])
            return out

        self.rows, self.cols = sub(self.rows), sub(self.cols)
        self.ops = [(n, sub(ls)) for n, ls in self.ops]
        if old not in new:
            self.sizes.pop(old, None)

    def split(self, letter: int, first: Size) -> tuple[int, int]:
        a, b = next(_fresh), next(_fresh)
        rest = _minus(self.sizes[letter], first)
        self.sizes[a], self.sizes[b] = first, rest
        self.replace(letter, [a, b])
        return a, b

    def unify(self, a: int, b: int) -> None:
        if a != b:
            self.replace(b, [a])

    def drop_ones(self) -> None:
        self.rows = [l for l in self.rows if not is_one(self.sizes[l])]
        self.cols = [l for l in self.cols if not is_one(self.sizes[l])]


def align(t: Term, g1: list[int], g2: list[int]) -> None:
    """Make the letter groups g1 and g2 (lists in t) index the same thing: split and unify."""
    g1 = [l for l in g1 if not is_one(t.sizes[l])]
    g2 = [l for l in g2 if not is_one(t.sizes[l])]
    i = j = 0
    while i < len(g1) and j < len(g2):
        a, b = g1[i], g2[j]
        sa, sb = t.sizes[a], t.sizes[b]
        if sa == sb:
            t.unify(a, b)
            g1 = [a if l == b else l for l in g1]
            g2 = [a if l == b else l for l in g2]
            i += 1
            j += 1
        elif _contains(sb, sa):
            b1, b2 = t.split(b, sa)
            g2[j:j + 1] = [b1, b2]
            g1 = _sub(g1, b, [b1, b2])
        elif _contains(sa, sb):
            a1, a2 = t.split(a, sb)
            g1[i:i + 1] = [a1, a2]
            g2 = _sub(g2, a, [a1, a2])
        else:
            raise Unstructured(f"cannot align index sizes {sa} and {sb}")
    if i != len(g1) or j != len(g2):
        raise Unstructured("index groups of different lengths")


def _sub(ls: list[int], old: int, new: list[int]) -> list[int]:
    out: list[int] = []
    for l in ls:
        out.extend(new if l == old else [l])
    return out


def _letter(t: Term, d: ir.Dim) -> int:
    l = next(_fresh)
    t.sizes[l] = size_of(d)
    return l


def dense(node: Node, shape: Shape) -> list[Term]:
    t = Term(1.0, [], [], [], [])
    if layout(shape) == "scalar":
        t.coefs.append(node)
        return [t]
    r = _letter(t, shape[0])
    c = _letter(t, shape[1])
    lay = layout(shape)
    if lay == "vec":
        letter = r if shape[1] == 1 else c
        t.ops.append((node, [letter]))
    else:
        t.ops.append((node, [r, c]))
    t.rows, t.cols = [r], [c]
    t.drop_ones()
    return [t]


def identity(n: ir.Dim) -> list[Term]:
    t = Term(1.0, [], [], [], [])
    a = _letter(t, n)
    t.rows, t.cols = [a], [a]
    return [t]


def commutation(m: ir.Dim, n: ir.Dim) -> list[Term]:
    t = Term(1.0, [], [], [], [])
    i, j = _letter(t, m), _letter(t, n)
    t.rows, t.cols = [i, j], [j, i]
    return [t]


def transpose(s: list[Term]) -> list[Term]:
    out = []
    for t in s:
        u = t.copy()
        u.rows, u.cols = u.cols, u.rows
        out.append(u)
    return out


def _merge(a: Term, b: Term) -> tuple[Term, Term, Term]:
    """The product term of copies of ``a`` and ``b`` (indices not yet aligned), and the copies."""
    a, b = a.copy(), b.copy()
    return Term(a.num * b.num, a.coefs + b.coefs, a.ops + b.ops, a.rows, b.cols,
                {**a.sizes, **b.sizes}), a, b


def product(s1: list[Term], s2: list[Term]) -> list[Term]:
    out = []
    for x in s1:
        for y in s2:
            t, a, b = _merge(x, y)
            align(t, a.cols, b.rows)
            out.append(t)
    return out


def kron(s1: list[Term], s2: list[Term]) -> list[Term]:
    out = []
    for x in s1:
        for y in s2:
            t, a, b = _merge(x, y)
            t.rows = a.rows + b.rows
            t.cols = a.cols + b.cols
            out.append(t)
    return out


def scale(s: list[Term], num: float = 1.0, coef: Node | None = None) -> list[Term]:
    out = []
    for t in s:
        u = t.copy()
        u.num *= num
        if coef is not None:
            u.coefs.append(coef)
        out.append(u)
    return out


def diag(s: list[Term]) -> list[Term]:
    out = []
    for t in s:
        if t.cols:
            raise Unstructured("diag of a non-vector")
        u = t.copy()
        u.cols = list(u.rows)
        out.append(u)
    return out


def vec(node: Node, shape: Shape) -> list[Term]:
    t = Term(1.0, [], [], [], [])
    i, j = _letter(t, shape[0]), _letter(t, shape[1])
    t.ops.append((node, [i, j]))
    t.rows, t.cols = [j, i], []
    t.drop_ones()
    return [t]


def trace(s: list[Term]) -> list[Term]:
    out = []
    for t in s:
        u = t.copy()
        align(u, u.rows, u.cols)
        u.rows, u.cols = [], []
        out.append(u)
    return out


def total(s: list[Term]) -> list[Term]:
    out = []
    for t in s:
        u = t.copy()
        u.rows, u.cols = [], []
        out.append(u)
    return out


# ----------------------------------------------------------------------------- evaluation plan


@dataclass(frozen=True, eq=False)
class TermPlan:
    """One einsum term: operands (arg index, letters), letter sizes, output letters."""

    num: float
    coefs: tuple[int, ...]  # arg indices of scalar factors
    ops: tuple[tuple[int, tuple[str, ...]], ...]  # arg index, letters
    out: tuple[str, ...]  # output letters in row-major order (rows then cols)
    sizes: dict[str, Size]  # letter -> its size
    free: tuple[str, ...]  # letters in no operand and not in the output: a factor


@dataclass(frozen=True, eq=False)
class TensorPlan:
    terms: tuple[TermPlan, ...]
    shape: Shape  # the IR shape of the result


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_plan(s: list[Term], shape: Shape) -> tuple[TensorPlan, list[Node]]:
    args: list[Node] = []
    index: dict[int, int] = {}

    def arg(n: Node) -> int:
        if n.id not in index:
            index[n.id] = len(args)
            args.append(n)
        return index[n.id]

    terms = []
    for t in s:
        t.drop_ones()
        names: dict[int, str] = {}
        ops = tuple((arg(n), tuple(_name(names, l) for l in ls)) for n, ls in t.ops)
        out = tuple(_name(names, l) for l in t.rows + t.cols)
        # letters summed over that are in no operand (the sum or trace of a delta): each
        # contributes its size as a factor
        free = tuple(_name(names, l) for l in t.sizes if l not in names)
        sizes = {names[l]: t.sizes[l] for l in names}
        terms.append(TermPlan(t.num, tuple(arg(c) for c in t.coefs), ops, out, sizes, free))
    return TensorPlan(tuple(terms), shape), args


def _name(names: dict[int, str], letter: int) -> str:
    """The einsum letter of an index, given in order of first use."""
    if letter not in names:
        if len(names) >= len(LETTERS):
            raise Unstructured("too many indices")
        names[letter] = LETTERS[len(names)]
    return names[letter]
