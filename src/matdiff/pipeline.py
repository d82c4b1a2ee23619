"""The pipeline a user's text flows through, as functions: text -> typed program ->
derivative results, each with its numeric check on demand.

    parse -> typecheck (types, shapes, IR) -> differentiate -> factor -> print / check

The passes that build on derivatives (steps, verdicts, generated code) use these; the
service that answers a request (:mod:`matdiff.api`) chains them.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from . import differentiate as D
from . import naming
from .conventions import relabel
from .errors import MatdiffError, MatdiffTypeError, UnsupportedError
from .factor import factor
from .ir import Dim, Expr, Sym, shape_text, size
from .naming import Named, Shown, name_subexpressions, present, reserved, show
from .parse import parse as parse_text
from .parse import parse_declarations
from .printing import to_latex, to_text
from .syntax import Declaration, Parsed, has_index_nodes
from .typecheck import Program, TypingWarning, convention, typecheck


@dataclass(frozen=True)
class CheckResult:
    """The numeric check of a derivative. ``outcome`` is passed, failed, or unchecked (no
    point was found where the function is finite); when no error could be measured,
    ``max_rel_error`` is None and ``message`` says why."""

    max_rel_error: float | None
    passed: bool
    outcome: str = "passed"
    message: str | None = None

    def to_json(self) -> dict:
        """JSON holds no NaN or infinity: an error that is not finite is null with a message."""
        out: dict[str, Any] = {"max_rel_error": self.max_rel_error, "passed": self.passed}
        if self.max_rel_error is not None and math.isinf(self.max_rel_error):
            out.update(max_rel_error=None, message="the largest relative error is infinite")
        elif self.max_rel_error is None or math.isnan(self.max_rel_error):
            out.update(max_rel_error=None, outcome=self.outcome, message=self.message or (
                "no error could be measured: at no random point were the function and the "
                "derivative both finite"))
        return out


@dataclass
class Result:
    """One derivative: its text, LaTeX, shape and kind, and a numeric check on demand."""

    wrt: str
    kind: str  # gradient | jacobian | derivative | hessian | map (dF alone, no kron form)
    expr: Expr
    program: Program
    var: Sym
    map: Expr | None = None  # the linear map on the differential (dF = A*dX*B)
    of: Expr | None = None  # what was differentiated, when not the program's function
    verdict: Any = None  # a verify.Verdict on the user's own answer, when asked for
    steps: list | None = None  # explain.Step list, when a derivation was asked for
    layout: str | None = None  # a Jacobian's: "numerator" (matdiff's) or "denominator"
    convention: str | None = None  # a gradient by a symmetric matrix's: "matdiff", "cookbook"
    _check: CheckResult | None = field(default=None, repr=False)
    _shown: Shown | None = field(default=None, repr=False)
    _map_shown: Shown | None = field(default=None, repr=False)

    @property
    def shown(self) -> Shown:
        """The result as printed: subexpressions written many times are named once
        (:mod:`matdiff.naming`); small results have no definitions."""
        if self._shown is None:
            p = self.program
            # small: written out, nothing to name (decided by the structural size, linear,
            # not by printing: a deep result written out is what naming avoids printing)
            if not p.definitions and size(self.expr) <= naming.FLAT_UP_TO:
                self._shown = show(Named(self.expr), p.order, p.declared_dims)
            else:
                self._shown = present(self.expr, p.order, p.declared_dims, reserved(p),
                                      user_definitions(p))
        return self._shown

    def forget_printing(self) -> None:
        """Print anew (after ``expr`` or ``map`` changed: a relabelled result)."""
        self._shown = self._map_shown = None

    @property
    def text(self) -> str:
        """The result's text; it may use the names of :attr:`definitions`."""
        return self.shown.text

    @property
    def latex(self) -> str:
        return self.shown.latex

    @property
    def definitions(self) -> tuple[tuple[str, str, str], ...]:
        """The names the text uses, each as (name, text, LaTeX), in dependency order."""
        return self.shown.definitions

    @property
    def text_where(self) -> str:
        """The text with its definitions (``... where h1 = ..., r = ...``): it parses back
        on its own, with the variables' declarations, to the same values."""
        return self.shown.text_where

    @property
    def latex_where(self) -> str:
        return self.shown.latex_where

    @property
    def flat_text(self) -> str:
        """The text with no definitions (every subexpression written out)."""
        return to_text(self.expr, self.program.order, self.program.declared_dims)

    @property
    def flat_latex(self) -> str:
        """The LaTeX with no definitions."""
        return to_latex(self.expr, self.program.order)

    @property
    def map_shown(self) -> Shown | None:
        """The linear map as printed: with the names of the result's definitions (defined
        there), and no others."""
        if self.map is None:
            return None
        if self._map_shown is None:
            p, shown = self.program, self.shown
            names = {n: name for n, (name, _) in zip(shown.nodes, shown.texts)}
            named = name_subexpressions(self.map, reserved(p), names, own=False)
            self._map_shown = show(named, p.order, p.declared_dims)
        return self._map_shown

    @property
    def map_text(self) -> str | None:
        """The map's text; it may use the names of :attr:`definitions`."""
        return None if self.map_shown is None else self.map_shown.text

    @property
    def map_text_where(self) -> str | None:
        """The map's text with the result's definitions, when it uses them (parses back)."""
        if self.map_shown is None:
            return None
        if not self.map_shown.texts:
            return self.map_shown.text
        return self.map_shown.text + " where " + ", ".join(
            f"{n} = {t}" for n, t in self.shown.texts)

    @property
    def map_latex(self) -> str | None:
        return None if self.map_shown is None else self.map_shown.latex

    @property
    def shape(self) -> str:
        return shape_text(self.expr.shape)

    @property
    def types(self) -> dict[str, str]:
        return self.program.types

    @property
    def warnings(self) -> tuple[TypingWarning, ...]:
        """The readings of undeclared names the text does not say (``c`` read as a scalar
        against its convention, ``mu`` subtracted from every entry of ``x``)."""
        return self.program.warnings

    @property
    def function(self) -> str:
        return to_text(self.program.expr, self.program.order, self.program.declared_dims)

    def check(self, seed: int = 0) -> CheckResult:
        """Compare with central finite differences on random data of the declared kinds."""
        if self._check is None:
            self._check = self.check_at(seed)
        return self._check

    def check_at(self, seed: int, scale: float = 1.0) -> CheckResult:
        """The check at the random point of ``seed``, every variable's draw times ``scale``."""
        from .check import check, combine_reports
        from .conventions import as_matdiff

        f = self.program.expr if self.of is None else self.of
        rep = check(f, self.var, as_matdiff(self), self.kind, rng_seed=seed, scale=scale)
        if self.map is not None:
            rep = combine_reports(rep, check(f, self.var, self.map, "map", rng_seed=seed,
                                             scale=scale))
        error = None if rep.max_rel_error is None else float(rep.max_rel_error)
        return CheckResult(error, bool(rep.passed), rep.outcome, rep.message)

    def _repr_latex_(self) -> str:
        return f"$${self.latex_where}$$"

    def __str__(self) -> str:
        return self.text_where

    def __repr__(self) -> str:  # short: the dataclass's own repr dumps the whole program
        from .conventions import label

        how = label(self)
        return f"<{self.kind} wrt {self.wrt} ({self.shape}{', ' + how if how else ''}): " \
               f"{self.text_where}>"

    def to_json(self, with_check: bool = False) -> dict:
        out: dict[str, Any] = {"wrt": self.wrt, "kind": self.kind, "shape": self.shape,
                               "text": self.text, "latex": self.latex}
        if self.kind == "map":  # the derivative as a map alone: of f (jacobian) or its gradient
            out["map_of"] = "hessian" if self.of is not None else "jacobian"
        if self.layout is not None:
            out["layout"] = self.layout
        if self.convention is not None:
            out["convention"] = self.convention
        if self.definitions:  # only then: answers without one stay as they were
            out["definitions"] = self.shown.definitions_json()
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


