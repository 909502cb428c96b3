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
in log10 eta on the profile grid. TS can be (slightly) negative; it is not clipped.
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
from bayesnu.ops.spectrum import CnbSource, transport_ratio

__all__ = ["WILKS_1DOF", "WILKS_2DOF", "EtaProfile", "eta_profile", "upper_limit",
           "combine_profiles", "eta_grid_for_column", "cnb_geometry", "cnb_propagator",
           "cnb_source", "column_mpc", "M1_SCENARIOS", "PAPER_BEST_FITS", "PROFILE_TOL"]

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


def _threshold(cl: float) -> float:
    from scipy.stats import chi2

    if not 0.0 < cl < 1.0:
        raise InputError(f"confidence level must be in (0, 1), got {cl}", column="cl")
    return float(chi2.ppf(cl, 1))


def upper_limit(log10_eta: np.ndarray, ts: np.ndarray, cl: float = 0.9) -> float:
    """Upper limit on eta from a TS(eta) curve (Wilks, 1 dof); ``inf`` if never excluded.

    The limit is the first crossing of the threshold above the curve's minimum,
    interpolated linearly in log10 eta.
    """
    x = np.asarray(log10_eta, dtype=np.float64)
    y = np.asarray(ts, dtype=np.float64)
    if x.shape != y.shape or x.size < 2 or np.any(np.diff(x) <= 0):
        raise InputError("TS curve needs increasing log10 eta values", column="log10_eta")
    if not np.all(np.isfinite(y)):
        raise InputError("TS curve contains non-finite values", column="ts")
    thr = _threshold(cl)
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
    """

    log10_eta: np.ndarray
    ts: np.ndarray
    ns: np.ndarray
    gamma: np.ndarray
    ts_pl: float
    ns_pl: float
    gamma_pl: float
    meta: dict[str, Any] = field(default_factory=dict)

    def limit(self, cl: float = 0.9) -> float:
        return upper_limit(self.log10_eta, self.ts, cl)

    def to_dict(self) -> dict[str, Any]:
        return {"ts_curve": {"log10_eta": self.log10_eta.tolist(), "ts": self.ts.tolist()},
                "ns": np.asarray(self.ns).tolist(), "gamma": np.asarray(self.gamma).tolist(),
                "ts_pl": self.ts_pl, "ns_pl": self.ns_pl, "gamma_pl": self.gamma_pl,
                "eta_limit_90": self.limit(0.9), "eta_limit_95": self.limit(0.95),
                "thresholds": {"90": WILKS_1DOF[0.9], "95": WILKS_1DOF[0.95]},
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
                chunk: int = 50, progress: bool = False, meta: dict | None = None,
                normalisation: str = "events") -> EtaProfile:
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
        Etas per transport call (memory: chunk x 31 gammas x N floats).
    progress
        tqdm bar on stderr.
    normalisation
        ``"events"`` (default): ns is the number of signal events of the propagated
        spectrum, bounded by the point-source model's ns_max -- a pure shape test;
        ``"flux"``: ns is the number of events the source would give without interactions
        (a flux normalisation in event units), bounded by ns_max, so that absorption also
        removes events: at large eta the fit becomes background only and TS reaches the
        power-law TS (the plateau described by Franklin et al.).
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
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=x.size, desc=f"TS(eta) {source.source.name}", unit="eta", leave=False)
    for a in range(0, x.size, chunk):
        sl = slice(a, min(a + chunk, x.size))
        r = transport_ratio(propagator, 10.0 ** x[sl], source.gamma_grid)
        t, n, g = _profile_rows(source, r, normalisation, ns_max)
        ts[sl], ns[sl], gam[sl] = ts_pl - t, n, g
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
    return EtaProfile(x, ts, ns, gam, float(ts_pl), float(ns_pl), float(g_pl), m)


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
    return EtaProfile(x, ts, np.array([np.interp(x, p.log10_eta, p.ns) for p in profiles]),
                      np.array([np.interp(x, p.log10_eta, p.gamma) for p in profiles]),
                      float(sum(p.ts_pl for p in profiles)), float("nan"), float("nan"), meta)


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


__all__ += ["sample_cnb", "credible_upper_limit"]


def credible_upper_limit(samples: np.ndarray, level: float = 0.9) -> float:
    """Upper credible limit: the ``level`` quantile of posterior draws (e.g. of eta)."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise InputError("posterior draws are empty or non-finite", column="posterior")
    return float(np.quantile(x, level))


