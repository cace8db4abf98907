"""The result data model: plain, frozen, JSON-serialisable records of what an audit found.

Results hold plain data only (numbers, strings, tuples, records as dicts, figure specs), so renderers can
format them without computing anything and a saved JSON result re-renders exactly. ``AuditResult``
round-trips: ``AuditResult.from_json(r.to_json()) == r``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, Literal, final

__all__ = [
    "FRAME_COLUMNS",
    "SCHEMA_VERSION",
    "SUITE_ORDER",
    "AuditResult",
    "CheckResult",
    "Direction",
    "ErrorInfo",
    "Export",
    "FigureSpec",
    "GateDecision",
    "Metric",
    "Outcome",
    "Status",
    "Table",
    "Waiver",
]

SCHEMA_VERSION = "1.0"
"""Version of the JSON layout written by :meth:`AuditResult.to_json` (documented in README.md)."""
SUITE_ORDER = ("fidelity", "diversity", "leakage", "balance", "constraints")
"""The order suites are shown in."""
FRAME_COLUMNS = (
    "check",
    "suite",
    "status",
    "metric",
    "value",
    "reference",
    "warn_threshold",
    "threshold",
    "direction",
    "gating",
    "passed",
    "standard_error",
)
"""The columns of :meth:`AuditResult.to_frame`."""
_SEVERITY = {"skipped": 0, "pass": 1, "waived": 2, "warn": 3, "fail": 4, "error": 5}

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


@final
@dataclass(frozen=True, slots=True)
class Outcome:
    """What the gate made of one check: its gated status, whether it fails the gate, and why.

    ``measured`` is the status the check reported; ``status`` the status after the gate's rules (a fail on
    sensitive columns inferred from names becomes a warn); ``waiver`` the policy's waiver for the check
    (active or expired) and ``waived`` whether an active one covers a failing status; ``fails_gate`` whether
    this check makes the gate fail; ``why`` the gate's words for every rule that applied. Renderers map an
    outcome to their own vocabulary and decide nothing.
    """

    check: str
    measured: Status
    status: Status
    fails_gate: bool = False
    waived: bool = False
    waiver: Waiver | None = None
    why: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``"waived"`` for a failure covered by an active waiver, otherwise the gated status."""
        return "waived" if self.waived else self.status.value


@final
@dataclass(frozen=True, slots=True)
class GateDecision:
    """The verdict: passed, which checks made it fail, and why, in words.

    ``measured`` names the checks that measured something (pass, warn or fail) and ``skipped`` those that
    could not, so a verdict says how much it rests on. ``outcomes`` holds every check's :class:`Outcome`, in
    the order of the checks.
    """

    passed: bool
    failing: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    waived: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    measured: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()

    def outcome(self, check: str) -> Outcome | None:
        """The outcome of the check called ``check`` (``None`` when the gate did not see it)."""
        return next((o for o in self.outcomes if o.check == check), None)

    def tally(self) -> str:
        """``"14 checks measured, 10 skipped"``: how much the verdict rests on."""
        return f"{len(self.measured)} check{'s' * (len(self.measured) != 1)} measured, {len(self.skipped)} skipped"


