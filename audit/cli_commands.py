"""The CLI commands besides ``check``: ``trend | checks | init | report | compare``.

Plain functions with typer-annotated parameters; :mod:`synthaudit.cli` registers them on its app.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from synthaudit.cli_support import (
    ExitCode,
    append_step_summary,
    check_output_paths,
    guard,
    split_commas,
    stderr_console,
    write_each,
    write_outputs,
)


def trend_command(
    real: Annotated[Path, typer.Argument(help="Real data the generations imitate: CSV, TSV, Parquet or JSON lines.")],
    generations: Annotated[
        list[Path],
        typer.Argument(help="Generations in order (at least 3), or one directory of them by name (gen2 before gen10)."),
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

        err = stderr_console()
        check_output_paths({"trend JSON": json_path, "HTML report": report})  # before any work
        with library_output(quiet=False, interactive=sys.stderr.isatty()):
            result = trend(
                real,
                list(generations),
                holdout,
                text=split_commas(text),
                target=target,
                seed=seed,
                audits=not no_audits,
                policy=config,
                embed_text=embed_text,
                progress=lambda message: err.print(message, markup=False),
            )
        record = result.to_dict()
        typer.echo(render_trend_summary(record))
        write_each(
            [
                ("trend JSON", json_path, result.write_json),
                ("HTML report", report, lambda path: write_trend_html(record, path)),
            ]
        )
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    guard(action)


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

    guard(action)


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
        text = default_policy_text(load_registry(), schema_uri=schema.resolve().as_uri())
        write_each([("policy file", path, lambda target: write_text_atomic(target, text))], quiet=True)
        stderr_console().print(
            f"wrote {path}; pass it with --config {path} (schema for editors: {schema})", markup=False
        )
        return ExitCode.PASSED

    guard(action)


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

        check_output_paths({"HTML report": report, "JUnit XML": junit, "Markdown summary": markdown})
        try:
            result = read_json(result_json)
        except FileNotFoundError:
            raise InputError(f"the result file {str(result_json)!r} does not exist.") from None
        except OSError as exc:
            raise InputError(
                f"cannot read the result file {str(result_json)!r} ({exc.strerror or exc}); pass a JSON result file."
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"the result file {str(result_json)!r} is not a synthaudit JSON result ({exc}); write one with "
                "`synthaudit check ... --json FILE`."
            ) from None
        render_summary(result, Console(highlight=False))
        write_outputs(result, report=report, json_path=None, junit=junit, markdown=markdown, signoff=signoff)
        return ExitCode.PASSED if result.passed else ExitCode.FAILED

    guard(action)


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

        check_output_paths({"comparison JSON": json_path, "HTML report": report, "Markdown summary": markdown})
        policy = RegressionPolicy(sigma=sigma, status_rule=status_rule, gate=not ignore_gate)
        comparison = compare_results(
            load_result(baseline),
            load_result(current),
            policy,
            baseline_label=str(baseline),
            current_label=str(current),
        )
        render_comparison_summary(comparison, Console(highlight=False))
        write_each(
            [
                ("comparison JSON", json_path, comparison.to_json),
                ("HTML report", report, lambda path: write_comparison_html(comparison, path)),
                ("Markdown summary", markdown, lambda path: write_comparison_markdown(comparison, path)),
            ]
        )
        append_step_summary(render_comparison_markdown(comparison))
        return ExitCode.FAILED if comparison.regressed else ExitCode.PASSED

    guard(action)
