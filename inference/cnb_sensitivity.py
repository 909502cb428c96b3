"""CnuB future sensitivity (mock data with added years) and simulation-based calibration.

Future sensitivity (Franklin et al., "Probing the Cosmic Neutrino Background and New
Physics with TeV-Scale Astrophysical Neutrinos", sec. V): each instance is a mock data
set for the sample's live time *plus* ``years_added`` years:

* background: every sample's events resampled with replacement to a Poisson number of
  events with mean ``N x (T + dT) / T`` (``T`` the sample's live time, ``dT`` its share of
  the added years, split in proportion to the live times), right ascension drawn uniformly
  in the footprint and times drawn in the sample's good-run list (the future good-run
  lists do not exist; the time-integrated likelihood does not read times);
* signal: the best-fit power law of the real (or simulated) data without interactions
  (``ns_PL x (T + dT) / T`` events, ``gamma_PL``) injected with
  :func:`bayesnu.inference.cnb.inject_overdensity` at eta = 0;
* TS(eta) of the instance from :func:`bayesnu.inference.cnb.eta_profile`.

Over the instances: median TS curve and the central 68% band (16th..84th percentile) at
each eta, and the median 90% CL limit. Instances run as a resumable campaign
(:func:`bayesnu.inference.campaign.run_campaign`): chunk ``k`` depends only on
``(seed, k)``, each chunk is one file, a killed run resumes without loss or duplication.

Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) of the log10 eta
posterior: :func:`sbc_log10_eta` draws (log10 eta, ns, gamma) from the prior, simulates
a data set with :func:`~bayesnu.inference.cnb.inject_overdensity`, and computes the
posterior of log10 eta on a grid with ns and gamma marginalised on a grid (uniform
priors; exact up to the grid resolution: piecewise-constant in log10 eta inside a cell,
trapezoid sums over ns and nodes in gamma).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from bayesnu.inference.cnb import (
    cnb_data,
    cnb_geometry,
    cnb_propagator,
    cnb_source,
    eta_profile,
    eta_ratio_table,
    inject_overdensity,
    upper_limit,
)

from bayesnu.errors import InputError
from bayesnu.ops.spectrum import transport_ratio

__all__ = ["future_instances", "with_extra_events", "sensitivity_summary", "future_sensitivity", "summarise_sensitivity", "sbc_instances", "sbc_campaign",
           "SensitivityContext", "sensitivity_context", "sbc_log10_eta", "SBC_LEVELS"]

_DAYS_PER_YEAR = 365.25
#: central credible levels whose coverage SBC reports
SBC_LEVELS = (0.5, 0.68, 0.9, 0.95)


class SensitivityContext:
    """Base data, CnuB source PDFs, propagator and power-law best fit (built once per process)."""

    def __init__(self, data: str | None, source: str, m1: float = 0.0342,
                 d_eff_mpc: float | None = None, z: float | None = None, bins: int = 300,
                 data_seed: int = 0) -> None:
        from bayesnu.likelihood.trial import fast_fit
        from bayesnu.sources import resolve_source

        src = resolve_source(source, online=False)
        geo = cnb_geometry(src.name, d_eff_mpc, z)
        self.propagator = cnb_propagator(geo, m1=m1, bins=bins)
        self.data, self.info = cnb_data(data, src.name, np.random.default_rng(data_seed))
        self.source = cnb_source(self.data, src, self.propagator)
        ts, ns, g, _ = fast_fit(self.source.power_law_mixture())
        self.ts_pl, self.ns_pl, self.gamma_pl = float(ts), float(ns), float(g)
        self.livetime_days = np.array([s.uptime.livetime_days for s in self.source.setup.samples])
        self._ratios: dict[tuple[float, ...], np.ndarray] = {}
        self._angular = None
        #: transport ratio at eta = 0 and the power-law gamma (all ones but bins with no flux)
        self.pl_ratio = transport_ratio(self.propagator, [0.0], [self.gamma_pl])[0, 0]

    def angular_models(self) -> list:
        """Angular-error models of the signal, built once from the base samples' events."""
        if self._angular is None:
            from bayesnu.simulate.inject import angular_model_for

            self._angular = [angular_model_for(s) for s in self.source.setup.samples]
        return self._angular

    def ratio_table(self, log10_eta: Sequence[float]) -> np.ndarray:
        """Transport ratios of a grid (:func:`~bayesnu.inference.cnb.eta_ratio_table`), cached."""
        key = tuple(float(v) for v in np.asarray(log10_eta, dtype=np.float64))
        if key not in self._ratios:
            self._ratios[key] = eta_ratio_table(self.source, self.propagator, np.array(key))
        return self._ratios[key]

    def absorbed(self, log10_eta: Sequence[float]) -> np.ndarray:
        """Per eta of the grid: does every gamma keep < ``T_MIN`` of its signal events?

        Depends only on the source's acceptance and the transport, not on the events, so one
        mask serves every instance of a campaign (see :func:`~bayesnu.inference.cnb.upper_limit`).
        """
        return self.source.absorbed(self.ratio_table(log10_eta))


