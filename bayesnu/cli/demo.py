"""``bayesnu demo``: a short real-data summary of the bundled data sets.

Placeholder for the main demonstration job (a later issue replaces it): it
loads every bundled set and reports counts, livetimes and the TXS 0506+056
release samples, all from the real public data shipped with the package.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bayesnu.cli._common import add_common


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="summary of the bundled real data",
                              description=__doc__.splitlines()[0])
    add_common(p, seed=False)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.cli.data import summarize
    from bayesnu.data import bundled_names, load

    t0 = time.perf_counter()
    sets = {}
    for name in bundled_names():
        d = summarize(load(name))
        sets[name] = {k: d[k] for k in ("format", "n_rows", "time_range_mjd", "dec_range_deg")}
        if d["kind"] == "events":
            sets[name]["livetime_days"] = d["livetime_days"]
            sets[name]["samples"] = [{k: s[k] for k in ("name", "n_events", "livetime_days")}
                                     for s in d["samples"]]
    elapsed = time.perf_counter() - t0
    lines = ["bayesnu: bundled real data (IceCube, Fermi-LAT, Roma-BZCAT public releases)"]
    for name, d in sets.items():
        unit = "events" if "samples" in d else "rows"
        extra = f", livetime {d['livetime_days']:.1f} d" if "samples" in d else ""
        lines.append(f"  {name:<10} {d['format']:<16} {d['n_rows']:>8,} {unit}{extra}")
    lines.append("  TXS 0506+056 release samples (box of +-3 deg around the source):")
    for s in sets["txs0506"]["samples"]:
        lines.append(f"    {s['name']:<6} {s['n_events']:>4} events, livetime "
                     f"{s['livetime_days']:.2f} d")
    lines.append(f"  loaded all {len(sets)} sets in {elapsed:.2f} s")
    return {"data_sets": sets, "load_seconds": elapsed, "_text": "\n".join(lines)}
