"""The audit policy: which checks run, their parameters, what is required, waivers, presets.

A policy is a YAML file (or a mapping) validated before any data is read. Unknown keys are errors naming
the key with a did-you-mean suggestion; check parameters are validated against each check's ``Params``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synthaudit.check import Check, CheckParams
from synthaudit.errors import PolicyError

__all__ = ["DEFAULT_REQUIRED", "CheckPolicy", "Policy", "WaiverSpec", "load_policy", "resolve_params"]

DEFAULT_REQUIRED = ("leakage.exact_copies", "leakage.dcr")
"""DESIGN: the default required list is the installed ones of these."""

DEFAULT_TIMEOUT_S = 900.0
"""Default time budget of one check, in seconds: generous (a full audit of a million rows stays far below)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WaiverSpec(_Strict):
    """An accepted failure of one check: a waived failure does not fail the gate until it expires."""

    check: str = Field(description="Check name, e.g. fidelity.marginals.")
    reason: str = Field(min_length=1, description="Why the failure is accepted.")
    owner: str = Field(min_length=1, description="Who accepted it.")
    expires: dt.date = Field(description="Last day the waiver applies (ISO date).")

    def active_on(self, day: dt.date) -> bool:
        """Whether the waiver still applies on ``day``."""
        return day <= self.expires


class CheckPolicy(_Strict):
    """Per-check settings: switch it off, or override parameters (thresholds) of its ``Params``."""

    enabled: bool = Field(True, description="Run this check.")
    params: dict[str, Any] = Field(default_factory=dict, description="Overrides of the check's Params.")


