"""The per-participant analysis dataset, computed in DuckDB from the ingested tables.

Definitions (see :mod:`ips_outcomes.definitions` and `docs/outcomes.md`):

- *End of observation*: `followup_end_date`, or the data cut-off when that is empty or later.
- A window of *w* months covers `enrolment_date` up to the day before enrolment + *w*
  calendar months; the `service` window runs from enrolment to `exit_date` (or the end of
  observation while the episode is still open). A window is *complete* when observation
  reaches its last day (for `service`: the exit is recorded within observation). Measures of an
  incomplete window cover only the observed part, and the flag says so.
- Job spells with no `end_date` run to the end of observation. Competitive spells are merged on
  one timeline per person, so overlapping spells count once in weeks worked; on days covered by
  several spells the larger weekly hours and monthly earnings apply (never their sum).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import polars as pl

from ips_outcomes.definitions import AGE_BANDS, DAYS_PER_MONTH, SERVICE_WINDOW, STATUS_MONTHS

WINDOW_MEASURES = (
    "window_end",
    "window_complete",
    "employed",
    "new_job",
    "first_job_date",
    "days_to_first_job",
    "n_jobs",
    "weeks_worked",
    "longest_tenure_weeks",
    "total_hours",
    "mean_hours_per_week",
    "worked_20h",
    "total_earnings",
    "in_education",
)

_BASE = """
CREATE OR REPLACE TEMP TABLE base AS
SELECT p.*, LEAST(COALESCE(p.followup_end_date, $cutoff), $cutoff) AS observation_end
FROM participants AS p;

CREATE OR REPLACE TEMP TABLE spells AS
SELECT j.participant_id, j.start_date AS s,
       LEAST(COALESCE(j.end_date, b.observation_end), b.observation_end) AS e,
       j.hours_per_week AS hours, j.monthly_earnings AS earnings
FROM jobs AS j JOIN base AS b USING (participant_id)
WHERE j.competitive AND j.start_date <= b.observation_end;

CREATE OR REPLACE TEMP TABLE studies AS
SELECT e.participant_id, e.start_date AS s,
       LEAST(COALESCE(e.end_date, b.observation_end), b.observation_end) AS e
FROM education AS e JOIN base AS b USING (participant_id)
WHERE e.start_date <= b.observation_end;

-- Elementary segments: between consecutive spell boundaries the set of covering spells is
-- constant, so weeks, hours and earnings can be summed without double counting.
CREATE OR REPLACE TEMP TABLE segments AS
WITH bounds AS (
    SELECT participant_id, s AS b FROM spells
    UNION SELECT participant_id, e + 1 FROM spells
), cut AS (
    SELECT participant_id, b AS seg_start,
           LEAD(b) OVER (PARTITION BY participant_id ORDER BY b) - 1 AS seg_end
    FROM bounds
)
SELECT c.participant_id, c.seg_start, c.seg_end,
       -- exact decimals: a parallel float SUM adds in a different order on each run, and
       -- the results must be byte-identical
       CAST(MAX(sp.hours) AS DECIMAL(18, 4)) AS hours, BOOL_OR(sp.hours IS NULL) AS hours_missing,
       CAST(MAX(sp.earnings) AS DECIMAL(18, 4)) AS earnings,
       BOOL_OR(sp.earnings IS NULL) AS earnings_missing
FROM cut AS c JOIN spells AS sp
  ON sp.participant_id = c.participant_id AND sp.s <= c.seg_start AND sp.e >= c.seg_end
