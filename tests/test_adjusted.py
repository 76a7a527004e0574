"""Adjusted odds and risk ratios against R's glm + sandwich (committed reference values)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import polars as pl
import pytest

from ips_outcomes.adjusted import (
    adjusted_odds_ratio,
    adjusted_risk_ratio,
    design_matrix,
    fit_glm,
)
from ips_outcomes.dataset import build_dataset, to_wide
from ips_outcomes.ingest import ingest
from ips_outcomes.synth import SynthConfig, generate, write

REFERENCE = Path(__file__).parent / "reference"
COHORT_CSV = REFERENCE / "adjusted_cohort.csv"
COVARIATES = [
    "age_at_enrolment",
    "gender",
    "diagnosis_group",
    "worked_last_5y",
    "benefit",
    "in_work_at_entry",
]
BOOLEANS = [
    "ips",
    "worked_last_5y",
    "in_work_at_entry",
    "working_or_studying_12m",
    "dropped_out",
    "window_complete_18m",
    "employed_18m",
    "new_job_18m",
]
COLUMNS = ["participant_id", "site", "service", *dict.fromkeys([*COVARIATES, *BOOLEANS])]
# name: (outcome, covariates, cluster, rows); mirrors the list in adjusted_reference.R
MODELS: dict[str, tuple[str, list[str], str | None, pl.Expr]] = {
    "wos12": ("working_or_studying_12m", COVARIATES, None, pl.lit(True)),
    "wos12_site": ("working_or_studying_12m", COVARIATES, "site", pl.lit(True)),
    "emp18_site": ("employed_18m", COVARIATES[:-1], "site", pl.col("window_complete_18m")),
    "newjob18": (
        "new_job_18m",
        COVARIATES,
        None,
        pl.col("window_complete_18m") & ~pl.col("in_work_at_entry"),
    ),
    "dropout_crude_site": ("dropped_out", [], "site", pl.lit(True)),
}
FAMILIES: dict[str, Literal["binomial", "poisson"]] = {"OR": "binomial", "RR": "poisson"}


def analysis_frame(
    participants: int, seed: int, assignment: Literal["randomised", "observational"]
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Generator -> cohort folder -> ingest -> `build_dataset` -> wide frame, and the truth."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cohort = generate(SynthConfig(participants=participants, seed=seed, assignment=assignment))
        write(cohort, tmp / "c")
        ingest(tmp / "c", cohort.data_cutoff, tmp / "db.duckdb", tmp / "q.csv", tmp / "s.json")
        with duckdb.connect(str(tmp / "db.duckdb"), read_only=True) as con:
            people, per_window = build_dataset(con, cohort.data_cutoff, [12, 18])
    wide = to_wide(people, per_window).with_columns(ips=pl.col("service") == "IPS")
    return wide, cohort.truth


def write_reference_cohort(path: Path = COHORT_CSV) -> None:
    """Regenerate the committed cohort (500 people, observational assignment, seed 41)."""
    frame, _ = analysis_frame(500, 41, "observational")
    frame.select(COLUMNS).write_csv(path)


def _cohort() -> pl.DataFrame:
    return pl.read_csv(COHORT_CSV, schema_overrides=dict.fromkeys(BOOLEANS, pl.Boolean))


def _reference() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((REFERENCE / "adjusted_reference.json").read_text("utf-8"))
    return result


def _close(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)


@pytest.mark.parametrize("measure", sorted(FAMILIES))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_matches_glm_and_sandwich(model: str, measure: Literal["OR", "RR"]) -> None:
    ref = _reference()[model][measure]
    outcome, covariates, cluster, rows = MODELS[model]
    data = _cohort().filter(rows)
    fit = fit_glm(data, outcome, "ips", covariates, FAMILIES[measure], cluster)
    order = [fit.names.index(term) for term in ref["terms"]]
    assert sorted(fit.names) == sorted(ref["terms"])
    _close(fit.coef[order], ref["coef"])
    _close(fit.se[order], ref["se"])
    _close(fit.cov[np.ix_(order, order)], ref["cov"])
    assert (fit.n, fit.n_dropped) == (ref["n"], data.height - ref["n"])
    function = adjusted_odds_ratio if measure == "OR" else adjusted_risk_ratio
    effect = function(data, outcome, "ips", covariates, cluster=cluster)
    _close([effect.estimate, effect.lower, effect.upper, effect.p], ref["effect"])
    assert (effect.measure, effect.n, effect.cluster) == (measure, ref["n"], cluster)
    assert effect.covariates == tuple(covariates)
    if cluster is not None:  # statsmodels' own small-sample correction is vcovCL(type = "HC1")
        hc1 = fit_glm(
            data, outcome, "ips", covariates, FAMILIES[measure], cluster, small_sample=True
        )
        _close(hc1.se[order], ref["se_hc1"])


def test_reference_covers_the_models() -> None:
    ref = _reference()
    assert set(ref) == {"meta", *MODELS}
    assert ref["meta"]["sandwich"] == "3.0.2"
    for model in MODELS:
        assert set(ref[model]) == {"OR", "RR"}
    # the models exercise dropped rows, a constant covariate and every covariate type
    data = _cohort()
    assert data["working_or_studying_12m"].null_count() > 0
    assert "in_work_at_entry" not in ref["newjob18"]["OR"]["terms"]
    assert "in_work_at_entry" in ref["wos12"]["OR"]["terms"]


@pytest.mark.needs_r
def test_committed_reference_is_what_r_produces(tmp_path: Path, rscript: str) -> None:
    for name in ("adjusted_reference.R", "adjusted_cohort.csv"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    subprocess.run(
        [rscript, str(tmp_path / "adjusted_reference.R"), str(tmp_path / "out.json")],
        check=True,
        timeout=300,
    )
    committed = (REFERENCE / "adjusted_reference.json").read_bytes()
    assert (tmp_path / "out.json").read_bytes() == committed


def test_committed_cohort_is_what_the_generator_gives(tmp_path: Path) -> None:
    write_reference_cohort(tmp_path / "cohort.csv")
    assert (tmp_path / "cohort.csv").read_bytes() == COHORT_CSV.read_bytes()


# --- the design matrix -------------------------------------------------------------------------


def test_design_matrix_types_references_and_dropping() -> None:
    df = pl.DataFrame(
        {
            "age": [30, 40, 50, 60, None, 35],
            "group": ["b", "a", "c", "a", "b", "b"],
            "flag": [True, False, None, True, True, False],
            "same": ["x"] * 6,
        }
    )
    d = design_matrix(df, ["age", "group", "flag", "same"])
    # rows 2 and 4 are dropped; in the rest a and b tie (2 each): the first, "a", is reference
    assert d.n_dropped == 2
    assert d.kept.tolist() == [True, True, False, True, False, True]
    assert d.references == {"group": "a"}
    assert d.names == ("age", "group[b]", "flag")
    assert d.constant == ("same",)
    assert d.x.tolist() == [[30, 1, 1], [40, 0, 0], [60, 0, 1], [35, 1, 0]]
    d = design_matrix(df, ["age"], required=["flag"])
    assert (d.n_dropped, d.x.shape) == (2, (4, 1))
    with pytest.raises(pl.exceptions.ColumnNotFoundError, match="nope"):
        design_matrix(df, ["nope"])
    with pytest.raises(ValueError, match="unsupported type"):
        design_matrix(df.with_columns(when=pl.lit(None, pl.Date)), ["when"])


def test_most_frequent_level_is_the_reference_and_constants_are_dropped() -> None:
    df = pl.DataFrame({"g": ["z", "z", "y", "x"], "one": [1.0, 1.0, 1.0, 1.0]})
    d = design_matrix(df, ["g", "one"])
    assert d.references == {"g": "z"}
    assert d.names == ("g[x]", "g[y]")
    assert d.constant == ("one",)


def test_bad_treatment_outcome_or_cluster_are_refused() -> None:
    data = _cohort()
    with pytest.raises(ValueError, match="boolean or 0/1"):
        adjusted_odds_ratio(data, "age_at_enrolment", "ips", [])
    with pytest.raises(ValueError, match="boolean or 0/1"):
        adjusted_odds_ratio(data, "dropped_out", "service", [])
    with pytest.raises(ValueError, match="treated and untreated"):
        adjusted_odds_ratio(data.filter("ips"), "dropped_out", "ips", [])
    with pytest.raises(ValueError, match="two clusters"):
        adjusted_risk_ratio(data.with_columns(one=pl.lit("a")), "dropped_out", "ips", [], "one")


def test_crude_risk_ratio_is_the_ratio_of_proportions() -> None:
    data = _cohort()
    effect = adjusted_risk_ratio(data, "dropped_out", "ips", [])
    shares = data.group_by("ips").agg(pl.col("dropped_out").mean())
    share = dict(shares.iter_rows())
    assert effect.estimate == pytest.approx(share[True] / share[False], rel=1e-9)
    assert effect.n_dropped == 0
