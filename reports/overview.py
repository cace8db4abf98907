"""The report's first screen as data: suite verdicts, root causes grouped by column or group, a column × check grid.

Everything here is read off an :class:`~synthaudit.result.AuditResult` (no statistic is recomputed):

* a **suite row** per suite: its worst status and the finding of its worst check;
* which columns and groups each failing or warning check **singles out** (:func:`implicated`), from its
  breakdown tables (a row flagged ``drifted``, a row past its own ``threshold``, or a row whose value alone is
  past the gating ``worst_*`` metric's threshold, the worst being taken over those rows) or, failing that, the
  first column its finding names;
* **root causes**: those columns and groups with every check that singles them out, the most shared first
  ("capital_gain: fidelity.marginals, fidelity.drift, diversity.coverage, …");
* a **column grid**: for every column, each check's verdict about it — ``fail`` / ``warn`` when singled out,
  ``pass`` when a passing check measured it, ``measured`` when a failing check used it without singling it out
  (it is not cleared by that check), blank when the check did not use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synthaudit.result import SUITE_ORDER, AuditResult, CheckResult, Metric, Status

__all__ = ["Cause", "ColumnGrid", "SuiteRow", "column_grid", "columns_of", "implicated", "root_causes", "suite_rows"]

_RANK = {"error": 0, "fail": 1, "warn": 2, "waived": 3, "pass": 4, "skipped": 5}
_MAX_ROWS = 500
_FLAGS = ("drifted",)
_ROW_VALUES = ("distance", "change", "statistic", "gap_change")
_UNITS = {"column": "column", "group": "group", "pair": "column_a", "cell": "group"}


def status_of(check: CheckResult) -> str:
    """The check's status for display; a failure covered by an active waiver is ``waived``."""
    return "waived" if check.waived else check.status.value


def _severity(check: CheckResult) -> tuple[int, str]:
    return (_RANK[status_of(check)], check.name)


