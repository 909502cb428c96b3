"""Corpus of malformed inputs built from the real (bundled) public data.

Each case starts from real rows of a bundled release (written back in the
release's own layout) and breaks it in one way. ``make_corpus(outdir)`` writes
every case and returns a list of :class:`Case`; run this file as a script to
write the corpus to a folder::

    python tests/bayesnu/malformed/corpus.py OUTDIR

Cases with ``warn=True`` must load (with an ``InputWarning``), all others must
raise :class:`bayesnu.errors.InputError` with a one-line message naming the file
(and, when ``line``/``column`` are set, that line or column).
"""

from __future__ import annotations

import gzip
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bayesnu.data.bundled import read_bundled_raw


@dataclass
class Case:
    name: str
    path: Path  # what to pass to load / `bayesnu data info`
    reason: str  # a word the message must contain
    names_file: Path  # the file the message must name
    line: int | None = None
    column: str | None = None
    warn: bool = False


N_IC40 = 400  # real IC40 rows per variant (all inside IC40's good runs)

_IC40_HDR = ("MJD[days]  log10(E/GeV)   AngErr[deg]       RA[deg]      Dec[deg]  "
             "Azimuth[deg]   Zenith[deg]")


def _ic40_rows(n: int = N_IC40) -> np.ndarray:
    raw = read_bundled_raw("ic40", "events/IC40/")
    cols = ("mjd", "log10e", "angerr", "ra", "dec", "azimuth", "zenith")
    return np.column_stack([raw[f"events/IC40/{c}"][:n] for c in cols])


def _fmt_ic40(rows: np.ndarray) -> list[str]:
    return [f"{r[0]:17.8f} {r[1]:13.2f} {r[2]:13.2f} {r[3]:13.3f} {r[4]:13.3f} {r[5]:13.3f} "
            f"{r[6]:13.3f}" for r in rows]


