from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from ips_outcomes.survival_plots import (
    DAYS_PER_MONTH,
    cif_figure,
    km_figure,
    save_figure,
    step_coordinates,
)

CAPTION = "Log-rank p = 0.001; HR (IPS vs TAU) 2.31 (1.80-2.95)"
SVG_TEXT = "{http://www.w3.org/2000/svg}text"


def curves(groups: tuple[str, str] = ("IPS", "TAU")) -> pl.DataFrame:
    ips, tau = groups
    return pl.DataFrame(
        {
            "group": [ips] * 5 + [tau] * 4,
            "time": [0.0, 30.0, 95.0, 200.0, 420.0, 0.0, 60.0, 250.0, 500.0],
            "estimate": [0.0, 0.15, 0.35, 0.55, 0.7, 0.0, 0.05, 0.2, 0.3],
            "lower": [None, 0.08, 0.25, 0.44, 0.58, None, 0.01, 0.12, 0.2],
            "upper": [None, 0.24, 0.46, 0.66, 0.8, None, 0.12, 0.3, 0.41],
        }
    )


def censored(groups: tuple[str, str] = ("IPS", "TAU")) -> pl.DataFrame:
    ips, tau = groups
    return pl.DataFrame(
        {"group": [ips, tau, tau], "time": [150.0, 100.0, 400.0], "estimate": [0.35, 0.05, 0.2]}
    )


RISK_NUMBERS = {  # per group: at risk, cumulative events, cumulative censored at 0, 3, .. 18
    0: (
        ("120", "101", "77", "52", "40", "31", "22"),
        ("0", "17", "40", "61", "70", "76", "80"),
        ("0", "<5", "<5", "7", "10", "13", "18"),
    ),
    1: (
        ("118", "112", "104", "97", "90", "83", "71"),
        ("0", "<5", "9", "21", "25", "28", "33"),
        ("0", "<5", "5", "<5", "<5", "7", "14"),
    ),
}


def risk_table(groups: tuple[str, str] = ("IPS", "TAU")) -> pl.DataFrame:
    parts = []
    for index, group in enumerate(groups):
        at_risk, events, censored = RISK_NUMBERS[index]
        parts.append(
            pl.DataFrame(
                {
                    "group": group,
                    "month": [0, 3, 6, 9, 12, 15, 18],
                    "at_risk": at_risk,
                    "events": events,
                    "censored": censored,
                }
            )
        )
    return pl.concat(parts)


def medians(groups: tuple[str, str] = ("IPS", "TAU")) -> pl.DataFrame:
    return pl.DataFrame(
        {"group": list(groups), "median_days": [200.0, None]},
        schema={"group": pl.String, "median_days": pl.Float64},
    )


def km(groups: tuple[str, str] = ("IPS", "TAU"), caption: str = CAPTION) -> Figure:
    return km_figure(
        curves(groups),
        censored(groups),
        risk_table(groups),
        medians(groups),
        title="Time to first competitive job",
        caption=caption,
    )


def svg_texts(svg: Path) -> list[str]:
    root = ET.parse(svg).getroot()
    return [element.text or "" for element in root.iter(SVG_TEXT)]


# -- step coordinates -------------------------------------------------------------------


def test_step_coordinates_hold_each_value_until_the_next_time() -> None:
    frame = pl.DataFrame(
        {
            "group": ["B", "A", "A", "A", "B"],
            "time": [5.0, 20.0, 0.0, 10.0, 0.0],
            "estimate": [0.4, 0.5, 0.0, 0.2, 0.0],
            "lower": [0.3, 0.4, None, 0.1, None],
            "upper": [0.5, 0.6, None, 0.3, None],
        }
    )
    steps = step_coordinates(frame)
    assert steps.columns == frame.columns
    assert steps.rows() == [
        ("A", 0.0, 0.0, None, None),
        ("A", 10.0, 0.0, None, None),  # the riser starts at the held value
        ("A", 10.0, 0.2, 0.1, 0.3),
        ("A", 20.0, 0.2, 0.1, 0.3),
        ("A", 20.0, 0.5, 0.4, 0.6),
        ("B", 0.0, 0.0, None, None),
        ("B", 5.0, 0.0, None, None),
        ("B", 5.0, 0.4, 0.3, 0.5),
    ]


def test_step_coordinates_without_groups_and_of_a_single_point() -> None:
    frame = pl.DataFrame({"time": [3.0, 1.0], "estimate": [0.5, 0.25]})
    assert step_coordinates(frame, ["estimate"], by=()).rows() == [
        (1.0, 0.25),
        (3.0, 0.25),
        (3.0, 0.5),
    ]
    single = pl.DataFrame({"group": ["A"], "time": [0.0], "estimate": [0.0]})
    assert step_coordinates(single, ["estimate"]).rows() == [("A", 0.0, 0.0)]


