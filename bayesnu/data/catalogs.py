"""Readers for source catalogues and light-curve tables.

Every table becomes a :class:`~bayesnu.data.core.CatalogTable` whose ``columns``
hold the catalogue's own columns under their catalogue names (strings stripped,
numbers as float64, values unchanged) plus, always when the input has
positions, ``ra`` and ``dec`` in degrees and ``name``:

* IceCat-1 (``icecat1``): ``name, mjd, type, ra, dec, ra_err_plus, ra_err_minus,
  dec_err_plus, dec_err_minus`` (90 % asymmetric, deg), ``energy_tev``, ``far``
  (per yr), ``signalness``, ``cr_veto`` (bool) and the CNN scores.
* 4LAC / 4LAC-DR2 (``4lac``, ``4lac_dr2``): all FITS columns (``CLASS``,
  ``Redshift``, ``SED_class``, ``nu_syn``, ``Variability_Index`` ...), plus
  ``class`` (lower case) and ``redshift`` (NaN where unknown).
* 4FGL-DR2 light curves (``4fgl_dr2``): the CSV's columns plus ``flux_history``,
  ``unc_flux_history_lo``/``_hi`` and ``sqrt_ts_history`` of shape (n, 10);
  ``meta["time_edges_mjd"]`` gives the 11 yearly bin edges.
* 3FGL (``3fgl``): positions, fluxes, ``Variability_Index``, ``CLASS1``, ``ASSOC1``,
  ``flux_history`` (n, 48) monthly, ``unc_flux_history_lo``/``_hi`` (n, 48),
  ``meta["time_edges_mjd"]`` (49 edges, from the ``Hist_Start`` HDU, MET -> MJD).
* 5BZCAT (``5bzcat``): ``name``, ``class`` (from the prefix: 5BZQ -> ``fsrq``,
  5BZB -> ``bll``, 5BZG -> ``bll_host``, 5BZU -> ``uncertain``), ``ra``, ``dec``
  (parsed from sexagesimal), ``ra_sexagesimal``, ``dec_sexagesimal``.

As for events, ``read_*_raw`` returns the file's values and ``build_*`` makes
the validated table, so the bundled copies go through the same checks.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from bayesnu.errors import InputError, InputWarning

from ._tables import read_csv_table
from ._validate import RADIANS_MIN_EVENTS
from .core import CatalogTable

CITE_ICECAT1 = ("IceCube Collaboration (R. Abbasi et al.), 'IceCat-1: the IceCube Event Catalog "
                "of Alert Tracks', ApJS 269 (2023) 25, arXiv:2304.01174")
CITE_4LAC = ("Fermi-LAT Collaboration (M. Ajello et al.), 'The Fourth Catalog of Active Galactic "
             "Nuclei Detected by the Fermi Large Area Telescope', ApJ 892 (2020) 105, "
             "arXiv:1905.10771")
CITE_4LAC_DR2 = ("J. Lott, B. Lott et al. (Fermi-LAT Collaboration), 'Incremental Fermi Large Area "
                 "Telescope Fourth Source Catalog: 4LAC-DR2', arXiv:2010.08406")
CITE_4FGL_DR2 = ("J. Ballet et al. (Fermi-LAT Collaboration), 'Fermi Large Area Telescope Fourth "
                 "Source Catalog Data Release 2 (4FGL-DR2)', arXiv:2005.11208")
CITE_3FGL = ("Fermi-LAT Collaboration (F. Acero et al.), 'Fermi Large Area Telescope Third Source "
             "Catalog', ApJS 218 (2015) 23, arXiv:1501.02003")
CITE_5BZCAT = ("E. Massaro et al., 'The 5th edition of the Roma-BZCAT', Ap&SS 357 (2015) 75")
CITE_BLAZAR_GROUPS = ("Neutrino-blazar correlation study with infrared (WISE) and gamma-ray (Fermi) "
                      "flaring light curves of blazars in IceCube alert regions: TXS-like "
                      "(Table 4) and CFS (Table 5) blazar lists, neutrino counts (Table 6)")

#: 4FGL epoch (2008-08-04) and yearly light-curve bin length (data README).
FGL4_T0_MJD = 54682.66
FGL4_BIN_DAYS = 365.25
#: Fermi mission elapsed time reference (MJDREFI + MJDREFF, TT).
FERMI_MJDREF = 51910.0 + 7.428703703703703e-4

BZCAT_CLASSES = {"5BZQ": "fsrq", "5BZB": "bll", "5BZG": "bll_host", "5BZU": "uncertain"}


def validate_positions(ra: np.ndarray, dec: np.ndarray, path: str | None,
                       lines: np.ndarray | None, ra_name: str, dec_name: str) -> None:
    """Finite, in range, not in radians; errors name file, line and column."""
    for a, cname in ((ra, ra_name), (dec, dec_name)):
        bad = ~np.isfinite(a)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError(f"non-finite position {a[r]}", path=path,
                             line=None if lines is None else int(lines[r]), column=cname)
    bad = np.abs(dec) > 90
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"declination {dec[r]} outside [-90, 90] deg", path=path,
                         line=None if lines is None else int(lines[r]), column=dec_name)
    bad = (ra < 0) | (ra > 360)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"right ascension {ra[r]} outside [0, 360] deg", path=path,
                         line=None if lines is None else int(lines[r]), column=ra_name)
    if ra.size >= RADIANS_MIN_EVENTS and np.abs(dec).max() <= np.pi / 2 and ra.max() <= 2 * np.pi:
        raise InputError("positions look like radians (all |dec| <= pi/2 and RA <= 2 pi); give "
                         "degrees", path=path, column=f"{ra_name}/{dec_name}")


def _warn_duplicate_names(names: np.ndarray, path: str | None, lines: np.ndarray | None) -> None:
    u, inv, cnt = np.unique(names, return_inverse=True, return_counts=True)
    if np.any(cnt > 1):
        k = int(np.flatnonzero(cnt[inv] > 1)[0])
        where = f"line {lines[k]}" if lines is not None else f"row {k}"
        warnings.warn(f"{path}: {int(np.sum(cnt[cnt > 1] - 1))} duplicated entries, first "
                      f"'{names[k]}' at {where}; kept as given", InputWarning, stacklevel=3)


# --------------------------------------------------------------------------- IceCat-1

_ICECAT_STR = ("NAME", "START", "I3TYPE", "CR_VETO", "OTHER_I3TYPES")
_ICECAT_NUM = ("RUNID", "EVENTID", "EVENTMJD", "RA", "DEC", "RA_ERR_PLUS", "RA_ERR_MINUS",
               "DEC_ERR_PLUS", "DEC_ERR_MINUS", "ENERGY", "FAR", "SIGNAL")
_ICECAT_OPT_NUM = ("CASCADE_SCR", "SKIMMING_SCR", "START_SCR", "STOP_SCR", "THRGOING_SCR")


def read_icecat1_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """IceCat-1 ``IceCube_Gold_Bronze_Tracks.csv`` columns (catalogue names) and ``lines``."""
    cols, lines = read_csv_table(path, _ICECAT_STR[:3] + _ICECAT_NUM,
                                 numeric=_ICECAT_NUM + _ICECAT_OPT_NUM,
                                 optional=_ICECAT_STR[3:] + _ICECAT_OPT_NUM)
    cols["lines"] = lines
    return cols


def build_icecat1(raw: dict[str, np.ndarray], source: str, name: str) -> CatalogTable:
    lines = raw.get("lines")
    for c in ("EVENTMJD", "ENERGY", "RA_ERR_PLUS", "RA_ERR_MINUS", "DEC_ERR_PLUS",
              "DEC_ERR_MINUS"):
        bad = ~np.isfinite(raw[c])
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError("missing or non-finite value", path=source,
                             line=None if lines is None else int(lines[r]), column=c)
    validate_positions(raw["RA"], raw["DEC"], source, lines, "RA", "DEC")
    _warn_duplicate_names(raw["NAME"], source, lines)
    c = {
        "name": raw["NAME"], "mjd": raw["EVENTMJD"], "type": raw["I3TYPE"],
        "ra": raw["RA"], "dec": raw["DEC"],
        "ra_err_plus": raw["RA_ERR_PLUS"], "ra_err_minus": raw["RA_ERR_MINUS"],
        "dec_err_plus": raw["DEC_ERR_PLUS"], "dec_err_minus": raw["DEC_ERR_MINUS"],
        "energy_tev": raw["ENERGY"], "far": raw["FAR"], "signalness": raw["SIGNAL"],
        "runid": raw["RUNID"], "eventid": raw["EVENTID"], "start": raw["START"],
    }
    if "CR_VETO" in raw:
        c["cr_veto"] = np.char.lower(raw["CR_VETO"].astype(str)) == "true"
    if "OTHER_I3TYPES" in raw:
        c["other_types"] = raw["OTHER_I3TYPES"]
    for k in _ICECAT_OPT_NUM:
        if k in raw:
            c[k.lower()] = raw[k]
    return CatalogTable(name, "icecat1", c, meta={
        "source": source, "citation": CITE_ICECAT1,
        "units": {"ra": "deg", "dec": "deg", "mjd": "MJD", "energy_tev": "TeV", "far": "1/yr",
                  "ra_err_plus": "deg (90%)"}})


# --------------------------------------------------------------------------- FITS catalogues

def _open_fits_table(path: str | os.PathLike, hdu: int | str = 1):
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyWarning

    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", path=p)
    if p.stat().st_size == 0:
        raise InputError("empty file", path=p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            hl = fits.open(p, memmap=False, lazy_load_hdus=False)
            hl.verify("silentfix")
            data = {h.name.upper(): h for h in hl}
            tab = hl[hdu]
            arr = tab.data
            if arr is None:
                raise InputError(f"HDU {hdu} has no table", path=p)
            arr = np.asarray(arr)
            headers = {h.name.upper(): h.header for h in hl}
            extra = {n: np.asarray(h.data) for n, h in data.items()
                     if n not in ("PRIMARY",) and h is not tab and h.data is not None}
            hl.close()
    except InputError:
        raise
    except Exception as exc:  # astropy raises many types for corrupt/truncated files
        msg = " ".join(str(exc).split())[:160]
        raise InputError(f"not a readable FITS table (truncated or corrupt?): {msg}",
                         path=p) from None
    return arr, headers, extra


def _fits_columns(arr: np.ndarray, keep: tuple[str, ...] | None, path) -> dict[str, np.ndarray]:
    names = arr.dtype.names or ()
    lower = {n.lower(): n for n in names}
    out = {}
    for n in (keep if keep is not None else names):
        if n.lower() not in lower:
            raise InputError("missing or renamed column", path=path, column=n)
        a = arr[lower[n.lower()]]
        if a.dtype.kind == "S":
            a = np.char.strip(np.char.decode(a, "ascii", errors="replace")).astype(str)
        elif a.dtype.kind == "U":
            a = np.char.strip(a)
        else:
            a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("=")))
        out[n] = a
    return out


_4LAC_REQUIRED = ("Source_Name", "RAJ2000", "DEJ2000", "CLASS", "Redshift", "SED_class",
                  "nu_syn", "Variability_Index")


def read_4lac_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All columns of a 4LAC or 4LAC-DR2 FITS table (original dtypes)."""
    arr, _, _ = _open_fits_table(path)
    _fits_columns(arr, _4LAC_REQUIRED, path)  # raises on missing columns
    return _fits_columns(arr, None, path)


