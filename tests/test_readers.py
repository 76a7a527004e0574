from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ips_outcomes.errors import InputError
from ips_outcomes.readers import ROW, discover_tables, read_raw

from .conftest import write_cohort

NORDIC = (
    "Participant_ID;SITE;Service;Enrolment_Date\n"
    "P1;Jyväskylä;IPS;01.02.2021\nP2;Malmö;TAU;2021-03-04\n"
)


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("cp1252", b"", "cp1252"),
        ("latin-1", b"", "cp1252"),  # Latin-1 and cp1252 agree on å, ä, ö
    ],
)
def test_encodings_decode_nordic_letters(tmp_path: Path, encoding, prefix, expected) -> None:
    path = tmp_path / "participants.csv"
    path.write_bytes(prefix + NORDIC.encode(encoding))
    raw = read_raw("participants", path)
    assert raw.encoding == expected
    assert raw.frame.columns == [ROW, "participant_id", "site", "service", "enrolment_date"]
    assert raw.frame["site"].to_list() == ["Jyväskylä", "Malmö"]


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_bytes(b"participant_id;occupation\nP1;caf\x81\n")
    raw = read_raw("jobs", path)
    assert raw.encoding == "latin-1"
    assert raw.frame["occupation"].to_list() == ["caf\x81"]


@pytest.mark.parametrize(("delimiter"), [";", ",", "\t"])
def test_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text(f"participant_id{delimiter}hours_per_week\nP1{delimiter}7\n")
    raw = read_raw("jobs", path)
    assert raw.delimiter == delimiter
    assert raw.frame.rows() == [(2, "P1", "7")]


def test_cells_are_stripped_and_blank_cells_are_null(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text('participant_id;occupation;end_date\n  P1 ;"  Kokk ";   \nP2;;\n')
    raw = read_raw("jobs", path)
    assert raw.frame.rows() == [(2, "P1", "Kokk", None), (3, "P2", None, None)]


def test_excel_and_parquet_are_read_as_text(tmp_path: Path) -> None:
    import datetime as dt

    frame = pl.DataFrame(
        {
            "Participant_ID": ["P1", "P2"],
            "start_date": [dt.date(2021, 2, 1), dt.date(2022, 3, 4)],
            "competitive": [True, False],
            "hours_per_week": [12.5, 30.0],
        }
    )
    frame.write_excel(tmp_path / "jobs.xlsx")
    xlsx = read_raw("jobs", tmp_path / "jobs.xlsx")
    frame.write_parquet(tmp_path / "jobs.parquet")
    parquet = read_raw("jobs", tmp_path / "jobs.parquet")
    expected = [("P1", "2021-02-01", "true", "12.5"), ("P2", "2022-03-04", "false", "30.0")]
    assert parquet.frame.drop(ROW).rows() == expected
    assert parquet.frame[ROW].to_list() == [1, 2]
    # Excel numbers come back as floats and booleans as text: both parse the same way later.
    assert xlsx.frame[ROW].to_list() == [2, 3]
    assert xlsx.frame["start_date"].to_list() == ["2021-02-01", "2022-03-04"]
    assert xlsx.frame["competitive"].str.to_lowercase().to_list() == ["true", "false"]
    assert [float(v) for v in xlsx.frame["hours_per_week"]] == [12.5, 30.0]


def test_discover_matches_stems_case_insensitively_and_ignores_others(tmp_path: Path) -> None:
    (tmp_path / "Participants.CSV").write_text("x\n")
    (tmp_path / "jobs.parquet").write_text("x")
    (tmp_path / "notes.csv").write_text("x\n")
    (tmp_path / "cohort.yaml").write_text("x: 1\n")
    found = discover_tables(tmp_path)
    assert {k: v.name for k, v in found.items()} == {
        "participants": "Participants.CSV",
        "jobs": "jobs.parquet",
    }


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["participants.csv"], "required table 'jobs' is missing"),
        (["participants.csv", "jobs.csv", "jobs.xlsx"], "table 'jobs' is present twice"),
        (["participants.sav", "jobs.csv"], "participants.sav: unsupported file format '.sav'"),
    ],
)
def test_discover_refuses_unusable_folders(tmp_path: Path, files, message) -> None:
    for name in files:
        (tmp_path / name).write_text("participant_id\n")
    with pytest.raises(InputError, match=message):
        discover_tables(tmp_path)


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        discover_tables(tmp_path / "nope")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'participant_id;site\n"P1;x\n', "could not be parsed as CSV"),
        (b"participant_id;Participant_ID\nP1;P2\n", "column 'participant_id' appears twice"),
    ],
)
def test_unreadable_csv_is_an_input_error(tmp_path: Path, content, message) -> None:
    path = tmp_path / "participants.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_raw("participants", path)


def test_corrupt_excel_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match=r"jobs.xlsx: could not be read as xlsx"):
        read_raw("jobs", path)


def test_write_cohort_helper_writes_default_jobs(tmp_path: Path) -> None:
    folder = write_cohort(tmp_path / "c", participants="participant_id\n")
    assert sorted(p.name for p in folder.iterdir()) == ["jobs.csv", "participants.csv"]
