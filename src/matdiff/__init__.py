"""matdiff: matrix calculus in closed form.

>>> import matdiff
>>> matdiff.gradient("norm(W*u - v)^2", "u").text
"2*W'*(W*u - v)"
"""

from .api import Result, derivative, gradient, hessian, jacobian, parse, parse_latex
from .errors import (
    MatdiffError, MatdiffShapeError, MatdiffSyntaxError, MatdiffTypeError, UnsupportedError,
)

__all__ = [
    "Result", "derivative", "gradient", "hessian", "jacobian", "parse", "parse_latex",
    "MatdiffError",
    "MatdiffShapeError", "MatdiffSyntaxError", "MatdiffTypeError", "UnsupportedError", "verify",
    "compile",
]
__version__ = "0.1.0"


def compile(expr: str, wrt, backend: str = "numpy", hessian: bool = False, **declarations: str):
    """Generated code as a callable (issue 4): ``f = matdiff.compile("x'*A*x", "x")``, then
    ``value, grad = f(x=..., A=...)``; backends numpy, jax, torch, dask, imported only here.
    See :func:`matdiff.codegen.compile`."""
    from .codegen import compile as _compile

    return _compile(expr, wrt, backend, hessian, **declarations)


def verify(expr: str, wrt: str, candidate: str, **declarations: str):
    """Is ``candidate`` the derivative of ``expr`` by ``wrt``? A Verdict: ``.verdict`` is
    ``correct``, ``wrong_shape`` or ``wrong_value``, with ``.message`` and ``.suggestion``."""
    from .verdict import verify as _verify

    return _verify(expr, wrt, candidate, **declarations)
