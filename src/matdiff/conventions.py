"""Layouts and conventions: which of the quantities textbooks call "the derivative" a result
is, said on the result, and the other one on request.

**Layout (Jacobians).** matdiff's Jacobian of ``f`` (m entries) by ``x`` (n entries) is in
the *numerator layout*: m x n, entry (i, j) is d f_i / d x_j (for matrices, of the
column-major ``vec``\\ s). The *denominator layout* (n x m, entry (i, j) is d f_j / d x_i,
SymPy's and part of the machine-learning literature's) is its transpose. A gradient (of a
scalar) has the variable's shape in both, and a Hessian is symmetric: the layout is a
Jacobian's only.

**Convention (gradients by a symmetric matrix).** With ``G`` the gradient as if the entries
of ``X`` were independent, matdiff gives ``(G + G')/2``: the symmetric matrix ``S`` with
``df = sum(S.*dX)`` for every symmetric ``dX``. The Matrix Cookbook (section 2.8) gives
``G + G' - G.*eye(n)``, the derivative by each independent entry ``X_ij`` (i <= j) once:
``df = sum over i <= j of C_ij*dX_ij``. From ``S``: ``C = 2*S - S.*eye(n)``, and back,
``S = (C + C.*eye(n))/2``.

The numeric check checks the labelled quantity: a result in the denominator layout is
checked as the transpose of a Jacobian, a Cookbook gradient through ``(C + C.*eye(n))/2``
(which is what the Cookbook's ``C`` means), so a mislabelled answer fails.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Protocol

from . import algebra as A
from . import functions as F
from .errors import UnsupportedError
from .factor import factor
from .ir import Expr, Num, Sym


class Result(Protocol):
    """What is read and set of a :class:`matdiff.pipeline.Result` here."""

    wrt: str
    kind: str
    expr: Expr
    var: Sym
    layout: str | None
    convention: str | None

    def forget_printing(self) -> None: ...


LAYOUTS = ("numerator", "denominator")
CONVENTIONS = ("matdiff", "cookbook")

LAYOUT_LABELS = {
    "numerator": "numerator layout",
    "denominator": "denominator layout, the transpose",
}
CONVENTION_LABELS = {
    "matdiff": "symmetric {name}: (G + G')/2",
    "cookbook": "symmetric {name}, Matrix Cookbook convention: G + G' - G.*eye({n})",
}


def check_choice(layout: str, convention: str) -> None:
    """A clear error for a layout or convention matdiff does not know."""
    if layout not in LAYOUTS:
        raise UnsupportedError(f"unknown layout {layout!r}; choose one of " + ", ".join(LAYOUTS))
    if convention not in CONVENTIONS:
        raise UnsupportedError(f"unknown convention {convention!r}; choose one of "
                               + ", ".join(CONVENTIONS))


def has_layout(r: Result) -> bool:
    return r.kind == "jacobian"


def has_convention(r: Result) -> bool:
    return r.kind == "gradient" and r.var.kind == "symmetric"


def cookbook(s: Expr) -> Expr:
    """The Matrix Cookbook's gradient ``2*S - S.*eye(n)`` (``S.*eye(n)`` is
    ``diag(diag(S))``) from matdiff's symmetric ``S``."""
    return factor(A.sub(A.mul(Num(2), s), F.diag(F.diag_part(s))))


def from_cookbook(c: Expr) -> Expr:
    """matdiff's symmetric gradient ``(C + C.*eye(n))/2`` from the Cookbook's ``C``."""
    return A.mul(Num(Fraction(1, 2)), A.add(c, F.diag(F.diag_part(c))))


def relabel(r: Result, layout: str = "numerator", convention: str = "matdiff") -> None:
    """Label a result of matdiff's (its own layout and convention) with its layout or
    convention, turned into the asked-for one."""
    if r.layout not in (None, "numerator") or r.convention not in (None, "matdiff"):
        raise ValueError("relabel takes a result in matdiff's own layout and convention")
    if has_layout(r):
        r.layout = layout
        if layout == "denominator":
            r.expr = A.transpose(r.expr)
    if has_convention(r):
        r.convention = convention
        if convention == "cookbook":
            r.expr = cookbook(r.expr)
    r.forget_printing()  # printed anew from the relabelled expression (names included)


def as_matdiff(r: Result) -> Expr:
    """The result's expression in matdiff's own layout and convention (what the check
    compares with finite differences)."""
    e = r.expr
    if r.layout == "denominator":
        e = A.transpose(e)
    if r.convention == "cookbook":
        e = from_cookbook(e)
    return e


def label(r: Result) -> str | None:
    """How the result reads: ``numerator layout``, ``symmetric X: (G + G')/2``, ..."""
    if r.layout is not None:
        return LAYOUT_LABELS[r.layout]
    if r.convention is not None:
        return CONVENTION_LABELS[r.convention].format(name=r.wrt, n=r.var.shape[0])
    return None
