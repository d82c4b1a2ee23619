"""What the printer is told beyond the plan: the variables, the outputs, the expression."""

from __future__ import annotations

from dataclasses import dataclass, field

from .lir import Node, Shape


@dataclass
class Output:
    name: str  # the Python variable
    node: Node
    kind: str  # value | gradient | hessian | jacobian | derivative | map
    wrt: str | None
    description: str


@dataclass
class VarInfo:
    name: str  # matdiff name
    py: str  # Python identifier
    shape: Shape
    kind: str  # scalar | vector | matrix | symmetric | mask
    dim_scalar: bool = False  # a dimension name used as a scalar


@dataclass
class Spec:
    """Everything the printer needs beyond the plan."""

    expression: str
    types: dict[str, str]
    variables: list[VarInfo]
    outputs: list[Output]
    domain: str
    wrt: list[str]
    hessian: bool
    extra_dims: list[str] = field(default_factory=list)  # sizes no variable's shape gives
    map_outputs: list[Output] = field(default_factory=list)  # the Hessian-vector products
    notes: list[str] = field(default_factory=list)
    # low-level node id -> the name the printed answer gives it (h1, delta2, ...), for the
    # temporary that holds it (matdiff.naming)
    names: dict[int, str] = field(default_factory=dict)