WHERE c.seg_end IS NOT NULL
GROUP BY ALL;
"""

_WINDOWS = f"""
WITH win AS (
    SELECT b.participant_id, w."window", w.position, b.enrolment_date AS window_start,
           b.observation_end, b.exit_date,
           CASE WHEN w.months IS NULL THEN COALESCE(b.exit_date, b.observation_end)
                ELSE CAST(b.enrolment_date + to_months(w.months) AS DATE) - 1
           END AS nominal_end,
           w.months
    FROM base AS b CROSS JOIN window_spec AS w
), w AS (
    SELECT *, LEAST(nominal_end, observation_end) AS window_end,
           CASE WHEN months IS NULL THEN exit_date IS NOT NULL AND exit_date <= observation_end
                ELSE observation_end >= nominal_end END AS window_complete
    FROM win
), by_spell AS (
    SELECT w.participant_id, w."window", COUNT(*) AS n_jobs,
           MAX(LEAST(sp.e, w.window_end) - GREATEST(sp.s, w.window_start) + 1) AS longest_days,
           MIN(CASE WHEN sp.s >= w.window_start THEN sp.s END) AS first_job_date
    FROM w JOIN spells AS sp ON sp.participant_id = w.participant_id
     AND sp.s <= w.window_end AND sp.e >= w.window_start
    GROUP BY ALL
), by_segment AS (
    SELECT participant_id, "window", SUM(days) AS days_worked,
           CAST(SUM(days * hours) AS DOUBLE) / 7.0 AS hours_sum,
           BOOL_OR(hours_missing) AS hours_missing,
           CAST(SUM(days * earnings) AS DOUBLE) / {DAYS_PER_MONTH!r} AS earnings_sum,
           BOOL_OR(earnings_missing) AS earnings_missing,
           CASE WHEN BOOL_OR(hours >= 20) THEN TRUE
                WHEN BOOL_OR(hours_missing) THEN NULL ELSE FALSE END AS worked_20h
    FROM (
        SELECT w.participant_id, w."window", g.hours, g.hours_missing, g.earnings,
               g.earnings_missing,
               LEAST(g.seg_end, w.window_end) - GREATEST(g.seg_start, w.window_start) + 1 AS days
        FROM w JOIN segments AS g ON g.participant_id = w.participant_id
         AND g.seg_start <= w.window_end AND g.seg_end >= w.window_start
    )
    GROUP BY ALL
), by_study AS (
    SELECT DISTINCT w.participant_id, w."window"
    FROM w JOIN studies AS st ON st.participant_id = w.participant_id
     AND st.s <= w.window_end AND st.e >= w.window_start
)
SELECT w.participant_id, w."window", w.window_end, w.window_complete,
       sp.n_jobs IS NOT NULL AS employed,
       sp.first_job_date IS NOT NULL AS new_job,
       sp.first_job_date,
       sp.first_job_date - w.window_start AS days_to_first_job,
       COALESCE(sp.n_jobs, 0) AS n_jobs,
       COALESCE(sg.days_worked, 0) / 7.0 AS weeks_worked,
       COALESCE(sp.longest_days, 0) / 7.0 AS longest_tenure_weeks,
       CASE WHEN sg.hours_missing THEN NULL ELSE COALESCE(sg.hours_sum, 0) END AS total_hours,
       CASE WHEN sg.days_worked > 0 AND NOT sg.hours_missing
            THEN sg.hours_sum / (sg.days_worked / 7.0) END AS mean_hours_per_week,
       CASE WHEN sp.n_jobs IS NULL THEN FALSE ELSE sg.worked_20h END AS worked_20h,
       CASE WHEN sg.earnings_missing THEN NULL ELSE COALESCE(sg.earnings_sum, 0) END
           AS total_earnings,
       st.participant_id IS NOT NULL AS in_education
FROM w
LEFT JOIN by_spell AS sp USING (participant_id, "window")
LEFT JOIN by_segment AS sg USING (participant_id, "window")
LEFT JOIN by_study AS st USING (participant_id, "window")
ORDER BY w.participant_id, w.position
"""

_AGE_BAND = (
    "CASE "
    + " ".join(
        f"WHEN b.age_at_enrolment >= {low} AND b.age_at_enrolment < {high} THEN '{label}'"
        for label, low, high in AGE_BANDS
    )
    + " END"
)

_PEOPLE = f"""
WITH status AS (
    SELECT participant_id, MAX(score) >= 1 AS reported
    FROM assessments
    WHERE lower(timepoint) = '{STATUS_MONTHS}m' AND lower(instrument) = lower($status_instrument)
      AND score IS NOT NULL
    GROUP BY participant_id
), dated AS (
    SELECT b.*, CAST(b.enrolment_date + INTERVAL {STATUS_MONTHS} MONTH AS DATE) AS status_date
    FROM base AS b
)
SELECT b.participant_id, b.site, b.service, b.cohort, b.enrolment_date, b.exit_date,
       b.exit_reason, b.followup_end_date, b.observation_end,
       b.age_at_enrolment, {_AGE_BAND} AS age_band, b.gender, b.diagnosis_group, b.education,
       b.worked_last_5y, b.benefit,
       b.in_work_at_entry AS in_work_at_entry_recorded,
       COALESCE(b.in_work_at_entry, FALSE) OR EXISTS (
           SELECT 1 FROM spells AS sp WHERE sp.participant_id = b.participant_id
             AND sp.s < b.enrolment_date AND sp.e >= b.enrolment_date
       ) AS in_work_at_entry,
       list_contains($dropout_reasons, lower(trim(b.exit_reason))) IS TRUE AS dropped_out,
       b.first_employer_contact_date - b.enrolment_date AS days_to_first_employer_contact,
       CASE WHEN b.first_employer_contact_date IS NOT NULL
                THEN b.first_employer_contact_date - b.enrolment_date <= 30
            WHEN b.observation_end - b.enrolment_date >= 30 THEN FALSE
       END AS employer_contact_within_30d,
       b.status_date, b.observation_end >= b.status_date AS observed_12m,
       EXISTS (SELECT 1 FROM spells AS sp WHERE sp.participant_id = b.participant_id
               AND sp.s <= b.status_date AND sp.e >= b.status_date) AS working_12m,
       EXISTS (SELECT 1 FROM studies AS st WHERE st.participant_id = b.participant_id
               AND st.s <= b.status_date AND st.e >= b.status_date) AS studying_12m,
       s.reported AS status_reported_12m,
       (SELECT MIN(sp.s) FROM spells AS sp WHERE sp.participant_id = b.participant_id
          AND sp.s >= b.enrolment_date) AS first_job_date
