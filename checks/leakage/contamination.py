"""Contamination of the evaluation data: synthetic rows that carry items of a benchmark or test set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.artefacts.ngrams import ItemPatterns, contains_words, item_patterns, scan_texts
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_table,
    worst_of_many_margin,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Metric
from synthaudit.stats.proportions import pooled_difference_se

__all__ = ["EvalContaminationCheck"]

EVIDENCE_CAP = 20
"""Row numbers kept as evidence per eval set (synthetic rows, and the eval rows they match)."""


# ----------------------------------------------------------------------------- per eval set
@dataclass(frozen=True)
class _Side:
    """Contaminated rows of one side (positions into its frame), their first eval item, verbatim flags."""

    rows: np.ndarray
    items: np.ndarray
    verbatim: int


def _scan_frame_text(frame: pd.DataFrame, columns: Sequence[str], specs: Sequence[ItemPatterns]) -> list[_Side]:
    """Per eval set: rows of ``frame`` with any text column holding one of the set's patterns."""
    matches: list[dict[int, tuple[int, bool]]] = [{} for _ in specs]
    for column in columns:
        values = frame[column]
        present = np.flatnonzero(values.notna().to_numpy())
        texts = values.iloc[present].astype(str).tolist()
        scanned = scan_texts(texts, [spec.patterns for spec in specs])
        for spec, found, (positions, items, words) in zip(specs, matches, scanned, strict=True):
            for position, item, text_words in zip(positions.tolist(), items.tolist(), words, strict=True):
                row = int(present[position])
                verbatim = contains_words(text_words, spec.item_words[item])
                if row not in found or (verbatim and not found[row][1]):
                    found[row] = (item, verbatim)
    sides = []
    for found in matches:
        rows = np.array(sorted(found), dtype=np.int64)
        items = np.array([found[r][0] for r in rows.tolist()], dtype=np.int64)
        sides.append(_Side(rows, items, sum(found[r][1] for r in rows.tolist())))
    return sides


def _scan_frame_rows(
    frame: pd.DataFrame, columns: tuple[str, ...], roles: dict[str, Role], prints: np.ndarray
) -> _Side:
    """Rows of ``frame`` equal to an eval row on ``columns`` (``prints``: sorted unique eval fingerprints)."""
    own = row_fingerprints(frame, columns, roles)
    slot = np.minimum(np.searchsorted(prints, own), max(len(prints) - 1, 0))
    found = prints[slot] == own if len(prints) else np.zeros(len(own), dtype=bool)
    rows = np.flatnonzero(found)
    return _Side(rows, slot[rows], len(rows))


_Measured = tuple[_Side, _Side, dict[str, str], dict[str, Any]]
"""Contaminated synthetic rows, contaminated reference rows, the columns used and how, and the rule."""


