"""``bayesnu limit``: flux limits from event counts (paper 001, eq. 2)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from bayesnu.cli._common import add_common
from bayesnu.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("limit", help="flux limits from event counts",
                              description="Flux limits from event counts.")
    sub = p.add_subparsers(dest="limit_command", metavar="SUBCOMMAND")
    c = sub.add_parser(
        "counts", help="flux normalisation at --e0 that yields N events (paper 001)",
        description="Solve N = dT * integral <A_eff>_dec(E) phi0 (E/e0)^-gamma dE for phi0, with "
                    "A_eff of a 10-year-release season averaged over declination (solid-angle "
                    "weighted) and the power law integrated exactly over each released energy bin.")
    c.add_argument("--counts", type=float, required=True, help="number of events N")
    c.add_argument("--log10e", type=float, nargs=2, required=True, metavar=("LO", "HI"),
                   help="true-energy range in log10(E/GeV)")
    c.add_argument("--years", type=float, required=True, help="exposure time in years")
    c.add_argument("--season", default="IC86_II",
                   help="10-year-release season whose effective area is used (default IC86_II)")
    c.add_argument("--aeff", default=None, metavar="PATH",
                   help="official effective-area CSV to use instead of --season")
    c.add_argument("--gamma", type=float, default=2.0, help="spectral index (default 2)")
    c.add_argument("--e0", type=float, default=1e5, help="pivot energy in GeV (default 1e5 = 100 TeV)")
    c.add_argument("--year-days", type=float, default=365.25,
                   help="days per year (default 365.25; paper 001's digits follow from 365)")
    add_common(c, seed=False)
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