def build_4lac(raw: dict[str, np.ndarray], source: str, name: str, fmt: str) -> CatalogTable:
    cols = {}
    for k, v in raw.items():
        cols[k] = v.astype(np.float64) if v.dtype.kind == "f" else v
    for k in _4LAC_REQUIRED:
        if k not in cols:
            raise InputError("missing or renamed column", path=source, column=k)
    validate_positions(cols["RAJ2000"], cols["DEJ2000"], source, None, "RAJ2000", "DEJ2000")
    _warn_duplicate_names(cols["Source_Name"], source, None)
    z = cols["Redshift"].copy()
    z[~np.isfinite(z) | (z < 0)] = np.nan
    cols.update({"name": cols["Source_Name"], "ra": cols["RAJ2000"], "dec": cols["DEJ2000"],
                 "class": np.char.lower(cols["CLASS"]), "redshift": z})
    return CatalogTable(name, fmt, cols, meta={
        "source": source, "citation": CITE_4LAC if fmt == "4lac" else CITE_4LAC_DR2,
        "notes": ["'Redshift' as published (-inf where unknown); 'redshift' has NaN there"]})


_3FGL_KEEP = ("Source_Name", "RAJ2000", "DEJ2000", "GLON", "GLAT", "Conf_95_SemiMajor",
              "Signif_Avg", "Flux1000", "Unc_Flux1000", "Energy_Flux100", "SpectrumType",
              "Spectral_Index", "PowerLaw_Index", "Variability_Index", "Flux_Peak", "Time_Peak",
              "Flux_History", "Unc_Flux_History", "CLASS1", "ASSOC1", "ASSOC2", "Flags")


