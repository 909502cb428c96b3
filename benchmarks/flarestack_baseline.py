"""flarestack reference timings for bayesnu's speed claims (issues 3 and 4).

Runs INSIDE a separate flarestack virtual environment (see
``benchmarks/compare_flarestack.sh``, which creates it); it imports only
flarestack, numpy and the standard library, and it is never imported by
bayesnu itself.

Two background-trial timings on the IC86-2011 season that flarestack ships
(``flarestack.data.public.icecube_ps_3_year``, the IceCube 3-year all-sky
point-source release), at one source (TXS 0506+056 by default):

(a) time-integrated point source: ``MinimisationHandler`` ``"fixed_weights"``
    with the ``"standard"`` likelihood (steady signal and background time
    PDFs, power-law energy PDF with free gamma), injection scale 0, i.e.
    one trial = scramble of the whole season (uniform RA, shuffled times)
    + bounded L-BFGS-B fit of (ns, gamma);
(b) box flare: ``MinimisationHandler`` ``"flare"`` with the ``"standard"``
    likelihood and a ``"custom_source_box"`` signal time PDF whose window is
    the whole season (or ``--flare-window``), i.e. one trial = the same
    scramble + flarestack's flare search (every pair of S/B > 1 events within
    5 deg as candidate box edges, one L-BFGS-B fit of (ns, gamma) per pair).

All other settings are flarestack's defaults (5 deg spatial box, gamma
precision 0.025, no pull correction, static angular-error floor).

Warm-up is timed separately from the per-trial cost: importing flarestack
(which, on the first run with an empty scratch directory, unpacks the bundled
data and builds its splines), constructing the MinimisationHandler, and one
untimed warm-up trial (which builds the likelihood, injector and energy
splines lazily). The per-trial figures are the following ``--n-*`` trials,
each ``prepare_dataset(scale=0, seed)`` (scramble) + ``run_trial`` (fit):
exactly what flarestack's ``simulate_and_run`` does, minus writing its result
pickle.

Usage (inside the flarestack venv)::

    python benchmarks/flarestack_baseline.py --n-ps 10 --n-flare 4 --json out.json

Prints one JSON document with seconds per trial, trial counts, versions,
event counts and the exact configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--n-ps", type=int, default=10, help="timed time-integrated background trials (a)"
    )
    p.add_argument("--n-flare", type=int, default=4, help="timed box-flare background trials (b)")
    p.add_argument("--ra", type=float, default=77.358, help="source RA [deg]")
    p.add_argument("--dec", type=float, default=5.693, help="source dec [deg]")
    p.add_argument("--name", default="TXS 0506+056", help="source name")
    p.add_argument("--seed", type=int, default=1, help="first trial seed")
    p.add_argument(
        "--scratch", default=None, help="FLARESTACK_SCRATCH_DIR (default: env var or a temp dir)"
    )
    p.add_argument("--only", choices=["ps", "flare", "both"], default="both")
    p.add_argument(
        "--flare-window",
        nargs=2,
        type=float,
        metavar=("START_MJD", "END_MJD"),
        default=None,
        help="box-flare search window (default: the whole season)",
    )
    p.add_argument(
        "--json", dest="json_out", default=None, help="also write the JSON document to this file"
    )
    return p.parse_args()


def _mean(trials: list[dict], key: str) -> float:
    vals = [t[key] for t in trials]
    return float(sum(vals) / len(vals)) if vals else float("nan")


def _time_trials(mh, kind: str, n: int, seed: int) -> tuple[float, list[dict], int]:
    """One untimed warm-up trial, then ``n`` timed background trials.

    Each trial is flarestack's own ``prepare_dataset(scale=0, seed)`` (uniform
    RA, shuffled times, no injection) followed by its ``run_trial`` (the fit).
    Returns (warm-up seconds, per-trial records, next seed).
    """
    # Record (not change) how many S/B > 1 seed events flarestack's flare
    # search finds per trial: its cost grows with their number of pairs.
    n_sig: list[int] = []
    if kind == "flare":
        llh = mh.get_likelihood("IC86-2011")
        orig = llh.find_significant_events

        def counting(coincident_data, source):
            sig = orig(coincident_data, source)
            n_sig.append(int(len(sig)))
            return sig

        llh.find_significant_events = counting

    def one_trial(s: int) -> dict:
        n_sig.clear()
        c0 = time.process_time()
        ta = time.perf_counter()
        data = mh.prepare_dataset(scale=0.0, seed=s)
        tb = time.perf_counter()
        res = mh.run_trial(data)
        tc = time.perf_counter()
        rec = {
            "seed": s,
            "scramble_s": tb - ta,
            "fit_s": tc - tb,
            "total_s": tc - ta,
            "cpu_s": time.process_time() - c0,
            "ts": float(res["TS"]),
            "params": {str(k): float(v) for k, v in res["Parameters"].items()},
        }
        if kind == "flare":
            k = sum(n_sig)
            rec["n_significant_events"] = k
            rec["n_candidate_pairs_max"] = k * (k - 1) // 2
        return rec

    first_s = one_trial(seed)["total_s"]
    seed += 1
    trials = []
    for _ in range(n):
        rec = one_trial(seed)
        seed += 1
        trials.append(rec)
        print(
            f"[flarestack {kind}] seed {rec['seed']}: {rec['total_s']:.3f} s "
            f"(scramble {rec['scramble_s']:.3f}, fit {rec['fit_s']:.3f}, "
            f"cpu {rec['cpu_s']:.3f}) TS {rec['ts']:.3f}",
            file=sys.stderr,
            flush=True,
        )
    return first_s, trials, seed


def main() -> int:
    args = _parse()
    scratch = args.scratch or os.environ.get("FLARESTACK_SCRATCH_DIR")
    if not scratch:
        scratch = os.path.join(tempfile.gettempdir(), "bayesnu-flarestack-scratch")
    os.makedirs(scratch, exist_ok=True)
    os.environ["FLARESTACK_SCRATCH_DIR"] = scratch
    os.environ.setdefault("MPLBACKEND", "Agg")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    first_run = not os.path.isdir(
        os.path.join(
            scratch,
            "flarestack__data",
            "input",
            "public_datasets",
            "all_sky_3_year",
            "extracted_data",
        )
    )

    t0 = time.perf_counter()
    from importlib.metadata import version

    import numpy as np
    from flarestack import MinimisationHandler
    from flarestack.data.public import icecube_ps_3_year
    from flarestack.utils.prepare_catalogue import custom_sources

    t_import = time.perf_counter() - t0
    for name in ("flarestack", "numpy", "scipy"):
        logging.getLogger(name).setLevel(logging.WARNING)

    dataset = icecube_ps_3_year.get_seasons("IC86-2011")
    season = dataset["IC86-2011"]
    exp = season.get_exp_data()
    n_events = int(len(exp))
    t_lo, t_hi = float(exp["time"].min()), float(exp["time"].max())

    # One-source catalogue. The box-flare search window is [start, end]
    # clipped by flarestack to the season: by default the whole season.
    w_lo, w_hi = args.flare_window if args.flare_window else (t_lo - 1.0, t_hi + 1.0)
    cat = custom_sources(
        args.name,
        args.ra,
        args.dec,
        1.0,
        1.0,
        ref_time=0.5 * (w_lo + w_hi),
        start_time=w_lo,
        end_time=w_hi,
    )
    cat_path = os.path.join(scratch, "bayesnu_bench_catalogue.npy")
    np.save(cat_path, cat)

    energy = {"energy_pdf_name": "power_law"}
    inj_dict = {
        "injection_sig_time_pdf": {"time_pdf_name": "steady"},
        "injection_bkg_time_pdf": {"time_pdf_name": "steady"},
        "injection_energy_pdf": {"energy_pdf_name": "power_law", "gamma": 2.0},
    }
    configs = {
        "ps": {
            "name": "bayesnu_bench/ps/",
            "mh_name": "fixed_weights",
            "dataset": dataset,
            "catalogue": cat_path,
            "inj_dict": inj_dict,
            "llh_dict": {
                "llh_name": "standard",
                "llh_sig_time_pdf": {"time_pdf_name": "steady"},
                "llh_bkg_time_pdf": {"time_pdf_name": "steady"},
                "llh_energy_pdf": dict(energy),
            },
        },
        "flare": {
            "name": "bayesnu_bench/flare/",
            "mh_name": "flare",
            "dataset": dataset,
            "catalogue": cat_path,
            "inj_dict": inj_dict,
            "llh_dict": {
                "llh_name": "standard",
                "llh_sig_time_pdf": {"time_pdf_name": "custom_source_box"},
                "llh_bkg_time_pdf": {"time_pdf_name": "steady"},
                "llh_energy_pdf": dict(energy),
            },
        },
    }
    n_by_kind = {"ps": args.n_ps, "flare": args.n_flare}
    kinds = ["ps", "flare"] if args.only == "both" else [args.only]
    kinds = [k for k in kinds if n_by_kind[k] > 0]

    out: dict = {
        "tool": "flarestack",
        "versions": {
            "flarestack": version("flarestack"),
            "numpy": version("numpy"),
            "scipy": version("scipy"),
            "python": platform.python_version(),
        },
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "data": {
            "sample": "flarestack icecube_ps_3_year season IC86-2011 "
            "(IceCube 3-year all-sky PS release, IC86-2011-events.txt)",
            "n_events": n_events,
            "mjd_range": [t_lo, t_hi],
        },
        "source": {"name": args.name, "ra_deg": args.ra, "dec_deg": args.dec},
        "warmup": {
            "scratch_dir": scratch,
            "first_run_with_empty_scratch": first_run,
            "import_s": t_import,
        },
        "results": {},
    }

    seed = args.seed
    for kind in kinds:
        cfg = configs[kind]
        t0 = time.perf_counter()
        mh = MinimisationHandler.create(dict(cfg))
        t_create = time.perf_counter() - t0
        llh = mh.get_likelihood("IC86-2011")
        n_box = int(np.sum(llh.select_spatially_coincident_data(exp, mh.sources)))
        first_s, trials, seed = _time_trials(mh, kind, n_by_kind[kind], seed)
        tot = [t["total_s"] for t in trials] or [float("nan")]
        cfg_out = {k: v for k, v in cfg.items() if k != "dataset"}
        cfg_out["dataset"] = "icecube_ps_3_year.get_seasons('IC86-2011')"
        cfg_out["catalogue"] = {
            "path": cat_path,
            "name": args.name,
            "ra_deg": args.ra,
            "dec_deg": args.dec,
            "start_time_mjd": w_lo,
            "end_time_mjd": w_hi,
            "flare_window_mjd_effective": [max(w_lo, t_lo), min(w_hi, t_hi)],
        }
        out["results"][kind] = {
            "what": (
                "time-integrated PS background trial: scramble + fit (ns, gamma)"
                if kind == "ps"
                else "box-flare background trial: scramble + flare search over "
                "the window (ns, gamma, t_start, t_end)"
            ),
            "n_trials": len(trials),
            "n_events_in_spatial_box_unscrambled": n_box,
            "seconds_per_trial_mean": float(np.mean(tot)),
            "seconds_per_trial_median": float(np.median(tot)),
            "seconds_per_trial_min": float(np.min(tot)),
            "seconds_per_trial_max": float(np.max(tot)),
            "cpu_seconds_per_trial_mean": _mean(trials, "cpu_s"),
            "scramble_s_mean": _mean(trials, "scramble_s"),
            "warmup": {"create_handler_s": t_create, "first_trial_s": first_s},
            "config": cfg_out,
            "defaults_in_force": {
                "spatial_box_width_deg": 5.0,
                "gamma_precision": "flarestack (0.025)",
                "pull_name": "no_pull",
                "floor_name": "static_floor",
                "minimiser": "scipy L-BFGS-B (fixed_weights: minimize; "
                "flare: fmin_l_bfgs_b per candidate pair)",
            },
            "trials": trials,
        }
        del mh

    text = json.dumps(out, indent=2, default=str)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
