"""Reading the inputs of ``policyclf tag`` as a stream of :class:`Unit` s.

Every reader is lazy (a file of any length is read in bounded memory) and yields exactly one
unit per input row — one per sentence with ``sentences=True`` — in order. A row that cannot be
tagged (a missing, empty or non-text cell, an empty line or TEXT argument, undecodable bytes, a
ragged CSV row, a line that is not a JSON object) still yields a unit, whose ``error`` says
why, naming the row or line.
Undecodable bytes are read with ``surrogateescape`` and flagged per row instead of aborting.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._common import CLIError, UsageError

if TYPE_CHECKING:
    from policyclf.model import Model, Tag

__all__ = [
    "INPUT_KINDS",
    "OUTPUT_FIELDS",
    "SENTENCE_FIELDS",
    "Source",
    "Unit",
    "make_source",
]

#: The input formats :func:`make_source` reads.
INPUT_KINDS = ("texts", "lines", "document", "csv", "tsv", "jsonl", "excel")

#: Output fields added to every row; an input column with one of these names is refused.
OUTPUT_FIELDS = ("labels", "scores", "evidence", "error")

#: Fields added to each row with ``sentences=True``.
SENTENCE_FIELDS = ("sentence", "start", "end")


@dataclass
class Unit:
    """One text to tag (or a row that cannot be tagged, with ``error`` saying why).

    ``fields`` are the row's output fields before the tagging results (the input's columns,
    or ``line``/``paragraph``/``sentence`` numbers and the text); ``key`` is the short id the
    table shows; ``headings`` the headings in force (documents).
    """

    key: str
    fields: dict[str, Any]
    text: str
    error: str = ""
    headings: str = ""


@dataclass
class Source:
    """The units of one input, with what the output needs to know about it.

    ``fields`` are the output fields known before the first row (a CSV header), ``kind`` the
    input format; documents also give their ``profile`` and number of ``paragraphs``.
    """

    fields: list[str] | None  # output fields known before the first row (CSV header)
    pairs: Iterator[tuple[Unit, Tag | None]]
    kind: str
    profile: dict[str, float] | None = None
    paragraphs: int = 0


def make_source(
    kind: str,
    *,
    texts: Sequence[str] = (),
    binary: IO[bytes] | None = None,
    name: str = "",
    encoding: str = "utf-8",
    text_col: str = "text",
    sentences: bool = False,
    model: Model | None = None,
) -> Source:
    """Read an input of ``kind`` (see :data:`INPUT_KINDS`) lazily into units.

    ``texts`` for ``"texts"``; ``binary`` (an open byte stream) for ``"lines"``, ``"csv"``,
    ``"tsv"`` and ``"jsonl"``, optional for ``"document"``/``"excel"`` (else ``name`` is the
    path); ``model`` tags documents (``tag_document``), so document units come with their tags.

    Raises:
        CLIError: the input cannot be read at all (bad header, missing text column, …).
    """
    if kind == "texts":
        return Source(
            ["input", *SENTENCE_FIELDS, "text"] if sentences else ["text"],
            _untagged(_text_units(list(texts), sentences)),
            kind,
        )
    if kind == "lines":
        assert binary is not None
        return Source(
            ["line", *SENTENCE_FIELDS, "text"] if sentences else ["line", "text"],
            _untagged(_line_units(binary, encoding, sentences)),
            kind,
        )
    if kind == "document":
        if model is None:
            raise ValueError("a document is tagged while it is read: pass model=")
        return _document_source(model, binary, name, sentences)
    if kind in {"csv", "tsv"}:
        assert binary is not None
        delimiter = "\t" if kind == "tsv" else ","
        header, units = _table_units(binary, name, delimiter, text_col, encoding, sentences)
        return Source(header, _untagged(units), kind)
    if kind == "jsonl":
        assert binary is not None
        return Source(
            None, _untagged(_jsonl_units(binary, name, text_col, encoding, sentences)), kind
        )
    if kind == "excel":
        data = binary.read() if binary is not None else None
        header, units = _excel_units(data, name, text_col, sentences)
        return Source(header, _untagged(units), kind)
    raise UsageError(f"unknown input format {kind!r}")  # pragma: no cover - argparse checks


def _untagged(units: Iterable[Unit]) -> Iterator[tuple[Unit, Tag | None]]:
    for unit in units:
        yield unit, None


def _split(unit: Unit, text_field: str, sentences: bool) -> Iterator[Unit]:
    """The unit itself, or one unit per sentence of its text (errors stay one unit)."""
    if not sentences or unit.error:
        if sentences:
            unit.fields.update(dict.fromkeys(SENTENCE_FIELDS, None))
        yield unit
        return
    from policyclf.readers import split_sentences

    parts = split_sentences(unit.text)
    if not parts:
        unit.fields.update(dict.fromkeys(SENTENCE_FIELDS, None))
        unit.error = "no sentence in the text"
        yield unit
        return
    for j, s in enumerate(parts, start=1):
        fields = dict(unit.fields)
        fields.update(sentence=j, start=s.start, end=s.end)
        fields[text_field] = s.text
        yield Unit(f"{unit.key}.{j}", fields, s.text, headings=unit.headings)


def _text_units(texts: list[str], sentences: bool) -> Iterator[Unit]:
    for i, text in enumerate(texts, start=1):
        fields: dict[str, Any] = {"input": i, "text": text} if sentences else {"text": text}
        problem = _value_problem(text, "utf-8")
        unit = Unit(
            str(i), fields, "" if problem else text, f"text {i}: {problem}" if problem else ""
        )
        yield from _split(unit, "text", sentences)


def _text_stream(binary: IO[bytes], encoding: str, newline: str | None) -> io.TextIOWrapper:
    """Decode a byte stream; undecodable bytes become lone surrogates, flagged per row later."""
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    return io.TextIOWrapper(
        binary, encoding=codec, errors="surrogateescape", newline=newline, write_through=True
    )


def _release(stream: io.TextIOWrapper) -> None:
    """Let go of a text wrapper without closing the byte stream under it (e.g. stdin)."""
    with contextlib.suppress(ValueError):  # already closed: nothing to release
        stream.detach()


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text) if not text.isascii() else False


def _cleaned(text: str) -> str:
    """``text`` with undecodable bytes (lone surrogates) shown as U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _line_units(binary: IO[bytes], encoding: str, sentences: bool) -> Iterator[Unit]:
    stream = _text_stream(binary, encoding, None)
    try:
        for n, raw in enumerate(stream, start=1):
            line = raw.rstrip("\n")
            if not line.strip():  # an empty text, like an empty CSV cell: a row with an error
                unit = Unit(str(n), {"line": n, "text": line}, "", f"line {n}: empty text")
            elif _undecodable(line):
                fields = {"line": n, "text": _cleaned(line)}
                unit = Unit(str(n), fields, "", f"line {n}: bytes that are not valid {encoding}")
            else:
                unit = Unit(str(n), {"line": n, "text": line}, line)
            yield from _split(unit, "text", sentences)
    finally:
        _release(stream)


