"""HTML views: a tagged document as one standalone page, and short tables for Jupyter.

Every text is escaped; pages carry their CSS inline and load nothing from elsewhere.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .style import label_colors, tint

if TYPE_CHECKING:
    from ..model import DocumentTags, Tag
    from .profiling import Profile

__all__ = ["document_html", "document_repr_html", "profile_html", "tag_html", "write_document_html"]

_PREVIEW_CHARS = 40


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _names(labels: Sequence[str]) -> dict[str, str]:
    """Chinese names of the bundled taxonomy for the ids it knows; the id otherwise."""
    try:
        from ..taxonomy import load_taxonomy

        known = {c.id: c.name_zh for c in load_taxonomy().categories}
    except Exception:  # pragma: no cover - a broken install still renders ids
        known = {}
    return {k: known.get(k, k) for k in labels}


def _pct(x: float) -> str:
    return "–" if x != x else f"{x:.0%}"  # NaN -> dash


_TABLE_CSS = "border-collapse:collapse;font-size:0.9em"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"
_NUM = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:right"


def tag_html(tag: Tag) -> str:
    """A Tag as a small table: each label's score, predicted labels in bold."""
    labels = list(tag.scores)
    colors = label_colors(labels)
    rows = []
    for k in labels:
        given = k in tag.labels
        w = "font-weight:bold" if given else "color:#777"
        chip = f'<span style="color:{colors[k]}">■</span> '
        rows.append(
            f'<tr style="{w}"><td style="{_CELL}">{chip}{_e(k)}</td>'
            f'<td style="{_NUM}">{tag.scores[k]:.3f}</td>'
            f'<td style="{_CELL}">{"✓" if given else ""}</td></tr>'
        )
    head = ", ".join(tag.labels) if tag.labels else "no measure"
    return (
        f'<table style="{_TABLE_CSS}"><caption style="text-align:left">Tag: <b>{_e(head)}</b>'
        f'</caption><tr><th style="{_CELL}">label</th><th style="{_NUM}">score</th>'
        f'<th style="{_CELL}">given</th></tr>{"".join(rows)}</table>'
    )


def _sentence_shares(doc: DocumentTags) -> dict[str, float]:
    tags = [t for p in doc.paragraphs for _, t in p.sentences]
    n = len(tags)
    return {k: (sum(k in t.labels for t in tags) / n if n else float("nan")) for k in doc.profile}


def _profile_rows(doc: DocumentTags) -> str:
    names = _names(list(doc.profile))
    colors = label_colors(list(doc.profile))
    sent = _sentence_shares(doc)
    n_par = len(doc.paragraphs)
    rows = []
    for k, share in doc.profile.items():
        n_lab = sum(k in p.tag.labels for p in doc.paragraphs)
        rows.append(
            f'<tr><td style="{_CELL}"><span style="color:{colors[k]}">■</span> {_e(k)}</td>'
            f'<td style="{_CELL}">{_e(names[k])}</td>'
            f'<td style="{_NUM}">{n_lab} / {n_par}</td><td style="{_NUM}">{_pct(share)}</td>'
            f'<td style="{_NUM}">{_pct(sent[k])}</td></tr>'
        )
    return (
        f'<tr><th style="{_CELL}">label</th><th style="{_CELL}">名称</th>'
        f'<th style="{_NUM}">paragraphs</th><th style="{_NUM}">share of paragraphs</th>'
        f'<th style="{_NUM}">share of sentences</th></tr>' + "".join(rows)
    )


def _summary_line(doc: DocumentTags) -> str:
    d = doc.document
    n_sent = sum(len(p.sentences) for p in doc.paragraphs)
    src = d.source or "(text)"
    return f"{src}: {len(doc.paragraphs)} paragraphs, {n_sent} sentences"


