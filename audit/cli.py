"""The command line: ``synthaudit check | checks | init | report``. A thin layer over :func:`synthaudit.audit`.

The CLI owns the console: progress and messages on stderr (rich), the summary on stdout. Bad input,
policy or plugin errors print one paragraph and exit 2; a bug prints its traceback and exits 3.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from synthaudit.cli_commands import checks_command, compare_command, init_command, report_command, trend_command
from synthaudit.cli_support import ExitCode, check_output_paths, guard, split_commas, stderr_console, write_outputs

__all__ = ["DEFAULT_REPORT", "ExitCode", "Preset", "Task", "app", "main"]

DEFAULT_REPORT = Path("synthaudit-report.html")


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
        int | None,
        typer.Option(
            help="Seeded row cap per input, for quick runs or large inputs (recorded); exact copies and "
            "duplicates are still counted over every row.",
            min=1,
        ),
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

        with make_progress(quiet=quiet, stream=sys.stderr, console=stderr_console()) as progress:
            result = audit(
                real,
                synth,
                holdout,
                eval_sets=list(eval_set or []),
                target=target,
                positive_label=positive_label,
                task=task.value if task is not None else None,
                sensitive=split_commas(sensitive),
                text=split_commas(text),
                ids=split_commas(id_columns),
                quasi_identifiers=split_commas(quasi_identifiers),
                pairs=list(pair or []),
                columns=split_commas([columns]) if columns else None,
                policy=config,
                seed=seed,
                preset=preset.value if preset is not None else None,
                only=split_commas(only),
                skip=split_commas(skip),
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
        write_outputs(
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
        check_output_paths(  # before any work: an unwritable output is known now, not after the audit
            {
                "JSON result": json_path,
                "HTML report": report_path,
                "JUnit XML": junit,
                "Markdown summary": markdown,
                "expectation suite": export_expectations,
            }
        )
        with library_output(quiet=quiet, interactive=sys.stderr.isatty()):
            return run(report_path)

    guard(action)


# The other commands live in synthaudit.cli_commands; registered here, in this order, on the one app.
app.command("trend")(trend_command)
app.command("checks")(checks_command)
app.command("init")(init_command)
app.command("report")(report_command)
app.command("compare")(compare_command)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # OpenMP threads (scikit-learn, faiss) spin while waiting by default; on a busy CI machine that slows
    # model fitting tenfold. Passive waiting costs nothing on an idle machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()
