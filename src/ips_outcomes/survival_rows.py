"""Result rows of the survival analyses: one small schema, one conversion to long format."""

from __future__ import annotations

import numpy as np
import polars as pl

from ips_outcomes.results import RESULT_SCHEMA

POPULATION = "out_of_work_at_entry"
OUTCOME = "first_job"
#: The columns each survival row fills before it is given its analysis, outcome and group.
ROW_SCHEMA = {
    name: RESULT_SCHEMA[name]
    for name in ("window", "statistic", "estimate", "ci_lower", "ci_upper", "n", "suppressed")
}


def stat_row(
    window: str | None,
    statistic: str,
    estimate: float | None,
    low: float | None,
    high: float | None,
    n: int | None,
    suppressed: bool,
    hide_n: bool | None = None,
) -> tuple[object, ...]:
    """One row in `ROW_SCHEMA` order; a suppressed row keeps no value.

    `hide_n` (default: `suppressed`) withholds the group size too; a value withheld for a
    reason other than a small group (few left at risk, few events) keeps its group's `n`,
    which is published on the group's other rows anyway.
    """
    hide_n = suppressed if hide_n is None else hide_n
    if suppressed:
        estimate = low = high = None
    return (
        window,
        statistic,
        clean(estimate),
        clean(low),
        clean(high),
        None if hide_n and n is not None and n > 0 else n,
        suppressed,
    )


def clean(value: float | None) -> float | None:
    """Turn NaN and infinities (undefined estimates) into nulls."""
    return None if value is None or not np.isfinite(value) else float(value)


def to_long(
    table: pl.DataFrame, analysis: str = "survival", outcome: str = OUTCOME
) -> pl.DataFrame:
    """Give rows of `ROW_SCHEMA` (plus group, grouping) their place in the results schema."""
    return table.select(
        pl.lit(analysis).alias("analysis"),
        pl.lit(outcome).alias("outcome"),
        "window",
        pl.lit(POPULATION).alias("population"),
        "grouping",
        "group",
        "statistic",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "suppressed",
    )
