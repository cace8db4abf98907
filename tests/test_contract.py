"""Every registered check passes the conformance suite (sklearn's parametrize_with_checks, for synthaudit).

One test id per check × property (``synthaudit.testing.PROPERTIES``); the bench (samples, contexts, runs)
is shared by the whole module, so each check runs a handful of times in all.
"""

from __future__ import annotations

import pytest

from synthaudit.registry import load_registry
from synthaudit.testing import PROPERTIES, Bench, parametrize_with_checks
from synthaudit.version import is_own_distribution

REGISTRY = load_registry(autoload_plugins=False)
BENCH = Bench()

EXPECTED_FAILURES: dict[tuple[str, str], str] = {}
"""``(check, property)`` → why it is expected to fail (an open finding, marked xfail(strict=True))."""


@pytest.fixture(scope="module", autouse=True)
def _release_bench():
    yield
    BENCH.clear()


def test_builtin_checks_are_registered_through_entry_points():
    assert {"constraints.schema", "fidelity.marginals", "leakage.exact_copies"} <= set(REGISTRY.classes)
    assert all(is_own_distribution(entry.distribution) for entry in REGISTRY)


def test_every_builtin_has_a_defect_and_every_property_is_named():
    from synthaudit.testing_samples import BUILTIN_DEFECTS

    assert set(REGISTRY.classes) <= set(BUILTIN_DEFECTS)
    assert len(PROPERTIES) == 10


@parametrize_with_checks(
    [REGISTRY.classes[name] for name in sorted(REGISTRY.classes)], expected_failures=EXPECTED_FAILURES, bench=BENCH
)
def test_conformance(check, conformance):
    conformance(check)
