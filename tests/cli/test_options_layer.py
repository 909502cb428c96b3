"""The declarative option layer (bayesnu.cli._options) on a throw-away command."""

from __future__ import annotations

import argparse
import os

import pytest

from bayesnu.cli import Parser, format_input_error, one_line_error
from bayesnu.cli._options import (
    Opt,
    OptionError,
    add_options,
    common_options,
    output_dir,
    output_file,
    validate,
)
from bayesnu.errors import InputError


def _parser(tmp_path):
    p = Parser(prog="t")
    add_options(p, [
        Opt("--eta", float, default=1.0, min=0.0, max=1e6, unit="n/n0", help="overdensity"),
        Opt("--bins", int, default=300, min=2, max=10_000, help="energy bins"),
        Opt("--dm31", float, default=2.5e-3, min=-1e-2, max=1e-2, unit="eV^2", help="splitting"),
        Opt("--width", float, default=1.0, min=0.0, min_open=True, unit="days", help="width"),
        Opt("--source", str, default_text="none", help="source name"),
        Opt("--ra", float, min=0, max=360, unit="deg", default_text="none", help="RA"),
        Opt("--dec", float, min=-90, max=90, unit="deg", default_text="none", help="Dec"),
        Opt("--decs", float, default=[60.0, -60.0], sep=",", min=-90, max=90, unit="deg",
            help="declinations"),
        Opt("--mode", choices=("source", "population"), default="source", help="mode"),
        output_file("--out", suffixes=(".npz",), help="result"),
        output_dir("--plots", required=False, help="plot folder"),
        *common_options(),
    ], exclusive=[("--source", ("--ra", "--dec"))], together=[("--ra", "--dec")])
    return p


def _run(p, argv):
    return validate(p.parse_args(argv))


def test_values_converted_and_defaults(tmp_path):
    p = _parser(tmp_path)
    a = _run(p, ["--out", str(tmp_path / "r.npz"), "--dm31", "-2.5e-3", "--decs", "10,-20"])
    assert a.dm31 == -2.5e-3 and a.decs == [10.0, -20.0] and a.bins == 300
    assert isinstance(a.seed, int) and a.seed >= 0  # fresh entropy, drawn and reported
    assert _run(p, ["--out", str(tmp_path / "r.npz"), "--dm31=-1e-3"]).dm31 == -1e-3
    assert _run(p, ["--out", str(tmp_path / "r.npz"), "--mode", "POPULATION"]).mode == "population"


@pytest.mark.parametrize("argv, option, what", [
    (["--eta", "nan"], "--eta", "NaN"),
    (["--eta", "inf"], "--eta", "finite"),
    (["--eta", "1e400"], "--eta", "overflows"),
    (["--eta", "-1"], "--eta", "out of range"),
    (["--eta", "abc"], "--eta", "expected a number"),
    (["--bins", "2.5"], "--bins", "expected an integer"),
    (["--bins", "1e12"], "--bins", "out of range"),
    (["--width", "0"], "--width", "must be > 0, got 0"),
    (["--decs", "10,,20"], "--decs", "empty element"),
    (["--decs", "10,-95"], "--decs", "out of range"),
    (["--seed", "-3"], "--seed", "out of range [0, 2^63-1]"),
    (["--mode", "bogus"], "--mode", "invalid choice"),
])
def test_bad_values_one_line(tmp_path, capsys, argv, option, what):
    p = _parser(tmp_path)
    with pytest.raises(SystemExit) as e:
        p.parse_args(["--out", str(tmp_path / "r.npz"), *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"bayesnu: error: option {option}: ")
    assert what in err


def test_rules_and_paths(tmp_path):
    p = _parser(tmp_path)
    out = str(tmp_path / "r.npz")
    with pytest.raises(OptionError, match="option --source: cannot be combined with --ra/--dec"):
        _run(p, ["--out", out, "--source", "X", "--ra", "1", "--dec", "2"])
    with pytest.raises(OptionError, match="option --ra: needs --dec"):
        _run(p, ["--out", out, "--ra", "1"])
    with pytest.raises(OptionError, match="parent folder .* does not exist"):
        _run(p, ["--out", str(tmp_path / "no" / "r.npz")])
    with pytest.raises(OptionError, match="unsupported suffix"):
        _run(p, ["--out", str(tmp_path / "r.csv")])
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(OptionError, match="is a folder"):
        _run(p, ["--out", str(tmp_path / "d.npz")])
    (tmp_path / "r.npz").write_bytes(b"old")
    with pytest.raises(OptionError, match="exists; use --force"):
        _run(p, ["--out", out])
    assert _run(p, ["--out", out, "--force"]).force
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.png").write_bytes(b"x")
    with pytest.raises(OptionError, match="option --plots: .*not empty"):
        _run(p, ["--out", str(tmp_path / "n.npz"), "--plots", str(tmp_path / "plots")])
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(OptionError, match="not writable"):
            _run(p, ["--out", str(ro / "r.npz")])


def test_declaration_needs_help_and_true_default():
    with pytest.raises(ValueError, match="help text missing"):
        Opt("--x", float, default=1.0).add_to(argparse.ArgumentParser())
    with pytest.raises(ValueError, match="default_text"):
        Opt("--x", float, help="x").add_to(argparse.ArgumentParser())
    h = Opt("--e0", float, default=1e5, min=0, min_open=True, unit="GeV", help="pivot").help_text()
    assert h == "pivot [GeV] (range > 0; default: 1e5)"


def test_messages_name_options_not_columns():
    assert format_input_error(InputError("must be > 0", column="--n-live")) == \
        "option --n-live: must be > 0"
    assert format_input_error(InputError("bad value", path="f.csv", column="dec")) == \
        "f.csv, column 'dec': bad value"
    assert one_line_error("argument --n/--number: expected one argument") == \
        "option --n: expected one argument"
    assert one_line_error("the following arguments are required: --out, --data") == \
        "option --out: is required (also missing: --data)"
