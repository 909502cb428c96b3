"""Typed, validated containers that every loader returns.

Units: angles in degrees, times in MJD (days), energies as log10(E/GeV),
effective areas in cm^2. Arrays are float64 and read-only after validation.

* :class:`Uptime` -- good-run intervals of one sample.
* :class:`EffectiveArea` -- binned A_eff(E_nu, sin dec) of one sample.
* :class:`EventSample` -- events of one detector season (or one release sample)
  with its uptime, effective area and sky footprint.
* :class:`Dataset` -- one or more samples loaded from one source (a release
  directory, a bundled name, a generic file).
* :class:`CatalogTable` -- a source catalogue or light-curve table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesnu.errors import InputError

__all__ = ["Uptime", "EffectiveArea", "Footprint", "EventSample", "Dataset", "CatalogTable"]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Uptime:
    """Good-run intervals ``[start, stop)`` in MJD, sorted and non-overlapping.

    Parameters
    ----------
    intervals
        Array of shape (n, 2) with start and stop MJD of each good run.
    source
        File the intervals came from (for error messages), optional.
    """

    intervals: np.ndarray
    source: str | None = None

    def __post_init__(self) -> None:
        iv = np.asarray(self.intervals, dtype=np.float64)
        if iv.ndim != 2 or iv.shape[1] != 2:
            raise InputError("uptime intervals must have shape (n, 2)", path=self.source)
        if iv.shape[0] == 0:
            raise InputError("uptime has no good-run intervals", path=self.source)
        if not np.all(np.isfinite(iv)):
            raise InputError("uptime has non-finite start or stop times", path=self.source)
        if np.any(iv[:, 1] < iv[:, 0]):
            bad = int(np.argmax(iv[:, 1] < iv[:, 0]))
            raise InputError(
                f"good run {bad} stops (MJD {iv[bad, 1]}) before it starts (MJD {iv[bad, 0]})",
                path=self.source,
            )
        order = np.argsort(iv[:, 0], kind="stable")
        iv = iv[order]
        # merge overlapping or touching runs so that livetime is not double counted
        if iv.shape[0] > 1 and np.any(iv[1:, 0] < iv[:-1, 1]):
            merged = [iv[0].copy()]
            for s, e in iv[1:]:
                if s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append(np.array([s, e]))
            iv = np.array(merged)
        object.__setattr__(self, "intervals", _frozen(iv))

    @property
    def start(self) -> float:
        """First good-run start (MJD)."""
        return float(self.intervals[0, 0])

    @property
    def stop(self) -> float:
        """Last good-run stop (MJD)."""
        return float(self.intervals[-1, 1])

    @property
    def livetime_days(self) -> float:
        """Sum of the good-run durations in days."""
        return float(np.sum(self.intervals[:, 1] - self.intervals[:, 0]))

    @property
    def livetime_s(self) -> float:
        """Sum of the good-run durations in seconds."""
        return self.livetime_days * 86400.0

    def contains(self, t: np.ndarray, tol_days: float = 0.0) -> np.ndarray:
        """Boolean mask: which times fall inside a good run (within ``tol_days``)."""
        t = np.asarray(t, dtype=np.float64)
        idx = np.searchsorted(self.intervals[:, 0], t, side="right") - 1
        ok = idx >= 0
        idx_c = np.clip(idx, 0, None)
        return ok & (t <= self.intervals[idx_c, 1] + tol_days) & (
            t >= self.intervals[idx_c, 0] - tol_days
        )

    def cumulative_livetime(self, t: np.ndarray) -> np.ndarray:
        """Livetime in days accumulated between :attr:`start` and ``t``."""
        t = np.asarray(t, dtype=np.float64)
        s, e = self.intervals[:, 0], self.intervals[:, 1]
        cum = np.concatenate([[0.0], np.cumsum(e - s)])
        idx = np.clip(np.searchsorted(s, t, side="right") - 1, 0, len(s) - 1)
        inside = np.clip(t - s[idx], 0.0, e[idx] - s[idx])
        out = cum[idx] + inside
        return np.where(t < s[0], 0.0, out)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` times uniformly in livetime (background time PDF)."""
        u = rng.uniform(0.0, self.livetime_days, size=n)
        s, e = self.intervals[:, 0], self.intervals[:, 1]
        cum = np.concatenate([[0.0], np.cumsum(e - s)])
        idx = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(s) - 1)
        return s[idx] + (u - cum[idx])

    @classmethod
    def from_range(cls, start: float, stop: float, source: str | None = None) -> Uptime:
        """A single interval (for releases that only give start and end dates)."""
        return cls(np.array([[start, stop]], dtype=np.float64), source=source)


