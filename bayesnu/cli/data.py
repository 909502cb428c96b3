"""``bayesnu data``: inspect data sets (bundled names, release folders, files)."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np

from bayesnu.cli._options import Opt, add_options, common_options
from bayesnu.errors import InputWarning


def _formats() -> tuple[str, ...]:
    from bayesnu.data import FORMATS

    return tuple(FORMATS)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("data", help="inspect real data sets (bundled or files)",
                              description="Inspect real data sets.")
    sub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    info = sub.add_parser("info", help="format, size, time/declination range, livetimes",
                          description="Report the detected format, number of events or rows, "
                                      "time range, declination range and livetime per sample. "
                                      "Notes of the loader (for example uptime or effective "
                                      "areas completed from the bundled official copies) are "
                                      "printed as warnings on stderr and listed under 'notes' "
                                      "in the JSON.")
    add_options(info, [
        Opt("target", kind="data", metavar="PATH|NAME", required=True,
            help="bundled name (see 'bayesnu data list') or file/folder path"),
        Opt("--format", choices=_formats(), default_text="detected from the file",
            help="override format detection"),
        *common_options(seed=False),
    ])
    info.set_defaults(handler=run_info)
    lst = sub.add_parser("list", help="list the bundled data sets",
                         description="List the bundled data sets (name, description, aliases).")
    add_options(lst, common_options(seed=False))
    lst.set_defaults(handler=run_list)
    p.set_defaults(handler=None)


def _rng(a: np.ndarray) -> list[float] | None:
    a = np.asarray(a, dtype=np.float64)
    a = a[np.isfinite(a)]
    return [float(a.min()), float(a.max())] if a.size else None


def _notes(obj: Any) -> list[str]:
    """Loader notes of a data set and its samples (fallbacks, conventions), each once."""
    notes: list[str] = []
    for src in [obj.meta, *(s.meta for s in getattr(obj, "samples", ()))]:
        got = src.get("notes") if isinstance(src, dict) else None
        for n in [got] if isinstance(got, str) else (got or []):
            if str(n) not in notes:
                notes.append(str(n))
    return notes


def summarize(obj: Any) -> dict[str, Any]:
    """JSON-friendly summary of a :class:`Dataset` or :class:`CatalogTable`."""
    from bayesnu.data import Dataset

    if isinstance(obj, Dataset):
        samples = []
        for s in obj.samples:
            samples.append({"name": s.name, "n_events": s.size,
                            "livetime_days": s.livetime_days,
                            "n_good_runs": 0 if s.uptime is None else int(s.uptime.intervals.shape[0]),
                            "uptime_mjd": None if s.uptime is None else [s.uptime.start,
                                                                         s.uptime.stop],
                            "event_time_range_mjd": _rng(s.time),
                            "footprint": None if s.footprint.full_sky else [
                                s.footprint.ra_min, s.footprint.ra_max, s.footprint.dec_min,
                                s.footprint.dec_max],
                            "has_effective_area": s.aeff is not None})
        out = {"name": obj.name, "kind": "events", "format": obj.format,
               "n_rows": obj.n_events, "time_range_mjd": list(obj.time_range),
               "dec_range_deg": list(obj.dec_range), "livetime_days": obj.livetime_days,
               "samples": samples, "citation": obj.meta.get("citation"),
               "notes": _notes(obj)}
        return out
    cols = obj.columns
    tr = None
    if "time_edges_mjd" in obj.meta:
        e = np.asarray(obj.meta["time_edges_mjd"])
        tr = [float(e[0]), float(e[-1])]
    elif "mjd" in cols:
        tr = _rng(cols["mjd"])
    out = {"name": obj.name, "kind": "catalog", "format": obj.format, "n_rows": obj.n_rows,
           "time_range_mjd": tr, "dec_range_deg": _rng(cols["dec"]) if "dec" in cols else None,
           "ra_range_deg": _rng(cols["ra"]) if "ra" in cols else None,
           "samples": [], "columns": sorted(cols), "citation": obj.meta.get("citation"),
           "notes": _notes(obj)}
    if "flux_history" in cols:
        out["n_light_curve_bins"] = int(np.asarray(cols["flux_history"]).shape[1])
    return out


def _text(d: dict[str, Any]) -> str:
    lines = [f"{d['name']}: {d['format']} ({d['kind']}), {d['n_rows']:,} "
             f"{'events' if d['kind'] == 'events' else 'rows'}"]
    if d.get("time_range_mjd"):
        lines.append(f"  time range  MJD {d['time_range_mjd'][0]:.5f} .. "
                     f"{d['time_range_mjd'][1]:.5f}")
    if d.get("dec_range_deg"):
        lines.append(f"  dec range   {d['dec_range_deg'][0]:.3f} .. {d['dec_range_deg'][1]:.3f} deg")
    if d["kind"] == "events":
        lines.append(f"  livetime    {d['livetime_days']:.4f} days (sum of good runs)")
        lines.append(f"  {'sample':<12}{'events':>9}{'livetime [d]':>15}{'good runs':>11}")
        for s in d["samples"]:
            lines.append(f"  {s['name']:<12}{s['n_events']:>9,}{s['livetime_days']:>15.4f}"
                         f"{s['n_good_runs']:>11,}")
    else:
        if d.get("n_light_curve_bins"):
            lines.append(f"  light curve {d['n_light_curve_bins']} bins")
        lines.append(f"  columns     {', '.join(d['columns'])}")
    if d.get("citation"):
        lines.append(f"  cite        {d['citation']}")
    return "\n".join(lines)


def run_info(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.data import load

    obj = load(args.target, format=args.format)
    d = summarize(obj)
    for note in d["notes"]:  # every silent fallback reaches the user (stderr, after the result)
        warnings.warn(note, InputWarning, stacklevel=1)
    d["_text"] = _text(d)
    return d


def run_list(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.data.bundled import BUNDLED, bundled_path

    items = [{"name": k, "file": bundled_path(k).name, "description": v[1],
              "aliases": list(v[2])} for k, v in BUNDLED.items()]
    sizes = sum(bundled_path(k).stat().st_size for k in BUNDLED if bundled_path(k).exists())
    text = "\n".join(f"{i['name']:<10} {i['description']}" for i in items)
    return {"bundled": items, "total_mb": round(sizes / 1e6, 3), "_text": text}
