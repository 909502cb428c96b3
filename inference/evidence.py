"""Bayesian evidences with nautilus and Bayes factors between nested models.

The kernel returns ``log L - log L(ns = 0)``. For the background-only model
(ns = 0) this ratio is exactly 1 whatever the other parameters, so its
evidence is exactly ``ln Z_0 = 0`` in these units, and the Bayes factor of
signal over background is ``ln B_10 = ln Z_1`` (the nautilus estimate of the
signal model's evidence with the same ratio likelihood). Absolute evidences
add the constant ``log L(ns=0)`` (``log_l0``) to both.

Other nested comparisons (e.g. gamma fixed vs free, a flare vs a steady
source) take the difference of two :func:`evidence` results with
:func:`bayes_factor`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.fit import as_likelihood
from bayesnu.inference.results import Result

from bayesnu.errors import InputError

__all__ = ["EvidenceResult", "evidence", "bayes_factor", "weighted_quantile"]


@dataclass
class EvidenceResult(Result):
    """Evidence of one model.

    Attributes
    ----------
    log_z : float
        ln Z of the model with the ratio likelihood ``L / L(ns=0)``.
    log_z_err : float
        Its uncertainty, ``1/sqrt(n_eff)`` of nautilus' importance-sampling
        estimate (or the scatter of repeated runs when ``n_runs > 1``).
    ln_bf_vs_background : float
        ln Bayes factor against background only (= log_z).
    log_l0 : float or None
        log L(ns=0), the constant relating log_z to the absolute evidence.
    n_like : int
        Likelihood evaluations.
    n_eff : float
        Effective posterior sample size.
    posterior : dict
        Mean, sd and 5/50/95% quantiles of each free parameter (weighted).
    priors : dict
    fixed : dict
    wall_time_s : float
    runs : list of float
        ln Z of each independent run.
    points : dict or None
        With ``keep_points=True``: the first run's weighted posterior,
        ``{"names", "points" (n, d), "weights" (n,) summing to 1, "n_eff"}``
        (not written to JSON).
    """

    log_z: float
    log_z_err: float
    ln_bf_vs_background: float
    n_like: int
    n_eff: float
    posterior: dict[str, dict[str, float]]
    priors: dict[str, dict]
    fixed: dict[str, float] = field(default_factory=dict)
    log_l0: float | None = None
    wall_time_s: float = 0.0
    runs: list[float] = field(default_factory=list)
    points: dict[str, Any] | None = field(default=None, repr=False, metadata={"json": False})


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile ``q`` of samples ``x`` with weights ``w`` (linear in the cumulative weight)."""
    o = np.argsort(x)
    c = np.cumsum(w[o])
    c = c / c[-1]
    return np.interp(q, c, x[o])


