"""The command line: ``synthaudit check | checks | init | report``. A thin layer over :func:`synthaudit.audit`.

The CLI owns the console: progress and messages on stderr (rich), the summary on stdout. Bad input,
policy or plugin errors print one paragraph and exit 2; a bug prints its traceback and exits 3.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from synthaudit.errors import SynthauditError

__all__ = ["DEFAULT_REPORT", "ExitCode", "Preset", "Task", "app", "main"]

DEFAULT_REPORT = Path("synthaudit-report.html")


class ExitCode(IntEnum):
    """Process exit codes of ``synthaudit``."""

    PASSED = 0
    """The gate passed (warnings allowed)."""
    FAILED = 1
    """The gate failed."""
    USAGE_ERROR = 2
    """Bad usage, or unreadable / invalid input, policy or plugin."""
    INTERNAL_ERROR = 3
    """A bug in synthaudit or a plugin: please report it."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C)."""


class Preset(StrEnum):
    """``--preset`` choices (the policy's ``preset`` values; --help lists them, another value exits 2)."""

    DEFAULT = "default"
    STRICT = "strict"


class EngineName(StrEnum):
    """``--engine`` choices (see synthaudit.engine)."""

    LOCAL = "local"
    RAY = "ray"


class Task(StrEnum):
    """``--task`` choices."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"


def _show_flags_as_flags() -> None:
    """Render boolean flags as ``--quiet``, not ``--quiet <bool>`` (typer shows a value type for them).

    A flag takes no value, so its help line shows none; every other option keeps its type.
    """
    from typer.core import TyperOption

    original = TyperOption.display_type_rich
    if getattr(original, "synthaudit_flags", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and not self.count:
            return None
        return original(self, ctx)

    display_type_rich.synthaudit_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_show_flags_as_flags()

app = typer.Typer(
    name="synthaudit",
    help=(
        "Audit a synthetic dataset against the real data it imitates: fidelity, diversity, leakage, "
        "balance and constraints, gated pass/fail. Exit codes: 0 passed, 1 failed, 2 bad input or usage, "
        "3 internal error, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from synthaudit.version import DISTRIBUTION_NAME, tool_version

        typer.echo(f"synthaudit {tool_version()} (distribution {DISTRIBUTION_NAME})")
        raise typer.Exit(ExitCode.PASSED)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    pass


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _guard(action: Callable[[], int]) -> None:
    """Run ``action`` and turn its outcome, or the error it raised, into the documented exit code."""
    err = _stderr()
    try:
        code = action()
    except SynthauditError as exc:
        err.print(f"synthaudit: error: {exc}", markup=False)
        raise typer.Exit(ExitCode.USAGE_ERROR) from None
    except KeyboardInterrupt:
        err.print("synthaudit: interrupted.", markup=False)
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except MemoryError:  # outside a check (a check's own MemoryError is that check's error)
        err.print(
            "synthaudit: error: out of memory; audit fewer rows (--max-rows N) or columns (--columns), or give the "
            "process more memory.",
            markup=False,
        )
        raise typer.Exit(ExitCode.USAGE_ERROR) from None
    except typer.Exit:
        raise
    except Exception:
        err.print(traceback.format_exc(), markup=False)
        err.print(
            "synthaudit: internal error — this is a bug. Please report it with the traceback above and the "
            "command you ran.",
            markup=False,
        )
        raise typer.Exit(ExitCode.INTERNAL_ERROR) from None
    raise typer.Exit(code)


def _split_commas(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


@app.command("check")
def check_command(
    real: Annotated[Path, typer.Argument(help="Real (training) data: CSV, TSV, Parquet or JSON lines.")],
    synth: Annotated[Path, typer.Argument(help="Synthetic data to audit, same columns as the real data.")],
    holdout: Annotated[
        Path | None, typer.Option(help="Real rows the generator never saw: the reference for every score.")
    ] = None,
    eval_set: Annotated[
        list[Path] | None,
        typer.Option(
            "--eval-set", help="Benchmark/test set the downstream model is evaluated on (repeatable): contamination."
        ),
    ] = None,
    target: Annotated[str | None, typer.Option(help="Outcome column (utility, outcome gaps).")] = None,
    positive_label: Annotated[
        str | None, typer.Option(help="Positive class of a binary target (default: rarer class).")
    ] = None,
    task: Annotated[Task | None, typer.Option(help="Outcome task (default: inferred from the target).")] = None,
    sensitive: Annotated[list[str] | None, typer.Option(help="Demographic column (repeatable).")] = None,
    text: Annotated[list[str] | None, typer.Option(help="Text column (repeatable).")] = None,
    pair: Annotated[
        list[str] | None,
        typer.Option(
            help="PROMPT:RESPONSE text columns whose relation is audited (repeatable); chats imply user:assistant."
        ),
    ] = None,
    id_columns: Annotated[list[str] | None, typer.Option("--id", help="Identifier column (repeatable).")] = None,
    quasi_identifiers: Annotated[
        list[str] | None, typer.Option("--quasi-identifiers", help="Column an attacker may know (repeatable).")
    ] = None,
    columns: Annotated[str | None, typer.Option(help="Restrict the audit to these comma-separated columns.")] = None,
    max_rows: Annotated[
        int | None, typer.Option(help="Seeded row cap per input file, for quick runs (recorded).", min=1)
    ] = None,
    only: Annotated[list[str] | None, typer.Option(help="Run only this check or suite (repeatable).")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="Do not run this check or suite (repeatable).")] = None,
    config: Annotated[Path | None, typer.Option(help="Policy file (YAML); `synthaudit init` writes one.")] = None,
    preset: Annotated[
        Preset | None, typer.Option(help="Policy preset (strict: warnings fail, every leakage check required).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Audit seed (default 0): every sample derives from it.", min=0)
    ] = None,
    fail_on_warn: Annotated[bool, typer.Option("--fail-on-warn", help="A warning fails the gate.")] = False,
    full: Annotated[bool, typer.Option("--full", help="No sampling caps anywhere.")] = False,
    show_examples: Annotated[
        bool,
        typer.Option(
            "--show-examples",
            help="Show flagged synthetic texts beside their nearest real text (personal data masked, 5 per check).",
        ),
    ] = False,
    embedding_model: Annotated[
        str | None, typer.Option(help="Local sentence-transformers model directory (default: all-MiniLM-L6-v2).")
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache directory (private, 0700).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Keep no embedding cache on disk.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the result as JSON to this file.")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Self-contained HTML report to write.", show_default=str(DEFAULT_REPORT)),
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Write no HTML report.")] = False,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML file (one testcase per check).")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary (pull requests, CI).")] = None,
    signoff: Annotated[str | None, typer.Option(help='Fill the report\'s sign-off block: "Name, Role".')] = None,
    export_expectations: Annotated[
        Path | None, typer.Option(help="Write the expectation suite derived from the real data (JSON).")
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="Input file encoding (UTF-8 with or without BOM by default).")
    ] = "utf-8",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the verdict line: no progress, no library output.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every check's summary and parameters.")] = False,
    engine: Annotated[
        EngineName, typer.Option(help="Where heavy artefacts run: this process, or a Ray cluster (same result).")
    ] = EngineName.LOCAL,
    ray_address: Annotated[
        str | None, typer.Option(help="Join this Ray cluster (--engine ray; default: start a local one).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="CPUs of the local Ray instance, or actors on a cluster (--engine ray).")
    ] = None,
) -> None:
    """Audit SYNTH against REAL and exit 0 (passed), 1 (failed) or 2 (bad input)."""

    def run(report_path: Path | None) -> int:
        # imported here, after library_output() has set what libraries read when they are imported
        from synthaudit.api import audit
        from synthaudit.progress import make_progress
        from synthaudit.reports.terminal import render_summary

        with make_progress(quiet=quiet, stream=sys.stderr, console=_stderr()) as progress:
            result = audit(
                real,
                synth,
                holdout,
                eval_sets=list(eval_set or []),
                target=target,
                positive_label=positive_label,
                task=task.value if task is not None else None,
                sensitive=_split_commas(sensitive),
                text=_split_commas(text),
                ids=_split_commas(id_columns),
                quasi_identifiers=_split_commas(quasi_identifiers),
                pairs=list(pair or []),
                columns=_split_commas([columns]) if columns else None,
                policy=config,
                seed=seed,
                preset=preset.value if preset is not None else None,
                only=_split_commas(only),
                skip=_split_commas(skip),
                fail_on_warn=fail_on_warn or None,
                max_rows=max_rows,
                full=full or None,
                show_examples=show_examples or None,
                encoding=encoding,
                embedding_model=embedding_model,
                cache_dir=cache_dir,
                no_cache=no_cache,
                export_expectations=export_expectations,
                on_event=progress,
                command_line=["synthaudit", *sys.argv[1:]],
                engine=engine.value,
                ray_address=ray_address,
                workers=workers,
            )
        out = Console(highlight=False, soft_wrap=False)
        if quiet:
            out.print("PASSED" if result.passed else "FAILED", highlight=False)
        else:
            render_summary(result, out, verbose=verbose)
        _write_outputs(
            result,
            report=report_path,
            json_path=json_path,
            junit=junit,
            markdown=markdown,
            signoff=signoff,
            quiet=quiet,
        )
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    def action() -> int:
        from synthaudit.errors import InputError
        from synthaudit.progress import library_output

        if no_report and report is not None:
            raise InputError("--report and --no-report contradict each other; pass one of them.")
        report_path = None if no_report else (report if report is not None else DEFAULT_REPORT)
        with library_output(quiet=quiet, interactive=sys.stderr.isatty()):
            return run(report_path)

    _guard(action)


@app.command("trend")
def trend_command(
    real: Annotated[Path, typer.Argument(help="Real data the generations imitate: CSV, TSV, Parquet or JSON lines.")],
    generations: Annotated[
        list[Path], typer.Argument(help="Generations in order (at least 3), or one directory of them sorted by name.")
    ],
    holdout: Annotated[
        Path | None, typer.Option(help="Real rows no generator saw: the reference for every quantity.")
    ] = None,
    text: Annotated[list[str] | None, typer.Option(help="Text column (repeatable).")] = None,
    target: Annotated[str | None, typer.Option(help="Outcome column (used by the per-generation audits).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every sample (the audits use it too).", min=0)] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the trend result as JSON to this file.")] = (
        None
    ),
    report: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report of the trend.")] = None,
    no_audits: Annotated[
        bool, typer.Option("--no-audits", help="Skip the per-generation audits (their verdicts are information).")
    ] = False,
    config: Annotated[Path | None, typer.Option(help="Policy file (YAML) of the per-generation audits.")] = None,
    embed_text: Annotated[
        bool, typer.Option("--embed-text", help="Add text embeddings to the rows of coverage, recall and Vendi.")
    ] = False,
) -> None:
    """Model collapse across generations: exit 1 on a decline beyond generation 1, else 0; 2 on bad input."""

    def action() -> int:
        from synthaudit.progress import library_output
        from synthaudit.reports.trend import render_trend_summary, write_trend_html
        from synthaudit.trend import trend

        err = _stderr()
        with library_output(quiet=False, interactive=sys.stderr.isatty()):
            result = trend(
                real,
                list(generations),
                holdout,
                text=_split_commas(text),
                target=target,
                seed=seed,
                audits=not no_audits,
                policy=config,
                embed_text=embed_text,
                progress=lambda message: err.print(message, markup=False),
            )
        record = result.to_dict()
        typer.echo(render_trend_summary(record))
        _write_each(
            [
                ("trend JSON", json_path, result.write_json),
                ("HTML report", report, lambda path: write_trend_html(record, path)),
            ]
        )
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    _guard(action)


@app.command("checks")
def checks_command(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show every default parameter.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the list as JSON (every default parameter) on stdout.")
    ] = False,
) -> None:
    """List every installed check: suite, needs, gating metrics, default thresholds, providing package."""

    def action() -> int:
        from rich.table import Table

        from synthaudit.registry import load_registry

        registry = load_registry()
        if as_json:
            typer.echo(_checks_json(registry))
            return ExitCode.PASSED
        table = Table(title=f"{len(registry)} installed checks", title_justify="left", show_lines=True)
        for header in ("check", "suite", "needs", "description", "gating metrics", "default thresholds", "package"):
            table.add_column(header, no_wrap=header in ("check", "package"))
        for entry in registry:
            cls = entry.cls
            defaults = cls.Params().model_dump(mode="json")
            shown = (
                _flatten(defaults)
                if verbose
                else _flatten({k: v for k, v in defaults.items() if "margin" in k or "threshold" in k})
            )
            table.add_row(
                cls.name,
                cls.suite.value,
                ", ".join(sorted(n.value for n in cls.needs)) or "—",
                cls.description,
                ", ".join(cls.gating_metrics) or "—",
                "\n".join(f"{k}={v}" for k, v in shown.items()) or "—",
                entry.provider,
            )
        Console(highlight=False, width=max(Console().width, 160)).print(table)
        return ExitCode.PASSED

    _guard(action)


def _checks_json(registry: Any) -> str:
    """``synthaudit checks --json``: one record per installed check, sorted by name."""
    import json

    records = [
        {
            "name": entry.cls.name,
            "suite": entry.cls.suite.value,
            "description": entry.cls.description,
            "meaning": entry.cls.meaning,
            "needs": sorted(n.value for n in entry.cls.needs),
            "gating_metrics": list(entry.cls.gating_metrics),
            "params": entry.cls.Params().model_dump(mode="json"),
            "distribution": entry.distribution,
            "version": entry.version,
        }
        for entry in sorted(registry, key=lambda e: e.cls.name)
    ]
    return json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@app.command("init")
def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the policy file.")] = Path("synthaudit.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented default policy file (every installed check and its default parameters)."""

    def action() -> int:
        from synthaudit.errors import InputError
        from synthaudit.fileio import write_text_atomic
        from synthaudit.policy_template import default_policy_text
        from synthaudit.registry import load_registry
        from synthaudit.schemas import POLICY_SCHEMA_FILE, shipped_schema_path

        if path.exists() and not force:
            raise InputError(f"{str(path)!r} already exists; pass --force to overwrite it or name another file.")
        schema = shipped_schema_path(POLICY_SCHEMA_FILE)
        write_text_atomic(path, default_policy_text(load_registry(), schema_uri=schema.resolve().as_uri()))
        _stderr().print(f"wrote {path}; pass it with --config {path} (schema for editors: {schema})", markup=False)
        return ExitCode.PASSED

    _guard(action)


