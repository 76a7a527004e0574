"""Unadjusted effects of the intervention against each control, and what comparisons share.

For each control named in the config (all other services by default): risk difference, risk
ratio, odds ratio and NNT for the binary outcomes, mean difference and Cohen's d for the
continuous ones, absolute and relative effects side by side with their denominators.

Small cells: an effect is withheld when any cell of its 2x2 table holds 1 to k-1 people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from ips_outcomes.effects import BinaryEffect, binary_effect_from, continuous_effect, effect_rows
from ips_outcomes.i18n import Message
from ips_outcomes.results import RESULT_SCHEMA

#: A sentence for the report: plain text (a message id) or translatable messages.
Statement = str | tuple[Message, ...]

COMPARISON = "comparison"


@dataclass(frozen=True)
class BinaryOutcome:
    """A yes/no outcome compared between services, with the rows that count for it."""

    name: str
    column: str
    window: str | None
    population: str
    include: str | None = None


@dataclass(frozen=True)
class ComparisonPart:
    """Results of one comparison, inputs for its figures or tables, and sentences for the report."""

    results: list[pl.DataFrame]
    extras: dict[str, object] = field(default_factory=dict)
    statements: dict[str, Statement] = field(default_factory=dict)


def binary_outcomes(main_window: str) -> tuple[BinaryOutcome, ...]:
    """List the binary outcomes compared, main window first."""
    return (
        BinaryOutcome(
            "employed",
            f"employed_{main_window}",
            main_window,
            "complete_followup",
            f"window_complete_{main_window}",
        ),
        BinaryOutcome("working_or_studying_12m", "working_or_studying_12m", "12m", "complete_case"),
        BinaryOutcome("dropped_out", "dropped_out", None, "all_enrolled"),
    )


CONTINUOUS = ("weeks_worked", "total_hours", "total_earnings")


def result_frame(
    rows: pl.DataFrame,
    *,
    analysis: str,
    outcome: str,
    window: str | None,
    population: str | None,
    grouping: str,
    group: str,
    suppressed: bool = False,
) -> pl.DataFrame:
    """Place tidy effect rows (statistic, estimate, ci_lower, ci_upper[, n]) in the schema."""
    n = (
        (pl.col("n_treated") + pl.col("n_control"))
        if "n_treated" in rows.columns
        else pl.col("n")
        if "n" in rows.columns
        else pl.lit(None)
    )
    hide = pl.lit(suppressed)
    return rows.select(
        pl.lit(analysis).alias("analysis"),
        pl.lit(outcome).alias("outcome"),
        pl.lit(window, dtype=pl.String).alias("window"),
        pl.lit(population, dtype=pl.String).alias("population"),
        pl.lit(grouping).alias("grouping"),
        pl.lit(group).alias("group"),
        "statistic",
        pl.when(hide).then(None).otherwise(pl.col("estimate")).alias("estimate"),
        pl.when(hide).then(None).otherwise(pl.col("ci_lower")).alias("ci_lower"),
        pl.when(hide).then(None).otherwise(pl.col("ci_upper")).alias("ci_upper"),
        n.cast(pl.Int64).alias("n"),
        hide.alias("suppressed"),
    ).select(pl.col(c).cast(t) for c, t in RESULT_SCHEMA.items())


def tidy_rows(
    stats: Sequence[tuple[str, float | None, float | None, float | None]], n: int | None
) -> pl.DataFrame:
    """Tidy effect rows (statistic, estimate, ci_lower, ci_upper, n) from plain tuples."""
    return pl.DataFrame(
        [(s, e, lo, hi, n) for s, e, lo, hi in stats],
        schema={
            "statistic": pl.String,
            "estimate": pl.Float64,
            "ci_lower": pl.Float64,
            "ci_upper": pl.Float64,
            "n": pl.Int64,
        },
        orient="row",
    )


def has_small_cell(effect: BinaryEffect, threshold: int) -> bool:
    """Whether any cell of the effect's 2x2 table holds 1 to threshold-1 people."""
    cells = (
        effect.events_treated,
        effect.n_treated - effect.events_treated,
        effect.events_control,
        effect.n_control - effect.events_control,
    )
    return any(0 < c < threshold for c in cells)


def rows_for(frame: pl.DataFrame, outcome: BinaryOutcome) -> pl.DataFrame:
    """Keep the people an outcome's comparison counts: its population, with a known value."""
    kept = frame.filter(pl.col(outcome.include)) if outcome.include else frame
    return kept.filter(pl.col(outcome.column).is_not_null())


def crude_effects(
    people: pl.DataFrame,
    intervention: str,
    controls: Sequence[str],
    main_window: str,
    threshold: int,
) -> list[pl.DataFrame]:
    """Unadjusted binary and continuous effects of the intervention against each control."""
    parts = []
    for control in controls:
        label = f"{intervention} vs {control}"
        for outcome in binary_outcomes(main_window):
            effect = binary_effect_from(
                rows_for(people, outcome), outcome.column, "service", intervention, control
            )
            parts.append(
                result_frame(
                    effect_rows(effect),
                    analysis=COMPARISON,
                    outcome=outcome.name,
                    window=outcome.window,
                    population=outcome.population,
                    grouping=COMPARISON,
                    group=label,
                    suppressed=has_small_cell(effect, threshold),
                )
            )
        complete = people.filter(pl.col(f"window_complete_{main_window}"))
        for measure in CONTINUOUS:
            column = f"{measure}_{main_window}"
            treated, control_values = (
                complete.filter(pl.col("service") == s)[column].drop_nulls()
                for s in (intervention, control)
            )
            difference = continuous_effect(treated.to_numpy(), control_values.to_numpy())
            small = min(treated.len(), control_values.len()) < threshold
            parts.append(
                result_frame(
                    effect_rows(difference),
                    analysis=COMPARISON,
                    outcome=measure,
                    window=main_window,
                    population="complete_followup",
                    grouping=COMPARISON,
                    group=label,
                    suppressed=small,
                )
            )
    return parts
