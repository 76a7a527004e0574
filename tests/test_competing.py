"""Aalen-Johansen cumulative incidence against R's cmprsk (committed reference values)."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats

from ips_outcomes.competing import AalenJohansen, cumulative_incidence

REFERENCE = Path(__file__).parent / "reference"
COHORTS = ("small", "medium")
RTOL = 1e-6


@cache
def _reference() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((REFERENCE / "cmprsk_reference.json").read_text())
    return result


def _data(cohort: str) -> pl.DataFrame:
    return pl.read_csv(REFERENCE / f"survival_{cohort}.csv")


def _fit(cohort: str, group: str, cause: int) -> AalenJohansen:
    rows = _data(cohort).filter(pl.col("service") == group)
    return AalenJohansen(cause=cause).fit(rows["cr_time"], rows["cr_event"])


def _curves(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (cohort, curve) for cohort in COHORTS for curve in _reference()["cohorts"][cohort][kind]
    ]


def _id(param: tuple[str, dict[str, Any]]) -> str:
    cohort, curve = param
    return f"{cohort}-{curve['group']}-cause{curve['cause']}"


def test_reference_covers_every_service_and_cause() -> None:
    for cohort in COHORTS:
        curves = _reference()["cohorts"][cohort]["curves"]
        assert {(c["group"], c["cause"]) for c in curves} == {
            (g, c) for g in ("IPS", "TAU", "Traditional VR") for c in (1, 2)
        }


@pytest.mark.parametrize("case", _curves("curves"), ids=map(_id, _curves("curves")))
def test_curve_matches_cuminc_at_every_reported_time(case: tuple[str, dict[str, Any]]) -> None:
    cohort, curve = case
    fitted = _fit(cohort, curve["group"], curve["cause"])
    time = np.array(curve["time"], dtype=float)
    # cuminc lists (0, 0), then each event time of the cause twice (value before, value at),
    # then the last follow-up time: the first and the odd positions but the last are the
    # values just before the time (this matters for events at time 0).
    position = np.arange(time.size)
    left = (position == 0) | ((position % 2 == 1) & (position < time.size - 1))
    at = fitted.cif_at(np.where(left, np.nextafter(time, -np.inf), time))
    for ours, theirs in (("cif", "est"), ("variance", "var")):
        expected = np.array(curve[theirs], dtype=float)
        np.testing.assert_allclose(at[ours].to_numpy(), expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("case", _curves("timepoints"), ids=map(_id, _curves("timepoints")))
def test_curve_matches_timepoints(case: tuple[str, dict[str, Any]]) -> None:
    cohort, curve = case
    at = _fit(cohort, curve["group"], curve["cause"]).cif_at(curve["time"])
    for ours, theirs in (("cif", "est"), ("variance", "var")):
        # timepoints gives NA (null) after the last follow-up time; so do we (NaN)
        expected = np.array([np.nan if v is None else v for v in curve[theirs]])
        np.testing.assert_allclose(at[ours].to_numpy(), expected, rtol=RTOL, atol=0)


def test_reference_has_gray_tests_for_both_causes() -> None:
    # Gray's test is not implemented in Python; the reference keeps R's values for the record
    for cohort in COHORTS:
        tests = _reference()["cohorts"][cohort]["tests"]
        assert [t["cause"] for t in tests] == [1, 2]
        assert all(t["df"] == 2 and t["stat"] > 0 for t in tests)


def test_by_hand_with_a_tie_between_causes() -> None:
    # n=7. t=1 job (7 at risk), t=2 drop-out (6), t=3 one job and one drop-out (5),
    # t=4 censored, t=5 job (2 at risk), t=6 censored. S(t-) before t=3 is 5/7, before t=5 3/7.
    time, code = [3, 1, 5, 3, 2, 6, 4], [1, 1, 1, 2, 2, 0, 0]
    job = AalenJohansen(cause=1).fit(time, code)
    dropout = AalenJohansen(cause=2).fit(time, code)
    f = Fraction
    job_cif = [0, f(1, 7), f(1, 7), f(1, 7) + f(5, 7) / 5, f(2, 7), f(2, 7) + f(3, 7) / 2, f(1, 2)]
    dropout_cif = [0, 0, f(6, 7) / 6, f(1, 7) + f(5, 7) / 5, f(2, 7), f(2, 7), f(2, 7)]
    assert job.table_["time"].to_list() == [0, 1, 2, 3, 4, 5, 6]
    assert job.table_["cif"].to_list() == pytest.approx([float(x) for x in job_cif])
    assert dropout.table_["cif"].to_list() == pytest.approx([float(x) for x in dropout_cif])
    counts = job.table_.select("n_risk", "n_event", "n_competing", "n_censor").rows()
    assert counts == [
        (7, 0, 0, 0),
        (7, 1, 0, 0),
        (6, 0, 1, 0),
        (5, 1, 1, 0),
        (3, 0, 0, 1),
        (2, 1, 0, 0),
        (1, 0, 0, 1),
    ]
    # Aalen's variance after one event among 7: v1 = v2 = v3 = 1/36, F = 1/7 -> 1/49
    assert job.table_["variance"][1] == pytest.approx(1 / 49)
    # the variance only moves at the cause's own event times; values from cmprsk::cuminc
    job_var = [0, 0.020408163265306124, 0.035396825396825399, 0.068168934240362744]
    dropout_var = [0, 0.020975056689342401, 0.035736961451247162]
    assert job.table_["variance"].to_list() == pytest.approx(
        [job_var[i] for i in (0, 1, 1, 2, 2, 3, 3)], rel=1e-12
    )
    assert dropout.table_["variance"].to_list() == pytest.approx(
        [dropout_var[i] for i in (0, 0, 1, 2, 2, 2, 2)], rel=1e-12
    )


def _product_limit(time: np.ndarray, failed: np.ndarray) -> dict[float, float]:
    """Plain Kaplan-Meier of 'any event', one unique time at a time."""
    survival, out = 1.0, {}
    for t in np.unique(time):
        at_risk = np.sum(time >= t)
        survival *= 1 - np.sum((time == t) & failed) / at_risk
        out[float(t)] = survival
    return out


@pytest.mark.parametrize("cohort", COHORTS)
def test_incidences_and_survival_add_up_to_one(cohort: str) -> None:
    data = _data(cohort)
    for (group,), rows in data.group_by("service"):
        time, code = rows["cr_time"].to_numpy(), rows["cr_event"].to_numpy()
        job = AalenJohansen(cause=1).fit(time, code).table_
        dropout = AalenJohansen(cause=2).fit(time, code).table_
        survival = _product_limit(time.astype(float), code != 0)
        free = np.array([survival.get(t, 1.0) for t in job["time"].to_list()])
        total = job["cif"].to_numpy() + dropout["cif"].to_numpy() + free
        np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12, err_msg=str(group))


def test_confidence_interval_is_log_minus_log() -> None:
    fitted = _fit("medium", "IPS", 1)
    table = fitted.table_.filter(pl.col("cif") > 0)
    cif, sd = table["cif"].to_numpy(), np.sqrt(table["variance"].to_numpy())
    z = stats.norm.ppf(0.975)
    half = z * sd / np.abs(cif * np.log(cif))
    lower = np.exp(-np.exp(np.log(-np.log(cif)) + half))
    upper = np.exp(-np.exp(np.log(-np.log(cif)) - half))
    np.testing.assert_allclose(table["lower"].to_numpy(), lower, rtol=1e-12)
    np.testing.assert_allclose(table["upper"].to_numpy(), upper, rtol=1e-12)
    assert (table["lower"] < table["cif"]).all()
    assert (table["cif"] < table["upper"]).all()
    narrow = AalenJohansen(alpha=0.5).fit(*_columns("medium", "IPS")).table_
    assert (
        narrow["upper"] - narrow["lower"] <= fitted.table_["upper"] - fitted.table_["lower"]
    ).all()


def _columns(cohort: str, group: str) -> tuple[np.ndarray, np.ndarray]:
    rows = _data(cohort).filter(pl.col("service") == group)
    return rows["cr_time"].to_numpy(), rows["cr_event"].to_numpy()


def test_degenerate_intervals() -> None:
    # at time 0 the CIF is 0 with variance 0: the bounds are 0, not NaN;
    # everyone gets a job: the CIF reaches 1 with a positive variance: bounds undefined
    table = AalenJohansen().fit([1, 2, 3], [1, 1, 1]).table_
    assert (table["lower"][0], table["upper"][0]) == (0.0, 0.0)
    assert table["cif"][-1] == pytest.approx(1.0)
    assert table["variance"][-1] > 0
    assert np.isnan(table["upper"][-1])


def test_cif_at_steps_and_ends_at_last_follow_up() -> None:
    fitted = AalenJohansen().fit([1, 2, 2, 4], [1, 2, 1, 0])
    at = fitted.cif_at([4, 0, -3, 1.999, 2, 4.5])
    assert at["time"].to_list() == [4, 0, -3, 1.999, 2, 4.5]
    assert at["cif"].to_list()[:5] == pytest.approx([0.5, 0.0, 0.0, 0.25, 0.5])
    assert np.isnan(at["cif"][5])
    assert np.isnan(at["variance"][5])


def test_cumulative_incidence_is_one_curve_per_group() -> None:
    data = _data("small")
    tidy = cumulative_incidence(data, "cr_time", "cr_event", "service", cause=2)
    assert tidy.columns[:6] == ["group", "time", "cif", "lower", "upper", "variance"]
    assert "n_risk" in tidy.columns
    assert tidy["group"].unique(maintain_order=True).to_list() == ["IPS", "TAU", "Traditional VR"]
    one = tidy.filter(pl.col("group") == "TAU").drop("group")
    expected = _fit("small", "TAU", 2).to_frame()
    assert one.equals(expected)
    pooled = cumulative_incidence(data, "cr_time", "cr_event", None)
    assert pooled["group"].unique().to_list() == ["all"]
    assert pooled["n_risk"][0] == data.height


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="cause 0"):
        AalenJohansen(cause=0)
    with pytest.raises(ValueError, match=">= 0"):
        AalenJohansen().fit([-1, 2], [1, 0])
    with pytest.raises(ValueError, match="equal length"):
        AalenJohansen().fit([1, 2], [1])
    with pytest.raises(ValueError, match="finite"):
        AalenJohansen().fit([1, np.nan], [1, 0])
    frame = pl.DataFrame({"t": [1, None], "e": [1, 0]})
    with pytest.raises(ValueError, match=r"\['t'\]"):
        cumulative_incidence(frame, "t", "e", None)


@pytest.mark.needs_r
def test_committed_reference_is_what_r_produces(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    assert rscript, "Rscript not found: install r-base-core r-cran-survival r-cran-cmprsk"
    for name in ("cmprsk_reference.R", "survival_small.csv", "survival_medium.csv"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    out = tmp_path / "out.json"
    subprocess.run(
        [rscript, str(tmp_path / "cmprsk_reference.R"), str(out)], check=True, timeout=300
    )
    assert out.read_bytes() == (REFERENCE / "cmprsk_reference.json").read_bytes()
