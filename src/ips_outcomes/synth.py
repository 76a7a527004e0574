"""Deterministic synthetic IPS cohorts that follow input data contract v1.

The generator draws a multi-site cohort of people enrolled in IPS or in one of two control
services, with competitive and non-competitive job spells, education spells, WHO-5 assessments
and IPS-25 fidelity reviews. Time to the first competitive job is exponential with proportional
hazards; the defaults are calibrated to EQOLISE (Burns et al. 2007): about 55 % of IPS and 28 %
of control participants get a competitive job within 18 months, and 13 % vs 45 % drop out.
Everything is vectorised over participants, so a million people take seconds.

The model's true values are returned in `SyntheticCohort.truth`, so analyses can be checked
against what was simulated.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ips_outcomes.contract import FIDELITY_ITEMS, TABLES

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Average month length in days; "18 months" means ``18 * DAYS_PER_MONTH`` days.
DAYS_PER_MONTH = 365.25 / 12
# fmt: off
SERVICES = ("IPS", "Traditional VR", "TAU")
GENDERS = ("female", "male", "other")
DIAGNOSES = ("F20-F29", "F30-F39", "F40-F48", "F60-F69")
EDUCATION_LEVELS = ("basic", "upper secondary", "tertiary")
BENEFITS = ("disability pension", "sickness allowance", "unemployment benefit",
            "social assistance", "none")
EXIT_REASONS = ("completed", "dropped out", "moved", "other")
TIMEPOINTS = ("baseline", "6m", "12m")
OCCUPATIONS = ("Myyjä", "Siivooja", "Lagerarbetare", "Kokk", "Vaktmästare", "Lähihoitaja",
               "Kassör", "Butikkmedarbeider", "Keittiöapulainen", "Städare", "Sjåfør",
               "Kiinteistönhoitaja")
NONCOMPETITIVE = ("työkokeilu", "arbetspraktik", "arbeidstrening", "työtoiminta")
PROGRAMMES = ("ammattikoulu", "lukio", "ammattikorkeakoulu", "yrkesutbildning", "folkhögskola",
              "videregående skole", "university")
# fmt: on
CSV_TRUE, CSV_FALSE = "kyllä", "ei"


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthetic cohort; the defaults reproduce EQOLISE-like figures.

    Hazards are per month; log-HRs act multiplicatively on the job hazard. `hr_ips` is the
    conditional IPS vs control hazard ratio at a site of average fidelity. Age enters as
    ``(age - 35) / 10``. Sites get a labour-market log-HR (``N(0, site_sd)``, all services) and,
    for IPS only, ``fidelity_slope * (fidelity - mean fidelity) / 10``; both are centred on the
    site shares. Re-employment gaps have hazard ``reemployment_factor`` times the first-job one.
    """

    participants: int = 600
    seed: int = 2024
    data_cutoff: dt.date = dt.date(2025, 12, 31)
    enrolment_start: dt.date = dt.date(2021, 1, 1)
    enrolment_end: dt.date = dt.date(2024, 12, 31)
    assignment: Literal["randomised"] = "randomised"
    service_shares: tuple[float, float, float] = (0.5, 0.25, 0.25)
    sites: tuple[str, ...] = ("Jyväskylä", "Tampere", "Åbo", "Malmö", "Bergen", "Tromsø")
    site_shares: tuple[float, ...] = (0.2, 0.2, 0.15, 0.15, 0.15, 0.15)
    site_fidelity: tuple[int, ...] = (118, 108, 101, 95, 88, 80)
    fidelity_slope: float = 0.12
    site_sd: float = 0.08
    baseline_monthly_hazard: float = 0.0172
    hr_ips: float = 2.6
    log_hr_worked_last_5y: float = 0.6
    log_hr_age_per_10y: float = -0.2
    log_hr_f20_f29: float = -0.3
    log_hr_disability_pension: float = -0.5
    reemployment_factor: float = 2.0
    max_competitive_jobs: int = 4
    median_tenure_weeks: float = 20.0
    tenure_sigma: float = 1.0
    noncompetitive_ips: float = 0.10
    noncompetitive_control: float = 0.30
    dropout_ips: float = 0.13
    dropout_control: float = 0.45
    moved: float = 0.04
    other_exit: float = 0.04
    lost_to_followup: float = 0.05
    in_work_at_entry: float = 0.04
    worked_last_5y: float = 0.45
    contact_median_days_ips: float = 20.0
    contact_sigma_ips: float = 1.05
    contact_missing_ips: float = 0.05
    contact_median_days_control: float = 120.0
    contact_missing_control: float = 0.6
    education_share: float = 0.10
    assessment_missing: float = 0.20
    who5_gain_12m_ips: float = 12.0
    who5_gain_12m_control: float = 6.0


