from __future__ import annotations

import math

import polars as pl
import pytest

from ips_outcomes.results import RESULT_SCHEMA
from ips_outcomes.tables import MESSAGES, TABLES, report_tables

INJECTION = '=HYPERLINK("http://example.com","x")'
SURV = ("survival", "first_job")
OOW = "out_of_work_at_entry"


def r(
    analysis: str,
    outcome: str,
    window: str | None,
    population: str | None,
    grouping: str,
    group: str,
    statistic: str,
    estimate: float | None,
    lo: float | None = None,
    hi: float | None = None,
    n: int | None = None,
    suppressed: bool = False,
) -> tuple[object, ...]:
    ids = (analysis, outcome, window, population, grouping, group, statistic)
    return (*ids, estimate, lo, hi, n, suppressed)


def employment(grouping: str, group: str, k: float | None, n: int, p: float | None, excluded=0.0):
    base = ("employment", "employed", "18m", "complete_followup", grouping, group)
    lo, hi = (None, None) if p is None else (round(p - 0.1, 2), round(p + 0.1, 2))
    return [
        r(*base, "count", k, n=n, suppressed=k is None),
        r(*base, "proportion", p, lo, hi, n=n, suppressed=p is None),
        r(*base, "excluded", excluded, n=n),
    ]


THL = ("thl", "working_or_studying_12m", "12m", "complete_case")
SUMMARY = ("employment_summary", "weeks_worked", "18m", "complete_followup", "service")
RATE = ("quarterly", "employment_rate", "all_quarters", "all_served", "site", "Malmö")
GROW = ("quarterly", "employment_rate_out_of_work_at_entry", "all_quarters", OOW, "site", "Malmö")
VS_TAU = ("employed", "18m", "complete_followup", "comparison", "IPS vs TAU")
ROWS = [
    r("cohort", "participants", None, None, "all", "all", "n", 60.0, n=60),
    r("cohort", "participants", None, None, "service", "TAU", "n", 30.0, n=30),
    r("cohort", "participants", None, None, "service", "IPS", "n", 30.0, n=30),
    r("cohort", "participants", None, None, "site|service", "Malmö|IPS", "n", 18.0, n=18),
    r("cohort", "participants", None, None, "site|service", f"{INJECTION}|IPS", "n", 12.0, n=12),
    *employment("service", "IPS", 12.0, 25, 0.48, excluded=5.0),
    *employment("service", "TAU", None, 20, None),
    *employment("site|service", "Malmö|IPS", 8.0, 16, 0.5),
    *employment("site|service", f"{INJECTION}|IPS", None, 9, None),
    r(*THL, "all", "all", "count", 16.0, n=35),
    r(*THL, "all", "all", "proportion", 0.457, 0.3, 0.62, n=35),
    r(*THL, "service", "IPS", "count", 10.0, n=20),
    r(*SUMMARY, "IPS", "mean", 16.5, n=25),
    r(*SUMMARY, "IPS", "n", 25.0, n=25),
    r(*SUMMARY, "TAU", "mean", None, n=3, suppressed=True),
    r(*RATE, "mean_quarterly_rate", 0.45),
    r(*RATE, "quarters", 8.0),
    r(*GROW, "mean_quarterly_rate", 0.42),
    r("quarterly", "employment_rate", "2024Q1", "all_served", "site", "Malmö", "proportion", 0.4),
    r(*SURV, None, OOW, "service", "IPS", "n", 25.0, n=25),
    r(*SURV, None, OOW, "service", "IPS", "events", 12.0, n=25),
    r(*SURV, "12m", OOW, "service", "IPS", "probability", 0.4, 0.3, 0.5, n=25),
    r(*SURV, "3m", OOW, "service", "IPS", "probability", 0.1, 0.05, 0.2, n=25),
    r(*SURV, "3m", OOW, "service", "IPS", "at_risk", 22.0, n=25),
    r(*SURV, "12m", OOW, "service", "IPS", "median_days", 300.0, 250.0, None, n=25),
    r(*SURV, "12m", OOW, "service", "IPS", "median_reached", 1.0, n=25),
    r(*SURV, None, OOW, "comparison", "IPS vs TAU", "hr_unadjusted", 2.0, 1.2, 3.3, n=45),
    r(*SURV, None, OOW, "comparison", "IPS vs TAU", "logrank_p", 1e-9, n=45),
    r(*SURV, None, OOW, "comparison|term", "IPS vs TAU|GLOBAL", "ph_test_p", 0.2, n=45),
    r(*SURV, None, OOW, "comparison|term", "IPS vs TAU|age", "ph_test_p", 0.5, n=45),
    r("comparison", *VS_TAU, "risk_difference", 0.1, -0.05, 0.25, n=45),
    # An NNT interval through infinity (RD interval includes 0).
    r("comparison", *VS_TAU, "nnt", 10.0, -20.0, math.inf, n=45),
    r("comparison_adjusted", *VS_TAU, "risk_ratio_adjusted", 1.5, 1.1, 2.0, n=45),
    r("wellbeing", "WHO-5", "6m", "complete_case", "service", "IPS", "mean_change", 9.4, 7.9, 11.0),
    r("fidelity", "ips25", None, None, "site|review_date", "Malmö|2021-07-05", "total", 92.0),
    r("baseline", "age", None, None, "service", "IPS", "mean", 38.5, n=30),
    r("baseline", "age", None, None, "service", "IPS", "sd", 10.25, n=30),
]


