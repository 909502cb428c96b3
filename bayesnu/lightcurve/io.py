"""Light-curve loaders: Fermi-LAT catalogue light curves and a generic CSV.

Fermi catalogues (bundled, :func:`bayesnu.data.load`)
-----------------------------------------------------
* :func:`fermi_4fgl_dr2` -- 4FGL-DR2, 10 yearly bins of 365.25 d from MJD
  54682.66, photon flux 1-100 GeV (ph cm^-2 s^-1); 5,788 sources.
* :func:`fermi_3fgl` -- 3FGL, 48 monthly bins (2008-08 .. 2012-07, edges from
  the catalogue's ``Hist_Start`` HDU), photon flux 0.1-100 GeV; 3,034 sources.

Both catalogues give per bin a best-fit flux and a lower and upper 1 sigma
error; the lower error is empty (NaN) when the 1 sigma interval reaches zero, and
the upper error is then the distance from the flux to the 2 sigma upper limit
(Fermi-LAT catalogue column definitions). Those bins are flagged
``upper_limit``. What enters the analyses (``ul_policy``):

* ``"value"`` (default): the best-fit flux, with error = upper error / 2 (the
  1 sigma scale of a 2 sigma limit). The best-fit flux is an unbiased estimate,
  so averages over bins (block fluxes, R(t)) stay unbiased.
* ``"limit"``: the 2 sigma upper limit (flux + upper error), error = upper error / 2.
* ``"zero"``: flux 0, error = upper error / 2.

Detections get error = (upper - lower)/2 (the mean of the two 1 sigma errors).
A bin without a usable error gets its source's median error; sources without
any usable bin (5 in 3FGL: the Crab components and other sources without a
published light curve) are dropped and listed in ``meta["dropped_no_light_curve"]``.

Generic CSV (:func:`read_csv`, WISE, ALMA, Swift-XRT, ...)
----------------------------------------------------------
A comma-separated text file with a header line naming the columns
(case-insensitive, any order; other columns ignored)::

    # band: WISE W2 4.6 um        <- optional comment lines "# key: value"
    # unit: mJy                      (band, unit, name are read from them)
    # name: TXS 0506+056
    time,flux,error,upper_limit
    55260.31,12.1,0.4,0
    55442.90,13.9,0.5,0

* ``time`` (alias ``mjd``): MJD. Required.
* ``flux``: flux or flux density. Required.
* ``error`` (aliases ``flux_err``, ``err``, ``sigma``): 1 sigma. Required.
* ``upper_limit`` (alias ``ul``): 0/1 or true/false. Optional (default 0).
* ``time_lo``, ``time_hi``: bin start/end (MJD). Optional (instantaneous points).
* ``source`` (alias ``name``): several sources in one file; :func:`read_csv`
  then returns a dict ``{name: LightCurve}``.

Rows must be sorted by time within each source; bad cells raise a one-line
:class:`bayesnu.errors.InputError` naming file, line and column.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from bayesnu.errors import InputError

from .core import LightCurve, LightCurveSet

__all__ = ["fermi_4fgl_dr2", "fermi_3fgl", "read_csv", "write_csv", "UL_POLICIES"]

UL_POLICIES = ("value", "limit", "zero")


def _errors(flux, lo, hi, ul_policy: str):
    if ul_policy not in UL_POLICIES:
        raise InputError(f"unknown upper-limit policy {ul_policy!r}; use one of "
                         f"{', '.join(UL_POLICIES)}", column="ul_policy")
    flux = np.asarray(flux, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    ul = ~np.isfinite(lo)
    hi_ok = np.where(np.isfinite(hi) & (hi > 0), hi, np.nan)
    err = np.where(ul, 0.5 * hi_ok, 0.5 * (hi_ok + np.abs(lo)))
    f = flux.copy()
    if ul_policy == "limit":
        f = np.where(ul, flux + np.nan_to_num(hi_ok), flux)
    elif ul_policy == "zero":
        f = np.where(ul, 0.0, flux)
    # a bin with no usable error: give it the source's median error (documented fallback)
    bad = ~np.isfinite(err) | (err <= 0)
    usable = ~np.all(bad, axis=1) & np.all(np.isfinite(f), axis=1)
    if bad.any():
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(np.where(bad, np.nan, err), axis=1, keepdims=True)
        err = np.where(bad, med, err)
    return f, err, ul, usable


def _from_table(table, catalog: str, band: str, ul_policy: str, keep: tuple[str, ...]):
    c = table.columns
    f, e, ul, ok = _errors(c["flux_history"], c["unc_flux_history_lo"],
                           c["unc_flux_history_hi"], ul_policy)
    cols = {k: np.asarray(c[k])[ok] for k in keep if k in c}
    names = np.asarray(c["name"])
    return LightCurveSet(np.asarray(table.meta["time_edges_mjd"], dtype=np.float64), f[ok],
                         e[ok], ul[ok], names[ok], np.asarray(c["ra"])[ok],
                         np.asarray(c["dec"])[ok], band=band, unit="ph cm^-2 s^-1",
                         columns=cols, meta={"catalog": catalog, "ul_policy": ul_policy,
                                             "citation": table.meta.get("citation"),
                                             "dropped_no_light_curve": names[~ok].tolist()})


def fermi_4fgl_dr2(table=None, ul_policy: str = "value") -> LightCurveSet:
    """4FGL-DR2 yearly light curves of all 5,788 sources.

    Parameters
    ----------
    table : CatalogTable, optional
        ``bayesnu.data.load("4fgl_dr2")`` (loaded when omitted) or the same
        format read from a user's copy of ``4FGL-DR2_lightcurves.csv``.
    ul_policy : {"value", "limit", "zero"}
        What an upper-limit bin contributes (module docstring).

    Returns
    -------
    LightCurveSet
        10 bins of 365.25 d from MJD 54682.66; columns ``Variability_Index``,
        ``GLAT``, ``GLON``, ``CLASS1``, ``ASSOC1``, ``Conf_95_SemiMajor``,
        ``Frac_Variability``, ``Flux1000``, ``sqrt_ts_history``.
    """
    if table is None:
        from bayesnu.data import load

        table = load("4fgl_dr2")
    return _from_table(table, "4FGL-DR2", "gamma 1-100 GeV (yearly)", ul_policy,
                       ("Variability_Index", "GLAT", "GLON", "CLASS1", "ASSOC1",
                        "Conf_95_SemiMajor", "Frac_Variability", "Flux1000", "sqrt_ts_history"))


def fermi_3fgl(table=None, ul_policy: str = "value") -> LightCurveSet:
    """3FGL monthly light curves (48 bins, 2008-08 .. 2012-07) of all 3,034 sources.

    Parameters
    ----------
    table : CatalogTable, optional
        ``bayesnu.data.load("3fgl")`` (loaded when omitted) or a user's 3FGL FITS file.
    ul_policy : {"value", "limit", "zero"}
        What an upper-limit bin contributes (module docstring).

    Returns
    -------
    LightCurveSet
        Bin edges from ``Hist_Start`` (MET converted to MJD); columns
        ``Variability_Index``, ``GLAT``, ``GLON``, ``CLASS1``, ``ASSOC1``,
        ``Conf_95_SemiMajor``, ``Flux1000``.
    """
    if table is None:
        from bayesnu.data import load

        table = load("3fgl")
    return _from_table(table, "3FGL", "gamma 0.1-100 GeV (monthly)", ul_policy,
                       ("Variability_Index", "GLAT", "GLON", "CLASS1", "ASSOC1",
                        "Conf_95_SemiMajor", "Flux1000"))


_ALIASES = {
    "time": ("time", "mjd", "t"),
    "flux": ("flux", "flux_density", "f"),
    "error": ("error", "flux_err", "err", "sigma", "flux_error"),
    "upper_limit": ("upper_limit", "ul", "is_ul"),
    "time_lo": ("time_lo", "t_lo", "tmin"),
    "time_hi": ("time_hi", "t_hi", "tmax"),
    "source": ("source", "name", "source_name"),
}
_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n", ""}


def read_csv(path: str | os.PathLike, name: str | None = None, band: str | None = None,
             unit: str | None = None) -> LightCurve | dict[str, LightCurve]:
    """Read a light curve (or several, with a ``source`` column) from a generic CSV.

    Parameters
    ----------
    path : path
        The CSV file (format in the module docstring).
    name, band, unit : str, optional
        Override the ``# name:``, ``# band:``, ``# unit:`` header comments.

    Returns
    -------
    LightCurve or dict of LightCurve
        One curve, or ``{source: LightCurve}`` when the file has a ``source`` column.

    Raises
    ------
    InputError
        Missing file or column, non-numeric cell, unsorted or repeated times,
        negative error -- one line naming file, line and column.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", path=p)
    header: dict[str, str] = {}
    rows: list[tuple[int, list[str]]] = []
    fields: list[str] | None = None
    with p.open(newline="", encoding="utf-8", errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            s = raw.strip()
            if not s:
                continue
            if s.startswith("#"):
                body = s.lstrip("#").strip()
                if ":" in body:
                    k, v = body.split(":", 1)
                    header[k.strip().lower()] = v.strip()
                continue
            cells = next(csv.reader([s]))
            if fields is None:
                fields = [c.strip().lower() for c in cells]
                continue
            rows.append((lineno, cells))
    if fields is None:
        raise InputError("empty file (no header line)", path=p)
    idx: dict[str, int] = {}
    for key, names in _ALIASES.items():
        for n in names:
            if n in fields:
                idx[key] = fields.index(n)
                break
    for key in ("time", "flux", "error"):
        if key not in idx:
            raise InputError(f"missing column (accepted names: {', '.join(_ALIASES[key])})",
                             path=p, column=key)
    if not rows:
        raise InputError("no data rows (empty light curve)", path=p)
    n = len(rows)
    vals = {k: np.empty(n) for k in ("time", "flux", "error", "time_lo", "time_hi")}
    ul = np.zeros(n, bool)
    src = np.empty(n, dtype=object)
    for r, (lineno, cells) in enumerate(rows):
        if len(cells) < len(fields):
            raise InputError(f"{len(cells)} cells, header has {len(fields)}", path=p,
                             line=lineno)
        for key in ("time", "flux", "error", "time_lo", "time_hi"):
            if key not in idx:
                continue
            cell = cells[idx[key]].strip()
            try:
                v = float(cell)
            except ValueError:
                raise InputError(f"not a number: {cell!r}", path=p, line=lineno,
                                 column=fields[idx[key]]) from None
            if not np.isfinite(v):
                raise InputError(f"non-finite value {cell!r}", path=p, line=lineno,
                                 column=fields[idx[key]])
            vals[key][r] = v
        if "upper_limit" in idx:
            cell = cells[idx["upper_limit"]].strip().lower()
            if cell in _TRUE:
                ul[r] = True
            elif cell not in _FALSE:
                raise InputError(f"upper-limit flag {cell!r} is not 0/1/true/false", path=p,
                                 line=lineno, column=fields[idx["upper_limit"]])
        src[r] = cells[idx["source"]].strip() if "source" in idx else ""
    lines = np.array([ln for ln, _ in rows])
    band = band if band is not None else header.get("band", "")
    unit = unit if unit is not None else header.get("unit", "")

    def build(m: np.ndarray, nm: str) -> LightCurve:
        t = vals["time"][m]
        d = np.diff(t)
        if np.any(d <= 0):
            k = int(np.flatnonzero(d <= 0)[0]) + 1
            what = "not sorted ascending" if d[k - 1] < 0 else "repeated"
            raise InputError(f"time {t[k]} {what} (source '{nm}')" if nm else
                             f"time {t[k]} {what}", path=p, line=int(lines[m][k]),
                             column=fields[idx["time"]])
        e = vals["error"][m]
        if np.any(e < 0):
            k = int(np.flatnonzero(e < 0)[0])
            raise InputError(f"negative error {e[k]}", path=p, line=int(lines[m][k]),
                             column=fields[idx["error"]])
        lo = vals["time_lo"][m] if "time_lo" in idx else None
        hi = vals["time_hi"][m] if "time_hi" in idx else None
        try:
            return LightCurve(t, vals["flux"][m], e, ul[m], lo, hi, None, nm, band, unit,
                              {"source_file": str(p)})
        except InputError as exc:
            raise InputError(exc.reason, path=p, column=exc.column) from None

    if "source" in idx:
        out = {}
        for nm in dict.fromkeys(src):
            out[str(nm)] = build(src == nm, str(nm))
        return out
    return build(np.ones(n, bool), name if name is not None else header.get("name", p.stem))


def write_csv(lc: LightCurve, path: str | os.PathLike) -> None:
    """Write a light curve in the generic CSV format (atomically, :mod:`bayesnu.atomic`)."""
    from bayesnu.atomic import atomic_open

    with atomic_open(path, "w", newline="") as fh:
        fh.write(f"# name: {lc.name}\n# band: {lc.band}\n# unit: {lc.unit}\n")
        fh.write("time,flux,error,upper_limit,time_lo,time_hi\n")
        for i in range(lc.n):
            fh.write(f"{float(lc.time[i])!r},{float(lc.flux[i])!r},{float(lc.error[i])!r},"
                     f"{int(lc.upper_limit[i])},{float(lc.t_lo[i])!r},{float(lc.t_hi[i])!r}\n")
