"""The errors policyclf raises. Every one names the file, row, key or value at fault."""

from __future__ import annotations

__all__ = [
    "LabelFileError",
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
