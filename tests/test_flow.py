from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from ips_outcomes.flow import flow_counts, secondary_suppression
from ips_outcomes.results import RESULT_SCHEMA


def person(service: str, *, in_work: bool = False, lost: bool = False, dropped: bool = False):
    return {
        "service": service,
        "in_work_at_entry": in_work,
        "dropped_out": dropped,
        "window_complete_18m": not lost,
        "window_complete_12m": True,
    }


def cohort() -> pl.DataFrame:
    """20 people. IPS (12): 2 in work at entry, 3 lost to follow-up, 6 dropped out.
    TAU (8): nobody in work at entry or lost, 4 dropped out."""
    ips = [
        person("IPS", in_work=True, dropped=True),
        person("IPS", in_work=True),
        person("IPS", lost=True, dropped=True),
        person("IPS", lost=True),
        person("IPS", lost=True),
        *(person("IPS", dropped=True) for _ in range(4)),
        *(person("IPS") for _ in range(3)),
    ]
    tau = [*(person("TAU", dropped=True) for _ in range(4)), *(person("TAU") for _ in range(4))]
    return pl.DataFrame(ips + tau)


def summary(read: int = 32, quarantined: int = 12, rules: dict[str, int] | None = None):
    rules = {"duplicate_id": 8, "invalid_date": 5, "missing_value": 1} if rules is None else rules
    return {
        "contract_version": "1",
        "tables": [
            {"table": "participants", "rows_read": read, "rows_accepted": read - quarantined,
             "rows_quarantined": quarantined},
            {"table": "jobs", "rows_read": 50, "rows_accepted": 20, "rows_quarantined": 30},
        ],
        "quarantine_by_rule": [
            *({"table": "participants", "rule": r, "cells": k, "rows": k}
              for r, k in rules.items()),
            {"table": "jobs", "rule": "unknown_participant", "cells": 30, "rows": 30},
        ],
    }  # fmt: skip


def cells(rows: pl.DataFrame) -> dict[tuple[str, str, str], float | None]:
    keyed = rows.select("outcome", "grouping", "group", "estimate").iter_rows()
    return {(o, gr, g): e for o, gr, g, e in keyed}


def test_each_box_is_counted_and_small_cells_are_withheld() -> None:
    rows = flow_counts(summary(), cohort(), "18m", 5)
    assert rows.schema == pl.Schema(RESULT_SCHEMA)
    assert set(rows["analysis"]) == {"flow"}
    assert set(rows["statistic"]) == {"count"}
    assert cells(rows) == {
        ("records_read", "all", "all"): 32.0,
        ("records_quarantined", "all", "all"): 12.0,
        ("quarantined", "rule", "duplicate_id"): 8.0,
        ("quarantined", "rule", "invalid_date"): 5.0,
        ("quarantined", "rule", "missing_value"): None,  # 1 row
        ("enrolled", "all", "all"): 20.0,
        ("enrolled", "service", "IPS"): 12.0,
        ("enrolled", "service", "TAU"): 8.0,
        ("in_work_at_entry", "service", "IPS"): None,  # 2 people
        ("in_work_at_entry", "service", "TAU"): 0.0,  # zero is published
        ("out_of_work_at_entry", "service", "IPS"): None,  # 10: would give away the 2
        ("out_of_work_at_entry", "service", "TAU"): 8.0,
        # follow-up completeness is published as it is (the employment denominators show it)
        ("lost_to_followup", "service", "IPS"): 3.0,
        ("lost_to_followup", "service", "TAU"): 0.0,
        ("analysed", "service", "IPS"): 9.0,
        ("analysed", "service", "TAU"): 8.0,
        ("dropped_out", "service", "IPS"): 6.0,
        ("dropped_out", "service", "TAU"): None,  # 4 people, in no sum
    }
    withheld = rows.filter(pl.col("suppressed"))
    assert withheld["estimate"].null_count() == withheld["n"].null_count() == withheld.height == 4
    shown = rows.filter(~pl.col("suppressed"))
    assert shown["n"].cast(pl.Float64).to_list() == shown["estimate"].to_list()
    windows = dict(rows.select("outcome", "window").unique().iter_rows())
    assert windows == {
        "records_read": None, "records_quarantined": None, "quarantined": None, "enrolled": None,
        "in_work_at_entry": None, "out_of_work_at_entry": None, "dropped_out": None,
        "lost_to_followup": "18m", "analysed": "18m",
    }  # fmt: skip
    assert rows["population"].null_count() == rows.height


