"""The check contract: what a check declares, how it sets thresholds, and how a verdict follows.

A check is a small class with a stable ``name`` (``"suite.snake_name"``), a ``suite``, a one-line
``description``, a plain-words ``meaning``, the ``needs`` the runner verifies before calling it, the names
of its ``gating_metrics``, a frozen pydantic ``Params`` model, and a pure ``run(ctx)``.

Verdicts are never hand-written inside checks: a check computes a value, its reference value (the same
metric on the reference pair) and a standard error, and :func:`gated_metric` turns them into thresholds
(reference plus a margin that scales with sampling error, with an absolute floor) and ``passed``;
:func:`decide_status` turns the metrics into a status.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from synthaudit.result import CheckResult, Direction, FigureSpec, Metric, Status, Table
from synthaudit.stats.multiple import sidak_multiplier

if TYPE_CHECKING:
    from synthaudit.context import AuditContext

__all__ = [
    "Check",
    "CheckParams",
    "Margin",
    "Need",
    "ParamsT",
    "Suite",
    "decide_status",
    "gated_metric",
    "info_metric",
    "make_figure",
    "make_table",
    "measured_columns",
    "metric_passes",
    "plain",
    "sidak_multiplier",
    "worst_of_many_margin",
]


class Suite(StrEnum):
    """The five questions an audit answers."""

    FIDELITY = "fidelity"
    DIVERSITY = "diversity"
    LEAKAGE = "leakage"
    BALANCE = "balance"
    CONSTRAINTS = "constraints"


class Need(StrEnum):
    """What must be present for a check to run; a missing need makes the runner skip it with the reason."""

    HOLDOUT = "holdout"
    TARGET = "target"
    SENSITIVE = "sensitive"
    TEXT = "text"
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    IDENTIFIER = "identifier"


class CheckParams(BaseModel):
    """Base of every check's ``Params``: frozen, unknown keys rejected, every field described."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: float | None = Field(
        None,
        gt=0,
        description=(
            "Time budget of this check in seconds; past it the check is recorded as an error and the audit goes "
            "on. Default: the policy's timeout_s."
        ),
    )