@dataclass(frozen=True)
class SyntheticCohort:
    """A generated cohort: the five contract tables, the model's truth and the data cut-off."""

    participants: pl.DataFrame
    jobs: pl.DataFrame
    education: pl.DataFrame
    assessments: pl.DataFrame
    fidelity: pl.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)
    data_cutoff: dt.date = dt.date(2025, 12, 31)

    def tables(self) -> dict[str, pl.DataFrame]:
        """Return the tables by contract name, in contract order."""
        return {name: getattr(self, name) for name in TABLES}


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _pick(rng: np.random.Generator, probs: tuple[float, ...] | list[float], n: int) -> IntArray:
    """Draw `n` category indices with the given probabilities (vectorised inverse CDF)."""
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    idx = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
    return np.minimum(idx, len(cdf) - 1).astype(np.int64)


def _days_between(rng: np.random.Generator, lo: float, hi: float, n: int) -> IntArray:
    return np.floor(rng.uniform(lo, hi, n)).astype(np.int64)


def _dates(days: IntArray, valid: BoolArray | None = None) -> pl.Series:
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return s if valid is None else s.set(pl.Series(~valid), None)


def _labels(labels: tuple[str, ...], idx: IntArray, valid: BoolArray | None = None) -> pl.Series:
    s = pl.Series(labels, dtype=pl.String).gather(pl.Series(idx))
    return s if valid is None else s.set(pl.Series(~valid), None)


def _frame(table: str, columns: dict[str, pl.Series]) -> pl.DataFrame:
    """Build a contract table, with its columns in contract order and contract dtypes."""
    schema = TABLES[table].polars_schema
    return pl.DataFrame([columns[c].alias(c).cast(t) for c, t in schema.items()])


def _people(rng: np.random.Generator, cfg: SynthConfig) -> dict[str, Any]:
    """Draw ids, baseline covariates, enrolment and end of observation (no service yet)."""
    n, cutoff = cfg.participants, _day(cfg.data_cutoff)
    width = max(6, len(str(n)))
    pid = pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(width)
    enrol = rng.integers(_day(cfg.enrolment_start), _day(cfg.enrolment_end) + 1, n)
    lost = rng.random(n) < cfg.lost_to_followup
    fu_end = np.where(lost, np.floor(rng.uniform(enrol + 30, cutoff + 1)), cutoff).astype(np.int64)
    in_work = rng.random(n) < cfg.in_work_at_entry
    p_worked = (cfg.worked_last_5y - cfg.in_work_at_entry) / (1 - cfg.in_work_at_entry)
    return {
        "pid": pid.str.pad_start(width + 1, "P"),
        "site": _pick(rng, cfg.site_shares, n),
        "enrol": enrol.astype(np.int64),
        "lost": lost,
        "end_obs": fu_end,
        "age": np.round(18 + 46 * rng.beta(2.0, 3.4, n), 1),
        "gender": _pick(rng, (0.45, 0.53, 0.02), n),
        "diagnosis": _pick(rng, (0.45, 0.35, 0.12, 0.08), n),
        "education": _pick(rng, (0.35, 0.45, 0.20), n),
        "benefit": _pick(rng, (0.30, 0.25, 0.20, 0.15, 0.10), n),
        "in_work": in_work,
        "worked": in_work | (rng.random(n) < p_worked),
    }


