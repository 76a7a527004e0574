"""People: covariates, service assignment, site effects, job hazard, episodes and truth."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl

from ips_outcomes.synth.arrays import _dates, _day, _labels, _pick
from ips_outcomes.synth.model import (
    DAYS_PER_MONTH,
    EXIT_REASONS,
    SERVICES,
    FloatArray,
    IntArray,
    SynthConfig,
)

#: Shares of the `BENEFITS` categories (disability pension first).
BENEFIT_SHARES = (0.30, 0.25, 0.20, 0.15, 0.10)


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
        "benefit": _pick(rng, BENEFIT_SHARES, n),
        "in_work": in_work,
        "worked": in_work | (rng.random(n) < p_worked),
    }


def _assign_services(rng: np.random.Generator, p: dict[str, Any], cfg: SynthConfig) -> IntArray:
    """Assign each person an index into `SERVICES`, at random or confounded (see `SynthConfig`).

    Both designs use one uniform draw per person, so the rest of the stream is the same.
    """
    n = len(p["enrol"])
    if cfg.assignment == "randomised":
        return _pick(rng, cfg.service_shares, n)
    if cfg.assignment != "observational":
        raise ValueError(f"unknown assignment {cfg.assignment!r}")
    shares = np.asarray(cfg.service_shares, dtype=np.float64) / sum(cfg.service_shares)
    p_ips = 1 / (1 + np.exp(-_assignment_log_odds(p, cfg)))
    u = rng.random(n)
    second = (u - p_ips) / (1 - p_ips) >= shares[1] / (shares[1] + shares[2])
    return np.where(u < p_ips, 0, np.where(second, 2, 1)).astype(np.int64)


def _assignment_log_odds(p: dict[str, Any], cfg: SynthConfig) -> FloatArray:
    """Log-odds of IPS under observational assignment."""
    share = cfg.service_shares[0] / sum(cfg.service_shares)
    lo = (
        math.log(share / (1 - share))
        + cfg.assign_log_or_worked_last_5y * (p["worked"] - cfg.worked_last_5y)
        + cfg.assign_log_or_age_per_10y * (p["age"] - 35.0) / 10
        + cfg.assign_log_or_disability_pension * ((p["benefit"] == 0) - BENEFIT_SHARES[0])
    )
    return np.asarray(lo, dtype=np.float64)


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


def _truth(cfg: SynthConfig, p: dict[str, Any]) -> dict[str, Any]:
    """Model truth; job probabilities are over people not in work at entry, ignoring censoring.

    With observational assignment the truth also has ``p_competitive_job_marginal``: every
    person's probability under IPS and under control (the counterfactuals), averaged over all
    people not in work at entry, whose difference is the true ATE on the risk difference scale.
    The randomised truth is left as it was, so its files stay byte-identical.
    """
    prob: dict[str, dict[str, float | None]] = {}
    for s, name in enumerate(SERVICES):
        prob[name] = _job_probabilities(p["hazard"][(p["service"] == s) & ~p["in_work"]])
    randomised = cfg.assignment == "randomised"
    params = {
        k: v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v
        for k, v in asdict(cfg).items()
        if not (randomised and k.startswith("assign_"))
    }
    extra: dict[str, Any] = {}
    if not randomised:
        ips = {arm: np.full(len(p["ips"]), arm == "IPS") for arm in ("IPS", "control")}
        extra["p_competitive_job_marginal"] = {
            arm: _job_probabilities(_hazard({**p, "ips": x}, cfg)[~p["in_work"]])
            for arm, x in ips.items()
        }
        extra["p_competitive_job_marginal_note"] = (
            "everyone not in work at entry under IPS and under control (counterfactual);"
            " IPS - control is the true ATE risk difference"
        )
    return {
        **extra,
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


def _job_probabilities(h: FloatArray) -> dict[str, float | None]:
    """Mean probability of a first competitive job by 6, 12 and 18 months at daily hazards `h`."""
    return {
        f"{m}m": float(np.mean(1 - np.exp(-h * m * DAYS_PER_MONTH))) if len(h) else None
        for m in (6, 12, 18)
    }
