from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ips_outcomes.parsing import parse_bool, parse_date, parse_float, parse_int


def _apply(expr_fn, values):
    return (
        pl.DataFrame({"v": values}, schema={"v": pl.String})
        .select(expr_fn(pl.col("v")))["v"]
        .to_list()
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-02-01", dt.date(2021, 2, 1)),
        ("01.02.2021", dt.date(2021, 2, 1)),
        ("1.2.2021", dt.date(2021, 2, 1)),
        ("2021-02-01 00:00:00", dt.date(2021, 2, 1)),
        ("2021-02-01T13:45", dt.date(2021, 2, 1)),
        ("29.02.2024", dt.date(2024, 2, 29)),
        ("29.02.2023", None),  # not a leap year
        ("31.04.2021", None),
        ("01.02.21", None),  # two-digit years are ambiguous
        ("02/01/2021", None),  # slash order differs between countries
        ("2021-2-1", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_date(text, expected) -> None:
    assert _apply(parse_date, [text]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *((w, True) for w in ["yes", "TRUE", "1", "Kyllä", "kylla", "ja", "JA", "sant", "Y"]),
        *((w, False) for w in ["no", "False", "0", "EI", "nej", "nei", "N", "falskt"]),
        ("maybe", None),
        ("2", None),
        (None, None),
    ],
)
def test_parse_bool(text, expected) -> None:
    assert _apply(parse_bool, [text]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("1 234,5", 1234.5),
        ("1\u00a0234,56", 1234.56),
        ("\u22123,5", -3.5),
        ("-0,25", -0.25),
        (",5", 0.5),
        ("7", 7.0),
        ("1.234,5", None),  # both separators: ambiguous
        ("1,2,3", None),
        ("12 h", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_float(text, expected) -> None:
    assert _apply(parse_float, [text]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"), [("3", 3), ("3,0", 3), ("3,5", None), ("-1", -1), ("x", None)]
)
def test_parse_int(text, expected) -> None:
    assert _apply(parse_int, [text]) == [expected]
