"""One-line messages of the CLI: the wrong-thing-named cases of the hardening issue, loader notes,
warnings vs errors, --debug, internal errors, non-regular files."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from bayesnu.cli import main

HERE = Path(__file__).resolve().parent


def _malformed():
    name = "bayesnu_malformed_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, HERE.parent / "bayesnu" / "malformed" / "corpus.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def _run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_data_info_shows_loader_notes(tmp_path, capsys):
    """A 10-year release folder without uptime/ and irfs/: completed from the bundled official
    copies, and both the text and the JSON output say so (stderr warnings, 'notes' list)."""
    folder = tmp_path / "release"
    _malformed()._write_ic40(folder / "events" / "IC40_exp.csv")
    rc, out, err = _run(capsys, ["data", "info", str(folder), "--json"])
    assert rc == 0
    notes = json.loads(out)["notes"]
    assert any("uptime/IC40_exp.csv missing" in n for n in notes)
    assert any("irfs/IC40_effectiveArea.csv missing" in n for n in notes)
    lines = err.splitlines()
    assert len(lines) == len(notes) and all(ln.startswith("bayesnu: warning: ") for ln in lines)
    rc, out, err = _run(capsys, ["data", "info", str(folder)])
    assert rc == 0 and "bundled official copy" in err


@pytest.mark.parametrize("argv, want", [
    (["data", "info", "ic40", "--format", "bogus"], "option --format: invalid choice 'bogus'"),
    (["simulate", "inject", "--data", "ic40", "--out", "{tmp}/x.npz", "--ra", "10", "--dec",
      "nan", "--ns", "3"], "option --dec: expected a number, got NaN"),
    (["simulate", "cascade", "--out", "{tmp}/x.npz", "--seed", "-1"], "option --seed: "),
    (["flare", "fit", "--data", "txs0506", "--ra", "77", "--dec", "5", "--sample", "nope"],
     "option --sample: no sample 'nope'"),
    (["flare", "fit", "--data", "4lac", "--ra", "77", "--dec", "5"],
     "option --data: 4lac is a source catalogue, not event data"),
    (["ps", "fit", "--data", "txs0506", "--source", "TXS 0506+056", "--ra", "1", "--dec", "2"],
     "option --source: cannot be combined with --ra/--dec"),
    (["flare", "trials", "--data", "txs0506", "--out", "{tmp}/t", "--scheduler", "tcp://x"],
     "option --scheduler: expected 'serial', 'local', 'threads' or a dask scheduler address"),
    (["ps", "evidence", "--data", "txs0506", "--source", "TXS 0506+056", "--n-live", "0"],
     "option --n-live: 0 is out of range [50, "),
    (["limit", "counts", "--counts", "3", "--log10e", "7", "5", "--years", "1"],
     "option --log10e: needs LO < HI"),
])
def test_messages_name_the_option(tmp_path, capsys, argv, want):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    rc, out, err = _run(capsys, argv)
    assert rc == 2 and err.count("\n") == 1 and want in err and "column" not in err, err
    assert not any(tmp_path.iterdir())


def test_negative_numbers_can_be_typed(tmp_path, capsys):
    """'-2.5e-3' after an option is a value, not an option (also '--x=-2.5e-3')."""
    from bayesnu.cli import Parser
    from bayesnu.cli._options import Opt, add_options, validate

    p = Parser(prog="t")
    add_options(p, [Opt("--dm31", float, default=2.5e-3, min=-1e-2, max=1e-2, unit="eV^2",
                        help="mass splitting")])
    assert validate(p.parse_args(["--dm31", "-2.5e-3"])).dm31 == -2.5e-3
    assert validate(p.parse_args(["--dm31=-2.5e-3"])).dm31 == -2.5e-3
    assert validate(p.parse_args(["--dm31", "-.5e-3"])).dm31 == -0.5e-3


def test_fifo_as_data_fails_at_once(tmp_path, capsys):
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)
    rc, _, err = _run(capsys, ["flare", "fit", "--data", str(fifo), "--ra", "1", "--dec", "2"])
    assert rc == 2 and "not a regular file" in err and err.count("\n") == 1


def test_warnings_only_after_success_and_debug(tmp_path, capsys):
    """A failing command prints exactly its error line (no warning first); --debug adds the
    traceback; an unexpected exception is exit 1 with one line naming --debug."""
    dup = next(c for c in _malformed().make_corpus(tmp_path / "m") if c.warn)
    # loading warns (duplicated events), then the command fails: only the error line
    rc, _, err = _run(capsys, ["flare", "fit", "--data", str(dup.path), "--ra", "1", "--dec", "2",
                               "--sample", "nope"])
    assert rc == 2 and err.splitlines() == [err.strip()] and "option --sample" in err
    rc, _, err = _run(capsys, ["--debug", "flare", "fit", "--data", str(dup.path), "--ra", "1",
                               "--dec", "2", "--sample", "nope"])
    assert rc == 2 and "duplicated" in err and "Traceback" in err  # --debug shows both

    def boom(args):
        raise RuntimeError("unexpected")

    from bayesnu.cli import build_parser

    parser = build_parser(only="data")
    sub = next(a for a in parser._actions if a.dest == "command").choices["data"]
    lst = next(a for a in sub._actions if a.dest == "data_command").choices["list"]
    lst.set_defaults(handler=boom)
    rc = main(["data", "list"], parser=parser)
    _, err = capsys.readouterr()
    assert rc == 1 and err.splitlines() == [
        "bayesnu: error: internal error: RuntimeError: unexpected (run with --debug for the "
        "traceback)"]
    rc = main(["--debug", "data", "list"], parser=parser)
    _, err = capsys.readouterr()
    assert rc == 1 and "Traceback" in err and err.rstrip().endswith(
        "bayesnu: error: internal error: RuntimeError: unexpected")
