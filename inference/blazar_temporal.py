"""Temporal and simultaneity tests of neutrino alerts against blazar light curves.

* :func:`rt_test` -- R(t) of the sources inside the (enlarged) alert regions,
  pre-trial p(t) and bands from control samples (:func:`control_samples`):
  the same number of sources, drawn from the variable sources outside every
  alert region, each given an alert time (the time of the experimental pair it
  replaces, ``control_times="pairs"``, or a random alert's, ``"alerts"``).
* :func:`window_scan` -- choice of dT and of the region enlargement by
  RA-scrambled alerts: p = (M + 1)/(N + 1) of R(t = 0) for each (dT, factor).
* :func:`simultaneity_test` -- mean simultaneous-to-total flaring-time ratio of
  the sources inside the alert regions against N RA scrambles of the alerts,
  p = (M + 1)/(N + 1).

Kernels and conventions (window centring, shift sign, enlargement) are in
:mod:`bayesnu.blazar.temporal`. Random numbers: chunk ``k`` of every loop
uses ``inference.campaign.chunk_rng(seed, k)``; with ``out_dir`` the loop runs
as a resumable campaign (:func:`bayesnu.inference.campaign.run_campaign`,
serial scheduler), without it in memory -- both give identical numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from bayesnu.blazar.temporal import (
    Alerts,
    FlareLevels,
    dec_candidates,
    ratio,
    region_pairs,
    rt_observed,
    rt_samples,
    shared_window_weights,
    shift_grid,
    source_totals,
    window_start_offsets,
    window_sums,
)
from bayesnu.errors import InputError

from .campaign import chunk_rng, run_campaign
from .style import styled

__all__ = ["RtResult", "rt_test", "control_samples", "pretrial_p", "window_scan",
           "scramble_r0", "SimultaneityResult", "simultaneity_test", "plot_rt",
           "plot_window_scan"]


# --------------------------------------------------------------------------- loops

def _loop(fn, n: int, seed: int, args: tuple, chunk_size: int, out_dir, progress: bool,
          desc: str, meta: dict | None = None) -> dict[str, np.ndarray]:
    """Run ``fn(rng, n_chunk, *args)`` over chunks; in memory or as a resumable campaign."""
    if n < 1:
        raise InputError(f"number of trials {n} must be >= 1", column="n")
    if seed is None:
        raise InputError("a seed is needed", column="seed")
    if out_dir is not None:
        res = run_campaign(fn, n, out_dir, int(seed), chunk_size=chunk_size, args=args,
                           scheduler="serial", progress=progress, meta=meta, desc=desc)
        return {k: v for k, v in res.data.items() if not k.startswith("_")}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=desc, unit="trial", dynamic_ncols=True)
    outs: list[dict] = []
    try:
        for k in range(math.ceil(n / chunk_size)):
            outs.append(fn(chunk_rng(int(seed), k), chunk_size, *args))
            if bar is not None:
                bar.update(min(chunk_size, n - k * chunk_size))
    finally:
        if bar is not None:
            bar.close()
    return {key: np.concatenate([o[key] for o in outs])[:n] for key in outs[0]}


# --------------------------------------------------------------------------- RA scrambles

@numba.njit(cache=True)
def _scramble_r0_kernel(ras, cand_a, s_ra, rm, rp, cin_f, cin_w, ctot_f, ctot_w, out_r):
    n_scr = ras.shape[0]
    nd = cin_f.shape[1]
    acc = np.zeros((4, nd))
    for r in range(n_scr):
        acc[:] = 0.0
        for c in range(cand_a.size):
            a = cand_a[c]
            d = (s_ra[c] - ras[r, a] + 180.0) % 360.0 - 180.0
            if -rm[a] <= d <= rp[a]:
                for q in range(nd):
                    acc[0, q] += cin_f[c, q]
                    acc[1, q] += cin_w[c, q]
                    acc[2, q] += ctot_f[c]
                    acc[3, q] += ctot_w[c]
        for q in range(nd):
            iw = acc[1, q]
            ow = acc[3, q] - iw
            if iw > 0 and ow > 0:
                out_r[r, q] = (acc[0, q] / iw) / ((acc[2, q] - acc[0, q]) / ow)
            else:
                out_r[r, q] = np.nan


def _r0_chunk(rng, n, n_alerts, cand_a, s_ra, rm, rp, cin_f, cin_w, ctot_f, ctot_w):
    ras = rng.uniform(0.0, 360.0, size=(n, n_alerts))
    out = np.empty((n, cin_f.shape[1]))
    _scramble_r0_kernel(ras, cand_a, s_ra, rm, rp, cin_f, cin_w, ctot_f, ctot_w, out)
    return {"r0": out}


def _candidate_sums(levels: FlareLevels, ra, dec, alerts: Alerts, dTs, factor, mode, centre,
                    sign):
    ca, cs = dec_candidates(alerts, dec, factor, mode)
    ok = np.isfinite(levels.quiescent[cs]) & (levels.quiescent[cs] > 0)
    ca, cs = ca[ok], cs[ok]
    nd = len(dTs)
    cin_f = np.zeros((ca.size, nd))
    cin_w = np.zeros((ca.size, nd))
    ctot_f = np.zeros(ca.size)
    ctot_w = np.zeros(ca.size)
    for c in range(ca.size):
        for q, dT in enumerate(dTs):
            w = window_sums(levels, cs[c:c + 1], alerts.mjd[ca[c]:ca[c] + 1], np.zeros(1),
                            dT, centre, sign)
            cin_f[c, q], cin_w[c, q] = w["in_f"][0], w["in_w"][0]
        ctot_f[c], ctot_w[c] = float(w["tot_f"]), float(w["tot_w"])
    return ca, cs, cin_f, cin_w, ctot_f, ctot_w


def scramble_r0(levels: FlareLevels, ra, dec, alerts: Alerts, dTs, factor: float,
                n_scrambles: int, seed: int, mode: str = "linear", centre: str = "centred",
                sign: int = 1, chunk_size: int = 1000, out_dir=None, progress: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """R(t = 0) of the real alerts and of ``n_scrambles`` RA-scrambled alert sets, per dT.

    Returns ``(r0_observed (n_dT,), r0_scrambled (n_scrambles, n_dT))``.
    """
    dTs = np.atleast_1d(np.asarray(dTs, dtype=np.float64))
    ca, cs, cin_f, cin_w, ctot_f, ctot_w = _candidate_sums(levels, ra, dec, alerts, dTs, factor,
                                                           mode, centre, sign)
    rm, rp, _, _ = alerts.half_widths(factor, mode)
    s_ra = np.asarray(ra, dtype=np.float64)[cs]
    obs = np.empty((1, dTs.size))
    _scramble_r0_kernel(alerts.ra[None, :], ca, s_ra, rm, rp, cin_f, cin_w, ctot_f, ctot_w, obs)
    res = _loop(_r0_chunk, int(n_scrambles), seed,
                (len(alerts), ca, s_ra, rm, rp, cin_f, cin_w, ctot_f, ctot_w), chunk_size,
                out_dir, progress, f"RA scrambles (f={factor})",
                {"kind": "blazar_r0_scrambles", "factor": factor, "dT": dTs.tolist()})
    return obs[0], res["r0"]


def window_scan(levels: FlareLevels, ra, dec, alerts: Alerts, dTs, factors=(1.1, 1.3, 1.5),
                n_scrambles: int = 10_000, seed: int = 1, mode: str = "linear",
                centre: str = "centred", sign: int = 1, progress: bool = False
                ) -> dict[str, Any]:
    """p-value of R(0) by RA scrambles for every (dT, enlargement factor); the best pair.

    p = (M + 1)/(N + 1), M = scrambles with R(0) >= observed (NaN scrambles,
    without any source in a region, count as smaller).
    """
    dTs = np.atleast_1d(np.asarray(dTs, dtype=np.float64))
    p = np.full((len(factors), dTs.size), np.nan)
    r0 = np.full((len(factors), dTs.size), np.nan)
    npairs = np.zeros(len(factors), np.int64)
    for i, f in enumerate(factors):
        obs, scr = scramble_r0(levels, ra, dec, alerts, dTs, f, n_scrambles,
                               int(seed) + 7919 * i, mode, centre, sign, progress=progress)
        r0[i] = obs
        m = np.sum(np.nan_to_num(scr, nan=-np.inf) >= obs[None, :], axis=0)
        p[i] = (m + 1) / (n_scrambles + 1)
        npairs[i] = region_pairs(alerts, ra, dec, f, mode)[0].size
    i, j = np.unravel_index(np.nanargmin(p), p.shape)
    return {"dT_d": dTs.tolist(), "factors": list(map(float, factors)), "p_value": p.tolist(),
            "r0_observed": r0.tolist(), "n_pairs": npairs.tolist(),
            "best": {"dT_d": float(dTs[j]), "factor": float(factors[i]), "p_value": float(p[i, j])},
            "n_scrambles": int(n_scrambles)}


# --------------------------------------------------------------------------- control samples

def _control_chunk(rng, n, level_rows, pool, tidx_fixed, n_times, wflat, wsum, dur, pair_mode,
                   sample_size, replace):
    n_pairs = sample_size
    nb = level_rows.shape[1]
    if replace:
        picks = rng.integers(0, pool.size, size=(n, n_pairs))
    else:
        picks = np.argsort(rng.random((n, pool.size)), axis=1)[:, :n_pairs]
    src = pool[picks]
    tix = np.broadcast_to(tidx_fixed, (n, n_pairs)) if pair_mode else rng.integers(
        0, n_times, size=(n, n_pairs))
    M = np.zeros((n, n_times, nb))
    rows = np.repeat(np.arange(n), n_pairs)
    np.add.at(M, (rows, tix.ravel()), level_rows[src.ravel()])
    in_f = M.reshape(n, -1) @ wflat
    cnt = np.zeros((n, n_times))
    np.add.at(cnt, (rows, tix.ravel()), 1.0)
    in_w = cnt @ wsum
    tot_f = (level_rows[src] * dur[None, None, :]).sum(axis=(1, 2))
    tot_w = n_pairs * dur.sum()
    return {"r": ratio(in_f, in_w, tot_f[:, None], tot_w)}


def control_samples(levels: FlareLevels, pool: np.ndarray, pair_times: np.ndarray,
                    shifts: np.ndarray, dT: float, n_samples: int, seed: int,
                    control_times: str = "pairs", all_alert_times: np.ndarray | None = None,
                    centre: str = "centred", sign: int = 1, chunk_size: int = 500,
                    out_dir=None, progress: bool = False) -> np.ndarray:
    """R(t) of ``n_samples`` control samples; array (n_samples, n_shifts).

    Parameters
    ----------
    levels : FlareLevels
    pool : int array
        Rows of ``levels`` eligible as control sources (outside every alert region).
    pair_times : array (n_pairs,)
        Alert times of the experimental pairs; a sample has ``n_pairs`` sources.
    control_times : {"pairs", "alerts"}
        Control source j gets ``pair_times[j]`` (default) or a random time of
        ``all_alert_times``.
    """
    pool = np.asarray(pool, dtype=np.int64)
    pool = pool[np.isfinite(levels.quiescent[pool]) & (levels.quiescent[pool] > 0)]
    pair_times = np.asarray(pair_times, dtype=np.float64)
    n_pairs = pair_times.size
    if pool.size == 0 or n_pairs == 0:
        raise InputError("no control sources or no experimental pairs", column="pool")
    if control_times not in ("pairs", "alerts"):
        raise InputError(f"unknown control_times {control_times!r} (pairs, alerts)",
                         column="control_times")
    pair_mode = control_times == "pairs"
    replace = pool.size < n_pairs
    starts = window_start_offsets(shifts, dT, centre, sign)
    meta = {"kind": "blazar_rt_controls", "dT": float(dT), "n_shifts": int(starts.size),
            "control_times": control_times, "centre": centre, "sign": sign}
    if levels.shared_edges is not None:
        times = pair_times if pair_mode else np.asarray(all_alert_times, dtype=np.float64)
        ut, tidx = np.unique(times, return_inverse=True)
        W = shared_window_weights(levels.shared_edges, ut, starts, float(dT))
        wflat = np.ascontiguousarray(W.reshape(ut.size * W.shape[1], -1))
        wsum = W.sum(axis=1)
        dur = np.diff(levels.shared_edges)
        lev_rows = np.nan_to_num(levels.level)
        args = (lev_rows, pool, tidx if pair_mode else np.zeros(n_pairs, np.int64), ut.size,
                wflat, wsum, dur, pair_mode, n_pairs, replace)
        res = _loop(_control_chunk, int(n_samples), seed, args, chunk_size, out_dir, progress,
                    "control samples", meta)
    else:
        if not pair_mode and all_alert_times is None:
            raise InputError("control_times='alerts' needs all_alert_times", column="alerts")
        allt = pair_times if all_alert_times is None else np.asarray(all_alert_times, float)
        args = ((levels.lo, levels.hi, np.nan_to_num(levels.level), levels.npts), pool,
                pair_times, allt, float(dT), pair_mode, n_pairs, replace, centre, sign,
                np.asarray(shifts, float), source_totals(levels))
        res = _loop(_control_chunk_generic, int(n_samples), seed, args, chunk_size, out_dir,
                    progress, "control samples", meta)
    return res["r"]


def _control_chunk_generic(rng, n, levels_arrays, pool, times_fixed, all_times, width,
                           pair_mode, sample_size, replace, centre, sign, shifts, totals):
    lo, hi, lev, npts = levels_arrays
    lv = FlareLevels(lo, hi, lev, npts, np.ones(lo.shape[0]), np.zeros(lo.shape[0]))
    if replace:
        picks = rng.integers(0, pool.size, size=(n, sample_size))
    else:
        picks = np.argsort(rng.random((n, pool.size)), axis=1)[:, :sample_size]
    src = pool[picks]
    t = (np.broadcast_to(times_fixed, (n, sample_size)) if pair_mode
         else all_times[rng.integers(0, all_times.size, size=(n, sample_size))])
    return {"r": rt_samples(lv, src, t, shifts, width, centre, sign, totals)}


def pretrial_p(r_obs: np.ndarray, r_ctrl: np.ndarray) -> np.ndarray:
    """Pre-trial p(t) = (M(t) + 1)/(N + 1), M = control samples with R(t) >= observed."""
    n = r_ctrl.shape[0]
    m = np.sum(np.nan_to_num(r_ctrl, nan=-np.inf) >= r_obs[None, :], axis=0)
    return np.where(np.isfinite(r_obs), (m + 1) / (n + 1), np.nan)


@dataclass
class RtResult:
    """Result of :func:`rt_test` (shifts in days)."""

    shifts: np.ndarray
    r_obs: np.ndarray
    r_ctrl_mean: np.ndarray
    r_ctrl_bands: dict[str, np.ndarray]
    p_pretrial: np.ndarray
    pairs: list[tuple[str, str, float]]
    settings: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        k0 = int(np.argmin(np.abs(self.shifts)))
        kmin = int(np.nanargmin(self.p_pretrial)) if np.any(np.isfinite(self.p_pretrial)) else k0
        return {"settings": self.settings, "n_pairs": len(self.pairs),
                "n_sources_in_regions": len({p[1] for p in self.pairs}),
                "n_alerts_with_sources": len({p[0] for p in self.pairs}),
                "r_at_0": float(self.r_obs[k0]), "p_pretrial_at_0": float(self.p_pretrial[k0]),
                "min_p_pretrial": float(self.p_pretrial[kmin]),
                "shift_of_min_p_d": float(self.shifts[kmin]),
                "shifts_d": self.shifts.tolist(), "r": _fin(self.r_obs),
                "control_mean": _fin(self.r_ctrl_mean),
                "control_bands": {k: _fin(v) for k, v in self.r_ctrl_bands.items()},
                "p_pretrial": _fin(self.p_pretrial),
                "pairs": [{"alert": a, "source": s, "alert_mjd": t} for a, s, t in self.pairs],
                "seconds": self.seconds}


def _fin(a) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]


def rt_test(levels: FlareLevels, ra, dec, alerts: Alerts, dT: float, factor: float = 1.0,
            n_control: int = 10_000, seed: int = 1, mode: str = "linear",
            centre: str = "centred", sign: int = 1, t_max: float = 3600.0,
            step: float | None = None, control_times: str = "pairs",
            chunk_size: int = 500, out_dir=None, progress: bool = False,
            exclude: list[str] | tuple[str, ...] = ()) -> RtResult:
    """The temporal test: observed R(t), control bands and pre-trial p(t).

    Parameters
    ----------
    levels : FlareLevels
        Flare levels of the candidate sources (e.g. the 992 variable 4FGL-DR2 sources).
    ra, dec : arrays
        Their positions, deg.
    alerts : Alerts
    dT : float
        Window, days.
    factor : float
        Region enlargement (1.0 = the 90 % rectangles).
    n_control : int
        Control samples (1e4 published).
    t_max, step : float
        Shifts in [-t_max, t_max] days in steps of ``step`` (default dT/2).
    exclude : sequence of str
        Source names left out of the experiment and the control pool (robustness
        checks, e.g. without the few brightest flares; spaces ignored).
    """
    t0 = time.perf_counter()
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    good = np.isfinite(levels.quiescent) & (levels.quiescent > 0)
    if exclude:
        norm = np.char.upper(np.char.replace(levels.names.astype(str), " ", ""))
        ex = {str(x).replace(" ", "").upper() for x in exclude}
        unknown = ex - set(norm.tolist())
        if unknown:
            raise InputError(f"excluded source(s) not among the candidates: "
                             f"{', '.join(sorted(unknown))}", column="exclude")
        good &= ~np.isin(norm, list(ex))
    pa, ps = region_pairs(alerts, ra, dec, factor, mode)
    keep = good[ps]
    pa, ps = pa[keep], ps[keep]
    if pa.size == 0:
        raise InputError("no source with a usable light curve inside any alert region",
                         column="alerts")
    shifts = shift_grid(dT, t_max, step)
    r_obs = rt_observed(levels, ps, alerts.mjd[pa], shifts, dT, centre, sign)
    t1 = time.perf_counter()
    inside = np.zeros(levels.n_sources, bool)
    inside[ps] = True
    pool = np.flatnonzero(good & ~inside)
    r_ctrl = control_samples(levels, pool, alerts.mjd[pa], shifts, dT, n_control, seed,
                             control_times, alerts.mjd, centre, sign, chunk_size, out_dir,
                             progress)
    t2 = time.perf_counter()
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bands = {f"q{q:g}": np.nanpercentile(r_ctrl, q, axis=0)
                     for q in (2.5, 16, 50, 84, 97.5)}
            mean = np.nanmean(r_ctrl, axis=0)
    p = pretrial_p(r_obs, r_ctrl)
    pairs = [(str(alerts.name[a]), str(levels.names[s]), float(alerts.mjd[a]))
             for a, s in zip(pa, ps)]
    settings = {"dT_d": float(dT), "factor": float(factor), "enlargement": mode,
                "centre": centre, "sign": int(sign), "t_max_d": float(t_max),
                "step_d": float(shifts[1] - shifts[0]) if shifts.size > 1 else None,
                "n_control": int(n_control), "control_times": control_times, "seed": int(seed),
                "n_control_pool": int(pool.size), "excluded": list(exclude)}
    return RtResult(shifts, r_obs, mean, bands, p, pairs, settings,
                    {"observed": t1 - t0, "controls": t2 - t1})


# --------------------------------------------------------------------------- simultaneity

@numba.njit(cache=True)
def _simult_kernel(ras, cand_a, cand_s, s_ra, rm, rp, sim, tot, use_ratio, out):
    n_src = sim.size
    mark = np.zeros(n_src, np.int64)
    for r in range(ras.shape[0]):
        ssum = 0.0
        tsum = 0.0
        cnt = 0
        for c in range(cand_a.size):
            a = cand_a[c]
            s = cand_s[c]
            if mark[s] == r + 1:
                continue
            d = (s_ra[s] - ras[r, a] + 180.0) % 360.0 - 180.0
            if -rm[a] <= d <= rp[a]:
                mark[s] = r + 1
                cnt += 1
                if use_ratio:
                    ssum += sim[s] / tot[s]
                else:
                    ssum += sim[s]
                    tsum += tot[s]
        if cnt == 0:
            out[r] = np.nan
        elif use_ratio:
            out[r] = ssum / cnt
        else:
            out[r] = ssum / tsum if tsum > 0 else np.nan


def _simult_chunk(rng, n, n_alerts, ca, cs, s_ra, rm, rp, sim, tot, use_ratio):
    ras = rng.uniform(0.0, 360.0, size=(n, n_alerts))
    out = np.empty(n)
    _simult_kernel(ras, ca, cs, s_ra, rm, rp, sim, tot, use_ratio, out)
    return {"stat": out}


@dataclass
class SimultaneityResult:
    """Result of :func:`simultaneity_test`."""

    statistic: float
    p_value: float
    n_scrambles: int
    n_exceed: int
    n_sources_in_regions: int
    sources: list[str]
    scrambled_mean: float
    scrambled_std: float
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "p_value": self.p_value,
                "n_scrambles": self.n_scrambles, "n_exceed": self.n_exceed,
                "n_sources_in_regions": self.n_sources_in_regions, "sources": self.sources,
                "scrambled_mean": self.scrambled_mean, "scrambled_std": self.scrambled_std,
                "settings": self.settings}


def simultaneity_test(sim_time: np.ndarray, total_time: np.ndarray, ra, dec, names,
                      alerts: Alerts, factor: float = 1.0, n_scrambles: int = 100_000,
                      seed: int = 1, statistic: str = "mean_ratio", mode: str = "linear",
                      chunk_size: int = 10_000, out_dir=None, progress: bool = False
                      ) -> SimultaneityResult:
    """Simultaneity test: simultaneous / total flaring time of the sources in the alert regions.

    Parameters
    ----------
    sim_time, total_time : arrays (n_src,)
        Simultaneous and whole flaring time per source, days
        (:meth:`bayesnu.lightcurve.Stages.simultaneous_time`, ``.total_time``);
        only sources flaring in both bands (total > 0) take part.
    statistic : {"mean_ratio", "pooled"}
        Mean over the in-region sources of sim/total (default), or sum(sim)/sum(total).
    n_scrambles : int
        RA scrambles of the alerts (1e5 published); p = (M + 1)/(N + 1), M =
        scrambles with statistic >= observed (scrambles with no source in any
        region count as smaller).
    """
    sim = np.asarray(sim_time, dtype=np.float64)
    tot = np.asarray(total_time, dtype=np.float64)
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    names = np.asarray(names).astype(str)
    if statistic not in ("mean_ratio", "pooled"):
        raise InputError(f"unknown statistic {statistic!r} (mean_ratio, pooled)",
                         column="statistic")
    ok = np.isfinite(sim) & np.isfinite(tot) & (tot > 0)
    if not ok.any():
        raise InputError("no source flares in both bands", column="sources")
    sim, tot, ra, dec, names = sim[ok], tot[ok], ra[ok], dec[ok], names[ok]
    ca, cs = dec_candidates(alerts, dec, factor, mode)
    rm, rp, _, _ = alerts.half_widths(factor, mode)
    use_ratio = statistic == "mean_ratio"
    obs = np.empty(1)
    _simult_kernel(alerts.ra[None, :], ca, cs, ra, rm, rp, sim, tot, use_ratio, obs)
    if not np.isfinite(obs[0]):
        raise InputError("no flaring source inside any alert region", column="alerts")
    pa, ps = region_pairs(alerts, ra, dec, factor, mode)
    res = _loop(_simult_chunk, int(n_scrambles), seed,
                (len(alerts), ca, cs, ra, rm, rp, sim, tot, use_ratio), chunk_size, out_dir,
                progress, "RA scrambles", {"kind": "blazar_simultaneity", "factor": factor,
                                           "statistic": statistic})
    st = res["stat"]
    m = int(np.sum(np.nan_to_num(st, nan=-np.inf) >= obs[0]))
    return SimultaneityResult(float(obs[0]), (m + 1) / (n_scrambles + 1), int(n_scrambles), m,
                              int(np.unique(ps).size), sorted(set(names[ps].tolist())),
                              float(np.nanmean(st)), float(np.nanstd(st)),
                              {"factor": factor, "enlargement": mode, "statistic": statistic,
                               "seed": int(seed), "n_flaring_sources": int(sim.size)})


# --------------------------------------------------------------------------- plots

def plot_rt(res: RtResult, path, title: str | None = None, xlim: float | None = None) -> None:
    """R(t) with the control mean and 68 % / 95 % bands, and the pre-trial p(t) below (PNG/PDF).

    Drawn (in the shared style) by :func:`bayesnu.inference.plots.rt_plot` (p-values at
    their floor 1/(N+1) as upper bounds).
    """
    from bayesnu.inference.plots import rt_plot

    rt_plot(res, path, title=title, xlim=xlim)


@styled
def plot_window_scan(scan: dict[str, Any], path, title: str = "") -> None:
    """p-value of R(0) against dT for each enlargement factor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for f, p in zip(scan["factors"], scan["p_value"]):
        ax.plot(scan["dT_d"], p, marker="o", label=f"regions x{f:g}")
    ax.set_xscale("log")
    ax.set_xlabel("window dT (days)")
    ax.set_ylabel(f"p of R(0), {scan['n_scrambles']} RA scrambles")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def _save(fig, path) -> None:
    import matplotlib.pyplot as plt

    from bayesnu.atomic import savefig

    try:
        savefig(fig, path, dpi=120)
    finally:
        plt.close(fig)
