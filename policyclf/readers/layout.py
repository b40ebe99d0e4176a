"""Parse decoded text into headings, paragraphs and sentences (the layout rules).

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
0         ``document``      the document's title: its first line, when short, unpunctuated
                            and standing alone, or two or three such lines that together
                            make one title (关于印发… / …的通知; a subtitle in brackets)
1         ``chapter``       第X章 / 第X部分 / 第X编, with or without a title after it
2         ``section``       第X节, with or without a title after it
3         ``title``         a short unpunctuated line directly after a bare 第X章/第X节
4         ``cn_num``        一、 二、 …
5         ``cn_paren``      (一) / （一）
6         ``arabic``        1. / 1． / 1、
7         ``arabic_paren``  (1) / （1）
========  ================  ==============================================================

A numbered line is a heading when it is short (at most 40 characters) and does not read as a
sentence-bearing paragraph: it has no sentence-final punctuation except an optional final 。
and does not end in a comma. A numbered line that *starts* with a short heading and goes on
with body text on the same line — ``（十九）强化政策保障。加大财政投入……`` or
``一、总体要求 全面贯彻……`` — is an **inline heading**: the marker and the heading up to its
。 (or up to the space) form the heading (at most 20 characters after the marker, no comma),
and the rest of the line is a body paragraph under it. A long numbered line whose first
sentence has clauses, and lines starting 一是/二是…, are body paragraphs; their short first
sentence becomes the paragraph's ``lead``. A paragraph that starts with a numbering marker
sits at that marker's level: its ``headings`` leave out the headings in force of the same or a
deeper level.

Readers of HTML and Word pass heading hints (h1–h6, Word heading styles): a hinted line is a
heading even without a number (h1/title → ``document``, h2 → ``chapter``, h3 → ``section``,
h4–h6 → ``title``; a numbered hinted line keeps its number's style).

What is dropped
---------------
Reader-app residue at the edges, government-site page furniture anywhere (see
:mod:`policyclf.readers.furniture`), base64-like watermark tokens (runs of at least 24
characters of ``[A-Za-z0-9+/=]`` with upper case, lower case and digits; real Latin such as
IGBT, 5G or GDP never matches) and a byte-order mark. A watermark at the start or end of a
line is cut out of the paragraph; one in the middle of a paragraph cannot be cut out of its
(contiguous) text, but is left out of every sentence. Everything dropped is listed in
``Document.dropped``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .document import (
    HEADING_LEVELS,
    HEADING_PATTERNS,
    MARKERS,
    NUMBERED_STYLES,
    Document,
    Dropped,
    Heading,
    Paragraph,
    Sentence,
    marker_level,
)
from .furniture import furniture_fields, is_furniture, residue_coverage
from .metadata import merge_metadata, signature_metadata
from .sentences import CLOSERS, ends_sentence, has_terminator, sentences_with_gaps

__all__ = ["parse_document"]

_MAX_HEADING_CHARS = 40
_MAX_HINTED_HEADING_CHARS = 100
_MAX_DOCUMENT_TITLE_CHARS = 60
_MAX_JOINED_TITLE_CHARS = 90
_MAX_LEAD_CHARS = 20
_MAX_INLINE_HEADING_CHARS = 20

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WATERMARK = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=]{24,}(?![A-Za-z0-9+/=])")
# the kinds of document a title names at its end
_TITLE_END = re.compile(
    r"(?:通知|意见|办法|方案|规定|决定|细则|规划|纲要|计划|指南|措施|条例|报告|公告|通告|批复|"
    r"函|决议|规则|要点|意见稿|征求意见稿|规范|要求|若干政策)"
    r"(?:[(（][^()（）]{1,20}[)）])?$"
)
_TITLE_OPEN_END = re.compile(r"(?:关于|印发|转发|关于印发|关于转发|的|和|与|及|等|暨|之)$")
_SUBTITLE = re.compile(r"[(（][^()（）]{1,24}[)）]")
_CLAUSE_MARKS = frozenset("，,、：:；;")


@dataclass
class _Line:
    start: int  # content start (after indentation and leading watermarks)
    end: int  # content end (before trailing whitespace and watermarks)
    indent: int  # characters of leading whitespace
    gaps: list[tuple[int, int]]  # watermarks inside the content
    blank_before: bool  # a blank (or dropped) line separates it from the previous kept line
    kind: str = "body"  # body | heading | residue | furniture
    style: str = ""  # heading style
    joins: list[_Line] = field(default_factory=list)  # lines of a title joined to this one
    inline: bool = False  # the heading part of a line that goes on with body text
    line_blank_before: bool | None = None  # for the body part: blank_before of the whole line


def parse_document(
    text: str,
    *,
    source: str | None = None,
    encoding: str | None = None,
    format: str = "text",
    heading_hints: Mapping[int, int] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Document:
    """Parse already decoded ``text`` (see the module docstring for the rules).

    ``heading_hints`` maps the offset where a line's text starts to its heading rank
    (0 = the document title, 1–6 = h1–h6); ``metadata`` is what the file format declared
    (it wins over what the text says).
    """
    dropped: list[Dropped] = []
    base = 0
    if text.startswith("\ufeff"):
        dropped.append(Dropped("bom", "\ufeff", 0, 1))
        base = 1

    lines: list[_Line] = []
    for ln in _scan_lines(text, base, dropped):
        lines.extend(_split_inline_heading(text, ln))
    _classify(text, lines, heading_hints or {})
    box: dict[str, str] = {}
    _mark_furniture(text, lines, dropped, box)
    _mark_residue(text, lines, dropped)
    for prev, ln in itertools.pairwise(lines):
        if prev.kind in ("residue", "furniture"):  # a dropped line separates like a blank line
            ln.blank_before = True
    kept = [ln for ln in lines if ln.kind not in ("residue", "furniture")]

    _join_title(text, kept)
    kept = [ln for ln in kept if ln.kind != "joined"]
    groups = _group(text, kept)
    _mark_document_title(text, kept, groups)

    headings: list[Heading] = []
    open_headings: list[int] = []  # indices of headings with strictly increasing levels
    for ln in (ln for ln in kept if ln.kind == "heading"):
        level = HEADING_LEVELS[ln.style]
        while open_headings and headings[open_headings[-1]].level >= level:
            open_headings.pop()
        parent = open_headings[-1] if open_headings else None
        open_headings.append(len(headings))
        end = ln.joins[-1].end if ln.joins else ln.end
        headings.append(Heading(text[ln.start : end], ln.start, end, level, ln.style, parent))

    paragraphs: list[Paragraph] = []
    h = -1
    for group in groups:
        if group[0].kind != "body":
            continue
        start, end = group[0].start, group[-1].end
        while h + 1 < len(headings) and headings[h + 1].start < start:
            h += 1
        # a numbered paragraph ("3．完善激励机制，对……") sits at its number's level
        own_level = marker_level(text[start:end])
        chain: list[str] = []
        k: int | None = h if h >= 0 else None
        while k is not None:
            if headings[k].level < own_level:
                chain.append(headings[k].text)
            k = headings[k].parent
        gaps = [gap for ln in group for gap in ln.gaps]
        sentences = sentences_with_gaps(text, start, end, gaps)
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

    title = next((hd.title for hd in headings if hd.style == "document"), "")
    signature = signature_metadata([text[ln.start : ln.end] for ln in kept])
    dropped.sort(key=lambda d: (d.start, d.end))
    return Document(
        text=text,
        source=source,
        encoding=encoding,
        headings=tuple(headings),
        paragraphs=tuple(paragraphs),
        dropped=tuple(dropped),
        format=format,
        metadata=merge_metadata(metadata or {}, box, {"title": title}, signature),
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


def _heading_style(line: str) -> str | None:
    if len(line) > _MAX_HEADING_CHARS:
        return None
    if has_terminator(line[:-1]) or line[-1] in "！？；!?;，,、":
        return None
    if line[-1] == "。" and any(c in "，,；;：:" for c in line):
        return None  # a numbered sentence with clauses ("1．设立…基金，规模…。") is body text
    for style, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return style
    return None


def _numbered_style(line: str) -> str | None:
    for style, pattern in HEADING_PATTERNS:
        if style in NUMBERED_STYLES and pattern.match(line):
            return style
    return None


def _split_inline_heading(text: str, ln: _Line) -> list[_Line]:
    """``（十九）强化政策保障。加大……`` → a heading line and a body line (else ``[ln]``)."""
    content = text[ln.start : ln.end]
    style = _numbered_style(content)
    if style is None:
        return [ln]
    marker = MARKERS[style].match(content)
    assert marker is not None
    pos = marker.end()
    while pos < len(content) and content[pos] in " \t\u3000":
        pos += 1
    head_start = pos
    limit = min(len(content), head_start + _MAX_INLINE_HEADING_CHARS + 1)
    cut = -1
    for i in range(head_start, limit):
        ch = content[i]
        if ch in "。.":
            if (
                ch == "."
                and i + 1 < len(content)
                and (content[i + 1].isdigit() or content[i + 1] in ".…·")
            ):
                return [ln]  # a number (1.5倍) or a table-of-contents leader (总则……1)
            cut = i + 1
            break
        if ch in " \t\u3000":
            cut = i
            break
        if ch in _CLAUSE_MARKS or ch in "！？!?":
            return [ln]
    if cut <= head_start + 1:  # no heading text, or a one-character one
        return [ln]
    if content[cut - 1] in "。." and _heading_style(content) is not None:
        return [ln]  # a short numbered line that is a heading as a whole
    rest = cut
    while rest < len(content) and content[rest] in " \t\u3000":
        rest += 1
    if len(content) - rest < 2:
        return [ln]
    head_end = ln.start + cut
    body_start = ln.start + rest
    head_gaps = [g for g in ln.gaps if g[1] <= head_end]
    body_gaps = [g for g in ln.gaps if g[0] >= body_start]
    if len(head_gaps) + len(body_gaps) != len(ln.gaps):
        return [ln]  # a watermark across the cut: leave the line whole
    heading = _Line(ln.start, head_end, ln.indent, head_gaps, ln.blank_before, "heading", style)
    heading.inline = True
    body = _Line(body_start, ln.end, ln.indent, body_gaps, False)
    body.line_blank_before = ln.blank_before
    return [heading, body]


def _classify(text: str, lines: list[_Line], hints: Mapping[int, int]) -> None:
    previous: _Line | None = None
    for ln in lines:
        content = text[ln.start : ln.end]
        if ln.kind == "heading":  # an inline heading, already split
            previous = ln
            continue
        style = _heading_style(content)
        rank = hints.get(ln.start)
        if style is not None:
            ln.kind, ln.style = "heading", style
        elif rank is not None and len(content) <= _MAX_HINTED_HEADING_CHARS:
            numbered = _numbered_style(content)
            ln.kind = "heading"
            ln.style = numbered or (
                "document"
                if rank <= 1
                else "chapter"
                if rank == 2
                else "section"
                if rank == 3
                else "title"
            )
        elif (
            previous is not None
            and previous.kind == "heading"
            and previous.style in ("chapter", "section")
            and MARKERS[previous.style].fullmatch(text[previous.start : previous.end])
            and len(content) <= _MAX_HEADING_CHARS
            and not has_terminator(content)
            and not any(c in "，," for c in content)
        ):
            ln.kind, ln.style = "heading", "title"
        previous = ln


def _mark_furniture(
    text: str, lines: list[_Line], dropped: list[Dropped], box: dict[str, str]
) -> None:
    for ln in lines:
        if (ln.kind == "heading" and ln.style != "document") or ln.gaps:
            continue
        content = text[ln.start : ln.end]
        if is_furniture(content):
            ln.kind = "furniture"
            dropped.append(Dropped("furniture", content, ln.start, ln.end))
            for k, v in furniture_fields(content).items():
                box.setdefault(k, v)


def _mark_residue(text: str, lines: list[_Line], dropped: list[Dropped]) -> None:
    coverage = [
        0.0 if ln.kind != "body" else residue_coverage(text[ln.start : ln.end]) for ln in lines
    ]
    head = 0
    while head < len(lines) and (coverage[head] >= 0.5 or lines[head].kind == "furniture"):
        if lines[head].kind != "furniture":
            lines[head].kind = "residue"
        head += 1
    tail = len(lines) - 1
    while tail >= head and (coverage[tail] >= 0.5 or lines[tail].kind == "furniture"):
        if lines[tail].kind != "furniture":
            lines[tail].kind = "residue"
        tail -= 1
    for i in range(head, tail + 1):
        if coverage[i] >= 1.0:
            lines[i].kind = "residue"
    for ln in lines:
        if ln.kind == "residue":
            dropped.append(Dropped("residue", text[ln.start : ln.end], ln.start, ln.end))


def _title_line(content: str) -> bool:
    return (
        len(content) <= _MAX_DOCUMENT_TITLE_CHARS
        and not has_terminator(content)
        and not any(c in _CLAUSE_MARKS for c in content)
        and _numbered_style(content) is None
    )


def _join_title(text: str, kept: list[_Line]) -> None:
    """Join a document title split over two or three lines at the top into one heading."""
    if len(kept) < 3 or kept[0].kind not in ("body", "heading") or kept[0].gaps:
        return
    if kept[0].kind == "heading" and kept[0].style != "document":
        return
    parts = [text[kept[0].start : kept[0].end]]
    if not _title_line(parts[0]) or _TITLE_END.search(parts[0]):
        return
    n = 1
    while n < 3 and n < len(kept) - 1:
        ln = kept[n]
        content = text[ln.start : ln.end]
        if ln.gaps or ln.kind not in ("body", "heading") or not _title_line(content):
            break
        if ln.kind == "heading" and ln.style != "document":
            break
        parts.append(content)
        n += 1
        if _TITLE_END.search(content):
            break
    joined = "".join(parts)
    if n < 2 or len(joined) > _MAX_JOINED_TITLE_CHARS:
        return
    ends = _TITLE_END.search(parts[-1]) is not None
    opens = _TITLE_OPEN_END.search(parts[0]) is not None
    if not (ends or opens):
        return
    # a subtitle in brackets right after the title: （2021-2023年）, （试行）
    if n < len(kept) - 1:
        nxt = kept[n]
        if not nxt.gaps and _SUBTITLE.fullmatch(text[nxt.start : nxt.end]):
            n += 1
    first = kept[0]
    first.kind, first.style = "heading", "document"
    first.joins = kept[1:n]
    for ln in first.joins:
        ln.kind = "joined"


def _group(text: str, kept: list[_Line]) -> list[list[_Line]]:
    """Group kept lines: each heading alone, body lines into paragraphs."""
    blank_gaps = 0
    adjacent_ends = 0
    # count on whole lines: an inline heading and its body text are one line here
    whole = [ln for ln in kept if not ln.inline]
    for prev, ln in itertools.pairwise(whole):
        if prev.kind != "body" or ln.kind != "body":
            continue
        blank = ln.blank_before if ln.line_blank_before is None else ln.line_blank_before
        if blank:
            blank_gaps += 1
        elif ends_sentence(text[prev.start : prev.end]):
            adjacent_ends += 1
    blank_separated = blank_gaps > 0 and blank_gaps >= adjacent_ends

    groups: list[list[_Line]] = []
    for ln in kept:
        if groups and ln.kind == "body" and blank_separated and not ln.blank_before:
            prev = groups[-1][-1]
            if (
                prev.kind == "body"
                and not ends_sentence(text[prev.start : prev.end])
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
        and not has_terminator(content)
        and content[-1] not in "：:，,、"
        and not first.gaps
    ):
        first.kind, first.style = "heading", "document"


def _lead(sentences: tuple[Sentence, ...]) -> str | None:
    if len(sentences) < 2:
        return None
    first = sentences[0].text
    core = first.rstrip("".join(CLOSERS))
    if len(first) <= _MAX_LEAD_CHARS and core and core[-1] in "。！!":
        return first
    return None