@dataclass(frozen=True)
class EffectiveArea:
    """Binned muon-neutrino effective area of one sample.

    Parameters
    ----------
    log10e_edges
        Bin edges in log10(E_nu / GeV), shape (nE + 1,).
    sindec_edges
        Bin edges in sin(declination of the true neutrino direction), shape (nD + 1,).
        A release given at a single declination uses one bin.
    area_cm2
        Bin-averaged effective area in cm^2, shape (nE, nD).
    name, source
        Sample name and file of origin.
    """

    log10e_edges: np.ndarray
    sindec_edges: np.ndarray
    area_cm2: np.ndarray
    name: str = ""
    source: str | None = None

    def __post_init__(self) -> None:
        le = np.asarray(self.log10e_edges, dtype=np.float64)
        se = np.asarray(self.sindec_edges, dtype=np.float64)
        a = np.asarray(self.area_cm2, dtype=np.float64)
        if le.ndim != 1 or se.ndim != 1 or a.shape != (le.size - 1, se.size - 1):
            raise InputError(
                f"effective area shape {a.shape} does not match edges "
                f"({le.size - 1} energy x {se.size - 1} sin(dec) bins)",
                path=self.source,
            )
        if np.any(np.diff(le) <= 0) or np.any(np.diff(se) <= 0):
            raise InputError("effective-area bin edges are not increasing", path=self.source)
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise InputError("effective area has negative or non-finite values", path=self.source)
        object.__setattr__(self, "log10e_edges", _frozen(le))
        object.__setattr__(self, "sindec_edges", _frozen(se))
        object.__setattr__(self, "area_cm2", _frozen(a))

    @property
    def log10e_centers(self) -> np.ndarray:
        return 0.5 * (self.log10e_edges[1:] + self.log10e_edges[:-1])

    @property
    def sindec_centers(self) -> np.ndarray:
        return 0.5 * (self.sindec_edges[1:] + self.sindec_edges[:-1])

    def __call__(self, log10e: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
        """Effective area (cm^2) at true energy and declination.

        Piecewise constant in sin(dec) (bins of the release) and linear in
        log10 E between bin centres (constant beyond the outermost centres,
        zero outside the tabulated energy range).
        """
        log10e = np.asarray(log10e, dtype=np.float64)
        sd = np.sin(np.radians(np.asarray(dec_deg, dtype=np.float64)))
        log10e, sd = np.broadcast_arrays(log10e, sd)
        j = np.clip(np.searchsorted(self.sindec_edges, sd, side="right") - 1, 0,
                    self.sindec_edges.size - 2)
        c = self.log10e_centers
        x = np.clip(log10e, c[0], c[-1])
        i = np.clip(np.searchsorted(c, x, side="right") - 1, 0, c.size - 2) if c.size > 1 else 0
        if c.size > 1:
            w = (x - c[i]) / (c[i + 1] - c[i])
            val = (1 - w) * self.area_cm2[i, j] + w * self.area_cm2[i + 1, j]
        else:
            val = self.area_cm2[0, j] * np.ones_like(x)
        inside = (log10e >= self.log10e_edges[0]) & (log10e <= self.log10e_edges[-1])
        inside &= (sd >= self.sindec_edges[0]) & (sd <= self.sindec_edges[-1])
        return np.where(inside, val, 0.0)


@dataclass(frozen=True)
class Footprint:
    """Sky region a sample covers (whole sky by default).

    The TXS 0506+056 release, for example, only contains events in a box around
    the source; background PDFs and RA scrambles must stay inside it.
    """

    ra_min: float = 0.0
    ra_max: float = 360.0
    dec_min: float = -90.0
    dec_max: float = 90.0

    @property
    def full_sky(self) -> bool:
        return (self.ra_min <= 0.0 and self.ra_max >= 360.0 and self.dec_min <= -90.0
                and self.dec_max >= 90.0)

    @property
    def solid_angle_sr(self) -> float:
        dra = np.radians(self.ra_max - self.ra_min)
        return float(dra * (np.sin(np.radians(self.dec_max)) - np.sin(np.radians(self.dec_min))))


@dataclass(frozen=True)
class EventSample:
    """Events of one sample (detector season or release sample).

    Attributes
    ----------
    name : str
        Sample name (``"IC40"``, ``"IC86_2011"``, ``"IC86b"`` ...).
    ra, dec : ndarray
        Reconstructed direction, degrees (J2000).
    time : ndarray
        Event time, MJD.
    log10e : ndarray
        Reconstructed energy proxy, log10(E/GeV).
    angerr : ndarray
        Angular uncertainty (1 sigma circularised), degrees.
    uptime : Uptime or None
        Good-run list, or the sample's date range when none is released.
    aeff : EffectiveArea or None
        Muon-neutrino effective area of the sample.
    footprint : Footprint
        Sky region the sample covers.
    meta : dict
        Provenance (file, citation, notes).
    """

    name: str
    ra: np.ndarray
    dec: np.ndarray
    time: np.ndarray
    log10e: np.ndarray
    angerr: np.ndarray
    uptime: Uptime | None = None
    aeff: EffectiveArea | None = None
    footprint: Footprint = field(default_factory=Footprint)
    meta: dict[str, Any] = field(default_factory=dict)

    COLUMNS = ("ra", "dec", "time", "log10e", "angerr")

    def __post_init__(self) -> None:
        src = self.meta.get("source")
        n = None
        for col in self.COLUMNS:
            a = np.asarray(getattr(self, col), dtype=np.float64)
            if a.ndim != 1:
                raise InputError("must be one-dimensional", path=src, column=col)
            if n is None:
                n = a.size
            elif a.size != n:
                raise InputError(f"has {a.size} rows, expected {n}", path=src, column=col)
            if not np.all(np.isfinite(a)):
                bad = int(np.flatnonzero(~np.isfinite(a))[0])
                raise InputError(f"non-finite value in row {bad}", path=src, column=col)
            object.__setattr__(self, col, _frozen(a))
        if self.size:
            if np.any(np.abs(self.dec) > 90.0):
                bad = int(np.argmax(np.abs(self.dec) > 90.0))
                raise InputError(f"declination {self.dec[bad]} outside [-90, 90] deg in row {bad}",
                                 path=src, column="dec")
            if np.any((self.ra < 0.0) | (self.ra > 360.0)):
                bad = int(np.argmax((self.ra < 0.0) | (self.ra > 360.0)))
                raise InputError(f"right ascension {self.ra[bad]} outside [0, 360] deg in row {bad}",
                                 path=src, column="ra")
            if np.any(self.angerr <= 0.0):
                bad = int(np.argmax(self.angerr <= 0.0))
                raise InputError(f"angular error must be positive, got {self.angerr[bad]} in row {bad}",
                                 path=src, column="angerr")

    @property
    def size(self) -> int:
        return int(self.ra.size)

    def __len__(self) -> int:
        return self.size

    @property
    def sindec(self) -> np.ndarray:
        return np.sin(np.radians(self.dec))

    @property
    def livetime_days(self) -> float:
        return self.uptime.livetime_days if self.uptime is not None else float("nan")

    @property
    def time_range(self) -> tuple[float, float]:
        if self.uptime is not None:
            return (self.uptime.start, self.uptime.stop)
        return (float(self.time.min()), float(self.time.max())) if self.size else (np.nan, np.nan)

    def replace(self, **changes: Any) -> EventSample:
        """Copy with some columns replaced (used by scrambling and injection)."""
        return dataclasses.replace(self, **changes)

    def select(self, mask: np.ndarray) -> EventSample:
        """Copy keeping the events where ``mask`` is true."""
        return dataclasses.replace(self, **{c: getattr(self, c)[mask] for c in self.COLUMNS})

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {c: getattr(self, c) for c in self.COLUMNS}


@dataclass(frozen=True)
class Dataset:
    """One or more event samples from one source.

    Attributes
    ----------
    name : str
        Name (bundled name or file path).
    format : str
        Detected input format (``"icecube_ps_10yr"``, ``"ic86_2011"``, ``"txs0506_release"``,
        ``"generic"``, ...).
    samples : tuple of EventSample
    meta : dict
        Citation and provenance.
    """

    name: str
    format: str
    samples: tuple[EventSample, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "samples", tuple(self.samples))
        if not self.samples:
            raise InputError("data set has no samples", path=self.meta.get("source"))

    def __iter__(self) -> Iterable[EventSample]:
        return iter(self.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, key: int | str) -> EventSample:
        if isinstance(key, str):
            for s in self.samples:
                if s.name == key:
                    return s
            raise KeyError(f"no sample named {key!r}; have {[s.name for s in self.samples]}")
        return self.samples[key]

    @property
    def n_events(self) -> int:
        return sum(s.size for s in self.samples)

    @property
    def livetime_days(self) -> float:
        return float(sum(s.livetime_days for s in self.samples))

    @property
    def time_range(self) -> tuple[float, float]:
        r = [s.time_range for s in self.samples]
        return (min(a for a, _ in r), max(b for _, b in r))

    @property
    def dec_range(self) -> tuple[float, float]:
        d = [s.dec for s in self.samples if s.size]
        if not d:
            return (np.nan, np.nan)
        return (float(min(x.min() for x in d)), float(max(x.max() for x in d)))

    def concatenated(self) -> dict[str, np.ndarray]:
        """All events of all samples, with an integer ``sample`` index column."""
        out = {c: np.concatenate([getattr(s, c) for s in self.samples])
               for c in EventSample.COLUMNS}
        out["sample"] = np.concatenate(
            [np.full(s.size, k, dtype=np.int64) for k, s in enumerate(self.samples)])
        return out

    def with_samples(self, samples: Sequence[EventSample]) -> Dataset:
        return dataclasses.replace(self, samples=tuple(samples))


@dataclass(frozen=True)
class CatalogTable:
    """A catalogue (sources) or light-curve table.

    Attributes
    ----------
    name : str
    format : str
    columns : dict of str -> ndarray
        Column arrays of equal length. Positions are ``ra`` and ``dec`` in degrees
        whenever the input has positions. Light curves carry ``flux_history``
        (n_rows, n_bins) and ``time_edges_mjd`` in ``meta``.
    meta : dict
        Citation, provenance, units.
    """

    name: str
    format: str
    columns: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lens = {k: len(v) for k, v in self.columns.items()}
        if len(set(lens.values())) > 1:
            raise InputError(f"columns have unequal lengths {lens}", path=self.meta.get("source"))

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self.columns[key]
        except KeyError:
            raise KeyError(f"{self.name} has no column {key!r}; have {sorted(self.columns)}") from None
