"""The long-format results table: one row per published number (see docs/outputs.md).

Columns: analysis, outcome, window, population, grouping, group, statistic, estimate,
ci_lower, ci_upper, n, suppressed. `grouping` names the grouping variables joined by `|`
(`all` for the whole cohort) and `group` their values in the same order. Rows are sorted and
floats written in shortest round-trip form, so the same inputs give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

RESULT_SCHEMA: dict[str, type[pl.DataType]] = {
    "analysis": pl.String,
    "outcome": pl.String,
    "window": pl.String,
    "population": pl.String,
    "grouping": pl.String,
    "group": pl.String,
    "statistic": pl.String,
    "estimate": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "n": pl.Int64,
    "suppressed": pl.Boolean,
}
SORT_KEY = ("analysis", "outcome", "window", "population", "grouping", "group", "statistic")
GROUP_SEPARATOR = "|"
MISSING_GROUP = "(missing)"


@dataclass(frozen=True)
class Stat:
    """Where one statistic's values sit in a wide table."""

    estimate: str
    ci_lower: str | None = None
    ci_upper: str | None = None
    suppressed: str = "suppressed"


def group_columns(by: Sequence[str]) -> list[pl.Expr]:
    """Build the `grouping` and `group` columns for a table grouped by `by`."""
    if not by:
        return [pl.lit("all").alias("grouping"), pl.lit("all").alias("group")]
    return [
        pl.lit(GROUP_SEPARATOR.join(by)).alias("grouping"),
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null(MISSING_GROUP) for c in by],
            separator=GROUP_SEPARATOR,
        ).alias("group"),
    ]


def long_rows(
    table: pl.DataFrame,
    *,
    analysis: str,
    outcome: str,
    by: Sequence[str],
    stats: dict[str, Stat],
    n: str,
    window: str | None = None,
    population: str | None = None,
) -> pl.DataFrame:
    """Turn a wide table (one row per group) into long result rows, one per statistic.

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"service": ["IPS"], "k": [5], "m": [10], "p": [0.5],
    ...                   "lo": [0.2], "hi": [0.8], "suppressed": [False]})
    >>> rows = long_rows(t, analysis="employment", outcome="employed", by=["service"],
    ...                  stats={"count": Stat("k"), "proportion": Stat("p", "lo", "hi")}, n="m")
    >>> rows.select("group", "statistic", "estimate", "ci_lower", "n").rows()
    [('IPS', 'count', 5.0, None, 10), ('IPS', 'proportion', 0.5, 0.2, 10)]
    """
    parts = []
    for statistic, stat in stats.items():
        parts.append(
            table.select(
                pl.lit(analysis).alias("analysis"),
                pl.lit(outcome).alias("outcome"),
                pl.lit(window, dtype=pl.String).alias("window"),
                pl.lit(population, dtype=pl.String).alias("population"),
                *group_columns(by),
                pl.lit(statistic).alias("statistic"),
                pl.col(stat.estimate).cast(pl.Float64).alias("estimate"),
                _optional(stat.ci_lower).alias("ci_lower"),
                _optional(stat.ci_upper).alias("ci_upper"),
                pl.col(n).cast(pl.Int64).alias("n"),
                pl.col(stat.suppressed).alias("suppressed"),
            )
        )
    return conform(pl.concat(parts, how="vertical"))


def _optional(column: str | None) -> pl.Expr:
    return pl.lit(None, dtype=pl.Float64) if column is None else pl.col(column).cast(pl.Float64)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast to the results schema, in schema column order."""
    return frame.select(pl.col(name).cast(dtype) for name, dtype in RESULT_SCHEMA.items())


def combine(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Stack result parts into one deterministically ordered table."""
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    stacked = pl.concat([conform(p) for p in parts], how="vertical")
    return stacked.sort(list(SORT_KEY), nulls_last=False)


def cohort_services(results: pl.DataFrame, intervention: str) -> list[str]:
    """Return the services of the published cohort counts, the intervention first.

    Examples
    --------
    >>> t = pl.DataFrame({"analysis": ["cohort"] * 3, "grouping": "service",
    ...                   "group": ["TAU", "IPS", "A"]})
    >>> cohort_services(t, "IPS")
    ['IPS', 'A', 'TAU']
    """
    found = results.filter((pl.col("analysis") == "cohort") & (pl.col("grouping") == "service"))
    return sorted(set(found["group"].to_list()), key=lambda name: (name != intervention, name))


def write_results(results: pl.DataFrame, csv_path: Path, parquet_path: Path) -> None:
    """Write the results as CSV and Parquet (both byte-reproducible for the same table)."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    results.write_csv(csv_path)
    results.write_parquet(parquet_path, compression="zstd", statistics=False)
