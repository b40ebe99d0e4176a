"""Read many documents at once: a folder, a glob, a list of paths, or a table of documents.

:func:`read_corpus` returns one row per document (the contract below is stable: the
``analysis`` layer and the CLI build on it); :func:`iter_documents` yields the same documents
one at a time, with the parsed :class:`~policyclf.readers.document.Document` (headings
included), for streaming.
"""

from __future__ import annotations

import glob as globlib
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from ..exceptions import DocumentReadError, MissingDependencyError
from .document import METADATA_FIELDS, Document
from .files import DOCUMENT_FORMATS, read_file
from .layout import parse_document
from .metadata import iso_date
from .tables import TABLE_FORMATS, read_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CORPUS_COLUMNS",
    "SIDECAR_NAMES",
    "CorpusItem",
    "Source",
    "iter_documents",
    "read_corpus",
]

#: The fixed columns of :func:`read_corpus`, in order; metadata columns go before ``text``.
CORPUS_COLUMNS = ("doc", "path", "format", *METADATA_FIELDS, "text", "error")
#: Sidecar metadata files looked for at the top of a folder.
SIDECAR_NAMES = ("metadata.csv", "metadata.tsv", "metadata.jsonl", "metadata.xlsx")
#: Columns a sidecar may use for the file name.
_KEY_COLUMNS = ("file", "path", "doc", "filename", "name", "id")
_GLOB_CHARS = frozenset("*?[")

Source = Union[str, os.PathLike, Sequence[str | os.PathLike], "pd.DataFrame"]


@dataclass
class CorpusItem:
    """One document of a corpus: its row of :func:`read_corpus` plus the parsed document.

    ``document`` is None when the document could not be read (``error`` says why) and for
    rows of a table (parse ``text`` with :func:`~policyclf.readers.parse_document`).
    """

    doc: str
    path: str
    format: str
    text: str
    error: str
    metadata: dict[str, Any] = field(default_factory=dict)
    document: Document | None = None

    def row(self) -> dict[str, Any]:
        """The item as a :func:`read_corpus` row (metadata columns before ``text``)."""
        out: dict[str, Any] = {"doc": self.doc, "path": self.path, "format": self.format}
        for k in METADATA_FIELDS:
            out[k] = self.metadata.get(k, "")
        for k, v in self.metadata.items():
            if k not in out:
                out[k] = v
        out["text"] = self.text
        out["error"] = self.error
        return out

    def to_document(self) -> Document:
        """The parsed document (parsing ``text`` for table rows); empty for an error row."""
        if self.document is not None:
            return self.document
        return parse_document(
            self.text, source=self.path or None, format=self.format, metadata=self.metadata
        )


