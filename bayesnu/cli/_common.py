"""Helpers shared by the command modules: common options, output, error handling."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

import numpy as np

from bayesnu.errors import InputError, InputWarning
from bayesnu.jsonio import to_jsonable  # noqa: F401  (the one JSON converter, re-exported)


def add_common(parser: argparse.ArgumentParser, seed: bool = True,
               seed_default: int | None = None) -> None:
    """Add ``--json``, ``--quiet`` and (optionally) ``--seed`` to an analysis command.

    Declared through the option layer (:func:`bayesnu.cli._options.common_options`);
    new commands should list ``*common_options(...)`` in their own declarations.
    """
    from bayesnu.cli._options import add_options, common_options

    add_options(parser, common_options(seed=seed, seed_default=seed_default))


def progress_enabled(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr unless --quiet (JSON on stdout stays clean)."""
    return not getattr(args, "quiet", False)


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


def warning_line(message: Warning | str) -> str:
    """The one stderr line of a warning: ``bayesnu: warning: <message>``."""
    return f"bayesnu: warning: {' '.join(str(message).split())}\n"


def run_handler(args: argparse.Namespace, reraise: bool = False) -> int:
    """Run ``args.handler(args)`` and print its result; return the exit code.

    With ``reraise=False`` an :class:`InputError` becomes one stderr line and exit
    code 2 (the full policy, including the traceback behind ``--debug``, is in
    :func:`bayesnu.cli.main`, which calls this with ``reraise=True``).
    """
    warnings.simplefilter("default", InputWarning)
    try:
        result = args.handler(args)
    except InputError as exc:
        if reraise:
            raise
        from bayesnu.cli import format_input_error

        sys.stderr.write(f"bayesnu: error: {format_input_error(exc)}\n")
        return 2
    if result is not None:
        if (isinstance(result, dict) and "seed" not in result
                and getattr(args, "seed", None) is not None):
            result["seed"] = args.seed
        emit(result, getattr(args, "json", False))
    return 0


def rng_from_args(args: argparse.Namespace) -> np.random.Generator:
    return np.random.default_rng(getattr(args, "seed", None))
