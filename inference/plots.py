"""Plots: trace, pair/corner, TS profile, and posterior vs profile-likelihood overlay."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from scipy.stats import chi2

__all__ = ["trace_plot", "pair_plot", "profile_plot", "overlay_plot"]


def _save(fig, path):
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110, bbox_inches="tight")
    return fig


def trace_plot(idata, var_names: Sequence[str] | None = None, path=None):
    """ArviZ trace plot (marginals and chains)."""
    import arviz as az
    import matplotlib.pyplot as plt

    axes = az.plot_trace(idata, var_names=var_names, compact=True)
    fig = np.atleast_2d(axes)[0, 0].figure
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return fig


def pair_plot(idata, var_names: Sequence[str] | None = None, path=None, truths=None):
    """Corner-style pair plot (KDE + marginals) of the posterior."""
    import arviz as az
    import matplotlib.pyplot as plt

    axes = az.plot_pair(idata, var_names=var_names, kind="kde", marginals=True,
                        reference_values=truths)
    fig = np.atleast_2d(axes)[0, 0].figure
    _save(fig, path)
    plt.close(fig)
    return fig


def profile_plot(prof, path=None, cls: Sequence[float] = (0.68, 0.9)):
    """Delta-TS profile with the Wilks thresholds and intervals."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    x, d = np.asarray(prof.values), np.asarray(prof.delta_ts)
    ax.plot(x, d, "k-")
    for cl, c in zip(cls, ("C0", "C1")):
        thr = chi2.ppf(cl, 1)
        ax.axhline(thr, color=c, ls="--", lw=1, label=f"{cl:.0%} (Wilks)")
        key = f"{cl:g}"
        if key in prof.intervals:
            lo, hi = prof.intervals[key][:2]
            ax.axvspan(lo, hi, color=c, alpha=0.12)
    ax.set_xlabel(prof.param)
    ax.set_ylabel(r"$\Delta$TS")
    ax.set_ylim(0, max(6.0, min(np.nanmax(d), 20)))
    ax.legend(frameon=False)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return fig


def overlay_plot(idata, prof, var_name: str | None = None, path=None):
    """Posterior marginal (histogram) against the normalised profile likelihood exp(-dTS/2)."""
    import matplotlib.pyplot as plt

    v = var_name or prof.param
    x = idata.posterior[v].values.ravel()
    grid, d = np.asarray(prof.values), np.asarray(prof.delta_ts)
    like = np.exp(-0.5 * d)
    area = np.trapezoid(like, grid)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(x, bins=50, density=True, histtype="stepfilled", alpha=0.4, label="posterior")
    if area > 0:
        ax.plot(grid, like / area, "k-", label="profile likelihood (normalised)")
    ax.set_xlabel(v)
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return fig
