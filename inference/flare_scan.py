"""All-sky flare scan as an analysis: observed scan, scrambled skies, local and global p-values.

The scan itself (a flare fit per HEALPix pixel) is the kernel
:mod:`bayesnu.flare.scan`; this module assembles what a user asks for:

* :func:`scan_pvalues`: local p-value map from pooled declination-band
  ensembles (dedicated band trials and/or scrambled skies), hottest spots by
  p-value, and global p-values per hemisphere from the scrambled skies'
  smallest local p-values;
* :func:`flare_scan`: the whole ``bayesnu flare scan`` workflow, in named steps
  (load band trials -> observed scan (cached) -> scrambled-sky campaign ->
  p-values and their files -> maps and plots), returning a :class:`FlareScanResult`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from bayesnu.inference.campaign import make_client, run_campaign
from bayesnu.inference.pvalues import (
    BandEnsembles,
    PooledEnsembles,
    global_pvalues,
    plot_global_pvalues,
    pvalue_to_sigma,
)
from bayesnu.inference.results import Result

from bayesnu.atomic import write_json
from bayesnu.data.core import EventSample
from bayesnu.errors import InputError
from bayesnu.flare.scan import (
    ScanResult,
    cached_scan,
    hottest_spots,
    kernel_fingerprint,
    sky_scramble_trials,
    write_scan,
)
from bayesnu.flare.trials import band_trials, dec_band_edges, make_model
from bayesnu.jsonio import to_jsonable

__all__ = ["scan_pvalues", "flare_scan", "FlareScanResult", "band_trial_campaigns",
           "check_bands", "POLE_EXCLUSION_DEG"]

#: pixels within this distance of a pole are not scanned, degrees
POLE_EXCLUSION_DEG = 10.0


def scan_pvalues(res: ScanResult, sky_ts: np.ndarray | None = None,
                 sky_pixels: np.ndarray | None = None, band=None, n_bands: int = 81,
                 min_count: int = 20, tail_fraction: float = 0.05, min_tail: int = 50,
                 progress: bool = False) -> dict[str, Any]:
    """Local p-value map, hottest spots by p-value and global p-values of a scan.

    Parameters
    ----------
    res : ScanResult
        The observed scan; its ``pvalue_map`` and ``hottest`` are replaced.
    sky_ts, sky_pixels : ndarray (K, n_pix), optional
        Scrambled-sky TS maps and pixel indices (:func:`sky_scramble_trials`
        campaign, ``load_campaign(dir).data["ts"]`` / ``["pixels"]``). Their
        pixels must be the observed scan's.
    band : BandEnsembles, optional
        Dedicated band trials (``bayesnu flare trials``).
    n_bands : int
        Declination bands (2 deg wide for 81 over [-80, 80] deg).
    min_count, tail_fraction, min_tail :
        Empirical range and exponential tail (:func:`bayesnu.inference.pvalues.tail_pvalue`).

    Returns
    -------
    dict
        ``hemispheres``: per hemisphere the hottest pixel (ra, dec, ts, ns,
        gamma, t0, sigma_t, p_local, p_local_extrapolated, n_band_trials,
        n_ensemble and, with K >= 2 skies, p_global (with p_global_method and
        p_global_sigma; :func:`bayesnu.inference.pvalues.global_pvalues`),
        p_global_empirical, skies_at_or_below, p_global_k_over_n_cp68, p_global_neff,
        p_global_neff_interval, n_eff, n_eff_interval, neff_ks_pvalue,
        n_scrambled_skies); ``p_scrambled_min``: the leave-one-sky-out
        hemisphere minima of the skies; ``extrapolated_map``; ``ensembles``.
    """
    import healpy as hp

    edges = dec_band_edges(n_bands)
    theta, _ = hp.pix2ang(res.nside, res.pixels)
    dec = 90.0 - np.degrees(theta)
    k_sky = 0
    if sky_ts is not None:
        sky_ts = np.asarray(sky_ts, dtype=np.float64)
        sky_pixels = np.asarray(sky_pixels)
        if sky_ts.ndim != 2 or sky_pixels.shape != sky_ts.shape:
            raise InputError("scrambled-sky TS maps must be (n_skies, n_pixels) with matching "
                             "pixel indices", column="ts")
        if sky_ts.shape[0] and not (np.all(sky_pixels == sky_pixels[0])
                                    and np.array_equal(sky_pixels[0], res.pixels)):
            raise InputError("scrambled skies were scanned on other pixels than the observed "
                             "scan (nside, footprint or pole exclusion differ)", column="pixels")
        k_sky = sky_ts.shape[0]
    if band is None and k_sky == 0:
        raise InputError("local p-values need band trials (--trials) or scrambled skies "
                         "(--scrambles)", column="trials")
    ens = PooledEnsembles.build(edges, band, sky_ts if k_sky else None, dec if k_sky else None,
                                min_count=min_count, tail_fraction=tail_fraction,
                                min_tail=min_tail)
    p, extra, _ = ens.pvalues(res.maps["ts"][res.pixels], dec)
    npix = hp.nside2npix(res.nside)
    pmap = np.full(npix, np.nan)
    pmap[res.pixels] = p
    emap = np.zeros(npix, dtype=bool)
    emap[res.pixels] = extra
    res.pvalue_map = pmap
    res.hottest = hottest_spots(res.nside, res.maps, res.pixels, pmap, emap)
    minima = ens.sky_minima(progress=progress) if k_sky >= 2 else None
    for hemi, h in res.hottest.items():
        if not h:
            continue
        b = int(ens.band_of(np.array(h["dec"])))
        h["n_band_trials"] = ens.n_band_trials(b)
        h["n_ensemble"] = ens.n_ensemble(b)
        h["n_scrambled_skies"] = k_sky
        if not np.isfinite(h["p_local"]):
            continue
        h["p_local_sigma"] = float(pvalue_to_sigma(h["p_local"]))
        if minima is not None and np.any(np.isfinite(minima[hemi])):
            g = global_pvalues(h["p_local"], minima[hemi])
            h.update(g)
            h["p_global_sigma"] = float(pvalue_to_sigma(g["p_global"]))
    return {"hemispheres": res.hottest,
            "p_scrambled_min": ({k: v.tolist() for k, v in minima.items()}
                                if minima is not None else None),
            "n_pixels_without_ensemble": int(np.sum(~np.isfinite(p))),
            "n_pixels_extrapolated": int(np.sum(extra)),
            "extrapolated_map": emap, "ensembles": ens}


@dataclass
class FlareScanResult(Result):
    """Result of :func:`flare_scan` (the JSON of ``bayesnu flare scan --json``).

    Attributes
    ----------
    nside : int
        HEALPix resolution.
    sample : str
        Event sample scanned.
    n_pixels_fitted : int
        Pixels with a flare fit.
    seconds, cpu_seconds : float
        Wall and CPU time of the observed scan, s.
    hottest : dict
        Per hemisphere (``north``/``south``) the hottest pixel: ra, dec (deg),
        ts, ns, gamma, t0 (MJD), sigma_t (days), and with ensembles the local
        and global p-values (see :func:`scan_pvalues`).
    files : dict
        Written files (FITS maps, PNGs, ``hottest.json``, ``pvalues.json``).
    details : dict
        ``observed_scan_reused``, ``scrambles`` (campaign summary),
        ``n_pixels_extrapolated``, ``n_pixels_without_ensemble``,
        ``pvalue_settings``, ``trials_dir``, ``trials_per_band_min``,
        ``p_scrambled_min``, ``note`` (as present); flattened into ``to_dict()``.
    """

    nside: int
    sample: str
    n_pixels_fitted: int
    seconds: float
    cpu_seconds: float
    hottest: dict[str, Any]
    files: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    out_dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"nside": self.nside, "sample": self.sample, "n_pixels_fitted": self.n_pixels_fitted,
             "seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "hottest": self.hottest,
             "files": self.files, **self.details}
        return to_jsonable(d)

    def text(self) -> str:
        """Human-readable summary: the hottest spot of each hemisphere with its p-values."""
        lines = [f"flare scan of {self.sample} (nside {self.nside}, {self.n_pixels_fitted} "
                 f"pixels) in {self.seconds:.0f} s"]
        for hemi, h in self.hottest.items():
            if not h:
                continue
            lines.append(f"  {hemi}: (ra {h['ra']:.2f}, dec {h['dec']:.2f}) TS {h['ts']:.2f} "
                         f"ns {h['ns']:.1f} gamma {h['gamma']:.2f} T0 {h['t0']:.1f} "
                         f"sigma_t {h['sigma_t']:.3g} d")
            if "p_local" in h:
                lines.append(f"    p_local {h['p_local']:.3g}"
                             + (" (tail extrapolated)" if h.get("p_local_extrapolated") else "")
                             + f", band ensemble {h['n_ensemble']} values "
                             f"({h['n_band_trials']} band trials + {h['n_scrambled_skies']} "
                             "skies)")
            if "p_global" in h:
                lo, hi = h["p_global_neff_interval"]
                nlo, nhi = h["n_eff_interval"]
                k, n = h["skies_at_or_below"], h["n_scrambled_skies"]
                klo, khi = h["p_global_k_over_n_cp68"]
                fit = (f"(N_eff {h['n_eff']:.3g} [{nlo:.3g}, {nhi:.3g}], KS p "
                       f"{h['neff_ks_pvalue']:.2f})")
                if h["p_global_method"] == "empirical":
                    lines.append(f"    p_global {h['p_global']:.3g}: {k} of {n} skies at or "
                                 f"below p_local (k/n 68% [{klo:.3g}, {khi:.3g}]); N_eff model "
                                 f"{h['p_global_neff']:.3g} [{lo:.3g}, {hi:.3g}] {fit}")
                else:
                    lines.append(f"    p_global {h['p_global']:.3g} [{lo:.3g}, {hi:.3g}] from the "
                                 f"N_eff model {fit}: none of {n} skies reaches p_local (k/n "
                                 f"below {khi:.3g})")
        if "note" in self.details:
            lines.append(f"  {self.details['note']}")
        lines.append(f"  maps and plots in {self.out_dir}")
        return "\n".join(lines)


def _load_band_trials(trials_dir: str | os.PathLike | None, dec_bands: int
                      ) -> BandEnsembles | None:
    """Dedicated band trials (``bayesnu flare trials``); a bad folder fails before the scan."""
    if not trials_dir:
        return None
    band = BandEnsembles.from_campaigns(trials_dir, dec_band_edges(dec_bands))
    if not any(t.size for t in band.ts):
        raise InputError("no band trials found (expected band_XX campaign folders)",
                         path=trials_dir)
    return band


def _scrambled_skies(sample: EventSample, out_dir: Path, data_name: str, n_skies: int,
                     seed: int, nside: int, pdf: str, seed_threshold: float,
                     sigma_min: float | None, scheduler: str | None, workers: int,
                     progress: bool) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Resumable campaign of scrambled-sky TS maps in ``out_dir/scrambles``."""
    sched = scheduler or ("serial" if workers <= 1 else "local")
    meta = {"content": "scrambled-sky TS maps", "data": data_name, "sample": sample.name,
            "nside": nside, "pdf": pdf, "pole_exclusion_deg": POLE_EXCLUSION_DEG,
            "seed_threshold": seed_threshold, "sigma_min": sigma_min,
            "flare_code": kernel_fingerprint()}
    from bayesnu.flare.prune import check_behaviour

    check_behaviour(out_dir / "scrambles")  # refuses skies of a fit that gives other numbers
    camp = run_campaign(sky_scramble_trials, n_skies, out_dir / "scrambles", seed=seed,
                        chunk_size=1,
                        args=(sample, nside, pdf, POLE_EXCLUSION_DEG, seed_threshold, sigma_min),
                        scheduler=sched, n_workers=workers, progress=progress, meta=meta,
                        desc="scrambled skies")
    summary = {"dir": str(camp.out_dir), "seed": seed,
               **{k: v for k, v in camp.summary().items()
                  if k in ("n_trials", "chunks_run", "chunks_reused", "wall_seconds",
                           "cpu_seconds_in_chunks")}}
    return camp["ts"], camp["pixels"], summary


