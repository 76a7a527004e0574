"""The survival stage's assembly: R's numbers land in the right result rows, privacy holds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ips_outcomes.survival_results import comparisons, milestone_days, survival_analysis

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def medium():
    data = pl.read_csv(REFERENCE / "survival_medium.csv").with_columns(pl.col("event") == 1)
    return data, survival_analysis(data, "IPS", ["TAU"], 18, threshold=5)


def _r(quantity: str, group: str) -> np.ndarray:
    ref = pl.read_csv(REFERENCE / "km_reference.csv", infer_schema=False)
    rows = ref.filter(
        (pl.col("cohort") == "medium")
        & (pl.col("quantity") == quantity)
        & (pl.col("group") == group)
    )
    return rows["value"].cast(pl.Float64).to_numpy()


def _row(results: pl.DataFrame, grouping: str, group: str, statistic: str, window=None) -> dict:
    same_window = pl.col("window").is_null() if window is None else pl.col("window") == window
    hit = results.filter(
        (pl.col("grouping") == grouping)
        & (pl.col("group") == group)
        & (pl.col("statistic") == statistic)
        & same_window
    )
    assert hit.height == 1, (grouping, group, statistic, window)
    return hit.row(0, named=True)


def test_milestone_days() -> None:
    assert [milestone_days(m) for m in (3, 6, 12, 18)] == [91, 182, 365, 547]


def test_probabilities_are_one_minus_r_survival_with_flipped_bounds(medium) -> None:
    _, out = medium
    for service in ("IPS", "TAU", "Traditional VR"):
        survival, lower, upper = (
            _r("at.surv", service),
            _r("at.lower", service),
            _r("at.upper", service),
        )
        for i, window in enumerate(("3m", "6m", "12m", "18m")):
            row = _row(out.results, "service", service, "probability", window)
            assert row["estimate"] == pytest.approx(1 - survival[i], rel=1e-9)
            assert row["ci_lower"] == pytest.approx(1 - upper[i], rel=1e-9)
            assert row["ci_upper"] == pytest.approx(1 - lower[i], rel=1e-9)
        rmst = _row(out.results, "service", service, "rmst_days", "18m")
        assert rmst["estimate"] == pytest.approx(_r("rmean", service)[0], rel=1e-9)


def test_median_not_reached_is_explicit(medium) -> None:
    _, out = medium
    ips = _row(out.results, "service", "IPS", "median_days", "18m")
    assert ips["estimate"] == pytest.approx(_r("median", "IPS")[0])
    assert _row(out.results, "service", "IPS", "median_reached", "18m")["estimate"] == 1.0
    tau = _row(out.results, "service", "TAU", "median_days", "18m")
    assert (tau["estimate"], tau["suppressed"]) == (None, False)
    assert _row(out.results, "service", "TAU", "median_reached", "18m")["estimate"] == 0.0


def test_comparison_rows_carry_r_values(medium) -> None:
    _, out = medium
    cox = json.loads((REFERENCE / "cox_reference.json").read_text())["medium"]
    unadjusted = _row(out.results, "comparison", "IPS vs TAU", "hr_unadjusted")
    assert unadjusted["estimate"] == pytest.approx(cox["a"]["hr"][0], rel=1e-9)
    assert unadjusted["ci_lower"] == pytest.approx(cox["a"]["hr_lower"][0], rel=1e-9)
    strata = _row(out.results, "comparison", "IPS vs TAU", "hr_adjusted_strata_site")
    assert strata["estimate"] == pytest.approx(cox["c"]["hr"][0], rel=1e-9)
    cluster = _row(out.results, "comparison", "IPS vs TAU", "hr_adjusted_cluster_site")
    assert cluster["ci_upper"] == pytest.approx(cox["d"]["hr_upper"][0], rel=1e-9)
    chisq = _row(out.results, "comparison", "IPS vs TAU", "logrank_stratified_chisq")
    assert chisq["estimate"] == pytest.approx(_r("logrank.strata.chisq", "IPS vs TAU")[0], rel=1e-9)
    ph = _row(out.results, "comparison|term", "IPS vs TAU|GLOBAL", "ph_test_p")
    assert ph["estimate"] == pytest.approx(cox["zph_c"]["p"][-1], rel=1e-9)
    assert "IPS vs Traditional VR" not in out.results["group"].to_list()  # only TAU was named


def test_rmst_difference_is_control_minus_intervention(medium) -> None:
    _, out = medium
    diff = _row(out.results, "comparison", "IPS vs TAU", "rmst_difference_days")
    assert diff["estimate"] == pytest.approx(
        _r("rmean", "TAU")[0] - _r("rmean", "IPS")[0], rel=1e-9
    )
    half = (diff["ci_upper"] - diff["ci_lower"]) / 2
    se = np.hypot(_r("se(rmean)", "TAU")[0], _r("se(rmean)", "IPS")[0])
    assert half == pytest.approx(1.959963984540054 * se, rel=1e-9)


def test_small_groups_and_thin_tails_are_withheld() -> None:
    data = pl.read_csv(REFERENCE / "survival_small.csv").with_columns(pl.col("event") == 1)
    out = survival_analysis(data, "IPS", [], 18, threshold=10)
    small_sites = (
        data.group_by("site", "service")
        .len()
        .filter(pl.col("len") < 10)
        .select(pl.concat_str("site", "service", separator="|"))
        .to_series()
        .to_list()
    )
    for group in small_sites:
        rows = out.results.filter(
            (pl.col("grouping") == "site|service") & (pl.col("group") == group)
        )
        assert (
            rows.filter(pl.col("statistic") != "rmst_tau_days")["estimate"].null_count()
            == rows.height - 1
        )
    # curves stop once fewer than 10 remain at risk
    for (group,), curve in out.curves.group_by("group"):
        last = curve["time"].max()
        at_risk = data.filter((pl.col("service") == group) & (pl.col("time") >= last)).height
        assert at_risk >= 10
    # risk-table cells of 1-9 people are shown as <10
    cells = pl.concat([out.risk_table[c] for c in ("at_risk", "events", "censored")])
    numbers = cells.filter(~cells.str.starts_with("<")).cast(pl.Int64)
    assert ((numbers == 0) | (numbers >= 10)).all()
    assert (cells == "<10").any()


def test_comparisons_default_to_every_other_service() -> None:
    assert comparisons(["IPS", "TAU", "VR"], "IPS", []) == ["TAU", "VR"]
    assert comparisons(["IPS", "TAU", "VR"], "IPS", ["VR", "Missing"]) == ["VR"]


def test_monthly_risk_table_and_overall_log_rank(medium) -> None:
    data, out = medium
    ips = data.filter(pl.col("service") == "IPS")
    for month in (0, 7, 18):
        day = milestone_days(month)
        at_risk = _row(out.results, "service", "IPS", "at_risk", f"{month}m")["estimate"]
        events = _row(out.results, "service", "IPS", "cumulative_events", f"{month}m")["estimate"]
        assert at_risk == ips.filter(pl.col("time") >= day).height
        assert events == ips.filter(pl.col("event") & (pl.col("time") <= day)).height
    overall = _row(out.results, "comparison", "all services", "logrank_chisq")
    assert overall["estimate"] == pytest.approx(_r("logrank.chisq", "all")[0], rel=1e-9)
    assert _row(out.results, "comparison", "all services", "logrank_df")["estimate"] == 2
