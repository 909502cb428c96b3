"""``bayesnu simulate``: cascade samples, scrambled backgrounds, injected signals.

Every subcommand writes a sample in the generic event format (suffix of ``--out``
chooses npz, csv or fits) and prints a summary (``--json`` for JSON).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from bayesnu.cli._common import rng_from_args
from bayesnu.cli._options import Opt, add_options, common_options, data_option, output_file
from bayesnu.errors import InputError

_SUFFIXES = (".npz", ".csv", ".fits", ".fit")
_OUT_HELP = ("output event file in the generic format; the suffix chooses npz, csv (plus a "
             "'.samples.json' sidecar) or fits; written atomically")


def _out() -> Opt:
    return output_file("--out", suffixes=_SUFFIXES, help=_OUT_HELP)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("simulate", help="simulate samples (cascades, scrambles, injections)",
                              description="Simulate event samples and write them in the generic "
                                          "format (labelled simulated).")
    sub = p.add_subparsers(dest="simulate_command", metavar="SUBCOMMAND")

    c = sub.add_parser("cascade", help="cascade-like sample from the parametrised cascade detector",
                       description="Background cascade sample (atmospheric nu, astrophysical, "
                                   "atmospheric mu) over 2011-05-13 .. 2021-05-27 "
                                   "(after IC86_VII the uptime is simulated).")
    add_options(c, [
        _out(),
        Opt("--n-events", int, min=0, max=50_000_000, unit="events",
            default_text="59,592, the size of the IceCube 2023 cascade flare search sample",
            help="number of events (0 writes an empty sample)"),
        Opt("--poisson", bool, help="Poisson-fluctuate the sample size"),
        *common_options(),
    ])
    c.set_defaults(handler=run_cascade)

    s = sub.add_parser("scramble", help="background pseudo-experiment by scrambling RA and/or times",
                       description="Scramble right ascension (uniform within the sample footprint) "
                                   "and/or times (uniform in the uptime).")
    add_options(s, [
        data_option(),
        _out(),
        Opt("--time", bool, help="also scramble times within the uptime"),
        Opt("--no-ra", bool, help="do not scramble right ascension (needs --time)"),
        Opt("--keep-local", bool,
            help="with --time --no-ra: rotate RA by the sidereal angle (fixed local coordinates)"),
        *common_options(),
    ], requires={"--no-ra": ("--time",), "--keep-local": ("--time", "--no-ra")})
    s.set_defaults(handler=run_scramble)

    i = sub.add_parser("inject", help="inject a steady or flaring point source",
                       description="Inject a point source into an RA-scrambled copy of the data "
                                   "(or into the data with --no-scramble).")
    add_options(i, [
        data_option(),
        _out(),
        Opt("--ra", float, required=True, min=0.0, max=360.0, unit="deg",
            help="source right ascension"),
        Opt("--dec", float, required=True, min=-90.0, max=90.0, unit="deg",
            help="source declination"),
        Opt("--ns", float, min=0.0, max=1e6, unit="events", default_text="none (give --flux)",
            help="mean number of signal events (all samples)"),
        Opt("--flux", float, min=0.0, max=1e-6, unit="GeV^-1 cm^-2 s^-1",
            default_text="none (give --ns)",
            help="flux normalisation phi0 at --e0 (the peak for gauss flares)"),
        Opt("--gamma", float, default=2.0, min=1.0, max=4.5, help="spectral index"),
        Opt("--e0", float, default=1e5, min=1.0, max=1e12, unit="GeV", help="pivot energy"),
        Opt("--flare", choices=("gauss", "box"), default_text="none (steady source)",
            help="flare time profile"),
        Opt("--t0", float, min=40000.0, max=80000.0, unit="MJD", default_text="none",
            help="gauss flare centre (with --flare gauss)"),
        Opt("--sigma-t", float, min=0.0, min_open=True, max=1e5, unit="days",
            default_text="none", help="gauss flare width (with --flare gauss)"),
        Opt("--t-start", float, min=40000.0, max=80000.0, unit="MJD", default_text="none",
            help="box flare start (with --flare box)"),
        Opt("--t-stop", float, min=40000.0, max=80000.0, unit="MJD", default_text="none",
            help="box flare stop (with --flare box)"),
        Opt("--no-scramble", bool, help="inject into the unscrambled data"),
        Opt("--signal-only", bool, help="write only the signal events"),
        Opt("--no-poisson", bool, help="inject round(mean) events, no Poisson"),
        *common_options(),
    ], exclusive=[("--ns", "--flux")], one_of=[("--ns", "--flux")],
        together=[("--t0", "--sigma-t"), ("--t-start", "--t-stop")],
        requires={"--t0": ("--flare",), "--t-start": ("--flare",)},
        check=_check_flare)
    i.set_defaults(handler=run_inject)
    p.set_defaults(handler=None)


def _check_flare(args: argparse.Namespace) -> None:
    from bayesnu.cli._options import OptionError

    if args.flare == "gauss" and (args.t0 is None or args.t_start is not None):
        raise OptionError("--flare", "gauss needs --t0 and --sigma-t (not --t-start/--t-stop)")
    if args.flare == "box":
        if args.t_start is None or args.t0 is not None:
            raise OptionError("--flare", "box needs --t-start and --t-stop (not --t0/--sigma-t)")
        if not args.t_stop > args.t_start:
            raise OptionError("--t-stop", f"must be after --t-start ({args.t_start:g}), got "
                              f"{args.t_stop:g}")


def _load(target: str):
    from bayesnu.data import Dataset, load

    ds = load(target)
    if not isinstance(ds, Dataset):
        raise InputError(f"{target} is a catalogue, not an event data set", path=target)
    return ds


def _write(ds, out: str) -> str:
    from bayesnu.simulate import write

    return str(write(ds, out))


def _summary(ds, path: str, extra: dict[str, Any]) -> dict[str, Any]:
    res = {"out": path, "n_events": ds.n_events,
           "samples": [{"name": s.name, "n_events": s.size} for s in ds.samples], **extra}
    lines = [f"wrote {path}: {ds.n_events:,} events"]
    lines += [f"  {s.name}: {s.size:,}" for s in ds.samples]
    for k, v in extra.items():
        lines.append(f"  {k}: {v}")
    res["_text"] = "\n".join(lines)
    return res


def run_cascade(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.detector.cascade import CascadeDetector
    from bayesnu.simulate import cascade_sample

    if args.n_events is not None and args.n_events < 0:
        raise InputError(f"--n-events must be >= 0, got {args.n_events}", column="--n-events")
    rng = rng_from_args(args)
    t = time.perf_counter()
    det = CascadeDetector()
    ds = cascade_sample(rng, n_events=args.n_events, poisson=args.poisson, detector=det)
    dt = time.perf_counter() - t
    path = _write(ds, args.out)
    s = ds[0]
    return _summary(ds, path, {"components": s.meta["components"], "seed": args.seed,
                               "livetime_days": round(s.livetime_days, 3),
                               "generation_s": round(dt, 3),
                               "aeff_100tev_m2_dec0": round(det.area_at_100tev_m2(0.0), 3)})


def run_scramble(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.simulate import scramble

    if args.no_ra and not args.time:
        raise InputError("nothing to scramble: --no-ra without --time", column="--no-ra")
    if args.keep_local and not (args.time and args.no_ra):
        raise InputError("--keep-local needs --time and --no-ra", column="--keep-local")
    ds = _load(args.data)
    ds2 = scramble(rng_from_args(args), ds, ra=not args.no_ra, time=args.time,
                   keep_local=args.keep_local)
    path = _write(ds2, args.out)
    return _summary(ds2, path, {"scrambled": {"ra": not args.no_ra, "time": args.time},
                                "seed": args.seed})


def _flare_from_args(args: argparse.Namespace):
    from bayesnu.simulate import BoxFlare, GaussianFlare

    if args.flare is None:
        if any(v is not None for v in (args.t0, args.sigma_t, args.t_start, args.t_stop)):
            raise InputError("flare times given without --flare gauss|box", column="--flare")
        return None
    if args.flare == "gauss":
        if args.t0 is None or args.sigma_t is None:
            raise InputError("--flare gauss needs --t0 and --sigma-t", column="--flare")
        if not (args.sigma_t > 0 and math.isfinite(args.sigma_t)):
            raise InputError(f"--sigma-t must be > 0, got {args.sigma_t}", column="--sigma-t")
        return GaussianFlare(args.t0, args.sigma_t)
    if args.t_start is None or args.t_stop is None:
        raise InputError("--flare box needs --t-start and --t-stop", column="--flare")
    return BoxFlare(args.t_start, args.t_stop)


def run_inject(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.simulate import inject, scramble

    if not (-90.0 <= args.dec <= 90.0):
        raise InputError(f"--dec {args.dec} outside [-90, 90] deg", column="--dec")
    if not (0.0 <= args.ra <= 360.0):
        raise InputError(f"--ra {args.ra} outside [0, 360] deg", column="--ra")
    if not (math.isfinite(args.gamma) and 1.0 <= args.gamma <= 4.5):
        raise InputError(f"--gamma {args.gamma} outside [1, 4.5]", column="--gamma")
    if args.ns is not None and not (args.ns >= 0 and math.isfinite(args.ns)):
        raise InputError(f"--ns must be >= 0, got {args.ns}", column="--ns")
    if args.flux is not None and not (args.flux >= 0 and math.isfinite(args.flux)):
        raise InputError(f"--flux must be >= 0, got {args.flux}", column="--flux")
    if not (args.e0 > 0 and math.isfinite(args.e0)):
        raise InputError(f"--e0 must be > 0, got {args.e0}", column="--e0")
    flare = _flare_from_args(args)
    rng = rng_from_args(args)
    ds = _load(args.data)
    if not args.no_scramble:
        ds = scramble(rng, ds)
    # injection takes milliseconds: no progress bar needed
    out, info = inject(rng, ds, args.ra, args.dec, args.gamma, ns=args.ns, phi0=args.flux,
                       e0_gev=args.e0, flare=flare, poisson=not args.no_poisson,
                       background=not args.signal_only)
    path = _write(out, args.out)
    info["seed"] = args.seed
    info["scrambled_background"] = not args.no_scramble and not args.signal_only
    return _summary(out, path, info)


