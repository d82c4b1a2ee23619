"""Generated code: a function computing a value and its derivatives, as a Python module.

>>> from matdiff.codegen import generate
>>> print(generate("1/N * norm(X*W - Y, 'fro')^2", "W"))     # doctest: +SKIP

``generate(expr, wrt, backend="numpy", hessian=False, **declarations)`` returns
the module's source: imports, ``f(<variables>)`` returning
``(value, gradient...)`` (or ``(value, gradients..., hessians...)``), shape
checks with clear messages and ``check()`` comparing the derivatives with
finite differences.  ``compile(...)`` executes it and returns the callable.

Backends (``BACKENDS``): ``numpy``, ``jax``, ``torch``, ``dask``; each is
imported only when asked for, and importing :mod:`matdiff` imports none.
The efficiency decisions (shared subexpressions, chain order by flop count,
broadcasts for diag, solves for inv, einsum for kron) are the same for every backend.

Layout.  Lowering, IR -> low-level nodes (:mod:`.lir`): :mod:`.plan` dispatches on
the IR node, with :mod:`.arith` (elementwise folding), :mod:`.products` (chains,
ordered by :mod:`.chain`), :mod:`.reductions` (trace, diag, sum of products),
:mod:`.structured` (Kronecker terms, :mod:`.tensor`) and :mod:`.spectral` (matrix
functions, eigendecompositions and SVDs, one per matrix).  Printing: :mod:`.printer`
(one emitter per low-level op), :mod:`.schedule` (order, temporaries),
:mod:`.tensor_print` (einsum terms) and :mod:`.module` (the module around the
function); the spelling of each operation is the backend's (:mod:`.backend_base`,
``*_backend.py``), of an elementwise function its operation record's
(:mod:`matdiff.ops`).
"""

from __future__ import annotations

import builtins
import importlib
import itertools
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..errors import UnsupportedError
from ..ir import Expr, dims_of, shape_text
from .backend_base import Backend
from .lir import Node
from .pytext import is_min, min_operands, py_name
from .spec import Output, Spec, VarInfo

if TYPE_CHECKING:
    from ..pipeline import Result
    from ..typecheck import Program

BACKENDS = {
    "numpy": "numpy_backend",
    "jax": "jax_backend",
    "torch": "torch_backend",
    "dask": "dask_backend",
}

__all__ = ["BACKENDS", "Compiled", "Generated", "backend", "compile", "generate"]

_counter = itertools.count()


def backend(name: str) -> type[Backend]:
    """The backend class for a name (its module is imported now)."""
    if name not in BACKENDS:
        raise UnsupportedError(f"unknown backend {name!r}; choose one of "
                               f"{', '.join(BACKENDS)}")
    mod = importlib.import_module(f".{BACKENDS[name]}", __name__)
    cls: type[Backend] = mod.BACKEND
    return cls


class Generated:
    """The generated source and what it was made from."""

    def __init__(self, source: str, spec: Spec, backend: str):
        self.source, self.spec, self.backend = source, spec, backend

    def __str__(self) -> str:
        return self.source


def _declarations(decls: dict[str, str] | tuple) -> tuple:
    if isinstance(decls, tuple):
        return decls
    from ..pipeline import declarations_from

    return declarations_from(**decls)


def build(expr: str, wrt: str | Sequence[str], backend_name: str = "numpy",
          hessian: bool = False, declarations: dict[str, str] | tuple = (),
          program: Program | None = None,
          results: Sequence[Result] | None = None) -> Generated:
    """Derive and generate; ``results`` may pass derivatives already computed (the CLI)."""
    from .. import pipeline
    from .module import render

    be = backend(backend_name)()
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    if program is None:
        program = pipeline.compile_program(expr, _declarations(declarations),
                                      require_scalar=hessian)
    grads, hesss = _derivatives(program, names, hessian, results or ())
    # a derivative with no matrix form (kind "map": dF = dexpm(X, dX)) is a function of the
    # direction of its own, not an output of f
    mgrads = [g for g in grads if g.kind != "map"]
    mhesss = [h for h in hesss if h.kind != "map"]
    roots = [program.expr] + [g.expr for g in mgrads] + [h.expr for h in mhesss]
    lowered: dict[int, Node] = {}  # every IR node lowered, by id
    nodes = _lower(roots, expr, lowered)
    variables, dimset = _variables(program)
    outputs = _outputs(program, nodes, variables, mgrads, mhesss)
    spec = Spec(expr, dict(program.types), variables, outputs, _domain(program), names, hessian,
                _extra_dims(roots, dimset))
    _map_functions(spec, grads, expr)
    spec.names = _answer_names(mgrads + mhesss, lowered)
    if hessian:
        _hessian_maps(spec, hesss, expr)
    return Generated(render(be, spec), spec, backend_name)


