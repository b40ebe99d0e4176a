"""What tagging returns: a :class:`Tag` per text, and a document's tags.

These are plain frozen records; they know nothing about how they were computed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .readers import Document, Paragraph, Sentence

__all__ = ["DocumentTags", "ParagraphTags", "Tag", "union_tag"]


@dataclass(frozen=True)
class Tag:
    """The model's reading of one text.

    Attributes:
        labels: predicted label ids in taxonomy order; ``()`` when the text carries no measure.
        scores: every label id -> calibrated probability in [0, 1].
        evidence: each predicted label -> ``[(term, weight), ...]``, strongest first, where
            weight = the term's feature value × the label's coefficient (cue terms from the
            codebook included). Only terms that pushed toward the label are listed.
    """

    labels: tuple[str, ...]
    scores: dict[str, float]
    evidence: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.labels)

    def __repr__(self) -> str:
        scores = ", ".join(f"{k!r}: {v:.2f}" for k, v in self.scores.items())
        ev = f", evidence for {len(self.evidence)} label(s)" if self.evidence else ""
        return f"Tag(labels={self.labels!r}, scores={{{scores}}}{ev})"

    def _repr_html_(self) -> str:
        from .analysis.html import tag_html

        return tag_html(self)


def union_tag(tags: Sequence[Tag], labels: Sequence[str]) -> Tag:
    """The tag of a text made of the texts tagged ``tags`` (a paragraph of sentences).

    The codebook's rule: a paragraph carries exactly the labels of its sentences (their union,
    in ``labels`` order). Its score for a label is the highest sentence score (so a label is
    given exactly when some sentence reaches the label's threshold), and its evidence for a
    label is that of the sentence scoring highest on it.
    """
    if not tags:
        return Tag((), dict.fromkeys(labels, 0.0), {})
    given = {k for t in tags for k in t.labels}
    scores = {k: max(t.scores.get(k, 0.0) for t in tags) for k in labels}
    evidence: dict[str, list[tuple[str, float]]] = {}
    for k in labels:
        if k in given:
            best = max((t for t in tags if k in t.labels), key=lambda t: t.scores.get(k, 0.0))
            if k in best.evidence:
                evidence[k] = list(best.evidence[k])
    return Tag(tuple(k for k in labels if k in given), scores, evidence)


@dataclass(frozen=True)
class ParagraphTags:
    """One paragraph of a document with its tag and its sentences' tags.

    ``tag`` follows the codebook: its labels are the union of the sentences' labels
    (:func:`union_tag`).
    """

    paragraph: Paragraph
    tag: Tag
    sentences: tuple[tuple[Sentence, Tag], ...]

    @property
    def text(self) -> str:
        return self.paragraph.text


@dataclass(frozen=True)
class DocumentTags:
    """A tagged document: every paragraph, and the profile of the whole document."""

    document: Document
    paragraphs: tuple[ParagraphTags, ...]
    profile: dict[str, float]  # label id -> share of paragraphs carrying it

    def __repr__(self) -> str:
        n_sent = sum(len(p.sentences) for p in self.paragraphs)
        shares = ", ".join(f"{k}: {v:.2f}" for k, v in self.profile.items())
        return (
            f"<DocumentTags source={self.document.source!r} paragraphs={len(self.paragraphs)} "
            f"sentences={n_sent} profile={{{shares}}}>"
        )

    def _repr_html_(self) -> str:
        from .analysis.html import document_repr_html

        return document_repr_html(self)

    def to_html(
        self, path: str | os.PathLike[str] | None = None, *, title: str | None = None
    ) -> str:
        """The document as one standalone HTML page: its profile on top, then every paragraph
        with its sentences highlighted by label (scores on hover). Written to ``path`` when
        given (UTF-8, atomically); the page is returned either way."""
        from .analysis.html import write_document_html

        return write_document_html(self, path, title)

    def to_frame(self, level: str = "paragraph") -> pd.DataFrame:
        """One row per paragraph (or per sentence with ``level="sentence"``)."""
        import pandas as pd

        if level not in ("paragraph", "sentence"):
            raise ValueError(f"level must be 'paragraph' or 'sentence', got {level!r}")
        rows: list[dict[str, Any]] = []
        for i, pt in enumerate(self.paragraphs, start=1):
            base: dict[str, Any] = {"paragraph": i, "headings": " > ".join(pt.paragraph.headings)}
            units: list[tuple[Paragraph | Sentence, Tag]] = (
                [(pt.paragraph, pt.tag)] if level == "paragraph" else list(pt.sentences)
            )
            for j, (unit, tag) in enumerate(units, start=1):
                row = dict(base)
                if level != "paragraph":
                    row["sentence"] = j
                row.update(text=unit.text, start=unit.start, end=unit.end)
                row["labels"] = ";".join(tag.labels)
                row.update({f"score_{k}": v for k, v in tag.scores.items()})
                rows.append(row)
        return pd.DataFrame(rows)
