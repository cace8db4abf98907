"""Regressions between two saved results of one audit: ``synthaudit compare BASELINE.json CURRENT.json``.

Pure computation on two :class:`~synthaudit.result.AuditResult` objects (nothing is re-measured), rendered by
:mod:`synthaudit.reports.compare` from :meth:`Comparison.to_dict`.

**How a change is judged.** ``worsening`` is the change signed so that positive is worse in the metric's
``direction`` (a rise of a ``lower_is_better`` metric, a fall of a ``higher_is_better`` one). Its scale, the
``standard_error`` of the change, comes from the first rule that applies (recorded as ``basis``):

1. ``standard_error``: ``sqrt(se_baseline² + se_current²)`` from the metrics' recorded standard errors (a
   missing one counts as 0), when positive. A recorded standard error is that of the metric's distance from
   its reference, so for two audits sharing a reference this is conservative (the reference noise is shared).
2. ``margin``: when neither side has a positive standard error, the recorded fail margin over the multiplier
   that made it, ``|threshold − reference_value| / fail_se``, with ``fail_se`` from the check's params (the
   check's only multiplier, or that of the margin named in the metric, ``copy_margin`` for
   ``exact_copy_rate``); the larger of the two sides' margins.
3. ``threshold``: without such a multiplier there is no scale and no ``z``: the change is significant only if
   the metric crossed its fail threshold (``worse`` when the baseline passed it and the current fails it,
   ``better`` the other way round).

``z = worsening / standard_error``: positive is worse. A metric is ``worse`` when ``z > sigma``, ``better``
when ``z < −sigma``, else ``unchanged``.

**A regression** (:class:`RegressionPolicy`, defaults in brackets) is a gating metric ``worse`` beyond
``sigma`` [3] standard errors; with ``status_rule="warn"`` [default] a check gone from pass to warn or fail,
from warn to fail, or from measured (pass, warn, fail) to skipped, error or absent (``"fail"``: only changes
to fail, skipped, error or absent; ``"off"``: none); with ``gate=True`` [default] the gate gone from passed
to failed.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from synthaudit.errors import InputError
from synthaudit.fileio import write_text_atomic
from synthaudit.result import AuditResult, CheckResult, Direction, Metric, Status

__all__ = [
    "COMPARISON_SCHEMA_VERSION",
    "CheckChange",
    "Comparison",
    "MetricChange",
    "RegressionPolicy",
    "ResultSummary",
    "compare_results",
    "ensure_comparable",
    "load_result",
]

COMPARISON_SCHEMA_VERSION = "1.0"
"""Version of the JSON layout written by :meth:`Comparison.to_json`."""

StatusRule = Literal["warn", "fail", "off"]
Basis = Literal["standard_error", "margin", "threshold", "none"]
Verdict = Literal["worse", "better", "unchanged", "new", "gone"]
_MEASURED = ("pass", "warn", "fail")


@dataclass(frozen=True, slots=True)
class RegressionPolicy:
    """What counts as a regression (see the module docstring).

    ``sigma``: how many standard errors of the change a gating metric must worsen by (default 3).
    ``status_rule``: which check status changes count (``"warn"``, ``"fail"`` or ``"off"``).
    ``gate``: whether the gate going from passed to failed counts.
    """

    sigma: float = 3.0
    status_rule: StatusRule = "warn"
    gate: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigma) and self.sigma > 0) or self.status_rule not in ("warn", "fail", "off"):
            raise InputError(f"sigma must be a positive number and status_rule warn, fail or off; got {self!r}.")


@dataclass(frozen=True, slots=True)
class ResultSummary:
    """Who one side of the comparison is: file label, tool version, verdict, seed, reference kind."""

    label: str
    tool_version: str
    passed: bool
    seed: int
    reference_kind: str


@dataclass(frozen=True, slots=True)
class MetricChange:
    """One gating metric in both results.

    ``baseline`` and ``current`` are the metric's values (``None`` where the side did not report it);
    ``change`` is ``current − baseline`` in the metric's own units; ``worsening`` is the change signed so
    that positive is worse in ``direction``; ``standard_error`` is the scale of the change from ``basis``;
    ``z = worsening / standard_error`` (positive = worse, ``None`` without a scale). ``verdict`` is
    ``worse`` / ``better`` / ``unchanged`` (or ``new`` / ``gone`` when one side lacks the metric) and
    ``regression`` whether the policy counts it.
    """

    check: str
    metric: str
    direction: Direction
    baseline: float | None
    current: float | None
    change: float | None
    worsening: float | None
    standard_error: float | None
    basis: Basis
    z: float | None
    verdict: Verdict
    regression: bool
    baseline_reference: float | None = None
    current_reference: float | None = None
    baseline_threshold: float | None = None
    current_threshold: float | None = None


@dataclass(frozen=True, slots=True)
class CheckChange:
    """One check's status in both results (``None``: the check is absent from that result)."""

    check: str
    baseline_status: str | None
    current_status: str | None
    regression: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """The comparison of ``current`` against ``baseline``: metric and check changes and the regressions.

    ``regressions`` holds one sentence per regression (empty: none); ``notes`` say what differs between
    the two audits without making the comparison invalid (seed, data, thresholds).
    """

    baseline: ResultSummary
    current: ResultSummary
    policy: RegressionPolicy
    metrics: tuple[MetricChange, ...]
    checks: tuple[CheckChange, ...]
    gate_regression: bool
    regressions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    schema_version: str = COMPARISON_SCHEMA_VERSION

    @property
    def regressed(self) -> bool:
        """Whether the policy found any regression (``synthaudit compare`` exits 1)."""
        return bool(self.regressions)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON layout as plain data (``regressed`` included)."""
        out = asdict(self)
        out["regressed"] = self.regressed
        return out

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """Serialise deterministically (sorted keys); also write atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(), sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False)
        if path is not None:
            write_text_atomic(path, text + "\n")
        return text


