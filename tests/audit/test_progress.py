"""Console progress: plain lines off a terminal, a bar on one, nothing under --quiet; library output kept out."""

from __future__ import annotations

import io
import logging
import os
import re
import warnings

from rich.console import Console

from synthaudit.progress import BarProgress, LineProgress, NoProgress, library_output, make_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_display_depends_on_the_stream_and_quiet():
    assert isinstance(make_progress(quiet=False, stream=io.StringIO(), console=None), LineProgress)
    assert isinstance(make_progress(quiet=False, stream=_Terminal(), console=Console(file=io.StringIO())), BarProgress)
    assert type(make_progress(quiet=True, stream=io.StringIO(), console=None)) is NoProgress
    assert type(make_progress(quiet=True, stream=_Terminal(), console=None)) is NoProgress


def test_line_progress_prints_one_timestamped_line_per_check():
    stream, now = io.StringIO(), [100.0]
    with LineProgress(stream, interval=10.0, clock=lambda: now[0]) as progress:
        for position, name in enumerate(["fidelity.marginals", "leakage.dcr"] * 6):
            progress("check_started", {"name": name, "position": position, "total": 12})
            for done in (10, 20, 30):  # embeddings: at most one line per interval, and the last
                now[0] += 4.0
                progress("embedding", {"what": "text (base)", "done": done, "total": 30})
            progress("check_finished", {"name": name, "status": "pass", "seconds": 3.14159})
    lines = stream.getvalue().splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in lines)
    checks = [line[9:] for line in lines if "… " in line]
    assert checks[0] == "[ 1/12] fidelity.marginals … pass, 3.1 s"
    assert checks[11] == "[12/12] leakage.dcr … pass, 3.1 s" and len(checks) == 12
    assert "synthaudit: running 12 checks" in lines[1] and "checks done in" in lines[-1]
    embedding = [line for line in lines if "embedding texts" in line]
    assert 12 <= len(embedding) <= 24 and all(line.endswith(("/30",)) for line in embedding)


def test_bar_progress_shows_an_eta():
    out = io.StringIO()
    with BarProgress(Console(file=out, force_terminal=True, width=100)) as progress:
        progress("check_started", {"name": "fidelity.marginals", "position": 0, "total": 1})
        progress("check_finished", {"name": "fidelity.marginals", "status": "pass", "seconds": 0.1})
    assert "ETA" in out.getvalue()


def test_library_output_is_restored_after_the_audit(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "info")
    filters = list(warnings.filters)
    with library_output(quiet=True, interactive=True):
        assert os.environ["TQDM_DISABLE"] == "1" and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        assert os.environ["TRANSFORMERS_VERBOSITY"] == "error"
        assert logging.getLogger("synthaudit").isEnabledFor(logging.ERROR)
        assert not logging.getLogger("synthaudit").isEnabledFor(logging.WARNING)
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn("library noise", UserWarning, stacklevel=1)
        assert not caught
    assert "TQDM_DISABLE" not in os.environ and os.environ["TRANSFORMERS_VERBOSITY"] == "info"
    assert logging.getLogger("synthaudit").isEnabledFor(logging.WARNING) and warnings.filters == filters
    with library_output(quiet=False, interactive=False):  # CI logs: no library bars, warnings kept
        assert os.environ["TQDM_DISABLE"] == "1" and "TRANSFORMERS_VERBOSITY" in os.environ
    with library_output(quiet=False, interactive=True):  # a terminal: libraries untouched
        assert "TQDM_DISABLE" not in os.environ
