"""Scrambled-sky campaigns for the global p-values of the all-sky flare scan.

Two kinds of scrambled skies, both RA- and time-scrambled exactly as
``bayesnu flare scan --scrambles`` does (``sky_scramble_trials``):

* calibration skies: full scans, run by the CLI into ``CAMPAIGN/scrambles``
  (``bayesnu flare scan --data D --nside 32 --out CAMPAIGN --scrambles K --seed 1``);
  their TS maps make the band ensembles that turn TS into local p-values;
* pruned skies (this script, ``CAMPAIGN/pruned``, master seed 2 so they are new
  skies): only each hemisphere's smallest local p-value (against the ensembles of
  the first ``--calibration`` calibration skies, frozen in the manifest), computed
  by :func:`bayesnu.flare.prune.pruned_scan`, which fits in full only the pixels
  whose provable TS bound can lower the minimum.

Both are resumable campaigns (:mod:`bayesnu.inference.campaign`); the folder
also records the flare fit's behaviour (:func:`bayesnu.flare.prune.check_behaviour`)
and refuses to continue with a fit that gives other numbers.

Usage::

    python campaigns/pruned_skies.py run --data ic86_2011 --campaign campaigns/ic86_2011 \
        --calibration 3 --skies 50
    python campaigns/pruned_skies.py pvalues --data ic86_2011 --campaign campaigns/ic86_2011 \
        --calibration 3 --json out.json
    python campaigns/pruned_skies.py compare --data ic86_2011 --campaign campaigns/ic86_2011

``run --stop north`` stops each pruned sky's northern hemisphere as soon as one of its pixels
reaches the observed sky's northern local p-value (against the same calibration): that sky then
only says "my minimum is at or below the observed one", which is all the empirical global
p-value needs (not the minimum itself). ``pvalues`` counts such skies for the empirical global
p-value and leaves them out of the n_eff model (which needs the minima), and refuses to
classify them against another observed p-value. This is what makes the simulated cascade
campaign's skies ~2x cheaper: the bound of :class:`bayesnu.flare.prune.SkyBounds` does not
apply to cascades, so every southern pixel is still fitted, but only a few dozen northern
ones (the observed northern spot is unremarkable, local p ~ 0.02).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from bayesnu.inference.campaign import load_campaign, run_campaign
from bayesnu.inference.pvalues import (
    PooledEnsembles,
    empirical_count,
    fit_exp_tail,
    global_pvalue,
    global_pvalues,
    headline_global,
    local_pvalue,
)

from bayesnu.atomic import write_text
from bayesnu.flare.analysis import default_sigma_min, load_data
from bayesnu.flare.prune import check_behaviour, pruned_sky
from bayesnu.flare.scan import NORTH_SOUTH_SPLIT_DEG
from bayesnu.flare.trials import dec_band_edges

N_BANDS = 81
MAX_FITTED = 512  # fitted pixels kept per pruned sky (smallest p first)


def pixel_dec(nside: int, pixels: np.ndarray) -> np.ndarray:
    import healpy as hp

    theta, phi = hp.pix2ang(nside, pixels)
    return 90.0 - np.degrees(theta), np.degrees(phi)


def hemispheres(dec: np.ndarray) -> np.ndarray:
    return np.where(dec > NORTH_SOUTH_SPLIT_DEG, 0, np.where(dec < NORTH_SOUTH_SPLIT_DEG, 1, -1))


def calibration(campaign: Path, k_cal: int) -> tuple[np.ndarray, np.ndarray, int]:
    """TS maps and pixels of the first ``k_cal`` (0: all) calibration skies, and nside."""
    cal = load_campaign(campaign / "scrambles")
    ts, pix = cal.data["ts"], cal.data["pixels"]
    if ts.shape[0] < k_cal:
        raise SystemExit(f"only {ts.shape[0]} calibration skies in {campaign}/scrambles, "
                         f"need {k_cal}")
    return np.asarray(ts[:k_cal or None], dtype=np.float64), pix[0], int(cal.data["nside"][0])


def pvalue_functions(ens: PooledEnsembles, dec: np.ndarray):
    """Local p of (ts, pixel) (the campaign's p-value) and a lower bound of it over every
    TS at or below a given value (min of the empirical and the tail p there)."""
    bands = ens.band_of(dec)
    cache: dict[int, tuple] = {}

    def band(b: int):
        if b not in cache:
            e = np.sort(ens.ensemble(b))
            cache[b] = (e, fit_exp_tail(e, ens.tail_fraction, ens.min_tail) if e.size >= 2
                        else None)
        return cache[b]

    def p_fn(ts, idx):
        return ens.pvalues(np.asarray(ts, dtype=np.float64), dec[np.asarray(idx)])[0]

    def p_low_fn(bound, idx):
        bound = np.asarray(bound, dtype=np.float64)
        out = np.empty(bound.size)
        for j, (bb, i) in enumerate(zip(bound, np.asarray(idx))):
            e, tail = band(int(bands[i]))
            if not np.isfinite(bb) or e.size == 0:
                out[j] = 0.0  # unbounded (or no ensemble): always fit
                continue
            v = float(local_pvalue(bb, e))
            if tail is not None and tail.ok:
                v = min(v, float(tail.sf(bb)))
            out[j] = v
        return out

    return p_fn, p_low_fn


def p_guess_from(ens: PooledEnsembles, q: float = 0.75) -> dict[str, float]:
    """Starting target of :func:`bayesnu.flare.prune.pruned_sky` per hemisphere: the
    ``q`` quantile of the ensemble skies' leave-one-out hemisphere minima (only the
    speed depends on it; the minima are exact whatever it is)."""
    mins = ens.sky_minima()
    out = {}
    for name in ("north", "south"):
        v = np.asarray(mins[name], dtype=np.float64)
        v = v[np.isfinite(v)]
        out[name] = float(np.quantile(v, q)) if v.size else 1e-3
    return out


_MODEL: dict = {}


def pruned_sky_trials(rng: np.random.Generator, n: int, data: str, nside: int,
                      cal_ts: np.ndarray, pixels: np.ndarray, p_init: float,
                      p_stop: dict[str, float] | None = None) -> dict:
    """Campaign chunk: ``n`` scrambled skies, hemisphere minima of the local p-value
    (with ``p_stop``: per hemisphere named there, only whether the minimum is at or below it,
    ``stopped_<hemisphere>``)."""
    from bayesnu.flare.roi import FlareSampleModel

    if data not in _MODEL:
        s = load_data(data).samples[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _MODEL[data] = (s, FlareSampleModel(s))
    sample, model = _MODEL[data]
    dec, ra = pixel_dec(nside, pixels)
    ens = PooledEnsembles.build(dec_band_edges(N_BANDS), None, cal_ts, dec)
    p_fn, p_low_fn = pvalue_functions(ens, dec)
    guess = p_guess_from(ens)
    hemi = hemispheres(dec)
    fp = sample.footprint
    out = {k: np.full(n, np.nan) for k in ("p_min_north", "p_min_south", "cpu_bound", "cpu_fit")}
    out.update(censored_north=np.zeros(n, bool), censored_south=np.zeros(n, bool),
               n_fitted=np.zeros(n, np.int32),
               fitted_pixels=np.full((n, MAX_FITTED), -1, np.int32),
               fitted_ts=np.full((n, MAX_FITTED), np.nan, np.float32),
               bound_quantiles=np.full((n, 5), np.nan, np.float32))
    if p_stop:
        out.update(stopped_north=np.zeros(n, bool), stopped_south=np.zeros(n, bool))
    smin = default_sigma_min(sample)
    for i in range(n):
        # the same random draws, in the same order, as bayesnu.flare.scan.sky_scramble_trials
        ra_s = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), sample.size)
        t_s = sample.uptime.sample(rng, sample.size)
        res = pruned_sky(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=ra_s,
                         time_events=t_s, p_guess=guess, p_stop=p_stop)
        if p_stop:
            out["stopped_north"][i] = res.stopped["north"]
            out["stopped_south"][i] = res.stopped["south"]
        out["p_min_north"][i] = res.p_min["north"]
        out["p_min_south"][i] = res.p_min["south"]
        out["censored_north"][i] = res.censored["north"]
        out["censored_south"][i] = res.censored["south"]
        out["n_fitted"][i] = res.n_fitted
        out["cpu_bound"][i] = res.cpu_seconds["bound"]
        out["cpu_fit"][i] = res.cpu_seconds["fit"]
        fitted = np.flatnonzero(np.isfinite(res.ts))
        pf = p_fn(res.ts[fitted], fitted)
        keep = fitted[np.argsort(pf, kind="stable")][:MAX_FITTED]
        out["fitted_pixels"][i, :keep.size] = keep
        out["fitted_ts"][i, :keep.size] = res.ts[keep]
        proven = np.isfinite(res.bound)
        if np.any(proven):
            out["bound_quantiles"][i] = np.quantile(res.bound[proven], [0.1, 0.5, 0.9, 0.99, 1.0])
    return out


def cmd_run(args: argparse.Namespace) -> dict:
    campaign = Path(args.campaign)
    p_stop = None
    if not args.stop:
        cal_ts, pixels, nside = calibration(campaign, args.calibration)
    else:
        cal_ts, pixels, nside, omaps = observed_and_skies(campaign, args.calibration)
        ens = PooledEnsembles.build(dec_band_edges(N_BANDS), None, cal_ts,
                                    pixel_dec(nside, pixels)[0])
        hot = observed_hottest(ens, omaps, pixels, nside)
        p_stop = {name: hot[name]["p_local"] for name in args.stop}
    out = campaign / "pruned"
    out.mkdir(parents=True, exist_ok=True)
    check_behaviour(out)
    meta = {"content": "pruned scrambled skies: hemisphere minima of the local p-value",
            "data": args.data, "nside": nside, "calibration_skies": args.calibration,
            "calibration_seed": 1, "calibration_ts_sum": float(np.round(cal_ts.sum(), 3)),
            "p_init": args.p_init, "dec_bands": N_BANDS}
    if p_stop:  # (not in the manifests of campaigns run without it, which stay valid)
        meta["stop_at_observed_p"] = p_stop
    t = time.perf_counter()
    camp = run_campaign(pruned_sky_trials, args.skies, out, seed=args.seed, chunk_size=1,
                        args=(args.data, nside, cal_ts, pixels, args.p_init, p_stop),
                        scheduler="serial" if args.workers == 1 else "local",
                        n_workers=args.workers, progress=not args.quiet, meta=meta,
                        desc="pruned skies")
    return {"skies": camp.n_trials, "chunks_run": camp.n_chunks_run,
            "wall_seconds": time.perf_counter() - t}


def observed(campaign: Path) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    with np.load(campaign / "observed_scan.npz", allow_pickle=False) as z:
        return z["pixels"], {f: z[f] for f in ("ts", "ns", "gamma", "t0", "sigma_t")}, \
            int(z["nside"])


def observed_hottest(ens: PooledEnsembles, omaps: dict[str, np.ndarray], pixels: np.ndarray,
                     nside: int) -> dict[str, dict]:
    """Per hemisphere, the observed sky's pixel of smallest local p-value (ties: larger TS)
    against the band ensembles ``ens`` of the calibration skies."""
    dec, ra = pixel_dec(nside, pixels)
    hemi = hemispheres(dec)
    p_obs, extra, _ = ens.pvalues(omaps["ts"], dec)
    out = {}
    for h, name in ((0, "north"), (1, "south")):
        sel = np.flatnonzero((hemi == h) & np.isfinite(p_obs))
        j = sel[np.lexsort((-omaps["ts"][sel], p_obs[sel]))[0]]
        out[name] = {"ra": float(ra[j]), "dec": float(dec[j]), "pixel": int(pixels[j]),
                     **{f: float(omaps[f][j]) for f in omaps}, "p_local": float(p_obs[j]),
                     "p_local_extrapolated": bool(extra[j])}
    return out


def observed_and_skies(campaign: Path, k_cal: int = 0):
    """The first ``k_cal`` (0: all) full scrambled skies' TS maps, their pixels and nside,
    and the observed scan's maps, checked to be on the same pixels."""
    cal_ts, pixels, nside = calibration(campaign, k_cal)
    opix, omaps, onside = observed(campaign)
    if onside != nside or not np.array_equal(opix, pixels):
        raise SystemExit("observed scan and scrambled skies use different pixels")
    return cal_ts, pixels, nside, omaps


