"""Bayesian inference of the flare model: NUTS per flare mode, nautilus evidences, one workflow.

The model (priors, likelihood, mode boxes) is :mod:`bayesnu.models.flare`;
this module samples and integrates it:

* :func:`sample_flare`: NUTS, chains started at distinct candidate flares of
  the frequentist search (optionally inside one mode's box);
* :func:`sample_flare_modes`: NUTS per flare mode, with the modes' posterior
  weights from the nautilus posterior mass inside their boxes;
* :func:`flare_evidence`: nautilus Bayes factors flare vs background and flare
  vs a steady point source, keeping the flare posterior points;
* :func:`flare_posterior_modes`: the whole workflow (search -> evidence ->
  per-mode NUTS -> one :class:`FlareModesResult`), shared by
  ``bayesnu flare sample --modes`` and the demo (``bayesnu.apps``).

Why per mode: the flare posterior in (T0, sigma_t) has one broad mode per
flare-like cluster of events, sharp spikes of short flares on single events
and a low-ns floor; NUTS samples one broad mode well but crosses between
them only through ns -> 0 (see :mod:`bayesnu.models.flare`).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.diagnostics import diagnose
from bayesnu.inference.evidence import EvidenceResult, bayes_factor, evidence, weighted_quantile
from bayesnu.inference.results import Result
from bayesnu.inference.sample import posterior_summary, pymc_log_level
from bayesnu.models.flare import (
    DEFAULT_SIGMA_MIN_BAYES,
    as_samples,
    flare_model,
    flare_modes,
    flare_priors,
    flare_setup,
    restrict_to_mode,
)
from bayesnu.models.pointsource import PointSourceModel, Prior

from bayesnu.data.core import EventSample
from bayesnu.errors import InputError
from bayesnu.flare.likelihood import FlareLikelihood

__all__ = ["sample_flare", "sample_flare_modes", "flare_evidence", "candidate_starts",
           "flare_posterior_modes", "FlareModesResult", "PARAMS"]

#: the flare model's parameters, in the likelihood's order
PARAMS = ("ns", "gamma", "t0", "sigma_t")


def candidate_starts(model: PointSourceModel, candidates: Sequence[Mapping[str, float]],
                     n: int) -> list[dict[str, float]]:
    """NUTS initial values (one dict per chain) from ranked candidate flares.

    Candidates are dicts with ``t0, sigma_t, ns, gamma`` (e.g.
    ``fit_flare(..., keep_candidates=k).candidates``); they are clipped into
    the priors. With fewer candidates than chains the list repeats.
    """
    if not candidates:
        raise InputError("no candidate flares to start chains from", column="candidates")
    pri = model.priors
    out = []
    for i in range(n):
        c = candidates[i % len(candidates)]
        iv = {}
        for p in PARAMS:
            v = float(c[p])
            pr = pri.get(p)
            if pr is not None and pr.kind in ("uniform", "loguniform"):
                span = pr.upper - pr.lower
                v = float(np.clip(v, pr.lower + 1e-3 * span if pr.kind == "uniform"
                                  else pr.lower * 1.001, pr.upper - 1e-3 * span
                                  if pr.kind == "uniform" else pr.upper / 1.001))
            name = model.var_names[p]
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


def _in_box(c: Mapping[str, float], mode: Mapping[str, Any]) -> bool:
    return bool(mode["t0"][0] <= c["t0"] <= mode["t0"][1]
                and mode["sigma_t"][0] <= c["sigma_t"] <= mode["sigma_t"][1])


def _chain_candidates(model: PointSourceModel, fit, mode: Mapping[str, Any] | None
                      ) -> list[dict[str, float]]:
    """Best fit first, then the search's candidates, filtered for the chains' starts."""
    cands = [{"t0": fit.t0, "sigma_t": fit.sigma_t, "ns": max(fit.ns, 1.0),
              "gamma": fit.gamma if np.isfinite(fit.gamma) else 2.0}]
    cands += [c for c in fit.candidates if "t0" in c]
    if mode is not None:
        # candidates inside the box, away from its T0 edges (a start on the edge of a
        # truncated prior is far out in the unconstrained coordinates)
        lo, hi = mode["t0"]
        inner = (lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo))
        inside = [c for c in cands if _in_box(c, mode) and inner[0] <= c["t0"] <= inner[1]]
        return inside or [dict(mode["start"])]
    pt0 = model.priors.get("t0")
    if pt0 is not None and pt0.kind == "uniform":
        # the best fit, then candidates away from the live-time edges
        lo, hi = pt0.lower, pt0.upper
        cands = cands[:1] + [c for c in cands[1:]
                             if lo + 0.01 * (hi - lo) <= c["t0"] <= hi - 0.01 * (hi - lo)]
    return cands


def _attach_diagnostics(idata, model: PointSourceModel, draws: int, chains: int,
                        warn: bool) -> dict[str, Any]:
    names = [model.var_names[p] for p in model.param_names]
    rep = diagnose(idata, var_names=names, ess_min=min(400.0, 0.25 * draws * chains), warn=warn)
    idata.attrs["diagnostics_ok"] = int(rep["ok"])
    idata.attrs["diagnostics_problems"] = "; ".join(rep["problems"])
    idata.attrs["divergences"] = rep["divergences"]
    return rep


def sample_flare(model: PointSourceModel, fit=None, chains: int = 4, draws: int = 1000,
                 tune: int = 1000, seed: int | None = None, target_accept: float = 0.95,
                 cores: int = 1, progressbar: bool = False, diagnostics: bool = True,
                 mode: Mapping[str, Any] | None = None):
    """NUTS posterior of the flare model, chains started at distinct candidate flares.

    Parameters
    ----------
    model
        Model from :func:`~bayesnu.models.flare.add_flare` / ``flare_model``.
    fit
        A :class:`~bayesnu.flare.search.FlareFit` with ``candidates`` (from
        ``fit_flare(..., keep_candidates=k)``); its best fit starts the first
        chain and the distinct next-best candidates the others. If None, the
        flare search is run on the model's first sample.
    chains, draws, tune, target_accept, cores, progressbar
        Passed to :func:`pymc.sample`.
    seed
        Random seed of the chains.
    diagnostics
        Attach R-hat / ESS / divergences to ``idata.attrs`` (warns on failure).
    mode
        Optional flare mode from :func:`~bayesnu.models.flare.flare_modes`: the
        posterior is then sampled with the T0 and sigma_t priors truncated to
        the mode's box (a conditional posterior ``p(theta | data, theta in
        mode)``; see :func:`sample_flare_modes` for the mode weights), all
        chains starting at candidates inside the box.

    Returns
    -------
    arviz.InferenceData
        With ``log_likelihood``; ``attrs`` hold the wall time (s), the chains'
        start points (T0, MJD) and the diagnostics.
    """
    import pymc as pm

    if fit is None:
        fit = _search_for(model)
    cands = _chain_candidates(model, fit, mode)
    if mode is not None:
        model = restrict_to_mode(model, mode)
    starts = candidate_starts(model, _distinct_candidates(cands, chains), chains)
    t0 = time.perf_counter()
    with model.model, pymc_log_level(logging.INFO if progressbar else logging.WARNING):
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                          target_accept=target_accept, progressbar=progressbar,
                          initvals=starts, idata_kwargs={"log_likelihood": True},
                          compute_convergence_checks=False)
    idata.attrs["wall_time_s"] = time.perf_counter() - t0
    idata.attrs["chain_starts_t0"] = [float(s.get(model.var_names["t0"], np.nan))
                                      for s in starts]
    if mode is not None:
        idata.attrs["mode_t0"] = [float(v) for v in mode["t0"]]
        idata.attrs["mode_sigma_t"] = [float(v) for v in mode["sigma_t"]]
    if diagnostics:
        _attach_diagnostics(idata, model, draws, chains, warn=True)
    return idata


def _mode_weights(modes: list[dict[str, Any]], nautilus: Mapping[str, Any],
                  params: Sequence[str]) -> tuple[float, dict[str, list[float]]]:
    """Nautilus posterior mass in each mode's box (in place), the rest, all-mode quantiles."""
    pts, w = np.asarray(nautilus["points"]), np.asarray(nautilus["weights"])
    col = {p: list(nautilus["names"]).index(p) for p in params}
    n_eff = float(nautilus.get("n_eff", 1.0 / np.sum(w ** 2)))
    total = 0.0
    for m in modes:
        inb = ((pts[:, col["t0"]] >= m["t0"][0]) & (pts[:, col["t0"]] <= m["t0"][1])
               & (pts[:, col["sigma_t"]] >= m["sigma_t"][0])
               & (pts[:, col["sigma_t"]] <= m["sigma_t"][1]))
        mass = float(w[inb].sum())
        m["weight"], m["weight_err"] = mass, float(np.sqrt(mass * (1 - mass) / n_eff))
        total += mass
    quantiles = {p: [float(weighted_quantile(pts[:, j], w, q)) for q in (0.05, 0.5, 0.95)]
                 for p, j in col.items()}
    return max(0.0, 1.0 - total), quantiles