FROM dated AS b LEFT JOIN status AS s USING (participant_id)
ORDER BY b.participant_id
"""


def build_dataset(
    con: duckdb.DuckDBPyConnection,
    data_cutoff: dt.date,
    followup_months: Sequence[int],
    dropout_reasons: Sequence[str] = ("dropped out",),
    status_instrument: str = "work_or_study",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Compute the per-person and per-window measures of every participant.

    Parameters
    ----------
    con
        Connection to an ingested cohort database (only temporary tables are written).
    data_cutoff
        The data cut-off date.
    followup_months
        Follow-up windows in calendar months; the `service` window is always added.
    dropout_reasons
        `exit_reason` values (any case) that mean the person dropped out of the service.
    status_instrument
        Assessment instrument that records working or studying (score 1 = yes, 0 = no).

    Returns
    -------
    tuple of pl.DataFrame
        One row per participant, and one row per participant and window.
    """
    windows = [f"{m}m" for m in followup_months] + [SERVICE_WINDOW]
    spec = pl.DataFrame(
        {
            "window": windows,
            "months": [*followup_months, None],
            "position": list(range(len(windows))),
        },
        schema={"window": pl.String, "months": pl.Int32, "position": pl.Int32},
    )
    con.register("window_spec", spec)
    statements = [part for part in _BASE.split(";") if part.strip()]
    con.execute(statements[0], {"cutoff": data_cutoff})
    for statement in statements[1:]:
        con.execute(statement)
    people: pl.DataFrame = con.sql(
        _PEOPLE,
        params={
            "dropout_reasons": [r.strip().lower() for r in dropout_reasons],
            "status_instrument": status_instrument,
        },
    ).pl()
    per_window: pl.DataFrame = con.sql(_WINDOWS).pl()
    con.unregister("window_spec")
    people = people.with_columns(
        pl.when(pl.col("observed_12m") & (pl.col("working_12m") | pl.col("studying_12m")))
        .then(True)
        .when(pl.col("status_reported_12m").is_not_null())
        .then(pl.col("status_reported_12m"))
        .when(pl.col("observed_12m"))
        .then(False)
        .alias("working_or_studying_12m")
    )
    return people, per_window


def to_wide(people: pl.DataFrame, per_window: pl.DataFrame) -> pl.DataFrame:
    """One row per participant: person columns, then `<measure>_<window>` columns.

    Examples
    --------
    >>> import polars as pl
    >>> people = pl.DataFrame({"participant_id": ["P1"]})
    >>> windows = pl.DataFrame({"participant_id": ["P1", "P1"], "window": ["6m", "service"],
    ...                         "employed": [True, False]})
    >>> to_wide(people, windows).columns
    ['participant_id', 'employed_6m', 'employed_service']
    """
    order = per_window.get_column("window").unique(maintain_order=True).to_list()
    measures = [c for c in per_window.columns if c not in ("participant_id", "window")]
    wide = per_window.pivot(on="window", index="participant_id", values=measures)
    renamed = {f"{m}_{w}": f"{m}_{w}" for m in measures for w in order}
    if len(measures) == 1:  # polars names single-measure pivots by the window alone
        renamed = {w: f"{measures[0]}_{w}" for w in order}
        wide = wide.rename(renamed)
    columns = [f"{m}_{w}" for w in order for m in measures]
    return people.join(wide.select("participant_id", *columns), on="participant_id", how="left")
