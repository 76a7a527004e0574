from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import pytest

from ips_outcomes.errors import InputError, NationalIdError
from ips_outcomes.validate import validate_cohort

from .conftest import CUTOFF, JOBS_HEADER, PARTICIPANTS_HEADER, write_cohort

GOOD_PEOPLE = PARTICIPANTS_HEADER + "\nP1;Åbo;IPS;01.02.2021\nP2;Malmö;TAU;2021-03-04\n"


def _issues(folder: Path) -> list[tuple[str, int, str, str]]:
    check = validate_cohort(folder, CUTOFF)
    return check.quarantine.select("table", "row", "column", "rule").rows()


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        pytest.param(
            {"participants": PARTICIPANTS_HEADER + "\nP1;;IPS;01.02.2021\n"},
            [("participants", 2, "site", "missing_value")],
            id="missing_value",
        ),
        pytest.param(
            {"participants": PARTICIPANTS_HEADER + "\nP1;A;IPS;31.02.2021\n"},
            [("participants", 2, "enrolment_date", "invalid_date")],
            id="invalid_date",
        ),
        pytest.param(
            {"participants": PARTICIPANTS_HEADER + ";in_work_at_entry\nP1;A;IPS;01.02.2021;ehkä\n"},
            [("participants", 2, "in_work_at_entry", "invalid_bool")],
            id="invalid_bool",
        ),
        pytest.param(
            {"participants": PARTICIPANTS_HEADER + ";age_at_enrolment\nP1;A;IPS;01.02.2021;3x\n"},
            [("participants", 2, "age_at_enrolment", "invalid_float")],
            id="invalid_float",
        ),
        pytest.param(
            {"participants": PARTICIPANTS_HEADER + ";age_at_enrolment\nP1;A;IPS;01.02.2021;7\n"},
            [("participants", 2, "age_at_enrolment", "out_of_range")],
            id="age_out_of_range",
        ),
        pytest.param(
            {
                "participants": PARTICIPANTS_HEADER
                + "\nP1;A;IPS;01.02.1989\nP2;A;IPS;01.01.2026\nP3;A;IPS;31.12.2025\n"
            },
            [
                ("participants", 2, "enrolment_date", "date_out_of_range"),
                ("participants", 3, "enrolment_date", "date_out_of_range"),
            ],
            id="date_out_of_range",
        ),
        pytest.param(
            {
                "participants": PARTICIPANTS_HEADER
                + ";exit_date;followup_end_date\nP1;A;IPS;01.02.2021;31.01.2021;\n"
                + "P2;A;IPS;01.02.2021;;2021-01-01\nP3;A;IPS;01.02.2021;01.02.2021;01.02.2021\n"
            },
            [
                ("participants", 2, "exit_date", "end_before_start"),
                ("participants", 3, "followup_end_date", "end_before_start"),
            ],
            id="participant_end_before_start",
        ),
        pytest.param(
            {"participants": GOOD_PEOPLE + "P1;A;IPS;01.02.2022\n"},
            [
                ("participants", 2, "participant_id", "duplicate_id"),
                ("participants", 4, "participant_id", "duplicate_id"),
            ],
            id="duplicate_id",
        ),
        pytest.param(
            {
                "participants": GOOD_PEOPLE,
                "jobs": JOBS_HEADER + "\nP1;01.03.2021;28.02.2021;kyllä\nP1;01.03.2021;;maybe\n",
            },
            [
                ("jobs", 2, "end_date", "end_before_start"),
                ("jobs", 3, "competitive", "invalid_bool"),
            ],
            id="job_end_before_start_and_bad_bool",
        ),
        pytest.param(
            {
                "participants": GOOD_PEOPLE,
                "jobs": JOBS_HEADER
                + ";hours_per_week;monthly_earnings\nP1;01.03.2021;;ja;-1;10\n"
                + "P1;01.04.2021;;ja;169;-0,5\nP1;01.05.2021;;ja;0;0\n",
            },
            [
                ("jobs", 2, "hours_per_week", "negative_value"),
                ("jobs", 3, "hours_per_week", "out_of_range"),
                ("jobs", 3, "monthly_earnings", "negative_value"),
            ],
            id="negative_hours_and_earnings",
        ),
        pytest.param(
            {
                "participants": GOOD_PEOPLE,
                "jobs": JOBS_HEADER
                + "\nP1;01.03.2021;;ja\nP1;01.03.2021;;ja\nP1;2021-03-01;;yes\n",
            },
            [
                ("jobs", 3, "participant_id", "duplicate_row"),
                ("jobs", 4, "participant_id", "duplicate_row"),
            ],
            id="duplicate_row_after_parsing",
        ),
        pytest.param(
            {
                "participants": GOOD_PEOPLE + "P2;B;IPS;01.01.2022\n",
                "jobs": JOBS_HEADER + "\nP9;01.03.2021;;ja\nP2;01.03.2021;;ja\nP1;01.03.2021;;ja\n",
                "education": "participant_id;start_date\nP9;01.03.2021\n",
            },
            [
                ("participants", 3, "participant_id", "duplicate_id"),
                ("participants", 4, "participant_id", "duplicate_id"),
                ("jobs", 2, "participant_id", "unknown_participant"),
                ("jobs", 3, "participant_id", "participant_quarantined"),
                ("education", 2, "participant_id", "unknown_participant"),
            ],
            id="links_to_participants",
        ),
        pytest.param(
            {
                "participants": GOOD_PEOPLE,
                "assessments": "participant_id;timepoint;instrument;score\n"
                "P1;baseline;WHO-5;40\nP1;baseline;WHO-5;44\nP1;6m;WHO-5;52,5\n",
            },
            [
                ("assessments", 2, "instrument", "duplicate_key"),
                ("assessments", 3, "instrument", "duplicate_key"),
            ],
            id="assessment_duplicate_key",
        ),
        pytest.param(
            {
                "participants": GOOD_PEOPLE,
                "fidelity": "site;review_date;item;score\nÅbo;01.06.2022;s1;5\n"
                "Åbo;01.06.2022;V15;3\nÅbo;01.06.2022;V1;6\nÅbo;01.06.2022;V2;0\n"
                "Åbo;01.06.2022;V3;2,5\nÅbo;01.06.2022;S1;4\n",
            },
            [
                ("fidelity", 2, "item", "duplicate_key"),
                ("fidelity", 3, "item", "unknown_item"),
                ("fidelity", 4, "score", "out_of_range"),
                ("fidelity", 5, "score", "out_of_range"),
                ("fidelity", 6, "score", "invalid_int"),
                ("fidelity", 7, "item", "duplicate_key"),
            ],
            id="fidelity_rules",
        ),
    ],
)
def test_each_rule_quarantines_exactly_the_bad_rows(cohort_dir: Path, tables, expected) -> None:
    write_cohort(cohort_dir, **tables)
    assert _issues(cohort_dir) == expected