def sample_flare_modes(model: PointSourceModel, fit=None, chains: int = 2, draws: int = 1000,
                       tune: int = 1000, seed: int | None = None, target_accept: float = 0.9,
                       cores: int = 1, progressbar: bool = False, weights: bool = True,
                       nautilus: Mapping[str, Any] | None = None, n_live: int = 200,
                       **mode_kwargs: Any) -> dict[str, Any]:
    """Per-mode NUTS posteriors of the flare model and the modes' posterior weights.

    The modes are :func:`~bayesnu.models.flare.flare_modes` boxes. Each is
    sampled by :func:`sample_flare` (``chains`` chains started at the
    candidates inside it) with its own diagnostics: a conditional posterior
    ``p(theta | data, theta in box)``. The posterior weight of a mode,
    ``P(theta in box | data)``, is the nautilus posterior mass inside its box
    (nautilus explores all modes); ``1 - sum`` is the weight of the rest
    (spikes of short flares on single events, the low-ns floor), which only
    nautilus samples.

    Parameters
    ----------
    model, fit, chains, draws, tune, seed, target_accept, cores, progressbar
        As :func:`sample_flare` (mode m uses ``seed + m``).
    weights
        Compute the mode weights.
    nautilus
        The flare model's nautilus posterior with the same priors
        (``flare_evidence(...)["flare_samples"]``); run here (``n_live`` live
        points) if None.
    **mode_kwargs
        Passed to :func:`~bayesnu.models.flare.flare_modes`.

    Returns
    -------
    dict
        ``modes``: the ``flare_modes`` dicts, each with ``idata`` and
        ``diagnostics`` (R-hat, bulk/tail ESS per parameter, divergences,
        ``ok``, ``problems``) and, with ``weights``, ``weight`` and
        ``weight_err`` (binomial error of the nautilus mass given its effective
        sample size; independent nautilus runs scatter by ~2-3 times more);
        ``weight_rest``; ``nautilus_quantiles``: 5/50/95 % of every parameter
        over all modes.
    """
    if fit is None:
        fit = _search_for(model)
    modes = flare_modes(model.priors, fit, **mode_kwargs)
    if not modes:
        raise InputError("the best fit has no flare (ns = 0): no flare mode to sample; "
                         "use sample_flare for the prior-dominated posterior", column="fit")
    for i, m in enumerate(modes):
        idata = sample_flare(model, fit=fit, chains=chains, draws=draws, tune=tune,
                             seed=None if seed is None else seed + i,
                             target_accept=target_accept, cores=cores, progressbar=progressbar,
                             diagnostics=False, mode=m)
        rep = _attach_diagnostics(idata, model, draws, chains, warn=False)
        m["idata"], m["diagnostics"] = idata, rep
        for prob in rep["problems"]:
            warnings.warn(f"flare mode {i} (T0 {m['t0'][0]:.1f}-{m['t0'][1]:.1f}): {prob}",
                          stacklevel=2)
    out: dict[str, Any] = {"modes": modes}
    if weights:
        if nautilus is None:
            nautilus = evidence(model.likelihood, priors=model.priors, n_live=n_live, seed=seed,
                                keep_points=True).points
        out["weight_rest"], out["nautilus_quantiles"] = _mode_weights(
            modes, nautilus, model.param_names)
    return out