@final
@dataclass(frozen=True, slots=True)
class AuditResult:
    """The whole audit: inputs, policy, reference used, every check's result, the gate decision.

    ``run_info`` holds timings, library versions and the command line; it is the only part that varies
    between identical runs and comparisons leave it out (:meth:`comparable`).
    """

    passed: bool
    gate: GateDecision
    checks_list: tuple[CheckResult, ...]
    inputs: dict[str, Any]
    policy: dict[str, Any]
    seed: int
    tool_version: str
    reference: dict[str, Any]
    notes: tuple[str, ...] = ()
    columns: dict[str, Any] = field(default_factory=dict)
    run_info: dict[str, Any] = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION

    @property
    def checks(self) -> dict[str, CheckResult]:
        """Check results by name, in run order."""
        return {c.name: c for c in self.checks_list}

    def outcome(self, check: str) -> Outcome:
        """The gate's outcome of the check called ``check``.

        A result built without outcomes (by hand, or saved before they existed) gets one read back from what
        it recorded: the gate's failing list, the check's status and its waiver.
        """
        recorded = self.gate.outcome(check)
        return recorded if recorded is not None else _recorded_outcome(self.checks[check], self.gate.failing)

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status, plus ``waived``."""
        out = {s.value: 0 for s in Status}
        out["waived"] = 0
        for check in self.checks_list:
            out[check.status.value] += 1
            out["waived"] += int(check.waived)
        return out

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """Return the documented JSON layout as plain Python data."""
        return {
            "schema_version": self.schema_version,
            "passed": self.passed,
            "gate": asdict(self.gate),
            "tool_version": self.tool_version,
            "seed": self.seed,
            "inputs": self.inputs,
            "policy": self.policy,
            "reference": self.reference,
            "notes": list(self.notes),
            "columns": self.columns,
            "counts": self.counts(),
            "checks": [_check_to_dict(c) for c in self.checks_list],
            "run_info": self.run_info,
        }

    def to_json(self, path: str | None = None, *, indent: int | None = 2) -> str:
        """Serialise with sorted keys at full float precision; also write atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(), sort_keys=True, indent=indent, allow_nan=False, ensure_ascii=False)
        if path is not None:
            from synthaudit.fileio import write_text_atomic

            write_text_atomic(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, text: str) -> AuditResult:
        """Rebuild a result from :meth:`to_json` output (or a file's content)."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditResult:
        """Rebuild a result from :meth:`to_dict` output."""
        gate = data["gate"]
        checks = tuple(_check_from_dict(c) for c in data["checks"])
        return cls(
            passed=bool(data["passed"]),
            gate=GateDecision(
                passed=bool(gate["passed"]),
                failing=tuple(gate.get("failing", ())),
                reasons=tuple(gate.get("reasons", ())),
                waived=tuple(gate.get("waived", ())),
                warnings=tuple(gate.get("warnings", ())),
                measured=tuple(gate.get("measured", ())),
                skipped=tuple(gate.get("skipped", ())),
                outcomes=_outcomes_from_dict(gate, checks),
            ),
            checks_list=checks,
            inputs=data["inputs"],
            policy=data["policy"],
            seed=int(data["seed"]),
            tool_version=data["tool_version"],
            reference=data["reference"],
            notes=tuple(data.get("notes", ())),
            columns=data.get("columns", {}),
            run_info=data.get("run_info", {}),
            schema_version=data.get("schema_version", SCHEMA_VERSION),
        )

    def comparable(self) -> AuditResult:
        """The same result without ``run_info``: what must be equal between identical runs."""
        return replace(self, run_info={})

    # ------------------------------------------------------------- notebooks
    def suite_statuses(self) -> dict[str, str]:
        """Each suite's status: that of its worst check, suites in :data:`SUITE_ORDER`.

        ``error`` > ``fail`` > ``warn`` > ``waived`` (a failure covered by an active waiver) > ``pass`` >
        ``skipped`` (no check of the suite measured anything). Suites without a check in this result are left out.
        """
        worst: dict[str, str] = {}
        for check in self.checks_list:
            status = "waived" if check.waived else check.status.value
            current = worst.get(check.suite)
            if current is None or _SEVERITY[status] > _SEVERITY[current]:
                worst[check.suite] = status
        order = {suite: position for position, suite in enumerate(SUITE_ORDER)}
        return dict(sorted(worst.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))

    def to_frame(self) -> Any:
        """One row per metric of every check, as a pandas DataFrame (the same numbers as the JSON).

        Columns: ``check``, ``suite``, ``status``, ``metric``, ``value``, ``reference``, ``warn_threshold``,
        ``threshold``, ``direction``, ``gating``, ``passed``, ``standard_error``; a missing reference,
        threshold or standard error is NaN. Checks without metrics (skipped, errored) have no row: see
        :attr:`checks` for them.
        """
        import pandas as pd

        rows = [
            {
                "check": check.name,
                "suite": check.suite,
                "status": check.status.value,
                "metric": metric.name,
                "value": metric.value,
                "reference": metric.reference_value,
                "warn_threshold": metric.warn_threshold,
                "threshold": metric.threshold,
                "direction": metric.direction,
                "gating": metric.gating,
                "passed": metric.passed,
                "standard_error": metric.standard_error,
            }
            for check in self.checks_list
            for metric in check.metrics
        ]
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        for column in ("value", "reference", "warn_threshold", "threshold", "standard_error"):
            frame[column] = frame[column].astype("float64")
        frame["gating"] = frame["gating"].astype(bool)
        return frame

    def summary(self) -> str:
        """A short plain-text summary: the verdict, each suite's status, why the gate failed, warnings."""
        lines = [f"{'PASSED' if self.passed else 'FAILED'} — {self.gate.tally()}"]
        suites = self.suite_statuses()
        if suites:
            lines.append(" · ".join(f"{suite}: {status}" for suite, status in suites.items()))
        kind = self.reference.get("kind")
        if kind:
            plausible = self.reference.get("plausible")
            shown = "" if plausible is None else (" (plausible)" if plausible else " (IMPLAUSIBLE)")
            lines.append(f"reference: {kind}{shown}")
        if self.gate.reasons:
            lines.append("why it failed:" if not self.passed else "notes:")
            lines.extend(f"  - {reason}" for reason in self.gate.reasons)
        warned = [c for c in self.checks_list if c.status is Status.WARN]
        if warned:
            lines.append("warnings:")
            lines.extend(f"  - {check.name}: {check.summary}" for check in warned)
        lines.extend(f"note: {warning}" for warning in self.gate.warnings)
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = self.counts()
        measured = ", ".join(f"{counts[s]} {s}" for s in ("fail", "error", "warn", "pass") if counts[s])
        return (
            f"<AuditResult {'PASSED' if self.passed else 'FAILED'}: {len(self.gate.measured)} measured "
            f"({measured or 'none'}), {counts['skipped']} skipped"
            + (f", {counts['waived']} waived" if counts["waived"] else "")
            + f"; synthaudit {self.tool_version}>"
        )

    def _repr_html_(self) -> str:
        """The first screen of the report, for Jupyter's ``display(result)``."""
        from synthaudit.reports.notebook import render_notebook_html

        return render_notebook_html(self)


