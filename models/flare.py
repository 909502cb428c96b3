"""Bayesian flare model: (ns, gamma, T0, sigma_t) of a neutrino flare at one position.

The likelihood is the flare search's own function
(:class:`bayesnu.flare.likelihood.FlareLikelihood`, whose ``evaluate`` is
:func:`bayesnu.flare.search.flare_loglr`: the same spatial, energy and
uptime-truncated Gaussian time S/B as the frequentist search, the scan and
the trials), wrapped by the PyTensor Ops of :mod:`bayesnu.ops.loglike`, so one
function serves maximum likelihood, NUTS and nautilus. Like the search, the
model is built per sample (season).

Default priors (override any with ``priors=``):

* ``t0 ~ Uniform(Tmin, Tmax)`` over the live time of the chosen samples;
* ``sigma_t ~ LogUniform(sigma_min, livetime / 2)`` with ``sigma_min = 0.01 d``
  by default. The IceCube 2023 cascade flare search's fit bound is 1e-11 d; with a log-uniform prior that
  range would put most prior mass on sub-second flares and the Bayes factor
  would pay an Occam factor ~ log(range) for it. 0.01 d (15 min) is a
  physically motivated lower end for multi-neutrino flares; pass
  ``priors={"sigma_t": Prior("loguniform", 1e-11, T/2)}`` for the paper's range;
* ``gamma ~ Uniform(1, 4)``;
* ``ns ~ Uniform(0, 0.999 N)`` (N events of the sample), the point-source
  model's "uniform on [0, N]" prior.

Multimodality: the posterior in (T0, sigma_t) has one broad mode per flare-like
cluster of signal-like events, sharp spikes of short flares on single events
and a low-ns floor where T0 and sigma_t follow their priors (on the TXS
release: ~95 % of the mass in the flare mode). :func:`bayesnu.inference.flare.sample_flare` starts each
NUTS chain at a different candidate flare from the frequentist search
(:func:`bayesnu.flare.search.fit_flare`, ranked by TS) and reports R-hat / ESS
on the full posterior; short runs there fail the diagnostics because the
spikes and the floor are reached only through ns -> 0. ``sample_flare_modes``
samples each broad mode (:func:`flare_modes`, a box in (T0, sigma_t)) with the
priors truncated to it, with its own diagnostics, and weights the modes by
the nautilus posterior mass in their boxes. Evidences (nautilus,
``bayesnu.inference.flare.flare_evidence``) explore all modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from bayesnu.models.pointsource import PointSourceModel, Prior, add_point_source

from bayesnu.data.core import Dataset, EventSample
from bayesnu.errors import InputError
from bayesnu.flare.likelihood import FlareLikelihood
from bayesnu.flare.roi import sample_model
from bayesnu.flare.search import FlareData

__all__ = ["flare_setup", "flare_priors", "add_flare", "flare_model", "flare_modes",
           "restrict_to_mode", "as_samples", "DEFAULT_SIGMA_MIN_BAYES"]

DEFAULT_SIGMA_MIN_BAYES = 0.01


def as_samples(data: Dataset | EventSample | Sequence[EventSample]) -> list[EventSample]:
    if isinstance(data, Dataset):
        return list(data.samples)
    if isinstance(data, EventSample):
        return [data]
    return list(data)


def flare_setup(data: Dataset | EventSample | Sequence[EventSample], ra: float, dec: float,
                steady: bool = False, **kwargs: Any) -> tuple[FlareData, FlareLikelihood]:
    """The flare search's data and likelihood of one sample at (ra, dec), degrees.

    Parameters
    ----------
    data
        One sample (or a data set / list holding exactly one).
    ra, dec
        Position, degrees.
    steady
        Steady-source likelihood (``ns, gamma``) on the same S/B.
    **kwargs
        Passed to :class:`bayesnu.flare.roi.FlareSampleModel` (e.g. ``spatial``).

    Returns
    -------
    (FlareData, FlareLikelihood)
    """
    samples = as_samples(data)
    if len(samples) != 1:
        raise InputError(f"the flare model is built per sample, as the flare search; got "
                         f"{len(samples)} samples ({', '.join(s.name for s in samples)}): "
                         "choose one", column="sample")
    sample = samples[0]
    flare_data = sample_model(sample, **kwargs).data_at(float(ra), float(dec))
    return flare_data, FlareLikelihood(flare_data, steady=steady, name=sample.name)


def flare_priors(samples: Sequence[EventSample], likelihood=None,
                 sigma_min: float = DEFAULT_SIGMA_MIN_BAYES) -> dict[str, Prior]:
    """Default priors of the flare parameters (see the module docstring); sigma_min in days."""
    del likelihood  # the priors depend on the samples only
    t_lo = min(s.uptime.start for s in samples)
    t_hi = max(s.uptime.stop for s in samples)
    live = sum(s.uptime.livetime_days for s in samples)
    if not 0 < sigma_min < 0.5 * live:
        raise InputError(f"sigma_min {sigma_min} d must be in (0, livetime/2)", column="sigma_t")
    # ns < N keeps the support for any (gamma, t0, sigma_t)
    return {"ns": Prior("uniform", 0.0, 0.999 * min(s.size for s in samples)),
            "gamma": Prior("uniform", 1.0, 4.0),
            "t0": Prior("uniform", t_lo, t_hi),
            "sigma_t": Prior("loguniform", sigma_min, 0.5 * live)}


def add_flare(data: Dataset | EventSample | Sequence[EventSample], ra: float, dec: float,
              model=None, priors: Mapping[str, Prior] | None = None,
              sigma_min: float = DEFAULT_SIGMA_MIN_BAYES, per_event: bool = True,
              name: str = "", **setup_kwargs: Any) -> PointSourceModel:
    """Add a Gaussian-flare likelihood at (ra, dec) to a PyMC model.

    Parameters
    ----------
    data
        One sample (or a data set / list holding one).
    ra, dec
        Position, degrees.
    model
        ``pm.Model`` to add to (default: the one on the context stack, else new).
    priors
        Overrides of :func:`flare_priors` by parameter name.
    sigma_min
        Lower end of the log-uniform sigma_t prior, days.
    per_event
        Per-event ``pm.CustomDist`` (LOO-ready, default) or a scalar Potential.
    name
        Prefix of the variable names.

    Returns
    -------
    PointSourceModel
        With ``param_names`` ``("ns", "gamma", "t0", "sigma_t")``; ``meta`` holds
        the sample, the position (deg) and the search's ``flare_data``.
    """
    samples = as_samples(data)
    flare_data, like = flare_setup(samples, ra, dec, **setup_kwargs)
    pri = flare_priors(samples, like, sigma_min)
    pri.update(dict(priors or {}))
    out = add_point_source(like, model=model, priors=pri, per_event=per_event, name=name)
    out.meta.update(sample=samples[0], ra=float(ra), dec=float(dec), flare_data=flare_data)
    return out


def flare_model(data, ra: float, dec: float, **kwargs: Any) -> PointSourceModel:
    """A new ``pm.Model`` holding only the flare likelihood (convenience)."""
    import pymc as pm

    return add_flare(data, ra, dec, model=pm.Model(), **kwargs)


def flare_modes(priors: Mapping[str, Prior], fit, delta_ts: float = 4.0, width: float = 3.0,
                sigma_factor: float = 10.0, max_modes: int = 3) -> list[dict[str, Any]]:
    """Flare modes of the posterior, as boxes in (T0, sigma_t), from the candidate flares.

    The flare posterior is multimodal in (T0, sigma_t): one mode per flare-like
    cluster of events, plus sharp spikes of short flares (sigma_t of hours to
    days) on single signal-like events, and a diffuse low-ns floor where T0
    and sigma_t follow their priors. NUTS samples one broad mode well but not
    the spikes. A mode here is the box

        |T0 - T0_c| <= width * sigma_c (T0 ranges of modes kept disjoint),
        sigma_c / sigma_factor <= sigma_t <= the prior's upper bound,

    around a candidate flare c (best fit first, then the search's candidates
    with ``TS >= TS_best - delta_ts`` lying outside the boxes found so far;
    a candidate inside an earlier mode's T0 range but shorter than its box is
    a spike and belongs to the rest). Boxes are disjoint, so the posterior
    is the mixture of the modes' conditional posteriors (weights from
    evidences, :func:`sample_flare_modes`) and of the rest.

    Parameters
    ----------
    priors
        The model's priors (``t0`` uniform, ``sigma_t`` log-uniform).
    fit
        :class:`~bayesnu.flare.search.FlareFit` with ``candidates``.
    delta_ts, width, sigma_factor, max_modes
        As above.

    Returns
    -------
    list of dict
        ``t0`` (lo, hi) MJD, ``sigma_t`` (lo, hi) days, ``ts`` of the
        seeding candidate, ``start`` (the candidate, for the chains),
        ``prior_mass`` (prior probability of the box). Empty if the best fit
        has no flare (ns = 0).
    """
    pt0, psig = priors["t0"], priors["sigma_t"]
    if pt0.kind != "uniform" or psig.kind != "loguniform":
        raise InputError("flare modes need a uniform t0 and a log-uniform sigma_t prior",
                         column="priors")
    if not (fit.ns > 0 and np.isfinite(fit.t0) and np.isfinite(fit.sigma_t)):
        return []
    best = {"t0": float(fit.t0), "sigma_t": float(fit.sigma_t), "ns": float(fit.ns),
            "gamma": float(fit.gamma) if np.isfinite(fit.gamma) else 2.0, "ts": float(fit.ts)}
    cands = sorted((dict(c) for c in fit.candidates if "t0" in c and "ts" in c),
                   key=lambda c: -c["ts"])
    ranked = [best] + [c for c in cands if c["ts"] >= best["ts"] - delta_ts]
    modes: list[dict[str, Any]] = []
    for c in ranked:
        if len(modes) >= max_modes:
            break
        if any(m["t0"][0] <= c["t0"] <= m["t0"][1] for m in modes):
            continue  # inside a mode, or a spike in its T0 range (part of the rest)
        lo, hi = c["t0"] - width * c["sigma_t"], c["t0"] + width * c["sigma_t"]
        for m in modes:
            if m["t0"][1] < c["t0"]:
                lo = max(lo, m["t0"][1])
            else:
                hi = min(hi, m["t0"][0])
        lo, hi = max(lo, pt0.lower), min(hi, pt0.upper)
        s_lo = min(max(c["sigma_t"] / sigma_factor, psig.lower), 0.5 * psig.upper)
        s_hi = psig.upper
        if not hi > lo:
            continue
        mass = ((hi - lo) / (pt0.upper - pt0.lower)
                * np.log(s_hi / s_lo) / np.log(psig.upper / psig.lower))
        modes.append({"t0": (float(lo), float(hi)), "sigma_t": (float(s_lo), float(s_hi)),
                      "ts": float(c["ts"]), "start": {k: float(c[k]) for k in
                                                      ("t0", "sigma_t", "ns", "gamma")},
                      "prior_mass": float(mass)})
    return modes


def restrict_to_mode(model: PointSourceModel, mode: Mapping[str, Any]) -> PointSourceModel:
    """The same flare model with the T0 and sigma_t priors truncated to a mode's box.

    A new ``pm.Model`` (same likelihood, same per-event or Potential form);
    truncating through the priors' bounds lets NUTS work in the box's
    unconstrained coordinates (no hard walls).
    """
    import pymc as pm

    pri = dict(model.priors)
    pri["t0"] = Prior("uniform", *mode["t0"])
    pri["sigma_t"] = Prior("loguniform", *mode["sigma_t"])
    per_event = not any(getattr(p, "name", None) == model.likelihood_name
                        for p in model.model.potentials)
    prefix = model.var_names["ns"][:-2]
    out = add_point_source(model.likelihood, model=pm.Model(), priors=pri, per_event=per_event,
                           name=prefix)
    out.setup = model.setup
    out.meta.update(model.meta)
    return out
