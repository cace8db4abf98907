from __future__ import annotations

import datetime as dt

import pytest

from synthaudit.errors import PolicyError
from synthaudit.policy import Policy, load_policy, resolve_params
from synthaudit.registry import load_registry

CHECKS = load_registry(autoload_plugins=False).classes


def test_default_policy():
    policy = load_policy(None)
    assert policy.seed == 0
    assert policy.effective_required(set(CHECKS)) == ("leakage.exact_copies", "leakage.dcr")


def test_unknown_top_level_key_suggests_the_right_one(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("sed: 3\n")
    with pytest.raises(PolicyError, match=r"unknown key 'sed'.*Did you mean 'seed'"):
        load_policy(path)


def test_unknown_waiver_key_and_bad_date():
    with pytest.raises(PolicyError, match="Did you mean 'owner'"):
        load_policy({"waivers": [{"check": "a.b", "reason": "r", "ownr": "x", "expires": "2030-01-01"}]})
    with pytest.raises(PolicyError, match="expires"):
        load_policy({"waivers": [{"check": "a.b", "reason": "r", "owner": "x", "expires": "soon"}]})


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "nope.yaml")


def test_params_override_partially_and_are_validated():
    policy = load_policy({"checks": {"fidelity.marginals": {"params": {"distance_margin": {"fail_floor": 0.2}}}}})
    params = resolve_params(policy, CHECKS)
    assert params["fidelity.marginals"].distance_margin.fail_floor == 0.2
    assert params["fidelity.marginals"].distance_margin.warn_floor == 0.03  # untouched default
    with pytest.raises(PolicyError, match="Did you mean 'distance_margin'"):
        resolve_params(load_policy({"checks": {"fidelity.marginals": {"params": {"distance_margn": {}}}}}), CHECKS)
    with pytest.raises(PolicyError, match="fail_floor"):
        resolve_params(
            load_policy({"checks": {"fidelity.marginals": {"params": {"distance_margin": {"fail_floor": -1}}}}}),
            CHECKS,
        )


def test_unknown_check_name_suggests_installed_one():
    with pytest.raises(PolicyError, match=r"Did you mean .fidelity\.marginals."):
        resolve_params(load_policy({"checks": {"fidelity.marginal": {"enabled": False}}}), CHECKS)
    with pytest.raises(PolicyError, match="neither an installed check nor a suite"):
        resolve_params(Policy(only=("fidelty",)), CHECKS)


def test_strict_preset_requires_every_leakage_check_and_fails_on_warn():
    policy = load_policy({"preset": "strict"})
    assert policy.effective_fail_on_warn
    assert policy.effective_required(set(CHECKS)) == tuple(sorted(n for n in CHECKS if n.startswith("leakage.")))


def test_waiver_expiry():
    policy = load_policy(
        {"waivers": [{"check": "fidelity.marginals", "reason": "r", "owner": "o", "expires": "2026-01-31"}]}
    )
    waiver = policy.waivers[0]
    assert waiver.active_on(dt.date(2026, 1, 31))
    assert not waiver.active_on(dt.date(2026, 2, 1))


def test_a_preset_requires_only_checks_that_can_apply_but_an_explicit_list_is_kept():
    applicable = {n for n in CHECKS if n not in ("leakage.pii", "leakage.text_near_duplicates")}
    strict = load_policy({"preset": "strict"})
    required = strict.effective_required(set(CHECKS), applicable)
    assert "leakage.pii" not in required and "leakage.dcr" in required
    explicit = load_policy({"required": ["leakage.pii"]})
    assert explicit.effective_required(set(CHECKS), applicable) == ("leakage.pii",)
