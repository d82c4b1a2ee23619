"""The pipeline a user's text flows through, as a Python API.

    parse -> typecheck (types, shapes, IR) -> differentiate -> factor -> print / check

>>> r = gradient("1/N * norm(X*W - Y, 'fro')^2", "W")
>>> r.text
"2/N * X'*(X*W - Y)"
>>> gradient("x'*A*x", "x", A="symmetric matrix").text
'2*A*x'
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import differentiate as D
from .errors import InternalError, MatdiffError, MatdiffTypeError, UnsupportedError
from .factor import factor
from .ir import Dim, Expr, Sym, shape_text
from .parse import parse as parse_text
from .parse import parse_declarations
from .printing import to_latex, to_text
from .syntax import Declaration, Parsed
from .typecheck import Program, convention, typecheck

if TYPE_CHECKING:
    from .codegen import Generated


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
            self._check = self.check_at(seed)
        return self._check

    def check_at(self, seed: int, scale: float = 1.0) -> CheckResult:
        """The check at the random point of ``seed``, every variable's draw times ``scale``."""
        from .check import check, combine_reports

        f = self.program.expr if self.of is None else self.of
        rep = check(f, self.var, self.expr, self.kind, rng_seed=seed, scale=scale)
        if self.map is not None:
            rep = combine_reports(rep, check(f, self.var, self.map, "map", rng_seed=seed,
                                             scale=scale))
        error = None if rep.max_rel_error is None else float(rep.max_rel_error)
        return CheckResult(error, bool(rep.passed), rep.outcome, rep.message)

    def _repr_latex_(self) -> str:
        return f"$${self.latex}$$"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter: LaTeX, text and an HTML table with the numeric check (and steps)."""
        from .notebook import result_bundle

        return result_bundle(self)

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
    return program


# --- end of LaTeX and index-notation input ------------------------------------------------


def differentiable(program: Program) -> list[str]:
    """Variables one can differentiate by (masks are data)."""
    return [n for n, s in program.syms.items() if s.kind != "mask"]


def derive(program: Program, wrt: str) -> Result:
    """The derivative of the program's function with respect to one variable (zero, of the
    right shape, for a variable the function does not use)."""
    var = program.syms.get(wrt) or _add_absent(program, absent_variable(program, wrt))
    text = program.text
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
        e.with_text(text)
        raise
    return Result(wrt, kind, factor(g), program, var, map=dmap)


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
        h, dg = D.hessian(program.expr, g.var, grad=g.expr)
    except MatdiffError as e:
        e.with_text(program.text)
        raise
    dmap = factor(dg) if g.var.shape[1] != 1 else None
    return Result(wrt, "hessian", factor(h), program, g.var, map=dmap, of=g.expr)


# --- the service: one request in, one answer out (the CLI, the web page and the helpers) ---

#: The derivations ``steps`` may ask for, and the backends ``code`` may name.
STEPS = ("matrix", "index")
BACKENDS = ("numpy", "jax", "torch", "dask")


@dataclass(frozen=True)
class Request:
    """One question: an expression, the variables to differentiate by (none: every one) and
    the declarations (texts such as ``"A: symmetric matrix"``), with what to add:

    ``latex_input`` the expression is LaTeX; ``hessian`` Hessians too; ``latex`` LaTeX in the
    text rendering (the JSON always has it); ``steps`` a derivation, ``"matrix"`` or
    ``"index"``; ``verify`` the user's own answer, to judge; ``code`` a backend to generate a
    module for; ``check`` finite differences, shown; ``expect`` (the Python helpers) the kind
    every result must have, ``"gradient"`` also requiring a scalar function; ``self_check``
    (on unless turned off) every result is checked numerically before it is answered, and one
    that fails the check is an :class:`InternalError`, never an answer.
    """

    expression: str
    wrt: tuple[str, ...] = ()
    declarations: tuple[str | Declaration, ...] = ()
    latex_input: bool = False
    hessian: bool = False
    latex: bool = False
    steps: str | None = None
    verify: str | None = None
    code: str | None = None
    check: bool = False
    expect: str | None = None
    self_check: bool = True

    def __post_init__(self) -> None:  # one name or a list is taken as a tuple
        for name in ("wrt", "declarations"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, (value,) if isinstance(value, str) else
                                   tuple(value))


@dataclass(frozen=True)
class Skipped:
    """A variable not differentiated by (it was not asked for by name): why."""

    wrt: str
    reason: str

    def to_json(self) -> dict:
        return {"wrt": self.wrt, "reason": self.reason}


@dataclass
class Answer:
    """What matdiff answers to a :class:`Request`: the typed function and its results (with
    their checks, steps and verdicts), the variables skipped, the generated code; or the
    error. :meth:`to_json` is the object ``matdiff ... --json`` prints."""

    request: Request
    program: Program | None = None
    results: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    generated: Generated | None = None  # when code was asked for
    error: MatdiffError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def typed(self) -> Program:
        if self.program is None:
            raise ValueError("this answer is an error: it has no program") from self.error
        return self.program

    @property
    def function(self) -> str:
        p = self.typed
        return to_text(p.expr, p.order, p.declared_dims)

    @property
    def types(self) -> dict[str, str]:
        return self.typed.types

    @property
    def read_as(self) -> str | None:
        return reading(self.typed)[0]

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(reading(self.typed)[1])

    @property
    def code(self) -> str | None:
        return None if self.generated is None else self.generated.source

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter: every result's LaTeX, the command line's text, and an HTML table with the
        types, the numeric checks and the steps (or the error with its caret)."""
        from .notebook import answer_bundle

        return answer_bundle(self)

    def to_json(self) -> dict:
        """The JSON object (``{"error": {...}}`` for an error); a number JSON cannot hold (a
        check's NaN or infinite error) is null."""
        if self.error is not None:
            return {"error": self.error.to_json()}
        out: dict[str, Any] = {
            "expression": self.request.expression,
            "function": {"text": self.function, "shape": shape_text(self.typed.expr.shape)},
            "types": self.types,
            "results": [r.to_json(with_check=self.request.check) for r in self.results],
        }
        if self.skipped:
            out["skipped"] = [s.to_json() for s in self.skipped]
        if self.code is not None:
            out["code"] = self.code
        if self.read_as is not None:
            out["read_as"] = self.read_as
        if self.notes:
            out["notes"] = list(self.notes)
        return finite(out)


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (anywhere in lists and dicts) as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def answer(request: Request) -> Answer:
    """Answer one request; a bad expression, declaration or option is the answer's ``error``
    (a :class:`MatdiffError` with its message, position and kind), never an exception."""
    try:
        return _answer(request)
    except MatdiffError as e:
        return Answer(request, error=e)


