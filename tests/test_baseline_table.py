"""Table 1 rendered as HTML: escaping, scoped CSS, cell formats, locales and gettext."""

from __future__ import annotations

import re

import polars as pl

from ips_outcomes.baseline import VARIABLE_LABELS, baseline_results
from ips_outcomes.baseline_table import MESSAGES, baseline_table_html

from .test_baseline import _forty


def test_one_service_has_no_smds() -> None:
    people = _forty().filter(pl.col("service") == "IPS")
    out = baseline_results(people, "IPS", 5, ["gender"])
    assert out.filter(pl.col("statistic") == "smd").is_empty()
    assert "SMD" not in baseline_table_html(out, ["IPS"], "IPS")


def _table_input() -> pl.DataFrame:
    people = _forty().with_columns(
        pl.Series("age_at_enrolment", [45.66] * 40 + [40.0] * 40),
        pl.Series("site", ["<script>"] * 20 + ["Åbo & Co"] * 60),
    )
    return baseline_results(people, "IPS", 5)


def test_html_escapes_data_values_and_is_byte_identical() -> None:
    results = _table_input()
    html = baseline_table_html(results, ["IPS", "TAU"], "IPS")
    assert html == baseline_table_html(results, ["IPS", "TAU"], "IPS")
    assert "&lt;script&gt;" in html
    assert "<script" not in html
    assert "Åbo &amp; Co" in html
    assert 'id="table1"' in html


def test_html_is_self_contained_and_scoped() -> None:
    html = baseline_table_html(_table_input(), ["IPS", "TAU"], "IPS")
    for reference in ("googleapis", "@import", "url(", "<link", "http"):
        assert reference not in html
    css = html[html.index("<style>") + 7 : html.index("</style>")]
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors
    assert all(s.startswith("#table1") for s in selectors)


def test_html_cells_and_locales() -> None:
    results = _table_input()
    en = baseline_table_html(results, ["IPS", "TAU"], "IPS")
    fi = baseline_table_html(results, ["IPS", "TAU"], "IPS", locale="fi")
    # IPS ages all 45.66 (SD 0); 17 of 40 female = 42.5 %.
    assert "45.7 (0.0)" in en
    assert "45,7 (0,0)" in fi
    assert "17 (42.5\u00a0%)" in en
    assert "17 (42,5\u00a0%)" in fi
    assert "IPS (n = 40)" in en
    # Suppressed: 3 "other" in IPS; 38 of 40 in work.
    assert en.count("&lt;5") >= 3
    assert "SMD, IPS vs TAU" in en
    # Both services' ages are constant: pooled SD 0, the age SMD is undefined and shown as a dash.
    age = en[en.index(">Age at enrolment<") : en.index(">Mean (SD)<")]
    assert re.findall(r"<td[^>]*>([^<]*)</td>", age) == ["", "", "–"]


def test_html_labels_go_through_gettext_and_data_do_not() -> None:
    seen: list[str] = []

    def gettext(message: str) -> str:
        seen.append(message)
        return {"Gender": "Sukupuoli", "Missing": "Puuttuu"}.get(message, message)

    people = _forty().with_columns(
        pl.when(pl.col("service") == "TAU").then(None).otherwise(pl.col("gender")).alias("gender")
    )
    html = baseline_table_html(
        baseline_results(people, "IPS", 5), ["IPS", "TAU"], "IPS", gettext=gettext, locale="fi"
    )
    assert "Sukupuoli" in html
    assert "Puuttuu" in html
    assert set(seen) <= set(MESSAGES)
    assert {"Gender", "Missing", "Characteristic", "Yes", "No"} <= set(seen)
    assert "female" in html
    assert "female" not in seen
    assert set(VARIABLE_LABELS.values()) <= set(MESSAGES)
