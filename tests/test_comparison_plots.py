from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.text import Annotation, Text
from PIL import Image

from ips_outcomes.comparison_plots import (
    FIDELITY_BANDS,
    KIND_COLOURS,
    forest_figure,
    save_figure,
    scatter_figure,
)

SVG_TEXT = "{http://www.w3.org/2000/svg}text"
LABELS = [
    "Drake et al. 1996",
    "Bejerholm et al. 2015 (Malmö)",
    "Hoffmann <Bern>",
    "Pooled, fixed effect",
    "Pooled, random effects",
    "Psykiatri Södra Älvsborg",
]


def forest_rows(**columns: Sequence[object]) -> pl.DataFrame:
    rows = pl.DataFrame(
        {
            "label": LABELS,
            "estimate": [2.1, 2.7, 1.6, 2.05, 2.15, 3.1],
            "lower": [1.4, 1.5, None, 1.7, 1.6, 1.2],
            "upper": [3.2, 4.9, None, 2.5, 2.9, 8.0],
            "kind": ["study", "study", "study", "pooled_fixed", "pooled_random", "this_cohort"],
            "weight": [80.0, 300.0, 60.0, None, None, 40.0],
            "group": ["published trials"] * 5 + ["this cohort"],
        }
    )
    return rows.with_columns(pl.Series(name, values) for name, values in columns.items())


def forest(rows: pl.DataFrame | None = None, **options: object) -> Figure:
    settings: dict[str, object] = {
        "title": "Competitive employment",
        "caption": "Risk ratios with 95% CI; costs in $ not shown.",
        "x_label": "Risk ratio",
        "log_scale": True,
        "reference": 1.0,
    } | options
    return forest_figure(forest_rows() if rows is None else rows, **settings)  # type: ignore[arg-type]


def scatter_points(**columns: Sequence[object]) -> pl.DataFrame:
    points = pl.DataFrame(
        {
            "x": [72.0, 88.0, 101.0, 104.0, 108.0, 117.0, 121.0],
            "y": [0.18, 0.31, 0.42, 0.38, 0.47, 0.55, 0.52],
            "label": ["Kiruna", "Örebro", "Göteborg", "Malmö", "Uppsala", "Söder", "Umeå"],
            "n": [12, 40, 80, 35, 60, 90, 30],
        }
    )
    return points.with_columns(pl.Series(name, values) for name, values in columns.items())


def scatter(
    points: pl.DataFrame | None = None, fit: tuple[float, float] | None = (-0.5, 0.0085)
) -> Figure:
    return scatter_figure(
        scatter_points() if points is None else points,
        fit,
        title="Employment by fidelity",
        caption="One point per site.",
        x_label="IPS fidelity total",
        y_label="Employed",
    )


def svg_texts(svg: Path) -> list[str]:
    return ["".join(node.itertext()) for node in ET.parse(svg).iter(SVG_TEXT)]


def check_png(png: Path, figure_size: tuple[float, float]) -> None:
    with Image.open(png) as image:
        image.verify()
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == (round(figure_size[0] * 150), round(figure_size[1] * 150))


# -- forest plot ------------------------------------------------------------------------


def test_forest_figure_renders_and_saves(tmp_path: Path) -> None:
    figure = forest()
    width, height = figure.get_size_inches()
    size = (float(width), float(height))
    png, svg = tmp_path / "out" / "forest.png", tmp_path / "out" / "forest.svg"
    save_figure(figure, png, svg)

    assert not plt.get_fignums()
    check_png(png, size)
    texts = svg_texts(svg)
    for expected in [*LABELS, "published trials", "this cohort", "Estimate (95% CI)"]:
        assert expected in texts, expected
    for expected in ["2.10 (1.40–3.20)", "2.05 (1.70–2.50)", "3.10 (1.20–8.00)", "1.60"]:
        assert expected in texts, expected
    assert "Risk ratios with 95% CI; costs in $ not shown." in texts
    assert {"1", "2", "5"} <= set(texts)  # log axis breaks written plainly
    raw = svg.read_text(encoding="utf-8")
    assert "Hoffmann &lt;Bern&gt;" in raw


