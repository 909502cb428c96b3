"""``bayesnu flare ...``: time-dependent (flare) point-source search of paper 000.

Subcommands: ``fit`` (one position), ``scan`` (HEALPix all-sky scan),
``trials`` (background TS ensembles per declination band, resumable, dask),
``sensitivity`` (sensitivity / discovery potential vs sigma_t), ``sample``
(posterior of the Bayesian flare model) and ``evidence`` (Bayes factors).
"""

from __future__ import annotations

import argparse
from typing import Any

from bayesnu.cli._common import add_common, progress_enabled
from bayesnu.errors import InputError


def _add_position(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="bundled data set name or path")
    p.add_argument("--source", help="source name (e.g. 'TXS 0506+056')")
    p.add_argument("--ra", type=float, help="right ascension, deg")
    p.add_argument("--dec", type=float, help="declination, deg")
    p.add_argument("--sample", action="append", default=None,
                   help="sample(s) to fit (default: each sample, best reported)")


def _add_fit_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pdf", choices=("gauss", "box"), default="gauss", help="time PDF")
    p.add_argument("--seed-threshold", type=float, default=1.0,
                   help="spatial x energy S/B above which events seed flares (paper 000: 1)")
    p.add_argument("--sigma-min", type=float, default=None,
                   help="lower bound of sigma_t, days (default 1e-11, 0.5 for whole-day times)")


def _fit_dict(fit, sample: str | None = None) -> dict[str, Any]:
    d = fit.as_dict()
    if sample is not None:
        d["sample"] = sample
    return d


