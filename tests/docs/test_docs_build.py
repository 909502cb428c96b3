"""The documentation site builds with warnings as errors, and nothing points outside the repository."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_docs_build_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx", reason="the test extras install sphinx")
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q",
                        "-b", "html", str(ROOT / "docs"), str(tmp_path / "html")],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-4000:]
    for page in ("index", "installation", "demo", "data", "design", "glossary", "api",
                 "reports", "tutorials/flares", "tutorials/pointsources", "tutorials/cnb",
                 "tutorials/blazars"):
        assert (tmp_path / "html" / f"{page}.html").is_file(), page
    api = (tmp_path / "html" / "api.html").read_text()
    for name in ("bayesnu.inference.fit", "bayesnu.apps.report.Report",
                 "bayesnu.inference.flare.flare_posterior_modes"):
        assert f'id="{name}"' in api, name


def test_nothing_points_outside_the_repository():
    """README, docs and package text never refer to files outside the repository."""
    outside = re.compile(r"\.\./shared|/work/|\.\./\.\./")
    files = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "docs").rglob("*.py")]
    bad = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in files if p.is_file()
           for m in outside.finditer(p.read_text(encoding="utf-8"))]
    assert not bad, bad
