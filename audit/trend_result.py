"""The result of ``synthaudit trend``: the quantity kinds, each quantity's series and decline test, the JSON layout.

:meth:`TrendResult.to_dict` is what the JSON file holds and what :mod:`synthaudit.reports.trend` renders; it is
identical between identical runs (timings are kept on the object, out of the JSON).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthaudit.fileio import write_text_atomic
from synthaudit.stats.decline import DeclineTest
from synthaudit.version import tool_version

__all__ = ["FORMAT", "QUANTITY_KINDS", "QuantityKind", "QuantityTrend", "TrendResult"]

FORMAT = "synthaudit.trend/1"
"""The JSON layout's name and version."""


@dataclass(frozen=True)
class QuantityKind:
    """One kind of collapse quantity: what it means, which way collapse moves it, the smallest decline that counts.

    ``relative`` floors are shares of the reference value (a tail mass lost by a fifth); else absolute.
    """

    meaning: str
    higher_is_better: bool
    fail_floor: float
    warn_floor: float
    relative: bool = False


QUANTITY_KINDS: dict[str, QuantityKind] = {
    "tail_mass": QuantityKind(
        "share of rows beyond the real data's 5th/95th (1st/99th from 10,000 rows) percentiles of the column; "
        "range [0, 1], about the nominal tail mass for real data; collapse loses the tails first",
        True,
        0.2,
        0.1,
        relative=True,
    ),
    "length_tail_mass": QuantityKind(
        "share of texts shorter or longer (in words) than the real data's 5th/95th (1st/99th from 10,000 rows) "
        "length percentiles; range [0, 1], about the nominal tail mass for real text; a collapsing text generator "
        "loses its shortest and longest texts",
        True,
        0.2,
        0.1,
        relative=True,
    ),
    "variance_ratio": QuantityKind(
        "variance of the column over the real variance; range [0, ∞), about 1 for real data; collapse shrinks it",
        True,
        0.1,
        0.05,
    ),
    "rare_category_survival": QuantityKind(
        "share of the real data's rare categories (under 1 % of rows) still present; range [0, 1]; collapse "
        "forgets rare cases",
        True,
        0.1,
        0.05,
    ),
    "coverage": QuantityKind(
        "share of real rows whose 5-NN neighbourhood holds a generated row (encoded rows); range [0, 1], about "
        "0.97 for real data; collapse leaves regions uncovered",
        True,
        0.05,
        0.025,
    ),
    "recall": QuantityKind(
        "share of real rows inside a generated row's 5-NN neighbourhood; range [0, 1]; collapse keeps precision "
        "and loses recall",
        True,
        0.05,
        0.025,
    ),
    "vendi_ratio": QuantityKind(
        "Vendi score (effective number of distinct rows) over that of real rows; range (0, ∞), about 1 for real "
        "data; collapse concentrates the rows",
        True,
        0.05,
        0.025,
    ),
    "fidelity_distance": QuantityKind(
        "worst column distance to the real data (KS for numbers, TVD for categories); range [0, 1]; lower is "
        "better; collapse drifts away from the real data",
        False,
        0.05,
        0.025,
    ),
    "distinct_2": QuantityKind(
        "distinct word bigrams over all word bigrams of the text column; range [0, 1]; collapse repeats phrases",
        True,
        0.05,
        0.025,
    ),
    "vocabulary_ratio": QuantityKind(
        "distinct words over those of as many real texts; range [0, ∞), about 1 for real text; collapse forgets "
        "rare words",
        True,
        0.1,
        0.05,
    ),
}
"""Every quantity ``trend`` measures, by kind (a quantity's name is ``kind`` or ``kind:column``)."""


@dataclass(frozen=True)
class QuantityTrend:
    """One quantity across generations: values, standard errors, the reference and the decline test."""

    name: str
    kind: str
    column: str | None
    values: tuple[float, ...]
    own_standard_errors: tuple[float, ...]
    standard_errors: tuple[float, ...]
    reference: float
    reference_se: float
    fail_floor: float
    warn_floor: float
    test: DeclineTest

    def to_dict(self) -> dict[str, Any]:
        """The quantity's JSON record."""
        kind = QUANTITY_KINDS[self.kind]
        record = {k: v for k, v in asdict(self).items() if k != "test"}
        record.update(
            meaning=kind.meaning, direction="higher_is_better" if kind.higher_is_better else "lower_is_better"
        )
        record["test"] = asdict(self.test)
        return record


@dataclass(frozen=True)
class TrendResult:
    """The outcome of :func:`trend`; :meth:`to_dict` is the JSON layout the reports render."""

    status: str
    generations: tuple[dict[str, Any], ...]
    quantities: tuple[QuantityTrend, ...]
    reference: dict[str, Any]
    multipliers: dict[str, Any]
    seed: int
    notes: tuple[str, ...] = ()
    timings: dict[str, Any] = field(default_factory=dict)
    """Seconds spent (not in the JSON, which is identical between identical runs)."""

    @property
    def passed(self) -> bool:
        """Whether no quantity declined past its fail margin."""
        return self.status != "fail"

    def failures(self) -> list[dict[str, Any]]:
        """Failing (then warning) quantities, earliest generation first, with the decline and its margin."""
        out = []
        for q in self.quantities:
            generation = q.test.first_fail or q.test.first_warn
            if generation is None:
                continue
            i = generation - 1
            out.append(
                {
                    "quantity": q.name,
                    "status": q.test.status,
                    "generation": generation,
                    "decline": q.test.declines[i],
                    "margin": q.test.fail_margins[i] if q.test.status == "fail" else q.test.warn_margins[i],
                    "value": q.values[i],
                    "baseline": q.values[0],
                }
            )
        out.sort(key=lambda f: (f["status"] != "fail", f["generation"], -f["decline"] / max(f["margin"], 1e-300)))
        return out

    def verdict(self) -> str:
        """One sentence: passed or failed, and the first quantity and generation that crossed its margin."""
        failures = self.failures()
        n, k = len(self.quantities), len(self.generations)
        if not failures:
            return (
                f"PASSED: none of {n} quantities declined beyond generation 1 by more than its margin "
                f"({k} generations)."
            )
        first = failures[0]
        what = (
            f"{first['quantity']} declined beyond generation 1 from generation {first['generation']} "
            f"({first['baseline']:.4g} → {first['value']:.4g}, decline {first['decline']:.3g} "
            f"> margin {first['margin']:.3g})"
        )
        if self.status == "fail":
            failed = sum(f["status"] == "fail" for f in failures)
            return f"FAILED (model collapse): {what}; {failed} of {n} quantities failed."
        return f"PASSED with warnings: {what}."

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout: deterministic (no timings), plain data."""
        return {
            "format": FORMAT,
            "tool_version": tool_version(),
            "passed": self.passed,
            "status": self.status,
            "verdict": self.verdict(),
            "seed": self.seed,
            "reference": self.reference,
            "multipliers": self.multipliers,
            "generations": list(self.generations),
            "quantities": [q.to_dict() for q in self.quantities],
            "failures": self.failures(),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """The JSON text (sorted keys, full precision, no NaN)."""
        return json.dumps(_finite(self.to_dict()), sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False)

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path`` atomically."""
        return write_text_atomic(path, self.to_json() + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
