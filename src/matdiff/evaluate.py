"""Numeric evaluation of the IR with numpy.

``evaluate(expr, values, dims)`` computes the value of an expression at a point.
It is the reference semantics of every IR node (see :mod:`matdiff.ir`) and the
engine of the numeric check (:mod:`matdiff.check`).

Conventions
-----------
* Every value is a 2-D numpy array (float, or complex where numpy allows it):
  a scalar is ``(1, 1)``, a vector ``(n, 1)``, a matrix ``(m, n)``.  Inputs
  given as Python numbers, 0-d or 1-d arrays are accepted and turned into
  ``(1, 1)`` / ``(n, 1)`` arrays; integer and boolean arrays become float.
* ``values`` maps each variable name to its value.  The differential of a
  variable, ``Differential(X)``, is looked up under the key ``"d" + X.name``
  (``"dX"``), the same name the IR uses in ``Expr.free``.
* A scalar variable that has no entry in ``values`` but whose name is a
  dimension in ``dims`` stands for that dimension's size (LANGUAGE.md: a
  dimension name used as a scalar).  An entry in ``values`` always wins, so a
  checker can perturb such a scalar.
* ``dims`` gives the size of every symbolic dimension.  A product dimension
  such as ``"m*n"`` (built by :func:`matdiff.ir.dim_product`) is evaluated by
  splitting on ``*``; its factors may be names or integer literals.

The DAG is evaluated once per distinct node, children before parents, with an
explicit stack, so deep expressions do not hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from . import ir
from .ops import ELEMENTWISE, MATRIX_OPS

__all__ = ["EvaluationError", "evaluate", "resolve_dim", "resolve_shape"]


Values = Mapping[str, object]  # a value per variable (and per differential, as "dX")
Dims = Mapping[str, int]  # a size per dimension name
Node = TypeVar("Node", bound=ir.Expr)


class EvaluationError(ValueError):
    """The expression cannot be evaluated with the given values and dimensions."""


# -------------------------------------------------------------------------------------- dimensions


def resolve_dim(dim: ir.Dim, dims: Mapping[str, int]) -> int:
    """The integer size of a dimension: an int, a name in ``dims``, or a product ``"m*n"``."""
    if isinstance(dim, (int, np.integer)):
        return int(dim)
    if dim in dims:
        return int(dims[dim])
    if "*" not in dim and dim.startswith("min(") and dim.endswith(")"):  # thin SVD's size
        return min(resolve_dim(_dim_literal(p.strip()), dims) for p in dim[4:-1].split(","))
    if "*" in dim:
        size = 1
        for part in dim.split("*"):
            size *= resolve_dim(_dim_literal(part.strip()), dims)
        return size
    raise EvaluationError(f"no size given for dimension {dim!r}")


def _dim_literal(text: str) -> ir.Dim:
    """A factor of a product dimension: an integer literal or a name."""
    return int(text) if text.isdigit() else text


def resolve_shape(shape: ir.Shape, dims: Mapping[str, int]) -> tuple[int, int]:
    """The integer shape of an IR shape."""
    return (resolve_dim(shape[0], dims), resolve_dim(shape[1], dims))


# --------------------------------------------------------------------------------------- traversal


def _operands(node: ir.Expr) -> tuple[ir.Expr, ...]:
    """The children whose values a node needs (a differential does not need its variable)."""
    if isinstance(node, ir.Differential):
        return ()
    return node.children


def _postorder(expr: ir.Expr) -> Iterator[ir.Expr]:
    """Every distinct node that the value of ``expr`` depends on, children before parents."""
    return expr.walk(_operands)


def evaluate(
    expr: ir.Expr, values: Values, dims: Dims
) -> np.ndarray:
    """The value of ``expr`` as a 2-D array (see the module docstring for the conventions)."""
    cache: dict[int, np.ndarray] = {}
    for node in _postorder(expr):
        args = [cache[id(c)] for c in _operands(node)]
        value = _evaluate_node(node, args, values, dims)
        _check_shape(node, value, dims)
        cache[id(node)] = value
    return cache[id(expr)]


def _check_shape(node: ir.Expr, value: np.ndarray, dims: Mapping[str, int]) -> None:
    """Every computed value must have the node's (resolved) shape."""
    expected = resolve_shape(node.shape, dims)
    if value.shape != expected:
        raise EvaluationError(
            f"{type(node).__name__} evaluated to shape {value.shape}, expected {expected}"
        )


