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
from typing import ClassVar

from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, info_metric, make_table
from synthaudit.checks.leakage.pii_detector import (
    ENTITIES,
    NER_ENTITIES,
    PATTERN_ENTITIES,
    PiiDetector,
    ScanCoverage,
    pii_detector,
)
from synthaudit.checks.leakage.pii_scan import (
    Findings,
    badness,
    canonical_value,
    coverage_sentence,
    coverage_table_rows,
    entity_rows,
    prefilter,
    real_value_index,
    replay_index,
    scan_columns,
    share_metric,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Metric

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

SPACY_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf")
"""English spaCy models used for names when one is installed, in this order of preference."""
EVIDENCE_CAP = 20


# ----------------------------------------------------------------- the analyzer (offline, cached)


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


# ----------------------------------------------------------------- the check
class PiiCheck(Check):
    """Personal data in the synthetic data, and personal data replayed verbatim from the real data.

    Scanned columns: text columns, identifier columns (except integer record numbers), and categorical
    columns with more than ``min_unique_share`` distinct values among the real rows (free-text-like
    strings). Each distinct value
    passing a cheap pre-filter (a long digit run, ``@``, an IP-, IBAN- or IPv6-like shape) goes through
    presidio's pattern recognizers: e-mail addresses, phone numbers, Luhn-valid credit-card numbers, IBANs,
    IP addresses that can name a host (not loopback, unspecified, multicast, link-local or reserved: code's
    ``127.0.0.1`` and slices such as ``[1::2]``, which match IPv6, are not personal data) and US social
    security numbers (findings scoring at least ``min_score``). Person and
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
    type and for replayed values, never the values themselves. Skips when no column qualifies.

    Cost: one regex pass per distinct value of the scanned columns and the analyzer (about 1 ms per value) on
    pre-filtered values only; candidate rows are a seeded sample of ``max_rows`` per side and the real rows of
    ``max_base_rows`` unless ``--full``: O(distinct values) per scanned column, linear in columns.
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
        sides: dict[str, Findings] = {}
        for side, pair in (("synthetic", ctx.synthetic_pair), ("reference", ctx.reference_pair)):
            frame = pair.candidate if ctx.full else ctx.sample_rows(pair.candidate, p.max_rows, f"{self.name}.{side}")
            sides[side] = scan_columns(frame, columns, coverage, p.min_score)
        syn, ref = sides["synthetic"], sides["reference"]
        base = ctx.synthetic_pair.base
        if not ctx.full:
            base = ctx.sample_rows(base, p.max_base_rows, f"{self.name}.base")
        index = replay_index(base, columns, sides.values())
        syn_replayed, ref_replayed = syn.replayed(index), ref.replayed(index)
        n_syn_replayed = sum(len(v) for v in syn_replayed.values())
        n_ref_replayed = sum(len(v) for v in ref_replayed.values())

        # Rates: all entity types together, and each scanned type against its own reference share.
        rate = share_metric(
            "pii_row_share",
            len(syn.pii_rows),
            syn.rows,
            len(ref.pii_rows),
            ref.rows,
            p.rate_margin,
            "share of rows carrying personal data (any entity type scanned)",
        )
        per_entity = {
            entity: share_metric(
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
        worst_entity = max(per_entity, key=lambda e: badness(per_entity[e]))  # first of equals: ENTITIES order
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

        rows = entity_rows(per_entity, (syn, ref), (syn_replayed, ref_replayed))
        coverage_rows = coverage_table_rows(coverage)

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
            + coverage_sentence(coverage)
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
