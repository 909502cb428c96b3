"""HEALPix all-sky flare scan (paper 000).

Every pixel centre of a HEALPix map (nside 32 by default: 12,288 pixels) with
``|dec| <= 90 - pole_exclusion`` gets a flare fit
(:func:`bayesnu.flare.search.fit_flare`); the Northern sky (dec > -5 deg) and
the Southern sky (dec < -5 deg) are reported separately, with the hottest
pixel (largest TS, or smallest local p-value when background ensembles are
given) of each.

The work is split into contiguous chunks of pixels processed by a pool of
worker processes (``n_workers``); each worker builds the position-independent
parts of the likelihood (:class:`~bayesnu.flare.roi.FlareSampleModel`) once.
Outputs (:func:`write_scan`): a FITS file with the TS, ns, gamma, T0 and
sigma_t maps (healpy), a Mollweide PNG of the TS map, and ``hottest.json``.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.data.core import EventSample
from bayesnu.errors import InputError

__all__ = ["ScanResult", "scan_pixels", "scan_sky", "write_scan", "hottest_spots",
           "NORTH_SOUTH_SPLIT_DEG"]

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
    from bayesnu.flare.roi import FlareSampleModel
    from bayesnu.flare.search import fit_flare

    if model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = FlareSampleModel(sample)
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
                  pvalue_map: np.ndarray | None = None) -> dict[str, dict[str, float] | None]:
    """Hottest pixel of the North (dec > -5 deg) and South: largest TS or smallest p-value."""
    import healpy as hp

    theta, phi = hp.pix2ang(nside, pixels)
    dec = 90.0 - np.degrees(theta)
    out: dict[str, dict[str, float] | None] = {}
    for hemi, sel in (("north", dec > NORTH_SOUTH_SPLIT_DEG), ("south", dec < NORTH_SOUTH_SPLIT_DEG)):
        px = pixels[sel]
        if px.size == 0:
            out[hemi] = None
            continue
        if pvalue_map is not None:
            # smallest p-value; ties (p-values saturate at 1/(n+1)) broken by the largest TS
            key = np.where(np.isfinite(pvalue_map[px]), pvalue_map[px], np.inf)
            ts = np.where(np.isfinite(maps["ts"][px]), maps["ts"][px], -np.inf)
            j = int(np.lexsort((-ts, key))[0])
        else:
            key = np.where(np.isfinite(maps["ts"][px]), maps["ts"][px], -np.inf)
            j = int(np.argmax(key))
        p = int(px[j])
        h = {"pixel": p, "ra": float(np.degrees(phi[sel][j])), "dec": float(dec[sel][j])}
        h.update({f: float(maps[f][p]) for f in FIELDS})
        if pvalue_map is not None:
            h["p_local"] = float(pvalue_map[p])
        out[hemi] = h
    return out


def scan_sky(sample: EventSample, nside: int = 32, pdf: str = "gauss",
             seed_threshold: float = 1.0, sigma_min: float | None = None,
             pole_exclusion_deg: float = 10.0, n_workers: int = 1, progress: bool = False,
             ra_events: np.ndarray | None = None, time_events: np.ndarray | None = None,
             chunks_per_worker: int = 8, **kwargs: Any) -> ScanResult:
    """Flare fit in every HEALPix pixel outside the pole caps.

    Parameters
    ----------
    sample : EventSample
        One sample (season or simulated cascade set) with uptime and A_eff.
    nside : int
        HEALPix resolution (power of 2).
    n_workers : int
        Worker processes (1: in this process).
    ra_events, time_events : ndarray, optional
        Scrambled RA / times replacing the sample's (for global p-value trials).
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
    if n_workers <= 1:
        from bayesnu.flare.roi import FlareSampleModel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = FlareSampleModel(sample)
        for part in parts:
            res[part] = scan_pixels(sample, ra[part], dec[part], model=model, **kw)
            if bar is not None:
                bar.update(part.size)
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as ex:
            futs = {ex.submit(_scan_chunk, (sample, ra[p], dec[p], kw)): p for p in parts}
            from concurrent.futures import as_completed

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


