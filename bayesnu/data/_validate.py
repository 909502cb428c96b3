"""Validation of event columns shared by every event loader.

Checks, in this order, each raising :class:`InputError` naming the file, the
1-based line (when known) and the column of the first offending row:

* non-finite values (NaN, inf);
* declination outside [-90, 90] deg, right ascension outside [0, 360] deg;
* directions given in radians (all |dec| <= pi/2 and all RA in [0, 2 pi] for a
  sample of at least :data:`RADIANS_MIN_EVENTS` events);
* non-positive angular errors;
* event times outside the sample's good-run intervals.

Duplicated events (identical in every column) only raise an
:class:`bayesnu.errors.InputWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from bayesnu.errors import InputError, InputWarning

from .core import Uptime

#: Minimum number of events for the radians heuristic (fewer events could
#: legitimately all lie within 1.57 deg of the equator and RA < 6.28 deg).
RADIANS_MIN_EVENTS = 20


def _line(lines: np.ndarray | None, row: int) -> int | None:
    return None if lines is None else int(lines[row])


def _where(lines: np.ndarray | None, row: int) -> str:
    return "" if lines is not None else f" (row {row})"


def validate_events(
    cols: Mapping[str, np.ndarray],
    path: str | None,
    lines: np.ndarray | None = None,
    uptime: Uptime | None = None,
    time_tol_days: tuple[float, float] = (0.0, 0.0),
    names: Mapping[str, str] | None = None,
    check_duplicates: bool = True,
) -> None:
    """Validate event columns ``ra, dec, time, log10e, angerr`` (degrees, MJD).

    Parameters
    ----------
    cols
        Column arrays, keyed by the generic names.
    path
        File the events came from (for messages).
    lines
        1-based file line of every row, if known.
    uptime
        Good-run intervals the times must fall in.
    time_tol_days
        (before, after) tolerance in days: an event is accepted if a good run
        overlaps ``[t - before, t + after]``. Whole-day MJD stamps (IC86-2011)
        use (0, 1).
    names
        Column names as they appear in the file (for messages).
    check_duplicates
        Warn about exactly duplicated rows.
    """
    names = dict(names or {})

    def cname(c: str) -> str:
        return names.get(c, c)

    n = None
    for c in ("ra", "dec", "time", "log10e", "angerr"):
        a = np.asarray(cols[c], dtype=np.float64)
        if n is None:
            n = a.size
        bad = ~np.isfinite(a)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError(f"non-finite value {a[r]}{_where(lines, r)}", path=path,
                             line=_line(lines, r), column=cname(c))
    if not n:
        raise InputError("no events", path=path)
    ra = np.asarray(cols["ra"], dtype=np.float64)
    dec = np.asarray(cols["dec"], dtype=np.float64)
    bad = np.abs(dec) > 90.0
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"declination {dec[r]} outside [-90, 90] deg{_where(lines, r)}",
                         path=path, line=_line(lines, r), column=cname("dec"))
    bad = (ra < 0.0) | (ra > 360.0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"right ascension {ra[r]} outside [0, 360] deg{_where(lines, r)}",
                         path=path, line=_line(lines, r), column=cname("ra"))
    if (n >= RADIANS_MIN_EVENTS and np.max(np.abs(dec)) <= np.pi / 2 + 1e-9
            and np.max(ra) <= 2 * np.pi + 1e-9):
        raise InputError(
            f"directions look like radians (all {n} |dec| <= pi/2 and RA <= 2 pi); "
            "give right ascension and declination in degrees",
            path=path, column=f"{cname('ra')}/{cname('dec')}")
    ang = np.asarray(cols["angerr"], dtype=np.float64)
    bad = ang <= 0.0
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"angular error must be positive, got {ang[r]}{_where(lines, r)}",
                         path=path, line=_line(lines, r), column=cname("angerr"))
    if uptime is not None:
        t = np.asarray(cols["time"], dtype=np.float64)
        ok = times_in_uptime(t, uptime, *time_tol_days)
        if not ok.all():
            r = int(np.flatnonzero(~ok)[0])
            src = f" of {uptime.source}" if uptime.source else ""
            raise InputError(
                f"event time MJD {float(t[r])!r}{_where(lines, r)} is outside the good-run intervals{src} "
                f"({int((~ok).sum())} events outside; uptime {uptime.start:.5f}-{uptime.stop:.5f})",
                path=path, line=_line(lines, r), column=cname("time"))
    if check_duplicates:
        stack = np.column_stack([np.asarray(cols[c], dtype=np.float64)
                                 for c in ("time", "ra", "dec", "log10e", "angerr")])
        order = np.lexsort(stack.T[::-1])
        s = stack[order]
        dup = np.all(s[1:] == s[:-1], axis=1)
        if dup.any():
            k = int(np.flatnonzero(dup)[0])
            r1, r2 = sorted((int(order[k]), int(order[k + 1])))
            where = (f"lines {lines[r1]} and {lines[r2]}" if lines is not None
                     else f"rows {r1} and {r2}")
            warnings.warn(
                f"{path}: {int(dup.sum())} duplicated event(s), first at {where}; kept as given",
                InputWarning, stacklevel=3)


def times_in_uptime(t: np.ndarray, uptime: Uptime, before: float = 0.0,
                    after: float = 0.0) -> np.ndarray:
    """True where a good run overlaps ``[t - before, t + after]`` (days)."""
    s = uptime.intervals[:, 0]
    e = uptime.intervals[:, 1]
    i = np.searchsorted(s, t + after, side="right") - 1
    ic = np.clip(i, 0, None)
    return (i >= 0) & (e[ic] >= t - before)