@pytest.fixture
def results() -> pl.DataFrame:
    return pl.DataFrame(ROWS, schema=RESULT_SCHEMA, orient="row")


@pytest.fixture
def tables(results: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return report_tables(results, "IPS", "18m")


def test_tables_present_in_report_order(tables: dict[str, pl.DataFrame]) -> None:
    # No flow rows, so no flow table.
    assert list(tables) == [t for t in TABLES if t != "flow"]


def test_participants_by_service_with_the_whole_cohort_last(tables: dict[str, pl.DataFrame]):
    assert tables["participants"].columns == ["Service", "Participants", "Suppressed"]
    assert tables["participants"].rows() == [
        ("IPS", 30, False),
        ("TAU", 30, False),
        ("all", 60, False),
    ]


def test_employment_pivots_each_statistic_and_nulls_withheld_cells(tables: dict[str, pl.DataFrame]):
    table = tables["employment"]
    assert table.columns == [
        "Outcome", "Window", "Population", "Service", "People with the outcome", "Denominator",
        "Proportion", "Proportion, CI lower", "Proportion, CI upper",
        "Excluded from the denominator", "Suppressed",
    ]  # fmt: skip
    assert table.schema["People with the outcome"] == pl.Int64
    assert table.rows() == [
        ("employed", "18m", "complete_followup", "IPS", 12, 25, 0.48, 0.38, 0.58, 5, False),
        ("employed", "18m", "complete_followup", "TAU", None, 20, None, None, None, 0, True),
    ]


def test_thl_and_summary(tables: dict[str, pl.DataFrame]) -> None:
    thl = tables["thl"].select("Service", "People with the outcome", "Denominator", "Proportion")
    assert thl.rows() == [("IPS", 10, None, None), ("all", 16, 35, 0.457)]
    summary = tables["employment_summary"].select("Service", "People", "Mean", "SD", "Suppressed")
    assert summary.rows() == [("IPS", 25, 16.5, None, False), ("TAU", None, None, None, True)]


def test_quarterly_band_and_grow_target(tables: dict[str, pl.DataFrame]) -> None:
    assert tables["quarterly"].columns == [
        "Site", "Mean quarterly rate", "Benchmark band", "Quarters",
        "Mean quarterly rate, out of work at entry", "IPS Grow target met",
        "Quarters, out of work at entry", "Suppressed",
    ]  # fmt: skip
    assert tables["quarterly"].rows() == [("Malmö", 0.45, "average", 8, 0.42, True, None, False)]


def test_survival_horizons_in_month_order(tables: dict[str, pl.DataFrame]) -> None:
    table = tables["survival"]
    assert table.columns[:6] == [
        "Service", "People", "Jobs started", "Probability of a first job by 3 months",
        "Probability of a first job by 3 months, CI lower",
        "Probability of a first job by 3 months, CI upper",
    ]  # fmt: skip
    row = table.row(0, named=True)
    assert row["Probability of a first job by 12 months"] == 0.4
    assert (row["Median days"], row["Median days, CI lower"], row["Median days, CI upper"]) == (
        300.0, 250.0, None,
    )  # fmt: skip
    assert row["Median reached"] is True
    assert "at_risk" not in table.columns


def test_survival_comparison_takes_only_the_global_ph_test(tables: dict[str, pl.DataFrame]):
    row = tables["survival_comparison"].row(0, named=True)
    assert row["Comparison"] == "IPS vs TAU"
    assert (row["HR unadjusted"], row["HR unadjusted, CI upper"]) == (2.0, 3.3)
    assert (row["Log-rank p"], row["PH test p"], row["People"]) == (1e-9, 0.2, 45)
    assert tables["survival_comparison"].height == 1


def test_comparison_by_control_with_infinite_bound_empty(tables: dict[str, pl.DataFrame]):
    row = tables["comparison"].row(0, named=True)
    assert (row["Control service"], row["Outcome"], row["People compared"]) == (
        "TAU",
        "employed",
        45,
    )
    assert (row["Risk difference"], row["Risk difference, CI lower"]) == (0.1, -0.05)
    assert (row["NNT"], row["NNT, CI lower"], row["NNT, CI upper"]) == (10.0, -20.0, None)
    assert row["Adjusted risk ratio"] == 1.5


def test_sites_join_participants_and_employment(tables: dict[str, pl.DataFrame]) -> None:
    assert tables["sites"].rows() == [
        (INJECTION, "IPS", "18m", 12, None, 9, None, None, None, True),
        ("Malmö", "IPS", "18m", 18, 8, 16, 0.5, 0.4, 0.6, False),
    ]


def test_other_tables(tables: dict[str, pl.DataFrame]) -> None:
    wellbeing = tables["wellbeing"].select("Instrument", "Time point", "Group", "Mean change")
    assert wellbeing.rows() == [("WHO-5", "6m", "IPS", 9.4)]
    assert tables["fidelity"].select("Group", "IPS-25 total").rows() == [("Malmö|2021-07-05", 92.0)]
    assert tables["baseline"].columns == [
        "Measure", "Grouping", "Group", "Statistic", "Estimate", "People", "Suppressed",
    ]  # fmt: skip
    assert tables["baseline"].rows() == [
        ("age", "service", "IPS", "mean", 38.5, 30, False),
        ("age", "service", "IPS", "sd", 10.25, 30, False),
    ]


def test_headers_translated_and_listed_in_messages(results: pl.DataFrame) -> None:
    asked: list[str] = []

    def gettext(msgid: str) -> str:
        asked.append(msgid)
        return f"T:{msgid}"

    tables = report_tables(results, "IPS", "18m", gettext=gettext)
    assert set(asked) <= set(MESSAGES)
    assert tables["participants"].columns == ["T:Service", "T:Participants", "T:Suppressed"]
    assert "T:Probability of a first job by 3 months" in tables["survival"].columns
    assert tables["quarterly"]["T:Benchmark band"].to_list() == ["T:average"]


def test_empty_results_give_no_tables() -> None:
    assert report_tables(pl.DataFrame(schema=RESULT_SCHEMA), "IPS", "18m") == {}
