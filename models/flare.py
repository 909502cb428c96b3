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

Multimodality: the posterior in (T0, sigma_t) has one broad mode per flare-like
cluster of signal-like events, sharp spikes of short flares on single events
and a low-ns floor where T0 and sigma_t follow their priors (on the TXS
release: ~95 % of the mass in the flare mode). :func:`sample_flare` starts each
NUTS chain at a different candidate flare from the frequentist search
(:func:`bayesnu.flare.search.fit_flare`, ranked by TS) and reports R-hat / ESS
on the full posterior; short runs there fail the diagnostics because the
spikes and the floor are reached only through ns -> 0. :func:`sample_flare_modes`
samples each broad mode (:func:`flare_modes`, a box in (T0, sigma_t)) with the
priors truncated to it, with its own diagnostics, and weights the modes by
the nautilus posterior mass in their boxes. Evidences (nautilus,
:func:`flare_evidence`) explore all modes.
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
           "flare_evidence", "candidate_starts", "flare_modes", "restrict_to_mode",
           "sample_flare_modes", "DEFAULT_SIGMA_MIN_BAYES"]

DEFAULT_SIGMA_MIN_BAYES = 0.01


def _samples(data: Dataset | EventSample | Sequence[EventSample]) -> list[EventSample]:
    if isinstance(data, Dataset):
        return list(data.samples)
    if isinstance(data, EventSample):
        return [data]
    return list(data)