@functools.lru_cache(maxsize=4)
def sensitivity_context(data, source, m1, d_eff_mpc, z, bins, data_seed) -> SensitivityContext:
    """Cached :class:`SensitivityContext` (one per process and setting; workers reuse it)."""
    return SensitivityContext(data, source, m1, d_eff_mpc, z, bins, data_seed)


def _extended_background(rng: np.random.Generator, samples, factors: np.ndarray):
    from bayesnu.data.core import Dataset
    from bayesnu.simulate.scramble import scramble_sample

    out = []
    for s, f in zip(samples, factors):
        n = int(rng.poisson(s.size * f))
        idx = rng.integers(0, s.size, n)
        out.append(scramble_sample(rng, _resampled(s, idx, f), ra=True, time=True))
    return Dataset(name="future-bg (SIMULATED)", format="mixed", samples=tuple(out))


def _candidate_background(rng: np.random.Generator, setup, factors: np.ndarray):
    """The future background of :func:`_extended_background`, only where it can matter.

    Every resampled event gets a uniform right ascension, so whether it can enter the
    source's region of interest depends only on its declination, energy and angular error,
    i.e. on which original event it copies: the set-up's declination candidates
    (``SampleSetup._events_cache(...)["cand_all"]``, the events whose largest possible
    signal-over-background ratio exceeds ``roi_eps``). Drawing ``n ~ Poisson(N f)`` events
    with replacement and keeping the candidates is the same in distribution as drawing
    ``n_c ~ Binomial(n, n_cand / N)`` candidates with replacement; the other ``n - n_c``
    events only count in N. Returns the Dataset of candidate copies (RA scrambled; times
    are those of the copied events -- the time-integrated likelihood does not read them)
    and the number of non-candidate events per sample.
    """
    from bayesnu.data.core import Dataset
    from bayesnu.simulate.scramble import scramble_sample

    out, rest = [], []
    for st, f in zip(setup.setups, factors):
        s = st.sample
        cand = st._events_cache(s)["cand_all"]
        n_all = int(rng.poisson(s.size * f))
        n_c = int(rng.binomial(n_all, cand.size / s.size))
        idx = cand[rng.integers(0, cand.size, n_c)]
        out.append(scramble_sample(rng, _resampled(s, idx, f), ra=True, time=False))
        rest.append(n_all - n_c)
    return Dataset(name="future-bg candidates (SIMULATED)", format="mixed",
                   samples=tuple(out)), np.array(rest, dtype=np.int64)


def _resampled(s, idx: np.ndarray, factor: float):
    """Copy of sample ``s`` made of its events ``idx`` (with repeats), marked SIMULATED."""
    cols = {c: getattr(s, c)[idx] for c in ("ra", "dec", "time", "log10e", "angerr")}
    meta = dict(s.meta)
    meta["simulated"] = True
    meta["future_livetime_factor"] = float(factor)
    if "extra" in meta:  # per-event columns follow the resampling
        meta["extra"] = {k: np.asarray(v)[idx] for k, v in meta["extra"].items()}
    return s.replace(meta=meta, **cols)


def with_extra_events(cs, extra: np.ndarray):
    """The CnuB source with ``extra[k]`` more events outside the ROI in sample ``k``.

    Events that cannot enter the region of interest contribute to the likelihood only
    through the sample's total N_k (the factor ``(1 - ns f_k / N_k)`` per event), so a
    data set given by its candidate events plus their count is complete.
    """
    from dataclasses import replace

    from bayesnu.likelihood.kernel import MixtureLikelihood

    lik = cs.base
    terms = [replace(t, n_total=int(t.n_total) + int(m)) for t, m in zip(lik.terms, extra)]
    return cs.with_likelihood(MixtureLikelihood(terms, lik.log_acc, cs.setup.weights,
                                                theta_names=lik.theta_names, ns_min=lik.ns_min))


