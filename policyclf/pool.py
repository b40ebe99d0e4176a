"""Coded sentences of the real documents in ``../shared/pool``, stored without their text.

The pool's documents may not be copied into this repository, so its coded sentences are kept as
spans: ``labels/pool/sentences.csv`` holds, per sentence, the split (``train`` or the held-out
``test``), the document id, character offsets into the document's text, a hash of the span and its
labels. Training needs no text: ``labels/pool/features.jsonl.gz`` ships each training span's
analysis (its word and character-bigram terms with their counts, and its cue and frame matches;
see :class:`policyclf.features.AnalysedText`), from which the featurizer builds exactly the rows
the text would give. Evaluation on the held-out documents reads their text from the pool at run
time (:func:`pool_texts`).

Regenerate the shipped analysis after a change of tokenizer, cue terms or frames with
``python -m policyclf.pool --write-features`` (needs ``../shared/pool``); a test checks that it is
current whenever the pool is present.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .exceptions import LabelFileError
from .features import AnalysedText, Featurizer
from .resources import data_path

__all__ = [
    "PoolSpan",
    "analysis_featurizer",
    "find_pool",
    "load_pool_labels",
    "pool_texts",
    "pool_training_texts",
    "span_hash",
    "write_features",
]

LABELS_FILE = ("labels", "pool", "sentences.csv")
FEATURES_FILE = ("labels", "pool", "features.jsonl.gz")
POOL_FILES = ("policies.jsonl", "government_work_reports.jsonl")


@dataclass(frozen=True)
class PoolSpan:
    """One coded sentence of a pool document: ``text[start:end]`` of document ``doc``."""

    split: str  # "train" or "test" (held-out documents)
    doc: str
    start: int
    end: int
    sha1: str  # first 16 hex digits of the SHA-1 of the span's UTF-8 bytes
    labels: tuple[str, ...]
    stratum: str  # why it was drawn (see scripts/sample_pool.py)

    @property
    def key(self) -> str:
        return f"pool:{self.doc}:{self.start}-{self.end}:{self.sha1}"


def span_hash(text: str) -> str:
    """The hash stored for a span: the first 16 hex digits of SHA-1 of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def load_pool_labels(
    split: str | None = None, path: str | os.PathLike[str] | None = None
) -> list[PoolSpan]:
    """The coded pool sentences (all, or one ``split``), validated.

    Raises:
        LabelFileError: naming the file, row and value of every problem found.
    """
    p = Path(path) if path is not None else data_path(*LABELS_FILE)
    from .taxonomy import load_taxonomy

    ids = set(load_taxonomy().ids)
    problems: list[str] = []
    out: list[PoolSpan] = []
    with p.open(encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), start=2):
            labels = tuple(x for x in (r.get("labels") or "").split(";") if x)
            bad = [x for x in labels if x not in ids]
            if bad:
                problems.append(f"{p}: row {i}: unknown label(s) {bad}")
            if r.get("split") not in ("train", "test"):
                problems.append(f"{p}: row {i}: split {r.get('split')!r} is not train/test")
            try:
                start, end = int(r["start"]), int(r["end"])
            except (KeyError, TypeError, ValueError):
                problems.append(f"{p}: row {i}: bad offsets {r.get('start')!r}-{r.get('end')!r}")
                continue
            if not 0 <= start < end:
                problems.append(f"{p}: row {i}: empty or negative span {start}-{end}")
            out.append(
                PoolSpan(r["split"], r["doc"], start, end, r["sha1"], labels, r.get("stratum", ""))
            )
    if problems:
        raise LabelFileError(problems)
    return [s for s in out if split is None or s.split == split]