def test_counts_reconcile_and_accepted_rows_are_typed(cohort_dir: Path) -> None:
    write_cohort(
        cohort_dir,
        participants=PARTICIPANTS_HEADER
        + ";age_at_enrolment;worked_last_5y\nP1;Åbo;IPS;01.02.2021;34,5;kyllä\n"
        + "P2;Malmö;TAU;2021-03-04;;nej\nP3;Malmö;TAU;bad;;\n",
        jobs=JOBS_HEADER + "\nP1;01.03.2021;;ja\nP3;01.03.2021;;ja\nP2;01.03.2021;;x\n",
    )
    check = validate_cohort(cohort_dir, CUTOFF)
    assert check.summary().select(
        "table", "rows_read", "rows_accepted", "rows_quarantined"
    ).rows() == [
        ("participants", 3, 2, 1),
        ("jobs", 3, 1, 2),
    ]
    people = check.tables["participants"].accepted
    assert people.schema["enrolment_date"] == pl.Date
    assert people.select("participant_id", "age_at_enrolment", "worked_last_5y").rows() == [
        ("P1", 34.5, True),
        ("P2", None, False),
    ]


def test_quarantine_never_copies_identifier_values(cohort_dir: Path) -> None:
    write_cohort(
        cohort_dir,
        participants=PARTICIPANTS_HEADER + "\nSECRET-1;A;IPS;bad-date\nSECRET-1;A;IPS;01.01.2021\n",
        jobs=JOBS_HEADER + "\nSECRET-2;01.03.2021;;ja\n",
    )
    quarantine = validate_cohort(cohort_dir, CUTOFF).quarantine
    assert quarantine.height == 4
    assert "SECRET" not in quarantine.write_csv()
    # other cells are repeated so the user can find and fix them
    assert quarantine.filter(pl.col("rule") == "invalid_date")["value"].to_list() == ["bad-date"]