def future_instances(rng: np.random.Generator, n: int, data: str | None, source: str,
                     years_added: float, log10_eta: Sequence[float], m1: float = 0.0342,
                     d_eff_mpc: float | None = None, z: float | None = None, bins: int = 300,
                     data_seed: int = 0, fast: bool = True) -> dict[str, np.ndarray]:
    """``n`` future-sensitivity instances (campaign chunk function, see module docstring).

    ``fast=True`` (default): the transport ratios of the grid are computed once per process
    (they do not depend on the data) and only the background events that can enter the
    source's region of interest are drawn (:func:`_candidate_background`; the others only
    count). Same distribution of the mock data as ``fast=False`` (every event resampled, the
    transport recomputed per instance), different random streams; for the *same* mock data
    both give the same TS curve (tests/inference/test_cnb_sensitivity.py).

    Returns
    -------
    dict
        ``ts`` (n, n_eta) TS(eta) curves, ``eta_limit_90`` (n,), ``ts_pl`` (n,) power-law TS,
        ``n_signal`` (n,) injected signal events, ``seconds`` (n,) wall time per instance,
        ``cpu_seconds`` (n,) process CPU time per instance.
    """
    if not (np.isfinite(years_added) and years_added >= 0):
        raise InputError(f"years added must be finite and >= 0, got {years_added}",
                         column="years_added")
    ctx = sensitivity_context(data, source, float(m1), d_eff_mpc, z, int(bins), int(data_seed))
    x = np.asarray(log10_eta, dtype=np.float64)
    live = ctx.livetime_days
    added = years_added * _DAYS_PER_YEAR * live / live.sum()
    factors = (live + added) / live
    f_tot = float((live + added).sum() / live.sum())
    ts = np.empty((n, x.size))
    lim = np.empty(n)
    tspl = np.empty(n)
    nsig = np.empty(n)
    secs = np.empty(n)
    cpus = np.empty(n)
    ratios = ctx.ratio_table(x) if fast else None
    for i in range(n):
        t0 = time.perf_counter()
        c0 = time.process_time()
        if fast:
            bg, rest = _candidate_background(rng, ctx.source.setup, factors)
        else:
            bg = _extended_background(rng, ctx.source.setup.samples, factors)
        cs, info = inject_overdensity(rng, ctx.source, ctx.propagator, 0.0, ctx.gamma_pl,
                                      ctx.ns_pl * f_tot, background=bg,
                                      angular_models=ctx.angular_models() if fast else None,
                                      ratio=ctx.pl_ratio if fast else None)
        if fast:
            cs = with_extra_events(cs, rest)
        prof = eta_profile(cs, ctx.propagator, x, ratios=ratios)
        ts[i] = prof.ts
        lim[i] = prof.limit(0.9)
        tspl[i] = prof.ts_pl
        nsig[i] = float(sum(info["n_injected"].values()))
        secs[i] = time.perf_counter() - t0
        cpus[i] = time.process_time() - c0
    return {"ts": ts, "eta_limit_90": lim, "ts_pl": tspl, "n_signal": nsig, "seconds": secs,
            "cpu_seconds": cpus}


