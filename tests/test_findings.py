# ruff: noqa: E501  (one result row a line reads best)
from pathlib import Path

import polars as pl

from ips_outcomes.config import load_config
from ips_outcomes.findings import data_quality_finding, key_findings
from ips_outcomes.i18n import Translator
from ips_outcomes.report import Results
from ips_outcomes.results import RESULT_SCHEMA

ROOT = Path(__file__).resolve().parents[1]


def row(
    analysis,
    outcome,
    window,
    population,
    grouping,
    group,
    statistic,
    estimate,
    lo=None,
    hi=None,
    n=None,
    suppressed=False,
):
    return (
        analysis,
        outcome,
        window,
        population,
        grouping,
        group,
        statistic,
        estimate,
        lo,
        hi,
        n,
        suppressed,
    )


ROWS = [
    row("cohort", "participants", None, None, "all", "all", "n", 300.0, n=300),
    row("cohort", "participants", None, None, "service", "IPS", "n", 200.0, n=200),
    row("cohort", "participants", None, None, "service", "TAU", "n", 100.0, n=100),
    row("employment", "employed", "18m", "complete_followup", "service", "IPS", "count", 90.0, n=180),
    row("employment", "employed", "18m", "complete_followup", "service", "IPS", "proportion", 0.5, 0.43, 0.57, n=180),
    row("comparison", "employed", "18m", "complete_followup", "comparison", "IPS vs TAU", "risk_control", 0.3),
    row("comparison", "employed", "18m", "complete_followup", "comparison", "IPS vs TAU", "risk_difference", 0.2, 0.08, 0.32),
    row("comparison", "employed", "18m", "complete_followup", "comparison", "IPS vs TAU", "risk_ratio", 1.667, 1.2, 2.3),
    row("survival", "first_job", None, "out_of_work_at_entry", "comparison", "IPS vs TAU", "hr_unadjusted", 0.8, 0.6, 1.1),
    row("thl", "employed_during_service", "service", "complete_case", "service", "IPS", "proportion", 0.46, 0.4, 0.52, n=150),
    row("thl", "working_or_studying_12m", "12m", "complete_case", "service", "IPS", "proportion", 0.551, 0.5, 0.6, n=170),
]  # fmt: skip


def results(language: str = "en") -> Results:
    frame = pl.DataFrame(ROWS, schema=RESULT_SCHEMA, orient="row")
    return Results(frame, 5, Translator(language))


def config(design: str = "randomised"):
    return load_config(ROOT, {"input_dir": "data/raw/synthetic", "design": design})


def test_findings_state_the_numbers_in_plain_words() -> None:
    found = key_findings(
        results(), config(), {"employed_during_service": 0.49, "working_or_studying_12m": 0.55}
    )
    assert found == [
        "300 people were enrolled: IPS 200, TAU 100.",
        "Within 18 months of enrolment, 50% of IPS participants followed for the whole window"
        " worked in a competitive job (90 of 180).",
        "Compared with TAU (30%), that is 20 percentage points more (95 % CI 8 to 32);"
        " risk ratio 1.67 (1.20–2.30).",
        "Among people out of work at entry, time to a first job did not clearly differ between"
        " IPS and TAU: hazard ratio 0.80 (95 % CI 0.60 to 1.10).",
        "By THL's definitions, 46% of IPS participants with a known outcome had a competitive job"
        " during the service episode (national evaluation: 49%), and 55% were working or"
        " studying at 12 months (national evaluation: 55%).",
    ]  # fmt: skip


def test_a_worse_result_is_said_to_be_worse_and_observational_designs_are_flagged() -> None:
    worse = [
        r if r[6] != "risk_difference" else (*r[:7], -0.1, -0.18, -0.02, *r[10:]) for r in ROWS
    ]
    frame = pl.DataFrame(worse, schema=RESULT_SCHEMA, orient="row")
    found = key_findings(Results(frame, 5, Translator("en")), config("observational"))
    assert "that is 10 percentage points fewer (95 % CI 2 to 18 fewer)" in found[2]
    assert found[-1].startswith("The services were not allocated at random")


def test_a_withheld_share_is_not_stated() -> None:
    hidden = [r if r[0] != "employment" else (*r[:7], None, None, None, None, True) for r in ROWS]
    frame = pl.DataFrame(hidden, schema=RESULT_SCHEMA, orient="row")
    found = key_findings(Results(frame, 5, Translator("en")), config())
    assert found[1] == "The share employed within 18 months in IPS is withheld (too few people)."
    assert not any("percentage points" in f for f in found)


def test_data_quality_counts_are_suppressed_when_small() -> None:
    summary = {
        "tables": [
            {"rows_read": 1000, "rows_quarantined": 3},
            {"rows_read": 20, "rows_quarantined": 0},
        ]
    }
    assert data_quality_finding(results(), summary) == (
        "<5 of 1,020 input records failed validation and were left out (see Data quality)."
    )
    clean = {"tables": [{"rows_read": 1000, "rows_quarantined": 0}]}
    assert (
        data_quality_finding(results("fi"), clean) != "All 1,000 input records passed validation."
    )