def test_missing_required_column_names_file_and_column(cohort_dir: Path) -> None:
    write_cohort(cohort_dir, participants="participant_id;site;service\nP1;A;IPS\n")
    with pytest.raises(
        InputError, match=r"participants.csv: required column\(s\) missing: enrolment_date"
    ):
        validate_cohort(cohort_dir, CUTOFF)


def test_extra_columns_are_ignored_with_a_warning(cohort_dir: Path, caplog) -> None:
    write_cohort(
        cohort_dir, participants=PARTICIPANTS_HEADER + ";Shoe_Size\nP1;A;IPS;01.02.2021;44\n"
    )
    with caplog.at_level(logging.WARNING, logger="ips_outcomes"):
        check = validate_cohort(cohort_dir, CUTOFF)
    assert check.tables["participants"].ignored_columns == ("shoe_size",)
    assert "shoe_size" not in check.tables["participants"].accepted.columns
    assert "participants.csv: extra column(s) ignored: shoe_size" in caplog.text


def test_missing_optional_columns_are_added_as_nulls(cohort_dir: Path) -> None:
    write_cohort(cohort_dir, participants=GOOD_PEOPLE)
    people = validate_cohort(cohort_dir, CUTOFF).tables["participants"].accepted
    assert people["exit_date"].null_count() == 2
    assert people.schema["in_work_at_entry"] == pl.Boolean


def test_an_empty_jobs_table_is_valid(cohort_dir: Path) -> None:
    write_cohort(cohort_dir, participants=GOOD_PEOPLE)
    check = validate_cohort(cohort_dir, CUTOFF)
    assert check.tables["jobs"].rows_read == 0
    assert check.quarantine.height == 0


@pytest.mark.parametrize(
    ("column", "number", "kind"),
    [
        ("participant_id", "131052-308T", "FI HETU"),
        ("hetu", "131052-308T", "FI HETU"),
        ("participant_id", "19811218-9876", "SE personnummer"),
    ],
)
def test_files_with_national_ids_are_refused_without_echo(
    cohort_dir: Path, column: str, number: str, kind: str
) -> None:
    header = (
        PARTICIPANTS_HEADER if column == "participant_id" else PARTICIPANTS_HEADER + f";{column}"
    )
    first = (
        f"{number};A;IPS;01.02.2021"
        if column == "participant_id"
        else f"P1;A;IPS;01.02.2021;{number}"
    )
    filler = "" if column == "participant_id" else ";"
    write_cohort(
        cohort_dir,
        participants=f"{header}\nP0;A;IPS;01.02.2021{filler}\n{first}\n",
    )
    with pytest.raises(NationalIdError) as refused:
        validate_cohort(cohort_dir, CUTOFF)
    message = str(refused.value)
    assert (
        f"participants.csv: column '{column}' holds 1 valid {kind} number(s) (first at row 3)"
        in message
    )
    assert number not in message
    assert number.split("-")[0] not in message


def test_look_alike_ids_with_bad_checksums_are_accepted(cohort_dir: Path) -> None:
    write_cohort(
        cohort_dir,
        participants=PARTICIPANTS_HEADER
        + "\n131052-308U;A;IPS;01.02.2021\n811218-9875;A;IPS;01.02.2021\n",
    )
    check = validate_cohort(cohort_dir, CUTOFF)
    assert check.tables["participants"].rows_accepted == 2
