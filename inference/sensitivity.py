"""Flare sensitivity, discovery potential, upper limits and the diffuse-flux comparison.

Method of the IceCube 2023 all-sky cascade flare search (see the glossary of
the documentation for the reference).

* **Signal trials**: a Gaussian flare ``(T0, sigma_t)`` of spectrum ``E^-gamma``
  (default 2.53, the diffuse cascade index) is injected with a Poisson number
  of events of mean ``ns`` (drawn with the detector's effective area, energy
  response and angular errors, :func:`bayesnu.simulate.signal_sample`) into an
  RA- and time-scrambled background; the flare search is run at the source.
* **90% sensitivity**: the mean ``ns`` at which 90% of signal trials exceed the
  median background TS. **5 sigma discovery potential**: the mean ``ns`` at
  which 50% exceed the 5 sigma threshold TS (one-sided p = 2.87e-7). The
  threshold is extrapolated from the background ensemble with an exponential
  fit to its upper tail (the top 10%), as usual when 1e7 trials are out of
  reach; the quantile itself is used when the ensemble is large enough.
* The fraction of trials above a threshold is modelled as a smooth, monotone
  function of ``ns``: ``f(ns) = f0 + (1 - f0) / (1 + exp(-(a + b ln ns)))``
  with ``b > 0`` and ``f0`` the fraction of *background* trials above the
  threshold, fitted by binomial maximum likelihood to the passing counts of
  all grid points (:func:`fit_passing`), then inverted. This is stable where
  a point-by-point interpolation jumps with the trial noise.
* **Uncertainties**: a bootstrap (default 200 resamples) redraws the
  background trials (so the median and the 5 sigma threshold move) and the
  signal trials of every grid point, refits and inverts; the 16-84% range is
  reported (``*_err`` fields, same unit as the value).
* **Common random numbers**: every width ``sigma_t`` uses the same random
  stream (same scrambles, Poisson draws and flare centres), so the curves vs
  ``sigma_t`` differ by the physics, not by independent trial noise.
* Defaults: 1,000 background trials, 100 signal trials per ``ns`` point
  (``SensitivityResult.n_bg``, ``n_trials`` state them).
* **Fluence**: ``ns`` converts to the energy-weighted fluence at 100 TeV of
  :func:`bayesnu.detector.aeff.ns_to_fluence` (GeV cm^-2, wall-clock time).
* **Upper limits** (90% CL) from data: the mean ``ns`` at which 90% of signal
  trials exceed the observed TS (Neyman, as in the IceCube 2023 cascade flare search).
* **Diffuse comparison**: a flare fluence spread over the live time is a
  time-averaged flux per source; the all-sky diffuse cascade flux per flavour
  (Aartsen et al. 2020: E^-2.53, 1.66e-18 GeV^-1 cm^-2 s^-1 sr^-1 at 100 TeV)
  times 4 pi sr divided by it is the number of such flares that would make
  up the diffuse flux (all-flavour flux = 3x per flavour for a 1:1:1 ratio).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesnu.data.core import EventSample
from bayesnu.errors import InputError

__all__ = ["DIFFUSE_CASCADE", "signal_trials", "threshold_5sigma", "passing_ns", "fit_passing",
           "SensitivityResult", "flare_sensitivity", "upper_limit", "flares_for_diffuse",
           "plot_sensitivity"]

#: Aartsen et al. 2020 (PRL 125, 121104) diffuse cascade flux, per flavour
DIFFUSE_CASCADE = {"gamma": 2.53, "phi0_per_flavour": 1.66e-18, "e0_gev": 1e5}
P_5SIGMA = 2.866515718791939e-07


def _signal_events(rng, sample, ra, dec, gamma, n, t0, sigma_t, cache):
    from bayesnu.simulate import signal_sample

    if n == 0:
        return None
    key = "models"
    if key not in cache:
        from bayesnu.simulate.inject import angular_model_for, response_for

        cache[key] = (response_for(sample), angular_model_for(sample))
    resp, ang = cache[key]
    with warnings.catch_warnings():  # numerical warnings of the injection's far tails only
        warnings.simplefilter("ignore", RuntimeWarning)
        ev, _ = signal_sample(rng, sample, ra, dec, gamma, int(n), flare=("gauss", t0, sigma_t),
                              response=resp, angular_model=ang)
    return ev


def signal_trials(rng: np.random.Generator, model, ra: float, dec: float, ns_mean: float,
                  sigma_t: float, n: int, gamma: float = DIFFUSE_CASCADE["gamma"],
                  t0: float | None = None, pdf: str = "gauss", sigma_min: float | None = None,
                  cache: dict | None = None) -> dict[str, np.ndarray]:
    """``n`` signal trials (injected Gaussian flare + scrambled background), flare fit each.

    Parameters
    ----------
    model : FlareSampleModel
        Likelihood parts of the sample (:func:`bayesnu.flare.trials.make_model`).
    ns_mean : float
        Mean injected events (Poisson-fluctuated per trial).
    t0 : float, optional
        Flare centre (default: uniform in live time per trial, away from the edges).

    Returns
    -------
    dict
        ``ts, ns_fit, n_inj, t0_fit, sigma_fit`` arrays.
    """
    from bayesnu.flare.analysis import default_sigma_min
    from bayesnu.flare.search import FlareData, fit_flare

    cache = {} if cache is None else cache
    s = model.sample
    fp = s.footprint
    lo, hi = max(fp.ra_min, 0.0), min(fp.ra_max, 360.0)
    smin = default_sigma_min(s) if sigma_min is None else sigma_min
    out = {k: np.empty(n) for k in ("ts", "ns_fit", "n_inj", "t0_fit", "sigma_fit")}
    up = model.uptime
    for i in range(n):
        k = int(rng.poisson(ns_mean))
        tc = t0 if t0 is not None else float(up.sample(rng, 1)[0])
        fd = model.data_at(ra, dec, ra=lambda m: rng.uniform(lo, hi, m),
                           time=lambda m: up.sample(rng, m))
        ev = _signal_events(rng, s, ra, dec, gamma, k, tc, sigma_t, cache)
        if ev is not None and ev.size:
            lsp, le = model.event_sob(ra, dec, ev)
            fd = FlareData(np.concatenate([fd.t, ev.time]),
                           np.concatenate([fd.log_sob_space, lsp]),
                           np.concatenate([fd.log_sob_energy, le], axis=1), fd.gamma_grid,
                           fd.n_total + ev.size, fd.intervals,
                           np.concatenate([fd.index, -1 - np.arange(ev.size)]), fd.unorm)
        f = fit_flare(fd, pdf=pdf, sigma_min=smin)
        out["ts"][i], out["ns_fit"][i], out["n_inj"][i] = f.ts, f.ns, k
        out["t0_fit"][i], out["sigma_fit"][i] = f.t0, f.sigma_t
    return out


def threshold_5sigma(bg_ts: np.ndarray, tail: float = 0.1) -> float:
    """TS with one-sided background p-value 2.87e-7 (5 sigma).

    Quantile of the ensemble if it has > 10/p trials; else an exponential fitted
    (maximum likelihood) to the top ``tail`` fraction, extrapolated.
    """
    bg = np.sort(np.asarray(bg_ts, dtype=np.float64))
    if bg.size < 20:
        raise InputError(f"need >= 20 background trials, got {bg.size}", column="ts")
    if bg.size > 10 / P_5SIGMA:
        return float(np.quantile(bg, 1 - P_5SIGMA))
    x0 = float(np.quantile(bg, 1 - tail))
    exc = bg[bg > x0] - x0
    lam = 1.0 / max(np.mean(exc), 1e-9)
    frac = exc.size / bg.size
    return float(x0 + np.log(frac / P_5SIGMA) / lam)


def passing_ns(ns_grid: np.ndarray, frac: np.ndarray, target: float) -> float:
    """Mean ns at which the passing fraction reaches ``target`` (linear interpolation).

    The fraction is made non-decreasing first; NaN if never reached.
    """
    f = np.maximum.accumulate(np.asarray(frac, dtype=np.float64))
    g = np.asarray(ns_grid, dtype=np.float64)
    if f[-1] < target:
        return float("nan")
    j = int(np.argmax(f >= target))
    if j == 0:
        return float(g[0])
    return float(g[j - 1] + (target - f[j - 1]) * (g[j] - g[j - 1]) / max(f[j] - f[j - 1], 1e-12))


def fit_passing(ns_grid: np.ndarray, n_pass: np.ndarray, n_trials: np.ndarray,
                floor: float = 0.0) -> tuple[float, float]:
    """Binomial maximum-likelihood fit of a monotone passing fraction in ``ln ns``.

    Model: ``f(ns) = floor + (1 - floor) * expit(a + b ln ns)`` with ``b > 0``.

    Parameters
    ----------
    ns_grid : array, shape (k,)
        Mean injected signal events of each grid point (> 0).
    n_pass, n_trials : array, shape (k,)
        Trials above the threshold, and trials, per grid point.
    floor : float
        Passing fraction without signal (background trials above the threshold).

    Returns
    -------
    (a, b) : tuple of float
        Fitted parameters (``b`` > 0).
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    x = np.log(np.asarray(ns_grid, dtype=np.float64))
    k = np.asarray(n_pass, dtype=np.float64)
    n = np.asarray(n_trials, dtype=np.float64)
    fl = float(np.clip(floor, 0.0, 0.999))

    def nll(theta):
        a, lb = theta
        f = fl + (1 - fl) * expit(a + np.exp(lb) * x)
        f = np.clip(f, 1e-12, 1 - 1e-12)
        return -float(np.sum(k * np.log(f) + (n - k) * np.log1p(-f)))

    frac = (k + 0.5) / (n + 1.0)
    mid = x[int(np.argmin(np.abs(frac - 0.5 * (1 + fl))))]
    best = None
    for lb0 in (0.0, 1.0, 2.0):
        r = minimize(nll, np.array([-np.exp(lb0) * mid, lb0]), method="Nelder-Mead",
                     options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
        if best is None or r.fun < best.fun:
            best = r
    return float(best.x[0]), float(np.exp(best.x[1]))


def _invert_passing(a: float, b: float, floor: float, target: float, ns_max: float) -> float:
    """ns where the fitted passing fraction reaches ``target``; NaN beyond 2 x ns_max."""
    if target <= floor:
        return 0.0
    q = (target - floor) / (1.0 - floor)
    if q >= 1.0:
        return float("nan")
    ns = float(np.exp((np.log(q / (1 - q)) - a) / b))
    return ns if ns <= 2.0 * ns_max else float("nan")


def _ns_at(grid, ts_lists, thr, floor, target):
    k = np.array([np.count_nonzero(t > thr) for t in ts_lists], dtype=np.float64)
    n = np.array([t.size for t in ts_lists], dtype=np.float64)
    if k[-1] / n[-1] < target and (k / n).max() < target:
        return float("nan")
    a, b = fit_passing(grid, k, n, floor)
    return _invert_passing(a, b, floor, target, float(grid[-1]))


@dataclass
class SensitivityResult:
    """Sensitivity and discovery potential vs sigma_t at one declination.

    Arrays run over the flare widths ``sigma_t`` (days). ``*_err`` arrays have
    shape ``(n_sigma_t, 2)``: the bootstrap 16% and 84% quantiles, same unit.
    """

    dec: float
    gamma: float
    sigma_t: np.ndarray
    ns_sens: np.ndarray
    ns_disc: np.ndarray
    fluence_sens: np.ndarray
    fluence_disc: np.ndarray
    bg_median: float
    ts_5sigma: float
    n_trials: int
    n_bg: int = 0
    n_boot: int = 0
    ns_sens_err: np.ndarray | None = None
    ns_disc_err: np.ndarray | None = None
    fluence_sens_err: np.ndarray | None = None
    fluence_disc_err: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form: units in the keys, ``axes`` says what every array runs over."""
        def arr(x):
            return None if x is None else np.asarray(x).tolist()

        return {"dec_deg": self.dec, "gamma": self.gamma, "sigma_t_days": arr(self.sigma_t),
                "ns_sensitivity_events": arr(self.ns_sens),
                "ns_sensitivity_events_err_16_84": arr(self.ns_sens_err),
                "ns_discovery_events": arr(self.ns_disc),
                "ns_discovery_events_err_16_84": arr(self.ns_disc_err),
                "fluence_sensitivity_gev_cm2": arr(self.fluence_sens),
                "fluence_sensitivity_gev_cm2_err_16_84": arr(self.fluence_sens_err),
                "fluence_discovery_gev_cm2": arr(self.fluence_disc),
                "fluence_discovery_gev_cm2_err_16_84": arr(self.fluence_disc_err),
                "background_median_ts": self.bg_median, "ts_5sigma": self.ts_5sigma,
                "background_trials": self.n_bg, "signal_trials_per_ns_point": self.n_trials,
                "bootstrap_resamples": self.n_boot,
                "axes": {"sigma_t_days and every *_events / *_gev_cm2 array": "flare width",
                         "*_err_16_84": "(flare width, [16%, 84%] bootstrap quantile)",
                         "passing_*": "{flare width: [fraction per ns_grid point]}"},
                "units": {"fluence": "GeV cm^-2 (E0^2 dN/dE integrated over the flare, "
                                     "E0 = 100 TeV)", "ns": "mean injected signal events",
                          "sigma_t": "days", "dec": "deg"},
                **self.extra}


def _fluence(sample: EventSample, dec: float, ns: float, gamma: float, t0: float,
             sigma: float) -> float:
    from bayesnu.detector.aeff import ns_to_fluence

    if not np.isfinite(ns):
        return float("nan")
    return float(ns_to_fluence(sample, dec, ns, gamma, 1e5, ("gauss", t0, sigma)))


#: trials per chunk of the sensitivity's trial campaigns (``trials_dir``)
SENS_CHUNK = 50

#: energy tables of the injected events, recorded in the signal-trial campaigns' manifests.
#: The flare model's tables extend beyond the data's energy range (signal events above
#: every real event used to be put into the top data cell), so a signal campaign written
#: before (its manifest lacks this key) is refused instead of resumed with other numbers;
#: background campaigns resume (the data's own S/B did not change)
SIGNAL_TABLES = "extended"

_MODELS: dict[int, tuple[Any, Any, dict]] = {}


def _model_for(sample: EventSample):
    """The sample's flare likelihood parts and injection cache, built once per process."""
    from bayesnu.flare.trials import make_model

    got = _MODELS.get(id(sample))
    if got is None or got[0] is not sample:
        _MODELS.clear()
        got = _MODELS[id(sample)] = (sample, make_model(sample), {})
    return got[1], got[2]


def background_chunk(rng: np.random.Generator, n: int, sample: EventSample, ra: float,
                     dec: float) -> dict[str, np.ndarray]:
    """Campaign chunk: ``n`` scrambled background flare fits at ``(ra, dec)`` (deg); ``ts``."""
    from bayesnu.flare.trials import scrambled_fit

    model, _ = _model_for(sample)
    return {"ts": np.array([scrambled_fit(rng, model, ra, dec).ts for _ in range(n)])}


def signal_chunk(rng: np.random.Generator, n: int, sample: EventSample, ra: float, dec: float,
                 ns_mean: float, sigma_t: float, gamma: float) -> dict[str, np.ndarray]:
    """Campaign chunk: ``n`` signal trials (:func:`signal_trials`) of one ``(sigma_t, ns)``."""
    model, cache = _model_for(sample)
    return signal_trials(rng, model, ra, dec, ns_mean, sigma_t, n, gamma, cache=cache)


def _trial_ts(fn, n: int, seed: int, args: tuple, folder, meta: dict, desc: str,
              progress: bool) -> np.ndarray:
    """TS of ``n`` trials as a resumable campaign in ``folder`` (chunks of ``min(n, SENS_CHUNK)``,
    chunk k drawn from :func:`bayesnu.inference.campaign.chunk_rng` ``(seed, k)``)."""
    from bayesnu.inference.campaign import run_campaign

    return run_campaign(fn, n, folder, seed, chunk_size=min(int(n), SENS_CHUNK), args=args,
                        scheduler="serial", progress=progress, meta=meta, desc=desc)["ts"]


def _sub_seed(*key: int) -> int:
    return int(np.random.SeedSequence(list(key)).generate_state(1)[0])


def flare_sensitivity(sample: EventSample, dec: float, sigma_t=(0.1, 1.0, 10.0, 100.0),
                      gamma: float = DIFFUSE_CASCADE["gamma"], ra: float = 180.0,
                      n_bg: int = 1000, n_sig: int = 100, ns_grid=None,
                      seed: int = 1, n_boot: int = 200, progress: bool = False,
                      trials_dir=None) -> SensitivityResult:
    """90% sensitivity and 5 sigma discovery potential (ns and fluence) vs sigma_t.

    Parameters
    ----------
    sample : EventSample
        The event sample.
    dec : float
        Declination, degrees.
    sigma_t : sequence of float
        Flare widths, days.
    gamma : float
        Injected spectral index.
    ra : float
        Right ascension of the test position, degrees.
    n_bg : int
        Background trials (median TS and the 5 sigma threshold).
    n_sig : int
        Signal trials per ``ns`` grid point.
    ns_grid : sequence of float, optional
        Mean injected events (default 0.5 ... 85); each width stops at the
        first point where >= 95% of trials pass the median and >= 60% the
        5 sigma threshold.
    seed : int
        Seed of the trials and the bootstrap.
    n_boot : int
        Bootstrap resamples for the uncertainties (0: none).
    progress : bool
        Progress bars on stderr.
    trials_dir : path, optional
        Folder of resumable trial campaigns (:func:`bayesnu.inference.campaign.run_campaign`):
        ``background`` and one ``signal_sigma<s>_ns<n>`` folder per width and ns point. A
        killed run resumes from it with the same result as an uninterrupted one. The
        campaigns draw per-chunk random streams, so their numbers differ (within the trial
        statistics) from a run without ``trials_dir``, which draws one stream per role.

    Returns
    -------
    SensitivityResult

    Notes
    -----
    The flare centre is the middle of the live time for the fluence
    conversion and uniform in live time in the trials. Every width uses the same
    random numbers (common random numbers): without ``trials_dir`` one stream
    per width, restarted for each; with it one campaign seed per ns point.
    """
    from pathlib import Path

    if n_bg < 20 or n_sig < 5:
        raise InputError(f"need >= 20 background and >= 5 signal trials, got {n_bg} and "
                         f"{n_sig}", column="n_bg")
    base = None if trials_dir is None else Path(trials_dir)
    if base is None:
        from bayesnu.flare.trials import make_model

        model, cache = make_model(sample), {}
    else:
        model, cache = _model_for(sample)  # the campaign chunks' own copy
        base.mkdir(exist_ok=True)
    meta = {"sample": sample.name, "ra": float(ra), "dec": float(dec), "master_seed": int(seed)}
    if base is None:
        from bayesnu.flare.trials import scrambled_fit

        rng_bg = np.random.default_rng([seed, 0])
        it: Any = range(n_bg)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"background trials dec {dec:+.0f}", unit="trial",
                      dynamic_ncols=True)
        bg = np.array([scrambled_fit(rng_bg, model, ra, dec).ts for _ in it])
    else:
        bg = _trial_ts(background_chunk, n_bg, _sub_seed(seed, 0), (sample, ra, dec),
                       base / "background", meta, f"background trials dec {dec:+.0f}",
                       progress)
    med = float(np.median(bg))
    t5 = threshold_5sigma(bg)
    grid = np.asarray(ns_grid if ns_grid is not None else
                      [0.5, 1, 2, 3, 4, 6, 8, 11, 15, 20, 27, 36, 48, 64, 85], dtype=np.float64)
    sig = np.atleast_1d(np.asarray(sigma_t, dtype=np.float64))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sig.size * grid.size, desc=f"signal trials dec {dec:+.0f}",
                   unit="ns point", dynamic_ncols=True)
    ts_all: list[list[np.ndarray]] = []
    for s in sig:
        rng = np.random.default_rng([seed, 1])  # common random numbers across widths
        lists: list[np.ndarray] = []
        for j, g in enumerate(grid):
            if base is None:
                r = signal_trials(rng, model, ra, dec, g, s, n_sig, gamma, cache=cache)
            else:  # the seed of an ns point does not depend on the width
                r = {"ts": _trial_ts(signal_chunk, n_sig, _sub_seed(seed, 1, j),
                                     (sample, ra, dec, float(g), float(s), float(gamma)),
                                     base / f"signal_sigma{s:g}_ns{g:g}",
                                     {**meta, "sigma_t": float(s), "ns_mean": float(g),
                                      "gamma": float(gamma), "energy_tables": SIGNAL_TABLES},
                                     "", False)}
            lists.append(r["ts"])
            if bar is not None:
                bar.update(1)
            if np.mean(r["ts"] > med) >= 0.95 and np.mean(r["ts"] > t5) >= 0.6:
                break
        if bar is not None and len(lists) < grid.size:
            bar.total -= grid.size - len(lists)   # early stop: the bar ends at 100%
            bar.refresh()
        ts_all.append(lists)
    if bar is not None:
        bar.close()

    def estimate(bg_, lists_all):
        m_, t_ = float(np.median(bg_)), threshold_5sigma(bg_)
        f_s, f_d = float(np.mean(bg_ > m_)), float(np.mean(bg_ > t_))
        out_s, out_d = [], []
        for lists in lists_all:
            gg = grid[:len(lists)]
            out_s.append(_ns_at(gg, lists, m_, f_s, 0.9))
            out_d.append(_ns_at(gg, lists, t_, f_d, 0.5))
        return np.array(out_s), np.array(out_d)

    ns_s, ns_d = estimate(bg, ts_all)
    tmid = 0.5 * (model.uptime.start + model.uptime.stop)
    flu_s = np.array([_fluence(sample, dec, n, gamma, tmid, s) for n, s in zip(ns_s, sig)])
    flu_d = np.array([_fluence(sample, dec, n, gamma, tmid, s) for n, s in zip(ns_d, sig)])
    errs: dict[str, np.ndarray | None] = dict.fromkeys(("ns_s", "ns_d", "flu_s", "flu_d"))
    if n_boot > 0:
        rng_b = np.random.default_rng([seed, 2])
        bs_s, bs_d = np.full((n_boot, sig.size), np.nan), np.full((n_boot, sig.size), np.nan)
        for i in range(n_boot):
            bg_b = rng_b.choice(bg, bg.size)
            lists_b = [[rng_b.choice(t, t.size) for t in lists] for lists in ts_all]
            bs_s[i], bs_d[i] = estimate(bg_b, lists_b)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            errs["ns_s"] = np.nanquantile(bs_s, [0.16, 0.84], axis=0).T
            errs["ns_d"] = np.nanquantile(bs_d, [0.16, 0.84], axis=0).T
        # fluence is linear in ns at fixed (dec, gamma, sigma_t)
        with np.errstate(invalid="ignore", divide="ignore"):
            errs["flu_s"] = errs["ns_s"] * (flu_s / ns_s)[:, None]
            errs["flu_d"] = errs["ns_d"] * (flu_d / ns_d)[:, None]
    return SensitivityResult(
        dec=dec, gamma=gamma, sigma_t=sig, ns_sens=ns_s, ns_disc=ns_d, fluence_sens=flu_s,
        fluence_disc=flu_d, bg_median=med, ts_5sigma=t5, n_trials=n_sig, n_bg=int(bg.size),
        n_boot=int(n_boot), ns_sens_err=errs["ns_s"], ns_disc_err=errs["ns_d"],
        fluence_sens_err=errs["flu_s"], fluence_disc_err=errs["flu_d"],
        extra={"ns_grid": grid.tolist(),
               "passing_sensitivity": {str(float(s)): [float(np.mean(t > med)) for t in lists]
                                       for s, lists in zip(sig, ts_all)},
               "passing_discovery": {str(float(s)): [float(np.mean(t > t5)) for t in lists]
                                     for s, lists in zip(sig, ts_all)}})


