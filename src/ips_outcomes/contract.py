"""Input data contract v1: the tables a cohort folder holds and the columns each may have.

The contract is data, not code paths: ingest, the synthetic generator, and the documentation
(`docs/data-contract.md`) all read it from here, so they cannot drift apart.

Examples
--------
>>> from ips_outcomes.contract import TABLES
>>> TABLES["participants"].required_columns
('participant_id', 'site', 'service', 'enrolment_date')
>>> TABLES["jobs"].column("competitive").kind
'bool'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

Kind = Literal["id", "text", "date", "bool", "int", "float"]

POLARS_TYPES: dict[Kind, type[pl.DataType]] = {
    "id": pl.String,
    "text": pl.String,
    "date": pl.Date,
    "bool": pl.Boolean,
    "int": pl.Int64,
    "float": pl.Float64,
}

#: IPS-25 fidelity scale item codes, in the scale's own order.
FIDELITY_ITEMS: tuple[str, ...] = (
    *(f"S{i}" for i in range(1, 4)),
    *(f"O{i}" for i in range(1, 9)),
    *(f"V{i}" for i in range(1, 15)),
)

#: Earliest date accepted anywhere; older dates are almost always typing or export errors.
EARLIEST_DATE = "1990-01-01"


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Parameters
    ----------
    name
        Canonical (lower-case) column name.
    kind
        Logical type the raw text is parsed into.
    required
        Whether the column must be present and non-empty on every row.
    description
        One line for the data-contract documentation.
    minimum, maximum
        Inclusive plausible range for numbers; values outside it are quarantined.
    """

    name: str
    kind: Kind
    required: bool = False
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    """One input table: its columns, whether the folder must hold it, and its unique key."""

    name: str
    columns: tuple[Column, ...]
    required: bool
    description: str
    unique_key: tuple[str, ...] = ()
    participant_linked: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """All canonical column names, in contract order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be present in the file."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """Return the column called `name`."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def polars_schema(self) -> dict[str, type[pl.DataType]]:
        """Typed schema of the accepted table."""
        return {c.name: POLARS_TYPES[c.kind] for c in self.columns}


_PID = Column("participant_id", "id", True, "Pseudonymous participant identifier.")

PARTICIPANTS = Table(
    name="participants",
    required=True,
    description="One row per person enrolled in IPS or a control service.",
    unique_key=("participant_id",),
    columns=(
        Column("participant_id", "id", True, "Pseudonym, unique in the file."),
        Column("site", "text", True, "Site (team, municipality or region) that served the person."),
        Column("service", "text", True, "`IPS`, or the name of a control service."),
        Column("enrolment_date", "date", True, "Start of the service episode; time origin."),
        Column("exit_date", "date", False, "End of the service episode; empty = still in service."),
        Column("exit_reason", "text", False, "Why the episode ended (free text or a code)."),
        Column(
            "followup_end_date",
            "date",
            False,
            "End of observation; empty = the configured data cut-off date.",
        ),
        Column("age_at_enrolment", "float", False, "Age in years at enrolment.", 15, 100),
        Column("gender", "text", False, "Gender as recorded."),
        Column("diagnosis_group", "text", False, "ICD-10 block, e.g. `F20-F29`."),
        Column("education", "text", False, "Highest completed education level."),
        Column("worked_last_5y", "bool", False, "Worked at any time in the 5 years before entry."),
        Column("in_work_at_entry", "bool", False, "In paid work on the enrolment date."),
        Column("benefit", "text", False, "Main benefit at entry."),
        Column(
            "first_employer_contact_date",
            "date",
            False,
            "First face-to-face contact with an employer on the person's behalf.",
        ),
        Column("cohort", "text", False, "Project wave or intake the person belongs to."),
    ),
)

JOBS = Table(
    name="jobs",
    required=True,
    description="One row per job spell (competitive or not). May hold no rows.",
    participant_linked=True,
    columns=(
        _PID,
        Column("start_date", "date", True, "First day of the spell."),
        Column("end_date", "date", False, "Last day of the spell; empty = ongoing."),
        Column(
            "competitive",
            "bool",
            True,
            "Open labour market, at least the agreed wage; false for sheltered work, "
            "work try-outs and internships.",
        ),
        Column("hours_per_week", "float", False, "Contracted or usual weekly hours.", 0, 168),
        Column("monthly_earnings", "float", False, "Gross monthly earnings.", 0, None),
        Column("occupation", "text", False, "Occupation title or code."),
    ),
)

EDUCATION = Table(
    name="education",
    required=False,
    description="One row per education spell.",
    participant_linked=True,
    columns=(
        _PID,
        Column("start_date", "date", True, "First day of studies."),
        Column("end_date", "date", False, "Last day of studies; empty = ongoing."),
        Column("programme", "text", False, "Programme or level of studies."),
    ),
)

ASSESSMENTS = Table(
    name="assessments",
    required=False,
    description="Questionnaire or clinical assessments at follow-up time points.",
    participant_linked=True,
    unique_key=("participant_id", "timepoint", "instrument"),
    columns=(
        _PID,
        Column("timepoint", "text", True, "`baseline`, `6m`, `12m`, ..."),
        Column("assessment_date", "date", False, "Date the assessment was made."),
        Column("instrument", "text", True, "Instrument or item name."),
        Column("score", "float", False, "Score on the instrument's own scale."),
    ),
)

FIDELITY = Table(
    name="fidelity",
    required=False,
    description="IPS-25 fidelity reviews: one row per site, review and item.",
    unique_key=("site", "review_date", "item"),
    columns=(
        Column("site", "text", True, "Site reviewed (same spelling as in participants)."),
        Column("review_date", "date", True, "Date of the fidelity review."),
        Column("item", "text", True, "IPS-25 item code, S1-S3, O1-O8 or V1-V14."),
        Column("score", "int", True, "Item score, 1-5.", 1, 5),
    ),
)

#: All tables of contract v1, in load order (participants first: the others refer to it).
TABLES: dict[str, Table] = {
    t.name: t for t in (PARTICIPANTS, JOBS, EDUCATION, ASSESSMENTS, FIDELITY)
}

CONTRACT_VERSION = "1"