def _assign_services(rng: np.random.Generator, p: dict[str, Any], cfg: SynthConfig) -> IntArray:
    """Assign each person an index into `SERVICES`.

    Only randomised assignment exists; an observational design would make the probabilities
    depend on the covariates in `p` here.
    """
    if cfg.assignment != "randomised":
        raise ValueError(f"unknown assignment {cfg.assignment!r}")
    return _pick(rng, cfg.service_shares, len(p["enrol"]))


def _site_effects(rng: np.random.Generator, cfg: SynthConfig) -> tuple[FloatArray, FloatArray]:
    """Return (labour-market log-HR for everyone, fidelity log-HR for IPS) per site."""
    w = np.asarray(cfg.site_shares, dtype=np.float64) / sum(cfg.site_shares)
    fid = np.asarray(cfg.site_fidelity, dtype=np.float64)
    noise = rng.normal(0.0, cfg.site_sd, len(fid))
    return noise - w @ noise, cfg.fidelity_slope * (fid - w @ fid) / 10


def _hazard(p: dict[str, Any], cfg: SynthConfig) -> FloatArray:
    """Daily hazard of the first competitive job."""
    lp = (
        (math.log(cfg.hr_ips) + p["site_fid"][p["site"]]) * p["ips"]
        + p["site_lm"][p["site"]]
        + cfg.log_hr_worked_last_5y * p["worked"]
        + cfg.log_hr_age_per_10y * (p["age"] - 35.0) / 10
        + cfg.log_hr_f20_f29 * (p["diagnosis"] == 0)
        + cfg.log_hr_disability_pension * (p["benefit"] == 0)
    )
    return np.asarray(cfg.baseline_monthly_hazard / DAYS_PER_MONTH * np.exp(lp), dtype=np.float64)


def _spell_details(rng: np.random.Generator, n: int, wage: tuple[float, float]) -> FloatArray:
    """Weekly hours (mean 20, sd 8, 4-40) and monthly earnings at an hourly wage in `wage`."""
    hours = np.round(np.clip(rng.normal(20.0, 8.0, n), 4.0, 40.0), 1)
    return np.stack([hours, np.round(hours * 4.33 * rng.uniform(*wage, n), 2)])