def upper_limit(sample: EventSample, ra: float, dec: float, ts_obs: float, sigma_t: float,
                t0: float, gamma: float = DIFFUSE_CASCADE["gamma"], n_sig: int = 40,
                ns_grid=None, seed: int = 1, cl: float = 0.9) -> dict[str, float]:
    """90% CL upper limit on ns, fluence and time-averaged flux for a flare (t0, sigma_t).

    ``ns_UL``: mean injected ns at which a fraction ``cl`` of signal trials has
    TS above the observed TS. The fluence follows from the effective area; the
    time-averaged flux normalisation (GeV^-1 cm^-2 s^-1 at 100 TeV) distributes
    the fluence over the sample's live time.
    """
    from bayesnu.flare.trials import make_model

    rng = np.random.default_rng(seed)
    model = make_model(sample)
    grid = np.asarray(ns_grid if ns_grid is not None else
                      [1, 2, 3, 4, 6, 8, 11, 15, 20, 27, 36, 50], dtype=np.float64)
    fr = []
    cache: dict = {}
    for g in grid:
        r = signal_trials(rng, model, ra, dec, g, sigma_t, n_sig, gamma, t0=t0, cache=cache)
        fr.append(np.mean(r["ts"] > ts_obs))
        if fr[-1] >= min(1.0, cl + 0.05):
            break
    ns_ul = passing_ns(grid[:len(fr)], np.array(fr), cl)
    flu = _fluence(sample, dec, ns_ul, gamma, t0, sigma_t)
    live_s = sample.uptime.livetime_s
    return {"ns_ul": ns_ul, "fluence_ul_gev_cm2": flu,
            "time_averaged_flux_ul": flu / (1e5**2 * live_s) if np.isfinite(flu) else np.nan,
            "cl": cl, "sigma_t": sigma_t, "t0": t0, "gamma": gamma, "ts_obs": ts_obs,
            "passing": fr, "ns_grid": grid[:len(fr)].tolist()}


