"""The time-to-first-job dataset: one row per participant not in work at entry.

Defaults (see `docs/outcomes.md`): time origin `enrolment_date`; event = start of the first
competitive job on or after enrolment; censored at the end of observation or at the horizon
(default 18 calendar months), whichever comes first. Leaving the service does not censor
(intention to treat). For the competing-risks view, dropping out of the service before a job
is a competing event (`cr_event` 2) at the exit date.
"""

from __future__ import annotations

import polars as pl

#: Covariates of the adjusted Cox model, as columns of the survival dataset.
COVARIATES: tuple[str, ...] = (
    "age_per_10y",
    "female",
    "psychosis",
    "worked_last_5y",
    "disability_pension",
)


def _days_since_enrolment(date: pl.Expr) -> pl.Expr:
    days: pl.Expr = (date - pl.col("enrolment_date")).dt.total_days()
    return days


def first_job_times(people: pl.DataFrame, horizon_months: int = 18) -> pl.DataFrame:
    """Survival times in days from the per-participant dataset.

    Parameters
    ----------
    people
        Per-participant frame of :func:`ips_outcomes.dataset.build_dataset`.
    horizon_months
        Follow-up horizon in calendar months.

    Returns
    -------
    pl.DataFrame
        participant_id, service, site, `time` (days), `event` (first job), `cr_time`,
        `cr_event` (0 censored, 1 job, 2 drop-out before a job), `horizon` (the person's
        horizon in days), and the Cox covariates.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> people = pl.DataFrame({
    ...     "participant_id": ["A", "B"], "service": ["IPS", "TAU"], "site": ["S", "S"],
    ...     "enrolment_date": [dt.date(2021, 1, 1)] * 2,
    ...     "observation_end": [dt.date(2025, 12, 31)] * 2,
    ...     "first_job_date": [dt.date(2021, 3, 2), None], "in_work_at_entry": [False] * 2,
    ...     "dropped_out": [False, True], "exit_date": [None, dt.date(2021, 2, 1)],
    ...     "age_at_enrolment": [30.0, 40.0], "gender": ["female", "male"],
    ...     "diagnosis_group": ["F20-F29", "F30-F39"], "worked_last_5y": [True, False],
    ...     "benefit": ["none", "disability pension"]})
    >>> first_job_times(people).select("time", "event", "cr_time", "cr_event").rows()
    [(60, True, 60, 1), (545, False, 31, 2)]
    """
    enrol = pl.col("enrolment_date")
    horizon_end = enrol.dt.offset_by(f"{horizon_months}mo") - pl.duration(days=1)
    censor = pl.min_horizontal(pl.col("observation_end"), horizon_end)
    job = pl.col("first_job_date").is_not_null() & (pl.col("first_job_date") <= censor)
    drop_first = (
        pl.col("dropped_out")
        & pl.col("exit_date").is_not_null()
        & (pl.col("exit_date") <= censor)
        & (~job | (pl.col("exit_date") < pl.col("first_job_date")))
    )
    return (
        people.filter(~pl.col("in_work_at_entry"))
        .select(
            "participant_id",
            "service",
            "site",
            pl.when(job)
            .then(_days_since_enrolment(pl.col("first_job_date")))
            .otherwise(_days_since_enrolment(censor))
            .alias("time"),
            job.alias("event"),
            pl.when(drop_first)
            .then(_days_since_enrolment(pl.col("exit_date")))
            .when(job)
            .then(_days_since_enrolment(pl.col("first_job_date")))
            .otherwise(_days_since_enrolment(censor))
            .alias("cr_time"),
            pl.when(drop_first).then(2).when(job).then(1).otherwise(0).alias("cr_event"),
            _days_since_enrolment(horizon_end).alias("horizon"),
            ((pl.col("age_at_enrolment") - 35) / 10).alias("age_per_10y"),
            (pl.col("gender") == "female").cast(pl.Int8).alias("female"),
            (pl.col("diagnosis_group") == "F20-F29").cast(pl.Int8).alias("psychosis"),
            pl.col("worked_last_5y").cast(pl.Int8),
            (pl.col("benefit") == "disability pension").cast(pl.Int8).alias("disability_pension"),
        )
        .sort("participant_id")
    )
