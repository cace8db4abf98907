from __future__ import annotations

import json
import os

import pytest

from synthaudit.reports.json import read_json, write_json
from tests.reports.test_html import build_hostile_result, load_adult_result


@pytest.mark.parametrize("build", [load_adult_result, build_hostile_result])
def test_json_is_written_atomically_and_reads_back(build, tmp_path):
    result = build()
    path = write_json(result, tmp_path / "out" / "r.json")
    assert read_json(path) == result
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temporary file left behind
    data = json.loads(path.read_text())
    assert data["schema_version"] == "1.0"
    assert list(data) == sorted(data)  # sorted keys
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