def find_pool(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The pool folder: ``path``, else $POLICYCLF_POOL, else ``../shared/pool`` beside the
    repository (or the current folder); None when none of them holds the pool's files."""
    candidates = [path, os.environ.get("POLICYCLF_POOL")]
    candidates += [data_path().parent / "shared" / "pool", Path.cwd().parent / "shared" / "pool"]
    for c in candidates:
        if c and all((Path(c) / n).is_file() for n in POOL_FILES):
            return Path(c)
    return None


def pool_texts(pool: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Document id -> text of every pool document (read at run time; never stored here)."""
    where = find_pool(pool)
    if where is None:
        raise FileNotFoundError(
            "the pool (../shared/pool, or $POLICYCLF_POOL) is not on this machine"
        )
    texts: dict[str, str] = {}
    for name in POOL_FILES:
        with (where / name).open(encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                texts[rec["id"]] = rec["text"]
    return texts


def check_spans(spans: Sequence[PoolSpan], texts: dict[str, str]) -> list[str]:
    """Problems with spans against the pool's texts: unknown documents and changed hashes."""
    problems = []
    for s in spans:
        text = texts.get(s.doc)
        if text is None:
            problems.append(f"{s.key}: no document {s.doc!r} in the pool")
        elif span_hash(text[s.start : s.end]) != s.sha1:
            problems.append(
                f"{s.key}: the span's hash changed (the pool text is not the coded one)"
            )
    return problems


def analysis_featurizer() -> Featurizer:
    """A featurizer with the bundled taxonomy's cue terms and the frames (for the analysis)."""
    from .frames import load_frames
    from .taxonomy import load_taxonomy

    cues = [c.cues for c in load_taxonomy().categories] + [f.terms for f in load_frames()]
    return Featurizer(cues)


def write_features(
    pool: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None
) -> Path:
    """Write the analysis of every training span (no text) to ``labels/pool/features.jsonl.gz``."""
    spans = load_pool_labels("train")
    texts = pool_texts(pool)
    problems = check_spans(spans, texts)
    if problems:
        raise LabelFileError(problems)
    feat = analysis_featurizer()
    target = Path(out) if out is not None else data_path(*FEATURES_FILE)
    tmp = target.with_name(target.name + ".tmp-write")
    # mtime=0 and a fixed file name inside the gzip header: the same bytes on every machine
    with open(tmp, "wb") as raw, gzip.GzipFile("features.jsonl", "wb", 9, raw, mtime=0) as gz:
        for s in spans:
            a = feat.analyse(texts[s.doc][s.start : s.end], s.key)
            rec = {"key": s.key, "terms": [list(t) for t in a.terms], "cues": list(a.cues)}
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
    os.replace(tmp, target)
    return target


def pool_training_texts() -> list[tuple[AnalysedText, PoolSpan]]:
    """The training spans as :class:`AnalysedText` (from the shipped analysis), with their span.

    Raises:
        LabelFileError: when the shipped analysis does not cover exactly the training spans.
    """
    spans = load_pool_labels("train")
    path = data_path(*FEATURES_FILE)
    if not spans:
        return []
    by_key: dict[str, AnalysedText] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            by_key[rec["key"]] = AnalysedText(rec["key"], map(tuple, rec["terms"]), rec["cues"])
    missing = [s.key for s in spans if s.key not in by_key]
    if missing or len(by_key) != len(spans):
        raise LabelFileError(
            [
                f"{path}: the shipped analysis does not match {data_path(*LABELS_FILE)} "
                f"({len(missing)} training spans missing, {len(by_key)} analysed for "
                f"{len(spans)}); run `python -m policyclf.pool --write-features`"
            ]
        )
    return [(by_key[s.key], s) for s in spans]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Pool labels: check them, or rebuild the analysis.")
    ap.add_argument("--write-features", action="store_true", help="rebuild features.jsonl.gz")
    ap.add_argument("--pool", help="the pool folder (default: ../shared/pool)")
    args = ap.parse_args(argv)
    if args.write_features:
        print(f"wrote {write_features(args.pool)}")
    else:
        spans = load_pool_labels()
        problems = check_spans(spans, pool_texts(args.pool))
        print("\n".join(problems) or f"{len(spans)} pool spans, all hashes current")


if __name__ == "__main__":
    main()
