"""The long-format results table: one row per published number (see docs/outputs.md).

Columns: analysis, outcome, grouping, group, statistic, estimate, ci_lower, ci_upper, n,
suppressed. `grouping` names the grouping variables joined by `|` (`all` for the whole
cohort) and `group` their values in the same order. Rows are sorted and floats written in
shortest round-trip form, so the same inputs give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

RESULT_SCHEMA: dict[str, type[pl.DataType]] = {
    "analysis": pl.String,
    "outcome": pl.String,
    "grouping": pl.String,
    "group": pl.String,
    "statistic": pl.String,
    "estimate": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "n": pl.Int64,
    "suppressed": pl.Boolean,
}
SORT_KEY = ("analysis", "outcome", "grouping", "group", "statistic")
GROUP_SEPARATOR = "|"


def _group_columns(by: list[str]) -> list[pl.Expr]:
    if not by:
        return [pl.lit("all").alias("grouping"), pl.lit("all").alias("group")]
    return [
        pl.lit(GROUP_SEPARATOR.join(by)).alias("grouping"),
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("(missing)") for c in by],
            separator=GROUP_SEPARATOR,
        ).alias("group"),
    ]


def from_proportions(
    table: pl.DataFrame, analysis: str, outcome: str, by: list[str]
) -> pl.DataFrame:
    """Long rows (`count` and `proportion`) from a suppressed proportions table.

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"service": ["IPS"], "numerator": [5], "denominator": [10],
    ...                   "proportion": [0.5], "ci_lower": [0.2], "ci_upper": [0.8],
    ...                   "suppressed": [False]})
    >>> from_proportions(t, "employment", "ever", ["service"]).select(
    ...     "group", "statistic", "estimate", "n").rows()
    [('IPS', 'count', 5.0, 10), ('IPS', 'proportion', 0.5, 10)]
    """
    common = [
        pl.lit(analysis).alias("analysis"),
        pl.lit(outcome).alias("outcome"),
        *_group_columns(by),
    ]
    counts = table.select(
        *common,
        pl.lit("count").alias("statistic"),
        pl.col("numerator").cast(pl.Float64).alias("estimate"),
        pl.lit(None, dtype=pl.Float64).alias("ci_lower"),
        pl.lit(None, dtype=pl.Float64).alias("ci_upper"),
        pl.col("denominator").alias("n"),
        "suppressed",
    )
    shares = table.select(
        *common,
        pl.lit("proportion").alias("statistic"),
        pl.col("proportion").alias("estimate"),
        "ci_lower",
        "ci_upper",
        pl.col("denominator").alias("n"),
        "suppressed",
    )
    return conform(pl.concat([counts, shares], how="vertical"))


def from_counts(table: pl.DataFrame, analysis: str, by: list[str], column: str) -> pl.DataFrame:
    """Long rows (statistic `n`) from a table of counts of people per group."""
    return conform(
        table.select(
            pl.lit(analysis).alias("analysis"),
            pl.lit("participants").alias("outcome"),
            *_group_columns(by),
            pl.lit("n").alias("statistic"),
            pl.col(column).cast(pl.Float64).alias("estimate"),
            pl.lit(None, dtype=pl.Float64).alias("ci_lower"),
            pl.lit(None, dtype=pl.Float64).alias("ci_upper"),
            pl.col(column).alias("n"),
            "suppressed",
        )
    )


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast to the results schema, in schema column order."""
    return frame.select(pl.col(name).cast(dtype) for name, dtype in RESULT_SCHEMA.items())


def combine(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Stack result parts into one deterministically ordered table."""
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat([conform(p) for p in parts], how="vertical").sort(list(SORT_KEY))


def write_results(results: pl.DataFrame, csv_path: Path, parquet_path: Path) -> None:
    """Write the results as CSV and Parquet (both byte-reproducible for the same table)."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    results.write_csv(csv_path)
    results.write_parquet(parquet_path, compression="zstd", statistics=False)
