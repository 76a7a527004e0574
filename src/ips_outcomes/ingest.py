"""Load a validated cohort into DuckDB: the only step that writes the database.

The database is rebuilt from scratch on every run and swapped into place atomically, so
re-running ingest on the same files gives the same content and a failed run never leaves a
half-written database behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ips_outcomes.contract import CONTRACT_VERSION, TABLES
from ips_outcomes.errors import InputError
from ips_outcomes.readers import ROW
from ips_outcomes.validate import CohortCheck, validate_cohort


def ingest(
    folder: Path,
    data_cutoff: dt.date,
    database: Path,
    quarantine_csv: Path,
    summary_json: Path,
) -> CohortCheck:
    """Validate `folder` and write accepted rows, quarantine list and summary.

    Parameters
    ----------
    folder
        Cohort folder.
    data_cutoff
        Data cut-off date; see :func:`ips_outcomes.validate.validate_cohort`.
    database
        DuckDB file to (re)create with one typed table per contract table.
    quarantine_csv
        Where the quarantined rows are listed (row-level: keep it out of `reports/`).
    summary_json
        Aggregate counts per table and rule, input checksums and reading details.

    Returns
    -------
    CohortCheck
        The validation outcome that was written.
    """
    check = validate_cohort(folder, data_cutoff)
    refuse_empty_cohort(check, folder)
    write_database(check, database)
    quarantine_csv.parent.mkdir(parents=True, exist_ok=True)
    check.quarantine.write_csv(quarantine_csv)
    summary_json.parent.mkdir(parents=True, exist_ok=True)
    summary = ingest_summary(check, folder, data_cutoff)
    summary_json.write_text(json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True))
    return check


def refuse_empty_cohort(check: CohortCheck, folder: Path) -> None:
    """Stop when no participant was accepted: there would be nothing to analyse.

    Raises
    ------
    InputError
        Naming the rules the participant rows failed, most frequent first.
    """
    people = check.tables["participants"]
    if people.rows_accepted > 0:
        return
    if people.rows_read == 0:
        raise InputError(f"{people.file}: the file has no participant rows")
    reasons = (
        check.quarantine.filter(pl.col("table") == "participants")
        .group_by("column", "rule")
        .agg(pl.col("row").n_unique().alias("rows"))
        .sort("rows", "column", "rule", descending=[True, False, False])
    )
    listed = "\n  ".join(
        f"{rows} row(s): {column} failed {rule}" for column, rule, rows in reasons.rows()
    )
    raise InputError(
        f"{people.file}: none of the {people.rows_read} participant rows could be accepted:"
        f"\n  {listed}\nRun `ips-outcomes validate {folder}` for the row-by-row list."
    )


def write_database(check: CohortCheck, database: Path) -> None:
    """Create `database` holding every contract table (empty where the file was absent)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        for name, table in TABLES.items():
            frame = (
                check.tables[name].accepted.sort(ROW).drop(ROW)
                if name in check.tables
                else pl.DataFrame(schema=table.polars_schema)
            )
            con.register("incoming", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            con.unregister("incoming")
        con.register("incoming", check.summary())
        con.execute("CREATE TABLE ingest_summary AS SELECT * FROM incoming")
        con.unregister("incoming")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(partial, database)


def ingest_summary(check: CohortCheck, folder: Path, data_cutoff: dt.date) -> dict[str, Any]:
    """Aggregate description of an ingest: safe to publish (no row-level content)."""
    by_rule = (
        check.quarantine.group_by("table", "rule")
        .agg(pl.len().alias("cells"), pl.col("row").n_unique().alias("rows"))
        .sort("table", "rule")
    )
    return {
        "contract_version": CONTRACT_VERSION,
        "data_cutoff": data_cutoff.isoformat(),
        "input_folder": folder.name,
        "tables": [
            {
                "table": name,
                "file": t.file,
                "sha256": file_sha256(folder / t.file),
                "encoding": t.encoding,
                "delimiter": t.delimiter,
                "rows_read": t.rows_read,
                "rows_accepted": t.rows_accepted,
                "rows_quarantined": t.rows_quarantined,
                "ignored_columns": list(t.ignored_columns),
            }
            for name, t in check.tables.items()
        ],
        "quarantine_by_rule": by_rule.to_dicts(),
    }


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so large registers do not fill memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
