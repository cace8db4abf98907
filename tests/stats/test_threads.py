"""``one_blas_thread`` gives the one-thread BLAS value at any thread count, from the checks' worker thread too."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Runs under two BLAS threads, as on a two-core machine. The block is entered from a worker thread, as the runner
# runs every check (threadpoolctl lets only one Python thread at a time set OpenBLAS's shared limit).
_SCRIPT = """
import json, threading
import numpy as np
from threadpoolctl import threadpool_info
from synthaudit.stats.threads import one_blas_thread

def blas_threads():
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

x, y = np.random.default_rng(0).standard_normal((2, 400_000))
seen = {}

def work():
    seen["before"] = blas_threads()
    with one_blas_thread():
        seen["inside"] = blas_threads()
        seen["dot"] = float(x @ y)
    seen["after"] = blas_threads()

worker = threading.Thread(target=work)
worker.start()
worker.join()
print(json.dumps(seen))
"""


def _run(threads: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_one_blas_thread_limits_every_blas_library_from_a_worker_thread_and_restores():
    two = _run(2)
    assert two["inside"] and set(two["inside"]) == {1}, two
    assert two["after"] == two["before"], two  # the machine's setting is given back


def test_one_blas_thread_gives_the_one_thread_value_under_two_threads():
    # A long dot product: threaded BLAS sums it in one partial sum per thread, so its last bits would move.
    assert _run(2)["dot"] == _run(1)["dot"]
