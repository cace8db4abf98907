"""Constraint checks: whether every value is valid in the domain and the schema matches."""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, make_table
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult

__all__ = ["SchemaCheck"]


class SchemaCheck(Check):
    """Columns and value types of the synthetic data against the real data's schema.

    Counts the columns present on one side only (a generator that drops or invents a column is wrong;
    DESIGN makes this a failing check, not an input error), and for every common column the share of
    synthetic values that cannot be read as the real column's type (text in a numeric column, an
    unparseable date) or are not finite (±inf). The share is compared with the same share in the
    reference rows (the holdout, or the real data itself without one), since real files can be dirty too.

    Gating: ``schema_mismatch_count`` (range [0, ∞), lower is better, 0 for matching schemas; fails at any
    mismatch) and ``worst_unreadable_value_share`` (range [0, 1], lower is better; margin over the
    reference share from its binomial standard error, floor 0: one unreadable value fails when the
    reference has none). Never skips.

    Cost: negligible, O(c): alignment already counted the values.
    """

    name: ClassVar[str] = "constraints.schema"
    suite: ClassVar[Suite] = Suite.CONSTRAINTS
    description: ClassVar[str] = "Same columns on both sides, and synthetic values readable as the real types."
    meaning: ClassVar[str] = (
        "Whether the synthetic file has exactly the real file's columns, and what share of its values cannot "
        "be read as the real column's type or are infinite. 0 is right; anything above fails."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("schema_mismatch_count", "worst_unreadable_value_share")

    class Params(CheckParams):
        """Thresholds of ``constraints.schema``."""

        unreadable_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.0, fail_floor=0.0),
            description="Margin over the reference's unreadable-value share.",
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare the column sets and count unreadable synthetic values per column."""
        data = ctx.data
        p = self.params
        reference_side = "holdout" if ctx.holdout is not None else "real"
        reference_rows = len(ctx.holdout) if ctx.holdout is not None else len(ctx.real)
        n_synth = max(len(ctx.synth), 1)
        unreadable: dict[str, dict[str, int]] = {c: {} for c in data.columns}
        for issue in data.type_issues:
            unreadable[issue.column][issue.side] = unreadable[issue.column].get(issue.side, 0) + issue.unparseable
        for column, sides in data.nonfinite.items():
            for side, count in sides.items():
                unreadable[column][side] = unreadable[column].get(side, 0) + count
        rows = []
        for column in data.only_real:
            rows.append({"column": column, "problem": "only in the real data", "count": None})
        for column in data.only_synth:
            rows.append({"column": column, "problem": "only in the synthetic data", "count": None})
        synth_shares = {c: unreadable[c].get("synthetic", 0) / n_synth for c in data.columns}
        ref_shares = {c: unreadable[c].get(reference_side, 0) / max(reference_rows, 1) for c in data.columns}
        for column in data.columns:
            count = unreadable[column].get("synthetic", 0)
            if count:
                rows.append(
                    {
                        "column": column,
                        "problem": f"values not readable as {ctx.roles[column].value} (or infinite)",
                        "count": count,
                        "share": synth_shares[column],
                        "real_dtype": data.dtypes[column].get("real"),
                        "synthetic_dtype": data.dtypes[column].get("synthetic"),
                    }
                )
        worst = max(data.columns, key=lambda c: synth_shares[c])
        worst_ref = max(ref_shares.values())
        # The spread comes from the reference share alone: clean real data has none, and then a single
        # unreadable synthetic value fails.
        se = math.sqrt(worst_ref * (1 - worst_ref) * (1 / n_synth + 1 / max(reference_rows, 1)))
        mismatches = len(data.only_real) + len(data.only_synth)
        metrics = [
            gated_metric(
                "schema_mismatch_count",
                value=float(mismatches),
                reference=0.0,
                standard_error=0.0,
                margin=Margin(warn_se=0, fail_se=0, warn_floor=0, fail_floor=0),
                direction="lower_is_better",
                value_range=(0.0, None),
                description="columns present on one side only",
            ),
            gated_metric(
                "worst_unreadable_value_share",
                value=synth_shares[worst],
                reference=worst_ref,
                standard_error=se,
                margin=p.unreadable_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"largest share of unreadable or infinite synthetic values (column {worst!r})",
            ),
        ]
        problems = []
        if data.only_real:
            problems.append(f"missing from the synthetic data: {', '.join(map(repr, data.only_real))}")
        if data.only_synth:
            problems.append(f"only in the synthetic data: {', '.join(map(repr, data.only_synth))}")
        if synth_shares[worst] > 0:
            problems.append(f"unreadable or infinite values in {worst!r} ({synth_shares[worst]:.2%} of rows)")
        summary = (
            ("Schema problems — " + "; ".join(problems) + ".")
            if problems
            else (f"All {len(data.columns)} columns match the real schema and every synthetic value is readable.")
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[
                make_table(
                    "schema",
                    "Schema differences",
                    rows,
                    ("column", "problem", "count", "share", "real_dtype", "synthetic_dtype"),
                )
            ],
            sample_sizes={"synthetic_rows": len(ctx.synth), "reference_rows": reference_rows},
            reference=reference_side,
            columns={
                **{c: f"{ctx.roles[c].value} (presence, readable values)" for c in data.columns},
                **{c: "only in the real data (presence)" for c in data.only_real},
                **{c: "only in the synthetic data (presence)" for c in data.only_synth},
            },
        )
