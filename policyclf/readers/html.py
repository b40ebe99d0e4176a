"""Read an HTML page: the document's text, headings and declared metadata, without page chrome.

Uses the standard library's tolerant HTML tokenizer (:mod:`html.parser`), so it needs no extra
package and copes with the unclosed tags and broken markup of real government sites. What is
kept: the text of block elements (``p``, ``div``, ``li``, ``td``, ``h1``–``h6``…), one block per
line; ``<br>`` breaks a line unless it falls inside a sentence (the line before it does not end
a sentence, neither line starts with a heading number, and the line before it ends in a comma
or similar or has at least 20 characters); a table row is one line, its cells joined by a tab.
What is dropped with everything inside it: ``script``, ``style``, ``noscript``, ``template``,
``iframe``, ``svg``, ``nav``, ``header``, ``footer``, ``aside``, ``form``, ``select``,
``button``, and any element whose ``id`` or ``class`` names navigation or page chrome (nav,
menu, breadcrumb/crumb, share, footer, sidebar, toolbar, copyright, print,
position/location…). Government-site furniture left in the text (索引号 boxes, 打印本页,
【字体：大 中 小】…) is dropped by the layout rules.

Headings: ``h1``–``h6`` become heading hints (see :mod:`policyclf.readers.layout`); the page
``<title>`` and the ``<meta>`` tags ArticleTitle / title, PubDate / publishdate / date,
ContentSource / author / issuer, and 发文字号 / doc_number give metadata. When the page has an
article element (``article``, ``main`` or an element whose class/id names the content:
``article``, ``content``, ``TRS_Editor``, ``zwgk``, ``pages_content``, ``zoom``…), only it is
read, together with the first ``h1`` outside it when it has none; an information box outside
it (索引号/发布机构/发文字号…) still gives metadata.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ..exceptions import DocumentReadError
from .decode import decode_bytes
from .document import HEADING_PATTERNS, Document
from .furniture import furniture_fields, is_furniture
from .layout import parse_document
from .sentences import ends_sentence

__all__ = ["html_to_blocks", "parse_html", "read_html"]

_SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "select",
        "button",
        "object",
        "embed",
        "canvas",
        "map",
        "head",
    ]
)
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
    ]
)
_CHROME_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|crumbs?|share|sharing|footer|foot|"
    r"sidebar|side|toolbar|tools?|copyright|print|position|location|weizhi|dqwz|"
    r"banner|search|login|topbar|top|bottom|related|xgwj|links?|qrcode|ewm|"
    r"pagination|pager)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CONTENT_RE = re.compile(
    r"(?:^|[\s_-])(?:article|content|contents|TRS_Editor|zwgk|pages_content|"
    r"article-content|main-content|wzcon|zoom|fontzoom|view|detail|text|zw)(?:$|[\s_-])",
    re.IGNORECASE,
)
_META_FIELDS = {
    "articletitle": "title",
    "title": "title",
    "dc.title": "title",
    "og:title": "title",
    "pubdate": "date",
    "publishdate": "date",
    "firstpublishedtime": "date",
    "dc.date": "date",
    "date": "date",
    "article:published_time": "date",
    "contentsource": "issuer",
    "source": "issuer",
    "author": "issuer",
    "dc.publisher": "issuer",
    "issuer": "issuer",
    "发文字号": "doc_number",
    "doc_number": "doc_number",
    "wh": "doc_number",
}
_MIN_WRAPPED_CHARS = 20  # a shorter unpunctuated line before a <br> is a line of its own
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)


def _continues(previous: str, line: str) -> bool:
    """A ``<br>`` inside a sentence: the line goes on with the previous one."""
    if ends_sentence(previous) or _numbered(previous) or _numbered(line):
        return False
    return previous[-1] in "，,、；;：:（(《“" or len(previous) >= _MIN_WRAPPED_CHARS


def _numbered(line: str) -> bool:
    return any(p.match(line) for _, p in HEADING_PATTERNS) or line.startswith("第")


class _Extractor(HTMLParser):
    """Collects text blocks, heading ranks and meta tags; skips chrome subtrees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipping, content root)
        self.skip_depth = 0
        self.blocks: list[tuple[str, int | None, bool]] = []  # (text, heading rank, in content)
        self.current: list[str] = []
        self.heading: int | None = None
        self.content_depth = 0
        self.saw_content = False
        self.page_title: list[str] = []
        self.in_title = False
        self.meta: dict[str, str] = {}
        self.cells: list[str] | None = None

    # -- helpers
    def _flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        lines: list[str] = []
        for line in text.split("\n"):
            line = re.sub(r"[ \r\f\v\u00a0]+", " ", line).strip()
            if not line:
                continue
            if lines and _continues(lines[-1], line):
                lines[-1] += line
            else:
                lines.append(line)
        for line in lines:
            self.blocks.append((line, self.heading, self.content_depth > 0))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (values.get("name") or values.get("property") or "").lower()
            if key in _META_FIELDS and values.get("content", "").strip():
                self.meta.setdefault(_META_FIELDS[key], values["content"].strip())
            return
        if tag == "title" and not self.stack_has("body"):
            self.in_title = True
        if tag in _VOID_TAGS:
            if tag == "br" and not self.skip_depth:
                self.current.append("\n")
            elif tag == "hr" and not self.skip_depth:
                self._flush()
            return
        marks = f"{values.get('id', '')} {values.get('class', '')}"
        skipping = tag in _SKIP_TAGS or bool(_CHROME_RE.search(marks))
        content = (
            not self.skip_depth
            and (tag in ("article", "main") or bool(_CONTENT_RE.search(marks)))
            and not skipping
        )
        if tag in _BLOCK_TAGS and not self.skip_depth:
            if tag in ("td", "th") and self.cells is not None:
                self._cell_text()
            else:
                self._flush()
        if tag == "tr" and not self.skip_depth:
            self.cells = []
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456" and not self.skip_depth:
            self.heading = int(tag[1])
        self.stack.append((tag, skipping, content))
        if skipping:
            self.skip_depth += 1
        if content:
            self.content_depth += 1
            self.saw_content = True

    def stack_has(self, tag: str) -> bool:
        return any(t == tag for t, _, _ in self.stack)

    def _cell_text(self) -> None:
        if self.cells is None:
            return
        text = " ".join("".join(self.current).split())
        self.current = []
        if text:
            self.cells.append(text)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag == "title":
            self.in_title = False
        if tag in _VOID_TAGS:
            return
        if not any(t == tag for t, _, _ in self.stack):
            return  # a stray end tag
        while self.stack:
            open_tag, skipping, content = self.stack.pop()
            self._close(open_tag, skipping, content)
            if open_tag == tag:
                break

    def _close(self, tag: str, skipping: bool, content: bool) -> None:
        if not self.skip_depth:
            if tag in ("td", "th") and self.cells is not None:
                self._cell_text()
            elif tag == "tr" and self.cells is not None:
                self._cell_text()
                if self.cells:
                    self.current = ["\t".join(self.cells)]
                    self._flush()
                self.cells = None
            elif tag in _BLOCK_TAGS:
                self._flush()
            if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
                self.heading = None
        if skipping:
            self.skip_depth -= 1
        if content:
            self.content_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.page_title.append(data)
            return
        if self.skip_depth:
            return
        self.current.append(data.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " "))

    def close(self) -> None:
        if re.match(r"\s*<[A-Za-z!/?]", self.rawdata):
            # a comment, declaration or tag never closed is markup, not text (as in browsers)
            self.rawdata = ""
        super().close()
        while self.stack:
            tag, skipping, content = self.stack.pop()
            self._close(tag, skipping, content)
        self._flush()


