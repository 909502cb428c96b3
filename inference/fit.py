"""Bounded maximum-likelihood fits with multiple starts.

``TS = 2 [log L(best) - log L(ns = 0)]`` -- the kernel already returns the
log-likelihood ratio to the background-only hypothesis, so TS is twice the
maximum. ns is bounded below by the kernel's ``ns_min`` (0 by default), so
TS >= 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.results import Result
from scipy.optimize import minimize

from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup, MixtureLikelihood

__all__ = ["FitResult", "fit", "default_bounds", "as_likelihood"]


def _is_kernel(obj: Any) -> bool:
    """A likelihood kernel: MixtureLikelihood or any object with its evaluate interface
    (e.g. :class:`bayesnu.flare.likelihood.FlareLikelihood`)."""
    return isinstance(obj, MixtureLikelihood) or all(
        hasattr(obj, a) for a in ("param_names", "evaluate", "gamma_bounds"))


def as_likelihood(target: Any) -> tuple[MixtureLikelihood, dict]:
    """(kernel, priors) of a PointSourceModel, or (kernel, {}) of a kernel / set-up."""
    if isinstance(target, LikelihoodSetup):
        return target.likelihood(), {}
    if _is_kernel(target):
        return target, {}
    lik = getattr(target, "likelihood", None)
    if lik is not None and _is_kernel(lik):
        return lik, dict(getattr(target, "priors", {}) or {})
    raise InputError("expected a likelihood kernel (e.g. MixtureLikelihood) or a "
                     "PointSourceModel", column="target")


def default_bounds(likelihood: MixtureLikelihood, priors: Mapping | None = None,
                   bounds: Mapping[str, tuple[float, float]] | None = None
                   ) -> list[tuple[float, float]]:
    """Fit bounds per parameter: ns in [ns_min, ns_max], gamma in [1, 4] (within
    the spline grid), temporal parameters from their uniform priors or ``bounds``."""
    from bayesnu.likelihood.kernel import ns_upper_bound

    bounds = dict(bounds or {})
    priors = dict(priors or {})
    out = []
    glo, ghi = likelihood.gamma_bounds
    for p in likelihood.param_names:
        if p in bounds:
            b = tuple(float(x) for x in bounds[p])
        elif p == "ns":
            ns_max = getattr(likelihood, "ns_max", None)
            b = (likelihood.ns_min, ns_upper_bound(likelihood) if ns_max is None else ns_max)
        elif p == "gamma":
            b = (max(1.0, glo), min(4.0, ghi))
        elif p in priors and priors[p].kind in ("uniform", "loguniform"):
            b = (float(priors[p].lower), float(priors[p].upper))
        else:
            raise InputError(f"no fit bounds for parameter {p!r}; pass bounds={{{p!r}: (lo, hi)}}",
                             column=p)
        if not b[1] > b[0]:
            raise InputError(f"fit bounds of {p} must have lo < hi, got {b}", column=p)
        out.append(b)
    return out


@dataclass
class FitResult(Result):
    """Best fit of a likelihood.

    Attributes
    ----------
    params : dict
        Best-fit parameters (ns, gamma, ...), including fixed ones.
    ts : float
        2 [log L(best) - log L(ns=0)].
    logl : float
        log L(best) - log L(ns=0).
    success : bool
        The best start converged (optimiser status 0).
    status : int
        Optimiser status of the best start.
    message : str
        Optimiser message of the best start.
    nfev : int
        Likelihood evaluations over all starts.
    n_starts : int
    fixed : dict
        Parameters held fixed.
    bounds : dict
    """

    params: dict[str, float]
    ts: float
    logl: float
    success: bool
    status: int
    message: str
    nfev: int
    n_starts: int
    fixed: dict[str, float] = field(default_factory=dict)
    bounds: dict[str, list[float]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.params[key]

    @property
    def ns(self) -> float:
        return self.params["ns"]

    @property
    def gamma(self) -> float:
        return self.params["gamma"]


def _default_starts(bounds: list[tuple[float, float]], names: Sequence[str],
                    n_gamma: int) -> list[np.ndarray]:
    mid = [0.5 * (a + b) for a, b in bounds]
    starts = []
    glo, ghi = bounds[1]
    gs = np.linspace(glo, ghi, n_gamma + 2)[1:-1] if n_gamma > 1 else [min(max(2.2, glo), ghi)]
    ns0 = min(max(bounds[0][0], 3.0), bounds[0][1])
    for g in gs:
        x = np.array(mid, dtype=np.float64)
        x[0] = ns0
        x[1] = g
        starts.append(x)
    return starts


def fit(target: Any, starts: Sequence[Sequence[float]] | None = None,
        fixed: Mapping[str, float] | None = None,
        bounds: Mapping[str, tuple[float, float]] | None = None,
        n_gamma_starts: int = 3, tol: float = 1e-9) -> FitResult:
    """Maximise the likelihood within bounds from several starts.

    Parameters
    ----------
    target
        :class:`~bayesnu.models.pointsource.PointSourceModel` or
        :class:`~bayesnu.likelihood.MixtureLikelihood`.
    starts
        Start points (full parameter vectors); default ``n_gamma_starts``
        spectral indices spread over the gamma range with ns = 3 (other
        parameters at the middle of their bounds).
    fixed
        Parameters held at given values (e.g. for profiles).
    bounds
        Overrides of the default bounds (:func:`default_bounds`).
    n_gamma_starts
        Number of default starts.
    tol
        Optimiser tolerance on the objective.

    Returns
    -------
    FitResult
    """
    L, priors = as_likelihood(target)
    names = L.param_names
    fixed = {k: float(v) for k, v in (fixed or {}).items()}
    for k in fixed:
        if k not in names:
            raise InputError(f"cannot fix unknown parameter {k!r}; have {names}", column=k)
    bnds = default_bounds(L, priors, bounds)
    free = [i for i, p in enumerate(names) if p not in fixed]
    if starts is None:
        starts = _default_starts(bnds, names, n_gamma_starts)
    starts = [np.asarray(s, dtype=np.float64) for s in starts]
    full = np.zeros(len(names))
    for i, p in enumerate(names):
        if p in fixed:
            full[i] = fixed[p]
    nfev = 0

    def objective(x):
        nonlocal nfev
        nfev += 1
        q = full.copy()
        q[free] = x
        v, g = L.evaluate(q)
        if not np.isfinite(v):
            return 1e30, np.zeros(len(free))
        return -v, -g[free]

    best = None
    fb = [bnds[i] for i in free]
    if not free:
        v, _ = L.evaluate(full)
        return FitResult(params=dict(zip(names, map(float, full))), ts=2 * v, logl=v,
                         success=bool(np.isfinite(v)), status=0, message="all fixed", nfev=1,
                         n_starts=0, fixed=fixed, bounds={})
    for s in starts:
        x0 = np.clip(s[free], [b[0] for b in fb], [b[1] for b in fb])
        r = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=fb,
                     options={"ftol": tol, "gtol": 1e-7, "maxiter": 500})
        if best is None or r.fun < best.fun:
            best = r
    # the ns = 0 boundary (background only) is always a candidate
    if "ns" not in fixed:
        x0 = best.x.copy()
        x0[free.index(0)] = bnds[0][0]
        f0, _ = objective(x0)
        if f0 < best.fun:
            best.x, best.fun = x0, f0
    q = full.copy()
    q[free] = best.x
    logl = -float(best.fun)
    return FitResult(params=dict(zip(names, map(float, q))), ts=max(2.0 * logl, 0.0)
                     if L.ns_min >= 0 else 2.0 * logl, logl=logl,
                     success=bool(best.status == 0), status=int(best.status),
                     message=str(best.message), nfev=nfev, n_starts=len(starts), fixed=fixed,
                     bounds={p: list(b) for p, b in zip(names, bnds)})
