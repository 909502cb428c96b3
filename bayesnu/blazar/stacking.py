"""Stacking likelihood pieces for blazar groups, alert association densities, diffuse flux.

* :func:`group_likelihood` -- the package's stacking mixture likelihood
  (:class:`bayesnu.likelihood.LikelihoodSetup`) for a group with per-source
  weights ``"equal"``, ``"flux"`` (4FGL-DR2 1-100 GeV flux) or
  ``"lightcurve"``: every source emits in proportion to its gamma-ray light
  curve. For the last, the signal time PDF of source j is its light curve
  restricted to the sample's good runs, so each (event, source) pair's
  signal-over-background ratio gets the factor ``T_j(t_i) = F_j(t_i) / <F_j>``
  (``<F_j>`` the live-time mean of the curve; the background time PDF is uniform
  in live time) and the source weight is ``<F_j>``. The curve is a step
  function on its bins; times before the first bin or after the last take the
  nearest bin's flux (IC40 starts 120 d before the 4FGL-DR2 curves).
* :func:`lightcurve_fluxes` -- the group's yearly 4FGL-DR2 light curves from
  :func:`bayesnu.lightcurve.fermi_4fgl_dr2` (a function that can be swapped for
  any other light-curve source with the same return value).
* :func:`alert_densities` -- per-alert spatial densities for IceCat-1 alerts:
  under "from blazar j" a split-normal density in (RA cos dec, dec) with the
  90% rectangle half-widths divided by 2.146 (the 90% radius of a 2-D Gaussian)
  and under "isotropic" 1 / (4 pi) per steradian.
* :data:`DIFFUSE_NUMU` and :func:`diffuse_fraction` -- the 9.5-year diffuse
  muon-neutrino flux and the fraction of it that a group flux makes up.

Units: degrees, MJD, GeV^-1 cm^-2 s^-1 (at 100 TeV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bayesnu.blazar.groups import BlazarGroup
from bayesnu.data import Dataset, EventSample
from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup, MixtureLikelihood, SampleTerm

__all__ = ["DIFFUSE_NUMU", "CITE_DIFFUSE_NUMU", "diffuse_fraction", "WEIGHTINGS",
           "lightcurve_fluxes", "lightcurve_time_factors", "group_setup", "group_likelihood",
           "GroupLikelihood", "alert_densities", "SIGMA_PER_90", "StrengthKernel"]

CITE_DIFFUSE_NUMU = ("IceCube Collaboration (R. Abbasi et al.), 'Improved characterization of "
                     "the astrophysical muon-neutrino flux with 9.5 years of IceCube data', "
                     "ApJ 928 (2022) 50, arXiv:2111.10299")
#: 9.5-year diffuse numu flux (per flavour): phi(100 TeV) in GeV^-1 cm^-2 s^-1 sr^-1, index
DIFFUSE_NUMU = {"phi0_per_sr": 1.44e-18, "gamma": 2.37, "e0_gev": 1.0e5}
WEIGHTINGS = ("equal", "flux", "lightcurve")
#: 90%-containment radius of a 2-D Gaussian in units of sigma, sqrt(chi2_2(0.9))
SIGMA_PER_90 = float(np.sqrt(-2.0 * np.log(0.1)))


def diffuse_fraction(phi0: float | np.ndarray, e_gev: float = 1.0e5) -> np.ndarray:
    """Fraction of the all-sky 9.5-year diffuse numu flux that ``phi0`` makes up at ``e_gev``.

    Parameters
    ----------
    phi0
        Total (sky-integrated) flux of the group at ``e_gev``, GeV^-1 cm^-2 s^-1.
    e_gev
        Energy of the comparison (default 100 TeV, the pivot of both fluxes).

    Returns
    -------
    ndarray
        ``phi0 / (4 pi * phi_diffuse(e_gev))``.
    """
    d = DIFFUSE_NUMU
    diff = 4.0 * np.pi * d["phi0_per_sr"] * (e_gev / d["e0_gev"]) ** (-d["gamma"])
    return np.asarray(phi0, dtype=np.float64) / diff


def lightcurve_fluxes(group: BlazarGroup) -> tuple[np.ndarray, np.ndarray]:
    """Yearly 4FGL-DR2 light curves of the group's sources.

    Returns
    -------
    edges : ndarray (n_bins + 1,)
        Bin edges, MJD.
    flux : ndarray (n_sources, n_bins)
        1-100 GeV photon flux (ph cm^-2 s^-1); bins given as upper limits keep
        the catalogue value; values <= 0 or NaN are set to 1% of the source's
        largest flux (a light curve must stay positive to be a time PDF).
    """
    from bayesnu.blazar.groups import fgl_table
    from bayesnu.lightcurve import fermi_4fgl_dr2

    lcs = fermi_4fgl_dr2()
    names = fgl_table()["name"]
    rows = []
    for n, r in zip(group.names, group.fgl_row):
        if r < 0:
            raise InputError(f"source {n} of group {group.name} has no 4FGL-DR2 light curve; "
                             "use weights 'equal' or 'flux'", column="weights")
        rows.append(lcs.index(str(names[r])))
    f = np.array(lcs.flux[np.array(rows)], dtype=np.float64)
    for j in range(f.shape[0]):
        good = np.isfinite(f[j]) & (f[j] > 0)
        floor = 0.01 * (f[j][good].max() if good.any() else 1.0)
        f[j] = np.where(good, f[j], floor)
    return np.asarray(lcs.edges, dtype=np.float64), f


def _bin_of(edges: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, t, side="right") - 1, 0, edges.size - 2)


def lightcurve_time_factors(edges: np.ndarray, flux: np.ndarray,
                            intervals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Live-time mean flux per source and the per-bin time factor F_jb / <F_j>.

    Parameters
    ----------
    edges, flux
        Step light curves (MJD edges; (n_sources, n_bins) fluxes).
    intervals
        Good-run intervals (n, 2), MJD.

    Returns
    -------
    mean_flux : ndarray (n_sources,)
        Live-time weighted mean flux.
    factor : ndarray (n_sources, n_bins)
        ``flux / mean_flux``.
    """
    iv = np.asarray(intervals, dtype=np.float64)
    ext = edges.copy()
    ext[0], ext[-1] = -np.inf, np.inf  # outer bins extend to cover all live time
    live = np.zeros(edges.size - 1)
    for b in range(live.size):
        lo = np.maximum(iv[:, 0], ext[b])
        hi = np.minimum(iv[:, 1], ext[b + 1])
        live[b] = np.clip(hi - lo, 0.0, None).sum()
    if live.sum() <= 0:
        raise InputError("the sample has no live time", column="uptime")
    mean = flux @ live / live.sum()
    return mean, flux / mean[:, None]


