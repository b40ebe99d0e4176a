"""DocumentTags.to_html: one standalone, escaped page; short notebook views."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import policyclf

DOC = (
    "关于加快科技创新的若干措施\n"
    "一、人才\n"
    "对新引进的全职博士给予每人十万元安家补贴。全市生产总值增长百分之五。\n"
    "二、平台\n"
    "支持企业建设重点实验室<script>alert(1)</script>和中试基地。\n"
)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _doc(model: policyclf.Model, tmp_path: Path) -> policyclf.DocumentTags:
    f = tmp_path / "措施.txt"
    f.write_text(DOC, encoding="utf-8")
    return model.tag_document(f)


def test_page_is_standalone_escaped_and_highlights_sentences(
    model: policyclf.Model, tmp_path: Path
) -> None:
    doc = _doc(model, tmp_path)
    out = tmp_path / "page.html"
    page = doc.to_html(out)
    assert out.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"(src|href)\s*=", page) and "@import" not in page and "url(" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    p = _Collect()
    p.feed(page)
    spans = [a for t, a in p.tags if t == "span" and "s" in (a.get("class") or "").split()]
    n_sent = sum(len(pt.sentences) for pt in doc.paragraphs)
    assert len(spans) == n_sent
    for (_, tag), a in zip([x for pt in doc.paragraphs for x in pt.sentences], spans, strict=True):
        title = a["title"] or ""
        assert all(f"{k} {v:.2f}" in title for k, v in tag.scores.items())
        for k in tag.labels:
            assert f"l-{k}" in (a.get("class") or "")
    talent = [a for a in spans if "l-talent" in (a.get("class") or "")]
    assert talent  # the subsidy sentence is highlighted as talent
    # the profile table is on top, before the first sentence
    assert page.index("share of paragraphs") < page.index('class="s')
    assert "一、人才" in page  # headings are shown


def test_to_html_without_path_only_returns(model: policyclf.Model, tmp_path: Path) -> None:
    doc = _doc(model, tmp_path)
    before = sorted(tmp_path.iterdir())
    assert doc.to_html(title="<b>x</b>").count("&lt;b&gt;x&lt;/b&gt;") == 2
    assert sorted(tmp_path.iterdir()) == before


def test_notebook_views_are_short(model: policyclf.Model, tmp_path: Path) -> None:
    doc = _doc(model, tmp_path)
    r = repr(doc)
    assert r.startswith("<DocumentTags") and len(r) < 300
    html = doc._repr_html_()
    assert "<table" in html and len(html) < 6000 and "&lt;script&gt;" in html
    t = model.tag("对新引进的全职博士给予每人十万元安家补贴。")
    assert "talent" in repr(t) and len(repr(t)) < 200
    th = t._repr_html_()
    assert th.count("<tr") == len(t.scores) + 1
    assert f"<b>{', '.join(t.labels)}</b>" in th


def test_long_documents_show_a_preview_only(model: policyclf.Model) -> None:
    text = "\n".join(f"对第{i}批新引进的全职博士给予每人十万元安家补贴。" for i in range(60))
    doc = model.tag_document(text)
    html = doc._repr_html_()
    assert "more" in html and html.count("<tr>") < 20
