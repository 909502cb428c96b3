"""Inference (installed as ``bayesnu.inference``): maximum likelihood and TS profiles,
trials, p-values, limits, posterior sampling, evidences and diagnostics.

Point-source / stacking functions (one model definition serves all):

* :func:`fit` -- bounded maximum likelihood with multiple starts (best fit, TS, status);
* :func:`profile` -- TS profile along any parameter, others profiled, Wilks intervals;
* :func:`sample` -- NUTS through PyMC, InferenceData with a log_likelihood group;
* :func:`evidence` / :func:`bayes_factor` -- nautilus evidences and Bayes factors;
* :func:`diagnose` -- R-hat / ESS / divergence checks with warnings;
* :func:`background_trials` / :func:`wilks_comparison` -- background TS distribution;
* :mod:`bayesnu.inference.plots` -- trace, pair, TS profile, posterior vs profile.
"""

from bayesnu.inference.diagnostics import DiagnosticWarning, diagnose
from bayesnu.inference.evidence import EvidenceResult, bayes_factor, evidence
from bayesnu.inference.fit import FitResult, fit
from bayesnu.inference.profile import ProfileResult, profile, wilks_interval
from bayesnu.inference.results import load_idata, load_json, save_idata, save_json
from bayesnu.inference.sample import posterior_summary, sample
from bayesnu.inference.trials import TrialsResult, background_trials, wilks_comparison

__all__ = [
    "DiagnosticWarning",
    "EvidenceResult",
    "FitResult",
    "ProfileResult",
    "TrialsResult",
    "background_trials",
    "bayes_factor",
    "diagnose",
    "evidence",
    "fit",
    "load_idata",
    "load_json",
    "posterior_summary",
    "profile",
    "sample",
    "save_idata",
    "save_json",
    "wilks_comparison",
    "wilks_interval",
]