def _document_source(model: Model, binary: IO[bytes] | None, name: str, sentences: bool) -> Source:
    if binary is not None:  # a document on standard input
        from policyclf.readers import decode_bytes

        try:  # the reader's own decoding: offsets match those of the same text read from --file
            text, _ = decode_bytes(binary.read(), name or "standard input")
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        # a one-line text that happens to name (or look like) a file must not be read as a path
        source: str = text if "\n" in text else text + "\n"
    else:
        source = name
    doc = model.tag_document(source if binary is not None else Path(source))
    fields = ["paragraph", *(["sentence"] if sentences else []), "headings", "start", "end", "text"]

    def pairs() -> Iterator[tuple[Unit, Tag | None]]:
        for i, pt in enumerate(doc.paragraphs, start=1):
            headings = " > ".join(pt.paragraph.headings)
            if not sentences:
                p = pt.paragraph
                row = {
                    "paragraph": i,
                    "headings": headings,
                    "start": p.start,
                    "end": p.end,
                    "text": p.text,
                }
                yield Unit(str(i), row, p.text, headings=headings), pt.tag
                continue
            for j, (s, tag) in enumerate(pt.sentences, start=1):
                row = {
                    "paragraph": i,
                    "sentence": j,
                    "headings": headings,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                }
                yield Unit(f"{i}.{j}", row, s.text, headings=headings), tag

    return Source(fields, pairs(), "document", doc.profile, len(doc.paragraphs))


