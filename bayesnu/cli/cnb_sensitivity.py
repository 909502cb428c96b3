"""``bayesnu cnb sensitivity`` and ``bayesnu cnb coverage``.

``coverage``: coverage of the 90% CL upper limit on eta by pseudo-experiments
(:func:`bayesnu.inference.cnb_coverage.limit_coverage`).

``sensitivity``: future sensitivity to the relic overdensity eta.

Mock data adding ``--years-added`` years to a sample at its best-fit power law (SIMULATED:
background resampled and RA/time-scrambled from the sample, signal injected at the power-law
best fit), TS(eta) of every instance, median curve and 68% band; a resumable campaign
(:func:`bayesnu.inference.cnb_sensitivity.future_sensitivity`). Registered into the ``cnb``
group by :func:`register_sensitivity_commands`.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

from bayesnu.cli._options import (
    Opt,
    OptionError,
    add_options,
    common_options,
    output_dir,
    report_option,
    scheduler_check,
)

__all__ = ["register_sensitivity_commands"]


def _source_grid(args: argparse.Namespace, lo14: float, hi14: float):
    """(source, geometry, shift, lo, hi) of ``--source``: the log10 eta grid's ends given or
    ``lo14`` / ``hi14`` (their values at 14 Mpc) minus ``shift = log10(d / 14 Mpc)``."""
    from bayesnu.errors import InputError
    from bayesnu.inference.cnb import cnb_geometry, column_mpc
    from bayesnu.sources import resolve_source

    try:
        src = resolve_source(args.source, online=False)
        geo = cnb_geometry(src.name, args.d_eff_mpc, args.z)
    except InputError as exc:
        raise OptionError("--source", str(exc).split(": ", 1)[-1]) from None
    shift = np.log10(column_mpc(geo)) - np.log10(14.0)
    lo = args.log10_eta_min if args.log10_eta_min is not None else lo14 - shift
    hi = args.log10_eta_max if args.log10_eta_max is not None else hi14 - shift
    if hi <= lo:
        raise OptionError("--log10-eta-max", "must be above --log10-eta-min")
    return src, geo, shift, lo, hi


def _run_coverage(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.cnb import cnb_data, cnb_propagator, cnb_source
    from bayesnu.inference.cnb_coverage import limit_coverage

    src, geo, shift, lo, hi = _source_grid(args, 14.0, 20.0)
    etas = (list(args.etas) if args.etas is not None
            else [e * 10.0 ** -shift for e in (3e16, 1e17, 3e17)])
    rng = np.random.default_rng(args.seed)
    ds, info = cnb_data(args.data, src.name, rng)
    prop = cnb_propagator(geo, m1=args.m1, bins=args.bins)
    cs = cnb_source(ds, src, prop)
    res = limit_coverage(cs, prop, etas, args.trials, args.ns, args.gamma, rng,
                         log10_eta=np.linspace(lo, hi, args.points), progress=not args.quiet,
                         method=args.method)
    if not args.keep_trials:
        res.pop("trials")
    res.update({"source": src.name, "data": info, "simulated": True, "seed": args.seed,
                "m1": args.m1, "geometry": repr(geo), "bins": args.bins})
    rows = res["per_eta"]
    res["_text"] = (
        f"# coverage of the 90% CL upper limit on eta, {src.name}, {args.trials} pseudo-"
        f"experiments per eta (SIMULATED: RA-scrambled data + {args.ns:g} signal events, gamma "
        f"{args.gamma:g}, propagated at the true eta); {res['cpu_seconds']:.0f} CPU s\n"
        "# paper: TS >= 2.706 (two-sided Wilks value; asymptotic coverage 95%); one-sided: "
        "TS - TS_min >= 1.642 (asymptotic 90%)\n"
        "# eta_true  coverage_paper    +-  coverage_one_sided    +-  median_TS(eta_true)\n"
        + "\n".join(f"{r['eta']:10.3g} {r['coverage_paper']:14.3f} {r['binomial_error_paper']:6.3f}"
                    f" {r['coverage_one_sided']:18.3f} {r['binomial_error_one_sided']:6.3f}"
                    f" {r['median_ts_true']:12.2f}" for r in rows))
    return res



def _run_sensitivity(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.cnb_sensitivity import future_sensitivity

    src, _, _, lo, hi = _source_grid(args, 16.0, 20.0)
    args.source = src.name
    grid = np.linspace(lo, hi, args.points)
    res = future_sensitivity(args.data, args.source, args.years_added, args.instances, args.out,
                             args.seed, grid, m1=args.m1, d_eff_mpc=args.d_eff_mpc, z=args.z,
                             bins=args.bins, scheduler=args.scheduler, n_workers=args.workers,
                             chunk_size=args.chunk_size, progress=not args.quiet,
                             data_seed=args.data_seed)
    bf = res["best_fit_power_law"]
    res["_text"] = (
        f"# {res['source']} +{args.years_added:g} yr [SIMULATED mock data], {res['n_instances']} "
        f"instances (power law ns {bf['ns']:.2f}, gamma {bf['gamma']:.3f} scaled to the longer "
        f"live time); median 90% CL limit eta = {res['eta_limit_median']:.3g}; "
        f"{res['seconds_per_instance_median']:.1f} s per instance; campaign {os.fspath(args.out)}\n"
        "# log10_eta  TS_median  TS_16%  TS_84%\n"
        + "\n".join(f"{x:10.3f} {m:9.3f} {a:8.3f} {b:8.3f}" for x, m, a, b in
                    zip(res["log10_eta"], res["ts_median"], *res["ts_band_68"])))
    return res


def register_sensitivity_commands(sub) -> None:
    """Add ``sensitivity`` and ``coverage`` to the ``cnb`` group."""
    from bayesnu.cli.cnb_analysis import GEOMETRY, reported

    ncpu = os.cpu_count() or 1
    c = sub.add_parser(
        "coverage", help="coverage of the 90%% CL upper limit on eta by pseudo-experiments "
                         "(papers' 2.71 convention and the one-sided 1.64 limit)",
        description="Pseudo-experiments at each true eta (the data RA-scrambled plus signal "
                    "propagated at that eta, SIMULATED); the fraction whose 90% CL upper limit "
                    "is >= the truth, for the papers' convention (TS relative to the power law "
                    ">= 2.706, the two-sided Wilks value: asymptotically 95% coverage) and for "
                    "the one-sided profile-likelihood limit (TS - TS_min >= 1.642 above the best "
                    "fit: asymptotically 90%), with binomial errors. Each pseudo-experiment "
                    "needs the fits on a coarse eta grid (for the minimum) and at the true eta "
                    "only; transport ratios are computed once.")
    add_options(c, [
        Opt("--data", str, default_text="the source's real data (NGC 1068, PKS 1424+240: "
            "ic40,ic86_2011; TXS 0506+056: txs0506:IC86b+IC86c)",
            help="events whose RA scrambles are the background (as for 'cnb profile')"),
        Opt("--source", str, required=True, help="source name from the built-in table "
            "('NGC 1068', 'TXS 0506+056', 'PKS 1424+240')"),
        Opt("--etas", float, nargs="+", min=0.0, min_open=True, max=1e40,
            default_text="3e16, 1e17, 3e17 at 14 Mpc (scaled by 14 Mpc / d for other distances)",
            help="true overdensities of the pseudo-experiments"),
        Opt("--trials", int, default=200, min=1, max=1_000_000,
            help="pseudo-experiments per true eta"),
        Opt("--ns", float, default=150.0, min=0.0, max=1e6,
            help="mean signal events (after propagation) per pseudo-experiment"),
        Opt("--gamma", float, default=3.15, min=1.0, max=4.0,
            help="spectral index of the injected signal (default: Franklin et al.'s NGC 1068)"),
        *GEOMETRY,
        Opt("--points", int, default=25, min=3, max=5000,
            help="points of the log10 eta grid of the minimum search (the true eta is added)"),
        Opt("--log10-eta-min", float, min=-10.0, max=40.0,
            default_text="14 - log10(d / 14 Mpc)", help="lowest log10 eta of the grid"),
        Opt("--log10-eta-max", float, min=-10.0, max=40.0,
            default_text="20 - log10(d / 14 Mpc)", help="highest log10 eta of the grid"),
        Opt("--bins", int, default=300, min=20, max=600,
            help="transport energy bins over 1e2-1e10 GeV"),
        Opt("--method", choices=("fast", "profile"), default="fast",
            help="decision per pseudo-experiment: 'fast' (minimum on the grid and TS at the "
                 "true eta) or 'profile' (upper_limit on the grid's TS curve)"),
        Opt("--keep-trials", bool, help="also return every pseudo-experiment's TS(eta_true), "
            "TS_min and best-fit eta in the JSON"),
        *common_options(seed_default=1),
    ], exclusive=[("--d-eff-mpc", "--z")])
    c.set_defaults(handler=_run_coverage)
    p = sub.add_parser(
        "sensitivity", help="future sensitivity: median TS(eta) and 68%% band of mock data with "
                            "added years (SIMULATED), a resumable campaign",
        description="Mock data sets for the sample's live time plus --years-added years at its "
                    "best-fit power law (SIMULATED: events resampled, RA- and time-scrambled; "
                    "signal injected at the power-law best fit), TS(eta) of each, the median "
                    "curve, its central 68% band and the median 90% CL limit. An interrupted "
                    "run resumes from its --out folder.")
    add_options(p, [
        Opt("--data", str, default_text="the source's real data (NGC 1068, PKS 1424+240: "
            "ic40,ic86_2011; TXS 0506+056: txs0506:IC86b+IC86c)",
            help="base events (as for 'cnb profile', e.g. 'sim-ic86-ii-vii' for the SIMULATED "
                 "2012-2018 sample)"),
        Opt("--source", str, required=True, help="source name from the built-in table "
            "('NGC 1068', 'TXS 0506+056', 'PKS 1424+240')"),
        Opt("--years-added", float, required=True, min=0.0, max=1000.0, unit="yr",
            help="years of data added to the sample's live time (e.g. 10 or 80)"),
        Opt("--instances", int, default=500, min=1, max=1_000_000,
            help="mock data sets (more can be added later into the same --out)"),
        output_dir("--out", existing="resume",
                   help="campaign folder (one file per chunk; an interrupted run resumes)"),
        *GEOMETRY,
        Opt("--points", int, default=41, min=3, max=5000, help="points of the log10 eta grid"),
        Opt("--log10-eta-min", float, min=-10.0, max=40.0,
            default_text="16 - log10(d / 14 Mpc) (d: d_eff or the column-equivalent distance)",
            help="lowest log10 eta of the grid"),
        Opt("--log10-eta-max", float, min=-10.0, max=40.0,
            default_text="20 - log10(d / 14 Mpc)", help="highest log10 eta of the grid"),
        Opt("--bins", int, default=300, min=20, max=600,
            help="transport energy bins over 1e2-1e10 GeV"),
        Opt("--chunk-size", int, default=5, min=1, max=10_000,
            help="instances per chunk file (the unit of resuming)"),
        Opt("--data-seed", int, default=0, min=0, max=2**63 - 1,
            help="seed of the base SIMULATED sample (only with --data sim-ic86-ii-vii)"),
        Opt("--scheduler", str, default="serial", check=scheduler_check,
            help="where instances run: 'serial', 'local' (dask LocalCluster of --workers "
                 "processes) or the address of a running dask scheduler, tcp://HOST:PORT "
                 "(trusted: its workers run this campaign's code)"),
        Opt("--workers", int, default=ncpu, min=1, max=1024,
            default_text=f"all cores ({ncpu} here)", help="processes of a local cluster"),
        report_option(),
        *common_options(seed_default=1),
    ], exclusive=[("--d-eff-mpc", "--z")])
    p.set_defaults(handler=reported("sensitivity", _run_sensitivity))  # --report