def cmd_pvalues(args: argparse.Namespace) -> dict:
    campaign = Path(args.campaign)
    cal_ts, pixels, nside, omaps = observed_and_skies(campaign, args.calibration)
    k_cal = cal_ts.shape[0]
    dec = pixel_dec(nside, pixels)[0]
    ens = PooledEnsembles.build(dec_band_edges(N_BANDS), None, cal_ts, dec)
    hot = observed_hottest(ens, omaps, pixels, nside)
    # calibration skies: leave-one-sky-out minima (as bayesnu flare scan)
    loo = ens.sky_minima() if k_cal >= 2 else {"north": np.empty(0), "south": np.empty(0)}
    pr = None
    stop: dict = {}
    if (campaign / "pruned" / "campaign.json").exists():
        camp = load_campaign(campaign / "pruned")
        pr, stop = camp.data, camp.meta.get("stop_at_observed_p", {})
        if (camp.meta.get("calibration_skies") != k_cal
                or camp.meta.get("calibration_ts_sum") != float(np.round(cal_ts.sum(), 3))):
            raise SystemExit(f"the pruned skies were run against the first "
                             f"{camp.meta.get('calibration_skies')} calibration skies, not these "
                             f"{k_cal}: pass --calibration {camp.meta.get('calibration_skies')} (or move "
                             f"{campaign / 'pruned'} away to use the full skies alone)")
    res: dict = {"data": args.data, "nside": nside, "calibration_skies": int(k_cal),
                 "pruned_skies": int(pr["p_min_north"].size) if pr else 0, "hemispheres": {}}
    for name in ("north", "south"):
        d = dict(hot[name])
        mins = {"calibration_loo": np.asarray(loo[name], dtype=np.float64)}
        if pr:
            cens = pr[f"censored_{name}"].astype(bool)
            if np.any(cens):
                d["pruned_censored"] = int(cens.sum())
            mins["pruned"] = np.asarray(pr[f"p_min_{name}"], dtype=np.float64)
        allm = np.concatenate([v for v in mins.values()])
        allm = allm[np.isfinite(allm)]
        d["n_skies"] = int(allm.size)
        # skies stopped at the observed p-value say only "at or below it": they count for the
        # empirical p-value, and the n_eff model (which needs the minima) leaves them all out
        model_m = allm
        if name in stop:
            if d["p_local"] < stop[name]:
                raise SystemExit(f"the pruned skies stopped their {name}ern hemisphere at p = "
                                 f"{stop[name]:.6g}, above the observed local p {d['p_local']:.6g}"
                                 ": they cannot be classified; rerun them without --stop")
            d["pruned_stopped_at_observed_p"] = int(np.sum(pr[f"stopped_{name}"]))
            model_m = mins["calibration_loo"][np.isfinite(mins["calibration_loo"])]
            d["n_skies_neff_model"] = int(model_m.size)
        if model_m.size >= 2:
            d.update(global_pvalues(d["p_local"], model_m))
        if allm.size >= 1:
            d["p_global_empirical"] = global_pvalue(d["p_local"], allm)
            d.update(empirical_count(d["p_local"], allm))
            d.update(headline_global(d))
        for key, v in mins.items():
            v = v[np.isfinite(v)]
            if v.size >= 2 and not (key == "pruned" and name in stop):
                g = global_pvalues(d["p_local"], v)
                d[f"{key}_only"] = {"n": int(v.size), "p_global_empirical": g["p_global_empirical"],
                                    "p_global_neff": g["p_global_neff"],
                                    "p_global_neff_interval": g["p_global_neff_interval"],
                                    "n_eff": g["n_eff"], "n_eff_interval": g["n_eff_interval"]}
        d["sky_minima"] = {k: [float(x) for x in v] for k, v in mins.items()}
        res["hemispheres"][name] = d
    if pr:
        res["pruned_cost"] = {"n_fitted_mean": float(np.mean(pr["n_fitted"])),
                              "n_pixels": int(pixels.size),
                              "cpu_bound_mean_s": float(np.mean(pr["cpu_bound"])),
                              "cpu_fit_mean_s": float(np.mean(pr["cpu_fit"]))}
    return res