def _value_problem(value: object, encoding: str) -> str:
    """Why a cell cannot be tagged ('' when it can)."""
    if isinstance(value, str):
        if _undecodable(value):
            return f"bytes that are not valid {encoding}"
        return "" if value.strip() else "empty text"
    if value is None:
        return "missing"
    if isinstance(value, float) and math.isnan(value):
        return "empty cell"
    if value.__class__.__name__ in {"NAType", "NaTType"}:
        return "empty cell"
    if isinstance(value, bool):
        return "not text (true/false)"
    if isinstance(value, (int, float)):
        return f"not text (a number: {value!r})"
    if isinstance(value, list):
        return "not text (a list)"
    if isinstance(value, dict):
        return "not text (an object)"
    if isinstance(value, bytes):
        return "not text (bytes)"
    return f"not text ({type(value).__name__})"


def _check_columns(
    names: Sequence[str], name: str, text_col: str, sentences: bool, what: str
) -> str:
    """The column holding the text; refuses duplicates and names the output would overwrite."""
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CLIError(f"{name}: duplicate {what} names {dupes}; rename them")
    if text_col not in names:
        matches = [n for n in names if n.strip().casefold() == text_col.strip().casefold()]
        if len(matches) == 1:
            text_col = matches[0]
        else:
            raise CLIError(_missing_column_message(names, name, text_col, what))
    _check_clashes(names, name, sentences, what)
    return text_col


def _check_clashes(names: Iterable[str], name: str, sentences: bool, what: str) -> None:
    taken = set(OUTPUT_FIELDS) | (set(SENTENCE_FIELDS) if sentences else set())
    clashes = [n for n in names if n in taken or n.startswith("score_")]
    if clashes:
        message = (
            f"{name}: the input already has {what}s named {clashes}, which the output adds; "
            f"rename them (e.g. to gold_{clashes[0]})"
        )
        if "labels" in clashes:
            message += (
                f"; to score the model against the gold labels in it, run "
                f"`policyclf evaluate {name}`"
            )
        raise CLIError(message)


def _missing_column_message(names: Sequence[str], name: str, text_col: str, what: str) -> str:
    known = ("text", "文本", "内容", "content", "sentence", "paragraph", "段落", "句子")
    hint = next((n for n in names if n.strip().casefold() in known), None)
    shown = ", ".join(repr(n) for n in names[:20]) or "none"
    msg = f"{name}: no {what} {text_col!r} (the {what}s are {shown})"
    if hint is not None:
        msg += f"; pass --text-col {hint}"
    else:
        msg += "; pass --text-col NAME"
    return msg