def _jobs(rng: np.random.Generator, p: dict[str, Any], cfg: SynthConfig) -> pl.DataFrame:
    """Competitive spells (up to `max_competitive_jobs`) and at most one non-competitive one.

    A person in work at entry has a first spell that started 1-48 months before enrolment.
    """
    hazard, enrol, end_obs, in_work = p["hazard"], p["enrol"], p["end_obs"], p["in_work"]
    n, k = len(hazard), cfg.max_competitive_jobs
    first = np.floor(np.minimum(rng.exponential(1.0 / hazard), 1e5)).astype(np.int64)
    log_median = math.log(7 * cfg.median_tenure_weeks)
    tenure = np.ceil(rng.lognormal(log_median, cfg.tenure_sigma, (n, k))).astype(np.int64)
    gap_rate = hazard * cfg.reemployment_factor
    gaps = np.floor(np.minimum(rng.exponential(1.0, (n, k)) / gap_rate[:, None], 1e5))
    start = np.empty((n, k), dtype=np.int64)
    end = np.empty((n, k), dtype=np.int64)
    start[:, 0] = np.where(in_work, enrol - _days_between(rng, 30, 1461, n), enrol + first)
    end[:, 0] = np.where(in_work, enrol, start[:, 0] - 1) + tenure[:, 0]
    for j in range(1, k):
        start[:, j] = end[:, j - 1] + 1 + gaps[:, j].astype(np.int64)
        end[:, j] = start[:, j] + tenure[:, j] - 1
    comp = start <= end_obs[:, None]
    nc_start = enrol + _days_between(rng, 7, 365, n)
    nc_p = np.where(p["ips"], cfg.noncompetitive_ips, cfg.noncompetitive_control)
    nc = (rng.random(n) < nc_p) & (nc_start <= end_obs)
    nc_end = nc_start + _days_between(rng, 30, 181, n)
    who = np.concatenate([np.nonzero(comp)[0], np.flatnonzero(nc)])
    s = np.concatenate([start[comp], nc_start[nc]])
    e = np.concatenate([end[comp], nc_end[nc]])
    competitive = np.arange(len(who)) < comp.sum()
    order = np.lexsort((s, who))
    who, s, e, competitive = who[order], s[order], e[order], competitive[order]
    m = len(who)
    paid, sheltered = _spell_details(rng, m, (12.0, 20.0)), _spell_details(rng, m, (1.0, 5.0))
    details = np.where(competitive, paid, sheltered)
    occupation = _labels(OCCUPATIONS, _pick(rng, [1.0] * len(OCCUPATIONS), m))
    other = _labels(NONCOMPETITIVE, _pick(rng, [1.0] * len(NONCOMPETITIVE), m))
    return _frame(
        "jobs",
        {
            "participant_id": p["pid"].gather(pl.Series(who)),
            "start_date": _dates(s),
            "end_date": _dates(e, e <= end_obs[who]),
            "competitive": pl.Series(competitive),
            "hours_per_week": pl.Series(details[0]),
            "monthly_earnings": pl.Series(details[1]),
            "occupation": occupation.zip_with(pl.Series(competitive), other),
        },
    )


def _episodes(rng: np.random.Generator, p: dict[str, Any], cfg: SynthConfig) -> dict[str, Any]:
    """Service exit and first employer contact columns of the participants table."""
    ips, enrol, end_obs = p["ips"], p["enrol"], p["end_obs"]
    n = len(ips)
    drop = np.where(ips, cfg.dropout_ips, cfg.dropout_control)
    u = rng.random(n)
    reason = np.select(
        [u < drop, u < drop + cfg.moved, u < drop + cfg.moved + cfg.other_exit], [1, 2, 3], 0
    ).astype(np.int64)
    lo, hi = np.array([183, 14, 30, 30])[reason], np.array([731, 366, 541, 541])[reason]
    exit_day = enrol + np.floor(lo + (hi - lo) * rng.random(n)).astype(np.int64)
    exited = exit_day <= end_obs
    median = np.where(ips, cfg.contact_median_days_ips, cfg.contact_median_days_control)
    sigma = np.where(ips, cfg.contact_sigma_ips, 0.8)
    contact = enrol + np.floor(median * np.exp(sigma * rng.standard_normal(n))).astype(np.int64)
    missing = rng.random(n) < np.where(ips, cfg.contact_missing_ips, cfg.contact_missing_control)
    has_contact = ~missing & (contact <= end_obs) & (contact <= exit_day)
    return {
        "exit_date": _dates(exit_day, exited),
        "exit_reason": _labels(EXIT_REASONS, reason, exited),
        "first_employer_contact_date": _dates(contact, has_contact),
    }


def _education(rng: np.random.Generator, p: dict[str, Any], cfg: SynthConfig) -> pl.DataFrame:
    """Education spells, about twice as common under 25 and half as common over 35."""
    age, enrol, end_obs = p["age"], p["enrol"], p["end_obs"]
    n = len(age)
    rel = np.where(age < 25, 2.0, np.where(age < 35, 1.0, 0.5))
    start = enrol + _days_between(rng, 0, 541, n)
    has = (rng.random(n) < cfg.education_share * rel / rel.mean()) & (start <= end_obs)
    end = start + _days_between(rng, 120, 1100, n)
    who = np.flatnonzero(has)
    return _frame(
        "education",
        {
            "participant_id": p["pid"].gather(pl.Series(who)),
            "start_date": _dates(start[who]),
            "end_date": _dates(end[who], end[who] <= end_obs[who]),
            "programme": _labels(PROGRAMMES, _pick(rng, [1.0] * len(PROGRAMMES), len(who))),
        },
    )