def test_forest_rows_run_top_to_bottom_in_input_order() -> None:
    figure = forest()
    ax = figure.axes[0]
    heights = {t.get_text(): ax.transData.transform((1, t.get_position()[1]))[1] for t in ax.texts}
    order = ["published trials", *LABELS[:5], "this cohort", LABELS[5]]
    assert [heights[label] for label in order] == sorted(heights[label] for label in order)[::-1]
    # Each number sits on the row of its label.
    assert heights["2.10 (1.40–3.20)"] == heights["Drake et al. 1996"]
    assert heights["3.10 (1.20–8.00)"] == heights["Psykiatri Södra Älvsborg"]
    assert ax.get_xscale() == "log"
    assert ax.get_xlim()[0] < 1.0 < ax.get_xlim()[1]
    plt.close(figure)


def test_forest_marks_pooled_rows_with_diamonds_and_highlights_the_cohort() -> None:
    figure = forest()
    ax = figure.axes[0]
    diamonds = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(diamonds) == 2
    spans = sorted((min(p.get_xy()[:, 0]), max(p.get_xy()[:, 0])) for p in diamonds)
    assert spans == [pytest.approx((1.6, 2.9)), pytest.approx((1.7, 2.5))]
    cohort = next(t for t in ax.texts if t.get_text() == "Psykiatri Södra Älvsborg")
    assert cohort.get_color() == KIND_COLOURS["this_cohort"]
    assert KIND_COLOURS["this_cohort"] not in {KIND_COLOURS["study"], KIND_COLOURS["pooled_fixed"]}
    reference = [line for line in ax.lines if list(line.get_xdata()) == [1.0, 1.0]]
    assert len(reference) == 1
    # Square size follows the weight: the heaviest study has the biggest square.
    squares = {
        line.get_ydata()[0]: line.get_markersize() for line in ax.lines if line.get_marker() == "s"
    }
    assert len(squares) == 4
    assert max(squares.values()) == pytest.approx(11.0)
    plt.close(figure)


def test_a_row_without_ci_is_drawn_as_a_point_only(tmp_path: Path) -> None:
    figure = forest()
    ax = figure.axes[0]
    row_y = next(t.get_position()[1] for t in ax.texts if t.get_text() == "Hoffmann <Bern>")
    at_row = [line for line in ax.lines if set(line.get_ydata()) == {row_y}]
    assert len(at_row) == 1
    assert at_row[0].get_marker() == "s"
    assert len(at_row[0].get_xdata()) == 1
    assert "1.60" in [t.get_text() for t in ax.texts]
    save_figure(figure, tmp_path / "f.png", tmp_path / "f.svg")
    # A pooled row with a half-open CI is drawn as a diamond marker, not a shape.
    rows = forest_rows(upper=[3.2, 4.9, None, None, 2.9, 8.0])
    figure = forest(rows)
    assert len(figure.axes[0].patches) == 1
    assert [line.get_marker() for line in figure.axes[0].lines].count("D") == 1
    assert "2.05" in [t.get_text() for t in figure.axes[0].texts]
    plt.close(figure)


def test_differences_on_a_linear_axis_without_groups_or_weights() -> None:
    rows = pl.DataFrame(
        {
            "label": ["Trial A", "Trial B", "This cohort"],
            "estimate": [0.12, -0.05, 0.08],
            "lower": [0.02, -0.12, 0.01],
            "upper": [0.22, 0.02, 0.15],
            "kind": ["study", "study", "this_cohort"],
        }
    )
    figure = forest(rows, log_scale=False, reference=0.0, x_label="Risk difference")
    ax = figure.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "−0.05 (−0.12 to 0.02)" in texts
    assert "0.12 (0.02–0.22)" in texts
    assert ax.get_xscale() == "linear"
    assert ax.get_xlim()[0] < -0.12
    assert ax.get_xlim()[1] > 0.22
    squares = [line.get_markersize() for line in ax.lines if line.get_marker() == "s"]
    assert squares == [7.0, 7.0, 7.0]
    plt.close(figure)


