"""``diversity.prdc``: precision, recall, density and coverage (Naeem et al., 2020) against the reference.

The vector views it compares (encoded rows, text embeddings) come from :mod:`synthaudit.artefacts.vector_parts`,
so every diversity check sees the same seeded samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pydantic import Field

from synthaudit.artefacts.vector_parts import MIN_ROWS, VectorPart, VectorSide, part_columns, sample_side, vector_parts
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
    worst_of_many_margin,
)
from synthaudit.checks.diversity.prdc_stats import (  # noqa: F401 (re-exported)
    _CHUNK_CELLS,
    _PAIR_BATCH,
    _ROUNDING,
    BallCounts,
    PRDCScores,
    _exact_inside,
    _inside,
    _scores,
    ball_counts,
    knn_radii,
    log_density_deviation,
    prdc,
)
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult, FigureSpec, Metric

__all__ = [
    "BallCounts",
    "PRDCCheck",
    "PRDCScores",
    "ball_counts",
    "knn_radii",
    "log_density_deviation",
    "prdc",
]

EVIDENCE_CAP = 20


@dataclass(frozen=True)
class _PartComparison:
    part: VectorPart
    base: VectorSide
    base_radii: np.ndarray
    synthetic: PRDCScores
    reference: PRDCScores
    coverage_se: float
    density_se: float
    base_rows: int
    candidate_rows: int
    synthetic_found: BallCounts

    @property
    def coverage_z(self) -> float:
        gap = self.reference.coverage - self.synthetic.coverage
        return gap / self.coverage_se if self.coverage_se > 0 else (math.inf if gap > 0 else 0.0)

    def density_deviation(self, k: int) -> tuple[float, float]:
        return (
            log_density_deviation(self.synthetic.density, k, self.candidate_rows),
            log_density_deviation(self.reference.density, k, self.candidate_rows),
        )

    def density_z(self, k: int) -> float:
        value, reference = self.density_deviation(k)
        gap = value - reference
        return gap / self.density_se if self.density_se > 0 else (math.inf if gap > 0 else 0.0)


def _permutation_memberships(m: int, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """``permutations`` random halves of 2m pooled rows, as 0/1 rows (first m: synthetic, last m: reference)."""
    keys = rng.random((permutations, 2 * m))
    order = np.argsort(keys, axis=1, kind="stable")
    members = np.zeros((permutations, 2 * m), dtype=np.float32)
    np.put_along_axis(members, order[:, :m], 1.0, axis=1)
    return members


def _compare_part(
    part: VectorPart, k: int, max_rows: int | None, permutations: int, rng: np.random.Generator
) -> _PartComparison:
    """PRDC of both candidates against one seeded base sample at equal size, with null standard errors.

    Coverage's standard error is that of the synthetic − reference difference when both candidates come
    from one distribution: the standard deviation of the coverage difference between random halves of the
    pooled candidates (a permutation null, given the base; coverage indicators of neighbouring real rows are
    correlated, so a binomial error would be too small). Density is a mean over fake rows, so its error is
    the reference counts' standard deviation / k × √(2/m), divided by the reference density for the log.
    """
    size = min(len(part.base), len(part.synthetic), len(part.reference))
    if max_rows is not None:
        size = min(size, max_rows)
    base = sample_side(part.base, size, rng)
    synthetic = sample_side(part.synthetic, size, rng)
    reference = sample_side(part.reference, size, rng)
    real_r = knn_radii(base.vectors, k)
    members = _permutation_memberships(size, permutations, rng)
    syn_found = ball_counts(base.vectors, real_r, synthetic.vectors, knn_radii(synthetic.vectors, k), members[:, :size])
    ref_found = ball_counts(base.vectors, real_r, reference.vectors, knn_radii(reference.vectors, k), members[:, size:])
    assert syn_found.weighted is not None and ref_found.weighted is not None
    half_a = syn_found.weighted + ref_found.weighted
    half_b = (syn_found.fakes_in_ball + ref_found.fakes_in_ball)[None, :] - half_a
    differences = np.mean(half_a > 0.5, axis=1) - np.mean(half_b > 0.5, axis=1)
    coverage_se = float(np.std(differences, ddof=1))
    ref_scores = _scores(ref_found, k)
    counts_sd = float(np.std(ref_found.counts, ddof=1)) / k
    density_se = counts_sd * math.sqrt(2.0 / size) / max(ref_scores.density, 0.5 / (k * size))
    return _PartComparison(
        part=part,
        base=base,
        base_radii=real_r,
        synthetic=_scores(syn_found, k),
        reference=ref_scores,
        coverage_se=coverage_se,
        density_se=density_se,
        base_rows=size,
        candidate_rows=size,
        synthetic_found=syn_found,
    )


# ----------------------------------------------------------------------------- the check
class PRDCCheck(Check):
    """Precision, recall, density and coverage of the synthetic rows, against real rows the generator never saw.

    For each vector view of the data — the shared row encoding (standardised numbers, one-hot categories) and the
    sentence embeddings of each text column — a seeded sample of the base real rows and equally many synthetic rows
    (and, for the reference, equally many holdout rows) are compared through k-nearest-neighbour balls (Naeem et al.,
    2020; exact faiss search, k = 5): every real row's ball reaches its k-th nearest real neighbour. **Coverage** is the
    share of real rows whose ball holds a synthetic row: in [0, 1], higher is better, 1 for identical data and about
    0.97 for an independent sample at k = 5; a generator that collapses onto part of the distribution leaves real
    neighbourhoods empty. **Density** is the mean number of real balls holding a synthetic row, over k: about 1 for an
    independent sample ((k + 1)/k for identical data), far above 1 when rows pile onto modes, low for unrealistic rows.
    Precision and recall (share of synthetic rows inside the real manifold and vice versa) are information: both
    saturate in high dimensions.

    Gating, on the worst part (the one furthest past its reference in standard errors; with several parts the
    standard-error multipliers are Šidák-adjusted for taking the worst, see :func:`worst_part_margin`): ``coverage``
    (higher is better) against the reference's coverage, and ``density_log_deviation`` = |ln density|
    (lower is better, 0 when density is 1; two-sided, so both piling-up and unrealistic rows count) against
    the reference's. Coverage's standard error is a permutation null (coverage difference between random
    halves of the pooled synthetic and reference rows, given the base), density's the standard deviation of
    the per-row ball counts / k × √(2/m). Distances tie on categorical data (radius 0): a ball includes its
    boundary. Skips when no part has at least 50 rows per side.

    Cost: exact k-nearest-neighbour search, O(r² × d) per part with r = min(n, m, h, ``max_rows``) rows per side (10 000
    by default, a seeded sample; no cap with ``--full``), in blocks of four million distance cells (memory O(r × d));
    the permutation null reuses the same pass (``permutations`` weighted counts per ball). Linear in width, quadratic in
    the capped rows.
    """

    name: ClassVar[str] = "diversity.prdc"
    suite: ClassVar[Suite] = Suite.DIVERSITY
    description: ClassVar[str] = "Synthetic rows cover the real data's neighbourhoods (coverage) at the right density."
    meaning: ClassVar[str] = (
        "Coverage: the share of real rows that have a synthetic row among their nearest neighbours (about 0.97 "
        "for new real data; lower means the generator misses parts of the real distribution, as in mode "
        "collapse). Density: how many real neighbourhoods a synthetic row falls in, relative to new real rows "
        "(about 1; far above means rows pile onto common patterns, far below means unrealistic rows)."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("coverage", "density_log_deviation")

    class Params(CheckParams):
        """Thresholds and sample sizes of ``diversity.prdc``."""

        k: int = Field(5, ge=1, le=50, description="Nearest neighbours that set each row's ball radius.")
        max_rows: int = Field(
            10_000, ge=MIN_ROWS, description="Seeded cap on the rows per side of each part (no cap with --full)."
        )
        permutations: int = Field(
            100, ge=20, le=1000, description="Random halves of the pooled candidates for coverage's standard error."
        )
        coverage_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.02),
            description="Margin below the reference's coverage (share of real rows).",
        )
        density_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.05, fail_floor=0.10),
            description="Margin over the reference's |ln density| (0.10 ≈ density 10 % off the reference's).",
        )
        figures: int = Field(2, ge=0, le=20, description="Parts (worst first) drawn as a figure.")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare both candidates' PRDC with the base real rows, per part, and gate the worst part."""
        p = self.params
        parts, skipped = vector_parts(ctx)
        usable: list[VectorPart] = []
        for part in parts:
            size = min(len(part.base), len(part.synthetic), len(part.reference))
            if size < max(MIN_ROWS, p.k + 1):
                skipped[part.name] = f"only {size} rows on the smallest side (needs {max(MIN_ROWS, p.k + 1)})"
            else:
                usable.append(part)
        if not usable:
            reasons = "; ".join(f"{name}: {why}" for name, why in sorted(skipped.items()))
            return self.skip(reasons or "no encoded column and no text column to compare")
        rng = ctx.rng(self.name)
        cap = None if ctx.full else p.max_rows
        comparisons = [_compare_part(part, p.k, cap, p.permutations, rng) for part in usable]
        by_coverage = sorted(comparisons, key=lambda c: (-c.coverage_z, c.part.name))
        by_density = sorted(comparisons, key=lambda c: (-c.density_z(p.k), c.part.name))
        worst, worst_density = by_coverage[0], by_density[0]
        density_value, density_reference = worst_density.density_deviation(p.k)
        metrics: list[Metric] = [
            gated_metric(
                "coverage",
                value=worst.synthetic.coverage,
                reference=worst.reference.coverage,
                standard_error=worst.coverage_se,
                margin=worst_of_many_margin(p.coverage_margin, len(comparisons)),
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description=f"share of real rows whose {p.k}-NN ball holds a synthetic row ({worst.part.name})",
            ),
            gated_metric(
                "density_log_deviation",
                value=density_value,
                reference=density_reference,
                standard_error=worst_density.density_se,
                margin=worst_of_many_margin(p.density_margin, len(comparisons)),
                direction="lower_is_better",
                value_range=(0.0, None),
                description=(
                    f"|ln density| ({worst_density.part.name}: density {worst_density.synthetic.density:.3f}, "
                    f"reference {worst_density.reference.density:.3f})"
                ),
            ),
        ]
        # Density itself is two-sided (about 1 is ideal), so it is shown in the table and the gate's description,
        # not as a metric with a direction.
        for metric_name in ("precision", "recall"):
            metrics.append(
                info_metric(
                    metric_name,
                    getattr(worst.synthetic, metric_name),
                    reference=getattr(worst.reference, metric_name),
                    direction="higher_is_better",
                    value_range=(0.0, 1.0),
                    description=f"{metric_name} ({worst.part.name}; information)",
                )
            )
        table = make_table(
            "parts",
            "PRDC per part, lowest coverage (in standard errors below the reference) first",
            [
                {
                    "part": c.part.name,
                    "kind": c.part.kind,
                    "rows_per_side": c.base_rows,
                    "coverage": c.synthetic.coverage,
                    "reference_coverage": c.reference.coverage,
                    "coverage_se": c.coverage_se,
                    "density": c.synthetic.density,
                    "reference_density": c.reference.density,
                    "precision": c.synthetic.precision,
                    "reference_precision": c.reference.precision,
                    "recall": c.synthetic.recall,
                    "reference_recall": c.reference.recall,
                }
                for c in by_coverage
            ],
        )
        tables = [table]
        if skipped:
            tables.append(
                make_table(
                    "skipped_parts",
                    "Parts not compared",
                    [{"part": name, "reason": why} for name, why in sorted(skipped.items())],
                )
            )
        found = worst.synthetic_found
        # Uncovered real rows, furthest (relative to their own ball) from any synthetic row first.
        uncovered = np.flatnonzero(~found.covered)
        reach = found.nearest[uncovered] / np.maximum(worst.base_radii[uncovered], 1e-12)
        order = uncovered[np.argsort(-reach, kind="stable")][:EVIDENCE_CAP]
        verdict = "within" if all(m.passed for m in metrics if m.gating) else "beyond"
        summary = (
            f"Coverage {worst.synthetic.coverage:.3f} vs reference {worst.reference.coverage:.3f} "
            f"({worst.part.name!r}); density {worst_density.synthetic.density:.3f} vs reference "
            f"{worst_density.reference.density:.3f} ({worst_density.part.name!r}) — {verdict} the thresholds."
        )
        if skipped:
            summary += f" Not compared: {', '.join(sorted(skipped))}."
        sample_sizes: dict[str, int] = {"k": p.k}
        for c in comparisons:
            sample_sizes[f"{c.part.name}.rows_per_side"] = c.base_rows
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=[_figure(c) for c in by_coverage[: p.figures]],
            sample_sizes=sample_sizes,
            evidence={"uncovered_real_rows": worst.base.rows[order].tolist()},
            columns=part_columns(ctx, usable),
        )


def _figure(comparison: _PartComparison) -> FigureSpec:
    names = ("precision", "recall", "density", "coverage")
    return make_figure(
        "bars",
        f"PRDC of {comparison.part.name}: synthetic vs reference",
        {
            "categories": list(names),
            "series": {
                "synthetic": [getattr(comparison.synthetic, n) for n in names],
                "reference": [getattr(comparison.reference, n) for n in names],
            },
        },
        x_label="metric",
        y_label="value",
    )
