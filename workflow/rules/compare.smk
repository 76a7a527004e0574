rule compare:
    """Compare the intervention with controls: effects, adjustment, sites, fidelity, trials."""
    input:
        participants="data/processed/{cohort}/participants.parquet",
        database="data/interim/{cohort}/cohort.duckdb",
        benchmarks=config["benchmarks"],
    output:
        results="data/processed/{cohort}/comparison_results.parquet",
        context="data/processed/{cohort}/comparison.json",
        figure_data=directory("data/processed/{cohort}/comparison_figures"),
    params:
        intervention=config["intervention"],
        controls=config["controls"],
        followup_months=config["followup_months"],
        design=config["design"],
        wellbeing_instruments=config["wellbeing_instruments"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/compare.log",
    benchmark:
        "logs/{cohort}/benchmark/compare.tsv"
    script:
        "../scripts/compare.py"
