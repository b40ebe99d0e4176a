"""Read a Word .docx file: paragraphs, heading styles and tables, in document order.

Needs ``python-docx`` (``pip install "policyclf[docx]"``). Before anything is unpacked the zip
directory is checked: a file whose parts would unpack to more than
:data:`~policyclf.readers.limits.MAX_ZIP_UNCOMPRESSED_BYTES`, or with a part compressed more than
:data:`~policyclf.readers.limits.MAX_ZIP_MEMBER_RATIO` times (a zip bomb), is refused, as are a
corrupt archive and a zip without ``word/document.xml``.

Paragraphs become lines (a line break inside a paragraph starts a new line); a paragraph in a
heading style (``Title``, ``Heading 1``–``Heading 9``, ``标题``, ``标题 1``…) becomes a heading
hint (Title and Heading 1 → the document title level, Heading 2 → chapter, Heading 3 →
section, deeper → title); table rows become lines with their cells joined by a tab (a merged
cell once). The core property ``title`` gives the title metadata.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from ..exceptions import DocumentReadError, MissingDependencyError
from . import limits
from .document import Document
from .layout import parse_document

__all__ = ["check_zip", "read_docx"]

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)?$", re.IGNORECASE)


def check_zip(path: Path) -> None:
    """Refuse a corrupt zip or a zip bomb before anything is unpacked (see module docstring)."""
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise DocumentReadError(name, f"not a valid Word .docx file (corrupt zip: {err})") from err
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 2**20 and info.file_size > limits.MAX_ZIP_MEMBER_RATIO * max(
            info.compress_size, 1
        ):
            raise DocumentReadError(
                name,
                f"refused as a zip bomb: part {info.filename} would unpack from "
                f"{info.compress_size:,} to {info.file_size:,} bytes",
            )
    if total > limits.MAX_ZIP_UNCOMPRESSED_BYTES:
        raise DocumentReadError(
            name,
            f"refused: its parts would unpack to {total / 2**20:.0f} MiB, over the "
            f"{limits.MAX_ZIP_UNCOMPRESSED_BYTES / 2**20:.0f} MiB limit (policyclf.readers.limits)",
        )
    if not any(info.filename == "word/document.xml" for info in infos):
        raise DocumentReadError(name, "not a Word .docx file (no word/document.xml inside)")


def _heading_rank(paragraph: Any) -> int | None:
    try:
        style = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, AttributeError, ValueError):
        return None
    style = (style or "").strip()
    if style.lower() == "title":
        return 1
    m = _HEADING_STYLE.match(style)
    if m is None:
        return None
    return int(m.group(1) or 1)


def _table_lines(table: Any) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:
                continue  # a merged cell repeats; read it once
            previous = cell._tc
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            lines.append("\t".join(cells))
    return lines


def read_docx(path: str | Path) -> Document:
    """Read a .docx file into a :class:`Document` (see the module docstring)."""
    from .files import check_length

    path = Path(path)
    name = str(path)
    check_zip(path)
    try:
        import docx
    except ImportError as err:
        raise MissingDependencyError(
            f'{name}: reading Word files needs python-docx: pip install "policyclf[docx]"'
        ) from err
    try:
        word = docx.Document(str(path))
        lines: list[str] = []
        hints: dict[int, int] = {}
        pos = 0
        for block in word.iter_inner_content():
            if hasattr(block, "rows"):
                block_lines, rank = _table_lines(block), None
            else:
                block_lines = [ln for ln in block.text.replace("\r", "\n").split("\n")]
                rank = _heading_rank(block)
            for line in block_lines:
                line = line.strip()
                if not line:
                    continue
                if rank is not None:
                    hints[pos] = rank
                lines.append(line)
                pos += len(line) + 1
        title = (word.core_properties.title or "").strip()
    except (DocumentReadError, MemoryError):
        raise
    except Exception as err:  # python-docx/lxml raise many kinds on a damaged file
        raise DocumentReadError(name, f"not a readable Word .docx file ({err})") from err
    text = "\n".join(lines)
    check_length(name, text)
    return parse_document(
        text,
        source=name,
        format="docx",
        heading_hints=hints,
        metadata={"title": title} if title else {},
    )
