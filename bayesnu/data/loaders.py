"""``load``: one entry point for bundled names, release folders and files.

Format detection (a path; ``format=`` overrides it):

=====================  ==========================================================
format                 recognised by
=====================  ==========================================================
``icecube_ps_10yr``    folder with ``events/`` (``*_exp.csv``), ``uptime/``, ``irfs/``;
                       or one ``events/<season>_exp.csv`` file (header ``MJD[days] ...``)
``ic86_2011``          folder with ``upgoing_events.txt`` / ``downgoing_events.txt``;
                       or one of those files (header ``MJD log10(E) ang_err RA Dec``)
``txs0506_release``    folder with ``list_of_samples.txt`` and ``events_<S>.txt``;
                       or one ``events_<S>.txt`` file (header ``MJD Ra_deg ...``)
``icecat1``            CSV with ``EVENTMJD`` and ``I3TYPE`` columns (or its folder)
``4lac``/``4lac_dr2``  FITS table with ``CLASS``, ``Redshift``, ``SED_class``
                       (``DataRelease`` column or ``4LAC_DR2`` HDU -> DR2)
``4fgl_dr2_lc``        CSV with ``Flux_History_1..10``
``3fgl``               FITS(.gz) ``LAT_Point_Source_Catalog`` with ``Flux_History``
``5bzcat``             CSV with ``BZCAT5 Source name``
``generic``            ``.npz``/``.csv``/``.fits`` with ``ra, dec, time, log10e, angerr``
=====================  ==========================================================
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.errors import InputError

from . import bundled as _b
from . import catalogs as _c
from . import icecube as _i
from .core import CatalogTable, Dataset, EffectiveArea, Uptime
from .generic import looks_generic_header, read_generic

__all__ = ["load", "detect_format", "ps10yr_seasons", "load_enu_to_emu", "FORMATS"]

FORMATS = ("icecube_ps_10yr", "ic86_2011", "txs0506_release", "icecat1", "4lac", "4lac_dr2",
           "4fgl_dr2_lc", "3fgl", "5bzcat", "generic")
_FORMAT_ALIASES = {"ps10yr": "icecube_ps_10yr", "10yr": "icecube_ps_10yr",
                   "icecube_ps_10yr": "icecube_ps_10yr", "ic86_2011": "ic86_2011",
                   "ic86-2011": "ic86_2011", "txs0506_release": "txs0506_release",
                   "txs": "txs0506_release", "txs0506": "txs0506_release", "icecat1": "icecat1",
                   "icecat": "icecat1", "4lac": "4lac", "4lac_dr2": "4lac_dr2",
                   "4lac-dr2": "4lac_dr2", "4fgl_dr2_lc": "4fgl_dr2_lc", "4fgl_dr2": "4fgl_dr2_lc",
                   "4fgl": "4fgl_dr2_lc", "3fgl": "3fgl", "5bzcat": "5bzcat", "bzcat": "5bzcat",
                   "generic": "generic", "npz": "generic", "csv": "generic", "fits": "generic"}


# --------------------------------------------------------------------------- bundled helpers

def _ps10yr_fallback() -> dict[str, np.ndarray]:
    return _b.read_bundled_raw("ic40", prefix=("uptime/", "irfs/"))


def _ps10yr_uptimes() -> dict[str, np.ndarray]:
    return {k.split("/", 1)[1]: v for k, v in _b.read_bundled_raw("ic40", "uptime/").items()}


def ps10yr_seasons() -> dict[str, tuple[Uptime, EffectiveArea]]:
    """Good-run lists and effective areas of all 10 seasons of the 10-year release.

    Returns
    -------
    dict
        Season name (``"IC40", "IC59", "IC79", "IC86_I", ..., "IC86_VII"``) ->
        ``(Uptime, EffectiveArea)``, from the bundled copies of the official
        ``uptime/*_exp.csv`` and ``irfs/*_effectiveArea.csv``. IC86_II's area is
        used for IC86_II..VII, as the release prescribes. Livetime
        (``Uptime.livetime_days``) is the sum of the good-run intervals.
    """
    return dict(_ps10yr_seasons_cached())


@cache
def _ps10yr_seasons_cached() -> tuple[tuple[str, tuple[Uptime, EffectiveArea]], ...]:
    # immutable objects (frozen dataclasses, read-only arrays): safe to share
    raw = _ps10yr_fallback()
    areas = {}
    out = {}
    for s in _i.PS10YR_SEASONS:
        a = _i.PS10YR_AEFF_OF[s]
        if a not in areas:
            areas[a] = _i.aeff_from_irf_raw(raw[f"irfs/{a}"], a,
                                            f"bundled irfs/{a}_effectiveArea.csv")
        up = _i.uptime_from_raw(raw[f"uptime/{s}"], f"bundled uptime/{s}_exp.csv")
        out[s] = (up, areas[a])
    return tuple(out.items())


def load_enu_to_emu(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Published E_nu -> E_mu table of the 10-year release (Fig. S4), bundled by default.

    See :func:`bayesnu.data.icecube.read_enu_to_emu` for the keys (log10 GeV edges).
    """
    if path is not None:
        return _i.read_enu_to_emu(path)
    raw = _b.read_bundled_raw("ic40", "enu_to_emu/")
    return {k.split("/", 1)[1]: v for k, v in raw.items()}


def _meta_with(obj, extra: dict[str, Any]):
    obj.meta.update(extra)
    return obj


def _load_bundled(key: str) -> Dataset | CatalogTable:
    bm = _b.bundled_meta(key)
    src = f"bundled:{key}"
    if key == "ic40":
        raw = _b.read_bundled_raw(key, prefix=("events/", "uptime/", "irfs/"))
        ds = _i.build_ps10yr(raw, src, key,
                             file_of=lambda sub, s, suf: f"{src} ({sub}/{s}{suf})")
    elif key == "ic86_2011":
        raw = _b.read_bundled_raw(key)
        ds = _i.build_ic86_2011(raw, src, key, _ps10yr_uptimes()["IC86_I"],
                                "bundled 10-year uptime/IC86_I_exp.csv")
    elif key == "txs0506":
        raw = _b.read_bundled_raw(key)
        ds = _i.build_txs(raw, src, key, _ps10yr_uptimes())
    elif key == "icecat1":
        ds = _c.build_icecat1(_b.read_bundled_raw(key), src, key)
    elif key in ("4lac", "4lac_dr2"):
        ds = _c.build_4lac(_b.read_bundled_raw(key), src, key, key)
    elif key == "4fgl_dr2":
        ds = _c.build_4fgl_lc(_b.read_bundled_raw(key), src, key)
    elif key == "3fgl":
        ds = _c.build_3fgl(_b.read_bundled_raw(key), src, key)
    elif key == "5bzcat":
        ds = _c.build_5bzcat(_b.read_bundled_raw(key), src, key)
    elif key == "blazar_groups":  # a small CSV, stored as published
        ds = _c.build_blazar_groups(_c.read_blazar_groups_raw(_b.bundled_path(key)), src, key)
    else:  # pragma: no cover
        raise InputError(f"unknown bundled data set '{key}'")
    return _meta_with(ds, bm)


# --------------------------------------------------------------------------- detection

def _first_line(p: Path) -> str:
    from ._tables import read_text

    text = read_text(p)
    for ln in text.splitlines():
        s = ln.strip()
        if not s:
            continue
        if not s.startswith("#") or "cos(zenith)" in s:
            return s
    return ""


def detect_format(path: str | os.PathLike) -> str:
    """Guess the format of a file or folder (see the module table)."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", path=p)
    if p.is_dir():
        if (p / "events").is_dir() or (p / "uptime").is_dir():
            return "icecube_ps_10yr"
        if (p / "upgoing_events.txt").exists() or (p / "downgoing_events.txt").exists():
            return "ic86_2011"
        if (p / "list_of_samples.txt").exists():
            return "txs0506_release"
        if (p / "IceCube_Gold_Bronze_Tracks.csv").exists():
            return "icecat1"
        raise InputError("folder is not a recognised release (expected events/ uptime/ irfs/, "
                         "upgoing_events.txt, list_of_samples.txt or IceCat-1)", path=p)
    name = p.name.lower()
    if name.endswith(".npz"):
        return "generic"
    if name.endswith((".fits", ".fit", ".fits.gz", ".fit.gz", ".fts")):
        return _detect_fits(p)
    # official file names first (the header may be the broken part)
    if name.endswith("_exp.csv") and p.parent.name == "events":
        return "icecube_ps_10yr"
    if name in ("upgoing_events.txt", "downgoing_events.txt"):
        return "ic86_2011"
    if name.startswith("events_ic") and name.endswith(".txt"):
        return "txs0506_release"
    if name == "icecube_gold_bronze_tracks.csv":
        return "icecat1"
    first = _first_line(p)
    low = first.lower()
    if "eventmjd" in low and "i3type" in low:
        return "icecat1"
    if "flux_history_1" in low:
        return "4fgl_dr2_lc"
    if "bzcat5" in low:
        return "5bzcat"
    if low.startswith("mjd[days]") and "angerr" in low:
        return "icecube_ps_10yr"
    if "ra_deg" in low and "unc_deg" in low:
        return "txs0506_release"
    if low.split()[:5] == ["mjd", "log10(e)", "ang_err", "ra", "dec"]:
        return "ic86_2011"
    if "mjd_start" in low:
        raise InputError("this is a good-run (uptime) list, not an event table; read it with "
                         "bayesnu.data.load_uptime", path=p, line=1)
    if "logemin_nu" in low or "aeff" in low.replace("_", ""):
        raise InputError("this is an effective-area table, not an event table; read it with "
                         "bayesnu.data.load_effective_area", path=p, line=1)
    if looks_generic_header(first):
        return "generic"
    raise InputError("unrecognised format: the header matches none of the supported releases "
                     "or the generic event table (columns ra, dec, time, log10e, angerr)",
                     path=p, line=1)


def _detect_fits(p: Path) -> str:
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyWarning

    try:
        with warnings.catch_warnings():  # astropy's own truncation warnings: we raise below
            warnings.simplefilter("ignore", AstropyWarning)
            with fits.open(p, memmap=False) as hl:
                info = [(h.name, list(getattr(h, "columns", None).names)
                         if getattr(h, "columns", None) is not None else []) for h in hl]
    except Exception as exc:
        raise InputError(f"not a readable FITS file (truncated or corrupt?): "
                         f"{' '.join(str(exc).split())[:120]}", path=p) from None
    for hname, cols in info:
        lc = {c.lower() for c in cols}
        if hname == "EVENTS":
            return "generic"
        if "4LAC" in hname.upper():
            return "4lac_dr2" if ("datarelease" in lc or "DR2" in hname.upper()) else "4lac"
        if {"class", "redshift", "sed_class"} <= lc:
            return "4lac_dr2" if ("datarelease" in lc or "DR2" in hname.upper()) else "4lac"
        if "flux_history" in lc:
            return "3fgl"
        if {"raj2000", "dej2000", "class"} <= lc:  # a 4LAC table with a renamed column
            return "4lac_dr2" if "datarelease" in lc else "4lac"
    raise InputError("FITS file is not a recognised catalogue (4LAC, 4LAC-DR2, 3FGL) or generic "
                     "event table (EVENTS HDU)", path=p)


# --------------------------------------------------------------------------- path loaders

def _load_ps10yr_path(p: Path, name: str) -> Dataset:
    fb = _ps10yr_fallback()
    if p.is_dir():
        raw = _i.read_ps10yr_raw(p)
        return _i.build_ps10yr(raw, os.fspath(p), name, fallback=fb)
    # a single events/<season>_exp.csv: look for the release's siblings
    from ._tables import read_numeric_table

    season = _i._season_of(p.name)
    t = read_numeric_table(p, _i._EVENTS_COLS, header=_i._EVENTS_HDR)
    raw = {f"events/{season}/{c}": t[c] for c in _i._EVENTS_COLS}
    raw[f"events/{season}/lines"] = t.lines
    root = p.parent.parent
    fu = root / "uptime" / f"{season}_exp.csv"
    if fu.exists():
        raw[f"uptime/{season}"] = _i.read_uptime_raw(fu)
    aname = _i.PS10YR_AEFF_OF.get(season, season)
    fa = root / "irfs" / f"{aname}_effectiveArea.csv"
    if fa.exists():
        raw[f"irfs/{aname}"] = _i.read_irf_raw(fa)
    files = {("events", season): os.fspath(p)}

    def file_of(sub, s, suf):
        return files.get((sub, s), os.fspath(root / sub / f"{s}{suf}"))

    return _i.build_ps10yr(raw, os.fspath(p), name, fallback=fb, file_of=file_of)


def _load_ic86_path(p: Path, name: str) -> Dataset:
    up = _ps10yr_uptimes()["IC86_I"]
    usrc = "bundled 10-year uptime/IC86_I_exp.csv"
    if p.is_dir():
        raw = _i.read_ic86_2011_raw(p)
        return _i.build_ic86_2011(raw, os.fspath(p), name, up, usrc)
    from ._tables import read_numeric_table

    t = read_numeric_table(p, _i._IC86_EV_COLS, header=_i._IC86_EV_HDR)
    part = "downgoing" if "down" in p.name.lower() else "upgoing"
    other = "upgoing" if part == "downgoing" else "downgoing"
    raw = {f"{part}/{c}": t[c] for c in _i._IC86_EV_COLS}
    raw[f"{part}/lines"] = t.lines
    for c in _i._IC86_EV_COLS:
        raw[f"{other}/{c}"] = np.zeros(0)
    ds = _i.build_ic86_2011(raw, os.fspath(p.parent), name, up, usrc, parts=(part,),
                            files={part: os.fspath(p)})
    return ds


def _load_txs_path(p: Path, name: str) -> Dataset:
    ups = _ps10yr_uptimes()
    if p.is_dir():
        return _i.build_txs(_i.read_txs_raw(p), os.fspath(p), name, ups)
    from ._tables import read_numeric_table

    s = p.stem.replace("events_", "")
    lst = p.parent / "list_of_samples.txt"
    if lst.exists():
        names, ranges, text = _i._parse_samples_list(lst)
    else:
        braw = _b.read_bundled_raw("txs0506", "samples/")
        names = [str(x) for x in braw["samples/names"]]
        ranges = braw["samples/range_mjd"]
    if s not in names:
        raise InputError(f"sample '{s}' is not in the release's list of samples {names}", path=p)
    k = names.index(s)
    t = read_numeric_table(p, _i._TXS_EV_COLS, header=_i._TXS_EV_HDR)
    raw = {f"events/{s}/{c}": t[c] for c in _i._TXS_EV_COLS}
    raw[f"events/{s}/lines"] = t.lines
    raw["samples/names"] = np.array([s])
    raw["samples/range_mjd"] = np.asarray(ranges)[k:k + 1]
    fa = p.parent / f"Aeff_{s}.txt"
    if fa.exists():
        raw[f"aeff/{s}"] = _i._read_txs_aeff(fa)
    return _i.build_txs(raw, os.fspath(p.parent), name, ups, files={s: os.fspath(p)})


def load(name_or_path: str | os.PathLike, format: str | None = None,
         **kw: Any) -> Dataset | CatalogTable:
    """Load a bundled data set by name, or any supported file or release folder.

    Parameters
    ----------
    name_or_path
        A bundled name (:func:`bundled_names`: ``"ic40"``, ``"ic86_2011"``,
        ``"txs0506"``, ``"icecat1"``, ``"4lac"``, ``"4lac_dr2"``, ``"4fgl_dr2"``,
        ``"3fgl"``, ``"5bzcat"``; case-insensitive, aliases allowed) or a path.
    format
        Override format detection (one of :data:`FORMATS` or an alias).
    **kw
        ``uptime=`` for generic tables without uptime (see
        :mod:`bayesnu.data.generic`), ``name=`` to name the result.

    Returns
    -------
    Dataset or CatalogTable
        Events (with per-sample uptime, effective area and footprint) or a
        catalogue / light-curve table. ``meta["citation"]`` gives the reference.

    Raises
    ------
    bayesnu.errors.InputError
        Unknown name, unrecognised or malformed input (one line naming the file,
        line and column).
    """
    s = os.fspath(name_or_path)
    p = Path(s)
    key = _b.canonical_name(s) if not p.exists() else None
    if key is not None and format is None:
        return _load_bundled(key)
    if not p.exists():
        raise InputError(f"no such file or directory, and not a bundled data set "
                         f"({', '.join(_b.bundled_names())})", path=s)
    if format is not None:
        fmt = _FORMAT_ALIASES.get(str(format).lower())
        if fmt is None:
            raise InputError(f"unknown format '{format}'; use one of {', '.join(FORMATS)}",
                             column="format")
    else:
        fmt = detect_format(p)
    name = kw.pop("name", None) or s
    if fmt == "icecube_ps_10yr":
        return _load_ps10yr_path(p, name)
    if fmt == "ic86_2011":
        return _load_ic86_path(p, name)
    if fmt == "txs0506_release":
        return _load_txs_path(p, name)
    if fmt == "icecat1":
        f = p / "IceCube_Gold_Bronze_Tracks.csv" if p.is_dir() else p
        return _c.build_icecat1(_c.read_icecat1_raw(f), os.fspath(f), name)
    if fmt in ("4lac", "4lac_dr2"):
        return _c.build_4lac(_c.read_4lac_raw(p), s, name, fmt)
    if fmt == "4fgl_dr2_lc":
        return _c.build_4fgl_lc(_c.read_4fgl_lc_raw(p), s, name)
    if fmt == "3fgl":
        return _c.build_3fgl(_c.read_3fgl_raw(p), s, name)
    if fmt == "5bzcat":
        return _c.build_5bzcat(_c.read_5bzcat_raw(p), s, name)
    if fmt == "generic":
        if p.is_dir():
            raise InputError("generic format expects a file, got a folder", path=p)
        return read_generic(p, uptime=kw.pop("uptime", None), name=name)
    raise InputError(f"unknown format '{fmt}'", path=p)  # pragma: no cover
