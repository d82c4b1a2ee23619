"""Thread settings for the benchmarks, applied before NumPy, JAX or PyTorch is imported
(their thread pools read them once): ``--threads N`` on the command line, else one."""

from __future__ import annotations

import os
import sys


def threads_from_argv() -> int:
    """The thread count asked for (``--threads N``, default 1), set for BLAS, XLA and torch."""
    threads = 1
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            threads = int(sys.argv[i + 1])
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                          "intra_op_parallelism_threads=1" if threads == 1 else "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    return threads
