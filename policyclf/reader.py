"""Read a policy document into headings, paragraphs and sentences, with exact offsets.

``read_document`` turns a text file (or a string) into a :class:`Document`: the full decoded
text, its headings (flat, in order, each knowing its parent), its body paragraphs (each knowing
the headings in force, its run-in lead and its sentences) and what the reader dropped
(reader-app residue, watermark tokens, a byte-order mark). Every offset is a character offset
into ``Document.text`` and ``Document.text[obj.start:obj.end] == obj.text`` holds for every
heading, paragraph, sentence and dropped span, so results can always be traced back to the
source.

Layouts understood
------------------
* one line per paragraph, with or without blank lines between paragraphs;
* hard-wrapped paragraphs in documents that separate paragraphs by blank lines: consecutive
  lines continue a paragraph when a line does not end in sentence-final punctuation (and the
  next line is not indented deeper); the paragraph text then contains the line break;
* LF, CRLF and CR line endings; leading indentation (U+3000 ideographic spaces, ASCII
  spaces, tabs) is not part of any paragraph or heading.

Headings and their levels
-------------------------
Levels come from a fixed hierarchy (smaller = outer); a heading's parent is the nearest
preceding heading of a smaller level:

========  ================  ==============================================================
level     style             looks like
========  ================  ==============================================================
0         ``document``      the first line of a document, when short, unpunctuated and
                            standing alone (e.g. a notice's title)
1         ``chapter``       第X章 / 第X部分 / 第X编, with or without a title after it
2         ``section``       第X节, with or without a title after it
3         ``title``         a short unpunctuated line directly after a bare 第X章/第X节
4         ``cn_num``        一、 二、 …
5         ``cn_paren``      (一) / （一）
6         ``arabic``        1. / 1． / 1、
7         ``arabic_paren``  (1) / （1）
========  ================  ==============================================================

A numbered line is a heading only when it is short (at most 40 characters) and does not read
as a sentence-bearing paragraph: it has no sentence-final punctuation except an optional final
。 and does not end in a comma. A long numbered line with sentences inside, and lines starting
一是/二是…, are body paragraphs; their short first sentence becomes the paragraph's ``lead``.
A paragraph that starts with a numbering marker ("3．完善激励机制。对……") sits at that marker's
level: its ``headings`` leave out the headings in force of the same or a deeper level.

The first line of a document becomes a ``document`` heading when it is a single line of at
most 60 characters without sentence-final punctuation, not ending in a colon or comma, and
more follows.

Residue and watermarks
----------------------
Short unpunctuated lines (at most 30 characters) made mostly of reader-app or web chrome
vocabulary (APP, 下载, 扫码, 立即打开, 购买, 畅读, 书库, 点击, 呼出菜单, 上一章, 下一章, 目录,
返回, 分享, 收藏, ×, …) are dropped before the first heading/paragraph and after the last one;
between paragraphs a line is dropped only when it is made of nothing but such vocabulary.
Runs of at least 24 characters of ``[A-Za-z0-9+/=]`` containing upper case, lower case and
digits (base64-like watermarks) are dropped too; real Latin (IGBT, 5G, GDP) never matches. A
watermark at the start or end of a line is cut out of the paragraph; one in the middle of a
paragraph cannot be cut out of its (contiguous) text, but is left out of every sentence.
Everything dropped is listed in ``Document.dropped``.

Sentences
---------
Sentences end after 。！？； and half-width ! ? ; (runs such as ？！ stay together, as does an
ellipsis ……); closing quotes and brackets right after the end go with the sentence they close.
No sentence ends inside a matched pair of 《》, “”, ‘’, 「」, 『』, (), （）, 【】 or 〔〕 spanning
at most 250 characters; an opening mark without its closing partner is ignored, so an unbalanced
quote cannot swallow the rest of the paragraph. Sentences never cross paragraphs, are trimmed of
surrounding whitespace, and a paragraph without terminal punctuation is one sentence.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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

DroppedKind = Literal["residue", "watermark", "bom"]

_TERMINATORS = frozenset("。！？；!?;")
_ELLIPSIS = "…"
_CLOSERS = frozenset("”’」』）)》】〕〉]")
_PAIR_CLOSERS: dict[str, frozenset[str]] = {
    "“": frozenset("”"),
    "‘": frozenset("’"),
    "「": frozenset("」"),
    "『": frozenset("』"),
    "《": frozenset("》"),
    "〈": frozenset("〉"),
    "(": frozenset(")）"),
    "（": frozenset(")）"),
    "【": frozenset("】"),
    "〔": frozenset("〕"),
}
_ALL_PAIR_CLOSERS = frozenset().union(*_PAIR_CLOSERS.values())
_MAX_PROTECTED = 250  # a matched pair longer than this does not stop sentence splitting
_MAX_NESTING = 32  # a closing mark looks this deep into the open marks for its partner

_MAX_HEADING_CHARS = 40
_MAX_DOCUMENT_TITLE_CHARS = 60
_MAX_LEAD_CHARS = 20
_MAX_RESIDUE_CHARS = 30

_CN_DIGITS = "一二三四五六七八九十百千零〇两"
_DIGITS = "0-9０-９"
_HEADING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"第[{_CN_DIGITS}{_DIGITS}]+(?:章|部分|编)")),
    ("section", re.compile(rf"第[{_CN_DIGITS}{_DIGITS}]+节")),
    ("cn_paren", re.compile(rf"[(（][{_CN_DIGITS}]+[)）]")),
    ("arabic_paren", re.compile(rf"[(（][{_DIGITS}]{{1,3}}[)）]")),
    ("cn_num", re.compile(rf"[{_CN_DIGITS}]+[、．.]")),
    ("arabic", re.compile(rf"[{_DIGITS}]{{1,3}}(?:[.．](?![{_DIGITS}])|、)")),
)
_MARKERS: dict[str, re.Pattern[str]] = dict(_HEADING_PATTERNS)
_NUMBERED_STYLES = frozenset({"cn_num", "cn_paren", "arabic", "arabic_paren"})

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WATERMARK = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=]{24,}(?![A-Za-z0-9+/=])")

_RESIDUE_WORDS = (
    "点击中间区域",
    "呼出菜单",
    "立即打开",
    "加入书架",
    "阅读全文",
    "继续阅读",
    "打开APP",
    "客户端",
    "公众号",
    "二维码",
    "上一章",
    "下一章",
    "上一页",
    "下一页",
    "上一篇",
    "下一篇",
    "APP",
    "下载",
    "扫码",
    "购买",
    "畅读",
    "书库",
    "书架",
    "书签",
    "海量",
    "掌阅",
    "点击",
    "目录",
    "返回",
    "顶部",
    "分享",
    "收藏",
    "打开",
    "登录",
    "注册",
    "关注",
    "微信",
    "评论",
    "点赞",
    "举报",
    "首页",
    "展开",
    "全文",
    "广告",
    "免费",
    "试读",
    "充值",
    "VIP",
    "会员",
    "字号",
    "夜间",
    "设置",
    "×",
)
_RESIDUE_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(_RESIDUE_WORDS, key=len, reverse=True)), re.IGNORECASE
)
_RESIDUE_SEPARATORS = frozenset(" \t\u3000,，、|｜·・:：/-—>›»<‹«•()（）[]【】")


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
    ``Document.headings``) of the nearest preceding heading of a smaller level, or None.
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
        pattern = _MARKERS.get(self.style)
        match = pattern.match(self.text) if pattern else None
        return match.group(0) if match else ""

    @property
    def title(self) -> str:
        """The heading text without its numbering marker, e.g. ``"济南市"`` for ``"一、济南市"``."""
        return self.text[len(self.marker) :].strip()


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
    """Something the reader left out: reader-app ``residue``, a ``watermark`` token or a ``bom``."""

    kind: DroppedKind
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A read document.

    ``text`` is the full decoded text (nothing removed: offsets of every part point into it),
    ``source`` the file it came from (None for a string), ``encoding`` how it was decoded
    (``"utf-8"``, ``"utf-16"`` or ``"gb18030"``; None for a string).
    """

    text: str
    source: str | None
    encoding: str | None
    headings: tuple[Heading, ...]
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[Dropped, ...]

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """All sentences of all paragraphs, in order."""
        return tuple(s for p in self.paragraphs for s in p.sentences)

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
        own_level = _marker_level(paragraph.text)
        path: list[Heading] = []
        while last is not None:
            if self.headings[last].level < own_level:
                path.append(self.headings[last])
            last = self.headings[last].parent
        return tuple(reversed(path))


