"""Split text into sentences.

Sentences end after 。！？； and half-width ! ? ; (runs such as ？！ stay together, as does an
ellipsis ……); closing quotes and brackets right after the end go with the sentence they close.
No sentence ends inside a matched pair of 《》, “”, ‘’, 「」, 『』, (), （）, 【】 or 〔〕 spanning
at most 250 characters; an opening mark without its closing partner is ignored, so an unbalanced
quote cannot swallow the rest of the paragraph. Sentences never cross paragraphs, are trimmed of
surrounding whitespace, and a paragraph without terminal punctuation is one sentence.
"""

from __future__ import annotations

import re

from .document import Sentence

__all__ = [
    "CLOSERS",
    "TERMINATORS",
    "ends_sentence",
    "has_terminator",
    "sentences_with_gaps",
    "split_sentences",
]

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


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split ``text`` into sentences (rules in the module docstring); offsets are into ``text``.

    Line breaks do not end sentences: pass one paragraph at a time.
    """
    return tuple(Sentence(text[s:e], s, e) for s, e in _split(text, 0, len(text)))


def sentences_with_gaps(
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


TERMINATORS = _TERMINATORS
CLOSERS = _CLOSERS


_TERMINATOR_RE = re.compile("[。！？；!?;]")


def has_terminator(s: str) -> bool:
    """True when ``s`` contains sentence-final punctuation."""
    return _TERMINATOR_RE.search(s) is not None


def ends_sentence(line: str) -> bool:
    """True when ``line`` ends a sentence (closing quotes and brackets aside)."""
    stripped = line.rstrip("".join(_CLOSERS))
    return bool(stripped) and (stripped[-1] in _TERMINATORS or stripped.endswith("……"))
