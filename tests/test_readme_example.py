"""The README's example check, extracted from README.md and run through the conformance suite as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _example() -> types.ModuleType:
    """The module holding the README's example check (registered so pydantic and pickling see a real module)."""
    source = next(b for b in _blocks() if "class MeanGapCheck(Check)" in b)
    module = types.ModuleType("readme_example")
    sys.modules[module.__name__] = module
    exec(compile(source, str(README), "exec"), module.__dict__)
    return module


EXAMPLE = _example()
_conformance_source = next(b for b in _blocks() if "parametrize_with_checks([MeanGapCheck]" in b)
_namespace: dict[str, object] = {"MeanGapCheck": EXAMPLE.MeanGapCheck}
exec(compile(_conformance_source, str(README), "exec"), _namespace)
test_readme_example_conformance = _namespace["test_conformance"]  # collected with its parametrize mark


def test_the_example_is_short_and_follows_the_design():
    source = next(b for b in _blocks() if "class MeanGapCheck(Check)" in b)
    assert len(source.splitlines()) <= 120
    assert "reference=0.0" not in source and "class Params(CheckParams)" in source and "reference_pair" in source
