"""Repository-wide rules: data flows one way, heavy libraries load lazily, tests stay offline."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "faiss", "great_expectations", "evidently", "fairlearn", "sklearn")


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module, line, at module top level) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, id(node) in top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno, id(node) in top))
    return found


def test_reports_only_consume_results():
    for path in (ROOT / "reports").rglob("*.py"):
        for module, line, _ in _imports(path):
            if module.startswith("synthaudit.") and not module.startswith("synthaudit.reports"):
                assert module in ("synthaudit.result", "synthaudit.fileio"), f"{path.name}:{line} imports {module}"


def test_engine_does_not_import_checks():
    for path in (ROOT / "audit").rglob("*.py"):
        for module, line, _ in _imports(path):
            assert not module.startswith("synthaudit.checks"), f"{path.name}:{line} imports {module}"


def test_checks_do_not_import_reports_or_the_cli():
    for path in (ROOT / "checks").rglob("*.py"):
        for module, line, _ in _imports(path):
            bad = module.startswith(("synthaudit.reports", "synthaudit.cli", "synthaudit.api"))
            assert not bad, f"{path.name}:{line} imports {module}"


@pytest.mark.parametrize("folder", ["audit", "checks", "reports"])
def test_heavy_libraries_are_imported_lazily(folder):
    for path in (ROOT / folder).rglob("*.py"):
        for module, line, top_level in _imports(path):
            if module.split(".")[0] in HEAVY:
                assert not top_level, f"{path.relative_to(ROOT)}:{line} imports {module} at module level"


def test_network_is_blocked_in_tests():
    with pytest.raises(Exception, match=r"(?i)socket"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def _defines_a_check(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.ClassDef) and any(getattr(base, "id", None) == "Check" for base in node.bases)
        for node in tree.body
    )


def test_checks_import_no_other_check():
    """A check module reads shared artefacts and statistics from the engine, never from another check."""
    check_modules = {
        "synthaudit.checks." + ".".join(path.relative_to(ROOT / "checks").with_suffix("").parts)
        for path in (ROOT / "checks").rglob("*.py")
        if _defines_a_check(path)
    }
    assert len(check_modules) >= 24
    for path in (ROOT / "checks").rglob("*.py"):
        for module, line, _ in _imports(path):
            assert module not in check_modules, f"{path.name}:{line} imports the check module {module}"


def test_faiss_is_imported_in_one_module():
    users = [
        path.relative_to(ROOT).as_posix()
        for folder in ("audit", "checks")
        for path in (ROOT / folder).rglob("*.py")
        if any(module == "faiss" for module, _, _ in _imports(path))
    ]
    assert users == ["audit/neighbours.py"], users