def _write_ic40(path: Path, rows=None, header: str = _IC40_HDR, lines=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = _fmt_ic40(_ic40_rows() if rows is None else rows) if lines is None else lines
    path.write_text("\n".join([header] + body) + "\n")
    return path


def _txs_lines(sample: str = "IC86b") -> list[str]:
    raw = read_bundled_raw("txs0506", f"events/{sample}/")
    c = [raw[f"events/{sample}/{k}"] for k in ("mjd", "ra", "dec", "angerr", "log10e")]
    return [f"{c[0][i]:.6f}  {c[1][i]:7.2f}  {c[2][i]:7.2f}  {c[3][i]:7.2f}  {c[4][i]:7.2f}"
            for i in range(c[0].size)]


_TXS_HDR = "    MJD       Ra_deg  Dec_deg  Unc_deg  log10(Ereco)"


def _icecat_text() -> tuple[list[str], list[list[str]]]:
    raw = read_bundled_raw("icecat1")
    hdr = ["NAME", "RUNID", "EVENTID", "START", "EVENTMJD", "I3TYPE", "RA", "DEC",
           "RA_ERR_PLUS", "RA_ERR_MINUS", "DEC_ERR_PLUS", "DEC_ERR_MINUS", "ENERGY", "FAR",
           "SIGNAL", "CR_VETO"]
    rows = []
    for i in range(raw["NAME"].size):
        rows.append([repr(raw[h][i].item()) if raw[h].dtype.kind == "f" else str(raw[h][i])
                     for h in hdr])
    return hdr, rows


def _write_csv(path: Path, hdr: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join([",".join(hdr)] + [",".join(r) for r in rows]) + "\n")
    return path


def _write_4lac_fits(path: Path, mutate=None) -> Path:
    from astropy.table import Table

    raw = read_bundled_raw("4lac")
    t = Table({k: v for k, v in raw.items()})
    if mutate is not None:
        mutate(t)
    t.write(path, format="fits", overwrite=True)
    return path


def make_corpus(out: Path) -> list[Case]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    base = _fmt_ic40(_ic40_rows())

    def add(name, path, reason, line=None, column=None, names_file=None, warn=False):
        cases.append(Case(name, Path(path), reason, Path(names_file or path), line, column, warn))

    # 1 truncated file: last line cut in the middle
    lines = base[:-1] + [base[-1][:40]]
    add("ic40_truncated", _write_ic40(out / "ic40_truncated/events/IC40_exp.csv", lines=lines),
        "truncated", line=N_IC40 + 1)
    # 2 renamed column
    add("ic40_renamed_column",
        _write_ic40(out / "ic40_renamed/events/IC40_exp.csv",
                    header=_IC40_HDR.replace("AngErr[deg]", "Sigma[deg]")),
        "renamed", line=1, column="AngErr[deg]")
    # 3 missing column (AngErr dropped from header and rows)
    rows = _ic40_rows()
    lines = [" ".join(ln.split()[:2] + ln.split()[3:]) for ln in _fmt_ic40(rows)]
    add("ic40_missing_column",
        _write_ic40(out / "ic40_missing/events/IC40_exp.csv",
                    header=_IC40_HDR.replace("AngErr[deg]", ""), lines=lines),
        "missing", line=1, column="AngErr[deg]")
    # 4 non-numeric value
    lines = list(base)
    parts = lines[55].split()
    parts[3] = "abc"
    lines[55] = " ".join(parts)
    add("ic40_non_numeric", _write_ic40(out / "ic40_nonnum/events/IC40_exp.csv", lines=lines),
        "non-numeric", line=57, column="RA[deg]")
    # 5 NaN
    lines = list(base)
    parts = lines[99].split()
    parts[4] = "nan"
    lines[99] = " ".join(parts)
    add("ic40_nan", _write_ic40(out / "ic40_nan/events/IC40_exp.csv", lines=lines),
        "non-finite", line=101, column="Dec[deg]")
    # 6 dec outside [-90, 90]
    rows = _ic40_rows()
    rows[9, 4] = 95.0
    add("ic40_dec_range", _write_ic40(out / "ic40_dec/events/IC40_exp.csv", rows=rows),
        "outside [-90, 90]", line=11, column="Dec[deg]")
    # 7 directions in radians
    rows = _ic40_rows()
    rows[:, 3] = np.radians(rows[:, 3])
    rows[:, 4] = np.radians(rows[:, 4])
    add("ic40_radians", _write_ic40(out / "ic40_rad/events/IC40_exp.csv", rows=rows), "radians")
    # 8 event time outside the uptime
    rows = _ic40_rows()
    rows[199, 0] = 60000.5
    add("ic40_time_outside_uptime",
        _write_ic40(out / "ic40_time/events/IC40_exp.csv", rows=rows),
        "outside the good-run", line=201, column="MJD[days]")
    # 9 empty file
    p = out / "ic40_empty/events/IC40_exp.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("")
    add("ic40_empty", p, "empty")
    # 10 header only
    add("ic40_header_only", _write_ic40(out / "ic40_hdr/events/IC40_exp.csv", lines=[]),
        "no data rows")
    # 11 duplicated events: a warning, not an error
    lines = base + base[10:12]
    add("ic40_duplicates", _write_ic40(out / "ic40_dup/events/IC40_exp.csv", lines=lines),
        "duplicated", warn=True)
    # 12 release folder whose good-run list has a run stopping before it starts
    ev = _write_ic40(out / "ps10yr_bad_uptime/events/IC40_exp.csv")
    raw = read_bundled_raw("ic40", "uptime/IC40")["uptime/IC40"].copy()
    raw[4] = raw[4][::-1]
    up = out / "ps10yr_bad_uptime/uptime/IC40_exp.csv"
    up.parent.mkdir(parents=True, exist_ok=True)
    up.write_text("MJD_start[days]  MJD_stop[days]\n"
                  + "\n".join(f"{a:16.8f} {b:16.8f}" for a, b in raw) + "\n")
    del ev
    add("ps10yr_uptime_stop_before_start", out / "ps10yr_bad_uptime", "before it starts",
        line=6, names_file=up)
    # 13 TXS sample: negative angular error
    lines = _txs_lines()
    parts = lines[20].split()
    parts[3] = "-0.50"
    lines[20] = "  ".join(parts)
    p = out / "txs_negative_unc/events_IC86b.txt"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join([_TXS_HDR] + lines) + "\n")
    add("txs_negative_angerr", p, "positive", line=22, column="Unc_deg")
    # 14 TXS sample: an event outside the release's box
    lines = _txs_lines()
    parts = lines[5].split()
    parts[1] = "120.00"
    lines[5] = "  ".join(parts)
    p = out / "txs_outside_box/events_IC86b.txt"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join([_TXS_HDR] + lines) + "\n")
    add("txs_outside_box", p, "box", line=7)
    # 15 IC86-2011 style table with an extra field in one row
    raw = read_bundled_raw("ic86_2011", "upgoing/")
    c = [raw[f"upgoing/{k}"][:300] for k in ("mjd", "log10e", "angerr", "ra", "dec")]
    lines = [f"{c[0][i]:8.0f} {c[1][i]:8.1f} {c[2][i]:8.1f} {c[3][i]:8.1f} {c[4][i]:8.1f}"
             for i in range(300)]
    lines[150] += "   7.0"
    p = out / "ic86_extra_field/upgoing_events.txt"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(["MJD\tlog10(E)\tang_err\tRA\tDec"] + lines) + "\n")
    add("ic86_extra_field", p, "fields", line=152)
    # 16 IceCat-1 renamed column
    hdr, rows = _icecat_text()
    h2 = ["DECL" if h == "DEC" else h for h in hdr]
    add("icecat1_renamed_column", _write_csv(out / "icecat_renamed.csv", h2, rows), "renamed",
        column="DEC")
    # 17 IceCat-1 non-numeric energy
    rows2 = [list(r) for r in rows]
    rows2[41][hdr.index("ENERGY")] = "high"
    add("icecat1_non_numeric", _write_csv(out / "icecat_nonnum.csv", hdr, rows2), "non-numeric",
        line=43, column="ENERGY")
    # 18 IceCat-1 with positions in radians
    rows3 = [list(r) for r in rows]
    for r in rows3:
        r[hdr.index("RA")] = repr(float(np.radians(float(r[hdr.index("RA")]))))
        r[hdr.index("DEC")] = repr(float(np.radians(float(r[hdr.index("DEC")]))))
    add("icecat1_radians", _write_csv(out / "icecat_rad.csv", hdr, rows3), "radians")
    # 19 4FGL-DR2 light-curve CSV truncated in its last row
    raw = read_bundled_raw("4fgl_dr2")
    keys = [k for k in raw]
    hdr4 = keys
    rows4 = []
    for i in range(200):
        rows4.append([("" if (raw[k].dtype.kind == "f" and not np.isfinite(raw[k][i]))
                       else (repr(raw[k][i].item()) if raw[k].dtype.kind == "f" else str(raw[k][i])))
                      for k in keys])
    rows4[-1] = rows4[-1][:20]
    add("4fgl_truncated", _write_csv(out / "4fgl_truncated.csv", hdr4, rows4), "truncated",
        line=201)
    # 20 5BZCAT with an impossible sexagesimal declination
    raw = read_bundled_raw("5bzcat")
    lines = [",BZCAT5 Source name,RA (J2000.0),Dec (J2000.0)"]
    for i in range(300):
        d = raw["dec_sex"][i] if i != 77 else "+12 75 10.0"
        lines.append(f"{i},{raw['name'][i]},{raw['ra_sex'][i]},{d}")
    p = out / "5bzcat_bad_dec.csv"
    p.write_text("\n".join(lines) + "\n")
    add("5bzcat_bad_sexagesimal", p, "sexagesimal", line=79, column="Dec (J2000.0)")
    # 21 4LAC FITS truncated (second half of the bytes missing)
    full = _write_4lac_fits(out / "4lac_full.fits")
    b = full.read_bytes()
    p = out / "4lac_truncated.fits"
    p.write_bytes(b[: len(b) // 2])
    full.unlink()
    add("4lac_truncated", p, "truncated")
    # 22 4LAC FITS with a renamed required column
    p = _write_4lac_fits(out / "4lac_renamed.fits",
                         lambda t: t.rename_column("Redshift", "Z"))
    add("4lac_renamed_column", p, "renamed", column="Redshift")

    # 23 4LAC FITS with a declination beyond 90 deg
    def _bad_dec(t):
        t["DEJ2000"][12] = 123.0

    p = _write_4lac_fits(out / "4lac_bad_dec.fits", _bad_dec)
    add("4lac_dec_range", p, "outside [-90, 90]", column="DEJ2000")
    # 24 3FGL-like gzip truncated
    p = out / "3fgl_truncated.fit.gz"
    p.write_bytes(gzip.compress(b"SIMPLE  =                    T" + b" " * 2000)[:300])
    add("3fgl_truncated_gzip", p, "truncated")
    # 25 generic CSV without the angerr column
    rows = _ic40_rows(50)
    lines = ["ra,dec,time,log10e"] + [",".join(repr(float(r[j])) for j in (3, 4, 0, 1)) for r in rows]
    p = out / "generic_missing_angerr.csv"
    p.write_text("\n".join(lines) + "\n")
    add("generic_missing_column", p, "missing", column="angerr")
    # 26 generic CSV without any uptime information
    lines = ["ra,dec,time,log10e,angerr"] + [",".join(repr(float(r[j])) for j in (3, 4, 0, 1, 2))
                                             for r in rows]
    p = out / "generic_no_uptime.csv"
    p.write_text("\n".join(lines) + "\n")
    add("generic_no_uptime", p, "no uptime")
    # 27 binary garbage with a .csv name
    p = out / "garbage.csv"
    p.write_bytes(bytes(range(256)) * 4)
    add("binary_garbage", p, "not a text file")
    # 28 unrecognised header
    p = out / "unknown.txt"
    p.write_text("alpha beta gamma\n1 2 3\n")
    add("unrecognised_format", p, "unrecognised", line=1)
    return cases


if __name__ == "__main__":  # pragma: no cover
    for c in make_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "malformed_corpus")):
        print(f"{c.name:34s} {c.path}")
