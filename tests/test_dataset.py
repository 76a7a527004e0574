"""Hand-computed cases for every per-participant measure and its edge cases."""

from __future__ import annotations

import polars as pl
import pytest

from ips_outcomes.dataset import build_dataset, to_wide
from ips_outcomes.definitions import DAYS_PER_MONTH

from .conftest import CUTOFF
from .dataset_helpers import cohort_db, d, job, person


def _build(**tables):
    people, per_window = build_dataset(cohort_db(**tables), CUTOFF, [6, 12, 18], ["dropped out"])
    return people, per_window


def _window(per_window: pl.DataFrame, pid: str, window: str) -> dict:
    return per_window.filter((pl.col("participant_id") == pid) & (pl.col("window") == window)).row(
        0, named=True
    )


def test_person_without_jobs_is_not_employed_and_measures_are_zero() -> None:
    _, w = _build(participants=[person("P1", "2021-01-15")])
    row = _window(w, "P1", "18m")
    assert row["window_end"] == d("2022-07-14")
    assert row["window_complete"] is True
    assert (row["employed"], row["new_job"], row["n_jobs"]) == (False, False, 0)
    assert (row["weeks_worked"], row["total_hours"], row["total_earnings"]) == (0.0, 0.0, 0.0)
    assert row["days_to_first_job"] is None
    assert row["mean_hours_per_week"] is None
    assert row["worked_20h"] is False


def test_spell_crossing_a_window_boundary_is_clipped() -> None:
    # 6-month window: 2021-01-15 .. 2021-07-14, so 14 days of the July job fall inside it.
    _, w = _build(
        participants=[person("P1", "2021-01-15")],
        jobs=[job("P1", "2021-07-01", "2021-08-31", hours_per_week=21.0, monthly_earnings=1500.0)],
    )
    six, twelve = _window(w, "P1", "6m"), _window(w, "P1", "12m")
    assert six["weeks_worked"] == pytest.approx(2.0)
    assert six["total_hours"] == pytest.approx(14 * 21 / 7)
    assert six["total_earnings"] == pytest.approx(14 * 1500 / DAYS_PER_MONTH)
    assert six["longest_tenure_weeks"] == pytest.approx(2.0)
    assert six["days_to_first_job"] == 167  # 2021-01-15 -> 2021-07-01
    assert six["worked_20h"] is True
    assert twelve["weeks_worked"] == pytest.approx(62 / 7)  # all of July and August


def test_overlapping_spells_are_not_double_counted() -> None:
    # A: Feb 1-28 (10 h, 1000/month); B: Feb 15 - Mar 14 (30 h, 3000/month).
    # Union Feb 1 - Mar 14 = 42 days = 6 weeks; overlapping days take the larger hours/earnings.
    _, w = _build(
        participants=[person("P1", "2021-01-01")],
        jobs=[
            job("P1", "2021-02-01", "2021-02-28", hours_per_week=10.0, monthly_earnings=1000.0),
            job("P1", "2021-02-15", "2021-03-14", hours_per_week=30.0, monthly_earnings=3000.0),
        ],
    )
    row = _window(w, "P1", "6m")
    assert row["weeks_worked"] == pytest.approx(6.0)
    assert row["total_hours"] == pytest.approx(14 * 10 / 7 + 28 * 30 / 7)  # 20 + 120 = 140
    assert row["mean_hours_per_week"] == pytest.approx(140 / 6)
    assert row["total_earnings"] == pytest.approx((14 * 1000 + 28 * 3000) / DAYS_PER_MONTH)
    assert row["n_jobs"] == 2
    assert row["longest_tenure_weeks"] == pytest.approx(4.0)
    assert row["first_job_date"] == d("2021-02-01")
    assert row["days_to_first_job"] == 31


def test_identical_duplicate_spells_count_once() -> None:
    _, w = _build(
        participants=[person("P1", "2021-01-01")],
        jobs=[job("P1", "2021-02-01", "2021-02-14", hours_per_week=20.0)] * 2,
    )
    row = _window(w, "P1", "6m")
    assert row["weeks_worked"] == pytest.approx(2.0)
    assert row["total_hours"] == pytest.approx(40.0)


def test_ongoing_job_runs_to_the_end_of_observation_and_windows_are_flagged() -> None:
    # Enrolled 2025-03-01, observed to the cut-off 2025-12-31: the 12- and 18-month windows
    # are not complete and cover only what was observed.
    _, w = _build(participants=[person("P1", "2025-03-01")], jobs=[job("P1", "2025-06-01")])
    six, twelve, eighteen = (_window(w, "P1", x) for x in ("6m", "12m", "18m"))
    assert (six["window_end"], six["window_complete"]) == (d("2025-08-31"), True)
    assert six["weeks_worked"] == pytest.approx(92 / 7)
    assert (twelve["window_end"], twelve["window_complete"]) == (d("2025-12-31"), False)
    assert twelve["weeks_worked"] == pytest.approx(214 / 7)
    assert eighteen["window_complete"] is False


