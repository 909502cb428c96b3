"""Would a cheaper flare fit find the same maxima? Fit settings against the default fit.

A scrambled sky costs what its ~12,000 flare fits cost. Before redefining the fit (which
would change ``FLARE_CODE_VERSION`` and invalidate every campaign), this script measures
what cheaper settings of :func:`bayesnu.flare.search.fit_flare` lose: on the observed
SIMULATED cascade sky it refits the ``--hot`` hottest pixels of the stored scan and
``--random`` random ones with the default settings and with each variant (fewer seeds,
one ranking gamma, fewer refined candidates, a higher seed threshold), and prints the
CPU per pixel and the TS lost (variant - default) over all and over the hot pixels.

Usage (BENCHMARKS.md, session 8)::

    python benchmarks/bench_cascade_fit_variants.py --campaign campaigns/cascade_sim
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

VARIANTS = {"default": {}, "max_seeds 200": {"max_seeds": 200},
            "max_seeds 100": {"max_seeds": 100}, "rank_gammas (2.5,)": {"rank_gammas": (2.5,)},
            "n_local 2": {"n_local": 2}, "seed_threshold 3": {"seed_threshold": 3.0}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--campaign", default="campaigns/cascade_sim",
                    help="folder with cascade_seed1.npz and observed_scan.npz")
    ap.add_argument("--hot", type=int, default=40)
    ap.add_argument("--random", type=int, default=120)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    import healpy as hp

    from bayesnu.flare.analysis import default_sigma_min, load_data
    from bayesnu.flare.roi import sample_model
    from bayesnu.flare.search import fit_flare

    camp = Path(a.campaign)
    sample = load_data(str(camp / "cascade_seed1.npz")).samples[0]
    model = sample_model(sample)
    smin = default_sigma_min(sample)
    with np.load(camp / "observed_scan.npz") as z:
        pix, ts = z["pixels"], z["ts"]
    rng = np.random.default_rng(a.seed)
    rest = np.setdiff1d(np.arange(pix.size), np.argsort(ts)[-a.hot:])
    sel = np.concatenate([np.argsort(ts)[-a.hot:], rng.choice(rest, a.random, replace=False)])
    th, ph = hp.pix2ang(32, pix[sel])
    dec, ra = 90.0 - np.degrees(th), np.degrees(ph)
    res = {}
    for name, kw in VARIANTS.items():
        out = np.empty(sel.size)
        t = time.process_time()
        for j in range(sel.size):
            out[j] = fit_flare(model.data_at(float(ra[j]), float(dec[j])), sigma_min=smin,
                               **kw).ts
        res[name] = (out, (time.process_time() - t) / sel.size)
    base = res["default"][0]
    print(f"default fit vs stored scan (float32): max |dTS| "
          f"{np.max(np.abs(base.astype(np.float32) - ts[sel])):.1e}")
    hot = slice(0, a.hot)
    for name, (o, cpu) in res.items():
        d = o - base
        print(f"{name:20s} {1e3 * cpu:6.1f} ms/pixel | all {sel.size}: worst dTS {d.min():+7.3f}, "
              f"lost > 0.01 in {np.mean(d < -0.01):6.1%} | hottest {a.hot}: worst {d[hot].min():+7.3f},"
              f" lost in {np.mean(d[hot] < -0.01):6.1%} | best gain {d.max():+.3f}")


if __name__ == "__main__":
    main()
