"""Validate a cohort folder against the data contract: every row is accepted or quarantined.

A quarantine row names the file, the row a person sees when opening it, the column, the rule
that failed and a message. It repeats the raw cell value so the user can find and fix it, except
in identifier columns, whose values are never copied anywhere. A row that breaks several rules
appears once per rule; rows read = rows accepted + distinct rows quarantined, per table.

Rules (the `rule` column):

==========================  ==============================================================
missing_value               a required cell is empty
invalid_date / _bool /      the text does not parse as that type
invalid_float / _int
date_out_of_range           before 1990-01-01 or after the data cut-off
out_of_range                a number outside the contract's plausible range
negative_value              a negative number where only zero or more makes sense
end_before_start            an end (or exit, or end of follow-up) date before its start
unknown_item                a fidelity item code that is not on the IPS-25 scale
duplicate_id                a participant id that appears more than once (all copies)
duplicate_key               a repeated (participant, timepoint, instrument) assessment or
                            (site, review date, item) fidelity score (all copies)
duplicate_row               an exact repeat of an earlier job or education row
unknown_participant         the participant id is not in the participants file
participant_quarantined     the participant's own row was quarantined
==========================  ==============================================================
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ips_outcomes.contract import EARLIEST_DATE, FIDELITY_ITEMS, POLARS_TYPES, TABLES, Column, Table
from ips_outcomes.errors import InputError, NationalIdError
from ips_outcomes.national_id import scan_frame
from ips_outcomes.parsing import parse_as
from ips_outcomes.readers import ROW, RawTable, discover_tables, read_raw

log = logging.getLogger(__name__)

QUARANTINE_SCHEMA: dict[str, type[pl.DataType]] = {
    "table": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "rule": pl.String,
    "message": pl.String,
    "value": pl.String,
}

_DATE_SPANS = {
    "participants": (("enrolment_date", "exit_date"), ("enrolment_date", "followup_end_date")),
    "jobs": (("start_date", "end_date"),),
    "education": (("start_date", "end_date"),),
}
_KIND_WORDS = {
    "date": "a date (write yyyy-mm-dd or dd.mm.yyyy)",
    "bool": "yes/no (e.g. yes, no, kyllä, ei, ja, nej, nei, 1, 0)",
    "float": "a number",
    "int": "a whole number",
}


@dataclass(frozen=True)
class TableCheck:
    """Outcome of validating one table file."""

    name: str
    file: str
    rows_read: int
    accepted: pl.DataFrame
    ignored_columns: tuple[str, ...]
    encoding: str
    delimiter: str | None

    @property
    def rows_accepted(self) -> int:
        """Rows that passed every rule."""
        return self.accepted.height

    @property
    def rows_quarantined(self) -> int:
        """Rows that failed at least one rule."""
        return self.rows_read - self.accepted.height


@dataclass(frozen=True)
class CohortCheck:
    """Outcome of validating a whole cohort folder."""

    tables: dict[str, TableCheck]
    quarantine: pl.DataFrame

    def summary(self) -> pl.DataFrame:
        """Rows read, accepted and quarantined per table (counts reconcile by construction)."""
        return pl.DataFrame(
            [
                {
                    "table": t.name,
                    "file": t.file,
                    "rows_read": t.rows_read,
                    "rows_accepted": t.rows_accepted,
                    "rows_quarantined": t.rows_quarantined,
                }
                for t in self.tables.values()
            ],
            schema={
                "table": pl.String,
                "file": pl.String,
                "rows_read": pl.Int64,
                "rows_accepted": pl.Int64,
                "rows_quarantined": pl.Int64,
            },
        )


def validate_cohort(folder: Path, data_cutoff: dt.date) -> CohortCheck:
    """Read and validate every contract table in `folder`.

    Parameters
    ----------
    folder
        Cohort folder holding `participants`, `jobs` and optional tables.
    data_cutoff
        Last date of the data extract; later dates are quarantined.

    Returns
    -------
    CohortCheck
        Accepted typed rows per table and the quarantine list.

    Raises
    ------
    InputError
        The folder or a file cannot be used at all (missing required table or column,
        unreadable file, or national identity numbers found).
    """
    raws = {name: read_raw(name, path) for name, path in discover_tables(folder).items()}
    _refuse_national_ids(raws.values())
    typed: dict[str, pl.DataFrame] = {}
    problems: list[pl.DataFrame] = []
    ignored: dict[str, tuple[str, ...]] = {}
    for name in TABLES:  # contract order: participants before the tables that refer to it
        if name not in raws:
            continue
        frame, issues, ignored[name] = _check_table(TABLES[name], raws[name], data_cutoff)
        typed[name] = frame
        problems.append(issues)
    quarantine = pl.concat(problems, how="vertical") if problems else _empty_quarantine()
    quarantine = pl.concat([quarantine, _check_links(typed, quarantine, raws)], how="vertical")
    order = {name: i for i, name in enumerate(TABLES)}
    quarantine = (
        quarantine.with_columns(pl.col("table").replace_strict(order).alias("_order"))
        .sort("_order", "row", "column", "rule")
        .drop("_order")
    )
    checks = {}
    for name, frame in typed.items():
        bad_rows = quarantine.filter(pl.col("table") == name).get_column("row").unique()
        raw = raws[name]
        checks[name] = TableCheck(
            name=name,
            file=raw.file_name,
            rows_read=frame.height,
            accepted=frame.filter(~pl.col(ROW).is_in(bad_rows.implode())),
            ignored_columns=ignored[name],
            encoding=raw.encoding,
            delimiter=raw.delimiter,
        )
    return CohortCheck(checks, quarantine)


def _refuse_national_ids(raws: Iterable[RawTable]) -> None:
    refusals = []
    for raw in raws:
        for hit in scan_frame(raw.frame.drop(ROW)):
            rows = raw.frame.get_column(ROW).gather(list(hit.first_rows)).to_list()
            shown = ", ".join(str(r) for r in rows)
            refusals.append(
                f"{raw.file_name}: column {hit.column!r} holds {hit.count} valid {hit.kind} "
                f"number(s) (first at row {shown})"
            )
    if refusals:
        raise NationalIdError(
            "refused: national identity numbers found. They are direct identifiers and must "
            "never enter this pipeline; replace them with pseudonyms and run again. The numbers "
            "themselves are not shown.\n  " + "\n  ".join(refusals)
        )


def _check_table(
    table: Table, raw: RawTable, cutoff: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    present = [c for c in raw.frame.columns if c != ROW]
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        raise InputError(
            f"{raw.file_name}: required column(s) missing: {', '.join(missing)} "
            f"(table {table.name!r} needs {', '.join(table.required_columns)})"
        )
    ignored = tuple(c for c in present if c not in table.column_names)
    if ignored:
        log.warning("%s: extra column(s) ignored: %s", raw.file_name, ", ".join(ignored))
    text = raw.frame.select(
        ROW,
        *(
            pl.col(c) if c in present else pl.lit(None, dtype=pl.String).alias(c)
            for c in table.column_names
        ),
    )
    if table.name == "fidelity":
        text = text.with_columns(pl.col("item").str.to_uppercase())
    typed = text.select(
        ROW,
        *(parse_as(c.kind, pl.col(c.name)).cast(_dtype(c)).alias(c.name) for c in table.columns),
    )
    both = pl.concat(
        [text, typed.drop(ROW).rename({c: f"{c}__typed" for c in table.column_names})],
        how="horizontal",
    )
    checks = list(_cell_rules(table, cutoff)) + list(_row_rules(table))
    issues = [
        both.filter(bad).select(
            *_issue_columns(
                table.name,
                raw.file_name,
                column,
                rule,
                message,
                None if table.column(column).kind == "id" else pl.col(column),
            )
        )
        for column, rule, bad, message in checks
    ]
    quarantine = pl.concat(issues, how="vertical") if issues else _empty_quarantine()
    return typed, quarantine, ignored


Check = tuple[str, str, pl.Expr, str]


def _cell_rules(table: Table, cutoff: dt.date) -> Iterator[Check]:
    earliest = dt.date.fromisoformat(EARLIEST_DATE)
    for col in table.columns:
        text, value = pl.col(col.name), pl.col(f"{col.name}__typed")
        if col.required:
            yield col.name, "missing_value", text.is_null(), f"{col.name} is required"
        if col.kind in _KIND_WORDS:
            yield (
                col.name,
                f"invalid_{col.kind}",
                text.is_not_null() & value.is_null(),
                f"{col.name} is not {_KIND_WORDS[col.kind]}",
            )
        if col.kind == "date":
            yield (
                col.name,
                "date_out_of_range",
                (value < earliest) | (value > cutoff),
                f"{col.name} is before {earliest} or after the data cut-off {cutoff}",
            )
        if col.minimum == 0:
            yield col.name, "negative_value", value < 0, f"{col.name} is negative"
        elif col.minimum is not None:
            yield col.name, "out_of_range", value < col.minimum, _range_text(col)
        if col.maximum is not None:
            yield col.name, "out_of_range", value > col.maximum, _range_text(col)


def _row_rules(table: Table) -> Iterator[Check]:
    for start, end in _DATE_SPANS.get(table.name, ()):
        yield (
            end,
            "end_before_start",
            pl.col(f"{end}__typed") < pl.col(f"{start}__typed"),
            f"{end} is before {start}",
        )
    if table.name == "fidelity":
        yield (
            "item",
            "unknown_item",
            pl.col("item").is_not_null() & ~pl.col("item").is_in(FIDELITY_ITEMS),
            "item is not an IPS-25 item code (S1-S3, O1-O8, V1-V14)",
        )
    typed_cols = [pl.col(f"{c}__typed") for c in table.column_names]
    if table.unique_key:
        key = [pl.col(f"{c}__typed") for c in table.unique_key]
        rule = "duplicate_id" if table.unique_key == ("participant_id",) else "duplicate_key"
        yield (
            table.unique_key[-1],
            rule,
            pl.all_horizontal(k.is_not_null() for k in key) & pl.struct(key).is_duplicated(),
            f"{' + '.join(table.unique_key)} appears more than once; every copy is set aside",
        )
    else:
        yield (
            table.column_names[0],
            "duplicate_row",
            ~pl.struct(typed_cols).is_first_distinct(),
            "the row repeats an earlier row exactly",
        )


def _check_links(
    typed: dict[str, pl.DataFrame], quarantine: pl.DataFrame, raws: dict[str, RawTable]
) -> pl.DataFrame:
    people = typed["participants"].select(ROW, "participant_id")
    set_aside = quarantine.filter(pl.col("table") == "participants").select(
        pl.col("row").alias(ROW)
    )
    known = people.get_column("participant_id").drop_nulls().implode()
    rejected = people.join(set_aside, on=ROW, how="semi").get_column("participant_id")
    frames = []
    for name, frame in typed.items():
        if not TABLES[name].participant_linked:
            continue
        pid = pl.col("participant_id")
        for rule, bad, message in (
            ("unknown_participant", ~pid.is_in(known), "participant_id is not in participants"),
            (
                "participant_quarantined",
                pid.is_in(rejected.drop_nulls().implode()),
                "the participant's own row is quarantined",
            ),
        ):
            frames.append(
                frame.filter(pid.is_not_null() & bad).select(
                    *_issue_columns(
                        name, raws[name].file_name, "participant_id", rule, message, None
                    )
                )
            )
    return pl.concat(frames, how="vertical") if frames else _empty_quarantine()


def _issue_columns(
    table: str, file: str, column: str, rule: str, message: str, value: pl.Expr | None
) -> list[pl.Expr]:
    """Quarantine columns for rows failing one rule; `value` None never copies the cell."""
    return [
        pl.lit(table).alias("table"),
        pl.lit(file).alias("file"),
        pl.col(ROW).alias("row"),
        pl.lit(column).alias("column"),
        pl.lit(rule).alias("rule"),
        pl.lit(message).alias("message"),
        (pl.lit(None, dtype=pl.String) if value is None else value.cast(pl.String)).alias("value"),
    ]


def _dtype(col: Column) -> type[pl.DataType]:
    return POLARS_TYPES[col.kind]


def _range_text(col: Column) -> str:
    high = "" if col.maximum is None else f" to {col.maximum:g}"
    return f"{col.name} is outside the plausible range {col.minimum:g}{high}"


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)