def _outcome_from_dict(data: dict[str, Any]) -> Outcome:
    return Outcome(
        check=data["check"],
        measured=Status(data["measured"]),
        status=Status(data["status"]),
        fails_gate=bool(data.get("fails_gate", False)),
        waived=bool(data.get("waived", False)),
        waiver=None if data.get("waiver") is None else Waiver(**data["waiver"]),
        why=tuple(data.get("why", ())),
    )


def _outcomes_from_dict(gate: dict[str, Any], checks: tuple[CheckResult, ...]) -> tuple[Outcome, ...]:
    """The gate's outcomes; a result saved before outcomes existed gets them from its recorded fields."""
    if "outcomes" in gate:
        return tuple(_outcome_from_dict(o) for o in gate["outcomes"])
    failing = set(gate.get("failing", ()))
    return tuple(_recorded_outcome(c, failing) for c in checks)


def _recorded_outcome(check: CheckResult, failing: set[str] | tuple[str, ...]) -> Outcome:
    """An outcome read back from a result's recorded fields (the gate's failing list, status and waiver)."""
    return Outcome(check.name, check.status, check.status, check.name in failing, check.waived, check.waiver)


def _check_to_dict(check: CheckResult) -> dict[str, Any]:
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


def _check_from_dict(data: dict[str, Any]) -> CheckResult:
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
