"""``leakage.pii``: personal data in the synthetic data, and personal data replayed from the real data.

Detection uses presidio-analyzer's predefined pattern recognizers (e-mail addresses, phone numbers,
Luhn-valid credit-card numbers, IBANs, IP addresses, US social security numbers) behind a cheap regular
expression pre-filter, on distinct values only. The analyzer runs fully offline: its NLP engine is a blank
spaCy pipeline (a bare ``AnalyzerEngine()`` would try to download a spaCy model), and the e-mail recognizer
checks domains against tldextract's bundled public-suffix snapshot, never the network. Person and location
names need a statistical spaCy model: they are scanned only when an English model is installed, and the
result lists every entity type it could not scan, with the reason and how to install what is missing
(:func:`recognizer_coverage`).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, info_metric, make_table
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Metric
from synthaudit.stats.proportions import pooled_difference_se_counts

__all__ = [
    "ENTITIES",
    "NER_ENTITIES",
    "PATTERN_ENTITIES",
    "PiiCheck",
    "PiiDetector",
    "ScanCoverage",
    "canonical_value",
    "installed_spacy_model",
    "pii_detector",
    "prefilter",
    "real_value_index",
    "recognizer_coverage",
]

PATTERN_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN")
"""Entities found by presidio's pattern recognizers (no language model needed)."""
NER_ENTITIES = ("PERSON", "LOCATION")
"""Entities that need a statistical spaCy model (named-entity recognition)."""
ENTITIES = PATTERN_ENTITIES + NER_ENTITIES
"""Every entity type the check knows; each run records which of them it scanned."""
SPACY_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf")
"""English spaCy models used for names when one is installed, in this order of preference."""
EVIDENCE_CAP = 20
MIN_DIGITS = 7
"""Phone, card and SSN findings with fewer digits are ignored (short digit runs are scores, codes, years)."""
_DIGIT_ENTITIES = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN"})
_REPLAY_ENTITIES = frozenset({"EMAIL_ADDRESS", "IP_ADDRESS", "IBAN_CODE"}) | _DIGIT_ENTITIES

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


# ----------------------------------------------------------------- the analyzer (offline, cached)
@dataclass(frozen=True)
class PiiDetector:
    """A presidio ``AnalyzerEngine`` restricted to offline recognizers, and what it can find."""

    engine: Any
    entities: tuple[str, ...]
    spacy_model: str | None

    def detect(self, text: str, entities: Sequence[str], min_score: float) -> list[tuple[str, str]]:
        """``(entity type, matched text)`` for every finding in ``text`` scoring at least ``min_score``.

        Overlapping findings keep the most confident one (a card number is not also a phone number), and
        numbers with fewer than :data:`MIN_DIGITS` digits are dropped (short digit runs are not personal data).
        """
        found = self.engine.analyze(text=text, language="en", entities=list(entities), score_threshold=min_score)
        kept: list[Any] = []
        for r in sorted(found, key=lambda r: (-r.score, r.start - r.end, r.start, r.entity_type)):
            if any(r.start < k.end and k.start < r.end for k in kept):
                continue
            matched = text[r.start : r.end]
            if r.entity_type in _DIGIT_ENTITIES and sum(c.isdigit() for c in matched) < MIN_DIGITS:
                continue
            kept.append(r)
        return sorted({(r.entity_type, text[r.start : r.end]) for r in kept})


_DETECTORS: dict[str | None, PiiDetector] = {}
_DETECTOR_LOCK = threading.Lock()


def installed_spacy_model(preferred: str | None = None) -> str | None:
    """The installed English spaCy model to use for names (``preferred`` if installed), or ``None``."""
    import importlib.util

    candidates = (preferred,) if preferred else SPACY_MODELS
    for name in candidates:
        if name and importlib.util.find_spec(name) is not None:
            return name
    return None


_ANALYZER_MODULES = {"presidio_analyzer": "presidio-analyzer", "spacy": "spacy", "tldextract": "tldextract"}
"""Modules every recognizer needs, and the distribution that installs each."""


@dataclass(frozen=True)
class ScanCoverage:
    """Which entity types a scan can cover here: the spaCy model used for names, and why the others cannot."""

    spacy_model: str | None
    not_scanned: dict[str, str]
    """Entity type → why it cannot be scanned, and how to install what it needs."""

    @property
    def scanned(self) -> tuple[str, ...]:
        """The entity types the scan covers, in :data:`ENTITIES` order."""
        return tuple(e for e in ENTITIES if e not in self.not_scanned)


