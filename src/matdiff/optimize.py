"""Solve the problem with the derivative: ``matdiff.minimize(expr, wrt, **values)``.

A scalar expression is minimized over the variables named in ``wrt`` (their initial values are
among ``values``; every other value is data) with :func:`scipy.optimize.minimize`, given
matdiff's generated exact gradient (:func:`matdiff.compile`) and, for the Newton-type methods,
its exact Hessian-vector product (the generated ``hessian_map_<X>`` of a matrix variable;
for a vector, generated code for each Hessian term times the direction, which never forms the
Hessian) or its Hessian.

>>> import numpy as np, matdiff
>>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, -1.0])
>>> r = matdiff.minimize("1/2*x'*A*x - b'*x", "x", x=np.zeros(2), A=A, b=b)
>>> r.success, np.allclose(r["x"], np.linalg.solve(A, b))
(True, True)

Variables keep their shapes: a matrix is packed column-major for SciPy and unpacked for the
result; a symmetric variable (``where S: symmetric matrix``) is optimized over its upper
triangle, so it stays symmetric. SciPy is imported when this function is called.
"""

from __future__ import annotations

import keyword
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from .errors import MatdiffError, MatdiffShapeError, MatdiffTypeError

__all__ = ["Iterate", "MinimizeError", "MinimizeResult", "minimize"]

# Methods that use second derivatives: a Hessian-vector product or the Hessian itself.
HESSP_METHODS = ("newton-cg", "trust-ncg", "trust-krylov")
HESS_METHODS = ("trust-exact", "dogleg")
# Methods whose callback takes the point alone (no intermediate result).
_XK_CALLBACK = ("tnc", "slsqp", "cobyla", "cobyqa")
DEFAULT_METHOD = "L-BFGS-B"  # scales to many unknowns (BFGS keeps a dense n x n matrix)


class MinimizeError(MatdiffError):
    """A minimization that cannot start: a function that is not scalar, a value missing or of
    the wrong shape, a variable the function does not have."""

    kind = "minimize"


@dataclass
class Iterate:
    """What a ``callback`` is shown after each iteration: the iteration's number, the value,
    the norm of the gradient (of the packed unknowns), the variables in their shapes, the
    seconds since the start and the function evaluations so far. Return True to stop."""

    nit: int
    fun: float
    grad_norm: float
    values: dict[str, np.ndarray]
    elapsed: float
    nfev: int


@dataclass
class MinimizeResult:
    """The minimizer: each variable in its own shape (``result["U"]``, ``result.values``) and
    SciPy's account (``success``, ``status``, ``message``, ``nit``, ``nfev``, ``njev``,
    ``nhev``, ``fun``); ``hessian`` says where second derivatives came from (``"exact"``,
    ``"gradient differences"`` or ``None``); ``scipy`` is SciPy's own ``OptimizeResult``."""

    values: dict[str, np.ndarray]
    fun: float
    success: bool
    status: int
    message: str
    nit: int
    nfev: int
    njev: int
    nhev: int
    method: str
    seconds: float
    grad_norm: float
    hessian: str | None = None
    scipy: Any = field(default=None, repr=False)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    @property
    def x(self) -> dict[str, np.ndarray]:
        return self.values

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}: {np.shape(v)}" for n, v in self.values.items())
        return (f"MinimizeResult({self.method}, success={self.success}, fun={self.fun:.6g}, "
                f"nit={self.nit}, nfev={self.nfev}, |grad|={self.grad_norm:.2g}, "
                f"{self.seconds:.3g} s; {shapes}; {self.message!r})")