def load_result(path: str | os.PathLike[str]) -> AuditResult:
    """Read a result written by ``synthaudit check --json``; bad input raises :class:`InputError` naming the file."""
    name, hint = str(path), "write one with `synthaudit check REAL SYNTH --json FILE`."
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"the result file {name!r} does not exist; {hint}") from None
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise InputError(f"the result file {name!r} is not valid JSON ({where}); {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the result file {name!r} ({exc}); pass a readable JSON result.") from None
    try:
        if not isinstance(data, dict):
            raise TypeError(f"its top level is a JSON {type(data).__name__}, not an object")
        if "generations" in data and "quantities" in data:
            raise TypeError("it is a `synthaudit trend` result; compare takes two `synthaudit check` results")
        return AuditResult.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"the result file {name!r} is not a synthaudit JSON result ({exc}); {hint}") from None


def _major(version: str) -> int | None:
    match = re.match(r"\s*v?(\d+)", version)
    return int(match.group(1)) if match else None


def ensure_comparable(
    baseline: AuditResult, current: AuditResult, baseline_label: str = "baseline", current_label: str = "current"
) -> None:
    """Raise :class:`InputError` unless both results audit the same layout the same way.

    Refused: different column roles (``columns["roles"]``), different reference kind (``reference["kind"]``),
    different tool major versions (``tool_version``), or no check in common.
    """
    roles_b, roles_c = (dict(r.columns.get("roles", {})) for r in (baseline, current))
    kind_b, kind_c = baseline.reference.get("kind"), current.reference.get("kind")
    major_b, major_c = _major(baseline.tool_version), _major(current.tool_version)
    if roles_b != roles_c:
        diffs = [
            f"{c}: {roles_b[c]} vs {roles_c[c]}" for c in sorted(roles_b) if roles_c.get(c, roles_b[c]) != roles_b[c]
        ]
        for side, only in (("baseline", roles_b.keys() - roles_c.keys()), ("current", roles_c.keys() - roles_b.keys())):
            diffs += [f"only in the {side}: {', '.join(sorted(only))}"] if only else []
        why = (
            f"the audited columns or their roles differ ({'; '.join(diffs[:6])}), and scores over different columns "
            "are not comparable. Re-run both audits on data with the same columns and role options (--target, "
            "--sensitive, --text, --id, --columns), or make a new baseline with the current layout."
        )
    elif kind_b != kind_c:
        why = (
            f"the reference kinds differ ({kind_b!r} in the baseline, {kind_c!r} in the current), and every score "
            "is measured against its reference. Re-run both audits the same way: both with --holdout, or both without."
        )
    elif major_b is None or major_c is None or major_b != major_c:
        why = (
            f"they were written by synthaudit {baseline.tool_version!r} and {current.tool_version!r}, different (or "
            "unreadable) major versions whose checks and thresholds may differ. Re-run the baseline audit with the "
            "synthaudit version that wrote the current result."
        )
    elif not baseline.checks.keys() & current.checks.keys():
        why = "they have no check in common. Run both audits with the same checks (--only, --skip, policy)."
    else:
        return
    raise InputError(f"cannot compare {baseline_label!r} with {current_label!r}: {why}")


