"""Console progress for ``synthaudit check``, fed by the runner's and the context's events.

Three modes, picked by the CLI: a rich progress bar with an ETA on a terminal; plain timestamped lines when
stderr is not a terminal (CI logs, output piped to a file), one per finished check::

    12:03:05 [12/24] leakage.dcr … pass, 3.1 s

and nothing at all under ``--quiet``, where libraries' own progress bars (tqdm, Hugging Face) and warnings
are silenced too (:func:`library_output`, entered before any heavy import).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TextIO

__all__ = [
    "BarProgress",
    "LineProgress",
    "NoProgress",
    "library_output",
    "make_progress",
]

_LIBRARY_PROGRESS_ENV = {
    "TQDM_DISABLE": "1",  # tqdm >= 4.66 reads TQDM_* variables (sentence-transformers' "Loading weights" bar)
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}
_QUIET_ENV = {
    **_LIBRARY_PROGRESS_ENV,
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


@contextmanager
def library_output(*, quiet: bool, interactive: bool) -> Iterator[None]:
    """Keep libraries' own console output out of the way for the duration of an audit.

    Off a terminal (CI logs) libraries' progress bars are turned off: their carriage returns garble logs,
    and the plain lines of :class:`LineProgress` say how far the audit got. Under ``quiet`` their warnings
    and log messages below ERROR are silenced too, so only the verdict is printed. Libraries read these
    variables when they are imported (tqdm, huggingface_hub), so enter this before any heavy import.
    Everything is restored on exit.
    """
    env = _QUIET_ENV if quiet else ({} if interactive else _LIBRARY_PROGRESS_ENV)
    saved_env = {name: os.environ.get(name) for name in env}
    saved_logging = logging.root.manager.disable
    os.environ.update(env)
    try:
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore")
                logging.disable(logging.WARNING)
            yield
    finally:
        logging.disable(saved_logging)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class NoProgress:
    """No output (``--quiet``)."""

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def __call__(self, event: str, payload: dict[str, Any]) -> None:
        """Take one event from the runner or the context (``check_started``, ``check_finished``, …)."""
        return None


class LineProgress(NoProgress):
    """Plain, timestamped lines on a stream that is not a terminal: CI logs show how far an audit got.

    One line when the checks start, one per finished check (its position, name, status and duration) and,
    for text embeddings, at most one line every ``interval`` seconds while they are computed.
    """

    def __init__(self, stream: TextIO, *, interval: float = 10.0, clock: Any = time.monotonic) -> None:
        self._stream = stream
        self._interval = interval
        self._clock = clock
        self._last_embedding_line = float("-inf")
        self._started = 0.0
        self._position = 0
        self._total = 0

    def _line(self, text: str) -> None:
        self._stream.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        self._stream.flush()

    def __enter__(self) -> LineProgress:
        self._started = self._clock()
        self._line("synthaudit: loading the inputs and testing the reference")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self._line(f"synthaudit: checks done in {self._clock() - self._started:.1f} s")

    def __call__(self, event: str, payload: dict[str, Any]) -> None:  # noqa: D102 (documented on NoProgress)
        if event == "check_started":
            self._position = int(payload.get("position", 0)) + 1
            self._total = int(payload.get("total", 0))
            if self._position == 1:
                self._line(f"synthaudit: running {self._total} check{'s' * (self._total != 1)}")
        elif event == "check_finished":
            width = len(str(self._total))
            self._line(
                f"[{self._position:>{width}}/{self._total}] {payload['name']} … {payload.get('status', 'done')}, "
                f"{float(payload.get('seconds', 0.0)):.1f} s"
            )
        elif event == "embedding":
            done, total = int(payload.get("done", 0)), int(payload.get("total", 0))
            now = self._clock()
            if done >= total or now - self._last_embedding_line >= self._interval:
                self._last_embedding_line = now
                what = f" ({payload['what']})" if payload.get("what") else ""
                self._line(f"  embedding texts{what}: {done}/{total}")


class BarProgress(NoProgress):
    """A rich progress bar with the running check, the count and an ETA (on a terminal only)."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._task: Any = None
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )

    def __enter__(self) -> BarProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def __call__(self, event: str, payload: dict[str, Any]) -> None:  # noqa: D102 (documented on NoProgress)
        if event == "check_started":
            if self._task is None:
                self._task = self._progress.add_task("checks", total=payload["total"])
            self._progress.update(self._task, description=f"running {payload['name']}")
        elif event == "check_finished" and self._task is not None:
            self._progress.advance(self._task)


def make_progress(*, quiet: bool, stream: TextIO, console: Any) -> NoProgress:
    """The progress display for ``stream``: none when quiet, a bar on a terminal, lines otherwise."""
    if quiet:
        return NoProgress()
    if stream.isatty():
        return BarProgress(console)
    return LineProgress(stream)