def _search_for(model: PointSourceModel):
    """The frequentist Gaussian-flare search with 20 candidates at the model's source."""
    from bayesnu.flare.analysis import default_sigma_min
    from bayesnu.flare.search import fit_flare

    if "flare_data" not in model.meta:
        raise InputError("pass fit= (a FlareFit with candidates) for a model not built by "
                         "bayesnu.models.flare.add_flare", column="fit")
    return fit_flare(model.meta["flare_data"], sigma_min=default_sigma_min(model.meta["sample"]),
                     keep_candidates=20)


def flare_evidence(data, ra: float, dec: float, priors: Mapping[str, Prior] | None = None,
                   sigma_min: float = DEFAULT_SIGMA_MIN_BAYES, n_live: int = 500,
                   seed: int | None = None, steady: bool = True, **kwargs: Any) -> dict[str, Any]:
    """nautilus evidences: flare vs background only, and flare vs a steady point source.

    Both signal models share the ``ns`` and ``gamma`` priors; the steady model
    is the same likelihood (the flare search's spatial and energy S/B) with a
    uniform time PDF (:class:`~bayesnu.flare.likelihood.FlareLikelihood` with
    ``steady=True``).

    Parameters
    ----------
    data
        Data set or samples.
    ra, dec
        Position, degrees.
    priors
        Overrides of :func:`~bayesnu.models.flare.flare_priors`.
    sigma_min
        Lower end of the log-uniform sigma_t prior, days.
    n_live, seed, **kwargs
        Passed to :func:`~bayesnu.inference.evidence.evidence`.
    steady
        Also compute the steady point-source evidence.

    Returns
    -------
    dict
        ``flare`` and ``steady`` :class:`~bayesnu.inference.evidence.EvidenceResult`
        and ``ln_b_flare_vs_background``, ``ln_b_flare_vs_steady`` with errors;
        ``flare_samples``: the flare model's nautilus posterior
        ``{"names", "points" (n, 4), "weights" (n,) summing to 1, "n_eff"}``
        (all modes).
    """
    samples = as_samples(data)
    flare_data, like = flare_setup(samples, ra, dec)
    pri = flare_priors(samples, like, sigma_min)
    pri.update(dict(priors or {}))
    ev_f = evidence(like, priors=pri, n_live=n_live, seed=seed, keep_points=True, **kwargs)
    out: dict[str, Any] = {"flare": ev_f, "ln_b_flare_vs_background": ev_f.log_z,
                           "ln_b_flare_vs_background_err": ev_f.log_z_err,
                           "priors": {k: v.to_dict() for k, v in pri.items()},
                           "flare_samples": ev_f.points}
    if steady:
        like_steady = FlareLikelihood(flare_data, steady=True, name=like.name)
        ps_pri = {k: v for k, v in pri.items() if k in ("ns", "gamma")}
        ev_s = evidence(like_steady, priors=ps_pri, n_live=n_live, seed=seed, **kwargs)
        lnb, err = bayes_factor(ev_f, ev_s)
        out.update(steady=ev_s, ln_b_flare_vs_steady=lnb, ln_b_flare_vs_steady_err=err,
                   ln_b_steady_vs_background=ev_s.log_z)
    return out