def evidence(target: Any, priors: Mapping | None = None, fixed: Mapping[str, float] | None = None,
             n_live: int = 500, f_live: float = 0.01, n_eff: int = 2000,
             seed: int | None = None, n_runs: int = 1, log_l0: float | None = None,
             keep_points: bool = False, progress: bool = False) -> EvidenceResult:
    """ln Z of a point-source model and its Bayes factor against background only.

    Parameters
    ----------
    target
        PointSourceModel (its priors are used) or MixtureLikelihood with ``priors``.
    priors
        Priors overriding the model's (all must be proper: uniform, loguniform, normal).
    fixed
        Parameters held fixed (a nested sub-model, e.g. ``{"gamma": 2.0}``).
    n_live, f_live, n_eff
        nautilus settings (live points, stopping fraction, target effective size).
    seed
        Seed of nautilus' random generator.
    n_runs
        Independent runs; with > 1 the quoted error is their standard deviation
        (and log_z their mean).
    log_l0
        Optional ``log L(ns=0)`` to report with the result.
    keep_points
        Keep the first run's weighted posterior points in ``result.points``
        (e.g. for the posterior mass of flare modes, :mod:`bayesnu.inference.flare`).
    progress
        A running count of likelihood evaluations on stderr (nautilus' own
        status goes to stdout, which must stay clean for JSON).
    """
    from bayesnu.models.pointsource import default_priors
    from nautilus import Sampler

    L, pri = as_likelihood(target)
    if not pri:
        pri = default_priors(L)
    pri = dict(pri)
    pri.update(dict(priors or {}))
    fixed = {k: float(v) for k, v in (fixed or {}).items()}
    names = list(L.param_names)
    free = [p for p in names if p not in fixed]
    for p in free:
        if p not in pri:
            raise InputError(f"no prior for {p!r}", column=p)
        if not pri[p].proper:
            raise InputError(f"prior of {p!r} is improper; evidences need proper priors",
                             column=p)
    if "ns" in fixed and fixed["ns"] == 0.0:
        return EvidenceResult(log_z=0.0, log_z_err=0.0, ln_bf_vs_background=0.0, n_like=0,
                              n_eff=0.0, posterior={}, priors={}, fixed=fixed, log_l0=log_l0)
    base = np.array([fixed.get(p, 0.0) for p in names])
    idx = [names.index(p) for p in free]

    def prior_fn(u):
        return np.array([pri[p].transform(u[i]) for i, p in enumerate(free)])

    def like_fn(x):
        q = base.copy()
        q[idx] = x
        v, _ = L.evaluate(q)
        if bar is not None:
            bar.update(1)
        return v if np.isfinite(v) else -1e300

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="nautilus evidence", unit=" evals", dynamic_ncols=True, mininterval=0.5)

    t0 = time.perf_counter()
    if len(free) == 1:  # nautilus needs >= 2 dimensions: adaptive quadrature is exact here
        try:
            return _evidence_1d(L, pri[free[0]], free[0], like_fn, prior_fn, fixed, log_l0, t0)
        finally:
            if bar is not None:
                bar.close()
    runs, neffs, nlike = [], [], 0
    post_pts, post_w = None, None
    rng = np.random.default_rng(seed)
    for r in range(max(1, n_runs)):
        s = int(rng.integers(2**31 - 1)) if (seed is not None or r > 0) else None
        sampler = Sampler(prior_fn, like_fn, n_dim=len(free), n_live=n_live, seed=s)
        try:
            sampler.run(f_live=f_live, n_eff=n_eff, verbose=False)
        finally:
            if bar is not None and r == max(1, n_runs) - 1:
                bar.close()
        runs.append(float(sampler.log_z))
        neffs.append(float(sampler.n_eff))
        nlike += int(getattr(sampler, "n_like", 0))
        if r == 0:
            pts, log_w, _ = sampler.posterior()
            post_pts, post_w = pts, np.exp(log_w - log_w.max())
    log_z = float(np.mean(runs))
    err = float(np.std(runs, ddof=1)) if len(runs) > 1 else float(1.0 / np.sqrt(neffs[0]))
    summary = {}
    for i, p in enumerate(free):
        x = post_pts[:, i]
        w = post_w / post_w.sum()
        m = float(np.sum(w * x))
        summary[p] = {"mean": m, "sd": float(np.sqrt(np.sum(w * (x - m) ** 2))),
                      "q05": float(weighted_quantile(x, w, 0.05)),
                      "q50": float(weighted_quantile(x, w, 0.5)),
                      "q95": float(weighted_quantile(x, w, 0.95))}
    points = None
    if keep_points:
        points = {"names": list(free), "points": post_pts, "weights": post_w / post_w.sum(),
                  "n_eff": neffs[0]}
    return EvidenceResult(log_z=log_z, log_z_err=err, ln_bf_vs_background=log_z, n_like=nlike,
                          n_eff=float(np.mean(neffs)), posterior=summary,
                          priors={p: pri[p].to_dict() for p in free}, fixed=fixed,
                          log_l0=log_l0, wall_time_s=time.perf_counter() - t0, runs=runs,
                          points=points)


