"""Rebuild ``bayesnu/data/bundled/*.npz`` from the original public files.

Not imported at run time. Usage (from the repository root)::

    BAYESNU_RELEASES_DIR=/path/to/releases python -m bayesnu.data._build_bundled
    python -m bayesnu.data._build_bundled /path/to/releases

The folder (argument, or else ``$BAYESNU_RELEASES_DIR``) holds the unpacked
public releases in the layout given in ``bundled/PROVENANCE.md``.

Each bundled file stores the raw values the package's own readers parse from
the originals (``read_*_raw``), encoded losslessly (see
:mod:`bayesnu.data.bundled`); after writing, every file is decoded again and
compared value for value with the originals. Nothing is recomputed or
filtered: only the container changes (text/FITS -> compressed npz) and, for the
3FGL, unused columns are left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import catalogs as c
from . import icecube as i
from .bundled import BUNDLED, BUNDLED_DIR, RELEASES_ENV, pack, releases_dir, unpack


def raw_from_originals(shared: Path) -> dict[str, dict[str, np.ndarray]]:
    """Raw dicts of every bundled set, read from the original files under ``shared``."""
    ps = shared / "icecube_ps_10yr"
    ps_raw = i.read_ps10yr_raw(ps)
    for k, v in i.read_enu_to_emu(ps / "Fig_S4_tabulated_Enu_to_Emu.txt").items():
        ps_raw[f"enu_to_emu/{k}"] = v
    cat = shared / "catalogs"
    return {
        "ic40": ps_raw,
        "ic86_2011": i.read_ic86_2011_raw(shared / "icecube_ic86_2011"),
        "txs0506": i.read_txs_raw(shared / "icecube_txs0506_release"),
        "icecat1": c.read_icecat1_raw(shared / "icecat1" / "IceCube_Gold_Bronze_Tracks.csv"),
        "4lac": c.read_4lac_raw(cat / "table_4LAC.fits"),
        "4lac_dr2": c.read_4lac_raw(cat / "table-4LAC-DR2-h.fits"),
        "4fgl_dr2": c.read_4fgl_lc_raw(cat / "4FGL-DR2_lightcurves.csv"),
        "3fgl": c.read_3fgl_raw(cat / "3FGL_gll_psc_v16.fit.gz"),
        "5bzcat": c.read_5bzcat_raw(cat / "5BZCAT.csv"),
    }


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Exact equality (NaN == NaN, same shape, same kind)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True)) and a.dtype == b.dtype
    return bool(np.array_equal(a, b))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    shared = Path(argv[0]) if argv else releases_dir()
    if shared is None:
        print(f"usage: python -m bayesnu.data._build_bundled RELEASES_DIR (or set {RELEASES_ENV}); "
              "the folder layout is in bayesnu/data/bundled/PROVENANCE.md", file=sys.stderr)
        return 2
    BUNDLED_DIR.mkdir(exist_ok=True)
    raws = raw_from_originals(shared)
    total = 0
    for key, raw in raws.items():
        out = BUNDLED_DIR / BUNDLED[key][0]
        packed = pack(raw)
        with open(out, "wb") as fh:
            np.savez_compressed(fh, **packed)
        with np.load(out, allow_pickle=False) as z:
            back = unpack(z)
        for k, v in raw.items():
            if k == "lines" or k.endswith("/lines"):
                continue
            assert same(back[k], v), f"{key}: {k} differs after round trip"
        size = out.stat().st_size
        total += size
        print(f"{out.name:16s} {size / 1e6:7.3f} MB  ({len(packed)} arrays)")
    total += (BUNDLED_DIR / "PROVENANCE.md").stat().st_size if (
        BUNDLED_DIR / "PROVENANCE.md").exists() else 0
    print(f"total bundled data: {total / 1e6:.3f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
