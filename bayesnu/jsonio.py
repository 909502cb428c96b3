"""THE conversion of results to and from JSON (one NaN convention for the whole package).

Every JSON output of bayesnu (CLI ``--json``, ``summary.json``, result files
written by :class:`bayesnu.inference.results.Result`) goes through
:func:`to_jsonable`:

* numpy scalars and arrays become Python numbers and lists;
* NaN becomes ``null``; +/-infinity become the strings ``"inf"`` / ``"-inf"``
  (JSON has no non-finite numbers);
* dict keys become strings; keys starting with ``_`` (private, e.g. a
  handler's ``_text``) are dropped; paths become strings.

:func:`from_jsonable` reverses the non-finite convention for numbers: ``"inf"``
and ``"-inf"`` become floats, and ``null`` inside a list of numbers becomes NaN.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

__all__ = ["to_jsonable", "from_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, NaN/inf and paths to JSON-friendly values (see module)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def from_jsonable(obj: Any) -> Any:
    """Inverse of :func:`to_jsonable` for numbers (``"inf"``, ``"-inf"``; ``null`` in numeric lists)."""
    if isinstance(obj, dict):
        return {k: from_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        vals = [from_jsonable(v) for v in obj]
        numeric = [v for v in vals if v is not None]
        if numeric and len(numeric) < len(vals) and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in numeric):
            return [math.nan if v is None else v for v in vals]
        return vals
    if isinstance(obj, str) and obj in ("inf", "-inf", "nan"):
        return float(obj)
    return obj
