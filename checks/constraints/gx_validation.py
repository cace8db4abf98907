"""Validating an expectation suite with great-expectations for ``constraints.expectations``, and reading its results.

great-expectations is imported lazily, with its analytics off; results are read as value-free outcomes
(expectation positions, violating row indices, counts), never data values.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthaudit.checks.constraints.suite_derivation import DATASET_LEVEL, ROW_LEVEL, PolicyExpectation

if TYPE_CHECKING:
    from synthaudit.context import AuditContext


MAX_EXAMPLE_ROWS = 20
"""Row indices shown per expectation (GX's own ``partial_unexpected_count``)."""


_RESULT_FORMAT = {
    # Index lists only: GX's lists of unexpected values would republish real values, so they are excluded.
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "include_unexpected_rows": False,
    "partial_unexpected_count": MAX_EXAMPLE_ROWS,
}


@dataclass(frozen=True)
class _Outcome:
    """What GX found for one expectation on one frame (no data values)."""

    success: bool
    level: str
    unexpected_index: np.ndarray | None
    observed: Any


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence great-expectations' Python warnings and log records (its loggers have no handler of ours)."""
    gx_logger = logging.getLogger("great_expectations")
    level = gx_logger.level
    gx_logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        gx_logger.setLevel(level)


def import_gx() -> Any:
    """Import great-expectations with its analytics off (set before the import, as GX reads it then)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations as gx

    return gx


def _gx_context(gx: Any) -> Any:
    """An in-memory GX context: no files, no analytics, no progress bars."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _referenced_columns(kwargs: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            names.append(kwargs[key])
    for key in ("column_list",):
        if isinstance(kwargs.get(key), list | tuple):
            names.extend(str(c) for c in kwargs[key])
    return names


def policy_levels(policy: Sequence[PolicyExpectation], columns: Sequence[str]) -> list[str]:
    """Check each policy expectation against GX (type, kwargs, columns); return its level (row or dataset).

    Raises ``ValueError`` with a message that names the expectation and what to fix.
    """
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import (
        get_expectation_impl,
        list_registered_expectation_implementations,
    )

    levels = []
    for i, expectation in enumerate(policy, start=1):
        where = f"policy expectation #{i} ({expectation.type})"
        try:
            impl = get_expectation_impl(expectation.type)
        except ExpectationNotFoundError:
            known = list_registered_expectation_implementations()
            close = difflib.get_close_matches(expectation.type, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"{where}: {expectation.type!r} is not a great-expectations expectation type in this installation."
                f"{hint} Use a type listed in the great-expectations expectation gallery."
            ) from None
        missing = [c for c in _referenced_columns(expectation.kwargs) if c not in columns]
        if missing:
            close = difflib.get_close_matches(missing[0], list(columns), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"{where}: column {missing[0]!r} is not a column of the audited data.{hint} Name a common column."
            )
        try:
            impl(**expectation.kwargs)
        except Exception as exc:  # GX raises pydantic and its own configuration errors here
            message = " ".join(str(exc).split())[:600]
            raise ValueError(
                f"{where}: great-expectations rejects its kwargs {sorted(expectation.kwargs)}: {message}. "
                "Fix the kwargs in the policy file."
            ) from exc
        is_map = issubclass(impl, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation)
        levels.append(ROW_LEVEL if is_map else DATASET_LEVEL)
    return levels


def _observed(result: Mapping[str, Any], rule: str) -> Any:
    """A value-free summary of what GX observed (column names and numbers only, never data values)."""
    if rule == "column_set":
        details = (result.get("details") or {}).get("mismatched") or {}
        return {k: sorted(str(c) for c in v) for k, v in details.items() if v} or None
    if rule == "null_fraction":
        elements = result.get("element_count") or 0
        return (result.get("unexpected_count") or 0) / elements if elements else None
    if rule == "uniqueness":
        return result.get("unexpected_count")
    if rule == "type":
        observed = result.get("observed_value")
        return str(observed) if observed is not None else None
    observed = result.get("observed_value")
    if isinstance(observed, bool | int | float | np.integer | np.floating):
        return observed
    return None


def validate_frames(
    suite: Mapping[str, Any], levels: Sequence[str], frames: Mapping[str, tuple[pd.DataFrame, Sequence[int]]]
) -> dict[str, dict[int, _Outcome]]:
    """Validate expectations of ``suite`` on frames with GX: one batch per frame, one validation run each.

    ``frames`` maps a key to the frame and the positions (in the suite) of the expectations to validate on it.
    """
    gx = import_gx()
    context = _gx_context(gx)
    definition = (
        context.data_sources.add_pandas("synthaudit")
        .add_dataframe_asset(name="frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    expectations = suite["expectations"]
    rules = [e.get("meta", {}).get("synthaudit", {}).get("rule", "policy") for e in expectations]
    outcomes: dict[str, dict[int, _Outcome]] = {}
    for key, (frame, positions) in frames.items():
        found: dict[int, _Outcome] = {}
        for columns, group in _batch_groups(expectations, positions, len(frame)).items():
            entries = [
                {
                    "type": expectations[i]["type"],
                    "kwargs": expectations[i]["kwargs"],
                    "meta": {"synthaudit_position": i},
                }
                for i in group
            ]
            gx_suite = gx.ExpectationSuite(name=f"{suite['name']}_{key}", expectations=entries)
            if len(gx_suite.expectations) != len(entries):
                raise ValueError(
                    "great-expectations rejected an expectation of the suite; check the policy expectations."
                )
            batch_frame = frame if columns is None else frame[list(columns)]
            batch = definition.get_batch(batch_parameters={"dataframe": batch_frame})
            results = batch.validate(gx_suite, result_format=dict(_RESULT_FORMAT)).results
            found.update(_read_results(results, expectations, levels, rules))
        if sorted(found) != sorted(positions):
            raise ValueError("great-expectations returned no result for an expectation of the suite.")
        outcomes[key] = found
    return outcomes


BATCH_CELLS = 200_000
"""Rows × columns of one validation batch of derived per-column expectations (at least one column, at most 64)."""


def _batch_groups(
    expectations: Sequence[Mapping[str, Any]], positions: Sequence[int], rows: int
) -> dict[Any, list[int]]:
    """Positions grouped by the frame GX validates them on (``None``: the whole frame).

    Derived per-column expectations run on narrow frames of a few columns: GX's pandas engine copies the whole
    batch frame for every metric, so narrow batches keep the cost linear in rows × expectations, while each
    validation run has a fixed cost of its own (a tenth of a second or more). Columns are therefore batched
    ``BATCH_CELLS // rows`` at a time (1 column a batch from 200,000 rows on, 64 on short frames: 5,000 columns
    × 100 rows take 79 runs, not 5,000). An expectation's outcome does not depend on the other columns of its
    batch. Table-level and policy expectations run on the whole frame (these may name any column, e.g. in a
    ``row_condition``).
    """
    per_batch = max(1, min(64, BATCH_CELLS // max(rows, 1)))
    by_column: dict[str, list[int]] = {}
    whole: list[int] = []
    for i in positions:
        entry = expectations[i]
        meta = entry.get("meta", {}).get("synthaudit", {})
        column = entry["kwargs"].get("column")
        if meta.get("origin") == "derived" and isinstance(column, str):
            by_column.setdefault(column, []).append(i)
        else:
            whole.append(i)
    groups: dict[Any, list[int]] = {}
    columns = list(by_column)
    for start in range(0, len(columns), per_batch):
        chunk = tuple(columns[start : start + per_batch])
        groups[chunk] = [i for column in chunk for i in by_column[column]]
    if whole:
        groups[None] = whole
    return groups


def _read_results(
    results: Sequence[Any],
    expectations: Sequence[Mapping[str, Any]],
    levels: Sequence[str],
    rules: Sequence[str],
) -> dict[int, _Outcome]:
    """GX's results as value-free outcomes by suite position; an expectation GX could not evaluate raises."""
    found: dict[int, _Outcome] = {}
    for r in results:
        position = int(r.expectation_config.meta["synthaudit_position"])
        info = r.exception_info or {}
        if info.get("raised_exception"):
            message = " ".join(str(info.get("exception_message")).split())[:600]
            raise ValueError(
                f"great-expectations could not evaluate {expectations[position]['type']} on "
                f"{_columns_label(expectations[position]['kwargs'])}: {message}"
            )
        result = dict(r.result or {})
        index = result.get("unexpected_index_list")
        row_level = levels[position] == ROW_LEVEL and index is not None and "unexpected_count" in result
        found[position] = _Outcome(
            success=bool(r.success),
            level=ROW_LEVEL if row_level else DATASET_LEVEL,
            unexpected_index=np.asarray(index, dtype=np.int64) if row_level else None,
            observed=_observed(result, rules[position]),
        )
    return found


def _columns_label(kwargs: Mapping[str, Any]) -> str:
    names = _referenced_columns(kwargs)
    return ", ".join(names) if names else "(table)"


def expectation_rows(
    entries: Sequence[Mapping[str, Any]],
    outcomes: Mapping[str, Mapping[int, _Outcome]],
    candidate_index: np.ndarray,
    reference_rows: int,
) -> tuple[list[dict[str, Any]], float, float]:
    """One record per expectation, and the shares of synthetic / reference rows breaking any row-level one.

    Row-level shares count the synthetic rows of the matched candidate sample (``candidate_index``); the
    example rows are the first synthetic row numbers of the whole synthetic data.
    """
    m_syn = max(len(candidate_index), 1)
    rows: list[dict[str, Any]] = []
    syn_any: list[np.ndarray] = []
    ref_any: list[np.ndarray] = []
    for position, entry in enumerate(entries):
        syn, ref = outcomes["synthetic"][position], outcomes["reference"].get(position)
        meta = entry["meta"]["synthaudit"]
        row: dict[str, Any] = {
            "expectation": entry["type"],
            "columns": _columns_label(entry["kwargs"]),
            "origin": meta["origin"],
            "rule": meta.get("rule", "policy"),
        }
        if syn.unexpected_index is not None and ref is not None and ref.unexpected_index is not None:
            in_candidate = syn.unexpected_index[np.isin(syn.unexpected_index, candidate_index)]
            syn_any.append(in_candidate)
            ref_any.append(ref.unexpected_index)
            row.update(
                level=ROW_LEVEL,
                synthetic_violations=len(in_candidate),
                synthetic_share=len(in_candidate) / m_syn,
                reference_violations=len(ref.unexpected_index),
                reference_share=len(ref.unexpected_index) / max(reference_rows, 1),
                clean_violation_rate=float(meta.get("clean_violation_rate", 0.0)),
                example_rows=[int(i) for i in np.sort(syn.unexpected_index)[:MAX_EXAMPLE_ROWS]],
            )
            row["excess_share"] = row["synthetic_share"] - row["reference_share"]
        else:
            row.update(level=DATASET_LEVEL, passed=syn.success, observed=syn.observed)
        rows.append(row)
    any_syn = len(np.unique(np.concatenate(syn_any))) / m_syn if syn_any else 0.0
    any_ref = len(np.unique(np.concatenate(ref_any))) / max(reference_rows, 1) if ref_any else 0.0
    return rows, any_syn, any_ref


def expected_columns(ctx: AuditContext, entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Every column an expectation names, with its role and the rules on it (the table-level column set aside)."""
    rules: dict[str, list[str]] = {}
    for entry in entries:
        meta = entry["meta"]["synthaudit"]
        rule = meta.get("rule", "policy") if meta["origin"] == "derived" else f"policy {entry['type']}"
        for column in _referenced_columns(entry["kwargs"]):
            names = rules.setdefault(column, [])
            if rule not in names:
                names.append(rule)
    return {
        column: f"{ctx.roles[column].value if column in ctx.roles else 'column'} ({', '.join(rules[column])})"
        for column in [*ctx.data.columns, *(c for c in rules if c not in ctx.data.columns)]
        if column in rules
    }


def severity(row: Mapping[str, Any]) -> tuple[float, ...]:
    """Sort key, worst first: failed dataset-level expectations, then row-level ones by excess over reference."""
    if row["level"] == DATASET_LEVEL:
        return (0.0, 0.0, 0.0)
    return (1.0, -row["excess_share"], -row["synthetic_share"])
