"""The pipeline a user's text flows through, as a Python API.

    parse -> typecheck (types, shapes, IR) -> differentiate -> factor -> print / check

>>> r = gradient("1/N * norm(X*W - Y, 'fro')^2", "W")
>>> r.text
"2/N * X'*(X*W - Y)"
>>> gradient("x'*A*x", "x", A="symmetric matrix").text
'2*A*x'
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from . import differentiate as D
from .errors import MatdiffError, MatdiffTypeError, UnsupportedError
from .factor import factor
from .ir import Expr, Sym, shape_text
from .parse import parse as parse_text, parse_declarations
from .printing import to_latex, to_text
from .syntax import Declaration, Parsed
from .typecheck import Program, typecheck


@dataclass(frozen=True)
class CheckResult:
    max_rel_error: float
    passed: bool

    def to_json(self) -> dict:
        return {"max_rel_error": self.max_rel_error, "passed": self.passed}


@dataclass
class Result:
    """One derivative: its text, LaTeX, shape and kind, and a numeric check on demand."""

    wrt: str
    kind: str  # gradient | jacobian | derivative | hessian
    expr: Expr
    program: Program
    var: Sym
    map: Expr | None = None  # the linear map on the differential (dF = A*dX*B)
    of: Expr | None = None  # what was differentiated, when not the program's function
    verdict: Any = None  # a verify.Verdict on the user's own answer, when asked for
    steps: list | None = None  # explain.Step list, when a derivation was asked for
    _check: CheckResult | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return to_text(self.expr, self.program.order, self.program.declared_dims)

    @property
    def latex(self) -> str:
        return to_latex(self.expr, self.program.order)

    @property
    def map_text(self) -> str | None:
        if self.map is None:
            return None
        return to_text(self.map, self.program.order, self.program.declared_dims)

    @property
    def map_latex(self) -> str | None:
        return None if self.map is None else to_latex(self.map, self.program.order)

    @property
    def shape(self) -> str:
        return shape_text(self.expr.shape)

    @property
    def types(self) -> dict[str, str]:
        return self.program.types

    @property
    def function(self) -> str:
        return to_text(self.program.expr, self.program.order, self.program.declared_dims)

    def check(self, seed: int = 0) -> CheckResult:
        """Compare with central finite differences on random data of the declared kinds."""
        if self._check is None:
            from .check import check

            f = self.program.expr if self.of is None else self.of
            rep = check(f, self.var, self.expr, self.kind, rng_seed=seed)
            error, passed = float(rep.max_rel_error), bool(rep.passed)
            if self.map is not None:
                m = check(f, self.var, self.map, "map", rng_seed=seed)
                error, passed = max(error, float(m.max_rel_error)), passed and bool(m.passed)
            self._check = CheckResult(error, passed)
        return self._check

    def _repr_latex_(self) -> str:
        return f"$${self.latex}$$"

    def __str__(self) -> str:
        return self.text

    def to_json(self, with_check: bool = False) -> dict:
        out: dict[str, Any] = {"wrt": self.wrt, "kind": self.kind, "shape": self.shape,
                               "text": self.text, "latex": self.latex}
        if self.map is not None:
            out["map"] = self.map_text
            out["map_latex"] = self.map_latex
        if with_check:
            out["check"] = self.check().to_json()
        if self.steps is not None:
            out["steps"] = [s.to_json() for s in self.steps]
        if self.verdict is not None:
            out["verify"] = self.verdict.to_json()
        return out


def declarations_from(**kinds: str) -> tuple[Declaration, ...]:
    """API keywords (``A="symmetric matrix"``) to declarations."""
    out: list[Declaration] = []
    for name, kind in kinds.items():
        out.extend(parse_declarations(f"{name}: {kind}"))
    return out and tuple(out) or ()


def parse(expr: str) -> Parsed:
    """Parse an expression (with its optional ``where`` clause)."""
    return parse_text(expr)


# The parser bounds a tree's depth (parse.MAX_TREE_DEPTH); the recursive passes over it
# need a few frames a level.
_RECURSION_LIMIT = 20000


def _deep_enough() -> None:
    if sys.getrecursionlimit() < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)


# --- LaTeX and index-notation input (issue 7) ---------------------------------------------


def parse_latex(text: str, declarations: tuple[Declaration, ...] = ()) -> Parsed:
    """Parse a LaTeX formula (with an optional plain ``where`` clause); the result also
    carries ``.plain`` (the formula in the plain language) and ``.notes`` (how it was read)."""
    from .latex.reader import parse_latex as _parse_latex

    return _parse_latex(text, tuple(declarations))


def reading(program: Program) -> tuple[str | None, tuple[str, ...]]:
    """How a LaTeX or index-notation input was read: (plain text or None, notes)."""
    return getattr(program, "read_as", None), getattr(program, "notes", ())


def compile_program(expr: str, declarations: tuple[Declaration, ...] = (), *,
                    require_scalar: bool = False, latex: bool = False) -> Program:
    """Parse and type an expression: the typed program every derivative starts from.

    ``latex=True``: the expression is LaTeX (:func:`parse_latex`).  Plain text may use
    index sums (``sum(j, norm(W[:, j])^2)``), rewritten by :mod:`matdiff.index_notation`.
    """
    _deep_enough()
    from .index_notation.resolve import parse_plain

    if latex:
        parsed = parse_latex(expr, declarations)
    else:
        parsed = parse_plain(expr, tuple(declarations))
    program = typecheck(parsed, declarations, require_scalar=require_scalar)
    program.read_as = getattr(parsed, "plain", None) if latex else None  # type: ignore[attr-defined]
    program.notes = getattr(parsed, "notes", ())  # type: ignore[attr-defined]
    return program


# --- end of LaTeX and index-notation input ------------------------------------------------


def differentiable(program: Program) -> list[str]:
    """Variables one can differentiate by (masks are data)."""
    return [n for n, s in program.syms.items() if s.kind != "mask"]


def derive(program: Program, wrt: str) -> Result:
    """The derivative of the program's function with respect to one variable."""
    var = program.syms.get(wrt)
    text = program.text
    if var is None:
        raise MatdiffTypeError(f"'{wrt}' does not appear in the expression").with_text(text)
    if var.kind == "mask":
        raise MatdiffTypeError(f"'{wrt}' is declared a mask, which is constant data; it cannot be "
                               "differentiated by").with_text(text)
    f = program.expr
    dmap = None
    try:
        if f.is_scalar:
            kind, g = "gradient", D.gradient(f, var)
        elif var.is_scalar:
            kind, g = "derivative", D.derivative(f, var)
        else:
            kind, g = "jacobian", D.jacobian(f, var)
            if not (f.shape[1] == 1 and var.shape[1] == 1):
                dmap = factor(D.differential(f, var))
    except MatdiffError as e:
        raise e.with_text(text)
    return Result(wrt, kind, factor(g), program, var, map=dmap)


