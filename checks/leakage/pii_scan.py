"""Scanning one side's values for PII, and looking synthetic values up among the real data's, for ``leakage.pii``.

A helper module, not a check: a regular-expression pre-filter, the canonical form a value is compared in,
the index of the real texts' PII-shaped tokens, one side's findings, and the summary's wording.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.check import Margin, gated_metric
from synthaudit.checks.leakage.pii_detector import (
    DIGIT_ENTITIES,
    ENTITIES,
    NER_ENTITIES,
    PATTERN_ENTITIES,
    ScanCoverage,
    pii_detector,
)
from synthaudit.result import Metric
from synthaudit.stats.proportions import pooled_difference_se_counts

REPLAY_ENTITIES = frozenset({"EMAIL_ADDRESS", "IP_ADDRESS", "IBAN_CODE"}) | DIGIT_ENTITIES


_DIGIT_RUN = re.compile(r"\d(?:[\s().\-/+]*\d)*")


_DIGITS_PREFILTER = re.compile(r"\d(?:[\s().\-/+]*\d){5,}")


_OTHER_PREFILTER = re.compile(
    r"@|\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[A-Za-z]{2}\d{2} ?[A-Za-z0-9]{4}|::|\b[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{0,4}:"
)


_EMAIL_TOKEN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


_IPV4_TOKEN = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


_IPV6_TOKEN = re.compile(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")


_IBAN_TOKEN = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){8,32}")


_EMAIL_LEAD = ".!#$%&'*+/=?^`{|}~-"


def prefilter(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cheap masks of values that may hold pattern PII: (long digit runs, other shapes: @, IPs, IBANs).

    A superset of what the pattern recognizers can match, so that the slow analyzer sees only these.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    digits = values.str.contains(_DIGITS_PREFILTER).to_numpy(dtype=bool)
    other = values.str.contains(_OTHER_PREFILTER).to_numpy(dtype=bool)
    return digits, other


def canonical_value(entity: str, text: str) -> str:
    """The form in which a PII value is compared with the real data: digits only for numbers, case folded."""
    if entity in DIGIT_ENTITIES:
        return "".join(c for c in text if c.isdigit())
    if entity == "IBAN_CODE":
        return "".join(c for c in text if c.isalnum()).upper()
    if entity == "IP_ADDRESS":
        return text.split("/")[0].split("%")[0].lower()
    if entity == "EMAIL_ADDRESS":
        return text.lower()
    return " ".join(text.lower().split())


def _digit_windows(text: str, lengths: frozenset[int]) -> Iterable[str]:
    """Digit strings of consecutive digit groups of each digit run (separators dropped) of a wanted length."""
    longest = max(lengths, default=0)
    for run in _DIGIT_RUN.findall(text):
        groups = re.findall(r"\d+", run)
        for i in range(len(groups)):
            joined = ""
            for group in groups[i:]:
                joined += group
                if len(joined) > longest:
                    break
                if len(joined) in lengths:
                    yield joined


def real_value_index(
    texts: Iterable[str], digit_lengths: Iterable[int], iban_lengths: Iterable[int]
) -> dict[str, set[str]]:
    """Canonical PII-shaped tokens of the real texts, per kind, for replay look-ups.

    Tokens are cut with simple regular expressions (no analyzer): e-mail-like and IP-like tokens, IBAN-like
    prefixes of the wanted lengths, and digit strings made of whole consecutive digit groups of the wanted
    lengths. A synthetic PII value is replayed when its canonical form is among them.
    """
    digit_set, iban_set = frozenset(digit_lengths), frozenset(iban_lengths)
    index: dict[str, set[str]] = {"EMAIL_ADDRESS": set(), "IP_ADDRESS": set(), "IBAN_CODE": set(), "digits": set()}
    for text in texts:
        if "@" in text:
            for token in _EMAIL_TOKEN.findall(text):
                lowered = token.lower()
                index["EMAIL_ADDRESS"].update((lowered, lowered.lstrip(_EMAIL_LEAD)))
        if "." in text or ":" in text:
            index["IP_ADDRESS"].update(t.lower() for t in _IPV4_TOKEN.findall(text))
            index["IP_ADDRESS"].update(t.lower() for t in _IPV6_TOKEN.findall(text) if t.count(":") >= 2)
        if iban_set:
            for token in _IBAN_TOKEN.findall(text):
                canonical = "".join(c for c in token if c.isalnum()).upper()
                index["IBAN_CODE"].update(canonical[:n] for n in iban_set if len(canonical) >= n)
        if digit_set:
            index["digits"].update(_digit_windows(text, digit_set))
    return index


def _replayed(entity: str, canonical: str, index: dict[str, set[str]]) -> bool:
    if entity in DIGIT_ENTITIES:
        return canonical in index["digits"]
    return canonical in index.get(entity, ())


@dataclass
class Findings:
    """PII found on one candidate side: rows per entity, canonical values per entity, rows per value."""

    rows: int
    analysed_values: int = 0
    rows_by_entity: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    values_by_entity: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    rows_by_value: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def pii_rows(self) -> set[int]:
        """Rows holding any PII finding."""
        out: set[int] = set()
        for rows in self.rows_by_entity.values():
            out |= rows
        return out

    def replayed(self, index: dict[str, set[str]]) -> dict[str, set[str]]:
        """Canonical values per entity that also occur in the real data."""
        return {
            entity: {v for v in values if _replayed(entity, v, index)}
            for entity, values in self.values_by_entity.items()
            if entity in REPLAY_ENTITIES
        }


def scan_columns(frame: pd.DataFrame, columns: Sequence[str], coverage: ScanCoverage, min_score: float) -> Findings:
    """Analyse the distinct values of ``columns`` for the entity types ``coverage`` can scan.

    The detector is built only when a value needs it.
    """
    findings = Findings(rows=len(frame))
    scanned = set(coverage.scanned)
    pattern = [e for e in PATTERN_ENTITIES if e in scanned]
    without_phone = [e for e in pattern if e != "PHONE_NUMBER"]
    ner = [e for e in NER_ENTITIES if e in scanned]
    for column in columns:
        values = frame[column].dropna().astype(str)
        distinct = pd.Series(values.unique())
        digits, other = prefilter(distinct)
        rows_of: dict[Any, pd.Index] | None = None
        for text, has_digits, has_other in zip(distinct.tolist(), digits, other, strict=True):
            entities = (pattern if has_digits else without_phone if has_other else []) + ner
            if not entities:
                continue
            findings.analysed_values += 1
            found = pii_detector(coverage.spacy_model).detect(text, entities, min_score)
            if not found:
                continue
            if rows_of is None:
                rows_of = values.groupby(values, sort=False).groups
            rows = rows_of[text].tolist()
            for entity, matched in found:
                canonical = canonical_value(entity, matched)
                if not canonical:
                    continue
                findings.rows_by_entity[entity].update(rows)
                findings.values_by_entity[entity].add(canonical)
                findings.rows_by_value[(entity, canonical)].update(rows)
    return findings


def share_metric(
    name: str, syn_count: int, syn_n: int, ref_count: int, ref_n: int, margin: Margin, description: str
) -> Metric:
    """A gated share of rows (lower is better) against the reference share at matched size.

    The range is open above so that the engine's clipping at 1 cannot turn a PII column (every row carries
    PII, in the real data too) into a failure.
    """
    return gated_metric(
        name,
        value=syn_count / max(syn_n, 1),
        reference=ref_count / max(ref_n, 1),
        standard_error=pooled_difference_se_counts(syn_count, syn_n, ref_count, ref_n),
        margin=margin,
        direction="lower_is_better",
        value_range=(0.0, None),
        description=description,
    )


def badness(metric: Metric) -> tuple[bool, bool, float]:
    """Order of gated share metrics, worst last: failed, then warned, then furthest past its threshold."""
    return (metric.passed is False, metric.warned, metric.value - (metric.threshold or 0.0))


def coverage_sentence(coverage: ScanCoverage) -> str:
    """The summary's account of the entity types scanned and, grouped by reason, those not scanned."""
    sentence = f"Scanned for {', '.join(coverage.scanned)}."
    by_reason: dict[str, list[str]] = defaultdict(list)
    for entity, reason in coverage.not_scanned.items():
        by_reason[reason].append(entity)
    for reason, entities in by_reason.items():
        sentence += f" NOT scanned, so not covered by this verdict: {', '.join(entities)} ({reason})."
    return sentence


