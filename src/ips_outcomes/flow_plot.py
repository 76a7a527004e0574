"""The participant flow drawn as a CONSORT diagram, from the rows of the flow counts.

:func:`flow_figure` lays out the boxes of :func:`ips_outcomes.flow.flow_counts` (records read,
quarantined, enrolled, then per service: enrolled, follow-up, analysed) with their counts;
every label passes through `gettext` (the msgids are :data:`MESSAGES`) and numbers are
formatted for the locale by Babel. A withheld count shows as ``<k`` only where the published
numbers prove it is below the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import polars as pl
from babel.numbers import format_decimal
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ips_outcomes.flow import Key, _families
from ips_outcomes.plot_style import FONT, PAD, STYLE, WIDTH, plain, text_width

__all__ = ["MESSAGES", "flow_figure"]

#: Every msgid :func:`flow_figure` passes to `gettext` (placeholders are filled after translation).
MESSAGES: tuple[str, ...] = (
    *("Records read", "Quarantined", "Enrolled", "In work at entry", "Out of work at entry"),
    *("Lost to follow-up", "Dropped out", "Analysed", "(n = {n})", "(n withheld)"),
    "A record can break more than one rule",
    "Observation ended before {months} months",
    "Whole {months}-month window observed",
    *("Service exit not observed", "Service exit observed"),
    "Kept in the analysis (intention to treat)",
    *("Enrolment", "Service", "Follow-up", "Analysis"),
)
NBSP = "\u00a0"

# Figure geometry, in inches (font sizes in points).
STAGE_BAND, STAGE_GAP, STAGE_SIZE = 0.24, 0.12, 8.0  # the stage labels at the left
COLUMN_GAP, MAX_COLUMN = 0.14, 2.3
TOP_BOX = 2.5  # records read and enrolled
SIDE_OFFSET = 0.3  # from the main arrow to the quarantine box
INNER = 0.07  # padding inside a box
ARROW = 0.32  # vertical space between two rows of boxes
LINE_SPACING, NOTE_SCALE = 1.3, 0.88
INK, NOTE_INK = "#1a1a1a", "#4d4d4d"
STAGE_FILL, STAGE_EDGE = "#dde9f5", "#8fb0d3"


@dataclass(frozen=True)
class _Line:
    text: str
    bold: bool = False
    note: bool = False  # smaller and grey


@dataclass(frozen=True)
class _Box:
    lines: tuple[_Line, ...]  # already wrapped
    size: float
    align: str = "center"

    def line_height(self, line: _Line) -> float:
        return _size(line, self.size) * LINE_SPACING / 72

    @property
    def height(self) -> float:
        return 2 * INNER + sum(self.line_height(line) for line in self.lines)


def flow_figure(
    rows: pl.DataFrame,
    *,
    gettext: Callable[[str], str] = lambda s: s,
    locale: str = "en",
    threshold: int = 5,
    services: Sequence[str] = (),
) -> Figure:
    r"""Draw the participant flow as a CONSORT diagram.

    Parameters
    ----------
    rows
        The rows of :func:`ips_outcomes.flow.flow_counts` (other analyses are ignored).
    gettext
        Translates each msgid of :data:`MESSAGES`; placeholders are filled afterwards.
    locale
        Babel locale of the numbers, e.g. ``"fi"`` (1 234) or ``"en"`` (1,234).
    threshold
        Small-cell threshold: withheld counts are shown as ``<threshold``.
    services
        Column order, e.g. the intervention first; services not named follow alphabetically.

    Returns
    -------
    Figure
        An open figure; pass it to :func:`ips_outcomes.survival_plots.save_figure`.

    Examples
    --------
    >>> import polars as pl
    >>> from ips_outcomes.flow import flow_counts
    >>> summary = {"tables": [{"table": "participants", "rows_read": 12, "rows_quarantined": 0}],
    ...            "quarantine_by_rule": []}
    >>> people = pl.DataFrame({"service": ["IPS"] * 12, "in_work_at_entry": [False] * 12,
    ...                        "dropped_out": [False] * 12, "window_complete_18m": [True] * 12})
    >>> figure = flow_figure(flow_counts(summary, people, "18m", 5))
    >>> "Analysed (n\xa0=\xa012)" in [t.get_text() for t in figure.axes[0].texts]
    True
    """
    text = _Text(rows.filter(pl.col("analysis") == "flow"), gettext, locale, threshold)
    found = sorted(g for o, gr, g in text.values if (o, gr) == ("enrolled", "service"))
    columns = [s for s in services if s in found] + [s for s in found if s not in services]
    size = 8.5 if len(columns) <= 3 else 7.5
    x0, x1 = PAD + STAGE_BAND + STAGE_GAP, WIDTH - PAD
    centre, n = (x0 + x1) / 2, max(len(columns), 1)
    column = min(MAX_COLUMN, (x1 - x0 - (n - 1) * COLUMN_GAP) / n)
    first = centre - (n * column + (n - 1) * COLUMN_GAP) / 2 + column / 2
    mids = [first + i * (column + COLUMN_GAP) for i in range(len(columns))]
    top_width, side_left = min(TOP_BOX, x1 - x0), centre + SIDE_OFFSET
    records = _box([text.entry("Records read", ("records_read", "all", "all"))], top_width, size)
    side = _box(text.quarantine(), x1 - side_left, size, align="left")
    enrolled = _box([text.entry("Enrolled", ("enrolled", "all", "all"))], top_width, size)
    stages = [[_box(text.column(i, s), column, size) for s in columns] for i in range(3)]
    labels = [gettext(label) for label in ("Service", "Follow-up", "Analysis")]
    heights = [
        max([*(b.height for b in boxes), min(text_width(label, STAGE_SIZE, bold=True) + 0.16, 1)])
        for boxes, label in zip(stages, labels, strict=True)
    ]
    drop = max(2 * ARROW, side.height + 0.32)  # records read -> enrolled, past the side box
    top = PAD + records.height + drop + enrolled.height  # the enrolment stage's bottom
    total = top + ARROW + sum(heights) + 2 * ARROW + PAD
    with mpl.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH, total))
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(total, 0)  # y in inches from the top
        ax.set_axis_off()
        _stage(ax, gettext("Enrolment"), PAD, top)
        _draw_box(ax, records, centre - top_width / 2, PAD, top_width)
        y, split = PAD + records.height, top + ARROW / 2
        _arrow(ax, (centre, y), (centre, y + drop))
        _arrow(ax, (centre, y + drop / 2), (side_left, y + drop / 2))
        _draw_box(ax, side, side_left, y + drop / 2 - side.height / 2, x1 - side_left)
        _draw_box(ax, enrolled, centre - top_width / 2, y + drop, top_width)
        if mids:
            _line(ax, [(centre, top), (centre, split)])
            _line(ax, [(min(mids[0], centre), split), (max(mids[-1], centre), split)])
        y = top + ARROW
        for mid in mids:
            _arrow(ax, (mid, split), (mid, y))
        for index, (boxes, height) in enumerate(zip(stages, heights, strict=True)):
            _stage(ax, labels[index], y, y + height)
            for mid, box in zip(mids, boxes, strict=True):
                _draw_box(ax, box, mid - column / 2, y, column, height)
                if index < len(stages) - 1:
                    _arrow(ax, (mid, y + height), (mid, y + height + ARROW))
            y += height + ARROW
    return figure


class _Text:
    """The lines of the boxes: translated labels with counts formatted for the locale."""

    def __init__(
        self, flow: pl.DataFrame, gettext: Callable[[str], str], locale: str, threshold: int
    ) -> None:
        cells = flow.select("outcome", "grouping", "group", "estimate", "suppressed").iter_rows()
        self.values = {(o, gr, g): (e, bool(s)) for o, gr, g, e, s in cells}
        self.gettext, self.locale, self.threshold = gettext, locale, threshold
        windows = flow.filter(pl.col("outcome") == "analysed")["window"].drop_nulls()
        self.window = str(windows[0]) if len(windows) else ""
        # A cell withheld to protect another (secondary) is not below k, and the rows do not
        # say which is which: inside a sum, "<k" only where the published numbers prove it.
        members: set[Key] = set()
        proven: set[Key] = set()
        for total, parts in _families(self.values):
            members.update((total, *parts))
            shown = sum(self.values[p][0] or 0 for p in parts if p in self.values)
            known = self.values.get(total, (None, False))[0]
            if known is not None and known - shown < threshold:
                proven.update(parts)
        self.vague = members - proven

    def count(self, key: Key) -> str:
        estimate, withheld = self.values.get(key, (None, False))
        number = f"<{self.threshold}" if withheld else "–"
        if estimate is not None:
            number = format_decimal(int(estimate), locale=self.locale)
        text = self.gettext("(n withheld)" if withheld and key in self.vague else "(n = {n})")
        # no-break spaces keep "(n = 1 234)" on one line when a box wraps
        return text.format(n=number).replace(" ", NBSP)

    def entry(self, msgid: str, key: Key) -> _Line:
        return _Line(f"{self.gettext(msgid)} {self.count(key)}")

    def note(self, msgid: str, **values: str) -> list[_Line]:
        return [_Line(self.gettext(msgid).format(**values), note=True)]

    def quarantine(self) -> list[_Line]:
        rules = sorted(g for o, gr, g in self.values if (o, gr) == ("quarantined", "rule"))
        lines = [self.entry("Quarantined", ("records_quarantined", "all", "all"))]
        lines += [_Line(f"• {r} {self.count(('quarantined', 'rule', r))}") for r in rules]
        return lines + (self.note("A record can break more than one rule") if rules[1:] else [])

    def column(self, stage: int, service: str) -> list[_Line]:
        def entry(msgid: str, box: str) -> _Line:
            return self.entry(msgid, (box, "service", service))

        if stage == 0:
            return [
                _Line(service, bold=True), entry("Enrolled", "enrolled"),
                entry("In work at entry", "in_work_at_entry"),
                entry("Out of work at entry", "out_of_work_at_entry"),
            ]  # fmt: skip
        months = re.fullmatch(r"(\d+)m", self.window)
        ended, whole = ([], [])
        if months:
            ended = self.note("Observation ended before {months} months", months=months[1])
            whole = self.note("Whole {months}-month window observed", months=months[1])
        elif self.window == "service":
            ended, whole = (
                self.note("Service exit not observed"),
                self.note("Service exit observed"),
            )
        if stage == 1:
            return [
                entry("Lost to follow-up", "lost_to_followup"), *ended,
                entry("Dropped out", "dropped_out"),
                *self.note("Kept in the analysis (intention to treat)"),
            ]  # fmt: skip
        return [entry("Analysed", "analysed"), *whole]


def _size(line: _Line, size: float) -> float:
    return size * NOTE_SCALE if line.note else size


def _box(entries: Sequence[_Line], width: float, size: float, align: str = "center") -> _Box:
    room = width - 2 * INNER
    lines = [
        _Line(text, line.bold, line.note)
        for line in entries
        for text in _wrap(line.text, room, _size(line, size), line.bold)
    ]
    return _Box(tuple(lines), size, align)


def _wrap(text: str, width: float, size: float, bold: bool) -> list[str]:
    """Break at plain spaces only (not at the no-break spaces of counts); hyphenate long words."""

    def fits(piece: str) -> bool:
        return text_width(piece, size, bold=bold) <= width

    lines, line = [], ""
    for word in text.split(" "):
        while len(word) > 1 and not fits(word):
            cut = max([k for k in range(2, len(word)) if fits(word[:k] + "-")], default=1)
            lines += [line, word[:cut] + "-"] if line else [word[:cut] + "-"]
            line, word = "", word[cut:]
        if line and not fits(f"{line} {word}"):
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    return [*lines, line]


def _draw_box(
    ax: Axes, box: _Box, left: float, top: float, width: float, height: float = 0.0
) -> None:
    height = max(height, box.height)
    ax.add_patch(
        FancyBboxPatch(
            (left, top), width, height, boxstyle="square,pad=0", facecolor="white",
            edgecolor=INK, linewidth=0.8,
        )
    )  # fmt: skip
    y = top + (height - box.height) / 2 + INNER
    x = left + INNER if box.align == "left" else left + width / 2
    for line in box.lines:
        step = box.line_height(line)
        ax.text(
            x, y + step / 2, plain(line.text), ha=box.align, va="center_baseline",
            fontsize=_size(line, box.size), fontfamily=FONT, color=NOTE_INK if line.note else INK,
            fontweight="bold" if line.bold else "normal",
        )  # fmt: skip
        y += step


def _stage(ax: Axes, label: str, top: float, bottom: float) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (PAD, top), STAGE_BAND, bottom - top, boxstyle="round,pad=0,rounding_size=0.05",
            facecolor=STAGE_FILL, edgecolor=STAGE_EDGE, linewidth=0.8,
        )
    )  # fmt: skip
    size = STAGE_SIZE
    while size > 5.5 and text_width(label, size, bold=True) > bottom - top - 0.1:
        size -= 0.5  # a long translation of a short stage name
    ax.text(
        PAD + STAGE_BAND / 2, (top + bottom) / 2, plain(label), rotation=90, ha="center",
        va="center", fontsize=size, fontweight="bold", fontfamily=FONT, color=INK,
    )  # fmt: skip


def _line(ax: Axes, points: Sequence[tuple[float, float]]) -> None:
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=INK, linewidth=0.8, solid_capstyle="butt")


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "", xy=end, xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 0.8, "shrinkA": 0,
                    "shrinkB": 0, "mutation_scale": 8},
    )  # fmt: skip
