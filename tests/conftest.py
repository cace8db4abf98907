"""Shared fixtures: real-like data (the bundled UCI Adult example), independent clean samples of it, and
named defect injectors. The network is blocked for every test (pytest-socket, see pyproject)."""

from __future__ import annotations

import os

# Before any OpenMP runtime loads: spinning threads make busy CI machines crawl (see synthaudit.cli.main).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.embeddings import EmbeddingOptions

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "examples" / "adult"

_SHARED_EMBEDDING_GROUPS = {
    "tests/test_contract.py::test_conformance[fidelity.pairs-": "contract-pair-sample",
}
"""Tests that embed the same texts, by node-id prefix → the xdist group that keeps them on one worker (each
worker has its own embedding cache and conformance bench: on two workers the texts would be embedded twice)."""


_EMBEDDING_CACHE: list[Path] = []
"""The test run's embedding cache (set once per worker by :func:`_embedding_cache`)."""


@pytest.fixture(scope="session", autouse=True)
def _embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One embedding cache for the whole test run, shared by the xdist workers (writes are atomic): contexts
    built by :func:`make_context` on the same texts embed them once, whichever worker asks first."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    _EMBEDDING_CACHE[:] = [root / "shared-embedding-cache"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests that share embeddings in one xdist group (``--dist loadgroup``)."""
    for item in items:
        for prefix, group in _SHARED_EMBEDDING_GROUPS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def adult_population() -> pd.DataFrame:
    """All real Adult rows (training file and test file pooled): one population to sample from."""
    real = pd.read_csv(ADULT / "real.csv", engine="pyarrow")
    holdout = pd.read_csv(ADULT / "holdout.csv", engine="pyarrow")
    return pd.concat([real, holdout], ignore_index=True)


def draw_disjoint(population: pd.DataFrame, sizes: tuple[int, ...], seed: int) -> list[pd.DataFrame]:
    """Disjoint uniform samples of ``population`` (independent clean samples of one distribution)."""
    order = np.random.default_rng(seed).permutation(len(population))
    out, start = [], 0
    for size in sizes:
        out.append(population.iloc[order[start : start + size]].reset_index(drop=True))
        start += size
    return out


@pytest.fixture(scope="session")
def adult_split(adult_population: pd.DataFrame) -> Callable[..., list[pd.DataFrame]]:
    """``adult_split(seed, real=8000, holdout=4000, synth=4000)`` → [real, holdout, synth], disjoint."""

    def split(seed: int, real: int = 8000, holdout: int = 4000, synth: int = 4000) -> list[pd.DataFrame]:
        return draw_disjoint(adult_population, (real, holdout, synth), seed)

    return split


def make_context(
    real: pd.DataFrame, synth: pd.DataFrame, holdout: pd.DataFrame | None = None, *, seed: int = 0, **roles: object
) -> AuditContext:
    """An audit context over data frames, as the API builds it (embeddings cached for the test run, as the API
    caches them for the user)."""
    data = align(
        load_table(real, label="real"),
        load_table(synth, label="synthetic"),
        None if holdout is None else load_table(holdout, label="holdout"),
        **roles,  # type: ignore[arg-type]
    )
    return AuditContext(
        data, seed=seed, embedding=EmbeddingOptions(cache_dir=_EMBEDDING_CACHE[0] if _EMBEDDING_CACHE else None)
    )


# ----------------------------------------------------------------- defect injectors
def inject_exact_copies(synth: pd.DataFrame, real: pd.DataFrame, frac: float, seed: int = 0) -> pd.DataFrame:
    """Replace a share ``frac`` of synthetic rows with verbatim real rows."""
    rng = np.random.default_rng(seed)
    out = synth.copy()
    k = round(frac * len(out))
    rows = rng.choice(len(out), size=k, replace=False)
    out.iloc[rows] = real.iloc[rng.choice(len(real), size=k, replace=False)].to_numpy()
    return out


def shift_marginal(synth: pd.DataFrame, column: str, delta_sd: float) -> pd.DataFrame:
    """Shift a numeric column by ``delta_sd`` of its standard deviation."""
    out = synth.copy()
    out[column] = out[column] + delta_sd * out[column].std()
    return out


def set_constant(synth: pd.DataFrame, column: str) -> pd.DataFrame:
    """Replace a column by its most frequent value."""
    out = synth.copy()
    out[column] = out[column].mode().iloc[0]
    return out


def drop_missing(synth: pd.DataFrame, column: str, fill: object) -> pd.DataFrame:
    """A generator that never produces missing values in ``column``."""
    out = synth.copy()
    out[column] = out[column].fillna(fill)
    return out