def _answer_names(results: Sequence[Result], lowered: dict[int, Node]) -> dict[int, str]:
    """The names the printed answers give their parts (``h1`` for an activation), by the id
    of the low-level node computing each, for the generated code to use."""
    out: dict[int, str] = {}
    for r in results:
        shown = r.shown
        for node, (name, _) in zip(shown.nodes, shown.texts):
            got = lowered.get(id(node))
            if got is not None:
                out.setdefault(got.id, name)
    return out


def _derivatives(program: Program, names: list[str], hessian: bool,
                 results: Sequence[Result]) -> tuple[list[Result], list[Result]]:
    """The gradient (and Hessian) wrt each name: from ``results`` when there, else derived."""
    from .. import pipeline

    def given(name: str, hess: bool) -> Result | None:
        # per variable: the first derivative, then the Hessian (kind "hessian" or "map")
        mine = [r for r in results if r.wrt == name]
        if hess:
            return next((r for r in mine[1:] if r.kind in ("hessian", "map")), None)
        return mine[0] if mine and mine[0].kind != "hessian" else None

    grads, hesss = [], []
    for n in names:
        g = given(n, False) or pipeline.derive(program, n)
        grads.append(g)
        if hessian:
            hesss.append(given(n, True) or pipeline.derive_hessian(program, n, g))
    return grads, hesss


def _lower(roots: list[Expr], expr: str, lowered: dict[int, Node] | None = None
           ) -> dict[int, Node]:
    """The low-level node of each root, lowered into one DAG (``lowered`` receives the node
    of every IR node lowered on the way, by id)."""
    from .plan import Lowering

    low = Lowering(roots)
    nodes = {}
    # lower the derivatives first: the value then reuses their products (x'*(A*x))
    for r in roots[1:] + roots[:1]:
        try:
            nodes[id(r)] = low.lower(r)
        except NotImplementedError as e:
            raise UnsupportedError(str(e)).with_text(expr) from e
    if lowered is not None:
        lowered.update(low.memo)
    return nodes


def _dim_names(d: object) -> list[str]:
    if isinstance(d, str) and is_min(d):  # min(m,n): bound from m and n in the function
        return [n for p in min_operands(d) for n in _dim_names(p)]
    return [p for p in str(d).split("*") if not p.isdigit()]


def _variables(program: Program) -> tuple[list[VarInfo], set[str]]:
    """The function's parameters in declaration order, and the dimensions their shapes name
    (a 1 x 1 variable named like one of them is that size, as a scalar)."""
    variables = []
    dimset: set[str] = set()
    for name in sorted(program.syms, key=lambda n: program.order.get(n, 0)):
        s = program.syms[name]
        variables.append(VarInfo(name, py_name(name), s.shape, s.kind))
        for d in s.shape:
            dimset.update(_dim_names(d))
    for v in variables:
        if v.shape == (1, 1) and v.name in dimset:
            v.dim_scalar = True
    return variables, dimset


def _outputs(program: Program, nodes: dict[int, Node], variables: list[VarInfo],
             grads: list[Result], hesss: list[Result]) -> list[Output]:
    outputs = [Output("value", nodes[id(program.expr)], "value", None,
                      f"the function ({shape_text(program.expr.shape)})")]
    taken = {v.py for v in variables}

    def oname(base: str) -> str:
        while base in taken:
            base += "_"
        taken.add(base)
        return base

    for g in grads:
        prefix = {"gradient": "grad", "jacobian": "jac", "derivative": "deriv"}[g.kind]
        outputs.append(Output(oname(f"{prefix}_{py_name(g.wrt)}"), nodes[id(g.expr)], g.kind,
                              g.wrt, f"{g.kind} wrt {g.wrt} ({shape_text(g.expr.shape)})"))
    for h in hesss:
        of_vec = ", of vec(" + h.wrt + "))" if h.var.shape[1] != 1 else ")"
        outputs.append(Output(oname(f"hess_{py_name(h.wrt)}"), nodes[id(h.expr)], "hessian",
                              h.wrt, f"Hessian wrt {h.wrt} ({shape_text(h.expr.shape)}" + of_vec))
    return outputs


def _extra_dims(roots: list[Expr], dimset: set[str]) -> list[str]:
    """Dimensions no variable's shape gives (eye(k) with k only in a constant)."""
    extra: set[str] = set()
    for r in roots:
        for n in r.walk():
            for d in dims_of(n):
                extra.update(_dim_names(d))
    return sorted(extra - dimset)


def _map_functions(spec: Spec, grads: list[Result], expr: str) -> None:
    """A first derivative with no matrix form, as the linear map on a direction (a function
    of its own, ``jacobian_map_<name>``)."""
    for g in grads:
        if g.kind == "map":
            _map_alone(spec, g, "derivative", "jacobian", expr)


