"""Published IPS trials and meta-analyses, and where a cohort's effect sits among them.

The figures live in `config/benchmarks.yaml` (its header lists the keys); proportions are 0-1.
`recompute` needs both arm sizes and takes published event counts, or rounds rate x n half up;
`recompute_note` says which, and flags rounded counts that do not give back the published rates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from ips_outcomes.effects import BinaryEffect, binary_effect
from ips_outcomes.errors import InputError
from ips_outcomes.i18n import Message, Translator, count, num, pct, text

DESIGNS = ("rct", "review", "meta_analysis", "single_arm")
MEASURES = ("RD", "RR", "OR")
_ROWS_SCHEMA = {"label": pl.String, "measure": pl.String, "estimate": pl.Float64}
_ROWS_SCHEMA |= {"ci_lower": pl.Float64, "ci_upper": pl.Float64, "source": pl.String}
_ROWS_SCHEMA |= {"design": pl.String, "note": pl.String}


@dataclass(frozen=True)
class PublishedEffect:
    """An effect as the paper gives it: `RD` (a proportion), `RR` or `OR`, with its 95 % CI."""

    measure: str
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Benchmark:
    """One published study (or one of its headline figures); None where not published."""

    id: str
    label: str
    citation: str
    design: str
    outcome: str
    country: str | None = None
    follow_up_months: tuple[int, int] | None = None
    standard_outcome: bool = True
    n_studies: int | None = None
    n_randomised: int | None = None
    n_treated: int | None = None
    n_control: int | None = None
    events_treated: int | None = None
    events_control: int | None = None
    rate_treated: float | None = None
    rate_control: float | None = None
    effect: PublishedEffect | None = None
    notes: str | None = None


@dataclass(frozen=True)
class BenchmarkComparison:
    """Forest-plot rows (label, measure, estimate, CI, source, design, note) and a summary."""

    rows: pl.DataFrame
    messages: tuple[Message, ...]

    @property
    def summary(self) -> str:
        """The summary in English (the report renders `messages` in its own language)."""
        return Translator("en").render_all(self.messages)


_KEYS = [f.name for f in fields(Benchmark)]
_REQUIRED = ("id", "label", "citation", "design", "outcome")
_EFFECT_KEYS = [f.name for f in fields(PublishedEffect)]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _tolerance(rate: float) -> float:
    # the largest gap between a count's share and `rate` that rounding (even twice) explains
    return 0.55 * 10.0 ** -len(f"{rate:.10f}".rstrip("0").split(".")[1])


def _wrong_kind(key: str, value: Any) -> str | None:
    if key.startswith(("n_", "events_")):
        least = 0 if key.startswith("events_") else 1
        whole = isinstance(value, int) and not isinstance(value, bool) and value >= least
        return None if whole else f"a whole number >= {least}"
    if key.startswith("rate_"):
        return None if _number(value) and 0 <= value <= 1 else "a proportion between 0 and 1"
    if key == "standard_outcome":
        return None if isinstance(value, bool) else "true or false"
    if key == "follow_up_months":
        span = [value] * 2 if isinstance(value, int) else value
        ok = isinstance(span, list) and len(span) == 2
        ok = ok and not any(_wrong_kind("n_", months) for months in span)
        return None if ok and span[0] <= span[1] else "a number of months or [shortest, longest]"
    if key == "effect":
        ok = isinstance(value, dict) and sorted(value) == sorted(_EFFECT_KEYS)
        ok = ok and value["measure"] in MEASURES and all(map(_number, list(value.values())[1:]))
        return None if ok else f"a mapping of {_EFFECT_KEYS}, measure one of {list(MEASURES)}"
    return None if isinstance(value, str) and value else "non-empty text"


def _check(raw: dict[str, Any]) -> tuple[Benchmark | None, list[str]]:
    raw = {key: value for key, value in raw.items() if value is not None}
    problem = [f"unknown key {k!r}; allowed keys are {_KEYS}" for k in raw if k not in _KEYS]
    problem += [f"{key} is required" for key in _REQUIRED if key not in raw]
    problem += [f"{k} must be {w}, not {raw[k]!r}" for k in raw if (w := _wrong_kind(k, raw[k]))]
    if problem:
        return None, problem
    if raw["design"] not in DESIGNS:
        problem.append(f"design must be one of {list(DESIGNS)}, not {raw['design']!r}")
    for arm in ("treated", "control"):
        rate, n, events = (raw.get(f"{k}_{arm}") for k in ("rate", "n", "events"))
        if events is not None and n is None:
            problem.append(f"events_{arm} needs n_{arm}")
        elif events is not None and events > n:
            problem.append(f"events_{arm} ({events}) is larger than n_{arm} ({n})")
        elif events is not None and rate is not None and abs(events / n - rate) > _tolerance(rate):
            problem.append(f"{events}/{n} = {events / n:.4f} does not round to rate_{arm} {rate}")
    if (arms := raw.get("n_treated", 0) + raw.get("n_control", 0)) > raw.get("n_randomised", arms):
        problem.append("n_treated + n_control is larger than n_randomised")
    control = [key for key in raw if key.endswith("_control") or key == "effect"]
    if raw["design"] == "single_arm" and control:
        problem.append(f"a single_arm study has no control arm or effect; remove {control}")
    e = PublishedEffect(**raw["effect"]) if "effect" in raw else None
    if e is not None and not e.lower <= e.estimate <= e.upper:
        problem.append(f"the effect's CI does not contain its estimate: {raw['effect']}")
    if e is not None and not (-1 <= e.lower <= e.upper <= 1 if e.measure == "RD" else e.lower > 0):
        problem.append("an RD must lie between -1 and 1 (a proportion), an RR or OR above 0")
    months = raw.get("follow_up_months")
    span = None if months is None else tuple([months] * 2 if isinstance(months, int) else months)
    return Benchmark(**{**raw, "effect": e, "follow_up_months": span}), problem


def load_benchmarks(path: Path | str) -> list[Benchmark]:
    """Read and check a benchmarks file; an unusable entry raises `InputError` naming it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "b.yaml"
    >>> _ = file.write_text("benchmarks: [{id: x, label: X, citation: C, design: rct,"
    ...                     " outcome: job, n_treated: 10, events_treated: 12}]")
    >>> load_benchmarks(file)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ips_outcomes.errors.InputError: ...b.yaml: entry 1 ('x'): events_treated (12) is larger ...
    """
    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"benchmarks file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    entries = loaded.get("benchmarks") if isinstance(loaded, dict) else None
    if not isinstance(entries, list) or list(loaded) != ["benchmarks"]:
        raise InputError(f"{path}: expected one top-level key, `benchmarks`, holding a list")
    found: list[Benchmark] = []
    for index, raw in enumerate(entries, start=1):
        if not isinstance(raw, dict):
            raise InputError(f"{path}: entry {index}: must be a mapping of keys to values")
        benchmark, problem = _check(raw)
        problem += [f"the id {b.id!r} is used twice" for b in found if b.id == raw.get("id")]
        if problem or benchmark is None:
            raise InputError(f"{path}: entry {index} ({raw.get('id')!r}): " + "; ".join(problem))
        found.append(benchmark)
    return found


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f} %"


def _counts(b: Benchmark) -> tuple[list[int], str] | None:
    if b.n_treated is None or b.n_control is None:
        return None
    if b.events_treated is not None and b.events_control is not None:
        counts = [b.events_treated, b.n_treated, b.events_control, b.n_control]
        return counts, "from the published counts {}/{} vs {}/{}".format(*counts)
    if b.rate_treated is None or b.rate_control is None:
        return None
    pairs = [(b.rate_treated, b.n_treated), (b.rate_control, b.n_control)]
    arms = [(r, n, math.floor(r * n + 0.5)) for r, n in pairs]
    note = "events rounded half up from the published rates and arm sizes: "
    note += ", ".join(f"{_pct(r, 1)} of {n} = {r * n:.1f} -> {e}" for r, n, e in arms)
    off = [(r, n, e) for r, n, e in arms if abs(e / n - r) > _tolerance(r)]
    for r, n, e in off:
        note += f"; {e}/{n} = {_pct(e / n, 1)} is not the published {_pct(r, 1)}"
    if off:
        note += ": the published rates rest on other denominators; the effect is approximate"
    return [arms[0][2], b.n_treated, arms[1][2], b.n_control], note


def recompute(benchmark: Benchmark) -> BinaryEffect | None:
    """RD, RR, OR and NNT from the benchmark's arms; None without both arm sizes.

    Examples
    --------
    >>> eqolise = Benchmark("e", "EQOLISE", "Lancet", "rct", "job", n_treated=156,
    ...                     n_control=156, events_treated=85, events_control=43)
    >>> e = recompute(eqolise)
    >>> print(f"RD {e.rd:.1%} ({e.rd_lower:.1%} to {e.rd_upper:.1%})")
    RD 26.9% (16.4% to 37.4%)
    """
    found = _counts(benchmark)
    return None if found is None else binary_effect(*found[0])


def recompute_note(benchmark: Benchmark) -> str | None:
    """How `recompute` got its counts (published or rounded from rates); None if it cannot."""
    found = _counts(benchmark)
    return None if found is None else found[1]


def _rows(label: str, e: BinaryEffect, *rest: str | None) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = [(label, "RD", e.rd, e.rd_lower, e.rd_upper, *rest)]
    rr: list[tuple[object, ...]] = [(label, "RR", e.rr, e.rr_lower, e.rr_upper, *rest)]
    return rows + (rr if e.rr is not None else [])


def _ips_rate(b: Benchmark) -> float | None:
    if b.events_treated is not None and b.n_treated is not None:
        return b.events_treated / b.n_treated
    return b.rate_treated


RATE_WITHIN = (
    "The IPS employment rate here ({rate}, {k} of {n}) is within the range of the randomised "
    "trials ({trials})."
)
RATE_ABOVE = (
    "The IPS employment rate here ({rate}, {k} of {n}) is above the randomised trials ({trials})."
)
RATE_BELOW = (
    "The IPS employment rate here ({rate}, {k} of {n}) is below the randomised trials ({trials})."
)
RATE_ONLY = "The IPS employment rate here is {rate} ({k} of {n})."
RR_NONE = "The risk ratio cannot be estimated (an arm has no events)."
RR_ONLY = "The risk ratio is {rr}."
RR_CLOSE = "The risk ratio {rr} is close to the pooled {pooled} of {label} (meta-analyses: {span})."
RR_BETWEEN = (
    "The risk ratio {rr} lies between the pooled estimates, nearest the {pooled} of {label} "
    "(meta-analyses: {span})."
)
RR_OUTSIDE = {
    ("above", True): "The risk ratio {rr} is above every pooled estimate (meta-analyses: {span}); "
    "its CI includes the nearest, {pooled} of {label}.",
    ("above", False): "The risk ratio {rr} is above every pooled estimate (meta-analyses: {span}); "
    "its CI excludes the nearest, {pooled} of {label}.",
    ("below", True): "The risk ratio {rr} is below every pooled estimate (meta-analyses: {span}); "
    "its CI includes the nearest, {pooled} of {label}.",
    ("below", False): "The risk ratio {rr} is below every pooled estimate (meta-analyses: {span}); "
    "its CI excludes the nearest, {pooled} of {label}.",
}
#: Every sentence the summary can use (for the translation catalogues).
MESSAGES: tuple[str, ...] = (
    RATE_WITHIN,
    RATE_ABOVE,
    RATE_BELOW,
    RATE_ONLY,
    RR_NONE,
    RR_ONLY,
    RR_CLOSE,
    RR_BETWEEN,
    *RR_OUTSIDE.values(),
)


def _summary(cohort: BinaryEffect, benchmarks: Sequence[Benchmark]) -> list[Message]:
    rate, rr = cohort.risk_treated, cohort.rr
    args = {"rate": pct(rate), "k": count(cohort.events_treated), "n": count(cohort.n_treated)}
    trials = [b for b in benchmarks if b.design in ("rct", "review") and b.standard_outcome]
    rates = [r for b in trials if (r := _ips_rate(b)) is not None]
    if rates:
        sentence = RATE_WITHIN if min(rates) <= rate <= max(rates) else RATE_ABOVE
        sentence = RATE_BELOW if rate < min(rates) else sentence
        found = [Message(sentence, args | {"trials": pct((min(rates), max(rates)))})]
    else:
        found = [Message(RATE_ONLY, args)]
    if rr is None or cohort.rr_lower is None or cohort.rr_upper is None:
        return [*found, Message(RR_NONE)]
    shown = num((rr, cohort.rr_lower, cohort.rr_upper))
    meta = [b for b in benchmarks if b.design == "meta_analysis"]
    pooled = [(b.label, b.effect) for b in meta if b.effect and b.effect.measure == "RR"]
    if not pooled:
        return [*found, Message(RR_ONLY, {"rr": shown})]
    label, near = min(pooled, key=lambda pair: abs(math.log(rr / pair[1].estimate)))
    low, high = min(e.estimate for _, e in pooled), max(e.estimate for _, e in pooled)
    values = {"rr": shown, "pooled": num(near.estimate), "label": text(label)}
    values["span"] = num((low, high))
    if near.lower <= rr <= near.upper:
        sentence = RR_CLOSE
    elif low <= rr <= high:
        sentence = RR_BETWEEN
    else:
        covers = cohort.rr_lower <= near.estimate <= cohort.rr_upper
        sentence = RR_OUTSIDE["above" if rr > high else "below", covers]
    return [*found, Message(sentence, values)]


def compare_with_benchmarks(
    cohort: BinaryEffect,
    benchmarks: Sequence[Benchmark],
    label: str = "This cohort",
) -> BenchmarkComparison:
    """Forest-plot rows of published, recomputed and cohort effects, and a plain summary.

    Rows: each published effect ("published"), the RD and RR recomputed from arm sizes
    ("recomputed", how in `note`), then the cohort's RD and RR ("this cohort"). The summary puts
    the IPS rate among the standard-outcome trials and reviews, the RR among the meta-analyses.

    Examples
    --------
    >>> from ips_outcomes.effects import binary_effect
    >>> trial = Benchmark("t", "Trial A", "J 2020", "rct", "job", rate_treated=0.4)
    >>> meta = Benchmark("m", "Meta B", "J 2021", "meta_analysis", "job",
    ...                  effect=PublishedEffect("RR", 2.0, 1.8, 2.2))
    >>> out = compare_with_benchmarks(binary_effect(50, 100, 25, 100), [trial, meta])
    >>> out.rows.select("label", "measure", "source").rows()  # doctest: +NORMALIZE_WHITESPACE
    [('Meta B', 'RR', 'published'), ('This cohort', 'RD', 'this cohort'),
     ('This cohort', 'RR', 'this cohort')]
    >>> print(out.summary)  # doctest: +NORMALIZE_WHITESPACE
    The IPS employment rate here (50%, 50 of 100) is above the randomised trials (40%).
    The risk ratio 2.00 (1.35–2.96) is close to the pooled 2.00 of Meta B (meta-analyses: 2.00).
    """
    rows: list[tuple[object, ...]] = []
    for b in benchmarks:
        if (e := b.effect) is not None:
            rows.append((b.label, *astuple(e), "published", b.design, None))
        if (redo := recompute(b)) is not None:
            rows += _rows(b.label, redo, "recomputed", b.design, recompute_note(b))
    counts = "{}/{} vs {}/{}".format(*astuple(cohort)[:4])
    rows += _rows(label, cohort, "this cohort", None, counts)
    frame = pl.DataFrame(rows, schema=_ROWS_SCHEMA, orient="row")
    return BenchmarkComparison(frame, tuple(_summary(cohort, benchmarks)))
