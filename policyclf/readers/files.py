"""Read one document file (or a string) into a :class:`~policyclf.readers.document.Document`.

The format comes from the file's extension and is checked against its first bytes:

=============================  ========  ===================================================
extension                      format    reader
=============================  ========  ===================================================
.txt .text .md (and no ext.)   text      UTF-8 / UTF-16 (byte-order mark) / GB18030, detected
.html .htm .shtml .xhtml       html      :mod:`policyclf.readers.html` (standard library)
.docx                          docx      :mod:`policyclf.readers.docx` (``python-docx``,
                                         extra ``docx``)
.pdf                           pdf       :mod:`policyclf.readers.pdf` (``pypdf``, extra
                                         ``pdf``); a text layer is needed (no OCR)
=============================  ========  ===================================================

A file whose content contradicts its extension (a PDF named .docx, a Word file named .txt),
an old binary .doc/.xls, a file over the size limits of :mod:`policyclf.readers.limits`, or
one that cannot be decoded raises :class:`~policyclf.exceptions.DocumentReadError` naming
the file and the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..exceptions import DocumentReadError
from . import limits
from .decode import decode_bytes, office_kind, sniff_format
from .document import Document
from .layout import parse_document
from .paths import looks_like_path, names_file

__all__ = ["DOCUMENT_FORMATS", "document_format", "read_document", "read_file"]

#: extension -> format of the documents read_file reads
DOCUMENT_FORMATS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    "": "text",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}
_NAMES = {
    "pdf": "a PDF file",
    "zip": "a zip archive (Word, Excel or other)",
    "ole": "an old binary Word/Excel file (.doc/.xls)",
    "html": "an HTML page",
    "docx": "a Word .docx file",
    "text": "a text file",
}
_RENAME = {"pdf": ".pdf", "html": ".html"}


def document_format(path: str | os.PathLike[str]) -> str | None:
    """The document format of ``path`` by its extension, or None when it is not one."""
    return DOCUMENT_FORMATS.get(Path(path).suffix.lower())


def read_document(source: str | os.PathLike[str]) -> Document:
    """Read a document from a file or from a string.

    A ``PathLike`` is always a path. A ``str`` is taken as a path when it contains no line
    break, is shorter than 4096 characters and names an existing file. A one-line ``str`` that
    names no file but looks like a path raises FileNotFoundError, so that a mistyped file name
    is not tagged as text; one that names a folder raises IsADirectoryError (read a folder
    with :func:`policyclf.read_corpus`). It looks like a path when it ends with a file
    extension (a dot and 1–5 ASCII letters or digits, at least one a letter: ``.txt``,
    ``.docx``, ``.jsonl``, ``.md`` …), or when it has none of the sentence punctuation 。！？；
    and starts with a folder part: ``/`` or ``\\`` at the start or after ``~``, ``.``, ``..``,
    a drive (``C:``) or an ASCII name (``data/关于印发….docx``). Any other ``str`` is the
    document text itself, one-line text such as ``"对引进人才给予补贴。"``,
    ``"2023年GDP增长5.2%"`` or ``"研发费用/营业收入"`` included; use
    :func:`~policyclf.readers.parse_document` to force text.

    Files are read by :func:`read_file` (plain text, HTML, Word .docx, PDF).

    Raises:
        FileNotFoundError: the path (or path-like one-line string) names no file.
        IsADirectoryError: the path names a folder.
        DocumentReadError: (a ValueError) the file cannot be read; the message names it and
            says why.
        MissingDependencyError: (an ImportError) the format's optional package is missing.
        TypeError: ``source`` is neither a str nor a path.
    """
    if isinstance(source, os.PathLike):
        path = Path(os.fspath(source))
    elif isinstance(source, str):
        if not names_file(source):
            if names_file(source, folders=True):
                raise IsADirectoryError(
                    f"{source} is a folder; read a folder of documents with "
                    "policyclf.read_corpus(...) (or `policyclf tag --file FOLDER`)"
                )
            if looks_like_path(source):
                raise FileNotFoundError(
                    f"no such file: {source!r} (it looks like a file name); pass the text itself "
                    "with policyclf.reader.parse_document(...) if you meant text"
                )
            return parse_document(source)
        path = Path(source)
    else:
        raise TypeError(f"read_document expects a str or a path, not {type(source).__name__}")
    return read_file(path)


def read_file(path: str | os.PathLike[str]) -> Document:
    """Read one document file; its format comes from its extension (see the module docstring).

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: ``path`` is a folder.
        DocumentReadError: the file cannot be read (the message names it and says why).
        MissingDependencyError: the format's optional package is not installed.
    """
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"{name} is a folder; read a folder of documents with policyclf.read_corpus(...)"
        )
    size = path.stat().st_size  # FileNotFoundError when missing
    suffix = path.suffix.lower()
    fmt = DOCUMENT_FORMATS.get(suffix)
    if fmt is None:
        fmt = "text"  # an unknown extension is read as text when its content is text
    with path.open("rb") as fh:
        head = fh.read(2048)
    sniffed = sniff_format(head)
    _check_content(name, fmt, sniffed, suffix)
    max_bytes = limits.MAX_TEXT_BYTES if fmt in ("text", "html") else limits.MAX_FILE_BYTES
    if size > max_bytes:
        raise DocumentReadError(
            name,
            f"the file is {_size(size)}, over the {_size(max_bytes)} limit for {fmt} documents "
            "(policyclf.readers.limits)",
        )
    if fmt == "html":
        from .html import read_html

        return read_html(path)
    if fmt == "docx":
        from .docx import read_docx

        return read_docx(path)
    if fmt == "pdf":
        from .pdf import read_pdf

        return read_pdf(path)
    data = path.read_bytes()
    try:
        text, encoding = decode_bytes(data, name)
    except ValueError as err:
        reason = str(err)
        if reason.startswith(name + ": "):
            reason = reason[len(name) + 2 :]
        raise DocumentReadError(name, reason) from err
    check_length(name, text)
    return parse_document(text, source=name, encoding=encoding)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def check_length(name: str, text: str) -> None:
    """Refuse extracted text longer than :data:`~policyclf.readers.limits.MAX_DOCUMENT_CHARS`."""
    if len(text) > limits.MAX_DOCUMENT_CHARS:
        raise DocumentReadError(
            name,
            f"{len(text):,} characters of text, over the {limits.MAX_DOCUMENT_CHARS:,}-character "
            "limit (policyclf.readers.limits)",
        )


def _check_content(name: str, fmt: str, sniffed: str | None, suffix: str) -> None:
    expected = {"text": None, "html": None, "docx": "zip", "pdf": "pdf"}[fmt]
    if fmt == "html" and sniffed in (None, "html"):
        return
    if sniffed == expected:
        return
    if fmt == "text" and sniffed == "html":
        return  # an HTML page saved as .txt is text with markup; the text reader copes
    if sniffed == "ole" and fmt == "docx":
        raise DocumentReadError(
            name,
            "an encrypted (password-protected) Word file, or an old .doc renamed .docx; "
            "remove the password or save it as .docx",
        )
    if sniffed == "ole":
        raise DocumentReadError(
            name,
            "an old binary Word/Excel file (.doc/.xls) cannot be read; save it as .docx "
            "(or as text)",
        )
    if fmt == "text" and sniffed is not None:
        kind = "PDF" if sniffed == "pdf" else _zip_kind(name)
        advice = {
            "PDF": "a PDF file, not plain text (rename it .pdf)",
            "Word": "a Word file, not plain text (rename it .docx)",
            "Excel": "an Excel file, not a document (read tables with policyclf.read_corpus)",
            "PowerPoint": "a PowerPoint file, which policyclf does not read",
        }
        raise DocumentReadError(
            name, "the content is " + advice.get(kind, "a zip archive, not a document")
        )
    what = _NAMES.get(sniffed or "text", "something else")
    hint = f" (rename it {_RENAME[sniffed]})" if sniffed in _RENAME else ""
    raise DocumentReadError(
        name, f"the extension says {_NAMES[fmt]} but the content is {what}{hint}"
    )


def _zip_kind(name: str) -> str:
    import zipfile

    try:
        with zipfile.ZipFile(name) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"
    return office_kind(names)