def _answer(req: Request) -> Answer:
    _check_options(req)
    decls = _parsed_declarations(req.declarations)
    program = compile_program(req.expression, decls, latex=req.latex_input,
                              require_scalar=req.hessian or req.expect == "gradient")
    results, skipped = _derive_all(program, req)
    _expect_kind(req, results)
    _add_steps(program, req, results)
    _add_verdict(req, results)
    if req.check or req.self_check:
        _checked(req, results)
    return Answer(req, program, results, skipped, _generate(req, decls, program, results))


def _checked(req: Request, results: list[Result]) -> None:
    """Check every result numerically (the check is kept on the result for display); with
    ``self_check``, a result that fails is an internal error, not an answer."""
    for r in results:
        c = r.check()
        if req.self_check and c.outcome == "failed":
            c = _recheck(r, c)
        if req.self_check and c.outcome == "failed":
            error = "" if c.max_rel_error is None else f" (relative error {c.max_rel_error:.1e})"
            raise InternalError(
                f"matdiff could not verify its own {r.kind} with respect to {r.wrt}: it fails the "
                f"numeric check{error}. This is a bug in matdiff; please report it with the "
                f"expression: {req.expression}", None, req.expression)


# Where a result that failed its check is checked again before it is called wrong: other
# random points, and points nearer 0, where functions such as sin(tr(exp(A))) do not
# oscillate faster than finite differences can follow. A wrong derivative fails at all.
RECHECKS = ((1, 1.0), (0, 0.1), (2, 0.1))


def _recheck(r: Result, failed: CheckResult) -> CheckResult:
    """The first of the RECHECKS that does not fail (it becomes the result's shown check),
    else the first failure."""
    for seed, scale in RECHECKS:
        again = r.check_at(seed, scale)
        if again.outcome != "failed":
            r._check = again
            return again
    return failed


def _check_options(req: Request) -> None:
    if req.steps is not None and req.steps not in STEPS:
        raise UnsupportedError(f"unknown derivation {req.steps!r}; choose one of "
                               + ", ".join(STEPS))
    if req.code is not None and req.code not in BACKENDS:
        from .codegen import backend

        backend(req.code)  # raises: unknown backend