def _percentiles(values: np.ndarray, q) -> np.ndarray:
    """Linear-interpolation percentiles of limits that may be +inf (instances that exclude
    nothing): a percentile between a finite and an infinite limit is inf, not NaN (numpy's
    interpolation gives NaN there); with finite limits it is ``np.percentile`` itself."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        p = np.percentile(v, q)
    if np.all(np.isfinite(v)) or np.any(np.isnan(v)):
        return p
    s = np.sort(v)
    pos = np.asarray(q, dtype=np.float64) / 100.0 * (s.size - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, s.size - 1)
    touch = ~np.isfinite(s[lo]) | ~np.isfinite(s[hi])
    return np.where(touch, np.where(pos == lo, s[lo], np.inf), p)


def summarise_sensitivity(log10_eta: np.ndarray, ts: np.ndarray,
                          limits: np.ndarray, absorbed: np.ndarray | None = None
                          ) -> dict[str, Any]:
    """Median TS(eta), its central 68% band and the median 90% CL limit over instances.

    ``absorbed`` (the campaign's all-absorbed mask, :meth:`SensitivityContext.absorbed`):
    the instances' limits are recomputed from their curves without those points.
    """
    x = np.asarray(log10_eta, dtype=np.float64)
    ts = np.asarray(ts, dtype=np.float64)
    lo, med, hi = np.percentile(ts, [15.865, 50.0, 84.135], axis=0)
    lims = np.asarray(limits, dtype=np.float64)
    if absorbed is not None:
        lims = np.array([upper_limit(x, t, 0.9, absorbed=absorbed) for t in ts])
    return {"log10_eta": x.tolist(), "ts_median": med.tolist(),
            "ts_band_68": [lo.tolist(), hi.tolist()],
            "ts_band_68_axes": "[lower (15.9th percentile), upper (84.1th percentile)] x log10_eta",
            "eta_limit_median": float(np.median(lims)),
            "eta_limit_of_median_curve": upper_limit(x, med, 0.9, absorbed=absorbed),
            "eta_absorbed": (float(10.0 ** x[np.flatnonzero(absorbed)[0]])
                             if absorbed is not None and np.any(absorbed) else None),
            "eta_limit_68": _percentiles(lims, [15.865, 84.135]).tolist(),
            "fraction_not_excluded": float(np.mean(~np.isfinite(lims))),
            "n_instances": int(ts.shape[0])}


def sensitivity_summary(out_dir) -> dict[str, Any]:
    """Summary of a future-sensitivity campaign folder as it is on disk (no instance is run).

    The campaign's base data and transport are rebuilt (seconds) for the all-absorbed mask of
    its eta grid, and every instance's limit is recomputed from its stored TS curve without
    those points (:func:`~bayesnu.inference.cnb.upper_limit`). :func:`summarise_sensitivity`
    of the instances so far plus the central 68% range of the
    instances' 90% CL limits (``eta_limit_68``, 15.9th and 84.1th percentiles), the source,
    horizon and the median CPU seconds per instance.
    """
    from bayesnu.inference.campaign import load_campaign

    res = load_campaign(out_dir)
    meta = res.meta
    if meta.get("kind") != "cnb-future-sensitivity" or res.n_trials == 0:
        raise InputError("not a (non-empty) CnuB future-sensitivity campaign", path=out_dir)
    x = np.array(meta["log10_eta"])
    ctx = sensitivity_context(meta["data"], meta["source"], float(meta["m1"]),
                              meta.get("d_eff_mpc"), meta.get("z"), int(meta["bins"]),
                              int(meta.get("data_seed", 0)))
    out = summarise_sensitivity(x, res["ts"], res["eta_limit_90"], ctx.absorbed(x))
    out.update({"source": meta["source"], "years_added": meta["years_added"], "m1": meta["m1"],
                "cpu_seconds_per_instance_median": (float(np.median(res["cpu_seconds"]))
                                                    if "cpu_seconds" in res.data else None),
                "seed": res.seed})
    return out


def future_sensitivity(data: str | None, source: str, years_added: float, n_instances: int,
                       out_dir, seed: int, log10_eta: Sequence[float], m1: float = 0.0342,
                       d_eff_mpc: float | None = None, z: float | None = None, bins: int = 300,
                       scheduler: Any = "serial", n_workers: int | None = None,
                       chunk_size: int = 1, progress: bool = False,
                       data_seed: int = 0) -> dict[str, Any]:
    """Run (or resume) the future-sensitivity campaign and summarise it.

    Parameters
    ----------
    data, source
        Base data spec (as in :func:`bayesnu.inference.cnb.cnb_data`) and source name.
    years_added
        Years added to the sample's live time, yr.
    n_instances
        Mock data sets.
    out_dir, seed
        Campaign folder and master seed (resuming needs both unchanged).
    log10_eta
        Grid of log10 eta of every TS curve.
    data_seed
        Seed of the base data (for the SIMULATED sample only).
    """
    from bayesnu.inference.campaign import run_campaign

    x = tuple(float(v) for v in np.asarray(log10_eta, dtype=np.float64))
    meta = {"kind": "cnb-future-sensitivity", "data": data, "source": source,
            "years_added": float(years_added), "log10_eta": list(x), "m1": float(m1),
            "d_eff_mpc": d_eff_mpc, "z": z, "bins": int(bins), "data_seed": int(data_seed),
            "instance": "roi-candidates, cached transport, reco bins beyond the data (session 5)"}
    res = run_campaign(future_instances, int(n_instances), out_dir, seed, chunk_size=chunk_size,
                       args=(data, source, float(years_added), x, float(m1), d_eff_mpc, z,
                             int(bins), int(data_seed)),
                       scheduler=scheduler, n_workers=n_workers, progress=progress, meta=meta,
                       desc=f"future +{years_added:g} yr")
    ctx = sensitivity_context(data, source, float(m1), d_eff_mpc, z, int(bins), int(data_seed))
    out = summarise_sensitivity(np.array(x), res["ts"], res["eta_limit_90"], ctx.absorbed(x))
    out.update({"source": source, "data": ctx.info, "years_added": float(years_added),
                "simulated": True, "best_fit_power_law": {"ns": ctx.ns_pl, "gamma": ctx.gamma_pl,
                                                          "ts": ctx.ts_pl},
                "seconds_per_instance_median": float(np.median(res["seconds"])),
                "cpu_seconds_per_instance_median": (float(np.median(res["cpu_seconds"]))
                                                    if "cpu_seconds" in res.data else None),
                "chunks_run": res.n_chunks_run, "chunks_reused": res.n_chunks_reused,
                "seed": int(seed), "out_dir": str(out_dir)})
    return out


def sbc_log10_eta(rng: np.random.Generator, n_datasets: int, source, propagator,
                  log10_eta_range: tuple[float, float] = (15.0, 19.0), n_eta: int = 41,
                  ns_range: tuple[float, float] = (0.0, 100.0), n_ns: int = 41,
                  n_draws: int = 99, progress: bool = False) -> dict[str, Any]:
    """Simulation-based calibration of the grid posterior of log10 eta.

    Prior: log10 eta ~ U(log10_eta_range), ns ~ U(ns_range) (propagated signal events),
    gamma ~ U over the source's gamma nodes' range [gamma_min, gamma_max]. For each data set
    the truth is drawn from the prior, data are simulated with
    :func:`~bayesnu.inference.cnb.inject_overdensity` (RA-scrambled data + Poisson signal),
    and the posterior of log10 eta is computed on ``n_eta`` cells with ns (``n_ns`` nodes,
    trapezoid) and gamma (the source's gamma nodes, trapezoid) marginalised. The rank is the
    number of ``n_draws`` posterior draws (uniform within the cell drawn) below the truth
    (0 .. n_draws, uniform if calibrated). Also the posterior CDF at the truth (PIT) and the
    coverage of central credible intervals at :data:`SBC_LEVELS`.

    Returns
    -------
    dict with ``ranks`` (n_datasets,), ``pit``, ``truth`` (log10_eta, ns, gamma),
    ``coverage`` {level: fraction}, ``n_draws``, ``seconds``.
    """
    from bayesnu.ops.spectrum import transport_ratio

    t0 = time.perf_counter()
    lo, hi = map(float, log10_eta_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError(f"log10 eta prior range must be increasing, got {log10_eta_range}",
                         column="log10_eta_range")
    if not (0.0 <= ns_range[0] < ns_range[1] and n_eta >= 2 and n_ns >= 2 and n_draws >= 1):
        raise InputError("need 0 <= ns_min < ns_max, n_eta >= 2, n_ns >= 2, n_draws >= 1",
                         column="ns_range")
    edges = np.linspace(lo, hi, n_eta + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    ggrid = np.asarray(source.gamma_grid, dtype=np.float64)
    # ratio tables at the cell centres (all gamma nodes), computed once
    ratios = transport_ratio(propagator, 10.0 ** centres, ggrid)
    ns_nodes = np.linspace(ns_range[0], ns_range[1], n_ns)
    w_ns = np.full(n_ns, ns_nodes[1] - ns_nodes[0])
    w_ns[[0, -1]] *= 0.5
    w_g = np.gradient(ggrid)  # trapezoid weights on the (uniform) gamma nodes
    w_g[[0, -1]] *= 0.5
    ranks = np.empty(n_datasets, dtype=np.int64)
    pit = np.empty(n_datasets)
    truth = np.empty((n_datasets, 3))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_datasets, desc="SBC log10 eta", unit="data set", leave=False)
    for d in range(n_datasets):
        le = rng.uniform(lo, hi)
        ns_t = rng.uniform(*ns_range)
        g_t = rng.uniform(ggrid[0], ggrid[-1])
        truth[d] = (le, ns_t, g_t)
        cs, _ = inject_overdensity(rng, source, propagator, 10.0 ** le, g_t, ns_t)
        logp = np.empty(n_eta)
        for i in range(n_eta):
            lik = cs.mixture(ratios[i])
            vals = np.array([lik.ns_scan(g_, ns_nodes) for g_ in ggrid])  # (n_gamma, n_ns)
            m = np.max(vals)
            logp[i] = m + np.log(np.sum(w_g[:, None] * w_ns[None, :] * np.exp(vals - m)))
        if not np.all(np.isfinite(logp)):
            raise InputError("SBC grid posterior produced non-finite values", column="eta")
        p = np.exp(logp - logp.max())
        p /= p.sum()
        cdf_edges = np.concatenate([[0.0], np.cumsum(p)])
        k = min(int(np.searchsorted(edges, le, side="right")) - 1, n_eta - 1)
        pit[d] = cdf_edges[k] + p[k] * (le - edges[k]) / (edges[k + 1] - edges[k])
        cells = rng.choice(n_eta, size=n_draws, p=p)
        draws = rng.uniform(edges[cells], edges[cells + 1])
        ranks[d] = int(np.sum(draws < le))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    cov = {f"{lv:g}": float(np.mean(np.abs(pit - 0.5) <= lv / 2)) for lv in SBC_LEVELS}
    return {"ranks": ranks, "pit": pit, "truth": truth, "coverage": cov, "n_draws": int(n_draws),
            "n_datasets": int(n_datasets), "log10_eta_range": [lo, hi], "n_eta": int(n_eta),
            "ns_range": list(map(float, ns_range)), "n_ns": int(n_ns),
            "gamma_range": [float(ggrid[0]), float(ggrid[-1])],
            "seconds": time.perf_counter() - t0}


def sbc_instances(rng: np.random.Generator, n: int, data: str | None, source: str,
                  log10_eta_range: tuple[float, float], n_eta: int, ns_range: tuple[float, float],
                  n_ns: int, n_draws: int, m1: float = 0.0342, d_eff_mpc: float | None = None,
                  z: float | None = None, bins: int = 300) -> dict[str, np.ndarray]:
    """Campaign chunk function of :func:`sbc_campaign` (``n`` SBC data sets)."""
    ctx = sensitivity_context(data, source, float(m1), d_eff_mpc, z, int(bins), 0)
    r = sbc_log10_eta(rng, n, ctx.source, ctx.propagator, tuple(log10_eta_range), n_eta,
                      tuple(ns_range), n_ns, n_draws)
    return {"ranks": r["ranks"], "pit": r["pit"], "truth": r["truth"]}


def sbc_campaign(data: str | None, source: str, n_datasets: int, out_dir, seed: int,
                 log10_eta_range: tuple[float, float] = (15.0, 19.0), n_eta: int = 41,
                 ns_range: tuple[float, float] = (0.0, 100.0), n_ns: int = 41,
                 n_draws: int = 99, m1: float = 0.0342, d_eff_mpc: float | None = None,
                 z: float | None = None, bins: int = 300, scheduler: Any = "serial",
                 chunk_size: int = 10, progress: bool = False) -> dict[str, Any]:
    """:func:`sbc_log10_eta` as a resumable campaign; returns ranks, PIT and coverage."""
    from bayesnu.inference.campaign import run_campaign

    meta = {"kind": "cnb-sbc-log10-eta", "data": data, "source": source,
            "log10_eta_range": list(map(float, log10_eta_range)), "n_eta": int(n_eta),
            "ns_range": list(map(float, ns_range)), "n_ns": int(n_ns), "n_draws": int(n_draws),
            "m1": float(m1), "d_eff_mpc": d_eff_mpc, "z": z, "bins": int(bins)}
    res = run_campaign(sbc_instances, int(n_datasets), out_dir, seed, chunk_size=chunk_size,
                       args=(data, source, tuple(map(float, log10_eta_range)), int(n_eta),
                             tuple(map(float, ns_range)), int(n_ns), int(n_draws), float(m1),
                             d_eff_mpc, z, int(bins)),
                       scheduler=scheduler, progress=progress, meta=meta, desc="SBC log10 eta")
    pit = res["pit"]
    ranks = res["ranks"]
    hist = np.bincount(np.minimum(ranks * 10 // (n_draws + 1), 9), minlength=10)
    return {**meta, "n_datasets": int(pit.size), "ranks": ranks.tolist(), "pit": pit.tolist(),
            "truth_columns": ["log10_eta", "ns", "gamma"], "truth": res["truth"].tolist(),
            "rank_histogram_10_bins": hist.tolist(),
            "coverage": {f"{lv:g}": float(np.mean(np.abs(pit - 0.5) <= lv / 2))
                         for lv in SBC_LEVELS},
            "seconds": float(res.chunk_seconds), "seed": int(seed)}
