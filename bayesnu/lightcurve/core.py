"""Light-curve containers: :class:`LightCurve` (one source, one band) and
:class:`LightCurveSet` (many sources sharing one set of time bins).

Conventions
-----------
* times in MJD (days); a point may carry a bin ``[t_lo, t_hi]`` (catalogue
  light curves) or be instantaneous (``t_lo == t_hi == time``, e.g. WISE visits);
* ``flux`` in the unit named by ``unit`` (photon flux, energy flux, mJy, ...);
* ``error`` is a symmetric 1 sigma error (> 0 for Bayesian blocks);
* ``upper_limit`` flags points whose flux is not a detection (their ``flux`` is
  the value the loader's upper-limit policy chose, see :mod:`.io`);
* ``artificial`` flags points added by gap filling (:func:`.prepare.fill_gap`).

A :class:`LightCurve` is validated on construction: one-dimensional arrays of one
length, at least one point, finite times strictly increasing, finite fluxes,
finite non-negative errors. Requirements that only some analyses have (>= 3
points, non-negative fluxes, positive errors) are checked by
:meth:`LightCurve.require`. Every failure is a one-line
:class:`bayesnu.errors.InputError` naming the light curve and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesnu.errors import InputError

__all__ = ["LightCurve", "LightCurveSet"]


def _label(name: str) -> str:
    return f"light curve '{name}'" if name else "light curve"


@dataclass(frozen=True, eq=False)
class LightCurve:
    """One light curve (one source, one band).

    Parameters
    ----------
    time : array (n,)
        Point times (bin centres for binned curves), MJD, strictly increasing.
    flux : array (n,)
        Flux or flux density, in ``unit``.
    error : array (n,)
        Symmetric 1 sigma error of ``flux``, same unit, finite and >= 0.
    upper_limit : array of bool (n,), optional
        True where the point is an upper limit (default: all False).
    t_lo, t_hi : array (n,), optional
        Bin start / end, MJD (default: ``time``, i.e. instantaneous points).
    artificial : array of bool (n,), optional
        True for points added by gap filling (default: all False).
    name : str
        Source name (used in error messages).
    band : str
        Band label, e.g. ``"gamma 1-100 GeV"``, ``"WISE W2"``.
    unit : str
        Flux unit, e.g. ``"ph cm^-2 s^-1"``, ``"mJy"``.
    meta : dict
        Free metadata (catalogue row, citation, preparation history).
    """

    time: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    upper_limit: np.ndarray | None = None
    t_lo: np.ndarray | None = None
    t_hi: np.ndarray | None = None
    artificial: np.ndarray | None = None
    name: str = ""
    band: str = ""
    unit: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lab = _label(self.name)
        arrs = {}
        for key in ("time", "flux", "error"):
            try:
                a = np.asarray(getattr(self, key), dtype=np.float64)
            except (TypeError, ValueError):
                raise InputError(f"{lab}: {key} is not numeric", column=key) from None
            if a.ndim != 1:
                raise InputError(f"{lab}: {key} must be one-dimensional, got shape {a.shape}",
                                 column=key)
            arrs[key] = a
        n = arrs["time"].size
        if n == 0:
            raise InputError(f"{lab}: empty (no points)", column="time")
        for key, a in arrs.items():
            if a.size != n:
                raise InputError(f"{lab}: {key} has {a.size} values for {n} times", column=key)
        t, f, e = arrs["time"], arrs["flux"], arrs["error"]
        for key, a in (("time", t), ("flux", f), ("error", e)):
            bad = ~np.isfinite(a)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise InputError(f"{lab}: non-finite {key} {a[k]} at point {k}", column=key)
        if n > 1:
            d = np.diff(t)
            if np.any(d < 0):
                k = int(np.flatnonzero(d < 0)[0]) + 1
                raise InputError(f"{lab}: times not sorted ascending (point {k}: {t[k]} after "
                                 f"{t[k - 1]})", column="time")
            if np.any(d == 0):
                k = int(np.flatnonzero(d == 0)[0]) + 1
                raise InputError(f"{lab}: repeated time {t[k]} at point {k} (merge points "
                                 "first)", column="time")
        if np.any(e < 0):
            k = int(np.flatnonzero(e < 0)[0])
            raise InputError(f"{lab}: negative error {e[k]} at point {k}", column="error")
        ul = np.zeros(n, bool) if self.upper_limit is None else np.asarray(self.upper_limit,
                                                                           dtype=bool)
        art = np.zeros(n, bool) if self.artificial is None else np.asarray(self.artificial,
                                                                           dtype=bool)
        lo = t.copy() if self.t_lo is None else np.asarray(self.t_lo, dtype=np.float64)
        hi = t.copy() if self.t_hi is None else np.asarray(self.t_hi, dtype=np.float64)
        for key, a in (("upper_limit", ul), ("artificial", art), ("t_lo", lo), ("t_hi", hi)):
            if a.shape != (n,):
                raise InputError(f"{lab}: {key} has shape {a.shape}, expected ({n},)", column=key)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise InputError(f"{lab}: non-finite bin edge", column="t_lo/t_hi")
        if np.any(lo > t) or np.any(hi < t):
            k = int(np.flatnonzero((lo > t) | (hi < t))[0])
            raise InputError(f"{lab}: bin [{lo[k]}, {hi[k]}] does not contain its time {t[k]} "
                             f"(point {k})", column="t_lo/t_hi")
        for key, a in (("time", t), ("flux", f), ("error", e), ("upper_limit", ul),
                       ("artificial", art), ("t_lo", lo), ("t_hi", hi)):
            a.setflags(write=False)
            object.__setattr__(self, key, a)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.time.size)

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.time.size)

    @property
    def detected(self) -> np.ndarray:
        """Boolean mask of detections (not upper limits, not artificial)."""
        return ~self.upper_limit & ~self.artificial

    @property
    def binned(self) -> bool:
        """True when the points carry bins of non-zero width."""
        return bool(np.any(self.t_hi > self.t_lo))

    def require(self, min_points: int = 1, nonnegative: bool = False,
                positive_errors: bool = False, what: str = "") -> LightCurve:
        """Check analysis-specific requirements; return ``self``.

        Parameters
        ----------
        min_points : int
            Minimum number of points.
        nonnegative : bool
            Require flux >= 0 (flux ratios, quiescent normalisation).
        positive_errors : bool
            Require error > 0 (Bayesian blocks weights 1/error^2).
        what : str
            Name of the analysis, for the message.

        Raises
        ------
        InputError
            One line naming the light curve and the failed requirement.
        """
        lab = _label(self.name)
        for_ = f" for {what}" if what else ""
        if self.n < min_points:
            raise InputError(f"{lab}: {self.n} point(s), at least {min_points} needed{for_}",
                             column="time")
        if nonnegative and np.any(self.flux < 0):
            k = int(np.flatnonzero(self.flux < 0)[0])
            raise InputError(f"{lab}: negative flux {self.flux[k]} at point {k}; non-negative "
                             f"fluxes needed{for_}", column="flux")
        if positive_errors and np.any(self.error <= 0):
            k = int(np.flatnonzero(self.error <= 0)[0])
            raise InputError(f"{lab}: error {self.error[k]} <= 0 at point {k}; positive errors "
                             f"needed{for_}", column="error")
        return self

    def select(self, mask: np.ndarray, note: str | None = None) -> LightCurve:
        """A new light curve with the points where ``mask`` is True."""
        m = np.asarray(mask, dtype=bool)
        meta = dict(self.meta)
        if note:
            meta["history"] = [*meta.get("history", []), note]
        return LightCurve(self.time[m], self.flux[m], self.error[m], self.upper_limit[m],
                          self.t_lo[m], self.t_hi[m], self.artificial[m], self.name, self.band,
                          self.unit, meta)

    def replace(self, **kw: Any) -> LightCurve:
        """A copy with some fields replaced (validated again)."""
        d = {k: getattr(self, k) for k in ("time", "flux", "error", "upper_limit", "t_lo", "t_hi",
                                           "artificial", "name", "band", "unit", "meta")}
        d.update(kw)
        return LightCurve(**d)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict of the points and metadata."""
        return {"name": self.name, "band": self.band, "unit": self.unit,
                "time_mjd": self.time.tolist(), "flux": self.flux.tolist(),
                "error": self.error.tolist(), "upper_limit": self.upper_limit.tolist(),
                "t_lo": self.t_lo.tolist(), "t_hi": self.t_hi.tolist(),
                "artificial": self.artificial.tolist()}


