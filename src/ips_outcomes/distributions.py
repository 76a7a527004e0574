"""Summaries of continuous measures: n, mean, SD, median and quartiles per group.

Quartiles use linear interpolation between order statistics (R's default, type 7). No minimum
or maximum is ever published: they are single people's values.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ips_outcomes.results import Stat, long_rows

SUMMARY_STATISTICS = ("mean", "sd", "median", "q1", "q3")


def describe(frame: pl.DataFrame, value: str, by: Sequence[str]) -> pl.DataFrame:
    """n, mean, SD, median, first and third quartile of `value` per group (nulls left out).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"g": ["a"] * 4, "x": [1.0, 2.0, 3.0, 10.0]})
    >>> describe(df, "x", ["g"]).row(0)
    ('a', 4, 4.0, 4.08248290463863, 2.5, 1.75, 4.75)
    """
    by = list(by)
    x = pl.col(value).cast(pl.Float64)
    aggregations = [
        x.count().cast(pl.Int64).alias("n"),
        x.mean().alias("mean"),
        x.std(ddof=1).alias("sd"),
        x.median().alias("median"),
        x.quantile(0.25, interpolation="linear").alias("q1"),
        x.quantile(0.75, interpolation="linear").alias("q3"),
    ]
    known = frame.filter(x.is_not_null())
    return known.group_by(by).agg(aggregations).sort(by) if by else known.select(aggregations)


def summary_results(
    frame: pl.DataFrame,
    value: str,
    by: Sequence[str],
    threshold: int,
    *,
    analysis: str,
    outcome: str,
    window: str | None,
    population: str,
) -> pl.DataFrame:
    """Long result rows of :func:`describe`, every statistic withheld when n < threshold."""
    table = describe(frame, value, by)
    small = pl.col("n") < threshold
    table = table.with_columns(
        *(pl.when(small).then(None).otherwise(pl.col(s)).alias(s) for s in SUMMARY_STATISTICS),
        pl.when(small & (pl.col("n") > 0)).then(None).otherwise(pl.col("n")).alias("n"),
        small.alias("suppressed"),
    )
    stats = {"n": Stat("n"), **{s: Stat(s) for s in SUMMARY_STATISTICS}}
    return long_rows(
        table,
        analysis=analysis,
        outcome=outcome,
        by=by,
        stats=stats,
        n="n",
        window=window,
        population=population,
    )
