rule report:
    """Render the HTML report and record the run's provenance."""
    input:
        results="reports/{cohort}/results.parquet",
        ingest="data/interim/{cohort}/ingest.json",
        time_to_first_job="reports/{cohort}/figures/time_to_first_job.png",
        cumulative_incidence="reports/{cohort}/figures/cumulative_incidence.png",
    output:
        html=report(
            "reports/{cohort}/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
        provenance="reports/{cohort}/provenance.json",
    params:
        language=config["language"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/report.log",
    script:
        "../scripts/report.py"