@dataclass(frozen=True, eq=False)
class LightCurveSet:
    """Light curves of many sources on one common set of time bins (Fermi catalogues).

    Parameters
    ----------
    edges : array (n_bins + 1,)
        Bin edges, MJD, strictly increasing.
    flux, error : arrays (n_src, n_bins)
        Flux and symmetric 1 sigma error per bin.
    upper_limit : bool array (n_src, n_bins)
        Upper-limit flags.
    names : array (n_src,)
        Source names.
    ra, dec : arrays (n_src,)
        Positions, deg.
    band, unit : str
        Band and flux unit.
    columns : dict
        Per-source catalogue columns kept alongside (``Variability_Index``, ``GLAT`` ...).
    meta : dict
        Citation, upper-limit policy, catalogue name.
    """

    edges: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    upper_limit: np.ndarray
    names: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    band: str = ""
    unit: str = ""
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        e = np.asarray(self.edges, dtype=np.float64)
        if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
            raise InputError("light-curve set: bin edges must be strictly increasing",
                             column="edges")
        nb = e.size - 1
        f = np.asarray(self.flux, dtype=np.float64)
        if f.ndim != 2 or f.shape[1] != nb:
            raise InputError(f"light-curve set: flux shape {f.shape} does not match {nb} bins",
                             column="flux")
        for key in ("error", "upper_limit"):
            if np.shape(getattr(self, key)) != f.shape:
                raise InputError(f"light-curve set: {key} shape {np.shape(getattr(self, key))} "
                                 f"!= flux shape {f.shape}", column=key)
        object.__setattr__(self, "edges", e)
        object.__setattr__(self, "flux", f)
        object.__setattr__(self, "error", np.asarray(self.error, dtype=np.float64))
        object.__setattr__(self, "upper_limit", np.asarray(self.upper_limit, dtype=bool))
        object.__setattr__(self, "names", np.asarray(self.names))
        object.__setattr__(self, "ra", np.asarray(self.ra, dtype=np.float64))
        object.__setattr__(self, "dec", np.asarray(self.dec, dtype=np.float64))

    def __len__(self) -> int:
        return int(self.flux.shape[0])

    @property
    def n_sources(self) -> int:
        return int(self.flux.shape[0])

    @property
    def n_bins(self) -> int:
        return int(self.flux.shape[1])

    @property
    def centres(self) -> np.ndarray:
        """Bin centres, MJD."""
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def index(self, name: str) -> int:
        """Row of a source by name (spaces ignored, case-insensitive)."""
        key = str(name).replace(" ", "").upper()
        norm = np.char.upper(np.char.replace(self.names.astype(str), " ", ""))
        hit = np.flatnonzero(norm == key)
        if hit.size == 0:
            raise InputError(f"source '{name}' not in {self.meta.get('catalog', 'the set')}",
                             column="source")
        return int(hit[0])

    def subset(self, mask_or_index: np.ndarray) -> LightCurveSet:
        """A set with the selected rows (boolean mask or integer index)."""
        m = np.asarray(mask_or_index)
        cols = {k: np.asarray(v)[m] for k, v in self.columns.items()}
        return LightCurveSet(self.edges, self.flux[m], self.error[m], self.upper_limit[m],
                             self.names[m], self.ra[m], self.dec[m], self.band, self.unit, cols,
                             dict(self.meta))

    def curve(self, i: int | str) -> LightCurve:
        """Row ``i`` (or the source named ``i``) as a :class:`LightCurve`."""
        k = self.index(i) if isinstance(i, str) else int(i)
        meta = {"catalog": self.meta.get("catalog"), "row": k,
                "ra": float(self.ra[k]), "dec": float(self.dec[k])}
        for key, v in self.columns.items():
            if np.ndim(v) == 1:
                val = v[k]
                meta[key] = val.item() if hasattr(val, "item") else val
        return LightCurve(self.centres, self.flux[k], self.error[k], self.upper_limit[k],
                          self.edges[:-1], self.edges[1:], None, str(self.names[k]), self.band,
                          self.unit, meta)