def document_repr_html(doc: DocumentTags, max_paragraphs: int = 5) -> str:
    """A DocumentTags for Jupyter: its profile, then the first paragraphs' labels (short)."""
    previews = []
    for i, p in enumerate(doc.paragraphs[:max_paragraphs], start=1):
        text = p.text if len(p.text) <= _PREVIEW_CHARS else p.text[:_PREVIEW_CHARS] + "…"
        labels = ", ".join(p.tag.labels) or "—"
        previews.append(
            f'<tr><td style="{_NUM}">{i}</td><td style="{_CELL}">{_e(labels)}</td>'
            f'<td style="{_CELL}">{_e(text)}</td></tr>'
        )
    more = len(doc.paragraphs) - max_paragraphs
    tail = f'<tr><td colspan="3" style="{_CELL}">… {more} more</td></tr>' if more > 0 else ""
    return (
        f"<div><b>DocumentTags</b> — {_e(_summary_line(doc))}"
        f'<table style="{_TABLE_CSS}">{_profile_rows(doc)}</table>'
        f'<table style="{_TABLE_CSS};margin-top:6px"><tr><th style="{_NUM}">#</th>'
        f'<th style="{_CELL}">labels</th><th style="{_CELL}">paragraph</th></tr>'
        f"{''.join(previews)}{tail}</table></div>"
    )


