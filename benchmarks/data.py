"""Adult-like benchmark tables of any length: 20 columns, seeded, written to Parquet.

Rows are resampled from the bundled UCI Adult example (15 columns) with small numeric jitter, plus five
derived columns (numeric, integer, categorical, boolean) that keep some dependence on the originals, so
that pairwise and model-based checks see structure. Real, synthetic and holdout tables are draws of the
same generator with different seeds: a clean synthetic set, which every check should find plausible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ADULT", "adult_like", "write_tables"]

ADULT = Path(__file__).resolve().parents[1] / "examples" / "adult"
_REGIONS = np.array(["north", "south", "east", "west", "centre"])


def adult_like(rows: int, seed: int) -> pd.DataFrame:
    """``rows`` Adult-like rows (20 columns) drawn with ``seed``; the same seed gives the same frame."""
    population = pd.read_csv(ADULT / "real.csv", engine="pyarrow")
    rng = np.random.default_rng(seed)
    frame = population.iloc[rng.integers(0, len(population), rows)].reset_index(drop=True)
    for column in ("fnlwgt", "hours_per_week", "age"):
        frame[column] = frame[column] + rng.normal(0, 1, rows)
    age = frame["age"].to_numpy(dtype=np.float64)
    frame["tenure_years"] = np.clip(age - 18 - rng.gamma(2.0, 3.0, rows), 0, None).round(1)
    frame["dependents"] = rng.poisson(np.clip((age - 20) / 15, 0.1, 3.0)).astype(np.int64)
    frame["region"] = _REGIONS[(frame["education_num"].to_numpy() + rng.integers(0, 3, rows)) % len(_REGIONS)]
    frame["has_mortgage"] = rng.random(rows) < np.clip((age - 25) / 40, 0.05, 0.8)
    frame["credit_score"] = (600 + 8 * frame["education_num"].to_numpy() + rng.normal(0, 40, rows)).round(0)
    return frame


def write_tables(directory: Path, rows: int, holdout_rows: int | None = None) -> tuple[Path, Path, Path]:
    """Write real (seed 0), synthetic (seed 1) and holdout (seed 2, ``rows // 2`` by default) Parquet files."""
    sizes = {"real": rows, "synth": rows, "holdout": holdout_rows if holdout_rows is not None else rows // 2}
    paths = []
    for seed, (name, n) in enumerate(sizes.items()):
        path = directory / f"{name}.parquet"
        adult_like(n, seed).to_parquet(path, index=False)
        paths.append(path)
    return paths[0], paths[1], paths[2]
