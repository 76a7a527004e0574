"""Shared look of the survival figures: scale constants, colours, font, sizes and text helpers.

Used by :mod:`ips_outcomes.survival_plots` and its helper modules
(:mod:`ips_outcomes.plot_steps`, :mod:`ips_outcomes.plot_layers`,
:mod:`ips_outcomes.plot_risk_table`). All sizes are in inches unless named otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.typing import RcKeyType

from ips_outcomes.i18n import Translator

#: Days per month: 365.25 / 12, so month 18 is day 547.875.
DAYS_PER_MONTH = 30.4375
#: Spacing of the x axis breaks and of the risk table columns, in months.
BREAK_MONTHS = 3
#: Okabe-Ito colours (colour-blind safe), without the yellow that is unreadable on white.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
#: The only font used: matplotlib ships it, so output does not depend on system fonts.
FONT = "DejaVu Sans"

WIDTH = 7.5  # inches
PLOT_HEIGHT = 4.6  # title, legend, panel and axis titles
BASE_SIZE = 10.0  # points
TABLE_SIZE = 8.5  # points
ROW_HEIGHT = 0.19  # inches per risk table row
GROUP_GAP = 0.5  # rows of space between the groups of the risk table
GAP = 0.12  # inches between the plot and the table, and the table and the caption
PAD = 0.1  # inches kept free at the figure edges
CAPTION_LINE = 0.18  # inches per caption line
SVG_SALT = "ips_outcomes"

#: matplotlib settings in force while figures are drawn and saved.
STYLE: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "svg.fonttype": "none",
    "svg.hashsalt": SVG_SALT,
}


def plotnine() -> Any:
    """Import plotnine, typed as Any.

    plotnine ships `py.typed` but leaves most of its API unannotated, so under strict mypy
    every call would be an untyped call; it is also slow to import, hence imported on use.
    """
    import plotnine

    return plotnine


def plain(text: str) -> str:
    """Escape dollar signs so matplotlib never reads data text as mathtext."""
    return text.replace("$", r"\$")


def wrap(text: str, width_inches: float, size: float) -> list[str]:
    """Lines of `text` that fit `width_inches` at `size` points (an empty text has none)."""
    lines: list[str] = []
    for paragraph in text.strip().splitlines():
        line = ""
        for word in paragraph.split():
            longer = f"{line} {word}" if line else word
            if line and text_width(longer, size) > width_inches:
                lines.append(line)
                line = word
            else:
                line = longer
        lines.append(line)
    return lines if any(lines) else []


def caption_lines(caption: str) -> list[str]:
    """Wrap a caption to the figure's width between its side margins, at table size."""
    return wrap(caption, WIDTH - 2 * PAD, TABLE_SIZE)


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of `text` in inches when set in :data:`FONT`."""
    prop = FontProperties(family=FONT, size=size, weight="bold" if bold else "normal")
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return width / 72  # points to inches


# The figure modules draw labels deep inside layout code; a context variable carries the
# report language there instead of threading a translator through every layout helper.
_LANGUAGE: ContextVar[Translator | None] = ContextVar("figure_language", default=None)


@contextmanager
def language(tr: Translator) -> Iterator[Translator]:
    """Draw figures in `tr`'s language inside this block (labels and decimal separators).

    Examples
    --------
    >>> with language(Translator("sv")):
    ...     translate("At risk"), decimal(1.5, 2)
    ('Antal i risk', '1,50')
    >>> decimal(1.5, 2)
    '1.50'
    """
    token = _LANGUAGE.set(tr)
    try:
        yield tr
    finally:
        _LANGUAGE.reset(token)


def translate(msgid: str) -> str:
    """Translate a fixed figure label into the current figure language."""
    return (_LANGUAGE.get() or Translator()).gettext(msgid)


def decimal(value: float, digits: int) -> str:
    """Format a number in the current figure language (decimal comma in Nordic languages)."""
    return (_LANGUAGE.get() or Translator()).number(value, digits)
