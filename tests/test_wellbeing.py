"""Wellbeing change scores and the repeated-measures model (validated against R's nlme)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from ips_outcomes.errors import InputError
from ips_outcomes.synth import SynthConfig, generate
from ips_outcomes.wellbeing import RepeatedMeasuresModel, change_from_baseline

REFERENCE = Path(__file__).parent / "reference"
COHORT = REFERENCE / "wellbeing_cohort.csv"


def write_reference_cohort(path: Path = COHORT) -> None:
    """Regenerate the committed cohort; then rerun wellbeing_reference.R and commit both.

    Run from the project root:
    `.venv/bin/python -c "from tests.test_wellbeing import write_reference_cohort as w; w()"`.
    """
    cohort = generate(SynthConfig(participants=400, seed=41))
    people = cohort.participants.filter(pl.col("service").is_in(["IPS", "TAU"]))
    order = pl.col("timepoint").replace_strict({"baseline": 0, "6m": 1, "12m": 2})
    (
        cohort.assessments.filter(pl.col("instrument") == "WHO-5")
        .join(people.select("participant_id", "service"), on="participant_id")
        .select("participant_id", "service", "timepoint", "score")
        .sort("participant_id", order)
        .write_csv(path)
    )


def _cohort() -> tuple[pl.DataFrame, pl.DataFrame]:
    data = pl.read_csv(COHORT, schema_overrides={"score": pl.Float64})
    assessments = data.select(
        "participant_id", "timepoint", instrument=pl.lit("WHO-5"), score="score"
    )
    return assessments, data.select("participant_id", "service").unique(maintain_order=True)


def _reference() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((REFERENCE / "wellbeing_reference.json").read_text("utf-8"))
    return result


def _table(rows: list[tuple[str, str, float | None]], instrument: str = "WHO-5") -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"participant_id": pl.String, "timepoint": pl.String, "score": pl.Float64},
        orient="row",
    ).select("participant_id", "timepoint", instrument=pl.lit(instrument), score="score")


PEOPLE = pl.DataFrame(
    {"participant_id": ["a", "b", "c", "d", "e", "f"], "service": ["IPS"] * 3 + ["TAU"] * 3}
)
# a: both follow-ups; b: null 12m score; c: no 6m; d, f: TAU; e: no baseline.
WHO5 = [("a", "baseline", 40.0), ("a", "6m", 52.0), ("a", "12m", 60.0),
        ("b", "baseline", 60.0), ("b", "6m", 64.0), ("b", "12m", None),
        ("c", "baseline", 20.0), ("c", "12m", 36.0),
        ("d", "baseline", 50.0), ("d", "6m", 46.0), ("d", "12m", 58.0),
        ("e", "6m", 70.0), ("e", "12m", 72.0),
        ("f", "baseline", 30.0), ("f", "12m", 34.0)]  # fmt: skip
TINY = pl.concat([_table(WHO5), _table([("a", "12m", 1.0), ("d", "12m", 0.0)], "work_or_study")])


def test_change_from_baseline_by_hand() -> None:
    table = change_from_baseline(TINY, PEOPLE, "WHO-5")
    assert table.columns == [
        "service", "timepoint", "n", "n_missing_followup", "mean_baseline", "mean_followup",
        "mean_change", "ci_lower", "ci_upper", "sd_change",
    ]  # fmt: skip
    rows = {(r["service"], r["timepoint"]): r for r in table.iter_rows(named=True)}
    assert list(rows) == [("IPS", "6m"), ("IPS", "12m"), ("TAU", "6m"), ("TAU", "12m")]
    # IPS 6m: a (+12) and b (+4); c has no 6m score.
    r = rows["IPS", "6m"]
    assert (r["n"], r["n_missing_followup"]) == (2, 1)
    assert (r["mean_baseline"], r["mean_followup"], r["mean_change"]) == (50.0, 58.0, 8.0)
    sd = math.sqrt(32.0)
    assert r["sd_change"] == pytest.approx(sd)
    half = 12.706204736174698 * sd / math.sqrt(2)  # t(0.975, 1 df)
    assert (r["ci_lower"], r["ci_upper"]) == (pytest.approx(8 - half), pytest.approx(8 + half))
    # IPS 12m: a (+20) and c (+16); b's 12m score is null, so b is missing.
    r = rows["IPS", "12m"]
    assert (r["n"], r["n_missing_followup"], r["mean_change"]) == (2, 1, 18.0)
    assert (r["mean_baseline"], r["mean_followup"]) == (30.0, 48.0)
    # TAU 6m: only d (-4): no SD or interval; e has no baseline and is in no row.
    r = rows["TAU", "6m"]
    assert (r["n"], r["n_missing_followup"], r["mean_change"]) == (1, 1, -4.0)
    assert (r["sd_change"], r["ci_lower"], r["ci_upper"]) == (None, None, None)
    # TAU 12m: d (+8) and f (+4).
    r = rows["TAU", "12m"]
    assert (r["n"], r["n_missing_followup"], r["mean_change"]) == (2, 0, 6.0)
    assert r["sd_change"] == pytest.approx(math.sqrt(8.0))


def test_change_without_pairs_is_null() -> None:
    rows = [("a", "baseline", 40.0), ("a", "6m", 50.0), ("d", "baseline", 30.0)]
    table = change_from_baseline(_table(rows), PEOPLE, "WHO-5")
    assert table.select("service", "n", "n_missing_followup").rows() == [
        ("IPS", 1, 0),
        ("TAU", 0, 1),
    ]
    assert table.row(1)[4:] == (None,) * 6
    assert table.row(0)[4:] == (40.0, 50.0, 10.0, None, None, None)


def test_change_from_baseline_matches_the_cohort_pairs() -> None:
    assessments, people = _cohort()
    table = change_from_baseline(assessments, people, "WHO-5")
    wide = (
        assessments.join(people, on="participant_id")
        .pivot("timepoint", index=["participant_id", "service"], values="score")
        .filter(pl.col("baseline").is_not_null())
    )
    for r in table.iter_rows(named=True):
        group = wide.filter(pl.col("service") == r["service"])
        pairs = group.filter(pl.col(r["timepoint"]).is_not_null())
        change = (pairs[r["timepoint"]] - pairs["baseline"]).to_numpy()
        assert r["n"] == len(change)
        assert r["n_missing_followup"] == group.height - len(change)
        assert r["mean_change"] == pytest.approx(change.mean(), rel=1e-12)
        assert r["sd_change"] == pytest.approx(change.std(ddof=1), rel=1e-12)


def test_unknown_timepoint_and_missing_instrument_are_input_errors() -> None:
    with pytest.raises(InputError, match="no scores"):
        change_from_baseline(TINY, PEOPLE, "GAF")
    odd = pl.concat([TINY, _table([("a", "discharge", 50.0)])])
    with pytest.raises(InputError, match="discharge"):
        change_from_baseline(odd, PEOPLE, "WHO-5")
    twice = pl.concat([TINY, _table([("a", "6m", 50.0)])])
    with pytest.raises(InputError, match="more than one"):
        RepeatedMeasuresModel().fit(twice, PEOPLE, "WHO-5", "IPS", "TAU")
    with pytest.raises(InputError, match="both"):
        RepeatedMeasuresModel().fit(TINY, PEOPLE, "WHO-5", "IPS", "Traditional VR")
    with pytest.raises(ValueError, match="different"):
        RepeatedMeasuresModel().fit(TINY, PEOPLE, "WHO-5", "IPS", "IPS")


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_agrees_with_nlme(method: str) -> None:
    ref = _reference()[method]
    assessments, people = _cohort()
    fit = RepeatedMeasuresModel(reml=method == "reml").fit(
        assessments, people, "WHO-5", "IPS", "TAU"
    )
    assert fit.converged_
    assert fit.warnings_ == []
    fe = fit.fixed_effects_
    assert fe["term"].to_list() == ref["terms"]
    for column in ("estimate", "se", "t"):
        np.testing.assert_allclose(fe[column].to_numpy(), ref[column], rtol=1e-6)
    # nlme's intervals() leaves out summary()'s ML adjustment N / (N - p) of the variance.
    ratio = 1.0 if method == "reml" else math.sqrt(1 - len(ref["terms"]) / ref["n_observations"])
    for column in ("ci_lower", "ci_upper"):
        half = (fe[column] - fe["estimate"]).to_numpy() * ratio
        np.testing.assert_allclose(fe["estimate"].to_numpy() + half, ref[column], rtol=1e-6)
    np.testing.assert_allclose(fe["p"].to_numpy(), ref["p"], rtol=1e-5)  # |t| up to 19
    assert fe["df"].to_list() == ref["df"]
    assert fit.random_intercept_var_ == pytest.approx(ref["random_intercept_var"][0], rel=1e-6)
    assert fit.residual_var_ == pytest.approx(ref["residual_var"][0], rel=1e-6)
    assert (fit.n_participants_, fit.n_observations_) == (
        ref["n_participants"],
        ref["n_observations"],
    )
    assert fit.timepoints_ == _reference()["meta"]["timepoints"]
    diff = fit.difference_in_change_
    assert diff["timepoint"].to_list() == ["6m", "12m"]
    np.testing.assert_array_equal(diff["estimate"].to_numpy(), fe["estimate"].to_numpy()[-2:])


def test_uses_every_observation_and_ignores_other_instruments_and_services() -> None:
    assessments, people = _cohort()
    extra = pl.DataFrame({"participant_id": ["X1"], "service": ["Traditional VR"]})
    noise = pl.concat(
        [
            assessments,
            _table([("X1", "baseline", 10.0), ("X1", "12m", 90.0)]),
            assessments.head(30).with_columns(instrument=pl.lit("work_or_study")),
            _table([(assessments["participant_id"][0], "24m", None)]),
        ]
    )
    base = RepeatedMeasuresModel().fit(assessments, people, "WHO-5", "IPS", "TAU")
    fit = RepeatedMeasuresModel().fit(noise, pl.concat([people, extra]), "WHO-5", "IPS", "TAU")
    assert fit.fixed_effects_.equals(base.fixed_effects_)
    assert fit.n_observations_ == assessments.height
    with_baseline = assessments.filter(pl.col("timepoint") == "baseline")["participant_id"]
    assert fit.n_participants_ > with_baseline.n_unique()  # people without a baseline count


def test_a_variance_on_the_boundary_is_recorded_and_the_fit_is_ordinary_least_squares() -> None:
    # Each person's follow-up moves against their baseline: the REML random-intercept variance
    # would be negative, so the estimate sits on the boundary (0) and the model is plain OLS.
    shift = dict(zip("abcdef", [2.0, -1.0, 3.0, -2.0, 1.0, -3.0], strict=True))
    rows = [(p, t, 50.0 + (4.0 - d if t == "12m" else d)) for p, d in shift.items()
            for t in ("baseline", "12m")]  # fmt: skip
    fit = RepeatedMeasuresModel().fit(_table(rows), PEOPLE, "WHO-5", "IPS", "TAU")
    assert fit.converged_
    assert any("boundary" in message for message in fit.warnings_)
    assert fit.random_intercept_var_ == 0.0
    arm = np.array([PEOPLE.filter(pl.col("participant_id") == p)["service"][0] == "IPS"
                    for p, _, _ in rows], dtype=float)  # fmt: skip
    later = np.array([t == "12m" for _, t, _ in rows], dtype=float)
    x = np.column_stack([np.ones(len(rows)), later, arm, later * arm])
    y = np.array([score for _, _, score in rows])
    ols, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(fit.fixed_effects_["estimate"].to_numpy(), ols, rtol=1e-10)
    assert fit.residual_var_ == pytest.approx(rss[0] / (len(rows) - 4), rel=1e-10)
    assert fit.fixed_effects_["df"].to_list() == [4, 4, 4, 4]  # N - M - 2 and M - 1 - 1


@pytest.mark.needs_r
def test_committed_reference_is_what_r_produces(tmp_path: Path, rscript: str) -> None:
    for name in ("wellbeing_reference.R", "wellbeing_cohort.csv"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    subprocess.run(
        [rscript, str(tmp_path / "wellbeing_reference.R"), str(tmp_path / "out.json")],
        check=True,
        timeout=300,
    )
    committed = (REFERENCE / "wellbeing_reference.json").read_bytes()
    assert (tmp_path / "out.json").read_bytes() == committed


@pytest.mark.slow
def test_recovers_the_generators_gain_difference() -> None:
    cohort = generate(SynthConfig(participants=6000, seed=7))
    gain = cohort.truth["who5_gain_12m"]
    truth = gain["IPS"] - gain["TAU"]
    fit = RepeatedMeasuresModel().fit(
        cohort.assessments, cohort.participants, "WHO-5", "IPS", "TAU"
    )
    assert fit.converged_
    row = fit.difference_in_change_.row(by_predicate=pl.col("timepoint") == "12m", named=True)
    assert abs(row["estimate"] - truth) < 3 * row["se"]
