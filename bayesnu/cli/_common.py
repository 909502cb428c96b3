"""Helpers shared by the command modules: common options, output, error handling."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from typing import Any

import numpy as np

from bayesnu.errors import InputError, InputWarning


def add_common(parser: argparse.ArgumentParser, seed: bool = True) -> None:
    """Add ``--json``, ``--seed`` and ``--quiet`` to an analysis command."""
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    if seed:
        parser.add_argument("--seed", type=int, default=None,
                            help="seed of the numpy random Generator (default: fresh entropy)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def progress_enabled(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr unless --quiet (JSON on stdout stays clean)."""
    return not getattr(args, "quiet", False)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays (and NaN/inf) to JSON-friendly values."""
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


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Print a handler's result: JSON, or its ``_text`` (else a key: value listing)."""
    if as_json:
        sys.stdout.write(json.dumps(to_jsonable(result), indent=2) + "\n")
        return
    text = result.get("_text")
    if text is None:
        lines = []
        for k, v in to_jsonable(result).items():
            lines.append(f"{k}: {json.dumps(v) if isinstance(v, list | dict) else v}")
        text = "\n".join(lines)
    sys.stdout.write(text.rstrip("\n") + "\n")


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    sys.stderr.write(f"bayesnu: warning: {' '.join(str(message).split())}\n")


def run_handler(args: argparse.Namespace) -> int:
    """Run ``args.handler(args)`` with bayesnu's error policy.

    InputError -> one line on stderr, exit 2. Warnings are printed as one line.
    Unexpected exceptions are re-raised (they are bugs and deserve a traceback).
    """
    warnings.showwarning = _show_warning
    warnings.simplefilter("default", InputWarning)
    try:
        result = args.handler(args)
    except InputError as exc:
        sys.stderr.write(f"bayesnu: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("bayesnu: interrupted\n")
        return 130
    if result is not None:
        emit(result, getattr(args, "json", False))
    return 0


def rng_from_args(args: argparse.Namespace) -> np.random.Generator:
    return np.random.default_rng(getattr(args, "seed", None))
