"""The exception tree of synthaudit.

User mistakes (bad files, bad policy, broken plugins) are :class:`SynthauditError` subclasses: the CLI
prints their message as one paragraph and exits with code 2. Anything else escaping the engine is a bug.
Messages follow one template: what is wrong, where (file, line, column, key), and how to fix it.
"""

from __future__ import annotations

__all__ = ["InputError", "PluginError", "PolicyError", "SynthauditError"]


class SynthauditError(Exception):
    """Base class of every error synthaudit raises on purpose."""


class InputError(SynthauditError, ValueError):
    """An input file or frame cannot be audited: unreadable, empty, malformed, or missing a column."""


class PolicyError(SynthauditError, ValueError):
    """The policy file (or a policy mapping) is invalid: unknown key, bad value, unknown check."""


class PluginError(SynthauditError, TypeError):
    """A check registered through the ``synthaudit.checks`` entry points breaks the check contract."""
