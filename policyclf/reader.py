"""Compatibility module: the reader now lives in :mod:`policyclf.readers`.

``from policyclf.reader import read_document, parse_document, …`` keeps working.
"""

from __future__ import annotations

from .readers import (
    HEADING_LEVELS,
    Document,
    Dropped,
    Heading,
    HeadingNode,
    Paragraph,
    Sentence,
    decode_bytes,
    parse_document,
    read_document,
    split_sentences,
)

__all__ = [
    "HEADING_LEVELS",
    "Document",
    "Dropped",
    "Heading",
    "HeadingNode",
    "Paragraph",
    "Sentence",
    "decode_bytes",
    "parse_document",
    "read_document",
    "split_sentences",
]
