"""Benchmarks of the secret-interaction (m_phi, g_tautau) TS map (prints wall, CPU, load).

* ``map``: an N x N map per source over log10(m_phi/MeV) in [-1, 3] and log10 g in
  [-4, 0.5] with ``--workers`` processes over grid rows; reports wall seconds, CPU seconds
  (parent + workers, user + sys of this process tree from ``time.process_time`` in each)
  and the load average before and after. With ``--check-serial`` a small map is also run
  serially and compared bit for bit.
* ``accuracy``: choice of the transport bins. On a coarse 11 x 10 map (100 bins) the six
  points with the steepest TS gradient (the resonance band) are re-evaluated with
  ``--bins-list`` bins; the TS differences to the finest grid are printed.

Data: the source's real public data (``--data real``) or the SIMULATED IC86_II-VII sample
with Franklin et al.'s best fits injected (``--data sim``, seed 1).

Usage::

    nice -n 10 python benchmarks/bench_cnb_si.py map --n 40 --bins 300 --workers 2
    nice -n 10 python benchmarks/bench_cnb_si.py accuracy --data sim --bins-list 100 150 200 300 500 800
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from bayesnu.inference.cnb import cnb_data, cnb_geometry, cnb_propagator, cnb_source
from bayesnu.inference.cnb_si import LOG10_G_RANGE, LOG10_M_PHI_RANGE, si_ts_map

from bayesnu.sources import SOURCES

SOURCES3 = ("NGC 1068", "TXS 0506+056", "PKS 1424+240")


def _source(name: str, data: str, bins: int):
    ds, info = cnb_data(None if data == "real" else "sim-ic86-ii-vii", name,
                        np.random.default_rng(1))
    geo = cnb_geometry(name)
    return cnb_source(ds, SOURCES[name], cnb_propagator(geo, sum_m=0.1, bins=bins)), geo, info


def bench_map(sources, data: str, n: int, bins: int, workers: int, check_serial: bool) -> dict:
    out = {}
    lm = np.linspace(*LOG10_M_PHI_RANGE, n)
    lg = np.linspace(*LOG10_G_RANGE, n)
    for name in sources:
        cs, geo, info = _source(name, data, bins)
        load0 = os.getloadavg()
        m = si_ts_map(cs, geo, lm, lg, bins=bins, workers=workers)
        load1 = os.getloadavg()
        r = {"n": n, "bins": bins, "workers": m.meta["workers"], "wall_s": m.meta["seconds"],
             "cpu_s": m.meta["cpu_seconds"], "cpu_per_core_s": m.meta["cpu_seconds"] / workers,
             "load_before": load0, "load_after": load1, "ts_max": float(m.ts.max()),
             "simulated": bool(info["simulated"])}
        if check_serial:
            k = max(2, n // 8)
            a = si_ts_map(cs, geo, lm[:k], lg[:: max(1, n // k)], bins=bins, workers=1)
            b = si_ts_map(cs, geo, lm[:k], lg[:: max(1, n // k)], bins=bins, workers=workers)
            r["parallel_equals_serial"] = bool(np.array_equal(a.ts, b.ts))
        out[name] = r
        print(f"{name} ({data}): {n}x{n}, {bins} bins, {r['workers']} workers: wall "
              f"{r['wall_s']:.0f} s, CPU {r['cpu_s']:.0f} s (CPU/{workers} = "
              f"{r['cpu_per_core_s']:.0f} s), load {load0[0]:.1f} -> {load1[0]:.1f}", flush=True)
    return out


def bench_accuracy(sources, data: str, bins_list) -> dict:
    out = {}
    ref = max(bins_list)
    for name in sources:
        cs, geo, _ = _source(name, data, 100)
        lm = np.linspace(*LOG10_M_PHI_RANGE, 11)
        lg = np.linspace(*LOG10_G_RANGE, 10)
        m = si_ts_map(cs, geo, lm, lg, bins=100, workers=2)
        gi, gj = np.gradient(m.ts)
        idx = np.argsort(np.hypot(gi, gj).ravel())[::-1][:6]
        pts = [(float(lm[k // lg.size]), float(lg[k % lg.size])) for k in idx]
        res = {}
        for bins in sorted(bins_list):
            c, g, _ = _source(name, data, bins)
            t0 = time.process_time()
            res[bins] = [float(si_ts_map(c, g, [a], [b], bins=bins).ts[0, 0]) for a, b in pts]
            print(f"{name} {bins:4d} bins: TS {np.round(res[bins], 3).tolist()} "
                  f"({(time.process_time() - t0) / len(pts):.3f} CPU s/pt)", flush=True)
        diffs = {b: float(np.max(np.abs(np.subtract(res[b], res[ref])))) for b in res}
        print(f"{name}: max |TS - TS({ref} bins)| per bins: {diffs}", flush=True)
        out[name] = {"points_log10_m_phi_log10_g": pts, "ts": res, "max_abs_diff_to_ref": diffs}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("map", "accuracy"))
    ap.add_argument("--sources", nargs="+", default=list(SOURCES3))
    ap.add_argument("--data", choices=("real", "sim"), default="real")
    ap.add_argument("--n", type=int, default=40, help="grid points per axis")
    ap.add_argument("--bins", type=int, default=300, help="transport bins")
    ap.add_argument("--workers", type=int, default=2, help="processes over grid rows")
    ap.add_argument("--check-serial", action="store_true", help="compare a small map with serial")
    ap.add_argument("--bins-list", type=int, nargs="+", default=[100, 150, 200, 300, 500])
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    a = ap.parse_args()
    if a.what == "map":
        res = bench_map(a.sources, a.data, a.n, a.bins, a.workers, a.check_serial)
    else:
        res = bench_accuracy(a.sources, a.data, a.bins_list)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
