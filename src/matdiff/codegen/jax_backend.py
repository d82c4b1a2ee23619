"""The JAX backend: jax.numpy, float64, the function compiled with ``jax.jit``.

Shapes are static under ``jit``, so the shape checks and the run-time choice of
a chain order are Python decisions taken once per input shape, at tracing.
A block-diagonal Kronecker term is a scatter-add (``.at[...].add``).
"""

from __future__ import annotations

from .backend_base import Backend


class JaxBackend(Backend):
    name = "jax"
    xp = "jnp"
    imports = ("import numpy as np", "import jax", "import jax.numpy as jnp")
    transposed_matvec_copies = True

    def preamble(self) -> list[str]:
        return ['\n# matdiff computes in float64, as NumPy does\n'
                'jax.config.update("jax_enable_x64", True)\n']

    def logsumexp(self, x: str) -> str:
        return f"jax.nn.logsumexp({x})"

    def softmax(self, x: str) -> str:
        return f"jax.nn.softmax({x})"

    def along(self, name: str, x: str, axis: int) -> str:
        return f"jax.nn.{name}({x}, axis={axis})"

    def einsum(self, spec: str, ops: list[str]) -> str:
        return f"jnp.einsum('{spec}', {', '.join(ops)})"

    def from_numpy(self, name: str) -> str:
        return f"jnp.asarray({name})"

    def diag_add(self, buf: str, sizes: str, pattern: tuple, value: str) -> list[str]:
        self.helper("_diagonal_add", '''
            def _diagonal_add(buf, sizes, pattern, value):
                """buf reshaped to sizes, plus value on the diagonal where axes share a letter
                in pattern (the block structure of a kron): a scatter-add."""
                k = max(pattern) + 1
                extent = [sizes[pattern.index(l)] for l in range(k)]
                ranges = [np.arange(extent[l]).reshape([-1 if j == l else 1 for j in range(k)])
                          for l in range(k)]
                index = tuple(ranges[l] for l in pattern)
                full = buf.reshape(sizes).at[index].add(jnp.broadcast_to(value, extent))
                return full.reshape(buf.shape)
        ''')
        return [f"{buf} = _diagonal_add({buf}, {sizes}, {pattern}, {value})"]

    def add_into(self, buf: str, value: str) -> list[str]:
        return [f"{buf} = {buf} + {value}"]

    # -- matrix and spectral functions
    def matfun(self, name: str, x: str) -> str:
        self.needs("import jax.scipy.linalg")
        if name == "expm":
            return f"jax.scipy.linalg.expm({x})"
        if name == "sqrtm":  # a Schur method, CPU only; complex even for a real result
            return f"jax.scipy.linalg.sqrtm({x}).real"
        self.unsupported("logm of a matrix not known to be symmetric (JAX has no matrix "
                         "logarithm; declared symmetric, it is computed by eigh)")

    def frechet(self, name: str, x: str, e: str, with_value: bool) -> str:
        self.needs("import jax.scipy.linalg")
        if name == "expm":
            return (f"jax.scipy.linalg.expm_frechet({x}, {e}"
                    f"{'' if with_value else ', compute_expm=False'})")
        self.unsupported("dlogm of a matrix not known to be symmetric (JAX has no matrix "
                         "logarithm; declared symmetric, it is computed by eigh)")

    def sylvester(self, r: str, e: str) -> str:
        self.needs("import jax.scipy.linalg")
        self.helper("_sylvester", '''
            def _sylvester(r, e):
                """The L with R*L + L*R = E: dsqrtm(X, E) for R = sqrtm(X)."""
                return jax.scipy.linalg.solve_sylvester(r, r, e)
        ''')
        return f"_sylvester({r}, {e})"

    def to_array(self, x: str) -> str:
        return f"jnp.asarray({x}, dtype=jnp.float64)"

    def to_numpy(self) -> str:
        return "np.asarray(x, dtype=np.float64)"

    def dim_scalar(self, d: str) -> str:
        return f"float({d})"

    def function_name(self) -> str:
        return "_f"

    def wrap_function(self, name: str) -> list[str]:
        return ["# one compilation per input shape\nf = jax.jit(_f)"]


BACKEND = JaxBackend
