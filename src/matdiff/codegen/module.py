"""The generated module around the computation: header, prologue, return, check()."""

from __future__ import annotations

import textwrap

from ..errors import UnsupportedError
from ..ir import shape_text
from .backend_base import Backend
from .lir import Dim, layout
from .printer import Printer
from .pytext import atoms, is_min, min_operands
from .spec import Output, Spec, VarInfo

CHECK_SOURCE = '''
_SIZES = {sizes}  # default sizes of the dimensions for check()
_VARIABLES = {variables}  # name, argument, shape, kind
_DOMAIN = {domain!r}  # where random data keeps the function finite
_OUTPUTS = {outputs}  # kind, variable


def _size(dim, sizes):
    out = 1
    for part in str(dim).split("*"):
        out *= int(part) if part.isdigit() else sizes[part]
    return out


def _sample(rng, sizes):
    """Random inputs of the declared kinds (a mask is 0/1, a symmetric matrix symmetric)."""
    point = {{}}
    for name, arg, dims, kind in _VARIABLES:
        shape = tuple(_size(d, sizes) for d in dims)
        square = len(shape) == 2 and shape[0] == shape[1] and kind in ("matrix", "symmetric")
        if kind == "mask":
            x = rng.integers(0, 2, size=shape).astype(float)
        elif kind == "dimension":
            x = float(sizes[name])
        elif _DOMAIN == "spd" and square:
            b = rng.standard_normal(shape)
            x = b @ b.T / shape[0] + np.eye(shape[0])
        elif _DOMAIN == "normal":
            x = rng.standard_normal(shape)
            x = x + 0.5 * np.sign(x)
        else:
            x = rng.uniform(0.5, 2.0, size=shape)
        if kind == "symmetric":
            x = (x + x.T) / 2
        if square and not (_DOMAIN == "spd"):
            x = x + 3 * np.eye(shape[0])
        point[arg] = x
    return point


def _vec(x):
    return np.asarray(x).T.reshape(-1)  # stack the columns


def check(seed=0, tol=1e-6, **sizes):
    """Compare the derivatives with central finite differences (Richardson-extrapolated)
    of f at a random point, along random directions.  Returns the largest relative error;
    raises AssertionError when it exceeds tol."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = {{**_SIZES, **sizes}}
    point = _sample(rng, sizes)
    outs = [_to_numpy(o) for o in _outputs(f(**point))]
    worst = 0.0
    for (kind, var), out in zip(_OUTPUTS, outs):
        if kind == "value":
            continue
        arg = next(a for n, a, _, _ in _VARIABLES if n == var)
        x0 = np.asarray(point[arg], dtype=float)
        v = rng.standard_normal(np.shape(x0))
        if next(k for n, _, _, k in _VARIABLES if n == var) == "symmetric":
            v = (v + v.T) / 2
        v = v / max(np.max(np.abs(v)), 1e-300)
        index = _OUTPUTS.index(("gradient", var)) if kind == "hessian" else 0

        def g(t):
            moved = dict(point)
            moved[arg] = x0 + t * v
            return _to_numpy(_outputs(f(**moved))[index])

        h = 1e-3 * max(1.0, float(np.max(np.abs(x0))))
        d1 = (g(h) - g(-h)) / (2 * h)
        d2 = (g(h / 2) - g(-h / 2)) / h
        est = np.asarray((4 * d2 - d1) / 3, dtype=float)
        if kind == "gradient":
            pred = np.sum(out * v)
        elif kind == "derivative":
            pred = out * (v if np.ndim(v) else float(v))
        else:  # jacobian or hessian: a matrix applied to vec(v)
            pred = np.asarray(out).reshape(-1, np.size(v)) @ _vec(v)
            est = _vec(est) if np.ndim(est) == 2 else np.reshape(est, -1)
        err = float(np.linalg.norm(np.ravel(est - pred))
                    / max(np.linalg.norm(np.ravel(est)), np.linalg.norm(np.ravel(pred)), 1e-8))
        worst = max(worst, err)
    if worst > tol:
        raise AssertionError(f"derivative check failed: relative error {{worst:.2e}} > {{tol}}")
    return worst


def _outputs(result):
    return result if isinstance(result, tuple) else (result,)
'''


def doc_literal(text: str) -> str:
    """``text`` made safe inside a triple-quoted docstring: user text (the expression, names,
    LaTeX comments) can neither end the string nor start an escape; it reads back unchanged
    in ``__doc__``."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(ascii(ch)[1:-1])  # \n, \x00, \u2028, ... as escapes
    return "".join(out)


def docstring(lines: list[str], indent: str, close_inline: bool = False) -> list[str]:
    """The lines of a docstring, every line escaped with :func:`doc_literal`."""
    body = [indent + doc_literal(line) if line else "" for line in lines]
    body[0] = indent + '"""' + body[0][len(indent):]
    if close_inline:
        return body[:-1] + [body[-1] + '"""']
    return body + [indent + '"""']


