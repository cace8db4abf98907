"""``synthaudit trend``: model collapse across generations of synthetic data, gated on decline.

A generator refit on its own output loses the tails, then variance, then rare cases, a little more each
generation. :func:`trend` measures, on every generation and on the reference (holdout, or the seeded split
of REAL — the same reference ``check`` uses, with the same seed), the quantities collapse moves (see
:data:`~synthaudit.trend_result.QUANTITY_KINDS`), all at one matched row count. Each quantity then gets a decline test
(:mod:`synthaudit.stats.decline`): generation k fails when its decline from generation 1 exceeds
``max(floor, k_fail × sqrt(se₁² + se_k²))``, with the multipliers 5 (fail) and 3 (warn) raised by Šidák's
correction for the number of quantities × later generations. A generation's standard error is the larger of
its own and the reference's (what a sample of the real population varies by), so a sequence of fresh real
samples passes. Each generation is also audited (``synthaudit.audit``) and its verdict recorded, as
information: the trend gate is about decline.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import LoadedTable, load_table
from synthaudit.encoding import RowEncoder
from synthaudit.errors import InputError
from synthaudit.stats.collapse import Estimate
from synthaudit.stats.decline import decline_test
from synthaudit.stats.multiple import sidak_multiplier
from synthaudit.trend_measure import KNN_CAP, ROW_CAP, build_baseline, make_sample, measure
from synthaudit.trend_result import QUANTITY_KINDS, QuantityKind, QuantityTrend, TrendResult

__all__ = [
    "FAIL_SE",
    "MIN_GENERATIONS",
    "QUANTITY_KINDS",
    "WARN_SE",
    "QuantityKind",
    "QuantityTrend",
    "TrendResult",
    "generation_sources",
    "trend",
]

Source = str | os.PathLike[str] | pd.DataFrame
FAIL_SE = 5.0
"""Standard errors of decline that fail one comparison (before the Šidák correction)."""
WARN_SE = 3.0
"""Standard errors of decline that warn (before the Šidák correction)."""
MIN_GENERATIONS = 3
"""Fewest generations a trend needs (two points cannot tell a decline from noise)."""
_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")


# ----------------------------------------------------------------------------- inputs
def generation_sources(generations: Sequence[Source]) -> list[Source]:
    """The generations in order: the files as given, or the data files of one directory sorted by name.

    Raises :class:`InputError` for a directory among several generations, an empty directory, or fewer than
    :data:`MIN_GENERATIONS` generations.
    """
    sources = list(generations)
    directories = [s for s in sources if not isinstance(s, pd.DataFrame) and _is_directory(Path(s))]
    if directories and len(sources) > 1:
        raise InputError(
            f"{str(directories[0])!r} is a directory; give either one directory of generation files or the "
            "generation files themselves, not both."
        )
    if directories:
        folder = Path(directories[0])
        broken = [p for p in folder.iterdir() if not p.name.startswith(".") and _is_data_file(p) and not p.exists()]
        if broken:  # a dangling or looping link: never drop a generation silently
            raise InputError(
                f"the directory {str(folder)!r} holds {broken[0].name!r}, which is not a readable file (a broken or "
                "looping symbolic link?); fix or remove it."
            )
        sources = sorted(
            (str(p) for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and _is_data_file(p)),
            key=lambda path: _natural_key(Path(str(path)).name),
        )
        if not sources:
            raise InputError(f"the directory {str(folder)!r} holds no data files ({', '.join(_SUFFIXES)}).")
    absent = [s for s in sources if not isinstance(s, pd.DataFrame) and not _exists_or_pattern(str(s))]
    if absent:  # before counting: a mistyped directory is one missing path, not "1 generation"
        raise InputError(f"generation {str(absent[0])!r} does not exist; check the path.")
    if len(sources) < MIN_GENERATIONS:
        raise InputError(
            f"trend needs at least {MIN_GENERATIONS} generations to tell a decline from noise; got "
            f"{len(sources)}. Give the generations in order (GEN1 GEN2 GEN3 ...) or one directory of them."
        )
    return sources


def _natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a file name with its digit runs compared as numbers: ``gen2`` before ``gen10``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part)


def _exists_or_pattern(path: str) -> bool:
    """Whether ``path`` exists (file, directory, link) or is a glob pattern of shards (the reader expands it)."""
    try:
        return os.path.lexists(path) or any(c in path for c in "*?[")
    except (OSError, ValueError):  # a name too long or with a NUL: the file reader reports it
        return True


def _is_directory(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long to look up: the file reader reports it
        return False


def _is_data_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(_SUFFIXES)


def _check_columns(tables: Sequence[LoadedTable]) -> None:
    first = list(tables[0].frame.columns)
    for index, table in enumerate(tables[1:], start=2):
        columns = list(table.frame.columns)
        missing = [c for c in first if c not in set(columns)]
        extra = [c for c in columns if c not in set(first)]
        if missing or extra:
            parts = ([f"missing {missing}"] if missing else []) + ([f"extra {extra}"] if extra else [])
            raise InputError(
                f"generation {index} ({table.source!r}) does not have the columns of generation 1 "
                f"({tables[0].source!r}): {'; '.join(parts)}. Every generation must have the same columns."
            )


def _one_side_notes(only_real: Sequence[str], only_generations: Sequence[str]) -> tuple[str, ...]:
    """Columns measured on no generation: the trend cannot see a column every generation lost."""
    notes = []
    if only_real:
        notes.append(
            f"columns of the real data missing from every generation, not measured: {list(only_real)} (each "
            "generation's audit fails constraints.schema on them)"
        )
    if only_generations:
        notes.append(f"columns of the generations absent from the real data, not measured: {list(only_generations)}")
    return tuple(notes)


# ----------------------------------------------------------------------------- result
# ----------------------------------------------------------------------------- the run
def _audit_summary(result: Any) -> dict[str, Any]:
    failing = sorted(c.name for c in result.checks_list if c.status.value in ("fail", "error"))
    warned = sorted(c.name for c in result.checks_list if c.status.value == "warn")
    return {"passed": bool(result.passed), "failed_checks": failing, "warned_checks": warned, "counts": result.counts()}


def _series(
    name: str, measured: list[dict[str, Estimate]], reference: dict[str, Estimate], k_fail: float, k_warn: float
) -> QuantityTrend:
    kind_name, _, column = name.partition(":")
    kind = QUANTITY_KINDS[kind_name]
    ref = reference[name]
    values = tuple(m[name].value for m in measured)
    own = tuple(m[name].se for m in measured)
    used = tuple(max(se, ref.se) for se in own)
    scale = abs(ref.value) if kind.relative else 1.0
    fail_floor, warn_floor = kind.fail_floor * scale, kind.warn_floor * scale
    test = decline_test(
        values,
        used,
        higher_is_better=kind.higher_is_better,
        fail_floor=fail_floor,
        warn_floor=warn_floor,
        fail_multiplier=k_fail,
        warn_multiplier=k_warn,
    )
    return QuantityTrend(
        name, kind_name, column or None, values, own, used, ref.value, ref.se, fail_floor, warn_floor, test
    )


def trend(
    real: Source,
    generations: Sequence[Source],
    holdout: Source | None = None,
    *,
    text: Sequence[str] = (),
    target: str | None = None,
    seed: int = 0,
    audits: bool = True,
    policy: str | os.PathLike[str] | dict[str, Any] | None = None,
    embed_text: bool = False,
    encoding: str = "utf-8",
    progress: Callable[[str], None] | None = None,
) -> TrendResult:
    """Measure model collapse across ``generations`` (in order) against ``real``, and gate on decline.

    ``generations`` are paths or frames, or one directory whose data files are taken sorted by name (digit
    runs as numbers: ``gen2`` before ``gen10``); at
    least :data:`MIN_GENERATIONS`, all with the same columns. ``holdout`` is the reference (else the seeded
    split of ``real``). ``audits`` runs ``synthaudit.audit`` on each generation for its verdict (information),
    under ``policy`` (a policy file or mapping; its seed is overridden by ``seed``); ``embed_text`` adds text
    embeddings to the row vectors of coverage, recall and Vendi.

    Raises :class:`InputError` on bad input (the CLI exits 2).
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    sources = generation_sources(generations)
    real_table = load_table(real, label="real", encoding=encoding)
    holdout_table = None if holdout is None else load_table(holdout, label="holdout", encoding=encoding)
    tables = [load_table(s, label=f"generation {i}", encoding=encoding) for i, s in enumerate(sources, start=1)]
    _check_columns(tables)
    if not set(real_table.frame.columns) & set(tables[0].frame.columns):
        raise InputError(
            f"the real file {real_table.source!r} and the generations ({tables[0].source!r} ...) have no column "
            f"name in common (real: {list(real_table.frame.columns)[:10]}, generations: "
            f"{list(tables[0].frame.columns)[:10]}); the generations must use the real data's column names "
            "(check the header row and the delimiter)."
        )
    for table in tables:
        if table.n_rows < 20:
            raise InputError(
                f"generation file {table.source!r} has {table.n_rows} rows; each generation needs at least 20."
            )
    pooled = load_table(pd.concat([t.frame for t in tables], ignore_index=True), label="generations")
    data = align(real_table, pooled, holdout_table, text=text, target=target)
    ctx = AuditContext(data, seed=seed)
    offsets = np.cumsum([0, *(t.n_rows for t in tables)])
    frames = [data.synth.iloc[offsets[i] : offsets[i + 1]] for i in range(len(tables))]
    reference_frame = ctx.frame("holdout") if ctx.holdout is not None else ctx.reference_pair.candidate
    matched = min(len(reference_frame), *(len(f) for f in frames), ROW_CAP)
    encoder = RowEncoder.fit(data.real, data.roles, others=[f for f in (data.holdout, data.synth) if f is not None])
    baseline = build_baseline(ctx, encoder, matched, embed_text)
    reference = measure(
        ctx, baseline, make_sample(ctx, encoder, reference_frame, "reference", matched, embed_text), reference=True
    )
    timings: dict[str, Any] = {"setup_seconds": time.perf_counter() - started, "generations": []}
    measured: list[dict[str, Estimate]] = []
    records: list[dict[str, Any]] = []
    for index, (table, frame) in enumerate(zip(tables, frames, strict=True), start=1):
        say(f"generation {index}/{len(tables)}: {table.source}")
        tick = time.perf_counter()
        measured.append(
            measure(ctx, baseline, make_sample(ctx, encoder, frame, f"generation.{index}", matched, embed_text))
        )
        measure_seconds = time.perf_counter() - tick
        summary = None
        if audits:
            from synthaudit.api import audit

            summary = _audit_summary(
                audit(
                    real_table.frame,
                    table.frame,
                    None if holdout_table is None else holdout_table.frame,
                    text=text,
                    target=target,
                    seed=seed,
                    policy=policy,
                    command_line=[],
                )
            )
        timings["generations"].append(
            {"measure_seconds": measure_seconds, "audit_seconds": time.perf_counter() - tick - measure_seconds}
        )
        label = Path(table.source).name if table.format != "dataframe" else f"generation {index}"
        records.append(
            {
                "index": index,
                "label": label,
                "source": table.source,
                "sha256": table.sha256,
                "rows": table.n_rows,
                "audit": summary,
            }
        )
    names = [name for name in reference if all(name in m for m in measured)]
    comparisons = len(names) * (len(tables) - 1)
    k_fail, k_warn = sidak_multiplier(FAIL_SE, comparisons), sidak_multiplier(WARN_SE, comparisons)
    quantities = tuple(_series(name, measured, reference, k_fail, k_warn) for name in names)
    statuses = {q.test.status for q in quantities}
    status = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    timings["total_seconds"] = time.perf_counter() - started
    return TrendResult(
        status=status,
        generations=tuple(records),
        quantities=quantities,
        reference={
            **ctx.reference_info,
            "synthetic_rows": len(data.synth),
            "matched_rows": matched,
            "vector_rows": min(matched, KNN_CAP),
            "real_source": real_table.source,
            "holdout_source": None if holdout_table is None else holdout_table.source,
        },
        multipliers={
            "fail_se": FAIL_SE,
            "warn_se": WARN_SE,
            "comparisons": comparisons,
            "fail": k_fail,
            "warn": k_warn,
        },
        seed=seed,
        notes=(
            *(n for n in data.notes if "is empty" in n),
            *_one_side_notes(data.only_real, data.only_synth),
            *baseline.notes,
        ),
        timings=timings,
    )
