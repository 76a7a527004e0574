"""Per-participant employment outcomes computed in DuckDB from the ingested tables.

This first version holds what the foundation report needs: whether each person was ever in a
competitive job during their observation. The full analysis dataset (windows, weeks, hours,
earnings, the THL pair) builds on the same observation-period definition.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

OBSERVATION_SQL = """
SELECT
    p.participant_id,
    p.site,
    p.service,
    p.cohort,
    p.enrolment_date,
    LEAST(COALESCE(p.followup_end_date, $cutoff), $cutoff) AS observation_end
FROM participants AS p
"""

EVER_EMPLOYED_SQL = f"""
WITH observed AS ({OBSERVATION_SQL})
SELECT
    o.*,
    EXISTS (
        SELECT 1 FROM jobs AS j
        WHERE j.participant_id = o.participant_id
          AND j.competitive
          AND j.start_date <= o.observation_end
          AND COALESCE(j.end_date, o.observation_end) >= o.enrolment_date
    ) AS ever_competitive
FROM observed AS o
ORDER BY o.participant_id
"""


def ever_employed(con: duckdb.DuckDBPyConnection, data_cutoff: dt.date) -> pl.DataFrame:
    """One row per participant: observation period and whether a competitive job overlapped it.

    A job counts when it is competitive and any of its days falls between the enrolment date
    and the end of observation (`followup_end_date`, or the data cut-off when that is empty or
    later). A job that began before enrolment and was still running at entry counts.

    Parameters
    ----------
    con
        Connection to an ingested cohort database.
    data_cutoff
        The data cut-off date.

    Returns
    -------
    pl.DataFrame
        Columns participant_id, site, service, cohort, enrolment_date, observation_end,
        ever_competitive.

    Examples
    --------
    >>> import duckdb, datetime as dt
    >>> con = duckdb.connect()
    >>> _ = con.execute(
    ...     "CREATE TABLE participants AS SELECT 'P1' AS participant_id, 'A' AS site, "
    ...     "'IPS' AS service, NULL::VARCHAR AS cohort, DATE '2021-01-01' AS enrolment_date, "
    ...     "NULL::DATE AS followup_end_date"
    ... )
    >>> _ = con.execute(
    ...     "CREATE TABLE jobs AS SELECT 'P1' AS participant_id, DATE '2021-03-01' AS "
    ...     "start_date, NULL::DATE AS end_date, TRUE AS competitive"
    ... )
    >>> ever_employed(con, dt.date(2022, 1, 1))["ever_competitive"].to_list()
    [True]
    """
    frame: pl.DataFrame = con.sql(EVER_EMPLOYED_SQL, params={"cutoff": data_cutoff}).pl()
    return frame
