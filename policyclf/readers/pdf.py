"""Read a PDF that has a text layer (no OCR).

Needs ``pypdf`` (``pip install "policyclf[pdf]"``). A scanned (image-only) PDF has no text
layer: it is refused with a message saying so, as are an encrypted (password-protected) PDF
that cannot be opened without a password and a corrupt file. Text longer than
:data:`~policyclf.readers.limits.MAX_DOCUMENT_CHARS` is refused while it is extracted, page by
page, so memory stays bounded.

PDF text comes as visual lines. Lines are joined back into paragraphs: a line continues the
previous one when the previous line does not end a sentence (。！？；: or a closing bracket after
one) and runs (nearly) to the right margin — at least 90% of the longest line on its page — and
the line itself does not start with a heading number. Page numbers standing alone (``- 3 -``,
``3``, ``第3页``) are dropped, and so are running headers and footers (a line repeated at the top
or bottom of at least half the pages, and of at least three). The document information
``/Title`` gives the title metadata, unless it is a file name or a converter's leftover
("Microsoft Word - 通知.docx") without Chinese.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..exceptions import DocumentReadError, MissingDependencyError
from . import limits
from .document import HEADING_PATTERNS, Document
from .layout import parse_document
from .sentences import ends_sentence

__all__ = ["join_pdf_lines", "read_pdf"]

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]|\d{1,4}|第\s*\d{1,4}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,4}\s*/\s*\d{1,4})$"
)
_FULL_LINE = 0.9


def _starts_heading(line: str) -> bool:
    return any(p.match(line) for _, p in HEADING_PATTERNS) or line.startswith("第")


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines repeated at the top or bottom of many pages: running headers and footers."""
    if len(pages) < 3:
        return set()
    counts: dict[str, int] = {}
    for lines in pages:
        for line in {*lines[:2], *lines[-2:]}:
            counts[line] = counts.get(line, 0) + 1
    need = max(3, (len(pages) + 1) // 2)
    return {line for line, n in counts.items() if n >= need}


def join_pdf_lines(pages: list[str]) -> str:
    """Join the visual lines of each page back into paragraphs (see the module docstring)."""
    split = [
        [
            ln
            for ln in (raw.strip() for raw in page.splitlines())
            if ln and not _PAGE_NUMBER.match(ln)
        ]
        for page in pages
    ]
    running = _running_lines(split)
    out: list[str] = []
    carry = ""  # a paragraph running on from the previous line (or page)
    for lines in split:
        lines = [ln for ln in lines if ln not in running]
        if not lines:
            continue
        width = max(len(ln) for ln in lines)
        for line in lines:
            if carry and not _starts_heading(line):
                carry += line
            else:
                if carry:
                    out.append(carry)
                carry = line
            if ends_sentence(line) or len(line) < _FULL_LINE * width:
                out.append(carry)
                carry = ""
    if carry:
        out.append(carry)
    return "\n".join(out)


def _clean_title(title: str) -> str:
    """A PDF's /Title, unless it is a file name or a converter's leftover."""
    title = re.sub(r"^(?:Microsoft\s+(?:Word|PowerPoint|Excel)\s*-\s*)", "", title.strip())
    title = re.sub(r"\.(?:docx?|wps|pdf|txt)$", "", title, flags=re.IGNORECASE).strip()
    return title if re.search("[\u4e00-\u9fff]", title) else ""


def read_pdf(path: str | Path) -> Document:
    """Read a PDF's text layer into a :class:`Document` (see the module docstring)."""
    from .files import check_length

    path = Path(path)
    name = str(path)
    try:
        import pypdf
    except ImportError as err:
        raise MissingDependencyError(
            f'{name}: reading PDF files needs pypdf: pip install "policyclf[pdf]"'
        ) from err
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files log many warnings
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as err:  # e.g. AES without the cryptography package
                raise DocumentReadError(
                    name, f"the PDF is encrypted (password-protected) and cannot be read ({err})"
                ) from err
            if not opened:
                raise DocumentReadError(
                    name, "the PDF is encrypted (password-protected); remove the password first"
                )
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > limits.MAX_DOCUMENT_CHARS:
                raise DocumentReadError(
                    name,
                    f"over {limits.MAX_DOCUMENT_CHARS:,} characters of text "
                    "(policyclf.readers.limits)",
                )
            pages.append(text)
        title = ""
        try:
            info = reader.metadata
            title = _clean_title(str(info.title or "")) if info is not None else ""
        except Exception:
            title = ""
    except (DocumentReadError, MemoryError):
        raise
    except Exception as err:  # pypdf raises many kinds on a damaged file
        raise DocumentReadError(name, f"not a readable PDF file ({err})") from err
    if not any(p.strip() for p in pages):
        raise DocumentReadError(
            name,
            f"the PDF has no text layer ({len(pages)} page(s) of images or drawings only, e.g. "
            "a scan); policyclf does not do OCR: run OCR first, or use a text version",
        )
    text = join_pdf_lines(pages)
    check_length(name, text)
    return parse_document(
        text, source=name, format="pdf", metadata={"title": title} if title else {}
    )
