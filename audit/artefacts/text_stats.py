"""Per-text statistics (length, vocabulary) and shared openings: plain numbers that fidelity and diversity compare.

Every text is normalised by the one normaliser of :mod:`synthaudit.artefacts.minhash` and cut into tokens at
white space (words, punctuation dropped). Per text:

``chars``
    length of the raw text in characters (≥ 0).
``tokens``
    number of tokens (words) of the normalised text (≥ 0).
``type_token_ratio``
    distinct tokens / tokens, in (0, 1]; lower means the text repeats its own words (NaN without tokens).
``oov_share``
    share of the text's tokens that never occur in the *real vocabulary*: the base (real) texts, leaving the
    text itself out when it is one of them (leave-one-text-out, so real texts are measured exactly as
    unseen texts are; an unseen text equal to a real text leaves one copy out, as that text's real copies
    do). In [0, 1]; a generator that invents or garbles words raises it (NaN without tokens).
``mean_log_frequency``
    mean over the text's tokens of ``ln((c + 1) / (N + V))``, with ``c`` the token's count in the real
    vocabulary (leave-one-text-out), ``N`` its number of tokens and ``V`` its number of distinct tokens
    (add-one smoothing). At most 0; lower means rarer words (NaN without tokens).

Each statistic is a distribution over texts; the fidelity checks compare its distribution on the synthetic
texts with that on real texts the generator never saw, exactly as a numeric column.

Openings: the first ``k`` tokens of a text. :func:`shared_openings` gives the share of texts whose opening
another text of the same sample shares, and the most repeated openings: templates and boilerplate ("as an ai
language model …", "sure here is …").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthaudit.artefacts.minhash import normalise_texts

__all__ = [
    "LENGTH_STATISTICS",
    "MEASURED_AS",
    "STATISTICS",
    "Openings",
    "Vocabulary",
    "shared_openings",
    "statistic_column",
    "text_statistics",
    "tokenise",
]

STATISTICS = ("chars", "tokens", "type_token_ratio", "oov_share", "mean_log_frequency")
"""Names of the per-text statistics, in the order of :func:`text_statistics`' columns."""
LENGTH_STATISTICS = ("chars", "tokens")
"""The statistics that measure length; the others measure vocabulary."""
MEASURED_AS = "text (length, vocabulary)"
"""How a text column is recorded in a result's ``columns`` when these statistics measured it."""


def statistic_column(column: str, statistic: str) -> str:
    """The name a per-text statistic of a text column takes in per-column tables: ``"<column>:<statistic>"``."""
    return f"{column}:{statistic}"


