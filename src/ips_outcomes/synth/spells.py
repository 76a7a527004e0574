"""Spell and review tables: jobs, education, WHO-5 assessments and IPS-25 fidelity."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl

from ips_outcomes.contract import FIDELITY_ITEMS
from ips_outcomes.synth.arrays import _dates, _day, _days_between, _frame, _labels, _pick
from ips_outcomes.synth.model import (
    NONCOMPETITIVE,
    OCCUPATIONS,
    PROGRAMMES,
    TIMEPOINTS,
    FloatArray,
    SynthConfig,
)


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
