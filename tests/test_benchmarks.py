from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ips_outcomes.benchmarks import (
    Benchmark,
    PublishedEffect,
    compare_with_benchmarks,
    load_benchmarks,
    recompute,
    recompute_note,
)
from ips_outcomes.effects import binary_effect
from ips_outcomes.errors import InputError

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "benchmarks.yaml"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Benchmark]:
    return {b.id: b for b in load_benchmarks(SHIPPED)}


def test_shipped_file_holds_the_brief_table(shipped: dict[str, Benchmark]) -> None:
    assert list(shipped) == [
        "eqolise_2007",
        "bond_2008",
        "modini_2016",
        "brinchmann_2020",
        "frederick_2019",
        "bejerholm_2015",
        "reme_2019",
        "christensen_2019",
        "thl_2024_service",
        "thl_2024_12mo",
    ]
    assert shipped["modini_2016"].effect == PublishedEffect("RR", 2.40, 1.99, 2.90)
    assert shipped["brinchmann_2020"].effect == PublishedEffect("RR", 2.07, 1.82, 2.35)
    assert shipped["frederick_2019"].effect == PublishedEffect("RR", 1.63, 1.46, 1.82)
    assert shipped["bejerholm_2015"].n_randomised == 120
    assert shipped["bejerholm_2015"].n_treated is None  # arm sizes are not in the brief
    assert (shipped["reme_2019"].rate_treated, shipped["reme_2019"].rate_control) == (0.374, 0.271)
    assert shipped["bond_2008"].follow_up_months == (12, 24)
    assert shipped["eqolise_2007"].follow_up_months == (18, 18)
    assert not shipped["christensen_2019"].standard_outcome
    assert shipped["thl_2024_service"].rate_treated == 0.49
    assert shipped["thl_2024_12mo"].rate_treated == 0.55


def test_eqolise_recomputes_to_the_published_effect(shipped: dict[str, Benchmark]) -> None:
    eqolise = shipped["eqolise_2007"]
    effect = recompute(eqolise)
    assert effect is not None
    assert eqolise.effect is not None
    assert (effect.events_treated, effect.n_treated, effect.events_control) == (85, 156, 43)
    published = (eqolise.effect.estimate, eqolise.effect.lower, eqolise.effect.upper)
    assert (round(effect.rd, 3), round(effect.rd_lower, 3), round(effect.rd_upper, 3)) == published
    assert f"{effect.rd:.1%} ({effect.rd_lower:.1%}-{effect.rd_upper:.1%})" == "26.9% (16.4%-37.4%)"
    assert effect.rr == pytest.approx(85 / 43)
    assert recompute_note(eqolise) == "from the published counts 85/156 vs 43/156"


def test_no_recomputation_without_arm_sizes(shipped: dict[str, Benchmark]) -> None:
    for key in ("bond_2008", "modini_2016", "bejerholm_2015", "reme_2019", "thl_2024_12mo"):
        assert recompute(shipped[key]) is None
        assert recompute_note(shipped[key]) is None


def test_rates_are_rounded_to_whole_people_and_the_rounding_is_stated() -> None:
    trial = Benchmark("t", "T", "C", "rct", "job", n_treated=20, n_control=40)
    trial = Benchmark(**{**trial.__dict__, "rate_treated": 0.125, "rate_control": 0.1})
    effect = recompute(trial)
    assert effect is not None
    assert (effect.events_treated, effect.events_control) == (3, 4)  # 2.5 rounds half up
    note = recompute_note(trial)
    assert note is not None
    assert "rounded half up" in note
    assert "2.5 -> 3" in note
    assert "approximate" in note  # 3/20 = 15 % is not 12.5 %


def test_christensen_rates_do_not_come_back_from_its_arm_sizes(
    shipped: dict[str, Benchmark],
) -> None:
    effect = recompute(shipped["christensen_2019"])
    assert effect is not None
    assert (effect.events_treated, effect.n_treated) == (146, 243)
    assert (effect.events_control, effect.n_control) == (111, 239)
    note = recompute_note(shipped["christensen_2019"])
    assert note is not None
    assert "not the published 59.9 %" in note
    assert "approximate" in note


