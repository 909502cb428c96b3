"""THE table of named neutrino-source candidates (J2000, degrees), :class:`Source`, name resolution.

Every command (``bayesnu ps``, ``bayesnu flare``, the demo, the CnuB and
blazar analyses) resolves ``--source NAME`` here. :func:`resolve_source` looks
a name up in the built-in table (case, spaces, hyphens and underscores
ignored; aliases allowed). Only with ``online=True`` does it fall back to
astropy's Sesame name resolver (network, short timeout); by default nothing is
downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesnu.errors import InputError

__all__ = ["Source", "SOURCES", "resolve_source", "resolve_position", "source_names",
           "sources_from_catalog"]


@dataclass(frozen=True)
class Source:
    """A point source: name, position (deg) and relative stacking weight."""

    name: str
    ra: float
    dec: float
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.ra) and 0.0 <= self.ra <= 360.0):
            raise InputError(f"source {self.name}: RA {self.ra} outside [0, 360] deg", column="ra")
        if not (np.isfinite(self.dec) and -90.0 <= self.dec <= 90.0):
            raise InputError(f"source {self.name}: Dec {self.dec} outside [-90, 90] deg",
                             column="dec")
        if not (np.isfinite(self.weight) and self.weight >= 0):
            raise InputError(f"source {self.name}: weight must be >= 0", column="weight")


# name: (ra_deg, dec_deg, aliases); positions from SIMBAD (TXS 0506+056 as in the IceCube
# 2018 flare paper), the Galactic Center as (l, b) = (0, 0), Sgr A* separately.
_TABLE: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "NGC 1068": (40.669622, -0.013294, ("M77", "NGC1068")),
    "TXS 0506+056": (77.3582, 5.69315, ("TXS0506", "TXS 0506", "3FGL J0509.4+0541",
                                        "4FGL J0509.4+0542")),
    "PKS 1424+240": (216.751632, 23.800020, ("PKS1424", "4FGL J1427.0+2348")),
    "GB6 J1542+6129": (235.7372, 61.4986, ("GB6J1542", "4FGL J1542.9+6129")),
    "NGC 4151": (182.6357, 39.4057, ()),
    "Mrk 421": (166.1138, 38.2088, ("Markarian 421",)),
    "Mrk 501": (253.4676, 39.7602, ("Markarian 501",)),
    "Crab Nebula": (83.6332, 22.0145, ("Crab", "M1")),
    "3C 279": (194.0465, -5.7893, ()),
    "M87": (187.7059, 12.3911, ("Virgo A",)),
    "Galactic Center": (266.404996, -28.936172, ("Galactic Centre", "GC")),
    "Sgr A*": (266.416837, -29.007810, ("Sgr A", "SgrA*")),
    "PKS 1502+106": (226.1041, 10.4942, ()),
    "NGC 4258": (184.7396, 47.3040, ("M106",)),
    "Cyg A": (299.8682, 40.7339, ("Cygnus A",)),
}


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch not in " -_")


#: normalised name or alias -> table name (read-only after import)
_INDEX: dict[str, str] = {_norm(a): name for name, (_r, _d, al) in _TABLE.items()
                          for a in (name, *al)}

#: the built-in table as Source objects
SOURCES: dict[str, Source] = {n: Source(n, ra, dec) for n, (ra, dec, _) in _TABLE.items()}


def source_names() -> list[str]:
    """Names in the built-in table."""
    return list(_TABLE)


def resolve_source(name: str, online: bool = False, timeout_s: float = 5.0) -> Source:
    """Position of a named source.

    Parameters
    ----------
    name
        Source name (built-in table first, e.g. ``"TXS 0506+056"``, ``"NGC1068"``).
    online
        Fall back to astropy's name resolver (network) when not in the table
        (default False: nothing is looked up at run time).
    timeout_s
        Timeout of that look-up.

    Raises
    ------
    InputError
        Unknown name (and no network resolution).
    """
    key = _norm(str(name))
    if key in _INDEX:
        return SOURCES[_INDEX[key]]
    if online:
        try:
            from astropy.coordinates import SkyCoord
            from astropy.utils.data import conf

            with conf.set_temp("remote_timeout", timeout_s):
                c = SkyCoord.from_name(str(name))
            return Source(str(name), float(c.icrs.ra.deg), float(c.icrs.dec.deg))
        except Exception as exc:  # network errors, unknown names
            reason = type(exc).__name__
            raise InputError(f"unknown source {name!r} (not in the built-in table; astropy name "
                             f"resolution failed: {reason}); give --ra/--dec or one of: "
                             f"{', '.join(source_names())}", column="source") from None
    raise InputError(f"unknown source {name!r}; known: {', '.join(source_names())}; "
                     "or give --ra and --dec", column="source")


def resolve_position(source: str | None = None, ra: float | None = None,
                     dec: float | None = None, online: bool = False
                     ) -> tuple[float, float, str]:
    """Position ``(ra, dec, label)`` in degrees from a source name or explicit coordinates.

    Parameters
    ----------
    source
        Name in the table (:func:`resolve_source`); exclusive with ``ra``/``dec``.
    ra, dec
        Explicit position, degrees.
    online
        Allow astropy's name resolver for names not in the table.
    """
    if source is None:
        if ra is None or dec is None:
            raise InputError("give --source NAME or both --ra and --dec", column="source")
        if not (0.0 <= ra <= 360.0 and -90.0 <= dec <= 90.0):
            raise InputError(f"position ({ra}, {dec}) outside RA [0, 360], dec [-90, 90] deg",
                             column="ra/dec")
        return float(ra), float(dec), f"({ra:.3f}, {dec:.3f})"
    src = resolve_source(source, online=online)
    return float(src.ra), float(src.dec), str(source)


def sources_from_catalog(table, weight_column: str | None = None, mask=None,
                         name_column: str | None = None) -> list[Source]:
    """Stacking sources from a :class:`~bayesnu.data.core.CatalogTable`.

    Parameters
    ----------
    table
        Catalogue with ``ra`` and ``dec`` columns in degrees.
    weight_column
        Column giving the relative (flux) weights, e.g. ``"Energy_Flux100"``;
        equal weights when omitted. Rows with non-finite or negative weights
        are an error.
    mask
        Boolean row selection.
    name_column
        Column with source names (default ``name`` if present, else row numbers).
    """
    ra = np.asarray(table["ra"], dtype=np.float64)
    dec = np.asarray(table["dec"], dtype=np.float64)
    sel = np.ones(ra.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if sel.shape != ra.shape:
        raise InputError(f"mask has {sel.size} entries for {ra.size} rows", column="mask")
    if weight_column is None:
        w = np.ones(ra.size)
    else:
        w = np.asarray(table[weight_column], dtype=np.float64)
        bad = sel & ~(np.isfinite(w) & (w >= 0))
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError(f"weight {w[r]} in row {r} is not a finite number >= 0",
                             column=weight_column)
    names = None
    col = name_column or ("name" if "name" in table.columns else None)
    if col is not None:
        names = [str(x) for x in table[col]]
    out = []
    for i in np.flatnonzero(sel):
        out.append(Source(names[i] if names else f"row{i}", float(ra[i]), float(dec[i]),
                          float(w[i])))
    if not out:
        raise InputError("no catalogue rows selected", column="mask")
    return out
