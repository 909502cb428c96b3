"""Declarative command-line options: declare each option once, get parsing, help and checks.

Every option of a ``bayesnu`` command is declared once as an :class:`Opt`: its
name, type, range, unit, true default and help text, and its *kind* (a number,
a flag, a choice, a string, an input file or data set, an output file, an
output folder, a random seed). :func:`add_options` turns the declarations into
``argparse`` arguments and records them on the sub-parser, and
:func:`validate` (called by :func:`bayesnu.cli.main` after parsing, before the
handler runs) checks what a single option cannot check alone:

- numbers: parsed by the option's own type function, so ``nan``, ``inf``,
  non-numbers, values outside the declared range and overflow are refused
  *while parsing*, with one line ``bayesnu: error: option --x: <what>``;
  negative numbers (``--dm31 -2.5e-3``, also written ``--dm31=-2.5e-3``) can be
  typed;
- paired options: ``exclusive`` (at most one of the groups), ``together`` (all
  or none), ``one_of`` (at least one), ``requires`` (option A needs B);
- output paths (``kind="output"``/``"outdir"``): the parent folder exists and
  is writable, a file path is not a folder (and vice versa), an existing file
  is refused unless ``--force`` (added automatically to commands with
  outputs); all before any work starts. Writers then replace files atomically
  (:mod:`bayesnu.atomic`);
- input paths (``kind="input"`` a file, ``kind="data"`` a bundled name or a
  file/folder): an existing path must be a regular file or a folder and
  readable (a FIFO or device is refused instead of hanging).

The help text of every option is composed from the declaration: ``help``, the
unit, the range and the *true* default (``default_text`` when the default is
computed at run time, which is then required). Errors are raised as
:class:`OptionError` (a :class:`bayesnu.errors.InputError`), which the
top-level handler prints as one line and turns into exit code 2.

Example
-------
A new command group ``bayesnu cnb ...`` declares its options and registers
a subcommand::

    from bayesnu.cli._options import Opt, add_options, common_options, output_file

    OPTIONS = [
        Opt("--eta", float, default=1.0, min=0.0, max=1e12, unit="n/n0",
            help="relic neutrino overdensity"),
        Opt("--bins", int, default=300, min=2, max=100_000, help="log-energy bins"),
        Opt("--dm31", float, default=2.517e-3, min=-1e-2, max=1e-2, unit="eV^2",
            help="Delta m^2_31 (negative for inverted ordering; type --dm31=-2.5e-3 "
                 "or --dm31 -2.5e-3)"),
        Opt("--ordering", choices=("NO", "IO"), default="NO", help="mass ordering"),
        Opt("--source", str, help="source name from the bundled table",
            default_text="none"),
        Opt("--ra", float, min=0, max=360, unit="deg", help="right ascension",
            default_text="none"),
        Opt("--dec", float, min=-90, max=90, unit="deg", help="declination",
            default_text="none"),
        output_file("--out", suffixes=(".json", ".npz"), help="result file",
                    required=False),
        *common_options(seed_default=1),
    ]

    def register(subparsers):
        p = subparsers.add_parser("cnb", help="...")
        sub = p.add_subparsers(dest="cnb_command", metavar="SUBCOMMAND")
        c = sub.add_parser("propagate", help="...", description="...")
        add_options(c, OPTIONS,
                    exclusive=[("--source", ("--ra", "--dec"))],
                    together=[("--ra", "--dec")])
        c.set_defaults(handler=run_propagate)

    def run_propagate(args):      # args.eta is a float in range, args.out checked
        ...
        raise OptionError("--eta", "must be below 1e6 in source mode")  # one line, exit 2

Handlers receive converted values (``args.eta`` is a float). Inside a
handler, use :func:`OptionError` for a problem with an option that only
shows up later, and :func:`check_output_path` for output paths derived at
run time. ``bayesnu.cli.main(argv)`` runs a command in-process and returns its
exit code (used by the tests).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bayesnu.errors import InputError

__all__ = ["Opt", "OptionError", "add_options", "validate", "common_options", "output_file",
           "output_dir", "input_file", "data_option", "seed_option", "check_output_path",
           "check_input_path", "iter_options", "NEGATIVE_NUMBER", "format_number", "KINDS",
           "report_option"]

KINDS = ("number", "flag", "choice", "str", "input", "data", "output", "outdir", "seed")

# a token that is a (possibly negative, possibly scientific) number, or +-inf/nan
NEGATIVE_NUMBER = re.compile(
    r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)

_SPEC_ATTR = "_bayesnu_options"
_RULES_ATTR = "_bayesnu_rules"
INT_MAX_DEFAULT = 10**9  # ints without a declared max: refuse sizes that exhaust memory


class OptionError(InputError):
    """A bad command-line option value: printed as ``option --x: <what is wrong>``.

    Parameters
    ----------
    option
        The option string (``"--n-live"``) or positional name.
    message
        What is wrong, one line.
    """

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        word = "option" if option.startswith("-") else "argument"
        super().__init__(f"{word} {option}: {message}")


def format_number(x: float | int) -> str:
    """Short text of a number for help and error messages (``1e+05`` -> ``1e5``)."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        if x == 2**63 - 1:
            return "2^63-1"
        return f"{x:,}".replace(",", "_") if abs(x) >= 100_000 else str(x)
    x = float(x)
    if x != 0 and math.isfinite(x) and (abs(x) >= 1e5 or abs(x) < 1e-3):
        m, e = f"{x:.6e}".split("e")
        m = m.rstrip("0").rstrip(".")
        return f"{m}e{int(e)}"
    return f"{x:g}"


