"""Plain-text tables that line up on a terminal, for Chinese text too.

Chinese characters take two terminal columns, combining marks and zero-width characters none;
:func:`display_width` counts that way, so columns stay aligned. Text shown on a terminal is
first passed through :func:`printable`, which replaces control characters (including escape
sequences hidden in scraped text) so that output can never move the cursor, change colours or
reorder text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

__all__ = ["Column", "TableWriter", "display_width", "fit", "printable", "wrap"]

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SPACES = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
# punctuation that must not start a line (it hangs past the right edge instead)
_NO_LINE_START = frozenset("，。、；：！？）】》」』”’〕〉,.;:!?)]}…%")


def char_width(ch: str) -> int:
    """Terminal columns taken by one character: 0, 1 or 2."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (already :func:`printable`)."""
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)


def printable(text: str) -> str:
    """``text`` safe to print on a terminal, on one line.

    Line breaks and tabs become spaces; other control characters, bidirectional overrides and
    lone surrogates become U+FFFD.
    """
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if ch in _SPACES:
            out.append(" ")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in {"Cc", "Cs"}:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, with ``…`` when something was cut."""
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    out: list[str] = []
    used = 0
    for ch in text:
        w = char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` columns (at spaces when possible)."""
    width = max(width, 2)
    lines: list[str] = []
    line: list[str] = []
    used = 0
    last_space = -1
    for ch in text:
        w = char_width(ch)
        if used + w > width and not (ch in _NO_LINE_START and line and used <= width):
            if last_space > 0 and ch != " ":
                rest = line[last_space + 1 :]
                lines.append("".join(line[:last_space]).rstrip(" "))
                line = rest
            else:
                lines.append("".join(line).rstrip(" "))
                line = []
            used = sum(char_width(c) for c in line)
            last_space = -1
            if ch == " " and not line:
                continue
        if ch == " " and line:
            last_space = len(line)
        line.append(ch)
        used += w
    if line or not lines:
        lines.append("".join(line).rstrip(" "))
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


@dataclass(frozen=True)
class Column:
    """A column: its header and its width in terminal columns; ``wrap`` columns wrap text."""

    header: str
    width: int
    wrap: bool = False
    align_right: bool = False


class TableWriter:
    """Write a table row by row (streaming): every cell is a list of lines.

    Non-wrapping cells are cut to the column width; wrapping cells are broken into more lines.
    Rows taller than one line are followed by a blank line so that rows stay distinct.
    """

    def __init__(self, out: TextIO, columns: Sequence[Column], gap: int = 2) -> None:
        self.out = out
        self.columns = list(columns)
        self.gap = " " * gap
        self._started = False
        self.last_row_tall = False
        self._rows_written = 0

    def header(self) -> None:
        """Write the header and the rule under it (once)."""
        if self._started:
            return
        self._started = True
        self._write_line([c.header for c in self.columns])
        self._write_line(["─" * c.width for c in self.columns])

    def note(self, text: str) -> None:
        """A full-width line between rows (e.g. the headings in force in a document)."""
        self.header()
        if self.last_row_tall is False and self._rows_written:
            self.out.write("\n")
        self.out.write(printable(text) + "\n")
        self.last_row_tall = False

    def row(self, cells: Sequence[Sequence[str]]) -> None:
        """Write one row; ``cells[i]`` are the lines of column ``i``."""
        self.header()
        laid: list[list[str]] = []
        for col, lines in zip(self.columns, cells, strict=True):
            shown = [printable(s) for s in lines] or [""]
            if col.wrap:
                laid.append([w for s in shown for w in wrap(s, col.width)])
            else:
                laid.append([fit(s, col.width) for s in shown])
        height = max(len(c) for c in laid)
        if height > 1 and self._rows_written and not self.last_row_tall:
            self.out.write("\n")
        for i in range(height):
            self._write_line([c[i] if i < len(c) else "" for c in laid])
        if height > 1:
            self.out.write("\n")
        self.last_row_tall = height > 1
        self._rows_written += 1

    def _write_line(self, parts: Sequence[str]) -> None:
        cells = []
        for col, text in zip(self.columns, parts, strict=True):
            if col.align_right:
                cells.append(" " * max(0, col.width - display_width(text)) + text)
            else:
                cells.append(_pad(text, col.width))
        self.out.write(self.gap.join(cells).rstrip(" ") + "\n")
