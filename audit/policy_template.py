"""The commented default policy written by ``synthaudit init``."""

from __future__ import annotations

from typing import Any

import yaml

from synthaudit.policy import DEFAULT_REQUIRED
from synthaudit.registry import Registry

__all__ = ["default_policy_text"]

_HEADER = """\
# synthaudit policy — pass it with `synthaudit check real.csv synth.csv --config synthaudit.yaml`.
# Every key is optional; unknown keys are errors. Values shown are the defaults.

seed: 0                 # every sample and random stream derives from it
preset: default         # default | strict (strict: warnings fail, every leakage check required)
fail_on_warn: false     # a warn status fails the gate
errors_fail: true       # a check that raised fails the gate
# max_rows: 100000      # seeded row cap per input file, for quick runs
# full: false           # no sampling caps anywhere
# timeout_s: 900        # time budget of each check in seconds (params.timeout_s per check); past it: error
include_examples: false # reports never show real values unless this is true

# Checks that must run: one skipped for missing needs (say, no --holdout) fails the gate.
# required: {required}

# Column roles that override inference (numeric, categorical, boolean, datetime, text, identifier).
# roles:
#   zip_code: categorical

# Run only some checks or suites, or skip some (names or suites such as `leakage`).
# only: []
# skip: []

# Accepted failures: a waived failure does not fail the gate until it expires.
# waivers:
#   - check: fidelity.marginals
#     reason: "capital_gain is known to be coarse in this generator"
#     owner: "Jane Doe, data platform"
#     expires: 2027-06-30

# Per-check settings. A margin is max(floor, se × standard error) past the reference value;
# override any part, e.g. `checks: {{fidelity.marginals: {{params: {{distance_margin: {{fail_floor: 0.08}}}}}}}}`.
checks:
"""


def default_policy_text(registry: Registry, *, schema_uri: str | None = None) -> str:
    """A commented YAML policy listing every installed check with its default parameters.

    With ``schema_uri``, the first line points editors that speak the YAML language server protocol (VS
    Code, JetBrains, Neovim) at the policy's JSON Schema, so keys and values are checked as they are typed.
    """
    installed = {entry.cls.name for entry in registry}
    required = [name for name in DEFAULT_REQUIRED if name in installed]
    lines = [] if schema_uri is None else [f"# yaml-language-server: $schema={schema_uri}\n"]
    lines.append(_HEADER.format(required=required))
    for entry in registry:
        cls = entry.cls
        params: dict[str, Any] = cls.Params().model_dump(mode="json")
        lines.append(f"  # {cls.description}\n")
        lines.append(f"  {cls.name}:\n    enabled: true\n")
        if params:
            dumped = yaml.safe_dump({"params": params}, sort_keys=True, default_flow_style=False)
            lines.extend(f"    # {line}\n" for line in dumped.splitlines())
    return "".join(lines)
