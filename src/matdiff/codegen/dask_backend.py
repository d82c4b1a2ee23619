"""The Dask backend: the same function on ``dask.array`` inputs (row-chunked data),
built as one lazy graph in which shared temporaries are computed once.

``f(..., compute=True)`` computes every output in one ``dask.compute`` call (on the
current scheduler, a ``dask.distributed`` cluster if a Client is active);
``compute=False`` returns the lazy arrays.  NumPy inputs are wrapped as one-chunk
dask arrays.  Constructs dask.array lacks (determinants, slogdet, block-diagonal
Kronecker scatters, eigh and matrix functions; it has the SVD) raise
``UnsupportedError`` when the code is generated.
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

    # -- matrix and spectral functions: dask.array has the SVD only
    def column_signs(self) -> None:
        self.helper("_column_signs", '''
            def _column_signs(v):
                """+1 or -1 per column: each column's largest-magnitude entry made positive
                (picked by a mask: dask.array has no fancy indexing by arrays)."""
                i = da.argmax(abs(v), axis=0)
                top = (v * (da.arange(v.shape[0])[:, None] == i[None, :])).sum(axis=0)
                return da.where(top < 0, -1.0, 1.0)
        ''')

    def svd_call(self, x: str) -> str:  # tall-and-skinny or one chunk (dask's TSQR)
        return f"da.linalg.svd({x})"

    def svdvals_call(self, x: str) -> str:
        return f"da.linalg.svd({x})[1]"

    def decomp(self, kind: str, x: str) -> str:
        if kind in ("eigh", "eigvalsh"):
            self.unsupported("eigvals/eigvecs or a function of a symmetric matrix "
                             "(dask.array has no eigh)")
        return super().decomp(kind, x)

    def matfun(self, name: str, x: str) -> str:
        self.unsupported(f"{name}(...) (dask.array has no matrix functions)")

    def frechet(self, name: str, x: str, e: str, with_value: bool) -> str:
        self.unsupported(f"d{name}(...) (dask.array has no matrix functions)")

    def sylvester(self, r: str, e: str) -> str:
        self.unsupported("dsqrtm(...) (dask.array has no matrix functions)")

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
