"""matdiff: matrix calculus in closed form.

>>> import matdiff
>>> matdiff.gradient("norm(W*u - v)^2", "u").text
"2*W'*(W*u - v)"

Every entry point -- these helpers, the command line, the web page -- translates its input to
one :class:`Request` and reads the :class:`Answer` of :func:`answer`:

>>> a = matdiff.answer(matdiff.Request("x'*A*x", ("x",), ("A: symmetric matrix",)))
>>> a.results[0].text, a.to_json()["types"]
('2*A*x', {'x': 'vector(n)', 'A': 'symmetric matrix(n)'})
"""

from typing import Any

from .api import (
    Answer,
    Request,
    Result,
    answer,
    answered,
    declarations_from,
    derivative,
    gradient,
    hessian,
    jacobian,
    parse,
    parse_latex,
)
from .errors import (
    MatdiffError,
    MatdiffShapeError,
    MatdiffSyntaxError,
    MatdiffTypeError,
    UnsupportedError,
)

__all__ = [
    "Answer",
    "MatdiffError",
    "MatdiffShapeError",
    "MatdiffSyntaxError",
    "MatdiffTypeError",
    "Request",
    "Result",
    "UnsupportedError",
    "answer",
    "compile",
    "derivative",
    "from_sympy",
    "gradient",
    "hessian",
    "jacobian",
    "minimize",
    "parse",
    "parse_latex",
    "to_sympy",
    "verify",
]
from .version import __version__ as __version__


def compile(expr: str, wrt: str | list[str], backend: str = "numpy", hessian: bool = False,
            **declarations: str) -> Any:
    """Generated code as a callable (issue 4): ``f = matdiff.compile("x'*A*x", "x")``, then
    ``value, grad = f(x=..., A=...)``; backends numpy, jax, torch, dask, imported only here.
    An empty ``wrt`` gives the value alone. See :func:`matdiff.codegen.compile`."""
    from .codegen import compile as value_only
    from .codegen import load

    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    if not names:
        return value_only(expr, [], backend, hessian, **declarations)
    request = Request(expr, names, declarations_from(**declarations), hessian=hessian,
                      code=backend)
    generated = answered(request).generated
    assert generated is not None  # code was asked for
    return load(generated)


def verify(expr: str, wrt: str, candidate: str, *, layout: str = "numerator",
           convention: str = "matdiff", **declarations: str) -> Any:
    """Is ``candidate`` the derivative of ``expr`` by ``wrt``? A Verdict: ``.verdict`` is
    ``correct``, ``wrong_shape`` or ``wrong_value``, with ``.message``, ``.suggestion`` and
    ``.assumptions`` (under which a wrong answer is right). ``layout`` and ``convention``
    as for :func:`jacobian` and :func:`gradient`."""
    request = Request(expr, (wrt,), declarations_from(**declarations), verify=candidate,
                      layout=layout, convention=convention)
    return answered(request).results[0].verdict


# --- where users already work (SymPy, Jupyter, SciPy): each imported only when called -------


def from_sympy(expr: Any) -> Any:
    """A SymPy matrix expression in matdiff's language (a ``str`` with a ``where`` clause that
    every helper takes): see :mod:`matdiff.sympy_bridge`."""
    from .sympy_bridge import from_sympy as read

    return read(expr)


def to_sympy(x: Any, namespace: Any = None) -> Any:
    """A matdiff result or expression as a SymPy matrix expression: see
    :mod:`matdiff.sympy_bridge`."""
    from .sympy_bridge import to_sympy as write

    return write(x, namespace)


def minimize(expr: str, wrt: str | list[str] | tuple[str, ...], method: str | None = None,
             **values: Any) -> Any:
    """Minimize a scalar expression over ``wrt`` with SciPy, using matdiff's exact gradient
    (and Hessian products): see :func:`matdiff.optimize.minimize` (the module is not named
    ``minimize``: importing it would replace this function on the package)."""
    from .optimize import minimize as run

    return run(expr, wrt, method, **values)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext matdiff``: the ``%matdiff`` and ``%%matdiff`` magics
    (:mod:`matdiff.notebook`)."""
    from .notebook import load_ipython_extension as load

    load(ipython)
