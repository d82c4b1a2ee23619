"""What matdiff knows about each operation, one record per operation.

Passes (differentiate, evaluate, print, explain, generate code, read LaTeX) look an
operation up here instead of naming it. :mod:`matdiff.ops.elementwise` holds the
functions applied entry by entry, :mod:`matdiff.ops.matrix` the operations on a whole
vector or matrix (``tr``, ``det``, ``softmax``, ...), :mod:`matdiff.ops.spectral` the
matrix and spectral functions (``expm``, ``eigvals``, ``norm(X, 'nuc')``, ...).
"""

from .. import functions as _functions
from .elementwise import ELEMENTWISE, Code, Elementwise, register, unregister
from .matrix import MATRIX_OPS, MatrixOp
from .spectral import CONSTRUCTORS
from .spectral import RECORDS as _SPECTRAL

MATRIX_OPS.update({r.node: r for r in _SPECTRAL})  # expm, eigvals, norm(X, 2), ...
_functions.CONSTRUCTORS.update(CONSTRUCTORS)

__all__ = ["ELEMENTWISE", "MATRIX_OPS", "Code", "Elementwise", "MatrixOp", "register",
           "unregister"]
