"""What evaluating expressions costs, counted from their shapes before anything is allocated,
and the bound the numeric check keeps to: declared sizes such as ``matrix(8000, 8000)`` or a
kron of large matrices are not evaluated (the check says why) instead of filling memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from . import ir
from .evaluate import resolve_shape

# One evaluation of the function and the result at the sizes drawn may make at most
# MAX_ENTRIES array entries (every node's value is kept during an evaluation: 8 MB) and do
# at most MAX_FLOPS multiply-adds (products; n**3 per inverse, determinant or power); beyond
# either (a declared matrix(8000, 8000), a kron of large matrices) nothing is evaluated, and
# the check is "unchecked" with the message of :func:`too_large`.  A check evaluates ~100
# times: these keep it within about a second and well under a hundred MB.
MAX_ENTRIES = 1_000_000
MAX_FLOPS = 10_000_000



class Work(NamedTuple):
    """What one evaluation costs: array entries made, and multiply-adds."""

    entries: int
    flops: int


def evaluation_work(exprs: Iterable[ir.Expr], dims: Mapping[str, int]) -> Work:
    """What one evaluation of ``exprs`` at the sizes ``dims`` costs, counted from the shapes
    alone (nothing is allocated): the entries of every distinct node, and the multiply-adds
    of every product plus n**3 for every inverse, determinant and matrix power."""
    entries = flops = 0
    seen: set[int] = set()
    for expr in exprs:
        for node in expr.walk():
            if id(node) in seen:
                continue
            seen.add(id(node))
            rows, cols = resolve_shape(node.shape, dims)
            entries += rows * cols
            if isinstance(node, ir.Mul):
                shapes = [resolve_shape(f.shape, dims) for f in node.args[0] if not f.is_scalar]
                for (_, inner), (_, right) in itertools.pairwise(shapes):
                    flops += shapes[0][0] * inner * right
            elif isinstance(node, ir.Inv | ir.Det | ir.LogDet | ir.MatPow):
                n = resolve_shape(node.args[0].shape, dims)[0]
                steps = max(abs(node.args[1]), 1).bit_length() if isinstance(node, ir.MatPow) else 1
                flops += n ** 3 * steps
    return Work(entries, flops)


def too_large(exprs: Iterable[ir.Expr], dims: Mapping[str, int]) -> str | None:
    """Why ``exprs`` are too large to evaluate at the sizes ``dims`` (more than MAX_ENTRIES
    entries or MAX_FLOPS multiply-adds in one evaluation), or None when they are not."""
    exprs = list(exprs)
    work = evaluation_work(exprs, dims)
    if work.entries <= MAX_ENTRIES and work.flops <= MAX_FLOPS:
        return None
    largest = max((resolve_shape(n.shape, dims) for e in exprs for n in e.walk()),
                  key=lambda s: s[0] * s[1])
    if work.entries > MAX_ENTRIES:
        cost = f"{work.entries:.1e} array entries, the check makes at most {MAX_ENTRIES:.0e}"
    else:
        cost = f"{work.flops:.1e} multiply-adds, the check does at most {MAX_FLOPS:.0e}"
    return (f"not checked numerically: the sizes are too large (arrays of up to {largest[0]} x "
            f"{largest[1]}; one evaluation would take {cost}); declare smaller or symbolic "
            "sizes, such as matrix(m, n), to have it checked")
