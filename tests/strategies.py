"""Hypothesis strategies: random well-typed matdiff expressions, as text.

The expressions range over a fixed set of declared variables (``WHERE``)::

    A, B: matrix(n, n), S: symmetric matrix(n), C: matrix(n, m),
    x, y: vector(n), z: vector(m), a, b: scalar, P: mask(n, n)

``expression(shape)`` draws the text of an expression of the given shape,
built *typed*: every operation is chosen among those that can produce the
requested shape, and its operands are drawn recursively with the shapes the
operation needs.  A shape is a pair ``(rows, cols)`` over ``1``, ``"n"`` and
``"m"`` (all nine combinations are reachable: ``(1, "n")`` is a row vector).

Operations: variables, small constants, ``+ - *`` (matrix product, scaling),
``.* ./``, transposes, ``.^2``/``^2`` (and ``^2``, ``^3`` as matrix powers),
``exp sin cos tanh sigmoid softplus sinh cosh log sqrt``, ``tr sum norm diag``
(both ways), ``det logdet inv``, ``softmax logsumexp``, ``kron`` (of a column and
a row, and in a quadratic form ``vec(U)'*kron(K1, K2)*vec(V)``), ``vec``, the mask
``P.*``; with ``extended`` (the default) also the alternative syntax ``@ ∘ ⊙ .T``,
``X^-1``, ``abs relu sign``, ``norm(x, 1)``, ``norm(x, 2)``, ``norm1``, ``norm2``,
``2^a``, reciprocals of variables, unsized ``eye``, ``vector(1)``, ``matrix(1)``,
and a dimension name used as a scalar (``u/n``).

Numerical safety, so that the built-in check (standard normal data pushed
away from zero, ``+3I`` on square matrices) sees a smooth, finite function:

* ``log`` and ``sqrt`` only of ``1 + u.^2`` and ``1 + exp(u)``;
* elementwise division only by ``1 + u.^2``, ``1 + exp(u)`` or ``2 + cos(u)``,
  and ``/`` only by ``1 + s^2``, ``1 + exp(s)``, ``2 + cos(s)`` or a dimension;
  reciprocals, ``abs``, ``relu`` and ``sign`` only of bare variables (their
  entries are at least 0.5 away from zero);
* ``inv``, ``det`` and ``logdet`` only of ``k*eye + M*M'`` / ``k*eye + M'*M``
  (symmetric positive definite, eigenvalues >= k), or of ``A``, ``B`` (+3I);
* ``exp`` is only applied to bounded arguments (``tanh``, ``sin``, ``cos``,
  ``sigmoid`` of something) or to a bare variable, so that nested exponentials
  cannot overflow; cubes as matrix powers only of bare variables;
* ``norm`` only of ``1 + ...``-shifted or bare-variable arguments, never of
  something that may cancel to zero (``x - x``) where it is not differentiable.

Magnitudes can still explode (``det`` of a product, powers of powers); the tests
discard such draws (``assume_well_conditioned`` in test_properties.py).

Constructs once left out because of matdiff bugs are back in: the bugs are fixed.

Compound operands are always parenthesised, so the *input* never depends on
the finer precedence rules (the round-trip property tests the printer's
minimal parentheses instead).
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

DECLS = ("A, B: matrix(n, n), S: symmetric matrix(n), C: matrix(n, m), x, y: vector(n), "
         "z: vector(m), a, b: scalar, P: mask(n, n)")
WHERE = " where " + DECLS

N, M = "n", "m"
SCALAR = (1, 1)
VEC_N = (N, 1)
VEC_M = (M, 1)
ROW_N = (1, N)
ROW_M = (1, M)
MAT_NN = (N, N)
MAT_MM = (M, M)
MAT_NM = (N, M)
MAT_MN = (M, N)
ALL_SHAPES = (SCALAR, VEC_N, VEC_M, ROW_N, ROW_M, MAT_NN, MAT_MM, MAT_NM, MAT_MN)

DIFFERENTIABLE = ("A", "B", "S", "C", "x", "y", "z", "a", "b")
VECTOR_VARS = ("x", "y", "z")
MATRIX_VARS = ("A", "B", "S", "C")
SCALAR_VARS = ("a", "b")

# The variables (and transposed variables) of each shape: the leaves.  (m x m has no
# variable; small products stand in for one.)
_LEAF_VARS = {
    SCALAR: ["a", "b"],
    VEC_N: ["x", "y"],
    VEC_M: ["z"],
    ROW_N: ["x'", "y'"],
    ROW_M: ["z'"],
    MAT_NN: ["A", "B", "S", "P", "A'", "S'"],
    MAT_MM: ["(C'*C)", "(z*z')", "diag(z)", "(C'*A*C)"],
    MAT_NM: ["C", "(A*C)"],
    MAT_MN: ["C'", "(C'*B)"],
}
# Leaves without vector variables (for Jacobians, see ``no_vectors``).
_LEAF_VARS_NO_VECTORS = {
    **_LEAF_VARS,
    VEC_N: ["diag(A)", "diag(S)", "(C*diag(C'*C))"],
    VEC_M: ["diag(C'*C)", "(C'*diag(B))"],
    ROW_N: ["diag(A)'", "diag(S)'"],
    ROW_M: ["diag(C'*C)'"],
    MAT_MM: ["(C'*C)", "(C'*A*C)"],
}
# Constants of each shape.
# Constants of each shape (ones(...) too: sums of broadcast scalars keep their shape).
_LEAF_CONSTS = {
    # the dimension name n, used as a scalar, stands for its size
    SCALAR: ["2", "3", "0.5", "1/2", "3/4", "n"],
    VEC_N: [],
    VEC_M: [],
    ROW_N: [],
    ROW_M: [],
    MAT_NN: ["eye(n)"],
    MAT_MM: ["eye(m)"],
    MAT_NM: [],
    MAT_MN: [],
}
_ONES = {
    VEC_N: ["ones(n)"], VEC_M: ["ones(m)"], ROW_N: ["ones(n)'"], ROW_M: ["ones(m)'"],
    MAT_NN: ["ones(n, n)"], MAT_NM: ["ones(n, m)"], MAT_MN: ["ones(m, n)"], MAT_MM: [],
    SCALAR: [],
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_ATOM = re.compile(r"^(?:[A-Za-z_]\w*|\d+(?:\.\d+)?)'*$")

BOUNDED_FUNCS = ("sin", "cos", "tanh", "sigmoid")
SMOOTH_FUNCS = ("sin", "cos", "tanh", "sigmoid", "softplus", "exp")


def transpose_shape(shape):
    return (shape[1], shape[0])


def is_scalar(shape) -> bool:
    return shape == SCALAR


def is_square(shape) -> bool:
    return shape[0] == shape[1] and shape[0] != 1


def _balanced_parens(t: str) -> bool:
    """``t`` is one parenthesised group ``( ... )`` (the outer pair matches)."""
    if not (t.startswith("(") and t.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(t):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(t) - 1:
            return False
    return True


def atomic(t: str) -> bool:
    """Text that binds tighter than any operator: a name, a number, a call, a group."""
    if _ATOM.match(t):
        return True
    core = t.rstrip("'")
    if _balanced_parens(core):
        return True
    m = re.match(r"^[A-Za-z_]\w*(\(.*\))$", core)
    return bool(m and _balanced_parens(m.group(1)))


def wrap(t: str) -> str:
    return t if atomic(t) else f"({t})"


def variables_in(text: str) -> list[str]:
    """The differentiable variables that occur in the expression text (sorted)."""
    names = set(_NAME.findall(text.split(" where ")[0]))
    return sorted(names & set(DIFFERENTIABLE))


class _Gen:
    """One expression draw; ``draw`` is hypothesis' draw function."""

    def __init__(self, draw, *, allow_kron: bool = True, allow_dim_scalar: bool = True,
                 allow_ones: bool = True, jacobian_safe: bool = False, extended: bool = True):
        self.draw = draw
        self.allow_kron = allow_kron
        self.allow_dim_scalar = allow_dim_scalar
        self.allow_ones = allow_ones
        self.jacobian_safe = jacobian_safe
        self.extended = extended
        self.no_vectors = False  # inside a matrix, under jacobian_safe

    # -------------------------------------------------------------- helpers
    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def leaf(self, shape) -> str:
        variables = (_LEAF_VARS_NO_VECTORS if self.no_vectors else _LEAF_VARS)[shape]
        consts = _LEAF_CONSTS[shape] + (_ONES[shape] if self.allow_ones else [])
        # mostly variables: constants make most of the generated functions trivial
        if consts and (not variables or self.draw(st.integers(0, 3)) == 3):
            return self.pick(consts)
        return self.pick(variables)

    def spd(self, dim, depth) -> str:
        """A symmetric positive definite dim x dim matrix, eigenvalues >= k."""
        k = self.pick(["1", "2", "4"])
        eye = self.pick([f"eye({dim})", "eye"])
        inner = self.pick([N, M])
        form = self.pick(["MMt", "MtM"])
        if form == "MMt":
            mm = self.gen((dim, inner), depth - 1)
            prod = f"{wrap(mm)}*{wrap(mm)}'"
        else:
            mm = self.gen((inner, dim), depth - 1)
            prod = f"{wrap(mm)}'*{wrap(mm)}"
        first = self.pick([f"{k}*{eye}", f"{eye}*{k}"])
        return f"{first} + {prod}"

    def positive_denominator(self, shape, depth) -> str:
        u = wrap(self.gen(shape, depth - 1))
        form = self.pick(["sq", "exp", "cos"])
        if is_scalar(shape):
            return {"sq": f"1 + {u}^2", "exp": f"1 + exp({u})", "cos": f"2 + cos({u})"}[form]
        return {"sq": f"1 + {u}.^2", "exp": f"1 + exp({u})", "cos": f"2 + cos({u})"}[form]

    # -------------------------------------------------------------- the recursion
    def gen(self, shape, depth, root: bool = False) -> str:
        if self.jacobian_safe and not self.no_vectors and shape[0] != 1 and shape[1] != 1:
            # Matrices built without vector variables (an option, off by default: matdiff
            # once could not read a Jacobian off `exp(x*y')*y` or `diag(x*y')` wrt x).
            self.no_vectors = True
            try:
                return self.gen(shape, depth, root)
            finally:
                self.no_vectors = False
        if depth <= 0:
            return self.leaf(shape)
        ops = ["leaf", "add", "sub", "scale", "matmul", "hadamard", "ediv", "transpose",
               "neg", "func", "bounded_exp", "safe_log", "safe_sqrt", "square", "special"]
        if self.extended:
            ops += ["variety"] * 3
        # weights: scalars are mostly built from non-scalars (reductions, products), so
        # that the interesting matrix calculus is exercised
        if is_scalar(shape):
            ops += ["special"] * 8 + ["matmul"] * 3
        else:
            ops += ["special"] * 2 + ["matmul", "add", "hadamard", "scale", "scale"]
        if root:
            ops.remove("leaf")
        op = self.pick(ops)
        return getattr(self, "op_" + op)(shape, depth)

    def op_leaf(self, shape, depth):
        return self.leaf(shape)

    def op_add(self, shape, depth):
        return f"{wrap(self.gen(shape, depth - 1))} + {wrap(self.gen(shape, depth - 1))}"

    def op_sub(self, shape, depth):
        return f"{wrap(self.gen(shape, depth - 1))} - {wrap(self.gen(shape, depth - 1))}"

    def op_scale(self, shape, depth):
        s = wrap(self.gen(SCALAR, depth - 1))
        u = wrap(self.gen(shape, depth - 1))
        form = self.pick(["left", "right", "div", "ebroadcast"]
                         + (["divdim"] if self.allow_dim_scalar else []))
        if form == "left":
            return f"{s}*{u}"
        if form == "right":
            return f"{u}*{s}"
        if form == "div":
            return f"{u}/({self.positive_denominator(SCALAR, depth - 1)})"
        if form == "divdim":
            return f"{u}/{self.pick([N, M])}"  # a dimension name used as a scalar
        return f"{s}.*{u}"  # a scalar broadcast in an elementwise product

    def op_matmul(self, shape, depth):
        r, c = shape
        inner = self.pick([N, M, 1] if not is_scalar(shape) else [N, M])
        left = self.gen((r, inner), depth - 1)
        right = self.gen((inner, c), depth - 1)
        return f"{wrap(left)}*{wrap(right)}"

    def op_hadamard(self, shape, depth):
        u = self.not_eye(wrap(self.gen(shape, depth - 1)), shape)
        if shape == MAT_NN and self.pick([True, False]):
            return f"P.*{u}"
        return f"{u}.*{self.not_eye(wrap(self.gen(shape, depth - 1)), shape)}"

    def op_ediv(self, shape, depth):
        u = wrap(self.gen(shape, depth - 1))
        return f"{u}./({self.positive_denominator(shape, depth - 1)})"

    def op_transpose(self, shape, depth):
        return f"{wrap(self.gen(transpose_shape(shape), depth - 1))}'"

    def op_neg(self, shape, depth):
        return f"-{wrap(self.gen(shape, depth - 1))}"

    def op_func(self, shape, depth):
        f = self.pick(["sin", "cos", "tanh", "sigmoid", "softplus"])
        return f"{f}({self.gen(shape, depth - 1)})"

    def op_bounded_exp(self, shape, depth):
        simple = [v for v in (_LEAF_VARS_NO_VECTORS if self.no_vectors else _LEAF_VARS)[shape]
                  if re.fullmatch(r"[A-Za-z]'?", v)]
        if simple and self.pick([True, False]):
            return f"exp({self.pick(simple)})"  # a variable: entries of moderate size
        f = self.pick(BOUNDED_FUNCS)
        return f"exp({f}({self.gen(shape, depth - 1)}))"

    def op_safe_log(self, shape, depth):
        return f"log({self.positive_denominator(shape, depth)})"

    def op_safe_sqrt(self, shape, depth):
        u = wrap(self.gen(shape, depth - 1))
        return f"sqrt(1 + {u}^2)" if is_scalar(shape) else f"sqrt(1 + {u}.^2)"

    def op_square(self, shape, depth):
        u = wrap(self.gen(shape, depth - 1))
        if is_scalar(shape):
            return f"{u}^2"
        if is_square(shape) and self.pick([True, False]):
            return f"{u}^2"  # the matrix power
        return f"{self.not_eye(u, shape)}.^2"

    def not_eye(self, u: str, shape) -> str:
        """An operand of .^ or .*: constants built from eye are allowed (I.^k = I)."""
        return u

    def op_special(self, shape, depth):
        """Operations specific to the shape: reductions, diag, inv, kron, softmax, ..."""
        d = depth - 1
        options = []
        if is_scalar(shape):
            options = ["tr", "sum", "norm", "normfro", "logdet", "det", "lse", "quad", "inner",
                       "spectral", "matfun"]
            if self.allow_kron:
                options.append("kronquad")
        elif shape in (VEC_N, VEC_M):
            options = ["diag", "softmax", "vec", "invsolve"]
        elif shape in (MAT_NN, MAT_MM):
            options = ["diagm", "inv", "outer"]
            if self.allow_kron:
                options.append("kron")
        elif shape in (MAT_NM, MAT_MN):
            options = ["outer"]
            if self.allow_kron:
                options.append("kron")
        else:  # rows
            options = ["rowsoftmax", "rowvec"]
        kind = self.pick(options)
        dim = shape[0]
        if kind == "tr":
            sq = self.pick([MAT_NN, MAT_MM])
            return f"tr({self.gen(sq, d)})"
        if kind == "sum":
            return f"sum({self.gen(self.pick(ALL_SHAPES), d)})"
        if kind == "norm":
            vs = self.pick([VEC_N, VEC_M, MAT_NN, MAT_NM])
            return f"norm({self.norm_arg(vs, d)})"
        if kind == "normfro":
            vs = self.pick([MAT_NN, MAT_NM, MAT_MN])
            return f"norm({self.norm_arg(vs, d)}, 'fro')"
        if kind == "logdet":
            return f"logdet({self.spd(self.pick([N, M]), d)})"
        if kind == "det":
            return f"det({self.spd(self.pick([N, M]), d)})"
        if kind == "lse":
            return f"logsumexp({self.gen(self.pick([VEC_N, VEC_M]), d)})"
        if kind == "quad":
            r, c = self.pick([N, M]), self.pick([N, M])
            u = wrap(self.gen((r, 1), d))
            mat = wrap(self.gen((r, c), d))
            v = wrap(self.gen((c, 1), d))
            return f"{u}'*{mat}*{v}"
        if kind == "inner":
            vs = self.pick([VEC_N, VEC_M])
            return f"{wrap(self.gen(vs, d))}'*{wrap(self.gen(vs, d))}"
        if kind == "spectral":  # the nuclear and spectral norms, sums of eigenvalue functions
            form = self.pick(["nuc", "two", "eiglog", "eigsq", "eigmin"])
            if form in ("nuc", "two"):
                x = self.gen(self.pick([MAT_NM, MAT_NN]), d)
                return f"norm({x}, {'2' if form == 'two' else repr('nuc')})"
            spd = self.spd(self.pick([N, M]), d)
            if form == "eiglog":
                return f"sum(log(eigvals({spd})))"
            return f"sum(eigvals({spd}).^2)" if form == "eigsq" else f"eigvals({spd})[1]"
        if kind == "matfun":  # traces of matrix functions: expm of bounded entries, logm and
            sq = self.pick([MAT_NN, MAT_MM])  # sqrtm of a positive definite matrix
            form = self.pick(["expm", "logm", "sqrtm"])
            inner = f"sin({self.gen(sq, d)})" if form == "expm" else self.spd(sq[0], d)
            weight = self.pick(["", f"{wrap(self.gen(sq, d))}*"])
            return f"tr({weight}{form}({inner}))"
        if kind == "kronquad":
            # u'*kron(K1, K2)*v with u = vec(U), v = vec(V): K1 (a1 x a2), K2 (b1 x b2),
            # U (b1 x a1), V (b2 x a2); the product dimensions meet as "a1*b1" and "b1*a1".
            a1, a2, b1, b2 = (self.pick([N, M]) for _ in range(4))
            k1 = self.gen((a1, a2), d)
            k2 = self.gen((b1, b2), d)
            u = self.gen((b1, a1), d)
            v = self.gen((b2, a2), d)
            return f"vec({u})'*kron({k1}, {k2})*vec({v})"
        if kind == "diag":
            return f"diag({self.gen((dim, dim), d)})"
        if kind == "softmax":
            return f"softmax({self.gen(shape, d)})"
        if kind == "vec":
            return f"vec({self.gen(self.pick([shape, transpose_shape(shape)]), d)})"
        if kind == "invsolve":
            return f"inv({self.spd(dim, d)})*{wrap(self.gen(shape, d))}"
        if kind == "diagm":
            return f"diag({self.gen((dim, 1), d)})"
        if kind == "inv":
            return f"inv({self.spd(dim, d)})"
        if kind == "outer":
            return f"{wrap(self.gen((shape[0], 1), d))}*{wrap(self.gen((shape[1], 1), d))}'"
        if kind == "kron":
            col = self.gen((shape[0], 1), d)
            row = self.gen((1, shape[1]), d)
            return f"kron({col}, {row})" if self.pick([True, False]) else f"kron({row}, {col})"
        if kind == "rowsoftmax":
            return f"softmax({self.gen(transpose_shape(shape), d)})'"
        if kind == "rowvec":
            return f"vec({self.gen(self.pick([shape, transpose_shape(shape)]), d)})'"
        raise AssertionError(kind)

    def along(self, shape, d):
        """A reduction or normalization along a dimension that makes ``shape``: column sums
        (dimension 1) give a row, row sums (dimension 2) a column, softmax keeps the shape."""
        rows, cols = shape
        if rows != 1 and cols != 1:
            return f"softmax({self.gen(shape, d)}, {self.pick([1, 2])})"
        f = self.pick(["sum", "mean", "logsumexp"])
        if is_scalar(shape):
            return f"mean({self.gen(self.pick([MAT_NM, VEC_N]), d)})"
        if rows == 1:  # a row: down the columns of an other x cols matrix
            return f"{f}({self.gen((self.pick([N, M]), cols), d)}, 1)"
        return f"{f}({self.gen((rows, self.pick([N, M])), d)}, 2)"

    def simple_vars(self, shape) -> list[str]:
        """Bare variables (maybe transposed) of the shape; their entries are >= 0.5 in size."""
        table = _LEAF_VARS_NO_VECTORS if self.no_vectors else _LEAF_VARS
        return [v for v in table[shape] if re.fullmatch(r"[A-OQ-Za-z]'?", v)]

    def op_variety(self, shape, depth):
        """Alternative syntax and the less common functions (``extended``)."""
        d = depth - 1
        simple = self.simple_vars(shape)
        forms = ["at", "circ", "dotT", "cube"]
        if simple:
            forms += ["recip", "abs", "relu", "sign"]
        if is_square(shape):
            forms += ["matpow3"]
        if shape == MAT_NN:
            forms += ["invvar", "unsized_eye"]
        if shape in (VEC_N, VEC_M):
            forms += ["vector1"]
        if shape in (MAT_NN, MAT_NM, MAT_MN, MAT_MM):
            forms += ["matrix1"]
        if is_scalar(shape):
            forms += ["detvar", "norm1", "norm2", "norm2fn", "norm1fn", "powvar", "hyper"]
        forms += ["along"]  # sum, mean, logsumexp, softmax along a dimension
        form = self.pick(forms)
        if form == "along":
            return self.along(shape, d)
        if form == "at":
            inner = self.pick([N, M])
            left, right = self.gen((shape[0], inner), d), self.gen((inner, shape[1]), d)
            return f"{wrap(left)} @ {wrap(right)}"
        if form == "circ":
            op = self.pick(["∘", "⊙"])
            u = self.not_eye(wrap(self.gen(shape, d)), shape)
            return f"{u} {op} {self.not_eye(wrap(self.gen(shape, d)), shape)}"
        if form == "dotT":
            return f"{wrap(self.gen(transpose_shape(shape), d))}.T"
        if form == "cube":
            u = wrap(self.gen(shape, d))
            return f"{u}^3" if is_scalar(shape) else f"{self.not_eye(u, shape)}.^3"
        if form == "recip":
            v = self.pick(simple)
            if is_scalar(shape):
                return self.pick([f"1/{v}", f"{v}^-1", f"{v}^(-2)", f"2/{v}"])
            return self.pick([f"sum(1./{v})*{self.pick(simple)}",
                              f"{self.pick(simple)}*sum({v}.^-1)", f"1./{v}", f"{v}.^-2"])
        if form == "abs":
            return f"abs({self.pick(simple)})"
        if form == "relu":
            return f"relu({self.pick(simple)})"
        if form == "sign":
            return f"sign({self.pick(simple)}).*{wrap(self.gen(shape, d))}"
        if form == "matpow3":  # of a variable only: cubes of products overflow the check
            return f"{self.pick(self.simple_vars(shape) or _LEAF_VARS[shape])}^3"
        if form == "invvar":
            v = self.pick(["A", "B"])
            return self.pick([f"inv({v})", f"{v}^-1", f"{v}^(-1)", f"inv({v}')"])
        if form == "unsized_eye":
            u = wrap(self.gen(shape, d))
            return self.pick([f"{u} + eye", f"eye + {u}", f"{u} - 2*eye"])
        if form == "vector1":
            return f"{wrap(self.gen(shape, d))} + vector(1)"
        if form == "matrix1":
            return f"{wrap(self.gen(shape, d))} - matrix(1)"
        if form == "detvar":
            v = self.pick(["A", "B"])
            return self.pick([f"det({v})", f"logdet({v})", f"logdet({v}')"])
        if form == "norm1":
            return f"norm({self.pick(['x', 'y', 'z'])}, 1)"
        if form == "norm2":
            return f"norm({self.norm_arg(self.pick([VEC_N, VEC_M]), d)}, 2)"
        if form == "norm2fn":
            return f"norm2({self.norm_arg(self.pick([VEC_N, VEC_M, MAT_NN, MAT_NM]), d)})"
        if form == "norm1fn":
            return f"norm1({self.pick(['x', 'y', 'z', 'A', 'C'])})"
        if form == "powvar":
            v = self.pick(["a", "b"])
            return self.pick([f"2^{v}", f"exp({v})^b", f"{v}^4", f"sqrt({v}^2)"])
        if form == "hyper":
            f = self.pick(["sinh", "cosh"])
            return f"{f}({self.pick(BOUNDED_FUNCS)}({self.gen(shape, d)}))"
        raise AssertionError(form)

    def norm_arg(self, shape, depth) -> str:
        """An argument that cannot vanish: a variable, or ``1 + u.^2``-like."""
        if self.pick([True, False]):
            vars_ = [v for v in _LEAF_VARS[shape] if v != "P"]
            if vars_:
                return self.pick(vars_)
        u = wrap(self.gen(shape, depth - 1))
        return f"1 + {u}.^2"