@dataclass(frozen=True)
class Opt:
    """Declaration of one command-line option.

    Parameters
    ----------
    name : str
        ``"--n-events"`` (optional) or ``"target"`` (positional).
    type : type, optional
        ``float``, ``int`` or ``str`` (kind ``"number"``/``"str"``); ``bool`` for a flag.
        Inferred from ``kind``/``choices`` when omitted.
    help : str
        What the option means (unit, range and default are appended automatically).
    default : object
        The true default. ``None`` means "not given"; then ``default_text`` must say
        what happens (e.g. ``"all cores"``), unless the option is required or a flag.
    default_text : str, optional
        Text shown as the default when it is computed at run time.
    unit : str, optional
        Unit shown in help (``"deg"``, ``"GeV"``, ``"days"``).
    min, max : float, optional
        Range of a number (inclusive unless ``min_open``/``max_open``).
    finite : bool
        Refuse nan and +-inf (default True).
    choices : sequence, optional
        Allowed values (kind ``"choice"``).
    kind : str
        One of :data:`KINDS`; inferred when omitted.
    nargs : int or str, optional
        As in argparse (``2``, ``3``, ``"+"``).
    sep : str, optional
        Split one value at ``sep`` into a list (``--dec 60,-60``); each element is checked.
    repeat : bool
        The option may be given several times (argparse ``append``).
    required : bool
        The option must be given.
    metavar, dest : str, optional
        As in argparse.
    suffixes : tuple of str, optional
        Allowed file suffixes of input/output files (lower case, with the dot).
    existing : {"force", "resume"}
        Output folder: an existing non-empty folder needs ``--force`` ("force") or is
        resumed ("resume", campaign folders).
    check : callable, optional
        ``check(value) -> str | None``: an extra per-value check returning an error
        text (or None when the value is fine).
    action_false : bool
        A flag that stores False (``--dirac`` with ``dest="majorana"``).
    hidden : bool
        Do not list in --help (still parsed and checked).
    example : str, optional
        A valid value (as typed), used by the generated bad-argument tests to build an
        otherwise valid command line; give it for strings the command checks itself
        (e.g. a group name).
    """

    name: str
    type: Any = None
    help: str = ""
    default: Any = None
    default_text: str | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    finite: bool = True
    choices: Sequence[Any] | None = None
    kind: str | None = None
    nargs: int | str | None = None
    sep: str | None = None
    repeat: bool = False
    required: bool = False
    metavar: str | tuple[str, ...] | None = None
    dest: str | None = None
    suffixes: tuple[str, ...] | None = None
    existing: str = "force"
    check: Callable[[Any], str | None] | None = None
    action_false: bool = False
    hidden: bool = False
    example: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ derived
    @property
    def resolved_kind(self) -> str:
        if self.kind is not None:
            if self.kind not in KINDS:
                raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
            return self.kind
        if self.type is bool:
            return "flag"
        if self.choices is not None:
            return "choice"
        if self.type in (int, float):
            return "number"
        return "str"

    @property
    def positional(self) -> bool:
        return not self.name.startswith("-")

    @property
    def label(self) -> str:
        """How argparse and errors name it: ``--x``, or a positional's metavar."""
        if not self.positional:
            return self.name
        mv = self.metavar if isinstance(self.metavar, str) else None
        return mv or self.name.upper()

    @property
    def attr(self) -> str:
        if self.dest:
            return self.dest
        return self.name.lstrip("-").replace("-", "_")

    @property
    def numeric_type(self) -> type:
        if self.resolved_kind == "seed":
            return int
        return self.type if self.type in (int, float) else float

    def effective_max(self) -> float | None:
        if self.max is not None:
            return self.max
        if self.resolved_kind in ("number", "seed") and self.numeric_type is int:
            return INT_MAX_DEFAULT if self.resolved_kind == "number" else 2**63 - 1
        return None

    # --------------------------------------------------------------- help text
    def range_text(self) -> str | None:
        lo, hi = self.min, self.effective_max()
        if lo is None and hi is None:
            return None
        if lo is not None and hi is not None:
            return (f"{'(' if self.min_open else '['}{format_number(lo)}, "
                    f"{format_number(hi)}{')' if self.max_open else ']'}")
        if lo is not None:
            return f"{'>' if self.min_open else '>='} {format_number(lo)}"
        return f"{'<' if self.max_open else '<='} {format_number(hi)}"

    def help_text(self) -> str:
        k = self.resolved_kind
        parts = [self.help.rstrip(". ")] if self.help else []
        if self.unit and k in ("number", "seed"):
            parts[-1:] = [f"{parts[-1] if parts else ''} [{self.unit}]".strip()]
        extra = []
        if k in ("number", "seed"):
            r = self.range_text()
            if r and k == "number":
                extra.append(f"range {r}")
        if k == "choice" and self.positional:
            extra.append("one of " + ", ".join(map(str, self.choices or ())))
        if self.sep:
            extra.append(f"'{self.sep}'-separated list")
        if self.repeat:
            extra.append("repeatable")
        if self.suffixes:
            extra.append("suffix " + "|".join(self.suffixes))
        if k == "outdir" and self.existing == "resume":
            extra.append("an existing folder is resumed")
        if self.required:
            extra.append("required")
        elif k != "flag":
            extra.append(f"default: {self.default_shown()}")
        text = "; ".join(p for p in parts if p)
        if extra:
            text = f"{text} ({'; '.join(extra)})" if text else "; ".join(extra)
        return text.replace("%", "%%")

    def default_shown(self) -> str:
        if self.default_text is not None:
            return self.default_text
        d = self.default
        if isinstance(d, list | tuple):
            return " ".join(format_number(v) if isinstance(v, int | float) else str(v) for v in d)
        if isinstance(d, int | float) and not isinstance(d, bool):
            return format_number(d)
        return str(d)

    # ------------------------------------------------------------ declaration
    def check_declaration(self) -> None:
        """Refuse incomplete declarations (a developer error, raised at import/registration)."""
        k = self.resolved_kind
        if not self.help:
            raise ValueError(f"option {self.name}: help text missing")
        if (self.default is None and self.default_text is None and not self.required
                and k not in ("flag", "seed")):
            raise ValueError(f"option {self.name}: default None needs default_text "
                             "saying what happens when it is not given")
        if k == "choice" and not self.choices:
            raise ValueError(f"option {self.name}: kind 'choice' needs choices")
        if self.existing not in ("force", "resume"):
            raise ValueError(f"option {self.name}: existing must be 'force' or 'resume'")

    # --------------------------------------------------------------- parsing
    def parse_one(self, text: str) -> Any:
        """Convert and check one raw value; raise argparse.ArgumentTypeError with a message."""
        k = self.resolved_kind
        if k in ("number", "seed"):
            return self._parse_number(text)
        if k == "choice":
            return self._parse_choice(text)
        text = str(text)
        if "\x00" in text:
            raise argparse.ArgumentTypeError("contains a NUL character")
        if k in ("str", "data", "input", "output", "outdir") and not text.strip():
            raise argparse.ArgumentTypeError("empty value")
        if len(text) > 4096:
            raise argparse.ArgumentTypeError(f"value too long ({len(text)} characters)")
        if self.check is not None:
            msg = self.check(text)
            if msg:
                raise argparse.ArgumentTypeError(msg)
        return text

    def _parse_choice(self, text: str) -> Any:
        assert self.choices is not None
        for c in self.choices:
            if str(c) == text:
                return c
        low = {str(c).lower(): c for c in self.choices}
        if text.lower() in low:
            return low[text.lower()]
        raise argparse.ArgumentTypeError(
            f"invalid choice {text!r} (choose from {', '.join(map(str, self.choices))})")

    def _parse_number(self, text: str) -> Any:
        t = str(text).strip()
        is_int = self.numeric_type is int
        what = "an integer" if is_int else "a number"
        if not t or len(t) > 400:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        try:
            x = float(t)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if math.isnan(x):
            raise argparse.ArgumentTypeError(f"expected {what}, got NaN")
        if math.isinf(x):
            # float('1e400') is inf: an overflow, not a user-typed infinity
            if self.finite or is_int:
                raise argparse.ArgumentTypeError(
                    f"must be finite, got {text!r}" if re.search(r"inf", t, re.I)
                    else f"value {text!r} overflows a 64-bit float")
        value: Any = x
        if is_int:
            try:
                value = int(t)
            except ValueError:
                if not x.is_integer():
                    raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
                value = int(x)
        lo, hi = self.min, self.effective_max()
        rng = self.range_text()
        if ((lo is not None and (value < lo or (self.min_open and value == lo)))
                or (hi is not None and (value > hi or (self.max_open and value == hi)))):
            if lo is not None and hi is not None:
                raise argparse.ArgumentTypeError(f"{format_number(value)} is out of range {rng}")
            raise argparse.ArgumentTypeError(f"must be {rng}, got {format_number(value)}")
        if self.check is not None:
            msg = self.check(value)
            if msg:
                raise argparse.ArgumentTypeError(msg)
        return value

    def argparse_type(self) -> Callable[[str], Any]:
        if self.sep:
            def conv(text: str) -> list[Any]:
                parts = [p.strip() for p in str(text).split(self.sep)]
                if not parts or any(p == "" for p in parts):
                    raise argparse.ArgumentTypeError(f"empty element in {text!r}")
                return [self.parse_one(p) for p in parts]
        else:
            def conv(text: str) -> Any:
                return self.parse_one(text)
        conv.__name__ = self.attr  # argparse shows the type's name in some messages
        return conv

    def add_to(self, parser: argparse.ArgumentParser | Any) -> argparse.Action:
        """Add this option to an argparse parser (or argument group)."""
        self.check_declaration()
        k = self.resolved_kind
        kw: dict[str, Any] = {"help": argparse.SUPPRESS if self.hidden else self.help_text()}
        if k == "flag":
            kw["action"] = "store_false" if self.action_false else "store_true"
            if self.dest:
                kw["dest"] = self.dest
            if self.default is not None:
                kw["default"] = self.default
            return parser.add_argument(self.name, **kw)
        kw["type"] = self.argparse_type()
        if self.repeat:
            kw["action"] = "append"
        if self.nargs is not None:
            kw["nargs"] = self.nargs
        if self.metavar is not None:
            kw["metavar"] = self.metavar
        elif k in ("number", "seed"):
            kw["metavar"] = "INT" if self.numeric_type is int else "X"
        elif k == "choice":
            kw["metavar"] = (self.name.upper() if self.positional
                             else "{" + ",".join(map(str, self.choices or ())) + "}")
        elif k in ("output", "input"):
            kw["metavar"] = "FILE"
        elif k == "outdir":
            kw["metavar"] = "DIR"
        elif k == "data":
            kw["metavar"] = "NAME|PATH"
        if self.positional:
            if self.default is not None and self.nargs is None:
                kw["nargs"] = "?"
        else:
            kw["required"] = self.required
            if self.dest:
                kw["dest"] = self.dest
        default = self.default
        if k == "seed" and default is not None:
            default = int(default)
        kw["default"] = default
        return parser.add_argument(self.name, **kw)


