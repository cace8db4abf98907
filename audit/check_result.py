"""One check's result: its status, metrics, tables, figure specs and evidence, and their JSON form.

Plain, frozen records (numbers, strings, tuples, records as dicts); :mod:`synthaudit.result` builds the
whole audit's result from them and re-exports every name here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal, final

Direction = Literal["higher_is_better", "lower_is_better"]


class Status(StrEnum):
    """Outcome of one check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"
    ERROR = "error"


def _finite_or_none(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number or None; got {value!r}")
    return value


@final
@dataclass(frozen=True, slots=True)
class Metric:
    """One number a check computed, with its reference and (when gating) its thresholds.

    ``threshold`` is the fail threshold and ``warn_threshold`` the warn threshold actually applied in the
    run; both are ``None`` for information-only metrics. ``passed`` is whether the value is on the good
    side of ``threshold`` (``None`` when not gating). Values are always finite: a metric that cannot be
    computed is not reported (the check skips instead).
    """

    name: str
    value: float
    direction: Direction
    value_range: tuple[float | None, float | None] = (None, None)
    reference_value: float | None = None
    threshold: float | None = None
    warn_threshold: float | None = None
    gating: bool = False
    passed: bool | None = None
    description: str = ""
    standard_error: float | None = None
    interval: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite_or_none(self.value, f"metric {self.name!r} value"))
        for name in ("reference_value", "threshold", "warn_threshold", "standard_error"):
            object.__setattr__(self, name, _finite_or_none(getattr(self, name), f"{self.name}.{name}"))
        if self.interval is not None:
            low_i, high_i = (_finite_or_none(v, f"{self.name}.interval") for v in self.interval)
            object.__setattr__(self, "interval", (low_i, high_i))
        low, high = self.value_range
        object.__setattr__(
            self, "value_range", (None if low is None else float(low), None if high is None else float(high))
        )

    @property
    def warned(self) -> bool:
        """Whether the value is past the warn threshold (but possibly not past the fail threshold)."""
        if self.warn_threshold is None:
            return False
        if self.direction == "lower_is_better":
            return self.value > self.warn_threshold
        return self.value < self.warn_threshold


@final
@dataclass(frozen=True, slots=True)
class Table:
    """A breakdown as records (one dict per row), e.g. per column or per group, worst first."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]


@final
@dataclass(frozen=True, slots=True)
class FigureSpec:
    """Data for a figure, rendered by ``synthaudit.reports``; ``kind`` picks the renderer.

    Known kinds: ``histogram`` (``data`` holds ``bin_edges`` and one count list per series), ``bars``
    (``categories`` and one value list per series), ``heatmap`` (``labels`` and ``matrix``). A renderer that
    does not know a kind shows the data as a table.
    """

    kind: str
    title: str
    data: dict[str, Any]
    x_label: str = ""
    y_label: str = ""


@final
@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What went wrong inside a check that raised."""

    type: str
    message: str
    traceback: str


