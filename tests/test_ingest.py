from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ips_outcomes.contract import TABLES
from ips_outcomes.errors import InputError, NationalIdError
from ips_outcomes.ingest import ingest

from .conftest import CUTOFF, JOBS_HEADER, PARTICIPANTS_HEADER, write_cohort


def _tables(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}


def _run(folder: Path, out: Path):
    return ingest(folder, CUTOFF, out / "c.duckdb", out / "q.csv", out / "s.json")


@pytest.fixture
def small_cohort(cohort_dir: Path) -> Path:
    return write_cohort(
        cohort_dir,
        participants=PARTICIPANTS_HEADER + ";age_at_enrolment\nP2;Malmö;TAU;2021-03-04;41\n"
        "P1;Åbo;IPS;01.02.2021;34,5\nP3;Åbo;IPS;bad;\n",
        jobs=JOBS_HEADER + "\nP1;01.03.2021;;ja\nP3;01.03.2021;;ja\n",
    )


def test_ingest_writes_typed_tables_in_source_order(small_cohort: Path, tmp_path: Path) -> None:
    _run(small_cohort, tmp_path / "out")
    tables = _tables(tmp_path / "out" / "c.duckdb")
    assert set(tables) == {*TABLES, "ingest_summary"}
    assert [(r[0], r[7]) for r in tables["participants"]] == [("P2", 41.0), ("P1", 34.5)]
    assert len(tables["jobs"]) == 1
    assert tables["fidelity"] == []  # absent optional tables exist, empty, with their schema
    with duckdb.connect(str(tmp_path / "out" / "c.duckdb"), read_only=True) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'fidelity'"
            ).fetchall()
        )
    assert types == {"site": "VARCHAR", "review_date": "DATE", "item": "VARCHAR", "score": "BIGINT"}


def test_ingest_is_idempotent(small_cohort: Path, tmp_path: Path) -> None:
    _run(small_cohort, tmp_path / "a")
    _run(small_cohort, tmp_path / "a")  # over an existing database
    _run(small_cohort, tmp_path / "b")
    assert _tables(tmp_path / "a" / "c.duckdb") == _tables(tmp_path / "b" / "c.duckdb")
    assert (tmp_path / "a" / "q.csv").read_bytes() == (tmp_path / "b" / "q.csv").read_bytes()
    assert (tmp_path / "a" / "s.json").read_bytes() == (tmp_path / "b" / "s.json").read_bytes()
    assert not list((tmp_path / "a").glob("*.partial*"))


def test_summary_reconciles_and_names_rules(small_cohort: Path, tmp_path: Path) -> None:
    _run(small_cohort, tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "s.json").read_text())
    counts = [
        (t["table"], t["rows_read"], t["rows_accepted"], t["rows_quarantined"])
        for t in summary["tables"]
    ]
    assert counts == [("participants", 3, 2, 1), ("jobs", 2, 1, 1)]
    assert summary["quarantine_by_rule"] == [
        {"table": "jobs", "rule": "participant_quarantined", "cells": 1, "rows": 1},
        {"table": "participants", "rule": "invalid_date", "cells": 1, "rows": 1},
    ]
    assert summary["tables"][0]["encoding"] == "utf-8"
    assert len(summary["tables"][0]["sha256"]) == 64
    quarantine = pl.read_csv(tmp_path / "out" / "q.csv")
    assert quarantine.select("file", "row", "column", "rule").rows() == [
        ("participants.csv", 4, "enrolment_date", "invalid_date"),
        ("jobs.csv", 3, "participant_id", "participant_quarantined"),
    ]


def test_refused_input_leaves_no_database(cohort_dir: Path, tmp_path: Path) -> None:
    write_cohort(cohort_dir, participants=PARTICIPANTS_HEADER + "\n131052-308T;A;IPS;01.02.2021\n")
    with pytest.raises(NationalIdError):
        _run(cohort_dir, tmp_path / "out")
    assert not (tmp_path / "out" / "c.duckdb").exists()


def test_a_cohort_with_no_usable_participant_is_refused(cohort_dir: Path, tmp_path: Path) -> None:
    write_cohort(
        cohort_dir,
        participants=PARTICIPANTS_HEADER + "\nP1;A;IPS;bad\nP2;A;IPS;bad\nP3;;IPS;01.01.2021\n",
    )
    with pytest.raises(InputError) as refused:
        _run(cohort_dir, tmp_path / "out")
    assert str(refused.value).splitlines()[:3] == [
        "participants.csv: none of the 3 participant rows could be accepted:",
        "  2 row(s): enrolment_date failed invalid_date",
        "  1 row(s): site failed missing_value",
    ]
    assert not (tmp_path / "out" / "c.duckdb").exists()


def test_a_participants_file_with_only_a_header_is_refused(
    cohort_dir: Path, tmp_path: Path
) -> None:
    write_cohort(cohort_dir, participants=PARTICIPANTS_HEADER + "\n")
    with pytest.raises(InputError, match=r"participants\.csv: the file has no participant rows"):
        _run(cohort_dir, tmp_path / "out")