# ------------------------------------------------------------------ factories
def scheduler_check(value: str) -> str | None:
    """Check of a ``--scheduler`` value (``serial``, ``local``, ``threads`` or ``tcp://HOST:PORT``)."""
    from bayesnu.inference.campaign import check_scheduler_address

    return check_scheduler_address(value)


def seed_option(default: int | None = None, draw: bool = True,
                default_text: str | None = None) -> Opt:
    """``--seed``: non-negative integer seed of the numpy Generator.

    With ``default=None`` and ``draw=True`` a fresh seed is drawn from OS entropy
    after parsing and stored in ``args.seed`` (and added to the JSON output as
    ``seed`` by the CLI), so a run can be repeated. Commands whose runs must be
    reproducible by default (campaigns) declare ``default=1``.
    """
    if default is None and default_text is None:
        default_text = ("fresh OS entropy; the seed drawn is reported as 'seed' in the JSON "
                        "output" if draw else "fresh OS entropy")
    return Opt("--seed", kind="seed", default=default, min=0, max=2**63 - 1,
               default_text=default_text, extra={"draw": draw},
               help="seed of the numpy random Generator, a non-negative integer; the same "
                    "seed gives the same result")


def common_options(seed: bool = True, seed_default: int | None = None,
                   seed_text: str | None = None) -> list[Opt]:
    """``--json``, ``--quiet`` and (optionally) ``--seed`` of an analysis command.

    ``seed_default`` is the true default seed (None: fresh entropy, reported);
    ``seed_text`` overrides the help's default text when the command picks the
    seed itself.
    """
    out = [Opt("--json", bool, help="print the result as JSON on stdout"),
           Opt("--quiet", bool, help="no progress bars or status lines on stderr")]
    if seed:
        out.append(seed_option(seed_default, draw=seed_text is None, default_text=seed_text))
    return out