def _assessments(rng: np.random.Generator, p: dict[str, Any], cfg: SynthConfig) -> pl.DataFrame:
    """WHO-5 (0-100, steps of 4) at baseline, 6 and 12 months; follow-ups may be missing."""
    enrol, end_obs = p["enrol"], p["end_obs"]
    n = len(enrol)
    gain12 = np.where(p["ips"], cfg.who5_gain_12m_ips, cfg.who5_gain_12m_control)
    latent = rng.normal(42.0, 18.0, n)
    miss = cfg.assessment_missing
    blocks = []
    for t, (target, spread, gain, p_miss) in enumerate(
        ((7, 4, 0.0, 0.03), (183, 10, 2 / 3, miss), (365, 14, 1.0, miss))
    ):
        date = enrol + np.clip(np.round(rng.normal(target, spread, n)), 0, None).astype(np.int64)
        score = latent + gain * gain12 + (rng.normal(0.0, 12.0, n) if t else 0.0)
        who = np.flatnonzero((rng.random(n) >= p_miss) & (date <= end_obs))
        blocks.append((who, np.full(len(who), t), date[who], 4 * np.round(score[who] / 4)))
    who, tp, date, score = (np.concatenate(parts) for parts in zip(*blocks, strict=True))
    order = np.lexsort((tp, who))
    return _frame(
        "assessments",
        {
            "participant_id": p["pid"].gather(pl.Series(who[order])),
            "timepoint": _labels(TIMEPOINTS, tp[order]),
            "assessment_date": _dates(date[order]),
            "instrument": pl.repeat("WHO-5", len(who), eager=True),
            "score": pl.Series(np.clip(score[order], 0.0, 100.0)),
        },
    )