def _evaluate_node(
    node: ir.Expr,
    args: list[np.ndarray],
    values: Values,
    dims: Dims,
) -> np.ndarray:
    """Dispatch on the node type: leaves look at the node, the others at their arguments."""
    leaf = _LEAVES.get(type(node))
    if leaf is not None:
        return leaf(node, values, dims)
    structural = _STRUCTURAL.get(type(node))
    if structural is not None:
        return structural(node, args, dims)
    simple = _SIMPLE.get(type(node))
    if simple is not None:
        return simple(*args)
    op = MATRIX_OPS.get(type(node))  # tr, det, softmax, ...: as their records say
    if op is not None:
        return op.evaluate(node, *args)
    raise EvaluationError(f"cannot evaluate IR node {type(node).__name__}")


# ------------------------------------------------------------------------------------------ leaves


def _as_2d(raw: object, name: str) -> np.ndarray:
    """A user-provided value as a 2-D float or complex array."""
    arr = np.asarray(raw)
    if arr.dtype.kind in "biu":
        arr = arr.astype(float)
    elif arr.dtype.kind not in "fc":
        raise EvaluationError(f"value of {name} is not numeric (dtype {arr.dtype})")
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise EvaluationError(f"value of {name} has {arr.ndim} dimensions, expected 2")
    return arr


def _leaf_value(name: str, shape: ir.Shape, values: Values, dims: Dims) -> np.ndarray:
    """Look a value up by name and check its shape."""
    arr = _as_2d(values[name], name)
    expected = resolve_shape(shape, dims)
    if arr.shape != expected:
        raise EvaluationError(f"value of {name} has shape {arr.shape}, expected {expected}")
    return arr


def _eval_sym(node: ir.Sym, values: Values, dims: Dims) -> np.ndarray:
    if node.name in values:
        return _leaf_value(node.name, node.shape, values, dims)
    if node.is_scalar and node.name in dims:  # a dimension name used as a scalar
        return np.array([[float(dims[node.name])]])
    raise EvaluationError(f"no value given for variable {node.name}")


def _eval_differential(node: ir.Differential, values: Values, dims: Dims) -> np.ndarray:
    key = "d" + node.var.name
    if key not in values:
        raise EvaluationError(f"no value given for the differential {key}")
    return _leaf_value(key, node.shape, values, dims)


def _eval_num(node: ir.Num, values: Values, dims: Dims) -> np.ndarray:
    return np.array([[float(node.value)]])


def _eval_zero(node: ir.Zero, values: Values, dims: Dims) -> np.ndarray:
    return np.zeros(resolve_shape(node.shape, dims))


def _eval_ones(node: ir.Ones, values: Values, dims: Dims) -> np.ndarray:
    return np.ones(resolve_shape(node.shape, dims))


def _eval_identity(node: ir.Identity, values: Values, dims: Dims) -> np.ndarray:
    return np.eye(resolve_dim(node.n, dims))


# The dispatch tables map a node class to the evaluator of its nodes. A dict cannot tie each
# value's argument type to its key, so the values take ``Any``; ``_leaf`` / ``_structural``
# check that an evaluator takes a node of its key's class, and the tables are looked up with
# ``type(node)`` only.
Leaf = Callable[[Any, Values, Dims], np.ndarray]
Structural = Callable[[Any, list[np.ndarray], Dims], np.ndarray]


def _leaf(cls: type[Node], rule: Callable[[Node, Values, Dims], np.ndarray]
          ) -> tuple[type[ir.Expr], Leaf]:
    return cls, rule


