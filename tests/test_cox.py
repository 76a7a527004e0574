"""Cox regression against R's survival package (committed reference values) and lifelines."""

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

from ips_outcomes.cox import CoxModel
from ips_outcomes.survival_data import COVARIATES

REFERENCE = Path(__file__).parent / "reference"
COHORTS = ("small", "medium")
ADJUSTED = ["ips", *COVARIATES]
MODELS: dict[str, tuple[dict[str, str], list[str]]] = {
    "a": ({}, ["ips"]),
    "b": ({}, ADJUSTED),
    "c": ({"strata": "site"}, ADJUSTED),
    "d": ({"cluster": "site"}, ADJUSTED),
}


def _reference() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((REFERENCE / "cox_reference.json").read_text("utf-8"))
    return result


def _data(cohort: str) -> pl.DataFrame:
    return (
        pl.read_csv(REFERENCE / f"survival_{cohort}.csv")
        .filter(pl.col("service").is_in(["IPS", "TAU"]))
        .with_columns(ips=(pl.col("service") == "IPS").cast(pl.Int8))
    )


def _close(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("cohort", COHORTS)
@pytest.mark.parametrize("model", sorted(MODELS))
def test_coefficients_match_coxph(cohort: str, model: str) -> None:
    ref = _reference()[cohort][model]
    options, terms = MODELS[model]
    fit = CoxModel(**options).fit(_data(cohort), "time", "event", terms)
    table = fit.coef_
    assert table["term"].to_list() == ref["terms"]
    assert table.schema["robust_se"] == pl.Float64
    for column in ("coef", "se", "z", "p", "hr", "hr_lower", "hr_upper"):
        _close(table[column].to_numpy(), ref[column])
    if ref["robust_se"] is None:
        assert table["robust_se"].null_count() == len(terms)
    else:
        _close(table["robust_se"].to_numpy(), ref["robust_se"])
        assert not np.allclose(table["robust_se"].to_numpy(), table["se"].to_numpy())
    _close(fit.loglik_, ref["loglik"])
    assert (fit.n_, fit.n_events_, fit.n_dropped_) == (ref["n"], ref["nevent"], 0)
    assert fit.iterations_ == ref["iter"]
    assert fit.to_frame().equals(table)


@pytest.mark.parametrize("cohort", COHORTS)
@pytest.mark.parametrize("model", ["b", "c"])
def test_zph_matches_cox_zph(cohort: str, model: str) -> None:
    ref = _reference()[cohort][f"zph_{model}"]
    options, terms = MODELS[model]
    table = CoxModel(**options).fit(_data(cohort), "time", "event", terms).zph()
    assert table["term"].to_list() == ref["terms"]
    assert table["df"].to_list() == ref["df"]
    _close(table["chisq"].to_numpy(), ref["chisq"])
    _close(table["p"].to_numpy(), ref["p"])


def test_reference_covers_what_the_tests_assume() -> None:
    ref = _reference()
    assert ref["meta"]["survival"] == "3.5.3"
    for cohort in COHORTS:
        assert set(ref[cohort]) == {"a", "b", "c", "d", "zph_b", "zph_c"}
        # ties matter: the small cohort is in whole weeks, so Efron differs from Breslow there
        assert _data(cohort)["time"].n_unique() < ref[cohort]["b"]["nevent"] + 100


@pytest.mark.needs_r
def test_committed_reference_is_what_r_produces(tmp_path: Path, rscript: str) -> None:
    for name in ("cox_reference.R", "survival_small.csv", "survival_medium.csv"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    subprocess.run(
        [rscript, str(tmp_path / "cox_reference.R"), str(tmp_path / "out.json")],
        check=True,
        timeout=300,
    )
    assert (tmp_path / "out.json").read_bytes() == (REFERENCE / "cox_reference.json").read_bytes()


@pytest.mark.parametrize("cohort", COHORTS)
def test_agrees_with_lifelines(cohort: str) -> None:
    from lifelines import CoxPHFitter

    data = _data(cohort)
    fit = CoxModel().fit(data, "time", "event", ADJUSTED)
    frame = data.select("time", "event", *ADJUSTED).to_pandas()
    theirs = CoxPHFitter().fit(frame, duration_col="time", event_col="event")
    np.testing.assert_allclose(
        fit.coef_["coef"].to_numpy(), theirs.params_[ADJUSTED].to_numpy(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        fit.coef_["se"].to_numpy(), theirs.standard_errors_[ADJUSTED].to_numpy(), rtol=1e-5
    )
    assert fit.loglik_[1] == pytest.approx(theirs.log_likelihood_, rel=1e-8)


def test_row_order_does_not_matter() -> None:
    data = _data("small")
    fit = CoxModel(strata="site", cluster="site").fit(data, "time", "event", ADJUSTED)
    shuffled = data.sample(fraction=1.0, shuffle=True, seed=3)
    other = CoxModel(strata="site", cluster="site").fit(shuffled, "time", "event", ADJUSTED)
    for column in ("coef", "se", "robust_se"):
        np.testing.assert_allclose(other.coef_[column], fit.coef_[column], rtol=1e-10)
    np.testing.assert_allclose(other.zph()["chisq"], fit.zph()["chisq"], rtol=1e-8)


def test_strata_have_separate_baselines() -> None:
    # Two copies of the data as two strata: same estimate, information doubled. A model that
    # pooled the strata into one risk set would not give exactly this.
    data = _data("small")
    single = CoxModel().fit(data, "time", "event", ADJUSTED)
    copies = pl.concat(
        [
            data.with_columns(copy=pl.lit(0)),
            data.with_columns(copy=pl.lit(1), time=pl.col("time") * 3 + 1),
        ]
    )
    double = CoxModel(strata="copy").fit(copies, "time", "event", ADJUSTED)
    np.testing.assert_allclose(double.coef_["coef"], single.coef_["coef"], rtol=1e-8)
    np.testing.assert_allclose(double.coef_["se"] * math.sqrt(2), single.coef_["se"], rtol=1e-8)
    assert double.loglik_[1] == pytest.approx(2 * single.loglik_[1], rel=1e-12)


def test_rows_with_nulls_are_dropped_and_counted() -> None:
    data = _data("small").with_row_index()
    gappy = data.with_columns(
        female=pl.when(pl.col("index") == 3).then(None).otherwise(pl.col("female")),
        age_per_10y=pl.when(pl.col("index") == 5).then(float("nan")).otherwise("age_per_10y"),
        site=pl.when(pl.col("index") == 8).then(None).otherwise(pl.col("site")),
        cr_time=None,  # not used by the model, so it must not drop anything
    )
    fit = CoxModel(cluster="site").fit(gappy, "time", "event", ADJUSTED)
    complete = data.filter(~pl.col("index").is_in([3, 5, 8]))
    expected = CoxModel(cluster="site").fit(complete, "time", "event", ADJUSTED)
    assert (fit.n_dropped_, fit.n_) == (3, data.height - 3)
    np.testing.assert_allclose(fit.coef_["coef"], expected.coef_["coef"], rtol=1e-12)


def test_misuse_is_reported() -> None:
    data = _data("small")
    with pytest.raises(RuntimeError, match="fit"):
        CoxModel().zph()
    with pytest.raises(ValueError, match="0/1"):
        CoxModel().fit(data.with_columns(event=pl.col("event") * 2), "time", "event", ["ips"])
    with pytest.raises(ValueError, match="singular"):
        CoxModel().fit(data.with_columns(one=pl.lit(1.0)), "time", "event", ["ips", "one"])
    with pytest.raises(ValueError, match="distinct"):
        CoxModel().fit(data, "time", "event", ["ips", "ips"])


@pytest.mark.slow
def test_recovers_the_generators_hazard_ratio(tmp_path: Path) -> None:
    # The generator's `hr_ips_vs_control` (2.6) is the conditional IPS vs control HR given the
    # covariates, at a site of average fidelity: each site's IPS log-HR is log(2.6) plus a
    # fidelity term centred on the site shares, and each site also has a labour-market effect
    # on everyone. Stratifying by site absorbs the labour-market effects, and the covariates
    # are those of the hazard model, so the one IPS coefficient estimates an information-
    # weighted average of the site log-HRs. That is the target only approximately: sites with
    # more events (high fidelity) weigh a little more than their share; a 300 000-person
    # cohort gives log HR 0.960 vs log(2.6) = 0.956, a bias of about 0.2 SE at n = 20 000.
    import duckdb

    from ips_outcomes.dataset import build_dataset
    from ips_outcomes.ingest import ingest
    from ips_outcomes.survival_data import first_job_times
    from ips_outcomes.synth import SynthConfig, generate, write

    cohort = generate(SynthConfig(participants=20_000, seed=7))
    write(cohort, tmp_path / "c")
    ingest(
        tmp_path / "c",
        cohort.data_cutoff,
        tmp_path / "db.duckdb",
        tmp_path / "q.csv",
        tmp_path / "s.json",
    )
    with duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True) as con:
        people, _ = build_dataset(con, cohort.data_cutoff, [6, 12, 18])
    data = first_job_times(people).with_columns(ips=(pl.col("service") == "IPS").cast(pl.Int8))
    assert set(data["service"].unique()) == {"IPS", "TAU", "Traditional VR"}
    fit = CoxModel(strata="site").fit(data, "time", "event", ADJUSTED)
    ips = fit.coef_.row(0, named=True)
    assert ips["term"] == "ips"
    truth = math.log(cohort.truth["hr_ips_vs_control"])
    assert abs(ips["coef"] - truth) < 3 * ips["se"]
    assert ips["se"] < 0.05  # the test has power: 3 SE is well below the effect itself
