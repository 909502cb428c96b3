"""Test-statistic profiles and Wilks intervals.

For a parameter ``a`` on a grid of values, every other parameter is re-fitted
(profiled out). ``delta_ts(a) = 2 [log L(best) - log L(a, profiled)]``; the
Wilks interval at confidence level ``cl`` is ``{a : delta_ts(a) <= chi2_1(cl)}``
(crossings found by linear interpolation on the grid; an interval touching a
grid end is open there and flagged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.fit import FitResult, as_likelihood, default_bounds, fit
from bayesnu.inference.results import Result
from scipy.stats import chi2

from bayesnu.errors import InputError

__all__ = ["ProfileResult", "profile", "wilks_interval"]


def wilks_interval(values: np.ndarray, delta_ts: np.ndarray, cl: float = 0.9
                   ) -> tuple[float, float, bool, bool]:
    """Interval where ``delta_ts <= chi2.ppf(cl, 1)``.

    Returns
    -------
    lo, hi, lo_open, hi_open
        Bounds and whether each touches the end of the grid (so the true
        bound lies beyond, or at a physical boundary such as ns = 0).
    """
    x = np.asarray(values, dtype=np.float64)
    d = np.asarray(delta_ts, dtype=np.float64)
    thr = chi2.ppf(cl, 1)
    ok = np.isfinite(d) & (d <= thr)
    if not ok.any():
        i = int(np.nanargmin(d))
        return float(x[i]), float(x[i]), False, False
    i0 = int(np.argmin(np.where(np.isfinite(d), d, np.inf)))
    # walk left and right from the minimum
    lo_i = i0
    while lo_i > 0 and ok[lo_i - 1]:
        lo_i -= 1
    hi_i = i0
    while hi_i < x.size - 1 and ok[hi_i + 1]:
        hi_i += 1
    lo_open = lo_i == 0
    hi_open = hi_i == x.size - 1
    lo = x[lo_i]
    if not lo_open and np.isfinite(d[lo_i - 1]):
        a, b = d[lo_i - 1], d[lo_i]
        lo = x[lo_i - 1] + (thr - a) / (b - a) * (x[lo_i] - x[lo_i - 1])
    hi = x[hi_i]
    if not hi_open and np.isfinite(d[hi_i + 1]):
        a, b = d[hi_i], d[hi_i + 1]
        hi = x[hi_i] + (thr - a) / (b - a) * (x[hi_i + 1] - x[hi_i])
    return float(lo), float(hi), bool(lo_open), bool(hi_open)


@dataclass
class ProfileResult(Result):
    """TS profile along one parameter.

    Attributes
    ----------
    param : str
    values : list of float
        Grid of the profiled parameter.
    ts : list of float
        2 [log L(a, profiled) - log L(ns=0)] at each grid value.
    delta_ts : list of float
        2 [log L(best) - log L(a, profiled)] (>= 0).
    profiled : dict of str -> list
        Best values of the other parameters along the grid.
    best : dict
        Global best fit (FitResult as dict).
    intervals : dict
        ``{"0.68": [lo, hi, lo_open, hi_open], "0.9": [...]}`` Wilks intervals.
    """

    param: str
    values: list[float]
    ts: list[float]
    delta_ts: list[float]
    profiled: dict[str, list[float]]
    best: dict[str, Any]
    intervals: dict[str, list] = field(default_factory=dict)

    def interval(self, cl: float = 0.9) -> tuple[float, float]:
        lo, hi, _, _ = self.intervals[f"{cl:g}"]
        return lo, hi


def profile(target: Any, param: str, values: Sequence[float] | None = None,
            cls: Sequence[float] = (0.68, 0.9), fixed: Mapping[str, float] | None = None,
            bounds: Mapping[str, tuple[float, float]] | None = None, n_points: int = 41,
            best: FitResult | None = None) -> ProfileResult:
    """TS profile of ``param`` with the other parameters profiled out.

    Parameters
    ----------
    target
        PointSourceModel or MixtureLikelihood.
    param
        Parameter name (``"ns"``, ``"gamma"``, a temporal parameter).
    values
        Grid; default ``n_points`` values over the fit bounds (for ns: from 0
        to a few times the best fit plus its scale).
    cls
        Confidence levels of the Wilks intervals.
    fixed, bounds
        As in :func:`bayesnu.inference.fit`.
    best
        A global best fit (recomputed if not given).
    """
    L, priors = as_likelihood(target)
    if param not in L.param_names:
        raise InputError(f"unknown parameter {param!r}; have {L.param_names}", column=param)
    fixed = dict(fixed or {})
    if best is None:
        best = fit(target, fixed=fixed, bounds=bounds)
    i = L.param_names.index(param)
    bnds = default_bounds(L, priors, bounds)[i]
    if values is None:
        if param == "ns":
            hi = min(bnds[1], max(3.0 * best.params["ns"] + 15.0, 20.0))
            values = np.linspace(bnds[0], hi, n_points)
        else:
            values = np.linspace(bnds[0], bnds[1], n_points)
    values = np.asarray(values, dtype=np.float64)
    ts = np.empty(values.size)
    prof: dict[str, list[float]] = {p: [] for p in L.param_names if p != param}
    prev = np.array([best.params[p] for p in L.param_names])
    for j, v in enumerate(values):
        fx = dict(fixed)
        fx[param] = float(v)
        s1 = prev.copy()
        s1[i] = v
        s2 = np.array([best.params[p] for p in L.param_names])
        s2[i] = v
        starts = [s1, s2]
        if param != "gamma":
            s3 = s2.copy()
            s3[1] = 3.0
            starts.append(s3)
        r = fit(L, starts=starts, fixed=fx, bounds=bounds)
        ts[j] = 2.0 * r.logl
        for p in prof:
            prof[p].append(r.params[p])
        prev = np.array([r.params[p] for p in L.param_names])
    best_ts = max(2.0 * best.logl, float(np.nanmax(ts)))
    delta = best_ts - ts
    intervals = {f"{cl:g}": list(wilks_interval(values, delta, cl)) for cl in cls}
    return ProfileResult(param=param, values=values.tolist(), ts=ts.tolist(),
                         delta_ts=delta.tolist(), profiled=prof, best=best.to_dict(),
                         intervals=intervals)