def render(be: Backend, spec: Spec) -> str:
    """The whole module: header, imports, helpers, the function(s) and ``check()``."""
    pr = Printer(be, spec)
    body = pr.emit(spec.outputs)
    fname = be.function_name()
    funcs = [_main_function(pr, be, spec, body, fname), *be.wrap_function(fname)]
    funcs += [_map_function(be, spec, mo) for mo in spec.map_outputs]
    imports = list(be.imports) + be.extra_imports
    if "import numpy as np" not in imports:
        imports.insert(0, "import numpy as np")
    out = "\n".join(_header(be, spec)) + "\n\n" + "\n".join(imports) + "\n"
    out += "".join(be.preamble())
    helper_src = [*be.helpers.values(), be.boundary_helpers()]
    out += "\n\n" + "\n\n\n".join(helper_src) + "\n\n\n" + "\n\n\n".join(funcs) + "\n"
    out += "\n" + _check_source(pr, be, spec)
    return out


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _main_function(pr: Printer, be: Backend, spec: Spec, body: list[str], fname: str) -> str:
    """``f(variables)`` returning the value and the derivatives."""
    params = [v.py for v in spec.variables if not v.dim_scalar]
    params += [v.py + "=None" for v in spec.variables if v.dim_scalar]
    if spec.extra_dims:
        params += ["*"] + [pr.dimname.get(d, d) for d in spec.extra_dims]
    extra_param = be.extra_params()
    if extra_param:
        if "*" not in params:
            params.append("*")
        params += extra_param
    returns = ", ".join(o.name for o in spec.outputs)
    doc = [f"{o.name}: {o.description}" for o in spec.outputs]
    lines = [f"def {fname}({', '.join(params)}):"]
    lines += docstring(["Returns " + returns + ".", "", *doc], "    ")
    prologue, shapes_kept = _prologue(pr, be, spec)
    lines += _indent(prologue) + _indent(body)
    for o in spec.outputs:
        if o.kind in ("gradient", "derivative") and o.wrt in shapes_kept:
            lines.append(f"    {o.name} = {be.reshape(pr.final[o.name], shapes_kept[o.wrt])}")
        elif pr.final[o.name] != o.name:
            lines.append(f"    {o.name} = {pr.final[o.name]}")
    lines.append("    " + be.return_statement(returns))
    return "\n".join(lines)


def _map_function(be: Backend, spec: Spec, mo: Output) -> str:
    """``hessian_map_<x>(variables, dx)``: the Hessian applied to a direction."""
    dvar = next(v for v in spec.variables if v.name == mo.wrt)
    dinfo = VarInfo("d" + dvar.name, "d" + dvar.py, dvar.shape, "matrix")
    mspec = Spec(spec.expression, spec.types, [*spec.variables, dinfo], [mo], spec.domain,
                 spec.wrt, False, spec.extra_dims)
    mp = Printer(be, mspec)
    mbody = mp.emit([mo])
    mparams = [v.py for v in spec.variables if not v.dim_scalar] + [dinfo.py]
    mparams += [v.py + "=None" for v in spec.variables if v.dim_scalar]
    ml = [f"def {mo.name}({', '.join(mparams)}):"]
    what = "Jacobian" if mo.name.startswith("jacobian_map") else "Hessian"
    ml += docstring([f"{mo.description}: the {what}-vector product in matrix form,",
                     f"without the {shape_text(dvar.shape)}-squared {what} matrix."], "    ",
                    close_inline=True)
    mpro, _ = _prologue(mp, be, mspec)
    ml += _indent(mpro) + _indent(mbody)
    ml.append(f"    return {mp.final[mo.name]}")
    return "\n".join(ml)


def _header(be: Backend, spec: Spec) -> list[str]:
    """The module's docstring: the expression, the types, what ``f`` returns, notes."""
    head = ["Generated by matdiff: do not edit.", "", f"    {spec.expression}", ""]
    head.append("types: " + "; ".join(f"{n} {t}" for n, t in spec.types.items()))
    head.append(f"f(...) returns {', '.join(o.name for o in spec.outputs)}:")
    head += [f"    {o.name}: {o.description}" for o in spec.outputs]
    head.append("Vectors may be given as 1-D or n x 1 arrays "
                "(gradients come back in the same shape).")
    for note in spec.notes + be.header_notes():
        head += textwrap.wrap(note, 88)
    head.append("check() compares the derivatives with finite differences at a random point.")
    return docstring(head, "")