def _structural(cls: type[Node], rule: Callable[[Node, list[np.ndarray], Dims], np.ndarray]
                ) -> tuple[type[ir.Expr], Structural]:
    return cls, rule


_LEAVES: dict[type[ir.Expr], Leaf] = dict([
    _leaf(ir.Sym, _eval_sym),
    _leaf(ir.Differential, _eval_differential),
    _leaf(ir.Num, _eval_num),
    _leaf(ir.Zero, _eval_zero),
    _leaf(ir.Ones, _eval_ones),
    _leaf(ir.Identity, _eval_identity),
])


# ---------------------------------------------------------------------- nodes with non-Expr fields


def _eval_add(node: ir.Add, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    total = args[0]
    for term in args[1:]:
        total = total + term
    return total


def _eval_mul(node: ir.Mul, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    """1 x 1 factors (by IR shape) scale; the others chain by matrix product, left to right."""
    scale: np.ndarray | None = None
    chain: np.ndarray | None = None
    for factor, value in zip(node.factors, args):
        if factor.is_scalar:
            scale = value if scale is None else scale * value
        else:
            chain = value if chain is None else chain @ value
    if chain is None:  # every factor was a scalar (Mul has at least two factors)
        assert scale is not None
        return scale
    return chain if scale is None else scale[0, 0] * chain


def _eval_hadamard(node: ir.Hadamard, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    product = args[0]
    for factor in args[1:]:
        product = product * factor
    return product


def _eval_pow(node: ir.Pow, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    base, exponent = args  # the exponent is 1 x 1 or of the base's shape; numpy broadcasts
    if exponent.shape == (1, 1):
        return np.power(base, exponent[0, 0])
    return np.power(base, exponent)


def _eval_matpow(node: ir.MatPow, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    return np.linalg.matrix_power(args[0], int(node.k))


def _eval_func(node: ir.Func, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    record = ELEMENTWISE.get(node.name)
    if record is None:
        raise EvaluationError(f"unknown elementwise function {node.name}")
    return record.numpy(args[0])


def _eval_reshape(node: ir.Reshape, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    rows, cols = resolve_dim(node.rows, dims), resolve_dim(node.cols, dims)
    return args[0].reshape((rows, cols), order="F")


def _scalar(value: float) -> np.ndarray:
    return np.array([[float(value)]])


def _eval_commutation(node: ir.Commutation, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    m, n = resolve_dim(node.m, dims), resolve_dim(node.n, dims)
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1.0  # vec(A')[i*n + j] = A[i, j] = vec(A)[j*m + i]
    return k


def _eval_select(node: ir.Select, args: list[np.ndarray], dims: Dims) -> np.ndarray:
    """M[i, j], M[:, j], M[i, :] with 1-based positions (0: the whole dimension)."""
    x = args[0]
    for at, size, axis in ((node.row, x.shape[0], "row"), (node.col, x.shape[1], "column")):
        if at > size:
            raise EvaluationError(f"{axis} {at} is out of range: there are {size}")
    rows = slice(None) if node.row == 0 else slice(node.row - 1, node.row)
    cols = slice(None) if node.col == 0 else slice(node.col - 1, node.col)
    return x[rows, cols]


_STRUCTURAL: dict[type[ir.Expr], Structural] = dict([
    _structural(ir.Select, _eval_select),
    _structural(ir.Commutation, _eval_commutation),
    _structural(ir.Size, lambda node, args, dims: _scalar(resolve_dim(node.dim, dims))),
    _structural(ir.Add, _eval_add),
    _structural(ir.Mul, _eval_mul),
    _structural(ir.Hadamard, _eval_hadamard),
    _structural(ir.Pow, _eval_pow),
    _structural(ir.MatPow, _eval_matpow),
    _structural(ir.Func, _eval_func),
    _structural(ir.Reshape, _eval_reshape),
])


# ------------------------------------------------------------ nodes that only need their arguments


_SIMPLE: dict[type[ir.Expr], Callable[..., np.ndarray]] = {
    ir.Transpose: lambda x: x.T,
    ir.Kron: np.kron,
}
