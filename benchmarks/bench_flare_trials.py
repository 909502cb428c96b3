"""Flare background-trial throughput per declination band: serial (1 core) vs dask LocalCluster.

Runs ``--n`` trials of one 2-degree band (default band 40, dec -1..+1) of IC86-2011 with
the campaign runner, serially and on a 2-worker local cluster, into fresh folders;
prints trials per second (wall) and CPU seconds per trial, and checks that both runs
produced identical trials.

    python benchmarks/bench_flare_trials.py [--data ic86_2011] [--band 40] [--n 60]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
from bayesnu.inference.campaign import run_campaign

from bayesnu.data import load
from bayesnu.flare.trials import band_trials, dec_band_edges


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="ic86_2011")
    ap.add_argument("--band", type=int, default=40)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--chunk", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pdf", default="gauss")
    a = ap.parse_args()
    sample = max(load(a.data).samples, key=lambda s: s.size)
    lo, hi = dec_band_edges()[a.band]
    root = Path(tempfile.mkdtemp(prefix="bench_flare_trials_"))
    res = {}
    for sched in ("serial", "local"):
        r = run_campaign(band_trials, a.n, root / sched, seed=11, chunk_size=a.chunk,
                         args=(sample, float(lo), float(hi), a.pdf), scheduler=sched,
                         n_workers=a.workers, progress=False)
        res[sched] = r
        print(f"data={a.data} band={a.band} dec=[{lo:+.0f},{hi:+.0f}] pdf={a.pdf} "
              f"scheduler={sched} workers={1 if sched == 'serial' else a.workers} "
              f"trials={a.n} wall_s={r.seconds:.1f} trials_per_s={a.n / r.seconds:.2f} "
              f"cpu_s_per_trial={r.chunk_seconds / a.n:.3f}")
    same = all(np.array_equal(res["serial"][k], res["local"][k], equal_nan=True)
               for k in res["serial"].data)
    print(f"identical serial vs dask: {same}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
