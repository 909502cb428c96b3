"""Inference (installed as ``bayesnu.inference``): maximum likelihood, TS profiles,
trials, p-values, limits, posterior sampling, evidences and diagnostics."""