def _fidelity(rng: np.random.Generator, cfg: SynthConfig) -> pl.DataFrame:
    """One or two IPS-25 reviews per site with item scores summing close to the true total."""
    sites, dates, scores = [], [], []
    n_items = len(FIDELITY_ITEMS)
    for site, true_total in zip(cfg.sites, cfg.site_fidelity, strict=True):
        first = _day(dt.date(2021, 6, 1)) + int(rng.integers(0, 395))
        for review in range(1 + int(rng.random() < 0.5)):
            total = int(np.clip(true_total + round(rng.normal(0.0, 3.0)), n_items, 5 * n_items))
            item = np.clip(np.round(total / n_items + rng.normal(0.0, 0.7, n_items)), 1, 5)
            while (diff := total - int(item.sum())) != 0:
                ok = np.flatnonzero(item < 5) if diff > 0 else np.flatnonzero(item > 1)
                item[rng.choice(ok)] += np.sign(diff)
            sites += [site] * n_items
            dates += [first + review * (365 + int(rng.integers(-30, 31)))] * n_items
            scores += item.astype(np.int64).tolist()
    return _frame(
        "fidelity",
        {
            "site": pl.Series(sites, dtype=pl.String),
            "review_date": _dates(np.asarray(dates, dtype=np.int64)),
            "item": pl.Series(list(FIDELITY_ITEMS) * (len(sites) // n_items), dtype=pl.String),
            "score": pl.Series(scores, dtype=pl.Int64),
        },
    )


def _truth(cfg: SynthConfig, p: dict[str, Any]) -> dict[str, Any]:
    """Model truth; job probabilities are over people not in work at entry, ignoring censoring."""
    prob: dict[str, dict[str, float | None]] = {}
    for s, name in enumerate(SERVICES):
        h = p["hazard"][(p["service"] == s) & ~p["in_work"]]
        prob[name] = {
            f"{m}m": float(np.mean(1 - np.exp(-h * m * DAYS_PER_MONTH))) if len(h) else None
            for m in (6, 12, 18)
        }
    params = {
        k: v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v
        for k, v in asdict(cfg).items()
    }
    return {
        "seed": cfg.seed,
        "n": cfg.participants,
        "data_cutoff": cfg.data_cutoff.isoformat(),
        "services": list(SERVICES),
        "hr_ips_vs_control": cfg.hr_ips,
        "baseline_monthly_hazard": cfg.baseline_monthly_hazard,
        "log_hr": {
            "ips": math.log(cfg.hr_ips),
            "worked_last_5y": cfg.log_hr_worked_last_5y,
            "age_per_10y_from_35": cfg.log_hr_age_per_10y,
            "diagnosis_F20-F29": cfg.log_hr_f20_f29,
            "benefit_disability_pension": cfg.log_hr_disability_pension,
        },
        "sites": {
            site: {
                "fidelity_total": cfg.site_fidelity[i],
                "labour_market_log_hr": float(p["site_lm"][i]),
                "ips_fidelity_log_hr": float(p["site_fid"][i]),
            }
            for i, site in enumerate(cfg.sites)
        },
        "p_competitive_job": prob,
        "p_competitive_job_note": "mean of 1-exp(-H(t)) over people not in work at entry",
        "dropout": {s: cfg.dropout_ips if s == "IPS" else cfg.dropout_control for s in SERVICES},
        "who5_gain_12m": {
            s: cfg.who5_gain_12m_ips if s == "IPS" else cfg.who5_gain_12m_control for s in SERVICES
        },
        "parameters": params,
    }


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
    return SyntheticCohort(
        participants=participants,
        jobs=_jobs(rng, p, config),
        education=_education(rng, p, config),
        assessments=_assessments(rng, p, config),
        fidelity=_fidelity(rng, config),
        truth=_truth(config, p),
        data_cutoff=config.data_cutoff,
    )


def write(
    cohort: SyntheticCohort, out_dir: Path, fmt: Literal["csv", "parquet"] = "csv"
) -> list[Path]:
    """Write a cohort folder: one file per table, ``truth.json`` and ``cohort.yaml``.

    Parameters
    ----------
    cohort
        Cohort from `generate`.
    out_dir
        Folder to write into; created if missing. Existing files of the same names are replaced.
    fmt
        ``csv`` (Nordic dialect: ``;`` separator, decimal comma, ``dd.mm.yyyy`` dates,
        ``kyllä``/``ei`` booleans, empty = missing, UTF-8) or ``parquet`` (typed).

    Returns
    -------
    list of Path
        The files written, tables first in contract order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in cohort.tables().items():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            yes_no = [
                pl.when(pl.col(c)).then(pl.lit(CSV_TRUE)).otherwise(pl.lit(CSV_FALSE)).alias(c)
                for c, t in df.schema.items()
                if t == pl.Boolean
            ]
            df.with_columns(yes_no).write_csv(
                path, separator=";", decimal_comma=True, date_format="%d.%m.%Y", null_value=""
            )
        elif fmt == "parquet":
            df.write_parquet(path)
        else:
            raise ValueError(f"unknown format {fmt!r}; use 'csv' or 'parquet'")
        paths.append(path)
    truth, meta = out_dir / "truth.json", out_dir / "cohort.yaml"
    text = json.dumps(cohort.truth, sort_keys=True, indent=2) + "\n"
    truth.write_text(text, encoding="utf-8", newline="\n")
    text = f"data_cutoff: {cohort.data_cutoff.isoformat()}\nintervention: IPS\n"
    meta.write_text(text, encoding="utf-8", newline="\n")
    return [*paths, truth, meta]