def flares_for_diffuse(fluence_gev_cm2: np.ndarray, livetime_s: float, gamma: float = 2.53,
                       all_flavour_factor: float = 3.0) -> np.ndarray:
    """How many flares of this (per-flavour fluence at 100 TeV) make the diffuse cascade flux.

    A flare's fluence spread over the live time is the time-averaged flux
    ``phi = F / (E0^2 T_live)``; the all-sky diffuse flux per flavour is
    ``4 pi * 1.66e-18`` (same spectrum assumed); the ratio is the number of
    such flares per live time. ``all_flavour_factor`` converts when the flare
    fluence is all-flavour (cascades see all flavours; 1:1:1 at Earth).
    """
    if gamma != DIFFUSE_CASCADE["gamma"]:
        warnings.warn("flare spectrum differs from the diffuse E^-2.53: the comparison holds "
                      "at 100 TeV only", stacklevel=2)
    phi_flare = np.asarray(fluence_gev_cm2, dtype=np.float64) / (1e5**2 * livetime_s)
    diffuse = 4 * np.pi * DIFFUSE_CASCADE["phi0_per_flavour"] * all_flavour_factor
    return diffuse / phi_flare


def plot_sensitivity(results: list[SensitivityResult], path, ul: dict | None = None,
                     livetime_s: float | None = None) -> str:
    """Fluence vs sigma_t (left) and time-averaged flux vs the diffuse flux (right).

    Bootstrap 16-84% ranges are drawn as error bars; the legend states the
    trial counts. Drawn in the style of :mod:`bayesnu.inference.style`.
    """
    import matplotlib.pyplot as plt
    from bayesnu.inference.style import label, save_figure, use_style

    def bars(ax, x, y, err, **kw):
        if err is None:  # --n-boot 0: no ranges, same marker and line style
            return ax.plot(x, y, kw.pop("fmt"), **kw)
        e = np.asarray(err, dtype=np.float64)
        lo, hi = np.clip(y - e[:, 0], 0, None), np.clip(e[:, 1] - y, 0, None)
        return ax.errorbar(x, y, yerr=np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)]),
                           capsize=3, **kw)

    with use_style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 5.2))
        for k, r in enumerate(results):
            bars(a1, r.sigma_t, r.fluence_sens, r.fluence_sens_err, fmt="-o", color=f"C{k}",
                 label=f"90% sensitivity, dec {r.dec:+.0f} deg")
            bars(a1, r.sigma_t, r.fluence_disc, r.fluence_disc_err, fmt="--s", color=f"C{k}",
                 label=f"5 sigma discovery, dec {r.dec:+.0f} deg")
            if livetime_s:
                f = r.fluence_sens / (1e10 * livetime_s)
                e = None if r.fluence_sens_err is None else r.fluence_sens_err / (
                    1e10 * livetime_s)
                bars(a2, r.sigma_t, f, e, fmt="-o", color=f"C{k}",
                     label=f"sensitivity, dec {r.dec:+.0f} deg")
        if ul is not None and livetime_s:
            a2.plot([ul["sigma_t"]], [ul["time_averaged_flux_ul"]], "v", color="k", ms=9,
                    label="90% upper limit (data)")
        a2.axhline(4 * np.pi * DIFFUSE_CASCADE["phi0_per_flavour"] * 3, color="gray", ls=":",
                   label="diffuse cascade flux x 4 pi sr (all flavour)")
        for ax in (a1, a2):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(label("sigma_t"))
        a1.set_ylabel(label("fluence"))
        a2.set_ylabel("time-averaged " + label("flux"))
        if results:
            r0 = results[0]
            a1.set_title(f"{r0.n_bg:,} background trials, {r0.n_trials} signal trials per "
                         f"ns point, {r0.n_boot} bootstrap resamples (16-84%)", fontsize=11)
        a1.legend(fontsize=9.5)
        a2.legend(fontsize=9.5)
        fig.tight_layout()
        return save_figure(fig, path)
