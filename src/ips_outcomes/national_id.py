"""Detect valid Nordic national identity numbers in text columns, without echoing them.

Input files must hold pseudonyms only. A value counts as a national identity number when it has
the format of a Finnish *henkilötunnus* (HETU), a Swedish *personnummer* / *samordningsnummer* or
a Norwegian *fødselsnummer* / D-number **and** a possible date part **and** a correct check
character. Detection is made of vectorised polars expressions, so it runs on millions of rows;
the numbers themselves never appear in anything this module returns.

Examples
--------
>>> import polars as pl
>>> from ips_outcomes.national_id import national_id_kind, scan_frame
>>> df = pl.DataFrame({"pid": ["P001", "131052-308T"], "n": [1, 2]})
>>> df.select(national_id_kind(pl.col("pid"))).to_series().to_list()
[None, 'FI HETU']
>>> scan_frame(df)
[NationalIdHit(column='pid', kind='FI HETU', count=1, first_rows=(1,))]
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

FI_HETU = "FI HETU"
SE_PERSONNUMMER = "SE personnummer"
NO_FODSELSNUMMER = "NO fødselsnummer"
#: Kinds in order of precedence: a value valid as several kinds gets the first.
KINDS: tuple[str, ...] = (FI_HETU, SE_PERSONNUMMER, NO_FODSELSNUMMER)

_FI_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FI_FORMAT = r"^[0-9]{6}[-+YXWVUABCDEF][0-9]{3}[0-9A-Z]$"
_SE_FORMAT = r"^(?:[0-9]{6}[-+]?|[0-9]{8}-?)[0-9]{4}$"
_NO_FORMAT = r"^[0-9]{11}$"
_NO_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_NO_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_MAX_ROWS = 5


@dataclass(frozen=True)
class NationalIdHit:
    """Valid national identity numbers of one kind found in one column.

    Parameters
    ----------
    column
        Name of the column.
    kind
        One of :data:`KINDS`.
    count
        Number of values in the column that are valid numbers of this kind.
    first_rows
        Up to five zero-based row positions of such values, ascending, to point the user at.
    """

    column: str
    kind: str
    count: int
    first_rows: tuple[int, ...]


def _digits(number: pl.Expr, start: int, width: int, length: int = 1) -> pl.Expr:
    """Return ``length`` digits from ``start`` (0 = leftmost) of a ``width``-digit integer."""
    divisor: int = 10 ** (width - start - length)
    modulus: int = 10**length
    return (number // divisor) % modulus


def _in_range(value: pl.Expr, low: int, high: int) -> pl.Expr:
    return (value >= low) & (value <= high)


def _fi_valid(text: pl.Expr, number: pl.Expr) -> pl.Expr:
    expected = (number % 31).replace_strict(
        list(range(31)), list(_FI_CHECK), default=None, return_dtype=pl.String
    )
    day, month = _digits(number, 0, 9, 2), _digits(number, 2, 9, 2)
    return (
        text.str.contains(_FI_FORMAT)
        & _in_range(day, 1, 31)
        & _in_range(month, 1, 12)
        & (text.str.slice(10, 1) == expected)
    )


def _se_valid(text: pl.Expr, number: pl.Expr) -> pl.Expr:
    luhn = pl.lit(0, dtype=pl.Int64)
    for position in range(9):
        digit = _digits(number, position, 10)
        # Luhn: double every other digit from the left; 2d - 9 when the double exceeds 9.
        luhn = luhn + (2 * digit - 9 * (digit // 5) if position % 2 == 0 else digit)
    month, day = _digits(number, 2, 10, 2), _digits(number, 4, 10, 2)
    return (
        text.str.contains(_SE_FORMAT)
        & _in_range(month, 1, 12)
        & (_in_range(day, 1, 31) | _in_range(day, 61, 91))
        & ((10 - luhn % 10) % 10 == _digits(number, 9, 10))
    )


def _no_check(weighted_sum: pl.Expr) -> pl.Expr:
    """Return the mod-11 check digit (11 -> 0); 10 means no valid check digit exists."""
    return (11 - weighted_sum % 11) % 11


def _no_valid(text: pl.Expr, number: pl.Expr) -> pl.Expr:
    digits = [_digits(number, position, 11) for position in range(11)]
    k1 = _no_check(pl.sum_horizontal(w * d for w, d in zip(_NO_K1, digits, strict=False)))
    k2 = _no_check(pl.sum_horizontal(w * d for w, d in zip(_NO_K2, digits, strict=False)))
    day, month = _digits(number, 0, 11, 2), _digits(number, 2, 11, 2)
    # A computed check of 10 means "no valid number"; it can never equal a digit, so the two
    # equalities below also reject it. K2 is computed from the digit K1 as written.
    return (
        text.str.contains(_NO_FORMAT)
        & (_in_range(day, 1, 31) | _in_range(day, 41, 71))
        & _in_range(month, 1, 12)
        & (k1 == digits[9])
        & (k2 == digits[10])
    )


def national_id_kind(expr: pl.Expr) -> pl.Expr:
    """Classify strings as valid Nordic national identity numbers.

    Surrounding whitespace is ignored and letters are upper-cased first. A value is a number of
    a kind only if its format, its date part (day and month ranges, including Swedish
    samordningsnummer and Norwegian D-numbers) and its check character are all valid.

    Parameters
    ----------
    expr
        Expression of dtype String.

    Returns
    -------
    pl.Expr
        String expression named ``kind``: ``"FI HETU"``, ``"SE personnummer"`` or
        ``"NO fødselsnummer"`` (the first that validates, in that order), else null.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.Series(["811218-9876", " 131052-308t", "131052-308U", "P000123", None])
    >>> s.to_frame("v").select(national_id_kind(pl.col("v"))).to_series().to_list()
    ['SE personnummer', 'FI HETU', None, None, None]
    """
    # Polars evaluates a repeated sub-expression once per use, so each intermediate (the
    # normalised text, the digits of each kind as one integer) is computed once as a struct
    # field and read back with pl.field, which costs nothing.
    text = pl.field("text")
    return (
        pl.struct(expr.str.strip_chars().str.to_uppercase().alias("text"))
        .struct.with_fields(
            fi=pl.concat_str(text.str.slice(0, 6), text.str.slice(7, 3)),
            se=text.str.replace_all(r"[-+]", "").str.slice(-10),
            no=text,
        )
        .struct.with_fields(
            pl.field(name).str.to_integer(strict=False) for name in ("fi", "se", "no")
        )
        .struct.with_fields(
            kind=pl.when(_fi_valid(text, pl.field("fi")))
            .then(pl.lit(FI_HETU))
            .when(_se_valid(text, pl.field("se")))
            .then(pl.lit(SE_PERSONNUMMER))
            .when(_no_valid(text, pl.field("no")))
            .then(pl.lit(NO_FODSELSNUMMER))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        .struct.field("kind")
    )


def scan_frame(frame: pl.DataFrame) -> list[NationalIdHit]:
    """Find the String columns of a frame that hold valid national identity numbers.

    Parameters
    ----------
    frame
        Any frame; columns whose dtype is not String are skipped.

    Returns
    -------
    list of NationalIdHit
        One hit per (column, kind) with at least one valid number, ordered by column position in
        the frame, then by kind in the order of :data:`KINDS`. Values are never included.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"id": ["P1", "8112189876", "P3"], "hetu": ["131052-308T"] * 3})
    >>> [(h.column, h.kind, h.count, h.first_rows) for h in scan_frame(df)]
    [('id', 'SE personnummer', 1, (1,)), ('hetu', 'FI HETU', 3, (0, 1, 2))]
    """
    columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not columns:
        return []
    kinds = frame.select(national_id_kind(pl.col(c)).alias(c) for c in columns)
    hits: list[NationalIdHit] = []
    for name in columns:
        found = (
            kinds.select(pl.col(name).alias("kind"))
            .with_row_index("row")
            .filter(pl.col("kind").is_not_null())
            .group_by("kind")
            .agg(pl.len().alias("count"), pl.col("row").sort().head(_MAX_ROWS))
        )
        by_kind = {row["kind"]: row for row in found.iter_rows(named=True)}
        hits.extend(
            NationalIdHit(name, kind, by_kind[kind]["count"], tuple(by_kind[kind]["row"]))
            for kind in KINDS
            if kind in by_kind
        )
    return hits