@app.command("report")
def report_command(
    result_json: Annotated[Path, typer.Argument(help="A result written by `synthaudit check --json`.")],
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML file.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary.")] = None,
    signoff: Annotated[str | None, typer.Option(help='Fill the report\'s sign-off block: "Name, Role".')] = None,
) -> None:
    """Re-render a saved JSON result without recomputing; exit code from its verdict."""

    def action() -> int:
        from synthaudit.errors import InputError
        from synthaudit.reports.json import read_json
        from synthaudit.reports.terminal import render_summary

        try:
            result = read_json(result_json)
        except FileNotFoundError:
            raise InputError(f"the result file {str(result_json)!r} does not exist.") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"the result file {str(result_json)!r} is not a synthaudit JSON result ({exc}); write one with "
                "`synthaudit check ... --json FILE`."
            ) from None
        render_summary(result, Console(highlight=False))
        _write_outputs(result, report=report, json_path=None, junit=junit, markdown=markdown, signoff=signoff)
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    _guard(action)


@app.command("compare")
def compare_command(
    baseline: Annotated[Path, typer.Argument(help="The earlier result (`synthaudit check --json`): the baseline.")],
    current: Annotated[Path, typer.Argument(help="The later result of the same audit, compared with the baseline.")],
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the comparison as JSON to this file.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report of the comparison.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary (pull-request comment).")] = None,
    sigma: Annotated[
        float, typer.Option(help="A gating metric worse by more than this many standard errors is a regression.")
    ] = 3.0,
    status_rule: Annotated[
        str,
        typer.Option(
            help="Check status changes that are regressions: warn (pass to warn/fail, warn to fail, measured to "
            "skipped/error), fail (to fail or unmeasured only) or off."
        ),
    ] = "warn",
    ignore_gate: Annotated[
        bool, typer.Option("--ignore-gate", help="The gate going from passed to failed is not by itself a regression.")
    ] = False,
) -> None:
    """Compare two saved results of the same audit: exit 1 on a regression, 0 otherwise, 2 on bad input."""

    def action() -> int:
        from synthaudit.compare import RegressionPolicy, compare_results, load_result
        from synthaudit.reports.compare import (
            render_comparison_markdown,
            render_comparison_summary,
            write_comparison_html,
            write_comparison_markdown,
        )

        policy = RegressionPolicy(sigma=sigma, status_rule=status_rule, gate=not ignore_gate)
        comparison = compare_results(
            load_result(baseline),
            load_result(current),
            policy,
            baseline_label=str(baseline),
            current_label=str(current),
        )
        render_comparison_summary(comparison, Console(highlight=False))
        _write_each(
            [
                ("comparison JSON", json_path, comparison.to_json),
                ("HTML report", report, lambda path: write_comparison_html(comparison, path)),
                ("Markdown summary", markdown, lambda path: write_comparison_markdown(comparison, path)),
            ]
        )
        _append_step_summary(render_comparison_markdown(comparison))
        return ExitCode.FAILED if comparison.regressed else ExitCode.PASSED

    _guard(action)


