"""The errors policyclf raises. Every one names the file, row, key or value at fault."""

from __future__ import annotations

__all__ = [
    "DocumentReadError",
    "LabelFileError",
    "MissingDependencyError",
    "ModelExistsError",
    "ModelFileError",
    "PolicyclfError",
    "TaxonomyError",
]


class PolicyclfError(Exception):
    """Base class of every error raised on purpose by policyclf."""


class TaxonomyError(PolicyclfError, ValueError):
    """A taxonomy file is missing a key, has a wrong type, or contradicts itself."""


class LabelFileError(PolicyclfError, ValueError):
    """One or more labelled-data files failed validation.

    ``problems`` holds every problem found, each a one-line string naming the file and row,
    so a user can fix a spreadsheet in one pass.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in the labelled data:"
        super().__init__("\n".join([head, *("  - " + p for p in self.problems)]))


class ModelFileError(PolicyclfError, ValueError):
    """A model file or folder is missing, truncated, corrupt, hostile or of another version."""


class ModelExistsError(PolicyclfError, FileExistsError):
    """``save`` was asked to write where a model already exists, without ``overwrite=True``."""


class DocumentReadError(PolicyclfError, ValueError):
    """A document file cannot be read: corrupt, encrypted, image-only, too large, of another
    format than its extension says, or undecodable. The message starts with the file name and
    says why; ``path`` and ``reason`` hold the two parts."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class MissingDependencyError(PolicyclfError, ImportError):
    """An optional package that a file format needs is not installed; the message names the
    ``pip install "policyclf[extra]"`` command that installs it."""
