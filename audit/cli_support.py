"""Plumbing shared by the CLI commands: exit codes, the error guard, and writing the requested outputs.

An unwritable output path or bad input is bad usage (exit 2); a bug prints its traceback and exits 3.
"""

from __future__ import annotations

import errno
import os
import traceback
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from synthaudit.errors import SynthauditError


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


def stderr_console() -> Console:
    """The console for progress and messages (stderr, no highlighting)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def guard(action: Callable[[], int]) -> None:
    """Run ``action`` and turn its outcome, or the error it raised, into the documented exit code."""
    err = stderr_console()
    try:
        code = action()
    except SynthauditError as exc:
        err.print(f"synthaudit: error: {exc}", markup=False)
        raise typer.Exit(ExitCode.USAGE_ERROR) from None
    except KeyboardInterrupt:
        err.print("synthaudit: interrupted.", markup=False)
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except OSError as exc:
        if exc.filename is None or exc.errno not in _REFUSED_PATH_ERRNOS:
            _internal_error(err)
        # a path the system refuses (a name too long, a full disk, no permission): the user's path or machine
        err.print(
            f"synthaudit: error: cannot use {str(exc.filename)!r} ({exc.strerror or exc}); check the path, its "
            "permissions and the free space.",
            markup=False,
        )
        raise typer.Exit(ExitCode.USAGE_ERROR) from None
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
        _internal_error(err)
    raise typer.Exit(code)


_REFUSED_PATH_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENAMETOOLONG", "EACCES", "EPERM", "ENOSPC", "EDQUOT", "EFBIG", "EROFS", "ELOOP", "EISDIR", "ENOTDIR")
    if hasattr(errno, name)
)
"""Errors of the system refusing a path the user gave (bad usage or a full disk, exit 2), not of synthaudit."""


def _internal_error(err: Console) -> NoReturn:
    """Print the exception being handled and the bug notice; exit 3."""
    err.print(traceback.format_exc(), markup=False)
    err.print(
        "synthaudit: internal error — this is a bug. Please report it with the traceback above and the command "
        "you ran.",
        markup=False,
    )
    raise typer.Exit(ExitCode.INTERNAL_ERROR) from None


def split_commas(values: list[str] | None) -> list[str]:
    """Repeatable option values, each also split at commas, blanks dropped."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def check_output_paths(paths: dict[str, Path | None]) -> None:
    """Raise bad usage (exit 2) when an output ``label: path`` cannot be a file.

    That is an existing directory, or a path under an existing file: found before any work, not after it.
    """
    from synthaudit.errors import InputError

    for label, path in paths.items():
        if path is None:
            continue
        why = ""
        try:
            if path.is_dir():
                why = "it is a directory"
            else:
                parent = next((p for p in path.parents if p.exists() or p.is_symlink()), None)
                if parent is not None and not parent.is_dir():
                    why = f"{str(parent)!r} is a file, not a directory"
        except OSError as exc:  # e.g. a name too long
            why = exc.strerror or str(exc)
        if why:
            raise InputError(f"cannot write the {label} to {str(path)!r} ({why}); choose a writable path.")


def write_each(writers: list[tuple[str, Path | None, Callable[[Path], object]]], *, quiet: bool = False) -> None:
    """Write each ``(label, path, writer)`` whose path is set, all or none; an unwritable path is bad usage (exit 2).

    Every output is first written whole beside its target (a hidden ``.partial`` file), and the targets are
    replaced only once every output is written: a failure (a full disk, an unwritable path) or Ctrl-C leaves
    no new output and no partial file. A target that is not a regular file (``/dev/stdout``) cannot be
    replaced; it is written directly, after the others are written and before they replace their targets.
    """
    from synthaudit.errors import InputError

    wanted = [(label, path, write) for label, path, write in writers if path is not None]
    check_output_paths({label: path for label, path, _ in wanted})
    staged: list[tuple[Path, Path]] = []  # (partial file, target)
    direct: list[tuple[str, Path, Callable[[Path], object]]] = []
    current: tuple[str, Path] = ("", Path())
    try:
        for number, (label, path, write) in enumerate(wanted):
            current = (label, path)
            target = Path(os.path.realpath(path)) if path.is_symlink() else path
            if target.exists() and not target.is_file():
                direct.append((label, path, write))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            stage = target.with_name(f".{target.name}.{os.getpid()}-{number}.partial")
            staged.append((stage, target))
            write(stage)
        for label, path, write in direct:  # before any target is replaced: a failure here leaves none
            current = (label, path)
            write(path)
        for stage, target in staged:
            os.replace(stage, target)
    except OSError as exc:
        raise InputError(
            f"cannot write the {current[0]} to {str(current[1])!r} ({exc.strerror or exc}); choose a writable path."
        ) from None
    finally:
        for stage, _ in staged:
            stage.unlink(missing_ok=True)
    if not quiet:
        for label, path, _ in wanted:
            stderr_console().print(f"{label} written to {path}", markup=False)


def append_step_summary(markdown: str) -> None:
    """Append ``markdown`` to GitHub's job summary when ``$GITHUB_STEP_SUMMARY`` names a file."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary_file:
        return
    try:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        stderr_console().print(f"note: could not append to $GITHUB_STEP_SUMMARY ({exc})", markup=False)


def write_outputs(
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
    write_each(
        [
            ("JSON result", json_path, lambda path: write_json(result, path)),
            ("HTML report", report, lambda path: write_html(result, path, signoff=signoff)),
            ("JUnit XML", junit, lambda path: write_junit(result, path, fail_on_warn=fail_on_warn)),
            ("Markdown summary", markdown, lambda path: write_markdown(result, path)),
        ],
        quiet=quiet,
    )
    append_step_summary(render_markdown(result))
