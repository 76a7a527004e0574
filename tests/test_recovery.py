"""On a generated cohort, the pipeline's rates recover the generator's true rates."""

from __future__ import annotations

import math

import duckdb
import polars as pl
import pytest

from ips_outcomes.dataset import build_dataset
from ips_outcomes.employment import window_frame
from ips_outcomes.ingest import ingest
from ips_outcomes.rates import rate_table
from ips_outcomes.synth import SynthConfig, generate, write

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("recovery")
    cohort = generate(SynthConfig(participants=20_000, seed=11))
    write(cohort, folder / "cohort")
    db = folder / "c.duckdb"
    ingest(folder / "cohort", cohort.data_cutoff, db, folder / "q.csv", folder / "s.json")
    with duckdb.connect(str(db), read_only=True) as con:
        people, per_window = build_dataset(con, cohort.data_cutoff, [6, 12, 18])
    return cohort.truth, people, per_window


@pytest.mark.parametrize("window", ["6m", "12m", "18m"])
def test_new_job_rates_recover_the_true_probabilities(generated, window: str) -> None:
    truth, people, per_window = generated
    measured = window_frame(people, per_window).join(
        people.select("participant_id", "in_work_at_entry"), on="participant_id"
    )
    frame = measured.filter((pl.col("window") == window) & ~pl.col("in_work_at_entry"))
    table = rate_table(frame, "new_job", ["service"], pl.col("window_complete"))
    for row in table.iter_rows(named=True):
        true_p = truth["p_competitive_job"][row["service"]][window]
        se = math.sqrt(true_p * (1 - true_p) / row["denominator"])
        # 9 comparisons (3 windows x 3 services): |z| < 3 keeps the family-wise error small
        assert abs(row["proportion"] - true_p) < 3 * se, (row, true_p)
        assert row["denominator"] > 2_000
        assert row["excluded"] > 0  # later enrollees and people lost to follow-up


def test_dropout_recovers_the_true_probabilities(generated) -> None:
    # Drop-outs leave sooner than completers, so among episodes that happen to have ended the
    # drop-out share is biased upwards. Episodes last at most 24 months in the generator: take
    # people enrolled 24+ months before the cut-off and never lost to follow-up, whose episodes
    # have all ended.
    truth, people, _ = generated
    settled = people.filter(
        (pl.col("enrolment_date") <= pl.date(2023, 12, 31)) & pl.col("followup_end_date").is_null()
    )
    assert settled["exit_date"].null_count() == 0
    table = rate_table(settled, "dropped_out", ["service"])
    for row in table.iter_rows(named=True):
        true_p = truth["dropout"][row["service"]]
        se = math.sqrt(true_p * (1 - true_p) / row["denominator"])
        assert abs(row["proportion"] - true_p) < 3 * se, (row, true_p)


def test_reported_and_register_status_at_12_months_agree(generated) -> None:
    # The generator answers the 12-month work_or_study item from its own spells.
    _, people, _ = generated
    reported = people.filter(pl.col("status_reported_12m").is_not_null() & pl.col("observed_12m"))
    assert reported.height > 5_000
    from_spells = reported["working_12m"] | reported["studying_12m"]
    assert (reported["status_reported_12m"] == from_spells).all()
    assert people["working_or_studying_12m"].null_count() < people.height * 0.1