@st.composite
def expression(draw, shape=SCALAR, max_depth: int = 4, **options) -> str:
    """The text (without the where clause) of a random expression of ``shape``."""
    depth = draw(st.integers(1, max_depth))
    return _Gen(draw, **options).gen(shape, depth, root=True)


@st.composite
def expression_and_variable(draw, shape=SCALAR, variables=DIFFERENTIABLE, max_depth: int = 4,
                            **options) -> tuple[str, str]:
    """An expression of ``shape`` that contains one of ``variables``, and that variable."""
    text = draw(expression(shape, max_depth, **options))
    present = [v for v in variables_in(text) if v in variables]
    if not present:
        # make sure a variable occurs: add a term in one of them
        var = draw(st.sampled_from(list(variables)))
        text = f"{wrap(text)} + {wrap(_mention(var, shape))}"
        present = [var]
    return text, draw(st.sampled_from(present))


def _mention(var: str, shape) -> str:
    """A simple expression of ``shape`` that depends on ``var``."""
    vshape = {"A": MAT_NN, "B": MAT_NN, "S": MAT_NN, "C": MAT_NM, "x": VEC_N, "y": VEC_N,
              "z": VEC_M, "a": SCALAR, "b": SCALAR}[var]
    if vshape == shape:
        return f"sin({var})"
    if is_scalar(shape):
        return f"sum(sin({var}))"
    carrier = _LEAF_VARS_NO_VECTORS[shape][0]
    if is_scalar(vshape):
        return f"sin({var})*{carrier}"
    return f"sum(sin({var}))*{carrier}"


def _ones_args(shape) -> str:
    r, c = shape
    if c == 1:
        return f"({r})"
    if r == 1:
        return f"({c})'"
    return f"({r}, {c})"