@dataclass
class _Unknown:
    """One variable among SciPy's flat unknowns: where it sits and how it is packed."""

    name: str
    kind: str
    shape: tuple[int, ...]  # the user's shape (a vector may be 1-D or n x 1)
    start: int
    size: int
    triu: tuple[np.ndarray, np.ndarray] | None = None  # symmetric: the upper triangle

    @property
    def rows(self) -> int:
        return self.shape[0] if self.shape else 1

    def unpack(self, x: np.ndarray) -> np.ndarray:
        part = x[self.start:self.start + self.size]
        if self.triu is not None:
            n = self.rows
            out = np.zeros((n, n))
            out[self.triu] = part
            return out + np.triu(out, 1).T
        return part.reshape(self.shape, order="F").copy()

    def pack(self, value: np.ndarray) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if self.triu is not None:
            return value[self.triu]
        return value.reshape(-1, order="F")

    def pack_gradient(self, g: np.ndarray) -> np.ndarray:
        """The gradient with respect to this variable's packed unknowns: for a symmetric
        matrix, an off-diagonal unknown moves two entries (whatever convention the gradient
        was given in, its symmetric part carries the derivative)."""
        g = np.asarray(g, dtype=np.float64)
        if self.triu is not None:
            sym = (g + g.T) / 2
            out = 2 * sym[self.triu]
            out[self.triu[0] == self.triu[1]] /= 2
            return out
        return g.reshape(-1, order="F")


_COMPILED: dict[tuple[str, tuple[str, ...], bool], Any] = {}


def _compiled(expr: str, names: tuple[str, ...], hessian: bool) -> Any:
    key = (expr, names, hessian)
    if key not in _COMPILED:
        from . import compile as compile_code

        _COMPILED[key] = compile_code(expr, list(names), hessian=hessian)
    return _COMPILED[key]


def minimize(expr: str, wrt: str | list[str] | tuple[str, ...], method: str | None = None, *,
             callback: Callable[[Iterate], Any] | None = None, progress: bool | int = False,
             progress_file: TextIO | None = None, tol: float | None = None,
             options: Mapping[str, Any] | None = None, bounds: Any = None,
             data: Mapping[str, Any] | None = None, **values: Any) -> MinimizeResult:
    """Minimize the scalar ``expr`` over the variables ``wrt`` from their values in ``values``
    (the others are data; a name that is a Python keyword, such as ``lambda``, may be given
    as ``lambda_=`` or in ``data``).

    ``method`` is SciPy's (default ``L-BFGS-B``); ``tol``, ``options`` and ``bounds`` are passed
    to :func:`scipy.optimize.minimize` (``bounds`` for the packed unknowns). Newton-CG,
    trust-ncg and trust-krylov get matdiff's exact Hessian-vector product, trust-exact and
    dogleg its Hessian, when there is one variable (not a symmetric matrix); otherwise the
    products are central differences of the exact gradient (the Hessian's blocks between
    variables are not derived). ``callback(iterate)`` is called after every iteration with
    an :class:`Iterate` (return True to stop); ``progress=True`` prints a line every 10
    iterations (an int: every that many) to ``progress_file`` (standard output by default).
    """
    from scipy import optimize

    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    if not names:
        raise MinimizeError("minimize needs at least one variable to minimize over (wrt)")
    given = _given_values(values, data)
    program = _program(expr)
    _check_variables(program, names, given)
    _bind_shapes(program, given)
    unknowns = _unknowns(program, names, given)
    data_values = {n: v for n, v in given.items() if n not in names}
    f = _compiled(expr, names, False)
    x0 = np.concatenate([u.pack(given[u.name]) for u in unknowns])

    cache: dict[str, Any] = {"x": None}
    counts = {"nfev": 0}

    def unpack(x: np.ndarray) -> dict[str, np.ndarray]:
        return {u.name: u.unpack(x) for u in unknowns}

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        if cache["x"] is not None and np.array_equal(cache["x"], x):
            return cache["value"], cache["grad"]
        out = _call(f, {**data_values, **unpack(x)})
        counts["nfev"] += 1
        value = float(np.asarray(out[0]))
        grad = np.concatenate([u.pack_gradient(g) for u, g in zip(unknowns, out[1:],
                                                                   strict=True)])
        cache.update(x=x.copy(), value=value, grad=grad)
        return value, grad

    chosen = method or DEFAULT_METHOD
    kwargs: dict[str, Any] = {"jac": True}
    hessian_source = _second_derivatives(chosen.lower(), expr, names, unknowns, data_values,
                                         unpack, fun, kwargs)
    started = time.perf_counter()
    state = {"nit": 0}
    every = 10 if progress is True else int(progress) if progress else 0
    stream = progress_file if progress_file is not None else sys.stdout

    def report(x: np.ndarray) -> bool:
        state["nit"] += 1
        value, grad = fun(x)
        it = Iterate(state["nit"], value, float(np.linalg.norm(grad)), unpack(x),
                     time.perf_counter() - started, counts["nfev"])
        if every and it.nit % every == 0:
            print(f"minimize: iteration {it.nit}  f = {it.fun:.6e}  |grad| = "
                  f"{it.grad_norm:.2e}  ({it.elapsed:.2f} s, {it.nfev} evaluations)",
                  file=stream, flush=True)
        return bool(callback(it)) if callback is not None else False

    if callback is not None or every:
        if chosen.lower() in _XK_CALLBACK:
            def xk_callback(xk: np.ndarray) -> None:
                if report(np.asarray(xk)):
                    raise StopIteration
            kwargs["callback"] = xk_callback
        else:
            def new_callback(intermediate_result: Any) -> None:
                if report(np.asarray(intermediate_result.x)):
                    raise StopIteration
            kwargs["callback"] = new_callback

    res = optimize.minimize(fun, x0, method=chosen, tol=tol, bounds=bounds,
                            options=dict(options or {}), **kwargs)
    seconds = time.perf_counter() - started
    value, grad = fun(np.asarray(res.x))
    out = {u.name: u.unpack(np.asarray(res.x)) for u in unknowns}
    if every:
        print(f"minimize: done after {int(getattr(res, 'nit', state['nit']))} iterations  "
              f"f = {value:.6e}  |grad| = {np.linalg.norm(grad):.2e}  ({seconds:.2f} s): "
              f"{res.message}", file=stream, flush=True)
    return MinimizeResult(
        values=out, fun=value, success=bool(res.success), status=int(res.status),
        message=str(res.message), nit=int(getattr(res, "nit", state["nit"])),
        nfev=int(getattr(res, "nfev", counts["nfev"])), njev=int(getattr(res, "njev", 0)),
        nhev=int(getattr(res, "nhev", 0)), method=chosen, seconds=seconds,
        grad_norm=float(np.linalg.norm(grad)), hessian=hessian_source, scipy=res)


