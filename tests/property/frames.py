"""Hypothesis strategies for adversarial audit inputs, and a fast stand-in for the text embedder.

A frame is described by a small spec (row counts, one kind per column, missing-value rates, extreme values,
duplicated rows, a seed) and built from it with numpy: Hypothesis explores and shrinks the spec, which
keeps every example cheap to build and easy to read back as an ``@example``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hypothesis import strategies as st

KINDS = (
    "float",
    "int",
    "category",
    "boolean",
    "datetime",
    "text",
    "identifier",
    "constant",
    "empty",
    "unicode",
    "extreme",
    "huge_int",
    "mixed",
)
"""Column kinds: the roles an audit infers, plus degenerate and adversarial columns."""

_EXTREMES = np.array([1e308, -1e308, -0.0, 0.0, 5e-324, 1.0, -1.0, 1e-300, 2.0**53 + 1, np.inf, -np.inf])
_UNICODE = ["é", "日本語", "😀", "\u200b", "Ω≈ç", "a\tb", "\u202eevil", "<b>", "'\";--", "ß"]
_WORDS = ["the", "a", "cat", "dog", "runs", "quickly", "over", "under", "market", "prices", "rose", "fell"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its kind, the share of missing values, whether real and synthetic disagree in kind."""

    kind: str
    missing: float = 0.0


@dataclass(frozen=True)
class FrameSpec:
    """Real, synthetic and (optional) holdout frames over the same columns."""

    columns: tuple[ColumnSpec, ...]
    real_rows: int
    synth_rows: int
    holdout_rows: int = 0
    copied_share: float = 0.0
    """Share of synthetic rows that are verbatim real rows (duplicated rows across the inputs)."""
    repeated_share: float = 0.0
    """Share of synthetic rows that repeat other synthetic rows."""
    seed: int = 0
    roles: dict[str, str] = field(default_factory=dict)


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:
    if kind == "float":
        return pd.Series(rng.normal(10, 3, n))
    if kind == "int":
        return pd.Series(rng.integers(0, 50, n), dtype="int64")
    if kind == "category":
        return pd.Series(rng.choice(["a", "b", "c", "d"], n, p=[0.6, 0.3, 0.08, 0.02]), dtype=object)
    if kind == "boolean":
        return pd.Series(rng.random(n) < 0.3)
    if kind == "datetime":
        start = np.datetime64("2020-01-01T00:00:00")
        return pd.Series(start + rng.integers(0, 10**8, n).astype("timedelta64[s]"))
    if kind == "text":
        return pd.Series([" ".join(rng.choice(_WORDS, 8 + int(rng.integers(0, 6)))) for _ in range(n)], dtype=object)
    if kind == "identifier":
        return pd.Series([f"id-{v:09d}" for v in rng.permutation(10**6)[:n]], dtype=object)
    if kind == "constant":
        return pd.Series(np.full(n, 7.0))
    if kind == "empty":
        return pd.Series(np.full(n, np.nan))
    if kind == "unicode":
        return pd.Series(rng.choice(_UNICODE, n), dtype=object)
    if kind == "extreme":
        return pd.Series(rng.choice(_EXTREMES, n))
    if kind == "huge_int":
        return pd.Series([int(v) for v in rng.choice([2**63 - 1, -(2**63), 10**20, 0, 1], n)], dtype=object)
    if kind == "mixed":
        values: list[object] = [1, "two", 3.5, True, None, "2020-01-01"]
        return pd.Series([values[i] for i in rng.integers(0, len(values), n)], dtype=object)
    raise ValueError(kind)


def _frame(columns: Sequence[ColumnSpec], n: int, rng: np.random.Generator) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for position, spec in enumerate(columns):
        series = _column(spec.kind, n, rng)
        if spec.missing > 0 and n:
            mask = rng.random(n) < spec.missing
            series = series.astype(object) if series.dtype == bool else series
            series = series.mask(mask)
        data[f"{spec.kind}_{position}"] = series.reset_index(drop=True)
    return pd.DataFrame(data)


def build(spec: FrameSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The (real, synthetic, holdout) frames of ``spec``; holdout is ``None`` when it has no rows."""
    rng = np.random.default_rng(spec.seed)
    real = _frame(spec.columns, spec.real_rows, rng)
    synth = _frame(spec.columns, spec.synth_rows, rng)
    if spec.synth_rows and spec.real_rows:
        copied = int(spec.copied_share * spec.synth_rows)
        if copied:  # verbatim real rows replace synthetic ones
            kept = synth.iloc[rng.choice(spec.synth_rows, spec.synth_rows - copied, replace=False)]
            synth = pd.concat([kept, real.iloc[rng.choice(spec.real_rows, copied)]], ignore_index=True)
        repeated = int(spec.repeated_share * spec.synth_rows)
        if repeated:  # one synthetic row repeated many times
            kept = synth.iloc[: spec.synth_rows - repeated]
            synth = pd.concat([kept, synth.iloc[np.zeros(repeated, dtype=int)]], ignore_index=True)
    holdout = _frame(spec.columns, spec.holdout_rows, rng) if spec.holdout_rows else None
    return real, synth, holdout


@st.composite
def frame_specs(draw: st.DrawFn, *, min_rows: int = 20, max_rows: int = 200, max_columns: int = 5) -> FrameSpec:
    """Random frame specs: 1 to ``max_columns`` columns of any kind, missing values, duplicated rows."""
    columns = draw(
        st.lists(
            st.builds(ColumnSpec, st.sampled_from(KINDS), st.sampled_from([0.0, 0.0, 0.05, 0.5, 0.95, 1.0])),
            min_size=1,
            max_size=max_columns,
        )
    )
    rows = st.integers(min_rows, max_rows)
    return FrameSpec(
        columns=tuple(columns),
        real_rows=draw(rows),
        synth_rows=draw(rows),
        holdout_rows=draw(st.one_of(st.just(0), rows)),
        copied_share=draw(st.sampled_from([0.0, 0.0, 0.1, 1.0])),
        repeated_share=draw(st.sampled_from([0.0, 0.0, 0.5, 1.0])),
        seed=draw(st.integers(0, 2**16)),
    )


class FakeEmbedder:
    """Deterministic 16-dimensional unit vectors keyed by a text's CRC: no model, no disk, microseconds."""

    dimension = 16
    cache_hits = 0
    cache_misses = 0

    def embed(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """One unit vector per text (equal texts, equal vectors)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = np.random.default_rng(zlib.crc32(text.encode("utf-8", "surrogatepass"))).normal(size=16)
            out[row] = vector / np.linalg.norm(vector)
        if progress is not None:
            progress(len(texts), len(texts))
        return out
