"""Elementwise functions: one record each, read by every pass.

A record says everything matdiff knows about a function applied entry by entry:
its derivative (as an expression in the argument ``x`` and the value ``fx``),
how to evaluate it in NumPy (real and complex arguments: the numeric check uses
complex steps), how to fold it on a constant, how to write it in LaTeX and which
LaTeX spellings mean it, and how generated code computes it in each backend.
The text spelling is the name itself (``softplus(x)``).

To add a function, add one record to ``RECORDS`` below (see
docs/adding-an-operation.md). Identities between functions that are real
algebra (``log(exp(u)) = u``, ``log(1 + exp(u)) = softplus(u)``) live with the
other rewrite rules in :mod:`matdiff.algebra`, not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .. import algebra as A
from .. import functions as F
from ..ir import FUNCTIONS, Expr, Num

if TYPE_CHECKING:
    import numpy as np

Derivative = Callable[[Expr, Expr], Expr]


@dataclass(frozen=True)
class Code:
    """How generated code computes a function: ``call`` is a template with ``{xp}`` (the
    backend's array module: np, jnp, torch, da) and ``{x}`` (the argument); ``helper``, when
    set, is the source of a function named ``helper_name`` that the call uses (a ``{xp}``
    template), added once to the generated module."""

    call: str
    helper: str | None = None
    helper_name: str | None = None


@dataclass(frozen=True)
class Elementwise:
    """One elementwise function ``f``, applied entry by entry to a scalar, vector or matrix."""

    name: str
    derivative: Derivative          # f'(x) given x and fx = f(x), elementwise
    numpy: Callable[[np.ndarray], np.ndarray]  # also on complex arrays (complex-step check)
    fold: Callable[[float], float]  # f on a Python float (constant folding)
    latex: str                      # LaTeX with {x} for the argument's LaTeX
    latex_commands: tuple[str, ...] = ()  # LaTeX input: commands meaning f (\tanh)
    latex_words: tuple[str, ...] = ()     # LaTeX input: words meaning f (\operatorname{relu})
    code: Mapping[str, Code] = field(default_factory=dict)  # "default" and per backend
    zero_at_zero: bool = False     # f(0) = 0: f of a zero matrix is that zero matrix
    # SymPy's spelling (matdiff.to_sympy / from_sympy): the name of its function when it has
    # one (None: the same name), else f(t) built from the sympy module and a symbol t
    sympy: str | Callable[[Any, Any], Any] | None = None

    @property
    def latex_aliases(self) -> tuple[str, ...]:
        """Every LaTeX-input spelling of the function (commands and words)."""
        return self.latex_commands + self.latex_words

    def code_for(self, backend: str) -> Code:
        given = self.code.get(backend) or self.code.get("default")
        return given or Code(f"{{xp}}.{self.name}({{x}})")


def _operator(name: str) -> str:
    return "\\operatorname{{" + name + "}}\\left({x}\\right)"


def _command(name: str) -> str:
    return "\\" + name + "\\left({x}\\right)"


# ----------------------------------------------------------------------- NumPy kernels
# (NumPy is imported when a kernel first runs: `import matdiff` stays free of it)


def _ufunc(name: str) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        import numpy as np

        return getattr(np, name)(x)

    kernel.__name__ = name
    return kernel


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only taken of -|x| for real x."""
    import numpy as np

    if np.iscomplexobj(x):
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), stably for real x."""
    import numpy as np

    if np.iscomplexobj(x):
        return np.log(1.0 + np.exp(x))
    return np.logaddexp(0.0, x)


def _relu(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.maximum(x, 0.0)


SIGMOID_HELPER = '''
def _sigmoid(x):
    """1/(1 + exp(-x)) without overflow: exp of -|x| only."""
    e = {xp}.exp(-{xp}.abs(x))
    return {xp}.where(x >= 0, 1.0, e) / (1.0 + e)
'''

_TWO = Num(2)

RECORDS: tuple[Elementwise, ...] = (
    Elementwise("exp", lambda x, fx: fx, _ufunc("exp"), math.exp, _command("exp"), ("exp",)),
    Elementwise("log", lambda x, fx: A.elem_pow(x, A.MINUS_ONE), _ufunc("log"), math.log,
                _command("log"), ("log", "ln")),
    Elementwise("sin", lambda x, fx: F.func("cos", x), _ufunc("sin"), math.sin, _command("sin"),
                ("sin",), zero_at_zero=True),
    Elementwise("cos", lambda x, fx: A.neg(F.func("sin", x)), _ufunc("cos"), math.cos,
                _command("cos"), ("cos",)),
    Elementwise("tan", lambda x, fx: A.add(A.ONE, A.elem_pow(fx, _TWO)), _ufunc("tan"), math.tan,
                _command("tan"), ("tan",), zero_at_zero=True),
    Elementwise("tanh", lambda x, fx: A.sub(A.ONE, A.elem_pow(fx, _TWO)), _ufunc("tanh"),
                math.tanh, _command("tanh"), ("tanh",), zero_at_zero=True),
    Elementwise("sinh", lambda x, fx: F.func("cosh", x), _ufunc("sinh"), math.sinh,
                _command("sinh"), ("sinh",), zero_at_zero=True),
    Elementwise("cosh", lambda x, fx: F.func("sinh", x), _ufunc("cosh"), math.cosh,
                _command("cosh"), ("cosh",)),
    Elementwise("sqrt", lambda x, fx: A.mul(Num(Fraction(1, 2)), A.elem_pow(fx, A.MINUS_ONE)),
                _ufunc("sqrt"), math.sqrt, "\\sqrt{{{x}}}", latex_words=("sqrt",),
                zero_at_zero=True),
    Elementwise("abs", lambda x, fx: F.func("sign", x), _ufunc("abs"), abs, "\\left|{x}\\right|",
                sympy="Abs",
                latex_words=("abs",), zero_at_zero=True),
    Elementwise("sign", lambda x, fx: A.zero(x.shape), _ufunc("sign"),
                lambda v: float((v > 0) - (v < 0)), _operator("sign"), ("sgn",), ("sign",),
                zero_at_zero=True),
    Elementwise("sigmoid", lambda x, fx: A.hadamard(fx, A.sub(A.ONE, fx)), _sigmoid,
                lambda v: 1 / (1 + math.exp(-v)), "\\sigma\\left({x}\\right)",
                latex_words=("sigmoid",),
                code={"default": Code("_sigmoid({x})", SIGMOID_HELPER, "_sigmoid"),
                      "jax": Code("jax.nn.sigmoid({x})"),
                      "torch": Code("torch.sigmoid({x})")},
                sympy=lambda sp, t: 1 / (1 + sp.exp(-t))),
    Elementwise("softplus", lambda x, fx: F.func("sigmoid", x), _softplus,
                lambda v: math.log1p(math.exp(v)), _operator("softplus"),
                latex_words=("softplus",),
                code={"default": Code("{xp}.logaddexp(0.0, {x})"),
                      "jax": Code("jax.nn.softplus({x})"),
                      # log(1 + exp(x)) = logaddexp(x, 0), stable
                      "torch": Code("torch.logaddexp({x}, torch.zeros((), dtype=torch.float64))")},
                sympy=lambda sp, t: sp.log(1 + sp.exp(t))),
    Elementwise("relu", lambda x, fx: F.func("sign", fx), _relu,  # f' is the step, 0 at 0
                lambda v: max(v, 0.0), _operator("relu"), latex_words=("relu", "ReLU"),
                code={"default": Code("{xp}.maximum({x}, 0.0)"),
                      "torch": Code("torch.relu({x})")},
                zero_at_zero=True,
                sympy=lambda sp, t: sp.Max(t, 0)),
)


ELEMENTWISE: dict[str, Elementwise] = {}


def register(record: Elementwise) -> Elementwise:
    """Make ``record`` known to every pass (the IR's ``Func`` accepts its name from now on)."""
    ELEMENTWISE[record.name] = record
    FUNCTIONS[record.name] = record
    return record


def unregister(name: str) -> None:
    """Forget a function registered with :func:`register` (tests register throwaway ones)."""
    del ELEMENTWISE[name]
    del FUNCTIONS[name]


for _record in RECORDS:
    register(_record)