def sample_cnb(cnb_model, draws: int = 1000, tune: int = 1000, chains: int = 2,
               seed: int | None = None, cores: int = 1, progress: bool = False,
               target_accept: float = 0.9) -> tuple[Any, dict[str, Any]]:
    """NUTS posterior of a :class:`bayesnu.models.cnb.CnbModel` with ArviZ diagnostics.

    Returns
    -------
    (idata, summary)
        ``summary`` has per-parameter mean / sd / HDI / R-hat / bulk and tail ESS, the
        number of divergences, the wall time and, for the overdensity model, the 90% and
        95% credible upper limits on eta.
    """
    import logging
    import time

    import arviz as az
    import pymc as pm
    from bayesnu.inference.sample import pymc_log_level

    t0 = time.perf_counter()
    with cnb_model.model, pymc_log_level(logging.INFO if progress else logging.WARNING):
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                          progressbar=progress, target_accept=target_accept,
                          compute_convergence_checks=False)
    wall = time.perf_counter() - t0
    names = [v for v in cnb_model.var_names.values() if v in idata.posterior]
    summ = az.summary(idata, var_names=names, hdi_prob=0.9)
    out: dict[str, Any] = {
        "seconds": wall, "draws": draws, "tune": tune, "chains": chains,
        "divergences": int(idata.sample_stats["diverging"].sum()),
        "params": {k: {c: float(summ.loc[k, c]) for c in summ.columns} for k in summ.index},
    }
    if "eta" in idata.posterior:
        eta = idata.posterior["eta"].values
        out["eta_credible_90"] = credible_upper_limit(eta, 0.9)
        out["eta_credible_95"] = credible_upper_limit(eta, 0.95)
        out["log10_eta_credible_90"] = float(np.log10(max(out["eta_credible_90"], 1e-300)))
    return idata, out


__all__ += ["inject_overdensity"]


def inject_overdensity(rng: np.random.Generator, source: CnbSource, propagator, eta: float,
                       gamma: float, ns: float, background=None, poisson: bool = True):
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
    r = transport_ratio(propagator, [eta], [gamma])[0, 0]
    phis = [rb(r, gamma) for rb in source.rebin]
    ds, info = inject_spectrum(rng, bg, source.source.ra, source.source.dec,
                               [p.true_edges for p in source.pdfs], phis,
                               [p.a for p in source.pdfs], ns, poisson=poisson)
    lik = source.setup.likelihood(events=list(ds.samples))
    info.update({"eta": float(eta), "gamma": float(gamma)})
    return source.with_likelihood(lik), info


__all__ += ["SiMap", "si_ts_map", "BBN_MPHI_MEV", "BBN_G_MIN", "TAU_DECAY_G2_MAX"]

#: BBN: m_phi > 1.3 MeV for g > 1e-4 (Blinov et al. 2019); tau decays: g_tautau^2 < 0.1
BBN_MPHI_MEV = 1.3
BBN_G_MIN = 1e-4
TAU_DECAY_G2_MAX = 0.1


