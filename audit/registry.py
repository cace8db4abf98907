"""Check discovery through the ``synthaudit.checks`` entry-point group.

Built-in checks register exactly like third-party ones (in this package's ``pyproject.toml``), so there is
one loading path. Every class is validated against the check contract at registration; a duplicate name is
an error naming both providers. ``SYNTHAUDIT_DISABLE_PLUGIN_AUTOLOAD=1`` loads only synthaudit's own checks.

Third-party checks are imported and validated when the registry is loaded, so a broken plugin fails before any
work. synthaudit's own checks (validated by its test suite) are known by their entry-point names and imported
the first time one is asked for: an audit of two checks imports those two modules, not all of them.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel

from synthaudit.check import Check, Need, Suite
from synthaudit.errors import PluginError
from synthaudit.version import DISTRIBUTION_NAME, is_own_distribution

__all__ = ["ENTRY_POINT_GROUP", "RegisteredCheck", "Registry", "load_registry", "validate_check_class"]

ENTRY_POINT_GROUP = "synthaudit.checks"
_NAME_PATTERN = re.compile(r"^[a-z]+\.[a-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    """A check class and the distribution that provides it."""

    cls: type[Check]
    distribution: str
    version: str

    @property
    def provider(self) -> str:
        """``name version`` of the providing package."""
        return f"{self.distribution} {self.version}".strip()


def validate_check_class(obj: object, where: str) -> type[Check]:
    """Verify that ``obj`` satisfies the check contract; raise :class:`PluginError` naming the rule broken."""

    def broken(rule: str) -> PluginError:
        return PluginError(f"the check {where} breaks the check contract: {rule}.")

    if not (inspect.isclass(obj) and issubclass(obj, Check)):
        raise broken("it must be a subclass of synthaudit.Check")
    if inspect.isabstract(obj):
        raise broken("it must implement run(ctx)")
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise broken(f"name must match 'suite.snake_name' (^[a-z]+\\.[a-z0-9_]+$); got {name!r}")
    suite = getattr(obj, "suite", None)
    if not isinstance(suite, Suite):
        raise broken(f"suite must be a synthaudit.Suite; got {suite!r}")
    if not name.startswith(suite.value + "."):
        raise broken(f"name {name!r} must start with its suite {suite.value!r}")
    description = getattr(obj, "description", None)
    if not isinstance(description, str) or not description.strip():
        raise broken("description must be a non-empty one-line string")
    needs: object = getattr(obj, "needs", frozenset())
    if not isinstance(needs, frozenset) or not all(isinstance(n, Need) for n in needs):
        raise broken("needs must be a frozenset of synthaudit.Need")
    params = getattr(obj, "Params", None)
    if not (inspect.isclass(params) and issubclass(params, BaseModel)):
        raise broken("Params must be a pydantic model")
    try:
        params()
    except Exception as exc:
        raise broken(f"Params() must validate with its defaults ({exc})") from exc
    if not isinstance(getattr(obj, "gating_metrics", None), tuple):
        raise broken("gating_metrics must be a tuple of metric names")
    return obj


class Registry:
    """Installed checks by name, in a stable (sorted) order.

    Iterating, ``classes`` and ``registry[name]`` import what they return; ``names`` and ``in`` import nothing.
    """

    def __init__(self) -> None:
        self._checks: dict[str, RegisteredCheck] = {}
        self._deferred: dict[str, tuple[EntryPoint, str, str]] = {}
        """Entry points known by name, imported and validated when first asked for (synthaudit's own checks)."""

    def register(self, cls: object, *, distribution: str = "", version: str = "", where: str = "") -> None:
        """Add a check class; a duplicate name raises :class:`PluginError` naming both providers."""
        check = validate_check_class(cls, where or repr(cls))
        if check.name in self._deferred:
            self._resolve(check.name)
        if check.name in self._checks:
            other = self._checks[check.name]
            raise PluginError(
                f"two packages provide the check {check.name!r}: {other.provider or 'unknown'} "
                f"({other.cls.__module__}.{other.cls.__qualname__}) and {distribution} {version} "
                f"({check.__module__}.{check.__qualname__}); uninstall one or rename its check."
            )
        self._checks[check.name] = RegisteredCheck(check, distribution, version)

    def defer(self, ep: EntryPoint, *, distribution: str = "", version: str = "") -> None:
        """Add the check of ``ep`` by its name, to be imported and validated when first asked for."""
        if ep.name in self._checks or ep.name in self._deferred:  # a duplicate: load it now, for the message
            self._register_entry_point(ep, distribution, version)
        else:
            self._deferred[ep.name] = (ep, distribution, version)

    def _register_entry_point(self, ep: EntryPoint, distribution: str, version: str) -> None:
        obj = _import_entry_point(ep, distribution)
        where = f"{ep.name!r} = {ep.value!r} from {distribution or 'an unknown package'}"
        check = validate_check_class(obj, where)
        if check.name != ep.name:
            raise PluginError(
                f"the check entry point {where} is named {ep.name!r} but its class says {check.name!r}; "
                "the entry-point name must equal the check's name."
            )
        self.register(check, distribution=distribution, version=version, where=where)

    def _resolve(self, name: str) -> None:
        ep, distribution, version = self._deferred.pop(name)
        self._register_entry_point(ep, distribution, version)

    @property
    def names(self) -> tuple[str, ...]:
        """Every installed check's name, sorted (imports nothing)."""
        return tuple(sorted({*self._checks, *self._deferred}))

    def __contains__(self, name: object) -> bool:
        return name in self._checks or name in self._deferred

    def __iter__(self) -> Iterator[RegisteredCheck]:
        return iter([self[name] for name in self.names])

    def __len__(self) -> int:
        return len(self._checks) + len(self._deferred)

    def __getitem__(self, name: str) -> RegisteredCheck:
        if name in self._deferred:
            self._resolve(name)
        return self._checks[name]

    @property
    def classes(self) -> dict[str, type[Check]]:
        """Check classes by name, sorted (imports every check)."""
        return {entry.cls.name: entry.cls for entry in self}

    @property
    def classes_by_name(self) -> Mapping[str, type[Check]]:
        """Check classes by name, sorted, as a mapping that imports a check only when it is looked up."""
        return _LazyClasses(self)


class _LazyClasses(Mapping[str, type[Check]]):
    """A read-only view of a registry's classes: keys without importing, each class imported when looked up."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __getitem__(self, name: str) -> type[Check]:
        if name not in self._registry:
            raise KeyError(name)
        return self._registry[name].cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry.names)

    def __len__(self) -> int:
        return len(self._registry)

    def __contains__(self, name: object) -> bool:
        return name in self._registry


def _import_entry_point(ep: EntryPoint, distribution: str) -> object:
    try:
        return ep.load()
    except Exception as exc:
        raise PluginError(
            f"the check entry point {ep.name!r} = {ep.value!r} from {distribution or 'an unknown package'} "
            f"failed to import ({type(exc).__name__}: {exc}); fix or uninstall that package, or set "
            "SYNTHAUDIT_DISABLE_PLUGIN_AUTOLOAD=1 to load only synthaudit's own checks."
        ) from exc


def load_registry(*, autoload_plugins: bool | None = None) -> Registry:
    """Discover every check in the ``synthaudit.checks`` entry-point group.

    Plugins are imported and validated here; synthaudit's own checks when first asked for (see the module).
    """
    if autoload_plugins is None:
        autoload_plugins = os.environ.get("SYNTHAUDIT_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")
    registry = Registry()
    seen: set[tuple[str, str, str]] = set()
    described: dict[int, tuple[str, str]] = {}  # name and version per distribution: its metadata parsed once

    def describe(dist: Any) -> tuple[str, str]:
        if dist is None:
            return "", ""
        if id(dist) not in described:
            metadata = dist.metadata
            described[id(dist)] = (metadata["Name"], metadata["Version"])
        return described[id(dist)]

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        dist = getattr(ep, "dist", None)
        dist_name, version = describe(dist)
        own = is_own_distribution(dist_name)
        # the same distribution visible twice on sys.path (or a development install left under the old name)
        key = (ep.name, ep.value, DISTRIBUTION_NAME if own else dist_name)
        if key in seen:
            continue
        seen.add(key)
        if not autoload_plugins and not own:
            continue
        if own:
            registry.defer(ep, distribution=dist_name, version=version)
        else:
            registry._register_entry_point(ep, dist_name, version)
    return registry
