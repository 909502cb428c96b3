"""High-level flare analysis of a data set at one position (used by the CLI, demo, examples).

A flare is fitted per sample (season): the samples of a release cover
consecutive periods with different detector configurations, and the
time-dependent searches of IceCube (IceCube 2018 for TXS 0506+056, the IceCube 2023 cascade flare search) fit each sample
separately. :func:`fit_dataset` returns every sample's fit and the one with
the largest TS.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayesnu.data.core import Dataset, EventSample
from bayesnu.errors import InputError
from bayesnu.flare.roi import FlareSampleModel, sample_model
from bayesnu.flare.search import SIGMA_MIN, FlareFit, fit_flare
from bayesnu.sources import SOURCES as _TABLE
from bayesnu.sources import resolve_position as _resolve

__all__ = ["SOURCES", "resolve_position", "default_sigma_min", "fit_dataset", "load_data"]

#: positions (ra, dec) of the source table :data:`bayesnu.sources.SOURCES` (a view)
SOURCES: dict[str, tuple[float, float]] = {n: (s.ra, s.dec) for n, s in _TABLE.items()}


def resolve_position(source: str | None = None, ra: float | None = None, dec: float | None = None,
                     dataset: Dataset | None = None, online: bool = False
                     ) -> tuple[float, float, str]:
    """Position (ra, dec, label): :func:`bayesnu.sources.resolve_position` (``dataset`` unused)."""
    del dataset
    return _resolve(source, ra, dec, online=online)


def default_sigma_min(sample: EventSample) -> float:
    """Lower bound of sigma_t: 1e-11 d (IceCube 2023 cascade flare search), or 0.5 d for whole-day event times.

    Releases that round times to whole MJD days (IC86-2011) cannot resolve
    flares shorter than a day; with tied times a sub-day Gaussian would make
    the likelihood grow without bound.
    """
    t = sample.time
    if t.size and np.all(t == np.round(t)):
        return 0.5
    return SIGMA_MIN


def load_data(name: str) -> Dataset:
    """Load a bundled data set name or a file/folder path."""
    from bayesnu.data import load

    return load(name)


def fit_dataset(dataset: Dataset, ra: float, dec: float, pdf: str = "gauss",
                samples: list[str] | None = None, seed_threshold: float = 1.0,
                sigma_min: float | None = None, keep_candidates: int = 0,
                models: dict[str, FlareSampleModel] | None = None,
                **kwargs: Any) -> dict[str, Any]:
    """Flare fit at ``(ra, dec)`` on each (selected) sample of ``dataset``.

    Returns
    -------
    dict
        ``best`` (FlareFit with the largest TS), ``sample`` (its name),
        ``fits`` (name -> FlareFit), ``models`` (name -> FlareSampleModel) and
        ``data`` (name -> FlareData).
    """
    chosen = list(dataset.samples)
    if samples:
        names = {s.name.lower(): s for s in dataset.samples}
        missing = [n for n in samples if n.lower() not in names]
        if missing:
            raise InputError(f"no sample {missing[0]!r} in {dataset.name}; have "
                             f"{[s.name for s in dataset.samples]}", column="sample")
        chosen = [names[n.lower()] for n in samples]
    fits: dict[str, FlareFit] = {}
    datas: dict[str, Any] = {}
    models = {} if models is None else models
    for s in chosen:
        if s.size < 10:
            continue
        fp = s.footprint
        if not (fp.dec_min <= dec <= fp.dec_max and fp.ra_min <= ra <= fp.ra_max):
            if samples:
                raise InputError(f"position ({ra:.3f}, {dec:.3f}) is outside the footprint of "
                                 f"sample {s.name} (RA {fp.ra_min:.2f}-{fp.ra_max:.2f}, "
                                 f"dec {fp.dec_min:.2f}-{fp.dec_max:.2f})", column="ra/dec")
            continue
        if s.name not in models:
            models[s.name] = sample_model(s)
        m = models[s.name]
        fd = m.data_at(ra, dec)
        smin = default_sigma_min(s) if sigma_min is None else sigma_min
        fits[s.name] = fit_flare(fd, pdf=pdf, seed_threshold=seed_threshold, sigma_min=smin,
                                 keep_candidates=keep_candidates, **kwargs)
        datas[s.name] = fd
    if not fits:
        raise InputError(f"no sample of {dataset.name} covers ({ra:.3f}, {dec:.3f}) with enough "
                         "events for a flare fit", column="ra/dec")
    best = max(fits, key=lambda k: fits[k].ts)
    return {"best": fits[best], "sample": best, "fits": fits, "models": models, "data": datas}
