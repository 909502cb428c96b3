"""``bayesnu demo``: the 2014-15 neutrino flare of TXS 0506+056, frequentist and Bayesian.

Runs on the bundled IceCube TXS 0506+056 data release (no download): Gaussian
and box flare fits per sample with their TS, a local p-value from scrambled
background trials, the TS profile in T0, nautilus Bayes factors (flare vs
background, flare vs steady source) and a short NUTS posterior per flare mode
with its diagnostics and the mode's posterior weight. Writes ``summary.txt``, ``summary.json`` and PNG plots into an output
folder (``--out``, default ``bayesnu_demo_<UTC time>``). A few minutes on 2 cores;
``--quick`` skips the Bayesian part.
"""

from __future__ import annotations

import argparse
from typing import Any

from bayesnu.cli._common import add_common, progress_enabled


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="TXS 0506+056 flare, frequentist and Bayesian",
                              description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None, help="output folder (default bayesnu_demo_<time>)")
    p.add_argument("--trials", type=int, default=200, help="background trials for the p-value")
    p.add_argument("--draws", type=int, default=2000, help="NUTS draws per chain and flare mode")
    p.add_argument("--tune", type=int, default=800, help="NUTS tuning steps per chain")
    p.add_argument("--cores", type=int, default=2, help="processes for the NUTS chains")
    p.add_argument("--quick", action="store_true", help="frequentist part only")
    add_common(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.errors import InputError
    from bayesnu.flare.demo import run_demo

    if args.trials < 1:
        raise InputError("need --trials >= 1", column="trials")
    if args.draws < 10 or args.tune < 10 or args.cores < 1:
        raise InputError("need --draws >= 10, --tune >= 10 and --cores >= 1", column="draws")
    seed = 1 if args.seed is None else int(args.seed)
    return run_demo(args.out, seed=seed, n_trials=args.trials, draws=args.draws,
                    tune=args.tune, cores=args.cores, bayes=not args.quick,
                    progress=progress_enabled(args))