def _evidence_1d(L, prior, name, like_fn, prior_fn, fixed, log_l0, t0) -> EvidenceResult:
    """ln Z = ln int_0^1 L(T(u)) du by adaptive quadrature (one free parameter)."""
    from scipy.integrate import quad

    u = np.linspace(0.0, 1.0, 2001)
    ll = np.array([like_fn(prior_fn(np.array([x]))) for x in u])
    m = float(np.max(ll))
    upk = float(u[int(np.argmax(ll))])
    f = lambda x: np.exp(like_fn(prior_fn(np.array([x]))) - m)  # noqa: E731
    val, err = quad(f, 0.0, 1.0, points=[upk], limit=500, epsabs=0.0, epsrel=1e-9)
    w = np.exp(ll - m)
    x = np.array([prior_fn(np.array([v]))[0] for v in u])
    w = w / w.sum()
    mean = float(np.sum(w * x))
    summary = {name: {"mean": mean, "sd": float(np.sqrt(np.sum(w * (x - mean) ** 2))),
                      "q05": float(weighted_quantile(x, w, 0.05)),
                      "q50": float(weighted_quantile(x, w, 0.5)),
                      "q95": float(weighted_quantile(x, w, 0.95))}}
    log_z = m + float(np.log(val))
    return EvidenceResult(log_z=log_z, log_z_err=float(err / val), ln_bf_vs_background=log_z,
                          n_like=2001, n_eff=float(1.0 / np.sum(w ** 2)), posterior=summary,
                          priors={name: prior.to_dict()}, fixed=fixed, log_l0=log_l0,
                          wall_time_s=time.perf_counter() - t0, runs=[log_z])


def bayes_factor(a: EvidenceResult, b: EvidenceResult) -> tuple[float, float]:
    """ln B_ab = ln Z_a - ln Z_b and its error (errors added in quadrature)."""
    return a.log_z - b.log_z, float(np.hypot(a.log_z_err, b.log_z_err))


def blas_one_thread():
    """Context limiting BLAS to one thread (identical sums in every process; no-op without
    threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class CallStatus:
    """Likelihood-call counter with a tqdm status line on stderr."""

    def __init__(self, desc: str, enabled: bool) -> None:
        self.n = 0
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(desc=desc, unit="call", leave=False, file=sys.stderr,
                            mininterval=1.0)

    def tick(self) -> None:
        self.n += 1
        if self.bar is not None and self.n % 200 == 0:
            self.bar.update(200)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_box_nautilus(loglike, bounds: list[tuple[float, float]], n_live: int, seed: int | None,
                  n_eff: int = 3000, desc: str = "nautilus", progress: bool = False,
                     n_networks: int = 4):
    """nautilus run with a uniform prior on the box ``bounds`` (the one such runner of bayesnu).

    BLAS on one thread, a call-count status line ``desc`` on stderr with ``progress``;
    non-finite log-likelihoods count as -1e300. Returns (log Z, its error 1/sqrt(n_eff), all
    explored points, their log weights, ``n_eff`` equal-weight draws resampled with
    ``seed``, likelihood calls)."""
    from nautilus import Sampler

    lo = np.array([b[0] for b in bounds])
    width = np.array([b[1] - b[0] for b in bounds])
    status = CallStatus(desc, progress)

    def prior(u):
        return lo + u * width

    def like(x):
        status.tick()
        v = loglike(x)
        return float(v) if np.isfinite(v) else -1e300

    try:
        with blas_one_thread():
            s = Sampler(prior, like, n_dim=len(bounds), n_live=int(n_live), seed=seed,
                        pass_dict=False, n_networks=int(n_networks))
            s.run(n_eff=int(n_eff), verbose=False)
            pts, logw, _ = s.posterior(equal_weight=False)
            rng = np.random.default_rng(seed)
            w = np.exp(logw - logw.max())
            w /= w.sum()
            draws = pts[rng.choice(pts.shape[0], size=int(max(n_eff, 1)), replace=True, p=w)]
    finally:
        status.close()
    return float(s.log_z), float(1.0 / np.sqrt(max(s.n_eff, 1.0))), pts, logw, draws, status.n