def output_file(name: str = "--out", *, help: str, suffixes: tuple[str, ...] | None = None,
                required: bool = True, default: Any = None, default_text: str | None = None,
                **kw: Any) -> Opt:
    """An output file: parent must exist and be writable; existing file needs --force."""
    if not required and default is None and default_text is None:
        default_text = "not written"
    return Opt(name, kind="output", help=help, suffixes=suffixes, required=required,
               default=default, default_text=default_text, **kw)


def output_dir(name: str = "--out", *, help: str, existing: str = "force", required: bool = True,
               default: Any = None, default_text: str | None = None, **kw: Any) -> Opt:
    """An output folder (created if missing; its parent must exist and be writable)."""
    if not required and default is None and default_text is None:
        default_text = "not written"
    return Opt(name, kind="outdir", help=help, existing=existing, required=required,
               default=default, default_text=default_text, **kw)



def report_option() -> Opt:
    """``--report DIR``: the command's plots (PNG) and a self-contained report.html."""
    return output_dir("--report", required=False,
                      help="folder for the plots (PNG) and a self-contained report.html")

def input_file(name: str, *, help: str, suffixes: tuple[str, ...] | None = None,
               required: bool = True, default_text: str | None = None, **kw: Any) -> Opt:
    """An existing regular input file."""
    if not required and default_text is None and kw.get("default") is None:
        default_text = "none"
    return Opt(name, kind="input", help=help, suffixes=suffixes, required=required,
               default_text=default_text, **kw)


