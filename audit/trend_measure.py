"""Measure the collapse quantities of one sample (a generation, or the reference) against the real base.

:class:`Baseline` fixes, once per ``trend`` run, everything taken from the real base rows: the tail cut-offs
and variances of the numeric columns, the rare categories, a seeded sample of base rows as vectors, the
vocabulary of a sample of base texts. :func:`measure` then computes every quantity of one sample of
``matched`` rows (the same count for every generation and the reference, since coverage, survival and
vocabulary grow with the number of rows). The quantities are defined in :mod:`synthaudit.stats.collapse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.encoding import RowEncoder
from synthaudit.stats.collapse import (
    Estimate,
    coverage_and_recall,
    group_labels,
    presence_null_se,
    rare_category_survival,
    tail_cutoffs,
    tail_mass,
    text_diversity,
    variance_ratio,
    vendi_ratio,
)
from synthaudit.stats.distances import column_distance, present_numbers

__all__ = [
    "KNN_CAP",
    "KNN_K",
    "NARROW_TAIL_MIN_ROWS",
    "RARE_SHARE",
    "ROW_CAP",
    "Baseline",
    "Sample",
    "build_baseline",
    "measure",
]

ROW_CAP = 20_000
"""Rows per generation and reference sample at most (a seeded sample beyond)."""
KNN_CAP = 3_000
"""Rows per side for coverage, recall and Vendi at most (a seeded sample of the matched rows beyond)."""
KNN_K = 5
"""Neighbours that set a k-NN ball's radius (Naeem et al. 2020's default)."""
RARE_SHARE = 0.01
"""A category is rare when under this share of the real base rows."""
NARROW_TAIL_MIN_ROWS = 10_000
"""Matched rows from which the tails are cut at the 1st / 99th percentiles (below: 5th / 95th)."""
MIN_VECTOR_ROWS = 50
"""Fewest matched rows for the neighbourhood quantities."""


@dataclass(frozen=True)
class Sample:
    """One side measured: ``frame`` (``matched`` rows) and its rows as vectors (up to :data:`KNN_CAP` rows)."""

    name: str
    frame: pd.DataFrame
    vectors: np.ndarray | None


@dataclass
class Baseline:
    """What every measurement compares against, taken from the real base rows once."""

    matched: int
    tails: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    """column → (low cut-off, high cut-off, quantile level, base tail mass)."""
    length_tails: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    """text column → the same, for the texts' lengths in words."""
    variances: dict[str, float] = field(default_factory=dict)
    rare: dict[str, list[str]] = field(default_factory=dict)
    rare_shares: list[float] = field(default_factory=list)
    comparable: tuple[str, ...] = ()
    roles: dict[str, Role] = field(default_factory=dict)
    base: pd.DataFrame | None = None
    vectors: np.ndarray | None = None
    texts: tuple[str, ...] = ()
    vocabulary: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _numbers(values: pd.Series) -> np.ndarray:
    numbers = present_numbers(values)
    return numbers[np.isfinite(numbers)]


def _texts(values: pd.Series) -> list[str]:
    return values.dropna().astype(str).tolist()


def _word_counts(values: pd.Series) -> np.ndarray:
    """Length in words of each present text (a collapsing text generator loses the shortest and longest first)."""
    return np.array([len(t.split()) for t in _texts(values)], dtype=float)


def _cut_tails(values: np.ndarray, wide: bool) -> tuple[float, float, float, float] | None:
    """``(low, high, level, base mass)`` at the 5th/95th percentiles (1st/99th unless ``wide``), or ``None``."""
    for level in (0.05,) if wide else (0.01, 0.05):
        cut = tail_cutoffs(values, level)
        if cut is not None:
            return cut[0], cut[1], level, cut[2]
    return None


def row_vectors(ctx: AuditContext, encoder: RowEncoder, frame: pd.DataFrame, embed_text: bool) -> np.ndarray:
    """Rows of ``frame`` as vectors: the shared row encoding, then (optionally) one text embedding per column.

    The same layout as :meth:`AuditContext.distance_vectors` (unit embeddings, zeros where text is missing),
    for rows that need not be a whole frame of the context.
    """
    parts = [encoder.transform(frame)] if encoder.n_features else []
    if embed_text and ctx.text_unmeasured_reason is None:
        for column in ctx.data.text:
            present = frame[column].notna().to_numpy()
            vectors = ctx.embed_texts(frame[column][present].astype(str).tolist(), what=f"trend {column}")
            block = np.zeros((len(frame), ctx.embedder.dimension), dtype=np.float32)
            block[present] = vectors
            parts.append(block)
    if not parts:
        return np.zeros((len(frame), 0), dtype=np.float32)
    return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)


