"""Build small in-memory cohort databases with the contract's typed tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from ips_outcomes.contract import TABLES


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def cohort_db(**tables: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding every contract table; unspecified columns are null."""
    con = duckdb.connect()
    for name, table in TABLES.items():
        rows = tables.get(name, [])
        frame = pl.DataFrame(
            [{c: row.get(c) for c in table.column_names} for row in rows],
            schema=table.polars_schema,
            orient="row",
        )
        con.register("incoming", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
    return con


def person(pid: str, enrol: str, **extra: Any) -> dict[str, Any]:
    values = {"participant_id": pid, "site": "A", "service": "IPS", "enrolment_date": d(enrol)}
    for key, value in extra.items():
        values[key] = d(value) if key.endswith("_date") and isinstance(value, str) else value
    return values


def job(pid: str, start: str, end: str | None = None, competitive: bool = True, **extra: Any):
    return {
        "participant_id": pid,
        "start_date": d(start),
        "end_date": d(end) if end else None,
        "competitive": competitive,
        **extra,
    }
