"""The bundled corpus: paragraphs and sentences of the raw document, and their labels.

``corpus/raw/000_da80483b1a4d3646.txt`` (a book section on four cities' innovation practice)
is read with :func:`policyclf.reader.read_document` into ``corpus/paragraphs.jsonl`` and
``corpus/sentences.jsonl``; ``python -m policyclf.corpus`` regenerates them and
``python -m policyclf.corpus --check`` fails when they are out of date.

Ids
---
A paragraph id is ``f"{city}-{sec:02d}-{n}"``: ``city`` the city slug of :data:`CITIES`,
``sec`` the number of the enclosing ``(N)`` subsection heading under the city (``00`` for
paragraphs directly under the city heading), ``n`` the 1-based index of the paragraph within
that subsection (``jinan-00-1``, ``jinan-01-1``, ``jinjiang-01-1``). A sentence id is
``f"{paragraph_id}-s{k}"`` with ``k`` 1-based. Offsets are character offsets into the raw file
decoded as UTF-8: ``raw[start:end] == text``.

Labels
------
``labels/paragraphs.csv`` and ``labels/sentences.csv`` have columns ``id``, ``labels`` (taxonomy
ids separated by ``;``, empty for no measure) and ``note``. Every corpus id is labelled exactly
once. **The paragraph–sentence rule:** a paragraph's labels are exactly the union of its
sentences' labels; :func:`check_consistency` lists every paragraph that breaks it.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from policyclf.exceptions import LabelFileError
from policyclf.readers import Document, Paragraph, read_document
from policyclf.resources import data_path

__all__ = [
    "CITIES",
    "RAW_NAME",
    "RAW_SHA256",
    "LabelledText",
    "build_corpus",
    "check_consistency",
    "check_corpus",
    "corpus_records",
    "format_label_counts",
    "label_counts",
    "labelled_corpus",
    "load_labels",
    "load_paragraphs",
    "load_sentences",
    "main",
]

Level = Literal["paragraph", "sentence"]

#: City name as it appears in the cn_num heading → (slug, province).
CITIES: dict[str, tuple[str, str]] = {
    "济南市": ("jinan", "山东省"),
    "郑州市": ("zhengzhou", "河南省"),
    "常州市": ("changzhou", "江苏省"),
    "晋江市": ("jinjiang", "福建省"),
}

#: File name of the raw document under ``corpus/raw/``.
RAW_NAME = "000_da80483b1a4d3646.txt"
#: SHA-256 of the raw document's bytes (the seed it was copied from).
RAW_SHA256 = "bcde44a1bc5c5d91813a9d3a23ee978fbf2015fa79d0ef854fa487c0b866853b"

PARAGRAPHS_FILE = "paragraphs.jsonl"
SENTENCES_FILE = "sentences.jsonl"
_LABEL_FILES: dict[str, str] = {"paragraph": "paragraphs.csv", "sentence": "sentences.csv"}


@dataclass(frozen=True)
class LabelledText:
    """A corpus text with its labels; ``group`` is the city slug (for grouped splits)."""

    id: str
    text: str
    labels: tuple[str, ...]
    group: str


# --------------------------------------------------------------------------------------------
# Building


def _raw_path() -> Path:
    return data_path("corpus", "raw", RAW_NAME)


def _city_and_section(doc: Document, paragraph: Paragraph) -> tuple[str, str, int]:
    city: tuple[str, str] | None = None
    section = 0
    for heading in doc.heading_path(paragraph):
        if heading.style == "cn_num" and heading.title in CITIES:
            city = CITIES[heading.title]
            section = 0
        elif heading.style == "arabic_paren" and city is not None:
            section = int(heading.marker.strip("()（）").translate(_FULLWIDTH_DIGITS))
    if city is None:
        where = f"{doc.source}:{paragraph.start}" if doc.source else str(paragraph.start)
        raise ValueError(
            f"{where}: paragraph {paragraph.text[:20]!r} is under no city heading "
            f"(one of {', '.join(CITIES)})"
        )
    return city[0], city[1], section


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def corpus_records(
    doc: Document, doc_name: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The paragraph and sentence records of a read document (see the module docstring)."""
    paragraphs: list[dict[str, Any]] = []
    sentences: list[dict[str, Any]] = []
    counters: dict[tuple[str, int], int] = {}
    for paragraph in doc.paragraphs:
        city, province, section = _city_and_section(doc, paragraph)
        n = counters[(city, section)] = counters.get((city, section), 0) + 1
        pid = f"{city}-{section:02d}-{n}"
        paragraphs.append(
            {
                "id": pid,
                "doc": doc_name,
                "city": city,
                "province": province,
                "headings": list(paragraph.headings),
                "lead": paragraph.lead,
                "text": paragraph.text,
                "start": paragraph.start,
                "end": paragraph.end,
            }
        )
        for k, sentence in enumerate(paragraph.sentences, start=1):
            sentences.append(
                {
                    "id": f"{pid}-s{k}",
                    "paragraph": pid,
                    "text": sentence.text,
                    "start": sentence.start,
                    "end": sentence.end,
                }
            )
    return paragraphs, sentences


