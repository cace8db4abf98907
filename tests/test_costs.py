"""Every registered check states its cost (issue 17): a closing "Cost:" paragraph in its class docstring.

The paragraph gives time and memory as a function of rows and columns and names what is capped, with the
``Params`` field that caps it; this test holds the form (a last paragraph that starts with "Cost" and speaks
of rows or columns) and that every cap it names (a double-backquoted ``max_…`` name) is a field of the check's
``Params``, so the statement follows a renamed field.
"""

from __future__ import annotations

import inspect
import re

import pytest

from synthaudit.registry import load_registry

REGISTRY = load_registry(autoload_plugins=False)


def _cost_paragraph(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.strip().split("\n\n")[-1]


@pytest.mark.parametrize("name", sorted(REGISTRY.classes))
def test_check_docstring_ends_with_a_cost_paragraph(name: str) -> None:
    cls = REGISTRY.classes[name]
    paragraph = _cost_paragraph(cls)
    assert re.match(r"Cost[:,]", paragraph), f"{name}: the class docstring's last paragraph must start with 'Cost:'"
    assert re.search(r"\b(rows?|columns?|n|m|c|d|texts?|words|values?)\b", paragraph), paragraph


@pytest.mark.parametrize("name", sorted(REGISTRY.classes))
def test_cost_paragraph_names_only_real_caps(name: str) -> None:
    cls = REGISTRY.classes[name]
    caps = set(re.findall(r"``(max_[a-z0-9_]*)", _cost_paragraph(cls)))
    unknown = caps - set(cls.Params.model_fields)
    assert not unknown, f"{name}: the Cost paragraph names {sorted(unknown)}, which are not Params fields"