def _write_each(writers: list[tuple[str, Path | None, Callable[[Path], object]]], *, quiet: bool = False) -> None:
    """Write each ``(label, path, writer)`` whose path is set; an unwritable path is bad usage (exit 2)."""
    from synthaudit.errors import InputError

    for label, path, write in writers:
        if path is None:
            continue
        try:
            write(path)
        except OSError as exc:
            raise InputError(
                f"cannot write the {label} to {str(path)!r} ({exc.strerror or exc}); choose a writable path."
            ) from None
        if not quiet:
            _stderr().print(f"{label} written to {path}", markup=False)


def _append_step_summary(markdown: str) -> None:
    """Append ``markdown`` to GitHub's job summary when ``$GITHUB_STEP_SUMMARY`` names a file."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary_file:
        return
    try:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        _stderr().print(f"note: could not append to $GITHUB_STEP_SUMMARY ({exc})", markup=False)


def _write_outputs(
    result: Any,
    *,
    report: Path | None,
    json_path: Path | None,
    junit: Path | None,
    markdown: Path | None,
    signoff: str | None,
    quiet: bool = False,
) -> None:
    """Write every requested output; an unwritable path is bad usage (exit 2), not a bug."""
    from synthaudit.reports.html import write_html
    from synthaudit.reports.json import write_json
    from synthaudit.reports.junit import write_junit
    from synthaudit.reports.markdown import render_markdown, write_markdown

    fail_on_warn = bool(result.policy.get("fail_on_warn"))
    _write_each(
        [
            ("JSON result", json_path, lambda path: write_json(result, path)),
            ("HTML report", report, lambda path: write_html(result, path, signoff=signoff)),
            ("JUnit XML", junit, lambda path: write_junit(result, path, fail_on_warn=fail_on_warn)),
            ("Markdown summary", markdown, lambda path: write_markdown(result, path)),
        ],
        quiet=quiet,
    )
    _append_step_summary(render_markdown(result))


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # OpenMP threads (scikit-learn, faiss) spin while waiting by default; on a busy CI machine that slows
    # model fitting tenfold. Passive waiting costs nothing on an idle machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()
