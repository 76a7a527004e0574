"""Regenerate the committed survival test cohorts from the synthetic generator.

Run from the project root: `.venv/bin/python tests/reference/make_cohorts.py`; then rerun the
R scripts in this folder and commit their outputs with the cohorts.
"""

import tempfile
from pathlib import Path

import duckdb
import polars as pl

from ips_outcomes.dataset import build_dataset
from ips_outcomes.ingest import ingest
from ips_outcomes.survival_data import first_job_times
from ips_outcomes.synth import SynthConfig, generate, write


def main() -> None:
    for name, n, seed in (("small", 400, 31), ("medium", 3000, 32)):
        tmp = Path(tempfile.mkdtemp())
        cohort = generate(SynthConfig(participants=n, seed=seed))
        write(cohort, tmp / "c")
        ingest(tmp / "c", cohort.data_cutoff, tmp / "db.duckdb", tmp / "q.csv", tmp / "s.json")
        with duckdb.connect(str(tmp / "db.duckdb"), read_only=True) as con:
            people, _ = build_dataset(con, cohort.data_cutoff, [6, 12, 18])
        data = first_job_times(people)
        if name == "small":  # whole weeks, so the small cohort has many tied times
            data = data.with_columns(pl.col("time") // 7 * 7, pl.col("cr_time") // 7 * 7)
        data = data.with_columns(pl.col("event").cast(pl.Int8))
        data.write_csv(Path(__file__).parent / f"survival_{name}.csv")


if __name__ == "__main__":
    main()
