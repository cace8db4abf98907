"""Fidelity: whether each synthetic response relates to its prompt as a real response does to its prompt."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.pair_text import complete_pairs, conflicting_prompts, copied_prompts, token_overlap
from synthaudit.artefacts.text_features import TextProjection
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
from synthaudit.stats.distances import column_distance
from synthaudit.stats.two_sample import classifier_two_sample_test

__all__ = ["PairRelationCheck"]

MIN_ROWS_PER_SIDE = 50
"""Fewer complete pairs than this on a side: the pair cannot be measured."""
EVIDENCE_CAP = 20
"""At most this many synthetic row numbers per kind of evidence."""
_SIDES = {"base": "base", "synthetic": "synthetic_candidate", "reference": "reference_candidate"}


@dataclass(frozen=True)
class _Side:
    """The complete pairs of one side: their row numbers, texts, embeddings and relation features."""

    index: pd.Index
    prompts: pd.Series
    responses: pd.Series
    cosine: np.ndarray
    product: np.ndarray
    copies: np.ndarray

    def features(self, projection: TextProjection) -> np.ndarray:
        """Relation features: cosine, length ratios, word overlap, projected elementwise product."""
        lengths = np.log1p(np.column_stack([self.responses.str.len(), self.prompts.str.len()]).astype(float))
        words = np.log1p(
            np.column_stack([self.responses.str.count(r"\S+"), self.prompts.str.count(r"\S+")]).astype(float)
        )
        overlap = token_overlap(self.prompts, self.responses)
        projected = projection.transform(self.product, np.ones(len(self.product), dtype=bool))
        ratios = np.column_stack([lengths[:, 0] - lengths[:, 1], words[:, 0] - words[:, 1]])
        return np.column_stack([self.cosine, ratios, overlap, projected])


class PairRelationCheck(Check):
    """How each synthetic response relates to its prompt, against real pairs, for every declared pair.

    Pairs are text columns named with ``--pair PROMPT:RESPONSE`` (a chat file implies ``user:assistant``). Only rows
    with both texts (non-blank) count; each candidate side (synthetic, reference) is cut to the same number of
    complete pairs, at most ``max_rows_per_side`` (``--full`` lifts it). Five gating metrics, each against the same
    metric on the reference pair (holdout, or the split-half of the real data):

    - ``complete_pair_share``: the share of candidate rows with both texts present (a blank one is dropped).
      Range [0, 1]; higher is better. A generator that drops responses fails here even with too few pairs left.
    - ``similarity_ks``: the Kolmogorov–Smirnov distance between the candidate's distribution of
      prompt–response cosine similarity (sentence embeddings) and the base real pairs'. Range [0, 1];
      lower is better. Responses shuffled across prompts (every text real, the link broken) move the whole
      distribution down; answers that parrot the prompt move it up. SE: √2 × the Kolmogorov null SD.
    - ``relation_detection_auc``: a classifier (the cross-validated gradient boosting of
      ``fidelity.detection``) tells base real pairs from candidate pairs on relation features only: the
      cosine, the log length ratios (characters, words), the word overlap and the leading principal
      components of the elementwise product of the two embeddings. Range [0, 1]; lower is better; 0.5 =
      cannot tell them apart. SE: √2 × the reference test's (Nadeau–Bengio corrected Hanley–McNeil).
    - ``conflicting_prompt_share``: the share of rows whose prompt occurs again with a different response.
      Range [0, 1]; lower is better. SE: the reference's binomial SE (√2, never below one row in n) times its
      mean prompt-group size (at least 2: conflicting rows come in groups).
    - ``copied_prompt_share``: the share of responses that copy their prompt (verbatim inside them, or
      nearly the same words). Range [0, 1]; lower is better. SE: the reference's binomial SE (√2, never below
      one row in n).

    With several pairs each metric gates the pair furthest past its own threshold, the margins widened
    for the number of pairs (Šidák). Skips when no pair is declared or the real data has too few complete
    pairs (fewer than 50 on the base or the reference side).

    Cost: embeddings of the pair columns (shared with every other text check), and ``2 × folds`` boosting fits per
    declared pair on at most ``2 × max_rows_per_side`` rows of ``5 + product_components`` features: linear in declared
    pairs, independent of the other columns.
    """

    name: ClassVar[str] = "fidelity.pairs"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = "Synthetic responses relate to their prompts as real responses do to theirs."
    meaning: ClassVar[str] = (
        "For each prompt–response pair of columns: how often both texts are there (higher is better), how "
        "similar each response is to its own prompt, whether a classifier can tell synthetic pairs from real "
        "pairs by how they relate, how often a prompt comes back with a different answer, and how often an "
        "answer copies its prompt (lower is better for these four) — each compared with real pairs the "
        "generator never saw."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = (
        "complete_pair_share",
        "similarity_ks",
        "relation_detection_auc",
        "conflicting_prompt_share",
        "copied_prompt_share",
    )

    class Params(CheckParams):
        """Thresholds and costs of ``fidelity.pairs``."""

        similarity_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.03, fail_floor=0.05),
            description="Margin over the reference's KS distance of prompt–response similarities (KS units).",
        )
        auc_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.03, fail_floor=0.05),
            description="Margin over the reference's relation-detection AUC (AUC units).",
        )
        share_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.02),
            description="Margin over the reference's shares of conflicting prompts and copied prompts.",
        )
        max_rows_per_side: int = Field(
            5_000, ge=MIN_ROWS_PER_SIDE, description="Seeded cap on complete pairs per side; --full lifts it."
        )
        folds: int = Field(5, ge=2, le=10, description="Stratified cross-validation folds of the detection test.")
        max_iter: int = Field(100, ge=10, le=1000, description="Boosting iterations (no early stopping).")
        learning_rate: float = Field(0.1, gt=0, le=1, description="Boosting learning rate.")
        product_components: int = Field(
            8, ge=0, le=64, description="Principal components of the embeddings' elementwise product used as features."
        )
        copy_min_tokens: int = Field(
            3, ge=1, description="Fewest words of a prompt for its verbatim presence in the response to count."
        )
        copy_overlap: float = Field(
            0.8, gt=0, le=1, description="Word-set Jaccard overlap at which a response counts as a copy of its prompt."
        )

    @classmethod
    def not_applicable(cls, ctx: AuditContext) -> str | None:
        """No prompt–response pair declared (``--pair``, or a chat file's ``user:assistant``), or none left."""
        if ctx.data.pairs:
            return None
        if ctx.data.unaudited_pairs:  # declared, but a column is gone: say so, not "no pair declared"
            missing = ", ".join(f"{p}:{r}" for p, r in ctx.data.unaudited_pairs)
            return f"the pair {missing} is not audited: a column is missing from the synthetic data or --columns"
        return "no prompt–response pair declared (name one with --pair PROMPT:RESPONSE, or give a chat file)"

    def run(self, ctx: AuditContext) -> CheckResult:
        """Measure every declared pair on the synthetic and the reference pair of frames."""
        p = self.params
        reason = self.not_applicable(ctx)
        if reason is not None:
            return self.skip(reason)
        if ctx.embeddings_unavailable is not None:
            return self.skip(f"prompt–response pairs cannot be embedded: {ctx.embeddings_unavailable}")
        measured: dict[tuple[str, str], dict[str, Metric]] = {}
        rows: list[dict[str, object]] = []
        evidence: dict[str, list[int]] = {}
        sizes: dict[str, int] = {}
        unmeasured: list[str] = []
        cosines: list[tuple[float, float]] = []
        k = len(ctx.data.pairs)
        for prompt, response in ctx.data.pairs:
            label = f"{prompt}:{response}"
            sides = self._sides(ctx, prompt, response)
            complete = self._completeness(ctx, prompt, response, label, k)
            n = min(len(s.index) for s in sides.values())
            short = min(len(sides["base"].index), len(sides["reference"].index))
            if short < MIN_ROWS_PER_SIDE:  # the real data cannot say what a pair should look like
                unmeasured.append(f"{label} ({short} complete real pairs, {MIN_ROWS_PER_SIDE} needed)")
                continue
            measured[(prompt, response)] = {"complete_pair_share": complete}
            if n < MIN_ROWS_PER_SIDE:  # the synthetic side lost its pairs: the completeness metric says so
                unmeasured.append(f"{label} relation ({n} complete synthetic pairs, {MIN_ROWS_PER_SIDE} needed)")
                continue
            pair_metrics, row, found = self._measure(ctx, label, sides, n, k)
            measured[(prompt, response)].update(pair_metrics)
            rows.append(
                {
                    **row,
                    "complete_pair_share": complete.value,
                    "reference_complete_pair_share": complete.reference_value,
                }
            )
            evidence.update({f"{label} {kind}": found[kind] for kind in found})
            cosines.append((float(np.mean(sides["synthetic"].cosine)), float(np.mean(sides["reference"].cosine))))
            sizes[f"{label} rows"] = n
        if not measured:
            return self.skip("no pair has enough complete rows: " + "; ".join(unmeasured))
        metrics = [
            self._worst(name, measured) for name in self.gating_metrics if any(name in m for m in measured.values())
        ]
        if cosines:
            metrics.append(
                info_metric(
                    "mean_similarity",
                    float(np.mean([c[0] for c in cosines])),
                    reference=float(np.mean([c[1] for c in cosines])),
                    direction="higher_is_better",
                    value_range=(-1.0, 1.0),
                    description="mean prompt–response cosine similarity (mean over pairs); base pairs in the table",
                )
            )
        failed = [m for m in metrics if m.gating and (m.passed is False or m.warned)]
        verdict = "; ".join(f"{m.name} {m.value:.3f} vs {m.reference_value:.3f}" for m in failed)
        summary = (
            f"{len(measured)} prompt–response pair(s) measured; "
            + (f"past the thresholds: {verdict}." if failed else "every relation within the thresholds.")
            + (f" Not measured: {'; '.join(unmeasured)}." if unmeasured else "")
        )
        columns = {c: "text (prompt–response pair)" for pair in measured for c in pair}
        table = make_table("pairs", "Prompt–response relation per pair (synthetic vs reference)", rows)
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[table],
            evidence=evidence,
            sample_sizes={**sizes, "folds": p.folds},
            columns=columns,
        )

    # ------------------------------------------------------------ pieces
    def _sides(self, ctx: AuditContext, prompt: str, response: str) -> dict[str, _Side]:
        p = self.params
        cap = None if ctx.full else p.max_rows_per_side
        out = {}
        for side, key in _SIDES.items():
            frame = ctx.frame(key)
            complete = complete_pairs(frame[prompt], frame[response]).to_numpy()
            positions = np.flatnonzero(complete)
            if cap is not None and len(positions) > cap:
                positions = positions[ctx.sample_positions(len(positions), cap, f"{self.name}.{side}")]
            vp = ctx.text_vectors(prompt, key)[positions].astype(np.float64)
            vr = ctx.text_vectors(response, key)[positions].astype(np.float64)
            prompts, responses = frame[prompt].iloc[positions].astype(str), frame[response].iloc[positions].astype(str)
            out[side] = _Side(
                index=frame.index[positions],
                prompts=prompts,
                responses=responses,
                cosine=np.einsum("ij,ij->i", vp, vr),
                product=vp * vr,
                copies=copied_prompts(prompts, responses, p.copy_min_tokens, p.copy_overlap),
            )
        return out

    def _measure(
        self, ctx: AuditContext, label: str, sides: dict[str, _Side], n: int, pairs: int
    ) -> tuple[dict[str, Metric], dict[str, object], dict[str, list[int]]]:
        """The four gated metrics of one pair (margins widened for ``pairs``), its table row and evidence."""
        p = self.params
        rng = ctx.rng(f"{self.name}.{label}")
        seed = int(rng.integers(2**31 - 1))
        base = sides["base"]
        syn, ref = (_subset(sides[s], _positions(rng, len(sides[s].index), n)) for s in ("synthetic", "reference"))

        ks_syn, null_syn, _ = column_distance(pd.Series(base.cosine), pd.Series(syn.cosine), Role.NUMERIC)
        ks_ref, null_ref, _ = column_distance(pd.Series(base.cosine), pd.Series(ref.cosine), Role.NUMERIC)

        pooled = np.vstack([base.product, syn.product, ref.product])
        projection = TextProjection.fit(pooled, p.product_components, rng)
        x_base = base.features(projection)[_positions(rng, len(base.index), n)]
        plain = np.zeros(x_base.shape[1], dtype=bool)
        det_syn = classifier_two_sample_test(x_base, syn.features(projection), plain, p, seed)
        det_ref = classifier_two_sample_test(x_base, ref.features(projection), plain, p, seed)

        syn_conflicts, _ = conflicting_prompts(syn.prompts, syn.responses)
        ref_conflicts, ref_group = conflicting_prompts(ref.prompts, ref.responses)
        conflict = (float(syn_conflicts.mean()), float(ref_conflicts.mean()))
        copy = (float(syn.copies.mean()), float(ref.copies.mean()))
        share_margin = worst_of_many_margin(p.share_margin, pairs)
        metrics = {
            "similarity_ks": gated_metric(
                "similarity_ks",
                value=ks_syn,
                reference=ks_ref,
                standard_error=math.sqrt(2.0) * max(null_syn, null_ref),
                margin=worst_of_many_margin(p.similarity_margin, pairs),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"KS distance of prompt–response cosine similarities from the base real pairs' ({label})",
            ),
            "relation_detection_auc": gated_metric(
                "relation_detection_auc",
                value=det_syn.auc,
                reference=det_ref.auc,
                standard_error=math.sqrt(2.0) * det_ref.standard_error,
                margin=worst_of_many_margin(p.auc_margin, pairs),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"ROC AUC of a classifier telling real from candidate pairs by their relation ({label})",
            ),
            "conflicting_prompt_share": gated_metric(
                "conflicting_prompt_share",
                value=conflict[0],
                reference=conflict[1],
                standard_error=_share_se(conflict[1], n, design=max(ref_group, 2.0)),
                margin=share_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of rows whose prompt comes back with a different response ({label})",
            ),
            "copied_prompt_share": gated_metric(
                "copied_prompt_share",
                value=copy[0],
                reference=copy[1],
                standard_error=_share_se(copy[1], n),
                margin=share_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of responses that copy their prompt ({label})",
            ),
        }
        row: dict[str, object] = {
            "pair": label,
            "rows": n,
            "base_mean_cosine": float(base.cosine.mean()),
            "synthetic_mean_cosine": float(syn.cosine.mean()),
            "reference_mean_cosine": float(ref.cosine.mean()),
            "similarity_ks": ks_syn,
            "reference_similarity_ks": ks_ref,
            "relation_detection_auc": det_syn.auc,
            "reference_relation_detection_auc": det_ref.auc,
            "conflicting_prompt_share": conflict[0],
            "reference_conflicting_prompt_share": conflict[1],
            "copied_prompt_share": copy[0],
            "reference_copied_prompt_share": copy[1],
        }
        found: dict[str, list[int]] = {}
        flagged = {name for name, m in metrics.items() if m.passed is False or m.warned}
        if flagged & {"similarity_ks", "relation_detection_auc"}:
            shift = np.abs(syn.cosine - float(np.median(base.cosine)))
            found["least typical similarity rows"] = [int(syn.index[i]) for i in np.argsort(-shift, kind="stable")]
        if "conflicting_prompt_share" in flagged:
            found["conflicting prompt rows"] = [int(i) for i in syn.index[syn_conflicts]]
        if "copied_prompt_share" in flagged:
            found["copied prompt rows"] = [int(i) for i in syn.index[syn.copies]]
        return metrics, row, {kind: rows_[:EVIDENCE_CAP] for kind, rows_ in found.items()}

    def _completeness(self, ctx: AuditContext, prompt: str, response: str, label: str, pairs: int) -> Metric:
        """Share of candidate rows (matched size) with both texts present, against the reference's."""
        p = self.params
        shares = []
        for pair in (ctx.synthetic_pair, ctx.reference_pair):
            frame = pair.candidate
            shares.append(float(complete_pairs(frame[prompt], frame[response]).mean()) if len(frame) else 0.0)
        return gated_metric(
            "complete_pair_share",
            value=shares[0],
            reference=shares[1],
            standard_error=_share_se(shares[1], ctx.matched_size),
            margin=worst_of_many_margin(p.share_margin, pairs),
            direction="higher_is_better",
            value_range=(0.0, 1.0),
            description=f"share of rows with both the prompt and the response present ({label})",
        )

    def _worst(self, name: str, measured: dict[tuple[str, str], dict[str, Metric]]) -> Metric:
        """The pair's metric furthest past its own fail threshold (in its bad direction)."""

        def excess(m: Metric) -> float:
            threshold = m.threshold if m.threshold is not None else m.value
            return m.value - threshold if m.direction == "lower_is_better" else threshold - m.value

        return max((metrics[name] for metrics in measured.values() if name in metrics), key=excess)


def _share_se(reference: float, n: int, design: float = 1.0) -> float:
    """SE of a share's difference from the reference's when the candidate is as good (both at ``n`` rows).

    ``√(2 · max(q(1 − q), 1/n) · design / n)``, ``q`` the reference's share: the variance never below one row in
    ``n`` (a reference without a case leaves room for one), times the design effect (rows sharing a prompt).
    """
    return math.sqrt(2.0 * max(reference * (1.0 - reference), 1.0 / max(n, 1)) * design / max(n, 1))


def _positions(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``n`` sorted positions out of ``size`` (all of them when ``n`` is not smaller)."""
    return np.arange(size) if n >= size else np.sort(rng.choice(size, size=n, replace=False))


def _subset(side: _Side, positions: np.ndarray) -> _Side:
    """The rows ``positions`` of ``side``."""
    return _Side(
        index=side.index[positions],
        prompts=side.prompts.iloc[positions],
        responses=side.responses.iloc[positions],
        cosine=side.cosine[positions],
        product=side.product[positions],
        copies=side.copies[positions],
    )
