rule report:
    """Render the HTML report (figures embedded) and record the run's provenance."""
    input:
        results="reports/{cohort}/results.parquet",
        ingest="data/interim/{cohort}/ingest.json",
        benchmarks=config["benchmarks"],
        time_to_first_job="reports/{cohort}/figures/time_to_first_job.png",
        cumulative_incidence="reports/{cohort}/figures/cumulative_incidence.png",
        forest_sites="reports/{cohort}/figures/forest_sites.png",
        forest_benchmarks="reports/{cohort}/figures/forest_benchmarks.png",
        fidelity="reports/{cohort}/figures/fidelity.png",
        flow="reports/{cohort}/figures/flow.png",
        comparison="data/processed/{cohort}/comparison.json",
    output:
        html=report(
            "reports/{cohort}/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
        provenance="reports/{cohort}/provenance.json",
    params:
        language=config["language"],
        design=config["design"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/report.log",
    benchmark:
        "logs/{cohort}/benchmark/report.tsv"
    script:
        "../scripts/report.py"


rule tables:
    """Export the report's tables as CSV files and one Excel workbook (a sheet per table)."""
    input:
        results="reports/{cohort}/results.parquet",
    output:
        folder=report(
            directory("reports/{cohort}/tables"),
            patterns=["{name}.csv", "{name}.xlsx"],
            caption="../report/tables.rst",
            category="Tables",
        ),
    params:
        language=config["language"],
        intervention=config["intervention"],
        followup_months=config["followup_months"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/tables.log",
    benchmark:
        "logs/{cohort}/benchmark/tables.tsv"
    script:
        "../scripts/tables.py"
