"""Flare fit cost per sky position: CPU seconds per pixel on random nside-32 pixels.

Fits the Gaussian flare at ``--n`` random pixel centres (fixed seed) of one
sample and prints the CPU time per pixel. ``--save FILE`` keeps the fitted
(ts, ns, gamma, t0, sigma_t) rows; ``--compare FILE`` compares the TS with a
file saved by another checkout of the code (run that checkout with
``PYTHONPATH=/path/to/checkout``), e.g. before/after a kernel change:

    python benchmarks/bench_flare_pixels.py --data ic86_2011 --n 400 --save new.npy
    PYTHONPATH=OLD_TREE python benchmarks/bench_flare_pixels.py --data ic86_2011 --n 400 \\
        --save old.npy
    python benchmarks/bench_flare_pixels.py --data ic86_2011 --n 400 --compare old.npy
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="ic86_2011", help="bundled name, file, or 'cascade'")
    ap.add_argument("--n", type=int, default=400, help="random pixels")
    ap.add_argument("--nside", type=int, default=32)
    ap.add_argument("--seed", type=int, default=3, help="pixel choice")
    ap.add_argument("--save", default=None)
    ap.add_argument("--compare", default=None)
    a = ap.parse_args()
    from bayesnu.flare.scan import pixel_grid, scan_pixels

    try:
        from bayesnu.flare.roi import sample_model
    except ImportError:  # a checkout before issue 9 (side-by-side runs)
        from bayesnu.flare.roi import FlareSampleModel as sample_model

    if a.data == "cascade":
        from bayesnu.simulate import cascade_sample

        sample = cascade_sample(np.random.default_rng(1)).samples[0]
    else:
        from bayesnu.data import load

        sample = max(load(a.data).samples, key=lambda s: s.size)
    _, ra, dec = pixel_grid(a.nside)
    sel = np.random.default_rng(a.seed).choice(ra.size, a.n, replace=False)
    model = sample_model(sample)
    scan_pixels(sample, ra[sel[:3]], dec[sel[:3]], model=model)  # compile / warm caches
    t = time.process_time()
    w = time.perf_counter()
    res = scan_pixels(sample, ra[sel], dec[sel], model=model)
    cpu = (time.process_time() - t) / a.n
    print(f"data={a.data} events={sample.size} pixels={a.n} cpu_s_per_pixel={cpu:.4f} "
          f"wall_s_per_pixel={(time.perf_counter() - w) / a.n:.4f} "
          f"median_ts={np.median(res[:, 0]):.3f} max_ts={res[:, 0].max():.3f}")
    if a.save:
        np.save(a.save, res)
    if a.compare:
        ref = np.load(a.compare)
        d = res[:, 0] - ref[:, 0]
        hi = ref[:, 0] > 2.0
        print(f"TS minus reference: quantiles 1/50/99 % {np.quantile(d, [0.01, 0.5, 0.99])}, "
              f"lower by > 0.01 in {np.sum(d < -0.01)}, higher by > 0.01 in {np.sum(d > 0.01)}; "
              f"pixels with reference TS > 2: {hi.sum()}, max |diff| there "
              f"{np.abs(d[hi]).max() if hi.any() else float('nan'):.4f}")


if __name__ == "__main__":
    main()