def _observed_scan(sample: EventSample, out: Path, key: dict[str, Any], scheduler: Any,
                   workers: int, progress: bool) -> tuple[ScanResult, bool, str]:
    """The observed scan, cached in ``out`` (:func:`~bayesnu.flare.scan.cached_scan`): in
    local processes, or on the dask client ``scheduler`` with the sample scattered once.
    Returns the result, whether the cache was reused and where the scan ran."""
    kw = dict(nside=key["nside"], pdf=key["pdf"], seed_threshold=key["seed_threshold"],
              sigma_min=key["sigma_min"], progress=progress)
    if hasattr(scheduler, "submit"):
        addr = getattr(scheduler, "scheduler", None)
        n = max(int(workers or 1), sum(scheduler.nthreads().values()))
        # scattered only if the scan runs (a batch cluster's workers may take long to start)
        res, reused = cached_scan(
            sample, out, key, n_workers=n, executor=scheduler.get_executor(pure=False, retries=2),
            sample_ref=lambda: scheduler.scatter(sample, broadcast=True, hash=False), **kw)
        return res, reused, f"dask scheduler {getattr(addr, 'address', '')}".strip()
    res, reused = cached_scan(sample, out, key, n_workers=workers, **kw)
    return res, reused, ("this process" if workers <= 1 else f"{workers} local processes")