@pytest.mark.parametrize(
    ("spread", "expected"),
    [
        ((0.8, 1.3), None),  # narrow: finer breaks than 1-2-5
        ((0.3, 4.0), [0.5, 1.0, 2.0]),
        ((0.01, 200.0), [0.01, 0.1, 1.0, 10.0, 100.0]),  # wide: one break per decade
    ],
)
def test_log_axis_breaks_are_few_and_plain(
    spread: tuple[float, float], expected: list[float] | None
) -> None:
    low, high = spread
    rows = pl.DataFrame(
        {"label": ["A"], "estimate": [math.sqrt(low * high)], "lower": [low], "upper": [high]}
    ).with_columns(kind=pl.lit("study"))
    figure = forest(rows)
    ax = figure.axes[0]
    ticks = list(ax.get_xticks())
    assert 3 <= len(ticks) <= 9
    if expected is not None:
        assert all(t in ticks for t in expected)
    assert all("$" not in label.get_text() for label in ax.get_xticklabels())
    assert not list(ax.get_xticks(minor=True))
    plt.close(figure)


# -- scatter plot -----------------------------------------------------------------------


def test_scatter_figure_renders_and_saves(tmp_path: Path) -> None:
    figure = scatter()
    width, height = figure.get_size_inches()
    size = (float(width), float(height))
    png, svg = tmp_path / "scatter.png", tmp_path / "scatter.svg"
    save_figure(figure, png, svg)

    assert not plt.get_fignums()
    check_png(png, size)
    texts = svg_texts(svg)
    for expected in ["Kiruna", "Örebro", "Göteborg", "Malmö", "Uppsala", "Söder", "Umeå"]:
        assert expected in texts, expected
    for name, _, _ in FIDELITY_BANDS:
        assert name in texts, name
    assert {"0%", "20%", "40%", "100%"} <= set(texts)
    assert "Point area is proportional to the number of participants." in "\n".join(texts)
    assert any("OLS fit" in t for t in texts)


def test_scatter_draws_fit_bands_and_sized_points() -> None:
    figure = scatter()
    ax = figure.axes[0]
    (fit,) = [line for line in ax.lines if isinstance(line, Line2D)]
    assert list(fit.get_xdata()) == [72.0, 121.0]
    assert list(fit.get_ydata()) == pytest.approx([-0.5 + 0.0085 * 72, -0.5 + 0.0085 * 121])
    assert len(ax.patches) == len(FIDELITY_BANDS)  # one shaded span per band
    low, high = ax.get_xlim()
    assert low < 72
    assert high > 125
    (dots,) = ax.collections
    sizes = list(dots.get_sizes())
    assert sizes.index(max(sizes)) == 5  # the site with the largest n
    plt.close(figure)


def test_scatter_labels_do_not_overlap_each_other_or_leave_the_figure() -> None:
    crowded = scatter_points(
        x=[100.0, 101.0, 102.0, 100.5, 101.5, 99.5, 102.5],
        y=[0.40, 0.41, 0.40, 0.42, 0.39, 0.41, 0.42],
    )
    for points in (scatter_points(), crowded):
        figure = scatter(points)
        figure.draw_without_rendering()
        renderer = figure._get_renderer()  # type: ignore[attr-defined]
        labels = [t for t in figure.axes[0].texts if isinstance(t, Annotation)]
        assert len(labels) == points.height
        boxes = [Text.get_window_extent(t, renderer) for t in labels]  # text, not leader
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b)
        centres = figure.axes[0].transData.transform(points.select("x", "y").to_numpy())
        for box in boxes:  # no label covers the centre of a point
            assert not any(box.contains(cx, cy) for cx, cy in centres)
        page = figure.bbox
        for box in boxes:
            assert page.x0 <= box.x0
            assert box.x1 <= page.x1
            assert page.y0 <= box.y0
        plt.close(figure)


def test_scatter_without_fit_or_sizes_and_with_missing_values() -> None:
    points = scatter_points(x=[72.0, None, 101.0, 104.0, 108.0, 117.0, 121.0]).drop("n")
    figure = scatter(points, fit=None)
    ax = figure.axes[0]
    assert not ax.lines
    assert len([t for t in ax.texts if isinstance(t, Annotation)]) == 6
    assert "Örebro" not in [t.get_text() for t in ax.texts]
    assert set(ax.collections[0].get_sizes()) == {60.0}
    assert "Point area" not in "".join(t.get_text() for t in figure.texts)
    plt.close(figure)


