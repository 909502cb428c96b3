"""The one JSON converter: NaN -> null, +-inf -> strings, numpy -> Python, round trips."""

import json
import math
from dataclasses import dataclass

import numpy as np
from bayesnu.inference.results import Result

from bayesnu.cli._common import to_jsonable as cli_to_jsonable
from bayesnu.jsonio import from_jsonable, to_jsonable


def test_conventions():
    d = to_jsonable({"a": np.float64("nan"), "b": np.array([1.0, np.inf, -np.inf]),
                     "c": np.int64(3), "_text": "dropped", 4: (np.bool_(True),)})
    assert d == {"a": None, "b": [1.0, "inf", "-inf"], "c": 3, "4": [True]}
    json.dumps(d, allow_nan=False)  # strictly valid JSON
    back = from_jsonable({"b": ["inf", None, 2.0], "s": "text", "n": None})
    assert back["b"][0] == math.inf and math.isnan(back["b"][1]) and back["s"] == "text"
    assert back["n"] is None
    assert cli_to_jsonable is to_jsonable  # the CLI uses the same converter


@dataclass
class _R(Result):
    x: float
    y: list
    z: float | None = None


def test_result_round_trip_keeps_nan():
    r = _R(x=float("nan"), y=[1.0, float("nan")], z=None)
    d = json.loads(r.to_json())
    assert d["x"] is None and d["y"] == [1.0, None] and d["kind"] == "_R"
    back = _R.from_json(r.to_json())
    assert math.isnan(back.x) and math.isnan(back.y[1]) and back.z is None