def _write_pvalue_files(res: ScanResult, pv: dict[str, Any], out_dir: Path, nside: int,
                        details: dict[str, Any]) -> dict[str, str]:
    """``pvalues.json`` and, with >= 2 scrambled skies, the global p-value plot."""
    files: dict[str, str] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    if pv["p_scrambled_min"] is not None:
        panels = {h: {"p_min": pv["p_scrambled_min"][h], "p_obs": d["p_local"],
                      "n_eff": d["n_eff"], "n_eff_interval": d["n_eff_interval"]}
                  for h, d in res.hottest.items() if d and "n_eff" in d}
        if panels:
            files["global_png"] = plot_global_pvalues(
                panels, out_dir / "flare_scan_global_p.png",
                title=f"{res.sample}, nside {nside}: hottest p of scrambled skies")
    ext = np.flatnonzero(pv["extrapolated_map"])
    pjs = out_dir / "pvalues.json"
    write_json(pjs, to_jsonable({"nside": nside, "hottest": res.hottest,
                                 "extrapolated_pixels": ext, **details}))
    files["pvalues_json"] = str(pjs)
    return files


def flare_scan(sample: EventSample, out_dir: str | os.PathLike, *, data_name: str = "",
               nside: int = 32, pdf: str = "gauss", seed_threshold: float = 1.0,
               sigma_min: float | None = None, workers: int = 1, scheduler: str | None = None,
               trials_dir: str | os.PathLike | None = None, dec_bands: int = 81,
               scrambles: int = 0, seed: int = 1, min_count: int = 20,
               tail_fraction: float = 0.05, min_tail: int = 50,
               progress: bool = False) -> FlareScanResult:
    """All-sky flare scan with local and global p-values (``bayesnu flare scan``).

    Steps: load the band trials (if any) -> the observed scan (cached in
    ``out_dir``, reused when settings, sample and flare code match) -> the
    scrambled-sky campaign (``scrambles`` skies, resumable) -> local and
    global p-values and their files -> FITS maps and plots.

    Parameters
    ----------
    sample
        Event sample to scan.
    out_dir
        Output folder (maps, plots, JSON, the scan cache and the campaign).
    data_name
        Name of the data set (recorded in caches and manifests).
    nside, pdf, seed_threshold, sigma_min
        Scan settings (:func:`bayesnu.flare.scan.scan_sky`); sigma_min in days.
    workers, scheduler
        Processes of the scan and the campaign. ``scheduler``: ``"serial"`` or ``"local"``
        for the campaign on this machine, or a dask scheduler address or ``Client`` (e.g. a
        batch cluster's), on whose workers the observed scan and the campaign both run.
    trials_dir, dec_bands
        Dedicated band-trial campaigns (``bayesnu flare trials``) and their bands.
    scrambles, seed
        Scrambled skies for pooled ensembles and global p-values; campaign seed.
    min_count, tail_fraction, min_tail
        p-value settings (:func:`scan_pvalues`).
    progress
        Progress bars on stderr.
    """
    out = Path(out_dir)
    band = _load_band_trials(trials_dir, dec_bands)
    key = {"data": data_name, "sample": sample.name, "nside": nside, "pdf": pdf,
           "seed_threshold": seed_threshold, "sigma_min": sigma_min}
    close = None
    sky_ts = sky_pix = None
    try:
        if scheduler is not None and scheduler not in ("serial", "local", "threads"):
            # a dask scheduler address or client (a batch cluster's): the observed scan
            # runs there too, one client for both
            scheduler, close = make_client(scheduler, workers)
        res, reused, where = _observed_scan(sample, out, key, scheduler, workers, progress)
        details: dict[str, Any] = {"observed_scan_reused": reused}
        if not reused:
            details["observed_scan_ran_on"] = where
        if scrambles:
            sky_ts, sky_pix, details["scrambles"] = _scrambled_skies(
                sample, out, data_name, scrambles, seed, nside, pdf, seed_threshold, sigma_min,
                scheduler, workers, progress)
    finally:
        if close is not None:
            close()
    files: dict[str, str] = {}
    if band is not None or scrambles:
        pv = scan_pvalues(res, sky_ts, sky_pix, band=band, n_bands=dec_bands,
                          min_count=min_count, tail_fraction=tail_fraction, min_tail=min_tail,
                          progress=progress)
        details.update(n_pixels_extrapolated=pv["n_pixels_extrapolated"],
                       n_pixels_without_ensemble=pv["n_pixels_without_ensemble"],
                       pvalue_settings={"min_count": min_count, "tail_fraction": tail_fraction,
                                        "min_tail": min_tail, "dec_bands": dec_bands})
        if band is not None:
            details.update(trials_dir=str(trials_dir),
                           trials_per_band_min=int(min((t.size for t in band.ts if t.size),
                                                       default=0)))
        details["p_scrambled_min"] = pv["p_scrambled_min"]
        files.update(_write_pvalue_files(res, pv, out, nside, details))
    files.update(write_scan(res, out))
    if scrambles == 1:
        details["note"] = "global p-values need at least 2 scrambled skies"
    return FlareScanResult(nside=nside, sample=sample.name, n_pixels_fitted=int(res.n_fitted),
                           seconds=res.seconds, cpu_seconds=res.cpu_seconds,
                           hottest=res.hottest, files=files, details=details,
                           out_dir=str(out))


