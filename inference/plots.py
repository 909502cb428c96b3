"""Plots, all in the one style of :mod:`bayesnu.inference.style`.

* :func:`trace_plot` -- ArviZ trace (marginals and chains), labelled with units;
* :func:`corner_plot` (alias :func:`pair_plot`) -- ArviZ KDE pair plot with
  68% / 95% highest-density credible contours, units, readable ticks (times
  as offsets from a round MJD) and optional reference values;
* :func:`profile_plot` -- Delta TS profile of a
  :class:`~bayesnu.inference.profile.ProfileResult` with the Wilks thresholds
  (Delta TS = 1.00 / 2.71 / 3.84) drawn and labelled and the intervals shaded;
* :func:`ts_curve_plot` -- the same for any TS curve on a grid (e.g. TS vs T0);
* :func:`overlay_plot` -- posterior marginal against the normalised profile likelihood;
* :func:`sky_map` -- HEALPix map in a Mollweide projection with an RA/Dec
  graticule and labels, a colour bar with short tick labels and a legend
  for markers;
* :func:`flare_light_curve` -- events near a source against time, coloured by
  signal weight, with fitted Gaussian / box flares and a reference window;
* :func:`eta_ts_plot` -- CnuB TS(eta) curves with the Wilks 90% / 95% lines
  (TS = 2.71 / 3.84), the limits marked and an optional 68% band;
* :func:`si_map_plot` -- CnuB secret-interaction TS(m_phi, g) map with its
  2-sigma (2 dof) contour and the BBN and tau-decay bounds;
* :func:`posterior_histograms` -- marginal posterior histograms with limits marked;
* :func:`rt_plot` -- blazar R(t) with control bands and the pre-trial p(t), where a
  p-value at its resolution floor 1/(N+1) is drawn as an upper bound;
* :func:`spatial_counts_plot` -- blazar counts around a group against the
  scramble expectation per energy threshold, with p-values (floors as bounds);
* :func:`dcf_plot` -- discrete correlation function of two light curves.

Every function takes ``path`` (PNG written atomically when given) and returns
the matplotlib figure (closed after saving).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from bayesnu.inference.style import (
    COLORS,
    CREDIBLE_LEVELS,
    WILKS_LEVELS,
    label,
    mjd_reference,
    save_figure,
    short_number,
    use_style,
)

__all__ = ["trace_plot", "corner_plot", "pair_plot", "profile_plot", "ts_curve_plot",
           "overlay_plot", "sky_map", "flare_light_curve", "background_ts_plot", "eta_ts_plot",
           "si_map_plot", "posterior_histograms", "rt_plot", "spatial_counts_plot", "dcf_plot",
           "pvalue_floor_mask", "ns_density_plot"]

_TIME_PARAMS = ("t0", "t_start", "t_stop", "time")


def _finish(fig, path):
    if path is not None:
        save_figure(fig, path, close=False)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def _posterior_arrays(idata, var_names: Sequence[str] | None) -> dict[str, np.ndarray]:
    post = idata.posterior if hasattr(idata, "posterior") else idata
    names = list(var_names) if var_names is not None else [
        v for v in post.data_vars if post[v].ndim == 2]
    return {v: np.asarray(post[v].values, dtype=np.float64) for v in names}


def trace_plot(idata, var_names: Sequence[str] | None = None, path=None):
    """ArviZ trace plot (marginal per chain and the chains' draws), with units.

    Parameters
    ----------
    idata : arviz.InferenceData
        Posterior with dimensions (chain, draw).
    var_names : sequence of str, optional
        Variables to show (default: every scalar variable).
    path : path, optional
        PNG to write.
    """
    import arviz as az

    with use_style():
        arrs = _posterior_arrays(idata, var_names)
        refs = {v: mjd_reference(a) for v, a in arrs.items() if v in _TIME_PARAMS}
        data = {v: (a - refs[v] if v in refs else a) for v, a in arrs.items()}
        axes = az.plot_trace(data, compact=True, figsize=(11, 2.6 * len(data)),
                             backend_kwargs={"layout": "constrained"})
        axes = np.atleast_2d(axes)
        for (v, _), row in zip(data.items(), axes):
            lab = label(v, refs.get(v))
            row[0].set_title(f"{lab}: marginal per chain", fontsize=12)
            row[0].set_xlabel(lab)
            row[0].set_ylabel("density")
            row[0].set_yticks([])
            row[1].set_title(f"{lab}: draws", fontsize=12)
            row[1].set_xlabel("draw")
            row[1].set_ylabel(lab)
        fig = axes[0, 0].figure
        return _finish(fig, path)


def corner_plot(idata, var_names: Sequence[str] | None = None, path=None, truths=None,
                title: str | None = None, reference: Mapping[str, float] | None = None,
                reference_label: str = "reference"):
    """Corner plot: KDE marginals and 68% / 95% credible (HDI) contours, with units.

    Parameters
    ----------
    idata : arviz.InferenceData or xarray.Dataset
        Posterior draws (chain, draw).
    var_names : sequence of str, optional
        Variables (default: every scalar variable).
    path : path, optional
        PNG to write.
    truths : dict, optional
        Injected / true values (drawn as red lines), ``{name: value}``.
    title : str, optional
        Figure title.
    reference : dict, optional
        Published or reference values (drawn as grey dashed lines), ``{name: value}``.
    reference_label : str
        Legend text of the reference lines.

    Notes
    -----
    Time parameters (``t0``...) are plotted as offsets from a round MJD so
    that tick labels stay short; the axis label states the reference.
    """
    import arviz as az
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    with use_style():
        arrs = _posterior_arrays(idata, var_names)
        names = list(arrs)
        refs = {v: mjd_reference(a) for v, a in arrs.items() if v in _TIME_PARAMS}
        data = {v: (a - refs[v] if v in refs else a) for v, a in arrs.items()}
        n = len(names)
        size = max(2.6 * n, 5.0)
        hp = sorted(CREDIBLE_LEVELS, reverse=True)
        axes = az.plot_pair(
            data, kind="kde", marginals=True, figsize=(size, size),
            kde_kwargs={"hdi_probs": hp, "contourf_kwargs": {"cmap": "Blues"},
                        "contour_kwargs": {"colors": COLORS["data"], "linewidths": 1.2}},
            marginal_kwargs={"plot_kwargs": {"color": COLORS["data"]}})
        axes = np.atleast_2d(axes)
        fig = axes[0, 0].figure

        def shift(v, x):
            return x - refs[v] if v in refs else x

        for i in range(n):
            for j in range(n):
                ax = axes[i, j]
                if j > i:
                    continue
                ax.xaxis.set_major_locator(MaxNLocator(4, prune="both"))
                ax.tick_params(axis="x", labelrotation=35)
                if i == j:
                    ax.set_yticks([])
                    ax.set_ylabel("")
                else:
                    ax.yaxis.set_major_locator(MaxNLocator(4, prune="both"))
                ax.set_xlabel(label(names[j], refs.get(names[j])) if i == n - 1 else "")
                if j == 0 and i > 0:
                    ax.set_ylabel(label(names[i], refs.get(names[i])))
                elif i != j:
                    ax.set_ylabel("")
                for vals, kw in ((truths, {"color": COLORS["fit"], "lw": 1.2}),
                                 (reference, {"color": COLORS["reference"], "lw": 1.2,
                                              "ls": "--"})):
                    if not vals:
                        continue
                    if names[j] in vals and np.isfinite(vals[names[j]]):
                        ax.axvline(shift(names[j], vals[names[j]]), **kw)
                    if i != j and names[i] in vals and np.isfinite(vals[names[i]]):
                        ax.axhline(shift(names[i], vals[names[i]]), **kw)
        cmap = plt.get_cmap("Blues")
        handles = [Patch(facecolor=cmap(0.75), edgecolor=COLORS["data"],
                         label=f"{CREDIBLE_LEVELS[0]:.0%} credible region (HDI)"),
                   Patch(facecolor=cmap(0.25), edgecolor=COLORS["data"],
                         label=f"{CREDIBLE_LEVELS[1]:.0%} credible region (HDI)")]
        if truths:
            handles.append(Line2D([], [], color=COLORS["fit"], label="true value"))
        if reference:
            handles.append(Line2D([], [], color=COLORS["reference"], ls="--",
                                  label=reference_label))
        if n > 1:
            fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.97, 0.93),
                       fontsize=12)
        else:
            axes[0, 0].legend(handles=handles, fontsize=10)
        if title:
            fig.suptitle(title, fontsize=15)
        return _finish(fig, path)


#: backwards-compatible name of :func:`corner_plot`
pair_plot = corner_plot


def _wilks_lines(ax, levels=WILKS_LEVELS, x_text=None):
    colors = ("#2e86c1", "#e67e22", "#c0392b")
    for (cl, thr), c in zip(levels, colors):
        ax.axhline(thr, color=c, ls="--", lw=1.2)
        ax.text(x_text if x_text is not None else 1.0, thr, f" {cl:.0%} (ΔTS = {thr:.2f})",
                color=c, va="bottom", ha="right" if x_text is None else "left", fontsize=10.5,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.0},
                transform=ax.get_yaxis_transform() if x_text is None else ax.transData)


def _crossings(x, d, thr):
    """Intervals of x where d <= thr around the minimum (linear interpolation)."""
    from bayesnu.inference.profile import wilks_interval
    from scipy.stats import chi2

    cl = float(chi2.cdf(thr, 1))
    lo, hi, _, _ = wilks_interval(x, d, cl)
    return lo, hi


def profile_plot(prof, path=None, cls: Sequence[float] | None = None, title: str | None = None):
    """Delta TS profile with the Wilks thresholds (68% / 90% / 95%) and shaded intervals.

    Parameters
    ----------
    prof : ProfileResult
        From :func:`bayesnu.inference.profile`.
    path : path, optional
        PNG to write.
    cls : sequence of float, optional
        Confidence levels to draw (default 0.6827, 0.90, 0.95).
    title : str, optional
        Figure title.
    """
    x, d = np.asarray(prof.values, dtype=np.float64), np.asarray(prof.delta_ts, dtype=np.float64)
    best = prof.best.get("params", {}).get(prof.param) if isinstance(prof.best, dict) else None
    return ts_curve_plot(x, d, prof.param, path=path, delta=True, cls=cls, title=title,
                         best=best)


def ts_curve_plot(values, ts, param: str, path=None, delta: bool = False,
                  cls: Sequence[float] | None = None, title: str | None = None,
                  best: float | None = None, reference_span: tuple[float, float] | None = None,
                  reference_label: str = "reference", offset_mjd: float | None = None):
    """A TS curve on a grid as Delta TS, with Wilks thresholds and intervals labelled.

    Parameters
    ----------
    values : array
        Parameter grid (unit of ``param``; MJD for times).
    ts : array
        TS (``delta=False``) or Delta TS (``delta=True``) on the grid.
    param : str
        Parameter name (gives the axis label and unit).
    path : path, optional
        PNG to write.
    cls : sequence of float, optional
        Confidence levels (default: 68.27%, 90%, 95%).
    best : float, optional
        Best-fit value (vertical line).
    reference_span : (float, float), optional
        A published interval to shade (e.g. a flare window in MJD).
    offset_mjd : float, optional
        For times: plot ``value - offset_mjd`` (default: a round MJD if
        ``param`` is a time).
    """
    import matplotlib.pyplot as plt
    from scipy.stats import chi2

    x = np.asarray(values, dtype=np.float64)
    t = np.asarray(ts, dtype=np.float64)
    d = t if delta else np.nanmax(t) - t
    levels = WILKS_LEVELS if cls is None else tuple((c, float(chi2.ppf(c, 1))) for c in cls)
    if param in _TIME_PARAMS and offset_mjd is None:
        offset_mjd = mjd_reference([best] if best is not None and np.isfinite(best) else x)
    off = offset_mjd or 0.0
    with use_style():
        fig, ax = plt.subplots(figsize=(8, 4.6))
        ax.plot(x - off, d, color=COLORS["data"], lw=2, label=r"$\Delta$TS profile")
        _wilks_lines(ax, levels)
        colors = ("#2e86c1", "#e67e22", "#c0392b")
        for k, ((_cl, thr), c) in enumerate(zip(levels, colors)):
            if not np.any(np.isfinite(d) & (d <= thr)):
                continue
            lo, hi = _crossings(x, d, thr)
            if k == 0:   # innermost interval shaded, the wider ones marked by their ends
                ax.axvspan(lo - off, hi - off, color=c, alpha=0.15, lw=0)
            else:
                for v in (lo, hi):
                    ax.axvline(v - off, color=c, ls=":", lw=1.2)
        if best is not None and np.isfinite(best):
            ax.axvline(best - off, color=COLORS["fit"], lw=1.4, label="best fit")
        if reference_span is not None:
            ax.axvspan(reference_span[0] - off, reference_span[1] - off, ymin=0, ymax=0.06,
                       color=COLORS["reference"], alpha=0.6, label=reference_label)
        ax.set_xlabel(label(param, offset_mjd if param in _TIME_PARAMS else None))
        ax.set_ylabel(r"$\Delta$TS = TS$_{\rm max}$ $-$ TS" if not delta else r"$\Delta$TS")
        top = float(np.nanmax(d)) if np.any(np.isfinite(d)) else 6.0
        ax.set_ylim(0, max(6.0, min(top * 1.05, 25.0)))
        ax.legend(loc="best", framealpha=0.9, frameon=True, edgecolor="none")
        if title:
            ax.set_title(title)
        fig.tight_layout()
        return _finish(fig, path)


def overlay_plot(idata, prof, var_name: str | None = None, path=None):
    """Posterior marginal (histogram) against the normalised profile likelihood exp(-Delta TS/2)."""
    import matplotlib.pyplot as plt

    v = var_name or prof.param
    x = idata.posterior[v].values.ravel()
    grid, d = np.asarray(prof.values), np.asarray(prof.delta_ts)
    like = np.exp(-0.5 * d)
    area = np.trapezoid(like, grid)
    with use_style():
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.hist(x, bins=50, density=True, histtype="stepfilled", alpha=0.45,
                color=COLORS["band"], label="posterior (NUTS)")
        if area > 0:
            ax.plot(grid, like / area, color=COLORS["fit"],
                    label=r"profile likelihood $e^{-\Delta TS/2}$ (normalised)")
        ax.set_xlabel(label(v))
        ax.set_ylabel(f"probability density (per {label(v).split('(')[-1].rstrip(')')})"
                      if "(" in label(v) else "probability density")
        ax.legend()
        fig.tight_layout()
        return _finish(fig, path)


def _mollweide_x(ra_deg):
    """Mollweide longitude (rad) with RA = 180 deg at the centre, RA increasing to the left."""
    return np.radians(180.0 - np.asarray(ra_deg, dtype=np.float64))


def sky_map(m: np.ndarray, path=None, title: str | None = None, unit: str = "",
            markers: Sequence[Mapping[str, Any]] = (), log: bool = False, cmap: str = "viridis",
            vmin: float | None = None, vmax: float | None = None, resolution_deg: float = 0.5,
            cbar_label: str | None = None):
    """HEALPix map (RING ordering, equatorial) in Mollweide with RA/Dec graticule and labels.

    Parameters
    ----------
    m : array, shape (12 nside^2,)
        Map values per pixel; NaN / ``healpy.UNSEEN`` pixels are left blank.
    path : path, optional
        PNG to write.
    title : str, optional
        Figure title.
    unit : str
        Quantity and unit for the colour bar (e.g. ``"TS"``).
    markers : sequence of dict
        ``{"ra": deg, "dec": deg, "label": str, "color": str, "marker": str}``
        drawn and listed in the legend (e.g. the hottest spots).
    log : bool
        Colour scale in log10 of the value (for p-value maps); the colour
        bar then reads ``log10(unit)``.
    vmin, vmax : float, optional
        Colour-scale limits (default: the finite range of the map).
    resolution_deg : float
        Grid step of the image in degrees.
    """
    import healpy as hp
    import matplotlib.pyplot as plt
    from matplotlib import patheffects
    from matplotlib.ticker import FixedLocator, MaxNLocator

    vals = np.asarray(m, dtype=np.float64).copy()
    vals[vals == hp.UNSEEN] = np.nan
    nside = hp.npix2nside(vals.size)
    ra = np.arange(0.0, 360.0 + resolution_deg, resolution_deg)
    dec = np.arange(-90.0, 90.0 + resolution_deg, resolution_deg)
    RA, DEC = np.meshgrid(ra, dec)
    img = vals[hp.ang2pix(nside, RA, DEC, lonlat=True)]
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            img = np.where(img > 0, np.log10(img), np.nan)
    with use_style():
        fig = plt.figure(figsize=(11, 6.4))
        ax = fig.add_subplot(111, projection="mollweide")
        fin = img[np.isfinite(img)]
        lo = vmin if vmin is not None else (float(fin.min()) if fin.size else 0.0)
        hi = vmax if vmax is not None else (float(fin.max()) if fin.size else 1.0)
        mesh = ax.pcolormesh(_mollweide_x(RA), np.radians(DEC), np.ma.masked_invalid(img),
                             cmap=cmap, vmin=lo, vmax=hi, shading="auto", rasterized=True)
        ax.grid(True, color="white", alpha=0.55, lw=0.7)
        ras = np.arange(30, 360, 30)
        ax.set_xticks(_mollweide_x(ras))
        ax.set_xticklabels([f"{r:.0f}°" for r in ras], fontsize=10.5, color="black")
        for tl in ax.get_xticklabels():
            tl.set_path_effects([patheffects.withStroke(linewidth=3, foreground="white")])
        decs = np.arange(-60, 90, 30)
        ax.set_yticks(np.radians(decs))
        ax.set_yticklabels([f"{d:+.0f}°" for d in decs], fontsize=11)
        ax.set_xlabel("right ascension (deg, increasing to the left)")
        ax.set_ylabel("declination (deg)")
        for mk in markers:
            ax.plot(_mollweide_x(mk["ra"]), np.radians(mk["dec"]), ls="none",
                    marker=mk.get("marker", "x"), color=mk.get("color", "red"), ms=12, mew=2.5,
                    label=mk.get("label", ""))
        if markers:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.36), ncol=min(len(markers), 2),
                      fontsize=11)
        cb = fig.colorbar(mesh, ax=ax, orientation="horizontal", fraction=0.05, pad=0.1,
                          aspect=40, shrink=0.75)
        ticks = [t for t in MaxNLocator(6).tick_values(lo, hi) if lo <= t <= hi]
        cb.ax.xaxis.set_major_locator(FixedLocator(ticks))
        cb.ax.set_xticklabels([short_number(t) for t in ticks])
        cb.set_label(cbar_label or (f"log10({unit})" if log else unit))
        if title:
            ax.set_title(title, pad=22)
        return _finish(fig, path)


def flare_light_curve(time_mjd: np.ndarray, log10_sob: np.ndarray, weight: np.ndarray,
                      path=None, gauss: Mapping[str, float] | None = None,
                      box: Mapping[str, float] | None = None,
                      reference_span: tuple[float, float] | None = None,
                      reference_label: str = "published window",
                      title: str | None = None, live: tuple[float, float] | None = None):
    """Events near a source vs time, coloured by signal weight, with the fitted flares.

    Parameters
    ----------
    time_mjd, log10_sob, weight : array, shape (n_events,)
        Event times (MJD), log10 of the spatial x energy signal-over-background
        ratio, and the per-event signal weight of the fit (0-1).
    gauss : dict, optional
        ``{"t0": MJD, "sigma_t": days, "ns": events}`` of a Gaussian flare
        (drawn as its rate in events/day on the right axis).
    box : dict, optional
        ``{"t_start": MJD, "t_stop": MJD, "ns": events}`` of a box flare.
    reference_span : (float, float), optional
        A published flare window (MJD) to shade.
    live : (float, float), optional
        Start and end of the live time (MJD) for the rate curve.
    """
    import matplotlib.pyplot as plt

    t = np.asarray(time_mjd, dtype=np.float64)
    y = np.asarray(log10_sob, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    order = np.argsort(w)
    with use_style():
        fig, ax = plt.subplots(figsize=(11, 5))
        sc = ax.scatter(t[order], y[order], c=w[order], cmap="viridis", vmin=0,
                        vmax=max(float(w.max()) if w.size else 0.0, 1e-3), s=22,
                        edgecolors="none")
        cb = fig.colorbar(sc, ax=ax, pad=0.1)
        cb.set_label("signal weight of the event (0-1)")
        ax.set_xlabel(label("time"))
        ax.set_ylabel(r"$\log_{10}$(S/B), space $\times$ energy")
        ax.xaxis.get_major_formatter().set_useOffset(False)
        ax2 = ax.twinx()
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        lo, hi = live if live is not None else (float(t.min()), float(t.max()))
        tt = np.linspace(lo, hi, 3000)
        if gauss and gauss.get("ns", 0) > 0:
            s = gauss["sigma_t"]
            ax2.plot(tt, gauss["ns"] * np.exp(-0.5 * ((tt - gauss["t0"]) / s) ** 2)
                     / (np.sqrt(2 * np.pi) * s), color=COLORS["fit"], lw=2,
                     label=f"Gaussian fit: $T_0$ = MJD {gauss['t0']:.0f}, "
                           f"$\\sigma_t$ = {s:.0f} d, $n_s$ = {gauss['ns']:.1f}")
        if box and box.get("ns", 0) > 0:
            ax2.fill_between([box["t_start"], box["t_stop"]], 0,
                             box["ns"] / (box["t_stop"] - box["t_start"]),
                             color=COLORS["second"], alpha=0.3,
                             label=f"box fit: MJD {box['t_start']:.0f}-{box['t_stop']:.0f}, "
                                   f"$n_s$ = {box['ns']:.1f}")
        if reference_span is not None:
            ax2.axvspan(*reference_span, color=COLORS["reference"], alpha=0.10,
                        label=reference_label)
        ax2.set_ylabel("fitted signal rate (events / day)")
        ax2.set_ylim(bottom=0)
        ax2.legend(loc="upper left", fontsize=10)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        return _finish(fig, path)



def background_ts_plot(background: np.ndarray, ts_obs: float, path=None,
                       title: str | None = None, p_text: str | None = None):
    """Survival function of background TS trials with the observed TS marked.

    Parameters
    ----------
    background : array, shape (n_trials,)
        Background TS values (scrambled trials).
    ts_obs : float
        Observed TS.
    p_text : str, optional
        The p-value statement to print in the legend (e.g. ``p = 0.006 [...]``).
    """
    import matplotlib.pyplot as plt

    bg = np.sort(np.asarray(background, dtype=np.float64))
    bg = bg[np.isfinite(bg)]
    n = bg.size
    with use_style():
        fig, ax = plt.subplots(figsize=(8, 4.6))
        sf = 1.0 - np.arange(n) / n
        ax.step(bg, sf, where="post", color=COLORS["data"], lw=2,
                label=f"background trials (n = {n:,})")
        ax.fill_between(bg, np.maximum(sf - np.sqrt(sf * (1 - sf) / n), 1.0 / n),
                        np.minimum(sf + np.sqrt(sf * (1 - sf) / n), 1.0), step="post",
                        color=COLORS["band"], alpha=0.35, lw=0, label="binomial 68% band")
        ax.axvline(ts_obs, color=COLORS["fit"], lw=2,
                   label=f"observed TS = {ts_obs:.2f}" + (f": {p_text}" if p_text else ""))
        ax.axhline(1.0 / (n + 1), color=COLORS["reference"], ls=":", lw=1.2,
                   label=f"resolution floor 1/(n+1) = {1.0 / (n + 1):.2g}")
        ax.set_yscale("log")
        ax.set_ylim(0.5 / n, 1.2)
        ax.set_xlabel(label("ts"))
        ax.set_ylabel("fraction of trials with TS $\\geq$ x")
        ax.legend(loc="upper right", fontsize=10, frameon=True, framealpha=0.92,
                  edgecolor="none")
        if title:
            ax.set_title(title)
        fig.tight_layout()
        return _finish(fig, path)


# ------------------------------------------------------------------ CnuB, blazar, p-value floors
_SIM_TAG = "SIMULATED data"


def _simulated_tag(ax, x: float = 0.5, ha: str = "center", pad: float = 2.0) -> None:
    """Stamp "SIMULATED data" at the top of ``ax`` (``x``, ``ha`` in axes coordinates;
    ``pad``: box padding in points)."""
    ax.text(x, 0.98, _SIM_TAG, transform=ax.transAxes, ha=ha, va="top",
            fontsize=12, color="#a04000", fontweight="bold",
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#a04000", "pad": pad})


def eta_ts_plot(curves: Sequence[tuple[str, Any, Any]], path=None,
                limits: Mapping[str, float] | None = None,
                band: tuple[Any, Any] | None = None, band_label: str = "68% of mock data sets",
                title: str | None = None, simulated: bool = False):
    """TS(eta) of the relic overdensity with the 90% / 95% CL lines and the limits.

    Parameters
    ----------
    curves : sequence of (label, log10_eta, ts)
        One or more TS(eta) curves (TS = -2 [log L(eta) - log L0], L0 the best
        power law without interactions; eta = n / n0 is dimensionless).
    limits : dict, optional
        ``{label: eta}`` upper limits to mark (vertical lines; NaN / inf skipped).
    band : (lo, hi), optional
        A TS band on the grid of the first curve (e.g. the 68% band of a sensitivity).
    simulated : bool
        Stamp the plot "SIMULATED data".
    """
    import matplotlib.pyplot as plt

    thr = ((0.90, 2.706), (0.95, 3.841))
    colors = ("#e67e22", "#c0392b")
    with use_style():
        fig, ax = plt.subplots(figsize=(8.5, 4.8))
        ymax = 6.0
        for k, (lab, x, t) in enumerate(curves):
            x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
            if band is not None and k == 0:
                ax.fill_between(x, band[0], band[1], color=COLORS["band"], alpha=0.35, lw=0,
                                label=band_label)
            ax.plot(x, t, lw=2.2 if k == 0 else 1.6,
                    color=COLORS["data"] if k == 0 else None, label=lab)
            if np.any(np.isfinite(t)):
                ymax = max(ymax, min(float(np.nanmax(t)) * 1.08, 30.0))
        for (cl, v), c in zip(thr, colors):
            ax.axhline(v, color=c, ls="--", lw=1.2)
            ax.text(0.01, v, f" {cl:.0%} CL (Wilks, 1 dof): TS = {v:.2f}", color=c, va="bottom",
                    ha="left", fontsize=10.5, transform=ax.get_yaxis_transform(),
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.0})
        for lab, eta in (limits or {}).items():
            if eta is None or not np.isfinite(eta) or eta <= 0:
                continue
            le = float(np.log10(eta))
            ax.axvline(le, color=COLORS["fit"], lw=1.5)
            x0, x1 = ax.get_xlim()
            right = le > x0 + 0.6 * (x1 - x0)
            ax.annotate(f"{lab}: $\\eta$ < {short_number(eta)}", xy=(le, 0.93 * ymax),
                        xytext=(-6 if right else 6, 0), textcoords="offset points",
                        color=COLORS["fit"], fontsize=11, va="center",
                        ha="right" if right else "left")
            ax.annotate("", xy=(le + 0.06 * (ax.get_xlim()[1] - ax.get_xlim()[0]), 0.85 * ymax),
                        xytext=(le, 0.85 * ymax),
                        arrowprops={"arrowstyle": "->", "color": COLORS["fit"], "lw": 1.5})
        lo = min(0.0, min((float(np.nanmin(np.asarray(t, dtype=np.float64)))
                           for _, _, t in curves), default=0.0))
        ax.set_ylim(max(lo * 1.1, -10.0), ymax)
        ax.set_xlabel(r"$\log_{10}\eta$ (relic neutrino overdensity $n/n_0$)")
        ax.set_ylabel(r"TS($\eta$) = $-2\,[\log L(\eta) - \log L_0]$")
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.9), fontsize=10.5, frameon=True,
                  framealpha=0.9, edgecolor="none")
        if simulated:
            _simulated_tag(ax)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        return _finish(fig, path)


def si_map_plot(log10_m_phi, log10_g, ts, path=None, threshold: float = 6.18,
                bbn: tuple[float, float] | None = (1.3, 1e-4), tau_g2_max: float | None = 0.1,
                title: str | None = None, simulated: bool = False):
    """TS over (m_phi, g_tautau) with the 2-sigma contour and the BBN / tau-decay bounds.

    Parameters
    ----------
    log10_m_phi, log10_g : array
        Grid axes: log10(m_phi / MeV) (rows of ``ts``) and log10 g (columns).
    ts : array, shape (n_m_phi, n_g)
        TS = -2 [log L(m_phi, g) - log L0], ns and gamma profiled.
    threshold : float
        The 2-sigma (95.45%) Wilks threshold for 2 dof (6.18).
    bbn : (m_phi_MeV, g_min), optional
        BBN bound: m_phi below this mass is excluded for g above g_min.
    tau_g2_max : float, optional
        tau-decay bound g^2 < this (drawn at g = sqrt of it).
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    x = np.asarray(log10_m_phi, dtype=np.float64)
    y = np.asarray(log10_g, dtype=np.float64)
    z = np.asarray(ts, dtype=np.float64).reshape(x.size, y.size)
    with use_style():
        fig, ax = plt.subplots(figsize=(8.5, 6.0))
        handles = []
        if x.size > 1 and y.size > 1:
            mesh = ax.pcolormesh(x, y, z.T, shading="nearest", cmap="viridis")
            cb = fig.colorbar(mesh, ax=ax, pad=0.02)
            cb.set_label(r"TS($m_\phi$, $g_{\tau\tau}$)")
            if np.nanmin(z) < threshold < np.nanmax(z):
                ax.contour(x, y, z.T, levels=[threshold], colors="white", linewidths=2.2)
                ax.contour(x, y, z.T, levels=[threshold], colors=COLORS["fit"], linewidths=1.2,
                           linestyles="--")
            handles.append(Line2D([], [], color=COLORS["fit"], ls="--", lw=1.5,
                                  label=f"2$\\sigma$ (TS = {threshold:.2f}, 2 dof)"))
            excl = z > threshold
            if excl.any():
                xx, yy = np.meshgrid(x, y, indexing="ij")
                ax.scatter(xx[excl], yy[excl], s=10, marker="x", color="white", lw=0.8)
                handles.append(Line2D([], [], ls="none", marker="x", color="0.3",
                                      label="excluded grid points"))
        else:
            ax.scatter(np.repeat(x, y.size), np.tile(y, x.size), c=z.ravel(), s=60)
        if bbn is not None:
            lm = float(np.log10(bbn[0]))
            lg = float(np.log10(bbn[1]))
            ax.fill_betweenx([lg, y.max() if y.size else lg], x.min() - 1, lm, color="0.2",
                             alpha=0.25, lw=0)
            ax.axvline(lm, color="0.15", lw=1.5, ls="-.")
            handles.append(Patch(facecolor="0.2", alpha=0.25,
                                 label=f"BBN: $m_\\phi$ < {bbn[0]:g} MeV for g > {bbn[1]:g}"))
        if tau_g2_max is not None:
            gt = 0.5 * float(np.log10(tau_g2_max))
            ax.axhline(gt, color="#8e44ad", lw=1.8, ls=":")
            handles.append(Line2D([], [], color="#8e44ad", ls=":", lw=1.8,
                                  label=f"$\\tau$ decays: $g^2$ < {tau_g2_max:g}"))
        ax.set_xlim(x.min() - 0.5 * (x[1] - x[0] if x.size > 1 else 0.1),
                    x.max() + 0.5 * (x[1] - x[0] if x.size > 1 else 0.1))
        ax.set_ylim(y.min() - 0.5 * (y[1] - y[0] if y.size > 1 else 0.1),
                    y.max() + 0.5 * (y[1] - y[0] if y.size > 1 else 0.1))
        ax.set_xlabel(r"$\log_{10}(m_\phi$ / MeV)")
        ax.set_ylabel(r"$\log_{10} g_{\tau\tau}$")
        ax.legend(handles=handles, loc="lower right", fontsize=10, frameon=True,
                  framealpha=0.9, edgecolor="none")
        if simulated:  # top left, clear of the map's legend; pad 4: matplotlib's default
            _simulated_tag(ax, x=0.01, ha="left", pad=4.0)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        return _finish(fig, path)


def posterior_histograms(draws: Mapping[str, Any], path=None,
                         lines: Mapping[str, Sequence[tuple[float, str]]] | None = None,
                         labels: Mapping[str, str] | None = None, title: str | None = None,
                         simulated: bool = False, bins: int = 50):
    """One histogram per parameter of posterior draws, with limits or reference values marked.

    Parameters
    ----------
    draws : dict
        ``{name: array of draws}`` (any shape; flattened).
    lines : dict, optional
        ``{name: [(value, label), ...]}`` vertical lines (e.g. 90% credible limit).
    labels : dict, optional
        Axis labels with units (default :func:`~bayesnu.inference.style.label`).
    """
    import matplotlib.pyplot as plt

    names = list(draws)
    n = len(names)
    colors = (COLORS["fit"], COLORS["second"], COLORS["reference"], "#8e44ad")
    with use_style():
        fig, axes = plt.subplots(1, n, figsize=(max(4.6 * n, 6.0), 4.2), squeeze=False)
        for ax, v in zip(axes[0], names):
            x = np.asarray(draws[v], dtype=np.float64).ravel()
            x = x[np.isfinite(x)]
            ax.hist(x, bins=bins, density=True, histtype="stepfilled", color=COLORS["band"],
                    alpha=0.6, edgecolor=COLORS["data"], lw=1.2)
            for k, (val, lab) in enumerate((lines or {}).get(v, [])):
                if val is None or not np.isfinite(val):
                    continue
                ax.axvline(val, color=colors[k % len(colors)], lw=1.8,
                           ls="-" if k == 0 else "--", label=lab)
            ax.set_xlabel((labels or {}).get(v, label(v)))
            ax.set_ylabel("posterior density")
            ax.set_yticks([])
            if (lines or {}).get(v):
                ax.legend(fontsize=9.5, loc="best", frameon=True, framealpha=0.9,
                          edgecolor="none")
        if simulated:
            _simulated_tag(axes[0, -1])
        if title:
            fig.suptitle(title, fontsize=14)
        fig.tight_layout()
        return _finish(fig, path)


def pvalue_floor_mask(p, n_trials: int) -> np.ndarray:
    """True where an empirical p-value ``(k+1)/(n+1)`` sits at its floor ``1/(n+1)`` (k = 0)."""
    from bayesnu.pvalues import at_floor

    return np.atleast_1d(at_floor(p, n_trials))


def ns_density_plot(ns, density, ns_ul90: float, path=None):
    """A grid posterior density of the signal events ns with its 90% upper limit marked."""
    import matplotlib.pyplot as plt

    with use_style():
        fig, ax = plt.subplots(figsize=(8, 4.4))
        ax.plot(ns, density, color=COLORS["data"], lw=2,
                label="posterior of ns (gamma marginalised)")
        ax.axvline(ns_ul90, color=COLORS["fit"], lw=1.6,
                   label=f"90% upper limit: ns < {ns_ul90:.1f}")
        ax.set_xlabel(label("ns"))
        ax.set_ylabel("posterior density (per event)")
        ax.legend()
        fig.tight_layout()
        return _finish(fig, path)


def rt_plot(res, path=None, title: str | None = None, xlim: float | None = None):
    """R(t) with the control mean and 68% / 95% bands, and the pre-trial p(t) below.

    ``res`` is a :class:`~bayesnu.inference.blazar_temporal.RtResult`. In the
    p(t) panel, shifts where no control sample reached the observed R(t)
    have p at its resolution floor 1/(N+1): they are drawn as open downward
    triangles on the floor line and labelled ``p < 1/(N+1)``, i.e. as upper
    bounds, never as values (as :func:`bayesnu.apps.report.format_pvalue` prints them).
    """
    import matplotlib.pyplot as plt

    with use_style():
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 6.6), sharex=True,
                                      gridspec_kw={"height_ratios": [2.2, 1.2]})
        t = np.asarray(res.shifts, dtype=np.float64)
        b = res.r_ctrl_bands
        ax.fill_between(t, b["q2.5"], b["q97.5"], color="0.88", lw=0, label="control 95%")
        ax.fill_between(t, b["q16"], b["q84"], color="0.72", lw=0, label="control 68%")
        ax.plot(t, res.r_ctrl_mean, color="0.3", lw=1.2, label="control mean")
        ax.plot(t, res.r_obs, color=COLORS["fit"], lw=1.6, label="alerts (observed)")
        ax.axvline(0, color="k", lw=0.7, ls=":")
        ax.set_ylabel("R(t) (mean flare level in / out of window)")
        s = res.settings
        n = int(s.get("n_control", 0) or 0)
        ax.set_title(title or f"dT = {s['dT_d']:g} d, regions x{s['factor']:g}, "
                     f"{len(res.pairs)} pairs, {n:,} control samples")
        ax.legend(fontsize=10, loc="upper right", frameon=True, framealpha=0.9, edgecolor="none")
        _pvalue_axis(ax2, t, res.p_pretrial, n, "control samples")
        ax2.set_ylabel("pre-trial p(t)")
        ax2.set_xlabel("shift t (days; t > 0: light curve after the alert)"
                       if s.get("sign", 1) == 1 else "shift t of the observing times (days)")
        if xlim:
            ax2.set_xlim(-xlim, xlim)
        fig.tight_layout()
        return _finish(fig, path)


