"""Bayesian flare model: (ns, gamma, T0, sigma_t) of a neutrino flare at one position.

The likelihood is the likelihood engine's unbinned mixture
(:class:`bayesnu.likelihood.MixtureLikelihood`, PyTensor Ops with gradients)
with the uptime-truncated Gaussian time PDF
(:class:`bayesnu.flare.temporal.GaussianFlarePDF`) on every sample, so one
model serves maximum likelihood, NUTS and nautilus.

Default priors (override any with ``priors=``):

* ``t0 ~ Uniform(Tmin, Tmax)`` over the live time of the chosen samples;
* ``sigma_t ~ LogUniform(sigma_min, livetime / 2)`` with ``sigma_min = 0.01 d``
  by default. Paper 000's fit bound is 1e-11 d; with a log-uniform prior that
  range would put most prior mass on sub-second flares and the Bayes factor
  would pay an Occam factor ~ log(range) for it. 0.01 d (15 min) is a
  physically motivated lower end for multi-neutrino flares; pass
  ``priors={"sigma_t": Prior("loguniform", 1e-11, T/2)}`` for the paper's range;
* ``gamma ~ Uniform(1, 4)``;
* ``ns ~ Uniform(0, 0.999 min_k N_k)`` (N_k events of sample k), the
  point-source model's "uniform on [0, N]" prior.

T0 multimodality: the posterior in T0 has one mode per cluster of signal-like
events. :func:`sample_flare` starts each NUTS chain at a different candidate
flare from the frequentist search (:func:`bayesnu.flare.search.fit_flare`,
ranked by TS) and reports R-hat / ESS; chains stuck in different modes show
up as R-hat > 1.01 (a warning), which is the honest diagnosis. Evidences
(nautilus, :func:`flare_evidence`) explore all modes.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from bayesnu.models.pointsource import PointSourceModel, Prior, add_point_source, default_priors

from bayesnu.data.core import Dataset, EventSample
from bayesnu.errors import InputError

__all__ = ["flare_setup", "flare_priors", "add_flare", "flare_model", "sample_flare",
           "flare_evidence", "candidate_starts", "DEFAULT_SIGMA_MIN_BAYES"]

DEFAULT_SIGMA_MIN_BAYES = 0.01


def _samples(data: Dataset | EventSample | Sequence[EventSample]) -> list[EventSample]:
    if isinstance(data, Dataset):
        return list(data.samples)
    if isinstance(data, EventSample):
        return [data]
    return list(data)


def flare_setup(data: Dataset | EventSample | Sequence[EventSample], ra: float, dec: float,
                **kwargs: Any):
    """LikelihoodSetup and flare likelihood (Gaussian time PDF per sample) at (ra, dec).

    Returns
    -------
    (LikelihoodSetup, MixtureLikelihood)
    """
    from bayesnu.flare.temporal import GaussianFlarePDF
    from bayesnu.likelihood import LikelihoodSetup

    samples = _samples(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setup = LikelihoodSetup(samples, (float(ra), float(dec)), **kwargs)
    L = setup.likelihood(temporal=[GaussianFlarePDF(s.uptime) for s in samples])
    return setup, L


def flare_priors(samples: Sequence[EventSample], likelihood=None,
                 sigma_min: float = DEFAULT_SIGMA_MIN_BAYES) -> dict[str, Prior]:
    """Default priors of the flare parameters (see the module docstring)."""
    t_lo = min(s.uptime.start for s in samples)
    t_hi = max(s.uptime.stop for s in samples)
    live = sum(s.uptime.livetime_days for s in samples)
    if not 0 < sigma_min < 0.5 * live:
        raise InputError(f"sigma_min {sigma_min} d must be in (0, livetime/2)", column="sigma_t")
    pri = default_priors(likelihood) if likelihood is not None else {}
    # ns F_k < N_k in every sample with F_k <= 1: ns < min N_k keeps the support
    # for any (t0, sigma_t) (the engine's bound is evaluated at theta = 0)
    pri["ns"] = Prior("uniform", 0.0, 0.999 * min(s.size for s in samples))
    pri.update({"t0": Prior("uniform", t_lo, t_hi),
                "sigma_t": Prior("loguniform", sigma_min, 0.5 * live),
                "gamma": Prior("uniform", 1.0, 4.0)})
    return pri


def add_flare(data: Dataset | EventSample | Sequence[EventSample], ra: float, dec: float,
              model=None, priors: Mapping[str, Prior] | None = None,
              sigma_min: float = DEFAULT_SIGMA_MIN_BAYES, per_event: bool = True,
              name: str = "", **setup_kwargs: Any) -> PointSourceModel:
    """Add a Gaussian-flare likelihood at (ra, dec) to a PyMC model.

    Parameters
    ----------
    data
        Data set or samples (each gets its own uptime-truncated time PDF).
    ra, dec
        Position, degrees.
    model
        ``pm.Model`` to add to (default: the one on the context stack, else new).
    priors
        Overrides of :func:`flare_priors` by parameter name.
    per_event
        Per-event ``pm.CustomDist`` (LOO-ready, default) or a scalar Potential.

    Returns
    -------
    PointSourceModel
        With ``param_names`` ``("ns", "gamma", "t0", "sigma_t")``.
    """
    samples = _samples(data)
    setup, L = flare_setup(samples, ra, dec, **setup_kwargs)
    pri = flare_priors(samples, L, sigma_min)
    pri.update(dict(priors or {}))
    psm = add_point_source(L, model=model, priors=pri, per_event=per_event, name=name)
    psm.setup = setup
    return psm


def flare_model(data, ra: float, dec: float, **kwargs: Any) -> PointSourceModel:
    """A new ``pm.Model`` holding only the flare likelihood (convenience)."""
    import pymc as pm

    return add_flare(data, ra, dec, model=pm.Model(), **kwargs)


def candidate_starts(psm: PointSourceModel, candidates: Sequence[Mapping[str, float]],
                     n: int) -> list[dict[str, float]]:
    """NUTS initial values (one dict per chain) from ranked candidate flares.

    Candidates are dicts with ``t0, sigma_t, ns, gamma`` (e.g.
    ``fit_flare(..., keep_candidates=k).candidates``); they are clipped into
    the priors. With fewer candidates than chains the list repeats.
    """
    if not candidates:
        raise InputError("no candidate flares to start chains from", column="candidates")
    pri = psm.priors
    out = []
    for i in range(n):
        c = candidates[i % len(candidates)]
        iv = {}
        for p in ("ns", "gamma", "t0", "sigma_t"):
            v = float(c[p])
            pr = pri.get(p)
            if pr is not None and pr.kind in ("uniform", "loguniform"):
                span = pr.upper - pr.lower
                v = float(np.clip(v, pr.lower + 1e-3 * span if pr.kind == "uniform"
                                  else pr.lower * 1.001, pr.upper - 1e-3 * span
                                  if pr.kind == "uniform" else pr.upper / 1.001))
            name = psm.var_names[p]
            if pr is not None and pr.kind == "loguniform":
                iv[f"log_{name}"] = float(np.log(v))
            else:
                iv[name] = max(v, 1e-3) if p == "ns" else v
        out.append(iv)
    return out


def _distinct_candidates(cands: Sequence[Mapping[str, float]], k: int) -> list[dict]:
    picked: list[dict] = []
    for c in cands:
        if all(abs(c["t0"] - q["t0"]) > max(c["sigma_t"], q["sigma_t"]) for q in picked):
            picked.append(dict(c))
        if len(picked) >= k:
            break
    return picked or [dict(cands[0])]


def sample_flare(psm: PointSourceModel, fit=None, chains: int = 4, draws: int = 1000,
                 tune: int = 1000, seed: int | None = None, target_accept: float = 0.95,
                 cores: int = 1, progressbar: bool = False, diagnostics: bool = True):
    """NUTS posterior of the flare model, chains started at distinct candidate flares.

    Parameters
    ----------
    psm
        Model from :func:`add_flare` / :func:`flare_model`.
    fit
        A :class:`~bayesnu.flare.search.FlareFit` with ``candidates`` (from
        ``fit_flare(..., keep_candidates=k)``); its best fit starts the first
        chain and the distinct next-best candidates the others. If None, the
        flare search is run on the model's first sample.

    Returns
    -------
    arviz.InferenceData
        With ``log_likelihood``; ``attrs`` hold wall time, the chains' start
        points and the diagnostics (R-hat, ESS, divergences).
    """
    import pymc as pm
    from bayesnu.inference.diagnostics import diagnose

    if fit is None:
        fit = _search_for(psm)
    cands = [{"t0": fit.t0, "sigma_t": fit.sigma_t, "ns": max(fit.ns, 1.0),
              "gamma": fit.gamma if np.isfinite(fit.gamma) else 2.0}]
    cands += [c for c in fit.candidates if "t0" in c]
    starts = candidate_starts(psm, _distinct_candidates(cands, chains), chains)
    t0 = time.perf_counter()
    with psm.model:
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                          target_accept=target_accept, progressbar=progressbar,
                          initvals=starts, idata_kwargs={"log_likelihood": True},
                          compute_convergence_checks=False)
    idata.attrs["wall_time_s"] = time.perf_counter() - t0
    idata.attrs["chain_starts_t0"] = [float(s.get(psm.var_names["t0"], np.nan)) for s in starts]
    if diagnostics:
        names = [psm.var_names[p] for p in psm.param_names]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            rep = diagnose(idata, var_names=names, ess_min=min(400.0, 0.25 * draws * chains))
        for x in w:
            warnings.warn(str(x.message), x.category, stacklevel=2)
        idata.attrs["diagnostics_ok"] = int(rep["ok"])
        idata.attrs["diagnostics_problems"] = "; ".join(rep["problems"])
        idata.attrs["divergences"] = rep["divergences"]
    return idata


def _search_for(psm: PointSourceModel):
    from bayesnu.flare.analysis import default_sigma_min
    from bayesnu.flare.roi import FlareSampleModel
    from bayesnu.flare.search import fit_flare

    setup = psm.setup
    if setup is None:
        raise InputError("pass fit= (a FlareFit with candidates) for a model without a setup")
    s = setup.samples[0]
    src = setup.sources[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fd = FlareSampleModel(s).data_at(src.ra, src.dec)
    return fit_flare(fd, sigma_min=default_sigma_min(s), keep_candidates=20)


def flare_evidence(data, ra: float, dec: float, priors: Mapping[str, Prior] | None = None,
                   sigma_min: float = DEFAULT_SIGMA_MIN_BAYES, n_live: int = 500,
                   seed: int | None = None, steady: bool = True, **kwargs: Any) -> dict[str, Any]:
    """nautilus evidences: flare vs background only, and flare vs a steady point source.

    Both signal models share the ``ns`` and ``gamma`` priors; the steady model
    is the same likelihood without a time PDF (uniform in uptime).

    Returns
    -------
    dict
        ``flare`` and ``steady`` :class:`~bayesnu.inference.evidence.EvidenceResult`
        and ``ln_b_flare_vs_background``, ``ln_b_flare_vs_steady`` with errors.
    """
    from bayesnu.inference.evidence import bayes_factor, evidence

    samples = _samples(data)
    setup, L = flare_setup(samples, ra, dec)
    pri = flare_priors(samples, L, sigma_min)
    pri.update(dict(priors or {}))
    ev_f = evidence(L, priors=pri, n_live=n_live, seed=seed, **kwargs)
    out: dict[str, Any] = {"flare": ev_f, "ln_b_flare_vs_background": ev_f.log_z,
                           "ln_b_flare_vs_background_err": ev_f.log_z_err,
                           "priors": {k: v.to_dict() for k, v in pri.items()}}
    if steady:
        Ls = setup.likelihood()
        ps_pri = {k: v for k, v in pri.items() if k in ("ns", "gamma")}
        ev_s = evidence(Ls, priors=ps_pri, n_live=n_live, seed=seed, **kwargs)
        lnb, err = bayes_factor(ev_f, ev_s)
        out.update(steady=ev_s, ln_b_flare_vs_steady=lnb, ln_b_flare_vs_steady_err=err,
                   ln_b_steady_vs_background=ev_s.log_z)
    return out
