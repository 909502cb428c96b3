"""Malformed-input corpus (built from the real bundled data): one-line errors, exit code 2."""

import importlib.util
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from bayesnu.cli import main
from bayesnu.errors import InputError, InputWarning

_spec = importlib.util.spec_from_file_location(
    "bayesnu_malformed_corpus", Path(__file__).resolve().parent / "malformed" / "corpus.py")
_corpus = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _corpus  # dataclasses need the module registered
_spec.loader.exec_module(_corpus)
make_corpus = _corpus.make_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("malformed"))


def test_corpus_size(corpus):
    errors = [c for c in corpus if not c.warn]
    assert len(errors) >= 15
    assert len({c.name for c in corpus}) == len(corpus)


def _cases(corpus, warn):
    return [c for c in corpus if c.warn == warn]


def test_python_errors(corpus):
    from bayesnu.data import load

    for case in _cases(corpus, False):
        with pytest.raises(InputError) as info:
            load(case.path)
        msg = str(info.value)
        assert "\n" not in msg, case.name
        assert str(case.names_file) in msg, (case.name, msg)
        assert case.reason in msg, (case.name, msg)
        if case.line is not None:
            assert info.value.line == case.line, (case.name, msg)
            assert f"{case.names_file}:{case.line}" in msg
        if case.column is not None:
            assert info.value.column == case.column, (case.name, msg)
            assert f"column '{case.column}'" in msg


def test_duplicates_warn_not_fail(corpus):
    from bayesnu.data import load

    for case in _cases(corpus, True):
        with pytest.warns(InputWarning, match=case.reason):
            ds = load(case.path)
        # the duplicated rows are kept as given
        assert ds.n_events > 0


def test_cli_one_line_exit_2(corpus, capsys):
    for case in _cases(corpus, False):
        rc = main(["data", "info", str(case.path), "--json"])
        out, err = capsys.readouterr()
        assert rc == 2, case.name
        assert out == "", case.name
        lines = err.splitlines()
        assert len(lines) == 1, (case.name, err)
        assert lines[0].startswith("bayesnu: error: ")
        assert str(case.names_file) in lines[0]
        assert "Traceback" not in err


def test_cli_duplicates_warning_line(corpus, capsys):
    case = _cases(corpus, True)[0]
    with warnings.catch_warnings():
        rc = main(["data", "info", str(case.path), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert '"n_rows": 402' in out
    # one line per warning: the duplicates, then the loader's notes (files completed from the
    # bundled official copies), which 'data info' also lists under "notes" in the JSON
    lines = err.splitlines()
    assert lines[0].startswith("bayesnu: warning: ") and "duplicated" in lines[0]
    assert all(ln.startswith("bayesnu: warning: ") for ln in lines)
    notes = json.loads(out)["notes"]
    assert len(lines) == 1 + len(notes) and all(f"bayesnu: warning: {n}" in lines for n in notes)


def test_cli_subprocess_no_traceback(corpus):
    """The real console script: exit code 2, exactly one stderr line."""
    case = next(c for c in corpus if c.name == "ic40_nan")
    r = subprocess.run([sys.executable, "-c", "from bayesnu.cli import main; raise SystemExit(main())",
                        "data", "info", str(case.path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert f"{case.path}:101" in r.stderr