def derive_hessian(program: Program, wrt: str, gradient: Result | None = None) -> Result:
    """The Hessian: the derivative of the gradient, through the same engine."""
    g = gradient or derive(program, wrt)
    if g.kind != "gradient":
        raise UnsupportedError(f"a Hessian needs a scalar function; this one is "
                               f"{shape_text(program.expr.shape)}").with_text(program.text)
    try:
        h, dg = D.hessian(program.expr, g.var, grad=g.expr)
    except MatdiffError as e:
        raise e.with_text(program.text)
    dmap = factor(dg) if g.var.shape[1] != 1 else None
    return Result(wrt, "hessian", factor(h), program, g.var, map=dmap, of=g.expr)


def _run(expr: str, wrt: str | list[str], kinds: dict[str, str], require_scalar: bool,
         expected: str | None) -> Result | list[Result]:
    program = compile_program(expr, declarations_from(**kinds), require_scalar=require_scalar)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    results = [derive(program, n) for n in names]
    if expected:
        for r in results:
            if r.kind != expected:
                raise UnsupportedError(f"asked for a {expected} but the result wrt {r.wrt} is a "
                                       f"{r.kind}").with_text(expr)
    return results[0] if isinstance(wrt, str) else results


def gradient(expr: str, wrt: str | list[str], **declarations: str) -> Any:
    """The gradient of a scalar expression: ``gradient("x'*A*x", "x", A="symmetric matrix")``."""
    return _run(expr, wrt, declarations, True, "gradient")


def hessian(expr: str, wrt: str | list[str], **declarations: str) -> Any:
    """The Hessian of a scalar expression; for a matrix variable the mn x mn matrix of
    vec(X) (``.text``) and the linear map on the differential (``.map_text``)."""
    program = compile_program(expr, declarations_from(**declarations), require_scalar=True)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    results = [derive_hessian(program, n) for n in names]
    return results[0] if isinstance(wrt, str) else results


def jacobian(expr: str, wrt: str | list[str], **declarations: str) -> Any:
    """The Jacobian of a vector expression with respect to a vector."""
    return _run(expr, wrt, declarations, False, "jacobian")


def derivative(expr: str, wrt: str | list[str], **declarations: str) -> Any:
    """The derivative of any expression: gradient, Jacobian or entrywise, by the shapes."""
    return _run(expr, wrt, declarations, False, None)
