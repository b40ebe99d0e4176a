"""Several documents for ``policyclf tag``: a folder, several files, or both.

Documents are read one at a time with :func:`policyclf.readers.iter_documents` (plain text,
HTML, Word, PDF) and tagged with :meth:`Model.tag_document`, so memory stays bounded by the
largest document. Every output row starts with ``doc`` (the file's path relative to the folder,
or as given); a file that cannot be read gives one row with the reason in ``error``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ._inputs import Source, Unit

if TYPE_CHECKING:
    from policyclf.model import Model, Tag
    from policyclf.readers import CorpusItem

__all__ = ["corpus_source"]


def corpus_source(
    model: Model, sources: Sequence[str], *, sentences: bool, encoding: str | None
) -> Source:
    """The units of the documents in ``sources`` (folders and files), tagged as they are read."""
    fields = [
        "doc",
        "paragraph",
        *(["sentence"] if sentences else []),
        "headings",
        "start",
        "end",
        "text",
    ]

    def items() -> Iterator[tuple[str, CorpusItem]]:
        from pathlib import Path

        from policyclf.readers import iter_documents

        one_folder = len(sources) == 1 and Path(sources[0]).is_dir()
        for entry in sources:
            if Path(entry).is_dir():
                prefix = "" if one_folder else entry.rstrip("/\\") + "/"
                for item in iter_documents(entry, encoding=encoding):
                    yield prefix + item.doc, item
            else:
                for item in iter_documents([entry], encoding=encoding):
                    yield item.doc, item

    def pairs() -> Iterator[tuple[Unit, Tag | None]]:
        for d, (doc_id, item) in enumerate(items(), start=1):
            error = item.error
            document = None if error else item.to_document()
            if document is not None and not document.paragraphs:
                error = f"{item.path or doc_id}: no paragraph of text in the document"
            if error or document is None:
                failed: dict[str, object] = dict.fromkeys(fields)
                failed.update(doc=doc_id, text="")
                yield Unit(str(d), failed, "", error, headings=doc_id), None
                continue
            tagged = model.tag_document(document)
            for i, pt in enumerate(tagged.paragraphs, start=1):
                heads = " > ".join(pt.paragraph.headings)
                shown = doc_id + (" > " + heads if heads else "")
                units = (
                    [(pt.paragraph, pt.tag, None)]
                    if not sentences
                    else [(s, t, j) for j, (s, t) in enumerate(pt.sentences, start=1)]
                )
                for part, tag, j in units:
                    row: dict[str, object] = {"doc": doc_id, "paragraph": i}
                    if sentences:
                        row["sentence"] = j
                    row.update(headings=heads, start=part.start, end=part.end, text=part.text)
                    key = f"{d}:{i}" + (f".{j}" if j is not None else "")
                    yield Unit(key, row, part.text, headings=shown), tag

    return Source(fields, pairs(), "corpus")
