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
    """Tests needing R or a browser: required in CI, skipped (with the reason) elsewhere."""
    import os
    import shutil

    if os.environ.get("CI"):
        return  # in CI a missing tool makes these tests fail, as they should
    needs = {
        "needs_r": ("Rscript", "R is not installed (see .ci/run for the Debian packages)"),
        "needs_browser": ("chromium", "Chromium is not installed (Debian package chromium)"),
    }
    for marker, (tool, reason) in needs.items():
        if shutil.which(tool):
            continue
        for item in items:
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{reason}; CI runs these tests"))


@pytest.fixture
def rscript() -> str:
    """Path of Rscript; a clear failure when R is missing where it is required."""
    import shutil

    path = shutil.which("Rscript")
    assert path, "Rscript not found: install R and the packages .ci/run lists"
    return path