def read_corpus(
    source: Source,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    metadata: str | os.PathLike[str] | pd.DataFrame | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a corpus of documents into a DataFrame, one row per document; nothing is lost.

    ``source`` is one of:

    * a **folder**: every file in it and its subfolders (hidden files and the sidecar aside),
      sorted by relative path. Files with a document extension (.txt .md .html .htm .shtml
      .xhtml .docx .pdf, see :mod:`policyclf.readers.files`) are read; any other file
      (.doc, .jpg, a table…) gets an error row saying it is not a document format read;
    * a **glob** (``"docs/**/*.html"``, recursive ``**`` allowed) or a **list of paths**
      (folders in it are expanded); a single document path gives one row;
    * a **table of documents**, one document per row: a pandas DataFrame or a
      CSV/TSV/JSONL/JSON/Excel file path, with the text in ``text_col`` and any other columns
      as metadata.

    Columns, in this order (stable):

    ``doc``
        the document's id: the path relative to the folder (POSIX ``/``), the path as given
        for a glob or list, the ``id_col`` value for a table (else the 1-based row number);
    ``path``
        the file read ("" for a DataFrame row; the table file for a table-file row);
    ``format``
        ``text``, ``html``, ``docx``, ``pdf``, or ``table`` (a row of a table); for an
        error row of a file, the format its extension names (or its extension);
    ``title``, ``date``, ``issuer``, ``doc_number``
        what the document states (HTML meta tags, Word properties, the page's information
        box, the title heading, a 发文字号 line such as 鲁政发〔2018〕3号, the signature); a
        table's or sidecar's columns of these names override them. ``date`` is ISO
        (``YYYY-MM-DD``, or ``YYYY-MM``/``YYYY`` when less is known); "" when unknown;
    *metadata columns*
        the table's other columns, or the sidecar's (``metadata``: a CSV/TSV/JSONL/Excel file
        or DataFrame with a ``file`` column — or ``path``/``doc``/``filename``/``name``/``id``
        — naming each document by its relative path or bare file name; for a folder, a
        ``metadata.csv`` (or .tsv/.jsonl/.xlsx) at its top is used when ``metadata`` is not
        given). Documents the sidecar does not name get missing values;
    ``text``
        the document's plain text, one paragraph or heading per line, ready for
        :func:`~policyclf.readers.parse_document` (use that, not ``read_document``, which
        takes a one-line string naming a file as a path). For .txt files it is the decoded
        file (offsets match the file); for HTML/Word/PDF the extracted text (scripts,
        navigation and page chrome removed; page furniture lines stay and the reader drops
        them). Not passed through :func:`policyclf.text.normalize` (tagging does that). Headings
        known only from markup (an unnumbered ``<h2>``, a Word heading style) are kept by
        :func:`iter_documents` / :func:`~policyclf.readers.read_file`, not by the text;
    ``error``
        "" or why the document could not be read, starting with the file (and row) name:
        corrupt or encrypted file, zip bomb, image-only PDF, over a size limit
        (:mod:`policyclf.readers.limits`), wrong extension, undecodable bytes, missing optional
        package, empty or non-text table cell. Such rows have ``text`` "".

    Files are read one at a time, each within the size limits, so memory stays bounded by
    the largest document and the result.

    Raises:
        FileNotFoundError: ``source`` (or a path in the list) does not exist, or a glob
            matches nothing.
        DocumentReadError: the table file or the sidecar cannot be read, or lacks its key or
            text column.
        KeyError: ``text_col`` or ``id_col`` is not a column of the table.
    """
    import pandas as pd

    rows = [
        item.row()
        for item in iter_documents(
            source, text_col=text_col, id_col=id_col, metadata=metadata, encoding=encoding
        )
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(CORPUS_COLUMNS))
    extra = [c for c in frame.columns if c not in CORPUS_COLUMNS]
    order = [*CORPUS_COLUMNS[:-2], *extra, "text", "error"]
    return frame[order].reset_index(drop=True)


def iter_documents(
    source: Source,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    metadata: str | os.PathLike[str] | pd.DataFrame | None = None,
    encoding: str | None = None,
) -> Iterator[CorpusItem]:
    """Yield the documents of ``source`` one at a time (see :func:`read_corpus`).

    Items of files carry the parsed ``document`` (headings from markup included); rows of a
    table carry the text only (:meth:`CorpusItem.to_document` parses it).
    """
    if _is_frame(source):
        yield from _table_items(source, "", text_col, id_col, _load_sidecar(metadata, encoding))
        return
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        path = Path(text)
        if path.is_dir():
            sidecar_path = metadata
            if sidecar_path is None:
                found = [path / n for n in SIDECAR_NAMES if (path / n).is_file()]
                sidecar_path = found[0] if found else None
            sidecar = _load_sidecar(sidecar_path, encoding)
            skip = (
                {Path(os.fspath(sidecar_path)).resolve()}
                if isinstance(sidecar_path, (str, os.PathLike))
                else set()
            )
            files = _walk(path, skip)
            yield from _file_items(
                ((f.relative_to(path).as_posix(), f) for f in files), sidecar, encoding
            )
            return
        if path.is_file() and path.suffix.lower() in TABLE_FORMATS:
            frame = read_table(path, encoding=encoding)
            yield from _table_items(
                frame, str(path), text_col, id_col, _load_sidecar(metadata, encoding)
            )
            return
        if path.is_file():
            yield from _file_items([(text, path)], _load_sidecar(metadata, encoding), encoding)
            return
        if any(c in _GLOB_CHARS for c in text):
            matches = sorted(globlib.glob(text, recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise FileNotFoundError(f"no file matches {text!r}")
            yield from _file_items(
                ((str(f), f) for f in files), _load_sidecar(metadata, encoding), encoding
            )
            return
        raise FileNotFoundError(f"no such file or folder: {text!r}")
    if isinstance(source, Iterable):
        pairs: list[tuple[str, Path]] = []
        for entry in source:
            if not isinstance(entry, (str, os.PathLike)):
                raise TypeError(
                    f"read_corpus: a list of paths may hold only str or paths, not "
                    f"{type(entry).__name__}"
                )
            p = Path(os.fspath(entry))
            if p.is_dir():
                pairs.extend((f.as_posix(), f) for f in _walk(p, set()))
            elif p.exists():
                pairs.append((os.fspath(entry), p))
            else:
                raise FileNotFoundError(f"no such file or folder: {os.fspath(entry)!r}")
        yield from _file_items(pairs, _load_sidecar(metadata, encoding), encoding)
        return
    raise TypeError(
        "read_corpus expects a folder, a glob, a list of paths or a DataFrame, not "
        f"{type(source).__name__}"
    )


# ------------------------------------------------------------------------------ files


def _walk(folder: Path, skip: set[Path]) -> list[Path]:
    out: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for n in sorted(names):
            if n.startswith(".") or n.startswith("~$"):
                continue  # hidden files and Office lock files
            p = Path(root) / n
            if p.resolve() in skip or (Path(root) == folder and n in SIDECAR_NAMES):
                continue
            out.append(p)
    return sorted(out, key=lambda p: p.relative_to(folder).as_posix())


def _file_items(
    pairs: Iterable[tuple[str, Path]], sidecar: _Sidecar | None, encoding: str | None
) -> Iterator[CorpusItem]:
    for doc_id, path in pairs:
        extra = sidecar.lookup(doc_id, path) if sidecar is not None else {}
        yield _read_one(doc_id, path, extra, encoding)


def _read_one(
    doc_id: str, path: Path, extra: Mapping[str, Any], encoding: str | None
) -> CorpusItem:
    suffix = path.suffix.lower()
    fmt = DOCUMENT_FORMATS.get(suffix)
    name = str(path)
    if fmt is None:
        what = "a table" if suffix in TABLE_FORMATS else f"a {suffix or 'extensionless'} file"
        hint = " (save it as .docx)" if suffix in (".doc", ".wps", ".rtf") else ""
        error = (
            f"{name}: {what} is not a document format policyclf reads{hint}; documents are "
            f"{', '.join(sorted(s for s in DOCUMENT_FORMATS if s))}"
        )
        return CorpusItem(
            doc_id, name, suffix.lstrip(".") or "unknown", "", error, _with_extra({}, extra)
        )
    try:
        if encoding is not None and fmt == "text":
            document = _read_text_with(path, encoding)
        else:
            document = read_file(path)
    except (DocumentReadError, MissingDependencyError, OSError) as err:
        message = str(err)
        if not message.startswith(name):
            message = f"{name}: {message}"
        return CorpusItem(doc_id, name, fmt, "", message, _with_extra({}, extra))
    except MemoryError:
        return CorpusItem(
            doc_id, name, fmt, "", f"{name}: out of memory while reading", _with_extra({}, extra)
        )
    meta = _with_extra(dict(document.metadata), extra)
    return CorpusItem(doc_id, name, fmt, document.text, "", meta, document)


def _read_text_with(path: Path, encoding: str) -> Document:
    from . import limits
    from .files import check_length

    name = str(path)
    if path.stat().st_size > limits.MAX_TEXT_BYTES:
        return read_file(path)  # the size error
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as err:
        raise DocumentReadError(name, f"not valid {encoding} (byte offset {err.start})") from err
    except LookupError as err:
        raise DocumentReadError(name, f"unknown encoding {encoding!r}") from err
    check_length(name, text)
    return parse_document(text, source=name, encoding=encoding)


def _with_extra(meta: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: meta.get(k, "") for k in METADATA_FIELDS}
    for k, v in extra.items():
        if k in METADATA_FIELDS:
            if not _missing(v):
                out[k] = iso_date(str(v)) or str(v) if k == "date" else str(v)
        else:
            out[k] = v
    return out


# ------------------------------------------------------------------------------ tables


def _is_frame(obj: object) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns")


def _is_pathlike(obj: object) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return (isinstance(value, float) and math.isnan(value)) or value is getattr(
            __import__("pandas"), "NA", object()
        )
    except Exception:
        return False


def _table_items(
    frame: Any, table: str, text_col: str, id_col: str | None, sidecar: _Sidecar | None
) -> Iterator[CorpusItem]:
    where = table or "the DataFrame"
    if text_col not in frame.columns:
        raise KeyError(
            f"{where}: no text column {text_col!r} (columns: {', '.join(map(str, frame.columns))});"
            " pass text_col="
        )
    if id_col is not None and id_col not in frame.columns:
        raise KeyError(f"{where}: no id column {id_col!r}; pass id_col=")
    meta_cols = [c for c in frame.columns if c != text_col and c != id_col]
    reserved = {"doc", "path", "format", "text", "error"}
    for i, (_, row) in enumerate(frame.iterrows(), start=1):
        doc_id = str(row[id_col]) if id_col is not None else str(i)
        extra: dict[str, Any] = {}
        for c in meta_cols:
            key = str(c) if str(c) not in reserved else f"{c}_"
            extra[key] = row[c]
        if sidecar is not None:
            extra.update(sidecar.lookup(doc_id, None))
        meta = _with_extra({}, extra)
        value = row[text_col]
        label = f"{where}: row {i}" + (f" ({id_col}={doc_id})" if id_col else "")
        if isinstance(value, str) and value.strip():
            yield CorpusItem(doc_id, table, "table", value, "", meta)
        else:
            why = (
                "empty text"
                if isinstance(value, str) or _missing(value)
                else (f"text is a {type(value).__name__}, not a string")
            )
            yield CorpusItem(doc_id, table, "table", "", f"{label}: {why}", meta)


# ------------------------------------------------------------------------------ sidecar


class _Sidecar:
    """Metadata rows keyed by relative path and by bare file name."""

    def __init__(self, frame: Any, where: str) -> None:
        key = next((c for c in _KEY_COLUMNS if c in frame.columns), None)
        if key is None:
            raise DocumentReadError(
                where,
                "a metadata table needs a column naming each document: one of "
                + ", ".join(_KEY_COLUMNS),
            )
        self.by_path: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, dict[str, Any]] = {}
        for _, row in frame.iterrows():
            k = str(row[key]).strip().replace("\\", "/")
            values = {str(c): row[c] for c in frame.columns if c != key}
            self.by_path[k] = values
            self.by_name.setdefault(Path(k).name, values)

    def lookup(self, doc_id: str, path: Path | None) -> dict[str, Any]:
        hit = self.by_path.get(doc_id.replace("\\", "/"))
        if hit is None and path is not None:
            hit = self.by_path.get(path.as_posix()) or self.by_name.get(path.name)
        if hit is None:
            hit = self.by_name.get(Path(doc_id).name)
        if hit is None:
            return {k: None for k in next(iter(self.by_path.values()), {})}
        return dict(hit)


def _load_sidecar(
    metadata: str | os.PathLike[str] | pd.DataFrame | None, encoding: str | None
) -> _Sidecar | None:
    if metadata is None:
        return None
    if _is_frame(metadata):
        return _Sidecar(metadata, "the metadata DataFrame")
    if _is_pathlike(metadata):
        path = Path(os.fspath(metadata))  # type: ignore[arg-type]
        if not path.is_file():
            raise FileNotFoundError(f"no such metadata file: {str(path)!r}")
        return _Sidecar(read_table(path, encoding=encoding), str(path))
    raise TypeError(f"metadata must be a path or a DataFrame, not {type(metadata).__name__}")
