"""Time one background trial (RA scramble + (ns, gamma) fit) at one source on IC86-2011.

Usage::

    python benchmarks/bench_ps_trial.py [--n 1000] [--n-general 100] [--source "TXS 0506+056"]
                                        [--data ic86_2011] [--json]

Times the fast path that :func:`bayesnu.inference.background_trials` uses for one
source (:class:`bayesnu.likelihood.trial.TrialKernel`: candidate-only RA scramble,
compiled ns-profiled fit) over ``--n`` trials, and the general path
(``setup.scrambled(rng)`` + :func:`bayesnu.inference.fit` with 2 gamma starts) over
``--n-general`` trials (0 to skip), both after warm-up trials. Prints the set-up
time (once per source; includes loading the compiled code), the per-trial wall
time (median and mean; ``per_trial_s_mean`` is the fast path's), the number of
events near the source and the background TS of both paths on the same scrambles.
``benchmarks/compare_flarestack.sh`` reads ``per_trial_s_mean``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-general", type=int, default=100)
    ap.add_argument("--source", default="TXS 0506+056")
    ap.add_argument("--data", default="ic86_2011")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from bayesnu.inference import fit

    import bayesnu.data as bd
    from bayesnu.likelihood import LikelihoodSetup
    from bayesnu.likelihood.trial import TrialKernel
    from bayesnu.sources import resolve_source

    t0 = time.perf_counter()
    d = bd.load(args.data)
    t1 = time.perf_counter()
    setup = LikelihoodSetup(d, resolve_source(args.source))
    t2 = time.perf_counter()
    kernel = TrialKernel(setup)
    t3 = time.perf_counter()

    rng = np.random.default_rng(args.seed)
    for _ in range(20):
        kernel.trial(rng)
    per, ts, nroi = [], [], []
    c0 = time.process_time()
    for _ in range(args.n):
        a = time.perf_counter()
        r = kernel.trial(rng)
        per.append(time.perf_counter() - a)
        ts.append(r[0])
        nroi.append(kernel.n_roi)
    cpu = (time.process_time() - c0) / max(args.n, 1)
    out = {"data": args.data, "n_events": int(d.n_events), "source": args.source,
           "load_s": t1 - t0, "setup_s": t2 - t1, "trial_kernel_setup_s": t3 - t2,
           "n_trials": args.n, "n_candidates": kernel.n_candidates,
           "per_trial_s_median": float(np.median(per)), "per_trial_s_mean": float(np.mean(per)),
           "per_trial_cpu_s": cpu,
           "n_roi_median": float(np.median(nroi)), "median_ts": float(np.median(ts)),
           "frac_ts_zero": float(np.mean(np.array(ts) <= 0))}
    if args.n_general > 0:
        rng = np.random.default_rng(args.seed + 1)
        for _ in range(5):
            fit(setup.scrambled(rng), n_gamma_starts=2)
        gper, dts, nfev = [], [], []
        for _ in range(args.n_general):
            state = rng.bit_generator.state
            a = time.perf_counter()
            L = setup.scrambled(rng)
            r = fit(L, n_gamma_starts=2)
            gper.append(time.perf_counter() - a)
            nfev.append(r.nfev)
            g2 = np.random.default_rng()
            g2.bit_generator.state = state  # the same scramble on the fast path
            dts.append(kernel.trial(g2)[0] - r.ts)
        dts = np.array(dts)
        out["general"] = {"n_trials": args.n_general,
                          "per_trial_s_median": float(np.median(gper)),
                          "per_trial_s_mean_general": float(np.mean(gper)),
                          "nfev_median": float(np.median(nfev)),
                          "ts_fast_minus_general_min": float(dts.min()),
                          "ts_fast_minus_general_max": float(dts.max())}
        out["speedup_vs_general_mean"] = float(np.mean(gper) / np.mean(per))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
