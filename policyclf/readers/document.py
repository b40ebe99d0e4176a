"""The read document: headings, paragraphs, sentences and what was dropped, with exact offsets.

Every offset is a character offset into ``Document.text``, and
``Document.text[obj.start:obj.end] == obj.text`` holds for every heading, paragraph, sentence
and dropped span, so results can always be traced back to the source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "HEADING_LEVELS",
    "METADATA_FIELDS",
    "Document",
    "Dropped",
    "Heading",
    "HeadingNode",
    "Paragraph",
    "Sentence",
]

#: Heading styles and their levels (smaller = outer).
HEADING_LEVELS: dict[str, int] = {
    "document": 0,
    "chapter": 1,
    "section": 2,
    "title": 3,
    "cn_num": 4,
    "cn_paren": 5,
    "arabic": 6,
    "arabic_paren": 7,
}

#: The metadata a reader looks for in a document (values are "" when the document is silent).
METADATA_FIELDS = ("title", "date", "issuer", "doc_number")

DroppedKind = Literal["residue", "watermark", "bom", "furniture"]

_CN_DIGITS = "一二三四五六七八九十百千零〇两"
_DIGITS = "0-9０-９"
#: (style, marker pattern) in the order they are tried.
HEADING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"第[{_CN_DIGITS}{_DIGITS}]+(?:章|部分|编)")),
    ("section", re.compile(rf"第[{_CN_DIGITS}{_DIGITS}]+节")),
    ("cn_paren", re.compile(rf"[(（][{_CN_DIGITS}]+[)）]")),
    ("arabic_paren", re.compile(rf"[(（][{_DIGITS}]{{1,3}}[)）]")),
    ("cn_num", re.compile(rf"[{_CN_DIGITS}]+[、．.]")),
    ("arabic", re.compile(rf"[{_DIGITS}]{{1,3}}(?:[.．](?![{_DIGITS}])|、)")),
)
MARKERS: dict[str, re.Pattern[str]] = dict(HEADING_PATTERNS)
NUMBERED_STYLES = frozenset({"cn_num", "cn_paren", "arabic", "arabic_paren"})


def marker_level(paragraph: str) -> int:
    """The level of the numbering marker a paragraph starts with (beyond any level if none)."""
    for style, pattern in HEADING_PATTERNS:
        if style in NUMBERED_STYLES and pattern.match(paragraph):
            return HEADING_LEVELS[style]
    return len(HEADING_LEVELS)


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``text`` is ``Document.text[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Heading:
    """A heading line.

    ``level`` comes from :data:`HEADING_LEVELS` via ``style``; ``parent`` is the index (into
    ``Document.headings``) of the nearest preceding heading of a smaller level, or None. A
    document title split over two or three lines is one heading whose ``text`` keeps the line
    breaks (``title`` joins them).
    """

    text: str
    start: int
    end: int
    level: int
    style: str
    parent: int | None

    @property
    def marker(self) -> str:
        """The numbering marker the heading starts with (``"一、"``, ``"(1)"``, ``"第四节"``)."""
        pattern = MARKERS.get(self.style)
        match = pattern.match(self.text) if pattern else None
        return match.group(0) if match else ""

    @property
    def title(self) -> str:
        """The heading text without its numbering marker, e.g. ``"济南市"`` for ``"一、济南市"``."""
        rest = self.text[len(self.marker) :]
        return "".join(part.strip() for part in rest.splitlines()).strip()


@dataclass(frozen=True)
class HeadingNode:
    """A heading in the nested heading tree: ``index`` into ``Document.headings``, and children."""

    heading: Heading
    index: int
    children: tuple[HeadingNode, ...]


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph.

    ``headings`` are the texts of the headings in force, outermost first. ``lead`` is a run-in
    heading (a first sentence of at most 20 characters followed by more text, e.g.
    ``"一是构建强力的工作机制。"``), or None; ``text`` still contains it.
    """

    index: int
    text: str
    start: int
    end: int
    headings: tuple[str, ...]
    lead: str | None
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Dropped:
    """Something the reader left out: reader-app ``residue``, government-site page
    ``furniture`` (breadcrumbs, 索引号/发布日期 boxes, 打印本页, 【字体：大 中 小】…), a
    ``watermark`` token or a ``bom``."""

    kind: DroppedKind
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A read document.

    ``text`` is the full text (nothing removed: offsets of every part point into it); for a
    plain-text file it is the decoded file, for HTML, Word and PDF the text the reader
    extracted (one block per line). ``source`` is the file it came from (None for a string),
    ``encoding`` how a text or HTML file was decoded (``"utf-8"``, ``"utf-16"``,
    ``"gb18030"``; None otherwise), ``format`` the reader used (``"text"``, ``"html"``,
    ``"docx"``, ``"pdf"``), and ``metadata`` what the document states about itself: the keys
    of :data:`METADATA_FIELDS` (``title``, ``date`` as ISO ``YYYY-MM-DD``/``YYYY-MM``/``YYYY``,
    ``issuer``, ``doc_number`` such as 鲁政发〔2018〕3号), "" when not stated.
    """

    text: str
    source: str | None
    encoding: str | None
    headings: tuple[Heading, ...]
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[Dropped, ...]
    format: str = "text"
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """All sentences of all paragraphs, in order."""
        return tuple(s for p in self.paragraphs for s in p.sentences)

    @property
    def title(self) -> str:
        """The document's title (``metadata["title"]``), or ""."""
        return self.metadata.get("title", "")

    def heading_tree(self) -> tuple[HeadingNode, ...]:
        """The headings nested under their parents: the roots, each with its children."""
        children: dict[int | None, list[int]] = {}
        for i, heading in enumerate(self.headings):
            children.setdefault(heading.parent, []).append(i)

        def build(i: int) -> HeadingNode:
            kids = tuple(build(k) for k in children.get(i, []))
            return HeadingNode(self.headings[i], i, kids)

        return tuple(build(i) for i in children.get(None, []))

    def heading_path(self, paragraph: Paragraph) -> tuple[Heading, ...]:
        """The headings in force at ``paragraph``, outermost first (``paragraph.headings``)."""
        last: int | None = None
        for i, heading in enumerate(self.headings):
            if heading.start >= paragraph.start:
                break
            last = i
        own_level = marker_level(paragraph.text)
        path: list[Heading] = []
        while last is not None:
            if self.headings[last].level < own_level:
                path.append(self.headings[last])
            last = self.headings[last].parent
        return tuple(reversed(path))
