"""BBC news sentences with their topic, and the text defects the model-based and group checks must catch.

Shared by the detection, utility and group-fidelity tests: one seeded split, so the three modules embed the
same texts once (an on-disk embedding cache under the worker's temporary directory; their text tests share one
xdist group, so one worker embeds the split).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.embeddings import EmbeddingOptions
from tests.checks.diversity.test_duplicates import bbc_sentences
from tests.conftest import draw_disjoint

SIZES = (600, 600, 600)
"""Real, holdout and synthetic sentences: enough for the label-noise case to clear its sampling error."""


def bbc_split(seed: int = 21) -> list[pd.DataFrame]:
    """``[real, holdout, synth]``: disjoint samples of BBC sentences (columns ``sentence`` and ``topic``)."""
    return draw_disjoint(bbc_sentences(), SIZES, seed)


def text_context(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    holdout: pd.DataFrame | None,
    cache: Path,
    *,
    seed: int = 0,
    **roles: object,
) -> AuditContext:
    """An audit context with ``sentence`` as a text column and embeddings cached in ``cache``."""
    data = align(
        load_table(real, label="real"),
        load_table(synth, label="synthetic"),
        None if holdout is None else load_table(holdout, label="holdout"),
        text=["sentence"],
        **roles,  # type: ignore[arg-type]
    )
    return AuditContext(data, seed=seed, embedding=EmbeddingOptions(cache_dir=cache))


def shuffle_words(frame: pd.DataFrame) -> pd.DataFrame:
    """Each sentence's own words in a random order: the real vocabulary, length and topic, no word order."""
    out = frame.copy()
    out["sentence"] = [
        " ".join(np.random.default_rng(zlib.crc32(t.encode())).permutation(t.split())) for t in frame["sentence"]
    ]
    return out


def noisy_labels(frame: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """The topic labels of ``share`` of the rows permuted among them: texts whose label no longer fits."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    rows = rng.choice(len(out), size=round(share * len(out)), replace=False)
    out.loc[rows, "topic"] = out.loc[rng.permutation(rows), "topic"].to_numpy()
    return out


def swap_topic(frame: pd.DataFrame, victim: str = "sports", donor: str = "business", seed: int = 0) -> pd.DataFrame:
    """The texts of one topic replaced by texts of another (drawn from the same frame), labels kept."""
    out = frame.copy()
    rows = np.flatnonzero(out["topic"] == victim)
    donors = out.loc[out["topic"] == donor, "sentence"].to_numpy()
    out.loc[rows, "sentence"] = np.random.default_rng(seed).choice(donors, size=len(rows))
    return out