# --------------------------------------------------------------------------------------------
# Reading and decoding


def read_document(source: str | os.PathLike[str]) -> Document:
    """Read a document from a file or from a string.

    A ``PathLike`` is always a path. A ``str`` is taken as a path when it contains no line
    break, is shorter than 4096 characters and names an existing file. A one-line ``str`` that
    names no file but looks like a path raises FileNotFoundError, so that a mistyped file name
    is not tagged as text. It looks like a path when it ends with a file extension (a dot and
    1–5 ASCII letters or digits, at least one a letter: ``.txt``, ``.docx``, ``.jsonl``, ``.md``
    …), or when it has none of the sentence punctuation 。！？； and starts with a folder part:
    ``/`` or ``\\`` at the start or after ``~``, ``.``, ``..``, a drive (``C:``) or an ASCII name
    (``data/关于印发….docx``). Any other ``str`` is the document text itself, one-line text such
    as ``"对引进人才给予补贴。"``, ``"2023年GDP增长5.2%"`` or ``"研发费用/营业收入"`` included;
    use :func:`parse_document` to force text.

    Files are decoded by :func:`decode_bytes`: UTF-8 (a byte-order mark stays in
    ``Document.text`` and is reported in ``Document.dropped``); UTF-16 when the file starts with
    a UTF-16 byte-order mark; otherwise, when the bytes are not UTF-8, GB18030
    (``Document.encoding`` says which). When neither works a ValueError names the file and the
    byte offsets at fault. Word, Excel and PDF files (and other zip archives) are refused with a
    ValueError saying so: policyclf reads plain text.

    Raises:
        FileNotFoundError: the path (or path-like one-line string) names no file.
        ValueError: the file is not plain text, or cannot be decoded.
        TypeError: ``source`` is neither a str nor a path.
    """
    if isinstance(source, os.PathLike):
        path = Path(os.fspath(source))
    elif isinstance(source, str):
        if not _names_file(source):
            if _looks_like_path(source):
                raise FileNotFoundError(
                    f"no such file: {source!r} (it looks like a file name); pass the text itself "
                    "with policyclf.reader.parse_document(...) if you meant text"
                )
            return parse_document(source)
        path = Path(source)
    else:
        raise TypeError(f"read_document expects a str or a path, not {type(source).__name__}")
    text, encoding = decode_bytes(path.read_bytes(), str(path))
    return parse_document(text, source=str(path), encoding=encoding)


