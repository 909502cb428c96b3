"""Cosmic-neutrino-background (CnuB) overdensity: profile-likelihood TS(eta) and limits.

Test statistic of Franklin, Martinez-Soler, Perez-Gonzalez & Turner, "Probing the Cosmic
Neutrino Background and New Physics with TeV-Scale Astrophysical Neutrinos" (sec. V)::

    TS(eta) = -2 [ log L(eta; ns, gamma profiled) - log L0 ],

with ``L0`` the best-fit power law without interactions (eta = 0). ns and gamma
are profiled at every eta with :func:`bayesnu.likelihood.trial.fast_fit` on the
kernel whose signal energy PDF is the propagated spectrum
(:class:`bayesnu.ops.spectrum.CnbSource`), tabulated on a gamma grid of step 0.1
(cubic spline in gamma). ``L0`` uses the same machinery with a transport ratio of
exactly 1, so TS(eta -> 0) = 0 exactly.

Upper limits use Wilks' theorem with one parameter: the smallest eta above the
best fit where TS reaches 2.71 (90% CL) or 3.84 (95% CL), by linear interpolation
in log10 eta on the profile grid. This is the papers' convention and the default: the
thresholds are the *two-sided* chi2_1 quantiles applied to a one-sided limit (and to TS
relative to the power law, not to the best fit), so its asymptotic coverage is 95% for the
"90%" limit; pseudo-experiments confirm the over-coverage (:mod:`inference.cnb_coverage`).
``convention="one-sided"`` gives the limit with nominal coverage: TS - min TS >= 1.642
(90%) or 2.706 (95%), :func:`limit_threshold`. TS can be (slightly) negative; it is not clipped.
At large eta the signal is absorbed, the fit becomes background only and TS reaches
a plateau ``TS_inf = TS_PL`` (the power-law discovery TS); if that plateau lies
below the threshold no eta can be excluded and the limit is ``inf``.

For constant density without redshift the propagated flux depends on eta x d_eff
only, so the limits of two distances scale exactly with the distance ratio when
their eta grids are shifted by it (:func:`eta_grid_for_column`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesnu.errors import InputError
from bayesnu.likelihood.trial import fast_fit
from bayesnu.ops.spectrum import CnbSource, eta_chunk, eta_ratio_table, transport_ratio

__all__ = ["WILKS_1DOF", "WILKS_2DOF", "EtaProfile", "eta_profile", "eta_ratio_table", "upper_limit",
           "combine_profiles", "eta_grid_for_column", "cnb_geometry", "cnb_propagator",
           "cnb_source", "column_mpc", "M1_SCENARIOS", "PAPER_BEST_FITS", "PROFILE_TOL",
           "LIMIT_CONVENTIONS", "limit_threshold"]

#: lightest-mass scenarios (normal ordering, NuFIT 2022 splittings), eV: m1 = 0.001 (nu1 still
#: non-relativistic), 0.0342 (sum of masses 0.13 eV, the cosmological bound) and 0.8
#: (KATRIN-like bound on the effective electron-neutrino mass)
M1_SCENARIOS = (0.001, 0.0342, 0.8)

#: best fits without interactions of the IceCube 2012-2018 tracks used by Franklin et al.
#: (their Table 1): ns, gamma
PAPER_BEST_FITS = {"NGC 1068": (56.5, 3.15), "PKS 1424+240": (48.7, 3.86),
                   "TXS 0506+056": (14.5, 2.17)}

#: relative rounding tolerance of the eigen transport solution in profiles (the fallback to
#: the implicit stepper costs 100x; 1e-4 relative is far below the likelihood's sensitivity)
PROFILE_TOL = 1e-4

_MPC_CM = 3.0856775814913673e24

#: Wilks thresholds, one parameter (eta): CL -> Delta TS
WILKS_1DOF = {0.9: 2.705543454095404, 0.95: 3.841458820694124}
#: Wilks thresholds, two parameters (m_phi, g): 2 sigma (95.45%) -> 6.18
WILKS_2DOF = {0.9545: 6.180074306244173}


#: conventions of the upper limit on eta (:func:`upper_limit`)
LIMIT_CONVENTIONS = ("paper", "one-sided")


def limit_threshold(cl: float = 0.9, convention: str = "paper") -> float:
    """Delta TS threshold of an upper limit at confidence level ``cl``.

    ``"paper"`` (default, Franklin et al.'s convention, kept for comparability): the
    two-sided Wilks value chi2_1 quantile ``cl`` (2.706 at 90%, 3.841 at 95%) applied to
    TS(eta) relative to the best power law without interactions. Read as an upper limit
    this is one-sided, so asymptotically its coverage is (1 + cl) / 2 (95% for "90%").
    ``"one-sided"``: the chi2_1 quantile ``2 cl - 1`` (1.642 at 90%, 2.706 at 95%) applied
    to TS(eta) - min TS (the minimum over the curve and eta = 0), the one-sided profile
    likelihood limit, whose asymptotic coverage is ``cl``.
    """
    from scipy.stats import chi2

    if not 0.0 < cl < 1.0:
        raise InputError(f"confidence level must be in (0, 1), got {cl}", column="cl")
    if convention not in LIMIT_CONVENTIONS:
        raise InputError(f"limit convention must be one of {', '.join(LIMIT_CONVENTIONS)}, "
                         f"got {convention!r}", column="convention")
    if convention == "one-sided":
        if cl <= 0.5:
            raise InputError(f"a one-sided limit needs cl > 0.5, got {cl}", column="cl")
        return float(chi2.ppf(2.0 * cl - 1.0, 1))
    return float(chi2.ppf(cl, 1))


def upper_limit(log10_eta: np.ndarray, ts: np.ndarray, cl: float = 0.9,
                convention: str = "paper", absorbed: np.ndarray | None = None) -> float:
    """Upper limit on eta from a TS(eta) curve; ``inf`` if never excluded.

    The limit is the first crossing of the threshold (:func:`limit_threshold`) above the
    curve's minimum, interpolated linearly in log10 eta. ``convention="paper"`` (default):
    TS relative to the power law >= chi2_1(cl) (2.71 at 90%; covers ~95% asymptotically);
    ``"one-sided"``: TS - min(0, min TS) >= chi2_1(2 cl - 1) (1.64 at 90%; covers ~90%).

    ``absorbed`` (bool per point, optional): points where every spectral index keeps less
    than :data:`bayesnu.ops.spectrum.T_MIN` of its expected signal events. There the
    events-normalised shape test no longer tests a spectrum (only the lowest transport bin
    survives, then the transport's floor switches the signal off and TS jumps to the
    power-law TS); such points are left out, so a curve that crosses the threshold only
    there gives ``inf`` ("not excluded below the all-absorbed overdensity").
    """
    x = np.asarray(log10_eta, dtype=np.float64)
    y = np.asarray(ts, dtype=np.float64)
    if x.shape != y.shape or x.size < 2 or np.any(np.diff(x) <= 0):
        raise InputError("TS curve needs increasing log10 eta values", column="log10_eta")
    if not np.all(np.isfinite(y)):
        raise InputError("TS curve contains non-finite values", column="ts")
    if absorbed is not None:
        keep = ~np.asarray(absorbed, dtype=bool)
        if keep.shape != x.shape:
            raise InputError("absorbed mask does not match the TS curve", column="absorbed")
        if keep.sum() == 0:
            return float("inf")
        x, y = x[keep], y[keep]
    thr = limit_threshold(cl, convention)
    if convention == "one-sided":
        y = y - min(0.0, float(y.min()))
    i0 = int(np.argmin(y))
    above = np.flatnonzero(y[i0:] >= thr)
    if above.size == 0:
        return float("inf")
    k = i0 + int(above[0])
    if k == 0:
        return float(10.0 ** x[0])
    x0, x1, y0, y1 = x[k - 1], x[k], y[k - 1], y[k]
    t = (thr - y0) / (y1 - y0) if y1 != y0 else 0.0
    return float(10.0 ** (x0 + t * (x1 - x0)))


@dataclass
class EtaProfile:
    """TS(eta) of one source (or the sum over sources) with ns and gamma profiled.

    Attributes
    ----------
    log10_eta, ts
        The curve (TS relative to the best power law without interactions).
    ns, gamma
        Profiled values at each eta (NaN-free; for a sum of sources, per-source lists).
    ts_pl, ns_pl, gamma_pl
        Power-law fit without interactions: its discovery TS (2 log L0/L(ns=0)) and
        best fit.
    meta
        Source, geometry, masses, data and timing.
    absorbed
        Per eta, True where every spectral index keeps less than ``T_MIN`` = 1e-20 of its
        expected signal events (:func:`upper_limit` ignores these points); None if unknown.
    """

    log10_eta: np.ndarray
    ts: np.ndarray
    ns: np.ndarray
    gamma: np.ndarray
    ts_pl: float
    ns_pl: float
    gamma_pl: float
    meta: dict[str, Any] = field(default_factory=dict)
    absorbed: np.ndarray | None = None

    def limit(self, cl: float = 0.9, convention: str = "paper") -> float:
        return upper_limit(self.log10_eta, self.ts, cl, convention, self.absorbed)

    @property
    def eta_absorbed(self) -> float | None:
        """Smallest eta of the grid flagged as all-absorbed (None if none or unknown)."""
        if self.absorbed is None or not np.any(self.absorbed):
            return None
        return float(10.0 ** self.log10_eta[np.flatnonzero(self.absorbed)[0]])

    def to_dict(self) -> dict[str, Any]:
        return {"ts_curve": {"log10_eta": self.log10_eta.tolist(), "ts": self.ts.tolist()},
                "eta_absorbed": self.eta_absorbed,
                "absorbed_note": "limits ignore the points at or above eta_absorbed, where every "
                                 "spectral index keeps < 1e-20 of its signal events (the shape "
                                 "test no longer tests a spectrum); a curve crossing the "
                                 "threshold only there gives no limit (null)",
                "ns": np.asarray(self.ns).tolist(), "gamma": np.asarray(self.gamma).tolist(),
                "ts_pl": self.ts_pl, "ns_pl": self.ns_pl, "gamma_pl": self.gamma_pl,
                "eta_limit_90": self.limit(0.9), "eta_limit_95": self.limit(0.95),
                "thresholds": {"90": WILKS_1DOF[0.9], "95": WILKS_1DOF[0.95]},
                "limit_convention": "paper: TS relative to the power law >= chi2_1(cl) "
                                    "(2.71 / 3.84; covers ~95% / ~97.5% asymptotically)",
                "eta_limit_90_one_sided": self.limit(0.9, "one-sided"),
                "eta_limit_95_one_sided": self.limit(0.95, "one-sided"),
                "thresholds_one_sided": {"90": limit_threshold(0.9, "one-sided"),
                                         "95": limit_threshold(0.95, "one-sided")},
                **self.meta}


def eta_grid_for_column(d_eff_mpc: float, n: int = 200,
                        log10_eta_d_range: tuple[float, float] = (9.0, 21.0)) -> np.ndarray:
    """log10 eta grid covering a fixed range of ``eta x d_eff``.

    Parameters
    ----------
    d_eff_mpc
        Distance of the constant overdensity (or the column-equivalent distance of a
        redshift geometry, :func:`column_mpc`), Mpc.
    n
        Number of points.
    log10_eta_d_range
        Range of log10(eta x d_eff / Mpc): by default 1e9 .. 1e21 Mpc, i.e. eta from
        7e7 to 7e19 at 14 Mpc (the Standard-Model optical depth at 10-100 TeV reaches 1
        near eta x d ~ 1e16-1e17 Mpc for m1 = 0.0342 eV).
    """
    x = np.linspace(log10_eta_d_range[0], log10_eta_d_range[1], int(n))
    return x - np.log10(float(d_eff_mpc))


def cnb_geometry(source: str | None = None, d_eff_mpc: float | None = None,
                 z: float | None = None):
    """Transport geometry: explicit ``d_eff_mpc`` or ``z``, else the source's own.

    NGC 1068: constant density over 14 Mpc (no redshift); TXS 0506+056: z = 0.3365;
    PKS 1424+240: z = 0.6. Other sources need ``d_eff_mpc`` or ``z``.
    """
    from bayesnu.transport import ConstantDensity, Redshift, source_geometry

    if d_eff_mpc is not None and z is not None:
        raise InputError("give either a distance (d_eff) or a redshift, not both", column="z")
    if d_eff_mpc is not None:
        if not (np.isfinite(d_eff_mpc) and d_eff_mpc > 0):
            raise InputError(f"d_eff must be > 0 Mpc, got {d_eff_mpc}", column="d-eff-mpc")
        return ConstantDensity(float(d_eff_mpc))
    if z is not None:
        if not (np.isfinite(z) and z > 0):
            raise InputError(f"redshift must be > 0, got {z}", column="z")
        return Redshift(float(z))
    if source is None:
        raise InputError("no geometry: give a distance (d_eff) or a redshift", column="d-eff-mpc")
    try:
        return source_geometry(source)
    except InputError:
        raise InputError(f"no known distance or redshift for source {source!r}; give "
                         "--d-eff-mpc or --z", column="source") from None


def column_mpc(geometry) -> float:
    """Column-equivalent distance (Mpc): d_eff, or int (1+z)^3 c dz/H for a redshift."""
    d = getattr(geometry, "d_eff_mpc", None)
    if d is not None:
        return float(d)
    z = float(geometry.z)
    return float(geometry.cosmology.column_length_cm(0.0, z, power=3)) / _MPC_CM


def cnb_propagator(geometry, m1: float = 0.0342, sum_m: float | None = None,
                   g: float | None = None, m_phi_mev: float | None = None,
                   majorana: bool = True, bins: int = 300, tol: float = PROFILE_TOL):
    """:class:`bayesnu.transport.Propagator` for the CnuB analyses (normal ordering, NuFIT 2022).

    Parameters
    ----------
    geometry
        From :func:`cnb_geometry`.
    m1
        Lightest neutrino mass, eV (>= 0; ignored when ``sum_m`` is given).
    sum_m
        Sum of the masses, eV (the secret-interaction analysis uses 0.1).
    g, m_phi_mev
        Secret nu_tau coupling and mediator mass (MeV), or None.
    majorana
        Majorana (default) or Dirac neutrinos.
    bins
        Energy bins over 1e2..1e10 GeV.
    tol
        Eigen-solution rounding tolerance (see :data:`PROFILE_TOL`).
    """
    from bayesnu.transport import Neutrinos, Propagator, SolverOptions, StepControl

    if sum_m is None and not (np.isfinite(m1) and m1 >= 0):
        raise InputError(f"the lightest neutrino mass must be >= 0 eV, got {m1}", column="m1")
    nu = (Neutrinos(sum_m=sum_m, g=g, m_phi_mev=m_phi_mev, majorana=majorana) if sum_m is not None
          else Neutrinos(m_lightest=m1, g=g, m_phi_mev=m_phi_mev, majorana=majorana))
    return Propagator(geometry, nu, SolverOptions(bins=bins, step=StepControl(tol=tol)))


def cnb_source(data, source, propagator, gamma_grid: np.ndarray | None = None,
               roi_eps: float = 1e-7) -> CnbSource:
    """:class:`~bayesnu.ops.spectrum.CnbSource` for a data set and one source.

    The default gamma grid is 0.1-spaced for constant density and 0.2-spaced for redshift
    geometries (where each (eta, gamma) transport solve costs ~5-10 ms instead of ~1 us).
    """
    from bayesnu.likelihood import LikelihoodSetup
    from bayesnu.ops.spectrum import CNB_GAMMA_GRID

    if gamma_grid is None:
        gamma_grid = (CNB_GAMMA_GRID if propagator.mode == "distance"
                      else np.round(np.arange(1.0, 4.0 + 1e-9, 0.2), 10))
    setup = LikelihoodSetup(data, source, roi_eps=roi_eps)
    return CnbSource(setup, propagator.grid.edges, gamma_grid=gamma_grid)


def _capped_fit(lik, gamma_grid: np.ndarray, caps: np.ndarray) -> tuple[float, float, float]:
    """max of log L over gamma nodes and 0 <= ns <= cap(gamma) (log L concave in ns)."""
    from scipy.optimize import minimize_scalar

    best = (0.0, 0.0, float(gamma_grid[0]))
    for g, cap in zip(gamma_grid, caps):
        if not (1.0 <= g <= 4.0) or cap <= 0:
            continue
        v_cap, d_cap = lik.evaluate(np.array([cap, g]))
        if not np.isfinite(v_cap):
            continue
        if d_cap[0] >= 0:  # increasing up to the cap: the cap is the maximum
            v, n = v_cap, cap
        else:
            r = minimize_scalar(lambda x, g=g: -lik.evaluate(np.array([x, g]))[0],
                                bounds=(0.0, cap), method="bounded",
                                options={"xatol": 1e-4 * max(cap, 1.0)})
            v, n = -float(r.fun), float(r.x)
        if 2.0 * v > best[0]:
            best = (2.0 * v, n, float(g))
    return best


def _profile_rows(source: CnbSource, ratios: np.ndarray, normalisation: str = "events",
                  ns_max: float | None = None) -> tuple[np.ndarray, ...]:
    """fast_fit at every eta for ratio tables (n_eta, n_gamma, N).

    ``normalisation="flux"``: ns counts the events of the *unpropagated* power law
    (proportional to the source flux), bounded by ``ns_max``; the propagated signal then
    has ``ns x T(eta, gamma)`` events (T the transmission) -- when the cap
    ``ns_max x T`` binds, the fit is redone on the gamma nodes with that cap.
    """
    n = ratios.shape[0]
    ts = np.empty(n)
    ns = np.empty(n)
    gam = np.empty(n)
    for i in range(n):
        lik = source.mixture(ratios[i])
        ts[i], ns[i], gam[i], _ = fast_fit(lik)
        if normalisation == "flux":
            T = source.transmission(ratios[i])
            grid = source.gamma_grid
            t_best = float(np.exp(np.interp(gam[i], grid, np.log(np.maximum(T, 1e-300)))))
            if ns[i] > ns_max * t_best:
                ts[i], ns[i], gam[i] = _capped_fit(lik, grid, ns_max * T)
            # report ns in the flux normalisation (events of the unpropagated power law)
            t_best = float(np.exp(np.interp(gam[i], grid, np.log(np.maximum(T, 1e-300)))))
            ns[i] = ns[i] / t_best if t_best > 0 else 0.0
    return ts, ns, gam


def eta_profile(source: CnbSource, propagator, log10_eta: Sequence[float] | None = None,
                chunk: int | None = None, progress: bool = False, meta: dict | None = None,
                normalisation: str = "events", ratios: np.ndarray | None = None) -> EtaProfile:
    """TS(eta) with ns and gamma profiled at each eta.

    Parameters
    ----------
    source
        :class:`~bayesnu.ops.spectrum.CnbSource` (data and PDFs of one source).
    propagator
        :class:`bayesnu.transport.Propagator` (geometry, masses, interactions).
    log10_eta
        Grid of log10 eta (default 200 points over eta x d_eff = 1e8 .. 1e15 Mpc).
    chunk
        Etas per transport call (memory: chunk x n_gamma x N floats). Default: 50 for
        constant density (one eigen evaluation per gamma for all etas of a call), and
        128 / n_gamma (8 with the 16 redshift gamma nodes) for redshift geometries, whose
        multi-right-hand-side redshift pass is ~25% faster with blocks of ~128 columns
        (they stay in cache) than with 512; the result is bitwise the same.
    progress
        tqdm bar on stderr.
    normalisation
        ``"events"`` (default): ns is the number of signal events of the propagated
        spectrum, bounded by the point-source model's ns_max -- a pure shape test;
        ``"flux"``: ns is the number of events the source would give without interactions
        (a flux normalisation in event units), bounded by ns_max, so that absorption also
        removes events: at large eta the fit becomes background only and TS reaches the
        power-law TS (the plateau described by Franklin et al.).
    ratios
        Precomputed transport ratios for ``log10_eta`` (:func:`eta_ratio_table`, shape
        (n_eta, n_gamma, N)); they do not depend on the data, so pseudo-experiments and
        future-sensitivity instances compute them once. Default: computed here.
    """
    if normalisation not in ("events", "flux"):
        raise InputError(f"normalisation must be 'events' or 'flux', got {normalisation!r}",
                         column="normalisation")
    if log10_eta is None:
        log10_eta = eta_grid_for_column(column_mpc(propagator.geometry))
    x = np.asarray(log10_eta, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or np.any(np.diff(x) <= 0) or not np.all(np.isfinite(x)):
        raise InputError("log10 eta grid must be finite and increasing", column="log10_eta")
    import time

    t0 = time.perf_counter()
    pl = source.power_law_mixture()
    ts_pl, ns_pl, g_pl, _ = fast_fit(pl)
    from bayesnu.likelihood.kernel import ns_upper_bound

    ns_max = float(ns_upper_bound(pl))
    ts = np.empty(x.size)
    ns = np.empty(x.size)
    gam = np.empty(x.size)
    absorbed = np.zeros(x.size, dtype=bool)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=x.size, desc=f"TS(eta) {source.source.name}", unit="eta", leave=False)
    if ratios is not None:
        ratios = np.asarray(ratios, dtype=np.float64)
        if ratios.shape != (x.size, source.gamma_grid.size, source.transport_edges.size - 1):
            raise InputError(f"ratio table shape {ratios.shape} does not match the grid "
                             f"({x.size} etas, {source.gamma_grid.size} gammas)", column="ratios")
    if chunk is None:
        chunk = eta_chunk(propagator, source.gamma_grid.size)
    for a in range(0, x.size, chunk):
        sl = slice(a, min(a + chunk, x.size))
        r = (ratios[sl] if ratios is not None
             else transport_ratio(propagator, 10.0 ** x[sl], source.gamma_grid))
        t, n, g = _profile_rows(source, r, normalisation, ns_max)
        ts[sl], ns[sl], gam[sl] = ts_pl - t, n, g
        if normalisation == "events":  # with "flux" an absorbed source legitimately gives no events
            absorbed[sl] = source.absorbed(r)
        if bar is not None:
            bar.update(sl.stop - sl.start)
    if bar is not None:
        bar.close()
    if not np.all(np.isfinite(ts)):
        raise InputError("TS(eta) profile produced non-finite values", column="eta")
    m = {"source": source.source.name, "seconds": time.perf_counter() - t0,
         "normalisation": normalisation,
         "masses_ev": [float(v) for v in propagator.masses], "geometry": repr(propagator.geometry),
         "column_mpc": column_mpc(propagator.geometry)}
    m.update(meta or {})
    return EtaProfile(x, ts, ns, gam, float(ts_pl), float(ns_pl), float(g_pl), m, absorbed)


def combine_profiles(profiles: Sequence[EtaProfile]) -> EtaProfile:
    """Sum of TS curves of several sources (shared eta).

    Curves on different grids are interpolated (linearly in log10 eta) onto the first
    profile's grid, restricted to the range covered by all; outside a curve's own range
    its end value is held (the plateau at large eta, 0 at small eta).
    """
    if not profiles:
        raise InputError("no profiles to combine", column="source")
    x = profiles[0].log10_eta
    ts = np.sum([np.interp(x, p.log10_eta, p.ts) for p in profiles], axis=0)
    meta = {"source": "+".join(str(p.meta.get("source", "?")) for p in profiles),
            "sources": [p.meta for p in profiles]}
    # a point of the sum is absorbed if it is (or lies beyond a flagged point) in any source
    absorbed = None
    if any(p.absorbed is not None for p in profiles):
        absorbed = np.zeros(x.size, dtype=bool)
        for p in profiles:
            if p.eta_absorbed is not None:
                absorbed |= x >= np.log10(p.eta_absorbed)
    return EtaProfile(x, ts, np.array([np.interp(x, p.log10_eta, p.ns) for p in profiles]),
                      np.array([np.interp(x, p.log10_eta, p.gamma) for p in profiles]),
                      float(sum(p.ts_pl for p in profiles)), float("nan"), float("nan"), meta,
                      absorbed)


#: real public data per source: NGC 1068 and PKS 1424+240 the bundled IC40 + IC86-2011 tracks,
#: TXS 0506+056 the TXS release's IC86b + IC86c samples (2012-05 .. 2017-10)
DEFAULT_DATA = {"NGC 1068": "ic40,ic86_2011", "PKS 1424+240": "ic40,ic86_2011",
                "TXS 0506+056": "txs0506:IC86b+IC86c"}

#: name of the simulated 2012-2018 sample (:mod:`bayesnu.simulate.paper_equivalent`)
SIMULATED_DATA = "sim-ic86-ii-vii"

__all__ += ["DEFAULT_DATA", "SIMULATED_DATA", "cnb_data"]


def cnb_data(spec: str | None, source_name: str | None, rng: np.random.Generator | None = None):
    """Events for a CnuB analysis.

    Parameters
    ----------
    spec
        ``None`` (the source's default real data, :data:`DEFAULT_DATA`), comma-separated
        bundled names or paths, ``name:SAMPLE+SAMPLE`` to keep some samples, or
        :data:`SIMULATED_DATA` for the SIMULATED IC86_II-VII sample with Franklin et al.'s
        best-fit signal of ``source_name`` injected (needs ``rng``).
    source_name
        Source (for defaults and the simulated signal).
    rng
        numpy Generator for the simulated sample.

    Returns
    -------
    (Dataset, info)
        ``info`` has ``data`` (the spec used) and ``simulated`` (bool) plus the injection info.
    """
    from bayesnu.data import load
    from bayesnu.data.core import Dataset

    if spec is None:
        if source_name not in DEFAULT_DATA:
            raise InputError(f"no default data for source {source_name!r}; give --data",
                             column="data")
        spec = DEFAULT_DATA[source_name]
    if spec.strip().lower() == SIMULATED_DATA:
        from bayesnu.simulate.paper_equivalent import paper_equivalent_sample

        if source_name is None:
            raise InputError(f"--data {SIMULATED_DATA} needs a named source", column="data")
        ds, info = paper_equivalent_sample(rng if rng is not None else np.random.default_rng(),
                                           source_name)
        return ds, {"data": SIMULATED_DATA, "simulated": True, "label": info["label"],
                    "injected": {"ns": info["ns_injected_mean"], "gamma": info["gamma_injected"],
                                 "n_injected": info["n_injected"]}}
    samples = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        name, _, keep = part.partition(":")
        ds = load(name)
        if not isinstance(ds, Dataset):
            raise InputError(f"{name!r} is a catalogue, not event data", column="data")
        ss = list(ds.samples)
        if keep:
            want = [k.strip() for k in keep.split("+") if k.strip()]
            have = {s.name: s for s in ss}
            missing = [w for w in want if w not in have]
            if missing:
                raise InputError(f"data {name!r} has no sample {missing[0]!r}; samples: "
                                 f"{', '.join(have)}", column="data")
            ss = [have[w] for w in want]
        samples.extend(ss)
    if not samples:
        raise InputError("no samples selected", column="data")
    simulated = any(bool(s.meta.get("simulated")) for s in samples)
    return Dataset(name=spec, format="mixed", samples=tuple(samples)), {"data": spec,
                                                                        "simulated": simulated}


__all__ += ["inject_overdensity"]


def inject_overdensity(rng: np.random.Generator, source: CnbSource, propagator, eta: float,
                       gamma: float, ns: float, background=None, poisson: bool = True,
                       angular_models: list | None = None, ratio: np.ndarray | None = None):
    """Pseudo-experiment: background plus signal with the spectrum propagated at ``eta``.

    Parameters
    ----------
    rng
        numpy Generator.
    source
        The :class:`~bayesnu.ops.spectrum.CnbSource` (its samples, PDFs and position).
    propagator
        Transport (geometry, masses).
    eta, gamma, ns
        Overdensity, source spectral index and mean signal events (after propagation).
    background
        Background Dataset (default: the source's data with RA scrambled).
    poisson
        Poisson-fluctuate the signal counts.
    angular_models
        Angular-error models of the signal per sample (default: built from the background's
        samples); needed when ``background`` holds only the events near the source.
    ratio
        Precomputed transport ratio at (eta, gamma) on the transport grid (N,).

    Returns
    -------
    (CnbSource, info): the same PDFs with the pseudo-experiment's events.
    """
    from bayesnu.data.core import Dataset
    from bayesnu.simulate.scramble import scramble
    from bayesnu.simulate.spectrum import inject_spectrum

    if not (np.isfinite(eta) and eta >= 0):
        raise InputError(f"eta must be finite and >= 0, got {eta}", column="eta")
    samples = source.setup.samples
    bg = background if background is not None else scramble(
        rng, Dataset(name="bg", format="mixed", samples=tuple(samples)))
    r = transport_ratio(propagator, [eta], [gamma])[0, 0] if ratio is None else ratio
    phis = [rb(r, gamma) for rb in source.rebin]
    kw = {} if angular_models is None else {"angular_models": angular_models}
    ds, info = inject_spectrum(rng, bg, source.source.ra, source.source.dec,
                               [p.true_edges for p in source.pdfs], phis,
                               [p.a for p in source.pdfs], ns, poisson=poisson, **kw)
    lik = source.setup.likelihood(events=list(ds.samples))
    info.update({"eta": float(eta), "gamma": float(gamma)})
    return source.with_likelihood(lik), info
