"""Inject a point source with an arbitrary (e.g. propagated) energy spectrum.

:func:`bayesnu.simulate.inject.inject` draws power-law signal; here the true-energy
spectrum is given by its integrals ``phi_t`` over true-energy bins (per unit
normalisation, e.g. a power law times the transport ratio through the cosmic
neutrino background, :class:`bayesnu.pdfs.spectrum.RatioRebinner`). Per sample the
expected events per bin are ``ns_k a_kt phi_t / (a_k . phi)`` with ``a_kt`` the live
time x bin-averaged effective area at the source (:class:`~bayesnu.pdfs.spectrum.
SpectrumEnergyPDF`), ns is split over samples by ``a_k . phi``; true energies are drawn
per bin (log-uniform inside a bin, bins of at most 0.1 dex), then reconstructed energy,
angular error, direction and time exactly as for power-law signal
(:func:`bayesnu.simulate.inject.signal_sample`'s steps). Events are labelled simulated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayesnu.data.core import Dataset, EventSample
from bayesnu.detector.angular import smear_directions
from bayesnu.errors import InputError
from bayesnu.simulate.inject import _merge, _reco, angular_model_for, response_for
from bayesnu.simulate.scramble import _as_dataset

__all__ = ["inject_spectrum"]


def inject_spectrum(rng: np.random.Generator, data: Dataset | EventSample, ra_deg: float,
                    dec_deg: float, log10e_true_edges: list[np.ndarray],
                    bin_integrals: list[np.ndarray], acceptance: list[np.ndarray], ns: float,
                    poisson: bool = True, angular_models: list | None = None
                    ) -> tuple[Dataset, dict[str, Any]]:
    """Add signal events with a binned true-energy spectrum to every sample of ``data``.

    Parameters
    ----------
    rng
        numpy Generator.
    data
        Background data set (e.g. an RA scramble).
    ra_deg, dec_deg
        Source position, degrees.
    log10e_true_edges, bin_integrals, acceptance
        Per sample: true bins (log10 GeV), the spectrum's bin integrals ``phi_t`` and the
        acceptance ``a_t`` (cm^2 s) of those bins at the source.
    ns
        Mean number of signal events over all samples.
    poisson
        Poisson counts (default) or rounded means.
    angular_models
        Per sample, the angular-error model of the signal events; default built from each
        sample's own events (``angular_model_for``). Pass the models of the full data when
        ``data`` holds only a subset of the events (e.g. those near the source).

    Returns
    -------
    (Dataset, info) with ``mu`` and ``n_injected`` per sample.
    """
    ds = _as_dataset(data)
    K = len(ds.samples)
    if not (len(log10e_true_edges) == len(bin_integrals) == len(acceptance) == K):
        raise InputError(f"give edges, spectrum and acceptance for each of the {K} samples",
                         column="spectrum")
    if not (np.isfinite(ns) and ns >= 0):
        raise InputError(f"ns must be a finite number >= 0, got {ns}", column="ns")
    w = [np.asarray(a, float) * np.asarray(p, float) for a, p in zip(acceptance, bin_integrals)]
    acc = np.array([x.sum() for x in w])
    if np.any(~np.isfinite(acc)) or acc.sum() <= 0:
        raise InputError("the spectrum gives no expected signal events", column="spectrum")
    mu = ns * acc / acc.sum()
    counts = rng.poisson(mu) if poisson else np.rint(mu).astype(np.int64)
    sd0 = float(np.sin(np.radians(dec_deg)))
    out, n_in = [], []
    if angular_models is not None and len(angular_models) != K:
        raise InputError(f"{len(angular_models)} angular-error models for {K} samples",
                         column="angular_models")
    for i_s, (s, te, wk, n) in enumerate(zip(ds.samples, log10e_true_edges, w, counts)):
        n = int(n)
        te = np.asarray(te, float)
        if n > 0 and wk.sum() > 0:
            k = rng.choice(wk.size, size=n, p=wk / wk.sum())
            lt = te[k] + rng.random(n) * (te[k + 1] - te[k])
            lr = _reco(rng, s, response_for(s), lt, np.full(n, sd0))
            model = angular_models[i_s] if angular_models is not None else angular_model_for(s)
            ang = model.sample(rng, lr, sd0)
            ra, dec = smear_directions(rng, np.full(n, ra_deg), np.full(n, dec_deg), ang)
            t = s.uptime.sample(rng, n)
        else:
            lt = lr = ang = ra = dec = t = np.empty(0)
        fp = s.footprint
        inside = (ra >= fp.ra_min) & (ra <= fp.ra_max) & (dec >= fp.dec_min) & (dec <= fp.dec_max)
        meta = {"source": "simulated signal (binned spectrum)", "simulated": True,
                "extra": {"is_signal": np.ones(int(inside.sum())), "true_log10e": lt[inside]}}
        sig = EventSample(s.name, ra[inside], dec[inside], t[inside], lr[inside], ang[inside],
                          uptime=s.uptime, aeff=s.aeff, footprint=fp, meta=meta)
        merged = _merge(s, sig)
        merged.meta["simulated"] = True
        out.append(merged)
        n_in.append(int(inside.sum()))
    info = {"ns_expected": float(ns), "mu": {s.name: float(m) for s, m in zip(ds.samples, mu)},
            "n_injected": {s.name: c for s, c in zip(ds.samples, n_in)}}
    return ds.with_samples(out), info