def cmd_compare(args: argparse.Namespace) -> dict:
    """Is the observed sky like its scrambles? The scrambles draw RA uniformly and times
    from the uptime, so the data's RA and livetime fractions should be uniform (KS tests,
    per hemisphere), and the observed TS map should rank among the scrambled ones."""
    from scipy.stats import kstest

    campaign = Path(args.campaign)
    sample = load_data(args.data).samples[0]
    sky_ts, pixels, nside, omaps = observed_and_skies(campaign)
    hemi = hemispheres(pixel_dec(nside, pixels)[0])
    ev_hemi = hemispheres(sample.dec)
    up = sample.uptime
    res: dict = {"data": args.data, "skies": int(sky_ts.shape[0]), "hemispheres": {}}
    for h, name in ((0, "north"), (1, "south")):
        ev = ev_hemi == h
        u = up.cumulative_livetime(sample.time[ev]) / up.livetime_days
        d = {"events": int(ev.sum()),
             "ks_p_ra_uniform": float(kstest(sample.ra[ev] / 360.0, "uniform").pvalue),
             "ks_p_time_uptime": float(kstest(u, "uniform").pvalue)}
        sel = hemi == h
        obs = omaps["ts"][sel]
        null_ts = float(np.min(obs))  # the no-flare TS (the widest flare's duration term)
        maps = np.vstack([obs, sky_ts[:, sel]])  # row 0: the observed sky
        for key, hit in (("frac_ts_above_3", maps > 3.0), ("frac_at_null", maps <= null_ts + 1e-6)):
            o, frac = float(np.mean(hit[0])), np.mean(hit[1:], axis=1)
            d[key] = {"observed": o, "scrambled_min": float(frac.min()),
                      "scrambled_median": float(np.median(frac)), "scrambled_max": float(frac.max()),
                      "observed_rank_from_low": int(np.sum(frac < o)) + 1, "of": int(frac.size) + 1}
        res["hemispheres"][name] = d
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("run", "pvalues", "compare"):
        s = sub.add_parser(name)
        s.add_argument("--data", required=True, help="event data (bundled name or file)")
        s.add_argument("--campaign", required=True, help="folder of 'bayesnu flare scan --out'")
        s.add_argument("--calibration", type=int, default=0,
                       help="number of calibration skies (first ones of CAMPAIGN/scrambles)")
        s.add_argument("--json", default=None, help="write the result here")
        s.add_argument("--quiet", action="store_true")
    r = sub.choices["run"]
    r.add_argument("--skies", type=int, required=True, help="pruned skies wanted in total")
    r.add_argument("--seed", type=int, default=2, help="master seed of the pruned skies")
    r.add_argument("--p-init", type=float, default=1.0,
                   help="start of the running minima (1: every sky exact)")
    r.add_argument("--stop", nargs="+", choices=("north", "south"), default=[],
                   help="stop these hemispheres at the observed sky's local p-value (see above)")
    r.add_argument("--workers", type=int, default=1,
                   help="worker processes of a local dask cluster (1: serial, in this process)")
    args = ap.parse_args(argv)
    if args.cmd == "run" and args.calibration < 1:
        ap.error("run needs --calibration >= 1")
    if args.cmd == "run" and args.workers < 1:
        ap.error("--workers must be >= 1")
    out = {"run": cmd_run, "pvalues": cmd_pvalues, "compare": cmd_compare}[args.cmd](args)
    txt = json.dumps(out, indent=1, default=float)
    if args.json:
        write_text(args.json, txt)
    print(txt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