def _fail_se(check: CheckResult, metric: str) -> float | None:
    """The fail standard-error multiplier of ``metric``'s margin in the check's params, when it can be told.

    The single multiplier of all the check's margins, or else the one of the margin named in the metric's
    name (``copy_margin`` for ``exact_copy_rate``); ``None`` when neither settles it.
    """
    margins = {
        key.removesuffix("_margin"): float(value["fail_se"])
        for key, value in check.params.items()
        if isinstance(value, dict) and isinstance(value.get("fail_se"), int | float)
    }
    found = set(margins.values())
    if len(found) != 1:
        found = {value for key, value in margins.items() if key in metric}
    return found.pop() if len(found) == 1 else None


def _margin_scale(metric: Metric, check: CheckResult) -> float | None:
    multiplier = _fail_se(check, metric.name)
    if metric.threshold is None or metric.reference_value is None or not multiplier:
        return None
    scale = abs(metric.threshold - metric.reference_value) / multiplier
    return scale if scale > 0 else None


def _value(metric: Metric | None, attr: str) -> float | None:
    return None if metric is None else getattr(metric, attr)


def _metric_change(
    check: str, name: str, b: tuple[Metric, CheckResult] | None, c: tuple[Metric, CheckResult] | None, sigma: float
) -> MetricChange:
    mb, mc = (b[0] if b else None), (c[0] if c else None)
    direction = (mb or mc or Metric(name, 0.0, "lower_is_better")).direction
    change = worsening = se = z = None
    basis: Basis = "none"
    verdict: Verdict = "new" if mb is None else "gone"
    if b is not None and c is not None and mb is not None and mc is not None:
        change = mc.value - mb.value
        worsening = change if direction == "lower_is_better" else -change
        se = math.sqrt((mb.standard_error or 0.0) ** 2 + (mc.standard_error or 0.0) ** 2) or None
        basis = "standard_error"
        if se is None:
            scales = [s for s in (_margin_scale(mb, b[1]), _margin_scale(mc, c[1])) if s is not None]
            se, basis = (max(scales), "margin") if scales else (None, "threshold")
        if se is None:  # no scale: significant only when the fail threshold was crossed
            worse, better = mc.passed is False and mb.passed is not False, mb.passed is False and mc.passed is not False
            verdict = "worse" if worse else "better" if better else "unchanged"
        else:
            z = worsening / se
            verdict = "worse" if z > sigma else "better" if z < -sigma else "unchanged"
    return MetricChange(
        check=check,
        metric=name,
        direction=direction,
        baseline=_value(mb, "value"),
        current=_value(mc, "value"),
        change=change,
        worsening=worsening,
        standard_error=se,
        basis=basis,
        z=z,
        verdict=verdict,
        regression=verdict == "worse",
        baseline_reference=_value(mb, "reference_value"),
        current_reference=_value(mc, "reference_value"),
        baseline_threshold=_value(mb, "threshold"),
        current_threshold=_value(mc, "threshold"),
    )


