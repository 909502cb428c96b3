"""``bayesnu cnb profile | limit | scan-si | sample | evidence``: CnuB analyses.

* ``profile`` / ``limit``: TS(eta) of the relic overdensity and Wilks upper limits;
* ``scan-si``: TS(m_phi, g_tautau) map of secret interactions with the 2-sigma region;
* ``sample``: NUTS posterior of (ns, gamma, log10 eta) with ArviZ diagnostics and the
  90% credible limit next to the 90% CL limit;
* ``evidence``: nautilus evidences and the Bayes factor against eta = 0 (or against no
  secret interaction), next to the TS.

Registered into the ``cnb`` group by :func:`register_analysis_commands` (called from
:mod:`bayesnu.cli.cnb`). The library lives in :mod:`bayesnu.inference.cnb`.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from bayesnu.cli._options import Opt, OptionError, add_options, common_options, report_option

__all__ = ["register_analysis_commands", "reported"]


def reported(kind: str, handler):  # the handler, then report.html into --report
    def run(args: argparse.Namespace) -> dict[str, Any]:
        res = handler(args)
        if getattr(args, "report", None):
            from bayesnu.apps.command_reports import cnb_report

            res["report"] = cnb_report(kind, res, args.report, command=f"bayesnu cnb {kind}")
            if "_text" in res:
                res["_text"] += f"\nreport: {res['report']}"
        return res

    return run

#: the geometry and the masses, shared by every cnb analysis command
GEOMETRY = [
    Opt("--d-eff-mpc", float, min=0.0, min_open=True, max=1e5, unit="Mpc",
        default_text="the source's (NGC 1068: 14 Mpc)",
        help="radius of a constant overdensity, no redshift"),
    Opt("--z", float, min=0.0, min_open=True, max=10.0, default_text="the source's "
        "(TXS 0506+056: 0.3365, PKS 1424+240: 0.6)", help="source redshift (overdensity along "
        "the whole path, with redshift)"),
    Opt("--m1", float, default=0.0342, min=0.0, max=2.0, unit="eV",
        help="lightest neutrino mass (normal ordering, NuFIT 2022 splittings)"),
]

_TARGET = [
    Opt("--source", str, repeat=True, default_text="none (then --ra and --dec)",
        help="source name from the built-in table ('NGC 1068', 'TXS 0506+056', "
             "'PKS 1424+240' have known distances/redshifts); repeat for a combined analysis"),
    Opt("--ra", float, min=0.0, max=360.0, unit="deg", default_text="none",
        help="right ascension of a source not in the table (needs --d-eff-mpc or --z)"),
    Opt("--dec", float, min=-90.0, max=90.0, unit="deg", default_text="none",
        help="declination of a source not in the table"),
    Opt("--data", str, default_text="per source: ic40,ic86_2011 (NGC 1068, PKS 1424+240), "
        "txs0506:IC86b+IC86c (TXS 0506+056)",
        help="events: comma-separated bundled names or paths, NAME:S1+S2 to keep samples, or "
             "'sim-ic86-ii-vii' for the SIMULATED 2012-2018 sample with Franklin et al.'s best-fit "
             "signal injected (seeded by --seed)"),
    *GEOMETRY,
    Opt("--points", int, default=200, min=3, max=5000, help="points of the log10 eta grid"),
    Opt("--log10-eta-min", float, min=-10.0, max=40.0, default_text="9 - log10(d/Mpc)",
        help="lowest log10 eta of the grid (d: d_eff or the column-equivalent distance)"),
    Opt("--log10-eta-max", float, min=-10.0, max=40.0, default_text="21 - log10(d/Mpc)",
        help="highest log10 eta of the grid"),
    Opt("--bins", int, default=300, min=20, max=600,
        help="transport energy bins over 1e2-1e10 GeV"),
    Opt("--normalisation", choices=("events", "flux"), default="events",
        help="ns counts the propagated signal events (shape test) or the events of the "
             "unpropagated power law (flux normalisation: absorption also removes events)"),
]


def _target_check(args: argparse.Namespace) -> None:
    if not args.source and (args.ra is None or args.dec is None):
        raise OptionError("--source", "give a source name, or --ra and --dec")
    if args.source and args.ra is not None:
        raise OptionError("--ra", "give either --source or --ra/--dec, not both")
    lo, hi = getattr(args, "log10_eta_min", None), getattr(args, "log10_eta_max", None)
    if lo is not None and hi is not None and hi <= lo:
        raise OptionError("--log10-eta-max", "must be above --log10-eta-min")
    if args.d_eff_mpc is not None and args.z is not None:
        raise OptionError("--z", "give either --d-eff-mpc or --z, not both")


def _profiles(args: argparse.Namespace) -> tuple[list, list[dict[str, Any]]]:
    from bayesnu.errors import InputError
    from bayesnu.inference.cnb import (
        cnb_data,
        cnb_geometry,
        cnb_propagator,
        cnb_source,
        column_mpc,
        eta_grid_for_column,
        eta_profile,
    )
    from bayesnu.sources import Source, resolve_source

    rng = np.random.default_rng(args.seed)
    if args.source:
        srcs = [resolve_source(s, online=False) for s in args.source]
    else:
        srcs = [Source("custom", float(args.ra), float(args.dec))]
    out, infos = [], []
    grid = None
    for src in srcs:
        try:
            geo = cnb_geometry(None if src.name == "custom" else src.name, args.d_eff_mpc, args.z)
        except InputError as exc:
            raise OptionError("--source" if args.source else "--ra",
                              str(exc).split(": ", 1)[-1]) from None
        try:
            prop = cnb_propagator(geo, m1=args.m1, bins=args.bins)
        except InputError as exc:
            raise OptionError("--m1", str(exc).split(": ", 1)[-1]) from None
        ds, info = cnb_data(args.data, src.name, rng)
        if grid is None:
            d = column_mpc(geo)
            lo = args.log10_eta_min if args.log10_eta_min is not None else 9.0 - np.log10(d)
            hi = args.log10_eta_max if args.log10_eta_max is not None else 21.0 - np.log10(d)
            if hi <= lo:
                raise OptionError("--log10-eta-max", "must be above --log10-eta-min")
            grid = np.linspace(lo, hi, args.points)
            if len(srcs) == 1:
                grid = eta_grid_for_column(d, args.points, (lo + np.log10(d), hi + np.log10(d)))
        cs = cnb_source(ds, src, prop)
        meta = {"data": info, "m1_ev": args.m1, "d_eff_mpc": getattr(geo, "d_eff_mpc", None),
                "z": getattr(geo, "z", None), "n_events": int(sum(s.size for s in ds.samples)),
                "samples": [s.name for s in ds.samples]}
        out.append(eta_profile(cs, prop, grid, progress=not args.quiet, meta=meta,
                               normalisation=args.normalisation))
        infos.append(meta)
    return out, infos


def _run_profile(args: argparse.Namespace) -> dict[str, Any]:
    profs, _ = _profiles(args)
    res: dict[str, Any] = {"profiles": [p.to_dict() for p in profs]}
    p = profs[0]
    res.update({"ts_curve": {"log10_eta": p.log10_eta, "ts": p.ts}})
    lines = []
    for q in profs:
        sim = " [SIMULATED data]" if q.meta["data"].get("simulated") else ""
        lines.append(f"# {q.meta['source']}{sim}: power-law fit ns {q.ns_pl:.2f}, gamma "
                     f"{q.gamma_pl:.3f}, TS_PL {q.ts_pl:.3f}; {q.meta['seconds']:.1f} s")
        lines.append("# log10_eta      TS        ns     gamma")
        step = max(1, q.log10_eta.size // 25)
        for k in range(0, q.log10_eta.size, step):
            lines.append(f"{q.log10_eta[k]:10.3f}  {q.ts[k]:9.4f}  {q.ns[k]:8.2f}  {q.gamma[k]:7.3f}")
    res["_text"] = "\n".join(lines)
    if args.plot:
        _plot(profs, args.plot, None)
    return res


def _run_limit(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.cnb import combine_profiles, limit_threshold

    profs, _ = _profiles(args)
    total = combine_profiles(profs) if len(profs) > 1 else profs[0]
    lim = total.limit(args.cl)
    res: dict[str, Any] = {
        "eta_limit": lim, "cl": args.cl,
        "threshold": limit_threshold(args.cl),
        "excluded": bool(np.isfinite(lim)),
        "ts_curve": {"log10_eta": total.log10_eta, "ts": total.ts},
        "ts_plateau": float(total.ts[-1]),
        "eta_absorbed": total.eta_absorbed,
        "per_source": [{"source": p.meta["source"], "eta_limit": p.limit(args.cl),
                        "eta_absorbed": p.eta_absorbed,
                        "ts_pl": p.ts_pl, "ns_pl": p.ns_pl, "gamma_pl": p.gamma_pl,
                        "simulated": bool(p.meta["data"].get("simulated")),
                        "data": p.meta["data"]["data"], "seconds": p.meta["seconds"]}
                       for p in profs],
        "m1_ev": args.m1,
        "method": "Wilks, 1 dof: TS(eta) = -2[log L(eta; ns, gamma profiled) - log L0], L0 the "
                  "best-fit power law without interactions",
    }
    lines = []
    for q in res["per_source"]:
        sim = " [SIMULATED data]" if q["simulated"] else ""
        bound = (f"eta < {q['eta_limit']:.3g}" if np.isfinite(q["eta_limit"])
                 else "no eta excluded")
        lines.append(f"{q['source']}{sim}: {bound} ({100 * args.cl:g}% CL); "
                     f"power-law TS {q['ts_pl']:.2f} (ns {q['ns_pl']:.1f}, gamma "
                     f"{q['gamma_pl']:.2f})")
    if len(profs) > 1:
        lines.append(f"combined: eta < {lim:.3g} ({100 * args.cl:g}% CL)" if np.isfinite(lim)
                     else f"combined: no eta excluded ({100 * args.cl:g}% CL)")
    if not np.isfinite(lim) and total.eta_absorbed is not None:
        lines.append(f"(below eta = {total.eta_absorbed:.3g}, where every spectral index keeps "
                     f"< 1e-20 of its signal, TS stays under {res['threshold']:.2f}: no eta is "
                     "excluded below the all-absorbed overdensity)")
    elif not np.isfinite(lim):
        lines.append(f"(TS never reaches {res['threshold']:.2f}: its plateau "
                     f"{res['ts_plateau']:.2f} is the power-law signal's TS; no eta is excluded)")
    res["_text"] = "\n".join(lines)
    res["_profiles"] = profs  # per-source curves for --report
    if args.plot:
        _plot(profs, args.plot, args.cl, total if len(profs) > 1 else None)
    return res


def _plot(profs, path: str, cl: float | None, total=None) -> None:
    """TS(eta) per source (and combined) with the Wilks lines and, for ``cl``, the limit."""
    from bayesnu.inference.plots import eta_ts_plot

    curves = [(p.meta["source"] + (" (SIMULATED)" if p.meta["data"].get("simulated") else ""),
               p.log10_eta, p.ts) for p in profs]
    limits = {}
    if total is not None:
        curves.insert(0, ("combined", total.log10_eta, total.ts))
    if cl is not None:
        best = total if total is not None else profs[0]
        limits[f"{100 * cl:g}% CL"] = best.limit(cl)
    eta_ts_plot(curves, path=path, limits=limits,
                simulated=any(p.meta["data"].get("simulated") for p in profs))


def _one_source(args: argparse.Namespace):
    """(CnbSource, propagator, geometry, data info) of the single target source."""
    from bayesnu.errors import InputError
    from bayesnu.inference.cnb import cnb_data, cnb_geometry, cnb_propagator, cnb_source
    from bayesnu.sources import Source, resolve_source

    if args.source and len(args.source) > 1:
        raise OptionError("--source", "this command takes one source")
    src = (resolve_source(args.source[0], online=False) if args.source
           else Source("custom", float(args.ra), float(args.dec)))
    try:
        geo = cnb_geometry(None if src.name == "custom" else src.name, args.d_eff_mpc, args.z)
    except InputError as exc:
        raise OptionError("--source" if args.source else "--ra",
                          str(exc).split(": ", 1)[-1]) from None
    sum_m = getattr(args, "sum_m", None)
    prop = cnb_propagator(geo, m1=args.m1, sum_m=sum_m, bins=args.bins)
    ds, info = cnb_data(args.data, src.name, np.random.default_rng(args.seed))
    return cnb_source(ds, src, prop), prop, geo, info


def _grid(args: argparse.Namespace, prop) -> np.ndarray:
    from bayesnu.inference.cnb import column_mpc

    d = np.log10(column_mpc(prop.geometry))
    lo = args.log10_eta_min if args.log10_eta_min is not None else 9.0 - d
    hi = args.log10_eta_max if args.log10_eta_max is not None else 21.0 - d
    if hi <= lo:
        raise OptionError("--log10-eta-max", "must be above --log10-eta-min")
    return np.linspace(lo, hi, args.points)


def _ncpu() -> int:  # SI: default --workers of scan-si
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _run_scan_si(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.cnb import WILKS_2DOF
    from bayesnu.inference.cnb_si import si_posterior, si_ts_map

    lm = np.linspace(args.log10_m_phi_min, args.log10_m_phi_max, args.n_m_phi)
    lg = np.linspace(args.log10_g_min, args.log10_g_max, args.n_g)
    if args.posterior and (lm.size < 2 or lg.size < 2):
        raise OptionError("--posterior", "needs at least 2 grid points per axis")
    cs, prop, geo, info = _one_source(args)
    m = si_ts_map(cs, geo, lm, lg, sum_m=args.sum_m, majorana=not args.dirac,
                  bins=args.bins, progress=not args.quiet, workers=args.workers,
                  keep_ratios=args.posterior, normalisation=args.normalisation)
    res = m.to_dict()
    res.update({"data": info, "excluded_fraction": float(np.mean(m.excluded())),
                "threshold": WILKS_2DOF[0.9545]})
    res["_text"] = (f"{m.meta['source']}: TS(m_phi, g) on {lm.size} x {lg.size} points, "
                    f"max TS {m.ts.max():.2f}; {100 * res['excluded_fraction']:.1f}% of the grid "
                    f"excluded at 2 sigma (TS > 6.18, 2 dof); {m.meta['seconds']:.0f} s wall, "
                    f"{m.meta['cpu_seconds']:.0f} s CPU on {m.meta['workers']} process(es)")
    if args.posterior:
        p = si_posterior(cs, geo, si_map=m, n_live=args.n_live, seed=args.seed,
                         progress=not args.quiet)
        res["posterior"] = p.to_dict()
        res["_si_posterior"] = p.draws  # SI: draws for a report
        res["_text"] += (f"\nposterior (nautilus, eta = 1): ln B (secret vs none) = "
                         f"{p.log_bf:.3f} +- {np.hypot(p.log_z_err, p.log_z0_err):.3f}; "
                         f"{len(p.modes)} likelihood mode(s) of the map, every one sampled: "
                         f"{res['posterior']['every_mode_sampled']}")
    return res


def _run_sample(args: argparse.Namespace) -> dict[str, Any]:
    import pymc as pm

    from bayesnu.inference.cnb import eta_profile
    from bayesnu.inference.cnb_bayes import sample_cnb
    from bayesnu.models.cnb import add_overdensity

    cs, prop, geo, info = _one_source(args)
    with pm.Model():
        # eta prior up to the overdensity where the source is absorbed (models/cnb.py)
        cm = add_overdensity([cs], [prop], eta_prior=args.eta_prior,
                             normalisation=args.normalisation)
    idata, summ = sample_cnb(cm, draws=args.draws, tune=args.tune, chains=args.chains,
                             seed=args.seed, cores=min(args.chains, _ncpu()),
                             progress=not args.quiet)
    prof = eta_profile(cs, prop, _grid(args, prop), progress=not args.quiet,
                       normalisation=args.normalisation)
    pe = cm.priors["log10_eta" if args.eta_prior == "loguniform" else "eta"]
    summ.update({"eta_limit_90_cl": prof.limit(0.9), "eta_prior": args.eta_prior,
                 "eta_prior_range": [pe.lower, pe.upper], "normalisation": args.normalisation,
                 "data": info, "source": cs.source.name})
    summ.update({"_idata": idata, "_profile": prof})  # for --report
    summ["_text"] = (f"{cs.source.name}: 90% credible eta < {summ.get('eta_credible_90', np.nan):.3g}"
                     f" ({args.eta_prior} prior) vs 90% CL eta < {summ['eta_limit_90_cl']:.3g}; "
                     f"{summ['divergences']} divergences; {summ['seconds']:.0f} s")
    return summ


def _run_evidence(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.cnb import eta_profile
    from bayesnu.inference.cnb_bayes import evidence_cnb

    cs, prop, geo, info = _one_source(args)
    if args.secret:
        ev = evidence_cnb(cs, secret_geometry=geo, sum_m=args.sum_m or 0.1, bins=args.bins,
                          n_live=args.n_live, seed=args.seed)
        ts = None
    else:
        ev = evidence_cnb(cs, prop, n_live=args.n_live, seed=args.seed,
                          normalisation=args.normalisation, progress=not args.quiet)
        prof = eta_profile(cs, prop, _grid(args, prop), progress=not args.quiet,
                           normalisation=args.normalisation)
        ts = {"ts_min": float(prof.ts.min()), "eta_limit_90_cl": prof.limit(0.9)}
    res = ev.to_dict()
    res.update({"data": info, "profile": ts})
    res.update({"_posterior": ev.posterior, "source": cs.source.name})  # --report
    res["_text"] = (f"{cs.source.name}: ln Z = {ev.log_z:.3f} +- {ev.log_z_err:.3f}, ln Z0 = "
                    f"{ev.log_z0:.3f}; ln B = {ev.log_bf:.3f} ({'secret interaction' if args.secret else 'overdensity'} vs none)")
    return res


def register_analysis_commands(sub) -> None:
    """Add ``profile``, ``limit``, ``scan-si``, ``sample`` and ``evidence`` to ``cnb``."""
    ncpu = _ncpu()
    plot = Opt("--plot", kind="output", suffixes=(".png",), required=False,
               default_text="no plot", help="write the TS(eta) curves as a PNG")
    pr = sub.add_parser("profile", help="TS(eta) of the relic overdensity, ns and gamma profiled",
                        description="TS(eta) = -2[log L(eta; ns, gamma profiled) - log L0] with "
                                    "the propagated spectrum in the signal energy PDF.")
    add_options(pr, [*_TARGET, plot, report_option(), *common_options(seed_default=1)],
                check=_target_check)
    pr.set_defaults(handler=reported("profile", _run_profile))
    li = sub.add_parser("limit", help="upper limit on eta (Wilks); several --source: combined",
                        description="Upper limit on the relic overdensity eta from TS(eta) "
                                    "(Wilks, 1 dof: 2.71 for 90% CL, 3.84 for 95% CL); several "
                                    "sources are combined by adding their TS curves.")
    add_options(li, [*_TARGET, Opt("--cl", float, default=0.9, min=0.5, max=0.9999,
                                   help="confidence level"),
                     plot, report_option(), *common_options(seed_default=1)], check=_target_check)
    li.set_defaults(handler=reported("limit", _run_limit))
    si_opts = [o for o in _TARGET if o.name not in ("--points", "--log10-eta-min",
                                                    "--log10-eta-max", "--m1",
                                                    "--normalisation")]
    si_opts.append(Opt("--normalisation", choices=("flux", "events"), default="flux",
                       help="ns counts the events of the unpropagated power law (flux "
                            "normalisation: absorption removes events) or the propagated "
                            "events (shape test; unstable where the spectrum is absorbed)"))
    sc = sub.add_parser("scan-si", help="TS(m_phi, g_tautau) map of secret interactions",
                        description="Secret nu_tau interaction at eta = 1: TS over (m_phi, g) "
                                    "with ns and gamma profiled; 2-sigma region at TS > 6.18 "
                                    "(Wilks, 2 dof).")
    add_options(sc, [*si_opts,
                     Opt("--sum-m", float, default=0.1, min=0.06, max=3.0, unit="eV",
                         help="sum of the neutrino masses (normal ordering)"),
                     Opt("--dirac", bool, help="Dirac instead of Majorana neutrinos"),
                     Opt("--log10-m-phi-min", float, default=-1.0, min=-1.0, max=3.0,
                         help="lowest log10(m_phi/MeV) (tabulated range -1..3)"),
                     Opt("--log10-m-phi-max", float, default=3.0, min=-1.0, max=3.0,
                         help="highest log10(m_phi/MeV)"),
                     Opt("--log10-g-min", float, default=-4.0, min=-4.0, max=0.5,
                         help="lowest log10 g_tautau (tabulated range -4..0.5)"),
                     Opt("--log10-g-max", float, default=0.5, min=-4.0, max=0.5,
                         help="highest log10 g_tautau"),
                     Opt("--n-m-phi", int, default=40, min=1, max=400, help="m_phi grid points"),
                     Opt("--n-g", int, default=40, min=1, max=400, help="g grid points"),
                     Opt("--workers", int, default=ncpu, min=1, max=256,
                         default_text=f"all cores ({ncpu} here)",
                         help="processes over the m_phi rows of the grid (the map does not "
                              "depend on it)"),
                     Opt("--posterior", bool, help="also sample the posterior of (ns, gamma, "
                         "log10 m_phi, log10 g) at eta = 1 with nautilus over the map's grid "
                         "(uniform priors; every likelihood mode checked) and give the Bayes "
                         "factor against no secret interaction"),
                     Opt("--n-live", int, default=1000, min=50, max=100_000,
                         help="nautilus live points (with --posterior)"),
                     report_option(), *common_options(seed_default=1)], check=_target_check)
    sc.set_defaults(handler=reported("scan-si", _run_scan_si), m1=0.0342)  # masses follow --sum-m
    sa = sub.add_parser("sample", help="NUTS posterior of (ns, gamma, log10 eta)",
                        description="NUTS posterior of the overdensity model (PyMC) with ArviZ "
                                    "diagnostics; 90% credible limit next to the 90% CL limit.")
    add_options(sa, [*_TARGET,
                     Opt("--draws", int, default=1000, min=10, max=100_000, help="draws per chain"),
                     Opt("--tune", int, default=2000, min=10, max=100_000,
                         help="tuning steps (dense mass matrix)"),
                     Opt("--chains", int, default=2, min=1, max=16,
                         help="chains (run in parallel, one per core)"),
                     Opt("--eta-prior", choices=("loguniform", "uniform"), default="loguniform",
                         help="eta prior: log-uniform from 1e8, or uniform from 0, up to the "
                              "overdensity where the source's signal is absorbed to < 1e-20"),
                     report_option(), *common_options(seed_default=1)], check=_target_check)
    sa.set_defaults(handler=reported("sample", _run_sample))
    ev = sub.add_parser("evidence", help="nautilus evidence and Bayes factor vs eta = 0",
                        description="nautilus evidences of the overdensity model (log-uniform "
                                    "eta from 1e8 to where the signal is absorbed) and of the "
                                    "power law without "
                                    "interactions; their Bayes factor next to the TS.")
    add_options(ev, [*_TARGET,
                     Opt("--n-live", int, default=500, min=50, max=100_000,
                         help="nautilus live points"),
                     Opt("--secret", bool, help="secret-interaction model (log10 m_phi, log10 g "
                                                "at eta = 1) instead of the overdensity"),
                     Opt("--sum-m", float, min=0.06, max=3.0, unit="eV",
                         default_text="0.1 with --secret, else from --m1",
                         help="sum of the neutrino masses"),
                     report_option(), *common_options(seed_default=1)], check=_target_check)
    ev.set_defaults(handler=reported("evidence", _run_evidence))
