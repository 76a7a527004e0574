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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked needs_r run R itself: required in CI, skipped (with the reason) elsewhere."""
    import os
    import shutil

    if shutil.which("Rscript") or os.environ.get("CI"):
        return  # in CI a missing R makes these tests fail, as they should
    reason = "R is not installed (see .ci/run for the Debian packages); CI runs these tests"
    for item in items:
        if "needs_r" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def rscript() -> str:
    """Path of Rscript; a clear failure when R is missing where it is required."""
    import shutil

    path = shutil.which("Rscript")
    assert path, "Rscript not found: install R and the packages .ci/run lists"
    return path
