"""The researchers' API (`ips_outcomes.api`) against a real pipeline run on a scratch project."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ips_outcomes.api import Cohort, cohort_from_env, open_cohort, select_results
from ips_outcomes.employment import employment_results
from ips_outcomes.results import SORT_KEY, combine
from ips_outcomes.survival_data import first_job_times
from ips_outcomes.synth import SynthConfig, generate, write

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
_BUILT: dict[str, Path] = {}


def analysed_project(factory: pytest.TempPathFactory) -> Path:
    """A throw-away project where the pipeline has run on cohort `demo` (built once a session)."""
    if "root" not in _BUILT:
        root = factory.mktemp("analysed")
        for name in ("Snakefile", "environment.yml"):
            shutil.copy(ROOT / name, root)
        for name in ("workflow", "config"):
            shutil.copytree(ROOT / name, root / name)
        write(generate(SynthConfig(participants=400, seed=7)), root / "cohorts" / "demo")
        done = subprocess.run(
            [sys.executable, "-m", "ips_outcomes.cli", "run", "cohorts/demo"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        _BUILT["root"] = root
    return _BUILT["root"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    return open_cohort(analysed_project(tmp_path_factory), "demo")


def test_loaders_read_the_pipeline_files(cohort: Cohort) -> None:
    processed = cohort.root / "data" / "processed" / "demo"
    assert cohort.participants().equals(pl.read_parquet(processed / "participants.parquet"))
    assert cohort.windows().equals(pl.read_parquet(processed / "windows.parquet"))
    assert cohort.quarters().equals(pl.read_parquet(processed / "quarters.parquet"))
    assert cohort.results().equals(
        pl.read_parquet(cohort.root / "reports" / "demo" / "results.parquet")
    )
    assert cohort.participants().height == 400
    assert cohort.windows().height == 400 * 4  # 6m, 12m, 18m, service


def test_config_is_the_one_the_run_used(cohort: Cohort) -> None:
    config = cohort.config()
    assert config.cohort_name == "demo"
    assert config.data_cutoff == dt.date(2025, 12, 31)
    assert config.windows == ("6m", "12m", "18m", "service")
    assert config.intervention == "IPS"
    assert config.small_cell_threshold == 5
    assert config.benchmarks.is_file()
    assert cohort.provenance()["config"]["input_dir"] == "demo"


def test_database_tables_and_read_only_connection(cohort: Cohort) -> None:
    assert cohort.table("participants").height == 400
    assert cohort.table("fidelity").height == 200  # 8 reviews x 25 items
    with pytest.raises(KeyError, match="no table 'salaries'"):
        cohort.table("salaries")
    with cohort.connect() as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("CREATE TABLE scratch (x INTEGER)")


def test_survival_data_is_first_job_times_of_the_participants(cohort: Cohort) -> None:
    horizon = cohort.config().survival_horizon_months
    assert cohort.survival_data().equals(first_job_times(cohort.participants(), horizon))


def test_employment_rows_reproduce_the_published_ones(cohort: Cohort) -> None:
    config = cohort.config()
    recomputed = combine(
        [
            employment_results(
                cohort.participants(), cohort.windows(), config.windows, config.small_cell_threshold
            )
        ]
    )
    published = select_results(cohort.results(), analysis="employment")
    joined = published.join(
        recomputed, on=list(SORT_KEY), how="left", suffix="_new", nulls_equal=True
    )
    assert joined.height == published.height == 5130
    assert joined["suppressed_new"].null_count() == 0  # every published key recomputed
    shown = joined.filter(~pl.col("secondary"))
    assert shown.height == 4922  # the whole-table step withheld the other 208
    for column in ("estimate", "ci_lower", "ci_upper", "suppressed"):
        assert shown[column].eq_missing(shown[f"{column}_new"]).all(), column
    # denominators are published as computed, or withheld
    assert (shown["n"].is_null() | (shown["n"] == shown["n_new"])).all()
    employed = select_results(
        shown, outcome="employed", window="18m", grouping="service", statistic="count"
    ).sort("group")
    assert employed["group"].to_list() == ["IPS", "TAU", "Traditional VR"]
    assert employed["estimate"].to_list() == employed["estimate_new"].to_list()


def test_lookup_reads_published_rows(cohort: Cohort) -> None:
    lookup = cohort.lookup()
    assert lookup.estimate("cohort", "participants", None, None, "all", "all", "n") == 400
    assert lookup.services == ["IPS", "TAU", "Traditional VR"]
    share = lookup.estimate(
        "employment", "employed", "18m", "complete_followup", "service", "IPS", "proportion"
    )
    count = lookup.value(
        "employment", "employed", "18m", "complete_followup", "service", "IPS", "count"
    )
    assert count is not None
    assert share == pytest.approx(count["estimate"] / count["n"], rel=1e-12)


def test_open_cohort_says_what_to_run_when_outputs_are_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"ips-outcomes run data/raw/nothing"):
        open_cohort(tmp_path, "nothing")


def test_cohort_from_env(cohort: Cohort, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPS_PROJECT_ROOT", str(cohort.root))
    monkeypatch.setenv("IPS_COHORT", "demo")
    assert cohort_from_env() == cohort
    monkeypatch.setenv("IPS_COHORT", "other")
    with pytest.raises(FileNotFoundError, match="'other'"):
        cohort_from_env()


def test_select_results_rejects_unknown_columns() -> None:
    table = pl.DataFrame({"analysis": ["cohort"], "estimate": [1.0]})
    with pytest.raises(KeyError, match="sheet"):
        select_results(table, sheet="x")
    assert select_results(table).equals(table)
