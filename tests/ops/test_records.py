"""Each operation record, on its own: its forward rule agrees with central differences of
its NumPy kernel, and the adjoint of a linear operation is the adjoint of its forward
rule (<pullback(G), dX> = <G, d op(X)>), at random points; an independent oracle for
every record, whatever the case tables happen to cover."""

from __future__ import annotations

import numpy as np
import pytest

from matdiff import functions as F
from matdiff.evaluate import evaluate
from matdiff.ir import Differential, LogSumExp, Softmax, Sym
from matdiff.ops import ELEMENTWISE, MATRIX_OPS, MatrixOp, spectral
from matdiff.ops.elementwise import Elementwise

N = 4
SHAPES = {  # the operand each operation takes here
    "diag": (N, 1), "norm": (N, 1), "logsumexp": (N, 1), "softmax": (N, 1),
}


def _operand(op: MatrixOp) -> Sym:
    shape = (N, 1) if op.name in SHAPES and op.node.__name__ != "DiagPart" else (N, N)
    return Sym("X", shape, "vector" if shape[1] == 1 else "matrix")


def _point(x: Sym, rng: np.random.Generator) -> np.ndarray:
    value = rng.standard_normal(x.shape)
    if x.shape[1] != 1:
        value = value @ value.T + N * np.eye(N)  # SPD: det, logdet and inv are smooth
    return value


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b))))


def _node(op: MatrixOp, x: Sym, dim: int = 1):
    return op.node(x, dim) if "dim" in op.node.fields else op.node(x)


# every record of one operand on its own operand; softmax and logsumexp also down the
# columns (dimension 1) and along the rows (dimension 2) of a matrix. The Frechet
# derivatives (two operands), the eigen- and singular-value records (symmetric or
# rectangular operands, vectors without a derivative) are checked the same way in
# tests/ops/test_spectral.py.
SPECTRAL = {r.node for r in spectral.RECORDS}
CASES = [(op, 1, _operand(op)) for op in MATRIX_OPS.values() if op.node not in SPECTRAL] + [
    (MATRIX_OPS[t], dim, Sym("X", (N, N), "matrix")) for t in (Softmax, LogSumExp)
    for dim in (1, 2)]


@pytest.mark.parametrize("op, dim, x", CASES,
                         ids=[f"{op.node.__name__}-{dim}-{x.kind}" for op, dim, x in CASES])
def test_forward_rule_matches_differences(op: MatrixOp, dim: int, x: Sym):
    rng = np.random.default_rng(0)
    node = _node(op, x, dim)
    dnode = op.differential(node, lambda e: Differential(x) if e is x else e)
    value, direction = _point(x, rng), rng.standard_normal(x.shape)
    h = 1e-6
    plus = evaluate(node, {"X": value + h * direction}, {})
    minus = evaluate(node, {"X": value - h * direction}, {})
    predicted = evaluate(dnode, {"X": value, "dX": direction}, {})
    assert _rel(predicted, (plus - minus) / (2 * h)) < 1e-6


@pytest.mark.parametrize("op", [op for op in MATRIX_OPS.values()
                                if op.pullback and op.node not in SPECTRAL],
                         ids=lambda op: op.node.__name__)
def test_pullback_is_the_adjoint(op: MatrixOp):
    rng = np.random.default_rng(1)
    x = _operand(op)
    node = _node(op, x)
    g = Sym("G", node.shape, "matrix")
    back = op.pullback(node, g)
    dx, gv = rng.standard_normal(x.shape), rng.standard_normal(node.shape)
    forward = evaluate(node, {"X": dx}, {})  # linear: op(dX) is d op(X)
    lhs = np.sum(evaluate(back, {"G": gv}, {}) * dx)
    assert abs(lhs - np.sum(gv * forward)) < 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize("f", ELEMENTWISE.values(), ids=lambda f: f.name)
def test_elementwise_derivative_and_fold(f: Elementwise):
    x = Sym("x", (N, 1), "vector")
    rng = np.random.default_rng(2)
    value = rng.uniform(0.2, 1.5, (N, 1))  # inside every function's domain
    node = F.func(f.name, x)
    fx = f.derivative(x, node)
    h = 1e-6
    numeric = (f.numpy(value + h) - f.numpy(value - h)) / (2 * h)
    assert _rel(evaluate(fx, {"x": value}, {}), numeric) < 1e-6
    assert np.allclose([f.fold(float(v)) for v in value[:, 0]], f.numpy(value)[:, 0])
