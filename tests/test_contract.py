"""Every registered check keeps the check contract (sklearn's test_common, for synthaudit)."""

from __future__ import annotations

import pytest

from synthaudit.registry import load_registry
from synthaudit.testing import check_contract
from synthaudit.version import is_own_distribution

REGISTRY = load_registry(autoload_plugins=False)


def test_builtin_checks_are_registered_through_entry_points():
    assert {"constraints.schema", "fidelity.marginals", "leakage.exact_copies"} <= set(REGISTRY.classes)
    assert all(is_own_distribution(entry.distribution) for entry in REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY.classes))
def test_check_contract(name):
    result = check_contract(REGISTRY.classes[name])
    assert result.name == name
