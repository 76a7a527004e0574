"""The risk table under the Kaplan-Meier figure: at risk, events and censored per group.

The table is a matplotlib axes added to the figure drawn by plotnine, given the curve panel's
final left edge, width and x limits so its columns sit exactly under the x axis breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import polars as pl
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ips_outcomes.plot_style import (
    FONT,
    GAP,
    GROUP_GAP,
    PAD,
    PALETTE,
    ROW_HEIGHT,
    TABLE_SIZE,
    text_width,
    translate,
)

#: Rows of the risk table for each group: (column of `risk_table`, row label).
RISK_ROWS: tuple[tuple[str, str], ...] = (
    ("at_risk", "At risk"),
    ("events", "Events"),
    ("censored", "Censored"),
)


@dataclass(frozen=True)
class RiskTable:
    """The risk table's cells and labels.

    Rows are counted from the top. Each group has three rows (:data:`RISK_ROWS`), labelled at
    the left; the group name goes left of the first one, or, when names are too wide for that
    (`headings`), on a row of its own above them.
    """

    groups: tuple[str, ...]
    cells: tuple[tuple[int, str, float, str], ...]  # (group index, column, month, text)
    headings: bool = False

    @staticmethod
    def build(risk_table: pl.DataFrame, groups: Sequence[str]) -> RiskTable:
        """Cells of `risk_table` (null shown as a dash), groups in the order of `groups`."""
        cells: list[tuple[int, str, float, str]] = []
        frame = risk_table.filter(pl.col("month").is_not_null())
        for index, group in enumerate(groups):
            rows = frame.filter(pl.col("group") == group).sort("month", maintain_order=True)
            for column, _ in RISK_ROWS:
                for month, value in zip(rows["month"], rows[column], strict=True):
                    text = "–" if value is None else str(value)
                    cells.append((index, column, float(month), text))
        return RiskTable(tuple(groups), tuple(cells))

    def with_headings(self) -> RiskTable:
        """Put each group's name on a row of its own above its rows, in a copy."""
        return replace(self, headings=True)

    @property
    def rows_per_group(self) -> int:
        """Rows taken by one group, its heading included."""
        return len(RISK_ROWS) + int(self.headings)

    def row_of(self, group_index: int, column: str | None) -> float:
        """Centre of a row (`column` None: the group's heading), in rows from the top."""
        start = group_index * (self.rows_per_group + GROUP_GAP)
        if column is None:
            return start + 0.5
        offset = [c for c, _ in RISK_ROWS].index(column) + int(self.headings)
        return start + offset + 0.5

    @property
    def rows(self) -> float:
        """Height in rows, the gaps between groups included."""
        n = len(self.groups)
        return n * self.rows_per_group + (n - 1) * GROUP_GAP

    @property
    def height(self) -> float:
        """Height in inches."""
        return self.rows * ROW_HEIGHT

    def max_half_width(self) -> float:
        """Half the widest number, in inches: how far a column reaches beyond its break."""
        return max((text_width(t, TABLE_SIZE) / 2 for *_, t in self.cells), default=0.0)

    def labels_right(self, figure: Figure, panel: Axes) -> float:
        """Right edge of the row labels, in inches: clear of the first column's numbers."""
        first = min((m for _, _, m, _ in self.cells), default=0.0)
        half = max(
            (text_width(t, TABLE_SIZE) / 2 for _, _, m, t in self.cells if m == first),
            default=0.0,
        )
        box = panel.get_position()
        x0, x1 = panel.get_xlim()
        first_x = float(box.x0 + box.width * (first - x0) / (x1 - x0)) * figure.get_figwidth()
        return first_x - half - GAP

    def room(self, figure: Figure, panel: Axes) -> float:
        """Space left free at the figure's left edge by the labels, in inches (< 0: overflow)."""
        needed = max(text_width(translate(label), TABLE_SIZE) for _, label in RISK_ROWS)
        if not self.headings:
            needed += GAP + max(text_width(g, TABLE_SIZE, bold=True) for g in self.groups)
        return self.labels_right(figure, panel) - needed

    def draw(self, figure: Figure, panel: Axes, *, bottom: float) -> Axes:
        """Add the table under `panel`, sharing its left edge, width and x limits."""
        box = panel.get_position()
        axes = figure.add_axes(
            (
                box.x0,
                bottom / figure.get_figheight(),
                box.width,
                self.height / figure.get_figheight(),
            ),
            label="risk table",
        )
        axes.set_xlim(panel.get_xlim())
        axes.set_ylim(self.rows, 0)
        axes.set_axis_off()
        labels_right = self.labels_right(figure, panel)
        inches = transforms.blended_transform_factory(figure.dpi_scale_trans, axes.transData)
        for index, group in enumerate(self.groups):
            axes.text(
                PAD, self.row_of(index, None if self.headings else RISK_ROWS[0][0]), group,
                transform=inches, ha="left", va="center", color=PALETTE[index],
                fontweight="bold", fontsize=TABLE_SIZE, fontfamily=FONT, parse_math=False,
            )  # fmt: skip
            for column, label in RISK_ROWS:
                axes.text(
                    labels_right, self.row_of(index, column), translate(label), transform=inches,
                    ha="right", va="center", color="#333333", fontsize=TABLE_SIZE,
                    fontfamily=FONT, parse_math=False,
                )  # fmt: skip
        for index, column, month, value in self.cells:
            axes.text(
                month, self.row_of(index, column), value, ha="center", va="center",
                fontsize=TABLE_SIZE, fontfamily=FONT, parse_math=False, clip_on=False,
            )  # fmt: skip
        return axes
