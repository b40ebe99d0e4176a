"""What the readers produce: :class:`LabelledRow`, the raw rows before validation, and problems.

Every reader appends :class:`_Raw` rows and records problems in :class:`_Problems`, which
formats them as ``"<file>: row <n>: <problem>"`` for one :class:`LabelFileError`.
"""

from __future__ import annotations

import json
import reprlib
from dataclasses import dataclass

__all__ = ["LabelledRow", "NearDuplicateWarning"]


_MAX_PROBLEMS = 1000  # listed in one LabelFileError; the rest are counted in a last entry

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlevel = 3


@dataclass(frozen=True)
class LabelledRow:
    """One labelled text, as read from a user's file (or from the bundled corpus).

    Attributes:
        text: the text, with surrounding whitespace removed.
        labels: taxonomy ids in taxonomy order, without repeats; ``()`` means "no measure".
        id: the row's id from the file, if it has one.
        group: the document or region the row belongs to (used for grouped splits), if given.
        source: the file path as given to :func:`read_labelled`.
        row: the row number a user sees: the spreadsheet row for CSV/TSV/Excel (header = row 1),
            the line number for JSONL/doccano, the task's 1-based position for Label Studio.
    """

    text: str
    labels: tuple[str, ...]
    id: str | None
    group: str | None
    source: str
    row: int


class NearDuplicateWarning(UserWarning):
    """Two rows whose texts differ only in punctuation, spacing or character forms.

    Not an error (the rows may be legitimately different), but near-duplicates split across
    training and test data inflate scores, and near-duplicates with different labels usually
    mean one of them is miscoded.
    """


@dataclass
class _Raw:
    """A row as parsed from a file, before validation."""

    file: int
    source: str
    row: int
    text: object
    labels: object
    id: object = None
    group: object = None
    note: str = ""  # appended to problem messages, e.g. " (task id 7)"


class _Problems:
    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, str]] = []

    def add(self, file: int, source: str, row: int, message: str) -> None:
        """Record a problem; ``row`` 0 means the whole file."""
        text = f"{source}: row {row}: {message}" if row else f"{source}: {message}"
        self._items.append((file, row, len(self._items), text))

    def in_file(self, file: int) -> bool:
        """Whether any problem was recorded for file number ``file``."""
        return any(item[0] == file for item in self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def messages(self) -> list[str]:
        out = [text for *_, text in sorted(self._items)]
        if len(out) > _MAX_PROBLEMS:
            more = len(out) - _MAX_PROBLEMS
            out = [*out[:_MAX_PROBLEMS], f"... and {more} more problem(s) not listed"]
        return out


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"