def data_option(name: str = "--data", *, help: str = "bundled data set name (see 'bayesnu data "
                "list') or a file/release-folder path", required: bool = True, **kw: Any) -> Opt:
    """A data set: bundled name, or an existing regular file or folder."""
    return Opt(name, kind="data", help=help, required=required, **kw)


# ------------------------------------------------------------------ registration
def add_options(parser: argparse.ArgumentParser, options: Iterable[Opt], *,
                exclusive: Sequence[Sequence[str | Sequence[str]]] = (),
                together: Sequence[Sequence[str]] = (),
                one_of: Sequence[Sequence[str | Sequence[str]]] = (),
                requires: dict[str, Sequence[str]] | None = None,
                check: Callable[[argparse.Namespace], None] | None = None,
                force: bool | None = None) -> list[Opt]:
    """Add declared options to a (sub)parser and record them for :func:`validate`.

    Parameters
    ----------
    parser
        The sub-parser of one command.
    options
        The declarations.
    exclusive
        Groups of which at most one may be given, e.g. ``[("--source", ("--ra", "--dec"))]``:
        ``--source`` conflicts with ``--ra`` and with ``--dec``.
    together
        Option sets given all or none, e.g. ``[("--ra", "--dec")]``.
    one_of
        Groups of which at least one must be given (a member may itself be a tuple that
        counts as given when all of it is given).
    requires
        ``{"--keep-local": ("--time", "--no-ra")}``: the key needs all listed options.
    check
        ``check(args)``: a command-specific check, raising :class:`OptionError`.
    force
        Add ``--force`` (default: when any output option is declared).
    """
    previous = parser.get_default(_SPEC_ATTR) or []
    prev_rules = parser.get_default(_RULES_ATTR) or {}
    opts = list(options)
    seen = {o.name for o in previous}
    for o in opts:
        if o.name in seen:
            raise ValueError(f"option {o.name} declared twice")
        seen.add(o.name)
    # --force only where it does something: an output file, or a folder that is not resumed
    has_output = any(o.resolved_kind == "output"
                     or (o.resolved_kind == "outdir" and o.existing == "force")
                     for o in [*previous, *opts])
    if (force if force is not None else has_output) and "--force" not in seen:
        opts.append(Opt("--force", bool, help="overwrite existing output files or folders "
                        "(each file is replaced atomically, the old one stays intact until "
                        "the new one is complete)"))
    for o in opts:
        o.add_to(parser)
    checks = list(prev_rules.get("checks", ()))
    if check is not None:
        checks.append(check)
    rules = {"exclusive": [*prev_rules.get("exclusive", ()), *(tuple(g) for g in exclusive)],
             "together": [*prev_rules.get("together", ()), *(tuple(g) for g in together)],
             "one_of": [*prev_rules.get("one_of", ()), *(tuple(g) for g in one_of)],
             "requires": {**prev_rules.get("requires", {}), **dict(requires or {})},
             "checks": checks}
    parser.set_defaults(**{_SPEC_ATTR: [*previous, *opts], _RULES_ATTR: rules})
    return opts


