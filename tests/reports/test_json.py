from __future__ import annotations

import json
import os

from synthaudit import audit
from synthaudit.reports.json import read_json, write_json


def test_json_is_written_atomically_and_reads_back(adult_split, tmp_path):
    real, holdout, synth = adult_split(22, real=1500, holdout=700, synth=700)
    result = audit(real, synth, holdout=holdout)
    path = write_json(result, tmp_path / "out" / "r.json")
    assert read_json(path) == result
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temporary file left behind
    data = json.loads(path.read_text())
    assert data["schema_version"] == "1.0"
    assert list(data) == sorted(data)  # sorted keys
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
