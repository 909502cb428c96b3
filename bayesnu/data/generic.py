"""The generic event-table format (user samples, simulated samples).

Columns (one row per event)
---------------------------
==========  ========================================================
``ra``      right ascension, degrees, [0, 360]
``dec``     declination, degrees, [-90, 90]
``time``    event time, MJD
``log10e``  reconstructed energy proxy, log10(E / GeV)
``angerr``  angular uncertainty (1 sigma, circularised), degrees
``sample``  optional: sample name (CSV/FITS) or index into ``sample_names`` (npz)
==========  ========================================================

Every sample carries good-run intervals ``[start, stop)`` in MJD (its uptime)
and optionally a binned effective area (cm^2 on log10 E_nu x sin dec bins) and
a sky footprint (RA/Dec box in degrees). Extra numeric per-event columns (for
example the truth flags of a simulation) are kept in
``sample.meta["extra"][name]``.

Containers
----------
``.npz`` (numpy, recommended)
    ``ra, dec, time, log10e, angerr`` float64, ``sample`` int64,
    ``sample_names`` str, ``uptime/<name>`` (n, 2), optional
    ``aeff/<name>/log10e_edges``, ``aeff/<name>/sindec_edges``,
    ``aeff/<name>/area_cm2``, ``footprint/<name>`` (ra_min, ra_max, dec_min,
    dec_max), ``extra/<column>``, ``meta_json`` (JSON text) and the marker
    ``bayesnu_generic`` (= format version 1).
``.csv``
    Header line with the column names above (case-insensitive; ``mjd`` is
    accepted for ``time``, ``sigma``/``ang_err`` for ``angerr``, ``logE`` for
    ``log10e``); lines starting with ``#`` are comments. The per-sample uptime,
    effective area and footprint go to a JSON sidecar ``<file>.samples.json``
    (floats written with full round-trip precision).
``.fits``
    HDU ``EVENTS`` (the columns, ``SAMPLE`` as text), HDU ``UPTIME``
    (``SAMPLE, START, STOP``), HDU ``SAMPLES`` (``NAME`` and footprint) and one
    HDU ``AEFF_<k>`` per sample with an effective area (vector columns).

:func:`write_generic` and :func:`read_generic` round-trip every value exactly
in all three containers. A file without uptime information can be read with
``load(path, uptime=...)`` (an :class:`Uptime`, an (n, 2) array, a path to an
official good-run list, or a dict ``{sample: any of these}``).

Event times must fall inside the uptime. A sample whose times are truncated to
a coarser resolution (IC86-2011: whole days) records it in
``sample.meta["time_resolution_days"]``; an event at ``t`` is then accepted if a
good run overlaps ``[t, t + resolution]``.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.atomic import atomic_group, save_npz, write_fits
from bayesnu.errors import InputError

from ._tables import read_text
from ._validate import validate_events
from .core import Dataset, EffectiveArea, EventSample, Footprint, Uptime

__all__ = ["write_generic", "read_generic", "GENERIC_COLUMNS"]

GENERIC_COLUMNS = ("ra", "dec", "time", "log10e", "angerr")
_ALIASES = {"ra": ("ra", "ra_deg", "ra[deg]"), "dec": ("dec", "dec_deg", "dec[deg]"),
            "time": ("time", "mjd", "mjd[days]", "time_mjd"),
            "log10e": ("log10e", "loge", "log10(e/gev)", "log10_e", "log10(e)", "log10ereco"),
            "angerr": ("angerr", "ang_err", "sigma", "angerr[deg]", "angerr_deg"),
            "sample": ("sample",)}
VERSION = 1


def _jsonable(x: Any, limit: int = 10000) -> Any:
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            j = _jsonable(v, limit)
            if j is not _SKIP:
                out[str(k)] = j
        return out
    if isinstance(x, list | tuple):
        vals = [_jsonable(v, limit) for v in x]
        return _SKIP if any(v is _SKIP for v in vals) else vals
    if isinstance(x, np.ndarray):
        return x.tolist() if x.size <= limit and x.dtype.kind in "fiub" else _SKIP
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, str | int | float | bool) or x is None:
        return x
    return _SKIP


_SKIP = object()


def _as_dataset(obj) -> Dataset:
    if isinstance(obj, Dataset):
        return obj
    if isinstance(obj, EventSample):
        return Dataset(obj.name, "generic", (obj,), meta={})
    if isinstance(obj, list | tuple) and obj and all(isinstance(s, EventSample) for s in obj):
        return Dataset("samples", "generic", tuple(obj), meta={})
    raise TypeError("write_generic expects a Dataset, an EventSample or a list of EventSamples")


def _sample_info(s: EventSample) -> dict[str, Any]:
    info: dict[str, Any] = {"name": s.name}
    if s.uptime is not None:
        info["uptime"] = s.uptime.intervals.tolist()
    if s.aeff is not None:
        info["aeff"] = {"log10e_edges": s.aeff.log10e_edges.tolist(),
                        "sindec_edges": s.aeff.sindec_edges.tolist(),
                        "area_cm2": s.aeff.area_cm2.tolist(), "name": s.aeff.name}
    fp = s.footprint
    info["footprint"] = [fp.ra_min, fp.ra_max, fp.dec_min, fp.dec_max]
    meta = {k: v for k, v in s.meta.items() if k != "extra"}
    info["meta"] = _jsonable(meta)
    return info


def write_generic(data: Dataset | EventSample, path: str | os.PathLike,
                  format: str | None = None) -> Path:
    """Write events (all samples) in the generic format.

    Parameters
    ----------
    data
        A :class:`Dataset`, an :class:`EventSample` or a list of samples.
    path
        Output file; the container follows the suffix (``.npz``, ``.csv``,
        ``.fits``) unless ``format`` is given.
    format
        ``"npz"``, ``"csv"`` or ``"fits"``.

    Returns
    -------
    pathlib.Path
        The file written (CSV also writes ``<file>.samples.json``).
    """
    ds = _as_dataset(data)
    p = Path(path)
    fmt = (format or p.suffix.lstrip(".").lower() or "npz").replace("fit", "fits").replace(
        "fitss", "fits")
    writers = {"npz": _write_npz, "csv": _write_csv, "fits": _write_fits}
    if fmt not in writers:
        raise InputError(f"unknown generic container '{fmt}' (use npz, csv or fits)", path=p)
    names = [s.name for s in ds.samples]
    if len(set(names)) != len(names):
        raise InputError(f"sample names must be unique, got {names}", path=p)
    table = _GenericTable(ds=ds, names=names, cat=ds.concatenated(),
                          extra=_extra_columns(ds, p),
                          ds_meta=_jsonable({k: v for k, v in ds.meta.items()}))
    writers[fmt](table, p)
    return p


@dataclass
class _GenericTable:
    """What every container of the generic format holds (built once by write_generic)."""

    ds: Dataset
    names: list[str]
    cat: dict[str, np.ndarray]
    extra: dict[str, np.ndarray]
    ds_meta: dict


def _extra_columns(ds: Dataset, p: Path) -> dict[str, np.ndarray]:
    """Extra per-event columns (``meta["extra"]``) of all samples, concatenated."""
    extra = {}
    for k in sorted({k for s in ds.samples for k in s.meta.get("extra", {})}):
        parts = []
        for s in ds.samples:
            v = s.meta.get("extra", {}).get(k)
            if v is None or np.asarray(v).shape[0] != s.size:
                raise InputError(f"extra column '{k}' missing or wrong length in sample {s.name}",
                                 path=p, column=k)
            parts.append(np.asarray(v))
        extra[k] = np.concatenate(parts)
    return extra


def _write_npz(t: _GenericTable, p: Path) -> None:
    """Compressed npz: event columns, per-sample uptime / aeff / footprint, metadata JSON."""
    ds, cat = t.ds, t.cat
    arrs: dict[str, np.ndarray] = {c: cat[c] for c in GENERIC_COLUMNS}
    arrs["sample"] = cat["sample"]
    arrs["sample_names"] = np.asarray(t.names, dtype=str)
    arrs["bayesnu_generic"] = np.array([VERSION])
    for s in ds.samples:
        if s.uptime is not None:
            arrs[f"uptime/{s.name}"] = s.uptime.intervals
        if s.aeff is not None:
            arrs[f"aeff/{s.name}/log10e_edges"] = s.aeff.log10e_edges
            arrs[f"aeff/{s.name}/sindec_edges"] = s.aeff.sindec_edges
            arrs[f"aeff/{s.name}/area_cm2"] = s.aeff.area_cm2
        fp = s.footprint
        arrs[f"footprint/{s.name}"] = np.array([fp.ra_min, fp.ra_max, fp.dec_min, fp.dec_max])
    for k, v in t.extra.items():
        arrs[f"extra/{k}"] = v
    arrs["meta_json"] = np.array(json.dumps({
        "dataset": t.ds_meta, "name": ds.name,
        "samples": {s.name: _jsonable({k: v for k, v in s.meta.items() if k != "extra"})
                    for s in ds.samples}}))
    save_npz(p, compressed=True, **arrs)


def _write_csv(t: _GenericTable, p: Path) -> None:
    """CSV table plus ``<file>.samples.json`` sidecar, both renamed into place (sidecar first)."""
    ds, cat = t.ds, t.cat
    extra_names = list(t.extra)
    cols = [cat[c] for c in GENERIC_COLUMNS]
    header = ",".join(GENERIC_COLUMNS + ("sample",) + tuple(extra_names))
    snames = np.asarray(t.names, dtype=object)[cat["sample"]]
    lines = [header]
    ex = [t.extra[k] for k in extra_names]
    for i in range(cat["ra"].size):
        row = [repr(float(c[i])) for c in cols] + [str(snames[i])] + [
            repr(e[i].item()) for e in ex]
        lines.append(",".join(row))
    side = Path(str(p) + ".samples.json")
    # both written completely, then renamed: the sidecar first
    with atomic_group([side, p]) as (tmp_side, tmp_p):
        tmp_side.write_text(json.dumps({"bayesnu_generic": VERSION, "name": ds.name,
                                        "dataset": t.ds_meta,
                                        "samples": [_sample_info(s) for s in ds.samples]}))
        tmp_p.write_text("# bayesnu generic event table v1 (see bayesnu.data.generic)\n"
                         + "\n".join(lines) + "\n")


def _write_fits(t: _GenericTable, p: Path) -> None:
    """FITS: EVENTS, UPTIME, SAMPLES and one AEFF_k table per sample."""
    from astropy.io import fits

    ds, cat, names = t.ds, t.cat, t.names
    hdus = [fits.PrimaryHDU()]
    hdus[0].header["BNGENER"] = (VERSION, "bayesnu generic event table version")
    ccols = [fits.Column(name=c.upper(), format="D", array=cat[c]) for c in GENERIC_COLUMNS]
    smax = max(1, max(len(n) for n in names))
    ccols.append(fits.Column(name="SAMPLE", format=f"{smax}A",
                             array=np.asarray(names, dtype=str)[cat["sample"]]))
    for k, v in t.extra.items():
        fmtc = "K" if v.dtype.kind in "iub" else "D"
        ccols.append(fits.Column(name=f"X_{k}", format=fmtc, array=v))
    hdus.append(fits.BinTableHDU.from_columns(ccols, name="EVENTS"))
    up_s, up_a, up_b = [], [], []
    for s in ds.samples:
        if s.uptime is not None:
            up_s += [s.name] * s.uptime.intervals.shape[0]
            up_a.append(s.uptime.intervals[:, 0])
            up_b.append(s.uptime.intervals[:, 1])
    if up_s:
        hdus.append(fits.BinTableHDU.from_columns([
            fits.Column(name="SAMPLE", format=f"{smax}A", array=np.asarray(up_s)),
            fits.Column(name="START", format="D", array=np.concatenate(up_a)),
            fits.Column(name="STOP", format="D", array=np.concatenate(up_b))],
            name="UPTIME"))
    fps = np.array([[s.footprint.ra_min, s.footprint.ra_max, s.footprint.dec_min,
                     s.footprint.dec_max] for s in ds.samples])
    hdus.append(fits.BinTableHDU.from_columns(
        [fits.Column(name="NAME", format=f"{smax}A", array=np.asarray(names))]
        + [fits.Column(name=n, format="D", array=fps[:, j])
           for j, n in enumerate(("RA_MIN", "RA_MAX", "DEC_MIN", "DEC_MAX"))],
        name="SAMPLES"))
    for k, s in enumerate(ds.samples):
        if s.aeff is None:
            continue
        a = s.aeff
        h = fits.BinTableHDU.from_columns([
            fits.Column(name="LOG10E_EDGES", format=f"{a.log10e_edges.size}D",
                        array=a.log10e_edges[None]),
            fits.Column(name="SINDEC_EDGES", format=f"{a.sindec_edges.size}D",
                        array=a.sindec_edges[None]),
            fits.Column(name="AREA_CM2", format=f"{a.area_cm2.size}D",
                        dim=f"({a.area_cm2.shape[1]},{a.area_cm2.shape[0]})",
                        array=a.area_cm2[None])], name=f"AEFF_{k}")
        h.header["SAMPLE"] = s.name
        hdus.append(h)
    hdus[0].header["BNMETA"] = json.dumps({"name": ds.name})[:60]
    write_fits(fits.HDUList(hdus), p)


# --------------------------------------------------------------------------- reading

def _uptime_arg(u, sample: str, path) -> Uptime | None:
    if u is None:
        return None
    if isinstance(u, dict):
        return _uptime_arg(u.get(sample), sample, path)
    if isinstance(u, Uptime):
        return u
    if isinstance(u, str | os.PathLike):
        from .icecube import load_uptime

        return load_uptime(u)
    return Uptime(np.asarray(u, dtype=np.float64), source="uptime argument")


def _build(path: str, cols: dict[str, np.ndarray], sample_idx: np.ndarray, names: list[str],
           uptimes: dict[str, np.ndarray], aeffs: dict[str, dict], footprints: dict[str, Any],
           extra: dict[str, np.ndarray], lines: np.ndarray | None, meta: dict,
           uptime_kw=None, name: str | None = None) -> Dataset:
    samples = []
    for k, sname in enumerate(names):
        m = sample_idx == k
        up = _uptime_arg(uptime_kw, sname, path)
        if up is None and sname in uptimes:
            up = Uptime(np.asarray(uptimes[sname], dtype=np.float64),
                        source=f"{path} (uptime of {sname})")
        if up is None:
            raise InputError(f"no uptime for sample '{sname}': write the file with "
                             "write_generic or pass load(..., uptime=...)", path=path)
        c = {kk: v[m] for kk, v in cols.items()}
        if not m.any():
            raise InputError(f"sample '{sname}' has no events", path=path)
        smeta = dict(meta.get("samples", {}).get(sname, {}))
        tres = float(smeta.get("time_resolution_days", 0.0) or 0.0)
        validate_events(c, path, None if lines is None else lines[m], up,
                        time_tol_days=(0.0, tres))
        aeff = None
        if sname in aeffs:
            a = aeffs[sname]
            aeff = EffectiveArea(a["log10e_edges"], a["sindec_edges"], a["area_cm2"],
                                 name=a.get("name", sname), source=path)
        fp = footprints.get(sname)
        fp = Footprint(*map(float, fp)) if fp is not None else Footprint()
        smeta["source"] = path
        if extra:
            smeta["extra"] = {kk: v[m] for kk, v in extra.items()}
        samples.append(EventSample(sname, c["ra"], c["dec"], c["time"], c["log10e"],
                                   c["angerr"], uptime=up, aeff=aeff, footprint=fp, meta=smeta))
    dmeta = dict(meta.get("dataset", {}))
    dmeta["source"] = path
    return Dataset(name or path, "generic", tuple(samples), meta=dmeta)


def _match_columns(header: list[str], path, line: int | None = 1) -> dict[str, int]:
    low = [h.strip().lower() for h in header]
    out = {}
    for c, al in _ALIASES.items():
        for a in al:
            if a in low:
                out[c] = low.index(a)
                break
        else:
            if c != "sample":
                raise InputError(f"missing or renamed column (have {header})", path=path,
                                 line=line, column=c)
    return out


def read_generic(path: str | os.PathLike, uptime=None, name: str | None = None) -> Dataset:
    """Read a generic event table (npz, CSV or FITS); see the module docstring."""
    p = Path(path)
    sp = os.fspath(p)
    suf = "".join(p.suffixes[-2:]).lower() if p.suffix == ".gz" else p.suffix.lower()
    if suf == ".npz":
        return _read_npz(p, uptime, name)
    if suf in (".fits", ".fit", ".fits.gz", ".fit.gz"):
        return _read_fits(p, uptime, name)
    text = read_text(p)
    return _read_csv(sp, text, uptime, name)


def _read_npz(p: Path, uptime, name) -> Dataset:
    sp = os.fspath(p)
    if not p.exists():
        raise InputError("no such file or directory", path=p)
    if p.stat().st_size == 0:
        raise InputError("empty file", path=p)
    try:
        with np.load(p, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except Exception as exc:
        raise InputError(f"not a readable npz file (truncated or corrupt?): "
                         f"{' '.join(str(exc).split())[:120]}", path=p) from None
    for c in GENERIC_COLUMNS:
        if c not in d:
            raise InputError(f"missing or renamed column (have {sorted(k for k in d if '/' not in k)})",
                             path=p, column=c)
        if d[c].dtype.kind not in "fiu":
            raise InputError(f"non-numeric column of dtype {d[c].dtype}", path=p, column=c)
    n = d["ra"].size
    for c in GENERIC_COLUMNS:
        if d[c].ndim != 1 or d[c].size != n:
            raise InputError(f"has shape {d[c].shape}, expected ({n},)", path=p, column=c)
    cols = {c: d[c].astype(np.float64) for c in GENERIC_COLUMNS}
    names = [str(x) for x in d.get("sample_names", np.array([p.stem]))]
    sidx = d.get("sample", np.zeros(n, dtype=np.int64))
    if sidx.shape != (n,) or sidx.dtype.kind not in "iu" or (n and (sidx.min() < 0 or sidx.max() >= len(names))):
        raise InputError("sample index out of range of sample_names", path=p, column="sample")
    uptimes = {k.split("/", 1)[1]: v for k, v in d.items() if k.startswith("uptime/")}
    aeffs: dict[str, dict] = {}
    for k, v in d.items():
        if k.startswith("aeff/"):
            _, s, part = k.split("/", 2)
            aeffs.setdefault(s, {})[part] = v
    fps = {k.split("/", 1)[1]: v for k, v in d.items() if k.startswith("footprint/")}
    extra = {k.split("/", 1)[1]: v for k, v in d.items() if k.startswith("extra/")}
    meta = _meta_object(d, p)
    return _build(sp, cols, sidx.astype(np.int64), names, uptimes, aeffs, fps, extra, None, meta,
                  uptime, name or meta.get("name"))


def _meta_object(d: dict, p) -> dict:
    """The ``meta_json`` entry of a generic npz as a dict (one-line error otherwise)."""
    if "meta_json" not in d:
        return {}
    hint = "rewrite the file with bayesnu.data.write_generic, or drop the meta_json entry"
    try:
        meta = json.loads(str(d["meta_json"]))
    except ValueError as exc:
        raise InputError(f"meta_json is not valid JSON ({str(exc)[:60]}); {hint}", path=p,
                         column="meta_json") from None
    if not isinstance(meta, dict):
        raise InputError(f"meta_json is a JSON {type(meta).__name__}, not an object; {hint}",
                         path=p, column="meta_json")
    return meta


def _csv_rows(text: str, sp: str, file_lines: list[int]) -> list[list[str]]:
    """csv.reader rows; a malformed CSV (e.g. a field over the csv module's limit) -> InputError.

    ``file_lines[i]`` is the file line of the i-th line of ``text`` (comments removed).
    """
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:
        k = min(max(reader.line_num, 1), len(file_lines)) - 1
        raise InputError(f"malformed CSV: {exc}", path=sp, line=file_lines[k]) from None


def _read_csv(sp: str, text: str, uptime, name) -> Dataset:
    rows = []
    lines = []
    for i, ln in enumerate(text.splitlines(), start=1):
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        rows.append(ln)
        lines.append(i)
    if not rows:
        raise InputError("empty file", path=sp)
    header = _csv_rows(rows[0], sp, lines[:1])[0]
    cmap = _match_columns(header, sp, lines[0])
    body = _csv_rows("\n".join(rows[1:]), sp, lines[1:])
    blines = np.asarray(lines[1:], dtype=np.int64)
    if not body:
        raise InputError("no data rows (empty table)", path=sp)
    nh = len(header)
    extra_idx = {h.strip(): j for j, h in enumerate(header) if j not in cmap.values()}
    cols: dict[str, np.ndarray] = {c: np.empty(len(body)) for c in GENERIC_COLUMNS}
    extra = {k: np.empty(len(body)) for k in extra_idx}
    # integer extra columns (written as plain integers) stay integer
    int_cols = {k for k, j in extra_idx.items()
                if all(row[j].strip().lstrip("+-").isdigit() for row in body if len(row) == nh)}
    snames = []
    for r, row in enumerate(body):
        if len(row) != nh:
            hint = " (truncated file?)" if r == len(body) - 1 and len(row) < nh else ""
            raise InputError(f"has {len(row)} fields, expected {nh}{hint}", path=sp,
                             line=int(blines[r]))
        for c in GENERIC_COLUMNS:
            v = row[cmap[c]]
            try:
                cols[c][r] = float(v)
            except ValueError:
                raise InputError(f"non-numeric value '{v}'", path=sp, line=int(blines[r]),
                                 column=header[cmap[c]]) from None
        for k, j in extra_idx.items():
            try:
                extra[k][r] = float(row[j])
            except ValueError:
                raise InputError(f"non-numeric value '{row[j]}'", path=sp, line=int(blines[r]),
                                 column=k) from None
        snames.append(row[cmap["sample"]].strip() if "sample" in cmap else Path(sp).stem)
    for k in int_cols:
        extra[k] = extra[k].astype(np.int64)
    side = Path(sp + ".samples.json")
    info: dict[str, Any] = {}
    if side.exists():
        try:
            info = json.loads(side.read_text())
        except (ValueError, OSError) as exc:
            raise InputError(f"unreadable samples sidecar: {exc}", path=side) from None
    order = [s["name"] for s in info.get("samples", [])]
    names = order + [s for s in dict.fromkeys(snames) if s not in order]
    names = [s for s in names if s in set(snames)]
    idx2 = {s: k for k, s in enumerate(names)}
    sidx = np.array([idx2[s] for s in snames], dtype=np.int64)
    uptimes = {s["name"]: np.asarray(s["uptime"], dtype=np.float64)
               for s in info.get("samples", []) if "uptime" in s}
    aeffs = {s["name"]: {k: np.asarray(v, dtype=np.float64) if k != "name" else v
                         for k, v in s["aeff"].items()}
             for s in info.get("samples", []) if "aeff" in s}
    fps = {s["name"]: s["footprint"] for s in info.get("samples", []) if "footprint" in s}
    meta = {"dataset": info.get("dataset", {}),
            "samples": {s["name"]: s.get("meta", {}) for s in info.get("samples", [])}}
    return _build(sp, cols, sidx, names, uptimes, aeffs, fps, extra, blines, meta, uptime,
                  name or info.get("name"))


def _str(x) -> str:
    return (x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)).strip()


def _read_fits(p: Path, uptime, name) -> Dataset:
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyWarning

    sp = os.fspath(p)
    if not p.exists():
        raise InputError("no such file or directory", path=p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            with fits.open(p, memmap=False) as hl:
                names_h = [h.name for h in hl]
                if "EVENTS" not in names_h:
                    raise InputError("no EVENTS table HDU", path=p)
                ev = np.asarray(hl["EVENTS"].data)
                up = np.asarray(hl["UPTIME"].data) if "UPTIME" in names_h else None
                sm = np.asarray(hl["SAMPLES"].data) if "SAMPLES" in names_h else None
                ae = [(h.header.get("SAMPLE"), np.asarray(h.data)) for h in hl
                      if h.name.startswith("AEFF_")]
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"not a readable FITS file (truncated or corrupt?): "
                         f"{' '.join(str(exc).split())[:120]}", path=p) from None
    fields = list(ev.dtype.names or ())
    cmap = _match_columns(fields, sp, None)
    cols = {c: np.asarray(ev[fields[cmap[c]]], dtype=np.float64) for c in GENERIC_COLUMNS}
    if "sample" in cmap:
        snames = [_str(s) for s in ev[fields[cmap["sample"]]]]
    else:
        snames = [p.stem] * cols["ra"].size
    order = [_str(x) for x in sm["NAME"]] if sm is not None else []
    names = [s for s in order if s in set(snames)] + [s for s in dict.fromkeys(snames)
                                                       if s not in order]
    idx = {s: k for k, s in enumerate(names)}
    sidx = np.array([idx[s] for s in snames], dtype=np.int64)
    uptimes: dict[str, np.ndarray] = {}
    if up is not None:
        us = np.array([_str(s) for s in up["SAMPLE"]])
        for s in names:
            m = us == s
            if m.any():
                uptimes[s] = np.column_stack([up["START"][m], up["STOP"][m]]).astype(np.float64)
    fps = {}
    if sm is not None:
        for r, s in enumerate(order):
            fps[s] = [float(sm[c][r]) for c in ("RA_MIN", "RA_MAX", "DEC_MIN", "DEC_MAX")]
    aeffs = {}
    for s, a in ae:
        aeffs[str(s)] = {"log10e_edges": np.asarray(a["LOG10E_EDGES"][0], dtype=np.float64),
                         "sindec_edges": np.asarray(a["SINDEC_EDGES"][0], dtype=np.float64),
                         "area_cm2": np.asarray(a["AREA_CM2"][0], dtype=np.float64)}
    extra = {f[2:]: np.asarray(ev[f]).astype(np.asarray(ev[f]).dtype.newbyteorder("="))
             for f in fields if f.startswith("X_")}
    return _build(sp, cols, sidx, names, uptimes, aeffs, fps, extra, None, {}, uptime, name)


def looks_generic_header(first_line: str) -> bool:
    low = [h.strip().lower() for h in first_line.split(",")]
    return any(a in low for a in _ALIASES["ra"]) and any(a in low for a in _ALIASES["dec"])