def _cached_gaussian_pdf(uptime):
    """:class:`~bayesnu.flare.temporal.GaussianFlarePDF` that computes its uptime mass once per theta.

    The likelihood kernel asks every sample's time PDF for ``sample_weight``
    (the flare's mass in the uptime) and then for ``signal`` (which divides by
    the same mass) at the same ``(t0, sigma_t)``; the mass is an erf sum over
    all good runs (~1,000 for a season) and was half of the cost of one
    likelihood-and-gradient evaluation. This subclass keeps the last mass and
    its derivatives and computes them with half the normal-CDF calls; values
    are the parent's (bit-identical in the tests).
    """
    from scipy.special import ndtr

    from bayesnu.flare.temporal import GaussianFlarePDF, _inside

    inv_sqrt_2pi = 1.0 / np.sqrt(2.0 * np.pi)

    class _CachedGaussianFlarePDF(GaussianFlarePDF):
        _key: tuple[float, float] | None = None
        _val: tuple[float, float, float] = (0.0, 0.0, 0.0)

        def _norm(self, t0: float, s: float) -> tuple[float, float, float]:
            # gauss_norm(t0, s, intervals, grad=True) for one (t0, s), with one ndtr
            # per interval edge instead of two (Phi(zb) - Phi(za) taken on the tail
            # side of each interval, as gauss_norm does)
            if self._key != (t0, s):
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    za = (self.intervals[:, 0] - t0) / s
                    zb = (self.intervals[:, 1] - t0) / s
                    right = za > 0.0
                    nz = (ndtr(np.where(right, -za, zb)) - ndtr(np.where(right, -zb, za))).sum()
                    pa = np.exp(-0.5 * za * za) * inv_sqrt_2pi
                    pb = np.exp(-0.5 * zb * zb) * inv_sqrt_2pi
                    dn0 = ((pa - pb) / s).sum()
                    zapa = np.where(np.isfinite(za), za * pa, 0.0)
                    zbpb = np.where(np.isfinite(zb), zb * pb, 0.0)
                    dns = ((zapa - zbpb) / s).sum()
                self._val = (float(nz), float(dn0), float(dns))
                self._key = (t0, s)
            return self._val

        def signal(self, t: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            t = np.asarray(t, dtype=np.float64)
            t0, s = float(theta[0]), float(theta[1])
            nz, dn0, dns = self._norm(t0, s)
            if not nz > 1e-300:
                return np.zeros_like(t), np.zeros((2, t.size))
            z = (t - t0) / s
            pdf = np.exp(-0.5 * z * z) / (s * np.sqrt(2.0 * np.pi) * nz)
            pdf = np.where(_inside(self.intervals, t), pdf, 0.0)
            return pdf, np.stack([pdf * (z / s - dn0 / nz), pdf * ((z * z - 1.0) / s - dns / nz)])

        def sample_weight(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
            nz, dn0, dns = self._norm(float(theta[0]), float(theta[1]))
            return nz, np.array([dn0, dns])

    return _CachedGaussianFlarePDF(uptime)


def flare_setup(data: Dataset | EventSample | Sequence[EventSample], ra: float, dec: float,
                **kwargs: Any):
    """LikelihoodSetup and flare likelihood (Gaussian time PDF per sample) at (ra, dec).

    Returns
    -------
    (LikelihoodSetup, MixtureLikelihood)
    """
    from bayesnu.likelihood import LikelihoodSetup

    samples = _samples(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setup = LikelihoodSetup(samples, (float(ra), float(dec)), **kwargs)
    L = setup.likelihood(temporal=[_cached_gaussian_pdf(s.uptime) for s in samples])
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
                 cores: int = 1, progressbar: bool = False, diagnostics: bool = True,
                 mode: Mapping[str, Any] | None = None):
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
    mode
        Optional flare mode from :func:`flare_modes`: the posterior is then
        sampled with the T0 and sigma_t priors truncated to the mode's box
        (a conditional posterior ``p(theta | data, theta in mode)``; see
        :func:`sample_flare_modes` for the mode weights), all chains starting
        at candidates inside the box.

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
    if mode is not None:
        psm = restrict_to_mode(psm, mode)
        # candidates inside the box, away from its T0 edges (a start on the edge of a
        # truncated prior is far out in the unconstrained coordinates)
        lo, hi = mode["t0"]
        inner = (lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo))
        inside = [c for c in cands if _in_box(c, mode) and inner[0] <= c["t0"] <= inner[1]]
        cands = inside or [dict(mode["start"])]
    elif psm.priors.get("t0") is not None and psm.priors["t0"].kind == "uniform":
        # the best fit, then candidates away from the live-time edges
        lo, hi = psm.priors["t0"].lower, psm.priors["t0"].upper
        cands = cands[:1] + [c for c in cands[1:]
                             if lo + 0.01 * (hi - lo) <= c["t0"] <= hi - 0.01 * (hi - lo)]
    starts = candidate_starts(psm, _distinct_candidates(cands, chains), chains)
    t0 = time.perf_counter()
    with psm.model:
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                          target_accept=target_accept, progressbar=progressbar,
                          initvals=starts, idata_kwargs={"log_likelihood": True},
                          compute_convergence_checks=False)
    idata.attrs["wall_time_s"] = time.perf_counter() - t0
    idata.attrs["chain_starts_t0"] = [float(s.get(psm.var_names["t0"], np.nan)) for s in starts]
    if mode is not None:
        idata.attrs["mode_t0"] = [float(v) for v in mode["t0"]]
        idata.attrs["mode_sigma_t"] = [float(v) for v in mode["sigma_t"]]
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


def _in_box(c: Mapping[str, float], mode: Mapping[str, Any]) -> bool:
    return bool(mode["t0"][0] <= c["t0"] <= mode["t0"][1]
                and mode["sigma_t"][0] <= c["sigma_t"] <= mode["sigma_t"][1])


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


def restrict_to_mode(psm: PointSourceModel, mode: Mapping[str, Any]) -> PointSourceModel:
    """The same flare model with the T0 and sigma_t priors truncated to a mode's box.

    A new ``pm.Model`` (same likelihood, same per-event or Potential form);
    truncating through the priors' bounds lets NUTS work in the box's
    unconstrained coordinates (no hard walls).
    """
    import pymc as pm

    pri = dict(psm.priors)
    pri["t0"] = Prior("uniform", *mode["t0"])
    pri["sigma_t"] = Prior("loguniform", *mode["sigma_t"])
    per_event = not any(getattr(p, "name", None) == psm.likelihood_name
                        for p in psm.model.potentials)
    prefix = psm.var_names["ns"][:-2]
    out = add_point_source(psm.likelihood, model=pm.Model(), priors=pri, per_event=per_event,
                           name=prefix)
    out.setup = psm.setup
    return out