def test_job_begun_before_enrolment_marks_in_work_at_entry_not_a_new_job() -> None:
    people, w = _build(
        participants=[person("P1", "2022-05-10")], jobs=[job("P1", "2021-01-01", "2022-08-09")]
    )
    assert people.row(0, named=True)["in_work_at_entry"] is True
    assert people.row(0, named=True)["in_work_at_entry_recorded"] is None
    row = _window(w, "P1", "6m")
    assert (row["employed"], row["new_job"], row["days_to_first_job"]) == (True, False, None)
    assert row["weeks_worked"] == pytest.approx(92 / 7)  # May 10 - Aug 9
    assert row["longest_tenure_weeks"] == pytest.approx(92 / 7)  # clipped to the window


def test_job_ending_the_day_before_enrolment_does_not_count() -> None:
    people, w = _build(
        participants=[person("P1", "2022-05-10")], jobs=[job("P1", "2021-01-01", "2022-05-09")]
    )
    assert people.row(0, named=True)["in_work_at_entry"] is False
    assert _window(w, "P1", "6m")["employed"] is False


def test_job_on_the_enrolment_day_is_a_new_job_at_day_zero() -> None:
    people, w = _build(
        participants=[person("P1", "2022-03-01")], jobs=[job("P1", "2022-03-01", "2022-03-10")]
    )
    assert people.row(0, named=True)["in_work_at_entry"] is False
    row = _window(w, "P1", "6m")
    assert (row["new_job"], row["days_to_first_job"]) == (True, 0)
    assert row["weeks_worked"] == pytest.approx(10 / 7)


def test_loss_to_follow_up_and_exit_before_a_window_closes() -> None:
    # Observed to 2023-05-31; left the service 2023-04-30. Leaving does not end the follow-up
    # windows (intention to treat), but loss to follow-up makes the 6-month window incomplete.
    _, w = _build(
        participants=[
            person(
                "P1",
                "2023-01-01",
                followup_end_date="2023-05-31",
                exit_date="2023-04-30",
                exit_reason="completed",
            )
        ],
        jobs=[job("P1", "2023-02-01")],
    )
    six, service = _window(w, "P1", "6m"), _window(w, "P1", "service")
    assert (six["window_end"], six["window_complete"]) == (d("2023-05-31"), False)
    assert six["weeks_worked"] == pytest.approx(120 / 7)  # Feb 1 - May 31
    assert (service["window_end"], service["window_complete"]) == (d("2023-04-30"), True)
    assert service["weeks_worked"] == pytest.approx(89 / 7)  # Feb 1 - Apr 30


def test_service_window_of_someone_still_in_service_is_incomplete() -> None:
    _, w = _build(participants=[person("P1", "2025-01-01")])
    service = _window(w, "P1", "service")
    assert (service["window_end"], service["window_complete"]) == (CUTOFF, False)


def test_non_competitive_spells_are_not_employment() -> None:
    _, w = _build(
        participants=[person("P1", "2021-01-01")],
        jobs=[job("P1", "2021-02-01", "2021-05-01", competitive=False, hours_per_week=30.0)],
    )
    row = _window(w, "P1", "18m")
    assert (row["employed"], row["weeks_worked"], row["worked_20h"]) == (False, 0.0, False)


def test_missing_hours_and_earnings_give_unknown_totals_for_workers_only() -> None:
    _, w = _build(
        participants=[person("P1", "2021-01-01"), person("P2", "2021-01-01")],
        jobs=[job("P1", "2021-02-01", "2021-02-07")],
    )
    worker, other = _window(w, "P1", "6m"), _window(w, "P2", "6m")
    assert worker["weeks_worked"] == pytest.approx(1.0)
    assert (worker["total_hours"], worker["mean_hours_per_week"]) == (None, None)
    assert (worker["worked_20h"], worker["total_earnings"]) == (None, None)
    assert (other["total_hours"], other["worked_20h"], other["total_earnings"]) == (0.0, False, 0.0)


def test_month_end_enrolment_uses_calendar_months() -> None:
    _, w = _build(participants=[person("P1", "2021-08-31")])
    # Aug 31 + 6 months is Feb 28 (no Feb 31), so the window's last day is Feb 27.
    assert _window(w, "P1", "6m")["window_end"] == d("2022-02-27")


