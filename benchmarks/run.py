"""Run every benchmark (``make bench``): clean-sample pass rate, the anchors, then throughput at 10k / 100k / 1M rows.

Prints the machine's cores and load average first: wall figures taken on a loaded machine overstate the
time; the CPU seconds printed beside them (user + system) depend far less on the load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"== machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)", flush=True)
    for script, args in (("clean_pass_rate.py", ["--seeds", "200"]), ("anchors.py", []), ("throughput.py", [])):
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)
