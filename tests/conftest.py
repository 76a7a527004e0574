from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

CUTOFF = dt.date(2025, 12, 31)

PARTICIPANTS_HEADER = "participant_id;site;service;enrolment_date"
JOBS_HEADER = "participant_id;start_date;end_date;competitive"


def write_cohort(folder: Path, **tables: str) -> Path:
    """Write each keyword as `<name>.csv` (UTF-8) in `folder`; `jobs` defaults to a header."""
    folder.mkdir(parents=True, exist_ok=True)
    tables.setdefault("jobs", JOBS_HEADER + "\n")
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def cohort_dir(tmp_path: Path) -> Path:
    return tmp_path / "cohort"