@dataclass
class GroupLikelihood:
    """A group's stacking likelihood on one data set.

    Attributes
    ----------
    setup : LikelihoodSetup
        Parameter-independent set-up (sources with their weights).
    likelihood : MixtureLikelihood
        The kernel (with light-curve time factors when ``weighting == "lightcurve"``).
    weighting : str
    weights : ndarray
        Relative source weights (normalised to sum 1).
    n_events : int
        Events in the data set (all samples); the signal fraction is ns / n_events.
    """

    setup: LikelihoodSetup
    likelihood: MixtureLikelihood
    weighting: str
    weights: np.ndarray
    n_events: int

    def flux_per_ns(self, gamma: float) -> float:
        """Total group flux at 100 TeV (GeV^-1 cm^-2 s^-1) per expected signal event."""
        return self.setup.flux_per_ns(gamma)


def _samples(data: Dataset | EventSample | Sequence[EventSample]) -> list[EventSample]:
    if isinstance(data, Dataset):
        return list(data.samples)
    if isinstance(data, EventSample):
        return [data]
    return list(data)


def group_setup(data: Dataset | EventSample | Sequence[EventSample], group: BlazarGroup,
                weighting: str = "equal", **kwargs) -> tuple[LikelihoodSetup, np.ndarray, dict]:
    """Likelihood set-up of a group: sources with weights; light-curve factors if asked.

    Returns ``(setup, weights, lc)`` with ``lc`` holding ``edges`` and per-sample
    ``factor`` arrays for the light-curve weighting (empty otherwise).
    """
    if weighting not in WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; use {', '.join(WEIGHTINGS)}",
                         column="weights")
    samples = _samples(data)
    lc: dict = {}
    if weighting == "lightcurve":
        edges, flux = lightcurve_fluxes(group)
        iv = np.concatenate([s.uptime.intervals for s in samples if s.uptime is not None])
        w, _ = lightcurve_time_factors(edges, flux, iv)
        lc = {"edges": edges,
              "factor": [lightcurve_time_factors(edges, flux, s.uptime.intervals)[1]
                         * 1.0 for s in samples]}
        # per-sample factors normalised to the sample's own live time; the weight
        # is the mean over all samples' live time
    else:
        w = group.weights(weighting)
    setup = LikelihoodSetup(samples, group.sources(w), **kwargs)
    return setup, w / w.sum(), lc