def check_bands(sample: EventSample, bands: list[int], n_bands: int = 81) -> None:
    """Refuse, before any trial runs, a declination band whose trials cannot all be fitted.

    A band's trials are drawn at declinations inside the band and the sample's
    footprint; each needs the signal energy PDF at that declination, tabulated
    per 0.1 deg (:meth:`bayesnu.flare.roi.FlareSampleModel.energy_log_ratio`).
    Every such declination of every band is built here (about 1 ms each), so a
    band where the effective area vanishes fails at once, not after the bands
    before it have run.

    Raises
    ------
    InputError
        Naming the parameter ``bands`` and the first infeasible band.
    """
    edges = dec_band_edges(n_bands)
    fp = sample.footprint
    model = make_model(sample)
    for b in bands:
        lo, hi = max(float(edges[b, 0]), fp.dec_min), min(float(edges[b, 1]), fp.dec_max)
        if lo > hi:
            raise InputError(f"band {b} [{edges[b, 0]:+.1f}, {edges[b, 1]:+.1f}] deg does not "
                             f"overlap sample {sample.name}'s footprint "
                             f"[{fp.dec_min:+.2f}, {fp.dec_max:+.2f}] deg", column="bands")
        # the declinations the trials can reach, on the 0.1-deg grid the energy PDF uses
        for d in np.arange(round(lo, 1), round(hi, 1) + 0.05, 0.1):
            try:
                model.energy_log_ratio(round(float(d), 1))
            except InputError as exc:
                raise InputError(f"band {b} [{lo:+.2f}, {hi:+.2f}] deg of sample "
                                 f"{sample.name} cannot be used: at dec {d:+.1f} deg the "
                                 f"{exc.reason}", column="bands") from None


