"""The decline test of a quantity measured on a sequence of generations.

Generation 1 is the baseline. For every later generation k the decline is the change from generation 1 in
the direction collapse moves the quantity, and its standard error combines both generations' sampling
errors, ``sqrt(se₁² + se_k²)``. Generation k *crosses* a margin when the decline exceeds
``max(floor, multiplier × SE)``: the floor is the smallest change that matters, the multiplier keeps a
sequence of fresh real samples from crossing by chance. A weighted least-squares slope over all generations
is reported as information.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DeclineTest", "decline_test", "weighted_slope"]


@dataclass(frozen=True)
class DeclineTest:
    """The decline of one quantity beyond generation 1, generation by generation.

    Lists hold one entry per generation (generation 1 first, where the decline is 0 by definition).
    ``status`` is ``"fail"`` when some generation crossed the fail margin, ``"warn"`` when one crossed only
    the warn margin, else ``"pass"``; ``first_fail`` / ``first_warn`` are 1-based generation numbers.
    """

    declines: tuple[float, ...]
    standard_errors: tuple[float, ...]
    fail_margins: tuple[float, ...]
    warn_margins: tuple[float, ...]
    statuses: tuple[str, ...]
    status: str
    first_fail: int | None
    first_warn: int | None
    slope: float
    slope_se: float


def weighted_slope(values: Sequence[float], standard_errors: Sequence[float]) -> tuple[float, float]:
    """``(slope, standard error)`` of the weighted least-squares line through ``values`` against 1, 2, … n.

    Weights are ``1 / se²`` (errors below 1e-12 of the largest value count as that floor). Units: the
    quantity per generation. ``(0, 0)`` for fewer than two generations.
    """
    y = np.asarray(values, dtype=np.float64)
    if len(y) < 2:
        return 0.0, 0.0
    scale = max(float(np.max(np.abs(y))), 1.0) * 1e-12
    weights = 1.0 / np.maximum(np.asarray(standard_errors, dtype=np.float64), scale) ** 2
    x = np.arange(1, len(y) + 1, dtype=np.float64)
    x_mean = float(np.sum(weights * x) / np.sum(weights))
    spread = float(np.sum(weights * (x - x_mean) ** 2))
    slope = float(np.sum(weights * (x - x_mean) * y) / spread)
    return slope, math.sqrt(1.0 / spread)


def decline_test(
    values: Sequence[float],
    standard_errors: Sequence[float],
    *,
    higher_is_better: bool,
    fail_floor: float,
    warn_floor: float,
    fail_multiplier: float,
    warn_multiplier: float,
) -> DeclineTest:
    """Test each generation after the first for a decline beyond generation 1 (see the module docstring)."""
    sign = 1.0 if higher_is_better else -1.0
    first, first_se = float(values[0]), float(standard_errors[0])
    declines, ses, fails, warns, statuses = [0.0], [first_se], [0.0], [0.0], ["baseline"]
    for value, se in zip(values[1:], standard_errors[1:], strict=True):
        decline = sign * (first - float(value))
        combined = math.sqrt(first_se**2 + float(se) ** 2)
        fail_margin = max(fail_floor, fail_multiplier * combined)
        warn_margin = min(max(warn_floor, warn_multiplier * combined), fail_margin)
        declines.append(decline)
        ses.append(combined)
        fails.append(fail_margin)
        warns.append(warn_margin)
        statuses.append("fail" if decline > fail_margin else "warn" if decline > warn_margin else "pass")
    first_fail = next((i + 1 for i, s in enumerate(statuses) if s == "fail"), None)
    first_warn = next((i + 1 for i, s in enumerate(statuses) if s in ("warn", "fail")), None)
    status = "fail" if first_fail is not None else "warn" if first_warn is not None else "pass"
    slope, slope_se = weighted_slope(values, standard_errors)
    return DeclineTest(
        tuple(declines),
        tuple(ses),
        tuple(fails),
        tuple(warns),
        tuple(statuses),
        status,
        first_fail,
        first_warn,
        slope,
        slope_se,
    )
