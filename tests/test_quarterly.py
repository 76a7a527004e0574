from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ips_outcomes.dataset import build_dataset
from ips_outcomes.quarterly import quarterly_results, served_quarters

from .dataset_helpers import cohort_db, job, person

CUTOFF = dt.date(2024, 12, 31)


@pytest.fixture
def quarters():
    con = cohort_db(
        participants=[
            # served 2024Q1-Q2, worked in Q1 only
            person("A", "2024-01-15", exit_date="2024-05-10"),
            # served Q1-Q4 (no exit), works from July onwards
            person("B", "2024-03-31"),
            # in work at entry: job since 2023, served Q2-Q4
            person("C", "2024-04-01"),
            # a control-service participant is not counted
            person("T", "2024-01-01", service="TAU"),
            # lost to follow-up in Q3: served Q3, nothing seen after 2024-08-15
            person("D", "2024-07-01", followup_end_date="2024-08-15", site="B"),
        ],
        jobs=[
            job("A", "2024-02-01", "2024-02-10"),
            job("B", "2024-07-01"),
            job("C", "2023-01-01"),
            job("T", "2024-01-02"),
            job("D", "2024-09-01"),
        ],
    )
    people, _ = build_dataset(con, CUTOFF, [6])
    return served_quarters(con, "IPS", CUTOFF), people


def test_served_quarters_and_work_in_each(quarters) -> None:
    served, _ = quarters
    assert served.select("participant_id", "site", "quarter", "worked").rows() == [
        ("A", "A", "2024Q1", True),
        ("A", "A", "2024Q2", False),
        ("B", "A", "2024Q1", False),
        ("B", "A", "2024Q2", False),
        ("B", "A", "2024Q3", True),
        ("B", "A", "2024Q4", True),
        ("C", "A", "2024Q2", True),
        ("C", "A", "2024Q3", True),
        ("C", "A", "2024Q4", True),
        ("D", "B", "2024Q3", False),
    ]


def test_quarterly_rates_both_variants_and_site_means(quarters) -> None:
    served, people = quarters
    rows = quarterly_results(served, people, threshold=1)

    def value(outcome, window, grouping, group, statistic):
        same_window = pl.col("window").is_null() if window is None else pl.col("window") == window
        hit = rows.filter(
            (pl.col("outcome") == outcome)
            & same_window
            & (pl.col("grouping") == grouping)
            & (pl.col("group") == group)
            & (pl.col("statistic") == statistic)
        )
        return hit.select("estimate", "n").row(0)

    assert value("employment_rate", "2024Q2", "site", "A", "proportion") == (1 / 3, 3)
    assert value("employment_rate", "2024Q3", "all", "all", "proportion") == (2 / 3, 3)
    # IPS Grow: C (in work at entry) is left out
    assert value("employment_rate_out_of_work_at_entry", "2024Q2", "site", "A", "proportion") == (
        0.0,
        2,
    )
    # site A: quarters Q1 1/2, Q2 1/3, Q3 2/2, Q4 2/2 -> mean of the four rates
    expected = (0.5 + 1 / 3 + 1.0 + 1.0) / 4
    assert value("employment_rate", "all_quarters", "site", "A", "mean_quarterly_rate") == (
        pytest.approx(expected),
        None,
    )
    assert value("employment_rate", "all_quarters", "site", "A", "quarters") == (4.0, None)
    assert value("benchmark", None, "benchmark", "average", "proportion") == (0.41, None)
    assert value("benchmark", None, "benchmark", "ips_grow_target", "proportion") == (0.40, None)


def test_quarters_after_the_cutoff_are_not_reported() -> None:
    con = cohort_db(participants=[person("A", "2024-11-01")])
    build_dataset(con, dt.date(2024, 11, 30), [6])
    assert served_quarters(con, "IPS", dt.date(2024, 11, 30)).height == 0
