"""Could a cascade fit skip the ns profiles of its hopeless candidate flares, exactly?

A flare fit ranks ~2,700 candidate flares (T0, sigma_t) per cascade pixel by their
ns-profiled TS (``rank_windows``) and refines only the best few. A candidate whose TS is
provably below the last one picked could skip its ns profile without changing the fit.
Per random pixel of one RA- and time-scrambled sky this script measures:

- the ranking itself (``rank_windows``, CPU) and a pass that only computes every
  candidate's event S/B (exponentials, no ns profile), i.e. what any exact bound must pay;
- a cheap bound per candidate (slope at ns = 0 from the sum of the S/B; otherwise the
  two largest S/B, the rest linearised), checked against the ranked TS, and how many
  candidates it leaves to profile (those at or above the fit's picked thresholds);
- the sum of the spatial x energy S/B over the ROI against N: under background it is ~N,
  so the slope at ns = 0 is ~0 for every wide flare and a slope test cannot prune.

Usage (BENCHMARKS.md, session 7)::

    bayesnu simulate cascade --out cascade_seed1.npz --seed 1
    python benchmarks/bench_cascade_candidates.py --data cascade_seed1.npz --pixels 40
"""

from __future__ import annotations

import argparse
import json
import time

import numba
import numpy as np

from bayesnu.flare import search as S
from bayesnu.flare._kernels import rank_windows
from bayesnu.flare.analysis import default_sigma_min, load_data
from bayesnu.flare.roi import sample_model
from bayesnu.flare.scan import pixel_grid

GAMMAS = (1.75, 2.5, 3.25)  # fit_flare's ranking gammas


@numba.njit(cache=False)
def _sob_pass(tc, lse, t0, sg, lnorm, lo, hi, live):  # pragma: no cover - jit
    """Every candidate's event S/B at the ranking gammas, summed (no ns profile)."""
    ng = lse.shape[0]
    lsq = 0.5 * np.log(2.0 * np.pi)
    llive = np.log(live)
    ese = np.exp(np.minimum(lse, 700.0))
    out = np.zeros((ng, t0.size))
    for c in range(t0.size):
        lsg = np.log(sg[c])
        for i in range(lo[c], hi[c]):
            z = (tc[i] - t0[c]) / sg[c]
            lt = -0.5 * z * z - lsg - lsq - lnorm[c] + llive
            e = np.exp(lt if lt < 700.0 else 700.0)
            for g in range(ng):
                out[g, c] += e * ese[g, i]
    return out


