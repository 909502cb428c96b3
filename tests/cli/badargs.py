"""Bad-argument and bad-file cases GENERATED from the declared option table of every command.

The generator walks the real ``bayesnu`` argparse tree, finds every leaf command and
the :class:`bayesnu.cli._options.Opt` declarations recorded on it, and derives the
cases from the declarations (nothing per option is written by hand):

- numbers: below the minimum, above the maximum, nan, inf, -inf, overflow (1e999),
  non-numeric, empty; integers also a fraction; comma lists a bad element;
- seeds: negative, fractional, non-numeric, above 2^63-1;
- choices: an unknown value; strings: an empty value; flags: ``--flag=value``;
- output files: missing parent, a folder, an unwritable folder, an existing file
  without --force, a wrong suffix; output folders: a file in the way, missing parent,
  unwritable parent, a non-empty folder without --force;
- data / input files: missing, a FIFO, an empty folder (data) or a folder (input files);
  every malformed file of ``tests/bayesnu/malformed/corpus.py`` given to each data option;
- rules: conflicting options, half of a pair, none of a required group, an option
  without the options it needs; each required option left out; an unknown option.

Each :class:`BadCase` knows the argv and the text the single error line must contain
(``option --x`` for options, the file path for bad files).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bayesnu.cli import build_parser
from bayesnu.cli._options import Opt, format_number

# The valid value used for an option when a case needs the command otherwise valid.
# Only options whose generic sample (see sample_value) would not do are listed.
VALID_OVERRIDES: dict[str, list[str]] = {
    "--log10e": ["5", "7"],
    "--group": ["TXS-like"],  # blazar groups: checked by the command (no Opt.example yet)
}
DATA_SAMPLE = "ic40"  # a bundled data set: valid for every event-data option


@dataclass
class BadCase:
    command: tuple[str, ...]
    name: str
    argv: list[str]
    expect: str  # text the one error line must contain

    @property
    def id(self) -> str:
        return f"{' '.join(self.command)}:{self.name}"


def leaf_commands(parser: argparse.ArgumentParser | None = None,
                  prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every runnable (sub)command of the parser tree: path -> its parser."""
    parser = parser or build_parser()
    out: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs and prefix:
        out[prefix] = parser
    for sp in subs:
        for name, p in sp.choices.items():
            out.update(leaf_commands(p, (*prefix, name)))
    return out


def declared(parser: argparse.ArgumentParser) -> list[Opt]:
    """The Opt declarations of a command (empty unless EVERY option of it is declared)."""
    opts = list(parser.get_default("_bayesnu_options") or [])
    names = {o.name for o in opts}
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction):
            continue
        key = a.option_strings[0] if a.option_strings else (a.metavar or a.dest)
        if not (set(a.option_strings) & names or key in names or a.dest in
                {o.attr for o in opts if o.positional}):
            return []
    return opts


def sample_value(o: Opt, work: Path) -> list[str]:
    """A valid value (as argv strings) for an option."""
    if o.example is not None:
        return [o.example] * (o.nargs if isinstance(o.nargs, int) else 1)
    if o.name in VALID_OVERRIDES:
        return list(VALID_OVERRIDES[o.name])
    k = o.resolved_kind
    n = o.nargs if isinstance(o.nargs, int) else 1
    if k == "flag":  # a flag takes no value
        return []
    if k in ("number", "seed"):
        if o.default is not None and not isinstance(o.default, list | tuple):
            v = o.default
        else:
            lo = o.min if o.min is not None else 0.0
            hi = o.effective_max()
            v = lo + 1 if hi is None or hi - lo > 2 else (lo + hi) / 2
            if o.numeric_type is int:
                v = int(v)
        txt = str(v)
        if o.sep:
            return [txt]
        return [txt] * n
    if k == "choice":
        return [str(o.default if o.default is not None else o.choices[0])] * n
    if k == "output":
        suf = (o.suffixes or (".out",))[0]
        return [str(work / f"valid_{o.attr}{suf}")]
    if k == "outdir":
        return [str(work / f"valid_{o.attr}_dir")]
    if k == "data":
        return [DATA_SAMPLE]
    if k == "input":
        suf = (o.suffixes or (".txt",))[0]
        p = work / f"input_{o.attr}{suf}"
        if not p.exists():
            p.write_text("1\n")
        return [str(p)]
    return ["x"] * n


def _names(g) -> list[str]:
    return [g] if isinstance(g, str) else list(g)


