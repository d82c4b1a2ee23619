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
broadcasts for diag, solves for inv, einsum for kron) are in :mod:`.plan`
and :mod:`.chain`, the same for every backend.
"""

from __future__ import annotations

import builtins
import importlib
import itertools
import types
from typing import Any

from ..errors import UnsupportedError
from ..ir import shape_text
from .pytext import py_name
from .spec import Output, Spec, VarInfo

BACKENDS = {
    "numpy": "numpy_backend",
    "jax": "jax_backend",
    "torch": "torch_backend",
    "dask": "dask_backend",
}

__all__ = ["generate", "compile", "BACKENDS", "backend", "Generated"]

_counter = itertools.count()


def backend(name: str):
    """The backend class for a name (its module is imported now)."""
    if name not in BACKENDS:
        raise UnsupportedError(f"unknown backend {name!r}; choose one of "
                               f"{', '.join(BACKENDS)}")
    mod = importlib.import_module(f".{BACKENDS[name]}", __name__)
    return mod.BACKEND


class Generated:
    """The generated source and what it was made from."""

    def __init__(self, source: str, spec: Spec, backend: str):
        self.source, self.spec, self.backend = source, spec, backend

    def __str__(self) -> str:
        return self.source


def _declarations(decls: dict[str, str] | tuple):
    if isinstance(decls, tuple):
        return decls
    from ..api import declarations_from

    return declarations_from(**decls)


def build(expr: str, wrt, backend_name: str = "numpy", hessian: bool = False,
          declarations=(), program=None, results=None) -> Generated:
    """Derive and generate; ``results`` may pass derivatives already computed (the CLI)."""
    from .. import api
    from .plan import Lowering

    be = backend(backend_name)()
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    if program is None:
        program = api.compile_program(expr, _declarations(declarations),
                                      require_scalar=hessian)
    grads, hesss = [], []
    for n in names:
        g = None
        if results:
            g = next((r for r in results if r.wrt == n and r.kind != "hessian"), None)
        g = g or api.derive(program, n)
        grads.append(g)
        if hessian:
            h = None
            if results:
                h = next((r for r in results if r.wrt == n and r.kind == "hessian"), None)
            hesss.append(h or api.derive_hessian(program, n, g))
    roots = [program.expr] + [g.expr for g in grads] + [h.expr for h in hesss]
    low = Lowering(roots)
    # lower the derivatives first: the value then reuses their products (x'*(A*x))
    nodes = {}
    for r in roots[1:] + roots[:1]:
        try:
            nodes[id(r)] = low.lower(r)
        except NotImplementedError as e:
            raise UnsupportedError(str(e)).with_text(expr)
    variables = []
    dimset = set()
    for name in sorted(program.syms, key=lambda n: program.order.get(n, 0)):
        s = program.syms[name]
        variables.append(VarInfo(name, py_name(name), s.shape, s.kind))
        for d in s.shape:
            dimset.update(p for p in str(d).split("*") if not p.isdigit())
    for v in variables:
        if v.shape == (1, 1) and v.name in dimset:
            v.dim_scalar = True
    outputs = [Output("value", nodes[id(program.expr)], "value", None,
                      f"the function ({shape_text(program.expr.shape)})")]
    taken = {v.py for v in variables}

    def oname(base: str) -> str:
        while base in taken:
            base += "_"
        taken.add(base)
        return base

    for g in grads:
        kind = g.kind
        prefix = {"gradient": "grad", "jacobian": "jac", "derivative": "deriv"}[kind]
        outputs.append(Output(oname(f"{prefix}_{py_name(g.wrt)}"), nodes[id(g.expr)], kind, g.wrt,
                              f"{kind} wrt {g.wrt} ({shape_text(g.expr.shape)})"))
    for h in hesss:
        outputs.append(Output(oname(f"hess_{py_name(h.wrt)}"), nodes[id(h.expr)], "hessian", h.wrt,
                              f"Hessian wrt {h.wrt} ({shape_text(h.expr.shape)}"
                              + (", of vec(" + h.wrt + "))" if h.var.shape[1] != 1 else ")")))
    # dimensions no variable's shape gives (eye(k) with k only in a constant)
    extra = set()
    for r in roots:
        for n in r.walk():
            for d in n.shape:
                extra.update(p for p in str(d).split("*") if not p.isdigit())
    extra -= dimset
    spec = Spec(expr, dict(program.types), variables, outputs, _domain(program), names, hessian,
                sorted(extra))
    if hessian:
        for h in hesss:
            if h.map is not None:
                spec.notes.append(
                    f"The Hessian wrt {h.wrt} is the {h.expr.shape[0]} x {h.expr.shape[1]} matrix of "
                    f"vec({h.wrt}); applied to a direction d{h.wrt} it is the cheaper linear map "
                    f"{h.map_text} (hessian_map_{py_name(h.wrt)} below).")
                mapnode = Lowering([h.map]).lower(h.map)  # its own function: nothing shared
                spec.map_outputs.append(Output(f"hessian_map_{py_name(h.wrt)}", mapnode, "map", h.wrt,
                                              f"the Hessian wrt {h.wrt} applied to d{h.wrt}"))
    from .module import render

    source = render(be, spec)
    return Generated(source, spec, backend_name)


def _domain(program) -> str:
    """Where random data makes the function finite: normal, positive, or spd."""
    import numpy as np

    from ..check import DOMAINS, _collect_syms, sample_dims, sample_values
    from ..evaluate import evaluate

    syms = _collect_syms([program.expr])
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


def generate(expr: str, wrt, backend: str = "numpy", hessian: bool = False,
             **declarations: str) -> str:
    """The source of a self-contained module computing ``expr`` and its derivatives."""
    return build(expr, wrt, backend, hessian, declarations).source


def compile(expr: str, wrt, backend: str = "numpy", hessian: bool = False,
            **declarations: str):
    """A callable ``f(**variables) -> (value, gradient...)`` (``+ hessians`` with hessian=True).

    Vectors may be given as 1-D or n x 1 arrays (the gradient comes back in the same
    shape); scalars as numbers.  ``f.source`` is the generated module, ``f.check()``
    compares with finite differences, ``f.module`` is the module itself.
    """
    gen = build(expr, wrt, backend, hessian, declarations)
    return load(gen)


def load(gen: Generated):
    name = f"matdiff_generated_{gen.backend}_{next(_counter)}"
    mod = types.ModuleType(name)
    mod.__file__ = f"<{name}>"
    code = builtins.compile(gen.source, mod.__file__, "exec")
    exec(code, mod.__dict__)
    fn = mod.f
    pynames = {v.name: v.py for v in gen.spec.variables}

    def call(**values: Any):
        kw = {pynames.get(k, k): v for k, v in values.items()}
        return fn(**kw)

    call.source = gen.source
    call.module = mod
    call.check = mod.check
    call.spec = gen.spec
    call.__doc__ = mod.f.__doc__
    for out in gen.spec.map_outputs:
        setattr(call, out.name, getattr(mod, out.name))
    return call
