"""The PyTorch backend: float64 tensors (NumPy inputs are converted), eager mode."""

from __future__ import annotations

from .backend_base import Backend


class TorchBackend(Backend):
    name = "torch"
    xp = "torch"
    operator_reductions = True
    imports = ("import numpy as np", "import torch")

    def zeros(self, shape_code: str) -> str:
        return f"torch.zeros({shape_code}, dtype=torch.float64)"

    def ones(self, shape_code: str) -> str:
        return f"torch.ones({shape_code}, dtype=torch.float64)"

    def full(self, shape_code: str, value: str) -> str:
        return f"torch.full({shape_code}, float({value}), dtype=torch.float64)"

    def eye(self, n: str) -> str:
        return f"torch.eye({n}, dtype=torch.float64)"

    def dot_mat(self, a: str, b: str, b_transposed: bool) -> str:
        if b_transposed:
            return f"torch.einsum('ij,ji->', {a}, {b})"
        return f"torch.sum({a} * {b})"

    def sum_axis(self, x: str, axis: int) -> str:
        return f"{x}.sum(dim={axis})"

    def logsumexp(self, x: str) -> str:
        return f"torch.logsumexp({x}, 0)"

    def softmax(self, x: str) -> str:
        return f"torch.softmax({x}, 0)"

    def along(self, name: str, x: str, axis: int) -> str:
        return f"torch.{name}({x}, {axis})"

    def diagpart(self, x: str) -> str:
        return f"torch.diagonal({x})"

    def einsum(self, spec: str, ops: list[str]) -> str:
        return f"torch.einsum('{spec}', {', '.join(ops)})"

    def from_numpy(self, name: str) -> str:
        return f"torch.from_numpy({name})"

    def diag_add(self, buf: str, sizes: str, pattern: tuple, value: str) -> list[str]:
        self.helper("_diagonal_view", '''
            def _diagonal_view(buf, sizes, pattern):
                """A view of buf reshaped to sizes, whose axes with the same letter in pattern
                are one axis (a diagonal): the block structure of a kron."""
                full = buf.reshape(sizes)
                shape, strides = [0] * (max(pattern) + 1), [0] * (max(pattern) + 1)
                for axis, letter in enumerate(pattern):
                    shape[letter] = sizes[axis]
                    strides[letter] += full.stride(axis)
                return torch.as_strided(full, shape, strides)
        ''')
        return [f"_diagonal_view({buf}, {sizes}, {pattern}).add_({value})"]

    # -- matrix and spectral functions
    def column_signs(self) -> None:
        self.helper("_column_signs", '''
            def _column_signs(v):
                """+1 or -1 per column: each column's largest-magnitude entry made positive."""
                i = v.abs().argmax(dim=0)
                s = torch.sign(v[i, torch.arange(v.shape[1])])
                return torch.where(s == 0, torch.ones_like(s), s)
        ''')

    def svdvals_call(self, x: str) -> str:
        return f"torch.linalg.svdvals({x})"

    def matfun(self, name: str, x: str) -> str:
        if name == "expm":
            return f"torch.linalg.matrix_exp({x})"
        self.unsupported(f"{name} of a matrix not known to be symmetric (PyTorch has no "
                         f"general {name}; declared symmetric, it is computed by eigh)")

    def frechet(self, name: str, x: str, e: str, with_value: bool) -> str:
        if name != "expm":
            self.unsupported("dlogm of a matrix not known to be symmetric (PyTorch has no "
                             "general logm; declared symmetric, it is computed by eigh)")
        self.helper("_expm_frechet", '''
            def _expm_frechet(x, e):
                """(expm(X), dexpm(X, E)): the blocks of expm([X, E; 0, X])."""
                n = x.shape[0]
                big = torch.cat([torch.cat([x, e], 1), torch.cat([torch.zeros_like(x), x], 1)])
                f = torch.linalg.matrix_exp(big)
                return f[:n, :n], f[:n, n:]
        ''')
        return f"_expm_frechet({x}, {e}){'' if with_value else '[1]'}"

    def sylvester(self, r: str, e: str) -> str:
        self.unsupported("dsqrtm of a matrix not known to be symmetric (PyTorch has no "
                         "sqrtm or Sylvester solver; declared symmetric, it is computed by "
                         "eigh)")

    def to_array(self, x: str) -> str:
        return f"torch.as_tensor({x}, dtype=torch.float64)"

    def to_numpy(self) -> str:
        return ("(x.detach().numpy() if isinstance(x, torch.Tensor) "
                "else np.asarray(x, dtype=np.float64))")

    def dim_scalar(self, d: str) -> str:
        return f"torch.tensor(float({d}), dtype=torch.float64)"


BACKEND = TorchBackend