def base_argv(cmd: tuple[str, ...], opts: list[Opt], work: Path,
              rules: dict | None = None, prefer: str | None = None,
              avoid: tuple[str, ...] = ()) -> list[str]:
    """Command path plus valid values for its required options and one of each one_of group.

    The one_of member containing ``prefer`` is chosen (else the first not in ``avoid``);
    options ``prefer`` needs (``requires``) are included; options conflicting with
    ``prefer`` (``exclusive``) are left out.
    """
    rules = rules or {}
    include: set[str] = set()
    for group in rules.get("one_of", ()):
        pick = next((g for g in group if prefer in _names(g)), None)
        if pick is None:
            pick = next((g for g in group if not set(_names(g)) & set(avoid)), group[0])
        include.update(_names(pick))
    if prefer is not None:  # what prefer needs, and what that needs in turn
        need, todo = set(), [prefer]
        while todo:
            for x in rules.get("requires", {}).get(todo.pop(), ()):
                if x not in need:
                    need.add(x)
                    todo.append(x)
        include.update(need)
        for group in rules.get("exclusive", ()):
            mine = [g for g in group if prefer in _names(g)]
            if mine:
                for g in group:
                    if g not in mine:
                        include.difference_update(_names(g))
    include.difference_update(avoid)
    argv = list(cmd)
    for o in opts:
        if o.required or o.name in include:
            vals = sample_value(o, work)
            argv += vals if o.positional else [o.name, *vals]
    return argv


def _with(argv: list[str], o: Opt, values: list[str], cmd_len: int) -> list[str]:
    """argv with option ``o`` set to ``values`` (replacing a valid value if present)."""
    out = list(argv)
    if o.positional:
        # positional: replace the first positional slot after the command path
        pos = [i for i in range(cmd_len, len(out))
               if not out[i].startswith("-") and (i == cmd_len or not out[i - 1].startswith("--"))]
        if pos:
            out[pos[0]:pos[0] + 1] = values
        else:
            out += values
        return out
    if o.name in out:
        i = out.index(o.name)
        n = o.nargs if isinstance(o.nargs, int) else 1
        out[i + 1:i + 1 + n] = values
        return out
    return out + [o.name, *values]


def _number_cases(o: Opt) -> list[tuple[str, str]]:
    k = o.resolved_kind
    cases = []
    is_int = o.numeric_type is int
    if k == "seed":
        return [("negative", "-1"), ("fraction", "1.5"), ("text", "abc"), ("nan", "nan"),
                ("above_max", str(2**63))]
    if o.min is not None:
        v = o.min if o.min_open else o.min - max(1.0, abs(o.min))
        cases.append(("below_min", format_number(int(v) if is_int else v)))
    hi = o.effective_max()
    if hi is not None:
        v = hi if o.max_open else hi + max(1.0, abs(hi))
        cases.append(("above_max", str(int(v)) if is_int else repr(float(v))))
    cases += [("nan", "nan"), ("text", "abc"), ("empty", ""), ("overflow", "1e999")]
    if o.finite:
        cases += [("inf", "inf"), ("minus_inf", "-inf")]
    if is_int:
        cases.append(("fraction", "2.5"))
    return cases


def _unwritable_dir(work: Path) -> Path | None:
    """A folder nobody can create files in (chmod for users, chattr +i for root)."""
    d = work / "unwritable"
    if d.exists():
        return d
    d.mkdir()
    if os.geteuid() != 0:
        d.chmod(0o500)
        return d
    r = subprocess.run(["chattr", "+i", str(d)], capture_output=True)
    return d if r.returncode == 0 else None


def release_unwritable(work: Path) -> None:
    d = work / "unwritable"
    if d.exists():
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(d)], capture_output=True)
        else:
            d.chmod(0o700)