def _map_alone(spec: Spec, r: Result, what: str, prefix: str, expr: str) -> None:
    """A derivative that is a map alone (dF = dexpm(X, dX)): ``<prefix>_map_<name>``."""
    name = f"{prefix}_map_{py_name(r.wrt)}"
    spec.notes.append(f"The {what} wrt {r.wrt} has no matrix form in matdiff; {name} below "
                      f"applies it to a direction d{r.wrt}: {r.text_where}.")
    spec.map_outputs.append(Output(name, _lower_map(r.expr, expr), "map", r.wrt,
                                   f"the {what} wrt {r.wrt} applied to d{r.wrt}"))


def _lower_map(e: Expr, expr: str) -> Node:
    """A map's own DAG: its function shares nothing with f."""
    from .plan import Lowering

    try:
        return Lowering([e]).lower(e)
    except NotImplementedError as err:
        raise UnsupportedError(str(err)).with_text(expr) from err


def _hessian_maps(spec: Spec, hesss: list[Result], expr: str) -> None:
    """A Hessian of a matrix variable also as the cheaper map on a direction (a function of
    its own, ``hessian_map_<name>``); a Hessian with no matrix form as that map alone."""
    for h in hesss:
        if h.kind == "map":
            _map_alone(spec, h, "Hessian", "hessian", expr)
            continue
        if h.map is None:
            continue
        spec.notes.append(
            f"The Hessian wrt {h.wrt} is the {h.expr.shape[0]} x {h.expr.shape[1]} matrix of "
            f"vec({h.wrt}); applied to a direction d{h.wrt} it is the cheaper linear map "
            f"{h.map_text_where} (hessian_map_{py_name(h.wrt)} below).")
        mapnode = _lower_map(h.map, expr)  # its own function: nothing shared
        spec.map_outputs.append(Output(f"hessian_map_{py_name(h.wrt)}", mapnode, "map", h.wrt,
                                       f"the Hessian wrt {h.wrt} applied to d{h.wrt}"))


def _domain(program: Program) -> str:
    """Where random data makes the function finite: normal, positive, or spd."""
    import numpy as np

    from ..check import DOMAINS, _collect_syms, sample_dims, sample_values
    from ..evaluate import evaluate
    from ..workload import too_large

    syms = _collect_syms([program.expr])
    if too_large([program.expr], sample_dims([program.expr], np.random.default_rng(0))):
        return "normal"  # nothing is allocated at sizes such as matrix(8000, 8000)
    for domain in DOMAINS:
        rng = np.random.default_rng(0)
        try:
            dims = sample_dims([program.expr], rng)
            vals = sample_values(syms, dims, rng, domain)
            with np.errstate(all="ignore"):
                v = evaluate(program.expr, vals, dims)
            if np.all(np.isfinite(v)):
                return domain
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, KeyError):
            continue
    return "normal"


def generate(expr: str, wrt: str | Sequence[str], backend: str = "numpy", hessian: bool = False,
             **declarations: str) -> str:
    """The source of a self-contained module computing ``expr`` and its derivatives."""
    return build(expr, wrt, backend, hessian, declarations).source


def compile(expr: str, wrt: str | Sequence[str], backend: str = "numpy", hessian: bool = False,
            **declarations: str) -> Compiled:
    """A callable ``f(**variables) -> (value, gradient...)`` (``+ hessians`` with hessian=True).

    Vectors may be given as 1-D or n x 1 arrays (the gradient comes back in the same
    shape); scalars as numbers.  ``f.source`` is the generated module, ``f.check()``
    compares with finite differences, ``f.module`` is the module itself.
    """
    gen = build(expr, wrt, backend, hessian, declarations)
    return load(gen)


class Compiled(Protocol):
    """A compiled module's function: ``f(**variables) -> (value, gradient...)``."""

    source: str  # the generated module
    module: types.ModuleType
    spec: Spec

    def __call__(self, **values: Any) -> Any: ...

    def check(self, seed: int = 0, tol: float = 1e-6, **sizes: int) -> float: ...


def load(gen: Generated) -> Compiled:
    """Execute a generated module; its function, taking the variables by their matdiff names."""
    name = f"matdiff_generated_{gen.backend}_{next(_counter)}"
    mod = types.ModuleType(name)
    mod.__file__ = f"<{name}>"
    code = builtins.compile(gen.source, mod.__file__, "exec")
    exec(code, mod.__dict__)
    fn = mod.f
    pynames = {v.name: v.py for v in gen.spec.variables}

    def call(**values: Any) -> Any:
        kw = {pynames.get(k, k): v for k, v in values.items()}
        return fn(**kw)

    call.__doc__ = mod.f.__doc__
    attributes = {"source": gen.source, "module": mod, "check": mod.check, "spec": gen.spec}
    attributes.update((out.name, getattr(mod, out.name)) for out in gen.spec.map_outputs)
    for attr, value in attributes.items():
        setattr(call, attr, value)
    return cast(Compiled, call)