def iter_options(args: argparse.Namespace) -> list[Opt]:
    """The declarations recorded for the command ``args`` was parsed for."""
    return list(getattr(args, _SPEC_ATTR, None) or [])


def _given(args: argparse.Namespace, opts: dict[str, Opt], name: str | Sequence[str]) -> bool:
    if not isinstance(name, str):
        return all(_given(args, opts, n) for n in name)
    o = opts.get(name)
    if o is None:
        raise ValueError(f"rule names undeclared option {name}")
    v = getattr(args, o.attr, None)
    if o.resolved_kind == "flag":
        return bool(v) != bool(o.default) if o.default is not None else bool(v)
    return v is not None and v != o.default


def _label(name: str | Sequence[str]) -> str:
    return name if isinstance(name, str) else "/".join(name)


def _first(name: str | Sequence[str]) -> str:
    return name if isinstance(name, str) else name[0]


def validate(args: argparse.Namespace) -> argparse.Namespace:
    """Check the parsed options of one command (rules, paths, seed); raise OptionError.

    Called by :func:`bayesnu.cli.main` after parsing, before the handler does any work.
    """
    opts_list = iter_options(args)
    if not opts_list:
        return args
    opts = {o.name: o for o in opts_list}
    rules = getattr(args, _RULES_ATTR, None) or {}
    for group in rules.get("exclusive", ()):
        given = [g for g in group if _given(args, opts, g) if isinstance(g, str)] + [
            g for g in group if not isinstance(g, str) and any(_given(args, opts, n) for n in g)]
        given.sort(key=list(group).index)
        if len(given) > 1:
            a, b = given[0], given[1]
            raise OptionError(_first(a), f"cannot be combined with {_label(b)}; give one of "
                              + " or ".join(_label(g) for g in group))
    for group in rules.get("together", ()):
        got = [n for n in group if _given(args, opts, n)]
        if got and len(got) != len(group):
            missing = [n for n in group if n not in got]
            raise OptionError(got[0], f"needs {', '.join(missing)} as well")
    for group in rules.get("one_of", ()):
        if not any(_given(args, opts, g) for g in group):
            raise OptionError(_first(group[0]),
                              "missing: give " + " or ".join(_label(g) for g in group))
    for name, needed in (rules.get("requires") or {}).items():
        if _given(args, opts, name):
            missing = [n for n in needed if not _given(args, opts, n)]
            if missing:
                raise OptionError(name, f"needs {' and '.join(missing)}")
    force = bool(getattr(args, "force", False))
    for o in opts_list:
        k = o.resolved_kind
        v = getattr(args, o.attr, None)
        if k == "seed" and v is None:
            if o.extra.get("draw", True):
                setattr(args, o.attr, secrets.randbits(32))
            continue
        if v is None or k not in ("output", "outdir", "input", "data"):
            continue
        values = v if isinstance(v, list) else [v]
        flat: list[str] = []
        for item in values:
            flat.extend(item if isinstance(item, list) else [item])
        for path in flat:
            if k == "output":
                check_output_path(path, force=force, option=o.label, suffixes=o.suffixes)
            elif k == "outdir":
                check_output_path(path, force=force, option=o.label, folder=True,
                                  resume=(o.existing == "resume"))
            elif k == "input":
                check_input_path(path, option=o.label, suffixes=o.suffixes, must_exist=True)
            else:
                for part in str(path).split(","):
                    if part.strip():
                        check_input_path(part.strip(), option=o.label, must_exist=False)
    for chk in rules.get("checks", ()):
        chk(args)
    return args


