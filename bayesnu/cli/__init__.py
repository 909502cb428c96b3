"""Command-line interface: ``bayesnu <command> [<subcommand>] [options]``.

Each command group lives in its own module under ``bayesnu.cli`` and exposes
``register(subparsers)``. A command handler receives the parsed arguments and
returns a JSON-serialisable dict (printed with ``--json``) plus, optionally, a
human-readable text under the key ``"_text"``.

Errors in user input (:class:`bayesnu.errors.InputError`) end the program with
exit code 2 and one line on stderr; no traceback is shown.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from bayesnu._version import __version__
from bayesnu.cli._common import run_handler

# command-group modules, in the order shown by --help
_GROUPS = ("data", "simulate", "limit", "ps", "flare", "cnb", "demo")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as argparse does
        sys.stderr.write(f"bayesnu: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bayesnu", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bayesnu {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _GROUPS:
        try:
            mod = importlib.import_module(f"bayesnu.cli.{name}")
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name == f"bayesnu.cli.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0 if args.command is None else 2
    with warnings.catch_warnings():
        return run_handler(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
