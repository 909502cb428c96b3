"""Background trials (RA scrambles) and the comparison of the TS distribution with Wilks.

Each trial scrambles the right ascensions of every sample uniformly inside its
footprint (declinations, energies and times kept), rebuilds only the
parameter-independent spatial cache of the events near the source, and fits
(ns, gamma). Under the background hypothesis Wilks' theorem with the ns >= 0
boundary predicts ``TS ~ 1/2 delta(0) + 1/2 chi2_1`` (one parameter at the
boundary; gamma is undefined at ns = 0, so in practice the tail lies between
chi2_1 and chi2_2). :func:`wilks_comparison` measures the departure.

For one source without a time PDF the trials run on the compiled fast path
:class:`bayesnu.likelihood.trial.TrialKernel` (same scrambles for the same
generator; ns-profiled global fit, equal to or better than the multi-start
L-BFGS-B maximum); ``fast=False`` forces the general path.

:func:`background_trials_campaign` runs the same trials on the resumable
campaign runner (:mod:`bayesnu.inference.campaign`): chunk files written as
they finish, resumed after a kill without loss or duplication, serially, on
a local dask cluster, an existing scheduler or a batch cluster. Its trials
depend only on ``(seed, chunk index)``, so every way of running it gives the
same numbers.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.fit import fit
from bayesnu.inference.results import Result
from scipy import stats
from scipy.optimize import minimize_scalar

from bayesnu.likelihood import LikelihoodSetup

__all__ = ["TrialsResult", "background_trials", "background_trial_chunk",
           "background_trials_campaign", "wilks_comparison"]


@dataclass
class TrialsResult(Result):
    """TS, ns and gamma of background trials.

    Attributes
    ----------
    ts, ns, gamma : list of float
    seed : int or None
    seconds_per_trial : float
    wilks : dict
        :func:`wilks_comparison` of the TS values.
    """

    ts: list[float]
    ns: list[float]
    gamma: list[float]
    seed: int | None = None
    seconds_per_trial: float = 0.0
    wilks: dict[str, Any] = field(default_factory=dict)

    def p_value(self, ts: float) -> float:
        """Fraction of trials with TS >= ts (with the (k+1)/(n+1) convention)."""
        t = np.asarray(self.ts)
        return float((np.sum(t >= ts) + 1) / (t.size + 1))


def background_trials(setup: LikelihoodSetup, n_trials: int,
                      rng: np.random.Generator | int | None = None,
                      progress: bool = False, n_gamma_starts: int = 2,
                      fast: bool = True) -> TrialsResult:
    """Run ``n_trials`` RA-scrambled background fits.

    Parameters
    ----------
    setup
        :class:`~bayesnu.likelihood.LikelihoodSetup` of the data and source(s).
    n_trials
        Number of trials.
    rng
        numpy Generator or seed.
    progress
        tqdm progress bar on stderr.
    n_gamma_starts
        Fit starts per trial (general path only).
    fast
        Use :class:`~bayesnu.likelihood.trial.TrialKernel` when the set-up has
        one source and ``ns_min = 0`` (no stacking); otherwise, or if False,
        scramble with :meth:`LikelihoodSetup.scrambled` and fit with
        :func:`~bayesnu.inference.fit`.
    """
    seed = rng if isinstance(rng, int | np.integer) else None
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    it = range(int(n_trials))
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="trials", unit="trial")
    ts, ns, gam = [], [], []
    kernel = None
    if fast and len(setup.sources) == 1 and setup.ns_min == 0.0:
        try:
            from bayesnu.likelihood.trial import TrialKernel
        except ImportError:  # numba missing: the general path gives the same trials
            TrialKernel = None
        if TrialKernel is not None:
            kernel = TrialKernel(setup)
    t0 = time.perf_counter()
    for _ in it:
        if kernel is not None:
            a, b, c = kernel.trial(rng)
            ts.append(a)
            ns.append(b)
            gam.append(c)
            continue
        L = setup.scrambled(rng)
        r = fit(L, n_gamma_starts=n_gamma_starts)
        ts.append(r.ts)
        ns.append(r.params["ns"])
        gam.append(r.params["gamma"])
    dt = (time.perf_counter() - t0) / max(1, int(n_trials))
    return TrialsResult(ts=ts, ns=ns, gamma=gam, seed=None if seed is None else int(seed),
                        seconds_per_trial=dt, wilks=wilks_comparison(np.array(ts)))


def background_trial_chunk(rng: np.random.Generator, n: int, setup: LikelihoodSetup,
                           fast: bool = True) -> dict[str, np.ndarray]:
    """Campaign chunk: ``n`` background trials -> ``{"ts", "ns", "gamma"}`` arrays of length n."""
    r = background_trials(setup, n, rng=rng, fast=fast)
    return {"ts": np.asarray(r.ts, dtype=np.float64), "ns": np.asarray(r.ns, dtype=np.float64),
            "gamma": np.asarray(r.gamma, dtype=np.float64)}


def background_trials_campaign(setup: LikelihoodSetup, n_trials: int, seed: int,
                               out_dir: str | os.PathLike | None = None, chunk_size: int = 100,
                               scheduler: Any = "serial", n_workers: int | None = None,
                               progress: bool = False, meta: dict[str, Any] | None = None,
                               fast: bool = True, cluster: str | None = None,
                               cluster_config: Any = None) -> tuple[TrialsResult, dict[str, Any]]:
    """Background trials on the resumable campaign runner.

    Parameters
    ----------
    setup
        Likelihood set-up of the data and source(s).
    n_trials
        Number of trials.
    seed
        Master seed (>= 0): chunk k draws from ``SeedSequence(seed, spawn_key=(k,))``.
    out_dir
        Campaign folder (resumable); ``None`` runs in a temporary folder removed afterwards.
    chunk_size
        Trials per chunk file.
    scheduler, n_workers, cluster, cluster_config
        Where chunks run (:func:`bayesnu.inference.campaign.run_campaign`).
    progress
        tqdm progress bar on stderr.
    meta
        Settings recorded in the manifest (a rerun with other settings is refused).
    fast
        Compiled trial kernel where possible (see :func:`background_trials`).

    Returns
    -------
    TrialsResult, dict
        The trials and the campaign summary (chunks run/reused, timings, folder).
    """
    from bayesnu.inference.campaign import run_campaign

    def run(folder: str | os.PathLike) -> tuple[TrialsResult, dict[str, Any]]:
        camp = run_campaign(background_trial_chunk, int(n_trials), folder, seed=int(seed),
                            chunk_size=int(chunk_size), args=(setup, fast),
                            scheduler=scheduler, n_workers=n_workers, progress=progress,
                            meta=dict(meta or {}), desc="trials", cluster=cluster,
                            cluster_config=cluster_config)
        ts = camp["ts"]
        n = max(1, ts.size)
        res = TrialsResult(ts=ts.tolist(), ns=camp["ns"].tolist(), gamma=camp["gamma"].tolist(),
                           seed=int(seed), seconds_per_trial=camp.chunk_seconds
                           / (n + (-n) % camp.chunk_size),
                           wilks=wilks_comparison(ts))
        summ = camp.summary()
        if out_dir is None:
            summ["out_dir"] = None
        return res, summ

    if out_dir is not None:
        return run(out_dir)
    with tempfile.TemporaryDirectory(prefix="bayesnu-trials-") as tmp:
        return run(os.path.join(tmp, "campaign"))


def wilks_comparison(ts: np.ndarray, ts_zero: float = 1e-6) -> dict[str, Any]:
    """Compare a background TS sample with the Wilks expectation.

    Returns
    -------
    dict
        ``eta`` (fraction of TS > 0; Wilks: 0.5), ``ndof`` (maximum-likelihood
        chi2 dof of the TS > 0 part), ``ks_chi2_1`` (KS distance of the TS > 0
        part to chi2_1), and for thresholds of the mixture
        ``eta chi2_ndof`` vs ``1/2 chi2_1``: the observed tail fractions
        above the Wilks 1%/0.1% TS values.
    """
    t = np.asarray(ts, dtype=np.float64)
    pos = t[t > ts_zero]
    out: dict[str, Any] = {"n": int(t.size), "eta": float(pos.size / max(t.size, 1))}
    if pos.size < 5:
        out.update(ndof=float("nan"), ks_chi2_1=float("nan"))
        return out
    res = minimize_scalar(lambda k: -np.sum(stats.chi2.logpdf(pos, k)), bounds=(0.2, 6.0),
                          method="bounded")
    out["ndof"] = float(res.x)
    out["ks_chi2_1"] = float(stats.kstest(pos, stats.chi2(1).cdf).statistic)
    out["median_ts"] = float(np.median(t))
    tails = {}
    for p in (0.1, 0.01, 0.001):
        thr = stats.chi2.isf(2 * p, 1)  # 1/2 chi2_1 mixture threshold
        tails[f"{p:g}"] = {"wilks_ts": float(thr), "observed_fraction": float(np.mean(t >= thr))}
    out["tails"] = tails
    return out
