from __future__ import annotations

from typing import ClassVar

import pytest

from synthaudit.check import Check, Suite
from synthaudit.errors import PluginError
from synthaudit.registry import Registry, load_registry, validate_check_class


class _Good(Check):
    """A check used only by these tests."""

    name: ClassVar[str] = "fidelity.good_test"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = "test"

    def run(self, ctx):  # pragma: no cover - not run here
        raise NotImplementedError


def test_validate_rejects_bad_names_and_suites():
    bad_name = type("Bad", (_Good,), {"name": "Fidelity-Bad"})
    with pytest.raises(PluginError, match=r"suite\.snake_name"):
        validate_check_class(bad_name, "bad")
    wrong_suite = type("Bad", (_Good,), {"name": "leakage.bad"})
    with pytest.raises(PluginError, match="must start with its suite"):
        validate_check_class(wrong_suite, "bad")
    with pytest.raises(PluginError, match="subclass"):
        validate_check_class(object, "obj")


def test_duplicate_name_names_both_providers():
    registry = Registry()
    registry.register(_Good, distribution="pkg-one", version="1.0")
    with pytest.raises(PluginError, match=r"pkg-one 1\.0.*pkg-two 2\.0"):
        registry.register(_Good, distribution="pkg-two", version="2.0")


def test_builtins_come_from_the_synthaudit_distribution():
    from synthaudit.version import DISTRIBUTION_NAME

    registry = load_registry(autoload_plugins=False)
    assert registry["fidelity.marginals"].distribution.replace("_", "-").lower() == DISTRIBUTION_NAME


def test_broken_plugin_import_is_a_plugin_error(tmp_path, monkeypatch):
    from tests.audit.test_cli import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, target="does_not_exist_module:Nope", name="fidelity.broken")
    with pytest.raises(PluginError, match="failed to import"):
        load_registry()
    monkeypatch.setenv("SYNTHAUDIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "fidelity.broken" not in load_registry()
