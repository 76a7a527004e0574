from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ips_outcomes.results import RESULT_SCHEMA
from ips_outcomes.table_files import csv_safe, sheet_names, write_tables
from ips_outcomes.tables import report_tables

from .test_tables import INJECTION, ROWS


@pytest.fixture
def tables() -> dict[str, pl.DataFrame]:
    return report_tables(pl.DataFrame(ROWS, schema=RESULT_SCHEMA, orient="row"), "IPS", "18m")


def test_csv_english_and_nordic_conventions(tables: dict[str, pl.DataFrame], tmp_path: Path):
    write_tables(tables, tmp_path / "en")
    write_tables(tables, tmp_path / "fi", language="fi")
    en = (tmp_path / "en" / "thl.csv").read_bytes()
    fi = (tmp_path / "fi" / "thl.csv").read_bytes()
    assert en.startswith(b"\xef\xbb\xbfOutcome,Window,")
    assert fi.startswith(b"\xef\xbb\xbfOutcome;Window;")
    assert b",all,16,35,0.457,0.3,0.62,," in en
    assert b";all;16;35;0,457;0,3;0,62;;" in fi
    assert (tmp_path / "fi" / "participants.csv").read_text("utf-8-sig").splitlines() == [
        "Service;Participants;Suppressed", "IPS;30;false", "TAU;30;false", "all;60;false",
    ]  # fmt: skip


def test_csv_text_that_excel_would_run_gets_an_apostrophe(tables, tmp_path: Path) -> None:
    write_tables(tables, tmp_path)
    lines = (tmp_path / "sites.csv").read_text("utf-8-sig").splitlines()
    assert lines[1].startswith('"\'=HYPERLINK(""http://example.com"",""x"")",IPS,18m,12,')
    frame = pl.DataFrame({"t": ["+1", "@SUM(A1)", "-2", "\tx", "a=b", None], "k": [-1.5] * 6})
    assert csv_safe(frame).rows() == [
        ("'+1", -1.5), ("'@SUM(A1)", -1.5), ("'-2", -1.5), ("'\tx", -1.5), ("a=b", -1.5),
        (None, -1.5),
    ]  # fmt: skip


def test_outputs_byte_identical_across_runs(tables: dict[str, pl.DataFrame], tmp_path: Path):
    first = write_tables(tables, tmp_path / "a", language="sv")
    time.sleep(1.1)
    second = write_tables(tables, tmp_path / "b", language="sv")
    assert [p.name for p in first] == [*(f"{t}.csv" for t in tables), "tables.xlsx"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    with zipfile.ZipFile(first[-1]) as book:
        assert {info.date_time for info in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == [
        "2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z",
    ]  # fmt: skip


def test_workbook_sheets_read_back_as_the_tables(tables: dict[str, pl.DataFrame], tmp_path: Path):
    path = write_tables(tables, tmp_path)[-1]
    reader = fastexcel.read_excel(path)
    assert reader.sheet_names == list(tables)
    for name, table in tables.items():
        back = reader.load_sheet(name).to_polars()
        expected = table.with_columns(pl.col(pl.Int64).cast(pl.Float64))
        assert_frame_equal(back, expected, check_dtypes=False)


def test_workbook_writes_text_as_strings_never_formulas(tables, tmp_path: Path) -> None:
    path = write_tables(tables, tmp_path)[-1]
    with zipfile.ZipFile(path) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = {n: book.read(n).decode() for n in sheets}
        strings = book.read("xl/sharedStrings.xml").decode()
    assert all("<f>" not in text for text in xml.values())
    assert f"<t>{INJECTION}</t>" in strings
    sites = xml[f"xl/worksheets/sheet{list(tables).index('sites') + 1}.xml"]
    assert '<c r="A2" t="s"' in sites  # the site name is a shared-string cell
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sites
    back = fastexcel.read_excel(path).load_sheet("sites").to_polars()
    assert back["Site"][0] == INJECTION


def test_sheet_names_are_excel_safe_and_unique() -> None:
    names = sheet_names(["a" * 40, "A" * 35, "x/y:z", "'q'", "", "History"])
    assert names == ["a" * 31, "A" * 29 + "~2", "x_y_z", "q", "Sheet", "History_"]
    assert all(len(n) <= 31 for n in names)


def test_write_tables_refuses_unknown_language_and_unsafe_names(tmp_path: Path) -> None:
    table = pl.DataFrame({"x": [1]})
    with pytest.raises(ValueError, match="language"):
        write_tables({"t": table}, tmp_path, language="de")
    with pytest.raises(ValueError, match="table names"):
        write_tables({"../t": table}, tmp_path)
