"""Aggregates: rates with their denominators, the THL pair, summaries, and truth recovery."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from ips_outcomes.dataset import build_dataset
from ips_outcomes.distributions import describe, summary_results
from ips_outcomes.employment import employment_results, thl_results, window_frame
from ips_outcomes.rates import rate_results, rate_table

from .conftest import CUTOFF
from .dataset_helpers import cohort_db, job, person


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval written out from its formula (independent of statsmodels)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_wilson_interval_of_the_eqolise_ips_arm() -> None:
    frame = pl.DataFrame({"y": [True] * 85 + [False] * 71})
    row = rate_table(frame, "y", []).row(0, named=True)
    assert (row["numerator"], row["denominator"], row["excluded"]) == (85, 156, 0)
    assert row["proportion"] == pytest.approx(85 / 156)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(_wilson(85, 156), rel=1e-12)


def test_rate_results_state_the_denominator_and_the_excluded() -> None:
    frame = pl.DataFrame(
        {
            "service": ["IPS"] * 13 + ["TAU"] * 8,
            "y": [True] * 6 + [False] * 5 + [None, True] + [True] * 2 + [False] * 6,
            "complete": [True] * 12 + [False] + [True] * 8,
        }
    )
    table = rate_table(frame, "y", ["service"], pl.col("complete"))
    assert table.select("service", "numerator", "denominator", "excluded").rows() == [
        ("IPS", 6, 11, 2),  # one unknown outcome, one incomplete follow-up
        ("TAU", 2, 8, 0),
    ]
    rows = rate_results(
        table, 5, analysis="a", outcome="y", by=["service"], window="6m", population="p"
    )
    got = {
        (r["group"], r["statistic"]): (r["estimate"], r["n"], r["suppressed"])
        for r in rows.to_dicts()
    }
    assert got[("IPS", "proportion")] == (6 / 11, 11, False)
    # 2 people, published: follow-up completeness is not suppressed (11 + 2 = 13 enrolled anyway)
    assert got[("IPS", "excluded")] == (2.0, 11, False)
    assert got[("TAU", "count")] == (None, 8, True)  # 2 of 8 reveals a small count
    assert got[("TAU", "excluded")] == (0.0, 8, False)


def test_describe_matches_numpy_and_r_type_7_quartiles() -> None:
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 10.0, 101)
    row = describe(pl.DataFrame({"x": values}), "x", []).row(0, named=True)
    assert row["n"] == 101
    assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert row["sd"] == pytest.approx(values.std(ddof=1), rel=1e-12)
    assert row["median"] == pytest.approx(np.median(values), rel=1e-12)
    assert row["q1"] == pytest.approx(np.quantile(values, 0.25, method="linear"), rel=1e-12)
    assert row["q3"] == pytest.approx(np.quantile(values, 0.75, method="linear"), rel=1e-12)


def test_small_groups_have_every_summary_statistic_withheld() -> None:
    frame = pl.DataFrame({"g": ["a"] * 3 + ["b"] * 6, "x": [1.0, 2.0, 30.0] + [1.0] * 6})
    rows = summary_results(
        frame, "x", ["g"], 5, analysis="s", outcome="x", window=None, population="p"
    )
    small = rows.filter(pl.col("group") == "a")
    assert small["estimate"].null_count() == small.height == 6
    assert small["suppressed"].all()
    assert rows.filter((pl.col("group") == "b") & (pl.col("statistic") == "mean"))[
        "estimate"
    ].to_list() == [1.0]
    assert "min" not in rows["statistic"].to_list()
    assert "max" not in rows["statistic"].to_list()


def _thl_cohort():
    return build_dataset(
        cohort_db(
            participants=[
                person("P1", "2021-01-01", exit_date="2021-06-30"),  # job during service
                person("P2", "2021-01-01", exit_date="2021-06-30"),  # no job
                person("P3", "2021-01-01"),  # still in service, job
                person("P4", "2021-01-01", followup_end_date="2021-03-01"),  # lost, in service
                person("C1", "2021-01-01", service="TAU", exit_date="2021-03-01"),
            ],
            jobs=[job("P1", "2021-03-01"), job("P3", "2022-02-01", "2022-03-01")],
        ),
        CUTOFF,
        [6, 12, 18],
    )


def test_thl_pair_complete_case_and_all_enrolled() -> None:
    people, per_window = _thl_cohort()
    rows = pl.concat(thl_results(people, window_frame(people, per_window), threshold=1))
    ips = rows.filter(pl.col("group") == "IPS")
    got = {
        (r["outcome"], r["population"], r["statistic"]): (r["estimate"], r["n"])
        for r in ips.to_dicts()
    }
    # employed during the service episode: complete case = episodes that ended (P1, P2)
    assert got[("employed_during_service", "complete_case", "proportion")] == (0.5, 2)
    assert got[("employed_during_service", "complete_case", "excluded")] == (2.0, 2)
    # all enrolled: P1 and P3 worked while in service, out of 4
    assert got[("employed_during_service", "all_enrolled", "proportion")] == (0.5, 4)
    # 12-month status (2022-01-01): P1 working; P2, P3 not; P4 unknown
    assert got[("working_or_studying_12m", "complete_case", "count")] == (1.0, 3)
    assert got[("working_or_studying_12m", "complete_case", "excluded")] == (1.0, 3)
    assert got[("working_or_studying_12m", "all_enrolled", "proportion")] == (0.25, 4)
    assert set(rows["window"]) == {"service", "12m"}


def test_employment_results_cover_every_outcome_window_and_grouping() -> None:
    people, per_window = _thl_cohort()
    rows = employment_results(people, per_window, ["6m", "12m", "18m", "service"], threshold=1)
    employed = rows.filter(
        (pl.col("outcome") == "employed")
        & (pl.col("grouping") == "service")
        & (pl.col("group") == "IPS")
        & (pl.col("statistic") == "proportion")
    )
    # 6 months (to 2021-06-30): P1 worked; P4 lost before the window closed -> excluded
    assert dict(employed.select("window", "estimate").rows()) == {
        "6m": 1 / 3,
        "12m": 1 / 3,
        "18m": 2 / 3,
        "service": 0.5,
    }
    groupings = set(rows.filter(pl.col("analysis") == "employment")["grouping"])
    assert {"all", "service", "site|service", "age_band|service", "benefit|service"} <= groupings
    assert set(rows["population"]) == {
        "complete_followup",
        "complete_case",
        "all_enrolled",
        "workers_only",
    }


def test_a_group_with_no_denominator_has_no_proportion() -> None:
    frame = pl.DataFrame({"y": [None, None]}, schema={"y": pl.Boolean})
    row = rate_table(frame, "y", []).row(0, named=True)
    assert (row["numerator"], row["denominator"], row["excluded"]) == (0, 0, 2)
    assert (row["proportion"], row["ci_lower"], row["ci_upper"]) == (None, None, None)
