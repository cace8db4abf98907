"""The shipped JSON Schemas match the models, and real policies and results validate against them."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from synthaudit.api import audit
from synthaudit.policy_template import default_policy_text
from synthaudit.registry import load_registry
from synthaudit.schemas import (
    POLICY_SCHEMA_FILE,
    RESULT_SCHEMA_FILE,
    policy_schema,
    result_schema,
    shipped_schema,
    shipped_schema_path,
)


@pytest.mark.parametrize(("name", "build"), [(POLICY_SCHEMA_FILE, policy_schema), (RESULT_SCHEMA_FILE, result_schema)])
def test_shipped_schema_is_what_the_models_generate(name, build):
    # `python -m synthaudit.schemas` regenerates them after a model change
    assert shipped_schema(name) == json.loads(json.dumps(build())), f"regenerate {name}: python -m synthaudit.schemas"
    jsonschema.Draft202012Validator.check_schema(shipped_schema(name))


def policy_errors(document):
    validator = jsonschema.Draft202012Validator(shipped_schema(POLICY_SCHEMA_FILE))
    return [e.message for e in validator.iter_errors(document)]


def test_default_policy_and_hand_written_policies_validate():
    default = yaml.safe_load(default_policy_text(load_registry(), schema_uri="file:///x.json"))
    assert policy_errors(default) == []
    good = {"seed": 3, "preset": "strict", "checks": {"fidelity.marginals": {"params": {"figures": 5}}}}
    assert policy_errors(good) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"preset": "lenient"},  # not a preset
        {"seed": -1},
        {"checks": {"fidelity.marginals": {"params": {"no_such_param": 1}}}},
        {"checks": {"fidelity.marginals": {"params": {"figures": "five"}}}},
        {"unknown_key": True},
    ],
)
def test_policy_schema_rejects_what_the_loader_rejects(bad):
    assert policy_errors(bad), bad


def test_init_points_editors_at_the_schema():
    text = default_policy_text(load_registry(), schema_uri=shipped_schema_path(POLICY_SCHEMA_FILE).as_uri())
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=file://") and first.endswith(POLICY_SCHEMA_FILE)
    assert shipped_schema_path(POLICY_SCHEMA_FILE).is_file()


def test_a_real_result_validates(adult_split):
    real, holdout, synth = adult_split(seed=5, real=600, holdout=300, synth=300)
    synth = synth.copy()
    synth.iloc[:30] = real.iloc[:30].to_numpy()  # exact copies: a failing check, with evidence
    result = audit(real, synth, holdout, only=("fidelity.marginals", "leakage.exact_copies", "leakage.pii"))
    document = json.loads(result.to_json())
    validator = jsonschema.Draft202012Validator(shipped_schema(RESULT_SCHEMA_FILE))
    assert [e.message for e in validator.iter_errors(document)] == []
    document["checks"][0]["status"] = "maybe"
    del document["gate"]
    assert len(list(validator.iter_errors(document))) == 2
