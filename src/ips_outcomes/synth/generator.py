"""`generate`: draw a whole synthetic cohort from a `SynthConfig`."""

from __future__ import annotations

import numpy as np
import polars as pl

from ips_outcomes.synth.arrays import _dates, _frame, _labels
from ips_outcomes.synth.model import (
    BENEFITS,
    DIAGNOSES,
    EDUCATION_LEVELS,
    GENDERS,
    SERVICES,
    TIMEPOINTS,
    SynthConfig,
    SyntheticCohort,
)
from ips_outcomes.synth.people import (
    _assign_services,
    _episodes,
    _hazard,
    _people,
    _site_effects,
    _truth,
)
from ips_outcomes.synth.spells import _assessments, _education, _fidelity, _jobs


def generate(config: SynthConfig) -> SyntheticCohort:
    """Generate a synthetic IPS cohort.

    Parameters
    ----------
    config
        Size, seed and model parameters.

    Returns
    -------
    SyntheticCohort
        The five contract tables (typed polars frames), the model truth and the data cut-off.

    Examples
    --------
    >>> cohort = generate(SynthConfig(participants=200, seed=1))
    >>> cohort.participants.height
    200
    >>> sorted(cohort.truth["p_competitive_job"])
    ['IPS', 'TAU', 'Traditional VR']
    """
    if config.participants < 1:
        raise ValueError("participants must be at least 1")
    if len({len(config.sites), len(config.site_shares), len(config.site_fidelity)}) != 1:
        raise ValueError("sites, site_shares and site_fidelity must have the same length")
    rng = np.random.default_rng(config.seed)
    p = _people(rng, config)
    p["service"] = _assign_services(rng, p, config)
    p["ips"] = p["service"] == 0
    p["site_lm"], p["site_fid"] = _site_effects(rng, config)
    p["hazard"] = _hazard(p, config)
    years = p["enrol"].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    participants = _frame(
        "participants",
        {
            "participant_id": p["pid"],
            "site": _labels(config.sites, p["site"]),
            "service": _labels(SERVICES, p["service"]),
            "enrolment_date": _dates(p["enrol"]),
            **_episodes(rng, p, config),
            "followup_end_date": _dates(p["end_obs"], p["lost"]),
            "age_at_enrolment": pl.Series(p["age"]),
            "gender": _labels(GENDERS, p["gender"]),
            "diagnosis_group": _labels(DIAGNOSES, p["diagnosis"]),
            "education": _labels(EDUCATION_LEVELS, p["education"]),
            "worked_last_5y": pl.Series(p["worked"]),
            "in_work_at_entry": pl.Series(p["in_work"]),
            "benefit": _labels(BENEFITS, p["benefit"]),
            "cohort": pl.Series(years).cast(pl.String),
        },
    )
    jobs = _jobs(rng, p, config)
    education = _education(rng, p, config)
    who5 = _assessments(rng, p, config)
    return SyntheticCohort(
        participants=participants,
        jobs=jobs,
        education=education,
        assessments=_with_status(who5, participants, jobs, education),
        fidelity=_fidelity(rng, config),
        truth=_truth(config, p),
        data_cutoff=config.data_cutoff,
    )


def _with_status(
    assessments: pl.DataFrame,
    participants: pl.DataFrame,
    jobs: pl.DataFrame,
    education: pl.DataFrame,
) -> pl.DataFrame:
    """Add a `work_or_study` item (1 = yes) to every 12-month assessment.

    The answer is the truth of the spells on enrolment + 12 calendar months, so a pipeline that
    reads either source must agree with the other.
    """
    month12 = assessments.filter(pl.col("timepoint") == "12m").join(
        participants.select(
            "participant_id", pl.col("enrolment_date").dt.offset_by("12mo").alias("status_date")
        ),
        on="participant_id",
    )
    spells = pl.concat(
        [
            jobs.filter(pl.col("competitive")).select("participant_id", "start_date", "end_date"),
            education.select("participant_id", "start_date", "end_date"),
        ]
    )
    busy = (
        month12.select("participant_id", "status_date")
        .join(spells, on="participant_id")
        .filter(
            (pl.col("start_date") <= pl.col("status_date"))
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("status_date")))
        )
        .get_column("participant_id")
        .unique()
    )
    status = month12.select(
        "participant_id",
        "timepoint",
        "assessment_date",
        pl.lit("work_or_study").alias("instrument"),
        pl.col("participant_id").is_in(busy.implode()).cast(pl.Float64).alias("score"),
    )
    order = pl.col("timepoint").replace_strict({t: i for i, t in enumerate(TIMEPOINTS)})
    return pl.concat([assessments, status]).sort("participant_id", order, "instrument")
