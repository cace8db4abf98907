"""``leakage.dcr``: distance to closest record, calibrated against real rows the generator never saw."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, info_metric, make_figure, make_table
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult, Metric

__all__ = ["DistanceToClosestRecordCheck", "close_share", "nearest_distances"]

EVIDENCE_CAP = 20


def nearest_distances(ctx: AuditContext, candidate_key: str, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Distances (Euclidean, on the shared encoding) from each candidate row to its ``k`` nearest base rows.

    Exact search (faiss brute force) against the base real rows, computed once per audit and shared.
    """

    def compute() -> tuple[np.ndarray, np.ndarray]:
        index = ctx.neighbour_index("base")
        return index.search(ctx.encoded(candidate_key), k=k)

    return ctx.shared(f"leakage.nearest.{candidate_key}.k{k}", compute)


def close_share(distances: np.ndarray, cutoff: float) -> float:
    """Share of rows whose distance is at most ``cutoff`` (ties included)."""
    if len(distances) == 0:
        return 0.0
    return float(np.mean(distances <= cutoff + 1e-6 * max(cutoff, 1e-12)))


class DistanceToClosestRecordCheck(Check):
    """Distance from each synthetic row to its closest real (training) row, against real rows never seen.

    Rows are encoded once for the whole audit (standardised numbers, one-hot categories scaled so that a
    category mismatch counts like one standard deviation, missing values as their own value; identifiers
    and text left out) and searched exactly with faiss. The reference distribution is the distance from
    each reference row (the holdout, or the real data's other half) to the same base real rows: a generator
    that learned the distribution without memorising rows puts its rows no closer to training rows than
    new real rows are.

    Let q be the reference's 5th percentile of DCR. The gating metric is the share of synthetic rows with
    DCR ≤ q (ties included, so that on categorical data where q = 0 a verbatim copy still counts), compared
    with the share of reference rows with DCR ≤ q (≈ 5 %, more with ties); range [0, 1], lower is better;
    1 when the synthetic data copies the training rows, about the reference share for an independent sample.
    The margin is the binomial standard error of the difference with a small floor. Information: the share
    at distance 0, the median DCR ratio synthetic / reference (≈ 1 is good, ≪ 1 means rows sit on training
    records), and the nearest-neighbour distance ratio (closest / second closest; small values mean a row
    is much closer to one real record than to any other). Evidence: the synthetic row numbers closest to a
    real row. Skips when the encoding has no columns. Cost: exact search, O(n_candidate × n_base × width);
    the query side is a seeded sample of ``max_queries`` rows unless ``--full``.
    """

    name: ClassVar[str] = "leakage.dcr"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = "Synthetic rows are no closer to real training rows than unseen real rows are."
    meaning: ClassVar[str] = (
        "The share of synthetic rows that sit closer to a real training row than 95 % of real rows the generator "
        "never saw do. About 5 % is normal; a clear excess means the generator reproduces (near-)copies of its "
        "training records. Lower is better."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("dcr_close_share", "dcr_very_close_share")

    class Params(CheckParams):
        """Thresholds of ``leakage.dcr``."""

        reference_quantile: float = Field(
            0.05, gt=0, lt=0.5, description="Quantile q of the reference DCR that defines a 'close' row."
        )
        strict_quantile: float = Field(
            0.01, gt=0, lt=0.5, description="A tighter quantile for a second, more sensitive gate on near-copies."
        )
        close_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.005, fail_floor=0.01),
            description="Margin over the reference's share of close rows (binomial standard error, share of rows).",
        )
        max_queries: int = Field(
            100_000, ge=100, description="Seeded cap on the rows searched per side (no cap with --full)."
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Search the nearest base row of every synthetic and reference row, then compare close shares."""
        p = self.params
        assert isinstance(p, DistanceToClosestRecordCheck.Params)
        if ctx.encoder.n_features == 0:
            return self.skip("no numeric or categorical column to measure distances on")
        syn_d, syn_i = nearest_distances(ctx, "synthetic_candidate")
        ref_d, _ = nearest_distances(ctx, "reference_candidate")
        syn_index = ctx.synthetic_pair.candidate.index.to_numpy()
        if not ctx.full and len(syn_d) > p.max_queries:
            keep = np.sort(ctx.rng(self.name).choice(len(syn_d), size=p.max_queries, replace=False))
            syn_d, syn_i, syn_index = syn_d[keep], syn_i[keep], syn_index[keep]
            ref_keep = np.sort(ctx.rng(self.name + ".reference").choice(len(ref_d), size=p.max_queries, replace=False))
            ref_d = ref_d[ref_keep]
        syn_dcr, ref_dcr = syn_d[:, 0], ref_d[:, 0]
        metrics: list[Metric] = []
        for metric_name, quantile in (
            ("dcr_close_share", p.reference_quantile),
            ("dcr_very_close_share", p.strict_quantile),
        ):
            level = float(np.quantile(ref_dcr, quantile))
            syn_share, ref_share = close_share(syn_dcr, level), close_share(ref_dcr, level)
            se = math.sqrt(ref_share * (1 - ref_share) * (1 / len(syn_dcr) + 1 / len(ref_dcr)))
            metrics.append(
                gated_metric(
                    metric_name,
                    value=syn_share,
                    reference=ref_share,
                    standard_error=se,
                    margin=p.close_margin,
                    direction="lower_is_better",
                    value_range=(0.0, 1.0),
                    description=f"share of rows with DCR ≤ the reference's {quantile:.0%} quantile ({level:.4g})",
                )
            )
        cutoff = float(np.quantile(ref_dcr, p.reference_quantile))
        syn_share, ref_share = metrics[0].value, metrics[0].reference_value or 0.0
        metrics.append(
            info_metric(
                "dcr_zero_share",
                close_share(syn_dcr, 0.0),
                reference=close_share(ref_dcr, 0.0),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of rows at distance 0 from a real row",
            )
        )
        ref_median = float(np.median(ref_dcr))
        if ref_median > 0:
            metrics.append(
                info_metric(
                    "median_dcr_ratio",
                    float(np.median(syn_dcr)) / ref_median,
                    reference=1.0,
                    direction="higher_is_better",
                    value_range=(0.0, None),
                    description="median synthetic DCR / median reference DCR",
                )
            )
        if syn_d.shape[1] > 1:
            metrics.append(
                info_metric(
                    "median_nndr",
                    _median_nndr(syn_d),
                    reference=_median_nndr(ref_d),
                    direction="higher_is_better",
                    value_range=(0.0, 1.0),
                    description="median ratio of closest to second-closest real-row distance",
                )
            )
        order = np.argsort(syn_dcr, kind="stable")
        closest = order[: min(EVIDENCE_CAP, int(np.sum(syn_dcr <= cutoff)))]
        upper = float(np.quantile(np.concatenate([syn_dcr, ref_dcr]), 0.99)) or 1.0
        edges = np.linspace(0.0, upper, 41)
        figure = make_figure(
            "histogram",
            "Distance to the closest real record",
            {
                "bin_edges": edges,
                "series": {
                    "synthetic": np.histogram(np.clip(syn_dcr, 0, upper), edges)[0] / len(syn_dcr),
                    "reference": np.histogram(np.clip(ref_dcr, 0, upper), edges)[0] / len(ref_dcr),
                },
                "markers": {"reference quantile": cutoff},
            },
            x_label="distance to closest real row (encoded units)",
            y_label="share of rows",
        )
        quantiles = (0.01, 0.05, 0.25, 0.5)
        table = make_table(
            "dcr_quantiles",
            "DCR quantiles",
            [
                {
                    "quantile": q,
                    "synthetic": float(np.quantile(syn_dcr, q)),
                    "reference": float(np.quantile(ref_dcr, q)),
                }
                for q in quantiles
            ],
        )
        summary = (
            f"{syn_share:.2%} of synthetic rows are closer to a real row than {p.reference_quantile:.0%} of unseen "
            f"real rows are (reference {ref_share:.2%}; {metrics[2].value:.2%} at distance 0)."
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[table],
            figures=[figure],
            sample_sizes={
                "base_rows": len(ctx.synthetic_pair.base),
                "synthetic_rows": len(syn_dcr),
                "reference_rows": len(ref_dcr),
                "encoded_features": ctx.encoder.n_features,
            },
            evidence={"closest_synthetic_rows": syn_index[closest].tolist()},
        )


def _median_nndr(distances: np.ndarray) -> float:
    first, second = distances[:, 0], distances[:, 1]
    ratio = np.where(second > 0, first / np.where(second > 0, second, 1.0), 1.0)
    return float(np.median(ratio))
