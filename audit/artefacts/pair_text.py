"""Prompt–response pairs as text: word overlap, responses that copy their prompt, prompts with conflicting answers.

Pure functions over two aligned series of texts (prompt ``i`` goes with response ``i``). Texts are compared
as lower-cased word tokens (runs of letters, digits and underscores), so case, punctuation and spacing do
not matter.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["complete_pairs", "conflicting_prompts", "copied_prompts", "normalise_words", "token_overlap"]

_WORD = re.compile(r"\w+")


def complete_pairs(prompts: pd.Series, responses: pd.Series) -> pd.Series:
    """Rows with both texts there: not missing and not blank (an empty response is a dropped response)."""
    return prompts.notna() & responses.notna() & _filled(prompts) & _filled(responses)


def _filled(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().ne("")


def normalise_words(values: pd.Series) -> pd.Series:
    """Lower-cased word tokens joined by single spaces (punctuation and spacing ignored)."""
    return values.astype(str).str.lower().str.findall(_WORD).str.join(" ")


def token_overlap(prompts: pd.Series, responses: pd.Series) -> np.ndarray:
    """Jaccard overlap of each prompt's and response's sets of lower-cased word tokens.

    Range [0, 1]: 0 when they share no word, 1 when they use the same words. Two empty texts overlap 0.
    """
    out = np.zeros(len(prompts))
    for i, (p, r) in enumerate(zip(normalise_words(prompts), normalise_words(responses), strict=True)):
        a, b = set(p.split()), set(r.split())
        union = len(a | b)
        out[i] = len(a & b) / union if union else 0.0
    return out


def copied_prompts(prompts: pd.Series, responses: pd.Series, min_tokens: int, overlap: float) -> np.ndarray:
    """Whether each response copies its prompt: the prompt verbatim inside it, or a near-identical word set.

    Verbatim means the prompt's word tokens (at least ``min_tokens`` of them) appear as one contiguous run
    of the response's, case and punctuation aside; near-identical means a Jaccard overlap of the word sets
    of at least ``overlap`` (:func:`token_overlap`).
    """
    p, r = normalise_words(prompts), normalise_words(responses)
    long_enough = p.str.count(" ").to_numpy() + 1 >= min_tokens
    inside = np.array([f" {a} " in f" {b} " for a, b in zip(p, r, strict=True)], dtype=bool)
    return (long_enough & inside) | (token_overlap(prompts, responses) >= overlap)


def conflicting_prompts(prompts: pd.Series, responses: pd.Series) -> tuple[np.ndarray, float]:
    """Rows whose prompt occurs again with a different response, and the mean size of their prompt groups.

    Prompts and responses are compared after :func:`normalise_words`. The group size (how many rows share the
    prompt) is the design effect of the share's standard error: a repeated prompt makes its rows count
    together.
    """
    frame = pd.DataFrame({"p": normalise_words(prompts).to_numpy(), "r": normalise_words(responses).to_numpy()})
    groups = frame.groupby("p", sort=False)["r"]
    distinct = groups.transform("nunique").to_numpy()
    sizes = groups.transform("size").to_numpy()
    flagged = distinct > 1
    return flagged, float(sizes[flagged].mean()) if flagged.any() else 1.0
