"""The same inputs and seed give byte-identical JSON (apart from ``run_info``) in separate processes.

Python salts string hashes per process (``PYTHONHASHSEED``), so anything that iterates a set or a dict built
from a set of strings — inside synthaudit or inside a library it hands data to — can change the order of a
floating-point sum and the last bits of a number. Threaded BLAS and OpenMP do the same with the number of
threads: a long dot product or a Gram matrix is summed in one partial sum per thread. Each audit runs twice
through the command line, under two different hash seeds and with one and two BLAS/OpenMP threads, and the
results must agree to the byte.

Two audits: the whole default audit on small samples of Adult (every check, cheaply), and the bundled Adult
example at its full size (32,561 real and synthetic rows, 16,281 holdout rows) restricted to the checks whose
computations go through threaded BLAS or OpenMP — at a few thousand rows the libraries do not split their
work, so only the full size shows a thread count moving a number (it did: the Vendi ratio of
``diversity.embedding`` and the Wasserstein distances of ``fidelity.drift`` moved in their 16th digit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ADULT, draw_disjoint, inject_exact_copies

SIZES = (1500, 700, 700)
"""Real, holdout and synthetic rows: small enough for two audits in well under a minute."""

THREADED_CHECKS = (
    "diversity.embedding",  # Gram matrices XᵀX of ~16k rows and their eigenvalues (BLAS)
    "fidelity.drift",  # scipy's Wasserstein distance: a dot product over both sides' 48k values (BLAS)
    "diversity.prdc",  # float32 distance products of the rows (BLAS)
    "fidelity.pairwise",  # Spearman correlations from rank products x @ xᵀ over all rows (BLAS)
)
"""The checks of the full-size audit: each one's hot path runs on threaded BLAS or OpenMP at this size."""


def _write_inputs(population: pd.DataFrame, folder: Path) -> dict[str, Path]:
    real, holdout, synth = draw_disjoint(population, SIZES, seed=7)
    # A few copied rows give the leakage checks evidence (row indices) to report, which must be stable too.
    synth = inject_exact_copies(synth, real, 0.02, seed=7)
    paths = {}
    for label, frame in (("real", real), ("holdout", holdout), ("synth", synth)):
        paths[label] = folder / f"{label}.csv"
        frame.to_csv(paths[label], index=False)
    return paths