class Margin(BaseModel):
    """How far past the reference value a metric may go before it warns or fails.

    The applied margin is ``max(floor, se_multiplier × standard_error)``: it scales with sampling error at
    small n and never shrinks below an effect size worth reporting at large n.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    warn_se: float = Field(3.0, ge=0, description="Warn when past the reference by this many standard errors.")
    fail_se: float = Field(5.0, ge=0, description="Fail when past the reference by this many standard errors.")
    warn_floor: float = Field(0.0, ge=0, description="Smallest warn margin, in the metric's own units.")
    fail_floor: float = Field(0.0, ge=0, description="Smallest fail margin, in the metric's own units.")


def worst_of_many_margin(margin: Margin, cells: int) -> Margin:
    """``margin`` for gating the worst of ``cells`` comparisons (columns, groups, parts, secrets).

    The shared rule for every check that gates on its worst cell, each against its own reference: the
    standard-error multipliers become their Šidák counterparts (:func:`sidak_multiplier`), so a clean sample
    warns and fails at the worst cell no more often than one comparison would; the floors are effect sizes
    and stay as they are.
    """
    return margin.model_copy(
        update={"warn_se": sidak_multiplier(margin.warn_se, cells), "fail_se": sidak_multiplier(margin.fail_se, cells)}
    )


def metric_passes(value: float, threshold: float | None, direction: Direction) -> bool | None:
    """Whether ``value`` is on the good side of ``threshold`` (``None`` when there is no threshold)."""
    if threshold is None:
        return None
    if direction == "lower_is_better":
        return value <= threshold
    return value >= threshold


def _clip(value: float, value_range: tuple[float | None, float | None]) -> float:
    low, high = value_range
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return value


def gated_metric(
    name: str,
    *,
    value: float,
    reference: float,
    standard_error: float,
    margin: Margin,
    direction: Direction,
    value_range: tuple[float | None, float | None] = (None, None),
    description: str = "",
) -> Metric:
    """Build a gating metric whose thresholds are the reference plus the margin, in the bad direction.

    Thresholds are clipped to ``value_range``; a bounded metric at its worst value fails whenever that value is
    beyond the warn margin of the reference, even when the fail margin reaches past the end of the range.
    ``standard_error`` is the sampling error of the value's distance from the reference; it is recorded
    with a 95 % interval (value ± 1.96 SE, clipped to the range).
    """
    value, reference = float(value), float(reference)  # numpy scalars would make `passed` a numpy bool
    se = float(standard_error) if math.isfinite(standard_error) else 0.0
    fail_delta = max(margin.fail_floor, margin.fail_se * se)
    warn_delta = min(max(margin.warn_floor, margin.warn_se * se), fail_delta)
    sign = 1.0 if direction == "lower_is_better" else -1.0
    threshold = _clip(reference + sign * fail_delta, value_range)
    warn_threshold = _clip(reference + sign * warn_delta, value_range)
    low, high = value_range
    # A metric at the worst end of its range must be able to fail even when the clip lands on it (a margin
    # as wide as the range would make the check unable to fail) — unless the reference sits within the warn
    # margin of that end: then the data cannot tell the two apart (a share of 1.0 against a reference of
    # 0.995 at n = 400 is a clean sample about one time in eight), and failing would be a false alarm.
    if (
        direction == "lower_is_better"
        and high is not None
        and threshold >= high
        and value >= high > reference + warn_delta
    ):
        threshold = math.nextafter(high, -math.inf)
    if (
        direction == "higher_is_better"
        and low is not None
        and threshold <= low
        and value <= low < reference - warn_delta
    ):
        threshold = math.nextafter(low, math.inf)
    half_width = 1.96 * se
    return Metric(
        name=name,
        value=float(value),
        direction=direction,
        value_range=value_range,
        reference_value=float(reference),
        threshold=threshold,
        warn_threshold=warn_threshold,
        gating=True,
        passed=metric_passes(float(value), threshold, direction),
        description=description,
        standard_error=se,
        interval=(_clip(float(value) - half_width, value_range), _clip(float(value) + half_width, value_range)),
    )


def info_metric(
    name: str,
    value: float,
    *,
    direction: Direction,
    reference: float | None = None,
    value_range: tuple[float | None, float | None] = (None, None),
    description: str = "",
) -> Metric:
    """Build an information-only metric (no threshold, never decides the status)."""
    return Metric(
        name=name,
        value=float(value),
        direction=direction,
        value_range=value_range,
        reference_value=None if reference is None else float(reference),
        description=description,
    )


def decide_status(metrics: Iterable[Metric]) -> Status:
    """FAIL when a gating metric failed, WARN when one is past its warn threshold, PASS otherwise."""
    gating = [m for m in metrics if m.gating]
    if any(m.passed is False for m in gating):
        return Status.FAIL
    if any(m.warned for m in gating):
        return Status.WARN
    return Status.PASS


def measured_columns(columns: Mapping[str, str] | Iterable[str], ctx: AuditContext | None = None) -> dict[str, str]:
    """Columns a measurement used, as ``{column: how it was used}``, sorted by column.

    Roles come from ``ctx`` for plain names; sorting makes a result read the same after a JSON round trip.
    """
    if isinstance(columns, Mapping):
        pairs = {str(k): str(v) for k, v in columns.items()}
    else:
        roles = ctx.roles if ctx is not None else {}
        pairs = {str(c): (roles[str(c)].value if str(c) in roles else "column") for c in columns}
    return dict(sorted(pairs.items()))


def plain(value: Any) -> Any:
    """Convert numpy scalars, tuples and nested containers into JSON-native Python values.

    Non-finite floats become ``None`` (JSON has no NaN), so tables never carry a silent NaN.
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    return value


def make_table(name: str, title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = ()) -> Table:
    """A breakdown table from records; columns default to the first record's keys."""
    records = tuple(plain(dict(r)) for r in rows)
    cols = tuple(columns) if columns else (tuple(records[0].keys()) if records else ())
    return Table(name=name, title=title, columns=cols, rows=records)


