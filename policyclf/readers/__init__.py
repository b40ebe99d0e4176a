"""Readers: documents in many formats → headings, paragraphs, sentences and metadata.

* :func:`read_document` — a path or a string → :class:`Document` (plain text, HTML, Word
  .docx, PDF with a text layer; see :mod:`policyclf.readers.files`);
* :func:`read_file` — one file → :class:`Document`;
* :func:`parse_document` — decoded text → :class:`Document` (the layout rules:
  :mod:`policyclf.readers.layout`);
* :func:`read_corpus` — a folder, a glob, a list of paths or a table of documents → a
  DataFrame with one row per document (:mod:`policyclf.readers.corpus`);
  :func:`iter_documents` yields them one at a time with the parsed documents.

Data flow: source → reader (bytes → text blocks + heading hints + declared metadata) →
layout (lines → furniture/residue dropped → headings, paragraphs, sentences) → Document.
"""

from __future__ import annotations

from .corpus import CORPUS_COLUMNS, CorpusItem, iter_documents, read_corpus
from .decode import decode_bytes
from .document import (
    HEADING_LEVELS,
    METADATA_FIELDS,
    Document,
    Dropped,
    Heading,
    HeadingNode,
    Paragraph,
    Sentence,
)
from .files import DOCUMENT_FORMATS, read_document, read_file
from .layout import parse_document
from .sentences import split_sentences

__all__ = [
    "CORPUS_COLUMNS",
    "DOCUMENT_FORMATS",
    "HEADING_LEVELS",
    "METADATA_FIELDS",
    "CorpusItem",
    "Document",
    "Dropped",
    "Heading",
    "HeadingNode",
    "Paragraph",
    "Sentence",
    "decode_bytes",
    "iter_documents",
    "parse_document",
    "read_corpus",
    "read_document",
    "read_file",
    "split_sentences",
]
