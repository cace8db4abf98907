"""The Python API: ``audit(real, synth, ...) -> AuditResult``. The CLI is a thin layer over it.

Data flows one way: load → align → context → checks → gate. Everything cheap is validated first (policy,
installed checks, files, columns) so bad input fails before any expensive computation.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from synthaudit.check import Check, Need
from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import LoadedTable, load_table
from synthaudit.data.roles import Role
from synthaudit.embeddings import EmbeddingOptions, default_cache_dir
from synthaudit.engine import open_engine
from synthaudit.errors import InputError
from synthaudit.examples import attach_examples
from synthaudit.fileio import write_text_atomic
from synthaudit.gate import apply_outcomes, decide_gate
from synthaudit.plausibility import assess_reference
from synthaudit.policy import Policy, load_policy, resolve_params
from synthaudit.registry import Registry, load_registry
from synthaudit.result import AuditResult, CheckResult
from synthaudit.runner import missing_need_reason, run_checks, select_checks
from synthaudit.version import installed_version, tool_version

__all__ = ["audit", "tool_version"]

Source = str | os.PathLike[str] | pd.DataFrame
_REPORTED_LIBRARIES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "faiss-cpu",
    "pydantic",
    "evidently",
    "great-expectations",
    "fairlearn",
    "presidio-analyzer",
    "sentence-transformers",
    "torch",
)
"""Libraries whose versions ``run_info.versions`` records: those whose results the report shows."""


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _REPORTED_LIBRARIES:
        try:
            versions[name] = installed_version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _input_record(table: LoadedTable) -> dict[str, Any]:
    return {
        "source": table.source,
        "format": table.format,
        "sha256": table.sha256,
        "rows": table.n_rows,  # every row of the input, also when --max-rows kept fewer
        "rows_used": len(table.frame),
        "columns": table.n_columns,
    }


EXPECTATION_SUITE = "expectation_suite"
"""The export kind ``--export-expectations`` writes."""
MIN_ROWS = 20
"""Fewest data rows on any side (real, synthetic, holdout) that an audit accepts; fewer is bad input."""


def _exporters(classes: dict[str, type[Check]], selected: Sequence[str], kind: str) -> list[str]:
    """The selected checks whose results carry an export of ``kind``; bad input (before any work) when none."""
    names = [name for name in selected if kind in classes[name].exports]
    if not names:
        offering = sorted(name for name, cls in classes.items() if kind in cls.exports)
        hint = f"run {' or '.join(offering)}" if offering else "install a check that exports it"
        raise InputError(f"--export-expectations needs a check that derives the {kind.replace('_', ' ')}; {hint}.")
    return names


def _write_export(results: Sequence[CheckResult], names: Sequence[str], kind: str, path: Path) -> None:
    """Write the ``kind`` artefact one of ``names`` put on its result, as JSON, atomically."""
    artefact = next((r.export for r in results if r.name in names and r.export and r.export.kind == kind), None)
    if artefact is None:
        said = "; ".join(f"{r.name} {r.status.value}: {r.summary}" for r in results if r.name in names)
        raise InputError(f"no {kind.replace('_', ' ')} to export: {said}")
    try:
        text = json.dumps(artefact.content, indent=2, sort_keys=True, default=str) + "\n"
        write_text_atomic(path, text)
    except OSError as exc:
        raise InputError(f"cannot write the expectation suite to {str(path)!r} ({exc.strerror or exc}).") from None


def _require_rows(loaded: dict[str, LoadedTable], max_rows: int | None) -> None:
    """Bad input when any side has fewer than :data:`MIN_ROWS` data rows: nothing could be measured."""
    for label, table in loaded.items():
        rows = len(table.frame)
        if rows < MIN_ROWS:
            hint = " (or raise --max-rows)" if max_rows is not None else ""
            raise InputError(
                f"the {label} file {table.source!r} has {rows} data row{'s' * (rows != 1)}; an audit "
                f"needs at least {MIN_ROWS} rows on every side to measure anything. Give more rows{hint}."
            )


_ROLE_NEEDS = (Need.TEXT, Need.NUMERIC, Need.CATEGORICAL, Need.IDENTIFIER)


def _role_needs_missing(cls: type[Check], ctx: AuditContext) -> bool:
    """Whether ``cls`` cannot apply to this data's columns (a preset does not require it then)."""
    return any(missing_need_reason(need, ctx) for need in cls.needs if need in _ROLE_NEEDS) or bool(
        cls.not_applicable(ctx)
    )


