"""Run every benchmark (``make bench``): clean-sample pass rate, the anchors, throughput at 10k / 100k / 1M rows,
then (with Ray installed) the Ray engine at 1 and 2 workers on 1M and 10M rows, and a whole audit of 10M-row
sharded inputs capped to 1M rows each (local engine, then Ray with 1 and 2 workers).

Prints the machine's cores and load average first: wall figures taken on a loaded machine overstate the
time; the CPU seconds printed beside them (user + system) depend far less on the load.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"== machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)", flush=True)
    runs: list[tuple[str, list[str]]] = [
        ("clean_pass_rate.py", ["--seeds", "200"]),
        ("anchors.py", []),
        ("throughput.py", []),
    ]
    if importlib.util.find_spec("ray") is not None:  # the `ray` extra: 1 vs 2 workers at 1M and 10M rows
        runs += [("ray_scale.py", ["--rows", "1000000"]), ("ray_scale.py", ["--rows", "10000000", "--queries", "5000"])]
        runs += [("ray_capped_audit.py", ["--rows", "10000000", "--max-rows", "1000000"])]  # a whole audit, capped
    else:
        print('== ray_scale.py skipped: Ray is not installed (pip install "synthaudit-toolkit[ray]")', flush=True)
    for script, args in runs:
        print(f"== {script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)
