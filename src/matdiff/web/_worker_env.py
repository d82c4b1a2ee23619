"""Imported first by the web workers' fork server, before NumPy: one BLAS thread per worker.

Each derivation runs in a worker process of its own, and there are as many workers as the
server was told to run at once; a multi-threaded BLAS in each of them competes for the same
cores, and on a busy machine a 150 x 150 inverse then takes a hundred times longer. A value
set in the environment is kept.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