def _audit(
    paths: dict[str, Path], folder: Path, hash_seed: int, options: list[str], report: bool
) -> subprocess.Popen[str]:
    out = folder / f"hash{hash_seed}"
    out.mkdir()
    if report:
        options = [*options, "--report", str(out / "report.html")]
    env = {
        **os.environ,
        "PYTHONHASHSEED": str(hash_seed),
        # one BLAS/OpenMP thread in the first run, two in the second: thread counts must not move a number
        "OMP_NUM_THREADS": str(hash_seed),
        "OPENBLAS_NUM_THREADS": str(hash_seed),
        "MKL_NUM_THREADS": str(hash_seed),
    }
    command = [
        sys.executable,
        "-m",
        "synthaudit",
        "check",
        str(paths["real"]),
        str(paths["synth"]),
        "--holdout",
        str(paths["holdout"]),
        "--target",
        "income",
        "--json",
        str(out / "result.json"),
        "--quiet",
        *options,
    ]
    return subprocess.Popen(command, cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _without_run_info(path: Path) -> dict:
    """The written result, in its own key order, without the ``run_info`` block (timings, host)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("run_info")
    return data


def _differing_checks(first: dict, second: dict) -> list[str]:
    pairs = zip(first.get("checks", []), second.get("checks", []), strict=False)
    return [a.get("name", "?") for a, b in pairs if a != b]


def _assert_identical_runs(paths: dict[str, Path], folder: Path, options: list[str], report: bool = False) -> dict:
    """Audit twice at once (hash seed and threads 1, then 2); the two JSON files must be the same text."""
    runs = {seed: _audit(paths, folder, seed, options, report) for seed in (1, 2)}  # both at once: half the wall time
    try:
        outputs = {seed: run.communicate(timeout=600) for seed, run in runs.items()}
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
    codes = {seed: run.returncode for seed, run in runs.items()}
    assert set(codes.values()) <= {0, 1}, outputs
    assert codes[1] == codes[2], outputs

    first, second = (_without_run_info(folder / f"hash{seed}" / "result.json") for seed in (1, 2))
    assert first["checks"], "the audit ran no check"
    differing = _differing_checks(first, second)
    assert not differing, f"results differ between hash seeds and thread counts in {differing}"
    # Key order included: the written files are the same text once run_info is taken out.
    assert json.dumps(first) == json.dumps(second)
    return first


@pytest.mark.slow
def test_json_is_identical_across_processes_and_hash_seeds(adult_population, tmp_path):
    paths = _write_inputs(adult_population, tmp_path)
    _assert_identical_runs(paths, tmp_path, [], report=True)


@pytest.mark.slow
def test_full_adult_example_is_identical_across_thread_counts(tmp_path):
    """The bundled example as ``make demo`` audits it, at full size, on the checks that use threaded libraries."""
    paths = {"real": ADULT / "real.csv", "synth": ADULT / "synthetic.csv", "holdout": ADULT / "holdout.csv"}
    options = ["--sensitive", "sex", "--sensitive", "race"]
    for name in THREADED_CHECKS:
        options += ["--only", name]
    result = _assert_identical_runs(paths, tmp_path, options)
    ran = {check["name"]: check["status"] for check in result["checks"]}
    # Each check measured something (a skip would compare nothing and prove nothing).
    assert set(ran) == set(THREADED_CHECKS), ran
    assert "skipped" not in ran.values() and "error" not in ran.values(), ran


# ----------------------------------------------------------------------------- text: embeddings and Vendi
def _run_twice(script: str, folder: Path) -> dict[int, bytes]:
    """Run ``script`` (prints nothing, writes ``out.bin`` in its working folder) under hash seed and threads 1, then 2.

    Both at once: half the wall time. Returns each run's ``out.bin``.
    """
    runs = {}
    for seed in (1, 2):
        out = folder / f"run{seed}"
        out.mkdir()
        env = {
            **os.environ,
            "PYTHONHASHSEED": str(seed),
            "OMP_NUM_THREADS": str(seed),
            "OPENBLAS_NUM_THREADS": str(seed),
            "MKL_NUM_THREADS": str(seed),
        }
        runs[seed] = subprocess.Popen(
            [sys.executable, "-c", script], cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    try:
        outputs = {seed: run.communicate(timeout=300) for seed, run in runs.items()}
    finally:
        for run in runs.values():
            run.kill()
    for seed, run in runs.items():
        assert run.returncode == 0, outputs[seed]
    return {seed: (folder / f"run{seed}" / "out.bin").read_bytes() for seed in (1, 2)}


_EMBED_SCRIPT = """
import json
import numpy as np
from synthaudit.embeddings import EmbeddingOptions, TextEmbedder
batches = json.load(open({texts!r}))
embedder = TextEmbedder(EmbeddingOptions(cache_dir=None))
with open("out.bin", "wb") as handle:
    for texts in batches:
        handle.write(embedder.embed(texts).tobytes())
"""


@pytest.mark.slow
def test_text_embeddings_are_identical_across_thread_counts(tmp_path):
    """MiniLM vectors of text lists, small ones included, are the same bytes at one and two torch threads.

    The short lists are the batches torch moved in their last bit on two threads (a few tokens in all: the
    last batch of a call, or the few new texts of a side that mostly repeats the others); the 150 BBC
    sentences make a batch of 128 (two threads) plus a remainder of 22.
    """
    from synthaudit.embeddings import EmbeddingOptions, embeddings_unavailable_reason

    if embeddings_unavailable_reason(EmbeddingOptions()) is not None:
        pytest.skip("the text extra is not installed")
    from tests.checks.diversity.test_duplicates import bbc_sentences

    sentences = sorted(bbc_sentences()["sentence"].iloc[:150].tolist(), key=lambda t: (len(t), t))
    batches = [
        sentences,
        ["a cat", "the dog sat"],
        ["yes", "no"],
        ["ok", "sure", "thanks"],
        ["Shares in the firm fell sharply."],
        ["", "", "", "", ""],
    ]
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(batches))
    first, second = _run_twice(_EMBED_SCRIPT.format(texts=str(texts)), tmp_path).values()
    assert len(first) == 4 * 384 * (150 + 2 + 2 + 3 + 1 + 5)
    assert first == second, "text embeddings differ between one and two torch threads"


_VENDI_SCRIPT = """
import numpy as np
from synthaudit.stats.collapse import group_labels, vendi_ratio
rng = np.random.default_rng(0)
base = rng.normal(size=(1200, 384)).astype(np.float32)
sample = (rng.normal(size=(600, 384)) * np.linspace(0.2, 1.0, 384)).astype(np.float32)
estimate = vendi_ratio(base, sample, group_labels(600, np.random.default_rng(1)))
open("out.bin", "wb").write(np.array([estimate.value, estimate.se]).tobytes())
"""


def test_trend_vendi_ratio_is_identical_across_thread_counts(tmp_path):
    """``synthaudit trend``'s Vendi ratio (Gram sums of 1,200 and 600 rows × 384, eigenvalues) at 1 and 2 BLAS threads.

    Embedding-sized rows as ``trend --embed-text`` gives them: on two threads the ratio of a BBC-sentence
    generation loop moved in its 15th digit before the computation ran on one BLAS thread.
    """
    first, second = _run_twice(_VENDI_SCRIPT, tmp_path).values()
    assert first == second, "the Vendi ratio differs between one and two BLAS threads"
