"""Secret nu_tau interactions: the (m_phi, g_tautau) TS map and its posterior.

One transport solve per grid point (eta = 1, sum of masses 0.1 eV by default, the source's
own geometry as in Franklin et al. 2025: NGC 1068 a constant density over 14 Mpc, TXS 0506+056
and PKS 1424+240 along their redshift paths), folded into the point-source likelihood
through the general-spectrum energy PDF (:class:`bayesnu.ops.spectrum.CnbSource`); ns (the
propagated signal events) and gamma profiled by :func:`bayesnu.likelihood.trial.fast_fit`.
The 2-sigma exclusion uses Wilks with 2 dof (TS > 6.18).

The map runs over a process pool of grid rows (``workers``); each grid point is computed by
the same code with BLAS limited to one thread, so the parallel map equals the serial one
bit for bit.

:func:`si_posterior` samples (ns, gamma, log10 m_phi, log10 g) with nautilus; the likelihood
in (log10 m_phi, log10 g) is bilinear between the map's nodes (the transport is solved on
the map's grid only), exact in (ns, gamma).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bayesnu.inference.cnb import PROFILE_TOL, WILKS_2DOF, _profile_rows
from bayesnu.inference.evidence import blas_one_thread as _blas1
from bayesnu.inference.evidence import run_box_nautilus

from bayesnu.errors import InputError
from bayesnu.likelihood.trial import fast_fit
from bayesnu.ops.spectrum import CnbSource, transport_ratio

__all__: list[str] = []

__all__ += ["SiMap", "si_ts_map", "BBN_MPHI_MEV", "BBN_G_MIN", "TAU_DECAY_G2_MAX",
            "LOG10_M_PHI_RANGE", "LOG10_G_RANGE", "SI_FLOOR"]

#: BBN: m_phi > 1.3 MeV for g > 1e-4 (Blinov et al. 2019); tau decays: g_tautau^2 < 0.1
BBN_MPHI_MEV = 1.3
BBN_G_MIN = 1e-4
TAU_DECAY_G2_MAX = 0.1

#: tabulated (tested) ranges of the secret-interaction physics: log10(m_phi / MeV), log10 g
LOG10_M_PHI_RANGE = (-1.0, 3.0)
LOG10_G_RANGE = (-4.0, 0.5)

#: flux floor of the map's transport (relative to the nu_mu flux at 1 TeV): 0 keeps every
#: positive value. The solver's default floor (1e-30) turns a strongly absorbed steep spectrum
#: into exact zeros at the largest grid gammas only; the cubic splines of log S and log
#: acceptance in gamma then ring between the last nodes and the profiled fit picks up a
#: spurious likelihood gain (measured: TS = -1497 instead of +17 at PKS 1424+240,
#: m_phi = 1.6 MeV, g = 1, 200 bins, simulated sample).
SI_FLOOR = 0.0


@dataclass
class SiMap:
    """TS over (log10 m_phi [MeV], log10 g_tautau), ns and gamma profiled, eta fixed.

    ``ts[i, j]`` at ``log10_m_phi[i]``, ``log10_g[j]``: -2 [log L(m_phi, g) - log L0], L0 the
    best power law without secret interactions. The 2-sigma exclusion uses Wilks with
    2 dof: TS > 6.18 (:data:`WILKS_2DOF`; 4.0 would be the 1-dof reading). ``ratios``
    (n_m, n_g, n_gamma, N; only with ``keep_ratios``) are the transport ratios of the grid,
    reused by :func:`si_posterior`.
    """

    log10_m_phi: np.ndarray
    log10_g: np.ndarray
    ts: np.ndarray
    ns: np.ndarray
    gamma: np.ndarray
    ts_pl: float
    meta: dict[str, Any] = field(default_factory=dict)
    ratios: np.ndarray | None = field(default=None, repr=False)

    def excluded(self, threshold: float = WILKS_2DOF[0.9545]) -> np.ndarray:
        return self.ts > threshold

    def to_dict(self) -> dict[str, Any]:
        return {"log10_m_phi_mev": self.log10_m_phi.tolist(), "log10_g": self.log10_g.tolist(),
                "ts": self.ts.tolist(), "ns": self.ns.tolist(), "gamma": self.gamma.tolist(),
                "ts_pl": self.ts_pl, "threshold_2sigma_2dof": WILKS_2DOF[0.9545], **self.meta}


def _check_axis(name: str, v: np.ndarray, lo: float, hi: float) -> None:
    if v.ndim != 1 or v.size < 1 or not np.all(np.isfinite(v)) or v.min() < lo or v.max() > hi:
        raise InputError(f"log10 {name} values must lie in [{lo}, {hi}] (tabulated physics)",
                         column=name)


#: state of a map computation, set in the parent before the pool forks (workers read it)
_STATE: dict[str, Any] = {}


def _row(i: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, float]:
    """TS, ns, gamma (and ratios) of grid row ``i`` (one m_phi, every g)."""
    from bayesnu.transport import Neutrinos, Propagator

    st = _STATE
    cs: CnbSource = st["source"]
    lg = st["lg"]
    m = float(10.0 ** st["lm"][i])
    c0 = time.process_time()
    ts, ns, gam = np.empty(lg.size), np.empty(lg.size), np.empty(lg.size)
    ratios = (np.empty((lg.size, cs.gamma_grid.size, cs.transport_edges.size - 1))
              if st["keep_ratios"] else None)
    with _blas1():
        for j, g in enumerate(lg):
            prop = Propagator(st["geometry"], Neutrinos(sum_m=st["sum_m"], g=float(10.0 ** g),
                                                        m_phi_mev=m, majorana=st["majorana"]),
                              st["opts"])
            r = transport_ratio(prop, [st["eta"]], cs.gamma_grid)[0]
            t, n, gg = _profile_rows(cs, r[None], st["normalisation"], st["ns_max"])
            ts[j], ns[j], gam[j] = st["ts_pl"] - t[0], n[0], gg[0]
            if ratios is not None:
                ratios[j] = r
    return i, ts, ns, gam, ratios, time.process_time() - c0


def si_ts_map(source: CnbSource, geometry, log10_m_phi: Sequence[float],
              log10_g: Sequence[float], sum_m: float = 0.1, majorana: bool = True,
              eta: float = 1.0, bins: int = 300, progress: bool = False, workers: int = 1,
              keep_ratios: bool = False, normalisation: str = "flux") -> SiMap:
    """TS map of the secret nu_tau interaction (one transport solve per grid point).

    Parameters
    ----------
    source
        :class:`~bayesnu.ops.spectrum.CnbSource` built on a transport grid with ``bins`` bins.
    geometry
        Transport geometry of the source (:func:`bayesnu.inference.cnb.cnb_geometry`).
    log10_m_phi, log10_g
        Grid axes: log10(m_phi / MeV) inside [-1, 3] and log10 g inside [-4, 0.5]
        (the tabulated, tested range; outside it an InputError).
    sum_m, majorana, eta
        Sum of masses (eV), neutrino nature and relic overdensity (1: cosmological).
    bins
        Transport bins over 1e2-1e10 GeV.
    progress
        tqdm bar (grid points) on stderr.
    workers
        Processes over grid rows (fork; 1 = serial in this process). The result does not
        depend on it.
    keep_ratios
        Keep the transport ratios in :attr:`SiMap.ratios` (for :func:`si_posterior`).
    normalisation
        ``"flux"`` (default): ns counts the events of the unpropagated power law (a flux
        normalisation in event units, bounded by the point-source ns_max), so absorption
        removes events and an absorbed spectrum gives the background-only fit (TS = the
        power-law TS); ``"events"``: ns counts the propagated events (a pure shape test; a
        spectrum absorbed by 1e-16 can then still be fitted with tens of events, and its
        residual shape, changing by orders of magnitude between the gamma nodes of the
        energy-PDF splines, gives spurious TS of -8 at TXS 0506+056). See
        :func:`bayesnu.inference.cnb.eta_profile`.
    """
    from bayesnu.transport import SolverOptions, StepControl

    lm = np.asarray(log10_m_phi, dtype=np.float64)
    lg = np.asarray(log10_g, dtype=np.float64)
    _check_axis("m_phi", lm, *LOG10_M_PHI_RANGE)
    _check_axis("g", lg, *LOG10_G_RANGE)
    if source.transport_edges.size - 1 != int(bins):
        raise InputError(f"the source's transport grid has {source.transport_edges.size - 1} "
                         f"bins, not {bins}", column="bins")
    if normalisation not in ("events", "flux"):
        raise InputError(f"normalisation must be 'events' or 'flux', got {normalisation!r}",
                         column="normalisation")
    workers = int(workers)
    if workers < 1:
        raise InputError(f"workers must be >= 1, got {workers}", column="workers")
    t0, c0 = time.perf_counter(), time.process_time()
    from bayesnu.likelihood.kernel import ns_upper_bound

    with _blas1():
        pl = source.power_law_mixture()
        ts_pl, _, _, _ = fast_fit(pl)
        ns_max = float(ns_upper_bound(pl))
    shape = (lm.size, lg.size)
    ts, ns, gam = np.empty(shape), np.empty(shape), np.empty(shape)
    ratios = (np.empty((*shape, source.gamma_grid.size, source.transport_edges.size - 1))
              if keep_ratios else None)
    _STATE.clear()
    _STATE.update(source=source, geometry=geometry, lm=lm, lg=lg, sum_m=float(sum_m),
                  majorana=bool(majorana), eta=float(eta), ts_pl=float(ts_pl),
                  normalisation=normalisation, ns_max=ns_max,
                  keep_ratios=bool(keep_ratios),
                  opts=SolverOptions(bins=int(bins), floor=SI_FLOOR,
                                     step=StepControl(tol=PROFILE_TOL)))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=lm.size * lg.size, desc=f"TS(m_phi, g) {source.source.name}",
                   unit="pt", leave=False, file=sys.stderr)
    cpu_workers = 0.0
    workers = min(workers, lm.size)
    try:
        if workers == 1:
            results = map(_row, range(lm.size))
            pool = None
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
            futs = [pool.submit(_row, i) for i in range(lm.size)]
            results = (f.result() for f in as_completed(futs))
        try:
            for i, t, n, g, r, cpu in results:
                ts[i], ns[i], gam[i] = t, n, g
                if ratios is not None:
                    ratios[i] = r
                if pool is not None:
                    cpu_workers += cpu
                if bar is not None:
                    bar.update(lg.size)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    finally:
        _STATE.clear()
        if bar is not None:
            bar.close()
    if not np.all(np.isfinite(ts)):
        raise InputError("TS map produced non-finite values", column="g")
    return SiMap(lm, lg, ts, ns, gam, float(ts_pl),
                 {"source": source.source.name, "sum_m_ev": float(sum_m),
                  "majorana": bool(majorana), "eta": float(eta), "bins": int(bins),
                  "workers": workers, "seconds": time.perf_counter() - t0,
                  "cpu_seconds": time.process_time() - c0 + cpu_workers,
                  "normalisation": normalisation, "ns_max": ns_max}, ratios)


__all__ += ["combine_maps", "ts_modes"]


def combine_maps(maps: Sequence[SiMap]) -> SiMap:
    """Sum of the TS maps of several sources (same grid); ns, gamma per source stacked."""
    if not maps:
        raise InputError("no maps to combine", column="source")
    m0 = maps[0]
    for m in maps[1:]:
        if not (np.array_equal(m.log10_m_phi, m0.log10_m_phi)
                and np.array_equal(m.log10_g, m0.log10_g)):
            raise InputError("TS maps on different grids cannot be added", column="source")
    return SiMap(m0.log10_m_phi, m0.log10_g, np.sum([m.ts for m in maps], axis=0),
                 np.array([m.ns for m in maps]), np.array([m.gamma for m in maps]),
                 float(sum(m.ts_pl for m in maps)),
                 {"source": "+".join(str(m.meta.get("source", "?")) for m in maps)})


def ts_modes(ts: np.ndarray, min_depth: float = 1.0) -> list[dict[str, Any]]:
    """Modes of the likelihood on a TS map: local minima of TS (8-neighbour grid).

    A minimum counts when it is at least ``min_depth`` (TS units, i.e. 2 Delta log L) below
    the saddle that joins it to a deeper minimum (topological persistence; plateaus and
    ripples below ``min_depth`` merge into their neighbour). The deepest minimum always
    counts.

    Returns
    -------
    list of dict
        One per mode, deepest first, with keys ``index`` (the grid cell ``(i, j)``), ``ts``
        (TS at the minimum), ``depth`` (persistence) and ``basin`` (boolean mask of the grid
        cells that drain to it).
    """
    a = np.asarray(ts, dtype=np.float64)
    if a.ndim != 2 or not np.all(np.isfinite(a)):
        raise InputError("TS map must be a finite 2-d array", column="ts")
    n0, n1 = a.shape
    flat = a.ravel()
    order = np.argsort(flat, kind="stable")
    parent = -np.ones(flat.size, dtype=np.int64)  # -1: not yet added
    birth: dict[int, int] = {}  # root -> index of its minimum
    depth: dict[int, float] = {}  # index of a minimum -> persistence (when it died)
    merged_into: dict[int, int] = {}  # minimum -> minimum that absorbed it (if shallow)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k in order:
        k = int(k)
        parent[k] = k
        birth[k] = k
        i, j = divmod(k, n1)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                ii, jj = i + di, j + dj
                if (di == 0 and dj == 0) or not (0 <= ii < n0 and 0 <= jj < n1):
                    continue
                q = ii * n1 + jj
                if parent[q] < 0:
                    continue
                ra, rb = find(k), find(q)
                if ra == rb:
                    continue
                ma, mb = birth[ra], birth[rb]
                # the younger (higher) minimum dies at this level
                young, old = (ma, mb) if (flat[ma], ma) > (flat[mb], mb) else (mb, ma)
                depth[young] = float(flat[k] - flat[young])
                if depth[young] < min_depth:
                    merged_into[young] = old
                keep = ra if birth[ra] == old else rb
                drop = rb if keep == ra else ra
                parent[drop] = keep
                birth[keep] = old
    root_min = birth[find(int(order[0]))]
    depth[root_min] = float("inf")
    # basins: steepest descent to a minimum, then follow shallow merges
    nb = np.arange(flat.size)
    for k in range(flat.size):
        i, j = divmod(k, n1)
        best, bv = k, flat[k]
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                ii, jj = i + di, j + dj
                if 0 <= ii < n0 and 0 <= jj < n1 and flat[ii * n1 + jj] < bv:
                    best, bv = ii * n1 + jj, flat[ii * n1 + jj]
        nb[k] = best
    lab = np.arange(flat.size)
    for k in range(flat.size):
        x = k
        while nb[x] != x:
            x = nb[x]
        while x in merged_into:
            x = merged_into[x]
        lab[k] = x
    modes = [m for m in depth if m not in merged_into]
    out = []
    for m in sorted(modes, key=lambda x: (flat[x], x)):
        basin = (lab == m).reshape(a.shape)
        if not basin.any():
            # a plateau minimum that no descent path reaches: its own cell
            basin = np.zeros(a.shape, dtype=bool)
            basin.flat[m] = True
        out.append({"index": tuple(int(v) for v in divmod(m, n1)), "ts": float(flat[m]),
                    "depth": depth[m], "basin": basin})
    return out


__all__ += ["SiPosterior", "si_posterior", "log_evidence_grid"]


@dataclass
class SiPosterior:
    """nautilus posterior of (ns, gamma, log10 m_phi, log10 g) and the evidences.

    ``draws``: equally weighted posterior draws per parameter; ``log_z`` / ``log_z0``:
    evidences of the secret-interaction model and of the power law without it (the same ns
    and gamma priors; ``meta["log_z0_quadrature"]`` checks the latter by quadrature);
    ``log_bf = log_z - log_z0`` (> 0 favours a secret interaction).
    ``modes``: the likelihood modes of the TS map (:func:`ts_modes`) with the number of draws
    and of explored nautilus points in each basin.
    """

    draws: dict[str, np.ndarray]
    log_z: float
    log_z_err: float
    log_z0: float
    log_z0_err: float
    modes: list[dict[str, Any]]
    ts_map: SiMap
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def log_bf(self) -> float:
        return self.log_z - self.log_z0

    def to_dict(self) -> dict[str, Any]:
        from bayesnu.inference.cnb_bayes import posterior_quantiles

        q = posterior_quantiles(self.draws)
        modes = [{k: v for k, v in m.items() if k != "basin"} for m in self.modes]
        return {"log_z": self.log_z, "log_z_err": self.log_z_err, "log_z0": self.log_z0,
                "log_z0_err": self.log_z0_err, "log_bayes_factor": self.log_bf,
                "ts_max": float(self.ts_map.ts.max()), "ts_min": float(self.ts_map.ts.min()),
                "posterior_quantiles": q, "modes": modes, "every_mode_sampled":
                bool(all(m["n_draws"] > 0 for m in self.modes)), **self.meta}


def log_evidence_grid(lik, ns_max: float, n_gamma: int = 121) -> float:
    """ln Z of a (ns, gamma) likelihood under uniform priors on [0, ns_max] x [1, 4] by
    quadrature (trapezoid on a fine ns grid near 0 plus a geometric tail, ``n_gamma`` gammas):
    the deterministic check of the nautilus null evidence."""
    lo = min(float(ns_max), 500.0)
    ns = np.unique(np.concatenate([np.linspace(0.0, lo, 2001),
                                   np.geomspace(max(lo, 1e-9), float(ns_max), 400)]))
    gam = np.linspace(1.0, 4.0, int(n_gamma))
    ll = np.array([lik.ns_scan(float(g), ns) for g in gam])
    top = np.max(ll[np.isfinite(ll)])
    w = np.where(np.isfinite(ll), np.exp(ll - top), 0.0)
    from scipy.integrate import trapezoid

    z = trapezoid(trapezoid(w, ns, axis=1), gam) / (float(ns_max) * 3.0)
    return float(np.log(z) + top)


def si_posterior(source: CnbSource, geometry, log10_m_phi: Sequence[float] | None = None,
                 log10_g: Sequence[float] | None = None, *, si_map: SiMap | None = None,
                 sum_m: float = 0.1, majorana: bool = True, bins: int = 150,
                 n_live: int = 1000, n_eff: int = 4000, seed: int | None = None,
                 workers: int = 1, progress: bool = False, min_depth: float = 0.2,
                 n_networks: int = 4, ns_prior_max: float | None = None) -> SiPosterior:
    """Posterior of the secret nu_tau interaction at eta = 1 by nautilus, every mode explored.

    Priors (stated): ns (in the map's normalisation: with ``"flux"`` the events of the
    unpropagated power law, the propagated signal having ns x T(gamma) events) uniform on
    [0, ns_max] (the point-source model's bound, as in
    :func:`bayesnu.inference.cnb_bayes.evidence_cnb`), gamma uniform on [1, 4], log10(m_phi/MeV)
    and log10 g uniform over the grid's range. The likelihood in (log10 m_phi, log10 g) is
    the bilinear interpolation of log L between the grid nodes, where the transport is solved
    (the TS map's grid: pass ``si_map`` computed with ``keep_ratios=True`` to reuse it);
    exact in (ns, gamma). The null evidence (no secret interaction) uses the same ns and gamma
    priors. Modes: the local TS minima of the map deeper than ``min_depth`` (:func:`ts_modes`);
    for each, the equal-weight draws and the explored nautilus points in its basin.

    Parameters
    ----------
    source, geometry
        As for :func:`si_ts_map`.
    log10_m_phi, log10_g
        Grid axes (default 40 x 40 over [-1, 3] x [-4, 0.5]); ignored with ``si_map``.
    si_map
        A map with ratios (``keep_ratios=True``) on the same source.
    sum_m, majorana, bins, workers
        As for :func:`si_ts_map` (when the map is computed here).
    n_live, n_eff, n_networks
        nautilus live points, effective sample size and networks per bound.
    seed
        Seed of nautilus and of the equal-weight resampling.
    progress
        Progress bars / status line on stderr.
    min_depth
        Smallest depth (TS units) of a counted mode.
    ns_prior_max
        Upper end of the uniform ns prior (both models); default the point-source ns_max.
        With the flux normalisation the Bayes factor depends on it: where the spectrum is
        absorbed any ns fits (the background-only likelihood), so a wide ns prior rewards
        the secret-interaction model by its prior volume (NGC 1068, public data: ln B = 3.2
        with ns_max = 5.2e4, ~0.1 with 100).
    """
    from bayesnu.likelihood.kernel import ns_upper_bound

    if not (isinstance(n_live, (int, np.integer)) and n_live >= 10):
        raise InputError(f"n_live must be an integer >= 10, got {n_live}", column="n-live")
    if not (isinstance(n_eff, (int, np.integer)) and n_eff >= 10):
        raise InputError(f"n_eff must be an integer >= 10, got {n_eff}", column="n-eff")
    t0, c0 = time.perf_counter(), time.process_time()
    if si_map is None:
        lm = np.linspace(*LOG10_M_PHI_RANGE, 40) if log10_m_phi is None else log10_m_phi
        lg = np.linspace(*LOG10_G_RANGE, 40) if log10_g is None else log10_g
        si_map = si_ts_map(source, geometry, lm, lg, sum_m=sum_m, majorana=majorana,
                           bins=bins, progress=progress, workers=workers, keep_ratios=True)
    elif si_map.ratios is None:
        raise InputError("the TS map has no transport ratios; compute it with "
                         "keep_ratios=True", column="si_map")
    lm, lg = si_map.log10_m_phi, si_map.log10_g
    if lm.size < 2 or lg.size < 2 or np.any(np.diff(lm) <= 0) or np.any(np.diff(lg) <= 0):
        raise InputError("the posterior needs increasing grids of >= 2 points per axis",
                         column="grid")
    mix = [[source.mixture(si_map.ratios[i, j]) for j in range(lg.size)]
           for i in range(lm.size)]
    flux_norm = si_map.meta.get("normalisation", "flux") == "flux"
    grid_g = source.gamma_grid
    # log transmission per node and grid gamma (flux normalisation: ns x T(gamma) events)
    logT = np.log(np.maximum(source.transmission(si_map.ratios), 1e-300))
    pl = source.power_law_mixture()
    ns_max = float(ns_upper_bound(source.base))
    if ns_prior_max is not None:
        if not (np.isfinite(ns_prior_max) and 0 < ns_prior_max <= ns_max):
            raise InputError(f"ns_prior_max must be in (0, {ns_max:.6g}], got {ns_prior_max}",
                             column="ns_prior_max")
        ns_max = float(ns_prior_max)

    def loglike(x):
        ns, gam, a, b = x
        i = int(np.clip(np.searchsorted(lm, a) - 1, 0, lm.size - 2))
        j = int(np.clip(np.searchsorted(lg, b) - 1, 0, lg.size - 2))
        u = (a - lm[i]) / (lm[i + 1] - lm[i])
        v = (b - lg[j]) / (lg[j + 1] - lg[j])
        total = 0.0
        for di, dj, w in ((0, 0, (1 - u) * (1 - v)), (1, 0, u * (1 - v)),
                          (0, 1, (1 - u) * v), (1, 1, u * v)):
            if w == 0.0:
                continue
            n_ev = (ns * float(np.exp(np.interp(gam, grid_g, logT[i + di, j + dj])))
                    if flux_norm else ns)
            val = mix[i + di][j + dj](np.array([n_ev, gam]))
            if not np.isfinite(val):
                return -np.inf
            total += w * val
        return total

    def loglike0(x):
        return pl(np.array([x[0], x[1]]))

    base = [(0.0, ns_max), (1.0, 4.0)]
    bounds = base + [(float(lm[0]), float(lm[-1])), (float(lg[0]), float(lg[-1]))]
    lz, lze, pts, logw, draws, n1 = run_box_nautilus(
        loglike, bounds, n_live, seed, n_eff, f"nautilus (ns, gamma, m_phi, g) {source.source.name}",
        progress, n_networks)
    lz0, lz0e, _, _, _, n0 = run_box_nautilus(
        loglike0, base, n_live, seed, n_eff, f"nautilus (ns, gamma) null {source.source.name}",
        progress, n_networks)
    lz0_grid = log_evidence_grid(pl, ns_max)
    names = ("ns", "gamma", "log10_m_phi", "log10_g")
    post = {n: draws[:, k] for k, n in enumerate(names)}
    for k, (lo, hi) in enumerate(bounds):
        v = draws[:, k]
        if not (np.all(np.isfinite(v)) and v.min() >= lo and v.max() <= hi):
            raise InputError("nautilus draws are non-finite or outside the priors",
                             column="posterior")
    # modes of the map and how the sampler covered them (nearest grid node of each point)
    modes = ts_modes(si_map.ts, min_depth=min_depth)

    def cell(x):
        i = np.clip(np.rint(np.interp(x[:, 2], lm, np.arange(lm.size))).astype(int), 0,
                    lm.size - 1)
        j = np.clip(np.rint(np.interp(x[:, 3], lg, np.arange(lg.size))).astype(int), 0,
                    lg.size - 1)
        return i, j

    di, dj = cell(draws)
    pi, pj = cell(pts)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    for m in modes:
        b = m.pop("basin")
        i0, j0 = m["index"]
        m.update({"log10_m_phi": float(lm[i0]), "log10_g": float(lg[j0]),
                  "basin_cells": int(b.sum()), "n_draws": int(b[di, dj].sum()),
                  "n_explored": int(b[pi, pj].sum()),
                  "posterior_mass": float(w[b[pi, pj]].sum())})
        m["basin"] = b
    meta = {"source": source.source.name, "seconds": time.perf_counter() - t0,
            "cpu_seconds_main": time.process_time() - c0, "n_like": n1 + n0,
            "log_z0_quadrature": lz0_grid,
            "n_live": int(n_live), "n_eff": int(n_eff), "n_networks": int(n_networks),
            "seed": seed, "eta": 1.0,
            "sum_m_ev": si_map.meta.get("sum_m_ev", sum_m), "bins": si_map.meta.get("bins", bins),
            "normalisation": "flux" if flux_norm else "events",
            "interpolation": "log L bilinear in (log10 m_phi, log10 g) between grid nodes",
            "priors": {"ns": [0.0, ns_max], "gamma": [1.0, 4.0],
                       "log10_m_phi": [float(lm[0]), float(lm[-1])],
                       "log10_g": [float(lg[0]), float(lg[-1])]},
            "grid": [int(lm.size), int(lg.size)], "map_seconds": si_map.meta.get("seconds")}
    return SiPosterior(post, lz, lze, lz0, lz0e, modes, si_map, meta)