def _with_time_factors(setup: LikelihoodSetup, lc: dict, events=None) -> MixtureLikelihood:
    terms = []
    for k, st in enumerate(setup.setups):
        ev = st.sample if events is None or events[k] is None else events[k]
        t = st.term(ev)
        times = ev.time[t.roi_index[t.event]]
        fac = lc["factor"][k][t.source, _bin_of(lc["edges"], times)]
        terms.append(SampleTerm(name=t.name, n_total=t.n_total, n_roi=t.n_roi, event=t.event,
                                source=t.source, spatial=t.spatial * fac, cells=t.cells,
                                energy=t.energy, roi_index=t.roi_index))
    return MixtureLikelihood(terms, setup.log_acceptance, setup.weights, ns_min=setup.ns_min)


def group_likelihood(data: Dataset | EventSample | Sequence[EventSample], group: BlazarGroup,
                     weighting: str = "equal", **kwargs) -> GroupLikelihood:
    """The stacking likelihood of ``group`` on ``data`` (see the module docstring).

    Parameters
    ----------
    data
        One release (its samples are fitted jointly; do not mix releases).
    group
        The blazars.
    weighting
        ``"equal"``, ``"flux"`` or ``"lightcurve"``.
    **kwargs
        Passed to :class:`~bayesnu.likelihood.LikelihoodSetup` (``spatial``, ``roi_eps``...).
    """
    setup, w, lc = group_setup(data, group, weighting, **kwargs)
    L = _with_time_factors(setup, lc) if lc else setup.likelihood()
    return GroupLikelihood(setup, L, weighting, w, setup.n_total)


