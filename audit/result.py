"""The result data model: plain, frozen, JSON-serialisable records of what an audit found.

Results hold plain data only (numbers, strings, tuples, records as dicts, figure specs), so renderers can
format them without computing anything and a saved JSON result re-renders exactly. ``AuditResult``
round-trips: ``AuditResult.from_json(r.to_json()) == r``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, final

from synthaudit.check_result import (
    CheckResult,
    Direction,
    ErrorInfo,
    Export,
    FigureSpec,
    Metric,
    Status,
    Table,
    Waiver,
    check_from_dict,
    check_to_dict,
)

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
            "checks": [check_to_dict(c) for c in self.checks_list],
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
        checks = tuple(check_from_dict(c) for c in data["checks"])
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
