from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ips_outcomes.flow import flow_counts
from ips_outcomes.flow_plot import MESSAGES, flow_figure
from ips_outcomes.survival_plots import save_figure

from .test_flow import cohort, person, summary

NBSP = "\u00a0"


def texts(figure: Figure) -> list[str]:
    """The figure's text, arrows (empty annotations) left out."""
    return [t.get_text().replace(NBSP, " ") for t in figure.axes[0].texts if t.get_text()]


def test_the_figure_shows_every_box() -> None:
    figure = flow_figure(flow_counts(summary(), cohort(), "18m", 5), services=["TAU"])
    drawn = texts(figure)
    for line in (
        "Records read (n = 32)", "Quarantined (n = 12)", "• duplicate_id (n = 8)",
        "• missing_value (n = <5)", "A record can break more than one rule", "Enrolled (n = 20)",
        "IPS", "TAU", "Enrolled (n = 12)", "Dropped out (n = 6)", "Dropped out (n = <5)",
        "Analysed (n = 8)", "Whole 18-month window observed", "Enrolment", "Follow-up",
    ):  # fmt: skip
        assert line in drawn, line
    # IPS's 2 in work at entry and the 10 out of work withheld with them: "<5" would be untrue
    # for the 10, and nothing published says which is which
    assert drawn.count("In work at entry (n withheld)") == 1
    assert drawn.count("Out of work at entry (n withheld)") == 1
    assert "Lost to follow-up (n = 3)" in drawn
    assert drawn.index("TAU") < drawn.index("IPS")  # column order as asked


def test_withheld_counts_are_shown_below_the_threshold_where_that_is_certain() -> None:
    people = pl.DataFrame([*(person("IPS") for _ in range(12)), *(person("A"), person("B")) * 2])
    rows = flow_counts(summary(read=16, quarantined=0, rules={}), people, "18m", 5)
    drawn = texts(flow_figure(rows, threshold=5))
    # 16 - 12 = 4 people are in A and B together, so each is below 5
    assert drawn.count("Enrolled (n = <5)") == 2
    assert "Enrolled (n = 16)" in drawn


def test_numbers_follow_the_locale() -> None:
    people = pl.DataFrame([person("IPS")] * 1234)
    rows = flow_counts(summary(read=1234, quarantined=0, rules={}), people, "18m", 5)
    assert "Enrolled (n = 1 234)" in texts(flow_figure(rows, locale="fi"))
    assert "Enrolled (n = 1,234)" in texts(flow_figure(rows, locale="en"))
    assert f"Enrolled (n{NBSP}={NBSP}1{NBSP}234)" in [
        t.get_text() for t in flow_figure(rows, locale="sv").axes[0].texts
    ]


def test_messages_are_exactly_what_the_figure_translates() -> None:
    calls: list[str] = []

    def gettext(msgid: str) -> str:
        calls.append(msgid)
        return "‹" + msgid + "›"

    rows = flow_counts(summary(), cohort(), "18m", 5)
    service = rows.with_columns(pl.lit("service").alias("window"))
    for frame in (rows, service):
        drawn = texts(flow_figure(frame, gettext=gettext))
        # everything drawn is translated text, or data (service names)
        assert all("‹" in t or t in {"IPS", "TAU"} for t in drawn), drawn
    assert set(calls) == set(MESSAGES)
    assert len(set(MESSAGES)) == len(MESSAGES)
    assert "‹Observation ended before 18 months›" not in calls  # filled after translation


@pytest.mark.parametrize("services", [1, 2, 5])
def test_the_layout_keeps_text_inside_its_boxes(services: int) -> None:
    names = ["IPS", "Treatment as usual", "Arbetsförmedlingens förstärkta arbetsträning",
             "Traditional vocational rehabilitation", "$heltered work"][:services]  # fmt: skip
    people = pl.DataFrame(
        [person(name, lost=i % 3 == 0) for name in names for i in range(7 + len(name) % 5)]
    )
    rows = flow_counts(summary(read=people.height, quarantined=0, rules={}), people, "18m", 5)
    figure = flow_figure(rows)
    renderer = FigureCanvasAgg(figure).get_renderer()
    area = figure.bbox
    boxes = [t.get_window_extent(renderer) for t in figure.axes[0].texts if t.get_text()]
    for box in boxes:
        assert area.x0 <= box.x0 <= box.x1 <= area.x1
        assert area.y0 <= box.y0 <= box.y1 <= area.y1
    for one, other in itertools.combinations(boxes, 2):
        assert not one.overlaps(other)
    patches = [p.get_window_extent(renderer) for p in figure.axes[0].patches]
    for box in boxes:  # every line lies within one drawn box
        assert any(p.x0 <= box.x0 and box.x1 <= p.x1 + 0.5 for p in patches)


def test_data_text_is_never_read_as_mathtext(tmp_path: Path) -> None:
    people = pl.DataFrame([person("Job $tart $") for _ in range(6)])
    rows = flow_counts(summary(read=6, quarantined=0, rules={}), people, "18m", 5)
    save_figure(flow_figure(rows), tmp_path / "f.png", tmp_path / "f.svg")
    assert "Job $tart $" in (tmp_path / "f.svg").read_text(encoding="utf-8")


def test_saving_twice_gives_identical_svg(tmp_path: Path) -> None:
    rows = flow_counts(summary(), cohort(), "18m", 5)
    for name in ("a", "b"):
        save_figure(
            flow_figure(rows, locale="fi"), tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
        )
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
