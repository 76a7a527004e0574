"""Configuration, vocabularies and the result type of the synthetic cohort generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ips_outcomes.contract import TABLES

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

    ``assignment = "observational"`` confounds the service: the log-odds of IPS are
    ``logit(service_shares[0])`` plus ``assign_log_or_*`` times worked in the last 5 years,
    ``(age - 35) / 10`` and disability pension (the binary ones centred on their population
    shares), and the rest split between the two controls in proportion to their shares. The
    ``assign_*`` parameters are unused (and left out of the truth) when randomised.
    """

    participants: int = 600
    seed: int = 2024
    data_cutoff: dt.date = dt.date(2025, 12, 31)
    enrolment_start: dt.date = dt.date(2021, 1, 1)
    enrolment_end: dt.date = dt.date(2024, 12, 31)
    assignment: Literal["randomised", "observational"] = "randomised"
    assign_log_or_worked_last_5y: float = 1.0
    assign_log_or_age_per_10y: float = -0.5
    assign_log_or_disability_pension: float = -1.0
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


#: Named settings for `ips-outcomes synth --profile`. ``register`` resembles register-linked
#: data, which record every short job spell: about 3 competitive job spells per person
#: (the default gives about 1.4), for benchmarks at national-register scale.
PROFILES: dict[str, dict[str, Any]] = {
    "default": {},
    "register": {
        "baseline_monthly_hazard": 0.04,
        "reemployment_factor": 3.0,
        "max_competitive_jobs": 6,
        "median_tenure_weeks": 10.0,
    },
}


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