def read_3fgl_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """3FGL columns used by the analyses (incl. 48 monthly ``Flux_History``) and ``Hist_Start``."""
    arr, headers, extra = _open_fits_table(path)
    raw = _fits_columns(arr, _3FGL_KEEP, path)
    if "HIST_START" not in extra:
        raise InputError("no Hist_Start HDU (light-curve bin edges)", path=path)
    hs = extra["HIST_START"]
    raw["Hist_Start"] = np.asarray(hs["Hist_Start"] if hs.dtype.names else hs, dtype=np.float64)
    h = headers.get("HIST_START") or headers.get("PRIMARY")
    mjdref = FERMI_MJDREF
    if h is not None and "MJDREFI" in h:
        mjdref = float(h["MJDREFI"]) + float(str(h.get("MJDREFF", 0.0)).replace("D", "E"))
    raw["MJDREF"] = np.array([mjdref])
    return raw


def build_3fgl(raw: dict[str, np.ndarray], source: str, name: str) -> CatalogTable:
    cols = {k: (v.astype(np.float64) if v.dtype.kind == "f" else v)
            for k, v in raw.items() if k not in ("Hist_Start", "MJDREF")}
    validate_positions(cols["RAJ2000"], cols["DEJ2000"], source, None, "RAJ2000", "DEJ2000")
    fh = cols["Flux_History"]
    ufh = cols.pop("Unc_Flux_History")
    if fh.ndim != 2 or ufh.shape != fh.shape + (2,):
        raise InputError(f"Flux_History shape {fh.shape} / Unc_Flux_History {ufh.shape} "
                         "inconsistent", path=source, column="Flux_History")
    edges_met = np.asarray(raw["Hist_Start"], dtype=np.float64)
    if edges_met.size != fh.shape[1] + 1 or np.any(np.diff(edges_met) <= 0):
        raise InputError(f"Hist_Start has {edges_met.size} edges for {fh.shape[1]} bins",
                         path=source, column="Hist_Start")
    mjdref = float(raw["MJDREF"][0])
    cols.update({"name": cols["Source_Name"], "ra": cols["RAJ2000"], "dec": cols["DEJ2000"],
                 "flux_history": fh, "unc_flux_history_lo": ufh[..., 0],
                 "unc_flux_history_hi": ufh[..., 1]})
    return CatalogTable(name, "3fgl", cols, meta={
        "source": source, "citation": CITE_3FGL,
        "time_edges_met_s": edges_met,
        "time_edges_mjd": mjdref + edges_met / 86400.0,
        "units": {"flux_history": "ph cm^-2 s^-1 (100 MeV - 100 GeV)",
                  "time_edges_mjd": "MJD (TT)"},
        "notes": ["Unc_Flux_History split into unc_flux_history_lo (negative, NaN for upper "
                  "limits) and unc_flux_history_hi"]})


