"""Defect injectors for the balance checks: a group under-sampled, an outcome made rarer in one group, one
group's values shifted while the overall distribution is roughly kept."""

from __future__ import annotations

import numpy as np
import pandas as pd


def undersample_group(synth: pd.DataFrame, column: str, value: str, frac: float, seed: int = 0) -> pd.DataFrame:
    """Drop a share ``frac`` of the rows where ``column == value``, then resample the rest to the original size."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero((synth[column] == value).to_numpy())
    dropped = rng.choice(rows, size=round(frac * len(rows)), replace=False)
    kept = synth.drop(index=synth.index[dropped])
    extra = kept.iloc[rng.choice(len(kept), size=len(synth) - len(kept), replace=True)]
    return pd.concat([kept, extra], ignore_index=True)


def flip_outcome(
    synth: pd.DataFrame, column: str, value: str, frac: float, *, target: str = "income", seed: int = 0
) -> pd.DataFrame:
    """Turn a share ``frac`` of the positive (``>50K``) outcomes of the group ``column == value`` negative."""
    rng = np.random.default_rng(seed)
    out = synth.copy()
    rows = np.flatnonzero(((out[column] == value) & (out[target] == ">50K")).to_numpy())
    flipped = rng.choice(rows, size=round(frac * len(rows)), replace=False)
    out.loc[out.index[flipped], target] = "<=50K"
    return out


def shift_within_group(
    synth: pd.DataFrame, column: str, value: str, years: float, *, group: str = "sex"
) -> pd.DataFrame:
    """Add ``years`` to ``column`` inside the group ``group == value`` and subtract the amount that keeps the
    overall mean from the other rows (floored at the real minimum)."""
    out = synth.copy()
    inside = (out[group] == value).to_numpy()
    share = inside.mean()
    low = out[column].min()
    out.loc[inside, column] = out.loc[inside, column] + years
    out.loc[~inside, column] = (out.loc[~inside, column] - round(years * share / (1 - share))).clip(lower=low)
    return out