def _table_units(
    binary: IO[bytes],
    name: str,
    delimiter: str,
    text_col: str,
    encoding: str,
    sentences: bool,
) -> tuple[list[str], Iterator[Unit]]:
    stream = _text_stream(binary, encoding, "")
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CLIError(f"{name}: line 1: not valid CSV ({exc})") from None
    if header is None:
        _release(stream)
        return [], iter(())
    if any(_undecodable(h) for h in header):
        raise CLIError(
            f"{name}: the header row is not valid {encoding}; pass --encoding (e.g. gb18030)"
        )
    col = _check_columns(header, name, text_col, sentences, "column")
    index = header.index(col)
    out_fields = [*header, *SENTENCE_FIELDS] if sentences else list(header)

    def units() -> Iterator[Unit]:
        try:
            row = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise CLIError(
                        f"{name}: line {reader.line_num}: not valid CSV ({exc})"
                    ) from None
                row += 1
                if not cells:
                    continue  # a blank line is not a row
                fields: dict[str, Any] = dict(zip(header, cells, strict=False))
                fields.update((h, "") for h in header[len(cells) :])
                value = cells[index] if index < len(cells) else None
                problem = _value_problem(value, encoding)
                if len(cells) > len(header):
                    problem = (
                        f"{len(cells)} fields but the header has {len(header)} (check the quoting)"
                    )
                elif value is None:
                    problem = f"no {col!r} cell (the row has only {len(cells)} field(s))"
                for k, v in fields.items():
                    if isinstance(v, str) and _undecodable(v):
                        fields[k] = _cleaned(v)
                        problem = problem or f"bytes that are not valid {encoding} in {k!r}"
                text = value if isinstance(value, str) and not problem else ""
                unit = Unit(str(row), fields, text, f"row {row}: {problem}" if problem else "")
                yield from _split(unit, col, sentences)
        finally:
            _release(stream)

    return out_fields, units()


def _jsonl_units(
    binary: IO[bytes], name: str, text_col: str, encoding: str, sentences: bool
) -> Iterator[Unit]:
    stream = _text_stream(binary, encoding, None)
    try:
        for n, raw in enumerate(stream, start=1):
            line = raw.strip()
            if not line:
                continue
            key = str(n)
            if _undecodable(line):
                yield Unit(key, {}, "", f"line {n}: bytes that are not valid {encoding}")
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                yield Unit(key, {}, "", f"line {n}: not valid JSON ({exc})")
                continue
            if not isinstance(record, dict):
                yield Unit(key, {}, "", f"line {n}: a JSON {_json_kind(record)}, not an object")
                continue
            taken = set(OUTPUT_FIELDS) | (set(SENTENCE_FIELDS) if sentences else set())
            clashes = [k for k in record if k in taken or k.startswith("score_")]
            if clashes:
                yield Unit(
                    key,
                    record,
                    "",
                    f"line {n}: the object already has keys {clashes}, which the output adds",
                )
                continue
            if text_col not in record:
                problem = f"no key {text_col!r} (keys: {', '.join(list(record)[:10]) or 'none'})"
            else:
                problem = _value_problem(record[text_col], encoding)
            if problem:
                yield from _split(
                    Unit(key, record, "", f"line {n}: {problem}"), text_col, sentences
                )
            else:
                unit = Unit(key, record, record[text_col])
                yield from _split(unit, text_col, sentences)
    finally:
        _release(stream)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "number"


def _excel_units(
    data: bytes | None, name: str, text_col: str, sentences: bool
) -> tuple[list[str], Iterator[Unit]]:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise CLIError(
            f"{name}: reading Excel files needs openpyxl: pip install 'policyclf[excel]'"
        ) from None
    import pandas as pd

    try:
        frame = pd.read_excel(io.BytesIO(data) if data is not None else name, dtype=object)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CLIError(f"{name}: cannot read as an Excel workbook ({exc})") from None
    header = [str(c) for c in frame.columns]
    col = _check_columns(header, name, text_col, sentences, "column")
    out_fields = [*header, *SENTENCE_FIELDS] if sentences else header

    def units() -> Iterator[Unit]:
        for i, values in enumerate(frame.itertuples(index=False, name=None)):
            row = i + 2
            fields = {h: _excel_value(v) for h, v in zip(header, values, strict=True)}
            value = values[header.index(col)]
            problem = _value_problem(value, "the workbook")
            text = value if isinstance(value, str) and not problem else ""
            unit = Unit(str(row), fields, text, f"row {row}: {problem}" if problem else "")
            yield from _split(unit, col, sentences)

    return out_fields, units()


def _excel_value(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value.__class__.__name__ in {"NAType", "NaTType"}:
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