# a dot and 1-5 ASCII letters/digits, at least one a letter ("5.2" is a number, not a name)
_PATH_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}\s*$")

_PATH_START = re.compile(r"(?:~|\.{1,2}|[A-Za-z]:|[\w.-]*[A-Za-z][\w.-]*)?[/\\]", re.ASCII)


def _names_file(value: str) -> bool:
    if "\n" in value or "\r" in value or "\x00" in value or len(value) >= 4096 or not value:
        return False
    try:
        return os.path.isfile(value)
    except (OSError, ValueError):
        return False


def _looks_like_path(value: str) -> bool:
    """A one-line string that reads as a file name rather than as text."""
    if "\n" in value or "\r" in value or len(value) >= 4096 or not value.strip():
        return False
    if _PATH_EXTENSION.search(value):
        return True
    if any(c in "。！？；" for c in value):
        return False
    # a separator at the start or after an ASCII name ("data/", "C:\\", "../", "/"),
    # not a ratio ("1/2", "费用/收入")
    return _PATH_START.match(value.strip()) is not None


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode the bytes of a plain-text document; returns ``(text, encoding)``.

    UTF-16 when ``data`` starts with a UTF-16 byte-order mark; else UTF-8 (a UTF-8 byte-order
    mark is kept as the first character of the text, so offsets count it); else GB18030.
    ``encoding`` is ``"utf-16"``, ``"utf-8"`` or ``"gb18030"``.

    Raises:
        ValueError: ``data`` is a Word/Excel/PDF file or another zip archive (policyclf reads
            plain text), or is neither UTF-8 nor GB18030; the message starts with ``name``.
    """
    kind = _binary_kind(data, name)
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


_ZIP_KINDS = {".docx": "Word", ".docm": "Word", ".xlsx": "Excel", ".xlsm": "Excel"}
_OLE_KINDS = {".doc": "Word", ".xls": "Excel"}


def _binary_kind(data: bytes, name: str) -> str | None:
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
    if any(n.startswith("word/") for n in names):
        return "Word"
    if any(n.startswith("xl/") for n in names):
        return "Excel"
    if any(n.startswith("ppt/") for n in names):
        return "PowerPoint"
    return "zip"


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass
class _Line:
    start: int  # content start (after indentation and leading watermarks)
    end: int  # content end (before trailing whitespace and watermarks)
    indent: int  # characters of leading whitespace
    gaps: list[tuple[int, int]]  # watermarks inside the content
    blank_before: bool  # a blank (or dropped) line separates it from the previous kept line
    kind: str = "body"  # body | heading | residue
    style: str = ""  # heading style


def parse_document(
    text: str, *, source: str | None = None, encoding: str | None = None
) -> Document:
    """Parse already decoded ``text`` (see the module docstring for the rules)."""
    dropped: list[Dropped] = []
    base = 0
    if text.startswith("\ufeff"):
        dropped.append(Dropped("bom", "\ufeff", 0, 1))
        base = 1

    lines = list(_scan_lines(text, base, dropped))
    _classify(text, lines)
    _mark_residue(text, lines, dropped)
    for prev, ln in itertools.pairwise(lines):
        if prev.kind == "residue":  # a dropped line separates like a blank line
            ln.blank_before = True
    kept = [ln for ln in lines if ln.kind != "residue"]

    groups = _group(text, kept)
    _mark_document_title(text, kept, groups)

    heading_lines = [ln for ln in kept if ln.kind == "heading"]
    headings: list[Heading] = []
    open_headings: list[int] = []  # indices of headings with strictly increasing levels
    for ln in heading_lines:
        level = HEADING_LEVELS[ln.style]
        while open_headings and headings[open_headings[-1]].level >= level:
            open_headings.pop()
        parent = open_headings[-1] if open_headings else None
        open_headings.append(len(headings))
        headings.append(Heading(text[ln.start : ln.end], ln.start, ln.end, level, ln.style, parent))

    paragraphs: list[Paragraph] = []
    h = -1
    for group in groups:
        if group[0].kind != "body":
            continue
        start, end = group[0].start, group[-1].end
        while h + 1 < len(headings) and headings[h + 1].start < start:
            h += 1
        # a numbered paragraph ("3．完善激励机制。对……") sits at its number's level
        own_level = _marker_level(text[start:end])
        chain: list[str] = []
        k: int | None = h if h >= 0 else None
        while k is not None:
            if headings[k].level < own_level:
                chain.append(headings[k].text)
            k = headings[k].parent
        gaps = [gap for ln in group for gap in ln.gaps]
        sentences = _sentences_with_gaps(text, start, end, gaps)
        paragraphs.append(
            Paragraph(
                index=len(paragraphs),
                text=text[start:end],
                start=start,
                end=end,
                headings=tuple(reversed(chain)),
                lead=_lead(sentences),
                sentences=sentences,
            )
        )

    dropped.sort(key=lambda d: (d.start, d.end))
    return Document(
        text=text,
        source=source,
        encoding=encoding,
        headings=tuple(headings),
        paragraphs=tuple(paragraphs),
        dropped=tuple(dropped),
    )


def _scan_lines(text: str, base: int, dropped: list[Dropped]) -> Iterator[_Line]:
    """Yield the non-blank lines, watermarks cut off their ends and recorded in ``dropped``."""
    blank_before = False
    pos = base
    n = len(text)
    while pos <= n:
        match = _LINE_BREAK.search(text, pos)
        line_end = match.start() if match else n
        next_pos = match.end() if match else n + 1
        s, e = pos, line_end
        while s < e and text[s].isspace():
            s += 1
        indent = s - pos
        while e > s and text[e - 1].isspace():
            e -= 1
        gaps: list[tuple[int, int]] = []
        for wm in _WATERMARK.finditer(text, s, e):
            token = wm.group(0)
            if _is_watermark(token):
                dropped.append(Dropped("watermark", token, wm.start(), wm.end()))
                gaps.append((wm.start(), wm.end()))
        # cut watermarks (and the whitespace around them) off both ends of the line
        while gaps and gaps[0][0] == s:
            s = gaps.pop(0)[1]
            while s < e and text[s].isspace():
                s += 1
        while gaps and gaps[-1][1] == e:
            e = gaps.pop()[0]
            while e > s and text[e - 1].isspace():
                e -= 1
        if s >= e:
            blank_before = True
        else:
            yield _Line(s, e, indent, gaps, blank_before)
            blank_before = False
        pos = next_pos


def _is_watermark(token: str) -> bool:
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
    )


def _has_terminator(s: str) -> bool:
    return any(c in _TERMINATORS for c in s)


def _heading_style(line: str) -> str | None:
    if len(line) > _MAX_HEADING_CHARS:
        return None
    if _has_terminator(line[:-1]) or line[-1] in "！？；!?;，,、":
        return None
    if line[-1] == "。" and any(c in "，,；;：:" for c in line):
        return None  # a numbered sentence with clauses ("1．设立…基金，规模…。") is body text
    for style, pattern in _HEADING_PATTERNS:
        if pattern.match(line):
            return style
    return None


def _marker_level(paragraph: str) -> int:
    """The level of the numbering marker a paragraph starts with (beyond any level if none)."""
    for style, pattern in _HEADING_PATTERNS:
        if style in _NUMBERED_STYLES and pattern.match(paragraph):
            return HEADING_LEVELS[style]
    return len(HEADING_LEVELS)


def _classify(text: str, lines: list[_Line]) -> None:
    previous: _Line | None = None
    for ln in lines:
        content = text[ln.start : ln.end]
        style = _heading_style(content)
        if style is not None:
            ln.kind, ln.style = "heading", style
        elif (
            previous is not None
            and previous.kind == "heading"
            and previous.style in ("chapter", "section")
            and _MARKERS[previous.style].fullmatch(text[previous.start : previous.end])
            and len(content) <= _MAX_HEADING_CHARS
            and not _has_terminator(content)
            and not any(c in "，," for c in content)
        ):
            ln.kind, ln.style = "heading", "title"
        previous = ln


def _residue_coverage(line: str) -> float:
    """Share of the line's non-separator characters covered by chrome vocabulary."""
    if len(line) > _MAX_RESIDUE_CHARS or _has_terminator(line):
        return 0.0
    covered = [False] * len(line)
    for m in _RESIDUE_RE.finditer(line):
        for i in range(m.start(), m.end()):
            covered[i] = True
    total = hit = 0
    for ch, cov in zip(line, covered, strict=True):
        if ch in _RESIDUE_SEPARATORS or ch.isspace():
            continue
        total += 1
        hit += cov
    return hit / total if total else 0.0


