from __future__ import annotations

import pytest

from synthaudit.check import Margin, decide_status, gated_metric, info_metric, metric_passes, plain
from synthaudit.result import Status


def test_threshold_is_reference_plus_larger_of_floor_and_se_multiple():
    margin = Margin(warn_se=2, fail_se=4, warn_floor=0.01, fail_floor=0.02)
    small_se = gated_metric(
        "m", value=0.1, reference=0.1, standard_error=0.001, margin=margin, direction="lower_is_better"
    )
    assert small_se.threshold == pytest.approx(0.12) and small_se.warn_threshold == pytest.approx(0.11)
    big_se = gated_metric(
        "m", value=0.1, reference=0.1, standard_error=0.01, margin=margin, direction="lower_is_better"
    )
    assert big_se.threshold == pytest.approx(0.14) and big_se.warn_threshold == pytest.approx(0.12)


def test_higher_is_better_subtracts_the_margin():
    metric = gated_metric(
        "auc",
        value=0.6,
        reference=0.9,
        standard_error=0.0,
        margin=Margin(fail_floor=0.1, warn_floor=0.05),
        direction="higher_is_better",
    )
    assert metric.threshold == pytest.approx(0.8)
    assert metric.passed is False


def test_worst_value_of_a_bounded_metric_fails_when_the_margin_reaches_past_the_range():
    for direction, value, reference in (("lower_is_better", 1.0, 0.3), ("higher_is_better", 0.0, 0.7)):
        metric = gated_metric(
            "share",
            value=value,
            reference=reference,
            standard_error=0.2,  # a fail margin of 1.0: without the rule the check could never fail
            margin=Margin(),
            direction=direction,  # type: ignore[arg-type]
            value_range=(0.0, 1.0),
        )
        assert metric.passed is False


def test_worst_value_within_sampling_error_of_the_reference_is_not_forced_to_fail():
    """Coarse data: every synthetic row collides with a real row (1.0) where 99.5 % of the holdout rows do, at
    n = 400 — a clean sample about one time in eight; the data cannot tell the two apart."""
    metric = gated_metric(
        "exact_copy_rate",
        value=1.0,
        reference=0.995,
        standard_error=0.0059,
        margin=Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.005, fail_floor=0.01),
        direction="lower_is_better",
        value_range=(0.0, 1.0),
    )
    assert metric.passed is True


def test_status_follows_gating_metrics_only():
    margin = Margin(warn_floor=0.01, fail_floor=0.05)
    ok = gated_metric("a", value=0.0, reference=0.0, standard_error=0, margin=margin, direction="lower_is_better")
    warn = gated_metric("b", value=0.03, reference=0.0, standard_error=0, margin=margin, direction="lower_is_better")
    fail = gated_metric("c", value=0.09, reference=0.0, standard_error=0, margin=margin, direction="lower_is_better")
    info = info_metric("d", 99.0, direction="lower_is_better")
    assert decide_status([ok, info]) is Status.PASS
    assert decide_status([ok, warn]) is Status.WARN
    assert decide_status([warn, fail]) is Status.FAIL


def test_metric_passes_directions():
    assert metric_passes(1.0, 2.0, "lower_is_better") is True
    assert metric_passes(1.0, 2.0, "higher_is_better") is False
    assert metric_passes(1.0, None, "higher_is_better") is None


def test_metric_rejects_nan():
    with pytest.raises(ValueError, match="finite"):
        info_metric("x", float("nan"), direction="lower_is_better")


def test_plain_converts_numpy_and_nan():
    import numpy as np

    assert plain({"a": np.float64(1.5), "b": (np.int64(2), float("nan"))}) == {"a": 1.5, "b": [2, None]}


def test_worst_value_passes_when_the_reference_is_there_too():
    metric = gated_metric(
        "share",
        value=1.0,
        reference=1.0,
        standard_error=0.0,
        margin=Margin(),
        direction="lower_is_better",
        value_range=(0.0, 1.0),
    )
    assert metric.passed is True
