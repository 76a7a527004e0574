"""References for the report's methods section: the software used and the methods it applies.

Each reference names the package whose installed version the report prints beside it, so a
reader can cite exactly what produced the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """One citation; `package` is the distribution whose version is shown (None for a method).

    Examples
    --------
    >>> SOFTWARE_REFERENCES[0].package
    'duckdb'
    """

    topic: str
    citation: str
    package: str | None = None


SOFTWARE_REFERENCES: tuple[Reference, ...] = (
    Reference(
        "DuckDB",
        "Raasveldt M, Mühleisen H. DuckDB: an embeddable analytical database. "
        "Proceedings of SIGMOD 2019: 1981–1984.",
        "duckdb",
    ),
    Reference(
        "Polars",
        "Vink R, et al. Polars: DataFrames for the new era (software). https://pola.rs",
        "polars",
    ),
    Reference(
        "statsmodels",
        "Seabold S, Perktold J. Statsmodels: econometric and statistical modeling with Python. "
        "Proceedings of the 9th Python in Science Conference, 2010: 92–96.",
        "statsmodels",
    ),
    Reference(
        "lifelines",
        "Davidson-Pilon C. lifelines: survival analysis in Python. "
        "Journal of Open Source Software 2019; 4(40): 1317.",
        "lifelines",
    ),
    Reference(
        "SciPy",
        "Virtanen P, et al. SciPy 1.0: fundamental algorithms for scientific computing in "
        "Python. Nature Methods 2020; 17: 261–272.",
        "scipy",
    ),
    Reference(
        "NumPy",
        "Harris CR, et al. Array programming with NumPy. Nature 2020; 585: 357–362.",
        "numpy",
    ),
    Reference(
        "pandas",
        "McKinney W. Data structures for statistical computing in Python. "
        "Proceedings of the 9th Python in Science Conference, 2010: 56–61.",
        "pandas",
    ),
    Reference(
        "plotnine",
        "Kibirige H, et al. plotnine: a grammar of graphics for Python (software).",
        "plotnine",
    ),
    Reference(
        "Matplotlib",
        "Hunter JD. Matplotlib: a 2D graphics environment. "
        "Computing in Science & Engineering 2007; 9(3): 90–95.",
        "matplotlib",
    ),
    Reference(
        "great_tables",
        "Iannone R, Chow M, et al. great_tables: make awesome display tables using Python "
        "(software). Posit.",
        "great-tables",
    ),
    Reference(
        "Snakemake",
        "Mölder F, et al. Sustainable data analysis with Snakemake. F1000Research 2021; 10: 33.",
        "snakemake",
    ),
)

METHOD_REFERENCES: tuple[Reference, ...] = (
    Reference(
        "Wilson score interval",
        "Wilson EB. Probable inference, the law of succession, and statistical inference. "
        "Journal of the American Statistical Association 1927; 22: 209–212.",
    ),
    Reference(
        "Kaplan-Meier estimator",
        "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
        "Journal of the American Statistical Association 1958; 53: 457–481.",
    ),
    Reference(
        "Cox regression",
        "Cox DR. Regression models and life-tables. "
        "Journal of the Royal Statistical Society B 1972; 34: 187–220.",
    ),
    Reference(
        "Efron ties",
        "Efron B. The efficiency of Cox's likelihood function for censored data. "
        "Journal of the American Statistical Association 1977; 72: 557–565.",
    ),
    Reference(
        "Proportional-hazards test",
        "Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on "
        "weighted residuals. Biometrika 1994; 81: 515–526.",
    ),
    Reference(
        "Restricted mean survival time",
        "Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard "
        "ratio for the design and analysis of randomized trials with a time-to-event outcome. "
        "BMC Medical Research Methodology 2013; 13: 152.",
    ),
    Reference(
        "Aalen-Johansen estimator",
        "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov "
        "chains based on censored observations. Scandinavian Journal of Statistics 1978; "
        "5: 141–150.",
    ),
    Reference(
        "Modified Poisson regression",
        "Zou G. A modified Poisson regression approach to prospective studies with binary "
        "data. American Journal of Epidemiology 2004; 159: 702–706.",
    ),
    Reference(
        "Inverse probability of treatment weighting",
        "Austin PC, Stuart EA. Moving towards best practice when using inverse probability of "
        "treatment weighting (IPTW) using the propensity score to estimate causal treatment "
        "effects in observational studies. Statistics in Medicine 2015; 34: 3661–3679.",
    ),
    Reference(
        "Standardised mean differences",
        "Yang D, Dalton JE. A unified approach to measuring the effect size between two groups "
        "using SAS. SAS Global Forum 2012, paper 335-2012.",
    ),
    Reference(
        "Random-effects meta-analysis",
        "DerSimonian R, Laird N. Meta-analysis in clinical trials. "
        "Controlled Clinical Trials 1986; 7: 177–188.",
    ),
    Reference(
        "IPS-25 fidelity scale",
        "Becker DR, Swanson SJ, Reese SL, Bond GR, McLeman BM. Supported Employment Fidelity "
        "Review Manual (the IPS-25 scale). IPS Employment Center.",
    ),
)
