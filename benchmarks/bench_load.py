"""Time loading every bundled data set (and, if present, the original files).

Each repetition runs in a fresh Python process, so nothing is cached inside
bayesnu or numpy between repetitions (the operating system's file cache stays
warm). Prints per-set times, the total, the import time of ``bayesnu.data``
and the size of the bundled data.

    python benchmarks/bench_load.py [--reps 5] [--originals RELEASES_DIR]

``--originals`` defaults to ``$BAYESNU_RELEASES_DIR`` (the unpacked public
releases, layout in ``bayesnu/data/bundled/PROVENANCE.md``); without either, only
the bundled copies are timed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import bayesnu.data as bd
t_import = time.perf_counter() - t0
targets = json.loads(sys.argv[1])
times = {}
rows = {}
for name, target in targets.items():
    t = time.perf_counter()
    obj = bd.load(target)
    times[name] = time.perf_counter() - t
    rows[name] = getattr(obj, "n_events", None) or obj.n_rows
print(json.dumps({"import": t_import, "times": times, "rows": rows}))
"""

ORIGINALS = {
    "ic40": "icecube_ps_10yr", "ic86_2011": "icecube_ic86_2011",
    "txs0506": "icecube_txs0506_release", "icecat1": "icecat1/IceCube_Gold_Bronze_Tracks.csv",
    "4lac": "catalogs/table_4LAC.fits", "4lac_dr2": "catalogs/table-4LAC-DR2-h.fits",
    "4fgl_dr2": "catalogs/4FGL-DR2_lightcurves.csv", "3fgl": "catalogs/3FGL_gll_psc_v16.fit.gz",
    "5bzcat": "catalogs/5BZCAT.csv",
}


def run(targets: dict[str, str], reps: int) -> tuple[dict, dict, list[float], list[float]]:
    per: dict[str, list[float]] = {k: [] for k in targets}
    totals, imports, rows = [], [], {}
    for _ in range(reps):
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(targets)],
                             capture_output=True, text=True, check=True)
        d = json.loads(out.stdout.strip().splitlines()[-1])
        for k, v in d["times"].items():
            per[k].append(v)
        totals.append(sum(d["times"].values()))
        imports.append(d["import"])
        rows = d["rows"]
    return per, rows, totals, imports


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--originals", default=None,
                    help="folder of the original releases (default: $BAYESNU_RELEASES_DIR, "
                         "else not timed)")
    args = ap.parse_args()

    from bayesnu.data import bundled_names, bundled_path
    from bayesnu.data.bundled import releases_dir

    if args.originals is None:
        env = releases_dir()
        args.originals = str(env) if env is not None else None

    names = bundled_names()
    bdir = bundled_path(names[0]).parent
    size = sum(p.stat().st_size for p in bdir.iterdir())
    print(f"bundled data: {size / 1e6:.2f} MB in {len(list(bdir.iterdir()))} files ({bdir})")

    per, rows, totals, imports = run({n: n for n in names}, args.reps)
    print(f"\nbundled sets, median of {args.reps} fresh processes:")
    print(f"  {'name':<10} {'rows':>8} {'load [s]':>9}")
    for n in names:
        print(f"  {n:<10} {rows[n]:>8,} {statistics.median(per[n]):>9.3f}")
    print(f"  {'TOTAL':<10} {sum(rows.values()):>8,} {statistics.median(totals):>9.3f}"
          f"   (min {min(totals):.3f}, max {max(totals):.3f})")
    print(f"  import bayesnu.data: {statistics.median(imports):.3f} s")

    if args.originals:
        root = Path(args.originals)
        targets = {n: str(root / p) for n, p in ORIGINALS.items()}
        per, rows, totals, _ = run(targets, args.reps)
        print(f"\noriginal files (text/FITS parsing), median of {args.reps}:")
        for n in names:
            print(f"  {n:<10} {rows[n]:>8,} {statistics.median(per[n]):>9.3f}")
        print(f"  {'TOTAL':<10} {sum(rows.values()):>8,} {statistics.median(totals):>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