def _prologue(pr: Printer, be: Backend, spec: Spec) -> tuple[list[str], dict[str, str]]:
    """Convert the inputs, bind the sizes from their shapes and check the shapes agree; the
    original shapes of the vectors differentiated by (their gradients come back so)."""
    lines: list[str] = []
    bound: dict[str, str] = {}  # atom -> where it came from
    kept: dict[str, str] = {}
    deferred: list[tuple[VarInfo, str, str, Dim, list[int | str]]] = []
    for v in spec.variables:
        if v.dim_scalar:
            continue
        text = _kind_text(v)
        lines.append(_convert(v, text, v.name in spec.wrt))
        if v.name in spec.wrt and layout(v.shape) == "vec":
            kept[v.name] = f"{v.py}_shape"
        for axis, d, what in _axes(v):
            got = f"{v.py}.shape[{axis}]"
            parts = atoms(d)
            if len(parts) == 1 and isinstance(parts[0], str) and parts[0] not in bound:
                lines.append(f"{pr.dim(d)} = {got}")
                bound[parts[0]] = f"the {what} of {v.name}"
                continue
            deferred.append((v, text, got, d, parts))
    for v, text, got, d, parts in deferred:
        lines += _shape_check(pr, bound, v, text, got, d, parts)
    for d in sorted(d for d in pr.dimname if is_min(d)):  # the thin SVD's size
        sides = ", ".join(pr.dim(int(p) if p.isdigit() else p) for p in min_operands(d))
        lines.append(f"{pr.dim(d)} = min({sides})")
    for v in spec.variables:
        if v.dim_scalar:
            d = pr.dim(v.name)
            lines.append(f"{v.py} = {be.dim_scalar(d)} if {v.py} is None else "
                         f"_scalar({v.py}, {v.name!r})")
    return lines, kept


def _convert(v: VarInfo, text: str, keep_shape: bool) -> str:
    """The statement converting an input to the backend's array, of its layout."""
    lay = layout(v.shape)
    if lay == "scalar":
        return f"{v.py} = _scalar({v.py}, {v.name!r})"
    if lay == "mat":
        return f"{v.py} = _matrix({v.py}, {v.name!r}, {text!r})"
    if keep_shape:
        return f"{v.py}, {v.py}_shape = _vector({v.py}, {v.name!r}, {text!r}, True)"
    return f"{v.py} = _vector({v.py}, {v.name!r}, {text!r})"


def _axes(v: VarInfo) -> list[tuple[int, Dim, str]]:
    """(axis, size, what the axis is called) of an input's array."""
    lay = layout(v.shape)
    if lay == "scalar":
        return []
    if lay == "vec":
        return [(0, v.shape[0] if v.shape[1] == 1 else v.shape[1], "entries")]
    return [(0, v.shape[0], "rows"), (1, v.shape[1], "columns")]


def _shape_check(pr: Printer, bound: dict[str, str], v: VarInfo, text: str, got: str, d: Dim,
                 parts: list[int | str]) -> list[str]:
    """The check that an axis has the size its declaration gives (bound already)."""
    if not all(isinstance(a, int) or a in bound for a in parts):
        raise UnsupportedError(f"cannot bind the size {d} of {v.name} from its shape")
    src = ", ".join(f"{a} = {{{pr.dim(a)}}}" for a in parts if isinstance(a, str))
    origin = "; ".join(bound[a] for a in parts if isinstance(a, str))
    msg = (f"{v.name} must be a {text}" + (f" with {src} ({origin})" if src else "")
           + f"; got shape {{tuple({v.py}.shape)}}")
    return [f"if {got} != {pr.dim(d)}:", f"    raise ValueError(f{msg!r})"]


def _kind_text(v: VarInfo) -> str:
    return shape_text(v.shape, v.kind)


def _check_source(pr: Printer, be: Backend, spec: Spec) -> str:
    sizes = {}
    pool = [3, 4, 5, 6, 2, 7, 8, 9, 10, 11]
    taken_ints = {a for v in spec.variables for d in v.shape for a in atoms(d)
                  if isinstance(a, int)}
    pool = [p for p in pool if p not in taken_ints]
    names = sorted(d for d in pr.dimname if not is_min(d))
    for i, d in enumerate(names):
        sizes[d] = pool[i % len(pool)]
    variables = []
    for v in spec.variables:
        kind = "dimension" if v.dim_scalar else v.kind
        lay = layout(v.shape)
        dims: tuple[Dim, ...]
        if lay == "scalar":
            dims = ()
        elif lay == "vec":
            dims = (v.shape[0] if v.shape[1] == 1 else v.shape[1],)
        else:
            dims = v.shape
        variables.append((v.name, v.py, dims, kind))
    outputs = [(o.kind, o.wrt) for o in spec.outputs]
    src = CHECK_SOURCE.format(sizes=repr(sizes), variables=repr(variables), domain=spec.domain,
                              outputs=repr(outputs))
    src = src.replace("_outputs(f(**point))", f"_outputs({be.call_for_check()}(**point))")
    src = src.replace("_outputs(f(**moved))", f"_outputs({be.call_for_check()}(**moved))")
    src += "\n\n" + f"def _to_numpy(x):\n    return {be.to_numpy()}\n"
    return src
