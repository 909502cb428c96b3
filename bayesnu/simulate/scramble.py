"""Background pseudo-experiments: scramble right ascension and/or event times.

* RA scrambling draws each event's right ascension uniformly inside the sample's
  footprint (the whole circle for all-sky samples, the RA range of the box for the
  TXS 0506+056 release); declination, energy and angular error are kept, so the
  sin(dec) and log10 E marginals are exactly those of the data.
* Time scrambling draws each event's time uniformly in the sample's livetime
  (:meth:`Uptime.sample`). With ``keep_local=True`` the right ascension is rotated
  by the sidereal angle between old and new time, i.e. the event keeps its local
  (azimuth, zenith) coordinates, as the 10-year release recommends for searches on
  time scales below a day. Otherwise the RA is drawn uniformly (default when both
  are scrambled).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bayesnu.data.core import Dataset, EventSample
from bayesnu.errors import InputError

__all__ = ["scramble_sample", "scramble", "SIDEREAL_PER_SOLAR"]

#: sidereal days per solar day
SIDEREAL_PER_SOLAR = 1.002737909350795


def _as_dataset(data: Dataset | EventSample | Sequence[EventSample]) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, EventSample):
        return Dataset(name=data.name, format="simulated", samples=(data,))
    if isinstance(data, Sequence) and data and all(isinstance(s, EventSample) for s in data):
        return Dataset(name="+".join(s.name for s in data), format="simulated", samples=tuple(data))
    raise InputError(f"expected a Dataset or EventSample, got {type(data).__name__}")


def scramble_sample(rng: np.random.Generator, sample: EventSample, ra: bool = True,
                    time: bool = False, keep_local: bool = False) -> EventSample:
    """One scrambled copy of ``sample`` (see module docstring).

    Parameters
    ----------
    rng
        numpy Generator.
    ra
        Draw right ascensions uniformly in the footprint.
    time
        Draw times uniformly in the uptime (requires ``sample.uptime``).
    keep_local
        With ``time=True`` and ``ra=False``: rotate RA with the sidereal angle so the
        local coordinates are unchanged (all-sky samples only).
    """
    n = sample.size
    changes: dict[str, np.ndarray] = {}
    fp = sample.footprint
    if time:
        if sample.uptime is None:
            raise InputError(f"sample {sample.name} has no uptime; cannot scramble times")
        t_new = sample.uptime.sample(rng, n)
        changes["time"] = t_new
        if keep_local and not ra:
            if not (fp.ra_min <= 0.0 and fp.ra_max >= 360.0):
                raise InputError(f"sample {sample.name} covers RA {fp.ra_min}-{fp.ra_max} deg only; "
                                 "time scrambling with fixed local coordinates needs the full RA range")
            dphi = 360.0 * SIDEREAL_PER_SOLAR * (t_new - sample.time)
            changes["ra"] = np.mod(sample.ra + dphi, 360.0)
    if ra:
        lo, hi = max(fp.ra_min, 0.0), min(fp.ra_max, 360.0)
        changes["ra"] = rng.uniform(lo, hi, n)
    meta = dict(sample.meta)
    meta["scrambled"] = {"ra": bool(ra), "time": bool(time), "keep_local": bool(keep_local)}
    return sample.replace(meta=meta, **changes)


def scramble(rng: np.random.Generator, data: Dataset | EventSample, ra: bool = True,
             time: bool = False, keep_local: bool = False) -> Dataset:
    """Scrambled copy of every sample of ``data`` (a background pseudo-experiment)."""
    ds = _as_dataset(data)
    return ds.with_samples([scramble_sample(rng, s, ra, time, keep_local) for s in ds.samples])
