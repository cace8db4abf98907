"""Run every benchmark (``make bench``): clean-sample pass rate, then throughput at 10k / 100k / 1M rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script, args in (("clean_pass_rate.py", ["--seeds", "200"]), ("anchors.py", []), ("throughput.py", [])):
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)
