"""Proportions with Wilson score confidence intervals, by any grouping."""

from __future__ import annotations

import numpy as np
import polars as pl
from statsmodels.stats.proportion import proportion_confint


def proportions(frame: pl.DataFrame, outcome: str, by: list[str]) -> pl.DataFrame:
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
    grouped = known.group_by(by).agg(aggregations).sort(by) if by else known.select(aggregations)
    count = grouped.get_column("numerator").to_numpy()
    nobs = grouped.get_column("denominator").to_numpy()
    low, high = proportion_confint(count, nobs, alpha=0.05, method="wilson")
    return grouped.with_columns(
        pl.Series("proportion", count / np.maximum(nobs, 1), dtype=pl.Float64),
        pl.Series("ci_lower", np.asarray(low, dtype=float), dtype=pl.Float64),
        pl.Series("ci_upper", np.asarray(high, dtype=float), dtype=pl.Float64),
    )