_PAGE_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"WenQuanYi Micro Hei",sans-serif;max-width:52em;margin:2em auto;padding:0 1em;line-height:1.9;
color:#222}
header{border-bottom:1px solid #ccc;margin-bottom:1.5em;padding-bottom:1em}
h1{font-size:1.4em}.meta{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
th,td{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n,th.n{text-align:right}
.legend span{display:inline-block;margin-right:1em;padding:0 .4em;border-radius:3px}
.s{border-radius:3px;padding:1px 0}
.s[title]:hover{outline:1px solid #888}
.chip{font-size:.65em;vertical-align:super;margin:0 2px;font-weight:bold}
.heading{font-weight:bold;margin:1.2em 0 .3em}
.para{margin:.4em 0 .8em}
.plabels{color:#888;font-size:.75em;margin-left:.5em}
"""


def document_html(doc: DocumentTags, title: str | None = None) -> str:
    """A tagged document as one standalone HTML page (see :func:`write_document_html`)."""
    labels = list(doc.profile)
    colors = label_colors(labels)
    names = _names(labels)
    d = doc.document
    page_title = title or (os.path.basename(d.source) if d.source else "policyclf: tagged document")
    legend = "".join(
        f'<span style="background:{tint(colors[k])}">{_e(k)} {_e(names[k])}</span>' for k in labels
    )
    parts: list[tuple[int, str]] = []
    for h in getattr(d, "headings", ()):
        parts.append((h.start, f'<div class="heading">{_e(h.text)}</div>'))
    for i, p in enumerate(doc.paragraphs, start=1):
        spans = [_sentence_span(s.text, t, colors, names) for s, t in p.sentences]
        ptitle = _scores_title(p.tag)
        plabels = ", ".join(names.get(k, k) for k in p.tag.labels) or "—"
        parts.append(
            (
                p.paragraph.start,
                f'<p class="para" id="p{i}">{"".join(spans)}'
                f'<span class="plabels" title="{_e("paragraph " + str(i) + ": " + ptitle)}">'
                f"[{_e(plabels)}]</span></p>",
            )
        )
    parts.sort(key=lambda x: x[0])
    body = "\n".join(x for _, x in parts)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(page_title)}</title><style>{_PAGE_CSS}</style></head><body>\n"
        f'<header><h1>{_e(page_title)}</h1><p class="meta">{_e(_summary_line(doc))}. '
        "Sentences are highlighted by the measures the model found; hover over one for its "
        "scores. The bracket after each paragraph gives the paragraph's own labels.</p>"
        f"<table>{_profile_rows(doc)}</table>"
        f'<div class="legend">{legend}</div></header>\n<main>\n{body}\n</main></body></html>\n'
    )


def _scores_title(tag: Tag) -> str:
    given = ", ".join(tag.labels) or "no measure"
    scores = " · ".join(f"{k} {v:.2f}" for k, v in sorted(tag.scores.items(), key=lambda x: -x[1]))
    return f"{given} — {scores}"


def _sentence_span(text: str, tag: Tag, colors: Mapping[str, str], names: Mapping[str, str]) -> str:
    title = _e(_scores_title(tag))
    if not tag.labels:
        return f'<span class="s" title="{title}">{_e(text)}</span>'
    tints = [tint(colors.get(k, "#999999")) for k in tag.labels]
    if len(tints) == 1:
        bg = tints[0]
    else:
        step = 100 / len(tints)
        stops = ",".join(
            f"{c} {i * step:.0f}%,{c} {(i + 1) * step:.0f}%" for i, c in enumerate(tints)
        )
        bg = f"linear-gradient(to bottom,{stops})"
    chips = "".join(
        f'<span class="chip" style="color:{colors.get(k, "#999999")}">{_e(names.get(k, k))}</span>'
        for k in tag.labels
    )
    cls = " ".join(f"l-{k}" for k in tag.labels)
    return (
        f'<span class="s {_e(cls)}" style="background:{bg}" title="{title}">{_e(text)}</span>'
        f"{chips}"
    )


def write_document_html(
    doc: DocumentTags, path: str | os.PathLike[str] | None = None, title: str | None = None
) -> str:
    """The page of :func:`document_html`; written (atomically, UTF-8) to ``path`` if given."""
    page = document_html(doc, title)
    if path is not None:
        from .profiling import write_atomic

        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(page)

        write_atomic(path, write, suffix=".html")
    return page


def profile_html(profile: Profile, max_groups: int = 12) -> str:
    """A Profile for Jupyter: groups × labels of the (adjusted) share with its interval."""
    wide = profile.wide()
    low, high = profile.wide("ci_low"), profile.wide("ci_high")
    n = profile.wide("n_units")
    groups = list(wide.index)
    shown = groups if len(groups) <= max_groups else groups[: max_groups - 1] + groups[-1:]
    colors = label_colors(list(profile.labels))
    head = "".join(
        f'<th style="{_NUM}"><span style="color:{colors[k]}">■</span> {_e(k)}</th>'
        for k in profile.labels
    )
    values, lows, highs = (x.to_numpy(dtype=float) for x in (wide, low, high))
    units = n.to_numpy(dtype=float)[:, 0] if len(n.columns) else np.zeros(len(groups))
    rows = []
    for i, g in enumerate(shown):
        if len(shown) < len(groups) and i == len(shown) - 1:
            rows.append(f'<tr><td colspan="99" style="{_CELL}">…</td></tr>')
        r = groups.index(g)
        cells = "".join(
            f'<td style="{_NUM}" title="{_e(_interval(lows[r, j], highs[r, j], profile.level))}">'
            f"{_pct(values[r, j])}</td>"
            for j in range(len(profile.labels))
        )
        rows.append(
            f'<tr><td style="{_CELL}">{_e(g)}</td><td style="{_NUM}">{int(units[r])}</td>'
            f"{cells}</tr>"
        )
    what = "adjusted share" if profile.adjusted else "share"
    return (
        f"<div><b>Profile</b> — {_e(profile.summary())}"
        f'<table style="{_TABLE_CSS}"><tr><th style="{_CELL}">{_e(profile.by or "group")}</th>'
        f'<th style="{_NUM}">{_e(profile.unit)}s</th>{head}</tr>{"".join(rows)}</table>'
        f'<div style="color:#777;font-size:.8em">{_e(what)} of {_e(profile.unit)}s carrying each '
        f"label (hover: {profile.level:.0%} interval); the full table is <code>.table</code></div>"
        "</div>"
    )


def _interval(low: float, high: float, level: float) -> str:
    return f"{level:.0%} interval {_pct(low)} – {_pct(high)}"
