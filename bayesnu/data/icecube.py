"""Readers for IceCube's public track releases.

* 10-year point-source release (arXiv:2101.09836, DOI 10.21234/sxvs-mt83):
  ``events/<season>_exp.csv``, ``uptime/<season>_exp.csv``,
  ``irfs/<season>_effectiveArea.csv``; any subset of seasons.
* IC86-2011 all-sky release (ApJ 835 (2017) 151): ``upgoing_events.txt``,
  ``downgoing_events.txt``, ``TabulatedAeff.txt``, ``AngRes.txt``.
* TXS 0506+056 release (Science 361, 147 (2018)): ``events_<S>.txt``,
  ``Aeff_<S>.txt``, ``list_of_samples.txt`` for S = IC40, IC59, IC79, IC86a,
  IC86b, IC86c.

Each reader comes in two halves: ``read_*_raw(path)`` parses the files into a
flat ``{key: array}`` dict of the release's own values (this is what the
bundled ``.npz`` copies store, value for value), and ``build_*(raw, ...)``
turns such a dict into validated :class:`~bayesnu.data.core.Dataset` objects.

Uptime (good-run lists) per release
-----------------------------------
* 10-year release: the season's own ``uptime/<season>_exp.csv``. A season whose
  uptime file is missing from a user's folder uses the bundled copy of the same
  official file (noted in ``sample.meta["notes"]``).
* IC86-2011 release: it ships no good-run list. The 10-year release's
  ``IC86_I`` list covers the same detector season (2011-05-13 .. 2012-05-15) and
  is used. The release's times are whole-day MJD, so an event is accepted if a
  good run overlaps its day ``[t, t + 1)``.
* TXS 0506+056 release: it ships only sample date ranges. Each sample uses the
  10-year good-run lists of the matching seasons (IC40 -> IC40, IC59 -> IC59,
  IC79 -> IC79, IC86a -> IC86_I, IC86b -> IC86_II..IV, IC86c -> IC86_V..VII),
  clipped to the sample's date range ``[start 00:00, end + 1 d 00:00)`` (end day
  inclusive: IC86c has an event on its end date). Every one of the 1,257 events
  falls in a clipped good run. If no good run survives the clipping, the plain
  date range is used.

Livetime is always the sum of the (merged) good-run intervals. In IC86_V, VI and
VII a few consecutive runs overlap by up to 1.1 s in total; overlaps are merged
(not double counted).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from bayesnu.errors import InputError

from ._tables import read_numeric_table, read_text
from ._validate import validate_events
from .core import Dataset, EffectiveArea, EventSample, Footprint, Uptime

__all__ = [
    "PS10YR_SEASONS",
    "PS10YR_AEFF_OF",
    "TXS_SAMPLES",
    "TXS_SEASONS",
    "TXS_RA_DEG",
    "TXS_DEC_DEG",
    "TXS_BOX_HALF_WIDTH_DEG",
    "load_uptime",
    "load_effective_area",
    "read_uptime_raw",
    "read_irf_raw",
    "uptime_from_raw",
    "aeff_from_irf_raw",
    "read_ps10yr_raw",
    "build_ps10yr",
    "read_ic86_2011_raw",
    "build_ic86_2011",
    "read_txs_raw",
    "build_txs",
    "read_enu_to_emu",
]

CITE_PS10YR = (
    "IceCube Collaboration, 'IceCube Data for Neutrino Point-Source Searches: Years 2008-2018', "
    "arXiv:2101.09836, DOI 10.21234/sxvs-mt83"
)
CITE_IC86_2011 = (
    "IceCube Collaboration (M. G. Aartsen et al.), ApJ 835 (2017) 151, IC86-2011 all-sky "
    "point-source data release"
)
CITE_TXS = (
    "IceCube Collaboration, Science 361 (2018) 147, data release accompanying 'Neutrino "
    "emission from the direction of the blazar TXS 0506+056 prior to the IceCube-170922A "
    "alert'"
)

#: Seasons of the 10-year release, in time order.
PS10YR_SEASONS = ("IC40", "IC59", "IC79", "IC86_I", "IC86_II", "IC86_III", "IC86_IV",
                  "IC86_V", "IC86_VI", "IC86_VII")
#: Which IRF file a season uses (IC86_II applies to IC86_II..VII).
PS10YR_AEFF_OF = {s: (s if s in ("IC40", "IC59", "IC79", "IC86_I") else "IC86_II")
                  for s in PS10YR_SEASONS}

TXS_SAMPLES = ("IC40", "IC59", "IC79", "IC86a", "IC86b", "IC86c")
#: 10-year seasons whose good-run lists are clipped to each TXS sample's range.
TXS_SEASONS = {"IC40": ("IC40",), "IC59": ("IC59",), "IC79": ("IC79",), "IC86a": ("IC86_I",),
               "IC86b": ("IC86_II", "IC86_III", "IC86_IV"),
               "IC86c": ("IC86_V", "IC86_VI", "IC86_VII")}
#: TXS 0506+056 (J2000, deg) and the half width of the release's RA/Dec box.
TXS_RA_DEG = 77.3582
TXS_DEC_DEG = 5.69315
TXS_BOX_HALF_WIDTH_DEG = 3.0

_EVENTS_HDR = ("MJD[days]", "log10(E/GeV)", "AngErr[deg]", "RA[deg]", "Dec[deg]",
               "Azimuth[deg]", "Zenith[deg]")
_EVENTS_COLS = ("mjd", "log10e", "angerr", "ra", "dec", "azimuth", "zenith")
_UPTIME_HDR = ("MJD_start[days]", "MJD_stop[days]")
_IRF_HDR = ("logEmin_nu", "logEmax_nu", "decmin", "decmax", "Aeff")
_IRF_COLS = ("log10e_min", "log10e_max", "dec_min", "dec_max", "aeff_cm2")


# --------------------------------------------------------------------------- uptime, IRFs

def read_uptime_raw(path: str | os.PathLike, text: str | None = None) -> np.ndarray:
    """Good-run list of the 10-year release as an (n, 2) array [MJD start, stop]."""
    t = read_numeric_table(path, ("start", "stop"), header=_UPTIME_HDR, text=text)
    iv = np.column_stack([t["start"], t["stop"]])
    bad = iv[:, 1] < iv[:, 0]
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"good run stops (MJD {float(iv[r, 1])!r}) before it starts "
                         f"(MJD {float(iv[r, 0])!r})",
                         path=path, line=t.line_of(r))
    return iv


def uptime_from_raw(iv: np.ndarray, source: str | None) -> Uptime:
    return Uptime(np.asarray(iv, dtype=np.float64), source=source)


def load_uptime(path: str | os.PathLike) -> Uptime:
    """Read one official good-run list (``uptime/<season>_exp.csv``).

    Returns
    -------
    Uptime
        Intervals in MJD; livetime = sum of the (merged) intervals.
    """
    return uptime_from_raw(read_uptime_raw(path), os.fspath(path))


def read_irf_raw(path: str | os.PathLike, text: str | None = None) -> np.ndarray:
    """Effective-area table of the 10-year release as an (n, 5) array.

    Columns: log10(E_nu/GeV) min, max, dec_nu min, max [deg], A_eff [cm^2].
    """
    t = read_numeric_table(path, _IRF_COLS, header=_IRF_HDR, text=text)
    return np.column_stack([t[c] for c in _IRF_COLS])


def _grid_from_bins(lo: np.ndarray, hi: np.ndarray, what: str, path) -> tuple[np.ndarray, np.ndarray]:
    edges_lo = np.unique(lo)
    edges_hi = np.unique(hi)
    if edges_lo.size != edges_hi.size or np.any(edges_lo[1:] != edges_hi[:-1]):
        raise InputError(f"{what} bins are not contiguous", path=path)
    edges = np.append(edges_lo, edges_hi[-1])
    idx = np.searchsorted(edges_lo, lo)
    return edges, idx


def aeff_from_irf_raw(tab: np.ndarray, name: str, source: str | None) -> EffectiveArea:
    """Build an :class:`EffectiveArea` (sin dec bins) from a 10-year IRF table."""
    tab = np.asarray(tab, dtype=np.float64)
    le, ie = _grid_from_bins(tab[:, 0], tab[:, 1], "energy", source)
    de, jd = _grid_from_bins(tab[:, 2], tab[:, 3], "declination", source)
    if np.any(np.abs(de) > 90):
        raise InputError("declination bin edges outside [-90, 90] deg", path=source,
                         column="decmin")
    area = np.full((le.size - 1, de.size - 1), np.nan)
    area[ie, jd] = tab[:, 4]
    if np.isnan(area).any() or tab.shape[0] != area.size:
        raise InputError(f"effective-area table is not a full {le.size - 1} x {de.size - 1} grid",
                         path=source)
    return EffectiveArea(le, np.sin(np.radians(de)), area, name=name, source=source)


def load_effective_area(path: str | os.PathLike, name: str | None = None) -> EffectiveArea:
    """Read one official effective-area file.

    Recognises the 10-year ``irfs/<season>_effectiveArea.csv`` (cm^2, dec bins),
    the IC86-2011 ``TabulatedAeff.txt`` (m^2, cos zenith bins -> sin dec =
    -cos zenith) and the TXS release ``Aeff_<S>.txt`` (m^2 at the source
    declination; one sin(dec) bin spanning the release's box).

    Returns
    -------
    EffectiveArea
        Area in cm^2 on (log10 E_nu/GeV, sin dec) bins.
    """
    p = Path(path)
    text = read_text(p)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    stem = p.name
    if "logEmin_nu" in first:
        nm = name or stem.replace("_effectiveArea.csv", "")
        return aeff_from_irf_raw(read_irf_raw(p, text=text), nm, os.fspath(p))
    if first.lstrip().startswith("#") and "cos(zenith)" in first:
        return _aeff_ic86_2011(_read_tabulated_aeff(p, text=text), os.fspath(p))
    if "Aeff[m2]" in first.replace(" ", ""):
        nm = name or stem.replace("Aeff_", "").replace(".txt", "")
        return _aeff_txs(_read_txs_aeff(p, text=text), nm, os.fspath(p))
    raise InputError("not a recognised effective-area file (expected the 10-year irfs CSV, "
                     "IC86-2011 TabulatedAeff.txt or a TXS release Aeff_*.txt)", path=p, line=1)


# --------------------------------------------------------------------------- 10-year release

def _season_of(fname: str) -> str:
    return re.sub(r"_(exp|effectiveArea)\.csv$", "", fname)


def read_ps10yr_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Parse a 10-year release folder (``events/``, ``uptime/``, ``irfs/``).

    Returns a flat dict with keys ``events/<season>/<col>`` (cols: mjd, log10e,
    angerr, ra, dec, azimuth, zenith), ``events/<season>/lines``,
    ``uptime/<season>`` and ``irfs/<season>`` for every file present.
    """
    root = Path(path)
    raw: dict[str, np.ndarray] = {}
    for sub in ("events", "uptime", "irfs"):
        d = root / sub
        if not d.is_dir():
            continue
        for f in sorted(d.iterdir()):
            if sub == "irfs" and not f.name.endswith("_effectiveArea.csv"):
                continue
            if sub != "irfs" and not f.name.endswith("_exp.csv"):
                continue
            season = _season_of(f.name)
            if sub == "events":
                t = read_numeric_table(f, _EVENTS_COLS, header=_EVENTS_HDR)
                for c in _EVENTS_COLS:
                    raw[f"events/{season}/{c}"] = t[c]
                raw[f"events/{season}/lines"] = t.lines
            elif sub == "uptime":
                raw[f"uptime/{season}"] = read_uptime_raw(f)
            else:
                raw[f"irfs/{season}"] = read_irf_raw(f)
    if not any(k.startswith("events/") for k in raw):
        raise InputError("no events/<season>_exp.csv files in the 10-year release folder",
                         path=root / "events")
    return raw


def _seasons_in(raw: dict, prefix: str) -> list[str]:
    seen = []
    for k in raw:
        if k.startswith(prefix + "/"):
            s = k.split("/")[1]
            if s not in seen:
                seen.append(s)
    order = {s: i for i, s in enumerate(PS10YR_SEASONS)}
    return sorted(seen, key=lambda s: (order.get(s, 99), s))


def build_ps10yr(raw: dict[str, np.ndarray], source: str, name: str,
                 fallback: dict[str, np.ndarray] | None = None,
                 file_of=None) -> Dataset:
    """Validated :class:`Dataset` (one sample per season with events).

    ``fallback`` holds bundled ``uptime/<season>`` and ``irfs/<season>`` arrays
    used for seasons whose files are missing from ``raw``.
    """
    fallback = fallback or {}
    file_of = file_of or (lambda sub, season, suffix: os.path.join(source, sub, f"{season}{suffix}"))
    samples = []
    for season in _seasons_in(raw, "events"):
        notes = []
        ev_file = file_of("events", season, "_exp.csv")
        key_u = f"uptime/{season}"
        if key_u in raw:
            up = uptime_from_raw(raw[key_u], file_of("uptime", season, "_exp.csv"))
        elif key_u in fallback:
            up = uptime_from_raw(fallback[key_u], f"bundled uptime/{season}_exp.csv")
            notes.append(f"uptime/{season}_exp.csv missing: used the bundled official copy")
        else:
            raise InputError(f"no good-run list for season {season}: uptime/{season}_exp.csv "
                             "is missing", path=source)
        aname = PS10YR_AEFF_OF.get(season, season)
        key_a = f"irfs/{aname}"
        aeff = None
        if key_a in raw:
            aeff = aeff_from_irf_raw(raw[key_a], season, file_of("irfs", aname, "_effectiveArea.csv"))
        elif key_a in fallback:
            aeff = aeff_from_irf_raw(fallback[key_a], season,
                                     f"bundled irfs/{aname}_effectiveArea.csv")
            notes.append(f"irfs/{aname}_effectiveArea.csv missing: used the bundled official copy")
        lines = raw.get(f"events/{season}/lines")
        if lines is None:
            lines = np.arange(raw[f"events/{season}/mjd"].size, dtype=np.int64) + 2
        cols = {"ra": raw[f"events/{season}/ra"], "dec": raw[f"events/{season}/dec"],
                "time": raw[f"events/{season}/mjd"], "log10e": raw[f"events/{season}/log10e"],
                "angerr": raw[f"events/{season}/angerr"]}
        validate_events(cols, ev_file, lines, up,
                        names={"ra": "RA[deg]", "dec": "Dec[deg]", "time": "MJD[days]",
                               "log10e": "log10(E/GeV)", "angerr": "AngErr[deg]"})
        meta = {"source": ev_file, "citation": CITE_PS10YR, "notes": notes,
                "azimuth_deg": np.asarray(raw[f"events/{season}/azimuth"], dtype=np.float64),
                "zenith_deg": np.asarray(raw[f"events/{season}/zenith"], dtype=np.float64),
                "uptime_source": up.source,
                "aeff_source": None if aeff is None else aeff.source}
        samples.append(EventSample(season, cols["ra"], cols["dec"], cols["time"], cols["log10e"],
                                   cols["angerr"], uptime=up, aeff=aeff, meta=meta))
    return Dataset(name, "icecube_ps_10yr", tuple(samples),
                   meta={"source": source, "citation": CITE_PS10YR})


# --------------------------------------------------------------------------- IC86-2011

_IC86_EV_HDR = ("MJD", "log10(E)", "ang_err", "RA", "Dec")
_IC86_EV_COLS = ("mjd", "log10e", "angerr", "ra", "dec")
_TAB_AEFF_HDR = ("E_min[GeV]", "E_max[GeV]", "cos(zenith)_min", "cos(zenith)_max", "Aeff[m^2]")
#: IC86-2011 directions and errors are rounded to 0.1 deg; errors printed as 0.0
#: (12 downgoing events) are set to half the rounding step.
IC86_2011_MIN_ANGERR_DEG = 0.05


def _read_tabulated_aeff(path, text=None) -> np.ndarray:
    t = read_numeric_table(path, ("e_min", "e_max", "cz_min", "cz_max", "aeff_m2"),
                           header=_TAB_AEFF_HDR, header_is_comment=True, text=text)
    return np.column_stack([t[c] for c in ("e_min", "e_max", "cz_min", "cz_max", "aeff_m2")])


def _aeff_ic86_2011(tab: np.ndarray, source: str | None) -> EffectiveArea:
    """(E, cos zenith) table in m^2 -> (log10 E, sin dec) in cm^2, sin dec = -cos zenith."""
    tab = np.asarray(tab, dtype=np.float64)
    if np.any(tab[:, :2] <= 0):
        raise InputError("energies must be positive", path=source, column="E_min[GeV]")
    ee, ie = _grid_from_bins(tab[:, 0], tab[:, 1], "energy", source)
    # sin(dec) = -cos(zenith) at the South Pole: bin [c0, c1] -> [-c1, -c0]
    se, js = _grid_from_bins(-tab[:, 3], -tab[:, 2], "cos(zenith)", source)
    if se[0] < -1 - 1e-9 or se[-1] > 1 + 1e-9:
        raise InputError("cos(zenith) bin edges outside [-1, 1]", path=source,
                         column="cos(zenith)_min")
    area = np.full((ee.size - 1, se.size - 1), np.nan)
    area[ie, js] = tab[:, 4] * 1e4
    if np.isnan(area).any() or tab.shape[0] != area.size:
        raise InputError("effective-area table is not a full grid", path=source)
    return EffectiveArea(np.log10(ee), se, area, name="IC86_2011", source=source)


def read_ic86_2011_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Parse the IC86-2011 release folder (events, TabulatedAeff, AngRes)."""
    root = Path(path)
    raw: dict[str, np.ndarray] = {}
    for part in ("upgoing", "downgoing"):
        f = root / f"{part}_events.txt"
        t = read_numeric_table(f, _IC86_EV_COLS, header=_IC86_EV_HDR)
        for c in _IC86_EV_COLS:
            raw[f"{part}/{c}"] = t[c]
        raw[f"{part}/lines"] = t.lines
    f = root / "TabulatedAeff.txt"
    if f.exists():
        raw["aeff"] = _read_tabulated_aeff(f)
    f = root / "AngRes.txt"
    if f.exists():
        t = read_numeric_table(f, ("angres_deg", "log10e"), delimiter=",")
        raw["angres"] = np.column_stack([t["angres_deg"], t["log10e"]])
    return raw


def build_ic86_2011(raw: dict[str, np.ndarray], source: str, name: str,
                    uptime_ic86_i: np.ndarray, uptime_source: str,
                    parts: tuple[str, ...] = ("upgoing", "downgoing"),
                    files: dict[str, str] | None = None) -> Dataset:
    """Validated IC86-2011 :class:`Dataset`: one sample ``IC86_2011`` (up + down)."""
    up = uptime_from_raw(uptime_ic86_i, uptime_source)
    files = files or {}
    cols = {}
    for part in parts:
        f = files.get(part, os.path.join(source, f"{part}_events.txt"))
        lines = raw.get(f"{part}/lines")
        if lines is None:
            lines = np.arange(raw[f"{part}/mjd"].size, dtype=np.int64) + 2
        c = {"ra": raw[f"{part}/ra"], "dec": raw[f"{part}/dec"], "time": raw[f"{part}/mjd"],
             "log10e": raw[f"{part}/log10e"],
             "angerr": np.maximum(raw[f"{part}/angerr"], IC86_2011_MIN_ANGERR_DEG)}
        # printed 0.0 errors are rounding, negative ones are not
        neg = raw[f"{part}/angerr"] < 0
        if neg.any():
            r = int(np.flatnonzero(neg)[0])
            raise InputError(f"negative angular error {raw[f'{part}/angerr'][r]}", path=f,
                             line=int(lines[r]), column="ang_err")
        validate_events(c, f, lines, up, time_tol_days=(0.0, 1.0),
                        names={"ra": "RA", "dec": "Dec", "time": "MJD", "log10e": "log10(E)",
                               "angerr": "ang_err"})
        for k, v in c.items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=np.float64))
    cols = {k: np.concatenate(v) for k, v in cols.items()}
    n_up = int(raw["upgoing/mjd"].size) if "upgoing" in parts else 0
    aeff = None
    if "aeff" in raw:
        aeff = _aeff_ic86_2011(raw["aeff"], os.path.join(source, "TabulatedAeff.txt"))
    n_zero = int(np.sum(raw["upgoing/angerr"] == 0) + np.sum(raw["downgoing/angerr"] == 0))
    notes = [
        "no good-run list in this release: the 10-year release's IC86_I list (same detector "
        "season) is used; times are whole-day MJD, accepted if a good run overlaps the day",
        f"{n_zero} angular errors printed as 0.0 (0.1 deg rounding) set to "
        f"{IC86_2011_MIN_ANGERR_DEG} deg",
    ]
    meta = {"source": source, "citation": CITE_IC86_2011, "notes": notes, "n_upgoing": n_up,
            "n_downgoing": int(cols["ra"].size - n_up), "uptime_source": uptime_source,
            "time_resolution_days": 1.0, "direction_resolution_deg": 0.1}
    if "angres" in raw:
        meta["angres_deg_vs_log10e"] = np.asarray(raw["angres"], dtype=np.float64)
    s = EventSample("IC86_2011", cols["ra"], cols["dec"], cols["time"], cols["log10e"],
                    cols["angerr"], uptime=up, aeff=aeff, meta=meta)
    return Dataset(name, "ic86_2011", (s,), meta={"source": source, "citation": CITE_IC86_2011})


# --------------------------------------------------------------------------- TXS release

_TXS_EV_HDR = ("MJD", "Ra_deg", "Dec_deg", "Unc_deg", "log10(Ereco)")
_TXS_EV_COLS = ("mjd", "ra", "dec", "angerr", "log10e")
_TXS_AEFF_HDR = ("log10(Emin/GeV)", "log10(Emax/GeV)", "Aeff[m2]")
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}


def _mjd_of_date(y: int, m: int, d: int) -> float:
    # proleptic Gregorian calendar date -> MJD at 00:00 (Fliegel & Van Flandern)
    a = (14 - m) // 12
    yy = y + 4800 - a
    mm = m + 12 * a - 3
    jdn = d + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - yy // 100 + yy // 400 - 32045
    return float(jdn - 2400001)


def _read_txs_aeff(path, text=None) -> np.ndarray:
    t = read_numeric_table(path, ("lo", "hi", "aeff_m2"), header=_TXS_AEFF_HDR, text=text)
    return np.column_stack([t["lo"], t["hi"], t["aeff_m2"]])


def _txs_footprint() -> Footprint:
    h = TXS_BOX_HALF_WIDTH_DEG
    return Footprint(TXS_RA_DEG - h, TXS_RA_DEG + h, TXS_DEC_DEG - h, TXS_DEC_DEG + h)


def _aeff_txs(tab: np.ndarray, name: str, source: str | None) -> EffectiveArea:
    tab = np.asarray(tab, dtype=np.float64)
    le, ie = _grid_from_bins(tab[:, 0], tab[:, 1], "energy", source)
    if tab.shape[0] != le.size - 1:
        raise InputError("energy bins repeat", path=source)
    fp = _txs_footprint()
    se = np.sin(np.radians([fp.dec_min, fp.dec_max]))
    area = np.zeros((le.size - 1, 1))
    area[ie, 0] = tab[:, 2] * 1e4
    return EffectiveArea(le, se, area, name=name, source=source)


def _parse_samples_list(path, text=None) -> tuple[list[str], np.ndarray, list[str]]:
    text = read_text(path) if text is None else text
    lines = text.splitlines()
    if not lines or not lines[0].split() or lines[0].split()[0].lower() != "name":
        raise InputError("missing header 'Name Start End ...'", path=path, line=1)
    names, ranges, raw_lines = [], [], []
    pat = re.compile(r"^\s*(\S+)\s+(\d{4})\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+"
                     r"([A-Za-z]{3})\s+(\d{1,2})\b")
    for i, ln in enumerate(lines[1:], start=2):
        if not ln.strip():
            continue
        m = pat.match(ln)
        if not m or m.group(3).lower() not in _MONTHS or m.group(6).lower() not in _MONTHS:
            raise InputError("expected 'NAME YYYY Mon DD YYYY Mon DD ...'", path=path, line=i)
        s = _mjd_of_date(int(m.group(2)), _MONTHS[m.group(3).lower()], int(m.group(4)))
        e = _mjd_of_date(int(m.group(5)), _MONTHS[m.group(6).lower()], int(m.group(7)))
        if e < s:
            raise InputError("sample ends before it starts", path=path, line=i)
        names.append(m.group(1))
        ranges.append((s, e))
        raw_lines.append(ln)
    if not names:
        raise InputError("no samples listed", path=path)
    return names, np.asarray(ranges, dtype=np.float64), raw_lines


def read_txs_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Parse the TXS 0506+056 release folder.

    Keys: ``events/<S>/<col>`` (mjd, ra, dec, angerr, log10e), ``events/<S>/lines``,
    ``aeff/<S>`` ((n, 3): log10 Emin, log10 Emax, A_eff [m^2]), ``samples/names``,
    ``samples/range_mjd`` ((n, 2), start and end date at 00:00), ``samples/text``.
    """
    root = Path(path)
    raw: dict[str, np.ndarray] = {}
    names, ranges, text = _parse_samples_list(root / "list_of_samples.txt")
    raw["samples/names"] = np.asarray(names, dtype=str)
    raw["samples/range_mjd"] = ranges
    raw["samples/text"] = np.asarray(text, dtype=str)
    for s in names:
        f = root / f"events_{s}.txt"
        t = read_numeric_table(f, _TXS_EV_COLS, header=_TXS_EV_HDR)
        for c in _TXS_EV_COLS:
            raw[f"events/{s}/{c}"] = t[c]
        raw[f"events/{s}/lines"] = t.lines
        fa = root / f"Aeff_{s}.txt"
        if fa.exists():
            raw[f"aeff/{s}"] = _read_txs_aeff(fa)
    return raw


def txs_uptime(sample: str, range_mjd: tuple[float, float],
               ps10yr_uptimes: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """Good runs of the matching 10-year seasons clipped to ``[start, end + 1)``."""
    start, end = float(range_mjd[0]), float(range_mjd[1]) + 1.0
    seasons = TXS_SEASONS.get(sample, ())
    parts = [np.asarray(ps10yr_uptimes[s]) for s in seasons if s in ps10yr_uptimes]
    if parts:
        iv = np.concatenate(parts)
        iv = np.clip(iv, start, end)
        iv = iv[iv[:, 1] > iv[:, 0]]
        if iv.size:
            return iv, (f"10-year good-run lists {'+'.join(seasons)} clipped to "
                        f"MJD {start:.0f}-{end:.0f}")
    return np.array([[start, end]]), f"sample date range MJD {start:.0f}-{end:.0f}"


def build_txs(raw: dict[str, np.ndarray], source: str, name: str,
              ps10yr_uptimes: dict[str, np.ndarray], files: dict[str, str] | None = None) -> Dataset:
    """Validated TXS 0506+056 release :class:`Dataset` (six samples, box footprint)."""
    fp = _txs_footprint()
    files = files or {}
    samples = []
    names = [str(s) for s in raw["samples/names"]]
    for k, s in enumerate(names):
        f = files.get(s, os.path.join(source, f"events_{s}.txt"))
        if f"events/{s}/mjd" not in raw:
            raise InputError(f"events file for sample {s} missing", path=f)
        iv, usrc = txs_uptime(s, raw["samples/range_mjd"][k], ps10yr_uptimes)
        up = uptime_from_raw(iv, usrc)
        lines = raw.get(f"events/{s}/lines")
        if lines is None:
            lines = np.arange(raw[f"events/{s}/mjd"].size, dtype=np.int64) + 2
        cols = {"ra": raw[f"events/{s}/ra"], "dec": raw[f"events/{s}/dec"],
                "time": raw[f"events/{s}/mjd"], "log10e": raw[f"events/{s}/log10e"],
                "angerr": raw[f"events/{s}/angerr"]}
        validate_events(cols, f, lines, up,
                        names={"ra": "Ra_deg", "dec": "Dec_deg", "time": "MJD",
                               "log10e": "log10(Ereco)", "angerr": "Unc_deg"})
        ra, dec = cols["ra"], cols["dec"]
        outside = (ra < fp.ra_min) | (ra > fp.ra_max) | (dec < fp.dec_min) | (dec > fp.dec_max)
        if outside.any():
            r = int(np.flatnonzero(outside)[0])
            raise InputError(f"event (RA {ra[r]}, Dec {dec[r]}) outside the release's box "
                             f"RA {fp.ra_min:.3f}-{fp.ra_max:.3f}, Dec {fp.dec_min:.3f}-"
                             f"{fp.dec_max:.3f} deg", path=f, line=int(lines[r]))
        aeff = None
        if f"aeff/{s}" in raw:
            aeff = _aeff_txs(raw[f"aeff/{s}"], s, os.path.join(source, f"Aeff_{s}.txt"))
        meta = {"source": f, "citation": CITE_TXS, "uptime_source": usrc,
                "date_range_mjd": (float(raw["samples/range_mjd"][k][0]),
                                   float(raw["samples/range_mjd"][k][1]) + 1.0),
                "notes": ["no good-run list in this release: " + usrc,
                          "effective area given at the source declination only (one sin(dec) "
                          "bin spanning the box)"]}
        samples.append(EventSample(s, ra, dec, cols["time"], cols["log10e"], cols["angerr"],
                                   uptime=up, aeff=aeff, footprint=fp, meta=meta))
    return Dataset(name, "txs0506_release", tuple(samples),
                   meta={"source": source, "citation": CITE_TXS,
                         "source_ra_deg": TXS_RA_DEG, "source_dec_deg": TXS_DEC_DEG})


# --------------------------------------------------------------------------- E_nu -> E_mu

def read_enu_to_emu(path: str | os.PathLike, text: str | None = None) -> dict[str, np.ndarray]:
    """Parse ``Fig_S4_tabulated_Enu_to_Emu.txt`` (10-year release, Fig. S4).

    Returns
    -------
    dict
        ``log10_enu_edges_gev`` (n_nu + 1,), ``log10_emu_edges_gev`` (23,) and
        ``fraction`` (n_nu, 22): the published table, rows = neutrino energy bins,
        columns = muon-energy-proxy bins (converted from TeV to GeV by +3 in log10).
    """
    text = read_text(path) if text is None else text
    lo, hi, rows = [], [], []
    for i, ln in enumerate(text.splitlines(), start=1):
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*:(.*)$", s)
        if not m:
            raise InputError("expected 'lo , hi : values...'", path=path, line=i)
        try:
            vals = [float(x) for x in m.group(3).split()]
            a, b = float(m.group(1)), float(m.group(2))
        except ValueError:
            raise InputError("non-numeric value", path=path, line=i) from None
        if len(vals) != 22:
            raise InputError(f"has {len(vals)} values, expected 22", path=path, line=i)
        lo.append(a)
        hi.append(b)
        rows.append(vals)
    if not rows:
        raise InputError("no data rows", path=path)
    lo, hi = np.asarray(lo), np.asarray(hi)
    if np.any(lo[1:] != hi[:-1]):
        raise InputError("neutrino-energy bins are not contiguous", path=path)
    return {"log10_enu_edges_gev": np.append(lo, hi[-1]) + 3.0,
            "log10_emu_edges_gev": np.round(np.linspace(-0.4, 4.0, 23), 10) + 3.0,
            "fraction": np.asarray(rows, dtype=np.float64)}
