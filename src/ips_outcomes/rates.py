"""Proportions with Wilson score confidence intervals, with their denominators stated."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from statsmodels.stats.proportion import proportion_confint

from ips_outcomes import disclosure
from ips_outcomes.results import Stat, long_rows


def proportions(frame: pl.DataFrame, outcome: str, by: Sequence[str]) -> pl.DataFrame:
    """Share of rows with `outcome` true, per group, with a Wilson 95 % CI.

    Rows whose outcome is null are left out of the denominator.

    Parameters
    ----------
    frame
        One row per person.
    outcome
        Boolean column.
    by
        Grouping columns; an empty list gives one overall row.

    Returns
    -------
    pl.DataFrame
        The grouping columns, then numerator, denominator, proportion, ci_lower, ci_upper,
        sorted by the grouping columns.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"g": ["a"] * 4 + ["b"] * 2, "y": [1, 1, 0, 0, 1, None]})
    >>> out = proportions(df.with_columns(pl.col("y").cast(pl.Boolean)), "y", ["g"])
    >>> out.select("g", "numerator", "denominator", "proportion").rows()
    [('a', 2, 4, 0.5), ('b', 1, 1, 1.0)]
    """
    known = frame.filter(pl.col(outcome).is_not_null())
    aggregations = [
        pl.col(outcome).sum().cast(pl.Int64).alias("numerator"),
        pl.len().cast(pl.Int64).alias("denominator"),
    ]
    by = list(by)
    grouped = known.group_by(by).agg(aggregations).sort(by) if by else known.select(aggregations)
    count = grouped.get_column("numerator").to_numpy()
    nobs = grouped.get_column("denominator").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(count, nobs, alpha=0.05, method="wilson")
        share = count / nobs
    empty = nobs == 0  # no denominator: no proportion, rather than 0 % with an undefined CI
    return grouped.with_columns(
        pl.Series("proportion", np.where(empty, np.nan, share), dtype=pl.Float64),
        pl.Series("ci_lower", np.where(empty, np.nan, low), dtype=pl.Float64),
        pl.Series("ci_upper", np.where(empty, np.nan, high), dtype=pl.Float64),
    ).with_columns(pl.col("proportion", "ci_lower", "ci_upper").fill_nan(None))


def rate_table(
    frame: pl.DataFrame, outcome: str, by: Sequence[str], include: pl.Expr | None = None
) -> pl.DataFrame:
    """Proportions among the included rows, and how many rows were left out, per group.

    A row is left out (`excluded`) when `include` is false for it or its outcome is null.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"g": ["a", "a", "a", "b"], "y": [True, False, None, True],
    ...                    "complete": [True, True, True, False]})
    >>> rate_table(df, "y", ["g"], pl.col("complete")).select(
    ...     "g", "numerator", "denominator", "excluded").rows()
    [('a', 1, 2, 1), ('b', 0, 0, 1)]
    """
    by = list(by)
    keep = pl.col(outcome).is_not_null()
    if include is not None:
        keep = keep & include.fill_null(False)
    flagged = frame.with_columns(pl.when(keep).then(pl.col(outcome)).alias(outcome))
    excluded = (~pl.col(outcome).is_not_null()).sum().cast(pl.Int64).alias("excluded")
    left_out = flagged.group_by(by).agg(excluded) if by else flagged.select(excluded)
    rates = proportions(flagged, outcome, by)
    if not by:
        return rates.with_columns(left_out.get_column("excluded"))
    table = left_out.join(rates, on=by, how="left", nulls_equal=True).sort(by)
    return table.with_columns(pl.col("numerator", "denominator").fill_null(0))


def rate_results(
    table: pl.DataFrame,
    threshold: int,
    *,
    analysis: str,
    outcome: str,
    by: Sequence[str],
    window: str | None,
    population: str,
) -> pl.DataFrame:
    """Suppressed long result rows (`count`, `proportion`, `excluded`) from a rate table."""
    safe = disclosure.suppress_proportions(table, threshold)
    stats = {
        "count": Stat("numerator"),
        "proportion": Stat("proportion", "ci_lower", "ci_upper"),
    }
    if "excluded" in safe.columns:
        # Follow-up completeness, published as it is: see disclosure.FOLLOW_UP_STATISTICS.
        safe = safe.with_columns(pl.lit(False).alias("excluded_suppressed"))
        stats["excluded"] = Stat("excluded", suppressed="excluded_suppressed")
    return long_rows(
        safe,
        analysis=analysis,
        outcome=outcome,
        by=by,
        stats=stats,
        n="denominator",
        window=window,
        population=population,
    )