def make_sample(
    ctx: AuditContext, encoder: RowEncoder, frame: pd.DataFrame, name: str, matched: int, embed_text: bool
) -> Sample:
    """A seeded sample of ``matched`` rows of ``frame`` and the vectors of up to :data:`KNN_CAP` of them."""
    rows = ctx.sample_rows(frame, matched, f"trend.rows.{name}")
    vectors = None
    if matched >= MIN_VECTOR_ROWS and (encoder.n_features or (embed_text and ctx.data.text)):
        knn_rows = ctx.sample_rows(rows, min(matched, KNN_CAP), f"trend.knn.{name}")
        vectors = row_vectors(ctx, encoder, knn_rows, embed_text)
        if vectors.shape[1] == 0:
            vectors = None
    return Sample(name, rows, vectors)


def build_baseline(ctx: AuditContext, encoder: RowEncoder, matched: int, embed_text: bool) -> Baseline:
    """Everything taken from the real base rows (``ctx.frame("base")``): see :class:`Baseline`."""
    base = ctx.frame("base")
    out = Baseline(matched=matched, comparable=ctx.comparable_columns, roles=dict(ctx.roles), base=base)
    wide = matched < NARROW_TAIL_MIN_ROWS
    for column in ctx.columns_with(Role.NUMERIC, Role.DATETIME):
        values = _numbers(base[column])
        if len(values) < 2 or not float(np.var(values)) > 0:
            out.notes.append(f"numeric column {column!r} is constant in the real data: no tails or variance to lose")
            continue
        out.variances[column] = float(np.var(values, ddof=1))
        cut = _cut_tails(values, wide)
        if cut is not None:
            out.tails[column] = cut
        else:
            out.notes.append(f"numeric column {column!r} has too few distinct values for tails beyond its quantiles")
    for column in ctx.columns_with(Role.CATEGORICAL):
        shares = base[column].dropna().astype(str).value_counts(normalize=True)
        rare = shares[shares < RARE_SHARE]
        if len(rare):
            out.rare[column] = sorted(str(c) for c in rare.index)
            out.rare_shares.extend(float(rare[c]) for c in out.rare[column])
    out.texts = tuple(ctx.data.text)
    for column in out.texts:
        cut = _cut_tails(_word_counts(base[column]), wide)
        if cut is not None:
            out.length_tails[column] = cut
        else:
            out.notes.append(f"text column {column!r} has too few distinct lengths for tails beyond its quantiles")
    base_sample = make_sample(ctx, encoder, base, "base", matched, embed_text)
    out.vectors = base_sample.vectors
    for column in out.texts:
        texts = _texts(base_sample.frame[column])
        labels = group_labels(len(texts), ctx.rng(f"trend.jackknife.base.{column}"))
        out.vocabulary[column] = text_diversity(texts, labels)[1].value
    return out


def measure(ctx: AuditContext, baseline: Baseline, sample: Sample, *, reference: bool = False) -> dict[str, Estimate]:
    """Every collapse quantity of ``sample`` (name → estimate), against ``baseline``.

    With ``reference``, the standard errors are the null ones (what a sample of the real population at this
    size varies by): analytic from the real shares for rare-category survival, else the reference's own.
    """
    frame = sample.frame
    out: dict[str, Estimate] = {}
    for column, (low, high, _, _) in baseline.tails.items():
        out[f"tail_mass:{column}"] = tail_mass(_numbers(frame[column]), low, high)
    for column, (low, high, _, _) in baseline.length_tails.items():
        out[f"length_tail_mass:{column}"] = tail_mass(_word_counts(frame[column]), low, high)
    for column, variance in baseline.variances.items():
        out[f"variance_ratio:{column}"] = variance_ratio(_numbers(frame[column]), variance)
    if baseline.rare:
        survival = rare_category_survival([frame[c] for c in baseline.rare], list(baseline.rare.values()))
        if reference:
            survival = Estimate(survival.value, presence_null_se(np.asarray(baseline.rare_shares), len(frame)))
        out["rare_category_survival"] = survival
    if baseline.vectors is not None and sample.vectors is not None:
        labels = group_labels(len(sample.vectors), ctx.rng(f"trend.jackknife.{sample.name}"))
        coverage, recall = coverage_and_recall(baseline.vectors, sample.vectors, KNN_K, labels)
        out["coverage"], out["recall"] = coverage, recall
        out["vendi_ratio"] = vendi_ratio(baseline.vectors, sample.vectors, labels)
    if baseline.comparable and baseline.base is not None:
        worst = max(
            (column_distance(baseline.base[c], frame[c], baseline.roles[c]) for c in baseline.comparable),
            key=lambda d: d[0],
        )
        out["fidelity_distance"] = Estimate(worst[0], worst[1])
    for column in baseline.texts:
        texts = _texts(frame[column])
        labels = group_labels(len(texts), ctx.rng(f"trend.jackknife.{sample.name}.{column}"))
        distinct, vocabulary = text_diversity(texts, labels)
        base_vocabulary = baseline.vocabulary.get(column) or 1.0
        out[f"distinct_2:{column}"] = distinct
        out[f"vocabulary_ratio:{column}"] = Estimate(
            vocabulary.value / base_vocabulary, vocabulary.se / base_vocabulary
        )
    return out
