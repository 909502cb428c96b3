"""Point-source likelihood with a propagated (non-power-law) spectrum, numpy and PyTensor.

The signal energy PDF of a flux ``phi`` on a sample's true-energy bins is the
linear-fractional map ``S = R phi / (a . phi)`` of :mod:`bayesnu.pdfs.spectrum`.
Here it is chained with the transport through the cosmic neutrino background
(:mod:`bayesnu.transport`): the propagated nu_mu flux ``F(E; eta, gamma)`` on the
transport grid gives the ratio ``F / F_free`` (``F_free`` the bin-averaged power law
of the same normalisation), which multiplies the exact power law on each
sample's true bins (:class:`~bayesnu.pdfs.spectrum.RatioRebinner`).

* :func:`spectrum_pdf` -- ``R phi / (a . phi)`` as a graph of standard PyTensor ops
  (exact gradient in ``phi`` by automatic differentiation).
* :func:`power_law_integrals` -- exact bin integrals of ``(E/e0)^-gamma`` (symbolic in gamma).
* :class:`CnbSource` -- one source (one or more samples): the data's ROI events,
  one :class:`~bayesnu.pdfs.spectrum.SpectrumEnergyPDF` per sample, and

  - :meth:`CnbSource.logl` -- the symbolic log-likelihood ratio
    ``log L(ns, gamma, flux) - log L(ns = 0)`` for a symbolic flux (e.g. the output of
    :class:`bayesnu.transport.ops.NumuFluxOp` or ``SecretNumuFluxOp``), so that
    d logL / d(ns, gamma, log10 eta) or d/d(log10 g, log10 m_phi) reach NUTS through one graph;
  - :meth:`CnbSource.mixture` -- the same likelihood as a numpy
    :class:`~bayesnu.likelihood.MixtureLikelihood` for a fixed transport ratio tabulated
    on a gamma grid (its log S splines in gamma), used by the fast profiles of
    :mod:`bayesnu.inference.cnb` (``fast_fit`` over ns and gamma).

With a ratio of 1 (eta = 0) both reduce exactly to today's power-law likelihood.

The likelihood is the kernel's mixture (see :mod:`bayesnu.likelihood.kernel`): for
sample k with N_k events, ``F_k = acc_k / sum acc`` its share of ns and
``Z_i = F_k X_i S_{k, r(i)}`` (``X_i`` spatial signal / (spatial x energy background))::

    log L - log L0 = sum_i log(1 + ns (Z_i - F_k) / N_k) + sum_k (N_k - n_roi,k) log(1 - ns F_k / N_k)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytensor.tensor as pt

from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup, MixtureLikelihood
from bayesnu.pdfs.energy import GammaSpline
from bayesnu.pdfs.spectrum import RatioRebinner, SpectrumEnergyPDF

__all__ = ["CNB_GAMMA_GRID", "spectrum_pdf", "power_law_integrals", "power_law_average",
           "transport_ratio", "eta_chunk", "eta_ratio_table", "CnbSource"]

#: gamma grid of the eta-profile splines (covers the uniform gamma prior [1, 4])
CNB_GAMMA_GRID = np.round(np.arange(1.0, 4.0 + 1e-9, 0.1), 10)

#: floor of the signal density in the numpy splines (per unit log10 E_reco)
_S_FLOOR = 1e-20
#: transmitted fraction of the expected signal events below which a spectrum counts as
#: absorbed for every spectral index (:meth:`CnbSource.absorbed`): only the lowest
#: transport bin survives and the events-normalised shape no longer tests a spectrum
T_MIN = 1e-20


def spectrum_pdf(phi, R, a):
    """Symbolic ``S = R phi / (a . phi)``.

    Parameters
    ----------
    phi
        Flux bin integrals on the true bins, (n_true,) (symbolic or array).
    R
        (n_reco, n_true) matrix of :class:`~bayesnu.pdfs.spectrum.SpectrumEnergyPDF`.
    a
        (n_true,) acceptance, cm^2 s.

    Returns
    -------
    (S, acc)
        Density per unit log10 E_reco in each reco bin (n_reco,) and ``a . phi``.
    """
    phi = pt.as_tensor_variable(phi)
    acc = pt.dot(pt.as_tensor_variable(a), phi)
    return pt.dot(pt.as_tensor_variable(R), phi) / acc, acc


def power_law_integrals(edges_gev: np.ndarray, gamma, e0_gev: float):
    """Symbolic exact integrals of ``(E/e0)^-gamma`` over bins with edges ``edges_gev`` (GeV).

    Written as ``lo^(1-g) expm1((1-g) ln(hi/lo)) / (1-g)`` with ``1-g`` kept at least
    1e-7 away from 0 (relative error < 1e-7 at gamma = 1 exactly, finite gradient).
    """
    e = np.asarray(edges_gev, dtype=np.float64) / e0_gev
    lo, dl = e[:-1], np.log(e[1:] / e[:-1])
    g = pt.as_tensor_variable(gamma)
    a = 1.0 - g
    a = pt.switch(pt.lt(pt.abs(a), 1e-7), pt.switch(pt.lt(a, 0), -1e-7, 1e-7), a)
    return e0_gev * pt.exp(a * np.log(lo)) * pt.expm1(a * dl) / a


def power_law_average(edges_gev: np.ndarray, gamma, e0_gev: float):
    """Symbolic bin averages of ``(E/e0)^-gamma`` (the transport's free flux per unit norm)."""
    return power_law_integrals(edges_gev, gamma, e0_gev) / np.diff(np.asarray(edges_gev))


def transport_ratio(propagator, etas: np.ndarray, gammas: np.ndarray) -> np.ndarray:
    """Propagated over free nu_mu flux, shape (n_eta, n_gamma, N) on the propagator's grid.

    Uses :meth:`bayesnu.transport.Propagator.numu_flux_table` (every eta at once for the
    constant-density eigen-decomposition; all (eta, gamma) pairs through the redshift
    steps together for redshift geometries). Bins where the free flux vanishes get 0.
    """
    from bayesnu.transport.constants import E0_GEV as E0_TRANSPORT
    from bayesnu.transport.operator import power_law_bin_average

    etas = np.atleast_1d(np.asarray(etas, dtype=np.float64))
    gammas = np.atleast_1d(np.asarray(gammas, dtype=np.float64))
    edges = propagator.grid.edges
    flux = np.asarray(propagator.numu_flux_table(etas, gammas), dtype=np.float64)
    out = np.zeros((etas.size, gammas.size, propagator.N))
    for j, g in enumerate(gammas):
        free, _ = power_law_bin_average(edges, float(g), E0_TRANSPORT)
        f = flux[:, j, :]
        out[:, j, :] = np.divide(f, free[None, :], out=np.zeros_like(f), where=free[None, :] > 0)
    return out



def eta_chunk(propagator, n_gamma: int) -> int:
    """Etas per transport call of an eta grid: 50 for a constant density (one eigen evaluation
    per gamma for all etas of a call); 128 / n_gamma for redshift geometries, whose
    multi-right-hand-side redshift pass is fastest with blocks of ~128 columns (the result is
    bitwise the same for any chunk)."""
    if getattr(propagator, "mode", "distance") == "redshift":
        return max(1, 128 // max(int(n_gamma), 1))
    return 50


def eta_ratio_table(source: CnbSource, propagator, log10_eta: Sequence[float],
                    chunk: int | None = None) -> np.ndarray:
    """Transport ratios (n_eta, n_gamma, N) of a log10 eta grid on the source's gamma nodes.

    Independent of the events: computed once, it serves many TS(eta) profiles and the
    tabulated likelihood of the CnuB model. ``chunk``: etas per transport call
    (:func:`eta_chunk` by default).
    """
    x = np.asarray(log10_eta, dtype=np.float64)
    if chunk is None:
        chunk = eta_chunk(propagator, source.gamma_grid.size)
    return np.concatenate([transport_ratio(propagator, 10.0 ** x[a:a + chunk], source.gamma_grid)
                           for a in range(0, x.size, chunk)], axis=0)

class CnbSource:
    """The CnuB likelihood of one source over the samples of a set-up.

    Parameters
    ----------
    setup
        :class:`~bayesnu.likelihood.LikelihoodSetup` for exactly one source.
    transport_edges_gev
        Energy-bin edges of the transport grid (``Propagator.grid.edges``), GeV.
    likelihood
        Events to use (a kernel from ``setup.likelihood(...)``: the data, a scramble or
        a data set with injected signal); default the set-up's data.
    gamma_grid
        Spectral indices of the numpy splines (:meth:`mixture`).
    """

    def __init__(self, setup: LikelihoodSetup, transport_edges_gev: np.ndarray,
                 likelihood: MixtureLikelihood | None = None,
                 gamma_grid: np.ndarray = CNB_GAMMA_GRID) -> None:
        if len(setup.sources) != 1:
            raise InputError("the CnuB likelihood takes one source per set-up; combine sources "
                             "by adding their log-likelihoods", column="source")
        self.setup = setup
        self.source = setup.sources[0]
        self.transport_edges = np.asarray(transport_edges_gev, dtype=np.float64)
        self.gamma_grid = np.asarray(gamma_grid, dtype=np.float64)
        self.base = likelihood if likelihood is not None else setup.likelihood()
        self.pdfs: list[SpectrumEnergyPDF] = []
        self.rebin: list[RatioRebinner] = []
        #: per sample, the reco-bin blocks of its background energy PDF (extension below,
        #: data range, extension above): every product over reco bins is taken per block,
        #: so the data range's numbers do not depend on the extension (bitwise)
        self._blocks: list[list[slice]] = []
        for st in setup.setups:
            be = st.bkg_energy
            self.pdfs.append(SpectrumEnergyPDF.from_sample(st.sample, self.source.dec,
                                                           st.true_edges, be.reco_edges,
                                                           reco_blocks=be.edge_blocks))
            self.rebin.append(RatioRebinner(st.true_edges, self.transport_edges))
            self._blocks.append(be.block_slices)
        # fold power law, sub-interval sums and response once per gamma of the grid:
        # R phi = K_g @ ratio + c_g and a . phi = k_g @ ratio + c0_g (linear in the ratio);
        # K and c per reco block
        self._K, self._c, self._ka, self._ca = [], [], [], []
        n_ratio = self.transport_edges.size - 1
        for pdf, rb, blocks in zip(self.pdfs, self.rebin, self._blocks):
            pl = rb.power_law(self.gamma_grid)  # (n_g, n_sub)
            E = np.zeros((rb.n_sub, n_ratio))
            E[np.arange(rb.n_sub), rb.ratio_of_sub] = rb.inside
            Ks, cs = [], []
            for sl in blocks:
                RG = np.ascontiguousarray(pdf.R[sl]) @ rb.gather  # (n_reco_block, n_sub)
                Ks.append(np.einsum("rs,gs,sn->grn", RG, pl, E, optimize=True))
                cs.append((RG[None] * pl[:, None, :]) @ rb.outside)
            aG = pdf.a @ rb.gather  # (n_sub,)
            self._K.append(Ks)
            self._c.append(cs)
            self._ka.append(np.einsum("s,gs,sn->gn", aG, pl, E, optimize=True))
            self._ca.append(pl @ (aG * rb.outside))
        #: acceptance of the free power law per sample (n_gamma, K): reference of the floors
        self._acc_free = np.stack([ka.sum(axis=1) + ca for ka, ca in zip(self._ka, self._ca)],
                                  axis=1)

    def with_likelihood(self, likelihood: MixtureLikelihood) -> CnbSource:
        """The same source and PDFs with other events (no PDF rebuilt)."""
        new = object.__new__(CnbSource)
        new.__dict__.update(self.__dict__)
        new.base = likelihood
        return new

    @property
    def n_samples(self) -> int:
        return len(self.pdfs)

    # ------------------------------------------------------------------ numpy
    def tables(self, ratio: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """log S per sample (..., n_gamma, n_reco_k) and log acceptance (..., n_gamma, K).

        ``ratio`` has shape (..., n_gamma, N): the transport ratio at each grid gamma
        (leading axes, e.g. many etas, are evaluated at once).
        """
        r = np.asarray(ratio, dtype=np.float64)
        if r.shape[-2:] != (self.gamma_grid.size, self.transport_edges.size - 1):
            raise InputError(f"ratio table shape {r.shape} does not end in "
                             f"({self.gamma_grid.size}, {self.transport_edges.size - 1})",
                             column="ratio")
        logs, logacc = [], []
        for k in range(len(self.pdfs)):
            num = np.concatenate([np.einsum("grn,...gn->...gr", K, r) + c
                                  for K, c in zip(self._K[k], self._c[k])], axis=-1)
            acc = np.einsum("gn,...gn->...g", self._ka[k], r) + self._ca[k]
            # floors: an (almost) absorbed spectrum keeps acc >= 1e-30 of the free power law's
            # and S >= 1e-20 per unit log10 E (Z_i ~ 1e-17: no signal), so that the cubic
            # splines in gamma never jump by hundreds of units between grid nodes (they would
            # overshoot); exact zeros only in the PyTensor graph, where -inf is returned
            acc = np.maximum(acc, 1e-30 * self._acc_free[:, k])
            s = np.maximum(num, 0.0) / acc[..., None]
            logs.append(np.log(np.maximum(s, _S_FLOOR)))
            logacc.append(np.log(acc))
        return logs, np.stack(logacc, axis=-1)

    def transmission(self, ratio: np.ndarray) -> np.ndarray:
        """Expected signal events with the ratio over those of the free power law, per grid gamma.

        ``ratio`` (..., n_gamma, N); returns (..., n_gamma): ``sum_k a_k . phi / sum_k a_k . phi_free``.
        """
        r = np.asarray(ratio, dtype=np.float64)
        acc = sum(np.einsum("gn,...gn->...g", ka, r) + ca for ka, ca in zip(self._ka, self._ca))
        return np.maximum(acc, 0.0) / self._acc_free.sum(axis=1)

    def absorbed(self, ratio: np.ndarray) -> np.ndarray:
        """True where every grid gamma keeps < :data:`T_MIN` of its expected signal events.

        ``ratio`` (..., n_gamma, N); returns (...). Depends only on the acceptance and the
        transport, not on the events.
        """
        return np.max(self.transmission(ratio), axis=-1) < T_MIN

    def mixture(self, ratio: np.ndarray) -> MixtureLikelihood:
        """Numpy kernel for a transport ratio tabulated on :attr:`gamma_grid` (n_gamma, N)."""
        logs, logacc = self.tables(ratio)
        terms = [replace(t, energy=GammaSpline(self.gamma_grid, ls))
                 for t, ls in zip(self.base.terms, logs)]
        return MixtureLikelihood(terms, GammaSpline(self.gamma_grid, logacc),
                                 ns_min=self.base.ns_min)

    def power_law_mixture(self) -> MixtureLikelihood:
        """The kernel without interactions (ratio 1) on the same gamma grid (the null L0)."""
        return self.mixture(np.ones((self.gamma_grid.size, self.transport_edges.size - 1)))

    # ------------------------------------------------------------------ PyTensor
    def logl(self, ns, gamma, flux, transport_e0_gev: float | None = None,
             normalisation: str = "events"):
        """Symbolic ``log L - log L(ns = 0)`` for a symbolic propagated nu_mu flux.

        Parameters
        ----------
        ns, gamma
            Scalars (signal events summed over samples; source spectral index). With
            ``normalisation="flux"`` ns counts the events of the *unpropagated* power law
            and the mixture uses ``ns x T`` (T = propagated / free expected events), so an
            absorbed spectrum smoothly becomes background only (log L -> 0, no -inf wall).
        flux
            Propagated nu_mu flux on the transport grid (N,), normalised as in
            :class:`bayesnu.transport.Propagator` (the bin-averaged power law
            ``(E/E0)^-gamma`` without interactions, E0 = 1 TeV).
        transport_e0_gev
            Pivot of that normalisation (default the transport's E0).
        normalisation
            ``"events"`` (default) or ``"flux"`` (see ``ns``).

        Returns
        -------
        Scalar log-likelihood ratio; -inf outside the mixture's support (never NaN).
        """
        if normalisation not in ("events", "flux"):
            raise InputError(f"normalisation must be 'events' or 'flux', got {normalisation!r}",
                             column="normalisation")
        from bayesnu.transport.constants import E0_GEV as E0_TRANSPORT

        e0 = E0_TRANSPORT if transport_e0_gev is None else float(transport_e0_gev)
        ns = pt.as_tensor_variable(ns)
        gamma = pt.as_tensor_variable(gamma)
        free = power_law_average(self.transport_edges, gamma, e0)
        ratio = flux / free
        accs, dens, frees = [], [], []
        for pdf, rb, blocks in zip(self.pdfs, self.rebin, self._blocks):
            rs = ratio[rb.ratio_of_sub] * rb.inside + rb.outside
            pl_sub = power_law_integrals(10.0 ** rb.sub_edges, gamma, rb.e0_gev)
            phi = pt.dot(rb.gather, rs * pl_sub)
            frees.append(pt.dot(pdf.a, pt.dot(rb.gather, pl_sub)))
            acc = pt.dot(pdf.a, phi)
            # an all-absorbed flux has acc = 0: keep the graph (and its gradient) finite and
            # return -inf through the support switch below
            Rphi = [pt.dot(np.ascontiguousarray(pdf.R[sl]), phi) for sl in blocks]
            Rphi = Rphi[0] if len(Rphi) == 1 else pt.concatenate(Rphi)
            s = Rphi / pt.switch(acc > 0, acc, 1.0)
            dens.append(s)
            accs.append(acc)
        acc_all = pt.stack(accs)
        acc_sum = pt.sum(acc_all)
        frac = acc_all / pt.switch(acc_sum > 0, acc_sum, 1.0)
        if normalisation == "flux":
            ns = ns * acc_sum / pt.sum(pt.stack(frees))
        total = 0.0
        ok = pt.as_tensor_variable(np.array(True))
        for k, t in enumerate(self.base.terms):
            Nk = float(t.n_total)
            z = frac[k] * t.spatial * dens[k][t.cells]
            arg = 1.0 + ns * (z - frac[k]) / Nk
            m = float(t.n_total - t.n_roi)
            rest_arg = 1.0 - ns * frac[k] / Nk
            ok = ok & pt.all(arg > 0)
            if m > 0:
                ok = ok & (rest_arg > 0)
            safe = pt.switch(arg > 0, arg, 1.0)
            total = total + pt.sum(pt.log(safe))
            if m > 0:
                total = total + m * pt.log(pt.switch(rest_arg > 0, rest_arg, 1.0))
        ok = ok & pt.ge(ns, self.base.ns_min) & pt.all(pt.lt(pt.abs(acc_all), np.inf))
        if normalisation == "flux":
            # everything absorbed: no signal at all, the background-only likelihood
            return pt.switch(acc_sum > 0, pt.switch(ok, total, -np.inf), 0.0)
        return pt.switch(ok & (acc_sum > 0), total, -np.inf)

    def logl_function(self, flux_fn: Callable, n_inputs: int) -> Callable:
        """Compiled numpy function ``(ns, gamma, *x) -> log L`` with ``flux = flux_fn(*x, gamma)``."""
        import pytensor

        xs = [pt.dscalar(f"x{i}") for i in range(n_inputs)]
        ns, g = pt.dscalar("ns"), pt.dscalar("gamma")
        out = self.logl(ns, g, flux_fn(*xs, g))
        return pytensor.function([ns, g, *xs], out)


def combined_logl(sources: Sequence[CnbSource], ns: Sequence, gammas: Sequence,
                  fluxes: Sequence):
    """Sum of the sources' symbolic log-likelihood ratios (sources with a shared eta)."""
    return sum(s.logl(n, g, f) for s, n, g, f in zip(sources, ns, gammas, fluxes))


__all__.append("combined_logl")