def band_trial_campaigns(sample: EventSample, out_dir: str | os.PathLike, bands: list[int],
                         n: int, *, data_name: str = "", n_bands: int = 81, seed: int = 1,
                         chunk_size: int = 50, pdf: str = "gauss", seed_threshold: float = 1.0,
                         sigma_min: float | None = None, scheduler: Any = "serial",
                         workers: int | None = None, progress: bool = False
                         ) -> dict[str, dict[str, Any]]:
    """Background flare-TS trials per declination band (``bayesnu flare trials``).

    One resumable campaign per band in ``out_dir/band_XX`` (seed derived from
    ``seed`` and the band), all on one dask client unless ``scheduler`` is
    ``"serial"``.

    Returns
    -------
    dict
        Per band (str): ``dec_lo``, ``dec_hi`` (deg), ``n``, ``median_ts``,
        ``ts_q99`` and the campaign's run summary.

    Raises
    ------
    InputError
        Before any work, for a band that cannot be used (:func:`check_bands`).
    """
    check_bands(sample, bands, n_bands)
    edges = dec_band_edges(n_bands)
    try:  # the folder of the band campaigns (its parent must exist)
        Path(out_dir).mkdir(exist_ok=True)
    except FileNotFoundError:
        raise InputError("parent folder does not exist", path=os.fspath(out_dir)) from None
    close = None
    if scheduler not in ("serial",):
        scheduler, close = make_client(scheduler, workers)
    results: dict[str, dict[str, Any]] = {}
    try:
        for b in bands:
            lo, hi = (float(x) for x in edges[b])
            bseed = int(np.random.SeedSequence([seed, b]).generate_state(1)[0])
            meta = {"data": data_name, "sample": sample.name, "band": b, "dec_lo": lo,
                    "dec_hi": hi, "pdf": pdf, "seed_threshold": seed_threshold,
                    "sigma_min": sigma_min, "master_seed": seed}
            res = run_campaign(band_trials, n, f"{out_dir}/band_{b:02d}", seed=bseed,
                               chunk_size=chunk_size,
                               args=(sample, lo, hi, pdf, seed_threshold, sigma_min),
                               scheduler=scheduler, progress=progress, meta=meta,
                               desc=f"band {b} [{lo:+.0f},{hi:+.0f}]")
            ts = res["ts"]
            results[str(b)] = {"dec_lo": lo, "dec_hi": hi, "n": int(ts.size),
                               "median_ts": float(np.median(ts)),
                               "ts_q99": float(np.quantile(ts, 0.99)),
                               **{k: v for k, v in res.summary().items()
                                  if k in ("chunks_run", "chunks_reused", "wall_seconds",
                                           "trials_per_second", "cpu_seconds_in_chunks")}}
    finally:
        if close is not None:
            close()
    return results
