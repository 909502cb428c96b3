"""MCMC diagnostics (R-hat, effective sample size, divergences) with warnings."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["DiagnosticWarning", "diagnose"]


class DiagnosticWarning(UserWarning):
    """A posterior sample failed a convergence check."""


def diagnose(idata, var_names: Sequence[str] | None = None, rhat_max: float = 1.01,
             ess_min: float = 400.0, warn: bool = True) -> dict[str, Any]:
    """R-hat (rank-normalised), bulk/tail ESS and divergences of a posterior.

    Parameters
    ----------
    idata
        ArviZ InferenceData with a ``posterior`` group (and ``sample_stats``).
    var_names
        Variables to check (default: all posterior variables).
    rhat_max, ess_min
        Thresholds; a failing variable triggers a :class:`DiagnosticWarning`.
    warn
        Emit warnings (else only report).

    Returns
    -------
    dict
        ``{"rhat": {var: value}, "ess_bulk": {...}, "ess_tail": {...},
        "divergences": int, "n_draws": int, "n_chains": int, "ok": bool,
        "problems": [str]}``.
    """
    import arviz as az

    post = idata.posterior
    names = list(var_names) if var_names is not None else [
        v for v in post.data_vars if post[v].ndim == 2]
    rhat = az.rhat(post, var_names=names)
    essb = az.ess(post, var_names=names, method="bulk")
    esst = az.ess(post, var_names=names, method="tail")
    out: dict[str, Any] = {"rhat": {}, "ess_bulk": {}, "ess_tail": {}, "problems": []}
    for v in names:
        r = float(np.max(rhat[v].values))
        b = float(np.min(essb[v].values))
        t = float(np.min(esst[v].values))
        out["rhat"][v], out["ess_bulk"][v], out["ess_tail"][v] = r, b, t
        if not np.isfinite(r) or r > rhat_max:
            out["problems"].append(f"R-hat of {v} is {r:.3f} > {rhat_max}")
        if not np.isfinite(b) or b < ess_min:
            out["problems"].append(f"bulk ESS of {v} is {b:.0f} < {ess_min:.0f}")
        if not np.isfinite(t) or t < ess_min:
            out["problems"].append(f"tail ESS of {v} is {t:.0f} < {ess_min:.0f}")
    div = 0
    if hasattr(idata, "sample_stats") and "diverging" in idata.sample_stats:
        div = int(idata.sample_stats["diverging"].values.sum())
    out["divergences"] = div
    if div:
        out["problems"].append(f"{div} divergent transitions")
    out["n_chains"] = int(post.sizes["chain"])
    out["n_draws"] = int(post.sizes["draw"])
    out["ok"] = not out["problems"]
    if warn:
        for p in out["problems"]:
            warnings.warn(p, DiagnosticWarning, stacklevel=2)
    return out
