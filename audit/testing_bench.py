"""The conformance bench: shared samples, contexts and cached runs of the property checks (:mod:`synthaudit.testing`).

A :class:`Bench` draws the samples once, builds one context per sample kind for the clean runs (shared by
every check, as in an audit) and a fresh one for each other run, and caches every run, so the property
checks of one check share its handful of runs. Runs capture printing and the global random state.
"""

from __future__ import annotations

import contextlib
import io
import random
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from synthaudit.check import Check, Need
from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.embeddings import EmbeddingOptions
from synthaudit.result import AuditResult, CheckResult, GateDecision
from synthaudit.runner import missing_need_reason
from synthaudit.testing_samples import (
    BUILTIN_DEFECTS,
    PAIR_SAMPLE_CHECKS,
    TEXT_SAMPLE_CHECKS,
    Defect,
    Samples,
    mixed_sample,
    pair_sample,
    text_sample,
)

__all__ = ["Bench", "Run", "roundtrip"]


_SENTINEL = 20261206
"""Seed of the sentinel global states a run starts from (so reseeding with any fixed seed is seen)."""


@contextlib.contextmanager
def _sentinel_global_state() -> Iterator[list[bool]]:
    """Start NumPy's and Python's global generators from a sentinel state; yield ``[changed]``; restore them.

    ``changed[0]`` becomes whether the block drew from or reseeded either generator.
    """
    saved = (np.random.get_state(), random.getstate())  # noqa: NPY002  (the global state, on purpose)
    np.random.seed(_SENTINEL)  # noqa: NPY002
    random.seed(_SENTINEL)
    start = (np.random.get_state(), random.getstate())  # noqa: NPY002
    changed = [False]
    try:
        yield changed
    finally:
        after = (np.random.get_state(), random.getstate())  # noqa: NPY002
        changed[0] = after[1] != start[1] or any(
            not np.array_equal(a, b) if isinstance(a, np.ndarray) else a != b
            for a, b in zip(after[0], start[0], strict=True)
        )
        np.random.set_state(saved[0])  # noqa: NPY002
        random.setstate(saved[1])


class _ContextWithoutEmbeddings(AuditContext):  # type: ignore[misc]
    """A context whose text checks run without sentence embeddings (as without the ``text`` extra)."""

    @property
    def embeddings_unavailable(self) -> str | None:
        """Always a reason: the bench keeps sentence embeddings off (they are slow on CPU)."""
        return "sentence embeddings are off on this conformance bench"


@dataclass(frozen=True)
class Run:
    """One run of a check: its result, what it printed, and whether it touched the global random state."""

    result: CheckResult
    printed: str
    global_rng_changed: bool


def roundtrip(result: CheckResult) -> CheckResult:
    """``result`` after a JSON round trip inside an audit result."""
    wrapper = AuditResult(
        passed=True,
        gate=GateDecision(True),
        checks_list=(result,),
        inputs={},
        policy={},
        seed=0,
        tool_version="test",
        reference={},
    )
    return AuditResult.from_json(wrapper.to_json()).checks_list[0]