def _apply_overrides(policy: Policy, **overrides: Any) -> Policy:
    changes = {k: v for k, v in overrides.items() if v is not None and v != ()}
    if "only" in changes:
        changes["only"] = tuple(dict.fromkeys((*policy.only, *changes["only"])))
    if "skip" in changes:
        changes["skip"] = tuple(dict.fromkeys((*policy.skip, *changes["skip"])))
    return policy.model_copy(update=changes) if changes else policy


def _load_eval_sets(
    sources: Sequence[Source] | Mapping[str, Source],
    encoding: str,
    inputs: dict[str, Any],
    load: Callable[..., LoadedTable] = load_table,
) -> dict[str, LoadedTable]:
    """Load the evaluation sets (never row-capped), named by file name, and record each in ``inputs``."""
    if isinstance(sources, str | os.PathLike | pd.DataFrame):
        sources = [sources]
    named: list[tuple[str, Source]]
    if isinstance(sources, Mapping):
        named = [(str(name), source) for name, source in sources.items()]
    else:
        named = [
            (f"eval_set_{i}" if isinstance(source, pd.DataFrame) else Path(os.fspath(source)).name, source)
            for i, source in enumerate(sources, start=1)
        ]
    loaded: dict[str, LoadedTable] = {}
    for name, source in named:
        unique, number = name, 2
        while unique in loaded or unique == "holdout":  # the holdout is the eval set named "holdout"
            unique, number = f"{name} #{number}", number + 1
        table = load(source, label="eval set", encoding=encoding)
        loaded[unique] = table
        inputs[f"eval set {unique}"] = _input_record(table)
    return loaded


