"""Sphinx configuration of the bayesnu documentation (built with warnings as errors).

Build: ``sphinx-build -W -b html docs docs/_build/html`` (the test
``tests/docs/test_docs_build.py`` does this into a temporary folder).
"""

from __future__ import annotations

import os
import sys

# the source tree first, so the documentation describes this checkout
sys.path.insert(0, os.path.abspath(".."))

project = "bayesnu"
author = "bayesnu developers"
copyright = "bayesnu developers"  # noqa: A001

try:
    from bayesnu import __version__ as release
except Exception:  # pragma: no cover - documentation of a broken checkout
    release = "unknown"
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
master_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# API reference: numpydoc renders the docstrings; members are listed explicitly
# in api.md, so no autosummary stub pages are generated.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "none"
autodoc_mock_imports: list[str] = []

html_theme = "alabaster"
html_title = f"bayesnu {release}"
html_static_path: list[str] = []
html_theme_options = {"description": "Neutrino astronomy, frequentist and Bayesian",
                      "page_width": "1100px", "sidebar_width": "250px"}


# --- docstring hygiene at build time -------------------------------------------------
# Docstrings are written for the terminal (help(), IDEs) as much as for this site:
# they use |x| for absolute values and plain underlined headings in module docstrings.
# Both mean something else in reStructuredText (a substitution, a document section), so
# they are rewritten here, for the rendered page only: |x| -> \|x\| outside literals, and
# a heading inside a module docstring -> a rubric.
import re  # noqa: E402

_PIPES = re.compile(r"(?<![\\|])\|(?=[^\s|])([^|`\n]*?[^\s\\|])\|(?![|_])")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_UNDERLINE = re.compile(r"^\s*([-=~^])\1{2,}\s*$")


def _escape_pipes(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("| ", "+-", "+=")) or stripped == "|":  # tables, line blocks
        return line
    parts = _LITERAL.split(line)
    return "".join(p if i % 2 else _PIPES.sub(r"\\|\1\\|", p) for i, p in enumerate(parts))


def _hygiene(app, what, name, obj, options, lines):  # noqa: ARG001
    lines[:] = [_escape_pipes(x) for x in lines]
    if what != "module":
        return
    out: list[str] = []
    i = 0
    while i < len(lines):
        if (i + 1 < len(lines) and lines[i].strip() and _UNDERLINE.match(lines[i + 1])
                and len(lines[i + 1].strip()) >= len(lines[i].strip())):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            out += [f"{indent}.. rubric:: {lines[i].strip()}", ""]
            i += 2
            continue
        out.append(lines[i])
        i += 1
    lines[:] = out


def setup(app):
    # before numpydoc (priority 500) so that it sees the rewritten text
    app.connect("autodoc-process-docstring", _hygiene, priority=100)
