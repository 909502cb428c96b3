"""``bayesnu simulate``: cascade samples, scrambled backgrounds, injected signals.

Every subcommand writes a sample in the generic event format (suffix of ``--out``
chooses npz, csv or fits) and prints a summary (``--json`` for JSON).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from bayesnu.cli._common import add_common, rng_from_args
from bayesnu.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("simulate", help="simulate samples (cascades, scrambles, injections)",
                              description="Simulate event samples and write them in the generic format.")
    sub = p.add_subparsers(dest="simulate_command", metavar="SUBCOMMAND")

    c = sub.add_parser("cascade", help="cascade-like sample from the parametrised cascade detector",
                       description="Background cascade sample (atmospheric nu, astrophysical, "
                                   "atmospheric mu) over 2011-05-13 .. 2021-05-27 "
                                   "(after IC86_VII the uptime is simulated).")
    c.add_argument("--out", required=True, help="output file (.npz, .csv or .fits)")
    c.add_argument("--n-events", type=int, default=None,
                   help="number of events (default 59,592 as in the paper-000 sample)")
    c.add_argument("--poisson", action="store_true", help="Poisson-fluctuate the sample size")
    add_common(c)
    c.set_defaults(handler=run_cascade)

    s = sub.add_parser("scramble", help="background pseudo-experiment by scrambling RA and/or times",
                       description="Scramble right ascension (uniform within the sample footprint) "
                                   "and/or times (uniform in the uptime).")
    s.add_argument("--data", required=True, metavar="NAME|PATH", help="bundled name or file/folder")
    s.add_argument("--out", required=True, help="output file (.npz, .csv or .fits)")
    s.add_argument("--time", action="store_true", help="also scramble times within the uptime")
    s.add_argument("--no-ra", action="store_true", help="do not scramble right ascension")
    s.add_argument("--keep-local", action="store_true",
                   help="with --time --no-ra: rotate RA by the sidereal angle (fixed local coordinates)")
    add_common(s)
    s.set_defaults(handler=run_scramble)

    i = sub.add_parser("inject", help="inject a steady or flaring point source",
                       description="Inject a point source into an RA-scrambled copy of the data "
                                   "(or into the data with --no-scramble).")
    i.add_argument("--data", required=True, metavar="NAME|PATH", help="bundled name or file/folder")
    i.add_argument("--out", required=True, help="output file (.npz, .csv or .fits)")
    i.add_argument("--ra", type=float, required=True, help="source right ascension (deg)")
    i.add_argument("--dec", type=float, required=True, help="source declination (deg)")
    g = i.add_mutually_exclusive_group(required=True)
    g.add_argument("--ns", type=float, help="mean number of signal events (all samples)")
    g.add_argument("--flux", type=float,
                   help="flux normalisation phi0 at --e0 in GeV^-1 cm^-2 s^-1 (peak for gauss flares)")
    i.add_argument("--gamma", type=float, default=2.0, help="spectral index (default 2)")
    i.add_argument("--e0", type=float, default=1e5, help="pivot energy in GeV (default 1e5)")
    i.add_argument("--flare", choices=("gauss", "box"), default=None, help="flare time profile")
    i.add_argument("--t0", type=float, help="gauss flare centre (MJD)")
    i.add_argument("--sigma-t", type=float, help="gauss flare width (days)")
    i.add_argument("--t-start", type=float, help="box flare start (MJD)")
    i.add_argument("--t-stop", type=float, help="box flare stop (MJD)")
    i.add_argument("--no-scramble", action="store_true", help="inject into the unscrambled data")
    i.add_argument("--signal-only", action="store_true", help="write only the signal events")
    i.add_argument("--no-poisson", action="store_true", help="inject round(mean) events, no Poisson")
    add_common(i)
    i.set_defaults(handler=run_inject)
    p.set_defaults(handler=None)


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