def user_definitions(program: Program) -> dict[Expr, str]:
    """The IR of each of the user's definitions (typed as in the program), by which a
    result names them; a definition that does not type on its own is left out."""
    if not program.definitions:
        return {}
    from .definitions import expand

    declared: list[Declaration] = []
    for name, kind in program.types.items():
        declared.extend(parse_declarations(f"{name}: {kind}"))
    out: dict[Expr, str] = {}
    for d in program.definitions:
        if has_index_nodes(d.expr):  # index notation is resolved with the whole function
            continue
        try:
            body = expand(d.expr, program.definitions, (), program.text)
            typed = typecheck(Parsed(body, (), program.text), tuple(declared))
        except MatdiffError:
            continue
        out.setdefault(typed.expr, d.name)
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
    return program.read_as, program.notes


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
    program.read_as = getattr(parsed, "plain", None) if latex else None
    program.notes = tuple(getattr(parsed, "notes", ()))
    program.declarations = parsed.declarations + tuple(declarations)
    program.definitions = parsed.definitions
    check_definitions(program, tuple(declarations))
    return program


def check_definitions(program: Program, extra: tuple[Declaration, ...]) -> None:
    """A name the where clause defines may not be declared beside it (``--declare``)."""
    defined = {d.name: d for d in program.definitions}
    for decl in extra:
        for name, _ in decl.names:
            if name in defined:
                raise MatdiffTypeError(
                    f"{name!r} is declared a variable and defined in the where clause; a name "
                    "is either a variable or stands for an expression",
                    defined[name].name_span.start).with_text(program.text)


