"""All-sky flare scan timing: nside-32 scan of the simulated ~60k-event cascade sample.

Prints wall time, pixels fitted, seconds per pixel and the peak resident memory
(of this process and its workers), then writes the maps to --out.

    python benchmarks/bench_flare_scan.py [--nside 32] [--workers 2] [--seed 1]
        [--data cascade|ic86_2011] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from bayesnu.flare.scan import scan_sky, write_scan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nside", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="cascade")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "flare_scan"),
                    help="output folder (default: flare_scan in the temporary folder)")
    ap.add_argument("--pdf", default="gauss")
    a = ap.parse_args()
    t = time.perf_counter()
    if a.data == "cascade":
        from bayesnu.simulate import cascade_sample

        sample = cascade_sample(np.random.default_rng(a.seed)).samples[0]
    else:
        from bayesnu.data import load

        sample = max(load(a.data).samples, key=lambda s: s.size)
    t_sim = time.perf_counter() - t
    res = scan_sky(sample, nside=a.nside, n_workers=a.workers, pdf=a.pdf, progress=True)
    write_scan(res, a.out)
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"data={a.data} events={sample.size} nside={a.nside} workers={a.workers} pdf={a.pdf} "
          f"pixels={res.n_fitted} setup_s={t_sim:.1f} scan_s={res.seconds:.1f} "
          f"s_per_pixel_per_worker={res.seconds * a.workers / res.n_fitted:.4f} "
          f"cpu_s_total={res.cpu_seconds:.1f} cpu_s_per_pixel={res.cpu_seconds / res.n_fitted:.4f} "
          f"peak_rss_main_MB={self_kb / 1024:.0f} peak_rss_worker_MB={child_kb / 1024:.0f}")
    for hemi, h in res.hottest.items():
        print(f"hottest {hemi}: {h}")


if __name__ == "__main__":
    main()
