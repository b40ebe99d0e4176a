"""Reading and validating any mix of labelled-data files (:func:`read_labelled`)."""

from __future__ import annotations

import codecs
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..exceptions import LabelFileError
from ..taxonomy import Taxonomy, load_taxonomy
from .csvlike import _read_delimited
from .detect import _EXCEL_EXT, _decode, _read_bytes, _sniff_excel, _sniff_text, _unsupported
from .duplicates import _check_duplicates
from .excel import _read_excel
from .jsonl import _read_jsonl
from .labelstudio import _read_label_studio
from .rows import LabelledRow, _Problems, _Raw
from .validate import _finish, _Resolver

__all__ = ["read_labelled"]


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
