"""``bayesnu demo``: the 2014-15 neutrino flare of TXS 0506+056, frequentist and Bayesian.

Runs on the bundled IceCube TXS 0506+056 data release (no download):
Gaussian and box flare fits per sample, local p-values from 1,000 scrambled
background trials per time profile (with binomial intervals), the TS profile
in T0, nautilus Bayes factors (flare vs background, flare vs steady source)
and NUTS per flare mode with diagnostics. Writes ``report.html`` (self-contained,
our numbers beside the published IceCube 2018 ones), ``summary.json``,
``summary.txt`` and PNG figures into an output folder. About 2-3 minutes on
2 cores; ``--quick`` (frequentist part only) about 1 minute.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

from bayesnu.cli._options import Opt, add_options, common_options, output_dir

OPTIONS = [
    output_dir("--out", required=False,
               default_text="bayesnu_demo_<UTC time> in the working directory",
               help="output folder for report.html, summary.json, summary.txt and the PNGs"),
    Opt("--trials", int, default=1000, min=20, max=10_000_000,
        help="RA- and time-scrambled background trials per time profile (Gaussian and box) "
             "for the local p-values"),
    Opt("--draws", int, default=2000, min=10, max=1_000_000,
        help="NUTS draws per chain and flare mode"),
    Opt("--tune", int, default=800, min=10, max=1_000_000, help="NUTS tuning steps per chain"),
    Opt("--chains", int, default=2, min=1, max=64, help="NUTS chains per flare mode"),
    Opt("--cores", int, min=1, max=1024, default_text="all cores (at most one per chain)",
        help="processes running the NUTS chains in parallel"),
    Opt("--n-live", int, default=200, min=50, max=100_000,
        help="nautilus live points of the evidences"),
    Opt("--quick", bool, help="frequentist part only (no nautilus, no NUTS)"),
    *common_options(seed_default=1),
]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="TXS 0506+056 flare, frequentist and Bayesian, with "
                                           "an HTML report",
                              description=__doc__.replace("``", "").split("\n\n")[1])
    add_options(p, OPTIONS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.apps.demo import DemoSettings, run_demo

    st = DemoSettings(seed=int(args.seed), n_trials=args.trials, draws=args.draws,
                      tune=args.tune, chains=args.chains, cores=args.cores or 0,
                      n_live=args.n_live, bayes=not args.quick, progress=not args.quiet)
    command = "bayesnu " + " ".join(shlex.quote(a) for a in sys.argv[1:]) \
        if os.path.basename(sys.argv[0]).startswith("bayesnu") else "bayesnu demo"
    return run_demo(args.out, settings=st, command=command)