def alert_densities(ra: np.ndarray, dec: np.ndarray, err: dict[str, np.ndarray],
                    src_ra: np.ndarray, src_dec: np.ndarray) -> np.ndarray:
    """Density (per steradian) of each alert's direction if it came from each source.

    Parameters
    ----------
    ra, dec
        Alert best-fit directions, deg.
    err
        90% half-widths, deg: ``ra_plus``, ``ra_minus`` (in RA, multiplied by
        cos dec here) and ``dec_plus``, ``dec_minus``; all must be > 0.
    src_ra, src_dec
        Source positions, deg.

    Returns
    -------
    ndarray (n_alerts, n_sources)
        Split-normal density of the offset source - alert in the tangent plane,
        per steradian (the source is the true direction; the reconstruction
        scatters around it with the alert's uncertainty).
    """
    for k in ("ra_plus", "ra_minus", "dec_plus", "dec_minus"):
        v = np.asarray(err[k], dtype=np.float64)
        bad = ~(np.isfinite(v) & (v > 0))
        if bad.any():
            raise InputError(f"alert {int(np.flatnonzero(bad)[0])} has no error region "
                             f"({k} = {v[bad][0]})", column=k)
    ra = np.radians(np.asarray(ra, float))[:, None]
    dec = np.radians(np.asarray(dec, float))[:, None]
    sra = np.radians(np.asarray(src_ra, float))[None, :]
    sdec = np.radians(np.asarray(src_dec, float))[None, :]
    # gnomonic offsets of the source from the alert
    cosc = np.sin(dec) * np.sin(sdec) + np.cos(dec) * np.cos(sdec) * np.cos(sra - ra)
    ok = cosc > 0.2  # farther than ~78 deg: density 0
    cc = np.where(ok, cosc, 1.0)
    x = np.cos(sdec) * np.sin(sra - ra) / cc
    y = (np.cos(dec) * np.sin(sdec) - np.sin(dec) * np.cos(sdec) * np.cos(sra - ra)) / cc
    cd = np.cos(dec)
    s = {k: np.radians(np.asarray(err[k], float))[:, None] / SIGMA_PER_90
         for k in ("ra_plus", "ra_minus", "dec_plus", "dec_minus")}
    sxp, sxm = s["ra_plus"] * cd, s["ra_minus"] * cd
    sx = np.where(x >= 0, sxp, sxm)
    sy = np.where(y >= 0, s["dec_plus"], s["dec_minus"])
    norm = (2.0 / np.pi) / ((sxp + sxm) * (s["dec_plus"] + s["dec_minus"]))
    dens = norm * np.exp(-0.5 * ((x / sx) ** 2 + (y / sy) ** 2))
    return np.where(ok, dens, 0.0)


