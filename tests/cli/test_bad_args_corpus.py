"""Generated corpus: every bad argument or bad file of every command -> exit 2, ONE stderr line
naming the option or file, no traceback, no hang, no output left behind.

The cases come from the declared option table (tests/cli/corpus.py); a new command or
option is covered by construction. All cases run in-process through bayesnu.cli.main(argv),
each under a 30 s alarm.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bayesnu.cli import main


def _load(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


HERE = Path(__file__).resolve().parent
gen = _load("bayesnu_badargs_corpus", HERE / "badargs.py")
malformed_corpus = _load("bayesnu_malformed_corpus", HERE.parent / "bayesnu" / "malformed" / "corpus.py")

CASE_TIMEOUT_S = 30


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {CASE_TIMEOUT_S} s")


_PARSERS: dict = {}


def _parser_for(argv: list[str]):
    """One parser per command group, built once (what main() builds for that argv)."""
    from bayesnu.cli import build_parser, group_of

    g = group_of(argv)
    if g not in _PARSERS:
        _PARSERS[g] = build_parser(only=g)
    return _PARSERS[g]


def run_cli(argv: list[str], timeout: int = CASE_TIMEOUT_S) -> tuple[int, str, str, float]:
    """bayesnu.cli.main(argv) in-process: (exit code, stdout, stderr, seconds)."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    t = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(list(argv), parser=_parser_for(argv))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return rc, out.getvalue(), err.getvalue(), time.perf_counter() - t


def _snapshot(root: Path) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    w = tmp_path_factory.mktemp("badargs")
    yield w
    gen.release_unwritable(w)


@pytest.fixture(scope="module")
def malformed(tmp_path_factory):
    return malformed_corpus.make_corpus(tmp_path_factory.mktemp("malformed"))


def test_corpus(work, malformed):
    """>= 300 generated cases; each one line, exit 2, names the option/file, < 30 s, no output."""
    cases, undeclared = gen.generate(work, malformed)
    assert len(cases) >= 300, len(cases)
    failures = []
    t_all = time.perf_counter()
    slowest = (0.0, "")
    for case in cases:
        before = _snapshot(work)
        try:
            rc, out, err, dt = run_cli(case.argv)
        except Hang as exc:
            failures.append(f"{case.id}: HANG {exc}")
            continue
        slowest = max(slowest, (dt, case.id))
        lines = err.splitlines()
        problems = []
        if rc != 2:
            problems.append(f"exit {rc}")
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines")
        if "Traceback" in err:
            problems.append("traceback")
        if lines and not lines[-1].startswith("bayesnu: error: "):
            problems.append("not an error line")
        if case.expect not in err:
            problems.append(f"does not name {case.expect!r}")
        left = _snapshot(work) - before
        if left:
            problems.append(f"left behind {sorted(left)[:3]}")
        if problems:
            failures.append(f"{case.id}: {', '.join(problems)} | argv={case.argv} | "
                            f"stderr={err.strip()[:300]!r}")
    total = time.perf_counter() - t_all
    print(f"\n{len(cases)} generated cases in {total:.1f} s (slowest {slowest[0]:.2f} s: "
          f"{slowest[1]}); commands not on the option layer: {undeclared}")
    assert not failures, f"{len(failures)} of {len(cases)} cases fail:\n" + "\n".join(failures)


def test_every_command_on_the_option_layer():
    """Every runnable command declares its options (so the corpus covers it by construction)."""
    missing = [" ".join(c) for c, p in gen.leaf_commands().items() if not gen.declared(p)]
    assert not missing, f"commands not on bayesnu.cli._options: {missing}"


def test_valid_edge_values(tmp_path):
    """0 events is a valid sample; an existing output is replaced atomically with --force."""
    out = tmp_path / "c.npz"
    rc, stdout, err, _ = run_cli(["simulate", "cascade", "--out", str(out), "--n-events", "0",
                                  "--seed", "1", "--json"])
    assert rc == 0 and '"n_events": 0' in stdout
    first = out.read_bytes()
    rc, _, err, _ = run_cli(["simulate", "cascade", "--out", str(out), "--n-events", "5",
                             "--seed", "1"])
    assert rc == 2 and "use --force" in err and out.read_bytes() == first
    rc, _, err, _ = run_cli(["simulate", "cascade", "--out", str(out), "--n-events", "5",
                             "--seed", "1", "--force", "--json"])
    assert rc == 0 and out.read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]  # no temporary left
    rc, stdout, _, _ = run_cli(["data", "info", str(out), "--json"])
    assert rc == 0 and '"n_rows": 5' in stdout
