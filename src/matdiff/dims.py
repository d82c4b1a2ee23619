"""Dimensions as a union-find: unknown sizes, numbers, declared names and products of
them (``m*n`` for ``vec`` and ``kron``), unified as the type checker meets the operators;
and names (``n``, ``m``, ...) for the sizes that stay unknown."""

from __future__ import annotations

import itertools

__all__ = ["DShape", "DimVar", "Unifier", "dim_label", "dim_names"]


class DimVar:
    """A dimension in the union-find: unknown, an int, or a declared name."""

    __slots__ = ("not_one", "parent", "product", "serial", "value")
    counter = itertools.count()

    def __init__(self, value: int | str | None = None, not_one: bool = False,
                 product: tuple[DimVar, DimVar] | None = None):
        self.parent: DimVar | None = None
        self.value = value
        self.not_one = not_one or (value is not None and value != 1)
        self.serial = next(DimVar.counter)
        self.product = product

    def find(self) -> DimVar:
        root = self
        while root.parent is not None:
            root = root.parent
        node = self
        while node.parent is not None and node.parent is not root:  # path compression:
            node.parent, node = root, node.parent  # long chains made linear time quadratic
        return root


ONE_VALUE = 1


class Unifier:
    def __init__(self) -> None:
        self.one = DimVar(1)
        self.dims: list[DimVar] = [self.one]

    def fresh(self, not_one: bool = True) -> DimVar:
        d = DimVar(None, not_one)
        self.dims.append(d)
        return d

    def const(self, value: int | str) -> DimVar:
        if value == 1:
            return self.one
        d = DimVar(value)
        self.dims.append(d)
        return d

    def product(self, a: DimVar, b: DimVar) -> DimVar:
        a, b = a.find(), b.find()
        if a.value == 1:
            return b
        if b.value == 1:
            return a
        if isinstance(a.value, int) and isinstance(b.value, int):
            return self.const(a.value * b.value)
        d = DimVar(None, a.not_one or b.not_one, product=(a, b))
        self.dims.append(d)
        return d

    def unify(self, a: DimVar, b: DimVar) -> bool:
        a, b = a.find(), b.find()
        if a is b:
            return True
        if a.value is not None and b.value is not None:
            return a.value == b.value
        if a.value is None and b.value is None and a.product and b.product:
            (a0, a1), (b0, b1) = a.product, b.product  # m*n = n*m
            same = a0.find() is b0.find() or a1.find() is b1.find()
            if same or not (a0.find() is b1.find() or a1.find() is b0.find()):
                return self.unify(a0, b0) and self.unify(a1, b1)
            return self.unify(a0, b1) and self.unify(a1, b0)
        if a.value is None and not a.product:
            a, b = b, a  # bind the free one (b) below
        if b.value is None and not b.product:
            if b.not_one and a.value == 1:
                return False
            b.parent = a
            a.not_one |= b.not_one
            return True
        return False  # a product of sizes against a fixed size: not unified

    def is_one(self, d: DimVar) -> bool:
        return d.find().value == 1


DShape = tuple[DimVar, DimVar]


NAME_POOL = ["n", "m", "p", "q", "k", "r", "s", "t", "l", "c", "d", "b", "h", "j"]


def dim_names(u: Unifier, taken: set[str]) -> dict[int, str]:
    """Names for the unresolved dimension classes, in order of creation."""
    names: dict[int, str] = {}
    pool = (n for n in itertools.chain(NAME_POOL, (f"n{i}" for i in itertools.count(1)))
            if n not in taken)
    for d in u.dims:
        root = d.find()
        if root.value is None and not root.product and id(root) not in names:
            names[id(root)] = next(pool)
    return names


def dim_label(d: DimVar, names: dict[int, str]) -> str:
    root = d.find()
    if root.value is not None:
        return str(root.value)
    if root.product:
        return "*".join(dim_label(p, names) for p in root.product)
    return names.get(id(root), "?")