# --------------------------------------------------------------------------- 4FGL-DR2 light curves

_4FGL_STR = ("Source_Name", "CLASS1", "ASSOC1")
_4FGL_NUM = ("RAJ2000", "DEJ2000", "GLON", "GLAT", "Conf_95_SemiMajor", "Signif_Avg", "Flux1000",
             "Unc_Flux1000", "PL_Index", "Variability_Index", "Frac_Variability")
_4FGL_HIST = tuple(f"Flux_History_{i}" for i in range(1, 11)) + tuple(
    f"Unc_Flux_History_{s}_{i}" for i in range(1, 11) for s in ("lo", "hi")) + tuple(
    f"Sqrt_TS_History_{i}" for i in range(1, 11))


def read_4fgl_lc_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Columns of the 4FGL-DR2 light-curve CSV (catalogue names) and ``lines``."""
    cols, lines = read_csv_table(path, _4FGL_STR + _4FGL_NUM + _4FGL_HIST,
                                 numeric=_4FGL_NUM + _4FGL_HIST)
    cols["lines"] = lines
    return cols


def build_4fgl_lc(raw: dict[str, np.ndarray], source: str, name: str) -> CatalogTable:
    lines = raw.get("lines")
    cols = {k: v for k, v in raw.items() if k != "lines"}
    validate_positions(cols["RAJ2000"], cols["DEJ2000"], source, lines, "RAJ2000", "DEJ2000")
    fh = np.column_stack([cols[f"Flux_History_{i}"] for i in range(1, 11)])
    bad = ~np.isfinite(fh)
    if bad.any():
        r, k = map(int, np.argwhere(bad)[0])
        raise InputError("missing light-curve flux", path=source,
                         line=None if lines is None else int(lines[r]),
                         column=f"Flux_History_{k + 1}")
    _warn_duplicate_names(cols["Source_Name"], source, lines)
    cols.update({
        "name": cols["Source_Name"], "ra": cols["RAJ2000"], "dec": cols["DEJ2000"],
        "flux_history": fh,
        "unc_flux_history_lo": np.column_stack([cols[f"Unc_Flux_History_lo_{i}"]
                                                for i in range(1, 11)]),
        "unc_flux_history_hi": np.column_stack([cols[f"Unc_Flux_History_hi_{i}"]
                                                for i in range(1, 11)]),
        "sqrt_ts_history": np.column_stack([cols[f"Sqrt_TS_History_{i}"] for i in range(1, 11)]),
    })
    return CatalogTable(name, "4fgl_dr2_lc", cols, meta={
        "source": source, "citation": CITE_4FGL_DR2,
        "time_edges_mjd": FGL4_T0_MJD + FGL4_BIN_DAYS * np.arange(11),
        "units": {"flux_history": "ph cm^-2 s^-1 (1-100 GeV)", "time_edges_mjd": "MJD"},
        "notes": ["empty uncertainty fields (upper limits) are NaN"]})


# --------------------------------------------------------------------------- 5BZCAT

_SEX = re.compile(r"^\s*([+-]?)(\d{1,3})[\s:](\d{1,2})[\s:](\d{1,2}(?:\.\d*)?)\s*$")


def parse_sexagesimal(s: np.ndarray, hours: bool, path=None, lines=None, column=None) -> np.ndarray:
    """'hh mm ss.s' (hours=True) or '+dd mm ss.s' -> degrees."""
    out = np.empty(len(s))
    for r, v in enumerate(s):
        m = _SEX.match(str(v))
        if not m:
            raise InputError(f"not a sexagesimal {'RA' if hours else 'Dec'} '{v}'", path=path,
                             line=None if lines is None else int(lines[r]), column=column)
        a, b, c = float(m.group(2)), float(m.group(3)), float(m.group(4))
        if b >= 60 or c >= 60 or (hours and a >= 24):
            raise InputError(f"sexagesimal value out of range '{v}'", path=path,
                             line=None if lines is None else int(lines[r]), column=column)
        val = a + b / 60.0 + c / 3600.0
        out[r] = (15.0 * val) if hours else (-val if m.group(1) == "-" else val)
    return out


def read_5bzcat_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """5BZCAT CSV: source name and sexagesimal RA/Dec strings (and ``lines``)."""
    cols, lines = read_csv_table(path, ("BZCAT5 Source name", "RA (J2000.0)", "Dec (J2000.0)"))
    return {"name": cols["BZCAT5 Source name"], "ra_sex": cols["RA (J2000.0)"],
            "dec_sex": cols["Dec (J2000.0)"], "lines": lines}


def build_5bzcat(raw: dict[str, np.ndarray], source: str, name: str) -> CatalogTable:
    lines = raw.get("lines")
    names = raw["name"]
    ra = parse_sexagesimal(raw["ra_sex"], True, source, lines, "RA (J2000.0)")
    dec = parse_sexagesimal(raw["dec_sex"], False, source, lines, "Dec (J2000.0)")
    validate_positions(ra, dec, source, lines, "RA (J2000.0)", "Dec (J2000.0)")
    prefix = np.array([str(n)[:4] for n in names])
    bad = ~np.isin(prefix, list(BZCAT_CLASSES))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"source name '{names[r]}' lacks a 5BZQ/5BZB/5BZG/5BZU prefix",
                         path=source, line=None if lines is None else int(lines[r]),
                         column="BZCAT5 Source name")
    _warn_duplicate_names(names, source, lines)
    cls = np.array([BZCAT_CLASSES[p] for p in prefix])
    return CatalogTable(name, "5bzcat", {"name": names, "class": cls, "ra": ra, "dec": dec,
                                         "ra_sexagesimal": raw["ra_sex"],
                                         "dec_sexagesimal": raw["dec_sex"]},
                        meta={"source": source, "citation": CITE_5BZCAT,
                              "classes": dict(BZCAT_CLASSES)})


# --------------------------------------------------------------------------- blazar groups

def read_blazar_groups_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Blazar group lists CSV (columns ``group, paper_name, fgl_name``) and ``lines``."""
    cols, lines = read_csv_table(path, ("group", "paper_name", "fgl_name"))
    cols["lines"] = lines
    return cols


def build_blazar_groups(raw: dict[str, np.ndarray], source: str, name: str) -> CatalogTable:
    """Group membership table: ``group``, ``name`` (as published), ``fgl_name`` (4FGL, no space)."""
    lines = raw.get("lines")
    for c in ("group", "paper_name", "fgl_name"):
        empty = np.char.str_len(raw[c].astype(str)) == 0
        if empty.any():
            r = int(np.flatnonzero(empty)[0])
            raise InputError("empty field", path=source,
                             line=None if lines is None else int(lines[r]), column=c)
    return CatalogTable(name, "blazar_groups",
                        {"group": raw["group"].astype(str), "name": raw["paper_name"].astype(str),
                         "fgl_name": raw["fgl_name"].astype(str)},
                        meta={"source": source, "citation": CITE_BLAZAR_GROUPS,
                              "notes": ["positions: join fgl_name with the 4FGL-DR2 table"]})