def write(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "mine.yaml"
    base = "id: mine, label: Mine, citation: Me 2025, design: rct, outcome: job"
    path.write_text(f"benchmarks:\n  - {{{base}}}\n  - {{{base.replace('mine', 'x')}, {entry}}}\n")
    return path


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("n_treatd: 10", "unknown key 'n_treatd'"),
        ("rate_treated: 46", "rate_treated must be a proportion between 0 and 1"),
        ("rate_control: -0.1", "rate_control must be a proportion"),
        ("n_treated: 10, events_treated: 11", r"events_treated \(11\) is larger than n_treated"),
        ("events_control: 3", "events_control needs n_control"),
        ("n_treated: 10.5", "n_treated must be a whole number"),
        ("effect: {measure: RR, estimate: 2.4, lower: 2.5, upper: 2.9}", "does not contain"),
        ("effect: {measure: RD, estimate: 26.9, lower: 16.4, upper: 37.4}", "between -1 and 1"),
        ("effect: {measure: HR, estimate: 2, lower: 1, upper: 3}", "measure one of"),
        ("effect: {measure: RR, estimate: 2}", "a mapping of"),
        ("n_treated: 10, events_treated: 5, rate_treated: 0.4", "does not round to rate_treated"),
        ("n_treated: 70, n_control: 60, n_randomised: 120", "larger than n_randomised"),
        ("follow_up_months: [24, 12]", "follow_up_months must be"),
        ("standard_outcome: 'yes'", "standard_outcome must be true or false"),
        ("design: cohort", "design must be one of"),
        ("design: single_arm, rate_control: 0.2", "single_arm study has no control"),
        ("label: ''", "label must be non-empty text"),
    ],
)
def test_a_bad_entry_is_named_with_its_file(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, entry)
    with pytest.raises(InputError, match=message) as raised:
        load_benchmarks(path)
    assert str(raised.value).startswith(f"{path}: entry 2 ('x'): ")


def test_whole_file_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_benchmarks(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    for text, message in [
        ("benchmarks: [", "not valid YAML"),
        ("- id: x", "one top-level key"),
        ("benchmarks: {id: x}", "one top-level key"),
        ("benchmarks: [x]", "entry 1: must be a mapping"),
        ("benchmarks:\n  - {id: x, label: X, citation: C, design: rct}", "outcome is required"),
    ]:
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            load_benchmarks(bad)
    twice = "{id: x, label: X, citation: C, design: rct, outcome: job}"
    bad.write_text(f"benchmarks: [{twice}, {twice}]")
    with pytest.raises(InputError, match=r"entry 2 .* used twice"):
        load_benchmarks(bad)


def test_users_can_add_their_own_entries(tmp_path: Path) -> None:
    path = write(tmp_path, "n_treated: 90, n_control: 80, events_treated: 40, events_control: 20")
    mine = load_benchmarks(path)[1]
    assert mine.follow_up_months is None
    assert mine.standard_outcome
    assert recompute(mine) == binary_effect(40, 90, 20, 80)


def test_comparison_rows_for_a_forest_plot(shipped: dict[str, Benchmark]) -> None:
    cohort = binary_effect(104, 200, 50, 200)
    rows = compare_with_benchmarks(cohort, list(shipped.values())).rows
    assert rows.columns == [
        "label",
        "measure",
        "estimate",
        "ci_lower",
        "ci_upper",
        "source",
        "design",
        "note",
    ]
    assert set(rows.get_column("measure")) == {"RD", "RR"}
    assert rows.group_by("source").len().sort("source").rows() == [
        ("published", 5),
        ("recomputed", 4),
        ("this cohort", 2),
    ]
    eqolise = rows.filter(pl.col("label").str.starts_with("EQOLISE"), pl.col("measure") == "RD")
    assert eqolise.get_column("estimate").round(3).to_list() == [0.269, 0.269]
    ours = rows.filter(pl.col("source") == "this cohort").row(1, named=True)
    assert (ours["label"], ours["estimate"], ours["note"]) == (
        "This cohort",
        2.08,
        "104/200 vs 50/200",
    )


def test_summary_places_the_cohort_among_the_trials(shipped: dict[str, Benchmark]) -> None:
    benchmarks = list(shipped.values())
    close = compare_with_benchmarks(binary_effect(104, 200, 50, 200), benchmarks).summary
    assert close == (
        "The IPS employment rate here (52%, 104 of 200) is within the range of the randomised"
        " trials (37–61%). The risk ratio 2.08 (1.58–2.74) is close to the pooled 2.07 of"
        " Brinchmann et al. 2020 (meta-analyses: 1.63–2.40)."
    )
    low = compare_with_benchmarks(binary_effect(30, 100, 25, 100), benchmarks).summary
    assert "is below the randomised trials (37–61%)" in low
    assert (
        "below every pooled estimate (meta-analyses: 1.63–2.40); its CI includes the nearest, 1.63"
        in low
    )
    high = compare_with_benchmarks(binary_effect(70, 100, 10, 100), benchmarks).summary
    assert "is above the randomised trials" in high
    assert "its CI excludes the nearest, 2.40 of Modini" in high
    none = compare_with_benchmarks(binary_effect(20, 100, 0, 100), benchmarks).summary
    assert none.endswith("The risk ratio cannot be estimated (an arm has no events).")


def test_summary_without_benchmarks_still_reads() -> None:
    summary = compare_with_benchmarks(binary_effect(5, 10, 2, 10), []).summary
    assert summary == (
        "The IPS employment rate here is 50% (5 of 10). The risk ratio is 2.50 (0.63–10.00)."
    )


def test_summary_reads_in_swedish_with_decimal_commas(shipped: dict[str, Benchmark]) -> None:
    from ips_outcomes.i18n import Translator

    out = compare_with_benchmarks(binary_effect(104, 200, 50, 200), list(shipped.values()))
    swedish = Translator("sv").render_all(out.messages)
    assert "2,08 (1,58–2,74)" in swedish
    assert "52\xa0%" in swedish
    assert "employment rate" not in swedish
