"""The distribution synthaudit is installed as, and its version, read without importing anything heavy.

The import name and the command are ``synthaudit``; the distribution on PyPI is :data:`DISTRIBUTION_NAME`
(the PyPI name ``synthaudit`` belongs to an unrelated project). ``pip install synthaudit-toolkit``.
"""

from __future__ import annotations

import re
from importlib import metadata

__all__ = [
    "DISTRIBUTION_NAME",
    "LEGACY_DISTRIBUTION_NAME",
    "UNKNOWN_VERSION",
    "installed_version",
    "is_own_distribution",
    "tool_version",
]

DISTRIBUTION_NAME = "synthaudit-toolkit"
"""The name to ``pip install``: ``synthaudit-toolkit`` (free on PyPI; ``synthaudit`` is someone else's)."""
LEGACY_DISTRIBUTION_NAME = "synthaudit"
"""What development installs made before the rename are called; trusted only when they carry our checks."""
UNKNOWN_VERSION = "0+unknown"

_OWN_CHECK_PREFIX = "synthaudit.checks."


def _canonical(name: str) -> str:
    """PEP 503 normalised name: ``Synthaudit_Toolkit`` → ``synthaudit-toolkit``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_own_distribution(name: str) -> bool:
    """Whether ``name`` (as in a distribution's metadata) is synthaudit's own distribution, old name or new."""
    return _canonical(name) in (DISTRIBUTION_NAME, LEGACY_DISTRIBUTION_NAME)


def installed_version(name: str) -> str:
    """``importlib.metadata.version(name)``, read from the metadata's header lines only.

    The full parse also reads the long description after them (most of a large package's metadata); the
    version is a header field. Raises :class:`importlib.metadata.PackageNotFoundError` like ``version``.
    """
    dist = metadata.distribution(name)
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    for line in text.split("\n\n", 1)[0].splitlines():
        if line.startswith("Version:"):
            return line.removeprefix("Version:").strip()
    return dist.version


def _provides_our_checks(dist: metadata.Distribution) -> bool:
    return any(ep.group == "synthaudit.checks" and ep.value.startswith(_OWN_CHECK_PREFIX) for ep in dist.entry_points)


def tool_version() -> str:
    """The installed synthaudit version (``0+unknown`` when running from an uninstalled tree).

    Reads the metadata of :data:`DISTRIBUTION_NAME`; falls back to a development install made under the
    old name ``synthaudit``, but only when that distribution provides synthaudit's own checks (the PyPI
    project of that name is unrelated, and its version must never be reported as ours).
    """
    try:
        return metadata.version(DISTRIBUTION_NAME)
    except metadata.PackageNotFoundError:
        pass
    try:
        legacy = metadata.distribution(LEGACY_DISTRIBUTION_NAME)
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION
    return legacy.version if _provides_our_checks(legacy) else UNKNOWN_VERSION