@dataclass
class SiMap:
    """TS over (log10 m_phi [MeV], log10 g_tautau), ns and gamma profiled, eta fixed.

    ``ts[i, j]`` at ``log10_m_phi[i]``, ``log10_g[j]``: -2 [log L(m_phi, g) - log L0], L0 the
    best power law without secret interactions. The 2-sigma exclusion uses Wilks with
    2 dof: TS > 6.18 (:data:`WILKS_2DOF`; 4.0 would be the 1-dof reading).
    """

    log10_m_phi: np.ndarray
    log10_g: np.ndarray
    ts: np.ndarray
    ns: np.ndarray
    gamma: np.ndarray
    ts_pl: float
    meta: dict[str, Any] = field(default_factory=dict)

    def excluded(self, threshold: float = WILKS_2DOF[0.9545]) -> np.ndarray:
        return self.ts > threshold

    def to_dict(self) -> dict[str, Any]:
        return {"log10_m_phi_mev": self.log10_m_phi.tolist(), "log10_g": self.log10_g.tolist(),
                "ts": self.ts.tolist(), "ns": self.ns.tolist(), "gamma": self.gamma.tolist(),
                "ts_pl": self.ts_pl, "threshold_2sigma_2dof": WILKS_2DOF[0.9545], **self.meta}


def si_ts_map(source: CnbSource, geometry, log10_m_phi: Sequence[float],
              log10_g: Sequence[float], sum_m: float = 0.1, majorana: bool = True,
              eta: float = 1.0, bins: int = 300, progress: bool = False) -> SiMap:
    """TS map of the secret nu_tau interaction (one Propagator per grid point).

    Parameters
    ----------
    source
        :class:`~bayesnu.ops.spectrum.CnbSource` built on a transport grid with ``bins`` bins.
    geometry
        Transport geometry of the source.
    log10_m_phi, log10_g
        Grid axes: log10(m_phi / MeV) inside [-1, 3] and log10 g inside [-4, 0.5]
        (the tabulated, tested range; outside it an InputError).
    sum_m, majorana, eta
        Sum of masses (eV), neutrino nature and relic overdensity (1: cosmological).
    bins
        Transport bins over 1e2-1e10 GeV.
    """
    import time

    from bayesnu.transport import Neutrinos, Propagator, SolverOptions, StepControl

    lm = np.asarray(log10_m_phi, dtype=np.float64)
    lg = np.asarray(log10_g, dtype=np.float64)
    for name, v, lo, hi in (("m_phi", lm, -1.0, 3.0), ("g", lg, -4.0, 0.5)):
        if v.ndim != 1 or v.size < 1 or not np.all(np.isfinite(v)) or v.min() < lo or v.max() > hi:
            raise InputError(f"log10 {name} values must lie in [{lo}, {hi}] (tabulated physics)",
                             column=name)
    t0 = time.perf_counter()
    ts_pl, _, _, _ = fast_fit(source.power_law_mixture())
    shape = (lm.size, lg.size)
    ts, ns, gam = np.empty(shape), np.empty(shape), np.empty(shape)
    opts = SolverOptions(bins=bins, step=StepControl(tol=PROFILE_TOL))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=lm.size * lg.size, desc=f"TS(m_phi, g) {source.source.name}",
                   unit="pt", leave=False)
    for i, m in enumerate(lm):
        for j, g in enumerate(lg):
            prop = Propagator(geometry, Neutrinos(sum_m=sum_m, g=float(10.0**g),
                                                  m_phi_mev=float(10.0**m), majorana=majorana),
                              opts)
            r = transport_ratio(prop, [eta], source.gamma_grid)[0]
            t, n, gg, _ = fast_fit(source.mixture(r))
            ts[i, j], ns[i, j], gam[i, j] = ts_pl - t, n, gg
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if not np.all(np.isfinite(ts)):
        raise InputError("TS map produced non-finite values", column="g")
    return SiMap(lm, lg, ts, ns, gam, float(ts_pl),
                 {"source": source.source.name, "sum_m_ev": sum_m, "majorana": majorana,
                  "eta": eta, "seconds": time.perf_counter() - t0})


__all__ += ["CnbEvidence", "evidence_cnb"]


