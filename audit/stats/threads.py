"""Thread limits: one OpenMP thread for small model fits, one BLAS thread where a reported value needs it.

scikit-learn's histogram gradient boosting parallelises every boosting iteration with OpenMP. On the few
thousand rows the audit's classifiers train on, the per-iteration work is too small to share: measured on the
2-core machines this project targets, fitting 100 iterations on 8,000 rows × 20 features took 2.7–2.9 s wall
on one thread against 6.3–8.1 s on two (passive OpenMP waiting, a loaded machine), and twice the CPU time.
The fitted models and their predictions do not depend on the number of threads (histograms are summed per
feature), so limiting threads changes speed only, never a value.

Threaded BLAS is another matter: it splits a reduction between its threads, so the last bits of the result
depend on how many there are (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, else the core count). Measured
with OpenBLAS 0.3.31 (numpy 2.4): the dot product of two long vectors (``ddot``, which numpy's ``vecdot`` and
``@`` call, and scipy's ``wasserstein_distance`` through them) is split between the threads and their
partial sums added, and the Gram matrix XᵀX of 16,281 × ~100 rows differs in its last bits between one and
two threads. A reported value must not move with the machine's thread count, so the computations that reach
one through such a product run inside :func:`one_blas_thread`, which gives the one-thread value at any
thread count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SMALL_FIT_ROWS", "one_blas_thread", "one_openmp_thread"]

SMALL_FIT_ROWS = 50_000
"""Up to this many rows a fit or prediction counts as small and runs on one OpenMP thread."""


@contextmanager
def one_openmp_thread(rows: int = 0) -> Iterator[None]:
    """Run the block with OpenMP limited to one thread when ``rows`` ≤ :data:`SMALL_FIT_ROWS`, then restore.

    Larger work (``--full`` on big inputs) keeps every thread. BLAS and other thread pools are untouched.
    """
    if rows > SMALL_FIT_ROWS:
        yield
        return
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS library (OpenBLAS, MKL, BLIS) limited to one thread, then restore.

    For computations whose result is reported and must be bit-identical whatever the thread count (the
    module docstring says why): the block gets exactly the value it has when the process runs with one BLAS
    thread. Use it around whole computations, not single calls: entering costs about 7 ms (threadpoolctl
    looks up the loaded libraries each time). The matrices the audit multiplies inside such a block are small
    (d × d Gram matrices, vectors of a few hundred thousand numbers), where one thread is as fast as two.

    threadpoolctl lets one Python thread at a time set the limit of OpenBLAS's process-wide (pthreads) pool:
    the checks' worker thread takes that control when no other live thread holds it (threadpoolctl gives it
    back at the end of every block), which is always the case in the command line and the API unless the
    caller itself sits inside ``threadpool_limits(..., user_api="blas")`` in another thread; there the
    caller's limit stays in force.
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        yield
