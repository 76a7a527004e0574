"""Deterministic synthetic IPS cohorts that follow input data contract v1.

The generator draws a multi-site cohort of people enrolled in IPS or in one of two control
services, with competitive and non-competitive job spells, education spells, WHO-5 assessments
and IPS-25 fidelity reviews. Time to the first competitive job is exponential with proportional
hazards; the defaults are calibrated to EQOLISE (Burns et al. 2007): about 55 % of IPS and 28 %
of control participants get a competitive job within 18 months, and 13 % vs 45 % drop out.
Everything is vectorised over participants, so a million people take seconds.

The model's true values are returned in `SyntheticCohort.truth`, so analyses can be checked
against what was simulated.
"""

from __future__ import annotations

from ips_outcomes.synth.generator import generate
from ips_outcomes.synth.model import PROFILES, SynthConfig, SyntheticCohort
from ips_outcomes.synth.output import write

__all__ = ["PROFILES", "SynthConfig", "SyntheticCohort", "generate", "write"]

# `generate` is defined in a submodule, so `doctest.testmod(ips_outcomes.synth)` would skip its
# examples; listing it here keeps them part of the package's doctests.
__test__ = {"generate": generate}