# -- Kaplan-Meier figure ----------------------------------------------------------------


def test_km_figure_renders_and_saves_png_and_svg(tmp_path: Path) -> None:
    figure = km()
    width, height = figure.get_size_inches()
    png, svg = tmp_path / "out" / "km.png", tmp_path / "out" / "km.svg"
    save_figure(figure, png, svg)

    assert not plt.get_fignums()
    with Image.open(png) as image:
        image.verify()
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == (round(width * 150), round(height * 150))

    texts = svg_texts(svg)
    for expected in ("IPS", "TAU", CAPTION, "Time to first competitive job"):
        assert expected in texts, expected
    for expected in ("At risk", "Events", "Censored", "120", "118", "80", "71", "<5"):
        assert expected in texts, expected
    for month in ("0", "3", "6", "9", "12", "15", "18"):  # x axis breaks, every 3 months
        assert month in texts
    assert {"0%", "50%", "100%"} <= set(texts)
    assert "&lt;5" in svg.read_text(encoding="utf-8")


def test_risk_table_shares_the_panel_x_axis_and_sits_under_it() -> None:
    figure = km()
    try:
        panel = figure.axes[0]
        (table,) = [a for a in figure.axes if a.get_label() == "risk table"]
        assert table.get_position().x0 == pytest.approx(panel.get_position().x0)
        assert table.get_position().width == pytest.approx(panel.get_position().width)
        assert table.get_xlim() == pytest.approx(panel.get_xlim())
        assert panel.get_xticks().tolist() == [0, 3, 6, 9, 12, 15, 18]

        renderer = figure._get_renderer()  # type: ignore[attr-defined]
        table_box = table.get_window_extent(renderer)
        assert table_box.y1 <= panel.xaxis.label.get_window_extent(renderer).y0
        # Each number is centred under its break: months 0..18 at the panel's tick positions.
        numbers = [t for t in table.texts if t.get_text() in {"120", "101", "77", "22"}]
        for text in numbers:
            month = text.get_position()[0]
            tick_x = panel.transData.transform((month, 0))[0]
            box = text.get_window_extent(renderer)
            assert (box.x0 + box.x1) / 2 == pytest.approx(tick_x, abs=1.0)
    finally:
        plt.close(figure)


def visible_texts(figure: Figure) -> list[Text]:
    return [
        t
        for t in figure.findobj(Text)
        if isinstance(t, Text) and t.get_visible() and t.get_text().strip()
    ]


@pytest.mark.parametrize(
    "groups",
    [("IPS", "TAU"), ("Individual Placement and Support", "Treatment as usual (community)")],
)
def test_no_text_overlaps_and_everything_is_inside_the_figure(groups: tuple[str, str]) -> None:
    figure = km(groups, caption=CAPTION + "; " + CAPTION)
    try:
        figure.draw_without_rendering()
        renderer = figure._get_renderer()  # type: ignore[attr-defined]
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in visible_texts(figure)]
        page = figure.bbox
        for text, box in boxes:
            assert page.x0 <= box.x0, text
            assert box.x1 <= page.x1, text
            assert page.y0 <= box.y0, text
            assert box.y1 <= page.y1, text
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
            assert not box_a.overlaps(box_b), (a, b)
        # The legend sits above the panel, not on the curves.
        panel = figure.axes[0].get_window_extent(renderer)
        for name in groups:
            (entry,) = [box for text, box in boxes if text == name and box.y0 > panel.y1]
            assert entry.y0 >= panel.y1
    finally:
        plt.close(figure)


