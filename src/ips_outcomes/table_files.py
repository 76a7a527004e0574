"""The report's tables written for people who work in Excel: a CSV file each and one workbook.

CSV follows the reader's Excel: `,` and a decimal point for English; `;` and a decimal comma for
Finnish, Swedish and Norwegian, as a Nordic Excel reads a double-clicked file. A UTF-8 byte
order mark starts every CSV: without it Excel reads `Malmö` as `MalmÃ¶`. Floats are in shortest
round-trip form, as in `results.csv`. Text starting `=`, `+`, `-`, `@`, tab or carriage return
gets a leading apostrophe, so Excel shows it instead of running it (CSV injection). The
workbook's text cells are strings, which Excel never runs; its numbers show in the reader's
decimal convention; its creation date is fixed and its zip members dated 1980, so the same
tables give the same bytes. The tables come from :func:`ips_outcomes.tables.report_tables`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]

NORDIC_LANGUAGES = frozenset({"fi", "sv", "nb"})
"""Languages whose Excel expects `;`-separated CSV with a decimal comma."""
WORKBOOK = "tables.xlsx"
CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""The workbook's creation date, fixed (xlsxwriter would stamp the current time)."""
_FORMULA_START = r"^[=+\-@\t\r]"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")


def sheet_names(names: Sequence[str]) -> list[str]:
    r"""Excel-safe, unique sheet names: at most 31 characters, none of `[]:*?/\`.

    Examples
    --------
    >>> sheet_names(["a" * 40, "A" * 40, "x/y", "history"])
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAA~2', 'x_y', 'history_']
    """
    taken: set[str] = set()
    out = []
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
        # Excel reserves "History" and compares sheet names without regard to case.
        base = f"{base[:30]}_" if base.lower() == "history" else base
        candidate, number = base, 1
        while candidate.lower() in taken:
            number += 1
            candidate = base[: 31 - len(f"~{number}")] + f"~{number}"
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def csv_safe(table: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that Excel would run as a formula with an apostrophe.

    Examples
    --------
    >>> csv_safe(pl.DataFrame({"site": ["=1+1", "Åbo", "-x"], "k": [-1, 2, 3]})).rows()
    [("'=1+1", -1), ('Åbo', 2), ("'-x", 3)]
    """
    text = [c for c, dtype in table.schema.items() if dtype == pl.String]
    risky = {c: pl.col(c).str.contains(_FORMULA_START) for c in text}
    return table.with_columns(
        pl.when(risky[c]).then("'" + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text
    )


def write_tables(
    tables: Mapping[str, pl.DataFrame], folder: Path, *, language: str = "en"
) -> list[Path]:
    r"""Write `<name>.csv` per table and one workbook, `tables.xlsx`, with a sheet per table.

    Parameters
    ----------
    tables
        Tables by file-safe name (lower-case letters, digits, `_`), as from `report_tables`.
    folder
        Where to write (created if missing).
    language
        The reader's language: `en` gives `,`-separated CSV with a decimal point; `fi`, `sv`
        and `nb` give `;`-separated CSV with a decimal comma. Both have a UTF-8 BOM.

    Returns
    -------
    list of pathlib.Path
        The CSV files, in table order, then the workbook.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_tables({"t": pl.DataFrame({"x": [0.5]})}, Path(tmp), language="fi")
    ...     [p.name for p in paths], paths[0].read_bytes()
    (['t.csv', 'tables.xlsx'], b'\xef\xbb\xbfx\n0,5\n')
    """
    if language != "en" and language not in NORDIC_LANGUAGES:
        raise ValueError(f"language must be en or one of {', '.join(sorted(NORDIC_LANGUAGES))}")
    unsafe = [name for name in tables if not _SAFE_NAME.match(name)]
    if unsafe:
        raise ValueError(f"table names must be lower-case letters, digits and _: {unsafe}")
    nordic = language in NORDIC_LANGUAGES
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        paths.append(folder / f"{name}.csv")
        csv_safe(table).write_csv(
            paths[-1], separator=";" if nordic else ",", decimal_comma=nordic, include_bom=True
        )
    return [*paths, _write_workbook(tables, folder / WORKBOOK)]


def _number_format(column: pl.Series) -> str:
    if column.dtype.is_integer():
        return "0"
    size = column.abs()
    # Three decimals would show a p-value of 1e-9 as 0.000; General shows 1E-09.
    return "General" if ((size > 0) & (size < 0.001)).any() else "0.000"


def _width(column: pl.Series, header: str) -> float:
    shown = max(column.cast(pl.String).str.len_chars().fill_null(0).to_list(), default=0)
    return float(min(max(len(header), shown, 6) + 2, 60))


def _write_workbook(tables: Mapping[str, pl.DataFrame], path: Path) -> Path:
    # In memory, xlsxwriter dates every zip member 1980-01-01 instead of a temp file's time.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(str(path), options | {"strings_to_numbers": False}) as book:
        book.set_properties({"created": CREATED})
        bold = book.add_format({"bold": True})
        formats = {f: book.add_format({"num_format": f}) for f in ("0", "0.000", "General")}
        for sheet_name, table in zip(sheet_names(list(tables)), tables.values(), strict=True):
            sheet = book.add_worksheet(sheet_name)
            for c, header in enumerate(table.columns):
                column = table[header]
                sheet.write_string(0, c, header, bold)
                sheet.set_column(c, c, _width(column, header))
                number = formats[_number_format(column)] if column.dtype.is_numeric() else None
                for r, value in enumerate(column.to_list(), start=1):
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        sheet.write_boolean(r, c, value)
                    elif isinstance(value, int | float):
                        sheet.write_number(r, c, value, number)
                    else:
                        sheet.write_string(r, c, str(value))
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, table.height, max(table.width - 1, 0))
    return path