def replay_index(base: pd.DataFrame, columns: Sequence[str], sides: Iterable[Findings]) -> dict[str, set[str]]:
    """The real base rows' PII-shaped tokens of the lengths the sides' replayable findings have (empty: none)."""
    sides = list(sides)
    wanted = [v for f in sides for e, vs in f.values_by_entity.items() if e in REPLAY_ENTITIES for v in vs]
    digit_lengths = {len(v) for f in sides for e in DIGIT_ENTITIES for v in f.values_by_entity.get(e, ())}
    iban_lengths = {len(v) for f in sides for v in f.values_by_entity.get("IBAN_CODE", ())}
    index: dict[str, set[str]] = {"EMAIL_ADDRESS": set(), "IP_ADDRESS": set(), "IBAN_CODE": set(), "digits": set()}
    if wanted:
        real_texts = pd.Series(
            pd.unique(np.concatenate([base[c].dropna().astype(str).to_numpy(dtype=object) for c in columns]))
        )
        digits, other = prefilter(real_texts)
        index = real_value_index(real_texts[digits | other].tolist(), digit_lengths, iban_lengths)
    return index


def entity_rows(
    per_entity: dict[str, Metric],
    sides: tuple[Findings, Findings],
    replayed: tuple[dict[str, set[str]], dict[str, set[str]]],
) -> list[dict[str, Any]]:
    """One row per scanned entity type: rows and shares on both sides, replayed values; worst first."""
    syn, ref = sides
    syn_replayed, ref_replayed = replayed
    rows = [
        {
            "entity_type": entity,
            "synthetic_rows": len(syn.rows_by_entity.get(entity, ())),
            "reference_rows": len(ref.rows_by_entity.get(entity, ())),
            "synthetic_share": metric.value,
            "reference_share": metric.reference_value,
            "fail_threshold": metric.threshold,
            "within_threshold": metric.passed,
            "replayed_values": len(syn_replayed.get(entity, ())) if entity in REPLAY_ENTITIES else None,
            "reference_replayed_values": len(ref_replayed.get(entity, ())) if entity in REPLAY_ENTITIES else None,
        }
        for entity, metric in per_entity.items()
    ]
    rows.sort(
        key=lambda r: (
            -((r["replayed_values"] or 0) - (r["reference_replayed_values"] or 0)),
            -(r["synthetic_share"] - r["fail_threshold"]),
            ENTITIES.index(r["entity_type"]),
        )
    )
    return rows


def coverage_table_rows(coverage: ScanCoverage) -> list[dict[str, Any]]:
    """One row per known entity type: whether it was scanned, and why not."""
    return [
        {
            "entity_type": entity,
            "scanned": entity not in coverage.not_scanned,
            "reason_not_scanned": coverage.not_scanned.get(entity, ""),
        }
        for entity in ENTITIES
    ]
