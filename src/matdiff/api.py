"""matdiff's one service, :func:`answer`: a :class:`Request` in (the expression, the
variables, the declarations, what to add), a structured :class:`Answer` out. The command
line, the web page and the Python helpers below are translators to it; the steps it chains
are in :mod:`matdiff.pipeline`.

>>> r = gradient("1/N * norm(X*W - Y, 'fro')^2", "W")
>>> r.text
"2/N * X'*(X*W - Y)"
>>> gradient("x'*A*x", "x", A="symmetric matrix").text
'2*A*x'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .conventions import CONVENTIONS, LAYOUTS, check_choice, relabel
from .errors import InternalError, MatdiffError, UnsupportedError
from .ir import shape_text
from .naming import name_subexpressions, reserved, show
from .parse import parse_declarations
from .pipeline import (
    CheckResult,
    Result,
    compile_program,
    declarations_from,
    declared_unused,
    derive,
    derive_hessian,
    differentiable,
    parse,
    parse_latex,
    reading,
    user_definitions,
)
from .printing import to_text
from .syntax import Declaration
from .typecheck import Program, TypingWarning
from .version import __version__

if TYPE_CHECKING:
    from .codegen import Generated

__all__ = [  # the pipeline's functions are part of the API too
    "Answer", "CheckResult", "Request", "Result", "Skipped", "answer", "answered",
    "compile_program", "declarations_from", "derivative", "derive", "derive_hessian",
    "gradient", "hessian", "jacobian", "parse", "parse_latex",
]


# --- the service: one request in, one answer out (the CLI, the web page and the helpers) ---

#: The derivations ``steps`` may ask for, and the backends ``code`` may name (the layouts and
#: conventions are :mod:`matdiff.conventions`' LAYOUTS and CONVENTIONS).
STEPS = ("matrix", "index")
BACKENDS = ("numpy", "jax", "torch", "dask")
__all__ += ["CONVENTIONS", "LAYOUTS"]


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
    that fails the check is an :class:`InternalError`, never an answer; ``layout`` a
    Jacobian's, ``"numerator"`` (matdiff's, m x n for f (m) by x (n)) or ``"denominator"``
    (its transpose); ``convention`` for a gradient by a symmetric matrix, ``"matdiff"``
    (``(G + G')/2``) or ``"cookbook"`` (the Matrix Cookbook's ``G + G' - G.*eye(n)``); see
    :mod:`matdiff.conventions`.
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
    layout: str = "numerator"
    convention: str = "matdiff"

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
        """The function as read; with the user's definitions, written with their names (the
        text with its where clause parses back)."""
        p = self.typed
        if not p.definitions:
            return to_text(p.expr, p.order, p.declared_dims)
        named = name_subexpressions(p.expr, reserved(p), user_definitions(p), own=False)
        return show(named, p.order, p.declared_dims).text_where

    @property
    def types(self) -> dict[str, str]:
        return self.typed.types

    @property
    def warnings(self) -> tuple[TypingWarning, ...]:
        """What inference assumed against the naming conventions (none for an error)."""
        return () if self.program is None else self.program.warnings

    @property
    def read_as(self) -> str | None:
        return reading(self.typed)[0]

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(reading(self.typed)[1])

    @property
    def code(self) -> str | None:
        return None if self.generated is None else self.generated.source

    def to_json(self) -> dict:
        """The JSON object (``{"error": {...}}`` for an error); a number JSON cannot hold (a
        check's NaN or infinite error) is null."""
        if self.error is not None:
            return {"error": self.error.to_json()}
        out: dict[str, Any] = {
            "version": __version__,
            "expression": self.request.expression,
            "function": {"text": self.function, "shape": shape_text(self.typed.expr.shape)},
            "types": self.types,
            "results": [r.to_json(with_check=self.request.check) for r in self.results],
        }
        if self.warnings:  # only then: answers without one stay as they were
            out["warnings"] = [w.to_json() for w in self.warnings]
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
    (a :class:`MatdiffError` with its message, position and kind), never an exception. A
    failure of matdiff itself is an :class:`InternalError` asking for a report, not a
    traceback."""
    try:
        return _answer(request)
    except MatdiffError as e:
        return Answer(request, error=e)
    except Exception as e:  # a bug: say so plainly, with the input to report
        message = f"{type(e).__name__}: {e}".splitlines()[0][:200]
        return Answer(request, error=InternalError(
            f"matdiff failed on this input ({message}). This is a bug in matdiff; please "
            f"report it with the expression: {request.expression}", None, request.expression))


def _answer(req: Request) -> Answer:
    _check_options(req)
    decls = _parsed_declarations(req.declarations)
    program = compile_program(req.expression, decls, latex=req.latex_input,
                              require_scalar=req.hessian or req.expect == "gradient")
    results, skipped = _derive_all(program, req)
    _expect_kind(req, results)
    _add_steps(program, req, results)
    for r in results:
        if r.kind != "hessian":
            relabel(r, req.layout, req.convention)
            _convention_step(r)
    _labels_for_code(req, results)
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
        if req.self_check:
            _parses_back(req, r)


def _parses_back(req: Request, r: Result) -> None:
    """A result with definitions must parse back, with them, to the same values."""
    from .roundtrip import round_trip_error

    problem = round_trip_error(r)
    if problem is not None:
        raise InternalError(
            f"matdiff could not verify its own {r.kind} with respect to {r.wrt}: {problem}. "
            "This is a bug in matdiff; please report it with the expression: "
            f"{req.expression}", None, req.expression)


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


def _convention_step(r: Result) -> None:
    """A derivation that ends in matdiff's symmetric gradient S gets one more step to the
    Cookbook's, when that was asked for."""
    if not r.steps or r.convention != "cookbook":
        return
    from .explain import Step
    from .printing import latex_name

    r.steps.append(Step("the Matrix Cookbook's convention, G + G' - G.*eye(n): twice "
                        "the entries off the diagonal", f"grad_{r.wrt} f", r.expr,
                        text=f"grad_{r.wrt} f = {r.text}",
                        latex=f"\\nabla_{{{latex_name(r.wrt)}}} f = {r.latex}"))


def _labels_for_code(req: Request, results: list[Result]) -> None:
    """Generated code computes matdiff's own layout and convention: asked for together with
    another one that applies, that is an error rather than a module that computes something
    else than the answer says."""
    if req.code is not None and any(r.layout == "denominator" or r.convention == "cookbook"
                                    for r in results):
        raise UnsupportedError(
            "--code generates matdiff's own layout and convention (Jacobians in the numerator "
            "layout, (G + G')/2 for a symmetric matrix); leave out --layout/--convention with "
            "--code").with_text(req.expression)


def _check_options(req: Request) -> None:
    check_choice(req.layout, req.convention)
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


#: Without named variables, matdiff differentiates by every one, each checked numerically:
#: beyond this many it asks which (an expression may have any number of names).
MAX_DEFAULT_VARIABLES = 24


def _derive_all(program: Program, req: Request) -> tuple[list[Result], list[Skipped]]:
    """Every asked-for derivative (with its Hessian); a variable not asked for by name whose
    derivative matdiff cannot give is skipped, saying why."""
    results: list[Result] = []
    skipped: list[Skipped] = []
    names = req.wrt or differentiable(program) + declared_unused(program)
    if not req.wrt and len(names) > MAX_DEFAULT_VARIABLES:
        raise UnsupportedError(
            f"the expression has {len(names)} variables; say which to differentiate by "
            f"(--wrt NAME): without it matdiff differentiates by at most "
            f"{MAX_DEFAULT_VARIABLES}, each checked numerically").with_text(req.expression)
    for name in names:
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

    names = list(dict.fromkeys(r.wrt for r in results))  # a Hessian map: its wrt once
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
             expect: str | None = None, check: bool = True, layout: str = "numerator",
             convention: str = "matdiff") -> Any:
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    decls = declarations_from(**kinds)
    if not names:  # nothing to derive; the expression is still read and typed
        compile_program(expr, decls, require_scalar=hessian or expect == "gradient")
        return []
    out = answered(Request(expr, names, decls, hessian=hessian, expect=expect,
                           self_check=check, layout=layout, convention=convention))
    results = [r for r in out.results  # a Hessian may be a map alone (dexpm(X, dX)')
               if (r.kind == "hessian" or r.kind == "map" and r.of is not None) == hessian]
    return results[0] if isinstance(wrt, str) else results


