"""Parameter-independent set-up of the point-source / stacking likelihood.

:class:`SampleSetup` holds everything about one sample that does not depend on
the fit parameters: the background spatial and energy PDFs (from the data),
the signal energy log-ratio splines in gamma for each source declination
(from the detector response), and the acceptance splines that split ns
between samples and sources. :meth:`SampleSetup.term` turns a set of events
(the data, an RA scramble, or a data set with injected signal) into the
:class:`~bayesnu.likelihood.kernel.SampleTerm` cache the kernel evaluates.

:class:`LikelihoodSetup` does this for every sample of a data set and returns
:class:`~bayesnu.likelihood.kernel.MixtureLikelihood` objects; its
:meth:`~LikelihoodSetup.scrambled` gives a background trial in a few ms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bayesnu.data.core import Dataset, EventSample
from bayesnu.errors import InputError
from bayesnu.likelihood.kernel import MixtureLikelihood, SampleTerm
from bayesnu.pdfs.energy import (
    DEFAULT_GAMMA_GRID,
    BackgroundEnergyPDF,
    GammaSpline,
    SignalEnergyPDF,
    power_law_bin_integrals,
)
from bayesnu.pdfs.spatial import BackgroundSpatialPDF, gaussian_pdf, vmf_pdf
from bayesnu.pdfs.temporal import TemporalPDF
from bayesnu.sources import Source

__all__ = ["Source", "SampleSetup", "LikelihoodSetup", "default_response",
           "default_true_weights"]

#: pivot energy (GeV) of the acceptance / flux normalisation
E0_GEV = 1.0e5


def default_response(sample: EventSample, log10e_true_edges: np.ndarray,
                     log10e_reco_edges: np.ndarray, sindec: float) -> np.ndarray:
    """Migration matrix P(reco bin | true bin) from :mod:`bayesnu.detector`."""
    from bayesnu.detector.energy import energy_response

    return energy_response(sample).matrix(log10e_true_edges, log10e_reco_edges, sindec)


def default_true_weights(sample: EventSample, dec_deg: float, gamma: float,
                         log10e_true_edges: np.ndarray) -> np.ndarray:
    """Expected signal events per true-energy bin per unit flux at :data:`E0_GEV`."""
    from bayesnu.detector.aeff import true_energy_weights

    return true_energy_weights(sample, dec_deg, gamma, log10e_true_edges, e0_gev=E0_GEV)


def _true_edges(sample: EventSample) -> np.ndarray:
    if sample.aeff is None:
        raise InputError(f"sample {sample.name} has no effective area; cannot build the "
                         "signal energy PDF")
    e = sample.aeff.log10e_edges
    # at most 0.1 dex per bin for the response averaging
    n = int(np.ceil((e[-1] - e[0]) / 0.1))
    return np.unique(np.concatenate([e, np.linspace(e[0], e[-1], n + 1)]))


class SampleSetup:
    """Cached PDFs of one sample for a fixed list of sources.

    Parameters
    ----------
    sample
        The data of this sample (defines the background PDFs and N).
    sources
        Sources (positions in degrees).
    spatial
        ``"gaussian"`` or ``"vmf"`` signal spatial PDF.
    gamma_grid
        Spectral-index grid of the energy splines (defines gamma's support).
    response, true_weights
        Detector-response hooks (defaults: :mod:`bayesnu.detector`):
        ``response(sample, true_edges, reco_edges, sindec) -> (n_true, n_reco)``
        and ``true_weights(sample, dec, gamma, true_edges) -> (n_true,)`` in
        events per unit flux normalisation at 100 TeV; its effective area must be
        constant inside each true-energy bin (the bins used here refine the
        release's area bins, so both bundled hooks qualify): it is called once
        at gamma = 0 and scaled by the exact power-law bin integrals.
    roi_eps
        An (event, source) pair enters the sum when its largest possible
        signal-over-background ratio (over gamma) exceeds ``roi_eps``; the
        others are treated exactly as X = 0 (error below ``ns * roi_eps``).
    angerr_floor_deg
        Lower bound applied to the events' angular errors, degrees.
    background_sample
        Events defining the background PDFs if not ``sample`` itself.
    extend_reco
        Extend the energy PDFs beyond the data's reco-energy range
        (:class:`~bayesnu.pdfs.energy.BackgroundEnergyPDF` ``extend=True``, default):
        injected or simulated events reconstructed above (below) every event of the
        data get the signal and background densities of the extension there instead
        of those of the top (bottom) cell. The data's own events get the same numbers
        either way (bitwise); False reproduces the tables without extension.
    """

    def __init__(self, sample: EventSample, sources: Sequence[Source], spatial: str = "gaussian",
                 gamma_grid: np.ndarray = DEFAULT_GAMMA_GRID,
                 response: Callable | None = None, true_weights: Callable | None = None,
                 roi_eps: float = 1e-5, angerr_floor_deg: float = 0.0,
                 background_sample: EventSample | None = None,
                 extend_reco: bool = True) -> None:
        if spatial not in ("gaussian", "vmf"):
            raise InputError(f"unknown spatial PDF {spatial!r}; use 'gaussian' or 'vmf'",
                             column="spatial")
        if sample.size < 2:
            raise InputError(f"sample {sample.name} has fewer than 2 events")
        self.sample = sample
        self.name = sample.name
        self.sources = list(sources)
        self.spatial = spatial
        self.roi_eps = float(roi_eps)
        self.angerr_floor = float(angerr_floor_deg)
        self.gamma_grid = np.asarray(gamma_grid, dtype=np.float64)
        bkg = background_sample if background_sample is not None else sample
        self.bkg_spatial = BackgroundSpatialPDF(bkg.sindec, bkg.footprint)
        # extended beyond the data's energy range: injected signal events there get the
        # signal mass of the extension and the background floor, not the edge cells'
        self.bkg_energy = BackgroundEnergyPDF(bkg.sindec, bkg.log10e, extend=bool(extend_reco))
        # the default response is piecewise constant in sin(dec) (calibration bands):
        # compute its matrix once per band, not once per source
        band_of = None
        if response is None:
            from bayesnu.detector.energy import energy_response

            band_of = energy_response(sample).band
        response = response or default_response
        matrices: dict = {}
        true_weights = true_weights or default_true_weights
        te = _true_edges(sample)
        re = self.bkg_energy.reco_edges
        nr = self.bkg_energy.n_reco
        J = len(self.sources)
        # log signal density per (source, reco bin); the background energy density
        # (per sin-dec band and reco bin) does not depend on gamma and is folded into
        # each event's constant factor, so the splines have J * n_reco columns only
        logs = np.empty((self.gamma_grid.size, J * nr))
        log_acc = np.empty((self.gamma_grid.size, J))
        # the hooks' effective area is constant inside each true bin (the bins
        # refine the release's own area bins), so w(gamma) = [T A]_t * int_t (E/E0)^-gamma dE:
        # one call at gamma = 0 gives [T A]_t for every gamma of the grid
        plaw = power_law_bin_integrals(te, self.gamma_grid, E0_GEV)  # (n_g, n_true)
        widths_gev = power_law_bin_integrals(te, 0.0, E0_GEV)[0]
        for j, src in enumerate(self.sources):
            ta = np.asarray(true_weights(sample, src.dec, 0.0, te), dtype=np.float64) / widths_gev
            w = ta[None, :] * plaw
            acc = w.sum(axis=1)
            if np.any(acc <= 0):
                raise InputError(f"sample {sample.name} has no effective area at the declination "
                                 f"of {src.name} ({src.dec:.2f} deg)")
            log_acc[:, j] = np.log(acc)
            sdj = float(np.sin(np.radians(src.dec)))
            key = int(band_of(sdj)) if band_of is not None else sdj
            if key not in matrices:
                # per block of reco edges (extension below, data range, extension above):
                # the data range's numbers are those of a table without extension, bitwise
                matrices[key] = [response(sample, te, e, sdj)
                                 for e in self.bkg_energy.edge_blocks]
            try:
                sig = SignalEnergyPDF.from_weights(w, matrices[key], re, self.gamma_grid,
                                                   core=self.bkg_energy.core)
            except InputError:
                raise InputError(f"sample {sample.name}: signal energy PDF vanishes inside the "
                                 f"reco-energy range of the data at {src.name}") from None
            logs[:, j * nr:(j + 1) * nr] = np.maximum(np.log(np.maximum(sig.table, 1e-300)),
                                                      -700.0)
        self.n_reco = nr
        self.energy = GammaSpline(self.gamma_grid, logs)
        self.max_log_signal = logs.max(axis=0)
        self.log_bkg_energy = np.log(self.bkg_energy.table).ravel()
        self.log_acc = log_acc
        self.true_edges = te
        # per-event caches of the sample's own events (RA scrambles keep dec and energy)
        self._own_cache = None
        self._cache_ev = None
        self._cache = None
        self._events_cache(sample)

    def _spatial_pdf(self, psi: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        return gaussian_pdf(psi, sigma) if self.spatial == "gaussian" else vmf_pdf(psi, sigma)

    def _events_cache(self, ev: EventSample) -> dict:
        """Per-event quantities that survive RA scrambles (dec, energy, errors).

        For every source the candidate events are those whose largest possible
        signal-over-background ratio -- at the smallest possible distance
        |dec - dec_source| -- exceeds ``roi_eps``; only they are looked at
        when the RAs change.
        """
        if ev is self.sample and self._own_cache is not None:
            return self._own_cache
        if self._cache_ev is ev:  # a strong reference: identity cannot be recycled
            return self._cache
        sd = ev.sindec
        sigma = np.maximum(ev.angerr, self.angerr_floor) * (np.pi / 180.0)
        cells = self.bkg_energy.cell_index(sd, ev.log10e)
        reco = cells % self.n_reco
        bsp = np.maximum(self.bkg_spatial(sd), 1e-300)
        lbe = self.log_bkg_energy[cells]
        dec_r = np.radians(ev.dec)
        c = {"cells": cells, "bsp": bsp, "sigma": sigma, "logb": np.log(bsp) + lbe, "cand": []}
        for j, src in enumerate(self.sources):
            ddec = np.abs(dec_r - np.radians(src.dec))
            col = j * self.n_reco + reco
            maxlr = self.max_log_signal[col] - lbe
            bound = self._spatial_pdf(ddec, sigma) / bsp * np.exp(maxlr)
            idx = np.flatnonzero(bound > self.roi_eps)
            c["cand"].append({
                "idx": idx, "col": col[idx], "sigma": sigma[idx], "bsp": bsp[idx],
                "maxlr": maxlr[idx], "be": np.exp(lbe[idx]),
                "sdd2": np.sin(0.5 * (dec_r[idx] - np.radians(src.dec))) ** 2,
                "cc": np.cos(dec_r[idx]) * np.cos(np.radians(src.dec)),
            })
        c["cand_all"] = (c["cand"][0]["idx"] if len(self.sources) == 1 else
                         np.flatnonzero(np.bincount(np.concatenate(
                             [cj["idx"] for cj in c["cand"]]), minlength=ev.size)))
        if ev is self.sample:
            self._own_cache = c
        else:
            self._cache_ev, self._cache = ev, c
        return c

    def term(self, events: EventSample | None = None, ra: np.ndarray | None = None,
             temporal: TemporalPDF | None = None, times: np.ndarray | None = None,
             constants: bool = False) -> SampleTerm:
        """Kernel cache for ``events`` (default: the sample itself).

        Parameters
        ----------
        events
            Events to evaluate (same sample; e.g. with injected signal).
        ra
            Replacement right ascensions (deg) of ``events`` (an RA scramble).
        temporal
            Time PDF of this sample, if the likelihood is time dependent.
        times
            Replacement event times (MJD), e.g. a time scramble.
        constants
            Also store log B_i of the events (for absolute per-event values).
        """
        ev = self.sample if events is None else events
        c = self._events_cache(ev)
        ra = ev.ra if ra is None else np.asarray(ra, dtype=np.float64)
        ev_idx, src_idx, sp_ratio, cells = [], [], [], []
        for j, src in enumerate(self.sources):
            cj = c["cand"][j]
            sdr = np.sin(0.5 * np.radians(ra[cj["idx"]] - src.ra))
            h = cj["sdd2"] + cj["cc"] * sdr * sdr
            psi = 2.0 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
            ratio = self._spatial_pdf(psi, cj["sigma"]) / cj["bsp"]
            keep = np.flatnonzero(ratio * np.exp(cj["maxlr"]) > self.roi_eps)
            ev_idx.append(cj["idx"][keep])
            src_idx.append(np.full(keep.size, j, dtype=np.int64))
            # spatial ratio / background energy density: the kernel multiplies by the
            # signal energy density exp(spline)
            sp_ratio.append(ratio[keep] / cj["be"][keep])
            cells.append(cj["col"][keep])
        if len(ev_idx) == 1:  # already sorted and unique
            roi = ev_idx[0]
            inverse = np.arange(roi.size, dtype=np.int64)
        else:
            ev_all = np.concatenate(ev_idx)
            order = np.argsort(ev_all, kind="stable")
            srt = ev_all[order]
            first = np.ones(srt.size, dtype=bool)
            first[1:] = srt[1:] != srt[:-1]
            roi = srt[first]
            inverse = np.empty(ev_all.size, dtype=np.int64)
            inverse[order] = np.cumsum(first) - 1
        t = None
        if temporal is not None:
            tt = ev.time if times is None else np.asarray(times, dtype=np.float64)
            t = tt[roi]
        log_bkg = None
        rest = 0.0
        if constants:
            logb = c["logb"]
            log_bkg = logb[roi]
            rest = float(logb.sum() - log_bkg.sum())
        return SampleTerm(name=self.name, n_total=ev.size, n_roi=roi.size,
                          event=inverse.astype(np.int64), source=np.concatenate(src_idx),
                          spatial=np.concatenate(sp_ratio), cells=np.concatenate(cells),
                          energy=self.energy, times=t, temporal=temporal, log_bkg=log_bkg,
                          log_bkg_rest=rest, roi_index=roi)


class LikelihoodSetup:
    """Likelihood set-up of a data set (all its samples) for one or more sources.

    Parameters
    ----------
    data
        A :class:`~bayesnu.data.core.Dataset`, one EventSample or a list of them.
    sources
        One :class:`Source` (point source) or several (stacking), or
        ``(ra, dec)`` in degrees.
    weights
        Stacking weights (overrides the sources' own ``weight``); e.g. a
        catalogue column. The expected signal of source j in sample k is
        ``ns * W_j a_kj(gamma) / sum W a`` (flux weights times acceptance).
    **kwargs
        Passed to :class:`SampleSetup` (``spatial``, ``gamma_grid``, ``roi_eps``,
        ``response``, ``true_weights``, ``angerr_floor_deg``, ``extend_reco``).
    """

    def __init__(self, data: Dataset | EventSample | Sequence[EventSample],
                 sources: Source | Sequence[Source] | tuple[float, float],
                 weights: np.ndarray | None = None, ns_min: float = 0.0, **kwargs) -> None:
        if isinstance(data, Dataset):
            samples = list(data.samples)
        elif isinstance(data, EventSample):
            samples = [data]
        else:
            samples = list(data)
        if isinstance(sources, Source):
            sources = [sources]
        elif isinstance(sources, tuple) and len(sources) == 2 and np.isscalar(sources[0]):
            sources = [Source("source", float(sources[0]), float(sources[1]))]
        sources = list(sources)
        if not sources:
            raise InputError("no sources given")
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (len(sources),):
                raise InputError(f"{w.size} weights for {len(sources)} sources", column="weights")
            sources = [Source(s.name, s.ra, s.dec, float(x)) for s, x in zip(sources, w)]
        self.sources = sources
        self.weights = np.array([s.weight for s in sources])
        self.ns_min = ns_min
        self.setups = [SampleSetup(s, sources, **kwargs) for s in samples]
        gg = self.setups[0].gamma_grid
        la = np.concatenate([st.log_acc for st in self.setups], axis=1)  # (n_g, K*J)
        self.log_acceptance = GammaSpline(gg, la)

    @property
    def samples(self) -> list[EventSample]:
        return [s.sample for s in self.setups]

    @property
    def n_total(self) -> int:
        return int(sum(s.sample.size for s in self.setups))

    def likelihood(self, events: Sequence[EventSample | None] | None = None,
                   ras: Sequence[np.ndarray | None] | None = None,
                   temporal: Sequence[TemporalPDF | None] | None = None,
                   times: Sequence[np.ndarray | None] | None = None,
                   theta_names: Sequence[str] = (), constants: bool = False
                   ) -> MixtureLikelihood:
        """Kernel for the data (or replacement events / RA / times per sample)."""
        K = len(self.setups)

        def _get(seq, k):
            return None if seq is None else seq[k]

        for name, seq in (("events", events), ("ras", ras), ("temporal", temporal),
                          ("times", times)):
            if seq is not None and len(seq) != K:
                raise InputError(f"{name}: {len(seq)} entries for {K} samples")
        if temporal is not None and not theta_names:
            theta_names = next((tp.param_names for tp in temporal if tp is not None), ())
        terms = [st.term(_get(events, k), _get(ras, k), _get(temporal, k), _get(times, k),
                         constants=constants) for k, st in enumerate(self.setups)]
        return MixtureLikelihood(terms, self.log_acceptance, self.weights,
                                 theta_names=theta_names, ns_min=self.ns_min)

    def scramble_ra(self, rng: np.random.Generator) -> list[np.ndarray]:
        """Uniform RA scrambles of every sample inside its footprint."""
        out = []
        for st in self.setups:
            fp = st.sample.footprint
            out.append(rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), st.sample.size))
        return out

    def scrambled(self, rng: np.random.Generator, **kwargs) -> MixtureLikelihood:
        """Background-only trial: the data with RA scrambled in every sample.

        Only the events that can come close enough to a source to matter (the
        declination-based candidates of :meth:`SampleSetup._events_cache`) get
        new RAs drawn; the others stay outside the ROI whatever their RA, so
        the trial is statistically identical to a full scramble.
        """
        ras = []
        for st in self.setups:
            c = st._events_cache(st.sample)
            idx = c["cand_all"]
            fp = st.sample.footprint
            ra = np.array(st.sample.ra)
            ra[idx] = rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), idx.size)
            ras.append(ra)
        return self.likelihood(ras=ras, **kwargs)

    def flux_per_ns(self, gamma: float) -> float:
        """Flux normalisation (GeV^-1 cm^-2 s^-1 at 100 TeV) per signal event.

        For stacking, the normalisation of a source with weight 1 (weights are
        normalised to sum 1): ``phi0_j = W_j * flux_per_ns * ns``.
        """
        la, _ = self.log_acceptance(gamma)
        K, J = len(self.setups), len(self.sources)
        acc = np.exp(la).reshape(K, J)
        w = self.weights / self.weights.sum()
        return float(1.0 / np.sum(acc * w[None, :]))
