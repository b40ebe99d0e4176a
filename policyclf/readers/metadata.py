"""Metadata a document states about itself: title, date, issuer and document number.

Sources, strongest first: what the file format declares (HTML ``<meta>`` tags, Word core
properties), the page's information box (发布机构/发布日期/发文字号, see
:mod:`policyclf.readers.furniture`), then the text itself: the document title heading, a
document-number line near the top (鲁政发〔2018〕3号), and the signature at the end (an issuing
body on a short line followed by a date line). Dates are given as ISO ``YYYY-MM-DD`` (or
``YYYY-MM`` / ``YYYY`` when that is all the text says); anything not stated is "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .document import METADATA_FIELDS
from .furniture import DOC_NUMBER_RE

__all__ = ["iso_date", "merge_metadata", "signature_metadata"]

_CN_NUM = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_CN_NUM["零"] = 0
_DATE_RE = re.compile(
    r"((?:19|20)\d{2})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(?:(\d{1,2})\s*日?)?"
)
_CN_DATE_RE = re.compile(
    r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?"
)
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年?")
_ISSUER_END = re.compile(
    r"(?:人民政府|人民政府办公厅|人民政府办公室|办公厅|办公室|委员会|委|局|厅|部|院|署|会|中心|协会|"
    r"政府|党委|区委|市委|省委|县委|管委会|工作组|领导小组)$"
)


def _cn_small(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM.get(s[1], 0)
    if s.endswith("十"):
        return _CN_NUM.get(s[0], 0) * 10
    if "十" in s:
        a, b = s.split("十")
        return _CN_NUM.get(a, 0) * 10 + _CN_NUM.get(b, 0)
    return _CN_NUM.get(s, 0)


def iso_date(value: str) -> str:
    """``"2018年1月5日"``, ``"2018-01-05 10:20"``, ``"二〇一八年一月五日"`` → ``"2018-01-05"``;
    ``"2018年3月"`` → ``"2018-03"``; a bare year → ``"2018"``; "" when there is no date."""
    m = _DATE_RE.search(value)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            day = int(m.group(3)) if m.group(3) else 0
            if 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
            return f"{year:04d}-{month:02d}"
    m2 = _CN_DATE_RE.search(value)
    if m2:
        year = int("".join(str(_CN_NUM[c]) for c in m2.group(1)))
        month = _cn_small(m2.group(2))
        day = _cn_small(m2.group(3)) if m2.group(3) else 0
        if 1 <= month <= 12:
            if 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
            return f"{year:04d}-{month:02d}"
    m3 = _YEAR_RE.search(value)
    return m3.group(1) if m3 else ""


def _is_date_line(line: str) -> bool:
    core = line.strip(" \t\u3000()（）")
    return (
        bool(core)
        and len(core) <= 20
        and bool(iso_date(core))
        and ((_DATE_RE.fullmatch(core) is not None) or (_CN_DATE_RE.fullmatch(core) is not None))
    )


def signature_metadata(lines: Sequence[str]) -> dict[str, str]:
    """Date, issuer and document number from a document's lines (the first and last few).

    A document-number line near the top gives ``doc_number``; at the end, a date line gives
    ``date`` and a short line of an issuing body just above it gives ``issuer``.
    """
    found: dict[str, str] = {}
    for line in lines[:8]:
        core = line.strip()
        if DOC_NUMBER_RE.fullmatch(core):
            found["doc_number"] = core
            break
    tail = [ln.strip() for ln in lines[-6:] if ln.strip()]
    for i in range(len(tail) - 1, -1, -1):
        if _is_date_line(tail[i]):
            found["date"] = iso_date(tail[i])
            if i > 0 and len(tail[i - 1]) <= 30 and _ISSUER_END.search(tail[i - 1]):
                found["issuer"] = tail[i - 1]
            break
    return found


def merge_metadata(*sources: Mapping[str, str]) -> dict[str, str]:
    """One value per field of :data:`METADATA_FIELDS`: the first non-empty one, in order."""
    out = {k: "" for k in METADATA_FIELDS}
    for source in sources:
        for k in METADATA_FIELDS:
            value = " ".join(str(source.get(k) or "").split())
            if value and not out[k]:
                out[k] = iso_date(value) or value if k == "date" else value
    return out
