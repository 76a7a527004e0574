rule results:
    """Compute the published aggregate results (after small-cell suppression)."""
    input:
        database="data/interim/{cohort}/cohort.duckdb",
    output:
        csv="reports/{cohort}/results.csv",
        parquet="reports/{cohort}/results.parquet",
    params:
        data_cutoff=config["data_cutoff"],
        intervention=config["intervention"],
        controls=config["controls"],
        followup_months=config["followup_months"],
        design=config["design"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/results.log",
    script:
        "../scripts/results.py"