def recognizer_coverage(preferred_model: str | None = None) -> ScanCoverage:
    """Which entity types can be scanned with what is installed (nothing is imported or built).

    Every recognizer needs presidio-analyzer, spaCy and tldextract; person and location names also need an
    English spaCy model (``preferred_model`` when named, else the first of :data:`SPACY_MODELS` installed).
    """
    missing = [dist for module, dist in _ANALYZER_MODULES.items() if importlib.util.find_spec(module) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed; install with: pip install {' '.join(missing)}"
        return ScanCoverage(None, dict.fromkeys(ENTITIES, reason))
    model = installed_spacy_model(preferred_model)
    if model is not None:
        return ScanCoverage(model, {})
    if preferred_model:
        reason = (
            f"the spaCy model {preferred_model} named in the policy is not installed; "
            f"install it with: python -m spacy download {preferred_model}"
        )
    else:
        reason = "no English spaCy model is installed; install one with: python -m spacy download en_core_web_sm"
    return ScanCoverage(None, dict.fromkeys(NER_ENTITIES, reason))


def _build_detector(spacy_model: str | None) -> PiiDetector:
    # tldextract reads its suffix-list URLs from the environment when imported: keep it from fetching.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UsSsnRecognizer,
    )

    suffixes = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        """Presidio's e-mail recognizer, validating domains against the bundled public-suffix snapshot."""

        def validate_result(self, pattern_text: str) -> bool:
            return bool(suffixes(pattern_text).fqdn)

    nlp = spacy.load(spacy_model) if spacy_model else spacy.blank("en")

    class LoadedSpacyEngine(SpacyNlpEngine):  # type: ignore[misc]
        """A spaCy NLP engine around an already loaded pipeline (never downloads a model)."""

        def load(self) -> None:
            self.nlp = {"en": nlp}

    engine = LoadedSpacyEngine(models=[{"lang_code": "en", "model_name": spacy_model or "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        OfflineEmailRecognizer(),
        PhoneRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        UsSsnRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    entities: tuple[str, ...] = PATTERN_ENTITIES
    if spacy_model:
        registry.add_recognizer(SpacyRecognizer(supported_language="en", supported_entities=list(NER_ENTITIES)))
        entities = PATTERN_ENTITIES + NER_ENTITIES
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
    return PiiDetector(analyzer, entities, spacy_model)


def pii_detector(spacy_model: str | None = None) -> PiiDetector:
    """The offline detector, built once per process (building it takes seconds) and shared."""
    with _DETECTOR_LOCK:
        if spacy_model not in _DETECTORS:
            _DETECTORS[spacy_model] = _build_detector(spacy_model)
        return _DETECTORS[spacy_model]


# ----------------------------------------------------------------- values
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
    if entity in _DIGIT_ENTITIES:
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
    if entity in _DIGIT_ENTITIES:
        return canonical in index["digits"]
    return canonical in index.get(entity, ())


# ----------------------------------------------------------------- one side's findings
@dataclass
class _Findings:
    """PII found on one candidate side: rows per entity, canonical values per entity, rows per value."""

    rows: int
    analysed_values: int = 0
    rows_by_entity: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    values_by_entity: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    rows_by_value: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def pii_rows(self) -> set[int]:
        out: set[int] = set()
        for rows in self.rows_by_entity.values():
            out |= rows
        return out

    def replayed(self, index: dict[str, set[str]]) -> dict[str, set[str]]:
        """Canonical values per entity that also occur in the real data."""
        return {
            entity: {v for v in values if _replayed(entity, v, index)}
            for entity, values in self.values_by_entity.items()
            if entity in _REPLAY_ENTITIES
        }


def _scan(frame: pd.DataFrame, columns: Sequence[str], coverage: ScanCoverage, min_score: float) -> _Findings:
    """Analyse the distinct values of ``columns`` for the entity types ``coverage`` can scan.

    The detector is built only when a value needs it.
    """
    findings = _Findings(rows=len(frame))
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




def _share_metric(
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


def _badness(metric: Metric) -> tuple[bool, bool, float]:
    """Order of gated share metrics, worst last: failed, then warned, then furthest past its threshold."""
    return (metric.passed is False, metric.warned, metric.value - (metric.threshold or 0.0))


def _coverage_sentence(coverage: ScanCoverage) -> str:
    """The summary's account of the entity types scanned and, grouped by reason, those not scanned."""
    sentence = f"Scanned for {', '.join(coverage.scanned)}."
    by_reason: dict[str, list[str]] = defaultdict(list)
    for entity, reason in coverage.not_scanned.items():
        by_reason[reason].append(entity)
    for reason, entities in by_reason.items():
        sentence += f" NOT scanned, so not covered by this verdict: {', '.join(entities)} ({reason})."
    return sentence


# ----------------------------------------------------------------- the check
class PiiCheck(Check):
    """Personal data in the synthetic data, and personal data replayed verbatim from the real data.

    Scanned columns: text columns, identifier columns (except integer record numbers), and categorical
    columns with more than ``min_unique_share`` distinct values among the real rows (free-text-like
    strings). Each distinct value
    passing a cheap pre-filter (a long digit run, ``@``, an IP-, IBAN- or IPv6-like shape) goes through
    presidio's pattern recognizers: e-mail addresses, phone numbers, Luhn-valid credit-card numbers, IBANs,
    IP addresses and US social security numbers (findings scoring at least ``min_score``). Person and
    location names are scanned only when an English spaCy model is installed.

    Coverage: the result records which entity types were scanned and which were not, with the reason and
    how to install what is missing (the ``pii_coverage`` table, the ``unscanned_entity_types`` metric and the
    summary). A type not scanned is never reported as clean: it has no row in the ``pii_entities`` table and
    no metric, and the summary says the verdict does not cover it. The check gates the types it scanned, and
    skips when it can scan none.

    Three gating metrics, each against the reference rows (holdout, or the real data's other half) at the
    same size:

    * ``replayed_pii_values``: the number of distinct PII values in the synthetic rows that also occur in
      the real (base) rows (compared up to separators and case: digits only for numbers); range [0, ∞),
      lower is better; 0 for an independent sample unless real records share values. The margin is the
      Poisson standard error sqrt(2 × reference) with a floor of 0.5, so a single replayed value fails when
      the reference replays none. Names are not counted: common names recur between unrelated people.
    * ``pii_row_share``: the share of rows carrying any PII; lower is better; about the reference share for
      an independent sample. Invented PII makes a training corpus unfit whether or not it was copied, so it
      warns ``rate_margin.warn_se`` and fails ``rate_margin.fail_se`` two-proportion standard errors (pooled)
      above the reference, with small absolute floors. Its range is open above so that the engine's clipping
      at 1 cannot turn a PII column (every row carries PII, in the real data too) into a failure.
    * ``worst_entity_row_share``: the same comparison per scanned entity type, each against its own
      reference share with its own standard error; the metric is the entity type furthest past its own
      threshold, named in its description, the summary and the table. A rate of card numbers is thus not
      diluted by the e-mail rate of a corpus that legitimately carries e-mails. With none on the reference
      side, an entity type fails once more than (fail_se)² synthetic rows carry it and the share exceeds the
      fail floor.

    The ``pii_entities`` table lists per scanned entity type the synthetic and reference rows and shares
    carrying it, its fail threshold and the replayed values; evidence gives synthetic row numbers per entity
    type and for replayed values, never the values themselves. Skips when no column qualifies. Cost: one
    regex pass per distinct value and the analyzer (about 1 ms per value) on pre-filtered values only;
    candidate rows are a seeded sample of ``max_rows`` per side and the real rows of ``max_base_rows``
    unless ``--full``.
    """

    name: ClassVar[str] = "leakage.pii"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = (
        "The synthetic data carries no more personal data than the real data, and replays none of it."
    )
    meaning: ClassVar[str] = (
        "How often synthetic rows carry personal data (e-mails, phone and card numbers, IBANs, IP addresses, "
        "SSNs, and names and places when a spaCy model is installed), overall and per kind, and how many of "
        "those values also occur in the real data, each compared with real rows the generator never saw. "
        "Lower is better. More personal data than the reference makes the data unfit for training whether "
        "or not it was copied; any replayed value the reference does not show means the generator copies "
        "personal data from its training records. Kinds the scan could not cover are listed, never passed."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("replayed_pii_values", "pii_row_share", "worst_entity_row_share")

    class Params(CheckParams):
        """Settings and thresholds of ``leakage.pii``."""

        min_score: float = Field(0.4, ge=0.0, le=1.0, description="Lowest presidio score of a finding that counts.")
        replay_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.5, fail_floor=0.5),
            description="Margin over the reference count of replayed PII values (Poisson standard error, values).",
        )
        rate_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.002, fail_floor=0.005),
            description=(
                "Margin over the reference share of rows with PII, overall and per entity type "
                "(pooled two-proportion standard error; floors are shares of rows)."
            ),
        )
        min_unique_share: float = Field(
            0.5,
            ge=0.0,
            le=1.0,
            description="Categorical columns with more distinct real values than this share are scanned.",
        )
        spacy_model: str | None = Field(
            None, description="Installed spaCy model for names (default: the first installed en_core_web_lg/md/sm/trf)."
        )
        max_rows: int = Field(
            20_000, ge=100, description="Seeded cap on synthetic and reference rows scanned (no cap with --full)."
        )
        max_base_rows: int = Field(
            1_000_000, ge=100, description="Seeded cap on real rows searched for replayed values (no cap with --full)."
        )

    @classmethod
    def not_applicable(cls, ctx: AuditContext) -> str | None:
        """No text, identifier or high-cardinality string column: nothing could carry personal data."""
        if cls()._columns(ctx):
            return None
        return "no text, identifier or high-cardinality string column to scan for personal data"

    def _columns(self, ctx: AuditContext) -> tuple[str, ...]:
        p = self.params
        chosen = []
        for column in ctx.data.columns:
            role = ctx.roles[column]
            if role is Role.TEXT:
                chosen.append(column)
            elif role is Role.IDENTIFIER:
                # Integer record numbers are not personal data (and a 16-digit one passes Luhn one time in ten);
                # their replay is leakage.exact_copies' business.
                values = ctx.real[column].dropna().astype(str)
                if not values.str.fullmatch(r"\d+").all():
                    chosen.append(column)
            elif role is Role.CATEGORICAL:
                values = ctx.real[column].dropna()
                if len(values) and values.nunique() / len(values) > p.min_unique_share:
                    chosen.append(column)
        return tuple(chosen)

    def run(self, ctx: AuditContext) -> CheckResult:
        """Scan candidate rows for PII, look the values up in the real rows, and compare with the reference."""
        p = self.params
        columns = self._columns(ctx)
        if not columns:
            return self.skip("no text, identifier or high-cardinality string column to scan for personal data")
        coverage = recognizer_coverage(p.spacy_model)
        if not coverage.scanned:
            reasons = "; ".join(dict.fromkeys(coverage.not_scanned.values()))
            return self.skip(f"no personal-data recognizer can run here: {reasons}")
        sides: dict[str, _Findings] = {}
        for side, pair in (("synthetic", ctx.synthetic_pair), ("reference", ctx.reference_pair)):
            frame = pair.candidate if ctx.full else ctx.sample_rows(pair.candidate, p.max_rows, f"{self.name}.{side}")
            sides[side] = _scan(frame, columns, coverage, p.min_score)
        syn, ref = sides["synthetic"], sides["reference"]
        base = ctx.synthetic_pair.base
        if not ctx.full:
            base = ctx.sample_rows(base, p.max_base_rows, f"{self.name}.base")
        wanted = [
            v for f in sides.values() for e, vs in f.values_by_entity.items() if e in _REPLAY_ENTITIES for v in vs
        ]
        digit_lengths = {len(v) for f in sides.values() for e in _DIGIT_ENTITIES for v in f.values_by_entity.get(e, ())}
        iban_lengths = {len(v) for f in sides.values() for v in f.values_by_entity.get("IBAN_CODE", ())}
        index: dict[str, set[str]] = {"EMAIL_ADDRESS": set(), "IP_ADDRESS": set(), "IBAN_CODE": set(), "digits": set()}
        if wanted:
            real_texts = pd.Series(
                pd.unique(np.concatenate([base[c].dropna().astype(str).to_numpy(dtype=object) for c in columns]))
            )
            digits, other = prefilter(real_texts)
            index = real_value_index(real_texts[digits | other].tolist(), digit_lengths, iban_lengths)
        syn_replayed, ref_replayed = syn.replayed(index), ref.replayed(index)
        n_syn_replayed = sum(len(v) for v in syn_replayed.values())
        n_ref_replayed = sum(len(v) for v in ref_replayed.values())

        # Rates: all entity types together, and each scanned type against its own reference share.
        rate = _share_metric(
            "pii_row_share",
            len(syn.pii_rows),
            syn.rows,
            len(ref.pii_rows),
            ref.rows,
            p.rate_margin,
            "share of rows carrying personal data (any entity type scanned)",
        )
        per_entity = {
            entity: _share_metric(
                "worst_entity_row_share",
                len(syn.rows_by_entity.get(entity, ())),
                syn.rows,
                len(ref.rows_by_entity.get(entity, ())),
                ref.rows,
                p.rate_margin,
                f"share of rows carrying {entity}, the entity type furthest above its own reference share",
            )
            for entity in coverage.scanned
        }
        worst_entity = max(per_entity, key=lambda e: _badness(per_entity[e]))  # first of equals: ENTITIES order
        worst = per_entity[worst_entity]
        metrics: list[Metric] = [
            gated_metric(
                "replayed_pii_values",
                value=n_syn_replayed,
                reference=n_ref_replayed,
                standard_error=math.sqrt(2 * n_ref_replayed),
                margin=p.replay_margin,
                direction="lower_is_better",
                value_range=(0.0, None),
                description="distinct PII values in the synthetic rows that also occur in the real rows",
            ),
            rate,
            worst,
            info_metric(
                "unscanned_entity_types",
                len(coverage.not_scanned),
                direction="lower_is_better",
                value_range=(0.0, float(len(ENTITIES))),
                description=(
                    "entity types the scan could not cover (no recognizer installed); they are not part of "
                    "the verdict: " + (", ".join(coverage.not_scanned) or "none")
                ),
            ),
        ]
        for entity, metric in per_entity.items():
            metrics.append(
                info_metric(
                    f"{entity.lower()}_row_share",
                    metric.value,
                    reference=metric.reference_value,
                    direction="lower_is_better",
                    value_range=(0.0, 1.0),
                    description=f"share of rows carrying {entity}",
                )
            )

        rows = [
            {
                "entity_type": entity,
                "synthetic_rows": len(syn.rows_by_entity.get(entity, ())),
                "reference_rows": len(ref.rows_by_entity.get(entity, ())),
                "synthetic_share": metric.value,
                "reference_share": metric.reference_value,
                "fail_threshold": metric.threshold,
                "within_threshold": metric.passed,
                "replayed_values": len(syn_replayed.get(entity, ())) if entity in _REPLAY_ENTITIES else None,
                "reference_replayed_values": len(ref_replayed.get(entity, ())) if entity in _REPLAY_ENTITIES else None,
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
        coverage_rows = [
            {
                "entity_type": entity,
                "scanned": entity not in coverage.not_scanned,
                "reason_not_scanned": coverage.not_scanned.get(entity, ""),
            }
            for entity in ENTITIES
        ]

        replay_rows = sorted(
            {row for entity, values in syn_replayed.items() for v in values for row in syn.rows_by_value[(entity, v)]}
        )
        evidence = {"replayed_pii_synthetic_rows": replay_rows[:EVIDENCE_CAP]}
        for entity in sorted(syn.rows_by_entity):
            evidence[f"{entity.lower()}_synthetic_rows"] = sorted(syn.rows_by_entity[entity])[:EVIDENCE_CAP]
        summary = (
            f"{n_syn_replayed} PII value(s) in the synthetic data also occur in the real data (reference "
            f"{n_ref_replayed}); {rate.value:.2%} of synthetic rows carry personal data (reference "
            f"{rate.reference_value or 0.0:.2%}, fail above {rate.threshold or 0.0:.2%}); the entity type furthest "
            f"above its reference is {worst_entity} at {worst.value:.2%} of rows (reference "
            f"{worst.reference_value or 0.0:.2%}, fail above {worst.threshold or 0.0:.2%}). "
            + _coverage_sentence(coverage)
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[
                make_table("pii_entities", "Personal data by scanned entity type (worst first)", rows),
                make_table("pii_coverage", "Entity types scanned, and why the others were not", coverage_rows),
            ],
            sample_sizes={
                "synthetic_rows": syn.rows,
                "reference_rows": ref.rows,
                "base_rows": len(base),
                "synthetic_values_analysed": syn.analysed_values,
                "reference_values_analysed": ref.analysed_values,
                "columns_scanned": len(columns),
                "entity_types_scanned": len(coverage.scanned),
                "entity_types_not_scanned": len(coverage.not_scanned),
            },
            evidence=evidence,
            columns={column: ctx.roles[column].value for column in columns},
        )
