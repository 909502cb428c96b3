"""``bayesnu blazar lightcurve|classify|dcf|rtest|simultaneity``: light-curve commands.

Registered into the ``blazar`` group by :func:`register_lightcurve_commands`
(called from :mod:`bayesnu.cli.blazar`). Light curves are named by an LC string:
``4fgl_dr2:NAME`` (4FGL-DR2 yearly), ``3fgl:NAME`` (3FGL monthly) -- NAME as in
the catalogue, spaces optional -- or the path of a generic CSV
(:mod:`bayesnu.lightcurve.io`; ``FILE.csv#SOURCE`` picks one source of a
multi-source file).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.citations import BLAZAR_FLARES
from bayesnu.cli._options import (
    Opt,
    OptionError,
    add_options,
    common_options,
    output_dir,
    output_file,
    report_option,
)
from bayesnu.errors import InputError
from bayesnu.pvalues import at_floor, pvalue_floor

__all__ = ["register_lightcurve_commands"]

CATALOGS = ("4fgl_dr2", "3fgl")
CITE = BLAZAR_FLARES.full


# --------------------------------------------------------------------------- helpers

def _report(args: argparse.Namespace, kind: str, res: dict[str, Any], obj: Any = None,
            **extra: Any) -> None:
    """Write ``report.html`` into ``--report`` (when given) and note its path in ``res``."""
    if not getattr(args, "report", None):
        return
    from bayesnu.apps.command_reports import blazar_report

    sub = kind.replace("stack-", "stack ")
    res["report"] = blazar_report(kind, res, args.report, obj,
                                  command=f"bayesnu blazar {sub}", **extra)
    if "_text" in res:
        res["_text"] += f"\nreport: {res['report']}"


def _ptext(p: float, n_trials: int, trials: str, statistic: str) -> str:
    """``p = 0.0123 (2.2 sigma) from N ...`` or, at the floor 1/(N+1), ``p < ...``."""
    from bayesnu.apps.report import format_pvalue

    return format_pvalue(p, n_trials=n_trials, trials=trials, statistic=statistic)


def _status(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        sys.stderr.write(f"bayesnu: {text}\n")


def _catalog_set(name: str, ul_policy: str = "value"):
    import bayesnu.lightcurve as L

    return L.fermi_4fgl_dr2(ul_policy=ul_policy) if name == "4fgl_dr2" else L.fermi_3fgl(
        ul_policy=ul_policy)


def _load_spec(spec: str, option: str, ul_policy: str = "value"):
    """A LightCurve from an LC string (module docstring)."""
    import bayesnu.lightcurve as L

    head, sep, tail = spec.partition(":")
    if sep and head.lower() in CATALOGS:
        s = _catalog_set(head.lower(), ul_policy)
        try:
            return s.curve(s.index(tail))
        except InputError:
            raise OptionError(option, f"source '{tail}' not in {head} (names as in the "
                                      "catalogue, e.g. '4FGL J0509.4+0542')") from None
    path, _, src = spec.partition("#")
    p = Path(path)
    if not p.is_file():
        raise OptionError(option, f"'{spec}' is neither CATALOG:NAME (catalogues: "
                                  f"{', '.join(CATALOGS)}) nor an existing CSV file")
    got = L.read_csv(p)
    if isinstance(got, dict):
        if not src:
            raise OptionError(option, f"{p} holds {len(got)} sources; pick one with "
                                      f"'{path}#SOURCE' (first: {next(iter(got))})")
        if src not in got:
            raise OptionError(option, f"source '{src}' not in {p}")
        return got[src]
    return got


def _prepare(lc, args):
    import bayesnu.lightcurve as L

    return L.prepare(lc, merge=args.merge_days or None, outlier_nsigma=args.outlier_sigma or None,
                     min_snr=args.min_snr or None, gap=L.WISE_GAP_MJD if args.fill_gap else None)


def _flare_kw(args) -> dict[str, Any]:
    return {"p0": args.p0, "fallback_p0": args.fallback_p0 or None, "k_sigma": args.k_sigma,
            "require_above_mean": args.infrared, "fraction": args.quiescent_fraction}


PREP_OPTIONS = [
    Opt("--merge-days", float, default=0.0, min=0.0, max=3650.0, unit="days",
        help="merge points closer than this (published: 15 for WISE, ALMA, Swift-XRT); 0 = off"),
    Opt("--outlier-sigma", float, default=0.0, min=0.0, max=100.0, unit="sigma",
        help="drop detections beyond this many standard deviations of the mean "
             "(published: 3-4); 0 = off"),
    Opt("--min-snr", float, default=0.0, min=0.0, max=1e6,
        help="drop detections with flux/error <= this (published: 2 for infrared); 0 = off"),
    Opt("--fill-gap", bool, help="bridge the WISE gap MJD 55600-56500 with two artificial "
                                 "points at the mean flux"),
]

FLARE_OPTIONS = [
    Opt("--p0", float, default=0.01, min=0.0, max=1.0, min_open=True, max_open=True,
        help="Bayesian-blocks false-alarm probability"),
    Opt("--fallback-p0", float, default=0.05, min=0.0, max=1.0, max_open=True,
        help="p0 used when no block flares at --p0 (0 = no fallback)"),
    Opt("--k-sigma", float, default=1.3, min=0.0, max=100.0,
        help="a block flares if F > F_quiescent + k_sigma * S (S: light-curve standard "
             "deviation)"),
    Opt("--infrared", bool, help="infrared rule: also require F > mean + S"),
    Opt("--quiescent-fraction", float, default=0.3, min=0.0, max=1.0, min_open=True,
        help="fraction of faintest detections averaged (lowest dropped) for the quiescent flux"),
    Opt("--ul-policy", choices=("value", "limit", "zero"), default="value",
        help="what a Fermi upper-limit bin contributes: best-fit flux, 2-sigma limit or 0"),
]


# --------------------------------------------------------------------------- lightcurve

def _lightcurve(args: argparse.Namespace) -> dict[str, Any]:
    import bayesnu.lightcurve as L

    lc = _prepare(_load_spec(args.lc, "--lc", args.ul_policy), args)
    fr = L.find_flares(lc, **_flare_kw(args))
    out = {"source": lc.name, "band": lc.band, "unit": lc.unit, "n_points": lc.n,
           "n_upper_limits": int(lc.upper_limit.sum()),
           "excess_variance": L.excess_variance(lc), **fr.to_dict(),
           "history": lc.meta.get("history", []),
           "citations": [L.CITE_SCARGLE2013, L.CITE_ABDO2010, CITE]}
    if args.plot:
        _plot_lc(lc, fr, args.plot)
        out["plot"] = str(args.plot)
    lines = [f"{lc.name} ({lc.band}): {lc.n} points, {fr.blocks.n_blocks} blocks at p0 = "
             f"{fr.p0:g}{' (fallback)' if fr.fell_back else ''}",
             f"quiescent flux {fr.quiescent:.4g}, S = {fr.std:.4g}, threshold {fr.threshold:.4g} "
             f"{lc.unit}",
             f"{fr.n_flares} flare(s), {fr.flaring_time:.0f} d in total:"]
    lines += [f"  MJD {a:.1f} - {b:.1f} ({b - a:.0f} d)" for a, b in fr.intervals]
    out["_text"] = "\n".join(lines)
    _report(args, "lightcurve", out, plot=lambda path: _plot_lc(lc, fr, path))
    return out


def _plot_lc(lc, fr, path) -> None:
    from bayesnu.inference.style import use_style

    with use_style():   # the shared plot style (slide-readable sizes)
        _plot_lc_styled(lc, fr, path)


def _plot_lc_styled(lc, fr, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bayesnu.atomic import savefig

    fig, ax = plt.subplots(figsize=(8, 3.6))
    det = ~lc.upper_limit
    ax.errorbar(lc.time[det], lc.flux[det], lc.error[det], fmt="o", ms=3, color="0.3",
                label="detections")
    if (~det).any():
        ax.plot(lc.time[~det], lc.flux[~det], "v", color="0.6", ms=4, label="upper limits")
    e = fr.blocks.edges
    ax.stairs(fr.blocks.flux, e, color="C0", lw=1.5, label=f"Bayesian blocks (p0={fr.p0:g})")
    ax.axhline(fr.quiescent, color="C2", ls="--", lw=1, label="quiescent")
    ax.axhline(fr.threshold, color="C3", ls=":", lw=1, label="flare threshold")
    for a, b in fr.intervals:
        ax.axvspan(a, b, color="C3", alpha=0.15)
    ax.set_xlabel("MJD")
    ax.set_ylabel(f"flux ({lc.unit})" if lc.unit else "flux")
    ax.set_title(f"{lc.name} {lc.band}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    try:
        savefig(fig, path, dpi=120)
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- classify

def _classify(args: argparse.Namespace) -> dict[str, Any]:
    import bayesnu.lightcurve as L

    pair_kw = {"window": args.window, "total": args.total, "cfs_fraction": args.cfs_fraction,
               "txs_max_sim_fraction": args.txs_max_sim_fraction, "txs_max_lag": args.txs_max_lag}
    flag_kw = {"ambiguous_threshold": args.ambiguous_threshold,
               "ambiguous_rule": args.ambiguous_rule}
    if args.high:
        hi = _prepare(_load_spec(args.high, "--high", args.ul_policy), args)
        lo = _prepare(_load_spec(args.low, "--low", args.ul_policy), args)
        fh = L.find_flares(hi, **{**_flare_kw(args), "require_above_mean": False})
        fl = L.find_flares(lo, **_flare_kw(args))
        cls, st = L.classify_pair(fh, fl, **pair_kw)
        vh = L.variability_flags(hi, fh, hi.meta.get("Variability_Index"), **flag_kw)
        vl = L.variability_flags(lo, fl, lo.meta.get("Variability_Index"), **flag_kw)
        out = {"class": cls, "stages": st.to_dict(), "high": {**fh.to_dict(), **vh},
               "low": {**fl.to_dict(), **vl}, "removed": bool(vh["removed"] or vl["removed"])}
        out["_text"] = (f"{hi.name} / {lo.name}: {cls}; simultaneous {st.simultaneous_time:.0f} d"
                        f" of {st.total_time:.0f} d ({args.total}); removed as non-variable or "
                        f"ambiguous: {out['removed']}")
        _report(args, "classify", out)
        return out
    if args.pair_catalogs:
        from bayesnu.blazar.temporal import crossmatch

        s4, s3 = _catalog_set("4fgl_dr2", args.ul_policy), _catalog_set("3fgl", args.ul_policy)
        i4, i3, _ = crossmatch(s4.ra, s4.dec, s3.ra, s3.dec, s4.columns["Conf_95_SemiMajor"],
                               s3.columns["Conf_95_SemiMajor"])
        _status(args, f"{i4.size} 4FGL-DR2 / 3FGL counterparts; Bayesian blocks ...")
        kw = {**_flare_kw(args), "require_above_mean": False}
        cp = L.classify_pairs(L.find_flares_set(s4.subset(i4), **kw),
                              L.find_flares_set(s3.subset(i3), **kw), **pair_kw)
        counts = dict(Counter(cp["class"].tolist()))
        out = {"pairing": "4FGL-DR2 yearly (high) x 3FGL monthly (low), positional counterparts",
               "n_pairs": int(i4.size), "counts": counts}
        if args.table:
            _write_table(args.table, {"name_4fgl": s4.names[i4], "name_3fgl": s3.names[i3],
                                      "ra": s4.ra[i4], "dec": s4.dec[i4], "class": cp["class"],
                                      "simultaneous_d": cp["simultaneous_d"],
                                      "total_d": cp["total_d"], "ratio": cp["ratio"]})
            out["table"] = str(args.table)
        out["_text"] = f"{i4.size} pairs: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        _report(args, "classify", out)
        return out
    s = _catalog_set(args.catalog, args.ul_policy)
    kw = {**_flare_kw(args)}
    _status(args, f"Bayesian blocks of {s.n_sources} {args.catalog} light curves ...")
    fl = L.find_flares_set(s, **kw)
    c = L.classify_set(s, fl, **flag_kw)
    counts = dict(Counter(c["status"].tolist()))
    out = {"catalog": args.catalog, "n_sources": s.n_sources, "counts": counts,
           "fell_back_to_fallback_p0": int(c["fell_back"].sum()),
           "n_with_flares": int((c["n_flares"] > 0).sum()),
           "dropped_no_light_curve": s.meta.get("dropped_no_light_curve", [])}
    if args.table:
        _write_table(args.table, {"name": s.names, "ra": s.ra, "dec": s.dec,
                                  "status": c["status"], "n_flares": c["n_flares"],
                                  "flaring_time_d": c["flaring_time_d"],
                                  "quiescent": c["quiescent"],
                                  "excess_variance": c["excess_variance"],
                                  "std_ratio": c["std_ratio"], "fell_back": c["fell_back"]})
        out["table"] = str(args.table)
    out["_text"] = f"{s.n_sources} {args.catalog} curves: " + ", ".join(
        f"{k} {v}" for k, v in counts.items())
    _report(args, "classify", out)
    return out


def _write_table(path, cols: dict[str, np.ndarray]) -> None:
    from bayesnu.atomic import atomic_open

    keys = list(cols)
    n = len(cols[keys[0]])
    with atomic_open(path, "w", newline="") as fh:
        fh.write(",".join(keys) + "\n")
        for i in range(n):
            fh.write(",".join(str(cols[k][i].item() if hasattr(cols[k][i], "item")
                                  else cols[k][i]) for k in keys) + "\n")


# --------------------------------------------------------------------------- dcf

def _dcf(args: argparse.Namespace) -> dict[str, Any]:
    import bayesnu.lightcurve as L

    a = _prepare(_load_spec(args.a, "--a", args.ul_policy), args)
    b = _prepare(_load_spec(args.b, "--b", args.ul_policy), args)
    r = L.dcf(a, b, args.bin_width, args.max_lag, min_pairs=args.min_pairs, local=args.local)
    out = {"a": a.name, "b": b.name, **r.to_dict(),
           "sign": "positive lag: b lags a", "citations": [L.CITE_EDELSON_KROLIK1988]}
    out["_text"] = (f"DCF {a.name} -> {b.name}: lag at maximum {r.lag_max:g} d, Gaussian mean "
                    f"{r.lag_gauss:.1f} d (positive: b lags a); max DCF {np.nanmax(r.dcf):.3f}")
    _report(args, "dcf", out, r)
    return out


# --------------------------------------------------------------------------- rtest

def _levels_and_sources(args):
    from bayesnu.blazar import temporal as T

    s = _catalog_set(args.catalog, args.ul_policy)
    vi = args.vi_min if args.vi_min is not None else (
        T.VI_99_4FGL_DR2 if args.catalog == "4fgl_dr2" else T.VI_99_3FGL)
    m = T.select_variable(s, vi_min=vi, dec_max=args.dec_max, b_min=args.b_min)
    v = s.subset(m)
    lev = T.flare_levels(v, fraction=args.quiescent_fraction, min_level=args.min_level)
    return v, lev, vi


def _alerts(args):
    from bayesnu.blazar import temporal as T

    return T.alerts_from_icecat(start_mjd=args.alerts_start_mjd, end_mjd=args.alerts_end_mjd,
                                b_min=args.b_min, dec_max=args.dec_max,
                                max_half_width=args.max_half_width)


def _rtest(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference import blazar_temporal as BT

    v, lev, vi = _levels_and_sources(args)
    alerts = _alerts(args)
    _status(args, f"{len(alerts)} IceCat-1 alerts, {v.n_sources} variable {args.catalog} "
                  f"sources (Variability_Index > {vi:g})")
    out: dict[str, Any] = {"catalog": args.catalog, "n_alerts": len(alerts),
                           "n_variable_sources": v.n_sources, "vi_min": vi}
    dT, factor = args.dT, args.factor
    if args.scan:
        sc = BT.window_scan(lev, v.ra, v.dec, alerts, args.scan_dT, tuple(args.scan_factors),
                            n_scrambles=args.n_scrambles, seed=args.seed,
                            mode=args.enlargement, centre=args.centre, sign=args.sign,
                            progress=not args.quiet)
        out["window_scan"] = sc
        dT, factor = sc["best"]["dT_d"], sc["best"]["factor"]
        _status(args, f"window scan: best dT = {dT:g} d, factor {factor:g} "
                      f"(p = {sc['best']['p_value']:.3g})")
    res = BT.rt_test(lev, v.ra, v.dec, alerts, dT, factor, n_control=args.n_control,
                     seed=args.seed, mode=args.enlargement, centre=args.centre, sign=args.sign,
                     t_max=args.t_max, step=args.step, control_times=args.control_times,
                     out_dir=args.out_dir, progress=not args.quiet,
                     exclude=tuple(args.exclude or ()))
    d = res.to_dict()
    out.update(d)
    if args.plot:
        from bayesnu.inference.plots import rt_plot

        rt_plot(res, args.plot)
        out["plot"] = str(args.plot)
    out["citations"] = [CITE, "A. Plavin et al., ApJ 894 (2020) 101 (R(t) statistic)"]
    for k in ("p_pretrial_at_0", "min_p_pretrial"):   # at 1/(N+1): an upper bound, not a value
        out[f"{k}_at_floor"] = at_floor(d[k], args.n_control)
    out["p_floor"] = pvalue_floor(args.n_control)
    out["_text"] = (f"{d['n_pairs']} (alert, source) pairs ({d['n_sources_in_regions']} sources, "
                    f"{d['n_alerts_with_sources']} alerts), dT = {dT:g} d, regions x{factor:g}\n"
                    f"R(0) = {d['r_at_0']:.3f}; at t = 0 pre-trial "
                    f"{_ptext(d['p_pretrial_at_0'], args.n_control, 'control samples', 'R')}\n"
                    f"smallest pre-trial p at t = {d['shift_of_min_p_d']:g} d: "
                    f"{_ptext(d['min_p_pretrial'], args.n_control, 'control samples', 'R')}")
    _report(args, "rtest", out, res)
    return out


# --------------------------------------------------------------------------- simultaneity

def _simultaneity(args: argparse.Namespace) -> dict[str, Any]:
    import bayesnu.lightcurve as L
    from bayesnu.blazar import temporal as T
    from bayesnu.inference import blazar_temporal as BT

    alerts = _alerts(args)
    if args.pairs_csv:
        cols = _read_pairs_csv(args.pairs_csv)
        sim, tot, ra, dec, names = (cols["simultaneous_d"], cols["total_d"], cols["ra"],
                                    cols["dec"], cols["name"])
        src = f"{args.pairs_csv}"
    else:
        s4, s3 = _catalog_set("4fgl_dr2", args.ul_policy), _catalog_set("3fgl", args.ul_policy)
        i4, i3, _ = T.crossmatch(s4.ra, s4.dec, s3.ra, s3.dec, s4.columns["Conf_95_SemiMajor"],
                                 s3.columns["Conf_95_SemiMajor"])
        kw = {**_flare_kw(args), "require_above_mean": False}
        cp = L.classify_pairs(L.find_flares_set(s4.subset(i4), **kw),
                              L.find_flares_set(s3.subset(i3), **kw), total=args.total)
        ok = (cp["high_d"] > 0) & (cp["low_d"] > 0) & (np.abs(s4.columns["GLAT"][i4]) > args.b_min)
        sim, tot = cp["simultaneous_d"][ok], cp["total_d"][ok]
        ra, dec, names = s4.ra[i4][ok], s4.dec[i4][ok], s4.names[i4][ok]
        src = ("4FGL-DR2 yearly (high) x 3FGL monthly (low) counterparts flaring in both "
               f"(|b| > {args.b_min:g} deg)")
    r = BT.simultaneity_test(sim, tot, ra, dec, names, alerts, factor=args.factor,
                             n_scrambles=args.n_scrambles, seed=args.seed,
                             statistic=args.statistic, mode=args.enlargement,
                             out_dir=args.out_dir, progress=not args.quiet)
    out = {"sources": src, "n_alerts": len(alerts), **r.to_dict(), "citations": [CITE],
           "p_value_at_floor": r.n_exceed == 0}   # p = 1/(N+1): an upper bound
    out["_text"] = (f"{r.n_sources_in_regions} flaring sources in the regions of {len(alerts)} "
                    f"alerts (x{args.factor:g}); simultaneous/total = {r.statistic:.3f} "
                    f"(scrambles {r.scrambled_mean:.3f} +- {r.scrambled_std:.3f}); "
                    f"{_ptext(r.p_value, r.n_scrambles, 'scrambles', 'ratio')} (p = (M+1)/(N+1), "
                    f"M = {r.n_exceed})")
    _report(args, "simultaneity", out, r)
    return out


def _read_pairs_csv(path) -> dict[str, np.ndarray]:
    import csv

    need = ("name", "ra", "dec", "simultaneous_d", "total_d")
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    if not rows:
        raise InputError("empty file", path=path)
    head = [h.strip().lower() for h in rows[0]]
    for k in need:
        if k not in head:
            raise InputError("missing column", path=path, column=k)
    out: dict[str, list] = {k: [] for k in need}
    for ln, r in enumerate(rows[1:], start=2):
        for k in need:
            cell = r[head.index(k)].strip() if head.index(k) < len(r) else ""
            if k == "name":
                out[k].append(cell)
                continue
            try:
                out[k].append(float(cell))
            except ValueError:
                raise InputError(f"not a number: {cell!r}", path=path, line=ln,
                                 column=k) from None
    if not out["name"]:
        raise InputError("no data rows", path=path)
    return {k: np.asarray(v) for k, v in out.items()}


# --------------------------------------------------------------------------- registration

def _check_classify(args: argparse.Namespace) -> None:
    if args.high and args.pair_catalogs:
        raise OptionError("--high", "cannot be combined with --pair-catalogs")
    if bool(args.high) != bool(args.low):
        raise OptionError("--high" if args.low else "--low", "--high and --low go together")
    if args.table and args.high:
        raise OptionError("--table", "is for --catalog or --pair-catalogs")


def _check_rtest(args: argparse.Namespace) -> None:
    if args.alerts_end_mjd <= args.alerts_start_mjd:
        raise OptionError("--alerts-end-mjd", "must be after --alerts-start-mjd")


ALERT_OPTIONS = [
    Opt("--alerts-start-mjd", float, default=55562.0, min=40000.0, max=80000.0, unit="MJD",
        help="first IceCat-1 alert time (2011-01-01)"),
    Opt("--alerts-end-mjd", float, default=59366.0, min=40000.0, max=80000.0, unit="MJD",
        help="alerts before this time (end of 2021-05-31)"),
    Opt("--b-min", float, default=10.0, min=0.0, max=90.0, unit="deg",
        help="keep alerts and sources with |b| above this"),
    Opt("--dec-max", float, default=40.0, min=0.0, max=90.0, unit="deg",
        help="keep alerts and sources with |dec| below this"),
    Opt("--max-half-width", float, min=0.0, min_open=True, max=180.0, unit="deg",
        default_text="none (all alerts)",
        help="drop alerts whose 90% rectangle has a half-width above this"),
    Opt("--enlargement", choices=("linear", "area"), default="linear",
        help="how --factor enlarges the 90% rectangles: half-widths x factor, or area x factor"),
]


def register_lightcurve_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``lightcurve``, ``classify``, ``dcf``, ``rtest``, ``simultaneity`` to ``blazar``."""
    c = sub.add_parser(
        "lightcurve", help="Bayesian blocks, quiescent flux and flares of one light curve",
        description="Bayesian blocks (astropy 'measures' fitness, p0 then fallback p0), "
                    "quiescent flux (faintest ~30% of detections, lowest dropped) and flaring "
                    "blocks (F > F_q + 1.3 S) of one light curve. --lc is 4fgl_dr2:NAME, "
                    "3fgl:NAME or a CSV file (columns time, flux, error[, upper_limit]).")
    add_options(c, [
        Opt("--lc", str, required=True, metavar="LC",
            help="light curve: 4fgl_dr2:NAME, 3fgl:NAME, FILE.csv or FILE.csv#SOURCE"),
        *PREP_OPTIONS, *FLARE_OPTIONS,
        output_file("--plot", suffixes=(".png", ".pdf", ".svg"), required=False,
                    help="plot of the curve, blocks and flares"),
        report_option(),
        *common_options(seed=False),
    ])
    c.set_defaults(handler=_lightcurve)

    c = sub.add_parser(
        "classify", help="flaring / non-variable / ambiguous, and NFS / CFS / TXS-like classes",
        description="Single-band status of every curve of a catalogue (--catalog), the class of "
                    "one (high-energy, low-energy) pair (--high/--low), or the classes of all "
                    "4FGL-DR2 x 3FGL counterparts (--pair-catalogs).")
    add_options(c, [
        Opt("--catalog", choices=CATALOGS, default="4fgl_dr2",
            help="catalogue whose curves are classified (single-band mode)"),
        Opt("--high", str, metavar="LC", default_text="none",
            help="high-energy (gamma-ray) light curve of a pair"),
        Opt("--low", str, metavar="LC", default_text="none",
            help="low-energy (infrared, mm) light curve of a pair"),
        Opt("--pair-catalogs", bool, help="classify all 4FGL-DR2 (high) x 3FGL (low) "
                                          "counterpart pairs"),
        Opt("--window", choices=("common", "union"), default="common",
            help="stages inside the time both curves cover, or everywhere"),
        Opt("--total", choices=("union", "sum"), default="union",
            help="'whole flaring time': |HE u LE| or |HE| + |LE|"),
        Opt("--cfs-fraction", float, default=0.5, min=0.0, max=1.0,
            help="CFS: simultaneous time above this fraction of the total"),
        Opt("--txs-max-sim-fraction", float, default=0.25, min=0.0, max=1.0,
            help="TXS-like: simultaneous time at most this fraction of the total"),
        Opt("--txs-max-lag", float, default=500.0, min=0.0, max=1e5, unit="days",
            help="TXS-like: low-energy flare starts at most this long after a gamma-ray flare"),
        Opt("--ambiguous-rule", choices=("gt", "lt"), default="gt",
            help="ambiguous if std(non-flaring)/std(all) is greater (gt) or less (lt, the "
                 "literal text) than --ambiguous-threshold"),
        Opt("--ambiguous-threshold", float, default=0.9, min=0.0, max=10.0,
            help="threshold of the ambiguous-source rule"),
        *PREP_OPTIONS, *FLARE_OPTIONS,
        output_file("--table", suffixes=(".csv",), required=False,
                    help="per-source CSV table (catalogue modes)"),
        report_option(),
        *common_options(seed=False),
    ], check=_check_classify)
    c.set_defaults(handler=_classify)

    c = sub.add_parser(
        "dcf", help="discrete correlation function and time lag of two light curves",
        description="Edelson & Krolik (1988) DCF of --a and --b; lag of the maximum bin and "
                    "mean of a fitted Gaussian (positive lag: --b lags --a).")
    add_options(c, [
        Opt("--a", str, required=True, metavar="LC", help="first light curve (e.g. gamma rays)"),
        Opt("--b", str, required=True, metavar="LC", help="second light curve (e.g. infrared)"),
        Opt("--bin-width", float, default=30.0, min=0.0, min_open=True, max=1e5, unit="days",
            help="lag bin width"),
        Opt("--max-lag", float, min=0.0, min_open=True, max=1e5, unit="days",
            default_text="the longer curve's time span", help="largest |lag|"),
        Opt("--min-pairs", int, default=2, min=1, max=10**6,
            help="lag bins with fewer point pairs are left empty"),
        Opt("--local", bool, help="locally normalised DCF (|DCF| <= 1 for curves with different "
                                  "spans or binning)"),
        *PREP_OPTIONS,
        Opt("--ul-policy", choices=("value", "limit", "zero"), default="value",
            help="what a Fermi upper-limit bin contributes (dropped by the DCF anyway)"),
        report_option(),
        *common_options(seed=False),
    ])
    c.set_defaults(handler=_dcf)

    c = sub.add_parser(
        "rtest", help="temporal test R(t) of IceCat-1 alerts against Fermi light curves",
        description="R(t) = mean flare level inside windows dT around the alert times / mean "
                    "outside, for the variable sources inside the (enlarged) 90% rectangles of "
                    "IceCat-1 alerts, t in [-t_max, t_max] d; control bands and pre-trial p(t) "
                    "from control samples of sources outside the regions. --scan chooses dT "
                    "and the enlargement by RA-scrambled alerts first.")
    add_options(c, [
        Opt("--catalog", choices=CATALOGS, default="4fgl_dr2",
            help="light curves: 4FGL-DR2 yearly or 3FGL monthly"),
        Opt("--vi-min", float, min=0.0, max=1e6, default_text="18.48 (4fgl_dr2), 72.44 (3fgl)",
            help="Variability_Index threshold of the source selection"),
        Opt("--dT", float, default=22.0, min=0.0, min_open=True, max=1e4, unit="days",
            help="time window around each alert"),
        Opt("--factor", float, default=1.5, min=0.0, min_open=True, max=100.0,
            help="enlargement of the 90% alert rectangles"),
        Opt("--centre", choices=("centred", "after"), default="centred",
            help="window [T+t-dT/2, T+t+dT/2] or [T+t, T+t+dT]"),
        Opt("--sign", int, choices=(1, -1), default=1,
            help="+1: t > 0 probes emission after the alert; -1: observing times shifted by +t"),
        Opt("--t-max", float, default=3600.0, min=0.0, max=1e5, unit="days",
            help="largest |shift|"),
        Opt("--step", float, min=0.0, min_open=True, max=1e5, unit="days", default_text="dT/2",
            help="shift step"),
        Opt("--min-level", float, min=0.0, max=1e6, default_text="none (all levels)",
            help="flare-level cut (flux/quiescent); lower levels count as 0"),
        Opt("--quiescent-fraction", float, default=0.3, min=0.0, max=1.0, min_open=True,
            help="fraction of faintest detections averaged for the quiescent flux"),
        Opt("--ul-policy", choices=("value", "limit", "zero"), default="value",
            help="what a Fermi upper-limit bin contributes"),
        Opt("--n-control", int, default=10_000, min=1, max=10**7,
            help="control samples for the bands and p(t)"),
        Opt("--control-times", choices=("pairs", "alerts"), default="pairs",
            help="control source j gets the time of experimental pair j, or a random alert's"),
        Opt("--exclude", str, sep=",", default_text="none",
            help="source names left out (robustness check, e.g. '4FGL J0509.4+0542')"),
        Opt("--scan", bool, help="choose dT and the factor by RA scrambles first"),
        Opt("--scan-dT", float, sep=",", default=[11.0, 22.0, 30.0, 60.0, 90.0, 180.0, 365.0],
            min=0.0, min_open=True, max=1e4, unit="days", help="windows tried by --scan"),
        Opt("--scan-factors", float, sep=",", default=[1.1, 1.3, 1.5], min=0.0, min_open=True,
            max=100.0, help="enlargements tried by --scan"),
        Opt("--n-scrambles", int, default=10_000, min=1, max=10**7,
            help="RA scrambles per (dT, factor) of --scan"),
        *ALERT_OPTIONS,
        output_file("--plot", suffixes=(".png", ".pdf", ".svg"), required=False,
                    help="R(t) with control bands and p(t)"),
        output_dir("--out-dir", existing="resume", required=False,
                   help="resumable campaign folder for the control samples"),
        report_option(),
        *common_options(seed_default=1),
    ], check=_check_rtest)
    c.set_defaults(handler=_rtest)

    c = sub.add_parser(
        "simultaneity", help="simultaneous-to-total flaring time of sources in alert regions",
        description="Mean simultaneous/total flaring-time ratio of the sources inside the "
                    "IceCat-1 regions against RA scrambles of the alerts; p = (M+1)/(N+1). "
                    "Sources: 4FGL-DR2 yearly x 3FGL monthly counterparts, or --pairs-csv "
                    "(columns name, ra, dec, simultaneous_d, total_d) from your own curves.")
    add_options(c, [
        Opt("--pairs-csv", kind="input", suffixes=(".csv",), default_text="the Fermi pair",
            help="per-source flaring times (e.g. from 'classify --table' or WISE x Fermi)"),
        Opt("--factor", float, default=1.0, min=0.0, min_open=True, max=100.0,
            help="enlargement of the 90% alert rectangles"),
        Opt("--n-scrambles", int, default=100_000, min=1, max=10**8,
            help="RA scrambles of the alerts"),
        Opt("--statistic", choices=("mean_ratio", "pooled"), default="mean_ratio",
            help="mean of per-source ratios, or sum(simultaneous)/sum(total)"),
        Opt("--total", choices=("union", "sum"), default="union",
            help="'whole flaring time': |HE u LE| or |HE| + |LE|"),
        *FLARE_OPTIONS,
        *ALERT_OPTIONS,
        output_dir("--out-dir", existing="resume", required=False,
                   help="resumable campaign folder for the scrambles"),
        report_option(),
        *common_options(seed_default=1),
    ], check=_check_rtest)
    c.set_defaults(handler=_simultaneity)
