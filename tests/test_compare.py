"""The comparison stage: effects land in the right rows, privacy holds, design decides."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ips_outcomes.benchmarks import load_benchmarks
from ips_outcomes.compare import DESIGN_STATEMENTS, comparison_analysis, usable_covariates
from ips_outcomes.compare_effects import has_small_cell
from ips_outcomes.dataset import build_dataset, to_wide
from ips_outcomes.effects import binary_effect, binary_effect_from
from ips_outcomes.i18n import Translator
from ips_outcomes.ingest import ingest
from ips_outcomes.synth import SynthConfig, generate, write

ROOT = Path(__file__).resolve().parents[1]


def _cohort(tmp: Path, **options) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    cohort = generate(SynthConfig(**options))
    write(cohort, tmp / "c")
    ingest(tmp / "c", cohort.data_cutoff, tmp / "db.duckdb", tmp / "q.csv", tmp / "s.json")
    with duckdb.connect(str(tmp / "db.duckdb"), read_only=True) as con:
        people, per_window = build_dataset(con, cohort.data_cutoff, [6, 12, 18])
        assessments = con.sql("SELECT * FROM assessments").pl()
        fidelity = con.sql("SELECT * FROM fidelity").pl()
    return to_wide(people, per_window), assessments, fidelity


@pytest.fixture(scope="module")
def randomised(tmp_path_factory: pytest.TempPathFactory):
    people, assessments, fidelity = _cohort(
        tmp_path_factory.mktemp("rct"), participants=1500, seed=3
    )
    out = comparison_analysis(
        people,
        assessments,
        fidelity,
        intervention="IPS",
        controls=["TAU", "Traditional VR"],
        main_window="18m",
        design="randomised",
        instruments=["WHO-5"],
        benchmarks=load_benchmarks(ROOT / "config" / "benchmarks.yaml"),
        threshold=5,
    )
    return people, out


def _value(results: pl.DataFrame, analysis: str, outcome: str, group: str, statistic: str) -> dict:
    hit = results.filter(
        (pl.col("analysis") == analysis)
        & (pl.col("outcome") == outcome)
        & (pl.col("group") == group)
        & (pl.col("statistic") == statistic)
    )
    assert hit.height == 1, (analysis, outcome, group, statistic, hit.height)
    return hit.row(0, named=True)


def test_crude_effect_rows_equal_a_direct_computation(randomised) -> None:
    people, out = randomised
    rows = people.filter(pl.col("window_complete_18m") & pl.col("employed_18m").is_not_null())
    direct = binary_effect_from(rows, "employed_18m", "service", "IPS", "TAU")
    rd = _value(out.results, "comparison", "employed", "IPS vs TAU", "risk_difference")
    assert (rd["estimate"], rd["ci_lower"], rd["ci_upper"]) == pytest.approx(
        (direct.rd, direct.rd_lower, direct.rd_upper)
    )
    assert rd["n"] == direct.n_treated + direct.n_control
    assert rd["window"] == "18m"
    assert rd["population"] == "complete_followup"
    nnt = _value(out.results, "comparison", "employed", "IPS vs TAU", "nnt")
    assert nnt["estimate"] == pytest.approx(1 / direct.rd)


def test_every_part_of_the_comparison_is_in_the_results(randomised) -> None:
    _, out = randomised
    analyses = set(out.results["analysis"])
    assert analyses == {
        "comparison",
        "comparison_adjusted",
        "comparison_balance",
        "comparison_sites",
        "fidelity",
        "wellbeing",
        "benchmarks",
    }
    assert out.statements["design"] == DESIGN_STATEMENTS["randomised"]
    assert "randomised trials" in Translator("en").render_all(out.statements["benchmarks"])
    i2 = _value(out.results, "comparison_sites", "employed", "DerSimonian-Laird", "i2_percent")
    assert 0 <= i2["estimate"] <= 100
    gains = out.results.filter(
        (pl.col("analysis") == "wellbeing")
        & (pl.col("statistic") == "difference_in_change")
        & (pl.col("group") == "IPS vs TAU")
    )
    assert sorted(gains["window"]) == ["12m", "6m"]
    assert (gains["ci_lower"] < gains["estimate"]).all()
    eqolise = out.results.filter(
        (pl.col("analysis") == "benchmarks")
        & (pl.col("group").str.starts_with("EQOLISE"))
        & (pl.col("statistic") == "RD")
    )
    by_source = dict(eqolise.select("grouping", "estimate").rows())
    assert by_source["published"] == pytest.approx(0.269)
    assert by_source["recomputed"] == pytest.approx(85 / 156 - 43 / 156)


def test_small_tables_are_withheld() -> None:
    assert has_small_cell(binary_effect(3, 40, 10, 40), threshold=5)
    assert has_small_cell(binary_effect(38, 40, 10, 40), threshold=5)  # 2 without the outcome
    assert not has_small_cell(binary_effect(0, 40, 10, 40), threshold=5)
    assert not has_small_cell(binary_effect(20, 40, 10, 40), threshold=5)


def test_usable_covariates_skip_absent_and_constant_columns() -> None:
    frame = pl.DataFrame(
        {"age_at_enrolment": [30.0, 40.0], "gender": ["f", "f"], "benefit": [None, None]}
    )
    assert usable_covariates(frame) == ["age_at_enrolment"]


@pytest.mark.slow
def test_observational_design_iptw_balances_and_recovers_direction(tmp_path: Path) -> None:
    people, assessments, fidelity = _cohort(
        tmp_path, participants=4000, seed=9, assignment="observational"
    )
    out = comparison_analysis(
        people,
        assessments,
        fidelity,
        intervention="IPS",
        controls=["TAU"],
        main_window="18m",
        design="observational",
        instruments=["WHO-5"],
        benchmarks=[],
        threshold=5,
    )
    assert out.statements["design"] == DESIGN_STATEMENTS["observational"]
    balance = out.results.filter(
        (pl.col("analysis") == "comparison_balance") & (pl.col("statistic") == "smd_after")
    )
    assert balance.height > 5
    assert (balance["estimate"].abs() < 0.1).all()
    before = out.results.filter(
        (pl.col("analysis") == "comparison_balance") & (pl.col("statistic") == "smd_before")
    )
    assert (before["estimate"].abs() > 0.1).any()  # the generator's confounding is visible
    crude = _value(out.results, "comparison", "employed", "IPS vs TAU", "risk_difference")
    weighted = _value(
        out.results, "comparison_adjusted", "employed", "IPS vs TAU", "risk_difference_iptw"
    )
    assert weighted["estimate"] < crude["estimate"]  # confounding inflates the crude effect


def test_a_single_arm_cohort_is_described_not_compared(randomised) -> None:
    people, _ = randomised
    ips_only = people.filter(pl.col("service") == "IPS")
    out = comparison_analysis(
        ips_only,
        pl.DataFrame(
            schema={
                "participant_id": pl.String,
                "timepoint": pl.String,
                "assessment_date": pl.Date,
                "instrument": pl.String,
                "score": pl.Float64,
            }
        ),
        pl.DataFrame(
            schema={"site": pl.String, "review_date": pl.Date, "item": pl.String, "score": pl.Int64}
        ),
        intervention="IPS",
        controls=[],
        main_window="18m",
        design="randomised",
        instruments=["WHO-5"],
        benchmarks=[],
        threshold=5,
    )
    assert out.statements["design"].startswith("Single-arm cohort")
    assert not set(out.results["analysis"]) & {"comparison", "comparison_adjusted", "benchmarks"}
