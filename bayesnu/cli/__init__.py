"""Command-line interface: ``bayesnu <command> [<subcommand>] [options]``.

Each command group lives in its own module under ``bayesnu.cli`` and exposes
``register(subparsers)``. Options are declared with the option layer
:mod:`bayesnu.cli._options` (types, ranges, units, true defaults, output-path
checks). A command handler receives the parsed and validated arguments and
returns a JSON-serialisable dict (printed with ``--json``) plus, optionally, a
human-readable text under the key ``"_text"``.

Error policy (one top-level handler, :func:`main`):

- bad input (:class:`bayesnu.errors.InputError`, argparse errors, an unusable
  file) -> exactly one line ``bayesnu: error: ...`` on stderr, exit code 2;
- any other exception -> one line ``bayesnu: error: internal error: ...``,
  exit code 1;
- the traceback is printed only with ``--debug`` (anywhere on the command line);
- warnings raised while a command runs are printed (one line each) after it
  succeeds; when it fails, only the error line is printed (``--debug`` shows both).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import traceback
import warnings

from bayesnu import __version__
from bayesnu.cli._common import run_handler
from bayesnu.cli._options import NEGATIVE_NUMBER, iter_options, validate
from bayesnu.errors import InputError

# command-group modules, in the order shown by --help
_GROUPS = ("data", "simulate", "limit", "ps", "flare", "cnb", "blazar", "demo")

_REQUIRED = re.compile(r"the following arguments are required: (.*)")
_UNRECOGNIZED = re.compile(r"unrecognized arguments: (.*)")
_ARGUMENT = re.compile(r"^argument (-[^\s:/]+)(?:/-[^\s:/]+)*: (.*)$")


def one_line_error(message: str) -> str:
    """argparse's error text rewritten as ``option --x: <what>`` (one line)."""
    message = " ".join(str(message).split())
    m = _REQUIRED.match(message)
    if m:
        names = [n.strip() for n in m.group(1).split(",")]
        opts = [n for n in names if n.startswith("-")] or names
        word = "option" if opts[0].startswith("-") else "argument"
        if len(opts) == 1:
            return f"{word} {opts[0]}: is required"
        return f"{word} {opts[0]}: is required (also missing: {', '.join(opts[1:])})"
    m = _UNRECOGNIZED.match(message)
    if m:
        first = m.group(1).split()[0]
        return (f"option {first}: unknown option (see --help)" if first.startswith("-")
                else f"argument {first!r}: unexpected argument (see --help)")
    m = _ARGUMENT.match(message)
    if m:
        return f"option {m.group(1)}: {m.group(2)}"
    return message


class Parser(argparse.ArgumentParser):
    """ArgumentParser with one-line errors and negative numbers (``-2.5e-3``) as values."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # argparse only treats '-1' / '-.5' as numbers; accept '-2.5e-3', '-inf', '-nan' too
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str) -> None:  # one line, exit 2, as argparse does
        sys.stderr.write(f"bayesnu: error: {one_line_error(message)}\n")
        raise SystemExit(2)


def group_of(argv: list[str]) -> str | None:
    """The command group named on the command line (None: show every group)."""
    for a in argv:
        if a.startswith("-"):
            continue
        return a if a in _GROUPS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``bayesnu`` parser; with ``only`` just that command group is registered (faster)."""
    parser = Parser(prog="bayesnu", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bayesnu {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of errors (may be given anywhere on the "
                             "command line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in _GROUPS if only is None else (only,):
        try:
            mod = importlib.import_module(f"bayesnu.cli.{name}")
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name == f"bayesnu.cli.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every ``--option`` string in a parser tree."""
    out: set[str] = set()
    for a in parser._actions:
        out.update(x for x in a.option_strings if x.startswith("--"))
        if isinstance(a, argparse._SubParsersAction):
            for sub in a.choices.values():
                out |= _option_strings(sub)
    return out


def _report(exc: BaseException, debug: bool, option_names: set[str] | None = None) -> int:
    """One line for an exception escaping a command; return the exit code."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, InputError):
        sys.stderr.write(f"bayesnu: error: {format_input_error(exc, option_names)}\n")
        return 2
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError
                  | NotADirectoryError | FileExistsError) and exc.filename:
        sys.stderr.write(f"bayesnu: error: {exc.filename}: {exc.strerror or exc}\n")
        return 2
    if isinstance(exc, MemoryError):
        sys.stderr.write("bayesnu: error: out of memory (reduce the sizes asked for)\n")
        return 1
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(text) > 300:
        text = text[:297] + "..."
    hint = "" if debug else " (run with --debug for the traceback)"
    sys.stderr.write(f"bayesnu: error: internal error: {text}{hint}\n")
    return 1


def _as_option(column: str, option_names: set[str]) -> str | None:
    """``"sample"`` -> ``"--sample"``, ``"ra/dec"`` -> ``"--ra/--dec"`` if those are options."""
    parts = [c.strip() for c in str(column).split("/")]
    names = ["--" + c.lstrip("-").replace("_", "-") for c in parts]
    if all(n in option_names for n in names):
        return "/".join(names)
    return None


def format_input_error(exc: InputError, option_names: set[str] | None = None) -> str:
    """Message of an InputError; a command-line option is called ``option --x``, not column.

    ``option_names`` (the command's options) lets a library error that names a parameter
    (``column="sample"``, no file) be reported as ``option --sample``.
    """
    col = getattr(exc, "column", None)
    if (col and not str(col).startswith("-") and option_names
            and getattr(exc, "path", None) is None):
        col = _as_option(col, option_names) or col
    if col and str(col).startswith("-") and not str(exc).startswith("option "):
        reason = " ".join(str(getattr(exc, "reason", exc)).split())
        reason = reason.removeprefix(f"{col} ").removeprefix(f"{col}: ")
        where = f"{exc.path}: " if getattr(exc, "path", None) else ""
        return f"option {col}: {where}{reason}"
    return str(exc)


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    """Run ``bayesnu`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    ``parser`` (from :func:`build_parser`) may be passed in to run many command lines
    in one process without rebuilding it (the tests do).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        if parser is None:
            parser = build_parser(only=group_of(argv))
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a one-line parse error
        return int(exc.code or 0) if isinstance(exc.code, int | None) else 2
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0 if args.command is None else 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            validate(args)
            rc = run_handler(args, reraise=True)
        except SystemExit as exc:
            return int(exc.code or 0) if isinstance(exc.code, int | None) else 2
        except KeyboardInterrupt:
            sys.stderr.write("bayesnu: interrupted\n")
            return 130
        except BaseException as exc:  # noqa: BLE001 - the one top-level handler
            if debug:
                _print_warnings(caught)
            names = {o.name for o in iter_options(args) if o.name.startswith("-")}
            names |= _option_strings(parser)  # also options not (yet) declared with Opt
            return _report(exc, debug, names)
    _print_warnings(caught)
    return rc


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    from bayesnu.cli._common import warning_line

    seen = set()
    for w in caught:
        if isinstance(w.message, DeprecationWarning | PendingDeprecationWarning | ResourceWarning):
            continue
        line = warning_line(w.message)
        if line not in seen:
            seen.add(line)
            sys.stderr.write(line)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
