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
    "MatdiffShapeError", "MatdiffSyntaxError", "MatdiffTypeError", "UnsupportedError",
]
__version__ = "0.1.0"