def first_clause(text: str, limit: int = 160) -> str:
    """A finding's first clause, for a one-line summary (the whole finding is in the check's section)."""
    for stop in ("; ", ". ", " — "):
        head, found, _ = text.partition(stop)
        if found and len(head) >= 24:
            text = head
            break
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (the full text is in the check's section)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:(") + " …"


def finding(check: CheckResult) -> str:
    """What a check found, in words: its summary, skip reason or error."""
    if check.status is Status.SKIPPED:
        return check.skipped_reason or "skipped"
    if check.status is Status.ERROR and check.error is not None:
        return f"raised {check.error.type}: {check.error.message}"
    return check.summary


# --------------------------------------------------------------------------------------------- suites
@dataclass(frozen=True, slots=True)
class SuiteRow:
    """One suite: its worst status, how many checks of each status, and the worst check's finding."""

    suite: str
    status: str
    counts: tuple[tuple[str, int], ...]
    worst: str
    finding: str


def suite_rows(result: AuditResult) -> list[SuiteRow]:
    """One row per suite present, in :data:`SUITE_ORDER` (others after, by name)."""
    by_suite: dict[str, list[CheckResult]] = {}
    for check in result.checks_list:
        by_suite.setdefault(check.suite, []).append(check)
    order = {suite: i for i, suite in enumerate(SUITE_ORDER)}
    rows = []
    for suite in sorted(by_suite, key=lambda s: (order.get(s, len(order)), s)):
        checks = sorted(by_suite[suite], key=_severity)
        worst = checks[0]
        tally: dict[str, int] = {}
        for check in checks:
            tally[status_of(check)] = tally.get(status_of(check), 0) + 1
        counts = tuple((s, tally[s]) for s in sorted(tally, key=lambda s: _RANK[s]))
        status = status_of(worst)
        shown = _shorten(finding(worst), 180) if status != "pass" else f"all {len(checks)} measured checks pass"
        if status == "pass" and tally.get("skipped"):
            shown = f"{tally['pass']} checks pass, {tally['skipped']} skipped"
        rows.append(SuiteRow(suite, status, counts, worst.name, shown))
    return rows


# --------------------------------------------------------------------------------------------- implicated
def columns_of(result: AuditResult) -> list[str]:
    """Every column the audit knows: the recorded roles, then any column a check used."""
    roles = result.columns.get("roles")
    names: list[str] = [str(c) for c in roles] if isinstance(roles, Mapping) else []
    seen = set(names)
    for check in result.checks_list:
        for column in check.columns:
            if column not in seen:
                seen.add(column)
                names.append(column)
    return names


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _beyond(value: float, bound: float | None, lower_is_better: bool) -> bool:
    return bound is not None and (value > bound if lower_is_better else value < bound)


def _worst_fields(metric: Metric) -> list[str]:
    """Row fields a ``worst_*`` metric may be the worst of: ``worst_column_distance`` → column_distance, distance."""
    if not metric.name.startswith("worst_"):
        return []
    parts = metric.name.removeprefix("worst_").split("_")
    return ["_".join(parts[i:]) for i in range(len(parts))]


def _row_status(row: Mapping[str, Any], gating: tuple[Metric, ...]) -> str | None:
    if any(row.get(flag) is True for flag in _FLAGS):
        return "fail"
    threshold = _number(row.get("threshold"))
    if threshold is not None:
        for name in _ROW_VALUES:
            value = _number(row.get(name))
            if value is not None:
                return "fail" if abs(value) > threshold else None  # a change counts either way
    worst: str | None = None
    for metric in gating:
        unit = _UNITS.get(metric.name.removeprefix("worst_").split("_")[0])
        if unit is not None and unit not in row:
            continue  # "worst_column_…" is the worst over per-column rows, not over pairs or groups
        for name in _worst_fields(metric):
            value = _number(row.get(name))
            if value is None:
                continue
            lower = metric.direction == "lower_is_better"
            if _beyond(value, metric.threshold, lower):
                return "fail"
            if _beyond(value, metric.warn_threshold, lower):
                worst = "warn"
            break
    return worst


def _row_keys(row: Mapping[str, Any], known: set[str]) -> list[str]:
    keys = [str(row[k]) for k in ("column", "column_a", "column_b") if isinstance(row.get(k), str) and row[k] in known]
    if isinstance(row.get("attribute"), str) and row.get("group") is not None:
        keys.append(f"{row['attribute']} = {row['group']}")
    return keys


def _named_in(text: str, known: list[str]) -> str | None:
    """The column a finding names first (quoted names preferred), if any."""
    best: tuple[int, str] | None = None
    for column in known:
        for pattern in (f"'{re.escape(column)}'", rf"(?<![\w.]){re.escape(column)}(?![\w])"):
            found = re.search(pattern, text)
            if found:
                if best is None or found.start() < best[0]:
                    best = (found.start(), column)
                break
    return best[1] if best else None


def implicated(check: CheckResult, known: list[str]) -> dict[str, str]:
    """Columns and groups (``"sex = Female"``) a failing or warning check singles out → ``fail`` or ``warn``.

    Empty for a check that measured no problem. A row of a breakdown table singles its column (or group) out
    when it is flagged (``drifted``), past its own ``threshold``, or past the threshold of a gating ``worst_*``
    metric taken over such rows; when no row does, the first column the finding names is singled out.
    """
    if check.status not in (Status.FAIL, Status.WARN):
        return {}
    verdict = "warn" if check.status is Status.WARN else "fail"
    known_set = set(known)
    gating = tuple(m for m in check.gating_metrics if m.passed is False or m.warned)
    out: dict[str, str] = {}
    for table in check.tables:
        for row in table.rows[:_MAX_ROWS]:
            status = _row_status(row, gating)
            if status is None:
                continue
            status = "warn" if verdict == "warn" else status
            for key in _row_keys(row, known_set):
                if out.get(key) != "fail":
                    out[key] = status
    if not out:
        named = _named_in(check.summary, known)
        if named is not None:
            out[named] = verdict
    return out


# --------------------------------------------------------------------------------------------- causes
@dataclass(frozen=True, slots=True)
class Cause:
    """A column or group and the failing / warning checks that single it out, worst first."""

    key: str
    kind: str  # "column" or "group"
    checks: tuple[tuple[str, str], ...]  # (check name, fail / warn)
    finding: str  # the first finding that names it (or the worst check's)

    @property
    def failures(self) -> int:
        """How many failing (not merely warning) checks single this key out."""
        return sum(1 for _, status in self.checks if status == "fail")


def _all_implicated(result: AuditResult) -> dict[str, dict[str, str]]:
    known = columns_of(result)
    return {c.name: implicated(c, known) for c in result.checks_list if not c.waived}


def root_causes(result: AuditResult) -> tuple[list[Cause], list[CheckResult]]:
    """Causes shared by two or more checks (most failures first), and the failing checks none of them explains."""
    known = set(columns_of(result))
    found = _all_implicated(result)
    checks = result.checks
    by_key: dict[str, list[tuple[str, str]]] = {}
    for name, keys in found.items():
        for key, status in keys.items():
            by_key.setdefault(key, []).append((name, status))
    causes: list[Cause] = []
    for key, entries in by_key.items():
        if len(entries) < 2:
            continue
        ordered = tuple(sorted(entries, key=lambda e: (_RANK[e[1]], _suite_rank(checks[e[0]].suite), e[0])))
        naming = sorted(
            (
                (_mentions(checks[n].summary, key), checks[n])
                for n, _ in ordered
                if _mentions(checks[n].summary, key) >= 0
            ),
            key=lambda item: item[0],
        )
        source = naming[0][1] if naming else checks[ordered[0][0]]
        causes.append(
            Cause(key, "column" if key in known else "group", ordered, f"{source.name}: {first_clause(source.summary)}")
        )
    causes.sort(key=lambda c: (-c.failures, -len(c.checks), c.kind != "column", c.key))
    explained = {name for cause in causes for name, _ in cause.checks}
    rest = [
        c
        for c in sorted(result.checks_list, key=_severity)
        if status_of(c) in ("fail", "warn", "error") and c.name not in explained
    ]
    return causes, rest


def _suite_rank(suite: str) -> int:
    return SUITE_ORDER.index(suite) if suite in SUITE_ORDER else len(SUITE_ORDER)


def _mentions(text: str, key: str) -> int:
    """Where ``text`` first names ``key`` (a column, or a group ``"attribute = value"``); -1 if it does not."""
    if " = " in key:
        attribute, _, group = key.partition(" = ")
        return text.find(f"{attribute} = '{group}'")
    found = re.search(rf"(?<![\w.]){re.escape(key)}(?![\w])", text)
    return found.start() if found else -1


# --------------------------------------------------------------------------------------------- grid
@dataclass(frozen=True, slots=True)
class ColumnGrid:
    """Columns × checks: each cell ``fail`` / ``warn`` / ``pass`` / ``measured`` / ``""`` (not used)."""

    checks: tuple[tuple[str, str], ...]  # (check name, status)
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (column, cell per check)


def column_grid(result: AuditResult) -> ColumnGrid:
    """Every known column against every check that measured columns; columns with the most failures first."""
    found = _all_implicated(result)
    measured = [c for c in result.checks_list if c.measured and c.columns]
    measured.sort(key=lambda c: (_suite_rank(c.suite), _RANK[status_of(c)], c.name))
    rows = []
    for column in columns_of(result):
        cells = []
        for check in measured:
            if column in found.get(check.name, {}):
                cells.append(found[check.name][column])
            elif column in check.columns:
                cells.append("pass" if check.status is Status.PASS else "measured")
            else:
                cells.append("")
        rows.append((column, tuple(cells)))
    rows.sort(key=lambda r: (-r[1].count("fail"), -r[1].count("warn"), r[0]))
    return ColumnGrid(tuple((c.name, status_of(c)) for c in measured), tuple(rows))
