"""How a backend writes each array operation: the NumPy spelling, which the others
(``jax_backend.py`` ...) override where they differ."""

from __future__ import annotations

import re
import string
import textwrap
from typing import ClassVar, NoReturn

from ..errors import UnsupportedError
from ..ops import ELEMENTWISE


class Backend:
    """How operations are written.  Subclasses set ``xp`` and override what differs."""

    name: ClassVar[str] = "numpy"
    xp: ClassVar[str] = "np"  # the array module's name in the generated code
    imports: ClassVar[tuple[str, ...]] = ("import numpy as np",)
    supports_scatter: ClassVar[bool] = True
    # dot_mat / diagprod written with operators: their operands must be atoms
    operator_reductions: ClassVar[bool] = False
    # an einsum that sums nothing is written as a broadcast product
    broadcast_outer: ClassVar[bool] = True
    # A.T @ v (v 1-D) copies A: write it v @ A (XLA on CPU, measured 12x slower at n = 3000)
    transposed_matvec_copies: ClassVar[bool] = False

    def __init__(self) -> None:
        self.helpers: dict[str, str] = {}
        self.extra_imports: list[str] = []  # imports only some functions need (scipy)

    # -- small pieces
    def helper(self, name: str, source: str) -> str:
        self.helpers.setdefault(name, textwrap.dedent(source).strip("\n"))
        return name

    def needs(self, line: str) -> None:
        """An import line the generated module needs for what it computes."""
        if line not in self.imports and line not in self.extra_imports:
            self.extra_imports.append(line)

    def unsupported(self, what: str) -> NoReturn:
        raise UnsupportedError(f"the {self.name} backend cannot generate code for {what}")

    def zeros(self, shape_code: str) -> str:
        return f"{self.xp}.zeros({shape_code})"

    def ones(self, shape_code: str) -> str:
        return f"{self.xp}.ones({shape_code})"

    def full(self, shape_code: str, value: str) -> str:
        return f"{self.xp}.full({shape_code}, {value})"

    def eye(self, n: str) -> str:
        return f"{self.xp}.eye({n})"

    def func(self, name: str, x: str) -> str:
        """An elementwise function, as its operation record spells it for this backend.

        A spelling that is one call using its argument once is written inline; any other
        (an operator expression, the argument twice) becomes a helper function of its own,
        so that the argument is computed once and the result is an atom."""
        code = ELEMENTWISE[name].code_for(self.name)
        if code.helper is not None:
            assert code.helper_name is not None, name
            self.helper(code.helper_name, code.helper.format(xp=self.xp))
        if _is_call(code.call) and _uses_of_x(code.call) == 1:
            return code.call.format(xp=self.xp, x=x)
        wrapper = f"_{name}" if code.helper_name != f"_{name}" else f"_{name}_call"
        body = code.call.format(xp=self.xp, x="x")
        source = f"def {wrapper}(x):\n    return {body}"
        if self.helpers.setdefault(wrapper, source) != source:
            raise AssertionError(f"two helpers named {wrapper}")
        return f"{wrapper}({x})"

    def outer(self, a: str, b: str) -> str:
        return f"{self.xp}.outer({a}, {b})"

    def broadcast(self, x: str, shape_code: str) -> str:
        """``x`` repeated to ``shape``: a view where the array module has them."""
        return f"{self.xp}.broadcast_to({x}, {shape_code})"

    def dot_mat(self, a: str, b: str, b_transposed: bool) -> str:
        if b_transposed:
            return f"{self.xp}.einsum('ij,ji->', {a}, {b})"
        return f"{self.xp}.vdot({a}, {b})"

    def sum_axis(self, x: str, axis: int) -> str:
        return f"{x}.sum(axis={axis})"

    def trace(self, x: str) -> str:
        return f"{self.xp}.trace({x})"

    def det(self, x: str) -> str:
        return f"{self.xp}.linalg.det({x})"

    def logdet(self, x: str) -> str:
        return f"{self.xp}.linalg.slogdet({x})[1]"

    def inv(self, x: str) -> str:
        return f"{self.xp}.linalg.inv({x})"

    def solve(self, a: str, b: str) -> str:
        return f"{self.xp}.linalg.solve({a}, {b})"

    def diag(self, v: str) -> str:
        return f"{self.xp}.diag({v})"

    def diagpart(self, x: str) -> str:
        return f"{self.xp}.diagonal({x})"

    def diagprod(self, p: str, q: str) -> str:
        return f"{self.xp}.einsum('ij,ji->i', {p}, {q})"

    def logsumexp(self, x: str) -> str:
        xp = self.xp
        self.helper("_logsumexp", f'''
            def _logsumexp(x):
                """log(sum(exp(x))), shifted by the maximum: no overflow."""
                m = x.max()
                return m + {xp}.log({xp}.exp(x - m).sum())
        ''')
        return f"_logsumexp({x})"

    def softmax(self, x: str) -> str:
        xp = self.xp
        self.helper("_softmax", f'''
            def _softmax(x):
                """exp(x)/sum(exp(x)), shifted by the maximum: no overflow."""
                e = {xp}.exp(x - x.max())
                return e / e.sum()
        ''')
        return f"_softmax({x})"

    def softmax_from_logsumexp(self, x: str, lse: str, axis: int | None) -> str:
        """softmax of x when its logsumexp ``lse`` is at hand (one value, or one a column
        or row along axis 0 or 1): one exp, no maximum or sum again."""
        index = "" if axis is None else "[None, :]" if axis == 0 else "[:, None]"
        return f"{self.xp}.exp({x} - {lse}{index})"

    def along(self, name: str, x: str, axis: int) -> str:
        """softmax or logsumexp of a matrix along an axis (0: each column, 1: each row;
        logsumexp gives one value a column or row)."""
        xp = self.xp
        self.helper(f"_{name}_along", f'''
            def _{name}_along(x, axis):
                """{name} along an axis, shifted by the maximum there: no overflow."""
                m = x.max(axis=axis, keepdims=True)
                e = {xp}.exp(x - m)
                return {"e / e.sum(axis=axis, keepdims=True)" if name == "softmax" else
                        f"(m + {xp}.log(e.sum(axis=axis, keepdims=True))).reshape(-1)"}
        ''')
        return f"_{name}_along({x}, {axis})"

    def kron(self, a: str, b: str) -> str:
        return f"{self.xp}.kron({a}, {b})"

    def commutation(self, m: str, n: str) -> str:
        self.helper("_commutation", f'''
            def _commutation(m, n):
                """K with K @ vec(A) = vec(A.T) for an m x n matrix A (vec stacks columns)."""
                i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
                k = np.zeros((m * n, m * n))
                k[(i * n + j).reshape(-1), (j * m + i).reshape(-1)] = 1.0
                return {self.from_numpy("k")}
        ''')
        return f"_commutation({m}, {n})"

    def from_numpy(self, name: str) -> str:
        """The backend's array from the NumPy array ``name`` (built by a helper)."""
        return name

    def einsum(self, spec: str, ops: list[str]) -> str:
        return f"{self.xp}.einsum('{spec}', {', '.join(ops)}, optimize=True)"

    def diag_add(self, buf: str, sizes: str, pattern: tuple[int, ...], value: str) -> list[str]:
        """Statements adding ``value`` (indexed by distinct letters) into a diagonal view."""
        self.helper("_diagonal_view", '''
            def _diagonal_view(buf, sizes, pattern):
                """A writable view of buf reshaped to sizes, whose axes with the same letter
                in pattern are one axis (a diagonal): the block structure of a kron."""
                full = buf.reshape(sizes)
                shape, strides = [0] * (max(pattern) + 1), [0] * (max(pattern) + 1)
                for axis, letter in enumerate(pattern):
                    shape[letter] = sizes[axis]
                    strides[letter] += full.strides[axis]
                return np.lib.stride_tricks.as_strided(full, shape, strides)
        ''')
        return [f"_diagonal_view({buf}, {sizes}, {pattern})[...] += {value}"]

    def add_into(self, buf: str, value: str) -> list[str]:
        return [f"{buf} += {value}"]

    def reshape(self, x: str, sizes: str) -> str:
        return f"{x}.reshape({sizes})"

    def transpose(self, x: str) -> str:
        return f"{x}.T"

    # -- matrix and spectral functions (:mod:`.spectral`)
    def column_signs(self) -> None:
        """The helper fixing eigenvector and singular-vector signs as matdiff's evaluator
        does: each column's largest-magnitude entry positive."""
        xp = self.xp
        self.helper("_column_signs", f'''
            def _column_signs(v):
                """+1 or -1 per column: each column's largest-magnitude entry made positive."""
                i = {xp}.argmax({xp}.abs(v), axis=0)
                s = {xp}.sign(v[i, {xp}.arange(v.shape[1])])
                return {xp}.where(s == 0, 1.0, s)
        ''')

    def eigh_call(self, x: str) -> str:
        return f"{self.xp}.linalg.eigh({x})"

    def svd_call(self, x: str) -> str:
        """(U, s, V') of the thin SVD."""
        return f"{self.xp}.linalg.svd({x}, full_matrices=False)"

    def svdvals_call(self, x: str) -> str:
        return f"{self.xp}.linalg.svd({x}, compute_uv=False)"

    def decomp(self, kind: str, x: str) -> str:
        """``eigh``: (w, V) of a symmetric matrix (its symmetric part), w ascending;
        ``svd``: (U, s, V) of the thin SVD, s descending; ``eigvalsh``, ``svdvals``: the
        values alone.  Vectors have matdiff's signs."""
        if kind == "svdvals":
            return self.svdvals_call(x)
        if kind == "eigvalsh":
            self.helper("_eigvalsh", f'''
                def _eigvalsh(x):
                    """The eigenvalues of x's symmetric part, ascending."""
                    return {self.xp}.linalg.eigvalsh((x + x.T) / 2)
            ''')
            return f"_eigvalsh({x})"
        self.column_signs()
        if kind == "eigh":
            self.helper("_eigh", f'''
                def _eigh(x):
                    """(w, V): the eigenvalues of x's symmetric part, ascending, and its
                    orthonormal eigenvectors as columns (signs as matdiff's evaluator)."""
                    w, v = {self.eigh_call("(x + x.T) / 2")}
                    return w, v * _column_signs(v)
            ''')
            return f"_eigh({x})"
        self.helper("_svd", f'''
            def _svd(x):
                """(U, s, V) of the thin SVD x = U*diag(s)*V', s descending (signs as
                matdiff's evaluator: each column of U's largest entry positive)."""
                u, s, vh = {self.svd_call("x")}
                sign = _column_signs(u)
                return u * sign, s, vh.T * sign
        ''')
        return f"_svd({x})"

    def eigfun(self, name: str, eig: str) -> str:
        """f(S) = V*diag(f(w))*V' from S's eigendecomposition (w, V)."""
        self.helper("_spectral_function", '''
            def _spectral_function(eig, f):
                """f(S) = V*diag(f(w))*V' from the eigendecomposition (w, V) of S."""
                w, v = eig
                return (v * f(w)) @ v.T
        ''')
        return f"_spectral_function({eig}, {self.xp}.{name[:-1]})"

    def eigfrechet(self, name: str, eig: str, e: str) -> str:
        """The Daleckii-Krein form df(S, E) = V*(D.*(V'*E*V))*V' of the Frechet derivative,
        D the divided differences of f at the eigenvalues, in forms exact at ties."""
        xp = self.xp
        divided = {
            "expm": f"{xp}.exp(a) * {xp}.where(d == 0, 1.0, -{xp}.expm1(-d) / safe)",
            "logm": f"{xp}.where(d == 0, 1.0 / b, {xp}.log1p(d / b) / safe)",
            "sqrtm": f"1.0 / ({xp}.sqrt(a) + {xp}.sqrt(b))",
        }[name]
        fn = name[:-1]
        self.helper(f"_divided_{fn}", f'''
            def _divided_{fn}(w):
                """The divided differences ({fn}(a) - {fn}(b))/(a - b) of {fn} at each pair of
                eigenvalues, its derivative where they are equal: no cancellation when
                they are close."""
                a = {xp}.maximum(w[:, None], w[None, :])
                b = {xp}.minimum(w[:, None], w[None, :])
                d = a - b
                safe = {xp}.where(d == 0, 1.0, d)
                return {divided}
        ''')
        self.helper("_spectral_frechet", '''
            def _spectral_frechet(eig, e, divided):
                """The Frechet derivative of f at S = V*diag(w)*V' along E (Daleckii-Krein):
                V*(D.*(V'*E*V))*V', D the divided differences of f at w."""
                w, v = eig
                return v @ (divided(w) * (v.T @ e @ v)) @ v.T
        ''')
        return f"_spectral_frechet({eig}, {e}, _divided_{fn})"

    def real_helper(self) -> None:
        self.helper("_real", '''
            def _real(y):
                """A real matrix function's value: NaN where it is complex (an eigenvalue on
                the closed negative real axis, outside the principal branch)."""
                if np.iscomplexobj(y):
                    if np.abs(y.imag).max() > 1e-8 * max(1.0, np.abs(y.real).max()):
                        return np.full(y.shape, np.nan)
                    y = y.real
                return y
        ''')

    def matfun(self, name: str, x: str) -> str:
        """expm, logm or sqrtm of a square matrix (SciPy's kernels)."""
        self.needs("import scipy.linalg")
        if name == "expm":
            return f"scipy.linalg.expm({x})"
        self.real_helper()
        return f"_real(scipy.linalg.{name}({x}))"

    def frechet(self, name: str, x: str, e: str, with_value: bool) -> str:
        """dexpm(X, E) (with expm(X): a pair) by expm_frechet; dlogm(X, E) by the block form
        logm([X, E; 0, X])[1, 2]."""
        self.needs("import scipy.linalg")
        if name == "expm":
            rest = "" if with_value else ", compute_expm=False"
            return f"scipy.linalg.expm_frechet({x}, {e}{rest})"
        self.real_helper()
        self.helper("_dlogm", '''
            def _dlogm(x, e):
                """dlogm(X, E): the top right block of logm([X, E; 0, X])."""
                n = x.shape[0]
                big = np.block([[x, e], [np.zeros_like(x), x]])
                return _real(scipy.linalg.logm(big))[:n, n:]
        ''')
        return f"_dlogm({x}, {e})"

    def sylvester(self, r: str, e: str) -> str:
        """The L with R*L + L*R = E (dsqrtm(X, E), R = sqrtm(X))."""
        self.needs("import scipy.linalg")
        self.helper("_sylvester", '''
            def _sylvester(r, e):
                """The L with R*L + L*R = E: dsqrtm(X, E) for R = sqrtm(X)."""
                return scipy.linalg.solve_sylvester(r, r, e)
        ''')
        return f"_sylvester({r}, {e})"

    # -- function boundary
    def to_array(self, x: str) -> str:
        return f"np.asarray({x}, dtype=np.float64)"

    def to_scalar(self, x: str) -> str:
        return f"np.float64(np.asarray({x}, dtype=np.float64).reshape(()))"

    def to_numpy(self) -> str:
        return "np.asarray(x, dtype=np.float64)"

    def dim_scalar(self, d: str) -> str:
        return f"np.float64({d})"

    def wrap_function(self, name: str) -> list[str]:
        return []

    def header_notes(self) -> list[str]:
        return []

    def function_name(self) -> str:
        return "f"

    def extra_params(self) -> list[str]:
        return []

    def return_statement(self, returns: str) -> str:
        return f"return {returns}"

    def preamble(self) -> list[str]:
        return []

    def call_for_check(self) -> str:
        return "f"

    def shape_of(self, x: str) -> str:
        return f"tuple({x}.shape)"

    def boundary_helpers(self) -> str:
        conv = self.to_array("x")
        return textwrap.dedent(f'''
            def _matrix(x, name, text):
                x = {conv}
                if x.ndim != 2:
                    raise ValueError(f"{{name}} must be a {{text}}; got an array of shape {{tuple(x.shape)}}")
                return x


            def _vector(x, name, text, keep=False):
                x = {conv}
                shape = tuple(x.shape)
                if x.ndim == 2 and 1 in shape:
                    x = x.reshape(-1)
                if x.ndim != 1:
                    raise ValueError(f"{{name}} must be a {{text}} (a 1-D or n x 1 array); got an "
                                     f"array of shape {{shape}}")
                return (x, shape) if keep else x


            def _scalar(x, name):
                x = {conv}
                if x.ndim > 2 or tuple(x.shape) not in ((), (1,), (1, 1)):
                    raise ValueError(f"{{name}} must be a scalar; got an array of shape {{tuple(x.shape)}}")
                return x.reshape(())
        ''').strip("\n")  # noqa: E501 (the generated lines' length)


def _uses_of_x(template: str) -> int:
    """How many times a code template uses its argument ``{x}``."""
    return sum(field == "x" for _, field, _, _ in string.Formatter().parse(template))


def _is_call(template: str) -> bool:
    """Whether a code template is one call, ``name(...)`` or ``{xp}.name(...)``, whose
    parentheses close at its end (so that it binds as an atom)."""
    head = re.match(r"[\w.{}]+\(", template)
    if head is None:
        return False
    depth = 0
    for i in range(head.end() - 1, len(template)):
        depth += {"(": 1, ")": -1}.get(template[i], 0)
        if depth == 0:
            return i == len(template) - 1
    return False
