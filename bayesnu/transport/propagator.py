"""Propagation of a source flux through the cosmic neutrino background.

Entry points
------------
:func:`propagate`
    ``propagate(gamma_or_spectrum, geometry, neutrinos, eta=..., options=...)``: one
    solution as a :class:`PropagationResult`.
:class:`Propagator`
    ``Propagator(geometry, neutrinos, options)``: built once per physical setting (bin
    integrals of the cross sections, eigen-decomposition), then evaluates many
    (eta, gamma) points and their exact derivatives quickly. This is what the PyTensor
    Ops in :mod:`bayesnu.ops.transport` wrap.

The geometry is :class:`~bayesnu.transport.config.ConstantDensity` (eigen solver,
automatic fallback to the implicit stepper), :class:`~bayesnu.transport.config.Redshift`
(bin-shift scheme, exact exponential per redshift step) or
:class:`~bayesnu.transport.config.Population` (star-formation-history population).

Normalisation: fluxes are per unit source normalisation chosen so that **without
interactions the observed nu_mu + nubar_mu flux is the bin-averaged power law
(E / 1 TeV)^-gamma** [GeV^-1 cm^-2 s^-1 per unit Phi0]; with interactions the
returned flux is that power law times the transport ratio.

Conventions at the edges: eta = 0 returns the initial flux exactly; an eta so large
that every eigenvalue's exponential underflows (tau x smallest absorption rate > 700,
e.g. eta = 1e300) returns the all-absorbed spectrum (zeros, with zero derivatives),
never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesnu.errors import InputError
from bayesnu.transport.config import (
    MAX_EIGEN_BINS,
    ConstantDensity,
    Geometry,
    Neutrinos,
    Redshift,
    SolverOptions,
    check_geometry,
)
from bayesnu.transport.constants import E0_GEV
from bayesnu.transport.neutrino import flavour_to_mass_weights
from bayesnu.transport.operator import build_operator, power_law_bin_average
from bayesnu.transport.solvers import (
    EigenPropagator,
    block_eigenvalues,
    implicit_propagate,
    population_propagate,
    population_weights,
    redshift_propagate,
    redshift_propagate_columns,
    redshift_steps,
)

__all__ = ["Propagator", "PropagationResult", "propagate", "source_geometry", "source_propagator",
           "PAPER_SOURCES"]

#: Geometry of the three sources of Franklin et al. 2023, 2025 (NGC 1068 without redshift).
PAPER_SOURCES: dict[str, Geometry] = {
    "NGC 1068": ConstantDensity(14.0),
    "TXS 0506+056": Redshift(0.3365),
    "PKS 1424+240": Redshift(0.6),
}

#: tau x (smallest absorption rate) above which exp(-tau A) underflows in every component.
_TAU_ABSORBED = 700.0


@dataclass
class PropagationResult:
    """Propagated fluxes on the grid (all arrays over bins; mass/flavour index first).

    Attributes
    ----------
    energy_gev
        Bin centres [GeV], (N,).
    flux_mass, free_mass
        Propagated and interaction-free nu + nubar flux per mass state, (3, N).
    numu_flux
        Propagated nu_mu + nubar_mu flux, (N,).
    U
        PMNS matrix.
    method
        Solver used ("eigen", "implicit", "redshift-<scheme>", "population-<scheme>",
        or "absorbed").
    """

    energy_gev: np.ndarray
    flux_mass: np.ndarray
    free_mass: np.ndarray
    numu_flux: np.ndarray
    U: np.ndarray
    method: str

    @staticmethod
    def _ratio(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    @property
    def ratio_mass(self) -> np.ndarray:
        """Phi_i / Phi_i(no interactions), shape (3, N) (NaN where the free flux is 0)."""
        return self._ratio(self.flux_mass, self.free_mass)

    @property
    def flux_flavour(self) -> np.ndarray:
        """Flux per flavour e, mu, tau, shape (3, N)."""
        return np.abs(self.U) ** 2 @ self.flux_mass

    @property
    def ratio_flavour(self) -> np.ndarray:
        """Phi_alpha / Phi_alpha(no interactions) for e, mu, tau, shape (3, N)."""
        return self._ratio(self.flux_flavour, np.abs(self.U) ** 2 @ self.free_mass)

    @property
    def ratio_sum(self) -> np.ndarray:
        """All-flavour ratio, shape (N,)."""
        return self._ratio(self.flux_mass.sum(axis=0), self.free_mass.sum(axis=0))


class Propagator:
    """Transport of a source flux; built once, evaluated for many (eta, gamma).

    Parameters
    ----------
    geometry
        :class:`~bayesnu.transport.config.ConstantDensity`,
        :class:`~bayesnu.transport.config.Redshift` or
        :class:`~bayesnu.transport.config.Population`.
    neutrinos
        :class:`~bayesnu.transport.config.Neutrinos` (default: m1 = 0.0342 eV, NO,
        Standard Model only).
    options
        :class:`~bayesnu.transport.config.SolverOptions` (default: 300 bins 1e2-1e10 GeV).

    Attributes
    ----------
    grid, N
        Output energy grid and its number of bins.
    masses, U, weights, umu2
        Masses [eV], PMNS matrix, source mass-state fractions, |U_mu i|^2.
    mode
        "distance", "redshift" or "population".
    op
        The binned :class:`~bayesnu.transport.operator.TransportOperator` on the working grid.
    """

    def __init__(self, geometry: Geometry, neutrinos: Neutrinos | None = None,
                 options: SolverOptions | None = None) -> None:
        self.geometry = check_geometry(geometry)
        self.neutrinos = neutrinos if neutrinos is not None else Neutrinos()
        self.options = options if options is not None else SolverOptions()
        if not isinstance(self.neutrinos, Neutrinos):
            raise InputError("neutrinos must be a bayesnu.transport.Neutrinos", column="neutrinos")
        if not isinstance(self.options, SolverOptions):
            raise InputError("options must be a bayesnu.transport.SolverOptions", column="options")
        nu, opt, step = self.neutrinos, self.options, self.options.step
        self.grid = opt.grid
        self.N = self.grid.nbins
        self.mode = self.geometry.mode
        self.osc = nu.oscillation()
        self.U = nu.pmns()
        self.masses = nu.masses()
        self.si = nu.secret_interaction
        self.n0 = nu.n0
        self.weights = flavour_to_mass_weights(nu.flavour_ratio, self.U)
        self.umu2 = np.abs(self.U[1]) ** 2
        self.fmu = float(self.umu2 @ self.weights)
        if self.fmu <= 0:
            raise InputError("the source composition gives no muon neutrinos", column="flavour_ratio")
        self.floor = opt.floor / self.fmu
        self.method = step.method
        self.tol = step.tol
        self.scheme = step.scheme if step.scheme is not None else (
            "etd2" if self.mode == "population" else "eigen")
        if self.scheme == "etd2" and self.mode != "population":
            raise InputError("scheme 'etd2' is for Population geometries", column="scheme")
        if isinstance(self.geometry, ConstantDensity):
            self.d_cm = self.geometry.d_cm
            self.work_grid = self.grid
            self._columns = np.array([self.d_cm])
        elif isinstance(self.geometry, Redshift):
            self.cosmology = self.geometry.cosmology
            self.z = self.geometry.z
            zn, _ = redshift_steps(self.z, self.grid.dlog10)
            self.z1 = float(zn[1])
            self.work_grid = self.grid.extended(len(zn))
            self._columns = np.array([self.cosmology.column_length_cm(0.0, self.z, power=3)])
        else:
            self.cosmology = self.geometry.cosmology
            self.zmax = self.geometry.z_max
            k = step.bins_per_step
            nz = int(np.ceil(np.log10(1 + self.zmax) / self.grid.dlog10))
            self.work_grid = self.grid.extended(nz + 1)
            z_lo, z_hi, _, _ = population_weights(self.zmax, self.grid.dlog10, 2.0, self.cosmology,
                                                  bins_per_step=k)
            keep = z_hi > z_lo
            self._columns = self.cosmology.column_length_cm(z_lo[keep], z_hi[keep], power=3)
        use_eigen = (self.mode == "distance" and self.method in ("auto", "eigen")) or (
            self.mode != "distance" and self.scheme == "eigen")
        if use_eigen and self.work_grid.nbins > MAX_EIGEN_BINS:
            raise InputError(f"the eigen solver takes at most {MAX_EIGEN_BINS} bins (working grid "
                             f"{self.work_grid.nbins}); use fewer bins or method='implicit'", column="bins")
        self.op = build_operator(self.work_grid, self.masses, self.U, sm=nu.sm, ee=nu.ee, si=self.si,
                                 energy_correction=opt.energy_correction)
        # smallest absorption rate [cm^2]: every component decays at least this fast
        lam = block_eigenvalues(self.op)
        lam_min = float(np.min(lam)) if lam.size else 0.0
        rate = self.n0 * float(self._columns.min()) * lam_min
        self._eta_absorbed = _TAU_ABSORBED / rate if rate > 0 else np.inf
        # eta at which the most absorbing bin reaches optical depth 1 (scale of eta)
        rate_max = self.n0 * float(self._columns.sum()) * float(np.max(lam)) if lam.size else 0.0
        self._eta_unit = 1.0 / rate_max if rate_max > 0 else 1.0
        self._eig = None
        self._proj = None
        if use_eigen:
            self._eig = EigenPropagator(self.op)
            if self.mode == "distance" and self.method == "eigen" and not self._eig.ok:
                raise InputError(f"eigen solver unusable here: {self._eig.reason}", column="method")
        if self.mode == "distance" and self._eig is not None:
            N = self.N
            P = np.zeros((N, 3 * N))
            P[np.arange(N)[:, None], 3 * np.arange(N)[:, None] + np.arange(3)[None]] = self.umu2[None]
            self._proj = P
        self._coef_cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._last: tuple | None = None

    # ------------------------------------------------------------------ helpers
    @property
    def energy_gev(self) -> np.ndarray:
        """Bin centres of the output grid [GeV]."""
        return self.grid.centers

    @property
    def _eigen_ok(self) -> bool:
        return self.mode == "distance" and self._eig is not None and self._eig.ok

    def initial_state(self, gamma: float) -> tuple[np.ndarray, np.ndarray]:
        """Initial mass-state spectrum (N_work, 3) on the working grid and its gamma-derivative."""
        if not np.isfinite(gamma):
            raise InputError(f"gamma must be finite, got {gamma}", column="gamma")
        pl, dpl = power_law_bin_average(self.work_grid.edges, gamma, E0_GEV)
        w = self.weights / self.fmu
        return pl[:, None] * w[None], dpl[:, None] * w[None]

    def absorbed(self, eta: float) -> bool:
        """True if eta is so large that every flux component underflows to zero."""
        return bool(eta > self._eta_absorbed)

    def _coefficients(self, gamma: float):
        key = float(gamma)
        if key not in self._coef_cache:
            x0, dx0 = self.initial_state(gamma)
            c = self._eig.coefficients(np.stack([x0, dx0], axis=-1))
            if len(self._coef_cache) > 64:
                self._coef_cache.clear()
            self._coef_cache[key] = (c[:, 0], c[:, 1])
        return self._coef_cache[key]

    @staticmethod
    def _check_eta(eta) -> np.ndarray:
        e = np.atleast_1d(np.asarray(eta, dtype=float))
        if np.any(np.isnan(e)) or np.any(e < 0):
            raise InputError("eta must be >= 0", column="eta")
        return e

    # ------------------------------------------------------------------ the one dispatch
    def _state(self, eta: float, gamma: float, derivatives: bool):
        """Mass-state solution (N_work, 3), [d/deta, d/dgamma] or None, and the method used."""
        if self.absorbed(eta):
            z = np.zeros((self.work_grid.nbins, 3))
            return z, ([z, z.copy()] if derivatives else None), "absorbed"
        if self.mode == "distance":
            return self._distance_state(eta, gamma, derivatives)
        if self.mode == "redshift":
            x, tg = self._redshift_state(eta, gamma, derivatives)
            return x, tg, f"redshift-{self.scheme}"
        x, tg = self._population_state(eta, gamma, derivatives)
        return x, tg, f"population-{self.scheme}"

    def _implicit_distance(self, eta: float, gamma: float, derivatives: bool):
        x0, dx0 = self.initial_state(gamma)
        tau = eta * self.n0 * self.d_cm
        step = self.options.step
        tans = [(np.zeros_like(x0), 1.0), (dx0, 0.0)] if derivatives else []
        x, tg = implicit_propagate(self.op, x0, tau, nsteps=step.implicit_steps, levels=step.implicit_levels,
                                   floor=self.floor, tangents=tans)
        if derivatives:
            tg = [tg[0] * self.n0 * self.d_cm, tg[1]]
        return x, (tg if derivatives else None), "implicit"

    def _distance_state(self, eta: float, gamma: float, derivatives: bool):
        if self._eigen_ok:
            c, cg = self._coefficients(gamma)
            tau = eta * self.n0 * self.d_cm
            x0, dx0 = self.initial_state(gamma)
            out, d, err = self._eig.propagate(c, [tau], deriv=derivatives, base=x0)
            x = out[0].reshape(self.N, 3)
            big = np.abs(x) > np.maximum(self.floor, 1e-15 * x0)
            bad = np.any(err[0].reshape(self.N, 3)[big] > self.tol * np.abs(x[big]))
            if not bad:
                x = np.where(x < self.floor, 0.0, x)
                if not derivatives:
                    return x, None, "eigen"
                dg, _, _ = self._eig.propagate(cg, [tau], base=dx0)
                de = d[0].reshape(self.N, 3) * self.n0 * self.d_cm
                zero = x == 0
                return x, [np.where(zero, 0, de), np.where(zero, 0, dg[0].reshape(self.N, 3))], "eigen"
            if self.method == "eigen":
                raise InputError("eigen solution lost precision (resonance); use method='auto'",
                                 column="method")
        return self._implicit_distance(eta, gamma, derivatives)

    def _redshift_state(self, eta, gamma, derivatives):
        x0, dx0 = self.initial_state(gamma)
        # source spectrum redshifted analytically to the first integer node z1 and
        # normalised so that the interaction-free flux at Earth is the power law
        lz = np.log1p(self.z1)
        fac = np.exp((gamma - 1) * lz)
        x1 = x0 * fac
        dx1 = (dx0 + lz * x0) * fac
        step = self.options.step
        tans = [(np.zeros_like(x1), "eta"), (dx1, "lin")] if derivatives else []
        return redshift_propagate(self.op, x1, self.z, eta, self.n0, self.cosmology, floor=self.floor,
                                  substeps=step.substeps, levels=step.levels, tangents=tans,
                                  scheme=self.scheme, eig=self._eig, tol=self.tol)

    def _population_state(self, eta, gamma, derivatives):
        x0, dx0 = self.initial_state(gamma)
        step = self.options.step
        exact_tangents = derivatives and self.scheme != "etd2"
        x, Q, (dxe, dxg, dQ) = population_propagate(
            self.op, x0, dx0, gamma, self.zmax, eta, self.n0, self.cosmology, floor=self.floor,
            substeps=step.substeps, levels=step.levels, derivatives=exact_tangents, scheme=self.scheme,
            bins_per_step=step.bins_per_step, eig=self._eig)
        out = x / Q
        if not derivatives:
            return out, None
        if exact_tangents:
            return out, [dxe / Q, dxg / Q - x * dQ / Q**2]
        return out, self._population_differences(eta, gamma, out)

    def _population_differences(self, eta: float, gamma: float, f0: np.ndarray):
        """d/deta and d/dgamma of the population solution by differences of whole solutions.

        The "etd2" step adapts its gain model to the solution, so the scheme is not linear
        and has no tangent; central differences (relative step 1e-4 in eta, 1e-4 in gamma;
        error O(step^2) ~ 1e-8 relative) are used, second-order one-sided at eta = 0.
        """
        def f(e, g):
            return self._population_state(e, g, False)[0]

        hg = 1e-4
        dg = (f(eta, gamma + hg) - f(eta, gamma - hg)) / (2 * hg)
        he = 1e-4 * max(eta, self._eta_unit)
        if eta - he >= 0:
            de = (f(eta + he, gamma) - f(eta - he, gamma)) / (2 * he)
        else:
            de = (-3 * f0 + 4 * f(eta + he, gamma) - f(eta + 2 * he, gamma)) / (2 * he)
        return [de, dg]

    # ------------------------------------------------------------------ public API
    def solve(self, eta: float, gamma: float, derivatives: bool = False):
        """Propagated mass-state fluxes on the output grid.

        Parameters
        ----------
        eta
            Relic overdensity n / n0 (>= 0; any huge value gives the absorbed spectrum).
        gamma
            Spectral index of the source power law.
        derivatives
            Also return ``(d flux_mass/d eta, d flux_mass/d gamma)``, each (3, N).

        Returns
        -------
        PropagationResult
            (and the derivative pair with ``derivatives``).
        """
        eta = float(self._check_eta(eta)[0])
        gamma = float(gamma)
        N = self.N
        x0, _ = self.initial_state(gamma)
        x, tg, method = self._state(eta, gamma, derivatives)
        flux = x[:N].T
        res = PropagationResult(self.energy_gev, flux, x0[:N].T.copy(), self.umu2 @ flux, self.U, method)
        if derivatives:
            return res, (tg[0][:N].T, tg[1][:N].T)
        return res

    def numu_flux(self, eta: float, gamma: float, derivatives: bool = False):
        """Propagated nu_mu + nubar_mu flux on the grid (N,) [per unit normalisation].

        With ``derivatives`` returns ``(flux, dflux/deta, dflux/dgamma)``; the last such
        evaluation is kept, so asking again at the same point (value then gradient, as
        NUTS does) costs nothing.
        """
        key = (float(eta), float(gamma), bool(derivatives))
        if self._last is not None and self._last[0] in (key, key[:2] + (True,)):
            val = self._last[1]
            return val if derivatives else val[0]
        out = self.numu_flux_grid([eta], gamma, derivatives)
        val = tuple(o[0] for o in out) if derivatives else (out[0],)
        self._last = (key, val)
        return val if derivatives else val[0]

    def numu_flux_grid(self, etas, gamma: float, derivatives: bool = False):
        """nu_mu flux for many eta values at once, shape (n_eta, N) (+ d/deta, d/dgamma).

        In distance mode with a usable eigen-decomposition this is one matrix product;
        evaluations that fail the rounding check are redone with the implicit solver.
        """
        etas = self._check_eta(etas)
        gamma = float(gamma)
        N = self.N
        if not self._eigen_ok:
            rows = [self._state(e, gamma, derivatives) for e in etas]
            out = np.array([r[0][:N] @ self.umu2 for r in rows])
            if derivatives:
                return (out, np.array([r[1][0][:N] @ self.umu2 for r in rows]),
                        np.array([r[1][1][:N] @ self.umu2 for r in rows]))
            return out
        gone = np.array([self.absorbed(e) for e in etas])
        taus = np.where(gone, 0.0, etas) * self.n0 * self.d_cm
        c, cg = self._coefficients(gamma)
        x0, dx0 = self.initial_state(gamma)
        out, d, err = self._eig.propagate(c, taus, project=self._proj, deriv=derivatives,
                                          base=x0 @ self.umu2)
        dg = (self._eig.propagate(cg, taus, project=self._proj, base=dx0 @ self.umu2)[0]
              if derivatives else None)
        floor_mu = self.floor * self.umu2.max()
        relevant = np.abs(out) > np.maximum(floor_mu, 1e-15 * (x0 @ self.umu2))[None, :]
        bad = np.any((err > self.tol * np.abs(out)) & relevant, axis=1) & ~gone
        out = np.where(out < floor_mu, 0.0, out)
        out[gone] = 0.0
        if derivatives:
            d = d * self.n0 * self.d_cm
            d[gone] = 0.0
            dg[gone] = 0.0
        for k in np.flatnonzero(bad):
            x, tg, _ = self._implicit_distance(etas[k], gamma, derivatives)
            out[k] = x @ self.umu2
            if derivatives:
                d[k], dg[k] = tg[0] @ self.umu2, tg[1] @ self.umu2
        if derivatives:
            return out, d, dg
        return out

    def numu_flux_table(self, etas, gammas, max_columns: int = 512) -> np.ndarray:
        """nu_mu flux for every (eta, gamma) pair, shape (n_eta, n_gamma, N).

        The fast path of a profile over eta with gamma on a grid. Constant density: one
        eigen evaluation per gamma for all etas (:meth:`numu_flux_grid`). Redshift: all
        pairs go through the redshift steps together (multi right-hand side,
        :func:`~bayesnu.transport.solvers.redshift_propagate_columns`, ``max_columns``
        pairs per pass); each entry equals ``numu_flux(eta, gamma)``. Population: one
        solve per pair.

        Parameters
        ----------
        etas
            Overdensities (>= 0), shape (n_eta,).
        gammas
            Spectral indices, shape (n_gamma,).
        max_columns
            Pairs per redshift pass (memory ~ 5 x 3 N_work x max_columns floats).

        Returns
        -------
        numpy.ndarray
            Propagated nu_mu + nubar_mu flux per unit normalisation
            [GeV^-1 cm^-2 s^-1], shape (n_eta, n_gamma, N).

        Notes
        -----
        BLAS runs single-threaded inside (threadpoolctl, if installed): the matrix products
        here are small (~1e3 x 1e3), and on a loaded machine multi-threaded BLAS spends
        ~50-100x longer in thread synchronisation than in arithmetic (measured: one
        50-eta eigen evaluation 104 ms with 2 threads at load ~9, 1.5 ms with 1).
        """
        with _one_blas_thread():
            return self._numu_flux_table(etas, gammas, max_columns)

    def _numu_flux_table(self, etas, gammas, max_columns: int) -> np.ndarray:
        etas = self._check_eta(etas)
        gammas = np.atleast_1d(np.asarray(gammas, dtype=float))
        N = self.N
        out = np.zeros((etas.size, gammas.size, N))
        if self.mode != "redshift":
            for j, g in enumerate(gammas):
                out[:, j, :] = self.numu_flux_grid(etas, float(g))
            return out
        lz = np.log1p(self.z1)
        x1 = np.stack([self.initial_state(float(g))[0] * np.exp((float(g) - 1) * lz) for g in gammas],
                      axis=-1)  # (N_work, 3, n_gamma)
        gone = np.array([self.absorbed(e) for e in etas])
        pairs = [(i, j) for i in np.flatnonzero(~gone) for j in range(gammas.size)]
        step = self.options.step
        for a in range(0, len(pairs), max(1, int(max_columns))):
            blk = pairs[a:a + max_columns]
            ii = np.array([p[0] for p in blk])
            jj = np.array([p[1] for p in blk])
            X = redshift_propagate_columns(self.op, x1[:, :, jj], self.z, etas[ii], self.n0, self.cosmology,
                                           floor=self.floor, substeps=step.substeps, levels=step.levels,
                                           scheme=self.scheme, eig=self._eig, tol=self.tol)
            out[ii, jj, :] = np.einsum("nik,i->kn", X[:N], self.umu2)
        return out

    def solve_spectrum(self, eta: float, spectrum) -> PropagationResult:
        """Propagated fluxes for an arbitrary source spectrum (constant density only).

        ``spectrum`` is the interaction-free nu_mu + nubar_mu flux per bin (N,) on the
        output grid (bin averages; the source composition splits it into mass states).
        The map is linear: one block back-substitution and one matrix product.
        """
        if self.mode != "distance":
            raise InputError("an arbitrary spectrum is supported with ConstantDensity only "
                             "(the redshift schemes redshift a power law analytically)", column="spectrum")
        s = np.asarray(spectrum, dtype=float)
        if s.shape != (self.N,) or not np.all(np.isfinite(s)) or np.any(s < 0):
            raise InputError(f"spectrum must be {self.N} finite non-negative bin values", column="spectrum")
        eta = float(self._check_eta(eta)[0])
        x0 = s[:, None] * (self.weights / self.fmu)[None]
        method = "absorbed"
        x = None
        if self.absorbed(eta):
            x = np.zeros_like(x0)
        tau = eta * self.n0 * self.d_cm
        if x is None and self._eigen_ok:
            c = self._eig.coefficients(x0).reshape(-1)
            out, _, err = self._eig.propagate(c, [tau], base=x0)
            y = out[0].reshape(self.N, 3)
            big = np.abs(y) > np.maximum(self.floor, 1e-15 * x0)
            if not np.any(err[0].reshape(self.N, 3)[big] > self.tol * np.abs(y[big])):
                x, method = np.where(y < self.floor, 0.0, y), "eigen"
        if x is None:
            step = self.options.step
            x, _ = implicit_propagate(self.op, x0, tau, nsteps=step.implicit_steps,
                                      levels=step.implicit_levels, floor=self.floor)
            method = "implicit"
        return PropagationResult(self.energy_gev, x.T, x0.T.copy(), x @ self.umu2, self.U, method)


def _one_blas_thread():
    """Context limiting BLAS to one thread (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def propagate(gamma_or_spectrum, geometry: Geometry, neutrinos: Neutrinos | None = None, *,
              eta: float = 1.0, options: SolverOptions | None = None) -> PropagationResult:
    """Propagate a source flux through the CnuB: the short entry point.

    Parameters
    ----------
    gamma_or_spectrum
        Spectral index gamma of a power law (E/1 TeV)^-gamma (float), or, for
        :class:`~bayesnu.transport.config.ConstantDensity`, the interaction-free
        nu_mu + nubar_mu flux per bin on the output grid (array (bins,)).
    geometry
        ``ConstantDensity(d_eff_mpc)``, ``Redshift(z)`` or ``Population(z_max)``.
    neutrinos
        :class:`~bayesnu.transport.config.Neutrinos` (default m1 = 0.0342 eV, NO, SM only).
    eta
        Relic overdensity n / n0 (>= 0).
    options
        :class:`~bayesnu.transport.config.SolverOptions`.

    Returns
    -------
    PropagationResult

    Examples
    --------
    >>> from bayesnu.transport import propagate, ConstantDensity, Neutrinos, SolverOptions
    >>> r = propagate(3.15, ConstantDensity(14.0), Neutrinos(m_lightest=0.0342), eta=1e14,
    ...               options=SolverOptions(bins=60, emax_gev=1e8))
    >>> r.numu_flux.shape
    (60,)

    For many evaluations build a :class:`Propagator` once instead.
    """
    prop = Propagator(geometry, neutrinos, options)
    arr = np.asarray(gamma_or_spectrum, dtype=float)
    if arr.ndim == 0:
        return prop.solve(eta, float(arr))
    return prop.solve_spectrum(eta, arr)


def source_geometry(name: str) -> Geometry:
    """Geometry of a source of Franklin et al. 2025: NGC 1068 (14 Mpc), TXS 0506+056 (z 0.3365), PKS 1424+240 (z 0.6)."""
    key = {k.replace(" ", "").lower(): k for k in PAPER_SOURCES}.get(str(name).replace(" ", "").lower())
    if key is None:
        raise InputError(f"unknown source {name!r}; known: {', '.join(PAPER_SOURCES)}", column="source")
    return PAPER_SOURCES[key]


def source_propagator(name: str, neutrinos: Neutrinos | None = None, options: SolverOptions | None = None,
                      geometry: Geometry | None = None) -> Propagator:
    """:class:`Propagator` for a source of Franklin et al. 2025 (``geometry`` overrides :func:`source_geometry`)."""
    geo = source_geometry(name) if geometry is None else geometry
    return Propagator(geo, neutrinos, options)
