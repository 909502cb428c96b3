"""Full versus pruned scrambled sky, side by side on the same skies (CPU time).

Each sky is calibration sky ``K`` of a ``bayesnu flare scan --scrambles`` campaign
(re-drawn with the campaign's generator, so it is the same RA/time scramble whose
full TS map is stored in ``CAMPAIGN/scrambles``). The band ensembles are those of
the campaign's other calibration skies (leave this one out).

* full: CPU per pixel of ``fit_flare`` (with its ROI) on ``--n-full`` random pixels of
  the same sky, times the number of pixels; the refitted TS must equal the stored ones;
  the hemisphere minima of the local p-value come from the stored full TS map;
* pruned (``--method fast``, default): :func:`bayesnu.flare.prune.pruned_sky` on every
  pixel (CPU of the threshold tests and of the fits, pixels fitted, hemisphere minima),
  and the whole-sky check that every pixel it skipped has a stored full TS at or below
  the threshold it was proven below;
* ``--method bound``: the older :func:`bayesnu.flare.prune.pruned_scan` (resolved bound
  per pixel, ~1.5 fits per pixel);
* ``--stop north`` (with ``fast``): the hemisphere stops at the observed sky's local p-value
  (``CAMPAIGN/observed_scan.npz`` against the same ensembles), as ``pruned_skies.py run
  --stop``; checked: it stopped exactly when the full sky's minimum is at or below that p.

Prints one JSON document (one entry per sky, and the totals).

    python benchmarks/bench_pruned_sky.py --data ic86_2011 --campaign campaigns/ic86_2011 \
        --skies 0 1 2 --calibration 18 --n-full 300
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "campaigns"))

from bayesnu.inference.campaign import chunk_rng, load_campaign  # noqa: E402
from bayesnu.inference.pvalues import PooledEnsembles  # noqa: E402
from pruned_skies import (  # noqa: E402
    N_BANDS,
    hemispheres,
    p_guess_from,
    pixel_dec,
    pvalue_functions,
)

from bayesnu.flare.analysis import default_sigma_min, load_data  # noqa: E402
from bayesnu.flare.prune import SkyBounds, pruned_scan, pruned_sky  # noqa: E402
from bayesnu.flare.roi import FlareSampleModel  # noqa: E402
from bayesnu.flare.search import fit_flare  # noqa: E402
from bayesnu.flare.trials import dec_band_edges  # noqa: E402


def one_sky(args, model, sample, smin, ts_all, pixels, dec, ra, hemi, k: int) -> dict:
    rng = chunk_rng(args.seed, k)  # the campaign's draws for this sky
    fp = sample.footprint
    ra_s = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), sample.size)
    t_s = sample.uptime.sample(rng, sample.size)
    full_ts = ts_all[k]
    out: dict = {"sky": k, "n_pixels": int(pixels.size)}
    # full fits on a random subset of the same sky: CPU per pixel, TS as stored
    sub = np.random.default_rng(7 + k).choice(pixels.size, min(args.n_full, pixels.size),
                                              replace=False)
    sub = sub[np.argsort(dec[sub], kind="stable")]
    t = time.process_time()
    refit = np.array([fit_flare(model.data_at(float(ra[j]), float(dec[j]), ra=ra_s, time=t_s),
                                sigma_min=smin).ts for j in sub])
    cpu_full = (time.process_time() - t) / sub.size
    out["full_cpu_per_pixel_ms"] = 1e3 * cpu_full
    out["full_cpu_per_sky_min"] = cpu_full * pixels.size / 60.0
    out["refit_max_abs_diff_vs_stored"] = float(np.max(np.abs(refit - full_ts[sub])))

    others = [j for j in range(ts_all.shape[0]) if j != k]
    ens = PooledEnsembles.build(dec_band_edges(N_BANDS), None, ts_all[others], dec)
    p_fn, p_low_fn = pvalue_functions(ens, dec)
    p_full = p_fn(full_ts, np.arange(pixels.size))
    t = time.process_time()
    if args.method == "fast":
        guess = p_guess_from(ens, args.guess_quantile)
        p_stop = None
        if args.stop:
            with np.load(Path(args.campaign) / "observed_scan.npz") as z:
                p_obs = p_fn(np.asarray(z["ts"], dtype=np.float64), np.arange(pixels.size))
            p_stop = {name: float(np.min(p_obs[hemi == h])) for h, name in
                      ((0, "north"), (1, "south")) if name in args.stop}
            out["p_stop"] = p_stop
        res = pruned_sky(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=ra_s,
                         time_events=t_s, p_guess=guess, p_stop=p_stop)
        skipped = np.isfinite(res.bound)
        out["p_guess"] = guess
        out["pixels_skipped"] = int(skipped.sum())
        out["threshold_tests"] = int(res.cpu_seconds["tests"])
        # whole-sky check: a skipped pixel's full TS is at or below its proven threshold
        viol = skipped & (full_ts > res.bound + 1e-4)  # stored TS are float32
        out["skipped_pixels_above_threshold"] = int(viol.sum())
    else:
        res = pruned_scan(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=ra_s,
                          time_events=t_s)
        out["bound_violations"] = int(np.sum(res.bound < full_ts - 1e-4))
    cpu_pruned = time.process_time() - t
    out.update(pruned_cpu_per_sky_min=cpu_pruned / 60.0,
               pruned_cpu_tests_min=res.cpu_seconds["bound"] / 60.0,
               pruned_cpu_fit_min=res.cpu_seconds["fit"] / 60.0,
               pruned_n_fitted=res.n_fitted,
               speedup=out["full_cpu_per_sky_min"] / (cpu_pruned / 60.0))
    fitted = np.isfinite(res.ts)
    out["pruned_fits_max_abs_diff_vs_stored"] = float(np.max(np.abs(res.ts[fitted]
                                                                    - full_ts[fitted])))
    # the stored full TS are float32: the same pixel must hold the minimum, and its p-value
    # must agree within that rounding (the suite checks exact equality in float64)
    p_pruned = np.full(pixels.size, np.inf)
    p_pruned[fitted] = p_fn(res.ts[fitted], np.flatnonzero(fitted))
    for h, name in ((0, "north"), (1, "south")):
        sel = np.flatnonzero(hemi == h)
        jf = sel[np.argmin(p_full[sel])]
        jp = sel[np.argmin(p_pruned[sel])]
        if res.stopped.get(name):
            # stopped: only "the minimum is at or below p_stop" is claimed
            out[f"p_min_{name}_full"] = float(p_full[jf])
            out[f"p_min_{name}_pruned_stopped_at"] = res.p_min[name]
            out[f"p_min_{name}_equal"] = bool(p_full[jf] <= res.p_min[name] * (1 + 1e-6)
                                              and res.p_min[name] <= p_stop[name])
            out[f"fitted_{name}"] = int(np.sum(fitted[sel]))
            continue
        if p_stop and name in p_stop and not p_full[jf] > p_stop[name]:
            out[f"p_min_{name}_equal"] = False  # should have stopped
            continue
        out[f"p_min_{name}_full"] = float(p_full[jf])
        out[f"p_min_{name}_pruned"] = res.p_min[name]
        out[f"p_min_{name}_pixel_full"] = int(pixels[jf])
        out[f"p_min_{name}_pixel_pruned"] = int(pixels[jp])
        out[f"p_min_{name}_equal"] = bool(
            (p_full[jf] == p_full[jp]) and res.p_min[name] == p_pruned[jp]
            and abs(res.p_min[name] - p_full[jf]) <= 1e-6 * p_full[jf])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--campaign", required=True)
    ap.add_argument("--skies", type=int, nargs="+", default=[0],
                    help="calibration skies to re-run pruned")
    ap.add_argument("--calibration", type=int, required=True,
                    help="calibration skies (first ones); the others give the ensembles")
    ap.add_argument("--seed", type=int, default=1, help="master seed of the campaign")
    ap.add_argument("--n-full", type=int, default=300, help="pixels refitted in full")
    ap.add_argument("--method", choices=("fast", "bound"), default="fast")
    ap.add_argument("--stop", nargs="+", choices=("north", "south"), default=[],
                    help="stop these hemispheres at the observed sky's local p-value")
    ap.add_argument("--guess-quantile", type=float, default=0.75,
                    help="p_guess: this quantile of the other skies' hemisphere minima")
    args = ap.parse_args(argv)

    camp = load_campaign(Path(args.campaign) / "scrambles")
    ts_all = np.asarray(camp.data["ts"][: args.calibration], dtype=np.float64)
    pixels, nside = camp.data["pixels"][0], int(camp.data["nside"][0])
    dec, ra = pixel_dec(nside, pixels)
    hemi = hemispheres(dec)
    sample = load_data(args.data).samples[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FlareSampleModel(sample)
    smin = default_sigma_min(sample)
    # compile and build the per-sample tables outside the timings
    fd0 = model.data_at(float(ra[0]), float(dec[0]))
    fit_flare(fd0, sigma_min=smin)
    SkyBounds(model, smin).below(float(ra[0]), float(dec[0]), 10.0)
    out = {"data": args.data, "method": args.method, "nside": nside, "sigma_min": smin,
           "calibration": args.calibration, "skies": []}
    for k in args.skies:
        out["skies"].append(one_sky(args, model, sample, smin, ts_all, pixels, dec, ra, hemi,
                                    k))
        print(json.dumps(out["skies"][-1]), file=sys.stderr)
    full = sum(s["full_cpu_per_sky_min"] for s in out["skies"])
    pruned = sum(s["pruned_cpu_per_sky_min"] for s in out["skies"])
    out["total"] = {"full_cpu_min": full, "pruned_cpu_min": pruned, "speedup": full / pruned,
                    "all_minima_equal": all(s["p_min_north_equal"] and s["p_min_south_equal"]
                                            for s in out["skies"])}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
