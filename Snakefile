# ips-outcomes workflow. Stages live in workflow/rules/, logic in src/ips_outcomes/.
# Run it through `ips-outcomes run DIR` (or `make report`), or directly:
#   snakemake --cores 2 --config input_dir=path/to/cohort
from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/survival.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/results.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        report=f"reports/{COHORT}/report.html",
        results=f"reports/{COHORT}/results.csv",
        tables=f"reports/{COHORT}/tables",