@dataclass
class FlareModesResult(Result):
    """Result of :func:`flare_posterior_modes` (one output schema for the CLI and the demo).

    Attributes
    ----------
    source : str
        Label of the position.
    ra, dec : float
        Position, degrees.
    sample : str
        Event sample analysed.
    fit : dict
        The frequentist Gaussian-flare fit that seeds the modes (``FlareFit.as_dict``).
    modes : list of dict
        Per flare mode: ``t0_range`` (MJD), ``sigma_t_range`` (days),
        ``seed_ts``, ``start``, ``prior_mass``, ``weight``, ``weight_err``
        (nautilus posterior mass in the box), ``posterior`` (per parameter:
        mean, sd, median, 90 % ``eti`` and ``hdi``, ``rhat``, ``ess_bulk``),
        ``diagnostics`` (``rhat``, ``ess_bulk``, ``ess_tail``,
        ``divergences``, ``ok``, ``problems``) and ``chain_starts_t0`` (MJD).
    weight_rest : float
        Posterior weight outside every mode (nautilus only).
    posterior_all_modes_nautilus : dict
        5/50/95 % quantiles of each parameter over all modes (nautilus).
    bayes_factors : dict
        ``ln_b_flare_vs_background`` (and ``..._err``), ``ln_b_flare_vs_steady`` ...
    priors : dict
        The priors used (``Prior.to_dict``).
    diagnostics : dict
        All modes: ``ok``, ``problems``, ``divergences``, ``max_rhat``,
        ``min_ess_bulk``, ``min_ess_tail``.
    settings : dict
        ``chains``, ``draws``, ``tune``, ``n_live``, ``seed``, ``cores``.
    timings : dict
        ``evidence_s``, ``nuts_s`` (wall seconds).
    mode_idata : list
        ArviZ InferenceData of each mode (not in JSON; write with ``to_netcdf``).
    evidences : dict
        The :class:`~bayesnu.inference.evidence.EvidenceResult` objects (not in JSON).
    """

    source: str
    ra: float
    dec: float
    sample: str
    fit: dict[str, Any]
    modes: list[dict[str, Any]]
    weight_rest: float
    posterior_all_modes_nautilus: dict[str, list[float]]
    bayes_factors: dict[str, float]
    priors: dict[str, dict]
    diagnostics: dict[str, Any]
    settings: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    mode_idata: list[Any] = field(default_factory=list, repr=False, metadata={"json": False})
    evidences: dict[str, EvidenceResult] = field(default_factory=dict, repr=False,
                                                 metadata={"json": False})

    def text(self) -> str:
        """Human-readable summary, one block per mode."""
        lines = [f"flare posterior at {self.source} ({self.sample}), per mode:"]
        for m in self.modes:
            d = m["diagnostics"]
            lines.append(f"  mode T0 [{m['t0_range'][0]:.1f}, {m['t0_range'][1]:.1f}] MJD, "
                         f"sigma_t [{m['sigma_t_range'][0]:.3g}, {m['sigma_t_range'][1]:.3g}] d,"
                         f" weight {m['weight']:.3f} +- {m['weight_err']:.3f}")
            for k, v in m["posterior"].items():
                lines.append(f"    {k:8s} median {v['median']:.6g}  90% [{v['eti'][0]:.6g}, "
                             f"{v['eti'][1]:.6g}]  R-hat {v['rhat']:.3f}  ESS "
                             f"{v['ess_bulk']:.0f}")
            lines.append("    diagnostics " + ("ok" if d["ok"] else
                                                "WARN: " + "; ".join(d["problems"])))
        lines.append(f"  weight outside the modes {self.weight_rest:.3f} (nautilus only)")
        bf = self.bayes_factors
        lines.append(f"  ln B flare vs background {bf['ln_b_flare_vs_background']:.2f}"
                     + (f", flare vs steady {bf['ln_b_flare_vs_steady']:.2f}"
                        if "ln_b_flare_vs_steady" in bf else "") + " (nautilus, all modes)")
        return "\n".join(lines)


