"""Find a cohort's table files and read each one into an all-text frame.

Every file is read as text first, whatever its format, so that one set of parsing and
validation rules applies to CSV, Excel and Parquet alike and a cell that does not parse can be
quarantined with its row number instead of failing the whole read.

Row numbers are those a person sees when opening the file: in CSV and Excel the header is row 1
and the first record row 2; in Parquet the first record is row 1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ips_outcomes.contract import TABLES
from ips_outcomes.errors import InputError

log = logging.getLogger(__name__)

ROW = "__row"
SUPPORTED_SUFFIXES = (".csv", ".parquet", ".xlsx")
_DELIMITERS = (";", ",", "\t")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawTable:
    """A table file read as text: lower-cased column names, plus the `__row` column."""

    name: str
    path: Path
    frame: pl.DataFrame
    encoding: str
    delimiter: str | None

    @property
    def file_name(self) -> str:
        """The file's name, as used in messages and the quarantine file."""
        return self.path.name


def discover_tables(folder: Path) -> dict[str, Path]:
    """Map each contract table found in `folder` to its file.

    Parameters
    ----------
    folder
        The cohort folder.

    Returns
    -------
    dict
        Table name to path, for the tables present.

    Raises
    ------
    InputError
        The folder is missing, a required table is missing, a table is present twice, or a
        table is in a format that cannot be read.
    """
    if not folder.is_dir():
        raise InputError(f"input folder {folder} does not exist or is not a folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if stem not in TABLES:
            if suffix in SUPPORTED_SUFFIXES:
                log.warning("%s: not a table of the data contract; ignored", path.name)
            continue
        if suffix not in SUPPORTED_SUFFIXES:
            raise InputError(
                f"{path.name}: unsupported file format {suffix!r}; "
                f"save the table as CSV, Parquet or Excel (.xlsx)"
            )
        if stem in found:
            raise InputError(
                f"table {stem!r} is present twice ({found[stem].name} and {path.name}); "
                "keep one file per table"
            )
        found[stem] = path
    for table in TABLES.values():
        if table.required and table.name not in found:
            raise InputError(
                f"{folder}: required table {table.name!r} is missing "
                f"(expected {table.name}.csv, {table.name}.parquet or {table.name}.xlsx)"
            )
    return found


def read_raw(name: str, path: Path) -> RawTable:
    r"""Read one table file as text.

    Parameters
    ----------
    name
        Contract table name.
    path
        File to read (CSV, Parquet or .xlsx).

    Returns
    -------
    RawTable
        All columns as stripped strings (empty cells null), names lower-cased, `__row` added.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "jobs.csv"
    >>> _ = p.write_bytes("Participant_ID;Start_Date\nP1;01.02.2021\n".encode("cp1252"))
    >>> raw = read_raw("jobs", p)
    >>> raw.frame.columns, raw.delimiter
    (['__row', 'participant_id', 'start_date'], ';')
    """
    suffix = path.suffix.lower()
    encoding: str = "binary"
    delimiter: str | None = None
    try:
        if suffix == ".csv":
            text, encoding = _decode(path.read_bytes())
            delimiter = _sniff_delimiter(text)
            frame = _read_csv_text(text, delimiter, path)
            first_row = 2
        elif suffix == ".xlsx":
            frame = _stringify(pl.read_excel(path, engine="calamine", sheet_id=1))
            first_row = 2
        else:
            frame = _stringify(pl.read_parquet(path))
            first_row = 1
    except InputError:
        raise
    except Exception as exc:  # a corrupt file is a data problem, not a crash
        raise InputError(
            f"{path.name}: could not be read as {suffix.lstrip('.')} ({type(exc).__name__})"
        ) from None
    frame = _normalise_names(frame, path)
    frame = frame.select(
        pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias(ROW),
        *(_clean_text(pl.col(c)).alias(c) for c in frame.columns),
    )
    return RawTable(name, path, frame, encoding, delimiter)


def _decode(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), falling back to Windows-1252 and then Latin-1."""
    if data.startswith(_BOM):
        return data[len(_BOM) :].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte, so this cannot fail.
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv_text(text: str, delimiter: str, path: Path) -> pl.DataFrame:
    if not text.strip():
        raise InputError(f"{path.name}: the file is empty (it needs at least a header row)")
    try:
        return pl.read_csv(
            text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        # polars' message can quote the offending line, which may hold identifiers.
        raise InputError(
            f"{path.name}: could not be parsed as CSV with delimiter {delimiter!r}; check the "
            "quoting and that every row has as many fields as the header"
        ) from None


def _stringify(frame: pl.DataFrame) -> pl.DataFrame:
    """Render typed columns (Parquet, Excel) as the text the parsing rules expect."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            col = col.dt.date()
        exprs.append(col.cast(pl.String).alias(name))
    return frame.select(exprs)


def _normalise_names(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    names = [c.replace("\ufeff", "").strip().lower() for c in frame.columns]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(
                f"{path.name}: column {name!r} appears twice (names are matched case-insensitively)"
            )
        seen.add(name)
    return frame.rename(dict(zip(frame.columns, names, strict=True)))


def _clean_text(expr: pl.Expr) -> pl.Expr:
    stripped = expr.cast(pl.String).str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)