# ------------------------------------------------------------------ path checks
def _writable_dir(d: str) -> bool:
    """Whether a file can be created in folder ``d`` (permissions, read-only or immutable)."""
    if not os.access(d, os.W_OK | os.X_OK):
        return False
    try:  # the truth (root passes access() on a read-only mount only if it is not checked)
        fd, probe = tempfile.mkstemp(prefix=".bayesnu-probe-", dir=d)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return True


def check_output_path(path: str | os.PathLike, *, force: bool, option: str = "--out",
                      folder: bool = False, resume: bool = False,
                      suffixes: Sequence[str] | None = None) -> None:
    """Check an output path before any work starts; raise :class:`OptionError`.

    Parameters
    ----------
    path
        The output file or folder.
    force
        Whether an existing output may be replaced.
    option
        The option the path came from (named in the message).
    folder
        ``True`` for an output folder.
    resume
        For a folder: an existing folder is continued (a resumable campaign), not refused.
    suffixes
        Allowed suffixes of a file (lower case, with the dot).
    """
    p = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(p)) or "."
    if suffixes and not folder and not any(p.lower().endswith(s) for s in suffixes):
        raise OptionError(option, f"{p}: unsupported suffix; use {', '.join(suffixes)}")
    if not os.path.exists(parent):
        raise OptionError(option, f"{p}: parent folder {parent} does not exist")
    if not os.path.isdir(parent):
        raise OptionError(option, f"{p}: {parent} is not a folder")
    if os.path.lexists(p):
        st = os.stat(p) if os.path.exists(p) else os.lstat(p)
        if folder:
            if not stat.S_ISDIR(st.st_mode):
                raise OptionError(option, f"{p} exists and is not a folder")
            if not _writable_dir(p):
                raise OptionError(option, f"{p}: folder is not writable")
            if not resume and not force and any(os.scandir(p)):
                raise OptionError(option, f"{p}: folder exists and is not empty; use --force "
                                  "to write into it or choose another folder")
            return
        if stat.S_ISDIR(st.st_mode):
            raise OptionError(option, f"{p} is a folder, expected a file path")
        if not stat.S_ISREG(st.st_mode):
            raise OptionError(option, f"{p} exists and is not a regular file")
        if not force:
            raise OptionError(option, f"{p} exists; use --force to overwrite it")
    if not _writable_dir(parent):
        raise OptionError(option, f"{p}: folder {parent} is not writable")


def check_input_path(path: str | os.PathLike, *, option: str, must_exist: bool = True,
                     suffixes: Sequence[str] | None = None) -> None:
    """Check an input path: an existing regular file or folder, readable (no FIFO/device).

    With ``must_exist=False`` (data options, which also accept bundled names) a path
    that does not exist is left to the loader.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        if must_exist:
            raise OptionError(option, f"{p}: no such file")
        return
    st = os.stat(p)
    if stat.S_ISDIR(st.st_mode):
        if must_exist and suffixes is not None:
            raise OptionError(option, f"{p} is a folder, expected a file")
        if not os.access(p, os.R_OK | os.X_OK):
            raise OptionError(option, f"{p}: folder is not readable")
        return
    if not stat.S_ISREG(st.st_mode):
        raise OptionError(option, f"{p} is not a regular file (a FIFO, socket or device?)")
    if not os.access(p, os.R_OK):
        raise OptionError(option, f"{p}: file is not readable")
    if suffixes and not any(p.lower().endswith(s) for s in suffixes):
        raise OptionError(option, f"{p}: unsupported suffix; use {', '.join(suffixes)}")