def _mode_record(m: dict[str, Any]) -> dict[str, Any]:
    """One mode of :func:`sample_flare_modes` in the :class:`FlareModesResult` schema."""
    d = m["diagnostics"]
    return {"t0_range": [float(v) for v in m["t0"]],
            "sigma_t_range": [float(v) for v in m["sigma_t"]],
            "seed_ts": float(m["ts"]), "start": dict(m["start"]),
            "prior_mass": float(m["prior_mass"]),
            "weight": float(m["weight"]), "weight_err": float(m["weight_err"]),
            "posterior": posterior_summary(m["idata"], list(PARAMS)),
            "diagnostics": {k: d[k] for k in ("rhat", "ess_bulk", "ess_tail", "divergences",
                                              "ok", "problems")},
            "chain_starts_t0": list(m["idata"].attrs.get("chain_starts_t0", []))}


def _overall_diagnostics(modes: list[dict[str, Any]]) -> dict[str, Any]:
    diags = [m["diagnostics"] for m in modes]
    return {"ok": all(d["ok"] for d in diags),
            "problems": "; ".join(f"mode {i}: {p}" for i, d in enumerate(diags)
                                  for p in d["problems"]),
            "divergences": int(sum(d["divergences"] for d in diags)),
            "max_rhat": max(max(d["rhat"].values()) for d in diags),
            "min_ess_bulk": min(min(d["ess_bulk"].values()) for d in diags),
            "min_ess_tail": min(min(d["ess_tail"].values()) for d in diags)}


