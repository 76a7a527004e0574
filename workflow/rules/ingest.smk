rule ingest:
    """Validate the cohort's tables and load the accepted rows into DuckDB."""
    input:
        cohort_files,
    output:
        database="data/interim/{cohort}/cohort.duckdb",
        quarantine="data/interim/{cohort}/quarantine.csv",
        summary="data/interim/{cohort}/ingest.json",
    params:
        input_dir=config["input_dir"],
        data_cutoff=config["data_cutoff"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/ingest.log",
    benchmark:
        "logs/{cohort}/benchmark/ingest.tsv"
    script:
        "../scripts/ingest.py"