def sample_flare_modes(psm: PointSourceModel, fit=None, chains: int = 2, draws: int = 1000,
                       tune: int = 1000, seed: int | None = None, target_accept: float = 0.9,
                       cores: int = 1, progressbar: bool = False, weights: bool = True,
                       nautilus: Mapping[str, Any] | None = None, n_live: int = 200,
                       **mode_kwargs: Any) -> dict[str, Any]:
    """Per-mode NUTS posteriors of the flare model and the modes' posterior weights.

    The modes are :func:`flare_modes` boxes. Each is sampled by
    :func:`sample_flare` (``chains`` chains started at the candidates inside
    it) with its own diagnostics: a conditional posterior
    ``p(theta | data, theta in box)``. The posterior weight of a mode,
    ``P(theta in box | data)``, is the nautilus posterior mass inside its box
    (nautilus explores all modes); ``1 - sum`` is the weight of the rest
    (spikes of short flares on single events, the low-ns floor), which only
    nautilus samples.

    Parameters
    ----------
    psm, fit, chains, draws, tune, seed, target_accept, cores, progressbar
        As :func:`sample_flare` (mode m uses ``seed + m``).
    weights
        Compute the mode weights.
    nautilus
        The flare model's nautilus posterior with the same priors
        (``flare_evidence(...)["flare_samples"]``); run here (``n_live`` live
        points) if None.
    **mode_kwargs
        Passed to :func:`flare_modes`.

    Returns
    -------
    dict
        ``modes``: the :func:`flare_modes` dicts, each with ``idata`` and
        ``diagnostics`` (R-hat, bulk/tail ESS per parameter, divergences,
        ``ok``, ``problems``) and, with ``weights``, ``weight`` and
        ``weight_err`` (binomial error of the nautilus mass given its effective
        sample size; independent nautilus runs scatter by ~2-3 times more);
        ``weight_rest``;
        ``nautilus_quantiles``: 5/50/95 % of every parameter over all modes.
    """
    from bayesnu.inference.diagnostics import diagnose

    if fit is None:
        fit = _search_for(psm)
    modes = flare_modes(psm.priors, fit, **mode_kwargs)
    if not modes:
        raise InputError("the best fit has no flare (ns = 0): no flare mode to sample; "
                         "use sample_flare for the prior-dominated posterior", column="fit")
    names = [psm.var_names[p] for p in psm.param_names]
    for i, m in enumerate(modes):
        idata = sample_flare(psm, fit=fit, chains=chains, draws=draws, tune=tune,
                             seed=None if seed is None else seed + i,
                             target_accept=target_accept, cores=cores, progressbar=progressbar,
                             diagnostics=False, mode=m)
        rep = diagnose(idata, var_names=names, ess_min=min(400.0, 0.25 * draws * chains),
                       warn=False)
        idata.attrs["diagnostics_ok"] = int(rep["ok"])
        idata.attrs["diagnostics_problems"] = "; ".join(rep["problems"])
        idata.attrs["divergences"] = rep["divergences"]
        m["idata"], m["diagnostics"] = idata, rep
        for prob in rep["problems"]:
            warnings.warn(f"flare mode {i} (T0 {m['t0'][0]:.1f}-{m['t0'][1]:.1f}): {prob}",
                          stacklevel=2)
    out: dict[str, Any] = {"modes": modes}
    if weights:
        if nautilus is None:
            nautilus = _nautilus_flare(psm.likelihood, psm.priors, n_live=n_live, seed=seed)[1]
        from bayesnu.inference.evidence import _weighted_quantile

        pts, w = np.asarray(nautilus["points"]), np.asarray(nautilus["weights"])
        col = {p: list(nautilus["names"]).index(p) for p in psm.param_names}
        n_eff = float(nautilus.get("n_eff", 1.0 / np.sum(w ** 2)))
        total = 0.0
        for m in modes:
            inb = ((pts[:, col["t0"]] >= m["t0"][0]) & (pts[:, col["t0"]] <= m["t0"][1])
                   & (pts[:, col["sigma_t"]] >= m["sigma_t"][0])
                   & (pts[:, col["sigma_t"]] <= m["sigma_t"][1]))
            pm_ = float(w[inb].sum())
            m["weight"], m["weight_err"] = pm_, float(np.sqrt(pm_ * (1 - pm_) / n_eff))
            total += pm_
        out["weight_rest"] = max(0.0, 1.0 - total)
        out["nautilus_quantiles"] = {
            p: [float(_weighted_quantile(pts[:, j], w, q)) for q in (0.05, 0.5, 0.95)]
            for p, j in col.items()}
    return out


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


