"""JSON Schemas for the policy file and the result JSON, generated from the models they describe.

The schemas ship inside the package (``synthaudit/schema/policy.schema.json`` and
``result.schema.json``) so editors can validate a policy file as it is typed (``synthaudit init`` writes
the pointer) and pipelines can validate a result before reading it. They are generated, never edited by
hand: ``python -m synthaudit.schemas`` rewrites them, and a test fails when the shipped files differ from
what the models generate.

The policy schema describes every built-in check's parameters under ``checks.<name>.params`` (a plugin's
parameters are accepted but not described). The result schema describes the layout that
:meth:`~synthaudit.result.AuditResult.to_dict` writes.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from synthaudit.policy import CheckPolicy, Policy
from synthaudit.registry import Registry, load_registry
from synthaudit.result import SCHEMA_VERSION, AuditResult, CheckResult, GateDecision, Status

__all__ = [
    "POLICY_SCHEMA_FILE",
    "RESULT_SCHEMA_FILE",
    "policy_schema",
    "result_schema",
    "shipped_schema",
    "shipped_schema_path",
    "write_schemas",
]

POLICY_SCHEMA_FILE = "policy.schema.json"
RESULT_SCHEMA_FILE = "result.schema.json"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_BASE_ID = "https://pypi.org/project/synthaudit-toolkit/schema/"


def policy_schema(registry: Registry | None = None) -> dict[str, Any]:
    """The policy file's schema, with each installed check's ``Params`` under ``checks.<name>.params``."""
    checks = (registry if registry is not None else load_registry()).classes
    schema = Policy.model_json_schema()
    defs = schema.setdefault("$defs", {})
    per_check: dict[str, Any] = {}
    for name in sorted(checks):
        params_cls = checks[name].Params
        params_schema = params_cls.model_json_schema(ref_template="#/$defs/{model}")
        for def_name, definition in params_schema.pop("$defs", {}).items():
            defs.setdefault(def_name, definition)
        key = f"Params_{name.replace('.', '_')}"
        defs[key] = {**params_schema, "additionalProperties": False}
        check_policy = CheckPolicy.model_json_schema()
        check_policy["properties"]["params"] = {"$ref": f"#/$defs/{key}"}
        check_policy["title"] = f"Policy of {name}"
        per_check[name] = check_policy
    checks_property = schema["properties"]["checks"]
    checks_property["properties"] = per_check
    checks_property["additionalProperties"] = {"$ref": "#/$defs/CheckPolicy"}
    return {"$schema": _DRAFT, "$id": _BASE_ID + POLICY_SCHEMA_FILE, **schema}


def _dataclass_schema(cls: type) -> dict[str, Any]:
    return TypeAdapter(cls).json_schema(mode="serialization", ref_template="#/$defs/{model}")


def _serialised_check_keys() -> set[str]:
    """The keys every check entry of the JSON has (what ``to_dict`` writes for a minimal result)."""
    minimal = CheckResult(name="suite.check", suite="fidelity", status=Status.PASS, summary="")
    wrapper = AuditResult(
        passed=True,
        gate=GateDecision(True),
        checks_list=(minimal,),
        inputs={},
        policy={},
        seed=0,
        tool_version="",
        reference={},
    )
    return set(wrapper.to_dict()["checks"][0])


def result_schema() -> dict[str, Any]:
    """The schema of :meth:`AuditResult.to_dict` / ``--json`` output (``schema_version`` included)."""
    check = _dataclass_schema(CheckResult)
    defs = check.pop("$defs", {})
    written = _serialised_check_keys()
    check["properties"] = {k: v for k, v in check["properties"].items() if k in written}  # e.g. no `export`
    check["properties"]["status"] = {"enum": [s.value for s in Status], "type": "string"}
    check["properties"]["waived"] = {"type": "boolean", "description": "An active waiver covers the failure."}
    check["required"] = sorted(written)
    defs["CheckResult"] = check
    gate = _dataclass_schema(GateDecision)
    defs.update(gate.pop("$defs", {}))
    defs["GateDecision"] = gate
    object_of_anything = {"type": "object", "additionalProperties": True}
    counts = {
        "type": "object",
        "properties": {name: {"type": "integer", "minimum": 0} for name in (*(s.value for s in Status), "waived")},
        "required": [*(s.value for s in Status), "waived"],
    }
    properties: dict[str, Any] = {
        "schema_version": {"type": "string", "const": SCHEMA_VERSION},
        "passed": {"type": "boolean"},
        "gate": {"$ref": "#/$defs/GateDecision"},
        "tool_version": {"type": "string"},
        "seed": {"type": "integer", "minimum": 0},
        "inputs": object_of_anything,
        "policy": object_of_anything,
        "reference": object_of_anything,
        "notes": {"type": "array", "items": {"type": "string"}},
        "columns": object_of_anything,
        "counts": counts,
        "checks": {"type": "array", "items": {"$ref": "#/$defs/CheckResult"}},
        "run_info": object_of_anything,
    }
    return {
        "$schema": _DRAFT,
        "$id": _BASE_ID + RESULT_SCHEMA_FILE,
        "title": "synthaudit result",
        "description": "What `synthaudit check --json` writes (AuditResult.to_dict()).",
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "$defs": dict(sorted(defs.items())),
    }


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def shipped_schema(name: str) -> dict[str, Any]:
    """Read a schema shipped with the package (``policy.schema.json`` or ``result.schema.json``)."""
    return json.loads(resources.files("synthaudit").joinpath("schema", name).read_text(encoding="utf-8"))


def shipped_schema_path(name: str) -> Path:
    """The shipped schema file's path on disk."""
    return Path(str(resources.files("synthaudit").joinpath("schema", name)))


def write_schemas(directory: Path, registry: Registry | None = None) -> list[Path]:
    """Write both schemas into ``directory`` atomically and return their paths."""
    from synthaudit.fileio import write_text_atomic

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in ((POLICY_SCHEMA_FILE, policy_schema(registry)), (RESULT_SCHEMA_FILE, result_schema())):
        path = directory / name
        write_text_atomic(path, _dump(schema))
        written.append(path)
    return written


if __name__ == "__main__":  # python -m synthaudit.schemas [DIRECTORY]
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else shipped_schema_path(POLICY_SCHEMA_FILE).parent
    for written_path in write_schemas(target):
        print(written_path)