def write_scan(res: ScanResult, out_dir: str | os.PathLike, title: str | None = None
               ) -> dict[str, str]:
    """Write FITS maps, a Mollweide PNG of the TS map and ``hottest.json``."""
    import healpy as hp
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fits = out / "flare_scan_maps.fits"
    cols = [np.where(np.isfinite(res.maps[f]), res.maps[f], hp.UNSEEN) for f in FIELDS]
    names = list(FIELDS)
    if res.pvalue_map is not None:
        cols.append(np.where(np.isfinite(res.pvalue_map), res.pvalue_map, hp.UNSEEN))
        names.append("p_local")
    hp.write_map(str(fits), cols, column_names=[n.upper() for n in names], overwrite=True,
                 dtype=np.float64,
                 extra_header=[("SAMPLE", res.sample), ("FLAREPDF", res.pdf)])
    png = out / "flare_scan_ts.png"
    m = np.where(np.isfinite(res.maps["ts"]), res.maps["ts"], hp.UNSEEN)
    hp.mollview(m, title=title or f"flare TS, {res.sample} (nside {res.nside})",
                unit="TS", cmap="viridis", xsize=1200)
    fig = plt.gcf()
    hp.graticule(dpar=30, dmer=60, alpha=0.4)
    for hemi, h in res.hottest.items():
        if h:
            hp.projscatter(h["ra"], h["dec"], lonlat=True, marker="x", s=80,
                           color="red" if hemi == "north" else "orange")
    fig.savefig(png, dpi=110)
    plt.close(fig)
    js = out / "hottest.json"
    js.write_text(json.dumps({"nside": res.nside, "sample": res.sample, "pdf": res.pdf,
                              "seconds": res.seconds, "hottest": res.hottest}, indent=2))
    return {"fits": str(fits), "png": str(png), "json": str(js)}


def sky_scramble_trials(rng: np.random.Generator, n: int, sample: EventSample, nside: int,
                        trials_dir: str, pdf: str = "gauss", n_bands: int = 81,
                        pole_exclusion_deg: float = 10.0) -> dict[str, np.ndarray]:
    """Campaign chunk: ``n`` RA- and time-scrambled full-sky scans, hottest local p per hemisphere.

    Local p-values come from the band ensembles in ``trials_dir`` (``flare
    trials`` output). The distribution of the returned ``p_north`` / ``p_south``
    gives the global p-values (:func:`bayesnu.inference.pvalues.global_pvalue`).
    """
    import healpy as hp

    from bayesnu.flare.trials import dec_band_edges
    from bayesnu.inference.pvalues import BandEnsembles

    ens = BandEnsembles.from_campaigns(trials_dir, dec_band_edges(n_bands))
    fp = sample.footprint
    out = {k: np.empty(n) for k in ("p_north", "p_south", "ts_north", "ts_south")}
    for i in range(n):
        ra_s = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), sample.size)
        t_s = sample.uptime.sample(rng, sample.size)
        res = scan_sky(sample, nside=nside, pdf=pdf, pole_exclusion_deg=pole_exclusion_deg,
                       ra_events=ra_s, time_events=t_s)
        theta, _ = hp.pix2ang(nside, res.pixels)
        dec = 90.0 - np.degrees(theta)
        p = ens.pvalues(res.maps["ts"][res.pixels], dec)
        for hemi, sel in (("north", dec > NORTH_SOUTH_SPLIT_DEG),
                          ("south", dec < NORTH_SOUTH_SPLIT_DEG)):
            ps = np.where(np.isfinite(p[sel]), p[sel], np.inf)
            j = int(np.argmin(ps)) if ps.size else -1
            out[f"p_{hemi}"][i] = ps[j] if j >= 0 else np.nan
            out[f"ts_{hemi}"][i] = res.maps["ts"][res.pixels][sel][j] if j >= 0 else np.nan
    return out