def test_svg_is_byte_identical_across_saves_and_builds(tmp_path: Path) -> None:
    figure = km()
    save_figure(figure, tmp_path / "a.png", tmp_path / "a.svg")
    save_figure(figure, tmp_path / "b.png", tmp_path / "b.svg")  # the same figure again
    save_figure(km(), tmp_path / "c.png", tmp_path / "c.svg")  # built again
    first = (tmp_path / "a.svg").read_bytes()
    assert first == (tmp_path / "b.svg").read_bytes()
    assert first == (tmp_path / "c.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "c.png").read_bytes()
    assert b"<dc:date>" not in first


def test_svg_uses_only_dejavu_sans_and_keeps_text_as_text(tmp_path: Path) -> None:
    save_figure(km(), tmp_path / "km.png", tmp_path / "km.svg")
    svg = (tmp_path / "km.svg").read_text(encoding="utf-8")
    assert "font-family: 'DejaVu Sans'" in svg
    assert "font-family: 'Helvetica'" not in svg
    assert '<path id="DejaVuSans' not in svg  # glyphs are not outlined


def test_text_from_data_is_escaped_in_svg(tmp_path: Path) -> None:
    groups = ("<script>", "A & $x$")
    save_figure(
        km(groups, caption="<b>HR</b> costs $5 & $6"), tmp_path / "km.png", tmp_path / "km.svg"
    )
    raw = (tmp_path / "km.svg").read_text(encoding="utf-8")
    assert "<script" not in raw
    assert "&lt;script&gt;" in raw
    assert "<b>" not in raw
    texts = svg_texts(tmp_path / "km.svg")
    assert "<script>" in texts
    assert "A & $x$" in texts  # dollars are shown as typed, never as mathtext
    assert "<b>HR</b> costs $5 & $6" in texts


def test_optional_parts_may_be_empty(tmp_path: Path) -> None:
    figure = km_figure(
        curves(),
        pl.DataFrame(),
        risk_table(),
        medians().with_columns(pl.lit(None, pl.Float64).alias("median_days")),
        title="No censoring, no median",
        caption="",
    )
    save_figure(figure, tmp_path / "km.png", tmp_path / "km.svg")
    assert "At risk" in svg_texts(tmp_path / "km.svg")


def test_x_axis_covers_the_data_in_whole_quarters() -> None:
    long = curves().with_columns(
        pl.when(pl.col("time") == 500.0).then(19.5 * DAYS_PER_MONTH).otherwise("time").alias("time")
    )
    figure = km_figure(long, censored(), risk_table(), medians(), title="t", caption="c")
    try:
        assert figure.axes[0].get_xticks().tolist() == [0, 3, 6, 9, 12, 15, 18, 21]
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ({"curves": curves().drop("estimate")}, "curves lacks column"),
        ({"curves": curves().clear()}, "curves is empty"),
        ({"risk_table": risk_table().drop("censored")}, "risk_table lacks column"),
        (
            {"risk_table": risk_table().with_columns(pl.lit("SE").alias("group"))},
            "without a curve: SE",
        ),
        ({"medians": pl.DataFrame({"group": ["X"], "median_days": [1.0]})}, "X"),
    ],
)
def test_bad_inputs_are_rejected(frames: dict[str, pl.DataFrame], message: str) -> None:
    inputs: dict[str, pl.DataFrame] = {
        "curves": curves(),
        "censored": censored(),
        "risk_table": risk_table(),
        "medians": medians(),
        **frames,
    }
    with pytest.raises(ValueError, match=message):
        km_figure(
            inputs["curves"],
            inputs["censored"],
            inputs["risk_table"],
            inputs["medians"],
            title="t",
            caption="c",
        )
    assert not plt.get_fignums()


def test_too_many_groups_for_the_palette() -> None:
    many = pl.DataFrame({"group": [f"G{i}" for i in range(8)], "time": 0.0, "estimate": 0.0})
    with pytest.raises(ValueError, match="8 groups"):
        cif_figure(many.with_columns(pl.lit("job").alias("cause")), title="t", caption="")


# -- cumulative incidence figure --------------------------------------------------------


def incidence() -> pl.DataFrame:
    job = curves().filter(pl.col("time") > 0).with_columns(pl.lit("job").alias("cause"))
    dropout = job.with_columns(
        pl.lit("drop-out").alias("cause"), *(pl.col(c) / 3 for c in ("estimate", "lower", "upper"))
    )
    return pl.concat([job, dropout]).with_columns(pl.lit(50).alias("n_risk"))


def test_cif_figure_renders_one_panel_per_cause(tmp_path: Path) -> None:
    figure = cif_figure(incidence(), title="Competing risks", caption=CAPTION)
    assert len(figure.axes) == 2
    width, height = figure.get_size_inches()
    save_figure(figure, tmp_path / "cif.png", tmp_path / "cif.svg")
    with Image.open(tmp_path / "cif.png") as image:
        assert image.size == (round(width * 150), round(height * 150))
    texts = svg_texts(tmp_path / "cif.svg")
    for expected in ("IPS", "TAU", CAPTION, "Started a competitive job", "Dropped out"):
        assert expected in texts, expected
    again = cif_figure(incidence(), title="Competing risks", caption=CAPTION)
    save_figure(again, tmp_path / "again.png", tmp_path / "again.svg")
    assert (tmp_path / "cif.svg").read_bytes() == (tmp_path / "again.svg").read_bytes()


def test_cif_curves_start_at_zero_and_step() -> None:
    figure = cif_figure(incidence(), title="t", caption="")
    try:
        panel = figure.axes[0]
        line = next(ln for ln in panel.get_lines() if np.asarray(ln.get_xdata()).size > 2)
        x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        assert (x[0], y[0]) == (0.0, 0.0)
        assert x[1] == pytest.approx(30 / DAYS_PER_MONTH)
        assert y[1] == 0.0  # held until the first event, then the riser
        assert y[2] == pytest.approx(0.15)
    finally:
        plt.close(figure)