def gradient(expr: str, wrt: str | list[str], *, check: bool = True, convention: str = "matdiff",
             **declarations: str) -> Any:
    """The gradient of a scalar expression: ``gradient("x'*A*x", "x", A="symmetric matrix")``.

    Every helper checks its answer numerically first (``check=False`` skips that). By a
    symmetric matrix, ``convention="cookbook"`` gives the Matrix Cookbook's
    ``G + G' - G.*eye(n)`` instead of matdiff's ``(G + G')/2``."""
    return _results(expr, wrt, declarations, expect="gradient", check=check,
                    convention=convention)


def hessian(expr: str, wrt: str | list[str], *, check: bool = True, **declarations: str) -> Any:
    """The Hessian of a scalar expression; for a matrix variable the mn x mn matrix of
    vec(X) (``.text``) and the linear map on the differential (``.map_text``)."""
    return _results(expr, wrt, declarations, hessian=True, check=check)


def jacobian(expr: str, wrt: str | list[str], *, check: bool = True, layout: str = "numerator",
             **declarations: str) -> Any:
    """The Jacobian of a vector expression with respect to a vector: m x n for f (m) by x
    (n), the numerator layout; ``layout="denominator"`` gives its transpose."""
    return _results(expr, wrt, declarations, expect="jacobian", check=check, layout=layout)


def derivative(expr: str, wrt: str | list[str], *, check: bool = True, layout: str = "numerator",
               convention: str = "matdiff", **declarations: str) -> Any:
    """The derivative of any expression: gradient, Jacobian or entrywise, by the shapes
    (``layout`` and ``convention`` as for :func:`jacobian` and :func:`gradient`)."""
    return _results(expr, wrt, declarations, check=check, layout=layout,
                    convention=convention)
