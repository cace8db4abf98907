"""Thread limits for small model fits.

scikit-learn's histogram gradient boosting parallelises every boosting iteration with OpenMP. On the few
thousand rows the audit's classifiers train on, the per-iteration work is too small to share: measured on the
2-core machines this project targets, fitting 100 iterations on 8,000 rows × 20 features took 2.7–2.9 s wall
on one thread against 6.3–8.1 s on two (passive OpenMP waiting, a loaded machine), and twice the CPU time.
The fitted models and their predictions do not depend on the number of threads (histograms are summed per
feature), so limiting threads changes speed only, never a value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SMALL_FIT_ROWS", "one_openmp_thread"]

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
