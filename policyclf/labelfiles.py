"""Reading and validating the labelled-data files users code themselves.

A user retrains the classifier with rows they labelled in a spreadsheet (CSV, TSV, Excel), as
JSON Lines, or in an annotation tool (Label Studio, doccano). :func:`read_labelled` reads any mix
of those files, checks every row against the taxonomy, and either returns the rows or raises one
:class:`~policyclf.exceptions.LabelFileError` listing every problem in every file, each as
``"<file>: row <n>: <problem>"``, so the user can fix everything in one pass.

Files are only ever opened for reading. Heavy dependencies (pandas, openpyxl) are imported only
when an Excel file is read. See ``docs/label-formats.md`` for the formats, with examples.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import math
import os
import re
import reprlib
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .exceptions import LabelFileError
from .taxonomy import Taxonomy, load_taxonomy
from .text import normalize

__all__ = [
    "FORMATS",
    "LabelledRow",
    "NearDuplicateWarning",
    "detect_format",
    "read_labelled",
    "text_key",
]

FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "excel", "label-studio", "doccano")
"""The format names :func:`detect_format` returns."""

_MAX_PROBLEMS = 1000  # listed in one LabelFileError; the rest are counted in a last entry
_MAX_PAIRS = 20  # near-duplicate / repeat pairs named in one warning
_MAX_IDS = 20  # skipped Label Studio task ids named in one warning

_TEXT_EXT = {".csv", ".tsv", ".txt"}
_JSONL_EXT = {".jsonl", ".ndjson"}
_EXCEL_EXT = {".xlsx", ".xlsm"}
_SUPPORTED = ".csv, .tsv, .txt (tab- or comma-separated), .jsonl, .json (Label Studio), .xlsx"

# Column names (and JSON keys), matched ignoring case and surrounding spaces.
_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "文本", "内容", "content", "sentence", "paragraph"),
    "labels": ("labels", "label", "标签", "类别", "categories"),
    "id": ("id", "编号"),
    "group": ("group", "分组", "document", "doc", "region", "地区"),
}
_ROLE_OF = {alias.casefold(): role for role, names in _ALIASES.items() for alias in names}
_REQUIRED = ("text", "labels")

_LABEL_SPLIT = re.compile(r"[;；|]")
_LIST_HINT_SPLIT = re.compile(r"[,，、/]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")

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


# --------------------------------------------------------------------------- public API


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


def read_labelled(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    taxonomy: Taxonomy | None = None,
    *,
    encoding: str = "utf-8",
    against: Iterable[LabelledRow] = (),
) -> list[LabelledRow]:
    """Read and validate one or more labelled-data files.

    Args:
        paths: a file, or several; formats may be mixed (see :func:`detect_format`).
        taxonomy: the taxonomy labels are resolved against (ids, Chinese or English names);
            the bundled one by default.
        encoding: the text encoding of CSV/TSV/JSON files. UTF-8 (with or without a BOM) by
            default; a file with a UTF-16 byte-order mark (Excel's "Unicode Text") is read as
            UTF-16. Pass ``"gb18030"`` for files saved as GBK by Excel on Chinese Windows.
        against: rows the new data will be merged with (typically the bundled corpus): a text
            that appears there with different labels is a problem.

    Returns:
        The rows of all files, in file order then row order.

    Warns:
        NearDuplicateWarning: texts equal after normalisation (punctuation, spacing, width,
            traditional/simplified) but not identical.
        UserWarning: Label Studio tasks skipped for having no usable annotation; rows that
            repeat an ``against`` row with the same labels.

    Raises:
        LabelFileError: listing every problem found in every file (missing or unreadable file,
            unknown format, undecodable bytes, missing column, empty text, unknown label,
            duplicate or conflicting rows, ...), before anything is returned.
    """
    if isinstance(paths, (str, os.PathLike)):
        path_list: list[str | os.PathLike[str]] = [paths]
    else:
        path_list = list(paths)
    if not path_list:
        raise LabelFileError(["no labelled-data files given"])
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as e:
        raise ValueError(f"unknown encoding {encoding!r}") from e
    tax = taxonomy if taxonomy is not None else load_taxonomy()

    probs = _Problems()
    warns: list[tuple[str, type[Warning]]] = []
    raws: list[_Raw] = []
    seen_paths: dict[str, str] = {}
    for index, path in enumerate(path_list):
        source = os.fspath(path)
        key = os.path.normcase(os.path.abspath(source))
        if key in seen_paths:
            probs.add(index, source, 0, f"given twice (also as {seen_paths[key]!r})")
            continue
        seen_paths[key] = source
        _read_one(index, source, codec, raws, probs, warns)

    resolver = _Resolver(tax)
    rows: list[LabelledRow] = []
    files_of: list[int] = []
    for raw in raws:
        row = _finish(raw, resolver, probs)
        if row is not None:
            rows.append(row)
            files_of.append(raw.file)
    _check_duplicates(rows, files_of, list(against), probs, warns)

    for message, category in warns:
        warnings.warn(message, category, stacklevel=2)
    if probs:
        raise LabelFileError(probs.messages())
    return rows


# --------------------------------------------------------------------------- plumbing


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


def _read_one(
    index: int,
    source: str,
    codec: str,
    out: list[_Raw],
    probs: _Problems,
    warns: list[tuple[str, type[Warning]]],
) -> None:
    suffix = Path(source).suffix.lower()
    unsupported = _unsupported(suffix)
    if unsupported:
        probs.add(index, source, 0, unsupported)
        return
    raw, reason = _read_bytes(source)
    if raw is None:
        probs.add(index, source, 0, reason)
        return
    if not raw.strip():
        probs.add(index, source, 0, "empty file (no header and no data rows)")
        return
    before = len(out)
    if suffix in _EXCEL_EXT:
        fmt, problem = _sniff_excel(raw)
        if fmt is None:
            probs.add(index, source, 0, problem)
            return
        _read_excel(index, source, raw, out, probs)
    else:
        text, problem = _decode(raw, codec)
        if text is None:
            probs.add(index, source, 0, problem)
            return
        if not text.strip():
            probs.add(index, source, 0, "empty file (no header and no data rows)")
            return
        fmt, problem = _sniff_text(suffix, text)
        if fmt is None:
            probs.add(index, source, 0, problem)
            return
        if fmt in ("csv", "tsv"):
            _read_delimited(index, source, text, "\t" if fmt == "tsv" else ",", out, probs)
        elif fmt in ("jsonl", "doccano"):
            _read_jsonl(index, source, text, fmt, out, probs)
        else:
            _read_label_studio(index, source, text, out, probs, warns)
    if len(out) == before and not probs.in_file(index):
        why = " (no task has a usable annotation)" if fmt == "label-studio" else ""
        probs.add(index, source, 0, f"no data rows{why}")


# --------------------------------------------------------------------------- decoding, sniffing


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


# --------------------------------------------------------------------------- tables


def _roles(names: Sequence[str], what: str) -> tuple[dict[str, int], list[str]]:
    """Map text/labels/id/group to column positions; problems if ambiguous or missing."""
    found: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        role = _ROLE_OF.get(name.strip().lstrip("\ufeff").casefold())
        if role is not None:
            found.setdefault(role, []).append(i)
    problems: list[str] = []
    roles: dict[str, int] = {}
    for role, positions in found.items():
        if len(positions) > 1:
            both = " and ".join(_REPR.repr(names[i]) for i in positions)
            problems.append(f"{what}s {both} both name the {role}; rename or remove one")
        else:
            roles[role] = positions[0]
    for role in _REQUIRED:
        if role not in found:
            shown = ", ".join(_REPR.repr(n) for n in names[:20]) or "none"
            if len(names) > 20:
                shown += f", ... ({len(names)} in all)"
            accepted = ", ".join(_ALIASES[role])
            problems.append(
                f"missing required {what} {role!r} "
                f"({what}s found: {shown}; accepted names: {accepted})"
            )
    return roles, problems


def _read_table(
    index: int,
    source: str,
    records: Iterable[tuple[int, list[str]]],
    delimiter: str | None,
    out: list[_Raw],
    probs: _Problems,
) -> None:
    """Rows of a spreadsheet-like table whose first non-blank row is the header."""
    header: list[str] | None = None
    roles: dict[str, int] = {}
    for rownum, cells in records:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = cells
            roles, problems = _roles(cells, "column")
            if problems and delimiter == "," and len(cells) == 1 and ";" in cells[0]:
                problems.append("the header is separated by ';', not ','; save as CSV with commas")
            for p in problems:
                probs.add(index, source, rownum, p)
            if problems:
                return
            continue
        if delimiter is not None and len(cells) != len(header):
            if len(cells) > len(header):
                sep = "comma" if delimiter == "," else "tab"
                hint = f" (an unquoted {sep} inside a cell?)"
            else:
                hint = " (a missing field, or a line break inside an unquoted cell?)"
            probs.add(
                index,
                source,
                rownum,
                f"has {_plural(len(cells), 'field')} but the header has {len(header)}{hint}",
            )
            continue
        out.append(
            _Raw(
                index,
                source,
                rownum,
                cells[roles["text"]],
                cells[roles["labels"]],
                cells[roles["id"]] if "id" in roles else None,
                cells[roles["group"]] if "group" in roles else None,
            )
        )


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


def _cell(value: object) -> str:
    """An Excel cell as text: empty for blank/NaN, integers without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def _read_excel(index: int, source: str, raw: bytes, out: list[_Raw], probs: _Problems) -> None:
    try:
        import openpyxl  # noqa: F401  (pandas needs it; checked here for a clear message)
        import pandas as pd
    except ImportError:
        probs.add(
            index, source, 0, "reading Excel files needs openpyxl: pip install policyclf[excel]"
        )
        return
    try:
        frame = pd.read_excel(
            io.BytesIO(raw), sheet_name=0, header=None, dtype=object, engine="openpyxl"
        )
    except Exception as e:  # a damaged workbook fails in many ways (zip, XML, openpyxl)
        probs.add(index, source, 0, f"cannot read the Excel workbook ({type(e).__name__}: {e})")
        return
    records = (
        (i + 1, [_cell(v) for v in values]) for i, values in enumerate(frame.values.tolist())
    )
    _read_table(index, source, records, None, out, probs)


# --------------------------------------------------------------------------- JSON formats


def _read_jsonl(
    index: int, source: str, text: str, fmt: str, out: list[_Raw], probs: _Problems
) -> None:
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            probs.add(index, source, lineno, f"not valid JSON ({e.msg} at column {e.colno})")
            continue
        except (ValueError, RecursionError) as e:
            probs.add(index, source, lineno, f"not valid JSON ({e})")
            continue
        if not isinstance(obj, dict):
            probs.add(index, source, lineno, f"not a JSON object (got {_json_type(obj)})")
            continue
        keys = list(obj)
        roles, problems = _roles(keys, "key")
        for p in problems:
            probs.add(index, source, lineno, p)
        if problems:
            continue
        labels = obj[keys[roles["labels"]]]
        if (
            fmt == "doccano"
            and isinstance(labels, list)
            and any(isinstance(x, list) for x in labels)
        ):
            probs.add(
                index,
                source,
                lineno,
                "labels are spans ([start, end, label]): this is a sequence-labelling export; "
                "export a text-classification project instead",
            )
            continue
        out.append(
            _Raw(
                index,
                source,
                lineno,
                obj[keys[roles["text"]]],
                labels,
                obj[keys[roles["id"]]] if "id" in roles else None,
                obj[keys[roles["group"]]] if "group" in roles else None,
            )
        )


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


def _read_label_studio(
    index: int,
    source: str,
    text: str,
    out: list[_Raw],
    probs: _Problems,
    warns: list[tuple[str, type[Warning]]],
) -> None:
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as e:
        probs.add(
            index, source, 0, f"not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})"
        )
        return
    except (ValueError, RecursionError) as e:
        probs.add(index, source, 0, f"not valid JSON ({e})")
        return
    if not isinstance(tasks, list):
        probs.add(index, source, 0, "not a Label Studio export (expected a JSON array of tasks)")
        return
    skipped: list[str] = []
    for n, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            probs.add(index, source, n, f"task is not a JSON object (got {_json_type(task)})")
            continue
        tid = task.get("id")
        note = f" (task id {tid})" if tid is not None else ""
        data = task.get("data")
        if not isinstance(data, dict):
            probs.add(
                index,
                source,
                n,
                f"task has no 'data' object{note}; export with Label Studio's 'JSON' format "
                "(not JSON-MIN or CSV)",
            )
            continue
        body = data.get("text")
        if not isinstance(body, str):
            body = next((v for v in data.values() if isinstance(v, str)), None)
        if body is None:
            probs.add(index, source, n, f"task data has no text{note}")
            continue
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            probs.add(index, source, n, f"'annotations' is not a list{note}")
            continue
        usable = [
            (str(a.get("updated_at") or a.get("created_at") or ""), i, a)
            for i, a in enumerate(annotations)
            if isinstance(a, dict) and not a.get("was_cancelled")
        ]
        if not usable:
            skipped.append(str(tid) if tid is not None else f"#{n}")
            continue
        labels = _choices(max(usable, key=lambda t: (t[0], t[1]))[2].get("result"))
        if isinstance(labels, str):
            probs.add(index, source, n, labels + note)
            continue
        group = data.get("group", data.get("document"))
        out.append(_Raw(index, source, n, body, labels, tid, group, note))
    if skipped:
        shown = ", ".join(skipped[:_MAX_IDS]) + (" ..." if len(skipped) > _MAX_IDS else "")
        warns.append(
            (
                f"{source}: skipped {len(skipped)} task(s) with no usable annotation "
                f"(none, or all cancelled): task ids {shown}",
                UserWarning,
            )
        )


def _choices(result: object) -> list[str] | str:
    """The chosen labels of one annotation's result, or a problem message."""
    if result is None:
        return []
    if not isinstance(result, list):
        return "annotation 'result' is not a list"
    labels: list[str] = []
    found = False
    other: set[str] = set()
    for item in result:
        if not isinstance(item, dict):
            return "annotation result item is not a JSON object"
        kind = item.get("type")
        value = item.get("value")
        value = value if isinstance(value, dict) else {}
        if kind == "choices":
            found = True
            choices = value.get("choices")
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                return f"'choices' is not a list of strings: {_REPR.repr(choices)}"
            labels += choices
        elif kind == "taxonomy":  # a Taxonomy control: paths like ["金融/资金", "贷款"]
            found = True
            paths = value.get("taxonomy")
            if not isinstance(paths, list) or not all(
                isinstance(p, list) and p and all(isinstance(x, str) for x in p) for p in paths
            ):
                return f"'taxonomy' is not a list of lists of strings: {_REPR.repr(paths)}"
            labels += [p[0] for p in paths]
        else:
            other.add(str(kind))
    if result and not found:
        kinds = ", ".join(sorted(other))
        return (
            f"annotation has no 'choices' result (result types found: {kinds}); "
            "policyclf reads labels from a Choices control"
        )
    return labels


# --------------------------------------------------------------------------- row validation


class _Resolver:
    """Label spellings to taxonomy ids, with suggestions; cached (files repeat labels a lot)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.ids = taxonomy.ids
        self._cache: dict[str, str | None] = {}
        self._folded: dict[str, str] = {}
        for name in taxonomy.names():
            self._folded.setdefault(name.casefold(), name)

    def resolve(self, label: str) -> str | None:
        try:
            return self._cache[label]
        except KeyError:
            found = self._cache[label] = self.taxonomy.resolve(label)
            return found

    def unknown(self, label: str) -> str:
        parts = [p for p in _LIST_HINT_SPLIT.split(label) if p.strip()]
        if len(parts) > 1 and all(self.resolve(p) for p in parts):
            joined = ";".join(p.strip() for p in parts)
            return f"unknown label {label!r} (separate several labels with ';', e.g. {joined!r})"
        close = difflib.get_close_matches(label.casefold(), list(self._folded), n=1, cutoff=0.5)
        if close:
            return f"unknown label {label!r} (did you mean {self._folded[close[0]]!r}?)"
        return (
            f"unknown label {label!r} (valid ids: {', '.join(self.ids)}; "
            "their Chinese and English names are accepted too)"
        )


def _optional(value: object) -> str | bool | None:
    """An id/group cell as text; None if blank; False if it is not a scalar."""
    if value is None:
        return None
    if isinstance(value, (bool, dict, list)):
        return False
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    text = str(value).strip()
    return text or None


def _finish(raw: _Raw, resolver: _Resolver, probs: _Problems) -> LabelledRow | None:
    ok = True

    def bad(message: str) -> None:
        nonlocal ok
        ok = False
        probs.add(raw.file, raw.source, raw.row, message + raw.note)

    text = raw.text
    if not isinstance(text, str):
        bad(f"text must be a string, got {_json_type(text)}: {_REPR.repr(text)}")
        text = ""
    else:
        text = text.strip()
        if not text:
            bad("empty text")
        elif _SURROGATE.search(text):
            bad("text contains an invalid character (a lone surrogate, e.g. from a \\ud800 escape)")

    items: list[str] = []
    labels = raw.labels
    if labels is None or (isinstance(labels, float) and math.isnan(labels)):
        pass
    elif isinstance(labels, str):
        items = _LABEL_SPLIT.split(labels)
    elif isinstance(labels, list) and all(isinstance(x, str) for x in labels):
        items = [part for x in labels for part in _LABEL_SPLIT.split(x)]
    else:
        got = f"{_json_type(labels)}: {_REPR.repr(labels)}"
        bad(f"labels must be a string or a list of strings, got {got}")
    found: set[str] = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        cid = resolver.resolve(item)
        if cid is None:
            bad(resolver.unknown(item))
        else:
            found.add(cid)

    ident = _optional(raw.id)
    if ident is False:
        bad(f"id must be a string or a number, got {_REPR.repr(raw.id)}")
    group = _optional(raw.group)
    if group is False:
        bad(f"group must be a string or a number, got {_REPR.repr(raw.group)}")
    if not ok:
        return None
    return LabelledRow(
        text=text,
        labels=tuple(i for i in resolver.ids if i in found),
        id=ident if isinstance(ident, str) else None,
        group=group if isinstance(group, str) else None,
        source=raw.source,
        row=raw.row,
    )


# --------------------------------------------------------------------------- duplicates


def text_key(text: str) -> str:
    """The near-duplicate key of ``text``: normalised, case-folded, without spaces/punctuation.

    Texts with equal keys differ only in punctuation, spacing, width or character forms; the
    reader warns about them, and cross-validation keeps them in one group.
    """
    return _NOT_WORD.sub("", normalize(text).casefold())


def _shown(labels: tuple[str, ...]) -> str:
    return ";".join(labels) or "none"


def _place(row: LabelledRow) -> str:
    return f"{row.source} row {row.row}"


def _corpus_place(row: LabelledRow) -> str:
    return (
        f"bundled row {row.id} ({row.source})" if row.id else f"bundled {row.source} row {row.row}"
    )


def _check_duplicates(
    rows: list[LabelledRow],
    files_of: list[int],
    against: list[LabelledRow],
    probs: _Problems,
    warns: list[tuple[str, type[Warning]]],
) -> None:
    """Exact duplicates and conflicts are problems; near-duplicates are warnings. O(n)."""
    corpus_text: dict[str, LabelledRow] = {}
    near: dict[str, LabelledRow] = {}
    for c in against:
        corpus_text.setdefault(c.text.strip(), c)
        key = text_key(c.text)
        if key:
            near.setdefault(key, c)
    corpus_ids = {id(c) for c in near.values()}

    first_text: dict[str, LabelledRow] = {}
    first_exact: dict[tuple[str, tuple[str, ...]], LabelledRow] = {}
    pairs: list[str] = []
    repeats: list[str] = []
    for row, file in zip(rows, files_of, strict=True):
        known = corpus_text.get(row.text)
        if known is not None:
            if known.labels != row.labels:
                probs.add(
                    file,
                    row.source,
                    row.row,
                    f"conflicts with {_corpus_place(known)} (labels {_shown(known.labels)}); "
                    f"this row has labels {_shown(row.labels)}",
                )
            else:
                repeats.append(f"{_place(row)} = {_corpus_place(known)}")
        dup = first_exact.setdefault((row.text, row.labels), row)
        if dup is not row:
            probs.add(
                file, row.source, row.row, f"duplicate of {_place(dup)} (same text and labels)"
            )
        other = first_text.setdefault(row.text, row)
        if other is not row and other.labels != row.labels:
            probs.add(
                file,
                row.source,
                row.row,
                f"same text as {_place(other)} but different labels "
                f"({_shown(other.labels)} there, {_shown(row.labels)} here)",
            )
        key = text_key(row.text)
        if not key:
            continue
        first = near.setdefault(key, row)
        if first is not row and first.text != row.text:
            where = _corpus_place(first) if id(first) in corpus_ids else _place(first)
            differ = (
                f" (labels differ: {_shown(first.labels)} vs {_shown(row.labels)})"
                if first.labels != row.labels
                else ""
            )
            pairs.append(f"{_place(row)} ~ {where}{differ}")
    if pairs:
        warns.append(
            (
                f"{len(pairs)} near-duplicate pair(s) (texts equal apart from punctuation, "
                "spacing or character forms): " + _listing(pairs),
                NearDuplicateWarning,
            )
        )
    if repeats:
        warns.append(
            (
                f"{len(repeats)} row(s) repeat a bundled row with the same labels "
                "(they add no information and will count twice): " + _listing(repeats),
                UserWarning,
            )
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:_MAX_PAIRS])
    more = len(items) - _MAX_PAIRS
    return shown + (f"; ... and {more} more" if more > 0 else "")
