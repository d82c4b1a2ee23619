"""The NumPy backend: the reference printer (:class:`..printer.Backend` is written for it)."""

from __future__ import annotations

from .backend_base import Backend


class NumpyBackend(Backend):
    name = "numpy"
    xp = "np"
    imports = ("import numpy as np",)


BACKEND = NumpyBackend
