"""Tests of the synthetic cohort generator: contract conformity, consistency, calibration, I/O."""

from __future__ import annotations

import datetime as dt
import doctest
import json
from pathlib import Path
from typing import Literal

import polars as pl
import pytest
import yaml

from ips_outcomes import synth
from ips_outcomes.contract import EARLIEST_DATE, FIDELITY_ITEMS, TABLES
from ips_outcomes.synth import SynthConfig, SyntheticCohort, generate, write

Format = Literal["csv", "parquet"]
CUTOFF = SynthConfig().data_cutoff
WINDOW_18M = 548  # days: 18 * 365.25 / 12 = 547.9, rounded up to whole days


@pytest.fixture(scope="module")
def small() -> SyntheticCohort:
    return generate(SynthConfig(participants=3000, seed=11))


@pytest.fixture(scope="module")
def big() -> SyntheticCohort:
    return generate(SynthConfig(participants=20_000, seed=2024))


def _end_of_observation(cohort: SyntheticCohort) -> pl.DataFrame:
    return cohort.participants.select(
        "participant_id",
        "service",
        "enrolment_date",
        "in_work_at_entry",
        pl.col("followup_end_date").fill_null(cohort.data_cutoff).alias("end_obs"),
    )


def _days(a: str, b: str) -> pl.Expr:
    return (pl.col(b) - pl.col(a)).dt.total_days()


# --- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: Format) -> None:
    cfg = SynthConfig(participants=1500, seed=7)
    first = write(generate(cfg), tmp_path / "a", fmt)
    second = write(generate(cfg), tmp_path / "b", fmt)
    assert [p.name for p in first] == [p.name for p in second]
    assert [p.name for p in first] == [
        *(f"{name}.{fmt}" for name in TABLES),
        "truth.json",
        "cohort.yaml",
    ]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_different_seed_gives_different_files(tmp_path: Path, fmt: Format) -> None:
    a = write(generate(SynthConfig(participants=500, seed=1)), tmp_path / "a", fmt)
    b = write(generate(SynthConfig(participants=500, seed=2)), tmp_path / "b", fmt)
    for name in ("participants", "jobs", "assessments", "fidelity"):
        pa = next(p for p in a if p.stem == name)
        pb = next(p for p in b if p.stem == name)
        assert pa.read_bytes() != pb.read_bytes(), name