def _doc_name(raw: Path, out: Path) -> str:
    try:
        return raw.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return raw.name


def _jsonl(records: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _generate(
    raw: Path | None, out: Path | None
) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    raw = raw if raw is not None else _raw_path()
    out = out if out is not None else data_path("corpus")
    doc = read_document(raw)
    paragraphs, sentences = corpus_records(doc, _doc_name(raw, out))
    return out, paragraphs, sentences


def build_corpus(
    raw: Path | None = None, out: Path | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read ``raw`` (default: the bundled raw document) and write the jsonl files into ``out``.

    ``out`` defaults to the ``corpus/`` data folder. Returns the paragraph and sentence records.
    """
    out, paragraphs, sentences = _generate(raw, out)
    out.mkdir(parents=True, exist_ok=True)
    for name, records in ((PARAGRAPHS_FILE, paragraphs), (SENTENCES_FILE, sentences)):
        (out / name).write_text(_jsonl(records), encoding="utf-8", newline="\n")
    return paragraphs, sentences


def check_corpus(raw: Path | None = None, out: Path | None = None) -> list[str]:
    """Differences between the jsonl files in ``out`` and what the reader produces now."""
    out, paragraphs, sentences = _generate(raw, out)
    problems: list[str] = []
    for name, records in ((PARAGRAPHS_FILE, paragraphs), (SENTENCES_FILE, sentences)):
        path = out / name
        expected = _jsonl(records)
        try:
            actual = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(f"{path}: missing")
            continue
        if actual != expected:
            diff = difflib.unified_diff(
                actual.splitlines(),
                expected.splitlines(),
                fromfile=f"{path} (on disk)",
                tofile=f"{path} (reader now)",
                lineterm="",
                n=0,
            )
            lines = list(diff)
            shown = lines[:40]
            if len(lines) > len(shown):
                shown.append(f"... {len(lines) - len(shown)} more diff lines")
            problems.append("\n".join(shown))
    return problems


# --------------------------------------------------------------------------------------------
# Loading


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                records.append(json.loads(line))
    return records


def load_paragraphs() -> list[dict[str, Any]]:
    """The paragraph records of ``corpus/paragraphs.jsonl``, in document order."""
    return _read_jsonl(data_path("corpus", PARAGRAPHS_FILE))


def load_sentences() -> list[dict[str, Any]]:
    """The sentence records of ``corpus/sentences.jsonl``, in document order."""
    return _read_jsonl(data_path("corpus", SENTENCES_FILE))


def _corpus_ids(level: Level) -> list[str]:
    records = load_paragraphs() if level == "paragraph" else load_sentences()
    return [r["id"] for r in records]


def _taxonomy_ids() -> tuple[str, ...]:
    from policyclf.taxonomy import load_taxonomy

    return tuple(load_taxonomy().ids)


def load_labels(
    level: Level,
    *,
    path: Path | None = None,
    valid_ids: Iterable[str] | None = None,
    corpus_ids: Iterable[str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Labels per corpus id, read from ``labels/paragraphs.csv`` or ``labels/sentences.csv``.

    Columns ``id``, ``labels`` (ids separated by ``;``, empty for none) and ``note`` (UTF-8,
    an Excel byte-order mark is accepted). Every corpus id must be labelled exactly once, no
    unknown id may appear and every label must be a taxonomy id; otherwise a
    :class:`~policyclf.exceptions.LabelFileError` lists every problem with the file, row
    number (the header is row 1) and value. Labels come back in taxonomy order.

    ``path``, ``valid_ids`` (default: the taxonomy's ids) and ``corpus_ids`` (default: the
    ids of the corpus at ``level``) override the defaults, e.g. for checking a draft file.
    """
    if level not in _LABEL_FILES:
        raise ValueError(f"level must be 'paragraph' or 'sentence', not {level!r}")
    path = path if path is not None else data_path("labels", _LABEL_FILES[level])
    valid = tuple(valid_ids) if valid_ids is not None else _taxonomy_ids()
    order = {label: i for i, label in enumerate(valid)}
    expected = list(corpus_ids) if corpus_ids is not None else _corpus_ids(level)
    expected_set = set(expected)

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise LabelFileError([f"{path}: file not found"]) from None
    except UnicodeDecodeError as err:
        raise LabelFileError([f"{path}: not UTF-8 (byte offset {err.start})"]) from None
    if not rows:
        raise LabelFileError([f"{path}: empty file (expected a header id,labels,note)"])

    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("id", "labels") if c not in header]
    if missing:
        raise LabelFileError(
            [f"{path}: row 1: header {header!r} lacks column(s) {', '.join(missing)}"]
        )
    id_col, labels_col = header.index("id"), header.index("labels")

    problems: list[str] = []
    result: dict[str, tuple[str, ...]] = {}
    first_row: dict[str, int] = {}
    for row_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(id_col, labels_col):
            problems.append(f"{path}: row {row_no}: too few columns ({len(row)}): {row!r}")
            continue
        text_id = row[id_col].strip()
        if text_id not in expected_set:
            problems.append(f"{path}: row {row_no}: unknown id {text_id!r}")
            continue
        if text_id in first_row:
            problems.append(
                f"{path}: row {row_no}: id {text_id!r} already labelled in row {first_row[text_id]}"
            )
            continue
        first_row[text_id] = row_no
        raw_labels = row[labels_col].strip()
        labels: list[str] = []
        if raw_labels:
            for piece in raw_labels.split(";"):
                label = piece.strip()
                if not label:
                    problems.append(f"{path}: row {row_no}: empty label in {raw_labels!r}")
                elif label not in order:
                    problems.append(
                        f"{path}: row {row_no}: id {text_id!r}: unknown label {label!r} "
                        f"(valid: {', '.join(valid)})"
                    )
                elif label in labels:
                    problems.append(f"{path}: row {row_no}: label {label!r} repeated")
                else:
                    labels.append(label)
        result[text_id] = tuple(sorted(labels, key=order.__getitem__))
    for text_id in expected:
        if text_id not in first_row:
            problems.append(f"{path}: id {text_id!r} is not labelled")
    if problems:
        raise LabelFileError(problems)
    return {text_id: result[text_id] for text_id in expected}


def labelled_corpus(level: Level) -> list[LabelledText]:
    """The corpus texts at ``level`` with their labels, in document order."""
    labels = load_labels(level)
    records = load_paragraphs() if level == "paragraph" else load_sentences()
    groups = {p["id"]: p["city"] for p in load_paragraphs()}
    out: list[LabelledText] = []
    for r in records:
        pid = r["id"] if level == "paragraph" else r["paragraph"]
        out.append(LabelledText(r["id"], r["text"], labels[r["id"]], groups[pid]))
    return out


def label_counts() -> dict[str, dict[str, int]]:
    """Per label id (taxonomy order): ``{"paragraphs": n, "sentences": m}``.

    Also ``"none"`` (texts without a label) and ``"total"`` (all texts).
    """
    ids = _taxonomy_ids()
    counts: dict[str, dict[str, int]] = {
        key: {"paragraphs": 0, "sentences": 0} for key in (*ids, "none", "total")
    }
    levels: tuple[tuple[Level, str], ...] = (("paragraph", "paragraphs"), ("sentence", "sentences"))
    for level, column in levels:
        for labels in load_labels(level).values():
            counts["total"][column] += 1
            if not labels:
                counts["none"][column] += 1
            for label in labels:
                counts[label][column] += 1
    return counts


def format_label_counts(counts: dict[str, dict[str, int]] | None = None) -> str:
    """A small Markdown table of :func:`label_counts`."""
    counts = counts if counts is not None else label_counts()
    lines = ["| label | paragraphs | sentences |", "| --- | ---: | ---: |"]
    for key, row in counts.items():
        name = {"none": "(none)", "total": "**total**"}.get(key, f"`{key}`")
        lines.append(f"| {name} | {row['paragraphs']} | {row['sentences']} |")
    return "\n".join(lines) + "\n"


def check_consistency(
    paragraph_labels: dict[str, tuple[str, ...]] | None = None,
    sentence_labels: dict[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """Paragraphs whose labels are not exactly the union of their sentences' labels.

    Defaults to the bundled label files; returns one message per violation (empty when the
    rule holds).
    """
    if paragraph_labels is None:
        paragraph_labels = load_labels("paragraph")
    if sentence_labels is None:
        sentence_labels = load_labels("sentence")
    union: dict[str, set[str]] = {pid: set() for pid in paragraph_labels}
    for sid, labels in sentence_labels.items():
        pid = sid.rsplit("-s", 1)[0]
        union.setdefault(pid, set()).update(labels)
    problems: list[str] = []
    for pid, from_sentences in union.items():
        own = set(paragraph_labels.get(pid, ()))
        if own != from_sentences:
            extra = sorted(own - from_sentences)
            lacking = sorted(from_sentences - own)
            parts = []
            if extra:
                parts.append(f"labels {extra} on no sentence")
            if lacking:
                parts.append(f"sentence labels {lacking} missing from the paragraph")
            problems.append(f"{pid}: " + "; ".join(parts))
    return problems


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m policyclf.corpus [--check]``: regenerate or check the corpus jsonl files."""
    parser = argparse.ArgumentParser(
        prog="python -m policyclf.corpus",
        description="Regenerate corpus/paragraphs.jsonl and corpus/sentences.jsonl from the raw "
        "document, or check that they are current.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are stale")
    parser.add_argument("--raw", type=Path, default=None, help="raw document (default: bundled)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: corpus/)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check_corpus(args.raw, args.out)
        if problems:
            print("corpus files are out of date; run `python -m policyclf.corpus`:")
            for problem in problems:
                print(problem)
            return 1
        print("corpus files are up to date")
        return 0
    paragraphs, sentences = build_corpus(args.raw, args.out)
    print(f"wrote {len(paragraphs)} paragraphs and {len(sentences)} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
