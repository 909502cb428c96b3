"""Coverage of the upper limit on eta by pseudo-experiments.

A pseudo-experiment at a true overdensity ``eta_true``: the data with right ascensions
scrambled plus ``ns`` signal events (Poisson mean, after propagation) of the spectrum
propagated at ``eta_true`` (:func:`bayesnu.inference.cnb.inject_overdensity`). The upper
limit covers the truth when ``eta_limit >= eta_true``.

Fast decision (``method="fast"``, default). The limit is the first crossing of the
threshold above the curve's minimum (:func:`bayesnu.inference.cnb.upper_limit`), so for a
curve that rises monotonically from its minimum

    covers  <=>  eta_hat > eta_true  or  D(eta_true) < threshold,

with ``eta_hat`` the position of the minimum and ``D`` the statistic of the convention
(``"paper"``: TS itself, relative to the best power law; ``"one-sided"``: TS - min(0, TS_min)).
A pseudo-experiment therefore needs the power-law fit, the fit at ``eta_true`` and the
position and value of the minimum -- from the profile on a coarse grid (default 25
points) instead of a 60-200 point profile, and with the transport ratios of the grid, of
``eta_true`` and of the injection computed once (they do not depend on the data). The
full-profile decision (``method="profile"``: profile on the grid with ``eta_true`` inserted,
then :func:`~bayesnu.inference.cnb.upper_limit`) gives the same answer for curves without
a second crossing (tests/inference/test_cnb.py compares the two).

Statistics: the papers' convention (threshold 2.706 for "90%") is the two-sided chi2_1
quantile on a one-sided limit: asymptotically it covers 95%. The one-sided profile-
likelihood limit at 90% uses 1.642 = chi2_1 quantile 0.80 on TS - TS_min (TS set to 0
above the best fit, i.e. only the crossing above eta_hat counts); asymptotically it covers
90%. Both decisions come from the same pseudo-experiments. Non-asymptotic effects (the
boundary eta >= 0, the plateau where the signal is absorbed) push the coverage up, so
the true etas are best chosen where the data are sensitive.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from bayesnu.inference.cnb import (
    column_mpc,
    eta_grid_for_column,
    eta_profile,
    eta_ratio_table,
    inject_overdensity,
    limit_threshold,
    upper_limit,
)

from bayesnu.errors import InputError
from bayesnu.ops.spectrum import CnbSource, transport_ratio

__all__ = ["limit_coverage", "coverage_trials", "coverage_table"]


def _grid_with(x: np.ndarray, le: float) -> tuple[np.ndarray, int]:
    """The grid with ``le`` inserted (kept sorted); returns it and the index of ``le``."""
    if np.any(np.isclose(x, le, rtol=0.0, atol=1e-12)):
        k = int(np.argmin(np.abs(x - le)))
        return x, k
    k = int(np.searchsorted(x, le))
    return np.insert(x, k, le), k


def coverage_trials(rng: np.random.Generator, n: int, source: CnbSource, propagator,
                    eta_true: float, ns: float, gamma: float, log10_eta: np.ndarray,
                    ratios: np.ndarray | None = None, method: str = "fast",
                    progress: Any = None) -> dict[str, np.ndarray]:
    """``n`` pseudo-experiments at one true eta; per experiment the numbers of the decision.

    Parameters
    ----------
    rng
        numpy Generator.
    n
        Pseudo-experiments.
    source, propagator
        CnuB source (data, PDFs) and transport.
    eta_true, ns, gamma
        True overdensity (> 0), mean signal events after propagation, spectral index.
    log10_eta
        Grid of the minimum search (``method="fast"``) or of the profile
        (``method="profile"``); ``log10(eta_true)`` is inserted.
    ratios
        Transport ratios of the grid *with* ``eta_true`` inserted (computed if None).
    method
        ``"fast"``: fits at the grid points and at eta_true only, decision by the rule of
        the module docstring. ``"profile"``: the same fits, decision by
        :func:`~bayesnu.inference.cnb.upper_limit` on the curve.
        Both return the same arrays; ``method`` changes only ``covers_*``.

    Returns
    -------
    dict
        ``ts_true`` TS(eta_true) (relative to the power law), ``ts_min`` min(0, min TS over
        the grid), ``log10_eta_hat`` (-inf when the minimum is eta = 0), and
        ``covers_paper`` / ``covers_one_sided`` (bool as float) for the 90% limit.
    """
    if not (np.isfinite(eta_true) and eta_true > 0):
        raise InputError(f"the true eta must be > 0, got {eta_true}", column="eta")
    if method not in ("fast", "profile"):
        raise InputError(f"method must be 'fast' or 'profile', got {method!r}", column="method")
    le = float(np.log10(eta_true))
    x, k = _grid_with(np.asarray(log10_eta, dtype=np.float64), le)
    if ratios is None:
        ratios = eta_ratio_table(source, propagator, x)
    r_inj = transport_ratio(propagator, [eta_true], [gamma])[0, 0]
    thr_p = limit_threshold(0.9, "paper")
    thr_o = limit_threshold(0.9, "one-sided")
    out = {key: np.empty(n) for key in ("ts_true", "ts_min", "log10_eta_hat", "covers_paper",
                                         "covers_one_sided")}
    for i in range(n):
        cs, _ = inject_overdensity(rng, source, propagator, eta_true, gamma, ns, ratio=r_inj)
        prof = eta_profile(cs, propagator, x, ratios=ratios)
        ts = prof.ts
        j = int(np.argmin(ts))
        ts_min = min(0.0, float(ts[j]))
        eta_hat = float(x[j]) if ts[j] < 0.0 else -np.inf
        out["ts_true"][i] = ts[k]
        out["ts_min"][i] = ts_min
        out["log10_eta_hat"][i] = eta_hat
        if method == "fast":
            above = eta_hat > le
            out["covers_paper"][i] = float(above or ts[k] < thr_p)
            out["covers_one_sided"][i] = float(above or ts[k] - ts_min < thr_o)
        else:
            out["covers_paper"][i] = float(upper_limit(x, ts, 0.9, "paper") >= eta_true)
            out["covers_one_sided"][i] = float(upper_limit(x, ts, 0.9, "one-sided") >= eta_true)
        if progress is not None:
            progress.update(1)
    return out


def coverage_table(per_eta: dict[float, dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """Coverage and binomial error of both conventions per true eta."""
    rows = []
    for eta, r in per_eta.items():
        m = int(r["ts_true"].size)
        row: dict[str, Any] = {"eta": float(eta), "n": m}
        for conv in ("paper", "one_sided"):
            c = float(np.mean(r[f"covers_{conv}"]))
            row[f"coverage_{conv}"] = c
            row[f"binomial_error_{conv}"] = float(np.sqrt(c * (1.0 - c) / m)) if m else float("nan")
        row["median_ts_true"] = float(np.median(r["ts_true"]))
        row["fraction_eta_hat_above_truth"] = float(np.mean(r["log10_eta_hat"] > np.log10(eta)))
        rows.append(row)
    return rows


def limit_coverage(source: CnbSource, propagator, etas: Sequence[float], n_trials: int,
                   ns: float, gamma: float, rng: np.random.Generator,
                   log10_eta: np.ndarray | None = None, cl: float = 0.9,
                   progress: bool = False, method: str = "fast",
                   n_grid: int = 25) -> dict[str, Any]:
    """Coverage of the 90% upper limit (both conventions) by pseudo-experiments.

    For each true eta, ``n_trials`` pseudo-experiments (:func:`coverage_trials`); the
    fraction whose limit is >= the truth, with binomial error ``sqrt(c (1 - c) / n)``, for
    the papers' convention (TS >= 2.706; nominal coverage 95% asymptotically) and the
    one-sided limit (TS - TS_min >= 1.642; nominal 90%).

    Parameters
    ----------
    log10_eta
        Grid of the minimum search / profile (default ``n_grid`` points over the default
        eta x d_eff range of :func:`~bayesnu.inference.cnb.eta_grid_for_column`).
    cl
        Only 0.9 is supported (the conventions' thresholds are fixed at 90%).
    method
        ``"fast"`` or ``"profile"`` (see :func:`coverage_trials`).
    """
    if cl != 0.9:
        raise InputError("coverage is computed for the 90% limit only", column="cl")
    t0 = time.perf_counter()
    c0 = time.process_time()
    x = (eta_grid_for_column(column_mpc(propagator.geometry), n_grid) if log10_eta is None
         else np.asarray(log10_eta, dtype=np.float64))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(etas) * int(n_trials), desc="coverage", unit="trial", leave=False)
    per: dict[float, dict[str, np.ndarray]] = {}
    for eta in etas:
        xe, _ = _grid_with(x, float(np.log10(eta)))
        per[float(eta)] = coverage_trials(rng, int(n_trials), source, propagator, float(eta),
                                          ns, gamma, xe, eta_ratio_table(source, propagator, xe),
                                          method=method, progress=bar)
    if bar is not None:
        bar.close()
    rows = coverage_table(per)
    return {"cl": cl, "n_trials": int(n_trials), "ns": float(ns), "gamma": float(gamma),
            "method": method, "grid_points": int(x.size),
            "thresholds": {"paper": limit_threshold(0.9, "paper"),
                           "one_sided": limit_threshold(0.9, "one-sided")},
            "conventions": {"paper": "TS(eta) relative to the power law >= 2.706 (two-sided "
                                     "chi2_1 90% quantile; asymptotic coverage 95%)",
                            "one_sided": "TS(eta) - min(0, min TS) >= 1.642 above the best "
                                         "fit (chi2_1 quantile 0.80; asymptotic coverage 90%)"},
            "per_eta": rows, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0,
            "trials": {f"{eta:g}": {k: v.tolist() for k, v in r.items()}
                       for eta, r in per.items()}}