@dataclass
class CnbEvidence:
    """nautilus evidences of the interaction model and of the power law without interactions.

    ``log_z`` (with interactions) and ``log_z0`` (eta = 0, or no secret interaction), both
    with the likelihood ratio to background (``L / L(ns = 0)``) and the same ns, gamma
    priors; ``log_bf = log_z - log_z0`` (> 0 favours interactions). ``posterior`` holds
    equally weighted draws of the interaction parameters (log10 eta, or log10 m_phi and
    log10 g) from nautilus, which explores every mode of a multimodal posterior.
    """

    log_z: float
    log_z_err: float
    log_z0: float
    log_z0_err: float
    posterior: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def log_bf(self) -> float:
        return self.log_z - self.log_z0

    def to_dict(self) -> dict[str, Any]:
        q = {k: {"q05": float(np.quantile(v, 0.05)), "q50": float(np.quantile(v, 0.5)),
                 "q90": float(np.quantile(v, 0.9)), "q95": float(np.quantile(v, 0.95))}
             for k, v in self.posterior.items()}
        return {"log_z": self.log_z, "log_z_err": self.log_z_err, "log_z0": self.log_z0,
                "log_z0_err": self.log_z0_err, "log_bayes_factor": self.log_bf,
                "posterior_quantiles": q, **self.meta}


def _nautilus(loglike, bounds: list[tuple[float, float]], n_live: int, seed: int | None,
              n_eff: int = 3000):
    from nautilus import Sampler

    lo = np.array([b[0] for b in bounds])
    width = np.array([b[1] - b[0] for b in bounds])

    def prior(u):
        return lo + u * width

    def like(x):
        v = loglike(x)
        return v if np.isfinite(v) else -1e300

    s = Sampler(prior, like, n_dim=len(bounds), n_live=n_live, seed=seed, pass_dict=False)
    s.run(n_eff=n_eff, verbose=False)
    pts, logw, _ = s.posterior(equal_weight=True)
    return float(s.log_z), float(1.0 / np.sqrt(max(s.n_eff, 1.0))), pts, int(s.n_like)