@numba.njit(cache=False)
def _cheap_bound(tc, lse, t0, sg, lnorm, lo, hi, pen, n_total, live):  # pragma: no cover - jit
    """Upper bound of each candidate's ranked TS (best over the gammas).

    With a = ns/N, y_i = x_i - 1 > 0 and C = N - m - sum_{x < 0.1}(x - 1): the ranked
    log L/L0 is <= sum log(1 + a y_i) - a C; the events beyond the q largest enter
    linearly (log(1 + u) <= u), and each of the q keeps 1/q of the rest of C.
    """
    ng = lse.shape[0]
    N = float(n_total)
    lsq = 0.5 * np.log(2.0 * np.pi)
    llive = np.log(live)
    ese = np.exp(np.minimum(lse, 700.0))
    elt = np.empty(tc.size)
    out = np.full(t0.size, -np.inf)
    for c in range(t0.size):
        m = hi[c] - lo[c]
        lsg = np.log(sg[c])
        for k in range(m):
            z = (tc[lo[c] + k] - t0[c]) / sg[c]
            lt = -0.5 * z * z - lsg - lsq - lnorm[c] + llive
            elt[k] = np.exp(lt if lt < 700.0 else 700.0)
        for g in range(ng):
            s1 = 0.0
            r = 0.0
            y1 = 0.0
            y2 = 0.0
            for k in range(m):
                x = elt[k] * ese[g, lo[c] + k]
                if x < 0.1:
                    s1 += x - 1.0
                elif x > 1.0:
                    y = x - 1.0
                    r += y
                    if y > y1:
                        y2 = y1
                        y1 = y
                    elif y > y2:
                        y2 = y
            cc = N - m - s1
            ub = 0.0 if cc > r else np.inf
            for q in (1, 2):
                cq = cc - (r - y1 - (y2 if q == 2 else 0.0))
                if ub == 0.0 or cq <= 0.0:
                    continue
                share = cq / q
                v = np.log(y1 / share) - 1.0 + share / y1 if y1 > share else 0.0
                if q == 2 and y2 > share:
                    v += np.log(y2 / share) - 1.0 + share / y2
                ub = min(ub, v)
            out[c] = max(out[c], 2.0 * ub * (1.0 + 1e-9) + 1e-9 + pen[c])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="event data (one sample)")
    ap.add_argument("--pixels", type=int, default=40, help="random nside-32 pixels")
    ap.add_argument("--seed", type=int, default=3, help="seed of the pixels and the scramble")
    args = ap.parse_args()
    sample = load_data(args.data).samples[0]
    model = sample_model(sample)
    smin = default_sigma_min(sample)
    _, ra, dec = pixel_grid(32)
    rng = np.random.default_rng(args.seed)
    sel = rng.choice(ra.size, args.pixels, replace=False)
    ra_s = rng.uniform(0.0, 360.0, sample.size)
    t_s = sample.uptime.sample(rng, sample.size)
    rows = []
    for it, k in enumerate(np.r_[sel[:1], sel]):  # the first pixel twice: compilation
        fd = model.data_at(float(ra[k]), float(dec[k]), ra=ra_s, time=t_s)
        seeds = S._select_seeds(fd, GAMMAS, 1.0, 400)
        if seeds.size == 0:
            continue
        live = fd.livetime
        lse_max = np.max(np.stack([fd.log_sob_se(g) for g in GAMMAS]), axis=0)
        core = lse_max > np.log(1e-3)
        t0, sg = S._candidates(fd.t[seeds], max(smin, 1e-6 * live) if smin < 1e-6 else smin,
                               0.5 * live, span=(fd.tmin, fd.tmax))
        args = S._rank_inputs(fd, t0, sg, GAMMAS, core)  # exactly what the fit ranks
        if args is None:
            continue
        tc, lses, _, _, lnz, lo, hi, pen, n_total, _ = args
        c0 = time.process_time()
        ts, _, _ = rank_windows(*args, True)
        c1 = time.process_time()
        sums = _sob_pass(tc, lses, t0, sg, lnz, lo, hi, live)
        c2 = time.process_time()
        ub = _cheap_bound(tc, lses, t0, sg, lnz, lo, hi, pen, n_total, live)
        c3 = time.process_time()
        if it == 0:
            continue
        picked = S._pick_candidates(np.argsort(ts)[::-1], t0, sg, ts, live, 4)
        tstar = min(ts[p] for p in picked[:4]) if len(picked) >= 4 else -np.inf
        wclass = np.digitize(sg, [live / 300.0, live / 30.0])
        best = np.array([ts[wclass == c].max() if np.any(wclass == c) else -np.inf
                         for c in range(3)])
        needed = (ub >= tstar) | (ub >= best[wclass])
        rows.append({"candidates": int(t0.size), "ms_rank": 1e3 * (c1 - c0),
                     "ms_sob_pass": 1e3 * (c2 - c1), "ms_bound": 1e3 * (c3 - c2),
                     "bound_below_ts": int(np.sum(ub < ts)), "still_to_profile": int(needed.sum()),
                     "positive_slope": float(np.mean(sums.max(axis=0) > n_total)),
                     "roi_sob_sum_over_n": float(np.exp(lses).sum(axis=1).max() / n_total)})
    agg = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    agg["pixels"] = len(rows)
    agg["bound_violations_total"] = int(sum(r["bound_below_ts"] for r in rows))
    print(json.dumps(agg, indent=1))


if __name__ == "__main__":
    main()