def html_to_blocks(markup: str) -> tuple[list[tuple[str, int | None]], dict[str, str]]:
    """Text blocks ``(line, heading rank or None)`` of a page, and its declared metadata."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    blocks = parser.blocks
    box: dict[str, str] = {}
    if parser.saw_content and any(inside for _, _, inside in blocks):
        inside = [(t, h) for t, h, c in blocks if c]
        if not any(h is not None and h <= 2 for _, h in inside):
            title = next(((t, h) for t, h, c in blocks if not c and h == 1), None)
            if title is not None:
                inside.insert(0, title)
        chosen = inside
        # an information box outside the article still states the document's metadata
        for text, _, inside_content in blocks:
            if not inside_content and is_furniture(text):
                for k, v in furniture_fields(text).items():
                    box.setdefault(k, v)
    else:
        chosen = [(t, h) for t, h, _ in blocks]
    meta = dict(parser.meta)
    for k, v in box.items():
        meta.setdefault(k, v)
    page_title = " ".join("".join(parser.page_title).split())
    if page_title and "title" not in meta:
        # "标题_网站名" / "标题 - 网站名": keep the title part
        meta["page_title"] = re.split(r"\s*[_|｜]\s*|\s+-\s+", page_title)[0]
    return chosen, meta


def parse_html(markup: str, *, source: str | None = None, encoding: str | None = None) -> Document:
    """Parse decoded HTML into a :class:`Document` (its text: one block per line)."""
    blocks, meta = html_to_blocks(markup)
    lines: list[str] = []
    hints: dict[int, int] = {}
    pos = 0
    for text, rank in blocks:
        if rank is not None:
            hints[pos] = rank
        lines.append(text)
        pos += len(text) + 1
    text = "\n".join(lines)
    declared = dict(meta)
    page_title = declared.pop("page_title", "")
    if "title" not in declared:
        h1 = next((t for t, r in blocks if r == 1), "")
        if h1 or page_title:
            declared["title"] = h1 or page_title
    return parse_document(
        text,
        source=source,
        encoding=encoding,
        format="html",
        heading_hints=hints,
        metadata=declared,
    )


def read_html(path: str | Path) -> Document:
    """Read an HTML file (its charset from a byte-order mark, ``<meta charset>``, else UTF-8 or
    GB18030, detected)."""
    from .files import check_length

    path = Path(path)
    name = str(path)
    data = path.read_bytes()
    text, encoding = _decode_html(data, name)
    document = parse_html(text, source=name, encoding=encoding)
    check_length(name, document.text)
    return document


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        m = _CHARSET_RE.search(data[:4096])
        if m:
            declared = m.group(1).decode("ascii").lower()
            if declared in ("gb2312", "gbk", "gb_2312-80", "x-gbk"):
                declared = "gb18030"
            try:
                return data.decode(declared), declared
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration: fall back to detection
    try:
        return decode_bytes(data, name)
    except ValueError as err:
        reason = str(err)
        if reason.startswith(name + ": "):
            reason = reason[len(name) + 2 :]
        raise DocumentReadError(name, reason) from err