# --- checking the problem before SciPy sees it --------------------------------------------


def _given_values(values: Mapping[str, Any], data: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in {**(data or {}), **values}.items():
        if name.endswith("_") and keyword.iskeyword(name[:-1]):
            name = name[:-1]  # lambda_= for lambda
        out[name] = value
    return out


_PROGRAMS: dict[str, Any] = {}


def _program(expr: str) -> Any:
    """The typed expression (kept: minimizing again costs no parsing or type inference)."""
    from .api import compile_program

    program = _PROGRAMS.get(expr)
    if program is None:
        program = _PROGRAMS[expr] = compile_program(expr)
    if not program.expr.is_scalar:
        from .ir import shape_text

        raise MinimizeError(f"minimize needs a scalar function; {expr!r} is "
                            f"{shape_text(program.expr.shape)}", None, expr)
    return program


def _check_variables(program: Any, names: tuple[str, ...], given: dict[str, Any]) -> None:
    syms = program.syms
    for name in names:
        if name not in syms:
            raise MinimizeError(f"the function does not depend on {name!r}: nothing to "
                                f"minimize over (its variables: {', '.join(syms)})",
                                None, program.text)
        if syms[name].kind == "mask":
            raise MatdiffTypeError(f"{name!r} is a mask, which is data; it cannot be "
                                   "minimized over", None, program.text)
    missing = [n for n in syms if n not in given and n not in program.dim_sizes
               and not _dimension_name(program, n)]
    if missing:
        what = "; ".join(f"{n} ({program.types[n]})" for n in missing)
        raise MinimizeError(f"no value given for {what}: give the initial value of each "
                            "variable in wrt and the value of all the data", None,
                            program.text)
    unknown = [n for n in given if n not in syms]
    if unknown:
        raise MinimizeError(f"values given for names the function does not use: "
                            f"{', '.join(unknown)} (its variables: {', '.join(syms)})",
                            None, program.text)


def _dimension_name(program: Any, name: str) -> bool:
    dims = {d for s in program.syms.values() for d in s.shape if isinstance(d, str)}
    return name in dims and program.syms[name].is_scalar


def _shape_of(name: str, kind: str, value: Any, text: str) -> tuple[tuple[int, int],
                                                                      tuple[int, ...]]:
    arr = np.asarray(value, dtype=np.float64) if not isinstance(value, np.ndarray) else value
    shape = tuple(arr.shape)
    if kind == "scalar":
        if arr.size != 1 or arr.ndim > 2:
            raise MatdiffShapeError(f"{name} is a scalar; its value has shape {shape}", None,
                                    text)
        return (1, 1), shape
    if kind == "vector":
        if arr.ndim == 1:
            return (shape[0], 1), shape
        if arr.ndim == 2 and shape[1] == 1:
            return (shape[0], 1), shape
        raise MatdiffShapeError(f"{name} is a vector; its value has shape {shape} (give a 1-D "
                                "or n x 1 array)", None, text)
    if arr.ndim != 2:
        raise MatdiffShapeError(f"{name} is a {kind}; its value has shape {shape} (give a 2-D "
                                "array)", None, text)
    return (shape[0], shape[1]), shape


def _bind_shapes(program: Any, given: dict[str, Any]) -> None:
    """Every symbolic size from the values, each the same everywhere it appears."""
    dims: dict[str, tuple[int, str]] = {}
    for name, sym in program.syms.items():
        if name not in given:
            continue
        kind = "matrix" if sym.kind in ("symmetric", "mask") else sym.kind
        actual, _ = _shape_of(name, kind, given[name], program.text)
        for axis, (dim, size) in enumerate(zip(sym.shape, actual, strict=True)):
            where = f"the {'rows' if axis == 0 else 'columns'} of {name}"
            if isinstance(dim, int):
                if dim != size:
                    raise MatdiffShapeError(f"{name} is {program.types[name]} but its value "
                                            f"has {size} {where.split()[1]}", None,
                                            program.text)
            elif dim in dims and dims[dim][0] != size:
                raise MatdiffShapeError(
                    f"the shapes disagree: {dim} = {dims[dim][0]} ({dims[dim][1]}) but {where} "
                    f"is {size} ({name} is {program.types[name]})", None, program.text)
            else:
                dims.setdefault(dim, (size, where))
        if sym.kind == "symmetric":
            arr = np.asarray(given[name], dtype=np.float64)
            if not np.allclose(arr, arr.T, rtol=1e-10, atol=1e-12):
                raise MatdiffShapeError(f"{name} is declared a symmetric matrix but its value is "
                                        "not symmetric", None, program.text)


def _unknowns(program: Any, names: tuple[str, ...], given: dict[str, Any]) -> list[_Unknown]:
    out: list[_Unknown] = []
    start = 0
    for name in names:
        sym = program.syms[name]
        shape = tuple(np.shape(given[name]))
        if sym.kind == "symmetric":
            n = shape[0]
            triu = np.triu_indices(n)
            u = _Unknown(name, sym.kind, shape, start, len(triu[0]), triu)
        else:
            u = _Unknown(name, sym.kind, shape, start, int(np.prod(shape)) if shape else 1)
        out.append(u)
        start += u.size
    return out


def _call(f: Any, values: dict[str, Any]) -> Any:
    try:
        return f(**values)
    except ValueError as e:  # the generated code's own shape checks
        raise MatdiffShapeError(str(e)) from None


# --- second derivatives ---------------------------------------------------------------------


def _second_derivatives(method: str, expr: str, names: tuple[str, ...],
                        unknowns: list[_Unknown], data: dict[str, Any],
                        unpack: Callable[[np.ndarray], dict[str, np.ndarray]],
                        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
                        kwargs: dict[str, Any]) -> str | None:
    """Add SciPy's ``hessp`` or ``hess`` for the methods that use them; where they come from."""
    if method not in HESSP_METHODS + HESS_METHODS:
        return None
    # matdiff's Hessian with respect to a symmetric matrix does not yet pass its own check:
    # a symmetric variable gets gradient differences too.
    if len(unknowns) == 1 and unknowns[0].kind != "symmetric":
        u = unknowns[0]
        fh = _compiled(expr, names, True)
        if method in HESSP_METHODS and u.kind in ("matrix", "symmetric"):
            hmap = getattr(fh, f"hessian_map_{_py(fh, u.name)}")
            pynames = {v.name: v.py for v in fh.spec.variables}

            def hessp(x: np.ndarray, v: np.ndarray) -> np.ndarray:
                point = {pynames.get(k, k): val for k, val in {**data, **unpack(x)}.items()}
                point["d" + _py(fh, u.name)] = v.reshape(u.shape, order="F")
                return u.pack_gradient(_call(hmap, point))

            kwargs["hessp"] = hessp
            return "exact"

        product = _vector_hessian_product(expr, u.name) if method in HESSP_METHODS \
            and u.kind == "vector" else None
        if product is not None:
            hv, direction = product
            takes = {v.name for v in hv.spec.variables}  # the Hessian may not use all data

            def hessp_vector(x: np.ndarray, v: np.ndarray) -> np.ndarray:
                point = {k: val for k, val in {**data, **unpack(x)}.items() if k in takes}
                out = _call(hv, {**point, direction: v})
                return np.asarray(out, dtype=np.float64).reshape(-1)

            kwargs["hessp"] = hessp_vector
            return "exact"

        last: dict[str, Any] = {"x": None}

        def hess(x: np.ndarray) -> np.ndarray:  # kept for the products at the same point
            if last["x"] is None or not np.array_equal(last["x"], x):
                h = np.atleast_2d(np.asarray(_call(fh, {**data, **unpack(x)})[-1]))
                last.update(x=np.array(x, copy=True), h=h)
            return last["h"]

        if method in HESSP_METHODS:
            kwargs["hessp"] = lambda x, v: hess(x) @ v
        else:
            kwargs["hess"] = hess
        return "exact"

    def hessp_fd(x: np.ndarray, v: np.ndarray) -> np.ndarray:
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            return np.zeros_like(v)
        h = np.sqrt(np.finfo(float).eps) * (1.0 + float(np.linalg.norm(x))) / norm
        return (fun(x + h * v)[1] - fun(x - h * v)[1]) / (2 * h)

    if method in HESSP_METHODS:
        kwargs["hessp"] = hessp_fd
    else:
        kwargs["hess"] = lambda x: np.column_stack(
            [hessp_fd(x, e) for e in np.eye(x.size)])
    return "gradient differences"


_PRODUCTS: dict[tuple[str, str], Any] = {}


def _vector_hessian_product(expr: str, name: str) -> tuple[Any, str] | None:
    """Generated code for the Hessian times a direction, for a vector variable: each term of
    matdiff's Hessian times the direction, so that the products run right to left
    (``X'*(s.*(X*d))``, never ``X'*diag(s)*X``); None when that cannot be generated (the full
    Hessian is used then)."""
    key = (expr, name)
    if key not in _PRODUCTS:
        _PRODUCTS[key] = _generate_product(expr, name)
    return _PRODUCTS[key]


def _generate_product(expr: str, name: str) -> tuple[Any, str] | None:
    from . import compile as compile_code
    from .api import hessian
    from .ir import Add
    from .printing import to_text

    try:
        h = hessian(expr, name)
        program = h.program
        direction = "d" + name
        while direction in program.syms:
            direction = "d" + direction
        terms = h.expr.terms if isinstance(h.expr, Add) else (h.expr,)
        text = " + ".join(f"({to_text(t, program.order, program.declared_dims)})*{direction}"
                          for t in terms)
        kinds = {**program.types, direction: program.types[name]}
        where = ", ".join(f"{n}: {k}" for n, k in kinds.items())
        return compile_code(f"{text} where {where}", []), direction
    except MatdiffError:
        return None


def _py(f: Any, name: str) -> str:
    return next(v.py for v in f.spec.variables if v.name == name)