def audit(
    real: Source,
    synth: Source,
    holdout: Source | None = None,
    *,
    target: str | None = None,
    positive_label: str | None = None,
    task: str | None = None,
    sensitive: Sequence[str] = (),
    text: Sequence[str] = (),
    ids: Sequence[str] = (),
    quasi_identifiers: Sequence[str] = (),
    pairs: Sequence[str | tuple[str, str]] = (),
    columns: Sequence[str] | None = None,
    policy: str | os.PathLike[str] | dict[str, Any] | Policy | None = None,
    seed: int | None = None,
    preset: str | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    fail_on_warn: bool | None = None,
    max_rows: int | None = None,
    full: bool | None = None,
    show_examples: bool | None = None,
    encoding: str = "utf-8",
    embedding_model: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    no_cache: bool = False,
    export_expectations: str | os.PathLike[str] | None = None,
    eval_sets: Sequence[Source] | Mapping[str, Source] = (),
    registry: Registry | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    command_line: Sequence[str] | None = None,
    today: dt.date | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    workers: int | None = None,
) -> AuditResult:
    """Audit ``synth`` against ``real`` and return the gated result.

    Parameters
    ----------
    real, synth, holdout
        Paths (CSV, TSV, Parquet, JSON lines) or pandas DataFrames. ``holdout`` holds real rows the
        generator never saw; it is the reference for every score (without it, a seeded split of the real
        data stands in, and the result says so).
    target, sensitive, text, ids, quasi_identifiers
        Column roles the checks use; every named column must exist in the real data.
    pairs
        Prompt–response text column pairs whose relation ``fidelity.pairs`` audits, as ``"PROMPT:RESPONSE"``
        or ``(prompt, response)``. A chat file (JSON records with ``messages``) implies ``user:assistant``.
    positive_label, task
        The positive class of a binary target (default: its rarer class) and ``classification`` or
        ``regression`` (default: inferred from the target's values).
    policy
        A policy file path, mapping or :class:`~synthaudit.policy.Policy`; the keyword arguments ``seed``,
        ``preset``, ``only``, ``skip``, ``fail_on_warn``, ``max_rows`` and ``full`` override it.
    embedding_model, cache_dir, no_cache
        Text embeddings: a local model directory (default: the installed all-MiniLM-L6-v2), the private
        cache directory (default ``~/.cache/synthaudit/embeddings``), or no cache at all.
    show_examples
        Put flagged synthetic texts, each beside its nearest real text, in the failing checks' results, with
        personal data masked (at most 5 per check; policy ``include_examples``). Off by default: results and
        reports otherwise name rows by number and never show a real record.
    export_expectations
        Write the expectation suite derived from the real data (great-expectations JSON) to this path: the
        artefact a selected check (``constraints.expectations``) puts on its result while it runs; it is not
        kept in the returned result. Bad input, before any work, when no selected check derives one.
    eval_sets
        Benchmark or test sets the downstream model will be evaluated on (paths or DataFrames, or a mapping
        name → source); ``leakage.contamination`` looks for their items in the synthetic data, the holdout
        counting as one more. Named by file name (``eval_set_1`` … for DataFrames).
    registry
        The checks to run; by default every check installed under the ``synthaudit.checks`` entry points.
    engine, ray_address, workers
        Where the heavy artefacts are computed: ``"local"`` (default, in this process) or ``"ray"`` (sharded
        inputs, embeddings and nearest-neighbour searches on a Ray cluster: the cluster at ``ray_address``,
        else a local instance with ``workers`` CPUs started and shut down by the audit). Same result either
        way; ``run_info.engine`` records which ran (see docs/scale-out.md).

    Raises
    ------
    InputError, PolicyError, PluginError
        Bad input, policy or plugin (the CLI exits with code 2).
    """
    started = time.perf_counter()
    timings: dict[str, Any] = {}
    resolved_policy = _apply_overrides(
        load_policy(policy),
        seed=seed,
        preset=preset,
        only=tuple(only),
        skip=tuple(skip),
        fail_on_warn=fail_on_warn,
        max_rows=max_rows,
        full=full,
        include_examples=show_examples,
    )
    resolved_policy = load_policy(resolved_policy.model_dump())  # re-validate the overrides
    checks_registry = registry if registry is not None else load_registry()
    classes = checks_registry.classes_by_name  # a check's module is imported when it is looked up
    selection = select_checks(list(classes), resolved_policy)
    params = resolve_params(resolved_policy, classes, selected=selection.run)
    exporters = _exporters(classes, selection.run, EXPECTATION_SUITE) if export_expectations is not None else []
    if embedding_model is not None and not Path(embedding_model).expanduser().is_dir():  # bad input, before any work
        raise InputError(
            f"--embedding-model {embedding_model!r} is not a directory; give the local path of a "
            "sentence-transformers model (models are never downloaded)."
        )
    runner = open_engine(engine, address=ray_address, workers=workers)
    try:
        tick = time.perf_counter()
        tables = {"real": real, "synthetic": synth, "holdout": holdout}
        loaded: dict[str, LoadedTable] = {}
        inputs: dict[str, Any] = {}
        for label, source in tables.items():
            if source is None:
                continue
            capped = runner.load_table(
                source, label=label, encoding=encoding, max_rows=resolved_policy.max_rows, seed=resolved_policy.seed
            )
            loaded[label] = capped
            inputs[label] = _input_record(capped)
        loaded_eval = _load_eval_sets(eval_sets, encoding, inputs, runner.load_table)
        timings["load_seconds"] = time.perf_counter() - tick

        tick = time.perf_counter()
        data = align(
            loaded["real"],
            loaded["synthetic"],
            loaded.get("holdout"),
            columns=columns,
            target=target,
            sensitive=sensitive,
            text=text,
            ids=ids,
            quasi_identifiers=quasi_identifiers,
            pairs=pairs,
            task=task,
            positive_label=positive_label,
            roles={column: Role(role) for column, role in resolved_policy.roles.items()},
            eval_sets=loaded_eval,
        )
        timings["align_seconds"] = time.perf_counter() - tick
        _require_rows(loaded, resolved_policy.max_rows)
        embedding = EmbeddingOptions(
            model=embedding_model,
            cache_dir=None if no_cache else (Path(cache_dir) if cache_dir is not None else default_cache_dir()),
        )
        ctx = AuditContext(
            data,
            seed=resolved_policy.seed,
            full=resolved_policy.full,
            progress=on_event,
            embedding=embedding,
            engine=runner,
            whole_inputs={label: table.whole for label, table in loaded.items() if table.whole is not None},
        )

        tick = time.perf_counter()
        plausibility = assess_reference(ctx)
        timings["reference_plausibility_seconds"] = time.perf_counter() - tick
        run = {name: classes[name] for name in selection.run}
        providers = {name: checks_registry[name].provider for name in selection.run}
        results, durations = run_checks(
            run, params, ctx, providers=providers, on_event=on_event, timeout_s=resolved_policy.timeout_s
        )
        if export_expectations is not None:
            _write_export(results, exporters, EXPECTATION_SUITE, Path(export_expectations))
        results = [replace(r, export=None) for r in results]  # exports may hold real values: never kept
        if resolved_policy.include_examples:
            results = attach_examples(results, ctx)
        installed = set(classes)
        candidates = resolved_policy.required_candidates(installed)  # the checks a preset may require
        applicable = {name for name in candidates if not _role_needs_missing(classes[name], ctx)}
        decision = decide_gate(
            results,
            reference=plausibility,
            required=resolved_policy.effective_required(installed, applicable),
            fail_on_warn=resolved_policy.effective_fail_on_warn,
            errors_fail=resolved_policy.errors_fail,
            deselected=selection.deselected,
            waivers=resolved_policy.waivers,
            today=today,
        )
        timings["checks_seconds"] = durations
        timings["total_seconds"] = time.perf_counter() - started
        policy_record = resolved_policy.to_record(installed, applicable)
        policy_record["deselected"] = list(selection.deselected)
        policy_record["params"] = {name: params[name].model_dump(mode="json") for name in selection.run}
        return AuditResult(
            passed=decision.passed,
            gate=decision,
            checks_list=apply_outcomes(results, decision),
            inputs=inputs,
            policy=policy_record,
            seed=resolved_policy.seed,
            tool_version=tool_version(),
            reference={**ctx.reference_info, "plausible": plausibility["plausible"], "plausibility": plausibility},
            notes=data.notes,
            columns={
                "roles": {c: role.value for c, role in data.roles.items()},
                "only_real": list(data.only_real),
                "only_synthetic": list(data.only_synth),
                "target": data.target,
                "task": data.task,
                "positive_label": data.positive_label,
                "sensitive": list(data.sensitive),
                "text": list(data.text),
                "identifiers": list(data.ids),
                "quasi_identifiers": list(data.quasi_identifiers),
                "pairs": [list(pair) for pair in data.pairs],
            },
            run_info={
                "timings": timings,
                "versions": _library_versions(),
                "command_line": list(command_line) if command_line is not None else list(sys.argv),
                "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "platform": platform.platform(),
                "cpu_count": os.cpu_count(),
                "cwd": str(Path.cwd()),
                "engine": runner.describe(),
            },
        )
    finally:
        runner.close()
