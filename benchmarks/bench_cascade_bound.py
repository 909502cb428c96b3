"""Can the threshold test of the pruned skies (``SkyBounds``) prove cascade pixels below tau?

Per random pixel of one RA- and time-scrambled sky: the full flare fit (TS, sigma_t, CPU) and,
per refinement depth, ``SkyBounds.below(ra, dec, tau)`` (proven or not, CPU, event visits).
``--sigma-min`` applies to both (the test's T0 cells are affordable only from ~0.5 d; the
cascade search itself uses 1e-11 d).

Usage (BENCHMARKS.md, session 6)::

    bayesnu simulate cascade --out cascade_seed1.npz --seed 1
    python benchmarks/bench_cascade_bound.py --data cascade_seed1.npz --pixels 12 --depths 0 1 2 --tau 15
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from bayesnu.flare.analysis import load_data
from bayesnu.flare.prune import SkyBounds
from bayesnu.flare.roi import sample_model
from bayesnu.flare.scan import pixel_grid
from bayesnu.flare.search import fit_flare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="event file (one sample)")
    ap.add_argument("--pixels", type=int, default=12)
    ap.add_argument("--depths", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--tau", type=float, default=15.0)
    ap.add_argument("--sigma-min", type=float, default=0.5, help="days")
    ap.add_argument("--nside", type=int, default=32)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--json", default=None, help="write every pixel's numbers here")
    a = ap.parse_args()
    s = load_data(a.data).samples[0]
    m = sample_model(s)
    rng = np.random.default_rng(a.seed)
    fp = s.footprint
    ra_s = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), s.size)
    t_s = s.uptime.sample(rng, s.size)
    _, ra, dec = pixel_grid(a.nside, 10.0)
    sel = rng.choice(ra.size, a.pixels, replace=False)
    fits = []
    for k in sel:
        fd = m.data_at(float(ra[k]), float(dec[k]), ra=ra_s, time=t_s)
        t = time.process_time()
        f = fit_flare(fd, sigma_min=a.sigma_min)
        fits.append({"pixel": int(k), "ts": f.ts, "sigma_t": f.sigma_t, "ns": f.ns,
                     "fit_cpu_s": time.process_time() - t})
    out = {"data": a.data, "tau": a.tau, "sigma_min": a.sigma_min, "fits": fits, "tests": {}}
    for depth in a.depths:
        sb = SkyBounds(m, a.sigma_min, ra_events=ra_s, time_events=t_s, depth=depth)
        sb.below(float(ra[sel[0]]), float(dec[sel[0]]), a.tau)  # compile outside the timing
        rows = []
        for k in sel:
            v0 = sb.stats[1]
            t = time.process_time()
            v = sb.below(float(ra[k]), float(dec[k]), a.tau)
            rows.append({"pixel": int(k), "proven": bool(v <= a.tau),
                         "cpu_s": time.process_time() - t, "event_visits": float(sb.stats[1] - v0),
                         "last_failing_level": float(sb.stats[2])})
        out["tests"][str(depth)] = rows
        cpu = [r["cpu_s"] for r in rows]
        print(f"depth {depth}: proven {sum(r['proven'] for r in rows)} of {len(rows)}, CPU per "
              f"pixel {min(cpu) * 1e3:.0f}-{max(cpu) * 1e3:.0f} ms", flush=True)
    fc = [f["fit_cpu_s"] for f in fits]
    ts_txt = ", ".join(f"{f['ts']:.2f}" for f in fits)
    print(f"full fits: TS {ts_txt}; CPU "
          f"{min(fc) * 1e3:.0f}-{max(fc) * 1e3:.0f} ms (median {np.median(fc) * 1e3:.0f})")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
