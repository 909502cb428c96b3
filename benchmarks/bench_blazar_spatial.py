"""Speed of the spatial counting test: 1e5 RA scrambles, one group, 13 thresholds.

Usage: ``nice -n 19 python benchmarks/bench_blazar_spatial.py [N_SCRAMBLES] [GROUP,GROUP]``
(one core: the kernel is a serial numba loop). Prints the set-up time, the
scramble wall and CPU time (after JIT compilation; CPU time
is the figure to compare on a shared machine) and the closed-form check.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from bayesnu.blazar.groups import get_group
from bayesnu.blazar.spatial import (
    CountingSetup,
    closed_form_expectation,
    observed_counts,
    scramble_counts,
)
from bayesnu.data import load


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    groups = sys.argv[2].split(",") if len(sys.argv) > 2 else ["TXS-like", "CFS", "4LAC-BLL"]
    for data in ("ic40", "ic86_2011"):
        s = load(data)[0]
        for gname in groups:
            g = get_group(gname)
            t0 = time.perf_counter()
            cs = CountingSetup.build(s.ra, s.dec, s.log10e, s.angerr, g.ra, g.dec)
            observed_counts(cs)
            cf = closed_form_expectation(cs)
            t1 = time.perf_counter()
            scramble_counts(cs, 10, np.random.default_rng(0))  # JIT warm-up
            t2 = time.perf_counter()
            c0 = time.process_time()
            c = scramble_counts(cs, n, np.random.default_rng(1))
            t3 = time.perf_counter()
            cpu = time.process_time() - c0
            z = (c.mean(0) - cf) / (c.std(0) / np.sqrt(n))
            print(f"{data:10s} {gname:9s} J={len(g):5d} pairs={cs.n_pairs:7d} set-up "
                  f"{t1 - t0:6.2f} s, {n} scrambles x {cs.thresholds.size} thresholds "
                  f"{t3 - t2:7.2f} s wall, {cpu:7.2f} s CPU  (max |MC - closed|/SE = "
                  f"{np.abs(z).max():.2f})",
                  flush=True)


if __name__ == "__main__":
    main()
