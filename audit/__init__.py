"""synthaudit: audit synthetic datasets against the real data they imitate.

The public API is what ``__all__`` lists; everything else may change. Heavy libraries are imported lazily,
so ``import synthaudit`` and ``synthaudit --help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthaudit.errors import InputError, PluginError, PolicyError, SynthauditError
from synthaudit.result import AuditResult, CheckResult, Metric, Status

if TYPE_CHECKING:
    from synthaudit.api import audit
    from synthaudit.check import Check, CheckParams, Margin, Need, Suite

__all__ = [
    "AuditResult",
    "Check",
    "CheckParams",
    "CheckResult",
    "InputError",
    "Margin",
    "Metric",
    "Need",
    "PluginError",
    "PolicyError",
    "Status",
    "Suite",
    "SynthauditError",
    "__version__",
    "audit",
]

_LAZY = {
    "audit": "synthaudit.api",
    "Check": "synthaudit.check",
    "CheckParams": "synthaudit.check",
    "Margin": "synthaudit.check",
    "Need": "synthaudit.check",
    "Suite": "synthaudit.check",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from synthaudit.api import tool_version

        return tool_version()
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'synthaudit' has no attribute {name!r}")