@final
@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted, owned and dated exception for one check."""

    check: str
    reason: str
    owner: str
    expires: str  # ISO date
    active: bool = True


@final
@dataclass(frozen=True, slots=True)
class Export:
    """An artefact a check derived from the data for the user to save (e.g. an expectation suite).

    ``kind`` names what it is (``"expectation_suite"``), ``content`` is JSON-native data. It may hold real
    values, so it is never serialised with the result, never compared and never rendered: the audit writes it
    where the user asked and drops it from the returned result.
    """

    kind: str
    content: dict[str, Any]


@final
@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything one check found, as plain data. Nothing in it varies between identical runs.

    ``columns`` maps every column the measurement actually used to how it was used (its role, or e.g.
    ``"text (embeddings)"``), so a reader sees what a verdict rests on.

    ``status`` is what the check measured; the gate may rule differently (:class:`Outcome`). ``facts`` are
    plain observations the gate's rules read, e.g. ``{"sensitive_inferred": True, "sensitive_columns": [...]}``
    from a balance check gating on sensitive columns inferred from column names. In an audit's result the
    legacy fields ``status`` (downgrades applied), ``summary`` and ``waiver`` mirror the gate's outcome
    (:func:`synthaudit.gate.apply_outcomes`). ``export`` is an artefact to save (:class:`Export`), never
    serialised or compared. ``examples`` is empty unless the user asked to see flagged texts
    (``--show-examples``): then masked synthetic texts beside their nearest real text
    (:mod:`synthaudit.examples`).
    """

    name: str
    suite: str
    status: Status
    summary: str
    description: str = ""
    meaning: str = ""
    metrics: tuple[Metric, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    sample_sizes: dict[str, int] = field(default_factory=dict)
    tables: tuple[Table, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    evidence: dict[str, tuple[int, ...]] = field(default_factory=dict)
    reference: str | None = None
    skipped_reason: str | None = None
    error: ErrorInfo | None = None
    waiver: Waiver | None = None
    provider: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    examples: tuple[dict[str, Any], ...] = ()
    export: Export | None = field(default=None, compare=False, repr=False)

    @property
    def measured(self) -> bool:
        """Whether the check measured something (it ran to a verdict: pass, warn or fail)."""
        return self.status in (Status.PASS, Status.WARN, Status.FAIL)

    @property
    def gating_metrics(self) -> tuple[Metric, ...]:
        """The metrics that decide the status."""
        return tuple(m for m in self.metrics if m.gating)

    def metric(self, name: str) -> Metric:
        """Return the metric called ``name``; raise ``KeyError`` naming the available ones otherwise."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"{self.name} has no metric {name!r}; it has {[m.name for m in self.metrics]}")

    @property
    def waived(self) -> bool:
        """Whether an active waiver covers a failing status of this check."""
        return self.waiver is not None and self.waiver.active and self.status in (Status.FAIL, Status.ERROR)


def check_to_dict(check: CheckResult) -> dict[str, Any]:
    """One check's result as JSON-native data (its export left out: it is written only where the user asks)."""
    out = {f.name: getattr(check, f.name) for f in fields(CheckResult) if f.name != "export"}
    out["status"] = check.status.value
    out["metrics"] = [asdict(m) for m in check.metrics]
    out["tables"] = [asdict(t) for t in check.tables]
    out["figures"] = [asdict(f) for f in check.figures]
    out["evidence"] = {k: list(v) for k, v in check.evidence.items()}
    out["error"] = None if check.error is None else asdict(check.error)
    out["waiver"] = None if check.waiver is None else asdict(check.waiver)
    out["waived"] = check.waived
    out["examples"] = [dict(e) for e in check.examples]
    return out


def check_from_dict(data: dict[str, Any]) -> CheckResult:
    """A check's result read back from :func:`check_to_dict`'s form (fields added later take their defaults)."""
    return CheckResult(
        name=data["name"],
        suite=data["suite"],
        status=Status(data["status"]),
        summary=data["summary"],
        description=data.get("description", ""),
        meaning=data.get("meaning", ""),
        metrics=tuple(
            Metric(
                **{
                    **m,
                    "value_range": tuple(m.get("value_range", (None, None))),
                    "interval": None if m.get("interval") is None else tuple(m["interval"]),
                }
            )
            for m in data.get("metrics", ())
        ),
        params=data.get("params", {}),
        sample_sizes=data.get("sample_sizes", {}),
        tables=tuple(
            Table(name=t["name"], title=t["title"], columns=tuple(t["columns"]), rows=tuple(t["rows"]))
            for t in data.get("tables", ())
        ),
        figures=tuple(FigureSpec(**f) for f in data.get("figures", ())),
        evidence={k: tuple(v) for k, v in data.get("evidence", {}).items()},
        reference=data.get("reference"),
        skipped_reason=data.get("skipped_reason"),
        error=None if data.get("error") is None else ErrorInfo(**data["error"]),
        waiver=None if data.get("waiver") is None else Waiver(**data["waiver"]),
        provider=data.get("provider", ""),
        columns=dict(data.get("columns", {})),
        facts=dict(data.get("facts", {})),
        examples=tuple(dict(e) for e in data.get("examples", ())),
    )
