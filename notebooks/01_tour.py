# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. A tour of the analysis dataset and the outcome definitions
#
# This notebook opens the outputs the pipeline wrote for one cohort, shows what the analysis
# dataset holds, and recomputes the report's employment table from it with the package's own
# functions, to check that it equals the published one.
#
# **Before you start**: run the pipeline (`make report` for the synthetic example, or
# `.venv/bin/ips-outcomes run path/to/cohort`). The notebook opens the cohort named by the
# environment variable `IPS_COHORT` (default `synthetic`) in the project at `IPS_PROJECT_ROOT`
# (default: this checkout).
#
# The analysis dataset is row-level: keep it on your own machine. This notebook prints only
# aggregates and the first rows of frames.

# %%
import polars as pl

from ips_outcomes.api import cohort_from_env, select_results
from ips_outcomes.definitions import GROUPINGS, OUTCOMES
from ips_outcomes.employment import employment_results
from ips_outcomes.rates import rate_table
from ips_outcomes.results import SORT_KEY, combine
from ips_outcomes.tables import report_tables

cohort = cohort_from_env()
config = cohort.config()
print(f"cohort {cohort.name!r} in {cohort.root}")
print(
    f"data cut-off {config.data_cutoff}, windows {config.windows}, "
    f"small-cell threshold {config.small_cell_threshold}"
)

# %% [markdown]
# ## The analysis dataset
#
# `participants()` has one row per person: characteristics at entry, person-level outcomes,
# then each window measure as `<measure>_<window>`. `windows()` holds the same window measures
# in long form, one row per person and window.

# %%
people = cohort.participants()
windows = cohort.windows()
print(
    f"{people.height} participants, {len(people.columns)} columns; "
    f"{windows.height} person-window rows"
)
people.group_by("service").agg(
    pl.len().alias("participants"),
    pl.col("age_at_enrolment").mean().round(1).alias("mean age"),
    pl.col("in_work_at_entry").mean().round(3).alias("in work at entry"),
).sort("service")

# %%
windows.select("window", "window_complete", "employed", "weeks_worked").head()

# %% [markdown]
# ## The outcome definitions
#
# Every outcome, with its window and its denominator, is defined once in
# `ips_outcomes.definitions.OUTCOMES` (and explained in `docs/outcomes.md`).

# %%
pl.DataFrame(
    [(o.name, o.kind, o.windowed, o.population) for o in OUTCOMES.values()],
    schema=["outcome", "kind", "per window", "denominator"],
    orient="row",
)

# %%
print(OUTCOMES["employed"].definition)
print("groupings:", [" x ".join(g) or "all" for g in GROUPINGS])

# %% [markdown]
# ## The published results
#
# `results()` is the long-format table of every published number (`docs/outputs.md`), after
# small-cell suppression. `select_results` picks rows by their identifying columns.

# %%
published = cohort.results()
select_results(
    published,
    analysis="employment",
    outcome="employed",
    grouping="service",
    statistic="proportion",
).select("window", "group", "estimate", "ci_lower", "ci_upper", "n")

# %% [markdown]
# ## Reproducing the employment table
#
# `employment_results` is what the pipeline runs: it computes every rate and summary from the
# two frames, with primary small-cell suppression. The published table then goes through the
# whole-table disclosure step: it withholds a few more cells (`secondary` true), which the
# comparison leaves out, and some denominators (`n` empty), which it does not compare.

# %%
recomputed = combine(
    [employment_results(people, windows, config.windows, config.small_cell_threshold)]
)
keys = list(SORT_KEY)
checked = select_results(published, analysis="employment").join(
    recomputed, on=keys, how="left", suffix="_recomputed", nulls_equal=True
)
shown = checked.filter(~pl.col("secondary"))
same = shown.filter(
    pl.col("estimate").eq_missing(pl.col("estimate_recomputed"))
    & pl.col("ci_lower").eq_missing(pl.col("ci_lower_recomputed"))
    & pl.col("suppressed").eq_missing(pl.col("suppressed_recomputed"))
    & (pl.col("n").is_null() | (pl.col("n") == pl.col("n_recomputed")))
)
print(
    f"{shown.height} published employment rows (not withheld by secondary suppression); "
    f"{same.height} recomputed identically"
)
assert same.height == shown.height

# %% [markdown]
# The report's table is a wide view of the same rows (`tables.report_tables`):

# %%
table = report_tables(published, config.intervention, f"{max(config.followup_months)}m")
table["employment"].head(6)

# %% [markdown]
# ## Your own question
#
# The measures are columns of `people`, so a new breakdown is one call to the package's rate
# function. For example, employment at the longest window by education level, among people
# whose follow-up covers the whole window (the published denominator rule):

# %%
main = f"{max(config.followup_months)}m"
rate_table(
    people, f"employed_{main}", ["education", "service"], pl.col(f"window_complete_{main}")
).filter(pl.col("denominator") >= config.small_cell_threshold).head(10)
