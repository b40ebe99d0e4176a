"""Where the bundled data lives: ``labels/``, ``corpus/`` and ``models/``.

In a wheel they are shipped inside the package as ``policyclf/_data/<name>``; in a source
checkout (or an editable install) they are the top-level folders of the repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path"]

_PACKAGE_DIR = Path(str(files("policyclf")))


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, e.g. ``data_path("labels", "taxonomy.toml")``."""
    installed = _PACKAGE_DIR / "_data"
    base = installed if installed.is_dir() else _PACKAGE_DIR.parent
    return base.joinpath(*parts)
