"""``bayesnu ps expected``: expected signal events of a power-law flux in seasons of the 10-year release."""

from __future__ import annotations

import argparse
from typing import Any

from bayesnu.cli._options import Opt, OptionError, add_options, common_options

__all__ = ["register_expected"]


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.errors import InputError
    from bayesnu.simulate.paper_equivalent import expected_signal_events, parse_seasons
    from bayesnu.sources import resolve_source

    if args.source is not None:
        src = resolve_source(args.source, online=False)
        name, dec = src.name, src.dec
    elif args.dec is not None:
        name, dec = "custom", float(args.dec)
    else:
        raise OptionError("--source", "give --source NAME or --dec DEG")
    try:
        seasons = parse_seasons(args.seasons)
    except InputError as exc:
        raise OptionError("--seasons", str(exc).split(": ", 1)[-1]) from None
    r = expected_signal_events(dec, args.phi0, args.gamma, args.e0_gev, seasons,
                               interp_dec=args.interp_dec)
    out = {"ns": r["ns"], "source": name, "dec_deg": dec, "phi0": args.phi0,
           "e0_gev": args.e0_gev, "gamma": args.gamma, "seasons": list(seasons),
           "livetime_days": r["livetime_days"], "per_group": r["per_group"],
           "interp_dec": bool(args.interp_dec),
           "effective_area": "bundled 10-year point-source release, sin(dec) bin holding the "
                             "source" if not args.interp_dec else
                             "bundled 10-year release, linear in sin(dec) between bin centres"}
    out["_text"] = (f"{name} (dec {dec:.4f} deg): ns = {r['ns']:.3f} expected signal events in "
                    f"{', '.join(seasons)} ({r['livetime_days']:.1f} d live)")
    return out


def register_expected(sub) -> None:
    """Add ``expected`` to the ``ps`` sub-parsers."""
    p = sub.add_parser("expected", help="expected signal events ns of a power-law flux",
                       description="Expected signal events ns = T_live int A_eff(E, dec) phi0 "
                                   "(E/e0)^-gamma dE over seasons of the 10-year release "
                                   "(good-run lists merged: overlapping seconds count once).")
    add_options(p, [
        Opt("--source", str, default_text="none (then --dec)", help="source name (built-in table)"),
        Opt("--dec", float, min=-90.0, max=90.0, unit="deg", default_text="none",
            help="declination of a source not in the table"),
        Opt("--phi0", float, required=True, min=0.0, unit="GeV^-1 cm^-2 s^-1",
            help="nu_mu + nubar_mu flux normalisation at --e0-gev"),
        Opt("--e0-gev", float, default=1e3, min=1.0, max=1e9, unit="GeV", help="pivot energy"),
        Opt("--gamma", float, default=2.0, min=0.0, max=6.0, help="spectral index"),
        Opt("--seasons", str, default="IC86_II-IC86_VII",
            help="seasons: a range A-B or a comma list (IC40, IC59, IC79, IC86_I..IC86_VII)"),
        Opt("--interp-dec", bool, help="interpolate the effective area in sin(dec) between bin "
                                       "centres instead of using the bin holding the source"),
        *common_options(seed=False),
    ], exclusive=[("--source", "--dec")])
    p.set_defaults(handler=_run)