def tokenise(normalised: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(tokens, counts)``: the white-space tokens of normalised texts, concatenated (object array), and per text."""
    counts = np.fromiter((t.count(" ") + 1 if t else 0 for t in normalised), dtype=np.int64, count=len(normalised))
    flat = " ".join(t for t in normalised if t).split(" ") if counts.sum() else []
    return np.asarray(flat, dtype=object), counts


@dataclass(frozen=True)
class Vocabulary:
    """Token counts of the real (base) texts and the texts themselves.

    ``index``: distinct tokens; ``counts``: their counts, aligned; ``total``: tokens; ``texts``: the distinct
    normalised base texts.
    """

    index: pd.Index
    counts: np.ndarray
    total: int
    texts: pd.Index = field(default_factory=lambda: pd.Index([], dtype=object))

    @classmethod
    def fit(cls, texts: pd.Series) -> Vocabulary:
        """Count the tokens of the non-missing ``texts``."""
        normalised = normalise_texts(texts.dropna().astype(str).tolist())
        tokens, _ = tokenise(normalised)
        counted = pd.Series(tokens, dtype=object).value_counts(sort=False)
        distinct = pd.Index(pd.unique(pd.Series(normalised, dtype=object)), dtype=object)
        return cls(pd.Index(counted.index), counted.to_numpy(dtype=np.int64), len(tokens), distinct)


def text_statistics(values: pd.Series, vocabulary: Vocabulary, *, in_vocabulary: bool) -> pd.DataFrame:
    """The per-text statistics of :data:`STATISTICS` for every row of ``values`` (NaN where the text is missing).

    ``in_vocabulary``: the texts are the ones ``vocabulary`` was counted on; each text's own tokens are then
    left out of the counts it is measured against (leave-one-text-out). Otherwise a text that repeats a base
    text verbatim (after normalisation) is measured like that base text, one copy of it left out: a text
    repeated across the corpus (a system prompt, boilerplate, "Thank you.") then gets exactly the value its
    real copies get, instead of one shifted by a count of one, which on such an atom of identical values moved
    the KS distance by the atom's whole mass (0.53 for a chat file's two system prompts, held-out real rows
    against real rows). Indexed like ``values``.
    """
    out = pd.DataFrame(np.nan, index=values.index, columns=list(STATISTICS), dtype=np.float64)
    present = values.dropna().astype(str)
    if present.empty:
        return out
    raw = present.tolist()
    normalised = normalise_texts(raw)
    tokens, counts = tokenise(normalised)
    own = (
        np.ones(len(raw), dtype=bool)
        if in_vocabulary
        else pd.Index(normalised, dtype=object).isin(vocabulary.texts) & (counts > 0)
    )
    n = len(raw)
    owner = np.repeat(np.arange(n), counts)
    codes, _ = pd.factorize(tokens)
    width = int(codes.max()) + 1 if len(codes) else 1
    pair = owner.astype(np.int64) * width + codes
    distinct_pairs, pair_inverse, pair_counts = np.unique(pair, return_inverse=True, return_counts=True)
    distinct_per_text = np.bincount(distinct_pairs // width, minlength=n)
    found = vocabulary.index.get_indexer(pd.Index(tokens)) if len(tokens) else np.zeros(0, dtype=np.int64)
    known = vocabulary.counts[np.maximum(found, 0)] if len(vocabulary.counts) else np.zeros(len(found), np.int64)
    count = np.where(found >= 0, known, 0)
    corpus = np.full(len(tokens), float(vocabulary.total))
    if own.any():
        left_out = own[owner]
        count = count - np.where(left_out, pair_counts[pair_inverse], 0)
        corpus = corpus - np.where(left_out, counts[owner], 0)
    vocabulary_size = float(len(vocabulary.counts))
    log_frequency = np.log((count + 1.0) / np.maximum(corpus + vocabulary_size, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        by_text = np.maximum(counts, 1)
        has_tokens = counts > 0
        stats = {
            "chars": present.str.len().to_numpy(dtype=np.float64),
            "tokens": counts.astype(np.float64),
            "type_token_ratio": np.where(has_tokens, distinct_per_text / by_text, np.nan),
            "oov_share": np.where(has_tokens, np.bincount(owner, weights=count <= 0, minlength=n) / by_text, np.nan),
            "mean_log_frequency": np.where(
                has_tokens, np.bincount(owner, weights=log_frequency, minlength=n) / by_text, np.nan
            ),
        }
    out.loc[present.index, list(STATISTICS)] = np.column_stack([stats[s] for s in STATISTICS])
    return out


@dataclass(frozen=True)
class Openings:
    """Shared openings of one sample of texts.

    ``shared``: per text, whether another text of the sample starts with the same ``k`` tokens (texts with
    fewer than ``k`` tokens never do); ``group_sizes``: sizes of the groups of texts sharing an opening (2 or
    more), largest first; ``top``: the most repeated openings as ``(opening, count)``, largest first.
    """

    shared: np.ndarray
    group_sizes: np.ndarray
    top: tuple[tuple[str, int], ...]

    @property
    def share(self) -> float:
        """Share of texts whose opening another text shares; range [0, 1], lower is better (0 for no texts)."""
        return float(self.shared.mean()) if len(self.shared) else 0.0

    @property
    def null_variance(self) -> float:
        """Variance of :attr:`share` when groups occur independently: Σ size² / n² (a group counts whole)."""
        n = len(self.shared)
        return float(np.sum(self.group_sizes.astype(np.float64) ** 2)) / (n * n) if n else 0.0


def shared_openings(normalised: Sequence[str], k: int, top: int = 5) -> Openings:
    """The openings (first ``k`` tokens) of normalised texts that at least two texts of the sample share."""
    openings = pd.Series([" ".join(t.split(" ")[:k]) if t.count(" ") >= k - 1 and t else None for t in normalised])
    sizes = openings.map(openings.value_counts())
    shared = (sizes.fillna(0).to_numpy() >= 2) if len(openings) else np.zeros(0, dtype=bool)
    counts = openings.value_counts()
    counts = counts[counts >= 2]
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return Openings(
        shared=shared,
        group_sizes=np.array([c for _, c in ordered], dtype=np.int64),
        top=tuple((str(o), int(c)) for o, c in ordered[:top]),
    )