class EvalContaminationCheck(Check):
    """Share of synthetic rows that carry an item of an evaluation set, against real training rows' share.

    Evaluation sets are the benchmark or test sets the downstream model will be scored on (``--eval-set``,
    repeatable); the holdout counts as one, named ``holdout`` (``include_holdout``). A model trained on
    data that contains its test items scores too well, whatever produced the copies.

    **Text** (the data has text columns): texts are normalised (lower case; words are runs of letters and
    digits, so whitespace and punctuation do not matter). A synthetic row is contaminated by an eval set
    when one of its text columns shares a run of ``ngram`` consecutive words (13 by default, the usual
    decontamination rule) with an eval item of the set's text columns, or contains verbatim an eval item
    of ``min_item_words`` to ``ngram − 1`` words; shorter items are too short to tell a copy from a common
    phrase and are counted, not matched. A run (or short item) that ``boilerplate_rows`` (3) or more eval rows
    hold, and as many real texts (of the reference sample) too, is the set's boilerplate — a chat file's system
    prompt, an instruction template — not an item (a passage several eval questions share but the real data
    does not is an item): kept,
    it would mark every real and synthetic row using the same template and hide the items themselves (a
    constant system prompt made 52 % of real chat rows "contaminated"); it is left out and counted. N-grams
    are 64-bit hashes looked up in the hashed n-grams of the eval items (no loop over pairs). **Tabular** (no
    text column): a synthetic row is contaminated when it equals an eval row on every column the eval set
    shares with the data, identifiers and empty columns left out (normalised row fingerprints, as
    ``leakage.exact_copies``).

    Metric, per eval set: the share of synthetic rows contaminated. Range [0, 1], lower is better; 0 for
    an independent clean sample of data without repeats, 1 when every synthetic row carries an eval item.
    Its reference is the share of *real training rows* contaminated by the same set (a seeded sample at
    the synthetic size, or all real rows when fewer): the generator imitates them, so contamination that
    real data already has (repeated articles, boilerplate, an eval set drawn from the same pool) is the
    natural level, and only an excess is the generator's. The holdout is never compared with itself. The
    gate is the worst eval set, its excess over its reference against a margin from the two-proportion
    standard error (Šidák-widened over the eval sets).

    There is no outright fail on a single verbatim item when the reference shows none: independent real
    text repeats itself now and then (the same story twice in a news corpus, a quotation, a template),
    and a clean sample then holds one or two eval items while an equal real sample holds none, so an
    outright rule would fail clean data far more often than 1 % of seeds. What a user sees instead: every
    contaminated synthetic row counts in the summary and the table (with how many hold a whole eval item
    verbatim), the evidence names the rows, and contaminated rows over a zero reference warn and then
    fail as their count grows past sampling error (k rows against none sit √k standard errors out: with
    the holdout and one eval set, about 11 rows warn and 27 fail at the default margin). Information: the
    share of the eval set's items found in the synthetic rows (what inflates a benchmark score), against
    the real rows' share.

    Evidence: per eval set, the row numbers of contaminated synthetic rows and the eval rows they match
    (capped) — never the texts or values. Skips when there is no eval set (no ``--eval-set`` and no
    holdout) or no eval set could be compared (no shared text column on text data, no comparable column,
    every item too short).

    Cost: text: one pass of ``ngram`` vectorised steps over the words of the synthetic, reference and eval texts,
    O(words); tabular: one fingerprint per row over the shared columns, O((m + h + eval rows) × c). Linear in columns.
    """

    name: ClassVar[str] = "leakage.contamination"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = (
        "Synthetic rows that contain items of an evaluation set, beyond what real training data shows."
    )
    meaning: ClassVar[str] = (
        "The share of synthetic rows that carry an item of a benchmark or test set (verbatim, or sharing a long "
        "run of words; for tables, an exact copy of a row), compared with the share of real training rows that "
        "do. Lower is better; a clear excess means a model trained on the synthetic data would be tested on "
        "items it has seen."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("contaminated_share",)

    class Params(CheckParams):
        """Settings of ``leakage.contamination``."""

        ngram: int = Field(13, ge=1, description="Words in the shared run that marks a text as contaminated.")
        min_item_words: int = Field(
            8,
            ge=1,
            description="Shortest eval item (in words) matched verbatim; shorter ones are not matched (GPT-3's floor).",
        )
        boilerplate_rows: int = Field(
            3,
            ge=2,
            description="A word run (or short item) held by this many eval rows and this many real texts is the set's "
            "boilerplate (a system "
            "prompt, an instruction template), not an item: left out of the matching.",
        )
        include_holdout: bool = Field(True, description="Count the holdout as an evaluation set named 'holdout'.")
        margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.0, fail_floor=0.0),
            description="Margin over the real rows' contaminated share (share of rows), per eval set.",
        )

    @classmethod
    def not_applicable(cls, ctx: AuditContext) -> str | None:
        """No evaluation set at all (no ``--eval-set`` and no holdout)."""
        if not ctx.eval_sets():
            return "no evaluation set: give --eval-set FILE (a holdout counts as one)"
        return None

    def run(self, ctx: AuditContext) -> CheckResult:
        """Scan synthetic rows and an equal sample of real rows for the items of each eval set."""
        p = self.params
        sets = ctx.eval_sets(include_holdout=p.include_holdout)
        if not sets:
            return self.skip("no evaluation set: give --eval-set FILE (a holdout counts as one)")
        synth = ctx.synth
        reference = ctx.sample_rows(ctx.real, len(synth), f"{self.name}.reference")
        records: list[dict[str, Any]] = []
        unmeasured: list[str] = []
        evidence: dict[str, list[int]] = {}
        columns_used: dict[str, str] = {}
        if ctx.data.text:
            all_measured = self._measure_text(ctx, sets, synth, reference)
        else:
            all_measured = {name: self._measure_rows(ctx, frame, synth, reference) for name, frame in sets.items()}
        for set_name, frame in sorted(sets.items()):
            measured = all_measured[set_name]
            if isinstance(measured, str):
                unmeasured.append(f"{set_name!r}: {measured}")
                continue
            syn_side, ref_side, how, extra = measured
            columns_used.update(how)
            leaked = np.unique(syn_side.items)
            records.append(
                {
                    "eval_set": set_name,
                    "eval_rows": len(frame),
                    "rule": extra["rule"],
                    "contaminated_synthetic_rows": len(syn_side.rows),
                    "contaminated_share": len(syn_side.rows) / max(len(synth), 1),
                    "verbatim_synthetic_rows": syn_side.verbatim,
                    "contaminated_reference_rows": len(ref_side.rows),
                    "reference_share": len(ref_side.rows) / max(len(reference), 1),
                    "eval_items_leaked": len(leaked),
                    "eval_items_leaked_share": len(leaked) / max(len(frame), 1),
                    "eval_items_in_reference_share": len(np.unique(ref_side.items)) / max(len(frame), 1),
                    "eval_items_too_short": extra["too_short"],
                    "eval_items_boilerplate": extra["boilerplate"],
                }
            )
            if len(syn_side.rows):
                shown = syn_side.rows[:EVIDENCE_CAP]
                evidence[f"contaminated_synthetic_rows:{set_name}"] = synth.index[shown].tolist()
                evidence[f"matched_eval_rows:{set_name}"] = frame.index[syn_side.items[:EVIDENCE_CAP]].tolist()
        if not records:
            return self.skip("no evaluation set could be compared: " + "; ".join(unmeasured))
        return self._result(records, unmeasured, evidence, columns_used, len(synth), len(reference))

    def _measure_text(
        self, ctx: AuditContext, sets: dict[str, pd.DataFrame], synth: pd.DataFrame, reference: pd.DataFrame
    ) -> dict[str, _Measured | str]:
        """Per eval set: contaminated synthetic and reference rows by the text rule, or why not compared."""
        p = self.params
        out: dict[str, _Measured | str] = {}
        specs: dict[str, tuple[ItemPatterns, np.ndarray]] = {}
        for name, frame in sorted(sets.items()):
            shared_text = [c for c in ctx.data.text if c in frame.columns]
            if not shared_text:
                out[name] = f"shares none of the text columns {list(ctx.data.text)}"
                continue
            texts = [str(t) for c in shared_text for t in frame[c].dropna().tolist()]
            owners = np.concatenate([frame.index[frame[c].notna().to_numpy()].to_numpy() for c in shared_text])
            # eval items are texts; each maps back to its eval row position
            positions = frame.index.get_indexer(pd.Index(owners))
            real_texts = [str(t) for c in shared_text for t in reference[c].dropna().tolist()]
            spec = item_patterns(
                texts,
                p.ngram,
                p.min_item_words,
                rows=positions,
                boilerplate_rows=p.boilerplate_rows,
                real_texts=real_texts,
            )
            if not spec.patterns:
                out[name] = (
                    f"every eval text is shorter than {min(p.min_item_words, p.ngram)} words"
                    if not spec.boilerplate
                    else f"every eval text of {p.min_item_words}+ words is boilerplate repeated on "
                    f"{p.boilerplate_rows}+ eval rows and real texts (a system prompt or template, not an item)"
                )
                continue
            specs[name] = (spec, positions)
        if not specs:
            return out
        names = list(specs)
        scanned = [_scan_frame_text(side, ctx.data.text, [specs[n][0] for n in names]) for side in (synth, reference)]
        how = {
            c: f"text (shared {p.ngram}-word runs, verbatim eval items of {p.min_item_words}+ words)"
            for c in ctx.data.text
        }
        for name, syn, ref in zip(names, *scanned, strict=True):
            spec, positions = specs[name]
            out[name] = (
                _Side(syn.rows, positions[syn.items], syn.verbatim),
                _Side(ref.rows, positions[ref.items], ref.verbatim),
                how,
                {
                    "rule": f"text: {p.ngram}-gram or verbatim item",
                    "too_short": spec.too_short,
                    "boilerplate": spec.boilerplate,
                },
            )
        return out

    def _measure_rows(
        self, ctx: AuditContext, frame: pd.DataFrame, synth: pd.DataFrame, reference: pd.DataFrame
    ) -> _Measured | str:
        """Contaminated synthetic and reference rows for one eval set by the row rule, or why not compared."""
        columns = tuple(c for c in frame.columns if ctx.roles[c] not in (Role.IDENTIFIER, Role.EMPTY, Role.TEXT))
        if not columns:
            return "shares no comparable (non-identifier, non-empty) column with the data"
        # sorted distinct eval fingerprints, and the position of the first eval row of each (to name it)
        prints, first = np.unique(row_fingerprints(frame, columns, ctx.roles), return_index=True)
        syn = _scan_frame_rows(synth, columns, ctx.roles, prints)
        ref = _scan_frame_rows(reference, columns, ctx.roles, prints)
        syn = _Side(syn.rows, first[syn.items], syn.verbatim)
        ref = _Side(ref.rows, first[ref.items], ref.verbatim)
        how = {c: f"{ctx.roles[c].value} (row equal to an eval row)" for c in columns}
        return syn, ref, how, {"rule": "row: exact copy of an eval row", "too_short": 0, "boilerplate": 0}

    def _result(
        self,
        records: list[dict[str, Any]],
        unmeasured: list[str],
        evidence: dict[str, list[int]],
        columns: dict[str, str],
        n_synth: int,
        n_reference: int,
    ) -> CheckResult:
        p = self.params
        margin = worst_of_many_margin(p.margin, len(records))
        gated = {
            r["eval_set"]: gated_metric(
                "contaminated_share",
                value=r["contaminated_share"],
                reference=r["reference_share"],
                standard_error=pooled_difference_se(
                    r["contaminated_share"], n_synth, r["reference_share"], n_reference
                ),
                margin=margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of synthetic rows carrying an item of the eval set {r['eval_set']!r}",
            )
            for r in records
        }
        for r in records:
            metric = gated[r["eval_set"]]
            r["threshold"] = metric.threshold
            r["status"] = "fail" if metric.passed is False else ("warn" if metric.warned else "pass")
        worst = max(records, key=lambda r: r["contaminated_share"] - gated[r["eval_set"]].threshold)
        metrics: list[Metric] = [
            gated[worst["eval_set"]],
            info_metric(
                "eval_items_leaked_share",
                worst["eval_items_leaked_share"],
                reference=worst["eval_items_in_reference_share"],
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of the items of {worst['eval_set']!r} found in the synthetic rows (information)",
            ),
        ]
        parts = [
            f"{r['eval_set']!r}: {r['contaminated_synthetic_rows']} synthetic rows ({r['contaminated_share']:.2%}"
            + (f", {r['verbatim_synthetic_rows']} with a whole item" if r["rule"].startswith("text") else "")
            + f") vs {r['reference_share']:.2%} of real rows"
            for r in records
        ]
        summary = "Evaluation items in the synthetic data — " + "; ".join(parts)
        if unmeasured:
            summary += "; not compared: " + "; ".join(unmeasured)
        return self.result(
            metrics=metrics,
            summary=summary + ".",
            tables=[make_table("eval_sets", "Contamination per evaluation set", records)],
            sample_sizes={
                "synthetic_rows": n_synth,
                "reference_rows": n_reference,
                **{f"eval_rows:{r['eval_set']}": r["eval_rows"] for r in records},
            },
            evidence=evidence,
            reference="real training rows (seeded sample at the synthetic size) scanned for the same eval items",
            columns=columns,
        )