def test_working_or_studying_at_12_months() -> None:
    people, _ = _build(
        participants=[
            person("S", "2021-06-15"),  # studying on 2022-06-15
            person("W", "2021-06-15"),  # working on 2022-06-15
            person("N", "2021-06-15"),  # observed, neither
            person("R", "2021-06-15", followup_end_date="2021-10-01"),  # reported yes
            person("Q", "2021-06-15", followup_end_date="2021-10-01"),  # reported no
            person("U", "2021-06-15", followup_end_date="2021-10-01"),  # unknown
            person("E", "2021-06-15"),  # job ended the day before the 12-month date
        ],
        jobs=[job("W", "2022-06-15", "2022-07-01"), job("E", "2021-07-01", "2022-06-14")],
        education=[{"participant_id": "S", "start_date": d("2022-06-01"), "end_date": None}],
        assessments=[
            {
                "participant_id": "R",
                "timepoint": "12m",
                "instrument": "Work_or_study",
                "score": 1.0,
            },
            {
                "participant_id": "Q",
                "timepoint": "12M",
                "instrument": "work_or_study",
                "score": 0.0,
            },
            {"participant_id": "N", "timepoint": "12m", "instrument": "WHO-5", "score": 60.0},
        ],
    )
    status = dict(people.select("participant_id", "working_or_studying_12m").rows())
    assert status == {
        "E": False,
        "N": False,
        "Q": False,
        "R": True,
        "S": True,
        "U": None,
        "W": True,
    }
    row = people.filter(pl.col("participant_id") == "S").row(0, named=True)
    assert (row["status_date"], row["studying_12m"], row["working_12m"]) == (
        d("2022-06-15"),
        True,
        False,
    )


def test_in_education_window_and_employer_contact_and_dropout() -> None:
    people, w = _build(
        participants=[
            person("A", "2021-01-15", first_employer_contact_date="2021-02-14"),  # day 30
            person(
                "B",
                "2021-01-15",
                first_employer_contact_date="2021-02-15",
                exit_reason="Dropped Out ",
            ),
            person("C", "2025-12-15"),  # no contact, observed only 16 days
            person("D", "2021-01-15", exit_reason="completed"),  # no contact, observed > 30 days
        ],
        education=[
            {"participant_id": "A", "start_date": d("2021-07-14"), "end_date": d("2021-09-01")}
        ],
    )
    got = people.select(
        "participant_id",
        "days_to_first_employer_contact",
        "employer_contact_within_30d",
        "dropped_out",
    ).rows()
    assert got == [
        ("A", 30, True, False),
        ("B", 31, False, True),
        ("C", None, None, False),
        ("D", None, False, False),
    ]
    assert _window(w, "A", "6m")["in_education"] is True  # the 6-month window's last day
    assert _window(w, "B", "6m")["in_education"] is False


def test_age_bands() -> None:
    ages = {"P1": 24.9, "P2": 25.0, "P3": 54.99, "P4": 55.0, "P5": None}
    people, _ = _build(
        participants=[person(pid, "2021-01-01", age_at_enrolment=a) for pid, a in ages.items()]
    )
    assert people["age_band"].to_list() == ["<25", "25-34", "45-54", "55+", None]


def test_wide_dataset_has_one_row_per_participant_and_a_column_per_window_measure() -> None:
    people, w = _build(
        participants=[person("P1", "2021-01-01"), person("P2", "2021-02-01")],
        jobs=[job("P2", "2021-03-01", "2021-03-28")],
    )
    wide = to_wide(people, w)
    assert wide.height == 2
    assert wide.filter(pl.col("participant_id") == "P2")["weeks_worked_6m"].to_list() == [4.0]
    assert {"employed_service", "window_complete_18m", "days_to_first_job_12m"} <= set(wide.columns)


def test_window_is_complete_only_when_observation_reaches_its_last_day() -> None:
    _, w = _build(
        participants=[
            person("ON", "2021-01-15", followup_end_date="2021-07-14"),  # the window's last day
            person("SHORT", "2021-01-15", followup_end_date="2021-07-13"),
        ]
    )
    assert _window(w, "ON", "6m")["window_complete"] is True
    assert _window(w, "SHORT", "6m")["window_complete"] is False
    assert _window(w, "SHORT", "6m")["window_end"] == d("2021-07-13")


def test_cohort_with_only_required_columns_flows_through_ingest(tmp_path) -> None:
    import duckdb

    from ips_outcomes.ingest import ingest

    from .conftest import JOBS_HEADER, PARTICIPANTS_HEADER, write_cohort

    folder = write_cohort(
        tmp_path / "minimal",
        participants=PARTICIPANTS_HEADER + "\nP1;A;IPS;15.01.2021\nP2;A;TAU;15.01.2021\n",
        jobs=JOBS_HEADER + "\nP1;01.02.2021;;ja\n",
    )
    db = tmp_path / "c.duckdb"
    ingest(folder, CUTOFF, db, tmp_path / "q.csv", tmp_path / "s.json")
    with duckdb.connect(str(db), read_only=True) as con:
        people, w = build_dataset(con, CUTOFF, [6, 12, 18])
    worker = _window(w, "P1", "18m")
    assert (worker["employed"], worker["window_complete"]) == (True, True)
    assert worker["weeks_worked"] == pytest.approx(
        (d("2022-07-14") - d("2021-02-01")).days / 7 + 1 / 7
    )
    assert (worker["total_hours"], worker["total_earnings"], worker["in_education"]) == (
        None,
        None,
        False,
    )
    row = people.filter(pl.col("participant_id") == "P2").row(0, named=True)
    assert (row["employer_contact_within_30d"], row["dropped_out"], row["age_band"]) == (
        False,
        False,
        None,
    )
    assert row["working_or_studying_12m"] is False  # observed at 12 months, no job, no studies