def flare_posterior_modes(sample: EventSample, ra: float, dec: float, *,
                          source: str | None = None, fit=None, chains: int = 2,
                          draws: int = 2000, tune: int = 800, n_live: int = 200,
                          seed: int | None = 1, cores: int = 1,
                          sigma_min: float = DEFAULT_SIGMA_MIN_BAYES, per_event: bool = False,
                          steady: bool = True, progressbar: bool = False) -> FlareModesResult:
    """Flare posterior per mode with NUTS, modes weighted by nautilus: the whole workflow.

    This is THE "flare per-mode NUTS with nautilus mode weights" workflow:
    ``bayesnu flare sample --modes`` and the demo (``bayesnu.apps``) both call
    it and both print its :class:`FlareModesResult` (``to_dict()`` is the one
    JSON schema). Steps:

    1. the frequentist Gaussian-flare search with 20 candidates (unless ``fit``);
    2. nautilus evidences (flare vs background, flare vs steady), keeping the
       flare posterior points (all modes);
    3. NUTS per flare mode (:func:`sample_flare_modes`), each mode weighted by
       its nautilus posterior mass;
    4. one result object.

    Parameters
    ----------
    sample
        One event sample (e.g. ``load("txs0506")["IC86b"]``).
    ra, dec
        Position, degrees.
    source
        Label of the position (default: the coordinates).
    fit
        Gaussian :class:`~bayesnu.flare.search.FlareFit` with ``candidates``
        (``fit_flare(..., keep_candidates=20)``); searched here if None.
    chains, draws, tune
        NUTS per mode.
    n_live
        nautilus live points.
    seed
        Seed of nautilus and NUTS (mode m uses ``seed + m``).
    cores
        Processes running the chains in parallel.
    sigma_min
        Lower end of the log-uniform sigma_t prior, days.
    per_event
        Per-event ``pm.CustomDist`` likelihood (else one Potential; same posterior).
    steady
        Also compute the flare vs steady point-source Bayes factor.
    progressbar
        PyMC progress bars (stderr).
    """
    if fit is None:
        model0 = flare_model(sample, ra, dec, per_event=per_event, sigma_min=sigma_min)
        fit = _search_for(model0)
    t = time.perf_counter()
    ev = flare_evidence(sample, ra, dec, n_live=n_live, seed=seed, sigma_min=sigma_min,
                        steady=steady, progress=progressbar)
    t_evidence = time.perf_counter() - t
    t = time.perf_counter()
    model = flare_model(sample, ra, dec, per_event=per_event, sigma_min=sigma_min)
    res = sample_flare_modes(model, fit=fit, chains=chains, draws=draws, tune=tune, seed=seed,
                             cores=cores, progressbar=progressbar, nautilus=ev["flare_samples"])
    t_nuts = time.perf_counter() - t
    modes = [_mode_record(m) for m in res["modes"]]
    return FlareModesResult(
        source=source or f"({ra:.3f}, {dec:.3f})", ra=float(ra), dec=float(dec),
        sample=sample.name, fit=fit.as_dict(), modes=modes, weight_rest=res["weight_rest"],
        posterior_all_modes_nautilus=res["nautilus_quantiles"],
        bayes_factors={k: float(v) for k, v in ev.items() if k.startswith("ln_b")},
        priors=ev["priors"], diagnostics=_overall_diagnostics(modes),
        settings={"chains": chains, "draws": draws, "tune": tune, "n_live": n_live,
                  "seed": seed, "cores": cores, "per_event": per_event},
        timings={"evidence_s": t_evidence, "nuts_s": t_nuts},
        mode_idata=[m["idata"] for m in res["modes"]],
        evidences={k: ev[k] for k in ("flare", "steady") if k in ev})

