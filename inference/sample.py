"""Posterior sampling with NUTS (PyMC) from a model built by :mod:`bayesnu.models`."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from bayesnu.inference.diagnostics import diagnose
from bayesnu.inference.fit import fit

__all__ = ["sample", "posterior_summary"]


def _initvals(model, best) -> dict[str, float]:
    """Start chains near the best fit, inside the priors' supports."""
    init = {}
    for p, vn in model.var_names.items():
        pri = model.priors.get(p)
        if pri is None or vn not in model.model.named_vars:
            continue
        v = best.params[p]
        if pri.kind in ("uniform", "loguniform"):
            width = pri.upper - pri.lower
            v = float(np.clip(v, pri.lower + 1e-3 * width, pri.upper - 1e-3 * width))
            if p == "ns":
                v = max(v, min(pri.lower + 1.0, pri.lower + 0.01 * width))
            if pri.kind == "loguniform":
                init[f"log_{vn}"] = float(np.log(v))
                continue
        elif pri.kind == "halfflat":
            v = max(v, pri.lower + 0.5)
        if vn in model.model.named_vars and model.model.named_vars[vn] in model.model.free_RVs:
            init[vn] = v
    return init


@contextlib.contextmanager
def pymc_log_level(level: int):
    """Set the ``pymc`` logger's level inside the block (restored after).

    PyMC's INFO lines ("Initializing NUTS ...") are shown only with progress output;
    callers pass ``logging.INFO if progressbar else logging.WARNING``.
    """
    log = logging.getLogger("pymc")
    old = log.level
    log.setLevel(level)
    try:
        yield
    finally:
        log.setLevel(old)


def sample(model, draws: int = 1000, tune: int = 1000, chains: int = 2, cores: int | None = None,
           seed: int | None = None, target_accept: float = 0.9, progressbar: bool = False,
           init_from_fit: bool = True, diagnostics: bool = True,
           sample_kwargs: Mapping[str, Any] | None = None):
    """Draw posterior samples with NUTS and attach the pointwise log-likelihood.

    Parameters
    ----------
    model
        :class:`~bayesnu.models.pointsource.PointSourceModel` (its ``model`` is sampled).
    draws, tune, chains
        Passed to :func:`pymc.sample`.
    cores
        Processes running the chains in parallel (default: one per chain, at
        most the machine's cores).
    seed
        Random seed (``random_seed``).
    target_accept
        NUTS step-size adaptation target.
    init_from_fit
        Start the chains at the maximum-likelihood point (clipped into the
        priors), which avoids long burn-in at ns = 0.
    diagnostics
        Run :func:`~bayesnu.inference.diagnostics.diagnose` (warns on failure)
        and store its report in ``idata.attrs``.

    Returns
    -------
    arviz.InferenceData
        Groups ``posterior``, ``log_likelihood`` (pointwise, one entry per ROI
        event plus one per sample for the rest), ``sample_stats``,
        ``observed_data``; ``attrs`` carry the sampling wall time and the
        diagnostics.
    """
    import pymc as pm

    if cores is None:
        cores = max(1, min(chains, os.cpu_count() or 1))
    kw = dict(sample_kwargs or {})
    initvals = None
    if init_from_fit:
        best = fit(model)
        initvals = _initvals(model, best)
    t0 = time.perf_counter()
    with model.model, pymc_log_level(logging.INFO if progressbar else logging.WARNING):
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores,
                          random_seed=seed, target_accept=target_accept,
                          progressbar=progressbar, initvals=initvals,
                          idata_kwargs={"log_likelihood": True},
                          compute_convergence_checks=False, **kw)
    idata.attrs["wall_time_s"] = time.perf_counter() - t0
    if diagnostics:
        names = [model.var_names[p] for p in model.param_names if model.var_names[p] in idata.posterior]
        rep = diagnose(idata, var_names=names, ess_min=min(400.0, 0.25 * draws * chains))
        idata.attrs["diagnostics_ok"] = int(rep["ok"])
        idata.attrs["diagnostics_problems"] = "; ".join(rep["problems"])
        idata.attrs["divergences"] = rep["divergences"]
    return idata


def posterior_summary(idata, var_names=None, hdi_prob: float = 0.9) -> dict[str, dict]:
    """Mean, sd, median, equal-tailed and HDI intervals, R-hat and ESS per variable."""
    import arviz as az

    post = idata.posterior
    names = list(var_names) if var_names is not None else [
        v for v in post.data_vars if post[v].ndim == 2]
    out = {}
    q = (1 - hdi_prob) / 2
    for v in names:
        x = post[v].values.ravel()
        hdi = az.hdi(post[v], hdi_prob=hdi_prob)[v].values
        out[v] = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)),
                  "median": float(np.median(x)),
                  "eti": [float(np.quantile(x, q)), float(np.quantile(x, 1 - q))],
                  "hdi": [float(hdi[0]), float(hdi[1])],
                  "upper_limit": float(np.quantile(x, hdi_prob)),
                  "rhat": float(az.rhat(post[v]).to_array().values.max()),
                  "ess_bulk": float(az.ess(post[v]).to_array().values.min())}
    return out