def option_cases(cmd: tuple[str, ...], opts: list[Opt], rules: dict,
                 work: Path) -> list[BadCase]:
    """All generated bad-argument / bad-path cases of one command."""
    cases: list[BadCase] = []
    base = base_argv(cmd, opts, work, rules)
    n = len(cmd)
    unw = _unwritable_dir(work)
    fifo = work / "a_fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    empty_dir = work / "empty_dir"
    empty_dir.mkdir(exist_ok=True)

    def add(o: Opt, name: str, values: list[str], expect: str | None = None,
            extra: list[str] | None = None) -> None:
        want = expect or (f"option {o.name}" if not o.positional else f"argument {o.label}")
        b = base_argv(cmd, opts, work, rules, prefer=o.name)
        cases.append(BadCase(cmd, f"{o.name}:{name}", _with(b, o, values, n) + (extra or []),
                             want))

    for o in opts:
        k = o.resolved_kind
        if o.name == "--force":
            continue
        nval = o.nargs if isinstance(o.nargs, int) else 1
        if k in ("number", "seed"):
            for name, bad in _number_cases(o):
                if o.sep:
                    vals = [f"{sample_value(o, work)[0].split(o.sep)[0]}{o.sep}{bad}"]
                else:
                    vals = [bad] * nval
                if bad == "" and o.positional:
                    continue
                add(o, name, vals)
            if o.sep:
                add(o, "empty_element", [f"1{o.sep}{o.sep}2"])
        elif k == "choice":
            add(o, "bogus_choice", ["bogus"] * nval)
        elif k == "str":
            add(o, "empty", [""] * nval)
        elif k == "flag":
            cases.append(BadCase(cmd, f"{o.name}:with_value", [*base, f"{o.name}=yes"],
                                 f"option {o.name}"))
        elif k == "output":
            suf = (o.suffixes or (".out",))[0]
            add(o, "missing_parent", [str(work / "no_such_dir" / f"x{suf}")])
            d = work / f"is_a_dir{suf}"
            d.mkdir(exist_ok=True)
            add(o, "is_a_folder", [str(d)])
            if unw is not None:
                add(o, "unwritable_parent", [str(unw / f"x{suf}")])
            ex = work / f"existing_{o.attr}{suf}"
            if not ex.exists():
                ex.write_bytes(b"previous good output")
            add(o, "exists_no_force", [str(ex)])
            if o.suffixes:
                add(o, "bad_suffix", [str(work / "x.bogus_suffix")])
        elif k == "outdir":
            f = work / f"a_file_{o.attr}"
            if not f.exists():
                f.write_text("x")
            add(o, "file_in_the_way", [str(f)])
            add(o, "missing_parent", [str(work / "no_such_dir" / "out")])
            if unw is not None:
                add(o, "unwritable_parent", [str(unw / "out")])
            if o.existing == "force":
                d = work / f"nonempty_{o.attr}"
                d.mkdir(exist_ok=True)
                (d / "previous.txt").write_text("x")
                add(o, "nonempty_no_force", [str(d)])
        elif k in ("data", "input"):
            add(o, "missing", [str(work / "no_such_dir" / "x.npz")],
                expect=str(work / "no_such_dir" / "x.npz"))
            add(o, "fifo", [str(fifo)])
            if k == "data":
                add(o, "empty_folder", [str(empty_dir)], expect=str(empty_dir))
            elif o.suffixes:
                add(o, "folder", [str(empty_dir)])
            else:  # a folder is a valid kind of input here: the command names what is wrong
                add(o, "empty_folder", [str(empty_dir)], expect=str(empty_dir))
        if o.required:
            cases.append(BadCase(cmd, f"{o.name}:left_out", _drop(base, o, n),
                                 f"option {o.name}" if not o.positional
                                 else f"argument {o.label}"))
    # paired-option rules
    by = {o.name: o for o in opts}

    names = _names

    for i, group in enumerate(rules.get("exclusive", ())):
        argv = list(base)
        for g in group[:2]:
            for nm in names(g):
                if nm not in argv:
                    argv = _with(argv, by[nm], sample_value(by[nm], work), n)
        cases.append(BadCase(cmd, f"rule:exclusive{i}", argv, f"option {names(group[0])[0]}"))
    for i, group in enumerate(rules.get("together", ())):
        argv = base_argv(cmd, opts, work, rules, prefer=group[0])
        first = by[group[0]]
        argv = _with(_drop_all(argv, [by[x] for x in group[1:]], n), first,
                     sample_value(first, work), n)
        cases.append(BadCase(cmd, f"rule:together{i}", argv, f"option {group[0]}"))
    for i, group in enumerate(rules.get("one_of", ())):
        argv = _drop_all(base, [by[x] for g in group for x in names(g)], n)
        cases.append(BadCase(cmd, f"rule:one_of{i}", argv, f"option {names(group[0])[0]}"))
    for key, needed in (rules.get("requires") or {}).items():
        o = by[key]
        argv = _drop_all(base_argv(cmd, opts, work, rules, avoid=tuple(needed)),
                         [by[x] for x in needed], n)
        vals = [] if o.resolved_kind == "flag" else sample_value(o, work)
        argv = argv + [o.name, *vals] if o.name not in argv else argv
        cases.append(BadCase(cmd, f"rule:requires{key}", argv, f"option {key}"))
    cases.append(BadCase(cmd, "unknown_option", [*base, "--no-such-option"],
                         "option --no-such-option"))
    return cases


