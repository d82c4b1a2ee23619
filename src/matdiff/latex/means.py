"""Means in LaTeX: ``\\frac{1}{N}\\sum_{i=1}^{N} t_i`` and ``\\bar{x}``.

* ``\\frac{1}{N}\\sum_{i=1}^{N} t_i`` (one index, its upper bound the name in the
  fraction) is the mean of the terms: N is their number, not a scalar of its own.  It reads
  so only when N appears nowhere else in the formula (else N could mean something else
  there, and the formula is read as written: N a scalar); with no bound
  (``\\frac{1}{n}\\sum_i``) n is a scalar, and a note says how to make it the count.
* ``\\bar{x}`` is ``mean(x)``, the mean of the entries of x, when x (lowercase: a vector or
  a scalar) itself appears in the formula (``x``, or its entries ``x_i``) and ``x_bar`` is
  not declared; otherwise it is a name of its own, ``x_bar`` (``\\bar{X}`` of a matrix
  always: the mean of its rows, of its columns or of all its entries?).  Each reading
  gives a note.
"""

from __future__ import annotations

import dataclasses

from ..syntax import Binary, Call, IndexSum, Name, Node, Number, Slice, rebuild, walk


def mean_of_sum(product: Binary) -> IndexSum | None:
    """``(1/N) * \\sum_{i=1}^{N} t_i`` as the sum marked a mean (or None)."""
    left, right = product.left, product.right
    if not (isinstance(right, IndexSum) and right.upper is not None and right.domain is None
            and right.mean is None):
        return None
    if not (isinstance(left, Binary) and left.op == "/" and isinstance(left.left, Number)
            and left.left.value == 1 and isinstance(left.right, Name)
            and left.right.name == right.upper):
        return None
    return dataclasses.replace(right, mean=left, span=product.span)


def finish_means(tree: Node, products: dict[int, Node], declared: set[str],
                 notes: list[str]) -> Node:
    """The means read where they are unambiguous (see the module's docstring)."""
    names = {n.name for n in walk(tree) if isinstance(n, Name)}
    reverted: dict[int, Node] = {}
    for n in walk(tree):
        if isinstance(n, IndexSum) and n.mean is not None and id(n) in products and (
                n.upper in names or n.upper in declared):
            reverted[id(n)] = products[id(n)]
    if reverted:
        tree = rebuild(tree, lambda n: reverted.get(id(n)))
    for n in walk(tree):
        if isinstance(n, Binary) and n.op == "*" and isinstance(n.right, IndexSum) \
                and n.right.upper is None and n.right.domain is None \
                and isinstance(n.left, Binary) and n.left.op == "/" \
                and isinstance(n.left.right, Name) and isinstance(n.left.left, Number) \
                and n.left.left.value == 1:
            d = n.left.right.name
            notes.append(f"read 1/{d} before a sum with no upper bound as a scalar {d}; for "
                         f"the mean of the terms write \\sum_{{i=1}}^{{{d}}}")
    entries = {n.base for n in walk(tree) if isinstance(n, Slice) and n.kind == "entry"
               and len(n.indices) == 1 and n.expr is None}
    names = {n.name for n in walk(tree) if isinstance(n, Name)}

    def bar(node: Node) -> Node | None:
        if not (isinstance(node, Name) and node.name.endswith("_bar")):
            return None
        base = node.name[:-len("_bar")]
        if node.name in declared or not base[:1].islower() \
                or not (base in names or base in entries):  # \bar{X}: a name, X_bar
            return None
        note = f"read \\bar{{{base}}} as mean({base}), the mean of the entries of {base}"
        if note not in notes:
            notes.append(note)
        return Call("mean", (Name(base, node.span),), node.span, node.span)

    return rebuild(tree, bar)