class Policy(_Strict):
    """Everything a run decides besides its inputs."""

    seed: int = Field(0, ge=0, description="Audit seed: every sample and random stream derives from it.")
    preset: Literal["default", "strict"] = Field("default", description="Base preset.")
    fail_on_warn: bool = Field(False, description="A warn status fails the gate.")
    errors_fail: bool = Field(True, description="A check that raised (status error) fails the gate.")
    required: tuple[str, ...] | None = Field(
        None, description="Checks that must run; skipped for missing needs fails the gate. Default: preset's."
    )
    only: tuple[str, ...] = Field((), description="Run only these checks or suites.")
    skip: tuple[str, ...] = Field((), description="Do not run these checks or suites.")
    checks: dict[str, CheckPolicy] = Field(default_factory=dict, description="Per-check settings.")
    waivers: tuple[WaiverSpec, ...] = Field((), description="Accepted failures, with owner and expiry.")
    include_examples: bool = Field(
        False,
        description="Show flagged synthetic texts beside their nearest real text (masked) in results and reports.",
    )
    roles: dict[str, Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]] = Field(
        default_factory=dict, description="Column roles that override inference, by column name."
    )
    max_rows: int | None = Field(None, gt=0, description="Seeded row cap per input file, for quick runs.")
    full: bool = Field(False, description="No sampling caps anywhere.")
    timeout_s: float = Field(
        DEFAULT_TIMEOUT_S,
        gt=0,
        description="Time budget of every check in seconds (a check's params.timeout_s overrides it); past it the "
        "check is recorded as an error and the audit goes on.",
    )

    def effective_required(self, installed: set[str], applicable: set[str] | None = None) -> tuple[str, ...]:
        """The required checks, resolved against the preset and the installed checks.

        A preset requires only the checks in ``applicable`` (those that can apply to the data's column
        roles: ``strict`` on a table requires no text check); an explicit ``required:`` list is kept whole.
        """
        if self.required is not None:
            return tuple(self.required)
        can_apply = installed if applicable is None else installed & applicable
        if self.preset == "strict":
            return tuple(sorted(name for name in can_apply if name.startswith("leakage.")))
        return tuple(name for name in DEFAULT_REQUIRED if name in can_apply)

    def required_candidates(self, installed: set[str]) -> set[str]:
        """The installed checks whose applicability :meth:`effective_required` can depend on (none for a list)."""
        if self.required is not None:
            return set()
        if self.preset == "strict":
            return {name for name in installed if name.startswith("leakage.")}
        return installed & set(DEFAULT_REQUIRED)

    @property
    def effective_fail_on_warn(self) -> bool:
        """The strict preset makes warnings fail."""
        return self.fail_on_warn or self.preset == "strict"

    def to_record(self, installed: set[str], applicable: set[str] | None = None) -> dict[str, Any]:
        """The policy in effect, as JSON-native data (recorded in the result)."""
        record = self.model_dump(mode="json")
        record["required"] = list(self.effective_required(installed, applicable))
        record["fail_on_warn"] = self.effective_fail_on_warn
        return record


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _policy_error(error: ValidationError, source: str) -> PolicyError:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        where = _location(loc)
        if item["type"] == "extra_forbidden":
            parent: type[BaseModel] = Policy
            if loc and loc[0] == "waivers":
                parent = WaiverSpec
            elif loc and loc[0] == "checks" and len(loc) == 3:
                parent = CheckPolicy
            close = difflib.get_close_matches(str(loc[-1]), list(parent.model_fields), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Known keys: {sorted(parent.model_fields)}."
            problems.append(f"unknown key {where!r}.{hint}")
        else:
            problems.append(f"{where!r} {item['msg'].lower()}; got {item.get('input')!r}.")
    return PolicyError(f"the policy {source} is invalid: " + " ".join(problems) + " Fix the policy file.")


def load_policy(source: str | Path | Mapping[str, Any] | Policy | None) -> Policy:
    """Read and validate a policy from a YAML path, a mapping, or return the default policy."""
    if source is None:
        return Policy()
    if isinstance(source, Policy):
        return source
    label = "mapping"
    if isinstance(source, str | Path):
        path = Path(source)
        label = f"file {str(path)!r}"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PolicyError(f"the policy file {str(path)!r} does not exist; check the --config path.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"the policy file {str(path)!r} cannot be read ({exc}); it must be UTF-8 YAML.") from exc
        import yaml  # only for policy files: an audit without one never imports it

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PolicyError(f"the policy file {str(path)!r} is not valid YAML: {exc}") from exc
        data: Any = {} if loaded is None else loaded
    else:
        data = dict(source)
    if not isinstance(data, Mapping):
        raise PolicyError(f"the policy {label} must be a mapping of keys to values; got {type(data).__name__}.")
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as exc:
        raise _policy_error(exc, label) from None


def resolve_params(
    policy: Policy, checks: Mapping[str, type[Check]], selected: Collection[str] | None = None
) -> dict[str, CheckParams]:
    """Validate every per-check override against the installed checks' ``Params``.

    Returns the merged ``Params`` of every installed check, or of the ``selected`` ones and every check the policy
    sets parameters for. Unknown check names and bad parameters raise :class:`PolicyError`; nested models (margins)
    may be overridden partially.
    """
    names = list(checks)
    for name in [*policy.checks, *(w.check for w in policy.waivers), *(policy.required or ())]:
        if name not in checks:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else " Run `synthaudit checks` to list them."
            raise PolicyError(f"the policy names the check {name!r}, which is not installed.{hint}")
    for name in [*policy.only, *policy.skip]:
        if name not in checks and not any(n.startswith(name + ".") for n in names):
            close = difflib.get_close_matches(name, names + sorted({n.split(".")[0] for n in names}), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else " Run `synthaudit checks` to list them."
            raise PolicyError(f"--only/--skip names {name!r}, which is neither an installed check nor a suite.{hint}")
    resolved: dict[str, CheckParams] = {}
    wanted = None if selected is None else {*selected, *policy.checks}
    for name in checks:
        if wanted is not None and name not in wanted:
            continue
        cls = checks[name]
        overrides = policy.checks.get(name, CheckPolicy()).params
        merged = _deep_merge(cls.Params().model_dump(), overrides)
        try:
            resolved[name] = cls.Params.model_validate(merged)
        except ValidationError as exc:
            problems = []
            for item in exc.errors():
                where = _location(tuple(item["loc"]))
                if item["type"] == "extra_forbidden":
                    fields = list(cls.Params.model_fields)
                    close = difflib.get_close_matches(str(item["loc"][0]), fields, n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else f" Known parameters: {fields}."
                    problems.append(f"unknown parameter {where!r}.{hint}")
                else:
                    problems.append(f"parameter {where!r} {item['msg'].lower()}; got {item.get('input')!r}.")
            raise PolicyError(f"checks.{name}.params in the policy is invalid: " + " ".join(problems)) from None
    return resolved


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
