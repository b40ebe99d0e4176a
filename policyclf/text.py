"""Text normalisation: turn raw policy text into clean, simplified, half-width Chinese.

:func:`normalize` runs in linear time, is total (it never raises on any ``str``: lone
surrogates, NUL, control characters, emoji, zero-width characters, megabyte strings) and is
idempotent (``normalize(normalize(s)) == normalize(s)``). Every step is a C-level string
operation (compiled regular expressions, ``str.translate``, ``unicodedata``); there is no
Python loop over characters.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Sequence
from importlib.resources import files

__all__ = ["is_chinese_text", "normalize", "normalize_many"]

# --- 1. HTML -------------------------------------------------------------------------------
# A tag is only a tag when "<" is followed by a letter, "/" or "!", so "收入<5万元" survives.
# "[^<>]*" (not "[^>]*") keeps every pattern linear: a scan never runs past the next "<".
_SCRIPT_RE = re.compile(r"<(script|style)\b[^<>]*>(?:.*?</\1\s*>|.*)", re.IGNORECASE | re.DOTALL)
_COMMENT_RE = re.compile(r"<!--(?:.*?-->|.*)", re.DOTALL)
_BLOCK_TAGS = (
    "address|article|aside|blockquote|body|br|caption|dd|div|dl|dt|fieldset|figcaption|figure|"
    "footer|form|h[1-6]|head|header|hr|html|li|main|nav|ol|option|p|pre|section|table|tbody|td|"
    "tfoot|th|thead|title|tr|ul"
)
_BLOCK_TAG_RE = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^<>]*>|<![^<>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[A-Za-z/][^<>]*>")
# Whatever the steps above would still see as markup in the final text (e.g. "&lt;b&gt;"
# unescaped to "<b>"): a space after "<" or "&" defuses it, which keeps normalize idempotent.
_LEFTOVER_TAG_RE = re.compile(r"<(?=!--|[A-Za-z/!][^<>]*>)")
_CHARREF_RE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_MAX_UNESCAPE_ROUNDS = 3  # "&amp;nbsp;" (double escaping) is common in scraped pages

# --- 2. invisible and control characters ----------------------------------------------------
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\ud800-\udfff]")
_CONTROL_TABLE: dict[int, str | None] = {cp: " " for cp in range(0x00, 0x20) if cp not in (9, 10)}
_CONTROL_TABLE.update({cp: " " for cp in range(0x7F, 0xA0)})
_CONTROL_TABLE.update({cp: " " for cp in range(0xD800, 0xE000)})
_CONTROL_TABLE.update({ord(ch): None for ch in _ZERO_WIDTH})

# CJK Unified Ideographs (+ extensions A-H), compatibility ideographs and 〇.
_CJK_RE = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")

# --- 4. traditional -> simplified (loaded on first use) --------------------------------------
_t2s_lock = threading.Lock()
_t2s: tuple[dict[int, int], frozenset[str]] | None = None
_t2s_finder: re.Pattern[str] | None = None
# Up to this length, whether a text holds a traditional character is asked of a frozenset;
# longer texts use one regex (compiled on the first long text: compiling a class of several
# thousand characters costs ~25 ms, a tenth of a cold start).
_T2S_SET_CHECK_MAX = 256


def _load_t2s() -> tuple[dict[int, int], frozenset[str]]:
    """Read ``data/t2s.txt`` once: the translate table and its keys as characters."""
    global _t2s
    with _t2s_lock:
        if _t2s is None:
            table: dict[int, int] = {}
            text = (files("policyclf") / "data" / "t2s.txt").read_text(encoding="utf-8")
            for line in text.splitlines():
                if not line or line.startswith("#"):
                    continue
                trad, _, simp = line.partition("\t")
                if len(trad) == 1 and len(simp) == 1:
                    table[ord(trad)] = ord(simp)
            _t2s = (table, frozenset(map(chr, table)))
        return _t2s


def _t2s_regex() -> re.Pattern[str]:
    """A regex finding any key of the t2s table (compiled once, on first use)."""
    global _t2s_finder
    table, _ = _t2s if _t2s is not None else _load_t2s()
    with _t2s_lock:
        if _t2s_finder is None:
            # A class of BMP characters compiles to a bitmap (fast); with astral characters
            # in it, re falls back to a slow range scan, so any astral character just
            # triggers the translate.
            bmp = "".join(sorted(chr(cp) for cp in table if cp < 0x10000))
            _t2s_finder = re.compile(f"[{re.escape(bmp)}]|[\U00010000-\U0010ffff]")
        return _t2s_finder


def _has_traditional(text: str, keys: frozenset[str]) -> bool:
    """Whether ``text`` may hold a character of the t2s table (never False when it does)."""
    if len(text) <= _T2S_SET_CHECK_MAX:
        return not keys.isdisjoint(text)
    finder = _t2s_finder if _t2s_finder is not None else _t2s_regex()
    return finder.search(text) is not None


def _remove_tags(text: str) -> str:
    text = _SCRIPT_RE.sub(" ", text)
    text = _COMMENT_RE.sub(" ", text)
    text = _BLOCK_TAG_RE.sub(" ", text)  # block-level tags separate words
    return _TAG_RE.sub("", text)  # inline tags (<span>, <b>) may sit inside a word


def _strip_html(text: str) -> str:
    """Drop script/style blocks, comments and tags, then unescape entities."""
    if "<" in text:
        text = _remove_tags(text)
    escaped = text
    for _ in range(_MAX_UNESCAPE_ROUNDS):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    if text is not escaped and "<" in text:
        text = _remove_tags(text)  # escaped markup, e.g. "&lt;p&gt;正文&lt;/p&gt;"
    return text


def _defuse_entity(match: re.Match[str]) -> str:
    ref = match.group()
    return "& " + ref[1:] if html.unescape(ref) != ref else ref


def normalize(text: str) -> str:
    """Return ``text`` cleaned for tagging: plain, half-width, simplified, one-line.

    Steps, in this order:

    1. HTML: ``<script>``/``<style>`` blocks and comments are removed with their content, then
       every tag (``<p>``, ``<br/>``, ``</span>``...); block-level tags become a space, inline
       tags vanish. Only ``<`` followed by a letter, ``/`` or ``!`` starts a tag, so text such
       as ``收入<5万元`` is kept. Entities (``&nbsp;``, ``&amp;``, ``&#12290;``) are unescaped,
       up to three rounds for double-escaped text; markup that was escaped
       (``&lt;p&gt;正文&lt;/p&gt;``) is then removed too.
    2. Zero-width characters (U+200B-U+200D, U+2060, U+FEFF) are removed; other control
       characters (categories Cc and Cs, i.e. lone surrogates, except ``\\n`` and ``\\t``)
       become a space.
    3. Unicode NFKC: full-width digits, letters and most punctuation become half-width
       (``"２０２３"`` -> ``"2023"``, ``"（１）"`` -> ``"(1)"``, ``"，；：！？"`` -> ``",;:!?"``);
       ``。、“”《》`` are kept.
    4. Traditional -> simplified Chinese, character by character (OpenCC's one-to-one
       character table, first candidate). Phrase-level conversion is not attempted: a
       character is always mapped the same way whatever the word (``乾`` becomes ``干`` even
       in ``乾隆``).
    5. Every run of whitespace (including U+3000 and no-break spaces) becomes one space; the
       ends are stripped.

    Markup that only appears after these steps (``"&lt;b&gt;"`` -> ``"<b>"``) is defused by
    a space after ``<`` or ``&``, so ``normalize`` is idempotent.
    """
    if not text:
        return ""
    text = _strip_html(text)
    if _CONTROL_RE.search(text) is not None:
        text = text.translate(_CONTROL_TABLE)
    text = _simplified(unicodedata.normalize("NFKC", text))
    return _defuse(" ".join(text.split()))


def _simplified(text: str) -> str:
    """normalize's step 4: traditional characters mapped to simplified ones."""
    table, keys = _t2s if _t2s is not None else _load_t2s()
    return text.translate(table) if _has_traditional(text, keys) else text


def _defuse(text: str) -> str:
    """normalize's last step: a space after a ``<`` or ``&`` that would read as markup."""
    if "<" in text:
        text = _LEFTOVER_TAG_RE.sub("< ", text)
    if "&" in text:
        text = _CHARREF_RE.sub(_defuse_entity, text)
    return text


def normalize_many(texts: Sequence[str]) -> list[str]:
    """``[normalize(t) for t in texts]``, in a few passes over the whole batch where it can.

    When no text holds markup (``<``, ``&``), a control or zero-width character or a line
    break, the HTML and control steps do nothing, so the batch is joined with line breaks and
    NFKC and the traditional -> simplified table run once on the whole; a line break is a
    boundary NFKC never crosses, so every text comes out as :func:`normalize` makes it (tested).
    Otherwise each text is normalised on its own.
    """
    n = len(texts)
    joined = "\n".join(texts)
    if (
        n < 2
        or "<" in joined
        or "&" in joined
        or joined.count("\n") != n - 1
        or _CONTROL_RE.search(joined) is not None
    ):
        return [normalize(t) for t in texts]
    joined = unicodedata.normalize("NFKC", joined)
    if joined.count("\n") != n - 1:  # pragma: no cover - NFKC makes no line break
        return [normalize(t) for t in texts]
    joined = _simplified(joined)
    out = [" ".join(part.split()) for part in joined.split("\n")]
    if "<" in joined or "&" in joined:  # made by NFKC (full-width ＜ ＆)
        out = [_defuse(t) for t in out]
    return out


def is_chinese_text(text: str, *, normalized: bool = False) -> bool:
    """True when the normalised ``text`` contains at least one CJK ideograph.

    Text without Chinese gets no labels from the model. Pass ``normalized=True`` when
    ``text`` already went through :func:`normalize` to skip doing it again.
    """
    if not normalized:
        text = normalize(text)
    return _CJK_RE.search(text) is not None
