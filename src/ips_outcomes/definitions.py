"""The outcome definitions, in one place: what each measure is, its window and its denominator.

Every per-participant measure of the analysis dataset and every aggregate the results table
holds is listed here; `docs/outcomes.md` explains them and a test checks that it names each one.

Examples
--------
>>> OUTCOMES["employed"].population
'complete_followup'
>>> [o.name for o in OUTCOMES.values() if o.workers_only]
['mean_hours_per_week', 'days_to_first_job']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The window that runs from enrolment to the end of the service episode.
SERVICE_WINDOW = "service"
#: Day of the "working or studying" status: enrolment + this many calendar months.
STATUS_MONTHS = 12
#: Average month length, for turning monthly earnings into earnings per day.
DAYS_PER_MONTH = 365.25 / 12
#: Age bands used for subgroups: (label, lowest age, highest age exclusive).
AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("<25", 0, 25),
    ("25-34", 25, 35),
    ("35-44", 35, 45),
    ("45-54", 45, 55),
    ("55+", 55, 200),
)
#: Subgroup variables; each is crossed with service so IPS and controls stay apart.
SUBGROUPS: tuple[str, ...] = (
    "cohort",
    "gender",
    "age_band",
    "diagnosis_group",
    "worked_last_5y",
    "benefit",
)
#: Groupings of every rate, in report order.
GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("service",),
    ("site", "service"),
    *((subgroup, "service") for subgroup in SUBGROUPS),
)

#: Quarterly employment rate benchmarks (IPS Employment Center / IPS Learning Community).
QUARTERLY_BENCHMARKS: dict[str, float] = {"minimal": 0.31, "average": 0.41, "excellent": 0.50}
#: IPS Grow (UK) target since April 2024, counting only people out of work at entry.
IPS_GROW_TARGET = 0.40

Population = Literal["complete_followup", "all_enrolled", "complete_case", "workers_only"]


@dataclass(frozen=True)
class Outcome:
    """One measure: its column name, kind, whether it is per window, and its denominator."""

    name: str
    label: str
    kind: Literal["binary", "continuous"]
    windowed: bool
    population: Population
    definition: str

    @property
    def workers_only(self) -> bool:
        """Whether the measure is defined only for people who worked in the window."""
        return self.population == "workers_only"


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "employed",
            "Employed in a competitive job",
            "binary",
            True,
            "complete_followup",
            "Worked at least one day in a competitive job within the window (a job ongoing at "
            "entry counts).",
        ),
        Outcome(
            "new_job",
            "Started a competitive job",
            "binary",
            True,
            "complete_followup",
            "A competitive job started on or after the enrolment date, within the window.",
        ),
        Outcome(
            "worked_20h",
            "Worked 20 hours a week or more",
            "binary",
            True,
            "complete_followup",
            "On at least one day in the window, weekly hours were 20 or more.",
        ),
        Outcome(
            "in_education",
            "In education",
            "binary",
            True,
            "complete_followup",
            "At least one day of an education spell within the window.",
        ),
        Outcome(
            "working_or_studying_12m",
            "Working or studying at 12 months",
            "binary",
            False,
            "complete_case",
            "On the day 12 calendar months after enrolment: in a competitive job or in "
            "education by the spells, or so recorded in the 12-month assessment.",
        ),
        Outcome(
            "employer_contact_within_30d",
            "First employer contact within 30 days",
            "binary",
            False,
            "complete_case",
            "First face-to-face employer contact at most 30 days after enrolment.",
        ),
        Outcome(
            "dropped_out",
            "Dropped out of the service",
            "binary",
            False,
            "all_enrolled",
            "The service episode ended with one of the configured drop-out reasons.",
        ),
        Outcome(
            "n_jobs",
            "Number of competitive jobs",
            "continuous",
            True,
            "complete_followup",
            "Competitive job spells with at least one day in the window.",
        ),
        Outcome(
            "weeks_worked",
            "Weeks worked",
            "continuous",
            True,
            "complete_followup",
            "Days in the window covered by any competitive job, divided by 7 (overlapping "
            "spells counted once).",
        ),
        Outcome(
            "longest_tenure_weeks",
            "Tenure in the longest job (weeks)",
            "continuous",
            True,
            "complete_followup",
            "Longest single competitive spell within the window, in weeks.",
        ),
        Outcome(
            "total_hours",
            "Total hours worked",
            "continuous",
            True,
            "complete_followup",
            "Sum over days worked in the window of weekly hours / 7 (overlapping spells: the "
            "larger hours).",
        ),
        Outcome(
            "mean_hours_per_week",
            "Mean hours per week while working",
            "continuous",
            True,
            "workers_only",
            "Total hours divided by weeks worked, among people who worked in the window.",
        ),
        Outcome(
            "total_earnings",
            "Total earnings",
            "continuous",
            True,
            "complete_followup",
            "Sum over days worked in the window of monthly earnings / 30.44 (overlapping "
            "spells: the larger earnings).",
        ),
        Outcome(
            "days_to_first_job",
            "Days to first job (workers only)",
            "continuous",
            True,
            "workers_only",
            "Days from enrolment to the start of the first competitive job begun in the "
            "window, among people who started one: not comparable between groups; see the "
            "survival analysis.",
        ),
        Outcome(
            "days_to_first_employer_contact",
            "Days to first employer contact",
            "continuous",
            False,
            "complete_case",
            "Days from enrolment to the first face-to-face employer contact, among people "
            "with a recorded contact.",
        ),
    )
}