def make_figure(kind: str, title: str, data: Mapping[str, Any], x_label: str = "", y_label: str = "") -> FigureSpec:
    """A figure spec with JSON-native data."""
    return FigureSpec(kind=kind, title=title, data=plain(dict(data)), x_label=x_label, y_label=y_label)


ParamsT = TypeVar("ParamsT", bound="CheckParams")
"""The type of a check's parameters (its ``Params`` class)."""


class Check(ABC, Generic[ParamsT]):
    """Base class of every check. Subclasses set the class attributes and implement :meth:`run`.

    Generic in its parameters: ``class MyCheck(Check[MyParams])`` with ``Params = MyParams`` types
    ``self.params`` as ``MyParams`` (a check that leaves the type argument out gets ``Any``, as the
    built-ins with their nested ``Params`` classes do). Construction only stores the parameters: no I/O,
    no computation.
    """

    name: ClassVar[str]
    suite: ClassVar[Suite]
    description: ClassVar[str]
    meaning: ClassVar[str] = ""
    needs: ClassVar[frozenset[Need]] = frozenset()
    gating_metrics: ClassVar[tuple[str, ...]] = ()
    exports: ClassVar[tuple[str, ...]] = ()
    """Kinds of artefact this check's results may carry in ``CheckResult.export`` (an :class:`Export`) for the
    user to save, e.g. ``("expectation_suite",)`` for ``--export-expectations``. The check derives it while it
    runs; the audit writes it where asked and never keeps it in the result (it may hold real values)."""
    Params: ClassVar[type[CheckParams]] = CheckParams

    params: ParamsT

    def __init__(self, params: ParamsT | None = None) -> None:
        self.params = params if params is not None else cast(ParamsT, self.Params())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.params == self.params

    def __hash__(self) -> int:
        return hash((type(self), self.params))

    @abstractmethod
    def run(self, ctx: AuditContext) -> CheckResult:
        """Compute the check's metrics on the context and return its result."""

    @classmethod
    def not_applicable(cls, ctx: AuditContext) -> str | None:
        """Why this check cannot apply to the data's columns at all (e.g. no column it could scan), or ``None``.

        Cheap (no measurement). A preset does not require a check that cannot apply; the check still runs
        and skips with its reason. Needs on column roles (``text``, ``numeric`` …) are handled by the runner.
        """
        return None

    # ------------------------------------------------------------ helpers
    def result(
        self,
        *,
        metrics: Sequence[Metric],
        summary: str,
        tables: Sequence[Table] = (),
        figures: Sequence[FigureSpec] = (),
        sample_sizes: Mapping[str, int] | None = None,
        evidence: Mapping[str, Iterable[int]] | None = None,
        reference: str | None = None,
        columns: Mapping[str, str] | Iterable[str] = (),
        ctx: AuditContext | None = None,
    ) -> CheckResult:
        """Assemble a :class:`CheckResult` whose status follows from the gating metrics.

        ``columns`` names the columns the measurement used: a mapping column → how it was used, or plain
        names, whose roles are then read from ``ctx``.
        """
        return CheckResult(
            name=self.name,
            suite=self.suite.value,
            status=decide_status(metrics),
            summary=summary,
            description=self.description,
            meaning=self.meaning,
            metrics=tuple(metrics),
            params=self.params.model_dump(mode="json"),
            sample_sizes={k: int(v) for k, v in (sample_sizes or {}).items()},
            tables=tuple(tables),
            figures=tuple(figures),
            evidence={k: tuple(int(i) for i in v) for k, v in (evidence or {}).items()},
            reference=reference,
            columns=measured_columns(columns, ctx),
        )

    def skip(self, reason: str) -> CheckResult:
        """A result saying the check could not run on this data, and why."""
        return CheckResult(
            name=self.name,
            suite=self.suite.value,
            status=Status.SKIPPED,
            summary=f"Skipped: {reason}",
            description=self.description,
            meaning=self.meaning,
            params=self.params.model_dump(mode="json"),
            skipped_reason=reason,
        )
