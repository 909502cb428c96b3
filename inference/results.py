"""Result containers shared by the inference functions, with JSON / NetCDF round trips."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any

import numpy as np

from bayesnu.atomic import write_json, write_netcdf, write_text

__all__ = ["Result", "save_json", "load_json", "save_idata", "load_idata"]


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    if isinstance(x, np.generic):
        return _plain(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _unplain(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _unplain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unplain(v) for v in x]
    if x in ("nan", "inf", "-inf"):
        return float(x)
    return x


class Result:
    """Mixin for dataclass results: ``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json``."""

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.metadata.get("json", True)}
        d["kind"] = type(self).__name__
        return _plain(d)

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        d = _unplain(dict(d))
        d.pop("kind", None)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            write_text(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike):
        s = os.fspath(text_or_path)
        if not s.lstrip().startswith("{"):
            with open(s) as fh:
                s = fh.read()
        return cls.from_dict(json.loads(s))


def save_json(obj: Any, path: str | os.PathLike) -> None:
    """Write a result (or any dict of numbers/arrays) as JSON."""
    d = obj.to_dict() if hasattr(obj, "to_dict") else _plain(obj)
    write_json(path, d)


def load_json(path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as fh:
        return _unplain(json.load(fh))


def save_idata(idata, path: str | os.PathLike) -> None:
    """Write an InferenceData (posterior, log_likelihood, sample_stats, attrs) to NetCDF."""
    write_netcdf(idata, path)


def load_idata(path: str | os.PathLike):
    import arviz as az

    return az.from_netcdf(os.fspath(path))