# --- end of LaTeX and index-notation input ------------------------------------------------


def differentiable(program: Program) -> list[str]:
    """Variables one can differentiate by (masks are data)."""
    return [n for n, s in program.syms.items() if s.kind != "mask"]


def derive(program: Program, wrt: str) -> Result:
    """The derivative of the program's function with respect to one variable (zero, of the
    right shape, for a variable the function does not use)."""
    text = program.text
    defined = next((d for d in program.definitions if d.name == wrt), None)
    if defined is not None:
        body = " ".join(text[defined.expr.span.start:defined.expr.span.end].split())
        body = body if len(body) <= 40 else body[:37] + "..."
        raise MatdiffTypeError(
            f"'{wrt}' is defined ({wrt} = {body}), not a variable: differentiate with "
            "respect to the variables it is made of", defined.name_span.start).with_text(text)
    var = program.syms.get(wrt) or _add_absent(program, absent_variable(program, wrt))
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
        elif f.shape[1] == 1 and var.shape[1] == 1:
            kind, g = "jacobian", D.jacobian(f, var)
        else:
            dmap = factor(D.differential(f, var))
            try:
                kind, g = "jacobian", D.jacobian(f, var)
            except UnsupportedError:  # dF = dexpm(X, dX) has no kron form: the map alone
                return Result(wrt, "map", dmap, program, var)
    except MatdiffError as e:
        e.with_text(text)
        raise
    result = Result(wrt, kind, factor(g), program, var, map=dmap)
    relabel(result)  # a Jacobian's layout, a symmetric variable's convention: matdiff's
    return result


def absent_variable(program: Program, name: str) -> Sym:
    """A variable the function does not use, typed by its declaration or, undeclared, by the
    naming convention; its sizes are the declared ones or new dimension names."""
    if not name.isidentifier():
        raise MatdiffTypeError(f"'{name}' is not a variable name").with_text(program.text)
    decl = next((d for d in program.declarations if name in (n for n, _ in d.names)), None)
    kind = convention(name) if decl is None else "symmetric" if decl.symmetric else decl.kind
    taken = {str(d) for s in program.syms.values() for d in s.shape} | set(program.syms)
    fresh = (d for d in ("n", "m", "p", "q", "k", "r", "s", "t") + tuple(
        f"n{i}" for i in range(1, 99)) if d not in taken)
    given = iter([d for d, _ in decl.dims] if decl is not None else [])
    rows: Dim = next(given, None) or next(fresh)
    if kind == "scalar":
        shape: tuple[Dim, Dim] = (1, 1)
    elif kind == "vector":
        shape = (rows, 1)
    else:  # a symmetric matrix is square; a matrix or a mask has two sizes
        shape = (rows, rows if kind == "symmetric" else next(given, None) or next(fresh))
    return Sym(name, shape, kind)


def _add_absent(program: Program, var: Sym) -> Sym:
    """Make an unused variable one of the program's (its type is shown, code takes it), with
    a note saying why its derivative is zero."""
    if var.kind != "mask":
        program.syms[var.name] = var
        program.order[var.name] = len(program.order)
        program.types[var.name] = shape_text(var.shape, var.kind)
        program.notes += (f"the function does not depend on {var.name}: its derivative is "
                          "zero",)
    return var


def declared_unused(program: Program) -> list[str]:
    """Declared variables the function does not use (masks are data)."""
    names = dict.fromkeys(n for d in program.declarations if d.kind != "mask"
                          for n, _ in d.names)
    return [n for n in names if n not in program.syms]


def derive_hessian(program: Program, wrt: str, gradient: Result | None = None) -> Result:
    """The Hessian: the derivative of the gradient, through the same engine."""
    g = gradient or derive(program, wrt)
    if g.kind != "gradient":
        raise UnsupportedError(f"a Hessian needs a scalar function; this one is "
                               f"{shape_text(program.expr.shape)}").with_text(program.text)
    try:
        try:
            h, dg = D.hessian(program.expr, g.var, grad=g.expr)
        except UnsupportedError:
            if g.var.shape[1] == 1:
                raise
            # a map such as dG = dexpm(X', dX') has no kron form: the map alone
            return Result(wrt, "map", factor(D.differential(g.expr, g.var)), program, g.var,
                          of=g.expr)
    except MatdiffError as e:
        e.with_text(program.text)
        raise
    dmap = factor(dg) if g.var.shape[1] != 1 else None
    return Result(wrt, "hessian", factor(h), program, g.var, map=dmap, of=g.expr)
