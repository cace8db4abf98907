"""The CLI's help path stays light: ``synthaudit --help`` and ``synthaudit check --help`` import no heavy library.

Checked through ``sys.modules`` in a fresh interpreter, not by timing (timings depend on the machine's load):
help is rendered from the command definitions alone, so nothing that computes may be imported on the way.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "sklearn",
    "faiss",
    "torch",
    "sentence_transformers",
    "great_expectations",
    "evidently",
    "presidio_analyzer",
    "fairlearn",
    "plotly",
    "jinja2",
    "yaml",
)

_PROBE = """
import json, sys
from synthaudit.cli import main
sys.argv = ["synthaudit", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["checks", "--help"]])
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0
    assert "Usage" in done.stdout
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert sorted(loaded & set(HEAVY)) == []
