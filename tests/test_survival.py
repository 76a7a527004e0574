"""Kaplan-Meier, log-rank and RMST against R's survival package (committed reference values)."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ips_outcomes.survival import KaplanMeier, log_rank

REFERENCE = Path(__file__).parent / "reference"
COHORTS = ("small", "medium")
TAU = 545
MILESTONES = [91, 182, 365, 547]


def _reference() -> pl.DataFrame:
    return pl.read_csv(REFERENCE / "km_reference.csv", infer_schema=False).with_columns(
        pl.col("time").cast(pl.Float64),
        pl.col("value").replace({"NA": None, "Inf": "inf"}).cast(pl.Float64),
    )


def _values(
    ref: pl.DataFrame, cohort: str, quantity: str, group: str, column: str = "value"
) -> np.ndarray:
    rows = ref.filter(
        (pl.col("cohort") == cohort) & (pl.col("quantity") == quantity) & (pl.col("group") == group)
    )
    return rows[column].to_numpy()


def _data(cohort: str) -> pl.DataFrame:
    return pl.read_csv(REFERENCE / f"survival_{cohort}.csv")


def _close(ours: np.ndarray, theirs: np.ndarray) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    finite = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("cohort", COHORTS)
def test_kaplan_meier_table_matches_survfit(cohort: str) -> None:
    ref, data = _reference(), _data(cohort)
    for service, rows in data.group_by("service"):
        group = str(service[0])
        km = KaplanMeier(conf_type="log-log").fit(rows["time"], rows["event"])
        table = km.table_
        _close(table["time"].to_numpy(), _values(ref, cohort, "n.risk", group, "time"))
        for ours, theirs in (
            ("n_risk", "n.risk"),
            ("n_event", "n.event"),
            ("n_censor", "n.censor"),
            ("survival", "surv"),
            ("std_err", "std.err"),
            ("lower", "lower"),
            ("upper", "upper"),
        ):
            _close(table[ours].to_numpy(), _values(ref, cohort, theirs, group))
        log_lower = KaplanMeier(conf_type="log").fit(rows["time"], rows["event"]).table_["lower"]
        _close(log_lower.to_numpy(), _values(ref, cohort, "log.lower", group))


@pytest.mark.parametrize("cohort", COHORTS)
def test_median_rmst_and_milestones_match_r(cohort: str) -> None:
    ref, data = _reference(), _data(cohort)
    for service, rows in data.group_by("service"):
        group = str(service[0])
        km = KaplanMeier().fit(rows["time"], rows["event"])
        _close(np.array([km.median_]), _values(ref, cohort, "median", group))
        _close(np.array([km.median_lower_]), _values(ref, cohort, "0.95LCL", group))
        _close(np.array([km.median_upper_]), _values(ref, cohort, "0.95UCL", group))
        rmst, se = km.restricted_mean(TAU)
        _close(np.array([rmst]), _values(ref, cohort, "rmean", group))
        _close(np.array([se]), _values(ref, cohort, "se(rmean)", group))
        at = km.at(MILESTONES)
        for ours, theirs in (
            ("survival", "at.surv"),
            ("lower", "at.lower"),
            ("upper", "at.upper"),
            ("n_risk", "at.n.risk"),
        ):
            _close(at[ours].to_numpy(), _values(ref, cohort, theirs, group))


@pytest.mark.parametrize("cohort", COHORTS)
@pytest.mark.parametrize("pair", [None, ("IPS", "TAU")])
@pytest.mark.parametrize("stratified", [False, True])
def test_log_rank_matches_survdiff(cohort: str, pair, stratified: bool) -> None:
    ref, data = _reference(), _data(cohort)
    if pair:
        data = data.filter(pl.col("service").is_in(pair))
    result = log_rank(
        data["time"], data["event"], data["service"], data["site"] if stratified else None
    )
    quantity = "logrank.strata.chisq" if stratified else "logrank.chisq"
    _close(
        np.array([result.chisq]), _values(ref, cohort, quantity, "IPS vs TAU" if pair else "all")
    )
    assert result.df == (1 if pair else 2)


def test_kaplan_meier_by_hand() -> None:
    # times 1,2,2+,3,4+: S = 4/5, then 3/4 of that, then the last event among 2 at risk
    km = KaplanMeier().fit([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    assert km.table_["survival"].to_list() == pytest.approx([0.8, 0.6, 0.3, 0.3])
    greenwood = math.sqrt(1 / (5 * 4) + 1 / (4 * 3) + 1 / (2 * 1))
    assert km.table_["std_err"][2] == pytest.approx(greenwood)
    at = km.at([0, 2, 10])
    assert at["n_risk"].to_list() == [5, 4, 0]
    assert at["events"].to_list() == [0, 2, 3]
    assert at["censored"].to_list() == [0, 1, 2]


def test_median_on_an_exact_half_is_the_midpoint() -> None:
    # S drops to exactly 0.5 at t=2 and below at t=5: R reports (2 + 5) / 2
    km = KaplanMeier().fit([1, 2, 5, 6], [1, 1, 1, 0])
    assert km.median_ == 3.5


@pytest.mark.needs_r
def test_committed_reference_is_what_r_produces(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    assert rscript, "Rscript not found: install r-base-core and r-cran-survival (.ci/run does)"
    for name in ("km_reference.R", "survival_small.csv", "survival_medium.csv"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    subprocess.run(
        [rscript, str(tmp_path / "km_reference.R"), str(tmp_path / "out.csv")],
        check=True,
        timeout=300,
    )
    assert (tmp_path / "out.csv").read_bytes() == (REFERENCE / "km_reference.csv").read_bytes()
