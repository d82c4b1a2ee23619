"""The Dask backend: the same function on ``dask.array`` inputs (row-chunked data),
built as one lazy graph in which shared temporaries are computed once.

``f(..., compute=True)`` computes every output in one ``dask.compute`` call (on the
current scheduler, a ``dask.distributed`` cluster if a Client is active);
``compute=False`` returns the lazy arrays.  NumPy inputs are wrapped as one-chunk
dask arrays.  Constructs dask.array lacks (determinants, slogdet, block-diagonal
Kronecker scatters) raise ``UnsupportedError`` when the code is generated.
"""

from __future__ import annotations

from .backend_base import Backend


class DaskBackend(Backend):
    name = "dask"
    xp = "da"
    operator_reductions = True
    imports = ("import numpy as np", "import dask", "import dask.array as da")
    supports_scatter = False

    def full(self, shape_code: str, value: str) -> str:
        return f"(da.zeros({shape_code}) + {value})"

    def outer(self, a: str, b: str) -> str:
        return f"{a}[:, None] * {b}[None, :]"

    def dot_mat(self, a: str, b: str, b_transposed: bool) -> str:
        return f"({a} * {b}{'.T' if b_transposed else ''}).sum()"

    def diagprod(self, p: str, q: str) -> str:
        return f"({p} * {q}.T).sum(axis=1)"

    def det(self, x: str) -> str:
        self.unsupported("det(...) (dask.array has no determinant)")

    def logdet(self, x: str) -> str:
        self.unsupported("logdet(...) (dask.array has no slogdet)")

    def kron(self, a: str, b: str) -> str:
        self.unsupported("a materialised kron(...)")

    def commutation(self, m: str, n: str) -> str:
        self.unsupported("a commutation matrix")

    def einsum(self, spec: str, ops: list[str]) -> str:
        return f"da.einsum('{spec}', {', '.join(ops)})"

    def to_array(self, x: str) -> str:
        return "(x if isinstance(x, da.Array) else da.asarray(np.asarray(x, dtype=np.float64)))"

    def to_numpy(self) -> str:
        return "np.asarray(x, dtype=np.float64)"

    def dim_scalar(self, d: str) -> str:
        return f"float({d})"

    def extra_params(self) -> list[str]:
        return ["compute=True"]

    def return_statement(self, returns: str) -> str:
        return (f"return dask.compute({returns}) if compute else ({returns})"
                if "," in returns else
                f"return dask.compute({returns})[0] if compute else {returns}")


BACKEND = DaskBackend