def _cmd_fit(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.flare.analysis import fit_dataset, load_data, resolve_position

    ds = load_data(args.data)
    ra, dec, label = resolve_position(args.source, args.ra, args.dec, ds)
    res = fit_dataset(ds, ra, dec, pdf=args.pdf, samples=args.sample,
                      seed_threshold=args.seed_threshold, sigma_min=args.sigma_min)
    best = res["best"]
    out = _fit_dict(best, res["sample"])
    out.update(source=label, ra=ra, dec=dec, data=ds.name,
               per_sample={k: _fit_dict(v) for k, v in res["fits"].items()})
    if args.pdf == "box":
        when = f"box MJD {best.t_start:.2f} - {best.t_stop:.2f}"
    else:
        when = f"T0 = MJD {best.t0:.2f}, sigma_t = {best.sigma_t:.3g} d"
    lines = [f"flare fit ({args.pdf}) at {label} on {ds.name}, best sample {res['sample']}:",
             f"  {when}",
             f"  ns = {best.ns:.2f}, gamma = {best.gamma:.2f}, TS = {best.ts:.2f}"]
    for k, v in res["fits"].items():
        lines.append(f"  {k:>10s}: TS {v.ts:7.2f}  ns {v.ns:6.2f}")
    out["_text"] = "\n".join(lines)
    return out


def _cmd_scan(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.flare.analysis import load_data
    from bayesnu.flare.scan import scan_sky, write_scan

    ds = load_data(args.data)
    if len(ds.samples) != 1 and not args.sample:
        raise InputError(f"{ds.name} has {len(ds.samples)} samples; choose one with --sample",
                         column="sample")
    sample = ds[args.sample[0]] if args.sample else ds.samples[0]
    res = scan_sky(sample, nside=args.nside, pdf=args.pdf, seed_threshold=args.seed_threshold,
                   sigma_min=args.sigma_min, progress=progress_enabled(args),
                   n_workers=args.workers)
    files = write_scan(res, args.out)
    out = {"nside": args.nside, "n_pixels_fitted": int(res.n_fitted),
           "seconds": res.seconds, "hottest": res.hottest, "files": files}
    lines = [f"flare scan of {sample.name} (nside {args.nside}, {res.n_fitted} pixels) "
             f"in {res.seconds:.0f} s"]
    for hemi, h in res.hottest.items():
        if h:
            lines.append(f"  {hemi}: (ra {h['ra']:.2f}, dec {h['dec']:.2f}) TS {h['ts']:.2f} "
                         f"ns {h['ns']:.1f} T0 {h['t0']:.1f} sigma_t {h['sigma_t']:.3g} d")
    lines.append(f"  maps and plot in {args.out}")
    out["_text"] = "\n".join(lines)
    return out


def _band_selection(spec: str | None, n_bands: int) -> list[int]:
    if not spec:
        return list(range(n_bands))
    out: list[int] = []
    for part in spec.split(","):
        try:
            if ":" in part:
                a, b = part.split(":")
                out.extend(range(int(a), int(b)))
            else:
                out.append(int(part))
        except ValueError as exc:
            raise InputError(f"bad band selection {spec!r} (use e.g. 40 or 30:50,60)",
                             column="bands") from exc
    bad = [b for b in out if not 0 <= b < n_bands]
    if bad:
        raise InputError(f"band {bad[0]} outside 0..{n_bands - 1}", column="bands")
    return out


def _one_sample(ds, names):
    if names:
        return ds[names[0]]
    if len(ds.samples) != 1:
        raise InputError(f"{ds.name} has {len(ds.samples)} samples; choose one with --sample",
                         column="sample")
    return ds.samples[0]


def _cmd_trials(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from bayesnu.flare.analysis import load_data
    from bayesnu.flare.trials import band_trials, dec_band_edges
    from bayesnu.inference.campaign import run_campaign

    ds = load_data(args.data)
    sample = _one_sample(ds, args.sample)
    edges = dec_band_edges(args.dec_bands)
    bands = _band_selection(args.bands, edges.shape[0])
    fp = sample.footprint
    bands = [b for b in bands if edges[b, 1] > fp.dec_min and edges[b, 0] < fp.dec_max]
    if not bands:
        raise InputError("no declination band overlaps the sample's footprint", column="bands")
    seed = 1 if args.seed is None else int(args.seed)
    client = cluster = None
    scheduler: Any = args.scheduler
    if scheduler not in ("serial",):
        from bayesnu.inference.campaign import _client

        client, cluster = _client(scheduler, args.workers)
        scheduler = client
    results = {}
    try:
        for b in bands:
            lo, hi = (float(x) for x in edges[b])
            bseed = int(np.random.SeedSequence([seed, b]).generate_state(1)[0])
            meta = {"data": ds.name, "sample": sample.name, "band": b, "dec_lo": lo, "dec_hi": hi,
                    "pdf": args.pdf, "seed_threshold": args.seed_threshold,
                    "sigma_min": args.sigma_min, "master_seed": seed}
            res = run_campaign(band_trials, args.n, f"{args.out}/band_{b:02d}", seed=bseed,
                               chunk_size=args.chunk_size,
                               args=(sample, lo, hi, args.pdf, args.seed_threshold,
                                     args.sigma_min),
                               scheduler=scheduler, progress=progress_enabled(args),
                               meta=meta, desc=f"band {b} [{lo:+.0f},{hi:+.0f}]")
            ts = res["ts"]
            results[str(b)] = {"dec_lo": lo, "dec_hi": hi, "n": int(ts.size),
                               "median_ts": float(np.median(ts)),
                               "ts_q99": float(np.quantile(ts, 0.99)),
                               **{k: v for k, v in res.summary().items()
                                  if k in ("chunks_run", "chunks_reused", "wall_seconds",
                                           "trials_per_second", "cpu_seconds_in_chunks")}}
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    text = [f"flare background trials of {sample.name} into {args.out} (seed {seed}):"]
    for b, r in results.items():
        tps = r["trials_per_second"]
        text.append(f"  band {b:>2s} [{r['dec_lo']:+6.1f},{r['dec_hi']:+6.1f}] n={r['n']} "
                    f"median TS {r['median_ts']:.2f}"
                    + (f"  {tps:.2f} trials/s" if tps else "  (resumed, nothing to run)"))
    return {"out": args.out, "seed": seed, "sample": sample.name, "bands": results,
            "_text": "\n".join(text)}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("flare", help="time-dependent (flare) search, paper 000")
    sub = p.add_subparsers(dest="flare_command", metavar="SUBCOMMAND")

    f = sub.add_parser("fit", help="flare fit at one position")
    _add_position(f)
    _add_fit_opts(f)
    add_common(f)
    f.set_defaults(handler=_cmd_fit)

    s = sub.add_parser("scan", help="HEALPix all-sky flare scan")
    s.add_argument("--data", required=True)
    s.add_argument("--sample", action="append", default=None)
    s.add_argument("--nside", type=int, default=32)
    s.add_argument("--out", required=True, help="output folder (FITS maps, PNG, JSON)")
    s.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    _add_fit_opts(s)
    add_common(s)
    s.set_defaults(handler=_cmd_scan)

    t = sub.add_parser("trials", help="background TS ensembles per declination band")
    t.add_argument("--data", required=True)
    t.add_argument("--sample", action="append", default=None)
    t.add_argument("--out", required=True, help="campaign folder (one sub-folder per band)")
    t.add_argument("--n", type=int, default=1000, help="trials per band")
    t.add_argument("--dec-bands", type=int, default=81, help="number of 2-deg bands over [-80, 80]")
    t.add_argument("--bands", default=None, help="subset of band indices, e.g. 40 or 30:50")
    t.add_argument("--chunk-size", type=int, default=50, help="trials per chunk file")
    t.add_argument("--scheduler", default="local",
                   help="'local' (LocalCluster on all cores), 'serial', or a dask scheduler address")
    t.add_argument("--workers", type=int, default=None, help="local cluster workers (default: cores)")
    _add_fit_opts(t)
    add_common(t)
    t.set_defaults(handler=_cmd_trials)