def _parsed_declarations(items: tuple[str | Declaration, ...]) -> tuple[Declaration, ...]:
    out: list[Declaration] = []
    for item in items:
        if not isinstance(item, str):
            out.append(item)
            continue
        try:
            out.extend(parse_declarations(item))
        except MatdiffError as e:
            raise MatdiffError(f"in --declare {item!r}: {e.message}", None) from None
    return tuple(out)


def _derive_all(program: Program, req: Request) -> tuple[list[Result], list[Skipped]]:
    """Every asked-for derivative (with its Hessian); a variable not asked for by name whose
    derivative matdiff cannot give is skipped, saying why."""
    results: list[Result] = []
    skipped: list[Skipped] = []
    for name in req.wrt or differentiable(program) + declared_unused(program):
        try:
            results.append(derive(program, name))
            if req.hessian:
                results.append(derive_hessian(program, name, results[-1]))
        except UnsupportedError as e:
            if req.wrt:
                raise
            skipped.append(Skipped(name, e.message))
    if not results:
        reason = skipped[0].reason if skipped else \
            "the expression has no variable to differentiate by"
        raise UnsupportedError(reason).with_text(req.expression)
    return results, skipped


def _expect_kind(req: Request, results: list[Result]) -> None:
    for r in results:
        if req.expect and r.kind != req.expect:
            raise UnsupportedError(f"asked for a {req.expect} but the result wrt {r.wrt} is a "
                                   f"{r.kind}").with_text(req.expression)


def _add_steps(program: Program, req: Request, results: list[Result]) -> None:
    if not req.steps:
        return
    from .explain import index_steps, steps

    make = index_steps if req.steps == "index" else steps
    for r in results:
        if r.kind == "gradient":
            r.steps = make(program, r)


def _add_verdict(req: Request, results: list[Result]) -> None:
    if req.verify is None:
        return
    if len(req.wrt) != 1:
        raise UnsupportedError("--verify needs exactly one --wrt: the variable your answer "
                               "is the derivative by").with_text(req.expression)
    from .verdict import verify_result

    results[0].verdict = verify_result(results[0], req.verify)


def _generate(req: Request, decls: tuple[Declaration, ...], program: Program,
              results: list[Result]) -> Generated | None:
    if req.code is None:
        return None
    from .codegen import build

    names = [r.wrt for r in results if r.kind != "hessian"]
    return build(req.expression, names, req.code, req.hessian, decls, program=program,
                 results=results)


# --- the Python helpers: translators to a Request --------------------------------------------


def answered(request: Request) -> Answer:
    """:func:`answer`, raising the answer's error."""
    out = answer(request)
    if out.error is not None:
        raise out.error
    return out


def _results(expr: str, wrt: str | list[str], kinds: dict[str, str], *, hessian: bool = False,
             expect: str | None = None, check: bool = True) -> Any:
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    decls = declarations_from(**kinds)
    if not names:  # nothing to derive; the expression is still read and typed
        compile_program(expr, decls, require_scalar=hessian or expect == "gradient")
        return []
    out = answered(Request(expr, names, decls, hessian=hessian, expect=expect,
                           self_check=check))
    results = [r for r in out.results if (r.kind == "hessian") == hessian]
    return results[0] if isinstance(wrt, str) else results


def gradient(expr: str, wrt: str | list[str], *, check: bool = True, **declarations: str) -> Any:
    """The gradient of a scalar expression: ``gradient("x'*A*x", "x", A="symmetric matrix")``.

    Every helper checks its answer numerically first (``check=False`` skips that)."""
    return _results(expr, wrt, declarations, expect="gradient", check=check)


def hessian(expr: str, wrt: str | list[str], *, check: bool = True, **declarations: str) -> Any:
    """The Hessian of a scalar expression; for a matrix variable the mn x mn matrix of
    vec(X) (``.text``) and the linear map on the differential (``.map_text``)."""
    return _results(expr, wrt, declarations, hessian=True, check=check)


def jacobian(expr: str, wrt: str | list[str], *, check: bool = True, **declarations: str) -> Any:
    """The Jacobian of a vector expression with respect to a vector."""
    return _results(expr, wrt, declarations, expect="jacobian", check=check)


def derivative(expr: str, wrt: str | list[str], *, check: bool = True,
               **declarations: str) -> Any:
    """The derivative of any expression: gradient, Jacobian or entrywise, by the shapes."""
    return _results(expr, wrt, declarations, check=check)
