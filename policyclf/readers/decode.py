"""Decode the bytes of a text document, and tell binary formats apart by their first bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

__all__ = ["binary_kind", "decode_bytes", "office_kind", "sniff_format"]

_ZIP_KINDS = {".docx": "Word", ".docm": "Word", ".xlsx": "Excel", ".xlsm": "Excel"}
_OLE_KINDS = {".doc": "Word", ".xls": "Excel"}


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode the bytes of a plain-text document; returns ``(text, encoding)``.

    UTF-16 when ``data`` starts with a UTF-16 byte-order mark; else UTF-8 (a UTF-8 byte-order
    mark is kept as the first character of the text, so offsets count it); else GB18030.
    ``encoding`` is ``"utf-16"``, ``"utf-8"`` or ``"gb18030"``.

    Raises:
        ValueError: ``data`` is a Word/Excel/PDF file or another zip archive (this function
            decodes plain text), or is neither UTF-8 nor GB18030; the message starts with
            ``name``.
    """
    kind = binary_kind(data, name)
    if kind is not None:
        raise ValueError(f"{name} is a {kind} file; policyclf reads plain text (save it as .txt)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        try:
            return data.decode(codec), "utf-16"
        except UnicodeDecodeError as err:
            raise ValueError(
                f"{name}: invalid UTF-16 at byte offset {err.start}: {err.reason}"
            ) from err
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_err:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gb_err:
            raise ValueError(
                f"{name}: neither UTF-8 (invalid byte at offset {utf8_err.start}) nor GB18030 "
                f"(invalid byte at offset {gb_err.start})"
            ) from gb_err


def binary_kind(data: bytes, name: str) -> str | None:
    """``"Word"``, ``"Excel"``, ``"PDF"``, ``"zip"``… when ``data`` is such a file, else None."""
    suffix = Path(name).suffix.lower()
    if data.startswith(b"%PDF"):
        return "PDF"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc / .xls
        return _OLE_KINDS.get(suffix, "Word/Excel")
    if not data.startswith(b"PK\x03\x04"):
        return None
    if suffix in _ZIP_KINDS:
        return _ZIP_KINDS[suffix]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        names = []
    return office_kind(names)


def office_kind(names: list[str]) -> str:
    """What a zip archive holds, from its member names: "Word", "Excel", "PowerPoint" or "zip"."""
    if any(n.startswith("word/") for n in names):
        return "Word"
    if any(n.startswith("xl/") for n in names):
        return "Excel"
    if any(n.startswith("ppt/") for n in names):
        return "PowerPoint"
    return "zip"


def sniff_format(head: bytes) -> str | None:
    """What the first bytes of a file say it is: ``"pdf"``, ``"zip"`` (Word, Excel, any zip),
    ``"ole"`` (old .doc/.xls), ``"html"``, or None (text, or unknown)."""
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    probe = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<!--")):
        return "html"
    return None