# -- both -------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [forest, scatter])
def test_svg_is_byte_identical_across_builds(tmp_path: Path, build: object) -> None:
    for name in ("a", "b"):
        save_figure(build(), tmp_path / f"{name}.png", tmp_path / f"{name}.svg")  # type: ignore[operator]
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    raw = (tmp_path / "a.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in raw
    assert "DejaVu Sans" in raw


def test_text_from_data_is_escaped_and_never_mathtext(tmp_path: Path) -> None:
    labels = ["<script>alert(1)</script>", "A & $x$ costs $5", *LABELS[2:]]
    save_figure(forest(forest_rows(label=labels)), tmp_path / "f.png", tmp_path / "f.svg")
    points = scatter_points(label=["<script>", "$x$", "c", "d", "e", "f", "g"])
    save_figure(scatter(points), tmp_path / "s.png", tmp_path / "s.svg")
    for svg, expected in (
        (tmp_path / "f.svg", labels[:2]),
        (tmp_path / "s.svg", ["<script>", "$x$"]),
    ):
        raw = svg.read_text(encoding="utf-8")
        assert "<script" not in raw
        assert "&lt;script&gt;" in raw
        texts = svg_texts(svg)
        for label in expected:
            assert label in texts, label


def figure_texts(figure: Figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if isinstance(t, Text) and t.get_text().strip()]


@pytest.mark.parametrize("build", [forest, scatter])
def test_everything_is_set_in_dejavu_sans_and_stays_in_the_figure(build: object) -> None:
    figure: Figure = build()  # type: ignore[operator]
    figure.draw_without_rendering()
    renderer = figure._get_renderer()  # type: ignore[attr-defined]
    for text in figure_texts(figure):
        assert text.get_fontname() == "DejaVu Sans", text.get_text()
    (ax,) = figure.axes
    tight = ax.get_tightbbox(renderer)
    assert tight is not None
    drawn = [tight, *(t.get_window_extent(renderer) for t in figure.texts)]
    for box in drawn:  # everything drawn, tick labels included, is inside the figure
        assert box.x0 >= 0
        assert box.y0 >= 0
        assert box.x1 <= figure.bbox.x1
        assert box.y1 <= figure.bbox.y1
    plt.close(figure)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (forest_rows().drop("upper"), "rows lacks column(s) upper"),
        (forest_rows().drop("label", "kind"), "rows lacks column(s) label, kind"),
        (forest_rows().clear(), "rows is empty"),
        (forest_rows().with_columns(pl.col("estimate").cast(pl.String)), "estimate: String"),
        (forest_rows().with_columns(pl.col("weight").cast(pl.String)), "weight: String"),
        (forest_rows().with_columns(label=pl.concat_list("label")), "label: List"),
        (forest_rows(kind=["study"] * 5 + ["cohort"]), "a kind"),
        (forest_rows(kind=["study"] * 5 + [None]), "a kind"),
        (forest_rows(estimate=[2.1, None, 1.6, 2.05, 2.15, 3.1]), "an estimate"),
        (forest_rows(estimate=[5.0, 2.7, 1.6, 2.05, 2.15, 3.1]), "without its estimate"),
        (forest_rows(weight=[80.0, -1.0, 60.0, None, None, 40.0]), "negative weight"),
        (forest_rows(lower=[0.0, 1.5, None, 1.7, 1.6, 1.2]), "log scale needs positive"),
    ],
)
def test_bad_forest_inputs_are_rejected(rows: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        forest(rows)
    assert not plt.get_fignums()


@pytest.mark.parametrize(
    ("points", "fit", "message"),
    [
        (scatter_points().drop("y"), None, r"points lacks column\(s\) y"),
        (scatter_points().select("n"), None, r"points lacks column\(s\) label, x, y"),
        (scatter_points().with_columns(pl.col("x").cast(pl.String)), None, "x: String"),
        (scatter_points().with_columns(pl.col("n").cast(pl.String)), None, "n: String"),
        (scatter_points(y=[18.0, 31, 42, 38, 47, 55, 52]), None, "y in 0-1"),
        (scatter_points(n=[-1, 40, 80, 35, 60, 90, 30]), None, "n >= 0"),
        (scatter_points(), (0.0, math.inf), "fit finite"),
        (scatter_points(y=[None] * 7), None, "no site with both x and y"),
    ],
)
def test_bad_scatter_inputs_are_rejected(
    points: pl.DataFrame, fit: tuple[float, float] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        scatter(points, fit)