class StrengthKernel:
    """Stacking likelihood with free per-source log-strengths (hierarchical models).

    Source j's share of the expected signal in sample k is
    ``F_kj = W_j exp(u_j) a_kj(gamma) / sum_{k'j'} W_j' exp(u_j') a_k'j'(gamma)``
    (``W_j`` the likelihood's fixed weights); with ``u = 0`` this is exactly
    :class:`~bayesnu.likelihood.MixtureLikelihood`'s value, which the tests
    check. :meth:`evaluate` returns ``log L - log L(ns=0)`` and its gradient in
    ``(ns, gamma, u_1..u_J)``; -inf (zero gradient) outside the support.

    Parameters
    ----------
    likelihood
        A time-independent stacking kernel (its terms, acceptance and weights
        are used; per-pair factors such as light-curve weights are kept).
    """

    def __init__(self, likelihood: MixtureLikelihood) -> None:
        if likelihood.n_theta:
            raise InputError("per-source strengths need a time-independent kernel "
                             "(fold time factors into the pairs)", column="weights")
        self.likelihood = likelihood
        self.J = likelihood.n_sources
        self.K = likelihood.n_samples
        self.terms = likelihood.terms
        self.log_w = likelihood.log_w
        self.gamma_bounds = likelihood.gamma_bounds
        self.ns_min = likelihood.ns_min
        self.n_params = 2 + self.J

    def evaluate(self, ns: float, gamma: float, u: np.ndarray) -> tuple[float, np.ndarray]:
        """Value and gradient (length 2 + J) at ``(ns, gamma, u)``."""
        J, K = self.J, self.K
        u = np.asarray(u, dtype=np.float64)
        grad = np.zeros(2 + J)
        if (u.shape != (J,) or not np.all(np.isfinite(u)) or not np.isfinite(ns)
                or ns < self.ns_min or not (self.gamma_bounds[0] <= gamma
                                            <= self.gamma_bounds[1])):
            return -np.inf, grad
        la, dla = self.likelihood.log_acc(gamma)
        la = la.reshape(K, J) + (self.log_w + u)[None, :]
        dla = dla.reshape(K, J)
        mx = np.max(la)
        if not np.isfinite(mx):
            return -np.inf, grad
        v = np.exp(la - mx)
        F = v / v.sum()                                   # (K, J)
        dF = F * (dla - np.sum(F * dla))                  # d/dgamma
        Fj = F.sum(axis=0)                                # (J,)
        Fk = F.sum(axis=1)                                # (K,)
        dFk = dF.sum(axis=1)
        total = 0.0
        g_ns = g_g = 0.0
        g_u = np.zeros(J)
        for k, t in enumerate(self.terms):
            lr, dlr = t.energy(gamma, index=t.cells)
            x = t.spatial * np.exp(lr)
            fx = F[k, t.source] * x
            Z = np.bincount(t.event, weights=fx, minlength=t.n_roi)
            dZ = np.bincount(t.event, weights=dF[k, t.source] * x + fx * dlr, minlength=t.n_roi)
            N = float(t.n_total)
            uu = Z - Fk[k]
            den = N + ns * uu
            m = float(t.n_total - t.n_roi)
            rd = N - ns * Fk[k]
            if np.any(den <= 0) or (m > 0 and rd <= 0):
                return -np.inf, np.zeros(2 + J)
            q = 1.0 / den
            total += float(np.sum(np.log1p(ns * uu / N)))
            g_ns += float(np.sum(uu * q))
            g_g += float(ns * np.sum((dZ - dFk[k]) * q))
            # d ell_i / du_j = ns (F_kj X_ij - F_kj - Fj (Z_i - F_k)) / den_i
            g_u += ns * np.bincount(t.source, weights=fx * q[t.event], minlength=J)
            g_u -= ns * F[k] * q.sum()
            g_u -= ns * Fj * float(np.sum(uu * q))
            if m > 0:
                total += m * np.log1p(-ns * Fk[k] / N)
                g_ns += -m * Fk[k] / rd
                g_g += -m * ns * dFk[k] / rd
                g_u += -m * ns * (F[k] - Fk[k] * Fj) / rd
        grad[0], grad[1], grad[2:] = g_ns, g_g, g_u
        return float(total), grad

    def event_terms(self, gamma: float, u: np.ndarray | None = None
                    ) -> list[tuple[np.ndarray, float, float, float]]:
        """Per sample ``(Z_i - F_k, N_k, m_k, F_k)`` at ``gamma`` (``u = 0`` by default).

        ``log L - log L(0) = sum_k [sum_i log(1 + ns (Z_i - F_k) / N_k)
        + m_k log(1 - ns F_k / N_k)]`` (m_k events outside the ROI), so a whole
        grid of ns costs one pass over the pairs (used by grid posteriors).
        """
        J, K = self.J, self.K
        u = np.zeros(J) if u is None else np.asarray(u, dtype=np.float64)
        la, _ = self.likelihood.log_acc(gamma)
        la = la.reshape(K, J) + (self.log_w + u)[None, :]
        v = np.exp(la - np.max(la))
        F = v / v.sum()
        out = []
        for k, t in enumerate(self.terms):
            lr, _ = t.energy(gamma, index=t.cells)
            fx = F[k, t.source] * t.spatial * np.exp(lr)
            Z = np.bincount(t.event, weights=fx, minlength=t.n_roi)
            Fk = float(F[k].sum())
            out.append((Z - Fk, float(t.n_total), float(t.n_total - t.n_roi), Fk))
        return out

    def loglike_ns_grid(self, ns: np.ndarray, gamma: float,
                        u: np.ndarray | None = None) -> np.ndarray:
        """``log L - log L(0)`` on a grid of ns at one gamma (-inf where undefined)."""
        ns = np.asarray(ns, dtype=np.float64)
        tot = np.zeros(ns.size)
        for uu, N, m, Fk in self.event_terms(gamma, u):
            den = 1.0 + ns[:, None] * uu[None, :] / N
            with np.errstate(divide="ignore", invalid="ignore"):
                tot += np.where(np.all(den > 0, axis=1),
                                np.sum(np.log(np.where(den > 0, den, 1.0)), axis=1), -np.inf)
                if m > 0:
                    r = 1.0 - ns * Fk / N
                    tot += np.where(r > 0, m * np.log(np.where(r > 0, r, 1.0)), -np.inf)
        return tot
