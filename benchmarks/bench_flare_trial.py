"""Seconds per background flare trial (RA + time scramble and flare fit) at one position.

Default: IC86-2011 (138k events, bundled), box flare, at TXS 0506+056. Prints
one line per setting with the mean seconds per trial (after one warm-up trial
that loads the compiled kernels). Used side by side with flarestack (helper H6).

    python benchmarks/bench_flare_trial.py [--data ic86_2011] [--pdf box|gauss]
        [--ra 77.3582 --dec 5.6931] [--n 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bayesnu.data import load
from bayesnu.flare.trials import make_model, scrambled_fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="ic86_2011")
    ap.add_argument("--pdf", default="box", choices=("box", "gauss"))
    ap.add_argument("--ra", type=float, default=77.3582)
    ap.add_argument("--dec", type=float, default=5.6931)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    ds = load(a.data)
    sample = max(ds.samples, key=lambda s: s.size)
    t = time.perf_counter()
    model = make_model(sample)
    t_setup = time.perf_counter() - t
    rng = np.random.default_rng(a.seed)
    scrambled_fit(rng, model, a.ra, a.dec, a.pdf)  # warm-up (numba cache load)
    ts = []
    t = time.perf_counter()
    for _ in range(a.n):
        ts.append(scrambled_fit(rng, model, a.ra, a.dec, a.pdf).ts)
    per = (time.perf_counter() - t) / a.n
    print(f"data={a.data} sample={sample.name} events={sample.size} pdf={a.pdf} "
          f"ra={a.ra} dec={a.dec} trials={a.n} setup_s={t_setup:.3f} "
          f"seconds_per_trial={per:.4f} median_ts={np.median(ts):.3f}")


if __name__ == "__main__":
    main()
