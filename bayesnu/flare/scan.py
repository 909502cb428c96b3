"""HEALPix all-sky flare scan (IceCube 2023 cascade flare search).

Every pixel centre of a HEALPix map (nside 32 by default: 12,288 pixels) with
``|dec| <= 90 - pole_exclusion`` gets a flare fit
(:func:`bayesnu.flare.search.fit_flare`); the Northern sky (dec > -5 deg) and
the Southern sky (dec < -5 deg) are reported separately, with the hottest
pixel (largest TS, or smallest local p-value when background ensembles are
given) of each.

The work is split into chunks of pixels processed by a pool of worker processes
(``n_workers``) or by any ``concurrent.futures`` executor (``executor``, e.g. a
dask client's, so that the observed scan runs on a cluster like the scrambled
skies); each chunk builds the position-independent parts of the likelihood
(:class:`~bayesnu.flare.roi.FlareSampleModel`) once.
Outputs (:func:`write_scan`): a FITS file with the TS, ns, gamma, T0 and
sigma_t maps (healpy), a Mollweide PNG of the TS map, and ``hottest.json``.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.atomic import atomic_path, save_npz, savefig, write_text
from bayesnu.data.core import EventSample
from bayesnu.errors import InputError

__all__ = ["ScanResult", "scan_pixels", "scan_sky", "write_scan", "hottest_spots",
           "sky_scramble_trials", "cached_scan", "kernel_fingerprint",
           "sample_fingerprint", "NORTH_SOUTH_SPLIT_DEG"]

NORTH_SOUTH_SPLIT_DEG = -5.0
FIELDS = ("ts", "ns", "gamma", "t0", "sigma_t")


def pixel_grid(nside: int, pole_exclusion_deg: float = 10.0) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """Pixel indices, RA and dec (deg) of the scanned pixels (poles excluded)."""
    import healpy as hp

    if nside < 1 or (nside & (nside - 1)):
        raise InputError(f"nside must be a power of 2, got {nside}", column="nside")
    pix = np.arange(hp.nside2npix(nside))
    theta, phi = hp.pix2ang(nside, pix)
    dec = 90.0 - np.degrees(theta)
    ra = np.degrees(phi)
    keep = np.abs(dec) <= 90.0 - pole_exclusion_deg
    return pix[keep], ra[keep], dec[keep]


def scan_pixels(sample: EventSample, ra: np.ndarray, dec: np.ndarray, pdf: str = "gauss",
                seed_threshold: float = 1.0, sigma_min: float | None = None,
                ra_events: np.ndarray | None = None, time_events: np.ndarray | None = None,
                model=None, **kwargs: Any) -> np.ndarray:
    """Flare fits at many positions.

    Returns an array (n, 6): ts, ns, gamma, t0, sigma_t and the mean CPU
    seconds per position of this call.

    ``ra_events`` / ``time_events`` replace the sample's RA / times (scrambled skies).
    """
    from bayesnu.flare.analysis import default_sigma_min
    from bayesnu.flare.roi import sample_model
    from bayesnu.flare.search import fit_flare

    if model is None:
        model = sample_model(sample)
    smin = default_sigma_min(sample) if sigma_min is None else sigma_min
    out = np.full((len(ra), len(FIELDS) + 1), np.nan)
    t_cpu = time.process_time()
    # visit pixels in declination order so the energy-table cache is reused
    for k in np.argsort(dec, kind="stable"):
        fd = model.data_at(float(ra[k]), float(dec[k]), ra=ra_events, time=time_events)
        f = fit_flare(fd, pdf=pdf, seed_threshold=seed_threshold, sigma_min=smin, **kwargs)
        out[k, :-1] = (f.ts, f.ns, f.gamma, f.t0, f.sigma_t)
    out[:, -1] = (time.process_time() - t_cpu) / max(len(ra), 1)
    return out


def _scan_chunk(args):
    sample, ra, dec, kw = args
    return scan_pixels(sample, ra, dec, **kw)


@dataclass
class ScanResult:
    """All-sky scan maps (NaN where not fitted) and the hottest spots per hemisphere."""

    nside: int
    maps: dict[str, np.ndarray]
    pixels: np.ndarray
    seconds: float
    sample: str
    pdf: str
    hottest: dict[str, dict[str, float] | None] = field(default_factory=dict)
    pvalue_map: np.ndarray | None = None
    cpu_seconds: float = 0.0

    @property
    def n_fitted(self) -> int:
        return int(self.pixels.size)


def hottest_spots(nside: int, maps: dict[str, np.ndarray], pixels: np.ndarray,
                  pvalue_map: np.ndarray | None = None,
                  extrapolated_map: np.ndarray | None = None
                  ) -> dict[str, dict[str, float] | None]:
    """Hottest pixel of the North (dec > -5 deg) and South: largest TS or smallest p-value.

    With ``pvalue_map`` (full HEALPix map of local p-values) the pixel with the
    smallest finite p-value wins (ties broken by the largest TS) and its
    ``p_local`` is reported; ``extrapolated_map`` (boolean map) adds
    ``p_local_extrapolated``.
    """
    import healpy as hp

    theta, phi = hp.pix2ang(nside, pixels)
    dec = 90.0 - np.degrees(theta)
    out: dict[str, dict[str, float] | None] = {}
    for hemi, sel in (("north", dec > NORTH_SOUTH_SPLIT_DEG), ("south", dec < NORTH_SOUTH_SPLIT_DEG)):
        px = pixels[sel]
        if px.size == 0:
            out[hemi] = None
            continue
        ts = np.where(np.isfinite(maps["ts"][px]), maps["ts"][px], -np.inf)
        if pvalue_map is not None:
            # smallest p-value; ties (empirical p-values saturate) broken by the largest TS
            key = np.where(np.isfinite(pvalue_map[px]), pvalue_map[px], np.inf)
            j = int(np.lexsort((-ts, key))[0])
        else:
            j = int(np.argmax(ts))
        p = int(px[j])
        h = {"pixel": p, "ra": float(np.degrees(phi[sel][j])), "dec": float(dec[sel][j])}
        h.update({f: float(maps[f][p]) for f in FIELDS})
        if pvalue_map is not None:
            h["p_local"] = float(pvalue_map[p])
            if extrapolated_map is not None:
                h["p_local_extrapolated"] = bool(extrapolated_map[p])
        out[hemi] = h
    return out


def scan_sky(sample: EventSample, nside: int = 32, pdf: str = "gauss",
             seed_threshold: float = 1.0, sigma_min: float | None = None,
             pole_exclusion_deg: float = 10.0, n_workers: int = 1, progress: bool = False,
             ra_events: np.ndarray | None = None, time_events: np.ndarray | None = None,
             chunks_per_worker: int = 8, executor: Any = None, sample_ref: Any = None,
             **kwargs: Any) -> ScanResult:
    """Flare fit in every HEALPix pixel outside the pole caps.

    Parameters
    ----------
    sample : EventSample
        One sample (season or simulated cascade set) with uptime and A_eff.
    nside : int
        HEALPix resolution (power of 2).
    n_workers : int
        Worker processes (1: in this process); with ``executor``, the workers it
        reaches (the pixels are split into ``n_workers * chunks_per_worker`` chunks).
    ra_events, time_events : ndarray, optional
        Scrambled RA / times replacing the sample's (for global p-value trials).
    executor : concurrent.futures.Executor, optional
        Runs the chunks instead of a local process pool (e.g.
        ``distributed.Client.get_executor()``); the maps do not depend on where the
        chunks run.
    sample_ref : optional
        What the chunks receive in place of ``sample`` through ``executor`` (e.g. a
        dask future of the sample scattered once to the workers), or a function
        returning it, called only when the chunks are submitted; default ``sample``.
    """
    import healpy as hp

    t_start = time.perf_counter()
    pix, ra, dec = pixel_grid(nside, pole_exclusion_deg)
    fp = sample.footprint
    inside = ((dec >= fp.dec_min) & (dec <= fp.dec_max) & (ra >= fp.ra_min) & (ra <= fp.ra_max))
    if not np.any(inside):
        raise InputError(f"no nside-{nside} pixel centre inside the footprint of {sample.name}",
                         column="nside")
    pix, ra, dec = pix[inside], ra[inside], dec[inside]
    kw = dict(pdf=pdf, seed_threshold=seed_threshold, sigma_min=sigma_min,
              ra_events=ra_events, time_events=time_events, **kwargs)
    n_chunks = max(1, n_workers * chunks_per_worker)
    # interleave declination rings across chunks for balanced work
    order = np.argsort(dec, kind="stable")
    parts = [order[i::n_chunks] for i in range(n_chunks)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=pix.size, desc="flare scan", unit="pix", dynamic_ncols=True)
    res = np.full((pix.size, len(FIELDS) + 1), np.nan)
    if n_workers <= 1 and executor is None:
        from bayesnu.flare.roi import sample_model

        model = sample_model(sample)
        for part in parts:
            res[part] = scan_pixels(sample, ra[part], dec[part], model=model, **kw)
            if bar is not None:
                bar.update(part.size)
    else:
        from concurrent.futures import as_completed

        ref = sample
        if executor is not None and sample_ref is not None:
            ref = sample_ref() if callable(sample_ref) else sample_ref
        with (ProcessPoolExecutor(max_workers=n_workers) if executor is None
              else nullcontext(executor)) as ex:
            futs = {ex.submit(_scan_chunk, (ref, ra[p], dec[p], kw)): p for p in parts}
            for fu in as_completed(futs):
                p = futs[fu]
                res[p] = fu.result()
                if bar is not None:
                    bar.update(p.size)
    if bar is not None:
        bar.close()
    npix = hp.nside2npix(nside)
    maps = {}
    for j, f in enumerate(FIELDS):
        m = np.full(npix, np.nan)
        m[pix] = res[:, j]
        maps[f] = m
    out = ScanResult(nside=nside, maps=maps, pixels=pix, seconds=time.perf_counter() - t_start,
                     sample=sample.name, pdf=pdf, cpu_seconds=float(np.nansum(res[:, -1])))
    out.hottest = hottest_spots(nside, maps, pix)
    return out


def _mollweide(m: np.ndarray, path: Path, title: str, unit: str, hottest: dict,
               cmap: str = "viridis") -> None:
    import healpy as hp
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hp.mollview(np.where(np.isfinite(m), m, hp.UNSEEN), title=title, unit=unit, cmap=cmap,
                xsize=1200)
    fig = plt.gcf()
    hp.graticule(dpar=30, dmer=60, alpha=0.4)
    for hemi, h in hottest.items():
        if h:
            hp.projscatter(h["ra"], h["dec"], lonlat=True, marker="x", s=80,
                           color="red" if hemi == "north" else "orange")
    savefig(fig, path, dpi=110)
    plt.close(fig)


def write_scan(res: ScanResult, out_dir: str | os.PathLike, title: str | None = None
               ) -> dict[str, str]:
    """Write FITS maps, Mollweide PNGs of the TS (and local p-value) map and ``hottest.json``.

    Every file is written under a temporary name and renamed when complete.
    """
    import healpy as hp

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fits = out / "flare_scan_maps.fits"
    cols = [np.where(np.isfinite(res.maps[f]), res.maps[f], hp.UNSEEN) for f in FIELDS]
    names = list(FIELDS)
    if res.pvalue_map is not None:
        cols.append(np.where(np.isfinite(res.pvalue_map), res.pvalue_map, hp.UNSEEN))
        names.append("p_local")
    with atomic_path(fits) as tmp:
        hp.write_map(str(tmp), cols, column_names=[n.upper() for n in names], overwrite=True,
                     dtype=np.float64,
                     extra_header=[("SAMPLE", res.sample), ("FLAREPDF", res.pdf)])
    files = {"fits": str(fits)}
    png = out / "flare_scan_ts.png"
    _mollweide(res.maps["ts"], png, title or f"flare TS, {res.sample} (nside {res.nside})",
               "TS", res.hottest)
    files["png"] = str(png)
    if res.pvalue_map is not None:
        ppng = out / "flare_scan_pvalue.png"
        with np.errstate(divide="ignore", invalid="ignore"):
            mlp = -np.log10(res.pvalue_map)
        _mollweide(mlp, ppng, f"local p-value, {res.sample} (nside {res.nside})",
                   "-log10 p_local", res.hottest, cmap="magma")
        files["pvalue_png"] = str(ppng)
    js = out / "hottest.json"
    write_text(js, json.dumps({"nside": res.nside, "sample": res.sample, "pdf": res.pdf,
                               "seconds": res.seconds, "hottest": res.hottest}, indent=2))
    files["json"] = str(js)
    return files


def sky_scramble_trials(rng: np.random.Generator, n: int, sample: EventSample, nside: int,
                        pdf: str = "gauss", pole_exclusion_deg: float = 10.0,
                        seed_threshold: float = 1.0, sigma_min: float | None = None
                        ) -> dict[str, np.ndarray]:
    """Campaign chunk: ``n`` RA- and time-scrambled full-sky scans, full TS maps kept.

    Every event's RA is drawn uniformly in the footprint and its time from the
    uptime, then :func:`scan_sky` fits every pixel (serially, in this process).

    Returns
    -------
    dict
        ``ts`` (n, n_pix) float32: TS of the scanned pixels of each sky;
        ``pixels`` (n, n_pix) int32: their HEALPix (RING) indices (the same in
        every row); ``nside`` (n,); ``ts_north`` / ``ts_south`` (n,): the
        hemisphere's largest TS. Pooled band ensembles and global p-values are
        built from these afterwards (:func:`bayesnu.inference.flare_scan.scan_pvalues`).
    """
    fp = sample.footprint
    out: dict[str, np.ndarray] = {"nside": np.full(n, nside, dtype=np.int32),
                                  "ts_north": np.full(n, np.nan), "ts_south": np.full(n, np.nan)}
    rows_ts, rows_pix = [], []
    for i in range(n):
        ra_s = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), sample.size)
        t_s = sample.uptime.sample(rng, sample.size)
        res = scan_sky(sample, nside=nside, pdf=pdf, pole_exclusion_deg=pole_exclusion_deg,
                       seed_threshold=seed_threshold, sigma_min=sigma_min,
                       ra_events=ra_s, time_events=t_s)
        rows_ts.append(res.maps["ts"][res.pixels].astype(np.float32))
        rows_pix.append(res.pixels.astype(np.int32))
        for hemi, h in res.hottest.items():
            if h is not None:
                out[f"ts_{hemi}"][i] = h["ts"]
    out["ts"] = np.stack(rows_ts)
    out["pixels"] = np.stack(rows_pix)
    return out


#: Version of the flare-fit numerics. It keys cached scans and scrambled-sky
#: campaigns (their manifests record it), so refactors that keep every fit's
#: numbers must keep it, and any change of a fit's numbers must change it. Its
#: value is the hash of the flare-fit modules (search, _refine, _kernels, roi,
#: temporal) at commit 5d32ad4, the code the running campaigns were started
#: with; tests/bayesnu/test_flare_golden.py pins the TXS fits of this version
#: to 1e-9 and fails when the numbers move.
FLARE_CODE_VERSION = "31842779e22ce80b"


def kernel_fingerprint() -> str:
    """Version of the flare-fit numerics (:data:`FLARE_CODE_VERSION`): cached scans and
    scrambled skies computed by code with other numbers are not reused."""
    return FLARE_CODE_VERSION


def sample_fingerprint(sample: EventSample) -> str:
    """Short hash of a sample's event columns and uptime."""
    import hashlib

    h = hashlib.sha256()
    for a in (sample.ra, sample.dec, sample.time, sample.log10e, sample.angerr):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    if sample.uptime is not None:
        h.update(np.ascontiguousarray(sample.uptime.intervals, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def cached_scan(sample: EventSample, out_dir: str | os.PathLike, key: dict[str, Any],
                **scan_kwargs: Any) -> tuple[ScanResult, bool]:
    """:func:`scan_sky` with its maps kept in ``out_dir/observed_scan.npz``.

    The cache is reused only when ``key`` (the scan settings), the sample's
    fingerprint and the flare-code fingerprint all match; otherwise the scan
    runs and the cache is (atomically) replaced. Returns ``(result, reused)``.
    """
    import healpy as hp

    out = Path(out_dir)
    path = out / "observed_scan.npz"
    full = json.dumps({**key, "sample_hash": sample_fingerprint(sample),
                       "code": kernel_fingerprint()}, sort_keys=True, default=str)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["key"]) == full:
                    nside = int(z["nside"])
                    maps = {f: np.full(hp.nside2npix(nside), np.nan) for f in FIELDS}
                    pix = z["pixels"]
                    for f in FIELDS:
                        maps[f][pix] = z[f]
                    res = ScanResult(nside=nside, maps=maps, pixels=pix,
                                     seconds=float(z["seconds"]), sample=str(z["sample"]),
                                     pdf=str(z["pdf"]), cpu_seconds=float(z["cpu_seconds"]))
                    res.hottest = hottest_spots(nside, maps, pix)
                    return res, True
        except (OSError, KeyError, ValueError):
            pass  # unreadable or old cache: rescan
    res = scan_sky(sample, **scan_kwargs)
    out.mkdir(parents=True, exist_ok=True)
    save_npz(path, key=np.array(full), nside=res.nside, pixels=res.pixels,
             seconds=res.seconds, cpu_seconds=res.cpu_seconds, sample=np.array(res.sample),
             pdf=np.array(res.pdf), **{f: res.maps[f][res.pixels] for f in FIELDS})
    return res, False
