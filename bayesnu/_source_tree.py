"""Import ``bayesnu.models`` and ``bayesnu.inference`` from a source checkout.

The repository keeps them in ``models/`` and ``inference/`` beside ``bayesnu/``
(``[tool.setuptools.package-dir]`` in ``pyproject.toml`` installs them as
``bayesnu.models`` and ``bayesnu.inference``). An installed package (``pip
install .`` or ``pip install -e .``) finds them through the installation.
When Python imports ``bayesnu`` straight from the source tree instead (e.g.
``python -m pytest`` or ``python -c "import bayesnu.models"`` run in the
repository root, where the working directory comes first on ``sys.path``), the
source ``bayesnu/`` has no ``models`` folder; :func:`install` then adds a finder
that maps exactly these two names to the folders ``pyproject.toml`` maps them
to. Nothing happens for an installed copy (no ``pyproject.toml`` beside it) or
when the mapping is not the documented one.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

#: subpackages that live outside ``bayesnu/`` in the repository, and their folders
SUBPACKAGE_DIRS = {"bayesnu.models": "models", "bayesnu.inference": "inference"}


class SourceTreeFinder(importlib.abc.MetaPathFinder):
    """Finds ``bayesnu.models`` / ``bayesnu.inference`` in the repository's folders."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = dict(folders)

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ARG002
        folder = self.folders.get(fullname)
        if folder is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname, folder / "__init__.py", submodule_search_locations=[str(folder)])


def source_tree_folders(package_dir: Path) -> dict[str, Path]:
    """The folders to map when ``package_dir`` (the imported ``bayesnu/``) is a source tree."""
    root = package_dir.parent
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    text = pyproject.read_text(encoding="utf-8", errors="replace")
    out = {}
    for name, folder in SUBPACKAGE_DIRS.items():
        declared = f'"{name}" = "{folder}"' in text
        if declared and not (package_dir / name.split(".")[1]).exists() \
                and (root / folder / "__init__.py").is_file():
            out[name] = root / folder
    return out


def install(package_dir: Path) -> None:
    """Add the finder once (appended: an installation's own finders keep precedence)."""
    if any(isinstance(f, SourceTreeFinder) for f in sys.meta_path):
        return
    folders = source_tree_folders(package_dir)
    if folders:
        sys.meta_path.append(SourceTreeFinder(folders))
