"""Blazar groups: the published TXS-like and CFS lists and catalogue classes, with cuts.

A :class:`BlazarGroup` is a named list of sources with J2000 positions
(degrees), a gamma-ray flux for flux weighting, and the row of each source in
the 4FGL-DR2 light-curve table (for light-curve weighting). Groups come from

* the two published lists (:data:`NAMED_GROUPS`): ``"TXS-like"`` (32 blazars
  whose infrared flares lag their gamma-ray flares, as for TXS 0506+056) and
  ``"CFS"`` (62 blazars with highly simultaneous infrared and gamma-ray flares),
  bundled as ``bayesnu.data.load("blazar_groups")`` and positioned with the
  4FGL-DR2 catalogue, where all 94 are found;
* catalogue classes (:data:`CATALOG_GROUPS`): 4LAC / 4LAC-DR2 optical classes
  (FSRQ, BL Lac, BCU), 4LAC SED classes (LSP, ISP, HSP), Roma-BZCAT classes
  (BZQ, BZB, BZG, BZU); these are the control groups of the spatial test.

Catalogue cuts (:class:`Cuts`): ``|dec| <= dec_max``, ``|b| >= b_min``, Fermi
``Variability_Index >= var_min`` and ``Flux1000 >= flux_min`` (the last two
need 4FGL-DR2 or 4LAC columns; 5BZCAT sources are cross-matched to 4FGL-DR2
within 0.1 deg only for the gamma-ray flux).

Unknown names raise :class:`bayesnu.errors.InputError` listing the valid ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from bayesnu.data import CatalogTable, load
from bayesnu.errors import InputError
from bayesnu.sources import Source

__all__ = ["BlazarGroup", "Cuts", "NAMED_GROUPS", "CATALOG_GROUPS", "group_names", "get_group",
           "control_group", "galactic_latitude", "fgl_table"]

#: the published lists: name -> description
NAMED_GROUPS: dict[str, str] = {
    "TXS-like": "32 blazars with infrared flares lagging gamma-ray flares, like TXS 0506+056 "
                "(published Table 4)",
    "CFS": "62 blazars with highly simultaneous infrared and gamma-ray flares "
           "(published Table 5)",
}

#: catalogue groups: name -> (bundled catalogue, column, accepted values, description)
CATALOG_GROUPS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "4LAC-FSRQ": ("4lac", "class", ("fsrq",), "4LAC flat-spectrum radio quasars"),
    "4LAC-BLL": ("4lac", "class", ("bll",), "4LAC BL Lacertae objects"),
    "4LAC-BCU": ("4lac", "class", ("bcu",), "4LAC blazars of uncertain type"),
    "4LAC-LSP": ("4lac", "SED_class", ("LSP",), "4LAC low-synchrotron-peaked blazars"),
    "4LAC-ISP": ("4lac", "SED_class", ("ISP",), "4LAC intermediate-synchrotron-peaked blazars"),
    "4LAC-HSP": ("4lac", "SED_class", ("HSP",), "4LAC high-synchrotron-peaked blazars"),
    "4LAC-BLAZARS": ("4lac", "class", ("fsrq", "bll", "bcu"), "all 4LAC blazars"),
    "4LAC-DR2-FSRQ": ("4lac_dr2", "class", ("fsrq",), "4LAC-DR2 flat-spectrum radio quasars"),
    "4LAC-DR2-BLL": ("4lac_dr2", "class", ("bll",), "4LAC-DR2 BL Lacertae objects"),
    "4LAC-DR2-BCU": ("4lac_dr2", "class", ("bcu",), "4LAC-DR2 blazars of uncertain type"),
    "4LAC-DR2-LSP": ("4lac_dr2", "SED_class", ("LSP",), "4LAC-DR2 LSP blazars"),
    "4LAC-DR2-ISP": ("4lac_dr2", "SED_class", ("ISP",), "4LAC-DR2 ISP blazars"),
    "4LAC-DR2-HSP": ("4lac_dr2", "SED_class", ("HSP",), "4LAC-DR2 HSP blazars"),
    "5BZCAT-BZQ": ("5bzcat", "class", ("fsrq",), "Roma-BZCAT flat-spectrum radio quasars"),
    "5BZCAT-BZB": ("5bzcat", "class", ("bll",), "Roma-BZCAT BL Lac objects"),
    "5BZCAT-BZG": ("5bzcat", "class", ("bll_host",), "Roma-BZCAT BL Lacs with host galaxy"),
    "5BZCAT-BZU": ("5bzcat", "class", ("uncertain",), "Roma-BZCAT blazars of uncertain type"),
    "5BZCAT-ALL": ("5bzcat", "class", ("fsrq", "bll", "bll_host", "uncertain"),
                   "all Roma-BZCAT blazars"),
}

_XMATCH_DEG = 0.1


def group_names() -> list[str]:
    """All valid group names (published lists first)."""
    return list(NAMED_GROUPS) + list(CATALOG_GROUPS)


def _canon(name: str) -> str | None:
    key = str(name).strip().upper().replace("_", "-").replace(" ", "-")
    for n in group_names():
        if n.upper() == key:
            return n
    return None


@dataclass(frozen=True)
class Cuts:
    """Catalogue cuts (all optional).

    Parameters
    ----------
    dec_max
        Keep ``|dec| <= dec_max`` (deg).
    b_min
        Keep ``|b| >= b_min`` (Galactic latitude, deg).
    var_min
        Keep Fermi ``Variability_Index >= var_min`` (sources without one are dropped).
    flux_min
        Keep Fermi ``Flux1000 >= flux_min`` (ph cm^-2 s^-1, 1-100 GeV).
    """

    dec_max: float | None = None
    b_min: float | None = None
    var_min: float | None = None
    flux_min: float | None = None

    def __post_init__(self) -> None:
        for k in ("dec_max", "b_min", "var_min", "flux_min"):
            v = getattr(self, k)
            if v is not None and not np.isfinite(v):
                raise InputError(f"cut {k} must be finite, got {v}", column=k)
        if self.dec_max is not None and not 0 < self.dec_max <= 90:
            raise InputError(f"cut dec_max must be in (0, 90] deg, got {self.dec_max}",
                             column="dec_max")
        if self.b_min is not None and not 0 <= self.b_min < 90:
            raise InputError(f"cut b_min must be in [0, 90) deg, got {self.b_min}",
                             column="b_min")

    def to_dict(self) -> dict[str, float | None]:
        return {"dec_max": self.dec_max, "b_min": self.b_min, "var_min": self.var_min,
                "flux_min": self.flux_min}


@dataclass(frozen=True)
class BlazarGroup:
    """A named list of blazars.

    Attributes
    ----------
    name : str
    names : ndarray of str
        Source names (as in the originating list or catalogue).
    ra, dec : ndarray
        J2000 positions, deg.
    flux : ndarray
        Fermi 1-100 GeV photon flux (ph cm^-2 s^-1) from 4FGL-DR2 (NaN if unmatched).
    fgl_row : ndarray of int
        Row of each source in ``bayesnu.data.load("4fgl_dr2")`` (-1 if unmatched).
    variability_index : ndarray
        Fermi Variability_Index (NaN if unknown).
    glat : ndarray
        Galactic latitude, deg.
    catalog : str
        Where the positions come from.
    meta : dict
        Description, citation, cuts.
    """

    name: str
    names: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    flux: np.ndarray
    fgl_row: np.ndarray
    variability_index: np.ndarray
    glat: np.ndarray
    catalog: str
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ra.size)

    @property
    def n_sources(self) -> int:
        return len(self)

    def subset(self, mask: np.ndarray, name: str | None = None) -> BlazarGroup:
        """The sources where ``mask`` is True (or the rows ``mask`` if integer)."""
        m = np.asarray(mask)
        return BlazarGroup(name or self.name, self.names[m], self.ra[m], self.dec[m],
                           self.flux[m], self.fgl_row[m], self.variability_index[m],
                           self.glat[m], self.catalog, dict(self.meta))

    def apply(self, cuts: Cuts | None) -> BlazarGroup:
        """Apply catalogue cuts (see :class:`Cuts`)."""
        if cuts is None:
            return self
        m = np.ones(len(self), dtype=bool)
        if cuts.dec_max is not None:
            m &= np.abs(self.dec) <= cuts.dec_max
        if cuts.b_min is not None:
            m &= np.abs(self.glat) >= cuts.b_min
        if cuts.var_min is not None:
            m &= np.nan_to_num(self.variability_index, nan=-np.inf) >= cuts.var_min
        if cuts.flux_min is not None:
            m &= np.nan_to_num(self.flux, nan=-np.inf) >= cuts.flux_min
        g = self.subset(m)
        g.meta["cuts"] = cuts.to_dict()
        return g

    def weights(self, kind: str = "equal") -> np.ndarray:
        """Relative stacking weights: ``"equal"`` or ``"flux"`` (4FGL-DR2 Flux1000).

        Sources without a gamma-ray flux get the smallest flux of the group.
        """
        if kind == "equal":
            return np.ones(len(self))
        if kind == "flux":
            f = np.array(self.flux, dtype=np.float64)
            ok = np.isfinite(f) & (f > 0)
            if not ok.any():
                raise InputError(f"group {self.name} has no gamma-ray fluxes; use equal weights",
                                 column="weights")
            f[~ok] = f[ok].min()
            return f
        raise InputError(f"unknown weighting {kind!r}; use equal or flux", column="weights")

    def sources(self, weights: str | np.ndarray = "equal") -> list[Source]:
        """The group as likelihood :class:`~bayesnu.likelihood.setup.Source` objects."""
        w = self.weights(weights) if isinstance(weights, str) else np.asarray(weights, float)
        return [Source(str(n), float(r) % 360.0, float(d), float(x))
                for n, r, d, x in zip(self.names, self.ra, self.dec, w)]

    def to_dict(self, rows: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"group": self.name, "n_sources": len(self),
                               "catalog": self.catalog,
                               "description": self.meta.get("description", ""),
                               "citation": self.meta.get("citation", ""),
                               "cuts": self.meta.get("cuts")}
        if rows:
            out["sources"] = [{"name": str(n), "ra": float(r), "dec": float(d),
                               "flux1000": None if not np.isfinite(f) else float(f)}
                              for n, r, d, f in zip(self.names, self.ra, self.dec, self.flux)]
        return out


def galactic_latitude(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Galactic latitude (deg) of J2000 positions (deg), closed-form rotation."""
    # north Galactic pole (J2000) and its declination
    ra_p, dec_p = np.radians(192.85948), np.radians(27.12825)
    r, d = np.radians(np.asarray(ra, float)), np.radians(np.asarray(dec, float))
    sb = np.sin(d) * np.sin(dec_p) + np.cos(d) * np.cos(dec_p) * np.cos(r - ra_p)
    return np.degrees(np.arcsin(np.clip(sb, -1.0, 1.0)))