def evidence_cnb(source: CnbSource, propagator=None, *, secret_geometry=None,
                 eta_range: tuple[float, float] = (1e8, 1e22),
                 log10_m_phi_range: tuple[float, float] = (-1.0, 3.0),
                 log10_g_range: tuple[float, float] = (-3.0, 0.5), sum_m: float = 0.1,
                 majorana: bool = True, bins: int = 300, n_live: int = 500,
                 seed: int | None = None) -> CnbEvidence:
    """Evidence and Bayes factor of the overdensity (or secret-interaction) model vs eta = 0.

    Priors: ns uniform on [0, ns_max] (the point-source model's), gamma uniform on [1, 4],
    log10 eta uniform over ``eta_range`` (log-uniform eta) -- or, with ``secret_geometry``,
    log10 m_phi [MeV] and log10 g uniform at eta = 1 (sum of masses ``sum_m``).
    """
    import time

    import pytensor
    import pytensor.tensor as pt

    from bayesnu.likelihood.kernel import ns_upper_bound
    from bayesnu.ops.transport import SecretFluxOp, numu_flux, secret_numu_flux

    t0 = time.perf_counter()
    ns_max = float(ns_upper_bound(source.base))
    ns_v, g_v = pt.dscalar("ns"), pt.dscalar("gamma")
    if secret_geometry is None:
        if propagator is None:
            raise InputError("the overdensity evidence needs the propagator", column="source")
        le = pt.dscalar("log10_eta")
        f1 = pytensor.function([ns_v, g_v, le], source.logl(
            ns_v, g_v, numu_flux(propagator, g_v, log10_eta=le, eager_gradient=False)))
        names = ["log10_eta"]
        extra = [(float(np.log10(eta_range[0])), float(np.log10(eta_range[1])))]

        def like1(x):
            return float(f1(x[0], x[1], x[2]))

        def like0(x):
            return float(f1(x[0], x[1], -300.0))
    else:
        from bayesnu.transport import Neutrinos, SolverOptions

        op = SecretFluxOp(secret_geometry, Neutrinos(sum_m=sum_m, majorana=majorana),
                          SolverOptions(bins=bins), eta=1.0)
        lm, lg = pt.dscalar("lm"), pt.dscalar("lg")
        f1 = pytensor.function([ns_v, g_v, lm, lg], source.logl(
            ns_v, g_v, secret_numu_flux(op, lg, lm, g_v)))
        names = ["log10_m_phi", "log10_g"]
        extra = [log10_m_phi_range, log10_g_range]

        def like1(x):
            return float(f1(x[0], x[1], x[2], x[3]))

        from bayesnu.transport.constants import E0_GEV as E0_TRANSPORT
        from bayesnu.transport.operator import power_law_bin_average

        # no secret interaction: the same likelihood with the free power law (ratio 1)
        fl = pt.dvector("flux")
        f0 = pytensor.function([ns_v, g_v, fl], source.logl(ns_v, g_v, fl))

        def like0(x):
            return float(f0(x[0], x[1], power_law_bin_average(source.transport_edges, x[1],
                                                              E0_TRANSPORT)[0]))
    base = [(0.0, ns_max), (1.0, 4.0)]
    lz, lze, pts, n1 = _nautilus(like1, base + extra, n_live, seed)
    lz0, lz0e, _, n0 = _nautilus(like0, base, n_live, seed)
    post = {"ns": pts[:, 0], "gamma": pts[:, 1]}
    post.update({n: pts[:, 2 + k] for k, n in enumerate(names)})
    for v in post.values():
        if not np.all(np.isfinite(v)):
            raise InputError("nautilus posterior contains non-finite draws", column="posterior")
    meta = {"source": source.source.name, "seconds": time.perf_counter() - t0,
            "n_like": n1 + n0, "n_live": n_live,
            "priors": {"ns": [0.0, ns_max], "gamma": [1.0, 4.0],
                       **{n: list(b) for n, b in zip(names, extra)}}}
    if "log10_eta" in post:
        meta["eta_credible_90"] = float(10.0 ** np.quantile(post["log10_eta"], 0.9))
    return CnbEvidence(lz, lze, lz0, lz0e, post, meta)


__all__ += ["limit_coverage"]


def limit_coverage(source: CnbSource, propagator, etas: Sequence[float], n_trials: int,
                   ns: float, gamma: float, rng: np.random.Generator,
                   log10_eta: np.ndarray | None = None, cl: float = 0.9,
                   progress: bool = False) -> dict[str, Any]:
    """Coverage of the Wilks upper limit by pseudo-experiments.

    For each true eta: ``n_trials`` RA-scrambled copies of the data with ``ns`` signal events
    (Poisson mean) of the spectrum propagated at that eta (:func:`inject_overdensity`); the
    limit covers when ``eta_limit >= eta_true``. For a correct 90% limit the fraction is
    about 0.9 (binomial error ``sqrt(0.09 / n_trials)``).
    """
    x = eta_grid_for_column(column_mpc(propagator.geometry), 60) if log10_eta is None \
        else np.asarray(log10_eta, dtype=np.float64)
    out: dict[str, Any] = {"cl": cl, "n_trials": int(n_trials), "ns": ns, "gamma": gamma,
                           "per_eta": []}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(etas) * n_trials, desc="coverage", unit="trial", leave=False)
    for eta in etas:
        lims = []
        for _ in range(int(n_trials)):
            cs, _ = inject_overdensity(rng, source, propagator, float(eta), gamma, ns)
            lims.append(eta_profile(cs, propagator, x).limit(cl))
            if bar is not None:
                bar.update(1)
        lims = np.array(lims)
        cov = float(np.mean(lims >= eta))
        out["per_eta"].append({"eta": float(eta), "coverage": cov,
                               "binomial_error": float(np.sqrt(cov * (1 - cov) / len(lims))),
                               "median_limit": float(np.median(lims))})
    if bar is not None:
        bar.close()
    return out
