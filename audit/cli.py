"""The command line: ``synthaudit check | checks | init | report``. A thin layer over :func:`synthaudit.audit`.

The CLI owns the console: progress and messages on stderr (rich), the summary on stdout. Bad input,
policy or plugin errors print one paragraph and exit 2; a bug prints its traceback and exits 3.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from synthaudit.errors import SynthauditError

__all__ = ["DEFAULT_REPORT", "ExitCode", "app", "main"]

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


app = typer.Typer(
    name="synthaudit",
    help=(
        "Audit a synthetic dataset against the real data it imitates: fidelity, diversity, leakage, "
        "balance and constraints, gated pass/fail. Exit codes: 0 passed, 1 failed, 2 bad input or usage, "
        "3 internal error, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


class _Progress:
    """A rich progress bar fed by the runner's events (only on a TTY, never under --quiet)."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Any = None
        self._task: Any = None
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=_stderr(),
                transient=True,
            )

    def __enter__(self) -> _Progress:
        if self._progress is not None:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def __call__(self, event: str, payload: dict[str, Any]) -> None:
        if self._progress is None:
            return
        if event == "check_started":
            if self._task is None:
                self._task = self._progress.add_task("checks", total=payload["total"])
            self._progress.update(self._task, description=f"running {payload['name']}")
        elif event == "check_finished" and self._task is not None:
            self._progress.advance(self._task)


@app.command("check")
def check_command(
    real: Annotated[Path, typer.Argument(help="Real (training) data: CSV, TSV, Parquet or JSON lines.")],
    synth: Annotated[Path, typer.Argument(help="Synthetic data to audit, same columns as the real data.")],
    holdout: Annotated[
        Path | None, typer.Option(help="Real rows the generator never saw: the reference for every score.")
    ] = None,
    target: Annotated[str | None, typer.Option(help="Outcome column (utility, outcome gaps).")] = None,
    positive_label: Annotated[
        str | None, typer.Option(help="Positive class of a binary target (default: rarer class).")
    ] = None,
    task: Annotated[
        str | None, typer.Option(help="classification or regression (default: inferred from the target).")
    ] = None,
    sensitive: Annotated[list[str] | None, typer.Option(help="Demographic column (repeatable).")] = None,
    text: Annotated[list[str] | None, typer.Option(help="Text column (repeatable).")] = None,
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
    preset: Annotated[str | None, typer.Option(help="Policy preset: default or strict.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Audit seed (default 0): every sample derives from it.", min=0)
    ] = None,
    fail_on_warn: Annotated[bool, typer.Option("--fail-on-warn", help="A warning fails the gate.")] = False,
    full: Annotated[bool, typer.Option("--full", help="No sampling caps anywhere.")] = False,
    embedding_model: Annotated[
        str | None, typer.Option(help="Local sentence-transformers model directory (default: all-MiniLM-L6-v2).")
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache directory (private, 0700).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Keep no embedding cache on disk.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the result as JSON to this file.")] = None,
    report: Annotated[Path, typer.Option(help="Self-contained HTML report to write.")] = DEFAULT_REPORT,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML file (one testcase per check).")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary (pull requests, CI).")] = None,
    signoff: Annotated[str | None, typer.Option(help='Fill the report\'s sign-off block: "Name, Role".')] = None,
    export_expectations: Annotated[
        Path | None, typer.Option(help="Write the expectation suite derived from the real data (JSON).")
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="Input file encoding (UTF-8 with or without BOM by default).")
    ] = "utf-8",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the verdict line; no progress bar.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every check's summary and parameters.")] = False,
) -> None:
    """Audit SYNTH against REAL and exit 0 (passed), 1 (failed) or 2 (bad input)."""

    def action() -> int:
        from synthaudit.api import audit
        from synthaudit.reports.terminal import render_summary

        show_progress = not quiet and sys.stderr.isatty()
        with _Progress(show_progress) as progress:
            result = audit(
                real,
                synth,
                holdout,
                target=target,
                positive_label=positive_label,
                task=task,
                sensitive=_split_commas(sensitive),
                text=_split_commas(text),
                ids=_split_commas(id_columns),
                quasi_identifiers=_split_commas(quasi_identifiers),
                columns=_split_commas([columns]) if columns else None,
                policy=config,
                seed=seed,
                preset=preset,
                only=_split_commas(only),
                skip=_split_commas(skip),
                fail_on_warn=fail_on_warn or None,
                max_rows=max_rows,
                full=full or None,
                encoding=encoding,
                embedding_model=embedding_model,
                cache_dir=cache_dir,
                no_cache=no_cache,
                export_expectations=export_expectations,
                on_event=progress,
                command_line=["synthaudit", *sys.argv[1:]],
            )
        out = Console(highlight=False, soft_wrap=False, width=max(Console().width, 100))
        if quiet:
            out.print("PASSED" if result.passed else "FAILED", highlight=False)
        else:
            render_summary(result, out, verbose=verbose)
        _write_outputs(
            result, report=report, json_path=json_path, junit=junit, markdown=markdown, signoff=signoff, quiet=quiet
        )
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    _guard(action)


@app.command("checks")
def checks_command(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show every default parameter.")] = False,
) -> None:
    """List every installed check: suite, needs, gating metrics, default thresholds, providing package."""

    def action() -> int:
        from rich.table import Table

        from synthaudit.registry import load_registry

        registry = load_registry()
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

        if path.exists() and not force:
            raise InputError(f"{str(path)!r} already exists; pass --force to overwrite it or name another file.")
        write_text_atomic(path, default_policy_text(load_registry()))
        _stderr().print(f"wrote {path}; pass it with --config {path}", markup=False)
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
        render_summary(result, Console(highlight=False, width=max(Console().width, 100)))
        _write_outputs(result, report=report, json_path=None, junit=junit, markdown=markdown, signoff=signoff)
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    _guard(action)


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
    from synthaudit.errors import InputError
    from synthaudit.reports.html import write_html
    from synthaudit.reports.json import write_json
    from synthaudit.reports.junit import write_junit
    from synthaudit.reports.markdown import render_markdown, write_markdown

    err = _stderr()
    fail_on_warn = bool(result.policy.get("fail_on_warn"))
    writers: list[tuple[str, Path | None, Callable[[Path], object]]] = [
        ("JSON result", json_path, lambda path: write_json(result, path)),
        ("HTML report", report, lambda path: write_html(result, path, signoff=signoff)),
        ("JUnit XML", junit, lambda path: write_junit(result, path, fail_on_warn=fail_on_warn)),
        ("Markdown summary", markdown, lambda path: write_markdown(result, path)),
    ]
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
            err.print(f"{label} written to {path}", markup=False)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(render_markdown(result) + "\n")
        except OSError as exc:
            err.print(f"note: could not append to $GITHUB_STEP_SUMMARY ({exc})", markup=False)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # OpenMP threads (scikit-learn, faiss) spin while waiting by default; on a busy CI machine that slows
    # model fitting tenfold. Passive waiting costs nothing on an idle machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()
