"""Named neutrino-source candidates (J2000 positions in degrees) and name resolution.

:func:`resolve_source` looks a name up in the built-in table (case, spaces,
hyphens and underscores ignored; aliases allowed) and otherwise tries
astropy's Sesame resolver with a short timeout -- which needs network access,
so offline it ends with a clear :class:`~bayesnu.errors.InputError` instead
of hanging.
"""

from __future__ import annotations

from bayesnu.errors import InputError
from bayesnu.likelihood.setup import Source

__all__ = ["SOURCES", "resolve_source", "source_names", "sources_from_catalog"]

# name: (ra_deg, dec_deg, aliases); positions from SIMBAD / the 10-year IceCube PS paper
_TABLE: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "NGC 1068": (40.6696, -0.0133, ("M77", "NGC1068")),
    "TXS 0506+056": (77.3582, 5.6931, ("TXS0506", "TXS 0506", "3FGL J0509.4+0541",
                                       "4FGL J0509.4+0542")),
    "PKS 1424+240": (216.7516, 23.8000, ("PKS1424", "4FGL J1427.0+2348")),
    "GB6 J1542+6129": (235.7372, 61.4986, ("GB6J1542", "4FGL J1542.9+6129")),
    "NGC 4151": (182.6357, 39.4057, ()),
    "Mrk 421": (166.1138, 38.2088, ("Markarian 421",)),
    "Mrk 501": (253.4676, 39.7602, ("Markarian 501",)),
    "Crab Nebula": (83.6332, 22.0145, ("Crab", "M1")),
    "3C 279": (194.0465, -5.7893, ()),
    "M87": (187.7059, 12.3911, ("Virgo A",)),
    "Sgr A*": (266.4168, -29.0078, ("Sgr A", "Galactic Centre", "Galactic Center")),
    "PKS 1502+106": (226.1041, 10.4942, ()),
    "NGC 4258": (184.7396, 47.3040, ("M106",)),
    "Cyg A": (299.8682, 40.7339, ("Cygnus A",)),
}


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch not in " -_")


_INDEX: dict[str, str] = {}
for _name, (_ra, _dec, _al) in _TABLE.items():
    for _a in (_name, *_al):
        _INDEX[_norm(_a)] = _name

#: the built-in table as Source objects
SOURCES: dict[str, Source] = {n: Source(n, ra, dec) for n, (ra, dec, _) in _TABLE.items()}


def source_names() -> list[str]:
    """Names in the built-in table."""
    return list(_TABLE)


def resolve_source(name: str, online: bool = True, timeout_s: float = 5.0) -> Source:
    """Position of a named source.

    Parameters
    ----------
    name
        Source name (built-in table first, e.g. ``"TXS 0506+056"``, ``"NGC1068"``).
    online
        Fall back to astropy's name resolver (network) when not in the table.
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
    raise InputError(f"unknown source {name!r}; known: {', '.join(source_names())}",
                     column="source")


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
    import numpy as np

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
