"""What matdiff knows about each operation, one record per operation.

Passes (differentiate, evaluate, print, explain, generate code, read LaTeX) look an
operation up here instead of naming it. :mod:`matdiff.ops.elementwise` holds the
functions applied entry by entry.
"""

from .elementwise import ELEMENTWISE, Code, Elementwise, register, unregister

__all__ = ["ELEMENTWISE", "Code", "Elementwise", "register", "unregister"]
