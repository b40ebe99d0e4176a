"""Integrity of the held-out evaluation sentences (``tests/data/heldout_sentences.jsonl``).

These tests check the data file only: its format, its label counts, and that it really is held
out — its key terms never occur in the training corpus and no sentence copies a stretch of the
corpus or of the codebook's examples. See ``tests/data/README.md``. The model's score on this set
is tested elsewhere.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policyclf.resources import data_path
from policyclf.taxonomy import load_taxonomy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

HELDOUT = Path(__file__).parent / "data" / "heldout_sentences.jsonl"
FIELDS = {"id", "text", "labels", "terms", "source_type", "note"}
SOURCE_TYPES = {"national", "provincial", "municipal", "county", "department"}
ID_PATTERN = re.compile(r"^ho-\d{3}$")
MIN_PER_CATEGORY = 12
MIN_NO_MEASURE = 16
MIN_TERMS = 2
MIN_TERM_CHARS = 2
MIN_TEXT_CHARS = 15
MAX_TEXT_CHARS = 120
RUN = 10  # no sentence may share this many consecutive characters with training text


def _load_records() -> list[dict[str, Any]]:
    """Parse the JSONL file, failing with the line number of the first bad line."""
    records: list[dict[str, Any]] = []
    for n, line in enumerate(HELDOUT.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            pytest.fail(f"{HELDOUT}:{n}: blank line")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            pytest.fail(f"{HELDOUT}:{n}: not valid JSON ({e})")
        if not isinstance(obj, dict):
            pytest.fail(f"{HELDOUT}:{n}: expected a JSON object, got {type(obj).__name__}")
        records.append(obj)
    return records


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _load_records()


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return data_path("corpus", "raw", "000_da80483b1a4d3646.txt").read_text(encoding="utf-8")


def _examples(node: Any) -> Iterator[str]:
    """Every string under a key named ``example`` or ``examples``, anywhere in the TOML."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"example", "examples"}:
                if isinstance(value, str):
                    yield value
                elif isinstance(value, list):
                    yield from (v for v in value if isinstance(v, str))
            else:
                yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


@pytest.fixture(scope="module")
def codebook_examples() -> list[str]:
    with data_path("labels", "taxonomy.toml").open("rb") as f:
        return list(_examples(tomllib.load(f)))


def _runs(text: str, n: int = RUN) -> set[str]:
    """All substrings of ``text`` of length ``n``, before and after NFKC normalisation.

    Normalising folds full-width and half-width punctuation together, so a copy that only swaps
    ``，`` for ``,`` is still caught.
    """
    out: set[str] = set()
    for t in (text, unicodedata.normalize("NFKC", text)):
        out.update(t[i : i + n] for i in range(len(t) - n + 1))
    return out


def test_runs_finds_shared_stretches() -> None:
    a = "对引进的高层次人才给予最高100万元安家补贴。"
    assert _runs("另外" + a[3:15]) & _runs(a)
    assert not _runs("对引进人才给予补贴，最高不超过十万元。") & _runs(a)
    assert _runs("加快建设，推动仪器设备向社会开放共享") & _runs("加快建设,推动仪器设备向社会开放")


def test_every_line_has_the_expected_fields_and_types(records: list[dict[str, Any]]) -> None:
    problems: list[str] = []
    for n, r in enumerate(records, start=1):
        where = f"line {n} ({r.get('id', '?')})"
        if set(r) != FIELDS:
            problems.append(f"{where}: fields {sorted(r)}, expected {sorted(FIELDS)}")
            continue
        for key in ("id", "text", "source_type", "note"):
            if not isinstance(r[key], str):
                problems.append(f"{where}: {key} must be a string, got {r[key]!r}")
        for key in ("labels", "terms"):
            if not isinstance(r[key], list) or not all(isinstance(x, str) for x in r[key]):
                problems.append(f"{where}: {key} must be a list of strings, got {r[key]!r}")
        if isinstance(r["id"], str) and not ID_PATTERN.match(r["id"]):
            problems.append(f"{where}: id {r['id']!r} does not match ho-NNN")
        if r["source_type"] not in SOURCE_TYPES:
            problems.append(f"{where}: source_type {r['source_type']!r} not in {SOURCE_TYPES}")
        if isinstance(r["text"], str) and not (MIN_TEXT_CHARS <= len(r["text"]) <= MAX_TEXT_CHARS):
            problems.append(f"{where}: text has {len(r['text'])} characters")
    assert not problems, "\n".join(problems)
    assert len(records) >= 5 * MIN_PER_CATEGORY