def _nautilus_flare(L, pri: Mapping[str, Prior], n_live: int = 200, seed: int | None = None,
                    n_eff: int = 2000):
    """nautilus evidence of the flare model, keeping its weighted posterior points.

    Same settings and seeding as :func:`bayesnu.inference.evidence.evidence`
    (one run), which only keeps summaries of the points.
    """
    from bayesnu.inference.evidence import EvidenceResult, _weighted_quantile
    from nautilus import Sampler

    names = list(L.param_names)
    for p in names:
        if p not in pri or not pri[p].proper:
            raise InputError(f"no proper prior for {p!r}", column=p)

    def prior_fn(u):
        return np.array([pri[p].transform(u[i]) for i, p in enumerate(names)])

    def like_fn(x):
        v, _ = L.evaluate(np.asarray(x, dtype=np.float64))
        return v if np.isfinite(v) else -1e300

    t0 = time.perf_counter()
    s = int(np.random.default_rng(seed).integers(2**31 - 1)) if seed is not None else None
    sampler = Sampler(prior_fn, like_fn, n_dim=len(names), n_live=n_live, seed=s)
    sampler.run(f_live=0.01, n_eff=n_eff, verbose=False)
    pts, log_w, _ = sampler.posterior()
    w = np.exp(log_w - log_w.max())
    w = w / w.sum()
    summary = {}
    for i, p in enumerate(names):
        x = pts[:, i]
        m = float(np.sum(w * x))
        summary[p] = {"mean": m, "sd": float(np.sqrt(np.sum(w * (x - m) ** 2))),
                      **{f"q{int(100 * q):02d}": float(_weighted_quantile(x, w, q))
                         for q in (0.05, 0.5, 0.95)}}
    log_z, n_eff_got = float(sampler.log_z), float(sampler.n_eff)
    ev = EvidenceResult(log_z=log_z, log_z_err=float(1.0 / np.sqrt(n_eff_got)),
                        ln_bf_vs_background=log_z, n_like=int(getattr(sampler, "n_like", 0)),
                        n_eff=n_eff_got, posterior=summary,
                        priors={p: pri[p].to_dict() for p in names},
                        wall_time_s=time.perf_counter() - t0, runs=[log_z])
    return ev, {"names": names, "points": pts, "weights": w, "n_eff": n_eff_got}


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
        and ``ln_b_flare_vs_background``, ``ln_b_flare_vs_steady`` with errors;
        ``flare_samples``: the flare model's nautilus posterior
        ``{"names", "points" (n, 4), "weights" (n,) summing to 1}`` (all
        modes; None when nautilus options are passed through ``**kwargs``).
    """
    from bayesnu.inference.evidence import bayes_factor, evidence

    samples = _samples(data)
    setup, L = flare_setup(samples, ra, dec)
    pri = flare_priors(samples, L, sigma_min)
    pri.update(dict(priors or {}))
    if kwargs:
        ev_f, post = evidence(L, priors=pri, n_live=n_live, seed=seed, **kwargs), None
    else:
        ev_f, post = _nautilus_flare(L, pri, n_live=n_live, seed=seed)
    out: dict[str, Any] = {"flare": ev_f, "ln_b_flare_vs_background": ev_f.log_z,
                           "ln_b_flare_vs_background_err": ev_f.log_z_err,
                           "priors": {k: v.to_dict() for k, v in pri.items()},
                           "flare_samples": post}
    if steady:
        Ls = setup.likelihood()
        ps_pri = {k: v for k, v in pri.items() if k in ("ns", "gamma")}
        ev_s = evidence(Ls, priors=ps_pri, n_live=n_live, seed=seed, **kwargs)
        lnb, err = bayes_factor(ev_f, ev_s)
        out.update(steady=ev_s, ln_b_flare_vs_steady=lnb, ln_b_flare_vs_steady_err=err,
                   ln_b_steady_vs_background=ev_s.log_z)
    return out