@dataclass
class Bench:
    """Samples, contexts and cached runs shared by the property checks (one per test module)."""

    n: int = 800
    text_n: int = 200
    seed: int = 0
    defects: Mapping[str, Defect] = field(default_factory=dict)
    sample: Callable[[int, int], pd.DataFrame] = mixed_sample
    """The tabular sample: ``sample(n, seed)`` for real, ``seed + 1`` for holdout, ``seed + 2`` for synthetic."""
    route_text: bool = True
    """Run checks needing text on the text sample (otherwise every check runs on ``sample``)."""
    with_defects: bool = True
    """Inspect the defect runs too (JSON, metrics, evidence) where a defect is declared."""
    embeddings: bool = False
    """Compute sentence embeddings of text columns (slow on CPU; off, text checks use their other methods)."""
    _runs: dict[tuple[str, str], Run] = field(default_factory=dict, repr=False)
    _contexts: dict[str, AuditContext] = field(default_factory=dict, repr=False)
    _cache: tempfile.TemporaryDirectory[str] = field(default_factory=tempfile.TemporaryDirectory, repr=False)

    def clear(self) -> None:
        """Drop the cached runs and contexts (the samples stay)."""
        self._runs.clear()
        self._contexts.clear()

    @cached_property
    def tabular(self) -> Samples:
        """The mixed table: real, holdout and synthetic rows drawn independently."""
        s, draw = self.seed, self.sample
        return Samples(draw(self.n, s), draw(self.n, s + 1), draw(self.n, s + 2), "tabular")

    @cached_property
    def text(self) -> Samples:
        """The text table: disjoint sentences for real, holdout and synthetic rows."""
        n = self.text_n
        return Samples(text_sample(n, 0), text_sample(n, 1), text_sample(n, 2), "text")

    @cached_property
    def pairs(self) -> Samples:
        """The prompt–response table: disjoint pairs of consecutive sentences for real, holdout and synthetic rows."""
        n = self.text_n
        return Samples(pair_sample(n, 0), pair_sample(n, 1), pair_sample(n, 2), "pairs")

    def samples(self, check_cls: type[Check]) -> Samples:
        """The samples ``check_cls`` runs on, chosen by its needs."""
        if self.route_text and check_cls.name in PAIR_SAMPLE_CHECKS:
            return self.pairs
        if self.route_text and (Need.TEXT in check_cls.needs or check_cls.name in TEXT_SAMPLE_CHECKS):
            return self.text
        return self.tabular

    def context(self, samples: Samples, synth: pd.DataFrame | None = None, *, shuffle: bool = False) -> AuditContext:
        """A fresh context on ``samples`` (with ``synth`` replacing its synthetic rows, or rows shuffled)."""
        real, holdout = samples.real, samples.holdout
        synth = samples.synth if synth is None else synth
        if shuffle:
            rng = np.random.default_rng(self.seed + 99)
            real, holdout, synth = (f.iloc[rng.permutation(len(f))] for f in (real, holdout, synth))
        columns = set(real.columns)
        data = align(
            load_table(real, label="real"),
            load_table(synth, label="synthetic"),
            load_table(holdout, label="holdout"),
            target="label" if "label" in columns else None,
            sensitive=["group"] if "group" in columns else [],
            text=["sentence"] if "sentence" in columns else [],
            pairs=[("prompt", "response")] if "prompt" in columns else [],
            ids=["customer_id"] if "customer_id" in columns else [],
            quasi_identifiers=[c for c in ("age", "group", "colour") if c in columns]
            if "customer_id" in columns
            else [],
        )
        # One private embedding cache for the bench: every run embeds a sentence once.
        options = EmbeddingOptions(cache_dir=Path(self._cache.name))
        # pairs are compared through their embeddings: the pair sample has them whatever ``embeddings`` says
        with_embeddings = self.embeddings or "prompt" in columns
        kind = AuditContext if with_embeddings else _ContextWithoutEmbeddings
        return kind(data, seed=self.seed, embedding=options)

    def has_defect(self, check_cls: type[Check]) -> bool:
        """Whether a defect is declared for ``check_cls`` (the bench's table, the class, or the built-ins)."""
        try:
            self.defect(check_cls)
        except AssertionError:
            return False
        return True

    def variants(self, check_cls: type[Check]) -> tuple[str, ...]:
        """The runs whose results are inspected: the clean one, and the defect one when a defect is declared."""
        return ("clean", "defect") if self.with_defects and self.has_defect(check_cls) else ("clean",)

    def defect(self, check_cls: type[Check]) -> Defect:
        """How to inject ``check_cls``'s defect: the bench's table, the class's own, or the built-ins'."""
        found = self.defects.get(check_cls.name) or getattr(check_cls, "conformance_defect", None)
        found = found or BUILTIN_DEFECTS.get(check_cls.name)
        if not isinstance(found, Defect):
            raise AssertionError(
                f"{check_cls.name}: declare the defect it exists to catch: a `conformance_defect = Defect(...)` "
                "class attribute, or parametrize_with_checks(..., defects={name: Defect(...)})"
            )
        return found

    def run(self, check_cls: type[Check], variant: str) -> Run:
        """Run ``check_cls`` (default params) once per variant: clean, again, defect, shuffled."""
        key = (check_cls.name, variant)
        if key in self._runs:
            return self._runs[key]
        samples = self.samples(check_cls)
        if variant == "clean":  # one context per sample kind, shared by the clean runs of every check
            ctx = self._contexts.get(samples.kind)
            if ctx is None:
                ctx = self._contexts[samples.kind] = self.context(samples)
        elif variant == "defect":
            defect = self.defect(check_cls)
            ctx = self.context(samples, defect.inject(samples, np.random.default_rng(self.seed + 7)))
        else:
            ctx = self.context(samples, shuffle=variant == "shuffled")
        check = check_cls()
        missing = [r for need in sorted(check_cls.needs) if (r := missing_need_reason(need, ctx))]
        out = io.StringIO()
        with _sentinel_global_state() as changed, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result = check.skip("; ".join(missing)) if missing else check.run(ctx)
        self._runs[key] = Run(result, out.getvalue(), changed[0])
        return self._runs[key]