def _drop(argv: list[str], o: Opt, cmd_len: int) -> list[str]:
    out = list(argv)
    if o.positional:
        for i in range(cmd_len, len(out)):
            if not out[i].startswith("-") and not out[i - 1].startswith("--"):
                return out[:i] + out[i + 1:]
        return out
    if o.name in out:
        i = out.index(o.name)
        nval = 0 if o.resolved_kind == "flag" else (o.nargs if isinstance(o.nargs, int) else 1)
        del out[i:i + 1 + nval]
    return out


def _drop_all(argv: list[str], opts: list[Opt], cmd_len: int) -> list[str]:
    for o in opts:
        argv = _drop(argv, o, cmd_len)
    return argv


def file_cases(cmd: tuple[str, ...], opts: list[Opt], rules: dict, work: Path,
               malformed: list) -> list[BadCase]:
    """Every malformed file of the data corpus given to each data option of a command."""
    out = []
    for o in opts:
        if o.resolved_kind != "data":
            continue
        base = base_argv(cmd, opts, work, rules, prefer=o.name)
        for mc in malformed:
            if mc.warn:
                continue
            out.append(BadCase(cmd, f"{o.name}:malformed:{mc.name}",
                               _with(base, o, [str(mc.path)], len(cmd)), str(mc.names_file)))
    return out


@dataclass
class BadFile:
    """A bad input file beyond the data corpus (same fields as its Case)."""

    name: str
    path: Path
    names_file: Path
    warn: bool = False


def extra_bad_files(work: Path) -> list[BadFile]:
    """Corrupted generic files: npz metadata not an object / not JSON, a truncated npz,
    a CSV field over the csv module's 128 KiB limit, binary garbage with an .npz suffix."""
    import json

    import numpy as np

    from bayesnu.data import load, write_generic

    d = work / "badfiles"
    if (d / "done").exists():
        return [BadFile(p.stem, p, p) for p in sorted(d.glob("bad_*"))]
    d.mkdir(exist_ok=True)
    good = d / "good.npz"
    write_generic(load("ic40"), good)
    z = dict(np.load(good))
    out = []
    for nm, meta in (("bad_meta_list", json.dumps([1, 2])), ("bad_meta_json", "{trunc")):
        z["meta_json"] = np.array(meta)
        np.savez(d / f"{nm}.npz", **z)
        out.append(d / f"{nm}.npz")
    raw = good.read_bytes()
    (d / "bad_truncated.npz").write_bytes(raw[: len(raw) // 2])
    (d / "bad_garbage.npz").write_bytes(bytes(range(256)) * 40)
    (d / "bad_huge_field.csv").write_text("ra,dec,time,log10e,angerr,sample\n"
                                          "1,2,55000,3," + "9" * 200_000 + ",a\n")
    good.unlink()
    (d / "done").write_text("")
    return [BadFile(p.stem, p, p) for p in sorted(d.glob("bad_*"))]


def generate(work: Path, malformed: list | None = None, per_command_files: int = 3
             ) -> tuple[list[BadCase], list[tuple[str, ...]]]:
    """All cases for every leaf command; also the commands without declared options.

    Every malformed file goes to the data options of the first command of each group
    that reads data; the other commands get ``per_command_files`` of them (rotating,
    so that together they see every file) - the loaders are shared, the option
    handling per command is what differs.
    """
    cases: list[BadCase] = []
    undeclared = []
    full_groups: set[str] = set()
    errors = [m for m in (malformed or []) if not m.warn]
    if malformed is not None:
        errors += extra_bad_files(work)
    rot = 0
    for cmd, p in sorted(leaf_commands().items()):
        opts = declared(p)
        if not opts:
            undeclared.append(cmd)
            continue
        rules = p.get_default("_bayesnu_rules") or {}
        cases += option_cases(cmd, opts, rules, work)
        if errors and any(o.resolved_kind == "data" for o in opts):
            if cmd[0] not in full_groups:
                full_groups.add(cmd[0])
                pick = errors
            else:
                pick = [errors[(rot + j) % len(errors)] for j in range(per_command_files)]
                rot += per_command_files
            cases += file_cases(cmd, opts, rules, work, pick)
    return cases, undeclared