def _mark_residue(text: str, lines: list[_Line], dropped: list[Dropped]) -> None:
    coverage = [
        0.0 if ln.kind == "heading" else _residue_coverage(text[ln.start : ln.end]) for ln in lines
    ]
    head = 0
    while head < len(lines) and coverage[head] >= 0.5:
        lines[head].kind = "residue"
        head += 1
    tail = len(lines) - 1
    while tail >= head and coverage[tail] >= 0.5:
        lines[tail].kind = "residue"
        tail -= 1
    for i in range(head, tail + 1):
        if coverage[i] >= 1.0:
            lines[i].kind = "residue"
    for ln in lines:
        if ln.kind == "residue":
            dropped.append(Dropped("residue", text[ln.start : ln.end], ln.start, ln.end))


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip("".join(_CLOSERS))
    return bool(stripped) and (stripped[-1] in _TERMINATORS or stripped.endswith("……"))


def _group(text: str, kept: list[_Line]) -> list[list[_Line]]:
    """Group kept lines: each heading alone, body lines into paragraphs."""
    blank_gaps = 0
    adjacent_ends = 0
    for prev, ln in itertools.pairwise(kept):
        if prev.kind != "body" or ln.kind != "body":
            continue
        if ln.blank_before:
            blank_gaps += 1
        elif _ends_sentence(text[prev.start : prev.end]):
            adjacent_ends += 1
    blank_separated = blank_gaps > 0 and blank_gaps >= adjacent_ends

    groups: list[list[_Line]] = []
    for ln in kept:
        if groups and ln.kind == "body" and blank_separated and not ln.blank_before:
            prev = groups[-1][-1]
            if (
                prev.kind == "body"
                and not _ends_sentence(text[prev.start : prev.end])
                and ln.indent <= prev.indent
            ):
                groups[-1].append(ln)
                continue
        groups.append([ln])
    return groups