def _pvalue_axis(ax, x, p, n_trials: int, what: str, marker: str = "",
                 color: str | None = None) -> None:
    x = np.asarray(x, dtype=np.float64)
    pv = np.asarray(p, dtype=np.float64)
    c = color or COLORS["data"]
    floor = 1.0 / (n_trials + 1.0) if n_trials > 0 else np.nan
    at = pvalue_floor_mask(pv, n_trials) if n_trials > 0 else np.zeros(pv.size, bool)
    val = np.where(at, np.nan, pv)
    ax.plot(x, val, color=c, lw=1.3, marker=marker or None, ms=5, label="p-value")
    if at.any():
        ax.plot(x[at], np.full(at.sum(), floor), ls="none", marker="v", ms=7, mfc="none",
                mec=COLORS["fit"], mew=1.4,
                label=f"p < {floor:.2g}: no {what[:-1] if what.endswith('s') else what} of "
                      f"{n_trials:,} reached the observed value (upper bound)")
    if np.isfinite(floor):
        ax.axhline(floor, color=COLORS["reference"], ls=":", lw=1.0,
                   label=f"resolution floor 1/(N+1) = {floor:.2g}")
    ax.set_yscale("log")
    fin = pv[np.isfinite(pv)]
    lo = min(float(fin.min()) if fin.size else 1.0, floor if np.isfinite(floor) else 1.0)
    ax.set_ylim(lo / 3.0, 1.5)
    ax.legend(fontsize=9.5, loc="best", frameon=True, framealpha=0.75, edgecolor="none")


