"""The offline presidio analyzer of ``leakage.pii``, built once per process, and the entity types it knows.

A helper module, not a check. The NLP engine is a blank spaCy pipeline unless an English model is
installed (names then need it); the e-mail recognizer validates domains against tldextract's bundled
public-suffix snapshot, never the network.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PATTERN_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN")
"""Entities found by presidio's pattern recognizers (no language model needed)."""


NER_ENTITIES = ("PERSON", "LOCATION")
"""Entities that need a statistical spaCy model (named-entity recognition)."""


ENTITIES = PATTERN_ENTITIES + NER_ENTITIES
"""Every entity type the check knows; each run records which of them it scanned."""


MIN_DIGITS = 7
"""Phone, card and SSN findings with fewer digits are ignored (short digit runs are scores, codes, years)."""


DIGIT_ENTITIES = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN"})


def names_a_host(address: str) -> bool:
    """Whether an IP address found in text could name a machine, hence a person's device.

    Loopback, unspecified, multicast, link-local and reserved addresses name no host: ``127.0.0.1`` and
    ``0.0.0.0`` are constants of code and configuration, and every IPv6 address in the reserved ``::/8`` —
    ``::2``, ``1::2``, ``a::b`` — is also Python's slice ``[1::2]`` or a C++/Rust path ``a::b``, which
    presidio's IPv6 pattern matches. Private addresses are kept (they name a machine on someone's network).
    A value the standard library cannot parse is kept (presidio validated it).
    """
    try:
        ip = ipaddress.ip_address(address.split("/")[0].split("%")[0])
    except ValueError:
        return True
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_link_local or ip.is_reserved)


@dataclass(frozen=True)
class PiiDetector:
    """A presidio ``AnalyzerEngine`` restricted to offline recognizers, and what it can find."""

    engine: Any
    entities: tuple[str, ...]
    spacy_model: str | None

    def detect(self, text: str, entities: Sequence[str], min_score: float) -> list[tuple[str, str]]:
        """``(entity type, matched text)`` for every finding in ``text`` scoring at least ``min_score``.

        Overlapping findings keep the most confident one (a card number is not also a phone number),
        numbers with fewer than :data:`MIN_DIGITS` digits are dropped (short digit runs are not personal data),
        and so are IP addresses that name no host (:func:`names_a_host`: ``127.0.0.1``, a slice ``[1::2]``).
        """
        found = self.engine.analyze(text=text, language="en", entities=list(entities), score_threshold=min_score)
        kept: list[Any] = []
        for r in sorted(found, key=lambda r: (-r.score, r.start - r.end, r.start, r.entity_type)):
            if any(r.start < k.end and k.start < r.end for k in kept):
                continue
            matched = text[r.start : r.end]
            if r.entity_type in DIGIT_ENTITIES and sum(c.isdigit() for c in matched) < MIN_DIGITS:
                continue
            if r.entity_type == "IP_ADDRESS" and not names_a_host(matched):
                continue
            kept.append(r)
        return sorted({(r.entity_type, text[r.start : r.end]) for r in kept})


_DETECTORS: dict[str | None, PiiDetector] = {}


_DETECTOR_LOCK = threading.Lock()


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
