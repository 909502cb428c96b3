"""Time one background trial (RA scramble + (ns, gamma) fit) at one source on IC86-2011.

Usage::

    python benchmarks/bench_ps_trial.py [--n 200] [--source "TXS 0506+056"] [--data ic86_2011]

Prints the set-up time (background PDFs, energy splines; once per source) and
the per-trial wall time (median and mean over ``--n`` trials, after 5 warm-up
trials), the number of events near the source and the median background TS.
Compare with flarestack's time-integrated trial on the same data (H6's
benchmark) for the speed ratio.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--source", default="TXS 0506+056")
    ap.add_argument("--data", default="ic86_2011")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from bayesnu.inference import fit

    import bayesnu.data as bd
    from bayesnu.likelihood import LikelihoodSetup
    from bayesnu.sources import resolve_source

    t0 = time.perf_counter()
    d = bd.load(args.data)
    t1 = time.perf_counter()
    setup = LikelihoodSetup(d, resolve_source(args.source))
    t2 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    for _ in range(5):
        fit(setup.scrambled(rng), n_gamma_starts=2)
    per, ts, nroi, nfev = [], [], [], []
    for _ in range(args.n):
        a = time.perf_counter()
        L = setup.scrambled(rng)
        r = fit(L, n_gamma_starts=2)
        per.append(time.perf_counter() - a)
        ts.append(r.ts)
        nroi.append(L.n_roi)
        nfev.append(r.nfev)
    out = {"data": args.data, "n_events": int(d.n_events), "source": args.source,
           "load_s": t1 - t0, "setup_s": t2 - t1, "n_trials": args.n,
           "per_trial_s_median": float(np.median(per)), "per_trial_s_mean": float(np.mean(per)),
           "n_roi_median": float(np.median(nroi)), "nfev_median": float(np.median(nfev)),
           "median_ts": float(np.median(ts)), "frac_ts_zero": float(np.mean(np.array(ts) <= 0))}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
