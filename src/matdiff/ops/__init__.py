"""What matdiff knows about each operation, one record per operation.

Passes (differentiate, evaluate, print, explain, generate code, read LaTeX) look an
operation up here instead of naming it. :mod:`matdiff.ops.elementwise` holds the
functions applied entry by entry, :mod:`matdiff.ops.matrix` the operations on a whole
vector or matrix (``tr``, ``det``, ``softmax``, ...).
"""

from .elementwise import ELEMENTWISE, Code, Elementwise, register, unregister
from .matrix import MATRIX_OPS, MatrixOp

__all__ = ["ELEMENTWISE", "MATRIX_OPS", "Code", "Elementwise", "MatrixOp", "register",
           "unregister"]
