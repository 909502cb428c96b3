"""Result containers shared by the inference functions, with JSON / NetCDF round trips.

JSON conversion is :mod:`bayesnu.jsonio` (NaN as null, infinities as "inf"/"-inf").
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any

from bayesnu.atomic import write_json, write_netcdf, write_text
from bayesnu.jsonio import from_jsonable, to_jsonable

__all__ = ["Result", "save_json", "load_json", "save_idata", "load_idata"]


class Result:
    """Mixin for dataclass results: ``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json``."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (:func:`bayesnu.jsonio.to_jsonable`; fields with
        ``metadata={"json": False}`` left out) with the class name under ``kind``."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.metadata.get("json", True)}
        d["kind"] = type(self).__name__
        return to_jsonable(d)

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        d = from_jsonable(dict(d))
        d.pop("kind", None)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        out = {}
        for k, v in d.items():
            if k not in fields:
                continue
            # JSON null of a float field is NaN (to_jsonable wrote NaN as null)
            ftype = fields[k].type
            if v is None and (ftype is float or str(ftype).replace(" ", "") == "float"):
                v = math.nan
            out[k] = v
        return cls(**out)

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
    d = obj.to_dict() if hasattr(obj, "to_dict") else to_jsonable(obj)
    write_json(path, d)


def load_json(path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as fh:
        return from_jsonable(json.load(fh))


def save_idata(idata, path: str | os.PathLike) -> None:
    """Write an InferenceData (posterior, log_likelihood, sample_stats, attrs) to NetCDF."""
    write_netcdf(idata, path)


def load_idata(path: str | os.PathLike):
    import arviz as az

    return az.from_netcdf(os.fspath(path))
