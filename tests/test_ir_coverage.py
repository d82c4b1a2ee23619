"""Every IR node class is handled by every pass: a node added to the IR without a forward
rule, an evaluation or a spelling fails here, by name, instead of at a user's input."""

from __future__ import annotations

import pytest

from matdiff import evaluate, ir
from matdiff.differentiate import DIFFERENTIAL
from matdiff.ops import MATRIX_OPS
from matdiff.printing import LatexPrinter, TextPrinter

NODES = sorted((c for c in vars(ir).values()
                if isinstance(c, type) and issubclass(c, ir.Expr) and c is not ir.Expr),
               key=lambda c: c.__name__)
LEAVES = {ir.Sym, ir.Differential, ir.Num, ir.Zero, ir.Ones, ir.Identity, ir.Commutation,
          ir.Size}


def test_the_ir_has_its_nodes():
    assert len(NODES) >= 25 and set(NODES) >= LEAVES


@pytest.mark.parametrize("node", NODES, ids=lambda c: c.__name__)
def test_every_pass_handles(node: type[ir.Expr]):
    if node not in LEAVES:
        assert node in DIFFERENTIAL, "no forward rule"
    tables = (evaluate._LEAVES, evaluate._STRUCTURAL, evaluate._SIMPLE, MATRIX_OPS)
    assert any(node in t for t in tables), "no evaluation"
    for printer in (TextPrinter, LatexPrinter):
        assert node in MATRIX_OPS or hasattr(printer, f"print_{node.__name__}"), printer