def spatial_counts_plot(res, path=None, title: str | None = None, simulated: bool = False):
    """Events with a group blazar in their error circle vs the scramble expectation.

    ``res`` is a :class:`~bayesnu.inference.blazar_spatial.SpatialTestResult`:
    per energy threshold the observed count, the mean of the scrambles with
    its +-1 / 2 sigma band, and (lower panel) the p-value, floors drawn as upper bounds.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(res.thresholds, dtype=np.float64)
    exp_, sig = np.asarray(res.n_expected, float), np.asarray(res.sigma, float)
    with use_style():
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True,
                                      gridspec_kw={"height_ratios": [2.2, 1.1]})
        ax.fill_between(x, exp_ - 2 * sig, exp_ + 2 * sig, color="0.88", lw=0,
                        label="scrambles $\\pm 2\\sigma$")
        ax.fill_between(x, exp_ - sig, exp_ + sig, color="0.72", lw=0,
                        label="scrambles $\\pm 1\\sigma$")
        ax.plot(x, exp_, color="0.3", lw=1.4, label="expected (mean of scrambles)")
        ax.plot(x, res.n_expected_closed, color=COLORS["second"], lw=1.0, ls="--",
                label="expected (closed form)")
        ax.plot(x, res.n_observed, "o", color=COLORS["fit"], ms=7, label="observed")
        ax.set_ylabel("events with a blazar\nin the error circle")
        ax.set_yscale("log" if np.nanmax(res.n_observed) > 30 * max(
            np.nanmin(res.n_observed), 1) else "linear")
        ax.legend(fontsize=10, loc="upper right", frameon=True, framealpha=0.9,
                  edgecolor="none")
        ax.set_title(title or f"{res.group} ({res.n_sources} sources) on {res.data}")
        if simulated:
            _simulated_tag(ax)
        _pvalue_axis(ax2, x, res.p_value, int(res.n_scrambles), "scrambles", marker="o")
        ax2.set_ylabel("p-value")
        ax2.set_xlabel(r"threshold $\log_{10}(E_\mathrm{reco}/\mathrm{GeV})$")
        fig.tight_layout()
        return _finish(fig, path)


def dcf_plot(res, path=None, title: str | None = None, a: str = "a", b: str = "b"):
    """Discrete correlation function per lag bin with errors and the two lag estimates."""
    import matplotlib.pyplot as plt

    ok = np.asarray(res.n_pairs) > 0
    lag = np.asarray(res.lag, float)[ok]
    with use_style():
        fig, ax = plt.subplots(figsize=(8.5, 4.6))
        ax.errorbar(lag, np.asarray(res.dcf, float)[ok], np.asarray(res.error, float)[ok],
                    fmt="o", ms=4, color=COLORS["data"], label="DCF per lag bin")
        amp, mu, wid = res.gauss_params
        if np.all(np.isfinite([amp, mu, wid])) and wid > 0:
            xx = np.linspace(lag.min(), lag.max(), 600)
            ax.plot(xx, amp * np.exp(-0.5 * ((xx - mu) / wid) ** 2), color=COLORS["second"],
                    label=f"Gaussian fit: mean lag {res.lag_gauss:.1f} d")
        if np.isfinite(res.lag_max):
            ax.axvline(res.lag_max, color=COLORS["fit"], lw=1.4,
                       label=f"lag of the maximum: {res.lag_max:g} d")
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_xlabel(f"lag (days; positive: {b} lags {a})")
        ax.set_ylabel("DCF")
        ax.legend(fontsize=10, frameon=True, framealpha=0.9, edgecolor="none")
        if title:
            ax.set_title(title)
        fig.tight_layout()
        return _finish(fig, path)
