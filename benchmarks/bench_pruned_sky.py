"""Full versus pruned scrambled sky, side by side on the same sky.

The sky is calibration sky ``--sky`` of a ``bayesnu flare scan --scrambles`` campaign
(re-drawn with the campaign's generator, so it is the same RA/time scramble whose
full TS map is stored in ``CAMPAIGN/scrambles``). The band ensembles are those of
the campaign's other calibration skies (leave this one out).

* pruned: :func:`bayesnu.flare.prune.pruned_scan` on every pixel (CPU time of the
  bound pass and of the fits, pixels fitted, hemisphere minima);
* full: CPU per pixel of ``fit_flare`` (with its ROI) on ``--n-full`` random pixels of
  the same sky, times the number of pixels, and the hemisphere minima of the stored
  full TS map; the refitted TS must equal the stored ones.

Prints one JSON document.

    python benchmarks/bench_pruned_sky.py --data ic86_2011 --campaign campaigns/ic86_2011 \
        --sky 0 --calibration 3
    python benchmarks/bench_pruned_sky.py --data cascade_seed1.npz --campaign \
        campaigns/cascade_seed1 --sky 0 --calibration 2 --bound-only 40
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
from pruned_skies import N_BANDS, hemispheres, pixel_dec, pvalue_functions  # noqa: E402

from bayesnu.flare.analysis import default_sigma_min, load_data  # noqa: E402
from bayesnu.flare.prune import flare_ts_bound, pruned_scan  # noqa: E402
from bayesnu.flare.roi import FlareSampleModel  # noqa: E402
from bayesnu.flare.search import fit_flare  # noqa: E402
from bayesnu.flare.trials import dec_band_edges  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--campaign", required=True)
    ap.add_argument("--sky", type=int, default=0, help="calibration sky to re-run pruned")
    ap.add_argument("--calibration", type=int, required=True,
                    help="calibration skies (first ones); the others give the ensembles")
    ap.add_argument("--seed", type=int, default=1, help="master seed of the campaign")
    ap.add_argument("--n-full", type=int, default=300, help="pixels refitted in full")
    ap.add_argument("--bound-only", type=int, default=0,
                    help="only time the bound on this many pixels (no pruned sky)")
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
    rng = chunk_rng(args.seed, args.sky)  # the campaign's draws for this sky
    fp = sample.footprint
    ra_s = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), sample.size)
    t_s = sample.uptime.sample(rng, sample.size)
    full_ts = ts_all[args.sky]
    out: dict = {"data": args.data, "sky": args.sky, "n_pixels": int(pixels.size),
                 "sigma_min": smin}

    # full fits on a random subset of the same sky: CPU per pixel, TS as stored
    sub = np.random.default_rng(7).choice(pixels.size, min(args.n_full, pixels.size),
                                          replace=False)
    sub = sub[np.argsort(dec[sub], kind="stable")]
    fd0 = model.data_at(float(ra[sub[0]]), float(dec[sub[0]]), ra=ra_s, time=t_s)
    fit_flare(fd0, sigma_min=smin)
    flare_ts_bound(fd0, smin)  # compile outside the timings
    t = time.process_time()
    refit = np.array([fit_flare(model.data_at(float(ra[k]), float(dec[k]), ra=ra_s, time=t_s),
                                sigma_min=smin).ts for k in sub])
    cpu_full = (time.process_time() - t) / sub.size
    out["full_cpu_per_pixel_s"] = cpu_full
    out["full_cpu_per_sky_min"] = cpu_full * pixels.size / 60.0
    out["refit_max_abs_diff_vs_stored"] = float(np.max(np.abs(refit - full_ts[sub])))
    if args.bound_only:
        bsub = sub[: args.bound_only]
        t = time.process_time()
        b = np.array([flare_ts_bound(model.data_at(float(ra[k]), float(dec[k]), ra=ra_s,
                                                   time=t_s), smin) for k in bsub])
        out["bound_cpu_per_pixel_s"] = (time.process_time() - t) / bsub.size
        out["bound_finite_fraction"] = float(np.mean(np.isfinite(b)))
        out["bound_minus_ts_median"] = float(np.nanmedian(np.where(np.isfinite(b),
                                                                   b - full_ts[bsub], np.nan)))
        out["violations"] = int(np.sum(b < full_ts[bsub] - 1e-4))
        print(json.dumps(out, indent=1))
        return 0

    others = [k for k in range(args.calibration) if k != args.sky]
    ens = PooledEnsembles.build(dec_band_edges(N_BANDS), None, ts_all[others], dec)
    p_fn, p_low_fn = pvalue_functions(ens, dec)
    p_full = p_fn(full_ts, np.arange(pixels.size))
    t = time.process_time()
    res = pruned_scan(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=ra_s,
                      time_events=t_s)
    cpu_pruned = time.process_time() - t
    out.update(pruned_cpu_per_sky_min=cpu_pruned / 60.0,
               pruned_cpu_bound_min=res.cpu_seconds["bound"] / 60.0,
               pruned_cpu_fit_min=res.cpu_seconds["fit"] / 60.0,
               pruned_n_fitted=res.n_fitted,
               speedup=out["full_cpu_per_sky_min"] / (cpu_pruned / 60.0),
               bound_violations=int(np.sum(res.bound < full_ts - 1e-4)))
    fitted = np.isfinite(res.ts)
    out["pruned_fits_max_abs_diff_vs_stored"] = float(np.max(np.abs(res.ts[fitted]
                                                                    - full_ts[fitted])))
    for h, name in ((0, "north"), (1, "south")):
        out[f"p_min_{name}_full"] = float(np.nanmin(p_full[hemi == h]))
        out[f"p_min_{name}_pruned"] = res.p_min[name]
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