def _mark_document_title(text: str, kept: list[_Line], groups: list[list[_Line]]) -> None:
    if len(groups) < 2 or len(groups[0]) != 1 or groups[0][0].kind != "body":
        return
    first = groups[0][0]
    content = text[first.start : first.end]
    if (
        len(content) <= _MAX_DOCUMENT_TITLE_CHARS
        and not _has_terminator(content)
        and content[-1] not in "：:，,、"
        and not first.gaps
    ):
        first.kind, first.style = "heading", "document"


def _lead(sentences: tuple[Sentence, ...]) -> str | None:
    if len(sentences) < 2:
        return None
    first = sentences[0].text
    core = first.rstrip("".join(_CLOSERS))
    if len(first) <= _MAX_LEAD_CHARS and core and core[-1] in "。！!":
        return first
    return None


# --------------------------------------------------------------------------------------------
# Sentences


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split ``text`` into sentences (rules in the module docstring); offsets are into ``text``.

    Line breaks do not end sentences: pass one paragraph at a time.
    """
    return tuple(Sentence(text[s:e], s, e) for s, e in _split(text, 0, len(text)))


def _sentences_with_gaps(
    text: str, start: int, end: int, gaps: list[tuple[int, int]]
) -> tuple[Sentence, ...]:
    spans: list[tuple[int, int]] = []
    pos = start
    for gap_start, gap_end in sorted(gaps):
        spans.extend(_split(text, pos, gap_start))
        pos = gap_end
    spans.extend(_split(text, pos, end))
    return tuple(Sentence(text[s:e], s, e) for s, e in spans)


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) of ``text[start:end]``, trimmed, none empty."""
    seg = text[start:end]
    n = len(seg)
    # cuts at positions b (between b-1 and b) strictly inside a matched pair are forbidden
    inside = [0] * (n + 2)
    stack: list[tuple[int, frozenset[str]]] = []
    for i, ch in enumerate(seg):
        if ch in _PAIR_CLOSERS:
            stack.append((i, _PAIR_CLOSERS[ch]))
        elif ch in _ALL_PAIR_CLOSERS:
            for k in range(len(stack) - 1, max(len(stack) - _MAX_NESTING, 0) - 1, -1):
                if ch in stack[k][1]:
                    opener = stack[k][0]
                    del stack[k:]
                    if i - opener <= _MAX_PROTECTED:
                        inside[opener + 1] += 1
                        inside[i + 1] -= 1
                    break
    depth = 0
    for b in range(n + 1):
        depth += inside[b]
        inside[b] = depth

    cuts: list[int] = []
    i = 0
    while i < n:
        ch = seg[i]
        if ch in _TERMINATORS or ch == _ELLIPSIS:
            j = i
            terminal = False
            ellipses = 0
            while j < n and (seg[j] in _TERMINATORS or seg[j] == _ELLIPSIS or seg[j] in _CLOSERS):
                if seg[j] in _TERMINATORS:
                    terminal = True
                elif seg[j] == _ELLIPSIS:
                    ellipses += 1
                j += 1
            if (terminal or ellipses >= 2) and inside[j] == 0:
                cuts.append(j)
            i = j
        else:
            i += 1

    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*cuts, n]:
        s, e = prev, cut
        while s < e and seg[s].isspace():
            s += 1
        while e > s and seg[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((start + s, start + e))
        prev = cut
    return spans
