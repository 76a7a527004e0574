"""Parse text cells into typed values the way Nordic exports write them.

Each parser is a polars expression from a text column to a typed column; a non-null text whose
parsed value is null did not parse. Nothing here guesses: ambiguous forms (two-digit years,
`1.234,5`, US month/day order) are refused rather than read one way or the other.

Examples
--------
>>> import polars as pl
>>> frame = pl.DataFrame({"d": ["01.02.2021", "2021-02-01", "1.2.2021", "31.02.2021"]})
>>> frame.select(parse_date(pl.col("d"))).to_series().to_list()
[datetime.date(2021, 2, 1), datetime.date(2021, 2, 1), datetime.date(2021, 2, 1), None]
>>> frame = pl.DataFrame({"x": ["12,5", "1 200,75", "-3", "1.234,5"]})
>>> frame.select(parse_float(pl.col("x"))).to_series().to_list()
[12.5, 1200.75, -3.0, None]
"""

from __future__ import annotations

import polars as pl

from ips_outcomes.contract import Kind

TRUE_WORDS = ("true", "t", "yes", "y", "1", "kyllä", "kylla", "k", "ja", "j", "sant", "sann")
FALSE_WORDS = ("false", "f", "no", "n", "0", "ei", "e", "nej", "nei", "falskt", "usann")
_BOOLEAN_WORDS = dict.fromkeys(TRUE_WORDS, True) | dict.fromkeys(FALSE_WORDS, False)

# Spaces of every width that spreadsheets use as thousands separators.
_NUMBER_SPACES = r"[\s\u00a0\u202f\u2009']"


def parse_date(text: pl.Expr) -> pl.Expr:
    """Parse ISO `yyyy-mm-dd` (optionally with a time part) or `d.m.yyyy` dates.

    Parameters
    ----------
    text
        String expression.

    Returns
    -------
    pl.Expr
        Date expression; null where the text is not a real calendar date in either form.
    """
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", 1)
    dotted = text.str.extract_groups(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
    from_dotted = pl.concat_str(
        dotted.struct.field("3"),
        dotted.struct.field("2").str.zfill(2),
        dotted.struct.field("1").str.zfill(2),
        separator="-",
    )
    return pl.coalesce(iso, from_dotted).str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def parse_bool(text: pl.Expr) -> pl.Expr:
    """Parse yes/no words in English, Finnish, Swedish and Norwegian, and 1/0.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"b": ["Kyllä", "ei", "JA", "nej", "nei", "maybe"]})
    >>> s.select(parse_bool(pl.col("b"))).to_series().to_list()
    [True, False, True, False, False, None]
    """
    return text.str.to_lowercase().replace_strict(
        _BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean
    )


def parse_float(text: pl.Expr) -> pl.Expr:
    """Parse a number written with a decimal comma or point and optional space grouping."""
    compact = text.str.replace_all(_NUMBER_SPACES, "").str.replace_all("\u2212", "-")
    has_both = compact.str.contains(",", literal=True) & compact.str.contains(".", literal=True)
    well_formed = compact.str.contains(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
    value = compact.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return pl.when(well_formed & ~has_both).then(value).otherwise(None)


def parse_int(text: pl.Expr) -> pl.Expr:
    """Parse a whole number; `3,0` is accepted as 3, `3,5` is not a whole number."""
    value = parse_float(text)
    return pl.when(value == value.round(0)).then(value.cast(pl.Int64)).otherwise(None)


def parse_as(kind: Kind, text: pl.Expr) -> pl.Expr:
    """Parse `text` into the logical type `kind` of the data contract."""
    if kind == "date":
        return parse_date(text)
    if kind == "bool":
        return parse_bool(text)
    if kind == "float":
        return parse_float(text)
    if kind == "int":
        return parse_int(text)
    return text
