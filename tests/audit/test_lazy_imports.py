"""An audit imports what the selected checks need, not every installed check.

synthaudit's own checks are known by their entry-point names and imported when first asked for; third-party
plugins are still imported (and validated) when the registry loads. Checked in a fresh interpreter through
``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ADULT

_PROBE = """
import json, sys
from synthaudit.registry import load_registry
registry = load_registry(autoload_plugins=False)
before = sorted(m for m in sys.modules if m.startswith("synthaudit.checks."))
names = list(registry.names)
marginals = registry["fidelity.marginals"].cls.name
after = sorted(m for m in sys.modules if m.startswith("synthaudit.checks."))
from synthaudit import audit
result = audit(sys.argv[1], sys.argv[2], only=["fidelity.marginals"], max_rows=2000, command_line=[])
print(json.dumps({
    "before": before, "names": names, "marginals": marginals, "after": after,
    "status": result.checks_list[0].status.value,
    "audit": sorted(m for m in sys.modules if m.startswith("synthaudit.checks.")),
    "heavy": sorted(m for m in ("sklearn", "scipy", "faiss", "torch", "yaml", "pyarrow.parquet") if m in sys.modules),
}))
"""


def test_an_audit_imports_only_the_checks_it_needs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ADULT / "real.csv"), str(ADULT / "synthetic.csv")],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == []  # discovery imports no check
    assert "fidelity.marginals" in report["names"] and len(report["names"]) > 20
    assert report["marginals"] == "fidelity.marginals"
    assert report["after"] == ["synthaudit.checks.fidelity", "synthaudit.checks.fidelity.marginals"]
    assert report["status"] in ("pass", "warn", "fail")
    # the selected check, and the default-required checks whose applicability decides the gate's required list
    assert set(report["audit"]) <= {
        "synthaudit.checks.fidelity",
        "synthaudit.checks.fidelity.marginals",
        "synthaudit.checks.leakage",
        "synthaudit.checks.leakage.dcr",
        "synthaudit.checks.leakage.exact_copies",
    }
    assert report["heavy"] == []
