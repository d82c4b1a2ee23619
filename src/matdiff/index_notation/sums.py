"""Sums of vectorized values in matrix form.

:class:`SumReducer` turns the value of a summand for every index (a :class:`Val`) into the
sum over the indices: ``sum(...)`` in general, or the matrix form one would write by hand
for the common patterns (a sum of squares is a squared Frobenius norm, ``sum_i x_i y_i``
is ``x'*y``, ``sum_{i,j} x_i M_{ij} y_j`` is ``x'*M*y``, ...).  The vectorizer
(:mod:`.vectorize`) builds on it.
"""

from __future__ import annotations

import dataclasses
from typing import NoReturn

from ..syntax import IndexSum, Node, Unary
from .values import T, Unsupported, Val, fro2, make_binary, make_call, make_number, ones_at


class SumReducer:
    """The reduction of summands to matrix form (and the alignment of indexed scalars)."""

    def fail(self, why: str, node: Node) -> NoReturn:
        raise Unsupported(why, node)

    def lift(self, v: Val, target: tuple[str, ...], src: Node) -> Node:
        """A scalar per index (or a plain value) as a value over ``target`` indices."""
        if v.axes == target or not v.axes:
            return v.node
        if len(target) == 2:
            if v.axes == target[::-1]:
                return T(v.node)
            if v.axes == (target[0],):
                return make_binary("*", v.node, T(ones_at(src)), src)
            if v.axes == (target[1],):
                return make_binary("*", ones_at(src), T(v.node), src)
        self.fail("indices that do not line up", src)

    def reduce(self, v: Val, info: IndexSum, src: Node, outermost: bool) -> Val:
        """The sum of ``v`` over the sum's indices: a value of the indices it leaves free
        (within an enclosing sum), or an ordinary expression."""
        bound = info.indices
        if info.domain is not None:
            return Val(self.reduce_masked(v, info, src, outermost))
        if info.mean is not None:  # (1/N)*sum_{i=1}^{N}: the mean, or 1/N times the sum
            out = self.reduce(v, dataclasses.replace(info, mean=None), src, outermost)
            mean = self.mean(v, info, src) if not out.axes else None
            if mean is not None:
                return Val(mean)
            return Val(make_binary("*", info.mean, out.node, src), out.axes, out.elem)
        if v.elem == "outer":
            if set(v.axes) != set(bound):
                self.fail("a partial sum of outer products", src)
            return Val(make_binary("*", v.tag[1], v.tag[2], src))
        missing = [ix for ix in bound if ix not in v.axes]
        if missing:
            self.fail(f"the summand does not depend on {missing[0]} (a sum of a constant "
                      "needs the number of terms)", src)
        free = tuple(ix for ix in v.axes if ix not in bound)
        if free:
            if outermost:
                self.fail("an index that no sum binds", src)
            if v.elem != "scalar" or len(v.axes) != 2:
                self.fail("a partial sum of this kind", src)
            c = v.axes[1]
            node = (make_binary("*", v.node, ones_at(src), src) if c in bound
                    else make_binary("*", T(v.node), ones_at(src), src))
            return Val(node, free, "scalar")
        return Val(self.full(v, src))

    def mean(self, v: Val, info: IndexSum, src: Node) -> Node | None:
        """The mean of the terms of a sum over one index (1/N*sum_{i=1}^{N}): of a scalar
        per index, mean(v); of a column (a row) per index, the mean of the columns (rows);
        over (i, j), the mean over i of the sums over j: mean(sum(M, 2))."""
        if len(info.indices) == 2 and set(v.axes) == set(info.indices) and v.elem == "scalar":
            # the first index runs down the rows of v (its sums over j a column) or across
            sums = make_call("sum", (v.node, make_number(2 if v.axes == info.indices else 1,
                                                         src)), src)
            return make_call("mean", (sums,), src)
        if len(info.indices) == 1 and len(v.axes) == 1:
            if v.elem == "scalar":
                return make_call("mean", (v.node,), src)
            if v.elem in ("col", "row"):
                dim = make_number(2 if v.elem == "col" else 1, src)
                return make_call("mean", (v.node, dim), src)
        return None

    def full(self, v: Val, src: Node) -> Node:
        """The sum of ``v`` over all of its indices, in the nicest matrix form."""
        if v.elem == "col":
            return make_binary("*", v.node, ones_at(src), src)
        if v.elem == "row":
            return make_binary("*", T(ones_at(src)), v.node, src)
        tag = v.tag or ()
        kind = tag[0] if tag else None
        if kind == "sqnorm":
            return fro2(tag[1], src)
        if kind == "pow2":
            base: Val = tag[1]
            if len(base.axes) == 1:
                norm = make_call("norm", (base.node,), src)
                return make_binary("^", norm, make_number(2, src), src)
            return fro2(base.node, src)
        if kind == "hprod" and len(v.axes) == 1:
            a, b = tag[1], tag[2]
            if a.axes == b.axes == v.axes and a.elem == b.elem == "scalar":
                return make_binary("*", T(a.node), b.node, src)
        if kind == "hprod" and len(v.axes) == 2:
            bilinear = self.bilinear(v, src)
            if bilinear is not None:
                return bilinear
        if kind == "scaled":
            s, inner, left = tag[1], tag[2], tag[3]
            if inner.axes == v.axes:
                rest = self.full(inner, src)
                return make_binary("*", s, rest, src) if left else make_binary("*", rest, s, src)
        if kind == "div":
            inner, d = tag[1], tag[2]
            if inner.axes == v.axes:
                return make_binary("/", self.full(inner, src), d, src)
        if kind == "neg":
            inner = tag[1]
            if inner.axes == v.axes:
                return Unary("-", self.full(inner, src), src.span)
        # (a sum of a sum is not split: sum(x) + sum(y) would lose that x and y run over
        # the same index)
        return make_call("sum", (v.node,), src)

    def bilinear(self, v: Val, src: Node) -> Node | None:
        """``sum_{i,j} x_i M_{ij} y_j`` as ``x'*M*y`` (one matrix, at most one vector per
        index, no other factor)."""
        factors: list[Val] = []

        def flatten(w: Val) -> None:
            if w.tag and w.tag[0] == "hprod":
                flatten(w.tag[1])
                flatten(w.tag[2])
            else:
                factors.append(w)

        flatten(v)
        matrices = [f for f in factors if len(f.axes) == 2]
        if len(matrices) != 1 or any(f.elem != "scalar" for f in factors):
            return None
        m = matrices[0]
        r, c = m.axes
        left = [f for f in factors if f.axes == (r,)]
        right = [f for f in factors if f.axes == (c,)]
        if len(left) > 1 or len(right) > 1 or len(left) + len(right) + 1 != len(factors) \
                or not (left or right):
            return None
        out: Node = m.node
        if left:
            out = make_binary("*", T(left[0].node), out, src)
        else:
            out = make_binary("*", T(ones_at(src)), out, src)
        return make_binary("*", out, right[0].node if right else ones_at(src), src)

    def reduce_masked(self, v: Val, info: IndexSum, src: Node, outermost: bool) -> Node:
        if not outermost:
            self.fail("a sum over the entries of a mask inside another sum", src)
        i, j = info.indices
        mask = info.domain
        assert mask is not None
        if v.elem != "scalar":
            self.fail("a sum over the entries of a mask of a vector or matrix per entry", src)
        if not set(v.axes) <= {i, j} or not v.axes:
            self.fail("a summand that does not depend on the entry (i, j)", src)
        tag = v.tag or ()
        if tag and tag[0] == "pow2":
            base: Val = tag[1]
            if base.elem == "scalar" and base.axes and set(base.axes) <= {i, j}:
                e = self.lift(base, (i, j), src)
                return fro2(make_binary(".*", mask, e, src), src)
        e = self.lift(v, (i, j), src)
        return make_call("sum", (make_binary(".*", mask, e, src),), src)
