"""Report language: translated text and numbers, dates and shares in the reader's convention.

Texts are gettext catalogues (`locales/<language>.po`), with the English text as the message
id, so a missing translation falls back to English rather than failing. Numbers use Babel's
locale data: `45,7 %` and `1 234` (no-break spaces) in Swedish, Finnish and Norwegian, `45.7%`
and `1,234` in English.

Sentences that the analysis stages build (a comparison with the trials, a correlation with
fidelity) are stored as :class:`Message` values, not finished text, so that the report can
translate them and format their numbers for the language it is written in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("en", "sv", "fi", "nb")
"""Report languages: English, Swedish, Finnish and Norwegian (Bokmål)."""

DASH = "–"
"""Shown where a number is withheld or undefined."""


@dataclass(frozen=True)
class Value:
    r"""A number to be formatted for the reader: `kind` is `pct`, `count`, `num` or `text`.

    A `pct` or `num` value may be a pair (a range, `37–61 %`) or a triple (an estimate with
    its confidence interval, `2.08 (1.58–2.74)`).

    Examples
    --------
    >>> Value("pct", 0.5).to_json()
    ['pct', 0.5, 1]
    >>> Translator("sv").value(Value("pct", (0.37, 0.61), 0))
    '37–61\xa0%'
    >>> Translator("en").value(Value("num", (2.08, 1.58, 2.74), 2))
    '2.08 (1.58–2.74)'
    """

    kind: str
    value: float | str | tuple[float, ...] | None
    digits: int = 1

    def to_json(self) -> list[Any]:
        """Return the JSON form stored between pipeline stages."""
        return [self.kind, self.value, self.digits]


@dataclass(frozen=True)
class Message:
    r"""A sentence to translate: a message id with named, typed values.

    Examples
    --------
    >>> m = Message("{k} of {n} people", {"k": Value("count", 3), "n": Value("count", 1200)})
    >>> Translator("fi").render(m) == "3 of 1\xa0200 people"  # no Finnish text for this id
    True
    """

    msgid: str
    args: Mapping[str, Value] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form stored between pipeline stages."""
        return {"msgid": self.msgid, "args": {k: v.to_json() for k, v in self.args.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> Message:
        """Read the JSON form (a plain string is a message without values)."""
        if isinstance(data, str):
            return cls(data)
        args = {
            k: Value(v[0], tuple(v[1]) if isinstance(v[1], list) else v[1], int(v[2]))
            for k, v in data.get("args", {}).items()
        }
        return cls(str(data["msgid"]), args)


def pct(value: float | tuple[float, ...] | None, digits: int = 0) -> Value:
    """Mark a share to be shown as a percentage."""
    return Value("pct", value, digits)


def num(value: float | tuple[float, ...] | None, digits: int = 2) -> Value:
    """Mark a number to be shown with a fixed number of decimals."""
    return Value("num", value, digits)


def count(value: float | None) -> Value:
    """Mark a whole number (thousands grouped)."""
    return Value("count", value, 0)


def text(value: str) -> Value:
    """Text from the data or the configuration, shown as it is."""
    return Value("text", value, 0)


@cache
def _catalogue(language: str) -> dict[str, str]:
    if language == "en":
        return {}
    source = resources.files("ips_outcomes").joinpath("locales", f"{language}.po")
    with source.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalogue
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def catalogue_ids(language: str) -> set[str]:
    """Return the message ids that have a (non-fuzzy) translation in `language`."""
    return set(_catalogue(language))


@dataclass(frozen=True)
class Translator:
    r"""Translate text and format numbers for one report language.

    Examples
    --------
    >>> fi = Translator("fi")
    >>> fi.share(0.4567, 0.40, 0.51), fi.count(1234), fi.number(-0.123, 2)
    ('45,7\xa0% (40,0–51,0)', '1\xa0234', '−0,12')
    >>> en = Translator("en")
    >>> en.share(0.4567), en.count(1234), en.count(None, threshold=5)
    ('45.7%', '1,234', '<5')
    >>> fi.gettext("Participants")
    'Osallistujat'
    """

    language: str = "en"

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")

    def gettext(self, msgid: str) -> str:
        """Return the translation of `msgid`, or `msgid` itself where there is none."""
        return _catalogue(self.language).get(msgid) or msgid

    def format(self, msgid: str, **values: object) -> str:
        """Translate `msgid`, then fill its `{named}` fields (already formatted text)."""
        return self.gettext(msgid).format(**values)

    def render(self, message: Message | str) -> str:
        """Translate a stored sentence and format its numbers for this language."""
        if isinstance(message, str):
            return self.gettext(message)
        shown = {name: self.value(v) for name, v in message.args.items()}
        return self.gettext(message.msgid).format(**shown)

    def render_all(self, messages: Iterable[Message | str]) -> str:
        """Render several sentences as one paragraph."""
        return " ".join(self.render(m) for m in messages)

    def render_statements(self, stored: Mapping[str, Any]) -> dict[str, str]:
        """Render stored sentences by key: each a message id, or a list of JSON messages."""
        return {
            key: self.render_all(
                Message.from_json(part) for part in (value if isinstance(value, list) else [value])
            )
            for key, value in stored.items()
        }

    def value(self, value: Value) -> str:
        """Format a typed value."""
        v = value.value
        if value.kind == "text":
            return str(v)
        if isinstance(v, tuple):
            return self._several(value.kind, v, value.digits)
        if not isinstance(v, int | float):
            return DASH
        if value.kind == "pct":
            return self.share(v, digits=value.digits)
        if value.kind == "count":
            return self.count(v)
        return self.number(v, value.digits)

    def _several(self, kind: str, values: tuple[float, ...], digits: int) -> str:
        scale, sign = (100.0, self._percent_sign) if kind == "pct" else (1.0, "")
        shown = [self.number(scale * v, digits) for v in values]
        if len(shown) == 3:
            return f"{shown[0]}{sign} ({shown[1]}–{shown[2]})"
        return shown[0] + sign if shown[0] == shown[-1] else f"{shown[0]}–{shown[-1]}{sign}"

    def number(self, value: float | None, digits: int = 1) -> str:
        """Format a decimal number; a dash where withheld or undefined."""
        if value is None or not math.isfinite(value):
            return DASH
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        shown = format_decimal(value, format=pattern, locale=self._babel_locale)
        # A true minus sign in every language: a hyphen can break a line from its number.
        return shown.replace("-", "−")

    def count(self, value: float | None, threshold: int | None = None) -> str:
        """Format a count of people; `<threshold` where it was withheld."""
        if value is None:
            return f"<{threshold}" if threshold is not None else DASH
        return self.number(value, 0)

    def share(
        self,
        value: float | None,
        low: float | None = None,
        high: float | None = None,
        digits: int = 1,
    ) -> str:
        """Format a proportion as a percentage, with its confidence interval when given."""
        if value is None or not math.isfinite(value):
            return DASH
        shown = self.number(100 * value, digits) + self._percent_sign
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
            shown += f" ({self._range(100 * low, 100 * high, digits)})"
        return shown

    def _range(self, low: float, high: float, digits: int) -> str:
        # "−37,7–−20,1" is hard to read: negative limits are joined by a word ("to", "till").
        between = f" {self.gettext('to')} " if low < 0 else "–"
        return f"{self.number(low, digits)}{between}{self.number(high, digits)}"

    def interval(
        self, value: float | None, low: float | None, high: float | None, digits: int = 2
    ) -> str:
        """Format an estimate with its confidence interval, `1,90 (1,53–2,35)`."""
        if value is None or not math.isfinite(value):
            return DASH
        shown = self.number(value, digits)
        if low is not None and high is not None:
            shown += f" ({self._range(low, high, digits)})"
        return shown

    def p_value(self, value: float | None) -> str:
        """Format a p-value: three decimals, or `< 0.001`."""
        if value is None or not math.isfinite(value):
            return DASH
        return "< " + self.number(0.001, 3) if value < 0.001 else self.number(value, 3)

    def date(self, value: dt.date) -> str:
        """Format a date: ISO 8601 in English and Swedish, `31.12.2025` in Finnish, Norwegian."""
        if self.language == "en":
            return value.isoformat()
        return format_date(value, format="short", locale=self._babel_locale)

    @property
    def _percent_sign(self) -> str:
        return "%" if self.language == "en" else "\u00a0%"

    @property
    def _babel_locale(self) -> str:
        return {"en": "en_GB", "nb": "nb_NO", "sv": "sv_SE", "fi": "fi_FI"}[self.language]
