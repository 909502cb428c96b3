"""Self-contained simulated samples for testing and calibrating the likelihood.

The foundation simulator (:mod:`bayesnu.simulate`) produces realistic samples
from the real effective areas; this module provides the small, fully
controlled ingredients the likelihood's own tests, benchmarks and calibration
studies need, with every random step taking a numpy Generator:

* :func:`lognormal_response` -- a migration matrix hook ``log10 E_reco ~
  N(log10 E_true + shift, width)``;
* :func:`synthetic_sample` -- an atmospheric-like background sample with an
  effective area and uptime;
* :func:`inject` -- point-source signal events (power law folded with the
  sample's true-energy weights and the response; angular errors of data
  events of the same energy and declination; directions scattered with a
  2-D Gaussian of each event's angular error).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtr

from bayesnu.data.core import EffectiveArea, EventSample, Footprint, Uptime
from bayesnu.errors import InputError

__all__ = ["lognormal_response", "synthetic_sample", "inject", "power_law_true_weights"]


def lognormal_response(shift: float = -0.3, width: float = 0.3) -> Callable:
    """Response hook: P(reco bin | true bin) of ``N(log10 E_true + shift, width)``.

    Returns a callable ``(sample, true_edges, reco_edges, sindec) -> (n_true, n_reco)``
    as :class:`bayesnu.likelihood.SampleSetup` expects (true bins averaged over
    8 sub-points).
    """

    def response(sample, te, re, sindec):
        te = np.asarray(te, dtype=np.float64)
        u = (np.arange(8) + 0.5) / 8
        x = (te[:-1, None] + np.diff(te)[:, None] * u[None, :])[..., None]
        cdf = ndtr((np.asarray(re)[None, None, :] - x - shift) / width)
        return np.diff(cdf, axis=2).mean(axis=1)

    return response


def power_law_true_weights(sample: EventSample, dec_deg: float, gamma: float,
                           log10e_true_edges: np.ndarray, e0_gev: float = 1.0e5) -> np.ndarray:
    """Events per true bin per unit flux (GeV^-1 cm^-2 s^-1 at ``e0_gev``).

    ``livetime_s * A_eff(bin centre, dec) * integral (E/e0)^-gamma dE``; the same
    contract as :func:`bayesnu.detector.aeff.true_energy_weights`.
    """
    from bayesnu.pdfs.energy import power_law_bin_integrals

    te = np.asarray(log10e_true_edges, dtype=np.float64)
    c = 0.5 * (te[1:] + te[:-1])
    a = sample.aeff(c, np.full(c.size, dec_deg))
    return sample.uptime.livetime_s * a * power_law_bin_integrals(te, gamma, e0_gev)[0]


def synthetic_sample(rng: np.random.Generator, n: int = 20000, name: str = "SYN",
                     dec_range: tuple[float, float] = (-30.0, 70.0),
                     livetime_days: float = 365.0, footprint: Footprint | None = None
                     ) -> EventSample:
    """Background-like sample: isotropic in the band, soft energies, ~0.3-3 deg errors.

    Energies: log10(E_reco/GeV) = 2.3 + Exp(0.45) (an E^-3.2-like proxy);
    angular errors log-normal around 0.8 deg shrinking with energy; times
    uniform; effective area rising as E^1.5 (saturating) in 4 sin(dec) bands.
    """
    fp = footprint or Footprint(dec_min=dec_range[0], dec_max=dec_range[1])
    s_lo, s_hi = np.sin(np.radians([fp.dec_min, fp.dec_max]))
    dec = np.degrees(np.arcsin(rng.uniform(s_lo, s_hi, n)))
    ra = rng.uniform(fp.ra_min, fp.ra_max, n)
    log10e = 2.3 + rng.exponential(0.45, n)
    angerr = np.clip(np.exp(rng.normal(np.log(0.8) - 0.25 * (log10e - 2.5), 0.35)), 0.1, 20.0)
    t0 = 55000.0
    time = rng.uniform(t0, t0 + livetime_days, n)
    le = np.round(np.arange(2.0, 8.0 + 1e-9, 0.2), 10)
    se = np.linspace(-1.0, 1.0, 5)
    c = 0.5 * (le[1:] + le[:-1])
    area = 1e4 * np.minimum(10.0 ** (1.5 * (c - 4.0)), 30.0)[:, None] * np.array(
        [0.6, 0.9, 1.0, 0.8])[None, :]
    aeff = EffectiveArea(le, se, area, name=name)
    return EventSample(name, ra, dec, time, log10e, angerr,
                       uptime=Uptime.from_range(t0, t0 + livetime_days), aeff=aeff,
                       footprint=fp, meta={"source": "synthetic"})


def _data_angerr(rng: np.random.Generator, sample: EventSample, dec: float,
                 log10e: np.ndarray, d_sindec: float = 0.1, d_log10e: float = 0.1) -> np.ndarray:
    """Angular errors of random data events of the same energy and declination.

    For each signal energy, a data event is drawn uniformly among those within
    ``d_sindec`` of the source's sin(dec) and ``d_log10e`` of the energy; when
    none is there, among the 5 nearest in energy of that band (of the whole
    sample if the band is empty). This keeps P(sigma | E, dec) of signal equal
    to that of the data, as the likelihood assumes.
    """
    sd0 = np.sin(np.radians(dec))
    band = np.flatnonzero(np.abs(sample.sindec - sd0) <= d_sindec)
    if band.size < 5:
        band = np.arange(sample.size)
    order = band[np.argsort(sample.log10e[band], kind="stable")]
    e = sample.log10e[order]
    lo = np.searchsorted(e, log10e - d_log10e, side="left")
    hi = np.searchsorted(e, log10e + d_log10e, side="right")
    cnt = hi - lo
    pick = lo + np.floor(rng.random(log10e.size) * np.maximum(cnt, 1)).astype(np.int64)
    empty = cnt == 0
    if empty.any():
        c = np.clip(np.searchsorted(e, log10e[empty]), 0, e.size - 1)
        k = np.clip(c + rng.integers(-2, 3, size=c.size), 0, e.size - 1)
        pick[empty] = k
    return sample.angerr[order[np.clip(pick, 0, e.size - 1)]]


def inject(rng: np.random.Generator, sample: EventSample, ra: float, dec: float, n_signal: int,
           gamma: float, response: Callable, true_weights: Callable | None = None
           ) -> EventSample:
    """Add ``n_signal`` point-source events to ``sample`` (a new EventSample).

    True energies follow ``true_weights`` (expected events per true bin, default
    :func:`power_law_true_weights`); reco energies follow ``response``; each
    event takes the angular error of a random data event of the same energy and
    declination (:func:`_data_angerr`) and a direction drawn from the 2-D
    Gaussian of that error around the source.
    """
    if n_signal < 0:
        raise InputError("number of injected events must be >= 0", column="ns")
    if n_signal == 0:
        return sample
    tw = true_weights or power_law_true_weights
    te = np.round(np.arange(sample.aeff.log10e_edges[0], sample.aeff.log10e_edges[-1] + 1e-9,
                            0.05), 10)
    w = np.asarray(tw(sample, dec, gamma, te), dtype=np.float64)
    re = np.round(np.arange(0.0, 10.0 + 1e-9, 0.02), 10)
    r = response(sample, te, re, float(np.sin(np.radians(dec))))
    joint = np.maximum((w[:, None] * r).ravel(), 0.0)
    joint = joint / joint.sum()
    k = rng.choice(joint.size, size=n_signal, p=joint)
    ir = k % (re.size - 1)
    log10e = re[ir] + rng.uniform(0.0, re[1] - re[0], n_signal)
    angerr = _data_angerr(rng, sample, dec, log10e)
    sig = np.radians(angerr)
    # small-angle Gaussian offsets in the tangent plane, mapped back to the sphere
    dx, dy = rng.normal(0.0, 1.0, (2, n_signal)) * sig
    psi = np.hypot(dx, dy)
    az = np.arctan2(dy, dx)
    d0, r0 = np.radians(dec), np.radians(ra)
    sdec = np.sin(d0) * np.cos(psi) + np.cos(d0) * np.sin(psi) * np.cos(az)
    new_dec = np.arcsin(np.clip(sdec, -1.0, 1.0))
    new_ra = r0 + np.arctan2(np.sin(az) * np.sin(psi) * np.cos(d0),
                             np.cos(psi) - np.sin(d0) * sdec)
    new_ra = np.degrees(new_ra) % 360.0
    new_dec = np.degrees(new_dec)
    times = sample.uptime.sample(rng, n_signal) if sample.uptime is not None else np.full(
        n_signal, np.mean(sample.time))
    return sample.replace(ra=np.concatenate([sample.ra, new_ra]),
                          dec=np.concatenate([sample.dec, new_dec]),
                          time=np.concatenate([sample.time, times]),
                          log10e=np.concatenate([sample.log10e, log10e]),
                          angerr=np.concatenate([sample.angerr, angerr]))
