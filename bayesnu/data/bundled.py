"""Compact copies of the real public data sets shipped inside the package.

Each bundled set is one ``.npz`` file in ``bayesnu/data/bundled/`` holding the
original release's values under the raw keys of the matching reader
(``read_*_raw``). Numbers written in the original text with a fixed number of
decimals are stored as integers ``m`` with key suffix ``@e<k>`` and decoded as
``m / 10**k``, which IEEE division rounds to exactly the float64 that parsing
the original text gives; everything else is stored in its original dtype
(FITS float32 stays float32). The conversion (``_build_bundled.py``) checks the
decoding value for value, and the test suite compares the bundled copies with
the original files when the environment variable ``BAYESNU_RELEASES_DIR``
(:data:`RELEASES_ENV`, read by :func:`releases_dir`) names a folder holding the
unpacked public releases. See ``bundled/PROVENANCE.md`` for that folder's layout
and the releases' names and DOIs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.errors import InputError

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"

#: environment variable naming the folder of the unpacked original public releases
#: (layout in ``bundled/PROVENANCE.md``); used only to rebuild and to verify the copies
RELEASES_ENV = "BAYESNU_RELEASES_DIR"


def releases_dir() -> Path | None:
    """The folder of the original public releases named by ``$BAYESNU_RELEASES_DIR``, or None.

    Returns None when the variable is unset or empty; raises
    :class:`~bayesnu.errors.InputError` when it names something that is not a folder.
    """
    val = os.environ.get(RELEASES_ENV, "").strip()
    if not val:
        return None
    p = Path(val).expanduser()
    if not p.is_dir():
        raise InputError(f"{RELEASES_ENV}={val!r} is not a folder", path=val)
    return p

#: name -> (file, description, aliases)
BUNDLED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ic40": ("ps10yr.npz", "IceCube 10-year point-source release, IC40 events (36,900), all 10 "
             "good-run lists, 5 effective areas, Enu->Emu table",
             ("ic40", "ps10yr_ic40", "icecube_ic40", "ps10yr")),
    "ic86_2011": ("ic86_2011.npz", "IceCube IC86-2011 all-sky point-source release "
                  "(69,227 up + 69,095 down events, tabulated A_eff)",
                  ("ic86_2011", "ic86-2011", "ic86", "ic862011")),
    "txs0506": ("txs0506.npz", "IceCube TXS 0506+056 release: six samples, 1,257 events in "
                "the box, A_eff at the source declination",
                ("txs0506", "txs", "txs0506_release", "txs_0506", "txs0506+056")),
    "icecat1": ("icecat1.npz", "IceCat-1 alert tracks (348)", ("icecat1", "icecat", "icecat-1")),
    "4lac": ("4lac.npz", "Fermi-LAT 4LAC AGN catalogue (2,863)", ("4lac",)),
    "4lac_dr2": ("4lac_dr2.npz", "Fermi-LAT 4LAC-DR2 high-latitude AGN catalogue (3,131)",
                 ("4lac_dr2", "4lac-dr2", "4lac_dr2_h", "4lac-dr2-h", "4lacdr2")),
    "4fgl_dr2": ("4fgl_dr2.npz", "Fermi-LAT 4FGL-DR2 yearly light curves (5,788)",
                 ("4fgl_dr2", "4fgl", "4fgl-dr2", "4fgl_dr2_lc", "4fgl_dr2_lightcurves")),
    "3fgl": ("3fgl.npz", "Fermi-LAT 3FGL with 48 monthly light-curve bins (3,034)",
             ("3fgl", "3fgl_v16", "gll_psc_v16")),
    "5bzcat": ("5bzcat.npz", "Roma-BZCAT 5th edition (3,561)", ("5bzcat", "bzcat", "roma_bzcat")),
    "blazar_groups": ("blazar_groups.csv", "TXS-like (32) and CFS (62) blazar lists with their "
                      "4FGL names (94)", ("blazar_groups", "paper001_groups", "blazar-groups")),
}

_ALIAS = {a: k for k, (_, _, al) in BUNDLED.items() for a in (k,) + al}


def canonical_name(name: str) -> str | None:
    """Bundled name for ``name`` (case-insensitive, aliases allowed), else None."""
    key = str(name).strip().lower().replace(" ", "_")
    if key in _ALIAS:
        return _ALIAS[key]
    key2 = key.replace("-", "_")
    return _ALIAS.get(key2)


def bundled_names() -> list[str]:
    """Names of the bundled data sets (use with :func:`bayesnu.data.load`)."""
    return list(BUNDLED)


def bundled_path(name: str) -> Path:
    """Path of the ``.npz`` file holding bundled set ``name``."""
    key = canonical_name(name)
    if key is None:
        raise InputError(f"unknown bundled data set '{name}'; have {', '.join(BUNDLED)}",
                         column="name")
    return BUNDLED_DIR / BUNDLED[key][0]


# --------------------------------------------------------------------------- packing

def _encode(a: np.ndarray, max_k: int = 22) -> tuple[np.ndarray, int | None]:
    """Integer mantissas m and k with m / 10**k == a exactly, if possible."""
    if a.dtype != np.float64 or a.size == 0 or not np.all(np.isfinite(a)):
        return a, None
    for k in range(max_k + 1):
        scale = float(10**k)
        m = np.round(a * scale)
        if np.max(np.abs(m)) >= 2.0**53:
            return a, None
        if np.array_equal(m / scale, a):
            mi = m.astype(np.int64)
            for dt in (np.int8, np.int16, np.int32):
                if np.abs(mi).max() < np.iinfo(dt).max:
                    mi = mi.astype(dt)
                    break
            # integer-valued data: keep k = 0 encoding too (smaller dtype)
            return mi, k
    return a, None


def pack(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Encode a raw dict for storage (see module docstring). Drops ``lines`` keys."""
    out = {}
    for key, a in raw.items():
        if key == "lines" or key.endswith("/lines"):
            continue
        a = np.asarray(a)
        if a.dtype.kind == "f" and a.dtype == np.float64:
            m, k = _encode(a.ravel())
            if k is not None:
                m = m.reshape(a.shape)
                assert np.array_equal(m.astype(np.float64) / float(10**k), a)
                out[f"{key}@e{k}"] = m
                continue
        out[key] = a
    return out


def unpack(z: Any) -> dict[str, np.ndarray]:
    """Decode a stored dict (NpzFile or mapping) back to the raw values."""
    out = {}
    for key in z.files if hasattr(z, "files") else z.keys():
        a = z[key]
        if "@e" in key:
            base, k = key.rsplit("@e", 1)
            out[base] = a.astype(np.float64) / float(10 ** int(k))
        else:
            out[key] = a
    return out


def read_bundled_raw(name: str, prefix: str | tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Raw values of bundled set ``name`` (only keys starting with ``prefix``)."""
    p = bundled_path(name)
    if not p.exists():
        raise InputError("bundled data file missing from the installation", path=p)
    with np.load(p, allow_pickle=False) as z:
        keys = [k for k in z.files if prefix is None or k.startswith(prefix)]
        return unpack({k: z[k] for k in keys})


def provenance_text() -> str:
    return (BUNDLED_DIR / "PROVENANCE.md").read_text()


def bundled_meta(name: str) -> dict[str, Any]:
    key = canonical_name(name)
    f, desc, _ = BUNDLED[key]
    return {"bundled_name": key, "bundled_file": os.fspath(BUNDLED_DIR / f),
            "description": desc,
            "provenance": "bundled compact copy of the public release (format change only, "
                          "values unchanged); see bayesnu/data/bundled/PROVENANCE.md"}