def test_without_suppression_the_boxes_add_up() -> None:
    count = cells(flow_counts(summary(), cohort(), "18m", 1))
    assert count[("in_work_at_entry", "service", "IPS")] == 2
    assert count[("out_of_work_at_entry", "service", "IPS")] == 10
    assert count[("lost_to_followup", "service", "IPS")] == 3
    assert count[("analysed", "service", "IPS")] == 9
    assert count[("dropped_out", "service", "TAU")] == 4
    assert count[("quarantined", "rule", "missing_value")] == 1
    for service in ("IPS", "TAU"):
        enrolled = count[("enrolled", "service", service)]
        assert (
            enrolled
            == count[("analysed", "service", service)]
            + count[("lost_to_followup", "service", service)]
        )
        assert (
            enrolled
            == count[("in_work_at_entry", "service", service)]
            + count[("out_of_work_at_entry", "service", service)]
        )
    assert count[("enrolled", "all", "all")] == 12 + 8
    assert count[("records_read", "all", "all")] == 12 + 20


def test_another_window_is_another_column() -> None:
    rows = flow_counts(summary(), cohort(), "12m", 5)
    assert cells(rows)[("lost_to_followup", "service", "IPS")] == 0.0
    assert cells(rows)[("analysed", "service", "IPS")] == 12.0
    assert set(rows.filter(pl.col("outcome") == "analysed")["window"]) == {"12m"}


def test_no_sum_is_left_with_one_withheld_box() -> None:
    rows = flow_counts(
        summary(read=23, quarantined=3, rules={"duplicate_id": 3}), cohort(), "18m", 5
    )
    hidden = {k for k, v in cells(rows).items() if v is None}
    everyone = ("enrolled", "all", "all")
    sums = [
        (("records_read", "all", "all"), [("records_quarantined", "all", "all"), everyone]),
        (everyone, [("enrolled", "service", "IPS"), ("enrolled", "service", "TAU")]),
        *(
            (("enrolled", "service", s), [(p, "service", s) for p in pair])
            for s in ("IPS", "TAU")
            for pair in (("analysed", "lost_to_followup"),
                         ("in_work_at_entry", "out_of_work_at_entry"))
        ),
    ]  # fmt: skip
    for total, parts in sums:
        assert sum(c in hidden for c in (total, *parts)) != 1, total
    # 3 quarantined of 23 read: withholding the 23 costs one cell, withholding the 20 enrolled
    # would cascade into the services, so records read goes.
    assert ("records_read", "all", "all") in hidden
    assert cells(rows)[("enrolled", "all", "all")] == 20.0


def test_a_sum_that_does_not_hold_is_not_protected() -> None:
    # 2 accepted rows did not reach the dataset: 23 != 1 + 20, so the 1 is not recoverable
    rows = flow_counts(summary(read=23, quarantined=1, rules={}), cohort(), "18m", 5)
    assert cells(rows)[("records_read", "all", "all")] == 23.0
    assert cells(rows)[("records_quarantined", "all", "all")] is None


def test_secondary_suppression_picks_the_smallest_non_zero_part_then_the_total() -> None:
    family = [("all", ("a", "b", "c", "d"))]
    counts = {"all": 40, "a": 3, "b": 0, "c": 25, "d": 12}
    assert secondary_suppression(counts, {"a"}, family) == {"a", "d"}
    assert secondary_suppression(counts, {"a", "c"}, family) == {"a", "c"}  # nothing to add
    zeros = {"all": 3, "a": 3, "b": 0}
    assert secondary_suppression(zeros, {"a"}, [("all", ("a", "b"))]) == {"a", "all"}
    # a withheld total with every part shown is as recoverable as a lone part
    assert secondary_suppression(counts, {"all"}, family) == {"all", "a"}


def test_secondary_suppression_prefers_a_cell_in_no_other_sum() -> None:
    # x (3) is withheld; in `top`, y is the smaller part, but it is also in `low`, where it
    # would be left alone; the total `top` is in no other sum.
    counts = {"top": 20, "x": 3, "y": 17, "low": 30, "z": 13}
    families = [("top", ("x", "y")), ("low", ("y", "z"))]
    assert secondary_suppression(counts, {"x"}, families) == {"x", "top"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.drop("dropped_out"), "missing column(s) dropped_out"),
        (lambda p: p.drop("window_complete_18m"), "window_complete_18m"),
        (
            lambda p: p.with_columns(pl.lit(None, pl.Boolean).alias("in_work_at_entry")),
            "in_work_at_entry has null values",
        ),
    ],
)
def test_bad_input_is_refused(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        flow_counts(summary(), change(cohort()), "18m", 5)


def test_an_ingest_summary_without_participants_is_refused() -> None:
    broken = summary()
    broken["tables"] = broken["tables"][1:]
    with pytest.raises(ValueError, match="no participants table"):
        flow_counts(broken, cohort(), "18m", 5)
