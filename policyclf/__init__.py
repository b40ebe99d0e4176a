"""policyclf: tag Chinese policy text with the policy measures it contains.

Quick start::

    import policyclf
    m = policyclf.load()                 # the bundled default model
    t = m.tag("对新引进的博士给予每人10万元安家补贴。")
    t.labels, t.scores, t.evidence

Importing policyclf is cheap: tagging needs only numpy and a tokenizer. scikit-learn and pandas
are imported when you train (``train``, ``PolicyClassifier``) or use ``tag_frame``.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from .exceptions import (
    DocumentReadError,
    LabelFileError,
    MissingDependencyError,
    ModelExistsError,
    ModelFileError,
    PolicyclfError,
    TaxonomyError,
)

__version__ = "0.2.0"

__all__ = [
    "DocumentReadError",
    "DocumentTags",
    "LabelFileError",
    "MissingDependencyError",
    "Model",
    "ModelExistsError",
    "ModelFileError",
    "PolicyClassifier",
    "PolicyclfError",
    "Profile",
    "Tag",
    "Taxonomy",
    "TaxonomyError",
    "__version__",
    "default_model_path",
    "evaluate",
    "load",
    "load_taxonomy",
    "read_corpus",
    "read_document",
    "read_labelled",
    "train",
]

# name -> module that defines it; imported on first use to keep `import policyclf` fast
_LAZY = {
    "DocumentTags": "tags",
    "Model": "model",
    "Tag": "tags",
    "Profile": "analysis.profiling",
    "Taxonomy": "taxonomy",
    "load_taxonomy": "taxonomy",
    "read_corpus": "readers",
    "read_document": "readers",
    "read_labelled": "labelfiles",
    "PolicyClassifier": "estimator",
    "train": "training",
    "evaluate": "evaluation",
}

if TYPE_CHECKING:
    from .analysis.profiling import Profile
    from .estimator import PolicyClassifier
    from .evaluation import evaluate
    from .labelfiles import read_labelled
    from .model import Model
    from .readers import read_corpus, read_document
    from .tags import DocumentTags, Tag
    from .taxonomy import Taxonomy, load_taxonomy
    from .training import train


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policyclf' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def default_model_path() -> os.PathLike[str]:
    """Where the bundled default model lives (inside the installed package)."""
    from .resources import data_path

    return data_path("models", "default")


def load(path: str | os.PathLike[str] | None = None) -> Model:
    """Load a saved model folder; the bundled default model when ``path`` is None.

    Loading reads JSON and numeric arrays only and never executes code from the files.

    Raises:
        ModelFileError: the folder is missing, corrupt, not a model, or of another version.
    """
    from .persistence import load_model

    model: Model = load_model(default_model_path() if path is None else path)
    return model