def test_unknown_format_and_bad_config_are_refused(tmp_path: Path, small: SyntheticCohort) -> None:
    with pytest.raises(ValueError, match="format"):
        write(small, tmp_path, "xlsx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="participants"):
        generate(SynthConfig(participants=0))
    with pytest.raises(ValueError, match="same length"):
        generate(SynthConfig(sites=("Åbo",)))


# --- contract conformity and internal consistency ----------------------------------------------


@pytest.mark.parametrize("name", list(TABLES))
def test_tables_follow_contract(small: SyntheticCohort, name: str) -> None:
    df = small.tables()[name]
    assert df.columns == list(TABLES[name].column_names)
    assert dict(df.schema) == {c: t() for c, t in TABLES[name].polars_schema.items()}
    assert df.height > 0
    for col in TABLES[name].required_columns:
        assert df[col].null_count() == 0, col


def test_ids_and_links(small: SyntheticCohort) -> None:
    ids = small.participants["participant_id"]
    assert ids.n_unique() == small.participants.height == 3000
    known = set(ids)
    for name in ("jobs", "education", "assessments"):
        assert set(small.tables()[name]["participant_id"]) <= known, name
    key = ["participant_id", "timepoint", "instrument"]
    assert not small.assessments.select(key).is_duplicated().any()
    assert set(small.fidelity["site"]) == set(small.participants["site"])


def test_dates_within_range_and_ordered(small: SyntheticCohort) -> None:
    lo = dt.date.fromisoformat(EARLIEST_DATE)
    for name, df in small.tables().items():
        for col, dtype in df.schema.items():
            if dtype == pl.Date:
                s = df[col].drop_nulls()
                assert s.min() >= lo, (name, col)
                assert s.max() <= small.data_cutoff, (name, col)
    for name in ("jobs", "education"):
        df = small.tables()[name].drop_nulls("end_date")
        assert (df["end_date"] >= df["start_date"]).all(), name
    p = small.participants
    assert (p["enrolment_date"] <= p["exit_date"]).drop_nulls().all()
    assert (p["enrolment_date"] < p["followup_end_date"]).drop_nulls().all()
    assert (p["enrolment_date"] <= p["first_employer_contact_date"]).drop_nulls().all()


def test_spells_respect_end_of_observation(small: SyntheticCohort) -> None:
    obs = _end_of_observation(small)
    for name in ("jobs", "education"):
        df = small.tables()[name].join(obs, on="participant_id")
        assert (df["start_date"] <= df["end_obs"]).all(), name
        assert (df["end_date"] <= df["end_obs"]).drop_nulls().all(), name
    a = small.assessments.join(obs, on="participant_id")
    assert (a["assessment_date"] <= a["end_obs"]).all()
    assert (a["assessment_date"] >= a["enrolment_date"]).all()
    p = small.participants
    running = p.filter(pl.col("exit_date").is_null())
    assert running["exit_reason"].null_count() == running.height
    assert p["exit_reason"].null_count() == running.height
    assert set(p["exit_reason"].drop_nulls()) <= {"completed", "dropped out", "moved", "other"}


def test_values_plausible(small: SyntheticCohort) -> None:
    j = small.jobs
    assert (j["hours_per_week"] >= 0).all()
    assert (j["monthly_earnings"] >= 0).all()
    assert j["hours_per_week"].max() <= 40
    p = small.participants
    assert p["age_at_enrolment"].min() >= 18
    assert p["age_at_enrolment"].max() <= 64
    assert 33 < p["age_at_enrolment"].mean() < 37
    assert set(p["service"]) == {"IPS", "Traditional VR", "TAU"}
    assert set(p["cohort"]) == {"2021", "2022", "2023", "2024"}
    assert any(ch in "".join(p["site"].unique()) for ch in "åäö")
    s = small.assessments["score"]
    assert s.min() >= 0
    assert s.max() <= 100
    assert set(small.assessments["timepoint"]) == {"baseline", "6m", "12m"}


def test_fidelity_reviews(small: SyntheticCohort) -> None:
    f = small.fidelity
    assert set(f["item"]) == set(FIDELITY_ITEMS)
    assert f["score"].is_between(1, 5).all()
    reviews = f.group_by("site", "review_date").agg(pl.len(), pl.col("score").sum().alias("total"))
    assert (reviews["len"] == len(FIDELITY_ITEMS)).all()
    per_site = reviews.group_by("site").len()
    assert per_site["len"].is_between(1, 2).all()
    true = {s: v["fidelity_total"] for s, v in small.truth["sites"].items()}
    for site, total in reviews.select("site", "total").iter_rows():
        assert abs(total - true[site]) <= 12, site


def test_in_work_at_entry_has_ongoing_job(small: SyntheticCohort) -> None:
    p = small.participants
    in_work = p.filter("in_work_at_entry")
    assert 0.02 < in_work.height / p.height < 0.06
    assert in_work["worked_last_5y"].all()
    pre = small.jobs.join(in_work, on="participant_id").filter(
        pl.col("competitive"), pl.col("start_date") < pl.col("enrolment_date")
    )
    assert pre.height == in_work.height
    assert (pre["end_date"].is_null() | (pre["end_date"] >= pre["enrolment_date"])).all()
    others = small.jobs.join(p.filter(~pl.col("in_work_at_entry")), on="participant_id")
    assert (others["start_date"] >= others["enrolment_date"]).all()


def test_truth_is_json_and_complete(small: SyntheticCohort) -> None:
    t = json.loads(json.dumps(small.truth))
    assert t["seed"] == 11
    assert t["n"] == 3000
    assert t["data_cutoff"] == "2025-12-31"
    assert 2.3 <= t["hr_ips_vs_control"] <= 2.6
    for key in ("worked_last_5y", "age_per_10y_from_35", "diagnosis_F20-F29"):
        assert key in t["log_hr"]
    effects = {s: v["ips_fidelity_log_hr"] for s, v in t["sites"].items()}
    fidelity = {s: v["fidelity_total"] for s, v in t["sites"].items()}
    assert sorted(effects, key=effects.__getitem__) == sorted(fidelity, key=fidelity.__getitem__)
    for service, probs in t["p_competitive_job"].items():
        assert 0 < probs["6m"] < probs["12m"] < probs["18m"] < 1, service
    assert t["dropout"] == {"IPS": 0.13, "Traditional VR": 0.45, "TAU": 0.45}


def test_docstring_example_runs() -> None:
    assert doctest.testmod(synth, raise_on_error=True).attempted > 0


# --- calibration against the truth and the published figures ----------------------------------


def test_employment_within_18_months_matches_truth(big: SyntheticCohort) -> None:
    obs = _end_of_observation(big).filter(
        ~pl.col("in_work_at_entry"), _days("enrolment_date", "end_obs") >= WINDOW_18M
    )
    first = (
        big.jobs.filter("competitive")
        .group_by("participant_id")
        .agg(pl.col("start_date").min().alias("first_job"))
    )
    shares = dict(
        obs.join(first, on="participant_id", how="left")
        .group_by("service")
        .agg((_days("enrolment_date", "first_job") < WINDOW_18M).fill_null(False).mean())
        .iter_rows()
    )
    truth = {s: v["18m"] for s, v in big.truth["p_competitive_job"].items()}
    for service, share in shares.items():
        assert share == pytest.approx(truth[service], abs=0.03), service
    assert 0.48 <= shares["IPS"] <= 0.62
    assert 0.20 <= shares["Traditional VR"] <= 0.33
    assert 0.20 <= shares["TAU"] <= 0.33


def test_covariate_distributions(big: SyntheticCohort) -> None:
    p = big.participants
    share = p.select(
        ips=(pl.col("service") == "IPS").mean(),
        lost=pl.col("followup_end_date").is_not_null().mean(),
        worked=pl.col("worked_last_5y").mean(),
        f20=(pl.col("diagnosis_group") == "F20-F29").mean(),
        female=(pl.col("gender") == "female").mean(),
        pension=(pl.col("benefit") == "disability pension").mean(),
    ).row(0, named=True)
    assert share["ips"] == pytest.approx(0.50, abs=0.02)
    assert share["lost"] == pytest.approx(0.05, abs=0.01)
    assert share["worked"] == pytest.approx(0.45, abs=0.02)
    assert share["f20"] == pytest.approx(0.45, abs=0.02)
    assert share["female"] == pytest.approx(0.45, abs=0.02)
    assert 0.1 < share["pension"] < 0.5


def test_job_hazard_follows_covariates_and_fidelity(big: SyntheticCohort) -> None:
    first = (
        big.jobs.filter("competitive")
        .group_by("participant_id")
        .agg(pl.col("start_date").min().alias("first_job"))
    )
    p = (
        _end_of_observation(big)
        .join(
            big.participants.drop("service", "enrolment_date", "in_work_at_entry"),
            on="participant_id",
        )
        .join(first, on="participant_id", how="left")
        .filter(~pl.col("in_work_at_entry"), _days("enrolment_date", "end_obs") >= 365)
        .with_columns(job=(_days("enrolment_date", "first_job") < 365).fill_null(False))
    )

    def rate(*predicates: pl.Expr) -> float:
        return float(p.filter(*predicates)["job"].mean())  # type: ignore[arg-type]

    assert rate(pl.col("worked_last_5y")) > rate(~pl.col("worked_last_5y")) + 0.05
    assert rate(pl.col("age_at_enrolment") < 30) > rate(pl.col("age_at_enrolment") > 45)
    f20 = pl.col("diagnosis_group") == "F20-F29"
    assert rate(f20) < rate(~f20)
    # fidelity acts on IPS only, so compare the IPS-vs-control contrast at the extreme sites
    sites = big.truth["sites"]
    best = max(sites, key=lambda s: sites[s]["fidelity_total"])
    worst = min(sites, key=lambda s: sites[s]["fidelity_total"])
    ips = pl.col("service") == "IPS"

    def contrast(site: str) -> float:
        at = pl.col("site") == site
        return rate(at, ips) / rate(at, ~ips)

    assert contrast(best) > contrast(worst) * 1.15


def test_non_competitive_spells_are_commoner_in_controls(big: SyntheticCohort) -> None:
    p = big.participants
    nc = big.jobs.filter(~pl.col("competitive"))["participant_id"].unique()
    share = dict(
        p.group_by("service").agg(pl.col("participant_id").is_in(nc.implode()).mean()).iter_rows()
    )
    assert 0.05 < share["IPS"] < 0.15
    assert 0.22 < share["TAU"] < 0.38


def test_dropout_shares(big: SyntheticCohort) -> None:
    # only people whose whole (at most 24-month) episode is observed
    done = big.participants.filter(
        pl.col("followup_end_date").is_null(),
        pl.col("enrolment_date") <= dt.date(2023, 12, 30),
    )
    assert done["exit_reason"].null_count() == 0
    shares = dict(
        done.group_by("service").agg((pl.col("exit_reason") == "dropped out").mean()).iter_rows()
    )
    assert shares["IPS"] == pytest.approx(0.13, abs=0.025)
    assert shares["Traditional VR"] == pytest.approx(0.45, abs=0.035)
    assert shares["TAU"] == pytest.approx(0.45, abs=0.035)


def test_first_employer_contact(big: SyntheticCohort) -> None:
    p = big.participants.with_columns(
        within=(_days("enrolment_date", "first_employer_contact_date") <= 30).fill_null(False)
    )
    ips = p.filter(pl.col("service") == "IPS")
    control = p.filter(pl.col("service") != "IPS")
    assert 0.55 <= ips["within"].mean() <= 0.75
    assert control["within"].mean() < 0.15
    assert control["first_employer_contact_date"].null_count() > control.height / 3


def test_wellbeing_improves_more_with_ips(big: SyntheticCohort) -> None:
    who5 = big.assessments.filter(pl.col("instrument") == "WHO-5")
    wide = who5.pivot("timepoint", index="participant_id", values="score").join(
        big.participants.select("participant_id", "service"), on="participant_id"
    )
    gain = dict(
        wide.drop_nulls(["baseline", "12m"])
        .group_by(pl.col("service") == "IPS")
        .agg((pl.col("12m") - pl.col("baseline")).mean())
        .iter_rows()
    )
    assert gain[True] > gain[False] + 3
    missing_12m = wide.filter(pl.col("baseline").is_not_null())["12m"].null_count() / wide.height
    assert 0.15 < missing_12m < 0.40


# --- the Nordic CSV dialect and the cohort metadata --------------------------------------------


def test_csv_round_trip(tmp_path: Path, small: SyntheticCohort) -> None:
    paths = {p.name: p for p in write(small, tmp_path)}
    for name, df in small.tables().items():
        back = pl.read_csv(paths[f"{name}.csv"], separator=";", decimal_comma=True)
        assert back.height == df.height, name
        assert back.columns == df.columns, name
    text = paths["participants.csv"].read_text(encoding="utf-8")
    assert "kyllä" in text
    assert ";ei;" in text
    assert any(site in text for site in ("Jyväskylä", "Malmö", "Tromsø", "Åbo"))
    jobs = pl.read_csv(paths["jobs.csv"], separator=";", decimal_comma=True)
    assert jobs["monthly_earnings"].dtype == pl.Float64
    assert jobs["monthly_earnings"].sum() == pytest.approx(small.jobs["monthly_earnings"].sum())
    earnings = pl.read_csv(paths["jobs.csv"], separator=";", infer_schema=False)["monthly_earnings"]
    assert earnings.str.contains(r"^\d+,\d{1,2}$").all()
    date = pl.read_csv(paths["participants.csv"], separator=";", infer_schema=False)[
        "enrolment_date"
    ]
    assert date.str.contains(r"^\d{2}\.\d{2}\.\d{4}$").all()
    parsed = date.str.to_date("%d.%m.%Y")
    assert parsed.equals(small.participants["enrolment_date"], check_names=False)


def test_parquet_round_trip_is_typed(tmp_path: Path, small: SyntheticCohort) -> None:
    write(small, tmp_path, "parquet")
    for name, df in small.tables().items():
        assert pl.read_parquet(tmp_path / f"{name}.parquet").equals(df), name


def test_metadata_files(tmp_path: Path, small: SyntheticCohort) -> None:
    write(small, tmp_path)
    meta = yaml.safe_load((tmp_path / "cohort.yaml").read_text(encoding="utf-8"))
    assert meta == {"data_cutoff": CUTOFF, "intervention": "IPS"}
    text = (tmp_path / "truth.json").read_text(encoding="utf-8")
    assert text == json.dumps(small.truth, sort_keys=True, indent=2) + "\n"
