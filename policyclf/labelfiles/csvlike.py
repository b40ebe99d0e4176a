"""Comma- and tab-separated text files (CSV, TSV, .txt)."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .rows import _Problems, _Raw
from .table import _read_table

__all__ = []


_CSV_LOCK = threading.Lock()


@contextmanager
def _csv_field_limit(size: int) -> Iterator[None]:
    """Let a cell be as large as the file (the csv default is 128 KiB); restored afterwards."""
    with _CSV_LOCK:
        old = csv.field_size_limit()
        csv.field_size_limit(max(old, min(size + 1, 2**31 - 1)))
        try:
            yield
        finally:
            csv.field_size_limit(old)


def _read_delimited(
    index: int, source: str, text: str, delimiter: str, out: list[_Raw], probs: _Problems
) -> None:
    # strict: a malformed quote is an error, not silently mangled text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    state = {"row": 0}

    def records() -> Iterator[tuple[int, list[str]]]:
        for cells in reader:
            state["row"] += 1
            yield state["row"], cells

    with _csv_field_limit(len(text)):
        try:
            _read_table(index, source, records(), delimiter, out, probs)
        except csv.Error as e:
            name = "TSV" if delimiter == "\t" else "CSV"
            why = str(e)
            if "unexpected end of data" in why:
                why = 'a quote (") opened in this row is never closed'
            probs.add(
                index,
                source,
                state["row"] + 1,
                f"cannot parse {name}: {why}; the rest of the file was not read",
            )