def test_ids_and_texts_are_unique(records: list[dict[str, Any]]) -> None:
    for key in ("id", "text"):
        dupes = [v for v, c in Counter(r[key] for r in records).items() if c > 1]
        assert not dupes, f"duplicate {key}s: {dupes}"


def test_labels_are_taxonomy_ids_without_repeats(records: list[dict[str, Any]]) -> None:
    ids = set(load_taxonomy().ids)
    problems = [
        f"{r['id']}: labels {r['labels']!r}"
        for r in records
        if not set(r["labels"]) <= ids or len(set(r["labels"])) != len(r["labels"])
    ]
    assert not problems, f"labels must be distinct ids from {sorted(ids)}:\n" + "\n".join(problems)


def test_every_category_and_no_measure_is_well_represented(
    records: list[dict[str, Any]],
) -> None:
    counts = Counter(label for r in records for label in r["labels"])
    few = {c: counts[c] for c in load_taxonomy().ids if counts[c] < MIN_PER_CATEGORY}
    assert not few, f"categories with fewer than {MIN_PER_CATEGORY} sentences: {few}"
    no_measure = sum(1 for r in records if not r["labels"])
    assert no_measure >= MIN_NO_MEASURE, f"only {no_measure} no-measure sentences"
    multi = sum(1 for r in records if len(r["labels"]) > 1)
    assert multi >= len(records) // 5, f"only {multi} multi-label sentences"


def test_terms_are_in_the_sentence_and_absent_from_the_corpus(
    records: list[dict[str, Any]], corpus_text: str
) -> None:
    problems: list[str] = []
    for r in records:
        if len(r["terms"]) < MIN_TERMS:
            problems.append(f"{r['id']}: {len(r['terms'])} terms, need at least {MIN_TERMS}")
        for term in r["terms"]:
            if len(term) < MIN_TERM_CHARS:
                problems.append(f"{r['id']}: term {term!r} is shorter than {MIN_TERM_CHARS}")
            if term not in r["text"]:
                problems.append(f"{r['id']}: term {term!r} does not occur in its text")
            if term in corpus_text:
                problems.append(f"{r['id']}: term {term!r} occurs in the training corpus")
    assert not problems, "\n".join(problems)


def test_no_sentence_copies_the_corpus_or_the_codebook_examples(
    records: list[dict[str, Any]], corpus_text: str, codebook_examples: list[str]
) -> None:
    assert len(codebook_examples) >= 10, "found too few examples in labels/taxonomy.toml"
    seen: set[str] = _runs(corpus_text)
    for example in codebook_examples:
        seen |= _runs(example)
    problems = [
        f"{r['id']}: shares {sorted(shared)[0]!r}"
        for r in records
        if (shared := _runs(r["text"]) & seen)
    ]
    assert not problems, (
        f"sentences sharing {RUN}+ consecutive characters with training text:\n"
        + "\n".join(problems)
    )


def test_no_sentence_copies_the_training_supplement(records: list[dict[str, Any]]) -> None:
    """The supplement (labels/supplement.csv) is training data: no shared 10-character runs."""
    import csv

    with data_path("labels", "supplement.csv").open(encoding="utf-8", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert len(texts) > 100
    seen: set[str] = set()
    for t in texts:
        seen |= _runs(t) | _runs("".join(t.split()))
    problems = [
        f"{r['id']}: shares {sorted(shared)[0]!r}"
        for r in records
        if (shared := (_runs(r["text"]) | _runs("".join(r["text"].split()))) & seen)
    ]
    assert not problems, "held-out sentences sharing runs with the supplement:\n" + "\n".join(
        problems
    )
