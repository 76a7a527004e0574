"""End to end: the real CLI and Snakemake workflow, in a throw-away copy of the project."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from ips_outcomes.catalogue import template_messages
from ips_outcomes.config import load_config
from ips_outcomes.disclosure import disclosure_violations
from ips_outcomes.figures import FigureFiles, FigureInputs, figures_stage
from ips_outcomes.publish import ReportFiles, report_stage, tables_stage
from ips_outcomes.synth import SynthConfig, generate, write

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "ips_outcomes.cli"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name in ("Snakefile", "environment.yml"):
        shutil.copy(ROOT / name, root)
    shutil.copytree(ROOT / "workflow", root / "workflow")
    shutil.copytree(ROOT / "config", root / "config")
    cohort = root / "cohorts" / "demo"
    write(generate(SynthConfig(participants=400, seed=7)), cohort)
    # a site name that is also HTML must reach the report as text
    people = cohort / "participants.csv"
    people.write_text(
        people.read_text(encoding="utf-8").replace("Bergen", "<b>Bergen</b>"), encoding="utf-8"
    )
    return root


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=project, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def first_run(project: Path) -> subprocess.CompletedProcess[str]:
    return _run(project, "run", "cohorts/demo")


def _expected_employed_18m(cohort: Path, cutoff: dt.date) -> pl.DataFrame:
    """Independent recomputation from the raw CSV files (no package code)."""
    opts = {"separator": ";", "decimal_comma": True, "infer_schema": False}
    people = pl.read_csv(cohort / "participants.csv", **opts).with_columns(
        pl.col("enrolment_date", "followup_end_date").str.strptime(pl.Date, "%d.%m.%Y")
    )
    jobs = pl.read_csv(cohort / "jobs.csv", **opts).with_columns(
        pl.col("start_date", "end_date").str.strptime(pl.Date, "%d.%m.%Y")
    )
    people = people.with_columns(
        pl.min_horizontal(pl.col("followup_end_date").fill_null(cutoff), pl.lit(cutoff)).alias(
            "obs_end"
        ),
        (pl.col("enrolment_date").dt.offset_by("18mo") - pl.duration(days=1)).alias("last_day"),
    ).filter(pl.col("obs_end") >= pl.col("last_day"))
    spells = jobs.filter(pl.col("competitive") == "kyllä").join(people, on="participant_id")
    workers = spells.filter(
        (pl.col("start_date") <= pl.col("last_day"))
        & (pl.col("end_date").fill_null(pl.col("obs_end")) >= pl.col("enrolment_date"))
    )["participant_id"].unique()
    return (
        people.with_columns(pl.col("participant_id").is_in(workers.implode()).alias("worked"))
        .group_by("service")
        .agg(pl.len().alias("n"), pl.col("worked").sum().alias("k"))
        .sort("service")
    )


def test_run_writes_report_and_results(project: Path, first_run) -> None:
    assert first_run.returncode == 0, first_run.stderr
    out = project / "reports" / "demo"
    for name in (
        "report.html",
        "results.csv",
        "results.parquet",
        "provenance.json",
        "figures/time_to_first_job.png",
        "figures/time_to_first_job.svg",
        "figures/cumulative_incidence.png",
        "figures/cumulative_incidence.svg",
        "figures/forest_sites.svg",
        "figures/forest_benchmarks.svg",
        "figures/fidelity.svg",
        "figures/flow.png",
        "figures/flow.svg",
        "tables/tables.xlsx",
        "tables/employment.csv",
        "tables/baseline.csv",
        "tables/flow.csv",
    ):
        assert (out / name).is_file(), name
    processed = project / "data" / "processed" / "demo"
    for name in ("participants", "windows", "quarters", "survival"):
        assert (processed / f"{name}.parquet").is_file(), name
    assert sorted(p.name for p in out.rglob("*.parquet")) == ["results.parquet"]
    assert "report: reports/demo/report.html" in first_run.stdout
    assert (project / "data" / "interim" / "demo" / "cohort.duckdb").is_file()
    assert not list(out.glob("*.duckdb"))
    assert not (out / "quarantine.csv").exists()


def test_results_match_an_independent_computation(project: Path, first_run) -> None:
    results = pl.read_parquet(project / "reports" / "demo" / "results.parquet")
    expected = _expected_employed_18m(project / "cohorts" / "demo", dt.date(2025, 12, 31))
    by_service = results.filter(
        (pl.col("analysis") == "employment")
        & (pl.col("outcome") == "employed")
        & (pl.col("window") == "18m")
        & (pl.col("grouping") == "service")
    )
    assert set(by_service["population"]) == {"complete_followup"}
    counts = by_service.filter(pl.col("statistic") == "count").sort("group")
    assert counts["group"].to_list() == expected["service"].to_list()
    assert counts["n"].to_list() == expected["n"].to_list()
    assert counts["estimate"].to_list() == expected["k"].cast(pl.Float64).to_list()
    shares = by_service.filter(pl.col("statistic") == "proportion").sort("group")
    assert shares["estimate"].to_list() == pytest.approx(
        (expected["k"] / expected["n"]).to_list(), rel=1e-12
    )
    # the Wilson interval brackets the estimate
    assert (shares["ci_lower"] < shares["estimate"]).all()
    assert (shares["estimate"] < shares["ci_upper"]).all()


def test_published_counts_respect_the_small_cell_threshold(project: Path, first_run) -> None:
    results = pl.read_csv(project / "reports" / "demo" / "results.csv")
    people_counts = results.filter(pl.col("statistic").is_in(["n", "count", "events"]))
    counts = people_counts["estimate"].drop_nulls()
    assert ((counts == 0) | (counts >= 5)).all()
    sized = results.filter(pl.col("statistic") != "excluded")["n"].drop_nulls()
    assert ((sized == 0) | (sized >= 5)).all()
    assert results.filter(pl.col("suppressed")).height > 0  # the small demo cohort has some
    assert results.filter(pl.col("secondary")).height > 0  # and needs secondary suppression
    assert not set(results["statistic"]) & {"min", "max"}
    # no lone withheld cell in any total, no small count, no proportion beside a withheld count
    threshold = 5
    assert (
        disclosure_violations(pl.read_parquet(project / "reports/demo/results.parquet"), threshold)
        == []
    )


def test_published_tables_hold_no_small_count(project: Path, first_run) -> None:
    tables = project / "reports" / "demo" / "tables"
    for path in sorted(tables.glob("*.csv")):
        table = pl.read_csv(path, encoding="utf8-lossy")
        for column in table.columns:
            if column in ("People", "Participants", "People with the outcome", "Denominator"):
                values = table[column].drop_nulls()
                assert ((values == 0) | (values >= 5)).all(), (path.name, column)


def test_report_escapes_text_from_the_data(project: Path, first_run) -> None:
    html = (project / "reports" / "demo" / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;Bergen&lt;/b&gt;" in html
    assert "<b>Bergen" not in html
    for section in (
        'id="findings"',
        'id="flow"',
        'id="baseline"',
        'id="employment"',
        'id="thl"',
        'id="continuous"',
        'id="quarterly"',
        'id="survival"',
        'id="comparison"',
        'id="benchmarks"',
        'id="wellbeing"',
        'id="fidelity"',
        'id="sites"',
        'id="data-quality"',
        'id="methods"',
        'id="provenance"',
    ):
        assert section in html


def test_report_shows_the_weighting_balance(project: Path, first_run) -> None:
    html = (project / "reports" / "demo" / "report.html").read_text(encoding="utf-8")
    assert html.count("Covariate balance for the weighting") == 2  # one per control service
    assert "Effective sample size after weighting" in html


def test_second_run_does_nothing(project: Path, first_run) -> None:
    results = project / "reports" / "demo" / "results.csv"
    before = results.stat().st_mtime_ns
    again = _run(project, "run", "cohorts/demo")
    assert again.returncode == 0, again.stderr
    assert "Nothing to be done" in (project / "logs" / "demo" / "snakemake.log").read_text()
    assert results.stat().st_mtime_ns == before


def _bad_cohort(project: Path, name: str, participants: str) -> Path:
    folder = project / "cohorts" / name
    folder.mkdir(parents=True)
    (folder / "participants.csv").write_text(participants, encoding="utf-8")
    (folder / "jobs.csv").write_text("participant_id;start_date;end_date;competitive\n")
    return folder


@pytest.mark.parametrize(
    ("participants", "message"),
    [
        (
            "participant_id;site;service\nP1;A;IPS\n",
            "participants.csv: required column(s) missing: enrolment_date",
        ),
        (
            "participant_id;site;service;enrolment_date\n131052-308T;A;IPS;01.02.2021\n",
            "holds 1 valid FI HETU number(s)",
        ),
    ],
)
def test_unusable_input_fails_with_a_message_not_a_traceback(
    project: Path, participants, message
) -> None:
    name = f"bad{abs(hash(message)) % 10_000}"
    _bad_cohort(project, name, participants)
    result = _run(project, "run", f"cohorts/{name}")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "131052" not in result.stderr + result.stdout
    assert not (project / "reports" / name / "report.html").exists()


def test_missing_folder_and_bad_config_fail_early(project: Path) -> None:
    missing = _run(project, "run", "cohorts/nowhere")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    bad = _run(project, "run", "cohorts/demo", "--config", "language=de")
    assert bad.returncode == 2
    assert "language: 'de' is not one of" in bad.stderr
    bad_date = _run(project, "run", "cohorts/demo", "--config", "data_cutoff=2025-13-01")
    assert bad_date.returncode == 2
    assert "data_cutoff: '2025-13-01' is not a 'date'" in bad_date.stderr
    assert "Traceback" not in bad.stderr + bad_date.stderr


def test_results_are_byte_identical_when_recomputed(project: Path, first_run) -> None:
    out = project / "reports" / "demo"
    before = {name: (out / name).read_bytes() for name in ("results.csv", "results.parquet")}
    for name in before:
        (out / name).unlink()
    again = _run(project, "run", "cohorts/demo")
    assert again.returncode == 0, again.stderr
    assert {name: (out / name).read_bytes() for name in before} == before


def test_validate_command_lists_problems(project: Path) -> None:
    folder = _bad_cohort(
        project,
        "dirty",
        "participant_id;site;service;enrolment_date\nP1;A;IPS;01.02.2021\nP2;A;IPS;31.02.2021\n",
    )
    result = _run(project, "validate", str(folder), "--quarantine", str(project / "q.csv"))
    assert result.returncode == 0, result.stderr
    assert "participants: 1 row(s) failed invalid_date" in result.stdout
    assert pl.read_csv(project / "q.csv")["row"].to_list() == [3]
    strict = _run(
        project, "validate", str(folder), "--strict", "--quarantine", str(project / "q.csv")
    )
    assert strict.returncode == 1


def test_single_arm_cohort_runs_and_says_there_is_no_comparison(project: Path) -> None:
    source = project / "cohorts" / "demo"
    folder = project / "cohorts" / "ipsonly"
    shutil.copytree(source, folder)
    people = pl.read_csv(folder / "participants.csv", separator=";", infer_schema=False)
    people.filter(pl.col("service") == "IPS").write_csv(folder / "participants.csv", separator=";")
    for name in ("jobs", "education", "assessments"):
        rows = pl.read_csv(folder / f"{name}.csv", separator=";", infer_schema=False)
        rows.join(
            people.filter(pl.col("service") == "IPS").select("participant_id"), on="participant_id"
        ).write_csv(folder / f"{name}.csv", separator=";")
    result = _run(project, "run", "cohorts/ipsonly")
    assert result.returncode == 0, result.stderr
    html = (project / "reports" / "ipsonly" / "report.html").read_text(encoding="utf-8")
    assert "Single-arm cohort" in html
    assert "Traceback" not in result.stderr


def _twin(project: Path, folder: Path) -> Path:
    """A second copy of the project and its demo cohort, with no outputs yet."""
    folder.mkdir()
    for name in ("Snakefile", "environment.yml"):
        shutil.copy(project / name, folder)
    for name in ("workflow", "config"):
        shutil.copytree(project / name, folder / name)
    shutil.copytree(project / "cohorts" / "demo", folder / "cohorts" / "demo")
    return folder


def test_an_independent_rerun_is_byte_identical(project: Path, first_run, tmp_path: Path) -> None:
    """Same inputs and config, another folder: every output identical but the run time."""
    twin = _twin(project, tmp_path / "twin")
    result = _run(twin, "run", "cohorts/demo")
    assert result.returncode == 0, result.stderr
    ours, theirs = project / "reports" / "demo", twin / "reports" / "demo"
    files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    assert len(files) >= 14
    stamp = re.compile(r"run[_ ]started\W+\S+")
    for name in files:
        a, b = (ours / name).read_bytes(), (theirs / name).read_bytes()
        if name.name in ("report.html", "provenance.json"):
            a, b = (stamp.sub("", x.decode("utf-8")).encode("utf-8") for x in (a, b))
        assert a == b, name


@pytest.mark.needs_browser
def test_report_renders_in_chromium_without_console_errors(
    project: Path, first_run, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium not found (Debian package chromium; .ci/run installs it)"
    report = project / "reports" / "demo" / "report.html"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    shown = subprocess.run(
        [chromium, *flags, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    console = [line for line in shown.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    for section in (
        "findings",
        "flow",
        "baseline",
        "employment",
        "thl",
        "survival",
        "comparison",
        "wellbeing",
        "fidelity",
        "sites",
        "data-quality",
        "methods",
        "provenance",
    ):
        assert f'id="{section}"' in shown.stdout, section
    assert shown.stdout.count("<img") == 6  # every figure embedded
    assert 'id="table1"' in shown.stdout
    html = report.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)  # self-contained: nothing fetched


@pytest.mark.parametrize(
    ("language", "heading", "number"), [("sv", "Deltagare", ","), ("fi", "Osallistujat", ",")]
)
def test_the_report_and_tables_read_in_a_nordic_language(
    project: Path, first_run, tmp_path: Path, language: str, heading: str, number: str
) -> None:
    config = load_config(project, {"input_dir": "cohorts/demo", "language": language})
    out = project / "reports" / "demo"
    processed = project / "data" / "processed" / "demo"
    drawn = FigureFiles(
        **{
            f"{name}_{kind}": tmp_path / f"{name}.{kind}"
            for name in ("km", "cif", "sites", "benchmarks", "fidelity", "flow")
            for kind in ("png", "svg")
        }
    )
    figures_stage(
        config,
        FigureInputs(
            results=out / "results.parquet",
            survival=processed / "survival_figures",
            comparison=processed / "comparison_figures",
            context=processed / "comparison.json",
        ),
        drawn,
    )
    files = ReportFiles(html=tmp_path / "report.html", provenance=tmp_path / "provenance.json")
    figures = {
        "time_to_first_job": drawn.km_png,
        "cumulative_incidence": drawn.cif_png,
        "forest_sites": drawn.sites_png,
        "forest_benchmarks": drawn.benchmarks_png,
        "fidelity": drawn.fidelity_png,
        "flow": drawn.flow_png,
    }
    report_stage(
        config,
        out / "results.parquet",
        project / "data" / "interim" / "demo" / "ingest.json",
        files,
        project,
        figures,
        processed / "comparison.json",
    )
    html = files.html.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in html
    assert f">{heading}<" in html
    english = [m for m in template_messages() if len(m) > 25 and "{" not in m]
    assert [m for m in english if m in html] == []  # every fixed sentence is translated
    assert re.search(r"\d,\d\xa0%", html)  # shares with a decimal comma
    for svg in (drawn.flow_svg, drawn.km_svg, drawn.sites_svg, drawn.fidelity_svg):
        shown = svg.read_text(encoding="utf-8")  # SVG text stays text: the labels are readable
        for english in ("Records read", "Months since enrolment", "Risk ratio", "Employed"):
            assert english not in shown, (svg.name, english)
    written = tables_stage(config, out / "results.parquet", tmp_path / "tables")
    employment = (tmp_path / "tables" / "employment.csv").read_text(encoding="utf-8-sig")
    assert employment.splitlines()[0].count(";") > 3  # a Nordic Excel reads ';' and ','
    assert re.search(r";0,\d+;", employment)
    assert (tmp_path / "tables" / "tables.xlsx") in written


def test_snakemake_report_gives_its_own_provenance_report(project: Path, first_run) -> None:
    zipped = project / "snakemake-report.zip"
    made = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--config", "input_dir=cohorts/demo",
         "--report", str(zipped)],
        cwd=project, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
    assert any(name.endswith("report.html") for name in names)
    assert any(name.endswith("flow.svg") for name in names)
    assert any(name.endswith("tables.xlsx") for name in names)


def test_socialstyrelsen_threshold_of_ten_holds_everywhere(
    project: Path, first_run, tmp_path: Path
) -> None:
    twin = _twin(project, tmp_path / "ten")
    result = _run(twin, "run", "cohorts/demo", "--config", "small_cell_threshold=10")
    assert result.returncode == 0, result.stderr
    published = pl.read_parquet(twin / "reports" / "demo" / "results.parquet")
    assert disclosure_violations(published, 10) == []
    counts = published.filter(pl.col("statistic").is_in(["n", "count", "events"]))["estimate"]
    assert counts.drop_nulls().is_between(1, 9).sum() == 0
    html = (twin / "reports" / "demo" / "report.html").read_text(encoding="utf-8")
    assert "&lt;10" in html
    assert "&lt;5" not in html


def test_changing_the_language_reruns_only_the_publishing_steps(project: Path, first_run) -> None:
    planned = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--config",
         f"input_dir={(project / 'cohorts' / 'demo').resolve()}", "language=fi"],
        cwd=project, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr[-2000:]
    stats = planned.stdout[planned.stdout.index("Job stats:") :].split("total")[0]
    jobs = {line.split()[0] for line in stats.splitlines()[3:] if line.strip()}
    assert jobs == {"figures", "tables", "report", "all"}
