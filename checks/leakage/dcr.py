"""``leakage.dcr``: distance to closest record, calibrated against real rows the generator never saw."""

from __future__ import annotations

import math
import zlib
from typing import ClassVar

import numpy as np
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, info_metric, make_figure, make_table
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult, Metric

__all__ = [
    "DistanceToClosestRecordCheck",
    "close_share",
    "copy_likeness",
    "nearest_distances",
    "query_cap",
    "suspicious_rows",
]

EVIDENCE_CAP = 20
_MIN_QUERIES = 5_000


def nearest_distances(
    ctx: AuditContext, candidate_key: str, k: int = 2, positions: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (Euclidean, on the shared row vectors) from candidate rows to their ``k`` nearest base rows.

    Exact search (faiss candidates re-ranked in float64, so a verbatim copy is at distance 0.0) against every
    base real row, computed once per audit and shared. The row vectors are the context's distance vectors:
    the row encoding, plus text embeddings when the data has text. ``positions`` (sorted) restricts the
    search to those candidate rows; by default every candidate row is searched.
    """

    def compute() -> tuple[np.ndarray, np.ndarray]:
        index = ctx.neighbour_index("base")
        vectors = ctx.distance_vectors(candidate_key)
        return index.search(vectors if positions is None else vectors[positions], k=k)

    subset = "" if positions is None else f".rows{len(positions)}.{zlib.crc32(positions.tobytes()):08x}"
    return ctx.shared(f"leakage.nearest.{candidate_key}.k{k}{subset}", compute)


def query_cap(max_queries: int, max_pairs: int, base_rows: int) -> int:
    """Rows searched per side: ``max_queries``, fewer when that many × ``base_rows`` exceeds ``max_pairs``.

    The search is exact against every base row, so its cost is rows searched × base rows; the cap keeps it
    bounded on very large bases (never below ``_MIN_QUERIES`` rows: at 5,000 per side the warn margin on a
    5 % close share is about 1.3 percentage points).
    """
    return min(max_queries, max(_MIN_QUERIES, max_pairs // max(1, base_rows)))


def close_share(distances: np.ndarray, cutoff: float) -> float:
    """Share of rows whose distance is at most ``cutoff`` (ties included)."""
    if len(distances) == 0:
        return 0.0
    return float(np.mean(_is_close(distances, cutoff)))


def _is_close(distances: np.ndarray, cutoff: float) -> np.ndarray:
    return np.asarray(distances <= cutoff + 1e-6 * max(cutoff, 1e-12))


def copy_likeness(distances: np.ndarray) -> np.ndarray:
    """Closest over second-closest real-row distance per row (0 for an exact match): small = copy-like.

    A row far closer to one real record than to any other sits on that record rather than in a dense
    region where rows are naturally close; an exact match (both distances 0 included) scores 0.
    """
    first = distances[:, 0]
    second = distances[:, 1] if distances.shape[1] > 1 else first
    return np.where(second > 0, first / np.where(second > 0, second, 1.0), np.where(first > 0, 1.0, 0.0))


def suspicious_rows(
    dcr: np.ndarray, likeness: np.ndarray, groups: list[tuple[float, int]], cap: int = EVIDENCE_CAP
) -> np.ndarray:
    """Positions of the synthetic rows that make up the surplus of close rows over what the reference allows.

    ``groups`` holds, per closeness level, the level and the surplus (close synthetic rows beyond the warn
    threshold's count). From the rows at or below each level, the ``surplus`` most copy-like (lowest
    ``likeness``, then lowest DCR, then position) are taken; the union comes back in that order, at most
    ``cap`` rows.
    """
    chosen: set[int] = set()
    for level, surplus in groups:
        if surplus <= 0:
            continue
        close = np.flatnonzero(_is_close(dcr, level))
        ranked = close[np.lexsort((close, dcr[close], likeness[close]))]
        chosen.update(int(i) for i in ranked[:surplus])
    rows = np.array(sorted(chosen), dtype=np.int64)
    return rows[np.lexsort((rows, dcr[rows], likeness[rows]))][:cap]


class DistanceToClosestRecordCheck(Check):
    """Distance from each synthetic row to its closest real (training) row, against real rows never seen.

    Rows are the context's distance vectors (standardised numbers, one-hot categories scaled so that a
    category mismatch counts like one standard deviation, missing values as their own value, plus one
    sentence embedding per text column; identifiers left out) and are searched exactly: faiss candidates
    re-ranked with float64 distances, so a verbatim copy is at distance exactly 0. The reference
    distribution is the distance from each reference row (the holdout, or the real data's other half) to
    the same base real rows: a generator that learned the distribution without memorising rows puts its
    rows no closer to training rows than new real rows are.

    Let q be the reference's 5th percentile of DCR. The gating metric is the share of synthetic rows with
    DCR ≤ q (ties included, so that on categorical data where q = 0 a verbatim copy still counts), compared
    with the share of reference rows with DCR ≤ q (≈ 5 %, more with ties); range [0, 1], lower is better;
    1 when the synthetic data copies the training rows, about the reference share for an independent sample.
    A second gate does the same at the 1st percentile. The margin is the binomial standard error of the
    difference with a small floor. Information: the share at distance 0, the median DCR ratio synthetic /
    reference (≈ 1 is good, ≪ 1 means rows sit on training records), and the nearest-neighbour distance
    ratio (closest / second closest; small values mean a row is much closer to one real record than to any
    other).

    Evidence (``suspiciously_close_synthetic_rows``): the synthetic rows that make up the surplus of close
    rows over what unseen real rows explain. For each gate, as many rows as its close share exceeds the
    warn threshold (none while the check passes), taken from the rows at or below its quantile, most
    copy-like first (smallest closest / second-closest ratio: a row on one real record rather than in a
    dense region, exact matches first); at most ``EVIDENCE_CAP`` rows. Single rows are not judged alone:
    unseen real rows themselves come within float noise of training rows now and then (natural
    duplicates), so only the surplus is evidence.

    Skips when there is no column to measure, when text columns cannot be embedded, and when every
    reference row is at the same distance from the training rows (typically 0: every unseen real row has an
    exact twin there, so the distances cannot tell copies from natural matches and the gate cannot fail).

    Cost: exact nearest-neighbour search of the candidate rows against the base rows, O(q × n × d) time and
    O(n × d) float32 memory for the index, with q = min(m, ``max_queries``) seeded queries, fewer when q × n
    would pass ``max_pairs`` (2·10⁹: 20,000 rows per side at 100k base rows, the floor of 5,000 from 400k base
    rows on), all with ``--full``. The base stays whole, so every distance is the exact nearest distance; only
    the number of rows measured shrinks (``sample_sizes`` records it).
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
        max_pairs: int = Field(
            2_000_000_000,
            ge=1,
            description="Seeded cap on distance evaluations per side (rows searched × base rows): on very large "
            "bases fewer rows are searched (at least 5,000), each still against every base row (no cap with --full).",
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Search the nearest base row of every synthetic and reference row, then compare close shares."""
        p = self.params
        if ctx.text_unmeasured_reason is not None:
            return self.skip(ctx.text_unmeasured_reason)
        columns = ctx.distance_columns()
        if not columns:
            return self.skip("no numeric, categorical or text column to measure distances on")
        if len(ctx.synthetic_pair.base) == 0:
            return self.skip("no real row to measure distances to (too few real rows)")
        syn_index = ctx.synthetic_pair.candidate.index.to_numpy()
        n_syn, n_ref = len(ctx.synthetic_pair.candidate), len(ctx.reference_pair.candidate)
        cap = query_cap(p.max_queries, p.max_pairs, len(ctx.synthetic_pair.base))
        if not ctx.full and n_syn > cap:
            keep = np.sort(ctx.rng(self.name).choice(n_syn, size=cap, replace=False))
            syn_d, _ = nearest_distances(ctx, "synthetic_candidate", positions=keep)
            syn_index = syn_index[keep]
        else:
            syn_d, _ = nearest_distances(ctx, "synthetic_candidate")
        if not ctx.full and n_ref > cap:
            ref_keep = np.sort(ctx.rng(self.name + ".reference").choice(n_ref, size=cap, replace=False))
            ref_d, _ = nearest_distances(ctx, "reference_candidate", positions=ref_keep)
        else:
            ref_d, _ = nearest_distances(ctx, "reference_candidate")
        syn_dcr, ref_dcr = syn_d[:, 0], ref_d[:, 0]
        if len(syn_dcr) == 0 or len(ref_dcr) == 0:
            return self.skip("no synthetic or no reference row to measure")
        if np.ptp(ref_dcr) == 0:
            value = float(ref_dcr[0])
            where = (
                "has an exact twin among the training rows"
                if value == 0
                else f"is at the same distance ({value:.3g}) from the training rows"
            )
            synthetic = "; so does every synthetic row" if np.all(syn_dcr == value) else ""
            names = ", ".join(list(columns)[:8]) + (", …" if len(columns) > 8 else "")
            return self.skip(
                f"every one of the {len(ref_dcr)} unseen real rows {where}{synthetic} on the measured columns "
                f"({names}), so distances cannot tell copies from natural matches"
            )
        metrics: list[Metric] = []
        levels: list[float] = []
        for metric_name, quantile in (
            ("dcr_close_share", p.reference_quantile),
            ("dcr_very_close_share", p.strict_quantile),
        ):
            level = float(np.quantile(ref_dcr, quantile))
            levels.append(level)
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
        cutoff = levels[0]
        surplus = [(level, _surplus(m, len(syn_dcr))) for level, m in zip(levels, metrics, strict=True)]
        suspicious = suspicious_rows(syn_dcr, copy_likeness(syn_d), surplus)
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
                "distance_features": ctx.neighbour_index("base").dim,
            },
            evidence={"suspiciously_close_synthetic_rows": syn_index[suspicious].tolist()},
            columns=columns,
            ctx=ctx,
        )


def _surplus(metric: Metric, rows: int) -> int:
    """Close rows beyond the warn threshold's count (0 while the metric is within it)."""
    if metric.warn_threshold is None:
        return 0
    return max(0, math.ceil(rows * (metric.value - metric.warn_threshold) - 1e-9))


def _median_nndr(distances: np.ndarray) -> float:
    first, second = distances[:, 0], distances[:, 1]
    ratio = np.where(second > 0, first / np.where(second > 0, second, 1.0), 1.0)
    return float(np.median(ratio))
