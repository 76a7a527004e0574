"""A stable entry point for researchers: open a cohort the pipeline has already analysed.

:func:`open_cohort` returns a :class:`Cohort`, which knows where the pipeline wrote each file
(see `docs/outputs.md`) and reads them on demand; nothing here recomputes anything. Analyses
are the package's own functions (e.g. :func:`ips_outcomes.employment.employment_results`,
:func:`ips_outcomes.survival_data.first_job_times`), applied to what these loaders return.
`docs/api.md` lists the functions the notebooks in `notebooks/` use.

Examples
--------
>>> cohort = Cohort(Path("/project"), "demo")
>>> cohort.database.as_posix()
'/project/data/interim/demo/cohort.duckdb'
>>> cohort.results_file.relative_to(cohort.root).as_posix()
'reports/demo/results.parquet'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ips_outcomes.config import AnalysisConfig, project_root
from ips_outcomes.report import Results

__all__ = ["Cohort", "cohort_from_env", "open_cohort", "select_results"]

#: Environment variables :func:`cohort_from_env` reads.
ROOT_VARIABLE, COHORT_VARIABLE = "IPS_PROJECT_ROOT", "IPS_COHORT"
DEFAULT_COHORT = "synthetic"


@dataclass(frozen=True)
class Cohort:
    """The pipeline's outputs for one cohort: paths, and loaders that read them when called.

    Parameters
    ----------
    root
        Project root (holds `data/` and `reports/`).
    name
        Cohort name: the input folder's name (`data/raw/synthetic` -> `synthetic`).
    """

    root: Path
    name: str

    @property
    def database(self) -> Path:
        """The ingested cohort database (row-level, `data/interim/<cohort>/cohort.duckdb`)."""
        return self.root / "data" / "interim" / self.name / "cohort.duckdb"

    @property
    def processed(self) -> Path:
        """Folder of the row-level analysis files (`data/processed/<cohort>/`)."""
        return self.root / "data" / "processed" / self.name

    @property
    def report_dir(self) -> Path:
        """Folder of the published, aggregate outputs (`reports/<cohort>/`)."""
        return self.root / "reports" / self.name

    @property
    def results_file(self) -> Path:
        """The long-format results table (`reports/<cohort>/results.parquet`)."""
        return self.report_dir / "results.parquet"

    def required_files(self) -> tuple[Path, ...]:
        """Every file the loaders read; :func:`open_cohort` checks that each exists."""
        names = ("participants", "windows", "quarters", "survival")
        return (
            self.database,
            *(self.processed / f"{n}.parquet" for n in names),
            self.results_file,
            self.report_dir / "provenance.json",
        )

    def participants(self) -> pl.DataFrame:
        """Read the analysis dataset: one row per person, measures as `<measure>_<window>`."""
        return pl.read_parquet(self.processed / "participants.parquet")

    def windows(self) -> pl.DataFrame:
        """Read the window measures in long form: one row per person and window."""
        return pl.read_parquet(self.processed / "windows.parquet")

    def quarters(self) -> pl.DataFrame:
        """Each intervention participant's served quarters, and whether they worked in each."""
        return pl.read_parquet(self.processed / "quarters.parquet")

    def survival_data(self) -> pl.DataFrame:
        """Read the time-to-first-job dataset, as `survival_data.first_job_times` made it."""
        return pl.read_parquet(self.processed / "survival.parquet")

    def results(self) -> pl.DataFrame:
        """Every published (suppressed) number, in the long format of `docs/outputs.md`."""
        return pl.read_parquet(self.results_file)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """Open the cohort database read-only; close it (or use `with`) when done."""
        return duckdb.connect(str(self.database), read_only=True)

    def table(self, name: str) -> pl.DataFrame:
        """One ingested table (`participants`, `jobs`, `education`, `assessments`, `fidelity`)."""
        with self.connect() as con:
            known = {row[0] for row in con.sql("SHOW TABLES").fetchall()}
            if name not in known:
                raise KeyError(f"no table {name!r} in {self.database}; tables: {sorted(known)}")
            frame: pl.DataFrame = con.sql(f'SELECT * FROM "{name}"').pl()
        return frame

    def provenance(self) -> dict[str, Any]:
        """Read the run's provenance record: inputs, configuration, code and package versions."""
        record: dict[str, Any] = json.loads(
            (self.report_dir / "provenance.json").read_text(encoding="utf-8")
        )
        return record

    def config(self) -> AnalysisConfig:
        """Return the configuration the pipeline ran with (as `provenance.json` records it)."""
        settings = dict(self.provenance()["config"])
        settings["benchmarks"] = str(self.root / settings["benchmarks"])
        return AnalysisConfig.from_mapping(settings)

    def lookup(self) -> Results:
        """Return the report's look-up of result rows (:class:`ips_outcomes.report.Results`)."""
        return Results(self.results(), self.config().small_cell_threshold)


def open_cohort(root: Path | str, cohort: str = DEFAULT_COHORT) -> Cohort:
    """Open a cohort the pipeline has run on; fail early, saying how, when outputs are missing.

    Parameters
    ----------
    root
        Project root.
    cohort
        Cohort name (the input folder's name).

    Returns
    -------
    Cohort
        Paths and loaders of the cohort's outputs.

    Raises
    ------
    FileNotFoundError
        When an output is missing: run `ips-outcomes run DIR` (or `make report`) first.

    Examples
    --------
    >>> open_cohort("/nowhere", "demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: cohort 'demo' has no pipeline outputs under /nowhere ...
    """
    found = Cohort(Path(root).resolve(), cohort)
    missing = [p for p in found.required_files() if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"cohort {cohort!r} has no pipeline outputs under {found.root} (missing "
            f"{missing[0].relative_to(found.root)}); run `ips-outcomes run data/raw/{cohort}` "
            "(or `make report` for the synthetic example) first"
        )
    return found


def cohort_from_env(default: str = DEFAULT_COHORT) -> Cohort:
    """Open the cohort named by `IPS_COHORT` in the project at `IPS_PROJECT_ROOT`.

    Without `IPS_PROJECT_ROOT`, the project is found from the current folder (as the command
    line does); without `IPS_COHORT`, `default` is opened. Notebooks start here.
    """
    root = os.environ.get(ROOT_VARIABLE)
    return open_cohort(
        Path(root) if root else project_root(), os.environ.get(COHORT_VARIABLE, default)
    )


def select_results(results: pl.DataFrame, **equal: str | None) -> pl.DataFrame:
    """Rows of a long results table whose columns equal the values given (None: empty).

    Examples
    --------
    >>> table = pl.DataFrame({"analysis": ["employment", "employment", "thl"],
    ...     "window": ["18m", None, "12m"], "estimate": [0.5, 0.2, 0.4]})
    >>> select_results(table, analysis="employment", window="18m")["estimate"].to_list()
    [0.5]
    >>> select_results(table, window=None)["estimate"].to_list()
    [0.2]
    """
    unknown = sorted(set(equal) - set(results.columns))
    if unknown:
        raise KeyError(f"no column {unknown}; columns are {results.columns}")
    where = [pl.col(c).is_null() if v is None else pl.col(c) == v for c, v in equal.items()]
    return results.filter(*where) if where else results