def _status_regression(before: str | None, after: str | None, rule: StatusRule) -> bool:
    if rule == "off" or before not in _MEASURED:
        return False
    if after not in _MEASURED:  # skipped, error or absent
        return True
    return after == "fail" != before if rule == "fail" else _MEASURED.index(after) > _MEASURED.index(before)


def _check_change(name: str, b: CheckResult | None, c: CheckResult | None, rule: StatusRule) -> CheckChange:
    before = None if b is None else b.status.value
    after = None if c is None else c.status.value
    regression = _status_regression(before, after, rule)
    reason = ""
    if before != after:
        reason = f"{before or 'absent'} → {after or 'absent'}"
        if c is not None and c.status is Status.SKIPPED and c.skipped_reason:
            reason += f" ({c.skipped_reason})"
        elif c is not None and c.error is not None:
            reason += f" ({c.error.type}: {c.error.message})"
    return CheckChange(check=name, baseline_status=before, current_status=after, regression=regression, reason=reason)


def _notes(baseline: AuditResult, current: AuditResult, names: list[str]) -> list[str]:
    notes = []
    if baseline.seed != current.seed:
        notes.append(f"the audit seeds differ ({baseline.seed} vs {current.seed}).")
    for side in ("real", "holdout"):
        shas = [(result.inputs.get(side) or {}).get("sha256") for result in (baseline, current)]
        if all(shas) and shas[0] != shas[1]:
            notes.append(f"the {side} data differ: changes may reflect the data, not the generator.")
    both = baseline.checks.keys() & current.checks.keys()
    changed = [n for n in names if n in both and baseline.checks[n].params != current.checks[n].params]
    if changed:
        notes.append(f"the parameters (thresholds) of {', '.join(changed)} differ.")
    return notes


def _summary(result: AuditResult, label: str) -> ResultSummary:
    kind = str(result.reference.get("kind"))
    return ResultSummary(label, result.tool_version, result.passed, result.seed, kind)


def compare_results(
    baseline: AuditResult,
    current: AuditResult,
    policy: RegressionPolicy | None = None,
    *,
    baseline_label: str = "baseline",
    current_label: str = "current",
) -> Comparison:
    """Compare ``current`` with ``baseline`` under ``policy``; refuse incompatible ones (:func:`ensure_comparable`).

    Checks are listed in the baseline's run order, then checks new in the current result; metrics are the
    gating metrics of either side, in the order the checks report them.
    """
    policy = policy or RegressionPolicy()
    ensure_comparable(baseline, current, baseline_label, current_label)
    names = list(baseline.checks) + [n for n in current.checks if n not in baseline.checks]
    checks: list[CheckChange] = []
    metrics: list[MetricChange] = []
    regressions: list[str] = []
    for name in names:
        b, c = baseline.checks.get(name), current.checks.get(name)
        change = _check_change(name, b, c, policy.status_rule)
        checks.append(change)
        if change.regression:
            regressions.append(f"{name}: status {change.reason}.")
        gated_b = {m.name: (m, b) for m in b.gating_metrics} if b is not None else {}
        gated_c = {m.name: (m, c) for m in c.gating_metrics} if c is not None else {}
        for metric in list(gated_b) + [m for m in gated_c if m not in gated_b]:
            row = _metric_change(name, metric, gated_b.get(metric), gated_c.get(metric), policy.sigma)
            metrics.append(row)
            if row.regression and row.change is not None:
                how = f"z = {row.z:+.1f} > {policy.sigma:g}" if row.z is not None else "crossed its fail threshold"
                regressions.append(
                    f"{name} {metric}: {row.baseline:.4g} → {row.current:.4g} (worse by {abs(row.change):.4g}, {how})."
                )
    gate_regression = policy.gate and baseline.passed and not current.passed
    if gate_regression:
        regressions.append("the gate went from passed to failed.")
    return Comparison(
        baseline=_summary(baseline, baseline_label),
        current=_summary(current, current_label),
        policy=policy,
        metrics=tuple(metrics),
        checks=tuple(checks),
        gate_regression=gate_regression,
        regressions=tuple(regressions),
        notes=tuple(_notes(baseline, current, names)),
    )
