"""One plot style for every figure bayesnu draws.

Every plotting function in :mod:`bayesnu.inference.plots` (and the demo, the
scan maps and the sensitivity curves) draws inside :func:`use_style`, labels
its axes with :func:`label` (name **and unit**), and writes with
:func:`save_figure` (atomic: temporary file in the same folder, then
``os.replace``). The sizes are chosen so that a 1-column figure stays
readable when put on a slide (tick labels >= 11 pt, axis labels 13 pt,
titles 14 pt at 150 dpi).

Conventions
-----------
* Times are MJD; on axes with a span of weeks to years they are shown as an
  offset from a round reference MJD (``T0 - 57000 (d)``), never as six-digit
  tick strings that run into each other (:func:`mjd_reference`).
* Profile-likelihood thresholds are Wilks' chi-square (1 dof) values,
  :data:`WILKS_LEVELS`: Delta TS = 1.00 (68.3%), 2.71 (90%), 3.84 (95%).
* Credible regions in corner plots are highest-density regions at
  :data:`CREDIBLE_LEVELS` (68% and 95%).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["RC", "LABELS", "WILKS_LEVELS", "CREDIBLE_LEVELS", "COLORS", "use_style", "styled",
           "label", "save_figure", "mjd_reference", "short_number"]

#: matplotlib rc settings of every bayesnu figure
RC: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10.5,
    "legend.frameon": False,
    "figure.titlesize": 14,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "lines.markersize": 6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-4, 5),
    "image.cmap": "viridis",
}

#: axis labels with units, by the parameter names used across bayesnu
LABELS: dict[str, str] = {
    "ns": r"$n_s$ (signal events)",
    "gamma": r"spectral index $\gamma$",
    "t0": r"$T_0$ (MJD)",
    "sigma_t": r"$\sigma_t$ (days)",
    "log10_sigma_t": r"$\log_{10}(\sigma_t$ / day)",
    "t_start": "box start (MJD)",
    "t_stop": "box stop (MJD)",
    "ra": "right ascension (deg)",
    "dec": "declination (deg)",
    "ts": "TS",
    "delta_ts": r"$\Delta$TS",
    "time": "time (MJD)",
    "p_local": "local p-value",
    "eta": r"C$\nu$B overdensity $\eta$",
    "log10_eta": r"$\log_{10}\eta$",
    "g": r"coupling $g_{\tau\tau}$",
    "mphi_mev": r"mediator mass $m_\phi$ (MeV)",
    "fluence": r"$E_0^2\,F$ at 100 TeV (GeV cm$^{-2}$)",
    "flux": r"$\phi$(100 TeV) (GeV$^{-1}$ cm$^{-2}$ s$^{-1}$)",
}

#: Wilks thresholds of a 1-dof profile: (confidence level, Delta TS)
WILKS_LEVELS: tuple[tuple[float, float], ...] = ((0.6827, 1.0), (0.90, 2.706), (0.95, 3.841))

#: credible (highest-density) levels drawn as contours in corner plots
CREDIBLE_LEVELS: tuple[float, ...] = (0.68, 0.95)

#: colours: data/posterior, best fit, published / reference, secondary
COLORS = {"data": "#1f4e79", "fit": "#c0392b", "reference": "#555555", "second": "#e67e22",
          "band": "#7fb3d5"}


@contextlib.contextmanager
def use_style() -> Iterator[None]:
    """Context manager: matplotlib with the Agg backend and bayesnu's rc settings.

    Does not change the caller's global matplotlib state outside the block.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo"):
        with contextlib.suppress(Exception):
            matplotlib.use("Agg")
    with matplotlib.rc_context(RC):
        yield


def styled(func):
    """Decorator: run a plotting function inside :func:`use_style`.

    Lets an existing plotting function adopt the shared style with one line::

        @styled
        def plot_rt(res, path): ...
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with use_style():
            return func(*args, **kwargs)

    return wrapper


def label(name: str, offset_mjd: float | None = None) -> str:
    """Axis label with its unit for a parameter name.

    Parameters
    ----------
    name : str
        Parameter name (``ns``, ``gamma``, ``t0``, ``sigma_t``, ...); unknown
        names are returned unchanged.
    offset_mjd : float, optional
        For time parameters plotted as offsets: the reference MJD, giving
        e.g. ``T0 - 57000 (days)``.
    """
    if offset_mjd is not None:
        base = {"t0": r"$T_0$", "time": "time", "t_start": "box start",
                "t_stop": "box stop"}.get(name, name)
        return f"{base} $-$ MJD {offset_mjd:.0f} (days)"
    return LABELS.get(name, name)


def mjd_reference(values) -> float:
    """A round MJD (multiple of 100) near the middle of ``values``, for offset axes."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0
    return float(np.round(np.median(v) / 100.0) * 100.0)


def short_number(x: float, digits: int = 3) -> str:
    """Compact number for colour bars and tables: ``12.3``, ``0.0103``, ``1.2e-07``."""
    import math

    if x is None or not math.isfinite(float(x)):
        return "n/a"
    x = float(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 1, 1)}e}".replace("e-0", "e-").replace("e+0", "e")


def save_figure(fig, path: str | os.PathLike, close: bool = True) -> str:
    """Write ``fig`` to ``path`` atomically and return the path as a string.

    The image is written to a temporary file in the same folder and renamed
    over ``path`` when complete, so an interrupted run never leaves a partial
    image. The format follows the suffix (``.png``, ``.pdf``, ``.svg``).
    """
    import matplotlib.pyplot as plt

    from bayesnu.atomic import savefig

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        savefig(fig, p)  # the one atomic writer (temporary file in the folder, os.replace)
    finally:
        if close:
            plt.close(fig)
    return str(p)
