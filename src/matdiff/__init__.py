"""matdiff: matrix calculus in closed form.

>>> import matdiff
>>> matdiff.gradient("norm(W*u - v)^2", "u").text
"2*W'*(W*u - v)"
"""

from .api import Result, derivative, gradient, hessian, jacobian, parse
from .errors import (
    MatdiffError, MatdiffShapeError, MatdiffSyntaxError, MatdiffTypeError, UnsupportedError,
)

__all__ = [
    "Result", "derivative", "gradient", "hessian", "jacobian", "parse", "MatdiffError",
    "MatdiffShapeError", "MatdiffSyntaxError", "MatdiffTypeError", "UnsupportedError", "verify",
]
__version__ = "0.1.0"


def verify(expr: str, wrt: str, candidate: str, **declarations: str):
    """Is ``candidate`` the derivative of ``expr`` by ``wrt``? A Verdict: ``.verdict`` is
    ``correct``, ``wrong_shape`` or ``wrong_value``, with ``.message`` and ``.suggestion``."""
    from .verdict import verify as _verify

    return _verify(expr, wrt, candidate, **declarations)