@cache
def fgl_table() -> CatalogTable:
    """The bundled 4FGL-DR2 light-curve table (cached)."""
    return load("4fgl_dr2")


@cache
def _fgl_index() -> dict[str, int]:
    t = fgl_table()
    return {str(n).replace(" ", ""): i for i, n in enumerate(t["name"])}


def _xmatch_fgl(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Row of the nearest 4FGL-DR2 source within 0.1 deg (-1 if none)."""
    t = fgl_table()
    fr, fd = np.radians(t["ra"]), np.radians(t["dec"])
    fx = np.stack([np.cos(fd) * np.cos(fr), np.cos(fd) * np.sin(fr), np.sin(fd)], axis=1)
    r, d = np.radians(ra), np.radians(dec)
    x = np.stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)], axis=1)
    out = np.full(ra.size, -1, dtype=np.int64)
    cmin = np.cos(np.radians(_XMATCH_DEG))
    for s in range(0, ra.size, 512):
        c = x[s:s + 512] @ fx.T
        j = np.argmax(c, axis=1)
        ok = c[np.arange(j.size), j] >= cmin
        out[s:s + 512] = np.where(ok, j, -1)
    return out


def _from_fgl_rows(name: str, names: np.ndarray, rows: np.ndarray, catalog: str,
                   meta: dict[str, Any], ra=None, dec=None) -> BlazarGroup:
    t = fgl_table()
    ok = rows >= 0
    safe = np.where(ok, rows, 0)
    ra = t["ra"][safe] if ra is None else np.asarray(ra, float)
    dec = t["dec"][safe] if dec is None else np.asarray(dec, float)
    flux = np.where(ok, t["Flux1000"][safe], np.nan)
    var = np.where(ok, t["Variability_Index"][safe], np.nan)
    return BlazarGroup(name, np.asarray(names).astype(str), np.asarray(ra, float),
                       np.asarray(dec, float), flux.astype(float), rows.astype(np.int64),
                       var.astype(float), galactic_latitude(ra, dec), catalog, meta)


@cache
def _named(name: str) -> BlazarGroup:
    g = load("blazar_groups")
    m = g["group"] == name
    idx = _fgl_index()
    fgl = g["fgl_name"][m]
    missing = [f for f in fgl if f not in idx]
    if missing:  # pragma: no cover - the bundled lists are all in 4FGL-DR2
        raise InputError(f"group {name}: {missing[0]} not found in 4FGL-DR2", column="fgl_name")
    rows = np.array([idx[f] for f in fgl], dtype=np.int64)
    return _from_fgl_rows(name, g["name"][m], rows, "4fgl_dr2 (positions)",
                          {"description": NAMED_GROUPS[name], "citation": g.meta["citation"],
                           "fgl_names": [str(f) for f in fgl]})


@cache
def _catalog(name: str) -> BlazarGroup:
    cat, col, values, desc = CATALOG_GROUPS[name]
    t = load(cat)
    m = np.isin(np.asarray(t[col]).astype(str), values)
    ra, dec = t["ra"][m], t["dec"][m]
    if cat.startswith("4lac"):
        idx = _fgl_index()
        # 4LAC names are 4FGL names ("4FGL J0001.2-0747")
        rows = np.array([idx.get(str(n).replace(" ", ""), -1) for n in t["name"][m]],
                        dtype=np.int64)
        miss = rows < 0
        if miss.any():
            rows[miss] = _xmatch_fgl(ra[miss], dec[miss])
        g = _from_fgl_rows(name, t["name"][m], rows, cat, {}, ra=ra, dec=dec)
        # 4LAC's own Variability_Index / Flux1000 where 4FGL-DR2 has none
        v = np.where(np.isfinite(g.variability_index), g.variability_index,
                     t["Variability_Index"][m])
        f = np.where(np.isfinite(g.flux), g.flux, t["Flux1000"][m])
        g = BlazarGroup(name, g.names, g.ra, g.dec, f.astype(float), g.fgl_row,
                        v.astype(float), g.glat, cat, {})
    else:
        rows = _xmatch_fgl(ra, dec)
        g = _from_fgl_rows(name, t["name"][m], rows, cat, {}, ra=ra, dec=dec)
    g.meta.update({"description": desc, "citation": t.meta.get("citation", "")})
    return g


def get_group(name: str, cuts: Cuts | None = None) -> BlazarGroup:
    """A group by name (case-insensitive), with optional catalogue cuts.

    Parameters
    ----------
    name
        One of :func:`group_names` (``"TXS-like"``, ``"CFS"``, ``"4LAC-FSRQ"``, ...).
    cuts
        Catalogue cuts applied after selection.

    Raises
    ------
    bayesnu.errors.InputError
        Unknown name (the message lists the valid names) or a cut that leaves no source.
    """
    key = _canon(name)
    if key is None:
        raise InputError(f"unknown blazar group {name!r}; valid: {', '.join(group_names())}",
                         column="group")
    g = _named(key) if key in NAMED_GROUPS else _catalog(key)
    g = g.subset(np.ones(len(g), dtype=bool))  # a private copy (meta is mutable)
    g = g.apply(cuts)
    if len(g) == 0:
        raise InputError(f"no source of group {key} passes the cuts", column="group")
    return g


def control_group(parent: str | BlazarGroup, size: int, rng: np.random.Generator,
                  exclude: BlazarGroup | None = None, cuts: Cuts | None = None) -> BlazarGroup:
    """A random control group of ``size`` sources drawn without replacement from ``parent``.

    Parameters
    ----------
    parent
        Catalogue group (name or group) to draw from, e.g. ``"4LAC-BLAZARS"``.
    size
        Number of sources.
    rng
        Random generator.
    exclude
        Sources of this group (matched within 0.1 deg) are not drawn.
    cuts
        Cuts applied to the parent first.
    """
    pg = get_group(parent, cuts) if isinstance(parent, str) else parent.apply(cuts)
    keep = np.ones(len(pg), dtype=bool)
    if exclude is not None and len(exclude):
        c = (np.sin(np.radians(pg.dec))[:, None] * np.sin(np.radians(exclude.dec))[None, :]
             + np.cos(np.radians(pg.dec))[:, None] * np.cos(np.radians(exclude.dec))[None, :]
             * np.cos(np.radians(pg.ra[:, None] - exclude.ra[None, :])))
        keep = ~np.any(c >= np.cos(np.radians(_XMATCH_DEG)), axis=1)
    pool = np.flatnonzero(keep)
    if size < 1 or size > pool.size:
        raise InputError(f"control group of {size} sources: parent {pg.name} has {pool.size} "
                         "eligible sources", column="size")
    pick = np.sort(rng.choice(pool, size=size, replace=False))
    g = pg.subset(pick, name=f"control({pg.name}, {size})")
    g.meta["description"] = f"{size} sources drawn at random from {pg.name}"
    return g
