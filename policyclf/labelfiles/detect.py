"""Reading a file's bytes, decoding them, and telling its format (:func:`detect_format`)."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path
from typing import Any

from ..exceptions import LabelFileError

__all__ = ["FORMATS", "detect_format"]


FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "excel", "label-studio", "doccano")
"""The format names :func:`detect_format` returns."""

_TEXT_EXT = {".csv", ".tsv", ".txt"}
_JSONL_EXT = {".jsonl", ".ndjson"}
_EXCEL_EXT = {".xlsx", ".xlsm"}
_SUPPORTED = ".csv, .tsv, .txt (tab- or comma-separated), .jsonl, .json (Label Studio), .xlsx"


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format of a labelled-data file: one of :data:`FORMATS`.

    The extension decides first (``.csv``/``.tsv``/``.txt``, ``.jsonl``, ``.json``, ``.xlsx``),
    then the content confirms or refines it: a ``.csv``/``.txt`` whose header line has tabs and
    no commas is ``"tsv"``; JSON Lines whose objects carry ``label`` as a list is ``"doccano"``;
    a ``.json`` array is a ``"label-studio"`` export.

    Raises:
        LabelFileError: the file is missing, unreadable or of no supported format.
    """
    source = os.fspath(path)
    suffix = Path(source).suffix.lower()
    problem = _unsupported(suffix)
    if problem:
        raise LabelFileError([f"{source}: {problem}"])
    raw, problem = _read_bytes(source)
    if raw is None:
        raise LabelFileError([f"{source}: {problem}"])
    if suffix in _EXCEL_EXT:
        fmt, problem = _sniff_excel(raw)
    else:
        fmt, problem = _sniff_text(suffix, _decode_loosely(raw))
    if fmt is None:
        raise LabelFileError([f"{source}: {problem}"])
    return fmt


def _read_bytes(source: str) -> tuple[bytes | None, str]:
    """The file's bytes (opened read-only), or None and the reason."""
    p = Path(source)
    try:
        if not p.exists():
            return None, "file not found"
        if p.is_dir():
            return None, "is a directory, not a file"
        with open(p, "rb") as f:
            return f.read(), ""
    except OSError as e:
        return None, f"cannot read file ({e.strerror or e})"
    except ValueError as e:  # e.g. a NUL character in the path
        return None, f"cannot read file ({e})"


def _unsupported(suffix: str) -> str:
    """Why a file with this extension cannot be read ("" if it can)."""
    if suffix == ".xls":
        return "the old Excel .xls format is not supported: save as .xlsx or CSV UTF-8"
    if suffix not in _TEXT_EXT | _JSONL_EXT | _EXCEL_EXT | {".json"}:
        return f"unknown format (extension {suffix or 'none'}); supported: {_SUPPORTED}"
    return ""


def _decode(raw: bytes, codec: str) -> tuple[str | None, str]:
    """Decode strictly; on failure say where and what to do. Never mis-decodes silently."""
    utf8 = codec in ("utf-8", "utf-8-sig")
    if utf8 and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), ""
        except UnicodeDecodeError as e:
            return (
                None,
                f"starts with a UTF-16 byte-order mark but is not valid UTF-16 ({e.reason})",
            )
    try:
        text = raw.decode("utf-8-sig" if utf8 else codec)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        where = f"first bad byte at offset {e.start}, line {line}"
        if not utf8:
            return None, (
                f"not valid {codec} ({where}); pass the file's real encoding with encoding=..."
            )
        if _decodes(raw, "gb18030"):
            return None, (
                f"not UTF-8 ({where}); if it was saved by Excel on Chinese Windows it is probably "
                "GBK — re-save as UTF-8 or pass encoding='gb18030'"
            )
        return (
            None,
            f"not UTF-8 ({where}); re-save it as UTF-8 or pass its encoding with encoding=...",
        )
    return text.removeprefix("\ufeff"), ""


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _decode_loosely(raw: bytes) -> str:
    """Good enough to tell formats apart (used by :func:`detect_format` only)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    return raw.decode("utf-8-sig", errors="replace")


def _sniff_excel(raw: bytes) -> tuple[str | None, str]:
    if raw.startswith(b"PK\x03\x04"):
        return "excel", ""
    return None, "has an Excel extension but is not an .xlsx workbook (re-save it from Excel)"


def _sniff_text(suffix: str, text: str) -> tuple[str | None, str]:
    if suffix in _TEXT_EXT:
        header = next((line for line in text.split("\n") if line.strip()), "")
        tabs, commas = "\t" in header, "," in header
        if suffix == ".tsv":
            return ("csv" if commas and not tabs else "tsv"), ""
        return ("tsv" if tabs and not commas else "csv"), ""
    if suffix in _JSONL_EXT:
        return _jsonl_kind(text), ""
    # .json: a Label Studio export is one JSON array; doccano JSONL is sometimes saved as .json.
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "label-studio", ""
    first = stripped.split("\n", 1)[0]
    if stripped.startswith("{") and isinstance(_loads(first), dict):
        return _jsonl_kind(text), ""
    return None, (
        "unknown format: a .json file must be a Label Studio export (a JSON array of tasks) "
        "or JSON Lines (one object per line)"
    )


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _jsonl_kind(text: str) -> str:
    """``"doccano"`` if the first parseable object has a list-valued ``label``, else ``"jsonl"``."""
    tried = 0
    for line in text.split("\n"):
        if not line.strip():
            continue
        obj = _loads(line)
        if isinstance(obj, dict):
            return "doccano" if isinstance(obj.get("label"), list) else "jsonl"
        tried += 1
        if tried >= 100:
            break
    return "jsonl"
