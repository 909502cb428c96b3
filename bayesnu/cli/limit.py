"""``bayesnu limit``: flux limits from event counts (N = livetime x effective area x flux)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from bayesnu.cli._options import Opt, OptionError, add_options, common_options, input_file
from bayesnu.errors import InputError


def _check(args: argparse.Namespace) -> None:
    lo, hi = args.log10e
    if not hi > lo:
        raise OptionError("--log10e", f"needs LO < HI, got {lo:g} {hi:g}")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("limit", help="flux limits from event counts",
                              description="Flux limits from event counts.")
    sub = p.add_subparsers(dest="limit_command", metavar="SUBCOMMAND")
    c = sub.add_parser(
        "counts", help="flux normalisation at --e0 that yields N events",
        description="Solve N = dT * integral <A_eff>_dec(E) phi0 (E/e0)^-gamma dE for phi0, with "
                    "A_eff of a 10-year-release season averaged over declination (solid-angle "
                    "weighted) and the power law integrated exactly over each released energy bin.")
    add_options(c, [
        Opt("--counts", float, required=True, min=0.0, max=1e9, unit="events",
            help="number of events N"),
        Opt("--log10e", float, nargs=2, required=True, metavar=("LO", "HI"), min=0.0, max=12.0,
            unit="log10(E/GeV)", help="true-energy range"),
        Opt("--years", float, required=True, min=0.0, min_open=True, max=1000.0, unit="yr",
            help="exposure time"),
        Opt("--season", str, default="IC86_II",
            help="10-year-release season whose effective area is used (IC40, IC59, IC79, "
                 "IC86_I, IC86_II)"),
        input_file("--aeff", required=False, suffixes=(".csv", ".txt", ".dat"),
                   default_text="the --season effective area",
                   help="official effective-area CSV to use instead of --season"),
        Opt("--gamma", float, default=2.0, min=1.0, max=4.5, help="spectral index"),
        Opt("--e0", float, default=1e5, min=1.0, max=1e12, unit="GeV", help="pivot energy"),
        Opt("--year-days", float, default=365.25, min=1.0, max=400.0, unit="days",
            help="days per year (365 reproduces the digits of the published count limits)"),
        *common_options(seed=False),
    ], exclusive=[("--season", "--aeff")], check=_check)
    c.set_defaults(handler=run_counts)
    p.set_defaults(handler=None)


def run_counts(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.detector.aeff import count_flux_limit

    for name, v in (("--counts", args.counts), ("--years", args.years), ("--gamma", args.gamma),
                    ("--e0", args.e0), ("--year-days", args.year_days)):
        if not math.isfinite(v):
            raise InputError(f"{name} must be finite, got {v}", column=name)
    if args.counts < 0:
        raise InputError(f"--counts must be >= 0, got {args.counts}", column="--counts")
    if args.years <= 0 or args.year_days <= 0 or args.e0 <= 0:
        raise InputError("--years, --year-days and --e0 must be > 0", column="--years")
    lo, hi = args.log10e
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise InputError(f"--log10e needs LO < HI, got {lo} {hi}", column="--log10e")
    if args.aeff is not None:
        from bayesnu.data import load_effective_area

        aeff = load_effective_area(args.aeff)
        src = args.aeff
    else:
        from bayesnu.data import ps10yr_seasons

        seasons = ps10yr_seasons()
        key = {k.upper(): k for k in seasons}.get(args.season.upper().replace("-", "_"))
        if key is None:
            raise InputError(f"unknown season {args.season!r}; choose from {', '.join(seasons)}",
                             column="--season")
        aeff = seasons[key][1]
        src = f"10-year release {key} effective area"
    phi0 = count_flux_limit(args.counts, lo, hi, args.years, aeff, gamma=args.gamma,
                            e0_gev=args.e0, year_s=args.year_days * 86400.0)
    res = {"phi0_gev_cm2_s": phi0, "e2_phi_at_e0_gev_cm2_s": phi0 * args.e0**2,
           "counts": args.counts, "log10e": [lo, hi], "years": args.years,
           "year_days": args.year_days, "gamma": args.gamma, "e0_gev": args.e0,
           "effective_area": src,
           "declination_average": "solid-angle weighted mean over all sin(dec) bins"}
    res["_text"] = (f"phi0({args.e0:g} GeV) = {phi0:.4e} GeV^-1 cm^-2 s^-1 for N = {args.counts:g} "
                    f"in {lo:g} < log10(E/GeV) < {hi:g}, {args.years:g} yr, gamma = {args.gamma:g} "
                    f"({src}, declination-averaged)")
    return res
