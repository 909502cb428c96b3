"""HTML reports of single commands, built with :mod:`bayesnu.apps.report`.

* :func:`flare_scan_report` -- ``bayesnu flare scan``: redraws the TS and
  local p-value maps as styled Mollweide maps (RA/Dec graticule, colour bar,
  hottest spots in the legend) and writes ``report.html`` beside them;
* :func:`ps_fit_report` -- ``bayesnu ps fit --plot DIR``: TS profiles of ns
  and gamma with their Wilks intervals and the fit in a table.

Each returns the path of the written report. A new analysis (CnuB, blazar)
builds its own the same way: make PNGs with :mod:`bayesnu.inference.plots`,
then ``Report(title, statement).add_table(...).add_figure(...).write(path)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.apps.report import Report, format_pvalue

__all__ = ["flare_scan_report", "ps_fit_report"]

_HEMI_STYLE = {"north": ("red", "x"), "south": ("orange", "+")}


def _hottest_markers(hottest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for hemi, h in hottest.items():
        if not h:
            continue
        color, marker = _HEMI_STYLE.get(hemi, ("red", "x"))
        out.append({"ra": h["ra"], "dec": h["dec"], "color": color, "marker": marker,
                    "label": f"hottest spot, {hemi}: TS {h['ts']:.1f} at RA {h['ra']:.1f}°, "
                             f"Dec {h['dec']:+.1f}°"})
    return out


def flare_scan_report(result, command: str | None = None) -> str:
    """Styled sky maps and ``report.html`` of a :class:`~bayesnu.inference.flare_scan.FlareScanResult`.

    Reads the FITS maps the scan wrote (``files["fits"]``), redraws
    ``flare_scan_ts.png`` (and ``flare_scan_pvalue.png`` when local p-values
    exist) in the shared style, and writes ``report.html`` in the scan's
    folder. Returns the report's path and records it (and the PNGs) in
    ``result.files``.
    """
    import healpy as hp

    from bayesnu.inference.plots import sky_map

    out = Path(result.out_dir or Path(result.files["fits"]).parent)
    maps = np.atleast_2d(hp.read_map(result.files["fits"], field=None, dtype=np.float64))
    names = [n.lower() for n in _fits_columns(result.files["fits"])]
    cols = dict(zip(names, maps))
    markers = _hottest_markers(result.hottest)
    ts_png = out / "flare_scan_ts.png"
    sky_map(cols["ts"], path=ts_png, unit="flare TS", markers=markers,
            title=f"Flare TS, {result.sample} (nside {result.nside}, "
                  f"{result.n_pixels_fitted:,} pixels)")
    result.files["png"] = str(ts_png)
    figs = [("ts_map", ts_png, "Flare test statistic per pixel (Gaussian time profile, "
             "ns, gamma, T0, sigma_t fitted); markers: the hottest spot of each hemisphere "
             "(smallest local p-value when p-values were computed, else largest TS).")]
    if "p_local" in cols:
        p_png = out / "flare_scan_pvalue.png"
        sky_map(cols["p_local"], path=p_png, unit="local p-value", log=True, cmap="magma_r",
                markers=markers, cbar_label="log10(local p-value)",
                title=f"Local p-value, {result.sample} (nside {result.nside})")
        result.files["pvalue_png"] = str(p_png)
        figs.append(("pvalue_map", p_png, "Local (pre-trial) p-value per pixel from the "
                     "declination-band background ensembles; lighter is more significant."))
    if "global_png" in result.files:
        figs.append(("global_p", Path(result.files["global_png"]),
                     "Hottest local p-value of each scrambled sky against the N_eff model."))
    rows = []
    for hemi, h in result.hottest.items():
        if not h:
            continue
        p_loc = "not computed"
        if "p_local" in h:
            extrapolated = bool(h.get("p_local_extrapolated"))
            n_ens = None if extrapolated else h.get("n_ensemble")
            p_loc = (format_pvalue(h["p_local"], n_trials=n_ens, with_sigma=True)
                     + (" (tail extrapolated)" if extrapolated else ""))
        p_glob = "needs >= 2 scrambled skies"
        if "p_global_neff" in h:
            lo, hi = h["p_global_neff_interval"]
            p_glob = f"p = {h['p_global_neff']:.3g} [{lo:.3g}, {hi:.3g}]"
        rows.append([hemi, h["ra"], h["dec"], h["ts"], h["ns"], h["gamma"], h["t0"],
                     h["sigma_t"], p_loc, p_glob])
    rep = Report(
        f"All-sky flare scan of {result.sample}",
        f"We fitted a Gaussian neutrino flare (signal events, spectral index, centre and "
        f"width) at each of {result.n_pixels_fitted:,} HEALPix pixels (nside {result.nside}) "
        f"of the {result.sample} sample and report the hottest spot of each hemisphere. "
        "Local p-values come from declination-band ensembles of scrambled skies and band "
        "trials, and global p-values from the hottest spots of whole scrambled skies.",
        command=command)
    rep.add_table("Hottest spots", ["hemisphere", "RA (deg)", "Dec (deg)", "TS", "ns (events)",
                                    "gamma", "T0 (MJD)", "sigma_t (days)", "local p-value",
                                    "global p-value"], rows,
                  note="The hottest pixel is the maximum of a noisy map: nearby pixels with "
                       "almost equal TS can swap places when the scan settings change.")
    for name, path, caption in figs:
        rep.add_figure(name, path, caption=caption)
    rep.add_key_values("Run", {"wall time (s)": result.seconds,
                               "CPU time (s)": result.cpu_seconds,
                               "scrambled skies": int(result.details.get("scrambles", {}).get(
                                   "n_trials", 0) or 0)})
    path = rep.write(out / "report.html")
    result.files["report"] = path
    return path


def _fits_columns(path: str | os.PathLike) -> list[str]:
    from astropy.io import fits

    with fits.open(path) as hdul:
        return [c.name for c in hdul[1].columns]


def ps_fit_report(psm, best, out_dir: str | os.PathLike, desc: dict[str, Any] | None = None,
                  n_points: int = 41, command: str | None = None) -> str:
    """TS profiles of ``ns`` and ``gamma`` and ``report.html`` of a point-source fit.

    Parameters
    ----------
    psm
        The point-source model (or an object with ``likelihood`` and ``priors``).
    best : FitResult
        Its maximum-likelihood fit (:func:`bayesnu.inference.fit`).
    out_dir : path
        Folder for ``profile_ns.png``, ``profile_gamma.png`` and ``report.html``.
    desc : dict, optional
        Description of the run (``data``, ``sources``, ``n_events``, ``n_roi_events``).
    n_points : int
        Grid points per profile.
    """
    from bayesnu.inference import profile
    from bayesnu.inference.plots import profile_plot

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    desc = dict(desc or {})
    src = ", ".join(s["name"] for s in desc.get("sources", [])) or "the source"
    rep = Report(
        f"Point-source fit at {src}",
        f"We fitted an unbinned point-source likelihood (signal events ns and spectral index "
        f"gamma) at {src} in {', '.join(map(str, desc.get('data', []))) or 'the data'}. The "
        f"best fit has ns = {best.params['ns']:.2f} and gamma = {best.params['gamma']:.2f} "
        f"with TS = {best.ts:.2f}; the TS profiles below give Wilks intervals.",
        command=command)
    rows = []
    figs = []
    for par in ("ns", "gamma"):
        pr = profile(psm, par, n_points=n_points, best=best)
        png = out / f"profile_{par}.png"
        profile_plot(pr, path=png, title=f"TS profile of {par}")
        figs.append((f"profile_{par}", png))
        for cl in ("0.68", "0.9"):
            if cl in pr.intervals:
                lo, hi, lo_open, hi_open = pr.intervals[cl]
                rows.append([f"{par}: {float(cl):.0%} Wilks interval",
                             f"[{lo:.3g}{' (grid edge)' if lo_open else ''}, "
                             f"{hi:.3g}{' (grid edge)' if hi_open else ''}]"])
    rep.add_table("Best fit", ["quantity", "value"],
                  [["ns (signal events)", best.params["ns"]],
                   ["gamma (spectral index)", best.params["gamma"]], ["TS", best.ts],
                   ["events / near the source", f"{desc.get('n_events', 'n/a')} / "
                                                f"{desc.get('n_roi_events', 'n/a')}"], *rows])
    for name, png in figs:
        rep.add_figure(name, png, caption="Delta TS with the other parameter profiled; "
                                          "dashed: Wilks thresholds 1.00 / 2.71 / 3.84.")
    return rep.write(out / "report.html")
