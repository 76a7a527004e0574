"""The quarterly employment rate of IPS sites (IPS Learning Community, IPS Grow).

Of the people served by the intervention in a calendar quarter (service episode overlapping the
quarter), the share who worked in a competitive job on at least one day of that quarter. The
IPS Grow variant counts only people out of work at entry. Only quarters that ended on or before
the data cut-off are reported; a person's days after their end of observation are not seen.
Site rates are compared with the benchmarks 31 % (minimal), 41 % (average), 50 % (excellent)
and IPS Grow's 40 %.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from ips_outcomes.definitions import IPS_GROW_TARGET, QUARTERLY_BENCHMARKS
from ips_outcomes.rates import rate_results, rate_table
from ips_outcomes.results import Stat, conform, long_rows

VARIANTS = {
    "employment_rate": "all_served",
    "employment_rate_out_of_work_at_entry": "out_of_work_at_entry",
}

_SERVED = """
WITH episodes AS (
    SELECT b.participant_id, b.site, b.enrolment_date,
           LEAST(COALESCE(b.exit_date, b.observation_end), b.observation_end) AS episode_end
    FROM base AS b WHERE b.service = $intervention
), served AS (
    SELECT e.participant_id, e.site, e.enrolment_date, e.episode_end,
           CAST(UNNEST(generate_series(
               CAST(date_trunc('quarter', e.enrolment_date) AS DATE),
               CAST(date_trunc('quarter', e.episode_end) AS DATE),
               INTERVAL 3 MONTH)) AS DATE) AS quarter_start
    FROM episodes AS e
)
SELECT s.participant_id, s.site,
       strftime(s.quarter_start, '%Y') || 'Q' || CAST(quarter(s.quarter_start) AS VARCHAR)
           AS quarter,
       EXISTS (
           SELECT 1 FROM spells AS sp WHERE sp.participant_id = s.participant_id
             AND sp.s <= CAST(s.quarter_start + INTERVAL 3 MONTH AS DATE) - 1
             AND sp.e >= s.quarter_start
       ) AS worked
FROM served AS s
WHERE CAST(s.quarter_start + INTERVAL 3 MONTH AS DATE) - 1 <= $cutoff
ORDER BY s.participant_id, s.quarter_start
"""


def served_quarters(
    con: duckdb.DuckDBPyConnection, intervention: str, data_cutoff: dt.date
) -> pl.DataFrame:
    """One row per intervention participant and complete quarter served, with `worked`.

    Needs the temporary tables of :func:`ips_outcomes.dataset.build_dataset` on `con`.
    """
    frame: pl.DataFrame = con.sql(
        _SERVED, params={"intervention": intervention, "cutoff": data_cutoff}
    ).pl()
    return frame


def quarterly_results(served: pl.DataFrame, people: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Quarterly rates per site and overall, site averages, and the benchmarks.

    Parameters
    ----------
    served
        Output of :func:`served_quarters`.
    people
        Per-person dataset (for `in_work_at_entry`).
    threshold
        Small-cell threshold.

    Returns
    -------
    pl.DataFrame
        Long-format results, analysis `quarterly`; the quarter is in the `window` column and
        `all_quarters` holds each site's mean of its quarterly rates.
    """
    served = served.join(
        people.select("participant_id", "in_work_at_entry"), on="participant_id", how="left"
    )
    parts = []
    for outcome, population in VARIANTS.items():
        frame = served if population == "all_served" else served.filter(~pl.col("in_work_at_entry"))
        for by in (("quarter",), ("site", "quarter")):
            table = rate_table(frame, "worked", by)
            for quarter, rows in table.partition_by("quarter", as_dict=True).items():
                group_by = [c for c in by if c != "quarter"]
                parts.append(
                    rate_results(
                        rows.drop("excluded"),
                        threshold,
                        analysis="quarterly",
                        outcome=outcome,
                        by=group_by,
                        window=str(quarter[0]),
                        population=population,
                    )
                )
        parts.append(_site_means(frame, outcome, population, threshold))
    parts.append(_benchmarks())
    return pl.concat([conform(p) for p in parts], how="vertical")


def _site_means(frame: pl.DataFrame, outcome: str, population: str, threshold: int) -> pl.DataFrame:
    """Average each site's quarterly rates.

    Quarters with fewer people served than the threshold are left out, so no suppressed rate
    feeds the mean.
    """
    per_quarter = (
        frame.group_by("site", "quarter")
        .agg(pl.col("worked").mean().alias("rate"), pl.len().alias("served"))
        .filter(pl.col("served") >= threshold)
        .sort("site", "quarter")  # a float mean must sum in the same order every run
    )
    table = (
        per_quarter.group_by("site")
        .agg(pl.col("rate").mean().alias("mean_rate"), pl.len().alias("quarters"))
        .sort("site")
        .with_columns(pl.lit(False).alias("suppressed"), pl.lit(None).alias("people"))
    )
    return long_rows(
        table,
        analysis="quarterly",
        outcome=outcome,
        by=["site"],
        stats={"mean_quarterly_rate": Stat("mean_rate"), "quarters": Stat("quarters")},
        n="people",
        window="all_quarters",
        population=population,
    )


def _benchmarks() -> pl.DataFrame:
    names = [*QUARTERLY_BENCHMARKS, "ips_grow_target"]
    values = [*QUARTERLY_BENCHMARKS.values(), IPS_GROW_TARGET]
    table = pl.DataFrame(
        {"benchmark": names, "value": values, "people": [None] * len(names)},
        schema={"benchmark": pl.String, "value": pl.Float64, "people": pl.Int64},
    ).with_columns(pl.lit(False).alias("suppressed"))
    return long_rows(
        table,
        analysis="quarterly",
        outcome="benchmark",
        by=["benchmark"],
        stats={"proportion": Stat("value")},
        n="people",
    )


def benchmark_band(rate: float | None) -> str:
    """Where a site's mean quarterly rate sits among the benchmarks.

    Examples
    --------
    >>> [benchmark_band(r) for r in (0.52, 0.45, 0.33, 0.2, None)]
    ['excellent', 'average', 'minimal', 'below minimal', '']
    """
    if rate is None:
        return ""
    reached = [name for name, level in QUARTERLY_BENCHMARKS.items() if rate >= level]
    return reached[-1] if reached else "below minimal"
