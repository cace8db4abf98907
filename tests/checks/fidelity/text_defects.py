"""Text defects for the fidelity checks: halved lengths, a changed vocabulary (BBC news sentences)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.checks.diversity.test_duplicates import text_split

__all__ = ["changed_vocabulary", "halved_lengths", "invented_words", "text_split"]


def halved_lengths(synth: pd.DataFrame) -> pd.DataFrame:
    """Every sentence cut to its first half of words (lengths halved, the words themselves real)."""
    out = synth.copy()
    out["sentence"] = [" ".join(t.split()[: max(1, len(t.split()) // 2)]) for t in out["sentence"]]
    return out


def changed_vocabulary(synth: pd.DataFrame, real: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Half the words swapped for words drawn uniformly from the real vocabulary (same lengths, rarer words)."""
    rng = np.random.default_rng(seed)
    vocabulary = sorted({w for t in real["sentence"] for w in t.split()})
    out = synth.copy()
    out["sentence"] = [
        " ".join(vocabulary[rng.integers(len(vocabulary))] if rng.random() < 0.5 else w for w in t.split())
        for t in out["sentence"]
    ]
    return out


def invented_words(synth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A fifth of the words replaced by invented words of the same length (garbled text)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    out = synth.copy()
    out["sentence"] = [
        " ".join("".join(rng.choice(letters, len(w))) if rng.random() < 0.2 else w for w in t.split())
        for t in out["sentence"]
    ]
    return out
